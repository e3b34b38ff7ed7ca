/*
 * http.c - answers, query strings and the security policy.
 *
 * Query strings are parsed by hand rather than through libmicrohttpd's
 * argument table: MHD decodes leniently (a bad "%zz" stays as it is) and
 * keeps only one of two parameters with the same name, while toolprof
 * promises a 400 that names the parameter for each of those. The parser
 * works on the raw request target, which the server glue captures with
 * MHD's URI log callback before MHD touches it.
 *
 * The policy is the laptop default of a localhost dashboard: answer only to
 * the Host names the listening address can be reached by (a DNS-rebinding
 * page sends its own name), refuse requests whose Origin is another site,
 * and, when a token is configured, require it. Tokens are compared in time
 * that does not depend on where the first difference is.
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

/* ---- requests ------------------------------------------------------------ */

char *http_split_target(const char *target, const char **query)
{
    const char *q = strchr(target, '?');
    *query = q ? q + 1 : NULL;
    return q ? xstrndup(target, (size_t)(q - target)) : xstrdup(target);
}

void http_framing_add(struct http_framing *f, const char *name, const char *value)
{
    if (!name)
        return;
    if (!f->bad_name && strpbrk(name, " \t"))
        f->bad_name = name;
    if (strcasecmp(name, "Content-Length") == 0) {
        value = value ? value : "";
        if (f->n_length == 0)
            f->length[0] = value;
        else if (!f->length[1] && strcmp(value, f->length[0]) != 0)
            f->length[1] = value;
        f->n_length++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (f->n_coding == 0)
            f->coding = value ? value : "";
        f->n_coding++;
    }
}

/* A bounded, printable copy of a header value for a message. */
static const char *framing_show(char *dst, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++)
        dst[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    dst[o] = '\0';
    return dst;
}

int http_framing_check(const struct http_framing *f, char *errbuf)
{
    char a[40], b[40];
    /* RFC 9112 section 5.1: whitespace between a header name and its colon
     * MUST be refused with a 400. libmicrohttpd keeps it as part of the
     * name, so "Content-Length : 5" would frame nothing here while a proxy
     * that trims it frames the body by it. */
    if (f->bad_name)
        return tp_fail(errbuf, TP_EINVAL,
                       "malformed header line: a space or tab before the colon (\"%s:\")",
                       framing_show(a, sizeof a, f->bad_name));
    if (f->n_length > 0 && f->n_coding > 0)
        return tp_fail(errbuf, TP_EINVAL,
                       "Transfer-Encoding and Content-Length together: the body's length is "
                       "ambiguous; send one of them");
    /* Two Content-Length lines are refused even when they agree. RFC 9110
     * (section 8.6) allows either refusing them or reading them as one;
     * refusing keeps one rule, "the length is given once", which holds
     * whatever a proxy in front does with the copies (merge them into
     * "5, 5", keep the last, pass both on). No client of toolprof sends
     * two, and nginx and Node's parser refuse them too. */
    if (f->n_length > 1) {
        if (f->length[1])
            return tp_fail(errbuf, TP_EINVAL,
                           "Content-Length given %u times with different values (%s and %s): "
                           "the body's length is ambiguous",
                           f->n_length, framing_show(a, sizeof a, f->length[0]),
                           framing_show(b, sizeof b, f->length[1]));
        return tp_fail(errbuf, TP_EINVAL, "Content-Length given %u times: send it once",
                       f->n_length);
    }
    if (f->n_coding > 1)
        return tp_fail(errbuf, TP_EINVAL, "Transfer-Encoding given %u times: send it once",
                       f->n_coding);
    /* libmicrohttpd decodes chunked only; with any other coding it would
     * read the body as unknown-length bytes. */
    if (f->n_coding == 1 && strcasecmp(f->coding, "chunked") != 0)
        return tp_fail(errbuf, TP_EUNSUPP,
                       "Transfer-Encoding: %s: only chunked is supported (or send Content-Length)",
                       framing_show(a, sizeof a, f->coding));
    return 0;
}

/* ---- answers ------------------------------------------------------------- */

const char *const http_security_headers[][2] = {
    {"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                "frame-ancestors 'none'; form-action 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {NULL, NULL},
};

void http_resp_init(struct http_resp *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, TP_MAX_RESPONSE);
}

void http_resp_reset(struct http_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++)
        free(r->headers[i].value);
    r->nheaders = 0;
    r->status = 0;
    r->content_type = NULL;
    r->static_body = NULL;
    r->static_len = 0;
    buf_reset(&r->body);
}

void http_resp_free(struct http_resp *r)
{
    http_resp_reset(r);
    buf_free(&r->body);
}

void http_resp_header(struct http_resp *r, const char *name, const char *value)
{
    if (r->nheaders == HTTP_MAX_HEADERS) {
        /* A fixed set of call sites adds headers; running out is a bug. */
        fprintf(stderr, "toolprof: http_resp_header: too many headers (%s)\n", name);
        abort();
    }
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = xstrdup(value);
    r->nheaders++;
}

void http_resp_error(struct http_resp *r, int status, const char *fmt, ...)
{
    char msg[2 * TP_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    http_resp_reset(r);
    r->status = status;
    r->content_type = HTTP_JSON;
    struct jsonw w;
    jw_init(&w, &r->body);
    jw_obj_begin(&w);
    jw_kbool(&w, "success", 0);
    jw_kstr(&w, "message", msg);
    jw_obj_end(&w);
    jw_finish(&w); /* a short message always fits */
}

const void *http_resp_data(const struct http_resp *r, size_t *len)
{
    if (r->static_body) {
        *len = r->static_len;
        return r->static_body;
    }
    *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

/* ---- query strings --------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode s[0..n) into a new string; NULL when an escape is malformed or the
 * result is not UTF-8 text (a NUL byte included). */
static char *pct_decode(const char *s, size_t n, int plus_is_space)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = -1, lo = -1;
            if (i + 2 < n) {
                hi = hexval((unsigned char)s[i + 1]);
                lo = hexval((unsigned char)s[i + 2]);
            }
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (!utf8_valid_text(out, o)) {
        free(out);
        return NULL;
    }
    return out;
}

static char *query_decode(const char *s, size_t n)
{
    return pct_decode(s, n, 1);
}

char *http_path_decode(const char *s)
{
    return pct_decode(s, strlen(s), 0);
}

/* A printable, bounded copy of a raw name for error messages. */
static void query_show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[o] = '\0';
}

void http_query_free(struct http_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->p[i].name);
        free(q->p[i].value);
    }
    q->n = 0;
}

int http_query_parse(const char *raw, struct http_query *q, char *errbuf)
{
    char shown[64];
    int rc = 0;
    q->n = 0;
    if (!raw)
        return 0;
    size_t len = strlen(raw);
    const char *hash = memchr(raw, '#', len);
    if (hash)
        len = (size_t)(hash - raw);

    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && raw[end] != '&')
            end++;
        if (end == i) { /* empty segment */
            i = end + 1;
            continue;
        }
        const char *eq = memchr(raw + i, '=', end - i);
        size_t nlen = eq ? (size_t)(eq - (raw + i)) : end - i;
        query_show(shown, sizeof shown, raw + i, nlen);
        if (nlen == 0) {
            rc = tp_fail(errbuf, TP_EINVAL, "query: a parameter without a name");
            goto fail;
        }
        if (q->n == TP_HTTP_MAX_PARAMS) {
            rc = tp_fail(errbuf, TP_EINVAL, "query: more than %d parameters", TP_HTTP_MAX_PARAMS);
            goto fail;
        }
        char *name = query_decode(raw + i, nlen);
        if (!name) {
            rc = tp_fail(errbuf, TP_EINVAL, "%s: bad percent-encoding or not UTF-8 in the name",
                         shown);
            goto fail;
        }
        const char *vs = eq ? eq + 1 : raw + end;
        char *value = query_decode(vs, (size_t)(raw + end - vs));
        if (!value) {
            query_show(shown, sizeof shown, name, strlen(name));
            free(name);
            rc = tp_fail(errbuf, TP_EINVAL, "%s: bad percent-encoding or not UTF-8 in the value",
                         shown);
            goto fail;
        }
        if (http_query_get(q, name)) {
            query_show(shown, sizeof shown, name, strlen(name));
            free(name);
            free(value);
            rc = tp_fail(errbuf, TP_EINVAL, "%s: given more than once", shown);
            goto fail;
        }
        q->p[q->n].name = name;
        q->p[q->n].value = value;
        q->n++;
        i = end + 1;
    }
    return 0;

fail:
    http_query_free(q);
    return rc;
}

const char *http_query_get(const struct http_query *q, const char *name)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->p[i].name, name) == 0)
            return q->p[i].value;
    return NULL;
}

/* ---- security policy ------------------------------------------------------- */

int http_addr_kind(const char *ip)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, ip, a) == 1) {
        if (a[0] == 127)
            return 1;
        if (!(a[0] | a[1] | a[2] | a[3]))
            return 2;
        return 0;
    }
    if (inet_pton(AF_INET6, ip, a) == 1) {
        static const unsigned char any[16], loop[16] = {[15] = 1};
        if (memcmp(a, loop, 16) == 0)
            return 1;
        if (memcmp(a, any, 16) == 0)
            return 2;
        /* An IPv4-mapped loopback, ::ffff:127.x.y.z. */
        static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (memcmp(a, mapped, 12) == 0 && a[12] == 127)
            return 1;
        return 0;
    }
    return 0;
}

static void policy_add(struct http_policy *p, const char *host, int port)
{
    if (p->nhosts == HTTP_MAX_HOSTS)
        return;
    char *dst = p->hosts[p->nhosts];
    int bracket = strchr(host, ':') != NULL; /* IPv6 literal */
    int n = snprintf(dst, HTTP_HOST_LEN, "%s%s%s:%d", bracket ? "[" : "", host, bracket ? "]" : "",
                     port);
    if (n < 0 || n >= HTTP_HOST_LEN)
        return;
    for (char *c = dst; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    for (size_t i = 0; i < p->nhosts; i++)
        if (strcmp(p->hosts[i], dst) == 0)
            return;
    p->nhosts++;
}

void http_policy_init(struct http_policy *p, const char *ip, int port, const char *token)
{
    memset(p, 0, sizeof *p);
    p->token = token && *token ? token : NULL;
    int kind = http_addr_kind(ip);
    if (kind == 2) {
        p->any_host = 1;
        return;
    }
    policy_add(p, ip, port);
    if (kind == 1) {
        policy_add(p, "127.0.0.1", port);
        policy_add(p, "localhost", port);
        policy_add(p, "::1", port);
    }
}

static int host_in_list(const struct http_policy *p, const char *host, size_t n)
{
    for (size_t i = 0; i < p->nhosts; i++) {
        const char *h = p->hosts[i];
        if (strlen(h) == n && strncasecmp(h, host, n) == 0)
            return 1;
        /* Port 80 may be left out of Host. */
        size_t hl = strlen(h);
        if (hl > 3 && strcmp(h + hl - 3, ":80") == 0 && hl - 3 == n && strncasecmp(h, host, n) == 0)
            return 1;
    }
    return 0;
}

/* Host names are short printable ASCII without spaces or slashes. */
static int host_syntax_ok(const char *host, size_t n)
{
    if (n == 0 || n >= HTTP_HOST_LEN * 4)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '\\')
            return 0;
    }
    return 1;
}

int http_host_ok(const struct http_policy *p, const char *host)
{
    if (!host)
        return 0;
    size_t n = strlen(host);
    if (!host_syntax_ok(host, n))
        return 0;
    return p->any_host || host_in_list(p, host, n);
}

int http_origin_ok(const struct http_policy *p, const char *origin)
{
    if (!origin)
        return 1;
    static const char scheme[] = "http://";
    if (strncasecmp(origin, scheme, sizeof scheme - 1) != 0)
        return 0; /* "null", https://, file:// ... */
    const char *h = origin + sizeof scheme - 1;
    size_t n = strlen(h);
    if (n > 0 && h[n - 1] == '/')
        n--;
    if (!host_syntax_ok(h, n))
        return 0;
    /* With a wildcard bind any host may be used, but the Origin must still
     * be a plain http origin; the token is what guards such a server. */
    return p->any_host || host_in_list(p, h, n);
}

int http_token_eq(const char *expected, const char *given)
{
    size_t le = strlen(expected), lg = strlen(given);
    unsigned char diff = (unsigned char)(le != lg);
    if (le == 0)
        return 0;
    /* Walk the given string whole, whatever the first mismatch: the time
     * depends on its length (which the client chose) and nothing else. */
    for (size_t i = 0; i < lg; i++)
        diff |= (unsigned char)(expected[i % le] ^ given[i]);
    return diff == 0;
}

int http_auth_ok(const struct http_policy *p, const char *authorization, const char *alt)
{
    if (!p->token)
        return 1;
    int ok = 0;
    if (authorization) {
        const char *a = authorization;
        while (*a == ' ')
            a++;
        if (strncasecmp(a, "bearer ", 7) == 0) {
            a += 7;
            while (*a == ' ')
                a++;
            size_t n = strlen(a);
            while (n > 0 && a[n - 1] == ' ')
                n--;
            char *t = xstrndup(a, n);
            ok = http_token_eq(p->token, t);
            free(t);
        }
    }
    if (!ok && alt)
        ok = http_token_eq(p->token, alt);
    return ok;
}

char *http_cookie_get(const char *header, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
            return xstrndup(p + nlen + 1, len - nlen - 1);
        p = end;
    }
    return NULL;
}

/* ---- header parsers ---------------------------------------------------------- */

/* Next comma-separated element of a header list: trims spaces; returns 0 at
 * the end. */
static int list_next(const char **s, const char **elem, size_t *n)
{
    const char *c = *s;
    while (*c == ' ' || *c == '\t' || *c == ',')
        c++;
    if (!*c)
        return 0;
    const char *start = c;
    int quoted = 0;
    while (*c && (quoted || *c != ',')) {
        if (*c == '"')
            quoted = !quoted;
        c++;
    }
    const char *end = c;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *elem = start;
    *n = (size_t)(end - start);
    *s = c;
    return 1;
}

int http_accepts_gzip(const char *accept_encoding)
{
    if (!accept_encoding)
        return 0;
    const char *s = accept_encoding, *e;
    size_t n;
    while (list_next(&s, &e, &n)) {
        const char *semi = memchr(e, ';', n);
        size_t tn = semi ? (size_t)(semi - e) : n;
        while (tn > 0 && (e[tn - 1] == ' ' || e[tn - 1] == '\t'))
            tn--;
        if (!((tn == 4 && strncasecmp(e, "gzip", 4) == 0) || (tn == 1 && e[0] == '*')))
            continue;
        if (!semi)
            return 1;
        /* q=0 (or 0.0, 0.000) refuses the coding. */
        const char *q = semi + 1, *end = e + n;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            q += 2;
            int nonzero = 0;
            for (; q < end && *q != ';'; q++)
                if (*q >= '1' && *q <= '9')
                    nonzero = 1;
            if (!nonzero)
                continue;
        }
        return 1;
    }
    return 0;
}

int http_etag_matches(const char *if_none_match, const char *etag)
{
    if (!if_none_match || !etag)
        return 0;
    const char *s = if_none_match, *e;
    size_t n;
    size_t el = strlen(etag);
    while (list_next(&s, &e, &n)) {
        if (n == 1 && e[0] == '*')
            return 1;
        if (n >= 2 && (e[0] == 'W' || e[0] == 'w') && e[1] == '/') {
            e += 2;
            n -= 2;
        }
        if (n == el && memcmp(e, etag, n) == 0)
            return 1;
    }
    return 0;
}

int http_media_is(const char *content_type, const char *type)
{
    if (!content_type)
        return 0;
    while (*content_type == ' ')
        content_type++;
    size_t n = strcspn(content_type, "; \t");
    return n == strlen(type) && strncasecmp(content_type, type, n) == 0;
}
