/*
 * otlp_model.c - the decoded OTLP request: its arena, the attribute
 * lookups the mappers use, and the building blocks both decoders share
 * (otlp_int.h).
 *
 * The arena is a list of blocks, each at least 64 KiB: a request's strings
 * and attribute arrays are many small pieces that live exactly as long as
 * the batch, so they are carved from big blocks and freed in one go. The
 * record arrays (logs, spans, points) grow by doubling with realloc, and
 * hold pointers into the arena only, so moving them is safe.
 *
 * Lookups read values whatever their encoding, because senders disagree
 * (formats doc 3.4): Claude Code sends a tool_result's numbers and booleans
 * as strings ("62", "true"), typed values elsewhere, and other exporters
 * send ints as doubles or booleans as 0/1.
 */
#include "ingest/otlp_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "ingest/otlp_int.h"

#define ARENA_BLOCK (64 * 1024)

struct otlp_arena {
    struct otlp_arena *next;
    size_t used, size;
    /* The data follows, aligned for any type. */
    max_align_t data[];
};

void otlp_batch_free(struct otlp_batch *b)
{
    if (!b)
        return;
    for (struct otlp_arena *a = b->arena, *next; a; a = next) {
        next = a->next;
        free(a);
    }
    free(b->logs);
    free(b->spans);
    free(b->points);
    memset(b, 0, sizeof *b);
}

/* ---- lookups ------------------------------------------------------------------ */

const struct otlp_value *otlp_attrs_get(const struct otlp_attrs *a, const char *key)
{
    if (!a)
        return NULL;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->a[i].key, key) == 0)
            return &a->a[i].v;
    return NULL;
}

const char *otlp_attrs_str(const struct otlp_attrs *a, const char *key)
{
    const struct otlp_value *v = otlp_attrs_get(a, key);
    return v && v->type == OTLP_V_STR && v->s[0] ? v->s : NULL;
}

int otlp_attrs_num(const struct otlp_attrs *a, const char *key, double *out)
{
    const struct otlp_value *v = otlp_attrs_get(a, key);
    double d;
    if (!v)
        return 0;
    switch (v->type) {
    case OTLP_V_INT: d = (double)v->i; break;
    case OTLP_V_DOUBLE: d = v->d; break;
    case OTLP_V_STR:
        if (!jin_parse_number(v->s, &d))
            return 0;
        break;
    default: return 0;
    }
    if (!isfinite(d))
        return 0;
    *out = d;
    return 1;
}

int otlp_attrs_bool(const struct otlp_attrs *a, const char *key, int *out)
{
    const struct otlp_value *v = otlp_attrs_get(a, key);
    if (!v)
        return 0;
    switch (v->type) {
    case OTLP_V_BOOL:
    case OTLP_V_INT: *out = v->i != 0; return 1;
    case OTLP_V_STR:
        if (strcmp(v->s, "true") == 0)
            *out = 1;
        else if (strcmp(v->s, "false") == 0)
            *out = 0;
        else
            return 0;
        return 1;
    default: return 0;
    }
}

/* ---- building (otlp_int.h) ----------------------------------------------------- */

void otlp_dec_init(struct otlp_dec *d, struct otlp_batch *b, enum otlp_signal sig)
{
    memset(d, 0, sizeof *d);
    memset(b, 0, sizeof *b);
    b->signal = sig;
    d->b = b;
    buf_init(&d->json, TP_MAX_OTLP_BODY);
}

void otlp_dec_finish(struct otlp_dec *d, int ok)
{
    free(d->stack);
    buf_free(&d->json);
    if (!ok) {
        enum otlp_signal sig = d->b->signal;
        otlp_batch_free(d->b);
        d->b->signal = sig;
    }
    d->stack = NULL;
    d->nstack = d->cap_stack = 0;
}

void *otlp_dec_alloc(struct otlp_dec *d, size_t n)
{
    struct otlp_arena *a = d->b->arena;
    size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!a || a->size - a->used < need) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        struct otlp_arena *fresh = xmalloc(sizeof *fresh + size);
        fresh->used = 0;
        fresh->size = size;
        if (a && need > ARENA_BLOCK) {
            /* A big piece gets a block of its own behind the current one,
             * which keeps its free space for the small pieces to come. */
            fresh->next = a->next;
            a->next = fresh;
        } else {
            fresh->next = a;
            d->b->arena = fresh;
        }
        a = fresh;
    }
    void *p = (char *)a->data + a->used;
    a->used += need;
    return p;
}

const char *otlp_dec_strndup(struct otlp_dec *d, const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    if (nul)
        n = (size_t)(nul - s);
    if (utf8_invalid_at(s, n) != n) {
        size_t clean_n;
        char *clean = utf8_sanitize(s, n, &clean_n);
        char *out = otlp_dec_alloc(d, clean_n + 1);
        memcpy(out, clean, clean_n);
        out[clean_n] = '\0';
        free(clean);
        return out;
    }
    char *out = otlp_dec_alloc(d, n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* Grow one of the record arrays for one more element. */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem)
{
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        arr = xreallocarray(arr, *cap, elem);
    }
    return arr;
}

static int room(struct otlp_dec *d, const char *what)
{
    struct otlp_batch *b = d->b;
    d->seen++;
    if (b->nlogs + b->nspans + b->npoints < TP_MAX_BATCH)
        return 1;
    otlp_dec_drop(d, "%s %zu: over %d records in one request", what, d->seen, TP_MAX_BATCH);
    return 0;
}

struct otlp_log *otlp_dec_log(struct otlp_dec *d)
{
    struct otlp_batch *b = d->b;
    if (!room(d, "log record"))
        return NULL;
    b->logs = grow(b->logs, b->nlogs, &d->cap_logs, sizeof *b->logs);
    memset(&b->logs[b->nlogs], 0, sizeof *b->logs);
    return &b->logs[b->nlogs++];
}

struct otlp_span *otlp_dec_span(struct otlp_dec *d)
{
    struct otlp_batch *b = d->b;
    if (!room(d, "span"))
        return NULL;
    b->spans = grow(b->spans, b->nspans, &d->cap_spans, sizeof *b->spans);
    memset(&b->spans[b->nspans], 0, sizeof *b->spans);
    return &b->spans[b->nspans++];
}

struct otlp_point *otlp_dec_point(struct otlp_dec *d)
{
    struct otlp_batch *b = d->b;
    if (!room(d, "data point"))
        return NULL;
    b->points = grow(b->points, b->npoints, &d->cap_points, sizeof *b->points);
    memset(&b->points[b->npoints], 0, sizeof *b->points);
    return &b->points[b->npoints++];
}

void otlp_dec_unlog(struct otlp_dec *d)
{
    d->b->nlogs--;
}

void otlp_dec_unspan(struct otlp_dec *d)
{
    d->b->nspans--;
}

void otlp_dec_unpoint(struct otlp_dec *d)
{
    d->b->npoints--;
}

void otlp_dec_drop(struct otlp_dec *d, const char *fmt, ...)
{
    struct otlp_batch *b = d->b;
    if (b->dropped++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->first_error, sizeof b->first_error, fmt, ap);
        va_end(ap);
    }
}

size_t otlp_dec_attr_mark(const struct otlp_dec *d)
{
    return d->nstack;
}

int otlp_dec_attr_push(struct otlp_dec *d, size_t mark, const char *key, struct otlp_value v)
{
    if (d->nstack - mark >= TP_MAX_OTLP_ATTRS)
        return -1;
    d->stack = grow(d->stack, d->nstack, &d->cap_stack, sizeof *d->stack);
    d->stack[d->nstack].key = key;
    d->stack[d->nstack].v = v;
    d->nstack++;
    return 0;
}

struct otlp_attrs otlp_dec_attrs_commit(struct otlp_dec *d, size_t mark)
{
    struct otlp_attrs out = {NULL, d->nstack - mark};
    if (out.n) {
        struct otlp_attr *a = otlp_dec_alloc(d, out.n * sizeof *a);
        memcpy(a, d->stack + mark, out.n * sizeof *a);
        out.a = a;
    }
    d->nstack = mark;
    return out;
}

struct jsonw *otlp_dec_json_begin(struct otlp_dec *d, struct jsonw *w)
{
    buf_reset(&d->json);
    jw_init(w, &d->json);
    return w;
}

void otlp_dec_json_scalar(struct jsonw *w, const struct otlp_value *v)
{
    switch (v->type) {
    case OTLP_V_STR:
    case OTLP_V_BYTES: jw_str(w, v->s); break;
    case OTLP_V_BOOL: jw_bool(w, v->i != 0); break;
    case OTLP_V_INT: jw_int(w, (long long)v->i); break;
    case OTLP_V_DOUBLE:
        /* JSON has no NaN or infinity. */
        if (isfinite(v->d))
            jw_num(w, v->d);
        else
            jw_null(w);
        break;
    case OTLP_V_JSON: jw_raw(w, v->s, strlen(v->s)); break;
    default: jw_null(w); break;
    }
}

int otlp_dec_json_end(struct otlp_dec *d, struct jsonw *w, struct otlp_value *out, char *errbuf)
{
    if (jw_finish(w) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "a nested value is over %d bytes as JSON",
                       TP_MAX_OTLP_BODY);
    out->type = OTLP_V_JSON;
    out->s = otlp_dec_strndup(d, d->json.data ? d->json.data : "", d->json.len);
    return 0;
}

const char *otlp_dec_hex(struct otlp_dec *d, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *out = otlp_dec_alloc(d, 2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}
