/*
 * test_api.c - the routes of api.c, called as functions: no socket, a real
 * store in a temporary directory.
 *
 * Each test builds a struct http_req by hand and runs it through
 * api_serve(), the same two steps (api_begin, api_handle) the server runs;
 * answers are parsed back with cJSON to check values, not spellings.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "server/api.h"
#include "store/store.h"

static char *api_dir;
static struct store *api_store;

static struct store *api_test_store(void *ctx, char *errbuf)
{
    (void)ctx;
    if (!api_store && store_open(api_dir, 0, &api_store, errbuf) != 0)
        return NULL;
    return api_store;
}

/* Close the store and delete its directory. */
static void api_env_done(void)
{
    if (api_store) {
        store_close(api_store);
        api_store = NULL;
    }
    if (api_dir)
        fixture_rm_rf(api_dir);
    free(api_dir);
    api_dir = NULL;
}

/* A fresh data directory and environment for each test. */
static void api_env_fresh(struct api_env *env, const char *token)
{
    api_env_done();
    api_dir = fixture_tmpdir("api");
    memset(env, 0, sizeof *env);
    http_policy_init(&env->policy, "127.0.0.1", 5000, token);
    env->store = api_test_store;
}

struct api_call {
    const char *method, *target, *body, *content_type, *host, *origin, *auth, *encoding;
    int chunked;
    struct http_framing framing; /* as the server glue fills it */
};

/* Run one request; returns the status, the answer in resp (caller frees). */
static int api_call(const struct api_env *env, struct api_call c, struct http_resp *resp)
{
    struct http_req r;
    memset(&r, 0, sizeof r);
    const char *query;
    char *path = http_split_target(c.target, &query);
    r.method = c.method ? c.method : "GET";
    r.path = path;
    r.query = query;
    r.host = c.host ? c.host : "127.0.0.1:5000";
    r.origin = c.origin;
    r.authorization = c.auth;
    r.content_type = c.body && !c.content_type ? "application/json" : c.content_type;
    r.content_encoding = c.encoding;
    r.body = c.body ? c.body : "";
    r.body_len = c.body ? strlen(c.body) : 0;
    r.content_length = c.body && !c.chunked ? (int64_t)r.body_len : -1;
    r.chunked = c.chunked;
    r.framing = c.framing;
    http_resp_init(resp);
    api_serve(env, &r, resp);
    free(path);
    return resp->status;
}

/* Status and parsed body of a request (caller deletes the tree). */
static cJSON *api_json(const struct api_env *env, struct api_call c, int *status)
{
    struct http_resp resp;
    *status = api_call(env, c, &resp);
    cJSON *j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
    http_resp_free(&resp);
    return j;
}

static double api_num(const cJSON *obj, const char *path)
{
    /* "a.b.c" through nested objects. */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = obj;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    return cur && cJSON_IsNumber(cur) ? cur->valuedouble : NAN;
}

static const char *api_message(const cJSON *j)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* The original dashboard's scenario, one second apart. */
static char *api_scenario(void)
{
    static const char *const ops[] = {
        "\"tool\":\"Read\",\"target\":\"test.py\",\"duration_ms\":150.5,"
        "\"optimization_applied\":true",
        "\"tool\":\"Read\",\"target\":\"large_file.py\",\"duration_ms\":3500",
        "\"tool\":\"Grep\",\"target\":\"pattern\",\"duration_ms\":250,"
        "\"optimization_applied\":true",
        "\"tool\":\"Bash\",\"target\":\"npm install\",\"duration_ms\":5500",
        "\"tool\":\"Write\",\"target\":\"output.txt\",\"duration_ms\":100,"
        "\"optimization_applied\":true",
    };
    struct buf b;
    buf_init(&b, 1 << 16);
    int64_t now = tpt_now_ms();
    buf_addc(&b, '[');
    for (int i = 0; i < 5; i++) {
        char ts[32];
        tpt_format_utc(now - (60 - i) * 1000, ts);
        buf_printf(&b, "%s{%s,\"timestamp\":\"%s\"}", i ? "," : "", ops[i], ts);
    }
    buf_addc(&b, ']');
    return buf_steal(&b, NULL);
}

static void test_scenario(void)
{
    struct api_env env;
    int st;
    api_env_fresh(&env, NULL);
    char *body = api_scenario();
    cJSON *j = api_json(
        &env,
        (struct api_call){.method = "POST", .target = "/api/performance/operations", .body = body},
        &st);
    free(body);
    ASSERT_EQ_INT(st, 200);
    ASSERT_EQ_DBL(api_num(j, "count"), 5, 0);
    ASSERT_EQ_DBL(api_num(j, "inserted"), 5, 0);
    cJSON_Delete(j);

    j = api_json(&env, (struct api_call){.target = "/api/performance/stats"}, &st);
    ASSERT_EQ_INT(st, 200);
    ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
    ASSERT_EQ_DBL(api_num(j, "data.total_operations"), 5, 0);
    ASSERT_EQ_DBL(api_num(j, "data.avg_duration_ms"), 1900.1, 1e-9);
    ASSERT_EQ_DBL(api_num(j, "data.slow_operations_count"), 2, 0);
    ASSERT_EQ_DBL(api_num(j, "data.optimization_rate"), 60.0, 1e-9);
    ASSERT_TRUE(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "resource_usage") != NULL);
    cJSON_Delete(j);

    j = api_json(&env, (struct api_call){.target = "/api/performance/slow-operations"}, &st);
    ASSERT_EQ_INT(st, 200);
    ASSERT_EQ_DBL(api_num(j, "count"), 2, 0);
    const cJSON *data = cJSON_GetObjectItem(j, "data");
    ASSERT_STREQ(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 0), "tool")->valuestring, "Bash");
    ASSERT_STREQ(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "tool")->valuestring, "Read");
    cJSON_Delete(j);

    j = api_json(&env, (struct api_call){.target = "/api/performance/tools"}, &st);
    ASSERT_EQ_INT(st, 200);
    ASSERT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 4);
    cJSON_Delete(j);
}

static void test_bad_params(void)
{
    static const struct {
        const char *target, *prefix;
    } cases[] = {
        {"/api/performance/slow-operations?threshold=abc", "threshold:"},
        {"/api/performance/slow-operations?limit=-1", "limit:"},
        {"/api/performance/slow-operations?limit=99999999999999999999999", "limit:"},
        {"/api/performance/slow-operations?limit=1&limit=1", "limit:"},
        {"/api/performance/trends?days=0", "days:"},
        {"/api/performance/trends?days=1000000", "days:"},
        {"/api/performance/stats?window=banana", "window"},
        {"/api/performance/stats?since=garbage", "since"},
        {"/api/performance/stats?what=1", "what:"},
        {"/api/performance/stats?tool=", "tool:"},
        {"/api/performance/hotspots?limit=1e3", "limit:"},
    };
    struct api_env env;
    api_env_fresh(&env, NULL);
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        int st;
        cJSON *j = api_json(&env, (struct api_call){.target = cases[i].target}, &st);
        ASSERT_MSG(st == 400, "%s: status %d", cases[i].target, st);
        const char *m = api_message(j);
        ASSERT_MSG(m && strncmp(m, cases[i].prefix, strlen(cases[i].prefix)) == 0,
                   "%s: message \"%s\" should start with \"%s\"", cases[i].target, m ? m : "",
                   cases[i].prefix);
        cJSON_Delete(j);
    }
}

static void test_post_validation(void)
{
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"[{\"tool\":\"Read\",\"duration_ms\":1},{\"tool\":\"Read\"}]",
         "operations[1]: duration_ms"},
        {"{\"tool\":\"Read\",\"duration_ms\":-5}", "operations[0]: duration_ms"},
        {"{\"duration_ms\":5}", "operations[0]: tool"},
        {"[1]", "operations[0]: not an object"},
        {"{\"operations\":{}}", "operations: must be an array"},
        {"\"x\"", "body: expected"},
        {"{\"tool\":", "body:"},
        {"", "body: empty"},
    };
    struct api_env env;
    api_env_fresh(&env, NULL);
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        int st;
        cJSON *j = api_json(&env,
                            (struct api_call){.method = "POST",
                                              .target = "/api/performance/operations",
                                              .body = cases[i].body},
                            &st);
        ASSERT_MSG(st == 400, "%s: status %d", cases[i].body, st);
        const char *m = api_message(j);
        ASSERT_MSG(m && strstr(m, cases[i].message), "%s: message \"%s\" should contain \"%s\"",
                   cases[i].body, m ? m : "", cases[i].message);
        cJSON_Delete(j);
    }
    /* Nothing of the rejected batches was stored. */
    int st;
    cJSON *j = api_json(&env, (struct api_call){.target = "/api/performance/resources"}, &st);
    ASSERT_EQ_DBL(api_num(j, "data.operations_stored"), 0, 0);
    cJSON_Delete(j);
}

static void test_policy_and_routing(void)
{
    struct api_env env;
    struct http_resp r;
    api_env_fresh(&env, NULL);
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/healthz", .host = "evil:5000"}, &r),
                  403);
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/api/performance/operations",
                                             .body = "{\"tool\":\"R\",\"duration_ms\":1}",
                                             .origin = "http://evil.example"},
                           &r),
                  403);
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/api/performance/nope"}, &r), 404);
    http_resp_free(&r);
    ASSERT_EQ_INT(
        api_call(&env, (struct api_call){.method = "DELETE", .target = "/api/performance/stats"},
                 &r),
        405);
    ASSERT_STREQ(r.headers[0].name, "Allow");
    ASSERT_STREQ(r.headers[0].value, "GET, HEAD");
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/"}, &r), 302);
    ASSERT_STREQ(r.headers[0].value, "/performance-profiling");
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/api/performance/operations",
                                             .body = "{}",
                                             .content_type = "text/plain"},
                           &r),
                  415);
    http_resp_free(&r);
    /* OTLP answers errors with a google.rpc.Status in the request's
     * encoding: JSON (with the envelope's fields) ... */
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/v1/logs",
                                             .body = "x",
                                             .content_type = "text/plain"},
                           &r),
                  415);
    ASSERT_STREQ(r.content_type, "application/json");
    ASSERT_STREQ(r.body.data, "{\"success\":false,\"code\":3,\"message\":\"Content-Type: "
                              "OTLP/HTTP takes application/json or application/x-protobuf\"}");
    http_resp_free(&r);
    /* ... or protobuf: {1: code 3, 2: message}. */
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/v1/logs",
                                             .body = "x",
                                             .content_type = "application/x-protobuf"},
                           &r),
                  400);
    ASSERT_STREQ(r.content_type, "application/x-protobuf");
    ASSERT_TRUE(r.body.len > 4 && memcmp(r.body.data, "\x08\x03\x12", 3) == 0);
    ASSERT_EQ_INT((unsigned char)r.body.data[3], r.body.len - 4);
    ASSERT_TRUE(memmem(r.body.data, r.body.len, "body: ", 6) != NULL);
    http_resp_free(&r);
}

static void test_token(void)
{
    struct api_env env;
    struct http_resp r;
    api_env_fresh(&env, "tok3n");
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/api/performance/stats"}, &r), 401);
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/metrics"}, &r), 401);
    http_resp_free(&r);
    ASSERT_EQ_INT(
        api_call(&env,
                 (struct api_call){.target = "/api/performance/stats", .auth = "Bearer tok3n"}, &r),
        200);
    http_resp_free(&r);
    ASSERT_EQ_INT(api_call(&env, (struct api_call){.target = "/healthz"}, &r), 200);
    http_resp_free(&r);
}

static void test_body_cap(void)
{
    struct api_env env;
    struct http_resp r;
    api_env_fresh(&env, NULL);
    size_t n = TP_MAX_BODY + 10;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/api/performance/operations",
                                             .body = big},
                           &r),
                  413);
    http_resp_free(&r);
    /* Chunked (no Content-Length): the cap applies to what arrived. */
    ASSERT_EQ_INT(api_call(&env,
                           (struct api_call){.method = "POST",
                                             .target = "/api/performance/operations",
                                             .body = big,
                                             .chunked = 1},
                           &r),
                  413);
    http_resp_free(&r);
    free(big);
}

/* The header value of name in an answer, or NULL. */
static const char *api_header(const struct http_resp *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* Ambiguous body framing is refused before anything else, with the
 * connection closed after the answer, and nothing is stored. */
static void test_framing_refused(void)
{
    static const char body[] = "{\"tool\":\"Read\",\"duration_ms\":5}";
    static const struct {
        struct http_framing framing;
        int chunked, status;
        const char *message;
    } cases[] = {
        {{.n_length = 2, .length = {"31", "5"}}, 0, 400, "different values (31 and 5)"},
        {{.n_length = 2, .length = {"31", NULL}}, 0, 400, "Content-Length given 2 times"},
        {{.n_length = 1, .length = {"31"}, .n_coding = 1, .coding = "chunked"},
         1,
         400,
         "Transfer-Encoding and Content-Length together"},
        {{.n_coding = 1, .coding = "gzip"}, 0, 501, "only chunked is supported"},
    };
    struct api_env env;
    api_env_fresh(&env, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_resp r;
        /* A foreign Host too: the framing is what is refused first. */
        int st = api_call(&env,
                          (struct api_call){.method = "POST",
                                            .target = "/api/performance/operations",
                                            .body = body,
                                            .host = i == 0 ? "evil.example:80" : NULL,
                                            .chunked = cases[i].chunked,
                                            .framing = cases[i].framing},
                          &r);
        cJSON *j = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
        const char *m = api_message(j);
        if (st != cases[i].status || !m || !strstr(m, cases[i].message))
            FAIL_("case %zu: %d \"%s\", expected %d \"%s\"", i, st, m ? m : "", cases[i].status,
                  cases[i].message);
        ASSERT_STREQ(api_header(&r, "Connection"), "close");
        cJSON_Delete(j);
        http_resp_free(&r);
    }
    int st;
    cJSON *j = api_json(&env, (struct api_call){.target = "/api/performance/resources"}, &st);
    ASSERT_EQ_DBL(api_num(j, "data.operations_stored"), 0, 0);
    cJSON_Delete(j);
    /* Chunked alone (as Claude Code sends OTLP) is stored. */
    j = api_json(&env,
                 (struct api_call){.method = "POST",
                                   .target = "/api/performance/operations",
                                   .body = body,
                                   .chunked = 1,
                                   .framing = {.n_coding = 1, .coding = "chunked"}},
                 &st);
    ASSERT_EQ_INT(st, 200);
    ASSERT_EQ_DBL(api_num(j, "inserted"), 1, 0);
    cJSON_Delete(j);
}

static void test_otlp(void)
{
    static const char body[] =
        "{\"resourceLogs\":[{\"resource\":{\"attributes\":[]},\"scopeLogs\":[{\"logRecords\":[{"
        "\"timeUnixNano\":\"%lld000000\",\"body\":{\"stringValue\":\"claude_code.tool_result\"},"
        "\"attributes\":[{\"key\":\"event.name\",\"value\":{\"stringValue\":\"tool_result\"}},"
        "{\"key\":\"tool_name\",\"value\":{\"stringValue\":\"Grep\"}},"
        "{\"key\":\"tool_use_id\",\"value\":{\"stringValue\":\"toolu_unit_otlp\"}},"
        "{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s1\"}},"
        "{\"key\":\"success\",\"value\":{\"stringValue\":\"true\"}},"
        "{\"key\":\"duration_ms\",\"value\":{\"stringValue\":\"2500\"}}]}]}]}]}";
    char text[sizeof body + 32];
    snprintf(text, sizeof text, body, (long long)tpt_now_ms() - 60000);
    struct api_env env;
    int st;
    api_env_fresh(&env, NULL);
    cJSON *j = api_json(
        &env, (struct api_call){.method = "POST", .target = "/v1/logs", .body = text}, &st);
    ASSERT_EQ_INT(st, 200);
    ASSERT_TRUE(cJSON_IsObject(j) && cJSON_GetArraySize(j) == 0);
    cJSON_Delete(j);
    j = api_json(&env, (struct api_call){.target = "/api/performance/slow-operations"}, &st);
    ASSERT_EQ_DBL(api_num(j, "count"), 1, 0);
    cJSON_Delete(j);
    j = api_json(
        &env, (struct api_call){.method = "POST", .target = "/v1/logs", .body = "not json"}, &st);
    ASSERT_EQ_INT(st, 400);
    cJSON_Delete(j);
}

/* The last test: removes the scratch data directory of the one before, and
 * its own (with the store open in it). */
static void test_cleanup(void)
{
    struct api_env env;
    api_env_fresh(&env, NULL);
    int st_code;
    cJSON *j = api_json(&env, (struct api_call){.target = "/api/performance/stats"}, &st_code);
    ASSERT_EQ_INT(st_code, 200);
    cJSON_Delete(j);
    char dir[sizeof api_dir];
    memcpy(dir, api_dir, sizeof dir);
    api_env_done();
    struct stat st;
    ASSERT_EQ_INT(stat(dir, &st), -1);
    ASSERT_EQ_INT(errno, ENOENT);
}

TEST_MAIN(TEST_CASE(test_scenario), TEST_CASE(test_bad_params), TEST_CASE(test_post_validation),
          TEST_CASE(test_policy_and_routing), TEST_CASE(test_token), TEST_CASE(test_body_cap),
          TEST_CASE(test_otlp), TEST_CASE(test_framing_refused), TEST_CASE(test_cleanup))
