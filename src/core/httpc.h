/*
 * httpc.h - an HTTP client: libcurl, loaded at run time.
 *
 * Two parts of toolprof speak HTTP as clients: the ClickHouse store (its
 * HTTP interface) and `push` / `serve --upstream` (batches of calls sent to
 * a team server, maybe through TLS). Both go through this module, which
 * wraps libcurl, Debian's libcurl4 (OpenSSL). Like libmicrohttpd
 * (server/mhd.h) the library is loaded with dlopen() by the commands that
 * need it and never by `toolprof hook`, whose process start is on the
 * agent's critical path: libcurl and its TLS stack are a dozen libraries.
 *
 * A `struct httpc` is one keep-alive connection for one thread at a time.
 * Every request has a time limit and every answer a size limit; an answer
 * can be collected into a buffer or streamed to a callback, which may stop
 * the transfer.
 */
#ifndef TOOLPROF_HTTPC_H
#define TOOLPROF_HTTPC_H

#include <stddef.h>

#include "core/buf.h"

#define HTTPC_LIB_SONAME "libcurl.so.4"
#define HTTPC_MAX_HEADERS 8

/* Load libcurl (once per process, thread-safe). Returns 0, or TP_EUNSUPP
 * with what to install in errbuf. */
int httpc_load(char *errbuf);

struct httpc;

/* A new connection (loads libcurl); NULL with errbuf filled when the
 * library cannot be loaded. */
struct httpc *httpc_new(char *errbuf);
void httpc_free(struct httpc *c);

/* Called with each piece of a successful (2xx) answer's body; return
 * non-zero to stop the transfer (httpc_do then returns 0 with *stopped
 * set). Any other answer's body is collected into resp. */
typedef int (*httpc_data_fn)(void *ctx, const char *data, size_t n);

struct httpc_req {
    const char *url;  /* http:// or https:// */
    const void *body; /* POST body (NULL: a GET) */
    size_t body_len;
    const char *headers[HTTPC_MAX_HEADERS]; /* "Name: value", NULL-terminated */
    const char *user, *password;            /* basic authentication (NULL: none) */
    long timeout_ms;                        /* the whole request (0: 60 s) */
    long connect_timeout_ms;                /* (0: 5 s) */
    size_t max_body;                        /* answer bytes kept in resp (0: 64 MB) */
    httpc_data_fn on_data;                  /* stream the answer here instead */
    void *ctx;
};

/* Send one request and read its answer. Returns 0 when an answer came
 * (whatever its status, in *status), with its body in resp (appended;
 * resp may be NULL when on_data is given); TP_EIO when no answer came
 * (refused, reset, timed out, TLS failure) with curl's reason in errbuf;
 * TP_ETOOBIG when the answer exceeded max_body. *stopped (may be NULL) is
 * set when on_data stopped the transfer. */
int httpc_do(struct httpc *c, const struct httpc_req *r, long *status, struct buf *resp,
             int *stopped, char *errbuf);

/* Percent-decode s[0..n) into out (size bytes, NUL-terminated). Returns 0,
 * or TP_EINVAL for a malformed escape, a NUL byte or no room. */
int httpc_unescape(const char *s, size_t n, char *out, size_t size);

#endif
