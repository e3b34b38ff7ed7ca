/*
 * test_transcript.c - the transcript parser over the transcripts in
 * tests/data (recorded with the real client, and hand-made older layouts)
 * and over small synthetic lines for what those do not cover (interrupts
 * with calls running, calls without results, replays, MCP progress,
 * PreToolUse hook time, several blocks per line, malformed lines).
 *
 * The expected numbers were worked out independently of this parser: the
 * tool counts, durations, start times and errors are what
 * tests/data/reference.py prints (it pairs calls with the rules of
 * transcript.h re-implemented over Python's json module, in
 * tests/data/transcript/pairing_reference.py), and for the hand-made files
 * they follow from the timestamps in tests/data/legacy/make_legacy.py.
 * Durations are exact: timestamps have millisecond precision, and
 * self-reported durations are copied as they are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "core/limits.h"
#include "ingest/transcript.h"

/* Feed text line by line; returns the number of malformed lines. */
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

/* Feed tests/data/<rel> whole; *badp = its malformed lines. A missing file
 * fails the test here. */
#define FEED_DATA(t, rel, badp)                                                                    \
    do {                                                                                           \
        size_t len_;                                                                               \
        char *text_;                                                                               \
        FIXTURE_READ_DATA(text_, rel, &len_);                                                      \
        *(badp) = feed_text((t), text_, len_);                                                     \
        free(text_);                                                                               \
    } while (0)

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

/* The parser emits a call again when accounting (a turn's end, a
 * cost-state line) finds its wait or exec; the store merges the reports
 * phase by phase. Here the first report of each call takes the later
 * reports' phases the same way (op_phases_merge), and counts skip them. */
static int is_again(const struct op *ops, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ops[j].tool_use_id && ops[i].tool_use_id &&
            strcmp(ops[j].tool_use_id, ops[i].tool_use_id) == 0)
            return 1;
    return 0;
}

static void merge_again(struct transcript *t)
{
    size_t n;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!ops[j].tool_use_id || !ops[i].tool_use_id ||
                strcmp(ops[j].tool_use_id, ops[i].tool_use_id) != 0)
                continue;
            struct op_phases e, x;
            op_phases_get(&ops[j], &e);
            op_phases_get(&ops[i], &x);
            op_phases_merge(&e, &x, 1, NULL);
            op_phases_put(&ops[j], &e);
            break;
        }
    }
}

/* feed_lines, the first line starting at byte `at` of its file. */
static int feed_lines_at(struct transcript *t, const char *const *lines, size_t n, int64_t at)
{
    int bad = 0;
    char eb[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        if (transcript_feed(t, lines[i], len, at, eb) != 0)
            bad++;
        at += (int64_t)len + 1;
    }
    return bad;
}

static const struct op *find(struct transcript *t, const char *id)
{
    size_t n;
    merge_again(t);
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
        if (strcmp(ops[i].tool, tool) == 0 && !is_again(ops, i))
            c++;
    return c;
}

static size_t count_failed(struct transcript *t)
{
    size_t n, c = 0;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        if (!ops[i].success && !is_again(ops, i))
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

/* Calls, each counted once. */
static size_t n_ops(struct transcript *t)
{
    size_t n, c = 0;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++)
        c += !is_again(ops, i);
    return c;
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

/* A call that may have asked for permission, with nothing that splits its
 * wall time: the wall time is known, never shown as execution. */
#define ASSERT_WALL_ONLY(o, ms)                                                                    \
    do {                                                                                           \
        ASSERT_TRUE(isnan((o)->duration_ms));                                                      \
        ASSERT_EQ_DBL((o)->wall_ms, (ms), 0);                                                      \
        ASSERT_EQ_INT((o)->ask, OP_ASK_MAYBE);                                                     \
    } while (0)

/* Find a call that must be there: the test fails naming it otherwise. */
#define FIND(var, t, id)                                                                           \
    do {                                                                                           \
        (var) = find((t), (id));                                                                   \
        if (!(var))                                                                                \
            FAIL_("no call %s", (id));                                                             \
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

/* ---- recorded with Claude Code 2.1.332 --------------------------------- */

#define REC_PROJECT "/tmp/toolprof-fixtures/project"

static void test_recorded_session(void)
{
    /* Parallel calls, a failed Read and Bash, a call a PreToolUse hook
     * blocked, a foreground sub-agent, ToolSearch then WebFetch, a
     * compaction with calls after it, and an interactive prompt whose
     * first call was approved after a wait and whose second was rejected. */
    struct transcript *t = transcript_new();
    int bad;
    const struct op *o;
    FEED_DATA(t, FIXTURE_REC_SESSION, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"Agent", 1},      {"Bash", 5},     {"Edit", 1},
                                              {"Glob", 2},       {"Grep", 2},     {"Read", 4},
                                              {"ToolSearch", 1}, {"WebFetch", 1}, {"Write", 2}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 4);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 173);
    ASSERT_EQ_INT(transcript_stats(t)->results, 19);
    ASSERT_EQ_INT(transcript_stats(t)->orphan_results, 0);
    ASSERT_EQ_INT(transcript_stats(t)->interrupted, 0);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 0);

    /* Glob reports its own durationMs 55 (377 ms between the lines). */
    FIND(o, t, "toolu_01VRiFALIKuY7rg2ElwuszDe");
    ASSERT_STREQ(o->tool, "Glob");
    ASSERT_EQ_DBL(o->duration_ms, 55, 0);
    ASSERT_CONTAINS(o->meta, "\"duration_from\":\"tool\"");
    ASSERT_CONTAINS(o->meta, "\"wall_ms\":377");
    ASSERT_EQ_INT(o->ts_ms, 1796433203355LL);
    ASSERT_STREQ(o->target, "**/*.py");
    ASSERT_STREQ(o->session_id, FIXTURE_REC_SESSION_ID);
    ASSERT_STREQ(o->project, REC_PROJECT);
    ASSERT_EQ_INT(o->source, OP_SRC_TRANSCRIPT);
    /* Three Reads of one response, timed each from its own block. */
    FIND(o, t, "toolu_01pXjgcenSAGGMZ872qEyWjI");
    ASSERT_EQ_INT(o->success, 0);
    ASSERT_STREQ(o->error, "File does not exist. Note: your current working directory is "
                           "/tmp/toolprof-fixtures/project.");
    ASSERT_EQ_DBL(o->duration_ms, 249, 0);
    FIND(o, t, "toolu_01SDv5xCGIPSx3dk37IdX0a4");
    ASSERT_EQ_INT(o->optimized, 1); /* offset and limit */
    ASSERT_EQ_DBL(o->duration_ms, 273, 0);
    ASSERT_EQ_INT(o->result_bytes, 1204);
    ASSERT_STREQ(o->target, REC_PROJECT "/logs/app.log");
    FIND(o, t, "toolu_01JhK5ZfzyLYrRdC5oly803L");
    ASSERT_EQ_INT(o->optimized, 0);
    ASSERT_EQ_DBL(o->duration_ms, 298, 0);
    /* The sub-agent's run, by its own totalDurationMs. */
    FIND(o, t, "toolu_01aCrysGFeu4a853Bz7uuR46");
    ASSERT_STREQ(o->tool, "Agent");
    ASSERT_STREQ(o->target, "Find the retry settings");
    ASSERT_EQ_DBL(o->duration_ms, 938, 0);
    ASSERT_CONTAINS(o->meta, "\"wall_ms\":1112");
    /* A failed Bash, and one the PreToolUse hook blocked (exit 2: its
     * stderr is the error). */
    FIND(o, t, "toolu_01vdBC5eIH2NBkjkD0WRgsD1");
    ASSERT_STREQ(o->error, "Exit code 2");
    ASSERT_EQ_DBL(o->duration_ms, 212, 0);
    FIND(o, t, "toolu_014xSm6tC2Ft7wArBfkxIc31");
    ASSERT_EQ_INT(o->success, 0);
    ASSERT_STREQ(o->error, "PreToolUse:Bash hook error: [/tmp/toolprof-fixtures/bin/record-hook "
                           "PreToolUse]: blocked by policy: rm -rf is not allowed here");
    ASSERT_EQ_DBL(o->duration_ms, 105, 0);
    /* WebFetch reports durationMs 96 (353 ms between the lines). */
    FIND(o, t, "toolu_01ko0l1WGEuT3zQsOJIISE7L");
    ASSERT_EQ_DBL(o->duration_ms, 96, 0);
    ASSERT_STREQ(o->target, "https://127.0.0.1:47181/retry.html");
    FIND(o, t, "toolu_01tu0L1FRh0AjysQO0dPHgc4");
    ASSERT_STREQ(o->target, "sleep 0.5 && echo settled");
    ASSERT_EQ_DBL(o->duration_ms, 624, 0);
    /* After the compaction, in the same file. */
    FIND(o, t, "toolu_01f2W5D5aIpnl5Oax6lybuYc");
    ASSERT_EQ_DBL(o->duration_ms, 30, 0);
    FIND(o, t, "toolu_01lQoKYbagdmpS20O90ob6qw");
    ASSERT_EQ_DBL(o->duration_ms, 151, 0);
    /* Approved after a 1.5 s permission prompt (permissionDecision
     * user_temporary): the timestamps hold the wait, and the cost-state
     * lines' totalToolDuration grew by 81 ms over the turn, all of it this
     * call's (the rejected Write never ran): exactly the hook's
     * duration_ms. */
    FIND(o, t, "toolu_016N7H5aZA0R64aNqD9WFJBl");
    ASSERT_EQ_INT(o->success, 1);
    ASSERT_EQ_INT(o->ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(o->wall_ms, 2189, 0);
    ASSERT_EQ_DBL(o->duration_ms, 81, 0);
    ASSERT_EQ_INT(o->exact[OP_PH_EXEC], OP_EX_DERIVED);
    ASSERT_EQ_INT(o->phsrc[OP_PH_EXEC], PHS_TURN);
    ASSERT_EQ_DBL(o->wait_ms, 2108, 0);
    /* Rejected at the prompt: the wait was the person's. */
    FIND(o, t, "toolu_01PJ8XnU7qFXQOajt7p3ZJbu");
    ASSERT_STREQ(o->tool, "Write");
    ASSERT_STREQ(o->error, "rejected by user");
    ASSERT_TRUE(isnan(o->duration_ms));
    ASSERT_CONTAINS(o->meta, "\"wait_ms\":1050");
    ASSERT_CONTAINS(o->meta, "\"outcome\":\"rejected\"");
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_recorded_requests_and_turns(void)
{
    /* Counted from the file by hand (python: distinct requestId of the
     * assistant lines; string prompts that are not meta lines or the
     * compaction's summary): 17 requests, 5 prompts. */
    struct transcript *t = transcript_new();
    int bad;
    FEED_DATA(t, FIXTURE_REC_SESSION, &bad);
    ASSERT_EQ_INT(bad, 0);
    size_t nr, nt;
    transcript_requests(t, &nr);
    ASSERT_EQ_INT(nr, 17); /* each closed by the result line after it */
    transcript_turns(t, &nt);
    ASSERT_EQ_INT(nt, 4); /* the last is open: the file may grow */
    transcript_finish(t, 1);
    struct request *r = transcript_requests(t, &nr);
    struct turn *tu = transcript_turns(t, &nt);
    ASSERT_EQ_INT(nr, 17);
    ASSERT_EQ_INT(nt, 5);
    /* Sent at the api-request line 01:13:23.333, last line 23.379. */
    ASSERT_STREQ(r[0].id, "req_mock000001");
    ASSERT_EQ_INT(r[0].start_ms, 1796433203333LL);
    ASSERT_EQ_DBL(r[0].duration_ms, 46, 0);
    ASSERT_EQ_INT(r[0].exact, OP_EX_DERIVED);
    ASSERT_EQ_INT(r[0].output_tokens, 20);
    ASSERT_STREQ(r[0].model, "claude-sonnet-4-5");
    ASSERT_STREQ(r[0].session_id, FIXTURE_REC_SESSION_ID);
    ASSERT_STREQ(r[16].id, "req_mock000025");
    ASSERT_EQ_DBL(r[16].duration_ms, 3, 0);
    char eb[TP_ERR_MAX];
    for (size_t i = 0; i < nr; i++)
        ASSERT_EQ_INT(request_normalize(&r[i], 1900000000000LL, eb), 0);
    /* The first turn from its prompt to its last line; the last one
     * (the interactive prompt) too. */
    ASSERT_EQ_INT(tu[0].start_ms, 1796433203242LL);
    ASSERT_TRUE(tu[0].end_ms > tu[0].start_ms);
    ASSERT_TRUE(isnan(tu[0].active_ms)); /* this version writes no turn_duration */
    ASSERT_EQ_INT(tu[4].start_ms, 1796433211219LL);
    for (size_t i = 0; i < nt; i++)
        ASSERT_EQ_INT(turn_normalize(&tu[i], 1900000000000LL, eb), 0);
    transcript_free(t);
}

static void test_recorded_subagent_file(void)
{
    /* The sub-agent's own file: its lines carry the session's id, and its
     * calls are the sub-agent's (sidechain, agent id). */
    struct transcript *t = transcript_new();
    int bad;
    const struct op *o;
    FEED_DATA(t, FIXTURE_REC_AGENT, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"Bash", 1}, {"Glob", 1}, {"Grep", 1}, {"Read", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 0);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 29);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 4);
    ASSERT_EQ_INT(count_meta(t, "\"agent_id\":\"" FIXTURE_REC_AGENT_ID "\""), 4);
    /* Grep and Glob of one response; the sub-agent's toolUseResult-less
     * results are timed from the timestamps. */
    FIND(o, t, "toolu_014YarrHSZjOwSXpAg1UdTb8");
    ASSERT_EQ_DBL(o->duration_ms, 317, 0);
    ASSERT_STREQ(o->session_id, FIXTURE_REC_SESSION_ID);
    FIND(o, t, "toolu_01J7mvvU8BsNapH4cjY7YoIl");
    ASSERT_EQ_DBL(o->duration_ms, 205, 0);
    ASSERT_CONTAINS(o->meta, "\"duration_from\":\"timestamps\"");
    FIND(o, t, "toolu_01IjKgLndTvVUSmk1NQTE6L7");
    ASSERT_EQ_INT(o->result_bytes, 50);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_recorded_together(void)
{
    /* One parser over the session and its sub-agent: every call once. */
    struct transcript *t = transcript_new();
    int bad;
    FEED_DATA(t, FIXTURE_REC_SESSION, &bad);
    ASSERT_EQ_INT(bad, 0);
    FEED_DATA(t, FIXTURE_REC_AGENT, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 23);
    ASSERT_EQ_INT(count_tool(t, "Read"), 5);
    ASSERT_EQ_INT(count_tool(t, "Bash"), 6);
    ASSERT_EQ_INT(count_failed(t), 4);
    ASSERT_EQ_INT(transcript_stats(t)->duplicates, 0);
    transcript_free(t);
}

/* ---- hand-made: Claude Code 1.0.98 ---------------------------------------- */

static void test_v1_layout(void)
{
    /* One block per line; tools start when the response has been written;
     * sub-agent lines inline (isSidechain); three parallel Tasks; MultiEdit;
     * BashOutput/KillBash; a background Bash; "Error:" strings. */
    struct transcript *t = transcript_new();
    int bad;
    const struct op *o;
    FEED_DATA(t, FIXTURE_V1_SESSION, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {
        {"Bash", 2},     {"BashOutput", 1}, {"Edit", 1}, {"Glob", 2}, {"Grep", 1},
        {"KillBash", 1}, {"MultiEdit", 1},  {"Read", 2}, {"Task", 3}, {"TodoWrite", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 4);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 3);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 36);
    /* Glob, Glob, TodoWrite in one response that ended at 02.300: the Globs
     * start then and report 5 and 4 ms themselves; the TodoWrite (a
     * mutating tool) waited for both, so it took 38 ms from 02.352. */
    FIND(o, t, "toolu_01V1Glob1aaaaaaaaaaaaa");
    ASSERT_EQ_INT(o->ts_ms, 1756893602300LL);
    ASSERT_EQ_DBL(o->duration_ms, 5, 0);
    ASSERT_CONTAINS(o->meta, "\"wall_ms\":940");
    ASSERT_CONTAINS(o->meta, "\"start_adjusted\":\"response_end\"");
    FIND(o, t, "toolu_01V1Todo1aaaaaaaaaaaaa");
    ASSERT_EQ_INT(o->ts_ms, 1756893602352LL);
    ASSERT_EQ_DBL(o->duration_ms, 38, 0);
    ASSERT_CONTAINS(o->meta, "\"start_adjusted\":\"queue\"");
    /* Three Tasks of one response start at its end (05.400): one by its
     * totalDurationMs, one by its <usage> tail, one refused by input
     * validation 37 ms later. */
    FIND(o, t, "toolu_01V1Task1aaaaaaaaaaaaa");
    ASSERT_EQ_INT(o->ts_ms, 1756893605400LL);
    ASSERT_EQ_DBL(o->duration_ms, 45000, 0);
    ASSERT_STREQ(o->target, "Review cart.ts");
    FIND(o, t, "toolu_01V1Task2aaaaaaaaaaaaa");
    ASSERT_EQ_INT(o->ts_ms, 1756893605400LL);
    ASSERT_EQ_DBL(o->duration_ms, 61250, 0);
    ASSERT_CONTAINS(o->meta, "\"duration_from\":\"usage\"");
    FIND(o, t, "toolu_01V1Task3aaaaaaaaaaaaa");
    ASSERT_EQ_INT(o->success, 0);
    ASSERT_STREQ(o->error, "InputValidationError: Task failed due to the following issue:");
    ASSERT_EQ_DBL(o->duration_ms, 37, 0);
    /* The sub-agents' inline calls. */
    FIND(o, t, "toolu_01V1SideGrepaaaaaaaaaa");
    ASSERT_EQ_INT(o->ts_ms, 1756893607250LL);
    ASSERT_EQ_DBL(o->duration_ms, 160, 0);
    ASSERT_EQ_INT(o->optimized, 1);
    ASSERT_CONTAINS(o->meta, "\"sidechain\":true");
    FIND(o, t, "toolu_01V1SideBashaaaaaaaaaa");
    ASSERT_STREQ(o->error, "Exit code 1");
    ASSERT_WALL_ONLY(o, 12500);
    /* A background Bash returns at once; then BashOutput and KillBash. */
    FIND(o, t, "toolu_01V1BgBashaaaaaaaaaaa");
    ASSERT_EQ_INT(o->optimized, 1);
    ASSERT_WALL_ONLY(o, 1132);
    FIND(o, t, "toolu_01V1BashOutaaaaaaaaaa");
    ASSERT_EQ_DBL(o->duration_ms, 21, 0);
    FIND(o, t, "toolu_01V1KillBashaaaaaaaaaa");
    ASSERT_EQ_DBL(o->duration_ms, 34, 0);
    FIND(o, t, "toolu_01V1MultiEditaaaaaaaaa");
    ASSERT_STREQ(o->target, "/home/dev/shop/src/checkout.ts");
    ASSERT_WALL_ONLY(o, 120);
    FIND(o, t, "toolu_01V1ReadDiraaaaaaaaaaa");
    ASSERT_EQ_INT(o->success, 0);
    ASSERT_STREQ(o->error, "EISDIR: illegal operation on a directory, read");
    ASSERT_EQ_DBL(o->duration_ms, 64, 0);
    FIND(o, t, "toolu_01V1EditRejaaaaaaaaaaa");
    ASSERT_STREQ(o->error, "rejected by user");
    ASSERT_TRUE(isnan(o->duration_ms));
    ASSERT_CONTAINS(o->meta, "\"wait_ms\":2500");
    ASSERT_STREQ(o->session_id, "0a1b2c3d-1000-4000-8000-000000000098");
    ASSERT_STREQ(o->project, "/home/dev/shop");
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

/* ---- hand-made: Claude Code 2.1.39 ------------------------------------------ */

static void test_v2_session(void)
{
    /* WebSearch's durationSeconds, WebFetch's durationMs, progress lines,
     * a Task whose sub-agent traffic is copied in as agent_progress (not
     * calls of this file), a person's time (AskUserQuestion,
     * ExitPlanMode), a compaction, two calls rejected at the prompt. */
    struct transcript *t = transcript_new();
    int bad;
    const struct op *o;
    FEED_DATA(t, FIXTURE_V2_SESSION, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"AskUserQuestion", 1}, {"Bash", 3},     {"Edit", 1},
                                              {"ExitPlanMode", 1},    {"Glob", 1},     {"Task", 1},
                                              {"WebFetch", 1},        {"WebSearch", 1}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 2);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 32);
    ASSERT_EQ_INT(transcript_stats(t)->orphan_results, 0);
    ASSERT_TRUE(find(t, "toolu_01V2SubRead1ccccccccccc") == NULL);
    FIND(o, t, "toolu_01V2WebSearchbbbbbbbbb");
    ASSERT_EQ_DBL(o->duration_ms, 6473.83981, 1e-6);
    ASSERT_STREQ(o->target, "node checkout latency");
    FIND(o, t, "toolu_01V2Globbbbbbbbbbbbbbb");
    ASSERT_EQ_DBL(o->duration_ms, 230, 0);
    ASSERT_CONTAINS(o->meta, "\"wall_ms\":235");
    ASSERT_EQ_INT(o->ts_ms, 1770714002100LL); /* 2.1.x: its own block's end */
    FIND(o, t, "toolu_01V2WebFetchbbbbbbbbbb");
    ASSERT_EQ_DBL(o->duration_ms, 5249, 0);
    FIND(o, t, "toolu_01V2Bashbbbbbbbbbbbbbb");
    ASSERT_EQ_DBL(o->duration_ms, 2500, 0);
    ASSERT_EQ_INT(o->result_bytes, 19);
    FIND(o, t, "toolu_01V2Taskbbbbbbbbbbbbbb");
    ASSERT_EQ_DBL(o->duration_ms, 45626, 0);
    ASSERT_STREQ(o->target, "Profile checkout");
    FIND(o, t, "toolu_01V2AskUserbbbbbbbbbbb");
    ASSERT_TRUE(isnan(o->duration_ms));
    ASSERT_CONTAINS(o->meta, "\"human_wait_ms\":135304");
    FIND(o, t, "toolu_01V2ExitPlanbbbbbbbbbb");
    ASSERT_TRUE(isnan(o->duration_ms));
    ASSERT_CONTAINS(o->meta, "\"human_wait_ms\":30000");
    FIND(o, t, "toolu_01V2Editbbbbbbbbbbbbbb");
    ASSERT_WALL_ONLY(o, 88);
    FIND(o, t, "toolu_01V2RejBash1bbbbbbbbbb");
    ASSERT_STREQ(o->error, "rejected by user");
    ASSERT_CONTAINS(o->meta, "\"wait_ms\":1363");
    FIND(o, t, "toolu_01V2RejBash2bbbbbbbbbb");
    ASSERT_CONTAINS(o->meta, "\"wait_ms\":1314");
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_v2_subagent_file(void)
{
    /* A failed Read cancelled its two parallel siblings (before 2.1.72). */
    struct transcript *t = transcript_new();
    int bad;
    const struct op *o;
    FEED_DATA(t, FIXTURE_V2_AGENT, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    static const struct tool_count tools[] = {{"Grep", 1}, {"Read", 4}};
    ASSERT_TOOLS(t, tools);
    ASSERT_EQ_INT(count_failed(t), 3);
    ASSERT_EQ_INT(count_meta(t, "\"sidechain\":true"), 5);
    ASSERT_EQ_INT(count_meta(t, "\"agent_id\":\"a1b2c3d\""), 5);
    ASSERT_EQ_INT(count_meta(t, "\"outcome\":\"cancelled\""), 2);
    FIND(o, t, "toolu_01V2SubRead1ccccccccccc");
    ASSERT_STREQ(o->error, "File does not exist.");
    ASSERT_EQ_DBL(o->duration_ms, 2, 0);
    FIND(o, t, "toolu_01V2SubRead2ccccccccccc");
    ASSERT_STREQ(o->error, "Sibling tool call errored");
    ASSERT_EQ_DBL(o->duration_ms, 1, 0);
    ASSERT_STREQ(o->session_id, FIXTURE_V2_SESSION_ID);
    FIND(o, t, "toolu_01V2SubRead4ccccccccccc");
    ASSERT_EQ_DBL(o->duration_ms, 271, 0);
    ASSERT_EQ_INT(o->result_bytes, 4096);
    ASSERT_TRUE(all_normalize(t));
    transcript_free(t);
}

static void test_v2_compact_helper(void)
{
    struct transcript *t = transcript_new();
    int bad;
    FEED_DATA(t, FIXTURE_V2_COMPACT, &bad);
    ASSERT_EQ_INT(bad, 0);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 0);
    ASSERT_EQ_INT(transcript_stats(t)->lines, 2);
    transcript_free(t);
}

static void test_v2_together(void)
{
    /* The session, its sub-agent and the compaction helper in one parser:
     * 10 + 5 + 0 calls, none of the agent_progress copies twice. */
    struct transcript *t = transcript_new();
    int bad;
    FEED_DATA(t, FIXTURE_V2_SESSION, &bad);
    FEED_DATA(t, FIXTURE_V2_AGENT, &bad);
    FEED_DATA(t, FIXTURE_V2_COMPACT, &bad);
    transcript_finish(t, 1);
    ASSERT_EQ_INT(n_ops(t), 15);
    ASSERT_EQ_INT(count_tool(t, "Read"), 4);
    ASSERT_EQ_INT(count_failed(t), 5);
    ASSERT_EQ_INT(transcript_stats(t)->duplicates, 0);
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

/* The last response of a turn has no result line after it: the turn's
 * turn_duration line ends it (seen live: an interactive session's last
 * answer was missing from its model requests). */
static void test_turn_ends_its_last_response(void)
{
    static const char *const lines[] = {
        PROMPT("2026-03-01T10:00:00.000Z", ""),
        USE("2026-03-01T10:00:01.000Z", "m1", "toolu_r", "Read"),
        RES("2026-03-01T10:00:01.020Z", "toolu_r", ""),
        "{\"type\":\"assistant\"," ENV ",\"timestamp\":\"2026-03-01T10:00:01.400Z\","
        "\"requestId\":\"req_2\",\"message\":{\"id\":\"m2\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"Done.\"}]}}",
        TURN("2026-03-01T10:00:01.500Z", 1500),
    };
    struct transcript *t = transcript_new();
    ASSERT_EQ_INT(feed_lines(t, lines, 5), 0);
    size_t nr;
    struct request *r = transcript_requests(t, &nr);
    ASSERT_EQ_INT(nr, 2);
    ASSERT_STREQ(r[1].id, "req_2");
    ASSERT_EQ_INT(r[1].start_ms, 1772359201020LL); /* sent at the result it answers */
    ASSERT_EQ_DBL(r[1].duration_ms, 380, 0);
    transcript_free(t);
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
    /* The file has not shown a turn_duration yet (1.x never writes one):
     * nothing holds the resume point. */
    ASSERT_EQ_INT(transcript_pending_offset(t), -1);
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
    /* Now it has: until the next turn ends, a resumed read must start at
     * that turn's prompt, so that its accounting sees the whole turn. */
    static const char *const next[] = {
        PROMPT("2026-03-01T10:01:00.000Z", ""),
        USE("2026-03-01T10:01:01.000Z", "m3", "toolu_x", "Bash"),
        RES("2026-03-01T10:01:04.000Z", "toolu_x", ""),
    };
    int64_t at = 0;
    for (size_t i = 0; i < 6; i++)
        at += (int64_t)strlen(lines[i]) + 1;
    ASSERT_EQ_INT(feed_lines_at(t, next, 3, at), 0);
    ASSERT_EQ_INT(transcript_pending_offset(t), at);
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

TEST_MAIN(TEST_CASE(test_turn_ends_its_last_response), TEST_CASE(test_turn_one_prompt),
          TEST_CASE(test_turn_shared_wait), TEST_CASE(test_turn_decisions_and_modes),
          TEST_CASE(test_turn_old_layout_stays_unsplit), TEST_CASE(test_recorded_session),
          TEST_CASE(test_recorded_requests_and_turns), TEST_CASE(test_recorded_subagent_file),
          TEST_CASE(test_recorded_together), TEST_CASE(test_v1_layout), TEST_CASE(test_v2_session),
          TEST_CASE(test_v2_subagent_file), TEST_CASE(test_v2_compact_helper),
          TEST_CASE(test_v2_together), TEST_CASE(test_interrupt), TEST_CASE(test_pending_and_lost),
          TEST_CASE(test_replay_dedupe), TEST_CASE(test_mcp_progress_and_pre_hook),
          TEST_CASE(test_blocks_per_line_and_usage_tail),
          TEST_CASE(test_malformed_and_skipped_lines), TEST_CASE(test_invalid_utf8_is_repaired))
