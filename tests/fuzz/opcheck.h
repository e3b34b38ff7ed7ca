/*
 * opcheck.h - the promises of a stored operation, for the fuzz targets.
 *
 * Every ingester ends in op_normalize(), the one gate before the store. An
 * op that passed it must keep the promises op.h makes (every string valid
 * UTF-8 without NUL and within its limit, metadata a JSON object, duration
 * and time in range), and must survive the ways toolprof writes it out and
 * reads it back: the operation object (API answers, jsonl export, spool)
 * and the daily-file layout (seed export). Both checks abort() on a broken
 * promise, which libFuzzer reports as a crash with the input that caused it.
 *
 * Header-only (static functions), included by the targets that need it.
 */
#ifndef TOOLPROF_FUZZ_OPCHECK_H
#define TOOLPROF_FUZZ_OPCHECK_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "store/op.h"
#include "store/opjson.h"

static int opcheck_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A string field: NULL, or valid UTF-8 without NUL of 1..max bytes. */
static int opcheck_str_ok(const char *s, size_t max)
{
    if (!s)
        return 1;
    size_t n = strlen(s);
    return n > 0 && n <= max && utf8_valid_text(s, n);
}

/* The promises of op.h for an op that op_normalize() accepted. */
static void opcheck_valid(const struct op *op, int64_t now_ms)
{
    if (!op->tool || !opcheck_str_ok(op->tool, TP_MAX_TOOL))
        abort();
    for (const unsigned char *p = (const unsigned char *)op->tool; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();
    if (!opcheck_str_ok(op->target, TP_MAX_TARGET) || !opcheck_str_ok(op->error, TP_MAX_ERROR) ||
        !opcheck_str_ok(op->project, TP_MAX_PROJECT) ||
        !opcheck_str_ok(op->session_id, TP_MAX_ID) || !opcheck_str_ok(op->tool_use_id, TP_MAX_ID) ||
        !opcheck_str_ok(op->meta, TP_MAX_META))
        abort();
    if (!isnan(op->duration_ms) && !(op->duration_ms >= 0 && op->duration_ms <= TP_MAX_DURATION_MS))
        abort();
    if (op->ts_ms < TP_MIN_TS_MS || op->ts_ms > now_ms + TP_FUTURE_SLACK_MS)
        abort();
    if ((unsigned)op->source >= OP_SRC_COUNT || (op->success != 0 && op->success != 1) ||
        (op->optimized != 0 && op->optimized != 1) || op->size_bytes < -1 || op->result_bytes < -1)
        abort();
    if (op->meta) {
        /* Stored as it is and written raw into every answer: it must be a
         * JSON object on its own. */
        char err[TP_ERR_MAX];
        cJSON *m = jin_parse(op->meta, strlen(op->meta), JIN_STRICT, TP_MAX_JSON_DEPTH, err);
        if (!m || !cJSON_IsObject(m))
            abort();
        cJSON_Delete(m);
    }
}

/* Write op (normalized, with an id) as toolprof writes it, read it back as
 * toolprof reads that layout, normalize again, and require the same op.
 * seed != 0 uses the daily-file layout (opjson_write_seed, read with
 * OPJ_NAIVE_LOCAL), else the operation object. */
static void opcheck_round_trip(const struct op *op, int64_t now_ms, int seed)
{
    char err[TP_ERR_MAX] = "";
    struct buf b;
    struct jsonw w;
    struct op back;
    buf_init(&b, 1024 * 1024);
    jw_init(&w, &b);
    if (seed)
        opjson_write_seed(&w, op);
    else
        opjson_write(&w, op, 0);
    if (jw_finish(&w) != 0)
        abort();
    cJSON *obj = jin_parse(b.data, b.len, JIN_STRICT | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    if (!obj)
        abort(); /* we wrote something we cannot read */
    int flags = OPJ_KEEP_SOURCE | (seed ? OPJ_NAIVE_LOCAL : 0);
    if (opjson_read(obj, flags, OP_SRC_API, now_ms, &back, err) != 0 ||
        op_normalize(&back, now_ms, err) != 0)
        abort(); /* we wrote something we refuse to read */
    if (!opcheck_same(back.tool, op->tool) || !opcheck_same(back.target, op->target) ||
        !opcheck_same(back.tool_use_id, op->tool_use_id) ||
        !opcheck_same(back.session_id, op->session_id) ||
        !opcheck_same(back.project, op->project) || !opcheck_same(back.error, op->error) ||
        !opcheck_same(back.meta, op->meta) || back.source != op->source ||
        back.success != op->success || back.optimized != op->optimized || back.ts_ms != op->ts_ms ||
        back.size_bytes != op->size_bytes || back.result_bytes != op->result_bytes ||
        (isnan(back.duration_ms)
             ? !isnan(op->duration_ms)
             : back.duration_ms != op->duration_ms || back.duration_is_int != op->duration_is_int))
        abort();
    op_clear(&back);
    cJSON_Delete(obj);
    buf_free(&b);
}

/* Both checks and both layouts. */
static void opcheck_all(const struct op *op, int64_t now_ms)
{
    opcheck_valid(op, now_ms);
    opcheck_round_trip(op, now_ms, 0);
    opcheck_round_trip(op, now_ms, 1);
}

#endif
