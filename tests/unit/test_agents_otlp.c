/*
 * test_agents_otlp.c - Codex CLI's and Gemini CLI's OpenTelemetry through
 * the OTLP mapping (ingest/otlp_logs.c, otlp_spans.c), over the requests
 * the real clients posted while tests/agents/record.mjs recorded them
 * (codex-cli 0.171.0: three log requests; Gemini CLI 0.61.0: two trace and
 * two log requests), and the same calls stored once when the rollout or
 * the chat is imported too, in either order.
 *
 * The expected numbers were read from the recorded files with Python's
 * json module (quoted next to each table): Codex's tool_result
 * duration_ms and event.timestamp per call_id, Gemini's tool_call spans'
 * start and end per gen_ai.tool.call_id, and the records of each event
 * name per request.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "ingest/importer.h"
#include "ingest/otlp.h"

#define CODEX_DIR "recorded/agents/codex/"
#define CODEX_ROLLOUT                                                                              \
    CODEX_DIR "sessions/2026/12/05/"                                                               \
              "rollout-2026-12-05T03-52-11-01a24454-b30c-7502-b27c-c0054156dbdc.jsonl"
#define CODEX_SESSION "01a24454-b30c-7502-b27c-c0054156dbdc"
#define GEMINI_DIR "recorded/agents/gemini/"
#define GEMINI_CHAT GEMINI_DIR "tmp/project/chats/session-2026-12-05T03-52-f936c111.jsonl"
#define GEMINI_SESSION "f936c111-b849-46e7-86c5-1046985663ff"
/* After every recorded time, so that nothing is "in the future". */
#define NOW_MS 1796500000000LL

/* Decode and map one recorded request into out (appended), adding its
 * counts to *c. */
static int map_file(const char *rel, enum otlp_signal sig, struct otlp_joins *joins,
                    struct otlp_out *all, struct otlp_counts *c)
{
    char path[4096], eb[TP_ERR_MAX];
    size_t len;
    char *body = fixture_read(fixture_data_path(rel, path), &len);
    if (!body)
        return -1;
    struct otlp_batch b;
    int rc = otlp_decode(sig, OTLP_JSON, body, len, &b, eb);
    free(body);
    if (rc != 0) {
        fprintf(stderr, "  %s: %s\n", rel, eb);
        otlp_batch_free(&b);
        return rc;
    }
    struct otlp_out out;
    struct otlp_counts cc;
    memset(&out, 0, sizeof out);
    memset(&cc, 0, sizeof cc);
    rc = otlp_map(&b, NOW_MS, joins, &out, &cc, eb);
    otlp_batch_free(&b);
    c->records += cc.records;
    c->used += cc.used;
    c->ignored += cc.ignored;
    c->rejected += cc.rejected;
    if (cc.rejected)
        fprintf(stderr, "  %s: rejected: %s\n", rel, cc.first_error);
    /* Move the records over. */
    all->ops = realloc(all->ops, (all->nops + out.nops) * sizeof *all->ops);
    if (out.nops)
        memcpy(all->ops + all->nops, out.ops, out.nops * sizeof *out.ops);
    all->nops += out.nops;
    all->reqs = realloc(all->reqs, (all->nreqs + out.nreqs) * sizeof *all->reqs);
    if (out.nreqs)
        memcpy(all->reqs + all->nreqs, out.reqs, out.nreqs * sizeof *out.reqs);
    all->nreqs += out.nreqs;
    all->turns = realloc(all->turns, (all->nturns + out.nturns) * sizeof *all->turns);
    if (out.nturns)
        memcpy(all->turns + all->nturns, out.turns, out.nturns * sizeof *out.turns);
    all->nturns += out.nturns;
    free(out.ops);
    free(out.reqs);
    free(out.turns);
    return rc;
}

static const struct op *find_op(const struct otlp_out *o, const char *id, int with_phase)
{
    for (size_t i = 0; i < o->nops; i++) {
        const struct op *op = &o->ops[i];
        if (op->tool_use_id && strcmp(op->tool_use_id, id) == 0 &&
            (!with_phase || !isnan(op->duration_ms) || !isnan(op->wall_ms)))
            return op;
    }
    return NULL;
}

/* ---- Codex ------------------------------------------------------------------- */

/* codex.tool_result per call (Python over 01/03/05-logs.json):
 *   call_F1Du... exec_command 126 ms, 03:52:11.642Z, in 01 with its decision
 *   call_bkxi... exec_command 585 ms, 03:52:12.096Z, in 03; decision in 01
 *   call_l6ha... apply_patch    3 ms, 03:52:12.145Z, in 03 with its decision
 *   call_lpVQ... exec_command  68 ms, 03:52:12.261Z, exit code 3 in its output
 *   call_OTlS... exec_command  99 ms, 03:52:13.282Z, in 05
 * Every decision: approved, source Config. The rollout's walls (test_codex):
 * 594, 133, 8, 76, 106 ms; exec_command_end durations 371, 0, -, 0, 0. */
static const struct codex_want {
    const char *id, *tool, *target;
    double ms;
    long long end_ms;
    int ok;
    double rollout_wall, command_ms; /* command_ms -1: none */
} codex_calls[] = {
    {"call_F1DuUM6Iu6RttLscr9RwyjdH", "exec_command", "ls -1", 126, 1796442731642LL, 1, 133, 0},
    {"call_bkxiz4BHNr3ZAZxSHdBW0Re7", "exec_command", NULL, 585, 1796442732096LL, 1, 594, 371},
    {"call_l6ha1fB8pEpMfu04qAMBEuCm", "apply_patch", "notes.txt", 3, 1796442732145LL, 1, 8, -1},
    {"call_lpVQMcqqnYPS2UXwz1x2Br8I", "exec_command", "echo failing >&2; exit 3", 68,
     1796442732261LL, 0, 76, 0},
    {"call_OTlS7diID5PbuN1LGqf8Pj6x", "exec_command", NULL, 99, 1796442733282LL, 1, 106, 0},
};
#define NCODEX (sizeof codex_calls / sizeof codex_calls[0])

static int codex_map_all(struct otlp_joins *joins, struct otlp_out *o, struct otlp_counts *c)
{
    memset(o, 0, sizeof *o);
    memset(c, 0, sizeof *c);
    static const char *const files[] = {"01-logs.json", "03-logs.json", "05-logs.json"};
    for (size_t i = 0; i < 3; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%sotlp/%s", CODEX_DIR, files[i]);
        if (map_file(rel, OTLP_LOGS, joins, o, c) != 0)
            return -1;
    }
    return 0;
}

static void test_codex_events(void)
{
    struct otlp_joins *joins = otlp_joins_new();
    struct otlp_out o;
    struct otlp_counts c;
    ASSERT_EQ_INT(codex_map_all(joins, &o, &c), 0);
    /* 58 records: 32 sse_event, 6 api_request, 5 tool_decision, 5
     * tool_result, 2 each of conversation_starts, startup_phase,
     * user_prompt, turn_ttft and a metrics event. */
    ASSERT_EQ_INT(c.records, 58);
    ASSERT_EQ_INT(c.used, 5 + 5 + 6 + 2);
    ASSERT_EQ_INT(c.ignored, 40);
    ASSERT_EQ_INT(c.rejected, 0);
    /* A decision and its result in one request are one op (the sink
     * merges them): 2 + 3 + 1. */
    ASSERT_EQ_INT(o.nops, 6);
    ASSERT_EQ_INT(o.nreqs, 6);
    ASSERT_EQ_INT(o.nturns, 2);
    /* Every decision was taken by its result. */
    ASSERT_EQ_INT(otlp_joins_pending(joins), 0);
    FOR_EACH_ROW(i, NCODEX)
    {
        const struct codex_want *w = &codex_calls[i];
        TEST_ROW("%s", w->id);
        const struct op *op = find_op(&o, w->id, 1);
        ASSERT_TRUE(op != NULL);
        ASSERT_STREQ(op->tool, w->tool);
        ASSERT_STREQ(op->agent, "codex");
        ASSERT_STREQ(op->agent_version, "0.171.0");
        ASSERT_STREQ(op->session_id, CODEX_SESSION);
        /* Nobody was asked (source Config): the handler's time is the
         * execution, exact. */
        ASSERT_EQ_DBL(op->duration_ms, w->ms, 0);
        ASSERT_EQ_INT(op->exact[OP_PH_EXEC], OP_EX_EXACT);
        ASSERT_EQ_INT(op->phsrc[OP_PH_EXEC], PHS_OTLP);
        ASSERT_EQ_INT(op->ask, OP_ASK_NO);
        ASSERT_EQ_DBL(op->wall_ms, w->ms, 0);
        /* The record's time is 0: event.timestamp is the end. */
        ASSERT_EQ_INT(op->ts_ms, w->end_ms - (long long)w->ms);
        ASSERT_EQ_INT(op->success, w->ok);
        if (w->target)
            ASSERT_STREQ(op->target, w->target);
        if (!w->ok)
            ASSERT_STREQ(op->error, "exit code 3");
    }
    /* api_request: the time to the response's headers. */
    for (size_t i = 0; i < o.nreqs; i++) {
        ASSERT_STREQ(o.reqs[i].session_id, CODEX_SESSION);
        ASSERT_STREQ(o.reqs[i].model, "gpt-5.5");
        ASSERT_TRUE(!isnan(o.reqs[i].ttft_ms));
    }
    ASSERT_EQ_DBL(o.reqs[0].ttft_ms, 23, 0);
    otlp_out_free(&o);
    otlp_joins_free(joins);
}

/* Without the joins (no memory across requests) a decision in the same
 * request is still found; call_bkxi's, in an earlier request, is not, and
 * its duration stays a wall time that may hold an approval. */
static void test_codex_events_without_joins(void)
{
    struct otlp_out o;
    struct otlp_counts c;
    ASSERT_EQ_INT(codex_map_all(NULL, &o, &c), 0);
    ASSERT_EQ_INT(c.used, 18);
    const struct op *f = find_op(&o, "call_F1DuUM6Iu6RttLscr9RwyjdH", 1);
    const struct op *b = find_op(&o, "call_bkxiz4BHNr3ZAZxSHdBW0Re7", 1);
    ASSERT_TRUE(f && b);
    ASSERT_EQ_DBL(f->duration_ms, 126, 0);
    ASSERT_EQ_INT(f->ask, OP_ASK_NO);
    ASSERT_TRUE(isnan(b->duration_ms));
    ASSERT_EQ_DBL(f->wall_ms, 126, 0);
    ASSERT_EQ_DBL(b->wall_ms, 585, 0);
    ASSERT_EQ_INT(b->exact[OP_PH_WALL], OP_EX_EXACT);
    ASSERT_EQ_INT(b->ask, OP_ASK_MAYBE);
    otlp_out_free(&o);
}

/* ---- both sources in one store --------------------------------------------------- */

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static const char *tmp_dir(void)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("agents-otlp");
        atexit(cleanup);
    }
    return tmp_root;
}

static int import_path(struct store *s, const char *rel)
{
    char path[4096], eb[TP_ERR_MAX];
    struct importer_opts o;
    struct importer_stats st;
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(&st, 0, sizeof st);
    const char *paths[] = {fixture_data_path(rel, path)};
    int rc = importer_run(s, paths, 1, &o, &st, eb);
    if (rc)
        fprintf(stderr, "  import: %s\n", eb);
    return rc;
}

static int insert_ops(struct store *s, struct otlp_out *o)
{
    char eb[TP_ERR_MAX];
    struct store_result res;
    memset(&res, 0, sizeof res);
    int rc = store_insert(s, o->ops, o->nops, NULL, &res, eb);
    if (rc)
        fprintf(stderr, "  insert: %s\n", eb);
    return rc;
}

#define MAX_ROWS 16
struct rows {
    int n;
    struct {
        char id[128];
        unsigned sources;
        double exec, wall, command_ms;
        int exec_exact, wall_exact, success;
    } r[MAX_ROWS];
};

static int row_cb(void *ctx, const struct store_row *r)
{
    struct rows *c = ctx;
    if (c->n == MAX_ROWS)
        return 0;
    int i = c->n++;
    snprintf(c->r[i].id, sizeof c->r[i].id, "%s", r->op.tool_use_id ? r->op.tool_use_id : "");
    c->r[i].sources = r->sources;
    c->r[i].exec = r->op.duration_ms;
    c->r[i].wall = r->op.wall_ms;
    c->r[i].exec_exact = r->op.exact[OP_PH_EXEC];
    c->r[i].wall_exact = r->op.exact[OP_PH_WALL];
    c->r[i].success = r->op.success;
    const char *m = r->op.meta ? strstr(r->op.meta, "\"command_ms\":") : NULL;
    c->r[i].command_ms = m ? atof(m + 13) : -1;
    return 0;
}

static int rows_find(const struct rows *c, const char *id)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->r[i].id, id) == 0)
            return i;
    return -1;
}

static void scan(struct store *s, struct rows *c)
{
    struct store_scan q = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    memset(c, 0, sizeof *c);
    store_scan(s, &q, row_cb, c);
}

/* The rollout and the OTLP export, stored in either order: one row per
 * call, reported by both, with the export's exact wall and execution (the
 * handler's time; nobody was asked), and nested: the command's own time <=
 * the handler's <= the call line to the output line (in this recording;
 * for a call of a parallel group the line may be written after the call
 * started, so the last is no rule: see tests/agents/e2e.mjs). */
static void test_codex_stored_once(void)
{
    for (int order = 0; order < 2; order++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/codex-%d", tmp_dir(), order);
        struct store *s = fixture_store_open(dir);
        ASSERT_TRUE(s != NULL);
        struct otlp_joins *joins = otlp_joins_new();
        struct otlp_out o;
        struct otlp_counts c;
        ASSERT_EQ_INT(codex_map_all(joins, &o, &c), 0);
        if (order == 0) {
            ASSERT_EQ_INT(import_path(s, CODEX_ROLLOUT), 0);
            ASSERT_EQ_INT(insert_ops(s, &o), 0);
        } else {
            ASSERT_EQ_INT(insert_ops(s, &o), 0);
            ASSERT_EQ_INT(import_path(s, CODEX_ROLLOUT), 0);
        }
        otlp_out_free(&o);
        otlp_joins_free(joins);
        struct rows rows;
        scan(s, &rows);
        ASSERT_EQ_INT(rows.n, (int)NCODEX);
        FOR_EACH_ROW(i, NCODEX)
        {
            const struct codex_want *w = &codex_calls[i];
            TEST_ROW("order %d, %s", order, w->id);
            int k = rows_find(&rows, w->id);
            ASSERT_TRUE(k >= 0);
            ASSERT_EQ_INT(rows.r[k].sources, (1u << OP_SRC_TRANSCRIPT) | (1u << OP_SRC_OTLP));
            ASSERT_EQ_DBL(rows.r[k].exec, w->ms, 0.001);
            ASSERT_EQ_INT(rows.r[k].exec_exact, OP_EX_EXACT);
            ASSERT_EQ_DBL(rows.r[k].wall, w->ms, 0.001);
            ASSERT_EQ_INT(rows.r[k].wall_exact, OP_EX_EXACT);
            ASSERT_EQ_INT(rows.r[k].success, w->ok);
            ASSERT_EQ_DBL(rows.r[k].command_ms, w->command_ms, 0);
            if (w->command_ms >= 0)
                ASSERT_TRUE(rows.r[k].command_ms <= rows.r[k].exec);
        }
        store_close(s);
    }
}

/* ---- Gemini ------------------------------------------------------------------ */

/* tool_call spans (Python over 02/04-traces.json): call id, start, end - start.
 * The chat's estimates (toolCalls[].timestamp less the call id's ms):
 * 841, 747, 26, 83, 172 ms. */
static const struct gemini_want {
    const char *id, *tool;
    long long start_ms;
    double exec, chat_wall;
} gemini_calls[] = {
    {"run_shell_command__run_shell_command_1796442739377_0", "run_shell_command", 1796442739617LL,
     598.956741, 841},
    {"read_file__read_file_1796442739471_1", "read_file", 1796442739635LL, 74.057659, 747},
    {"replace__replace_1796442740236_0", "replace", 1796442740246LL, 15.175281, 26},
    {"run_shell_command__run_shell_command_1796442740279_0", "run_shell_command", 1796442740304LL,
     56.516127, 83},
    {"glob__glob_1796442744684_0", "glob", 1796442744819LL, 32.860607, 172},
};
#define NGEMINI (sizeof gemini_calls / sizeof gemini_calls[0])

static int gemini_map_all(struct otlp_out *o, struct otlp_counts *spans, struct otlp_counts *logs)
{
    memset(o, 0, sizeof *o);
    memset(spans, 0, sizeof *spans);
    memset(logs, 0, sizeof *logs);
    struct otlp_joins *joins = otlp_joins_new();
    int rc = map_file(GEMINI_DIR "otlp/02-traces.json", OTLP_TRACES, joins, o, spans) ||
             map_file(GEMINI_DIR "otlp/03-logs.json", OTLP_LOGS, joins, o, logs) ||
             map_file(GEMINI_DIR "otlp/04-traces.json", OTLP_TRACES, joins, o, spans) ||
             map_file(GEMINI_DIR "otlp/05-logs.json", OTLP_LOGS, joins, o, logs);
    otlp_joins_free(joins);
    return rc ? -1 : 0;
}

static void test_gemini_telemetry(void)
{
    struct otlp_out o;
    struct otlp_counts sp, lg;
    ASSERT_EQ_INT(gemini_map_all(&o, &sp, &lg), 0);
    /* Spans: 5 tool_call, 6 llm_call, 4 schedule_tool_calls. */
    ASSERT_EQ_INT(sp.records, 15);
    ASSERT_EQ_INT(sp.used, 5);
    ASSERT_EQ_INT(sp.ignored, 10);
    ASSERT_EQ_INT(sp.rejected, 0);
    /* Logs: 43 records; 6 api_response and 2 user_prompt used; the 5
     * tool_call events name no call and are not stored (the spans are). */
    ASSERT_EQ_INT(lg.records, 43);
    ASSERT_EQ_INT(lg.used, 8);
    ASSERT_EQ_INT(lg.ignored, 35);
    ASSERT_EQ_INT(lg.rejected, 0);
    ASSERT_EQ_INT(o.nops, 5);
    ASSERT_EQ_INT(o.nreqs, 6);
    ASSERT_EQ_INT(o.nturns, 2);
    FOR_EACH_ROW(i, NGEMINI)
    {
        const struct gemini_want *w = &gemini_calls[i];
        TEST_ROW("%s", w->id);
        const struct op *op = find_op(&o, w->id, 0);
        ASSERT_TRUE(op != NULL);
        ASSERT_STREQ(op->tool, w->tool);
        ASSERT_STREQ(op->agent, "gemini-cli");
        /* service.version is Node's ("v20.20.2"), not Gemini CLI's. */
        ASSERT_TRUE(op->agent_version == NULL);
        ASSERT_STREQ(op->session_id, GEMINI_SESSION);
        ASSERT_EQ_INT(op->ts_ms, w->start_ms);
        ASSERT_EQ_DBL(op->duration_ms, w->exec, 1e-6);
        ASSERT_EQ_INT(op->exact[OP_PH_EXEC], OP_EX_EXACT);
        ASSERT_EQ_INT(op->phsrc[OP_PH_EXEC], PHS_TRACE);
        ASSERT_EQ_INT(op->success, 1);
    }
    /* api_response (Python): the first is 204 ms, 1200 input tokens of
     * which 200 cached, 40 output. */
    ASSERT_STREQ(o.reqs[0].model, "gemini-2.5-pro");
    ASSERT_EQ_DBL(o.reqs[0].duration_ms, 204, 0);
    ASSERT_EQ_INT(o.reqs[0].input_tokens, 1000);
    ASSERT_EQ_INT(o.reqs[0].cache_read_tokens, 200);
    ASSERT_EQ_INT(o.reqs[0].output_tokens, 40);
    otlp_out_free(&o);
}

static void test_gemini_stored_once(void)
{
    for (int order = 0; order < 2; order++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/gemini-%d", tmp_dir(), order);
        struct store *s = fixture_store_open(dir);
        ASSERT_TRUE(s != NULL);
        struct otlp_out o;
        struct otlp_counts sp, lg;
        ASSERT_EQ_INT(gemini_map_all(&o, &sp, &lg), 0);
        if (order == 0) {
            ASSERT_EQ_INT(import_path(s, GEMINI_CHAT), 0);
            ASSERT_EQ_INT(insert_ops(s, &o), 0);
        } else {
            ASSERT_EQ_INT(insert_ops(s, &o), 0);
            ASSERT_EQ_INT(import_path(s, GEMINI_CHAT), 0);
        }
        otlp_out_free(&o);
        struct rows rows;
        scan(s, &rows);
        ASSERT_EQ_INT(rows.n, (int)NGEMINI);
        FOR_EACH_ROW(i, NGEMINI)
        {
            const struct gemini_want *w = &gemini_calls[i];
            TEST_ROW("order %d, %s", order, w->id);
            int k = rows_find(&rows, w->id);
            ASSERT_TRUE(k >= 0);
            ASSERT_EQ_INT(rows.r[k].sources, (1u << OP_SRC_TRANSCRIPT) | (1u << OP_SRC_OTLP));
            ASSERT_EQ_DBL(rows.r[k].exec, w->exec, 0.001);
            ASSERT_EQ_INT(rows.r[k].exec_exact, OP_EX_EXACT);
            ASSERT_EQ_DBL(rows.r[k].wall, w->chat_wall, 0.001);
            ASSERT_TRUE(rows.r[k].exec <= rows.r[k].wall);
        }
        store_close(s);
    }
}

TEST_MAIN(TEST_CASE(test_codex_events), TEST_CASE(test_codex_events_without_joins),
          TEST_CASE(test_codex_stored_once), TEST_CASE(test_gemini_telemetry),
          TEST_CASE(test_gemini_stored_once))
