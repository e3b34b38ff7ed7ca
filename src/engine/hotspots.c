/*
 * hotspots.c - where the time goes: (tool, target) pairs ranked by the
 * total time their calls took (engine.h), and each one's slowest call.
 *
 * A window is read as whole UTC days from the per-target totals the store
 * keeps (store_targets) and raw rows for the parts of days at its edges; a
 * window that ends now takes today from its totals. Every pair of the
 * window is summed, because any of them may rank first, but only the
 * `limit` best are named and sorted: the ranking key (total time, then
 * calls) is numeric, and only the pairs that tie with the last of those on
 * it need their names to be ordered (cmp_hot), so a window of tens of
 * thousands of pairs costs a selection, not a sort of them all by name.
 *
 * The slowest call of a pair is the one the old full scan found: of the
 * calls with the pair's longest duration, the first one a newest-first
 * scan of the window meets (the greatest row id). While summing, each pair
 * notes where its longest duration was last seen in that order: the row
 * itself (raw rows), or the UTC day whose totals hold it (with the row's
 * id when the store knows it, target_agg.max_id). The example is then
 * that row, checked, or the first call of that duration in that day; only
 * when neither holds (the store's hint was stale) is the whole window
 * scanned as before.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

#define DAY_MS TPT_DAY_MS

/* ---- summing ---------------------------------------------------------------------- */

struct hot_ctx {
    struct kmap map; /* (tool, target) -> index */
    struct hotspot *v;
    size_t alloc;
};

static struct hotspot *hot_slot(struct hot_ctx *h, int64_t tool, int64_t target)
{
    int64_t key[2] = {tool, target};
    int added;
    size_t i = kmap_put(&h->map, key, sizeof key, &added);
    if (i >= h->alloc) {
        h->alloc = h->alloc ? h->alloc * 2 : 64;
        h->v = xreallocarray(h->v, h->alloc, sizeof *h->v);
    }
    if (added) {
        memset(&h->v[i], 0, sizeof h->v[i]);
        h->v[i].tool_id = tool;
        h->v[i].target_id = target;
        h->v[i].max_day_ms = -1;
    }
    return &h->v[i];
}

/* A hotspot's project: the one its calls were made in, or -1 when several
 * (none is shown: any one would be a guess that depends on read order). */
static void hot_project(struct hotspot *x, int64_t project)
{
    if (project > 0 && x->project_id != project && x->project_id >= 0)
        x->project_id = x->project_id == 0 ? project : -1;
}

/* The parts of a window are read in ascending order (leading raw rows,
 * days, trailing raw rows; rows within an hour by id), so the last place
 * seen holding the longest duration is the first a newest-first scan
 * meets. Within one day, the store's row ids of its projects' totals
 * decide; unknown ones leave the row unknown. */
static int hot_target(void *ctx, int64_t day, const struct target_agg *t)
{
    struct hotspot *x = hot_slot(ctx, t->tool, t->target);
    x->count += t->n;
    x->timed += t->n_timed;
    x->failed += t->failed;
    x->total_ms += t->sum_ms;
    x->asked += t->asked;
    x->wait_ms += t->wait_ms;
    x->unsplit += t->n_unsplit;
    x->unsplit_ms += t->unsplit_ms;
    hot_project(x, t->project);
    if (t->n_timed && t->max_ms >= x->max_ms) {
        int same_day = t->max_ms == x->max_ms && x->max_day_ms == day;
        x->max_id = !same_day                ? t->max_id
                    : t->max_id && x->max_id ? (t->max_id > x->max_id ? t->max_id : x->max_id)
                                             : 0;
        x->max_day_ms = day;
        x->max_ms = t->max_ms;
    }
    return 0;
}

static int hot_row(void *ctx, const struct store_row *r)
{
    struct hotspot *x = hot_slot(ctx, r->tool_id, r->target_id);
    x->count++;
    x->failed += !r->op.success;
    x->asked += r->op.ask == OP_ASK_ASKED;
    if (!isnan(r->op.wait_ms))
        x->wait_ms += r->op.wait_ms;
    if (isnan(r->op.duration_ms) && isnan(r->op.wait_ms) && !isnan(r->op.wall_ms)) {
        x->unsplit++;
        x->unsplit_ms += r->op.wall_ms;
    }
    hot_project(x, r->project_id);
    if (!isnan(r->op.duration_ms)) {
        x->timed++;
        x->total_ms += r->op.duration_ms;
        if (r->op.duration_ms >= x->max_ms) {
            x->max_ms = r->op.duration_ms;
            x->max_id = r->id;
            x->max_day_ms = -1;
        }
    }
    return 0;
}

static int collect_raw(struct store *s, int64_t a, int64_t b, const struct store_filter *f,
                       struct hot_ctx *h)
{
    if (a >= b)
        return 0;
    struct store_scan sc = {.from_ms = a, .to_ms = b, .f = *f, .ids_only = 1};
    return store_scan(s, &sc, hot_row, h);
}

/* ---- ranking ---------------------------------------------------------------------- */

/* The ranking key: more time first, then more calls. */
static int hot_key_cmp(const struct hotspot *x, const struct hotspot *y)
{
    if (x->total_ms != y->total_ms)
        return x->total_ms < y->total_ms ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return 0;
}

static int cmp_hot(const void *a, const void *b)
{
    const struct hotspot *x = a, *y = b;
    int c = hot_key_cmp(x, y);
    if (c)
        return c;
    /* Equal ones by tool key and target, so that the order does not depend
     * on the store's ids (the ClickHouse store numbers names differently). */
    if ((c = strcmp(x->tool, y->tool)) != 0 ||
        (c = strcmp(x->target ? x->target : "", y->target ? y->target : "")) != 0)
        return c;
    return (x->target != NULL) - (y->target != NULL);
}

/* A min-heap of indexes into v by the ranking key: its root is the worst
 * of the best `cap` seen so far. */
struct top_heap {
    const struct hotspot *v;
    size_t *idx, n, cap;
};

static int heap_worse(const struct top_heap *h, size_t a, size_t b)
{
    return hot_key_cmp(&h->v[h->idx[a]], &h->v[h->idx[b]]) > 0;
}

static void heap_swap(struct top_heap *h, size_t a, size_t b)
{
    size_t t = h->idx[a];
    h->idx[a] = h->idx[b];
    h->idx[b] = t;
}

static void heap_down(struct top_heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_worse(h, l, m))
            m = l;
        if (r < h->n && heap_worse(h, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_offer(struct top_heap *h, size_t k)
{
    if (h->n < h->cap) {
        size_t i = h->n++;
        h->idx[i] = k;
        while (i && heap_worse(h, i, (i - 1) / 2)) {
            heap_swap(h, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    } else if (hot_key_cmp(&h->v[k], &h->v[h->idx[0]]) < 0) {
        h->idx[0] = k;
        heap_down(h, 0);
    }
}

/* Mark in keep[] the pairs that can be among the `limit` first in cmp_hot
 * order: those whose key is at least the limit-th best key (its ties
 * included, since names order them). Returns how many. */
static size_t hot_candidates(const struct hotspot *v, size_t n, size_t limit, unsigned char *keep)
{
    if (n <= limit) {
        memset(keep, 1, n);
        return n;
    }
    if (limit == 0) {
        memset(keep, 0, n);
        return 0;
    }
    struct top_heap h = {v, xcalloc(limit, sizeof *h.idx), 0, limit};
    for (size_t i = 0; i < n; i++)
        heap_offer(&h, i);
    const struct hotspot *last = &v[h.idx[0]];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((keep[i] = hot_key_cmp(&v[i], last) <= 0))
            m++;
    free(h.idx);
    return m;
}

int engine_hotspots(struct store *s, const struct engine_query *q, size_t limit,
                    struct hotspots *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    struct store_filter f;
    if (engine_filter(s, q, &f) != 0)
        return 0;
    struct hot_ctx h;
    memset(&h, 0, sizeof h);
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    int rc = 0;
    if (f.session) {
        if (engine_clip_session(s, &f, &a, &b))
            rc = collect_raw(s, a, b, &f, &h);
    } else {
        /* Whole UTC days from the per-target totals, the rest raw; a
         * window that ends now takes today from its totals. */
        b = engine_window_end(q, b, DAY_MS);
        int64_t d0 = tpt_ceil_to(a, DAY_MS), d1 = tpt_floor_to(b, DAY_MS);
        if (d0 < d1) {
            rc = collect_raw(s, a, d0, &f, &h);
            if (rc == 0)
                rc = store_targets(s, d0, d1, &f, hot_target, &h);
            if (rc == 0)
                rc = collect_raw(s, d1, b, &f, &h);
        } else {
            rc = collect_raw(s, a, b, &f, &h);
        }
    }
    if (rc) {
        rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
        goto done;
    }
    /* Every pair's share is of all the window's time, summed in the
     * order the pairs were first seen. */
    double all = 0;
    for (size_t i = 0; i < h.map.n; i++)
        all += h.v[i].total_ms;
    unsigned char *keep = xmalloc(h.map.n ? h.map.n : 1);
    size_t m = hot_candidates(h.v, h.map.n, limit, keep);
    struct hotspot *c = xcalloc(m ? m : 1, sizeof *c);
    m = 0;
    for (size_t i = 0; i < h.map.n; i++) {
        if (!keep[i])
            continue;
        c[m] = h.v[i];
        /* The tool's key for now (its name and agent below). */
        const char *tool = store_str(s, c[m].tool_id), *target = store_str(s, c[m].target_id);
        c[m].tool = xstrdup(tool ? tool : "?");
        c[m].target = target ? xstrdup(target) : NULL;
        m++;
    }
    free(keep);
    if (m > 1)
        qsort(c, m, sizeof *c, cmp_hot);
    size_t n = m < limit ? m : limit;
    out->items = c;
    for (size_t i = 0; i < n; i++) {
        struct hotspot *x = &out->items[i];
        const char *agent;
        char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
        engine_tool_names(x->tool, name, sizeof name, &agent, canon, sizeof canon);
        x->agent = xstrdup(agent); /* it may point into the key */
        free(x->tool);
        x->tool = xstrdup(name);
        const char *proj = x->project_id > 0 ? store_str(s, x->project_id) : NULL;
        x->project = proj && *proj ? xstrdup(proj) : NULL;
        x->avg_ms = x->timed ? x->total_ms / (double)x->timed : 0;
        x->share = all > 0 ? x->total_ms / all * 100.0 : 0;
    }
    out->n = n;
    for (size_t i = n; i < m; i++) {
        free(c[i].tool);
        free(c[i].target);
    }
done:
    free(h.v);
    kmap_free(&h.map);
    return rc;
}

/* ---- the slowest call of each --------------------------------------------------------- */

struct hot_ex {
    int64_t target;
    struct hotspot *x;
    double best;
    int exact; /* stop at the first call of the hotspot's longest duration */
};

static void hot_ex_take(struct hotspot *x, const struct store_row *r)
{
    free(x->example_call);
    free(x->example_session);
    x->example_call = r->op.tool_use_id ? xstrdup(r->op.tool_use_id) : NULL;
    x->example_session = r->op.session_id ? xstrdup(r->op.session_id) : NULL;
    x->example_ms = r->op.ts_ms;
    x->example_duration_ms = r->op.duration_ms;
}

static int hot_ex_row(void *ctx, const struct store_row *r)
{
    struct hot_ex *e = ctx;
    if (r->target_id != e->target || isnan(r->op.duration_ms) || r->op.duration_ms <= e->best)
        return 0;
    e->best = r->op.duration_ms;
    hot_ex_take(e->x, r);
    return e->exact && r->op.duration_ms >= e->x->max_ms;
}

/* Is the row the hotspot's slowest call in [a, b)? */
struct hot_one {
    const struct store_filter *f;
    int64_t a, b;
    struct hotspot *x;
    int found;
};

static int hot_one_row(void *ctx, const struct store_row *r)
{
    struct hot_one *o = ctx;
    const struct store_filter *f = o->f;
    if (r->tool_id != o->x->tool_id || r->target_id != o->x->target_id ||
        r->op.duration_ms != o->x->max_ms || r->op.ts_ms < o->a || r->op.ts_ms >= o->b ||
        (f->project && r->project_id != f->project) || (f->session && r->session_id != f->session))
        return 0;
    o->found = 1;
    hot_ex_take(o->x, r);
    return 1;
}

/* A hotspot's slowest call: the row noted while summing, or the first call
 * of its longest duration in the day noted, or (the notes were stale) a
 * scan of the window's hours whose longest call of that tool reaches it. */
static int hot_example(struct store *s, const struct engine_query *q, const struct store_filter *f,
                       struct hotspot *x)
{
    if (!x->timed || !(x->max_ms > 0))
        return 0;
    /* The part of the window its figures were summed over: a session's
     * calls up to the window's end (engine_hotspots), else to the end of
     * today for a window that ends now. */
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    if (f->session ? !engine_clip_session(s, f, &a, &b) : 0)
        return 0;
    if (!f->session)
        b = engine_window_end(q, b, DAY_MS);
    if (x->max_id) {
        struct hot_one o = {f, a, b, x, 0};
        int rc = store_row_get(s, x->max_id, hot_one_row, &o);
        if (rc != 0 && rc != TP_ENOTFOUND && rc != TP_EUNSUPP)
            return rc;
        if (o.found)
            return 0;
    }
    struct store_filter tf = *f;
    tf.tool = x->tool_id;
    tf.ntools = 0;
    /* Stored maxima are whole microseconds; the row's own value may sit a
     * rounding below. */
    struct store_scan sc = {.from_ms = a,
                            .to_ms = b,
                            .f = tf,
                            .min_duration_ms = x->max_ms * (1 - 1e-9) - 0.001,
                            .desc = 1};
    if (sc.min_duration_ms <= 0)
        sc.min_duration_ms = 1e-6;
    if (x->max_day_ms >= 0) {
        struct hot_ex e = {x->target_id, x, -1, 1};
        struct store_scan day = sc;
        if (day.from_ms < x->max_day_ms)
            day.from_ms = x->max_day_ms;
        if (day.to_ms > x->max_day_ms + DAY_MS)
            day.to_ms = x->max_day_ms + DAY_MS;
        int rc = store_scan(s, &day, hot_ex_row, &e);
        if (rc || e.best >= x->max_ms)
            return rc;
        free(x->example_call);
        free(x->example_session);
        x->example_call = x->example_session = NULL;
        x->example_ms = 0;
        x->example_duration_ms = 0;
    }
    struct hot_ex e = {x->target_id, x, -1, 0};
    return store_scan(s, &sc, hot_ex_row, &e);
}

int engine_hotspot_examples(struct store *s, const struct engine_query *q, struct hotspots *h,
                            char *errbuf)
{
    struct store_filter f;
    if (engine_filter(s, q, &f) != 0)
        return 0;
    for (size_t i = 0; i < h->n && i < TP_HOTSPOT_EXAMPLES; i++)
        if (hot_example(s, q, &f, &h->items[i]) != 0)
            return tp_fail(errbuf, TP_EDB, "reading the store failed");
    return 0;
}

void hotspots_free(struct hotspots *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].tool);
        free(h->items[i].agent);
        free(h->items[i].target);
        free(h->items[i].project);
        free(h->items[i].example_call);
        free(h->items[i].example_session);
    }
    free(h->items);
    h->items = NULL;
    h->n = 0;
}
