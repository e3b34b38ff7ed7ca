/*
 * test_filemark.c - the import mark contract (store.h) and its one
 * decision, filemark_decide(), over every case a file can be in: new,
 * unchanged, grown, truncated, rewritten in place with the same size,
 * longer or shorter content, a mark written in the middle, another inode,
 * a touch, a tail still waiting, marks from before fingerprints, and
 * damaged marks. Then the importers that keep the contract: a transcript
 * overwritten in place with other, longer content (issue 17, item 2) is
 * read again from its start, and each format resumes from a mid-file
 * mark without reading what it had stored again.
 *
 * Files are written in a temporary folder; cp-like rewrites open the
 * existing file with O_TRUNC, which keeps its inode.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "harness.h"
#include "ingest/filemark.h"
#include "ingest/hook.h"
#include "ingest/importer.h"
#include "ingest/seedfile.h"
#include "store/store.h"

/* ---- helpers ---------------------------------------------------------- */

static char tmp_root[256];

static void cleanup(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_root);
}

static char *tpath(const char *rel)
{
    if (!tmp_root[0]) {
        snprintf(tmp_root, sizeof tmp_root, "/tmp/tp_filemark_XXXXXX");
        if (!mkdtemp(tmp_root))
            abort();
        atexit(cleanup);
    }
    size_t n = strlen(tmp_root) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", tmp_root, rel);
    return p;
}

/* Write data to path: "w" truncates in place (the inode stays, as with
 * cp over an existing file), "a" appends. */
static int put(const char *path, const char *data, size_t n, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int puts_(const char *path, const char *s, const char *mode)
{
    return put(path, s, strlen(s), mode);
}

/* Set a file's mtime: seconds in the past, and a nanosecond part (so
 * that two rewrites within one clock tick still differ). */
static void set_mtime(const char *path, long ago_s, long nsec)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= ago_s;
    ts[0].tv_nsec = nsec;
    ts[1] = ts[0];
    utimensat(AT_FDCWD, path, ts, 0);
}

/* A deterministic text of n bytes, different for each seed, made of
 * lines. */
static char *text(size_t n, unsigned seed)
{
    char *t = malloc(n + 1);
    unsigned x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        t[i] = (i % 80 == 79) ? '\n' : (char)('a' + (x >> 16) % 26);
    }
    t[n] = '\0';
    return t;
}

/* The mark an import that read path up to offset (resumable at resume)
 * would have written, and the decision for the file as it is now. */
static struct store_mark mark_now(const char *path, int64_t resume, int64_t offset)
{
    struct store_mark m;
    struct stat st;
    int fd = open(path, O_RDONLY);
    fstat(fd, &st);
    filemark_set(&m, path, fd, &st, resume, offset);
    close(fd);
    return m;
}

static struct filemark_plan decide_at(const struct store_mark *m, const char *path, int64_t now)
{
    struct filemark_plan p = {.action = -1, .why = "?"};
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0 || filemark_decide(m, fd, &st, now, &p) != 0)
        p.why = "error";
    if (fd >= 0)
        close(fd);
    return p;
}

static struct filemark_plan decide(const struct store_mark *m, const char *path)
{
    return decide_at(m, path, tpt_now_ms());
}

#define ASSERT_PLAN(p, act, st, reason)                                                            \
    do {                                                                                           \
        struct filemark_plan p_ = (p);                                                             \
        ASSERT_STREQ(p_.why, reason);                                                              \
        ASSERT_EQ_INT(p_.action, act);                                                             \
        ASSERT_EQ_INT(p_.start, st);                                                               \
    } while (0)

/* ---- the decision ----------------------------------------------------- */

static void test_new_and_unchanged(void)
{
    char *f = tpath("a.txt"), *t = text(10000, 1);
    ASSERT_EQ_INT(put(f, t, 10000, "w"), 0);
    ASSERT_PLAN(decide(NULL, f), FILEMARK_RESTART, 0, "new");
    struct store_mark m = mark_now(f, 10000, 10000);
    ASSERT_EQ_INT(m.offset, 10000);
    ASSERT_EQ_INT(m.size, 10000);
    ASSERT_EQ_INT(m.fp_len, FILEMARK_FP_BYTES);
    ASSERT_PLAN(decide(&m, f), FILEMARK_UNCHANGED, 10000, "unchanged");
    /* A small file: the window is the whole content. */
    ASSERT_EQ_INT(put(f, "{}\n", 3, "w"), 0);
    m = mark_now(f, 3, 3);
    ASSERT_EQ_INT(m.fp_len, 3);
    ASSERT_PLAN(decide(&m, f), FILEMARK_UNCHANGED, 3, "unchanged");
    /* An empty file read to its end. */
    ASSERT_EQ_INT(put(f, "", 0, "w"), 0);
    m = mark_now(f, 0, 0);
    ASSERT_EQ_INT(m.fp_len, 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_UNCHANGED, 0, "unchanged");
    free(t);
    free(f);
}

static void test_grown_resumes_at_the_mark(void)
{
    char *f = tpath("grow.txt"), *t = text(20000, 2);
    ASSERT_EQ_INT(put(f, t, 12000, "w"), 0);
    struct store_mark m = mark_now(f, 12000, 12000);
    set_mtime(f, 10, 1);
    ASSERT_EQ_INT(put(f, t + 12000, 8000, "a"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 12000, "grown");
    /* A resume point before the offset (a call waiting for its result)
     * is where the read starts. */
    ASSERT_EQ_INT(put(f, t, 12000, "w"), 0);
    m = mark_now(f, 11000, 12000);
    ASSERT_EQ_INT(put(f, t + 12000, 100, "a"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 11000, "grown");
    free(t);
    free(f);
}

static void test_truncated_and_shorter(void)
{
    char *f = tpath("trunc.txt"), *t = text(20000, 3), *u = text(20000, 4);
    ASSERT_EQ_INT(put(f, t, 20000, "w"), 0);
    struct store_mark m = mark_now(f, 20000, 20000);
    ASSERT_EQ_INT(truncate(f, 15000), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "shrunk");
    /* Rewritten with shorter, other content. */
    ASSERT_EQ_INT(put(f, u, 5000, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "shrunk");
    /* Emptied. */
    ASSERT_EQ_INT(put(f, "", 0, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "shrunk");
    free(t);
    free(u);
    free(f);
}

static void test_rewritten_in_place(void)
{
    char *f = tpath("rw.txt"), *t = text(30000, 5), *u = text(30000, 6);
    ASSERT_EQ_INT(put(f, t, 30000, "w"), 0);
    set_mtime(f, 100, 5);
    struct stat before;
    stat(f, &before);
    struct store_mark m = mark_now(f, 30000, 30000);

    /* Same size, other content. */
    ASSERT_EQ_INT(put(f, u, 30000, "w"), 0);
    struct stat after;
    stat(f, &after);
    ASSERT_EQ_INT(after.st_ino, before.st_ino);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten");
    /* ... even with its mtime put back. */
    set_mtime(f, 100, 5);
    struct timespec ts[2] = {before.st_mtim, before.st_mtim};
    utimensat(AT_FDCWD, f, ts, 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten");

    /* Longer, other content: the bytes before the old offset differ. */
    ASSERT_EQ_INT(put(f, u, 30000, "w"), 0);
    ASSERT_EQ_INT(put(f, t, 10000, "a"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten");
    /* Longer, the same first and last 4 KB before the offset but another
     * beginning: the head of the fingerprint sees it. */
    char *v = malloc(40000);
    memcpy(v, t, 30000);
    memcpy(v + 30000, u, 10000);
    v[100] = v[100] == 'x' ? 'y' : 'x';
    ASSERT_EQ_INT(put(f, v, 40000, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten");
    /* The same content, appended to (a backup restored, then grown): a
     * resume. */
    v[100] = t[100];
    ASSERT_EQ_INT(put(f, v, 40000, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 30000, "grown");

    /* Same size, a change in the middle only (outside both windows): the
     * mtime moved without the size, so it is read again. */
    ASSERT_EQ_INT(put(f, t, 30000, "w"), 0);
    m = mark_now(f, 30000, 30000);
    char *w = malloc(30000);
    memcpy(w, t, 30000);
    w[15000] = w[15000] == 'x' ? 'y' : 'x';
    set_mtime(f, 50, 0);
    ASSERT_EQ_INT(put(f, w, 30000, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten in place");
    free(v);
    free(w);
    free(t);
    free(u);
    free(f);
}

static void test_mid_file_mark(void)
{
    /* An import stopped after its batch that ended at 12,345 (killed,
     * cancelled): the file has not changed, and is resumed there. */
    char *f = tpath("mid.txt"), *t = text(50000, 7);
    ASSERT_EQ_INT(put(f, t, 50000, "w"), 0);
    struct store_mark m = mark_now(f, 12345, 12345);
    ASSERT_EQ_INT(m.size, 50000);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 12345, "interrupted");
    /* Never unchanged, however often it is looked at. */
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 12345, "interrupted");
    /* Grown since: still from the mark. */
    ASSERT_EQ_INT(put(f, "more\n", 5, "a"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESUME, 12345, "grown");
    /* Rewritten with other content since: from the start. */
    char *u = text(50000, 8);
    ASSERT_EQ_INT(put(f, u, 50000, "w"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten");
    free(u);
    free(t);
    free(f);
}

static void test_inode_change(void)
{
    char *f = tpath("ino.txt"), *g = tpath("ino.new"), *t = text(8000, 9);
    ASSERT_EQ_INT(put(f, t, 8000, "w"), 0);
    struct store_mark m = mark_now(f, 8000, 8000);
    /* The same bytes in another file renamed over it. */
    ASSERT_EQ_INT(put(g, t, 8000, "w"), 0);
    ASSERT_EQ_INT(rename(g, f), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "replaced");
    free(t);
    free(f);
    free(g);
}

static void test_mtime_only_change(void)
{
    char *f = tpath("touch.txt"), *t = text(9000, 10);
    ASSERT_EQ_INT(put(f, t, 9000, "w"), 0);
    set_mtime(f, 60, 123);
    struct store_mark m = mark_now(f, 9000, 9000);
    ASSERT_PLAN(decide(&m, f), FILEMARK_UNCHANGED, 9000, "unchanged");
    set_mtime(f, 30, 456);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "rewritten in place");
    free(t);
    free(f);
}

static void test_waiting_tail_and_final(void)
{
    /* Read to the end, with the last record incomplete from 7,000 on. */
    char *f = tpath("tail.txt"), *t = text(9000, 11);
    ASSERT_EQ_INT(put(f, t, 9000, "w"), 0);
    set_mtime(f, 60, 0);
    struct store_mark m = mark_now(f, 7000, 9000);
    struct filemark_plan p = decide(&m, f);
    ASSERT_PLAN(p, FILEMARK_UNCHANGED, 7000, "waiting");
    ASSERT_EQ_INT(p.final, 0);
    /* Idle past FILEMARK_FINAL_AFTER_MS: read once more, as final. */
    int64_t later = tpt_now_ms() + FILEMARK_FINAL_AFTER_MS;
    p = decide_at(&m, f, later);
    ASSERT_PLAN(p, FILEMARK_RESUME, 7000, "final");
    ASSERT_EQ_INT(p.final, 1);
    /* That read consumed the tail: unchanged for good. */
    m = mark_now(f, 9000, 9000);
    ASSERT_PLAN(decide_at(&m, f, later), FILEMARK_UNCHANGED, 9000, "unchanged");
    free(t);
    free(f);
}

static void test_marks_without_fingerprint(void)
{
    /* Marks from before schema 6. */
    char *f = tpath("legacy.txt"), *t = text(9000, 12);
    ASSERT_EQ_INT(put(f, t, 9000, "w"), 0);
    struct store_mark m = mark_now(f, 9000, 9000);
    m.fp_len = -1;
    ASSERT_PLAN(decide(&m, f), FILEMARK_UNCHANGED, 9000, "unchanged");
    /* The JSONL fault of issue 16: a mid-file offset with the file's full
     * size. Read again from the start, which recovers what it lost. */
    m.offset = m.resume = 4000;
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "no fingerprint");
    /* A daily file's mark counted operations, not bytes. */
    m.offset = m.resume = 7;
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "no fingerprint");
    /* Grown since: no way to tell the old bytes are the same. */
    m = mark_now(f, 9000, 9000);
    m.fp_len = -1;
    ASSERT_EQ_INT(put(f, "x\n", 2, "a"), 0);
    ASSERT_PLAN(decide(&m, f), FILEMARK_RESTART, 0, "no fingerprint");
    free(t);
    free(f);
}

static void test_damaged_marks(void)
{
    char *f = tpath("bad.txt"), *t = text(9000, 13);
    ASSERT_EQ_INT(put(f, t, 9000, "w"), 0);
    struct store_mark m = mark_now(f, 9000, 9000);
    struct store_mark bad = m;
    bad.resume = 9001;
    ASSERT_PLAN(decide(&bad, f), FILEMARK_RESTART, 0, "invalid mark");
    bad = m;
    bad.offset = -5;
    ASSERT_PLAN(decide(&bad, f), FILEMARK_RESTART, 0, "invalid mark");
    bad = m;
    bad.fp_len = 17;
    ASSERT_PLAN(decide(&bad, f), FILEMARK_RESTART, 0, "invalid mark");
    bad = m;
    bad.fp_hash ^= 1;
    ASSERT_PLAN(decide(&bad, f), FILEMARK_RESTART, 0, "rewritten");
    /* A mark made while the file was shorter than its offset (it shrank
     * under the read) vouches for nothing. */
    struct stat st;
    int fd = open(f, O_RDONLY);
    fstat(fd, &st);
    ASSERT_EQ_INT(truncate(f, 100), 0);
    filemark_set(&bad, f, fd, &st, 9000, 9000);
    close(fd);
    ASSERT_EQ_INT(bad.fp_len, -1);
    ASSERT_EQ_INT(put(f, t, 9000, "w"), 0);
    ASSERT_EQ_INT(decide(&bad, f).action, FILEMARK_RESTART);
    free(t);
    free(f);
}

static void test_marks_through_the_store(void)
{
    /* The mark as stored and read back decides the same. */
    char *dir = tpath("store1"), *f = tpath("st.txt"), *t = text(10000, 14);
    char eb[TP_ERR_MAX];
    struct store *s;
    ASSERT_EQ_INT(store_open(dir, 0, &s, eb), 0);
    ASSERT_EQ_INT(put(f, t, 10000, "w"), 0);
    struct store_mark m = mark_now(f, 9500, 10000);
    ASSERT_EQ_INT(store_insert(s, NULL, 0, &m, NULL, eb), 0);
    int fd = open(f, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    struct filemark_plan p;
    ASSERT_EQ_INT(filemark_check(s, f, fd, &st, tpt_now_ms(), 0, &p, eb), 0);
    ASSERT_PLAN(p, FILEMARK_UNCHANGED, 9500, "waiting");
    ASSERT_EQ_INT(filemark_check(s, f, fd, &st, tpt_now_ms(), 1, &p, eb), 0);
    ASSERT_PLAN(p, FILEMARK_RESTART, 0, "full");
    close(fd);
    ASSERT_EQ_INT(put(f, t, 100, "a"), 0);
    fd = open(f, O_RDONLY);
    fstat(fd, &st);
    ASSERT_EQ_INT(filemark_check(s, f, fd, &st, tpt_now_ms(), 0, &p, eb), 0);
    ASSERT_PLAN(p, FILEMARK_RESUME, 9500, "grown");
    close(fd);
    store_close(s);
    free(t);
    free(f);
    free(dir);
}

/* ---- importers -------------------------------------------------------- */

/* A Claude Code transcript with n Read calls whose ids carry tag. */
static char *transcript(int n, const char *tag, int64_t t0_ms)
{
    size_t cap = (size_t)n * 700 + 1, len = 0;
    char *b = malloc(cap);
    for (int i = 0; i < n; i++) {
        char ts[32], ts2[32], id[40];
        tpt_format_utc(t0_ms + i * 2000LL, ts);
        tpt_format_utc(t0_ms + i * 2000LL + 40 + i, ts2);
        snprintf(id, sizeof id, "toolu_01%.8s%014d", tag, i);
        len += (size_t)snprintf(
            b + len, cap - len,
            "{\"parentUuid\":null,\"isSidechain\":false,\"type\":\"assistant\",\"uuid\":\"a%d\","
            "\"timestamp\":\"%s\",\"sessionId\":\"s-%s\",\"cwd\":\"/p\",\"message\":{\"role\":"
            "\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"%s\",\"name\":\"Read\","
            "\"input\":{\"file_path\":\"/p/%s/f%d\"}}]}}\n"
            "{\"type\":\"user\",\"uuid\":\"u%d\",\"timestamp\":\"%s\",\"sessionId\":\"s-%s\","
            "\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
            "\"tool_use_id\":\"%s\",\"content\":\"ok\",\"is_error\":false}]}}\n",
            i, ts, tag, id, tag, i, i, ts2, tag, id);
    }
    return b;
}

static struct store *open_store(const char *name)
{
    char *dir = tpath(name);
    struct store *s = NULL;
    char eb[TP_ERR_MAX];
    if (store_open(dir, 0, &s, eb) != 0)
        fprintf(stderr, "  store_open: %s\n", eb);
    free(dir);
    return s;
}

static int64_t stored(struct store *s)
{
    struct store_info info;
    return store_info(s, &info) == 0 ? info.operations : -1;
}

static int import1(struct store *s, const char *path, struct importer_stats *st, char **report)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    size_t rlen = 0;
    importer_opts_init(&o);
    o.progress = IMPORTER_PROGRESS_OFF;
    o.report = open_memstream(report, &rlen);
    memset(st, 0, sizeof *st);
    const char *paths[] = {path};
    int rc = importer_run(s, paths, 1, &o, st, eb);
    fclose(o.report);
    if (rc != 0)
        fprintf(stderr, "  importer_run: %s\n", eb);
    return rc;
}

static void test_transcript_overwritten_with_longer_content(void)
{
    /* Issue 17, item 2: 30 calls, imported; 58 other calls copied over
     * the file (cp keeps the inode); imported again: 88, nothing
     * malformed. */
    char *f = tpath("s.jsonl"), *rep = NULL;
    char *a = transcript(30, "aaaaaaaa", 1790000000000LL);
    char *b = transcript(58, "bbbbbbbb", 1790000500000LL);
    struct store *s = open_store("tr1");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(puts_(f, a, "w"), 0);
    struct stat st1, st2;
    stat(f, &st1);
    ASSERT_EQ_INT(import1(s, f, &st, &rep), 0);
    ASSERT_EQ_INT(st.res.inserted, 30);
    free(rep);
    ASSERT_EQ_INT(puts_(f, b, "w"), 0);
    stat(f, &st2);
    ASSERT_EQ_INT(st2.st_ino, st1.st_ino);
    ASSERT_TRUE(st2.st_size > st1.st_size);
    ASSERT_EQ_INT(import1(s, f, &st, &rep), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.ops, 58);
    ASSERT_EQ_INT(st.res.inserted, 58);
    ASSERT_EQ_INT(st.res.merged + st.res.unchanged, 0);
    ASSERT_STREQ(rep, "");
    free(rep);
    ASSERT_EQ_INT(stored(s), 88);
    /* Unchanged now. */
    ASSERT_EQ_INT(import1(s, f, &st, &rep), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.bytes, 0);
    free(rep);

    /* A backup restored over it: the first transcript, grown by more
     * calls of its own. Everything is read again; the 30 known calls are
     * counted as already stored, not as new. */
    char *c = transcript(45, "aaaaaaaa", 1790000000000LL);
    ASSERT_EQ_INT(puts_(f, c, "w"), 0);
    ASSERT_EQ_INT(import1(s, f, &st, &rep), 0);
    ASSERT_EQ_INT(st.ops, 45);
    ASSERT_EQ_INT(st.res.inserted, 15);
    ASSERT_EQ_INT(st.res.unchanged, 30);
    ASSERT_EQ_INT(st.malformed, 0);
    free(rep);
    ASSERT_EQ_INT(stored(s), 103);
    /* Rewritten shorter. */
    ASSERT_EQ_INT(puts_(f, a, "w"), 0);
    ASSERT_EQ_INT(import1(s, f, &st, &rep), 0);
    ASSERT_EQ_INT(st.ops, 30);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.unchanged, 30);
    free(rep);
    ASSERT_EQ_INT(stored(s), 103);
    store_close(s);
    free(a);
    free(b);
    free(c);
    free(f);
}

static void test_transcript_watcher_rewrite(void)
{
    /* The same through importer_file(), the watcher's entry point. */
    char *f = tpath("w.jsonl");
    char *a = transcript(30, "cccccccc", 1790001000000LL);
    char *b = transcript(58, "dddddddd", 1790001500000LL);
    struct store *s = open_store("tr2");
    ASSERT_TRUE(s);
    struct importer_opts o;
    struct importer_stats st = {0};
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    ASSERT_EQ_INT(puts_(f, a, "w"), 0);
    ASSERT_EQ_INT(importer_file(s, f, &o, &st, eb), 0);
    ASSERT_EQ_INT(puts_(f, b, "w"), 0);
    ASSERT_EQ_INT(importer_file(s, f, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.res.inserted, 88);
    ASSERT_EQ_INT(stored(s), 88);
    store_close(s);
    free(a);
    free(b);
    free(f);
}

/* Store only the mark an import stopped at `at` would have left (its
 * batches before that are not stored here, so that what a resumed import
 * reads is visible in its counts). */
static int fake_stop(struct store *s, const char *path, int64_t at)
{
    char eb[TP_ERR_MAX];
    struct store_mark m = mark_now(path, at, at);
    return store_insert(s, NULL, 0, &m, NULL, eb);
}

static void test_jsonl_export_resumes(void)
{
    char *f = tpath("ops.jsonl"), eb[TP_ERR_MAX];
    char *real = NULL;
    const char *l1 = "{\"tool\":\"Read\",\"target\":\"/1\",\"duration_ms\":1,\"tool_use_id\":"
                     "\"toolu_01AAAAAAAAAAAAAAAAAAAAA1\",\"timestamp_ms\":1790000000000}\n";
    const char *l2 = "{\"tool\":\"Read\",\"target\":\"/2\",\"duration_ms\":2,\"tool_use_id\":"
                     "\"toolu_01AAAAAAAAAAAAAAAAAAAAA2\",\"timestamp_ms\":1790000001000}\n";
    const char *l3 = "{\"tool\":\"Read\",\"target\":\"/3\",\"duration_ms\":3,\"tool_use_id\":"
                     "\"toolu_01AAAAAAAAAAAAAAAAAAAAA3\",\"timestamp_ms\":1790000002000}";
    ASSERT_EQ_INT(puts_(f, l1, "w"), 0);
    ASSERT_EQ_INT(puts_(f, l2, "a"), 0);
    ASSERT_EQ_INT(puts_(f, l3, "a"), 0);
    real = realpath(f, NULL);
    struct store *s = open_store("js1");
    ASSERT_TRUE(s);
    ASSERT_EQ_INT(fake_stop(s, real, (int64_t)strlen(l1)), 0);
    struct seedfile_stats st = {0};
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_JSONL, NULL, &st, eb), 0);
    /* Lines 2 and 3 (the last, without its newline, is a whole object). */
    ASSERT_EQ_INT(st.ops, 2);
    ASSERT_EQ_INT(st.res.inserted, 2);
    ASSERT_EQ_INT(stored(s), 2);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_JSONL, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 0);
    /* Regenerated in place with other content (a new export over the old
     * one): read whole again. */
    ASSERT_EQ_INT(puts_(f, l3, "w"), 0);
    ASSERT_EQ_INT(puts_(f, "\n", "a"), 0);
    ASSERT_EQ_INT(puts_(f, l2, "a"), 0);
    ASSERT_EQ_INT(puts_(f, l1, "a"), 0);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_JSONL, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 3);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(st.res.unchanged, 2);
    ASSERT_EQ_INT(stored(s), 3);
    store_close(s);
    free(real);
    free(f);
}

static void test_daily_file_resumes(void)
{
    char *f = tpath("operations_2026-11-20.json"), eb[TP_ERR_MAX];
    const char *head = "{\"date\": \"2026-11-20\", \"operations\": [\n  {\"timestamp\": "
                       "\"2026-11-20T10:00:00\", \"tool\": \"Read\", \"target\": \"/a\", "
                       "\"duration_ms\": 5}";
    const char *rest = ",\n  {\"timestamp\": \"2026-11-20T10:00:01\", \"tool\": \"Read\", "
                       "\"target\": \"/b]}\\\"\", \"duration_ms\": 6},\n  {\"timestamp\": "
                       "\"2026-11-20T10:00:02\", \"tool\": \"Grep\", \"target\": \"c\", "
                       "\"duration_ms\": 7, \"metadata\": {\"x\": [1, {\"y\": \"]\"}]}}\n], "
                       "\"total\": 3}\n";
    ASSERT_EQ_INT(puts_(f, head, "w"), 0);
    ASSERT_EQ_INT(puts_(f, rest, "a"), 0);
    char *real = realpath(f, NULL);
    struct store *s = open_store("daily1");
    ASSERT_TRUE(s);
    /* Stopped after the first operation, which ends where head ends. */
    ASSERT_EQ_INT(fake_stop(s, real, (int64_t)strlen(head)), 0);
    struct seedfile_stats st = {0};
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_SEED, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 2);
    ASSERT_EQ_INT(st.rejected, 0);
    ASSERT_EQ_INT(st.res.inserted, 2);
    /* The whole file, for comparison: the first operation is the new one,
     * the other two keep the ids they got (counted by position). */
    memset(&st, 0, sizeof st);
    struct store *t = open_store("daily2");
    ASSERT_TRUE(t);
    ASSERT_EQ_INT(seedfile_import(t, real, SEEDFILE_SEED, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 3);
    store_close(t);
    /* Done: unchanged; touched: read again, nothing new. */
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_SEED, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 0);
    set_mtime(real, 5, 0);
    ASSERT_EQ_INT(seedfile_import(s, real, SEEDFILE_SEED, NULL, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 3);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(st.res.unchanged, 2);
    ASSERT_EQ_INT(stored(s), 3);
    store_close(s);
    free(real);
    free(f);
}

static void test_hook_logs_resume(void)
{
    char *arr = tpath("post_tool_use.json"), *lines = tpath("hooks.jsonl"), eb[TP_ERR_MAX];
    const char *p1 = "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\",\"tool_use_id\":"
                     "\"toolu_01BBBBBBBBBBBBBBBBBBBBB1\",\"tool_input\":{\"file_path\":\"/a\"},"
                     "\"duration_ms\":5,\"timestamp\":\"2026-11-20T10:00:00Z\"}";
    const char *p2 = "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\",\"tool_use_id\":"
                     "\"toolu_01BBBBBBBBBBBBBBBBBBBBB2\",\"tool_input\":{\"command\":\"ls\"},"
                     "\"duration_ms\":6,\"timestamp\":\"2026-11-20T10:00:01Z\"}";
    const char *p3 = "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Grep\","
                     "\"tool_input\":{\"pattern\":\"x\"},\"duration_ms\":7,"
                     "\"timestamp\":\"2026-11-20T10:00:02Z\"}";
    char doc[2048];
    int first_end = snprintf(doc, sizeof doc, "[\n%s", p1);
    snprintf(doc + first_end, sizeof doc - (size_t)first_end, ",\n%s,\n%s\n]\n", p2, p3);
    ASSERT_EQ_INT(puts_(arr, doc, "w"), 0);
    char *real = realpath(arr, NULL);
    struct store *s = open_store("hook1");
    ASSERT_TRUE(s);
    ASSERT_EQ_INT(fake_stop(s, real, first_end), 0);

    /* Through the importer, which resumes from the mark. */
    struct importer_stats st;
    char *rep = NULL;
    ASSERT_EQ_INT(import1(s, real, &st, &rep), 0);
    free(rep);
    ASSERT_EQ_INT(st.files_seed, 1);
    ASSERT_EQ_INT(st.res.inserted, 2);
    ASSERT_EQ_INT(stored(s), 2);
    ASSERT_EQ_INT(import1(s, real, &st, &rep), 0);
    free(rep);
    ASSERT_EQ_INT(st.files_unchanged, 1);

    /* One payload a line: stopped after the first line; the third has no
     * tool_use_id, and keeps the id of its line number. */
    int l1 = (int)strlen(p1) + 1;
    ASSERT_EQ_INT(puts_(lines, p1, "w"), 0);
    ASSERT_EQ_INT(puts_(lines, "\n", "a"), 0);
    ASSERT_EQ_INT(puts_(lines, p2, "a"), 0);
    ASSERT_EQ_INT(puts_(lines, "\n", "a"), 0);
    ASSERT_EQ_INT(puts_(lines, p3, "a"), 0);
    ASSERT_EQ_INT(puts_(lines, "\n{\"hook_event_name\":\"PostTo", "a"), 0);
    char *lreal = realpath(lines, NULL);
    struct store *t = open_store("hook2");
    ASSERT_TRUE(t);
    ASSERT_EQ_INT(fake_stop(t, lreal, l1), 0);
    ASSERT_EQ_INT(import1(t, lreal, &st, &rep), 0);
    /* The half-written last line is left for later, unreported. */
    ASSERT_STREQ(rep, "");
    free(rep);
    ASSERT_EQ_INT(st.res.inserted, 2);
    /* The whole file into the first store: the two shared calls are the
     * same (the derived id of line 3 did not move). */
    struct store_result res;
    ASSERT_EQ_INT(hook_import_log(t, lreal, NULL, &res, eb), 0);
    ASSERT_EQ_INT(res.inserted, 1);
    ASSERT_EQ_INT(res.unchanged, 2);
    ASSERT_EQ_INT(stored(t), 3);
    /* The last line finished: only it is read. */
    ASSERT_EQ_INT(puts_(lines,
                        "olUse\",\"tool_name\":\"Glob\",\"tool_use_id\":"
                        "\"toolu_01BBBBBBBBBBBBBBBBBBBBB4\",\"duration_ms\":8,"
                        "\"timestamp\":\"2026-11-20T10:00:03Z\"}\n",
                        "a"),
                  0);
    ASSERT_EQ_INT(import1(t, lreal, &st, &rep), 0);
    ASSERT_STREQ(rep, "");
    free(rep);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(st.res.unchanged, 0);
    ASSERT_EQ_INT(stored(t), 4);
    store_close(t);
    store_close(s);
    free(lreal);
    free(real);
    free(arr);
    free(lines);
}

TEST_MAIN(TEST_CASE(test_new_and_unchanged), TEST_CASE(test_grown_resumes_at_the_mark),
          TEST_CASE(test_truncated_and_shorter), TEST_CASE(test_rewritten_in_place),
          TEST_CASE(test_mid_file_mark), TEST_CASE(test_inode_change),
          TEST_CASE(test_mtime_only_change), TEST_CASE(test_waiting_tail_and_final),
          TEST_CASE(test_marks_without_fingerprint), TEST_CASE(test_damaged_marks),
          TEST_CASE(test_marks_through_the_store),
          TEST_CASE(test_transcript_overwritten_with_longer_content),
          TEST_CASE(test_transcript_watcher_rewrite), TEST_CASE(test_jsonl_export_resumes),
          TEST_CASE(test_daily_file_resumes), TEST_CASE(test_hook_logs_resume))
