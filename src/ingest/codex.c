/*
 * codex.c - Codex CLI rollouts into operations (see codex.h).
 *
 * Most lines of a rollout hold nothing about tool calls (the session's
 * instructions, world state, messages, reasoning): the line's `type` and
 * its payload's `type` are found with jscan without a parse, and only the
 * lines that matter are parsed with cJSON.
 *
 * Calls wait in a small array until their output comes; what the end
 * events say about a call (exit code, status, the command's own duration,
 * its end time, an MCP invocation) waits in another, keyed by call_id,
 * since the events come before the output line. A call's group is the run
 * of call lines it was streamed in: several calls in one run ran in
 * parallel, and their outputs are written together.
 *
 * Everything a call needs from the session (its id, cwd, version) and from
 * its turn (model, approval policy, sandbox) is copied into the call when
 * it starts, so that a turn_context arriving later does not change it.
 *
 * This file reads lines (which are worth a parse, the session, the turn,
 * model requests) and files (a resumed read, the import); codex_call.c
 * pairs calls with their end events and outputs into operations. What
 * they share is in codex_int.h.
 */
#include "codex.h"
#include "codex_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"

/* ---- small helpers ------------------------------------------------------ */

static int is(const struct jscan_val *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == JSCAN_STRING && v->n == n && memcmp(v->p, s, n) == 0;
}

/* A string member anywhere in an object tree (depth-limited). */
static const char *find_str(const cJSON *o, const char *key, int depth)
{
    if (!o || depth > 6)
        return NULL;
    const char *s = jin_str(o, key);
    if (s)
        return s;
    for (const cJSON *c = o->child; c; c = c->next)
        if (cJSON_IsObject(c) && (s = find_str(c, key, depth + 1)) != NULL)
            return s;
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

struct codex *codex_new(struct agentfile_out *out)
{
    struct codex *c = xcalloc(1, sizeof *c);
    c->out = out;
    c->input_ms = -1;
    c->turn_start_ms = -1;
    return c;
}

void codex_free(struct codex *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncalls; i++)
        cx_call_free(&c->calls[i]);
    for (size_t i = 0; i < c->nends; i++)
        cx_end_free(&c->ends[i]);
    free(c->calls);
    free(c->ends);
    struct ctx *x = &c->cx;
    free(x->session);
    free(x->subagent);
    free(x->cwd);
    free(x->version);
    free(x->model);
    free(x->policy);
    free(x->sandbox);
    free(x->turn_id);
    free(c->turn_start_id);
    free(c);
}

/* ---- turns and model requests -------------------------------------------------- */

static int64_t num_ms(const cJSON *o, const char *key)
{
    double v;
    return jin_num(o, key, &v) == 1 && v >= 0 ? (int64_t)v : -1;
}

static void on_turn_end(struct codex *c, const cJSON *p, int64_t ts, int aborted)
{
    const char *tid = jin_str(p, "turn_id");
    int64_t dur = num_ms(p, "duration_ms"), start = -1;
    if (c->turn_start_ms >= 0 && (!tid || !c->turn_start_id || strcmp(tid, c->turn_start_id) == 0))
        start = c->turn_start_ms;
    else if (dur >= 0)
        start = ts - dur;
    if (start >= 0 && c->cx.session) {
        struct turn *t = agentfile_out_turn(c->out);
        t->session_id = xstrdup(c->cx.session);
        t->start_ms = start;
        t->end_ms = ts;
        t->source = OP_SRC_TRANSCRIPT;
    }
    if (aborted) {
        /* Calls of the aborted turn that had no output were cut short. */
        for (size_t i = c->ncalls; i-- > 0;) {
            struct call *k = &c->calls[i];
            if (!tid || !k->turn_id || strcmp(k->turn_id, tid) == 0)
                cx_call_emit(c, k, NULL, ts, "interrupted");
        }
    }
    free(c->turn_start_id);
    c->turn_start_id = NULL;
    c->turn_start_ms = -1;
}

/* One model response's usage: {input_tokens, cached_input_tokens,
 * output_tokens, reasoning_output_tokens ...}. */
static void emit_request(struct codex *c, const char *id, const cJSON *usage, int64_t ts)
{
    if (!cJSON_IsObject(usage) || !id)
        return;
    struct request *r = agentfile_out_request(c->out);
    r->id = xstrdup(id);
    if (c->cx.session)
        r->session_id = xstrdup(c->cx.session);
    if (c->cx.cwd)
        r->project = xstrdup(c->cx.cwd);
    if (c->cx.model)
        r->model = xstrdup(c->cx.model);
    r->sidechain = c->cx.subagent != NULL;
    r->source = OP_SRC_TRANSCRIPT;
    double in = -1, cached = 0, out = -1, cw = -1;
    jin_num(usage, "input_tokens", &in);
    jin_num(usage, "cached_input_tokens", &cached);
    jin_num(usage, "output_tokens", &out);
    jin_num(usage, "cache_write_input_tokens", &cw);
    /* OpenAI counts cached tokens inside input_tokens; toolprof keeps them
     * apart, as Claude Code reports them. */
    r->input_tokens = in >= 0 ? (int64_t)(in - (cached > 0 && cached <= in ? cached : 0)) : -1;
    r->cache_read_tokens = cached >= 0 ? (int64_t)cached : -1;
    r->cache_write_tokens = cw >= 0 ? (int64_t)cw : -1;
    r->output_tokens = out >= 0 ? (int64_t)out : -1;
    if (c->input_ms >= 0 && ts >= c->input_ms) {
        r->start_ms = c->input_ms;
        r->duration_ms = (double)(ts - c->input_ms);
        r->exact = OP_EX_ESTIMATED;
        r->src = PHS_TIMESTAMPS;
    } else {
        r->start_ms = ts;
    }
}

/* ---- lines ------------------------------------------------------------------------ */

static void on_session_meta(struct codex *c, const cJSON *p)
{
    if (c->cx.session)
        return; /* the first one is the session's own (a fork repeats its parent's) */
    const char *id = jin_str(p, "id");
    if (!id)
        id = jin_str(p, "session_id");
    if (!id)
        return;
    const char *parent = find_str(jin_get(p, "source"), "parent_thread_id", 0);
    if (parent && strcmp(parent, id) != 0) {
        cx_set(&c->cx.session, parent);
        cx_set(&c->cx.subagent, id);
    } else {
        cx_set(&c->cx.session, id);
    }
    cx_set(&c->cx.cwd, jin_str(p, "cwd"));
    cx_set(&c->cx.version, jin_str(p, "cli_version"));
}

static void on_turn_context(struct codex *c, const cJSON *p)
{
    const char *m = jin_str(p, "model");
    if (m)
        cx_set(&c->cx.model, m);
    const cJSON *ap = jin_get(p, "approval_policy");
    if (cJSON_IsString(ap))
        cx_set(&c->cx.policy, ap->valuestring);
    else if (ap)
        cx_set(&c->cx.policy, cJSON_IsObject(ap) && ap->child ? ap->child->string : "custom");
    const cJSON *sp = jin_get(p, "sandbox_policy");
    const char *sb = jin_str(sp, "type");
    if (!sb)
        sb = jin_str(sp, "mode"); /* older rollouts */
    if (!sb)
        sb = jin_str(p, "sandbox_policy");
    if (sb)
        cx_set(&c->cx.sandbox, sb);
    const char *cwd = jin_str(p, "cwd");
    if (cwd && !c->cx.cwd)
        cx_set(&c->cx.cwd, cwd);
    cx_set(&c->cx.turn_id, jin_str(p, "turn_id"));
}

static int event_wanted(const struct jscan_val *t)
{
    static const char *const types[] = {
        "task_started",      "task_complete",    "turn_aborted",
        "token_count",       "exec_command_end", "patch_apply_end",
        "mcp_tool_call_end", "item_completed",   "user_message",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (is(t, types[i]))
            return 1;
    return 0;
}

static int item_wanted(const struct jscan_val *t)
{
    static const char *const types[] = {
        "function_call",           "custom_tool_call", "local_shell_call", "function_call_output",
        "custom_tool_call_output", "web_search_call",  "tool_search_call", "tool_search_output",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (is(t, types[i]))
            return 1;
    return 0;
}

static int is_call_type(const char *pty)
{
    return strcmp(pty, "function_call") == 0 || strcmp(pty, "custom_tool_call") == 0 ||
           strcmp(pty, "local_shell_call") == 0 || strcmp(pty, "tool_search_call") == 0;
}

/* A line worth a parse whose timestamp is missing or not a time (a
 * rollout Codex wrote always has one: this is a damaged or edited file).
 * Nothing on it can be timed. What that loses about a call is said (the
 * caller reports file and line): a call line is skipped; an output still
 * ends the call it answers, whose wall is then unknown. The other lines
 * (turn events, usage, end events, outputs of no call read) are skipped
 * quietly. Returns 0 or TP_EINVAL. */
static int untimed(struct codex *c, const char *t, const char *pty, const cJSON *p,
                   const cJSON *tsv, char *errbuf)
{
    char what[96];
    if (strcmp(t, "response_item") != 0 || !pty)
        return 0;
    if (cJSON_IsString(tsv))
        snprintf(what, sizeof what, "timestamp \"%.40s\" is not a time", tsv->valuestring);
    else
        snprintf(what, sizeof what, tsv ? "timestamp is not a string" : "no timestamp");
    if (is_call_type(pty) || strcmp(pty, "web_search_call") == 0)
        return tp_fail(errbuf, TP_EINVAL, "%s: the %s on this line was skipped", what, pty);
    const char *call_id = jin_str(p, "call_id");
    if (!call_id || !cx_waiting(c, call_id))
        return 0; /* answers no call read: nothing lost */
    cx_on_output(c, p, -1);
    return tp_fail(errbuf, TP_EINVAL, "%s: the end of call %.64s is unknown", what, call_id);
}

int codex_feed(struct codex *c, const char *line, size_t len, int64_t off, char *errbuf)
{
    static const char *const top_keys[] = {"type", "payload"};
    static const char *const ptype_key[] = {"type"};
    struct jscan_val tv[2], pt;
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    if (!len)
        return 0;
    if (jscan_top(line, len, top_keys, 2, tv) < 0 && tv[0].type == JSCAN_NONE)
        return tp_fail(errbuf, TP_EPARSE, "not a JSON object");
    const struct jscan_val *type = &tv[0], *payload = &tv[1];
    if (payload->type != JSCAN_OTHER)
        return 0;
    /* Decide from the types whether this line is worth a parse. */
    if (is(type, "response_item") || is(type, "event_msg")) {
        const char *pe = jscan_skip_value(payload->p, line + len);
        size_t pn = pe ? (size_t)(pe - payload->p) : (size_t)(line + len - payload->p);
        jscan_top(payload->p, pn, ptype_key, 1, &pt);
        if (is(type, "response_item")) {
            if (!item_wanted(&pt)) {
                if (is(&pt, "message") || is(&pt, "reasoning"))
                    c->last_was_call = 0;
                return 0;
            }
        } else if (!event_wanted(&pt)) {
            return 0;
        }
    } else if (!is(type, "session_meta") && !is(type, "turn_context") &&
               !is(type, "token_usage_record")) {
        return 0;
    }

    char eb[TP_ERR_MAX];
    cJSON *root = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    if (!root)
        return tp_fail(errbuf, TP_EPARSE, "%s", eb);
    const char *t = jin_str(root, "type");
    const cJSON *p = jin_get(root, "payload");
    int64_t ts = agentfile_iso_ms(jin_str(root, "timestamp"));
    if (!t || !cJSON_IsObject(p)) {
        cJSON_Delete(root);
        return 0;
    }
    const char *pty = jin_str(p, "type");
    int rc = 0;
    if (strcmp(t, "session_meta") == 0) {
        on_session_meta(c, p);
    } else if (strcmp(t, "turn_context") == 0) {
        on_turn_context(c, p);
    } else if (ts < 0) {
        rc = untimed(c, t, pty, p, jin_get(root, "timestamp"), errbuf);
    } else if (strcmp(t, "token_usage_record") == 0) {
        const char *rid = jin_str(p, "response_id");
        if (rid) {
            char *key = agentfile_call_key(c->cx.session, rid);
            emit_request(c, key, jin_get(p, "usage"), ts);
            free(key);
            c->usage_record_pending = 1;
        }
    } else if (strcmp(t, "response_item") == 0 && pty) {
        if (is_call_type(pty))
            cx_on_call(c, pty, p, ts, off);
        else if (strcmp(pty, "web_search_call") == 0)
            cx_on_web_search(c, p, ts, off);
        else
            cx_on_output(c, p, ts);
    } else if (strcmp(t, "event_msg") == 0 && pty) {
        if (strcmp(pty, "task_started") == 0) {
            cx_set(&c->turn_start_id, jin_str(p, "turn_id"));
            c->turn_start_ms = ts;
            c->input_ms = ts;
        } else if (strcmp(pty, "user_message") == 0) {
            c->input_ms = ts;
        } else if (strcmp(pty, "task_complete") == 0) {
            on_turn_end(c, p, ts, 0);
        } else if (strcmp(pty, "turn_aborted") == 0) {
            on_turn_end(c, p, ts, 1);
        } else if (strcmp(pty, "token_count") == 0) {
            if (c->usage_record_pending) {
                c->usage_record_pending = 0; /* the record before it said it all */
            } else {
                const cJSON *last = jin_get(jin_get(p, "info"), "last_token_usage");
                if (cJSON_IsObject(last) && c->cx.session) {
                    char id[TP_MAX_ID];
                    snprintf(id, sizeof id, "%s:%lld", c->cx.session, (long long)ts);
                    emit_request(c, id, last, ts);
                }
            }
        } else {
            cx_on_end(c, pty, p, ts);
        }
    }
    cJSON_Delete(root);
    return rc;
}

void codex_finish(struct codex *c, int final)
{
    if (!final)
        return;
    while (c->ncalls)
        cx_call_emit(c, &c->calls[0], NULL, -1, "lost");
}

int64_t codex_resume_offset(const struct codex *c, int64_t consumed)
{
    int64_t r = consumed;
    for (size_t i = 0; i < c->ncalls; i++)
        if (c->calls[i].off < r)
            r = c->calls[i].off;
    return r;
}

int codex_sniff(const char *head, size_t n)
{
    static const char *const keys[] = {"type", "payload"};
    struct jscan_val v[2];
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i == n || head[i] != '{')
        return 0;
    jscan_top(head + i, n - i, keys, 2, v);
    return is(&v[0], "session_meta");
}

int64_t codex_context_line(int fd, int64_t before)
{
    /* The needle sits within the first bytes of its line ({"timestamp":
     * "...", "type": "turn_context"}, or with "ordinal" between), so each
     * window is read with CODEX_CTX_LEAD bytes before it: a match in the
     * window always finds its line's start there. */
    static const char needle[] = "\"type\":\"turn_context\"";
    const size_t nl = sizeof needle - 1, chunk = 1u << 20;
    char *buf = xmalloc(chunk + 2 * CODEX_CTX_LEAD);
    int64_t end = before, found = -1;
    while (end > 0 && found < 0) {
        int64_t start = end > (int64_t)chunk ? end - (int64_t)chunk : 0;
        int64_t wstart = start > CODEX_CTX_LEAD ? start - CODEX_CTX_LEAD : 0;
        int64_t wend = end + (int64_t)nl <= before ? end + (int64_t)nl : before;
        size_t n = (size_t)(wend - wstart);
        ssize_t k = pread(fd, buf, n, wstart);
        if (k != (ssize_t)n)
            break;
        /* The last match that starts in [start, end). */
        for (int64_t i = end - 1; i >= start && found < 0; i--) {
            size_t at = (size_t)(i - wstart);
            if (at + nl > n || memcmp(buf + at, needle, nl) != 0)
                continue;
            size_t ls = at;
            while (ls > 0 && buf[ls - 1] != '\n' && at - ls < CODEX_CTX_LEAD)
                ls--;
            if ((ls == 0 && wstart == 0) || (ls > 0 && buf[ls - 1] == '\n'))
                if (buf[ls] == '{')
                    found = wstart + (int64_t)ls;
        }
        end = start;
    }
    free(buf);
    return found;
}

/* ---- import -------------------------------------------------------------------------- */

struct reader {
    struct codex *c;
    struct agentfile_out out;
    struct agentfile_batch *b;
    struct agentfile_stats *st;
    const char *key, *path;
    int fd;
    const struct stat *sb;
    const int *cancel;
    char *errbuf;
};

static int flush(struct reader *r, int64_t consumed, int64_t offset, int now)
{
    struct store_mark m;
    filemark_set(&m, r->key, r->fd, r->sb, codex_resume_offset(r->c, consumed), offset);
    return agentfile_batch_add(r->b, r->path, r->fd, &r->out, &m, now, r->st, r->errbuf);
}

static int on_line(void *ctx, const char *line, size_t len, int64_t off, int64_t end)
{
    struct reader *r = ctx;
    char eb[TP_ERR_MAX];
    r->st->lines++;
    if (len == (size_t)-1) {
        r->st->malformed++;
        FILE *rep = agentfile_batch_report(r->b);
        if (rep)
            fprintf(rep, "%s:%lld: line longer than %d bytes, skipped\n", r->path,
                    (long long)agentfile_line_at(r->fd, off), TP_MAX_LINE);
        return 0;
    }
    if (codex_feed(r->c, line, len, off, eb) != 0) {
        r->st->malformed++;
        FILE *rep = agentfile_batch_report(r->b);
        if (rep)
            fprintf(rep, "%s:%lld: %s\n", r->path, (long long)agentfile_line_at(r->fd, off), eb);
    }
    if (r->out.n >= 5000) {
        int rc = flush(r, end, end, 1);
        if (rc)
            return rc;
    }
    if (r->cancel && __atomic_load_n(r->cancel, __ATOMIC_RELAXED)) {
        int rc = flush(r, end, end, 1);
        return rc ? rc : tp_fail(r->errbuf, TP_EAGAIN, "%s: import cancelled", r->path);
    }
    return 0;
}

/* The line that starts at off (without its newline), malloc'd, or NULL. */
static char *line_at(int fd, int64_t off, size_t *len)
{
    char tmp[65536];
    struct buf lb;
    buf_init(&lb, TP_MAX_LINE);
    for (int64_t e = off;;) {
        ssize_t k = pread(fd, tmp, sizeof tmp, e);
        if (k <= 0)
            break;
        char *nl = memchr(tmp, '\n', (size_t)k);
        if (buf_add(&lb, tmp, nl ? (size_t)(nl - tmp) : (size_t)k) != 0) {
            buf_free(&lb);
            return NULL;
        }
        if (nl)
            return buf_steal(&lb, len);
        e += k;
    }
    buf_free(&lb);
    return NULL;
}

int codex_import_fd(struct agentfile_batch *b, const char *key, const char *path, int fd,
                    const struct stat *sb, const struct filemark_plan *plan, const int *cancel,
                    struct agentfile_stats *st, char *errbuf)
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
    r.c = codex_new(&r.out);
    int64_t start = plan->start;
    char eb[TP_ERR_MAX];
    if (start > 0) {
        /* The session, and the turn in force where the read resumes. */
        size_t n;
        char *line = line_at(fd, 0, &n);
        if (line)
            codex_feed(r.c, line, n, 0, eb);
        free(line);
        int64_t tc = codex_context_line(fd, start);
        if (tc > 0 && (line = line_at(fd, tc, &n)) != NULL) {
            codex_feed(r.c, line, n, tc, eb);
            free(line);
        }
    }
    int64_t consumed = start;
    int rc = agentfile_lines(fd, path, start, (int64_t)sb->st_size, plan->final, on_line, &r,
                             &consumed, &st->bytes, errbuf);
    if (rc == 0) {
        codex_finish(r.c, plan->final);
        /* Read to the file's end; resumed at the earliest call still
         * waiting, or at a last line still being written. */
        rc = flush(&r, consumed, (int64_t)sb->st_size, 0);
    }
    agentfile_out_clear(&r.out);
    codex_free(r.c);
    return rc;
}
