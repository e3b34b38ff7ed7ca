/*
 * store_time.c - sessions on the clock: turns, model requests and usage
 * readings (writes, inside a batch's transaction) and the readers of
 * sessions, turns, requests and usage (see store.h and timeline.h).
 *
 * requests.flags packs what the columns do not: the exactness of the
 * duration (bits 0-1, enum op_exact), its phase source (bits 2-5, enum
 * op_phase_src), whether a sub-agent made the request (bit 6) and the op
 * source that reported it (bits 7-9). Costs are kept in micro-dollars.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xmalloc.h"
#include "chstore.h"
#include "store_int.h"

static void bind_opt_us(sqlite3_stmt *q, int col, double ms)
{
    if (!isnan(ms))
        sqlite3_bind_int64(q, col, llround(ms * 1000.0));
}

static void bind_opt_n(sqlite3_stmt *q, int col, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(q, col, v);
}

/* Two reports of one prompt start this close (the transcript's prompt
 * line, OTLP's user_prompt event and interaction span: 55 ms apart at most
 * in the recorded session);
 * two prompts of one person never do. */
#define TURN_SAME_MS 500

/* The start under which a turn of session starting at start_ms is kept:
 * a stored turn's within TURN_SAME_MS, else its own. */
static int64_t turn_key(struct store *s, int64_t session, int64_t start_ms)
{
    sqlite3_stmt *q = store_stmt(s, S_TURN_NEAR);
    sqlite3_bind_int64(q, 1, session);
    sqlite3_bind_int64(q, 2, start_ms - TURN_SAME_MS);
    sqlite3_bind_int64(q, 3, start_ms + TURN_SAME_MS);
    sqlite3_bind_int64(q, 4, start_ms);
    int64_t k = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : start_ms;
    sqlite3_reset(q);
    return k;
}

int store_put_timeline(struct store *s, const struct store_group *g, char *errbuf)
{
    for (size_t i = 0; i < g->nturns; i++) {
        const struct turn *t = &g->turns[i];
        int64_t session = store_intern(s, t->session_id);
        if (session <= 0)
            return store_db_fail(s, errbuf, "storing a turn");
        int64_t start = turn_key(s, session, t->start_ms);
        sqlite3_stmt *q = store_stmt(s, S_TURN_PUT);
        sqlite3_bind_int64(q, 1, session);
        sqlite3_bind_int64(q, 2, start);
        if (t->end_ms)
            sqlite3_bind_int64(q, 3, t->end_ms);
        bind_opt_us(q, 4, t->active_ms);
        sqlite3_bind_int64(q, 5, (int64_t)t->source);
        if (sqlite3_step(q) != SQLITE_DONE)
            return store_db_fail(s, errbuf, "storing a turn");
    }
    for (size_t i = 0; i < g->nreqs; i++) {
        const struct request *r = &g->reqs[i];
        int64_t session = store_intern(s, r->session_id);
        int64_t project = store_intern(s, r->project ? r->project : "");
        int64_t model = store_intern(s, r->model);
        if (session < 0 || project < 0 || model < 0)
            return store_db_fail(s, errbuf, "storing a model request");
        sqlite3_stmt *q = store_stmt(s, S_REQ_PUT);
        sqlite3_bind_text(q, 1, r->id, -1, SQLITE_STATIC);
        if (session)
            sqlite3_bind_int64(q, 2, session);
        sqlite3_bind_int64(q, 3, project);
        if (model)
            sqlite3_bind_int64(q, 4, model);
        sqlite3_bind_int64(q, 5, r->start_ms);
        bind_opt_us(q, 6, r->duration_ms);
        bind_opt_us(q, 7, r->ttft_ms);
        bind_opt_n(q, 8, r->input_tokens);
        bind_opt_n(q, 9, r->output_tokens);
        bind_opt_n(q, 10, r->cache_read_tokens);
        bind_opt_n(q, 11, r->cache_write_tokens);
        if (!isnan(r->cost_usd))
            sqlite3_bind_int64(q, 12, llround(r->cost_usd * 1e6));
        int64_t flags = (r->exact & 3) | ((int64_t)(r->src & 15) << 2) |
                        ((int64_t)(r->sidechain != 0) << 6) | ((int64_t)(r->source & 7) << 7);
        sqlite3_bind_int64(q, 13, flags);
        if (sqlite3_step(q) != SQLITE_DONE)
            return store_db_fail(s, errbuf, "storing a model request");
    }
    for (size_t i = 0; i < g->nusage; i++) {
        const struct usage *u = &g->usage[i];
        int64_t session = store_intern(s, u->session_id);
        int64_t model = store_intern(s, u->model);
        if (session <= 0 || model < 0)
            return store_db_fail(s, errbuf, "storing a usage reading");
        sqlite3_stmt *q = store_stmt(s, S_USAGE_PUT);
        sqlite3_bind_int64(q, 1, session);
        sqlite3_bind_int64(q, 2, (int64_t)u->metric);
        sqlite3_bind_int64(q, 3, model);
        sqlite3_bind_int64(q, 4, (int64_t)u->stream);
        sqlite3_bind_int64(q, 5, u->start_ns);
        sqlite3_bind_int64(q, 6, u->cumulative ? 0 : u->time_ns);
        sqlite3_bind_int64(q, 7, u->time_ns);
        sqlite3_bind_double(q, 8, u->value);
        if (sqlite3_step(q) != SQLITE_DONE)
            return store_db_fail(s, errbuf, "storing a usage reading");
    }
    return 0;
}

/* ---- readers ---------------------------------------------------------------- */

static void session_from(sqlite3_stmt *q, struct store_session *x)
{
    x->id = sqlite3_column_int64(q, 0);
    x->first_ms = sqlite3_column_int64(q, 1);
    x->last_ms = sqlite3_column_int64(q, 2);
    x->project = sqlite3_column_int64(q, 3);
    x->calls = (uint64_t)sqlite3_column_int64(q, 4);
    x->failed = (uint64_t)sqlite3_column_int64(q, 5);
    x->sub = (uint64_t)sqlite3_column_int64(q, 6);
    x->asked = (uint64_t)sqlite3_column_int64(q, 7);
    x->nexec = (uint64_t)sqlite3_column_int64(q, 8);
    x->exec_ms = (double)sqlite3_column_int64(q, 9) / 1000.0;
    x->wait_ms = (double)sqlite3_column_int64(q, 10) / 1000.0;
    x->hook_ms = (double)sqlite3_column_int64(q, 11) / 1000.0;
    x->unsplit_ms = (double)sqlite3_column_int64(q, 12) / 1000.0;
}

int store_sessions(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                   store_session_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_sessions(s, from_ms, to_ms, project, cb, ctx);
    sqlite3_stmt *q = store_stmt(s, project ? S_SS_RANGE_PROJECT : S_SS_RANGE);
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    if (project)
        sqlite3_bind_int64(q, 3, project);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct store_session x;
        session_from(q, &x);
        stop = cb(ctx, &x);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

static int count_one(void *ctx, const struct store_session *ss)
{
    (void)ss;
    (*(uint64_t *)ctx)++;
    return 0;
}

int store_session_count(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                        uint64_t *n)
{
    *n = 0;
    if (s->ch)
        return chstore_sessions(s, from_ms, to_ms, project, count_one, n);
    sqlite3_stmt *q = store_stmt(s, project ? S_SS_COUNT_PROJECT : S_SS_COUNT);
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    if (project)
        sqlite3_bind_int64(q, 3, project);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : TP_EDB;
}

int store_session_get(struct store *s, int64_t session, struct store_session *out)
{
    if (s->ch)
        return chstore_session_get(s, session, out);
    sqlite3_stmt *q = store_stmt(s, S_SS_ONE);
    sqlite3_bind_int64(q, 1, session);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        session_from(q, out);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? TP_ENOTFOUND : TP_EDB;
}

int store_session_ids(struct store *s, const char *prefix, size_t max, store_name_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_session_ids(s, prefix, max, cb, ctx);
    sqlite3_stmt *q = store_stmt(s, S_SS_PREFIX);
    sqlite3_bind_text(q, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (int64_t)max);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1));
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_turns(struct store *s, int64_t session, store_turn_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_turns(s, session, cb, ctx);
    sqlite3_stmt *q = store_stmt(s, S_TURNS_OF);
    sqlite3_bind_int64(q, 1, session);
    const char *sid = store_str(s, session);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct turn t;
        turn_init(&t);
        t.session_id = (char *)sid;
        t.start_ms = sqlite3_column_int64(q, 0);
        t.end_ms = row_col_opt(q, 1) > 0 ? sqlite3_column_int64(q, 1) : 0;
        int64_t us = row_col_opt(q, 2);
        t.active_ms = us >= 0 ? (double)us / 1000.0 : NAN;
        t.source = (enum op_source)sqlite3_column_int64(q, 3);
        stop = cb(ctx, &t);
    }
    sqlite3_reset(q);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_requests(struct store *s, int64_t session, int64_t from_ms, int64_t to_ms,
                   store_request_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_requests(s, session, from_ms, to_ms, cb, ctx);
    sqlite3_stmt *q = store_stmt(s, session ? S_REQS_OF : S_REQS_RANGE);
    if (session) {
        sqlite3_bind_int64(q, 1, session);
    } else {
        sqlite3_bind_int64(q, 1, from_ms);
        sqlite3_bind_int64(q, 2, to_ms);
    }
    /* Ids first: store_str() may run its own statement. */
    struct req_row {
        struct request r;
        int64_t session, project, model;
    } *v = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            v = xreallocarray(v, alloc, sizeof *v);
        }
        struct req_row *x = &v[n++];
        request_init(&x->r);
        x->r.id = xstrdup((const char *)sqlite3_column_text(q, 0));
        x->session = sqlite3_column_int64(q, 1);
        x->project = sqlite3_column_int64(q, 2);
        x->model = sqlite3_column_int64(q, 3);
        x->r.start_ms = sqlite3_column_int64(q, 4);
        int64_t us = row_col_opt(q, 5);
        x->r.duration_ms = us >= 0 ? (double)us / 1000.0 : NAN;
        us = row_col_opt(q, 6);
        x->r.ttft_ms = us >= 0 ? (double)us / 1000.0 : NAN;
        x->r.input_tokens = row_col_opt(q, 7);
        x->r.output_tokens = row_col_opt(q, 8);
        x->r.cache_read_tokens = row_col_opt(q, 9);
        x->r.cache_write_tokens = row_col_opt(q, 10);
        int64_t micro = row_col_opt(q, 11);
        x->r.cost_usd = micro >= 0 ? (double)micro / 1e6 : NAN;
        int64_t flags = sqlite3_column_int64(q, 12);
        x->r.exact = (unsigned char)(flags & 3);
        x->r.src = (unsigned char)((flags >> 2) & 15);
        x->r.sidechain = (int)((flags >> 6) & 1);
        x->r.source = (enum op_source)((flags >> 7) & 7);
    }
    sqlite3_reset(q);
    int stop = 0;
    for (size_t i = 0; i < n; i++) {
        struct request *r = &v[i].r;
        if (!stop) {
            r->session_id = (char *)store_str(s, v[i].session);
            const char *p = store_str(s, v[i].project);
            r->project = p && *p ? (char *)p : NULL;
            r->model = (char *)store_str(s, v[i].model);
            stop = cb(ctx, r);
        }
        free(r->id);
    }
    free(v);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}

int store_usage(struct store *s, int64_t session, store_usage_cb cb, void *ctx)
{
    if (s->ch)
        return 0; /* the team store keeps no usage readings (docs/team.md) */
    sqlite3_stmt *q = store_stmt(s, S_USAGE_OF);
    sqlite3_bind_int64(q, 1, session);
    /* Ids first: store_str() may run its own statement. */
    struct usage_row {
        int64_t model;
        int metric;
        double value;
    } *v = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 16;
            v = xreallocarray(v, alloc, sizeof *v);
        }
        v[n].model = sqlite3_column_int64(q, 0);
        v[n].metric = sqlite3_column_int(q, 1);
        v[n].value = sqlite3_column_double(q, 2);
        n++;
    }
    sqlite3_reset(q);
    int stop = 0;
    for (size_t i = 0; i < n && !stop; i++)
        if (v[i].metric >= 0 && v[i].metric < USAGE_METRICS)
            stop = cb(ctx, store_str(s, v[i].model), (enum usage_metric)v[i].metric, v[i].value);
    free(v);
    return stop || rc == SQLITE_DONE ? 0 : TP_EDB;
}
