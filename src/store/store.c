/*
 * store.c - operations and rollups in SQLite.
 *
 * The layout is driven by three numbers from the issue: inserts at
 * 200,000+ operations a second that stay flat as the store grows, every
 * query under 5 ms at 10 M operations, and no more than 80 bytes on disk per
 * operation. How the schema gets there:
 *
 * Row ids carry time and identity. An operation's rowid is
 *     (hour << 32) | slot
 * where hour = start time / 1 h and slot = the low 32 bits of the hash of
 * its identity (tool_use_id, or a derived id). So the table is clustered by
 * hour: a time window is a rowid range scan, no timestamp index is needed,
 * and the row stores only the milliseconds within its hour. And a call is
 * found again by probing its slot: the same call reported by another source
 * has the same identity and a start time within the hour before or after
 * (every source's start time is the same call's start, give or take a few
 * seconds), so three point lookups (hours H, H-1, H+1) decide whether it is
 * new, with no separate unique index to keep. Two identities that share a
 * slot in the same hour chain to the next slot (linear probing); a probe
 * always compares the full identity.
 *
 * Strings are interned. Tool names, targets, sessions and projects go into
 * `strs` once and rows hold their integer ids.
 *
 * Rollups are kept in the same transaction as the rows. For each operation
 * the store adds its contribution (count, sum, slow/critical/failed/
 * optimized/attention counters, sketch) to rollup rows keyed by
 * (level, bucket, project, tool) for three levels (hour, UTC day, 30 days)
 * and two projects (its own and 0 = all projects), to a per-(day, target)
 * row for hotspots, to a per-(session, file) row for repeated reads, and to
 * its session's time span. A batch accumulates these contributions in
 * memory (rollup.h) and writes each touched row once at the end.
 * When a known call arrives again and changes (a better duration, a project
 * it lacked), its old contribution is retracted and the new one added, so
 * rollups always equal what a scan of the rows would give. The exception is
 * min/max: they are bounds (a retracted extreme is not recomputed), which
 * is all their one user, the pruning of slow-operation scans, needs.
 *
 * Schema changes go through `migrations[]`, tracked in PRAGMA user_version.
 */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "redact.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
/* Strings per generation of the id -> text cache. */
#define STORE_TEXT_CACHE 100000

/* The first row id of an hour, (hour << 32), as a product: a query's
 * window may start before 1970 (since=1066-10-14), and shifting a negative
 * hour is undefined behaviour (UBSan stopped the server on it). */
static int64_t hour_id(int64_t hour)
{
    return hour * ((int64_t)1 << 32);
}

/* ---- flags column ------------------------------------------------------ */

/* ops.flags packs the small fields of a row:
 *   bit 0      success
 *   bit 1      optimization_applied
 *   bits 2-4   source of the stored duration (enum op_source)
 *   bit 5      duration was written as an integer (seed files)
 *   bits 6-7   attention flag (OP_ATTN_*)
 *   bits 8-13  every source that reported the call (bit mask) */
#define F_SUCCESS 0x1u
#define F_OPT 0x2u
#define F_SRC_SHIFT 2
#define F_INT 0x20u
#define F_ATTN_SHIFT 6
#define F_SOURCES_SHIFT 8

static unsigned flags_pack(int success, int opt, int src, int is_int, int attn, unsigned sources)
{
    return (success ? F_SUCCESS : 0) | (opt ? F_OPT : 0) | ((unsigned)src << F_SRC_SHIFT) |
           (is_int ? F_INT : 0) | ((unsigned)attn << F_ATTN_SHIFT) | (sources << F_SOURCES_SHIFT);
}

/* ---- schema ------------------------------------------------------------- */

static const char *const migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE strs(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);"
    "CREATE TABLE ops("
    "  id INTEGER PRIMARY KEY," /* (hour << 32) | slot */
    "  ts INTEGER NOT NULL,"    /* ms within the hour */
    "  dur INTEGER,"            /* microseconds, NULL = unknown */
    "  tool INTEGER NOT NULL, target INTEGER, session INTEGER, project INTEGER,"
    "  flags INTEGER NOT NULL, size INTEGER, rbytes INTEGER,"
    "  uid ANY," /* TEXT tool_use_id, or INTEGER for a derived id */
    "  err TEXT, meta TEXT) STRICT;"
    "CREATE TABLE rollups(lvl INTEGER NOT NULL, b INTEGER NOT NULL, project INTEGER NOT NULL,"
    "  tool INTEGER NOT NULL, n INTEGER NOT NULL, nt INTEGER NOT NULL, sum_us INTEGER NOT NULL,"
    "  min_us INTEGER, max_us INTEGER, slow INTEGER NOT NULL, crit INTEGER NOT NULL,"
    "  failed INTEGER NOT NULL, opt INTEGER NOT NULL, attn INTEGER NOT NULL,"
    "  attn_bytes INTEGER NOT NULL, slow_sum_us INTEGER NOT NULL, sk BLOB NOT NULL,"
    "  PRIMARY KEY(lvl, b, project, tool)) WITHOUT ROWID, STRICT;"
    "CREATE INDEX rollups_tool ON rollups(lvl, project, tool, b);"
    "CREATE TABLE targets(day INTEGER NOT NULL, project INTEGER NOT NULL, tool INTEGER NOT NULL,"
    "  target INTEGER NOT NULL, n INTEGER NOT NULL, nt INTEGER NOT NULL, failed INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, max_us INTEGER NOT NULL,"
    "  PRIMARY KEY(day, project, tool, target)) WITHOUT ROWID, STRICT;"
    "CREATE TABLE rereads(session INTEGER NOT NULL, target INTEGER NOT NULL,"
    "  project INTEGER NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(session, target)) WITHOUT ROWID, STRICT;"
    /* Covering: the repeated-reads rule reads only this index. */
    "CREATE INDEX rereads_hot ON rereads(last_ms, n, bytes, sum_us, project) WHERE n >= 3;"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, first_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE marks(path TEXT PRIMARY KEY, off INTEGER NOT NULL, size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "INSERT INTO meta VALUES('operations', 0);",
    /* 2: the number of operations is the sum of the monthly rollups; a
     * counter updated by every commit cost a page of WAL each time. */
    "DELETE FROM meta WHERE k = 'operations';",
    /* 3: reread totals by bucket (see rollup.h), filled from rereads; and
     * the pairs by number of reads, for the top pairs of a long window. */
    "CREATE TABLE reread_sums(lvl INTEGER NOT NULL, b INTEGER NOT NULL,"
    "  project INTEGER NOT NULL, pairs INTEGER NOT NULL, reads INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL, us INTEGER NOT NULL,"
    "  PRIMARY KEY(lvl, b, project)) WITHOUT ROWID, STRICT;"
    "CREATE INDEX rereads_top ON rereads(n, sum_us) WHERE n >= 3;"
    "INSERT INTO reread_sums "
    "  SELECT l.lvl, r.last_ms / l.w, CASE p.all_ WHEN 1 THEN 0 ELSE r.project END,"
    "    count(*), sum(r.n), sum((r.n - 1) * (CASE WHEN r.bytes > 0 THEN r.bytes / r.n"
    "      ELSE 4000 END)), sum(r.sum_us * (r.n - 1) / r.n)"
    "  FROM rereads r,"
    "    (SELECT 0 AS lvl, 3600000 AS w UNION ALL SELECT 1, 86400000"
    "     UNION ALL SELECT 2, 2592000000) l,"
    "    (SELECT 0 AS all_ UNION ALL SELECT 1) p"
    "  WHERE r.n >= 3 GROUP BY 1, 2, 3;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- prepared statements ------------------------------------------------ */

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
    S_COUNT
};

#define ROW_COLS "id, ts, dur, tool, target, session, project, flags, size, rbytes, uid, err, meta"
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
#define LITE_COLS "id, ts, dur, tool, target, session, project, flags, size, rbytes"

static const char *const stmt_sql[S_COUNT] = {
    [S_STR_ID] = "SELECT id FROM strs WHERE s = ?1",
    [S_STR_INS] = "INSERT INTO strs(s) VALUES(?1)",
    [S_STR_TEXT] = "SELECT s FROM strs WHERE id = ?1",
    [S_OP_GET] = "SELECT " ROW_COLS " FROM ops WHERE id = ?1",
    [S_HOURS_ASC] = "SELECT DISTINCT b FROM rollups WHERE lvl = ?7 AND project = ?1 "
                    "AND (?2 = 0 OR tool = ?2) AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                    "AND attn >= ?6 ORDER BY b",
    [S_HOURS_DESC] =
        "SELECT DISTINCT b FROM rollups WHERE lvl = ?7 AND project = ?1 "
        "AND (?2 = 0 OR tool = ?2) AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
        "AND attn >= ?6 ORDER BY b DESC",
    /* The same for one tool, through the index rollups_tool. */
    [S_HOURS_TOOL_ASC] = "SELECT b FROM rollups WHERE lvl = ?7 AND project = ?1 AND tool = ?2 "
                         "AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                         "AND attn >= ?6 ORDER BY b",
    [S_HOURS_TOOL_DESC] = "SELECT b FROM rollups WHERE lvl = ?7 AND project = ?1 AND tool = ?2 "
                          "AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                          "AND attn >= ?6 ORDER BY b DESC",
    [S_HOUR_COUNTS] = "SELECT b, sum(n) FROM rollups WHERE lvl = 0 AND project = 0 "
                      "AND b BETWEEN ?1 AND ?2 GROUP BY b",
    [S_OP_INS] = "INSERT INTO ops(" ROW_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [S_OP_UPD] = "UPDATE ops SET dur=?2, tool=?3, target=?4, session=?5, project=?6, flags=?7, "
                 "size=?8, rbytes=?9, err=?10, meta=?11 WHERE id=?1",
    [S_FIRST_TS] = "SELECT h, min(ts) FROM ops, (SELECT min(id) >> 32 AS h FROM ops) "
                   "WHERE id >= h << 32 AND id < (h + 1) << 32",
    [S_LAST_TS] = "SELECT h, max(ts) FROM ops, (SELECT max(id) >> 32 AS h FROM ops) "
                  "WHERE id >= h << 32 AND id < (h + 1) << 32",
    [S_OP_COUNT] = "SELECT coalesce(sum(n), 0) FROM rollups WHERE lvl = 2 AND project = 0",
    [S_MARK_GET] = "SELECT off, size, mtime_ns, inode FROM marks WHERE path = ?1",
    [S_MARK_PUT] = "INSERT OR REPLACE INTO marks VALUES(?1,?2,?3,?4,?5)",
    [S_RU_RANGE] = "SELECT b, tool, project, " ROLLUP_COLS " FROM rollups WHERE lvl=?1 AND b>=?2 "
                   "AND b<?3 AND project=?4 AND (?5 = 0 OR tool = ?5) ORDER BY b, tool",
    [S_RU_SUMS] = "SELECT coalesce(sum(nt), 0), coalesce(sum(sum_us), 0) FROM rollups "
                  "WHERE lvl=?1 AND b>=?2 AND b<?3 AND project=?4 AND (?5 = 0 OR tool = ?5)",
    [S_TG_RANGE] = "SELECT day, project, tool, target, n, failed, sum_us, max_us, nt FROM targets "
                   "WHERE day >= ?1 AND day < ?2 AND (?3 = 0 OR project = ?3) "
                   "AND (?4 = 0 OR tool = ?4)",
    /* Repeated reads: the partial index rereads_hot holds only pairs with 3+
     * reads, and the literal "n >= 3" lets the planner use it. */
    /* The literals 3 and 4000 are REREAD_MIN and REREAD_UNKNOWN_BYTES
     * (rollup.h); the arithmetic is reread_value()'s in rollup.c. */
    [S_RR_TOTALS] = "SELECT " RR_SUMS " FROM rereads WHERE n >= 3 AND last_ms >= ?1 "
                    "AND last_ms < ?2 AND (?3 = 0 OR project = ?3)",
    [S_RR_TOTALS_SESSION] = "SELECT " RR_SUMS " FROM rereads WHERE session = ?4 AND n >= 3 "
                            "AND last_ms >= ?1 AND last_ms < ?2 AND (?3 = 0 OR project = ?3)",
    [S_RS_ALL] = "SELECT coalesce(sum(pairs), 0) FROM reread_sums WHERE lvl = 2 AND project = ?1",
    [S_RS_RANGE] = "SELECT coalesce(sum(pairs), 0), coalesce(sum(reads), 0), "
                   "coalesce(sum(bytes), 0), coalesce(sum(us), 0) FROM reread_sums "
                   "WHERE lvl = ?1 AND b >= ?2 AND b < ?3 AND project = ?4",
    /* The top pairs: of a short window, from the pairs read last in it; of
     * a long one, from the most read pairs down, until enough are in it. */
    [S_RR_TOP] = "SELECT " RR_COLS " FROM rereads INDEXED BY rereads_hot "
                 "WHERE n >= 3 AND last_ms >= ?1 AND last_ms < ?2 "
                 "AND (?3 = 0 OR project = ?3) ORDER BY " RR_ORDER " LIMIT ?5",
    [S_RR_TOP_BY_N] = "SELECT " RR_COLS " FROM rereads INDEXED BY rereads_top "
                      "WHERE n >= 3 AND last_ms >= ?1 AND last_ms < ?2 "
                      "AND (?3 = 0 OR project = ?3) ORDER BY " RR_ORDER " LIMIT ?5",
    [S_RR_TOP_SESSION] = "SELECT " RR_COLS " FROM rereads WHERE session = ?4 AND n >= 3 "
                         "AND last_ms >= ?1 AND last_ms < ?2 AND (?3 = 0 OR project = ?3) "
                         "ORDER BY " RR_ORDER " LIMIT ?5",
    [S_SS_GET] = "SELECT first_ms, last_ms FROM sessions WHERE id = ?1",
    [S_TOOLS] = "SELECT DISTINCT tool FROM rollups WHERE lvl = 2 AND project = 0",
    [S_OP_DEL_RANGE] = "DELETE FROM ops WHERE id >= ?1 AND id < ?2",
};

struct store {
    sqlite3 *db;
    char *dir;
    char *db_path;
    int readonly;
    int64_t empty_str; /* id of "" (the "no project" project) */
    sqlite3_stmt *st[S_COUNT];
    sqlite3_stmt *scan_st[SCAN_VARIANTS]; /* see scan_stmt() */
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

static int db_fail(struct store *s, char *errbuf, const char *what)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return tp_fail(errbuf, TP_EBUSY, "%s: the database %s stayed locked", what, s->db_path);
    if (code == SQLITE_FULL)
        return tp_fail(errbuf, TP_ENOSPC, "%s: disk full, cannot write %s", what, s->db_path);
    if (code == SQLITE_READONLY)
        return tp_fail(errbuf, TP_EROFS, "%s: %s is read-only", what, s->db_path);
    return tp_fail(errbuf, TP_EDB, "%s: %s (%s)", what, sqlite3_errmsg(s->db), s->db_path);
}

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    if (!s->st[id]) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                               NULL) != SQLITE_OK) {
            fprintf(stderr, "toolprof: cannot prepare statement %d: %s\n", (int)id,
                    sqlite3_errmsg(s->db));
            abort(); /* our SQL is static: this is a bug, not an input error */
        }
    } else {
        sqlite3_reset(s->st[id]);
        sqlite3_clear_bindings(s->st[id]);
    }
    return s->st[id];
}

static int exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : TP_EDB;
}

/* ---- opening -------------------------------------------------------------- */

char *store_default_dir(const char *dir)
{
    if (dir && *dir)
        return xstrdup(dir);
    const char *env = getenv("TOOLPROF_DATA_DIR");
    if (env && *env)
        return xstrdup(env);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    size_t n = strlen(home) + 64;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/.claude/memory/performance", home);
    return p;
}

static int migrate(struct store *s, char *errbuf)
{
    sqlite3_stmt *q;
    int version = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return db_fail(s, errbuf, "reading the schema version");
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version == SCHEMA_VERSION)
        return 0;
    if (version > SCHEMA_VERSION)
        return tp_fail(errbuf, TP_EUNSUPP,
                       "%s has schema version %d, newer than this toolprof knows (%d): "
                       "upgrade toolprof",
                       s->db_path, version, SCHEMA_VERSION);
    if (s->readonly)
        return tp_fail(errbuf, TP_EUNSUPP, "%s needs a schema upgrade; run a writing command",
                       s->db_path);
    if (exec(s, "BEGIN IMMEDIATE") != 0)
        return db_fail(s, errbuf, "starting the schema upgrade");
    /* Re-read under the write lock: another process may have migrated. */
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        if (exec(s, migrations[v]) != 0) {
            int rc = db_fail(s, errbuf, "upgrading the schema");
            exec(s, "ROLLBACK");
            return rc;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (exec(s, sql) != 0 || exec(s, "COMMIT") != 0) {
        int rc = db_fail(s, errbuf, "upgrading the schema");
        exec(s, "ROLLBACK");
        return rc;
    }
    return 0;
}

/* Why dir cannot be written: EROFS for a read-only file system, EACCES
 * for permissions, 0 when it can (or does not exist yet). */
static int store_dir_unwritable(const char *dir)
{
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY))
        return EROFS;
    if (access(dir, W_OK) != 0 && (errno == EROFS || errno == EACCES))
        return errno;
    return 0;
}

int store_open(const char *data_dir, int flags, struct store **out, char *errbuf)
{
    int rc;
    struct store *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(data_dir);
    size_t n = strlen(data_dir) + sizeof(STORE_DB_NAME) + 2;
    s->db_path = xmalloc(n);
    snprintf(s->db_path, n, "%s/%s", data_dir, STORE_DB_NAME);
    s->readonly = (flags & STORE_READONLY) != 0;
    kmap_init(&s->text_ids);

    /* Said up front: SQLite would only report "unable to open database
     * file" or "attempt to write a readonly database", naming no cause. */
    int unwritable = store_dir_unwritable(data_dir);
    if (unwritable && !s->readonly) {
        rc = tp_fail(errbuf, TP_EROFS, "data directory %s is read-only (%s)", data_dir,
                     strerror(unwritable));
        goto fail;
    }
    if (!(flags & (STORE_NOCREATE | STORE_READONLY)) &&
        (rc = fs_mkdirs(data_dir, 0700, errbuf)) != 0)
        goto fail;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!(flags & (STORE_NOCREATE | STORE_READONLY)))
        oflags |= SQLITE_OPEN_CREATE;
    /* A WAL database on a read-only file system cannot get its shared
     * memory file; nobody can write there, so it may be read as immutable. */
    char *uri = NULL;
    if (s->readonly && unwritable == EROFS) {
        uri = sqlite3_mprintf("file:%s?immutable=1", s->db_path);
        oflags |= SQLITE_OPEN_URI;
    }
    int orc = sqlite3_open_v2(uri ? uri : s->db_path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_free(uri);
    if (orc != SQLITE_OK) {
        rc = s->db
                 ? tp_fail(errbuf, TP_EIO, "cannot open %s: %s", s->db_path, sqlite3_errmsg(s->db))
                 : tp_fail(errbuf, TP_EIO, "cannot open %s", s->db_path);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 0);
    /* Per-connection settings (not stored in the file). WAL mode is stored,
     * but setting it is cheap when it is already on. */
    if (!s->readonly && exec(s, "PRAGMA journal_mode=WAL") != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot use %s: %s", s->db_path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (exec(s, "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
                "PRAGMA cache_size=-16000; PRAGMA journal_size_limit=67108864") != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot use %s: %s", s->db_path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if ((rc = migrate(s, errbuf)) != 0)
        goto fail;
    char why[TP_ERR_MAX];
    if (redact_configure(data_dir, why) != 0)
        fprintf(stderr, "toolprof: %s/%s\n", data_dir, why);
    s->rw = rollup_writer_new(s->db);
    s->empty_str = 0;
    *out = s;
    return 0;
fail:
    store_close(s);
    *out = NULL;
    return rc;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (int i = 0; i < SCAN_VARIANTS; i++)
        sqlite3_finalize(s->scan_st[i]);
    rollup_writer_free(s->rw);
    if (s->db)
        sqlite3_close(s->db);
    for (int g = 0; g < 2; g++) {
        for (size_t i = 0; i < s->gen[g].map.n; i++)
            free(s->gen[g].vals[i]);
        free(s->gen[g].vals);
        kmap_free(&s->gen[g].map);
    }
    free(s->text_id_vals);
    kmap_free(&s->text_ids);
    free(s->dir);
    free(s->db_path);
    free(s);
}

const char *store_dir(const struct store *s)
{
    return s->dir;
}
const char *store_db_path(const struct store *s)
{
    return s->db_path;
}

void store_set_busy_timeout(struct store *s, int ms)
{
    sqlite3_busy_timeout(s->db, ms);
}

/* ---- strings -------------------------------------------------------------- */

static void cache_text_id(struct store *s, const char *text, size_t len, int64_t id)
{
    int added;
    size_t i = kmap_put(&s->text_ids, text, len, &added);
    if (i >= s->text_id_alloc) {
        s->text_id_alloc = s->text_id_alloc ? s->text_id_alloc * 2 : 256;
        s->text_id_vals = xreallocarray(s->text_id_vals, s->text_id_alloc, sizeof(int64_t));
    }
    s->text_id_vals[i] = id;
}

static int64_t str_id(struct store *s, const char *text, size_t len)
{
    long i = kmap_find(&s->text_ids, text, len);
    if (i >= 0)
        return s->text_id_vals[i];
    sqlite3_stmt *q = stmt(s, S_STR_ID);
    sqlite3_bind_text(q, 1, text, (int)len, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        id = sqlite3_column_int64(q, 0);
        cache_text_id(s, text, len, id);
    }
    sqlite3_reset(q);
    return id;
}

int64_t store_str_id(struct store *s, const char *text)
{
    return text ? str_id(s, text, strlen(text)) : 0;
}

/* Id of text, adding it (inside the caller's write transaction). 0 for
 * NULL. Returns -1 on a database error. */
static int64_t intern(struct store *s, const char *text)
{
    if (!text)
        return 0;
    size_t len = strlen(text);
    int64_t id = str_id(s, text, len);
    if (id)
        return id;
    sqlite3_stmt *q = stmt(s, S_STR_INS);
    sqlite3_bind_text(q, 1, text, (int)len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return -1;
    id = sqlite3_last_insert_rowid(s->db);
    cache_text_id(s, text, len, id);
    return id;
}

/* Keep text in the current generation. */
static const char *gen_put(struct store *s, int64_t id, char *text)
{
    struct text_gen *g = &s->gen[s->cur];
    if (g->map.n >= STORE_TEXT_CACHE) {
        /* Rotate: the older generation goes, the current one becomes the
         * older, so a string stays valid for at least STORE_TEXT_CACHE
         * more distinct lookups. */
        s->cur = !s->cur;
        g = &s->gen[s->cur];
        for (size_t i = 0; i < g->map.n; i++)
            free(g->vals[i]);
        kmap_clear(&g->map);
    }
    int added;
    size_t k = kmap_put(&g->map, &id, sizeof id, &added);
    if (k >= g->alloc) {
        g->alloc = g->alloc ? g->alloc * 2 : 256;
        g->vals = xreallocarray(g->vals, g->alloc, sizeof(char *));
    }
    g->vals[k] = text;
    return text;
}

const char *store_str(struct store *s, int64_t id)
{
    if (id <= 0)
        return NULL;
    long i = kmap_find(&s->gen[s->cur].map, &id, sizeof id);
    if (i >= 0)
        return s->gen[s->cur].vals[i];
    i = kmap_find(&s->gen[!s->cur].map, &id, sizeof id);
    if (i >= 0) /* promote a copy: the older generation goes first */
        return gen_put(s, id, xstrdup(s->gen[!s->cur].vals[i]));
    sqlite3_stmt *q = stmt(s, S_STR_TEXT);
    sqlite3_bind_int64(q, 1, id);
    char *text = NULL;
    if (sqlite3_step(q) == SQLITE_ROW)
        text = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    return text ? gen_put(s, id, text) : NULL;
}

/* ---- rows in memory --------------------------------------------------------- */

/* A row of `ops` with its strings as ids. err and meta are owned when
 * `owned` is set, else borrowed from a statement or an op. */
struct row {
    int64_t id;
    int64_t ts_ms;  /* absolute start time */
    int64_t dur_us; /* -1 unknown */
    int64_t tool, target, session, project;
    int success, opt, src, is_int, attn, is_read;
    unsigned sources;
    int64_t size, rbytes; /* -1 unknown */
    char *err, *meta;
    int owned;
};

static void row_free(struct row *r)
{
    if (r->owned) {
        free(r->err);
        free(r->meta);
    }
    r->err = r->meta = NULL;
}

static int64_t dur_to_us(double ms)
{
    return isnan(ms) ? -1 : llround(ms * 1000.0);
}

static int64_t col_opt_int(sqlite3_stmt *q, int col)
{
    return sqlite3_column_type(q, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, col);
}

static int is_read_tool(struct store *s, int64_t tool)
{
    const char *name = store_str(s, tool);
    return name && strcmp(name, "Read") == 0;
}

/* Fill r from the current result row of a ROW_COLS query; with copy, err
 * and meta are copied (owned), else they point into the statement; copy -1
 * says the query has only LITE_COLS. */
static void row_from_stmt(struct store *s, sqlite3_stmt *q, struct row *r, int copy)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    r->ts_ms = (r->id >> 32) * HOUR_MS + sqlite3_column_int64(q, 1);
    r->dur_us = col_opt_int(q, 2);
    r->tool = sqlite3_column_int64(q, 3);
    r->target = sqlite3_column_int64(q, 4);
    r->session = sqlite3_column_int64(q, 5);
    r->project = sqlite3_column_int64(q, 6);
    unsigned f = (unsigned)sqlite3_column_int64(q, 7);
    r->success = (f & F_SUCCESS) != 0;
    r->opt = (f & F_OPT) != 0;
    r->src = (int)((f >> F_SRC_SHIFT) & 7);
    r->is_int = (f & F_INT) != 0;
    r->attn = (int)((f >> F_ATTN_SHIFT) & 3);
    r->sources = (f >> F_SOURCES_SHIFT) & 0x3f;
    r->size = col_opt_int(q, 8);
    r->rbytes = col_opt_int(q, 9);
    if (copy < 0) /* LITE_COLS: no text columns */
        return;
    const char *err = (const char *)sqlite3_column_text(q, 11);
    const char *meta = (const char *)sqlite3_column_text(q, 12);
    r->owned = copy;
    r->err = err ? (copy ? xstrdup(err) : (char *)err) : NULL;
    r->meta = meta ? (copy ? xstrdup(meta) : (char *)meta) : NULL;
    /* Only contributions need is_read: set it when the row is copied for a
     * merge (scans skip the string lookup). */
    r->is_read = copy ? is_read_tool(s, r->tool) : 0;
}

static void row_contrib(const struct row *r, struct rollup_contrib *c)
{
    c->ts_ms = r->ts_ms;
    c->dur_us = r->dur_us;
    c->tool = r->tool;
    c->target = r->target;
    c->session = r->session;
    c->project = r->project;
    c->success = r->success;
    c->opt = r->opt;
    c->attn = r->attn;
    c->is_read = r->is_read;
    c->size = r->size;
}

static void contribute(struct rollup_deltas *d, const struct row *r, int sign)
{
    struct rollup_contrib c;
    row_contrib(r, &c);
    rollup_contribute(d, &c, sign);
}

/* ---- identity ------------------------------------------------------------- */

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

static int b62_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

/* digits (base 62, most significant first) -> big-endian bytes. 62^22 is
 * below 2^131: the number is kept as a 3-bit top and two 64-bit limbs. */
static int b62_pack(const char *digits, unsigned char *out)
{
    uint64_t top = 0, hi = 0, lo = 0;
    for (int i = 0; i < UID_DIGITS; i++) {
        int v = b62_value(digits[i]);
        if (v < 0)
            return 0;
        unsigned __int128 t = (unsigned __int128)lo * 62u + (unsigned)v;
        lo = (uint64_t)t;
        t = (unsigned __int128)hi * 62u + (uint64_t)(t >> 64);
        hi = (uint64_t)t;
        top = top * 62u + (uint64_t)(t >> 64);
    }
    out[0] = (unsigned char)top;
    for (int k = 0; k < 8; k++) {
        out[1 + k] = (unsigned char)(hi >> (56 - 8 * k));
        out[9 + k] = (unsigned char)(lo >> (56 - 8 * k));
    }
    return 1;
}

static void b62_unpack(const unsigned char *in, char *out)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char n[UID_BLOB];
    memcpy(n, in, UID_BLOB);
    memcpy(out, UID_PREFIX, sizeof UID_PREFIX - 1);
    for (int i = UID_DIGITS - 1; i >= 0; i--) {
        unsigned rem = 0;
        for (int k = 0; k < UID_BLOB; k++) {
            unsigned x = (rem << 8) | n[k];
            n[k] = (unsigned char)(x / 62);
            rem = x % 62;
        }
        out[sizeof UID_PREFIX - 1 + i] = b62[rem];
    }
    out[sizeof UID_PREFIX - 1 + UID_DIGITS] = '\0';
}

static void uid_make(const char *text, struct uid *u)
{
    size_t n = strlen(text);
    u->text = text;
    u->kind = UID_TEXT;
    u->num = 0;
    if (n == 19 && memcmp(text, "tp-", 3) == 0 && strspn(text + 3, "0123456789abcdef") == 16) {
        u->kind = UID_DERIVED;
        u->num = (int64_t)strtoull(text + 3, NULL, 16);
    } else if (n == sizeof UID_PREFIX - 1 + UID_DIGITS &&
               memcmp(text, UID_PREFIX, sizeof UID_PREFIX - 1) == 0 &&
               b62_pack(text + sizeof UID_PREFIX - 1, u->blob)) {
        u->kind = UID_PACKED;
    }
    u->slot = (uint32_t)hash_str(text);
}

static void bind_uid(sqlite3_stmt *q, int col, const struct uid *u)
{
    if (u->kind == UID_DERIVED)
        sqlite3_bind_int64(q, col, u->num);
    else if (u->kind == UID_PACKED)
        sqlite3_bind_blob(q, col, u->blob, UID_BLOB, SQLITE_STATIC);
    else
        sqlite3_bind_text(q, col, u->text, -1, SQLITE_STATIC);
}

static int uid_matches(sqlite3_stmt *q, int col, const struct uid *u)
{
    int type = sqlite3_column_type(q, col);
    switch (u->kind) {
    case UID_DERIVED: return type == SQLITE_INTEGER && sqlite3_column_int64(q, col) == u->num;
    case UID_PACKED:
        return type == SQLITE_BLOB && sqlite3_column_bytes(q, col) == UID_BLOB &&
               memcmp(sqlite3_column_blob(q, col), u->blob, UID_BLOB) == 0;
    case UID_TEXT: break;
    }
    return type == SQLITE_TEXT && strcmp((const char *)sqlite3_column_text(q, col), u->text) == 0;
}

/* The text of a stored uid column (buf holds at least 40 bytes). */
static const char *uid_text(sqlite3_stmt *q, int col, char *buf)
{
    switch (sqlite3_column_type(q, col)) {
    case SQLITE_INTEGER:
        snprintf(buf, 40, "tp-%016llx", (unsigned long long)sqlite3_column_int64(q, col));
        return buf;
    case SQLITE_BLOB:
        if (sqlite3_column_bytes(q, col) != UID_BLOB)
            return NULL;
        b62_unpack(sqlite3_column_blob(q, col), buf);
        return buf;
    case SQLITE_NULL: return NULL;
    }
    return (const char *)sqlite3_column_text(q, col);
}

/* Walk hour's slot chain from slot + k0. Returns 1 when found (row read
 * into *found), 0 when not (then *free_id is the first empty slot), <0 on
 * error. */
static int probe_chain(struct store *s, int64_t hour, uint32_t k0, const struct uid *u,
                       struct row *found, int64_t *free_id, char *errbuf)
{
    for (uint32_t k = k0; k < 4096; k++) {
        int64_t id = (hour << 32) | (int64_t)(uint32_t)(u->slot + k);
        sqlite3_stmt *q = stmt(s, S_OP_GET);
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_DONE) {
            *free_id = id;
            return 0;
        }
        if (rc != SQLITE_ROW)
            return db_fail(s, errbuf, "looking up an operation");
        if (uid_matches(q, 10, u)) {
            row_from_stmt(s, q, found, 1);
            sqlite3_reset(q);
            return 1;
        }
    }
    return tp_fail(errbuf, TP_EDB, "slot chain too long in hour %lld", (long long)hour);
}

/* What a batch knows about the hours it writes to: how many calls each
 * held before the batch began (from the hourly rollups, which are exact),
 * and every call the batch itself has stored so far. With it, an hour that
 * was empty before the batch is never probed in SQLite: the batch's own
 * index says everything about it. A bulk import of new history, the case
 * that must reach hundreds of thousands of calls a second, then costs one
 * insert per call and no lookups. */
struct batch_index {
    int64_t h0, h1;   /* hours covered by `before`, inclusive */
    int64_t *before;  /* calls per hour before the batch (h0..h1) */
    struct kmap ids;  /* ids stored by this batch */
    struct kmap uids; /* (hour, identity) -> index into uid_ids */
    int64_t *uid_ids;
    size_t alloc;
};

#define BATCH_MAX_HOURS (24 * 366 * 20)

/* lo, hi: the first and last hour the batch's calls start in. */
static int batch_index_init(struct store *s, struct batch_index *bi, int64_t lo, int64_t hi,
                            char *errbuf)
{
    memset(bi, 0, sizeof *bi);
    if (lo > hi)
        return 0;
    bi->h0 = lo - 1;
    bi->h1 = hi + 1;
    if (bi->h1 - bi->h0 >= BATCH_MAX_HOURS) {
        bi->before = NULL; /* too wide to map: every hour is probed */
        return 0;
    }
    bi->before = xcalloc((size_t)(bi->h1 - bi->h0 + 1), sizeof(int64_t));
    sqlite3_stmt *q = stmt(s, S_HOUR_COUNTS);
    sqlite3_bind_int64(q, 1, bi->h0);
    sqlite3_bind_int64(q, 2, bi->h1);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(q, 0);
        if (h >= bi->h0 && h <= bi->h1)
            bi->before[h - bi->h0] = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, errbuf, "reading hourly counts");
    return 0;
}

static void batch_index_free(struct batch_index *bi)
{
    free(bi->before);
    free(bi->uid_ids);
    kmap_free(&bi->ids);
    kmap_free(&bi->uids);
}

/* Did hour h hold any call before the batch? (1 when unknown.) */
static int hour_had_calls(const struct batch_index *bi, int64_t h)
{
    if (!bi->before || h < bi->h0 || h > bi->h1)
        return 1;
    return bi->before[h - bi->h0] > 0;
}

/* The key of (hour, identity) in bi->uids, in key[] (>= 9 + TP_MAX_ID). */
static size_t uid_key(int64_t hour, const struct uid *u, unsigned char *key)
{
    memcpy(key, &hour, 8);
    key[8] = (unsigned char)u->kind;
    if (u->kind == UID_DERIVED) {
        memcpy(key + 9, &u->num, 8);
        return 17;
    }
    if (u->kind == UID_PACKED) {
        memcpy(key + 9, u->blob, UID_BLOB);
        return 9 + UID_BLOB;
    }
    size_t n = strlen(u->text);
    memcpy(key + 9, u->text, n);
    return 9 + n;
}

static void batch_index_add(struct batch_index *bi, int64_t id, const struct uid *u)
{
    unsigned char key[16 + TP_MAX_ID];
    int added;
    kmap_put(&bi->ids, &id, sizeof id, &added);
    size_t i = kmap_put(&bi->uids, key, uid_key(id >> 32, u, key), &added);
    if (i >= bi->alloc) {
        bi->alloc = bi->alloc ? bi->alloc * 2 : 1024;
        bi->uid_ids = xreallocarray(bi->uid_ids, bi->alloc, sizeof(int64_t));
    }
    bi->uid_ids[i] = id;
}

static int read_row(struct store *s, int64_t id, struct row *r, char *errbuf)
{
    sqlite3_stmt *q = stmt(s, S_OP_GET);
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        row_from_stmt(s, q, r, 1);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : db_fail(s, errbuf, "reading an operation");
}

/* Find the stored row of a call that started at ts_ms. The same call
 * reported by another source started within the hour before or after, so
 * its slot is looked up in the hours H, H-1 and H+1: in the batch's own
 * index, then in SQLite for the hours that held calls before the batch.
 * Returns 1 (found, row in *found), 0 (new: *free_id is where it goes), <0
 * on error. */
static int find_call(struct store *s, struct batch_index *bi, int64_t ts_ms, const struct uid *u,
                     struct row *found, int64_t *free_id, char *errbuf)
{
    int64_t hour = tpt_floor_div(ts_ms, HOUR_MS);
    int64_t hours[3] = {hour, hour - 1, hour + 1};
    unsigned char key[16 + TP_MAX_ID];
    for (int i = 0; i < 3; i++) {
        long k = kmap_find(&bi->uids, key, uid_key(hours[i], u, key));
        if (k >= 0) {
            int rc = read_row(s, bi->uid_ids[k], found, errbuf);
            return rc ? rc : 1;
        }
    }
    *free_id = 0;
    for (int i = 0; i < 3; i++) {
        if (!hour_had_calls(bi, hours[i]))
            continue;
        int64_t free_here = 0;
        int rc = probe_chain(s, hours[i], 0, u, found, &free_here, errbuf);
        if (rc != 0)
            return rc;
        if (i == 0)
            *free_id = free_here;
    }
    if (!*free_id) {
        /* The hour was empty before the batch: the first slot of the chain
         * that this batch has not taken is free. */
        for (uint32_t k = 0;; k++) {
            int64_t id = (hour << 32) | (int64_t)(uint32_t)(u->slot + k);
            if (kmap_find(&bi->ids, &id, sizeof id) < 0) {
                *free_id = id;
                break;
            }
        }
    }
    return 0;
}

/* ---- inserting and merging ------------------------------------------------- */

/* Build the row an op will be stored as (strings interned; err and meta
 * borrowed from the op). */
static int row_from_op(struct store *s, const struct op *op, struct row *r, char *errbuf)
{
    memset(r, 0, sizeof *r);
    r->ts_ms = op->ts_ms;
    r->dur_us = dur_to_us(op->duration_ms);
    if ((r->tool = intern(s, op->tool)) < 0 || (r->target = intern(s, op->target)) < 0 ||
        (r->session = intern(s, op->session_id)) < 0 ||
        (r->project = intern(s, op->project ? op->project : "")) < 0)
        return db_fail(s, errbuf, "storing a string");
    r->success = op->success;
    r->opt = op->optimized;
    r->src = op->source;
    r->is_int = op->duration_is_int;
    r->attn = op_attention(op);
    r->is_read = strcmp(op->tool, "Read") == 0;
    r->sources = 1u << op->source;
    r->size = op->size_bytes;
    r->rbytes = op->result_bytes;
    r->err = op->error;
    r->meta = op->meta;
    r->owned = 0;
    return 0;
}

static void bind_opt(sqlite3_stmt *q, int col, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(q, col, v);
    else
        sqlite3_bind_null(q, col);
}

static unsigned row_flags(const struct row *r)
{
    return flags_pack(r->success, r->opt, r->src, r->is_int, r->attn, r->sources);
}

static int insert_row(struct store *s, const struct row *r, const struct uid *u, char *errbuf)
{
    sqlite3_stmt *q = stmt(s, S_OP_INS);
    sqlite3_bind_int64(q, 1, r->id);
    sqlite3_bind_int64(q, 2, r->ts_ms - (r->id >> 32) * HOUR_MS);
    bind_opt(q, 3, r->dur_us);
    sqlite3_bind_int64(q, 4, r->tool);
    if (r->target)
        sqlite3_bind_int64(q, 5, r->target);
    if (r->session)
        sqlite3_bind_int64(q, 6, r->session);
    sqlite3_bind_int64(q, 7, r->project);
    sqlite3_bind_int64(q, 8, row_flags(r));
    bind_opt(q, 9, r->size);
    bind_opt(q, 10, r->rbytes);
    bind_uid(q, 11, u);
    if (r->err)
        sqlite3_bind_text(q, 12, r->err, -1, SQLITE_STATIC);
    if (r->meta)
        sqlite3_bind_text(q, 13, r->meta, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, errbuf, "storing an operation");
    return 0;
}

static int update_row(struct store *s, const struct row *r, char *errbuf)
{
    sqlite3_stmt *q = stmt(s, S_OP_UPD);
    sqlite3_bind_int64(q, 1, r->id);
    bind_opt(q, 2, r->dur_us);
    sqlite3_bind_int64(q, 3, r->tool);
    if (r->target)
        sqlite3_bind_int64(q, 4, r->target);
    if (r->session)
        sqlite3_bind_int64(q, 5, r->session);
    sqlite3_bind_int64(q, 6, r->project);
    sqlite3_bind_int64(q, 7, row_flags(r));
    bind_opt(q, 8, r->size);
    bind_opt(q, 9, r->rbytes);
    if (r->err)
        sqlite3_bind_text(q, 10, r->err, -1, SQLITE_STATIC);
    if (r->meta)
        sqlite3_bind_text(q, 11, r->meta, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, errbuf, "updating an operation");
    return 0;
}

static int highest_source(unsigned sources)
{
    int h = -1;
    for (int i = 0; i < OP_SRC_COUNT; i++)
        if (sources & (1u << i))
            h = i;
    return h;
}

/* Replace *dst (owned) by a copy of src. */
static void set_text(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? xstrdup(src) : NULL;
}

/* Merge a newcomer n into the stored row e (owned strings, in place).
 * Returns 1 when e changed. The rules: a known duration from a more
 * trusted source (enum op_source order) replaces the stored one; a failure
 * reported by any source stands; descriptive text (error, metadata) from a
 * more trusted source than any before replaces what is stored, otherwise
 * only fills what is missing; other missing fields are filled in; the
 * generic OTLP name "mcp_tool" gives way to a real MCP tool name. */
static int merge_row(struct store *s, struct row *e, const struct row *n)
{
    int changed = 0, top = highest_source(e->sources);
    if ((e->sources | n->sources) != e->sources) {
        e->sources |= n->sources;
        changed = 1;
    }
    if (n->dur_us >= 0 && (e->dur_us < 0 || n->src > e->src)) {
        changed |= e->dur_us != n->dur_us || e->src != n->src;
        e->dur_us = n->dur_us;
        e->src = n->src;
        e->is_int = n->is_int;
    } else if (e->dur_us < 0 && n->src > e->src) {
        e->src = n->src;
        changed = 1;
    }
    if (!n->success && e->success) {
        e->success = 0;
        changed = 1;
    }
    if (n->opt && !e->opt) {
        e->opt = 1;
        changed = 1;
    }
    if (e->tool != n->tool) {
        const char *et = store_str(s, e->tool);
        if (et && strcmp(et, "mcp_tool") == 0) {
            e->tool = n->tool;
            changed = 1;
        }
    }
#define FILL(field, missing)                                                                       \
    if ((missing) && e->field != n->field) {                                                       \
        e->field = n->field;                                                                       \
        changed = 1;                                                                               \
    }
    FILL(target, !e->target && n->target);
    FILL(session, !e->session && n->session);
    FILL(size, e->size < 0);
    FILL(rbytes, e->rbytes < 0);
#undef FILL
    if (e->project != n->project) {
        const char *ep = store_str(s, e->project);
        if (!ep || !*ep) {
            e->project = n->project;
            changed = 1;
        }
    }
    int trusted = n->src > top;
    if (n->err && (!e->err || (trusted && strcmp(e->err, n->err) != 0))) {
        set_text(&e->err, n->err);
        changed = 1;
    }
    if (n->meta && (!e->meta || (trusted && strcmp(e->meta, n->meta) != 0))) {
        set_text(&e->meta, n->meta);
        changed = 1;
    }
    if (changed) {
        struct op tmp;
        op_init(&tmp);
        tmp.tool = (char *)store_str(s, e->tool);
        tmp.target = (char *)store_str(s, e->target);
        tmp.optimized = e->opt;
        tmp.size_bytes = e->size;
        e->attn = tmp.tool ? op_attention(&tmp) : 0;
        e->is_read = is_read_tool(s, e->tool);
    }
    return changed;
}

/* Store one op inside the open transaction. */
static int insert_one(struct store *s, const struct op *op, struct batch_index *bi,
                      struct rollup_deltas *d, struct store_result *res, char *errbuf)
{
    int rc;
    char *owned_id = op->tool_use_id ? NULL : op_derive_id(op, "");
    struct uid u;
    uid_make(op->tool_use_id ? op->tool_use_id : owned_id, &u);
    struct row n, e;
    memset(&e, 0, sizeof e);
    int64_t free_id = 0;
    if ((rc = row_from_op(s, op, &n, errbuf)) != 0 ||
        (rc = find_call(s, bi, op->ts_ms, &u, &e, &free_id, errbuf)) < 0)
        goto out;
    if (rc == 0) {
        n.id = free_id;
        if ((rc = insert_row(s, &n, &u, errbuf)) != 0)
            goto out;
        batch_index_add(bi, n.id, &u);
        contribute(d, &n, +1);
        res->inserted++;
        goto out;
    }
    struct row old = e;
    if (merge_row(s, &e, &n)) {
        contribute(d, &old, -1);
        contribute(d, &e, +1);
        if ((rc = update_row(s, &e, errbuf)) != 0)
            goto out;
        res->merged++;
    } else {
        res->unchanged++;
    }
    rc = 0;
out:
    row_free(&e);
    free(owned_id);
    return rc;
}

static int put_mark(struct store *s, const struct store_mark *m, char *errbuf)
{
    sqlite3_stmt *q = stmt(s, S_MARK_PUT);
    sqlite3_bind_text(q, 1, m->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, m->offset);
    sqlite3_bind_int64(q, 3, m->size);
    sqlite3_bind_int64(q, 4, m->mtime_ns);
    sqlite3_bind_int64(q, 5, (int64_t)m->inode);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, errbuf, "recording import progress");
    return 0;
}

static int begin(struct store *s, char *errbuf)
{
    if (s->readonly)
        return tp_fail(errbuf, TP_EINVAL, "the store was opened read-only");
    if (exec(s, "BEGIN IMMEDIATE") != 0)
        return db_fail(s, errbuf, "starting a write");
    return 0;
}

static void rollback(struct store *s)
{
    exec(s, "ROLLBACK");
    /* The interning cache may hold ids of strings the rollback undid. */
    kmap_clear(&s->text_ids);
}

struct order {
    uint64_t key; /* the row id the op will most likely get */
    uint32_t g;   /* group */
    uint32_t i;   /* op within the group */
};

/* Stable LSD radix sort by key, 8 bits a pass, skipping passes whose
 * digit is the same everywhere (the high bytes of a batch's hours). A
 * comparison sort cost more than the inserts it speeds up. */
static void sort_order(struct order *v, size_t n)
{
    struct order *tmp = xmalloc((n ? n : 1) * sizeof *tmp), *src = v, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i].key >> shift) & 0xff) + 1]++;
        if (n && count[((src[0].key >> shift) & 0xff) + 1] == n)
            continue;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
        struct order *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(tmp);
}

int store_insert_groups(struct store *s, struct store_group *groups, size_t ngroups, char *errbuf)
{
    int rc;
    size_t n = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t g = 0; g < ngroups; g++) {
        memset(&groups[g].res, 0, sizeof groups[g].res);
        for (size_t i = 0; i < groups[g].n; i++) {
            int64_t h = tpt_floor_div(groups[g].ops[i].ts_ms, HOUR_MS);
            lo = h < lo ? h : lo;
            hi = h > hi ? h : hi;
        }
        n += groups[g].n;
    }
    if ((rc = begin(s, errbuf)) != 0)
        return rc;
    struct rollup_deltas *d = rollup_deltas_new();
    struct batch_index bi;
    rc = batch_index_init(s, &bi, lo, hi, errbuf);
    /* Insert in row id order: new rows then append to the table's b-tree
     * instead of splitting pages all over the current hour, which is both
     * faster and leaves the pages full. */
    struct order *ord = xmalloc((n ? n : 1) * sizeof *ord);
    size_t k = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++, k++) {
            const struct op *op = &groups[g].ops[i];
            char *derived = op->tool_use_id ? NULL : op_derive_id(op, "");
            ord[k].key = ((uint64_t)tpt_floor_div(op->ts_ms, HOUR_MS) << 32) |
                         (uint32_t)hash_str(derived ? derived : op->tool_use_id);
            ord[k].g = (uint32_t)g;
            ord[k].i = (uint32_t)i;
            free(derived);
        }
    }
    sort_order(ord, n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct store_group *grp = &groups[ord[i].g];
        rc = insert_one(s, &grp->ops[ord[i].i], &bi, d, &grp->res, errbuf);
    }
    free(ord);
    batch_index_free(&bi);
    if (rc == 0)
        rc = rollup_flush(s->rw, d, errbuf);
    for (size_t g = 0; g < ngroups && rc == 0; g++)
        if (groups[g].mark)
            rc = put_mark(s, groups[g].mark, errbuf);
    rollup_deltas_free(d);
    if (rc == 0 && exec(s, "COMMIT") != 0)
        rc = db_fail(s, errbuf, "committing");
    if (rc != 0) {
        rollback(s);
        for (size_t g = 0; g < ngroups; g++)
            memset(&groups[g].res, 0, sizeof groups[g].res);
        return rc;
    }
    return 0;
}

int store_insert(struct store *s, struct op *ops, size_t n, const struct store_mark *mark,
                 struct store_result *res, char *errbuf)
{
    struct store_group g = {ops, n, mark, {0, 0, 0}};
    int rc = store_insert_groups(s, &g, 1, errbuf);
    if (rc == 0 && res) {
        res->inserted += g.res.inserted;
        res->merged += g.res.merged;
        res->unchanged += g.res.unchanged;
    }
    return rc;
}

int store_mark_get(struct store *s, const char *path, struct store_mark *out, int *found)
{
    sqlite3_stmt *q = stmt(s, S_MARK_GET);
    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    *found = 0;
    memset(out, 0, sizeof *out);
    out->path = path;
    if (rc == SQLITE_ROW) {
        out->offset = sqlite3_column_int64(q, 0);
        out->size = sqlite3_column_int64(q, 1);
        out->mtime_ns = sqlite3_column_int64(q, 2);
        out->inode = (uint64_t)sqlite3_column_int64(q, 3);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(q);
        return TP_EDB;
    }
    sqlite3_reset(q);
    return 0;
}

/* ---- reading ---------------------------------------------------------------- */

/* Statement id (S_RU_RANGE or S_RU_SUMS) bound to the rollup rows of one
 * level whose bucket starts in [from_ms, to_ms), with the filter. */
static sqlite3_stmt *bucket_range(struct store *s, enum stmt_id id, int level, int64_t from_ms,
                                  int64_t to_ms, const struct store_filter *f)
{
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = stmt(s, id);
    sqlite3_bind_int64(q, 1, level);
    sqlite3_bind_int64(q, 2, tpt_floor_div(from_ms + w - 1, w));
    sqlite3_bind_int64(q, 3, tpt_floor_div(to_ms + w - 1, w));
    sqlite3_bind_int64(q, 4, f ? f->project : 0);
    sqlite3_bind_int64(q, 5, f ? f->tool : 0);
    return q;
}

int store_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                  const struct store_filter *f, store_rollup_cb cb, void *ctx)
{
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = bucket_range(s, S_RU_RANGE, level, from_ms, to_ms, f);
    struct agg a;
    agg_init(&a);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        agg_reset(&a);
        if (agg_from_stmt(q, 3, &a) != 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
        int64_t start = sqlite3_column_int64(q, 0) * w;
        stop = cb(ctx, level, start, sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2), &a);
    }
    agg_free(&a);
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : TP_EDB;
}

int store_rollups_into(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                       const struct store_filter *f, store_agg_for into, void *ctx)
{
    sqlite3_stmt *q = bucket_range(s, S_RU_RANGE, level, from_ms, to_ms, f);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (agg_from_stmt(q, 3, into(ctx, sqlite3_column_int64(q, 1))) != 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_rollup_sums(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                      const struct store_filter *f, uint64_t *n_timed, double *sum_ms)
{
    sqlite3_stmt *q = bucket_range(s, S_RU_SUMS, level, from_ms, to_ms, f);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *n_timed += (uint64_t)sqlite3_column_int64(q, 0);
        *sum_ms += (double)sqlite3_column_int64(q, 1) / 1000.0;
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : TP_EDB;
}

/* The row callback's view: strings borrowed from the cache and the
 * statement, valid during the call. */
static void store_row_fill(struct store *s, sqlite3_stmt *q, const struct row *r,
                           struct store_row *out, char *uidbuf, int ids_only)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->tool_id = r->tool;
    out->target_id = r->target;
    out->session_id = r->session;
    out->project_id = r->project;
    out->sources = r->sources;
    out->attention = r->attn;
    struct op *op = &out->op;
    op_init(op);
    op->duration_ms = r->dur_us >= 0 ? (double)r->dur_us / 1000.0 : NAN;
    op->ts_ms = r->ts_ms;
    op->success = r->success;
    op->optimized = r->opt;
    op->size_bytes = r->size;
    op->result_bytes = r->rbytes;
    op->source = (enum op_source)r->src;
    op->duration_is_int = r->is_int;
    if (ids_only)
        return;
    op->tool = (char *)store_str(s, r->tool);
    op->target = (char *)store_str(s, r->target);
    op->session_id = (char *)store_str(s, r->session);
    const char *proj = store_str(s, r->project);
    op->project = proj && *proj ? (char *)proj : NULL;
    op->error = r->err;
    op->meta = r->meta;
    op->tool_use_id = (char *)uid_text(q, 10, uidbuf);
}

/* The statement of a scan with these conditions (SCAN_* bits), made on
 * first use. Parameters: ?1, ?2 the id range; ?3 tool, ?4 project,
 * ?5 session, ?6 the least duration in microseconds, ?7 the attention flag,
 * each present only with its bit. */
static sqlite3_stmt *scan_stmt(struct store *s, unsigned bits)
{
    sqlite3_stmt **q = &s->scan_st[bits];
    if (*q) {
        sqlite3_reset(*q);
        sqlite3_clear_bindings(*q);
        return *q;
    }
    char sql[512], attn[64];
    snprintf(attn, sizeof attn, " AND (flags >> %d) & 3 = ?7", F_ATTN_SHIFT);
    snprintf(
        sql, sizeof sql, "SELECT %s FROM ops WHERE id >= ?1 AND id < ?2%s%s%s%s%s ORDER BY id%s",
        bits & SCAN_LITE ? LITE_COLS : ROW_COLS, bits & SCAN_TOOL ? " AND tool = ?3" : "",
        bits & SCAN_PROJECT ? " AND project = ?4" : "",
        bits & SCAN_SESSION ? " AND session = ?5" : "", bits & SCAN_DUR ? " AND dur >= ?6" : "",
        bits & SCAN_ATTN ? attn : "", bits & SCAN_DESC ? " DESC" : "");
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK) {
        fprintf(stderr, "toolprof: cannot prepare a scan (%u): %s\n", bits, sqlite3_errmsg(s->db));
        abort(); /* our SQL: a bug, not an input error */
    }
    return *q;
}

/* Scan hours [h0, h1) in one query. Returns 1 when the callback stopped. */
static int scan_range(struct store *s, const struct store_scan *sc, int64_t h0, int64_t h1,
                      store_row_cb cb, void *ctx, int *err)
{
    unsigned bits = (sc->f.tool ? SCAN_TOOL : 0) | (sc->f.project ? SCAN_PROJECT : 0) |
                    (sc->f.session ? SCAN_SESSION : 0) | (sc->min_duration_ms > 0 ? SCAN_DUR : 0) |
                    (sc->attention ? SCAN_ATTN : 0) | (sc->desc ? SCAN_DESC : 0) |
                    (sc->ids_only ? SCAN_LITE : 0);
    sqlite3_stmt *q = scan_stmt(s, bits);
    sqlite3_bind_int64(q, 1, hour_id(h0));
    sqlite3_bind_int64(q, 2, hour_id(h1));
    if (bits & SCAN_TOOL)
        sqlite3_bind_int64(q, 3, sc->f.tool);
    if (bits & SCAN_PROJECT)
        sqlite3_bind_int64(q, 4, sc->f.project);
    if (bits & SCAN_SESSION)
        sqlite3_bind_int64(q, 5, sc->f.session);
    /* dur is in microseconds; an unknown one (NULL) never matches. */
    if (bits & SCAN_DUR)
        sqlite3_bind_double(q, 6, sc->min_duration_ms * 1000.0);
    if (bits & SCAN_ATTN)
        sqlite3_bind_int64(q, 7, sc->attention);
    int rc, stop = 0;
    char uidbuf[40];
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct row r;
        row_from_stmt(s, q, &r, sc->ids_only ? -1 : 0);
        /* Duration and attention are tested in the SQL; the hours are
         * wider than the window. */
        if (r.ts_ms >= sc->from_ms && r.ts_ms < sc->to_ms) {
            struct store_row out;
            store_row_fill(s, q, &r, &out, uidbuf, sc->ids_only);
            stop = cb(ctx, &out);
        }
        row_free(&r);
    }
    if (!stop && rc != SQLITE_DONE)
        *err = TP_EDB;
    sqlite3_reset(q);
    return stop;
}

/* The buckets of `level` that overlap hours [h0, h1) and whose rollup
 * can hold a matching row (its max reaches the least duration, its
 * attention count is not zero), in scan order. */
static int64_t *scan_candidates(struct store *s, const struct store_scan *sc, int level, int64_t h0,
                                int64_t h1, size_t *n, int *err)
{
    int64_t wh = rollup_width_ms[level] / HOUR_MS;
    sqlite3_stmt *q = stmt(s, sc->f.tool ? (sc->desc ? S_HOURS_TOOL_DESC : S_HOURS_TOOL_ASC)
                                         : (sc->desc ? S_HOURS_DESC : S_HOURS_ASC));
    sqlite3_bind_int64(q, 1, sc->f.project);
    sqlite3_bind_int64(q, 2, sc->f.tool);
    sqlite3_bind_int64(q, 3, tpt_floor_div(h0, wh));
    sqlite3_bind_int64(q, 4, tpt_floor_div(h1 - 1, wh) + 1);
    sqlite3_bind_int64(q, 5, (int64_t)floor(sc->min_duration_ms * 1000.0));
    sqlite3_bind_int64(q, 6, sc->attention ? 1 : 0);
    sqlite3_bind_int64(q, 7, level);
    int64_t *v = NULL;
    size_t alloc = 0;
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == alloc) {
            alloc = alloc ? 2 * alloc : 32;
            v = xreallocarray(v, alloc, sizeof *v);
        }
        v[(*n)++] = sqlite3_column_int64(q, 0);
    }
    if (rc != SQLITE_DONE)
        *err = TP_EDB;
    sqlite3_reset(q);
    return v;
}

/* Scan hours [h0, h1) through the buckets of `level` that can hold a
 * match, then those of the level below inside each: a year's scan for a
 * rare slow call looks at a dozen months and a few days, not 8,760 hours.
 * Returns 1 when the callback stopped. */
static int scan_level(struct store *s, const struct store_scan *sc, int level, int64_t h0,
                      int64_t h1, store_row_cb cb, void *ctx, int *err)
{
    size_t n;
    int64_t *b = scan_candidates(s, sc, level, h0, h1, &n, err);
    int64_t wh = rollup_width_ms[level] / HOUR_MS;
    int stop = 0;
    for (size_t i = 0; i < n && !stop && !*err; i++) {
        int64_t a = b[i] * wh > h0 ? b[i] * wh : h0;
        int64_t z = (b[i] + 1) * wh < h1 ? (b[i] + 1) * wh : h1;
        stop = level == ROLLUP_HOUR ? scan_range(s, sc, a, z, cb, ctx, err)
                                    : scan_level(s, sc, level - 1, a, z, cb, ctx, err);
    }
    free(b);
    return stop;
}

int store_scan(struct store *s, const struct store_scan *sc, store_row_cb cb, void *ctx)
{
    if (sc->to_ms <= sc->from_ms)
        return 0;
    int64_t h0 = tpt_floor_div(sc->from_ms, HOUR_MS);
    int64_t h1 = tpt_floor_div(sc->to_ms - 1, HOUR_MS) + 1;
    int err = 0;
    if (sc->min_duration_ms <= 0 && !sc->attention) {
        scan_range(s, sc, h0, h1, cb, ctx, &err);
        return err;
    }
    /* Only the hours whose rollups can hold a matching row, found from
     * the widest buckets down, read lazily in scan order: a "newest 50 slow
     * calls" scan stops after an hour or two. The rollups' max is an upper
     * bound, so no matching row is skipped. */
    int level = h1 - h0 > 24 * 31 ? ROLLUP_MONTH : h1 - h0 > 48 ? ROLLUP_DAY : ROLLUP_HOUR;
    scan_level(s, sc, level, h0, h1, cb, ctx, &err);
    return err;
}

int store_targets(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  store_target_cb cb, void *ctx)
{
    sqlite3_stmt *q = stmt(s, S_TG_RANGE);
    sqlite3_bind_int64(q, 1, tpt_floor_div(from_ms + DAY_MS - 1, DAY_MS));
    sqlite3_bind_int64(q, 2, tpt_floor_div(to_ms, DAY_MS));
    sqlite3_bind_int64(q, 3, f ? f->project : 0);
    sqlite3_bind_int64(q, 4, f ? f->tool : 0);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct target_agg t;
        t.project = sqlite3_column_int64(q, 1);
        t.tool = sqlite3_column_int64(q, 2);
        t.target = sqlite3_column_int64(q, 3);
        t.n = (uint64_t)sqlite3_column_int64(q, 4);
        t.failed = (uint64_t)sqlite3_column_int64(q, 5);
        t.sum_ms = (double)sqlite3_column_int64(q, 6) / 1000.0;
        t.max_ms = (double)sqlite3_column_int64(q, 7) / 1000.0;
        t.n_timed = (uint64_t)sqlite3_column_int64(q, 8);
        stop = cb(ctx, sqlite3_column_int64(q, 0) * DAY_MS, &t);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

static void rr_totals_add(struct reread_totals *t, sqlite3_stmt *q)
{
    t->pairs += (uint64_t)sqlite3_column_int64(q, 0);
    t->reads += (uint64_t)sqlite3_column_int64(q, 1);
    t->repeat_bytes += (uint64_t)sqlite3_column_int64(q, 2);
    t->repeat_ms += (double)sqlite3_column_int64(q, 3) / 1000.0;
}

/* Bind the window and filter of the rereads statements. */
static void rr_bind(sqlite3_stmt *q, int64_t from_ms, int64_t to_ms, int64_t project,
                    int64_t session)
{
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    sqlite3_bind_int64(q, 3, project);
    if (session)
        sqlite3_bind_int64(q, 4, session);
}

struct rr_cover {
    struct store *s;
    int64_t project;
    struct reread_totals *t;
};

/* One part of the window (rollup_cover): a run of buckets of reread_sums,
 * or, for the edges that are not whole hours, the pairs themselves. */
static int rr_part(void *ctx, int level, int64_t from_ms, int64_t to_ms)
{
    struct rr_cover *c = ctx;
    sqlite3_stmt *q;
    if (level < 0) {
        q = stmt(c->s, S_RR_TOTALS);
        rr_bind(q, from_ms, to_ms, c->project, 0);
    } else {
        q = stmt(c->s, S_RS_RANGE);
        sqlite3_bind_int64(q, 1, level);
        sqlite3_bind_int64(q, 2, from_ms / rollup_width_ms[level]);
        sqlite3_bind_int64(q, 3, to_ms / rollup_width_ms[level]);
        sqlite3_bind_int64(q, 4, c->project);
    }
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        rr_totals_add(c->t, q);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : TP_EDB;
}

int store_rereads(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  size_t top, struct reread_totals *totals, store_reread_cb cb, void *ctx)
{
    int64_t project = f ? f->project : 0, session = f ? f->session : 0;
    memset(totals, 0, sizeof *totals);
    if (from_ms >= to_ms)
        return 0;
    int rc;
    if (session) { /* one session's pairs: a prefix of the primary key */
        sqlite3_stmt *q = stmt(s, S_RR_TOTALS_SESSION);
        rr_bind(q, from_ms, to_ms, project, session);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            rr_totals_add(totals, q);
        sqlite3_reset(q);
        if (rc != SQLITE_ROW)
            return TP_EDB;
    } else {
        struct rr_cover c = {s, project, totals};
        if (rollup_cover(from_ms, to_ms, rr_part, &c) != 0)
            return TP_EDB;
    }
    if (!totals->pairs || !top)
        return 0;

    /* Reading the window's pairs costs one step each; reading the most
     * read pairs down until `top` are in the window costs about top times
     * (all pairs / the window's). Take the cheaper. */
    enum stmt_id id = S_RR_TOP_SESSION;
    if (!session) {
        sqlite3_stmt *a = stmt(s, S_RS_ALL);
        sqlite3_bind_int64(a, 1, project);
        rc = sqlite3_step(a);
        int64_t all = rc == SQLITE_ROW ? sqlite3_column_int64(a, 0) : 0;
        sqlite3_reset(a);
        if (rc != SQLITE_ROW)
            return TP_EDB;
        double by_n = (double)top * (double)all / (double)totals->pairs;
        id = by_n < (double)totals->pairs ? S_RR_TOP_BY_N : S_RR_TOP;
    }
    sqlite3_stmt *q = stmt(s, id);
    rr_bind(q, from_ms, to_ms, project, session);
    sqlite3_bind_int64(q, 5, (int64_t)top);
    int stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct reread r;
        r.session = sqlite3_column_int64(q, 0);
        r.target = sqlite3_column_int64(q, 1);
        r.project = sqlite3_column_int64(q, 2);
        r.reads = (uint64_t)sqlite3_column_int64(q, 3);
        r.bytes = (uint64_t)sqlite3_column_int64(q, 4);
        r.sum_ms = (double)sqlite3_column_int64(q, 5) / 1000.0;
        stop = cb(ctx, &r);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_session_span(struct store *s, int64_t session, int64_t *first_ms, int64_t *last_ms)
{
    sqlite3_stmt *q = stmt(s, S_SS_GET);
    sqlite3_bind_int64(q, 1, session);
    int rc = sqlite3_step(q) == SQLITE_ROW ? 0 : TP_ENOTFOUND;
    if (rc == 0) {
        *first_ms = sqlite3_column_int64(q, 0);
        *last_ms = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    return rc;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* Start time of the first or last call: rows are ordered by hour, not by
 * time within an hour, so take min/max of ts within the edge hour. */
static int64_t edge_ts(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *q = stmt(s, id);
    int64_t ts = 0;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        ts = sqlite3_column_int64(q, 0) * HOUR_MS + sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    return ts;
}

int store_info(struct store *s, struct store_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = stmt(s, S_OP_COUNT);
    if (sqlite3_step(q) == SQLITE_ROW)
        out->operations = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->db_path);
    out->db_bytes = file_size(s->db_path) + file_size(wal);
    out->first_ms = edge_ts(s, S_FIRST_TS);
    out->last_ms = edge_ts(s, S_LAST_TS);
    out->schema_version = SCHEMA_VERSION;
    return 0;
}

int64_t store_data_version(struct store *s)
{
    sqlite3_stmt *q;
    int64_t v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

int store_tools(struct store *s, store_name_cb cb, void *ctx)
{
    /* Collect ids first: store_str() would reset the running statement. */
    sqlite3_stmt *q = stmt(s, S_TOOLS);
    int64_t *ids = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 32;
            ids = xreallocarray(ids, alloc, sizeof *ids);
        }
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    for (size_t i = 0; i < n; i++) {
        const char *name = store_str(s, ids[i]);
        if (name && cb(ctx, ids[i], name))
            break;
    }
    free(ids);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}

/* ---- pruning ---------------------------------------------------------------- */

struct prune_ctx {
    struct store *s;
    struct rollup_deltas *d;
    size_t n;
};

static int prune_row(void *ctx, const struct store_row *sr)
{
    struct prune_ctx *p = ctx;
    struct row r;
    memset(&r, 0, sizeof r);
    r.id = sr->id;
    r.ts_ms = sr->op.ts_ms;
    r.dur_us = dur_to_us(sr->op.duration_ms);
    r.tool = sr->tool_id;
    r.target = sr->target_id;
    r.session = sr->session_id;
    r.project = sr->project_id;
    r.success = sr->op.success;
    r.opt = sr->op.optimized;
    r.attn = sr->attention;
    r.size = sr->op.size_bytes;
    r.is_read = sr->op.tool && strcmp(sr->op.tool, "Read") == 0;
    contribute(p->d, &r, -1);
    p->n++;
    return 0;
}

int store_prune(struct store *s, int64_t cutoff_ms, size_t *deleted, char *errbuf)
{
    struct store_info info;
    store_info(s, &info);
    *deleted = 0;
    if (!info.operations || info.first_ms >= cutoff_ms)
        return 0;
    /* One day of rows per transaction, oldest first: each transaction
     * retracts exactly the rows it deletes, so rollups stay exact. */
    for (int64_t from = tpt_floor_to(info.first_ms, HOUR_MS); from < cutoff_ms; from += DAY_MS) {
        int64_t to = from + DAY_MS < cutoff_ms ? from + DAY_MS : cutoff_ms;
        int rc = begin(s, errbuf);
        if (rc)
            return rc;
        struct rollup_deltas *d = rollup_deltas_new();
        struct prune_ctx p = {s, d, 0};
        struct store_scan sc = {.from_ms = from, .to_ms = to};
        rc = store_scan(s, &sc, prune_row, &p);
        if (rc == 0 && p.n) {
            /* Delete whole hours below the cutoff's hour, then the rows of
             * the cutoff's own hour that started before it. */
            int64_t h0 = tpt_floor_div(from, HOUR_MS), h1 = tpt_floor_div(to, HOUR_MS);
            sqlite3_stmt *q = stmt(s, S_OP_DEL_RANGE);
            sqlite3_bind_int64(q, 1, hour_id(h0));
            sqlite3_bind_int64(q, 2, hour_id(h1));
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = db_fail(s, errbuf, "pruning");
            if (rc == 0 && to % HOUR_MS) {
                char sql[160];
                snprintf(sql, sizeof sql,
                         "DELETE FROM ops WHERE id >= %lld AND id < %lld AND ts < %lld",
                         (long long)hour_id(h1), (long long)hour_id(h1 + 1),
                         (long long)(to - h1 * HOUR_MS));
                if (exec(s, sql) != 0)
                    rc = db_fail(s, errbuf, "pruning");
            }
            if (rc == 0)
                rc = rollup_flush(s->rw, d, errbuf);
        }
        rollup_deltas_free(d);
        if (rc == 0 && exec(s, "COMMIT") != 0)
            rc = db_fail(s, errbuf, "committing the prune");
        if (rc) {
            exec(s, "ROLLBACK");
            return rc;
        }
        *deleted += p.n;
    }
    return 0;
}
