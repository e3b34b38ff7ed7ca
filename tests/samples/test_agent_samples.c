/*
 * test_agent_samples.c - the optional checks over public samples of the
 * other agents' files (tests/samples/README.md): Codex CLI rollouts, Gemini
 * CLI chats and OpenCode's storage tree from jazzyalex/agent-sessions
 * (Resources/Fixtures/stage0/agents/ and Resources/Fixtures/codex_05*),
 * imported with the importer the CLI uses (importer_run) into a fresh
 * store each.
 *
 * These samples are trimmed and partly synthetic: good for shapes, not for
 * counts. So a check asserts what toolprof must make of each file as it is:
 * the calls a reader finds in it, and where a file is damaged or not what
 * the client writes (a "[trimmed for fixture]" timestamp, a status OpenCode
 * never writes, session files not named by their ids), exactly the lines
 * reported, with file and line, and what is then kept or skipped.
 *
 * The expected values are independent of toolprof's code: each file's
 * calls are also counted here by a plain scan of the raw file (cJSON over
 * each line or document, a timestamp's shape checked with sscanf, times
 * converted with timegm), and every other value was read off the file by
 * hand; a comment says where it comes from. Every import is run again and
 * must add nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "fixture.h"
#include "samples.h"
#include "core/limits.h"
#include "ingest/importer.h"
#include "store/store.h"
#include "store/timeline.h"

/* The samples, as `<owner>-<repo>__<path with / as __>`. */
#define AS "jazzyalex-agent-sessions__Resources__Fixtures__"
#define STAGE0 AS "stage0__agents__"
#define CODEX_SMALL STAGE0 "codex__small.jsonl"
#define CODEX_LARGE STAGE0 "codex__large.jsonl"
#define CODEX_DRIFT STAGE0 "codex__schema_drift.jsonl"
#define CODEX_050 AS "codex_050_legacy.jsonl"
#define CODEX_051 AS "codex_051_usage.jsonl"
#define CODEX_052 AS "codex_052_raw.jsonl"
#define CODEX_053 AS "codex_053_rate_limit.jsonl"
#define GEMINI_JSONL STAGE0 "gemini__jsonl_v040.jsonl"
#define GEMINI_SMALL STAGE0 "gemini__small.json"
#define GEMINI_LARGE STAGE0 "gemini__large.json"
#define GEMINI_DRIFT STAGE0 "gemini__schema_drift.json"
#define OC_V2 STAGE0 "opencode__storage_v2__"
#define OC_LEGACY STAGE0 "opencode__storage_legacy__"

#define CODEX_SESSION "019fc8be-3658-7ca3-9e29-000000000000"

/* The storage trees, file by file (the path under storage/, as in the
 * repository). */
static const char *const oc_v2_files[] = {
    "message/s_stage0_large/msg_0001.json",
    "message/s_stage0_large/msg_0002.json",
    "message/s_stage0_large/msg_0003.json",
    "message/s_stage0_large/msg_0004.json",
    "message/s_stage0_small/msg_0001.json",
    "message/s_stage0_small/msg_0002.json",
    "migration",
    "part/m_assistant_large_1/001.json",
    "part/m_assistant_large_1/002.json",
    "part/m_assistant_large_1/003.json",
    "part/m_assistant_large_1/004.json",
    "part/m_assistant_large_1/005.json",
    "part/m_assistant_large_1/006.json",
    "part/m_assistant_large_1/007.json",
    "part/m_assistant_large_1/008.json",
    "part/m_assistant_large_2/001.json",
    "part/m_assistant_small/001.json",
    "part/m_assistant_small/002.json",
    "part/m_user_large_1/001.json",
    "part/m_user_large_2/001.json",
    "part/m_user_small/001.json",
    "session/proj_test/ses_s_stage0_large.json",
    "session/proj_test/ses_s_stage0_small.json",
};
static const char *const oc_legacy_files[] = {
    "message/s_stage0_drift/msg_0001.json",
    "message/s_stage0_drift/msg_0002.json",
    "part/prt_0001.json",
    "part/prt_0002.json",
    "session/proj_test/ses_s_stage0_drift.json",
};
#define N_OC_V2 (sizeof oc_v2_files / sizeof oc_v2_files[0])
#define N_OC_LEGACY (sizeof oc_legacy_files / sizeof oc_legacy_files[0])

/* ---- an independent reading of the raw files ------------------------------ */

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" in epoch ms, or -1 for anything else. */
static int64_t iso_ms(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0, frac = 0, fn = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19)
        return -1;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, fn++)
            if (fn < 3)
                frac = frac * 10 + (*p - '0');
    if (strcmp(p, "Z") != 0)
        return -1;
    for (; fn < 3; fn++)
        frac *= 10;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    return (int64_t)timegm(&tm) * 1000 + frac;
}

/* The call lines of a rollout, by a plain scan: a line whose payload.type
 * is one of Codex's calls (function_call, custom_tool_call,
 * local_shell_call, tool_search_call, web_search_call), with or without a
 * timestamp of the ISO shape (the line numbers of those without, in
 * order). */
struct codex_scan {
    int calls, timed, untimed_line[16], nuntimed, lines;
};
static void codex_scan(const char *text, size_t len, struct codex_scan *c)
{
    static const char *const types[] = {"function_call", "custom_tool_call", "local_shell_call",
                                        "tool_search_call", "web_search_call"};
    memset(c, 0, sizeof *c);
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        c->lines++;
        cJSON *j = cJSON_ParseWithLength(text + off, n);
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "payload"), "type");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "timestamp");
        for (size_t i = 0; cJSON_IsString(ty) && i < sizeof types / sizeof types[0]; i++) {
            if (strcmp(ty->valuestring, types[i]) != 0)
                continue;
            c->calls++;
            if (cJSON_IsString(ts) && iso_ms(ts->valuestring) >= 0)
                c->timed++;
            else if (c->nuntimed < 16)
                c->untimed_line[c->nuntimed++] = c->lines;
        }
        cJSON_Delete(j);
        off += n + 1;
    }
}

/* The tool calls of a Gemini CLI chat, by a plain scan: toolCalls[] of the
 * gemini messages (a .json document's messages[], or the JSONL records,
 * the last record of a message id winning). */
static int gemini_scan(const char *text, size_t len, int jsonl)
{
    int calls = 0;
    if (!jsonl) {
        cJSON *d = cJSON_ParseWithLength(text, len);
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(d, "messages"))
        {
            const cJSON *ty = cJSON_GetObjectItemCaseSensitive(m, "type");
            if (cJSON_IsString(ty) && strcmp(ty->valuestring, "gemini") == 0)
                calls += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "toolCalls"));
        }
        cJSON_Delete(d);
        return calls;
    }
    cJSON *last = cJSON_CreateObject(); /* message id -> its number of calls */
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        cJSON *j = cJSON_ParseWithLength(text + off, n);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
        if (cJSON_IsString(id) && cJSON_IsString(ty) && strcmp(ty->valuestring, "gemini") == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(last, id->valuestring);
            cJSON_AddNumberToObject(
                last, id->valuestring,
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "toolCalls")));
        }
        cJSON_Delete(j);
        off += n + 1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, last) calls += v->valueint;
    cJSON_Delete(last);
    return calls;
}

/* ---- importing, and what the store holds --------------------------------- */

struct run {
    struct importer_stats st;
    char *report; /* what the importer reported, one line each */
    size_t rlen;
    int rc;
};

/* Import paths into s as `toolprof import PATH...` does (full: read every
 * file again, ignoring the marks). */
static void import_paths(struct store *s, const char *const *paths, size_t n, int full,
                         struct run *r)
{
    struct importer_opts o;
    char eb[TP_ERR_MAX];
    importer_opts_init(&o);
    o.progress = IMPORTER_PROGRESS_OFF;
    o.full = full;
    free(r->report);
    memset(r, 0, sizeof *r);
    o.report = open_memstream(&r->report, &r->rlen);
    r->rc = importer_run(s, paths, n, &o, &r->st, eb);
    fclose(o.report);
    if (r->rc != 0)
        fprintf(stderr, "  importer_run: %s\n", eb);
}

static void import1(struct store *s, const char *path, int full, struct run *r)
{
    const char *paths[] = {path};
    import_paths(s, paths, 1, full, r);
}

/* One stored call. */
struct row {
    char id[128], tool[64], target[160], error[64], session[64], project[64], meta[512];
    int ok, ask;
    double exec, wall, wait;
    int64_t ts;
};
struct rows {
    struct row r[32];
    int n;
};
static int row_cb(void *ctx, const struct store_row *sr)
{
    struct rows *rs = ctx;
    if (rs->n >= 32)
        return 1;
    struct row *x = &rs->r[rs->n++];
    const struct op *op = &sr->op;
    snprintf(x->id, sizeof x->id, "%s", op->tool_use_id ? op->tool_use_id : "");
    snprintf(x->tool, sizeof x->tool, "%s", op->tool ? op->tool : "");
    snprintf(x->target, sizeof x->target, "%s", op->target ? op->target : "");
    snprintf(x->error, sizeof x->error, "%s", op->error ? op->error : "");
    snprintf(x->session, sizeof x->session, "%s", op->session_id ? op->session_id : "");
    snprintf(x->project, sizeof x->project, "%s", op->project ? op->project : "");
    snprintf(x->meta, sizeof x->meta, "%s", op->meta ? op->meta : "");
    x->ok = op->success;
    x->ask = op->ask;
    x->exec = op->duration_ms;
    x->wall = op->wall_ms;
    x->wait = op->wait_ms;
    x->ts = op->ts_ms;
    return 0;
}
static void rows_of(struct store *s, struct rows *rs)
{
    struct store_scan q = {.from_ms = 0, .to_ms = INT64_MAX / 2};
    memset(rs, 0, sizeof *rs);
    store_scan(s, &q, row_cb, rs);
}
static const struct row *row_find(const struct rows *rs, const char *id)
{
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].id, id) == 0)
            return &rs->r[i];
    return NULL;
}

/* A session's model requests. */
struct reqs {
    int n;
    char id[8][96], model[8][48];
    int64_t start[8], in[8], cache[8], out[8];
    double dur[8];
};
static int req_cb(void *ctx, const struct request *r)
{
    struct reqs *x = ctx;
    if (x->n >= 8)
        return 1;
    int i = x->n++;
    snprintf(x->id[i], sizeof x->id[i], "%s", r->id ? r->id : "");
    snprintf(x->model[i], sizeof x->model[i], "%s", r->model ? r->model : "");
    x->start[i] = r->start_ms;
    x->in[i] = r->input_tokens;
    x->cache[i] = r->cache_read_tokens;
    x->out[i] = r->output_tokens;
    x->dur[i] = r->duration_ms;
    return 0;
}
static void reqs_of(struct store *s, const char *session, struct reqs *x)
{
    memset(x, 0, sizeof *x);
    int64_t sid = store_str_id(s, session);
    if (sid)
        store_requests(s, sid, 0, 0, req_cb, x);
}

/* A session's turns. */
struct turns {
    int n;
    int64_t start[4], end[4];
};
static int turn_cb(void *ctx, const struct turn *t)
{
    struct turns *x = ctx;
    if (x->n < 4) {
        x->start[x->n] = t->start_ms;
        x->end[x->n] = t->end_ms;
    }
    x->n++;
    return 0;
}
static void turns_of(struct store *s, const char *session, struct turns *x)
{
    memset(x, 0, sizeof *x);
    int64_t sid = store_str_id(s, session);
    if (sid)
        store_turns(s, sid, turn_cb, x);
}

static char *tmp_root;
static void cleanup(void)
{
    if (tmp_root)
        fixture_rm_rf(tmp_root);
    free(tmp_root);
}
/* A fresh folder under this run's temporary one. */
static void tmp_sub(char *out, const char *name)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("agent_samples");
        atexit(cleanup);
    }
    snprintf(out, PATH_MAX, "%s/%s", tmp_root, name);
}

/* No OpenCode config of this machine's: an empty config home (the
 * permission rules decide whether a call could have asked). */
static void isolate_config(void)
{
    char home[PATH_MAX];
    tmp_sub(home, "home");
    fixture_mkdirs(home);
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("OPENCODE_CONFIG");
}

/* Lay a storage tree out under dir/storage from the samples named
 * prefix + (path with / as __). */
#define PLACE_TREE(prefix, files, n, dir)                                                          \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++) {                                                      \
            char name_[PATH_MAX], to_[PATH_MAX * 2];                                               \
            int k_ = snprintf(name_, sizeof name_, "%s", prefix);                                  \
            for (const char *c_ = (files)[i_]; *c_ && k_ < PATH_MAX - 3; c_++)                     \
                if (*c_ == '/') {                                                                  \
                    name_[k_++] = '_';                                                             \
                    name_[k_++] = '_';                                                             \
                } else {                                                                           \
                    name_[k_++] = *c_;                                                             \
                }                                                                                  \
            name_[k_] = '\0';                                                                      \
            snprintf(to_, sizeof to_, "%s/storage/%s", (dir), (files)[i_]);                        \
            PLACE_SAMPLE(name_, to_);                                                              \
        }                                                                                          \
    } while (0)

/* ---- Codex CLI ------------------------------------------------------------------ */

static void test_codex_small(void)
{
    /* One line of nearly every event type of a recent Codex; lines 27-118
     * keep their shapes but have "[trimmed for fixture]" in every string,
     * the timestamp included. */
    char path[PATH_MAX], data[PATH_MAX];
    size_t len;
    char *text;
    READ_SAMPLE(text, CODEX_SMALL, &len);
    struct codex_scan sc;
    codex_scan(text, len, &sc);
    free(text);
    /* The scan: 118 lines, 7 call lines; 4 with a time (call-1, call-2,
     * call-3 and the web search ws-1, lines 9, 10, 12, 14), 3 without
     * (lines 43, 103, 114). */
    ASSERT_EQ_INT(sc.lines, 118);
    ASSERT_EQ_INT(sc.calls, 7);
    ASSERT_EQ_INT(sc.timed, 4);
    ASSERT_EQ_INT(sc.nuntimed, 3);

    SAMPLE_PATH(path, CODEX_SMALL);
    tmp_sub(data, "codex_small");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    /* Each call line without a time is reported with its line number. */
    char want[4 * PATH_MAX], *w = want;
    static const char *const types[] = {"tool_search_call", "custom_tool_call", "function_call"};
    for (int i = 0; i < sc.nuntimed; i++)
        w += sprintf(w,
                     "%s:%d: timestamp \"[trimmed for fixture]\" is not a time: the %s on this "
                     "line was skipped\n",
                     path, sc.untimed_line[i], types[i]);
    ASSERT_STREQ(r.report, want);
    ASSERT_EQ_INT(sc.untimed_line[0], 43);
    ASSERT_EQ_INT(sc.untimed_line[2], 114);
    ASSERT_EQ_INT(r.st.malformed, 3);
    ASSERT_EQ_INT(r.st.lines, 118);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].files, 1);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].calls, sc.timed);
    ASSERT_EQ_INT(r.st.res.inserted, sc.timed);

    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 4);
    /* Every line up to 26 is at 2026-08-03T10:48:56.000Z; the session's
     * cwd is /tmp/repo; the turn's approval_policy "never" (line 2). Call
     * ids under 16 characters are keyed by their session. */
    int64_t t0 = iso_ms("2026-08-03T10:48:56.000Z");
    for (int i = 0; i < rs.n; i++) {
        ASSERT_EQ_INT(rs.r[i].ts, t0);
        ASSERT_STREQ(rs.r[i].session, CODEX_SESSION);
        ASSERT_STREQ(rs.r[i].project, "/tmp/repo");
    }
    const struct row *c1 = row_find(&rs, CODEX_SESSION "/call-1"),
                     *c2 = row_find(&rs, CODEX_SESSION "/call-2"),
                     *c3 = row_find(&rs, CODEX_SESSION "/call-3"),
                     *ws = row_find(&rs, CODEX_SESSION "/ws-1");
    ASSERT_TRUE(c1 && c2 && c3 && ws);
    /* call-1, a custom_tool_call shell ["ls"] (line 9): its turn is aborted
     * (turn_aborted, line 20) before its output (line 21), so it was cut
     * short: interrupted, failed, no time (codex.h). */
    ASSERT_STREQ(c1->tool, "shell");
    ASSERT_STREQ(c1->target, "ls");
    ASSERT_EQ_INT(c1->ok, 0);
    ASSERT_STREQ(c1->error, "interrupted");
    ASSERT_CONTAINS(c1->meta, "\"outcome\":\"interrupted\"");
    ASSERT_TRUE(isnan(c1->wall) && isnan(c1->exec));
    /* call-2, a function_call shell ["ls"] streamed with call-1 (lines 9
     * and 10: a parallel pair), its output "a.txt\n" (line 11) at the same
     * millisecond: wall 0, and exec = wall under "never". */
    ASSERT_STREQ(c2->tool, "shell");
    ASSERT_STREQ(c2->target, "ls");
    ASSERT_EQ_INT(c2->ok, 1);
    ASSERT_EQ_DBL(c2->wall, 0, 0);
    ASSERT_EQ_DBL(c2->exec, 0, 0);
    ASSERT_CONTAINS(c2->meta, "\"parallel\":true");
    ASSERT_CONTAINS(c2->meta, "\"model\":\"gpt-5.6-luna\"");
    ASSERT_CONTAINS(c2->meta, "\"sandbox\":\"workspace-write\"");
    /* call-3, tool_search {"query":"example"} (line 12), answered by line
     * 13: a tool that never asks. */
    ASSERT_STREQ(c3->tool, "tool_search");
    ASSERT_STREQ(c3->target, "example");
    ASSERT_EQ_INT(c3->ok, 1);
    ASSERT_EQ_DBL(c3->exec, 0, 0);
    /* ws-1, a web search the API ran (status completed, query "example"):
     * one line, no duration. */
    ASSERT_STREQ(ws->tool, "web_search");
    ASSERT_STREQ(ws->target, "example");
    ASSERT_EQ_INT(ws->ok, 1);
    ASSERT_TRUE(isnan(ws->exec) && isnan(ws->wall));
    /* The end events of lines 15-17 (call-4 web_search_end, call-5
     * mcp_tool_call_end, call-6 patch_apply_end) name calls the file never
     * made: nothing is stored for them (the 4 rows above are all). */

    /* One model request: token_count's last_token_usage (line 22), input
     * 16341 of which 3584 cached, output 81, on gpt-5.6-luna. */
    struct reqs rq;
    reqs_of(s, CODEX_SESSION, &rq);
    ASSERT_EQ_INT(rq.n, 1);
    ASSERT_EQ_INT(rq.in[0], 16341 - 3584);
    ASSERT_EQ_INT(rq.cache[0], 3584);
    ASSERT_EQ_INT(rq.out[0], 81);
    ASSERT_STREQ(rq.model[0], "gpt-5.6-luna");
    ASSERT_EQ_INT(rq.start[0], t0);
    /* Turns: the one turn is both aborted (line 20, from its task_started)
     * and completed (line 25, duration_ms 1200): two spans. */
    struct turns tu;
    turns_of(s, CODEX_SESSION, &tu);
    ASSERT_EQ_INT(tu.n, 2);
    ASSERT_EQ_INT(tu.start[0], t0 - 1200);
    ASSERT_EQ_INT(tu.end[0], t0);
    ASSERT_EQ_INT(tu.start[1], t0);
    ASSERT_EQ_INT(tu.end[1], t0);

    /* Again: unchanged, not read; and read again whole: nothing new. */
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.files_unchanged, 1);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    import1(s, path, 1, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    ASSERT_EQ_INT(r.st.res.unchanged, 4);
    ASSERT_EQ_INT(fixture_stored(s), 4);
    free(r.report);
    store_close(s);
}

static void test_codex_large(void)
{
    /* 20 lines of gpt-5.2 on Codex 0.106.0; its one "call" is a
     * response_item of type tool_call / tool_result (lines 6 and 7), which
     * is not how Codex writes calls (no call_id): not a call. */
    char path[PATH_MAX], data[PATH_MAX];
    size_t len;
    char *text;
    READ_SAMPLE(text, CODEX_LARGE, &len);
    struct codex_scan sc;
    codex_scan(text, len, &sc);
    free(text);
    ASSERT_EQ_INT(sc.lines, 20);
    ASSERT_EQ_INT(sc.calls, 0);
    SAMPLE_PATH(path, CODEX_LARGE);
    tmp_sub(data, "codex_large");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_STREQ(r.report, "");
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].files, 1);
    ASSERT_EQ_INT(r.st.ops, 0);
    ASSERT_EQ_INT(fixture_stored(s), 0);
    /* One model request (token_count, line 8, 10:00:04.100): input 12091
     * of which 10880 cached, output 182; its input was complete at the
     * user_message (line 2, 10:00:00.200). */
    struct reqs rq;
    reqs_of(s, "019b2ea4-aaaa-bbbb-cccc-58208e1f0000", &rq);
    ASSERT_EQ_INT(rq.n, 1);
    ASSERT_EQ_INT(rq.in[0], 12091 - 10880);
    ASSERT_EQ_INT(rq.cache[0], 10880);
    ASSERT_EQ_INT(rq.out[0], 182);
    ASSERT_STREQ(rq.model[0], "gpt-5.2");
    ASSERT_EQ_INT(rq.start[0], iso_ms("2025-12-18T10:00:00.200Z"));
    ASSERT_EQ_DBL(rq.dur[0], 3900, 0);
    import1(s, path, 1, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    free(r.report);
    store_close(s);
}

static void test_codex_older_versions(void)
{
    /* 0.50-0.53: session_meta, turn and usage events, no call. Only 0.53's
     * token_count has a last_token_usage (17:00:05): one request. */
    static const struct {
        const char *name, *session;
        int lines, requests;
    } files[] = {
        {CODEX_050, "test-legacy-session", 5, 0},
        {CODEX_051, "test-usage-session", 3, 0},
        {CODEX_052, "test-raw-session", 6, 0},
        {CODEX_053, "test-ratelimit-session", 5, 1},
    };
    char data[PATH_MAX];
    tmp_sub(data, "codex_old");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[PATH_MAX];
        size_t len;
        char *text;
        READ_SAMPLE(text, files[i].name, &len);
        struct codex_scan sc;
        codex_scan(text, len, &sc);
        free(text);
        ASSERT_EQ_INT(sc.lines, files[i].lines);
        ASSERT_EQ_INT(sc.calls, 0);
        SAMPLE_PATH(path, files[i].name);
        import1(s, path, 0, &r);
        ASSERT_EQ_INT(r.rc, 0);
        ASSERT_STREQ(r.report, "");
        ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].files, 1);
        ASSERT_EQ_INT(r.st.lines, files[i].lines);
        ASSERT_EQ_INT(r.st.ops, 0);
        struct reqs rq;
        reqs_of(s, files[i].session, &rq);
        ASSERT_EQ_INT(rq.n, files[i].requests);
    }
    /* 0.53's: input 12091 of which 10880 cached, output 182, no model
     * (no turn_context), no earlier input to time it from. */
    struct reqs rq;
    reqs_of(s, "test-ratelimit-session", &rq);
    ASSERT_EQ_INT(rq.in[0], 12091 - 10880);
    ASSERT_EQ_INT(rq.out[0], 182);
    ASSERT_EQ_INT(rq.start[0], iso_ms("2025-10-31T17:00:05.000Z"));
    ASSERT_TRUE(isnan(rq.dur[0]));
    ASSERT_EQ_INT(fixture_stored(s), 0);
    free(r.report);
    store_close(s);
}

static void test_codex_schema_drift(void)
{
    /* Chat-completion-like lines without session_meta: not a rollout.
     * Named on the command line, the file is read as a Claude Code
     * transcript (the fallback for JSONL), where none of its lines is a
     * record either: nothing, no line malformed. */
    char path[PATH_MAX], data[PATH_MAX];
    SAMPLE_PATH(path, CODEX_DRIFT);
    tmp_sub(data, "codex_drift");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_STREQ(r.report, "");
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].files, 0);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CLAUDE].files, 1);
    ASSERT_EQ_INT(r.st.lines, 6); /* 5 records, and an empty line: it ends "\n\n" */
    ASSERT_EQ_INT(r.st.malformed, 0);
    ASSERT_EQ_INT(r.st.ops, 0);
    free(r.report);
    store_close(s);
}

/* ---- Gemini CLI ------------------------------------------------------------------ */

static void test_gemini_jsonl(void)
{
    /* 0.40's JSONL: metadata, a user message, a $set, a gemini message
     * with one run_shell_command, a second gemini message without calls. */
    char path[PATH_MAX], data[PATH_MAX];
    size_t len;
    char *text;
    READ_SAMPLE(text, GEMINI_JSONL, &len);
    ASSERT_EQ_INT(gemini_scan(text, len, 1), 1);
    free(text);
    SAMPLE_PATH(path, GEMINI_JSONL);
    tmp_sub(data, "gemini_jsonl");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_STREQ(r.report, "");
    ASSERT_EQ_INT(r.st.agent[IMPORTER_GEMINI].files, 1);
    ASSERT_EQ_INT(r.st.lines, 5);
    ASSERT_EQ_INT(r.st.res.inserted, 1);
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 1);
    const struct row *c = row_find(&rs, "run_shell_command_stage0");
    ASSERT_TRUE(c != NULL);
    /* No clock in its id: it starts at its message (21:39:35.125) and
     * ends at its own timestamp (21:39:35.364); a shell may ask, so the
     * wall is not its execution. Its output names no exit code, its status
     * is success. Outside a chats/ folder the project is unknown. */
    ASSERT_STREQ(c->tool, "run_shell_command");
    ASSERT_STREQ(c->target, "ls -F");
    ASSERT_EQ_INT(c->ok, 1);
    ASSERT_EQ_INT(c->ts, iso_ms("2026-04-29T21:39:35.125Z"));
    ASSERT_EQ_DBL(c->wall, 239, 0);
    ASSERT_TRUE(isnan(c->exec));
    ASSERT_EQ_INT(c->ask, OP_ASK_MAYBE);
    ASSERT_STREQ(c->session, "gemini_stage0_jsonl");
    ASSERT_STREQ(c->project, "");
    /* Two model requests, one per gemini message with tokens: input 11855
     * (0 cached) and 12069 (11502 cached); output 81 and 147 (0 thoughts).
     * Their message ids are short, so they are keyed by the session. */
    struct reqs rq;
    reqs_of(s, "gemini_stage0_jsonl", &rq);
    ASSERT_EQ_INT(rq.n, 2);
    ASSERT_STREQ(rq.id[0], "gemini_stage0_jsonl/g-assistant-1");
    ASSERT_EQ_INT(rq.in[0], 11855);
    ASSERT_EQ_INT(rq.out[0], 81);
    ASSERT_STREQ(rq.id[1], "gemini_stage0_jsonl/g-assistant-2");
    ASSERT_EQ_INT(rq.in[1], 12069 - 11502);
    ASSERT_EQ_INT(rq.cache[1], 11502);
    ASSERT_EQ_INT(rq.out[1], 147);
    ASSERT_STREQ(rq.model[1], "gemini-3-flash-preview");
    ASSERT_EQ_INT(rq.start[1], iso_ms("2026-04-29T21:39:45.996Z"));
    import1(s, path, 1, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    ASSERT_EQ_INT(r.st.res.unchanged, 1);
    free(r.report);
    store_close(s);
}

static void test_gemini_documents(void)
{
    /* The older .json documents. small.json: one gemini message, no call.
     * large.json: two run_shell_command calls (messages m2 and m2b);
     * messages of type "model" (m4, m6) are not Gemini CLI's and hold no
     * calls. */
    char small[PATH_MAX], large[PATH_MAX], data[PATH_MAX];
    size_t len;
    char *text;
    READ_SAMPLE(text, GEMINI_SMALL, &len);
    ASSERT_EQ_INT(gemini_scan(text, len, 0), 0);
    free(text);
    READ_SAMPLE(text, GEMINI_LARGE, &len);
    ASSERT_EQ_INT(gemini_scan(text, len, 0), 2);
    free(text);
    SAMPLE_PATH(small, GEMINI_SMALL);
    SAMPLE_PATH(large, GEMINI_LARGE);
    tmp_sub(data, "gemini_docs");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    const char *paths[] = {small, large};
    import_paths(s, paths, 2, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_STREQ(r.report, "");
    ASSERT_EQ_INT(r.st.agent[IMPORTER_GEMINI].files, 2);
    ASSERT_EQ_INT(r.st.res.inserted, 2);
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 2);
    const struct row *c1 = row_find(&rs, "run_shell_command-1"),
                     *c2 = row_find(&rs, "run_shell_command-2");
    ASSERT_TRUE(c1 && c2);
    /* From each message's time to the call's: 23:47:02.000 -> 03.000 and
     * 23:47:03.500 -> 03.600. */
    ASSERT_EQ_INT(c1->ts, iso_ms("2025-12-16T23:47:02.000Z"));
    ASSERT_EQ_DBL(c1->wall, 1000, 0);
    ASSERT_STREQ(c1->target, "printf 'line1\\nline2\\nline3\\n'");
    ASSERT_EQ_INT(c1->ok, 1);
    ASSERT_EQ_INT(c2->ts, iso_ms("2025-12-16T23:47:03.500Z"));
    ASSERT_EQ_DBL(c2->wall, 100, 0);
    ASSERT_STREQ(c2->target, "ls /non-existent-directory");
    /* Its status is "success", and its output's "Exit Code: 1" is not a
     * line: the sample escapes the output's newlines twice, so the whole
     * output is one line of literal "\n"s. Read as written: a success. */
    ASSERT_EQ_INT(c2->ok, 1);
    ASSERT_TRUE(strstr(c2->meta, "exit_code") == NULL);
    ASSERT_STREQ(c2->session, "session-2025-12-16T23-47-b4f17607");
    /* Requests: m2 of large.json (input 100, output 10), m2 of small.json
     * (10, 5): one message id in two sessions, two requests; m2b has no
     * tokens. */
    struct reqs rq;
    reqs_of(s, "session-2025-12-16T23-47-b4f17607", &rq);
    ASSERT_EQ_INT(rq.n, 1);
    ASSERT_STREQ(rq.id[0], "session-2025-12-16T23-47-b4f17607/m2");
    ASSERT_EQ_INT(rq.in[0], 100);
    ASSERT_EQ_INT(rq.out[0], 10);
    reqs_of(s, "session-2026-01-16T18-34-3739ef95", &rq);
    ASSERT_EQ_INT(rq.n, 1);
    ASSERT_EQ_INT(rq.in[0], 10);
    ASSERT_EQ_INT(rq.out[0], 5);
    import_paths(s, paths, 2, 1, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    ASSERT_EQ_INT(r.st.res.unchanged, 2);
    free(r.report);
    store_close(s);
}

static void test_gemini_schema_drift(void)
{
    /* {history, meta, start_time}: no sessionId, no projectHash, no
     * messages: not a Gemini CLI chat, and a document, not JSONL. Named on
     * the command line it is skipped, and said so. */
    char path[PATH_MAX], data[PATH_MAX], want[PATH_MAX + 64];
    SAMPLE_PATH(path, GEMINI_DRIFT);
    tmp_sub(data, "gemini_drift");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, path, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    snprintf(want, sizeof want, "%s: not a transcript or a toolprof export, skipped\n", path);
    ASSERT_STREQ(r.report, want);
    ASSERT_EQ_INT(r.st.files_skipped, 1);
    ASSERT_EQ_INT(r.st.ops, 0);
    free(r.report);
    store_close(s);
}

/* ---- OpenCode ------------------------------------------------------------------------ */

static void test_opencode_storage_v2(void)
{
    /* Two sessions of 1.3.17 in the storage layout, 6 messages and 14
     * parts, of which 2 are tool parts: bash "ls" (exit 0) and bash
     * "ls /non-existent-directory" (exit 1), each 500 ms by its own
     * times. The sample's files are not named as OpenCode names them
     * (session/<project>/<session id>.json, message/<session>/<message
     * id>.json): its session files are ses_<id>.json, so toolprof finds
     * neither session, says so once each, and keeps the calls without
     * project and version; with no project, no permission rules are known,
     * so the walls are not taken as executions. */
    char dir[PATH_MAX], root[PATH_MAX + 16], data[PATH_MAX];
    isolate_config();
    tmp_sub(dir, "oc_v2");
    PLACE_TREE(OC_V2, oc_v2_files, N_OC_V2, dir);
    /* The scan: the tool parts and their statuses. */
    int tools = 0, final = 0;
    for (size_t i = 0; i < N_OC_V2; i++) {
        if (strncmp(oc_v2_files[i], "part/", 5) != 0)
            continue;
        char p[PATH_MAX * 2];
        size_t n;
        snprintf(p, sizeof p, "%s/storage/%s", dir, oc_v2_files[i]);
        char *t = fixture_read(p, &n);
        cJSON *j = t ? cJSON_ParseWithLength(t, n) : NULL;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(j, "type");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(j, "state"), "status");
        if (cJSON_IsString(ty) && strcmp(ty->valuestring, "tool") == 0) {
            tools++;
            final += cJSON_IsString(st) && (strcmp(st->valuestring, "completed") == 0 ||
                                            strcmp(st->valuestring, "error") == 0);
        }
        cJSON_Delete(j);
        free(t);
    }
    ASSERT_EQ_INT(tools, 2);
    ASSERT_EQ_INT(final, 2);

    snprintf(root, sizeof root, "%s/storage", dir);
    tmp_sub(data, "oc_v2_data");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, root, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    char *real = realpath(root, NULL);
    ASSERT_TRUE(real != NULL);
    char want[6 * PATH_MAX];
    snprintf(want, sizeof want,
             "%s/message/s_stage0_large/msg_0001.json: session s_stage0_large has no file "
             "%s/session/*/s_stage0_large.json: its project and version are unknown\n"
             "%s/message/s_stage0_small/msg_0001.json: session s_stage0_small has no file "
             "%s/session/*/s_stage0_small.json: its project and version are unknown\n",
             root, real, root, real);
    free(real);
    ASSERT_STREQ(r.report, want);
    /* Messages and parts are read; sessions only as context, the
     * migration marker not at all. */
    ASSERT_EQ_INT(r.st.agent[IMPORTER_OPENCODE].files, 20);
    ASSERT_EQ_INT(r.st.malformed, 0);
    ASSERT_EQ_INT(r.st.res.inserted, final);

    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 2);
    const struct row *ok = row_find(&rs, "p_tool_1"), *bad = row_find(&rs, "p_tool_large_1");
    ASSERT_TRUE(ok && bad);
    ASSERT_STREQ(ok->tool, "bash");
    ASSERT_STREQ(ok->target, "ls");
    ASSERT_EQ_INT(ok->ok, 1);
    ASSERT_EQ_INT(ok->ts, 1730000002500LL);
    ASSERT_EQ_DBL(ok->wall, 1730000003000LL - 1730000002500LL, 0);
    ASSERT_TRUE(isnan(ok->exec));
    ASSERT_EQ_INT(ok->ask, OP_ASK_MAYBE);
    ASSERT_STREQ(ok->session, "s_stage0_small");
    ASSERT_STREQ(ok->project, "");
    ASSERT_CONTAINS(ok->meta, "\"call_id\":\"call_1\"");
    ASSERT_STREQ(bad->target, "ls /non-existent-directory");
    ASSERT_EQ_INT(bad->ok, 0); /* metadata.exit 1 */
    ASSERT_STREQ(bad->error, "exit code 1");
    ASSERT_EQ_INT(bad->ts, 1730000102500LL);
    ASSERT_EQ_DBL(bad->wall, 500, 0);
    ASSERT_STREQ(bad->session, "s_stage0_large");
    /* Requests: the three assistant messages; only m_assistant_large_1 has
     * tokens (input 120, output 16). */
    struct reqs rq;
    reqs_of(s, "s_stage0_large", &rq);
    ASSERT_EQ_INT(rq.n, 2);
    ASSERT_STREQ(rq.id[0], "m_assistant_large_1");
    ASSERT_EQ_INT(rq.start[0], 1730000102000LL);
    ASSERT_EQ_INT(rq.in[0], 120);
    ASSERT_EQ_INT(rq.out[0], 16);
    ASSERT_STREQ(rq.model[0], "gpt-4o-mini");
    ASSERT_STREQ(rq.id[1], "m_assistant_large_2");
    reqs_of(s, "s_stage0_small", &rq);
    ASSERT_EQ_INT(rq.n, 1);

    import1(s, root, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.files_unchanged, 20);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    import1(s, root, 1, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    ASSERT_EQ_INT(r.st.res.unchanged, 2);
    free(r.report);
    store_close(s);
}

static void test_opencode_storage_legacy(void)
{
    /* A "drifted" tree: one tool part (bash "cat README.md") with status
     * "success", which OpenCode never writes (pending, running, completed,
     * error), directly under part/; a text part; two messages of session
     * s_stage0_drift, whose file is ses_s_stage0_drift.json. */
    char dir[PATH_MAX], root[PATH_MAX + 16], data[PATH_MAX];
    isolate_config();
    tmp_sub(dir, "oc_legacy");
    PLACE_TREE(OC_LEGACY, oc_legacy_files, N_OC_LEGACY, dir);
    snprintf(root, sizeof root, "%s/storage", dir);
    tmp_sub(data, "oc_legacy_data");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, root, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    char *real = realpath(root, NULL);
    ASSERT_TRUE(real != NULL);
    char want[4 * PATH_MAX];
    snprintf(want, sizeof want,
             "%s/message/s_stage0_drift/msg_0001.json: session s_stage0_drift has no file "
             "%s/session/*/s_stage0_drift.json: its project and version are unknown\n"
             "%s/part/prt_0001.json: tool part prt_tool_1: status \"success\" is none of "
             "OpenCode's (pending, running, completed, error): skipped\n",
             root, real, root);
    free(real);
    ASSERT_STREQ(r.report, want);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_OPENCODE].files, 4);
    ASSERT_EQ_INT(r.st.malformed, 1);
    ASSERT_EQ_INT(r.st.ops, 0);
    /* The assistant message is a request (gpt-4o-mini, no tokens). */
    struct reqs rq;
    reqs_of(s, "s_stage0_drift", &rq);
    ASSERT_EQ_INT(rq.n, 1);
    ASSERT_STREQ(rq.id[0], "m_assistant_drift");
    ASSERT_STREQ(rq.model[0], "gpt-4o-mini");
    ASSERT_EQ_INT(rq.start[0], 1730000202000LL);
    import1(s, root, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.files_unchanged, 4);
    ASSERT_STREQ(r.report, "");
    free(r.report);
    store_close(s);
}

/* ---- all of them, as found in folders ------------------------------------------ */

static void test_one_folder(void)
{
    /* Every sample in one folder named on the command line, laid out as
     * the agents keep them: Gemini CLI's chats under tmp/<hash>/chats/ with
     * the .project_root beside, OpenCode's trees under storage/. Each file
     * is told by its content, and what each agent gives is what it gave
     * alone. Walked files that are not any agent's are skipped quietly. */
    static const struct {
        const char *name, *as;
    } files[] = {
        {CODEX_SMALL, "codex/rollout-small.jsonl"},
        {CODEX_LARGE, "codex/rollout-large.jsonl"},
        {CODEX_050, "codex/old/0.50.jsonl"},
        {CODEX_051, "codex/old/0.51.jsonl"},
        {CODEX_052, "codex/old/0.52.jsonl"},
        {CODEX_053, "codex/old/0.53.jsonl"},
        {CODEX_DRIFT, "codex/drift.jsonl"},
        {GEMINI_JSONL, "gemini/tmp/0b7dfb12/chats/session-2026-04-29T21-39-gemini_s.jsonl"},
        {GEMINI_SMALL, "gemini/tmp/0b7dfb12/chats/session-2026-01-16T18-34-3739ef95.json"},
        {GEMINI_LARGE, "gemini/tmp/205016864/chats/session-2025-12-16T23-47-b4f17607.json"},
        {GEMINI_DRIFT, "gemini/tmp/205016864/chats/drift.json"},
    };
    char dir[PATH_MAX], data[PATH_MAX], sub[PATH_MAX + 64], to[PATH_MAX * 2];
    isolate_config();
    tmp_sub(dir, "all");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(to, sizeof to, "%s/%s", dir, files[i].as);
        PLACE_SAMPLE(files[i].name, to);
    }
    snprintf(to, sizeof to, "%s/gemini/tmp/0b7dfb12/.project_root", dir);
    ASSERT_EQ_INT(fixture_write(to, "/home/dev/site\n", 15, "wb"), 0);
    snprintf(sub, sizeof sub, "%s/opencode/v2", dir);
    PLACE_TREE(OC_V2, oc_v2_files, N_OC_V2, sub);
    snprintf(sub, sizeof sub, "%s/opencode/legacy", dir);
    PLACE_TREE(OC_LEGACY, oc_legacy_files, N_OC_LEGACY, sub);

    tmp_sub(data, "all_data");
    struct store *s = fixture_store_open(data);
    ASSERT_TRUE(s != NULL);
    struct run r = {0};
    import1(s, dir, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    /* codex: small, large and 0.50-0.53; the drift file is JSONL and read
     * as Claude Code's; gemini: three chats, the drift document skipped;
     * opencode: 20 + 4 files. */
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].files, 6);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CLAUDE].files, 1);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_GEMINI].files, 3);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_OPENCODE].files, 24);
    ASSERT_EQ_INT(r.st.files_skipped, 1);
    /* The calls each test above found: 4 + 1 + 2 + 2. */
    ASSERT_EQ_INT(r.st.agent[IMPORTER_CODEX].inserted, 4);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_GEMINI].inserted, 3);
    ASSERT_EQ_INT(r.st.agent[IMPORTER_OPENCODE].inserted, 2);
    ASSERT_EQ_INT(r.st.res.inserted, 9);
    /* Reported: codex small.jsonl's 3 lines; 3 sessions without their
     * file; the legacy part's status. */
    int lines = 0;
    for (const char *p = r.report; p && *p; p++)
        lines += *p == '\n';
    ASSERT_EQ_INT(lines, 3 + 3 + 1);
    ASSERT_EQ_INT(r.st.malformed, 3 + 1);
    /* The chats of the folder with a .project_root have its project. */
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 9);
    const struct row *g = row_find(&rs, "run_shell_command_stage0");
    ASSERT_TRUE(g != NULL);
    ASSERT_STREQ(g->project, "/home/dev/site");
    const struct row *g1 = row_find(&rs, "run_shell_command-1");
    ASSERT_TRUE(g1 != NULL);
    ASSERT_STREQ(g1->project, "");

    import1(s, dir, 0, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.st.res.inserted + r.st.res.merged, 0);
    ASSERT_EQ_INT(r.st.files_unchanged, 6 + 1 + 3 + 24);
    ASSERT_EQ_INT(fixture_stored(s), 9);
    free(r.report);
    store_close(s);
}

TEST_MAIN(TEST_CASE(test_codex_small), TEST_CASE(test_codex_large),
          TEST_CASE(test_codex_older_versions), TEST_CASE(test_codex_schema_drift),
          TEST_CASE(test_gemini_jsonl), TEST_CASE(test_gemini_documents),
          TEST_CASE(test_gemini_schema_drift), TEST_CASE(test_opencode_storage_v2),
          TEST_CASE(test_opencode_storage_legacy), TEST_CASE(test_one_folder))
