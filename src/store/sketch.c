/*
 * sketch.c - DDSketch quantile sketch with 1 % relative error (see sketch.h).
 *
 * A value v in [SKETCH_MIN_MS, SKETCH_MAX_MS] falls into bin
 * i = ceil(log(v) / log(gamma)), which covers (gamma^(i-1), gamma^i]. The
 * bin's representative 2 * gamma^i / (gamma + 1) = (1 - a) * gamma^i is
 * within a relative error a of both ends, hence of every value in the bin.
 * Because bins are ordered like the values they hold, the bin that contains
 * the exact value of rank r is the bin where the running count first reaches
 * r, so sketch_quantile() inherits the same 1 % bound.
 *
 * Only SKETCH_INDEX_MIN..SKETCH_INDEX_MAX can ever be produced (about 1 500
 * bins), so the in-memory form is a dense uint64 array over the occupied
 * index range: adding is one log() and one increment, merging is adding
 * arrays. The array is kept trimmed (its first and last bins are non-zero
 * whenever it is not empty), so two sketches that hold the same multiset of
 * bins have identical fields, which is what the tests compare and what makes
 * the blob encoding canonical.
 *
 * The file is organised as: constants and index arithmetic; growing the
 * array; add/remove/merge; queries; the blob codec. The decoder parses the
 * whole blob into stack arrays and validates it before touching the sketch,
 * then grows the array once (from the first and last index) and adds.
 */
#include "sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xmalloc.h"

/* log(gamma) for gamma = 1.01 / 0.99, and its inverse, written out because C
 * cannot call log() in a constant initializer; tests check both against
 * log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA)). */
#define SKETCH_LOG_GAMMA 0.020000666706669435
#define SKETCH_INV_LOG_GAMMA 49.99833328888678

/* The bins of SKETCH_MIN_MS and SKETCH_MAX_MS: no value can land outside
 * this range, so a blob naming an index outside it is malformed. */
#define SKETCH_INDEX_MIN (-345)
#define SKETCH_INDEX_MAX 1152
#define SKETCH_INDEX_SPAN ((uint32_t)(SKETCH_INDEX_MAX - SKETCH_INDEX_MIN + 1))

#define SKETCH_VERSION 0x01
#define SKETCH_VARINT_MAX 10 /* bytes of a 64-bit LEB128 varint */

void sketch_init(struct sketch *s)
{
    memset(s, 0, sizeof *s);
}

void sketch_free(struct sketch *s)
{
    free(s->bins);
    sketch_init(s);
}

void sketch_reset(struct sketch *s)
{
    s->count = 0;
    s->zero_count = 0;
    s->min_index = 0;
    s->nbins = 0;
}

int32_t sketch_index(double v_ms)
{
    /* Clamping here, not only in sketch_add(), keeps the conversion to int32
     * defined for any argument (NaN included). */
    if (!(v_ms >= SKETCH_MIN_MS))
        return SKETCH_INDEX_MIN;
    if (v_ms > SKETCH_MAX_MS)
        return SKETCH_INDEX_MAX;
    return (int32_t)ceil(log(v_ms) * SKETCH_INV_LOG_GAMMA);
}

double sketch_value(int32_t index)
{
    /* 2 / (gamma + 1) is exactly 1 - alpha. */
    return (1.0 - SKETCH_ALPHA) * exp((double)index * SKETCH_LOG_GAMMA);
}

/*
 * Make the dense array cover lo..hi (both valid indexes, lo <= hi). Existing
 * counts keep their indexes; new bins are zero. Capacity grows geometrically
 * but never past the span of possible indexes.
 */
static void sketch_grow(struct sketch *s, int32_t lo, int32_t hi)
{
    if (s->nbins == 0) {
        uint32_t need = (uint32_t)(hi - lo) + 1;
        if (need > s->alloc) {
            s->bins = xreallocarray(s->bins, need, sizeof *s->bins);
            s->alloc = need;
        }
        memset(s->bins, 0, need * sizeof *s->bins);
        s->min_index = lo;
        s->nbins = need;
        return;
    }
    int32_t old_lo = s->min_index;
    int32_t old_hi = s->min_index + (int32_t)s->nbins - 1;
    if (lo >= old_lo && hi <= old_hi)
        return;
    int32_t new_lo = lo < old_lo ? lo : old_lo;
    int32_t new_hi = hi > old_hi ? hi : old_hi;
    uint32_t need = (uint32_t)(new_hi - new_lo) + 1;
    if (need > s->alloc) {
        uint32_t a = s->alloc < 32 ? 64 : s->alloc * 2;
        if (a < need)
            a = need;
        if (a > SKETCH_INDEX_SPAN)
            a = need > SKETCH_INDEX_SPAN ? need : SKETCH_INDEX_SPAN;
        s->bins = xreallocarray(s->bins, a, sizeof *s->bins);
        s->alloc = a;
    }
    uint32_t shift = (uint32_t)(old_lo - new_lo);
    if (shift) {
        memmove(s->bins + shift, s->bins, s->nbins * sizeof *s->bins);
        memset(s->bins, 0, shift * sizeof *s->bins);
    }
    uint32_t tail = need - shift - s->nbins;
    memset(s->bins + shift + s->nbins, 0, tail * sizeof *s->bins);
    s->min_index = new_lo;
    s->nbins = need;
}

/* Drop empty bins at both ends, restoring the trimmed invariant. */
static void sketch_trim(struct sketch *s)
{
    uint32_t first = 0;
    while (first < s->nbins && s->bins[first] == 0)
        first++;
    if (first == s->nbins) {
        s->nbins = 0;
        s->min_index = 0;
        return;
    }
    uint32_t last = s->nbins - 1;
    while (s->bins[last] == 0)
        last--;
    if (first)
        memmove(s->bins, s->bins + first, (last - first + 1) * sizeof *s->bins);
    s->min_index += (int32_t)first;
    s->nbins = last - first + 1;
}

void sketch_add(struct sketch *s, double v_ms, uint64_t n)
{
    if (n == 0 || !(v_ms >= 0))
        return;
    s->count += n;
    if (v_ms < SKETCH_MIN_MS) {
        s->zero_count += n;
        return;
    }
    int32_t i = sketch_index(v_ms);
    sketch_grow(s, i, i);
    s->bins[i - s->min_index] += n;
}

void sketch_remove(struct sketch *s, double v_ms, uint64_t n)
{
    if (n == 0 || !(v_ms >= 0))
        return;
    if (v_ms < SKETCH_MIN_MS) {
        uint64_t k = n < s->zero_count ? n : s->zero_count;
        s->zero_count -= k;
        s->count -= k;
        return;
    }
    int32_t i = sketch_index(v_ms);
    if (s->nbins == 0 || i < s->min_index || i - s->min_index >= (int32_t)s->nbins)
        return;
    uint64_t *b = &s->bins[i - s->min_index];
    uint64_t k = n < *b ? n : *b;
    *b -= k;
    s->count -= k;
    if (*b == 0)
        sketch_trim(s);
}

void sketch_merge(struct sketch *dst, const struct sketch *src)
{
    dst->count += src->count;
    dst->zero_count += src->zero_count;
    if (src->nbins == 0)
        return;
    sketch_grow(dst, src->min_index, src->min_index + (int32_t)src->nbins - 1);
    uint64_t *d = dst->bins + (src->min_index - dst->min_index);
    for (uint32_t j = 0; j < src->nbins; j++)
        d[j] += src->bins[j];
}

double sketch_quantile(const struct sketch *s, double q)
{
    if (s->count == 0)
        return 0;
    /* Nearest rank: ceil(q * count), at least 1 and at most count. The
     * comparisons are written so that NaN lands on rank 1. */
    uint64_t rank;
    if (!(q > 0))
        rank = 1;
    else if (q >= 1)
        rank = s->count;
    else {
        double r = ceil(q * (double)s->count);
        rank = r < 1 ? 1 : r >= (double)s->count ? s->count : (uint64_t)r;
    }
    if (rank <= s->zero_count)
        return 0;
    uint64_t seen = s->zero_count;
    for (uint32_t j = 0; j < s->nbins; j++) {
        seen += s->bins[j];
        if (seen >= rank)
            return sketch_value(s->min_index + (int32_t)j);
    }
    /* Unreachable while count == zero_count + sum(bins). */
    return s->nbins ? sketch_value(s->min_index + (int32_t)s->nbins - 1) : 0;
}

/*
 * Position in s->bins of the first bin whose representative is >= t, for
 * t > 0 (s->nbins when there is none). This is the approximation behind
 * count/sum_at_least: a bin is counted whole or not at all, so values within
 * about 1 % below the threshold may be counted and values within about 1 %
 * above it may be missed; precisely, every value >= t / (1 - a) is counted
 * and no value <= t / (1 + a) is.
 */
static uint32_t sketch_first_at_least(const struct sketch *s, double t)
{
    if (s->nbins == 0)
        return 0;
    /* Estimate the index from the inverse of sketch_value(), then step over
     * any rounding at the boundary with exact comparisons. */
    double est = ceil(log(t / (1.0 - SKETCH_ALPHA)) * SKETCH_INV_LOG_GAMMA);
    int32_t lo = s->min_index, hi = s->min_index + (int32_t)s->nbins - 1;
    int32_t i;
    if (!(est > lo))
        i = lo;
    else if (est > hi)
        i = hi + 1;
    else
        i = (int32_t)est;
    while (i > lo && sketch_value(i - 1) >= t)
        i--;
    while (i <= hi && sketch_value(i) < t)
        i++;
    return (uint32_t)(i - lo);
}

uint64_t sketch_count_at_least(const struct sketch *s, double threshold_ms)
{
    if (threshold_ms != threshold_ms)
        return 0;
    if (threshold_ms <= 0)
        return s->count;
    uint64_t n = 0;
    for (uint32_t j = sketch_first_at_least(s, threshold_ms); j < s->nbins; j++)
        n += s->bins[j];
    return n;
}

double sketch_sum_at_least(const struct sketch *s, double threshold_ms)
{
    if (threshold_ms != threshold_ms)
        return 0;
    /* The zero bin's values are all below 1 microsecond; they add nothing
     * measurable to a sum, so it is skipped even for threshold <= 0. */
    uint32_t j = threshold_ms <= 0 ? 0 : sketch_first_at_least(s, threshold_ms);
    double sum = 0;
    for (; j < s->nbins; j++)
        if (s->bins[j])
            sum += (double)s->bins[j] * sketch_value(s->min_index + (int32_t)j);
    return sum;
}

/* ---- blob codec ---------------------------------------------------------- */

static size_t sketch_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *sketch_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t sketch_zigzag(int64_t d)
{
    return ((uint64_t)d << 1) ^ (d < 0 ? UINT64_MAX : 0);
}

int sketch_encode(const struct sketch *s, struct buf *out)
{
    /* Size the blob exactly first so that it is appended in one piece or not
     * at all. */
    uint64_t k = 0;
    size_t len = 1 + sketch_varint_len(s->zero_count);
    int32_t prev = 0;
    for (uint32_t j = 0; j < s->nbins; j++) {
        if (!s->bins[j])
            continue;
        int32_t i = s->min_index + (int32_t)j;
        len += sketch_varint_len(sketch_zigzag((int64_t)i - prev));
        len += sketch_varint_len(s->bins[j]);
        prev = i;
        k++;
    }
    len += sketch_varint_len(k);

    uint8_t *start = (uint8_t *)buf_reserve(out, len);
    if (!start)
        return TP_ETOOBIG;
    uint8_t *p = start;
    *p++ = SKETCH_VERSION;
    p = sketch_put_varint(p, s->zero_count);
    p = sketch_put_varint(p, k);
    prev = 0;
    for (uint32_t j = 0; j < s->nbins; j++) {
        if (!s->bins[j])
            continue;
        int32_t i = s->min_index + (int32_t)j;
        p = sketch_put_varint(p, sketch_zigzag((int64_t)i - prev));
        p = sketch_put_varint(p, s->bins[j]);
        prev = i;
    }
    buf_commit(out, (size_t)(p - start));
    return 0;
}

/*
 * Read one varint at *pp (before end) into *v. Only the shortest encoding
 * of a 64-bit value is accepted: with that, every valid blob is exactly what
 * sketch_encode() would write for it, and a blob has one meaning only.
 */
static inline int sketch_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    /* Most deltas and many counts fit in one byte: take those directly. */
    if (p < end && *p < 0x80) {
        *v = *p;
        *pp = p + 1;
        return 0;
    }
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 7 * SKETCH_VARINT_MAX; shift += 7) {
        if (p == end)
            return TP_EPARSE;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return TP_EPARSE; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return TP_EPARSE; /* a needless trailing zero group */
            *pp = p;
            *v = x;
            return 0;
        }
    }
    return TP_EPARSE;
}

int sketch_decode_add(struct sketch *s, const void *blob, size_t n)
{
    /* The parsed bins wait here until the whole blob is known to be valid.
     * Indexes are strictly increasing, so there are at most
     * SKETCH_INDEX_SPAN of them (about 18 KB of stack). */
    int32_t idx[SKETCH_INDEX_SPAN];
    uint64_t cnt[SKETCH_INDEX_SPAN];

    if (!blob || n < 3 || n > TP_SKETCH_MAX_BLOB)
        return TP_EPARSE;
    const uint8_t *p = blob, *end = p + n;
    if (*p++ != SKETCH_VERSION)
        return TP_EPARSE;
    uint64_t zero, k;
    if (sketch_get_varint(&p, end, &zero) || sketch_get_varint(&p, end, &k))
        return TP_EPARSE;
    /* Each pair takes at least two bytes. */
    if (k > SKETCH_INDEX_SPAN || k > (uint64_t)(end - p) / 2)
        return TP_EPARSE;

    uint64_t total = zero;
    int64_t prev = 0;
    for (uint32_t j = 0; j < (uint32_t)k; j++) {
        uint64_t z, c;
        if (sketch_get_varint(&p, end, &z) || sketch_get_varint(&p, end, &c))
            return TP_EPARSE;
        /* Undo the zigzag without signed overflow: z >> 1 fits in int64. */
        int64_t d = (int64_t)(z >> 1);
        if (z & 1)
            d = -d - 1;
        /* Bound the delta before adding it so the sum cannot overflow. */
        if (d < -(int64_t)SKETCH_INDEX_SPAN || d > (int64_t)SKETCH_INDEX_SPAN * 2)
            return TP_EPARSE;
        int64_t i = prev + d;
        if (i < SKETCH_INDEX_MIN || i > SKETCH_INDEX_MAX)
            return TP_EPARSE;
        if (j > 0 && d <= 0)
            return TP_EPARSE; /* bins must be strictly increasing */
        if (c == 0 || c > UINT64_MAX - total)
            return TP_EPARSE;
        total += c;
        idx[j] = (int32_t)i;
        cnt[j] = c;
        prev = i;
    }
    if (p != end || total > UINT64_MAX - s->count)
        return TP_EPARSE;

    s->count += total;
    s->zero_count += zero;
    if (k == 0)
        return 0;
    sketch_grow(s, idx[0], idx[k - 1]);
    for (uint32_t j = 0; j < (uint32_t)k; j++)
        s->bins[idx[j] - s->min_index] += cnt[j];
    return 0;
}

void sketch_histogram(const struct sketch *s, const double *le_ms, size_t n, uint64_t *counts)
{
    counts[0] += s->zero_count;
    for (uint32_t j = 0; j < s->nbins; j++) {
        if (!s->bins[j])
            continue;
        double v = sketch_value(s->min_index + (int32_t)j);
        size_t b = 0;
        while (b < n && v > le_ms[b])
            b++;
        counts[b] += s->bins[j];
    }
}
