/*
 * test_http.c - query strings, the security policy and header parsers.
 */
#include "fixture.h"

#include "core/err.h"
#include "core/limits.h"
#include "server/http.h"

static void test_query_ok(void)
{
    static const struct {
        const char *raw;
        size_t n;
        const char *name, *value; /* one parameter to look up */
    } cases[] = {
        {NULL, 0, "x", NULL},
        {"", 0, "x", NULL},
        {"threshold=2000&limit=50", 2, "limit", "50"},
        {"a=1&&b=2&", 2, "b", "2"},
        {"project=%2Fhome%2Fu%2Fmy+proj", 1, "project", "/home/u/my proj"},
        {"tool=mcp__x__y", 1, "tool", "mcp__x__y"},
        {"q=%C3%A9t%C3%A9", 1, "q", "\xc3\xa9t\xc3\xa9"},
        {"flag", 1, "flag", ""},
        {"token=abc#frag=1", 1, "token", "abc"},
        {"%74ool=Read", 1, "tool", "Read"},
        {"a=b=c", 1, "a", "b=c"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct http_query q;
        char errbuf[TP_ERR_MAX] = "";
        ASSERT_EQ_INT(http_query_parse(cases[i].raw, &q, errbuf), 0);
        ASSERT_EQ_INT(q.n, cases[i].n);
        const char *v = http_query_get(&q, cases[i].name);
        if (cases[i].value)
            ASSERT_STREQ(v, cases[i].value);
        else
            ASSERT_TRUE(v == NULL);
        http_query_free(&q);
    }
}

static void test_query_bad(void)
{
    static const struct {
        const char *raw, *message;
    } cases[] = {
        {"limit=1&limit=2", "limit: given more than once"},
        {"limit=1&%6cimit=2", "limit: given more than once"},
        {"x=%zz", "x: bad percent-encoding"},
        {"x=%4", "x: bad percent-encoding"},
        {"x=%", "x: bad percent-encoding"},
        {"x=%ff%fe", "x: bad percent-encoding or not UTF-8"},
        {"x=a%00b", "x: bad percent-encoding or not UTF-8"},
        {"=5", "query: a parameter without a name"},
        {"a%zz=1", "a%zz: bad percent-encoding"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct http_query q;
        char errbuf[TP_ERR_MAX] = "";
        ASSERT_EQ_INT(http_query_parse(cases[i].raw, &q, errbuf), TP_EINVAL);
        ASSERT_EQ_INT(q.n, 0);
        ASSERT_CONTAINS(errbuf, cases[i].message);
    }
}

static void test_query_too_many(void)
{
    char raw[1024] = "";
    for (int i = 0; i <= TP_HTTP_MAX_PARAMS; i++)
        snprintf(raw + strlen(raw), sizeof raw - strlen(raw), "p%d=1&", i);
    struct http_query q;
    char errbuf[TP_ERR_MAX] = "";
    ASSERT_EQ_INT(http_query_parse(raw, &q, errbuf), TP_EINVAL);
    ASSERT_CONTAINS(errbuf, "more than 32 parameters");
}

static void test_split_target(void)
{
    const char *q;
    char *p = http_split_target("/api/performance/stats?window=7d", &q);
    ASSERT_STREQ(p, "/api/performance/stats");
    ASSERT_STREQ(q, "window=7d");
    free(p);
    p = http_split_target("/healthz", &q);
    ASSERT_STREQ(p, "/healthz");
    ASSERT_TRUE(q == NULL);
    free(p);
}

static void test_addr_kind(void)
{
    ASSERT_EQ_INT(http_addr_kind("127.0.0.1"), 1);
    ASSERT_EQ_INT(http_addr_kind("127.1.2.3"), 1);
    ASSERT_EQ_INT(http_addr_kind("::1"), 1);
    ASSERT_EQ_INT(http_addr_kind("::ffff:127.0.0.1"), 1);
    ASSERT_EQ_INT(http_addr_kind("0.0.0.0"), 2);
    ASSERT_EQ_INT(http_addr_kind("::"), 2);
    ASSERT_EQ_INT(http_addr_kind("192.168.1.5"), 0);
    ASSERT_EQ_INT(http_addr_kind("localhost"), 0);
}

static void test_host_policy(void)
{
    struct http_policy p;
    http_policy_init(&p, "127.0.0.1", 5000, NULL);
    static const struct {
        const char *host;
        int ok;
    } loop[] = {
        {"127.0.0.1:5000", 1},
        {"localhost:5000", 1},
        {"LOCALHOST:5000", 1},
        {"[::1]:5000", 1},
        {"127.0.0.1:5001", 0},
        {"evil.example:5000", 0},
        {"127.0.0.1", 0},
        {"", 0},
        {NULL, 0},
        {"localhost:5000/", 0},
        {"a@localhost:5000", 0},
    };
    FOR_EACH_ROW(i, sizeof loop / sizeof loop[0])
    {
        ASSERT_MSG(http_host_ok(&p, loop[i].host) == loop[i].ok, "host %s: expected %d",
                   loop[i].host ? loop[i].host : "(null)", loop[i].ok);
    }

    http_policy_init(&p, "192.168.1.5", 8080, "t");
    ASSERT_EQ_INT(http_host_ok(&p, "192.168.1.5:8080"), 1);
    ASSERT_EQ_INT(http_host_ok(&p, "localhost:8080"), 0);

    http_policy_init(&p, "0.0.0.0", 80, "t");
    ASSERT_EQ_INT(http_host_ok(&p, "anything.example"), 1);
    ASSERT_EQ_INT(http_host_ok(&p, "bad host"), 0);

    http_policy_init(&p, "10.0.0.1", 80, "t");
    ASSERT_EQ_INT(http_host_ok(&p, "10.0.0.1"), 1); /* port 80 may be left out */
}

static void test_origin_policy(void)
{
    struct http_policy p;
    http_policy_init(&p, "127.0.0.1", 5000, NULL);
    ASSERT_EQ_INT(http_origin_ok(&p, NULL), 1);
    ASSERT_EQ_INT(http_origin_ok(&p, "http://127.0.0.1:5000"), 1);
    ASSERT_EQ_INT(http_origin_ok(&p, "http://localhost:5000"), 1);
    ASSERT_EQ_INT(http_origin_ok(&p, "http://localhost:3000"), 0);
    ASSERT_EQ_INT(http_origin_ok(&p, "https://127.0.0.1:5000"), 0);
    ASSERT_EQ_INT(http_origin_ok(&p, "http://evil.example"), 0);
    ASSERT_EQ_INT(http_origin_ok(&p, "null"), 0);
}

static void test_tokens(void)
{
    ASSERT_EQ_INT(http_token_eq("secret", "secret"), 1);
    ASSERT_EQ_INT(http_token_eq("secret", "secreT"), 0);
    ASSERT_EQ_INT(http_token_eq("secret", "secret2"), 0);
    ASSERT_EQ_INT(http_token_eq("secret", "secre"), 0);
    ASSERT_EQ_INT(http_token_eq("secret", ""), 0);
    ASSERT_EQ_INT(http_token_eq("", ""), 0);

    struct http_policy p;
    http_policy_init(&p, "127.0.0.1", 5000, "s3cret");
    ASSERT_EQ_INT(http_auth_ok(&p, "Bearer s3cret", NULL), 1);
    ASSERT_EQ_INT(http_auth_ok(&p, "bearer  s3cret ", NULL), 1);
    ASSERT_EQ_INT(http_auth_ok(&p, "Basic s3cret", NULL), 0);
    ASSERT_EQ_INT(http_auth_ok(&p, "Bearer nope", NULL), 0);
    ASSERT_EQ_INT(http_auth_ok(&p, NULL, NULL), 0);
    ASSERT_EQ_INT(http_auth_ok(&p, NULL, "s3cret"), 1);
    http_policy_init(&p, "127.0.0.1", 5000, NULL);
    ASSERT_EQ_INT(http_auth_ok(&p, NULL, NULL), 1);
}

static void test_accept_gzip(void)
{
    static const struct {
        const char *v;
        int ok;
    } cases[] = {
        {NULL, 0},
        {"gzip", 1},
        {"gzip, deflate, br", 1},
        {"br;q=1.0, gzip;q=0.8", 1},
        {"gzip;q=0", 0},
        {"gzip; q=0.000", 0},
        {"deflate", 0},
        {"*", 1},
        {"x-gzip", 0},
        {"GZIP", 1},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    ASSERT_MSG(http_accepts_gzip(cases[i].v) == cases[i].ok, "Accept-Encoding %s: expected %d",
               cases[i].v ? cases[i].v : "(null)", cases[i].ok);
}

static void test_etag(void)
{
    const char *e = "\"abc123\"";
    ASSERT_EQ_INT(http_etag_matches("\"abc123\"", e), 1);
    ASSERT_EQ_INT(http_etag_matches("W/\"abc123\"", e), 1);
    ASSERT_EQ_INT(http_etag_matches("\"x\", \"abc123\"", e), 1);
    ASSERT_EQ_INT(http_etag_matches("*", e), 1);
    ASSERT_EQ_INT(http_etag_matches("\"abc124\"", e), 0);
    ASSERT_EQ_INT(http_etag_matches("abc123", e), 0);
    ASSERT_EQ_INT(http_etag_matches(NULL, e), 0);
}

static void test_media(void)
{
    ASSERT_EQ_INT(http_media_is("application/json", "application/json"), 1);
    ASSERT_EQ_INT(http_media_is("Application/JSON; charset=utf-8", "application/json"), 1);
    ASSERT_EQ_INT(http_media_is("application/jsonx", "application/json"), 0);
    ASSERT_EQ_INT(http_media_is("text/plain", "application/json"), 0);
    ASSERT_EQ_INT(http_media_is(NULL, "application/json"), 0);
}

static void test_error_envelope(void)
{
    struct http_resp r;
    http_resp_init(&r);
    http_resp_error(&r, 400, "limit: must be an integer from %d to %d", 1, 10000);
    ASSERT_EQ_INT(r.status, 400);
    ASSERT_STREQ(r.content_type, HTTP_JSON);
    ASSERT_STREQ(r.body.data,
                 "{\"success\":false,\"message\":\"limit: must be an integer from 1 to 10000\"}");
    /* Messages are JSON-escaped and HTML-safe. */
    http_resp_error(&r, 404, "no such path: %s", "/<x>\"");
    ASSERT_STREQ(r.body.data, "{\"success\":false,\"message\":\"no such path: "
                              "/\\u003cx\\u003e\\\"\"}");
    http_resp_free(&r);
}

/* A table of header sets: each line "Name: value", as MHD splits them. */
struct framing_case {
    const char *lines[4];
    int want;            /* 0, TP_EINVAL or TP_EUNSUPP */
    const char *message; /* a part of the reason */
};

static void test_framing(void)
{
    static const struct framing_case cases[] = {
        {{NULL}, 0, NULL},
        {{"Host", "x", "Content-Type", "application/json"}, 0, NULL},
        {{"Content-Length", "31"}, 0, NULL},
        {{"Transfer-Encoding", "chunked"}, 0, NULL},
        {{"transfer-encoding", "Chunked"}, 0, NULL},
        /* The two smuggling shapes. */
        {{"Content-Length", "31", "Content-Length", "5"},
         TP_EINVAL,
         "Content-Length given 2 times with different values (31 and 5)"},
        {{"Transfer-Encoding", "chunked", "Content-Length", "31"},
         TP_EINVAL,
         "Transfer-Encoding and Content-Length together"},
        {{"content-length", "4", "TRANSFER-ENCODING", "chunked"},
         TP_EINVAL,
         "Transfer-Encoding and Content-Length together"},
        /* Identical copies are refused too (see http_framing_check). */
        {{"Content-Length", "31", "Content-Length", "31"},
         TP_EINVAL,
         "Content-Length given 2 times: send it once"},
        {{"Transfer-Encoding", "chunked", "Transfer-Encoding", "identity"},
         TP_EINVAL,
         "Transfer-Encoding given 2 times"},
        {{"Transfer-Encoding", "gzip, chunked"},
         TP_EUNSUPP,
         "Transfer-Encoding: gzip, chunked: only chunked is supported"},
        {{"Transfer-Encoding", "xchunked"}, TP_EUNSUPP, "only chunked"},
        {{"Content-Length ", "31"}, TP_EINVAL, "a space or tab before the colon"},
        {{"X-A\tB", "1"}, TP_EINVAL, "a space or tab before the colon"},
        /* A control character in a value is shown as '?'. */
        {{"Transfer-Encoding", "a\x01"
                               "b"},
         TP_EUNSUPP,
         "Transfer-Encoding: a?b:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct framing_case *c = &cases[i];
        struct http_framing f;
        memset(&f, 0, sizeof f);
        for (size_t k = 0; k + 1 < 4 && c->lines[k]; k += 2)
            http_framing_add(&f, c->lines[k], c->lines[k + 1]);
        char err[TP_ERR_MAX] = "";
        int rc = http_framing_check(&f, err);
        if (rc != c->want)
            FAIL_("case %zu: got %d (%s), expected %d", i, rc, err, c->want);
        if (c->message)
            ASSERT_CONTAINS(err, c->message);
    }
    /* Three copies, the third one different: all counted, the first two
     * different values shown. */
    struct http_framing f;
    memset(&f, 0, sizeof f);
    http_framing_add(&f, "Content-Length", "1");
    http_framing_add(&f, "Content-Length", "1");
    http_framing_add(&f, "Content-Length", "2");
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(http_framing_check(&f, err), TP_EINVAL);
    ASSERT_STREQ(err, "Content-Length given 3 times with different values (1 and 2): the body's "
                      "length is ambiguous");
}

TEST_MAIN(TEST_CASE(test_query_ok), TEST_CASE(test_query_bad), TEST_CASE(test_query_too_many),
          TEST_CASE(test_split_target), TEST_CASE(test_addr_kind), TEST_CASE(test_host_policy),
          TEST_CASE(test_origin_policy), TEST_CASE(test_tokens), TEST_CASE(test_accept_gzip),
          TEST_CASE(test_etag), TEST_CASE(test_media), TEST_CASE(test_error_envelope),
          TEST_CASE(test_framing))
