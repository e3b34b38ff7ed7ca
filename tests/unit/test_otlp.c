/*
 * test_otlp.c - OTLP/HTTP JSON logs: the bodies Claude Code 2.1.332 posted
 * in the recorded session, a hand-made older export without tool details,
 * constructed records with every value-type quirk, whole-body errors, and
 * gzip (members, truncation, bombs).
 *
 * The counts asserted over the recording are those tests/data/reference.py
 * prints ("otlp"): it reads the same bodies with Python's json module.
 */
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "fixture.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/otlp.h"

static const int64_t NOW = 1893456000000LL; /* 2030-01-01, after any recording */

static void free_ops(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    free(ops);
}

/* The recorded http/json log bodies, in the order they were posted
 * (recorded/otlp/index.json). */
static const char *const rec_logs[] = {
    "01-logs.json", "03-logs.json", "04-logs.json", "06-logs.json", "07-logs.json",
    "09-logs.json", "10-logs.json", "12-logs.json", "14-logs.json", "17-logs.json",
    "23-logs.json", "25-logs.json", "27-logs.json", "30-logs.json",
};

struct tool_count {
    const char *tool;
    int n;
};

static const struct tool_count rec_tools[] = {
    {"Agent", 1}, {"Bash", 4},       {"Edit", 1},     {"Glob", 2},  {"Grep", 3},
    {"Read", 4},  {"ToolSearch", 1}, {"WebFetch", 1}, {"Write", 1},
};

static int64_t iso_ms(const char *iso)
{
    int64_t t = -1;
    if (tpt_parse_iso(iso, TPT_NAIVE_UTC, &t) != 0)
        return -1;
    return t;
}

/* The decisions of the recording (reference.py lists them): the 18 calls
 * that ran were accepted, 17 by the configuration and one by the person
 * (user_temporary: the Bash it approved); the hook blocked one Bash and
 * the person rejected one Write. */
#define REC_APPROVED "toolu_016N7H5aZA0R64aNqD9WFJBl"
#define REC_HOOK_REJECTED "toolu_014xSm6tC2Ft7wArBfkxIc31"
#define REC_USER_REJECTED "toolu_01PJ8XnU7qFXQOajt7p3ZJbu"

static void test_recorded_bodies(void)
{
    int seen[sizeof rec_tools / sizeof rec_tools[0]] = {0};
    size_t results = 0, decisions = 0, used = 0, ignored = 0, failed = 0, targets = 0, asked = 0;
    char err[TP_ERR_MAX];
    for (size_t f = 0; f < sizeof rec_logs / sizeof rec_logs[0]; f++) {
        char rel[128], *body;
        size_t n, nops;
        struct op *ops;
        struct otlp_counts k;
        snprintf(rel, sizeof rel, "recorded/otlp/%s", rec_logs[f]);
        FIXTURE_READ_DATA(body, rel, &n);
        if (otlp_logs_parse(body, n, NOW, &ops, &nops, &k, err) != 0)
            FAIL_("%s: %s", rel, err);
        if (k.rejected != 0)
            FAIL_("%s: %zu rejected (%s)", rel, k.rejected, k.first_error);
        used += k.used;
        ignored += k.ignored;
        for (size_t i = 0; i < nops; i++) {
            struct op *op = &ops[i];
            ASSERT_EQ_INT(op->source, OP_SRC_OTLP);
            ASSERT_STREQ(op->session_id, FIXTURE_REC_SESSION_ID);
            ASSERT_TRUE(op->tool_use_id && strncmp(op->tool_use_id, "toolu_01", 8) == 0);
            if (op_normalize(op, NOW, err) != 0)
                FAIL_("%s: %s: %s", rel, op->tool_use_id, err);
            /* Which calls asked: the decisions' sources (a result in
             * another body than its decision does not know). */
            int want = strcmp(op->tool_use_id, REC_APPROVED) == 0 ||
                               strcmp(op->tool_use_id, REC_USER_REJECTED) == 0
                           ? OP_ASK_ASKED
                           : OP_ASK_NO;
            if (op->ask != want && !(op->ask == OP_ASK_UNKNOWN && !isnan(op->duration_ms)))
                FAIL_("%s: %s asked %d, expected %d", rel, op->tool_use_id, op->ask, want);
            asked += op->ask == OP_ASK_ASKED;
            if (isnan(op->duration_ms)) {
                /* A decision whose result came in another body, or none. */
                decisions++;
                if (strcmp(op->tool_use_id, REC_HOOK_REJECTED) == 0) {
                    ASSERT_EQ_INT(op->success, 0);
                    ASSERT_STREQ(op->error, "rejected (hook)");
                } else if (strcmp(op->tool_use_id, REC_USER_REJECTED) == 0) {
                    ASSERT_STREQ(op->tool, "Write");
                    ASSERT_EQ_INT(op->success, 0);
                    ASSERT_STREQ(op->error, "rejected (user_reject)");
                    ASSERT_EQ_INT(op->ts_ms, iso_ms("2026-12-05T01:13:34.593Z"));
                } else {
                    ASSERT_EQ_INT(op->success, 1);
                }
                continue;
            }
            results++;
            size_t t = 0;
            while (t < sizeof rec_tools / sizeof rec_tools[0] &&
                   strcmp(rec_tools[t].tool, op->tool))
                t++;
            if (t == sizeof rec_tools / sizeof rec_tools[0])
                FAIL_("%s: unexpected tool %s", rel, op->tool);
            seen[t]++;
            failed += !op->success;
            targets += op->target != NULL;
            /* The same durations as the hook payloads of the same calls. */
            if (strcmp(op->tool_use_id, "toolu_01VRiFALIKuY7rg2ElwuszDe") == 0) {
                ASSERT_STREQ(op->tool, "Glob");
                ASSERT_EQ_DBL(op->duration_ms, 58, 0);
                /* Its decision (in the same body) came 3 ms before the
                 * result's end less its execution: the earlier report
                 * places the call. */
                ASSERT_EQ_INT(op->ts_ms, iso_ms("2026-12-05T01:13:23.494Z"));
                ASSERT_STREQ(op->target, "**/*.py"); /* from tool_input (tool details on) */
            } else if (strcmp(op->tool_use_id, "toolu_01vdBC5eIH2NBkjkD0WRgsD1") == 0) {
                ASSERT_EQ_INT(op->success, 0);
                ASSERT_EQ_DBL(op->duration_ms, 44, 0);
                ASSERT_STREQ(op->error, "Shell command failed");
                ASSERT_CONTAINS(op->meta, "\"error_type\":\"ShellError\"");
                ASSERT_STREQ(op->target, "ls /tmp/toolprof-fixtures/project/build");
            } else if (strcmp(op->tool_use_id, "toolu_01pXjgcenSAGGMZ872qEyWjI") == 0) {
                ASSERT_EQ_INT(op->success, 0);
                ASSERT_EQ_DBL(op->duration_ms, 25, 0);
                ASSERT_STREQ(op->error, "File does not exist. Note: your current working "
                                        "directory is /tmp/toolprof-fixtures/project.");
            } else if (strcmp(op->tool_use_id, "toolu_01aCrysGFeu4a853Bz7uuR46") == 0) {
                ASSERT_EQ_DBL(op->duration_ms, 942, 0);
            } else if (strcmp(op->tool_use_id, REC_APPROVED) == 0) {
                ASSERT_EQ_DBL(op->duration_ms, 81, 0);
                ASSERT_EQ_INT(op->ts_ms, iso_ms("2026-12-05T01:13:33.404Z"));
            }
        }
        free_ops(ops, nops);
        free(body);
    }
    /* 18 tool results (the call the hook blocked and the one the user
     * rejected have none); 20 decisions, 6 of them in another body than
     * their result (12-logs.json and 14-logs.json: the Bash; 04 and 07:
     * the Agent; 06 and 07 ...) or without one; 21 model requests and 4
     * prompts among 177 records. */
    ASSERT_EQ_INT(results, 18);
    ASSERT_EQ_INT(used, 18 + 20 + 21 + 4);
    ASSERT_EQ_INT(ignored, 177 - used);
    for (size_t t = 0; t < sizeof rec_tools / sizeof rec_tools[0]; t++)
        if (seen[t] != rec_tools[t].n)
            FAIL_("%s: %d results, expected %d", rec_tools[t].tool, seen[t], rec_tools[t].n);
    ASSERT_EQ_INT(failed, 2);
    ASSERT_EQ_INT(targets, 18);
    ASSERT_EQ_INT(asked, 2);
    printf("  %zu decisions apart from their result\n", decisions);
}

static void test_old_export(void)
{
    /* 2.1.138, no tool details: numbers and booleans as strings,
     * event.sequence as a number and as a string, api_request typed. */
    size_t n, nops;
    struct otlp_counts counts;
    char err[TP_ERR_MAX];
    struct op *ops;
    char *body;
    FIXTURE_READ_DATA(body, FIXTURE_OLD_OTLP, &n);
    ASSERT_EQ_INT(otlp_logs_parse(body, n, NOW, &ops, &nops, &counts, err), 0);
    ASSERT_EQ_INT(nops, 2); /* the Read's decision merged into its result */
    /* Used: user_prompt, tool_decision, 2 x tool_result, 2 x api_request;
     * ignored: hook_registered. */
    ASSERT_EQ_INT(counts.used, 6);
    ASSERT_EQ_INT(counts.ignored, 1);
    ASSERT_EQ_INT(ops[0].ask, OP_ASK_NO);
    ASSERT_EQ_INT(counts.rejected, 0);
    ASSERT_STREQ(ops[0].tool, "Read");
    ASSERT_STREQ(ops[0].tool_use_id, "toolu_01O0Read1eeeeeeeeeeeeee");
    ASSERT_EQ_INT(ops[0].success, 1);
    ASSERT_EQ_DBL(ops[0].duration_ms, 2, 0);
    ASSERT_EQ_INT(ops[0].ts_ms, iso_ms("2026-05-01T08:00:03.010Z")); /* the decision's */
    ASSERT_EQ_INT(ops[0].result_bytes, 43);
    ASSERT_CONTAINS(ops[0].meta, "\"input_bytes\":72");
    ASSERT_EQ_INT(ops[0].source, OP_SRC_OTLP);
    ASSERT_STREQ(ops[0].session_id, "7c1d2e3f-4a5b-4c6d-8e7f-809102030405");
    ASSERT_TRUE(ops[0].target == NULL); /* no OTEL_LOG_TOOL_DETAILS */
    ASSERT_STREQ(ops[1].tool, "Bash");
    ASSERT_EQ_INT(ops[1].success, 0);
    ASSERT_EQ_DBL(ops[1].duration_ms, 1530, 0);
    ASSERT_STREQ(ops[1].error, "ShellError");
    ASSERT_EQ_INT(ops[1].ts_ms, iso_ms("2026-05-01T08:00:05.000Z") - 1530);
    free_ops(ops, nops);
    free(body);
}

/* One request around one record's attributes (and record-level extras). */
static char *request(const char *attrs, const char *extra)
{
    size_t cap = strlen(attrs) + strlen(extra) + 512;
    char *s = xmalloc(cap);
    snprintf(s, cap,
             "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
             "\"value\":{\"stringValue\":\"claude-code\"}}]},\"scopeLogs\":[{\"scope\":{\"name\":"
             "\"com.anthropic.claude_code.events\"},\"logRecords\":[{%s\"attributes\":[%s]}]}]}]}",
             extra, attrs);
    return s;
}

#define A_STR(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define A_RAW(k, v) "{\"key\":\"" k "\",\"value\":" v "}"
#define TR A_STR("event.name", "tool_result") ","
#define SESS A_STR("session.id", "s1") ","
#define TS A_STR("event.timestamp", "2026-08-11T00:00:10.000Z") ","
#define BODY_TR "\"body\":{\"stringValue\":\"claude_code.tool_result\"},"

struct rec_case {
    const char *name;
    const char *attrs;
    const char *extra;
    int want_op; /* 1: one op, 0: ignored (another event), -1: rejected */
    const char *tool;
    double duration; /* NAN: unknown */
    int success;
    const char *target;
    int optimized;
    const char *error;
    const char *meta_has;
    int64_t end_ms; /* 0: 2026-08-11T00:00:10Z */
};

#define T0 1786406410000LL /* 2026-08-11T00:00:10Z */

static const struct rec_case rec_cases[] = {
    {"strings everywhere",
     TR SESS TS A_STR("tool_name", "Bash") "," A_STR("tool_use_id", "toolu_1") "," A_STR(
         "success", "true") "," A_STR("duration_ms", "62"),
     "", 1, "Bash", 62, 1, NULL, 0, NULL, NULL, 0},
    {"typed intValue and boolValue",
     TR SESS TS A_STR("tool_name", "Read") "," A_STR("tool_use_id", "toolu_2") "," A_RAW(
         "success", "{\"boolValue\":false}") "," A_RAW("duration_ms", "{\"intValue\":7}"),
     "", 1, "Read", 7, 0, NULL, 0, NULL, NULL, 0},
    {"intValue as string, boolValue as string",
     TR SESS TS A_STR("tool_name", "Read") "," A_STR("tool_use_id", "toolu_3") "," A_RAW(
         "success", "{\"boolValue\":\"true\"}") "," A_RAW("duration_ms", "{\"intValue\":\"1234\"}"),
     "", 1, "Read", 1234, 1, NULL, 0, NULL, NULL, 0},
    {"doubleValue, success as intValue 0",
     TR SESS TS A_STR("tool_name", "Glob") "," A_STR("tool_use_id", "toolu_4") "," A_RAW(
         "success", "{\"intValue\":0}") "," A_RAW("duration_ms", "{\"doubleValue\":2.5}"),
     "", 1, "Glob", 2.5, 0, NULL, 0, NULL, NULL, 0},
    {"failure with error_type",
     TR SESS TS A_STR("tool_name", "Bash") "," A_STR("tool_use_id", "toolu_5") "," A_STR(
         "success", "false") "," A_STR("duration_ms", "30") "," A_STR("error_type", "ShellError"),
     "", 1, "Bash", 30, 0, NULL, 0, "ShellError", "\"error_type\":\"ShellError\"", 0},
    {"gated error text wins",
     TR SESS TS A_STR("tool_name", "Bash") "," A_STR("tool_use_id", "toolu_6") "," A_STR(
         "success", "false") "," A_STR("error", "Exit code 3") "," A_STR("error_type",
                                                                         "ShellError"),
     "", 1, "Bash", NAN, 0, NULL, 0, "Exit code 3", NULL, 0},
    {"tool_input gives the target",
     TR SESS TS A_STR("tool_name", "Read") "," A_STR("tool_use_id", "toolu_7") "," A_STR(
         "duration_ms", "3") "," A_STR("tool_input",
                                       "{\\\"file_path\\\":\\\"/src/a.c\\\",\\\"limit\\\":10}"),
     "", 1, "Read", 3, 1, "/src/a.c", 1, NULL, "\"limit\":10", 0},
    {"tool_parameters full_command",
     TR SESS TS A_STR("tool_name", "Bash") "," A_STR("tool_use_id", "toolu_8") "," A_STR(
         "tool_parameters",
         "{\\\"bash_command\\\":\\\"make\\\",\\\"full_command\\\":\\\"make -j8 all\\\"}"),
     "", 1, "Bash", NAN, 1, "make -j8 all", 0, NULL, NULL, 0},
    {"mcp_tool alias resolved",
     TR SESS TS A_STR("tool_name", "mcp_tool") "," A_STR("tool_use_id", "toolu_9") "," A_STR(
         "tool_parameters",
         "{\\\"mcp_server_name\\\":\\\"github\\\",\\\"mcp_tool_name\\\":\\\"get_issue\\\"}"),
     "", 1, "mcp__github__get_issue", NAN, 1, NULL, 0, NULL, "\"mcp_server\":\"github\"", 0},
    {"prefixed event.name",
     A_STR("event.name", "claude_code.tool_result") "," SESS TS A_STR("tool_name", "Edit"), "", 1,
     "Edit", NAN, 1, NULL, 0, NULL, NULL, 0},
    {"body only", SESS TS A_STR("tool_name", "Edit"), BODY_TR, 1, "Edit", NAN, 1, NULL, 0, NULL,
     NULL, 0},
    {"eventName field", SESS TS A_STR("tool_name", "Edit"), "\"eventName\":\"tool_result\",", 1,
     "Edit", NAN, 1, NULL, 0, NULL, NULL, 0},
    {"old attribute name", TR SESS TS A_STR("name", "Write"), "", 1, "Write", NAN, 1, NULL, 0, NULL,
     NULL, 0},
    {"timeUnixNano string, minus duration",
     TR SESS A_STR("tool_name", "Read") "," A_STR("duration_ms", "40"),
     "\"timeUnixNano\":\"1786406410000000000\",", 1, "Read", 40, 1, NULL, 0, NULL, NULL,
     T0 - 40 + 40},
    {"timeUnixNano number", TR SESS A_STR("tool_name", "Read"),
     "\"timeUnixNano\":1786406410000000000,", 1, "Read", NAN, 1, NULL, 0, NULL, NULL, 0},
    {"no time at all", TR SESS A_STR("tool_name", "Read"), "", 1, "Read", NAN, 1, NULL, 0, NULL,
     NULL, NOW},
    {"broken tool_input ignored",
     TR SESS TS A_STR("tool_name", "Read") "," A_STR("tool_input", "{not json"), "", 1, "Read", NAN,
     1, NULL, 0, NULL, NULL, 0},
    /* Ignored. */
    {"other event",
     A_STR("event.name", "hook_registered") "," A_RAW("duration_ms", "{\"intValue\":5}"), "", 0,
     NULL, NAN, 0, NULL, 0, NULL, NULL, 0},
    {"event.name beats body", A_STR("event.name", "compaction") "," A_STR("tool_name", "Read"),
     BODY_TR, 0, NULL, NAN, 0, NULL, 0, NULL, NULL, 0},
    {"a decision without tool_use_id",
     A_STR("event.name", "tool_decision") "," A_STR("tool_name", "Read"), "", 0, NULL, NAN, 0, NULL,
     0, NULL, NULL, 0},
    /* Rejected: a tool result that cannot be stored as it is. */
    {"negative duration", TR SESS TS A_STR("tool_name", "Read") "," A_STR("duration_ms", "-3"), "",
     -1, NULL, NAN, 0, NULL, 0, NULL, NULL, 0},
    {"junk duration", TR SESS TS A_STR("tool_name", "Read") "," A_STR("duration_ms", "fast"), "",
     -1, NULL, NAN, 0, NULL, 0, NULL, NULL, 0},
    {"duration past a week",
     TR SESS TS A_STR("tool_name", "Read") "," A_STR("duration_ms", "1e300"), "", -1, NULL, NAN, 0,
     NULL, 0, NULL, NULL, 0},
    {"no tool name", TR SESS TS A_STR("duration_ms", "5"), "", -1, NULL, NAN, 0, NULL, 0, NULL,
     NULL, 0},
    {"tool name not a string", TR A_RAW("tool_name", "{\"intValue\":5}"), "", -1, NULL, NAN, 0,
     NULL, 0, NULL, NULL, 0},
    {"control character in tool name", TR TS A_STR("tool_name", "Re\\u0001ad"), "", -1, NULL, NAN,
     0, NULL, 0, NULL, NULL, 0},
    {"future time",
     TR A_STR("tool_name", "Read") "," A_STR("event.timestamp", "2099-01-01T00:00:00Z"), "", -1,
     NULL, NAN, 0, NULL, 0, NULL, NULL, 0},
};

static void test_records(void)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof rec_cases / sizeof rec_cases[0]; i++) {
        const struct rec_case *c = &rec_cases[i];
        char *body = request(c->attrs, c->extra);
        struct op *ops;
        size_t n;
        struct otlp_counts k;
        int rc = otlp_logs_parse(body, strlen(body), NOW, &ops, &n, &k, err);
        if (rc != 0)
            FAIL_("%s: rc %d (%s)", c->name, rc, err);
        if (n != (c->want_op == 1) || k.ignored != (c->want_op == 0) ||
            k.rejected != (c->want_op == -1))
            FAIL_("%s: %zu ops, %zu ignored, %zu rejected", c->name, n, k.ignored, k.rejected);
        if (k.rejected && strncmp(k.first_error, "log record 1: ", 14) != 0)
            FAIL_("%s: reason \"%s\"", c->name, k.first_error);
        if (n) {
            struct op *op = &ops[0];
            ASSERT_STREQ(op->tool, c->tool);
            if (isnan(c->duration) ? !isnan(op->duration_ms) : op->duration_ms != c->duration)
                FAIL_("%s: duration %g, expected %g", c->name, op->duration_ms, c->duration);
            if (op->success != c->success)
                FAIL_("%s: success %d", c->name, op->success);
            if (c->target)
                ASSERT_STREQ(op->target, c->target);
            else if (op->target)
                FAIL_("%s: unexpected target %s", c->name, op->target);
            if (op->optimized != c->optimized)
                FAIL_("%s: optimized %d", c->name, op->optimized);
            if (c->error)
                ASSERT_STREQ(op->error, c->error);
            else if (op->error)
                FAIL_("%s: unexpected error %s", c->name, op->error);
            if (c->meta_has)
                ASSERT_CONTAINS(op->meta, c->meta_has);
            int64_t end = c->end_ms ? c->end_ms : T0;
            int64_t want_ts = isnan(c->duration) ? end : end - (int64_t)llround(c->duration);
            if (op->ts_ms != want_ts)
                FAIL_("%s: ts %lld, expected %lld", c->name, (long long)op->ts_ms,
                      (long long)want_ts);
            ASSERT_TRUE(op->tool_use_id != NULL);
        }
        free_ops(ops, n);
        free(body);
    }
}

static void test_derived_ids_are_stable(void)
{
    char err[TP_ERR_MAX];
    char *body = request(
        TR SESS TS A_STR("tool_name", "Read") "," A_RAW("event.sequence", "{\"intValue\":26}"), "");
    struct op *a, *b;
    size_t na, nb;
    ASSERT_EQ_INT(otlp_logs_parse(body, strlen(body), NOW, &a, &na, NULL, err), 0);
    ASSERT_EQ_INT(otlp_logs_parse(body, strlen(body), NOW + 5000, &b, &nb, NULL, err), 0);
    ASSERT_EQ_INT(na, 1);
    ASSERT_EQ_INT(nb, 1);
    ASSERT_TRUE(strncmp(a[0].tool_use_id, "tp-", 3) == 0);
    ASSERT_STREQ(a[0].tool_use_id, b[0].tool_use_id);
    free_ops(a, na);
    free_ops(b, nb);
    free(body);
}

struct body_case {
    const char *body;
    int rc;
    size_t ops, ignored, rejected;
};

static const struct body_case body_cases[] = {
    {"", TP_EPARSE, 0, 0, 0},
    {"not json", TP_EPARSE, 0, 0, 0},
    {"[]", TP_EPARSE, 0, 0, 0},
    {"\"x\"", TP_EPARSE, 0, 0, 0},
    {"{\"resourceLogs\":\"x\"}", TP_EPARSE, 0, 0, 0},
    {"{\"resourceLogs\":{}}", TP_EPARSE, 0, 0, 0},
    {"{}", 0, 0, 0, 0},
    {"{\"resourceLogs\":null}", 0, 0, 0, 0},
    {"{\"resourceLogs\":[]}", 0, 0, 0, 0},
    {"{\"resourceLogs\":[1,\"x\",{\"scopeLogs\":\"x\"},{\"scopeLogs\":[1,{\"logRecords\":{}}]}]}",
     0, 0, 0, 0},
    /* Records that are not objects are broken; {} is just not ours. */
    {"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[1,null,{},[]]}]}]}", 0, 0, 1, 3},
    /* OTLP before 0.15 named the scope list differently. */
    {"{\"resourceLogs\":[{\"instrumentationLibraryLogs\":[{\"logRecords\":[{\"attributes\":[" TR
         A_STR("tool_name", "Read") "]}]}]}]}",
     0, 1, 0, 0},
};

static void test_bodies(void)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        const struct body_case *c = &body_cases[i];
        struct op *ops = (struct op *)1;
        size_t n = 99;
        struct otlp_counts k;
        err[0] = '\0';
        int rc = otlp_logs_parse(c->body, strlen(c->body), NOW, &ops, &n, &k, err);
        if (rc != c->rc || n != c->ops || k.ignored != c->ignored || k.rejected != c->rejected)
            FAIL_("row %zu: rc %d ops %zu ignored %zu rejected %zu (%s)", i, rc, n, k.ignored,
                  k.rejected, err);
        if (rc != 0) {
            ASSERT_TRUE(ops == NULL);
            ASSERT_TRUE(err[0] != '\0');
        }
        free_ops(ops, n);
    }
}

/* gzip-compress in[0..n) (windowBits 31 = gzip wrapper). */
static char *gzip(const char *in, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    char *out = xmalloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    *out_n = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static void test_gzip(void)
{
    char err[TP_ERR_MAX], *plain, *out;
    size_t n, gz_n, out_n;
    FIXTURE_READ_DATA(plain, FIXTURE_OLD_OTLP, &n);
    char *gz = gzip(plain, n, &gz_n);
    ASSERT_EQ_INT(otlp_gunzip(gz, gz_n, TP_MAX_OTLP_BODY, &out, &out_n, err), 0);
    ASSERT_EQ_INT(out_n, n);
    ASSERT_TRUE(memcmp(out, plain, n) == 0);
    ASSERT_EQ_INT(out[out_n], '\0');
    struct op *ops;
    size_t nops;
    ASSERT_EQ_INT(otlp_logs_parse(out, out_n, NOW, &ops, &nops, NULL, err), 0);
    ASSERT_EQ_INT(nops, 2);
    free_ops(ops, nops);
    free(out);

    /* Exactly at the cap passes; one byte less does not. */
    ASSERT_EQ_INT(otlp_gunzip(gz, gz_n, n, &out, &out_n, err), 0);
    free(out);
    ASSERT_EQ_INT(otlp_gunzip(gz, gz_n, n - 1, &out, &out_n, err), TP_ETOOBIG);
    ASSERT_TRUE(out == NULL);

    /* Two members are one body. */
    char *two = xmalloc(2 * gz_n);
    memcpy(two, gz, gz_n);
    memcpy(two + gz_n, gz, gz_n);
    ASSERT_EQ_INT(otlp_gunzip(two, 2 * gz_n, TP_MAX_OTLP_BODY, &out, &out_n, err), 0);
    ASSERT_EQ_INT(out_n, 2 * n);
    free(out);
    free(two);

    /* Truncated, corrupt, empty, not gzip. */
    ASSERT_EQ_INT(otlp_gunzip(gz, gz_n / 2, TP_MAX_OTLP_BODY, &out, &out_n, err), TP_EPARSE);
    ASSERT_CONTAINS(err, "truncated");
    gz[gz_n / 2] ^= 0x55;
    gz[gz_n / 2 + 1] ^= 0x55;
    ASSERT_TRUE(otlp_gunzip(gz, gz_n, TP_MAX_OTLP_BODY, &out, &out_n, err) != 0);
    ASSERT_EQ_INT(otlp_gunzip(gz, 0, TP_MAX_OTLP_BODY, &out, &out_n, err), TP_EPARSE);
    ASSERT_EQ_INT(otlp_gunzip("{\"a\":1}", 7, TP_MAX_OTLP_BODY, &out, &out_n, err), TP_EPARSE);
    free(gz);
    free(plain);
}

static void test_gzip_bomb(void)
{
    /* 256 MB of zeros compress to about 250 KB. */
    size_t big = 256u * 1024 * 1024, gz_n;
    char *zeros = xcalloc(1, big), *out, err[TP_ERR_MAX];
    char *gz = gzip(zeros, big, &gz_n);
    free(zeros);
    ASSERT_TRUE(gz_n < 1024 * 1024);
    int rc = otlp_gunzip(gz, gz_n, TP_MAX_OTLP_BODY, &out, &(size_t){0}, err);
    ASSERT_EQ_INT(rc, TP_ETOOBIG);
    ASSERT_TRUE(out == NULL);
    /* Stopped at the cap, not after inflating everything: the same bomb
     * cut in half would be "truncated" if it were read to its end. */
    rc = otlp_gunzip(gz, gz_n / 2, TP_MAX_OTLP_BODY, &out, &(size_t){0}, err);
    free(gz);
    ASSERT_EQ_INT(rc, TP_ETOOBIG);
    ASSERT_TRUE(out == NULL);
}

TEST_MAIN(TEST_CASE(test_recorded_bodies), TEST_CASE(test_old_export), TEST_CASE(test_records),
          TEST_CASE(test_derived_ids_are_stable), TEST_CASE(test_bodies), TEST_CASE(test_gzip),
          TEST_CASE(test_gzip_bomb))
