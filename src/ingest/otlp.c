/*
 * otlp.c - OpenTelemetry requests as operations (see otlp.h).
 *
 * Decoding lives in otlp_json.c and otlp_pb.c, which both fill the model
 * of otlp_model.h; this file maps the model to toolprof's records, so a
 * protobuf log record and a JSON one become the same op. A record's facts
 * sit in its attributes, read whatever their value type (formats doc 3.4:
 * tool_result numbers and booleans arrive as strings, "62" and "true",
 * typed values elsewhere); the lookups of otlp_model.h accept every form.
 * Records the decoder refused one by one (a record that is not an object,
 * one over the attribute cap) and tool results that cannot be stored are
 * reported together as OTLP's partial success: an exporter must not retry
 * them, and the rest of the batch is good data.
 *
 * The call's identity and description come from the same places as the
 * hook's: tool_use_id when present (2.1.119+), and toolcall_describe() over
 * the tool_input attribute, a JSON string that only exists when the user
 * set OTEL_LOG_TOOL_DETAILS=1. tool_parameters (also gated) fills in the
 * Bash command, the skill and the real name behind the "mcp_tool" alias.
 *
 * Bodies may be gzipped; otlp_gunzip() inflates under a hard cap and stops
 * the moment the output would pass it, so a small bomb costs at most the
 * cap in memory and never more CPU than producing that much.
 */
#include "otlp.h"

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
#include "core/pb.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_pb.h"
#include "ingest/toolcall.h"

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

/* A time in nanoseconds as milliseconds; 0 when unset. */
static int otlp_nanos_ms(uint64_t ns, int64_t *out)
{
    if (ns == 0 || ns / 1000000ULL > (uint64_t)INT64_MAX)
        return 0;
    *out = (int64_t)(ns / 1000000ULL);
    return 1;
}

/* 1 when the event name (with or without the claude_code. prefix) is
 * tool_result. */
static int otlp_is_tool_result(const char *name)
{
    if (!name)
        return 0;
    if (strncmp(name, "claude_code.", 12) == 0)
        name += 12;
    return strcmp(name, "tool_result") == 0;
}

/* JSON that must not be lost for one bad byte, parsed strictly first: the
 * repair pass of JIN_REPAIR copies its input character by character, and
 * valid input (nearly all of it) only needs validating. */
static cJSON *otlp_parse(const char *data, size_t len, char *errbuf)
{
    cJSON *j = jin_parse(data, len, JIN_STRICT, TP_MAX_JSON_DEPTH, errbuf);
    return j ? j : jin_parse(data, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, errbuf);
}

/* ---- one record ---------------------------------------------------------- */

enum { OTLP_REC_OP = 0, OTLP_REC_OTHER = 1, OTLP_REC_BAD = 2 };

/* The real MCP tool name behind the "mcp_tool" alias, from the gated
 * tool_parameters. */
static void otlp_mcp_name(struct op *op, const cJSON *params)
{
    const char *srv = jin_str(params, "mcp_server_name"), *tool = jin_str(params, "mcp_tool_name");
    if (!srv || !tool || !*srv || !*tool || strlen(srv) + strlen(tool) + 8 > TP_MAX_TOOL)
        return;
    char name[TP_MAX_TOOL + 1];
    snprintf(name, sizeof name, "mcp__%s__%s", srv, tool);
    op_sets(&op->tool, name);
}

/* One log record: OTLP_REC_OP with *op filled and normalized, _OTHER for
 * another event, _BAD with the reason in errbuf for a tool_result record
 * that cannot be stored as it is. */
static int otlp_record(const struct otlp_log *rec, int64_t now_ms, struct op *op, char *errbuf)
{
    const struct otlp_attrs *attrs = &rec->attrs;
    const char *name, *s;
    cJSON *input = NULL, *params = NULL;
    char err[TP_ERR_MAX], pos[2 * TP_MAX_ID + 64];
    int64_t end_ms;
    double d;
    int b;

    op_init(op);
    /* Event identity: the event.name attribute wins, then the record's
     * event_name field, then the body. */
    name = otlp_attrs_str(attrs, "event.name");
    if (!name)
        name = rec->event_name;
    if (!name && rec->body.type == OTLP_V_STR)
        name = rec->body.s;
    if (!otlp_is_tool_result(name))
        return OTLP_REC_OTHER;

    s = otlp_attrs_str(attrs, "tool_name");
    if (!s)
        s = otlp_attrs_str(attrs, "name"); /* July 2025 exports */
    if (!s) {
        tp_fail(errbuf, TP_EINVAL, "tool_result record without a tool_name string");
        return OTLP_REC_BAD;
    }
    op_sets(&op->tool, s);
    op->source = OP_SRC_OTLP;

    if ((s = otlp_attrs_str(attrs, "tool_parameters")) != NULL)
        params = otlp_parse(s, strlen(s), err);
    if (!cJSON_IsObject(params)) {
        cJSON_Delete(params);
        params = NULL;
    }
    if (strcmp(op->tool, "mcp_tool") == 0)
        otlp_mcp_name(op, params);
    if ((s = otlp_attrs_str(attrs, "tool_input")) != NULL)
        input = otlp_parse(s, strlen(s), err);
    toolcall_describe(op, input, NULL);
    if (!op->target && params) {
        const char *t = jin_str(params, "full_command");
        if (!t)
            t = jin_str(params, "bash_command");
        if (!t)
            t = jin_str(params, "skill_name");
        if (t && *t)
            op_sets(&op->target, t);
    }
    toolcall_meta_str(op, "subagent_type", jin_str(params, "subagent_type"));

    /* No duration is an unknown duration; a broken one is a broken
     * exporter, and the record is refused like the API refuses it. */
    if (otlp_attrs_get(attrs, "duration_ms")) {
        if (!otlp_attrs_num(attrs, "duration_ms", &d) || d < 0 || d > TP_MAX_DURATION_MS) {
            tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds in 0..%.0f",
                    TP_MAX_DURATION_MS);
            goto bad;
        }
        op->duration_ms = d;
    }
    if (otlp_attrs_bool(attrs, "success", &b))
        op->success = b;
    s = otlp_attrs_str(attrs, "error");
    if (!s && !op->success)
        s = otlp_attrs_str(attrs, "error_type");
    op_sets(&op->error, s);
    toolcall_meta_str(op, "error_type", otlp_attrs_str(attrs, "error_type"));
    toolcall_meta_str(op, "decision_source", otlp_attrs_str(attrs, "decision_source"));
    if (otlp_attrs_num(attrs, "tool_result_size_bytes", &d) && d >= 0 && d < 9e15)
        op->result_bytes = (int64_t)d;
    if (otlp_attrs_num(attrs, "tool_input_size_bytes", &d) && d >= 0 && d < 9e15)
        toolcall_meta_int(op, "input_bytes", (long long)d);
    op_sets(&op->session_id, otlp_attrs_str(attrs, "session.id"));
    op_sets(&op->tool_use_id, otlp_attrs_str(attrs, "tool_use_id"));

    /* The record is written when the call ends. */
    s = otlp_attrs_str(attrs, "event.timestamp");
    if (!(s && tpt_parse_iso(s, TPT_NAIVE_UTC, &end_ms) == 0) &&
        !otlp_nanos_ms(rec->time_ns, &end_ms) && !otlp_nanos_ms(rec->observed_ns, &end_ms))
        end_ms = now_ms;
    op->ts_ms = isnan(op->duration_ms) ? end_ms : end_ms - (int64_t)llround(op->duration_ms);

    cJSON_Delete(input);
    cJSON_Delete(params);
    input = params = NULL;
    if (op_normalize(op, now_ms, errbuf) != 0)
        goto bad;
    if (!op->tool_use_id) {
        /* Before 2.1.119: the session and its event sequence number name
         * the record, so a batch the exporter retries is stored once. */
        double seq = -1;
        otlp_attrs_num(attrs, "event.sequence", &seq);
        snprintf(pos, sizeof pos, "otlp:%s:%.0f", op->session_id ? op->session_id : "", seq);
        op->tool_use_id = op_derive_id(op, pos);
    }
    return OTLP_REC_OP;

bad:
    cJSON_Delete(input);
    cJSON_Delete(params);
    op_clear(op);
    return OTLP_REC_BAD;
}

/* ---- the request --------------------------------------------------------- */

int otlp_decode(enum otlp_signal sig, enum otlp_encoding enc, const void *body, size_t len,
                struct otlp_batch *b, char *errbuf)
{
    if (enc == OTLP_PROTOBUF)
        return otlp_pb_decode(sig, body, len, b, errbuf);
    return otlp_json_decode(sig, body, len, b, errbuf);
}

static void otlp_reject(struct otlp_counts *c, size_t at, const char *why)
{
    if (c->rejected++ == 0)
        snprintf(c->first_error, sizeof c->first_error, "log record %zu: %.200s", at, why);
}

/* The integrator extends this function with the traces and metrics
 * mappers (phases of calls from spans, per-session usage from points);
 * until then their records are accepted and counted as not used. */
int otlp_map(const struct otlp_batch *b, int64_t now_ms, struct op **ops, size_t *nops,
             struct otlp_counts *counts, char *errbuf)
{
    struct otlp_counts c;
    struct op *out = NULL;
    size_t n = 0;
    char err[TP_ERR_MAX];

    (void)errbuf; /* no whole-batch error yet: decoding found those */
    memset(&c, 0, sizeof c);
    *ops = NULL;
    *nops = 0;
    /* Records the decoder refused one by one come first in the count. */
    c.records = b->nlogs + b->nspans + b->npoints + b->dropped;
    c.rejected = b->dropped;
    if (b->dropped)
        snprintf(c.first_error, sizeof c.first_error, "%s", b->first_error);
    if (b->nlogs)
        out = xcalloc(b->nlogs, sizeof *out);
    for (size_t i = 0; i < b->nlogs; i++) {
        switch (otlp_record(&b->logs[i], now_ms, &out[n], err)) {
        case OTLP_REC_OP: n++; break;
        case OTLP_REC_OTHER: c.ignored++; break;
        default: otlp_reject(&c, i + 1, err); break;
        }
    }
    c.ignored += b->nspans + b->npoints;
    if (n == 0) {
        free(out);
        out = NULL;
    }
    *ops = out;
    *nops = n;
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
    *ops = NULL;
    *nops = 0;
    if (counts)
        memset(counts, 0, sizeof *counts);
    int rc = otlp_json_decode(OTLP_LOGS, body, len, &b, errbuf);
    if (rc == 0)
        rc = otlp_map(&b, now_ms, ops, nops, counts, errbuf);
    otlp_batch_free(&b);
    return rc;
}
