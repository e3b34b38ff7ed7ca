/*
 * ch_read.c - the ClickHouse store's readers: what store.h's reading
 * functions return, computed by ClickHouse.
 *
 * Aggregates come from aggs, summed over the rows of a bucket range and
 * the filter (GROUP BY tool), with the sketch of each tool rebuilt from the
 * counts of its bins: the bins are the sketch's own (sketch_index() of
 * each duration, computed when the call was written), so the sketch, and
 * every percentile read from it, is the one the SQLite store would have
 * built from the same calls. Raw rows are the live version of each call:
 * argMax(column, ver) over its rows, where sum(sign) > 0. A condition on
 * any column keeps or drops a cancelled version and its cancel row
 * together (they are equal), so filtering before grouping is safe.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_int.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "sketch.h"

/* ---- filters ----------------------------------------------------------------------- */

static void cond_str(struct chstore *ch, struct buf *sql, const char *col, int64_t id)
{
    const char *t = ch_str(&ch->strs, id);
    if (!t) { /* an id this store never gave out matches nothing */
        buf_adds(sql, " AND 0");
        return;
    }
    buf_printf(sql, " AND %s = ", col);
    ch_sql_str(sql, t);
}

/* The filter's conditions (tool, tool set, project, person, host; the
 * session when with_session). */
static void where_filter(struct chstore *ch, struct buf *sql, const struct store_filter *f,
                         int with_session)
{
    if (!f)
        return;
    if (f->tool) {
        cond_str(ch, sql, "tool", f->tool);
    } else if (f->ntools) {
        buf_adds(sql, " AND tool IN (");
        for (size_t i = 0; i < f->ntools; i++) {
            const char *t = ch_str(&ch->strs, f->tools[i]);
            if (i)
                buf_addc(sql, ',');
            ch_sql_str(sql, t ? t : "\x01");
        }
        buf_addc(sql, ')');
    }
    if (f->project)
        cond_str(ch, sql, "project", f->project);
    if (with_session && f->session)
        cond_str(ch, sql, "session", f->session);
    if (f->user)
        cond_str(ch, sql, "user", f->user);
    if (f->host)
        cond_str(ch, sql, "host", f->host);
}

/* ---- rollups ------------------------------------------------------------------------- */

/* The aggregate columns, in agg_from_fields() order. */
#define AGG_SUMS                                                                                   \
    "sum(n), sum(nt), sum(sum_us), sum(slow), sum(crit), sum(failed), sum(opt), sum(attn), "       \
    "sum(attn_bytes), sum(slow_sum_us), sum(nwait), sum(wait_us), sum(asked), sum(nhook), "        \
    "sum(hook_us), sum(nunsplit), sum(unsplit_us), maxMerge(mx), minMerge(mn)"
#define AGG_ZEROS                                                                                  \
    "toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), "         \
    "toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), "         \
    "toInt64(0), toInt64(0), toInt64(0), toInt64(0)"
#define AGG_NCOLS 19

/* Add the counters of one answer row (fields f[0..AGG_NCOLS)) to a. */
static void agg_from_fields(char **f, struct agg *a)
{
    uint64_t nt = (uint64_t)ch_i64(f[1]);
    if (nt) {
        double max = (double)ch_i64(f[17]) / 1000.0, min = (double)ch_i64(f[18]) / 1000.0;
        if (!a->n_timed || min < a->min_ms)
            a->min_ms = min;
        if (!a->n_timed || max > a->max_ms)
            a->max_ms = max;
    }
    a->n += (uint64_t)ch_i64(f[0]);
    a->n_timed += nt;
    a->sum_ms += (double)ch_i64(f[2]) / 1000.0;
    a->slow += (uint64_t)ch_i64(f[3]);
    a->critical += (uint64_t)ch_i64(f[4]);
    a->failed += (uint64_t)ch_i64(f[5]);
    a->optimized += (uint64_t)ch_i64(f[6]);
    a->attention += (uint64_t)ch_i64(f[7]);
    a->attention_bytes += (uint64_t)ch_i64(f[8]);
    a->slow_sum_ms += (double)ch_i64(f[9]) / 1000.0;
    a->n_wait += (uint64_t)ch_i64(f[10]);
    a->wait_ms += (double)ch_i64(f[11]) / 1000.0;
    a->asked += (uint64_t)ch_i64(f[12]);
    a->n_hook += (uint64_t)ch_i64(f[13]);
    a->hook_ms += (double)ch_i64(f[14]) / 1000.0;
    a->n_unsplit += (uint64_t)ch_i64(f[15]);
    a->unsplit_ms += (double)ch_i64(f[16]) / 1000.0;
}

static void sketch_from_bin(struct agg *a, int64_t bin, int64_t count)
{
    if (count <= 0)
        return;
    if (bin == CH_BIN_ZERO)
        sketch_add(&a->sk, 0, (uint64_t)count);
    else
        sketch_add(&a->sk, sketch_value((int32_t)bin), (uint64_t)count);
}

/* The kinds and bucket range of aggs rows for rollup level `level` over
 * [from, to) (bucket starts, as store_rollups takes them). */
static void level_range(int level, int64_t from_ms, int64_t to_ms, int *kind, int *bkind,
                        int64_t *b0, int64_t *b1, int64_t *group)
{
    int64_t w = rollup_width_ms[level];
    int64_t unit = level == ROLLUP_HOUR ? TPT_HOUR_MS : TPT_DAY_MS;
    *kind = level == ROLLUP_HOUR ? CHK_HOUR : CHK_DAY;
    *bkind = level == ROLLUP_HOUR ? CHK_HBIN : CHK_DBIN;
    *b0 = tpt_floor_div(from_ms + w - 1, w) * (w / unit);
    *b1 = tpt_floor_div(to_ms + w - 1, w) * (w / unit);
    *group = w / unit; /* aggs buckets per rollup bucket */
}

/* "SELECT ... counters ... UNION ALL SELECT ... bins ..." grouped by
 * `by` (an expression list). Row layout: kind(0 counters, 1 bin), bucket,
 * tool, project, bin, then AGG_NCOLS. */
static void rollup_sql(struct chstore *ch, int level, int64_t from_ms, int64_t to_ms,
                       const struct store_filter *f, int per_bucket)
{
    int kind, bkind;
    int64_t b0, b1, g;
    level_range(level, from_ms, to_ms, &kind, &bkind, &b0, &b1, &g);
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    char bucket[64];
    if (per_bucket)
        snprintf(bucket, sizeof bucket, "intDiv(b, %lld)", (long long)g);
    else
        snprintf(bucket, sizeof bucket, "toInt64(0)");
    const char *proj = "''"; /* summed over projects; a project filter is in WHERE */
    for (int part = 0; part < 2; part++) {
        if (part)
            buf_adds(sql, " UNION ALL ");
        buf_printf(sql,
                   "SELECT toUInt8(%d), %s AS bk, tool, %s AS pj, %s, %s FROM %s.aggs "
                   "WHERE kind = %d AND b >= %lld AND b < %lld",
                   part, bucket, proj, part ? "toInt16(bin)" : "toInt16(0)",
                   part ? "sum(n), " AGG_ZEROS : AGG_SUMS, ch->conf.db, part ? bkind : kind,
                   (long long)b0, (long long)b1);
        where_filter(ch, sql, f, 0);
        buf_printf(sql, " GROUP BY bk, tool, pj%s HAVING sum(n) %s 0", part ? ", bin" : "",
                   part ? ">" : "!=");
    }
    if (per_bucket)
        buf_adds(sql, " ORDER BY 2, 3, 1");
}

struct into_ctx {
    struct chstore *ch;
    store_agg_for into;
    void *ctx;
    int bad;
};

static int into_row(void *ctx, char **f, size_t n)
{
    struct into_ctx *x = ctx;
    if (n < 5 + AGG_NCOLS) {
        x->bad = 1;
        return 1;
    }
    struct agg *a = x->into(x->ctx, ch_id(&x->ch->strs, f[2]));
    if (f[0][0] == '0')
        agg_from_fields(f + 5, a);
    else
        sketch_from_bin(a, ch_i64(f[4]), ch_i64(f[5]));
    return 0;
}

int chstore_rollups_into(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                         const struct store_filter *f, store_agg_for into, void *ctx)
{
    struct chstore *ch = s->ch;
    rollup_sql(ch, level, from_ms, to_ms, f, 0);
    struct into_ctx x = {ch, into, ctx, 0};
    char err[TP_ERR_MAX];
    int rc = ch_query(ch, ch->sql.data, into_row, &x, err);
    return rc || x.bad ? TP_EDB : 0;
}

/* store_rollups: one agg per (bucket, tool), in bucket then tool order. The
 * answer comes ordered so: counters, then the bins, of each. */
struct each_ctx {
    struct chstore *ch;
    int level;
    int64_t project;
    store_rollup_cb cb;
    void *ctx;
    struct agg a;
    int have, stop, bad;
    char bucket[32], tool[TP_MAX_TOOL * 2 + 40];
    int64_t start_ms;
};

static int each_flush(struct each_ctx *x)
{
    if (!x->have || x->stop)
        return x->stop;
    x->have = 0;
    x->stop = x->cb(x->ctx, x->level, x->start_ms, ch_id(&x->ch->strs, x->tool), x->project, &x->a);
    return x->stop;
}

static int each_row(void *ctx, char **f, size_t n)
{
    struct each_ctx *x = ctx;
    if (n < 5 + AGG_NCOLS) {
        x->bad = 1;
        return 1;
    }
    if (!x->have || strcmp(f[1], x->bucket) != 0 || strcmp(f[2], x->tool) != 0) {
        if (each_flush(x))
            return 1;
        agg_reset(&x->a);
        snprintf(x->bucket, sizeof x->bucket, "%s", f[1]);
        snprintf(x->tool, sizeof x->tool, "%s", f[2]);
        x->start_ms = ch_i64(f[1]) * rollup_width_ms[x->level];
        x->have = 1;
    }
    if (f[0][0] == '0')
        agg_from_fields(f + 5, &x->a);
    else
        sketch_from_bin(&x->a, ch_i64(f[4]), ch_i64(f[5]));
    return 0;
}

int chstore_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                    const struct store_filter *f, store_rollup_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    rollup_sql(ch, level, from_ms, to_ms, f, 1);
    /* One row per (bucket, tool) of the filter's project (0: all). */
    struct buf *sql = &ch->sql;
    char *inner = xstrdup(sql->data);
    buf_reset(sql);
    buf_printf(sql, "SELECT * FROM (%s)", inner);
    free(inner);
    struct each_ctx x;
    memset(&x, 0, sizeof x);
    x.ch = ch;
    x.level = level;
    x.project = f ? f->project : 0;
    x.cb = cb;
    x.ctx = ctx;
    agg_init(&x.a);
    char err[TP_ERR_MAX];
    int rc = ch_query(ch, ch->sql.data, each_row, &x, err);
    if (rc == 0 && !x.bad)
        each_flush(&x);
    agg_free(&x.a);
    return rc || x.bad ? TP_EDB : 0;
}

struct sums_ctx {
    uint64_t n;
    double sum_ms;
};

static int sums_row(void *ctx, char **f, size_t n)
{
    struct sums_ctx *x = ctx;
    if (n >= 2) {
        x->n += (uint64_t)ch_i64(f[0]);
        x->sum_ms += (double)ch_i64(f[1]) / 1000.0;
    }
    return 0;
}

int chstore_rollup_sums(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, uint64_t *n_timed, double *sum_ms)
{
    struct chstore *ch = s->ch;
    int kind, bkind;
    int64_t b0, b1, g;
    level_range(level, from_ms, to_ms, &kind, &bkind, &b0, &b1, &g);
    buf_reset(&ch->sql);
    buf_printf(&ch->sql,
               "SELECT sum(nt), sum(sum_us) FROM %s.aggs WHERE kind = %d AND b >= %lld "
               "AND b < %lld",
               ch->conf.db, kind, (long long)b0, (long long)b1);
    where_filter(ch, &ch->sql, f, 0);
    struct sums_ctx x = {0, 0};
    char err[TP_ERR_MAX];
    if (ch_query(ch, ch->sql.data, sums_row, &x, err) != 0)
        return TP_EDB;
    *n_timed += x.n;
    *sum_ms += x.sum_ms;
    return 0;
}

/* ---- raw rows ------------------------------------------------------------------------ */

#define SCAN_COLS                                                                                  \
    "hour, uid, any(slot) AS sl, argMax(ts, ver), argMax(tool, ver), argMax(target, ver), "        \
    "argMax(session, ver), "                                                                       \
    "argMax(project, ver), argMax(sub, ver), argMax(dur, ver), argMax(wall, ver), "                \
    "argMax(wait, ver), argMax(hook, ver), argMax(ph, ver), argMax(flags, ver), "                  \
    "argMax(size, ver), argMax(rbytes, ver), argMax(err, ver), argMax(meta, ver)"
#define SCAN_NCOLS 19
/* Calls one query of a scan reads at most (but for an hour holding more). */
#define CH_SCAN_ROWS 100000

struct scan_ctx {
    struct chstore *ch;
    const struct store_scan *q;
    store_row_cb cb;
    void *ctx;
    int stop, bad;
};

static int scan_row(void *ctx, char **f, size_t n)
{
    struct scan_ctx *x = ctx;
    if (n < SCAN_NCOLS) {
        x->bad = 1;
        return 1;
    }
    struct ch_strs *s = &x->ch->strs;
    char **g = f + 1; /* the columns after the slot, numbered as before it */
    struct store_row out;
    memset(&out, 0, sizeof out);
    int64_t hour = ch_i64(f[0]);
    out.id = (int64_t)((uint64_t)hour << 32) | (int64_t)(uint32_t)ch_i64(f[2]);
    out.tool_id = ch_id(s, g[3]);
    out.target_id = g[4][0] ? ch_id(s, g[4]) : 0;
    out.session_id = g[5][0] ? ch_id(s, g[5]) : 0;
    out.project_id = ch_id(s, g[6]);
    unsigned flags = (unsigned)ch_i64(g[13]);
    out.sources = (flags >> F_SOURCES_SHIFT) & F_SOURCES_MASK;
    out.attention = (int)((flags >> F_ATTN_SHIFT) & 3);
    struct op *op = &out.op;
    op_init(op);
    struct op_phases ph;
    int src = (int)((flags >> F_SRC_SHIFT) & 7);
    row_ph_unpack(ch_i64(g[12]), 0, src, &ph);
    const int cols[3] = {9, 10, 11};
    for (int i = 0; i < 3; i++) {
        int64_t us = ch_i64(g[cols[i]]);
        ph.ms[i] = us >= 0 ? (double)us / 1000.0 : NAN;
    }
    int64_t dur = ch_i64(g[8]);
    ph.ms[OP_PH_EXEC] = dur >= 0 ? (double)dur / 1000.0 : NAN;
    op_phases_put(op, &ph);
    op->duration_ms = ph.ms[OP_PH_EXEC];
    op->ts_ms = ch_i64(g[2]);
    op->success = (flags & F_SUCCESS) != 0;
    op->optimized = (flags & F_OPT) != 0;
    op->size_bytes = ch_i64(g[14]);
    op->result_bytes = ch_i64(g[15]);
    op->source = (enum op_source)src;
    op->duration_is_int = (flags & F_INT) != 0;
    char tool[TP_MAX_TOOL + 1], agent[40];
    if (!x->q->ids_only) {
        const char *key = g[3], *ag;
        size_t k = op_tool_split(key, &ag);
        if (key[k]) {
            snprintf(tool, sizeof tool, "%.*s", (int)k, key);
            snprintf(agent, sizeof agent, "%s", ag);
            key = tool;
            op->agent = agent;
        }
        op->tool = (char *)key;
        op->target = g[4][0] ? g[4] : NULL;
        op->session_id = g[5][0] ? g[5] : NULL;
        op->project = g[6][0] ? g[6] : NULL;
        op->subagent = g[7][0] ? g[7] : NULL;
        op->error = g[16][0] ? g[16] : NULL;
        op->meta = g[17][0] ? g[17] : NULL;
        op->tool_use_id = f[1];
    }
    x->stop = x->cb(x->ctx, &out);
    return x->stop;
}

/* The hours of [h0, h1) whose aggregates can hold a matching row, in scan
 * order (the SQLite store's scan_candidates), with how many calls each
 * holds. */
struct hours_ctx {
    int64_t *v, *n;
    size_t count, alloc;
};

static int hour_row(void *ctx, char **f, size_t n)
{
    struct hours_ctx *x = ctx;
    if (n < 2)
        return 0;
    if (x->count == x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 256;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
        x->n = xreallocarray(x->n, x->alloc, sizeof *x->n);
    }
    x->v[x->count] = ch_i64(f[0]);
    x->n[x->count++] = ch_i64(f[1]);
    return 0;
}

static int candidate_hours(struct chstore *ch, const struct store_scan *q, int64_t h0, int64_t h1,
                           struct hours_ctx *out, char *err)
{
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql, "SELECT b, sum(n) FROM %s.aggs WHERE kind = %d AND b >= %lld AND b < %lld",
               ch->conf.db, CHK_HOUR, (long long)h0, (long long)h1);
    where_filter(ch, sql, &q->f, 0);
    buf_adds(sql, " GROUP BY b HAVING sum(n) > 0");
    if (q->min_duration_ms > 0)
        buf_printf(sql, " AND maxMerge(mx) >= %lld", (long long)floor(q->min_duration_ms * 1000.0));
    if (q->attention)
        buf_adds(sql, " AND sum(attn) > 0");
    buf_printf(sql, " ORDER BY b%s", q->desc ? " DESC" : "");
    return ch_query(ch, sql->data, hour_row, out, err);
}

/* Read the rows of the given hours, in scan order. */
static int scan_hours(struct scan_ctx *x, const int64_t *hours, size_t n, char *err)
{
    struct chstore *ch = x->ch;
    const struct store_scan *q = x->q;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql, "SELECT " SCAN_COLS " FROM %s.ops WHERE ", ch->conf.db);
    buf_adds(sql, "hour IN (");
    for (size_t i = 0; i < n; i++)
        buf_printf(sql, "%s%lld", i ? "," : "", (long long)hours[i]);
    buf_addc(sql, ')');
    buf_printf(sql, " AND ts >= %lld AND ts < %lld", (long long)q->from_ms, (long long)q->to_ms);
    where_filter(ch, sql, &q->f, 1);
    if (q->min_duration_ms > 0)
        buf_printf(sql, " AND dur >= %.3f", q->min_duration_ms * 1000.0);
    if (q->attention)
        buf_printf(sql, " AND bitAnd(bitShiftRight(flags, %d), 3) = %d", F_ATTN_SHIFT,
                   q->attention);
    buf_printf(sql, " GROUP BY hour, user, uid HAVING sum(sign) > 0 ORDER BY hour%s, sl%s",
               q->desc ? " DESC" : "", q->desc ? " DESC" : "");
    int rc = ch_query(ch, sql->data, scan_row, x, err);
    return rc ? rc : x->bad ? TP_EDB : 0;
}

int chstore_scan(struct store *s, const struct store_scan *q, store_row_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    if (q->to_ms <= q->from_ms)
        return 0;
    int64_t h0 = tpt_floor_div(q->from_ms, TPT_HOUR_MS);
    int64_t h1 = tpt_floor_div(q->to_ms - 1, TPT_HOUR_MS) + 1;
    struct scan_ctx x = {ch, q, cb, ctx, 0, 0};
    char err[TP_ERR_MAX];
    /* Only the hours whose aggregates can hold a matching row, in scan
     * order, read in chunks of about CH_SCAN_ROWS calls (or a day of
     * hours, for rare rows: a "newest 50 slow calls" scan stops early). */
    struct hours_ctx hs = {NULL, NULL, 0, 0};
    int rc = candidate_hours(ch, q, h0, h1, &hs, err);
    int rare = q->min_duration_ms > 0 || q->attention;
    for (size_t i = 0; rc == 0 && !x.stop && i < hs.count;) {
        size_t k = 0;
        int64_t rows = 0;
        while (i + k < hs.count && (k == 0 || (rare ? k < TP_CH_SCAN_CHUNK_HOURS
                                                    : rows + hs.n[i + k] <= CH_SCAN_ROWS))) {
            rows += hs.n[i + k];
            k++;
        }
        rc = scan_hours(&x, hs.v + i, k, err);
        i += k;
    }
    free(hs.v);
    free(hs.n);
    return rc ? TP_EDB : 0;
}

/* ---- targets ------------------------------------------------------------------------- */

struct tg_row {
    int64_t day;
    struct target_agg t;
    int64_t rt;
};

struct tg_ctx {
    struct chstore *ch;
    struct tg_row *v;
    size_t n, alloc;
    struct kmap fix; /* (day, tool, target, project) ids -> index, for rows to recompute */
    int bad;
};

static int tg_row(void *ctx, char **f, size_t n)
{
    struct tg_ctx *x = ctx;
    if (n < 14) {
        x->bad = 1;
        return 1;
    }
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 1024;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
    }
    struct tg_row *r = &x->v[x->n++];
    struct ch_strs *s = &x->ch->strs;
    r->day = ch_i64(f[0]);
    r->t.tool = ch_id(s, f[1]);
    r->t.target = f[2][0] ? ch_id(s, f[2]) : 0;
    r->t.project = ch_id(s, f[3]);
    r->t.n = (uint64_t)ch_i64(f[4]);
    r->t.failed = (uint64_t)ch_i64(f[5]);
    r->t.sum_ms = (double)ch_i64(f[6]) / 1000.0;
    int64_t mx = ch_i64(f[7]);
    r->t.max_ms = mx > 0 ? (double)mx / 1000.0 : 0;
    r->t.max_id = 0; /* not kept here: engine_hotspot_examples scans */
    r->t.n_timed = (uint64_t)ch_i64(f[8]);
    r->t.asked = (uint64_t)ch_i64(f[9]);
    r->t.wait_ms = (double)ch_i64(f[10]) / 1000.0;
    r->t.n_unsplit = (uint64_t)ch_i64(f[11]);
    r->t.unsplit_ms = (double)ch_i64(f[12]) / 1000.0;
    r->rt = ch_i64(f[13]);
    if (r->rt > 0) {
        int64_t key[4] = {r->day, r->t.tool, r->t.target, r->t.project};
        int added;
        kmap_put(&x->fix, key, sizeof key, &added);
    }
    return 0;
}

struct fix_ctx {
    struct tg_ctx *t;
    struct kmap max; /* key -> index in vals */
    int64_t *vals;
    size_t alloc;
};

static int fix_row(void *ctx, char **f, size_t n)
{
    struct fix_ctx *x = ctx;
    if (n < 5)
        return 0;
    struct ch_strs *s = &x->t->ch->strs;
    int64_t key[4] = {ch_i64(f[0]), ch_id(s, f[1]), f[2][0] ? ch_id(s, f[2]) : 0, ch_id(s, f[3])};
    int added;
    size_t i = kmap_put(&x->max, key, sizeof key, &added);
    if (i >= x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 64;
        x->vals = xreallocarray(x->vals, x->alloc, sizeof *x->vals);
    }
    x->vals[i] = ch_i64(f[4]);
    return 0;
}

/* A duration was replaced in these rows: their maximum is recomputed from
 * the live rows (the SQLite store does the same, W_TG_REMAX). */
static int fix_maxima(struct chstore *ch, struct tg_ctx *t, const struct store_filter *f, char *err)
{
    int64_t dmin = INT64_MAX, dmax = INT64_MIN;
    for (size_t i = 0; i < t->fix.n; i++) {
        const int64_t *k = kmap_key(&t->fix, i, NULL);
        dmin = k[0] < dmin ? k[0] : dmin;
        dmax = k[0] > dmax ? k[0] : dmax;
    }
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql,
               "SELECT intDiv(t, %lld) AS d, tl, tg, pj, max(du) FROM (SELECT argMax(ts, ver) AS "
               "t, argMax(tool, ver) AS tl, argMax(target, ver) AS tg, argMax(project, ver) AS "
               "pj, argMax(dur, ver) AS du FROM %s.ops WHERE hour >= %lld AND hour < %lld AND "
               "(tool, target) IN (",
               (long long)TPT_DAY_MS, ch->conf.db, (long long)(dmin * 24),
               (long long)((dmax + 1) * 24));
    for (size_t i = 0; i < t->fix.n; i++) {
        const int64_t *k = kmap_key(&t->fix, i, NULL);
        buf_adds(sql, i ? ",(" : "(");
        ch_sql_str(sql, ch_str(&ch->strs, k[1]));
        buf_addc(sql, ',');
        ch_sql_str(sql, ch_str(&ch->strs, k[2]));
        buf_addc(sql, ')');
    }
    buf_addc(sql, ')');
    where_filter(ch, sql, f, 0);
    buf_adds(sql, " GROUP BY hour, user, uid HAVING sum(sign) > 0) WHERE du >= 0 "
                  "GROUP BY d, tl, tg, pj");
    struct fix_ctx x;
    memset(&x, 0, sizeof x);
    x.t = t;
    int rc = ch_query(ch, sql->data, fix_row, &x, err);
    if (rc == 0) {
        for (size_t i = 0; i < t->n; i++) {
            struct tg_row *r = &t->v[i];
            if (r->rt <= 0)
                continue;
            int64_t key[4] = {r->day, r->t.tool, r->t.target, r->t.project};
            long k = kmap_find(&x.max, key, sizeof key);
            r->t.max_ms = k >= 0 ? (double)x.vals[k] / 1000.0 : 0;
        }
    }
    kmap_free(&x.max);
    free(x.vals);
    return rc;
}

int chstore_targets(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                    store_target_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    int64_t d0 = tpt_floor_div(from_ms + TPT_DAY_MS - 1, TPT_DAY_MS);
    int64_t d1 = tpt_floor_div(to_ms, TPT_DAY_MS);
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql,
               "SELECT b, tool, target, project, sum(n), sum(failed), sum(sum_us), maxMerge(mx), "
               "sum(nt), sum(asked), sum(wait_us), sum(nunsplit), sum(unsplit_us), sum(rt) "
               "FROM %s.aggs WHERE kind = %d AND b >= %lld AND b < %lld",
               ch->conf.db, CHK_TARGET, (long long)d0, (long long)d1);
    where_filter(ch, sql, f, 0);
    buf_adds(sql, " GROUP BY b, tool, target, project HAVING sum(n) > 0 ORDER BY b, project, "
                  "tool, target");
    struct tg_ctx t;
    memset(&t, 0, sizeof t);
    t.ch = ch;
    char err[TP_ERR_MAX];
    int rc = ch_query(ch, sql->data, tg_row, &t, err);
    if (rc == 0 && t.bad)
        rc = TP_EDB;
    if (rc == 0 && t.fix.n)
        rc = fix_maxima(ch, &t, f, err);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        if (cb(ctx, t.v[i].day * TPT_DAY_MS, &t.v[i].t))
            break;
    free(t.v);
    kmap_free(&t.fix);
    return rc ? TP_EDB : 0;
}

/* ---- repeated reads -------------------------------------------------------------------- */

/* The pairs of [from, to): (person, session, file) read in full at least
 * REREAD_MIN times, whose last read falls in the window. */
static void pairs_sql(struct chstore *ch, struct buf *sql, int64_t from_ms, int64_t to_ms,
                      const struct store_filter *f)
{
    buf_printf(sql,
               "SELECT user, session, target, sum(n) AS rn, sum(bytes) AS rb, sum(sum_us) AS ru, "
               "maxMerge(mx) AS last, argMinMerge(pa) AS pj FROM %s.aggs WHERE kind = %d",
               ch->conf.db, CHK_REREAD);
    if (f && f->session)
        cond_str(ch, sql, "session", f->session);
    if (f && f->user)
        cond_str(ch, sql, "user", f->user);
    if (f && f->host)
        cond_str(ch, sql, "host", f->host);
    /* A pair read last in the window was read in one of its months. */
    buf_printf(sql,
               " AND (user, session, target) IN (SELECT user, session, target FROM %s.aggs WHERE "
               "kind = %d AND month >= %u AND month <= %u)",
               ch->conf.db, CHK_REREAD, ch_month(from_ms), ch_month(to_ms - 1));
    buf_printf(sql,
               " GROUP BY user, session, target HAVING rn >= %d AND last >= %lld AND last < %lld",
               REREAD_MIN, (long long)from_ms, (long long)to_ms);
    if (f && f->project) {
        buf_adds(sql, " AND pj = ");
        const char *p = ch_str(&ch->strs, f->project);
        ch_sql_str(sql, p ? p : "\x01");
    }
}

struct rr_ctx {
    struct chstore *ch;
    struct reread_totals *tot;
    store_reread_cb cb;
    void *ctx;
    int stop;
};

static int rr_totals_row(void *ctx, char **f, size_t n)
{
    struct rr_ctx *x = ctx;
    if (n < 4)
        return 0;
    x->tot->pairs = (uint64_t)ch_i64(f[0]);
    x->tot->reads = (uint64_t)ch_i64(f[1]);
    x->tot->repeat_bytes = (uint64_t)ch_i64(f[2]);
    x->tot->repeat_ms = (double)ch_i64(f[3]) / 1000.0;
    return 0;
}

static int rr_pair_row(void *ctx, char **f, size_t n)
{
    struct rr_ctx *x = ctx;
    if (n < 8)
        return 0;
    struct ch_strs *s = &x->ch->strs;
    struct reread r;
    r.session = ch_id(s, f[1]);
    r.target = ch_id(s, f[2]);
    r.project = ch_id(s, f[7]);
    r.reads = (uint64_t)ch_i64(f[3]);
    r.bytes = (uint64_t)ch_i64(f[4]);
    r.sum_ms = (double)ch_i64(f[5]) / 1000.0;
    x->stop = x->cb(x->ctx, &r);
    return x->stop;
}

int chstore_rereads(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                    size_t top, struct reread_totals *totals, store_reread_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    memset(totals, 0, sizeof *totals);
    if (from_ms >= to_ms)
        return 0;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    /* The SQLite store's arithmetic, integer division included (RR_SUMS). */
    buf_adds(sql, "SELECT count(), sum(rn), sum((rn - 1) * if(rb > 0, intDiv(rb, rn), 4000)), "
                  "sum(intDiv(ru * (rn - 1), rn)) FROM (");
    pairs_sql(ch, sql, from_ms, to_ms, f);
    buf_addc(sql, ')');
    struct rr_ctx x = {ch, totals, cb, ctx, 0};
    char err[TP_ERR_MAX];
    if (ch_query(ch, sql->data, rr_totals_row, &x, err) != 0)
        return TP_EDB;
    if (!totals->pairs || !top)
        return 0;
    buf_reset(sql);
    buf_adds(sql, "SELECT * FROM (");
    pairs_sql(ch, sql, from_ms, to_ms, f);
    buf_printf(sql, ") ORDER BY rn DESC, ru DESC, session DESC, target DESC LIMIT %zu", top);
    if (ch_query(ch, sql->data, rr_pair_row, &x, err) != 0)
        return TP_EDB;
    return 0;
}

/* ---- sessions -------------------------------------------------------------------------- */

#define SESSION_SQL                                                                                \
    "SELECT session, minMerge(mn) AS first, maxMerge(mx) AS last, argMinMerge(pa) AS pj, "         \
    "sum(n), sum(failed), sum(sub), sum(asked), sum(nt), sum(sum_us), sum(wait_us), "              \
    "sum(hook_us), sum(unsplit_us) FROM %s.aggs WHERE kind = %d"

struct ss_ctx {
    struct chstore *ch;
    store_session_cb cb;
    void *ctx;
    struct store_session one;
    int got, stop;
};

static int ss_row(void *ctx, char **f, size_t n)
{
    struct ss_ctx *x = ctx;
    if (n < 13)
        return 0;
    struct ch_strs *s = &x->ch->strs;
    struct store_session ss;
    ss.id = ch_id(s, f[0]);
    ss.first_ms = ch_i64(f[1]);
    ss.last_ms = ch_i64(f[2]);
    ss.project = ch_id(s, f[3]);
    ss.calls = (uint64_t)ch_i64(f[4]);
    ss.failed = (uint64_t)ch_i64(f[5]);
    ss.sub = (uint64_t)ch_i64(f[6]);
    ss.asked = (uint64_t)ch_i64(f[7]);
    ss.nexec = (uint64_t)ch_i64(f[8]);
    ss.exec_ms = (double)ch_i64(f[9]) / 1000.0;
    ss.wait_ms = (double)ch_i64(f[10]) / 1000.0;
    ss.hook_ms = (double)ch_i64(f[11]) / 1000.0;
    ss.unsplit_ms = (double)ch_i64(f[12]) / 1000.0;
    if (!x->cb) {
        x->one = ss;
        x->got = 1;
        return 1;
    }
    x->stop = x->cb(x->ctx, &ss);
    return x->stop;
}

int chstore_sessions(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                     store_session_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql, SESSION_SQL " GROUP BY session HAVING last >= %lld AND first < %lld",
               ch->conf.db, CHK_SESSION, (long long)from_ms, (long long)to_ms);
    if (project) {
        buf_adds(sql, " AND pj = ");
        const char *p = ch_str(&ch->strs, project);
        ch_sql_str(sql, p ? p : "\x01");
    }
    buf_adds(sql, " ORDER BY last DESC, session DESC");
    struct ss_ctx x = {ch, cb, ctx, {0}, 0, 0};
    char err[TP_ERR_MAX];
    return ch_query(ch, sql->data, ss_row, &x, err) ? TP_EDB : 0;
}

int chstore_session_get(struct store *s, int64_t session, struct store_session *out)
{
    struct chstore *ch = s->ch;
    const char *text = ch_str(&ch->strs, session);
    if (!text)
        return TP_ENOTFOUND;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql, SESSION_SQL " AND session = ", ch->conf.db, CHK_SESSION);
    ch_sql_str(sql, text);
    buf_adds(sql, " GROUP BY session");
    struct ss_ctx x = {ch, NULL, NULL, {0}, 0, 0};
    char err[TP_ERR_MAX];
    if (ch_query(ch, sql->data, ss_row, &x, err) != 0)
        return TP_EDB;
    if (!x.got)
        return TP_ENOTFOUND;
    *out = x.one;
    return 0;
}

int chstore_session_span(struct store *s, int64_t session, int64_t *first_ms, int64_t *last_ms)
{
    struct store_session ss;
    int rc = chstore_session_get(s, session, &ss);
    if (rc)
        return rc == TP_EDB ? TP_EDB : TP_ENOTFOUND;
    *first_ms = ss.first_ms;
    *last_ms = ss.last_ms;
    return 0;
}

struct ids_ctx {
    struct chstore *ch;
    store_name_cb cb;
    void *ctx;
};

static int ids_row(void *ctx, char **f, size_t n)
{
    struct ids_ctx *x = ctx;
    if (n < 1)
        return 0;
    return x->cb(x->ctx, ch_id(&x->ch->strs, f[0]), f[0]);
}

int chstore_session_ids(struct store *s, const char *prefix, size_t max, store_name_cb cb,
                        void *ctx)
{
    struct chstore *ch = s->ch;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql, "SELECT session FROM %s.aggs WHERE kind = %d AND substring(session, 1, %zu) = ",
               ch->conf.db, CHK_SESSION, strlen(prefix));
    ch_sql_str(sql, prefix);
    buf_printf(sql, " GROUP BY session ORDER BY session LIMIT %zu", max);
    struct ids_ctx x = {ch, cb, ctx};
    char err[TP_ERR_MAX];
    return ch_query(ch, sql->data, ids_row, &x, err) ? TP_EDB : 0;
}

/* ---- turns and requests ------------------------------------------------------------------ */

struct turn_ctx {
    const char *sid;
    store_turn_cb cb;
    void *ctx;
};

static int turn_row(void *ctx, char **f, size_t n)
{
    struct turn_ctx *x = ctx;
    if (n < 4)
        return 0;
    struct turn t;
    turn_init(&t);
    t.session_id = (char *)x->sid;
    t.start_ms = ch_i64(f[0]);
    int64_t end = ch_i64(f[1]);
    t.end_ms = end > 0 ? end : 0;
    int64_t us = ch_i64(f[2]);
    t.active_ms = us >= 0 ? (double)us / 1000.0 : NAN;
    t.source = (enum op_source)ch_i64(f[3]);
    return x->cb(x->ctx, &t);
}

int chstore_turns(struct store *s, int64_t session, store_turn_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    const char *sid = ch_str(&ch->strs, session);
    if (!sid)
        return 0;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql,
               "SELECT start_ms, argMax(end_ms, ver), argMax(active_us, ver), argMax(src, ver) "
               "FROM %s.turns WHERE session = ",
               ch->conf.db);
    ch_sql_str(sql, sid);
    buf_adds(sql, " GROUP BY user, start_ms ORDER BY start_ms");
    struct turn_ctx x = {sid, cb, ctx};
    char err[TP_ERR_MAX];
    return ch_query(ch, sql->data, turn_row, &x, err) ? TP_EDB : 0;
}

struct req_ctx {
    struct chstore *ch;
    store_request_cb cb;
    void *ctx;
};

static int req_row(void *ctx, char **f, size_t n)
{
    struct req_ctx *x = ctx;
    if (n < 13)
        return 0;
    struct ch_strs *s = &x->ch->strs;
    struct request r;
    request_init(&r);
    r.id = f[0];
    r.session_id = f[1][0] ? (char *)ch_str(s, ch_id(s, f[1])) : NULL;
    r.project = f[2][0] ? f[2] : NULL;
    r.model = f[3][0] ? f[3] : NULL;
    r.start_ms = ch_i64(f[4]);
    int64_t us = ch_i64(f[5]);
    r.duration_ms = us >= 0 ? (double)us / 1000.0 : NAN;
    us = ch_i64(f[6]);
    r.ttft_ms = us >= 0 ? (double)us / 1000.0 : NAN;
    r.input_tokens = ch_i64(f[7]);
    r.output_tokens = ch_i64(f[8]);
    r.cache_read_tokens = ch_i64(f[9]);
    r.cache_write_tokens = ch_i64(f[10]);
    int64_t micro = ch_i64(f[11]);
    r.cost_usd = micro >= 0 ? (double)micro / 1e6 : NAN;
    int64_t flags = ch_i64(f[12]);
    r.exact = (unsigned char)(flags & 3);
    r.src = (unsigned char)((flags >> 2) & 15);
    r.sidechain = (int)((flags >> 6) & 1);
    r.source = (enum op_source)((flags >> 7) & 7);
    return x->cb(x->ctx, &r);
}

int chstore_requests(struct store *s, int64_t session, int64_t from_ms, int64_t to_ms,
                     store_request_cb cb, void *ctx)
{
    struct chstore *ch = s->ch;
    struct buf *sql = &ch->sql;
    buf_reset(sql);
    buf_printf(sql,
               "SELECT rid, se, pj, mo, t, du, tt, a, b, c, d, co, fl FROM (SELECT rid, "
               "argMax(session, ver) AS se, argMax(project, ver) AS pj, argMax(model, ver) AS mo, "
               "argMax(ts, ver) AS t, argMax(dur_us, ver) AS du, argMax(ttft_us, ver) AS tt, "
               "argMax(tin, ver) AS a, argMax(tout, ver) AS b, argMax(tcr, ver) AS c, "
               "argMax(tcw, ver) AS d, argMax(cost_micro, ver) AS co, argMax(flags, ver) AS fl "
               "FROM %s.requests",
               ch->conf.db);
    if (session) {
        const char *sid = ch_str(&ch->strs, session);
        if (!sid)
            return 0;
        buf_printf(sql, " WHERE rid IN (SELECT rid FROM %s.requests WHERE session = ", ch->conf.db);
        ch_sql_str(sql, sid);
        buf_adds(sql, ") GROUP BY user, rid) WHERE se = ");
        ch_sql_str(sql, sid);
    } else {
        buf_printf(sql, " GROUP BY user, rid) WHERE t >= %lld AND t < %lld", (long long)from_ms,
                   (long long)to_ms);
    }
    buf_adds(sql, " ORDER BY t, rid");
    struct req_ctx x = {ch, cb, ctx};
    char err[TP_ERR_MAX];
    return ch_query(ch, sql->data, req_row, &x, err) ? TP_EDB : 0;
}
