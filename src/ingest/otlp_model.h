/*
 * otlp_model.h - an OTLP export request, decoded: what the JSON and the
 * protobuf decoders produce and what the mappers into toolprof's records
 * read.
 *
 * OpenTelemetry senders post logs, traces and metrics as OTLP/JSON (the
 * proto3 JSON mapping) or as binary protobuf, over HTTP or gRPC. Both
 * encodings decode into this one model, so everything after decoding
 * (which records become operations, phases, spans, usage) is written once.
 *
 * Only what toolprof reads is kept: resource and record attributes, times,
 * names, ids, and the values of number data points. Optional strings
 * (names, units, messages) are NULL when absent or empty, in both
 * encodings alike; ids of the wrong size are no ids (a log record keeps
 * going without them, a span is dropped). Everything lives in one
 * arena owned by the batch: strings are NUL-terminated copies (a protobuf
 * string may hold a NUL byte: such a value is cut there), attribute lists
 * are arrays. Nested AnyValues (arrays, key-value lists) are kept as their
 * JSON text in `s` (type OTLP_V_JSON), which is all toolprof needs of them.
 *
 * Limits (core/limits.h): records per batch, attributes per record, nesting
 * depth, string sizes; a decoder refuses input past them with a message.
 */
#ifndef TOOLPROF_OTLP_MODEL_H
#define TOOLPROF_OTLP_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum otlp_vtype {
    OTLP_V_NONE = 0, /* absent or empty AnyValue */
    OTLP_V_STR,
    OTLP_V_BOOL,
    OTLP_V_INT,
    OTLP_V_DOUBLE,
    OTLP_V_BYTES, /* s holds lowercase hex */
    OTLP_V_JSON,  /* an array or key-value list, as compact JSON text in s */
};

struct otlp_value {
    enum otlp_vtype type;
    const char *s; /* STR, BYTES, JSON (NUL-terminated, in the arena) */
    int64_t i;     /* INT, and BOOL as 0/1 */
    double d;      /* DOUBLE */
};

struct otlp_attr {
    const char *key;
    struct otlp_value v;
};

struct otlp_attrs {
    const struct otlp_attr *a;
    size_t n;
};

/* The resource (and instrumentation scope) a record came with. */
struct otlp_resource {
    struct otlp_attrs attrs;
    const char *scope_name, *scope_version; /* NULL when absent */
};

struct otlp_log {
    const struct otlp_resource *res;
    uint64_t time_ns, observed_ns; /* 0 = unset */
    const char *event_name;        /* LogRecord.event_name (NULL when absent) */
    struct otlp_value body;
    struct otlp_attrs attrs;
    unsigned char trace_id[16], span_id[8];
    int has_trace, has_span;
};

struct otlp_span {
    const struct otlp_resource *res;
    unsigned char trace_id[16], span_id[8], parent_id[8];
    int has_parent;
    const char *name;
    int kind;
    uint64_t start_ns, end_ns;
    struct otlp_attrs attrs;
    int status; /* 0 unset, 1 ok, 2 error */
    const char *status_message;
};

enum otlp_metric_kind {
    OTLP_M_GAUGE = 1,
    OTLP_M_SUM = 2,
    OTLP_M_HISTOGRAM = 3,
    OTLP_M_EXP_HISTOGRAM = 4, /* kept like a histogram: count and sum */
    OTLP_M_SUMMARY = 5,       /* kept like a histogram: count and sum */
};

/* One number data point of a gauge or a sum; for a histogram (and an
 * exponential histogram or a summary), its count and sum (the buckets and
 * quantiles are not kept). */
struct otlp_point {
    const struct otlp_resource *res;
    const char *metric, *unit;
    enum otlp_metric_kind kind;
    int temporality; /* 1 delta, 2 cumulative, 0 unspecified (gauges) */
    int monotonic;
    uint64_t start_ns, time_ns;
    double value;   /* as_double or as_int; a histogram's sum; NaN when absent */
    uint64_t count; /* histograms */
    struct otlp_attrs attrs;
};

/* A decoded request: one signal's records (the others empty). */
enum otlp_signal { OTLP_LOGS = 1, OTLP_TRACES = 2, OTLP_METRICS = 3 };

struct otlp_batch {
    enum otlp_signal signal;
    struct otlp_log *logs;
    size_t nlogs;
    struct otlp_span *spans;
    size_t nspans;
    struct otlp_point *points;
    size_t npoints;
    size_t dropped; /* records refused one by one (their reason below): over
                     * TP_MAX_BATCH or TP_MAX_OTLP_ATTRS, a span without valid
                     * ids, a JSON record that is not an object */
    char first_error[256];
    struct otlp_arena *arena;
};

/* Free everything the batch holds (it may be zeroed, never decoded). */
void otlp_batch_free(struct otlp_batch *b);

/* Attribute lookups, for the mappers. */
const struct otlp_value *otlp_attrs_get(const struct otlp_attrs *a, const char *key);
/* A string value (NULL for absent, empty or not a string). */
const char *otlp_attrs_str(const struct otlp_attrs *a, const char *key);
/* A number in any encoding senders use: int, double, or a decimal
 * string ("62"). 1 when found and finite. */
int otlp_attrs_num(const struct otlp_attrs *a, const char *key, double *out);
/* A boolean: bool, "true"/"false", or an int. 1 when found. */
int otlp_attrs_bool(const struct otlp_attrs *a, const char *key, int *out);

#endif
