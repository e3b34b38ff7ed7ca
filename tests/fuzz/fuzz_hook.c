/*
 * fuzz_hook.c - libFuzzer target for the hook's payload path.
 *
 * Claude Code hands the hook whatever its tools produced, so the path from
 * stdin bytes to a spooled line must survive any input: the bytes are
 * parsed as the hook parses them (strict, then JIN_REPAIR), mapped with
 * hook_payload_to_op(), normalized, and then sent through the spool's
 * layout and back (opjson_write, opjson_read with OPJ_KEEP_SOURCE,
 * op_normalize). The promises checked: an op that passed op_normalize
 * passes it again after the round trip, with the same tool, target, id,
 * time, duration, flags and sizes; a rejected payload leaves a message.
 * The bytes are also given to hook_log_sniff(). A broken promise aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
 *     $(pkg-config --cflags libcjson) tests/fuzz/fuzz_hook.c src/ingest/hook.c \
 *     src/ingest/toolcall.c src/store/op.c src/store/opjson.c src/store/spool.c \
 *     src/store/store.c src/store/sketch.c src/core/?*.c -lcjson -lsqlite3 -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "ingest/hook.h"
#include "store/opjson.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void fuzz_round_trip(const struct op *op)
{
    char err[TP_ERR_MAX] = "";
    struct buf b;
    struct jsonw w;
    struct op back;
    buf_init(&b, 1024 * 1024);
    jw_init(&w, &b);
    opjson_write(&w, op, 0);
    if (jw_finish(&w) != 0)
        abort();
    cJSON *obj = jin_parse(b.data, b.len, JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    if (!obj)
        abort(); /* we wrote something we cannot read */
    if (opjson_read(obj, OPJ_KEEP_SOURCE, OP_SRC_HOOK, FUZZ_NOW_MS, &back, err) != 0 ||
        op_normalize(&back, FUZZ_NOW_MS, err) != 0)
        abort();
    if (!same(back.tool, op->tool) || !same(back.target, op->target) ||
        !same(back.tool_use_id, op->tool_use_id) || back.source != op->source ||
        back.success != op->success || back.ts_ms != op->ts_ms || back.optimized != op->optimized ||
        back.size_bytes != op->size_bytes || back.result_bytes != op->result_bytes ||
        (isnan(back.duration_ms) ? !isnan(op->duration_ms) : back.duration_ms != op->duration_ms))
        abort();
    op_clear(&back);
    cJSON_Delete(obj);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[TP_ERR_MAX] = "";
    struct op op;

    hook_log_sniff((const char *)data, size);
    cJSON *payload = jin_parse((const char *)data, size, JIN_REPAIR, TP_MAX_JSON_DEPTH, err);
    if (!payload)
        return 0;
    int rc = hook_payload_to_op(payload, FUZZ_NOW_MS, &op, err);
    if (rc != 0 && err[0] == '\0')
        abort();
    if (rc == 0) {
        err[0] = '\0';
        if (op_normalize(&op, FUZZ_NOW_MS, err) == 0) {
            if (!op.tool_use_id)
                op.tool_use_id = op_derive_id(&op, "hook");
            fuzz_round_trip(&op);
        } else if (err[0] == '\0') {
            abort();
        }
    }
    op_clear(&op);
    cJSON_Delete(payload);
    return 0;
}
