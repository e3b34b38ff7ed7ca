/*
 * transcript.c - pairing tool_use with tool_result in Claude Code transcripts
 * (see transcript.h for what each op field means).
 *
 * The parser is a small state machine over lines. Each line first goes
 * through a cheap filter: a scanner reads the top-level keys of the object,
 * skipping values without building them, until it finds `type` (early in
 * every line Claude Code writes except assistant lines); then one memmem()
 * for the substring that a line of that type must hold to matter
 * ("tool_use", "tool_result", ...). Only lines that pass are handed to
 * jin_parse(). A quoted key such as "tool_use" can only occur unescaped as
 * JSON structure, never inside a string, so the filter cannot hide a call.
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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/jsonin.h"
#include "core/jscan.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"

/* ---- parser state ----------------------------------------------------- */

/* One API response (message.id). The per-call slots are freed once every
 * call of the response has finished; the small record stays, indexed like
 * the message map. */
struct tc_msg {
    int64_t last_use_ms; /* timestamp of its latest tool_use line */
    int refs;            /* its calls still pending */
    size_t ncalls;
    struct tc_slot {
        int serial;      /* a mutating tool: runs alone */
        int64_t done_ms; /* result timestamp, -1 while running */
    } * calls;
};

struct tc_call {
    char *id;
    char *name;
    cJSON *input; /* detached from its line's tree, owned */
    int64_t use_ms;
    int64_t offset;
    char *session;
    char *cwd;
    char *agent;
    int sidechain;
    int old_build;      /* 1.x: tools ran after the whole response */
    long msg;           /* index in the message map, -1 without message id */
    size_t msg_idx;     /* this call's slot in its message */
    double mcp_ms;      /* last mcp_progress elapsedTimeMs, NAN if none */
    double pre_hook_ms; /* PreToolUse hook time reported, 0 if none */
    struct tc_call *prev, *next;
};

/* A call of the current turn whose wait is not known yet, or of the
 * current tool-time interval: what accounting needs to emit it again. */
struct tc_turn_call {
    char *id, *tool, *session, *cwd;
    int64_t ts_ms;
    double wall_ms, hook_ms;
    int ask;
    double exec_ms;      /* NAN unknown */
    int exec_exact;      /* enum op_exact of exec_ms */
    int no_run, spawner; /* the tool never ran; it ran a sub-agent */
};

/* The turn in progress: from a prompt to its turn_duration line. */
struct tc_turn {
    int open;
    int seen; /* this file writes turn_duration lines */
    int64_t start_ms, offset;
    double known_wait_ms; /* waits already known (questions, rejections) */
    struct tc_turn_call *calls;
    size_t n, alloc;
};

/* The calls finished since the last cost-state line, whose
 * totalToolDuration (the session's tool time so far, sub-agents' included)
 * tells how much tool time they took together. */
struct tc_acct {
    int known;       /* total_ms is the running total before these calls */
    int seen;        /* this file writes cost-state lines */
    double total_ms; /* totalToolDuration of the last cost-state line */
    int64_t offset;  /* that line's offset: a resumed read starts there */
    struct tc_turn_call *calls;
    size_t n, alloc;
};

/* A model request being written: the response's lines share its key (the
 * API's requestId, else the message id). One per thread (main, sidechain). */
struct tc_req {
    int open;
    char key[128];
    int64_t start_ms, end_ms, offset;
    int start_exact; /* start from the client's api-request line */
    char model[128], session[128], cwd[1024];
    int64_t tokens[4]; /* input, output, cache read, cache write; -1 unknown */
    int sidechain;
};

/* api-request lines (2.1.3xx): when each request was sent, by its ref. */
#define TC_APIREQ_SLOTS 64
struct tc_apireq {
    char ref[64];
    int64_t ms;
};

struct transcript {
    /* Every tool-use id seen, indexing `calls`: the pending call, or NULL
     * once it has finished (so replays are recognised). */
    struct kmap ids;
    struct tc_call **calls;
    size_t calls_alloc;
    struct kmap msg_ids; /* message id -> index in msgs */
    struct tc_msg *msgs;
    size_t msgs_alloc;
    struct tc_call *head, *tail;
    struct op *ops;
    int64_t *op_offsets; /* of each op's tool_use line */
    size_t nops, capops;
    char *mode; /* the session's permission mode, from its latest prompt */
    struct tc_turn turn;
    struct tc_acct acct;
    /* Model requests and turns found, for the caller to take. */
    struct tc_req req[2];
    int64_t last_user_ms[2]; /* per thread: the line the next request answers */
    struct tc_apireq apireq[TC_APIREQ_SLOTS];
    unsigned napireq;
    int64_t turn_last_ms; /* the current turn's latest line, for its end */
    char turn_session[128];
    struct request *reqs;
    size_t nreqs, capreqs;
    struct turn *turns_out;
    size_t nturns, capturns;
    struct transcript_stats st;
};

struct transcript *transcript_new(void)
{
    struct transcript *t = xcalloc(1, sizeof *t);
    kmap_init(&t->ids);
    kmap_init(&t->msg_ids);
    return t;
}

static void call_free(struct tc_call *c)
{
    free(c->id);
    free(c->name);
    cJSON_Delete(c->input);
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

static void calls_free(struct tc_turn_call *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].tool);
        free(v[i].session);
        free(v[i].cwd);
    }
}

static void turn_reset(struct tc_turn *tu)
{
    calls_free(tu->calls, tu->n);
    tu->n = 0;
    tu->open = 0;
    tu->known_wait_ms = 0;
}

void transcript_free(struct transcript *t)
{
    if (!t)
        return;
    turn_reset(&t->turn);
    free(t->turn.calls);
    calls_free(t->acct.calls, t->acct.n);
    free(t->acct.calls);
    free(t->mode);
    transcript_clear_timeline(t);
    free(t->reqs);
    free(t->turns_out);
    for (struct tc_call *c = t->head, *next; c; c = next) {
        next = c->next;
        call_free(c);
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
static void call_retire(struct transcript *t, struct tc_call *c)
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

static int line_ts(const cJSON *root, int64_t *ms)
{
    const char *s = jin_str(root, "timestamp");
    return s && tpt_parse_iso(s, TPT_NAIVE_UTC, ms) == 0;
}

static char *dup_str(const cJSON *obj, const char *key)
{
    const char *s = jin_str(obj, key);
    return s ? xstrdup(s) : NULL;
}

static int is_true(const cJSON *obj, const char *key)
{
    int v = 0;
    return jin_bool(obj, key, &v) == 1 && v;
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
static const char *content_text(const cJSON *content)
{
    if (cJSON_IsString(content))
        return content->valuestring;
    if (cJSON_IsArray(content)) {
        const cJSON *b;
        cJSON_ArrayForEach(b, content)
        {
            const char *ty = jin_str(b, "type");
            const char *tx = jin_str(b, "text");
            if (ty && strcmp(ty, "text") == 0 && tx)
                return tx;
        }
    }
    return NULL;
}

/* Bytes of a tool_result content as sent to the model. */
static int64_t content_bytes(const cJSON *content)
{
    if (cJSON_IsString(content))
        return (int64_t)strlen(content->valuestring);
    if (!cJSON_IsArray(content))
        return -1;
    int64_t n = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, content)
    {
        const char *tx = jin_str(b, "text");
        const char *data = jin_str(jin_get(b, "source"), "data");
        if (tx)
            n += (int64_t)strlen(tx);
        else if (data)
            n += (int64_t)strlen(data);
    }
    return n;
}

/* `duration_ms: N` inside the <usage> tail that Agent/Task results end
 * with; NAN when absent. */
static double usage_tail_ms(const cJSON *content)
{
    const cJSON *b;
    if (cJSON_IsString(content)) {
        const char *u = strstr(content->valuestring, "<usage>");
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
    cJSON_ArrayForEach(b, content)
    {
        const cJSON *tx = jin_get(b, "text");
        if (cJSON_IsString(tx)) {
            double v = usage_tail_ms(tx);
            if (!isnan(v))
                return v;
        }
    }
    return NAN;
}

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A short error: the first non-empty line of s, without <tool_use_error>
 * tags, cut to TP_MAX_ERROR bytes at a character boundary. NULL when s has
 * no text. */
static char *first_line(const char *s)
{
    static const char open[] = "<tool_use_error>", close[] = "</tool_use_error>";
    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (starts_with(s, open))
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

static struct op *op_push(struct transcript *t, int64_t offset)
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

/* ---- model requests and turns ----------------------------------------- */

static void copy_str(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s ? s : "");
}

/* Emit thread k's request as it stands (it stays open). */
static void req_emit(struct transcript *t, int k)
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
static void req_close(struct transcript *t, int k)
{
    if (!t->req[k].open)
        return;
    req_emit(t, k);
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

/* Any assistant line: its response's request. The fields are found
 * without a parse (jscan): text and thinking lines never need one. */
static void on_assistant_request(struct transcript *t, const char *s, size_t n, int64_t offset)
{
    static const char *const keys[] = {"timestamp", "requestId", "requestRef", "isSidechain",
                                       "sessionId", "cwd",       "message"};
    struct jscan_val v[7];
    if (jscan_top(s, n, keys, 7, v) < 0 || v[6].type != JSCAN_OTHER)
        return;
    static const char *const mkeys[] = {"id", "model", "usage"};
    struct jscan_val m[3];
    if (jscan_top(v[6].p, v[6].n, mkeys, 3, m) < 0)
        return;
    char buf[64];
    int64_t ts;
    raw_copy(&v[0], buf, sizeof buf);
    if (!buf[0] || tpt_parse_iso(buf, TPT_NAIVE_UTC, &ts) != 0)
        return;
    char key[128];
    raw_copy(&v[1], key, sizeof key);
    if (!key[0])
        raw_copy(&m[0], key, sizeof key);
    if (!key[0])
        return;
    int k = v[3].type == JSCAN_OTHER && v[3].n == 4 && memcmp(v[3].p, "true", 4) == 0;
    struct tc_req *q = &t->req[k];
    if (q->open && strcmp(q->key, key) != 0)
        req_close(t, k);
    if (!q->open) {
        memset(q, 0, sizeof *q);
        q->open = 1;
        q->sidechain = k;
        q->offset = offset;
        copy_str(q->key, sizeof q->key, key);
        char ref[64];
        raw_copy(&v[2], ref, sizeof ref);
        q->start_ms = t->last_user_ms[k] ? t->last_user_ms[k] : ts;
        for (unsigned i = 0; ref[0] && i < TC_APIREQ_SLOTS && i < t->napireq; i++)
            if (strcmp(t->apireq[i].ref, ref) == 0) {
                q->start_ms = t->apireq[i].ms;
                q->start_exact = 1;
            }
        raw_copy(&v[4], q->session, sizeof q->session);
        raw_copy(&v[5], q->cwd, sizeof q->cwd);
        for (int i = 0; i < 4; i++)
            q->tokens[i] = -1;
    }
    if (ts > q->end_ms)
        q->end_ms = ts;
    if (!q->model[0])
        raw_copy(&m[1], q->model, sizeof q->model);
    if (m[2].type == JSCAN_OTHER) {
        /* Streamed lines repeat the usage with placeholders: keep the
         * largest of each count. */
        static const char *const ukeys[] = {"input_tokens", "output_tokens",
                                            "cache_read_input_tokens",
                                            "cache_creation_input_tokens"};
        struct jscan_val u[4];
        if (jscan_top(m[2].p, m[2].n, ukeys, 4, u) >= 0)
            for (int i = 0; i < 4; i++) {
                int64_t x = raw_int(&u[i]);
                if (x > q->tokens[i])
                    q->tokens[i] = x;
            }
    }
    if (t->turn.open && ts > t->turn_last_ms)
        t->turn_last_ms = ts;
}

/* api-request lines: when the client sent a request (by its ref). */
static void on_api_request(struct transcript *t, const char *s, size_t n)
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
static void turn_emit(struct transcript *t, int64_t end_ms, double active_ms)
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
    struct op *op = op_push(t, offset);
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
static void acct_close(struct transcript *t, double total_ms, int64_t offset)
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
    calls_free(a->calls, a->n);
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
static void turn_end(struct transcript *t, int64_t end_ms, double active_ms)
{
    struct tc_turn *tu = &t->turn;
    turn_emit(t, end_ms, active_ms);
    if (!tu->open || end_ms < tu->start_ms) {
        turn_reset(tu);
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
    turn_reset(tu);
}

static void turn_start(struct transcript *t, int64_t ms, int64_t offset, const char *session)
{
    /* The turn before, when no turn_duration line ended it: it ended with
     * its last line. */
    if (t->turn.open)
        turn_emit(t, t->turn_last_ms, NAN);
    copy_str(t->turn_session, sizeof t->turn_session, session);
    t->turn_last_ms = ms;
    /* Until the file shows cost-state lines, nothing will account for the
     * calls before this prompt: let them go (and the resume point with). */
    if (!t->acct.seen) {
        calls_free(t->acct.calls, t->acct.n);
        t->acct.n = 0;
    }
    turn_reset(&t->turn);
    t->turn.open = 1;
    t->turn.start_ms = ms;
    t->turn.offset = offset;
}

/* What the result of a call says, when there is one. */
struct tc_result {
    int64_t ms;
    const cJSON *content;
    const cJSON *tur; /* toolUseResult, when it belongs to this block */
    int is_error;
    int ask; /* from the line's permissionDecision; OP_ASK_UNKNOWN without */
};

enum tc_outcome { OUT_DONE, OUT_INTERRUPTED, OUT_LOST };

/* Turn a pending call into an op (and retire it). r is NULL for calls that
 * ended without a result; end_ms is then when that was noticed. */
static void call_finish(struct transcript *t, struct tc_call *c, const struct tc_result *r,
                        enum tc_outcome how, int64_t end_ms)
{
    struct op *op = op_push(t, c->offset);
    const char *outcome = NULL, *from = "none", *adjusted = NULL;
    int64_t start = c->use_ms;

    op->source = OP_SRC_TRANSCRIPT;
    op->tool = c->name;
    c->name = NULL;
    toolcall_describe(op, c->input, r ? r->tur : NULL);
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
        const char *text = content_text(r->content);
        int tur_error = cJSON_IsString(r->tur) && starts_with(r->tur->valuestring, "Error:");
        int bash_intr = is_true(r->tur, "interrupted");
        int rejected = starts_with(text, "The user doesn't want to proceed with this tool use");
        double wall = (double)(r->ms - c->use_ms);

        op->success = !(r->is_error || tur_error || bash_intr);
        op->result_bytes = content_bytes(r->content);
        if (!op->success) {
            if (rejected) {
                outcome = "rejected";
                op->error = xstrdup("rejected by user");
            } else if (bash_intr || starts_with(text, "[Request interrupted by user")) {
                outcome = "interrupted";
                op->error = xstrdup("interrupted");
            } else {
                if (text && strstr(text, "Sibling tool call errored"))
                    outcome = "cancelled";
                op->error = first_line(text);
                if (!op->error && cJSON_IsString(r->tur))
                    op->error = first_line(r->tur->valuestring);
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
        double self = toolcall_self_duration_ms(op->tool, r->tur);
        if (!isnan(self)) {
            op_set_phase(op, OP_PH_EXEC, self, OP_EX_EXACT, PHS_TOOL);
            from = "tool";
        } else if ((strcmp(op->tool, "Task") == 0 || strcmp(op->tool, "Agent") == 0) &&
                   !isnan(self = usage_tail_ms(r->content))) {
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

    call_retire(t, c);
    call_free(c);
}

/* Emit every pending call that started before cutoff_ms as lost. Calls are
 * listed in file order, which is start order but for clock noise, so the
 * walk stops at the first younger call. */
static void flush_lost(struct transcript *t, int64_t cutoff_ms)
{
    while (t->head && t->head->use_ms < cutoff_ms)
        call_finish(t, t->head, NULL, OUT_LOST, 0);
}

/* ---- line handlers ---------------------------------------------------- */

static void on_assistant(struct transcript *t, cJSON *root, int64_t offset)
{
    const cJSON *msg = jin_get(root, "message");
    cJSON *content = (cJSON *)jin_get(msg, "content");
    int64_t ts;
    if (!cJSON_IsArray(content))
        return;
    int have_ts = line_ts(root, &ts);
    const char *msg_id = jin_str(msg, "id");
    cJSON *b;
    cJSON_ArrayForEach(b, content)
    {
        const char *ty = jin_str(b, "type");
        if (!ty || strcmp(ty, "tool_use") != 0)
            continue;
        const char *id = jin_str(b, "id"), *name = jin_str(b, "name");
        if (!id || !*id || !name || !*name || !have_ts) {
            t->st.skipped_calls++;
            continue;
        }
        if (kmap_find(&t->ids, id, strlen(id)) >= 0) {
            t->st.duplicates++;
            continue;
        }
        flush_lost(t, ts - TRANSCRIPT_LOST_AFTER_MS);
        t->st.tool_uses++;

        struct tc_call *c = xcalloc(1, sizeof *c);
        c->id = xstrdup(id);
        c->name = xstrdup(name);
        cJSON *in = cJSON_GetObjectItemCaseSensitive(b, "input");
        c->input = in ? cJSON_DetachItemViaPointer(b, in) : NULL;
        c->use_ms = ts;
        c->offset = offset;
        c->session = dup_str(root, "sessionId");
        c->cwd = dup_str(root, "cwd");
        c->agent = dup_str(root, "agentId");
        c->sidechain = is_true(root, "isSidechain");
        c->old_build = version_is_old(jin_str(root, "version"));
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
    return starts_with(s, "[Request interrupted by user");
}

static void on_user(struct transcript *t, const cJSON *root, int64_t offset)
{
    const cJSON *content = jin_get(jin_get(root, "message"), "content");
    const cJSON *tur = jin_get(root, "toolUseResult");
    int64_t ts;
    int have_ts = line_ts(root, &ts);
    int nres = 0, interrupt = 0, text = 0;
    const cJSON *b;

    if (cJSON_IsString(content)) {
        interrupt = is_interrupt_text(content->valuestring);
        text = !interrupt;
    } else if (cJSON_IsArray(content)) {
        cJSON_ArrayForEach(b, content)
        {
            const char *ty = jin_str(b, "type");
            if (ty && strcmp(ty, "tool_result") == 0)
                nres++;
            else if (ty && strcmp(ty, "text") == 0 && is_interrupt_text(jin_str(b, "text")))
                interrupt = 1;
            else if (ty && strcmp(ty, "text") == 0)
                text = 1;
        }
    }
    /* A prompt typed by the person starts a turn (sub-agents' prompts and
     * lines the client injects do not). */
    if (text && !nres && !interrupt && have_ts && !is_true(root, "isMeta") &&
        !is_true(root, "isSidechain") && !is_true(root, "isCompactSummary")) {
        const char *mode = jin_str(root, "permissionMode");
        if (mode && *mode) {
            free(t->mode);
            t->mode = xstrdup(mode);
        }
        req_close(t, 0);
        turn_start(t, ts, offset, jin_str(root, "sessionId"));
        t->last_user_ms[0] = ts;
        return;
    }
    if (have_ts && nres) {
        int k = is_true(root, "isSidechain");
        req_close(t, k);
        t->last_user_ms[k] = ts;
        if (t->turn.open && ts > t->turn_last_ms)
            t->turn_last_ms = ts;
    }
    /* 2.1.x result lines say how the call was allowed. */
    int ask = toolcall_ask_from_source(jin_str(jin_get(root, "permissionDecision"), "source"));
    if (nres > 0) {
        cJSON_ArrayForEach(b, content)
        {
            const char *ty = jin_str(b, "type");
            if (!ty || strcmp(ty, "tool_result") != 0)
                continue;
            const char *id = jin_str(b, "tool_use_id");
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
                .content = jin_get(b, "content"),
                /* toolUseResult describes the line's one result; with
                 * several results on a line it is ambiguous. */
                .tur = nres == 1 ? tur : NULL,
                .is_error = is_true(b, "is_error"),
                .ask = ask,
            };
            t->st.results++;
            call_finish(t, c, &r, OUT_DONE, 0);
        }
    }
    /* The user stopped the turn: whatever is still running was cut off. */
    if (interrupt && have_ts)
        while (t->head)
            call_finish(t, t->head, NULL, OUT_INTERRUPTED, ts);
}

/* progress lines: only mcp_progress matters (the last elapsedTimeMs of a
 * running MCP call is its duration as the client measured it). */
static void on_progress(struct transcript *t, const cJSON *root)
{
    const cJSON *data = jin_get(root, "data");
    const char *dt = jin_str(data, "type");
    const char *id = jin_str(root, "parentToolUseID");
    double ms;
    if (!id)
        id = jin_str(root, "toolUseID");
    if (!dt || strcmp(dt, "mcp_progress") != 0 || !id)
        return;
    struct tc_call *c = pending_call(t, id);
    if (c && jin_num(data, "elapsedTimeMs", &ms) == 1 && isfinite(ms) && ms >= 0)
        c->mcp_ms = ms;
}

/* attachment lines (2.1.97+): a PreToolUse hook's run time is inside the
 * wall time of its call but is not the tool's. */
static void on_attachment(struct transcript *t, const cJSON *root)
{
    const cJSON *a = jin_get(root, "attachment");
    const char *ev = jin_str(a, "hookEvent");
    const char *id = jin_str(a, "toolUseID");
    double ms;
    if (!id)
        id = jin_str(root, "toolUseID");
    if (!ev || strcmp(ev, "PreToolUse") != 0 || !id)
        return;
    struct tc_call *c = pending_call(t, id);
    /* Bounded like any duration, the sum too: it is stored as an integer. */
    if (c && jin_num(a, "durationMs", &ms) == 1 && ms >= 0 && ms <= TP_MAX_DURATION_MS)
        c->pre_hook_ms = fmin(c->pre_hook_ms + ms, TP_MAX_DURATION_MS);
}

/* system lines: a turn_duration ends the turn. */
static void on_system(struct transcript *t, const cJSON *root)
{
    const char *sub = jin_str(root, "subtype");
    int64_t ts;
    double ms;
    if (!sub || strcmp(sub, "turn_duration") != 0 || !line_ts(root, &ts))
        return;
    if (is_true(root, "isSidechain"))
        return;
    /* The turn is over, and so is its last response. */
    req_close(t, 0);
    if (jin_num(root, "durationMs", &ms) == 1 && ms >= 0 && ms <= TP_MAX_DURATION_MS)
        turn_end(t, ts, ms);
}

/* cost-state lines (late 2.1.x): the session's running totals. */
static void on_cost_state(struct transcript *t, const cJSON *root, int64_t offset)
{
    double ms;
    if (jin_num(root, "totalToolDuration", &ms) == 1 && isfinite(ms) && ms >= 0 && ms < 1e13)
        acct_close(t, ms, offset);
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
        on_api_request(t, line, len);
        return 0;
    }
    if (k == LK_ASSISTANT) {
        on_assistant_request(t, line, len, offset);
        if (!has(line, len, "\"tool_use\""))
            return 0; /* no call on it: no parse */
    }

    /* Strict first: it is several times faster than the repairing parse
     * and accepts every well-formed line; only lines with invalid UTF-8 or
     * NULs take the second, repairing pass. */
    char sub[TP_ERR_MAX];
    cJSON *root = jin_parse(line, len, JIN_STRICT, TP_MAX_JSON_DEPTH, sub);
    if (!root)
        root = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, sub);
    t->st.parsed++;
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        t->st.malformed++;
        return tp_fail(errbuf, TP_EPARSE, "%s", root ? "not a JSON object" : sub);
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
    cJSON_Delete(root);
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
        /* What is still open is read again from its offset; but a turn
         * still open is read again only while its calls wait for its
         * accounting. It is told as it stands, up to its latest line: a
         * later report of it (the same session and start) with a later end
         * replaces that, and a reader resuming past its prompt would
         * otherwise never store it. */
        if (t->turn.open)
            turn_emit(t, t->turn_last_ms, NAN);
        /* The same for a response still being written; it stays open, so
         * that the next read starts at it and tells it whole. */
        for (int k = 0; k < 2; k++)
            if (t->req[k].open)
                req_emit(t, k);
        return;
    }
    flush_lost(t, INT64_MAX);
    req_close(t, 0);
    req_close(t, 1);
    if (t->turn.open) {
        turn_emit(t, t->turn_last_ms, NAN);
        turn_reset(&t->turn);
    }
}
