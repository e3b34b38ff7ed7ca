/*
 * extdb.c - another program's SQLite database, read-only (see extdb.h).
 *
 * The flags are what keeps the owner safe: SQLITE_OPEN_READONLY with a
 * file: URI ending in ?mode=ro, so that nothing here can write the file or
 * its WAL, nor checkpoint it; SQLITE_OPEN_NOMUTEX, since a handle is used
 * by one thread at a time. A statement is a small struct around SQLite's,
 * so that no SQLite type leaves the store.
 */
#include "extdb.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/xmalloc.h"

struct extdb {
    sqlite3 *h;
};

struct extdb_stmt {
    sqlite3_stmt *q;
};

/* The database as a read-only URI (file:...?mode=ro), with the characters
 * a URI gives meaning to escaped. */
static char *uri_of(const char *path)
{
    struct buf b;
    buf_init(&b, PATH_MAX * 3 + 32);
    buf_adds(&b, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            buf_printf(&b, "%%%02X", (unsigned char)*p);
        else
            buf_addc(&b, *p);
    }
    buf_adds(&b, "?mode=ro");
    return buf_steal(&b, NULL);
}

int extdb_open(const char *path, int busy_ms, struct extdb **out, char *errbuf)
{
    *out = NULL;
    sqlite3 *h = NULL;
    char *uri = uri_of(path);
    int rc = sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        rc = tp_fail(errbuf, TP_EIO, "%s: cannot open it read-only: %s", path,
                     h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close_v2(h);
        return rc;
    }
    sqlite3_busy_timeout(h, busy_ms);
    struct extdb *db = xmalloc(sizeof *db);
    db->h = h;
    *out = db;
    return 0;
}

static int is_busy(int rc)
{
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int extdb_prepare(struct extdb *db, const char *sql, struct extdb_stmt **out)
{
    *out = NULL;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &q, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(q);
        return is_busy(rc) ? TP_EBUSY : TP_EPARSE;
    }
    *out = xmalloc(sizeof **out);
    (*out)->q = q;
    return 0;
}

void extdb_bind_text(struct extdb_stmt *q, int idx, const char *text)
{
    sqlite3_bind_text(q->q, idx, text, -1, SQLITE_TRANSIENT);
}

void extdb_bind_int64(struct extdb_stmt *q, int idx, int64_t v)
{
    sqlite3_bind_int64(q->q, idx, v);
}

int extdb_step(struct extdb_stmt *q)
{
    int rc = sqlite3_step(q->q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return is_busy(rc) ? TP_EBUSY : TP_EIO;
}

void extdb_reset(struct extdb_stmt *q)
{
    sqlite3_reset(q->q);
}

const char *extdb_text(struct extdb_stmt *q, int col, size_t *len)
{
    /* Text first, then its length: the length of the value as text. */
    const char *s = (const char *)sqlite3_column_text(q->q, col);
    if (len)
        *len = (size_t)sqlite3_column_bytes(q->q, col);
    return s;
}

int64_t extdb_int64(struct extdb_stmt *q, int col)
{
    return sqlite3_column_int64(q->q, col);
}

int extdb_is_null(struct extdb_stmt *q, int col)
{
    return sqlite3_column_type(q->q, col) == SQLITE_NULL;
}

const char *extdb_errmsg(struct extdb *db)
{
    return sqlite3_errmsg(db->h);
}

void extdb_finalize(struct extdb_stmt *q)
{
    if (!q)
        return;
    sqlite3_finalize(q->q);
    free(q);
}

void extdb_close(struct extdb *db)
{
    if (!db)
        return;
    sqlite3_close_v2(db->h);
    free(db);
}
