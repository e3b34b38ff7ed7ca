/*
 * test_samples.c - the optional checks over public samples of Claude Code
 * data: `make test-samples SAMPLES=DIR` (tests/samples/README.md). Not part
 * of `make test`: the samples are third-party files of unknown licence, so
 * the repository neither holds nor needs them; its own tests read
 * tests/data. These are the assertions the unit tests made when they read
 * such samples, kept for anyone who has them: real 1.0.98, 1.0.108, 2.1.38
 * and 2.1.39 transcripts (a 1,512-line session with compaction and a
 * sub-agent), 215 real PostToolUse payloads from before duration_ms,
 * wrapped failure payloads, and a 2.1.226 OTLP export.
 *
 * The directory comes from $TOOLPROF_SAMPLES. A sample that is missing
 * fails the check that needs it, naming the file. The expected numbers were
 * worked out independently of toolprof with
 * tests/data/transcript/pairing_reference.py, whose output over these
 * files matched the parser's call for call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fixture.h"
#include "samples.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/hook.h"
#include "ingest/importer.h"
#include "ingest/otlp.h"
#include "ingest/transcript.h"

/* The samples, by the names they have in the directory. */
#define SESSION "4d5611e5-241a-462a-8d15-5122611a9569"
#define MAROT_MAIN "marot-spotter__transcript__" SESSION ".jsonl"
#define MAROT_AGENT "marot-spotter__transcript__" SESSION "__subagents__agent-a2898e3.jsonl"
#define MAROT_COMPACT                                                                              \
    "marot-spotter__transcript__" SESSION "__subagents__agent-acompact-e1f845.jsonl"
#define MAROT_SHORT "marot-spotter__transcript__short.jsonl"
#define MAROT_SUBAGENT "marot-spotter__transcript__subagent.jsonl"
#define MAROT_TOOL_HEAVY "marot-spotter__transcript__tool_heavy.jsonl"
#define KIMUSON_OLD                                                                                \
    "d-kimuson-claude-code-viewer__transcript__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
#define KIMUSON_MID                                                                                \
    "d-kimuson-claude-code-viewer__transcript__5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl"
#define POST_LOG "abujiletsgo-claude-agentic-framework__hooks__post_tool_use.json"
#define FAIL_LOG "abujiletsgo-claude-agentic-framework__hooks__post_tool_use_failure.json"
#define AXIOM "exequieldeferrari-axiom__otlp_logs__claude_logs.json"
#define MAROT_MAIN_BYTES 3158801

static const int64_t NOW = 1790000000000LL; /* 2026-09-21 */

static void free_ops(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    free(ops);
}

/* ---- reading samples (SAMPLE_PATH, READ_SAMPLE: samples.h) -------------- */

/* var = the sample parsed as JSON (JIN_REPAIR, as the log importer reads). */
#define LOAD_SAMPLE(var, name)                                                                     \
    do {                                                                                           \
        char e_[TP_ERR_MAX], *t_;                                                                  \
        size_t n_;                                                                                 \
        READ_SAMPLE(t_, name, &n_);                                                                \
        (var) = jin_parse(t_, n_, JIN_REPAIR, TP_MAX_JSON_DEPTH, e_);                              \
        free(t_);                                                                                  \
        if (!(var))                                                                                \
            FAIL_("sample %s: %s", (name), e_);                                                    \
    } while (0)

/* Feed a sample to a transcript parser line by line; no line may be
 * malformed. */
#define FEED_SAMPLE(t, name)                                                                       \
    do {                                                                                           \
        char *d_;                                                                                  \
        size_t n_;                                                                                 \
        READ_SAMPLE(d_, name, &n_);                                                                \
        int bad_ = feed_text((t), d_, n_);                                                         \
        free(d_);                                                                                  \
        if (bad_ != 0)                                                                             \
            FAIL_("sample %s: %d malformed lines", (name), bad_);                                  \
    } while (0)

static int feed_text(struct transcript *t, const char *text, size_t len)
{
    int64_t off = 0;
    int bad = 0;
    char eb[TP_ERR_MAX];
    while ((size_t)off < len) {
        const char *line = text + off, *nl = memchr(line, '\n', len - (size_t)off);
        size_t n = nl ? (size_t)(nl - line) : len - (size_t)off;
        if (transcript_feed(t, line, n, off, eb) != 0)
            bad++;
        off += (int64_t)n + 1;
    }
    return bad;
}

static const struct op *find(struct transcript *t, const char *id)
{
    size_t n;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        if (ops[i].tool_use_id && strcmp(ops[i].tool_use_id, id) == 0)
            return &ops[i];
    return NULL;
}

static size_t count_tool(struct transcript *t, const char *tool)
{
    size_t n, c = 0;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ops[i].tool, tool) == 0)
            c++;
    return c;
}

static size_t count_failed(struct transcript *t)
{
    size_t n, c = 0;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        if (!ops[i].success)
            c++;
    return c;
}

static size_t count_meta(struct transcript *t, const char *needle)
{
    size_t n, c = 0;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        if (ops[i].meta && strstr(ops[i].meta, needle))
            c++;
    return c;
}

struct tool_count {
    const char *tool;
    size_t n;
};

static size_t n_ops(struct transcript *t)
{
    size_t n;
    transcript_ops(t, &n);
    return n;
}

#define ASSERT_TOOLS(t, table)                                                                     \
    do {                                                                                           \
        size_t sum_ = 0;                                                                           \
        for (size_t i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) {                       \
            size_t got_ = count_tool((t), (table)[i_].tool);                                       \
            if (got_ != (table)[i_].n)                                                             \
                FAIL_("tool %s: got %zu calls, expected %zu", (table)[i_].tool, got_,              \
                      (table)[i_].n);                                                              \
            sum_ += got_;                                                                          \
        }                                                                                          \
        ASSERT_EQ_INT(n_ops(t), sum_);                                                             \
    } while (0)

static int all_normalize(struct transcript *t)
{
    size_t n;
    struct op *ops = transcript_ops(t, &n);
    char eb[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        if (op_normalize(&ops[i], 1900000000000LL, eb) != 0) {
            fprintf(stderr, "  %s: %s\n", ops[i].tool_use_id, eb);
            return 0;
        }
    }
    return 1;
}

/* ---- transcripts ------------------------------------------------------- */

static void test_marot_short(void)
{
    /* Two parallel calls the user rejected at the permission prompt. */
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_SHORT);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"Bash", 1}, {"Glob", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 2);
    const struct op *o = find(t, "toolu_0116Hyi5v8ut7Ffb7d8qV1Sc");
    ASSERT_TRUE(o);
    ASSERT_STREQ(o->tool, "Bash");
    ASSERT_EQ_INT(o->success, 0);
    ASSERT_STREQ(o->error, "rejected by user");
    /* The 1363 ms were a permission wait, not the tool's time. */
    ASSERT_TRUE(isnan(o->duration_ms));
    ASSERT_CONTAINS(o->meta, "\"wait_ms\":1363");
    ASSERT_CONTAINS(o->meta, "\"outcome\":\"rejected\"");
    ASSERT_EQ_INT(o->ts_ms, 1770757921117LL);
    ASSERT_STREQ(o->session_id, "55604662-cf2a-4331-851a-ec234028f8ca");
    ASSERT_STREQ(o->project, "/home/marco/projects/spotter");
    ASSERT_STREQ(o->target, "mix phx.server 2>&1 | head -80");
    ASSERT_EQ_INT(o->source, OP_SRC_TRANSCRIPT);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_marot_tool_heavy(void)
{
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_TOOL_HEAVY);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {
        {"Bash", 2}, {"Glob", 1}, {"Read", 1}, {"WebFetch", 1}, {"WebSearch", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 0);
    /* Glob reports durationMs 230 (wall 235), WebFetch 5249 (wall 5252),
     * WebSearch durationSeconds 6.47383981. */
    const struct op *g = find(t, "toolu_01JJds55jYrYwd9TktNGndRY");
    ASSERT_TRUE(g);
    ASSERT_EQ_DBL(g->duration_ms, 230, 0);
    ASSERT_CONTAINS(g->meta, "\"duration_from\":\"tool\"");
    ASSERT_CONTAINS(g->meta, "\"wall_ms\":235");
    const struct op *wf = find(t, "toolu_017Q5Sr8KaSgowYhbKXBnfV2");
    ASSERT_TRUE(wf);
    ASSERT_EQ_DBL(wf->duration_ms, 5249, 0);
    const struct op *ws = find(t, "toolu_01DKTWcKpZ2ksZQmoKKfxiw6");
    ASSERT_TRUE(ws);
    ASSERT_EQ_DBL(ws->duration_ms, 6473.83981, 1e-6);
    /* Timed from timestamps: Read 22:59:36.157 -> 36.162, the background
     * Bash launch 57:57.941 -> 59.113. */
    const struct op *r = find(t, "toolu_01VpPeBD2ziigLLpybShAGoU");
    ASSERT_TRUE(r);
    ASSERT_EQ_DBL(r->duration_ms, 5, 0);
    ASSERT_CONTAINS(r->meta, "\"duration_from\":\"timestamps\"");
    ASSERT_EQ_INT(r->result_bytes, 3150);
    const struct op *b = find(t, "toolu_018GZVh9ymkrdx1TnR8reg5Y");
    ASSERT_TRUE(b);
    ASSERT_EQ_DBL(b->duration_ms, 1172, 0);
    ASSERT_EQ_INT(b->optimized, 1);
    /* Two "[Request interrupted by user]" lines, with nothing running. */
    ASSERT_EQ_INT(transcript_stats(t)->interrupted, 0);
    /* 39 lines, of which hook progress, snapshots, queue operations and
     * responses without a call need no parse: the 13 user lines (results,
     * and prompts, which start turns) and the 6 with a tool_use do. */
    ASSERT_EQ_INT(transcript_stats(t)->lines, 39);
    ASSERT_EQ_INT(transcript_stats(t)->parsed, 19);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_marot_subagent_progress(void)
{
    /* The Task's sub-agent ran 9 tools; this file has them only as
     * agent_progress copies, which must not be counted. */
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_SUBAGENT);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {
        {"WebFetch", 1}, {"WebSearch", 5}, {"Glob", 1}, {"Read", 1},        {"AskUserQuestion", 1},
        {"Task", 1},     {"Write", 1},     {"Bash", 4}, {"ExitPlanMode", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 0);
    const struct op *task = find(t, "toolu_01Cz2Pnv7qNcnK1ZiocxWhQX");
    ASSERT_TRUE(task);
    ASSERT_EQ_DBL(task->duration_ms, 38799, 0); /* totalDurationMs */
    /* A person's answer time is not tool latency. */
    const struct op *ask = find(t, "toolu_01RsKEmE8Mc3wD8Vex5b6Zne");
    ASSERT_TRUE(ask);
    ASSERT_TRUE(isnan(ask->duration_ms));
    ASSERT_CONTAINS(ask->meta, "\"human_wait_ms\":135304");
    const struct op *plan = find(t, "toolu_01ADkZx631DtfWJKXE19LZLP");
    ASSERT_TRUE(plan);
    ASSERT_TRUE(isnan(plan->duration_ms));
    /* Two Bash calls of one response, both timed from their own blocks
     * (2.1.38 streams tool execution). A Bash may have asked, and the file
     * has no turn_duration to tell: their walls are unsplit, never their
     * execution (docs/time.md). */
    const struct op *b1 = find(t, "toolu_01QAoBrMN6wkULkVPWiqotBU");
    const struct op *b2 = find(t, "toolu_011M8RRpDyyej4gUFf7q2zv8");
    ASSERT_TRUE(b1 && b2);
    ASSERT_TRUE(isnan(b1->duration_ms) && isnan(b2->duration_ms));
    ASSERT_EQ_DBL(b1->wall_ms, 63342, 0);
    ASSERT_EQ_DBL(b2->wall_ms, 63516, 0);
    ASSERT_EQ_INT(b1->ask, OP_ASK_MAYBE);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_marot_main(void)
{
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_MAIN);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {
        {"Bash", 67}, {"Read", 31}, {"Edit", 32},      {"Grep", 10},
        {"Write", 7}, {"Task", 1},  {"TaskOutput", 1}, {"AskUserQuestion", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 5);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 1512);
    ASSERT_EQ_INT(transcript_stats(t)->results, 150);
    /* 33 agent_progress copies of the sub-agent's calls: skipped. */
    ASSERT_EQ_INT(transcript_stats(t)->orphan_results, 0);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 0);
    const struct op *task = find(t, "toolu_017pLRuPHYTX5t99EnLyV53m");
    ASSERT_TRUE(task);
    ASSERT_EQ_DBL(task->duration_ms, 141871, 0);
    ASSERT_STREQ(task->target, "Explore transcript rendering codebase");
    /* Blocked by a PreToolUse hook (exit 2): the hook's stderr is the
     * error; the time is the hook's. */
    const struct op *hook = find(t, "toolu_01QC8siDGwEkXHfhKDNRgfTQ");
    ASSERT_TRUE(hook);
    ASSERT_EQ_INT(hook->success, 0);
    ASSERT_EQ_DBL(hook->duration_ms, 161401, 0);
    ASSERT_CONTAINS(hook->error, "Pre-commit validation failed:");
    const struct op *git = find(t, "toolu_011PBtiDwwmP44wZUbt17q6v");
    ASSERT_TRUE(git);
    ASSERT_STREQ(git->error, "Exit code 128");
    ASSERT_EQ_DBL(git->duration_ms, 957, 0);
    const struct op *ask = find(t, "toolu_011dFzhenxzrFVGKHCaGgVtk");
    ASSERT_TRUE(ask);
    ASSERT_CONTAINS(ask->meta, "\"human_wait_ms\":1135622");
    const struct op *out = find(t, "toolu_0181AEpPhB3QjFAtjUhAp9nK");
    ASSERT_TRUE(out);
    ASSERT_EQ_DBL(out->duration_ms, 56959, 0);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_marot_agent_file(void)
{
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_AGENT);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"Read", 16}, {"Glob", 10}, {"Grep", 2}, {"Bash", 5}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 8);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 33);
    ASSERT_EQ_INT(count_meta(t, "\"agent_id\":\"a2898e3\""), 33);
    /* One failed Read cancelled its 7 parallel siblings. */
    ASSERT_EQ_INT(count_meta(t, "\"outcome\":\"cancelled\""), 7);
    const struct op *first = find(t, "toolu_01TfDS8UjxxjY4dzV8esUMzm");
    ASSERT_TRUE(first);
    ASSERT_STREQ(first->error, "File does not exist.");
    ASSERT_EQ_DBL(first->duration_ms, 2, 0);
    const struct op *sib = find(t, "toolu_018EJoAYKKdwh5ugHJbSTtUE");
    ASSERT_TRUE(sib);
    ASSERT_STREQ(sib->error, "Sibling tool call errored");
    ASSERT_EQ_DBL(sib->duration_ms, 1, 0);
    /* Sub-agent files carry the parent's session id. */
    ASSERT_STREQ(sib->session_id, find(t, "toolu_01HaEX6WGRyK8yccb6knr31H")->session_id);
    const struct op *ok = find(t, "toolu_01HaEX6WGRyK8yccb6knr31H");
    ASSERT_EQ_DBL(ok->duration_ms, 271, 0);
    ASSERT_EQ_INT(ok->result_bytes, 32146);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_marot_compact_helper(void)
{
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_COMPACT);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 0);
    transcript_free(t);
}

static void test_main_and_subagent_together(void)
{
    /* One parser over the session file and its sub-agent file: every call
     * once (150 + 33), none of the agent_progress copies. */
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, MAROT_MAIN);
    FEED_SAMPLE(t, MAROT_AGENT);
    FEED_SAMPLE(t, MAROT_COMPACT);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 183);
    ASSERT_EQ_INT(count_tool(t, "Read"), 47);
    ASSERT_EQ_INT(count_tool(t, "Glob"), 10);
    ASSERT_EQ_INT(count_failed(t), 13);
    ASSERT_EQ_INT(transcript_stats(t)->duplicates, 0);
    transcript_free(t);
}

static void test_kimuson_old_layout(void)
{
    /* v1.0.98: sub-agent lines inline (isSidechain), three parallel Tasks,
     * MultiEdit, BashOutput/KillBash, background Bash, Error: strings. */
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, KIMUSON_OLD);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {
        {"Bash", 61}, {"Write", 33},     {"Read", 28},    {"TodoWrite", 19}, {"Edit", 8},
        {"Task", 5},  {"BashOutput", 5}, {"KillBash", 3}, {"MultiEdit", 3},  {"Glob", 2}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 23);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 156);
    /* Three Tasks of one response: the tools of a 1.x build start when the
     * response has been written (the third block, 22:52:54.128). */
    const struct op *t1 = find(t, "toolu_01LS6tcVd796SbQKmZqeVnWY");
    const struct op *t2 = find(t, "toolu_014i9ThHMNShCHocf9xMKasf");
    ASSERT_TRUE(t1 && t2);
    ASSERT_EQ_INT(t1->ts_ms, 1756860774128LL);
    ASSERT_EQ_INT(t2->ts_ms, 1756860774128LL);
    ASSERT_CONTAINS(t2->meta, "\"start_adjusted\":\"response_end\"");
    ASSERT_EQ_DBL(t1->duration_ms, 45626, 0);
    ASSERT_EQ_DBL(t2->duration_ms, 174655, 0);
    /* The Glob's own 4 ms, against 37 ms between the lines. */
    const struct op *g = find(t, "toolu_019okXfjnUzJkV2VZbndx6ik");
    ASSERT_TRUE(g);
    ASSERT_EQ_DBL(g->duration_ms, 4, 0);
    const struct op *bg = find(t, "toolu_01DB4p8KRUVpcXmv24AFLqDv");
    ASSERT_TRUE(bg);
    ASSERT_EQ_INT(bg->optimized, 1);
    ASSERT_TRUE(isnan(bg->duration_ms));
    ASSERT_EQ_DBL(bg->wall_ms, 1132, 0);
    /* The old layout says nothing of prompts: none of the 105 calls that
     * may have asked (Bash 61, Write 33, Edit 8, MultiEdit 3) has an
     * execution, so none is in a latency figure; their 37,377 ms of wall
     * time (pairing_reference.py) are unsplit. */
    size_t n = 0, nops;
    double walls = 0;
    const struct op *ops = transcript_ops(t, &nops);
    for (size_t i = 0; i < nops; i++) {
        const char *tool = ops[i].tool;
        if (strcmp(tool, "Bash") && strcmp(tool, "Write") && strcmp(tool, "Edit") &&
            strcmp(tool, "MultiEdit"))
            continue;
        n++;
        if (!isnan(ops[i].duration_ms))
            FAIL_("%s %s has an execution of %.0f ms", tool, ops[i].tool_use_id,
                  ops[i].duration_ms);
        walls += ops[i].wall_ms;
    }
    ASSERT_EQ_INT(n, 105);
    ASSERT_EQ_DBL(walls, 37377, 0);
    const struct op *e = find(t, "toolu_01LmQjk73EEBPeCPZnEoJFE9");
    ASSERT_TRUE(e);
    ASSERT_EQ_INT(e->success, 0);
    ASSERT_STREQ(e->error, "EISDIR: illegal operation on a directory, read");
    ASSERT_EQ_DBL(e->duration_ms, 64, 0);
    const struct op *kill = find(t, "toolu_01WWpAntC9RGiKW6mfL5wbzh");
    ASSERT_TRUE(kill);
    ASSERT_EQ_DBL(kill->duration_ms, 34, 0);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_kimuson_mid(void)
{
    /* v1.0.108: Glob, Glob, TodoWrite in one response. The Globs start when
     * the response ends (35.489) and report 5 and 4 ms themselves; the
     * TodoWrite (a mutating tool) also waits for them (35.531), so it took
     * 35 ms, not the 77 ms since the response ended. */
    struct transcript *t = transcript_new();
    FEED_SAMPLE(t, KIMUSON_MID);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"TodoWrite", 5}, {"Bash", 5}, {"Glob", 3},
                                              {"Task", 3},      {"Read", 3}, {"Edit", 1},
                                              {"MultiEdit", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 3);
    const struct op *g1 = find(t, "toolu_01SpA34ZjSpRT7kiHgsgMTfP");
    ASSERT_TRUE(g1);
    ASSERT_EQ_INT(g1->ts_ms, 1757238735489LL);
    ASSERT_EQ_DBL(g1->duration_ms, 5, 0);
    ASSERT_CONTAINS(g1->meta, "\"wall_ms\":1860");
    const struct op *todo = find(t, "toolu_01Jo3zVz1Y26af7Dk8A9GMcS");
    ASSERT_TRUE(todo);
    ASSERT_EQ_INT(todo->ts_ms, 1757238735531LL);
    ASSERT_EQ_DBL(todo->duration_ms, 35, 0);
    ASSERT_CONTAINS(todo->meta, "\"start_adjusted\":\"queue\"");
    /* Task, Task, TodoWrite: the TodoWrite waited for both sub-agents. */
    const struct op *todo2 = find(t, "toolu_01Jb8RgAYYgwyup2DrEuucy7");
    ASSERT_TRUE(todo2);
    ASSERT_EQ_DBL(todo2->duration_ms, 18, 0);
    /* A Task refused by input validation. */
    const struct op *bad = find(t, "toolu_018t5jce2ZNoGr2ADsHGQife");
    ASSERT_TRUE(bad);
    ASSERT_EQ_INT(bad->success, 0);
    ASSERT_STREQ(bad->error, "InputValidationError: Task failed due to the following issue:");
    ASSERT_EQ_DBL(bad->duration_ms, 37, 0);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

struct hook_count {
    const char *tool;
    int n;
};

static const struct hook_count post_counts[] = {
    {"Bash", 81},      {"Read", 64},      {"Edit", 30},      {"Write", 10},
    {"Grep", 8},       {"TaskUpdate", 7}, {"TaskCreate", 5}, {"Task", 4},
    {"TaskOutput", 3}, {"Glob", 2},       {"Skill", 1},
};

static void test_hooks_post_tool_use(void)
{
    char err[TP_ERR_MAX];
    cJSON *arr;
    LOAD_SAMPLE(arr, POST_LOG);
    int seen[sizeof post_counts / sizeof post_counts[0]] = {0};
    int total = 0, unknown_duration = 0, failed = 0, opt_read = 0, opt_task = 0, opt_other = 0;
    long long read_bytes = 0;
    const cJSON *el;

    ASSERT_TRUE(cJSON_IsArray(arr));
    ASSERT_EQ_INT(cJSON_GetArraySize(arr), 215);
    cJSON_ArrayForEach(el, arr)
    {
        struct op op;
        int rc = hook_payload_to_op(el, NOW, &op, err);
        if (rc != 0)
            FAIL_("payload %d: %s", total, err);
        if (op_normalize(&op, NOW, err) != 0)
            FAIL_("payload %d: op_normalize: %s", total, err);
        for (size_t k = 0; k < sizeof post_counts / sizeof post_counts[0]; k++)
            if (strcmp(op.tool, post_counts[k].tool) == 0)
                seen[k]++;
        unknown_duration += isnan(op.duration_ms);
        failed += !op.success;
        if (op.optimized) {
            if (strcmp(op.tool, "Read") == 0)
                opt_read++;
            else if (strcmp(op.tool, "Task") == 0)
                opt_task++;
            else
                opt_other++;
        }
        if (strcmp(op.tool, "Read") == 0 && op.size_bytes > 0)
            read_bytes += op.size_bytes;
        ASSERT_EQ_INT(op.ts_ms, NOW); /* no duration: the call ends now */
        ASSERT_EQ_INT(op.source, OP_SRC_HOOK);
        ASSERT_STREQ(op.session_id, "495f32bd-ee4f-4de3-991c-aaa113346727");
        ASSERT_STREQ(op.project, "/Users/tomkwon/Documents/claude-agentic-framework/global-hooks/"
                                 "framework/guardrails");
        ASSERT_TRUE(op.tool_use_id && strncmp(op.tool_use_id, "toolu_", 6) == 0);

        if (total == 0) {
            ASSERT_STREQ(op.tool, "Bash");
            ASSERT_STREQ(op.tool_use_id, "toolu_018PZdGNyRjkzcpXXjMMG2UE");
            ASSERT_CONTAINS(op.target, "python3 -m venv .venv");
            ASSERT_CONTAINS(op.meta, "\"description\":\"Create virtual environment\"");
            ASSERT_EQ_INT(op.result_bytes, 0);
        } else if (total == 100) {
            ASSERT_STREQ(op.tool, "Read");
            ASSERT_STREQ(op.tool_use_id, "toolu_01GDoEXf6TBHBibKQVXhEqGc");
            ASSERT_STREQ(op.target, "/Users/tomkwon/Documents/claude-agentic-framework/"
                                    "global-hooks/framework/guardrails/tests/test_config.py");
            ASSERT_EQ_INT(op.optimized, 1);
            ASSERT_CONTAINS(op.meta, "\"offset\":469");
            ASSERT_CONTAINS(op.meta, "\"limit\":12");
        } else if (total == 214) {
            ASSERT_STREQ(op.tool_use_id, "toolu_01U5ibo4pi9Jr19m4WAGow5t");
        }
        if (strcmp(op.tool, "Skill") == 0) {
            ASSERT_STREQ(op.target, "rlm");
        }
        if (strcmp(op.tool, "Task") == 0) {
            ASSERT_CONTAINS(op.meta, "\"status\":\"async_launched\"");
        }
        op_clear(&op);
        total++;
    }
    ASSERT_EQ_INT(total, 215);
    for (size_t k = 0; k < sizeof post_counts / sizeof post_counts[0]; k++)
        if (seen[k] != post_counts[k].n)
            FAIL_("%s: %d payloads, expected %d", post_counts[k].tool, seen[k], post_counts[k].n);
    ASSERT_EQ_INT(unknown_duration, 215);
    ASSERT_EQ_INT(failed, 0);
    ASSERT_EQ_INT(opt_read, 52);
    ASSERT_EQ_INT(opt_task, 4); /* async sub-agents: run_in_background */
    ASSERT_EQ_INT(opt_other, 0);
    ASSERT_EQ_INT(read_bytes, 174065);
    cJSON_Delete(arr);
}

static void test_hooks_failures_wrapped(void)
{
    char err[TP_ERR_MAX];
    cJSON *arr;
    LOAD_SAMPLE(arr, FAIL_LOG);
    int n = 0;
    const cJSON *el;
    ASSERT_TRUE(cJSON_IsArray(arr));
    cJSON_ArrayForEach(el, arr)
    {
        struct op op;
        const cJSON *raw = jin_get(el, "raw_input");
        ASSERT_TRUE(cJSON_IsObject(raw));
        ASSERT_EQ_INT(hook_payload_to_op(raw, NOW, &op, err), 0);
        ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
        ASSERT_STREQ(op.tool, "Bash");
        ASSERT_EQ_INT(op.success, 0);
        ASSERT_TRUE(isnan(op.duration_ms));
        ASSERT_TRUE(op.error && strncmp(op.error, "Exit code ", 10) == 0);
        ASSERT_TRUE(!op.meta || !strstr(op.meta, "interrupted"));
        if (n == 0) {
            ASSERT_STREQ(op.tool_use_id, "toolu_01MDWbdJpcLvYcj5VQqG81CX");
            ASSERT_STREQ(op.error, "Exit code 127\n(eval):1: command not found: python");
            ASSERT_CONTAINS(op.target, "python -m pytest tests/test_state_manager.py");
        }
        op_clear(&op);
        n++;
    }
    ASSERT_EQ_INT(n, 10);
    cJSON_Delete(arr);
}

static void test_otlp_export(void)
{
    size_t n, nops;
    struct otlp_counts counts;
    char err[TP_ERR_MAX];
    struct op *ops;
    char *body;
    int64_t end;
    READ_SAMPLE(body, AXIOM, &n);
    ASSERT_EQ_INT(otlp_logs_parse(body, n, NOW, &ops, &nops, &counts, err), 0);
    ASSERT_EQ_INT(nops, 1);
    /* user_prompt (a turn), 2 x api_request (model requests) and the
     * tool_result are used; hook_registered is not read. */
    ASSERT_EQ_INT(counts.records, 5);
    ASSERT_EQ_INT(counts.used, 4);
    ASSERT_EQ_INT(counts.ignored, 1);
    ASSERT_EQ_INT(counts.rejected, 0);
    ASSERT_STREQ(ops[0].tool, "Read");
    ASSERT_STREQ(ops[0].tool_use_id, "toolu_000000000000000000000");
    ASSERT_EQ_INT(ops[0].success, 1);
    ASSERT_EQ_DBL(ops[0].duration_ms, 2, 0);
    ASSERT_EQ_INT(tpt_parse_iso("2026-08-11T00:14:55.840Z", TPT_NAIVE_UTC, &end), 0);
    ASSERT_EQ_INT(ops[0].ts_ms, end - 2);
    ASSERT_EQ_INT(ops[0].result_bytes, 43);
    ASSERT_CONTAINS(ops[0].meta, "\"input_bytes\":72");
    ASSERT_EQ_INT(ops[0].source, OP_SRC_OTLP);
    ASSERT_TRUE(ops[0].session_id != NULL);
    ASSERT_TRUE(ops[0].target == NULL); /* no OTEL_LOG_TOOL_DETAILS */
    free_ops(ops, nops);
    free(body);
}

static void test_hooks_sniff_and_import(void)
{
    char post[PATH_MAX], fail[PATH_MAX], err[TP_ERR_MAX];
    SAMPLE_PATH(post, POST_LOG);
    SAMPLE_PATH(fail, FAIL_LOG);
    size_t n;
    char *d;
    READ_SAMPLE(d, POST_LOG, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_JSON);
    free(d);
    READ_SAMPLE(d, FAIL_LOG, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_JSON);
    free(d);
    READ_SAMPLE(d, MAROT_SHORT, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_NONE);
    free(d);

    char *dir = fixture_tmpdir("samples");
    struct store *s = fixture_store_open(dir);
    struct store_result res;
    struct store_info info;
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(hook_import_log(s, post, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 215);
    ASSERT_EQ_INT(hook_import_log(s, fail, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 10);
    ASSERT_EQ_INT(hook_import_log(s, post, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 0);
    ASSERT_EQ_INT(res.unchanged + res.merged, 215);
    ASSERT_EQ_INT(store_info(s, &info), 0);
    ASSERT_EQ_INT(info.operations, 225);
    /* The failure log's own timestamps (naive local) date its calls. */
    int64_t t;
    ASSERT_EQ_INT(tpt_parse_iso("2026-02-11T00:35:21.710859", TPT_NAIVE_LOCAL, &t), 0);
    ASSERT_EQ_INT(info.first_ms, t);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- import ------------------------------------------------------------- */

static int import1(struct store *s, const char *path, struct importer_stats *st)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(st, 0, sizeof *st);
    const char *paths[] = {path};
    int rc = importer_run(s, paths, 1, &o, st, eb);
    if (rc != 0)
        fprintf(stderr, "  importer_run: %s\n", eb);
    return rc;
}

/* Byte offset just after line n (1-based) of data. */
static size_t after_line(const char *d, size_t len, int n)
{
    size_t off = 0;
    for (int i = 0; i < n && off < len; i++) {
        const char *nl = memchr(d + off, '\n', len - off);
        off = nl ? (size_t)(nl - d) + 1 : len;
    }
    return off;
}

static void test_import_folder(void)
{
    /* The samples laid out as Claude Code does, sub-agent files under
     * <session>/subagents/, plus a journal.jsonl that must be skipped. */
    static const struct {
        const char *name, *dir, *as;
    } files[] = {
        {MAROT_MAIN, "-home-marco-projects-spotter", SESSION ".jsonl"},
        {MAROT_AGENT, "-home-marco-projects-spotter/" SESSION "/subagents", "agent-a2898e3.jsonl"},
        {MAROT_COMPACT, "-home-marco-projects-spotter/" SESSION "/subagents",
         "agent-acompact-e1f845.jsonl"},
        {MAROT_AGENT, "-home-marco-projects-spotter/" SESSION "/subagents", "journal.jsonl"},
        {MAROT_SHORT, "-home-marco-projects-spotter", "short.jsonl"},
        {MAROT_TOOL_HEAVY, "-home-marco-projects-spotter", "tool_heavy.jsonl"},
        {MAROT_SUBAGENT, "-home-marco-projects-spotter", "subagent.jsonl"},
        {KIMUSON_OLD, "-sample-project", "fe5e1c67.jsonl"},
        {KIMUSON_MID, "-sample-project", "5c0375b4.jsonl"},
    };
    char *tmp = fixture_tmpdir("samples"), path[PATH_MAX * 2], root[PATH_MAX];
    snprintf(root, sizeof root, "%s/projects", tmp);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n;
        char *d;
        READ_SAMPLE(d, files[i].name, &n);
        snprintf(path, sizeof path, "%s/%s", root, files[i].dir);
        ASSERT_EQ_INT(fixture_mkdirs(path), 0);
        snprintf(path, sizeof path, "%s/%s/%s", root, files[i].dir, files[i].as);
        ASSERT_EQ_INT(fixture_write(path, d, n, "wb"), 0);
        free(d);
    }
    snprintf(path, sizeof path, "%s/data", tmp);
    struct store *s = fixture_store_open(path);
    ASSERT_TRUE(s != NULL);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    /* 150 + 33 + 0 + 2 + 6 + 16 + 167 + 21 calls, each once. */
    ASSERT_EQ_INT(st.files_seen, 8);
    ASSERT_EQ_INT(st.ops, 395);
    ASSERT_EQ_INT(st.res.inserted, 395);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(fixture_stored(s), 395);
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 8);
    ASSERT_EQ_INT(st.res.inserted, 0);
    store_close(s);
    fixture_rm_rf(tmp);
    free(tmp);
}

static void test_import_grown_and_idle(void)
{
    /* After line 1130 of the 2.1.39 session, 115 calls have finished and
     * one (a Bash) is still running, from the line at byte 2734422. */
    size_t len;
    char *d;
    READ_SAMPLE(d, MAROT_MAIN, &len);
    ASSERT_EQ_INT(len, MAROT_MAIN_BYTES);
    size_t cut = after_line(d, len, 1130);
    ASSERT_EQ_INT(cut, 2737411);
    char *tmp = fixture_tmpdir("samples"), path[PATH_MAX], data[PATH_MAX];
    snprintf(path, sizeof path, "%s/grow.jsonl", tmp);
    snprintf(data, sizeof data, "%s/data", tmp);
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 115);
    ASSERT_EQ_INT(fixture_write(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.bytes, MAROT_MAIN_BYTES - 2734422);
    ASSERT_EQ_INT(st.res.inserted, 35);
    ASSERT_EQ_INT(fixture_stored(s), 150);
    store_close(s);

    /* Cut there and left for seven hours: the running call is lost. */
    snprintf(path, sizeof path, "%s/crashed.jsonl", tmp);
    snprintf(data, sizeof data, "%s/data2", tmp);
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);
    s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 115);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 7 * 3600;
    tv[1] = tv[0];
    utimes(path, tv);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(fixture_stored(s), 116);
    store_close(s);

    /* A line caught half-written (byte 2000000 is inside line 712, 62
     * calls finished before it) is left for the next import. */
    snprintf(path, sizeof path, "%s/half.jsonl", tmp);
    snprintf(data, sizeof data, "%s/data3", tmp);
    ASSERT_EQ_INT(fixture_write(path, d, 2000000, "wb"), 0);
    s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 62);
    ASSERT_EQ_INT(fixture_write(path, d + 2000000, len - 2000000, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(fixture_stored(s), 150);
    store_close(s);
    free(d);
    fixture_rm_rf(tmp);
    free(tmp);
}

TEST_MAIN(TEST_CASE(test_marot_short), TEST_CASE(test_marot_tool_heavy),
          TEST_CASE(test_marot_subagent_progress), TEST_CASE(test_marot_main),
          TEST_CASE(test_marot_agent_file), TEST_CASE(test_marot_compact_helper),
          TEST_CASE(test_main_and_subagent_together), TEST_CASE(test_kimuson_old_layout),
          TEST_CASE(test_kimuson_mid), TEST_CASE(test_hooks_post_tool_use),
          TEST_CASE(test_hooks_failures_wrapped), TEST_CASE(test_hooks_sniff_and_import),
          TEST_CASE(test_otlp_export), TEST_CASE(test_import_folder),
          TEST_CASE(test_import_grown_and_idle))
