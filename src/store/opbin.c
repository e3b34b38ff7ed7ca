/*
 * opbin.c - operations, turns and model requests in binary (see opbin.h).
 *
 * An operation record, after its tag:
 *   varint  flags: bit 0 success, 1 optimized, 2 duration written as an
 *           integer; bits 3-5 the op source; bits 6-7 the approval state
 *   varint  sources (bit mask)
 *   8 bytes exactness (4) and phase source (4) of wall, wait, hook, exec
 *   varint  zigzag(ts_ms)
 *   4 x varint  exec, wall, wait, hook in microseconds + 1 (0 unknown)
 *   2 x varint  size_bytes + 1, result_bytes + 1 (0 unknown)
 *   10 strings: tool, target, meta, session_id, project, tool_use_id,
 *           error, subagent, agent, agent_version
 * A turn: string session_id, zigzag start_ms, zigzag end_ms, active_us + 1,
 * varint source. A request: strings id, session_id, project, model; zigzag
 * start_ms; duration_us + 1, ttft_us + 1; four token counts + 1; cost in
 * micro-dollars + 1; varint flags (bits 0-1 exactness, 2-5 phase source,
 * 6 sidechain, 7-9 op source).
 */
#include "opbin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

/* No string of any record is longer than this: the largest limit of
 * limits.h (meta and targets are cut before they are stored). */
#define OPBIN_MAX_STR (64 * 1024)

int opbin_put_uv(struct buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    return buf_add(b, tmp, n);
}

static uint64_t zig(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static int64_t unzig(uint64_t z)
{
    int64_t d = (int64_t)(z >> 1);
    return z & 1 ? -d - 1 : d;
}

int opbin_put_str(struct buf *b, const char *s)
{
    if (!s)
        return opbin_put_uv(b, 0);
    size_t n = strlen(s);
    int rc = opbin_put_uv(b, (uint64_t)n + 1);
    return rc ? rc : buf_add(b, s, n);
}

/* Microseconds of a duration + 1, 0 when unknown. */
static uint64_t us1(double ms)
{
    if (isnan(ms) || ms < 0)
        return 0;
    return (uint64_t)llround(ms * 1000.0) + 1;
}

static uint64_t n1(int64_t v)
{
    return v < 0 ? 0 : (uint64_t)v + 1;
}

int opbin_put_op(struct buf *b, const struct op *op, unsigned sources)
{
    unsigned char ph[2 * OP_PH_COUNT];
    for (int i = 0; i < OP_PH_COUNT; i++) {
        ph[i] = op->exact[i];
        ph[OP_PH_COUNT + i] = op->phsrc[i];
    }
    uint64_t flags = (uint64_t)(op->success != 0) | ((uint64_t)(op->optimized != 0) << 1) |
                     ((uint64_t)(op->duration_is_int != 0) << 2) |
                     ((uint64_t)(op->source & 7) << 3) | ((uint64_t)(op->ask & 3) << 6);
    const char *strs[] = {op->tool,    op->target,       op->meta,  op->session_id,
                          op->project, op->tool_use_id,  op->error, op->subagent,
                          op->agent,   op->agent_version};
    int rc = buf_addc(b, OPBIN_OP);
    rc |= opbin_put_uv(b, flags);
    rc |= opbin_put_uv(b, sources ? sources : 1u << op->source);
    rc |= buf_add(b, ph, sizeof ph);
    rc |= opbin_put_uv(b, zig(op->ts_ms));
    rc |= opbin_put_uv(b, us1(op->duration_ms));
    rc |= opbin_put_uv(b, us1(op->wall_ms));
    rc |= opbin_put_uv(b, us1(op->wait_ms));
    rc |= opbin_put_uv(b, us1(op->hook_ms));
    rc |= opbin_put_uv(b, n1(op->size_bytes));
    rc |= opbin_put_uv(b, n1(op->result_bytes));
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        rc |= opbin_put_str(b, strs[i]);
    return rc ? TP_ETOOBIG : 0;
}

int opbin_put_turn(struct buf *b, const struct turn *t)
{
    int rc = buf_addc(b, OPBIN_TURN);
    rc |= opbin_put_str(b, t->session_id);
    rc |= opbin_put_uv(b, zig(t->start_ms));
    rc |= opbin_put_uv(b, zig(t->end_ms));
    rc |= opbin_put_uv(b, us1(t->active_ms));
    rc |= opbin_put_uv(b, (uint64_t)t->source);
    return rc ? TP_ETOOBIG : 0;
}

int opbin_put_request(struct buf *b, const struct request *r)
{
    int rc = buf_addc(b, OPBIN_REQUEST);
    rc |= opbin_put_str(b, r->id);
    rc |= opbin_put_str(b, r->session_id);
    rc |= opbin_put_str(b, r->project);
    rc |= opbin_put_str(b, r->model);
    rc |= opbin_put_uv(b, zig(r->start_ms));
    rc |= opbin_put_uv(b, us1(r->duration_ms));
    rc |= opbin_put_uv(b, us1(r->ttft_ms));
    rc |= opbin_put_uv(b, n1(r->input_tokens));
    rc |= opbin_put_uv(b, n1(r->output_tokens));
    rc |= opbin_put_uv(b, n1(r->cache_read_tokens));
    rc |= opbin_put_uv(b, n1(r->cache_write_tokens));
    rc |= opbin_put_uv(
        b, isnan(r->cost_usd) || r->cost_usd < 0 ? 0 : (uint64_t)llround(r->cost_usd * 1e6) + 1);
    uint64_t flags = (uint64_t)(r->exact & 3) | ((uint64_t)(r->src & 15) << 2) |
                     ((uint64_t)(r->sidechain != 0) << 6) | ((uint64_t)(r->source & 7) << 7);
    rc |= opbin_put_uv(b, flags);
    return rc ? TP_ETOOBIG : 0;
}

/* ---- decoding ------------------------------------------------------------------ */

int opbin_get_uv(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return TP_EPARSE;
        unsigned char c = *p++;
        if (shift == 63 && c > 1)
            return TP_EPARSE;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            *pp = p;
            return 0;
        }
    }
    return TP_EPARSE;
}

int opbin_get_str(const unsigned char **p, const unsigned char *end, size_t max, char **out)
{
    uint64_t n;
    free(*out);
    *out = NULL;
    if (opbin_get_uv(p, end, &n) != 0)
        return TP_EPARSE;
    if (n == 0)
        return 0;
    n--;
    if (n > max || n > (uint64_t)(end - *p))
        return TP_EPARSE;
    if (memchr(*p, 0, (size_t)n)) /* a NUL would cut the text short */
        return TP_EPARSE;
    *out = xstrndup((const char *)*p, (size_t)n);
    *p += n;
    return 0;
}

static int get_us(const unsigned char **p, const unsigned char *end, double *ms)
{
    uint64_t v;
    if (opbin_get_uv(p, end, &v) != 0 || v > (uint64_t)1e15)
        return TP_EPARSE;
    *ms = v ? (double)(v - 1) / 1000.0 : NAN;
    return 0;
}

static int get_n(const unsigned char **p, const unsigned char *end, int64_t *n)
{
    uint64_t v;
    if (opbin_get_uv(p, end, &v) != 0 || v > (uint64_t)INT64_MAX)
        return TP_EPARSE;
    *n = v ? (int64_t)(v - 1) : -1;
    return 0;
}

static int get_ts(const unsigned char **p, const unsigned char *end, int64_t *ts)
{
    uint64_t v;
    if (opbin_get_uv(p, end, &v) != 0)
        return TP_EPARSE;
    *ts = unzig(v);
    return 0;
}

void opbin_rec_init(struct opbin_rec *r)
{
    op_init(&r->op);
    r->sources = 0;
    turn_init(&r->turn);
    request_init(&r->req);
}

void opbin_rec_clear(struct opbin_rec *r)
{
    op_clear(&r->op);
    turn_clear(&r->turn);
    request_clear(&r->req);
    r->sources = 0;
}

static int get_op(const unsigned char **p, const unsigned char *end, struct opbin_rec *r,
                  char *errbuf)
{
    struct op *op = &r->op;
    uint64_t flags, sources;
    if (opbin_get_uv(p, end, &flags) != 0 || opbin_get_uv(p, end, &sources) != 0 ||
        (size_t)(end - *p) < 2 * OP_PH_COUNT)
        return tp_fail(errbuf, TP_EPARSE, "operation: truncated header");
    if (flags >> 8 || sources == 0 || sources >> OP_SRC_COUNT)
        return tp_fail(errbuf, TP_EPARSE, "operation: bad flags or sources");
    op->success = (int)(flags & 1);
    op->optimized = (int)((flags >> 1) & 1);
    op->duration_is_int = (int)((flags >> 2) & 1);
    op->source = (enum op_source)((flags >> 3) & 7);
    op->ask = (int)((flags >> 6) & 3);
    r->sources = (unsigned)sources;
    for (int i = 0; i < OP_PH_COUNT; i++) {
        op->exact[i] = (*p)[i];
        op->phsrc[i] = (*p)[OP_PH_COUNT + i];
    }
    *p += 2 * OP_PH_COUNT;
    if (get_ts(p, end, &op->ts_ms) || get_us(p, end, &op->duration_ms) ||
        get_us(p, end, &op->wall_ms) || get_us(p, end, &op->wait_ms) ||
        get_us(p, end, &op->hook_ms) || get_n(p, end, &op->size_bytes) ||
        get_n(p, end, &op->result_bytes))
        return tp_fail(errbuf, TP_EPARSE, "operation: bad number");
    char **strs[] = {&op->tool,    &op->target,       &op->meta,  &op->session_id,
                     &op->project, &op->tool_use_id,  &op->error, &op->subagent,
                     &op->agent,   &op->agent_version};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (opbin_get_str(p, end, OPBIN_MAX_STR, strs[i]) != 0)
            return tp_fail(errbuf, TP_EPARSE, "operation: bad string %zu", i);
    return 0;
}

static int get_turn(const unsigned char **p, const unsigned char *end, struct opbin_rec *r,
                    char *errbuf)
{
    struct turn *t = &r->turn;
    uint64_t src;
    if (opbin_get_str(p, end, TP_MAX_ID, &t->session_id) || get_ts(p, end, &t->start_ms) ||
        get_ts(p, end, &t->end_ms) || get_us(p, end, &t->active_ms) || opbin_get_uv(p, end, &src) ||
        src >= OP_SRC_COUNT)
        return tp_fail(errbuf, TP_EPARSE, "turn: malformed");
    t->source = (enum op_source)src;
    return 0;
}

static int get_request(const unsigned char **p, const unsigned char *end, struct opbin_rec *r,
                       char *errbuf)
{
    struct request *q = &r->req;
    uint64_t cost, flags;
    if (opbin_get_str(p, end, TP_MAX_ID, &q->id) ||
        opbin_get_str(p, end, TP_MAX_ID, &q->session_id) ||
        opbin_get_str(p, end, TP_MAX_PROJECT * 4, &q->project) ||
        opbin_get_str(p, end, TP_MAX_TOOL * 4, &q->model) || get_ts(p, end, &q->start_ms) ||
        get_us(p, end, &q->duration_ms) || get_us(p, end, &q->ttft_ms) ||
        get_n(p, end, &q->input_tokens) || get_n(p, end, &q->output_tokens) ||
        get_n(p, end, &q->cache_read_tokens) || get_n(p, end, &q->cache_write_tokens) ||
        opbin_get_uv(p, end, &cost) || opbin_get_uv(p, end, &flags) || flags >> 10 ||
        cost > (uint64_t)1e18)
        return tp_fail(errbuf, TP_EPARSE, "model request: malformed");
    q->cost_usd = cost ? (double)(cost - 1) / 1e6 : NAN;
    q->exact = (unsigned char)(flags & 3);
    q->src = (unsigned char)((flags >> 2) & 15);
    q->sidechain = (int)((flags >> 6) & 1);
    if (((flags >> 7) & 7) >= OP_SRC_COUNT)
        return tp_fail(errbuf, TP_EPARSE, "model request: bad source");
    q->source = (enum op_source)((flags >> 7) & 7);
    return 0;
}

int opbin_get(const unsigned char **p, const unsigned char *end, struct opbin_rec *out,
              char *errbuf)
{
    if (*p >= end)
        return 0;
    int tag = *(*p)++;
    int rc;
    opbin_rec_clear(out);
    switch (tag) {
    case OPBIN_OP: rc = get_op(p, end, out, errbuf); break;
    case OPBIN_TURN: rc = get_turn(p, end, out, errbuf); break;
    case OPBIN_REQUEST: rc = get_request(p, end, out, errbuf); break;
    default: return tp_fail(errbuf, TP_EPARSE, "unknown record type %d", tag);
    }
    return rc ? rc : tag;
}

/* ---- a whole body ------------------------------------------------------------------ */

static void group_add(struct store_group *g, const struct opbin_rec *r, int tag, size_t *alloc,
                      unsigned **sources)
{
    if (tag == OPBIN_OP) {
        if (g->n == alloc[0]) {
            alloc[0] = alloc[0] ? 2 * alloc[0] : 256;
            g->ops = xreallocarray(g->ops, alloc[0], sizeof *g->ops);
            *sources = xreallocarray(*sources, alloc[0], sizeof **sources);
        }
        g->ops[g->n] = r->op;
        (*sources)[g->n++] = r->sources | (1u << r->op.source);
    } else if (tag == OPBIN_TURN) {
        if (g->nturns == alloc[1]) {
            alloc[1] = alloc[1] ? 2 * alloc[1] : 64;
            g->turns = xreallocarray(g->turns, alloc[1], sizeof *g->turns);
        }
        g->turns[g->nturns++] = r->turn;
    } else {
        if (g->nreqs == alloc[2]) {
            alloc[2] = alloc[2] ? 2 * alloc[2] : 64;
            g->reqs = xreallocarray(g->reqs, alloc[2], sizeof *g->reqs);
        }
        g->reqs[g->nreqs++] = r->req;
    }
}

int opbin_group_read(const void *body, size_t len, int64_t now, size_t max_ops,
                     struct store_group *g, unsigned **sources, char *errbuf)
{
    const unsigned char *p = body, *end = p + len;
    size_t alloc[3] = {0, 0, 0}, nrec = 0;
    struct opbin_rec r;
    opbin_rec_init(&r);
    char why[TP_ERR_MAX];
    int tag, rc = 0;
    while (rc == 0 && (tag = opbin_get(&p, end, &r, why)) != 0) {
        if (tag < 0) {
            rc = tp_fail(errbuf, TP_EINVAL, "record %zu: %s", nrec, why);
            break;
        }
        if (tag == OPBIN_OP && g->n == max_ops) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "more than %zu calls in one push", max_ops);
            break;
        }
        int bad = 0;
        if (tag == OPBIN_OP && !r.op.tool_use_id)
            bad = tp_fail(why, TP_EINVAL, "a pushed call needs its tool_use_id");
        else if (tag == OPBIN_OP)
            bad = op_normalize(&r.op, now, why);
        else if (tag == OPBIN_TURN)
            bad = turn_normalize(&r.turn, now, why);
        else
            bad = request_normalize(&r.req, now, why);
        if (bad) {
            rc = tp_fail(errbuf, TP_EINVAL, "record %zu: %s", nrec, why);
            break;
        }
        group_add(g, &r, tag, alloc, sources);
        /* The record's strings now belong to g. */
        if (tag == OPBIN_OP)
            op_init(&r.op);
        else if (tag == OPBIN_TURN)
            turn_init(&r.turn);
        else
            request_init(&r.req);
        nrec++;
    }
    opbin_rec_clear(&r);
    return rc;
}

void opbin_group_free(struct store_group *g, unsigned *sources)
{
    for (size_t i = 0; i < g->n; i++)
        op_clear(&g->ops[i]);
    for (size_t i = 0; i < g->nturns; i++)
        turn_clear(&g->turns[i]);
    for (size_t i = 0; i < g->nreqs; i++)
        request_clear(&g->reqs[i]);
    free(g->ops);
    free(g->turns);
    free(g->reqs);
    free(sources);
}
