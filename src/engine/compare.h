/*
 * compare.h - two periods side by side, per tool: counts, p50 and p95, and
 * whether a latency changed.
 *
 * A change is flagged only when the data can carry it. For each period
 * and quantile p (0.5, 0.95) a distribution-free 95 % confidence interval
 * is built from order statistics: with n timed calls, the true p-quantile
 * lies between the values of ranks
 *
 *     l = floor(n p - 1.96 sqrt(n p (1 - p)))   and   u = ceil(n p + 1.96 sqrt(n p (1 - p))) + 1
 *
 * (the normal approximation of the binomial count of calls below it;
 * Conover, Practical Nonparametric Statistics, 3.2). A latency is "slower"
 * or "faster" when the two periods' intervals do not overlap and the
 * quantile moved by at least COMPARE_MIN_CHANGE; "same" when the
 * intervals overlap or the move is smaller; "too_few" when a period has
 * fewer than COMPARE_MIN_CALLS timed calls or the ranks fall outside
 * 1..n (p95 needs about 110 calls). Two intervals that each hold the true
 * value with 95 % confidence are disjoint by chance far less often than
 * 5 % of the time, so two samples of one distribution are almost never
 * flagged; the decision uses ranks only, so it is deterministic and does
 * not care about the shape of the distribution.
 *
 * Values come from the raw durations when both periods hold at most
 * TP_EXACT_MAX_OPS calls, otherwise from the merged quantile sketches
 * (1 % relative error; the intervals are then widened by that 1 %).
 */
#ifndef TOOLPROF_COMPARE_H
#define TOOLPROF_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define COMPARE_MIN_CALLS 20     /* timed calls a period needs for a verdict */
#define COMPARE_MIN_CHANGE 0.10  /* the smallest relative move that is flagged */
#define COMPARE_Z 1.959963984540 /* two-sided 95 % */

enum compare_verdict {
    CMP_TOO_FEW, /* not enough calls to say */
    CMP_SAME,    /* no change the data can carry */
    CMP_SLOWER,
    CMP_FASTER,
};
const char *compare_verdict_name(enum compare_verdict v); /* "too_few", "same", ... */

/* One period's figures of one row. Quantiles and interval bounds are NAN
 * when unknown (no timed call; ranks outside 1..n). */
struct compare_side {
    uint64_t count, timed;
    double p50_ms, p95_ms;
    double p50_lo, p50_hi, p95_lo, p95_hi;
};

struct compare_row {
    char *tool;      /* as stats' rows (engine.h): the tool, agent or canonical name */
    char *agent;     /* by tool: its agent; NULL otherwise */
    char *canonical; /* by tool: its canonical name; NULL otherwise */
    struct compare_side cur, base;
    enum compare_verdict p50, p95;
};

struct comparison {
    struct engine_window cur, base;
    enum engine_by by;
    int exact;                /* raw durations (1) or sketches (0) */
    struct compare_row all;   /* every call of the filters (tool "all") */
    struct compare_row *rows; /* tools in either period, most calls now first */
    size_t n;
};

/* Compare the query's window (q->w) with base, per q->by. Returns 0 or an
 * error code with errbuf filled. */
int engine_compare(struct store *s, const struct engine_query *q, const struct engine_window *base,
                   struct comparison *out, char *errbuf);
void comparison_free(struct comparison *c);

/* ---- the decision, for tests and for callers with their own samples ----- */

/* The 1-based ranks of the 95 % interval of the p-quantile of n values.
 * Returns 0, or -1 when n is too small for the interval to lie within
 * 1..n. */
int compare_ranks(uint64_t n, double p, uint64_t *lo, uint64_t *hi);

/* One period's sample: sorted raw durations (v, n), or a sketch. */
struct compare_sample {
    const double *v;
    uint64_t n;
    const struct sketch *sk;
};
/* Fill the quantile and its interval of one side from a sample. */
void compare_quantile(const struct compare_sample *s, double p, double *q, double *lo, double *hi);
/* The verdict for one quantile of two sides (timed counts na, nb). */
enum compare_verdict compare_decide(uint64_t na, double qa, double lo_a, double hi_a, uint64_t nb,
                                    double qb, double lo_b, double hi_b);

#endif
