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
 * memory (struct delta_set) and writes each touched row once at the end.
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

const int64_t rollup_width_ms[ROLLUP_LEVELS] = {HOUR_MS, DAY_MS, 30 * DAY_MS};

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
           (is_int ? F_INT : 0) | ((unsigned)attn << F_ATTN_SHIFT) |
           (sources << F_SOURCES_SHIFT);
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
    "  attn_bytes INTEGER NOT NULL, sk BLOB NOT NULL,"
    "  PRIMARY KEY(lvl, b, project, tool)) WITHOUT ROWID, STRICT;"
    "CREATE TABLE targets(day INTEGER NOT NULL, project INTEGER NOT NULL, tool INTEGER NOT NULL,"
    "  target INTEGER NOT NULL, n INTEGER NOT NULL, failed INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, max_us INTEGER NOT NULL,"
    "  PRIMARY KEY(day, project, tool, target)) WITHOUT ROWID, STRICT;"
    "CREATE TABLE rereads(session INTEGER NOT NULL, target INTEGER NOT NULL,"
    "  project INTEGER NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(session, target)) WITHOUT ROWID, STRICT;"
    "CREATE INDEX rereads_hot ON rereads(last_ms) WHERE n >= 3;"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, first_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE marks(path TEXT PRIMARY KEY, off INTEGER NOT NULL, size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "INSERT INTO meta VALUES('operations', 0);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- prepared statements ------------------------------------------------ */

enum stmt_id {
    S_STR_ID,
    S_STR_INS,
    S_STR_TEXT,
    S_OP_GET,
    S_OP_INS,
    S_OP_UPD,
    S_RU_GET,
    S_RU_PUT,
    S_RU_DEL,
    S_TG_ADD,
    S_TG_CLEAN,
    S_RR_ADD,
    S_RR_CLEAN,
    S_SS_ADD,
    S_META_ADD,
    S_META_GET,
    S_MARK_GET,
    S_MARK_PUT,
    S_RU_RANGE,
    S_SCAN_ASC,
    S_SCAN_DESC,
    S_TG_RANGE,
    S_RR_RANGE,
    S_SS_GET,
    S_TOOLS,
    S_OP_DEL_RANGE,
    S_COUNT
};

#define ROW_COLS "id, ts, dur, tool, target, session, project, flags, size, rbytes, uid, err, meta"
#define RU_COLS "n, nt, sum_us, min_us, max_us, slow, crit, failed, opt, attn, attn_bytes, sk"

static const char *const stmt_sql[S_COUNT] = {
    [S_STR_ID] = "SELECT id FROM strs WHERE s = ?1",
    [S_STR_INS] = "INSERT INTO strs(s) VALUES(?1)",
    [S_STR_TEXT] = "SELECT s FROM strs WHERE id = ?1",
    [S_OP_GET] = "SELECT " ROW_COLS " FROM ops WHERE id = ?1",
    [S_OP_INS] = "INSERT INTO ops(" ROW_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [S_OP_UPD] = "UPDATE ops SET dur=?2, tool=?3, target=?4, session=?5, project=?6, flags=?7, "
                 "size=?8, rbytes=?9, err=?10, meta=?11 WHERE id=?1",
    [S_RU_GET] = "SELECT " RU_COLS " FROM rollups WHERE lvl=?1 AND b=?2 AND project=?3 AND tool=?4",
    [S_RU_PUT] = "INSERT OR REPLACE INTO rollups(lvl, b, project, tool, " RU_COLS ") "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
    [S_RU_DEL] = "DELETE FROM rollups WHERE lvl=?1 AND b=?2 AND project=?3 AND tool=?4",
    [S_TG_ADD] = "INSERT INTO targets VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT DO UPDATE SET "
                 "n = n + excluded.n, failed = failed + excluded.failed, "
                 "sum_us = sum_us + excluded.sum_us, max_us = max(max_us, excluded.max_us)",
    [S_TG_CLEAN] = "DELETE FROM targets WHERE day=?1 AND project=?2 AND tool=?3 AND target=?4 "
                   "AND n <= 0",
    [S_RR_ADD] = "INSERT INTO rereads VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET "
                 "n = n + excluded.n, bytes = bytes + excluded.bytes, "
                 "sum_us = sum_us + excluded.sum_us, last_ms = max(last_ms, excluded.last_ms)",
    [S_RR_CLEAN] = "DELETE FROM rereads WHERE session=?1 AND target=?2 AND n <= 0",
    [S_SS_ADD] = "INSERT INTO sessions VALUES(?1,?2,?3) ON CONFLICT DO UPDATE SET "
                 "first_ms = min(first_ms, excluded.first_ms), "
                 "last_ms = max(last_ms, excluded.last_ms)",
    [S_META_ADD] = "UPDATE meta SET v = v + ?2 WHERE k = ?1",
    [S_META_GET] = "SELECT v FROM meta WHERE k = ?1",
    [S_MARK_GET] = "SELECT off, size, mtime_ns, inode FROM marks WHERE path = ?1",
    [S_MARK_PUT] = "INSERT OR REPLACE INTO marks VALUES(?1,?2,?3,?4,?5)",
    [S_RU_RANGE] = "SELECT b, tool, project, " RU_COLS " FROM rollups WHERE lvl=?1 AND b>=?2 "
                   "AND b<?3 AND project=?4 AND (?5 = 0 OR tool = ?5) ORDER BY b, tool",
    [S_SCAN_ASC] = "SELECT " ROW_COLS " FROM ops WHERE id >= ?1 AND id < ?2 "
                   "AND (?3 = 0 OR tool = ?3) AND (?4 = 0 OR project = ?4) "
                   "AND (?5 = 0 OR session = ?5) ORDER BY id",
    [S_SCAN_DESC] = "SELECT " ROW_COLS " FROM ops WHERE id >= ?1 AND id < ?2 "
                    "AND (?3 = 0 OR tool = ?3) AND (?4 = 0 OR project = ?4) "
                    "AND (?5 = 0 OR session = ?5) ORDER BY id DESC",
    [S_TG_RANGE] = "SELECT day, project, tool, target, n, failed, sum_us, max_us FROM targets "
                   "WHERE day >= ?1 AND day < ?2 AND (?3 = 0 OR project = ?3) "
                   "AND (?4 = 0 OR tool = ?4)",
    [S_RR_RANGE] = "SELECT session, target, project, n, bytes, sum_us FROM rereads "
                   "WHERE n >= 3 AND n >= ?1 AND last_ms >= ?2 AND last_ms < ?3 "
                   "AND (?4 = 0 OR project = ?4) AND (?5 = 0 OR session = ?5) "
                   "ORDER BY n DESC, sum_us DESC",
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
    /* Interning caches: text -> id and id -> text. */
    struct kmap text_ids;
    int64_t *text_id_vals;
    size_t text_id_alloc;
    struct kmap id_texts;
    char **id_text_vals;
    size_t id_text_alloc;
};

static int db_fail(struct store *s, char *errbuf, const char *what)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return tp_fail(errbuf, TP_EBUSY, "%s: the database %s stayed locked", what, s->db_path);
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

/* mkdir -p */
static int make_dirs(const char *path, char *errbuf)
{
    char *p = xstrdup(path);
    for (char *q = p + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                tp_fail(errbuf, TP_EIO, "cannot create directory %s: %s", p, strerror(e));
                free(p);
                return TP_EIO;
            }
            *q = c;
            if (!c)
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return tp_fail(errbuf, TP_EIO, "%s is not a directory", path);
    return 0;
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
    kmap_init(&s->id_texts);

    if (!(flags & (STORE_NOCREATE | STORE_READONLY)) && (rc = make_dirs(data_dir, errbuf)) != 0)
        goto fail;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!(flags & (STORE_NOCREATE | STORE_READONLY)))
        oflags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(s->db_path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = s->db ? tp_fail(errbuf, TP_EIO, "cannot open %s: %s", s->db_path,
                             sqlite3_errmsg(s->db))
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
    if (s->db)
        sqlite3_close(s->db);
    for (size_t i = 0; i < s->id_texts.n; i++)
        free(s->id_text_vals[i]);
    free(s->id_text_vals);
    free(s->text_id_vals);
    kmap_free(&s->text_ids);
    kmap_free(&s->id_texts);
    free(s->dir);
    free(s->db_path);
    free(s);
}

const char *store_dir(const struct store *s) { return s->dir; }
const char *store_db_path(const struct store *s) { return s->db_path; }

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

int64_t store_str_id(struct store *s, const char *text)
{
    if (!text)
        return 0;
    size_t len = strlen(text);
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

/* Id of text, adding it (inside the caller's write transaction). 0 for
 * NULL. Returns -1 on a database error. */
static int64_t intern(struct store *s, const char *text)
{
    if (!text)
        return 0;
    int64_t id = store_str_id(s, text);
    if (id)
        return id;
    sqlite3_stmt *q = stmt(s, S_STR_INS);
    sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return -1;
    id = sqlite3_last_insert_rowid(s->db);
    cache_text_id(s, text, strlen(text), id);
    return id;
}

const char *store_str(struct store *s, int64_t id)
{
    if (id <= 0)
        return NULL;
    long i = kmap_find(&s->id_texts, &id, sizeof id);
    if (i >= 0)
        return s->id_text_vals[i];
    sqlite3_stmt *q = stmt(s, S_STR_TEXT);
    sqlite3_bind_int64(q, 1, id);
    char *text = NULL;
    if (sqlite3_step(q) == SQLITE_ROW)
        text = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    if (!text)
        return NULL;
    /* The id->text cache is bounded: past 200,000 distinct strings (a huge
     * export) we stop caching rather than grow without limit. */
    if (s->id_texts.n >= 200000) {
        for (size_t k = 0; k < s->id_texts.n; k++)
            free(s->id_text_vals[k]);
        kmap_clear(&s->id_texts);
    }
    int added;
    size_t k = kmap_put(&s->id_texts, &id, sizeof id, &added);
    if (k >= s->id_text_alloc) {
        s->id_text_alloc = s->id_text_alloc ? s->id_text_alloc * 2 : 256;
        s->id_text_vals = xreallocarray(s->id_text_vals, s->id_text_alloc, sizeof(char *));
    }
    s->id_text_vals[k] = text;
    return text;
}

/* ---- aggregates ------------------------------------------------------------- */

void agg_init(struct agg *a)
{
    memset(a, 0, sizeof *a);
    sketch_init(&a->sk);
}

void agg_free(struct agg *a)
{
    sketch_free(&a->sk);
}

void agg_reset(struct agg *a)
{
    struct sketch sk = a->sk;
    memset(a, 0, sizeof *a);
    a->sk = sk;
    sketch_reset(&a->sk);
}

void agg_merge(struct agg *dst, const struct agg *src)
{
    if (src->n_timed) {
        if (!dst->n_timed || src->min_ms < dst->min_ms)
            dst->min_ms = src->min_ms;
        if (!dst->n_timed || src->max_ms > dst->max_ms)
            dst->max_ms = src->max_ms;
    }
    dst->n += src->n;
    dst->n_timed += src->n_timed;
    dst->sum_ms += src->sum_ms;
    dst->slow += src->slow;
    dst->critical += src->critical;
    dst->failed += src->failed;
    dst->optimized += src->optimized;
    dst->attention += src->attention;
    dst->attention_bytes += src->attention_bytes;
    sketch_merge(&dst->sk, &src->sk);
}

void agg_add(struct agg *a, double duration_ms, int success, int optimized, int attention,
             int64_t size_bytes)
{
    a->n++;
    a->failed += !success;
    a->optimized += optimized != 0;
    if (attention) {
        a->attention++;
        a->attention_bytes += size_bytes > 0 ? (uint64_t)size_bytes : 0;
    }
    if (isnan(duration_ms))
        return;
    if (!a->n_timed || duration_ms < a->min_ms)
        a->min_ms = duration_ms;
    if (!a->n_timed || duration_ms > a->max_ms)
        a->max_ms = duration_ms;
    a->n_timed++;
    a->sum_ms += duration_ms;
    a->slow += duration_ms >= TP_SLOW_MS;
    a->critical += duration_ms >= TP_CRITICAL_MS;
    sketch_add(&a->sk, duration_ms, 1);
}

/* ---- rows in memory --------------------------------------------------------- */

/* A row of `ops` with its strings as ids: what contributions are made of. */
struct row {
    int64_t id;
    int64_t ts_ms;  /* absolute start time */
    int64_t dur_us; /* -1 unknown */
    int64_t tool, target, session, project;
    int success, opt, src, is_int, attn, is_read;
    unsigned sources;
    int64_t size, rbytes; /* -1 unknown */
    char *err, *meta;     /* owned */
};

static void row_free(struct row *r)
{
    free(r->err);
    free(r->meta);
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

static char *col_dup(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? xstrdup((const char *)t) : NULL;
}

static int is_read_tool(struct store *s, int64_t tool)
{
    const char *name = store_str(s, tool);
    return name && strcmp(name, "Read") == 0;
}

/* Fill r from the current result row of a ROW_COLS query. */
static void row_from_stmt(struct store *s, sqlite3_stmt *q, struct row *r)
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
    r->err = col_dup(q, 11);
    r->meta = col_dup(q, 12);
    r->is_read = is_read_tool(s, r->tool);
}

/* ---- contributions (deltas) ------------------------------------------------ */

struct ru_delta {
    int64_t n, nt, slow, crit, failed, opt, attn, attn_bytes, sum_us;
    int64_t min_us, max_us; /* over added durations; -1 none */
    struct sketch plus;
    double *minus; /* durations (ms) to remove from the sketch */
    size_t nminus, aminus;
};

struct tg_delta {
    int64_t n, failed, sum_us, max_us;
};

struct rr_delta {
    int64_t n, bytes, sum_us, last_ms, project;
};

struct ss_delta {
    int64_t first_ms, last_ms;
};

/* The contributions of one batch, keyed like the rows they will update. */
struct delta_set {
    struct kmap ru;
    struct ru_delta *ru_v;
    size_t ru_alloc;
    struct kmap tg;
    struct tg_delta *tg_v;
    size_t tg_alloc;
    struct kmap rr;
    struct rr_delta *rr_v;
    size_t rr_alloc;
    struct kmap ss;
    struct ss_delta *ss_v;
    size_t ss_alloc;
    int64_t operations;
};

static void deltas_init(struct delta_set *d)
{
    memset(d, 0, sizeof *d);
}

static void deltas_free(struct delta_set *d)
{
    for (size_t i = 0; i < d->ru.n; i++) {
        sketch_free(&d->ru_v[i].plus);
        free(d->ru_v[i].minus);
    }
    free(d->ru_v);
    free(d->tg_v);
    free(d->rr_v);
    free(d->ss_v);
    kmap_free(&d->ru);
    kmap_free(&d->tg);
    kmap_free(&d->rr);
    kmap_free(&d->ss);
}

/* Index of key in map, growing vals (of elem bytes each) to match; a new
 * slot is zeroed and *added set. */
static size_t delta_slot(struct kmap *map, void **vals, size_t *alloc, size_t elem,
                         const void *key, size_t klen, int *added)
{
    size_t i = kmap_put(map, key, klen, added);
    if (i >= *alloc) {
        *alloc = *alloc ? *alloc * 2 : 64;
        *vals = xreallocarray(*vals, *alloc, elem);
    }
    if (*added)
        memset((char *)*vals + i * elem, 0, elem);
    return i;
}

static void ru_contribute(struct delta_set *d, int lvl, int64_t b, int64_t project,
                          const struct row *r, int sign)
{
    int64_t key[4] = {lvl, b, project, r->tool};
    int added;
    size_t i = delta_slot(&d->ru, (void **)&d->ru_v, &d->ru_alloc, sizeof *d->ru_v, key,
                          sizeof key, &added);
    struct ru_delta *v = &d->ru_v[i];
    if (added) {
        sketch_init(&v->plus);
        v->min_us = v->max_us = -1;
    }
    v->n += sign;
    v->failed += sign * !r->success;
    v->opt += sign * r->opt;
    if (r->attn) {
        v->attn += sign;
        v->attn_bytes += sign * (r->size > 0 ? r->size : 0);
    }
    if (r->dur_us < 0)
        return;
    double ms = (double)r->dur_us / 1000.0;
    v->nt += sign;
    v->sum_us += sign * r->dur_us;
    v->slow += sign * (ms >= TP_SLOW_MS);
    v->crit += sign * (ms >= TP_CRITICAL_MS);
    if (sign > 0) {
        sketch_add(&v->plus, ms, 1);
        if (v->min_us < 0 || r->dur_us < v->min_us)
            v->min_us = r->dur_us;
        if (r->dur_us > v->max_us)
            v->max_us = r->dur_us;
    } else {
        if (v->nminus == v->aminus) {
            v->aminus = v->aminus ? v->aminus * 2 : 8;
            v->minus = xreallocarray(v->minus, v->aminus, sizeof(double));
        }
        v->minus[v->nminus++] = ms;
    }
}

/* Add (sign +1) or retract (sign -1) a row's contribution to every
 * aggregate. */
static void contribute(struct delta_set *d, const struct row *r, int sign)
{
    int added;
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        int64_t b = tpt_floor_div(r->ts_ms, rollup_width_ms[lvl]);
        ru_contribute(d, lvl, b, r->project, r, sign);
        ru_contribute(d, lvl, b, 0, r, sign);
    }

    int64_t tkey[4] = {tpt_floor_div(r->ts_ms, DAY_MS), r->project, r->tool, r->target};
    size_t i = delta_slot(&d->tg, (void **)&d->tg_v, &d->tg_alloc, sizeof *d->tg_v, tkey,
                          sizeof tkey, &added);
    struct tg_delta *t = &d->tg_v[i];
    t->n += sign;
    t->failed += sign * !r->success;
    if (r->dur_us >= 0) {
        t->sum_us += sign * r->dur_us;
        if (sign > 0 && r->dur_us > t->max_us)
            t->max_us = r->dur_us;
    }

    /* Repeated reads: full reads (no offset/limit) of one file in one
     * session. Paging through a file with offset/limit is what we
     * recommend, so it does not count. */
    if (r->is_read && r->session && r->target && !r->opt) {
        int64_t rkey[2] = {r->session, r->target};
        i = delta_slot(&d->rr, (void **)&d->rr_v, &d->rr_alloc, sizeof *d->rr_v, rkey,
                       sizeof rkey, &added);
        struct rr_delta *x = &d->rr_v[i];
        x->n += sign;
        x->bytes += sign * (r->size > 0 ? r->size : 0);
        x->sum_us += sign * (r->dur_us > 0 ? r->dur_us : 0);
        x->project = r->project;
        if (r->ts_ms > x->last_ms)
            x->last_ms = r->ts_ms;
    }

    if (sign > 0 && r->session) {
        i = delta_slot(&d->ss, (void **)&d->ss_v, &d->ss_alloc, sizeof *d->ss_v, &r->session,
                       sizeof r->session, &added);
        struct ss_delta *x = &d->ss_v[i];
        if (added || r->ts_ms < x->first_ms)
            x->first_ms = r->ts_ms;
        int64_t end = r->ts_ms + (r->dur_us > 0 ? r->dur_us / 1000 : 0);
        if (added || end > x->last_ms)
            x->last_ms = end;
    }
}

/* Read rollup columns (RU_COLS starting at col) into a. */
static int agg_from_stmt(sqlite3_stmt *q, int col, struct agg *a)
{
    a->n = (uint64_t)sqlite3_column_int64(q, col + 0);
    a->n_timed = (uint64_t)sqlite3_column_int64(q, col + 1);
    a->sum_ms = (double)sqlite3_column_int64(q, col + 2) / 1000.0;
    a->min_ms = (double)sqlite3_column_int64(q, col + 3) / 1000.0;
    a->max_ms = (double)sqlite3_column_int64(q, col + 4) / 1000.0;
    a->slow = (uint64_t)sqlite3_column_int64(q, col + 5);
    a->critical = (uint64_t)sqlite3_column_int64(q, col + 6);
    a->failed = (uint64_t)sqlite3_column_int64(q, col + 7);
    a->optimized = (uint64_t)sqlite3_column_int64(q, col + 8);
    a->attention = (uint64_t)sqlite3_column_int64(q, col + 9);
    a->attention_bytes = (uint64_t)sqlite3_column_int64(q, col + 10);
    const void *blob = sqlite3_column_blob(q, col + 11);
    int n = sqlite3_column_bytes(q, col + 11);
    return sketch_decode_add(&a->sk, blob, (size_t)n);
}

static int flush_rollup(struct store *s, const int64_t *key, struct ru_delta *v, struct agg *cur,
                        struct buf *blob, char *errbuf)
{
    sqlite3_stmt *q = stmt(s, S_RU_GET);
    for (int k = 0; k < 4; k++)
        sqlite3_bind_int64(q, k + 1, key[k]);
    agg_reset(cur);
    int64_t min_us = -1, max_us = -1, sum_us = 0;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (agg_from_stmt(q, 0, cur) != 0)
            return tp_fail(errbuf, TP_EDB, "a stored sketch is corrupt (rollup %lld/%lld)",
                           (long long)key[0], (long long)key[1]);
        sum_us = sqlite3_column_int64(q, 2);
        min_us = col_opt_int(q, 3);
        max_us = col_opt_int(q, 4);
    } else if (rc != SQLITE_DONE) {
        return db_fail(s, errbuf, "reading a rollup");
    }
    sqlite3_reset(q);

    int64_t n = (int64_t)cur->n + v->n;
    if (n <= 0) {
        q = stmt(s, S_RU_DEL);
        for (int k = 0; k < 4; k++)
            sqlite3_bind_int64(q, k + 1, key[k]);
        if (sqlite3_step(q) != SQLITE_DONE)
            return db_fail(s, errbuf, "deleting a rollup");
        return 0;
    }
    sketch_merge(&cur->sk, &v->plus);
    for (size_t k = 0; k < v->nminus; k++)
        sketch_remove(&cur->sk, v->minus[k], 1);
    if (v->min_us >= 0 && (min_us < 0 || v->min_us < min_us))
        min_us = v->min_us;
    if (v->max_us > max_us)
        max_us = v->max_us;
    buf_reset(blob);
    if (sketch_encode(&cur->sk, blob) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "a rollup sketch grew past its cap");

    q = stmt(s, S_RU_PUT);
    for (int k = 0; k < 4; k++)
        sqlite3_bind_int64(q, k + 1, key[k]);
    sqlite3_bind_int64(q, 5, n);
    sqlite3_bind_int64(q, 6, (int64_t)cur->n_timed + v->nt);
    sqlite3_bind_int64(q, 7, sum_us + v->sum_us);
    if (min_us >= 0)
        sqlite3_bind_int64(q, 8, min_us);
    if (max_us >= 0)
        sqlite3_bind_int64(q, 9, max_us);
    sqlite3_bind_int64(q, 10, (int64_t)cur->slow + v->slow);
    sqlite3_bind_int64(q, 11, (int64_t)cur->critical + v->crit);
    sqlite3_bind_int64(q, 12, (int64_t)cur->failed + v->failed);
    sqlite3_bind_int64(q, 13, (int64_t)cur->optimized + v->opt);
    sqlite3_bind_int64(q, 14, (int64_t)cur->attention + v->attn);
    sqlite3_bind_int64(q, 15, (int64_t)cur->attention_bytes + v->attn_bytes);
    sqlite3_bind_blob(q, 16, blob->data, (int)blob->len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, errbuf, "writing a rollup");
    return 0;
}

static int flush_deltas(struct store *s, struct delta_set *d, char *errbuf)
{
    int rc = 0;
    struct agg cur;
    struct buf blob;
    agg_init(&cur);
    buf_init(&blob, SKETCH_MAX_BLOB * 4);
    for (size_t i = 0; i < d->ru.n && rc == 0; i++) {
        struct ru_delta *v = &d->ru_v[i];
        if (!v->n && !v->nt && !v->failed && !v->opt && !v->attn && !v->plus.count &&
            !v->nminus)
            continue; /* retracted and re-added unchanged */
        rc = flush_rollup(s, kmap_key(&d->ru, i, NULL), v, &cur, &blob, errbuf);
    }
    agg_free(&cur);
    buf_free(&blob);
    for (size_t i = 0; i < d->tg.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->tg, i, NULL);
        struct tg_delta *t = &d->tg_v[i];
        if (!t->n && !t->failed && !t->sum_us && !t->max_us)
            continue;
        sqlite3_stmt *q = stmt(s, S_TG_ADD);
        for (int c = 0; c < 4; c++)
            sqlite3_bind_int64(q, c + 1, k[c]);
        sqlite3_bind_int64(q, 5, t->n);
        sqlite3_bind_int64(q, 6, t->failed);
        sqlite3_bind_int64(q, 7, t->sum_us);
        sqlite3_bind_int64(q, 8, t->max_us);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = db_fail(s, errbuf, "writing target totals");
        if (rc == 0 && t->n < 0) {
            q = stmt(s, S_TG_CLEAN);
            for (int c = 0; c < 4; c++)
                sqlite3_bind_int64(q, c + 1, k[c]);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = db_fail(s, errbuf, "cleaning target totals");
        }
    }
    for (size_t i = 0; i < d->rr.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->rr, i, NULL);
        struct rr_delta *x = &d->rr_v[i];
        if (!x->n && !x->bytes && !x->sum_us)
            continue;
        sqlite3_stmt *q = stmt(s, S_RR_ADD);
        sqlite3_bind_int64(q, 1, k[0]);
        sqlite3_bind_int64(q, 2, k[1]);
        sqlite3_bind_int64(q, 3, x->project);
        sqlite3_bind_int64(q, 4, x->n);
        sqlite3_bind_int64(q, 5, x->bytes);
        sqlite3_bind_int64(q, 6, x->sum_us);
        sqlite3_bind_int64(q, 7, x->last_ms);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = db_fail(s, errbuf, "writing read counts");
        if (rc == 0 && x->n < 0) {
            q = stmt(s, S_RR_CLEAN);
            sqlite3_bind_int64(q, 1, k[0]);
            sqlite3_bind_int64(q, 2, k[1]);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = db_fail(s, errbuf, "cleaning read counts");
        }
    }
    for (size_t i = 0; i < d->ss.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->ss, i, NULL);
        sqlite3_stmt *q = stmt(s, S_SS_ADD);
        sqlite3_bind_int64(q, 1, k[0]);
        sqlite3_bind_int64(q, 2, d->ss_v[i].first_ms);
        sqlite3_bind_int64(q, 3, d->ss_v[i].last_ms);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = db_fail(s, errbuf, "writing session spans");
    }
    if (rc == 0 && d->operations) {
        sqlite3_stmt *q = stmt(s, S_META_ADD);
        sqlite3_bind_text(q, 1, "operations", -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, d->operations);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = db_fail(s, errbuf, "counting operations");
    }
    return rc;
}

/* ---- identity ------------------------------------------------------------- */

/* An operation's identity: the tool_use_id text, or for ids derived by
 * op_derive_id ("tp-" + 16 hex digits) the 64-bit number, stored as an
 * INTEGER to keep rows small. */
struct uid {
    const char *text;
    int derived;
    int64_t num;
    uint32_t slot;
};

static void uid_make(const char *text, struct uid *u)
{
    u->text = text;
    u->derived = 0;
    u->num = 0;
    size_t n = strlen(text);
    if (n == 19 && memcmp(text, "tp-", 3) == 0 && strspn(text + 3, "0123456789abcdef") == 16) {
        u->derived = 1;
        u->num = (int64_t)strtoull(text + 3, NULL, 16);
    }
    u->slot = (uint32_t)hash_str(text);
}

static int uid_matches(sqlite3_stmt *q, int col, const struct uid *u)
{
    int type = sqlite3_column_type(q, col);
    if (u->derived)
        return type == SQLITE_INTEGER && sqlite3_column_int64(q, col) == u->num;
    return type == SQLITE_TEXT && strcmp((const char *)sqlite3_column_text(q, col), u->text) == 0;
}

/* Look for u in hour's slot chain. Returns 1 when found (row read into
 * *found), 0 when not (then *free_id is the first empty slot), <0 on
 * error. */
static int probe_hour(struct store *s, int64_t hour, const struct uid *u, struct row *found,
                      int64_t *free_id, char *errbuf)
{
    for (uint32_t k = 0; k < 4096; k++) {
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
            row_from_stmt(s, q, found);
            sqlite3_reset(q);
            return 1;
        }
    }
    return tp_fail(errbuf, TP_EDB, "slot chain too long in hour %lld", (long long)hour);
}

/* ---- inserting and merging ------------------------------------------------- */

/* Build the row an op will be stored as (strings interned). */
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
    r->err = op->error ? xstrdup(op->error) : NULL;
    r->meta = op->meta ? xstrdup(op->meta) : NULL;
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
    if (u->derived)
        sqlite3_bind_int64(q, 11, u->num);
    else
        sqlite3_bind_text(q, 11, u->text, -1, SQLITE_STATIC);
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

static void take_str(char **dst, char **src)
{
    if (!*dst && *src) {
        *dst = *src;
        *src = NULL;
    }
}

/* Merge a newcomer n into the stored row e (in place). Returns 1 when e
 * changed. The rules: a known duration from a more trusted source (enum
 * op_source order) replaces the stored one; a failure reported by any
 * source stands; fields the stored row lacks are filled in; the generic
 * OTLP name "mcp_tool" gives way to a real MCP tool name. */
static int merge_row(struct store *s, struct row *e, struct row *n)
{
    struct row before = *e;
    e->sources |= n->sources;
    if (n->dur_us >= 0 && (e->dur_us < 0 || n->src > e->src)) {
        e->dur_us = n->dur_us;
        e->src = n->src;
        e->is_int = n->is_int;
    } else if (e->dur_us < 0 && n->src > e->src) {
        e->src = n->src;
    }
    if (!n->success)
        e->success = 0;
    e->opt = e->opt || n->opt;
    if (e->tool != n->tool) {
        const char *et = store_str(s, e->tool);
        if (et && strcmp(et, "mcp_tool") == 0)
            e->tool = n->tool;
    }
    if (!e->target)
        e->target = n->target;
    if (!e->session)
        e->session = n->session;
    if (e->project != n->project) {
        const char *ep = store_str(s, e->project);
        if (!ep || !*ep)
            e->project = n->project;
    }
    if (e->size < 0)
        e->size = n->size;
    if (e->rbytes < 0)
        e->rbytes = n->rbytes;
    take_str(&e->err, &n->err);
    take_str(&e->meta, &n->meta);
    if (e->tool != before.tool || e->target != before.target || e->size != before.size ||
        e->opt != before.opt) {
        struct op tmp;
        op_init(&tmp);
        tmp.tool = (char *)store_str(s, e->tool);
        tmp.target = (char *)store_str(s, e->target);
        tmp.optimized = e->opt;
        tmp.size_bytes = e->size;
        e->attn = tmp.tool ? op_attention(&tmp) : 0;
        e->is_read = is_read_tool(s, e->tool);
    }
    return memcmp(&before, e, offsetof(struct row, err)) != 0 || before.err != e->err ||
           before.meta != e->meta;
}

/* Store one op inside the open transaction. */
static int insert_one(struct store *s, const struct op *op, struct delta_set *d,
                      struct store_result *res, char *errbuf)
{
    int rc;
    char *owned_id = op->tool_use_id ? NULL : op_derive_id(op, "");
    struct uid u;
    uid_make(op->tool_use_id ? op->tool_use_id : owned_id, &u);
    struct row n, e;
    memset(&e, 0, sizeof e);
    if ((rc = row_from_op(s, op, &n, errbuf)) != 0)
        goto out;

    int64_t hour = tpt_floor_div(op->ts_ms, HOUR_MS), free_id = 0, ignored;
    rc = probe_hour(s, hour, &u, &e, &free_id, errbuf);
    if (rc == 0)
        rc = probe_hour(s, hour - 1, &u, &e, &ignored, errbuf);
    if (rc == 0)
        rc = probe_hour(s, hour + 1, &u, &e, &ignored, errbuf);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        n.id = free_id;
        if ((rc = insert_row(s, &n, &u, errbuf)) != 0)
            goto out;
        contribute(d, &n, +1);
        d->operations++;
        res->inserted++;
        goto out;
    }
    struct row old = e;
    old.err = old.meta = NULL; /* contributions never read them */
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
    row_free(&n);
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

int store_insert(struct store *s, struct op *ops, size_t n, const struct store_mark *mark,
                 struct store_result *res, char *errbuf)
{
    struct store_result local = {0};
    struct delta_set d;
    int rc;
    if ((rc = begin(s, errbuf)) != 0)
        return rc;
    deltas_init(&d);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = insert_one(s, &ops[i], &d, &local, errbuf);
    if (rc == 0)
        rc = flush_deltas(s, &d, errbuf);
    if (rc == 0 && mark)
        rc = put_mark(s, mark, errbuf);
    deltas_free(&d);
    if (rc == 0 && exec(s, "COMMIT") != 0)
        rc = db_fail(s, errbuf, "committing");
    if (rc != 0) {
        exec(s, "ROLLBACK");
        /* The interning cache may hold ids of strings the rollback undid. */
        kmap_clear(&s->text_ids);
        return rc;
    }
    if (res) {
        res->inserted += local.inserted;
        res->merged += local.merged;
        res->unchanged += local.unchanged;
    }
    return 0;
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

int store_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                  const struct store_filter *f, store_rollup_cb cb, void *ctx)
{
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = stmt(s, S_RU_RANGE);
    sqlite3_bind_int64(q, 1, level);
    sqlite3_bind_int64(q, 2, tpt_floor_div(from_ms, w));
    sqlite3_bind_int64(q, 3, tpt_floor_div(to_ms + w - 1, w));
    sqlite3_bind_int64(q, 4, f ? f->project : 0);
    sqlite3_bind_int64(q, 5, f ? f->tool : 0);
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
        if (start < from_ms || start >= to_ms)
            continue; /* a bucket starting before from_ms is not wholly inside */
        stop = cb(ctx, level, start, sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2), &a);
    }
    agg_free(&a);
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : TP_EDB;
}

/* The row callback's view: strings borrowed from the cache and the
 * statement, valid during the call. */
static void store_row_fill(struct store *s, sqlite3_stmt *q, const struct row *r,
                           struct store_row *out, char *uidbuf)
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
    op->tool = (char *)store_str(s, r->tool);
    op->target = (char *)store_str(s, r->target);
    op->session_id = (char *)store_str(s, r->session);
    const char *proj = store_str(s, r->project);
    op->project = proj && *proj ? (char *)proj : NULL;
    op->duration_ms = r->dur_us >= 0 ? (double)r->dur_us / 1000.0 : NAN;
    op->ts_ms = r->ts_ms;
    op->success = r->success;
    op->optimized = r->opt;
    op->size_bytes = r->size;
    op->result_bytes = r->rbytes;
    op->source = (enum op_source)r->src;
    op->duration_is_int = r->is_int;
    op->error = r->err;
    op->meta = r->meta;
    if (sqlite3_column_type(q, 10) == SQLITE_INTEGER) {
        snprintf(uidbuf, 24, "tp-%016llx", (unsigned long long)sqlite3_column_int64(q, 10));
        op->tool_use_id = uidbuf;
    } else {
        op->tool_use_id = (char *)sqlite3_column_text(q, 10);
    }
}

/* Scan hours [h0, h1) in one query. Returns 1 when the callback stopped. */
static int scan_range(struct store *s, const struct store_scan *sc, int64_t h0, int64_t h1,
                      store_row_cb cb, void *ctx, int *err)
{
    sqlite3_stmt *q = stmt(s, sc->desc ? S_SCAN_DESC : S_SCAN_ASC);
    sqlite3_bind_int64(q, 1, h0 << 32);
    sqlite3_bind_int64(q, 2, h1 << 32);
    sqlite3_bind_int64(q, 3, sc->f.tool);
    sqlite3_bind_int64(q, 4, sc->f.project);
    sqlite3_bind_int64(q, 5, sc->f.session);
    int rc, stop = 0;
    char uidbuf[24];
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct row r;
        row_from_stmt(s, q, &r);
        int keep = r.ts_ms >= sc->from_ms && r.ts_ms < sc->to_ms;
        if (keep && sc->min_duration_ms > 0)
            keep = r.dur_us >= 0 && (double)r.dur_us / 1000.0 >= sc->min_duration_ms;
        if (keep && sc->attention)
            keep = r.attn == sc->attention;
        if (keep) {
            struct store_row out;
            store_row_fill(s, q, &r, &out, uidbuf);
            stop = cb(ctx, &out);
        }
        row_free(&r);
    }
    if (!stop && rc != SQLITE_DONE)
        *err = TP_EDB;
    sqlite3_reset(q);
    return stop;
}

struct hour_pick {
    int64_t *hours;
    size_t n, alloc;
    double min_us;
    int attention;
};

static int pick_hours(void *ctx, int level, int64_t start, int64_t tool, int64_t project,
                      const struct agg *a)
{
    (void)level, (void)tool, (void)project;
    struct hour_pick *p = ctx;
    if (p->min_us > 0 && !(a->n_timed && a->max_ms * 1000.0 >= p->min_us))
        return 0;
    if (p->attention && !a->attention)
        return 0;
    int64_t h = start / HOUR_MS;
    if (p->n && p->hours[p->n - 1] == h)
        return 0;
    if (p->n == p->alloc) {
        p->alloc = p->alloc ? p->alloc * 2 : 64;
        p->hours = xreallocarray(p->hours, p->alloc, sizeof(int64_t));
    }
    p->hours[p->n++] = h;
    return 0;
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
    /* Only hours whose rollup can hold a matching row. */
    struct hour_pick p = {NULL, 0, 0, sc->min_duration_ms * 1000.0 * (1 - 1e-9), sc->attention};
    struct store_filter f = {sc->f.tool, sc->f.project, 0};
    int rc = store_rollups(s, ROLLUP_HOUR, h0 * HOUR_MS, h1 * HOUR_MS, &f, pick_hours, &p);
    for (size_t i = 0; rc == 0 && i < p.n && !err; i++) {
        size_t k = sc->desc ? p.n - 1 - i : i;
        if (scan_range(s, sc, p.hours[k], p.hours[k] + 1, cb, ctx, &err))
            break;
    }
    free(p.hours);
    return rc ? rc : err;
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
        stop = cb(ctx, sqlite3_column_int64(q, 0) * DAY_MS, &t);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_rereads(struct store *s, int64_t from_ms, int64_t to_ms, unsigned min_reads,
                  const struct store_filter *f, store_reread_cb cb, void *ctx)
{
    sqlite3_stmt *q = stmt(s, S_RR_RANGE);
    sqlite3_bind_int64(q, 1, min_reads);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    sqlite3_bind_int64(q, 4, f ? f->project : 0);
    sqlite3_bind_int64(q, 5, f ? f->session : 0);
    int rc, stop = 0;
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

static int64_t edge_ts(struct store *s, const char *sql)
{
    sqlite3_stmt *q;
    int64_t ts = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        ts = (sqlite3_column_int64(q, 0) >> 32) * HOUR_MS + sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    return ts;
}

int store_info(struct store *s, struct store_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = stmt(s, S_META_GET);
    sqlite3_bind_text(q, 1, "operations", -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        out->operations = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->db_path);
    out->db_bytes = file_size(s->db_path) + file_size(wal);
    out->first_ms = edge_ts(s, "SELECT id, ts FROM ops ORDER BY id LIMIT 1");
    out->last_ms = edge_ts(s, "SELECT id, ts FROM ops ORDER BY id DESC LIMIT 1");
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
    struct delta_set *d;
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
    p->d->operations--;
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
    for (int64_t from = tpt_floor_div(info.first_ms, HOUR_MS) * HOUR_MS; from < cutoff_ms;
         from += DAY_MS) {
        int64_t to = from + DAY_MS < cutoff_ms ? from + DAY_MS : cutoff_ms;
        int rc = begin(s, errbuf);
        if (rc)
            return rc;
        struct delta_set d;
        deltas_init(&d);
        struct prune_ctx p = {s, &d, 0};
        struct store_scan sc = {from, to, {0, 0, 0}, 0, 0, 0};
        rc = store_scan(s, &sc, prune_row, &p);
        if (rc == 0 && p.n) {
            /* Delete whole hours below the cutoff's hour, then the rows of
             * the cutoff's own hour that started before it. */
            int64_t h0 = tpt_floor_div(from, HOUR_MS), h1 = tpt_floor_div(to, HOUR_MS);
            sqlite3_stmt *q = stmt(s, S_OP_DEL_RANGE);
            sqlite3_bind_int64(q, 1, h0 << 32);
            sqlite3_bind_int64(q, 2, h1 << 32);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = db_fail(s, errbuf, "pruning");
            if (rc == 0 && to % HOUR_MS) {
                char sql[160];
                snprintf(sql, sizeof sql, "DELETE FROM ops WHERE id >= %lld AND id < %lld AND ts < %lld",
                         (long long)(h1 << 32), (long long)((h1 + 1) << 32),
                         (long long)(to - h1 * HOUR_MS));
                if (exec(s, sql) != 0)
                    rc = db_fail(s, errbuf, "pruning");
            }
            if (rc == 0)
                rc = flush_deltas(s, &d, errbuf);
        }
        deltas_free(&d);
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
