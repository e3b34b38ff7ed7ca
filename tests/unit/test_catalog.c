/*
 * test_catalog.c - what is stored and the names a person gives for it:
 * tool names in any case, agents listed, a project by path or by name, a
 * session by the start of its id, the nearest names when nothing matches;
 * the newest call of a filter; the projects with their counts
 * (store_projects underneath); and a session's clock as the timeline draws
 * it (stretches of model, tools, approvals, prompt and idle that add up to
 * its wall time, with the agent of its first call). Every expected value is
 * counted from the operations the test stores.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "engine/catalog.h"
#include "engine/sessions.h"
#include "harness.h"
#include "store/store.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

struct call {
    const char *tool, *agent, *project, *session;
    double dur;
    int64_t ts;
};

/* Calls over 40 days in three projects (two of them named "app"), two
 * agents, three sessions. */
static const struct call calls[] = {
    {"Read", NULL, "/home/u/dev/app", "5e55a000-aaaa-4000-8000-000000000001", 120, NOW - HOUR},
    {"Read", NULL, "/home/u/dev/app", "5e55a000-aaaa-4000-8000-000000000001", 80, NOW - 2 * HOUR},
    {"Bash", NULL, "/home/u/dev/app", "5e55a000-aaaa-4000-8000-000000000001", 900, NOW - 3 * HOUR},
    {"Grep", NULL, "/srv/other/app", "5e55b111-bbbb-4000-8000-000000000002", 40, NOW - 5 * DAY},
    {"shell", "codex", "/home/u/ai-music", "c0dex000-cccc-4000-8000-000000000003", 300,
     NOW - 3 * HOUR},
    {"shell", "codex", "/home/u/ai-music", "c0dex000-cccc-4000-8000-000000000003", 500,
     NOW - 40 * DAY},
};
#define NCALLS (sizeof calls / sizeof calls[0])

static struct store *open_filled(char **dir)
{
    *dir = fixture_tmpdir("catalog");
    struct store *s = fixture_store_open(*dir);
    struct op ops[NCALLS];
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < NCALLS; i++) {
        struct op *op = &ops[i];
        op_init(op);
        op_sets(&op->tool, calls[i].tool);
        op_sets(&op->agent, calls[i].agent);
        op_sets(&op->project, calls[i].project);
        op_sets(&op->session_id, calls[i].session);
        char id[32];
        snprintf(id, sizeof id, "toolu_cat%04zu", i);
        op_sets(&op->tool_use_id, id);
        op->duration_ms = calls[i].dur;
        op->ts_ms = calls[i].ts;
        op->source = OP_SRC_HOOK;
        if (op_normalize(op, NOW, err) != 0)
            fprintf(stderr, "op %zu: %s\n", i, err);
    }
    struct store_result r = {0};
    if (store_insert(s, ops, NCALLS, NULL, &r, err) != 0)
        fprintf(stderr, "store_insert: %s\n", err);
    for (size_t i = 0; i < NCALLS; i++)
        op_clear(&ops[i]);
    return s;
}

static struct engine_query all_q(void)
{
    struct engine_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.w.name, sizeof q.w.name, "all");
    q.w.since_ms = TP_MIN_TS_MS;
    q.w.until_ms = NOW + 1;
    q.w.open_end = 1;
    return q;
}

struct rcase {
    const char *tool, *agent, *canonical, *project, *session;
    int rc;
    const char *want; /* the resolved value of the one field given, or the message's start */
};

static void test_resolve(void)
{
    char *dir;
    struct store *s = open_filled(&dir);
    static const struct rcase cases[] = {
        /* Tools: exact, any case, the label and key forms of another agent's tool. */
        {"Read", NULL, NULL, NULL, NULL, 0, "Read"},
        {"read", NULL, NULL, NULL, NULL, 0, "Read"},
        {"BASH", NULL, NULL, NULL, NULL, 0, "Bash"},
        {"shell (codex)", NULL, NULL, NULL, NULL, 0, "shell"},
        {"shell\x1f"
         "codex",
         NULL, NULL, NULL, NULL, 0, "shell"},
        {"rea", NULL, NULL, NULL, NULL, TP_ENOTFOUND,
         "tool: no tool called rea was ever recorded (nearest: Read, "},
        {"Bsh", NULL, NULL, NULL, NULL, TP_ENOTFOUND,
         "tool: no tool called Bsh was ever recorded (nearest: Bash, "},
        /* Agents: any case, lists, unknown ones named. */
        {NULL, "Codex", NULL, NULL, NULL, 0, "codex"},
        {NULL, "codex, CLAUDE-CODE,codex", NULL, NULL, NULL, 0, "codex,claude-code"},
        {NULL, "cursor", NULL, NULL, NULL, TP_EINVAL,
         "agent: cursor is not an agent toolprof knows (claude-code, codex, gemini-cli, opencode)"},
        /* Canonical names. */
        {NULL, NULL, "SHELL", NULL, NULL, 0, "shell"},
        {NULL, NULL, "shel", NULL, NULL, TP_ENOTFOUND,
         "canonical: no recorded tool is of kind shel (nearest: shell"},
        /* Projects: the path, a trailing slash, the name, its last components. */
        {NULL, NULL, NULL, "/home/u/ai-music", NULL, 0, "/home/u/ai-music"},
        {NULL, NULL, NULL, "/home/u/ai-music/", NULL, 0, "/home/u/ai-music"},
        {NULL, NULL, NULL, "ai-music", NULL, 0, "/home/u/ai-music"},
        {NULL, NULL, NULL, "AI-Music", NULL, 0, "/home/u/ai-music"},
        {NULL, NULL, NULL, "dev/app", NULL, 0, "/home/u/dev/app"},
        {NULL, NULL, NULL, "app", NULL, TP_EINVAL, "project: app names 2 projects ("},
        {NULL, NULL, NULL, "music", NULL, TP_ENOTFOUND,
         "project: no project music (nearest: /home/u/ai-music"},
        /* Sessions: the id, a prefix, an ambiguous prefix, too short, none. */
        {NULL, NULL, NULL, NULL, "5e55a000-aaaa-4000-8000-000000000001", 0,
         "5e55a000-aaaa-4000-8000-000000000001"},
        {NULL, NULL, NULL, NULL, "c0de", 0, "c0dex000-cccc-4000-8000-000000000003"},
        {NULL, NULL, NULL, NULL, "5e55", TP_EINVAL, "session: 2 sessions start with 5e55 ("},
        {NULL, NULL, NULL, NULL, "ba79134d", TP_ENOTFOUND,
         "session: no session starts with ba79134d (5e55a000…, "},
        {NULL, NULL, NULL, NULL, "5e5", TP_ENOTFOUND,
         "session: no session is 5e5 (give its id or at least 4 characters of it; latest: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct rcase *c = &cases[i];
        struct engine_query q = all_q();
        q.tool = c->tool;
        q.agent = c->agent;
        q.canonical = c->canonical;
        q.project = c->project;
        q.session = c->session;
        struct catalog_names names;
        char err[TP_ERR_MAX] = "";
        int rc = catalog_resolve(s, &q, &names, err);
        const char *got = c->tool        ? q.tool
                          : c->agent     ? q.agent
                          : c->canonical ? q.canonical
                          : c->project   ? q.project
                                         : q.session;
        int fine = rc == c->rc &&
                   (rc ? strncmp(err, c->want, strlen(c->want)) == 0 : strcmp(got, c->want) == 0);
        if (!fine)
            fprintf(stderr,
                    "  case %zu: rc %d (want %d), got \"%s\", message \"%s\", want \"%s\"\n", i, rc,
                    c->rc, got ? got : "(null)", err, c->want);
        ASSERT_TRUE(fine);
    }
    /* The label form selects the agent too. */
    struct engine_query q = all_q();
    struct catalog_names names;
    char err[TP_ERR_MAX];
    q.tool = "shell (codex)";
    ASSERT_EQ_INT(catalog_resolve(s, &q, &names, err), 0);
    ASSERT_STREQ(q.agent, "codex");
    q = all_q();
    q.tool = "shell (codex)";
    q.agent = "claude-code";
    ASSERT_EQ_INT(catalog_resolve(s, &q, &names, err), TP_EINVAL);
    ASSERT_EQ_INT(catalog_in_list("codex,claude-code", "claude-code"), 1);
    ASSERT_EQ_INT(catalog_in_list("codex,claude-code", "claude"), 0);
    ASSERT_EQ_INT(catalog_in_list("codex", "codex"), 1);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_newest_and_projects(void)
{
    char *dir;
    struct store *s = open_filled(&dir);
    char err[TP_ERR_MAX];
    int64_t ts;
    /* Whole store, a tool, an agent, a project, a session, nothing. */
    struct engine_query q = all_q();
    ASSERT_EQ_INT(catalog_newest(s, &q, &ts, err), 0);
    ASSERT_EQ_INT(ts, NOW - HOUR);
    q.tool = "Bash";
    ASSERT_EQ_INT(catalog_newest(s, &q, &ts, err), 0);
    ASSERT_EQ_INT(ts, NOW - 3 * HOUR);
    q = all_q();
    q.tool = "Grep";
    ASSERT_EQ_INT(catalog_newest(s, &q, &ts, err), 0);
    ASSERT_EQ_INT(ts, NOW - 5 * DAY);
    q = all_q();
    q.project = "/srv/other/app";
    ASSERT_EQ_INT(catalog_newest(s, &q, &ts, err), 0);
    ASSERT_EQ_INT(ts, NOW - 5 * DAY);
    q = all_q();
    q.tool = "NoSuchTool";
    ASSERT_EQ_INT(catalog_newest(s, &q, &ts, err), 0);
    ASSERT_EQ_INT(ts, 0);
    /* The window that holds it. */
    ASSERT_STREQ(catalog_window_for(NOW - HOUR, NOW), "24h");
    ASSERT_STREQ(catalog_window_for(NOW - 5 * DAY, NOW), "7d");
    ASSERT_STREQ(catalog_window_for(NOW - 8 * DAY, NOW), "30d");
    ASSERT_STREQ(catalog_window_for(NOW - 40 * DAY, NOW), "all");

    /* Projects: every one stored (store_projects), with window counts. */
    struct projects p;
    q = all_q();
    ASSERT_EQ_INT(catalog_projects(s, &q, &p, err), 0);
    ASSERT_EQ_INT(p.n, 3);
    ASSERT_STREQ(p.items[0].path, "/home/u/dev/app"); /* 3 calls */
    ASSERT_STREQ(p.items[0].name, "app");
    ASSERT_EQ_INT(p.items[0].calls, 3);
    ASSERT_EQ_INT(p.items[0].sessions, 1);
    ASSERT_EQ_DBL(p.items[0].total_ms, 1100, 1e-6);
    ASSERT_EQ_INT(p.items[0].last_ms, NOW - HOUR);
    ASSERT_STREQ(p.items[1].path, "/home/u/ai-music"); /* 2 calls, before other/app's 1 */
    ASSERT_EQ_INT(p.items[1].calls, 2);
    ASSERT_EQ_INT(p.items[1].last_ms, NOW - 3 * HOUR);
    ASSERT_STREQ(p.items[2].path, "/srv/other/app");
    projects_free(&p);
    /* The last 7 days: ai-music has one call left; with an agent filter,
     * only codex's project. */
    q.w.since_ms = NOW - 7 * DAY;
    ASSERT_EQ_INT(catalog_projects(s, &q, &p, err), 0);
    ASSERT_EQ_INT(p.n, 3);
    ASSERT_EQ_INT(p.items[1].calls + p.items[2].calls, 2);
    projects_free(&p);
    q.agent = "codex";
    ASSERT_EQ_INT(catalog_projects(s, &q, &p, err), 0);
    ASSERT_EQ_INT(p.n, 1);
    ASSERT_STREQ(p.items[0].name, "ai-music");
    ASSERT_EQ_INT(p.items[0].calls, 1);
    projects_free(&p);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* One session with a model request before each call, a wait for the
 * person's next prompt, and an idle gap: its clock's stretches, in order,
 * add up to the wall time and name each gap. */
static void test_session_clock(void)
{
    char *dir = fixture_tmpdir("clock");
    struct store *s = fixture_store_open(dir);
    const char *sid = "c10c0000-0000-4000-8000-000000000001";
    int64_t t0 = NOW - 2 * HOUR;
    char err[TP_ERR_MAX];
    /* Timeline (ms from t0):
     *   0..1000     model request 1
     *   1000..1500  Read (exec 500)
     *   1500..2500  model request 2
     *   2500..2700  Bash: wait 150, exec 50 (asked)
     *   2700..5000  turn 1 ends at 2700; turn 2 starts at 5000: your prompt
     *   5000..5400  Edit (exec 400)
     *   5400..6000  nothing: idle
     *   6000..6100  Read (exec 100) */
    struct op ops[4];
    static const struct {
        const char *tool;
        int64_t at;
        double wall, wait, exec;
    } c[] = {{"Read", 1000, 500, 0, 500},
             {"Bash", 2500, 200, 150, 50},
             {"Edit", 5000, 400, 0, 400},
             {"Read", 6000, 100, 0, 100}};
    for (size_t i = 0; i < 4; i++) {
        op_init(&ops[i]);
        op_sets(&ops[i].tool, c[i].tool);
        op_sets(&ops[i].session_id, sid);
        char id[32];
        snprintf(id, sizeof id, "toolu_clock%02zu", i);
        op_sets(&ops[i].tool_use_id, id);
        ops[i].ts_ms = t0 + c[i].at;
        ops[i].duration_ms = c[i].exec;
        ops[i].wall_ms = c[i].wall;
        ops[i].wait_ms = c[i].wait;
        ops[i].ask = c[i].wait > 0 ? OP_ASK_ASKED : OP_ASK_NO;
        ops[i].source = OP_SRC_HOOK;
        ASSERT_EQ_INT(op_normalize(&ops[i], NOW, err), 0);
    }
    struct request reqs[2];
    for (int i = 0; i < 2; i++) {
        request_init(&reqs[i]);
        reqs[i].id = xstrdup(i ? "req_2" : "req_1");
        reqs[i].session_id = xstrdup(sid);
        reqs[i].start_ms = t0 + (i ? 1500 : 0);
        reqs[i].duration_ms = 1000;
        reqs[i].input_tokens = 1000 + i;
        reqs[i].source = OP_SRC_TRANSCRIPT;
        ASSERT_EQ_INT(request_normalize(&reqs[i], NOW, err), 0);
    }
    struct turn turns[2];
    for (int i = 0; i < 2; i++) {
        turn_init(&turns[i]);
        turns[i].session_id = xstrdup(sid);
        turns[i].start_ms = t0 + (i ? 5000 : 0);
        turns[i].end_ms = t0 + (i ? 6100 : 2700);
        turns[i].source = OP_SRC_TRANSCRIPT;
        ASSERT_EQ_INT(turn_normalize(&turns[i], NOW, err), 0);
    }
    struct store_group g;
    memset(&g, 0, sizeof g);
    g.ops = ops;
    g.n = 4;
    g.reqs = reqs;
    g.nreqs = 2;
    g.turns = turns;
    g.nturns = 2;
    ASSERT_EQ_INT(store_insert_groups(s, &g, 1, err), 0);
    ASSERT_EQ_INT(g.res.inserted, 4);

    struct session_detail d;
    ASSERT_EQ_INT(engine_session(s, "c10c", &d, err), 0);
    ASSERT_EQ_DBL(d.s.split.wall_ms, 6100, 0);
    ASSERT_STREQ(d.s.agent, "claude-code");
    static const struct {
        double from, to;
        enum split_part part;
    } want[] = {
        {0, 1000, SPLIT_MODEL},        {1000, 1500, SPLIT_TOOLS}, {1500, 2500, SPLIT_MODEL},
        {2500, 2650, SPLIT_APPROVALS}, {2650, 2700, SPLIT_TOOLS}, {2700, 5000, SPLIT_PROMPT},
        {5000, 5400, SPLIT_TOOLS},     {5400, 6000, SPLIT_IDLE},  {6000, 6100, SPLIT_TOOLS}};
    size_t nwant = sizeof want / sizeof want[0];
    if (d.nclock != nwant)
        for (size_t i = 0; i < d.nclock; i++)
            fprintf(stderr, "  stretch %zu: %g..%g %s\n", i, d.clock[i].from_ms, d.clock[i].to_ms,
                    split_part_name(d.clock[i].part));
    ASSERT_EQ_INT(d.nclock, nwant);
    double sum = 0;
    for (size_t i = 0; i < nwant; i++) {
        ASSERT_EQ_DBL(d.clock[i].from_ms, want[i].from, 0);
        ASSERT_EQ_DBL(d.clock[i].to_ms, want[i].to, 0);
        ASSERT_EQ_INT(d.clock[i].part, want[i].part);
        sum += d.clock[i].to_ms - d.clock[i].from_ms;
    }
    ASSERT_EQ_DBL(sum, d.s.split.wall_ms, 0);
    ASSERT_EQ_DBL(d.s.split.ms[SPLIT_PROMPT], 2300, 0);
    ASSERT_EQ_DBL(d.s.split.ms[SPLIT_IDLE], 600, 0);
    ASSERT_EQ_DBL(d.s.split.ms[SPLIT_MODEL], 2000, 0);
    session_detail_free(&d);

    /* The list carries the agent too. */
    struct sessions l;
    struct engine_query q = all_q();
    ASSERT_EQ_INT(engine_sessions(s, &q, 10, &l, err), 0);
    ASSERT_EQ_INT(l.n, 1);
    ASSERT_STREQ(l.items[0].agent, "claude-code");
    sessions_free(&l);
    for (int i = 0; i < 4; i++)
        op_clear(&ops[i]);
    for (int i = 0; i < 2; i++) {
        request_clear(&reqs[i]);
        turn_clear(&turns[i]);
    }
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_resolve), TEST_CASE(test_newest_and_projects),
          TEST_CASE(test_session_clock))
