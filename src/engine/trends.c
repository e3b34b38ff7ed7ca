/*
 * trends.c - a question's figures over time (engine.h): per local day for
 * the last N days (engine_trends), or per hour, day or week over any window
 * (engine_series).
 *
 * Each point is one sum over every tool of its bucket (engine_sum, which
 * reads the rollups the bucket covers). A point without a timed call keeps
 * avg and p95 at 0 and timed at 0, which the JSON form writes as null: the
 * chart draws a gap there, never 0 ms.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

/* Windows up to this long get a point per hour; up to SERIES_MAX_DAYS a
 * point per local day; longer ones a point per seven local days. */
#define SERIES_MAX_HOURS 48
#define SERIES_MAX_DAYS 400

/* One point: the figures of [a, b) for the filter (none: an empty point). */
static int point_fill(struct store *s, const struct store_filter *f, int none, int64_t a, int64_t b,
                      struct agg *sum, struct trend_day *d)
{
    if (none)
        return 0;
    int rc = engine_sum(s, f, a, b, sum);
    d->count = sum->n;
    d->timed = sum->n_timed;
    d->slow = sum->slow;
    d->avg_ms = sum->n_timed ? sum->sum_ms / (double)sum->n_timed : 0;
    d->p95_ms = sketch_quantile(&sum->sk, 0.95);
    return rc;
}

int engine_trends(struct store *s, const struct engine_query *q, int days, int64_t now_ms,
                  struct trends *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    if (days < 1 || days > TP_MAX_TREND_DAYS)
        return tp_fail(errbuf, TP_EINVAL, "days: expected 1 to %d (got %d)", TP_MAX_TREND_DAYS,
                       days);
    struct store_filter f;
    int none = engine_filter(s, q, &f);
    out->days = xcalloc((size_t)days, sizeof *out->days);
    out->n = (size_t)days;
    out->step = "day";
    int64_t today = tpt_local_day_start(now_ms);
    struct agg sum;
    agg_init(&sum);
    int rc = 0;
    for (int i = 0; i < days && rc == 0; i++) {
        struct trend_day *d = &out->days[i];
        int64_t start = tpt_local_day_add(today, i - days + 1);
        d->start_ms = start;
        tpt_local_date(start, d->label);
        rc = point_fill(s, &f, none, start, tpt_local_day_add(start, 1), &sum, d);
    }
    agg_free(&sum);
    if (rc) {
        trends_free(out);
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    return 0;
}

int engine_series(struct store *s, const struct engine_query *q, struct trends *out, char *errbuf)
{
    memset(out, 0, sizeof *out);
    int64_t since = q->w.since_ms, until = q->w.until_ms;
    if (since <= TP_MIN_TS_MS) { /* "all": from the first stored call */
        struct store_info info;
        store_info(s, &info);
        since = info.first_ms > since && info.first_ms < until ? info.first_ms : until - 1;
    }
    if (until - since > (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS)
        since = until - (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS;
    int64_t span = until - since;
    int hourly = span <= SERIES_MAX_HOURS * TPT_HOUR_MS;
    int days_per = span <= SERIES_MAX_DAYS * TPT_DAY_MS ? 1 : 7;
    out->step = hourly ? "hour" : days_per == 1 ? "day" : "week";
    int64_t start = hourly ? tpt_floor_to(since, TPT_HOUR_MS) : tpt_local_day_start(since);
    size_t alloc = 0;
    struct store_filter f;
    int none = engine_filter(s, q, &f);
    struct agg sum;
    agg_init(&sum);
    int rc = 0;
    while (start < until && rc == 0) {
        int64_t end = hourly ? start + TPT_HOUR_MS : tpt_local_day_add(start, days_per);
        if (end <= start) /* a clock that does not move: never loop */
            break;
        if (out->n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            out->days = xreallocarray(out->days, alloc, sizeof *out->days);
        }
        struct trend_day *d = &out->days[out->n++];
        memset(d, 0, sizeof *d);
        d->start_ms = start;
        if (hourly) {
            char ts[48];
            tpt_format_local(start, ts);
            snprintf(d->label, sizeof d->label, "%.16s", ts);
        } else {
            tpt_local_date(start, d->label);
        }
        /* The first and last points count only what is inside the window. */
        int64_t a = start > since ? start : since, b = end < until ? end : until;
        start = end;
        rc = point_fill(s, &f, none, a, b, &sum, d);
    }
    agg_free(&sum);
    if (rc) {
        trends_free(out);
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    return 0;
}

void trends_free(struct trends *t)
{
    free(t->days);
    t->days = NULL;
    t->n = 0;
}
