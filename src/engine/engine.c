/*
 * engine.c - stats, slow operations and bottlenecks, answered from the
 * store's rollups (trends.c: the same over time; hotspots.c: where the
 * time goes, by target; query.c: what a query's window and filters mean;
 * resources.c: this process and its store).
 *
 * Every question is asked of a window [since, until). engine_collect()
 * covers a window with as few rollup rows as possible: whole 30-day
 * buckets in the middle, whole UTC days around them, whole hours around
 * those, and raw rows only for the partial hours at the two edges. A 24-hour
 * window reads about 24 hourly rows per tool plus at most two hours of raw
 * rows; "all" over a year reads about a dozen 30-day rows per tool. Local
 * days (trends) in zones whose offset is not a whole number of hours, such
 * as +05:30, come out exact because the edges are read from raw rows.
 *
 * Percentiles are exact (nearest rank over the raw durations) when the
 * window holds at most TP_EXACT_MAX_OPS operations; above that they come
 * from the merged sketches, within 1 %. The answer says which.
 *
 * A session filter has no rollups (sessions are short and many): it is
 * answered from raw rows over the session's span, which the store keeps.
 */
#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "catalog.h"

#define HOUR_MS TPT_HOUR_MS
#define DAY_MS TPT_DAY_MS

/* ---- collecting aggregates -------------------------------------------------- */

/* Per-tool aggregates under construction. */
struct tool_aggs {
    struct kmap map; /* tool id -> index */
    int64_t *ids;
    struct agg *aggs;
    size_t alloc;
};

static void tool_aggs_init(struct tool_aggs *t)
{
    memset(t, 0, sizeof *t);
}

static struct agg *tool_agg(struct tool_aggs *t, int64_t tool)
{
    int added;
    size_t i = kmap_put(&t->map, &tool, sizeof tool, &added);
    if (i >= t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 16;
        t->ids = xreallocarray(t->ids, t->alloc, sizeof *t->ids);
        t->aggs = xreallocarray(t->aggs, t->alloc, sizeof *t->aggs);
    }
    if (added) {
        t->ids[i] = tool;
        agg_init(&t->aggs[i]);
    }
    return &t->aggs[i];
}

static struct agg *tool_agg_for(void *ctx, int64_t tool)
{
    return tool_agg(ctx, tool);
}

static int add_row(void *ctx, const struct store_row *r)
{
    struct agg *a = tool_agg(ctx, r->tool_id);
    agg_add(a, r->op.duration_ms, r->op.success, r->op.optimized, r->attention, r->op.size_bytes);
    agg_add_phases(a, r->op.duration_ms, r->op.wall_ms, r->op.wait_ms, r->op.hook_ms,
                   r->op.ask == OP_ASK_ASKED);
    return 0;
}

static int collect_raw(struct store *s, int64_t a, int64_t b, const struct store_filter *f,
                       int ids_only, store_row_cb cb, void *ctx)
{
    if (a >= b)
        return 0;
    struct store_scan sc = {.from_ms = a, .to_ms = b, .f = *f, .ids_only = ids_only};
    return store_scan(s, &sc, cb, ctx);
}

int engine_clip_session(struct store *s, const struct store_filter *f, int64_t *a, int64_t *b)
{
    int64_t first, last;
    if (store_session_span(s, f->session, &first, &last) != 0)
        return 0;
    /* The span ends at the last call's end; a call starts before that. */
    if (first > *a)
        *a = first;
    if (last + 1 < *b)
        *b = last + 1;
    return *a < *b;
}

struct collect_ctx {
    struct store *s;
    const struct store_filter *f;
    struct tool_aggs *t;
};

/* One part of a window (see rollup_cover): rollups, or raw rows. */
static int collect_part(void *ctx, int level, int64_t from, int64_t to)
{
    struct collect_ctx *c = ctx;
    if (level < 0)
        return collect_raw(c->s, from, to, c->f, 1, add_row, c->t);
    return store_rollups_into(c->s, level, from, to, c->f, tool_agg_for, c->t);
}

int64_t engine_window_end(const struct engine_query *q, int64_t b, int64_t width)
{
    return q->w.open_end && b >= q->w.until_ms ? tpt_ceil_to(b, width) : b;
}

static int collect(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                   struct tool_aggs *t)
{
    if (f->session) {
        if (!engine_clip_session(s, f, &a, &b))
            return 0;
        return collect_raw(s, a, b, f, 1, add_row, t);
    }
    struct collect_ctx c = {s, f, t};
    return rollup_cover(a, b, collect_part, &c);
}

struct timed_sum {
    struct store *s;
    const struct store_filter *f;
    uint64_t n;
    double sum_ms;
};

static int timed_row(void *ctx, const struct store_row *r)
{
    struct timed_sum *t = ctx;
    if (!isnan(r->op.duration_ms)) {
        t->n++;
        t->sum_ms += r->op.duration_ms;
    }
    return 0;
}

/* Raw rows' durations: summed by the store, which reads only them, or
 * from a scan's rows where it cannot (the team store). */
static int timed_raw(struct timed_sum *t, int64_t from, int64_t to)
{
    int rc = store_raw_timed_sum(t->s, from, to, t->f, &t->n, &t->sum_ms);
    return rc == TP_EUNSUPP ? collect_raw(t->s, from, to, t->f, 1, timed_row, t) : rc;
}

static int timed_part(void *ctx, int level, int64_t from, int64_t to)
{
    struct timed_sum *t = ctx;
    if (level < 0)
        return timed_raw(t, from, to);
    return store_rollup_sums(t->s, level, from, to, t->f, &t->n, &t->sum_ms);
}

int engine_timed_sum(struct store *s, const struct engine_query *q, int64_t since_ms,
                     int64_t until_ms, uint64_t *n_timed, double *sum_ms, char *errbuf)
{
    struct store_filter f;
    struct timed_sum t = {s, &f, 0, 0};
    *n_timed = 0;
    *sum_ms = 0;
    if (engine_filter(s, q, &f) != 0)
        return 0;
    int64_t a = since_ms, b = engine_window_end(q, until_ms, HOUR_MS);
    int rc = 0;
    if (f.session) {
        if (engine_clip_session(s, &f, &a, &b))
            rc = timed_raw(&t, a, b);
    } else {
        rc = rollup_cover(a, b, timed_part, &t);
    }
    if (rc)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    *n_timed = t.n;
    *sum_ms = t.sum_ms;
    return 0;
}

int engine_collect(struct store *s, const struct engine_query *q, int64_t since_ms,
                   int64_t until_ms, int64_t **tool_ids, struct agg **aggs, size_t *n, char *errbuf)
{
    struct store_filter f;
    struct tool_aggs t;
    tool_aggs_init(&t);
    *tool_ids = NULL;
    *aggs = NULL;
    *n = 0;
    if (engine_filter(s, q, &f) != 0)
        return 0;
    if (collect(s, &f, since_ms, engine_window_end(q, until_ms, HOUR_MS), &t) != 0) {
        for (size_t i = 0; i < t.map.n; i++)
            agg_free(&t.aggs[i]);
        free(t.ids);
        free(t.aggs);
        kmap_free(&t.map);
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    *tool_ids = t.ids;
    *aggs = t.aggs;
    *n = t.map.n;
    kmap_free(&t.map);
    return 0;
}

static void free_collected(int64_t *ids, struct agg *aggs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        agg_free(&aggs[i]);
    free(ids);
    free(aggs);
}

/* ---- stats -------------------------------------------------------------------- */

struct durations {
    double *v;
    size_t n, alloc;
};

static void dur_push(struct durations *d, double v)
{
    if (d->n == d->alloc) {
        d->alloc = d->alloc ? d->alloc * 2 : 256;
        d->v = xreallocarray(d->v, d->alloc, sizeof(double));
    }
    d->v[d->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the ceil(p * n)-th smallest (sorted input). */
static double nearest_rank(const struct durations *d, double p)
{
    if (!d->n)
        return 0;
    size_t k = (size_t)ceil(p * (double)d->n);
    if (k < 1)
        k = 1;
    if (k > d->n)
        k = d->n;
    return d->v[k - 1];
}

static double median(const struct durations *d)
{
    if (!d->n)
        return 0;
    if (d->n % 2)
        return d->v[d->n / 2];
    return (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
}

/* Raw durations of the window, overall and per group of tools. */
struct exact_ctx {
    struct durations all;
    struct durations *per;    /* one per group */
    const struct kmap *group; /* tool id -> index in ids, parallel to gid */
    const size_t *gid;
};

static int exact_row(void *ctx, const struct store_row *r)
{
    struct exact_ctx *e = ctx;
    if (isnan(r->op.duration_ms))
        return 0;
    dur_push(&e->all, r->op.duration_ms);
    long i = kmap_find(e->group, &r->tool_id, sizeof r->tool_id);
    if (i >= 0)
        dur_push(&e->per[e->gid[i]], r->op.duration_ms);
    return 0;
}

/* Total operations in the window without tool/project filters, from the
 * rollups (to bound the cost of the raw scan an exact answer needs). */
static uint64_t window_total(struct store *s, int64_t a, int64_t b)
{
    struct store_filter none = {0};
    struct tool_aggs t;
    tool_aggs_init(&t);
    uint64_t n = 0;
    if (collect(s, &none, a, b, &t) == 0)
        for (size_t i = 0; i < t.map.n; i++)
            n += t.aggs[i].n;
    for (size_t i = 0; i < t.map.n; i++)
        agg_free(&t.aggs[i]);
    free(t.ids);
    free(t.aggs);
    kmap_free(&t.map);
    return n;
}

static int cmp_tool_total(const void *a, const void *b)
{
    const struct tool_stats *x = a, *y = b;
    if (x->total_ms != y->total_ms)
        return x->total_ms < y->total_ms ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int c = strcmp(x->tool ? x->tool : "", y->tool ? y->tool : "");
    return c ? c : strcmp(x->agent ? x->agent : "", y->agent ? y->agent : "");
}

static void phase_totals_of(const struct agg *a, struct phase_totals *p)
{
    p->asked = a->asked;
    p->n_wait = a->n_wait;
    p->n_hook = a->n_hook;
    p->n_unsplit = a->n_unsplit;
    p->wait_ms = a->wait_ms;
    p->hook_ms = a->hook_ms;
    p->unsplit_ms = a->unsplit_ms;
}

/* Groups of the collected tools (q->by): gid[i] is the group of ids[i];
 * the groups' rows get their names. Returns the number of groups. */
static size_t group_tools(struct store *s, enum engine_by by, const int64_t *ids, size_t n,
                          size_t *gid, struct tool_stats **rows)
{
    struct kmap names;
    kmap_init(&names);
    *rows = xcalloc(n ? n : 1, sizeof **rows);
    for (size_t i = 0; i < n; i++) {
        char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
        const char *key = store_str(s, ids[i]), *agent;
        engine_tool_names(key ? key : "?", name, sizeof name, &agent, canon, sizeof canon);
        const char *g = by == BY_AGENT ? agent : by == BY_CANONICAL ? canon : NULL;
        int added = 1;
        gid[i] =
            g ? kmap_put(&names, g, strlen(g), &added) : kmap_put(&names, &i, sizeof i, &added);
        if (!added)
            continue;
        struct tool_stats *t = &(*rows)[gid[i]];
        t->tool = xstrdup(by == BY_TOOL ? name : g);
        t->agent = by == BY_CANONICAL ? NULL : xstrdup(agent);
        t->canonical = by == BY_AGENT ? NULL : xstrdup(canon);
    }
    size_t ng = names.n;
    kmap_free(&names);
    return ng;
}

int engine_stats(struct store *s, const struct engine_query *q, struct stats *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    out->w = q->w;
    out->exact = 1;
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    int rc = engine_collect(s, q, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc)
        return rc;

    /* The rows: one per tool, agent or canonical name. */
    size_t *gid = xcalloc(n ? n : 1, sizeof *gid);
    size_t ng = group_tools(s, q->by, ids, n, gid, &out->tools);
    out->ntools = ng;
    struct agg all, *gagg = xcalloc(ng ? ng : 1, sizeof *gagg);
    agg_init(&all);
    for (size_t g = 0; g < ng; g++)
        agg_init(&gagg[g]);
    struct kmap by_id;
    kmap_init(&by_id);
    for (size_t i = 0; i < n; i++) {
        int added;
        kmap_put(&by_id, &ids[i], sizeof ids[i], &added);
        agg_merge(&all, &aggs[i]);
        agg_merge(&gagg[gid[i]], &aggs[i]);
        char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
        const char *key = store_str(s, ids[i]), *agent;
        engine_tool_names(key ? key : "?", name, sizeof name, &agent, canon, sizeof canon);
        if (catalog_has_option(canon)) {
            out->with_option += aggs[i].n;
            out->used_option += aggs[i].optimized;
            out->tools[gid[i]].with_option += aggs[i].n;
            out->tools[gid[i]].used_option += aggs[i].optimized;
        }
    }

    /* Exact percentiles when the window is small enough to read; the raw
     * scan must also stay small when filters hide most of the window. */
    struct store_filter f;
    engine_filter(s, q, &f);
    int exact = all.n <= TP_EXACT_MAX_OPS;
    if (exact && (f.tool || f.ntools || f.project || f.user || f.host) && !f.session)
        exact = window_total(s, q->w.since_ms, q->w.until_ms) <= 10 * TP_EXACT_MAX_OPS;
    struct exact_ctx ex = {{0}, NULL, &by_id, gid};
    if (exact && all.n) {
        ex.per = xcalloc(ng ? ng : 1, sizeof *ex.per);
        int64_t a = q->w.since_ms, b = q->w.until_ms;
        if (!f.session || engine_clip_session(s, &f, &a, &b))
            rc = collect_raw(s, a, b, &f, 1, exact_row, &ex);
        if (rc) {
            rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
            goto done;
        }
        if (ex.all.n > 1)
            qsort(ex.all.v, ex.all.n, sizeof(double), cmp_double);
        for (size_t g = 0; g < ng; g++)
            if (ex.per[g].n > 1)
                qsort(ex.per[g].v, ex.per[g].n, sizeof(double), cmp_double);
    }
    out->exact = exact;

    out->total = all.n;
    out->timed = all.n_timed;
    out->slow = all.slow;
    out->critical = all.critical;
    out->failed = all.failed;
    out->optimized = all.optimized;
    out->total_ms = all.sum_ms;
    phase_totals_of(&all, &out->ph);
    out->avg_ms = all.n_timed ? all.sum_ms / (double)all.n_timed : 0;
    if (exact) {
        out->median_ms = median(&ex.all);
        out->p95_ms = nearest_rank(&ex.all, 0.95);
        out->p99_ms = nearest_rank(&ex.all, 0.99);
    } else {
        out->median_ms = sketch_quantile(&all.sk, 0.5);
        out->p95_ms = sketch_quantile(&all.sk, 0.95);
        out->p99_ms = sketch_quantile(&all.sk, 0.99);
    }

    for (size_t g = 0; g < ng; g++) {
        struct tool_stats *t = &out->tools[g];
        const struct agg *a = &gagg[g];
        t->count = a->n;
        t->timed = a->n_timed;
        t->slow = a->slow;
        t->critical = a->critical;
        t->failed = a->failed;
        t->optimized = a->optimized;
        t->total_ms = a->sum_ms;
        phase_totals_of(a, &t->ph);
        t->avg_ms = a->n_timed ? a->sum_ms / (double)a->n_timed : 0;
        if (exact) {
            t->p50_ms = nearest_rank(&ex.per[g], 0.5);
            t->p95_ms = nearest_rank(&ex.per[g], 0.95);
            t->p99_ms = nearest_rank(&ex.per[g], 0.99);
            t->max_ms = ex.per[g].n ? ex.per[g].v[ex.per[g].n - 1] : 0;
        } else {
            t->p50_ms = sketch_quantile(&a->sk, 0.5);
            t->p95_ms = sketch_quantile(&a->sk, 0.95);
            t->p99_ms = sketch_quantile(&a->sk, 0.99);
            t->max_ms = sketch_quantile(&a->sk, 1.0);
        }
    }
    if (ng > 1)
        qsort(out->tools, ng, sizeof *out->tools, cmp_tool_total);
done:
    free(ex.all.v);
    if (ex.per)
        for (size_t g = 0; g < ng; g++)
            free(ex.per[g].v);
    free(ex.per);
    agg_free(&all);
    for (size_t g = 0; g < ng; g++)
        agg_free(&gagg[g]);
    free(gagg);
    free(gid);
    kmap_free(&by_id);
    free_collected(ids, aggs, n);
    if (rc)
        stats_free(out);
    return rc;
}

void stats_free(struct stats *st)
{
    for (size_t i = 0; i < st->ntools; i++) {
        free(st->tools[i].tool);
        free(st->tools[i].agent);
        free(st->tools[i].canonical);
    }
    free(st->tools);
    st->tools = NULL;
    st->ntools = 0;
}

/* ---- lists of operations ------------------------------------------------------ */

void op_list_free(struct op_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        op_clear(&l->items[i].op);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void list_push(struct op_list *l, size_t *alloc, const struct store_row *r)
{
    if (l->n == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 64;
        l->items = xreallocarray(l->items, *alloc, sizeof *l->items);
    }
    struct op_item *it = &l->items[l->n++];
    it->id = r->id;
    it->sources = r->sources;
    op_copy(&it->op, &r->op);
}

/* Newest first; ties by id for a stable order. */
static int cmp_item_newest(const void *a, const void *b)
{
    const struct op_item *x = a, *y = b;
    if (x->op.ts_ms != y->op.ts_ms)
        return x->op.ts_ms < y->op.ts_ms ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* Slowest first; ties newest first. */
static int cmp_item_slowest(const void *a, const void *b)
{
    const struct op_item *x = a, *y = b;
    if (x->op.duration_ms != y->op.duration_ms)
        return x->op.duration_ms < y->op.duration_ms ? 1 : -1;
    return cmp_item_newest(a, b);
}

struct slow_ctx {
    struct op_list *l;
    size_t alloc;
};

static int slow_row(void *ctx, const struct store_row *r)
{
    struct slow_ctx *c = ctx;
    if (!isnan(r->op.duration_ms)) /* unknown is not "at least the threshold", even 0 */
        list_push(c->l, &c->alloc, r);
    return 0;
}

int engine_slow(struct store *s, const struct engine_query *q, double threshold_ms, size_t limit,
                struct op_list *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    struct store_filter f;
    if (limit == 0 || engine_filter(s, q, &f) != 0)
        return 0;
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    if (f.session && !engine_clip_session(s, &f, &a, &b))
        return 0;
    /* The slowest calls of the window. The scan reads only the hours whose
     * longest call reaches its floor: the floor starts at the sketch's
     * estimate of the limit-th longest duration (3 % lower, for the
     * sketch's error), never below the threshold, and halves towards the
     * threshold until enough calls are found. */
    double floor_ms = threshold_ms;
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    int rc = engine_collect(s, q, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc)
        return rc;
    struct agg all;
    agg_init(&all);
    for (size_t i = 0; i < n; i++)
        agg_merge(&all, &aggs[i]);
    free_collected(ids, aggs, n);
    if (all.n_timed > limit) {
        double rank = 1.0 - ((double)limit - 0.5) / (double)all.n_timed;
        double est = sketch_quantile(&all.sk, rank) * 0.97;
        if (est > floor_ms)
            floor_ms = est;
    }
    agg_free(&all);
    for (;;) {
        struct slow_ctx c = {out, 0};
        struct store_scan sc = {
            .from_ms = a, .to_ms = b, .f = f, .min_duration_ms = floor_ms, .desc = 1};
        op_list_free(out);
        if (store_scan(s, &sc, slow_row, &c) != 0) {
            op_list_free(out);
            return tp_fail(errbuf, TP_EDB, "reading the store failed");
        }
        if (out->n >= limit || floor_ms <= threshold_ms)
            break;
        floor_ms = floor_ms / 2 > threshold_ms && floor_ms > 1 ? floor_ms / 2 : threshold_ms;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof *out->items, cmp_item_slowest);
    while (out->n > limit)
        op_clear(&out->items[--out->n].op);
    return 0;
}

/* ---- bottlenecks --------------------------------------------------------------- */

static void list_keep_slowest(struct op_list *l, size_t k)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, cmp_item_slowest);
    while (l->n > k)
        op_clear(&l->items[--l->n].op);
}

static int cmp_group(const void *a, const void *b)
{
    const struct bottleneck_group *x = a, *y = b;
    double dx = x->ops.n ? x->ops.items[0].op.duration_ms : 0;
    double dy = y->ops.n ? y->ops.items[0].op.duration_ms : 0;
    if (dx != dy)
        return dx < dy ? 1 : -1;
    return strcmp(x->tool, y->tool);
}

/* Bottlenecks being looked for: each tool's least duration so far and how
 * many calls it needs; rows are routed to their tool's group by id. */
struct bn_ctx {
    struct bottlenecks *out;
    struct kmap by_tool; /* tool id -> index into out->groups */
    int64_t *tool;       /* per group */
    double *threshold;
    uint64_t *need;
    size_t *alloc;
};

static int bn_row(void *ctx, const struct store_row *r)
{
    struct bn_ctx *c = ctx;
    long g = kmap_find(&c->by_tool, &r->tool_id, sizeof r->tool_id);
    if (g >= 0 && !isnan(r->op.duration_ms))
        list_push(&c->out->groups[g].ops, &c->alloc[g], r);
    return 0;
}

/* Read the calls of the pending groups at least as long as their
 * thresholds: every hour once for all of them (store_scan_tools), or tool
 * by tool where the store cannot (the team store). */
static int bn_scan(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                   struct bn_ctx *c, const size_t *pending, size_t np)
{
    int64_t tools[STORE_SCAN_TOOLS];
    double mins[STORE_SCAN_TOOLS];
    for (size_t i = 0; i < np; i++) {
        size_t g = pending[i];
        op_list_free(&c->out->groups[g].ops);
        c->alloc[g] = 0;
    }
    int rc = TP_EUNSUPP;
    for (size_t i0 = 0; i0 < np; i0 += STORE_SCAN_TOOLS) {
        size_t k = np - i0 < STORE_SCAN_TOOLS ? np - i0 : STORE_SCAN_TOOLS;
        for (size_t i = 0; i < k; i++) {
            size_t g = pending[i0 + i];
            tools[i] = c->tool[g];
            mins[i] = c->threshold[g] > 0.001 ? c->threshold[g] : 0;
        }
        struct store_scan_tools st = {a, b, *f, tools, mins, k};
        if ((rc = store_scan_tools(s, &st, bn_row, c)) != 0)
            break;
    }
    if (rc != TP_EUNSUPP)
        return rc;
    for (size_t i = 0; i < np; i++) {
        size_t g = pending[i];
        op_list_free(&c->out->groups[g].ops);
        c->alloc[g] = 0;
        struct store_scan sc = {.from_ms = a,
                                .to_ms = b,
                                .f = *f,
                                .min_duration_ms = c->threshold[g] > 0.001 ? c->threshold[g] : 0,
                                .desc = 1};
        sc.f.tool = c->tool[g];
        sc.f.ntools = 0;
        if ((rc = store_scan(s, &sc, bn_row, c)) != 0)
            return rc;
    }
    return 0;
}

int engine_bottlenecks(struct store *s, const struct engine_query *q, size_t per_tool,
                       struct bottlenecks *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    int rc = engine_collect(s, q, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc || !n || !per_tool)
        goto done;
    struct store_filter f;
    engine_filter(s, q, &f);
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    if (f.session && !engine_clip_session(s, &f, &a, &b))
        goto done;
    out->groups = xcalloc(n, sizeof *out->groups);
    struct bn_ctx c = {out,
                       {0},
                       xcalloc(n, sizeof(int64_t)),
                       xcalloc(n, sizeof(double)),
                       xcalloc(n, sizeof(uint64_t)),
                       xcalloc(n, sizeof(size_t))};
    kmap_init(&c.by_tool);
    size_t *pending = xcalloc(n, sizeof *pending), np = 0;
    for (size_t i = 0; i < n; i++) {
        if (!aggs[i].n_timed)
            continue;
        size_t g = out->n++;
        out->groups[g].tool = engine_tool_label(store_str(s, ids[i]));
        int added;
        kmap_put(&c.by_tool, &ids[i], sizeof ids[i], &added);
        c.tool[g] = ids[i];
        /* Start from the sketch's estimate of the per_tool-th largest
         * duration, a little lower for the sketch's error; the scan then
         * reads only hours whose maximum reaches it. Halve the threshold
         * until enough calls are found. */
        c.need[g] = per_tool < aggs[i].n_timed ? per_tool : aggs[i].n_timed;
        double q_rank = 1.0 - ((double)c.need[g] - 0.5) / (double)aggs[i].n_timed;
        c.threshold[g] = sketch_quantile(&aggs[i].sk, q_rank < 0 ? 0 : q_rank) * 0.97;
        pending[np++] = g;
    }
    while (np && rc == 0) {
        if (bn_scan(s, &f, a, b, &c, pending, np) != 0) {
            rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
            break;
        }
        size_t left = 0;
        for (size_t i = 0; i < np; i++) {
            size_t g = pending[i];
            if (out->groups[g].ops.n >= c.need[g] || c.threshold[g] <= 0.001)
                continue;
            c.threshold[g] = c.threshold[g] > 1 ? c.threshold[g] / 2 : 0;
            pending[left++] = g;
        }
        np = left;
    }
    for (size_t g = 0; g < out->n; g++)
        list_keep_slowest(&out->groups[g].ops, per_tool);
    if (out->n > 1)
        qsort(out->groups, out->n, sizeof *out->groups, cmp_group);
    kmap_free(&c.by_tool);
    free(c.tool);
    free(c.threshold);
    free(c.need);
    free(c.alloc);
    free(pending);
done:
    free_collected(ids, aggs, n);
    if (rc)
        bottlenecks_free(out);
    return rc;
}

void bottlenecks_free(struct bottlenecks *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->groups[i].tool);
        op_list_free(&b->groups[i].ops);
    }
    free(b->groups);
    b->groups = NULL;
    b->n = 0;
}

/* ---- one sum over every tool ---------------------------------------------------- */

int engine_sum(struct store *s, const struct store_filter *f, int64_t since_ms, int64_t until_ms,
               struct agg *sum)
{
    struct tool_aggs t;
    tool_aggs_init(&t);
    int rc = collect(s, f, since_ms, until_ms, &t);
    agg_reset(sum);
    for (size_t k = 0; k < t.map.n; k++) {
        agg_merge(sum, &t.aggs[k]);
        agg_free(&t.aggs[k]);
    }
    free(t.ids);
    free(t.aggs);
    kmap_free(&t.map);
    return rc ? TP_EDB : 0;
}
