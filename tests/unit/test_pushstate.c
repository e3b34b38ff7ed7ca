/*
 * test_pushstate.c - the push state file (store/pushstate.c): created on
 * first use; values saved in one map are read back from that map only,
 * replaced by a later save, and still there after closing; the file's
 * tables, read here with SQLite directly, hold exactly what was saved (and
 * a file written by hand in that layout, as pushes before this module
 * wrote it, reads the same); a save that fails half-way saves nothing and
 * says why; a path that cannot be opened is named in the error.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "store/pushstate.h"

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static void path_of(char *out, size_t n, const char *name)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("pushstate");
        atexit(cleanup);
    }
    snprintf(out, n, "%s/%s", tmp_root, name);
}

/* SQL run on the file with SQLite itself, apart from the module. */
static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc =
        sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
            ? 0
            : -1;
    if (rc)
        fprintf(stderr, "  raw_exec: %s\n", db ? sqlite3_errmsg(db) : "no handle");
    sqlite3_close(db);
    return rc;
}

/* One number from the file (a count, a sum), -1 on error. */
static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void test_save_get_reopen(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "push.00000001.db");
    ASSERT_TRUE(!fixture_exists(path));
    struct pushstate *ps;
    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), 0);
    ASSERT_TRUE(fixture_exists(path));
    int64_t v = 7;
    for (int m = PUSHSTATE_CALLS; m <= PUSHSTATE_DAYS; m++)
        ASSERT_EQ_INT(pushstate_get(ps, m, 1, &v), 0);

    /* Key 1 in each map, with a different value: each map is its own. */
    const struct pushstate_entry e[] = {
        {1, 100, PUSHSTATE_CALLS},
        {2, -200, PUSHSTATE_CALLS},
        {1, 111, PUSHSTATE_SESSIONS},
        {INT64_MIN, INT64_MAX, PUSHSTATE_SESSIONS},
    };
    const int64_t days[] = {1, 20000}, fps[] = {-5, 6};
    ASSERT_EQ_INT(pushstate_save(ps, e, 4, days, fps, 2, eb), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_CALLS, 1, &v), 1);
    ASSERT_EQ_INT(v, 100);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_CALLS, 2, &v), 1);
    ASSERT_EQ_INT(v, -200);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 1, &v), 1);
    ASSERT_EQ_INT(v, 111);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, INT64_MIN, &v), 1);
    ASSERT_TRUE(v == INT64_MAX);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 2, &v), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 1, &v), 1);
    ASSERT_EQ_INT(v, -5);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 20000, &v), 1);
    ASSERT_EQ_INT(v, 6);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 2, &v), 0);

    /* A later save replaces; a day may come as an entry too; an empty save
     * is fine. */
    const struct pushstate_entry again[] = {{1, 101, PUSHSTATE_CALLS}, {3, 33, PUSHSTATE_DAYS}};
    ASSERT_EQ_INT(pushstate_save(ps, again, 2, NULL, NULL, 0, eb), 0);
    ASSERT_EQ_INT(pushstate_save(ps, NULL, 0, NULL, NULL, 0, eb), 0);
    pushstate_close(ps);

    /* What the file holds, read apart from the module. */
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM sent"), 2);
    ASSERT_EQ_INT(raw_int(path, "SELECT h FROM sent WHERE k = 1"), 101);
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM tl"), 2);
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM days"), 3);
    ASSERT_EQ_INT(raw_int(path, "SELECT fp FROM days WHERE d = 3"), 33);
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM pragma_journal_mode "
                                "WHERE journal_mode = 'wal'"),
                  1);

    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_CALLS, 1, &v), 1);
    ASSERT_EQ_INT(v, 101);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 20000, &v), 1);
    ASSERT_EQ_INT(v, 6);
    pushstate_close(ps);
    pushstate_close(NULL);
}

/* A file in the layout pushes have always written, made by hand. */
static void test_reads_an_existing_file(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "by-hand.db");
    ASSERT_EQ_INT(raw_exec(path, "PRAGMA journal_mode=WAL;"
                                 "CREATE TABLE sent(k INTEGER PRIMARY KEY, h INTEGER NOT NULL);"
                                 "CREATE TABLE tl(k INTEGER PRIMARY KEY, h INTEGER NOT NULL);"
                                 "CREATE TABLE days(d INTEGER PRIMARY KEY, fp INTEGER NOT NULL);"
                                 "INSERT INTO sent VALUES(10, 1), (11, 2);"
                                 "INSERT INTO tl VALUES(10, 3);"
                                 "INSERT INTO days VALUES(19000, 4);"),
                  0);
    struct pushstate *ps;
    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), 0);
    int64_t v;
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_CALLS, 11, &v), 1);
    ASSERT_EQ_INT(v, 2);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 10, &v), 1);
    ASSERT_EQ_INT(v, 3);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 11, &v), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 19000, &v), 1);
    ASSERT_EQ_INT(v, 4);
    pushstate_close(ps);
}

/* A save whose last write fails (a trigger refuses day 42) leaves the file
 * as it was, and says why. */
static void test_failed_save_saves_nothing(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX];
    path_of(path, sizeof path, "refusing.db");
    struct pushstate *ps;
    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), 0);
    const struct pushstate_entry first = {5, 50, PUSHSTATE_CALLS};
    ASSERT_EQ_INT(pushstate_save(ps, &first, 1, NULL, NULL, 0, eb), 0);
    ASSERT_EQ_INT(raw_exec(path, "CREATE TRIGGER no42 BEFORE INSERT ON days WHEN NEW.d = 42 "
                                 "BEGIN SELECT RAISE(ABORT, 'no day 42'); END;"),
                  0);
    const struct pushstate_entry e[] = {{5, 51, PUSHSTATE_CALLS}, {6, 60, PUSHSTATE_SESSIONS}};
    const int64_t days[] = {41, 42}, fps[] = {1, 2};
    eb[0] = '\0';
    ASSERT_EQ_INT(pushstate_save(ps, e, 2, days, fps, 2, eb), TP_EIO);
    ASSERT_STREQ(eb, "push state: no day 42");
    int64_t v;
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_CALLS, 5, &v), 1);
    ASSERT_EQ_INT(v, 50);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 6, &v), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_DAYS, 41, &v), 0);
    /* And the file works on: the next save goes through. */
    ASSERT_EQ_INT(pushstate_save(ps, e, 2, days, fps, 1, eb), 0);
    ASSERT_EQ_INT(pushstate_get(ps, PUSHSTATE_SESSIONS, 6, &v), 1);
    ASSERT_EQ_INT(v, 60);
    pushstate_close(ps);
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM sent"), 1);
    ASSERT_EQ_INT(raw_int(path, "SELECT count(*) FROM days"), 1);
}

static void test_unusable_path(void)
{
    char path[PATH_MAX], eb[TP_ERR_MAX], want[PATH_MAX + 64];
    path_of(path, sizeof path, "no-such-dir/push.db");
    struct pushstate *ps = (struct pushstate *)1;
    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), TP_EIO);
    ASSERT_TRUE(ps == NULL);
    snprintf(want, sizeof want, "cannot use %s: unable to open database file", path);
    ASSERT_STREQ(eb, want);

    /* A file that is not a database. */
    path_of(path, sizeof path, "text.db");
    const char *text = "just some text, longer than a database header's first line\n";
    ASSERT_EQ_INT(fixture_write(path, text, strlen(text), "wb"), 0);
    ASSERT_EQ_INT(pushstate_open(path, &ps, eb), TP_EIO);
    snprintf(want, sizeof want, "cannot use %s: file is not a database", path);
    ASSERT_STREQ(eb, want);
}

TEST_MAIN(TEST_CASE(test_save_get_reopen), TEST_CASE(test_reads_an_existing_file),
          TEST_CASE(test_failed_save_saves_nothing), TEST_CASE(test_unusable_path))
