/*
 * store_read.c - reading the store: rollup rows, raw-row scans, per-target
 * and repeated-read aggregates, sessions, facts about the database.
 *
 * Every reader is bounded by its window: rollups are read by bucket range,
 * raw rows by row-id range (rows are clustered by hour), and scans for rare
 * rows (slow, flagged) visit only the buckets whose rollups can hold one.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "chstore.h"
#include "store_int.h"

/* ---- reading ---------------------------------------------------------------- */

int store_filter_tool(const struct store_filter *f, int64_t tool)
{
    if (!f)
        return 1;
    if (!f->ntools)
        return !f->tool || f->tool == tool;
    /* A set replaces the single tool, and is sorted (engine_filter). */
    assert(!f->tool && f->ntools <= TP_FILTER_MAX_TOOLS && f->tools[0] <= f->tools[f->ntools - 1]);
    size_t lo = 0, hi = f->ntools;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->tools[mid] < tool)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->ntools && f->tools[lo] == tool;
}

/* Statement id (S_RU_RANGE or S_RU_SUMS) bound to the rollup rows of one
 * level whose bucket starts in [from_ms, to_ms), with the filter. */
static sqlite3_stmt *bucket_range(struct store *s, enum stmt_id id, int level, int64_t from_ms,
                                  int64_t to_ms, const struct store_filter *f)
{
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = store_stmt(s, id);
    sqlite3_bind_int64(q, 1, level);
    sqlite3_bind_int64(q, 2, tpt_floor_div(from_ms + w - 1, w));
    sqlite3_bind_int64(q, 3, tpt_floor_div(to_ms + w - 1, w));
    sqlite3_bind_int64(q, 4, f ? f->project : 0);
    sqlite3_bind_int64(q, 5, f ? f->tool : 0);
    return q;
}

int store_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                  const struct store_filter *f, store_rollup_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_rollups(s, level, from_ms, to_ms, f, cb, ctx);
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = bucket_range(s, S_RU_RANGE, level, from_ms, to_ms, f);
    struct agg a;
    agg_init(&a);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (!store_filter_tool(f, sqlite3_column_int64(q, 1)))
            continue;
        agg_reset(&a);
        if (agg_from_stmt(q, 3, &a) != 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
        int64_t start = sqlite3_column_int64(q, 0) * w;
        stop = cb(ctx, level, start, sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2), &a);
    }
    agg_free(&a);
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : TP_EDB;
}

int store_rollups_into(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                       const struct store_filter *f, store_agg_for into, void *ctx)
{
    if (s->ch)
        return chstore_rollups_into(s, level, from_ms, to_ms, f, into, ctx);
    sqlite3_stmt *q = bucket_range(s, S_RU_RANGE, level, from_ms, to_ms, f);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t tool = sqlite3_column_int64(q, 1);
        if (!store_filter_tool(f, tool))
            continue;
        if (agg_from_stmt(q, 3, into(ctx, tool)) != 0) {
            rc = SQLITE_CORRUPT;
            break;
        }
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}

/* The team store's rows, counted from its aggregates. */
struct count_adapter {
    store_count_cb cb;
    void *ctx;
};

static int count_from_rollup(void *ctx, int level, int64_t start, int64_t tool, int64_t project,
                             const struct agg *a)
{
    (void)level, (void)project;
    struct count_adapter *c = ctx;
    return c->cb(c->ctx, start, tool, a->n);
}

int store_rollup_counts(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, store_count_cb cb, void *ctx)
{
    if (s->ch) {
        struct count_adapter c = {cb, ctx};
        return chstore_rollups(s, level, from_ms, to_ms, f, count_from_rollup, &c);
    }
    int64_t w = rollup_width_ms[level];
    sqlite3_stmt *q = bucket_range(s, S_RU_COUNTS, level, from_ms, to_ms, f);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t tool = sqlite3_column_int64(q, 1);
        if (store_filter_tool(f, tool))
            stop =
                cb(ctx, sqlite3_column_int64(q, 0) * w, tool, (uint64_t)sqlite3_column_int64(q, 2));
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_rollup_sums(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                      const struct store_filter *f, uint64_t *n_timed, double *sum_ms)
{
    if (s->ch)
        return chstore_rollup_sums(s, level, from_ms, to_ms, f, n_timed, sum_ms);
    if (f && f->ntools) { /* a set: the sums of each of its tools */
        struct store_filter one = {0};
        one.project = f->project;
        for (size_t i = 0; i < f->ntools; i++) {
            one.tool = f->tools[i];
            int rc = store_rollup_sums(s, level, from_ms, to_ms, &one, n_timed, sum_ms);
            if (rc)
                return rc;
        }
        return 0;
    }
    sqlite3_stmt *q = bucket_range(s, S_RU_SUMS, level, from_ms, to_ms, f);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *n_timed += (uint64_t)sqlite3_column_int64(q, 0);
        *sum_ms += (double)sqlite3_column_int64(q, 1) / 1000.0;
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : TP_EDB;
}

/* The row callback's view: strings borrowed from the cache and the
 * statement, valid during the call. */
/* Room for what a row's op borrows that is not in the store's strings. */
struct row_bufs {
    char uid[40];
    char tool[TP_MAX_TOOL + 1];
    char agent[40];
};

static void store_row_fill(struct store *s, sqlite3_stmt *q, const struct row *r,
                           struct store_row *out, struct row_bufs *bufs, int ids_only)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->tool_id = r->tool;
    out->target_id = r->target;
    out->session_id = r->session;
    out->project_id = r->project;
    out->sources = r->sources;
    out->attention = r->attn;
    struct op *op = &out->op;
    op_init(op);
    op_phases_put(op, &r->ph);
    op->duration_ms = r->dur_us >= 0 ? (double)r->dur_us / 1000.0 : NAN;
    op->ts_ms = r->ts_ms;
    op->success = r->success;
    op->optimized = r->opt;
    op->size_bytes = r->size;
    op->result_bytes = r->rbytes;
    op->source = (enum op_source)r->src;
    op->duration_is_int = r->is_int;
    if (ids_only)
        return;
    /* The stored key holds the agent when it is not the default. */
    const char *key = store_str(s, r->tool), *agent;
    if (key) {
        size_t n = op_tool_split(key, &agent);
        if (key[n]) {
            snprintf(bufs->tool, sizeof bufs->tool, "%.*s", (int)n, key);
            snprintf(bufs->agent, sizeof bufs->agent, "%s", agent);
            key = bufs->tool;
            op->agent = bufs->agent;
        }
    }
    op->tool = (char *)key;
    op->target = (char *)store_str(s, r->target);
    op->session_id = (char *)store_str(s, r->session);
    const char *proj = store_str(s, r->project);
    op->project = proj && *proj ? (char *)proj : NULL;
    op->error = r->err;
    op->meta = r->meta;
    op->subagent = (char *)store_str(s, r->sub);
    op->tool_use_id = (char *)uid_text(q, COL_UID, bufs->uid);
}

/* The statement of a scan with these conditions (SCAN_* bits), made on
 * first use. Parameters: ?1, ?2 the id range; ?3 tool, ?4 project,
 * ?5 session, ?6 the least duration in microseconds, ?7 the attention flag,
 * each present only with its bit. */
static sqlite3_stmt *scan_stmt(struct store *s, unsigned bits)
{
    sqlite3_stmt **q = &s->scan_st[bits];
    if (*q) {
        sqlite3_reset(*q);
        sqlite3_clear_bindings(*q);
        return *q;
    }
    char sql[512], attn[64];
    snprintf(attn, sizeof attn, " AND (flags >> %d) & 3 = ?7", F_ATTN_SHIFT);
    snprintf(
        sql, sizeof sql, "SELECT %s FROM ops WHERE id >= ?1 AND id < ?2%s%s%s%s%s ORDER BY id%s",
        bits & SCAN_LITE ? LITE_COLS : ROW_COLS, bits & SCAN_TOOL ? " AND tool = ?3" : "",
        bits & SCAN_PROJECT ? " AND project = ?4" : "",
        bits & SCAN_SESSION ? " AND session = ?5" : "", bits & SCAN_DUR ? " AND dur >= ?6" : "",
        bits & SCAN_ATTN ? attn : "", bits & SCAN_DESC ? " DESC" : "");
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK) {
        fprintf(stderr, "toolprof: cannot prepare a scan (%u): %s\n", bits, sqlite3_errmsg(s->db));
        abort(); /* our SQL: a bug, not an input error */
    }
    return *q;
}

/* Scan hours [h0, h1) in one query. Returns 1 when the callback stopped. */
static int scan_range(struct store *s, const struct store_scan *sc, int64_t h0, int64_t h1,
                      store_row_cb cb, void *ctx, int *err)
{
    unsigned bits = (sc->f.tool ? SCAN_TOOL : 0) | (sc->f.project ? SCAN_PROJECT : 0) |
                    (sc->f.session ? SCAN_SESSION : 0) | (sc->min_duration_ms > 0 ? SCAN_DUR : 0) |
                    (sc->attention ? SCAN_ATTN : 0) | (sc->desc ? SCAN_DESC : 0) |
                    (sc->ids_only ? SCAN_LITE : 0);
    sqlite3_stmt *q = scan_stmt(s, bits);
    /* Hours past what a row id can hold hold no rows. */
    const int64_t max_hour = INT64_MAX >> 32;
    sqlite3_bind_int64(q, 1, (h0 < max_hour ? h0 : max_hour) * ((int64_t)1 << 32));
    sqlite3_bind_int64(q, 2, (h1 < max_hour ? h1 : max_hour) * ((int64_t)1 << 32));
    if (bits & SCAN_TOOL)
        sqlite3_bind_int64(q, 3, sc->f.tool);
    if (bits & SCAN_PROJECT)
        sqlite3_bind_int64(q, 4, sc->f.project);
    if (bits & SCAN_SESSION)
        sqlite3_bind_int64(q, 5, sc->f.session);
    /* dur is in microseconds; an unknown one (NULL) never matches. */
    if (bits & SCAN_DUR)
        sqlite3_bind_double(q, 6, sc->min_duration_ms * 1000.0);
    if (bits & SCAN_ATTN)
        sqlite3_bind_int64(q, 7, sc->attention);
    int rc, stop = 0;
    struct row_bufs bufs;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct row r;
        row_from_stmt(s, q, &r, sc->ids_only ? -1 : 0);
        /* Duration and attention are tested in the SQL; the hours are
         * wider than the window. */
        if (r.ts_ms >= sc->from_ms && r.ts_ms < sc->to_ms && store_filter_tool(&sc->f, r.tool)) {
            struct store_row out;
            store_row_fill(s, q, &r, &out, &bufs, sc->ids_only);
            stop = cb(ctx, &out);
        }
        row_free(&r);
    }
    if (!stop && rc != SQLITE_DONE)
        *err = TP_EDB;
    sqlite3_reset(q);
    return stop;
}

/* The buckets of `level` that overlap hours [h0, h1) and whose rollup
 * can hold a matching row (its max reaches the least duration, its
 * attention count is not zero), in scan order. */
static int64_t *scan_candidates(struct store *s, const struct store_scan *sc, int level, int64_t h0,
                                int64_t h1, size_t *n, int *err)
{
    int64_t wh = rollup_width_ms[level] / HOUR_MS;
    sqlite3_stmt *q = store_stmt(s, sc->f.tool ? (sc->desc ? S_HOURS_TOOL_DESC : S_HOURS_TOOL_ASC)
                                               : (sc->desc ? S_HOURS_DESC : S_HOURS_ASC));
    sqlite3_bind_int64(q, 1, sc->f.project);
    sqlite3_bind_int64(q, 2, sc->f.tool);
    sqlite3_bind_int64(q, 3, tpt_floor_div(h0, wh));
    sqlite3_bind_int64(q, 4, tpt_floor_div(h1 - 1, wh) + 1);
    sqlite3_bind_int64(q, 5, (int64_t)floor(sc->min_duration_ms * 1000.0));
    sqlite3_bind_int64(q, 6, sc->attention ? 1 : 0);
    sqlite3_bind_int64(q, 7, level);
    int64_t *v = NULL;
    size_t alloc = 0;
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == alloc) {
            alloc = alloc ? 2 * alloc : 32;
            v = xreallocarray(v, alloc, sizeof *v);
        }
        v[(*n)++] = sqlite3_column_int64(q, 0);
    }
    if (rc != SQLITE_DONE)
        *err = TP_EDB;
    sqlite3_reset(q);
    return v;
}

/* Scan hours [h0, h1) through the buckets of `level` that can hold a
 * match, then those of the level below inside each: a year's scan for a
 * rare slow call looks at a dozen months and a few days, not 8,760 hours.
 * Returns 1 when the callback stopped. */
static int scan_level(struct store *s, const struct store_scan *sc, int level, int64_t h0,
                      int64_t h1, store_row_cb cb, void *ctx, int *err)
{
    size_t n;
    int64_t *b = scan_candidates(s, sc, level, h0, h1, &n, err);
    int64_t wh = rollup_width_ms[level] / HOUR_MS;
    int stop = 0;
    for (size_t i = 0; i < n && !stop && !*err; i++) {
        int64_t a = b[i] * wh > h0 ? b[i] * wh : h0;
        int64_t z = (b[i] + 1) * wh < h1 ? (b[i] + 1) * wh : h1;
        stop = level == ROLLUP_HOUR ? scan_range(s, sc, a, z, cb, ctx, err)
                                    : scan_level(s, sc, level - 1, a, z, cb, ctx, err);
    }
    free(b);
    return stop;
}

int store_scan(struct store *s, const struct store_scan *sc, store_row_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_scan(s, sc, cb, ctx);
    if (sc->to_ms <= sc->from_ms)
        return 0;
    int64_t h0 = tpt_floor_div(sc->from_ms, HOUR_MS);
    int64_t h1 = tpt_floor_div(sc->to_ms - 1, HOUR_MS) + 1;
    int err = 0;
    if (sc->min_duration_ms <= 0 && !sc->attention) {
        scan_range(s, sc, h0, h1, cb, ctx, &err);
        return err;
    }
    /* Only the hours whose rollups can hold a matching row, found from
     * the widest buckets down, read lazily in scan order: a "newest 50 slow
     * calls" scan stops after an hour or two. The rollups' max is an upper
     * bound, so no matching row is skipped. */
    int level = h1 - h0 > 24 * 31 ? ROLLUP_MONTH : h1 - h0 > 48 ? ROLLUP_DAY : ROLLUP_HOUR;
    scan_level(s, sc, level, h0, h1, cb, ctx, &err);
    return err;
}

/* ---- several tools, one read of each hour ------------------------------------------- */

/* One tool's hour that can hold a match. */
struct tool_hour {
    int64_t hour;
    size_t tool; /* index into the query's tools */
};

struct tool_hours {
    struct tool_hour *v;
    size_t n, alloc;
};

/* The hours of [h0, h1) whose rollups can hold a row of sc (a one-tool
 * scan), found from the widest buckets down as scan_level does, appended
 * to out with the tool's index. */
static void tool_hours_of(struct store *s, const struct store_scan *sc, int level, int64_t h0,
                          int64_t h1, size_t tool, struct tool_hours *out, int *err)
{
    size_t n;
    int64_t *b = scan_candidates(s, sc, level, h0, h1, &n, err);
    int64_t wh = rollup_width_ms[level] / HOUR_MS;
    for (size_t i = 0; i < n && !*err; i++) {
        int64_t a = b[i] * wh > h0 ? b[i] * wh : h0;
        int64_t z = (b[i] + 1) * wh < h1 ? (b[i] + 1) * wh : h1;
        if (level > ROLLUP_HOUR) {
            tool_hours_of(s, sc, level - 1, a, z, tool, out, err);
            continue;
        }
        if (out->n == out->alloc) {
            out->alloc = out->alloc ? 2 * out->alloc : 256;
            out->v = xreallocarray(out->v, out->alloc, sizeof *out->v);
        }
        out->v[out->n++] = (struct tool_hour){a, tool};
    }
    free(b);
}

static int cmp_tool_hour(const void *a, const void *b)
{
    const struct tool_hour *x = a, *y = b;
    if (x->hour != y->hour)
        return x->hour < y->hour ? 1 : -1; /* newest first */
    return x->tool < y->tool ? -1 : x->tool > y->tool;
}

/* The statement reading one hour for k tools: ?1, ?2 the id range, ?3
 * project, ?4 session (with their bits), ?5 the least of the tools' least
 * durations, then each tool and its least duration (microseconds). */
static sqlite3_stmt *tools_stmt(struct store *s, size_t k, unsigned bits)
{
    sqlite3_stmt **q = &s->tools_st[k - 1][bits];
    if (*q) {
        sqlite3_reset(*q);
        sqlite3_clear_bindings(*q);
        return *q;
    }
    struct buf sql;
    buf_init(&sql, 4096);
    /* The least of the durations first (most rows stop there), then the
     * row's tool is looked up once: a tool not listed gives NULL, which no
     * duration reaches. */
    buf_printf(&sql,
               "SELECT " ROW_COLS " FROM ops WHERE id >= ?1 AND id < ?2%s%s AND dur >= ?5 "
               "AND dur >= CASE tool",
               bits & 1 ? " AND project = ?3" : "", bits & 2 ? " AND session = ?4" : "");
    for (size_t i = 0; i < k; i++)
        buf_printf(&sql, " WHEN ?%zu THEN ?%zu", 6 + 2 * i, 7 + 2 * i);
    buf_adds(&sql, " END ORDER BY id DESC");
    if (!sql.data ||
        sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK) {
        fprintf(stderr, "toolprof: cannot prepare a scan of %zu tools: %s\n", k,
                sqlite3_errmsg(s->db));
        abort(); /* our SQL: a bug, not an input error */
    }
    buf_free(&sql);
    return *q;
}

int store_scan_tools(struct store *s, const struct store_scan_tools *q, store_row_cb cb, void *ctx)
{
    if (s->ch)
        return TP_EUNSUPP;
    if (q->n > STORE_SCAN_TOOLS)
        return TP_EINVAL;
    if (q->to_ms <= q->from_ms || !q->n)
        return 0;
    int64_t h0 = tpt_floor_div(q->from_ms, HOUR_MS);
    int64_t h1 = tpt_floor_div(q->to_ms - 1, HOUR_MS) + 1;
    const int64_t max_hour = INT64_MAX >> 32;
    int level = h1 - h0 > 24 * 31 ? ROLLUP_MONTH : h1 - h0 > 48 ? ROLLUP_DAY : ROLLUP_HOUR;
    struct tool_hours th = {NULL, 0, 0};
    int err = 0;
    for (size_t i = 0; i < q->n && !err; i++) {
        struct store_scan sc = {.from_ms = q->from_ms,
                                .to_ms = q->to_ms,
                                .f = q->f,
                                .min_duration_ms = q->min_ms[i],
                                .desc = 1};
        sc.f.tool = q->tools[i];
        sc.f.ntools = 0;
        tool_hours_of(s, &sc, level, h0, h1, i, &th, &err);
    }
    if (th.n > 1)
        qsort(th.v, th.n, sizeof *th.v, cmp_tool_hour);
    unsigned bits = (q->f.project ? 1 : 0) | (q->f.session ? 2 : 0);
    int stop = 0;
    for (size_t i = 0; i < th.n && !err && !stop;) {
        size_t j = i;
        while (j < th.n && th.v[j].hour == th.v[i].hour)
            j++;
        int64_t h = th.v[i].hour < max_hour ? th.v[i].hour : max_hour;
        sqlite3_stmt *st = tools_stmt(s, j - i, bits);
        sqlite3_bind_int64(st, 1, h * ((int64_t)1 << 32));
        sqlite3_bind_int64(st, 2, (h + 1 < max_hour ? h + 1 : max_hour) * ((int64_t)1 << 32));
        if (bits & 1)
            sqlite3_bind_int64(st, 3, q->f.project);
        if (bits & 2)
            sqlite3_bind_int64(st, 4, q->f.session);
        /* dur is in microseconds; an unknown one (NULL) never matches. */
        double least = INFINITY;
        for (size_t k = i; k < j; k++) {
            int p = 6 + 2 * (int)(k - i);
            double us = q->min_ms[th.v[k].tool] * 1000.0;
            sqlite3_bind_int64(st, p, q->tools[th.v[k].tool]);
            sqlite3_bind_double(st, p + 1, us);
            least = us < least ? us : least;
        }
        sqlite3_bind_double(st, 5, least);
        int rc;
        struct row_bufs bufs;
        while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct row r;
            row_from_stmt(s, st, &r, 0);
            if (r.ts_ms >= q->from_ms && r.ts_ms < q->to_ms) {
                struct store_row out;
                store_row_fill(s, st, &r, &out, &bufs, 0);
                stop = cb(ctx, &out);
            }
            row_free(&r);
        }
        if (!stop && rc != SQLITE_DONE)
            err = TP_EDB;
        sqlite3_reset(st);
        i = j;
    }
    free(th.v);
    return err;
}

int store_raw_timed_sum(struct store *s, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, uint64_t *n_timed, double *sum_ms)
{
    if (s->ch)
        return TP_EUNSUPP;
    if (to_ms <= from_ms)
        return 0;
    unsigned bits = (f->tool ? 1 : 0) | (f->project ? 2 : 0) | (f->session ? 4 : 0);
    sqlite3_stmt **st = &s->sum_st[bits];
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
    } else {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT id, ts, dur, tool FROM ops WHERE id >= ?1 AND id < ?2 AND dur IS NOT NULL"
                 "%s%s%s ORDER BY id",
                 bits & 1 ? " AND tool = ?3" : "", bits & 2 ? " AND project = ?4" : "",
                 bits & 4 ? " AND session = ?5" : "");
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
            fprintf(stderr, "toolprof: cannot prepare a sum (%u): %s\n", bits,
                    sqlite3_errmsg(s->db));
            abort(); /* our SQL: a bug, not an input error */
        }
    }
    sqlite3_stmt *q = *st;
    const int64_t max_hour = INT64_MAX >> 32;
    int64_t h0 = tpt_floor_div(from_ms, HOUR_MS), h1 = tpt_floor_div(to_ms - 1, HOUR_MS) + 1;
    sqlite3_bind_int64(q, 1, (h0 < max_hour ? h0 : max_hour) * ((int64_t)1 << 32));
    sqlite3_bind_int64(q, 2, (h1 < max_hour ? h1 : max_hour) * ((int64_t)1 << 32));
    if (bits & 1)
        sqlite3_bind_int64(q, 3, f->tool);
    if (bits & 2)
        sqlite3_bind_int64(q, 4, f->project);
    if (bits & 4)
        sqlite3_bind_int64(q, 5, f->session);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t ts = (sqlite3_column_int64(q, 0) >> 32) * HOUR_MS + sqlite3_column_int64(q, 1);
        if (ts < from_ms || ts >= to_ms || !store_filter_tool(f, sqlite3_column_int64(q, 3)))
            continue;
        /* As a scan's row has it (store_row_fill): ms from microseconds. */
        *sum_ms += (double)sqlite3_column_int64(q, 2) / 1000.0;
        (*n_timed)++;
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_row_get(struct store *s, int64_t id, store_row_cb cb, void *ctx)
{
    if (s->ch)
        return TP_EUNSUPP;
    sqlite3_stmt *q = store_stmt(s, S_OP_GET);
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        struct row r;
        struct row_bufs bufs;
        struct store_row out;
        row_from_stmt(s, q, &r, 0);
        store_row_fill(s, q, &r, &out, &bufs, 0);
        cb(ctx, &out);
        row_free(&r);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? TP_ENOTFOUND : TP_EDB;
}

int store_targets(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  store_target_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_targets(s, from_ms, to_ms, f, cb, ctx);
    sqlite3_stmt *q = store_stmt(s, S_TG_RANGE);
    sqlite3_bind_int64(q, 1, tpt_floor_div(from_ms + DAY_MS - 1, DAY_MS));
    sqlite3_bind_int64(q, 2, tpt_floor_div(to_ms, DAY_MS));
    sqlite3_bind_int64(q, 3, f ? f->project : 0);
    sqlite3_bind_int64(q, 4, f ? f->tool : 0);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct target_agg t;
        t.project = sqlite3_column_int64(q, 1);
        t.tool = sqlite3_column_int64(q, 2);
        if (!store_filter_tool(f, t.tool))
            continue;
        t.target = sqlite3_column_int64(q, 3);
        t.n = (uint64_t)sqlite3_column_int64(q, 4);
        t.failed = (uint64_t)sqlite3_column_int64(q, 5);
        t.sum_ms = (double)sqlite3_column_int64(q, 6) / 1000.0;
        t.max_ms = (double)sqlite3_column_int64(q, 7) / 1000.0;
        /* Kept less the id of the day's first hour (rollup.c). */
        t.max_id = sqlite3_column_type(q, 13) == SQLITE_NULL
                       ? 0
                       : ((sqlite3_column_int64(q, 0) * 24) << 32) + sqlite3_column_int64(q, 13);
        t.n_timed = (uint64_t)sqlite3_column_int64(q, 8);
        t.asked = (uint64_t)sqlite3_column_int64(q, 9);
        t.wait_ms = (double)sqlite3_column_int64(q, 10) / 1000.0;
        t.n_unsplit = (uint64_t)sqlite3_column_int64(q, 11);
        t.unsplit_ms = (double)sqlite3_column_int64(q, 12) / 1000.0;
        stop = cb(ctx, sqlite3_column_int64(q, 0) * DAY_MS, &t);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

static void rr_totals_add(struct reread_totals *t, sqlite3_stmt *q)
{
    t->pairs += (uint64_t)sqlite3_column_int64(q, 0);
    t->reads += (uint64_t)sqlite3_column_int64(q, 1);
    t->repeat_bytes += (uint64_t)sqlite3_column_int64(q, 2);
    t->repeat_ms += (double)sqlite3_column_int64(q, 3) / 1000.0;
}

/* Bind the window and filter of the rereads statements. */
static void rr_bind(sqlite3_stmt *q, int64_t from_ms, int64_t to_ms, int64_t project,
                    int64_t session)
{
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    sqlite3_bind_int64(q, 3, project);
    if (session)
        sqlite3_bind_int64(q, 4, session);
}

struct rr_cover {
    struct store *s;
    int64_t project;
    struct reread_totals *t;
};

/* One part of the window (rollup_cover): a run of buckets of reread_sums,
 * or, for the edges that are not whole hours, the pairs themselves. */
static int rr_part(void *ctx, int level, int64_t from_ms, int64_t to_ms)
{
    struct rr_cover *c = ctx;
    sqlite3_stmt *q;
    if (level < 0) {
        q = store_stmt(c->s, S_RR_TOTALS);
        rr_bind(q, from_ms, to_ms, c->project, 0);
    } else {
        q = store_stmt(c->s, S_RS_RANGE);
        sqlite3_bind_int64(q, 1, level);
        sqlite3_bind_int64(q, 2, from_ms / rollup_width_ms[level]);
        sqlite3_bind_int64(q, 3, to_ms / rollup_width_ms[level]);
        sqlite3_bind_int64(q, 4, c->project);
    }
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        rr_totals_add(c->t, q);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : TP_EDB;
}

int store_rereads(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                  size_t top, struct reread_totals *totals, store_reread_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_rereads(s, from_ms, to_ms, f, top, totals, cb, ctx);
    int64_t project = f ? f->project : 0, session = f ? f->session : 0;
    memset(totals, 0, sizeof *totals);
    if (from_ms >= to_ms)
        return 0;
    int rc;
    if (session) { /* one session's pairs: a prefix of the primary key */
        sqlite3_stmt *q = store_stmt(s, S_RR_TOTALS_SESSION);
        rr_bind(q, from_ms, to_ms, project, session);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            rr_totals_add(totals, q);
        sqlite3_reset(q);
        if (rc != SQLITE_ROW)
            return TP_EDB;
    } else {
        struct rr_cover c = {s, project, totals};
        if (rollup_cover(from_ms, to_ms, rr_part, &c) != 0)
            return TP_EDB;
    }
    if (!totals->pairs || !top)
        return 0;

    /* Reading the window's pairs costs one step each; reading the most
     * read pairs down until `top` are in the window costs about top times
     * (all pairs / the window's). Take the cheaper. */
    enum stmt_id id = S_RR_TOP_SESSION;
    if (!session) {
        sqlite3_stmt *a = store_stmt(s, S_RS_ALL);
        sqlite3_bind_int64(a, 1, project);
        rc = sqlite3_step(a);
        int64_t all = rc == SQLITE_ROW ? sqlite3_column_int64(a, 0) : 0;
        sqlite3_reset(a);
        if (rc != SQLITE_ROW)
            return TP_EDB;
        double by_n = (double)top * (double)all / (double)totals->pairs;
        id = by_n < (double)totals->pairs ? S_RR_TOP_BY_N : S_RR_TOP;
    }
    sqlite3_stmt *q = store_stmt(s, id);
    rr_bind(q, from_ms, to_ms, project, session);
    sqlite3_bind_int64(q, 5, (int64_t)top);
    int stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct reread r;
        r.session = sqlite3_column_int64(q, 0);
        r.target = sqlite3_column_int64(q, 1);
        r.project = sqlite3_column_int64(q, 2);
        r.reads = (uint64_t)sqlite3_column_int64(q, 3);
        r.bytes = (uint64_t)sqlite3_column_int64(q, 4);
        r.sum_ms = (double)sqlite3_column_int64(q, 5) / 1000.0;
        stop = cb(ctx, &r);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_session_span(struct store *s, int64_t session, int64_t *first_ms, int64_t *last_ms)
{
    if (s->ch)
        return chstore_session_span(s, session, first_ms, last_ms);
    sqlite3_stmt *q = store_stmt(s, S_SS_GET);
    sqlite3_bind_int64(q, 1, session);
    int rc = sqlite3_step(q) == SQLITE_ROW ? 0 : TP_ENOTFOUND;
    if (rc == 0) {
        *first_ms = sqlite3_column_int64(q, 0);
        *last_ms = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    return rc;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* Start time of the first or last call: rows are ordered by hour, not by
 * time within an hour, so take min/max of ts within the edge hour. */
static int64_t edge_ts(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *q = store_stmt(s, id);
    int64_t ts = 0;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        ts = sqlite3_column_int64(q, 0) * HOUR_MS + sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    return ts;
}

int store_info(struct store *s, struct store_info *out)
{
    if (s->ch)
        return chstore_info(s, out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = store_stmt(s, S_OP_COUNT);
    if (sqlite3_step(q) == SQLITE_ROW)
        out->operations = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->db_path);
    out->db_bytes = file_size(s->db_path) + file_size(wal);
    out->first_ms = edge_ts(s, S_FIRST_TS);
    out->last_ms = edge_ts(s, S_LAST_TS);
    out->schema_version = store_schema_version();
    return 0;
}

int64_t store_data_version(struct store *s)
{
    if (s->ch)
        return chstore_data_version(s);
    sqlite3_stmt *q;
    int64_t v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

int store_tools(struct store *s, store_name_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_tools(s, cb, ctx);
    /* Collect ids first: store_str() would reset the running statement. */
    sqlite3_stmt *q = store_stmt(s, S_TOOLS);
    int64_t *ids = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 32;
            ids = xreallocarray(ids, alloc, sizeof *ids);
        }
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    for (size_t i = 0; i < n; i++) {
        const char *name = store_str(s, ids[i]);
        if (name && cb(ctx, ids[i], name))
            break;
    }
    free(ids);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_has_other_sources(struct store *s, unsigned mask, int *found)
{
    if (s->ch)
        return chstore_has_other_sources(s, mask, found);
    sqlite3_stmt *q = store_stmt(s, S_OTHER_SOURCES);
    sqlite3_bind_int64(q, 1, (int64_t)(~mask & F_SOURCES_MASK));
    int rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW;
    sqlite3_reset(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_projects(struct store *s, store_name_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_projects(s, cb, ctx);
    /* The monthly rollups hold a row per project that ever had a call
     * (project 0 is "all projects"). Ids first: store_str() would reset a
     * running statement. */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT DISTINCT project FROM rollups WHERE lvl = 2 AND project != 0 "
                           "AND n > 0",
                           -1, &q, NULL) != SQLITE_OK)
        return TP_EDB;
    int64_t *ids = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 32;
            ids = xreallocarray(ids, alloc, sizeof *ids);
        }
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    for (size_t i = 0; rc == SQLITE_DONE && i < n; i++) {
        const char *name = store_str(s, ids[i]);
        if (name && *name && cb(ctx, ids[i], name))
            break;
    }
    free(ids);
    return rc == SQLITE_DONE ? 0 : TP_EDB;
}
