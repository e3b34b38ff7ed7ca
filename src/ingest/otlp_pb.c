/*
 * otlp_pb.c - OTLP export requests in protobuf (see otlp_pb.h).
 *
 * One function per message type of opentelemetry-proto v1, each a loop
 * over its fields with core/pb.h. Field numbers are those of the .proto
 * files (opentelemetry/proto/{common,resource,logs,trace,metrics}/v1 and the
 * collector); every known field's wire type is checked, so that a body of
 * another signal or of garbage fails early instead of being read as
 * something it is not.
 *
 * Field order. Protobuf allows fields in any order, and a record refers to
 * its resource and scope, which a sender may put after the records. So the
 * container messages (ResourceLogs, ScopeLogs, Metric, Sum...) are read in
 * two passes: first the fields that describe, then the ones that contain.
 * A field given twice follows protobuf's rule: the last one wins (repeated
 * fields add up).
 *
 * AnyValue. A scalar becomes an otlp_value; an array or key-value list is
 * written as JSON text while it is read (the model keeps nested values as
 * JSON, otlp_model.h), through a depth counter capped at
 * TP_MAX_OTLP_VALUE_DEPTH on top of the reader's own message depth cap.
 * Values that are not kept (event, link, scope and exemplar attributes) go
 * through the same code with nowhere to write, which still checks them.
 *
 * Working out the signal of `POST /` (sig 0). The three requests have the
 * same outer shape (field 1: resource + scopes), and differ in their
 * records: a LogRecord's field 1 is a fixed64, a Span's and a Metric's are
 * length-delimited, and so on down the fields. The body is decoded as each
 * of the three. A signal whose decoding fails is out. One that decodes
 * with at least one record, without a field its schema does not define,
 * without a record dropped (a span's ids must be 16 and 8 bytes) and
 * without an odd record (a span without start and end times, a metric
 * without a name or without exactly one kind of data) is a clean fit. When
 * exactly one signal fits cleanly, it is chosen; failing that, one that
 * alone keeps records none of which is odd; failing that, one that alone
 * decodes with records at all. When two fit equally at the best level met,
 * the body is refused as ambiguous (400), never guessed. The fields make
 * clean fits exclusive: a span's times (7, 8) are fixed64 where a Metric's
 * 7 is a message, a LogRecord's field 1 is a fixed64 where the others have
 * bytes, and a metric read as a span has no times. An
 * empty request (no records under any reading) answers the same whatever
 * its signal, so it is decoded as an empty logs batch.
 */
#include "ingest/otlp_pb.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/pb.h"
#include "ingest/otlp_int.h"

struct pbx {
    struct otlp_dec d;
    char *err;
    size_t unknown; /* fields the schema does not define */
    size_t records; /* LogRecord, Span and Metric messages met */
    size_t odd;     /* records valid but unlike any real sender's (see otlp_pb_decode) */
};

#define TRY(e)                                                                                     \
    do {                                                                                           \
        int rc_ = (e);                                                                             \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

/* Loop over the fields of reader r: for (...; (rc = NEXT(r)) > 0;). */
#define NEXT(r) pb_next((r), &f, x->err)

static int want(struct pbx *x, const struct pb_field *f, enum pb_wire wt, const char *what)
{
    return pb_expect(f, wt, what, x->err);
}

/* The message in field f of r, checked to be length-delimited. */
static int sub(struct pbx *x, const struct pb_reader *r, const struct pb_field *f,
               struct pb_reader *c, const char *what)
{
    TRY(pb_expect(f, PB_LEN, what, x->err));
    return pb_sub(r, f, c, x->err);
}

static const char *str_or_null(struct pbx *x, const struct pb_slice *s)
{
    return s->n ? otlp_dec_strndup(&x->d, (const char *)s->p, s->n) : NULL;
}

/* ---- AnyValue ---------------------------------------------------------------- */

static int any_value(struct pbx *x, struct pb_reader *r, struct jsonw *w, struct otlp_value *out,
                     int vdepth);

/* A KeyValue of a key-value list, written as "key": value into w (or
 * only checked when w is NULL). */
static int kv_json(struct pbx *x, struct pb_reader *r, struct jsonw *w, int vdepth)
{
    struct pb_field f, val = {0};
    struct pb_slice key = {NULL, 0};
    int rc;
    while ((rc = NEXT(r)) > 0) {
        if (f.num == 1) {
            TRY(want(x, &f, PB_LEN, "KeyValue.key"));
            key = f.s;
        } else if (f.num == 2) {
            TRY(want(x, &f, PB_LEN, "KeyValue.value"));
            val = f;
        } else {
            x->unknown++;
        }
    }
    TRY(rc);
    if (w)
        jw_key(w, key.n ? otlp_dec_strndup(&x->d, (const char *)key.p, key.n) : "");
    if (!val.num) {
        if (w)
            jw_null(w);
        return 0;
    }
    struct pb_reader c;
    TRY(pb_sub(r, &val, &c, x->err));
    return any_value(x, &c, w, NULL, vdepth);
}

/* An ArrayValue (list 5) or KeyValueList (list 6) into w. */
static int any_list(struct pbx *x, struct pb_reader *r, int list, struct jsonw *w, int vdepth)
{
    struct pb_field f;
    int rc;
    if (vdepth > TP_MAX_OTLP_VALUE_DEPTH)
        return tp_fail(x->err, TP_EPARSE,
                       "protobuf: arrays and key-value lists nested more than %d deep",
                       TP_MAX_OTLP_VALUE_DEPTH);
    if (w)
        list == 5 ? jw_arr_begin(w) : jw_obj_begin(w);
    while ((rc = NEXT(r)) > 0) {
        if (f.num != 1) {
            x->unknown++;
            continue;
        }
        struct pb_reader c;
        TRY(sub(x, r, &f, &c, list == 5 ? "ArrayValue.values" : "KeyValueList.values"));
        TRY(list == 5 ? any_value(x, &c, w, NULL, vdepth) : kv_json(x, &c, w, vdepth));
    }
    TRY(rc);
    if (w)
        list == 5 ? jw_arr_end(w) : jw_obj_end(w);
    return 0;
}

/* An AnyValue: into *out (arrays and lists as JSON text), or written into
 * w as JSON, or with neither only checked. vdepth counts the arrays and
 * lists around it. */
static int any_value(struct pbx *x, struct pb_reader *r, struct jsonw *w, struct otlp_value *out,
                     int vdepth)
{
    struct pb_field f, last = {0};
    int rc;
    while ((rc = NEXT(r)) > 0) {
        static const enum pb_wire wts[] = {0,      PB_LEN, PB_VARINT, PB_VARINT,
                                           PB_I64, PB_LEN, PB_LEN,    PB_LEN};
        static const char *const names[] = {"",
                                            "AnyValue.string_value",
                                            "AnyValue.bool_value",
                                            "AnyValue.int_value",
                                            "AnyValue.double_value",
                                            "AnyValue.array_value",
                                            "AnyValue.kvlist_value",
                                            "AnyValue.bytes_value"};
        if (f.num >= 1 && f.num <= 7) {
            TRY(want(x, &f, wts[f.num], names[f.num]));
            last = f; /* a oneof: the last one wins */
        } else {
            x->unknown++;
        }
    }
    TRY(rc);

    struct otlp_value v = {OTLP_V_NONE, NULL, 0, 0};
    switch (last.num) {
    case 0: break;
    case 1:
        v.type = OTLP_V_STR;
        v.s = (w || out) ? otlp_dec_strndup(&x->d, (const char *)last.s.p, last.s.n) : "";
        break;
    case 2:
        v.type = OTLP_V_BOOL;
        v.i = last.u != 0;
        break;
    case 3:
        v.type = OTLP_V_INT;
        v.i = (int64_t)last.u;
        break;
    case 4:
        v.type = OTLP_V_DOUBLE;
        v.d = pb_double(last.u);
        break;
    case 7:
        v.type = OTLP_V_BYTES;
        v.s = (w || out) ? otlp_dec_hex(&x->d, last.s.p, last.s.n) : "";
        break;
    default: { /* 5, 6: nested */
        struct pb_reader c;
        struct jsonw own, *jw = w;
        TRY(pb_sub(r, &last, &c, x->err));
        if (!w && out)
            jw = otlp_dec_json_begin(&x->d, &own);
        TRY(any_list(x, &c, (int)last.num, jw, vdepth + 1));
        if (!w && out)
            return otlp_dec_json_end(&x->d, jw, out, x->err);
        return 0;
    }
    }
    if (w)
        otlp_dec_json_scalar(w, &v);
    else if (out)
        *out = v;
    return 0;
}

/* A KeyValue: pushed onto the attribute stack above mark when keep, else
 * only checked. *over is set when the list is past TP_MAX_OTLP_ATTRS. */
static int key_value(struct pbx *x, const struct pb_reader *parent, const struct pb_field *kf,
                     int keep, size_t mark, int *over)
{
    struct pb_reader r, c;
    struct pb_field f, val = {0};
    struct pb_slice key = {NULL, 0};
    int rc;
    TRY(sub(x, parent, kf, &r, "attributes"));
    while ((rc = NEXT(&r)) > 0) {
        if (f.num == 1) {
            TRY(want(x, &f, PB_LEN, "KeyValue.key"));
            key = f.s;
        } else if (f.num == 2) {
            TRY(want(x, &f, PB_LEN, "KeyValue.value"));
            val = f;
        } else {
            x->unknown++;
        }
    }
    TRY(rc);
    struct otlp_value v = {OTLP_V_NONE, NULL, 0, 0};
    if (val.num) {
        TRY(pb_sub(&r, &val, &c, x->err));
        TRY(any_value(x, &c, NULL, keep && !*over ? &v : NULL, 0));
    }
    if (keep && !*over) {
        const char *k = otlp_dec_strndup(&x->d, key.n ? (const char *)key.p : "", key.n);
        if (otlp_dec_attr_push(&x->d, mark, k, v) != 0)
            *over = 1;
    }
    return 0;
}

/* ---- resource and scope --------------------------------------------------------- */

static int resource(struct pbx *x, const struct pb_reader *parent, const struct pb_field *rf,
                    struct otlp_attrs *out)
{
    struct pb_reader r;
    struct pb_field f;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int rc, over = 0;
    TRY(sub(x, parent, rf, &r, "resource"));
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1: TRY(key_value(x, &r, &f, 1, mark, &over)); break;
        case 2: TRY(want(x, &f, PB_VARINT, "Resource.dropped_attributes_count")); break;
        case 3: TRY(want(x, &f, PB_LEN, "Resource.entity_refs")); break;
        default: x->unknown++;
        }
    }
    TRY(rc);
    if (over)
        return tp_fail(x->err, TP_ETOOBIG, "protobuf: a resource with more than %d attributes",
                       TP_MAX_OTLP_ATTRS);
    *out = otlp_dec_attrs_commit(&x->d, mark);
    return 0;
}

static int scope(struct pbx *x, const struct pb_reader *parent, const struct pb_field *sf,
                 struct otlp_resource *res)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, over = 0;
    TRY(sub(x, parent, sf, &r, "scope"));
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1:
            TRY(want(x, &f, PB_LEN, "InstrumentationScope.name"));
            res->scope_name = str_or_null(x, &f.s);
            break;
        case 2:
            TRY(want(x, &f, PB_LEN, "InstrumentationScope.version"));
            res->scope_version = str_or_null(x, &f.s);
            break;
        case 3: TRY(key_value(x, &r, &f, 0, 0, &over)); break;
        case 4: TRY(want(x, &f, PB_VARINT, "InstrumentationScope.dropped_attributes_count")); break;
        default: x->unknown++;
        }
    }
    return rc;
}

/* ---- checked but not kept ------------------------------------------------------- */

/* The fields of a message that are only checked: wire types by field
 * number (0: not defined), and which fields are KeyValues. */
struct shape {
    const char *name;
    unsigned char wt[16]; /* wire type + 1 per field number, 0 unknown */
    unsigned kv;          /* bit per field number: a KeyValue */
    unsigned packed_i64;  /* bit: repeated fixed64/double, packed or not */
    unsigned packed_var;  /* bit: repeated varint, packed or not */
};

#define W(t) ((unsigned char)((t) + 1))

static const struct shape ev_shape = {
    "Span.Event",
    {[1] = W(PB_I64), [2] = W(PB_LEN), [3] = W(PB_LEN), [4] = W(PB_VARINT)},
    1u << 3,
    0,
    0};
static const struct shape link_shape = {"Span.Link",
                                        {[1] = W(PB_LEN),
                                         [2] = W(PB_LEN),
                                         [3] = W(PB_LEN),
                                         [4] = W(PB_LEN),
                                         [5] = W(PB_VARINT),
                                         [6] = W(PB_I32)},
                                        1u << 4,
                                        0,
                                        0};
static const struct shape exemplar_shape = {"Exemplar",
                                            {[2] = W(PB_I64),
                                             [3] = W(PB_I64),
                                             [4] = W(PB_LEN),
                                             [5] = W(PB_LEN),
                                             [6] = W(PB_I64),
                                             [7] = W(PB_LEN)},
                                            1u << 7,
                                            0,
                                            0};
static const struct shape buckets_shape = {"ExponentialHistogramDataPoint.Buckets",
                                           {[1] = W(PB_VARINT), [2] = W(PB_VARINT)},
                                           0,
                                           0,
                                           1u << 2};
static const struct shape quantile_shape = {
    "SummaryDataPoint.ValueAtQuantile", {[1] = W(PB_I64), [2] = W(PB_I64)}, 0, 0, 0};

/* A packed repeated field: fixed 8-byte elements, or varints. */
static int packed(struct pbx *x, const struct pb_field *f, int fixed64)
{
    if (fixed64) {
        if (f->s.n % 8)
            return tp_fail(x->err, TP_EPARSE,
                           "protobuf: packed field %u at byte %zu: %zu bytes is not a whole "
                           "number of 8-byte values",
                           (unsigned)f->num, f->at, f->s.n);
        return 0;
    }
    const uint8_t *p = f->s.p, *end = f->s.p + f->s.n;
    uint64_t v;
    while (p < end)
        if (pb_varint(&p, end, &v) != 0)
            return tp_fail(x->err, TP_EPARSE, "protobuf: packed field %u at byte %zu: bad varint",
                           (unsigned)f->num, f->at);
    return 0;
}

/* Check one field against a shape (shared by the kept messages for their
 * checked-only fields). Returns 1 when the field was the shape's, 0 when
 * the shape does not define it, or an error. */
static int check_field(struct pbx *x, const struct pb_reader *r, const struct pb_field *f,
                       const struct shape *s)
{
    int over = 0;
    if (f->num >= 16 || !s->wt[f->num])
        return 0;
    unsigned bit = 1u << f->num;
    if ((s->packed_i64 & bit) && f->wt == PB_LEN)
        return packed(x, f, 1) < 0 ? TP_EPARSE : 1;
    if ((s->packed_var & bit) && f->wt == PB_LEN)
        return packed(x, f, 0) < 0 ? TP_EPARSE : 1;
    char what[96];
    snprintf(what, sizeof what, "%s field %u", s->name, (unsigned)f->num);
    TRY(want(x, f, (enum pb_wire)(s->wt[f->num] - 1), what));
    if (s->kv & bit)
        TRY(key_value(x, r, f, 0, 0, &over));
    return 1;
}

/* A message that is only checked. */
static int check_msg(struct pbx *x, const struct pb_reader *parent, const struct pb_field *mf,
                     const struct shape *s)
{
    struct pb_reader r;
    struct pb_field f;
    int rc;
    TRY(sub(x, parent, mf, &r, s->name));
    while ((rc = NEXT(&r)) > 0) {
        int known = check_field(x, &r, &f, s);
        TRY(known);
        if (!known)
            x->unknown++;
    }
    return rc;
}

/* ---- records -------------------------------------------------------------------- */

/* A trace or span id: n bytes, not all zero. */
static int id_ok(const struct pb_slice *s, size_t n)
{
    if (s->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s->p[i])
            return 1;
    return 0;
}

static int log_record(struct pbx *x, const struct pb_reader *parent, const struct pb_field *lf,
                      const struct otlp_resource *res)
{
    struct pb_reader r, c;
    struct pb_field f;
    struct otlp_log tmp, *slot, *l;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int rc, over = 0;
    TRY(sub(x, parent, lf, &r, "ScopeLogs.log_records"));
    x->records++;
    slot = otlp_dec_log(&x->d);
    l = slot ? slot : &tmp;
    memset(l, 0, sizeof *l);
    l->res = res;
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1:
            TRY(want(x, &f, PB_I64, "LogRecord.time_unix_nano"));
            l->time_ns = f.u;
            break;
        case 11:
            TRY(want(x, &f, PB_I64, "LogRecord.observed_time_unix_nano"));
            l->observed_ns = f.u;
            break;
        case 2: TRY(want(x, &f, PB_VARINT, "LogRecord.severity_number")); break;
        case 3: TRY(want(x, &f, PB_LEN, "LogRecord.severity_text")); break;
        case 5:
            TRY(sub(x, &r, &f, &c, "LogRecord.body"));
            TRY(any_value(x, &c, NULL, &l->body, 0));
            break;
        case 6: TRY(key_value(x, &r, &f, 1, mark, &over)); break;
        case 7: TRY(want(x, &f, PB_VARINT, "LogRecord.dropped_attributes_count")); break;
        case 8: TRY(want(x, &f, PB_I32, "LogRecord.flags")); break;
        case 9:
            TRY(want(x, &f, PB_LEN, "LogRecord.trace_id"));
            /* An id of the wrong size is no id: the record is still good. */
            l->has_trace = id_ok(&f.s, 16);
            if (l->has_trace)
                memcpy(l->trace_id, f.s.p, 16);
            break;
        case 10:
            TRY(want(x, &f, PB_LEN, "LogRecord.span_id"));
            l->has_span = id_ok(&f.s, 8);
            if (l->has_span)
                memcpy(l->span_id, f.s.p, 8);
            break;
        case 12:
            TRY(want(x, &f, PB_LEN, "LogRecord.event_name"));
            l->event_name = str_or_null(x, &f.s);
            break;
        default: x->unknown++;
        }
    }
    TRY(rc);
    if (slot && over) {
        otlp_dec_drop(&x->d, "log record %zu: more than %d attributes", x->d.seen,
                      TP_MAX_OTLP_ATTRS);
        otlp_dec_unlog(&x->d);
        slot = NULL;
    }
    if (slot)
        l->attrs = otlp_dec_attrs_commit(&x->d, mark);
    else
        x->d.nstack = mark;
    return 0;
}

static int span(struct pbx *x, const struct pb_reader *parent, const struct pb_field *sf,
                const struct otlp_resource *res)
{
    struct pb_reader r, c;
    struct pb_field f;
    struct otlp_span tmp, *slot, *s;
    struct pb_slice tid = {NULL, 0}, sid = {NULL, 0}, pid = {NULL, 0};
    size_t mark = otlp_dec_attr_mark(&x->d);
    int rc, over = 0;
    TRY(sub(x, parent, sf, &r, "ScopeSpans.spans"));
    x->records++;
    slot = otlp_dec_span(&x->d);
    s = slot ? slot : &tmp;
    memset(s, 0, sizeof *s);
    s->res = res;
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1:
            TRY(want(x, &f, PB_LEN, "Span.trace_id"));
            tid = f.s;
            break;
        case 2:
            TRY(want(x, &f, PB_LEN, "Span.span_id"));
            sid = f.s;
            break;
        case 3: TRY(want(x, &f, PB_LEN, "Span.trace_state")); break;
        case 4:
            TRY(want(x, &f, PB_LEN, "Span.parent_span_id"));
            pid = f.s;
            break;
        case 5:
            TRY(want(x, &f, PB_LEN, "Span.name"));
            s->name = str_or_null(x, &f.s);
            break;
        case 6:
            TRY(want(x, &f, PB_VARINT, "Span.kind"));
            s->kind = (int)(f.u & 0x7fffffff);
            break;
        case 7:
            TRY(want(x, &f, PB_I64, "Span.start_time_unix_nano"));
            s->start_ns = f.u;
            break;
        case 8:
            TRY(want(x, &f, PB_I64, "Span.end_time_unix_nano"));
            s->end_ns = f.u;
            break;
        case 9: TRY(key_value(x, &r, &f, 1, mark, &over)); break;
        case 10:
        case 12:
        case 14: TRY(want(x, &f, PB_VARINT, "Span dropped counts")); break;
        case 11: TRY(check_msg(x, &r, &f, &ev_shape)); break;
        case 13: TRY(check_msg(x, &r, &f, &link_shape)); break;
        case 15: {
            struct pb_field g;
            TRY(sub(x, &r, &f, &c, "Span.status"));
            s->status = 0;
            s->status_message = NULL;
            while ((rc = pb_next(&c, &g, x->err)) > 0) {
                if (g.num == 2) {
                    TRY(want(x, &g, PB_LEN, "Status.message"));
                    s->status_message = str_or_null(x, &g.s);
                } else if (g.num == 3) {
                    TRY(want(x, &g, PB_VARINT, "Status.code"));
                    s->status = (int)(g.u & 0x7fffffff);
                } else {
                    x->unknown++;
                }
            }
            TRY(rc);
            break;
        }
        case 16: TRY(want(x, &f, PB_I32, "Span.flags")); break;
        default: x->unknown++;
        }
    }
    TRY(rc);
    if (slot) {
        const char *why = NULL;
        if (!id_ok(&tid, 16))
            why = "trace_id is not 16 bytes (or all zero)";
        else if (!id_ok(&sid, 8))
            why = "span_id is not 8 bytes (or all zero)";
        else if (pid.n && !id_ok(&pid, 8))
            why = "parent_span_id is not 8 bytes (or all zero)";
        else if (over)
            why = "too many attributes";
        if (why) {
            otlp_dec_drop(&x->d, "span %zu: %s", x->d.seen, why);
            otlp_dec_unspan(&x->d);
            slot = NULL;
        }
    }
    if (!s->start_ns || !s->end_ns)
        x->odd++;
    if (!slot) {
        x->d.nstack = mark;
        return 0;
    }
    memcpy(s->trace_id, tid.p, 16);
    memcpy(s->span_id, sid.p, 8);
    s->has_parent = pid.n == 8;
    if (s->has_parent)
        memcpy(s->parent_id, pid.p, 8);
    s->attrs = otlp_dec_attrs_commit(&x->d, mark);
    return 0;
}

/* What a metric's points share. */
struct metric_info {
    const struct otlp_resource *res;
    const char *name, *unit;
    enum otlp_metric_kind kind;
    int temporality, monotonic;
};

/* The field numbers of a data point message, by kind. */
struct point_fields {
    const char *name;
    unsigned attrs;             /* KeyValue list */
    unsigned count, sum;        /* fixed64 count, double sum (0: none) */
    unsigned as_double, as_int; /* number points */
    const struct shape *extra;  /* the checked-only fields */
};

static const struct shape number_extra = {
    "NumberDataPoint", {[5] = W(PB_LEN), [8] = W(PB_VARINT)}, 0, 0, 0};
static const struct shape hist_extra = {"HistogramDataPoint",
                                        {[6] = W(PB_I64),
                                         [7] = W(PB_I64),
                                         [8] = W(PB_LEN),
                                         [10] = W(PB_VARINT),
                                         [11] = W(PB_I64),
                                         [12] = W(PB_I64)},
                                        0,
                                        (1u << 6) | (1u << 7),
                                        0};
static const struct shape exp_extra = {"ExponentialHistogramDataPoint",
                                       {[6] = W(PB_VARINT),
                                        [7] = W(PB_I64),
                                        [8] = W(PB_LEN),
                                        [9] = W(PB_LEN),
                                        [10] = W(PB_VARINT),
                                        [11] = W(PB_LEN),
                                        [12] = W(PB_I64),
                                        [13] = W(PB_I64),
                                        [14] = W(PB_I64)},
                                       0,
                                       0,
                                       0};
static const struct shape summary_extra = {
    "SummaryDataPoint", {[6] = W(PB_LEN), [8] = W(PB_VARINT)}, 0, 0, 0};

static const struct point_fields number_fields = {"NumberDataPoint", 7, 0, 0, 4, 6, &number_extra};
static const struct point_fields hist_fields = {"HistogramDataPoint", 9, 4, 5, 0, 0, &hist_extra};
static const struct point_fields exp_fields = {
    "ExponentialHistogramDataPoint", 1, 4, 5, 0, 0, &exp_extra};
static const struct point_fields summary_fields = {"SummaryDataPoint", 7, 4, 5, 0, 0,
                                                   &summary_extra};

static int data_point(struct pbx *x, const struct pb_reader *parent, const struct pb_field *pf,
                      const struct metric_info *mi, const struct point_fields *pfs)
{
    struct pb_reader r;
    struct pb_field f;
    struct otlp_point tmp, *slot, *p;
    size_t mark = otlp_dec_attr_mark(&x->d);
    int rc, over = 0;
    TRY(sub(x, parent, pf, &r, pfs->name));
    slot = otlp_dec_point(&x->d);
    p = slot ? slot : &tmp;
    memset(p, 0, sizeof *p);
    p->res = mi->res;
    p->metric = mi->name;
    p->unit = mi->unit;
    p->kind = mi->kind;
    p->temporality = mi->temporality;
    p->monotonic = mi->monotonic;
    p->value = NAN;
    while ((rc = NEXT(&r)) > 0) {
        if (f.num == pfs->attrs) {
            TRY(key_value(x, &r, &f, 1, mark, &over));
        } else if (f.num == 2) {
            TRY(want(x, &f, PB_I64, "start_time_unix_nano"));
            p->start_ns = f.u;
        } else if (f.num == 3) {
            TRY(want(x, &f, PB_I64, "time_unix_nano"));
            p->time_ns = f.u;
        } else if (pfs->as_double && f.num == pfs->as_double) {
            TRY(want(x, &f, PB_I64, "NumberDataPoint.as_double"));
            p->value = pb_double(f.u);
        } else if (pfs->as_int && f.num == pfs->as_int) {
            TRY(want(x, &f, PB_I64, "NumberDataPoint.as_int"));
            p->value = (double)(int64_t)f.u;
        } else if (pfs->count && f.num == pfs->count) {
            TRY(want(x, &f, PB_I64, "count"));
            p->count = f.u;
        } else if (pfs->sum && f.num == pfs->sum) {
            TRY(want(x, &f, PB_I64, "sum"));
            p->value = pb_double(f.u);
        } else {
            int known;
            if (pfs->extra == &number_extra && f.num == 5)
                known = check_msg(x, &r, &f, &exemplar_shape) < 0 ? TP_EPARSE : 1;
            else if (pfs->extra == &hist_extra && f.num == 8)
                known = check_msg(x, &r, &f, &exemplar_shape) < 0 ? TP_EPARSE : 1;
            else if (pfs->extra == &exp_extra && f.num == 11)
                known = check_msg(x, &r, &f, &exemplar_shape) < 0 ? TP_EPARSE : 1;
            else if (pfs->extra == &exp_extra && (f.num == 8 || f.num == 9))
                known = check_msg(x, &r, &f, &buckets_shape) < 0 ? TP_EPARSE : 1;
            else if (pfs->extra == &summary_extra && f.num == 6)
                known = check_msg(x, &r, &f, &quantile_shape) < 0 ? TP_EPARSE : 1;
            else
                known = check_field(x, &r, &f, pfs->extra);
            TRY(known);
            if (!known)
                x->unknown++;
        }
    }
    TRY(rc);
    if (slot && over) {
        otlp_dec_drop(&x->d, "data point %zu of %s: more than %d attributes", x->d.seen,
                      mi->name ? mi->name : "a metric", TP_MAX_OTLP_ATTRS);
        otlp_dec_unpoint(&x->d);
        slot = NULL;
    }
    if (slot)
        p->attrs = otlp_dec_attrs_commit(&x->d, mark);
    else
        x->d.nstack = mark;
    return 0;
}

/* Gauge (5), Sum (7), Histogram (9), ExponentialHistogram (10) or
 * Summary (11): temporality and monotonicity first, then the points. */
static int metric_data(struct pbx *x, const struct pb_reader *parent, const struct pb_field *df,
                       struct metric_info mi)
{
    static const struct {
        unsigned num;
        enum otlp_metric_kind kind;
        const char *name;
        const struct point_fields *points;
        int has_temporality, has_monotonic;
    } kinds[] = {
        {5, OTLP_M_GAUGE, "Metric.gauge", &number_fields, 0, 0},
        {7, OTLP_M_SUM, "Metric.sum", &number_fields, 1, 1},
        {9, OTLP_M_HISTOGRAM, "Metric.histogram", &hist_fields, 1, 0},
        {10, OTLP_M_EXP_HISTOGRAM, "Metric.exponential_histogram", &exp_fields, 1, 0},
        {11, OTLP_M_SUMMARY, "Metric.summary", &summary_fields, 0, 0},
    };
    size_t k = 0;
    while (kinds[k].num != df->num)
        k++;
    struct pb_reader r;
    struct pb_field f;
    int rc;
    TRY(sub(x, parent, df, &r, kinds[k].name));
    struct pb_reader first = r;
    mi.kind = kinds[k].kind;
    while ((rc = NEXT(&first)) > 0) {
        if (f.num == 2 && kinds[k].has_temporality) {
            TRY(want(x, &f, PB_VARINT, "aggregation_temporality"));
            mi.temporality = (int)(f.u & 0x7fffffff);
        } else if (f.num == 3 && kinds[k].has_monotonic) {
            TRY(want(x, &f, PB_VARINT, "Sum.is_monotonic"));
            mi.monotonic = f.u != 0;
        } else if (f.num != 1) {
            x->unknown++;
        }
    }
    TRY(rc);
    while ((rc = NEXT(&r)) > 0)
        if (f.num == 1)
            TRY(data_point(x, &r, &f, &mi, kinds[k].points));
    return rc;
}

static int metric(struct pbx *x, const struct pb_reader *parent, const struct pb_field *mf,
                  const struct otlp_resource *res)
{
    struct pb_reader r;
    struct pb_field f;
    struct metric_info mi = {res, NULL, NULL, 0, 0, 0};
    int rc, over = 0, kinds = 0;
    TRY(sub(x, parent, mf, &r, "ScopeMetrics.metrics"));
    x->records++;
    struct pb_reader first = r;
    while ((rc = NEXT(&first)) > 0) {
        switch (f.num) {
        case 1:
            TRY(want(x, &f, PB_LEN, "Metric.name"));
            mi.name = str_or_null(x, &f.s);
            break;
        case 2: TRY(want(x, &f, PB_LEN, "Metric.description")); break;
        case 3:
            TRY(want(x, &f, PB_LEN, "Metric.unit"));
            mi.unit = str_or_null(x, &f.s);
            break;
        case 5:
        case 7:
        case 9:
        case 10:
        case 11:
            TRY(want(x, &f, PB_LEN, "Metric data"));
            kinds++;
            break;
        case 12: TRY(key_value(x, &first, &f, 0, 0, &over)); break;
        default: x->unknown++;
        }
    }
    TRY(rc);
    if (!mi.name || kinds != 1)
        x->odd++;
    while ((rc = NEXT(&r)) > 0) {
        if (f.num == 5 || f.num == 7 || f.num == 9 || f.num == 10 || f.num == 11)
            TRY(metric_data(x, &r, &f, mi));
    }
    return rc;
}

/* ---- containers ----------------------------------------------------------------- */

/* ScopeLogs / ScopeSpans / ScopeMetrics (and the InstrumentationLibrary*
 * of OTLP before 0.15, which had the same fields). */
static int scope_x(struct pbx *x, const struct pb_reader *parent, const struct pb_field *sf,
                   const struct otlp_attrs *rattrs, enum otlp_signal sig)
{
    struct pb_reader r;
    struct pb_field f;
    int rc;
    TRY(sub(x, parent, sf, &r, "scope records"));
    struct otlp_resource *res = otlp_dec_alloc(&x->d, sizeof *res);
    memset(res, 0, sizeof *res);
    res->attrs = *rattrs;
    struct pb_reader first = r;
    while ((rc = NEXT(&first)) > 0)
        if (f.num == 1)
            TRY(scope(x, &first, &f, res));
    TRY(rc);
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1: break; /* read above */
        case 2:
            if (sig == OTLP_LOGS)
                TRY(log_record(x, &r, &f, res));
            else if (sig == OTLP_TRACES)
                TRY(span(x, &r, &f, res));
            else
                TRY(metric(x, &r, &f, res));
            break;
        case 3: TRY(want(x, &f, PB_LEN, "schema_url")); break;
        default: x->unknown++;
        }
    }
    return rc;
}

/* ResourceLogs / ResourceSpans / ResourceMetrics. */
static int resource_x(struct pbx *x, const struct pb_reader *parent, const struct pb_field *rf,
                      enum otlp_signal sig)
{
    struct pb_reader r;
    struct pb_field f;
    struct otlp_attrs attrs = {NULL, 0};
    int rc;
    TRY(sub(x, parent, rf, &r, "resource records"));
    struct pb_reader first = r;
    while ((rc = NEXT(&first)) > 0)
        if (f.num == 1)
            TRY(resource(x, &first, &f, &attrs));
    TRY(rc);
    while ((rc = NEXT(&r)) > 0) {
        switch (f.num) {
        case 1: break;
        case 2:
        case 1000: TRY(scope_x(x, &r, &f, &attrs, sig)); break;
        case 3: TRY(want(x, &f, PB_LEN, "schema_url")); break;
        default: x->unknown++;
        }
    }
    return rc;
}

static int decode_one(enum otlp_signal sig, const void *data, size_t n, struct otlp_batch *b,
                      size_t *unknown, size_t *records, size_t *odd, char *errbuf)
{
    struct pbx x;
    struct pb_reader r;
    struct pb_field f;
    int rc;
    memset(&x, 0, sizeof x);
    otlp_dec_init(&x.d, b, sig);
    x.err = errbuf;
    pb_init(&r, data, n);
    while ((rc = pb_next(&r, &f, errbuf)) > 0) {
        if (f.num == 1) {
            rc = resource_x(&x, &r, &f, sig);
            if (rc < 0)
                break;
        } else {
            x.unknown++;
        }
    }
    otlp_dec_finish(&x.d, rc == 0);
    *unknown = x.unknown;
    *records = x.records;
    *odd = x.odd;
    return rc;
}

/* ---- the entry ------------------------------------------------------------------ */

int otlp_pb_decode(enum otlp_signal sig, const void *data, size_t n, struct otlp_batch *b,
                   char *errbuf)
{
    size_t unknown, records, odd;
    if (sig != 0)
        return decode_one(sig, data, n, b, &unknown, &records, &odd, errbuf);

    static const enum otlp_signal sigs[3] = {OTLP_LOGS, OTLP_TRACES, OTLP_METRICS};
    static const char *const names[3] = {"logs", "traces", "metrics"};
    struct otlp_batch cand[3];
    int rc[3], level[3], pick = -1, best = 0, nbest = 0, empty = -1;
    char errs[3][TP_ERR_MAX];
    for (int i = 0; i < 3; i++) {
        rc[i] = decode_one(sigs[i], data, n, &cand[i], &unknown, &records, &odd, errs[i]);
        size_t kept = cand[i].nlogs + cand[i].nspans + cand[i].npoints;
        /* 3: a clean fit; 2: records kept, none odd; 1: records met. */
        if (rc[i] != 0 || records == 0)
            level[i] = 0;
        else if (kept == 0 || odd)
            level[i] = 1;
        else if (unknown || cand[i].dropped)
            level[i] = 2;
        else
            level[i] = 3;
        if (rc[i] == 0 && records == 0 && empty < 0)
            empty = i;
        if (level[i] > best) {
            best = level[i];
            nbest = 0;
        }
        if (level[i] == best && best > 0) {
            nbest++;
            pick = i;
        }
    }
    if (nbest > 1) {
        char list[64] = "";
        for (int i = 0; i < 3; i++)
            if (level[i] == best)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         list[0] ? " and " : "", names[i]);
        tp_fail(errbuf, TP_EPARSE,
                "protobuf: the body reads as %s alike; post it to /v1/logs, /v1/traces or "
                "/v1/metrics",
                list);
        pick = -1;
    } else if (nbest == 0 && empty >= 0) {
        pick = empty; /* no records: answered the same whatever the signal */
    } else if (nbest == 0) {
        int i = rc[0] != 0 ? 0 : rc[1] != 0 ? 1 : 2;
        tp_fail(errbuf, TP_EPARSE, "not an OTLP logs, traces or metrics request (as %s: %s)",
                names[i], errs[i]);
    }
    for (int i = 0; i < 3; i++)
        if (i != pick)
            otlp_batch_free(&cand[i]);
    if (pick < 0) {
        memset(b, 0, sizeof *b);
        return TP_EPARSE;
    }
    *b = cand[pick];
    return 0;
}
