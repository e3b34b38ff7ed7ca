/*
 * server.h - `toolprof serve`: the HTTP server's life cycle.
 *
 * server_run() binds the address, loads libmicrohttpd (dlopen, see mhd.h),
 * starts the request threads, the maintenance thread (drains the hook
 * spool every 250 ms, applies retention) and, if asked, the transcript
 * watcher, and with opts.otlp_grpc the OTLP/gRPC listener (grpc.h); prints
 * "otlp-grpc on HOST:PORT" (when asked) then "listening on http://HOST:PORT"
 * to stdout; and
 * runs until SIGINT or SIGTERM, then lets in-flight requests finish, stops
 * everything and returns 0.
 */
#ifndef TOOLPROF_SERVER_H
#define TOOLPROF_SERVER_H

#include <stdint.h>

#define SERVER_DEFAULT_LISTEN "127.0.0.1:5000"

struct server_opts {
    const char *data_dir;  /* NULL: store_default_dir(NULL) */
    const char *listen;    /* "HOST:PORT" (port 0 = any free port); NULL: the default */
    const char *token;     /* NULL or "": $TOOLPROF_TOKEN, else no token */
    int watch;             /* run the transcript folder watcher */
    int threads;           /* request threads; 0: 2 */
    int64_t retention_ms;  /* prune operations older than this; 0: keep all */
    int verbose;           /* report spool drains and pruning on stderr */
    const char *otlp_grpc; /* "HOST:PORT" of the OTLP/gRPC listener (grpc.h); NULL: none */
    /* Connection limits (conns.h); 0: TP_HTTP_MAX_CONNS, and
     * server_default_per_client() of the total. */
    unsigned max_connections, max_connections_per_client;
};

/* Serve until SIGINT/SIGTERM. Returns 0 after a clean shutdown, or an
 * error code with a one-line message in errbuf (TP_ERR_MAX) when the server
 * cannot start: a bad --listen, a public address without a token, an
 * unusable data directory, the port in use, libmicrohttpd (or, for gRPC,
 * libnghttp2) missing. */
int server_run(const struct server_opts *o, char *errbuf);

/* The per-client limit that goes with a total limit when none is given:
 * a quarter of it (at least 1), at most TP_HTTP_MAX_CONNS_PER_CLIENT. */
unsigned server_default_per_client(unsigned max_connections);

/* Split "HOST:PORT" ("[v6]:PORT" for IPv6; "localhost" means 127.0.0.1)
 * into a numeric address (ip, at least 64 bytes) and a port. Returns 0 or
 * TP_EINVAL with errbuf filled. */
int server_parse_listen(const char *listen, char *ip, int *port, char *errbuf);

#endif
