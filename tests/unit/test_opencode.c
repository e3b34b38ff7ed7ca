/*
 * test_opencode.c - OpenCode (ingest/opencode.c): an opencode.db built here
 * from OpenCode's own schema (as opencode-ai 1.18.33's migrations made it)
 * and the rows of a session recorded from the real client
 * (tests/data/recorded/agents/opencode/: a parallel bash and read, an edit,
 * a failing bash, and a glob that failed), imported while another
 * connection holds it open for writing (WAL, a write transaction with an
 * uncommitted part: never seen, never waited for); then incrementally: a
 * part committed later, a call still running (held back until it
 * finishes), re-import unchanged. The permission rules: "bash": "ask" in a
 * config file makes bash calls unsplit. A database locked outright (a
 * rollback journal's exclusive lock) is reported busy at once. Last, the
 * storage tree of 1.1 (hand-made), and one with parts it cannot read fully
 * (reported).
 *
 * The numbers are tests/data/agents_reference.py's ("opencode (recorded)",
 * "opencode (by hand) storage").
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "core/jsonin.h"
#include "core/tptime.h"
#include "ingest/importer.h"
#include "ingest/opencode.h"

#define REC "recorded/agents/opencode/"
#define REC_SESSION "ses_dbbaafabcffe233VcyKhGcYBC0"
#define HAND_STORAGE "agents/opencode/storage"
#define HAND_ODD "agents/opencode-odd/storage"

static char *tmp_root;
static void cleanup(void)
{
    fixture_rm_rf(tmp_root);
    free(tmp_root);
}
static const char *tmp_dir(void)
{
    if (!tmp_root) {
        tmp_root = fixture_tmpdir("opencode");
        atexit(cleanup);
    }
    return tmp_root;
}

/* No config of the machine's: an empty config home. */
static void isolate(const char *cfg_json)
{
    char home[PATH_MAX], cfg[PATH_MAX], file[PATH_MAX + 32];
    snprintf(home, sizeof home, "%s/home", tmp_dir());
    snprintf(cfg, sizeof cfg, "%s/home/.config/opencode", tmp_dir());
    fixture_mkdirs(cfg);
    snprintf(file, sizeof file, "%s/opencode.json", cfg);
    if (cfg_json)
        fixture_write(file, cfg_json, strlen(cfg_json), "wb");
    else
        unlink(file);
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("OPENCODE_CONFIG");
}

/* Build path from the recorded schema and rows (every table the rows name;
 * the database in WAL mode, as OpenCode keeps it). Returns 0 or -1. */
static int build_db(const char *path)
{
    size_t sl, rl;
    char p1[PATH_MAX], p2[PATH_MAX];
    char *schema = fixture_read(fixture_data_path(REC "schema.sql", p1), &sl);
    char *rows = fixture_read(fixture_data_path(REC "rows.json", p2), &rl);
    sqlite3 *db = NULL;
    int rc = -1;
    char eb[TP_ERR_MAX];
    cJSON *j = rows ? jin_parse(rows, rl, JIN_STRICT, 16, eb) : NULL;
    if (!schema || !j || sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    static const char *const tables[] = {"project", "session", "message", "part"};
    for (size_t t = 0; t < 4; t++) {
        const cJSON *arr = jin_get(j, tables[t]);
        for (const cJSON *row = arr ? arr->child : NULL; row; row = row->next) {
            char sql[4096] = "";
            int n = snprintf(sql, sizeof sql, "INSERT INTO %s(", tables[t]);
            int k = 0;
            for (const cJSON *c = row->child; c; c = c->next, k++)
                n += snprintf(sql + n, sizeof sql - (size_t)n, "%s`%s`", k ? "," : "", c->string);
            n += snprintf(sql + n, sizeof sql - (size_t)n, ") VALUES(");
            for (int i = 0; i < k; i++)
                n += snprintf(sql + n, sizeof sql - (size_t)n, "%s?", i ? "," : "");
            snprintf(sql + n, sizeof sql - (size_t)n, ")");
            sqlite3_stmt *q;
            if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
                goto out;
            int i = 1;
            for (const cJSON *c = row->child; c; c = c->next, i++) {
                if (cJSON_IsString(c))
                    sqlite3_bind_text(q, i, c->valuestring, -1, SQLITE_TRANSIENT);
                else if (cJSON_IsNumber(c))
                    sqlite3_bind_double(q, i, c->valuedouble);
                else
                    sqlite3_bind_null(q, i);
            }
            int s = sqlite3_step(q);
            sqlite3_finalize(q);
            if (s != SQLITE_DONE)
                goto out;
        }
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
    if (rc && db)
        fprintf(stderr, "  build_db: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    cJSON_Delete(j);
    free(schema);
    free(rows);
    return rc;
}

static int import_db(struct store *s, const char *path, struct importer_stats *st, char *eb)
{
    struct importer_opts o;
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(st, 0, sizeof *st);
    const char *paths[] = {path};
    return importer_run(s, paths, 1, &o, st, eb);
}

struct row {
    char id[64], tool[32];
    int ok, ask;
    double exec, wall, wait;
    int64_t ts;
    char session[64], project[128];
};
struct rows {
    struct row r[32];
    int n;
};
static int row_cb(void *ctx, const struct store_row *r)
{
    struct rows *rs = ctx;
    if (rs->n >= 32)
        return 1;
    struct row *x = &rs->r[rs->n++];
    snprintf(x->id, sizeof x->id, "%s", r->op.tool_use_id ? r->op.tool_use_id : "");
    snprintf(x->tool, sizeof x->tool, "%s", r->op.tool);
    snprintf(x->session, sizeof x->session, "%s", r->op.session_id ? r->op.session_id : "");
    snprintf(x->project, sizeof x->project, "%s", r->op.project ? r->op.project : "");
    x->ok = r->op.success;
    x->ask = r->op.ask;
    x->exec = r->op.duration_ms;
    x->wall = r->op.wall_ms;
    x->wait = r->op.wait_ms;
    x->ts = r->op.ts_ms;
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

/* agents_reference.py, "opencode (recorded)". */
static const struct {
    const char *id, *tool;
    int ok;
    int64_t start;
    double wall;
} rec_calls[] = {
    {"prt_244551244001Dbxgk2pAbZry1s", "bash", 1, 1796442755664, 802},
    {"prt_244551255001jwPsyN2FnUQbAa", "read", 1, 1796442755682, 115},
    {"prt_24455195a001yi8GUKeFUzEgdl", "edit", 1, 1796442757486, 65},
    {"prt_244551cde001EHvkn5JnjacRcE", "bash", 0, 1796442758400, 77},
    {"prt_244554b1f001rrIkjeeOUQir1q", "glob", 0, 1796442770278, 88},
};

struct turns {
    int n;
    int64_t start[4], end[4];
};
static int turn_cb(void *ctx, const struct turn *t)
{
    struct turns *x = ctx;
    if (x->n < 4) {
        x->start[x->n] = t->start_ms;
        x->end[x->n++] = t->end_ms;
    }
    return 0;
}
struct reqs {
    int n;
    int64_t in, cache, out;
    double dur0;
};
static int req_cb(void *ctx, const struct request *r)
{
    struct reqs *x = ctx;
    if (x->n == 0)
        x->dur0 = r->duration_ms;
    x->n++;
    x->in += r->input_tokens;
    x->cache += r->cache_read_tokens;
    x->out += r->output_tokens;
    return 0;
}

static void test_db_while_open_for_writing(void)
{
    isolate(NULL);
    char dbdir[PATH_MAX], db[PATH_MAX + 16], sdir[PATH_MAX];
    snprintf(dbdir, sizeof dbdir, "%s/share/opencode", tmp_dir());
    fixture_mkdirs(dbdir);
    snprintf(db, sizeof db, "%s/opencode.db", dbdir);
    ASSERT_EQ_INT(build_db(db), 0);

    /* OpenCode, writing: a transaction open with a part not committed. */
    sqlite3 *w;
    ASSERT_EQ_INT(sqlite3_open(db, &w), SQLITE_OK);
    ASSERT_EQ_INT(sqlite3_exec(w, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    char ins[1024];
    int64_t now = tpt_now_ms();
    snprintf(ins, sizeof ins,
             "INSERT INTO part(id, message_id, session_id, time_created, time_updated, data) VALUES"
             "('prt_zz_later', 'msg_244554c9b001DLKvBEnl2DozTw', '%s', %lld, %lld, "
             "'{\"type\":\"tool\",\"tool\":\"bash\",\"callID\":\"c\",\"state\":{\"status\":"
             "\"completed\",\"input\":{\"command\":\"true\"},\"output\":\"\",\"metadata\":"
             "{\"exit\":0},\"time\":{\"start\":%lld,\"end\":%lld}}}')",
             REC_SESSION, (long long)now, (long long)now, (long long)now - 40, (long long)now - 10);
    ASSERT_EQ_INT(sqlite3_exec(w, ins, NULL, NULL, NULL), SQLITE_OK);

    snprintf(sdir, sizeof sdir, "%s/data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    char eb[TP_ERR_MAX];
    int64_t t0 = tpt_mono_ns();
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    int64_t took_ms = (tpt_mono_ns() - t0) / 1000000;
    ASSERT_EQ_INT(st.res.inserted, 5);
    ASSERT_EQ_INT(st.agent[IMPORTER_OPENCODE].files, 1);
    ASSERT_EQ_INT(st.agent[IMPORTER_OPENCODE].inserted, 5);
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 5);
    for (size_t i = 0; i < sizeof rec_calls / sizeof rec_calls[0]; i++) {
        const struct row *r = row_find(&rs, rec_calls[i].id);
        if (!r)
            FAIL_("call %s not stored", rec_calls[i].id);
        ASSERT_STREQ(r->tool, rec_calls[i].tool);
        ASSERT_EQ_INT(r->ok, rec_calls[i].ok);
        ASSERT_EQ_INT(r->ts, rec_calls[i].start);
        ASSERT_EQ_DBL(r->wall, rec_calls[i].wall, 0);
        /* Every permission "allow" (no config asks): exec = the wall. */
        ASSERT_EQ_DBL(r->exec, rec_calls[i].wall, 0);
        ASSERT_EQ_INT(r->ask, OP_ASK_NO);
        ASSERT_STREQ(r->session, REC_SESSION);
        ASSERT_STREQ(r->project, "/tmp/toolprof-agents-fixtures/opencode/project");
    }
    /* The writer was never in our way, nor we in its: it commits now. */
    ASSERT_EQ_INT(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    ASSERT_TRUE(took_ms < 60000);

    /* Turns and requests: 2 prompts, 6 assistant messages. */
    struct turns tu = {0};
    int64_t sid = store_str_id(s, REC_SESSION);
    store_turns(s, sid, turn_cb, &tu);
    ASSERT_EQ_INT(tu.n, 2);
    ASSERT_EQ_INT(tu.start[0], 1796442752549);
    ASSERT_EQ_INT(tu.end[0], 1796442759879);
    ASSERT_EQ_INT(tu.start[1], 1796442764843);
    ASSERT_EQ_INT(tu.end[1], 1796442771562);
    struct reqs rq = {0};
    store_requests(s, sid, 0, 0, req_cb, &rq);
    ASSERT_EQ_INT(rq.n, 6);
    ASSERT_EQ_INT(rq.in, 6 * 1000);
    ASSERT_EQ_INT(rq.cache, 6 * 200);
    ASSERT_EQ_INT(rq.out, 6 * 40);
    /* The first request: from its message's creation to its first call. */
    ASSERT_EQ_DBL(rq.dur0, 1796442755664 - 1796442753875, 0);

    /* The committed part is new; nothing else is. */
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 1);
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 6);
    /* Unchanged since: not opened. */
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 1);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);

    /* A call still running is not stored, and holds the mark back until it
     * has finished. */
    now = tpt_now_ms();
    snprintf(ins, sizeof ins,
             "INSERT INTO part(id, message_id, session_id, time_created, time_updated, data) VALUES"
             "('prt_zz_running', 'msg_244554c9b001DLKvBEnl2DozTw', '%s', %lld, %lld, "
             "'{\"type\":\"tool\",\"tool\":\"bash\",\"callID\":\"r\",\"state\":{\"status\":"
             "\"running\",\"input\":{\"command\":\"sleep 9\"},\"time\":{\"start\":%lld}}}')",
             REC_SESSION, (long long)now, (long long)now, (long long)now);
    ASSERT_EQ_INT(sqlite3_exec(w, ins, NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 0);
    snprintf(ins, sizeof ins,
             "UPDATE part SET time_updated = %lld, data = json_set(data, '$.state.status', "
             "'completed', '$.state.time.end', %lld, '$.state.output', 'done') "
             "WHERE id = 'prt_zz_running'",
             (long long)now + 900, (long long)now + 900);
    ASSERT_EQ_INT(sqlite3_exec(w, ins, NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 1);
    rows_of(s, &rs);
    const struct row *run = row_find(&rs, "prt_zz_running");
    ASSERT_TRUE(run != NULL);
    ASSERT_EQ_DBL(run->exec, 900, 0);
    sqlite3_close(w);
    store_close(s);
}

/* A config that says bash asks: bash calls keep their wall, not an exec. */
static void test_permission_rules(void)
{
    isolate("// OpenCode config, with comments\n{\n  \"permission\": {\n    \"bash\": {\"git *\": "
            "\"allow\", \"*\": \"ask\"},\n  },\n}\n");
    char db[PATH_MAX + 16], sdir[PATH_MAX];
    snprintf(db, sizeof db, "%s/ask.db", tmp_dir());
    ASSERT_EQ_INT(build_db(db), 0);
    snprintf(sdir, sizeof sdir, "%s/ask-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    char eb[TP_ERR_MAX];
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
    struct rows rs;
    rows_of(s, &rs);
    int unsplit = 0, timed = 0;
    for (int i = 0; i < rs.n; i++) {
        if (strcmp(rs.r[i].tool, "bash") == 0) {
            ASSERT_TRUE(isnan(rs.r[i].exec));
            ASSERT_EQ_INT(rs.r[i].ask, OP_ASK_MAYBE);
            unsplit++;
        } else {
            ASSERT_TRUE(!isnan(rs.r[i].exec));
            timed++;
        }
    }
    ASSERT_EQ_INT(unsplit, 2);
    ASSERT_EQ_INT(timed, 3);
    store_close(s);
    isolate(NULL);
}

/* A database locked outright by another process (a rollback journal's
 * exclusive lock): the import says busy at once and stores nothing; once
 * the lock is gone it reads everything. */
static void test_locked_db_is_busy(void)
{
    isolate(NULL);
    char db[PATH_MAX + 16], sdir[PATH_MAX];
    snprintf(db, sizeof db, "%s/locked.db", tmp_dir());
    ASSERT_EQ_INT(build_db(db), 0);
    int ready[2], go[2];
    ASSERT_EQ_INT(pipe(ready), 0);
    ASSERT_EQ_INT(pipe(go), 0);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *w;
        char c = 'x';
        int ok = sqlite3_open(db, &w) == SQLITE_OK &&
                 sqlite3_exec(w,
                              "PRAGMA journal_mode=DELETE; PRAGMA locking_mode=EXCLUSIVE; "
                              "BEGIN EXCLUSIVE",
                              NULL, NULL, NULL) == SQLITE_OK;
        if (write(ready[1], ok ? "1" : "0", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        _exit(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) == SQLITE_OK && sqlite3_close(w) == 0
                  ? 0
                  : 3);
    }
    ASSERT_TRUE(pid > 0);
    char c = 0;
    ASSERT_EQ_INT(read(ready[0], &c, 1), 1);
    ASSERT_EQ_INT(c, '1');
    snprintf(sdir, sizeof sdir, "%s/locked-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    char eb[TP_ERR_MAX], *rep = NULL;
    size_t replen = 0;
    struct importer_opts o;
    importer_opts_init(&o);
    o.report = open_memstream(&rep, &replen);
    o.progress = IMPORTER_PROGRESS_OFF;
    memset(&st, 0, sizeof st);
    const char *one[] = {db};
    int rc = importer_run(s, one, 1, &o, &st, eb);
    fclose(o.report);
    ASSERT_EQ_INT(write(go[1], "g", 1), 1);
    int status;
    ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The file failed, not the import. */
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(st.files_failed, 1);
    ASSERT_CONTAINS(rep, "locked.db: busy (OpenCode is writing); read again later");
    free(rep);
    ASSERT_EQ_INT(fixture_stored(s), 0);
    ASSERT_EQ_INT(import_db(s, db, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 5);
    store_close(s);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}

/* The 1.1 storage tree (agents_reference.py, "opencode (by hand)
 * storage"): 4 calls (the running bash is not one yet), the rejected edit
 * all wait, the sub-agent's grep in its parent's session; 2 requests. */
static void test_storage_tree(void)
{
    isolate(NULL);
    char dir[PATH_MAX], sdir[PATH_MAX];
    FIXTURE_DATA_PATH(dir, HAND_STORAGE);
    snprintf(sdir, sizeof sdir, "%s/tree-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    char eb[TP_ERR_MAX];
    struct importer_opts o;
    importer_opts_init(&o);
    o.report = NULL;
    o.progress = IMPORTER_PROGRESS_OFF;
    struct importer_root root = {.path = dir, .agent = IMPORTER_OPENCODE, .recursive = 1};
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.res.inserted, 4);
    ASSERT_EQ_INT(st.agent[IMPORTER_OPENCODE].files, 8); /* 5 parts, 3 messages */
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 4);
    const struct row *b = row_find(&rs, "prt_a1_1"), *r = row_find(&rs, "prt_a1_2"),
                     *e = row_find(&rs, "prt_a1_4"), *g = row_find(&rs, "prt_b1_1");
    ASSERT_TRUE(b && r && e && g);
    ASSERT_EQ_INT(b->ok, 0);
    ASSERT_EQ_DBL(b->exec, 2500, 0);
    ASSERT_EQ_DBL(r->exec, 30, 0);
    ASSERT_EQ_INT(e->ok, 0);
    ASSERT_EQ_INT(e->ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(e->wait, 2500, 0);
    ASSERT_TRUE(isnan(e->exec));
    ASSERT_STREQ(g->session, "ses_main");
    ASSERT_EQ_DBL(g->exec, 200, 0);
    ASSERT_STREQ(b->project, "/home/dev/shop");
    struct reqs rq = {0};
    store_requests(s, store_str_id(s, "ses_main"), 0, 0, req_cb, &rq);
    ASSERT_EQ_INT(rq.n, 2);
    ASSERT_EQ_INT(rq.in, 800 + 300);
    ASSERT_EQ_INT(rq.out, 70 + 20);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 8);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);
    store_close(s);
}

/* A storage tree with parts toolprof cannot read fully
 * (agents/opencode-odd; its story is in make_agents.py): a status none of
 * OpenCode's, and a missing one, are reported and skipped; a session
 * without its file is reported once, its calls stored without project.
 * 3 calls, 2 parts malformed, 3 lines reported. */
static void test_storage_odd_parts(void)
{
    isolate(NULL);
    char dir[PATH_MAX], sdir[PATH_MAX];
    FIXTURE_DATA_PATH(dir, HAND_ODD);
    char *real = realpath(dir, NULL);
    ASSERT_TRUE(real != NULL);
    snprintf(sdir, sizeof sdir, "%s/odd-data", tmp_dir());
    struct store *s = fixture_store_open(sdir);
    struct importer_stats st;
    char eb[TP_ERR_MAX], *report = NULL;
    size_t rlen = 0;
    struct importer_opts o;
    importer_opts_init(&o);
    o.progress = IMPORTER_PROGRESS_OFF;
    o.report = open_memstream(&report, &rlen);
    struct importer_root root = {.path = dir, .agent = IMPORTER_OPENCODE, .recursive = 1};
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    fclose(o.report);
    char want[8 * PATH_MAX];
    snprintf(want, sizeof want,
             "%s/part/msg_g1/prt_g1_1.json: session ses_gone has no file "
             "%s/session/*/ses_gone.json: its project and version are unknown\n"
             "%s/part/msg_k1/prt_k1_1.json: tool part prt_k1_1: status \"success\" is none of "
             "OpenCode's (pending, running, completed, error): skipped\n"
             "%s/part/msg_k1/prt_k1_3.json: tool part prt_k1_3: status missing is none of "
             "OpenCode's (pending, running, completed, error): skipped\n",
             dir, real, dir, dir);
    ASSERT_STREQ(report, want);
    free(report);
    free(real);
    ASSERT_EQ_INT(st.agent[IMPORTER_OPENCODE].files, 6); /* 5 parts, 1 message */
    ASSERT_EQ_INT(st.malformed, 2);
    ASSERT_EQ_INT(st.res.inserted, 3);
    struct rows rs;
    rows_of(s, &rs);
    ASSERT_EQ_INT(rs.n, 3);
    const struct row *g1 = row_find(&rs, "prt_g1_1"), *g2 = row_find(&rs, "prt_g1_2"),
                     *k2 = row_find(&rs, "prt_k1_2");
    ASSERT_TRUE(g1 && g2 && k2);
    /* Without its session's directory no permission rules are known: the
     * wall may hold an approval, so no exec. */
    ASSERT_STREQ(g1->session, "ses_gone");
    ASSERT_STREQ(g1->project, "");
    ASSERT_EQ_INT(g1->ok, 1);
    ASSERT_EQ_DBL(g1->wall, 400, 0);
    ASSERT_TRUE(isnan(g1->exec));
    ASSERT_EQ_DBL(g2->wall, 50, 0);
    ASSERT_STREQ(k2->project, "/home/dev/shop");
    ASSERT_EQ_DBL(k2->exec, 20, 0);
    o.report = NULL;
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(importer_run_roots(s, &root, 1, &o, &st, eb), 0);
    ASSERT_EQ_INT(st.files_unchanged, 6);
    ASSERT_EQ_INT(st.res.inserted + st.res.merged, 0);
    store_close(s);
}

TEST_MAIN(TEST_CASE(test_db_while_open_for_writing), TEST_CASE(test_permission_rules),
          TEST_CASE(test_locked_db_is_busy), TEST_CASE(test_storage_tree),
          TEST_CASE(test_storage_odd_parts))
