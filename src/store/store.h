/*
 * store.h - durable storage of operations and their rollups (SQLite).
 *
 * The store owns durability and identity. It keeps one SQLite database,
 * `toolprof.db`, in the data directory; every connection runs in WAL mode
 * with synchronous=NORMAL and a busy timeout, and every write transaction
 * starts with BEGIN IMMEDIATE.
 *
 * Identity: a call is stored once, whatever the number of ways it arrives
 * (hook, transcript, telemetry, re-imports). Its key is its tool_use_id, or
 * for records without one an id derived from content and position
 * (op_derive_id). When a call arrives again, the store merges: a duration
 * from a more trusted source replaces the stored one (enum op_source), and
 * fields the stored record lacks are filled in.
 *
 * Rollups: per tool, per project and per time bucket (hour, UTC day, 30
 * days) the store keeps counts, sums, slow/critical/failed/optimized counts,
 * rule counters and a quantile sketch, updated in the same transaction as
 * the rows, so they can never disagree with them. Queries read rollups; raw
 * rows are read only at window edges and for short lists (slow operations,
 * examples), always through bounded, time-clustered scans.
 *
 * Thread safety: one `struct store` per thread. Many processes may open the
 * same data directory at once.
 */
#ifndef TOOLPROF_STORE_H
#define TOOLPROF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/limits.h"
#include "op.h"
#include "timeline.h"
#include "agg.h"

struct store;

#define STORE_DB_NAME "toolprof.db"

enum {
    STORE_READONLY = 1, /* never write (query commands) */
    STORE_NOCREATE = 2, /* fail if the database does not exist yet */
};

/* Resolve the data directory: dir if given, else $TOOLPROF_DATA_DIR, else
 * ~/.claude/memory/performance. Returns a malloc'd path. */
char *store_default_dir(const char *dir);

/* Open (creating the directory and database unless flags say otherwise)
 * and migrate the schema. On error returns a code and a message in errbuf
 * naming the path. */
TP_MUST_CHECK int store_open(const char *data_dir, int flags, struct store **out, char *errbuf);
void store_close(struct store *s);
const char *store_dir(const struct store *s);
/* Path of the database file. */
const char *store_db_path(const struct store *s);

/* ---- writing ---------------------------------------------------------- */

struct store_result {
    size_t inserted;  /* new calls */
    size_t merged;    /* known calls that gained a better duration or fields */
    size_t unchanged; /* known calls that brought nothing new */
    /* The ClickHouse store: calls kept in its local spool because
     * ClickHouse did not answer in time; written when it does (chstore.h). */
    size_t queued;
};

/* Import bookkeeping, written in the same transaction as a batch, so that
 * a killed import resumes exactly where its last commit ended.
 *
 * The contract every importer keeps (transcripts, daily files, jsonl
 * exports, hook payload logs, and any format added later), decided in one
 * place, filemark_decide() (src/ingest/filemark.h), and written by one,
 * filemark_set():
 *   - offset is how far the import has read the file: everything before it
 *     is stored, or held back from `resume` on. It is the file's size only
 *     once the import has read the file to its end; a mark written in the
 *     middle of a file says so by an offset short of the end.
 *   - a later import continues reading at `resume`: offset itself, or the
 *     start of a record that was not complete at offset (a transcript call
 *     still waiting for its result, a last line still being written).
 *   - the fingerprint is a hash of the first and the last fp_len bytes
 *     before offset (fp_len = min(offset, FILEMARK_FP_BYTES)). A file whose
 *     fingerprint no longer matches, that shrank below offset, whose inode
 *     changed, or that kept its size but not its mtime, was rewritten: it
 *     is read again from its start (calls are keyed by their ids, so what
 *     was stored already is not counted again).
 *   - so a file counts as unchanged only when its offset is its end and its
 *     fingerprint, inode and mtime match.
 * Marks from before schema 6 have no fingerprint (fp_len -1): they are
 * trusted only for a file read to its end and unchanged since. */
struct store_mark {
    const char *path; /* file imported (absolute, symlinks resolved) */
    int64_t offset;   /* bytes read; the file's size once read to its end */
    int64_t size;     /* the file's size and mtime as the read saw them */
    int64_t mtime_ns;
    uint64_t inode;
    int64_t resume;   /* where the next read starts (<= offset) */
    int64_t fp_len;   /* fingerprint window; -1: no fingerprint */
    uint64_t fp_hash; /* hash of the first and last fp_len bytes before offset */
};

/* Store n normalized ops (op_normalize() must have accepted each) in one
 * transaction, plus the optional mark. Returns 0, TP_EBUSY when the
 * database stayed locked past the busy timeout, or TP_EDB. On error nothing
 * of the batch is stored. */
TP_MUST_CHECK int store_insert(struct store *s, struct op *ops, size_t n,
                               const struct store_mark *mark, struct store_result *res,
                               char *errbuf);

/* Several batches in one transaction (group commit: the server stores
 * the operations of concurrent requests together, the importer many small
 * files). Each group's counts go to its own res (zeroed first) and its
 * mark is written with the batch. On error nothing is stored. */
struct store_group {
    struct op *ops;
    size_t n;
    const struct store_mark *mark; /* written with the batch (NULL: none) */
    struct store_result res;
    /* Turns and model requests (timeline.h), normalized, stored with the
     * batch: a report of one already stored is merged into it. */
    struct turn *turns;
    size_t nturns;
    struct request *reqs;
    size_t nreqs;
    struct usage *usage; /* usage readings (timeline.h), normalized */
    size_t nusage;
    /* The team store (ClickHouse) keeps who made each call and on which
     * machine; NULL: this process's person and host ($TOOLPROF_PERSON or
     * the login name, $TOOLPROF_HOST or the hostname). The SQLite store
     * ignores them. */
    const char *person, *host;
    /* Per op, every source that reported it (bits of enum op_source), as a
     * store that merged several reports knows it (what `push` sends);
     * NULL: op->source alone. */
    const unsigned *sources;
};
TP_MUST_CHECK int store_insert_groups(struct store *s, struct store_group *groups, size_t ngroups,
                                      char *errbuf);

/* Read the mark of a path (0 and *found = 0 when there is none). */
TP_MUST_CHECK int store_mark_get(struct store *s, const char *path, struct store_mark *out,
                                 int *found);

/* Busy timeout in ms for this connection (default 5000). The hook uses a
 * short one and falls back to its spool. */
void store_set_busy_timeout(struct store *s, int ms);

/* Delete operations that started before cutoff_ms, keeping rollups exact
 * (buckets wholly before the cutoff are deleted; the partial bucket is
 * rebuilt from the rows that remain). *deleted receives the number of
 * operations removed. */
TP_MUST_CHECK int store_prune(struct store *s, int64_t cutoff_ms, size_t *deleted, char *errbuf);

/* Delete the operations that source alone reported (a call another source
 * also reported stays), keeping rollups exact. For `prune --source demo`. */
TP_MUST_CHECK int store_prune_source(struct store *s, enum op_source src, size_t *deleted,
                                     char *errbuf);

/* ---- reading ---------------------------------------------------------- */

/* Does the store hold any operation reported by a source outside the mask
 * (bits 1 << enum op_source)? *found receives 1 or 0. Reads rows until it
 * finds one: on a store of only those sources, every row. */
TP_MUST_CHECK int store_has_other_sources(struct store *s, unsigned mask, int *found);

typedef int (*store_name_cb)(void *ctx, int64_t id, const char *name);

/* Interned strings: tools, targets, sessions, projects share one table. */
/* The text of string id (NULL for 0 or unknown). The text is cached: the
 * pointer stays valid for at least the next 100,000 lookups of other
 * strings (row callbacks and single answers are far below that); copy it to
 * keep it longer. */
const char *store_str(struct store *s, int64_t id);
/* The id of a text, or 0 when it has never been stored. */
int64_t store_str_id(struct store *s, const char *text);

/* Filters shared by every read. 0 means "any". */
struct store_filter {
    int64_t tool;    /* string id */
    int64_t project; /* string id */
    int64_t session; /* string id */
    /* A set of tools instead of one (tool is 0): ntools ids, ascending.
     * What an agent or a canonical name selects (taxonomy.h). */
    size_t ntools;
    int64_t tools[TP_FILTER_MAX_TOOLS];
    /* A person and a machine (string ids): only the team store keeps them
     * (store_team); 0 means any. */
    int64_t user, host;
};
/* Whether tool id passes the filter's tool or tool set. */
int store_filter_tool(const struct store_filter *f, int64_t tool);

/* Called for each rollup row; return non-zero to stop. The agg is only
 * valid during the call (merge it to keep it). */
typedef int (*store_rollup_cb)(void *ctx, int level, int64_t bucket_start_ms, int64_t tool,
                               int64_t project, const struct agg *a);

/* Rollup rows of `level` whose bucket starts in [from_ms, to_ms), for the
 * filter's tool and project (session is ignored: rollups have no session
 * dimension; callers scan raw rows for session filters). Rows come ordered
 * by bucket, then tool. */
int store_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                  const struct store_filter *f, store_rollup_cb cb, void *ctx);
/* The same rows, each added to the agg that into(ctx, tool) returns (no
 * copy per row: what collecting per tool needs). */
typedef struct agg *(*store_agg_for)(void *ctx, int64_t tool);
int store_rollups_into(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                       const struct store_filter *f, store_agg_for into, void *ctx);
/* The same rows' bucket starts, tools and numbers of operations (no
 * aggregate is decoded), through cb in no set order; cb returns non-zero
 * to stop. 0 or TP_EDB. */
typedef int (*store_count_cb)(void *ctx, int64_t bucket_start_ms, int64_t tool, uint64_t n);
int store_rollup_counts(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, store_count_cb cb, void *ctx);
/* The same rows' number of timed operations and sum of their durations,
 * added up by SQLite (no sketch is decoded). */
int store_rollup_sums(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                      const struct store_filter *f, uint64_t *n_timed, double *sum_ms);

/* One stored operation as read back. Strings point into store-owned memory
 * valid until the callback returns. */
struct store_row {
    int64_t id;
    struct op op; /* strings borrowed: do not free */
    int64_t tool_id, target_id, session_id, project_id;
    unsigned sources; /* bit mask of enum op_source that reported the call */
    int attention;
};

typedef int (*store_row_cb)(void *ctx, const struct store_row *r);

/* Raw rows that started in [from_ms, to_ms) and match the filter, in
 * ascending (or, with desc, descending) hour order; within an hour in
 * storage order (callers that need exact time order sort). With
 * min_duration_ms > 0 only rows at least that long; with attention only
 * rows carrying that rule flag. Hours whose rollup max is below
 * min_duration_ms, or whose rollup has no attention ops, are skipped
 * without reading their rows. */
struct store_scan {
    int64_t from_ms, to_ms;
    struct store_filter f;
    double min_duration_ms; /* 0: all */
    int attention;          /* 0: all */
    int desc;
    int ids_only; /* leave the op's strings NULL (ids, numbers and flags only) */
};
int store_scan(struct store *s, const struct store_scan *q, store_row_cb cb, void *ctx);

/* The rows of several tools at once, each with its own least duration:
 * of [from_ms, to_ms), matching the filter's project and session (its
 * tool and tool set are ignored), those of tools[i] lasting at least
 * min_ms[i] (0: every timed one), newest hour first, within an hour in
 * storage order, descending. The hours are those whose rollups say they can
 * hold one (as store_scan finds them), each read once for all the tools
 * it can hold rows of, however many. At most STORE_SCAN_TOOLS tools: 0,
 * TP_EINVAL above that, TP_EUNSUPP on the team store (scan tool by tool
 * there), TP_EDB. */
#define STORE_SCAN_TOOLS 16
struct store_scan_tools {
    int64_t from_ms, to_ms;
    struct store_filter f;
    const int64_t *tools;
    const double *min_ms;
    size_t n;
};
int store_scan_tools(struct store *s, const struct store_scan_tools *q, store_row_cb cb, void *ctx);

/* The number of the rows of [from_ms, to_ms) matching the filter that
 * have a known duration, and the sum of those durations in ms, added to
 * *n_timed and *sum_ms one row at a time in store_scan's order (so the sum
 * is the one adding a scan's rows gives, to the last bit), reading only
 * what that needs. 0, TP_EUNSUPP on the team store (scan there), TP_EDB. */
int store_raw_timed_sum(struct store *s, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, uint64_t *n_timed, double *sum_ms);

/* The row of one id (store_row.id) through cb: 0, TP_ENOTFOUND when no row
 * has it, TP_EUNSUPP on the team store (its ids are per person), TP_EDB. */
int store_row_get(struct store *s, int64_t id, store_row_cb cb, void *ctx);

/* Per-target aggregates (for hotspots): one row per (UTC day, tool,
 * target, project). */
struct target_agg {
    int64_t tool, target, project;
    uint64_t n, n_timed, failed;
    double sum_ms;
    double max_ms;
    /* The row id of the call of that duration, the greatest of several
     * (0: not known, as for totals kept before schema 8 and on the team
     * store). */
    int64_t max_id;
    uint64_t asked, n_unsplit; /* calls that prompted; calls whose split is unknown */
    double wait_ms, unsplit_ms;
};
typedef int (*store_target_cb)(void *ctx, int64_t day_start_ms, const struct target_agg *t);
int store_targets(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  store_target_cb cb, void *ctx);

/* Files read repeatedly within one session: (session, target) pairs of
 * Read calls without offset/limit, with at least 3 reads, whose last read
 * falls in [from_ms, to_ms). */
struct reread {
    int64_t session, target, project;
    uint64_t reads;
    uint64_t bytes; /* sum of size_bytes over the reads (0 when unknown) */
    double sum_ms;
};
/* Totals over all such pairs: their number, their reads, the bytes and
 * time of the repeats (every read after the first; 4,000 bytes per repeat
 * when sizes are unknown). */
struct reread_totals {
    uint64_t pairs, reads, repeat_bytes;
    double repeat_ms;
};
typedef int (*store_reread_cb)(void *ctx, const struct reread *r);
/* The totals, and the `top` pairs with the most reads through cb. */
int store_rereads(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  size_t top, struct reread_totals *totals, store_reread_cb cb, void *ctx);

/* Time span [first, last] of a session's operations (ms); 0 when found. */
int store_session_span(struct store *s, int64_t session, int64_t *first_ms, int64_t *last_ms);

/* ---- sessions, turns, model requests ------------------------------------ */

/* One session as the store keeps it: its span and sums (docs/time.md). */
struct store_session {
    int64_t id; /* string id */
    int64_t first_ms, last_ms, project;
    uint64_t calls, failed, sub, asked, nexec;
    double exec_ms, wait_ms, hook_ms, unsplit_ms;
};
typedef int (*store_session_cb)(void *ctx, const struct store_session *ss);
/* Sessions whose span overlaps [from_ms, to_ms) (project 0: any), the
 * latest ending first. */
int store_sessions(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                   store_session_cb cb, void *ctx);
/* How many sessions' spans overlap [from_ms, to_ms) (project 0: any):
 * 0 or TP_EDB. */
int store_session_count(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                        uint64_t *n);
/* One session by id: 0 (found), TP_ENOTFOUND or TP_EDB. */
int store_session_get(struct store *s, int64_t session, struct store_session *out);
/* Sessions whose id starts with prefix (at most max, through cb), for ids
 * given by their first characters. */
int store_session_ids(struct store *s, const char *prefix, size_t max, store_name_cb cb, void *ctx);

/* A session's turns, in start order (strings borrowed during the call). */
typedef int (*store_turn_cb)(void *ctx, const struct turn *t);
int store_turns(struct store *s, int64_t session, store_turn_cb cb, void *ctx);
/* Model requests of one session (session != 0), or of every session that
 * started in [from_ms, to_ms) (session 0), in start order. */
typedef int (*store_request_cb)(void *ctx, const struct request *r);
int store_requests(struct store *s, int64_t session, int64_t from_ms, int64_t to_ms,
                   store_request_cb cb, void *ctx);
/* A session's usage: per model (NULL: none) and metric, the sum of its
 * readings (each cumulative counter's latest), through cb in model order. */
typedef int (*store_usage_cb)(void *ctx, const char *model, enum usage_metric m, double value);
int store_usage(struct store *s, int64_t session, store_usage_cb cb, void *ctx);

/* Facts about the database for resource usage. */
struct store_info {
    int64_t operations;        /* stored calls */
    int64_t db_bytes;          /* database + WAL file sizes */
    int64_t first_ms, last_ms; /* span of stored operations (0 if empty) */
    int schema_version;
};
int store_info(struct store *s, struct store_info *out);

/* A number that changes whenever another connection commits (PRAGMA
 * data_version): servers poll it to notice writes of hook processes. */
int64_t store_data_version(struct store *s);

/* Every tool key ever stored (op_tool_key: its name, and its agent when
 * that is not the default), through cb. */
int store_tools(struct store *s, store_name_cb cb, void *ctx);

/* ---- the team store (ClickHouse, chstore.h) --------------------------------- */

/* 1 when the store keeps who made each call and on which machine (the
 * ClickHouse store): person and host filters, and the team view, need it. */
int store_team(const struct store *s);

/* Every (person, host) that stored calls, ordered; nothing on the SQLite
 * store. */
typedef int (*store_person_cb)(void *ctx, const char *person, const char *host);
int store_people(struct store *s, store_person_cb cb, void *ctx);

/* The ClickHouse store's local spool: calls waiting to be written, and
 * why when ClickHouse does not take them. All zero on the SQLite store. */
struct store_spool {
    int64_t queued_ops, queued_bytes, max_bytes;
    int64_t inflight; /* batches written in part, to be finished */
    int64_t rejected; /* spooled items that could not be read (kept aside) */
    int error;        /* of the last attempt (0: it worked) */
    char message[TP_ERR_MAX];
    int64_t failing_since_ms;
};
int store_spool(struct store *s, struct store_spool *out);

/* Every project that holds a stored call (its id and path), through cb;
 * cb returns non-zero to stop. 0 or TP_EDB. */
int store_projects(struct store *s, store_name_cb cb, void *ctx);

#endif
