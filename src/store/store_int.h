/*
 * store_int.h - what the files of the SQLite store share; private to
 * src/store (nothing outside includes it).
 *
 * The store is one module in several files, split along its own sections:
 *   store.c        opening, the schema and its migrations, prepared
 *                  statements, interned strings, rows in memory;
 *   store_uid.c    the compact form of tool_use ids in ops.uid;
 *   store_write.c  finding a call again, inserting and merging, import
 *                  marks, pruning;
 *   store_read.c   rollup, scan, target, reread and session readers.
 */
#ifndef TOOLPROF_STORE_INT_H
#define TOOLPROF_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/kmap.h"
#include "core/tptime.h"
#include "rollup.h"
#include "store.h"

#define HOUR_MS TPT_HOUR_MS
#define DAY_MS TPT_DAY_MS

/* ---- the flags column ------------------------------------------------------ */

/* ops.flags packs the small fields of a row:
 *   bit 0      success
 *   bit 1      optimization_applied
 *   bits 2-4   source of the stored duration (enum op_source)
 *   bit 5      duration was written as an integer (seed files)
 *   bits 6-7   attention flag (OP_ATTN_*)
 *   bits 8-14  every source that reported the call (bit mask) */
#define F_SUCCESS 0x1u
#define F_OPT 0x2u
#define F_SRC_SHIFT 2
#define F_INT 0x20u
#define F_ATTN_SHIFT 6
#define F_SOURCES_SHIFT 8
#define F_SOURCES_MASK 0x7fu

static inline unsigned row_flags_pack(int success, int opt, int src, int is_int, int attn,
                                      unsigned sources)
{
    return (success ? F_SUCCESS : 0) | (opt ? F_OPT : 0) | ((unsigned)src << F_SRC_SHIFT) |
           (is_int ? F_INT : 0) | ((unsigned)attn << F_ATTN_SHIFT) | (sources << F_SOURCES_SHIFT);
}

/* ---- statements and the connection ---------------------------------------- */

enum stmt_id {
    S_STR_ID,
    S_STR_INS,
    S_STR_TEXT,
    S_OP_GET,
    S_HOUR_COUNTS,
    S_HOURS_ASC,
    S_HOURS_DESC,
    S_HOURS_TOOL_ASC,
    S_HOURS_TOOL_DESC,
    S_OP_INS,
    S_OP_UPD,
    S_OP_COUNT,
    S_FIRST_TS,
    S_LAST_TS,
    S_MARK_GET,
    S_MARK_PUT,
    S_RU_RANGE,
    S_RU_SUMS,
    S_RU_COUNTS,
    S_TG_RANGE,
    S_RR_TOTALS,
    S_RR_TOTALS_SESSION,
    S_RS_RANGE,
    S_RS_ALL,
    S_RR_TOP,
    S_RR_TOP_BY_N,
    S_RR_TOP_SESSION,
    S_SS_GET,
    S_TOOLS,
    S_OP_DEL_RANGE,
    S_OTHER_SOURCES,
    S_TURN_PUT,
    S_TURN_NEAR,
    S_REQ_PUT,
    S_SS_RANGE,
    S_SS_RANGE_PROJECT,
    S_SS_COUNT,
    S_SS_COUNT_PROJECT,
    S_SS_ONE,
    S_SS_PREFIX,
    S_TURNS_OF,
    S_REQS_OF,
    S_REQS_RANGE,
    S_USAGE_PUT,
    S_USAGE_OF,
    S_COUNT
};

#define ROW_COLS                                                                                   \
    "id, ts, dur, tool, target, session, project, flags, size, rbytes, wall, wait, hook, ph, "     \
    "sub, "                                                                                        \
    "uid, err, meta"
/* Their positions. */
enum {
    COL_ID,
    COL_TS,
    COL_DUR,
    COL_TOOL,
    COL_TARGET,
    COL_SESSION,
    COL_PROJECT,
    COL_FLAGS,
    COL_SIZE,
    COL_RBYTES,
    COL_WALL,
    COL_WAIT,
    COL_HOOK,
    COL_PH,
    COL_SUB,
    COL_UID,
    COL_ERR,
    COL_META,
    COL_COUNT
};
#define RR_COLS "session, target, project, n, bytes, sum_us"
/* Most reads first, then most time; the key breaks ties, so that every
 * plan gives the same pairs (rereads_top's own order, read backwards). */
#define RR_ORDER "n DESC, sum_us DESC, session DESC, target DESC"
#define RR_SUMS                                                                                    \
    "count(*), coalesce(sum(n), 0), "                                                              \
    "coalesce(sum((n - 1) * (CASE WHEN bytes > 0 THEN bytes / n ELSE 4000 END)), 0), "             \
    "coalesce(sum(sum_us * (n - 1) / n), 0)"
/* Scans: one statement per combination of conditions (scan_stmt()), so
 * that SQLite evaluates only the conditions a scan has, row by row. */
enum {
    SCAN_TOOL = 1,
    SCAN_PROJECT = 2,
    SCAN_SESSION = 4,
    SCAN_DUR = 8,
    SCAN_ATTN = 16,
    SCAN_DESC = 32,
    SCAN_LITE = 64,
    SCAN_VARIANTS = 128
};

/* The columns of ROW_COLS before the text ones. */
#define LITE_COLS                                                                                  \
    "id, ts, dur, tool, target, session, project, flags, size, rbytes, wall, wait, hook, ph"

struct chstore;

struct store {
    struct chstore *ch; /* the ClickHouse store (chstore.h); NULL: SQLite */
    sqlite3 *db;
    char *dir;
    char *db_path;
    int readonly;
    int64_t empty_str; /* id of "" (the "no project" project) */
    sqlite3_stmt *st[S_COUNT];
    sqlite3_stmt *scan_st[SCAN_VARIANTS]; /* see scan_stmt() */
    /* store_scan_tools(): by number of tools (1..STORE_SCAN_TOOLS) and
     * project and session conditions (bits 1 and 2). */
    sqlite3_stmt *tools_st[STORE_SCAN_TOOLS][4];
    /* store_raw_timed_sum(): by tool, project and session conditions. */
    sqlite3_stmt *sum_st[8];
    struct rollup_writer *rw;
    /* Interning caches: text -> id and id -> text. */
    struct kmap text_ids;
    int64_t *text_id_vals;
    size_t text_id_alloc;
    /* id -> text, in two generations (see store_str). */
    struct text_gen {
        struct kmap map;
        char **vals;
        size_t alloc;
    } gen[2];
    int cur;
};

/* Turn the connection's last error into a project error code with a
 * message naming `what` and the database (TP_EBUSY, TP_ENOSPC, TP_EROFS or
 * TP_EDB). */
int store_db_fail(struct store *s, char *errbuf, const char *what);
/* The prepared statement id, reset and unbound (prepared on first use). */
sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id);
/* Run SQL without results: 0 or TP_EDB. */
int store_exec(struct store *s, const char *sql);
/* Id of text, adding it (inside the caller's write transaction). 0 for
 * NULL. Returns -1 on a database error. */
int64_t store_intern(struct store *s, const char *text);
/* Forget cached string ids (after a rollback undid some). */
void store_forget_ids(struct store *s);
/* The schema version this build writes. */
int store_schema_version(void);

/* ---- rows in memory --------------------------------------------------------- */

/* A row of `ops` with its strings as ids. err and meta are owned when
 * `owned` is set, else borrowed from a statement or an op. */
struct row {
    int64_t id;
    int64_t ts_ms;  /* absolute start time */
    int64_t dur_us; /* -1 unknown; the exec phase, also in ph */
    struct op_phases ph;
    int64_t tool, target, session, project;
    int64_t sub; /* the sub-agent's id string, 0 for the main thread */
    int success, opt, src, is_int, attn, is_read;
    unsigned sources;
    int64_t size, rbytes; /* -1 unknown */
    char *err, *meta;
    int owned;
};

void row_free(struct row *r);
/* Microseconds of a duration in ms (-1 for NAN, unknown). */
int64_t row_dur_us(double ms);
/* A nullable integer column (-1 for NULL). */
int64_t row_col_opt(sqlite3_stmt *q, int col);
int row_is_read_tool(struct store *s, int64_t tool);
/* Fill r from the current result row of a ROW_COLS query; with copy, err
 * and meta are copied (owned), else they point into the statement; copy -1
 * says the query has only LITE_COLS. */
void row_from_stmt(struct store *s, sqlite3_stmt *q, struct row *r, int copy);
/* ops.ph packs, per phase (enum op_phase) at bit 6 * phase, its
 * exactness (2 bits) and source (4 bits), and at bit 24 the approval state
 * (2 bits). NULL in rows stored before phases existed: their exec phase is
 * what their source measures (op_normalize's defaults). */
int64_t row_ph_pack(const struct op_phases *p);
void row_ph_unpack(int64_t v, int null, int src, struct op_phases *p);
/* Add (sign +1) or retract (-1) a row's contribution to the aggregates. */
void row_contribute(struct rollup_deltas *d, const struct row *r, int sign);

/* Merge a newcomer n into the stored row e (store_write.c): 1 when e
 * changed. The ClickHouse store merges with the same rules. */
int store_merge_row(struct store *s, struct row *e, const struct row *n);

/* Store a batch's turns and requests, inside its transaction
 * (store_time.c). */
int store_put_timeline(struct store *s, const struct store_group *g, char *errbuf);

/* ---- identity (store_uid.c) ------------------------------------------------- */

/* An operation's identity as stored in ops.uid, in the smallest form that
 * keeps it exact:
 *   - Claude Code's ids, "toolu_01" + 22 base-62 characters, as a 17-byte
 *     BLOB (the base-62 number; 30 bytes of text become 17);
 *   - ids derived by op_derive_id ("tp-" + 16 hex digits) as an INTEGER;
 *   - anything else as TEXT. */
#define UID_PREFIX "toolu_01"
#define UID_DIGITS 22
#define UID_BLOB 17

struct uid {
    const char *text;
    enum { UID_TEXT, UID_DERIVED, UID_PACKED } kind;
    int64_t num;
    unsigned char blob[UID_BLOB];
    uint32_t slot;
};

/* Classify text and compute its slot. u keeps a pointer to text. */
void uid_make(const char *text, struct uid *u);
void uid_bind(sqlite3_stmt *q, int col, const struct uid *u);
/* Does the stored uid column col hold u? */
int uid_matches(sqlite3_stmt *q, int col, const struct uid *u);
/* The text of a stored uid column (buf holds at least 40 bytes). */
const char *uid_text(sqlite3_stmt *q, int col, char *buf);

#endif
