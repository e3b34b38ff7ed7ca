/*
 * test_otlp_decode.c - the two OTLP decoders (otlp_json.c, otlp_pb.c).
 *
 * The central test builds one request of each signal in both encodings
 * (the JSON text and the protobuf bytes, written side by side below from
 * the field numbers of opentelemetry-proto) and checks that both decode to
 * the same model, field by field, and to the values written. Then the
 * hostile inputs (each refused with a message, nothing decoded), the
 * limits (attributes per record, records per request), the JSON mapping's
 * variants (snake_case, base64 ids, enum names, numbers as strings) and
 * the signal detection of POST /.
 */
#include <math.h>
#include <stdint.h>

#include "harness.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pb.h"
#include "ingest/otlp.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_pb.h"

/* ---- a protobuf writer for the tests --------------------------------------------- */

typedef struct buf msg;

static msg m_new(void)
{
    msg m;
    buf_init(&m, 1u << 30);
    return m;
}

static void m_str(msg *m, uint32_t num, const char *s)
{
    pb_put_bytes(m, num, s, strlen(s));
}

static void m_u(msg *m, uint32_t num, uint64_t v)
{
    pb_put_uint(m, num, v);
}

static void m_f64(msg *m, uint32_t num, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    pb_put_varint(m, (uint64_t)num << 3 | PB_I64);
    buf_add(m, b, 8);
}

static void m_dbl(msg *m, uint32_t num, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    m_f64(m, num, v);
}

static void m_sub(msg *m, uint32_t num, msg *inner)
{
    pb_put_bytes(m, num, inner->data ? inner->data : "", inner->len);
    buf_free(inner);
}

static msg av_str(const char *s)
{
    msg m = m_new();
    m_str(&m, 1, s);
    return m;
}

static msg av_int(int64_t i)
{
    msg m = m_new();
    m_u(&m, 3, (uint64_t)i);
    return m;
}

static msg av_bool(int b)
{
    msg m = m_new();
    m_u(&m, 2, (uint64_t)b);
    return m;
}

static msg av_dbl(double d)
{
    msg m = m_new();
    m_dbl(&m, 4, d);
    return m;
}

static msg av_bytes(const void *p, size_t n)
{
    msg m = m_new();
    pb_put_bytes(&m, 7, p, n);
    return m;
}

static msg kv(const char *k, msg v)
{
    msg m = m_new();
    m_str(&m, 1, k);
    m_sub(&m, 2, &v);
    return m;
}

static msg av_list(uint32_t which, msg *items, size_t n)
{
    msg list = m_new(), m = m_new();
    for (size_t i = 0; i < n; i++)
        m_sub(&list, 1, &items[i]);
    m_sub(&m, which, &list);
    return m;
}

#define AV_ARR(...) av_list(5, (msg[]){__VA_ARGS__}, sizeof((msg[]){__VA_ARGS__}) / sizeof(msg))
#define AV_KVL(...) av_list(6, (msg[]){__VA_ARGS__}, sizeof((msg[]){__VA_ARGS__}) / sizeof(msg))

/* Append attributes (field num) to m. */
static void m_attrs(msg *m, uint32_t num, msg *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m_sub(m, num, &kvs[i]);
}

#define ATTRS(m, num, ...)                                                                         \
    m_attrs(m, num, (msg[]){__VA_ARGS__}, sizeof((msg[]){__VA_ARGS__}) / sizeof(msg))

static const unsigned char TID[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const unsigned char SID[8] = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
static const unsigned char PID[8] = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28};

/* The resource and scope every request below shares. */
#define RES_JSON                                                                                   \
    "\"resource\":{\"attributes\":["                                                               \
    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"claude-code\"}},"                      \
    "{\"key\":\"flag\",\"value\":{\"boolValue\":true}},"                                           \
    "{\"key\":\"n\",\"value\":{\"intValue\":\"-42\"}},"                                            \
    "{\"key\":\"big\",\"value\":{\"intValue\":\"9007199254740993\"}},"                             \
    "{\"key\":\"pi\",\"value\":{\"doubleValue\":3.25}},"                                           \
    "{\"key\":\"raw\",\"value\":{\"bytesValue\":\"AP8Q\"}},"                                       \
    "{\"key\":\"list\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":1},"                   \
    "{\"stringValue\":\"a\\\"b\"},{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":"         \
    "{\"boolValue\":false}}]}},{\"doubleValue\":0.5}]}}},"                                         \
    "{\"key\":\"empty\",\"value\":{}}],\"droppedAttributesCount\":0}"

static msg res_pb(void)
{
    static const unsigned char raw[] = {0x00, 0xff, 0x10};
    msg r = m_new(), m = m_new();
    ATTRS(&r, 1, kv("service.name", av_str("claude-code")), kv("flag", av_bool(1)),
          kv("n", av_int(-42)), kv("big", av_int(9007199254740993LL)), kv("pi", av_dbl(3.25)),
          kv("raw", av_bytes(raw, 3)),
          kv("list", AV_ARR(av_int(1), av_str("a\"b"), AV_KVL(kv("k", av_bool(0))), av_dbl(0.5))),
          kv("empty", m_new()));
    m_u(&r, 2, 0);
    m_sub(&m, 1, &r);
    return m; /* the contents of a Resource{...} field 1 of ResourceX */
}

static void m_scope(msg *m, const char *name, const char *version)
{
    msg s = m_new();
    m_str(&s, 1, name);
    m_str(&s, 2, version);
    ATTRS(&s, 3, kv("scope.attr", av_str("ignored")));
    m_sub(m, 1, &s);
}

/* ---- the requests -------------------------------------------------------------------- */

static const char logs_json[] =
    "{\"resourceLogs\":[{" RES_JSON ",\"scopeLogs\":[{\"scope\":{\"name\":"
    "\"com.anthropic.claude_code.events\",\"version\":\"2.1.332\",\"attributes\":[{\"key\":"
    "\"scope.attr\",\"value\":{\"stringValue\":\"ignored\"}}]},\"logRecords\":["
    "{\"timeUnixNano\":\"1786406410000000001\",\"observedTimeUnixNano\":\"1786406410000000002\","
    "\"severityNumber\":9,\"severityText\":\"INFO\",\"body\":{\"stringValue\":"
    "\"claude_code.tool_result\"},\"eventName\":\"claude_code.tool_result\",\"attributes\":["
    "{\"key\":\"event.name\",\"value\":{\"stringValue\":\"tool_result\"}},"
    "{\"key\":\"tool_name\",\"value\":{\"stringValue\":\"Read\"}},"
    "{\"key\":\"tool_use_id\",\"value\":{\"stringValue\":\"toolu_eq_1\"}},"
    "{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s-eq\"}},"
    "{\"key\":\"success\",\"value\":{\"stringValue\":\"true\"}},"
    "{\"key\":\"duration_ms\",\"value\":{\"stringValue\":\"62\"}},"
    "{\"key\":\"tool_input\",\"value\":{\"stringValue\":\"{\\\"file_path\\\":\\\"/src/a.c\\\"}\"}}"
    "],\"droppedAttributesCount\":0,\"flags\":1,"
    "\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"1112131415161718\"},"
    "{\"timeUnixNano\":\"1786406411000000000\",\"body\":{\"kvlistValue\":{\"values\":[{\"key\":"
    "\"x\",\"value\":{\"doubleValue\":-0.5}},{\"key\":\"y\",\"value\":{\"bytesValue\":\"\"}}]}}}"
    "]}]}]}";

static msg logs_pb(void)
{
    msg req = m_new(), rl = res_pb(), sl = m_new(), r1 = m_new(), r2 = m_new();
    m_scope(&sl, "com.anthropic.claude_code.events", "2.1.332");
    m_f64(&r1, 1, 1786406410000000001ULL);
    m_f64(&r1, 11, 1786406410000000002ULL);
    m_u(&r1, 2, 9);
    m_str(&r1, 3, "INFO");
    msg body = av_str("claude_code.tool_result");
    m_sub(&r1, 5, &body);
    m_str(&r1, 12, "claude_code.tool_result");
    ATTRS(&r1, 6, kv("event.name", av_str("tool_result")), kv("tool_name", av_str("Read")),
          kv("tool_use_id", av_str("toolu_eq_1")), kv("session.id", av_str("s-eq")),
          kv("success", av_str("true")), kv("duration_ms", av_str("62")),
          kv("tool_input", av_str("{\"file_path\":\"/src/a.c\"}")));
    m_u(&r1, 7, 0);
    pb_put_varint(&r1, 8 << 3 | PB_I32);
    buf_add(&r1, "\x01\x00\x00\x00", 4);
    pb_put_bytes(&r1, 9, TID, 16);
    pb_put_bytes(&r1, 10, SID, 8);
    m_f64(&r2, 1, 1786406411000000000ULL);
    body = AV_KVL(kv("x", av_dbl(-0.5)), kv("y", av_bytes("", 0)));
    m_sub(&r2, 5, &body);
    m_sub(&sl, 2, &r1);
    m_sub(&sl, 2, &r2);
    m_sub(&rl, 2, &sl);
    m_str(&rl, 3, "https://opentelemetry.io/schemas/1.21.0");
    m_sub(&req, 1, &rl);
    return req;
}

static const char traces_json[] =
    "{\"resourceSpans\":[{" RES_JSON ",\"scopeSpans\":[{\"scope\":{\"name\":"
    "\"com.anthropic.claude_code.tracing\",\"version\":\"1\"},\"spans\":["
    "{\"traceId\":\"0102030405060708090A0B0C0D0E0F10\",\"spanId\":\"1112131415161718\","
    "\"parentSpanId\":\"2122232425262728\",\"name\":\"claude_code.tool\",\"kind\":3,"
    "\"startTimeUnixNano\":\"1786406410000000000\",\"endTimeUnixNano\":1786406410500000000,"
    "\"attributes\":[{\"key\":\"tool_use_id\",\"value\":{\"stringValue\":\"toolu_eq_1\"}},"
    "{\"key\":\"success\",\"value\":{\"boolValue\":false}},"
    "{\"key\":\"duration_ms\",\"value\":{\"intValue\":500}}],"
    "\"events\":[{\"timeUnixNano\":\"1786406410100000000\",\"name\":\"exception\","
    "\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"v\"}}]}],"
    "\"links\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":"
    "\"2122232425262728\"}],\"status\":{\"code\":2,\"message\":\"boom\"}},"
    /* base64 ids, the kind by name, the status code by name, no parent */
    "{\"traceId\":\"AQIDBAUGBwgJCgsMDQ4PEA==\",\"spanId\":\"ISIjJCUmJyg=\","
    "\"name\":\"claude_code.interaction\",\"kind\":\"SPAN_KIND_INTERNAL\","
    "\"startTimeUnixNano\":\"1786406409000000000\",\"endTimeUnixNano\":\"1786406411000000000\","
    "\"status\":{\"code\":\"STATUS_CODE_OK\"}}"
    "]}]}]}";

static msg traces_pb(void)
{
    msg req = m_new(), rs = res_pb(), ss = m_new(), s1 = m_new(), s2 = m_new(), ev = m_new(),
        ln = m_new(), st = m_new();
    m_scope(&ss, "com.anthropic.claude_code.tracing", "1");
    pb_put_bytes(&s1, 1, TID, 16);
    pb_put_bytes(&s1, 2, SID, 8);
    pb_put_bytes(&s1, 4, PID, 8);
    m_str(&s1, 5, "claude_code.tool");
    m_u(&s1, 6, 3);
    m_f64(&s1, 7, 1786406410000000000ULL);
    m_f64(&s1, 8, 1786406410500000000ULL);
    ATTRS(&s1, 9, kv("tool_use_id", av_str("toolu_eq_1")), kv("success", av_bool(0)),
          kv("duration_ms", av_int(500)));
    m_f64(&ev, 1, 1786406410100000000ULL);
    m_str(&ev, 2, "exception");
    ATTRS(&ev, 3, kv("k", av_str("v")));
    m_sub(&s1, 11, &ev);
    pb_put_bytes(&ln, 1, TID, 16);
    pb_put_bytes(&ln, 2, PID, 8);
    m_sub(&s1, 13, &ln);
    m_str(&st, 2, "boom");
    m_u(&st, 3, 2);
    m_sub(&s1, 15, &st);
    pb_put_bytes(&s2, 1, TID, 16);
    pb_put_bytes(&s2, 2, PID, 8);
    m_str(&s2, 5, "claude_code.interaction");
    m_u(&s2, 6, 1);
    m_f64(&s2, 7, 1786406409000000000ULL);
    m_f64(&s2, 8, 1786406411000000000ULL);
    st = m_new();
    m_u(&st, 3, 1);
    m_sub(&s2, 15, &st);
    m_sub(&ss, 2, &s1);
    m_sub(&ss, 2, &s2);
    m_sub(&rs, 2, &ss);
    m_sub(&req, 1, &rs);
    return req;
}

#define PT_ATTRS "\"attributes\":[{\"key\":\"type\",\"value\":{\"stringValue\":\"input\"}}]"
#define PT_TIMES                                                                                   \
    "\"startTimeUnixNano\":\"1786406400000000000\",\"timeUnixNano\":\"1786406410000000000\""

static const char metrics_json[] =
    "{\"resourceMetrics\":[{" RES_JSON ",\"scopeMetrics\":[{\"scope\":{\"name\":"
    "\"com.anthropic.claude_code\",\"version\":\"2.1.332\"},\"metrics\":["
    "{\"name\":\"g\",\"unit\":\"1\",\"gauge\":{\"dataPoints\":[{" PT_ATTRS "," PT_TIMES
    ",\"asDouble\":1.5}]}},"
    "{\"name\":\"claude_code.token.usage\",\"description\":\"tokens\",\"unit\":\"tokens\","
    "\"sum\":{\"aggregationTemporality\":1,\"isMonotonic\":true,\"dataPoints\":[{" PT_ATTRS
    "," PT_TIMES ",\"asInt\":\"7\"},{" PT_TIMES ",\"asDouble\":120}]}},"
    "{\"name\":\"h\",\"histogram\":{\"aggregationTemporality\":\"AGGREGATION_TEMPORALITY_"
    "CUMULATIVE\",\"dataPoints\":[{" PT_TIMES ",\"count\":\"3\",\"sum\":2.5,\"bucketCounts\":"
    "[\"1\",\"2\"],\"explicitBounds\":[1.0]}]}},"
    "{\"name\":\"e\",\"exponentialHistogram\":{\"aggregationTemporality\":1,\"dataPoints\":["
    "{" PT_TIMES ",\"count\":2,\"sum\":1.0,\"scale\":3}]}},"
    "{\"name\":\"s\",\"summary\":{\"dataPoints\":[{" PT_TIMES ",\"count\":\"10\",\"sum\":99,"
    "\"quantileValues\":[{\"quantile\":0.5,\"value\":9}]}]}}"
    "]}]}]}";

static void pt_common(msg *p)
{
    m_f64(p, 2, 1786406400000000000ULL);
    m_f64(p, 3, 1786406410000000000ULL);
}

static msg metrics_pb(void)
{
    msg req = m_new(), rm = res_pb(), sm = m_new();
    m_scope(&sm, "com.anthropic.claude_code", "2.1.332");
    /* gauge */
    msg m = m_new(), data = m_new(), p = m_new();
    m_str(&m, 1, "g");
    m_str(&m, 3, "1");
    ATTRS(&p, 7, kv("type", av_str("input")));
    pt_common(&p);
    m_dbl(&p, 4, 1.5);
    m_sub(&data, 1, &p);
    m_sub(&m, 5, &data);
    m_sub(&sm, 2, &m);
    /* sum: the points before the temporality, as protobuf allows */
    m = m_new(), data = m_new(), p = m_new();
    m_str(&m, 1, "claude_code.token.usage");
    m_str(&m, 2, "tokens");
    m_str(&m, 3, "tokens");
    ATTRS(&p, 7, kv("type", av_str("input")));
    pt_common(&p);
    m_f64(&p, 6, 7);
    m_sub(&data, 1, &p);
    p = m_new();
    pt_common(&p);
    m_dbl(&p, 4, 120);
    m_sub(&data, 1, &p);
    m_u(&data, 2, 1);
    m_u(&data, 3, 1);
    m_sub(&m, 7, &data);
    m_sub(&sm, 2, &m);
    /* histogram, packed buckets */
    m = m_new(), data = m_new(), p = m_new();
    m_str(&m, 1, "h");
    pt_common(&p);
    m_f64(&p, 4, 3);
    m_dbl(&p, 5, 2.5);
    pb_put_bytes(&p, 6, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", 16);
    m_dbl(&p, 7, 1.0); /* explicit_bounds unpacked */
    m_sub(&data, 1, &p);
    m_u(&data, 2, 2);
    m_sub(&m, 9, &data);
    m_sub(&sm, 2, &m);
    /* exponential histogram */
    m = m_new(), data = m_new(), p = m_new();
    m_str(&m, 1, "e");
    pt_common(&p);
    m_f64(&p, 4, 2);
    m_dbl(&p, 5, 1.0);
    m_u(&p, 6, 6); /* sint32 3 */
    m_sub(&data, 1, &p);
    m_u(&data, 2, 1);
    m_sub(&m, 10, &data);
    m_sub(&sm, 2, &m);
    /* summary */
    m = m_new(), data = m_new(), p = m_new();
    msg q = m_new();
    m_str(&m, 1, "s");
    pt_common(&p);
    m_f64(&p, 4, 10);
    m_dbl(&p, 5, 99);
    m_dbl(&q, 1, 0.5);
    m_dbl(&q, 2, 9);
    m_sub(&p, 6, &q);
    m_sub(&data, 1, &p);
    m_sub(&m, 11, &data);
    m_sub(&sm, 2, &m);
    m_sub(&rm, 2, &sm);
    m_sub(&req, 1, &rm);
    return req;
}

/* ---- comparing models ------------------------------------------------------------------ */

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int value_eq(const struct otlp_value *a, const struct otlp_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case OTLP_V_STR:
    case OTLP_V_BYTES:
    case OTLP_V_JSON: return str_eq(a->s, b->s);
    case OTLP_V_BOOL:
    case OTLP_V_INT: return a->i == b->i;
    case OTLP_V_DOUBLE: return a->d == b->d || (isnan(a->d) && isnan(b->d));
    default: return 1;
    }
}

static int attrs_eq(const struct otlp_attrs *a, const struct otlp_attrs *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!str_eq(a->a[i].key, b->a[i].key) || !value_eq(&a->a[i].v, &b->a[i].v))
            return 0;
    return 1;
}

static int res_eq(const struct otlp_resource *a, const struct otlp_resource *b)
{
    return attrs_eq(&a->attrs, &b->attrs) && str_eq(a->scope_name, b->scope_name) &&
           str_eq(a->scope_version, b->scope_version);
}

/* 0 when equal, else the line of the first difference (for the message). */
static int batch_diff(const struct otlp_batch *a, const struct otlp_batch *b)
{
    if (a->signal != b->signal || a->nlogs != b->nlogs || a->nspans != b->nspans ||
        a->npoints != b->npoints || a->dropped != b->dropped)
        return __LINE__;
    for (size_t i = 0; i < a->nlogs; i++) {
        const struct otlp_log *x = &a->logs[i], *y = &b->logs[i];
        if (!res_eq(x->res, y->res))
            return __LINE__;
        if (x->time_ns != y->time_ns || x->observed_ns != y->observed_ns ||
            !str_eq(x->event_name, y->event_name) || !value_eq(&x->body, &y->body) ||
            !attrs_eq(&x->attrs, &y->attrs) || x->has_trace != y->has_trace ||
            x->has_span != y->has_span || memcmp(x->trace_id, y->trace_id, 16) ||
            memcmp(x->span_id, y->span_id, 8))
            return __LINE__;
    }
    for (size_t i = 0; i < a->nspans; i++) {
        const struct otlp_span *x = &a->spans[i], *y = &b->spans[i];
        if (!res_eq(x->res, y->res) || memcmp(x->trace_id, y->trace_id, 16) ||
            memcmp(x->span_id, y->span_id, 8) || x->has_parent != y->has_parent ||
            memcmp(x->parent_id, y->parent_id, 8) || !str_eq(x->name, y->name) ||
            x->kind != y->kind || x->start_ns != y->start_ns || x->end_ns != y->end_ns ||
            !attrs_eq(&x->attrs, &y->attrs) || x->status != y->status ||
            !str_eq(x->status_message, y->status_message))
            return __LINE__;
    }
    for (size_t i = 0; i < a->npoints; i++) {
        const struct otlp_point *x = &a->points[i], *y = &b->points[i];
        if (!res_eq(x->res, y->res) || !str_eq(x->metric, y->metric) || !str_eq(x->unit, y->unit) ||
            x->kind != y->kind || x->temporality != y->temporality ||
            x->monotonic != y->monotonic || x->start_ns != y->start_ns ||
            x->time_ns != y->time_ns || x->count != y->count ||
            !(x->value == y->value || (isnan(x->value) && isnan(y->value))) ||
            !attrs_eq(&x->attrs, &y->attrs))
            return __LINE__;
    }
    return 0;
}

/* Decode both encodings of one request; both must succeed and agree. */
static int decode_both(enum otlp_signal sig, const char *json, msg *pb, struct otlp_batch *bj,
                       struct otlp_batch *bp)
{
    char e1[TP_ERR_MAX] = "", e2[TP_ERR_MAX] = "";
    int r1 = otlp_json_decode(sig, json, strlen(json), bj, e1);
    int r2 = otlp_pb_decode(sig, pb->data, pb->len, bp, e2);
    if (r1 || r2) {
        fprintf(stderr, "  json: %d %s; protobuf: %d %s\n", r1, e1, r2, e2);
        return -1;
    }
    return batch_diff(bj, bp);
}

static void check_resource(const struct otlp_resource *r)
{
    const struct otlp_attrs *a = &r->attrs;
    ASSERT_EQ_INT(a->n, 8);
    ASSERT_STREQ(otlp_attrs_str(a, "service.name"), "claude-code");
    ASSERT_EQ_INT(otlp_attrs_get(a, "flag")->type, OTLP_V_BOOL);
    ASSERT_EQ_INT(otlp_attrs_get(a, "flag")->i, 1);
    ASSERT_EQ_INT(otlp_attrs_get(a, "n")->i, -42);
    ASSERT_TRUE(otlp_attrs_get(a, "big")->i == 9007199254740993LL); /* exact past 2^53 */
    ASSERT_EQ_DBL(otlp_attrs_get(a, "pi")->d, 3.25, 0);
    ASSERT_STREQ(otlp_attrs_get(a, "raw")->s, "00ff10");
    ASSERT_EQ_INT(otlp_attrs_get(a, "list")->type, OTLP_V_JSON);
    ASSERT_STREQ(otlp_attrs_get(a, "list")->s, "[1,\"a\\\"b\",{\"k\":false},0.5]");
    ASSERT_EQ_INT(otlp_attrs_get(a, "empty")->type, OTLP_V_NONE);
}

static void test_logs_both_encodings(void)
{
    struct otlp_batch bj, bp;
    msg pb = logs_pb();
    int diff = decode_both(OTLP_LOGS, logs_json, &pb, &bj, &bp);
    if (diff)
        FAIL_("the two decodings differ (batch_diff line %d)", diff);
    ASSERT_EQ_INT(bp.nlogs, 2);
    const struct otlp_log *l = &bp.logs[0];
    check_resource(l->res);
    ASSERT_STREQ(l->res->scope_name, "com.anthropic.claude_code.events");
    ASSERT_STREQ(l->res->scope_version, "2.1.332");
    ASSERT_TRUE(l->time_ns == 1786406410000000001ULL);
    ASSERT_TRUE(l->observed_ns == 1786406410000000002ULL);
    ASSERT_STREQ(l->event_name, "claude_code.tool_result");
    ASSERT_STREQ(l->body.s, "claude_code.tool_result");
    ASSERT_EQ_INT(l->attrs.n, 7);
    ASSERT_STREQ(otlp_attrs_str(&l->attrs, "tool_input"), "{\"file_path\":\"/src/a.c\"}");
    ASSERT_TRUE(l->has_trace && l->has_span);
    ASSERT_TRUE(memcmp(l->trace_id, TID, 16) == 0 && memcmp(l->span_id, SID, 8) == 0);
    ASSERT_EQ_INT(bp.logs[1].body.type, OTLP_V_JSON);
    ASSERT_STREQ(bp.logs[1].body.s, "{\"x\":-0.5,\"y\":\"\"}");
    ASSERT_TRUE(bp.logs[1].res == l->res); /* one resource per scope, shared */

    /* And the mapper makes the same op of either. */
    struct otlp_out outj, outp;
    struct otlp_counts cj, cp;
    char err[TP_ERR_MAX];
    int64_t now = 1790000000000LL;
    ASSERT_EQ_INT(otlp_map(&bj, now, NULL, &outj, &cj, err), 0);
    ASSERT_EQ_INT(otlp_map(&bp, now, NULL, &outp, &cp, err), 0);
    struct op *oj = outj.ops, *op = outp.ops;
    size_t nj = outj.nops, np = outp.nops;
    ASSERT_EQ_INT(nj, 1);
    ASSERT_EQ_INT(np, 1);
    ASSERT_EQ_INT(cp.ignored, 1);
    ASSERT_EQ_INT(cp.records, 2);
    ASSERT_STREQ(op[0].tool, "Read");
    ASSERT_STREQ(op[0].tool_use_id, "toolu_eq_1");
    ASSERT_STREQ(op[0].target, "/src/a.c");
    ASSERT_STREQ(op[0].session_id, "s-eq");
    ASSERT_EQ_DBL(op[0].duration_ms, 62, 0);
    ASSERT_EQ_INT(op[0].ts_ms, 1786406410000LL - 62);
    ASSERT_STREQ(oj[0].tool_use_id, op[0].tool_use_id);
    ASSERT_STREQ(oj[0].target, op[0].target);
    ASSERT_EQ_INT(oj[0].ts_ms, op[0].ts_ms);
    otlp_out_free(&outj);
    otlp_out_free(&outp);
    otlp_batch_free(&bj);
    otlp_batch_free(&bp);
    buf_free(&pb);
}

static void test_traces_both_encodings(void)
{
    struct otlp_batch bj, bp;
    msg pb = traces_pb();
    int diff = decode_both(OTLP_TRACES, traces_json, &pb, &bj, &bp);
    if (diff)
        FAIL_("the two decodings differ (batch_diff line %d)", diff);
    ASSERT_EQ_INT(bp.nspans, 2);
    const struct otlp_span *s = &bp.spans[0];
    check_resource(s->res);
    ASSERT_TRUE(memcmp(s->trace_id, TID, 16) == 0 && memcmp(s->span_id, SID, 8) == 0);
    ASSERT_TRUE(s->has_parent && memcmp(s->parent_id, PID, 8) == 0);
    ASSERT_STREQ(s->name, "claude_code.tool");
    ASSERT_EQ_INT(s->kind, 3);
    ASSERT_TRUE(s->start_ns == 1786406410000000000ULL && s->end_ns == 1786406410500000000ULL);
    ASSERT_EQ_INT(s->status, 2);
    ASSERT_STREQ(s->status_message, "boom");
    ASSERT_EQ_INT(s->attrs.n, 3);
    ASSERT_EQ_INT(otlp_attrs_get(&s->attrs, "duration_ms")->i, 500);
    s = &bp.spans[1];
    ASSERT_TRUE(!s->has_parent && s->kind == 1 && s->status == 1 && !s->status_message);
    ASSERT_TRUE(memcmp(bj.spans[1].span_id, PID, 8) == 0); /* from base64 */
    struct otlp_out out;
    struct otlp_counts c;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(otlp_map(&bp, 1790000000000LL, NULL, &out, &c, err), 0);
    /* Neither says enough to be stored: a tool span needs its tool's
     * name, an interaction its session (test_otlp_spans maps real ones). */
    ASSERT_TRUE(out.nops == 0 && out.nturns == 0 && c.used == 0 && c.ignored == 2 &&
                c.rejected == 0 && c.records == 2);
    otlp_out_free(&out);
    otlp_batch_free(&bj);
    otlp_batch_free(&bp);
    buf_free(&pb);
}

static void test_metrics_both_encodings(void)
{
    struct otlp_batch bj, bp;
    msg pb = metrics_pb();
    int diff = decode_both(OTLP_METRICS, metrics_json, &pb, &bj, &bp);
    if (diff)
        FAIL_("the two decodings differ (batch_diff line %d)", diff);
    ASSERT_EQ_INT(bp.npoints, 6);
    static const struct {
        const char *name;
        enum otlp_metric_kind kind;
        int temporality, monotonic;
        double value;
        uint64_t count;
        size_t nattrs;
    } want[] = {
        {"g", OTLP_M_GAUGE, 0, 0, 1.5, 0, 1},
        {"claude_code.token.usage", OTLP_M_SUM, 1, 1, 7, 0, 1},
        {"claude_code.token.usage", OTLP_M_SUM, 1, 1, 120, 0, 0},
        {"h", OTLP_M_HISTOGRAM, 2, 0, 2.5, 3, 0},
        {"e", OTLP_M_EXP_HISTOGRAM, 1, 0, 1.0, 2, 0},
        {"s", OTLP_M_SUMMARY, 0, 0, 99, 10, 0},
    };
    for (size_t i = 0; i < 6; i++) {
        const struct otlp_point *p = &bp.points[i];
        ASSERT_STREQ(p->metric, want[i].name);
        ASSERT_EQ_INT(p->kind, want[i].kind);
        ASSERT_EQ_INT(p->temporality, want[i].temporality);
        ASSERT_EQ_INT(p->monotonic, want[i].monotonic);
        ASSERT_EQ_DBL(p->value, want[i].value, 0);
        ASSERT_EQ_INT(p->count, want[i].count);
        ASSERT_EQ_INT(p->attrs.n, want[i].nattrs);
        ASSERT_TRUE(p->start_ns == 1786406400000000000ULL && p->time_ns == 1786406410000000000ULL);
    }
    ASSERT_STREQ(bp.points[0].unit, "1");
    ASSERT_STREQ(bp.points[1].unit, "tokens");
    ASSERT_TRUE(bp.points[3].unit == NULL);
    check_resource(bp.points[0].res);
    otlp_batch_free(&bj);
    otlp_batch_free(&bp);
    buf_free(&pb);
}

/* ---- the JSON mapping's variants ------------------------------------------------------ */

static void test_json_variants(void)
{
    /* snake_case keys, numbers where strings are usual and the reverse. */
    static const char snake[] =
        "{\"resource_logs\":[{\"scope_logs\":[{\"log_records\":[{\"time_unix_nano\":"
        "1786406410000000000,\"event_name\":\"e\",\"trace_id\":\"AQIDBAUGBwgJCgsMDQ4PEA\","
        "\"attributes\":[{\"key\":\"a\",\"value\":{\"int_value\":5}},{\"key\":\"b\",\"value\":"
        "{\"double_value\":\"NaN\"}},{\"key\":\"c\",\"value\":{\"bool_value\":\"false\"}},"
        "{\"key\":\"d\",\"value\":{\"array_value\":{\"values\":[]}}},{\"key\":\"e\",\"value\":"
        "{\"kvlist_value\":{}}},{\"key\":\"f\",\"value\":{\"bytes_value\":\"_-8\"}},"
        "{\"key\":\"g\",\"value\":{\"intValue\":7.5}},{\"key\":\"h\",\"value\":{\"string_value\":"
        "\"\"}}]}]}]}]}";
    struct otlp_batch b;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(otlp_json_decode(OTLP_LOGS, snake, strlen(snake), &b, err), 0);
    ASSERT_EQ_INT(b.nlogs, 1);
    const struct otlp_log *l = &b.logs[0];
    ASSERT_TRUE(l->time_ns == 1786406410000000000ULL);
    ASSERT_STREQ(l->event_name, "e");
    ASSERT_TRUE(l->has_trace && memcmp(l->trace_id, TID, 16) == 0); /* unpadded base64 */
    ASSERT_EQ_INT(otlp_attrs_get(&l->attrs, "a")->i, 5);
    ASSERT_TRUE(isnan(otlp_attrs_get(&l->attrs, "b")->d));
    ASSERT_EQ_INT(otlp_attrs_get(&l->attrs, "c")->type, OTLP_V_BOOL);
    ASSERT_EQ_INT(otlp_attrs_get(&l->attrs, "c")->i, 0);
    ASSERT_STREQ(otlp_attrs_get(&l->attrs, "d")->s, "[]");
    ASSERT_STREQ(otlp_attrs_get(&l->attrs, "e")->s, "{}");
    ASSERT_STREQ(otlp_attrs_get(&l->attrs, "f")->s, "ffef"); /* URL-safe base64 */
    /* An int64 that is not an integer is no value (the attribute stays). */
    ASSERT_EQ_INT(otlp_attrs_get(&l->attrs, "g")->type, OTLP_V_NONE);
    ASSERT_EQ_INT(otlp_attrs_get(&l->attrs, "h")->type, OTLP_V_STR);
    ASSERT_TRUE(otlp_attrs_str(&l->attrs, "h") == NULL); /* empty reads as absent */
    double d;
    ASSERT_EQ_INT(otlp_attrs_num(&l->attrs, "b", &d), 0); /* NaN is not a number here */
    otlp_batch_free(&b);

    /* Ids of the wrong size: a log record keeps going without them, a span
     * is dropped with its reason. */
    static const char bad_ids[] =
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0102\",\"spanId\":"
        "\"1112131415161718\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"},"
        "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"1112131415161718\"},"
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"11121314151617\"},"
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"1112131415161718\","
        "\"parentSpanId\":\"zz\"},"
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"1112131415161718\","
        "\"parentSpanId\":\"\"}]}]}]}";
    ASSERT_EQ_INT(otlp_json_decode(OTLP_TRACES, bad_ids, strlen(bad_ids), &b, err), 0);
    ASSERT_EQ_INT(b.nspans, 1);
    ASSERT_EQ_INT(b.spans[0].has_parent, 0);
    ASSERT_EQ_INT(b.dropped, 4);
    ASSERT_STREQ(b.first_error, "span 1: trace_id is not 16 bytes (or all zero)");
    otlp_batch_free(&b);
}

/* ---- hostile input ------------------------------------------------------------------- */

/* n AnyValues nested as arrays, as the body of one log record, written
 * from the inside out (so 100,000 levels cost linear time). */
static msg nested_values(size_t levels, int kvlist)
{
    size_t cap = levels * 24 + 64, pos = cap;
    unsigned char *b = malloc(cap);
    /* prepend helpers */
#define PREPEND_VARINT(v)                                                                          \
    do {                                                                                           \
        unsigned char t_[10];                                                                      \
        size_t n_ = 0;                                                                             \
        uint64_t x_ = (v);                                                                         \
        do {                                                                                       \
            t_[n_++] = (unsigned char)((x_ & 0x7f) | (x_ > 0x7f ? 0x80 : 0));                      \
            x_ >>= 7;                                                                              \
        } while (x_);                                                                              \
        pos -= n_;                                                                                 \
        memcpy(b + pos, t_, n_);                                                                   \
    } while (0)
    /* innermost: AnyValue{int_value: 1} */
    b[--pos] = 1;
    b[--pos] = 0x18;
    for (size_t i = 0; i < levels; i++) {
        size_t inner = cap - pos;
        if (kvlist) { /* KeyValue{1: "k", 2: inner} */
            PREPEND_VARINT(inner);
            b[--pos] = 0x12;
            b[--pos] = 'k';
            b[--pos] = 1;
            b[--pos] = 0x0a;
        }
        inner = cap - pos;
        PREPEND_VARINT(inner); /* ArrayValue / KeyValueList {1: ...} */
        b[--pos] = 0x0a;
        inner = cap - pos;
        PREPEND_VARINT(inner); /* AnyValue {5 or 6: ...} */
        b[--pos] = kvlist ? 0x32 : 0x2a;
    }
    /* LogRecord{5: body}, ScopeLogs{2: ...}, ResourceLogs{2: ...}, request{1: ...} */
    static const unsigned char keys[] = {0x2a, 0x12, 0x12, 0x0a};
    for (size_t k = 0; k < 4; k++) {
        size_t inner = cap - pos;
        PREPEND_VARINT(inner);
        b[--pos] = keys[k];
    }
#undef PREPEND_VARINT
    msg m = m_new();
    buf_add(&m, b + pos, cap - pos);
    free(b);
    return m;
}

struct hostile_case {
    const char *name;
    const char *bytes;
    size_t n;
    const char *msg;
};

static const struct hostile_case hostile[] = {
    {"LogRecord.time_unix_nano as a varint", "\x0a\x06\x12\x04\x12\x02\x08\x01", 8,
     "LogRecord.time_unix_nano (field 1) at byte 6: wire type varint, expected fixed64"},
    {"an attribute that is a number", "\x0a\x04\x0a\x02\x08\x01", 6,
     "attributes (field 1) at byte 4: wire type varint, expected length-delimited"},
    {"length past the end", "\x0a\x06\x12\x04\x12\x09\x08\x01", 8,
     "field 2 at byte 4: length 9 runs past the end of its message (2 bytes left)"},
    {"a 1 GB claimed length", "\x0a\x80\x80\x80\x80\x04\x12\x00", 8,
     "length 1073741824 runs past the end of its message (2 bytes left)"},
    {"an 11-byte varint",
     "\x0a\x10\x12\x0e\x12\x0c\x10\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 18,
     "field 2 at byte 6: varint truncated, longer than 10 bytes"},
    /* ten bytes, the last with bits past the 64th */
    {"a varint over 64 bits",
     "\x0a\x0f\x12\x0d\x12\x0b\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 17,
     "field 2 at byte 6: varint truncated, longer than 10 bytes, or over 64 bits"},
    {"a group", "\x0b\x0c", 2, "is a group (wire type 3)"},
    {"a packed field cut short",
     "\x0a\x14\x12\x12\x12\x10\x0a\x01g\x4a\x0b\x0a\x09\x32\x07\x01\x02\x03\x04\x05\x06\x07", 22,
     "not a whole number of 8-byte values"},
};

static void expect_refused(const char *name, int rc, const char *err, const struct otlp_batch *b,
                           const char *want)
{
    if (rc == 0)
        FAIL_("%s: decoded (%zu logs, %zu spans, %zu points)", name, b->nlogs, b->nspans,
              b->npoints);
    if (b->nlogs || b->nspans || b->npoints || b->arena || b->logs)
        FAIL_("%s: a refused body left records", name);
    if (!strstr(err, want))
        FAIL_("%s: message \"%s\", expected it to contain \"%s\"", name, err, want);
    ASSERT_TRUE(rc != 0); /* counted as the test's assertion */
}

static void test_hostile_protobuf(void)
{
    char err[TP_ERR_MAX];
    struct otlp_batch b;
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        const struct hostile_case *c = &hostile[i];
        enum otlp_signal sig = strstr(c->name, "packed") ? OTLP_METRICS : OTLP_LOGS;
        err[0] = '\0';
        int rc = otlp_pb_decode(sig, c->bytes, c->n, &b, err);
        expect_refused(c->name, rc, err, &b, c->msg);
        otlp_batch_free(&b);
    }
    /* 100,000 levels of arrays, and of key-value lists, in one body. */
    for (int kvl = 0; kvl < 2; kvl++) {
        msg m = nested_values(100000, kvl);
        int rc = otlp_pb_decode(OTLP_LOGS, m.data, m.len, &b, err);
        expect_refused("100,000 nested values", rc, err, &b, "nested more than 16 deep");
        otlp_batch_free(&b);
        rc = otlp_pb_decode(0, m.data, m.len, &b, err);
        ASSERT_TRUE(rc != 0 && b.nlogs == 0 && b.arena == NULL);
        otlp_batch_free(&b);
        buf_free(&m);
    }
    /* At the cap it is still fine. */
    msg m = nested_values(TP_MAX_OTLP_VALUE_DEPTH, 0);
    ASSERT_EQ_INT(otlp_pb_decode(OTLP_LOGS, m.data, m.len, &b, err), 0);
    ASSERT_EQ_INT(b.nlogs, 1);
    ASSERT_EQ_INT(b.logs[0].body.type, OTLP_V_JSON);
    ASSERT_STREQ(b.logs[0].body.s, "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]");
    otlp_batch_free(&b);
    buf_free(&m);
}

static void test_hostile_json(void)
{
    char err[TP_ERR_MAX];
    struct otlp_batch b;
    /* 100,000 levels of JSON arrays. */
    size_t n = 100000;
    char *deep = malloc(2 * n + 32);
    strcpy(deep, "{\"resourceLogs\":");
    size_t off = strlen(deep);
    memset(deep + off, '[', n);
    memset(deep + off + n, ']', n);
    strcpy(deep + off + 2 * n, "}");
    int rc = otlp_json_decode(OTLP_LOGS, deep, strlen(deep), &b, err);
    expect_refused("100,000 nested JSON arrays", rc, err, &b, "not JSON");
    otlp_batch_free(&b);
    free(deep);
    /* AnyValues nested 18 deep: within JSON's depth cap, past the value cap. */
    struct buf j;
    buf_init(&j, 1 << 20);
    buf_adds(&j, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
    for (int i = 0; i < 18; i++)
        buf_adds(&j, "{\"arrayValue\":{\"values\":[");
    buf_adds(&j, "{\"intValue\":1}");
    for (int i = 0; i < 18; i++)
        buf_adds(&j, "]}}");
    buf_adds(&j, "}]}]}]}");
    rc = otlp_json_decode(OTLP_LOGS, j.data, j.len, &b, err);
    expect_refused("18 nested AnyValues", rc, err, &b, "nested more than 16 deep");
    otlp_batch_free(&b);
    buf_free(&j);
    /* Whole-body shapes. */
    static const char *const bad[] = {"", "[]", "{\"resourceLogs\":{}}", "{\"resourceLogs\":1}",
                                      "{\"resourceLogs\":[],\"resourceSpans\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = otlp_json_decode(i == 4 ? 0 : OTLP_LOGS, bad[i], strlen(bad[i]), &b, err);
        expect_refused(bad[i], rc, err, &b, "");
        otlp_batch_free(&b);
    }
}

/* ---- limits ------------------------------------------------------------------------ */

static void test_limits(void)
{
    char err[TP_ERR_MAX];
    struct otlp_batch b, bj;
    /* A record with one attribute too many is dropped; its neighbour stays. */
    msg req = m_new(), rl = m_new(), sl = m_new(), big = m_new(), ok = m_new();
    struct buf js;
    buf_init(&js, 1 << 24);
    buf_adds(&js, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":[");
    for (int i = 0; i <= TP_MAX_OTLP_ATTRS; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        msg a = kv(k, av_int(i));
        m_sub(&big, 6, &a);
        buf_printf(&js, "%s{\"key\":\"%s\",\"value\":{\"intValue\":%d}}", i ? "," : "", k, i);
    }
    buf_adds(&js, "]},{\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":1}}]}]}]}]}");
    ATTRS(&ok, 6, kv("a", av_int(1)));
    m_sub(&sl, 2, &big);
    m_sub(&sl, 2, &ok);
    m_sub(&rl, 2, &sl);
    m_sub(&req, 1, &rl);
    ASSERT_EQ_INT(otlp_pb_decode(OTLP_LOGS, req.data, req.len, &b, err), 0);
    ASSERT_EQ_INT(otlp_json_decode(OTLP_LOGS, js.data, js.len, &bj, err), 0);
    ASSERT_EQ_INT(batch_diff(&b, &bj), 0);
    ASSERT_EQ_INT(b.nlogs, 1);
    ASSERT_EQ_INT(b.dropped, 1);
    ASSERT_STREQ(b.first_error, "log record 1: more than 1024 attributes");
    struct otlp_out out;
    struct otlp_counts c;
    ASSERT_EQ_INT(otlp_map(&b, 1790000000000LL, NULL, &out, &c, err), 0);
    ASSERT_TRUE(out.nops == 0 && c.rejected == 1 && c.ignored == 1 && c.records == 2);
    otlp_out_free(&out);
    ASSERT_STREQ(c.first_error, "log record 1: more than 1024 attributes");
    otlp_batch_free(&b);
    otlp_batch_free(&bj);
    buf_free(&req);
    buf_free(&js);

    /* Records past TP_MAX_BATCH are dropped and counted, one by one. */
    req = m_new(), rl = m_new(), sl = m_new();
    for (int i = 0; i < TP_MAX_BATCH + 3; i++)
        buf_add(&sl, "\x12\x00", 2); /* an empty LogRecord */
    m_sub(&rl, 2, &sl);
    m_sub(&req, 1, &rl);
    ASSERT_EQ_INT(otlp_pb_decode(OTLP_LOGS, req.data, req.len, &b, err), 0);
    ASSERT_EQ_INT(b.nlogs, TP_MAX_BATCH);
    ASSERT_EQ_INT(b.dropped, 3);
    ASSERT_STREQ(b.first_error, "log record 100001: over 100000 records in one request");
    otlp_batch_free(&b);
    buf_free(&req);
}

/* ---- POST /: the signal from the body -------------------------------------------------- */

static void test_detect(void)
{
    char err[TP_ERR_MAX];
    struct otlp_batch b;
    msg l = logs_pb(), t = traces_pb(), m = metrics_pb();
    ASSERT_EQ_INT(otlp_pb_decode(0, l.data, l.len, &b, err), 0);
    ASSERT_TRUE(b.signal == OTLP_LOGS && b.nlogs == 2);
    otlp_batch_free(&b);
    ASSERT_EQ_INT(otlp_pb_decode(0, t.data, t.len, &b, err), 0);
    ASSERT_TRUE(b.signal == OTLP_TRACES && b.nspans == 2);
    otlp_batch_free(&b);
    ASSERT_EQ_INT(otlp_pb_decode(0, m.data, m.len, &b, err), 0);
    ASSERT_TRUE(b.signal == OTLP_METRICS && b.npoints == 6);
    otlp_batch_free(&b);
    buf_free(&l), buf_free(&t), buf_free(&m);

    /* A log record without its time field (field 1, the fixed64 that
     * tells logs apart at once) is still logs: as a span it has no ids,
     * as a metric its attributes (6) are not a field of Metric. */
    msg req = m_new(), rl = m_new(), sl = m_new(), rec = m_new();
    msg body = av_str("claude_code.tool_result");
    m_sub(&rec, 5, &body);
    ATTRS(&rec, 6, kv("event.name", av_str("tool_result")));
    m_sub(&sl, 2, &rec);
    m_sub(&rl, 2, &sl);
    m_sub(&req, 1, &rl);
    ASSERT_EQ_INT(otlp_pb_decode(0, req.data, req.len, &b, err), 0);
    ASSERT_TRUE(b.signal == OTLP_LOGS && b.nlogs == 1);
    otlp_batch_free(&b);
    buf_free(&req);

    /* A gauge whose name is 16 bytes and description 8 reads as a span
     * (trace id, span id, name) too; with no start or end time that span
     * is odd, so the metric wins. */
    req = m_new(), rl = m_new(), sl = m_new(), rec = m_new();
    msg g = m_new(), p = m_new();
    m_str(&rec, 1, "sixteen.bytes.ok");
    m_str(&rec, 2, "8 bytes!");
    m_dbl(&p, 4, 1.0);
    m_sub(&g, 1, &p);
    m_sub(&rec, 5, &g);
    m_sub(&sl, 2, &rec);
    m_sub(&rl, 2, &sl);
    m_sub(&req, 1, &rl);
    ASSERT_EQ_INT(otlp_pb_decode(0, req.data, req.len, &b, err), 0);
    ASSERT_TRUE(b.signal == OTLP_METRICS && b.npoints == 1);
    otlp_batch_free(&b);
    buf_free(&req);

    /* A body that fits two signals equally is refused, never guessed: a
     * record of a 16-byte field 1 and an 8-byte field 2 is a span without
     * times, or a metric (name, description) without data: odd both ways. */
    req = m_new(), rl = m_new(), sl = m_new(), rec = m_new();
    pb_put_bytes(&rec, 1, TID, 16);
    pb_put_bytes(&rec, 2, SID, 8);
    m_sub(&sl, 2, &rec);
    m_sub(&rl, 2, &sl);
    m_sub(&req, 1, &rl);
    int rc = otlp_pb_decode(0, req.data, req.len, &b, err);
    ASSERT_EQ_INT(rc, TP_EPARSE);
    ASSERT_STREQ(err, "protobuf: the body reads as traces and metrics alike; post it to "
                      "/v1/logs, /v1/traces or /v1/metrics");
    ASSERT_TRUE(b.nlogs == 0 && b.nspans == 0 && b.npoints == 0 && b.arena == NULL);
    otlp_batch_free(&b);
    buf_free(&req);

    /* An empty request is answered the same whatever its signal. */
    ASSERT_EQ_INT(otlp_pb_decode(0, "", 0, &b, err), 0);
    ASSERT_TRUE(b.nlogs == 0 && b.nspans == 0 && b.npoints == 0);
    otlp_batch_free(&b);
    /* JSON: the top-level key says it. */
    ASSERT_EQ_INT(otlp_json_decode(0, metrics_json, strlen(metrics_json), &b, err), 0);
    ASSERT_EQ_INT(b.signal, OTLP_METRICS);
    otlp_batch_free(&b);
    ASSERT_EQ_INT(otlp_json_decode(0, traces_json, strlen(traces_json), &b, err), 0);
    ASSERT_EQ_INT(b.signal, OTLP_TRACES);
    otlp_batch_free(&b);
}

/* ---- the answers ------------------------------------------------------------------- */

static void test_answers(void)
{
    struct buf b;
    buf_init(&b, 4096);
    otlp_write_response(&b, OTLP_PROTOBUF, OTLP_TRACES, 0, NULL);
    ASSERT_EQ_INT(b.len, 0);
    otlp_write_response(&b, OTLP_JSON, OTLP_TRACES, 0, NULL);
    ASSERT_STREQ(b.data, "{}");
    buf_reset(&b);
    otlp_write_response(&b, OTLP_JSON, OTLP_METRICS, 3, "why");
    ASSERT_STREQ(b.data, "{\"partialSuccess\":{\"rejectedDataPoints\":\"3\",\"errorMessage\":"
                         "\"why\"}}");
    buf_reset(&b);
    otlp_write_response(&b, OTLP_PROTOBUF, OTLP_LOGS, 300, "no");
    ASSERT_EQ_INT(b.len, 9);
    ASSERT_TRUE(memcmp(b.data, "\x0a\x07\x08\xac\x02\x12\x02no", 9) == 0);
    buf_reset(&b);
    otlp_write_status(&b, OTLP_PROTOBUF, 3, "bad");
    ASSERT_TRUE(b.len == 7 && memcmp(b.data,
                                     "\x08\x03\x12\x03"
                                     "bad",
                                     7) == 0);
    buf_free(&b);
}

TEST_MAIN(TEST_CASE(test_logs_both_encodings), TEST_CASE(test_traces_both_encodings),
          TEST_CASE(test_metrics_both_encodings), TEST_CASE(test_json_variants),
          TEST_CASE(test_hostile_protobuf), TEST_CASE(test_hostile_json), TEST_CASE(test_limits),
          TEST_CASE(test_detect), TEST_CASE(test_answers))
