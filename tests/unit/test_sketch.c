/*
 * test_sketch.c - unit tests of the DDSketch (src/store/sketch.c).
 *
 * The accuracy test is the one the sketch exists for: a million durations
 * from each of several distributions shaped like real tool calls, with
 * p50/p95/p99 compared against the exact nearest-rank values of the sorted
 * data. The other tests pin the algebra (merge is exact and order-free,
 * remove undoes add), the blob codec (round trip, canonical bytes, and a
 * table of malformed blobs that must be rejected without touching the
 * sketch) and the edges (zero bin, clamping, the empty sketch).
 *
 * Random data comes from a seeded splitmix64 so that every run sees the
 * same numbers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#include "core/buf.h"
#include "core/err.h"
#include "store/sketch.h"

#define N_VALUES 1000000
/* 1 % plus room for the rounding of log() at a bin boundary. */
#define REL_TOL (SKETCH_ALPHA * (1 + 1e-9))

/* ---- helpers ------------------------------------------------------------- */

static struct fixture_rng rng;

static double rng_unit(void)
{
    return fixture_rand_unit(&rng);
}

static double rng_normal(void)
{
    /* Box-Muller; one of the pair is enough here. */
    return sqrt(-2 * log(rng_unit())) * cos(2 * M_PI * rng_unit());
}

static double rng_lognormal(double median, double sigma)
{
    return median * exp(sigma * rng_normal());
}

enum dist { D_LOGNORMAL, D_EXPONENTIAL, D_UNIFORM, D_BIMODAL, D_PARETO, D_COUNT };
static const char *const dist_names[] = {"lognormal", "exponential", "uniform", "bimodal",
                                         "pareto"};

static double draw(enum dist d)
{
    switch (d) {
    case D_LOGNORMAL: return rng_lognormal(200, 1.5);
    case D_EXPONENTIAL: return -300 * log(rng_unit()); /* mean 300 ms */
    case D_UNIFORM: return 1 + 9999 * rng_unit();
    case D_BIMODAL:
        /* Fast reads around 5 ms, and slow bash commands around 8 s. */
        return rng_unit() < 0.7 ? rng_lognormal(5, 0.3) : rng_lognormal(8000, 0.25);
    case D_PARETO: return 10 * pow(rng_unit(), -1 / 1.2); /* x_m = 10 ms, alpha 1.2 */
    default: return 0;
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fill v with n draws of d (seeded by d), sorted ascending. */
static void sample(double *v, size_t n, enum dist d)
{
    rng.state = 0x5eed0000ULL + (uint64_t)d;
    for (size_t i = 0; i < n; i++)
        v[i] = draw(d);
    qsort(v, n, sizeof *v, cmp_dbl);
}

/* The exact nearest-rank quantile of sorted v, the definition sketch.h uses. */
static double exact_quantile(const double *v, size_t n, double q)
{
    double r = ceil(q * (double)n);
    size_t rank = r < 1 ? 1 : (size_t)r;
    return v[rank - 1];
}

static int sketch_equal(const struct sketch *a, const struct sketch *b)
{
    if (a->count != b->count || a->zero_count != b->zero_count || a->nbins != b->nbins)
        return 0;
    if (a->nbins == 0)
        return 1;
    return a->min_index == b->min_index &&
           memcmp(a->bins, b->bins, a->nbins * sizeof *a->bins) == 0;
}

static void sketch_copy(struct sketch *dst, const struct sketch *src)
{
    sketch_init(dst);
    sketch_merge(dst, src);
}

/* Exact count and sum of sorted v at or above t (or strictly above it). */
static size_t count_from(const double *v, size_t n, double t, int strict)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strict ? v[mid] <= t : v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n - lo;
}

static double sum_from(const double *v, size_t n, double t, int strict)
{
    double sum = 0;
    for (size_t i = n - count_from(v, n, t, strict); i < n; i++)
        sum += v[i];
    return sum;
}

/* ---- index arithmetic ---------------------------------------------------- */

static void test_index_and_value(void)
{
    double g = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
    int32_t lo = (int32_t)ceil(log(SKETCH_MIN_MS) / log(g));
    int32_t hi = (int32_t)ceil(log(SKETCH_MAX_MS) / log(g));
    ASSERT_EQ_INT(sketch_index(SKETCH_MIN_MS), lo);
    ASSERT_EQ_INT(sketch_index(SKETCH_MAX_MS), hi);
    ASSERT_EQ_INT(lo, -345);
    ASSERT_EQ_INT(hi, 1152);
    ASSERT_EQ_INT(sketch_index(1.0), 0);
    /* Every representative is inside its own bin and within alpha of both of
     * the bin's ends. */
    for (int32_t i = lo; i <= hi; i++) {
        double rep = sketch_value(i);
        ASSERT_EQ_DBL(rep, 2 * pow(g, i) / (g + 1), rep * 1e-12);
        ASSERT_EQ_INT(sketch_index(rep), i);
        ASSERT_TRUE(fabs(rep - pow(g, i)) <= REL_TOL * pow(g, i));
        ASSERT_TRUE(fabs(rep - pow(g, i - 1)) <= REL_TOL * pow(g, i - 1));
    }
}

/* ---- accuracy ------------------------------------------------------------ */

static void test_accuracy_1m(void)
{
    static const double qs[] = {0.5, 0.95, 0.99};
    double *v = malloc(N_VALUES * sizeof *v);
    struct sketch s;
    sketch_init(&s);
    for (int d = 0; d < D_COUNT; d++) {
        sample(v, N_VALUES, (enum dist)d);
        sketch_reset(&s);
        /* Add in generation order would be nicer, but the sketch is order
         * independent (tested below) and the sorted copy is what we have. */
        for (size_t i = 0; i < N_VALUES; i++)
            sketch_add(&s, v[i], 1);
        ASSERT_EQ_INT(s.count, N_VALUES);
        for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
            double exact = exact_quantile(v, N_VALUES, qs[k]);
            double got = sketch_quantile(&s, qs[k]);
            if (!(fabs(got - exact) <= REL_TOL * exact)) {
                free(v);
                sketch_free(&s);
                FAIL_("%s p%g: sketch %.6f, exact %.6f (%.3f %%)", dist_names[d], qs[k] * 100, got,
                      exact, 100 * (got - exact) / exact);
            }
        }
        /* The extremes are quantiles too; the exponential's minimum is below
         * a microsecond, so it is in the zero bin and reads as 0. */
        double lo = v[0] < SKETCH_MIN_MS ? 0 : v[0];
        ASSERT_TRUE(fabs(sketch_quantile(&s, 0) - lo) <= REL_TOL * lo);
        ASSERT_TRUE(fabs(sketch_quantile(&s, 1) - v[N_VALUES - 1]) <= REL_TOL * v[N_VALUES - 1]);
    }
    free(v);
    sketch_free(&s);
}

/* ---- merge --------------------------------------------------------------- */

static void test_merge_halves(void)
{
    struct sketch all, a, b;
    sketch_init(&all);
    sketch_init(&a);
    sketch_init(&b);
    rng.state = 42;
    for (int i = 0; i < 100000; i++) {
        double x = draw((enum dist)(i % D_COUNT));
        sketch_add(&all, x, 1);
        sketch_add(i % 2 ? &a : &b, x, 1);
    }
    sketch_add(&a, 0, 3); /* the zero bin merges too */
    sketch_add(&all, 0, 3);
    struct sketch ab, ba;
    sketch_copy(&ab, &a);
    sketch_merge(&ab, &b);
    sketch_copy(&ba, &b);
    sketch_merge(&ba, &a);
    ASSERT_TRUE(sketch_equal(&ab, &all));
    ASSERT_TRUE(sketch_equal(&ba, &all));
    for (double q = 0; q <= 1; q += 0.05)
        ASSERT_EQ_DBL(sketch_quantile(&ab, q), sketch_quantile(&all, q), 0);
    sketch_free(&all);
    sketch_free(&a);
    sketch_free(&b);
    sketch_free(&ab);
    sketch_free(&ba);
}

static void test_order_independence(void)
{
    enum { PARTS = 8, PER = 5000 };
    static double v[PARTS * PER];
    rng.state = 7;
    for (int i = 0; i < PARTS * PER; i++)
        v[i] = draw((enum dist)(i % D_COUNT));

    struct sketch fwd, rev, parts[PARTS], merged_fwd, merged_rev;
    sketch_init(&fwd);
    sketch_init(&rev);
    for (int i = 0; i < PARTS * PER; i++) {
        sketch_add(&fwd, v[i], 1);
        sketch_add(&rev, v[PARTS * PER - 1 - i], 1);
    }
    ASSERT_TRUE(sketch_equal(&fwd, &rev));

    /* Parts with disjoint-ish ranges force growth on both sides. */
    sketch_init(&merged_fwd);
    sketch_init(&merged_rev);
    for (int p = 0; p < PARTS; p++) {
        sketch_init(&parts[p]);
        for (int i = 0; i < PER; i++)
            sketch_add(&parts[p], v[p * PER + i], 1);
    }
    static const int order[PARTS] = {3, 7, 0, 5, 1, 6, 2, 4};
    for (int p = 0; p < PARTS; p++) {
        sketch_merge(&merged_fwd, &parts[p]);
        sketch_merge(&merged_rev, &parts[order[p]]);
    }
    ASSERT_TRUE(sketch_equal(&merged_fwd, &fwd));
    ASSERT_TRUE(sketch_equal(&merged_rev, &fwd));
    for (int p = 0; p < PARTS; p++)
        sketch_free(&parts[p]);
    sketch_free(&fwd);
    sketch_free(&rev);
    sketch_free(&merged_fwd);
    sketch_free(&merged_rev);
}

static void test_merge_grows_both_sides(void)
{
    struct sketch a, b;
    sketch_init(&a);
    sketch_init(&b);
    sketch_add(&a, 100, 1);
    sketch_add(&b, 0.01, 2);
    sketch_add(&b, 1e7, 3);
    sketch_merge(&a, &b);
    ASSERT_EQ_INT(a.count, 6);
    ASSERT_EQ_INT(a.min_index, sketch_index(0.01));
    ASSERT_EQ_INT(a.nbins, sketch_index(1e7) - sketch_index(0.01) + 1);
    ASSERT_EQ_INT(a.bins[0], 2);
    ASSERT_EQ_INT(a.bins[sketch_index(100) - a.min_index], 1);
    ASSERT_EQ_INT(a.bins[a.nbins - 1], 3);
    ASSERT_EQ_DBL(sketch_quantile(&a, 0.5), 100, 1);
    sketch_free(&a);
    sketch_free(&b);
}

/* ---- blob codec ---------------------------------------------------------- */

static void test_roundtrip(void)
{
    struct sketch s, t;
    struct buf b, b2;
    sketch_init(&s);
    sketch_init(&t);
    buf_init(&b, TP_SKETCH_MAX_BLOB);
    buf_init(&b2, TP_SKETCH_MAX_BLOB);
    rng.state = 99;
    for (int i = 0; i < 20000; i++)
        sketch_add(&s, draw((enum dist)(i % D_COUNT)), 1 + (uint64_t)(i % 3));
    sketch_add(&s, 0, 5);
    sketch_add(&s, 1e15, 1);                         /* clamped: the highest index */
    sketch_add(&s, SKETCH_MIN_MS, 1000000000000ULL); /* the lowest, a big count */

    ASSERT_EQ_INT(sketch_encode(&s, &b), 0);
    ASSERT_TRUE(b.len <= TP_SKETCH_MAX_BLOB);
    ASSERT_EQ_INT((unsigned char)b.data[0], 0x01);
    ASSERT_EQ_INT(sketch_decode_add(&t, b.data, b.len), 0);
    ASSERT_TRUE(sketch_equal(&s, &t));
    /* The encoding is canonical: decoding and encoding again gives the same
     * bytes. */
    ASSERT_EQ_INT(sketch_encode(&t, &b2), 0);
    ASSERT_EQ_INT(b2.len, b.len);
    ASSERT_TRUE(memcmp(b.data, b2.data, b.len) == 0);

    /* Known bytes: zero_count 2, bins -1 (count 1) and 1 (count 300). */
    struct sketch k;
    sketch_init(&k);
    sketch_add(&k, 0, 2);
    sketch_add(&k, sketch_value(-1), 1);
    sketch_add(&k, sketch_value(1), 300);
    buf_reset(&b);
    ASSERT_EQ_INT(sketch_encode(&k, &b), 0);
    static const unsigned char want[] = {0x01, 0x02, 0x02, 0x01, 0x01, 0x04, 0xac, 0x02};
    ASSERT_EQ_INT(b.len, sizeof want);
    ASSERT_TRUE(memcmp(b.data, want, sizeof want) == 0);

    /* The empty sketch. */
    struct sketch e;
    sketch_init(&e);
    buf_reset(&b);
    ASSERT_EQ_INT(sketch_encode(&e, &b), 0);
    ASSERT_EQ_INT(b.len, 3);
    ASSERT_EQ_INT(sketch_decode_add(&e, b.data, b.len), 0);
    ASSERT_EQ_INT(e.count, 0);
    ASSERT_EQ_INT(e.nbins, 0);

    /* Encoding appends, and reports a full buffer. */
    struct buf small;
    buf_init(&small, 8);
    ASSERT_EQ_INT(sketch_encode(&s, &small), TP_ETOOBIG);
    ASSERT_EQ_INT(small.len, 0);
    buf_free(&small);

    sketch_free(&s);
    sketch_free(&t);
    sketch_free(&k);
    sketch_free(&e);
    buf_free(&b);
    buf_free(&b2);
}

static void test_decode_adds(void)
{
    struct sketch a, b, want;
    struct buf blob;
    sketch_init(&a);
    sketch_init(&b);
    buf_init(&blob, TP_SKETCH_MAX_BLOB);
    rng.state = 5;
    for (int i = 0; i < 5000; i++) {
        sketch_add(&a, draw(D_LOGNORMAL), 1);
        sketch_add(&b, draw(D_BIMODAL), 1);
    }
    sketch_add(&a, 0, 1);
    sketch_add(&b, 0, 2);
    sketch_copy(&want, &a);
    sketch_merge(&want, &b);
    ASSERT_EQ_INT(sketch_encode(&b, &blob), 0);
    ASSERT_EQ_INT(sketch_decode_add(&a, blob.data, blob.len), 0);
    ASSERT_TRUE(sketch_equal(&a, &want));
    ASSERT_EQ_INT(a.zero_count, 3);
    sketch_free(&a);
    sketch_free(&b);
    sketch_free(&want);
    buf_free(&blob);
}

struct bad_blob {
    const char *what;
    size_t len;
    unsigned char bytes[24];
};

static void test_decode_malformed(void)
{
    static const struct bad_blob bad[] = {
        {"empty", 0, {0}},
        {"version only", 1, {0x01}},
        {"bad version", 3, {0x02, 0x00, 0x00}},
        {"version zero", 3, {0x00, 0x00, 0x00}},
        {"no bin count", 2, {0x01, 0x00}},
        {"missing pair", 3, {0x01, 0x00, 0x01}},
        {"missing count", 4, {0x01, 0x00, 0x01, 0x02}},
        {"zero count", 5, {0x01, 0x00, 0x01, 0x02, 0x00}},
        {"trailing byte", 4, {0x01, 0x00, 0x00, 0x00}},
        {"trailing after bins", 6, {0x01, 0x00, 0x01, 0x02, 0x01, 0x07}},
        {"duplicate index", 7, {0x01, 0x00, 0x02, 0x02, 0x01, 0x00, 0x01}},
        {"descending index", 7, {0x01, 0x00, 0x02, 0x04, 0x01, 0x01, 0x01}},
        {"index 1153 (above max)", 6, {0x01, 0x00, 0x01, 0x82, 0x12, 0x01}},
        {"index -346 (below min)", 6, {0x01, 0x00, 0x01, 0xb3, 0x05, 0x01}},
        {"huge delta",
         14,
         {0x01, 0x00, 0x01, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01}},
        {"count overflow",
         14,
         {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x02, 0x01}},
        {"varint over 64 bits",
         13,
         {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00}},
        {"varint of 11 bytes",
         14,
         {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x00}},
        {"non-minimal varint", 4, {0x01, 0x80, 0x00, 0x00}},
        {"unterminated varint", 3, {0x01, 0x80, 0x80}},
        {"bin count beyond input", 7, {0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f}},
    };
    struct sketch s, before;
    sketch_init(&s);
    sketch_add(&s, 12.5, 4);
    sketch_add(&s, 9000, 2);
    sketch_add(&s, 0, 1);
    sketch_copy(&before, &s);

    FOR_EACH_ROW(i, sizeof bad / sizeof bad[0])
    {
        int rc = sketch_decode_add(&s, bad[i].bytes, bad[i].len);
        ASSERT_MSG(rc == TP_EPARSE, "%s: got %d, expected TP_EPARSE", bad[i].what, rc);
        ASSERT_MSG(sketch_equal(&s, &before), "%s: the sketch changed", bad[i].what);
    }

    /* A valid blob whose counts overflow the running sketch. */
    static const unsigned char big[] = {0x01, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    struct sketch empty;
    sketch_init(&empty);
    ASSERT_EQ_INT(sketch_decode_add(&empty, big, sizeof big), 0);
    ASSERT_EQ_INT(empty.count, UINT64_MAX);
    ASSERT_EQ_INT(sketch_decode_add(&s, big, sizeof big), TP_EPARSE);
    ASSERT_TRUE(sketch_equal(&s, &before));

    /* Longer than TP_SKETCH_MAX_BLOB: a real sketch followed by padding. */
    unsigned char *huge = calloc(TP_SKETCH_MAX_BLOB + 1, 1);
    huge[0] = 0x01;
    ASSERT_EQ_INT(sketch_decode_add(&s, huge, TP_SKETCH_MAX_BLOB + 1), TP_EPARSE);
    ASSERT_EQ_INT(sketch_decode_add(&s, NULL, 0), TP_EPARSE);
    ASSERT_TRUE(sketch_equal(&s, &before));
    free(huge);

    /* The edges of the index range are accepted. */
    static const unsigned char lo[] = {0x01, 0x00, 0x01, 0xb1, 0x05, 0x01}; /* -345 */
    static const unsigned char hi[] = {0x01, 0x00, 0x01, 0x80, 0x12, 0x01}; /* 1152 */
    struct sketch edge;
    sketch_init(&edge);
    ASSERT_EQ_INT(sketch_decode_add(&edge, lo, sizeof lo), 0);
    ASSERT_EQ_INT(sketch_decode_add(&edge, hi, sizeof hi), 0);
    ASSERT_EQ_INT(edge.min_index, sketch_index(SKETCH_MIN_MS));
    ASSERT_EQ_INT(edge.min_index + (int32_t)edge.nbins - 1, sketch_index(SKETCH_MAX_MS));

    sketch_free(&s);
    sketch_free(&before);
    sketch_free(&empty);
    sketch_free(&edge);
}

/* ---- remove -------------------------------------------------------------- */

static void test_remove_restores(void)
{
    struct sketch s, before;
    sketch_init(&s);
    rng.state = 11;
    for (int i = 0; i < 1000; i++)
        sketch_add(&s, draw(D_UNIFORM), 1);
    sketch_copy(&before, &s);

    static const double vals[] = {0, 0.0001, 0.5, 42, 5000, 2e6, 1e12};
    FOR_EACH_ROW(i, sizeof vals / sizeof vals[0])
    {
        sketch_add(&s, vals[i], 3);
        sketch_remove(&s, vals[i], 3);
        ASSERT_MSG(sketch_equal(&s, &before), "add then remove of %g did not restore the sketch",
                   vals[i]);
    }
    /* Everything out again leaves an empty sketch. */
    struct sketch one;
    sketch_init(&one);
    sketch_add(&one, 3, 2);
    sketch_add(&one, 300, 1);
    sketch_remove(&one, 3, 2);
    ASSERT_EQ_INT(one.nbins, 1);
    ASSERT_EQ_INT(one.min_index, sketch_index(300));
    sketch_remove(&one, 300, 1);
    ASSERT_EQ_INT(one.count, 0);
    ASSERT_EQ_INT(one.nbins, 0);
    ASSERT_EQ_DBL(sketch_quantile(&one, 0.5), 0, 0);
    sketch_free(&s);
    sketch_free(&before);
    sketch_free(&one);
}

static void test_remove_no_underflow(void)
{
    struct sketch s;
    sketch_init(&s);
    sketch_remove(&s, 10, 1); /* from an empty sketch */
    sketch_remove(&s, 0, 1);
    ASSERT_EQ_INT(s.count, 0);
    ASSERT_EQ_INT(s.zero_count, 0);

    sketch_add(&s, 10, 1);
    sketch_add(&s, 20, 2);
    sketch_add(&s, 0, 1);
    sketch_remove(&s, 10, 5); /* more than there is */
    ASSERT_EQ_INT(s.count, 3);
    sketch_remove(&s, 1000, 1); /* a bin beyond the range */
    sketch_remove(&s, 0.5, 1);  /* a bin below it */
    ASSERT_EQ_INT(s.count, 3);
    sketch_remove(&s, 0, 7);
    ASSERT_EQ_INT(s.zero_count, 0);
    ASSERT_EQ_INT(s.count, 2);
    ASSERT_EQ_INT(s.nbins, 1);
    ASSERT_EQ_INT(s.bins[0], 2);
    sketch_remove(&s, NAN, 1);
    sketch_remove(&s, -20, 1);
    ASSERT_EQ_INT(s.count, 2);
    sketch_free(&s);
}

/* ---- edges --------------------------------------------------------------- */

static void test_zero_bin_and_clamp(void)
{
    struct sketch s;
    sketch_init(&s);
    sketch_add(&s, 0, 1);
    sketch_add(&s, 0.0005, 1);
    sketch_add(&s, SKETCH_MIN_MS, 1);
    ASSERT_EQ_INT(s.zero_count, 2);
    ASSERT_EQ_INT(s.count, 3);
    ASSERT_EQ_INT(s.nbins, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0), 0, 0);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.66), 0, 0); /* rank 2 */
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.67), SKETCH_MIN_MS, REL_TOL * SKETCH_MIN_MS);

    sketch_add(&s, 1e12, 1);
    sketch_add(&s, INFINITY, 1);
    ASSERT_EQ_INT(s.count, 5);
    ASSERT_EQ_INT(s.min_index + (int32_t)s.nbins - 1, sketch_index(SKETCH_MAX_MS));
    ASSERT_EQ_INT(s.bins[s.nbins - 1], 2);
    ASSERT_EQ_DBL(sketch_quantile(&s, 1), SKETCH_MAX_MS, REL_TOL * SKETCH_MAX_MS);

    /* Ignored input. */
    sketch_add(&s, NAN, 1);
    sketch_add(&s, -1, 1);
    sketch_add(&s, 50, 0);
    ASSERT_EQ_INT(s.count, 5);
    sketch_free(&s);
}

static void test_empty(void)
{
    struct sketch s;
    sketch_init(&s);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0), 0, 0);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.5), 0, 0);
    ASSERT_EQ_DBL(sketch_quantile(&s, 1), 0, 0);
    ASSERT_EQ_INT(sketch_count_at_least(&s, 0), 0);
    ASSERT_EQ_INT(sketch_count_at_least(&s, 100), 0);
    ASSERT_EQ_DBL(sketch_sum_at_least(&s, 100), 0, 0);

    /* Reset empties but keeps the array for reuse. */
    sketch_add(&s, 7, 1);
    uint64_t *bins = s.bins;
    sketch_reset(&s);
    ASSERT_EQ_INT(s.count, 0);
    ASSERT_EQ_INT(s.nbins, 0);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.5), 0, 0);
    ASSERT_TRUE(s.bins == bins);
    sketch_add(&s, 7, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.5), 7, REL_TOL * 7);
    sketch_free(&s);
}

static void test_quantile_ranks(void)
{
    /* Ten well separated values: nearest rank is exact up to 1 %. */
    struct sketch s;
    sketch_init(&s);
    for (int i = 1; i <= 10; i++)
        sketch_add(&s, i * 100.0, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0), 100, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.1), 100, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.11), 200, 2);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.5), 500, 5);
    ASSERT_EQ_DBL(sketch_quantile(&s, 0.95), 1000, 10);
    ASSERT_EQ_DBL(sketch_quantile(&s, 1), 1000, 10);
    ASSERT_EQ_DBL(sketch_quantile(&s, 2), 1000, 10);
    ASSERT_EQ_DBL(sketch_quantile(&s, -1), 100, 1);
    ASSERT_EQ_DBL(sketch_quantile(&s, NAN), 100, 1);
    sketch_free(&s);
}

/* ---- count/sum at least -------------------------------------------------- */

static void test_at_least(void)
{
    double *v = malloc(N_VALUES * sizeof *v);
    struct sketch s;
    sketch_init(&s);
    sample(v, N_VALUES, D_LOGNORMAL);
    for (size_t i = 0; i < N_VALUES; i++)
        sketch_add(&s, v[i], 1);

    /* The slow and critical thresholds the dashboard uses: within 1 %. */
    static const double real[] = {2000, 5000, 100};
    for (size_t k = 0; k < sizeof real / sizeof real[0]; k++) {
        double t = real[k];
        double n_exact = (double)count_from(v, N_VALUES, t, 0);
        double s_exact = sum_from(v, N_VALUES, t, 0);
        double n_got = (double)sketch_count_at_least(&s, t);
        double s_got = sketch_sum_at_least(&s, t);
        ASSERT_MSG(fabs(n_got - n_exact) <= 0.01 * n_exact, "count >= %g: sketch %.0f, exact %.0f",
                   t, n_got, n_exact);
        ASSERT_MSG(fabs(s_got - s_exact) <= 0.01 * s_exact, "sum >= %g: sketch %.0f, exact %.0f", t,
                   s_got, s_exact);
    }

    /* The documented bound, at any threshold: every value >= t / (1 - a) is
     * counted, no value <= t / (1 + a) is; sums are within a of those. */
    const double a = SKETCH_ALPHA;
    for (double t = 0.01; t < 1e6; t *= 1.37) {
        double t_hi = t / (1 - a) * (1 + 1e-9), t_lo = t / (1 + a) * (1 - 1e-9);
        uint64_t n = sketch_count_at_least(&s, t);
        double sum = sketch_sum_at_least(&s, t);
        uint64_t n_min = count_from(v, N_VALUES, t_hi, 0);
        uint64_t n_max = count_from(v, N_VALUES, t_lo, 1);
        ASSERT_MSG(n >= n_min && n <= n_max, "count >= %g: %llu not in [%llu, %llu]", t,
                   (unsigned long long)n, (unsigned long long)n_min, (unsigned long long)n_max);
        double s_min = (1 - a) * sum_from(v, N_VALUES, t_hi, 0) * (1 - 1e-9);
        double s_max = (1 + a) * sum_from(v, N_VALUES, t_lo, 1) * (1 + 1e-9);
        ASSERT_MSG(sum >= s_min && sum <= s_max, "sum >= %g: %.3f not in [%.3f, %.3f]", t, sum,
                   s_min, s_max);
    }

    /* A threshold of 0 counts everything, the zero bin included. */
    sketch_add(&s, 0, 10);
    ASSERT_EQ_INT(sketch_count_at_least(&s, 0), N_VALUES + 10);
    ASSERT_EQ_INT(sketch_count_at_least(&s, 1e12), 0);
    ASSERT_EQ_INT(sketch_count_at_least(&s, INFINITY), 0);
    ASSERT_EQ_INT(sketch_count_at_least(&s, NAN), 0);
    free(v);
    sketch_free(&s);
}

TEST_MAIN(TEST_CASE(test_index_and_value), TEST_CASE(test_accuracy_1m),
          TEST_CASE(test_merge_halves), TEST_CASE(test_order_independence),
          TEST_CASE(test_merge_grows_both_sides), TEST_CASE(test_roundtrip),
          TEST_CASE(test_decode_adds), TEST_CASE(test_decode_malformed),
          TEST_CASE(test_remove_restores), TEST_CASE(test_remove_no_underflow),
          TEST_CASE(test_zero_bin_and_clamp), TEST_CASE(test_empty), TEST_CASE(test_quantile_ranks),
          TEST_CASE(test_at_least))
