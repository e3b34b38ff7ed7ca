/*
 * test_spool.c - the spool: concurrent appenders and drainers lose and
 * duplicate nothing; orphans of dead drains are picked up, live ones are
 * not; bad lines are set aside, kept byte for byte; every storage error
 * (busy, disk full, read-only, I/O, a database error) leaves the spool for
 * later, and only a record the store refuses alone is set aside.
 *
 * The file includes spool.c to drain through stand-ins for store_insert
 * that fail the way a full disk or a poisoned record would.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/spool.c"
#include "store/store.h"

#define CHILDREN 16
#define PER_CHILD 1000

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
    char *dir = fixture_tmpdir("spool"), stop[600], err[TP_ERR_MAX];
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
                if (spool_append(dir, &op, NULL, err) != 0)
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
    fixture_rm_rf(dir);
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

/* The whole of dir/name, NUL-terminated (NULL when it cannot be read). */
static char *read_text(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 64 * 1024 * 1024);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    return buf_steal(&b, NULL);
}

static const char *const line_a =
    "{\"tool\":\"Read\",\"target\":\"/a\",\"duration_ms\":5,\"timestamp\":\"2026-01-01T00:00:00Z\","
    "\"tool_use_id\":\"toolu_A\",\"source\":\"hook\"}\n";
static const char *const line_b =
    "{\"tool\":\"Grep\",\"target\":\"x\",\"duration_ms\":7,\"timestamp\":\"2026-01-01T00:00:01Z\","
    "\"tool_use_id\":\"toolu_B\",\"source\":\"hook\"}\n";

static void test_bad_lines_counted(void)
{
    char *dir = fixture_tmpdir("spool"), path[600], err[TP_ERR_MAX];
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
    /* Set aside as they were, the blank line (a separator) left out. */
    char *kept = read_text(dir, SPOOL_REJECTS);
    ASSERT_STREQ(kept, "not json\n[1,2]\n{\"tool\":\"\",\"duration_ms\":1}\n"
                       "{\"tool\":\"Read\",\"duration_ms\":-4}\n{\"tool\":\"Read\",\"truncated\n");
    free(kept);
    ASSERT_CONTAINS(err, "5 malformed spool lines set aside in");
    ASSERT_CONTAINS(err, SPOOL_REJECTS);
    /* An empty drain is fine and counts nothing. */
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted + r.merged + r.unchanged, 0);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_orphans_dead_and_alive(void)
{
    char *dir = fixture_tmpdir("spool"), dead[600], live[600], err[TP_ERR_MAX];
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
    fixture_rm_rf(dir);
    free(dir);
}

static void test_busy_store_keeps_spool(void)
{
    char *dir = fixture_tmpdir("spool"), path[600], err[TP_ERR_MAX];
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
    fixture_rm_rf(dir);
    free(dir);
}

static void test_append_creates_dir_and_pending(void)
{
    char *dir = fixture_tmpdir("spool"), sub[600], err[TP_ERR_MAX];
    struct op op;
    ASSERT_TRUE(dir != NULL);
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    ASSERT_EQ_INT(spool_pending(sub), 0);
    make_op(&op, "toolu_1", tpt_now_ms());
    ASSERT_EQ_INT(spool_append(sub, &op, NULL, err), 0);
    long long n1 = spool_pending(sub);
    ASSERT_TRUE(n1 > 50);
    ASSERT_EQ_INT(spool_append(sub, &op, NULL, err), 0);
    ASSERT_EQ_INT(spool_pending(sub), 2 * n1);
    ASSERT_TRUE(spool_append("/proc/nonexistent", &op, NULL, err) == TP_EIO);
    op_clear(&op);
    struct stat st;
    char path[700];
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, sub);
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(st.st_mode & 0777, 0600);
    fixture_rm_rf(dir);
    free(dir);
}

/* A line cut short (a full disk) does not swallow the next append. */
static void test_cut_line_ends_at_next_append(void)
{
    char *dir = fixture_tmpdir("spool"), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    struct op op;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    write_text(path, "{\"tool\":\"Read\",\"tool_use_id\":\"toolu_cut\",\"dur");
    make_op(&op, "toolu_after", tpt_now_ms());
    ASSERT_EQ_INT(spool_append(dir, &op, NULL, err), 0);
    op_clear(&op);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    ASSERT_EQ_INT(bad, 1);
    store_close(s);
    ASSERT_EQ_INT(stored_ops(dir), 1);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- failures: what is kept, what is set aside ------------------------------ */

/* Stand-ins for store_insert(). */
static int fake_code;       /* what fake_fail returns */
static int fake_calls;      /* inserts attempted */
static size_t fake_fail_at; /* fake_poison: single inserts before a storage error */
static const char *fake_poison_id = "toolu_poison";

static int fake_fail(struct store *s, struct op *ops, size_t n, const struct store_mark *mark,
                     struct store_result *res, char *errbuf)
{
    (void)s, (void)ops, (void)n, (void)mark, (void)res;
    fake_calls++;
    return tp_fail(errbuf, fake_code, "fake: %s", tp_strerror(fake_code));
}

/* The store refuses the op "toolu_poison" as invalid (and any batch that
 * holds it); the others are stored, until fake_fail_at single inserts have
 * been made, after which every insert fails with fake_code. */
static int fake_poison(struct store *s, struct op *ops, size_t n, const struct store_mark *mark,
                       struct store_result *res, char *errbuf)
{
    fake_calls++;
    if (n == 1 && fake_fail_at && (size_t)fake_calls > fake_fail_at)
        return tp_fail(errbuf, fake_code, "fake: %s", tp_strerror(fake_code));
    for (size_t i = 0; i < n; i++)
        if (ops[i].tool_use_id && strcmp(ops[i].tool_use_id, fake_poison_id) == 0)
            return tp_fail(errbuf, TP_EINVAL, "fake: %s is poisoned", fake_poison_id);
    return store_insert(s, ops, n, mark, res, errbuf);
}

/* n good lines (ids toolu_g0000...) and, after good line `at`, the given
 * extra text; returns the spool's text (caller frees). */
static char *spool_text(int n, int at, const char *extra)
{
    struct buf b;
    buf_init(&b, 1 << 24);
    for (int i = 0; i < n; i++) {
        buf_printf(&b,
                   "\n{\"tool\":\"Bash\",\"target\":\"make %d\",\"duration_ms\":%d,"
                   "\"timestamp\":\"2026-01-01T00:%02d:%02dZ\",\"tool_use_id\":\"toolu_g%04d\","
                   "\"source\":\"hook\"}\n",
                   i, i + 1, (i / 60) % 60, i % 60, i);
        if (i == at && extra)
            buf_adds(&b, extra);
    }
    return buf_steal(&b, NULL);
}

/* Every byte of the spool files of dir, concatenated in name order. */
static char *spool_bytes(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cat $(ls spool.jsonl *.draining 2>/dev/null | sort) 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    struct buf b;
    buf_init(&b, 1 << 26);
    char chunk[4096];
    size_t n;
    while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
        buf_add(&b, chunk, n);
    if (p)
        pclose(p);
    return buf_steal(&b, NULL);
}

static void test_classify(void)
{
    static const struct {
        int code;
        enum spool_fault want;
    } t[] = {
        {TP_EBUSY, SPOOL_FAULT_STORAGE},     {TP_ENOSPC, SPOOL_FAULT_STORAGE},
        {TP_EROFS, SPOOL_FAULT_STORAGE},     {TP_EIO, SPOOL_FAULT_STORAGE},
        {TP_EDB, SPOOL_FAULT_STORAGE},       {TP_EAGAIN, SPOOL_FAULT_STORAGE},
        {TP_ENOTFOUND, SPOOL_FAULT_STORAGE}, {TP_EEXIST, SPOOL_FAULT_STORAGE},
        {TP_EINVAL, SPOOL_FAULT_RECORD},     {TP_EPARSE, SPOOL_FAULT_RECORD},
        {TP_ETOOBIG, SPOOL_FAULT_RECORD},    {TP_EUNSUPP, SPOOL_FAULT_RECORD},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (spool_classify(t[i].code) != t[i].want)
            printf("  %s classified as %d, expected %d\n", tp_strerror(t[i].code),
                   (int)spool_classify(t[i].code), (int)t[i].want);
        ASSERT_EQ_INT(spool_classify(t[i].code), t[i].want);
    }
}

/* Each storage error: one attempt (no op-by-op retry, nothing counted as
 * bad), every byte kept, the error remembered; then a drain that works
 * stores everything and sets aside only the line that cannot be read. */
static void test_storage_errors_keep_the_spool(void)
{
    static const int codes[] = {TP_EBUSY, TP_ENOSPC, TP_EROFS, TP_EIO, TP_EDB};
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        char *dir = fixture_tmpdir("t"), path[600], err[TP_ERR_MAX];
        struct store *s;
        struct store_result r;
        struct spool_status st;
        size_t bad = 99;
        ASSERT_TRUE(dir != NULL);
        snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
        char *text = spool_text(1500, 700, "{\"tool\":\"Read\",\"cut sho\n");
        write_text(path, text);
        ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
        fake_code = codes[k];
        fake_calls = 0;
        ASSERT_EQ_INT(spool_drain_with(s, fake_fail, &r, &bad, 0, err), codes[k]);
        ASSERT_EQ_INT(fake_calls, 1);
        ASSERT_EQ_INT(bad, 0);
        ASSERT_EQ_INT(r.inserted + r.merged + r.unchanged, 0);
        ASSERT_CONTAINS(err, "hook spool kept in");
        ASSERT_CONTAINS(err, tp_strerror(codes[k]));
        char *left = spool_bytes(dir);
        ASSERT_STREQ(left, text);
        free(left);
        ASSERT_TRUE(read_text(dir, SPOOL_REJECTS) == NULL);
        spool_status(dir, &st);
        ASSERT_EQ_INT(st.drain_error, codes[k]);
        ASSERT_EQ_INT(st.pending_bytes, (long long)strlen(text));
        ASSERT_EQ_INT(st.waiting_files, 1);
        ASSERT_CONTAINS(st.drain_message, "kept");
        ASSERT_TRUE(st.failing_since_ms > 0);
        int64_t since = st.failing_since_ms;
        /* Failing again keeps the time it started failing. */
        ASSERT_EQ_INT(spool_drain_with(s, fake_fail, &r, &bad, 0, err), codes[k]);
        spool_status(dir, &st);
        ASSERT_EQ_INT(st.failing_since_ms, since);

        ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
        ASSERT_EQ_INT(r.inserted, 1500);
        ASSERT_EQ_INT(bad, 1);
        char *kept = read_text(dir, SPOOL_REJECTS);
        ASSERT_STREQ(kept, "{\"tool\":\"Read\",\"cut sho\n");
        free(kept);
        spool_status(dir, &st);
        ASSERT_EQ_INT(st.drain_error, 0);
        ASSERT_EQ_INT(st.pending_bytes, 0);
        ASSERT_EQ_INT(st.rejected_bytes, strlen("{\"tool\":\"Read\",\"cut sho\n"));
        store_close(s);
        ASSERT_EQ_INT(stored_ops(dir), 1500);
        free(text);
        fixture_rm_rf(dir);
        free(dir);
    }
}

/* A record the store refuses alone, for a reason that is its own, is set
 * aside and the rest of its batch is stored; a storage error met while
 * retrying op by op keeps the file, and sets nothing aside. */
static void test_poisoned_record(void)
{
    char *dir = fixture_tmpdir("t"), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    const char *poison = "{\"tool\":\"Read\",\"target\":\"/p\",\"duration_ms\":3,"
                         "\"timestamp\":\"2026-01-01T01:00:00Z\",\"tool_use_id\":\"toolu_poison\","
                         "\"source\":\"hook\"}";
    char extra[512];
    snprintf(extra, sizeof extra, "\n%s\n", poison);
    char *text = spool_text(20, 4, extra);
    write_text(path, text);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);

    /* A disk that fills while retrying op by op: nothing set aside. */
    fake_code = TP_ENOSPC;
    fake_calls = 0;
    fake_fail_at = 3; /* the batch, then two singles succeed */
    ASSERT_EQ_INT(spool_drain_with(s, fake_poison, &r, &bad, 0, err), TP_ENOSPC);
    ASSERT_EQ_INT(bad, 0);
    ASSERT_EQ_INT(r.inserted, 2);
    ASSERT_TRUE(read_text(dir, SPOOL_REJECTS) == NULL);
    char *left = spool_bytes(dir);
    ASSERT_STREQ(left, text);
    free(left);

    fake_fail_at = 0;
    fake_calls = 0;
    ASSERT_EQ_INT(spool_drain_with(s, fake_poison, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(fake_calls, 1 + 21); /* the batch, then each op alone */
    ASSERT_EQ_INT(bad, 1);
    ASSERT_EQ_INT(r.inserted, 18);
    ASSERT_EQ_INT(r.unchanged, 2);
    char want[600];
    snprintf(want, sizeof want, "%s\n", poison);
    char *kept = read_text(dir, SPOOL_REJECTS);
    ASSERT_STREQ(kept, want);
    free(kept);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    store_close(s);
    ASSERT_EQ_INT(stored_ops(dir), 20);
    free(text);
    fixture_rm_rf(dir);
    free(dir);
}

/* Setting aside that fails (here the file cannot be opened) keeps the
 * spool file, the stored part is stored, and a later drain finishes. An
 * earlier set-aside file is appended to, never replaced. */
static void test_set_aside_failure_keeps_file(void)
{
    char *dir = fixture_tmpdir("t"), path[600], rej[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    snprintf(rej, sizeof rej, "%s/" SPOOL_REJECTS, dir);
    char *text = spool_text(10, 2, "garbage\n");
    write_text(path, text);
    ASSERT_EQ_INT(mkdir(rej, 0700), 0); /* a directory in its place */
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), TP_EIO);
    ASSERT_EQ_INT(bad, 0);
    ASSERT_EQ_INT(r.inserted, 10);
    char *left = spool_bytes(dir);
    ASSERT_STREQ(left, text);
    free(left);
    ASSERT_EQ_INT(rmdir(rej), 0);
    write_text(rej, "older\n");
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(bad, 1);
    ASSERT_EQ_INT(r.unchanged, 10);
    char *kept = read_text(dir, SPOOL_REJECTS);
    ASSERT_STREQ(kept, "older\ngarbage\n");
    free(kept);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    store_close(s);
    free(text);
    fixture_rm_rf(dir);
    free(dir);
}

/* Drains that keep failing stop renaming spool.jsonl once
 * SPOOL_MAX_WAITING files wait; the first drain that works takes all. */
static void test_waiting_files_capped(void)
{
    char *dir = fixture_tmpdir("t"), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    struct op op;
    int64_t now = tpt_now_ms();
    ASSERT_TRUE(dir != NULL);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    fake_code = TP_ENOSPC;
    for (int i = 0; i < SPOOL_MAX_WAITING + 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "toolu_w%03d", i);
        make_op(&op, id, now);
        ASSERT_EQ_INT(spool_append(dir, &op, NULL, err), 0);
        op_clear(&op);
        ASSERT_EQ_INT(spool_drain_with(s, fake_fail, &r, &bad, 0, err), TP_ENOSPC);
        ASSERT_EQ_INT(count_draining(dir), i + 1 < SPOOL_MAX_WAITING ? i + 1 : SPOOL_MAX_WAITING);
    }
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    ASSERT_EQ_INT(access(path, F_OK), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, SPOOL_MAX_WAITING + 5);
    ASSERT_EQ_INT(count_draining(dir), 0);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* A line longer than any op can be is set aside whole, without holding it
 * in memory; the lines around it are stored. */
static void test_over_long_line(void)
{
    char *dir = fixture_tmpdir("t"), path[600], err[TP_ERR_MAX];
    struct store *s;
    struct store_result r;
    size_t bad;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    size_t big = 3 * (size_t)SPOOL_LINE_MAX + 17;
    char *huge = xmalloc(big + 2);
    for (size_t i = 0; i < big; i++)
        huge[i] = (char)('a' + i % 26);
    huge[big] = '\n';
    huge[big + 1] = '\0';
    char *text = spool_text(3, 1, huge);
    write_text(path, text);
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(spool_drain(s, &r, &bad, 0, err), 0);
    ASSERT_EQ_INT(r.inserted, 3);
    ASSERT_EQ_INT(bad, 1);
    char *kept = read_text(dir, SPOOL_REJECTS);
    ASSERT_STREQ(kept, huge);
    free(kept);
    store_close(s);
    free(huge);
    free(text);
    fixture_rm_rf(dir);
    free(dir);
}

/* Exactly one append crosses each multiple of SPOOL_DRAIN_BYTES. */
static void test_drain_due(void)
{
    char *dir = fixture_tmpdir("t"), err[TP_ERR_MAX];
    struct op op;
    int due = 0, firsts = 0;
    long long at = 0;
    ASSERT_TRUE(dir != NULL);
    make_op(&op, "toolu_due", tpt_now_ms());
    while (spool_pending(dir) < 3LL * SPOOL_DRAIN_BYTES) {
        int d = -1;
        ASSERT_EQ_INT(spool_append(dir, &op, &d, err), 0);
        ASSERT_TRUE(d == 0 || d == 1);
        if (d) {
            due++;
            long long now = spool_pending(dir);
            if (!at)
                at = now;
            firsts += now > (long long)due * SPOOL_DRAIN_BYTES;
        }
    }
    op_clear(&op);
    /* Crossed 1, 2 and 3 times SPOOL_DRAIN_BYTES (the loop ends past 3). */
    ASSERT_EQ_INT(due, 3);
    ASSERT_EQ_INT(firsts, 3);
    ASSERT_TRUE(at > SPOOL_DRAIN_BYTES && at < SPOOL_DRAIN_BYTES + 2048);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_concurrent_appenders_and_drainers), TEST_CASE(test_bad_lines_counted),
          TEST_CASE(test_cut_line_ends_at_next_append), TEST_CASE(test_orphans_dead_and_alive),
          TEST_CASE(test_busy_store_keeps_spool), TEST_CASE(test_append_creates_dir_and_pending),
          TEST_CASE(test_classify), TEST_CASE(test_storage_errors_keep_the_spool),
          TEST_CASE(test_poisoned_record), TEST_CASE(test_set_aside_failure_keeps_file),
          TEST_CASE(test_waiting_files_capped), TEST_CASE(test_over_long_line),
          TEST_CASE(test_drain_due))
