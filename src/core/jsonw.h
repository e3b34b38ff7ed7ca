/*
 * jsonw.h - the one JSON writer of toolprof.
 *
 * Everything toolprof prints as JSON (CLI --json, the HTTP API, exports)
 * goes through this writer, so that three promises hold everywhere:
 *
 *   - the output is valid JSON: invalid UTF-8 becomes U+FFFD, NaN and
 *     infinities become null, commas and nesting are tracked for the caller;
 *   - the output is safe to embed in HTML: <, >, & and U+2028/U+2029 are
 *     written as \u escapes, so a file path like "</script>" stays inert;
 *   - the output is bounded: it goes into a struct buf with a hard cap, and
 *     jw_finish() says whether the cap was hit.
 *
 * Doubles are written in the shortest form that reads back to the same
 * value, Python style (2100.0, 1900.1), so that answers stay comparable with
 * the original Python dashboard. Integers are written as integers.
 */
#ifndef TOOLPROF_JSONW_H
#define TOOLPROF_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JW_MAX_DEPTH 32

struct jsonw {
    struct buf *b;
    int depth;
    /* Per level: 1 while no element has been written yet. */
    unsigned char first[JW_MAX_DEPTH];
    unsigned char is_obj[JW_MAX_DEPTH]; /* per level: object (1) or array (0) */
    int after_key;                      /* a key was written, its value comes next */
    int err;                            /* sticky: nesting misuse or buffer over cap */
};

void jw_init(struct jsonw *w, struct buf *b);

void jw_obj_begin(struct jsonw *w);
void jw_obj_end(struct jsonw *w);
void jw_arr_begin(struct jsonw *w);
void jw_arr_end(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);

void jw_str(struct jsonw *w, const char *s); /* NULL writes null */
void jw_strn(struct jsonw *w, const char *s, size_t n);
void jw_int(struct jsonw *w, long long v);
void jw_num(struct jsonw *w, double v); /* always a float: 2100.0 */
void jw_bool(struct jsonw *w, int v);
void jw_null(struct jsonw *w);
/* Insert already-serialized JSON (trusted: produced by this writer). */
void jw_raw(struct jsonw *w, const char *json, size_t n);

/* Key + value shorthands. */
void jw_kstr(struct jsonw *w, const char *key, const char *s);
void jw_kint(struct jsonw *w, const char *key, long long v);
void jw_knum(struct jsonw *w, const char *key, double v);
void jw_kbool(struct jsonw *w, const char *key, int v);
void jw_knull(struct jsonw *w, const char *key);

/* 0 when the document is complete and fitted in the buffer's cap, else
 * TP_ETOOBIG (cap) or TP_EINVAL (unbalanced nesting). */
int jw_finish(struct jsonw *w);

/* Write the escaped form of s[0..n) (without quotes) into b. Exposed for
 * other writers (CSV, Prometheus labels use their own escaping). */
void jw_escape(struct buf *b, const char *s, size_t n);

/* Format v like Python's repr(float): the shortest digits that read back
 * as v, positional between 1e-4 and 1e16 ("2100.0", "0.0001",
 * "1000000000000000.0"), else exponent form ("1e-05", "1.5e+16"). out
 * must hold 32 bytes. Returns the length. NaN/inf give "null". */
size_t jw_format_double(char *out, double v);

#endif
