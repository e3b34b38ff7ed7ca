/*
 * otlp_json.c - OTLP export requests in JSON (see otlp_json.h).
 *
 * The body is parsed with cJSON through core/jsonin.h (strictly first, then
 * with invalid UTF-8 repaired, as a dropped batch cannot be asked for
 * again), then walked into the model with the same building blocks as the
 * protobuf decoder (otlp_int.h), so that both give the same batch for the
 * same request: same strings (absent and empty optional strings are both
 * NULL), same nested-value JSON, same ids, same limits and the same
 * messages for records dropped one by one.
 *
 * Every key is looked up in its lowerCamelCase form first, then in
 * snake_case (the proto field name, which the proto3 JSON mapping also
 * accepts). JSON numbers are doubles in cJSON, so a 64-bit integer sent as
 * a bare number above 2^53 loses its last digits; senders that care send
 * decimal strings, which are read exactly.
 */
#include "ingest/otlp_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "ingest/otlp_int.h"

struct jx {
    struct otlp_dec d;
    char *err;
};

#define TRY(e)                                                                                     \
    do {                                                                                           \
        int rc_ = (e);                                                                             \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

/* v when it is an array, else NULL (cJSON_ArrayForEach would walk an
 * object's members). */
static const cJSON *arr(const cJSON *v)
{
    return cJSON_IsArray(v) ? v : NULL;
}

/* Member by camelCase key, else by snake_case key. */
static const cJSON *get2(const cJSON *o, const char *camel, const char *snake)
{
    const cJSON *v = jin_get(o, camel);
    return v || !snake ? v : jin_get(o, snake);
}

static const char *str_or_null(struct jx *x, const cJSON *v)
{
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return NULL;
    return otlp_dec_strndup(&x->d, v->valuestring, strlen(v->valuestring));
}

/* A 64-bit unsigned integer: a decimal string or a number. 1 when valid. */
static int read_u64(const cJSON *v, uint64_t *out)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        uint64_t n = 0;
        if (!*s || strlen(s) > 20)
            return 0;
        for (; *s; s++) {
            unsigned dgt = (unsigned)(*s - '0');
            if (dgt > 9 || n > (UINT64_MAX - dgt) / 10)
                return 0;
            n = n * 10 + dgt;
        }
        *out = n;
        return 1;
    }
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0 &&
        v->valuedouble < 18446744073709551616.0 && v->valuedouble == floor(v->valuedouble)) {
        *out = (uint64_t)v->valuedouble;
        return 1;
    }
    return 0;
}

/* A signed 64-bit integer: a decimal string or an integral number. */
static int read_i64(const cJSON *v, int64_t *out)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        char *end;
        if (!*s || strlen(s) > 21 || (*s != '-' && (*s < '0' || *s > '9')))
            return 0;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (errno || *end)
            return 0;
        *out = n;
        return 1;
    }
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= -9223372036854775808.0 &&
        v->valuedouble < 9223372036854775808.0 && v->valuedouble == floor(v->valuedouble)) {
        *out = (int64_t)v->valuedouble;
        return 1;
    }
    return 0;
}

/* A double: a number, or one of the strings proto3 JSON allows ("NaN",
 * "Infinity", "-Infinity", or a number in a string). */
static int read_double(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    if (!cJSON_IsString(v))
        return 0;
    const char *s = v->valuestring;
    if (strcmp(s, "NaN") == 0)
        *out = NAN;
    else if (strcmp(s, "Infinity") == 0)
        *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        *out = -INFINITY;
    else if (!jin_parse_number(s, out))
        return 0;
    return 1;
}

/* A timestamp in nanoseconds; 0 (unset) when absent or not valid. */
static uint64_t read_nanos(const cJSON *o, const char *camel, const char *snake)
{
    uint64_t ns;
    return read_u64(get2(o, camel, snake), &ns) ? ns : 0;
}

/* An enum: its number, or its name from names[] (NULL-terminated, the
 * index is the value). -1 when neither. */
static int read_enum(const cJSON *v, const char *const *names)
{
    int64_t n;
    if (cJSON_IsNumber(v) || (cJSON_IsString(v) && read_i64(v, &n))) {
        if (!read_i64(v, &n) || n < 0 || n > INT_MAX)
            return -1;
        return (int)n;
    }
    if (cJSON_IsString(v) && names)
        for (int i = 0; names[i]; i++)
            if (strcmp(v->valuestring, names[i]) == 0)
                return i;
    return -1;
}

static int read_bool(const cJSON *v, int *out)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 1;
    }
    if (cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0) {
        *out = 1;
        return 1;
    }
    if (cJSON_IsString(v) && strcmp(v->valuestring, "false") == 0) {
        *out = 0;
        return 1;
    }
    return 0;
}

/* ---- ids and bytes -------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decode base64 (standard or URL-safe, padding optional) into out (at
 * most cap bytes). Returns the length, or -1 when invalid or too long. */
static long b64_decode(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s), o = 0;
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

/* A trace or span id of n bytes: hex (2n digits) or base64. 1 when valid
 * and not all zero; 0 when absent or empty; -1 when present but bad. */
static int read_id(const cJSON *v, unsigned char *out, size_t n)
{
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
        return 0;
    if (!cJSON_IsString(v))
        return -1;
    const char *s = v->valuestring;
    size_t len = strlen(s);
    int ok = 0;
    if (len == 2 * n) {
        ok = 1;
        for (size_t i = 0; i < n && ok; i++) {
            int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
            if (hi < 0 || lo < 0)
                ok = 0;
            else
                out[i] = (unsigned char)(hi * 16 + lo);
        }
    }
    if (!ok) {
        unsigned char tmp[32];
        if (b64_decode(s, tmp, sizeof tmp) != (long)n)
            return -1;
        memcpy(out, tmp, n);
    }
    for (size_t i = 0; i < n; i++)
        if (out[i])
            return 1;
    return -1;
}

/* ---- AnyValue ------------------------------------------------------------------ */

static int any_value(struct jx *x, const cJSON *v, struct jsonw *w, struct otlp_value *out,
                     int vdepth);

static int any_list(struct jx *x, const cJSON *list, int is_kv, struct jsonw *w, int vdepth)
{
    const cJSON *e;
    if (vdepth > TP_MAX_OTLP_VALUE_DEPTH)
        return tp_fail(x->err, TP_EPARSE, "arrays and key-value lists nested more than %d deep",
                       TP_MAX_OTLP_VALUE_DEPTH);
    const cJSON *values = jin_get(list, "values");
    is_kv ? jw_obj_begin(w) : jw_arr_begin(w);
    cJSON_ArrayForEach(e, arr(values))
    {
        if (is_kv) {
            if (!cJSON_IsObject(e))
                continue;
            const char *k = jin_str(e, "key");
            jw_key(w, k ? k : "");
            TRY(any_value(x, jin_get(e, "value"), w, NULL, vdepth));
        } else {
            TRY(any_value(x, e, w, NULL, vdepth));
        }
    }
    is_kv ? jw_obj_end(w) : jw_arr_end(w);
    return 0;
}

/* An AnyValue object into *out, or written into w. The first of its
 * forms present is taken (an AnyValue holds one). */
static int any_value(struct jx *x, const cJSON *v, struct jsonw *w, struct otlp_value *out,
                     int vdepth)
{
    struct otlp_value r = {OTLP_V_NONE, NULL, 0, 0};
    const cJSON *f;
    if (!cJSON_IsObject(v)) {
        /* null, or not an AnyValue: an empty value */
    } else if ((f = get2(v, "stringValue", "string_value")) != NULL) {
        if (cJSON_IsString(f)) {
            r.type = OTLP_V_STR;
            r.s = otlp_dec_strndup(&x->d, f->valuestring, strlen(f->valuestring));
        }
    } else if ((f = get2(v, "boolValue", "bool_value")) != NULL) {
        int b;
        if (read_bool(f, &b)) {
            r.type = OTLP_V_BOOL;
            r.i = b;
        }
    } else if ((f = get2(v, "intValue", "int_value")) != NULL) {
        if (read_i64(f, &r.i))
            r.type = OTLP_V_INT;
    } else if ((f = get2(v, "doubleValue", "double_value")) != NULL) {
        if (read_double(f, &r.d))
            r.type = OTLP_V_DOUBLE;
    } else if ((f = get2(v, "arrayValue", "array_value")) != NULL ||
               (f = get2(v, "kvlistValue", "kvlist_value")) != NULL) {
        int is_kv = jin_get(v, "arrayValue") == NULL && jin_get(v, "array_value") == NULL;
        struct jsonw own, *jw = w ? w : otlp_dec_json_begin(&x->d, &own);
        TRY(any_list(x, f, is_kv, jw, vdepth + 1));
        if (!w)
            return otlp_dec_json_end(&x->d, jw, out, x->err);
        return 0;
    } else if ((f = get2(v, "bytesValue", "bytes_value")) != NULL) {
        if (cJSON_IsString(f)) {
            size_t cap = strlen(f->valuestring) / 4 * 3 + 3;
            unsigned char *tmp = otlp_dec_alloc(&x->d, cap);
            long n = b64_decode(f->valuestring, tmp, cap);
            if (n >= 0) {
                r.type = OTLP_V_BYTES;
                r.s = otlp_dec_hex(&x->d, tmp, (size_t)n);
            }
        }
    }
    if (w)
        otlp_dec_json_scalar(w, &r);
    else
        *out = r;
    return 0;
}

/* A list of KeyValues pushed above mark; 1 in *over past the cap. */
static int attributes(struct jx *x, const cJSON *list, size_t mark, int *over)
{
    const cJSON *kv;
    cJSON_ArrayForEach(kv, arr(list))
    {
        const char *k = jin_str(kv, "key");
        if (!k)
            continue; /* not a KeyValue */
        struct otlp_value v;
        TRY(any_value(x, jin_get(kv, "value"), NULL, &v, 0));
        if (!*over &&
            otlp_dec_attr_push(&x->d, mark, otlp_dec_strndup(&x->d, k, strlen(k)), v) != 0)
            *over = 1;
    }
    return 0;
}

/* ---- records ---------------------------------------------------------------- */

static int log_record(struct jx *x, const cJSON *rec, const struct otlp_resource *res)
{
    struct otlp_log *l;
    if (!cJSON_IsObject(rec)) {
        x->d.seen++;
        otlp_dec_drop(&x->d, "log record %zu: not an object", x->d.seen);
        return 0;
    }
    if (!(l = otlp_dec_log(&x->d)))
        return 0;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int over = 0;
    l->res = res;
    l->time_ns = read_nanos(rec, "timeUnixNano", "time_unix_nano");
    l->observed_ns = read_nanos(rec, "observedTimeUnixNano", "observed_time_unix_nano");
    l->event_name = str_or_null(x, get2(rec, "eventName", "event_name"));
    TRY(any_value(x, jin_get(rec, "body"), NULL, &l->body, 0));
    TRY(attributes(x, jin_get(rec, "attributes"), mark, &over));
    /* An id of the wrong form is no id: the record is still good. */
    l->has_trace = read_id(get2(rec, "traceId", "trace_id"), l->trace_id, 16) == 1;
    l->has_span = read_id(get2(rec, "spanId", "span_id"), l->span_id, 8) == 1;
    if (!l->has_trace)
        memset(l->trace_id, 0, sizeof l->trace_id);
    if (!l->has_span)
        memset(l->span_id, 0, sizeof l->span_id);
    if (over) {
        otlp_dec_drop(&x->d, "log record %zu: more than %d attributes", x->d.seen,
                      TP_MAX_OTLP_ATTRS);
        otlp_dec_unlog(&x->d);
        x->d.nstack = mark;
        return 0;
    }
    l->attrs = otlp_dec_attrs_commit(&x->d, mark);
    return 0;
}

static const char *const span_kinds[] = {"SPAN_KIND_UNSPECIFIED",
                                         "SPAN_KIND_INTERNAL",
                                         "SPAN_KIND_SERVER",
                                         "SPAN_KIND_CLIENT",
                                         "SPAN_KIND_PRODUCER",
                                         "SPAN_KIND_CONSUMER",
                                         NULL};
static const char *const status_codes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                           "STATUS_CODE_ERROR", NULL};
static const char *const temporalities[] = {"AGGREGATION_TEMPORALITY_UNSPECIFIED",
                                            "AGGREGATION_TEMPORALITY_DELTA",
                                            "AGGREGATION_TEMPORALITY_CUMULATIVE", NULL};

static int span(struct jx *x, const cJSON *rec, const struct otlp_resource *res)
{
    struct otlp_span *s;
    if (!cJSON_IsObject(rec)) {
        x->d.seen++;
        otlp_dec_drop(&x->d, "span %zu: not an object", x->d.seen);
        return 0;
    }
    if (!(s = otlp_dec_span(&x->d)))
        return 0;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int over = 0, k;
    s->res = res;
    s->name = str_or_null(x, jin_get(rec, "name"));
    k = read_enum(jin_get(rec, "kind"), span_kinds);
    s->kind = k > 0 ? k : 0;
    s->start_ns = read_nanos(rec, "startTimeUnixNano", "start_time_unix_nano");
    s->end_ns = read_nanos(rec, "endTimeUnixNano", "end_time_unix_nano");
    TRY(attributes(x, jin_get(rec, "attributes"), mark, &over));
    const cJSON *st = jin_get(rec, "status");
    if (cJSON_IsObject(st)) {
        k = read_enum(jin_get(st, "code"), status_codes);
        s->status = k > 0 ? k : 0;
        s->status_message = str_or_null(x, jin_get(st, "message"));
    }
    const char *why = NULL;
    int pid = read_id(get2(rec, "parentSpanId", "parent_span_id"), s->parent_id, 8);
    if (read_id(get2(rec, "traceId", "trace_id"), s->trace_id, 16) != 1)
        why = "trace_id is not 16 bytes (or all zero)";
    else if (read_id(get2(rec, "spanId", "span_id"), s->span_id, 8) != 1)
        why = "span_id is not 8 bytes (or all zero)";
    else if (pid < 0)
        why = "parent_span_id is not 8 bytes (or all zero)";
    else if (over)
        why = "too many attributes";
    if (why) {
        otlp_dec_drop(&x->d, "span %zu: %s", x->d.seen, why);
        otlp_dec_unspan(&x->d);
        x->d.nstack = mark;
        return 0;
    }
    s->has_parent = pid == 1;
    if (!s->has_parent)
        memset(s->parent_id, 0, sizeof s->parent_id);
    s->attrs = otlp_dec_attrs_commit(&x->d, mark);
    return 0;
}

struct metric_info {
    const struct otlp_resource *res;
    const char *name, *unit;
    enum otlp_metric_kind kind;
    int temporality, monotonic;
};

static int data_point(struct jx *x, const cJSON *dp, const struct metric_info *mi)
{
    struct otlp_point *p;
    if (!cJSON_IsObject(dp)) {
        x->d.seen++;
        otlp_dec_drop(&x->d, "data point %zu of %s: not an object", x->d.seen,
                      mi->name ? mi->name : "a metric");
        return 0;
    }
    if (!(p = otlp_dec_point(&x->d)))
        return 0;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int over = 0;
    const cJSON *v;
    p->res = mi->res;
    p->metric = mi->name;
    p->unit = mi->unit;
    p->kind = mi->kind;
    p->temporality = mi->temporality;
    p->monotonic = mi->monotonic;
    p->value = NAN;
    p->start_ns = read_nanos(dp, "startTimeUnixNano", "start_time_unix_nano");
    p->time_ns = read_nanos(dp, "timeUnixNano", "time_unix_nano");
    TRY(attributes(x, jin_get(dp, "attributes"), mark, &over));
    if (mi->kind == OTLP_M_GAUGE || mi->kind == OTLP_M_SUM) {
        int64_t i;
        double d;
        if ((v = get2(dp, "asDouble", "as_double")) != NULL && read_double(v, &d))
            p->value = d;
        else if ((v = get2(dp, "asInt", "as_int")) != NULL && read_i64(v, &i))
            p->value = (double)i;
    } else {
        double d;
        uint64_t c;
        if (read_u64(jin_get(dp, "count"), &c))
            p->count = c;
        if ((v = jin_get(dp, "sum")) != NULL && read_double(v, &d))
            p->value = d;
    }
    if (over) {
        otlp_dec_drop(&x->d, "data point %zu of %s: more than %d attributes", x->d.seen,
                      mi->name ? mi->name : "a metric", TP_MAX_OTLP_ATTRS);
        otlp_dec_unpoint(&x->d);
        x->d.nstack = mark;
        return 0;
    }
    p->attrs = otlp_dec_attrs_commit(&x->d, mark);
    return 0;
}

static int metric(struct jx *x, const cJSON *m, const struct otlp_resource *res)
{
    static const struct {
        const char *camel, *snake;
        enum otlp_metric_kind kind;
    } kinds[] = {
        {"gauge", NULL, OTLP_M_GAUGE},
        {"sum", NULL, OTLP_M_SUM},
        {"histogram", NULL, OTLP_M_HISTOGRAM},
        {"exponentialHistogram", "exponential_histogram", OTLP_M_EXP_HISTOGRAM},
        {"summary", NULL, OTLP_M_SUMMARY},
    };
    if (!cJSON_IsObject(m))
        return 0; /* not a metric: nothing in it to count */
    struct metric_info mi = {
        res, str_or_null(x, jin_get(m, "name")), str_or_null(x, jin_get(m, "unit")), 0, 0, 0};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const cJSON *data = get2(m, kinds[k].camel, kinds[k].snake), *dp;
        if (!cJSON_IsObject(data))
            continue;
        mi.kind = kinds[k].kind;
        mi.temporality = mi.monotonic = 0;
        if (mi.kind != OTLP_M_GAUGE && mi.kind != OTLP_M_SUMMARY) {
            int t = read_enum(get2(data, "aggregationTemporality", "aggregation_temporality"),
                              temporalities);
            mi.temporality = t > 0 ? t : 0;
        }
        if (mi.kind == OTLP_M_SUM) {
            int b;
            if (read_bool(get2(data, "isMonotonic", "is_monotonic"), &b))
                mi.monotonic = b;
        }
        const cJSON *points = get2(data, "dataPoints", "data_points");
        cJSON_ArrayForEach(dp, arr(points)) TRY(data_point(x, dp, &mi));
    }
    return 0;
}

/* ---- containers ---------------------------------------------------------------- */

struct signal_keys {
    const char *top, *top_snake;
    const char *scopes, *scopes_snake, *old_scopes, *old_scopes_snake;
    const char *records, *records_snake;
};

static const struct signal_keys keys[4] = {
    [OTLP_LOGS] = {"resourceLogs", "resource_logs", "scopeLogs", "scope_logs",
                   "instrumentationLibraryLogs", "instrumentation_library_logs", "logRecords",
                   "log_records"},
    [OTLP_TRACES] = {"resourceSpans", "resource_spans", "scopeSpans", "scope_spans",
                     "instrumentationLibrarySpans", "instrumentation_library_spans", "spans", NULL},
    [OTLP_METRICS] = {"resourceMetrics", "resource_metrics", "scopeMetrics", "scope_metrics",
                      "instrumentationLibraryMetrics", "instrumentation_library_metrics", "metrics",
                      NULL},
};

static int scope_x(struct jx *x, const cJSON *s, const struct otlp_attrs *rattrs,
                   enum otlp_signal sig)
{
    const struct signal_keys *k = &keys[sig];
    const cJSON *rec;
    if (!cJSON_IsObject(s))
        return 0;
    struct otlp_resource *res = otlp_dec_alloc(&x->d, sizeof *res);
    memset(res, 0, sizeof *res);
    res->attrs = *rattrs;
    const cJSON *sc = jin_get(s, "scope");
    if (!sc)
        sc = get2(s, "instrumentationLibrary", "instrumentation_library");
    if (cJSON_IsObject(sc)) {
        res->scope_name = str_or_null(x, jin_get(sc, "name"));
        res->scope_version = str_or_null(x, jin_get(sc, "version"));
    }
    const cJSON *records = get2(s, k->records, k->records_snake);
    cJSON_ArrayForEach(rec, arr(records))
    {
        if (sig == OTLP_LOGS)
            TRY(log_record(x, rec, res));
        else if (sig == OTLP_TRACES)
            TRY(span(x, rec, res));
        else
            TRY(metric(x, rec, res));
    }
    return 0;
}

static int resource_x(struct jx *x, const cJSON *r, enum otlp_signal sig)
{
    const struct signal_keys *k = &keys[sig];
    struct otlp_attrs attrs = {NULL, 0};
    const cJSON *s;
    if (!cJSON_IsObject(r))
        return 0;
    const cJSON *res = jin_get(r, "resource");
    if (cJSON_IsObject(res)) {
        size_t mark = otlp_dec_attr_mark(&x->d);
        int over = 0;
        TRY(attributes(x, jin_get(res, "attributes"), mark, &over));
        if (over)
            return tp_fail(x->err, TP_ETOOBIG, "a resource with more than %d attributes",
                           TP_MAX_OTLP_ATTRS);
        attrs = otlp_dec_attrs_commit(&x->d, mark);
    }
    const cJSON *scopes = get2(r, k->scopes, k->scopes_snake);
    if (!scopes)
        scopes = get2(r, k->old_scopes, k->old_scopes_snake);
    cJSON_ArrayForEach(s, arr(scopes)) TRY(scope_x(x, s, &attrs, sig));
    return 0;
}

int otlp_json_decode(enum otlp_signal sig, const char *data, size_t len, struct otlp_batch *b,
                     char *errbuf)
{
    static const char *const names[4] = {"", "logs", "traces", "metrics"};
    char err[TP_ERR_MAX];
    struct jx x;
    int rc = 0;
    memset(b, 0, sizeof *b);
    cJSON *root = jin_parse(data, len, JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    if (!root)
        root = jin_parse(data, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, err);
    if (!root)
        return tp_fail(errbuf, TP_EPARSE, "not JSON: %s", err);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return tp_fail(errbuf, TP_EPARSE, "an OTLP %s request is a JSON object",
                       sig ? names[sig] : "export");
    }
    if (sig == 0) {
        int found = 0;
        for (int s = OTLP_LOGS; s <= OTLP_METRICS; s++)
            if (get2(root, keys[s].top, keys[s].top_snake)) {
                found++;
                sig = (enum otlp_signal)s;
            }
        if (found > 1) {
            cJSON_Delete(root);
            return tp_fail(errbuf, TP_EPARSE,
                           "the body holds more than one of resourceLogs, resourceSpans and "
                           "resourceMetrics");
        }
        if (!found)
            sig = OTLP_LOGS; /* empty: answered the same whatever the signal */
    }
    const cJSON *list = get2(root, keys[sig].top, keys[sig].top_snake), *r;
    if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return tp_fail(errbuf, TP_EPARSE, "%s must be an array", keys[sig].top);
    }
    memset(&x, 0, sizeof x);
    otlp_dec_init(&x.d, b, sig);
    x.err = errbuf;
    cJSON_ArrayForEach(r, list)
    {
        rc = resource_x(&x, r, sig);
        if (rc < 0)
            break;
    }
    otlp_dec_finish(&x.d, rc == 0);
    cJSON_Delete(root);
    return rc;
}
