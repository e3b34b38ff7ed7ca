/*
 * otlp.c - OTLP/HTTP JSON logs from Claude Code (see otlp.h).
 *
 * An ExportLogsServiceRequest nests records three deep (resourceLogs ->
 * scopeLogs -> logRecords), and a record's facts sit in a list of
 * {key, value} attributes whose values are proto3 AnyValue objects. The
 * walk below is deliberately forgiving below the top level: a resource,
 * scope or record of the wrong shape is skipped and counted, never fatal,
 * because an exporter cannot act on "your batch had one odd record" and
 * the rest of the batch is good data. Only a body that is not a logs
 * request at all is refused.
 *
 * Value types follow what Claude Code really sends (formats doc, 3.4):
 * tool_result numbers and booleans as strings ("62", "true"), intValue as
 * a bare number or a decimal string, timeUnixNano as a string. Every
 * reader here accepts all of those forms.
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
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
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

/* ---- AnyValue and attributes --------------------------------------------- */

/* The AnyValue of attribute `key` in a [{key, value}] list, or NULL. */
static const cJSON *otlp_attr(const cJSON *attrs, const char *key)
{
    const cJSON *kv;
    cJSON_ArrayForEach(kv, attrs)
    {
        const char *k = jin_str(kv, "key");
        if (k && strcmp(k, key) == 0) {
            const cJSON *v = jin_get(kv, "value");
            return cJSON_IsObject(v) ? v : NULL;
        }
    }
    return NULL;
}

static const char *otlp_str(const cJSON *attrs, const char *key)
{
    const char *s = jin_str(otlp_attr(attrs, key), "stringValue");
    return s && *s ? s : NULL;
}

/* A number in any of its encodings; 1 when found. */
static int otlp_num(const cJSON *attrs, const char *key, double *out)
{
    const cJSON *v = otlp_attr(attrs, key);
    static const char *const forms[] = {"intValue", "doubleValue", "stringValue"};
    if (!v)
        return 0;
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (jin_num_lax(v, forms[i], out) == 1 && isfinite(*out))
            return 1;
    return 0;
}

static int otlp_bool(const cJSON *attrs, const char *key, int *out)
{
    const cJSON *v = otlp_attr(attrs, key);
    double d;
    if (!v)
        return 0;
    if (jin_bool_lax(v, "boolValue", out) == 1 || jin_bool_lax(v, "stringValue", out) == 1)
        return 1;
    if (jin_num_lax(v, "intValue", &d) == 1) {
        *out = d != 0;
        return 1;
    }
    return 0;
}

/* timeUnixNano and friends: a decimal string or a number; 0 means unset. */
static int otlp_nanos_ms(const cJSON *rec, const char *key, int64_t *out)
{
    const cJSON *v = jin_get(rec, key);
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        unsigned long long ns = 0;
        if (!*s || strlen(s) > 20)
            return 0;
        for (; *s; s++) {
            if (*s < '0' || *s > '9' || ns > (ULLONG_MAX - 9) / 10)
                return 0;
            ns = ns * 10 + (unsigned)(*s - '0');
        }
        if (ns == 0)
            return 0;
        *out = (int64_t)(ns / 1000000ULL);
        return 1;
    }
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0 &&
        v->valuedouble < 9.2e18) {
        *out = (int64_t)(v->valuedouble / 1e6);
        return 1;
    }
    return 0;
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
static int otlp_record(const cJSON *rec, int64_t now_ms, struct op *op, char *errbuf)
{
    const cJSON *attrs = jin_get(rec, "attributes");
    const char *name, *s;
    cJSON *input = NULL, *params = NULL;
    char err[TP_ERR_MAX], pos[2 * TP_MAX_ID + 64];
    int64_t end_ms;
    double d;
    int b;

    op_init(op);
    if (!cJSON_IsArray(attrs))
        attrs = NULL;
    /* Event identity: the event.name attribute wins, then the record's
     * eventName field, then the body. */
    name = otlp_str(attrs, "event.name");
    if (!name)
        name = jin_str(rec, "eventName");
    if (!name)
        name = jin_str(jin_get(rec, "body"), "stringValue");
    if (!otlp_is_tool_result(name))
        return OTLP_REC_OTHER;

    s = otlp_str(attrs, "tool_name");
    if (!s)
        s = otlp_str(attrs, "name"); /* July 2025 exports */
    if (!s) {
        tp_fail(errbuf, TP_EINVAL, "tool_result record without a tool_name string");
        return OTLP_REC_BAD;
    }
    op_sets(&op->tool, s);
    op->source = OP_SRC_OTLP;

    if ((s = otlp_str(attrs, "tool_parameters")) != NULL)
        params = otlp_parse(s, strlen(s), err);
    if (!cJSON_IsObject(params)) {
        cJSON_Delete(params);
        params = NULL;
    }
    if (strcmp(op->tool, "mcp_tool") == 0)
        otlp_mcp_name(op, params);
    if ((s = otlp_str(attrs, "tool_input")) != NULL)
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
    if (otlp_attr(attrs, "duration_ms")) {
        if (!otlp_num(attrs, "duration_ms", &d) || d < 0 || d > TP_MAX_DURATION_MS) {
            tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds in 0..%.0f",
                    TP_MAX_DURATION_MS);
            goto bad;
        }
        op->duration_ms = d;
    }
    if (otlp_bool(attrs, "success", &b))
        op->success = b;
    s = otlp_str(attrs, "error");
    if (!s && !op->success)
        s = otlp_str(attrs, "error_type");
    op_sets(&op->error, s);
    toolcall_meta_str(op, "error_type", otlp_str(attrs, "error_type"));
    toolcall_meta_str(op, "decision_source", otlp_str(attrs, "decision_source"));
    if (otlp_num(attrs, "tool_result_size_bytes", &d) && d >= 0 && d < 9e15)
        op->result_bytes = (int64_t)d;
    if (otlp_num(attrs, "tool_input_size_bytes", &d) && d >= 0 && d < 9e15)
        toolcall_meta_int(op, "input_bytes", (long long)d);
    op_sets(&op->session_id, otlp_str(attrs, "session.id"));
    op_sets(&op->tool_use_id, otlp_str(attrs, "tool_use_id"));

    /* The record is written when the call ends. */
    s = otlp_str(attrs, "event.timestamp");
    if (!(s && tpt_parse_iso(s, TPT_NAIVE_UTC, &end_ms) == 0) &&
        !otlp_nanos_ms(rec, "timeUnixNano", &end_ms) &&
        !otlp_nanos_ms(rec, "observedTimeUnixNano", &end_ms))
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
        otlp_num(attrs, "event.sequence", &seq);
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

struct otlp_out {
    struct op *ops;
    size_t n, cap;
    size_t seen; /* records so far, for messages */
    struct otlp_counts counts;
    int64_t now_ms;
};

static void otlp_reject(struct otlp_out *o, const char *why)
{
    if (o->counts.rejected++ == 0)
        snprintf(o->counts.first_error, sizeof o->counts.first_error, "log record %zu: %.200s",
                 o->seen, why);
}

static void otlp_records(struct otlp_out *o, const cJSON *records)
{
    const cJSON *rec;
    char err[TP_ERR_MAX];
    cJSON_ArrayForEach(rec, records)
    {
        o->seen++;
        if (!cJSON_IsObject(rec)) {
            otlp_reject(o, "not an object");
            continue;
        }
        if (o->n >= TP_MAX_BATCH) {
            snprintf(err, sizeof err, "over %d tool results in one request", TP_MAX_BATCH);
            otlp_reject(o, err);
            continue;
        }
        if (o->n == o->cap) {
            o->cap = o->cap ? 2 * o->cap : 16;
            o->ops = xreallocarray(o->ops, o->cap, sizeof *o->ops);
        }
        switch (otlp_record(rec, o->now_ms, &o->ops[o->n], err)) {
        case OTLP_REC_OP: o->n++; break;
        case OTLP_REC_OTHER: o->counts.ignored++; break;
        default: otlp_reject(o, err); break;
        }
    }
}

int otlp_logs_parse(const char *body, size_t len, int64_t now_ms, struct op **ops, size_t *nops,
                    struct otlp_counts *counts, char *errbuf)
{
    struct otlp_out o = {.now_ms = now_ms};
    char err[TP_ERR_MAX];
    const cJSON *rl, *r, *sl, *s;
    cJSON *root;

    *ops = NULL;
    *nops = 0;
    if (counts)
        memset(counts, 0, sizeof *counts);
    root = otlp_parse(body, len, err);
    if (!root)
        return tp_fail(errbuf, TP_EPARSE, "not JSON: %s", err);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return tp_fail(errbuf, TP_EPARSE, "an OTLP logs request is a JSON object");
    }
    rl = jin_get(root, "resourceLogs");
    if (rl && !cJSON_IsNull(rl) && !cJSON_IsArray(rl)) {
        cJSON_Delete(root);
        return tp_fail(errbuf, TP_EPARSE, "resourceLogs must be an array");
    }
    cJSON_ArrayForEach(r, rl)
    {
        sl = jin_get(r, "scopeLogs");
        if (!sl)
            sl = jin_get(r, "instrumentationLibraryLogs"); /* OTLP before 0.15 */
        if (!cJSON_IsArray(sl))
            continue;
        cJSON_ArrayForEach(s, sl)
        {
            const cJSON *records = jin_get(s, "logRecords");
            if (cJSON_IsArray(records))
                otlp_records(&o, records);
        }
    }
    cJSON_Delete(root);
    if (o.n == 0) {
        free(o.ops);
        o.ops = NULL;
    }
    *ops = o.ops;
    *nops = o.n;
    if (counts)
        *counts = o.counts;
    return 0;
}
