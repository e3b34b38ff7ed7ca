/*
 * test_codex.c - Codex CLI rollouts (ingest/codex.c): the parser over a
 * rollout recorded from the real client (codex-cli 0.171.0, two turns, a
 * parallel pair, a patch, a failing command) and over a hand-made 0.46
 * rollout (extended persistence, approval on-request, MCP, a rejected,
 * an interrupted and a lost call); the import through the importer into a
 * real store: re-import adds nothing, the file cut after its first turn
 * and then grown adds exactly the second turn's call, a read resumed
 * after the turn_context still knows the turn's policy; lines without a
 * usable timestamp (hand-made) reported with their line numbers.
 *
 * Every number comes from tests/data/agents_reference.py, which reads the
 * same files with Python's json module (its output for this recording is
 * quoted next to each block).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"
#include "core/jsonin.h"
#include "core/tptime.h"
#include "ingest/codex.h"
#include "ingest/importer.h"

#define REC_DIR "recorded/agents/codex/"
#define REC_ROLLOUT                                                                                \
    REC_DIR "sessions/2026/12/05/"                                                                 \
            "rollout-2026-12-05T03-52-11-01a24454-b30c-7502-b27c-c0054156dbdc.jsonl"
#define REC_SESSION "01a24454-b30c-7502-b27c-c0054156dbdc"
#define REC_TURN1_BYTES 52954
#define HAND_046 "agents/codex-0.46.jsonl"
#define HAND_UNTIMED "agents/codex-untimed.jsonl"
#define UNTIMED_SESSION "0199f3c2-0000-7000-8000-00000000cafe"

/* Parse data with a fresh parser; out gets the records. final as
 * codex_finish's. Returns the number of lines refused. */
static int parse(const char *data, size_t len, int final, struct agentfile_out *out)
{
    struct codex *c = codex_new(out);
    char eb[TP_ERR_MAX];
    int bad = 0;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(data + off, '\n', len - off);
        if (!nl)
            break;
        if (codex_feed(c, data + off, (size_t)(nl - (data + off)), (int64_t)off, eb) != 0)
            bad++;
        off = (size_t)(nl - data) + 1;
    }
    codex_finish(c, final);
    codex_free(c);
    return bad;
}

static const struct op *find(const struct agentfile_out *o, const char *id)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->ops[i].tool_use_id && strcmp(o->ops[i].tool_use_id, id) == 0)
            return &o->ops[i];
    return NULL;
}

static const char *meta_str(const struct op *op, const char *key, char *buf, size_t n)
{
    char eb[TP_ERR_MAX];
    buf[0] = '\0';
    if (!op->meta)
        return buf;
    cJSON *m = jin_parse(op->meta, strlen(op->meta), JIN_STRICT, 8, eb);
    const cJSON *v = jin_get(m, key);
    if (cJSON_IsString(v))
        snprintf(buf, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, n, "%.0f", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    cJSON_Delete(m);
    return buf;
}

/* One expected call: id, tool, success, start, wall, exec (NAN: unknown)
 * and the exactness of the wall. */
struct want {
    const char *id, *tool;
    int ok;
    int64_t start;
    double wall, exec;
    int wall_exact;
};

#define CHECK_CALL(o, w)                                                                           \
    do {                                                                                           \
        const struct op *op_ = find((o), (w).id);                                                  \
        if (!op_)                                                                                  \
            FAIL_("call %s not found", (w).id);                                                    \
        ASSERT_STREQ(op_->tool, (w).tool);                                                         \
        ASSERT_EQ_INT(op_->success, (w).ok);                                                       \
        ASSERT_EQ_INT(op_->ts_ms, (w).start);                                                      \
        if (isnan((w).wall))                                                                       \
            ASSERT_TRUE(isnan(op_->wall_ms));                                                      \
        else {                                                                                     \
            ASSERT_EQ_DBL(op_->wall_ms, (w).wall, 0);                                              \
            ASSERT_EQ_INT(op_->exact[OP_PH_WALL], (w).wall_exact);                                 \
        }                                                                                          \
        if (isnan((w).exec))                                                                       \
            ASSERT_TRUE(isnan(op_->duration_ms));                                                  \
        else                                                                                       \
            ASSERT_EQ_DBL(op_->duration_ms, (w).exec, 0.5);                                        \
        ASSERT_STREQ(op_->agent, "codex");                                                         \
    } while (0)

/* ---- the recorded rollout ---------------------------------------------- */

/* agents_reference.py, "codex (recorded, whole)":
 *   call_bkxiz4BHNr3ZAZxSHdBW0Re7 exec_command ok start 1796442731502 wall 594 (parallel)
 *   call_F1DuUM6Iu6RttLscr9RwyjdH exec_command ok start 1796442731505 wall 133 (parallel)
 *   call_l6ha1fB8pEpMfu04qAMBEuCm apply_patch  ok start 1796442732136 wall 8
 *   call_lpVQMcqqnYPS2UXwz1x2Br8I exec_command exit 3 start 1796442732182 wall 76
 *   call_OTlS7diID5PbuN1LGqf8Pj6x exec_command ok start 1796442733172 wall 106
 *   turns 2, requests 6; approval "never": exec = wall, derived (each call
 *   has its item_completed, so even the parallel pair's end is exact). */
static const struct want rec_calls[] = {
    {"call_bkxiz4BHNr3ZAZxSHdBW0Re7", "exec_command", 1, 1796442731502, 594, 594, OP_EX_DERIVED},
    {"call_F1DuUM6Iu6RttLscr9RwyjdH", "exec_command", 1, 1796442731505, 133, 133, OP_EX_DERIVED},
    {"call_l6ha1fB8pEpMfu04qAMBEuCm", "apply_patch", 1, 1796442732136, 8, 8, OP_EX_DERIVED},
    {"call_lpVQMcqqnYPS2UXwz1x2Br8I", "exec_command", 0, 1796442732182, 76, 76, OP_EX_DERIVED},
    {"call_OTlS7diID5PbuN1LGqf8Pj6x", "exec_command", 1, 1796442733172, 106, 106, OP_EX_DERIVED},
};

static void test_recorded_rollout(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_ROLLOUT, &len);
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse(d, len, 1, &o), 0);
    ASSERT_EQ_INT(o.n, 5);
    for (size_t i = 0; i < sizeof rec_calls / sizeof rec_calls[0]; i++)
        CHECK_CALL(&o, rec_calls[i]);
    const struct op *fail = find(&o, "call_lpVQMcqqnYPS2UXwz1x2Br8I");
    ASSERT_STREQ(fail->error, "exit code 3");
    ASSERT_STREQ(fail->target, "echo failing >&2; exit 3");
    ASSERT_STREQ(fail->session_id, REC_SESSION);
    ASSERT_STREQ(fail->project, "/tmp/toolprof-agents-fixtures/codex/project");
    ASSERT_STREQ(fail->agent_version, "0.171.0");
    ASSERT_EQ_INT(fail->ask, OP_ASK_NO);
    const struct op *patch = find(&o, "call_l6ha1fB8pEpMfu04qAMBEuCm");
    ASSERT_STREQ(patch->target, "notes.txt");
    char b[64];
    ASSERT_STREQ(meta_str(find(&o, "call_bkxiz4BHNr3ZAZxSHdBW0Re7"), "parallel", b, sizeof b),
                 "true");
    ASSERT_STREQ(meta_str(fail, "approval_policy", b, sizeof b), "never");
    ASSERT_STREQ(meta_str(fail, "model", b, sizeof b), "gpt-5.5");
    ASSERT_EQ_INT(o.nturns, 2);
    ASSERT_EQ_INT(o.nreqs, 6);
    for (size_t i = 0; i < o.nreqs; i++) {
        ASSERT_STREQ(o.reqs[i].model, "gpt-5.5");
        /* The stand-in reports 1,200 input tokens of which 200 cached. */
        ASSERT_EQ_INT(o.reqs[i].input_tokens, 1000);
        ASSERT_EQ_INT(o.reqs[i].cache_read_tokens, 200);
        ASSERT_EQ_INT(o.reqs[i].output_tokens, 40);
    }
    for (size_t i = 0; i < o.nturns; i++) {
        ASSERT_STREQ(o.turns[i].session_id, REC_SESSION);
        ASSERT_TRUE(o.turns[i].end_ms > o.turns[i].start_ms);
    }
    agentfile_out_clear(&o);
    free(d);
}

/* The first turn alone (the file as it was between the two runs): 4 calls,
 * 1 turn, 4 requests (agents_reference.py, "first 52954 bytes"). */
static void test_recorded_first_turn(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_ROLLOUT, &len);
    ASSERT_TRUE(len > REC_TURN1_BYTES && d[REC_TURN1_BYTES - 1] == '\n');
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse(d, REC_TURN1_BYTES, 0, &o), 0);
    ASSERT_EQ_INT(o.n, 4);
    ASSERT_EQ_INT(o.nturns, 1);
    ASSERT_EQ_INT(o.nreqs, 4);
    ASSERT_TRUE(find(&o, "call_OTlS7diID5PbuN1LGqf8Pj6x") == NULL);
    agentfile_out_clear(&o);
    free(d);
}

/* ---- the hand-made 0.46 rollout ------------------------------------------ */

/* agents_reference.py, "codex (by hand) codex-0.46.jsonl": approval
 * on-request, so exec is the command's own time (estimated) or unknown. */
static const struct want hand_calls[] = {
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_A", "shell", 0, 1760954401000, 3000, 2500,
     OP_EX_DERIVED},
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_B", "shell", 1, 1760954405000, 320, 50,
     OP_EX_ESTIMATED},
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_C", "shell", 1, 1760954405010, 290, 120,
     OP_EX_ESTIMATED},
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_D", "apply_patch", 0, 1760954406000, 40, NAN,
     OP_EX_DERIVED},
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_E", "mcp__docs__search", 1, 1760954407000, 800, 750,
     OP_EX_DERIVED},
    {"0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/call_F", "update_plan", 1, 1760954408000, 200, 200,
     OP_EX_DERIVED},
};

static void test_hand_046(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, HAND_046, &len);
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse(d, len, 1, &o), 0);
    ASSERT_EQ_INT(o.n, 10);
    for (size_t i = 0; i < sizeof hand_calls / sizeof hand_calls[0]; i++)
        CHECK_CALL(&o, hand_calls[i]);
    const char *S = "0199f3c2-1a2b-7c3d-8e4f-5a6b7c8d9e0f/";
    char id[128], b[64];
    snprintf(id, sizeof id, "%scall_A", S);
    const struct op *a = find(&o, id);
    ASSERT_STREQ(a->target, "npm test");
    ASSERT_STREQ(a->error, "exit code 1");
    ASSERT_EQ_INT(a->ask, OP_ASK_MAYBE);
    ASSERT_EQ_INT(a->exact[OP_PH_EXEC], OP_EX_ESTIMATED);
    ASSERT_EQ_INT(a->phsrc[OP_PH_EXEC], PHS_TOOL);
    ASSERT_STREQ(meta_str(a, "sandbox", b, sizeof b), "workspace-write");
    ASSERT_STREQ(a->agent_version, "0.46.0");
    snprintf(id, sizeof id, "%scall_D", S);
    ASSERT_STREQ(find(&o, id)->error, "patch rejected: context mismatch");
    ASSERT_STREQ(find(&o, id)->target, "src/cart.js");
    snprintf(id, sizeof id, "%sws_1", S);
    const struct op *ws = find(&o, id);
    ASSERT_TRUE(ws != NULL);
    ASSERT_STREQ(ws->tool, "web_search");
    ASSERT_STREQ(ws->target, "node test runner exit code");
    ASSERT_TRUE(isnan(ws->duration_ms));
    /* The person said no: the whole time was theirs. */
    snprintf(id, sizeof id, "%scall_G", S);
    const struct op *g = find(&o, id);
    ASSERT_EQ_INT(g->success, 0);
    ASSERT_EQ_INT(g->ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(g->wait_ms, 3000, 0);
    ASSERT_TRUE(isnan(g->duration_ms));
    ASSERT_STREQ(meta_str(g, "outcome", b, sizeof b), "rejected");
    snprintf(id, sizeof id, "%scall_H", S);
    ASSERT_STREQ(meta_str(find(&o, id), "outcome", b, sizeof b), "interrupted");
    ASSERT_EQ_INT(find(&o, id)->success, 0);
    snprintf(id, sizeof id, "%scall_I", S);
    ASSERT_STREQ(meta_str(find(&o, id), "outcome", b, sizeof b), "lost");
    ASSERT_STREQ(find(&o, id)->error, "no result");
    ASSERT_EQ_INT(o.nturns, 2);
    ASSERT_EQ_INT(o.nreqs, 3);
    /* token_count's last usage: 5,000 input of which 4,000 cached. */
    ASSERT_EQ_INT(o.reqs[0].input_tokens, 1000);
    ASSERT_EQ_INT(o.reqs[0].cache_read_tokens, 4000);
    ASSERT_STREQ(o.reqs[0].model, "gpt-5-codex");
    agentfile_out_clear(&o);

    /* Not final: the call without output waits (its line is the resume
     * point), nothing is lost. */
    struct codex *c = codex_new(&o);
    char eb[TP_ERR_MAX];
    int64_t last_line = -1;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(d + off, '\n', len - off);
        last_line = (int64_t)off;
        codex_feed(c, d + off, (size_t)(nl - (d + off)), (int64_t)off, eb);
        off = (size_t)(nl - d) + 1;
    }
    codex_finish(c, 0);
    ASSERT_EQ_INT(o.n, 9);
    ASSERT_EQ_INT(codex_resume_offset(c, (int64_t)len), last_line);
    codex_free(c);
    agentfile_out_clear(&o);
    free(d);
}

/* A line that is not JSON is refused and changes nothing. */
static void test_bad_lines(void)
{
    struct agentfile_out o = {0};
    struct codex *c = codex_new(&o);
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(codex_feed(c, "garbage", 7, 0, eb), TP_EPARSE);
    ASSERT_EQ_INT(
        codex_feed(c, "{\"type\":\"response_item\",\"payload\":{\"type\":\"fu", 45, 8, eb), 0);
    ASSERT_EQ_INT(codex_feed(c, "", 0, 60, eb), 0);
    codex_finish(c, 1);
    ASSERT_EQ_INT(o.n, 0);
    codex_free(c);
    ASSERT_EQ_INT(codex_sniff("{\"timestamp\":\"x\",\"type\":\"session_meta\",\"payload\":{}}", 54),
                  1);
    ASSERT_EQ_INT(codex_sniff("{\"type\":\"user\",\"message\":{}}", 28), 0);
    ASSERT_EQ_INT(agentfile_exit_code("Chunk ID: 1\nProcess exited with code 7\nOutput:\nExit "
                                      "code: 9\n"),
                  7);
    ASSERT_EQ_INT(agentfile_exit_code("Output: x\nExit code: 2\nExit Code: 5\n"), 5);
    ASSERT_EQ_INT(agentfile_exit_code("no code here"), -1);
}

/* ---- import into a store ----------------------------------------------------- */

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static const char *tmp_dir(void)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("codex");
        atexit(cleanup);
    }
    return tmp_root;
}

static int import_path(struct store *s, const char *path, struct importer_stats *st)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(st, 0, sizeof *st);
    const char *paths[] = {path};
    int rc = importer_run(s, paths, 1, &o, st, eb);
    if (rc)
        fprintf(stderr, "  import: %s\n", eb);
    return rc;
}

struct row_check {
    int n, failed, exec_known;
    double exec_sum;
};
static int row_cb(void *ctx, const struct store_row *r)
{
    struct row_check *c = ctx;
    c->n++;
    c->failed += !r->op.success;
    if (!isnan(r->op.duration_ms)) {
        c->exec_known++;
        c->exec_sum += r->op.duration_ms;
    }
    return 0;
}

static void scan_all(struct store *s, struct row_check *c)
{
    struct store_scan q = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    memset(c, 0, sizeof *c);
    store_scan(s, &q, row_cb, c);
}

/* The stored rows, each call by id. */
struct row {
    char id[96], error[64];
    int ok;
    double exec, wall;
    int64_t ts;
};
struct rows {
    struct row r[16];
    int n;
};
static int rows_cb(void *ctx, const struct store_row *r)
{
    struct rows *rs = ctx;
    if (rs->n >= 16)
        return 1;
    struct row *x = &rs->r[rs->n++];
    snprintf(x->id, sizeof x->id, "%s", r->op.tool_use_id ? r->op.tool_use_id : "");
    snprintf(x->error, sizeof x->error, "%s", r->op.error ? r->op.error : "");
    x->ok = r->op.success;
    x->exec = r->op.duration_ms;
    x->wall = r->op.wall_ms;
    x->ts = r->op.ts_ms;
    return 0;
}
static void rows_of(struct store *s, struct rows *rs)
{
    struct store_scan q = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    memset(rs, 0, sizeof *rs);
    store_scan(s, &q, rows_cb, rs);
}
static const struct row *row_find(const struct rows *rs, const char *id)
{
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].id, id) == 0)
            return &rs->r[i];
    return NULL;
}

static void test_import_grow_reimport(void)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/grow/sessions/2026/12/05", tmp_dir());
    ASSERT_EQ_INT(fixture_mkdirs(dir), 0);
    snprintf(path, sizeof path, "%s/rollout-x.jsonl", dir);
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_ROLLOUT, &len);
    char sdir[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/grow/data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    struct row_check rc;

    /* The file as the first run left it. */
    ASSERT_EQ_INT(fixture_write(path, d, REC_TURN1_BYTES, "wb"), 0);
    ASSERT_EQ_INT(import_path(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 4);
    ASSERT_EQ_INT(st.agent[IMPORTER_CODEX].files, 1);
    ASSERT_EQ_INT(st.agent[IMPORTER_CODEX].calls, 4);
    ASSERT_EQ_INT(st.agent[IMPORTER_CODEX].inserted, 4);
    ASSERT_EQ_INT(st.agent[IMPORTER_CLAUDE].calls, 0);
    /* Again: unchanged, not even read. */
    ASSERT_EQ_INT(import_path(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);
    /* The second run appends its turn: exactly its one call is new. */
    ASSERT_EQ_INT(fixture_write(path, d + REC_TURN1_BYTES, len - REC_TURN1_BYTES, "ab"), 0);
    ASSERT_EQ_INT(import_path(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(st.res.merged, 0);
    scan_all(s, &rc);
    ASSERT_EQ_INT(rc.n, 5);
    ASSERT_EQ_INT(rc.failed, 1);
    ASSERT_EQ_INT(rc.exec_known, 5);
    ASSERT_EQ_DBL(rc.exec_sum, 594 + 133 + 8 + 76 + 106, 0.5);
    /* A fresh store reading the whole file gets the same five. */
    struct store *s2;
    snprintf(sdir, sizeof sdir, "%s/grow/data2", tmp_dir());
    s2 = fixture_store_open(sdir);
    ASSERT_EQ_INT(import_path(s2, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
    struct row_check rc2;
    scan_all(s2, &rc2);
    ASSERT_EQ_DBL(rc2.exec_sum, rc.exec_sum, 0);
    store_close(s2);
    store_close(s);
    free(d);
}

/* A read resumed after the turn_context (the file cut right after the
 * second turn's call, whose output comes later) still knows the turn's
 * policy: the call is stored with its exec, as from a whole read. */
static void test_resume_keeps_the_turn_context(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_ROLLOUT, &len);
    const char *call = strstr(d + REC_TURN1_BYTES, "\"call_id\":\"call_OTlS7diID5PbuN1LGqf8Pj6x\"");
    ASSERT_TRUE(call != NULL);
    const char *eol = strchr(call, '\n');
    size_t cut = (size_t)(eol - d) + 1;
    /* The turn_context of turn 2 is before the cut, and found backwards. */
    char path[PATH_MAX], sdir[PATH_MAX];
    snprintf(path, sizeof path, "%s/resume-rollout.jsonl", tmp_dir());
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);
    int fd = open(path, O_RDONLY);
    int64_t tc = codex_context_line(fd, (int64_t)cut);
    close(fd);
    const char *tc2 = strstr(d + REC_TURN1_BYTES, "\"type\":\"turn_context\"");
    ASSERT_TRUE(tc2 != NULL && (size_t)(tc2 - d) < cut);
    while (tc2 > d && tc2[-1] != '\n')
        tc2--;
    ASSERT_EQ_INT(tc, tc2 - d);
    snprintf(sdir, sizeof sdir, "%s/resume-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    ASSERT_EQ_INT(import_path(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 4); /* the fifth waits for its output */
    ASSERT_EQ_INT(fixture_write(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import_path(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 1);
    struct row_check rc;
    scan_all(s, &rc);
    ASSERT_EQ_INT(rc.n, 5);
    ASSERT_EQ_INT(rc.exec_known, 5);
    ASSERT_EQ_DBL(rc.exec_sum, 594 + 133 + 8 + 76 + 106, 0.5);
    store_close(s);
    free(d);
}

/* Lines without a usable timestamp (agents/codex-untimed.jsonl; its story
 * is in make_agents.py): a call line is skipped and reported with its
 * line, an output still ends its call (wall unknown), reported; what loses
 * nothing about a call is quiet. 2 calls, lines 6, 8, 10 and 11 reported. */
static void test_untimed_lines(void)
{
    char path[PATH_MAX], sdir[PATH_MAX];
    FIXTURE_DATA_PATH(path, HAND_UNTIMED);
    snprintf(sdir, sizeof sdir, "%s/untimed-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    ASSERT_TRUE(s != NULL);
    struct importer_opts o;
    struct importer_stats st;
    char eb[TP_ERR_MAX], *report = NULL;
    size_t rlen = 0;
    importer_opts_init(&o);
    o.progress = IMPORTER_PROGRESS_OFF;
    o.report = open_memstream(&report, &rlen);
    memset(&st, 0, sizeof st);
    const char *paths[] = {path};
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    fclose(o.report);
    char want[4 * PATH_MAX + 1024];
    snprintf(want, sizeof want,
             "%s:6: timestamp \"yesterday\" is not a time: the function_call on this line was "
             "skipped\n"
             "%s:8: no timestamp: the custom_tool_call on this line was skipped\n"
             "%s:10: timestamp \"\" is not a time: the end of call call_4 is unknown\n"
             "%s:11: timestamp is not a string: the web_search_call on this line was skipped\n",
             path, path, path, path);
    ASSERT_STREQ(report, want);
    free(report);
    ASSERT_EQ_INT(st.malformed, 4);
    ASSERT_EQ_INT(st.lines, 12);
    ASSERT_EQ_INT(st.res.inserted, 2);

    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 2);
    const struct row *c1 = row_find(&rs, UNTIMED_SESSION "/call_1"),
                     *c4 = row_find(&rs, UNTIMED_SESSION "/call_4");
    ASSERT_TRUE(c1 && c4);
    ASSERT_EQ_INT(c1->ok, 1);
    ASSERT_EQ_DBL(c1->exec, 200, 0); /* approval never: exec = wall */
    ASSERT_EQ_DBL(c1->wall, 200, 0);
    ASSERT_EQ_INT(c4->ok, 0);
    ASSERT_STREQ(c4->error, "exit code 2");
    ASSERT_TRUE(isnan(c4->wall) && isnan(c4->exec));
    int64_t t;
    ASSERT_EQ_INT(tpt_parse_iso("2025-10-20T10:00:03.000Z", 0, &t), 0);
    ASSERT_EQ_INT(c4->ts, t);

    /* Again: unchanged. */
    memset(&st, 0, sizeof st);
    o.report = NULL;
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);
    store_close(s);
}

TEST_MAIN(TEST_CASE(test_recorded_rollout), TEST_CASE(test_recorded_first_turn),
          TEST_CASE(test_hand_046), TEST_CASE(test_bad_lines), TEST_CASE(test_import_grow_reimport),
          TEST_CASE(test_resume_keeps_the_turn_context), TEST_CASE(test_untimed_lines))
