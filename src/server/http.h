/*
 * http.h - HTTP requests and answers, without a socket.
 *
 * The server glue (server.c) turns what libmicrohttpd hands it into a
 * `struct http_req`, the handlers (api.c) fill a `struct http_resp`, and the
 * glue sends it. Everything in between (routing, query strings, the
 * Host/Origin/token policy, conditional and compressed answers) works on
 * these two plain structs, so it can be tested by calling functions.
 *
 * This module holds the protocol-level pieces the handlers share: the
 * answer struct and its JSON error envelope, the strict query-string
 * parser, the security policy and the small header parsers.
 */
#ifndef TOOLPROF_HTTP_H
#define TOOLPROF_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"

/* ---- requests ------------------------------------------------------------ */

/* The header lines that say where a request's body ends, as received.
 * libmicrohttpd reads the first Content-Length, and ignores Content-Length
 * when there is a Transfer-Encoding; a proxy in front of the server may
 * read another line, or the other header, and then the two disagree on
 * where the next request starts (request smuggling). So every line is
 * counted here, and http_framing_check() refuses any request whose body
 * length is not given in exactly one way. */
struct http_framing {
    unsigned n_length;     /* Content-Length lines */
    const char *length[2]; /* the values of the first two */
    unsigned n_coding;     /* Transfer-Encoding lines */
    const char *coding;    /* the value of the first */
    const char *bad_name;  /* the first header name with a space or tab in it */
};

/* Note one received header line (name and value as libmicrohttpd split
 * them; borrowed, they must outlive f). */
void http_framing_add(struct http_framing *f, const char *name, const char *value);

/* 0 when the framing is unambiguous: no Content-Length and no
 * Transfer-Encoding, one Content-Length, or one "Transfer-Encoding:
 * chunked". Otherwise TP_EINVAL (answer 400) or, for a transfer coding
 * other than chunked, TP_EUNSUPP (answer 501), with the reason in errbuf. */
int http_framing_check(const struct http_framing *f, char *errbuf);

/* One request. Every pointer is borrowed (from the connection's memory) and
 * valid while the request is handled; headers are NULL when absent. */
struct http_req {
    const char *method;
    const char *path;  /* raw, not percent-decoded, without the query */
    const char *query; /* raw text after '?', NULL when there is none */
    const char *host, *origin, *sec_fetch_site, *authorization, *cookie;
    const char *content_type, *content_encoding, *accept_encoding, *if_none_match;
    int64_t content_length; /* -1 when absent or unparsable */
    int chunked;            /* Transfer-Encoding: chunked */
    struct http_framing framing;
    int expect_continue; /* Expect: 100-continue (the body waits for us) */
    const char *body;
    size_t body_len;
};

/* Split a request target ("/a/b?x=1") into path and query: returns a
 * malloc'd copy of the path and points *query into `target` (NULL when
 * there is no '?'). A '#' fragment is dropped from the query. */
char *http_split_target(const char *target, const char **query);

/* ---- answers ------------------------------------------------------------- */

#define HTTP_MAX_HEADERS 12

struct http_header {
    const char *name; /* static */
    char *value;      /* owned */
};

struct http_resp {
    int status;               /* 0 until an answer was chosen */
    const char *content_type; /* static; NULL for none (304) */
    struct buf body;          /* owned, capped at TP_MAX_RESPONSE */
    /* Static bytes to send instead of `body` (embedded assets). */
    const unsigned char *static_body;
    size_t static_len;
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
};

#define HTTP_JSON "application/json"

void http_resp_init(struct http_resp *r);
void http_resp_free(struct http_resp *r);
/* Drop any body and headers chosen so far (keeps memory). */
void http_resp_reset(struct http_resp *r);
/* Add a header (name static, value copied). Extra headers past
 * HTTP_MAX_HEADERS are a programming error and abort. */
void http_resp_header(struct http_resp *r, const char *name, const char *value);
/* The error envelope {"success": false, "message": "..."} with a status;
 * replaces whatever the answer held. */
void http_resp_error(struct http_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The bytes to send. */
const void *http_resp_data(const struct http_resp *r, size_t *len);

/* Headers every answer carries (Content-Security-Policy, nosniff, ...):
 * a NULL-terminated list of name/value pairs. */
extern const char *const http_security_headers[][2];

/* ---- query strings --------------------------------------------------------- */

struct http_param {
    char *name, *value; /* percent-decoded, valid UTF-8, no NUL */
};

struct http_query {
    struct http_param p[TP_HTTP_MAX_PARAMS];
    size_t n;
};

/* Parse a raw query string (NULL or "" give no parameters). '+' is a space,
 * %XX a byte; empty segments ("a=1&&b=2", a trailing '&') are skipped.
 * Returns 0, or TP_EINVAL with "<name>: <problem>" in errbuf for a bad
 * percent escape, decoded bytes that are not UTF-8 text, a parameter given
 * twice, an empty name, or more than TP_HTTP_MAX_PARAMS parameters. On error q
 * is left empty. */
int http_query_parse(const char *raw, struct http_query *q, char *errbuf);
void http_query_free(struct http_query *q);
/* The decoded value of name, or NULL. */
const char *http_query_get(const struct http_query *q, const char *name);
/* A percent-decoded copy of a path segment ('+' stays '+'); NULL when an
 * escape is malformed or the result is not UTF-8 text. Free it. */
char *http_path_decode(const char *s);

/* ---- cookies ------------------------------------------------------------- */

/* The cookie that carries the token for a browser (set when the page is
 * opened with ?token=, HttpOnly, SameSite=Strict). */
#define HTTP_TOKEN_COOKIE "toolprof_token"

/* The value of cookie `name` in a Cookie header, malloc'd, or NULL. */
char *http_cookie_get(const char *header, const char *name);

/* ---- security policy ------------------------------------------------------- */

#define HTTP_MAX_HOSTS 4
#define HTTP_HOST_LEN 80

/* Which Host headers the server answers, and its token. */
struct http_policy {
    char hosts[HTTP_MAX_HOSTS][HTTP_HOST_LEN]; /* "host:port", lower case */
    size_t nhosts;
    int any_host;      /* bound to a wildcard address: the token guards it */
    const char *token; /* NULL: no token */
};

/* Build the policy for a server listening on ip (numeric, as given, IPv6
 * without brackets) and port. A loopback address accepts
 * 127.0.0.1, localhost and [::1] with the port; any other address only
 * itself; a wildcard address (0.0.0.0, ::) any host. */
void http_policy_init(struct http_policy *p, const char *ip, int port, const char *token);

/* 1 when ip (numeric) is a loopback address, 2 when it is a wildcard
 * address, 0 otherwise. */
int http_addr_kind(const char *ip);

/* 1 when the Host header value is one the server answers to (DNS
 * rebinding defence); a missing Host is refused. */
int http_host_ok(const struct http_policy *p, const char *host);

/* 1 when the request is same-origin or carries no Origin: an Origin must be
 * "http://" followed by an allowed host. */
int http_origin_ok(const struct http_policy *p, const char *origin);

/* 1 when a and b are equal, in time that depends on the lengths only. */
int http_token_eq(const char *expected, const char *given);

/* 1 when the policy has no token, or the Authorization header is
 * "Bearer <token>" (scheme case-insensitive), or alt (a token given another
 * way, may be NULL) equals it. */
int http_auth_ok(const struct http_policy *p, const char *authorization, const char *alt);

/* ---- header parsers ---------------------------------------------------------- */

/* 1 when an Accept-Encoding value accepts gzip (q > 0). */
int http_accepts_gzip(const char *accept_encoding);

/* 1 when an If-None-Match value matches etag ("*", or one of a list of
 * entity tags; weak comparison, W/ ignored). */
int http_etag_matches(const char *if_none_match, const char *etag);

/* 1 when a media-type header value is `type` (case-insensitive, parameters
 * such as "; charset=utf-8" ignored). */
int http_media_is(const char *content_type, const char *type);

#endif
