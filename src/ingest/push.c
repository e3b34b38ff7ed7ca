/*
 * push.c - sending a machine's calls to a team server (see push.h).
 *
 * A pass: choose the days to read (all of them, or those whose daily
 * aggregates changed since they were last sent, plus the last two); read
 * each day's calls in order and encode each (store/opbin.h); a call whose
 * encoding hashes to what was sent before is skipped; the rest fill
 * batches of o->batch calls. The turns and model requests of the sessions
 * active on those days go the same way, per session. A batch is POSTed to
 * /api/team/push; once the server answers 200 its hashes are recorded, and
 * so are the fingerprints of the days all of whose calls are now sent.
 * What was sent is kept in the push state file (store/pushstate.h).
 */
#include "ingest/push.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/httpc.h"
#include "core/jsonin.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/opbin.h"
#include "store/pushstate.h"

int push_check_url(const char *url, char *errbuf)
{
    size_t n = url ? strlen(url) : 0;
    if (n < 8 || n > 2000 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return tp_fail(errbuf, TP_EINVAL, "--to: expected http://HOST:PORT or https://HOST[:PORT]");
    for (const char *p = url; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return tp_fail(errbuf, TP_EINVAL, "--to: the URL holds a space or a control character");
    return 0;
}

struct pusher {
    struct store *s;
    const struct push_opts *o;
    struct push_stats *st;
    struct pushstate *state;
    struct httpc *http;
    char url[2100], auth[1100], host_hdr[300];
    struct buf body, one;
    /* The records of the batch: what to remember once it is answered. */
    struct pushstate_entry *keys;
    size_t nkeys, akeys, ncalls;
    /* Days whose calls are all read: their fingerprint is recorded with
     * the batch that carries their last call. */
    int64_t *days, *fps;
    size_t ndays, adays;
    char *errbuf;
};

static int64_t hash_of(const void *p, size_t n)
{
    return (int64_t)hash_final(hash_bytes(HASH_SEED, p, n));
}

static void nap_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int cancelled(const struct push_opts *o)
{
    return o->cancel && atomic_load((_Atomic int *)o->cancel);
}

/* The server's counts from its answer. */
static void add_counts(struct push_stats *st, const char *body, size_t len)
{
    char err[TP_ERR_MAX];
    cJSON *j = jin_parse(body, len, 0, 8, err);
    if (!j)
        return;
    double v;
    if (jin_num(j, "inserted", &v) == 1)
        st->inserted += (size_t)v;
    if (jin_num(j, "merged", &v) == 1)
        st->merged += (size_t)v;
    if (jin_num(j, "unchanged", &v) == 1)
        st->unchanged += (size_t)v;
    if (jin_num(j, "queued", &v) == 1)
        st->queued += (size_t)v;
    cJSON_Delete(j);
}

/* The server's message from an error answer. */
static void message_of(const struct buf *b, char *out, size_t size)
{
    char err[TP_ERR_MAX];
    cJSON *j = b->data ? jin_parse(b->data, b->len, 0, 8, err) : NULL;
    const char *m = j ? jin_str(j, "message") : NULL;
    snprintf(out, size, "%s", m ? m : b->data ? b->data : "");
    cJSON_Delete(j);
}

/* Record what the answered batch carried. */
static int remember(struct pusher *p)
{
    int rc = pushstate_save(p->state, p->keys, p->nkeys, p->days, p->fps, p->ndays, p->errbuf);
    if (rc == 0)
        p->ndays = 0;
    return rc;
}

/* POST the batch until the server answers it. */
static int send_batch(struct pusher *p)
{
    if (p->body.len == 0) {
        int rc = p->ndays ? remember(p) : 0;
        p->nkeys = 0;
        return rc;
    }
    struct httpc_req r;
    memset(&r, 0, sizeof r);
    r.url = p->url;
    r.body = p->body.data;
    r.body_len = p->body.len;
    r.headers[0] = p->auth;
    r.headers[1] = "Content-Type: application/x-toolprof-ops";
    r.headers[2] = p->host_hdr;
    r.timeout_ms = 120000;
    r.max_body = 1024 * 1024;
    struct buf resp;
    buf_init(&resp, 1024 * 1024);
    int64_t wait = 250;
    int rc = 0;
    for (int attempt = 1;; attempt++) {
        long status = 0;
        char why[TP_ERR_MAX];
        buf_reset(&resp);
        rc = httpc_do(p->http, &r, &status, &resp, NULL, why);
        if (rc == 0 && status == 200) {
            add_counts(p->st, resp.data ? resp.data : "", resp.len);
            break;
        }
        if (rc == 0 && status != 503 && status < 500) {
            char m[TP_ERR_MAX];
            message_of(&resp, m, sizeof m);
            rc = tp_fail(p->errbuf, TP_EINVAL, "%s refused the batch (HTTP %ld): %s", p->o->url,
                         status, m);
            break;
        }
        if (rc == 0) {
            char m[TP_ERR_MAX];
            message_of(&resp, m, sizeof m);
            rc = tp_fail(p->errbuf, TP_EIO, "%s answered HTTP %ld: %s", p->o->url, status, m);
        } else {
            rc = tp_fail(p->errbuf, TP_EIO, "%s: %s", p->o->url, why);
        }
        if ((p->o->max_tries && attempt >= p->o->max_tries) || cancelled(p->o))
            break;
        if (p->o->report)
            fprintf(p->o->report, "push: %s; trying again in %.1f s\n", p->errbuf,
                    (double)wait / 1000);
        nap_ms(wait);
        wait = wait * 2 > 8000 ? 8000 : wait * 2;
    }
    buf_free(&resp);
    if (rc)
        return rc;
    p->st->batches++;
    if (p->o->report)
        fprintf(p->o->report, "push: batch %zu: %zu calls sent\n", p->st->batches, p->ncalls);
    rc = remember(p);
    buf_reset(&p->body);
    p->nkeys = 0;
    p->ncalls = 0;
    return rc;
}

/* Was the record in p->one, of this key, sent as it is? (k, h: its keys.) */
static int sent_already(struct pusher *p, enum pushstate_map map, const char *key, int64_t *k,
                        int64_t *h)
{
    *k = hash_of(key, strlen(key));
    *h = hash_of(p->one.data, p->one.len);
    int64_t was;
    return pushstate_get(p->state, map, *k, &was) && was == *h;
}

/* Add the record in p->one to the batch; send the batch when full. */
static int add_record(struct pusher *p, enum pushstate_map map, int64_t k, int64_t h, int is_call)
{
    if (buf_add(&p->body, p->one.data, p->one.len) != 0)
        return tp_fail(p->errbuf, TP_ETOOBIG, "a push batch is over its size limit");
    if (p->nkeys == p->akeys) {
        p->akeys = p->akeys ? 2 * p->akeys : 1024;
        p->keys = xreallocarray(p->keys, p->akeys, sizeof *p->keys);
    }
    p->keys[p->nkeys++] = (struct pushstate_entry){k, h, map};
    if (is_call) {
        p->ncalls++;
        p->st->calls++;
    }
    size_t max = p->o->batch ? p->o->batch : TP_PUSH_BATCH;
    if (p->ncalls >= max || p->body.len >= TP_MAX_PUSH_BODY / 2)
        return send_batch(p);
    return 0;
}

struct day_scan {
    struct pusher *p;
    int rc;
};

static int call_row(void *ctx, const struct store_row *r)
{
    struct day_scan *d = ctx;
    struct pusher *p = d->p;
    if (!r->op.tool_use_id)
        return 0;
    buf_reset(&p->one);
    if (opbin_put_op(&p->one, &r->op, r->sources) != 0) {
        d->rc = tp_fail(p->errbuf, TP_ETOOBIG, "a call too large to push");
        return 1;
    }
    /* A call is its id in its hour: a store may hold two calls of one id
     * hours apart (the same id reported again much later is another call). */
    char key[TP_MAX_ID + 64];
    snprintf(key, sizeof key, "%s\x1f%lld", r->op.tool_use_id,
             (long long)tpt_floor_div(r->op.ts_ms, TPT_HOUR_MS));
    int64_t k, h;
    if (!sent_already(p, PUSHSTATE_CALLS, key, &k, &h))
        d->rc = add_record(p, PUSHSTATE_CALLS, k, h, 1);
    return d->rc != 0 || cancelled(p->o);
}

/* ---- sessions' turns and requests ---------------------------------------------- */

struct tl_ctx {
    struct pusher *p;
    struct buf *b;
    size_t turns, requests;
    int rc;
};

static int turn_row(void *ctx, const struct turn *t)
{
    struct tl_ctx *x = ctx;
    if (opbin_put_turn(x->b, t) != 0)
        x->rc = TP_ETOOBIG;
    x->turns++;
    return x->rc;
}

static int req_row(void *ctx, const struct request *r)
{
    struct tl_ctx *x = ctx;
    if (opbin_put_request(x->b, r) != 0)
        x->rc = TP_ETOOBIG;
    x->requests++;
    return x->rc;
}

struct sess_list {
    char **ids;
    int64_t *sids;
    size_t n, alloc;
};

static int session_row(void *ctx, const struct store_session *ss)
{
    struct sess_list *l = ctx;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 64;
        l->sids = xreallocarray(l->sids, l->alloc, sizeof *l->sids);
    }
    l->sids[l->n++] = ss->id;
    return 0;
}

/* Send the turns and requests of the sessions active in [a, b) that
 * changed since they were last sent. */
static int push_sessions(struct pusher *p, int64_t a, int64_t b)
{
    struct sess_list l = {NULL, NULL, 0, 0};
    if (store_sessions(p->s, a, b, 0, session_row, &l) != 0) {
        free(l.sids);
        return tp_fail(p->errbuf, TP_EDB, "reading the sessions failed");
    }
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0 && !cancelled(p->o); i++) {
        const char *sid = store_str(p->s, l.sids[i]);
        if (!sid)
            continue;
        char *key = xstrdup(sid);
        buf_reset(&p->one);
        struct tl_ctx x = {p, &p->one, 0, 0, 0};
        if (store_turns(p->s, l.sids[i], turn_row, &x) != 0 ||
            store_requests(p->s, l.sids[i], 0, 0, req_row, &x) != 0 || x.rc) {
            free(key);
            rc = tp_fail(p->errbuf, TP_EDB, "reading a session's turns and requests failed");
            break;
        }
        int64_t k, h;
        if (p->one.len && !sent_already(p, PUSHSTATE_SESSIONS, key, &k, &h)) {
            p->st->turns += x.turns;
            p->st->requests += x.requests;
            rc = add_record(p, PUSHSTATE_SESSIONS, k, h, 0);
        }
        free(key);
    }
    free(l.sids);
    return rc;
}

/* ---- choosing the days ------------------------------------------------------------ */

struct fp_ctx {
    struct store *s;
    struct kmap days; /* day -> index */
    int64_t *fp;
    size_t alloc;
};

static int fp_row(void *ctx, int level, int64_t start, int64_t tool, int64_t project,
                  const struct agg *a)
{
    (void)level, (void)project;
    struct fp_ctx *x = ctx;
    int64_t day = start / TPT_DAY_MS;
    int added;
    size_t i = kmap_put(&x->days, &day, sizeof day, &added);
    if (i >= x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 256;
        x->fp = xreallocarray(x->fp, x->alloc, sizeof *x->fp);
    }
    if (added)
        x->fp[i] = 0;
    const char *name = store_str(x->s, tool);
    /* What a change to any call of the day moves: its counts and sums. */
    int64_t v[12] = {(int64_t)a->n,
                     (int64_t)a->n_timed,
                     llround(a->sum_ms * 1000),
                     (int64_t)a->failed,
                     (int64_t)a->optimized,
                     (int64_t)a->n_wait,
                     llround(a->wait_ms * 1000),
                     (int64_t)a->asked,
                     (int64_t)a->n_hook,
                     llround(a->hook_ms * 1000),
                     (int64_t)a->n_unsplit,
                     llround(a->unsplit_ms * 1000)};
    uint64_t h = hash_bytes(HASH_SEED, name ? name : "", name ? strlen(name) : 0);
    h = hash_final(hash_bytes(h, v, sizeof v));
    x->fp[i] += (int64_t)h; /* order-free */
    return 0;
}

/* ---- the pass ------------------------------------------------------------------------ */

int push_run(struct store *s, const struct push_opts *o, struct push_stats *st, char *errbuf)
{
    int rc = push_check_url(o->url, errbuf);
    if (rc)
        return rc;
    if (!o->token || !*o->token || strlen(o->token) > 1000)
        return tp_fail(errbuf, TP_EINVAL, "--token: the team server's token for you is needed");
    memset(st, 0, sizeof *st);
    struct pusher p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.o = o;
    p.st = st;
    p.errbuf = errbuf;
    size_t ulen = strlen(o->url);
    snprintf(p.url, sizeof p.url, "%.*s/api/team/push",
             (int)(ulen && o->url[ulen - 1] == '/' ? ulen - 1 : ulen), o->url);
    snprintf(p.auth, sizeof p.auth, "Authorization: Bearer %s", o->token);
    char host[256];
    if (o->host && *o->host) {
        snprintf(host, sizeof host, "%s", o->host);
    } else {
        const char *e = getenv("TOOLPROF_HOST");
        if (e && *e)
            snprintf(host, sizeof host, "%s", e);
        else if (gethostname(host, sizeof host) != 0 || !host[0])
            snprintf(host, sizeof host, "unknown");
        host[sizeof host - 1] = '\0';
    }
    snprintf(p.host_hdr, sizeof p.host_hdr, "X-Toolprof-Host: %s", host);
    buf_init(&p.body, TP_MAX_PUSH_BODY);
    buf_init(&p.one, TP_MAX_PUSH_BODY / 4);

    /* The state of this server, in the data directory. */
    char name[64], path[4200];
    snprintf(name, sizeof name, "push.%08x.db", (unsigned)(hash_str(o->url) & 0xffffffffu));
    fs_join(path, sizeof path, store_dir(s), name);
    if ((rc = pushstate_open(path, &p.state, errbuf)) != 0)
        goto out;
    if (!(p.http = httpc_new(errbuf))) {
        rc = TP_EUNSUPP;
        goto out;
    }

    struct store_info info;
    if (store_info(s, &info) != 0) {
        rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
        goto out;
    }
    if (!info.operations)
        goto out;
    /* The days, and what their aggregates say now. */
    struct fp_ctx fp;
    memset(&fp, 0, sizeof fp);
    fp.s = s;
    int64_t d0 = tpt_floor_div(info.first_ms, TPT_DAY_MS);
    int64_t d1 = tpt_floor_div(info.last_ms, TPT_DAY_MS) + 1;
    int64_t today = tpt_floor_div(tpt_now_ms(), TPT_DAY_MS);
    struct store_filter all = {0};
    rc = store_rollups(s, ROLLUP_DAY, d0 * TPT_DAY_MS, d1 * TPT_DAY_MS, &all, fp_row, &fp);
    for (int64_t d = d0; rc == 0 && d < d1 && !cancelled(o); d++) {
        long i = kmap_find(&fp.days, &d, sizeof d);
        if (i < 0)
            continue; /* no calls that day */
        int64_t was;
        int found = pushstate_get(p.state, PUSHSTATE_DAYS, d, &was);
        if (!o->full && found && was == fp.fp[i] && d < today - 1)
            continue;
        struct day_scan ds = {&p, 0};
        struct store_scan sc = {.from_ms = d * TPT_DAY_MS, .to_ms = (d + 1) * TPT_DAY_MS};
        if (store_scan(s, &sc, call_row, &ds) != 0 && !ds.rc)
            ds.rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
        rc = ds.rc;
        if (rc == 0)
            rc = push_sessions(&p, d * TPT_DAY_MS, (d + 1) * TPT_DAY_MS);
        if (rc == 0) {
            /* Every call of the day is in a batch: its fingerprint is
             * recorded with the batch that is sent next. */
            if (p.ndays == p.adays) {
                p.adays = p.adays ? 2 * p.adays : 64;
                p.days = xreallocarray(p.days, p.adays, sizeof *p.days);
                p.fps = xreallocarray(p.fps, p.adays, sizeof *p.fps);
            }
            p.days[p.ndays] = d;
            p.fps[p.ndays++] = fp.fp[i];
        }
    }
    if (rc == 0 && cancelled(o))
        rc = tp_fail(errbuf, TP_EAGAIN, "push cancelled");
    if (rc == 0)
        rc = send_batch(&p);
    kmap_free(&fp.days);
    free(fp.fp);
out:
    pushstate_close(p.state);
    httpc_free(p.http);
    buf_free(&p.body);
    buf_free(&p.one);
    free(p.keys);
    free(p.days);
    free(p.fps);
    return rc;
}
