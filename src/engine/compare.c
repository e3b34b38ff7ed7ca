/*
 * compare.c - two periods side by side (see compare.h).
 *
 * Both periods are collected per tool from the rollups (engine_collect),
 * grouped into rows by tool, agent or canonical name, and merged. When the
 * two periods together hold at most TP_EXACT_MAX_OPS timed calls, their raw
 * durations are read too (one scan per period) and every quantile and
 * interval comes from them; otherwise from the merged sketches. The
 * decision itself (compare_ranks, compare_quantile, compare_decide) is a
 * handful of pure functions the unit tests drive with their own samples.
 */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"

static const char *const verdict_names[] = {"too_few", "same", "slower", "faster"};

const char *compare_verdict_name(enum compare_verdict v)
{
    return (unsigned)v < sizeof verdict_names / sizeof verdict_names[0] ? verdict_names[v] : "?";
}

/* ---- the decision --------------------------------------------------------------- */

int compare_ranks(uint64_t n, double p, uint64_t *lo, uint64_t *hi)
{
    if (n == 0)
        return -1;
    double np = (double)n * p, half = COMPARE_Z * sqrt(np * (1 - p));
    double l = floor(np - half), u = ceil(np + half) + 1;
    if (l < 1 || u > (double)n)
        return -1;
    *lo = (uint64_t)l;
    *hi = (uint64_t)u;
    return 0;
}

/* The value of 1-based rank r of a sample. */
static double at_rank(const struct compare_sample *s, uint64_t r)
{
    if (s->v)
        return s->v[r - 1];
    /* The sketch's nearest rank ceil(q n) is r for q = (r - 0.5) / n. */
    return sketch_quantile(s->sk, ((double)r - 0.5) / (double)s->n);
}

void compare_quantile(const struct compare_sample *s, double p, double *q, double *lo, double *hi)
{
    *q = *lo = *hi = NAN;
    if (!s->n)
        return;
    uint64_t r = (uint64_t)ceil(p * (double)s->n);
    if (r < 1)
        r = 1;
    /* The median of an even count is the mean of its middle pair, as
     * stats computes it; other quantiles are nearest ranks. */
    if (p == 0.5 && s->v && s->n % 2 == 0)
        *q = (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
    else
        *q = at_rank(s, r);
    uint64_t l, u;
    if (compare_ranks(s->n, p, &l, &u) != 0)
        return;
    *lo = at_rank(s, l);
    *hi = at_rank(s, u);
    if (!s->v) { /* a sketch's values are within its relative error */
        *lo *= 1 - SKETCH_ALPHA;
        *hi *= 1 + SKETCH_ALPHA;
    }
}

enum compare_verdict compare_decide(uint64_t na, double qa, double lo_a, double hi_a, uint64_t nb,
                                    double qb, double lo_b, double hi_b)
{
    if (na < COMPARE_MIN_CALLS || nb < COMPARE_MIN_CALLS || isnan(lo_a) || isnan(hi_a) ||
        isnan(lo_b) || isnan(hi_b))
        return CMP_TOO_FEW;
    /* a is the current period, b the baseline. */
    double base = qb > 0 ? qb : 0;
    int moved = base > 0 ? fabs(qa - qb) >= COMPARE_MIN_CHANGE * base : qa > 0;
    if (lo_a > hi_b && moved)
        return CMP_SLOWER;
    if (hi_a < lo_b && moved)
        return CMP_FASTER;
    return CMP_SAME;
}

/* ---- collecting ------------------------------------------------------------------ */

struct durations {
    double *v;
    uint64_t n, alloc;
};

static void dur_push(struct durations *d, double v)
{
    if (d->n == d->alloc) {
        d->alloc = d->alloc ? d->alloc * 2 : 64;
        d->v = xreallocarray(d->v, d->alloc, sizeof *d->v);
    }
    d->v[d->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One row while collecting: its merged aggregates and raw durations. */
struct group {
    struct agg agg[2]; /* 0: current, 1: baseline */
    struct durations d[2];
};

struct collect {
    struct store *s;
    enum engine_by by;
    struct kmap names; /* group key -> index */
    struct kmap tools; /* tool id -> index into gid */
    size_t *gid;       /* per tool: its group */
    size_t ntools_alloc;
    struct group *g;
    size_t galloc;
    struct compare_row *rows; /* names per group, parallel to g */
    struct group all;
    int side; /* while scanning */
};

/* The group of a tool id (added with its names on first sight). */
static size_t group_of(struct collect *c, int64_t id)
{
    int added;
    size_t t = kmap_put(&c->tools, &id, sizeof id, &added);
    if (!added)
        return c->gid[t];
    if (t >= c->ntools_alloc) {
        c->ntools_alloc = c->ntools_alloc ? 2 * c->ntools_alloc : 32;
        c->gid = xreallocarray(c->gid, c->ntools_alloc, sizeof *c->gid);
    }
    char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
    const char *key = store_str(c->s, id), *agent;
    engine_tool_names(key ? key : "?", name, sizeof name, &agent, canon, sizeof canon);
    const char *label = c->by == BY_AGENT ? agent : c->by == BY_CANONICAL ? canon : NULL;
    size_t g;
    if (label) {
        g = kmap_put(&c->names, label, strlen(label), &added);
    } else {
        /* By tool: a tool of two agents is two rows. */
        char k[TP_MAX_TOOL + 64];
        int len = snprintf(k, sizeof k, "%s%c%s", name, 0, agent);
        g = kmap_put(&c->names, k, (size_t)len, &added);
    }
    if (added) {
        if (g >= c->galloc) {
            c->galloc = c->galloc ? 2 * c->galloc : 16;
            c->g = xreallocarray(c->g, c->galloc, sizeof *c->g);
            c->rows = xreallocarray(c->rows, c->galloc, sizeof *c->rows);
        }
        memset(&c->g[g], 0, sizeof c->g[g]);
        agg_init(&c->g[g].agg[0]);
        agg_init(&c->g[g].agg[1]);
        struct compare_row *r = &c->rows[g];
        memset(r, 0, sizeof *r);
        r->tool = xstrdup(label ? label : name);
        r->agent = c->by == BY_TOOL ? xstrdup(agent) : NULL;
        r->canonical = c->by == BY_TOOL ? xstrdup(canon) : NULL;
    }
    c->gid[t] = g;
    return g;
}

static int raw_row(void *ctx, const struct store_row *r)
{
    struct collect *c = ctx;
    if (isnan(r->op.duration_ms))
        return 0;
    size_t g = group_of(c, r->tool_id);
    dur_push(&c->g[g].d[c->side], r->op.duration_ms);
    dur_push(&c->all.d[c->side], r->op.duration_ms);
    return 0;
}

/* The raw durations of one period. */
static int scan_period(struct collect *c, const struct engine_query *q, int side)
{
    struct store_filter f;
    if (engine_filter(c->s, q, &f) != 0)
        return 0;
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    if (f.session) {
        int64_t first, last;
        if (store_session_span(c->s, f.session, &first, &last) != 0)
            return 0;
        if (first > a)
            a = first;
        if (last + 1 < b)
            b = last + 1;
        if (a >= b)
            return 0;
    }
    c->side = side;
    struct store_scan sc = {.from_ms = a, .to_ms = b, .f = f, .ids_only = 1};
    return store_scan(c->s, &sc, raw_row, c);
}

/* Whether a period's raw rows are cheap enough to read: the filters may
 * hide most of a window, whose scan reads every row of it. */
static int window_small(struct store *s, const struct engine_query *q, char *errbuf)
{
    struct engine_query all = {.w = q->w};
    uint64_t n = 0;
    double sum = 0;
    if (engine_timed_sum(s, &all, q->w.since_ms, q->w.until_ms, &n, &sum, errbuf) != 0)
        return 0;
    return n <= 10 * TP_EXACT_MAX_OPS;
}

static void side_of(struct compare_side *x, const struct agg *a, const struct durations *d,
                    int exact)
{
    x->count = a->n;
    x->timed = a->n_timed;
    struct compare_sample smp = {exact ? d->v : NULL, a->n_timed, &a->sk};
    if (exact && d->n != a->n_timed) /* rows changed between the reads: use what was read */
        smp.n = d->n;
    compare_quantile(&smp, 0.5, &x->p50_ms, &x->p50_lo, &x->p50_hi);
    compare_quantile(&smp, 0.95, &x->p95_ms, &x->p95_lo, &x->p95_hi);
}

static void row_of(struct compare_row *r, struct group *g, int exact)
{
    for (int k = 0; k < 2; k++)
        if (exact && g->d[k].n > 1)
            qsort(g->d[k].v, g->d[k].n, sizeof(double), cmp_double);
    side_of(&r->cur, &g->agg[0], &g->d[0], exact);
    side_of(&r->base, &g->agg[1], &g->d[1], exact);
    r->p50 = compare_decide(r->cur.timed, r->cur.p50_ms, r->cur.p50_lo, r->cur.p50_hi,
                            r->base.timed, r->base.p50_ms, r->base.p50_lo, r->base.p50_hi);
    r->p95 = compare_decide(r->cur.timed, r->cur.p95_ms, r->cur.p95_lo, r->cur.p95_hi,
                            r->base.timed, r->base.p95_ms, r->base.p95_lo, r->base.p95_hi);
}

static int cmp_rows(const void *a, const void *b)
{
    const struct compare_row *x = a, *y = b;
    if (x->cur.count != y->cur.count)
        return x->cur.count < y->cur.count ? 1 : -1;
    if (x->base.count != y->base.count)
        return x->base.count < y->base.count ? 1 : -1;
    int c = strcmp(x->tool, y->tool);
    return c ? c : strcmp(x->agent ? x->agent : "", y->agent ? y->agent : "");
}

static void group_free(struct group *g)
{
    for (int k = 0; k < 2; k++) {
        agg_free(&g->agg[k]);
        free(g->d[k].v);
    }
}

int engine_compare(struct store *s, const struct engine_query *q, const struct engine_window *base,
                   struct comparison *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    out->cur = q->w;
    out->base = *base;
    out->by = q->by;
    struct engine_query qs[2] = {*q, *q};
    qs[1].w = *base;
    qs[1].w.open_end = 0;
    struct collect c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.by = q->by;
    kmap_init(&c.names);
    kmap_init(&c.tools);
    agg_init(&c.all.agg[0]);
    agg_init(&c.all.agg[1]);
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        int64_t *ids;
        struct agg *aggs;
        size_t n;
        rc = engine_collect(s, &qs[k], qs[k].w.since_ms, qs[k].w.until_ms, &ids, &aggs, &n, errbuf);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (aggs[i].n) {
                size_t g = group_of(&c, ids[i]);
                agg_merge(&c.g[g].agg[k], &aggs[i]);
                agg_merge(&c.all.agg[k], &aggs[i]);
            }
        }
        for (size_t i = 0; rc == 0 && i < n; i++)
            agg_free(&aggs[i]);
        if (rc == 0) {
            free(ids);
            free(aggs);
        }
    }
    if (rc)
        goto done;
    /* Exact when both periods are small; their raw scans must be small too. */
    int exact = c.all.agg[0].n_timed + c.all.agg[1].n_timed <= TP_EXACT_MAX_OPS;
    struct store_filter f;
    engine_filter(s, q, &f);
    if (exact && (f.tool || f.ntools || f.project) && !f.session)
        exact = window_small(s, &qs[0], errbuf) && window_small(s, &qs[1], errbuf);
    for (int k = 0; exact && k < 2 && rc == 0; k++)
        if (scan_period(&c, &qs[k], k) != 0)
            rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
    if (rc)
        goto done;
    out->exact = exact;
    size_t ng = c.names.n;
    out->rows = xcalloc(ng ? ng : 1, sizeof *out->rows);
    for (size_t g = 0; g < ng; g++) {
        out->rows[g] = c.rows[g];
        row_of(&out->rows[g], &c.g[g], exact);
    }
    out->n = ng;
    if (ng > 1)
        qsort(out->rows, ng, sizeof *out->rows, cmp_rows);
    out->all.tool = xstrdup("all");
    row_of(&out->all, &c.all, exact);
done:
    for (size_t g = 0; g < c.names.n; g++) {
        group_free(&c.g[g]);
        if (rc) {
            free(c.rows[g].tool);
            free(c.rows[g].agent);
            free(c.rows[g].canonical);
        }
    }
    group_free(&c.all);
    free(c.g);
    free(c.rows);
    free(c.gid);
    kmap_free(&c.names);
    kmap_free(&c.tools);
    if (rc)
        comparison_free(out);
    return rc;
}

void comparison_free(struct comparison *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->rows[i].tool);
        free(c->rows[i].agent);
        free(c->rows[i].canonical);
    }
    free(c->rows);
    free(c->all.tool);
    c->rows = NULL;
    c->all.tool = NULL;
    c->n = 0;
}
