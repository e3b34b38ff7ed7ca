/*
 * otlp.c - OpenTelemetry requests as toolprof's records (see otlp.h): the
 * request as a whole, and what its mappers share (otlp_sink.h).
 *
 * Decoding lives in otlp_json.c and otlp_pb.c, which both fill the model
 * of otlp_model.h; the mappers (otlp_logs.c, otlp_spans.c) read the model,
 * so a protobuf record and a JSON one become the same record. A record's
 * facts sit in its attributes, read whatever their value type (formats doc
 * 3.4: tool_result numbers and booleans arrive as strings, "62" and
 * "true", typed values elsewhere); the lookups of otlp_model.h accept every
 * form. Records the decoder refused one by one (a record that is not an
 * object, one over the attribute cap) and records that cannot be stored
 * are reported together as OTLP's partial success: an exporter must not
 * retry them, and the rest of the batch is good data.
 *
 * Bodies may be gzipped; otlp_gunzip() inflates under a hard cap and stops
 * the moment the output would pass it, so a small bomb costs at most the
 * cap in memory and never more CPU than producing that much.
 */
#include "otlp.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/kmap.h"
#include "core/pb.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_pb.h"
#include "ingest/otlp_sink.h"

/* ---- gzip ---------------------------------------------------------------- */

int otlp_gunzip(const void *in, size_t n, size_t max_out, char **out, size_t *out_len, char *errbuf)
{
    z_stream zs;
    struct buf b;
    int rc = 0, zr;

    *out = NULL;
    *out_len = 0;
    if (n == 0)
        return tp_fail(errbuf, TP_EPARSE, "empty gzip body");
    if (n > UINT_MAX || max_out > (size_t)INT_MAX)
        return tp_fail(errbuf, TP_ETOOBIG, "gzip body over %u bytes", UINT_MAX);
    memset(&zs, 0, sizeof zs);
    /* 15 + 32: the largest window, and detect gzip or zlib headers. */
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return tp_fail(errbuf, TP_EPARSE, "cannot start inflate");
    /* Room for one byte more than allowed, to tell "exactly max_out" from
     * "more than max_out". */
    buf_init(&b, max_out + 2);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        size_t chunk = b.cap - b.len - 1;
        if (chunk > 65536)
            chunk = 65536;
        char *dst = buf_reserve(&b, chunk);
        if (!dst) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "gzip body inflates to more than %zu bytes", max_out);
            break;
        }
        zs.next_out = (Bytef *)dst;
        zs.avail_out = (uInt)chunk;
        zr = inflate(&zs, Z_NO_FLUSH);
        buf_commit(&b, chunk - zs.avail_out);
        if (b.len > max_out) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "gzip body inflates to more than %zu bytes", max_out);
            break;
        }
        if (zr == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            /* Concatenated gzip members are one stream (RFC 1952). */
            if (inflateReset(&zs) != Z_OK) {
                rc = tp_fail(errbuf, TP_EPARSE, "corrupt gzip body");
                break;
            }
            continue;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = tp_fail(errbuf, TP_EPARSE, "corrupt gzip body (%s)", zs.msg ? zs.msg : "inflate");
            break;
        }
        if (zs.avail_in == 0 && zs.avail_out > 0) {
            rc = tp_fail(errbuf, TP_EPARSE, "truncated gzip body");
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != 0) {
        buf_free(&b);
        return rc;
    }
    *out = buf_steal(&b, out_len);
    return 0;
}

/* ---- what the mappers share (otlp_sink.h) -------------------------------------- */

int otlp_nanos_ms(uint64_t ns, int64_t *out)
{
    if (ns == 0 || ns / 1000000ULL > (uint64_t)INT64_MAX)
        return 0;
    *out = (int64_t)(ns / 1000000ULL);
    return 1;
}

const char *otlp_short_name(const char *name)
{
    static const char *const prefixes[] = {"claude_code.", "codex.", "gemini_cli."};
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return name + strlen(prefixes[i]);
    return name;
}

void otlp_set_agent(struct op *op, const struct otlp_resource *res)
{
    const char *svc = res ? otlp_attrs_str(&res->attrs, "service.name") : NULL;
    const char *ver = res ? otlp_attrs_str(&res->attrs, "service.version") : NULL;
    if (svc && strncmp(svc, "codex", 5) == 0)
        op_sets(&op->agent, "codex");
    else if (svc && strcmp(svc, "gemini-cli") == 0) {
        op_sets(&op->agent, "gemini-cli");
        /* Gemini CLI (0.61) puts Node's version ("v20.20.2") in
         * service.version, not its own. */
        if (ver && ver[0] == 'v')
            ver = NULL;
    } else if (svc && strcmp(svc, "opencode") == 0)
        op_sets(&op->agent, "opencode");
    /* A version of 64 bytes at most, as op_normalize wants it. */
    if (ver && strlen(ver) <= 64)
        op_sets(&op->agent_version, ver);
}

int otlp_attr_ms(const struct otlp_attrs *a, const char *key, double *ms)
{
    *ms = NAN;
    if (!otlp_attrs_get(a, key))
        return 0;
    double d;
    if (!otlp_attrs_num(a, key, &d) || d < 0 || d > TP_MAX_DURATION_MS)
        return -1;
    *ms = d;
    return 1;
}

int64_t otlp_attr_count(const struct otlp_attrs *a, const char *key)
{
    double d;
    if (!otlp_attrs_num(a, key, &d) || d < 0 || d > 9e15 || d != floor(d))
        return -1;
    return (int64_t)d;
}

#define SINK_SLOT(k, arr, n, cap)                                                                  \
    do {                                                                                           \
        if ((k)->out->n == (k)->cap) {                                                             \
            (k)->cap = (k)->cap ? 2 * (k)->cap : 16;                                               \
            (k)->out->arr = xreallocarray((k)->out->arr, (k)->cap, sizeof *(k)->out->arr);         \
        }                                                                                          \
    } while (0)

struct op *otlp_sink_op(struct otlp_sink *k)
{
    SINK_SLOT(k, ops, nops, cap_ops);
    struct op *op = &k->out->ops[k->out->nops++];
    op_init(op);
    return op;
}

struct turn *otlp_sink_turn(struct otlp_sink *k)
{
    SINK_SLOT(k, turns, nturns, cap_turns);
    struct turn *t = &k->out->turns[k->out->nturns++];
    turn_init(t);
    return t;
}

struct request *otlp_sink_req(struct otlp_sink *k)
{
    SINK_SLOT(k, reqs, nreqs, cap_reqs);
    struct request *r = &k->out->reqs[k->out->nreqs++];
    request_init(r);
    return r;
}

struct usage *otlp_sink_usage(struct otlp_sink *k)
{
    SINK_SLOT(k, usage, nusage, cap_usage);
    struct usage *u = &k->out->usage[k->out->nusage++];
    usage_init(u);
    return u;
}

void otlp_sink_unop(struct otlp_sink *k)
{
    assert(k->out->nops > 0);
    op_clear(&k->out->ops[--k->out->nops]);
}

void otlp_sink_unturn(struct otlp_sink *k)
{
    assert(k->out->nturns > 0);
    turn_clear(&k->out->turns[--k->out->nturns]);
}

void otlp_sink_unreq(struct otlp_sink *k)
{
    assert(k->out->nreqs > 0);
    request_clear(&k->out->reqs[--k->out->nreqs]);
}

void otlp_sink_unusage(struct otlp_sink *k)
{
    assert(k->out->nusage > 0);
    usage_clear(&k->out->usage[--k->out->nusage]);
}

void otlp_sink_reject(struct otlp_sink *k, const char *kind, size_t at, const char *why)
{
    if (k->c->rejected++ == 0)
        snprintf(k->c->first_error, sizeof k->c->first_error, "%s %zu: %.200s", kind, at, why);
}

void otlp_out_free(struct otlp_out *o)
{
    for (size_t i = 0; i < o->nops; i++)
        op_clear(&o->ops[i]);
    for (size_t i = 0; i < o->nturns; i++)
        turn_clear(&o->turns[i]);
    for (size_t i = 0; i < o->nreqs; i++)
        request_clear(&o->reqs[i]);
    for (size_t i = 0; i < o->nusage; i++)
        usage_clear(&o->usage[i]);
    free(o->ops);
    free(o->turns);
    free(o->reqs);
    free(o->usage);
    memset(o, 0, sizeof *o);
}

/* ---- the request --------------------------------------------------------- */

int otlp_decode(enum otlp_signal sig, enum otlp_encoding enc, const void *body, size_t len,
                struct otlp_batch *b, char *errbuf)
{
    if (enc == OTLP_PROTOBUF)
        return otlp_pb_decode(sig, body, len, b, errbuf);
    return otlp_json_decode(sig, body, len, b, errbuf);
}

/* Fill what *dst lacks from *src (both normalized, one call). */
static void fill_str(char **dst, char **src)
{
    if (!*dst && *src) {
        *dst = *src;
        *src = NULL;
    }
}

/* Both reports' metadata in one object (the first's value of a key in
 * both), within TP_MAX_META; the first's alone when the union is bigger. */
static void meta_union(char **dst, char **src)
{
    if (!*src)
        return;
    if (!*dst) {
        fill_str(dst, src);
        return;
    }
    char err[TP_ERR_MAX];
    cJSON *a = jin_parse(*dst, strlen(*dst), JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    cJSON *b = jin_parse(*src, strlen(*src), JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        for (cJSON *m = b->child; m; m = m->next)
            if (!cJSON_GetObjectItemCaseSensitive(a, m->string))
                cJSON_AddItemToObject(a, m->string, cJSON_Duplicate(m, 1));
        char *u = cJSON_PrintUnformatted(a);
        if (u && strlen(u) <= TP_MAX_META) {
            free(*dst);
            *dst = xstrdup(u);
        }
        free(u);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* One op per call: a request may report a call twice (its decision and
 * its result, or its span and its result). Merge them as the store would
 * (phase by phase, a failure stands), so that the request's count is its
 * calls and the earliest report's time is the call's start. */
static void merge_calls(struct otlp_out *o)
{
    struct kmap ids;
    kmap_init(&ids);
    size_t w = 0;
    for (size_t r = 0; r < o->nops; r++) {
        struct op *op = &o->ops[r];
        int added;
        size_t k = kmap_put(&ids, op->tool_use_id, strlen(op->tool_use_id), &added);
        if (added) {
            if (w != r)
                o->ops[w] = *op;
            w++;
            continue;
        }
        assert(k < w); /* indexes follow first sightings, kept in front */
        struct op *e = &o->ops[k];
        struct op_phases pe, pn;
        op_phases_get(e, &pe);
        op_phases_get(op, &pn);
        op_phases_merge(&pe, &pn, 0, NULL);
        op_phases_put(e, &pe);
        if (op->ts_ms < e->ts_ms)
            e->ts_ms = op->ts_ms;
        e->success &= op->success;
        if (strcmp(e->tool, "mcp_tool") == 0 && strcmp(op->tool, "mcp_tool") != 0) {
            free(e->tool);
            e->tool = op->tool;
            op->tool = NULL;
        }
        fill_str(&e->target, &op->target);
        fill_str(&e->session_id, &op->session_id);
        fill_str(&e->subagent, &op->subagent);
        fill_str(&e->error, &op->error);
        meta_union(&e->meta, &op->meta);
        fill_str(&e->agent, &op->agent);
        fill_str(&e->agent_version, &op->agent_version);
        if (e->result_bytes < 0)
            e->result_bytes = op->result_bytes;
        if (e->size_bytes < 0)
            e->size_bytes = op->size_bytes;
        op_clear(op);
    }
    o->nops = w;
    kmap_free(&ids);
}

int otlp_map(const struct otlp_batch *b, int64_t now_ms, struct otlp_joins *joins,
             struct otlp_out *out, struct otlp_counts *counts, char *errbuf)
{
    struct otlp_counts c;
    (void)errbuf; /* no whole-batch error: decoding found those */
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    /* Records the decoder refused one by one come first in the count. */
    c.records = b->nlogs + b->nspans + b->npoints + b->dropped;
    c.rejected = b->dropped;
    if (b->dropped)
        snprintf(c.first_error, sizeof c.first_error, "%s", b->first_error);
    struct otlp_sink k = {out, &c, now_ms, 0, 0, 0, 0};
    otlp_map_logs(b, joins, &k);
    otlp_map_spans(b, joins, &k);
    otlp_map_metrics(b, &k);
    merge_calls(out);
    if (counts)
        *counts = c;
    return 0;
}

void otlp_write_response(struct buf *out, enum otlp_encoding enc, enum otlp_signal sig,
                         size_t rejected, const char *message)
{
    static const char *const json_names[4] = {"rejectedLogRecords", "rejectedLogRecords",
                                              "rejectedSpans", "rejectedDataPoints"};
    if (rejected == 0) {
        if (enc == OTLP_JSON)
            buf_adds(out, "{}");
        return;
    }
    if (enc == OTLP_JSON) {
        struct jsonw w;
        char num[32];
        jw_init(&w, out);
        jw_obj_begin(&w);
        jw_key(&w, "partialSuccess");
        jw_obj_begin(&w);
        /* int64 fields are strings in the proto3 JSON mapping. */
        snprintf(num, sizeof num, "%zu", rejected);
        jw_kstr(&w, json_names[sig], num);
        jw_kstr(&w, "errorMessage", message ? message : "");
        jw_obj_end(&w);
        jw_obj_end(&w);
        jw_finish(&w);
        return;
    }
    /* Export*ServiceResponse { 1: Export*PartialSuccess { 1: int64
     * rejected_*, 2: string error_message } } */
    struct buf inner;
    buf_init(&inner, 4096);
    pb_put_uint(&inner, 1, rejected);
    if (message && *message)
        pb_put_bytes(&inner, 2, message, strlen(message));
    pb_put_bytes(out, 1, inner.data, inner.len);
    buf_free(&inner);
}

void otlp_write_status(struct buf *out, enum otlp_encoding enc, int grpc_code, const char *message)
{
    if (enc == OTLP_JSON) {
        struct jsonw w;
        jw_init(&w, out);
        jw_obj_begin(&w);
        jw_kbool(&w, "success", 0);
        jw_kint(&w, "code", grpc_code);
        jw_kstr(&w, "message", message ? message : "");
        jw_obj_end(&w);
        jw_finish(&w);
        return;
    }
    /* google.rpc.Status { 1: int32 code, 2: string message } */
    pb_put_uint(out, 1, (uint64_t)grpc_code);
    if (message && *message)
        pb_put_bytes(out, 2, message, strlen(message));
}

int otlp_logs_parse(const char *body, size_t len, int64_t now_ms, struct op **ops, size_t *nops,
                    struct otlp_counts *counts, char *errbuf)
{
    struct otlp_batch b;
    struct otlp_out out;
    *ops = NULL;
    *nops = 0;
    if (counts)
        memset(counts, 0, sizeof *counts);
    int rc = otlp_json_decode(OTLP_LOGS, body, len, &b, errbuf);
    if (rc == 0 && (rc = otlp_map(&b, now_ms, NULL, &out, counts, errbuf)) == 0) {
        /* The calls only: hand their array over, free the rest. */
        *ops = out.nops ? out.ops : NULL;
        *nops = out.nops;
        if (!out.nops)
            free(out.ops);
        out.ops = NULL;
        out.nops = 0;
        otlp_out_free(&out);
    }
    otlp_batch_free(&b);
    return rc;
}
