/*
 * fuzz_sketch.c - libFuzzer target for the sketch blob decoder.
 *
 * Sketch blobs are read back from the database, so sketch_decode_add() must
 * survive any bytes: this target feeds it the fuzzer's input and, when the
 * input is accepted, checks what a valid blob promises. The encoding is
 * canonical (minimal varints, strictly increasing bins, no zero counts), so
 * re-encoding an accepted blob must give back the same bytes; decoding that
 * re-encoding must give the same counts and quantiles; and a rejected blob
 * must leave the sketch it was decoded into unchanged. Any broken promise
 * calls abort(), which libFuzzer reports as a crash.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_sketch.c \
 *     src/store/sketch.c src/core/buf.c src/core/xmalloc.c src/core/err.c -lm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double fuzz_qs[] = {0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};

static int fuzz_same(const struct sketch *a, const struct sketch *b)
{
    if (a->count != b->count || a->zero_count != b->zero_count || a->nbins != b->nbins)
        return 0;
    if (a->nbins &&
        (a->min_index != b->min_index || memcmp(a->bins, b->bins, a->nbins * sizeof *a->bins) != 0))
        return 0;
    for (size_t i = 0; i < sizeof fuzz_qs / sizeof fuzz_qs[0]; i++)
        if (sketch_quantile(a, fuzz_qs[i]) != sketch_quantile(b, fuzz_qs[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sketch s, t, running, before;
    struct buf out;
    sketch_init(&s);
    sketch_init(&t);
    sketch_init(&running);
    sketch_init(&before);
    buf_init(&out, TP_SKETCH_MAX_BLOB + 1);

    /* A running sketch with a few values, to decode into as well. */
    sketch_add(&running, 0, 1);
    sketch_add(&running, 3.5, 2);
    sketch_add(&running, 7000, 1);
    sketch_merge(&before, &running);

    int rc = sketch_decode_add(&s, data, size);
    if (rc != 0) {
        if (rc != TP_EPARSE || s.count != 0 || s.nbins != 0)
            abort();
        if (sketch_decode_add(&running, data, size) != TP_EPARSE || !fuzz_same(&running, &before))
            abort();
        goto done;
    }

    /* Accepted: the bins are trimmed and the counts add up. */
    uint64_t total = s.zero_count;
    for (uint32_t j = 0; j < s.nbins; j++)
        total += s.bins[j];
    if (total != s.count || (s.nbins && (s.bins[0] == 0 || s.bins[s.nbins - 1] == 0)))
        abort();

    if (sketch_encode(&s, &out) != 0 || out.len != size || memcmp(out.data, data, size) != 0)
        abort();
    if (sketch_decode_add(&t, out.data, out.len) != 0 || !fuzz_same(&s, &t))
        abort();

    /* Decoding into a running sketch is the same as merging. */
    rc = sketch_decode_add(&running, data, size);
    if (rc == 0) {
        sketch_merge(&before, &s);
        if (!fuzz_same(&running, &before))
            abort();
    } else if (rc != TP_EPARSE || !fuzz_same(&running, &before)) {
        abort(); /* only a count overflow may refuse it, leaving it unchanged */
    }

done:
    sketch_free(&s);
    sketch_free(&t);
    sketch_free(&running);
    sketch_free(&before);
    buf_free(&out);
    return 0;
}
