/*
 * transcript.c - pairing tool_use with tool_result in Claude Code transcripts
 * (see transcript.h for what each op field means).
 *
 * The parser is a small state machine over lines. Each line first goes
 * through a cheap filter: a scanner reads the top-level keys of the object,
 * skipping values without building them, until it finds `type` (early in
 * every line Claude Code writes except assistant lines); then one memmem()
 * for the substring that a line of that type must hold to matter
 * ("tool_use", "tool_result", ...). Only lines that pass are read whole:
 * by the field extractor (core/jfield.h), which validates the line and
 * finds the fields the handlers ask for without building a tree, or, for
 * the rare line it cannot prove it reads exactly as cJSON does (an escaped
 * NUL, a lone surrogate, invalid UTF-8 ...), by jin_parse(). The handlers
 * read either through struct jf_val, so a line gives the same calls
 * whichever path it takes (tests/unit/test_extract.c holds the two side by
 * side). A quoted key such as "tool_use" can only occur unescaped as JSON
 * structure, never inside a string, so the filter cannot hide a call.
 *
 * A tool_use block becomes a pending call: a record keyed by its id, holding
 * what the op needs later (name, input, start, session, cwd, agent) and
 * linked into a list in file order, so that the earliest pending call (the
 * safe resume offset, and the first candidate for "lost") is at its head.
 * Calls of one API response share a message record, which remembers when
 * the response's last tool_use line was written (the start of every call
 * for 1.x builds) and when each of its calls finished (for calls that had to
 * queue behind a mutating one). A tool_result finishes its pending call into
 * an op; ids of finished calls are kept so that replayed history is
 * recognised and skipped.
 *
 * Ids are kept in kmaps (core/kmap.h) that never delete: a finished call
 * leaves its id behind with a NULL call, which is exactly the "seen before"
 * set that replays need.
 */
#include "transcript.h"
#include "transcript_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/jfield.h"
#include "core/jsonin.h"
#include "core/jscan.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"

struct transcript *transcript_new(void)
{
    struct transcript *t = xcalloc(1, sizeof *t);
    kmap_init(&t->ids);
    kmap_init(&t->msg_ids);
    t->doc = jf_doc_new();
    t->input_doc = jf_doc_new();
    return t;
}

void tc_call_free(struct tc_call *c)
{
    free(c->id);
    free(c->name);
    cJSON_Delete(c->input);
    free(c->input_raw);
    free(c->session);
    free(c->cwd);
    free(c->agent);
    free(c);
}

void transcript_clear_ops(struct transcript *t)
{
    for (size_t i = 0; i < t->nops; i++)
        op_clear(&t->ops[i]);
    t->nops = 0;
}

void tc_calls_free(struct tc_turn_call *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].tool);
        free(v[i].session);
        free(v[i].cwd);
    }
}

void tc_turn_reset(struct tc_turn *tu)
{
    tc_calls_free(tu->calls, tu->n);
    tu->n = 0;
    tu->open = 0;
    tu->known_wait_ms = 0;
}

void transcript_free(struct transcript *t)
{
    if (!t)
        return;
    tc_turn_reset(&t->turn);
    free(t->turn.calls);
    tc_calls_free(t->acct.calls, t->acct.n);
    free(t->acct.calls);
    free(t->mode);
    transcript_clear_timeline(t);
    free(t->reqs);
    free(t->turns_out);
    for (struct tc_call *c = t->head, *next; c; c = next) {
        next = c->next;
        tc_call_free(c);
    }
    for (size_t i = 0; i < t->msg_ids.n; i++)
        free(t->msgs[i].calls);
    free(t->msgs);
    free(t->calls);
    kmap_free(&t->ids);
    kmap_free(&t->msg_ids);
    transcript_clear_ops(t);
    free(t->ops);
    free(t->op_offsets);
    jf_doc_free(t->doc);
    jf_doc_free(t->input_doc);
    free(t);
}

struct op *transcript_ops(struct transcript *t, size_t *n)
{
    *n = t->nops;
    return t->ops;
}

int64_t transcript_op_offset(const struct transcript *t, size_t i)
{
    return i < t->nops ? t->op_offsets[i] : -1;
}

const struct transcript_stats *transcript_stats(const struct transcript *t)
{
    return &t->st;
}

struct request *transcript_requests(struct transcript *t, size_t *n)
{
    *n = t->nreqs;
    return t->reqs;
}

struct turn *transcript_turns(struct transcript *t, size_t *n)
{
    *n = t->nturns;
    return t->turns_out;
}

void transcript_clear_timeline(struct transcript *t)
{
    for (size_t i = 0; i < t->nreqs; i++)
        request_clear(&t->reqs[i]);
    for (size_t i = 0; i < t->nturns; i++)
        turn_clear(&t->turns_out[i]);
    t->nreqs = t->nturns = 0;
}

int64_t transcript_pending_offset(const struct transcript *t)
{
    int64_t off = t->head ? t->head->offset : -1;
    /* A request still being written is read again whole. */
    for (int k = 0; k < 2; k++)
        if (t->req[k].open && (off < 0 || t->req[k].offset < off))
            off = t->req[k].offset;
    /* A turn whose calls still wait for its accounting is read again from
     * its prompt: the accounting needs the whole turn. */
    if (t->turn.seen && t->turn.open && t->turn.n && (off < 0 || t->turn.offset < off))
        off = t->turn.offset;
    /* And an interval with calls whose tool time is still to come. */
    if (t->acct.seen && t->acct.n && (off < 0 || t->acct.offset < off))
        off = t->acct.offset;
    return off;
}

/* The pending call with this tool-use id, or NULL (unknown or finished). */
static struct tc_call *pending_call(const struct transcript *t, const char *id)
{
    long i = kmap_find(&t->ids, id, strlen(id));
    return i >= 0 ? t->calls[i] : NULL;
}

/* Unlink a call from the pending list and map, release its message slot and
 * remember its id as finished. The call itself is freed by the caller. */
void tc_call_retire(struct transcript *t, struct tc_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->tail = c->prev;
    long i = kmap_find(&t->ids, c->id, strlen(c->id));
    if (i >= 0)
        t->calls[i] = NULL;
    if (c->msg >= 0 && --t->msgs[c->msg].refs == 0) {
        free(t->msgs[c->msg].calls);
        t->msgs[c->msg].calls = NULL;
        t->msgs[c->msg].ncalls = 0;
    }
    c->msg = -1;
}

/* ---- the cheap line filter -------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* Find the top-level "type" of a line. Returns 1 with the raw string value
 * (without quotes) in *ty / *tylen, 0 when the object has no string "type",
 * -1 when the line is not a JSON object (or ends inside one before its
 * type). */
static int top_type(const char *s, size_t n, const char **ty, size_t *tylen)
{
    static const char *const key[] = {"type"};
    struct jscan_val v;
    int r = jscan_top(s, n, key, 1, &v);
    if (r < 0)
        return -1;
    if (v.type != JSCAN_STRING)
        return 0;
    *ty = v.p;
    *tylen = v.n;
    return 1;
}

static int has(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle)) != NULL;
}

#define TYPE_IS(ty, tylen, lit) ((tylen) == sizeof(lit) - 1 && memcmp((ty), lit, (tylen)) == 0)

/* ---- helpers over parsed lines ---------------------------------------- */

static int line_ts(struct jf_val root, int64_t *ms)
{
    const char *s = jf_str(root, "timestamp");
    return s && tpt_parse_iso(s, TPT_NAIVE_UTC, ms) == 0;
}

static char *dup_str(struct jf_val obj, const char *key)
{
    const char *s = jf_str(obj, key);
    return s ? xstrdup(s) : NULL;
}

int tc_is_true(struct jf_val obj, const char *key)
{
    int v = 0;
    return jf_bool(obj, key, &v) == 1 && v;
}

/* Tools that are never run concurrently with others (they change files or
 * the session's state): a call of one waits for the calls before it in its
 * response, and calls after it wait for it. Bash and MCP tools are left
 * out: whether they run concurrently depends on the command. */
static int tool_is_serial(const char *name)
{
    static const char *const serial[] = {"Edit", "Write", "MultiEdit", "NotebookEdit", "TodoWrite"};
    for (size_t i = 0; i < sizeof serial / sizeof serial[0]; i++)
        if (strcmp(name, serial[i]) == 0)
            return 1;
    return 0;
}

/* Claude Code 1.x started tools only after the whole response had
 * streamed; streaming tool execution came with 2.x (observed in 2.1.38). */
static int version_is_old(const char *v)
{
    return v && v[0] >= '0' && v[0] <= '1' && v[1] == '.';
}

/* The first text the model saw in a tool_result content: the string itself,
 * or the first text block. */
const char *tc_content_text(struct jf_val content)
{
    enum jf_type ct = jf_type(content);
    if (ct == JF_STRING)
        return jf_string(content);
    if (ct == JF_ARRAY) {
        for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
            const char *ty = jf_str(b, "type");
            const char *tx = jf_str(b, "text");
            if (ty && strcmp(ty, "text") == 0 && tx)
                return tx;
        }
    }
    return NULL;
}

/* Bytes of a tool_result content as sent to the model. */
int64_t tc_content_bytes(struct jf_val content)
{
    enum jf_type ct = jf_type(content);
    if (ct == JF_STRING)
        return jf_strlen(content);
    if (ct != JF_ARRAY)
        return -1;
    int64_t n = 0;
    for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
        int64_t tx = jf_strlen(jf_get(b, "text"));
        int64_t data = jf_strlen(jf_get(jf_get(b, "source"), "data"));
        if (tx >= 0)
            n += tx;
        else if (data >= 0)
            n += data;
    }
    return n;
}

/* `duration_ms: N` inside the <usage> tail that Agent/Task results end
 * with; NAN when absent. */
double tc_usage_tail_ms(struct jf_val content)
{
    if (jf_type(content) == JF_STRING) {
        const char *u = strstr(jf_string(content), "<usage>");
        const char *d = u ? strstr(u, "duration_ms: ") : NULL;
        double v;
        if (d) {
            char *e;
            v = strtod(d + 13, &e);
            if (e > d + 13 && isfinite(v) && v >= 0)
                return v;
        }
        return NAN;
    }
    for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
        struct jf_val tx = jf_get(b, "text");
        if (jf_type(tx) == JF_STRING) {
            double v = tc_usage_tail_ms(tx);
            if (!isnan(v))
                return v;
        }
    }
    return NAN;
}

int tc_starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A short error: the first non-empty line of s, without <tool_use_error>
 * tags, cut to TP_MAX_ERROR bytes at a character boundary. NULL when s has
 * no text. */
char *tc_first_line(const char *s)
{
    static const char open[] = "<tool_use_error>", close[] = "</tool_use_error>";
    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (tc_starts_with(s, open))
        s += sizeof open - 1;
    size_t n = strcspn(s, "\r\n");
    const char *c = memmem(s, n, close, sizeof close - 1);
    if (c)
        n = (size_t)(c - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    if (n > TP_MAX_ERROR)
        n = utf8_floor(s, TP_MAX_ERROR);
    return xstrndup(s, n);
}

/* ---- building ops ----------------------------------------------------- */

struct op *tc_op_push(struct transcript *t, int64_t offset)
{
    if (t->nops == t->capops) {
        t->capops = t->capops ? t->capops * 2 : 256;
        t->ops = xreallocarray(t->ops, t->capops, sizeof *t->ops);
        t->op_offsets = xreallocarray(t->op_offsets, t->capops, sizeof *t->op_offsets);
    }
    t->op_offsets[t->nops] = offset;
    struct op *op = &t->ops[t->nops++];
    op_init(op);
    return op;
}

/* ---- line handlers ---------------------------------------------------- */

/* Keep a tool_use block's input for when the call finishes: a tree's is
 * detached from it (the tree is freed with its line), a document's text is
 * copied (the line's buffer is the caller's). */
static void keep_input(struct tc_call *c, struct jf_val block)
{
    struct jf_val in = jf_get(block, "input");
    size_t n;
    const char *raw = jf_raw(in, &n);
    if (raw) {
        c->input_raw = xstrndup(raw, n);
        c->input_len = n;
    } else if (in.node) {
        cJSON *b = (cJSON *)block.node;
        c->input = cJSON_DetachItemViaPointer(b, (cJSON *)in.node);
    }
}

static void on_assistant(struct transcript *t, struct jf_val root, int64_t offset)
{
    struct jf_val msg = jf_get(root, "message");
    struct jf_val content = jf_get(msg, "content");
    int64_t ts;
    if (jf_type(content) != JF_ARRAY)
        return;
    int have_ts = line_ts(root, &ts);
    const char *msg_id = jf_str(msg, "id");
    for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
        const char *ty = jf_str(b, "type");
        if (!ty || strcmp(ty, "tool_use") != 0)
            continue;
        const char *id = jf_str(b, "id"), *name = jf_str(b, "name");
        if (!id || !*id || !name || !*name || !have_ts) {
            t->st.skipped_calls++;
            continue;
        }
        if (kmap_find(&t->ids, id, strlen(id)) >= 0) {
            t->st.duplicates++;
            continue;
        }
        tc_flush_lost(t, ts - TRANSCRIPT_LOST_AFTER_MS);
        t->st.tool_uses++;

        struct tc_call *c = xcalloc(1, sizeof *c);
        c->id = xstrdup(id);
        c->name = xstrdup(name);
        keep_input(c, b);
        c->use_ms = ts;
        c->offset = offset;
        c->session = dup_str(root, "sessionId");
        c->cwd = dup_str(root, "cwd");
        c->agent = dup_str(root, "agentId");
        c->sidechain = tc_is_true(root, "isSidechain");
        c->old_build = version_is_old(jf_str(root, "version"));
        c->mcp_ms = NAN;

        c->msg = -1;
        if (msg_id && *msg_id) {
            int added;
            size_t mi = kmap_put(&t->msg_ids, msg_id, strlen(msg_id), &added);
            if (added) {
                if (mi >= t->msgs_alloc) {
                    t->msgs_alloc = t->msgs_alloc ? t->msgs_alloc * 2 : 64;
                    t->msgs = xreallocarray(t->msgs, t->msgs_alloc, sizeof *t->msgs);
                }
                memset(&t->msgs[mi], 0, sizeof t->msgs[mi]);
                t->msgs[mi].last_use_ms = ts;
            }
            struct tc_msg *m = &t->msgs[mi];
            if (ts > m->last_use_ms)
                m->last_use_ms = ts;
            m->calls = xreallocarray(m->calls, m->ncalls + 1, sizeof *m->calls);
            m->calls[m->ncalls].serial = tool_is_serial(name);
            m->calls[m->ncalls].done_ms = -1;
            c->msg = (long)mi;
            c->msg_idx = m->ncalls++;
            m->refs++;
        }
        c->prev = t->tail;
        if (t->tail)
            t->tail->next = c;
        else
            t->head = c;
        t->tail = c;
        int added;
        size_t ci = kmap_put(&t->ids, id, strlen(id), &added);
        if (ci >= t->calls_alloc) {
            t->calls_alloc = t->calls_alloc ? t->calls_alloc * 2 : 256;
            t->calls = xreallocarray(t->calls, t->calls_alloc, sizeof *t->calls);
        }
        t->calls[ci] = c;
    }
}

static int is_interrupt_text(const char *s)
{
    return tc_starts_with(s, "[Request interrupted by user");
}

static void on_user(struct transcript *t, struct jf_val root, int64_t offset)
{
    struct jf_val content = jf_get(jf_get(root, "message"), "content");
    struct jf_val tur = jf_get(root, "toolUseResult");
    int64_t ts;
    int have_ts = line_ts(root, &ts);
    int nres = 0, interrupt = 0, text = 0;
    enum jf_type ct = jf_type(content);

    if (ct == JF_STRING) {
        interrupt = is_interrupt_text(jf_string(content));
        text = !interrupt;
    } else if (ct == JF_ARRAY) {
        for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
            const char *ty = jf_str(b, "type");
            if (ty && strcmp(ty, "tool_result") == 0)
                nres++;
            else if (ty && strcmp(ty, "text") == 0 && is_interrupt_text(jf_str(b, "text")))
                interrupt = 1;
            else if (ty && strcmp(ty, "text") == 0)
                text = 1;
        }
    }
    /* A prompt typed by the person starts a turn (sub-agents' prompts and
     * lines the client injects do not). */
    if (text && !nres && !interrupt && have_ts && !tc_is_true(root, "isMeta") &&
        !tc_is_true(root, "isSidechain") && !tc_is_true(root, "isCompactSummary")) {
        const char *mode = jf_str(root, "permissionMode");
        if (mode && *mode) {
            free(t->mode);
            t->mode = xstrdup(mode);
        }
        tc_req_close(t, 0);
        tc_turn_start(t, ts, offset, jf_str(root, "sessionId"));
        t->last_user_ms[0] = ts;
        return;
    }
    if (have_ts && nres) {
        int k = tc_is_true(root, "isSidechain");
        tc_req_close(t, k);
        t->last_user_ms[k] = ts;
        if (t->turn.open && ts > t->turn_last_ms)
            t->turn_last_ms = ts;
    }
    /* 2.1.x result lines say how the call was allowed. */
    int ask = toolcall_ask_from_source(jf_str(jf_get(root, "permissionDecision"), "source"));
    if (nres > 0) {
        for (struct jf_val b = jf_child(content); jf_present(b); b = jf_next(b)) {
            const char *ty = jf_str(b, "type");
            if (!ty || strcmp(ty, "tool_result") != 0)
                continue;
            const char *id = jf_str(b, "tool_use_id");
            if (!id)
                continue;
            struct tc_call *c = pending_call(t, id);
            if (!c) {
                if (kmap_find(&t->ids, id, strlen(id)) >= 0)
                    t->st.duplicates++;
                else
                    t->st.orphan_results++;
                continue;
            }
            if (!have_ts)
                continue; /* cannot time it; a later copy may */
            struct tc_result r = {
                .ms = ts,
                .content = jf_get(b, "content"),
                /* toolUseResult describes the line's one result; with
                 * several results on a line it is ambiguous. */
                .tur = nres == 1 ? tur : jf_tree(NULL),
                .is_error = tc_is_true(b, "is_error"),
                .ask = ask,
            };
            t->st.results++;
            tc_call_finish(t, c, &r, OUT_DONE, 0);
        }
    }
    /* The user stopped the turn: whatever is still running was cut off. */
    if (interrupt && have_ts)
        while (t->head)
            tc_call_finish(t, t->head, NULL, OUT_INTERRUPTED, ts);
}

/* progress lines: only mcp_progress matters (the last elapsedTimeMs of a
 * running MCP call is its duration as the client measured it). */
static void on_progress(struct transcript *t, struct jf_val root)
{
    struct jf_val data = jf_get(root, "data");
    const char *dt = jf_str(data, "type");
    const char *id = jf_str(root, "parentToolUseID");
    double ms;
    if (!id)
        id = jf_str(root, "toolUseID");
    if (!dt || strcmp(dt, "mcp_progress") != 0 || !id)
        return;
    struct tc_call *c = pending_call(t, id);
    if (c && jf_num(data, "elapsedTimeMs", &ms) == 1 && isfinite(ms) && ms >= 0)
        c->mcp_ms = ms;
}

/* attachment lines (2.1.97+): a PreToolUse hook's run time is inside the
 * wall time of its call but is not the tool's. */
static void on_attachment(struct transcript *t, struct jf_val root)
{
    struct jf_val a = jf_get(root, "attachment");
    const char *ev = jf_str(a, "hookEvent");
    const char *id = jf_str(a, "toolUseID");
    double ms;
    if (!id)
        id = jf_str(root, "toolUseID");
    if (!ev || strcmp(ev, "PreToolUse") != 0 || !id)
        return;
    struct tc_call *c = pending_call(t, id);
    /* Bounded like any duration, the sum too: it is stored as an integer. */
    if (c && jf_num(a, "durationMs", &ms) == 1 && ms >= 0 && ms <= TP_MAX_DURATION_MS)
        c->pre_hook_ms = fmin(c->pre_hook_ms + ms, TP_MAX_DURATION_MS);
}

/* system lines: a turn_duration ends the turn. */
static void on_system(struct transcript *t, struct jf_val root)
{
    const char *sub = jf_str(root, "subtype");
    int64_t ts;
    double ms;
    if (!sub || strcmp(sub, "turn_duration") != 0 || !line_ts(root, &ts))
        return;
    if (tc_is_true(root, "isSidechain"))
        return;
    /* The turn is over, and so is its last response: no result line
     * follows it to close it (an interactive session's last answer was
     * missing from its model requests). */
    tc_req_close(t, 0);
    if (jf_num(root, "durationMs", &ms) == 1 && ms >= 0 && ms <= TP_MAX_DURATION_MS)
        tc_turn_end(t, ts, ms);
}

/* cost-state lines (late 2.1.x): the session's running totals. */
static void on_cost_state(struct transcript *t, struct jf_val root, int64_t offset)
{
    double ms;
    if (jf_num(root, "totalToolDuration", &ms) == 1 && isfinite(ms) && ms >= 0 && ms < 1e13)
        tc_acct_close(t, ms, offset);
}

enum line_kind {
    LK_SKIP,
    LK_ASSISTANT,
    LK_USER,
    LK_PROGRESS,
    LK_ATTACHMENT,
    LK_SYSTEM,
    LK_COST,
    LK_APIREQ
};

static enum line_kind classify(const char *s, size_t n, int *bad)
{
    const char *ty;
    size_t tylen;
    int r = top_type(s, n, &ty, &tylen);
    *bad = r < 0;
    if (r <= 0)
        return LK_SKIP;
    if (TYPE_IS(ty, tylen, "assistant"))
        return LK_ASSISTANT; /* every response is a model request */
    if (TYPE_IS(ty, tylen, "api-request"))
        return LK_APIREQ;
    if (TYPE_IS(ty, tylen, "user"))
        return LK_USER; /* tool results, interrupts and prompts (turns) */
    if (TYPE_IS(ty, tylen, "system"))
        return has(s, n, "turn_duration") ? LK_SYSTEM : LK_SKIP;
    if (TYPE_IS(ty, tylen, "cost-state"))
        return LK_COST;
    if (TYPE_IS(ty, tylen, "progress"))
        return has(s, n, "\"mcp_progress\"") ? LK_PROGRESS : LK_SKIP;
    if (TYPE_IS(ty, tylen, "attachment"))
        return has(s, n, "PreToolUse") ? LK_ATTACHMENT : LK_SKIP;
    return LK_SKIP;
}

void transcript_set_tree_only(struct transcript *t, int on)
{
    t->tree_only = on != 0;
}

int transcript_feed(struct transcript *t, const char *line, size_t len, int64_t offset,
                    char *errbuf)
{
    int bad;
    if (t->st.lines++ == 0 && offset == 0) {
        /* Read from its start, the file's tool time starts at 0. */
        t->acct.known = 1;
        t->acct.total_ms = 0;
        t->acct.offset = 0;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (skip_ws(line, line + len) == line + len)
        return 0;
    enum line_kind k = classify(line, len, &bad);
    /* A line cut short (a crash mid-write) rarely survives the scan above,
     * which stops at "type"; its missing closing brace gives it away
     * without a parse. */
    if (!bad && line[len - 1] != '}')
        bad = 1;
    if (bad) {
        t->st.malformed++;
        return tp_fail(errbuf, TP_EPARSE, "not a JSON object (truncated or corrupt line)");
    }
    if (k == LK_SKIP)
        return 0;
    if (k == LK_PROGRESS && !t->head)
        return 0;
    if (k == LK_APIREQ) {
        tc_on_api_request(t, line, len);
        return 0;
    }
    int extracted = 0;
    if (k == LK_ASSISTANT) {
        if (!has(line, len, "\"tool_use\"")) {
            tc_on_assistant_request(t, line, len, offset, jf_tree(NULL));
            return 0; /* no call on it: no parse */
        }
        /* The request first, as from any assistant line, even one that
         * turns out malformed below; from the line's document when the
         * extractor can read it. */
        extracted = !t->tree_only && jf_parse(t->doc, line, len, 0, TP_MAX_JSON_DEPTH) == 0;
        tc_on_assistant_request(t, line, len, offset, extracted ? jf_root(t->doc) : jf_tree(NULL));
    }

    /* The field extractor reads nearly every line; what it cannot prove it
     * reads as the tree parser would (core/jfield.h) goes to jin_parse():
     * strict first, as it is several times faster than the repairing parse
     * and accepts every well-formed line; only lines with invalid UTF-8 or
     * NULs take the second, repairing pass. */
    cJSON *tree = NULL;
    struct jf_val root;
    if (k != LK_ASSISTANT && !t->tree_only)
        extracted = jf_parse(t->doc, line, len, 0, TP_MAX_JSON_DEPTH) == 0;
    if (extracted) {
        root = jf_root(t->doc);
        t->st.extracted++;
    } else {
        char sub[TP_ERR_MAX];
        tree = jin_parse(line, len, JIN_STRICT, TP_MAX_JSON_DEPTH, sub);
        if (!tree)
            tree = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, sub);
        if (!tree || !cJSON_IsObject(tree)) {
            t->st.parsed++;
            cJSON_Delete(tree);
            t->st.malformed++;
            return tp_fail(errbuf, TP_EPARSE, "%s", tree ? "not a JSON object" : sub);
        }
        root = jf_tree(tree);
    }
    t->st.parsed++;
    if (jf_type(root) != JF_OBJECT) {
        t->st.malformed++;
        return tp_fail(errbuf, TP_EPARSE, "not a JSON object");
    }
    uint64_t skipped_before = t->st.skipped_calls;
    switch (k) {
    case LK_ASSISTANT: on_assistant(t, root, offset); break;
    case LK_USER: on_user(t, root, offset); break;
    case LK_SYSTEM: on_system(t, root); break;
    case LK_COST: on_cost_state(t, root, offset); break;
    case LK_APIREQ: break; /* handled without a parse */
    case LK_PROGRESS: on_progress(t, root); break;
    case LK_ATTACHMENT: on_attachment(t, root); break;
    case LK_SKIP: break;
    }
    cJSON_Delete(tree);
    /* The line was used, but a tool call on it could not be: say so (the
     * caller reports file and line). */
    if (t->st.skipped_calls > skipped_before)
        return tp_fail(errbuf, TP_EINVAL,
                       "a tool_use block without a string id, a name or a valid timestamp "
                       "was skipped");
    return 0;
}

void transcript_finish(struct transcript *t, int final)
{
    if (!final) {
        /* What is still open is read again from its offset (a response
         * still being written, calls waiting for their result or their
         * accounting). A response is also told as it stands: the session
         * may stay idle after it for hours, and a later report of it (the
         * same id), read again whole, replaces it. A turn still open is
         * read again only while its calls wait for its accounting; it too
         * is told as it stands, up to its latest line (a later report with
         * a later end replaces it), as a reader resuming past its prompt
         * would otherwise never store it. */
        for (int k = 0; k < 2; k++)
            if (t->req[k].open)
                tc_req_emit(t, k);
        if (t->turn.open)
            tc_turn_emit(t, t->turn_last_ms, NAN);
        return;
    }
    tc_flush_lost(t, INT64_MAX);
    tc_req_close(t, 0);
    tc_req_close(t, 1);
    if (t->turn.open) {
        tc_turn_emit(t, t->turn_last_ms, NAN);
        tc_turn_reset(&t->turn);
    }
}
