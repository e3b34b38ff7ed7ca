/*
 * conns.h - the server's open connections: limits, shedding, deadlines.
 *
 * Every connection libmicrohttpd accepts is registered here with its
 * client's address, and its state follows the requests on it: idle (it has
 * sent no request line since it connected or since its last answer), in a
 * request's headers, in a request's body or answer. Two limits hold at
 * all times: max_total connections, and max_per_client from one client
 * (an IPv4 address, or an IPv6 /64, which one host usually owns whole).
 *
 * A new connection over a limit takes the place of an idle one: the idle
 * connection is shut down, and the new one is admitted. Idle connections
 * cost the server a descriptor and nothing else, and a client that opens
 * many of them (a reconnect loop, or a pool left open) would otherwise keep
 * everyone else out until they time out. Over the per-client limit the
 * client loses its own longest idle connection; over the total limit, the
 * client holding the most connections loses its longest idle one. Idle
 * means the client has sent nothing since it connected or since its last
 * answer (the kernel's count of bytes received says so, whatever the
 * connection's state: MHD may have read a request it has not parsed yet).
 * When no connection is idle, one that has started a request but sent
 * nothing for stall_ms (a client sends its request line and headers at
 * once) is closed instead. Only when none of those exists either, every
 * connection being busy with a request, is the new one refused (shut down
 * at once). A connection whose headers are complete (its body, handling
 * and answer) is never closed to make room.
 *
 * Deadlines (conns_reap): a connection must send its request line and
 * headers within header_timeout_ms of connecting or of its previous
 * answer, and the rest of its request within request_timeout_ms of its
 * headers. MHD's own timeout counts idle time only, and a client that
 * sends one byte a second is never idle.
 *
 * Closing is shutdown(2) on the socket: libmicrohttpd sees the connection
 * fail and closes it itself. The registry's lock is held around every
 * shutdown and around conns_close(), which MHD's close notification calls
 * before it closes the descriptor, so a descriptor is never shut down after
 * it was closed and reused.
 *
 * Every function is thread-safe.
 */
#ifndef TOOLPROF_CONNS_H
#define TOOLPROF_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conns_limits {
    unsigned max_total;         /* connections counted at once, >= 1 */
    unsigned max_per_client;    /* of them from one client, 1 to max_total */
    int64_t header_timeout_ms;  /* request line and headers, from connect or the last answer */
    int64_t request_timeout_ms; /* the rest of a request, from its headers */
    int64_t stall_ms;           /* a started request silent this long may make room */
};

struct conns_stats {
    size_t open;        /* connections counted against the limits */
    size_t clients;     /* distinct clients among them */
    uint64_t shed;      /* idle or stalled connections closed to make room (since conns_new) */
    uint64_t refused;   /* new connections closed because no room could be made */
    uint64_t timed_out; /* connections closed by the deadlines */
};

struct conns;
struct conn;

/* A registry with these limits (copied). Never NULL. */
struct conns *conns_new(const struct conns_limits *limits);
/* Free the registry and any entries still in it (after the server stopped). */
void conns_free(struct conns *cs);

/* A connection was accepted on socket fd from addr (NULL, or a family other
 * than IPv4/IPv6, counts as one client "other"). Admits it, shutting down
 * an idle connection first if a limit is reached, or refuses it: shuts fd
 * down. Returns its entry either way; the owner closes the socket as usual
 * and then calls conns_close(). now_ms is a monotonic clock. */
struct conn *conns_open(struct conns *cs, int fd, const struct sockaddr *addr, int64_t now_ms);

/* The request line of a request arrived: the connection is not idle. */
void conns_request_line(struct conns *cs, struct conn *c);
/* Its headers are complete: the request deadline starts. */
void conns_headers_done(struct conns *cs, struct conn *c, int64_t now_ms);
/* Its answer was sent (or it failed): idle again, the header deadline
 * restarts. Call it on the connection's own thread (it asks the kernel how
 * much the client has sent so far). */
void conns_request_done(struct conns *cs, struct conn *c, int64_t now_ms);

/* The connection is being closed: forget and free c. */
void conns_close(struct conns *cs, struct conn *c);

/* Shut down every connection past its deadline; returns how many. */
size_t conns_reap(struct conns *cs, int64_t now_ms);

void conns_stats(struct conns *cs, struct conns_stats *st);

#endif
