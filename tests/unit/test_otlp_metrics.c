/*
 * test_otlp_metrics.c - OTLP metrics as a session's usage: the counters
 * Claude Code 2.1.332 exported in the recorded session
 * (tests/data/recorded/otlp) against what its own api_request events and
 * llm_request spans said, request by request; and the rules for readings
 * (delta summed, a reading sent again counted once, cumulative counters'
 * latest reading, what is ignored and what is refused).
 *
 * The recorded figures were added up by hand from the JSON bodies (the
 * token.usage and cost.usage points of 02..31-metrics.json, and the
 * api_request events of the logs): claude-sonnet-4-5 2,000 input and 400
 * output tokens for $0.012, claude-haiku-5-5 100 and 20 for $0.00002.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "core/err.h"
#include "engine/sessions.h"
#include "ingest/otlp.h"
#include "store/store.h"

static const int64_t NOW = 1893456000000LL; /* 2030-01-01, after the recording */
static const char *const SESSION = "68f997f7-a9b1-4d13-a1eb-cbc0be960b77";

/* Decode one body, map it and store what it gave; the counts back. */
static void ingest(struct store *s, struct otlp_joins *joins, enum otlp_signal sig,
                   enum otlp_encoding enc, const char *body, size_t n, struct otlp_counts *cp)
{
    struct otlp_batch b;
    struct otlp_out out;
    struct otlp_counts c;
    char err[TP_ERR_MAX];
    if (otlp_decode(sig, enc, body, n, &b, err) != 0)
        FAIL_("decode: %s", err);
    ASSERT_EQ_INT(otlp_map(&b, NOW, joins, &out, &c, err), 0);
    struct store_group g = {.ops = out.ops,
                            .n = out.nops,
                            .turns = out.turns,
                            .nturns = out.nturns,
                            .reqs = out.reqs,
                            .nreqs = out.nreqs,
                            .usage = out.usage,
                            .nusage = out.nusage};
    if (store_insert_groups(s, &g, 1, err) != 0)
        FAIL_("store: %s", err);
    otlp_out_free(&out);
    otlp_batch_free(&b);
    if (cp)
        *cp = c;
}

static void ingest_file(struct store *s, struct otlp_joins *joins, const char *file)
{
    char rel[128], *body;
    size_t n;
    snprintf(rel, sizeof rel, "recorded/otlp/%s", file);
    FIXTURE_READ_DATA(body, rel, &n);
    enum otlp_signal sig = strstr(file, "-logs")     ? OTLP_LOGS
                           : strstr(file, "-traces") ? OTLP_TRACES
                                                     : OTLP_METRICS;
    enum otlp_encoding enc = strstr(file, ".bin") ? OTLP_PROTOBUF : OTLP_JSON;
    ingest(s, joins, sig, enc, body, n, NULL);
    free(body);
}

/* A model's row of the session's usage, or NULL. */
static const struct usage_by_model *model_usage(const struct session_item *it, const char *model)
{
    for (size_t i = 0; i < it->nusage_models; i++)
        if (it->usage_models[i].model && strcmp(it->usage_models[i].model, model) == 0)
            return &it->usage_models[i];
    return NULL;
}

struct req_tokens {
    int64_t in[2], out[2];
    double cost[2];
};

static int add_req(void *ctx, const struct request *r)
{
    struct req_tokens *t = ctx;
    int k = r->model && strcmp(r->model, "claude-haiku-5-5") == 0;
    t->in[k] += r->input_tokens > 0 ? r->input_tokens : 0;
    t->out[k] += r->output_tokens > 0 ? r->output_tokens : 0;
    t->cost[k] += isnan(r->cost_usd) ? 0 : r->cost_usd;
    return 0;
}

static void test_recorded_session(void)
{
    static const char *const json_files[] = {
        "01-logs.json",    "02-metrics.json", "03-logs.json",    "04-logs.json",
        "05-metrics.json", "06-logs.json",    "07-logs.json",    "08-metrics.json",
        "09-logs.json",    "10-logs.json",    "11-metrics.json", "12-logs.json",
        "13-traces.json",  "14-logs.json",    "15-metrics.json", "16-traces.json",
        "17-logs.json",    "18-metrics.json", "23-logs.json",    "24-metrics.json",
        "25-logs.json",    "26-metrics.json", "27-logs.json",    "28-metrics.json",
        "29-traces.json",  "30-logs.json",    "31-metrics.json"};
    char *dir = fixture_tmpdir("otlpmetrics");
    struct store *s = fixture_store_open(dir);
    struct otlp_joins *joins = otlp_joins_new();
    for (size_t i = 0; i < sizeof json_files / sizeof json_files[0]; i++)
        ingest_file(s, joins, json_files[i]);

    struct session_detail d;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_session(s, SESSION, &d, err), 0);
    const struct session_item *it = &d.s;
    const struct usage_by_model *son = model_usage(it, "claude-sonnet-4-5");
    const struct usage_by_model *hai = model_usage(it, "claude-haiku-5-5");
    ASSERT_TRUE(son && hai);
    ASSERT_EQ_DBL(son->v[USAGE_TOKENS_INPUT], 2000, 0);
    ASSERT_EQ_DBL(son->v[USAGE_TOKENS_OUTPUT], 400, 0);
    ASSERT_EQ_DBL(son->v[USAGE_TOKENS_CACHE_READ], 0, 0);
    ASSERT_EQ_DBL(son->v[USAGE_COST_USD], 0.012, 1e-12);
    ASSERT_EQ_DBL(hai->v[USAGE_TOKENS_INPUT], 100, 0);
    ASSERT_EQ_DBL(hai->v[USAGE_TOKENS_OUTPUT], 20, 0);
    ASSERT_EQ_DBL(hai->v[USAGE_COST_USD], 0.00002, 1e-12);
    /* Lines and active time come without a model: 5 added, 1 removed
     * (08-metrics); the cli's active time of 15, 18, 24, 26, 28 and 31,
     * the person's of 24 and 31. */
    ASSERT_EQ_DBL(it->usage[USAGE_LINES_ADDED], 5, 0);
    ASSERT_EQ_DBL(it->usage[USAGE_LINES_REMOVED], 1, 0);
    ASSERT_EQ_DBL(it->usage[USAGE_ACTIVE_CLI_S], 4.664 + 0.172 + 0.125 + 0.119 + 0.209 + 0.039,
                  1e-9);
    ASSERT_EQ_DBL(it->usage[USAGE_ACTIVE_USER_S], 0.669 + 3.504, 1e-9);
    ASSERT_EQ_DBL(it->usage[USAGE_TOKENS_INPUT], 2100, 0);

    /* The same session's model requests, as its events and spans
     * reported them one by one, add up to the counters. */
    struct req_tokens t = {{0, 0}, {0, 0}, {0, 0}};
    ASSERT_EQ_INT(store_requests(s, store_str_id(s, SESSION), 0, 0, add_req, &t), 0);
    ASSERT_EQ_INT(t.in[0], 2000);
    ASSERT_EQ_INT(t.out[0], 400);
    ASSERT_EQ_INT(t.in[1], 100);
    ASSERT_EQ_INT(t.out[1], 20);
    ASSERT_EQ_DBL(t.cost[0] + t.cost[1], 0.012 + 0.00002, 1e-9);
    /* The requests gave tokens: the session's figures are theirs. */
    ASSERT_STREQ(it->tokens_from, "requests");
    ASSERT_EQ_INT(it->input_tokens, 2100);
    session_detail_free(&d);

    /* Every metrics body sent again: nothing changes. */
    for (size_t i = 0; i < sizeof json_files / sizeof json_files[0]; i++)
        if (strstr(json_files[i], "-metrics"))
            ingest_file(s, joins, json_files[i]);
    ASSERT_EQ_INT(engine_session(s, SESSION, &d, err), 0);
    ASSERT_EQ_DBL(d.s.usage[USAGE_TOKENS_INPUT], 2100, 0);
    ASSERT_EQ_DBL(d.s.usage[USAGE_COST_USD], 0.01202, 1e-12);
    session_detail_free(&d);

    /* The third run sent protobuf: with it, the counters and the requests
     * still agree, model by model. */
    static const char *const pb_files[] = {"19-logs.bin", "20-traces.bin", "21-logs.bin",
                                           "22-metrics.bin"};
    for (size_t i = 0; i < 4; i++)
        ingest_file(s, joins, pb_files[i]);
    struct req_tokens t2 = {{0, 0}, {0, 0}, {0, 0}};
    ASSERT_EQ_INT(store_requests(s, store_str_id(s, SESSION), 0, 0, add_req, &t2), 0);
    ASSERT_TRUE(t2.in[0] > 2000); /* the run added requests */
    ASSERT_EQ_INT(engine_session(s, SESSION, &d, err), 0);
    son = model_usage(&d.s, "claude-sonnet-4-5");
    hai = model_usage(&d.s, "claude-haiku-5-5");
    ASSERT_TRUE(son && hai);
    ASSERT_EQ_DBL(son->v[USAGE_TOKENS_INPUT], (double)t2.in[0], 0);
    ASSERT_EQ_DBL(son->v[USAGE_TOKENS_OUTPUT], (double)t2.out[0], 0);
    ASSERT_EQ_DBL(hai->v[USAGE_TOKENS_INPUT], (double)t2.in[1], 0);
    ASSERT_EQ_DBL(hai->v[USAGE_TOKENS_OUTPUT], (double)t2.out[1], 0);
    ASSERT_EQ_DBL(son->v[USAGE_COST_USD] + hai->v[USAGE_COST_USD], t2.cost[0] + t2.cost[1], 1e-9);
    session_detail_free(&d);

    otlp_joins_free(joins);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* A metrics body of one Sum with the given points (JSON), for session s. */
static char *sum_body(const char *metric, int temporality, const char *points)
{
    char *b = malloc(8192);
    if (!b)
        abort();
    int n =
        snprintf(b, 8192,
                 "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
                 "\"value\":{\"stringValue\":\"claude-code\"}}]},\"scopeMetrics\":[{\"metrics\":[{"
                 "\"name\":\"%s\",\"sum\":{\"aggregationTemporality\":%d,\"isMonotonic\":true,"
                 "\"dataPoints\":[%s]}}]}]}]}",
                 metric, temporality, points);
    if (n <= 0 || n >= 8192)
        abort();
    return b;
}

#define PT(sess, type, start, time, v)                                                             \
    "{\"attributes\":[{\"key\":\"session.id\",\"value\":{\"stringValue\":\"" sess "\"}},"          \
    "{\"key\":\"model\",\"value\":{\"stringValue\":\"m1\"}},{\"key\":\"type\",\"value\":{"         \
    "\"stringValue\":\"" type "\"}}],\"startTimeUnixNano\":\"" start "\",\"timeUnixNano\":\"" time \
    "\",\"asDouble\":" v "}"

static void put_body(struct store *s, char *body, struct otlp_counts *c)
{
    ingest(s, NULL, OTLP_METRICS, OTLP_JSON, body, strlen(body), c);
    free(body);
}

/* A session's usage total of m (NAN: no reading). */
static void session_usage(struct store *s, const char *sid, enum usage_metric m, double *v)
{
    struct session_detail d;
    char err[TP_ERR_MAX];
    if (engine_session(s, sid, &d, err) != 0)
        FAIL_("session %s: %s", sid, err);
    *v = d.s.usage[m];
    session_detail_free(&d);
}

static void put_call(struct store *s, const char *sid)
{
    struct op op;
    op_init(&op);
    op.tool = strdup("Read");
    op.session_id = strdup(sid);
    op.ts_ms = 1764000000000LL;
    op.duration_ms = 5;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    if (store_insert(s, &op, 1, NULL, NULL, err) != 0)
        FAIL_("store: %s", err);
    op_clear(&op);
}

static void test_reading_rules(void)
{
    char *dir = fixture_tmpdir("otlpmetrics");
    struct store *s = fixture_store_open(dir);
    struct otlp_counts c;
    double v;
    /* A session exists once it has a call: give each one. */
    put_call(s, "sess-delta");
    put_call(s, "sess-cumul");
    put_call(s, "sess-none");

    /* Delta: two intervals add; the first sent again counts once. */
    put_body(s,
             sum_body("claude_code.token.usage", 1,
                      PT("sess-delta", "input", "1764000000000000000", "1764000060000000000",
                         "100") "," PT("sess-delta", "input", "1764000060000000000",
                                       "1764000120000000000", "50")),
             &c);
    ASSERT_EQ_INT(c.used, 2);
    put_body(
        s,
        sum_body("claude_code.token.usage", 1,
                 PT("sess-delta", "input", "1764000000000000000", "1764000060000000000", "100")),
        &c);
    session_usage(s, "sess-delta", USAGE_TOKENS_INPUT, &v);
    ASSERT_EQ_DBL(v, 150, 0);

    /* Cumulative: the latest reading of a counter stands for the earlier,
     * sent in any order; a counter restarted (a new start) adds. */
    put_body(s,
             sum_body("claude_code.token.usage", 2,
                      PT("sess-cumul", "output", "1764000000000000000", "1764000120000000000",
                         "70") "," PT("sess-cumul", "output", "1764000000000000000",
                                      "1764000060000000000", "30")),
             &c);
    session_usage(s, "sess-cumul", USAGE_TOKENS_OUTPUT, &v);
    ASSERT_EQ_DBL(v, 70, 0);
    put_body(
        s,
        sum_body("claude_code.token.usage", 2,
                 PT("sess-cumul", "output", "1764000500000000000", "1764000560000000000", "5")),
        &c);
    session_usage(s, "sess-cumul", USAGE_TOKENS_OUTPUT, &v);
    ASSERT_EQ_DBL(v, 75, 0);

    /* Ignored: a type toolprof does not read, a metric it does not read,
     * a point without a session; refused: a Sum without a temporality, a
     * negative value. None is stored. */
    put_body(
        s,
        sum_body("claude_code.token.usage", 1,
                 PT("sess-none", "thought", "1764000000000000000", "1764000060000000000", "9")),
        &c);
    ASSERT_EQ_INT(c.ignored, 1);
    put_body(s,
             sum_body("claude_code.session.count", 1,
                      PT("sess-none", "x", "1764000000000000000", "1764000060000000000", "1")),
             &c);
    ASSERT_EQ_INT(c.ignored, 1);
    put_body(s,
             sum_body("claude_code.token.usage", 1,
                      "{\"attributes\":[{\"key\":\"type\",\"value\":{\"stringValue\":"
                      "\"input\"}}],\"timeUnixNano\":\"1764000060000000000\",\"asDouble\":7}"),
             &c);
    ASSERT_EQ_INT(c.ignored, 1);
    put_body(s,
             sum_body("claude_code.token.usage", 0,
                      PT("sess-none", "input", "1764000000000000000", "1764000060000000000", "9")),
             &c);
    ASSERT_EQ_INT(c.rejected, 1);
    put_body(s,
             sum_body("claude_code.token.usage", 1,
                      PT("sess-none", "input", "1764000000000000000", "1764000060000000000", "-3")),
             &c);
    ASSERT_EQ_INT(c.rejected, 1);
    session_usage(s, "sess-none", USAGE_TOKENS_INPUT, &v);
    ASSERT_TRUE(isnan(v));

    /* Without model requests, the session's tokens are the counters'. */
    struct session_detail d;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_session(s, "sess-delta", &d, err), 0);
    ASSERT_STREQ(d.s.tokens_from, "metrics");
    ASSERT_EQ_INT(d.s.input_tokens, 150);
    ASSERT_EQ_INT(d.s.output_tokens, -1);
    session_detail_free(&d);
    ASSERT_EQ_INT(engine_session(s, "sess-none", &d, err), 0);
    ASSERT_TRUE(d.s.tokens_from == NULL);
    ASSERT_EQ_INT(d.s.nusage_models, 0);
    session_detail_free(&d);

    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_recorded_session), TEST_CASE(test_reading_rules))
