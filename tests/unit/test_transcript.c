/*
 * test_transcript.c - the transcript parser over the real samples in
 * ../shared/fixtures and over small synthetic lines for what the samples
 * do not cover (interrupts, calls without results, replays, MCP progress,
 * PreToolUse hook time, several blocks per line, malformed lines).
 *
 * The expected numbers were worked out independently of this parser, with
 * tests/data/transcript/pairing_reference.py (the rules of transcript.h
 * re-implemented over Python's json module; not run by the tests), whose
 * output matched the parser's call for call on every fixture. Durations
 * are exact: timestamps have millisecond precision, and self-reported
 * durations are copied as they are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "harness.h"
#include "ingest/transcript.h"

#define FIX "../shared/fixtures/"
#define MAROT_MAIN FIX "marot-spotter__transcript__4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
#define MAROT_AGENT                                                                                \
    FIX "marot-spotter__transcript__4d5611e5-241a-462a-8d15-5122611a9569__subagents__agent-"       \
        "a2898e3.jsonl"
#define MAROT_COMPACT                                                                              \
    FIX "marot-spotter__transcript__4d5611e5-241a-462a-8d15-5122611a9569__subagents__agent-"       \
        "acompact-e1f845.jsonl"
#define MAROT_SHORT FIX "marot-spotter__transcript__short.jsonl"
#define MAROT_SUBAGENT FIX "marot-spotter__transcript__subagent.jsonl"
#define MAROT_TOOL_HEAVY FIX "marot-spotter__transcript__tool_heavy.jsonl"
#define KIMUSON_OLD                                                                                \
    FIX "d-kimuson-claude-code-viewer__transcript__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
#define KIMUSON_MID                                                                                \
    FIX "d-kimuson-claude-code-viewer__transcript__5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl"

/* Feed a whole file line by line; returns the number of malformed lines,
 * or -1 when the file cannot be read. */
static int feed_file(struct transcript *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t off = 0;
    int bad = 0;
    char eb[TP_ERR_MAX];
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (transcript_feed(t, line, len, off, eb) != 0)
            bad++;
        off += n;
    }
    free(line);
    fclose(f);
    return bad;
}

/* Feed NUL-separated lines from a string array. */
static int feed_lines(struct transcript *t, const char *const *lines, size_t n)
{
    int64_t off = 0;
    int bad = 0;
    char eb[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        if (transcript_feed(t, lines[i], len, off, eb) != 0)
            bad++;
        off += (int64_t)len + 1;
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

/* Expected calls of one tool. */
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

/* Every op of a parser must pass op_normalize (what the importer does). */
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

/* ---- the fixtures ----------------------------------------------------- */

static void test_marot_short(void)
{
    /* Two parallel calls the user rejected at the permission prompt. */
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_file(t, MAROT_SHORT), 0);
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
    ASSERT_EQ_INT(feed_file(t, MAROT_TOOL_HEAVY), 0);
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
    /* 39 lines, of which hook progress, snapshots and queue operations
     * need no parse (user lines do: a prompt starts a turn). */
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
    ASSERT_EQ_INT(feed_file(t, MAROT_SUBAGENT), 0);
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
     * (2.1.38 streams tool execution). */
    const struct op *b1 = find(t, "toolu_01QAoBrMN6wkULkVPWiqotBU");
    const struct op *b2 = find(t, "toolu_011M8RRpDyyej4gUFf7q2zv8");
    ASSERT_TRUE(b1 && b2);
    /* Bash may have asked for permission (default mode, and this version
     * writes no turn_duration): its wall time is not its execution. */
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
    ASSERT_EQ_INT(feed_file(t, MAROT_MAIN), 0);
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
    ASSERT_EQ_INT(feed_file(t, MAROT_AGENT), 0);
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
    ASSERT_EQ_INT(feed_file(t, MAROT_COMPACT), 0);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 0);
    transcript_free(t);
}

static void test_main_and_subagent_together(void)
{
    /* One parser over the session file and its sub-agent file: every call
     * once (150 + 33), none of the agent_progress copies. */
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_file(t, MAROT_MAIN), 0);
    ASSERT_EQ_INT(feed_file(t, MAROT_AGENT), 0);
    ASSERT_EQ_INT(feed_file(t, MAROT_COMPACT), 0);
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
    ASSERT_EQ_INT(feed_file(t, KIMUSON_OLD), 0);
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
    ASSERT_TRUE(isnan(bg->duration_ms)); /* a Bash: may have asked */
    ASSERT_EQ_DBL(bg->wall_ms, 1132, 0);
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
    ASSERT_EQ_INT(feed_file(t, KIMUSON_MID), 0);
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

/* ---- synthetic cases -------------------------------------------------- */

#define ENV "\"sessionId\":\"s1\",\"cwd\":\"/p\",\"version\":\"2.1.100\""
#define USE(ts, mid, id, name)                                                                     \
    "{\"type\":\"assistant\"," ENV ",\"timestamp\":\"" ts "\",\"message\":{\"id\":\"" mid          \
    "\",\"content\":[{\"type\":\"tool_use\",\"id\":\"" id "\",\"name\":\"" name                    \
    "\",\"input\":{\"command\":\"x\"}}]}}"
#define RES(ts, id, extra)                                                                         \
    "{\"type\":\"user\"," ENV ",\"timestamp\":\"" ts                                               \
    "\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" id                 \
    "\",\"content\":\"done\"" extra "}]}}"

static void test_interrupt(void)
{
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Bash"),
        USE("2026-03-01T10:00:00.500Z", "m2", "toolu_b", "Read"),
        RES("2026-03-01T10:00:01.000Z", "toolu_b", ""),
        "{\"type\":\"user\"," ENV ",\"timestamp\":\"2026-03-01T10:00:04.000Z\","
        "\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"[Request interrupted by "
        "user]\"}]}}",
        /* A late result for the interrupted call changes nothing. */
        RES("2026-03-01T10:00:05.000Z", "toolu_a", ""),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 5), 0);
    ASSERT_EQ_INT(transcript_pending_offset(t), -1);
    ASSERT_EQ_INT(n_ops(t), 2);
    const struct op *a = find(t, "toolu_a");
    ASSERT_TRUE(a);
    ASSERT_EQ_INT(a->success, 0);
    ASSERT_STREQ(a->error, "interrupted");
    ASSERT_TRUE(isnan(a->duration_ms));
    ASSERT_CONTAINS(a->meta, "\"interrupted_after_ms\":4000");
    ASSERT_EQ_DBL(find(t, "toolu_b")->duration_ms, 500, 0);
    ASSERT_EQ_INT(transcript_stats(t)->interrupted, 1);
    ASSERT_EQ_INT(transcript_stats(t)->duplicates, 1);
    transcript_free(t);
}

static void test_pending_and_lost(void)
{
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Bash"),
        USE("2026-03-01T10:00:01.000Z", "m2", "toolu_b", "Bash"),
        RES("2026-03-01T10:00:02.000Z", "toolu_b", ""),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 3), 0);
    transcript_finish(t, 0);
    /* toolu_a may still be running: not emitted, and the resume point is
     * its line (offset 0). */
    ASSERT_EQ_INT(n_ops(t), 1);
    ASSERT_EQ_INT(transcript_pending_offset(t), 0);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 2);
    const struct op *a = find(t, "toolu_a");
    ASSERT_TRUE(a);
    ASSERT_STREQ(a->error, "no result");
    ASSERT_CONTAINS(a->meta, "\"outcome\":\"lost\"");
    ASSERT_TRUE(isnan(a->duration_ms));
    ASSERT_EQ_INT(transcript_pending_offset(t), -1);
    transcript_free(t);

    /* A call that got no result in six hours is lost when later calls
     * start; the resume point moves past it. */
    static const char *const later[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Bash"),
        USE("2026-03-01T17:00:00.000Z", "m2", "toolu_b", "Bash"),
    };
    t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, later, 2), 0);
    ASSERT_EQ_INT(n_ops(t), 1);
    ASSERT_EQ_INT(transcript_stats(t)->lost, 1);
    ASSERT_EQ_INT(transcript_pending_offset(t), (int64_t)strlen(later[0]) + 1);
    transcript_free(t);
}

static void test_replay_dedupe(void)
{
    /* A resumed session replays its history: each call once. */
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Grep"),
        RES("2026-03-01T10:00:00.250Z", "toolu_a", ""),
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Grep"),
        RES("2026-03-01T10:00:00.250Z", "toolu_a", ""),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 4), 0);
    ASSERT_EQ_INT(n_ops(t), 1);
    ASSERT_EQ_DBL(find(t, "toolu_a")->duration_ms, 250, 0);
    ASSERT_EQ_INT(transcript_stats(t)->duplicates, 2);
    transcript_free(t);
}

static void test_mcp_progress_and_pre_hook(void)
{
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_m", "mcp__srv__q"),
        "{\"type\":\"progress\"," ENV ",\"timestamp\":\"2026-03-01T10:00:00.500Z\","
        "\"data\":{\"type\":\"mcp_progress\",\"status\":\"started\",\"elapsedTimeMs\":10},"
        "\"parentToolUseID\":\"toolu_m\",\"toolUseID\":\"toolu_m\"}",
        "{\"type\":\"progress\"," ENV ",\"timestamp\":\"2026-03-01T10:00:01.500Z\","
        "\"data\":{\"type\":\"mcp_progress\",\"status\":\"completed\",\"elapsedTimeMs\":1234},"
        "\"parentToolUseID\":\"toolu_m\",\"toolUseID\":\"toolu_m\"}",
        RES("2026-03-01T10:00:02.000Z", "toolu_m", ""),
        USE("2026-03-01T10:00:03.000Z", "m2", "toolu_h", "Grep"),
        "{\"type\":\"attachment\"," ENV ",\"timestamp\":\"2026-03-01T10:00:03.300Z\","
        "\"attachment\":{\"type\":\"hook_success\",\"hookName\":\"PreToolUse:Grep\","
        "\"hookEvent\":\"PreToolUse\",\"toolUseID\":\"toolu_h\",\"exitCode\":0,"
        "\"durationMs\":300}}",
        RES("2026-03-01T10:00:04.000Z", "toolu_h", ""),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 7), 0);
    ASSERT_EQ_INT(n_ops(t), 2);
    const struct op *m = find(t, "toolu_m");
    ASSERT_EQ_DBL(m->duration_ms, 1234, 0);
    ASSERT_CONTAINS(m->meta, "\"duration_from\":\"mcp_progress\"");
    const struct op *h = find(t, "toolu_h");
    ASSERT_EQ_DBL(h->duration_ms, 700, 0);
    ASSERT_CONTAINS(h->meta, "\"pre_hook_ms\":300");
    transcript_free(t);

    /* A hook time past any duration is ignored, not summed into an
     * integer overflow (found by fuzz_transcript under UBSan). */
    static const char *const huge[] = {
        USE("2026-03-01T10:00:03.000Z", "m2", "toolu_h", "Grep"),
        "{\"type\":\"attachment\"," ENV ",\"timestamp\":\"2026-03-01T10:00:03.300Z\","
        "\"attachment\":{\"hookEvent\":\"PreToolUse\",\"toolUseID\":\"toolu_h\","
        "\"durationMs\":3e29}}",
        RES("2026-03-01T10:00:04.000Z", "toolu_h", ""),
    };
    t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, huge, 3), 0);
    ASSERT_EQ_INT(n_ops(t), 1);
    h = find(t, "toolu_h");
    ASSERT_EQ_DBL(h->duration_ms, 1000, 0);
    ASSERT_TRUE(h->meta == NULL || strstr(h->meta, "pre_hook_ms") == NULL);
    transcript_free(t);
}

static void test_blocks_per_line_and_usage_tail(void)
{
    /* SDK-style lines: two tool_use blocks in one line, two results in
     * one line (toolUseResult then belongs to neither), and an Agent
     * result whose only timing is the <usage> tail. */
    static const char *const lines[] = {
        "{\"type\":\"assistant\"," ENV ",\"timestamp\":\"2026-03-01T10:00:00.000Z\","
        "\"message\":{\"id\":\"m1\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Glob\",\"input\":{\"pattern\":\"*"
        "\"}},{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"Agent\",\"input\":{"
        "\"description\":\"look\"}}]}}",
        "{\"type\":\"user\"," ENV ",\"timestamp\":\"2026-03-01T10:00:09.000Z\","
        "\"toolUseResult\":{\"durationMs\":5},"
        "\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\","
        "\"content\":\"a\\nb\"},{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\","
        "\"content\":[{\"type\":\"text\",\"text\":\"found\"},{\"type\":\"text\",\"text\":"
        "\"agentId: ab12 (for resuming)\\n<usage>total_tokens: 9\\ntool_uses: 1\\n"
        "duration_ms: 8765</usage>\"}]}]}}",
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 2), 0);
    ASSERT_EQ_INT(n_ops(t), 2);
    const struct op *g = find(t, "toolu_1");
    ASSERT_EQ_DBL(g->duration_ms, 9000, 0);
    ASSERT_EQ_INT(g->result_bytes, 3);
    const struct op *a = find(t, "toolu_2");
    ASSERT_EQ_DBL(a->duration_ms, 8765, 0);
    ASSERT_CONTAINS(a->meta, "\"duration_from\":\"usage\"");
    ASSERT_STREQ(a->target, "look");
    transcript_free(t);
}

static void test_malformed_and_skipped_lines(void)
{
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Grep"),
        "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_res", /* cut off */
        "not json at all",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"id\":1}]",
        "",
        "   ",
        "{\"type\":\"some-future-type\",\"x\":[1,2,{\"tool_use\":\"no\"}]}",
        "{\"type\":\"progress\",\"data\":{\"type\":\"agent_progress\",\"message\":{\"type\":"
        "\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_copy\","
        "\"name\":\"Read\",\"input\":{}}]}}}}",
        "[1,2,3]",
        RES("2026-03-01T10:00:00.100Z", "toolu_a", ",\"is_error\":true"),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 10), 4);
    ASSERT_EQ_INT(transcript_stats(t)->malformed, 4);
    ASSERT_EQ_INT(n_ops(t), 1);
    const struct op *a = find(t, "toolu_a");
    ASSERT_EQ_INT(a->success, 0);
    ASSERT_STREQ(a->error, "done");
    ASSERT_EQ_DBL(a->duration_ms, 100, 0);
    ASSERT_TRUE(find(t, "toolu_copy") == NULL);
    transcript_free(t);
}

static void test_invalid_utf8_is_repaired(void)
{
    /* A stray byte must not cost the call. */
    static const char *const lines[] = {
        USE("2026-03-01T10:00:00.000Z", "m1", "toolu_a", "Grep"),
        "{\"type\":\"user\"," ENV ",\"timestamp\":\"2026-03-01T10:00:00.020Z\","
        "\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_a\","
        "\"content\":\"bad \xff byte\"}]}}",
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 2), 0);
    ASSERT_EQ_INT(n_ops(t), 1);
    ASSERT_EQ_DBL(find(t, "toolu_a")->duration_ms, 20, 0);
    transcript_free(t);
}

/* ---- turns: where the wait goes (docs/time.md) ---------------------------- */

#define PROMPT(ts, extra)                                                                          \
    "{\"type\":\"user\"," ENV ",\"timestamp\":\"" ts "\",\"message\":{\"role\":\"user\","          \
    "\"content\":\"do it\"}" extra "}"
#define TURN(ts, ms)                                                                               \
    "{\"type\":\"system\",\"subtype\":\"turn_duration\"," ENV ",\"timestamp\":\"" ts               \
    "\",\"durationMs\":" #ms "}"

static const struct op *last_of(struct transcript *t, const char *id)
{
    size_t n;
    struct op *ops = transcript_ops(t, &n);
    const struct op *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (ops[i].tool_use_id && strcmp(ops[i].tool_use_id, id) == 0)
            found = &ops[i];
    return found;
}

static void test_turn_one_prompt(void)
{
    /* As the real client wrote it (2.1.197, docs/time.md): a Read that
     * never asks, then a Write approved after 5.4 s; the turn took 8 s on
     * the wall clock and 2.6 s of work. */
    static const char *const lines[] = {
        PROMPT("2026-03-01T10:00:00.000Z", ""),
        USE("2026-03-01T10:00:01.000Z", "m1", "toolu_r", "Read"),
        RES("2026-03-01T10:00:01.020Z", "toolu_r", ""),
        USE("2026-03-01T10:00:01.500Z", "m2", "toolu_w", "Write"),
        RES("2026-03-01T10:00:07.070Z", "toolu_w", ""),
        TURN("2026-03-01T10:00:08.000Z", 2600),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 3), 0);
    const struct op *r = last_of(t, "toolu_r");
    ASSERT_EQ_DBL(r->duration_ms, 20, 0); /* a Read never asks: its wall is its exec */
    ASSERT_EQ_INT(r->ask, OP_ASK_NO);
    ASSERT_EQ_INT(r->exact[OP_PH_EXEC], OP_EX_DERIVED);
    ASSERT_EQ_INT(feed_lines(t, lines + 3, 2), 0);
    const struct op *w = last_of(t, "toolu_w");
    ASSERT_TRUE(isnan(w->duration_ms)); /* not yet: it may have asked */
    ASSERT_EQ_DBL(w->wall_ms, 5570, 0);
    ASSERT_EQ_INT(w->ask, OP_ASK_MAYBE);
    /* Until the turn ends, a resumed read must start at its prompt. */
    ASSERT_EQ_INT(transcript_pending_offset(t), 0);
    ASSERT_EQ_INT(feed_lines(t, lines + 5, 1), 0);
    ASSERT_EQ_INT(transcript_pending_offset(t), -1);
    w = last_of(t, "toolu_w");
    ASSERT_EQ_DBL(w->wait_ms, 5400, 1e-9);
    ASSERT_EQ_INT(w->exact[OP_PH_WAIT], OP_EX_DERIVED);
    ASSERT_EQ_INT(w->phsrc[OP_PH_WAIT], PHS_TURN);
    ASSERT_EQ_DBL(w->duration_ms, 170, 1e-9);
    ASSERT_EQ_INT(w->exact[OP_PH_EXEC], OP_EX_ESTIMATED);
    ASSERT_EQ_INT(transcript_stats(t)->turns, 1);
    ASSERT_EQ_INT(transcript_stats(t)->turn_updates, 1);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_turn_shared_wait(void)
{
    /* Two calls that could have asked in one turn, and a question: the
     * question's wait is its own; the rest is shared in proportion to the
     * two calls' wall times (estimated). */
    static const char *const lines[] = {
        PROMPT("2026-03-01T10:00:00.000Z", ""),
        USE("2026-03-01T10:00:01.000Z", "m1", "toolu_q", "AskUserQuestion"),
        RES("2026-03-01T10:00:03.000Z", "toolu_q", ""),
        USE("2026-03-01T10:00:04.000Z", "m2", "toolu_w", "Write"),
        RES("2026-03-01T10:00:09.000Z", "toolu_w", ""),
        USE("2026-03-01T10:00:10.000Z", "m3", "toolu_b", "Bash"),
        RES("2026-03-01T10:00:13.000Z", "toolu_b", ""),
        TURN("2026-03-01T10:00:16.000Z", 8000),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 8), 0);
    const struct op *q = last_of(t, "toolu_q");
    ASSERT_EQ_DBL(q->wait_ms, 2000, 0);
    ASSERT_TRUE(isnan(q->duration_ms));
    ASSERT_EQ_INT(q->ask, OP_ASK_ASKED);
    /* 16 s of wall, 8 s of work, 2 s of question: 6 s over 5 + 3 s. */
    const struct op *w = last_of(t, "toolu_w"), *b = last_of(t, "toolu_b");
    ASSERT_EQ_DBL(w->wait_ms, 3750, 1e-9);
    ASSERT_EQ_DBL(b->wait_ms, 2250, 1e-9);
    ASSERT_EQ_INT(w->exact[OP_PH_WAIT], OP_EX_ESTIMATED);
    ASSERT_EQ_DBL(w->duration_ms, 1250, 1e-9);
    ASSERT_EQ_DBL(b->duration_ms, 750, 1e-9);
    ASSERT_EQ_INT(b->exact[OP_PH_EXEC], OP_EX_ESTIMATED);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_turn_decisions_and_modes(void)
{
    /* A Bash allowed by configuration did not ask (permissionDecision);
     * an Edit in acceptEdits mode did not either; both are timed at once
     * and the turn updates nothing. A turn without wait gives a Write 0. */
    static const char *const lines[] = {
        PROMPT("2026-03-01T10:00:00.000Z", ",\"permissionMode\":\"acceptEdits\""),
        USE("2026-03-01T10:00:01.000Z", "m1", "toolu_b", "Bash"),
        "{\"type\":\"user\"," ENV ",\"timestamp\":\"2026-03-01T10:00:01.600Z\","
        "\"permissionDecision\":{\"decision\":\"allow\",\"source\":\"config\"},"
        "\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_b\","
        "\"content\":\"ok\"}]}}",
        USE("2026-03-01T10:00:02.000Z", "m2", "toolu_e", "Edit"),
        RES("2026-03-01T10:00:02.050Z", "toolu_e", ""),
        USE("2026-03-01T10:00:03.000Z", "m3", "toolu_f", "WebFetch"),
        "{\"type\":\"user\"," ENV ",\"timestamp\":\"2026-03-01T10:00:04.000Z\","
        "\"permissionDecision\":{\"decision\":\"allow\",\"source\":\"user_temporary\"},"
        "\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_f\","
        "\"content\":\"page\"}]}}",
        TURN("2026-03-01T10:00:05.000Z", 5000),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 8), 0);
    const struct op *b = last_of(t, "toolu_b"), *e = last_of(t, "toolu_e");
    ASSERT_EQ_INT(b->ask, OP_ASK_NO);
    ASSERT_EQ_DBL(b->duration_ms, 600, 0);
    ASSERT_EQ_INT(e->ask, OP_ASK_NO);
    ASSERT_EQ_DBL(e->duration_ms, 50, 0);
    /* The WebFetch asked, but the turn had no time over: its wait is 0. */
    const struct op *f = last_of(t, "toolu_f");
    ASSERT_EQ_INT(f->ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(f->wait_ms, 0, 0);
    ASSERT_EQ_DBL(f->duration_ms, 1000, 0);
    transcript_free(t);
}

static void test_turn_old_layout_stays_unsplit(void)
{
    /* 1.0.x wrote no turn_duration: a Write's wall time stays a wall time
     * that may include an approval, never an execution; the next prompt
     * ends the turn without accounting. */
    static const char *const lines[] = {
        "{\"type\":\"user\",\"sessionId\":\"s1\",\"cwd\":\"/p\",\"version\":\"1.0.17\","
        "\"timestamp\":\"2026-03-01T10:00:00.000Z\",\"message\":{\"content\":\"write it\"}}",
        "{\"type\":\"assistant\",\"sessionId\":\"s1\",\"cwd\":\"/p\",\"version\":\"1.0.17\","
        "\"timestamp\":\"2026-03-01T10:00:01.000Z\",\"message\":{\"id\":\"m1\",\"content\":[{"
        "\"type\":\"tool_use\",\"id\":\"toolu_w\",\"name\":\"Write\",\"input\":{\"file_path\":"
        "\"/p/requirements.txt\",\"content\":\"x\"}}]}}",
        "{\"type\":\"user\",\"sessionId\":\"s1\",\"cwd\":\"/p\",\"version\":\"1.0.17\","
        "\"timestamp\":\"2026-03-01T10:00:22.600Z\",\"message\":{\"content\":[{\"type\":"
        "\"tool_result\",\"tool_use_id\":\"toolu_w\",\"content\":\"written\"}]}}",
        "{\"type\":\"user\",\"sessionId\":\"s1\",\"cwd\":\"/p\",\"version\":\"1.0.17\","
        "\"timestamp\":\"2026-03-01T10:01:00.000Z\",\"message\":{\"content\":\"next\"}}",
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 4), 0);
    const struct op *w = last_of(t, "toolu_w");
    ASSERT_TRUE(isnan(w->duration_ms) && isnan(w->wait_ms));
    ASSERT_EQ_DBL(w->wall_ms, 21600, 0);
    ASSERT_EQ_INT(w->ask, OP_ASK_MAYBE);
    ASSERT_EQ_INT(n_ops(t), 1);
    ASSERT_EQ_INT(transcript_stats(t)->turns, 0);
    transcript_free(t);
}

TEST_MAIN(TEST_CASE(test_turn_one_prompt), TEST_CASE(test_turn_shared_wait),
          TEST_CASE(test_turn_decisions_and_modes), TEST_CASE(test_turn_old_layout_stays_unsplit),
          TEST_CASE(test_marot_short), TEST_CASE(test_marot_tool_heavy),
          TEST_CASE(test_marot_subagent_progress), TEST_CASE(test_marot_main),
          TEST_CASE(test_marot_agent_file), TEST_CASE(test_marot_compact_helper),
          TEST_CASE(test_main_and_subagent_together), TEST_CASE(test_kimuson_old_layout),
          TEST_CASE(test_kimuson_mid), TEST_CASE(test_interrupt), TEST_CASE(test_pending_and_lost),
          TEST_CASE(test_replay_dedupe), TEST_CASE(test_mcp_progress_and_pre_hook),
          TEST_CASE(test_blocks_per_line_and_usage_tail),
          TEST_CASE(test_malformed_and_skipped_lines), TEST_CASE(test_invalid_utf8_is_repaired))
