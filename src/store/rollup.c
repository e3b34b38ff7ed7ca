/*
 * rollup.c - how the store keeps its aggregates (see rollup.h; the
 * aggregate itself is agg.c).
 *
 * A delta set maps each touched aggregate row to what the batch adds to
 * it: signed counters, a sketch of added durations and a list of removed
 * ones. Keys are small arrays of int64 (the row's primary key), so the map
 * is a kmap over their bytes. Flushing reads each touched rollup row,
 * merges, and writes it back (the sketch must be merged in C); the target,
 * reread and session tables are plain counters and use SQLite upserts.
 */
#include "rollup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

int agg_from_stmt(sqlite3_stmt *q, int col, struct agg *a)
{
    const void *blob = sqlite3_column_blob(q, col + 12);
    int len = sqlite3_column_bytes(q, col + 12);
    if (sketch_decode_add(&a->sk, blob, (size_t)len) != 0)
        return TP_EPARSE;
    uint64_t n_timed = (uint64_t)sqlite3_column_int64(q, col + 1);
    if (n_timed) {
        double min = (double)sqlite3_column_int64(q, col + 3) / 1000.0;
        double max = (double)sqlite3_column_int64(q, col + 4) / 1000.0;
        if (!a->n_timed || min < a->min_ms)
            a->min_ms = min;
        if (!a->n_timed || max > a->max_ms)
            a->max_ms = max;
    }
    a->n += (uint64_t)sqlite3_column_int64(q, col + 0);
    a->n_timed += n_timed;
    a->sum_ms += (double)sqlite3_column_int64(q, col + 2) / 1000.0;
    a->slow += (uint64_t)sqlite3_column_int64(q, col + 5);
    a->critical += (uint64_t)sqlite3_column_int64(q, col + 6);
    a->failed += (uint64_t)sqlite3_column_int64(q, col + 7);
    a->optimized += (uint64_t)sqlite3_column_int64(q, col + 8);
    a->attention += (uint64_t)sqlite3_column_int64(q, col + 9);
    a->attention_bytes += (uint64_t)sqlite3_column_int64(q, col + 10);
    a->slow_sum_ms += (double)sqlite3_column_int64(q, col + 11) / 1000.0;
    a->n_wait += (uint64_t)sqlite3_column_int64(q, col + 13);
    a->wait_ms += (double)sqlite3_column_int64(q, col + 14) / 1000.0;
    a->asked += (uint64_t)sqlite3_column_int64(q, col + 15);
    a->n_hook += (uint64_t)sqlite3_column_int64(q, col + 16);
    a->hook_ms += (double)sqlite3_column_int64(q, col + 17) / 1000.0;
    a->n_unsplit += (uint64_t)sqlite3_column_int64(q, col + 18);
    a->unsplit_ms += (double)sqlite3_column_int64(q, col + 19) / 1000.0;
    return 0;
}

/* ---- deltas ------------------------------------------------------------------ */

struct ru_delta {
    int64_t n, nt, slow, crit, failed, opt, attn, attn_bytes, sum_us, slow_sum_us;
    int64_t nwait, wait_us, asked, nhook, hook_us, nunsplit, unsplit_us;
    int64_t min_us, max_us; /* over added durations; -1 none */
    struct sketch plus;
    double *minus; /* durations (ms) to remove from the sketch */
    size_t nminus, aminus;
};

struct tg_delta {
    int64_t n, nt, failed, sum_us, max_us, asked, wait_us, nunsplit, unsplit_us;
    int64_t retracted_max_us; /* largest duration retracted, -1 none */
    int64_t max_id;           /* the greatest row id of an added max_us, 0 none */
};

struct rr_delta {
    int64_t n, bytes, sum_us, last_ms, project;
};

/* A session's span (grown by additions only) and its sums (added and
 * retracted like every aggregate). */
struct ss_delta {
    int64_t first_ms, last_ms; /* INT64_MAX / INT64_MIN: no addition */
    int64_t project;
    int64_t calls, failed, sub, asked, nexec, exec_us, wait_us, hook_us, unsplit_us;
};

struct rollup_deltas {
    struct kmap ru;
    struct ru_delta *ru_v;
    size_t ru_alloc;
    struct kmap tg;
    struct tg_delta *tg_v;
    size_t tg_alloc;
    struct kmap rr;
    struct rr_delta *rr_v;
    size_t rr_alloc;
    struct kmap ss;
    struct ss_delta *ss_v;
    size_t ss_alloc;
};

struct rollup_deltas *rollup_deltas_new(void)
{
    return xcalloc(1, sizeof(struct rollup_deltas));
}

void rollup_deltas_free(struct rollup_deltas *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->ru.n; i++) {
        sketch_free(&d->ru_v[i].plus);
        free(d->ru_v[i].minus);
    }
    free(d->ru_v);
    free(d->tg_v);
    free(d->rr_v);
    free(d->ss_v);
    kmap_free(&d->ru);
    kmap_free(&d->tg);
    kmap_free(&d->rr);
    kmap_free(&d->ss);
    free(d);
}

/* Index of key in map, growing vals (of elem bytes each) to match; a new
 * slot is zeroed and *added set. */
static size_t slot(struct kmap *map, void **vals, size_t *alloc, size_t elem, const void *key,
                   size_t klen, int *added)
{
    size_t i = kmap_put(map, key, klen, added);
    if (i >= *alloc) {
        *alloc = *alloc ? *alloc * 2 : 64;
        *vals = xreallocarray(*vals, *alloc, elem);
    }
    if (*added)
        memset((char *)*vals + i * elem, 0, elem);
    return i;
}

static void ru_contribute(struct rollup_deltas *d, int lvl, int64_t b, int64_t project,
                          const struct rollup_contrib *c, int sign)
{
    int64_t key[4] = {lvl, b, project, c->tool};
    int added;
    size_t i =
        slot(&d->ru, (void **)&d->ru_v, &d->ru_alloc, sizeof *d->ru_v, key, sizeof key, &added);
    struct ru_delta *v = &d->ru_v[i];
    if (added) {
        sketch_init(&v->plus);
        v->min_us = v->max_us = -1;
    }
    v->n += sign;
    v->failed += sign * !c->success;
    v->opt += sign * c->opt;
    if (c->attn) {
        v->attn += sign;
        v->attn_bytes += sign * (c->size > 0 ? c->size : 0);
    }
    v->asked += sign * c->asked;
    if (c->wait_us >= 0) {
        v->nwait += sign;
        v->wait_us += sign * c->wait_us;
    }
    if (c->hook_us >= 0) {
        v->nhook += sign;
        v->hook_us += sign * c->hook_us;
    }
    if (c->unsplit_us >= 0) {
        v->nunsplit += sign;
        v->unsplit_us += sign * c->unsplit_us;
    }
    if (c->dur_us < 0)
        return;
    double ms = (double)c->dur_us / 1000.0;
    v->nt += sign;
    v->sum_us += sign * c->dur_us;
    v->slow += sign * (ms >= TP_SLOW_MS);
    v->crit += sign * (ms >= TP_CRITICAL_MS);
    if (ms >= TP_SLOW_MS)
        v->slow_sum_us += sign * c->dur_us;
    if (sign > 0) {
        sketch_add(&v->plus, ms, 1);
        if (v->min_us < 0 || c->dur_us < v->min_us)
            v->min_us = c->dur_us;
        if (c->dur_us > v->max_us)
            v->max_us = c->dur_us;
    } else {
        if (v->nminus == v->aminus) {
            v->aminus = v->aminus ? v->aminus * 2 : 8;
            v->minus = xreallocarray(v->minus, v->aminus, sizeof(double));
        }
        v->minus[v->nminus++] = ms;
    }
}

void rollup_contribute(struct rollup_deltas *d, const struct rollup_contrib *c, int sign)
{
    int added;
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        int64_t b = tpt_floor_div(c->ts_ms, rollup_width_ms[lvl]);
        ru_contribute(d, lvl, b, c->project, c, sign);
        ru_contribute(d, lvl, b, 0, c, sign);
    }

    int64_t tkey[4] = {tpt_floor_div(c->ts_ms, TPT_DAY_MS), c->project, c->tool, c->target};
    size_t i =
        slot(&d->tg, (void **)&d->tg_v, &d->tg_alloc, sizeof *d->tg_v, tkey, sizeof tkey, &added);
    struct tg_delta *t = &d->tg_v[i];
    if (added)
        t->retracted_max_us = -1;
    t->n += sign;
    t->failed += sign * !c->success;
    t->asked += sign * c->asked;
    t->wait_us += sign * (c->wait_us > 0 ? c->wait_us : 0);
    if (c->unsplit_us >= 0) {
        t->nunsplit += sign;
        t->unsplit_us += sign * c->unsplit_us;
    }
    if (c->dur_us >= 0) {
        t->nt += sign;
        t->sum_us += sign * c->dur_us;
        if (sign > 0 && (c->dur_us > t->max_us || (c->dur_us == t->max_us && c->id > t->max_id))) {
            t->max_us = c->dur_us;
            t->max_id = c->id;
        }
        if (sign < 0 && c->dur_us > t->retracted_max_us)
            t->retracted_max_us = c->dur_us;
    }

    /* Repeated reads: full reads (no offset/limit) of one file in one
     * session. Paging through a file with offset/limit is what we
     * recommend, so it does not count. */
    if (c->is_read && c->session && c->target && !c->opt) {
        int64_t rkey[2] = {c->session, c->target};
        i = slot(&d->rr, (void **)&d->rr_v, &d->rr_alloc, sizeof *d->rr_v, rkey, sizeof rkey,
                 &added);
        struct rr_delta *x = &d->rr_v[i];
        x->n += sign;
        x->bytes += sign * (c->size > 0 ? c->size : 0);
        x->sum_us += sign * (c->dur_us > 0 ? c->dur_us : 0);
        x->project = c->project;
        if (c->ts_ms > x->last_ms)
            x->last_ms = c->ts_ms;
    }

    if (c->session) {
        i = slot(&d->ss, (void **)&d->ss_v, &d->ss_alloc, sizeof *d->ss_v, &c->session,
                 sizeof c->session, &added);
        struct ss_delta *x = &d->ss_v[i];
        if (added) {
            x->first_ms = INT64_MAX;
            x->last_ms = INT64_MIN;
        }
        if (sign > 0) {
            /* A call ends after its wall time, or after its known parts
             * when they say more (a prompt answered no has a wait and no
             * wall: it ended when the person answered). */
            int64_t parts_us = (c->wait_us > 0 ? c->wait_us : 0) +
                               (c->hook_us > 0 ? c->hook_us : 0) + (c->dur_us > 0 ? c->dur_us : 0);
            int64_t span_us = c->wall_us > parts_us ? c->wall_us : parts_us;
            int64_t end = c->ts_ms + (span_us > 0 ? span_us / 1000 : 0);
            if (c->ts_ms < x->first_ms)
                x->first_ms = c->ts_ms;
            if (end > x->last_ms)
                x->last_ms = end;
            x->project = c->project;
        }
        x->calls += sign;
        x->failed += sign * !c->success;
        x->sub += sign * c->sub;
        x->asked += sign * c->asked;
        /* A sub-agent's calls run inside the call that started it: the
         * session's time is its main thread's. */
        if (c->sub)
            return;
        if (c->dur_us >= 0) {
            x->nexec += sign;
            x->exec_us += sign * c->dur_us;
        }
        x->wait_us += sign * (c->wait_us > 0 ? c->wait_us : 0);
        x->hook_us += sign * (c->hook_us > 0 ? c->hook_us : 0);
        x->unsplit_us += sign * (c->unsplit_us > 0 ? c->unsplit_us : 0);
    }
}

/* ---- writing ------------------------------------------------------------------ */

enum {
    W_RU_GET,
    W_RU_PUT,
    W_RU_DEL,
    W_TG_ADD,
    W_TG_CLEAN,
    W_TG_MAX,
    W_TG_REMAX,
    W_RR_GET,
    W_RR_ADD,
    W_RR_CLEAN,
    W_RS_ADD,
    W_RS_CLEAN,
    W_SS_ADD,
    W_COUNT
};

static const char *const writer_sql[W_COUNT] = {
    [W_RU_GET] = "SELECT " ROLLUP_COLS " FROM rollups WHERE lvl=?1 AND b=?2 AND project=?3 "
                 "AND tool=?4",
    /* An upsert, not INSERT OR REPLACE: the replace deletes and reinserts
     * the row, rewriting its rollups_tool index entry too (four more WAL
     * pages per commit), while an update of non-key columns leaves the
     * index alone. */
    [W_RU_PUT] = "INSERT INTO rollups(lvl, b, project, tool, " ROLLUP_COLS ") "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,"
                 "?21,?22,?23,?24) "
                 "ON CONFLICT DO UPDATE SET n=excluded.n, nt=excluded.nt, sum_us=excluded.sum_us, "
                 "min_us=excluded.min_us, max_us=excluded.max_us, slow=excluded.slow, "
                 "crit=excluded.crit, failed=excluded.failed, opt=excluded.opt, "
                 "attn=excluded.attn, attn_bytes=excluded.attn_bytes, "
                 "slow_sum_us=excluded.slow_sum_us, sk=excluded.sk, nwait=excluded.nwait, "
                 "wait_us=excluded.wait_us, asked=excluded.asked, nhook=excluded.nhook, "
                 "hook_us=excluded.hook_us, nunsplit=excluded.nunsplit, "
                 "unsplit_us=excluded.unsplit_us",
    [W_RU_DEL] = "DELETE FROM rollups WHERE lvl=?1 AND b=?2 AND project=?3 AND tool=?4",
    /* max_id is the row of the longest call, the greatest id of several
     * (the first a newest-first scan meets), less the id of the day's
     * first hour: NULL when not known (totals kept before schema 8, with
     * timed calls), and it stays unknown when a call of the same duration
     * joins. */
    [W_TG_ADD] = "INSERT INTO targets(day, project, tool, target, n, nt, failed, sum_us, max_us, "
                 "asked, wait_us, nunsplit, unsplit_us, max_id) "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) ON CONFLICT DO UPDATE SET "
                 "n = n + excluded.n, nt = nt + excluded.nt, failed = failed + excluded.failed, "
                 "sum_us = sum_us + excluded.sum_us, max_us = max(max_us, excluded.max_us), "
                 "max_id = CASE WHEN excluded.max_id IS NULL THEN max_id "
                 "WHEN excluded.max_us > max_us OR nt = 0 THEN excluded.max_id "
                 "WHEN excluded.max_us = max_us AND max_id IS NOT NULL "
                 "THEN max(max_id, excluded.max_id) ELSE max_id END, "
                 "asked = asked + excluded.asked, wait_us = wait_us + excluded.wait_us, "
                 "nunsplit = nunsplit + excluded.nunsplit, "
                 "unsplit_us = unsplit_us + excluded.unsplit_us",
    [W_TG_CLEAN] = "DELETE FROM targets WHERE day=?1 AND project=?2 AND tool=?3 AND target=?4 "
                   "AND n <= 0",
    [W_TG_MAX] = "SELECT max_us FROM targets WHERE day=?1 AND project=?2 AND tool=?3 AND target=?4",
    /* A retracted duration was the maximum: recompute it from the day's
     * rows (rare: only when a call's duration is replaced by a better
     * report and the old one was the target's longest that day). */
    [W_TG_REMAX] = "UPDATE targets SET (max_us, max_id) = (SELECT coalesce(max(d), 0), max(i) "
                   "FROM (SELECT dur AS d, id - ?5 AS i FROM ops "
                   "WHERE id >= ?5 AND id < ?6 AND tool = ?3 AND coalesce(target, 0) = ?4 "
                   "AND project = ?2 AND dur IS NOT NULL ORDER BY dur DESC, id DESC LIMIT 1)) "
                   "WHERE day=?1 AND project=?2 AND tool=?3 AND target=?4",
    [W_RR_ADD] = "INSERT INTO rereads VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET "
                 "n = n + excluded.n, bytes = bytes + excluded.bytes, "
                 "sum_us = sum_us + excluded.sum_us, last_ms = max(last_ms, excluded.last_ms)",
    [W_RR_CLEAN] = "DELETE FROM rereads WHERE session=?1 AND target=?2 AND n <= 0",
    [W_RR_GET] = "SELECT n, bytes, sum_us, last_ms, project FROM rereads WHERE session=?1 "
                 "AND target=?2",
    [W_RS_ADD] = "INSERT INTO reread_sums VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET "
                 "pairs = pairs + excluded.pairs, reads = reads + excluded.reads, "
                 "bytes = bytes + excluded.bytes, us = us + excluded.us",
    [W_RS_CLEAN] = "DELETE FROM reread_sums WHERE lvl=?1 AND b=?2 AND project=?3 AND pairs <= 0",
    [W_SS_ADD] = "INSERT INTO sessions(id, first_ms, last_ms, project, calls, failed, sub, asked, "
                 "nexec, exec_us, wait_us, hook_us, unsplit_us) "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13) ON CONFLICT DO UPDATE SET "
                 "first_ms = min(first_ms, excluded.first_ms), "
                 "last_ms = max(last_ms, excluded.last_ms), "
                 "project = CASE WHEN project = 0 THEN excluded.project ELSE project END, "
                 "calls = calls + excluded.calls, failed = failed + excluded.failed, "
                 "sub = sub + excluded.sub, asked = asked + excluded.asked, "
                 "nexec = nexec + excluded.nexec, exec_us = exec_us + excluded.exec_us, "
                 "wait_us = wait_us + excluded.wait_us, hook_us = hook_us + excluded.hook_us, "
                 "unsplit_us = unsplit_us + excluded.unsplit_us",
};

struct rollup_writer {
    sqlite3 *db;
    sqlite3_stmt *st[W_COUNT];
    struct agg cur;
    struct buf blob;
};

struct rollup_writer *rollup_writer_new(sqlite3 *db)
{
    struct rollup_writer *w = xcalloc(1, sizeof *w);
    w->db = db;
    agg_init(&w->cur);
    buf_init(&w->blob, TP_SKETCH_MAX_BLOB * 4);
    return w;
}

void rollup_writer_free(struct rollup_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < W_COUNT; i++)
        sqlite3_finalize(w->st[i]);
    agg_free(&w->cur);
    buf_free(&w->blob);
    free(w);
}

static sqlite3_stmt *wstmt(struct rollup_writer *w, int id)
{
    if (!w->st[id]) {
        if (sqlite3_prepare_v3(w->db, writer_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &w->st[id],
                               NULL) != SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(w->st[id]);
        sqlite3_clear_bindings(w->st[id]);
    }
    return w->st[id];
}

static int step_done(struct rollup_writer *w, sqlite3_stmt *q, const char *what, char *errbuf)
{
    if (q && sqlite3_step(q) == SQLITE_DONE)
        return 0;
    int code = sqlite3_errcode(w->db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return tp_fail(errbuf, TP_EBUSY, "%s: the database stayed locked", what);
    /* The same codes as the store's own statements (store.c, db_fail). */
    if (code == SQLITE_FULL)
        return tp_fail(errbuf, TP_ENOSPC, "%s: disk full (%s)", what, sqlite3_errmsg(w->db));
    if (code == SQLITE_READONLY)
        return tp_fail(errbuf, TP_EROFS, "%s: %s", what, sqlite3_errmsg(w->db));
    return tp_fail(errbuf, TP_EDB, "%s: %s", what, sqlite3_errmsg(w->db));
}

static void bind_key(sqlite3_stmt *q, const int64_t *key, int n)
{
    for (int k = 0; k < n; k++)
        sqlite3_bind_int64(q, k + 1, key[k]);
}

static int col_or(sqlite3_stmt *q, int col, int64_t *v)
{
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
        return 0;
    *v = sqlite3_column_int64(q, col);
    return 1;
}

static int flush_rollup(struct rollup_writer *w, const int64_t *key, struct ru_delta *v,
                        char *errbuf)
{
    struct agg *cur = &w->cur;
    sqlite3_stmt *q = wstmt(w, W_RU_GET);
    if (!q)
        return step_done(w, q, "reading a rollup", errbuf);
    bind_key(q, key, 4);
    agg_reset(cur);
    int64_t min_us = -1, max_us = -1, sum_us = 0;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (agg_from_stmt(q, 0, cur) != 0) {
            sqlite3_reset(q);
            return tp_fail(errbuf, TP_EDB, "a stored sketch is corrupt (rollup %lld/%lld)",
                           (long long)key[0], (long long)key[1]);
        }
        sum_us = sqlite3_column_int64(q, 2);
        col_or(q, 3, &min_us);
        col_or(q, 4, &max_us);
    } else if (rc != SQLITE_DONE) {
        return step_done(w, NULL, "reading a rollup", errbuf);
    }
    sqlite3_reset(q);

    int64_t n = (int64_t)cur->n + v->n;
    if (n <= 0) {
        q = wstmt(w, W_RU_DEL);
        if (q)
            bind_key(q, key, 4);
        return step_done(w, q, "deleting a rollup", errbuf);
    }
    sketch_merge(&cur->sk, &v->plus);
    for (size_t k = 0; k < v->nminus; k++)
        sketch_remove(&cur->sk, v->minus[k], 1);
    if (v->min_us >= 0 && (min_us < 0 || v->min_us < min_us))
        min_us = v->min_us;
    if (v->max_us > max_us)
        max_us = v->max_us;
    buf_reset(&w->blob);
    if (sketch_encode(&cur->sk, &w->blob) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "a rollup sketch grew past its cap");

    q = wstmt(w, W_RU_PUT);
    if (!q)
        return step_done(w, q, "writing a rollup", errbuf);
    bind_key(q, key, 4);
    sqlite3_bind_int64(q, 5, n);
    sqlite3_bind_int64(q, 6, (int64_t)cur->n_timed + v->nt);
    sqlite3_bind_int64(q, 7, sum_us + v->sum_us);
    if (min_us >= 0)
        sqlite3_bind_int64(q, 8, min_us);
    if (max_us >= 0)
        sqlite3_bind_int64(q, 9, max_us);
    sqlite3_bind_int64(q, 10, (int64_t)cur->slow + v->slow);
    sqlite3_bind_int64(q, 11, (int64_t)cur->critical + v->crit);
    sqlite3_bind_int64(q, 12, (int64_t)cur->failed + v->failed);
    sqlite3_bind_int64(q, 13, (int64_t)cur->optimized + v->opt);
    sqlite3_bind_int64(q, 14, (int64_t)cur->attention + v->attn);
    sqlite3_bind_int64(q, 15, (int64_t)cur->attention_bytes + v->attn_bytes);
    sqlite3_bind_int64(q, 16, llround(cur->slow_sum_ms * 1000.0) + v->slow_sum_us);
    sqlite3_bind_blob(q, 17, w->blob.data, (int)w->blob.len, SQLITE_STATIC);
    sqlite3_bind_int64(q, 18, (int64_t)cur->n_wait + v->nwait);
    sqlite3_bind_int64(q, 19, llround(cur->wait_ms * 1000.0) + v->wait_us);
    sqlite3_bind_int64(q, 20, (int64_t)cur->asked + v->asked);
    sqlite3_bind_int64(q, 21, (int64_t)cur->n_hook + v->nhook);
    sqlite3_bind_int64(q, 22, llround(cur->hook_ms * 1000.0) + v->hook_us);
    sqlite3_bind_int64(q, 23, (int64_t)cur->n_unsplit + v->nunsplit);
    sqlite3_bind_int64(q, 24, llround(cur->unsplit_ms * 1000.0) + v->unsplit_us);
    return step_done(w, q, "writing a rollup", errbuf);
}

/* ---- repeated reads ---------------------------------------------------------- */

/* What one (session, file) pair with 3+ full reads adds to the reread
 * totals: see struct reread_totals. The same arithmetic, in integers, as
 * the S_RR_TOTALS statement of store.c, so that totals read from
 * reread_sums and from rereads rows agree exactly. */
struct rs_val {
    int64_t pairs, reads, bytes, us;
};

static struct rs_val reread_value(int64_t n, int64_t bytes, int64_t sum_us)
{
    struct rs_val v = {0, 0, 0, 0};
    if (n < REREAD_MIN)
        return v;
    v.pairs = 1;
    v.reads = n;
    v.bytes = (n - 1) * (bytes > 0 ? bytes / n : REREAD_UNKNOWN_BYTES);
    v.us = sum_us * (n - 1) / n;
    return v;
}

/* Deltas of reread_sums, keyed (level, bucket, project). */
struct rs_sums {
    struct kmap map;
    struct rs_val *v;
    size_t alloc;
};

static void rs_sums_init(struct rs_sums *r)
{
    memset(r, 0, sizeof *r);
    kmap_init(&r->map);
}

static void rs_sums_free(struct rs_sums *r)
{
    kmap_free(&r->map);
    free(r->v);
}

/* Add sign * v at the buckets of last_ms, for project and for all (0). */
static void rs_add(struct rs_sums *r, int64_t last_ms, int64_t project, struct rs_val v, int sign)
{
    if (!v.pairs)
        return;
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        for (int all = 0; all < 2; all++) {
            int64_t key[3] = {lvl, tpt_floor_div(last_ms, rollup_width_ms[lvl]), all ? 0 : project};
            int added;
            size_t i =
                slot(&r->map, (void **)&r->v, &r->alloc, sizeof *r->v, key, sizeof key, &added);
            r->v[i].pairs += sign * v.pairs;
            r->v[i].reads += sign * v.reads;
            r->v[i].bytes += sign * v.bytes;
            r->v[i].us += sign * v.us;
        }
    }
}

/* Apply one pair's delta to its rereads row, and the change of the pair's
 * value to the sums: the old value leaves the buckets of the old last
 * read, the new one joins those of the new. */
static int flush_reread(struct rollup_writer *w, const int64_t *key, const struct rr_delta *x,
                        struct rs_sums *sums, char *errbuf)
{
    sqlite3_stmt *q = wstmt(w, W_RR_GET);
    if (!q)
        return step_done(w, q, "reading read counts", errbuf);
    bind_key(q, key, 2);
    int found = 0;
    int64_t n = 0, bytes = 0, sum_us = 0, last_ms = 0, project = x->project;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        found = 1;
        n = sqlite3_column_int64(q, 0);
        bytes = sqlite3_column_int64(q, 1);
        sum_us = sqlite3_column_int64(q, 2);
        last_ms = sqlite3_column_int64(q, 3);
        project = sqlite3_column_int64(q, 4);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return step_done(w, NULL, "reading read counts", errbuf);
    if (found)
        rs_add(sums, last_ms, project, reread_value(n, bytes, sum_us), -1);
    /* As W_RR_ADD computes it. */
    int64_t n2 = n + x->n, last2 = found && last_ms > x->last_ms ? last_ms : x->last_ms;
    if (n2 > 0)
        rs_add(sums, last2, project, reread_value(n2, bytes + x->bytes, sum_us + x->sum_us), +1);

    q = wstmt(w, W_RR_ADD);
    if (q) {
        bind_key(q, key, 2);
        sqlite3_bind_int64(q, 3, x->project);
        sqlite3_bind_int64(q, 4, x->n);
        sqlite3_bind_int64(q, 5, x->bytes);
        sqlite3_bind_int64(q, 6, x->sum_us);
        sqlite3_bind_int64(q, 7, x->last_ms);
    }
    rc = step_done(w, q, "writing read counts", errbuf);
    if (rc == 0 && n2 <= 0) {
        q = wstmt(w, W_RR_CLEAN);
        if (q)
            bind_key(q, key, 2);
        rc = step_done(w, q, "cleaning read counts", errbuf);
    }
    return rc;
}

static int flush_reread_sums(struct rollup_writer *w, const struct rs_sums *r, char *errbuf)
{
    int rc = 0;
    for (size_t i = 0; i < r->map.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&r->map, i, NULL);
        const struct rs_val *v = &r->v[i];
        if (!v->pairs && !v->reads && !v->bytes && !v->us)
            continue;
        sqlite3_stmt *q = wstmt(w, W_RS_ADD);
        if (q) {
            bind_key(q, k, 3);
            sqlite3_bind_int64(q, 4, v->pairs);
            sqlite3_bind_int64(q, 5, v->reads);
            sqlite3_bind_int64(q, 6, v->bytes);
            sqlite3_bind_int64(q, 7, v->us);
        }
        rc = step_done(w, q, "writing reread sums", errbuf);
        if (rc == 0 && v->pairs < 0) {
            q = wstmt(w, W_RS_CLEAN);
            if (q)
                bind_key(q, k, 3);
            rc = step_done(w, q, "cleaning reread sums", errbuf);
        }
    }
    return rc;
}

int rollup_flush(struct rollup_writer *w, struct rollup_deltas *d, char *errbuf)
{
    int rc = 0;
    for (size_t i = 0; i < d->ru.n && rc == 0; i++) {
        struct ru_delta *v = &d->ru_v[i];
        if (!v->n && !v->nt && !v->failed && !v->opt && !v->attn && !v->slow_sum_us &&
            !v->plus.count && !v->nminus && !v->nwait && !v->wait_us && !v->asked && !v->nhook &&
            !v->hook_us && !v->nunsplit && !v->unsplit_us)
            continue; /* retracted and re-added unchanged */
        rc = flush_rollup(w, kmap_key(&d->ru, i, NULL), v, errbuf);
    }
    for (size_t i = 0; i < d->tg.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->tg, i, NULL);
        struct tg_delta *t = &d->tg_v[i];
        if (!t->n && !t->nt && !t->failed && !t->sum_us && !t->max_us && !t->max_id && !t->asked &&
            !t->wait_us && !t->nunsplit && !t->unsplit_us)
            continue;
        sqlite3_stmt *q = wstmt(w, W_TG_ADD);
        if (q) {
            bind_key(q, k, 4);
            sqlite3_bind_int64(q, 5, t->n);
            sqlite3_bind_int64(q, 6, t->nt);
            sqlite3_bind_int64(q, 7, t->failed);
            sqlite3_bind_int64(q, 8, t->sum_us);
            sqlite3_bind_int64(q, 9, t->max_us);
            sqlite3_bind_int64(q, 10, t->asked);
            sqlite3_bind_int64(q, 11, t->wait_us);
            sqlite3_bind_int64(q, 12, t->nunsplit);
            sqlite3_bind_int64(q, 13, t->unsplit_us);
            if (t->max_id) /* kept less the id of the day's first hour */
                sqlite3_bind_int64(q, 14, t->max_id - ((k[0] * 24) << 32));
        }
        int64_t old_max = -1;
        if (t->retracted_max_us >= 0) {
            sqlite3_stmt *m = wstmt(w, W_TG_MAX);
            if (m) {
                bind_key(m, k, 4);
                if (sqlite3_step(m) == SQLITE_ROW)
                    old_max = sqlite3_column_int64(m, 0);
                sqlite3_reset(m);
            }
        }
        rc = step_done(w, q, "writing target totals", errbuf);
        if (rc == 0 && t->retracted_max_us >= 0 && t->retracted_max_us >= old_max) {
            q = wstmt(w, W_TG_REMAX);
            if (q) {
                bind_key(q, k, 4);
                sqlite3_bind_int64(q, 5, (k[0] * 24) << 32);
                sqlite3_bind_int64(q, 6, ((k[0] + 1) * 24) << 32);
            }
            rc = step_done(w, q, "recomputing a target's maximum", errbuf);
        }
        if (rc == 0 && t->n < 0) {
            q = wstmt(w, W_TG_CLEAN);
            if (q)
                bind_key(q, k, 4);
            rc = step_done(w, q, "cleaning target totals", errbuf);
        }
    }
    struct rs_sums sums;
    rs_sums_init(&sums);
    for (size_t i = 0; i < d->rr.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->rr, i, NULL);
        struct rr_delta *x = &d->rr_v[i];
        if (!x->n && !x->bytes && !x->sum_us)
            continue;
        rc = flush_reread(w, k, x, &sums, errbuf);
    }
    if (rc == 0)
        rc = flush_reread_sums(w, &sums, errbuf);
    rs_sums_free(&sums);
    for (size_t i = 0; i < d->ss.n && rc == 0; i++) {
        const int64_t *k = kmap_key(&d->ss, i, NULL);
        const struct ss_delta *x = &d->ss_v[i];
        if (x->first_ms == INT64_MAX && !x->calls && !x->failed && !x->sub && !x->asked &&
            !x->nexec && !x->exec_us && !x->wait_us && !x->hook_us && !x->unsplit_us)
            continue; /* retracted and re-added unchanged, or nothing */
        sqlite3_stmt *q = wstmt(w, W_SS_ADD);
        if (q) {
            const int64_t v[] = {k[0],       x->first_ms, x->last_ms,   x->project, x->calls,
                                 x->failed,  x->sub,      x->asked,     x->nexec,   x->exec_us,
                                 x->wait_us, x->hook_us,  x->unsplit_us};
            for (int c = 0; c < 13; c++)
                sqlite3_bind_int64(q, c + 1, v[c]);
        }
        rc = step_done(w, q, "writing session spans", errbuf);
    }
    return rc;
}
