/*
 * grpc.h - OTLP/gRPC: the Export calls of the logs, trace and metrics
 * services on a listener of their own (`toolprof serve --otlp-grpc
 * HOST:PORT`, off unless asked).
 *
 * gRPC runs over HTTP/2; this server speaks it in cleartext (h2c with prior
 * knowledge, as OTLP exporters do with an http:// endpoint) through
 * libnghttp2, loaded with dlopen() (h2.h). Each call's body is one
 * length-prefixed message (grpcmsg.h), maybe gzip-compressed
 * (grpc-encoding: gzip); it is decoded and stored by api_otlp_ingest(),
 * exactly like an OTLP/HTTP protobuf body, and answered with the
 * Export*ServiceResponse (partial success included) and grpc-status /
 * grpc-message trailers: UNIMPLEMENTED for another method,
 * UNAUTHENTICATED without the server's token (metadata "authorization:
 * Bearer T"), INVALID_ARGUMENT for a message that does not decode,
 * RESOURCE_EXHAUSTED past TP_MAX_OTLP_BODY (or TP_GRPC_MAX_HELD over all
 * connections), DEADLINE_EXCEEDED for a request not whole within
 * TP_HTTP_REQUEST_TIMEOUT_S, UNAVAILABLE when the database
 * is busy.
 *
 * A few I/O threads (epoll) share the listening socket; each connection
 * belongs to one of them, and its streams (up to TP_GRPC_MAX_STREAMS at
 * once) are answered in the order they complete. TP_GRPC_MAX_CONNS
 * connections at most; one idle for TP_GRPC_IDLE_TIMEOUT_S is closed.
 */
#ifndef TOOLPROF_GRPC_H
#define TOOLPROF_GRPC_H

#include "server/api.h"

struct grpc_server;

/* Serve on the listening socket fd (bound and listening; the server owns
 * it from then on) with threads I/O threads, storing through env (which
 * must outlive the server). Returns 0 with *out, or an error code with
 * errbuf filled (libnghttp2 missing, no threads). */
int grpc_start(const struct api_env *env, int fd, int threads, int verbose,
               struct grpc_server **out, char *errbuf);

/* Stop: each connection is told GOAWAY (streams already answered are
 * done; others a client may retry), the threads are joined, everything is
 * closed. NULL is ignored. */
void grpc_stop(struct grpc_server *g);

#endif
