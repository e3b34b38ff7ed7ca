/*
 * pushstate.c - the push state file (see pushstate.h).
 *
 * Three tables of (INTEGER PRIMARY KEY, INTEGER), one per map: `sent`
 * (calls), `tl` (sessions' turns and requests: their timelines) and `days`.
 * Their names are those of the files pushes have written since push began,
 * so a state file written before this module existed reads the same. The
 * lookups are prepared once at open, since a push asks one per call it
 * reads; the writes are prepared per save, which comes once per batch of
 * thousands.
 */
#include "pushstate.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "core/xmalloc.h"

#define PUSHSTATE_SCHEMA                                                                           \
    "CREATE TABLE IF NOT EXISTS sent(k INTEGER PRIMARY KEY, h INTEGER NOT NULL);"                  \
    "CREATE TABLE IF NOT EXISTS tl(k INTEGER PRIMARY KEY, h INTEGER NOT NULL);"                    \
    "CREATE TABLE IF NOT EXISTS days(d INTEGER PRIMARY KEY, fp INTEGER NOT NULL);"

/* Indexed by enum pushstate_map. */
static const char *const get_sql[3] = {
    "SELECT h FROM sent WHERE k = ?1",
    "SELECT h FROM tl WHERE k = ?1",
    "SELECT fp FROM days WHERE d = ?1",
};
static const char *const put_sql[3] = {
    "INSERT OR REPLACE INTO sent VALUES(?1, ?2)",
    "INSERT OR REPLACE INTO tl VALUES(?1, ?2)",
    "INSERT OR REPLACE INTO days VALUES(?1, ?2)",
};

struct pushstate {
    sqlite3 *db;
    sqlite3_stmt *get[3];
};

static int db_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : TP_EIO;
}

void pushstate_close(struct pushstate *ps)
{
    if (!ps)
        return;
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(ps->get[i]);
    if (ps->db)
        sqlite3_close(ps->db);
    free(ps);
}

int pushstate_open(const char *path, struct pushstate **out, char *errbuf)
{
    *out = NULL;
    struct pushstate *ps = xcalloc(1, sizeof *ps);
    int ok = sqlite3_open_v2(path, &ps->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
                 SQLITE_OK &&
             db_exec(ps->db, "PRAGMA journal_mode=WAL") == 0 &&
             db_exec(ps->db, PUSHSTATE_SCHEMA) == 0;
    for (int i = 0; ok && i < 3; i++)
        ok = sqlite3_prepare_v2(ps->db, get_sql[i], -1, &ps->get[i], NULL) == SQLITE_OK;
    if (!ok) {
        int rc = tp_fail(errbuf, TP_EIO, "cannot use %s: %s", path,
                         ps->db ? sqlite3_errmsg(ps->db) : "out of memory");
        pushstate_close(ps);
        return rc;
    }
    /* Two pushes to one server share the file: the second waits for the
     * first's save rather than failing. */
    sqlite3_busy_timeout(ps->db, 10000);
    *out = ps;
    return 0;
}

int pushstate_get(struct pushstate *ps, enum pushstate_map map, int64_t key, int64_t *value)
{
    assert(map >= PUSHSTATE_CALLS && map <= PUSHSTATE_DAYS);
    sqlite3_stmt *q = ps->get[map];
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, key);
    int found = sqlite3_step(q) == SQLITE_ROW;
    *value = found ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return found;
}

static int put(sqlite3_stmt *q, int64_t key, int64_t value)
{
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, key);
    sqlite3_bind_int64(q, 2, value);
    return sqlite3_step(q) == SQLITE_DONE;
}

int pushstate_save(struct pushstate *ps, const struct pushstate_entry *e, size_t n,
                   const int64_t *days, const int64_t *fps, size_t ndays, char *errbuf)
{
    if (db_exec(ps->db, "BEGIN IMMEDIATE") != 0)
        return tp_fail(errbuf, TP_EIO, "push state: %s", sqlite3_errmsg(ps->db));
    sqlite3_stmt *q[3] = {NULL, NULL, NULL};
    int ok = 1;
    for (int i = 0; ok && i < 3; i++)
        ok = sqlite3_prepare_v2(ps->db, put_sql[i], -1, &q[i], NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < n; i++) {
        assert(e[i].map >= PUSHSTATE_CALLS && e[i].map <= PUSHSTATE_DAYS);
        ok = put(q[e[i].map], e[i].key, e[i].value);
    }
    for (size_t i = 0; ok && i < ndays; i++)
        ok = put(q[PUSHSTATE_DAYS], days[i], fps[i]);
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(q[i]);
    if (!ok || db_exec(ps->db, "COMMIT") != 0) {
        /* The message first: the rollback would replace it. */
        int rc = tp_fail(errbuf, TP_EIO, "push state: %s", sqlite3_errmsg(ps->db));
        db_exec(ps->db, "ROLLBACK");
        return rc;
    }
    return 0;
}
