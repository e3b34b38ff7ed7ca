/*
 * fuzz_query.c - libFuzzer target for the HTTP request parsers.
 *
 * Everything in a request line and its headers is the client's choice, so
 * the parsers of http.c must survive any bytes. The input is used as a
 * query string, and also as each header value the policy and the handlers
 * look at (Host, Origin, Authorization, Accept-Encoding, If-None-Match,
 * Content-Type). For the query parser the promises are checked: on success
 * at most TP_HTTP_MAX_PARAMS parameters, no two with the same name, every name
 * and value valid UTF-8 without NUL, and a lookup of each name finds it;
 * on failure a message and no parameters. A broken promise aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
 *     tests/fuzz/fuzz_query.c src/server/http.c src/core/buf.c src/core/jsonw.c \
 *     src/core/utf8.c src/core/xmalloc.c src/core/err.c -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_query(const char *s)
{
    struct http_query q;
    char errbuf[TP_ERR_MAX] = "";
    int rc = http_query_parse(s, &q, errbuf);
    if (rc != 0) {
        if (q.n != 0 || errbuf[0] == '\0')
            abort();
        return;
    }
    if (q.n > TP_HTTP_MAX_PARAMS)
        abort();
    for (size_t i = 0; i < q.n; i++) {
        const char *name = q.p[i].name, *value = q.p[i].value;
        if (!name[0] || !utf8_valid_text(name, strlen(name)) ||
            !utf8_valid_text(value, strlen(value)))
            abort();
        if (http_query_get(&q, name) != value)
            abort(); /* a duplicate name slipped through */
    }
    http_query_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* headers and targets never hold NUL: MHD cuts there */

    fuzz_check_query(s);

    struct http_policy loop, any;
    http_policy_init(&loop, "127.0.0.1", 5000, "secret-token");
    http_policy_init(&any, "0.0.0.0", 8080, "t");
    (void)http_host_ok(&loop, s);
    (void)http_host_ok(&any, s);
    (void)http_origin_ok(&loop, s);
    (void)http_origin_ok(&any, s);
    (void)http_auth_ok(&loop, s, s);
    (void)http_token_eq("secret-token", s);
    (void)http_accepts_gzip(s);
    (void)http_etag_matches(s, "\"0123456789abcdef\"");
    (void)http_media_is(s, "application/json");
    (void)http_addr_kind(s);

    const char *query;
    char *path = http_split_target(s, &query);
    if (query && (query < s || query > s + size))
        abort();
    free(path);
    free(s);
    return 0;
}
