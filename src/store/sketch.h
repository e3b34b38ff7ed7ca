/*
 * sketch.h - a mergeable quantile sketch with 1 % relative error.
 *
 * DDSketch (Masson, Rim, Lee, VLDB 2019), written for toolprof: a value
 * v > 0 falls into bin i = ceil(log(v) / log(gamma)) with
 * gamma = (1 + a) / (1 - a), a = 0.01; the bin's representative value
 * 2 * gamma^i / (gamma + 1) is within 1 % of every value in the bin. Values
 * below SKETCH_MIN_MS (1 microsecond) are counted in a zero bin. Merging is
 * adding bin counts, so it is exact and order-independent: a window's
 * sketch is the sum of its buckets' sketches.
 *
 * Values are durations in milliseconds. In memory the bins are a dense array
 * of counts over the occupied index range; on disk a sketch is a compact blob
 * (see sketch_encode). Every blob read from disk goes through
 * sketch_decode(), which validates it.
 */
#ifndef TOOLPROF_SKETCH_H
#define TOOLPROF_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"

#define SKETCH_ALPHA 0.01
#define SKETCH_MIN_MS 0.001 /* smaller values go to the zero bin */
#define SKETCH_MAX_MS 1e10  /* larger values are clamped (115 days) */

struct sketch {
    uint64_t count;      /* all values, zero bin included */
    uint64_t zero_count; /* values < SKETCH_MIN_MS */
    int32_t min_index;   /* index of bins[0] */
    uint32_t nbins;      /* length of the occupied range */
    uint32_t alloc;
    uint64_t *bins; /* bins[i] counts index min_index + i */
};

void sketch_init(struct sketch *s);
void sketch_free(struct sketch *s);
void sketch_reset(struct sketch *s); /* empty, keeps memory */

/* Bin index of a value (v >= SKETCH_MIN_MS), and a bin's representative. */
int32_t sketch_index(double v_ms);
double sketch_value(int32_t index);

/* Add `n` occurrences of v. NaN and negative values are ignored (callers
 * validate first). */
void sketch_add(struct sketch *s, double v_ms, uint64_t n);
/* Remove n occurrences of v (a value previously added); counts never go
 * below zero. Used when a stored duration is replaced by a better one. */
void sketch_remove(struct sketch *s, double v_ms, uint64_t n);
/* dst += src. */
void sketch_merge(struct sketch *dst, const struct sketch *src);

/* The value of rank ceil(q * count) (nearest rank; q in [0, 1]), within 1 %
 * of the exact answer. 0 when the sketch is empty. */
double sketch_quantile(const struct sketch *s, double q);

/* Approximate count and sum of the values >= threshold_ms, read from the
 * bins (each within 1 % of the value it stands for). */
uint64_t sketch_count_at_least(const struct sketch *s, double threshold_ms);
double sketch_sum_at_least(const struct sketch *s, double threshold_ms);

/* Histogram counts over ascending upper bounds le_ms[0..n): counts[b] gets
 * the values v with le_ms[b-1] < v <= le_ms[b] (as judged by each bin's
 * representative value, within the sketch's 1 %), and counts[n] those above
 * le_ms[n-1]. counts has n + 1 entries, zeroed by the caller; they add up
 * to the sketch's count exactly. */
void sketch_histogram(const struct sketch *s, const double *le_ms, size_t n, uint64_t *counts);

/* Blob format (little-endian varints, all unsigned LEB128):
 *   byte 0x01 (format version)
 *   varint zero_count
 *   varint number of non-empty bins k
 *   then k pairs: varint zigzag(index delta from the previous bin's index,
 *   the first relative to 0), varint count (> 0)
 * Appends to out; returns 0 or TP_ETOOBIG. */
int sketch_encode(const struct sketch *s, struct buf *out);
/* Add the sketch stored in blob[0..n) to s (s need not be empty: decoding
 * into a running sketch is how windows are merged). Returns 0, or TP_EPARSE
 * when the blob is malformed (s is then unchanged). */
int sketch_decode_add(struct sketch *s, const void *blob, size_t n);

#endif
