/*
 * ch_int.h - what the files of the ClickHouse store share; private to
 * src/store (chstore.h is the module's face).
 *
 * The module, in the order data goes through it:
 *   ch_conn.c   the URL, the HTTP connection, SQL and TabSeparated
 *               escaping, the schema and its migrations, string ids;
 *   ch_spool.c  the local spool (ch-spool.db) every write goes through,
 *               the writer thread that empties it in batches, its journal
 *               and the recovery of a batch cut short;
 *   ch_write.c  one batch: finding stored versions, merging, the rows and
 *               aggregate deltas to insert;
 *   ch_read.c   the readers behind store.h's reading functions.
 *
 * The tables (schema version 1; docs/team.md explains the choices):
 *
 *   ops       one row per version of a call: CollapsingMergeTree(sign),
 *             PARTITION BY month, ORDER BY (hour, tool, user, uid). When a
 *             better report of a stored call arrives, toolprof writes a
 *             cancel row (the stored version again, sign -1) and the new
 *             version (+1) in one insert, so sum(sign * x) is right at any
 *             moment and the live version of a call is argMax(x, ver) over
 *             its rows with sum(sign) > 0. A call is keyed by (user, uid).
 *   aggs      the pre-aggregates, SummingMergeTree fed through aggs_in
 *             (Null) and the materialized view aggs_mv, keyed by
 *             (kind, b, tool, project, user, host, target, session, bin, month):
 *             per hour and per UTC day the counters of struct agg and the
 *             sketch's bins; per day and target the hotspot sums; per
 *             session its span and sums; per (session, file) full reads;
 *             names; one marker row per batch and month.
 *   turns, requests   ReplacingMergeTree(ver): merged by toolprof before
 *             they are written, read back with argMax(x, ver).
 *   imports   import marks (store_mark: offset, resume point, fingerprint),
 *             ReplacingMergeTree(ver); marks, their version 1 form without
 *             resume point and fingerprint, is still read.
 *   schema_version    the migrations applied.
 */
#ifndef TOOLPROF_CH_INT_H
#define TOOLPROF_CH_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "chstore.h"
#include "core/buf.h"
#include "core/httpc.h"
#include "core/kmap.h"
#include "store_int.h"

/* Kinds of rows in aggs. */
enum {
    CHK_HOUR = 1,    /* b = hour: struct agg's counters */
    CHK_HBIN = 2,    /* b = hour, bin: how many durations fell in the bin */
    CHK_DAY = 3,     /* b = UTC day */
    CHK_DBIN = 4,    /* b = UTC day, bin */
    CHK_TARGET = 5,  /* b = UTC day, tool, target, project: hotspot sums */
    CHK_SESSION = 6, /* session: span (mn, mx), project (pa) and sums */
    CHK_REREAD = 7,  /* session, target: full reads of one file */
    CHK_BATCH = 8,   /* target = a batch's number: its aggregates are in */
    CHK_NAME = 9,    /* tool = the kind of name, target = the name */
};

/* The bin of the zero bucket (durations under SKETCH_MIN_MS) and of rows
 * without a duration. */
#define CH_BIN_ZERO (-32767)
#define CH_BIN_NONE (-32768)
/* Names live in a partition retention never drops. */
#define CH_NAMES_MONTH 999999

/* The connection settings of one store (copied into the writer). */
struct ch_conf {
    char base[512]; /* http://host:port/ */
    char user[128]; /* "" for the default user */
    char password[256];
    char db[128];      /* a plain identifier, checked */
    char display[600]; /* clickhouse://user@host:port/db, no password */
};

/* Hash-derived string ids (see ch_conn.c) and their texts, in two
 * generations of at most CH_STR_GEN entries each. */
#define CH_STR_GEN 1000000
struct ch_strs {
    struct kmap map[2]; /* id bytes -> index */
    char **texts[2];
    size_t alloc[2];
    int cur;
};

struct ch_writer;

struct chstore {
    struct ch_conf conf;
    struct httpc *http;
    struct ch_strs strs;
    int readonly;
    int close_wait_ms;           /* how long store_close waits for queued calls */
    struct buf sql, resp;        /* reused between queries */
    char dir[4096];              /* the local data directory */
    struct ch_writer *w;         /* the process's writer for this database (ch_spool.c) */
    sqlite3 *spool;              /* this thread's connection to the spool (opened on first write) */
    char person[128], host[256]; /* who writes by default: $USER, the hostname */
};

/* ---- ch_conn.c --------------------------------------------------------------- */

/* Parse a clickhouse:// URL into conf. 0 or TP_EINVAL. */
int ch_conf_parse(const char *url, struct ch_conf *conf, char *errbuf);

/* Run one statement (no result wanted). body: data to send after the SQL
 * (an INSERT's rows) or NULL. Returns 0, TP_EIO (no answer: ClickHouse
 * down or unreachable), or TP_EDB (ClickHouse refused it; its message in
 * errbuf). */
int ch_exec(struct httpc *h, const struct ch_conf *c, const char *sql, const void *body,
            size_t body_len, char *errbuf);
/* An INSERT of TabSeparated rows: "INSERT INTO db.table FORMAT
 * TabSeparated" and the rows. */
int ch_insert(struct httpc *h, const struct ch_conf *c, const char *table, const void *rows,
              size_t len, char *errbuf);

/* A query whose answer comes as TabSeparated lines: fn(ctx, fields, n) for
 * each line (fields unescaped, NUL-terminated, valid during the call);
 * non-zero from fn stops. */
#define CH_MAX_FIELDS 40
typedef int (*ch_row_fn)(void *ctx, char **fields, size_t n);
int ch_query(struct chstore *ch, const char *sql, ch_row_fn fn, void *ctx, char *errbuf);

/* SQL text: a string literal, and an identifier of the database. */
void ch_sql_str(struct buf *b, const char *s);
/* TabSeparated: a field's escaped text. */
void ch_tsv_str(struct buf *b, const char *s);

/* Create or migrate the schema. */
int ch_migrate(struct httpc *h, const struct ch_conf *c, char *errbuf);
int ch_schema_version(void);

/* Strings. The id of text (0 for NULL), remembered for ch_str(). */
int64_t ch_id(struct ch_strs *s, const char *text);
const char *ch_str(struct ch_strs *s, int64_t id);
void ch_strs_free(struct ch_strs *s);

/* YYYYMM (UTC) of a time. */
uint32_t ch_month(int64_t ts_ms);
/* The month after m. */
uint32_t ch_month_next(uint32_t m);
/* The first millisecond of month m. */
int64_t ch_month_start(uint32_t m);

/* Numbers from text fields (0 when malformed: our own SQL's answers). */
int64_t ch_i64(const char *s);

/* The default person and host of this process: $TOOLPROF_PERSON or the
 * login name; $TOOLPROF_HOST or the hostname. */
void ch_default_identity(char *person, size_t psize, char *host, size_t hsize);

/* ---- ch_spool.c -------------------------------------------------------------- */

/* The spool and writer of a data directory and database, shared by every
 * store of the process that uses them (reference counted). */
int ch_writer_get(struct chstore *ch, char *errbuf);
void ch_writer_put(struct chstore *ch);
/* Queue groups, wait for them to be written (at most TP_CH_WAIT_MS). */
int ch_writer_submit(struct chstore *ch, struct store_group *groups, size_t ngroups, char *errbuf);
void ch_writer_status(struct chstore *ch, struct store_spool *out);

/* ---- ch_write.c -------------------------------------------------------------- */

/* One queued item, decoded. */
struct ch_item {
    int64_t qid;
    char *person, *host;
    struct op *ops;
    unsigned *sources;
    size_t nops;
    struct turn *turns;
    size_t nturns;
    struct request *reqs;
    size_t nreqs;
    int has_mark;
    struct store_mark mark; /* path owned */
    struct store_result res;
};
void ch_item_free(struct ch_item *it);

/* What one batch writes: per (table, month) a block of TabSeparated rows. */
struct ch_block {
    char table[16];
    uint32_t month;
    int check; /* look whether it is in before writing it again */
    struct buf rows;
};
struct ch_batch {
    uint64_t id; /* also the version of every row it writes */
    struct ch_block *blocks;
    size_t nblocks, alloc;
    struct kmap names; /* the names it writes (keys as in known), once journaled known */
};
void ch_batch_free(struct ch_batch *b);

/* Turn items into a batch: read the stored versions of their calls, turns
 * and requests, merge, and fill the blocks and each item's counts. The
 * names already written by this process are in known; the batch writes
 * the others and lists them in out->names, for the caller to add to known
 * once the batch is journaled (a batch built and then dropped must not
 * keep its names from the next one). Returns 0, TP_EIO or TP_EDB. */
int ch_batch_build(struct chstore *ch, struct ch_item *items, size_t n, uint64_t id,
                   const struct kmap *known, struct ch_batch *out, char *errbuf);
/* Write a block unless it is in already (blocks with check set). */
int ch_block_write(struct chstore *ch, uint64_t batch, const struct ch_block *blk, char *errbuf);

/* ---- turns and model requests of a batch (ch_timeline.c) ---------------------------- */

struct ch_tver {
    int64_t person;
    char *session;
    int64_t start, end, active_us; /* end 0, active -1: unknown */
    int src;
    uint64_t ver;
    int dirty;
};

struct ch_rver {
    int64_t person;
    char *rid, *session, *project, *model; /* "" when unknown */
    int64_t ts, dur_us, ttft_us, tin, tout, tcr, tcw, cost;
    unsigned flags;
    uint64_t ver;
    int dirty;
};

struct ch_tl {
    struct chstore *ch;
    struct kmap turns, reqs;
    struct ch_tver *tv;
    struct ch_rver *rv;
    size_t talloc, ralloc;
};

/* Row callbacks for the stored turns and requests a batch carries. */
int ch_tl_stored_turn(void *ctx, char **f, size_t n);
int ch_tl_stored_req(void *ctx, char **f, size_t n);
/* Merge an incoming turn or request (the SQLite store's rules). */
void ch_tl_merge_turn(struct ch_tl *t, int64_t person, const struct turn *in, uint64_t batch);
void ch_tl_merge_req(struct ch_tl *t, int64_t person, const struct request *in, uint64_t batch);
/* The rows of what changed, into out's turns and requests blocks. */
void ch_tl_rows(struct chstore *ch, const struct ch_tl *t, struct ch_batch *out);
void ch_tl_free(struct ch_tl *t);
/* The version a changed row of batch gets, given its stored one. */
uint64_t ch_next_ver(uint64_t batch, uint64_t stored);
/* The rows buffer of out's block for table and month. */
struct buf *ch_batch_rows(struct ch_batch *out, const char *table, uint32_t month);

#endif
