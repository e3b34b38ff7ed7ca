/*
 * otlp_spans.c - OTLP spans as calls with their exact phases, model
 * requests and turns (see otlp.h).
 *
 * Claude Code's enhanced telemetry (formats doc 3.7 and 9) exports, per
 * prompt, a claude_code.interaction span; under it claude_code.llm_request
 * spans and one claude_code.tool span per call, whose children split the
 * call: claude_code.tool.blocked_on_user (waiting for the permission
 * decision, with decision and source; it also holds the PreToolUse hooks'
 * time) and claude_code.tool.execution (the tool running, with success
 * and error). With the detailed beta, claude_code.hook spans show hooks.
 * Sub-agents' spans nest under the Agent tool's span.
 *
 * Children end before their parent and are exported first, sometimes in an
 * earlier request: a child whose parent is not in the batch waits in the
 * joins (by trace and parent id) for its parent to arrive. Exports made
 * concurrently (a span processor that sends each span as it ends) may
 * also arrive the other way round: the joins remember the calls made
 * lately from tool spans, and a child of one becomes a second report of
 * that call, which the store merges into the first (store.h).
 *
 * From a tool span and its children a call gets, all exact (trace spans):
 * its start and wall time (the tool span), its execution (the execution
 * span), whether it asked (the decision's source) and, when it asked, its
 * wait (the blocked span, less the hook spans' time when they are known:
 * derived then). A rejected call has no execution and failed.
 *
 * Other agents' tool spans follow the GenAI conventions: Gemini CLI
 * exports a tool_call span per call (gen_ai.tool.name,
 * gen_ai.tool.call_id, gen_ai.conversation.id) around the tool's run,
 * under schedule_tool_calls; it becomes a call with an exact execution
 * (genai_tool()). Its llm_call spans are not read: its
 * gemini_cli.api_response log records say the same with tokens.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/agentfile.h"
#include "ingest/otlp_sink.h"
#include "ingest/toolcall.h"

/* What a child span says about its call. */
enum child_kind { CH_NONE, CH_BLOCKED, CH_EXEC, CH_HOOK, CH_DECISION };

struct child {
    unsigned char key[24]; /* trace id, parent span id */
    enum child_kind kind;
    double ms;
    int ask;         /* CH_BLOCKED: enum op_ask */
    int rejected;    /* CH_BLOCKED */
    int success;     /* CH_EXEC: 1, 0, or -1 unknown */
    char error[256]; /* CH_EXEC; "" none (cut) */
    char source[32]; /* CH_BLOCKED: the decision's source */
    int64_t added_ms;
};

/* ---- joins ---------------------------------------------------------------------- */

/* A call made from a tool span, kept for its children that come later. */
struct made {
    unsigned char key[24]; /* trace id, the tool span's id */
    struct op op;          /* as emitted; tool NULL: an empty slot */
    int64_t added_ms;
};

struct otlp_joins {
    pthread_mutex_t lock;
    struct child *v; /* a ring: the oldest at head */
    size_t head, n;
    struct made *made; /* a ring of TP_OTLP_MADE_MAX: the next goes at made_next */
    size_t made_next;
};

struct otlp_joins *otlp_joins_new(void)
{
    struct otlp_joins *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    j->v = xcalloc(TP_OTLP_JOIN_MAX, sizeof *j->v);
    j->made = xcalloc(TP_OTLP_MADE_MAX, sizeof *j->made);
    return j;
}

void otlp_joins_free(struct otlp_joins *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    for (size_t i = 0; i < TP_OTLP_MADE_MAX; i++)
        op_clear(&j->made[i].op);
    free(j->made);
    free(j->v);
    free(j);
}

size_t otlp_joins_pending(struct otlp_joins *j)
{
    pthread_mutex_lock(&j->lock);
    size_t n = j->n;
    pthread_mutex_unlock(&j->lock);
    return n;
}

/* Keep a child for later; the oldest (and the expired) make room. */
static void joins_put(struct otlp_joins *j, const struct child *c, int64_t now_ms)
{
    pthread_mutex_lock(&j->lock);
    while (j->n &&
           (j->n == TP_OTLP_JOIN_MAX || now_ms - j->v[j->head].added_ms > TP_OTLP_JOIN_TTL_MS)) {
        j->head = (j->head + 1) % TP_OTLP_JOIN_MAX;
        j->n--;
    }
    struct child *slot = &j->v[(j->head + j->n) % TP_OTLP_JOIN_MAX];
    *slot = *c;
    slot->added_ms = now_ms;
    j->n++;
    pthread_mutex_unlock(&j->lock);
}

/* Take the children waiting for key (decision: CH_DECISION for a tool
 * decision, else CH_NONE for a span's children), calling fn for each. A taken entry
 * is marked empty (CH_NONE) in place; the ring skips those as it ages. */
static void joins_take(struct otlp_joins *j, const unsigned char *key, int decision,
                       void (*fn)(void *ctx, const struct child *c), void *ctx)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->n; i++) {
        struct child *c = &j->v[(j->head + i) % TP_OTLP_JOIN_MAX];
        if (c->kind != CH_NONE && (c->kind == CH_DECISION) == (decision == CH_DECISION) &&
            memcmp(c->key, key, sizeof c->key) == 0) {
            fn(ctx, c);
            c->kind = CH_NONE;
        }
    }
    while (j->n && j->v[j->head].kind == CH_NONE) {
        j->head = (j->head + 1) % TP_OTLP_JOIN_MAX;
        j->n--;
    }
    pthread_mutex_unlock(&j->lock);
}

/* Remember the call made from the tool span of key; the oldest makes room. */
static void made_put(struct otlp_joins *j, const unsigned char *key, const struct op *op,
                     int64_t now_ms)
{
    pthread_mutex_lock(&j->lock);
    struct made *m = &j->made[j->made_next];
    j->made_next = (j->made_next + 1) % TP_OTLP_MADE_MAX;
    op_clear(&m->op);
    memcpy(m->key, key, sizeof m->key);
    op_copy(&m->op, op);
    m->added_ms = now_ms;
    pthread_mutex_unlock(&j->lock);
}

/* A copy, into *op, of the call made from the tool span of key within
 * TP_OTLP_JOIN_TTL_MS; 0 when there is none. The call stays: its other
 * children may come later still. */
static int made_get(struct otlp_joins *j, const unsigned char *key, int64_t now_ms, struct op *op)
{
    int found = 0;
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < TP_OTLP_MADE_MAX && !found; i++) {
        const struct made *m = &j->made[i];
        if (m->op.tool && now_ms - m->added_ms <= TP_OTLP_JOIN_TTL_MS &&
            memcmp(m->key, key, sizeof m->key) == 0) {
            op_clear(op);
            op_copy(op, &m->op);
            found = 1;
        }
    }
    pthread_mutex_unlock(&j->lock);
    return found;
}

/* ---- tool decisions kept for their results (otlp_sink.h) ------------------------- */

/* A call key's place in the ring: two 64-bit hashes of it and its length,
 * so that two keys that collide are as unlikely as two random 128-bit
 * values. A span's key is never compared with these: they have their own
 * kind. */
static void decision_key(const char *call_key, unsigned char *key)
{
    size_t n = strlen(call_key);
    uint64_t a = hash_final(hash_bytes(HASH_SEED, call_key, n));
    uint64_t b = hash_final(hash_bytes(a ^ 0x9e3779b97f4a7c15ULL, call_key, n));
    uint64_t len = n;
    memcpy(key, &a, 8);
    memcpy(key + 8, &b, 8);
    memcpy(key + 16, &len, 8);
}

void otlp_joins_put_decision(struct otlp_joins *j, const char *call_key, int ask, int rejected,
                             int64_t now_ms)
{
    struct child c;
    memset(&c, 0, sizeof c);
    decision_key(call_key, c.key);
    c.kind = CH_DECISION;
    c.ask = ask;
    c.rejected = rejected;
    joins_put(j, &c, now_ms);
}

static void decision_read(void *ctx, const struct child *c)
{
    int *v = ctx;
    v[0] = 1;
    v[1] = c->ask;
    v[2] = c->rejected;
}

int otlp_joins_take_decision(struct otlp_joins *j, const char *call_key, int *ask, int *rejected)
{
    unsigned char key[24];
    int v[3] = {0, 0, 0};
    decision_key(call_key, key);
    joins_take(j, key, CH_DECISION, decision_read, v);
    if (v[0]) {
        *ask = v[1];
        *rejected = v[2];
    }
    return v[0];
}

/* ---- reading spans --------------------------------------------------------------- */

static double span_ms(const struct otlp_span *sp)
{
    if (sp->end_ns < sp->start_ns || sp->start_ns == 0)
        return NAN;
    double ms = (double)(sp->end_ns - sp->start_ns) / 1e6;
    return ms <= TP_MAX_DURATION_MS ? ms : NAN;
}

/* What kind of Claude Code span this is ("tool", "tool.execution" ...):
 * its name without the claude_code. prefix, else its span.type attribute;
 * NULL for a span of anyone else (a name without the prefix, such as an
 * application's own "tool" span, is not Claude Code's). */
static const char *span_kind_name(const struct otlp_span *sp)
{
    if (sp->name && strncmp(sp->name, "claude_code.", 12) == 0)
        return sp->name + 12;
    return otlp_attrs_str(&sp->attrs, "span.type");
}

static enum child_kind child_kind(const struct otlp_span *sp)
{
    const char *n = span_kind_name(sp);
    if (!n)
        return CH_NONE;
    if (strcmp(n, "tool.blocked_on_user") == 0)
        return CH_BLOCKED;
    if (strcmp(n, "tool.execution") == 0)
        return CH_EXEC;
    if (strcmp(n, "hook") == 0)
        return CH_HOOK;
    return CH_NONE;
}

static void child_key(const struct otlp_span *sp, const unsigned char *span_id, unsigned char *key)
{
    memcpy(key, sp->trace_id, 16);
    memcpy(key + 16, span_id, 8);
}

/* A child span's facts. */
static void child_read(const struct otlp_span *sp, enum child_kind kind, struct child *c)
{
    memset(c, 0, sizeof *c);
    child_key(sp, sp->parent_id, c->key);
    c->kind = kind;
    c->ms = span_ms(sp);
    c->success = -1;
    if (kind == CH_BLOCKED) {
        const char *src = otlp_attrs_str(&sp->attrs, "source");
        const char *decision = otlp_attrs_str(&sp->attrs, "decision");
        c->ask = toolcall_ask_from_source(src);
        c->rejected = decision && strcmp(decision, "reject") == 0;
        snprintf(c->source, sizeof c->source, "%s", src ? src : "");
    } else if (kind == CH_EXEC) {
        int b;
        if (otlp_attrs_bool(&sp->attrs, "success", &b))
            c->success = b;
        else if (sp->status == 2)
            c->success = 0;
        const char *e = otlp_attrs_str(&sp->attrs, "error");
        if (!e)
            e = sp->status_message;
        snprintf(c->error, sizeof c->error, "%s", e ? e : "");
    }
}

/* What a call's children said, gathered. */
struct call_facts {
    double blocked_ms, exec_ms, hook_ms;
    int ask, rejected, success;
    char source[32];
    char error[256];
};

static void facts_init(struct call_facts *f)
{
    memset(f, 0, sizeof *f);
    f->blocked_ms = f->exec_ms = f->hook_ms = NAN;
    f->success = -1;
}

static void facts_add(void *ctx, const struct child *c)
{
    struct call_facts *f = ctx;
    if (isnan(c->ms))
        return;
    switch (c->kind) {
    case CH_BLOCKED:
        f->blocked_ms = c->ms;
        f->ask = c->ask;
        f->rejected = c->rejected;
        memcpy(f->source, c->source, sizeof f->source);
        break;
    case CH_EXEC:
        f->exec_ms = c->ms;
        f->success = c->success;
        memcpy(f->error, c->error, sizeof f->error);
        break;
    case CH_HOOK: f->hook_ms = (isnan(f->hook_ms) ? 0 : f->hook_ms) + c->ms; break;
    default: break;
    }
}

/* ---- one call ------------------------------------------------------------------- */

/* The mappers below return 0 (used), 1 (ignored: the span lacks what
 * would make it a record, such as a tool's name or a session) or 2
 * (rejected: a value that cannot be right, errbuf says which). */
enum { SPAN_USED = 0, SPAN_IGNORED = 1, SPAN_BAD = 2 };

/* Give op, a call, what its children said (f) and its span's wall time
 * (NAN: the op has it already) and status (failed, message), then
 * normalize it. 0, or TP_EINVAL with errbuf, the op taken back. */
static int call_apply(struct op *op, const struct call_facts *f, double wall, int failed,
                      const char *status_message, struct otlp_sink *k, char *errbuf)
{
    if (!isnan(f->blocked_ms)) {
        op->ask = f->ask;
        toolcall_meta_str(op, "decision_source", f->source[0] ? f->source : NULL);
    }
    if (f->rejected) {
        /* It never ran: no wall time that an execution could be derived
         * from; the wait for a person who said no is a wait. */
        op->success = 0;
        char why[96];
        snprintf(why, sizeof why, "rejected (%.64s)", f->source[0] ? f->source : "unknown");
        op_sets(&op->error, why);
        op_set_phase(op, OP_PH_WALL, NAN, OP_EX_UNKNOWN, PHS_NONE);
        if (f->ask == OP_ASK_ASKED)
            op_set_phase(op, OP_PH_WAIT, f->blocked_ms, OP_EX_EXACT, PHS_TRACE);
    } else {
        if (!isnan(wall))
            op_set_phase(op, OP_PH_WALL, wall, OP_EX_EXACT, PHS_TRACE);
        if (!isnan(f->exec_ms))
            op_set_phase(op, OP_PH_EXEC, f->exec_ms, OP_EX_EXACT, PHS_TRACE);
        if (!isnan(f->hook_ms))
            op_set_phase(op, OP_PH_HOOK, f->hook_ms, OP_EX_EXACT, PHS_TRACE);
        if (!isnan(f->blocked_ms) && f->ask == OP_ASK_ASKED) {
            /* The blocked span holds the PreToolUse hooks' time too. */
            double w = f->blocked_ms - (isnan(f->hook_ms) ? 0 : f->hook_ms);
            op_set_phase(op, OP_PH_WAIT, w > 0 ? w : 0,
                         isnan(f->hook_ms) ? OP_EX_EXACT : OP_EX_DERIVED, PHS_TRACE);
        }
        if (f->success == 0 || failed) {
            op->success = 0;
            op_sets(&op->error, f->error[0] ? f->error : status_message);
        }
    }
    if (op_normalize(op, k->now_ms, errbuf) != 0) {
        otlp_sink_unop(k);
        return TP_EINVAL;
    }
    return 0;
}

static int tool_call(const struct otlp_span *sp, const struct call_facts *f, struct otlp_sink *k,
                     char *errbuf)
{
    const struct otlp_attrs *a = &sp->attrs;
    const char *tool = otlp_attrs_str(a, "tool_name");
    if (!tool)
        tool = otlp_attrs_str(a, "gen_ai.tool.name");
    if (!tool)
        return SPAN_IGNORED;
    int64_t start;
    double wall = span_ms(sp);
    if (!otlp_nanos_ms(sp->start_ns, &start) || isnan(wall)) {
        tp_fail(errbuf, TP_EINVAL, "a tool span without a valid start and end");
        return SPAN_BAD;
    }
    struct op *op = otlp_sink_op(k);
    op->source = OP_SRC_OTLP;
    op_sets(&op->tool, tool);
    otlp_set_agent(op, sp->res);
    const char *id = otlp_attrs_str(a, "tool_use_id");
    op_sets(&op->tool_use_id, id ? id : otlp_attrs_str(a, "gen_ai.tool.call.id"));
    op_sets(&op->session_id, otlp_attrs_str(a, "session.id"));
    op_sets(&op->subagent, otlp_attrs_str(a, "agent_id"));
    const char *target = otlp_attrs_str(a, "file_path");
    if (!target)
        target = otlp_attrs_str(a, "full_command");
    op_sets(&op->target, target);
    op->ts_ms = start;
    if (call_apply(op, f, wall, sp->status == 2, sp->status_message, k, errbuf) != 0)
        return SPAN_BAD;
    if (!op->tool_use_id) {
        char pos[40];
        for (int i = 0; i < 8; i++)
            snprintf(pos + 2 * i, 3, "%02x", sp->span_id[i]);
        op->tool_use_id = op_derive_id(op, pos);
    }
    return SPAN_USED;
}

/* A GenAI tool span (gen_ai.operation.name "tool_call", as Gemini CLI
 * names it, or the conventions' "execute_tool"): the tool running, after
 * any approval, so its time is the execution. Gemini CLI's call id is the
 * chat's toolCalls[].id, so the call gets the key the chat import gives it
 * and the two are stored as one call. */
static int genai_tool(const struct otlp_span *sp, struct otlp_sink *k, char *errbuf)
{
    const struct otlp_attrs *a = &sp->attrs;
    const char *tool = otlp_attrs_str(a, "gen_ai.tool.name");
    if (!tool || !*tool)
        return SPAN_IGNORED;
    int64_t start;
    double ms = span_ms(sp);
    if (!otlp_nanos_ms(sp->start_ns, &start) || isnan(ms)) {
        tp_fail(errbuf, TP_EINVAL, "a tool span without a valid start and end");
        return SPAN_BAD;
    }
    const char *session = otlp_attrs_str(a, "gen_ai.conversation.id");
    const char *id = otlp_attrs_str(a, "gen_ai.tool.call_id");
    if (!id)
        id = otlp_attrs_str(a, "gen_ai.tool.call.id");
    struct op *op = otlp_sink_op(k);
    op->source = OP_SRC_OTLP;
    op_sets(&op->tool, tool);
    otlp_set_agent(op, sp->res);
    op_sets(&op->session_id, session);
    if (id && *id)
        op->tool_use_id = agentfile_call_key(session, id);
    op->ts_ms = start;
    op_set_phase(op, OP_PH_EXEC, ms, OP_EX_EXACT, PHS_TRACE);
    if (sp->status == 2) {
        op->success = 0;
        op_sets(&op->error,
                sp->status_message && *sp->status_message ? sp->status_message : "error");
    }
    if (op_normalize(op, k->now_ms, errbuf) != 0) {
        otlp_sink_unop(k);
        return SPAN_BAD;
    }
    if (!op->tool_use_id) {
        char pos[40];
        for (int i = 0; i < 8; i++)
            snprintf(pos + 2 * i, 3, "%02x", sp->span_id[i]);
        op->tool_use_id = op_derive_id(op, pos);
    }
    return SPAN_USED;
}

static int genai_is_tool(const struct otlp_span *sp)
{
    const char *op = otlp_attrs_str(&sp->attrs, "gen_ai.operation.name");
    return op && (strcmp(op, "tool_call") == 0 || strcmp(op, "execute_tool") == 0);
}

static int llm_request(const struct otlp_span *sp, struct otlp_sink *k, char *errbuf)
{
    const struct otlp_attrs *a = &sp->attrs;
    int64_t start;
    double ms = span_ms(sp);
    if (!otlp_nanos_ms(sp->start_ns, &start) || isnan(ms)) {
        tp_fail(errbuf, TP_EINVAL, "an llm_request span without a valid start and end");
        return SPAN_BAD;
    }
    struct request *r = otlp_sink_req(k);
    r->source = OP_SRC_OTLP;
    const char *id = otlp_attrs_str(a, "request_id");
    if (!id)
        id = otlp_attrs_str(a, "gen_ai.response.id");
    char hex[40];
    if (!id) {
        for (int i = 0; i < 8; i++)
            snprintf(hex + 2 * i, 3, "%02x", sp->span_id[i]);
        id = hex;
    }
    op_sets(&r->id, id);
    op_sets(&r->session_id, otlp_attrs_str(a, "session.id"));
    const char *model = otlp_attrs_str(a, "model");
    op_sets(&r->model, model ? model : otlp_attrs_str(a, "gen_ai.request.model"));
    r->start_ms = start;
    r->duration_ms = ms;
    r->exact = OP_EX_EXACT;
    r->src = PHS_TRACE;
    if (otlp_attr_ms(a, "ttft_ms", &r->ttft_ms) < 0)
        r->ttft_ms = NAN;
    r->input_tokens = otlp_attr_count(a, "input_tokens");
    r->output_tokens = otlp_attr_count(a, "output_tokens");
    r->cache_read_tokens = otlp_attr_count(a, "cache_read_tokens");
    r->cache_write_tokens = otlp_attr_count(a, "cache_creation_tokens");
    r->sidechain = otlp_attrs_get(a, "agent_id") != NULL;
    if (request_normalize(r, k->now_ms, errbuf) != 0) {
        otlp_sink_unreq(k);
        return SPAN_BAD;
    }
    return SPAN_USED;
}

static int interaction(const struct otlp_span *sp, struct otlp_sink *k, char *errbuf)
{
    const char *sid = otlp_attrs_str(&sp->attrs, "session.id");
    int64_t start, end;
    if (!sid)
        return SPAN_IGNORED;
    if (!otlp_nanos_ms(sp->start_ns, &start) || !otlp_nanos_ms(sp->end_ns, &end) || end < start) {
        tp_fail(errbuf, TP_EINVAL, "an interaction span without a valid start and end");
        return SPAN_BAD;
    }
    struct turn *t = otlp_sink_turn(k);
    op_sets(&t->session_id, sid);
    t->start_ms = start;
    t->end_ms = end;
    t->source = OP_SRC_OTLP;
    if (turn_normalize(t, k->now_ms, errbuf) != 0) {
        otlp_sink_unturn(k);
        return SPAN_BAD;
    }
    return SPAN_USED;
}

/* A child whose call was made already, from its tool span in an earlier
 * request: a second report of the call, with what the child says. SPAN_USED
 * or SPAN_BAD; -1 when its call is not known (yet). */
static int late_child(struct otlp_joins *j, const struct child *c, struct otlp_sink *k,
                      char *errbuf)
{
    struct op *op = otlp_sink_op(k);
    if (!made_get(j, c->key, k->now_ms, op)) {
        otlp_sink_unop(k);
        return -1;
    }
    struct call_facts f;
    facts_init(&f);
    facts_add(&f, c);
    return call_apply(op, &f, NAN, 0, NULL, k, errbuf) == 0 ? SPAN_USED : SPAN_BAD;
}

/* ---- the batch ------------------------------------------------------------------ */

void otlp_map_spans(const struct otlp_batch *b, struct otlp_joins *joins, struct otlp_sink *k)
{
    size_t n = b->nspans;
    if (!n)
        return;
    char err[TP_ERR_MAX];
    struct kmap ids;
    kmap_init(&ids);
    /* Each span's index by (trace, span id); children linked under their
     * parent's index (SIZE_MAX ends a list). */
    size_t *first = xmalloc(n * sizeof *first), *next = xmalloc(n * sizeof *next);
    size_t *parent = xmalloc(n * sizeof *parent);
    for (size_t i = 0; i < n; i++) {
        unsigned char key[24];
        child_key(&b->spans[i], b->spans[i].span_id, key);
        int added;
        kmap_put(&ids, key, sizeof key, &added);
        first[i] = next[i] = parent[i] = SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        const struct otlp_span *sp = &b->spans[i];
        if (!sp->has_parent)
            continue;
        unsigned char key[24];
        child_key(sp, sp->parent_id, key);
        long p = kmap_find(&ids, key, sizeof key);
        if (p >= 0 && (size_t)p != i) {
            parent[i] = (size_t)p;
            next[i] = first[p];
            first[p] = i;
        }
    }

    /* What became of each span: 0 used, 1 ignored, 2 rejected. */
    unsigned char *fate = xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        const struct otlp_span *sp = &b->spans[i];
        const char *name = span_kind_name(sp);
        enum child_kind ck = child_kind(sp);
        int rc;
        if (ck != CH_NONE) {
            /* Read with its parent, below, or, when the parent is not in
             * this request, kept for it in the joins. */
            if (parent[i] == SIZE_MAX && joins && sp->has_parent) {
                struct child c;
                child_read(sp, ck, &c);
                rc = late_child(joins, &c, k, err);
                if (rc < 0) {
                    joins_put(joins, &c, k->now_ms);
                } else {
                    fate[i] = (unsigned char)rc;
                    if (rc == SPAN_BAD)
                        otlp_sink_reject(k, "span", i + 1, err);
                }
            } else if (parent[i] == SIZE_MAX) {
                fate[i] = 1;
            }
            continue;
        }
        if (name && strcmp(name, "tool") == 0) {
            struct call_facts f;
            facts_init(&f);
            for (size_t c = first[i]; c != SIZE_MAX; c = next[c]) {
                enum child_kind kind = child_kind(&b->spans[c]);
                if (kind != CH_NONE) {
                    struct child ch;
                    child_read(&b->spans[c], kind, &ch);
                    facts_add(&f, &ch);
                }
            }
            if (joins) {
                unsigned char key[24];
                child_key(sp, sp->span_id, key);
                joins_take(joins, key, CH_NONE, facts_add, &f);
            }
            rc = tool_call(sp, &f, k, err);
            if (rc == SPAN_USED && joins) {
                unsigned char key[24];
                child_key(sp, sp->span_id, key);
                made_put(joins, key, &k->out->ops[k->out->nops - 1], k->now_ms);
            }
        } else if (name && strcmp(name, "llm_request") == 0) {
            rc = llm_request(sp, k, err);
        } else if (name && strcmp(name, "interaction") == 0) {
            rc = interaction(sp, k, err);
        } else if (!name && genai_is_tool(sp)) {
            rc = genai_tool(sp, k, err);
        } else {
            fate[i] = 1;
            continue;
        }
        fate[i] = (unsigned char)rc;
        if (rc == SPAN_BAD)
            otlp_sink_reject(k, "span", i + 1, err);
    }
    /* A child read with its parent shares its fate; under a span that is
     * not a tool's, it told nothing. */
    for (size_t i = 0; i < n; i++) {
        if (parent[i] != SIZE_MAX && child_kind(&b->spans[i]) != CH_NONE) {
            const char *pn = span_kind_name(&b->spans[parent[i]]);
            fate[i] = pn && strcmp(pn, "tool") == 0 && fate[parent[i]] == 0 ? 0 : 1;
        }
        if (fate[i] == 0)
            k->c->used++;
        else if (fate[i] == 1)
            k->c->ignored++;
    }
    free(fate);
    free(first);
    free(next);
    free(parent);
    kmap_free(&ids);
}
