/*
 * test_spool.c - the spool: concurrent appenders and drainers lose and
 * duplicate nothing; orphans of dead drains are picked up, live ones are
 * not; bad lines are counted; a busy database leaves the spool for later.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/spool.h"
#include "store/store.h"

#define CHILDREN 16
#define PER_CHILD 1000

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/tp_spool_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? xstrdup(d) : NULL;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static void make_op(struct op *op, const char *id, int64_t now)
{
    char err[TP_ERR_MAX];
    op_init(op);
    op_sets(&op->tool, "Bash");
    op_sets(&op->target, "make -j8");
    op_sets(&op->tool_use_id, id);
    op_sets(&op->session_id, "sess");
    op->duration_ms = 42;
    op->ts_ms = now - 60000;
    op->source = OP_SRC_HOOK;
    if (op_normalize(op, now, err) != 0)
        fprintf(stderr, "make_op: %s\n", err);
}

static int64_t stored_ops(const char *dir)
{
    char err[TP_ERR_MAX];
    struct store *s;
    struct store_info info = {0};
    if (store_open(dir, 0, &s, err) != 0)
        return -1;
    store_info(s, &info);
    store_close(s);
    return info.operations;
}

static size_t count_draining(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.draining$'", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        if (fscanf(p, "%zu", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

struct totals {
    unsigned long long inserted, merged, unchanged, bad;
};

/* A drainer process: drain until told to stop (stop file exists), then
 * report its totals on fd. */
static void drainer(const char *dir, const char *stop, int fd)
{
    char err[TP_ERR_MAX];
    struct store *s;
    struct totals t = {0};
    if (store_open(dir, 0, &s, err) != 0)
        _exit(2);
    for (;;) {
        int last = access(stop, F_OK) == 0;
        struct store_result r;
        size_t bad = 0;
        int rc = spool_drain(s, &r, &bad, 1, err);
        if (rc != 0 && rc != TP_EBUSY) {
            fprintf(stderr, "drainer: %s\n", err);
            _exit(3);
        }
        t.inserted += r.inserted;
        t.merged += r.merged;
        t.unchanged += r.unchanged;
        t.bad += bad;
        if (last)
            break;
        usleep(2000);
    }
    store_close(s);
    if (write(fd, &t, sizeof t) != (ssize_t)sizeof t)
        _exit(4);
    _exit(0);
}

static void test_concurrent_appenders_and_drainers(void)
{
    char *dir = make_tmpdir(), stop[600], err[TP_ERR_MAX];
    pid_t kids[CHILDREN], drainers[2];
    int fds[2];
    ASSERT_TRUE(dir != NULL);
    snprintf(stop, sizeof stop, "%s/stop", dir);
    /* Create the database before the race, as a server would have. */
    ASSERT_EQ_INT(stored_ops(dir), 0);
    ASSERT_EQ_INT(pipe(fds), 0);
    for (int d = 0; d < 2; d++)
        if ((drainers[d] = fork()) == 0)
            drainer(dir, stop, fds[1]);
    int64_t now = tpt_now_ms();
    for (int c = 0; c < CHILDREN; c++) {
        if ((kids[c] = fork()) == 0) {
            for (int i = 0; i < PER_CHILD; i++) {
                char id[64];
                struct op op;
                snprintf(id, sizeof id, "toolu_c%02d_%04d", c, i);
                make_op(&op, id, now);
                if (spool_append(dir, &op, err) != 0)
                    _exit(1);
                op_clear(&op);
            }
            _exit(0);
        }
    }
    int failed_kids = 0;
    for (int c = 0; c < CHILDREN; c++) {
        int st;
        waitpid(kids[c], &st, 0);
        failed_kids += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ASSERT_EQ_INT(failed_kids, 0);
    FILE *f = fopen(stop, "w");
    fclose(f);
    struct totals sum = {0};
    for (int d = 0; d < 2; d++) {
        int st;
        struct totals t;
        waitpid(drainers[d], &st, 0);
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT_EQ_INT(read(fds[0], &t, sizeof t), sizeof t);
        sum.inserted += t.inserted;
        sum.merged += t.merged;
        sum.unchanged += t.unchanged;
        sum.bad += t.bad;
    }
    close(fds[0]);
    close(fds[1]);
    /* Whatever the drainers left (nothing, normally). */
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 1, err), 0);
    store_close(s);
    sum.inserted += r.inserted;
    sum.merged += r.merged;
    sum.unchanged += r.unchanged;
    sum.bad += bad;

    /* Every line read exactly once: no loss, no replay. */
    ASSERT_EQ_INT(sum.bad, 0);
    ASSERT_EQ_INT(sum.inserted, CHILDREN * PER_CHILD);
    ASSERT_EQ_INT(sum.merged + sum.unchanged, 0);
    ASSERT_EQ_INT(stored_ops(dir), CHILDREN * PER_CHILD);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    ASSERT_EQ_INT(count_draining(dir), 0);
    rm_rf(dir);
    free(dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const char *const line_a =
    "{\"tool\":\"Read\",\"target\":\"/a\",\"duration_ms\":5,\"timestamp\":\"2026-01-01T00:00:00Z\","
    "\"tool_use_id\":\"toolu_A\",\"source\":\"hook\"}\n";
static const char *const line_b =
    "{\"tool\":\"Grep\",\"target\":\"x\",\"duration_ms\":7,\"timestamp\":\"2026-01-01T00:00:01Z\","
    "\"tool_use_id\":\"toolu_B\",\"source\":\"hook\"}\n";

static void test_bad_lines_counted(void)
{
    char *dir = make_tmpdir(), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    char text[2048];
    snprintf(text, sizeof text,
             "%s"
             "not json\n"
             "\n"
             "[1,2]\n"
             "{\"tool\":\"\",\"duration_ms\":1}\n"
             "{\"tool\":\"Read\",\"duration_ms\":-4}\n"
             "%s"
             "{\"tool\":\"Read\",\"truncated",
             line_a, line_b);
    write_text(path, text);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 2);
    ASSERT_EQ_INT(bad, 5);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    ASSERT_EQ_INT(count_draining(dir), 0);
    /* An empty drain is fine and counts nothing. */
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted + r.merged + r.unchanged, 0);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

static void test_orphans_dead_and_alive(void)
{
    char *dir = make_tmpdir(), dead[600], live[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(dead, sizeof dead, "%s/spool.99999.draining", dir);
    snprintf(live, sizeof live, "%s/spool.88888.draining", dir);
    write_text(dead, line_a);
    write_text(live, line_b);
    /* A live drain holds its file's lock (another open file description
     * conflicts even within one process). */
    int lfd = open(live, O_RDONLY);
    ASSERT_EQ_INT(flock(lfd, LOCK_EX), 0);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    ASSERT_TRUE(access(dead, F_OK) != 0);
    ASSERT_TRUE(access(live, F_OK) == 0);
    close(lfd); /* the "drain" died */
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    ASSERT_EQ_INT(count_draining(dir), 0);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

static void test_busy_store_keeps_spool(void)
{
    char *dir = make_tmpdir(), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    sqlite3 *db;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    write_text(path, line_a);
    /* Another writer holds the database. */
    ASSERT_EQ_INT(sqlite3_open(store_db_path(s), &db), SQLITE_OK);
    ASSERT_EQ_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    store_set_busy_timeout(s, 20);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), TP_EBUSY);
    ASSERT_EQ_INT(count_draining(dir), 1);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    /* Next drain takes the leftover. */
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    ASSERT_EQ_INT(count_draining(dir), 0);
    store_close(s);
    rm_rf(dir);
    free(dir);
}

static void test_append_creates_dir_and_pending(void)
{
    char *dir = make_tmpdir(), sub[600], err[TP_ERR_MAX];
    struct op op;
    ASSERT_TRUE(dir != NULL);
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    ASSERT_EQ_INT(spool_pending(sub), 0);
    make_op(&op, "toolu_1", tpt_now_ms());
    ASSERT_EQ_INT(spool_append(sub, &op, err), 0);
    long long n1 = spool_pending(sub);
    ASSERT_TRUE(n1 > 50);
    ASSERT_EQ_INT(spool_append(sub, &op, err), 0);
    ASSERT_EQ_INT(spool_pending(sub), 2 * n1);
    ASSERT_TRUE(spool_append("/proc/nonexistent", &op, err) == TP_EIO);
    op_clear(&op);
    struct stat st;
    char path[700];
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, sub);
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(st.st_mode & 0777, 0600);
    rm_rf(dir);
    free(dir);
}

/* A line cut short (a full disk) does not swallow the next append. */
static void test_cut_line_ends_at_next_append(void)
{
    char *dir = make_tmpdir(), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    struct op op;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    write_text(path, "{\"tool\":\"Read\",\"tool_use_id\":\"toolu_cut\",\"dur");
    make_op(&op, "toolu_after", tpt_now_ms());
    ASSERT_EQ_INT(spool_append(dir, &op, err), 0);
    op_clear(&op);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    ASSERT_EQ_INT(bad, 1);
    store_close(s);
    ASSERT_EQ_INT(stored_ops(dir), 1);
    rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_concurrent_appenders_and_drainers), TEST_CASE(test_bad_lines_counted),
          TEST_CASE(test_cut_line_ends_at_next_append), TEST_CASE(test_orphans_dead_and_alive),
          TEST_CASE(test_busy_store_keeps_spool), TEST_CASE(test_append_creates_dir_and_pending))
