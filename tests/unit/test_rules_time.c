/*
 * test_rules_time.c - recommendations on where the time goes: the
 * approvals you answer most (and the rules that would spare them), slow MCP
 * servers and their lost calls, and a slow-looking Write whose time was a
 * wait, which must not be called slow: made up here, and as the old
 * transcript layout has it (tests/data/legacy, Claude Code 1.0.17), read
 * back through every question that ranks calls by their time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonin.h"
#include "core/jsonw.h"
#include "engine/analyzer.h"
#include "engine/question.h"
#include "fixture.h"
#include "ingest/importer.h"

#define NOW 1795170645000LL

struct fx {
    char *dir;
    struct store *s;
    struct op ops[256];
    size_t n;
};

static struct op *add(struct fx *f, const char *tool, const char *target, double exec,
                      int64_t ago_ms)
{
    struct op *op = &f->ops[f->n++];
    op_init(op);
    op_sets(&op->tool, tool);
    op_sets(&op->target, target);
    op_sets(&op->session_id, "s1");
    op_sets(&op->project, "/p");
    char id[32];
    snprintf(id, sizeof id, "toolu_t%04zu", f->n);
    op_sets(&op->tool_use_id, id);
    op->ts_ms = NOW - ago_ms;
    op->duration_ms = exec;
    op->source = OP_SRC_HOOK;
    return op;
}

/* A call that waited wait_ms for its prompt. */
static struct op *prompted(struct fx *f, const char *tool, const char *target, double wait_ms,
                           int64_t ago_ms)
{
    struct op *op = add(f, tool, target, 50, ago_ms);
    op->ask = OP_ASK_ASKED;
    op_set_phase(op, OP_PH_WAIT, wait_ms, OP_EX_DERIVED, PHS_HOOK);
    op_set_phase(op, OP_PH_WALL, wait_ms + 50, OP_EX_DERIVED, PHS_HOOK);
    return op;
}

static int store_all(struct fx *f)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < f->n; i++)
        if (op_normalize(&f->ops[i], NOW, err) != 0) {
            fprintf(stderr, "  op %zu: %s\n", i, err);
            return -1;
        }
    struct store_result r;
    int rc = store_insert(f->s, f->ops, f->n, NULL, &r, err);
    for (size_t i = 0; i < f->n; i++)
        op_clear(&f->ops[i]);
    f->n = 0;
    return rc;
}

static const struct rec *find_rule(const struct recs *r, const char *rule)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].rule, rule) == 0)
            return &r->items[i];
    return NULL;
}

static int recommend(struct fx *f, struct recs *out)
{
    struct engine_query q;
    char err[TP_ERR_MAX];
    memset(&q, 0, sizeof q);
    if (engine_window_parse("24h", NULL, NULL, NOW, &q.w, err) != 0)
        return -1;
    return analyzer_recommend(f->s, &q, out, err);
}

static void test_approvals(void)
{
    struct fx f = {fixture_tmpdir("rules"), NULL, {{0}}, 0};
    f.s = fixture_store_open(f.dir);
    ASSERT_TRUE(f.s != NULL);
    /* npm test approved 4 times (20 s), edits under src/ 3 times (9 s),
     * one WebFetch (1 s: a single prompt is no pattern), and rm -rf twice
     * (8 s: never proposed). */
    for (int i = 0; i < 4; i++)
        prompted(&f, "Bash", i % 2 ? "npm test" : "npm test -- --watch", 5000, 60000 * (i + 1));
    prompted(&f, "Edit", "/p/src/a.py", 3000, 300000);
    prompted(&f, "Write", "/p/src/b/c.py", 3000, 310000);
    prompted(&f, "Edit", "/p/src/a.py", 3000, 320000);
    prompted(&f, "WebFetch", "https://docs.python.org/3/", 1000, 330000);
    prompted(&f, "Bash", "rm -rf build", 4000, 340000);
    prompted(&f, "Bash", "rm -rf dist", 4000, 350000);
    add(&f, "Read", "/p/src/a.py", 20, 360000); /* never asks */
    ASSERT_EQ_INT(store_all(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r), 0);
    const struct rec *x = find_rule(&r, "approvals");
    ASSERT_TRUE(x != NULL);
    ASSERT_STREQ(x->title, "10 permission prompts answered (38.0 s of waiting)");
    ASSERT_EQ_INT(x->nevidence, 2);
    ASSERT_STREQ(x->evidence[0].target, "Bash(npm test:*)");
    ASSERT_EQ_INT(x->evidence[0].count, 4);
    ASSERT_EQ_DBL(x->evidence[0].duration_ms, 20000, 1e-6);
    ASSERT_STREQ(x->evidence[1].target, "Edit(src/**)");
    ASSERT_EQ_INT(x->evidence[1].count, 3);
    ASSERT_EQ_DBL(x->impact_time_ms, 29000, 1e-6);
    ASSERT_STREQ(x->example,
                 "{\"permissions\": {\"allow\": [\"Bash(npm test:*)\", \"Edit(src/**)\"]}}");
    ASSERT_CONTAINS(x->description, "delete, publish, escalate");
    ASSERT_TRUE(strstr(x->suggestion, "rm -rf") == NULL && strstr(x->example, "Bash(rm") == NULL);
    recs_free(&r);
    store_close(f.s);
    fixture_rm_rf(f.dir);
    free(f.dir);
}

/* The rule needs three prompts in the window; the count the analyzer
 * checks first (from the rollups, to skip ranking every target of a
 * window without them) must count what the ranking counts, including a
 * call stamped ahead of our clock later today, which a window that ends now
 * holds. */
static void test_approvals_threshold(void)
{
    struct fx f = {fixture_tmpdir("rules"), NULL, {{0}}, 0};
    f.s = fixture_store_open(f.dir);
    ASSERT_TRUE(f.s != NULL);
    prompted(&f, "Bash", "npm test", 5000, 60000);
    prompted(&f, "Bash", "npm test", 5000, 120000);
    add(&f, "Read", "/p/a.py", 20, 180000);
    ASSERT_EQ_INT(store_all(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r), 0);
    ASSERT_TRUE(find_rule(&r, "approvals") == NULL); /* two prompts */
    recs_free(&r);
    /* A third, two hours ahead (10:30 now: the same UTC day, another
     * hour). */
    prompted(&f, "Bash", "npm test", 5000, -2 * 3600000LL);
    ASSERT_EQ_INT(store_all(&f), 0);
    ASSERT_EQ_INT(recommend(&f, &r), 0);
    const struct rec *x = find_rule(&r, "approvals");
    ASSERT_TRUE(x != NULL);
    ASSERT_STREQ(x->title, "3 permission prompts answered (15.0 s of waiting)");
    recs_free(&r);
    store_close(f.s);
    fixture_rm_rf(f.dir);
    free(f.dir);
}

static void test_waits_are_not_slow(void)
{
    /* A Write whose 21.6 s were the person reading the prompt: its exec
     * is 40 ms; nothing calls it slow. */
    struct fx f = {fixture_tmpdir("rules"), NULL, {{0}}, 0};
    f.s = fixture_store_open(f.dir);
    for (int i = 0; i < 9; i++) {
        struct op *op = prompted(&f, "Write", "/p/requirements.txt", 21600, 60000 * (i + 1));
        op->duration_ms = 40;
    }
    ASSERT_EQ_INT(store_all(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r), 0);
    ASSERT_TRUE(find_rule(&r, "slow-write") == NULL);
    const struct rec *x = find_rule(&r, "approvals");
    ASSERT_TRUE(x != NULL);
    ASSERT_STREQ(x->evidence[0].target, "Edit(requirements.txt)");
    recs_free(&r);
    store_close(f.s);
    fixture_rm_rf(f.dir);
    free(f.dir);
}

/* The --json answer of question `name` over the store, at `now_ms`, with
 * its inputs (name/value pairs, NULL-ended); NULL (reason on stderr) when
 * it fails. */
static cJSON *ask(struct store *s, const char *name, int64_t now_ms, const char *const *in)
{
    const struct question *qn = question_find(name);
    struct question_input v[8];
    size_t n = 0;
    char err[TP_ERR_MAX];
    for (; in && in[2 * n] && n < 8; n++)
        v[n] = (struct question_input){in[2 * n], in[2 * n + 1]};
    struct question_args a;
    void *answer = NULL;
    if (!qn || question_parse(qn, v, n, now_ms, &a, err) != 0 ||
        qn->run(s, &a, &answer, err) != 0) {
        fprintf(stderr, "  %s: %s\n", name, qn ? err : "no such question");
        return NULL;
    }
    struct buf b;
    struct jsonw w;
    buf_init(&b, 1 << 24);
    jw_init(&w, &b);
    qn->render(&w, answer);
    qn->free_answer(answer);
    cJSON *j = jw_finish(&w) == 0 ? jin_parse(b.data, b.len, JIN_STRICT, 64, err) : NULL;
    if (!j)
        fprintf(stderr, "  %s: the answer is not JSON\n", name);
    buf_free(&b);
    return j;
}

/* Does the tree hold an object whose tool_use_id is one of ids? */
static int mentions(const cJSON *j, const char *const *ids)
{
    if (!j)
        return 0;
    const char *id = cJSON_IsObject(j) ? jin_str(j, "tool_use_id") : NULL;
    for (size_t i = 0; id && ids[i]; i++)
        if (strcmp(id, ids[i]) == 0)
            return 1;
    const cJSON *c;
    cJSON_ArrayForEach(c, j)
    {
        if (mentions(c, ids))
            return 1;
    }
    return 0;
}

/* The old layout (Claude Code 1.0.x: no turn_duration, no
 * permissionDecision, tools started after the whole response): the walls
 * of the Writes, Edits, the MultiEdit and the Bash calls hold the person
 * reading their prompts, in amounts nothing in the file tells. None of
 * them is slow execution anywhere; their time is under the session's
 * unsplit wall ("may include approval"), the rejected Edit's under its
 * approvals. The figures are those tests/data/reference.py prints
 * ("waits") and legacy/make_legacy.py tells. */
static void test_old_layout_waits_are_not_slow(void)
{
    static const char *const waited[] = {
        "toolu_01V0Bash1cccccccccccccc", "toolu_01V0Write1ccccccccccccc",
        "toolu_01V0Edit1cccccccccccccc", "toolu_01V0Write2ccccccccccccc",
        "toolu_01V0MultiEdit1ccccccccc", "toolu_01V0Bash2cccccccccccccc",
        "toolu_01V0Edit2cccccccccccccc", NULL};
    static const struct {
        const char *tool, *target;
        double unsplit_ms, wait_ms;
    } spots[] = {
        {"Write", "/home/dev/shop/requirements.txt", 21600, 0},
        {"Write", "/home/dev/shop/README.md", 52000, 0},
        {"Edit", "/home/dev/shop/scraper.py", 9400, 4200},
        {"MultiEdit", "/home/dev/shop/scraper.py", 14250, 0},
        {"Bash", "echo $CONDA_DEFAULT_ENV", 3650, 0},
        {"Bash", "python scraper.py --once", 7500, 0},
    };
    const int64_t now = 1749722400000LL; /* 2025-06-12T10:00:00Z, an hour after */
    char *dir = fixture_tmpdir("rules");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    char path[PATH_MAX], err[TP_ERR_MAX];
    FIXTURE_DATA_PATH(path, FIXTURE_V1017_SESSION);
    struct importer_opts o;
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    struct importer_stats st = {0};
    const char *paths[] = {path};
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, err), 0);
    const char *const all[] = {"window", "all", NULL};

    /* slow: nothing, even with no threshold but the calls' own execution. */
    const char *const any[] = {"window", "all", "threshold", "0", NULL};
    cJSON *j = ask(s, "slow", now, any);
    ASSERT_TRUE(cJSON_IsArray(j));
    ASSERT_EQ_INT(cJSON_GetArraySize(j), 2); /* the Read and the Grep */
    ASSERT_TRUE(!mentions(j, waited));
    cJSON_Delete(j);
    j = ask(s, "slow", now, all);
    ASSERT_TRUE(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 0);
    cJSON_Delete(j);

    /* bottlenecks: the tools whose calls have an execution, only. */
    j = ask(s, "bottlenecks", now, all);
    ASSERT_TRUE(cJSON_IsObject(j));
    ASSERT_EQ_INT(cJSON_GetArraySize(j), 2);
    ASSERT_TRUE(jin_get(j, "Read") && jin_get(j, "Grep"));
    ASSERT_TRUE(!mentions(j, waited));
    cJSON_Delete(j);

    /* hotspots: the waited-on calls take no execution time; their walls
     * are unsplit, the rejection a wait. */
    j = ask(s, "hotspots", now, all);
    ASSERT_TRUE(cJSON_IsArray(j));
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        const cJSON *row = NULL, *r;
        cJSON_ArrayForEach(r, j)
        {
            const char *t = jin_str(r, "tool"), *g = jin_str(r, "target");
            if (t && g && strcmp(t, spots[i].tool) == 0 && strcmp(g, spots[i].target) == 0)
                row = r;
        }
        if (!row)
            FAIL_("hotspots: no row for %s %s", spots[i].tool, spots[i].target);
        double total = -1, unsplit = -1, wait = -1;
        jin_num(row, "total_ms", &total);
        jin_num(row, "unsplit_wall_ms", &unsplit);
        jin_num(row, "approval_wait_ms", &wait);
        ASSERT_EQ_DBL(total, 0, 0);
        ASSERT_EQ_DBL(unsplit, spots[i].unsplit_ms, 0);
        ASSERT_EQ_DBL(wait, spots[i].wait_ms, 0);
    }
    cJSON_Delete(j);

    /* recommend: no slow writes, no slow commands, nothing about them. */
    j = ask(s, "recommend", now, all);
    ASSERT_TRUE(cJSON_IsArray(j));
    const cJSON *r;
    cJSON_ArrayForEach(r, j)
    {
        const char *rule = jin_str(r, "rule");
        if (!rule || strstr(rule, "slow") || mentions(jin_get(r, "evidence"), waited))
            FAIL_("recommend: %s", rule ? rule : "(a recommendation without a rule)");
    }
    cJSON_Delete(j);

    /* The session: 108.4 s unsplit, 4.2 s of approvals, 155 ms of tools,
     * from the first call's start to the rejected Edit's answer. */
    j = ask(s, "sessions", now, all);
    ASSERT_TRUE(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 1);
    const cJSON *item = cJSON_GetArrayItem(j, 0), *time = jin_get(item, "time");
    double v = -1;
    ASSERT_STREQ(jin_str(item, "id"), FIXTURE_V1017_SESSION_ID);
    ASSERT_TRUE(jin_num(time, "unsplit_ms", &v) == 1 && v == 108400);
    ASSERT_TRUE(jin_num(time, "approvals_ms", &v) == 1 && v == 4200);
    ASSERT_TRUE(jin_num(time, "tools_ms", &v) == 1 && v == 155);
    ASSERT_TRUE(jin_num(item, "start_ms", &v) == 1 && v == 1749718802400.0);
    ASSERT_TRUE(jin_num(item, "end_ms", &v) == 1);
    ASSERT_EQ_DBL(v, 1749719116200.0, 0);
    cJSON_Delete(j);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_mcp_server(void)
{
    struct fx f = {fixture_tmpdir("rules"), NULL, {{0}}, 0};
    f.s = fixture_store_open(f.dir);
    /* 20 calls to a slow server (p95 6 s), two never returned; a fast
     * server is not mentioned. */
    for (int i = 0; i < 20; i++)
        add(&f, "mcp__jira__search", "q", i < 18 ? 900 : 6000, 10000 * (i + 1));
    for (int i = 0; i < 2; i++) {
        struct op *op = add(&f, "mcp__jira__get", "ISSUE-1", NAN, 500000 + 1000 * i);
        op->success = 0;
        op_sets(&op->error, "no result (interrupted, or the session ended)");
    }
    for (int i = 0; i < 10; i++)
        add(&f, "mcp__fs__read", "x", 30, 600000 + 1000 * i);
    /* One more that never returned, stamped ten minutes ahead of our clock
     * (the current hour): a call of the window as the aggregates are read
     * to the end of the hour, but not one that "never returned" in it (the
     * count is of the window's rows, as a scan of them gives it). */
    struct op *ahead = add(&f, "mcp__jira__get", "ISSUE-2", NAN, -600000);
    ahead->success = 0;
    op_sets(&ahead->error, "interrupted");
    ASSERT_EQ_INT(store_all(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r), 0);
    const struct rec *x = find_rule(&r, "mcp-server");
    ASSERT_TRUE(x != NULL);
    /* p95 of 20 timed calls is the 19th slowest, 6000 ms; from the sketch
     * within its 1 %: 5.9 s or 6.0 s as printed. */
    ASSERT_TRUE(strcmp(x->title, "MCP server jira: p95 6.0 s, calls that never returned") == 0 ||
                strcmp(x->title, "MCP server jira: p95 5.9 s, calls that never returned") == 0);
    ASSERT_CONTAINS(x->description, "23 calls");
    ASSERT_CONTAINS(x->description, "2 never returned");
    ASSERT_EQ_INT(x->severity, REC_HIGH);
    int others = 0;
    for (size_t i = 0; i < r.n; i++)
        others += strcmp(r.items[i].rule, "mcp-server") == 0;
    ASSERT_EQ_INT(others, 1);
    recs_free(&r);
    store_close(f.s);
    fixture_rm_rf(f.dir);
    free(f.dir);
}

TEST_MAIN(TEST_CASE(test_approvals), TEST_CASE(test_approvals_threshold),
          TEST_CASE(test_waits_are_not_slow), TEST_CASE(test_old_layout_waits_are_not_slow),
          TEST_CASE(test_mcp_server))
