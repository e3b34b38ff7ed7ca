/*
 * test_engine.c - the questions, answered from a real store and checked
 * against values computed by hand or by brute force over the same
 * operations: windows, stats (the original's test scenario, exact and
 * sketch percentiles, filters, windows not aligned to hours), slow
 * operations, bottlenecks, hotspots, and trends over local days in
 * Asia/Kolkata (+05:30), Asia/Kathmandu (+05:45) and America/New_York.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "engine/engine.h"
#include "store/op.h"
#include "store/store.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

/* ---- helpers ------------------------------------------------------------------ */

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static struct fixture_rng rng = {88172645463325252ULL};
static uint64_t rnd(void)
{
    return fixture_rand(&rng);
}

/* The operations a test stores, kept for brute-force answers. */
struct fx {
    char *dir;
    struct store *s;
    struct op *ops;
    size_t n, alloc;
    int64_t now;
};

static void fx_open(struct fx *f)
{
    memset(f, 0, sizeof *f);
    f->now = NOW;
    f->dir = fixture_tmpdir("engine");
    f->s = fixture_store_open(f->dir);
}

static void fx_close(struct fx *f)
{
    for (size_t i = 0; i < f->n; i++)
        op_clear(&f->ops[i]);
    free(f->ops);
    store_close(f->s);
    fixture_rm_rf(f->dir);
    free(f->dir);
}

/* Add an op (normalized) to the pending list; fx_flush() stores them. */
static struct op *fx_add(struct fx *f, const char *tool, const char *target, double dur, int64_t ts)
{
    if (f->n == f->alloc) {
        f->alloc = f->alloc ? f->alloc * 2 : 64;
        f->ops = xreallocarray(f->ops, f->alloc, sizeof *f->ops);
    }
    struct op *op = &f->ops[f->n++];
    op_init(op);
    op_sets(&op->tool, tool);
    op_sets(&op->target, target);
    op->duration_ms = dur;
    op->ts_ms = ts;
    char id[32];
    snprintf(id, sizeof id, "toolu_e%06zu", f->n);
    op_sets(&op->tool_use_id, id);
    op->source = OP_SRC_HOOK;
    return op;
}

static int fx_flush(struct fx *f)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < f->n; i++)
        if (op_normalize(&f->ops[i], f->now, err) != 0) {
            fprintf(stderr, "op %zu: %s\n", i, err);
            return -1;
        }
    struct store_result r = {0};
    if (store_insert(f->s, f->ops, f->n, NULL, &r, err) != 0) {
        fprintf(stderr, "store_insert: %s\n", err);
        return -1;
    }
    return 0;
}

static struct engine_query window_q(int64_t since, int64_t until)
{
    struct engine_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.w.name, sizeof q.w.name, "custom");
    q.w.since_ms = since;
    q.w.until_ms = until;
    return q;
}

static const char *fmt_dbl(double v)
{
    static char buf[4][32];
    static int k;
    k = (k + 1) % 4;
    jw_format_double(buf[k], v);
    return buf[k];
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double nearest_rank(const double *sorted, size_t n, double p)
{
    if (!n)
        return 0;
    size_t k = (size_t)ceil(p * (double)n);
    if (k < 1)
        k = 1;
    return sorted[(k > n ? n : k) - 1];
}

/* ---- windows --------------------------------------------------------------------- */

static void test_window_parse(void)
{
    set_tz("UTC");
    static const struct {
        const char *window;
        int64_t since; /* relative to NOW */
        const char *name;
    } ok[] = {
        {NULL, -24 * HOUR, "24h"},  {"", -24 * HOUR, "24h"},         {"24h", -24 * HOUR, "24h"},
        {"7d", -7 * DAY, "7d"},     {"30d", -30 * DAY, "30d"},       {"1h", -HOUR, "1h"},
        {"36h", -36 * HOUR, "36h"}, {"3660d", -3660 * DAY, "3660d"},
    };
    FOR_EACH_ROW(i, sizeof ok / sizeof ok[0])
    {
        struct engine_window w;
        char err[TP_ERR_MAX] = "";
        ASSERT_EQ_INT(engine_window_parse(ok[i].window, NULL, NULL, NOW, &w, err), 0);
        ASSERT_EQ_INT(w.since_ms, NOW + ok[i].since);
        ASSERT_EQ_INT(w.until_ms, NOW + 1);
        ASSERT_EQ_INT(w.open_end, 1);
        ASSERT_STREQ(w.name, ok[i].name);
    }
    struct engine_window w;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_window_parse("all", NULL, NULL, NOW, &w, err), 0);
    ASSERT_EQ_INT(w.since_ms, TP_MIN_TS_MS);
    ASSERT_EQ_INT(w.until_ms, NOW + 1);
    ASSERT_STREQ(w.name, "all");

    static const char *const bad[] = {
        "3661d", "0h",  "0d",   "-1d",  "1.5d",  "24",   "h",
        "24H",   "abc", " 24h", "24h ", "7days", "1e3h", "99999999999999999999h"};
    FOR_EACH_ROW(i, sizeof bad / sizeof bad[0])
    {
        char e[TP_ERR_MAX] = "";
        int rc = engine_window_parse(bad[i], NULL, NULL, NOW, &w, e);
        if (rc != TP_EINVAL)
            fprintf(stderr, "  accepted window \"%s\"\n", bad[i]);
        ASSERT_EQ_INT(rc, TP_EINVAL);
        ASSERT_CONTAINS(e, "window");
    }

    /* since/until override the window; naive means local time. */
    set_tz("Asia/Kolkata");
    ASSERT_EQ_INT(engine_window_parse("7d", "2026-02-14T00:00:00Z", "2026-02-15", NOW, &w, err), 0);
    ASSERT_EQ_INT(w.since_ms, 1771027200000LL);
    ASSERT_EQ_INT(w.until_ms, 1771093800000LL); /* 2026-02-15 00:00 +05:30 */
    ASSERT_EQ_INT(w.open_end, 0);
    ASSERT_STREQ(w.name, "custom");
    ASSERT_EQ_INT(engine_window_parse(NULL, "2026-02-15T10:00:00+05:30", NULL, NOW, &w, err), 0);
    ASSERT_EQ_INT(w.since_ms, 1771129800000LL);
    ASSERT_EQ_INT(w.until_ms, NOW + 1);
    ASSERT_EQ_INT(w.open_end, 1); /* since alone: still ends now */
    ASSERT_EQ_INT(engine_window_parse(NULL, NULL, "2026-02-15T10:00:00Z", NOW, &w, err), 0);
    ASSERT_EQ_INT(w.since_ms, NOW - 24 * HOUR);
    ASSERT_EQ_INT(w.until_ms, 1771149600000LL);
    ASSERT_EQ_INT(engine_window_parse(NULL, "yesterday", NULL, NOW, &w, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "since");
    ASSERT_EQ_INT(engine_window_parse(NULL, NULL, "2026-02-31", NOW, &w, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "until");
    ASSERT_EQ_INT(engine_window_parse(NULL, "2026-02-15", "2026-02-15", NOW, &w, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "until must be later than since");
    ASSERT_EQ_INT(
        engine_window_parse(NULL, "2026-02-15T12:00:00Z", "2026-02-15T11:00:00Z", NOW, &w, err),
        TP_EINVAL);
    set_tz("UTC");
}

/* ---- stats ----------------------------------------------------------------------- */

/* The original's tests/test_performance.py, in a clean home. */
static void add_seed_scenario(struct fx *f, int64_t base)
{
    struct op *op;
    op = fx_add(f, "Read", "test.py", 150.5, base);
    op->optimized = 1;
    fx_add(f, "Read", "large_file.py", 3500, base + 1000);
    op = fx_add(f, "Grep", "pattern", 250, base + 2000);
    op->optimized = 1;
    fx_add(f, "Bash", "npm install", 5500, base + 3000);
    op = fx_add(f, "Write", "output.txt", 100, base + 4000);
    op->optimized = 1;
}

static void test_stats_original_scenario(void)
{
    set_tz("UTC");
    struct fx f;
    fx_open(&f);
    add_seed_scenario(&f, NOW - 10 * 60000);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct engine_query q;
    memset(&q, 0, sizeof q);
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_window_parse("24h", NULL, NULL, NOW, &q.w, err), 0);
    struct stats st;
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 5);
    ASSERT_EQ_INT(st.timed, 5);
    ASSERT_STREQ(fmt_dbl(st.avg_ms), "1900.1");
    ASSERT_EQ_DBL(st.median_ms, 250, 0);
    ASSERT_EQ_DBL(st.p95_ms, 5500, 0);
    ASSERT_EQ_DBL(st.p99_ms, 5500, 0);
    ASSERT_EQ_INT(st.slow, 2);
    ASSERT_EQ_INT(st.critical, 1);
    ASSERT_EQ_INT(st.failed, 0);
    ASSERT_EQ_INT(st.optimized, 3);
    ASSERT_STREQ(fmt_dbl((double)st.optimized / (double)st.total * 100), "60.0");
    ASSERT_STREQ(fmt_dbl((double)(st.total - st.failed) / (double)st.total * 100), "100.0");
    ASSERT_EQ_DBL(st.total_ms, 9500.5, 1e-9);
    ASSERT_EQ_INT(st.exact, 1);

    /* Per tool, sorted by total time. */
    ASSERT_EQ_INT(st.ntools, 4);
    static const struct {
        const char *tool;
        uint64_t count, slow, critical, optimized;
        double avg, p50, p95, p99, max, total;
    } want[] = {
        {"Bash", 1, 1, 1, 0, 5500, 5500, 5500, 5500, 5500, 5500},
        {"Read", 2, 1, 0, 1, 1825.25, 150.5, 3500, 3500, 3500, 3650.5},
        {"Grep", 1, 0, 0, 1, 250, 250, 250, 250, 250, 250},
        {"Write", 1, 0, 0, 1, 100, 100, 100, 100, 100, 100},
    };
    for (size_t i = 0; i < 4; i++) {
        const struct tool_stats *t = &st.tools[i];
        ASSERT_STREQ(t->tool, want[i].tool);
        ASSERT_EQ_INT(t->count, want[i].count);
        ASSERT_EQ_INT(t->timed, want[i].count);
        ASSERT_EQ_INT(t->slow, want[i].slow);
        ASSERT_EQ_INT(t->critical, want[i].critical);
        ASSERT_EQ_INT(t->failed, 0);
        ASSERT_EQ_INT(t->optimized, want[i].optimized);
        ASSERT_EQ_DBL(t->avg_ms, want[i].avg, 1e-9);
        ASSERT_EQ_DBL(t->p50_ms, want[i].p50, 0);
        ASSERT_EQ_DBL(t->p95_ms, want[i].p95, 0);
        ASSERT_EQ_DBL(t->p99_ms, want[i].p99, 0);
        ASSERT_EQ_DBL(t->max_ms, want[i].max, 0);
        ASSERT_EQ_DBL(t->total_ms, want[i].total, 1e-9);
    }
    stats_free(&st);

    /* Filters: a tool, a project, a session; unknown names give an empty
     * answer, not an error. */
    q.tool = "Read";
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 2);
    ASSERT_EQ_DBL(st.avg_ms, 1825.25, 1e-9);
    ASSERT_EQ_DBL(st.median_ms, 1825.25, 1e-9); /* even n: the mean of the middle two */
    ASSERT_EQ_INT(st.ntools, 1);
    stats_free(&st);
    q.tool = "NoSuchTool";
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 0);
    ASSERT_EQ_INT(st.ntools, 0);
    stats_free(&st);
    q.tool = NULL;
    q.project = "/nowhere";
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 0);
    stats_free(&st);
    q.project = NULL;
    q.session = "no-such-session";
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 0);
    stats_free(&st);
    fx_close(&f);
}

static void test_stats_empty_store(void)
{
    struct fx f;
    fx_open(&f);
    struct engine_query q = window_q(NOW - DAY, NOW + 1);
    struct stats st;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, 0);
    ASSERT_EQ_INT(st.timed, 0);
    ASSERT_EQ_DBL(st.avg_ms, 0, 0);
    ASSERT_EQ_DBL(st.median_ms, 0, 0);
    ASSERT_EQ_DBL(st.p95_ms, 0, 0);
    ASSERT_EQ_DBL(st.p99_ms, 0, 0);
    ASSERT_EQ_INT(st.slow + st.critical + st.failed + st.optimized, 0);
    ASSERT_EQ_INT(st.ntools, 0);
    ASSERT_EQ_INT(st.w.since_ms, NOW - DAY);
    stats_free(&st);
    fx_close(&f);
}

/* Project and session filters, and unknown durations. */
static void test_stats_filters(void)
{
    struct fx f;
    fx_open(&f);
    for (int i = 0; i < 30; i++) {
        struct op *op = fx_add(&f, i % 2 ? "Read" : "Bash", "x", i % 5 == 0 ? NAN : 100.0 * i,
                               NOW - HOUR - i * 60000);
        op_sets(&op->project, i < 10 ? "/p/a" : "/p/b");
        op_sets(&op->session_id, i % 3 ? "s1" : "s2");
        op->success = i % 7 != 0;
    }
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct {
        const char *tool, *project, *session;
    } cases[] = {
        {NULL, NULL, NULL}, {"Read", NULL, NULL},   {NULL, "/p/a", NULL},
        {NULL, NULL, "s2"}, {"Bash", "/p/b", "s1"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct engine_query q = window_q(NOW - DAY, NOW + 1);
        q.tool = cases[c].tool;
        q.project = cases[c].project;
        q.session = cases[c].session;
        uint64_t n = 0, nt = 0, failed = 0;
        double sum = 0, d[30];
        for (size_t i = 0; i < f.n; i++) {
            const struct op *op = &f.ops[i];
            if ((q.tool && strcmp(op->tool, q.tool)) ||
                (q.project && strcmp(op->project, q.project)) ||
                (q.session && strcmp(op->session_id, q.session)))
                continue;
            n++;
            failed += !op->success;
            if (!isnan(op->duration_ms))
                sum += op->duration_ms, d[nt++] = op->duration_ms;
        }
        qsort(d, nt, sizeof d[0], cmp_dbl);
        struct stats st;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
        if (st.total != n)
            fprintf(stderr, "  case %zu\n", c);
        ASSERT_EQ_INT(st.total, n);
        ASSERT_EQ_INT(st.timed, nt);
        ASSERT_EQ_INT(st.failed, failed);
        ASSERT_EQ_DBL(st.avg_ms, nt ? sum / (double)nt : 0, 1e-9);
        ASSERT_EQ_DBL(st.p95_ms, nearest_rank(d, nt, 0.95), 0);
        ASSERT_EQ_DBL(st.p99_ms, nearest_rank(d, nt, 0.99), 0);
        double med = nt % 2 ? d[nt / 2] : (d[nt / 2 - 1] + d[nt / 2]) / 2;
        ASSERT_EQ_DBL(st.median_ms, med, 1e-9);
        stats_free(&st);
    }
    fx_close(&f);
}

/* Windows whose edges are not hour (or day) boundaries count exactly. */
static void test_stats_unaligned_windows(void)
{
    struct fx f;
    fx_open(&f);
    int64_t h = (NOW - 5 * HOUR) / HOUR * HOUR; /* an hour boundary */
    static const int64_t offs[] = {
        -1,                        /* H-1 ms */
        0,                         /* H */
        59 * 60000,                /* H:59 */
        HOUR + 60000,              /* H+1:01 */
        30 * 60000 - 1,            /* H:29:59.999 */
        30 * 60000,                /* H:30 */
        2 * HOUR + 30 * 60000 - 1, /* H+2:29:59.999 */
        2 * HOUR + 30 * 60000,     /* H+2:30 */
    };
    FOR_EACH_ROW(i, sizeof offs / sizeof offs[0])
    fx_add(&f, "Read", "f", 10.0 + (double)i, h + offs[i]);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    static const struct {
        int64_t a, b;
        uint64_t n;
        double sum;
    } cases[] = {
        {0, HOUR, 4, 11 + 12 + 14 + 15},
        {30 * 60000, 2 * HOUR + 30 * 60000, 4, 15 + 12 + 13 + 16},
        {30 * 60000 - 1, 2 * HOUR + 30 * 60000 + 1, 6, 14 + 15 + 12 + 13 + 16 + 17},
        {-HOUR, 0, 1, 10},
        {59 * 60000, HOUR + 60000 + 1, 2, 12 + 13},
        {59 * 60000 + 1, HOUR + 60000, 0, 0},
        {-DAY, DAY, 8, 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct engine_query q = window_q(h + cases[c].a, h + cases[c].b);
        struct stats st;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
        /* Brute force, to guard the table above too. */
        uint64_t n = 0;
        double sum = 0;
        for (size_t i = 0; i < f.n; i++)
            if (f.ops[i].ts_ms >= q.w.since_ms && f.ops[i].ts_ms < q.w.until_ms)
                n++, sum += f.ops[i].duration_ms;
        if (st.total != n || n != cases[c].n)
            fprintf(stderr, "  case %zu: engine %llu, brute force %llu, table %llu\n", c,
                    (unsigned long long)st.total, (unsigned long long)n,
                    (unsigned long long)cases[c].n);
        ASSERT_EQ_INT(st.total, n);
        ASSERT_EQ_INT(n, cases[c].n);
        ASSERT_EQ_DBL(st.total_ms, sum, 1e-9);
        ASSERT_EQ_DBL(sum, cases[c].sum, 1e-9);
        stats_free(&st);
    }
    fx_close(&f);
}

/* Random windows over 50 days of random operations: rollups at every
 * level plus raw edges give the brute-force answer. */
static void test_stats_random_windows(void)
{
    struct fx f;
    fx_open(&f);
    rng.state = 0x5DEECE66DULL;
    static const char *const tools[] = {"Read", "Bash", "Grep", "Edit"};
    for (int i = 0; i < 3000; i++) {
        double dur = (double)(rnd() % 9000000) / 1000.0;
        struct op *op = fx_add(&f, tools[rnd() % 4], "t", rnd() % 20 ? dur : NAN,
                               NOW - 1 - (int64_t)(rnd() % (uint64_t)(50 * DAY)));
        op->success = rnd() % 9 != 0;
        op->optimized = rnd() % 4 == 0;
    }
    ASSERT_EQ_INT(fx_flush(&f), 0);
    for (int c = 0; c < 40; c++) {
        int64_t a = NOW - (int64_t)(rnd() % (uint64_t)(52 * DAY));
        int64_t b = a + 1 + (int64_t)(rnd() % (uint64_t)(c < 20 ? 3 * DAY : 45 * DAY));
        struct engine_query q = window_q(a, b);
        uint64_t n = 0, nt = 0, slow = 0, crit = 0, failed = 0, opt = 0;
        double sum = 0;
        for (size_t i = 0; i < f.n; i++) {
            const struct op *op = &f.ops[i];
            if (op->ts_ms < a || op->ts_ms >= b)
                continue;
            n++;
            failed += !op->success;
            opt += op->optimized;
            if (!isnan(op->duration_ms)) {
                nt++;
                sum += op->duration_ms;
                slow += op->duration_ms >= 2000;
                crit += op->duration_ms >= 5000;
            }
        }
        struct stats st;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
        if (st.total != n)
            fprintf(stderr, "  window [%lld, %lld): %llu, brute force %llu\n", (long long)a,
                    (long long)b, (unsigned long long)st.total, (unsigned long long)n);
        ASSERT_EQ_INT(st.total, n);
        ASSERT_EQ_INT(st.timed, nt);
        ASSERT_EQ_INT(st.slow, slow);
        ASSERT_EQ_INT(st.critical, crit);
        ASSERT_EQ_INT(st.failed, failed);
        ASSERT_EQ_INT(st.optimized, opt);
        ASSERT_EQ_DBL(st.total_ms, sum, 1e-6);
        uint64_t tools_n = 0;
        for (size_t t = 0; t < st.ntools; t++)
            tools_n += st.tools[t].count;
        ASSERT_EQ_INT(tools_n, n);
        stats_free(&st);
    }
    fx_close(&f);
}

/* Up to TP_EXACT_MAX_OPS the percentiles are exact; one more and they come
 * from the sketch, within 1 %. */
static void test_stats_exact_vs_sketch(void)
{
    struct fx f;
    fx_open(&f);
    rng.state = 0xC0FFEEULL;
    size_t n = TP_EXACT_MAX_OPS + 1;
    double *d = xcalloc(n, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        /* Log-uniform-ish durations from 1 ms to ~60 s. */
        d[i] = (double)(1000 + rnd() % 60000000) / 1000.0;
        if (i % 3 == 0)
            d[i] = (double)(1000 + rnd() % 200000) / 1000.0;
        fx_add(&f, i % 2 ? "Read" : "Bash", "x", d[i], NOW - 1 - (int64_t)(i * 8000));
    }
    /* Store all but the last: exactly TP_EXACT_MAX_OPS. */
    f.n--;
    ASSERT_EQ_INT(fx_flush(&f), 0);
    f.n++;
    struct engine_query q = window_q(NOW - 2 * DAY, NOW + 1);
    struct stats st;
    char err[TP_ERR_MAX];
    double *sorted = xcalloc(n, sizeof *sorted);
    memcpy(sorted, d, (n - 1) * sizeof *d);
    qsort(sorted, n - 1, sizeof *sorted, cmp_dbl);
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, n - 1);
    ASSERT_EQ_INT(st.exact, 1);
    ASSERT_EQ_DBL(st.p95_ms, nearest_rank(sorted, n - 1, 0.95), 0);
    ASSERT_EQ_DBL(st.p99_ms, nearest_rank(sorted, n - 1, 0.99), 0);
    ASSERT_EQ_DBL(st.median_ms, (sorted[(n - 1) / 2 - 1] + sorted[(n - 1) / 2]) / 2, 1e-9);
    stats_free(&st);

    /* The last one. */
    char e2[TP_ERR_MAX];
    struct op *last = &f.ops[n - 1];
    ASSERT_EQ_INT(op_normalize(last, NOW, e2), 0);
    struct store_result r = {0};
    ASSERT_EQ_INT(store_insert(f.s, last, 1, NULL, &r, e2), 0);
    memcpy(sorted, d, n * sizeof *d);
    qsort(sorted, n, sizeof *sorted, cmp_dbl);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += d[i];
    ASSERT_EQ_INT(engine_stats(f.s, &q, &st, err), 0);
    ASSERT_EQ_INT(st.total, n);
    ASSERT_EQ_INT(st.exact, 0);
    ASSERT_EQ_DBL(st.avg_ms, sum / (double)n, 1e-6);
    static const double qs[] = {0.5, 0.95, 0.99};
    double got[] = {st.median_ms, st.p95_ms, st.p99_ms};
    for (int k = 0; k < 3; k++) {
        double exact = nearest_rank(sorted, n, qs[k]);
        ASSERT_EQ_DBL(got[k], exact, 0.01 * exact);
    }
    /* Per tool too. */
    for (size_t t = 0; t < st.ntools; t++) {
        double *td = xcalloc(n, sizeof *td);
        size_t tn = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(f.ops[i].tool, st.tools[t].tool) == 0)
                td[tn++] = d[i];
        qsort(td, tn, sizeof *td, cmp_dbl);
        ASSERT_EQ_INT(st.tools[t].count, tn);
        ASSERT_EQ_DBL(st.tools[t].p95_ms, nearest_rank(td, tn, 0.95),
                      0.01 * nearest_rank(td, tn, 0.95));
        ASSERT_EQ_DBL(st.tools[t].max_ms, td[tn - 1], 0.01 * td[tn - 1]);
        free(td);
    }
    stats_free(&st);
    free(sorted);
    free(d);
    fx_close(&f);
}

/* ---- slow operations ------------------------------------------------------------------ */

static void test_slow(void)
{
    struct fx f;
    fx_open(&f);
    /* 40 ops over 20 hours: every third is slow, one is exactly 2000, some
     * share a start time. */
    for (int i = 0; i < 40; i++) {
        double dur = i % 3 == 0 ? 2500.0 + i : 100.0 + i;
        if (i == 4)
            dur = 2000;
        int64_t ts = NOW - 1000 - (int64_t)i * 30 * 60000;
        if (i == 9)
            ts = f.ops[6].ts_ms; /* two slow calls that started together */
        struct op *op = fx_add(&f, i % 2 ? "Bash" : "Read", "cmd", dur, ts);
        op_sets(&op->session_id, i < 20 ? "new" : "old");
    }
    fx_add(&f, "Bash", "unknown duration", NAN, NOW - 2000);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct engine_query q = window_q(NOW - DAY, NOW + 1);
    char err[TP_ERR_MAX];

    /* Brute force: durations >= 2000, slowest first. */
    double want[64];
    size_t nwant = 0;
    for (size_t i = 0; i < f.n; i++)
        if (!isnan(f.ops[i].duration_ms) && f.ops[i].duration_ms >= 2000)
            want[nwant++] = f.ops[i].duration_ms;
    ASSERT_EQ_INT(nwant, 15);
    for (size_t i = 1; i < nwant; i++) /* insertion sort, descending */
        for (size_t k = i; k > 0 && want[k - 1] < want[k]; k--) {
            double x = want[k];
            want[k] = want[k - 1];
            want[k - 1] = x;
        }
    for (size_t limit = 1; limit <= 30; limit += 4) {
        struct op_list l;
        ASSERT_EQ_INT(engine_slow(f.s, &q, 2000, limit, &l, err), 0);
        ASSERT_EQ_INT(l.n, nwant < limit ? nwant : limit);
        /* The slowest of the whole window, not of its newest hours. */
        for (size_t i = 0; i < l.n; i++)
            ASSERT_EQ_DBL(l.items[i].op.duration_ms, want[i], 0);
        /* The slowest is i = 39 (2539), a Bash call. */
        ASSERT_EQ_DBL(l.items[0].op.duration_ms, 2539, 0);
        ASSERT_STREQ(l.items[0].op.tool, "Bash");
        ASSERT_STREQ(l.items[0].op.target, "cmd");
        ASSERT_TRUE(l.items[0].op.tool_use_id != NULL);
        if (limit == 29) /* >= is inclusive: the 2000 is last */
            ASSERT_EQ_DBL(l.items[14].op.duration_ms, 2000, 0);
        op_list_free(&l);
    }
    /* A higher threshold, a session filter. */
    struct op_list l;
    ASSERT_EQ_INT(engine_slow(f.s, &q, 2530, 100, &l, err), 0);
    ASSERT_EQ_INT(l.n, 4); /* i = 30, 33, 36, 39 */
    op_list_free(&l);
    q.session = "old";
    ASSERT_EQ_INT(engine_slow(f.s, &q, 2000, 100, &l, err), 0);
    ASSERT_EQ_INT(l.n, 7); /* i = 21 .. 39 step 3 */
    for (size_t i = 0; i < l.n; i++)
        ASSERT_STREQ(l.items[i].op.session_id, "old");
    op_list_free(&l);
    q.session = NULL;
    /* limit 0: nothing. */
    ASSERT_EQ_INT(engine_slow(f.s, &q, 2000, 0, &l, err), 0);
    ASSERT_EQ_INT(l.n, 0);
    op_list_free(&l);
    /* Threshold 0: every operation with a known duration (>= 0), newest
     * first; an unknown duration is not ">= 0". */
    ASSERT_EQ_INT(engine_slow(f.s, &q, 0, 1000, &l, err), 0);
    size_t unknown = 0, listed = l.n;
    for (size_t i = 0; i < l.n; i++)
        unknown += isnan(l.items[i].op.duration_ms);
    op_list_free(&l);
    fx_close(&f);
    ASSERT_EQ_INT(unknown, 0);
    ASSERT_EQ_INT(listed, 40);
}

/* ---- bottlenecks ------------------------------------------------------------------------ */

static int cmp_desc(const void *a, const void *b)
{
    return -cmp_dbl(a, b);
}

static void test_bottlenecks(void)
{
    struct fx f;
    fx_open(&f);
    rng.state = 0xB0771ECULL;
    static const char *const tools[] = {"Read", "Bash", "Grep", "Task"};
    for (int i = 0; i < 1500; i++) {
        const char *tool = tools[rnd() % 3];
        double dur = (double)(rnd() % 20000000) / 1000.0;
        if (strcmp(tool, "Grep") == 0)
            dur = (double)(rnd() % 900000) / 1000.0;
        fx_add(&f, tool, "t", dur, NOW - 1 - (int64_t)(rnd() % (uint64_t)(3 * DAY)));
    }
    /* A tool with only two timed calls, and one with none. */
    fx_add(&f, "Task", "a", 50, NOW - 10 * HOUR);
    fx_add(&f, "Task", "b", 70000, NOW - 11 * HOUR);
    fx_add(&f, "WebFetch", "u", NAN, NOW - 10 * HOUR);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    (void)tools;
    int64_t a = NOW - 2 * DAY - 7 * HOUR - 123456, b = NOW - 3 * HOUR + 98765;
    static const size_t ks[] = {1, 3, 10, 5000};
    for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        struct engine_query q = window_q(a, b);
        struct bottlenecks bn;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_bottlenecks(f.s, &q, ks[c], &bn, err), 0);
        ASSERT_EQ_INT(bn.n, 4); /* WebFetch has no duration */
        for (size_t g = 0; g < bn.n; g++) {
            double *want = xcalloc(f.n, sizeof *want);
            size_t nw = 0;
            for (size_t i = 0; i < f.n; i++)
                if (!strcmp(f.ops[i].tool, bn.groups[g].tool) && f.ops[i].ts_ms >= a &&
                    f.ops[i].ts_ms < b && !isnan(f.ops[i].duration_ms))
                    want[nw++] = f.ops[i].duration_ms;
            qsort(want, nw, sizeof *want, cmp_desc);
            size_t k = nw < ks[c] ? nw : ks[c];
            if (bn.groups[g].ops.n != k)
                fprintf(stderr, "  %s k=%zu: %zu ops, brute force %zu\n", bn.groups[g].tool, ks[c],
                        bn.groups[g].ops.n, k);
            ASSERT_EQ_INT(bn.groups[g].ops.n, k);
            for (size_t i = 0; i < k; i++)
                ASSERT_EQ_DBL(bn.groups[g].ops.items[i].op.duration_ms, want[i], 0);
            if (g)
                ASSERT_TRUE(bn.groups[g - 1].ops.items[0].op.duration_ms >=
                            bn.groups[g].ops.items[0].op.duration_ms);
            free(want);
        }
        ASSERT_STREQ(bn.groups[0].tool, "Task"); /* its 70 s call is the slowest */
        bottlenecks_free(&bn);
    }
    fx_close(&f);
}

/* ---- hotspots ----------------------------------------------------------------------------- */

struct hs_want {
    const char *tool, *target;
    uint64_t n, failed;
    double total, max;
};

static void test_hotspots_brute_force(void)
{
    struct fx f;
    fx_open(&f);
    rng.state = 0x407590715ULL;
    static const char *const tools[] = {"Read", "Bash", "Grep"};
    static const char *const targets[] = {"/a", "/b", "/c", "make", "TODO", "/d"};
    for (int i = 0; i < 2000; i++) {
        struct op *op =
            fx_add(&f, tools[rnd() % 3], targets[rnd() % 6], (double)(rnd() % 5000000) / 1000.0,
                   NOW - 1 - (int64_t)(rnd() % (uint64_t)(6 * DAY)));
        op->success = rnd() % 6 != 0;
    }
    ASSERT_EQ_INT(fx_flush(&f), 0);
    static const struct {
        int64_t a, b;
    } windows[] = {
        {NOW - 3 * DAY - 11 * HOUR - 7, NOW - 7 * HOUR + 1234}, /* crosses UTC days */
        {NOW - 5 * HOUR - 17, NOW - HOUR},                      /* inside one day */
        {NOW - 10 * DAY, NOW + 1},                              /* everything */
    };
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        struct engine_query q = window_q(windows[w].a, windows[w].b);
        struct hotspots h;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_hotspots(f.s, &q, 1000, &h, err), 0);
        size_t pairs = 0;
        double share = 0, all = 0;
        for (size_t i = 0; i < f.n; i++)
            if (f.ops[i].ts_ms >= q.w.since_ms && f.ops[i].ts_ms < q.w.until_ms)
                all += f.ops[i].duration_ms;
        for (size_t t = 0; t < 3; t++)
            for (size_t g = 0; g < 6; g++) {
                struct hs_want x = {tools[t], targets[g], 0, 0, 0, 0};
                for (size_t i = 0; i < f.n; i++) {
                    const struct op *op = &f.ops[i];
                    if (op->ts_ms < q.w.since_ms || op->ts_ms >= q.w.until_ms ||
                        strcmp(op->tool, x.tool) || strcmp(op->target, x.target))
                        continue;
                    x.n++;
                    x.failed += !op->success;
                    x.total += op->duration_ms;
                    if (op->duration_ms > x.max)
                        x.max = op->duration_ms;
                }
                if (!x.n)
                    continue;
                pairs++;
                const struct hotspot *got = NULL;
                for (size_t i = 0; i < h.n; i++)
                    if (!strcmp(h.items[i].tool, x.tool) && !strcmp(h.items[i].target, x.target))
                        got = &h.items[i];
                ASSERT_TRUE(got != NULL);
                ASSERT_EQ_INT(got->count, x.n);
                ASSERT_EQ_INT(got->failed, x.failed);
                ASSERT_EQ_DBL(got->total_ms, x.total, 1e-6);
                ASSERT_EQ_DBL(got->max_ms, x.max, 0);
                ASSERT_EQ_DBL(got->avg_ms, x.total / (double)x.n, 1e-6);
                ASSERT_EQ_DBL(got->share, x.total / all * 100, 1e-9);
            }
        ASSERT_EQ_INT(h.n, pairs);
        for (size_t i = 0; i < h.n; i++) {
            share += h.items[i].share;
            if (i)
                ASSERT_TRUE(h.items[i - 1].total_ms >= h.items[i].total_ms);
        }
        ASSERT_EQ_DBL(share, 100, 1e-9);
        hotspots_free(&h);
        /* The limit keeps the largest. */
        ASSERT_EQ_INT(engine_hotspots(f.s, &q, 3, &h, err), 0);
        ASSERT_EQ_INT(h.n, 3);
        hotspots_free(&h);
    }
    fx_close(&f);
}

/* Hotspot figures after the same call is reported twice with different
 * durations (transcript 5000, then the hook's 4000), and with a call whose
 * duration is unknown. */
static void test_hotspots_merge_and_unknown(void)
{
    struct fx f;
    fx_open(&f);
    int64_t day0 = (NOW / DAY - 3) * DAY; /* a whole UTC day inside the window */
    struct op *t = fx_add(&f, "Bash", "npm test", 5000, day0 + 10 * HOUR);
    op_sets(&t->tool_use_id, "toolu_same");
    t->source = OP_SRC_TRANSCRIPT;
    fx_add(&f, "Bash", "npm test", 1000, day0 + 11 * HOUR);
    fx_add(&f, "Read", "/x", 1000, day0 + 12 * HOUR);
    fx_add(&f, "Read", "/x", NAN, day0 + 13 * HOUR);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct op h;
    op_init(&h);
    op_sets(&h.tool, "Bash");
    op_sets(&h.target, "npm test");
    op_sets(&h.tool_use_id, "toolu_same");
    h.duration_ms = 4000;
    h.ts_ms = day0 + 10 * HOUR + 500;
    h.source = OP_SRC_HOOK;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(op_normalize(&h, NOW, err), 0);
    struct store_result r = {0};
    ASSERT_EQ_INT(store_insert(f.s, &h, 1, NULL, &r, err), 0);
    ASSERT_EQ_INT(r.merged, 1);
    op_clear(&h);
    struct engine_query q = window_q(day0 - 5 * HOUR - 1, NOW + 1);
    struct hotspots hs;
    ASSERT_EQ_INT(engine_hotspots(f.s, &q, 10, &hs, err), 0);
    ASSERT_EQ_INT(hs.n, 2);
    ASSERT_STREQ(hs.items[0].tool, "Bash");
    ASSERT_EQ_INT(hs.items[0].count, 2);
    ASSERT_EQ_DBL(hs.items[0].total_ms, 5000, 1e-9);
    ASSERT_STREQ(hs.items[1].tool, "Read");
    ASSERT_EQ_INT(hs.items[1].count, 2);
    ASSERT_EQ_DBL(hs.items[1].total_ms, 1000, 1e-9);
    int bad = 0;
    if (hs.items[0].max_ms != 4000) {
        fprintf(stderr, "  Bash max_ms %g: the replaced duration 5000 is still the maximum\n",
                hs.items[0].max_ms);
        bad++;
    }
    /* The average is over calls with a known duration. */
    if (hs.items[1].avg_ms != 1000) {
        fprintf(stderr, "  Read avg_ms %g: a call of unknown duration counted as 0 ms\n",
                hs.items[1].avg_ms);
        bad++;
    }
    hotspots_free(&hs);
    fx_close(&f);
    ASSERT_EQ_INT(bad, 0);
}

/* A window that ends now answers from the aggregates of the hour (stats)
 * and the UTC day (hotspots) that now is in; those also hold calls stamped
 * a little ahead of our clock, which a window with an explicit end leaves
 * out. Both see every call up to now. */
static void test_open_end_windows(void)
{
    struct fx f;
    fx_open(&f);
    /* NOW is 10:30:45: one call before it, one 5 minutes ahead (same hour),
     * one 3 hours ahead (same UTC day). */
    fx_add(&f, "Read", "/a", 100, NOW - 20 * 60000);
    fx_add(&f, "Read", "/a", 300, NOW + 5 * 60000);
    fx_add(&f, "Bash", "make", 7000, NOW + 3 * HOUR);
    fx_add(&f, "Read", "/b", 50, NOW - 30 * HOUR); /* outside 24h */
    ASSERT_EQ_INT(fx_flush(&f), 0);
    char err[TP_ERR_MAX];
    struct engine_query open = window_q(NOW - 24 * HOUR, NOW + 1);
    open.w.open_end = 1;
    struct engine_query closed = window_q(NOW - 24 * HOUR, NOW + 1);
    struct stats st;
    ASSERT_EQ_INT(engine_stats(f.s, &open, &st, err), 0);
    ASSERT_EQ_INT(st.total, 2); /* the call at +5 min is in the current hour */
    stats_free(&st);
    ASSERT_EQ_INT(engine_stats(f.s, &closed, &st, err), 0);
    ASSERT_EQ_INT(st.total, 1);
    stats_free(&st);
    struct hotspots hs;
    ASSERT_EQ_INT(engine_hotspots(f.s, &open, 10, &hs, err), 0);
    ASSERT_EQ_INT(hs.n, 2);
    ASSERT_STREQ(hs.items[0].tool, "Bash"); /* +3 h: today's totals */
    ASSERT_EQ_INT(hs.items[1].count, 2);
    hotspots_free(&hs);
    ASSERT_EQ_INT(engine_hotspots(f.s, &closed, 10, &hs, err), 0);
    ASSERT_EQ_INT(hs.n, 1);
    ASSERT_EQ_INT(hs.items[0].count, 1);
    hotspots_free(&hs);
    fx_close(&f);
}

/* The slowest call of a hotspot as the full scan finds it: of the calls of
 * its longest duration, the first a newest-first scan of the window (to
 * the end of today for a window that ends now) meets. */
struct ref_ex {
    int64_t target;
    double best;
    char *call;
    int64_t ms;
};

static int ref_ex_row(void *ctx, const struct store_row *r)
{
    struct ref_ex *e = ctx;
    if (r->target_id != e->target || isnan(r->op.duration_ms) || r->op.duration_ms <= e->best)
        return 0;
    e->best = r->op.duration_ms;
    free(e->call);
    e->call = r->op.tool_use_id ? xstrdup(r->op.tool_use_id) : NULL;
    e->ms = r->op.ts_ms;
    return 0;
}

static int ref_example(struct store *s, const struct engine_query *q, const struct hotspot *x,
                       struct ref_ex *e)
{
    struct store_filter f;
    memset(e, 0, sizeof *e);
    e->best = -1;
    e->target = x->target_id;
    if (!x->timed || !(x->max_ms > 0) || engine_filter(s, q, &f) != 0)
        return 0;
    /* The part of the window the hotspot was summed over: a session's
     * calls up to the window's end, else to the end of today for a window
     * that ends now. */
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    if (q->w.open_end && !f.session)
        b = (b + DAY - 1) / DAY * DAY;
    if (f.session) {
        int64_t first, last;
        if (store_session_span(s, f.session, &first, &last) != 0)
            return 0;
        a = first > a ? first : a;
        b = last + 1 < b ? last + 1 : b;
    }
    f.tool = x->tool_id;
    f.ntools = 0;
    struct store_scan sc = {.from_ms = a,
                            .to_ms = b,
                            .f = f,
                            .min_duration_ms = x->max_ms * (1 - 1e-9) - 0.001,
                            .desc = 1};
    return store_scan(s, &sc, ref_ex_row, e);
}

/* Hotspots with a limit are the first of the whole ranking, and each one's
 * slowest call is the one a scan of the window finds, on a store with many
 * ties (durations and totals), three projects, sessions, calls of unknown
 * duration and calls reported twice. */
/* A store with many ties (durations and totals), three projects,
 * sessions, calls of unknown duration and calls reported twice, and the
 * windows and filters the tests below ask it with. */
static void fill_ties(struct fx *f)
{
    rng.state = 0x7095107ULL;
    static const char *const tools[] = {"Read", "Bash", "Grep", "mcp__gh__issue"};
    static const char *const projects[] = {"/p/a", "/p/b", NULL};
    static const char *const sessions[] = {"s-one", "s-two", "s-three", "s-four"};
    char target[32];
    for (int i = 0; i < 4000; i++) {
        snprintf(target, sizeof target, "/t%u", (unsigned)(rnd() % 60));
        /* Durations from a few values: equal totals and equal maxima. */
        double dur = rnd() % 13 == 0 ? NAN : (double)(250 * (1 + rnd() % 16));
        struct op *op = fx_add(f, tools[rnd() % 4], target, dur,
                               NOW + 2 * HOUR - (int64_t)(rnd() % (uint64_t)(7 * DAY)));
        if (projects[rnd() % 3])
            op_sets(&op->project, projects[rnd() % 3]);
        op_sets(&op->session_id, sessions[rnd() % 4]);
        op->success = rnd() % 7 != 0;
    }
    ASSERT_EQ_INT(fx_flush(f), 0);
    /* Reported again by the hook with other durations: some longest calls
     * are replaced. */
    struct op again[200];
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < 200; i++) {
        const struct op *o = &f->ops[rnd() % f->n];
        op_init(&again[i]);
        op_copy(&again[i], o);
        again[i].duration_ms = (double)(250 * (1 + rnd() % 16));
        again[i].source = OP_SRC_HOOK;
        ASSERT_EQ_INT(op_normalize(&again[i], NOW, err), 0);
    }
    struct store_result res = {0};
    ASSERT_EQ_INT(store_insert(f->s, again, 200, NULL, &res, err), 0);
    for (size_t i = 0; i < 200; i++)
        op_clear(&again[i]);
}

static const struct {
    int64_t a, b;
    int open;
} tie_windows[] = {
    {NOW - 24 * HOUR, NOW, 1},
    {NOW - 7 * DAY, NOW, 1},
    {NOW - 3 * DAY - 5 * HOUR - 17, NOW - 9 * HOUR + 3, 0},
    {NOW - 5 * HOUR, NOW - HOUR, 0},
    {NOW - 30 * DAY, NOW + DAY, 0},
};
static const struct {
    const char *tool, *project, *session;
} tie_filters[] = {{NULL, NULL, NULL},
                   {"Bash", NULL, NULL},
                   {NULL, "/p/b", NULL},
                   {NULL, NULL, "s-two"},
                   {"Read", "/p/a", "s-one"}};
#define TIE_ROWS                                                                                   \
    (sizeof tie_windows / sizeof tie_windows[0] * (sizeof tie_filters / sizeof tie_filters[0]))

static struct engine_query tie_query(size_t row)
{
    const size_t nf = sizeof tie_filters / sizeof tie_filters[0];
    size_t w = row / nf, k = row % nf;
    struct engine_query q = window_q(tie_windows[w].a, tie_windows[w].b);
    q.w.open_end = tie_windows[w].open;
    q.tool = tie_filters[k].tool;
    q.project = tie_filters[k].project;
    q.session = tie_filters[k].session;
    return q;
}

static void test_hotspots_top_and_examples(void)
{
    struct fx f;
    fx_open(&f);
    fill_ties(&f);
    char err[TP_ERR_MAX];
    static const size_t limits[] = {1, 3, 7, 20, 55};
    size_t compared = 0;
    FOR_EACH_ROW(row, TIE_ROWS)
    {
        TEST_ROW("window %zu, filter %zu", row / 5, row % 5);
        struct engine_query q = tie_query(row);
        struct hotspots all, top;
        ASSERT_EQ_INT(engine_hotspots(f.s, &q, 100000, &all, err), 0);
        ASSERT_TRUE(all.n > 0);
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            ASSERT_EQ_INT(engine_hotspots(f.s, &q, limits[l], &top, err), 0);
            ASSERT_EQ_INT(top.n, limits[l] < all.n ? limits[l] : all.n);
            for (size_t i = 0; i < top.n; i++) {
                const struct hotspot *x = &top.items[i], *y = &all.items[i];
                ASSERT_STREQ(x->tool, y->tool);
                ASSERT_STREQ(x->target, y->target);
                ASSERT_EQ_INT(x->count, y->count);
                ASSERT_STREQ(fmt_dbl(x->total_ms), fmt_dbl(y->total_ms));
                ASSERT_STREQ(fmt_dbl(x->share), fmt_dbl(y->share));
                ASSERT_STREQ(fmt_dbl(x->max_ms), fmt_dbl(y->max_ms));
            }
            hotspots_free(&top);
        }
        ASSERT_EQ_INT(engine_hotspot_examples(f.s, &q, &all, err), 0);
        for (size_t i = 0; i < all.n && i < TP_HOTSPOT_EXAMPLES; i++) {
            struct ref_ex e;
            ASSERT_EQ_INT(ref_example(f.s, &q, &all.items[i], &e), 0);
            ASSERT_STREQ(all.items[i].example_call ? all.items[i].example_call : "-",
                         e.call ? e.call : "-");
            if (e.call)
                ASSERT_EQ_INT(all.items[i].example_ms, e.ms);
            free(e.call);
            compared++;
        }
        hotspots_free(&all);
    }
    ASSERT_TRUE(compared > 500);
    fx_close(&f);
}

/* The calls of a window as brute force sees them: every timed row that
 * matches the filters, with its tool, duration, start and id. */
struct bf_call {
    int64_t tool, id, ts;
    double dur;
    char *uid;
};

struct bf_calls {
    struct bf_call *v;
    size_t n, alloc;
};

static int bf_call_row(void *ctx, const struct store_row *r)
{
    struct bf_calls *x = ctx;
    if (isnan(r->op.duration_ms))
        return 0;
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 256;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
    }
    x->v[x->n++] = (struct bf_call){r->tool_id, r->id, r->op.ts_ms, r->op.duration_ms,
                                    xstrdup(r->op.tool_use_id)};
    return 0;
}

/* The slowest first; equal ones the newest first, then by id (as the
 * engine orders calls). */
static int cmp_bf_call(const void *a, const void *b)
{
    const struct bf_call *x = a, *y = b;
    if (x->tool != y->tool)
        return x->tool < y->tool ? -1 : 1;
    if (x->dur != y->dur)
        return x->dur < y->dur ? 1 : -1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* Each tool's slowest calls are its first per_tool by brute force, on the
 * store of many ties, for every window and filter and several limits
 * (engine_bottlenecks reads every hour once for all tools). */
static void test_bottlenecks_brute_force(void)
{
    struct fx f;
    fx_open(&f);
    fill_ties(&f);
    char err[TP_ERR_MAX];
    static const size_t limits[] = {1, 10, 400};
    size_t calls = 0;
    FOR_EACH_ROW(row, TIE_ROWS * 3)
    {
        size_t per_tool = limits[row % 3];
        TEST_ROW("window %zu, filter %zu, %zu per tool", row / 15, row / 3 % 5, per_tool);
        struct engine_query q = tie_query(row / 3);
        struct store_filter sf;
        ASSERT_EQ_INT(engine_filter(f.s, &q, &sf), 0);
        struct bf_calls x = {NULL, 0, 0};
        struct store_scan sc = {.from_ms = q.w.since_ms, .to_ms = q.w.until_ms, .f = sf};
        ASSERT_EQ_INT(store_scan(f.s, &sc, bf_call_row, &x), 0);
        qsort(x.v, x.n, sizeof *x.v, cmp_bf_call);
        struct bottlenecks bn;
        ASSERT_EQ_INT(engine_bottlenecks(f.s, &q, per_tool, &bn, err), 0);
        size_t groups = 0;
        for (size_t i = 0; i < x.n;) {
            size_t j = i;
            while (j < x.n && x.v[j].tool == x.v[i].tool)
                j++;
            char *label = engine_tool_label(store_str(f.s, x.v[i].tool));
            const struct bottleneck_group *g = NULL;
            for (size_t k = 0; k < bn.n; k++)
                if (strcmp(bn.groups[k].tool, label) == 0)
                    g = &bn.groups[k];
            free(label);
            ASSERT_TRUE(g != NULL);
            size_t want = j - i < per_tool ? j - i : per_tool;
            ASSERT_EQ_INT(g->ops.n, want);
            for (size_t k = 0; k < want; k++) {
                ASSERT_STREQ(g->ops.items[k].op.tool_use_id, x.v[i + k].uid);
                ASSERT_EQ_INT(g->ops.items[k].id, x.v[i + k].id);
                calls++;
            }
            groups++;
            i = j;
        }
        ASSERT_EQ_INT(bn.n, groups);
        for (size_t k = 1; k < bn.n; k++)
            ASSERT_TRUE(bn.groups[k - 1].ops.items[0].op.duration_ms >=
                        bn.groups[k].ops.items[0].op.duration_ms);
        bottlenecks_free(&bn);
        for (size_t i = 0; i < x.n; i++)
            free(x.v[i].uid);
        free(x.v);
    }
    ASSERT_TRUE(calls > 1000);
    fx_close(&f);
}

/* engine_timed_sum as the rows give it: rollup sums for the whole buckets
 * of the window, and the durations of the raw rows at its edges added one
 * by one in scan order (store_raw_timed_sum reads only those; the sum must
 * be the same to the last bit). */
struct ref_sum {
    struct store *s;
    const struct store_filter *f;
    uint64_t n;
    double sum;
};

static int ref_sum_row(void *ctx, const struct store_row *r)
{
    struct ref_sum *x = ctx;
    if (!isnan(r->op.duration_ms)) {
        x->n++;
        x->sum += r->op.duration_ms;
    }
    return 0;
}

static int ref_sum_part(void *ctx, int level, int64_t from, int64_t to)
{
    struct ref_sum *x = ctx;
    if (level >= 0)
        return store_rollup_sums(x->s, level, from, to, x->f, &x->n, &x->sum);
    struct store_scan sc = {.from_ms = from, .to_ms = to, .f = *x->f, .ids_only = 1};
    return store_scan(x->s, &sc, ref_sum_row, x);
}

static void test_timed_sum_same_as_rows(void)
{
    struct fx f;
    fx_open(&f);
    rng.state = 0x5E3D1ULL;
    static const char *const tools[] = {"Read", "Bash", "shell", "read_file"};
    static const char *const agents[] = {NULL, NULL, "codex", "gemini-cli"};
    for (int i = 0; i < 3000; i++) {
        size_t t = rnd() % 4;
        struct op *op =
            fx_add(&f, tools[t], "/x", rnd() % 9 == 0 ? NAN : (double)(rnd() % 9000000) / 1000.0,
                   NOW - (int64_t)(rnd() % (uint64_t)(4 * DAY)));
        if (agents[t])
            op_sets(&op->agent, agents[t]);
        op_sets(&op->project, rnd() % 2 ? "/p/one" : "/p/two");
        op_sets(&op->session_id, rnd() % 3 ? "sa" : "sb");
    }
    ASSERT_EQ_INT(fx_flush(&f), 0);
    static const struct {
        const char *tool, *agent, *project, *session;
    } filters[] = {{NULL, NULL, NULL, NULL},
                   {"Bash", NULL, NULL, NULL},
                   {NULL, "codex,gemini-cli", NULL, NULL},
                   {NULL, NULL, "/p/two", NULL},
                   {NULL, NULL, NULL, "sb"},
                   {"Read", NULL, "/p/one", "sa"}};
    size_t checked = 0;
    FOR_EACH_ROW(row, 6 * 8)
    {
        size_t k = row % 6, w = row / 6;
        TEST_ROW("filter %zu, window %zu", k, w);
        int64_t a = NOW - (int64_t)(w + 1) * 9 * HOUR - (int64_t)(w * 7919 % 3600000);
        int64_t b = a + (int64_t)(w + 1) * 5 * HOUR + (int64_t)(w * 104729 % 3600000);
        struct engine_query q = window_q(a, b);
        q.tool = filters[k].tool;
        q.agent = filters[k].agent;
        q.project = filters[k].project;
        q.session = filters[k].session;
        uint64_t n;
        double sum;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_timed_sum(f.s, &q, a, b, &n, &sum, err), 0);
        struct store_filter sf;
        ASSERT_EQ_INT(engine_filter(f.s, &q, &sf), 0);
        struct ref_sum x = {f.s, &sf, 0, 0};
        if (sf.session) {
            ASSERT_TRUE(engine_clip_session(f.s, &sf, &a, &b));
            ASSERT_EQ_INT(ref_sum_part(&x, -1, a, b), 0);
        } else {
            ASSERT_EQ_INT(rollup_cover(a, b, ref_sum_part, &x), 0);
        }
        ASSERT_EQ_INT(n, x.n);
        ASSERT_TRUE(n > 0);
        ASSERT_STREQ(fmt_dbl(sum), fmt_dbl(x.sum));
        ASSERT_TRUE(memcmp(&sum, &x.sum, sizeof sum) == 0);
        checked++;
    }
    ASSERT_EQ_INT(checked, 48);
    fx_close(&f);
}

/* ---- trends ------------------------------------------------------------------------------- */

struct trend_case {
    const char *tz;
    int64_t now;
    int days;
    /* ops placed relative to the local midnight that starts day index k */
    struct {
        int day;
        int64_t off;
        double dur;
    } ops[8];
    size_t nops;
    const char *labels[8];
    uint64_t counts[8];
    double avgs[8];
};

static void test_trends_local_days(void)
{
    static const struct trend_case cases[] = {
        {"Asia/Kolkata",
         NOW, /* 2026-02-15 16:00 local */
         4,
         {{1, -1, 100}, {1, 0, 200}, {1, 1, 400}, {3, 60000, 2500}, {2, -1, 50}, {0, 0, 10}},
         6,
         {"2026-02-12", "2026-02-13", "2026-02-14", "2026-02-15"},
         {2, 3, 0, 1},
         {55, (200 + 400 + 50) / 3.0, 0, 2500}},
        {"Asia/Kathmandu",
         NOW,
         3,
         {{1, -1, 100}, {1, 0, 300}, {2, 15 * 60000, 3000}},
         3,
         {"2026-02-13", "2026-02-14", "2026-02-15"},
         {1, 1, 1},
         {100, 300, 3000}},
        /* New York, across the spring-forward day (23 hours). */
        {"America/New_York",
         1773158400000LL, /* 2026-03-10 12:00 -04:00 */
         4,
         {{1, 23 * HOUR - 1, 700}, {2, 0, 900}, {2, 23 * HOUR - 1, 1100}, {3, 0, 1300}},
         4,
         {"2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"},
         {0, 1, 2, 1},
         {0, 700, 1000, 1300}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct trend_case *tc = &cases[c];
        set_tz(tc->tz);
        struct fx f;
        fx_open(&f);
        f.now = tc->now;
        int64_t today = tpt_local_day_start(tc->now);
        for (size_t i = 0; i < tc->nops; i++) {
            int64_t start = tpt_local_day_add(today, tc->ops[i].day - tc->days + 1);
            fx_add(&f, "Read", "f", tc->ops[i].dur, start + tc->ops[i].off);
        }
        ASSERT_EQ_INT(fx_flush(&f), 0);
        struct engine_query q = window_q(0, 1); /* ignored by trends */
        struct trends tr;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(engine_trends(f.s, &q, tc->days, tc->now, &tr, err), 0);
        ASSERT_EQ_INT(tr.n, tc->days);
        for (int d = 0; d < tc->days; d++) {
            if (strcmp(tr.days[d].label, tc->labels[d]) || tr.days[d].count != tc->counts[d])
                fprintf(stderr, "  %s day %d: %s count %llu (want %s %llu)\n", tc->tz, d,
                        tr.days[d].label, (unsigned long long)tr.days[d].count, tc->labels[d],
                        (unsigned long long)tc->counts[d]);
            ASSERT_STREQ(tr.days[d].label, tc->labels[d]);
            ASSERT_EQ_INT(tr.days[d].count, tc->counts[d]);
            ASSERT_EQ_DBL(tr.days[d].avg_ms, tc->avgs[d], 1e-9);
            ASSERT_EQ_INT(tr.days[d].start_ms, tpt_local_day_add(today, d - tc->days + 1));
            /* Slow calls of the day, by where each op's start falls. */
            uint64_t slow = 0;
            int64_t d0 = tpt_local_day_add(today, d - tc->days + 1), d1 = tpt_local_day_add(d0, 1);
            for (size_t i = 0; i < tc->nops; i++) {
                int64_t ts =
                    tpt_local_day_add(today, tc->ops[i].day - tc->days + 1) + tc->ops[i].off;
                slow += ts >= d0 && ts < d1 && tc->ops[i].dur >= 2000;
            }
            ASSERT_EQ_INT(tr.days[d].slow, slow);
            if (!tr.days[d].count)
                ASSERT_EQ_DBL(tr.days[d].p95_ms, 0, 0);
        }
        trends_free(&tr);
        /* days out of range */
        ASSERT_EQ_INT(engine_trends(f.s, &q, 0, tc->now, &tr, err), TP_EINVAL);
        ASSERT_CONTAINS(err, "days");
        ASSERT_EQ_INT(engine_trends(f.s, &q, TP_MAX_TREND_DAYS + 1, tc->now, &tr, err), TP_EINVAL);
        fx_close(&f);
    }
    set_tz("UTC");
}

/* Every day is present, zeros included, and a filter that matches
 * nothing still lists the days. */
static void test_trends_every_day(void)
{
    set_tz("Asia/Kolkata");
    struct fx f;
    fx_open(&f);
    fx_add(&f, "Read", "f", 3000, NOW - 3 * DAY);
    fx_add(&f, "Read", "f", 1000, NOW - 3 * DAY + 1000);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct engine_query q = window_q(0, 1);
    struct trends tr;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_trends(f.s, &q, 30, NOW, &tr, err), 0);
    ASSERT_EQ_INT(tr.n, 30);
    uint64_t total = 0;
    for (size_t d = 0; d < tr.n; d++) {
        total += tr.days[d].count;
        if (d)
            ASSERT_EQ_INT(tr.days[d].start_ms - tr.days[d - 1].start_ms, DAY);
    }
    ASSERT_EQ_INT(total, 2);
    ASSERT_STREQ(tr.days[29].label, "2026-02-15");
    ASSERT_STREQ(tr.days[26].label, "2026-02-12");
    ASSERT_EQ_INT(tr.days[26].count, 2);
    ASSERT_EQ_INT(tr.days[26].slow, 1);
    ASSERT_EQ_DBL(tr.days[26].avg_ms, 2000, 1e-9);
    ASSERT_EQ_DBL(tr.days[26].p95_ms, 3000, 30);
    trends_free(&tr);
    q.tool = "Bash";
    ASSERT_EQ_INT(engine_trends(f.s, &q, 7, NOW, &tr, err), 0);
    ASSERT_EQ_INT(tr.n, 7);
    for (size_t d = 0; d < tr.n; d++)
        ASSERT_EQ_INT(tr.days[d].count, 0);
    ASSERT_STREQ(tr.days[0].label, "2026-02-09");
    trends_free(&tr);
    fx_close(&f);
    set_tz("UTC");
}

static void test_resources(void)
{
    struct fx f;
    fx_open(&f);
    fx_add(&f, "Read", "f", 1, NOW - 1000);
    ASSERT_EQ_INT(fx_flush(&f), 0);
    struct resources r;
    ASSERT_EQ_INT(engine_resources(f.s, &r), 0);
    ASSERT_EQ_INT(r.pid, (long)getpid());
    ASSERT_TRUE(r.memory_mb > 0.5 && r.memory_mb < 4096);
    ASSERT_TRUE(r.num_threads >= 1);
    ASSERT_TRUE(r.cpu_percent >= 0);
    ASSERT_EQ_INT(r.operations, 1);
    ASSERT_TRUE(r.db_bytes > 0);
    /* A SQLite store keeps no people: the dashboard shows no team view. */
    ASSERT_TRUE(r.store && strcmp(r.store, "sqlite") == 0);
    ASSERT_EQ_INT(r.team_store, 0);
    fx_close(&f);
}

TEST_MAIN(TEST_CASE(test_window_parse), TEST_CASE(test_stats_original_scenario),
          TEST_CASE(test_stats_empty_store), TEST_CASE(test_stats_filters),
          TEST_CASE(test_stats_unaligned_windows), TEST_CASE(test_stats_random_windows),
          TEST_CASE(test_stats_exact_vs_sketch), TEST_CASE(test_slow), TEST_CASE(test_bottlenecks),
          TEST_CASE(test_hotspots_brute_force), TEST_CASE(test_hotspots_merge_and_unknown),
          TEST_CASE(test_hotspots_top_and_examples), TEST_CASE(test_bottlenecks_brute_force),
          TEST_CASE(test_timed_sum_same_as_rows), TEST_CASE(test_open_end_windows),
          TEST_CASE(test_trends_local_days), TEST_CASE(test_trends_every_day),
          TEST_CASE(test_resources))
