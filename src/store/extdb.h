/*
 * extdb.h - reading another program's SQLite database, read-only.
 *
 * Some agents keep their history in a SQLite file of their own (OpenCode's
 * opencode.db), which they may be writing while toolprof reads it. This is
 * the one way toolprof reads such a file: opened read-only through a
 * file: URI with mode=ro (never writing, never checkpointing, never taking
 * a write lock), with a short busy timeout chosen by the caller, so that
 * the program that owns the file is never held up; a read that meets its
 * lock gives up with TP_EBUSY and the caller reads again later. Each
 * statement is its own short read transaction, from its first step to its
 * reset: keep them short, so that the owner's checkpoints can complete.
 *
 * What the tables mean belongs to the caller (ingest/opencode_db.c for
 * OpenCode); this module only runs its queries:
 *
 *   struct extdb *db;
 *   if (extdb_open(path, 100, &db, errbuf) != 0) ...      (errbuf says why)
 *   struct extdb_stmt *q;
 *   if (extdb_prepare(db, "SELECT a, b FROM t WHERE c > ?1", &q) != 0) ...
 *   extdb_bind_int64(q, 1, since);
 *   while ((rc = extdb_step(q)) == 1)
 *       use(extdb_text(q, 0, &len), extdb_int64(q, 1));
 *   extdb_reset(q);                        (rc < 0: extdb_errmsg(db) says why)
 *   extdb_finalize(q);
 *   extdb_close(db);
 */
#ifndef TOOLPROF_EXTDB_H
#define TOOLPROF_EXTDB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct extdb;
struct extdb_stmt;

/* Open the database at path read-only; busy_ms: how long a statement waits
 * for a lock the owner holds before it fails with TP_EBUSY. Returns 0 with
 * *out set (free with extdb_close), or TP_EIO with errbuf saying "PATH:
 * cannot open it read-only: why" and *out NULL. */
TP_MUST_CHECK int extdb_open(const char *path, int busy_ms, struct extdb **out, char *errbuf);

/* Compile sql for db. Returns 0 with *out set (free with extdb_finalize);
 * TP_EBUSY when the owner's lock outlasted busy_ms (reading the schema
 * needs a read); TP_EPARSE when SQLite refuses the statement (a table or
 * column the file lacks, or a file that is not a database: not the
 * database the caller expected). extdb_errmsg() says why. */
TP_MUST_CHECK int extdb_prepare(struct extdb *db, const char *sql, struct extdb_stmt **out);

/* Bind parameter idx (1-based) of q: text (copied; NULL binds NULL), or an
 * integer. Bindings stay until bound again, across extdb_reset(). */
void extdb_bind_text(struct extdb_stmt *q, int idx, const char *text);
void extdb_bind_int64(struct extdb_stmt *q, int idx, int64_t v);

/* The next row of q: 1 (a row: read it with the column functions), 0 (no
 * more rows), TP_EBUSY (the owner's lock outlasted busy_ms), or TP_EIO
 * (another error; extdb_errmsg() says which, also after extdb_reset()). */
int extdb_step(struct extdb_stmt *q);

/* End q's run (and its read transaction) so that it can run again. */
void extdb_reset(struct extdb_stmt *q);

/* Column col (0-based) of the current row. Text: NULL for a NULL value,
 * else the value as text, NUL-terminated, its length in bytes in *len (len
 * may be NULL); valid until the next step or reset of q. */
const char *extdb_text(struct extdb_stmt *q, int col, size_t *len);
int64_t extdb_int64(struct extdb_stmt *q, int col);
/* 1 when the value is NULL. */
int extdb_is_null(struct extdb_stmt *q, int col);

/* SQLite's message for the last error of db (never NULL). */
const char *extdb_errmsg(struct extdb *db);

/* Free q (NULL allowed). */
void extdb_finalize(struct extdb_stmt *q);
/* Close db (NULL allowed); its statements must be finalized first. */
void extdb_close(struct extdb *db);

#endif
