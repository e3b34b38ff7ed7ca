/*
 * test_compare.c - two periods side by side: the interval ranks (worked out
 * by hand from the formula in compare.h), the decision on samples drawn
 * from known distributions (one distribution twice: never flagged; a
 * doubled p95 on a large sample: flagged, its p50 not), and engine_compare
 * over a real store, exact and from sketches, against counts and
 * quantiles computed here from the stored durations.
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
#include "engine/compare.h"
#include "harness.h"
#include "store/store.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

/* ---- samples ------------------------------------------------------------------ */

/* n durations of a log-normal distribution (median m, spread s), sorted. */
static double *lognormal(struct fixture_rng *r, size_t n, double m, double s)
{
    double *v = xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        /* Box-Muller. */
        double u1 = fixture_rand_unit(r), u2 = fixture_rand_unit(r);
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        v[i] = m * exp(s * z);
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double x = v[k];
            v[k] = v[k - 1];
            v[k - 1] = x;
        }
    return v;
}

static void side(const double *v, size_t n, double p, double *q, double *lo, double *hi)
{
    struct compare_sample smp = {v, n, NULL};
    compare_quantile(&smp, p, q, lo, hi);
}

static enum compare_verdict decide(const double *a, size_t na, const double *b, size_t nb, double p)
{
    double qa, la, ha, qb, lb, hb;
    side(a, na, p, &qa, &la, &ha);
    side(b, nb, p, &qb, &lb, &hb);
    return compare_decide(na, qa, la, ha, nb, qb, lb, hb);
}

/* ---- the ranks ---------------------------------------------------------------- */

static void test_ranks(void)
{
    uint64_t lo, hi;
    /* n = 100, p = 0.5: np = 50, 1.96 * sqrt(25) = 9.8: ranks 40 and 61. */
    ASSERT_EQ_INT(compare_ranks(100, 0.5, &lo, &hi), 0);
    ASSERT_EQ_INT(lo, 40);
    ASSERT_EQ_INT(hi, 61);
    /* n = 200, p = 0.95: np = 190, 1.96 * sqrt(9.5) = 6.04: ranks 183 and 198. */
    ASSERT_EQ_INT(compare_ranks(200, 0.95, &lo, &hi), 0);
    ASSERT_EQ_INT(lo, 183);
    ASSERT_EQ_INT(hi, 198);
    /* n = 100, p = 0.95: the upper rank would be 101: no interval. */
    ASSERT_EQ_INT(compare_ranks(100, 0.95, &lo, &hi), -1);
    /* n = 7, p = 0.5: np = 3.5, 1.96 * sqrt(1.75) = 2.59: the lower rank 0. */
    ASSERT_EQ_INT(compare_ranks(7, 0.5, &lo, &hi), -1);
    ASSERT_EQ_INT(compare_ranks(0, 0.5, &lo, &hi), -1);
    /* The smallest n with a p95 interval: 110 (at 109, ceil(103.55 + 4.46) + 1
     * = 110 is past the last rank; at 110, ceil(104.5 + 4.48) + 1 = 110). */
    uint64_t n = 1;
    while (compare_ranks(n, 0.95, &lo, &hi) != 0)
        n++;
    ASSERT_EQ_INT(n, 110);
    /* Quantiles of a sample: nearest rank, and the median of an even count
     * is the mean of the middle pair (as stats computes it). */
    double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    double q, l, h;
    side(v, 10, 0.5, &q, &l, &h);
    ASSERT_EQ_DBL(q, 5.5, 0);
    /* np = 5, 1.96 * sqrt(2.5) = 3.10: ranks floor(1.90) = 1 and ceil(8.10) + 1 = 10. */
    ASSERT_EQ_DBL(l, 1, 0);
    ASSERT_EQ_DBL(h, 10, 0);
    side(v, 10, 0.95, &q, &l, &h);
    ASSERT_EQ_DBL(q, 10, 0);
}

/* ---- the decision ---------------------------------------------------------------- */

static void test_same_distribution_is_never_flagged(void)
{
    struct fixture_rng r = {0x9E3779B97F4A7C15ULL};
    /* Forty pairs of samples of one distribution, of several sizes. */
    static const size_t sizes[] = {30, 120, 500, 2000, 5000};
    size_t flagged = 0, judged = 0;
    for (size_t k = 0; k < 40; k++) {
        size_t n = sizes[k % 5];
        double *a = lognormal(&r, n, 120, 0.8), *b = lognormal(&r, n + k, 120, 0.8);
        for (int qi = 0; qi < 2; qi++) {
            enum compare_verdict v = decide(a, n, b, n + k, qi ? 0.95 : 0.5);
            judged += v != CMP_TOO_FEW;
            flagged += v == CMP_SLOWER || v == CMP_FASTER;
        }
        free(a);
        free(b);
    }
    ASSERT_EQ_INT(flagged, 0);
    ASSERT_TRUE(judged >= 64); /* every p50 judged; p95 from 120 calls on */
}

static void test_doubled_p95_is_flagged(void)
{
    struct fixture_rng r = {0xD1B54A32D192ED03ULL};
    size_t n = 2000;
    double *base = lognormal(&r, n, 120, 0.6), *cur = lognormal(&r, n, 120, 0.6);
    /* The slowest 10 % of the current period take twice as long: its p95
     * doubles, its median does not move. */
    for (size_t i = n - n / 10; i < n; i++)
        cur[i] *= 2;
    double qa, la, ha, qb, lb, hb;
    side(cur, n, 0.95, &qa, &la, &ha);
    side(base, n, 0.95, &qb, &lb, &hb);
    ASSERT_TRUE(qa / qb > 1.8 && qa / qb < 2.2);
    ASSERT_EQ_INT(compare_decide(n, qa, la, ha, n, qb, lb, hb), CMP_SLOWER);
    ASSERT_EQ_INT(decide(cur, n, base, n, 0.5), CMP_SAME);
    /* And back: the baseline is faster than the current period. */
    ASSERT_EQ_INT(decide(base, n, cur, n, 0.95), CMP_FASTER);
    /* The same change on a small sample cannot be told: too few for p95. */
    ASSERT_EQ_INT(decide(cur, 60, base, 60, 0.95), CMP_TOO_FEW);
    ASSERT_EQ_INT(decide(cur, 19, base, 2000, 0.5), CMP_TOO_FEW);
    free(base);
    free(cur);
    /* Disjoint intervals but a move under 10 %: not flagged. */
    ASSERT_EQ_INT(compare_decide(5000, 105, 104, 106, 5000, 100, 99, 101), CMP_SAME);
    ASSERT_EQ_INT(compare_decide(5000, 111, 110, 112, 5000, 100, 99, 101), CMP_SLOWER);
}

/* ---- over a store ------------------------------------------------------------------ */

struct stored {
    char *dir;
    struct store *s;
};

static int store_ops(struct stored *st, struct op *ops, size_t n)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++)
        if (op_normalize(&ops[i], NOW, err) != 0) {
            fprintf(stderr, "op %zu: %s\n", i, err);
            return -1;
        }
    struct store_result r = {0};
    if (store_insert(st->s, ops, n, NULL, &r, err) != 0) {
        fprintf(stderr, "store_insert: %s\n", err);
        return -1;
    }
    return r.inserted == n ? 0 : -1;
}

static struct engine_query window(int64_t since, int64_t until)
{
    struct engine_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.w.name, sizeof q.w.name, "custom");
    q.w.since_ms = since;
    q.w.until_ms = until;
    return q;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Store per period: Read calls from the samples given, 7 Bash calls now and
 * 3 before, 1 Grep before only, and 2 Write calls without a duration now. */
static void fill(struct stored *st, const double *cur, const double *base, size_t n, int *ok)
{
    size_t total = 2 * n + 7 + 3 + 1 + 2, k = 0;
    struct op *ops = xcalloc(total, sizeof *ops);
    for (size_t i = 0; i < total; i++)
        op_init(&ops[i]);
    char id[40];
#define ADD(tool_, dur_, ts_)                                                                      \
    do {                                                                                           \
        op_sets(&ops[k].tool, tool_);                                                              \
        ops[k].duration_ms = (dur_);                                                               \
        ops[k].ts_ms = (ts_);                                                                      \
        ops[k].source = OP_SRC_HOOK;                                                               \
        snprintf(id, sizeof id, "toolu_cmp%08zu", k);                                              \
        op_sets(&ops[k].tool_use_id, id);                                                          \
        k++;                                                                                       \
    } while (0)
    /* Current: [NOW - 7 d, NOW); baseline: [NOW - 14 d, NOW - 7 d). Calls
     * spread over each period, away from its edges. */
    for (size_t i = 0; i < n; i++) {
        int64_t off = (int64_t)(i * (6 * DAY) / n) + HOUR;
        ADD("Read", cur[i], NOW - 7 * DAY + off);
        ADD("Read", base[i], NOW - 14 * DAY + off);
    }
    for (int i = 0; i < 7; i++)
        ADD("Bash", 1000 + 100 * i, NOW - DAY - i * HOUR);
    for (int i = 0; i < 3; i++)
        ADD("Bash", 900 + 10 * i, NOW - 8 * DAY - i * HOUR);
    ADD("Grep", 50, NOW - 9 * DAY);
    ADD("Write", NAN, NOW - 2 * DAY);
    ADD("Write", NAN, NOW - 2 * DAY - HOUR);
#undef ADD
    *ok = store_ops(st, ops, k) == 0;
    for (size_t i = 0; i < total; i++)
        op_clear(&ops[i]);
    free(ops);
}

static const struct compare_row *row_of(const struct comparison *c, const char *tool)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rows[i].tool, tool) == 0)
            return &c->rows[i];
    return NULL;
}

static void check_store(size_t n, int want_exact)
{
    struct stored st;
    st.dir = fixture_tmpdir("compare");
    st.s = fixture_store_open(st.dir);
    struct fixture_rng r = {0xA0761D6478BD642FULL + n};
    double *cur = lognormal(&r, n, 200, 0.5), *base = lognormal(&r, n, 200, 0.5);
    for (size_t i = n - n / 10; i < n; i++)
        cur[i] *= 2;
    int ok;
    fill(&st, cur, base, n, &ok);
    ASSERT_TRUE(ok);
    struct engine_query q = window(NOW - 7 * DAY, NOW);
    struct engine_window base_w = {.since_ms = NOW - 14 * DAY, .until_ms = NOW - 7 * DAY};
    snprintf(base_w.name, sizeof base_w.name, "previous");
    struct comparison c;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_compare(st.s, &q, &base_w, &c, err), 0);
    ASSERT_EQ_INT(c.exact, want_exact);
    /* Counts, exactly: every call of each period, timed or not. */
    ASSERT_EQ_INT(c.all.cur.count, n + 7 + 2);
    ASSERT_EQ_INT(c.all.cur.timed, n + 7);
    ASSERT_EQ_INT(c.all.base.count, n + 3 + 1);
    ASSERT_EQ_INT(c.n, 4);                /* Read, Bash, Write, Grep */
    ASSERT_STREQ(c.rows[0].tool, "Read"); /* most calls now first */
    const struct compare_row *rd = row_of(&c, "Read"), *sh = row_of(&c, "Bash");
    const struct compare_row *gr = row_of(&c, "Grep"), *wr = row_of(&c, "Write");
    ASSERT_TRUE(rd && sh && gr && wr);
    ASSERT_EQ_INT(rd->cur.count, n);
    ASSERT_EQ_INT(rd->base.count, n);
    ASSERT_EQ_INT(sh->cur.count, 7);
    ASSERT_EQ_INT(sh->base.count, 3);
    ASSERT_EQ_INT(gr->cur.count, 0);
    ASSERT_EQ_INT(gr->base.count, 1);
    ASSERT_EQ_INT(wr->cur.count, 2);
    ASSERT_EQ_INT(wr->cur.timed, 0);
    ASSERT_TRUE(isnan(wr->cur.p50_ms) && isnan(gr->cur.p95_ms));
    /* The doubled p95 of Read is flagged, its median is not; the small
     * groups are too small to say. */
    ASSERT_EQ_INT(rd->p95, CMP_SLOWER);
    ASSERT_EQ_INT(rd->p50, CMP_SAME);
    ASSERT_EQ_INT(sh->p50, CMP_TOO_FEW);
    ASSERT_EQ_INT(wr->p95, CMP_TOO_FEW);
    /* Quantiles: exactly the sample's (stored durations are whole
     * microseconds), or within the sketch's 1 %. */
    double *sorted = xcalloc(n, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = round(cur[i] * 1000) / 1000;
    qsort(sorted, n, sizeof *sorted, cmp_dbl);
    double p95 = sorted[(size_t)ceil(0.95 * (double)n) - 1];
    double p50 = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    double tol = want_exact ? 1e-6 : 0.011;
    ASSERT_EQ_DBL(rd->cur.p95_ms / p95, 1, tol);
    if (want_exact)
        ASSERT_EQ_DBL(rd->cur.p50_ms, p50, 1e-6);
    else /* the sketch's median is a nearest rank */
        ASSERT_EQ_DBL(rd->cur.p50_ms / sorted[(size_t)ceil(0.5 * (double)n) - 1], 1, tol);
    /* Bash now: 1000, 1100, ..., 1600: the median is 1300. */
    ASSERT_TRUE(fabs(sh->cur.p50_ms - 1300) <= (want_exact ? 0 : 13));
    /* Intervals hold their quantile. */
    ASSERT_TRUE(rd->cur.p95_lo <= rd->cur.p95_ms && rd->cur.p95_ms <= rd->cur.p95_hi);
    ASSERT_TRUE(rd->base.p50_lo <= rd->base.p50_ms && rd->base.p50_ms <= rd->base.p50_hi);
    comparison_free(&c);

    /* By canonical name, and a tool filter. */
    q.by = BY_CANONICAL;
    ASSERT_EQ_INT(engine_compare(st.s, &q, &base_w, &c, err), 0);
    ASSERT_TRUE(row_of(&c, "read") && row_of(&c, "shell"));
    ASSERT_EQ_INT(row_of(&c, "read")->p95, CMP_SLOWER);
    comparison_free(&c);
    q.by = BY_TOOL;
    q.tool = "Bash";
    ASSERT_EQ_INT(engine_compare(st.s, &q, &base_w, &c, err), 0);
    ASSERT_EQ_INT(c.n, 1);
    ASSERT_EQ_INT(c.all.cur.count, 7);
    ASSERT_EQ_INT(c.all.base.count, 3);
    comparison_free(&c);
    free(sorted);
    free(cur);
    free(base);
    store_close(st.s);
    fixture_rm_rf(st.dir);
    free(st.dir);
}

static void test_store_exact(void)
{
    check_store(2000, 1);
}

/* Two periods of one distribution, read back from a store (exactly and from
 * the sketches): nothing is flagged, though each period has its own sample. */
static void check_store_same(size_t n, int want_exact)
{
    struct stored st;
    st.dir = fixture_tmpdir("compare-same");
    st.s = fixture_store_open(st.dir);
    struct fixture_rng r = {0x2545F4914F6CDD1DULL + n};
    double *cur = lognormal(&r, n, 200, 0.5), *base = lognormal(&r, n, 200, 0.5);
    int ok;
    fill(&st, cur, base, n, &ok);
    ASSERT_TRUE(ok);
    struct engine_query q = window(NOW - 7 * DAY, NOW);
    struct engine_window base_w = {.since_ms = NOW - 14 * DAY, .until_ms = NOW - 7 * DAY};
    snprintf(base_w.name, sizeof base_w.name, "previous");
    struct comparison c;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_compare(st.s, &q, &base_w, &c, err), 0);
    ASSERT_EQ_INT(c.exact, want_exact);
    const struct compare_row *rd = row_of(&c, "Read");
    ASSERT_TRUE(rd != NULL);
    ASSERT_EQ_INT(rd->cur.count, n);
    ASSERT_EQ_INT(rd->base.count, n);
    ASSERT_EQ_INT(rd->p50, CMP_SAME);
    ASSERT_EQ_INT(rd->p95, CMP_SAME);
    comparison_free(&c);
    free(cur);
    free(base);
    store_close(st.s);
    fixture_rm_rf(st.dir);
    free(st.dir);
}

static void test_store_same_distribution(void)
{
    check_store_same(2000, 1);
    check_store_same(6000, 0);
}

/* Over 10,000 timed calls: from the sketches, the same verdicts. */
static void test_store_sketch(void)
{
    check_store(6000, 0);
}

TEST_MAIN(TEST_CASE(test_ranks), TEST_CASE(test_same_distribution_is_never_flagged),
          TEST_CASE(test_doubled_p95_is_flagged), TEST_CASE(test_store_exact),
          TEST_CASE(test_store_sketch), TEST_CASE(test_store_same_distribution))
