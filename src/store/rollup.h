/*
 * rollup.h - how the store keeps its aggregates; private to src/store.
 *
 * `struct agg` (agg.h) is what every question is answered from. The store
 * keeps one per (level, bucket, project, tool) in the `rollups` table, for
 * three bucket widths (hour, UTC day, 30 days) and for each operation's own project and project 0
 * (all projects); one per (UTC day, project, tool, target) in `targets` (hotspots); per (session,
 * file) counts of full reads in `rereads`; and the totals of the pairs read REREAD_MIN or more
 * times, by bucket of their last read and project, in `reread_sums`, so that the repeated-reads
 * rule of a long window adds a few buckets instead of every pair.
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

#include "agg.h"
#include "core/kmap.h"

/* A file read whole this many times in one session is a repeated read; a
 * repeat of unknown size counts as this many bytes. Literals, because the
 * SQL of the schema and of store.c spells them too (a partial index is only
 * used when a query repeats its condition word for word). */
#define REREAD_MIN 3
#define REREAD_UNKNOWN_BYTES 4000

/* Read the rollup columns ROLLUP_COLS starting at column col of q into a
 * (added to it). Returns 0 or TP_EPARSE for a corrupt sketch. */
int agg_from_stmt(sqlite3_stmt *q, int col, struct agg *a);
#define ROLLUP_COLS                                                                                \
    "n, nt, sum_us, min_us, max_us, slow, crit, failed, opt, attn, attn_bytes, slow_sum_us, sk, "  \
    "nwait, wait_us, asked, nhook, hook_us, nunsplit, unsplit_us"

/* What one operation adds to the aggregates (strings as interned ids). */
struct rollup_contrib {
    int64_t ts_ms;  /* start time */
    int64_t dur_us; /* -1 unknown */
    int64_t tool, target, session, project;
    int success, opt, attn, is_read;
    int64_t size;             /* -1 unknown */
    int64_t wait_us, hook_us; /* -1 unknown */
    int asked;                /* a prompt was shown */
    int64_t unsplit_us;       /* wall time of a call whose exec is unknown (-1: none) */
    int64_t wall_us;          /* -1 unknown */
    int sub;                  /* made by a sub-agent */
    int64_t id;               /* its row id (the per-target longest call) */
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
