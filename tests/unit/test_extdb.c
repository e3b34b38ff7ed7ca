/*
 * test_extdb.c - reading another program's database (store/extdb.c): rows
 * and their columns (text with its length, NUL bytes included; integers;
 * NULL), parameters kept across a reset, a path with the characters a URI
 * gives meaning to; what it never does: write (a write statement fails and
 * the file is unchanged), create a missing file, wait past its busy time
 * (a database locked outright gives TP_EBUSY, from prepare and from step),
 * or see another connection's uncommitted rows (WAL: nor wait for them);
 * and the errors: a missing file, a table the file lacks, a file that is
 * not a database.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "store/extdb.h"

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static void path_of(char *out, size_t n, const char *name)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("extdb");
        atexit(cleanup);
    }
    snprintf(out, n, "%s/%s", tmp_root, name);
}

/* A database of the other program, made with SQLite itself. */
static int make_db(const char *path, const char *journal)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=%s;"
             "CREATE TABLE t(id TEXT PRIMARY KEY, n INTEGER, s TEXT);"
             "INSERT INTO t VALUES('a', 1, 'one'), ('b', NULL, NULL),"
             "  ('c', -9000000000, CAST(X'78007A' AS TEXT)), ('d', 4, '');",
             journal);
    sqlite3 *db = NULL;
    int rc =
        sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
            ? 0
            : -1;
    if (rc)
        fprintf(stderr, "  make_db: %s\n", db ? sqlite3_errmsg(db) : "no handle");
    sqlite3_close(db);
    return rc;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void test_rows_and_columns(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    /* '%', '?' and '#' mean something in a URI: escaped, they name the file. */
    path_of(path, sizeof path, "odd 100%?x=1#frag.db");
    ASSERT_EQ_INT(make_db(path, "WAL"), 0);
    struct extdb *db;
    ASSERT_EQ_INT(extdb_open(path, 100, &db, eb), 0);
    struct extdb_stmt *q;
    ASSERT_EQ_INT(
        extdb_prepare(db, "SELECT id, n, s FROM t WHERE id > ?1 ORDER BY id LIMIT ?2", &q), 0);
    extdb_bind_text(q, 1, "a");
    extdb_bind_int64(q, 2, 10);
    size_t len = 99;
    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_STREQ(extdb_text(q, 0, NULL), "b");
    ASSERT_TRUE(extdb_is_null(q, 1));
    ASSERT_TRUE(extdb_is_null(q, 2));
    ASSERT_TRUE(extdb_text(q, 2, &len) == NULL);
    ASSERT_EQ_INT(len, 0);
    ASSERT_EQ_INT(extdb_int64(q, 1), 0);
    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_STREQ(extdb_text(q, 0, NULL), "c");
    ASSERT_TRUE(!extdb_is_null(q, 1));
    ASSERT_TRUE(extdb_int64(q, 1) == -9000000000LL);
    const char *s = extdb_text(q, 2, &len);
    ASSERT_EQ_INT(len, 3);
    ASSERT_TRUE(s && memcmp(s, "x\0z", 3) == 0 && s[3] == '\0');
    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_STREQ(extdb_text(q, 0, NULL), "d");
    s = extdb_text(q, 2, &len);
    ASSERT_TRUE(s && !extdb_is_null(q, 2));
    ASSERT_EQ_INT(len, 0);
    ASSERT_EQ_INT(extdb_step(q), 0);
    extdb_reset(q);

    /* Bindings stay across a reset: the second is replaced, the first kept. */
    extdb_bind_int64(q, 2, 1);
    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_STREQ(extdb_text(q, 0, NULL), "b");
    ASSERT_EQ_INT(extdb_step(q), 0);
    extdb_reset(q);
    /* Text is copied when bound: the caller's buffer may change at once. */
    char key[8] = "c";
    extdb_bind_text(q, 1, key);
    strcpy(key, "0");
    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_STREQ(extdb_text(q, 0, NULL), "d");
    extdb_reset(q);
    extdb_finalize(q);
    extdb_finalize(NULL);
    extdb_close(db);
    extdb_close(NULL);
}

/* Never a write: a write statement fails, and the file keeps its rows. */
static void test_read_only(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "ro.db");
    ASSERT_EQ_INT(make_db(path, "WAL"), 0);
    struct extdb *db;
    ASSERT_EQ_INT(extdb_open(path, 100, &db, eb), 0);
    struct extdb_stmt *w, *c;
    ASSERT_EQ_INT(extdb_prepare(db, "INSERT INTO t VALUES('e', 5, 'five')", &w), 0);
    ASSERT_EQ_INT(extdb_step(w), TP_EIO);
    extdb_reset(w);
    ASSERT_STREQ(extdb_errmsg(db), "attempt to write a readonly database");
    extdb_finalize(w);
    ASSERT_EQ_INT(extdb_prepare(db, "SELECT count(*) FROM t", &c), 0);
    ASSERT_EQ_INT(extdb_step(c), 1);
    ASSERT_EQ_INT(extdb_int64(c, 0), 4);
    extdb_finalize(c);
    extdb_close(db);

    /* A missing file is not created. */
    char missing[PATH_MAX], want[PATH_MAX + 64];
    path_of(missing, sizeof missing, "missing.db");
    db = (struct extdb *)1;
    ASSERT_EQ_INT(extdb_open(missing, 100, &db, eb), TP_EIO);
    ASSERT_TRUE(db == NULL);
    snprintf(want, sizeof want, "%s: cannot open it read-only: unable to open database file",
             missing);
    ASSERT_STREQ(eb, want);
    ASSERT_TRUE(!fixture_exists(missing));
}

static void test_not_the_expected_database(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "other.db");
    ASSERT_EQ_INT(make_db(path, "WAL"), 0);
    struct extdb *db;
    struct extdb_stmt *q = (struct extdb_stmt *)1;
    ASSERT_EQ_INT(extdb_open(path, 100, &db, eb), 0);
    ASSERT_EQ_INT(extdb_prepare(db, "SELECT x FROM part", &q), TP_EPARSE);
    ASSERT_TRUE(q == NULL);
    ASSERT_STREQ(extdb_errmsg(db), "no such table: part");
    ASSERT_EQ_INT(extdb_prepare(db, "SELECT nope FROM t", &q), TP_EPARSE);
    ASSERT_STREQ(extdb_errmsg(db), "no such column: nope");
    extdb_close(db);

    /* A file that is not a database opens (SQLite reads lazily) and fails
     * at the first statement. */
    path_of(path, sizeof path, "text.db");
    const char *text = "not a database, only some text that is long enough\n";
    ASSERT_EQ_INT(fixture_write(path, text, strlen(text), "wb"), 0);
    ASSERT_EQ_INT(extdb_open(path, 100, &db, eb), 0);
    ASSERT_EQ_INT(extdb_prepare(db, "SELECT 1 FROM t", &q), TP_EPARSE);
    ASSERT_STREQ(extdb_errmsg(db), "file is not a database");
    extdb_close(db);
}

/* Locked outright by another connection (a rollback journal's exclusive
 * lock): TP_EBUSY after busy_ms, from prepare (reading the schema) and from
 * step (a statement prepared before the lock); all rows once it is gone. */
static void test_busy(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "locked.db");
    ASSERT_EQ_INT(make_db(path, "DELETE"), 0);
    struct extdb *early, *late;
    struct extdb_stmt *q, *q2 = (struct extdb_stmt *)1;
    ASSERT_EQ_INT(extdb_open(path, 50, &early, eb), 0);
    ASSERT_EQ_INT(extdb_prepare(early, "SELECT count(*) FROM t", &q), 0);
    ASSERT_EQ_INT(extdb_open(path, 50, &late, eb), 0);

    sqlite3 *w = NULL;
    ASSERT_EQ_INT(sqlite3_open(path, &w), SQLITE_OK);
    ASSERT_EQ_INT(sqlite3_exec(w, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    int64_t t0 = now_ms();
    ASSERT_EQ_INT(extdb_step(q), TP_EBUSY);
    extdb_reset(q);
    ASSERT_EQ_INT(extdb_prepare(late, "SELECT count(*) FROM t", &q2), TP_EBUSY);
    ASSERT_TRUE(q2 == NULL);
    /* Each waited its busy time (50 ms) first: at least 100 ms in all. */
    ASSERT_TRUE(now_ms() - t0 >= 100);
    ASSERT_EQ_INT(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ_INT(sqlite3_close(w), SQLITE_OK);

    ASSERT_EQ_INT(extdb_step(q), 1);
    ASSERT_EQ_INT(extdb_int64(q, 0), 4);
    extdb_finalize(q);
    ASSERT_EQ_INT(extdb_prepare(late, "SELECT count(*) FROM t", &q2), 0);
    ASSERT_EQ_INT(extdb_step(q2), 1);
    ASSERT_EQ_INT(extdb_int64(q2, 0), 4);
    extdb_finalize(q2);
    extdb_close(early);
    extdb_close(late);
}

/* In WAL mode a writer's open transaction neither shows nor makes the
 * reader wait (no busy time at all: a wait would fail at once), and the
 * reader does not stop the writer's commit. */
static void test_wal_writer(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "wal.db");
    ASSERT_EQ_INT(make_db(path, "WAL"), 0);
    sqlite3 *w = NULL;
    ASSERT_EQ_INT(sqlite3_open(path, &w), SQLITE_OK);
    ASSERT_EQ_INT(
        sqlite3_exec(w, "BEGIN IMMEDIATE; INSERT INTO t VALUES('e', 5, 'five')", NULL, NULL, NULL),
        SQLITE_OK);
    struct extdb *db;
    struct extdb_stmt *q;
    ASSERT_EQ_INT(extdb_open(path, 0, &db, eb), 0);
    ASSERT_EQ_INT(extdb_prepare(db, "SELECT id FROM t ORDER BY id", &q), 0);
    int rows = 0, rc;
    while ((rc = extdb_step(q)) == 1)
        rows++;
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(rows, 4);
    extdb_reset(q);
    ASSERT_EQ_INT(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    rows = 0;
    while ((rc = extdb_step(q)) == 1)
        rows++;
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(rows, 5);
    extdb_reset(q);
    extdb_finalize(q);
    extdb_close(db);
    ASSERT_EQ_INT(sqlite3_close(w), SQLITE_OK);
}

TEST_MAIN(TEST_CASE(test_rows_and_columns), TEST_CASE(test_read_only),
          TEST_CASE(test_not_the_expected_database), TEST_CASE(test_busy),
          TEST_CASE(test_wal_writer))
