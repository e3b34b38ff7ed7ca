/*
 * agg.c - the aggregate of a set of operations, and the buckets the store
 * keeps aggregates for (see agg.h).
 */
#include "agg.h"

#include <math.h>
#include <string.h>

#include "core/limits.h"
#include "core/tptime.h"

const int64_t rollup_width_ms[ROLLUP_LEVELS] = {TPT_HOUR_MS, TPT_DAY_MS, 30 * TPT_DAY_MS};

/* fn on [from, to) when it is not empty. */
static int cover_part(rollup_cover_fn fn, void *ctx, int level, int64_t from, int64_t to)
{
    return from < to ? fn(ctx, level, from, to) : 0;
}

int rollup_cover(int64_t a, int64_t b, rollup_cover_fn fn, void *ctx)
{
    const int64_t hour = rollup_width_ms[ROLLUP_HOUR], day = rollup_width_ms[ROLLUP_DAY],
                  month = rollup_width_ms[ROLLUP_MONTH];
    int64_t h0 = tpt_ceil_to(a, hour), h1 = tpt_floor_to(b, hour);
    if (h0 >= h1)
        return cover_part(fn, ctx, -1, a, b);
    int64_t d0 = tpt_ceil_to(h0, day), d1 = tpt_floor_to(h1, day);
    int rc = cover_part(fn, ctx, -1, a, h0);
    if (d0 >= d1) { /* no whole day inside */
        if (rc == 0)
            rc = cover_part(fn, ctx, ROLLUP_HOUR, h0, h1);
    } else {
        int64_t m0 = tpt_ceil_to(d0, month), m1 = tpt_floor_to(d1, month);
        if (rc == 0)
            rc = cover_part(fn, ctx, ROLLUP_HOUR, h0, d0);
        if (m0 < m1) {
            if (rc == 0)
                rc = cover_part(fn, ctx, ROLLUP_DAY, d0, m0);
            if (rc == 0)
                rc = cover_part(fn, ctx, ROLLUP_MONTH, m0, m1);
            if (rc == 0)
                rc = cover_part(fn, ctx, ROLLUP_DAY, m1, d1);
        } else if (rc == 0) {
            rc = cover_part(fn, ctx, ROLLUP_DAY, d0, d1);
        }
        if (rc == 0)
            rc = cover_part(fn, ctx, ROLLUP_HOUR, d1, h1);
    }
    if (rc == 0)
        rc = cover_part(fn, ctx, -1, h1, b);
    return rc;
}

/* ---- aggregates ------------------------------------------------------------ */

void agg_init(struct agg *a)
{
    memset(a, 0, sizeof *a);
    sketch_init(&a->sk);
}

void agg_free(struct agg *a)
{
    sketch_free(&a->sk);
}

void agg_reset(struct agg *a)
{
    struct sketch sk = a->sk;
    memset(a, 0, sizeof *a);
    a->sk = sk;
    sketch_reset(&a->sk);
}

void agg_merge(struct agg *dst, const struct agg *src)
{
    if (src->n_timed) {
        if (!dst->n_timed || src->min_ms < dst->min_ms)
            dst->min_ms = src->min_ms;
        if (!dst->n_timed || src->max_ms > dst->max_ms)
            dst->max_ms = src->max_ms;
    }
    dst->n += src->n;
    dst->n_timed += src->n_timed;
    dst->sum_ms += src->sum_ms;
    dst->slow += src->slow;
    dst->critical += src->critical;
    dst->failed += src->failed;
    dst->optimized += src->optimized;
    dst->attention += src->attention;
    dst->attention_bytes += src->attention_bytes;
    dst->slow_sum_ms += src->slow_sum_ms;
    dst->n_wait += src->n_wait;
    dst->wait_ms += src->wait_ms;
    dst->asked += src->asked;
    dst->n_hook += src->n_hook;
    dst->hook_ms += src->hook_ms;
    dst->n_unsplit += src->n_unsplit;
    dst->unsplit_ms += src->unsplit_ms;
    sketch_merge(&dst->sk, &src->sk);
}

void agg_add(struct agg *a, double duration_ms, int success, int optimized, int attention,
             int64_t size_bytes)
{
    a->n++;
    a->failed += !success;
    a->optimized += optimized != 0;
    if (attention) {
        a->attention++;
        a->attention_bytes += size_bytes > 0 ? (uint64_t)size_bytes : 0;
    }
    if (isnan(duration_ms))
        return;
    if (!a->n_timed || duration_ms < a->min_ms)
        a->min_ms = duration_ms;
    if (!a->n_timed || duration_ms > a->max_ms)
        a->max_ms = duration_ms;
    a->n_timed++;
    a->sum_ms += duration_ms;
    a->slow += duration_ms >= TP_SLOW_MS;
    a->critical += duration_ms >= TP_CRITICAL_MS;
    if (duration_ms >= TP_SLOW_MS)
        a->slow_sum_ms += duration_ms;
    sketch_add(&a->sk, duration_ms, 1);
}

void agg_add_phases(struct agg *a, double duration_ms, double wall_ms, double wait_ms,
                    double hook_ms, int asked)
{
    a->asked += asked != 0;
    if (!isnan(wait_ms)) {
        a->n_wait++;
        a->wait_ms += wait_ms;
    }
    if (!isnan(hook_ms)) {
        a->n_hook++;
        a->hook_ms += hook_ms;
    }
    if (isnan(duration_ms) && isnan(wait_ms) && !isnan(wall_ms)) {
        a->n_unsplit++;
        a->unsplit_ms += wall_ms;
    }
}
