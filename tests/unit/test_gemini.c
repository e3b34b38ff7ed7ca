/*
 * test_gemini.c - Gemini CLI chat recordings (ingest/gemini.c): a session
 * recorded from the real client (gemini-cli 0.61.0: a parallel shell and
 * read, a replace, a failing command, then a resumed second turn that
 * rewrites the metadata and the whole message list with $set), and
 * hand-made recordings of what the client writes less often: a message
 * rewritten whole with more calls, $rewindTo, cancelled and failed calls, a
 * call id without a clock, a sub-agent's file, the older .json document.
 * Then the import: the project from .project_root, re-import adds nothing,
 * and the file imported in pieces (cut after each of its lines, and grown)
 * stores exactly what one import of the whole file stores. Last, two
 * sessions with the same short message and call ids (hand-made).
 *
 * The numbers are tests/data/agents_reference.py's (quoted by each block).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/tptime.h"
#include "ingest/gemhook.h"
#include "ingest/gemini.h"
#include "ingest/hook.h"
#include "ingest/settings.h"
#include "ingest/importer.h"

#define REC_CHAT "recorded/agents/gemini/tmp/project/chats/session-2026-12-05T03-52-f936c111.jsonl"
#define REC_SESSION "f936c111-b849-46e7-86c5-1046985663ff"
#define HAND_DIR                                                                                   \
    "agents/gemini/tmp/9f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccddeeff00112233445566778899"
#define HAND_MAIN HAND_DIR "/chats/session-2025-10-20T10-00-6b1d2c3e.jsonl"
#define HAND_SUB                                                                                   \
    HAND_DIR "/chats/6b1d2c3e-4f50-4a61-8b72-9c8d7e6f5a4b/session-2025-10-20T10-00-7c2e3d4f.jsonl"
#define HAND_DOC HAND_DIR "/chats/session-2025-10-20T10-00-8d3f4e5a.json"
#define G1 "6b1d2c3e-4f50-4a61-8b72-9c8d7e6f5a4b"
#define HAND_SHORT_IDS "agents/gemini-short-ids/tmp/0f0f/chats"

static int parse_lines(const char *d, size_t len, const char *parent, struct agentfile_out *o)
{
    struct gemini *g = gemini_new(o, parent, NULL);
    char eb[TP_ERR_MAX];
    int bad = 0;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(d + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (d + off)) : len - off;
        if (gemini_feed(g, d + off, n, (int64_t)off, eb) != 0)
            bad++;
        off += n + 1;
    }
    gemini_flush(g);
    gemini_free(g);
    return bad;
}

static const struct op *find(const struct agentfile_out *o, const char *id)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->ops[i].tool_use_id, id) == 0)
            return &o->ops[i];
    return NULL;
}

struct want {
    const char *id, *tool;
    int ok;
    int64_t start;
    double wall, exec;
};

#define CHECK_CALL(o, w)                                                                           \
    do {                                                                                           \
        const struct op *op_ = find((o), (w).id);                                                  \
        if (!op_)                                                                                  \
            FAIL_("call %s not found", (w).id);                                                    \
        ASSERT_STREQ(op_->tool, (w).tool);                                                         \
        ASSERT_EQ_INT(op_->success, (w).ok);                                                       \
        ASSERT_EQ_INT(op_->ts_ms, (w).start);                                                      \
        ASSERT_EQ_DBL(op_->wall_ms, (w).wall, 0);                                                  \
        ASSERT_EQ_INT(op_->exact[OP_PH_WALL], OP_EX_ESTIMATED);                                    \
        if (isnan((w).exec)) {                                                                     \
            ASSERT_TRUE(isnan(op_->duration_ms));                                                  \
            ASSERT_EQ_INT(op_->ask, OP_ASK_MAYBE);                                                 \
        } else {                                                                                   \
            ASSERT_EQ_DBL(op_->duration_ms, (w).exec, 0);                                          \
            ASSERT_EQ_INT(op_->ask, OP_ASK_NO);                                                    \
        }                                                                                          \
        ASSERT_STREQ(op_->agent, "gemini-cli");                                                    \
    } while (0)

/* agents_reference.py, "gemini (recorded)": 5 calls, 6 requests. */
static const struct want rec_calls[] = {
    {"run_shell_command__run_shell_command_1796442739377_0", "run_shell_command", 1, 1796442739377,
     841, NAN},
    {"read_file__read_file_1796442739471_1", "read_file", 1, 1796442739471, 747, 747},
    {"replace__replace_1796442740236_0", "replace", 1, 1796442740236, 26, NAN},
    {"run_shell_command__run_shell_command_1796442740279_0", "run_shell_command", 0, 1796442740279,
     83, NAN},
    {"glob__glob_1796442744684_0", "glob", 1, 1796442744684, 172, 172},
};

static void test_recorded_chat(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_CHAT, &len);
    ASSERT_EQ_INT(gemini_sniff(d, len < 4096 ? len : 4096), 1);
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse_lines(d, len, NULL, &o), 0);
    ASSERT_EQ_INT(o.n, 5);
    for (size_t i = 0; i < sizeof rec_calls / sizeof rec_calls[0]; i++)
        CHECK_CALL(&o, rec_calls[i]);
    const struct op *fail = find(&o, "run_shell_command__run_shell_command_1796442740279_0");
    ASSERT_STREQ(fail->error, "exit code 3");
    ASSERT_STREQ(fail->target, "echo failing >&2; exit 3");
    ASSERT_STREQ(fail->session_id, REC_SESSION);
    ASSERT_TRUE(fail->subagent == NULL);
    ASSERT_EQ_INT(o.nreqs, 6);
    for (size_t i = 0; i < o.nreqs; i++) {
        ASSERT_STREQ(o.reqs[i].model, "gemini-2.5-pro");
        /* The stand-in: 1,200 prompt tokens (200 cached), 40 output, 8
         * thoughts. */
        ASSERT_EQ_INT(o.reqs[i].input_tokens, 1000);
        ASSERT_EQ_INT(o.reqs[i].cache_read_tokens, 200);
        ASSERT_EQ_INT(o.reqs[i].output_tokens, 48);
        ASSERT_STREQ(o.reqs[i].session_id, REC_SESSION);
    }
    agentfile_out_clear(&o);
    free(d);
}

/* agents_reference.py, "gemini (by hand) ...6b1d2c3e.jsonl": r1 and r2
 * once each though M1 was written three times; s1 and c1 of the rewound
 * message M2 kept; w1's id has no clock: it starts with its message. */
static const struct want hand_calls[] = {
    {"read_file__read_file_1760954401000_0", "read_file", 1, 1760954401000, 300, 300},
    {"glob__glob_1760954401100_1", "glob", 1, 1760954401100, 400, 400},
    {"run_shell_command__run_shell_command_1760954405000_0", "run_shell_command", 0, 1760954405000,
     1000, NAN},
    {"replace__replace_1760954405010_1", "replace", 0, 1760954405010, 890, NAN},
    {"write_file__toolu_abc123", "write_file", 0, 1760954420000, 400, NAN},
};

static void test_hand_rewrites_and_rewind(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, HAND_MAIN, &len);
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse_lines(d, len, NULL, &o), 0);
    ASSERT_EQ_INT(o.n, 5);
    for (size_t i = 0; i < sizeof hand_calls / sizeof hand_calls[0]; i++)
        CHECK_CALL(&o, hand_calls[i]);
    ASSERT_STREQ(find(&o, "run_shell_command__run_shell_command_1760954405000_0")->error,
                 "exit code 2");
    ASSERT_STREQ(find(&o, "replace__replace_1760954405010_1")->error, "cancelled");
    ASSERT_STREQ(find(&o, "write_file__toolu_abc123")->error, "Permission denied: /etc/hosts");
    ASSERT_EQ_INT(o.nreqs, 3);
    int flash = 0;
    for (size_t i = 0; i < o.nreqs; i++)
        flash += strcmp(o.reqs[i].model, "gemini-2.5-flash") == 0;
    ASSERT_EQ_INT(flash, 1);
    agentfile_out_clear(&o);
    free(d);
}

static void test_hand_subagent_and_document(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, HAND_SUB, &len);
    struct agentfile_out o = {0};
    ASSERT_EQ_INT(parse_lines(d, len, G1, &o), 0);
    ASSERT_EQ_INT(o.n, 1);
    const struct op *g = &o.ops[0];
    ASSERT_STREQ(g->tool, "grep_search");
    ASSERT_STREQ(g->session_id, G1);
    ASSERT_STREQ(g->subagent, "7c2e3d4f-5061-4b72-9c83-ad9e8f7a6b5c");
    ASSERT_EQ_DBL(g->duration_ms, 250, 0);
    ASSERT_EQ_INT(o.nreqs, 1);
    ASSERT_EQ_INT(o.reqs[0].sidechain, 1);
    agentfile_out_clear(&o);
    free(d);

    FIXTURE_READ_DATA(d, HAND_DOC, &len);
    ASSERT_EQ_INT(gemini_sniff(d, len), 2);
    struct gemini *gm = gemini_new(&o, NULL, "/home/dev/shop");
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(gemini_feed_document(gm, d, len, eb), 0);
    gemini_flush(gm);
    gemini_free(gm);
    ASSERT_EQ_INT(o.n, 2);
    const struct op *ls = find(&o, "list_directory__list_directory_1760954440000_0");
    const struct op *mk = find(&o, "run_shell_command__run_shell_command_1760954440100_1");
    ASSERT_TRUE(ls && mk);
    ASSERT_EQ_DBL(ls->duration_ms, 50, 0);
    ASSERT_EQ_INT(mk->success, 1);
    ASSERT_EQ_DBL(mk->wall_ms, 1000, 0);
    ASSERT_STREQ(mk->project, "/home/dev/shop");
    ASSERT_STREQ(mk->session_id, "8d3f4e5a-6172-4c83-ad94-be0f9a8b7c6d");
    ASSERT_EQ_INT(gemini_feed_document(gm = gemini_new(&o, NULL, NULL), "[1]", 3, eb), TP_EPARSE);
    gemini_free(gm);
    agentfile_out_clear(&o);
    free(d);
}

/* ---- import ---------------------------------------------------------------- */

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static const char *tmp_dir(void)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("gemini");
        atexit(cleanup);
    }
    return tmp_root;
}

static int import_paths(struct store *s, const char *const *paths, size_t n,
                        struct importer_stats *st)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(st, 0, sizeof *st);
    int rc = importer_run(s, paths, n, &o, st, eb);
    if (rc)
        fprintf(stderr, "  import: %s\n", eb);
    return rc;
}

struct sums {
    int n, failed, exec_known;
    double exec_sum, wall_sum;
    char project[256], session[64];
};
static int sum_cb(void *ctx, const struct store_row *r)
{
    struct sums *c = ctx;
    c->n++;
    c->failed += !r->op.success;
    if (!isnan(r->op.duration_ms)) {
        c->exec_known++;
        c->exec_sum += r->op.duration_ms;
    }
    if (!isnan(r->op.wall_ms))
        c->wall_sum += r->op.wall_ms;
    if (r->op.project)
        snprintf(c->project, sizeof c->project, "%s", r->op.project);
    if (r->op.session_id)
        snprintf(c->session, sizeof c->session, "%s", r->op.session_id);
    return 0;
}
static void sums_of(struct store *s, struct sums *c)
{
    struct store_scan q = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    memset(c, 0, sizeof *c);
    store_scan(s, &q, sum_cb, c);
}

/* The recorded folder as Gemini CLI keeps it: .project_root gives the
 * project; a second import adds nothing. */
static void test_import_recorded_folder(void)
{
    char dir[PATH_MAX], sdir[PATH_MAX];
    FIXTURE_DATA_PATH(dir, "recorded/agents/gemini/tmp");
    snprintf(sdir, sizeof sdir, "%s/rec", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    struct importer_root root = {.path = dir, .agent = IMPORTER_GEMINI, .recursive = 1};
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
    ASSERT_EQ_INT(st.agent[IMPORTER_GEMINI].files, 1);
    ASSERT_EQ_INT(st.agent[IMPORTER_GEMINI].inserted, 5);
    struct sums c;
    sums_of(s, &c);
    ASSERT_EQ_INT(c.n, 5);
    ASSERT_EQ_INT(c.failed, 1);
    ASSERT_EQ_INT(c.exec_known, 2);
    ASSERT_EQ_DBL(c.exec_sum, 747 + 172, 0);
    ASSERT_STREQ(c.project, "/tmp/toolprof-agents-fixtures/gemini/project");
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);
    store_close(s);
}

/* The hand-made session imported after each of its lines (a file growing
 * record by record, with its rewrites, $set and $rewindTo arriving in
 * later imports) stores exactly what one import of the whole file does. */
static void test_import_in_pieces(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, HAND_MAIN, &len);
    char whole_dir[PATH_MAX], path[PATH_MAX + 16], sdir[PATH_MAX];
    snprintf(whole_dir, sizeof whole_dir, "%s/whole", tmp_dir());
    ASSERT_EQ_INT(fixture_mkdirs(whole_dir), 0);
    snprintf(path, sizeof path, "%s/s.jsonl", whole_dir);
    ASSERT_EQ_INT(fixture_write(path, d, len, "wb"), 0);
    snprintf(sdir, sizeof sdir, "%s/whole-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    const char *one[] = {path};
    ASSERT_EQ_INT(import_paths(s, one, 1, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
    struct sums whole;
    sums_of(s, &whole);
    store_close(s);

    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += d[i] == '\n';
    for (int cut = 1; cut < lines; cut++) {
        size_t off = 0;
        for (int k = 0; k < cut; k++)
            off = (size_t)((char *)memchr(d + off, '\n', len - off) - d) + 1;
        char p2[PATH_MAX + 16], s2[PATH_MAX];
        snprintf(p2, sizeof p2, "%s/piece-%d.jsonl", tmp_dir(), cut);
        snprintf(s2, sizeof s2, "%s/piece-data-%d", tmp_dir(), cut);
        struct store *ps = fixture_store_open(s2);
        const char *pp[] = {p2};
        ASSERT_EQ_INT(fixture_write(p2, d, off, "wb"), 0);
        ASSERT_EQ_INT(import_paths(ps, pp, 1, &st), 0);
        size_t first = st.res.inserted;
        ASSERT_EQ_INT(fixture_write(p2, d + off, len - off, "ab"), 0);
        ASSERT_EQ_INT(import_paths(ps, pp, 1, &st), 0);
        struct sums c;
        sums_of(ps, &c);
        if (c.n != whole.n || c.failed != whole.failed || c.exec_known != whole.exec_known ||
            c.exec_sum != whole.exec_sum || c.wall_sum != whole.wall_sum)
            FAIL_("cut after line %d: %d calls (%d failed, %d timed, exec %.0f, wall %.0f), "
                  "expected %d (%d, %d, %.0f, %.0f)",
                  cut, c.n, c.failed, c.exec_known, c.exec_sum, c.wall_sum, whole.n, whole.failed,
                  whole.exec_known, whole.exec_sum, whole.wall_sum);
        ASSERT_EQ_INT(first + st.res.inserted, 5);
        store_close(ps);
    }
    free(d);
}

/* Run `toolprof hook` (hook_run) on one payload. */
static int hook_payload(const char *dir, const char *payload)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    ssize_t n = write(p[1], payload, strlen(payload));
    close(p[1]);
    int rc = n == (ssize_t)strlen(payload) ? hook_run(dir, p[0]) : -1;
    close(p[0]);
    return rc;
}

/* The call's arguments as the chat has them, re-serialized compactly (a
 * hook payload carries the same object). */
static char *chat_args(const char *chat, const char *call_id)
{
    const char *at = strstr(chat, call_id);
    const char *a = at ? strstr(at, "\"args\":") : NULL;
    if (!a)
        return NULL;
    a += 7;
    const char *e = jscan_skip_value(a, a + strlen(a));
    return e ? xstrndup(a, (size_t)(e - a)) : NULL;
}

/* Gemini CLI's BeforeTool/AfterTool through `toolprof hook`: the import of
 * the chat gives each call its hooks' execution (exact, after approval):
 * here the recorded shell and replace calls, each run written 100 ms
 * after its call started and lasting 30 / 12 ms; a run whose arguments
 * differ is given to no call. The hook writes nothing else and is silent. */
static void test_hooks_give_exec(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, REC_CHAT, &len);
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/hooks-data", tmp_dir());
    ASSERT_EQ_INT(fixture_mkdirs(data), 0);
    static const struct {
        const char *id, *tool;
        int64_t start;
        int ms;
    } runs[] = {
        {"run_shell_command__run_shell_command_1796442739377_0", "run_shell_command", 1796442739377,
         30},
        {"replace__replace_1796442740236_0", "replace", 1796442740236, 12},
    };
    char buf[4096], ts[40];
    for (size_t i = 0; i < 2; i++) {
        char *args = chat_args(d, runs[i].id);
        ASSERT_TRUE(args != NULL);
        tpt_format_utc(runs[i].start + 100, ts);
        snprintf(buf, sizeof buf,
                 "{\"session_id\":\"%s\",\"transcript_path\":\"x\",\"cwd\":\"/p\","
                 "\"hook_event_name\":\"BeforeTool\",\"timestamp\":\"%s\",\"tool_name\":\"%s\","
                 "\"tool_input\":%s}",
                 REC_SESSION, ts, runs[i].tool, args);
        ASSERT_EQ_INT(hook_payload(data, buf), 0);
        tpt_format_utc(runs[i].start + 100 + runs[i].ms, ts);
        snprintf(buf, sizeof buf,
                 "{\"session_id\":\"%s\",\"transcript_path\":\"x\",\"cwd\":\"/p\","
                 "\"hook_event_name\":\"AfterTool\",\"timestamp\":\"%s\",\"tool_name\":\"%s\","
                 "\"tool_input\":%s,\"tool_response\":{\"llmContent\":\"ok\"}}",
                 REC_SESSION, ts, runs[i].tool, args);
        ASSERT_EQ_INT(hook_payload(data, buf), 0);
        free(args);
    }
    /* A run of other arguments, and another event: neither is a call's. */
    tpt_format_utc(1796442740279 + 5, ts);
    snprintf(buf, sizeof buf,
             "{\"session_id\":\"%s\",\"hook_event_name\":\"BeforeTool\",\"timestamp\":\"%s\","
             "\"tool_name\":\"run_shell_command\",\"tool_input\":{\"command\":\"other\"}}",
             REC_SESSION, ts);
    ASSERT_EQ_INT(hook_payload(data, buf), 0);
    ASSERT_EQ_INT(hook_payload(data, "{\"session_id\":\"s\",\"hook_event_name\":\"SessionStart\"}"),
                  0);
    struct gemhook_run *r;
    size_t n;
    ASSERT_EQ_INT(gemhook_load(data, REC_SESSION, &r, &n), 0);
    ASSERT_EQ_INT(n, 2);
    ASSERT_EQ_INT(r[0].end_ms - r[0].start_ms, 30);
    free(r);
    char errlog[PATH_MAX + 32];
    snprintf(errlog, sizeof errlog, "%s/hook-errors.log", data);
    ASSERT_TRUE(!fixture_exists(errlog));

    struct agentfile_out o = {0};
    struct gemini *g = gemini_new(&o, NULL, NULL);
    gemini_set_hooks_dir(g, data);
    char eb[TP_ERR_MAX];
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(d + off, '\n', len - off);
        gemini_feed(g, d + off, (size_t)(nl - (d + off)), (int64_t)off, eb);
        off = (size_t)(nl - d) + 1;
    }
    gemini_flush(g);
    gemini_free(g);
    ASSERT_EQ_INT(o.n, 5);
    const struct op *sh = find(&o, runs[0].id), *rp = find(&o, runs[1].id);
    ASSERT_EQ_DBL(sh->duration_ms, 30, 0);
    ASSERT_EQ_INT(sh->phsrc[OP_PH_EXEC], PHS_HOOK);
    ASSERT_EQ_INT(sh->exact[OP_PH_EXEC], OP_EX_DERIVED);
    ASSERT_EQ_DBL(sh->wall_ms, 841, 0);
    ASSERT_EQ_DBL(rp->duration_ms, 12, 0);
    /* The failing shell had no run of its arguments: still unsplit. */
    ASSERT_TRUE(
        isnan(find(&o, "run_shell_command__run_shell_command_1796442740279_0")->duration_ms));
    agentfile_out_clear(&o);
    free(d);
}

/* install-hook --agent gemini-cli: BeforeTool and AfterTool groups in
 * Gemini CLI's settings, the rest kept; twice changes nothing; removed. */
static void test_install_hook_gemini(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/gemini-settings.json", tmp_dir());
    const char *before =
        "{\n  \"security\": {\"auth\": {\"selectedType\": \"gemini-api-key\"}}\n}\n";
    ASSERT_EQ_INT(fixture_write(path, before, strlen(before), "wb"), 0);
    char eb[TP_ERR_MAX];
    const char *cmd = "/usr/local/bin/toolprof hook";
    ASSERT_EQ_INT(settings_install_gemini(path, cmd, 0, NULL, eb), 0);
    size_t n = 0;
    char *after = fixture_read(path, &n);
    ASSERT_TRUE(after != NULL);
    cJSON *j = jin_parse(after, n, JIN_STRICT, 16, eb);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(jin_str(jin_get(jin_get(j, "security"), "auth"), "selectedType"),
                 "gemini-api-key");
    for (int k = 0; k < 2; k++) {
        const cJSON *ev = jin_get(jin_get(j, "hooks"), k ? "AfterTool" : "BeforeTool");
        ASSERT_EQ_INT(cJSON_GetArraySize(ev), 1);
        ASSERT_STREQ(jin_str(ev->child, "matcher"), "*");
        ASSERT_STREQ(jin_str(jin_get(ev->child, "hooks")->child, "command"), cmd);
        ASSERT_STREQ(jin_str(jin_get(ev->child, "hooks")->child, "type"), "command");
    }
    ASSERT_TRUE(jin_get(jin_get(j, "hooks"), "PostToolUse") == NULL);
    cJSON_Delete(j);
    ASSERT_EQ_INT(settings_install_gemini(path, cmd, 0, NULL, eb), 0);
    char *again = fixture_read(path, NULL);
    ASSERT_STREQ(again, after);
    free(again);
    free(after);
    ASSERT_EQ_INT(settings_install_gemini(path, NULL, 1, NULL, eb), 0);
    after = fixture_read(path, &n);
    j = jin_parse(after, n, JIN_STRICT, 16, eb);
    ASSERT_TRUE(jin_get(j, "hooks") == NULL);
    cJSON_Delete(j);
    free(after);
}

struct req_sum {
    int n;
    int64_t in, out;
    char id[64];
};
static int req_sum_cb(void *ctx, const struct request *r)
{
    struct req_sum *x = ctx;
    x->n++;
    x->in += r->input_tokens;
    x->out += r->output_tokens;
    snprintf(x->id, sizeof x->id, "%s", r->id);
    return 0;
}

/* Two sessions whose message ids (and call ids) are the same short ones
 * (agents/gemini-short-ids; the story is in make_agents.py): each keeps its
 * own call and its own request. */
static void test_short_ids_per_session(void)
{
    char dir[PATH_MAX], sdir[PATH_MAX];
    FIXTURE_DATA_PATH(dir, HAND_SHORT_IDS);
    snprintf(sdir, sizeof sdir, "%s/short-ids", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    const char *paths[] = {dir};
    ASSERT_EQ_INT(import_paths(s, paths, 1, &st), 0);
    ASSERT_EQ_INT(st.agent[IMPORTER_GEMINI].files, 2);
    ASSERT_EQ_INT(st.res.inserted, 2);
    struct sums c;
    sums_of(s, &c);
    ASSERT_EQ_INT(c.n, 2);
    ASSERT_EQ_DBL(c.wall_sum, 40 + 60, 0);
    static const struct {
        const char *session, *id;
        int64_t in, out;
    } want[] = {{"ga", "ga/m1", 100, 10}, {"gb", "gb/m1", 200, 20}};
    for (size_t i = 0; i < 2; i++) {
        struct req_sum r = {0};
        int64_t sid = store_str_id(s, want[i].session);
        ASSERT_TRUE(sid != 0);
        ASSERT_EQ_INT(store_requests(s, sid, 0, 0, req_sum_cb, &r), 0);
        ASSERT_EQ_INT(r.n, 1);
        ASSERT_STREQ(r.id, want[i].id);
        ASSERT_EQ_INT(r.in, want[i].in);
        ASSERT_EQ_INT(r.out, want[i].out);
    }
    store_close(s);
}

TEST_MAIN(TEST_CASE(test_recorded_chat), TEST_CASE(test_hand_rewrites_and_rewind),
          TEST_CASE(test_hand_subagent_and_document), TEST_CASE(test_import_recorded_folder),
          TEST_CASE(test_import_in_pieces), TEST_CASE(test_hooks_give_exec),
          TEST_CASE(test_install_hook_gemini), TEST_CASE(test_short_ids_per_session))
