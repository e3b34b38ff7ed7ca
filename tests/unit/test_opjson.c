/*
 * test_opjson.c - an operation as JSON, both ways: every key read with the
 * right and the wrong type (the message names the key), the timestamp forms,
 * metadata, the source key; writing emits every key with null for unknowns;
 * write-then-read gives back every field.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fixture.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "store/op.h"
#include "store/opjson.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */

/* Parse text and read it as an operation. Returns opjson_read's code. */
static int read_text(const char *text, int flags, enum op_source src, struct op *op, char *err)
{
    char perr[TP_ERR_MAX];
    cJSON *j = jin_parse(text, strlen(text), JIN_STRICT | JIN_NUMFMT, TP_MAX_JSON_DEPTH, perr);
    if (!j) {
        snprintf(err, TP_ERR_MAX, "test input does not parse: %.200s", perr);
        op_init(op);
        return -100;
    }
    int rc = opjson_read(j, flags, src, NOW, op, err);
    cJSON_Delete(j);
    return rc;
}

static void test_read_type_errors(void)
{
    static const struct {
        const char *json;
        int flags;
        const char *msg;
    } cases[] = {
        {"[1]", 0, "expected an operation object"},
        {"\"Read\"", 0, "expected an operation object"},
        {"{}", 0, "tool: missing"},
        {"{\"tool\":null}", 0, "tool: missing"},
        {"{\"tool\":5}", 0, "tool: expected a string"},
        {"{\"tool\":[\"Read\"]}", 0, "tool: expected a string"},
        {"{\"tool\":\"Read\",\"duration_ms\":\"150\"}", 0, "duration_ms: expected a number"},
        {"{\"tool\":\"Read\",\"duration_ms\":true}", 0, "duration_ms: expected a number"},
        {"{\"tool\":\"Read\"}", OPJ_REQUIRE_DURATION, "duration_ms: missing"},
        {"{\"tool\":\"Read\",\"duration_ms\":null}", OPJ_REQUIRE_DURATION, "duration_ms: missing"},
        {"{\"tool\":\"Read\",\"timestamp_ms\":1.5}", 0,
         "timestamp_ms: expected whole milliseconds"},
        {"{\"tool\":\"Read\",\"timestamp_ms\":1e300}", 0, "timestamp_ms: expected whole"},
        {"{\"tool\":\"Read\",\"timestamp_ms\":\"1771151445123\"}", 0,
         "timestamp_ms: expected a number"},
        {"{\"tool\":\"Read\",\"timestamp\":1771151445}", 0,
         "timestamp: expected an ISO-8601 string"},
        {"{\"tool\":\"Read\",\"timestamp\":\"yesterday\"}", 0, "timestamp: not an ISO-8601 time"},
        {"{\"tool\":\"Read\",\"timestamp\":\"2026-02-30T00:00:00Z\"}", 0,
         "timestamp: not an ISO-8601 time"},
        {"{\"tool\":\"Read\",\"success\":\"yes\"}", 0, "success: expected true or false"},
        {"{\"tool\":\"Read\",\"success\":1}", 0, "success: expected true or false"},
        {"{\"tool\":\"Read\",\"optimization_applied\":0}", 0,
         "optimization_applied: expected true or false"},
        {"{\"tool\":\"Read\",\"target\":5}", 0, "target: expected a string"},
        {"{\"tool\":\"Read\",\"session_id\":{}}", 0, "session_id: expected a string"},
        {"{\"tool\":\"Read\",\"project\":[]}", 0, "project: expected a string"},
        {"{\"tool\":\"Read\",\"tool_use_id\":7}", 0, "tool_use_id: expected a string"},
        {"{\"tool\":\"Read\",\"error\":false}", 0, "error: expected a string"},
        {"{\"tool\":\"Read\",\"size_bytes\":\"12\"}", 0, "size_bytes: expected a number"},
        {"{\"tool\":\"Read\",\"size_bytes\":-1}", 0, "size_bytes: expected a whole number >= 0"},
        {"{\"tool\":\"Read\",\"size_bytes\":1.5}", 0, "size_bytes: expected a whole number >= 0"},
        {"{\"tool\":\"Read\",\"result_bytes\":1e300}", 0,
         "result_bytes: expected a whole number >= 0"},
        {"{\"tool\":\"Read\",\"result_bytes\":true}", 0, "result_bytes: expected a number"},
        {"{\"tool\":\"Read\",\"metadata\":[1]}", 0, "metadata: expected an object"},
        {"{\"tool\":\"Read\",\"metadata\":\"{}\"}", 0, "metadata: expected an object"},
        {"{\"tool\":\"Read\",\"source\":\"bogus\"}", OPJ_KEEP_SOURCE,
         "source: unknown source \"bogus\""},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct op op;
        char err[TP_ERR_MAX] = "";
        int rc = read_text(cases[i].json, cases[i].flags, OP_SRC_API, &op, err);
        if (rc != TP_EINVAL || !strstr(err, cases[i].msg)) {
            fprintf(stderr, "  %s: rc %d, message \"%s\", expected \"%s\"\n", cases[i].json, rc,
                    err, cases[i].msg);
            bad++;
        }
        /* A failed read leaves an empty op (nothing to free, nothing half-set). */
        if (rc == TP_EINVAL && (op.tool || op.target || op.meta)) {
            fprintf(stderr, "  %s: op not cleared after an error\n", cases[i].json);
            bad++;
        }
        op_clear(&op);
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_read_all_keys(void)
{
    const char *json =
        "{\"tool\":\"Read\",\"target\":\"/src/app.py\",\"duration_ms\":150.5,"
        "\"timestamp\":\"2026-02-15T10:30:45.123Z\",\"success\":false,"
        "\"optimization_applied\":true,\"size_bytes\":12500,\"result_bytes\":3400,"
        "\"metadata\":{\"lines\":100,\"html\":\"<b>\"},\"session_id\":\"3b47cc69\","
        "\"project\":\"/home/u/proj\",\"tool_use_id\":\"toolu_01ABC\",\"error\":\"boom\","
        "\"source\":\"hook\",\"level\":3,\"extra\":{\"x\":[1]}}";
    struct op op;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(read_text(json, OPJ_KEEP_SOURCE, OP_SRC_API, &op, err), 0);
    ASSERT_STREQ(op.tool, "Read");
    ASSERT_STREQ(op.target, "/src/app.py");
    ASSERT_EQ_DBL(op.duration_ms, 150.5, 0);
    ASSERT_EQ_INT(op.duration_is_int, 0);
    ASSERT_EQ_INT(op.ts_ms, NOW);
    ASSERT_EQ_INT(op.success, 0);
    ASSERT_EQ_INT(op.optimized, 1);
    ASSERT_EQ_INT(op.size_bytes, 12500);
    ASSERT_EQ_INT(op.result_bytes, 3400);
    ASSERT_STREQ(op.meta, "{\"lines\":100,\"html\":\"\\u003cb\\u003e\"}");
    ASSERT_STREQ(op.session_id, "3b47cc69");
    ASSERT_STREQ(op.project, "/home/u/proj");
    ASSERT_STREQ(op.tool_use_id, "toolu_01ABC");
    ASSERT_STREQ(op.error, "boom");
    ASSERT_EQ_INT(op.source, OP_SRC_HOOK);
    op_clear(&op);

    /* Without OPJ_KEEP_SOURCE the caller's source stands. */
    ASSERT_EQ_INT(read_text(json, 0, OP_SRC_API, &op, err), 0);
    ASSERT_EQ_INT(op.source, OP_SRC_API);
    op_clear(&op);

    /* Defaults: success true, not optimized, sizes unknown, duration unknown,
     * no metadata for {} or null, timestamp = now. */
    ASSERT_EQ_INT(read_text("{\"tool\":\"Bash\",\"metadata\":{},\"target\":null}", 0, OP_SRC_IMPORT,
                            &op, err),
                  0);
    ASSERT_EQ_INT(op.success, 1);
    ASSERT_EQ_INT(op.optimized, 0);
    ASSERT_EQ_INT(op.size_bytes, -1);
    ASSERT_EQ_INT(op.result_bytes, -1);
    ASSERT_TRUE(isnan(op.duration_ms));
    ASSERT_TRUE(op.meta == NULL);
    ASSERT_TRUE(op.target == NULL);
    ASSERT_EQ_INT(op.ts_ms, NOW);
    ASSERT_EQ_INT(op.source, OP_SRC_IMPORT);
    op_clear(&op);
    ASSERT_EQ_INT(read_text("{\"tool\":\"Bash\",\"metadata\":null,\"duration_ms\":90}", 0,
                            OP_SRC_API, &op, err),
                  0);
    ASSERT_TRUE(op.meta == NULL);
    ASSERT_EQ_DBL(op.duration_ms, 90, 0);
    ASSERT_EQ_INT(op.duration_is_int, 1);
    op_clear(&op);

    /* Metadata over the cap. */
    size_t n = TP_MAX_META + 100;
    char *big = malloc(n + 64);
    int k = snprintf(big, 64, "{\"tool\":\"X\",\"metadata\":{\"k\":\"");
    memset(big + k, 'a', n);
    strcpy(big + k + n, "\"}}");
    ASSERT_EQ_INT(read_text(big, 0, OP_SRC_API, &op, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "metadata: more than 8192 bytes");
    free(big);
}

static void test_read_timestamps(void)
{
    static const struct {
        const char *tz;
        const char *json;
        int flags;
        int64_t ms;
    } cases[] = {
        {"UTC", "{\"tool\":\"X\",\"timestamp_ms\":1771151445123}", 0, NOW},
        {"UTC", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T16:00:45.123+05:30\"}", 0, NOW},
        {"UTC", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T02:30:45.123-0800\"}", 0, NOW},
        /* timestamp_ms wins over timestamp; a null timestamp_ms does not. */
        {"UTC",
         "{\"tool\":\"X\",\"timestamp_ms\":1771151445123,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
         0, NOW},
        {"UTC", "{\"tool\":\"X\",\"timestamp_ms\":null,\"timestamp\":\"2026-02-15T10:30:45.123Z\"}",
         0, NOW},
        {"UTC", "{\"tool\":\"X\",\"timestamp\":null}", 0, NOW},
        {"UTC", "{\"tool\":\"X\"}", 0, NOW},
        /* Naive: local with OPJ_NAIVE_LOCAL, UTC without. */
        {"Asia/Kolkata", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T16:00:45.123\"}",
         OPJ_NAIVE_LOCAL, NOW},
        {"Asia/Kolkata", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T10:30:45.123\"}", 0, NOW},
        {"Asia/Kathmandu", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T16:15:45.123000\"}",
         OPJ_NAIVE_LOCAL, NOW},
        {"America/New_York", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T05:30:45.123\"}",
         OPJ_NAIVE_LOCAL, NOW},
        /* A zone always wins over OPJ_NAIVE_LOCAL. */
        {"Asia/Kolkata", "{\"tool\":\"X\",\"timestamp\":\"2026-02-15T10:30:45.123Z\"}",
         OPJ_NAIVE_LOCAL, NOW},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        setenv("TZ", cases[i].tz, 1);
        tzset();
        struct op op;
        char err[TP_ERR_MAX];
        int rc = read_text(cases[i].json, cases[i].flags, OP_SRC_API, &op, err);
        if (rc != 0 || op.ts_ms != cases[i].ms)
            fprintf(stderr, "  %s %s: %s\n", cases[i].tz, cases[i].json, rc ? err : "");
        ASSERT_EQ_INT(rc, 0);
        ASSERT_EQ_INT(op.ts_ms, cases[i].ms);
        op_clear(&op);
    }
    setenv("TZ", "UTC", 1);
    tzset();
}

static char *write_op(const struct op *op, unsigned sources)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, 1 << 20);
    jw_init(&w, &b);
    opjson_write(&w, op, sources);
    if (jw_finish(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

static void full_op(struct op *op)
{
    op_init(op);
    op_sets(&op->tool, "Read");
    op_sets(&op->target, "/src/app.py");
    op->duration_ms = 150.5;
    op->ts_ms = NOW;
    op->optimized = 1;
    op->size_bytes = 12500;
    op->result_bytes = 3400;
    op_sets(&op->meta, "{\"lines\":100}");
    op_sets(&op->session_id, "3b47cc69");
    op_sets(&op->project, "/home/u/proj");
    op_sets(&op->tool_use_id, "toolu_01ABC");
    op->source = OP_SRC_HOOK;
}

static void test_write_every_key(void)
{
    struct op op;
    full_op(&op);
    char *s = write_op(&op, (1u << OP_SRC_HOOK) | (1u << OP_SRC_TRANSCRIPT));
    ASSERT_STREQ(s, "{\"tool\":\"Read\",\"target\":\"/src/app.py\",\"duration_ms\":150.5,"
                    "\"timestamp\":\"2026-02-15T10:30:45.123Z\",\"timestamp_ms\":1771151445123,"
                    "\"success\":true,\"optimization_applied\":true,\"size_bytes\":12500,"
                    "\"result_bytes\":3400,\"metadata\":{\"lines\":100},"
                    "\"session_id\":\"3b47cc69\",\"project\":\"/home/u/proj\","
                    "\"tool_use_id\":\"toolu_01ABC\",\"error\":null,\"subagent\":null,"
                    "\"agent\":\"claude-code\",\"agent_version\":null,"
                    "\"phases\":{\"wall\":null,\"wait\":null,\"hook\":null,"
                    "\"exec\":{\"ms\":150.5,\"exactness\":\"unknown\",\"source\":\"none\"}},"
                    "\"approval\":\"unknown\",\"source\":\"hook\","
                    "\"sources\":[\"hook\",\"transcript\"]}");
    free(s);
    op_clear(&op);

    /* Unknowns are null (metadata {}), never absent; sources 0 = source. */
    op_init(&op);
    op_sets(&op.tool, "Bash");
    op.ts_ms = NOW;
    op.success = 0;
    op.source = OP_SRC_OTLP;
    s = write_op(&op, 0);
    ASSERT_STREQ(s, "{\"tool\":\"Bash\",\"target\":null,\"duration_ms\":null,"
                    "\"timestamp\":\"2026-02-15T10:30:45.123Z\",\"timestamp_ms\":1771151445123,"
                    "\"success\":false,\"optimization_applied\":false,\"size_bytes\":null,"
                    "\"result_bytes\":null,\"metadata\":{},\"session_id\":null,\"project\":null,"
                    "\"tool_use_id\":null,\"error\":null,\"subagent\":null,"
                    "\"agent\":\"claude-code\",\"agent_version\":null,"
                    "\"phases\":{\"wall\":null,\"wait\":null,\"hook\":null,\"exec\":null},"
                    "\"approval\":\"unknown\",\"source\":\"otlp\","
                    "\"sources\":[\"otlp\"]}");
    free(s);
    op_clear(&op);

    /* A duration keeps the form it came in: 2100 stays an integer, 2100.0
     * a float (the original's files and API keep int vs float). */
    full_op(&op);
    op.duration_ms = 2100;
    op.duration_is_int = 1;
    s = write_op(&op, 0);
    ASSERT_CONTAINS(s, "\"duration_ms\":2100,");
    free(s);
    op.duration_is_int = 0;
    s = write_op(&op, 0);
    ASSERT_CONTAINS(s, "\"duration_ms\":2100.0,");
    free(s);
    op_clear(&op);
}

/* Metadata that reached the store through op_normalize() (e.g. `toolprof
 * record --meta`) is written as stored: it must still keep jsonw's
 * promises (no raw '<', '>', '&', U+2028 in the output). */
static void test_write_meta_is_html_safe(void)
{
    struct op op;
    full_op(&op);
    op_sets(&op.meta, "{\"note\": \"</script><script>alert(1)</script>\", \"amp\": \"a&b\"}");
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    char *s = write_op(&op, 0);
    ASSERT_TRUE(s != NULL);
    if (strpbrk(s, "<>&"))
        fprintf(stderr, "  output: %s\n", s);
    ASSERT_TRUE(strpbrk(s, "<>&") == NULL);
    free(s);
    op_clear(&op);
}

static void assert_same_op(const struct op *a, const struct op *b)
{
    ASSERT_STREQ(a->tool, b->tool);
#define SAME_STR(f)                                                                                \
    do {                                                                                           \
        if (a->f || b->f)                                                                          \
            ASSERT_STREQ(a->f, b->f);                                                              \
    } while (0)
    SAME_STR(target);
    SAME_STR(meta);
    SAME_STR(session_id);
    SAME_STR(project);
    SAME_STR(tool_use_id);
    SAME_STR(error);
#undef SAME_STR
    if (isnan(a->duration_ms))
        ASSERT_TRUE(isnan(b->duration_ms));
    else
        ASSERT_TRUE(a->duration_ms == b->duration_ms);
    ASSERT_EQ_INT(a->ts_ms, b->ts_ms);
    ASSERT_EQ_INT(a->success, b->success);
    ASSERT_EQ_INT(a->optimized, b->optimized);
    ASSERT_EQ_INT(a->size_bytes, b->size_bytes);
    ASSERT_EQ_INT(a->result_bytes, b->result_bytes);
    ASSERT_EQ_INT(a->source, b->source);
}

static void test_round_trip(void)
{
    struct op ops[6];
    full_op(&ops[0]);
    op_init(&ops[1]);
    op_sets(&ops[1].tool, "Bash");
    ops[1].ts_ms = NOW - 1;
    ops[1].success = 0;
    op_sets(&ops[1].error, "Exit code 3\n\"quoted\" \\ <tag> & \xE2\x80\xA8 caf\xC3\xA9");
    ops[1].source = OP_SRC_TRANSCRIPT;
    full_op(&ops[2]);
    ops[2].duration_ms = 0.30000000000000004;
    ops[2].size_bytes = 0;
    ops[2].result_bytes = 9007199254740991LL;
    op_sets(&ops[2].target, "grep -rn \"TODO\" src | head\t-5");
    op_sets(&ops[2].meta, "{\"nested\":{\"a\":[1,2.5,\"x\"]},\"t\":true,\"n\":null}");
    ops[2].source = OP_SRC_IMPORT;
    full_op(&ops[3]);
    ops[3].duration_ms = TP_MAX_DURATION_MS;
    ops[3].ts_ms = TP_MIN_TS_MS;
    ops[3].source = OP_SRC_CLI;
    op_sets(&ops[3].tool, "mcp__srv__t\xC3\xB6\xC3\xB6l");
    full_op(&ops[4]);
    ops[4].duration_ms = 0;
    ops[4].source = OP_SRC_OTLP;
    op_sets(&ops[4].project, "");
    full_op(&ops[5]);
    ops[5].duration_ms = 1e-3;
    ops[5].source = OP_SRC_API;
    FOR_EACH_ROW(i, sizeof ops / sizeof ops[0])
    {
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(op_normalize(&ops[i], NOW, err), 0);
        char *s = write_op(&ops[i], 0);
        ASSERT_TRUE(s != NULL);
        struct op back;
        int rc = read_text(s, OPJ_KEEP_SOURCE, OP_SRC_API, &back, err);
        if (rc != 0)
            fprintf(stderr, "  op %zu: %s\n  %s\n", i, err, s);
        ASSERT_EQ_INT(rc, 0);
        ASSERT_EQ_INT(op_normalize(&back, NOW, err), 0);
        assert_same_op(&ops[i], &back);
        /* Writing it again gives the same bytes. */
        char *s2 = write_op(&back, 0);
        ASSERT_STREQ(s2, s);
        free(s2);
        free(s);
        op_clear(&back);
        op_clear(&ops[i]);
    }
}

static void test_write_seed_layout(void)
{
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    struct op op;
    full_op(&op);
    op.duration_ms = 90;
    op.duration_is_int = 1;
    struct buf b;
    struct jsonw w;
    buf_init(&b, 1 << 16);
    jw_init(&w, &b);
    opjson_write_seed(&w, &op);
    ASSERT_EQ_INT(jw_finish(&w), 0);
    ASSERT_STREQ(b.data, "{\"tool\":\"Read\",\"target\":\"/src/app.py\",\"duration_ms\":90,"
                         "\"timestamp\":\"2026-02-15T16:00:45.123000\",\"success\":true,"
                         "\"optimization_applied\":true,\"metadata\":{\"lines\":100},"
                         "\"size_bytes\":12500,\"timestamp_ms\":1771151445123,"
                         "\"session_id\":\"3b47cc69\",\"project\":\"/home/u/proj\","
                         "\"tool_use_id\":\"toolu_01ABC\",\"error\":null,\"result_bytes\":3400,"
                         "\"subagent\":null,\"agent\":\"claude-code\",\"agent_version\":null,"
                         "\"phases\":{\"wall\":null,\"wait\":null,\"hook\":null,"
                         "\"exec\":{\"ms\":90.0,\"exactness\":\"unknown\",\"source\":\"none\"}},"
                         "\"approval\":\"unknown\",\"source\":\"hook\"}");
    /* Read back as the original's file would be read. */
    struct op back;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(read_text(b.data, OPJ_NAIVE_LOCAL | OPJ_KEEP_SOURCE, OP_SRC_IMPORT, &back, err),
                  0);
    assert_same_op(&op, &back);
    ASSERT_EQ_INT(back.duration_is_int, 1);
    op_clear(&back);
    buf_free(&b);
    op_clear(&op);
    setenv("TZ", "UTC", 1);
    tzset();
}

TEST_MAIN(TEST_CASE(test_read_type_errors), TEST_CASE(test_read_all_keys),
          TEST_CASE(test_read_timestamps), TEST_CASE(test_write_every_key),
          TEST_CASE(test_write_meta_is_html_safe), TEST_CASE(test_round_trip),
          TEST_CASE(test_write_seed_layout))
