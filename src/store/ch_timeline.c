/*
 * ch_timeline.c - the turns and model requests of a ClickHouse store batch
 * (ch_write.c builds the rest of it).
 *
 * turns and requests are ReplacingMergeTree tables: a batch reads the
 * stored version of each turn and request it carries (ch_tl_stored_turn,
 * ch_tl_stored_req), merges the incoming ones with the SQLite store's own
 * rules (its S_TURN_PUT and S_REQ_PUT), and writes whatever changed again
 * with a larger version (ch_tl_rows); readers take argMax(x, ver).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_int.h"
#include "core/limits.h"
#include "core/xmalloc.h"

static void tsv_text(struct buf *b, const char *s)
{
    ch_tsv_str(b, s);
    buf_addc(b, '\t');
}

static size_t rid_key(int64_t person, const char *rid, char *key)
{
    size_t n = strlen(rid);
    memcpy(key, &person, 8);
    memcpy(key + 8, rid, n);
    return 8 + n;
}

static struct ch_tver *turn_slot(struct ch_tl *t, int64_t person, const char *session,
                                 int64_t start, int *added)
{
    char key[16 + TP_MAX_ID + 64];
    size_t n = strlen(session);
    memcpy(key, &person, 8);
    memcpy(key + 8, &start, 8);
    memcpy(key + 16, session, n);
    size_t i = kmap_put(&t->turns, key, 16 + n, added);
    if (i >= t->talloc) {
        t->talloc = t->talloc ? 2 * t->talloc : 64;
        t->tv = xreallocarray(t->tv, t->talloc, sizeof *t->tv);
    }
    if (*added)
        memset(&t->tv[i], 0, sizeof t->tv[i]);
    return &t->tv[i];
}

static struct ch_rver *req_slot(struct ch_tl *t, int64_t person, const char *rid, int *added)
{
    char key[8 + TP_MAX_ID + 64];
    size_t i = kmap_put(&t->reqs, key, rid_key(person, rid, key), added);
    if (i >= t->ralloc) {
        t->ralloc = t->ralloc ? 2 * t->ralloc : 64;
        t->rv = xreallocarray(t->rv, t->ralloc, sizeof *t->rv);
    }
    if (*added)
        memset(&t->rv[i], 0, sizeof t->rv[i]);
    return &t->rv[i];
}

int ch_tl_stored_turn(void *ctx, char **f, size_t n)
{
    struct ch_tl *t = ctx;
    if (n < 7)
        return 1;
    int added;
    int64_t person = ch_id(&t->ch->strs, f[0]);
    struct ch_tver *x = turn_slot(t, person, f[1], ch_i64(f[2]), &added);
    if (!added)
        return 0;
    x->person = person;
    x->session = xstrdup(f[1]);
    x->start = ch_i64(f[2]);
    x->end = ch_i64(f[3]);
    x->active_us = ch_i64(f[4]);
    x->src = (int)ch_i64(f[5]);
    x->ver = (uint64_t)strtoull(f[6], NULL, 10);
    return 0;
}

int ch_tl_stored_req(void *ctx, char **f, size_t n)
{
    struct ch_tl *t = ctx;
    if (n < 16)
        return 1;
    int added;
    int64_t person = ch_id(&t->ch->strs, f[0]);
    struct ch_rver *x = req_slot(t, person, f[1], &added);
    if (!added)
        return 0;
    x->person = person;
    x->rid = xstrdup(f[1]);
    x->session = xstrdup(f[2]);
    x->project = xstrdup(f[3]);
    x->model = xstrdup(f[4]);
    x->ts = ch_i64(f[5]);
    x->dur_us = ch_i64(f[6]);
    x->ttft_us = ch_i64(f[7]);
    x->tin = ch_i64(f[8]);
    x->tout = ch_i64(f[9]);
    x->tcr = ch_i64(f[10]);
    x->tcw = ch_i64(f[11]);
    x->cost = ch_i64(f[12]);
    x->flags = (unsigned)ch_i64(f[13]);
    x->ver = (uint64_t)strtoull(f[14], NULL, 10);
    return 0;
}

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = xstrdup(src ? src : "");
}

uint64_t ch_next_ver(uint64_t batch, uint64_t stored)
{
    return stored >= batch ? stored + 1 : batch;
}

/* Merge a turn (the SQLite store's S_TURN_PUT). */
void ch_tl_merge_turn(struct ch_tl *t, int64_t person, const struct turn *in, uint64_t batch)
{
    int added;
    struct ch_tver *x = turn_slot(t, person, in->session_id, in->start_ms, &added);
    int64_t active = isnan(in->active_ms) ? -1 : llround(in->active_ms * 1000.0);
    if (added) {
        x->person = person;
        x->session = xstrdup(in->session_id);
        x->start = in->start_ms;
        x->end = in->end_ms;
        x->active_us = active;
        x->src = (int)in->source;
        x->ver = batch;
        x->dirty = 1;
        return;
    }
    int64_t end = in->end_ms ? in->end_ms : x->end;
    int64_t act = active >= 0 ? active : x->active_us;
    int src = (int)in->source > x->src ? (int)in->source : x->src;
    if (end == x->end && act == x->active_us && src == x->src)
        return;
    x->end = end;
    x->active_us = act;
    x->src = src;
    if (!x->dirty)
        x->ver = ch_next_ver(batch, x->ver);
    x->dirty = 1;
}

static int64_t max_i(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Merge a model request (the SQLite store's S_REQ_PUT). */
void ch_tl_merge_req(struct ch_tl *t, int64_t person, const struct request *in, uint64_t batch)
{
    int added;
    struct ch_rver *x = req_slot(t, person, in->id, &added);
    int64_t dur = isnan(in->duration_ms) ? -1 : llround(in->duration_ms * 1000.0);
    int64_t ttft = isnan(in->ttft_ms) ? -1 : llround(in->ttft_ms * 1000.0);
    int64_t cost = isnan(in->cost_usd) ? -1 : llround(in->cost_usd * 1e6);
    unsigned flags = (in->exact & 3u) | ((in->src & 15u) << 2) | ((in->sidechain != 0) << 6) |
                     (((unsigned)in->source & 7u) << 7);
    if (added) {
        x->person = person;
        x->rid = xstrdup(in->id);
        x->session = xstrdup(in->session_id ? in->session_id : "");
        x->project = xstrdup(in->project ? in->project : "");
        x->model = xstrdup(in->model ? in->model : "");
        x->ts = in->start_ms;
        x->dur_us = dur;
        x->ttft_us = ttft;
        x->tin = in->input_tokens;
        x->tout = in->output_tokens;
        x->tcr = in->cache_read_tokens;
        x->tcw = in->cache_write_tokens;
        x->cost = cost;
        x->flags = flags;
        x->ver = batch;
        x->dirty = 1;
        return;
    }
    struct ch_rver old = *x;
    if (!x->session[0] && in->session_id)
        set_str(&x->session, in->session_id);
    if (!x->model[0] && in->model)
        set_str(&x->model, in->model);
    if (dur >= 0 && (x->dur_us < 0 || (flags & 3) >= (x->flags & 3))) {
        x->dur_us = dur;
        x->ts = in->start_ms;
        x->flags = flags;
    }
    if (ttft >= 0)
        x->ttft_us = ttft;
    x->tin = max_i(x->tin, in->input_tokens);
    x->tout = max_i(x->tout, in->output_tokens);
    x->tcr = max_i(x->tcr, in->cache_read_tokens);
    x->tcw = max_i(x->tcw, in->cache_write_tokens);
    if (cost >= 0)
        x->cost = cost;
    int changed = strcmp(old.session, x->session) != 0 || strcmp(old.model, x->model) != 0 ||
                  old.dur_us != x->dur_us || old.ts != x->ts || old.flags != x->flags ||
                  old.ttft_us != x->ttft_us || old.tin != x->tin || old.tout != x->tout ||
                  old.tcr != x->tcr || old.tcw != x->tcw || old.cost != x->cost;
    if (!changed)
        return;
    if (!x->dirty)
        x->ver = ch_next_ver(batch, x->ver);
    x->dirty = 1;
}

void ch_tl_free(struct ch_tl *t)
{
    for (size_t i = 0; i < t->turns.n; i++)
        free(t->tv[i].session);
    for (size_t i = 0; i < t->reqs.n; i++) {
        free(t->rv[i].rid);
        free(t->rv[i].session);
        free(t->rv[i].project);
        free(t->rv[i].model);
    }
    free(t->tv);
    free(t->rv);
    kmap_free(&t->turns);
    kmap_free(&t->reqs);
}

void ch_tl_rows(struct chstore *ch, const struct ch_tl *t, struct ch_batch *out)
{
    for (size_t i = 0; i < t->turns.n; i++) {
        struct ch_tver *x = &t->tv[i];
        if (!x->dirty)
            continue;
        uint32_t month = ch_month(x->start);
        struct buf *o = ch_batch_rows(out, "turns", month);
        buf_printf(o, "%u\t", month);
        tsv_text(o, ch_str(&ch->strs, x->person));
        tsv_text(o, x->session);
        buf_printf(o, "%lld\t%lld\t%lld\t%d\t%llu\n", (long long)x->start, (long long)x->end,
                   (long long)x->active_us, x->src, (unsigned long long)x->ver);
    }
    for (size_t i = 0; i < t->reqs.n; i++) {
        struct ch_rver *x = &t->rv[i];
        if (!x->dirty)
            continue;
        uint32_t month = ch_month(x->ts);
        struct buf *o = ch_batch_rows(out, "requests", month);
        buf_printf(o, "%u\t", month);
        tsv_text(o, ch_str(&ch->strs, x->person));
        tsv_text(o, x->rid);
        tsv_text(o, x->session);
        tsv_text(o, x->project);
        tsv_text(o, x->model);
        buf_printf(o, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%u\t%llu\n",
                   (long long)x->ts, (long long)x->dur_us, (long long)x->ttft_us, (long long)x->tin,
                   (long long)x->tout, (long long)x->tcr, (long long)x->tcw, (long long)x->cost,
                   x->flags, (unsigned long long)x->ver);
    }
}
