/*
 * test_importer.c - transcript import into a real store in a temporary
 * data directory: discovery, idempotence, incremental reads of grown,
 * replaced and idle files, malformed-line reports, default roots.
 *
 * Expected numbers come from the fixtures (see test_transcript.c for how
 * they were worked out); the split points below were found with a small
 * script that pairs tool_use and tool_result ids line by line: after line
 * 1130 of the 2.1.39 session, 115 calls have finished and one (a Bash) is
 * still running, from the line at byte 2734422.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "harness.h"
#include "ingest/importer.h"
#include "ingest/watch.h"
#include "store/store.h"

#define FIX "../shared/fixtures/"
#define SESSION "4d5611e5-241a-462a-8d15-5122611a9569"
#define MAROT_MAIN FIX "marot-spotter__transcript__" SESSION ".jsonl"
#define MAROT_AGENT FIX "marot-spotter__transcript__" SESSION "__subagents__agent-a2898e3.jsonl"
#define MAROT_COMPACT                                                                              \
    FIX "marot-spotter__transcript__" SESSION "__subagents__agent-acompact-e1f845.jsonl"
#define MAROT_SHORT FIX "marot-spotter__transcript__short.jsonl"
#define MAROT_TOOL_HEAVY FIX "marot-spotter__transcript__tool_heavy.jsonl"
#define MAROT_SUBAGENT FIX "marot-spotter__transcript__subagent.jsonl"
#define KIMUSON_OLD                                                                                \
    FIX "d-kimuson-claude-code-viewer__transcript__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"
#define KIMUSON_MID                                                                                \
    FIX "d-kimuson-claude-code-viewer__transcript__5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl"
#define MAROT_MAIN_BYTES 3158801

/* ---- helpers ---------------------------------------------------------- */

static char tmp_root[256];

static void cleanup(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_root);
}

/* One temporary folder per run, removed at exit. */
static const char *tmp_dir(void)
{
    if (!tmp_root[0]) {
        snprintf(tmp_root, sizeof tmp_root, "/tmp/tp_importer_XXXXXX");
        if (!mkdtemp(tmp_root))
            abort();
        atexit(cleanup);
    }
    return tmp_root;
}

static char *tpath(const char *rel)
{
    size_t n = strlen(tmp_dir()) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", tmp_dir(), rel);
    return p;
}

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)sz + 1);
    *n = fread(d, 1, (size_t)sz, f);
    fclose(f);
    return d;
}

static int write_bytes(const char *path, const char *data, size_t n, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static int copy_file(const char *from, const char *to)
{
    size_t n;
    char *d = slurp(from, &n);
    if (!d)
        return -1;
    int rc = write_bytes(to, d, n, "wb");
    free(d);
    return rc;
}

/* Byte offset just after line n (1-based) of data. */
static size_t after_line(const char *d, size_t len, int n)
{
    size_t off = 0;
    for (int i = 0; i < n && off < len; i++) {
        const char *nl = memchr(d + off, '\n', len - off);
        off = nl ? (size_t)(nl - d) + 1 : len;
    }
    return off;
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
    if (store_info(s, &info) != 0)
        return -1;
    return info.operations;
}

static void quiet_opts(struct importer_opts *o)
{
    importer_opts_init(o);
    o->report = NULL;
    o->progress = IMPORTER_PROGRESS_OFF;
}

static int import1(struct store *s, const char *path, struct importer_stats *st)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    quiet_opts(&o);
    memset(st, 0, sizeof *st);
    const char *paths[] = {path};
    int rc = importer_run(s, paths, 1, &o, st, eb);
    if (rc != 0)
        fprintf(stderr, "  importer_run: %s\n", eb);
    return rc;
}

/* Set a file's mtime to `ago_s` seconds in the past. */
static void age(const char *path, long ago_s)
{
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= ago_s;
    tv[1] = tv[0];
    utimes(path, tv);
}

/* ---- tests ------------------------------------------------------------ */

static void test_folder_import_and_reimport(void)
{
    /* A projects folder as Claude Code lays it out, with the sub-agent
     * files under <session>/subagents/, plus files that must be left
     * alone (journal.jsonl, a .meta.json sidecar). */
    char *proj = tpath("claude/projects/-home-marco-projects-spotter");
    char *sub = tpath("claude/projects/-home-marco-projects-spotter/" SESSION "/subagents");
    char *other = tpath("claude/projects/-sample-project");
    mkdirs(sub);
    mkdirs(other);
    struct {
        const char *from, *dir, *name;
    } files[] = {
        {MAROT_MAIN, proj, SESSION ".jsonl"},
        {MAROT_AGENT, sub, "agent-a2898e3.jsonl"},
        {MAROT_COMPACT, sub, "agent-acompact-e1f845.jsonl"},
        {MAROT_AGENT, sub, "journal.jsonl"},
        {MAROT_SHORT, proj, "short.jsonl"},
        {MAROT_TOOL_HEAVY, proj, "tool_heavy.jsonl"},
        {MAROT_SUBAGENT, proj, "subagent.jsonl"},
        {KIMUSON_OLD, other, "fe5e1c67.jsonl"},
        {KIMUSON_MID, other, "5c0375b4.jsonl"},
    };
    char buf[1024];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(buf, sizeof buf, "%s/%s", files[i].dir, files[i].name);
        ASSERT_EQ_INT(copy_file(files[i].from, buf), 0);
    }
    snprintf(buf, sizeof buf, "%s/agent-a2898e3.meta.json", sub);
    ASSERT_EQ_INT(write_bytes(buf, "{\"agentType\":\"Explore\"}", 23, "wb"), 0);

    struct store *s = open_store("data1");
    ASSERT_TRUE(s);
    struct importer_stats st;
    char *root = tpath("claude/projects");
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    /* 150 + 33 + 0 + 2 + 6 + 16 + 167 + 21 calls, each once. */
    ASSERT_EQ_INT(st.files_seen, 8);
    ASSERT_EQ_INT(st.files_read, 8);
    ASSERT_EQ_INT(st.ops, 395);
    ASSERT_EQ_INT(st.res.inserted, 395);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.rejected, 0);
    ASSERT_EQ_INT(stored(s), 395);

    /* Again: nothing opened, nothing read, nothing added. */
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 8);
    ASSERT_EQ_INT(st.files_read, 0);
    ASSERT_EQ_INT(st.bytes, 0);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(stored(s), 395);

    /* Forced full re-read: every call arrives again, none is added. */
    struct importer_opts o;
    quiet_opts(&o);
    o.full = 1;
    memset(&st, 0, sizeof st);
    const char *paths[] = {root};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 395);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged + st.res.unchanged, 395);
    ASSERT_EQ_INT(stored(s), 395);
    store_close(s);
    free(proj);
    free(sub);
    free(other);
    free(root);
}

static void test_grown_file_adds_exactly_the_new_calls(void)
{
    size_t len;
    char *d = slurp(MAROT_MAIN, &len);
    ASSERT_TRUE(d);
    ASSERT_EQ_INT(len, MAROT_MAIN_BYTES);
    size_t cut = after_line(d, len, 1130);
    ASSERT_EQ_INT(cut, 2737411);
    char *path = tpath("grow.jsonl");
    ASSERT_EQ_INT(write_bytes(path, d, cut, "wb"), 0);

    struct store *s = open_store("data2");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 115);
    ASSERT_EQ_INT(st.bytes, cut);

    /* Unchanged, with a call still running at its end: not read again. */
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.bytes, 0);

    /* The session goes on: the import resumes at the running call's line
     * and adds exactly the 35 calls that were not stored. */
    ASSERT_EQ_INT(write_bytes(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.bytes, MAROT_MAIN_BYTES - 2734422);
    ASSERT_EQ_INT(st.res.inserted, 35);
    ASSERT_EQ_INT(stored(s), 150);
    store_close(s);

    /* The same as a one-shot import. */
    s = open_store("data2b");
    ASSERT_TRUE(s);
    ASSERT_EQ_INT(import1(s, MAROT_MAIN, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 150);
    store_close(s);
    free(path);
    free(d);
}

static void test_split_inside_a_line(void)
{
    /* A line caught half-written is left for the next import. */
    size_t len;
    char *d = slurp(MAROT_MAIN, &len);
    ASSERT_TRUE(d);
    char *path = tpath("half.jsonl");
    size_t cut = 2000000; /* inside line 712; 62 calls have finished before it */
    ASSERT_EQ_INT(write_bytes(path, d, cut, "wb"), 0);
    struct store *s = open_store("data3");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    size_t first = st.res.inserted;
    ASSERT_EQ_INT(first, 62);
    ASSERT_EQ_INT(write_bytes(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(first + st.res.inserted, 150);
    ASSERT_EQ_INT(stored(s), 150);
    store_close(s);
    free(path);
    free(d);
}

static void test_small_batches_commit_with_marks(void)
{
    /* Many small transactions give the same result as one. */
    struct store *s = open_store("data4");
    ASSERT_TRUE(s);
    struct importer_opts o;
    quiet_opts(&o);
    o.batch_ops = 7;
    struct importer_stats st = {0};
    const char *paths[] = {MAROT_MAIN};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 150);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted, 0);
    store_close(s);
}

static void test_malformed_line_is_reported(void)
{
    size_t len;
    char *d = slurp(MAROT_TOOL_HEAVY, &len);
    ASSERT_TRUE(d);
    char *path = tpath("broken.jsonl");
    size_t cut = after_line(d, len, 6);
    ASSERT_EQ_INT(write_bytes(path, d, cut, "wb"), 0);
    const char junk[] = "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_res\n";
    ASSERT_EQ_INT(write_bytes(path, junk, sizeof junk - 1, "ab"), 0);
    ASSERT_EQ_INT(write_bytes(path, d + cut, len - cut, "ab"), 0);

    struct store *s = open_store("data5");
    ASSERT_TRUE(s);
    char *rep = NULL;
    size_t replen = 0;
    FILE *mem = open_memstream(&rep, &replen);
    struct importer_opts o;
    quiet_opts(&o);
    o.report = mem;
    struct importer_stats st = {0};
    const char *paths[] = {path};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    fclose(mem);
    ASSERT_EQ_INT(st.malformed, 1);
    ASSERT_EQ_INT(st.lines, 40);
    ASSERT_EQ_INT(st.res.inserted, 6);
    char want[512];
    snprintf(want, sizeof want, "%s:7: ", path);
    ASSERT_CONTAINS(rep, want);
    free(rep);

    /* A line appended after the mark is reported with its own number,
     * counted from the start of the file, not from the mark. */
    ASSERT_EQ_INT(write_bytes(path, "garbage\n", 8, "ab"), 0);
    mem = open_memstream(&rep, &replen);
    o.report = mem;
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    fclose(mem);
    ASSERT_EQ_INT(st.malformed, 1);
    snprintf(want, sizeof want, "%s:41: ", path);
    ASSERT_CONTAINS(rep, want);
    free(rep);
    store_close(s);
    free(path);
    free(d);
}

static void test_replaced_by_a_shorter_file(void)
{
    char *path = tpath("replaced.jsonl");
    ASSERT_EQ_INT(copy_file(MAROT_TOOL_HEAVY, path), 0);
    struct store *s = open_store("data6");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 6);
    /* Rewritten in place with less content: read again from 0. */
    ASSERT_EQ_INT(copy_file(MAROT_SHORT, path), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 2);
    ASSERT_EQ_INT(stored(s), 8);
    /* Replaced by another file (new inode) holding known calls. */
    char *other = tpath("replacement.jsonl");
    ASSERT_EQ_INT(copy_file(MAROT_TOOL_HEAVY, other), 0);
    ASSERT_EQ_INT(rename(other, path), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.unchanged, 6);
    store_close(s);
    free(other);
    free(path);
}

static void test_idle_file_stores_lost_calls(void)
{
    /* The session ended (crashed) with a call that never got a result. */
    size_t len;
    char *d = slurp(MAROT_MAIN, &len);
    ASSERT_TRUE(d);
    char *path = tpath("crashed.jsonl");
    ASSERT_EQ_INT(write_bytes(path, d, after_line(d, len, 1130), "wb"), 0);
    struct store *s = open_store("data7");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 115);
    /* Seven hours later the file is final: the tail is read once more and
     * the calls still waiting are stored as lost (failed, no duration). */
    age(path, 7 * 3600);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(stored(s), 116);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.bytes, 0);
    store_close(s);
    free(path);
    free(d);
}

static void test_missing_and_foreign_paths(void)
{
    struct store *s = open_store("data8");
    ASSERT_TRUE(s);
    struct importer_opts o;
    quiet_opts(&o);
    struct importer_stats st = {0};
    char eb[TP_ERR_MAX];
    char *missing = tpath("no/such/file.jsonl");
    const char *paths[] = {missing, FIX "exequieldeferrari-axiom__otlp_logs__claude_logs.json",
                           MAROT_SHORT};
    ASSERT_EQ_INT(importer_run(s, paths, 3, &o, &st, eb), TP_ENOTFOUND);
    ASSERT_CONTAINS(eb, "no/such/file.jsonl");
    ASSERT_EQ_INT(st.files_failed, 1);
    ASSERT_EQ_INT(st.files_skipped, 1);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.res.inserted, 2);
    store_close(s);
    free(missing);
}

static void test_default_roots(void)
{
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *cfg = getenv("CLAUDE_CONFIG_DIR") ? strdup(getenv("CLAUDE_CONFIG_DIR")) : NULL;
    setenv("HOME", "/home/u", 1);
    setenv("CLAUDE_CONFIG_DIR", " /a/cfg , /b/ ,,/home/u/.claude", 1);
    char **roots;
    size_t n;
    ASSERT_EQ_INT(importer_default_roots(&roots, &n), 0);
    ASSERT_EQ_INT(n, 4);
    ASSERT_STREQ(roots[0], "/a/cfg/projects");
    ASSERT_STREQ(roots[1], "/b/projects");
    ASSERT_STREQ(roots[2], "/home/u/.claude/projects");
    ASSERT_STREQ(roots[3], "/home/u/.config/claude/projects");
    importer_free_roots(roots, n);
    unsetenv("CLAUDE_CONFIG_DIR");
    ASSERT_EQ_INT(importer_default_roots(&roots, &n), 0);
    ASSERT_EQ_INT(n, 2);
    importer_free_roots(roots, n);
    if (home)
        setenv("HOME", home, 1);
    if (cfg)
        setenv("CLAUDE_CONFIG_DIR", cfg, 1);
    free(home);
    free(cfg);
    ASSERT_EQ_INT(importer_wants("agent-a1.jsonl"), 1);
    ASSERT_EQ_INT(importer_wants("journal.jsonl"), 0);
    ASSERT_EQ_INT(importer_wants("agent-a1.meta.json"), 0);
}

/* ---- the watcher ------------------------------------------------------ */

/* Wait up to 10 s for the watcher to have inserted `want` calls. */
static size_t wait_inserted(struct watch *w, size_t want)
{
    struct importer_stats st;
    int64_t until = tpt_mono_ns() + 10LL * 1000000000;
    do {
        watch_stats(w, &st);
        if (st.res.inserted >= want)
            return st.res.inserted;
        usleep(20000);
    } while (tpt_mono_ns() < until);
    return st.res.inserted;
}

static void watch_case(int force_poll, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "%s/projects", name);
    char *root = tpath(rel);
    snprintf(rel, sizeof rel, "%s/projects/-p", name);
    char *proj = tpath(rel);
    mkdirs(proj);
    /* A session already there when the server starts. */
    char file[1024];
    snprintf(file, sizeof file, "%s/tool_heavy.jsonl", proj);
    ASSERT_EQ_INT(copy_file(MAROT_TOOL_HEAVY, file), 0);

    snprintf(rel, sizeof rel, "%s/data", name);
    char *data = tpath(rel);
    struct watch_opts wo = {.report = NULL, .poll_ms = 100, .force_poll = force_poll};
    struct watch *w = NULL;
    char eb[TP_ERR_MAX];
    const char *roots[] = {root};
    ASSERT_EQ_INT(watch_start(data, roots, 1, &wo, &w, eb), 0);
    ASSERT_EQ_INT(wait_inserted(w, 6), 6);
    ASSERT_EQ_INT(watch_uses_inotify(w), !force_poll);

    /* A session written while we watch, in two steps. */
    size_t len;
    char *d = slurp(MAROT_MAIN, &len);
    ASSERT_TRUE(d);
    size_t cut = after_line(d, len, 1130);
    snprintf(file, sizeof file, "%s/" SESSION ".jsonl", proj);
    ASSERT_EQ_INT(write_bytes(file, d, cut, "wb"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 6 + 115), 6 + 115);
    ASSERT_EQ_INT(write_bytes(file, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 6 + 150), 6 + 150);
    free(d);

    /* Its sub-agent folder appears later. */
    snprintf(file, sizeof file, "%s/" SESSION "/subagents", proj);
    mkdirs(file);
    snprintf(file, sizeof file, "%s/" SESSION "/subagents/agent-a2898e3.jsonl", proj);
    ASSERT_EQ_INT(copy_file(MAROT_AGENT, file), 0);
    ASSERT_EQ_INT(wait_inserted(w, 6 + 150 + 33), 6 + 150 + 33);
    watch_stop(w);

    struct store *s = NULL;
    ASSERT_EQ_INT(store_open(data, 0, &s, eb), 0);
    ASSERT_EQ_INT(stored(s), 189);
    store_close(s);
    free(root);
    free(proj);
    free(data);
}

static void test_watch_inotify(void)
{
    watch_case(0, "w1");
}

static void test_watch_polling(void)
{
    watch_case(1, "w2");
}

static void test_watch_missing_root(void)
{
    /* Claude Code has never run here yet: the folder appears later. */
    char *root = tpath("w3/projects");
    char *data = tpath("w3/data");
    struct watch_opts wo = {.poll_ms = 100};
    struct watch *w = NULL;
    char eb[TP_ERR_MAX];
    const char *roots[] = {root};
    ASSERT_EQ_INT(watch_start(data, roots, 1, &wo, &w, eb), 0);
    usleep(150000);
    char *proj = tpath("w3/projects/-p");
    mkdirs(proj);
    char file[1024];
    snprintf(file, sizeof file, "%s/short.jsonl", proj);
    ASSERT_EQ_INT(copy_file(MAROT_SHORT, file), 0);
    ASSERT_EQ_INT(wait_inserted(w, 2), 2);
    /* Later files in it are followed by inotify. */
    snprintf(file, sizeof file, "%s/tool_heavy.jsonl", proj);
    ASSERT_EQ_INT(copy_file(MAROT_TOOL_HEAVY, file), 0);
    ASSERT_EQ_INT(wait_inserted(w, 8), 8);
    watch_stop(w);
    free(root);
    free(data);
    free(proj);
}

static void test_watch_stop_is_prompt(void)
{
    /* Stopping during the first, long import does not wait for it. */
    char *root = tpath("w4/projects");
    char *data = tpath("w4/data");
    mkdirs(root);
    size_t len;
    char *d = slurp(MAROT_MAIN, &len);
    ASSERT_TRUE(d);
    char file[1024];
    for (int i = 0; i < 20; i++) {
        snprintf(file, sizeof file, "%s/copy%02d.jsonl", root, i);
        ASSERT_EQ_INT(write_bytes(file, d, len, "wb"), 0);
    }
    free(d);
    struct watch_opts wo = {.poll_ms = 100};
    struct watch *w = NULL;
    char eb[TP_ERR_MAX];
    const char *roots[] = {root};
    ASSERT_EQ_INT(watch_start(data, roots, 1, &wo, &w, eb), 0);
    int64_t t0 = tpt_mono_ns();
    watch_stop(w);
    ASSERT_TRUE(tpt_mono_ns() - t0 < 2000000000LL);
    free(root);
    free(data);
}

TEST_MAIN(TEST_CASE(test_folder_import_and_reimport),
          TEST_CASE(test_grown_file_adds_exactly_the_new_calls),
          TEST_CASE(test_split_inside_a_line), TEST_CASE(test_small_batches_commit_with_marks),
          TEST_CASE(test_malformed_line_is_reported), TEST_CASE(test_replaced_by_a_shorter_file),
          TEST_CASE(test_idle_file_stores_lost_calls), TEST_CASE(test_missing_and_foreign_paths),
          TEST_CASE(test_default_roots), TEST_CASE(test_watch_inotify),
          TEST_CASE(test_watch_polling), TEST_CASE(test_watch_missing_root),
          TEST_CASE(test_watch_stop_is_prompt))
