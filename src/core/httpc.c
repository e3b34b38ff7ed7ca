/*
 * httpc.c - an HTTP client over libcurl, loaded with dlopen() (httpc.h).
 *
 * The functions of libcurl that toolprof calls are resolved once into a
 * table (the same pattern as server/mhd.c). The types and option numbers
 * come from <curl/curl.h> at build time; the library is Debian's libcurl4
 * (7.88), whose ABI (soname libcurl.so.4) has been stable since 2006.
 * curl_easy_setopt() and curl_easy_getinfo() are variadic, which calling
 * through a pointer of the same type keeps.
 *
 * A connection keeps its CURL handle between requests, so keep-alive
 * connections are reused (ClickHouse answers hundreds of small queries a
 * second on one). Every request resets the handle's options first: nothing
 * of one request leaks into the next.
 */
#include "core/httpc.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

#define HTTPC_DEFAULT_TIMEOUT_MS 60000L
#define HTTPC_DEFAULT_CONNECT_MS 5000L
#define HTTPC_DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)

static struct {
    void *handle;
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    void (*easy_reset)(CURL *curl);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    int rc; /* of the one load */
    char err[TP_ERR_MAX];
} lib;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

struct httpc_sym {
    const char *name;
    void *slot;
};

static void lib_load(void)
{
    void *h = dlopen(HTTPC_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        lib.rc = tp_fail(lib.err, TP_EUNSUPP,
                         HTTPC_LIB_SONAME " not found: apt-get install libcurl4 (%s)",
                         why ? why : "dlopen failed");
        return;
    }
    const struct httpc_sym syms[] = {
        {"curl_global_init", &lib.global_init},   {"curl_easy_init", &lib.easy_init},
        {"curl_easy_setopt", &lib.easy_setopt},   {"curl_easy_perform", &lib.easy_perform},
        {"curl_easy_getinfo", &lib.easy_getinfo}, {"curl_easy_cleanup", &lib.easy_cleanup},
        {"curl_easy_reset", &lib.easy_reset},     {"curl_easy_strerror", &lib.easy_strerror},
        {"curl_slist_append", &lib.slist_append}, {"curl_slist_free_all", &lib.slist_free_all},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            dlclose(h);
            lib.rc = tp_fail(lib.err, TP_EUNSUPP, HTTPC_LIB_SONAME " has no %s", syms[i].name);
            return;
        }
        /* POSIX's way from void * to a function pointer (see mhd.c). */
        memcpy(syms[i].slot, &p, sizeof p);
    }
    if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        dlclose(h);
        lib.rc = tp_fail(lib.err, TP_EUNSUPP, "libcurl failed to initialise");
        return;
    }
    /* Never unloaded: libcurl's global state lives as long as the process. */
    lib.handle = h;
}

int httpc_load(char *errbuf)
{
    pthread_once(&lib_once, lib_load);
    if (lib.rc)
        return tp_fail(errbuf, lib.rc, "%s", lib.err);
    return 0;
}

struct httpc {
    CURL *curl;
    char err[CURL_ERROR_SIZE];
};

struct httpc *httpc_new(char *errbuf)
{
    if (httpc_load(errbuf) != 0)
        return NULL;
    struct httpc *c = xcalloc(1, sizeof *c);
    c->curl = lib.easy_init();
    if (!c->curl) {
        free(c);
        tp_fail(errbuf, TP_EIO, "libcurl: cannot create a handle");
        return NULL;
    }
    return c;
}

void httpc_free(struct httpc *c)
{
    if (!c)
        return;
    lib.easy_cleanup(c->curl);
    free(c);
}

struct sink {
    const struct httpc_req *r;
    CURL *curl;
    struct buf *resp;
    size_t max, got;
    int stopped, too_big;
    int status_known, ok; /* the status was looked at; it is 2xx */
};

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *k = ud;
    size_t n = size * nmemb;
    if (!k->status_known) {
        long st = 0;
        lib.easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &st);
        k->status_known = 1;
        k->ok = st >= 200 && st < 300;
    }
    /* Only a successful answer is streamed: an error's body is a message,
     * kept for the caller. */
    if (k->r->on_data && k->ok) {
        if (k->r->on_data(k->r->ctx, p, n)) {
            k->stopped = 1;
            return 0; /* CURLE_WRITE_ERROR ends the transfer */
        }
        return n;
    }
    if (k->got + n > k->max || (k->resp && buf_add(k->resp, p, n) != 0)) {
        k->too_big = 1;
        return 0;
    }
    k->got += n;
    return n;
}

int httpc_do(struct httpc *c, const struct httpc_req *r, long *status, struct buf *resp,
             int *stopped, char *errbuf)
{
    CURL *h = c->curl;
    struct sink k = {r, h, resp, r->max_body ? r->max_body : HTTPC_DEFAULT_MAX_BODY, 0, 0, 0, 0, 0};
    struct curl_slist *hdrs = NULL;
    lib.easy_reset(h);
    c->err[0] = '\0';
    lib.easy_setopt(h, CURLOPT_URL, r->url);
    lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    lib.easy_setopt(h, CURLOPT_ERRORBUFFER, c->err);
    lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    lib.easy_setopt(h, CURLOPT_WRITEDATA, &k);
    lib.easy_setopt(h, CURLOPT_TIMEOUT_MS,
                    r->timeout_ms ? r->timeout_ms : HTTPC_DEFAULT_TIMEOUT_MS);
    lib.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                    r->connect_timeout_ms ? r->connect_timeout_ms : HTTPC_DEFAULT_CONNECT_MS);
    lib.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* A CA bundle of one's own (a team server's private CA), when given. */
    const char *ca = getenv("TOOLPROF_CA_FILE");
    if (ca && *ca)
        lib.easy_setopt(h, CURLOPT_CAINFO, ca);
    if (r->user) {
        lib.easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        lib.easy_setopt(h, CURLOPT_USERNAME, r->user);
        lib.easy_setopt(h, CURLOPT_PASSWORD, r->password ? r->password : "");
    }
    for (size_t i = 0; i < HTTPC_MAX_HEADERS && r->headers[i]; i++)
        hdrs = lib.slist_append(hdrs, r->headers[i]);
    /* No "Expect: 100-continue" round trip before large bodies. */
    hdrs = lib.slist_append(hdrs, "Expect:");
    lib.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (r->body) {
        lib.easy_setopt(h, CURLOPT_POST, 1L);
        lib.easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        lib.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else {
        lib.easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    CURLcode cc = lib.easy_perform(h);
    lib.slist_free_all(hdrs);
    if (stopped)
        *stopped = k.stopped;
    if (k.stopped && cc == CURLE_WRITE_ERROR) {
        *status = 0;
        lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        return 0;
    }
    if (k.too_big)
        return tp_fail(errbuf, TP_ETOOBIG, "%s: the answer is over %zu bytes", r->url, k.max);
    if (cc != CURLE_OK)
        return tp_fail(errbuf, TP_EIO, "%s", c->err[0] ? c->err : lib.easy_strerror(cc));
    *status = 0;
    lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int httpc_unescape(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '%') {
            if (n - i < 3)
                return TP_EINVAL;
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return TP_EINVAL;
            ch = hi * 16 + lo;
            i += 2;
        }
        if (ch == 0 || o + 1 >= size)
            return TP_EINVAL;
        out[o++] = (char)ch;
    }
    if (o >= size)
        return TP_EINVAL;
    out[o] = '\0';
    return 0;
}
