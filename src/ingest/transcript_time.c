/*
 * transcript_time.c - when the calls of a transcript ran and waited (see
 * transcript.h and docs/time.md): the model requests of each response, the
 * turns from a prompt to its end, the turn and cost-state accounting that
 * split a call's wall time into its wait and execution, and the finishing
 * of a pending call into an op.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jfield.h"
#include "core/jsonin.h"
#include "core/jscan.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"
#include "ingest/transcript_int.h"

/* ---- model requests and turns ----------------------------------------- */

/* snprintf(dst, size, "%s", s), without its cost. */
static void copy_str(char *dst, size_t size, const char *s)
{
    size_t n = s ? strnlen(s, size - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

/* Emit thread k's request as it stands (it stays open). */
void tc_req_emit(struct transcript *t, int k)
{
    struct tc_req *q = &t->req[k];
    if (t->nreqs == t->capreqs) {
        t->capreqs = t->capreqs ? 2 * t->capreqs : 64;
        t->reqs = xreallocarray(t->reqs, t->capreqs, sizeof *t->reqs);
    }
    struct request *r = &t->reqs[t->nreqs++];
    request_init(r);
    r->id = xstrdup(q->key);
    r->session_id = q->session[0] ? xstrdup(q->session) : NULL;
    r->project = q->cwd[0] ? xstrdup(q->cwd) : NULL;
    r->model = q->model[0] ? xstrdup(q->model) : NULL;
    r->start_ms = q->start_ms;
    if (q->end_ms >= q->start_ms) {
        r->duration_ms = (double)(q->end_ms - q->start_ms);
        /* From the client's own send time it is the request's wall time;
         * from the line before it, it may include the client's work. */
        r->exact = q->start_exact ? OP_EX_DERIVED : OP_EX_ESTIMATED;
        r->src = PHS_TIMESTAMPS;
    }
    r->input_tokens = q->tokens[0];
    r->output_tokens = q->tokens[1];
    r->cache_read_tokens = q->tokens[2];
    r->cache_write_tokens = q->tokens[3];
    r->sidechain = q->sidechain;
    r->source = OP_SRC_TRANSCRIPT;
}

/* Emit thread k's request, if one is open, and close it. */
void tc_req_close(struct transcript *t, int k)
{
    if (!t->req[k].open)
        return;
    tc_req_emit(t, k);
    t->req[k].open = 0;
}

/* The value of a top-level number member of an object's raw text. */
static int64_t raw_int(const struct jscan_val *v)
{
    if (v->type != JSCAN_OTHER || v->n == 0 || v->n > 18)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->p[i] < '0' || v->p[i] > '9')
            return -1;
        n = n * 10 + (v->p[i] - '0');
    }
    return n;
}

static void raw_copy(const struct jscan_val *v, char *dst, size_t size)
{
    dst[0] = '\0';
    if (v->type == JSCAN_STRING && jscan_unescape(v, dst, size) != 0)
        dst[0] = '\0';
}

/* What an assistant line says about its response's request. */
struct req_line {
    char ts[64], key[128], ref[64], session[128], cwd[1024], model[128];
    int sidechain;
    int64_t tokens[4]; /* input, output, cache read, cache write; -1 absent */
};

static const char *const req_keys[] = {"timestamp", "requestId", "requestRef", "isSidechain",
                                       "sessionId", "cwd",       "message"};
static const char *const req_mkeys[] = {"id", "model", "usage"};
static const char *const req_ukeys[] = {"input_tokens", "output_tokens", "cache_read_input_tokens",
                                        "cache_creation_input_tokens"};

/* The fields found without a parse (jscan): text and thinking lines never
 * need one. Returns 0, or -1 when the line has no message object. */
static int req_from_text(const char *s, size_t n, struct req_line *r)
{
    struct jscan_val v[7], m[3], u[4];
    if (jscan_top(s, n, req_keys, 7, v) < 0 || v[6].type != JSCAN_OTHER)
        return -1;
    if (jscan_top(v[6].p, v[6].n, req_mkeys, 3, m) < 0)
        return -1;
    raw_copy(&v[0], r->ts, sizeof r->ts);
    raw_copy(&v[1], r->key, sizeof r->key);
    raw_copy(&v[2], r->ref, sizeof r->ref);
    r->sidechain = v[3].type == JSCAN_OTHER && v[3].n == 4 && memcmp(v[3].p, "true", 4) == 0;
    raw_copy(&v[4], r->session, sizeof r->session);
    raw_copy(&v[5], r->cwd, sizeof r->cwd);
    char id[128];
    raw_copy(&m[0], id, sizeof id);
    if (!r->key[0])
        memcpy(r->key, id, sizeof id);
    raw_copy(&m[1], r->model, sizeof r->model);
    for (int i = 0; i < 4; i++)
        r->tokens[i] = -1;
    if (m[2].type == JSCAN_OTHER && jscan_top(m[2].p, m[2].n, req_ukeys, 4, u) >= 0)
        for (int i = 0; i < 4; i++)
            r->tokens[i] = raw_int(&u[i]);
    return 0;
}

/* A string member into dst as raw_copy() would: "" unless a string that
 * fits. */
static void doc_copy(struct jf_val obj, const char *key, char *dst, size_t size)
{
    struct jf_val v = jf_get(obj, key);
    dst[0] = '\0';
    if (jf_type(v) == JF_STRING && (size_t)jf_strlen(v) < size)
        memcpy(dst, jf_string(v), (size_t)jf_strlen(v) + 1);
}

/* raw_int() of a member of a parsed line. */
static int64_t doc_int(struct jf_val obj, const char *key)
{
    struct jscan_val v = {JSCAN_NONE, NULL, 0, 0};
    struct jf_val x = jf_get(obj, key);
    if (jf_present(x) && jf_type(x) != JF_STRING) {
        v.type = JSCAN_OTHER;
        v.p = jf_raw(x, &v.n);
    }
    return raw_int(&v);
}

/* The same fields from the line's document, read by the extractor.
 * Returns 0, -1 as req_from_text(), or 1 when a key is written with an
 * escape (then req_from_text() reads the line, as it always did). */
static int req_from_doc(struct jf_val root, struct req_line *r)
{
    struct jf_val msg = jf_get(root, "message"), usage = jf_get(msg, "usage");
    /* jscan compares keys as written, the extractor as read: the two agree
     * where no key is written with an escape. */
    if (jf_keys_escaped(root) || jf_keys_escaped(msg) || jf_keys_escaped(usage))
        return 1;
    if (jf_type(msg) != JF_OBJECT)
        return -1;
    doc_copy(root, "timestamp", r->ts, sizeof r->ts);
    doc_copy(root, "requestId", r->key, sizeof r->key);
    doc_copy(root, "requestRef", r->ref, sizeof r->ref);
    r->sidechain = jf_type(jf_get(root, "isSidechain")) == JF_TRUE;
    doc_copy(root, "sessionId", r->session, sizeof r->session);
    doc_copy(root, "cwd", r->cwd, sizeof r->cwd);
    if (!r->key[0])
        doc_copy(msg, "id", r->key, sizeof r->key);
    doc_copy(msg, "model", r->model, sizeof r->model);
    for (int i = 0; i < 4; i++)
        r->tokens[i] = jf_type(usage) == JF_OBJECT ? doc_int(usage, req_ukeys[i]) : -1;
    return 0;
}

/* Any assistant line: its response's request, from the line's document
 * when the extractor read it (root present), else from its text. */
void tc_on_assistant_request(struct transcript *t, const char *s, size_t n, int64_t offset,
                             struct jf_val root)
{
    struct req_line r;
    int rc = jf_present(root) ? req_from_doc(root, &r) : 1;
    if (rc == 1)
        rc = req_from_text(s, n, &r);
    if (rc != 0)
        return;
    int64_t ts;
    if (!r.ts[0] || tpt_parse_iso(r.ts, TPT_NAIVE_UTC, &ts) != 0)
        return;
    if (!r.key[0])
        return;
    int k = r.sidechain;
    struct tc_req *q = &t->req[k];
    if (q->open && strcmp(q->key, r.key) != 0)
        tc_req_close(t, k);
    if (!q->open) {
        memset(q, 0, sizeof *q);
        q->open = 1;
        q->sidechain = k;
        q->offset = offset;
        copy_str(q->key, sizeof q->key, r.key);
        q->start_ms = t->last_user_ms[k] ? t->last_user_ms[k] : ts;
        for (unsigned i = 0; r.ref[0] && i < TC_APIREQ_SLOTS && i < t->napireq; i++)
            if (strcmp(t->apireq[i].ref, r.ref) == 0) {
                q->start_ms = t->apireq[i].ms;
                q->start_exact = 1;
            }
        copy_str(q->session, sizeof q->session, r.session);
        copy_str(q->cwd, sizeof q->cwd, r.cwd);
        for (int i = 0; i < 4; i++)
            q->tokens[i] = -1;
    }
    if (ts > q->end_ms)
        q->end_ms = ts;
    if (!q->model[0])
        copy_str(q->model, sizeof q->model, r.model);
    /* Streamed lines repeat the usage with placeholders: keep the largest
     * of each count. */
    for (int i = 0; i < 4; i++)
        if (r.tokens[i] > q->tokens[i])
            q->tokens[i] = r.tokens[i];
    if (t->turn.open && ts > t->turn_last_ms)
        t->turn_last_ms = ts;
}

/* api-request lines: when the client sent a request (by its ref). */
void tc_on_api_request(struct transcript *t, const char *s, size_t n)
{
    static const char *const keys[] = {"id", "timestamp"};
    struct jscan_val v[2];
    char ts_text[64];
    int64_t ts;
    if (jscan_top(s, n, keys, 2, v) < 0)
        return;
    struct tc_apireq *a = &t->apireq[t->napireq % TC_APIREQ_SLOTS];
    raw_copy(&v[0], a->ref, sizeof a->ref);
    raw_copy(&v[1], ts_text, sizeof ts_text);
    if (!a->ref[0] || tpt_parse_iso(ts_text, TPT_NAIVE_UTC, &ts) != 0)
        return;
    a->ms = ts;
    t->napireq++;
}

/* Emit the turn that just ended (end_ms 0: unknown). */
void tc_turn_emit(struct transcript *t, int64_t end_ms, double active_ms)
{
    if (!t->turn.open || !t->turn_session[0])
        return;
    if (t->nturns == t->capturns) {
        t->capturns = t->capturns ? 2 * t->capturns : 16;
        t->turns_out = xreallocarray(t->turns_out, t->capturns, sizeof *t->turns_out);
    }
    struct turn *x = &t->turns_out[t->nturns++];
    turn_init(x);
    x->session_id = xstrdup(t->turn_session);
    x->start_ms = t->turn.start_ms;
    x->end_ms = end_ms >= t->turn.start_ms ? end_ms : 0;
    x->active_ms = active_ms;
    x->source = OP_SRC_TRANSCRIPT;
}

/* ---- turns ------------------------------------------------------------ */

/* Remember a call for later accounting. */
static void calls_push(struct tc_turn_call **v, size_t *n, size_t *alloc, const struct op *op,
                       double wall_ms, double hook_ms, int no_run)
{
    if (*n == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 16;
        *v = xreallocarray(*v, *alloc, sizeof **v);
    }
    struct tc_turn_call *x = &(*v)[(*n)++];
    x->id = xstrdup(op->tool_use_id);
    x->tool = xstrdup(op->tool);
    x->session = op->session_id ? xstrdup(op->session_id) : NULL;
    x->cwd = op->project ? xstrdup(op->project) : NULL;
    x->ts_ms = op->ts_ms;
    x->wall_ms = wall_ms;
    x->hook_ms = hook_ms;
    x->ask = op->ask;
    x->exec_ms = op->duration_ms;
    x->exec_exact = op->exact[OP_PH_EXEC];
    x->no_run = no_run;
    x->spawner = strcmp(op->tool, "Task") == 0 || strcmp(op->tool, "Agent") == 0;
}

/* Remember a call of the current turn whose wait is still unknown. */
static void turn_add(struct transcript *t, const struct op *op, double wall_ms, double hook_ms)
{
    if (t->turn.open) /* else no prompt seen: the turn's start is not known */
        calls_push(&t->turn.calls, &t->turn.n, &t->turn.alloc, op, wall_ms, hook_ms, 0);
}

/* Emit call x again with what accounting found. */
static struct op *emit_again(struct transcript *t, const struct tc_turn_call *x, int64_t offset)
{
    struct op *op = tc_op_push(t, offset);
    op->source = OP_SRC_TRANSCRIPT;
    op->tool = xstrdup(x->tool);
    op->tool_use_id = xstrdup(x->id);
    op->session_id = x->session ? xstrdup(x->session) : NULL;
    op->project = x->cwd ? xstrdup(x->cwd) : NULL;
    op->ts_ms = x->ts_ms;
    op->ask = x->ask;
    op_set_phase(op, OP_PH_WALL, x->wall_ms, OP_EX_DERIVED, PHS_TIMESTAMPS);
    if (x->hook_ms > 0)
        op_set_phase(op, OP_PH_HOOK, x->hook_ms, OP_EX_EXACT, PHS_TOOL);
    return op;
}

/* A cost-state line: the session's tool time so far. The calls of the
 * interval since the last one took total_ms - the last total together;
 * what the calls with a measured exec do not explain is the exec of the
 * ones without (derived when one such call is alone with exact ones,
 * estimated otherwise: in proportion to their wall times, and whenever a
 * sub-agent ran in the interval, whose tools count in the total but are
 * in another file). */
void tc_acct_close(struct transcript *t, double total_ms, int64_t offset)
{
    struct tc_acct *a = &t->acct;
    if (a->known && total_ms >= a->total_ms) {
        double left = total_ms - a->total_ms, walls = 0;
        size_t unknown = 0;
        int approx = 0;
        for (size_t i = 0; i < a->n; i++) {
            const struct tc_turn_call *x = &a->calls[i];
            if (x->no_run)
                continue;
            if (isnan(x->exec_ms)) {
                unknown++;
                walls += fmax(x->wall_ms - x->hook_ms, 0);
            } else {
                left -= x->exec_ms;
                approx |= x->exec_exact != OP_EX_EXACT || x->spawner;
            }
        }
        if (left < 0)
            left = 0;
        for (size_t i = 0; i < a->n && unknown; i++) {
            const struct tc_turn_call *x = &a->calls[i];
            if (x->no_run || !isnan(x->exec_ms))
                continue;
            double room = fmax(x->wall_ms - x->hook_ms, 0);
            double exec = unknown == 1 ? left : walls > 0 ? left * room / walls : 0;
            if (exec > room)
                exec = room;
            struct op *op = emit_again(t, x, a->offset);
            op_set_phase(op, OP_PH_EXEC, exec,
                         unknown == 1 && !approx ? OP_EX_DERIVED : OP_EX_ESTIMATED, PHS_TURN);
            t->st.turn_updates++;
        }
    }
    tc_calls_free(a->calls, a->n);
    a->n = 0;
    a->known = a->seen = 1;
    a->total_ms = total_ms;
    a->offset = offset;
}

/* The turn ended at end_ms after active_ms of work (its turn_duration
 * line): the rest of its wall time was spent waiting for the person. What
 * the questions and rejections of the turn do not explain belongs to the
 * calls that could have asked: all of it to the one such call (derived),
 * in proportion to their wall times when there are several (estimated).
 * Each call is emitted again with its wait and the exec that leaves
 * (estimated). */
void tc_turn_end(struct transcript *t, int64_t end_ms, double active_ms)
{
    struct tc_turn *tu = &t->turn;
    tc_turn_emit(t, end_ms, active_ms);
    if (!tu->open || end_ms < tu->start_ms) {
        tc_turn_reset(tu);
        return;
    }
    double wait = (double)(end_ms - tu->start_ms) - active_ms - tu->known_wait_ms;
    if (wait < 0)
        wait = 0;
    double total = 0;
    for (size_t i = 0; i < tu->n; i++)
        total += fmax(tu->calls[i].wall_ms - tu->calls[i].hook_ms, 0);
    for (size_t i = 0; i < tu->n; i++) {
        const struct tc_turn_call *x = &tu->calls[i];
        double room = fmax(x->wall_ms - x->hook_ms, 0);
        double share = total > 0 ? wait * room / total : 0;
        if (share > room)
            share = room;
        struct op *op = emit_again(t, x, tu->offset);
        op_set_phase(op, OP_PH_WAIT, share, tu->n == 1 ? OP_EX_DERIVED : OP_EX_ESTIMATED, PHS_TURN);
        /* The turn's figures are the client's own rounding of when it
         * waited: good to a few hundred ms, which is all of a short
         * call's execution. So the exec they leave is an estimate. */
        if (isnan(x->exec_ms))
            op_set_phase(op, OP_PH_EXEC, room - share, OP_EX_ESTIMATED, PHS_TURN);
        t->st.turn_updates++;
    }
    t->st.turns++;
    tu->seen = 1;
    tc_turn_reset(tu);
}

void tc_turn_start(struct transcript *t, int64_t ms, int64_t offset, const char *session)
{
    /* The turn before, when no turn_duration line ended it: it ended with
     * its last line. */
    if (t->turn.open)
        tc_turn_emit(t, t->turn_last_ms, NAN);
    copy_str(t->turn_session, sizeof t->turn_session, session);
    t->turn_last_ms = ms;
    /* Until the file shows cost-state lines, nothing will account for the
     * calls before this prompt: let them go (and the resume point with). */
    if (!t->acct.seen) {
        tc_calls_free(t->acct.calls, t->acct.n);
        t->acct.n = 0;
    }
    tc_turn_reset(&t->turn);
    t->turn.open = 1;
    t->turn.start_ms = ms;
    t->turn.offset = offset;
}

/* Describe the call from its input (toolcall.h): the input is a tree when
 * the tree parser read its line, else its text, read again here (it is
 * part of a line the extractor read, so the extractor reads it too; the
 * tree parser stands by all the same). */
static void describe(struct transcript *t, struct op *op, const struct tc_call *c,
                     const struct tc_result *r)
{
    struct jf_val tur = r ? r->tur : jf_tree(NULL);
    if (!c->input_raw) {
        toolcall_describe_val(op, jf_tree(c->input), tur);
        return;
    }
    if (jf_parse(t->input_doc, c->input_raw, c->input_len, 0, TP_MAX_JSON_DEPTH) == 0) {
        toolcall_describe_val(op, jf_root(t->input_doc), tur);
        return;
    }
    char err[TP_ERR_MAX];
    cJSON *in = jin_parse(c->input_raw, c->input_len, JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    toolcall_describe_val(op, jf_tree(in), tur);
    cJSON_Delete(in);
}

/* Turn a pending call into an op (and retire it). r is NULL for calls that
 * ended without a result; end_ms is then when that was noticed. */
void tc_call_finish(struct transcript *t, struct tc_call *c, const struct tc_result *r,
                    enum tc_outcome how, int64_t end_ms)
{
    struct op *op = tc_op_push(t, c->offset);
    const char *outcome = NULL, *from = "none", *adjusted = NULL;
    int64_t start = c->use_ms;

    op->source = OP_SRC_TRANSCRIPT;
    op->tool = c->name;
    c->name = NULL;
    describe(t, op, c, r);
    op->tool_use_id = xstrdup(c->id);
    op->session_id = c->session;
    op->project = c->cwd;
    c->session = c->cwd = NULL;

    /* Start: the end of the response for 1.x builds; after the calls it had
     * to queue behind. */
    struct tc_msg *m = c->msg >= 0 ? &t->msgs[c->msg] : NULL;
    if (c->old_build && m && m->last_use_ms > start) {
        start = m->last_use_ms;
        adjusted = "response_end";
    }
    if (r && m) {
        int me_serial = m->calls[c->msg_idx].serial;
        for (size_t j = 0; j < c->msg_idx; j++) {
            if (m->calls[j].done_ms < 0 || !(me_serial || m->calls[j].serial))
                continue;
            if (m->calls[j].done_ms > start && m->calls[j].done_ms <= r->ms) {
                start = m->calls[j].done_ms;
                adjusted = "queue";
            }
        }
        m->calls[c->msg_idx].done_ms = r->ms;
    }
    op->ts_ms = start;

    if (r) {
        const char *text = tc_content_text(r->content);
        const char *tur_text = jf_string(r->tur);
        int tur_error = tc_starts_with(tur_text, "Error:");
        int bash_intr = tc_is_true(r->tur, "interrupted");
        int rejected = tc_starts_with(text, "The user doesn't want to proceed with this tool use");
        double wall = (double)(r->ms - c->use_ms);

        op->success = !(r->is_error || tur_error || bash_intr);
        op->result_bytes = tc_content_bytes(r->content);
        if (!op->success) {
            if (rejected) {
                outcome = "rejected";
                op->error = xstrdup("rejected by user");
            } else if (bash_intr || tc_starts_with(text, "[Request interrupted by user")) {
                outcome = "interrupted";
                op->error = xstrdup("interrupted");
            } else {
                if (text && strstr(text, "Sibling tool call errored"))
                    outcome = "cancelled";
                op->error = tc_first_line(text);
                if (!op->error && tur_text)
                    op->error = tc_first_line(tur_text);
                if (!op->error)
                    op->error = xstrdup("error");
            }
        }

        /* The phases (docs/time.md): the wall time from start to result;
         * the PreToolUse hooks' time when an attachment reported it; the
         * exec from the tool's own timing, or from the timestamps when the
         * call could not have asked; otherwise the exec waits for the
         * turn's accounting (turn_end), and the wall alone is never shown
         * as execution. */
        int ask = r->ask != OP_ASK_UNKNOWN ? r->ask : toolcall_can_ask(op->tool, t->mode);
        double span = (double)(r->ms - start);
        if (span >= 0)
            op_set_phase(op, OP_PH_WALL, span, OP_EX_DERIVED, PHS_TIMESTAMPS);
        if (c->pre_hook_ms > 0)
            op_set_phase(op, OP_PH_HOOK, c->pre_hook_ms, OP_EX_EXACT, PHS_TOOL);
        double self = toolcall_self_duration_ms_val(op->tool, r->tur);
        if (!isnan(self)) {
            op_set_phase(op, OP_PH_EXEC, self, OP_EX_EXACT, PHS_TOOL);
            from = "tool";
        } else if ((strcmp(op->tool, "Task") == 0 || strcmp(op->tool, "Agent") == 0) &&
                   !isnan(self = tc_usage_tail_ms(r->content))) {
            op_set_phase(op, OP_PH_EXEC, self, OP_EX_EXACT, PHS_TOOL);
            from = "usage";
        } else if (!isnan(c->mcp_ms)) {
            op_set_phase(op, OP_PH_EXEC, c->mcp_ms, OP_EX_EXACT, PHS_TOOL);
            from = "mcp_progress";
        } else if (toolcall_is_human(op->tool) || rejected) {
            /* A question, or a prompt the person said no to: all wait
             * (and no wall: the tool never ran, so no exec is derived). */
            toolcall_meta_int(op, rejected ? "wait_ms" : "human_wait_ms", (long long)wall);
            op_set_phase(op, OP_PH_WALL, NAN, OP_EX_UNKNOWN, PHS_NONE);
            if (wall >= 0)
                op_set_phase(op, OP_PH_WAIT, wall, OP_EX_DERIVED, PHS_TIMESTAMPS);
            ask = OP_ASK_ASKED;
            if (wall >= 0)
                t->turn.known_wait_ms += wall;
        } else if (ask == OP_ASK_NO && span >= 0) {
            double d = span - c->pre_hook_ms;
            op_set_phase(op, OP_PH_EXEC, d > 0 ? d : 0, OP_EX_DERIVED, PHS_TIMESTAMPS);
            from = "timestamps";
        } else if (span >= 0) {
            from = "turn";
        }
        op->ask = ask;
        toolcall_meta_str(op, "duration_from", from);
        /* Keep the raw wall time next to a self-reported duration, so that
         * the two can be compared. */
        if (wall >= 0 && strcmp(from, "timestamps") != 0 && strcmp(from, "none") != 0)
            toolcall_meta_int(op, "wall_ms", (long long)wall);
        if (isnan(op->wait_ms) && ask != OP_ASK_NO && span >= 0)
            turn_add(t, op, span, c->pre_hook_ms);
        if (span >= 0 && !c->sidechain)
            calls_push(&t->acct.calls, &t->acct.n, &t->acct.alloc, op, span, c->pre_hook_ms,
                       rejected || (r->is_error && text && strstr(text, "hook error")));
    } else {
        op->success = 0;
        if (how == OUT_INTERRUPTED) {
            outcome = "interrupted";
            op->error = xstrdup("interrupted");
            if (end_ms >= start)
                toolcall_meta_int(op, "interrupted_after_ms", (long long)(end_ms - start));
            t->st.interrupted++;
        } else {
            outcome = "lost";
            op->error = xstrdup("no result");
            t->st.lost++;
        }
        toolcall_meta_str(op, "duration_from", from);
    }
    if (adjusted)
        toolcall_meta_str(op, "start_adjusted", adjusted);
    if (c->pre_hook_ms > 0)
        toolcall_meta_int(op, "pre_hook_ms", (long long)c->pre_hook_ms);
    if (c->agent)
        toolcall_meta_str(op, "agent_id", c->agent);
    if (c->agent && c->sidechain)
        op->subagent = xstrdup(c->agent);
    if (c->sidechain)
        toolcall_meta_bool(op, "sidechain", 1);
    if (outcome)
        toolcall_meta_str(op, "outcome", outcome);

    tc_call_retire(t, c);
    tc_call_free(c);
}

/* Emit every pending call that started before cutoff_ms as lost. Calls are
 * listed in file order, which is start order but for clock noise, so the
 * walk stops at the first younger call. */
void tc_flush_lost(struct transcript *t, int64_t cutoff_ms)
{
    while (t->head && t->head->use_ms < cutoff_ms)
        tc_call_finish(t, t->head, NULL, OUT_LOST, 0);
}
