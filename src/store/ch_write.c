/*
 * ch_write.c - one batch of the ClickHouse store: from queued calls to the
 * rows ClickHouse will hold (see ch_spool.c for how batches are taken,
 * journaled and written).
 *
 * A batch first reads the stored version of every call it carries (by
 * person and tool_use_id, in the hours around the call's start, as the
 * SQLite store finds a call again), and of its turns and model requests.
 * Then it goes through its calls in order, exactly as the SQLite store
 * does: a new call is added; a known one is merged with the SQLite store's
 * own rules (store_merge_row), and when that changes it, its stored
 * version is cancelled (an exact copy with sign -1) and the new one added
 * with a larger version. Each change adds to, or takes back from, the
 * aggregate deltas: per hour and day the counters of struct agg and the
 * sketch's bins, per day and target the hotspot sums, per session its span
 * and sums, per (session, file) the full reads. Those are the rows of
 * aggs_in (the aggregates' Null table), beside the ops rows, per month.
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

/* ---- blocks -------------------------------------------------------------------------- */

static struct ch_block *block_for(struct ch_batch *b, const char *table, uint32_t month, int check)
{
    for (size_t i = 0; i < b->nblocks; i++)
        if (b->blocks[i].month == month && strcmp(b->blocks[i].table, table) == 0)
            return &b->blocks[i];
    if (b->nblocks == b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 8;
        b->blocks = xreallocarray(b->blocks, b->alloc, sizeof *b->blocks);
    }
    struct ch_block *k = &b->blocks[b->nblocks++];
    memset(k, 0, sizeof *k);
    snprintf(k->table, sizeof k->table, "%s", table);
    k->month = month;
    k->check = check;
    buf_init(&k->rows, (size_t)1 << 30);
    return k;
}

struct buf *ch_batch_rows(struct ch_batch *b, const char *table, uint32_t month)
{
    return &block_for(b, table, month, 0)->rows;
}

void ch_batch_free(struct ch_batch *b)
{
    for (size_t i = 0; i < b->nblocks; i++)
        buf_free(&b->blocks[i].rows);
    free(b->blocks);
    kmap_free(&b->names);
    memset(b, 0, sizeof *b);
}

struct count_ctx {
    int64_t n;
};

static int count_row(void *ctx, char **f, size_t n)
{
    if (n >= 1)
        ((struct count_ctx *)ctx)->n = ch_i64(f[0]);
    return 0;
}

int ch_block_write(struct chstore *ch, uint64_t batch, const struct ch_block *blk, char *errbuf)
{
    if (blk->check) {
        /* Is it in already? A block is one insert into one partition, which
         * ClickHouse writes whole or not at all. */
        char sql[512];
        if (strcmp(blk->table, "ops") == 0)
            snprintf(sql, sizeof sql, "SELECT count() FROM %s.ops WHERE month = %u AND bver = %llu",
                     ch->conf.db, blk->month, (unsigned long long)batch);
        else
            snprintf(sql, sizeof sql,
                     "SELECT count() FROM %s.aggs WHERE kind = %d AND b = 0 AND month = %u AND "
                     "target = '%llu'",
                     ch->conf.db, CHK_BATCH, blk->month, (unsigned long long)batch);
        struct count_ctx c = {0};
        int rc = ch_query(ch, sql, count_row, &c, errbuf);
        if (rc)
            return rc;
        if (c.n > 0)
            return 0;
    }
    return ch_insert(ch->http, &ch->conf, blk->table, blk->rows.data ? blk->rows.data : "",
                     blk->rows.len, errbuf);
}

/* ---- aggregate deltas --------------------------------------------------------------- */

struct dkey {
    uint32_t month;
    int32_t kind;
    int64_t b;
    int64_t tool, project, user, host, target, session;
    int64_t bin;
};

enum {
    D_N,
    D_NT,
    D_SUM_US,
    D_SLOW,
    D_CRIT,
    D_FAILED,
    D_OPT,
    D_ATTN,
    D_ATTN_BYTES,
    D_SLOW_SUM_US,
    D_NWAIT,
    D_WAIT_US,
    D_ASKED,
    D_NHOOK,
    D_HOOK_US,
    D_NUNSPLIT,
    D_UNSPLIT_US,
    D_SUB,
    D_RT,
    D_BYTES,
    D_COUNT
};

struct dval {
    int64_t v[D_COUNT];
    int64_t mx, mn; /* INT64_MIN / INT64_MAX: none */
    int64_t pa_k;   /* INT64_MAX: none */
    int64_t pa_v;   /* string id */
};

struct deltas {
    struct kmap map;
    struct dval *v;
    size_t alloc;
};

static struct dval *dslot(struct deltas *d, uint32_t month, int kind, int64_t b, int64_t tool,
                          int64_t project, int64_t user, int64_t host, int64_t target,
                          int64_t session, int64_t bin)
{
    struct dkey k;
    memset(&k, 0, sizeof k);
    k.month = month;
    k.kind = kind;
    k.b = b;
    k.tool = tool;
    k.project = project;
    k.user = user;
    k.host = host;
    k.target = target;
    k.session = session;
    k.bin = bin;
    int added;
    size_t i = kmap_put(&d->map, &k, sizeof k, &added);
    if (i >= d->alloc) {
        d->alloc = d->alloc ? 2 * d->alloc : 1024;
        d->v = xreallocarray(d->v, d->alloc, sizeof *d->v);
    }
    if (added) {
        memset(&d->v[i], 0, sizeof d->v[i]);
        d->v[i].mx = INT64_MIN;
        d->v[i].mn = INT64_MAX;
        d->v[i].pa_k = INT64_MAX;
    }
    return &d->v[i];
}

static void dmax(struct dval *v, int64_t x)
{
    if (x > v->mx)
        v->mx = x;
}

static void dmin(struct dval *v, int64_t x)
{
    if (x < v->mn)
        v->mn = x;
}

static int64_t bin_of(int64_t dur_us)
{
    double ms = (double)dur_us / 1000.0;
    return ms < SKETCH_MIN_MS ? CH_BIN_ZERO : sketch_index(ms);
}

/* A version of a call and who made it. */
struct cver {
    struct row r; /* err and meta owned */
    char *uid;
    int64_t person, host;
    uint64_t ver, stored_ver;
    int stored;      /* read from ClickHouse */
    int retracted;   /* its cancel row goes into this batch */
    int dirty;       /* this batch writes a new version */
    struct row orig; /* as stored (err, meta owned) */
};

static int64_t us_of(double ms)
{
    return row_dur_us(ms);
}

/* What one version of a call adds to (sign +1) or takes from (-1) the
 * aggregates: the same sums as the SQLite store's rollup_contribute(),
 * keyed also by person and host. */
static void contribute(struct deltas *d, const struct row *r, int64_t person, int64_t host,
                       int sign)
{
    uint32_t month = ch_month(r->ts_ms);
    int64_t hour = tpt_floor_div(r->ts_ms, TPT_HOUR_MS), day = tpt_floor_div(r->ts_ms, TPT_DAY_MS);
    int64_t dur = r->dur_us, wait = us_of(r->ph.ms[OP_PH_WAIT]), hook = us_of(r->ph.ms[OP_PH_HOOK]);
    int64_t wall = us_of(r->ph.ms[OP_PH_WALL]);
    int64_t unsplit = dur < 0 && wait < 0 ? wall : -1;
    int asked = r->ph.ask == OP_ASK_ASKED;
    const int kinds[2][2] = {{CHK_HOUR, CHK_HBIN}, {CHK_DAY, CHK_DBIN}};
    const int64_t bs[2] = {hour, day};
    for (int l = 0; l < 2; l++) {
        struct dval *v =
            dslot(d, month, kinds[l][0], bs[l], r->tool, r->project, person, host, 0, 0, 0);
        v->v[D_N] += sign;
        v->v[D_FAILED] += sign * !r->success;
        v->v[D_OPT] += sign * (r->opt != 0);
        if (r->attn) {
            v->v[D_ATTN] += sign;
            v->v[D_ATTN_BYTES] += sign * (r->size > 0 ? r->size : 0);
        }
        v->v[D_ASKED] += sign * asked;
        if (wait >= 0) {
            v->v[D_NWAIT] += sign;
            v->v[D_WAIT_US] += sign * wait;
        }
        if (hook >= 0) {
            v->v[D_NHOOK] += sign;
            v->v[D_HOOK_US] += sign * hook;
        }
        if (unsplit >= 0) {
            v->v[D_NUNSPLIT] += sign;
            v->v[D_UNSPLIT_US] += sign * unsplit;
        }
        if (dur < 0)
            continue;
        double ms = (double)dur / 1000.0;
        v->v[D_NT] += sign;
        v->v[D_SUM_US] += sign * dur;
        v->v[D_SLOW] += sign * (ms >= TP_SLOW_MS);
        v->v[D_CRIT] += sign * (ms >= TP_CRITICAL_MS);
        if (ms >= TP_SLOW_MS)
            v->v[D_SLOW_SUM_US] += sign * dur;
        if (sign > 0) {
            dmax(v, dur);
            dmin(v, dur);
        }
        dslot(d, month, kinds[l][1], bs[l], r->tool, r->project, person, host, 0, 0, bin_of(dur))
            ->v[D_N] += sign;
    }

    struct dval *t =
        dslot(d, month, CHK_TARGET, day, r->tool, r->project, person, host, r->target, 0, 0);
    t->v[D_N] += sign;
    t->v[D_FAILED] += sign * !r->success;
    t->v[D_ASKED] += sign * asked;
    t->v[D_WAIT_US] += sign * (wait > 0 ? wait : 0);
    if (unsplit >= 0) {
        t->v[D_NUNSPLIT] += sign;
        t->v[D_UNSPLIT_US] += sign * unsplit;
    }
    if (dur >= 0) {
        t->v[D_NT] += sign;
        t->v[D_SUM_US] += sign * dur;
        if (sign > 0)
            dmax(t, dur);
        else
            t->v[D_RT]++; /* its max may be too high now: recomputed when read */
    }

    /* Full reads of one file in one session (rollup.c's rereads). */
    if (r->is_read && r->session && r->target && !r->opt) {
        struct dval *x = dslot(d, month, CHK_REREAD, 0, 0, 0, person, 0, r->target, r->session, 0);
        x->v[D_N] += sign;
        x->v[D_BYTES] += sign * (r->size > 0 ? r->size : 0);
        x->v[D_SUM_US] += sign * (dur > 0 ? dur : 0);
        dmax(x, r->ts_ms);
        if (r->ts_ms < x->pa_k) {
            x->pa_k = r->ts_ms;
            x->pa_v = r->project;
        }
    }

    if (r->session) {
        struct dval *x = dslot(d, month, CHK_SESSION, 0, 0, 0, person, host, 0, r->session, 0);
        if (sign > 0) {
            /* As rollup.c: a call ends after its wall time, or after its
             * known parts when they say more (a prompt answered no has a
             * wait and no wall). */
            int64_t parts = (wait > 0 ? wait : 0) + (hook > 0 ? hook : 0) + (dur > 0 ? dur : 0);
            int64_t span = wall > parts ? wall : parts;
            dmin(x, r->ts_ms);
            dmax(x, r->ts_ms + (span > 0 ? span / 1000 : 0));
            if (r->ts_ms < x->pa_k) {
                x->pa_k = r->ts_ms;
                x->pa_v = r->project;
            }
        }
        x->v[D_N] += sign;
        x->v[D_FAILED] += sign * !r->success;
        x->v[D_SUB] += sign * (r->sub != 0);
        x->v[D_ASKED] += sign * asked;
        /* A sub-agent's calls run inside the call that started it. */
        if (!r->sub) {
            if (dur >= 0) {
                x->v[D_NT] += sign;
                x->v[D_SUM_US] += sign * dur;
            }
            x->v[D_WAIT_US] += sign * (wait > 0 ? wait : 0);
            x->v[D_HOOK_US] += sign * (hook > 0 ? hook : 0);
            x->v[D_UNSPLIT_US] += sign * (unsplit > 0 ? unsplit : 0);
        }
    }
}

static void tsv_i64(struct buf *b, int64_t v)
{
    buf_printf(b, "%lld\t", (long long)v);
}

static void tsv_text(struct buf *b, const char *s)
{
    ch_tsv_str(b, s);
    buf_addc(b, '\t');
}

/* The deltas as rows of aggs_in, with a marker row of the batch in every
 * month they touch. */
static void emit_deltas(struct chstore *ch, struct deltas *d, struct ch_batch *out)
{
    for (size_t i = 0; i < d->map.n; i++) {
        const struct dkey *k = kmap_key(&d->map, i, NULL);
        const struct dval *v = &d->v[i];
        int any = v->mx != INT64_MIN || v->mn != INT64_MAX || v->pa_k != INT64_MAX;
        for (int j = 0; j < D_COUNT && !any; j++)
            any = v->v[j] != 0;
        if (!any)
            continue; /* added and taken back within the batch */
        struct ch_block *blk = block_for(out, "aggs_in", k->month, 1);
        struct buf *b = &blk->rows;
        buf_printf(b, "%u\t%d\t%lld\t", k->month, k->kind, (long long)k->b);
        tsv_text(b, ch_str(&ch->strs, k->tool));
        tsv_text(b, ch_str(&ch->strs, k->project));
        tsv_text(b, ch_str(&ch->strs, k->user));
        tsv_text(b, ch_str(&ch->strs, k->host));
        tsv_text(b, ch_str(&ch->strs, k->target));
        tsv_text(b, ch_str(&ch->strs, k->session));
        tsv_i64(b, k->bin);
        for (int j = 0; j < D_COUNT; j++)
            tsv_i64(b, v->v[j]);
        tsv_i64(b, v->mx);
        tsv_i64(b, v->mn);
        tsv_text(b, ch_str(&ch->strs, v->pa_v));
        buf_printf(b, "%lld\n", (long long)v->pa_k);
    }
    for (size_t i = 0; i < out->nblocks; i++) {
        struct ch_block *blk = &out->blocks[i];
        if (strcmp(blk->table, "aggs_in") != 0)
            continue;
        buf_printf(&blk->rows, "%u\t%d\t0\t\t\t\t\t%llu\t\t0\t1", blk->month, CHK_BATCH,
                   (unsigned long long)out->id);
        for (int j = 1; j < D_COUNT; j++)
            buf_adds(&blk->rows, "\t0");
        buf_printf(&blk->rows, "\t%lld\t%lld\t\t%lld\n", (long long)INT64_MIN, (long long)INT64_MAX,
                   (long long)INT64_MAX);
    }
}

/* ---- reading stored versions ------------------------------------------------------- */

#define OPS_LIVE_COLS                                                                              \
    "user, uid, hour, argMax(ts, ver), argMax(tool, ver), argMax(target, ver), "                   \
    "argMax(session, ver), argMax(project, ver), argMax(sub, ver), argMax(dur, ver), "             \
    "argMax(wall, ver), argMax(wait, ver), argMax(hook, ver), argMax(ph, ver), "                   \
    "argMax(flags, ver), argMax(size, ver), argMax(rbytes, ver), argMax(err, ver), "               \
    "argMax(meta, ver), argMax(host, ver), max(ver)"

struct build {
    struct chstore *ch;
    struct store st;   /* for store_merge_row: a store whose strings are ch's */
    struct kmap calls; /* person id + uid -> index in v */
    struct cver *v;
    size_t alloc;
    int bad;
};

static size_t call_key(int64_t person, const char *uid, char *key)
{
    size_t n = strlen(uid);
    memcpy(key, &person, 8);
    memcpy(key + 8, uid, n);
    return 8 + n;
}

/* A call is (person, uid) in an hour: the same call reported again starts
 * within an hour of its first report, as the SQLite store finds it. */
static size_t call_hour_key(int64_t person, const char *uid, int64_t hour, char *key)
{
    size_t n = call_key(person, uid, key);
    memcpy(key + n, &hour, 8);
    return n + 8;
}

static long call_find(struct build *b, int64_t person, const char *uid, int64_t hour)
{
    char key[16 + TP_MAX_ID + 64];
    return kmap_find(&b->calls, key, call_hour_key(person, uid, hour, key));
}

static struct cver *call_slot(struct build *b, int64_t person, const char *uid, int64_t hour,
                              int *added)
{
    char key[16 + TP_MAX_ID + 64];
    size_t i = kmap_put(&b->calls, key, call_hour_key(person, uid, hour, key), added);
    if (i >= b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 1024;
        b->v = xreallocarray(b->v, b->alloc, sizeof *b->v);
    }
    if (*added)
        memset(&b->v[i], 0, sizeof b->v[i]);
    return &b->v[i];
}

static int64_t id_or_zero(struct ch_strs *s, const char *text)
{
    return text && *text ? ch_id(s, text) : 0;
}

/* A row as stored, from the answer's fields (OPS_LIVE_COLS order). */
static void row_from_fields(struct build *b, char **fields, struct row *r)
{
    char **f = fields + 1; /* the columns after the hour, numbered as before it */
    struct ch_strs *s = &b->ch->strs;
    memset(r, 0, sizeof *r);
    r->ts_ms = ch_i64(f[2]);
    r->tool = ch_id(s, f[3]);
    r->target = id_or_zero(s, f[4]);
    r->session = id_or_zero(s, f[5]);
    r->project = ch_id(s, f[6]);
    r->sub = id_or_zero(s, f[7]);
    r->dur_us = ch_i64(f[8]);
    unsigned flags = (unsigned)ch_i64(f[13]);
    r->success = (flags & F_SUCCESS) != 0;
    r->opt = (flags & F_OPT) != 0;
    r->src = (int)((flags >> F_SRC_SHIFT) & 7);
    r->is_int = (flags & F_INT) != 0;
    r->attn = (int)((flags >> F_ATTN_SHIFT) & 3);
    r->sources = (flags >> F_SOURCES_SHIFT) & F_SOURCES_MASK;
    row_ph_unpack(ch_i64(f[12]), 0, r->src, &r->ph);
    const int cols[3] = {9, 10, 11};
    for (int i = 0; i < 3; i++) {
        int64_t us = ch_i64(f[cols[i]]);
        r->ph.ms[i] = us >= 0 ? (double)us / 1000.0 : NAN;
    }
    r->ph.ms[OP_PH_EXEC] = r->dur_us >= 0 ? (double)r->dur_us / 1000.0 : NAN;
    r->size = ch_i64(f[14]);
    r->rbytes = ch_i64(f[15]);
    r->err = f[16][0] ? xstrdup(f[16]) : NULL;
    r->meta = f[17][0] ? xstrdup(f[17]) : NULL;
    r->owned = 1;
    r->is_read = row_is_read_tool(&b->st, r->tool);
}

static void row_copy(struct row *dst, const struct row *src)
{
    *dst = *src;
    dst->err = src->err ? xstrdup(src->err) : NULL;
    dst->meta = src->meta ? xstrdup(src->meta) : NULL;
    dst->owned = 1;
}

static int stored_call(void *ctx, char **f, size_t n)
{
    struct build *b = ctx;
    if (n < 21) {
        b->bad = 1;
        return 1;
    }
    int64_t person = ch_id(&b->ch->strs, f[0]);
    int added;
    struct cver *c = call_slot(b, person, f[1], ch_i64(f[2]), &added);
    if (!added)
        return 0;
    c->uid = xstrdup(f[1]);
    c->person = person;
    c->host = ch_id(&b->ch->strs, f[19]);
    c->stored_ver = c->ver = (uint64_t)strtoull(f[20], NULL, 10);
    c->stored = 1;
    row_from_fields(b, f, &c->orig);
    row_copy(&c->r, &c->orig);
    return 0;
}

/* An incoming op as a row (the SQLite store's row_from_op, with ids that
 * are ch's). */
static int row_from_incoming(struct build *b, const struct op *op, unsigned sources, struct row *r,
                             char *errbuf)
{
    struct ch_strs *s = &b->ch->strs;
    memset(r, 0, sizeof *r);
    r->ts_ms = op->ts_ms;
    r->dur_us = row_dur_us(op->duration_ms);
    op_phases_get(op, &r->ph);
    char key[TP_MAX_TOOL + 40];
    if (!op_tool_key(op->tool, op->agent, key, sizeof key))
        return tp_fail(errbuf, TP_EINVAL, "tool and agent names too long");
    r->tool = ch_id(s, key);
    r->target = op->target ? ch_id(s, op->target) : 0;
    r->session = op->session_id ? ch_id(s, op->session_id) : 0;
    r->sub = op->subagent ? ch_id(s, op->subagent) : 0;
    r->project = ch_id(s, op->project ? op->project : "");
    r->success = op->success;
    r->opt = op->optimized;
    r->src = op->source;
    r->is_int = op->duration_is_int;
    r->attn = op_attention(op);
    r->is_read = strcmp(op->tool, "Read") == 0;
    r->sources = sources ? sources & F_SOURCES_MASK : 1u << op->source;
    r->size = op->size_bytes;
    r->rbytes = op->result_bytes;
    r->err = op->error;
    r->meta = op->meta;
    r->owned = 0;
    return 0;
}

/* ---- SQL helpers ------------------------------------------------------------------------ */

/* Append "(a, b, c)" of the distinct strings of a kmap. */
static void sql_in_strs(struct buf *sql, const struct kmap *m)
{
    buf_addc(sql, '(');
    for (size_t i = 0; i < m->n; i++) {
        size_t len;
        const char *k = kmap_key(m, i, &len);
        char *s = xstrndup(k, len);
        if (i)
            buf_addc(sql, ',');
        ch_sql_str(sql, s);
        free(s);
    }
    if (m->n == 0)
        buf_adds(sql, "''");
    buf_addc(sql, ')');
}

static void kput_str(struct kmap *m, const char *s)
{
    int added;
    kmap_put(m, s, strlen(s), &added);
}

/* ---- the rows -------------------------------------------------------------------------- */

static void emit_op(struct build *b, struct ch_batch *out, const struct cver *c,
                    const struct row *r, int sign, uint64_t ver)
{
    struct ch_strs *s = &b->ch->strs;
    uint32_t month = ch_month(r->ts_ms);
    struct buf *o = &block_for(out, "ops", month, 1)->rows;
    buf_printf(o, "%u\t%lld\t%lld\t", month, (long long)tpt_floor_div(r->ts_ms, TPT_HOUR_MS),
               (long long)r->ts_ms);
    tsv_text(o, ch_str(s, c->person));
    tsv_text(o, ch_str(s, c->host));
    tsv_text(o, c->uid);
    /* The SQLite store's slot of the call in its hour: rows of one hour are
     * read back in that order, as there. */
    buf_printf(o, "%u\t%llu\t%llu\t%d\t", (unsigned)(hash_str(c->uid) & 0xffffffffu),
               (unsigned long long)ver, (unsigned long long)out->id, sign);
    tsv_text(o, ch_str(s, r->tool));
    tsv_text(o, ch_str(s, r->target));
    tsv_text(o, ch_str(s, r->session));
    tsv_text(o, ch_str(s, r->project));
    tsv_text(o, ch_str(s, r->sub));
    tsv_i64(o, r->dur_us);
    tsv_i64(o, us_of(r->ph.ms[OP_PH_WALL]));
    tsv_i64(o, us_of(r->ph.ms[OP_PH_WAIT]));
    tsv_i64(o, us_of(r->ph.ms[OP_PH_HOOK]));
    tsv_i64(o, row_ph_pack(&r->ph));
    tsv_i64(o, (int64_t)row_flags_pack(r->success, r->opt, r->src, r->is_int, r->attn, r->sources));
    tsv_i64(o, r->size);
    tsv_i64(o, r->rbytes);
    tsv_i64(o, r->dur_us >= 0 ? bin_of(r->dur_us) : CH_BIN_NONE);
    tsv_text(o, r->err);
    ch_tsv_str(o, r->meta);
    buf_addc(o, '\n');
}

static void name_row(struct build *b, struct ch_batch *out, const struct kmap *known,
                     const char *kind, const char *name)
{
    char key[TP_MAX_PROJECT * 2 + 64];
    int n = snprintf(key, sizeof key, "%s\x1f%s", kind, name);
    if (n < 0 || (size_t)n >= sizeof key || kmap_find(known, key, (size_t)n) >= 0)
        return;
    int added;
    kmap_put(&out->names, key, (size_t)n, &added);
    if (!added)
        return;
    struct buf *o = &block_for(out, "aggs_in", CH_NAMES_MONTH, 1)->rows;
    buf_printf(o, "%u\t%d\t0\t", CH_NAMES_MONTH, CHK_NAME);
    tsv_text(o, kind);
    buf_adds(o, "\t\t\t");
    tsv_text(o, name);
    buf_adds(o, "\t0\t1");
    for (int j = 1; j < D_COUNT; j++)
        buf_adds(o, "\t0");
    buf_printf(o, "\t%lld\t%lld\t\t%lld\n", (long long)INT64_MIN, (long long)INT64_MAX,
               (long long)INT64_MAX);
    (void)b;
}

int ch_batch_build(struct chstore *ch, struct ch_item *items, size_t nitems, uint64_t id,
                   const struct kmap *known, struct ch_batch *out, char *errbuf)
{
    int rc = 0;
    /* A batch's strings all fit one generation: start empty, so that none
     * can age out half-way. */
    ch_strs_free(&ch->strs);
    struct build b;
    memset(&b, 0, sizeof b);
    b.ch = ch;
    b.st.ch = ch;
    out->id = id;
    struct deltas d;
    memset(&d, 0, sizeof d);
    struct ch_tl t;
    memset(&t, 0, sizeof t);
    t.ch = ch;
    char **uids = NULL;
    size_t nuids = 0;
    struct kmap persons, uidset, hours, sessions, rids;
    kmap_init(&persons);
    kmap_init(&uidset);
    kmap_init(&hours);
    kmap_init(&sessions);
    kmap_init(&rids);
    struct buf *sql = &ch->sql;

    /* What to look up. */
    size_t total = 0;
    for (size_t i = 0; i < nitems; i++)
        total += items[i].nops;
    uids = xcalloc(total ? total : 1, sizeof *uids);
    for (size_t i = 0; i < nitems; i++) {
        struct ch_item *it = &items[i];
        kput_str(&persons, it->person);
        for (size_t j = 0; j < it->nops; j++) {
            const struct op *op = &it->ops[j];
            char *uid = op->tool_use_id ? xstrdup(op->tool_use_id) : op_derive_id(op, "");
            uids[nuids++] = uid;
            kput_str(&uidset, uid);
            int64_t h = tpt_floor_div(op->ts_ms, TPT_HOUR_MS);
            for (int64_t k = h - 1; k <= h + 1; k++) {
                int added;
                kmap_put(&hours, &k, sizeof k, &added);
            }
        }
        for (size_t j = 0; j < it->nturns; j++)
            kput_str(&sessions, it->turns[j].session_id);
        for (size_t j = 0; j < it->nreqs; j++)
            kput_str(&rids, it->reqs[j].id);
    }

    if (nuids) {
        buf_reset(sql);
        buf_printf(sql, "SELECT " OPS_LIVE_COLS " FROM %s.ops WHERE hour IN (", ch->conf.db);
        for (size_t i = 0; i < hours.n; i++) {
            const int64_t *h = kmap_key(&hours, i, NULL);
            buf_printf(sql, "%s%lld", i ? "," : "", (long long)*h);
        }
        buf_adds(sql, ") AND user IN ");
        sql_in_strs(sql, &persons);
        buf_adds(sql, " AND uid IN ");
        sql_in_strs(sql, &uidset);
        buf_adds(sql, " GROUP BY user, uid, hour HAVING sum(sign) > 0");
        if (sql->toobig)
            rc = tp_fail(errbuf, TP_ETOOBIG, "a batch's lookup is too large");
        else
            rc = ch_query(ch, sql->data, stored_call, &b, errbuf);
        if (rc == 0 && b.bad)
            rc = tp_fail(errbuf, TP_EDB, "ClickHouse: unexpected answer to a lookup");
        if (rc)
            goto out;
    }
    if (sessions.n) {
        buf_reset(sql);
        buf_printf(sql,
                   "SELECT user, session, start_ms, argMax(end_ms, ver), argMax(active_us, ver), "
                   "argMax(src, ver), max(ver) FROM %s.turns WHERE user IN ",
                   ch->conf.db);
        sql_in_strs(sql, &persons);
        buf_adds(sql, " AND session IN ");
        sql_in_strs(sql, &sessions);
        buf_adds(sql, " GROUP BY user, session, start_ms");
        if ((rc = ch_query(ch, sql->data, ch_tl_stored_turn, &t, errbuf)) != 0)
            goto out;
    }
    if (rids.n) {
        buf_reset(sql);
        buf_printf(sql,
                   "SELECT user, rid, argMax(session, ver), argMax(project, ver), "
                   "argMax(model, ver), argMax(ts, ver), argMax(dur_us, ver), "
                   "argMax(ttft_us, ver), argMax(tin, ver), argMax(tout, ver), argMax(tcr, ver), "
                   "argMax(tcw, ver), argMax(cost_micro, ver), argMax(flags, ver), max(ver), 0 "
                   "FROM %s.requests WHERE user IN ",
                   ch->conf.db);
        sql_in_strs(sql, &persons);
        buf_adds(sql, " AND rid IN ");
        sql_in_strs(sql, &rids);
        buf_adds(sql, " GROUP BY user, rid");
        if ((rc = ch_query(ch, sql->data, ch_tl_stored_req, &t, errbuf)) != 0)
            goto out;
    }

    /* Every call, in order. */
    size_t u = 0;
    for (size_t i = 0; i < nitems; i++) {
        struct ch_item *it = &items[i];
        int64_t person = ch_id(&ch->strs, it->person), host = ch_id(&ch->strs, it->host);
        memset(&it->res, 0, sizeof it->res);
        name_row(&b, out, known, "user", it->person);
        name_row(&b, out, known, "host", it->host);
        char pair[600];
        snprintf(pair, sizeof pair, "%s\x1f%s", it->person, it->host);
        name_row(&b, out, known, "userhost", pair);
        for (size_t j = 0; j < it->nops; j++, u++) {
            const struct op *op = &it->ops[j];
            struct row n;
            if ((rc = row_from_incoming(&b, op, it->sources ? it->sources[j] : 0, &n, errbuf)) != 0)
                goto out;
            name_row(&b, out, known, "tool", ch_str(&ch->strs, n.tool));
            name_row(&b, out, known, "project", ch_str(&ch->strs, n.project));
            int64_t h = tpt_floor_div(op->ts_ms, TPT_HOUR_MS);
            long at = call_find(&b, person, uids[u], h);
            if (at < 0)
                at = call_find(&b, person, uids[u], h - 1);
            if (at < 0)
                at = call_find(&b, person, uids[u], h + 1);
            int added = 0;
            struct cver *c = at >= 0 ? &b.v[at] : call_slot(&b, person, uids[u], h, &added);
            if (added) {
                c->uid = xstrdup(uids[u]);
                c->person = person;
                c->host = host;
                row_copy(&c->r, &n);
                c->ver = id;
                c->dirty = 1;
                contribute(&d, &c->r, c->person, c->host, +1);
                it->res.inserted++;
                continue;
            }
            struct row e;
            row_copy(&e, &c->r);
            if (!store_merge_row(&b.st, &e, &n)) {
                row_free(&e);
                it->res.unchanged++;
                continue;
            }
            contribute(&d, &c->r, c->person, c->host, -1);
            contribute(&d, &e, c->person, c->host, +1);
            if (c->stored)
                c->retracted = 1;
            row_free(&c->r);
            c->r = e;
            if (!c->dirty)
                c->ver = ch_next_ver(id, c->stored_ver);
            c->dirty = 1;
            it->res.merged++;
        }
        for (size_t j = 0; j < it->nturns; j++)
            ch_tl_merge_turn(&t, person, &it->turns[j], id);
        for (size_t j = 0; j < it->nreqs; j++)
            ch_tl_merge_req(&t, person, &it->reqs[j], id);
    }

    /* The rows. */
    for (size_t i = 0; i < b.calls.n; i++) {
        struct cver *c = &b.v[i];
        if (c->retracted)
            emit_op(&b, out, c, &c->orig, -1, c->stored_ver);
        if (c->dirty)
            emit_op(&b, out, c, &c->r, +1, c->ver);
    }
    emit_deltas(ch, &d, out);
    ch_tl_rows(ch, &t, out);
    for (size_t i = 0; i < nitems; i++) {
        if (!items[i].has_mark)
            continue;
        const struct store_mark *m = &items[i].mark;
        struct buf *o = &block_for(out, "imports", 0, 0)->rows;
        tsv_text(o, items[i].host);
        tsv_text(o, m->path);
        buf_printf(o, "%lld\t%lld\t%lld\t%llu\t%lld\t%lld\t%llu\t%llu\n", (long long)m->offset,
                   (long long)m->size, (long long)m->mtime_ns, (unsigned long long)m->inode,
                   (long long)m->resume, (long long)m->fp_len, (unsigned long long)m->fp_hash,
                   (unsigned long long)id);
    }
    for (size_t i = 0; i < out->nblocks; i++)
        if (out->blocks[i].rows.toobig) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "a batch's rows are over 1 GB");
            break;
        }

out:
    for (size_t i = 0; i < nuids; i++)
        free(uids[i]);
    free(uids);
    for (size_t i = 0; i < b.calls.n; i++) {
        free(b.v[i].uid);
        row_free(&b.v[i].r);
        row_free(&b.v[i].orig);
    }
    free(b.v);
    kmap_free(&b.calls);
    kmap_free(&d.map);
    free(d.v);
    ch_tl_free(&t);
    kmap_free(&persons);
    kmap_free(&uidset);
    kmap_free(&hours);
    kmap_free(&sessions);
    kmap_free(&rids);
    if (rc)
        ch_batch_free(out);
    return rc;
}
