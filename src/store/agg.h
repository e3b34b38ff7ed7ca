/*
 * agg.h - the aggregate of a set of operations, and the time buckets the
 * store keeps aggregates for.
 *
 * `struct agg` is what every question is answered from: counts, sums,
 * slow/critical/failed/optimized/attention counters and a quantile sketch.
 * The store keeps one per tool, project and bucket (rollup.h says how);
 * the engine merges them over a window. Nothing here touches SQLite.
 */
#ifndef TOOLPROF_AGG_H
#define TOOLPROF_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "sketch.h"

/* Rollup levels: bucket widths. */
enum { ROLLUP_HOUR = 0, ROLLUP_DAY = 1, ROLLUP_MONTH = 2, ROLLUP_LEVELS };
extern const int64_t rollup_width_ms[ROLLUP_LEVELS]; /* 1 h, 1 day, 30 days */

/* Cover [a, b) with as few rollup buckets as fit: fn(ctx, level, from, to)
 * for each run of whole buckets of one level (from and to multiples of its
 * width), and fn(ctx, -1, from, to) for the parts that are not whole hours,
 * which only raw rows can answer. Stops at, and returns, the first non-zero
 * result of fn. */
typedef int (*rollup_cover_fn)(void *ctx, int level, int64_t from_ms, int64_t to_ms);
int rollup_cover(int64_t a, int64_t b, rollup_cover_fn fn, void *ctx);

/* The aggregate of a set of operations: one rollup row, or many merged. */
struct agg {
    uint64_t n;            /* operations */
    uint64_t n_timed;      /* operations with a known duration */
    double sum_ms;         /* sum of known durations */
    double min_ms, max_ms; /* over known durations (valid when n_timed > 0) */
    uint64_t slow;         /* duration >= TP_SLOW_MS */
    uint64_t critical;     /* duration >= TP_CRITICAL_MS */
    uint64_t failed;
    uint64_t optimized;
    uint64_t attention;       /* ops with a rule flag (op_attention() != 0) */
    uint64_t attention_bytes; /* sum of size_bytes over those */
    double slow_sum_ms;       /* sum of the slow durations */
    struct sketch sk;         /* known durations */
    /* The other phases (op.h): calls with a known wait and its sum, calls
     * that asked the person, known hook times, and calls whose wall time
     * is known but split into neither exec nor wait (it may include an
     * approval: "unsplit") with the sum of those wall times. */
    uint64_t n_wait, asked, n_hook, n_unsplit;
    double wait_ms, hook_ms, unsplit_ms;
};

void agg_init(struct agg *a);
void agg_free(struct agg *a);
void agg_reset(struct agg *a); /* empty, keeps memory */
void agg_merge(struct agg *dst, const struct agg *src);
/* Add one operation's duration (NAN = unknown) and flags. */
void agg_add(struct agg *a, double duration_ms, int success, int optimized, int attention,
             int64_t size_bytes);
/* And its other phases (NAN = unknown): what agg_add() leaves out. */
void agg_add_phases(struct agg *a, double duration_ms, double wall_ms, double wait_ms,
                    double hook_ms, int asked);

#endif
