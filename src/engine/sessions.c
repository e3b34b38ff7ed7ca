/*
 * sessions.c - sessions and where their time went (see sessions.h).
 *
 * The list reads the per-session sums the store keeps with its rollups,
 * plus each listed session's model requests and turns (both indexed by
 * session), so its cost is the number of sessions listed, not of calls.
 *
 * The timeline of one session reads its calls (a scan of the session's
 * span with the session filter), requests and turns, then lays them on the
 * clock: each becomes segments (a call: its hooks, its wait, its exec, in
 * that order; a request; the gap between a turn's end and the next
 * prompt), and a sweep over the segments' boundaries gives each stretch of
 * time to the highest-priority part active in it.
 */
#include "sessions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/xmalloc.h"

static const char *const part_names[SPLIT_PARTS] = {"model", "tools",  "approvals", "unsplit",
                                                    "hooks", "prompt", "idle"};

const char *split_part_name(enum split_part p)
{
    return (unsigned)p < SPLIT_PARTS ? part_names[p] : "?";
}

/* ---- the list --------------------------------------------------------------- */

struct req_sums {
    uint64_t n;
    double model_ms;
    int64_t tin, tout, tcr, tcw;
    double cost;
};

static void add_tokens(int64_t *sum, int64_t v)
{
    if (v >= 0)
        *sum = (*sum < 0 ? 0 : *sum) + v;
}

static int sum_request(void *ctx, const struct request *r)
{
    struct req_sums *x = ctx;
    x->n++;
    if (!r->sidechain && !isnan(r->duration_ms))
        x->model_ms += r->duration_ms;
    add_tokens(&x->tin, r->input_tokens);
    add_tokens(&x->tout, r->output_tokens);
    add_tokens(&x->tcr, r->cache_read_tokens);
    add_tokens(&x->tcw, r->cache_write_tokens);
    if (!isnan(r->cost_usd))
        x->cost = (isnan(x->cost) ? 0 : x->cost) + r->cost_usd;
    return 0;
}

struct turn_sums {
    uint64_t n;
    int64_t prev_end;
    double prompt_ms;
};

static int sum_turn(void *ctx, const struct turn *t)
{
    struct turn_sums *x = ctx;
    if (x->n++ && x->prev_end && t->start_ms > x->prev_end)
        x->prompt_ms += (double)(t->start_ms - x->prev_end);
    x->prev_end = t->end_ms;
    return 0;
}

static int sum_usage(void *ctx, const char *model, enum usage_metric m, double value)
{
    struct session_item *it = ctx;
    struct usage_by_model *x = it->nusage_models ? &it->usage_models[it->nusage_models - 1] : NULL;
    if (!x || (x->model ? !model || strcmp(x->model, model) != 0 : model != NULL)) {
        it->usage_models =
            xreallocarray(it->usage_models, it->nusage_models + 1, sizeof *it->usage_models);
        x = &it->usage_models[it->nusage_models++];
        x->model = model ? xstrdup(model) : NULL;
        for (int k = 0; k < USAGE_METRICS; k++)
            x->v[k] = NAN;
    }
    x->v[m] = value;
    it->usage[m] = (isnan(it->usage[m]) ? 0 : it->usage[m]) + value;
    return 0;
}

/* Tokens and cost from the usage counters when no request gave any. */
static void tokens_from_usage(struct session_item *it)
{
    int64_t *tok[] = {&it->input_tokens, &it->output_tokens, &it->cache_read_tokens,
                      &it->cache_write_tokens};
    int from_requests = !isnan(it->cost_usd), from_usage = !isnan(it->usage[USAGE_COST_USD]);
    for (int k = 0; k < 4; k++) {
        from_requests |= *tok[k] >= 0;
        from_usage |= !isnan(it->usage[USAGE_TOKENS_INPUT + k]);
    }
    if (from_requests) {
        it->tokens_from = "requests";
    } else if (from_usage) {
        it->tokens_from = "metrics";
        for (int k = 0; k < 4; k++)
            if (!isnan(it->usage[USAGE_TOKENS_INPUT + k]))
                *tok[k] = llround(it->usage[USAGE_TOKENS_INPUT + k]);
        it->cost_usd = it->usage[USAGE_COST_USD];
    }
}

/* Fill an item's fields other than its calls' sums. */
static int item_extras(struct store *s, int64_t sid, struct session_item *it, char *errbuf)
{
    struct req_sums r = {0, 0, -1, -1, -1, -1, NAN};
    struct turn_sums tu = {0, 0, 0};
    if (store_requests(s, sid, 0, 0, sum_request, &r) != 0 ||
        store_turns(s, sid, sum_turn, &tu) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    for (int k = 0; k < USAGE_METRICS; k++)
        it->usage[k] = NAN;
    if (store_usage(s, sid, sum_usage, it) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    it->requests = r.n;
    it->input_tokens = r.tin;
    it->output_tokens = r.tout;
    it->cache_read_tokens = r.tcr;
    it->cache_write_tokens = r.tcw;
    it->cost_usd = r.cost;
    tokens_from_usage(it);
    it->turns = tu.n;
    it->split.ms[SPLIT_MODEL] = r.model_ms;
    it->split.ms[SPLIT_PROMPT] = tu.prompt_ms;
    return 0;
}

static void item_from_row(struct store *s, const struct store_session *ss, struct session_item *it)
{
    memset(it, 0, sizeof *it);
    const char *id = store_str(s, ss->id), *proj = store_str(s, ss->project);
    it->id = xstrdup(id ? id : "?");
    it->project = proj && *proj ? xstrdup(proj) : NULL;
    it->first_ms = ss->first_ms;
    it->last_ms = ss->last_ms;
    it->calls = ss->calls;
    it->failed = ss->failed;
    it->sub_calls = ss->sub;
    it->asked = ss->asked;
    it->split.wall_ms = (double)(ss->last_ms - ss->first_ms);
    it->split.ms[SPLIT_TOOLS] = ss->exec_ms;
    it->split.ms[SPLIT_APPROVALS] = ss->wait_ms;
    it->split.ms[SPLIT_UNSPLIT] = ss->unsplit_ms;
    it->split.ms[SPLIT_HOOKS] = ss->hook_ms;
}

/* The idle part of a split from sums: what the others leave (never
 * below 0: parallel calls each count in the sums). */
static void split_idle(struct session_split *sp)
{
    double used = 0;
    for (int p = 0; p < SPLIT_PARTS; p++)
        if (p != SPLIT_IDLE)
            used += sp->ms[p];
    sp->ms[SPLIT_IDLE] = sp->wall_ms > used ? sp->wall_ms - used : 0;
}

static void item_free(struct session_item *it)
{
    free(it->id);
    free(it->project);
    free(it->agent);
    for (size_t i = 0; i < it->nusage_models; i++)
        free(it->usage_models[i].model);
    free(it->usage_models);
}

static int first_call(void *ctx, const struct store_row *r)
{
    struct session_item *it = ctx;
    it->agent = xstrdup(r->op.agent ? r->op.agent : OP_AGENT_DEFAULT);
    return 1;
}

/* The agent of a session's first call. */
static int item_agent(struct store *s, int64_t sid, struct session_item *it)
{
    struct store_scan sc = {.from_ms = it->first_ms, .to_ms = it->last_ms + 1};
    sc.f.session = sid;
    return store_scan(s, &sc, first_call, it);
}

struct list_ctx {
    struct store *s;
    struct sessions *out;
    size_t limit, alloc;
    int64_t *ids;
};

/* One session of the list; the store gives them latest ending first, so
 * the walk stops at the limit (at 10M stored calls a window of all time
 * holds some 60,000 sessions). */
static int list_row(void *ctx, const struct store_session *ss)
{
    struct list_ctx *c = ctx;
    if (c->out->n >= c->limit) {
        c->out->more = 1;
        return 1;
    }
    if (c->out->n == c->alloc) {
        c->alloc = c->alloc ? 2 * c->alloc : 32;
        c->out->items = xreallocarray(c->out->items, c->alloc, sizeof *c->out->items);
        c->ids = xreallocarray(c->ids, c->alloc, sizeof *c->ids);
    }
    c->ids[c->out->n] = ss->id;
    item_from_row(c->s, ss, &c->out->items[c->out->n++]);
    return 0;
}

int engine_sessions(struct store *s, const struct engine_query *q, size_t limit,
                    struct sessions *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    struct engine_query nq = *q;
    nq.tool = NULL;
    struct store_filter f;
    if (engine_filter(s, &nq, &f) != 0)
        return 0; /* a project or session never stored: no sessions */
    struct list_ctx c = {s, out, limit, 0, NULL};
    int rc;
    if (f.session) {
        struct store_session ss;
        rc = store_session_get(s, f.session, &ss);
        if (rc == 0 && ss.last_ms >= q->w.since_ms && ss.first_ms < q->w.until_ms &&
            (!f.project || ss.project == f.project))
            list_row(&c, &ss);
        rc = rc == TP_ENOTFOUND ? 0 : rc;
    } else {
        rc = store_sessions(s, q->w.since_ms, q->w.until_ms, f.project, list_row, &c);
    }
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        rc = item_extras(s, c.ids[i], &out->items[i], errbuf);
        if (rc == 0 && item_agent(s, c.ids[i], &out->items[i]) != 0)
            rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
        split_idle(&out->items[i].split);
    }
    free(c.ids);
    if (rc) {
        sessions_free(out);
        return errbuf[0] ? rc : tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    return 0;
}

void sessions_free(struct sessions *x)
{
    for (size_t i = 0; i < x->n; i++)
        item_free(&x->items[i]);
    free(x->items);
    memset(x, 0, sizeof *x);
}

/* ---- one session -------------------------------------------------------------- */

struct id_matches {
    int64_t ids[6];
    char *names[6];
    size_t n;
};

static int id_match(void *ctx, int64_t id, const char *name)
{
    struct id_matches *m = ctx;
    if (m->n < 6) {
        m->ids[m->n] = id;
        m->names[m->n] = xstrdup(name);
        m->n++;
    }
    return 0;
}

static void matches_free(struct id_matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
}

/* The session id for an id or a prefix of one. */
static int resolve_session(struct store *s, const char *id, int64_t *out, char *errbuf)
{
    struct store_session ss;
    int64_t exact = store_str_id(s, id);
    if (exact && store_session_get(s, exact, &ss) == 0) {
        *out = exact;
        return 0;
    }
    struct id_matches m = {.n = 0};
    if (strlen(id) >= 4 && store_session_ids(s, id, 6, id_match, &m) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    if (m.n == 1) {
        *out = m.ids[0];
        matches_free(&m);
        return 0;
    }
    int rc;
    if (m.n > 1)
        rc =
            tp_fail(errbuf, TP_EINVAL, "session %.64s: %zu%s sessions start so (%s, %s%s)", id, m.n,
                    m.n > 5 ? " or more" : "", m.names[0], m.names[1], m.n > 2 ? ", ..." : "");
    else
        rc = tp_fail(errbuf, TP_ENOTFOUND,
                     strlen(id) < 4 ? "session %.64s: no such session (give at least 4 "
                                      "characters of an id; `toolprof sessions` lists them)"
                                    : "session %.64s: no such session (`toolprof sessions` "
                                      "lists them)",
                     id);
    matches_free(&m);
    return rc;
}

struct call_list {
    struct session_call *v;
    size_t n, alloc;
};

static int collect_call(void *ctx, const struct store_row *r)
{
    struct call_list *l = ctx;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 64;
        l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
    }
    struct session_call *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    op_copy(&c->op, &r->op);
    c->sources = r->sources;
    return 0;
}

static int cmp_call(const void *a, const void *b)
{
    const struct session_call *x = a, *y = b;
    return x->op.ts_ms < y->op.ts_ms ? -1 : x->op.ts_ms > y->op.ts_ms;
}

struct req_list {
    struct request *v;
    size_t n, alloc;
};

static int collect_request(void *ctx, const struct request *r)
{
    struct req_list *l = ctx;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 32;
        l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
    }
    struct request *x = &l->v[l->n++];
    *x = *r;
    x->id = xstrdup(r->id);
    x->session_id = r->session_id ? xstrdup(r->session_id) : NULL;
    x->project = r->project ? xstrdup(r->project) : NULL;
    x->model = r->model ? xstrdup(r->model) : NULL;
    return 0;
}

struct turn_list {
    struct turn *v;
    size_t n, alloc;
};

static int collect_turn(void *ctx, const struct turn *t)
{
    struct turn_list *l = ctx;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 16;
        l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
    }
    struct turn *x = &l->v[l->n++];
    *x = *t;
    x->session_id = t->session_id ? xstrdup(t->session_id) : NULL;
    return 0;
}

/* The value of a string member of an op's metadata (malloc'd), or NULL. */
static char *meta_str(const struct op *op, const char *key)
{
    if (!op->meta)
        return NULL;
    char err[TP_ERR_MAX];
    cJSON *m = jin_parse(op->meta, strlen(op->meta), JIN_STRICT, 8, err);
    const char *v = jin_str(m, key);
    char *out = v && *v ? xstrdup(v) : NULL;
    cJSON_Delete(m);
    return out;
}

/* Lanes: the main thread, then each sub-agent in order of its first call;
 * a sub-agent's parent is the Agent/Task call that says it spawned it. */
static void assign_lanes(struct session_detail *d)
{
    d->lanes = xcalloc(1, sizeof *d->lanes);
    d->nlanes = 1;
    for (size_t i = 0; i < d->ncalls; i++) {
        struct session_call *c = &d->calls[i];
        if (!c->op.subagent)
            continue;
        size_t k = 1;
        while (k < d->nlanes && strcmp(d->lanes[k].subagent, c->op.subagent) != 0)
            k++;
        if (k == d->nlanes) {
            d->lanes = xreallocarray(d->lanes, d->nlanes + 1, sizeof *d->lanes);
            d->lanes[k].subagent = xstrdup(c->op.subagent);
            d->lanes[k].parent = NULL;
            d->nlanes++;
        }
        c->lane = (int)k;
    }
    for (size_t i = 0; i < d->ncalls; i++) {
        const struct op *op = &d->calls[i].op;
        if (strcmp(op->tool, "Agent") != 0 && strcmp(op->tool, "Task") != 0)
            continue;
        char *spawned = meta_str(op, "spawned");
        for (size_t k = 1; spawned && k < d->nlanes; k++)
            if (!d->lanes[k].parent && strcmp(d->lanes[k].subagent, spawned) == 0)
                d->lanes[k].parent = xstrdup(op->tool_use_id);
        free(spawned);
    }
    for (size_t i = 0; i < d->ncalls; i++) {
        struct session_call *c = &d->calls[i];
        if (c->lane && d->lanes[c->lane].parent)
            c->parent = xstrdup(d->lanes[c->lane].parent);
    }
}

/* ---- the clock ---------------------------------------------------------------- */

/* Parts in order of precedence: the first active one takes the time. */
static const enum split_part precedence[] = {SPLIT_APPROVALS, SPLIT_HOOKS, SPLIT_TOOLS,
                                             SPLIT_UNSPLIT,   SPLIT_MODEL, SPLIT_PROMPT};
#define NPREC (sizeof precedence / sizeof precedence[0])

struct edge {
    double at;
    int part, delta;
};

struct edges {
    struct edge *v;
    size_t n, alloc;
};

static void segment(struct edges *e, double from, double to, enum split_part part)
{
    if (!(to > from))
        return;
    if (e->n + 2 > e->alloc) {
        e->alloc = e->alloc ? 2 * e->alloc : 128;
        e->v = xreallocarray(e->v, e->alloc, sizeof *e->v);
    }
    e->v[e->n++] = (struct edge){from, (int)part, +1};
    e->v[e->n++] = (struct edge){to, (int)part, -1};
}

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Add [from, to) of part to the session's clock, joining it to the last
 * stretch when that is the same part and ends where it starts. */
static void stretch(struct session_detail *d, double from, double to, enum split_part part)
{
    if (d->nclock && d->clock[d->nclock - 1].part == part &&
        d->clock[d->nclock - 1].to_ms == from) {
        d->clock[d->nclock - 1].to_ms = to;
        return;
    }
    /* Room for 16, doubled whenever a power of two from 16 on is full. */
    if (d->nclock == 0 || (d->nclock >= 16 && (d->nclock & (d->nclock - 1)) == 0))
        d->clock = xreallocarray(d->clock, d->nclock ? 2 * d->nclock : 16, sizeof *d->clock);
    d->clock[d->nclock++] = (struct session_stretch){from, to, part};
}

/* Lay the session's main thread on the clock from t0 to t1. */
static void on_clock(struct session_detail *d, int64_t t0, int64_t t1)
{
    struct edges e = {NULL, 0, 0};
    struct session_split *sp = &d->s.split;
    for (size_t i = 0; i < d->ncalls; i++) {
        struct session_call *c = &d->calls[i];
        const struct op *op = &c->op;
        double start = (double)(op->ts_ms - t0), at = start;
        double hook = isnan(op->hook_ms) ? 0 : op->hook_ms;
        double wait = isnan(op->wait_ms) ? 0 : op->wait_ms;
        double exec = isnan(op->duration_ms) ? 0 : op->duration_ms;
        double wall = !isnan(op->wall_ms) ? op->wall_ms : hook + wait + exec;
        c->start_ms = start;
        c->end_ms = start + wall;
        if (c->lane)
            continue; /* inside the call that started its sub-agent */
        segment(&e, at, at + hook, SPLIT_HOOKS);
        at += hook;
        segment(&e, at, at + wait, SPLIT_APPROVALS);
        at += wait;
        if (isnan(op->duration_ms) && isnan(op->wait_ms)) {
            segment(&e, at, start + wall, SPLIT_UNSPLIT);
        } else {
            /* Exec, and what the call's wall holds beyond its parts. */
            segment(&e, at, fmax(at + exec, start + wall), SPLIT_TOOLS);
        }
    }
    for (size_t i = 0; i < d->nrequests; i++) {
        const struct request *r = &d->requests[i];
        if (!r->sidechain && !isnan(r->duration_ms))
            segment(&e, (double)(r->start_ms - t0), (double)(r->start_ms - t0) + r->duration_ms,
                    SPLIT_MODEL);
    }
    for (size_t i = 0; i + 1 < d->nturns; i++)
        if (d->turns[i].end_ms && d->turns[i + 1].start_ms > d->turns[i].end_ms)
            segment(&e, (double)(d->turns[i].end_ms - t0), (double)(d->turns[i + 1].start_ms - t0),
                    SPLIT_PROMPT);
    memset(sp->ms, 0, sizeof sp->ms);
    sp->wall_ms = (double)(t1 - t0);
    sp->on_clock = 1;
    qsort(e.v, e.n, sizeof *e.v, cmp_edge);
    int active[SPLIT_PARTS] = {0};
    double prev = 0;
    for (size_t i = 0; i <= e.n; i++) {
        double at = i < e.n ? e.v[i].at : sp->wall_ms;
        if (at > sp->wall_ms)
            at = sp->wall_ms;
        if (at > prev) {
            enum split_part who = SPLIT_IDLE;
            for (size_t k = 0; k < NPREC; k++)
                if (active[precedence[k]] > 0) {
                    who = precedence[k];
                    break;
                }
            sp->ms[who] += at - prev;
            stretch(d, prev, at, who);
            prev = at;
        }
        if (i < e.n)
            active[e.v[i].part] += e.v[i].delta;
    }
    free(e.v);
}

int engine_session(struct store *s, const char *id, struct session_detail *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    int64_t sid = 0;
    int rc = resolve_session(s, id, &sid, errbuf);
    if (rc)
        return rc;
    struct store_session ss;
    if (store_session_get(s, sid, &ss) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    item_from_row(s, &ss, &out->s);
    struct call_list cl = {NULL, 0, 0};
    struct store_scan sc = {.from_ms = ss.first_ms, .to_ms = ss.last_ms + 1};
    sc.f.session = sid;
    struct req_list rl = {NULL, 0, 0};
    struct turn_list tl = {NULL, 0, 0};
    if (store_scan(s, &sc, collect_call, &cl) != 0 ||
        store_requests(s, sid, 0, 0, collect_request, &rl) != 0 ||
        store_turns(s, sid, collect_turn, &tl) != 0 || item_extras(s, sid, &out->s, errbuf) != 0) {
        out->calls = cl.v;
        out->ncalls = cl.n;
        out->requests = rl.v;
        out->nrequests = rl.n;
        out->turns = tl.v;
        out->nturns = tl.n;
        session_detail_free(out);
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    qsort(cl.v, cl.n, sizeof *cl.v, cmp_call);
    out->calls = cl.v;
    out->ncalls = cl.n;
    out->requests = rl.v;
    out->nrequests = rl.n;
    out->turns = tl.v;
    out->nturns = tl.n;
    assign_lanes(out);
    /* The session's clock: from its first to its last event of any kind. */
    int64_t t0 = ss.first_ms, t1 = ss.last_ms;
    for (size_t i = 0; i < rl.n; i++) {
        if (rl.v[i].start_ms < t0)
            t0 = rl.v[i].start_ms;
        int64_t end = rl.v[i].start_ms +
                      (isnan(rl.v[i].duration_ms) ? 0 : (int64_t)llround(rl.v[i].duration_ms));
        if (end > t1)
            t1 = end;
    }
    for (size_t i = 0; i < tl.n; i++) {
        if (tl.v[i].start_ms < t0)
            t0 = tl.v[i].start_ms;
        if (tl.v[i].end_ms > t1)
            t1 = tl.v[i].end_ms;
    }
    out->s.first_ms = t0;
    out->s.last_ms = t1;
    if (cl.n)
        out->s.agent = xstrdup(cl.v[0].op.agent ? cl.v[0].op.agent : OP_AGENT_DEFAULT);
    on_clock(out, t0, t1);
    return 0;
}

void session_detail_free(struct session_detail *d)
{
    item_free(&d->s);
    for (size_t i = 0; i < d->ncalls; i++) {
        op_clear(&d->calls[i].op);
        free(d->calls[i].parent);
    }
    free(d->calls);
    for (size_t i = 0; i < d->nrequests; i++)
        request_clear(&d->requests[i]);
    free(d->requests);
    for (size_t i = 0; i < d->nturns; i++)
        turn_clear(&d->turns[i]);
    free(d->turns);
    for (size_t i = 0; i < d->nlanes; i++) {
        free(d->lanes[i].subagent);
        free(d->lanes[i].parent);
    }
    free(d->lanes);
    free(d->clock);
    memset(d, 0, sizeof *d);
}
