/*
 * test_importer.c - transcript import into a real store in a temporary
 * data directory: discovery, idempotence, incremental reads of grown,
 * replaced and idle files, malformed-line reports, default roots, and the
 * watcher that imports while a server runs.
 *
 * The data are the transcripts of tests/data (see test_transcript.c for the
 * calls in each: 19 in the recorded session, 4 in its sub-agent's file, 15
 * in the 1.0.98 session, 10 + 5 + 0 in the 2.1.39 session, sub-agent and
 * compaction helper). The split points come from tests/data/reference.py
 * ("splits"), which pairs tool_use and tool_result ids line by line: after
 * line 88 of the recorded session (byte 213219), 13 calls have finished
 * and one (the sleep Bash) is still running, from the line at byte
 * 211883; byte 200000 is inside line 76, before which 12 calls finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/importer.h"
#include "ingest/watch.h"

#define REC_BYTES 458499
#define REC_CUT_LINE 88
#define REC_CUT 213219
#define REC_PENDING_AT 211883
#define REC_CUT_INSIDE 200000

/* ---- helpers ---------------------------------------------------------- */

static char *tmp_root;

static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}

/* One temporary folder per run, removed at exit. */
static const char *tmp_dir(void)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("importer");
        atexit(cleanup);
    }
    return tmp_root;
}

static char *tpath(const char *rel)
{
    size_t n = strlen(tmp_dir()) + strlen(rel) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", tmp_dir(), rel);
    return p;
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
    struct store *s = fixture_store_open(dir);
    free(dir);
    return s;
}

static int64_t stored(struct store *s)
{
    return fixture_stored(s);
}

static int count_cb(void *ctx, const void *unused)
{
    (void)unused;
    ++*(size_t *)ctx;
    return 0;
}
static int tally_req(void *ctx, const struct request *r)
{
    return count_cb(ctx, r);
}
static int tally_turn(void *ctx, const struct turn *t)
{
    return count_cb(ctx, t);
}

/* The model requests and turns stored for a session (-1 each when the
 * store cannot say). */
static void timeline_counts(struct store *s, const char *session, long *nreq, long *nturn)
{
    int64_t sid = store_str_id(s, session);
    size_t r = 0, t = 0;
    *nreq = *nturn = -1;
    if (sid <= 0)
        return;
    if (store_requests(s, sid, 0, 0, tally_req, &r) == 0)
        *nreq = (long)r;
    if (store_turns(s, sid, tally_turn, &t) == 0)
        *nturn = (long)t;
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
    /* Projects folders as Claude Code lays them out, sub-agent files under
     * <session>/subagents/, plus files that must be left alone
     * (journal.jsonl, .meta.json sidecars). */
    char *rec = tpath("claude/projects/-tmp-toolprof-fixtures-project");
    char *rec_sub = tpath("claude/projects/-tmp-toolprof-fixtures-project/" FIXTURE_REC_SESSION_ID
                          "/subagents");
    char *old = tpath("claude/projects/-home-dev-shop");
    char *old_sub = tpath("claude/projects/-home-dev-shop/" FIXTURE_V2_SESSION_ID "/subagents");
    ASSERT_EQ_INT(fixture_mkdirs(rec_sub), 0);
    ASSERT_EQ_INT(fixture_mkdirs(old_sub), 0);
    char buf[1024];
#define PUT(rel, dir, name)                                                                        \
    do {                                                                                           \
        snprintf(buf, sizeof buf, "%s/%s", (dir), (name));                                         \
        FIXTURE_COPY_DATA(rel, buf);                                                               \
    } while (0)
    PUT(FIXTURE_REC_SESSION, rec, FIXTURE_REC_SESSION_ID ".jsonl");
    PUT(FIXTURE_REC_AGENT, rec_sub, "agent-" FIXTURE_REC_AGENT_ID ".jsonl");
    PUT(FIXTURE_REC_PROJECT "/" FIXTURE_REC_SESSION_ID "/subagents/agent-" FIXTURE_REC_AGENT_ID
                            ".meta.json",
        rec_sub, "agent-" FIXTURE_REC_AGENT_ID ".meta.json");
    PUT(FIXTURE_REC_AGENT, rec_sub, "journal.jsonl");
    PUT(FIXTURE_V1_SESSION, old, "0a1b2c3d-1000-4000-8000-000000000098.jsonl");
    PUT(FIXTURE_V2_SESSION, old, FIXTURE_V2_SESSION_ID ".jsonl");
    PUT(FIXTURE_V2_AGENT, old_sub, "agent-a1b2c3d.jsonl");
    PUT(FIXTURE_V2_COMPACT, old_sub, "agent-acompact-5e6f70.jsonl");
#undef PUT

    struct store *s = open_store("data1");
    ASSERT_TRUE(s);
    struct importer_stats st;
    char *root = tpath("claude/projects");
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    /* 19 + 4 + 15 + 10 + 5 + 0 calls, each once; reported 57 times: the
     * recorded session's approved Bash again when its cost-state interval
     * closed, and the 2.1.39 session's WebSearch, WebFetch and Bash again
     * when their turn ended (docs/time.md). */
    ASSERT_EQ_INT(st.files_seen, 6);
    ASSERT_EQ_INT(st.files_read, 6);
    ASSERT_EQ_INT(st.ops, 57);
    ASSERT_EQ_INT(st.res.inserted, 53);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.rejected, 0);
    ASSERT_EQ_INT(stored(s), 53);
    /* With its calls, the recorded session's model requests (17 in its
     * file, 4 in its sub-agent's) and its 4 turns (reference.py
     * "timeline": 5 prompts, /compact's output 0.2 s after it being one
     * turn with it): what places it on the clock. The files were written a
     * moment ago and may still grow: the sub-agent's last response and the
     * session's last turn are still open, stored as they stand (and the
     * response read again later). */
    long nreq, nturn;
    timeline_counts(s, FIXTURE_REC_SESSION_ID, &nreq, &nturn);
    ASSERT_EQ_INT(nreq, 21);
    ASSERT_EQ_INT(nturn, 4);

    /* Again: nothing opened, nothing read, nothing added. */
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 6);
    ASSERT_EQ_INT(st.files_read, 0);
    ASSERT_EQ_INT(st.bytes, 0);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(stored(s), 53);

    /* Forced full re-read: every call arrives again, none is added. */
    struct importer_opts o;
    quiet_opts(&o);
    o.full = 1;
    memset(&st, 0, sizeof st);
    const char *paths[] = {root};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.ops, 57); /* the four accounted calls again, as above */
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.merged, 0); /* the same reports change nothing */
    ASSERT_EQ_INT(st.res.inserted + st.res.merged + st.res.unchanged, 57);
    ASSERT_EQ_INT(stored(s), 53);
    timeline_counts(s, FIXTURE_REC_SESSION_ID, &nreq, &nturn);
    ASSERT_EQ_INT(nreq, 21); /* each once */
    ASSERT_EQ_INT(nturn, 4);
    /* Hours later the files are final: the rest is read, each once. */
    char *main_file =
        tpath("claude/projects/-tmp-toolprof-fixtures-project/" FIXTURE_REC_SESSION_ID ".jsonl");
    char *agent_file =
        tpath("claude/projects/-tmp-toolprof-fixtures-project/" FIXTURE_REC_SESSION_ID
              "/subagents/agent-" FIXTURE_REC_AGENT_ID ".jsonl");
    age(main_file, 7 * 3600);
    age(agent_file, 7 * 3600);
    o.full = 0;
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    timeline_counts(s, FIXTURE_REC_SESSION_ID, &nreq, &nturn);
    ASSERT_EQ_INT(nreq, 21);
    ASSERT_EQ_INT(nturn, 4);
    ASSERT_EQ_INT(stored(s), 53);
    free(main_file);
    free(agent_file);
    store_close(s);
    free(rec);
    free(rec_sub);
    free(old);
    free(old_sub);
    free(root);
}

static void test_grown_file_adds_exactly_the_new_calls(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_REC_SESSION, &len);
    ASSERT_EQ_INT(len, REC_BYTES);
    size_t cut = after_line(d, len, REC_CUT_LINE);
    ASSERT_EQ_INT(cut, REC_CUT);
    char *path = tpath("grow.jsonl");
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);

    struct store *s = open_store("data2");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 13);
    ASSERT_EQ_INT(st.bytes, cut);

    /* Unchanged, with a call still running at its end: not read again. */
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.bytes, 0);

    /* The session goes on: the import resumes at the running call's line
     * and adds exactly the 6 calls that were not stored. */
    ASSERT_EQ_INT(fixture_write(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.bytes, REC_BYTES - REC_PENDING_AT);
    ASSERT_EQ_INT(st.res.inserted, 6);
    ASSERT_EQ_INT(stored(s), 19);
    store_close(s);

    /* The same as a one-shot import. */
    s = open_store("data2b");
    ASSERT_TRUE(s);
    char whole[PATH_MAX];
    FIXTURE_DATA_PATH(whole, FIXTURE_REC_SESSION);
    ASSERT_EQ_INT(import1(s, whole, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 19);
    store_close(s);
    free(path);
    free(d);
}

static void test_split_inside_a_line(void)
{
    /* A line caught half-written is left for the next import. */
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_REC_SESSION, &len);
    char *path = tpath("half.jsonl");
    size_t cut = REC_CUT_INSIDE; /* inside line 76; 12 calls have finished before it */
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);
    struct store *s = open_store("data3");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    size_t first = st.res.inserted;
    ASSERT_EQ_INT(first, 12);
    ASSERT_EQ_INT(fixture_write(path, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(first + st.res.inserted, 19);
    ASSERT_EQ_INT(stored(s), 19);
    store_close(s);
    free(path);
    free(d);
}

static void test_small_batches_commit_with_marks(void)
{
    /* Many small transactions give the same result as one. */
    char whole[PATH_MAX];
    FIXTURE_DATA_PATH(whole, FIXTURE_REC_SESSION);
    struct store *s = open_store("data4");
    ASSERT_TRUE(s);
    struct importer_opts o;
    quiet_opts(&o);
    o.batch_ops = 7;
    struct importer_stats st = {0};
    const char *paths[] = {whole};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 19);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted, 0);
    store_close(s);
}

static void test_malformed_line_is_reported(void)
{
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_V1_SESSION, &len);
    char *path = tpath("broken.jsonl");
    size_t cut = after_line(d, len, 6);
    ASSERT_EQ_INT(fixture_write(path, d, cut, "wb"), 0);
    const char junk[] = "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_res\n";
    ASSERT_EQ_INT(fixture_write(path, junk, sizeof junk - 1, "ab"), 0);
    ASSERT_EQ_INT(fixture_write(path, d + cut, len - cut, "ab"), 0);

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
    ASSERT_EQ_INT(st.lines, 37);
    ASSERT_EQ_INT(st.res.inserted, 15);
    char want[512];
    snprintf(want, sizeof want, "%s:7: ", path);
    ASSERT_CONTAINS(rep, want);
    free(rep);

    /* A line appended after the mark is reported with its own number,
     * counted from the start of the file, not from the mark. */
    ASSERT_EQ_INT(fixture_write(path, "garbage\n", 8, "ab"), 0);
    mem = open_memstream(&rep, &replen);
    o.report = mem;
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    fclose(mem);
    ASSERT_EQ_INT(st.malformed, 1);
    snprintf(want, sizeof want, "%s:38: ", path);
    ASSERT_CONTAINS(rep, want);
    free(rep);
    store_close(s);
    free(path);
    free(d);
}

static void test_replaced_by_a_shorter_file(void)
{
    char *path = tpath("replaced.jsonl");
    FIXTURE_COPY_DATA(FIXTURE_V1_SESSION, path);
    struct store *s = open_store("data6");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 15);
    /* Rewritten in place with less content: read again from 0. */
    FIXTURE_COPY_DATA(FIXTURE_V2_AGENT, path);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 5);
    ASSERT_EQ_INT(stored(s), 20);
    /* Replaced by another file (new inode) holding known calls. */
    char *other = tpath("replacement.jsonl");
    FIXTURE_COPY_DATA(FIXTURE_V1_SESSION, other);
    ASSERT_EQ_INT(rename(other, path), 0);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.unchanged, 15);
    store_close(s);
    free(other);
    free(path);
}

static void test_idle_file_stores_lost_calls(void)
{
    /* The session ended (crashed) with a call that never got a result. */
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_REC_SESSION, &len);
    char *path = tpath("crashed.jsonl");
    ASSERT_EQ_INT(fixture_write(path, d, after_line(d, len, REC_CUT_LINE), "wb"), 0);
    struct store *s = open_store("data7");
    ASSERT_TRUE(s);
    struct importer_stats st;
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.res.inserted, 13);
    /* Seven hours later the file is final: the tail is read once more and
     * the call still waiting is stored as lost (failed, no duration). */
    age(path, 7 * 3600);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_read, 1);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(stored(s), 14);
    ASSERT_EQ_INT(import1(s, path, &st), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.bytes, 0);
    store_close(s);
    free(path);
    free(d);
}

static void test_missing_and_foreign_paths(void)
{
    /* A pretty-printed JSON document is skipped as a whole; a one-line
     * OTLP body reads as one JSON line without tool calls. */
    char pretty[PATH_MAX], otlp[PATH_MAX], agent[PATH_MAX];
    FIXTURE_DATA_PATH(pretty, "recorded/record.json");
    FIXTURE_DATA_PATH(otlp, FIXTURE_OLD_OTLP);
    FIXTURE_DATA_PATH(agent, FIXTURE_V2_AGENT);
    struct store *s = open_store("data8");
    ASSERT_TRUE(s);
    struct importer_opts o;
    quiet_opts(&o);
    struct importer_stats st = {0};
    char eb[TP_ERR_MAX];
    char *missing = tpath("no/such/file.jsonl");
    const char *paths[] = {missing, pretty, otlp, agent};
    ASSERT_EQ_INT(importer_run(s, paths, 4, &o, &st, eb), TP_ENOTFOUND);
    ASSERT_CONTAINS(eb, "no/such/file.jsonl");
    ASSERT_EQ_INT(st.files_failed, 1);
    ASSERT_EQ_INT(st.files_skipped, 1);
    ASSERT_EQ_INT(st.files_read, 2);
    ASSERT_EQ_INT(st.malformed, 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
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

/* Every agent's default places, from the environment. */
static void test_agent_roots(void)
{
    static const char *const vars[] = {"HOME", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME",
                                       "XDG_DATA_HOME"};
    char *saved[5];
    for (int i = 0; i < 5; i++)
        saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
    setenv("HOME", "/home/u", 1);
    unsetenv("CLAUDE_CONFIG_DIR");
    setenv("CODEX_HOME", "/srv/codex", 1);
    setenv("GEMINI_CLI_HOME", "/srv/g", 1);
    setenv("XDG_DATA_HOME", "/srv/data", 1);
    struct importer_root *r;
    size_t n;
    ASSERT_EQ_INT(importer_agent_roots(&r, &n), 0);
    static const struct {
        const char *path;
        int agent, rec;
    } want[] = {
        {"/home/u/.claude/projects", IMPORTER_CLAUDE, 1},
        {"/home/u/.config/claude/projects", IMPORTER_CLAUDE, 1},
        {"/srv/codex/sessions", IMPORTER_CODEX, 1},
        {"/srv/codex/archived_sessions", IMPORTER_CODEX, 1},
        {"/home/u/.codex/sessions", IMPORTER_CODEX, 1},
        {"/home/u/.codex/archived_sessions", IMPORTER_CODEX, 1},
        {"/srv/g/.gemini/tmp", IMPORTER_GEMINI, 1},
        {"/srv/g/.gemini/data", IMPORTER_GEMINI, 1},
        {"/home/u/.gemini/tmp", IMPORTER_GEMINI, 1},
        {"/home/u/.gemini/data", IMPORTER_GEMINI, 1},
        {"/srv/data/opencode/storage", IMPORTER_OPENCODE, 1},
        {"/srv/data/opencode", IMPORTER_OPENCODE, 0},
    };
    ASSERT_EQ_INT(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        ASSERT_STREQ(r[i].path, want[i].path);
        ASSERT_EQ_INT(r[i].agent, want[i].agent);
        ASSERT_EQ_INT(r[i].recursive, want[i].rec);
    }
    importer_free_agent_roots(r, n);
    /* Without the variables, the defaults under HOME. */
    unsetenv("CODEX_HOME");
    unsetenv("GEMINI_CLI_HOME");
    unsetenv("XDG_DATA_HOME");
    ASSERT_EQ_INT(importer_agent_roots(&r, &n), 0);
    ASSERT_EQ_INT(n, 8);
    ASSERT_STREQ(r[6].path, "/home/u/.local/share/opencode/storage");
    ASSERT_STREQ(r[7].path, "/home/u/.local/share/opencode");
    importer_free_agent_roots(r, n);
    for (int i = 0; i < 5; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
    }
    char *t = importer_watch_target("/x/opencode", "opencode.db-wal", IMPORTER_OPENCODE);
    ASSERT_STREQ(t, "/x/opencode/opencode.db");
    free(t);
    ASSERT_TRUE(importer_watch_target("/x/opencode", "opencode.db-shm", IMPORTER_OPENCODE) == NULL);
    t = importer_watch_target("/c/sessions/2026/12/05", "rollout-1.jsonl", IMPORTER_CODEX);
    ASSERT_STREQ(t, "/c/sessions/2026/12/05/rollout-1.jsonl");
    free(t);
    ASSERT_TRUE(importer_watch_target("/c/sessions", "history.jsonl", IMPORTER_CODEX) == NULL);
    t = importer_watch_target("/g/tmp/p/chats", "session-1.jsonl", IMPORTER_GEMINI);
    ASSERT_STREQ(t, "/g/tmp/p/chats/session-1.jsonl");
    free(t);
    ASSERT_TRUE(importer_watch_target("/g/tmp/p", "logs.json", IMPORTER_GEMINI) == NULL);
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
    ASSERT_EQ_INT(fixture_mkdirs(proj), 0);
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_REC_SESSION, &len);
    /* A session already there when the server starts. */
    char file[1024];
    snprintf(file, sizeof file, "%s/old.jsonl", proj);
    FIXTURE_COPY_DATA(FIXTURE_V1_SESSION, file);

    snprintf(rel, sizeof rel, "%s/data", name);
    char *data = tpath(rel);
    struct watch_opts wo = {.report = NULL, .poll_ms = 100, .force_poll = force_poll};
    struct watch *w = NULL;
    char eb[TP_ERR_MAX];
    const char *roots[] = {root};
    ASSERT_EQ_INT(watch_start(data, roots, 1, &wo, &w, eb), 0);
    ASSERT_EQ_INT(wait_inserted(w, 15), 15);
    ASSERT_EQ_INT(watch_uses_inotify(w), !force_poll);

    /* A session written while we watch, in two steps. */
    size_t cut = after_line(d, len, REC_CUT_LINE);
    snprintf(file, sizeof file, "%s/" FIXTURE_REC_SESSION_ID ".jsonl", proj);
    ASSERT_EQ_INT(fixture_write(file, d, cut, "wb"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 15 + 13), 15 + 13);
    ASSERT_EQ_INT(fixture_write(file, d + cut, len - cut, "ab"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 15 + 19), 15 + 19);
    free(d);

    /* Its sub-agent folder appears later. */
    snprintf(file, sizeof file, "%s/" FIXTURE_REC_SESSION_ID "/subagents", proj);
    ASSERT_EQ_INT(fixture_mkdirs(file), 0);
    snprintf(file, sizeof file,
             "%s/" FIXTURE_REC_SESSION_ID "/subagents/agent-" FIXTURE_REC_AGENT_ID ".jsonl", proj);
    FIXTURE_COPY_DATA(FIXTURE_REC_AGENT, file);
    ASSERT_EQ_INT(wait_inserted(w, 15 + 19 + 4), 15 + 19 + 4);
    watch_stop(w);

    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(stored(s), 38);
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
    ASSERT_EQ_INT(fixture_mkdirs(proj), 0);
    char file[1024];
    snprintf(file, sizeof file, "%s/agent.jsonl", proj);
    FIXTURE_COPY_DATA(FIXTURE_V2_AGENT, file);
    ASSERT_EQ_INT(wait_inserted(w, 5), 5);
    /* Later files in it are followed by inotify. */
    snprintf(file, sizeof file, "%s/old.jsonl", proj);
    FIXTURE_COPY_DATA(FIXTURE_V1_SESSION, file);
    ASSERT_EQ_INT(wait_inserted(w, 20), 20);
    watch_stop(w);
    free(root);
    free(data);
    free(proj);
}

/* The watcher follows a Codex root (a day folder that appears, a rollout
 * that grows) and a Gemini CLI root side by side with the Claude Code one. */
static void test_watch_other_agents(void)
{
    char *codex = tpath("w5/codex/sessions"), *gemini = tpath("w5/gemini/tmp");
    char *claude = tpath("w5/projects"), *data = tpath("w5/data");
    ASSERT_EQ_INT(fixture_mkdirs(codex), 0);
    ASSERT_EQ_INT(fixture_mkdirs(gemini), 0);
    ASSERT_EQ_INT(fixture_mkdirs(claude), 0);
    struct importer_root roots[] = {
        {claude, IMPORTER_CLAUDE, 1}, {codex, IMPORTER_CODEX, 1}, {gemini, IMPORTER_GEMINI, 1}};
    struct watch_opts wo = {.poll_ms = 100};
    struct watch *w = NULL;
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(watch_start_roots(data, roots, 3, &wo, &w, eb), 0);
    usleep(150000);
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d,
                      "recorded/agents/codex/sessions/2026/12/05/rollout-2026-12-05T03-52-11-"
                      "01a24454-b30c-7502-b27c-c0054156dbdc.jsonl",
                      &len);
    char day[1024], file[1100];
    snprintf(day, sizeof day, "%s/2026/12/05", codex);
    ASSERT_EQ_INT(fixture_mkdirs(day), 0);
    snprintf(file, sizeof file, "%s/rollout-2026-12-05T03-52-11-x.jsonl", day);
    ASSERT_EQ_INT(fixture_write(file, d, 52954, "wb"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 4), 4);
    ASSERT_EQ_INT(fixture_write(file, d + 52954, len - 52954, "ab"), 0);
    ASSERT_EQ_INT(wait_inserted(w, 5), 5);
    free(d);
    /* A file of no interest in the Codex folder is not read. */
    snprintf(file, sizeof file, "%s/history.jsonl", codex);
    FIXTURE_COPY_DATA(FIXTURE_V1_SESSION, file);
    char chats[1024];
    snprintf(chats, sizeof chats, "%s/p/chats", gemini);
    ASSERT_EQ_INT(fixture_mkdirs(chats), 0);
    snprintf(file, sizeof file, "%s/session-1.jsonl", chats);
    FIXTURE_COPY_DATA("recorded/agents/gemini/tmp/project/chats/"
                      "session-2026-12-05T03-52-f936c111.jsonl",
                      file);
    ASSERT_EQ_INT(wait_inserted(w, 10), 10);
    usleep(300000);
    struct importer_stats st;
    watch_stats(w, &st);
    ASSERT_EQ_INT(st.res.inserted, 10);
    ASSERT_EQ_INT(st.agent[IMPORTER_CODEX].inserted, 5);
    ASSERT_EQ_INT(st.agent[IMPORTER_GEMINI].inserted, 5);
    ASSERT_EQ_INT(st.agent[IMPORTER_CLAUDE].inserted, 0);
    watch_stop(w);
    free(codex);
    free(gemini);
    free(claude);
    free(data);
}

static void test_watch_stop_is_prompt(void)
{
    /* Stopping during the first, long import does not wait for it: 20
     * files, each the recorded session six times over (about 55 MB). */
    char *root = tpath("w4/projects");
    char *data = tpath("w4/data");
    ASSERT_EQ_INT(fixture_mkdirs(root), 0);
    size_t len;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_REC_SESSION, &len);
    char file[1024];
    for (int i = 0; i < 20; i++) {
        snprintf(file, sizeof file, "%s/copy%02d.jsonl", root, i);
        for (int k = 0; k < 6; k++)
            ASSERT_EQ_INT(fixture_write(file, d, len, k ? "ab" : "wb"), 0);
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

/* Distinct "requestId" values in a file: the independent count of the
 * model requests a transcript holds. */
static size_t count_request_ids(const char *path, char ids[][64], size_t n)
{
    size_t len;
    char *d = fixture_read(path, &len);
    if (!d)
        return n;
    for (const char *p = d; (p = strstr(p, "\"requestId\":\"")) != NULL;) {
        p += strlen("\"requestId\":\"");
        char id[64];
        size_t k = strcspn(p, "\"");
        snprintf(id, sizeof id, "%.*s", (int)k, p);
        size_t i = 0;
        while (i < n && strcmp(ids[i], id) != 0)
            i++;
        if (i == n && n < 64)
            snprintf(ids[n++], 64, "%s", id);
    }
    free(d);
    return n;
}

struct tl_count {
    size_t n;
    int64_t start[8], end[8];
};

static int count_turn(void *ctx, const struct turn *t)
{
    struct tl_count *c = ctx;
    if (c->n < 8) {
        c->start[c->n] = t->start_ms;
        c->end[c->n] = t->end_ms;
    }
    c->n++;
    return 0;
}

static int count_request(void *ctx, const struct request *r)
{
    (void)r;
    ((struct tl_count *)ctx)->n++;
    return 0;
}

/* A transcript's model requests and turns are stored with its calls: once
 * the files are idle (their last response closed), every request of the
 * session and its sub-agent, and its four prompts. */
static void test_requests_and_turns_stored(void)
{
    char *dir = tpath("tl/projects/p");
    char *sub = tpath("tl/projects/p/" FIXTURE_REC_SESSION_ID "/subagents");
    ASSERT_EQ_INT(fixture_mkdirs(sub), 0);
    char main_path[1024], agent_path[1024];
    snprintf(main_path, sizeof main_path, "%s/%s.jsonl", dir, FIXTURE_REC_SESSION_ID);
    snprintf(agent_path, sizeof agent_path, "%s/agent-%s.jsonl", sub, FIXTURE_REC_AGENT_ID);
    FIXTURE_COPY_DATA(FIXTURE_REC_SESSION, main_path);
    FIXTURE_COPY_DATA(FIXTURE_REC_AGENT, agent_path);
    age(main_path, 8 * 3600);
    age(agent_path, 8 * 3600);
    char ids[64][64];
    size_t want = count_request_ids(main_path, ids, 0);
    want = count_request_ids(agent_path, ids, want);
    ASSERT_EQ_INT(want, 21);

    struct store *s = open_store("data-tl");
    struct importer_stats st;
    char *root = tpath("tl/projects");
    ASSERT_EQ_INT(import1(s, root, &st), 0);
    int64_t sid = store_str_id(s, FIXTURE_REC_SESSION_ID);
    struct tl_count reqs = {0}, turns = {0};
    ASSERT_EQ_INT(store_requests(s, sid, 0, 0, count_request, &reqs), 0);
    ASSERT_EQ_INT(reqs.n, want);
    /* The prompts: the first, /compact, the one after it, the last
     * (their lines' timestamps); each turn ends at its last line. */
    ASSERT_EQ_INT(store_turns(s, sid, count_turn, &turns), 0);
    ASSERT_EQ_INT(turns.n, 4);
    static const int64_t starts[] = {1796433203242LL, 1796433208478LL, 1796433209182LL,
                                     1796433211219LL};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ_INT(turns.start[i], starts[i]);
        ASSERT_TRUE(turns.end[i] > turns.start[i]);
    }
    /* Again, from the start: nothing more. */
    struct importer_opts o;
    quiet_opts(&o);
    o.full = 1;
    const char *paths[] = {root};
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(importer_run(s, paths, 1, &o, &st, eb), 0);
    reqs.n = turns.n = 0;
    ASSERT_EQ_INT(store_requests(s, sid, 0, 0, count_request, &reqs), 0);
    ASSERT_EQ_INT(store_turns(s, sid, count_turn, &turns), 0);
    ASSERT_EQ_INT(reqs.n, want);
    ASSERT_EQ_INT(turns.n, 4);
    store_close(s);
    free(dir);
    free(sub);
    free(root);
}

TEST_MAIN(TEST_CASE(test_folder_import_and_reimport), TEST_CASE(test_requests_and_turns_stored),
          TEST_CASE(test_grown_file_adds_exactly_the_new_calls),
          TEST_CASE(test_split_inside_a_line), TEST_CASE(test_small_batches_commit_with_marks),
          TEST_CASE(test_malformed_line_is_reported), TEST_CASE(test_replaced_by_a_shorter_file),
          TEST_CASE(test_idle_file_stores_lost_calls), TEST_CASE(test_missing_and_foreign_paths),
          TEST_CASE(test_default_roots), TEST_CASE(test_agent_roots), TEST_CASE(test_watch_inotify),
          TEST_CASE(test_watch_other_agents), TEST_CASE(test_watch_polling),
          TEST_CASE(test_watch_missing_root), TEST_CASE(test_watch_stop_is_prompt))
