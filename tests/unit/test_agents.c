/*
 * test_agents.c - calls of several coding agents in one store: the agent
 * and canonical filters and the by=tool|agent|canonical rows of stats,
 * checked against a brute-force count over the same calls, whose agent and
 * canonical name the test writes down itself (not through taxonomy.c).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "engine/engine.h"
#include "engine/render.h"
#include "store/op.h"
#include "store/store.h"
#include "store/taxonomy.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

/* The kinds of call the test makes: tool, agent (NULL: Claude Code, the
 * default), and the canonical name it must get. */
static const struct kind {
    const char *tool, *agent, *canonical;
} kinds[] = {
    {"Bash", NULL, "shell"},
    {"Read", NULL, "read"},
    {"mcp__github__create_issue", NULL, "mcp:github/create_issue"},
    {"exec_command", "codex", "shell"},
    {"apply_patch", "codex", "edit"},
    {"read_file", "codex", "read"},
    {"run_shell_command", "gemini-cli", "shell"},
    {"read_file", "gemini-cli", "read"},
    {"bash", "opencode", "shell"},
    {"read", "opencode", "read"},
    {"my_tool", "opencode", "my_tool"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])
#define NOPS 600

struct call {
    size_t kind;
    double ms; /* NAN: not timed */
    int64_t ts;
};

static struct call calls[NOPS];

static void store_calls(struct store *s)
{
    struct fixture_rng rng = {0x5eed1234ULL};
    struct op *ops = xcalloc(NOPS, sizeof *ops);
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < NOPS; i++) {
        struct call *c = &calls[i];
        c->kind = (size_t)(fixture_rand(&rng) % NKINDS);
        c->ms = fixture_rand(&rng) % 9 == 0 ? NAN : (double)(fixture_rand(&rng) % 500000) / 100.0;
        /* Three days back, minutes apart: whole hours come from the
         * rollups, the window's edges from the rows. */
        c->ts = NOW - 3 * DAY + (int64_t)(fixture_rand(&rng) % (3 * DAY));
        struct op *op = &ops[i];
        op_init(op);
        op_sets(&op->tool, kinds[c->kind].tool);
        op_sets(&op->agent, kinds[c->kind].agent);
        op->duration_ms = c->ms;
        op->ts_ms = c->ts;
        char id[32];
        snprintf(id, sizeof id, "call_%04zu", i);
        op_sets(&op->tool_use_id, id);
        op->source = OP_SRC_TRANSCRIPT;
        ASSERT_EQ_INT(op_normalize(op, NOW, err), 0);
    }
    struct store_result r = {0};
    ASSERT_EQ_INT(store_insert(s, ops, NOPS, NULL, &r, err), 0);
    for (size_t i = 0; i < NOPS; i++)
        op_clear(&ops[i]);
    free(ops);
}

static const char *agent_of(size_t k)
{
    return kinds[k].agent ? kinds[k].agent : "claude-code";
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The expected row of a group: calls, timed, sum, p95 (nearest rank). */
struct expect {
    uint64_t n, timed;
    double sum, p95;
};

static int kind_matches(size_t k, const struct engine_query *q)
{
    return (!q->tool || strcmp(kinds[k].tool, q->tool) == 0) &&
           (!q->agent || strcmp(agent_of(k), q->agent) == 0) &&
           (!q->canonical || strcmp(kinds[k].canonical, q->canonical) == 0);
}

/* The group of kind k under by: its name as the row shows it, and its agent. */
static void group_of(size_t k, enum engine_by by, const char **name, const char **agent)
{
    *name = by == BY_AGENT ? agent_of(k) : by == BY_CANONICAL ? kinds[k].canonical : kinds[k].tool;
    *agent = by == BY_CANONICAL ? NULL : agent_of(k);
}

static struct expect expect_for(const struct engine_query *q, const char *name, const char *agent)
{
    struct expect e = {0, 0, 0, 0};
    double *v = xcalloc(NOPS, sizeof *v);
    for (size_t i = 0; i < NOPS; i++) {
        const struct call *c = &calls[i];
        const char *gn, *ga;
        group_of(c->kind, q->by, &gn, &ga);
        if (c->ts < q->w.since_ms || c->ts >= q->w.until_ms || !kind_matches(c->kind, q) ||
            (name && strcmp(gn, name) != 0) || (name && ga && strcmp(ga, agent) != 0))
            continue;
        e.n++;
        if (!isnan(c->ms)) {
            v[e.timed++] = c->ms;
            e.sum += c->ms;
        }
    }
    qsort(v, e.timed, sizeof *v, cmp_dbl);
    if (e.timed) {
        size_t r = (size_t)ceil(0.95 * (double)e.timed);
        e.p95 = v[(r < 1 ? 1 : r) - 1];
    }
    free(v);
    return e;
}

static void check_stats(struct store *s, struct engine_query *q)
{
    struct stats st;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_stats(s, q, &st, err), 0);
    struct expect all = expect_for(q, NULL, NULL);
    ASSERT_EQ_INT(st.total, all.n);
    ASSERT_EQ_INT(st.timed, all.timed);
    ASSERT_EQ_DBL(st.total_ms, all.sum, 1e-6);
    ASSERT_EQ_DBL(st.p95_ms, all.p95, 0);
    uint64_t rows_n = 0;
    for (size_t i = 0; i < st.ntools; i++) {
        const struct tool_stats *t = &st.tools[i];
        struct expect e = expect_for(q, t->tool, t->agent);
        if (t->count != e.n)
            printf("  row %s (%s): %llu calls, expected %llu\n", t->tool, t->agent ? t->agent : "-",
                   (unsigned long long)t->count, (unsigned long long)e.n);
        ASSERT_EQ_INT(t->count, e.n);
        ASSERT_EQ_INT(t->timed, e.timed);
        ASSERT_EQ_DBL(t->total_ms, e.sum, 1e-6);
        ASSERT_EQ_DBL(t->p95_ms, e.p95, 0);
        ASSERT_EQ_INT(t->agent == NULL, q->by == BY_CANONICAL);
        ASSERT_EQ_INT(t->canonical == NULL, q->by == BY_AGENT);
        rows_n += t->count;
    }
    ASSERT_EQ_INT(rows_n, all.n); /* every call in exactly one row */
    stats_free(&st);
}

static void test_filters_and_groups(void)
{
    char *dir = fixture_tmpdir("agents");
    struct store *s = fixture_store_open(dir);
    store_calls(s);
    struct {
        const char *tool, *agent, *canonical;
    } filters[] = {
        {NULL, NULL, NULL},          {NULL, "codex", NULL},
        {NULL, NULL, "shell"},       {NULL, "opencode", "read"},
        {"read_file", NULL, NULL},   {"read_file", "codex", NULL},
        {NULL, "claude-code", NULL}, {NULL, NULL, "mcp:github/create_issue"},
        {"Bash", "codex", NULL}, /* nothing */
    };
    /* A window over whole days (rollups) and one with edges inside hours. */
    int64_t windows[][2] = {{NOW - 4 * DAY, NOW + 1},
                            {NOW - 2 * DAY - 1234567, NOW - 7 * HOUR - 89}};
    for (size_t w = 0; w < 2; w++)
        for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
            for (int by = BY_TOOL; by <= BY_CANONICAL; by++) {
                struct engine_query q;
                memset(&q, 0, sizeof q);
                snprintf(q.w.name, sizeof q.w.name, "custom");
                q.w.since_ms = windows[w][0];
                q.w.until_ms = windows[w][1];
                q.tool = filters[i].tool;
                q.agent = filters[i].agent;
                q.canonical = filters[i].canonical;
                q.by = (enum engine_by)by;
                check_stats(s, &q);
            }
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* Lists carry each call's agent; tools_breakdown keeps two agents' tools
 * of one name apart. */
static void test_lists_and_labels(void)
{
    char *dir = fixture_tmpdir("agents");
    struct store *s = fixture_store_open(dir);
    store_calls(s);
    struct engine_query q;
    memset(&q, 0, sizeof q);
    q.w.since_ms = NOW - 4 * DAY;
    q.w.until_ms = NOW + 1;
    q.canonical = "read";
    struct op_list l;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_slow(s, &q, 0, TP_MAX_LIMIT, &l, err), 0);
    size_t want = 0;
    for (size_t i = 0; i < NOPS; i++)
        want += strcmp(kinds[calls[i].kind].canonical, "read") == 0 && !isnan(calls[i].ms);
    ASSERT_EQ_INT(l.n, want);
    for (size_t i = 0; i < l.n; i++) {
        const struct op *op = &l.items[i].op;
        int found = 0;
        for (size_t k = 0; k < NKINDS; k++)
            if (strcmp(kinds[k].canonical, "read") == 0 && strcmp(kinds[k].tool, op->tool) == 0 &&
                strcmp(agent_of(k), op->agent ? op->agent : "claude-code") == 0)
                found = 1;
        ASSERT_TRUE(found);
    }
    op_list_free(&l);

    q.canonical = NULL;
    struct stats st;
    ASSERT_EQ_INT(engine_stats(s, &q, &st, err), 0);
    struct buf b;
    struct jsonw w;
    buf_init(&b, TP_MAX_RESPONSE);
    jw_init(&w, &b);
    render_stats(&w, &st, NULL, NULL);
    char *json = strndup(b.data, b.len);
    ASSERT_TRUE(strstr(json, "\"read_file (codex)\":") != NULL);
    ASSERT_TRUE(strstr(json, "\"read_file (gemini-cli)\":") != NULL);
    ASSERT_TRUE(strstr(json, "\"Bash\":") != NULL);
    ASSERT_TRUE(strstr(json, "\"agent\":\"codex\",\"canonical\":\"edit\"") != NULL);
    free(json);
    buf_free(&b);
    stats_free(&st);

    struct hotspots h;
    q.agent = "gemini-cli";
    ASSERT_EQ_INT(engine_hotspots(s, &q, 100, &h, err), 0);
    ASSERT_TRUE(h.n == 2);
    for (size_t i = 0; i < h.n; i++)
        ASSERT_STREQ(h.items[i].agent, "gemini-cli");
    hotspots_free(&h);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* The table's names, one by one; names it does not know keep their own. */
static void test_taxonomy(void)
{
    char out[64];
    ASSERT_STREQ(taxonomy_canonical(NULL, "Grep", out, sizeof out), "search");
    ASSERT_STREQ(taxonomy_canonical("claude-code", "Glob", out, sizeof out), "list");
    ASSERT_STREQ(taxonomy_canonical("codex", "shell", out, sizeof out), "shell");
    ASSERT_STREQ(taxonomy_canonical("gemini-cli", "replace", out, sizeof out), "edit");
    ASSERT_STREQ(taxonomy_canonical("opencode", "webfetch", out, sizeof out), "web_fetch");
    /* read_file is Codex's and Gemini's, not Claude Code's. */
    ASSERT_STREQ(taxonomy_canonical(NULL, "read_file", out, sizeof out), "read_file");
    ASSERT_STREQ(taxonomy_canonical("codex", "mcp__fs__read", out, sizeof out), "mcp:fs/read");
    ASSERT_STREQ(taxonomy_canonical(NULL, "mcp__broken", out, sizeof out), "mcp__broken");
    ASSERT_STREQ(taxonomy_canonical("opencode", "MyTool", out, sizeof out), "mytool");
    /* Cut to the buffer, never past it. */
    char small[4];
    ASSERT_STREQ(taxonomy_canonical("opencode", "MyTool", small, sizeof small), "myt");
}

/* docs/agents.md lists the table's entries, all of them, in its order. */
struct doc_walk {
    const char *p; /* the next row of the document's table */
    int rows, bad;
};

static void doc_row(void *ctx, const char *agent, const char *tool, const char *canonical)
{
    struct doc_walk *d = ctx;
    char want[256];
    snprintf(want, sizeof want, "| `%s` | `%s` | `%s` |\n", agent, tool, canonical);
    if (!d->p || strncmp(d->p, want, strlen(want)) != 0) {
        printf("  docs/agents.md: expected the row %s", want);
        d->bad++;
        d->p = NULL;
        return;
    }
    d->p += strlen(want);
    d->rows++;
}

static void test_doc_matches_table(void)
{
    size_t len;
    char *doc = fixture_read("docs/agents.md", &len);
    ASSERT_TRUE(doc != NULL);
    const char *head = "| agent | tool | canonical |\n|---|---|---|\n";
    const char *t = strstr(doc, head);
    ASSERT_TRUE(t != NULL);
    struct doc_walk d = {t + strlen(head), 0, 0};
    taxonomy_each(doc_row, &d);
    ASSERT_EQ_INT(d.bad, 0);
    ASSERT_TRUE(d.rows > 50);
    ASSERT_TRUE(d.p && *d.p != '|'); /* no row the table does not have */
    free(doc);
}

/* An agent's name is checked; the default agent is stored as none. */
static void test_agent_names(void)
{
    const char *bad[] = {"", "Codex", "codex cli", "a/b", "0123456789012345678901234567890123"};
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct op op;
        op_init(&op);
        op_sets(&op.tool, "shell");
        op_sets(&op.agent, bad[i]);
        op.ts_ms = NOW;
        op.duration_ms = 1;
        ASSERT_EQ_INT(op_normalize(&op, NOW, err), TP_EINVAL);
        op_clear(&op);
    }
    struct op op;
    op_init(&op);
    op_sets(&op.tool, "Bash");
    op_sets(&op.agent, "claude-code");
    op.ts_ms = NOW;
    op.duration_ms = 1;
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    ASSERT_TRUE(op.agent == NULL);
    op_clear(&op);
    char key[64];
    const char *agent;
    ASSERT_STREQ(op_tool_key("shell", "codex", key, sizeof key), "shell\x1f"
                                                                 "codex");
    ASSERT_EQ_INT(op_tool_split(key, &agent), 5);
    ASSERT_STREQ(agent, "codex");
    ASSERT_STREQ(op_tool_key("Bash", NULL, key, sizeof key), "Bash");
    ASSERT_EQ_INT(op_tool_split(key, &agent), 4);
    ASSERT_STREQ(agent, "claude-code");
    ASSERT_TRUE(op_tool_key("shell", "codex", key, 8) == NULL);
}

TEST_MAIN(TEST_CASE(test_filters_and_groups), TEST_CASE(test_lists_and_labels),
          TEST_CASE(test_taxonomy), TEST_CASE(test_doc_matches_table), TEST_CASE(test_agent_names))
