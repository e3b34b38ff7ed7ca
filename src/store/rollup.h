/*
 * rollup.h - aggregates of operations, and how the store keeps them.
 *
 * `struct agg` is what every question is answered from: counts, sums,
 * slow/critical/failed/optimized/attention counters and a quantile sketch
 * of a set of operations. The store keeps one per (level, bucket, project,
 * tool) in the `rollups` table, for three bucket widths (hour, UTC day, 30
 * days) and for each operation's own project and project 0 (all projects);
 * one per (UTC day, project, tool, target) in `targets` (hotspots); per
 * (session, file) counts of full reads in `rereads`; and the totals of the
 * pairs read REREAD_MIN or more times, by bucket of their last read and
 * project, in `reread_sums`, so that the repeated-reads rule of a long
 * window adds a few buckets instead of every pair.
 *
 * The store changes them through a delta set: for each operation stored
 * (or retracted, when a better report of the same call replaces it) it
 * calls rollup_contribute(); when the batch is done, rollup_flush() writes
 * every touched row once, in the batch's transaction. So the aggregates
 * always equal what a scan of the rows would give, with one documented
 * exception: min/max are bounds (a retracted extreme is not recomputed),
 * which is all their use (pruning scans for slow operations) needs.
 */
#ifndef TOOLPROF_ROLLUP_H
#define TOOLPROF_ROLLUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kmap.h"
#include "sketch.h"

/* A file read whole this many times in one session is a repeated read; a
 * repeat of unknown size counts as this many bytes. Literals, because the
 * SQL of the schema and of store.c spells them too (a partial index is only
 * used when a query repeats its condition word for word). */
#define REREAD_MIN 3
#define REREAD_UNKNOWN_BYTES 4000

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
};

void agg_init(struct agg *a);
void agg_free(struct agg *a);
void agg_reset(struct agg *a); /* empty, keeps memory */
void agg_merge(struct agg *dst, const struct agg *src);
/* Add one operation's duration (NAN = unknown) and flags. */
void agg_add(struct agg *a, double duration_ms, int success, int optimized, int attention,
             int64_t size_bytes);

/* Read the rollup columns ROLLUP_COLS starting at column col of q into a
 * (added to it). Returns 0 or TP_EPARSE for a corrupt sketch. */
int agg_from_stmt(sqlite3_stmt *q, int col, struct agg *a);
#define ROLLUP_COLS                                                                                \
    "n, nt, sum_us, min_us, max_us, slow, crit, failed, opt, attn, attn_bytes, slow_sum_us, sk"

/* What one operation adds to the aggregates (strings as interned ids). */
struct rollup_contrib {
    int64_t ts_ms;  /* start time */
    int64_t dur_us; /* -1 unknown */
    int64_t tool, target, session, project;
    int success, opt, attn, is_read;
    int64_t size; /* -1 unknown */
};

struct rollup_deltas;

struct rollup_deltas *rollup_deltas_new(void);
void rollup_deltas_free(struct rollup_deltas *d);
/* Add (sign +1) or retract (sign -1) an operation. */
void rollup_contribute(struct rollup_deltas *d, const struct rollup_contrib *c, int sign);

/* Prepared statements of the rollup tables, per connection. */
struct rollup_writer;
struct rollup_writer *rollup_writer_new(sqlite3 *db);
void rollup_writer_free(struct rollup_writer *w);

/* Write every row the deltas touch, inside the caller's transaction.
 * Returns 0, TP_EBUSY or TP_EDB (errbuf filled). */
int rollup_flush(struct rollup_writer *w, struct rollup_deltas *d, char *errbuf);

#endif
