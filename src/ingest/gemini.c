/*
 * gemini.c - Gemini CLI chat recordings into operations (see gemini.h).
 *
 * Calls and requests are collected in two maps keyed by their ids (kmap
 * gives dense indexes; the records live in arrays beside it), so that the
 * last record of a message, which repeats every call the message had
 * before, replaces what its earlier records gave instead of adding to it.
 * gemini_flush() hands the collection to the caller and starts a new one;
 * a later read that meets the same call again hands it again, and the
 * store recognises it by its id.
 *
 * A record is parsed with cJSON; metadata, $set and $rewindTo records are
 * small, and a message record is what we need anyway.
 */
#include "gemini.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/gemhook.h"
#include "ingest/toolcall.h"

/* The largest legacy .json document read. */
#define GEMINI_MAX_DOCUMENT ((size_t)TP_MAX_SEED_FILE)
/* A call id's clock is trusted as the call's start when it is at most this
 * long before the call's recorded end. */
#define GEMINI_MAX_CALL_MS (24LL * 3600 * 1000)
/* A hook run belongs to a call when it started within the call's span,
 * give or take this much (the two clocks are the same process's). */
#define GEMINI_HOOK_SLACK_MS 1000

struct gemini {
    struct agentfile_out *out;
    char *session, *subagent, *parent, *project, *version;
    struct kmap calls; /* call key -> index into ops */
    struct op *ops;
    int64_t *op_off;
    uint64_t *op_args; /* per op: the hash of its arguments (gemhook.h) */
    int64_t *op_end;   /* per op: its recorded end */
    size_t nops, aops;
    char *hooks_dir; /* where the hooks' facts are (NULL: none) */
    struct gemhook_run *runs;
    size_t nruns;
    int runs_loaded;
    struct kmap reqs; /* message id -> index into rq */
    struct request *rq;
    size_t nrq, arq;
};

static void set(char **f, const char *s)
{
    free(*f);
    *f = s ? xstrdup(s) : NULL;
}

struct gemini *gemini_new(struct agentfile_out *out, const char *parent_session,
                          const char *project)
{
    struct gemini *g = xcalloc(1, sizeof *g);
    g->out = out;
    set(&g->parent, parent_session);
    set(&g->project, project);
    kmap_init(&g->calls);
    kmap_init(&g->reqs);
    return g;
}

static void collection_clear(struct gemini *g)
{
    for (size_t i = 0; i < g->nops; i++)
        op_clear(&g->ops[i]);
    for (size_t i = 0; i < g->nrq; i++)
        request_clear(&g->rq[i]);
    g->nops = g->nrq = 0;
    kmap_clear(&g->calls);
    kmap_clear(&g->reqs);
}

void gemini_free(struct gemini *g)
{
    if (!g)
        return;
    collection_clear(g);
    kmap_free(&g->calls);
    kmap_free(&g->reqs);
    free(g->ops);
    free(g->op_off);
    free(g->op_args);
    free(g->op_end);
    free(g->runs);
    free(g->hooks_dir);
    free(g->rq);
    free(g->session);
    free(g->subagent);
    free(g->parent);
    free(g->project);
    free(g->version);
    free(g);
}

void gemini_set_hooks_dir(struct gemini *g, const char *data_dir)
{
    set(&g->hooks_dir, data_dir);
}

static int cmp_by_ts(const void *a, const void *b, void *ctx)
{
    const struct op *ops = ctx;
    int64_t x = ops[*(const size_t *)a].ts_ms, y = ops[*(const size_t *)b].ts_ms;
    return x < y ? -1 : x > y;
}

/* Give each call the execution its BeforeTool/AfterTool hooks saw: the
 * first run not given yet with its tool and arguments that started within
 * the call's span (calls taken in the order they started). */
static void apply_hooks(struct gemini *g)
{
    if (!g->hooks_dir || !g->session || !g->nops)
        return;
    if (!g->runs_loaded) {
        g->runs_loaded = 1;
        gemhook_load(g->hooks_dir, g->session, &g->runs, &g->nruns);
    }
    if (!g->nruns)
        return;
    size_t *idx = xcalloc(g->nops, sizeof *idx);
    for (size_t i = 0; i < g->nops; i++)
        idx[i] = i;
    qsort_r(idx, g->nops, sizeof *idx, cmp_by_ts, g->ops);
    for (size_t k = 0; k < g->nops; k++) {
        size_t i = idx[k];
        struct op *op = &g->ops[i];
        for (size_t r = 0; r < g->nruns; r++) {
            struct gemhook_run *run = &g->runs[r];
            if (run->used || run->args != g->op_args[i] || strcmp(run->tool, op->tool) != 0 ||
                run->start_ms < op->ts_ms - GEMINI_HOOK_SLACK_MS ||
                run->start_ms > g->op_end[i] + GEMINI_HOOK_SLACK_MS)
                continue;
            run->used = 1;
            op_set_phase(op, OP_PH_EXEC, (double)(run->end_ms - run->start_ms), OP_EX_DERIVED,
                         PHS_HOOK);
            toolcall_meta_str(op, "duration_from", "hook");
            break;
        }
    }
    free(idx);
}

void gemini_flush(struct gemini *g)
{
    apply_hooks(g);
    for (size_t i = 0; i < g->nops; i++) {
        struct op *src = &g->ops[i];
        toolcall_meta_str(src, "duration_from", isnan(src->duration_ms) ? "none" : "timestamps");
        struct op *op = agentfile_out_op(g->out, g->op_off[i]);
        *op = *src;
        op_init(&g->ops[i]);
    }
    for (size_t i = 0; i < g->nrq; i++) {
        struct request *r = agentfile_out_request(g->out);
        *r = g->rq[i];
        request_init(&g->rq[i]);
    }
    collection_clear(g);
}

/* ---- metadata ------------------------------------------------------------ */

static void on_metadata(struct gemini *g, const cJSON *m)
{
    const char *sid = jin_str(m, "sessionId");
    const char *kind = jin_str(m, "kind");
    const char *parent = jin_str(m, "parentSessionId");
    if (!parent)
        parent = g->parent;
    if (sid && !g->session && !g->subagent) {
        if ((kind && strcmp(kind, "subagent") == 0 && parent) ||
            (parent && strcmp(parent, sid) != 0)) {
            set(&g->session, parent);
            set(&g->subagent, sid);
        } else {
            set(&g->session, sid);
        }
    }
    if (!g->project) {
        const cJSON *dirs = jin_get(m, "directories");
        if (cJSON_IsArray(dirs) && cJSON_IsString(dirs->child))
            set(&g->project, dirs->child->valuestring);
    }
    const char *v = jin_str(m, "cliVersion");
    if (!v)
        v = jin_str(m, "version");
    if (v)
        set(&g->version, v);
}

/* ---- calls ------------------------------------------------------------------ */

static const char *const never_ask[] = {
    "read_file",
    "read_many_files",
    "glob",
    "grep_search",
    "grep",
    "search_file_content",
    "list_directory",
    "google_web_search",
    "write_todos",
    "list_background_processes",
    "read_background_output",
    "update_topic",
    "invoke_agent",
    "get_internal_docs",
    "complete_task",
};

static int tool_never_asks(const char *tool)
{
    for (size_t i = 0; i < sizeof never_ask / sizeof never_ask[0]; i++)
        if (strcmp(tool, never_ask[i]) == 0)
            return 1;
    return 0;
}

/* The clock in a call id "<name>_<13 digits>_<n>" (after an optional
 * "<name>__" prefix), or -1. */
static int64_t id_clock(const char *id)
{
    /* The last "_<13 digits>_<digits>" in the id. */
    size_t n = strlen(id);
    size_t e = n;
    while (e > 0 && isdigit((unsigned char)id[e - 1]))
        e--;
    if (e == n || e < 15 || id[e - 1] != '_')
        return -1;
    size_t d = e - 1, s = d;
    while (s > 0 && isdigit((unsigned char)id[s - 1]))
        s--;
    if (d - s != 13 || s == 0 || id[s - 1] != '_')
        return -1;
    int64_t v = 0;
    for (size_t i = s; i < d; i++)
        v = v * 10 + (id[i] - '0');
    return v;
}

static const char *first_of(const cJSON *args, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = jin_str(args, keys[i]);
        if (s && *s)
            return s;
    }
    return NULL;
}

static void describe(struct op *op, const cJSON *args)
{
    static const char *const keys[] = {"command",  "file_path", "absolute_path", "path",
                                       "dir_path", "pattern",   "query",         "url",
                                       "prompt",   "fact",      "name",          "description"};
    const char *t = first_of(args, keys, sizeof keys / sizeof keys[0]);
    if (t) {
        op_sets(&op->target, t);
        return;
    }
    const cJSON *paths = jin_get(args, "paths");
    if (!paths)
        paths = jin_get(args, "include");
    if (cJSON_IsArray(paths)) {
        struct buf b;
        buf_init(&b, TP_MAX_TARGET);
        for (const cJSON *p = paths->child; p; p = p->next)
            if (cJSON_IsString(p) && buf_printf(&b, "%s%s", b.len ? " " : "", p->valuestring) != 0)
                break;
        if (b.len) {
            char *s = buf_steal(&b, NULL);
            op->target = s;
        } else {
            buf_free(&b);
        }
    }
}

/* The response of a call: result[0].functionResponse.response. */
static const cJSON *call_response(const cJSON *call)
{
    const cJSON *res = jin_get(call, "result");
    if (cJSON_IsArray(res)) {
        for (const cJSON *p = res->child; p; p = p->next) {
            const cJSON *fr = jin_get(p, "functionResponse");
            if (fr)
                return jin_get(fr, "response");
        }
    }
    return NULL;
}

static void on_call(struct gemini *g, const cJSON *call, int64_t msg_ms, int64_t off)
{
    const char *id = jin_str(call, "id"), *name = jin_str(call, "name");
    int64_t end = agentfile_iso_ms(jin_str(call, "timestamp"));
    if (!id || !*id || !name || !*name)
        return;
    if (end < 0)
        end = msg_ms;
    if (end < 0)
        return;
    char *key = agentfile_call_key(g->subagent ? g->subagent : g->session, id);
    int added;
    size_t i = kmap_put(&g->calls, key, strlen(key), &added);
    if (added) {
        if (g->nops == g->aops) {
            g->aops = g->aops ? g->aops * 2 : 64;
            g->ops = xreallocarray(g->ops, g->aops, sizeof *g->ops);
            g->op_off = xreallocarray(g->op_off, g->aops, sizeof *g->op_off);
            g->op_args = xreallocarray(g->op_args, g->aops, sizeof *g->op_args);
            g->op_end = xreallocarray(g->op_end, g->aops, sizeof *g->op_end);
        }
        g->nops++;
    } else {
        op_clear(&g->ops[i]);
    }
    struct op *op = &g->ops[i];
    op_init(op);
    g->op_off[i] = off;
    g->op_args[i] = gemhook_args_hash(jin_get(call, "args"));
    g->op_end[i] = end;
    op->tool_use_id = key;
    op->tool = xstrdup(name);
    op->source = OP_SRC_TRANSCRIPT;
    op->agent = xstrdup(GEMINI_AGENT);
    if (g->version)
        op->agent_version = xstrdup(g->version);
    if (g->session)
        op->session_id = xstrdup(g->session);
    if (g->subagent)
        op->subagent = xstrdup(g->subagent);
    if (g->project)
        op->project = xstrdup(g->project);

    int64_t start = id_clock(id);
    const char *start_from = "call_id";
    if (start < 0 || start > end || end - start > GEMINI_MAX_CALL_MS) {
        start = msg_ms >= 0 && msg_ms <= end ? msg_ms : end;
        start_from = "message";
    }
    op->ts_ms = start;
    describe(op, jin_get(call, "args"));

    const char *status = jin_str(call, "status");
    const cJSON *resp = call_response(call);
    const char *output = jin_str(resp, "output");
    const char *error = jin_str(resp, "error");
    if (output)
        op->result_bytes = (int64_t)strlen(output);
    int code = -1;
    if (strcmp(name, "run_shell_command") == 0 && output)
        code = agentfile_exit_code(output);
    int cancelled = status && strcmp(status, "cancelled") == 0;
    op->success = !((status && strcmp(status, "success") != 0) || code > 0);
    if (code >= 0)
        toolcall_meta_int(op, "exit_code", code);
    if (!op->success) {
        if (cancelled)
            op->error = xstrdup("cancelled");
        else if (error)
            op->error = agentfile_first_text_line(error, 300);
        else if (code > 0) {
            char buf[64];
            snprintf(buf, sizeof buf, "exit code %d", code);
            op->error = xstrdup(buf);
        } else {
            const char *disp = jin_str(call, "resultDisplay");
            op->error = agentfile_first_text_line(disp ? disp : output, 300);
        }
        if (!op->error)
            op->error = xstrdup(status ? status : "error");
    }
    if (cancelled)
        toolcall_meta_str(op, "outcome", "cancelled");
    const char *agent_id = jin_str(call, "agentId");
    if (agent_id)
        toolcall_meta_str(op, "agent_id", agent_id);

    double wall = (double)(end - start);
    op_set_phase(op, OP_PH_WALL, wall, OP_EX_ESTIMATED, PHS_TIMESTAMPS);
    if (tool_never_asks(name)) {
        op->ask = OP_ASK_NO;
        op_set_phase(op, OP_PH_EXEC, wall, OP_EX_ESTIMATED, PHS_TIMESTAMPS);
    } else {
        op->ask = OP_ASK_MAYBE;
    }
    toolcall_meta_str(op, "start_from", start_from);
}

static void on_request(struct gemini *g, const char *id, const cJSON *tokens, const char *model,
                       int64_t ms)
{
    if (!cJSON_IsObject(tokens) || !g->session)
        return;
    int added;
    size_t i = kmap_put(&g->reqs, id, strlen(id), &added);
    if (added) {
        if (g->nrq == g->arq) {
            g->arq = g->arq ? g->arq * 2 : 64;
            g->rq = xreallocarray(g->rq, g->arq, sizeof *g->rq);
        }
        g->nrq++;
    } else {
        request_clear(&g->rq[i]);
    }
    struct request *r = &g->rq[i];
    request_init(r);
    /* Message ids are UUIDs in Gemini CLI's files; a short one ("m2") is
     * only its session's, and request ids are the store's keys. */
    r->id = agentfile_call_key(g->subagent ? g->subagent : g->session, id);
    r->session_id = xstrdup(g->session);
    if (g->project)
        r->project = xstrdup(g->project);
    if (model)
        r->model = xstrdup(model);
    r->start_ms = ms;
    r->sidechain = g->subagent != NULL;
    r->source = OP_SRC_TRANSCRIPT;
    double in = -1, out = -1, cached = 0, thoughts = 0;
    jin_num(tokens, "input", &in);
    jin_num(tokens, "output", &out);
    jin_num(tokens, "cached", &cached);
    jin_num(tokens, "thoughts", &thoughts);
    /* Gemini counts cached tokens inside the input, and thoughts apart from
     * the output; toolprof keeps cache reads apart and counts thoughts as
     * output, as the other agents report them. */
    r->input_tokens = in >= 0 ? (int64_t)(in - (cached > 0 && cached <= in ? cached : 0)) : -1;
    r->cache_read_tokens = (int64_t)(cached > 0 ? cached : 0);
    r->output_tokens = out >= 0 ? (int64_t)(out + (thoughts > 0 ? thoughts : 0)) : -1;
}

static void on_message(struct gemini *g, const cJSON *m, int64_t off)
{
    const char *id = jin_str(m, "id"), *type = jin_str(m, "type");
    if (!id || !type || strcmp(type, "gemini") != 0)
        return;
    int64_t ms = agentfile_iso_ms(jin_str(m, "timestamp"));
    const cJSON *calls = jin_get(m, "toolCalls");
    if (cJSON_IsArray(calls))
        for (const cJSON *c = calls->child; c; c = c->next)
            on_call(g, c, ms, off);
    if (ms >= 0)
        on_request(g, id, jin_get(m, "tokens"), jin_str(m, "model"), ms);
}

static void on_record(struct gemini *g, const cJSON *r, int64_t off)
{
    if (jin_str(r, "$rewindTo"))
        return; /* what ran before the rewind stays counted (gemini.h) */
    const cJSON *s = jin_get(r, "$set");
    if (cJSON_IsObject(s)) {
        on_metadata(g, s);
        const cJSON *msgs = jin_get(s, "messages");
        if (cJSON_IsArray(msgs))
            for (const cJSON *m = msgs->child; m; m = m->next)
                on_message(g, m, off);
        return;
    }
    if (jin_str(r, "sessionId") && jin_str(r, "projectHash")) {
        on_metadata(g, r);
        return;
    }
    if (jin_str(r, "id"))
        on_message(g, r, off);
}

int gemini_feed(struct gemini *g, const char *line, size_t len, int64_t off, char *errbuf)
{
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    if (!len)
        return 0;
    /* Messages of other types (user prompts with their context, info) are
     * most of the bytes: skip them unparsed. */
    static const char *const keys[] = {"type"};
    struct jscan_val v;
    if (jscan_top(line, len, keys, 1, &v) == 1 && v.type == JSCAN_STRING &&
        !(v.n == 6 && memcmp(v.p, "gemini", 6) == 0) && line[0] == '{')
        return 0;
    char eb[TP_ERR_MAX];
    cJSON *r = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    if (!r)
        return tp_fail(errbuf, TP_EPARSE, "%s", eb);
    if (cJSON_IsObject(r))
        on_record(g, r, off);
    cJSON_Delete(r);
    return 0;
}

int gemini_feed_document(struct gemini *g, const char *text, size_t len, char *errbuf)
{
    char eb[TP_ERR_MAX];
    cJSON *d = jin_parse(text, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    if (!d)
        return tp_fail(errbuf, TP_EPARSE, "%s", eb);
    if (!cJSON_IsObject(d)) {
        cJSON_Delete(d);
        return tp_fail(errbuf, TP_EPARSE, "not a Gemini CLI chat (not an object)");
    }
    on_metadata(g, d);
    const cJSON *msgs = jin_get(d, "messages");
    if (cJSON_IsArray(msgs))
        for (const cJSON *m = msgs->child; m; m = m->next)
            on_message(g, m, -1);
    cJSON_Delete(d);
    return 0;
}

int gemini_sniff(const char *head, size_t n)
{
    static const char *const keys[] = {"sessionId", "projectHash", "messages"};
    struct jscan_val v[3];
    size_t i = 0;
    while (i < n && isspace((unsigned char)head[i]))
        i++;
    if (i == n || head[i] != '{')
        return 0;
    jscan_top(head + i, n - i, keys, 3, v);
    if (v[0].type != JSCAN_STRING || v[1].type != JSCAN_STRING)
        return 0;
    /* The document holds its messages; the JSONL metadata line does not. */
    if (v[2].type != JSCAN_NONE)
        return 2;
    const char *nl = memchr(head + i, '\n', n - i);
    return nl || n < 4096 ? 1 : 2;
}

/* ---- import ----------------------------------------------------------------------- */

struct reader {
    struct gemini *g;
    struct agentfile_out out;
    struct agentfile_batch *b;
    struct agentfile_stats *st;
    const char *key, *path;
    int fd;
    const struct stat *sb;
    const int *cancel;
    char *errbuf;
};

static int on_line(void *ctx, const char *line, size_t len, int64_t off, int64_t end)
{
    struct reader *r = ctx;
    char eb[TP_ERR_MAX];
    FILE *rep = agentfile_batch_report(r->b);
    r->st->lines++;
    if (len == (size_t)-1) {
        r->st->malformed++;
        if (rep)
            fprintf(rep, "%s:%lld: line longer than %d bytes, skipped\n", r->path,
                    (long long)agentfile_line_at(r->fd, off), TP_MAX_LINE);
        return 0;
    }
    if (gemini_feed(r->g, line, len, off, eb) != 0) {
        r->st->malformed++;
        if (rep)
            fprintf(rep, "%s:%lld: %s\n", r->path, (long long)agentfile_line_at(r->fd, off), eb);
    }
    if (r->g->nops >= 5000 || (r->cancel && __atomic_load_n(r->cancel, __ATOMIC_RELAXED))) {
        gemini_flush(r->g);
        struct store_mark m;
        filemark_set(&m, r->key, r->fd, r->sb, end, end);
        int rc = agentfile_batch_add(r->b, r->path, r->fd, &r->out, &m, 1, r->st, r->errbuf);
        if (rc == 0 && r->cancel && __atomic_load_n(r->cancel, __ATOMIC_RELAXED))
            rc = tp_fail(r->errbuf, TP_EAGAIN, "%s: import cancelled", r->path);
        return rc;
    }
    return 0;
}

int gemini_import_fd(struct agentfile_batch *b, const char *key, const char *path, int fd,
                     const struct stat *sb, const struct filemark_plan *plan,
                     const char *parent_session, const char *project, const char *hooks_dir,
                     const int *cancel, struct agentfile_stats *st, char *errbuf)
{
    struct reader r = {
        .b = b,
        .st = st,
        .key = key,
        .path = path,
        .fd = fd,
        .sb = sb,
        .cancel = cancel,
        .errbuf = errbuf,
    };
    r.g = gemini_new(&r.out, parent_session, project);
    gemini_set_hooks_dir(r.g, hooks_dir);
    char head[4096];
    ssize_t hn = pread(fd, head, sizeof head, 0);
    int kind = hn > 0 ? gemini_sniff(head, (size_t)hn) : 1;
    int rc = 0;
    if (kind == 2) {
        /* A document is rewritten whole: read whole, whatever the plan. */
        char *text;
        size_t len;
        rc = agentfile_slurp(fd, GEMINI_MAX_DOCUMENT, &text, &len);
        if (rc == TP_ETOOBIG) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "%s: over %zu bytes, skipped", path,
                         GEMINI_MAX_DOCUMENT);
            goto out;
        } else if (rc != 0) {
            rc = tp_fail(errbuf, TP_EIO, "%s: cannot read it", path);
            goto out;
        }
        st->bytes += len;
        char eb[TP_ERR_MAX];
        if (gemini_feed_document(r.g, text, len, eb) != 0) {
            st->malformed++;
            FILE *rep = agentfile_batch_report(b);
            if (rep)
                fprintf(rep, "%s: %s\n", path, eb);
        }
        free(text);
        gemini_flush(r.g);
        struct store_mark m;
        filemark_set(&m, key, fd, sb, (int64_t)len, (int64_t)len);
        rc = agentfile_batch_add(b, path, fd, &r.out, &m, 0, st, errbuf);
        goto out;
    }
    /* A grown recording is read again from its start: which hook run
     * belongs to which call is decided over the whole session (gemhook.h),
     * and the files are small. */
    int64_t consumed = 0;
    rc = agentfile_lines(fd, path, 0, (int64_t)sb->st_size, plan->final, on_line, &r, &consumed,
                         &st->bytes, errbuf);
    if (rc == 0) {
        gemini_flush(r.g);
        struct store_mark m;
        filemark_set(&m, key, fd, sb, consumed, (int64_t)sb->st_size);
        rc = agentfile_batch_add(b, path, fd, &r.out, &m, 0, st, errbuf);
    }
out:
    agentfile_out_clear(&r.out);
    gemini_free(r.g);
    return rc;
}
