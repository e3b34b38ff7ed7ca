/*
 * fuzz_otlp.c - libFuzzer target for the OTLP logs receiver.
 *
 * POST /v1/logs takes any bytes from any local process. The input is
 * parsed as a logs request (otlp_logs_parse) and also inflated as a gzip
 * body (otlp_gunzip, with a small cap so that bombs are cheap to find).
 * The promises checked: a whole-body error leaves no ops and a message;
 * every op returned passes op_normalize again and carries an id; gunzip
 * either fails with a message or returns at most the cap, NUL-terminated.
 * A broken promise aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc \
 *     $(pkg-config --cflags libcjson) tests/fuzz/fuzz_otlp.c src/ingest/otlp.c \
 *     src/ingest/toolcall.c src/store/op.c src/core/?*.c -lcjson -lz -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "ingest/otlp.h"

#define FUZZ_NOW_MS 1790000000000LL
#define FUZZ_GUNZIP_CAP (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[TP_ERR_MAX] = "";
    struct op *ops;
    size_t n;
    struct otlp_counts counts;

    int rc = otlp_logs_parse((const char *)data, size, FUZZ_NOW_MS, &ops, &n, &counts, err);
    if (rc != 0 && (ops || n || err[0] == '\0'))
        abort();
    if (rc == 0 && counts.rejected && counts.first_error[0] == '\0')
        abort(); /* a rejection always says why */
    for (size_t i = 0; i < n; i++) {
        if (!ops[i].tool_use_id || op_normalize(&ops[i], FUZZ_NOW_MS, err) != 0)
            abort();
        op_clear(&ops[i]);
    }
    free(ops);

    char *out = NULL;
    size_t out_len = 0;
    err[0] = '\0';
    rc = otlp_gunzip(data, size, FUZZ_GUNZIP_CAP, &out, &out_len, err);
    if (rc != 0 && (out || err[0] == '\0'))
        abort();
    if (rc == 0 && (out_len > FUZZ_GUNZIP_CAP || out[out_len] != '\0'))
        abort();
    free(out);
    return 0;
}
