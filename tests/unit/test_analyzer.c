/*
 * test_analyzer.c - the recommendation rules: for each rule, data that must
 * fire it (with its evidence and impact checked against numbers worked out
 * by hand) and near misses that must not; the original's test scenario
 * gives exactly one recommendation; severity order is stable; the trend
 * rules never divide by a zero baseline.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "engine/analyzer.h"
#include "engine/engine.h"
#include "store/op.h"
#include "store/store.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

struct fx {
    char *dir;
    struct store *s;
    struct op ops[128];
    size_t n;
    size_t seq;
};

static void fx_open(struct fx *f)
{
    memset(f, 0, sizeof *f);
    f->dir = fixture_tmpdir("analyzer");
    f->s = fixture_store_open(f->dir);
}

static void fx_close(struct fx *f)
{
    for (size_t i = 0; i < f->n; i++)
        op_clear(&f->ops[i]);
    store_close(f->s);
    fixture_rm_rf(f->dir);
    free(f->dir);
}

static struct op *add(struct fx *f, const char *tool, const char *target, double dur, int64_t ts)
{
    struct op *op = &f->ops[f->n++];
    op_init(op);
    op_sets(&op->tool, tool);
    op_sets(&op->target, target);
    op->duration_ms = dur;
    op->ts_ms = ts;
    op->source = OP_SRC_HOOK;
    char id[32];
    snprintf(id, sizeof id, "toolu_a%04zu", ++f->seq);
    op_sets(&op->tool_use_id, id);
    op_sets(&op->session_id, "S");
    return op;
}

static int flush(struct fx *f)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < f->n; i++)
        if (op_normalize(&f->ops[i], NOW, err) != 0) {
            fprintf(stderr, "op %zu: %s\n", i, err);
            return -1;
        }
    struct store_result r = {0};
    int rc = store_insert(f->s, f->ops, f->n, NULL, &r, err);
    if (rc)
        fprintf(stderr, "store_insert: %s\n", err);
    for (size_t i = 0; i < f->n; i++)
        op_clear(&f->ops[i]);
    f->n = 0;
    return rc;
}

static int recommend(struct fx *f, struct recs *out, const char *tool)
{
    struct engine_query q;
    memset(&q, 0, sizeof q);
    char err[TP_ERR_MAX];
    if (engine_window_parse("24h", NULL, NULL, NOW, &q.w, err) != 0)
        return -1;
    q.tool = tool;
    return analyzer_recommend(f->s, &q, out, err);
}

static const struct rec *find_rule(const struct recs *r, const char *rule)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].rule, rule) == 0)
            return &r->items[i];
    return NULL;
}

/* Every recommendation: all strings set, no doubled spaces or stray
 * format characters in the text shown to people. */
static int check_text(const struct rec *x)
{
    const char *fields[] = {x->title, x->description, x->suggestion, x->example};
    for (size_t i = 0; i < 4; i++) {
        if (!fields[i]) {
            fprintf(stderr, "  %s: field %zu is NULL\n", x->rule, i);
            return 0;
        }
        /* Indented list lines ("\n  - ...") are the one place for two
         * spaces; examples are code and may align comments. */
        if (i < 3 && strstr(fields[i], "  ") && !strstr(fields[i], "\n  ")) {
            fprintf(stderr, "  %s: doubled space in \"%s\"\n", x->rule, fields[i]);
            return 0;
        }
    }
    return x->rule && x->type && *x->title;
}

/* The evidence targets of x, as a set to compare with. */
static int has_evidence(const struct rec *x, const char *target)
{
    for (size_t i = 0; i < x->nevidence; i++)
        if (x->evidence[i].target && strcmp(x->evidence[i].target, target) == 0)
            return 1;
    return 0;
}

/* ---- the original's scenario ------------------------------------------------ */

static void test_original_scenario_one_rec(void)
{
    struct fx f;
    fx_open(&f);
    int64_t t = NOW - 10 * 60000;
    add(&f, "Read", "test.py", 150.5, t)->optimized = 1;
    add(&f, "Read", "large_file.py", 3500, t + 1000);
    add(&f, "Grep", "pattern", 250, t + 2000)->optimized = 1;
    add(&f, "Bash", "npm install", 5500, t + 3000);
    add(&f, "Write", "output.txt", 100, t + 4000)->optimized = 1;
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 1);
    const struct rec *x = &r.items[0];
    ASSERT_STREQ(x->rule, "slow-bash");
    ASSERT_STREQ(x->type, "warning");
    ASSERT_EQ_INT(x->severity, REC_MEDIUM);
    ASSERT_STREQ(rec_severity_name(x->severity), "medium");
    ASSERT_TRUE(check_text(x));
    ASSERT_CONTAINS(x->title, "1 slow Bash command");
    ASSERT_CONTAINS(x->description, "(1 over 5 s)");
    ASSERT_EQ_INT(x->nevidence, 1);
    ASSERT_STREQ(x->evidence[0].tool, "Bash");
    ASSERT_STREQ(x->evidence[0].target, "npm install");
    ASSERT_EQ_DBL(x->evidence[0].duration_ms, 5500, 0);
    ASSERT_STREQ(x->evidence[0].session_id, "S");
    ASSERT_TRUE(x->evidence[0].tool_use_id != NULL);
    ASSERT_EQ_DBL(x->impact_time_ms, 5500, 55);
    recs_free(&r);
    fx_close(&f);
}

static void test_empty_and_unknown_filter(void)
{
    struct fx f;
    fx_open(&f);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 0);
    recs_free(&r);
    add(&f, "Bash", "npm install", 5500, NOW - 60000);
    ASSERT_EQ_INT(flush(&f), 0);
    ASSERT_EQ_INT(recommend(&f, &r, "NoSuchTool"), 0);
    ASSERT_EQ_INT(r.n, 0);
    recs_free(&r);
    ASSERT_EQ_INT(recommend(&f, &r, "Read"), 0);
    ASSERT_EQ_INT(r.n, 0);
    recs_free(&r);
    ASSERT_EQ_INT(recommend(&f, &r, "Bash"), 0);
    ASSERT_EQ_INT(r.n, 1);
    recs_free(&r);
    fx_close(&f);
}

/* ---- one rule at a time ------------------------------------------------------ */

static void test_large_read(void)
{
    struct fx f;
    fx_open(&f);
    int64_t t = NOW - HOUR;
    add(&f, "Read", "/big/a.py", 30, t)->size_bytes = 150000;
    add(&f, "Read", "/big/a.py", 30, t + 1000)->size_bytes = 150000;
    add(&f, "Read", "/big/b.py", 30, t + 2000)->size_bytes = 200000;
    /* Near misses. */
    add(&f, "Read", "/small.py", 30, t + 3000)->size_bytes = 5000;
    add(&f, "Read", "/edge.py", 30, t + 4000)->size_bytes = 100000;
    struct op *o = add(&f, "Read", "/big/paged.py", 30, t + 5000);
    o->size_bytes = 500000;
    o->optimized = 1;
    add(&f, "Read", "/unknown.py", 30, t + 6000);
    add(&f, "Write", "/big/w.py", 30, t + 7000)->size_bytes = 900000;
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    const struct rec *x = find_rule(&r, "large-read");
    ASSERT_TRUE(x != NULL);
    ASSERT_STREQ(x->type, "optimization");
    ASSERT_EQ_INT(x->severity, REC_HIGH);
    ASSERT_TRUE(check_text(x));
    ASSERT_CONTAINS(x->title, "3 large file reads");
    /* 500,000 bytes = 0.48 MB. */
    ASSERT_CONTAINS(x->description, "(0.5 MB in total)");
    /* (500,000 - 3 x 20,000) / 4 bytes per token. */
    ASSERT_EQ_INT(x->impact_tokens, 110000);
    ASSERT_EQ_INT(x->nevidence, 2); /* one per file */
    ASSERT_TRUE(has_evidence(x, "/big/a.py"));
    ASSERT_TRUE(has_evidence(x, "/big/b.py"));
    ASSERT_EQ_INT(r.n, 1);
    recs_free(&r);
    fx_close(&f);

    /* Only near misses: nothing. */
    fx_open(&f);
    add(&f, "Read", "/small.py", 30, t)->size_bytes = 5000;
    o = add(&f, "Read", "/big/paged.py", 30, t + 1);
    o->size_bytes = 5000000;
    o->optimized = 1;
    ASSERT_EQ_INT(flush(&f), 0);
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 0);
    recs_free(&r);
    fx_close(&f);
}

static void test_slow_write(void)
{
    struct fx f;
    fx_open(&f);
    add(&f, "Write", "/gen/big.json", 2500, NOW - HOUR);
    add(&f, "Write", "/gen/edge.json", 2000, NOW - HOUR + 1);
    add(&f, "Write", "/ok.txt", 1999.999, NOW - HOUR + 2);
    add(&f, "Edit", "/slow-edit.py", 9000, NOW - HOUR + 3); /* not a Write */
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 1);
    const struct rec *x = find_rule(&r, "slow-write");
    ASSERT_TRUE(x != NULL);
    ASSERT_EQ_INT(x->severity, REC_MEDIUM);
    ASSERT_STREQ(x->type, "warning");
    ASSERT_TRUE(check_text(x));
    ASSERT_CONTAINS(x->title, "2 slow file writes");
    ASSERT_EQ_INT(x->nevidence, 2);
    ASSERT_TRUE(has_evidence(x, "/gen/big.json"));
    ASSERT_TRUE(has_evidence(x, "/gen/edge.json"));
    /* The impact is the time of the 2 slow writes (the 1999.999 ms one is
     * not slow), within the sketch's 1 %. */
    double impact = x->impact_time_ms;
    recs_free(&r);
    fx_close(&f);
    ASSERT_EQ_DBL(impact, 4500, 45);
}

static void test_repeated_reads(void)
{
    struct fx f;
    fx_open(&f);
    int64_t t = NOW - 2 * HOUR;
    for (int i = 0; i < 3; i++)
        add(&f, "Read", "/src/config.ts", 30, t + i * 60000)->size_bytes = 40000;
    /* Near misses: the same file in three sessions, paging with offset,
     * two reads only. */
    for (int i = 0; i < 3; i++) {
        struct op *o = add(&f, "Read", "/src/spread.ts", 10, t + i * 60000 + 1);
        char sess[16];
        snprintf(sess, sizeof sess, "X%d", i);
        op_sets(&o->session_id, sess);
    }
    for (int i = 0; i < 4; i++)
        add(&f, "Read", "/src/paged.ts", 10, t + i * 60000 + 2)->optimized = 1;
    for (int i = 0; i < 2; i++)
        add(&f, "Read", "/src/twice.ts", 10, t + i * 60000 + 3);
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 2);
    const struct rec *x = find_rule(&r, "repeated-reads");
    ASSERT_TRUE(x != NULL);
    ASSERT_EQ_INT(x->severity, REC_HIGH);
    ASSERT_STREQ(x->type, "optimization");
    int text_ok = check_text(x); /* asserted last */
    ASSERT_STREQ(x->title, "1 file read 3+ times in one session (3 reads)");
    /* Two repeats of 40,000 bytes at 4 bytes per token. */
    ASSERT_EQ_INT(x->impact_tokens, 20000);
    ASSERT_CONTAINS(x->description, "~20000 tokens");
    ASSERT_EQ_DBL(x->impact_time_ms, 60, 1e-9);
    ASSERT_EQ_INT(x->nevidence, 1);
    ASSERT_STREQ(x->evidence[0].target, "/src/config.ts");
    ASSERT_STREQ(x->evidence[0].session_id, "S");
    ASSERT_EQ_INT(x->evidence[0].count, 3);
    const struct rec *y = find_rule(&r, "top-repeated-reads");
    ASSERT_TRUE(y != NULL);
    ASSERT_EQ_INT(y->severity, REC_LOW);
    ASSERT_STREQ(y->type, "info");
    ASSERT_STREQ(y->description,
                 "Files read most often in one session:\n  - /src/config.ts: 3 reads");
    ASSERT_TRUE(check_text(y));
    /* high before low */
    ASSERT_TRUE(x < y);
    recs_free(&r);
    fx_close(&f);
    ASSERT_TRUE(text_ok);
}

static void test_slow_bash_severity(void)
{
    static const struct {
        double dur;
        int fires;
        enum rec_severity sev;
    } cases[] = {
        {1999.999, 0, REC_LOW}, {2000, 1, REC_LOW},     {4999, 1, REC_LOW},
        {5000, 1, REC_MEDIUM},  {60000, 1, REC_MEDIUM},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct fx f;
        fx_open(&f);
        add(&f, "Bash", "make -j8", cases[i].dur, NOW - HOUR);
        ASSERT_EQ_INT(flush(&f), 0);
        struct recs r;
        ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
        const struct rec *x = find_rule(&r, "slow-bash");
        ASSERT_EQ_INT(x != NULL, cases[i].fires);
        ASSERT_EQ_INT(r.n, (size_t)cases[i].fires);
        if (x) {
            ASSERT_EQ_INT(x->severity, cases[i].sev);
            ASSERT_EQ_DBL(x->impact_time_ms, cases[i].dur, 0.01 * cases[i].dur);
            ASSERT_STREQ(x->evidence[0].target, "make -j8");
        }
        recs_free(&r);
        fx_close(&f);
    }
}

static void test_shell_dedicated_tool(void)
{
    struct fx f;
    fx_open(&f);
    add(&f, "Bash", "cat foo.txt", 10, NOW - HOUR);
    add(&f, "Bash", "cd src && grep -rn TODO .", 10, NOW - HOUR + 1000);
    /* Near misses: the original's substring matching flagged all of these. */
    add(&f, "Bash", "concatenate x", 10, NOW - HOUR + 2000);
    add(&f, "Bash", "git log | head -5", 10, NOW - HOUR + 3000);
    add(&f, "Bash", "python concat.py", 10, NOW - HOUR + 4000);
    add(&f, "Bash", "git rev-parse HEAD", 10, NOW - HOUR + 5000);
    add(&f, "Bash", "findstr x", 10, NOW - HOUR + 6000);
    add(&f, "Bash", "echo 'a | cat'", 10, NOW - HOUR + 7000);
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 1);
    const struct rec *x = find_rule(&r, "shell-dedicated-tool");
    ASSERT_TRUE(x != NULL);
    ASSERT_EQ_INT(x->severity, REC_MEDIUM);
    ASSERT_TRUE(check_text(x));
    ASSERT_CONTAINS(x->title, "2 Bash commands that have a dedicated tool");
    ASSERT_EQ_INT(x->nevidence, 2);
    ASSERT_TRUE(has_evidence(x, "cat foo.txt"));
    ASSERT_TRUE(has_evidence(x, "cd src && grep -rn TODO ."));
    ASSERT_TRUE(strstr(x->description, "(grep, cat)") || strstr(x->description, "(cat, grep)"));
    recs_free(&r);
    fx_close(&f);
}

static void test_grep_rules(void)
{
    struct fx f;
    fx_open(&f);
    add(&f, "Grep", "TODO", 100, NOW - HOUR);
    add(&f, "Grep", "FIXME", 2600, NOW - HOUR + 1000);
    add(&f, "Grep", "limited", 100, NOW - HOUR + 2000)->optimized = 1;
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 2);
    const struct rec *x = find_rule(&r, "grep-no-head-limit");
    ASSERT_TRUE(x != NULL);
    ASSERT_EQ_INT(x->severity, REC_MEDIUM);
    ASSERT_CONTAINS(x->title, "2 Grep calls without head_limit");
    ASSERT_CONTAINS(x->description, "2 of 3 Grep calls");
    ASSERT_EQ_INT(x->nevidence, 2);
    ASSERT_TRUE(has_evidence(x, "TODO") && has_evidence(x, "FIXME"));
    ASSERT_TRUE(!has_evidence(x, "limited"));
    ASSERT_TRUE(check_text(x));
    const struct rec *y = find_rule(&r, "slow-grep");
    ASSERT_TRUE(y != NULL);
    ASSERT_EQ_INT(y->severity, REC_LOW);
    ASSERT_CONTAINS(y->title, "1 slow Grep call");
    ASSERT_EQ_INT(y->nevidence, 1);
    ASSERT_STREQ(y->evidence[0].target, "FIXME");
    ASSERT_EQ_DBL(y->impact_time_ms, 2600, 26);
    ASSERT_TRUE(x < y);
    recs_free(&r);
    fx_close(&f);

    /* Every Grep with head_limit and fast: nothing. */
    fx_open(&f);
    add(&f, "Grep", "a", 100, NOW - HOUR)->optimized = 1;
    add(&f, "Grep", "b", 1999, NOW - HOUR + 1)->optimized = 1;
    ASSERT_EQ_INT(flush(&f), 0);
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    ASSERT_EQ_INT(r.n, 0);
    recs_free(&r);
    fx_close(&f);
}

/* ---- the trend rules --------------------------------------------------------- */

/* n calls of duration a early in the window, n of duration b late, one
 * per hour. */
static void trend_data(struct fx *f, int n, double a, double b)
{
    for (int i = 0; i < n; i++)
        add(f, "Edit", "/x.py", a, NOW - 23 * HOUR + i * HOUR);
    for (int i = 0; i < n; i++)
        add(f, "Edit", "/x.py", b, NOW - 10 * HOUR - 60000 + i * HOUR);
}

static void test_regression_and_improvement(void)
{
    static const struct {
        int n;
        double early, late;
        const char *rule; /* NULL: none */
        const char *pct;
        double impact;
    } cases[] = {
        {10, 100, 200, "regression", "100.0% slower", 1000},
        {10, 200, 100, "improvement", "50.0% faster", 0},
        {10, 100, 119, NULL, NULL, 0}, /* within 20 % */
        {10, 100, 81, NULL, NULL, 0},
        {9, 100, 900, NULL, NULL, 0}, /* too few calls */
        {10, 0, 500, NULL, NULL, 0},  /* zero baseline: no division */
        {10, 0, 0, NULL, NULL, 0},
        {10, 500, 0, "improvement", "100.0% faster", 0},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct fx f;
        fx_open(&f);
        trend_data(&f, cases[i].n, cases[i].early, cases[i].late);
        ASSERT_EQ_INT(flush(&f), 0);
        struct recs r;
        ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
        const struct rec *reg = find_rule(&r, "regression");
        const struct rec *imp = find_rule(&r, "improvement");
        if (!cases[i].rule) {
            if (reg || imp)
                fprintf(stderr, "  case %zu fired %s\n", i, reg ? "regression" : "improvement");
            ASSERT_TRUE(!reg && !imp);
        } else {
            const struct rec *x = find_rule(&r, cases[i].rule);
            if (!x)
                fprintf(stderr, "  case %zu did not fire %s\n", i, cases[i].rule);
            ASSERT_TRUE(x != NULL);
            ASSERT_CONTAINS(x->description, cases[i].pct);
            ASSERT_TRUE(check_text(x));
            ASSERT_EQ_INT(x->severity, reg ? REC_HIGH : REC_LOW);
            ASSERT_EQ_DBL(x->impact_time_ms, cases[i].impact, 1e-6);
            ASSERT_TRUE(!isnan(x->impact_time_ms) && !isinf(x->impact_time_ms));
        }
        recs_free(&r);
        fx_close(&f);
    }
}

/* The same regression with the early calls packed into one hour: the
 * window's halves must still hold 10 calls each. */
static void test_regression_calls_in_one_hour(void)
{
    struct fx f;
    fx_open(&f);
    for (int i = 0; i < 10; i++)
        add(&f, "Edit", "/x.py", 100, NOW - 20 * HOUR + i * 60000);
    for (int i = 0; i < 10; i++)
        add(&f, "Edit", "/x.py", 200, NOW - 2 * HOUR + i * 60000);
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    const struct rec *x = find_rule(&r, "regression");
    char desc[512] = "";
    if (x)
        snprintf(desc, sizeof desc, "%s", x->description);
    recs_free(&r);
    fx_close(&f);
    ASSERT_TRUE(x != NULL);
    ASSERT_CONTAINS(desc, "100.0% slower");
    ASSERT_CONTAINS(desc, "(10 and 10 calls)");
}

/* ---- order ----------------------------------------------------------------------- */

static void test_full_house_order(void)
{
    struct fx f;
    fx_open(&f);
    int64_t t = NOW - 20 * HOUR;
    /* Early half: fast edits; late half: slow ones -> regression (high). */
    trend_data(&f, 10, 100, 1000);
    add(&f, "Read", "/big.py", 30, t)->size_bytes = 300000; /* large-read, high */
    add(&f, "Write", "/w.json", 2500, t + 1);               /* slow-write, medium */
    for (int i = 0; i < 3; i++)
        add(&f, "Read", "/again.py", 5, t + 2 + i); /* repeated-reads */
    add(&f, "Bash", "npm ci", 6000, t + 10);        /* slow-bash, medium */
    add(&f, "Bash", "find . -name x", 5, t + 11);   /* shell tool, medium */
    add(&f, "Grep", "x", 2100, t + 12);             /* no head_limit + slow */
    ASSERT_EQ_INT(flush(&f), 0);
    struct recs r;
    ASSERT_EQ_INT(recommend(&f, &r, NULL), 0);
    static const char *const order[] = {
        "large-read",         "repeated-reads",     "regression",
        "slow-write",         "slow-bash",          "shell-dedicated-tool",
        "grep-no-head-limit", "top-repeated-reads", "slow-grep",
    };
    int bad = r.n != sizeof order / sizeof order[0], text_ok = 1;
    for (size_t i = 0; i < r.n; i++) {
        if (i < sizeof order / sizeof order[0] && strcmp(r.items[i].rule, order[i]) != 0)
            bad = 1;
        if (i)
            ASSERT_TRUE(r.items[i - 1].severity <= r.items[i].severity);
        text_ok &= check_text(&r.items[i]);
        /* Trends have no single calls to show; the top-reads listing
         * names its files in its description. */
        if (strcmp(r.items[i].rule, "regression") != 0 &&
            strcmp(r.items[i].rule, "top-repeated-reads") != 0 && r.items[i].nevidence < 1) {
            fprintf(stderr, "  %s has no evidence\n", r.items[i].rule);
            bad = 1;
        }
    }
    if (bad) {
        fprintf(stderr, "  got:");
        for (size_t i = 0; i < r.n; i++)
            fprintf(stderr, " %s", r.items[i].rule);
        fprintf(stderr, "\n");
    }
    ASSERT_EQ_INT(bad, 0);
    /* Running it again gives the same order. */
    struct recs r2;
    ASSERT_EQ_INT(recommend(&f, &r2, NULL), 0);
    ASSERT_EQ_INT(r2.n, r.n);
    for (size_t i = 0; i < r.n; i++)
        ASSERT_STREQ(r2.items[i].rule, r.items[i].rule);
    recs_free(&r2);
    recs_free(&r);
    fx_close(&f);
    ASSERT_TRUE(text_ok);
}

TEST_MAIN(TEST_CASE(test_original_scenario_one_rec), TEST_CASE(test_empty_and_unknown_filter),
          TEST_CASE(test_large_read), TEST_CASE(test_slow_write), TEST_CASE(test_repeated_reads),
          TEST_CASE(test_slow_bash_severity), TEST_CASE(test_shell_dedicated_tool),
          TEST_CASE(test_grep_rules), TEST_CASE(test_regression_and_improvement),
          TEST_CASE(test_regression_calls_in_one_hour), TEST_CASE(test_full_house_order))
