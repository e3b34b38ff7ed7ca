/*
 * bench_otlp.c - OTLP decoding in-process: one request of N log records
 * shaped like Claude Code's tool_result events (string attributes, a
 * tool_input JSON, resource and scope), in OTLP/JSON, in protobuf, and in
 * protobuf gzipped; each decoded (otlp_decode) and decoded and mapped to
 * operations (+ otlp_map) many times.
 *
 *   bench_otlp write DIR [N]      write DIR/logs.json, logs.pb, logs.pb.gz,
 *                                 logs.grpc and logs.grpc.gz (the protobuf, plain
 *                                 and gzipped, as one gRPC message)
 *   bench_otlp decode DIR [SECS]  time each form, print one line per form:
 *                                 "form bytes MB/s requests/s records/s (decode)
 *                                 MB/s requests/s (decode+map)"
 *
 * The protobuf is written with core/pb.h's writer from the same values as
 * the JSON text, and both are checked to decode to N records before timing.
 * MB/s counts the bytes as sent (the gzip form: compressed bytes).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/pb.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/otlp.h"

static const char *const tools[] = {"Read", "Bash", "Grep", "Edit", "Glob"};

struct rec {
    char id[64], dur[16], ts[32], input[256];
    const char *tool;
    int64_t end_ms;
};

static void make_rec(struct rec *r, int i, int64_t now)
{
    r->tool = tools[i % 5];
    snprintf(r->id, sizeof r->id, "toolu_01BENCH%08dxxxxxxxxxx", i);
    snprintf(r->dur, sizeof r->dur, "%d", 5 + (i * 37) % 900);
    r->end_ms = now - 3600000 + i * 100;
    tpt_format_utc(r->end_ms, r->ts);
    snprintf(r->input, sizeof r->input,
             "{\"file_path\":\"/home/user/project/src/module_%d/file_%d.c\",\"limit\":200}", i % 17,
             i);
}

/* The attributes of one record, as (key, value) string pairs. */
static int rec_attrs(const struct rec *r, const char *k[16], const char *v[16])
{
    int n = 0;
#define KV(a, b) (k[n] = (a), v[n] = (b), n++)
    KV("event.name", "tool_result");
    KV("event.timestamp", r->ts);
    KV("session.id", "8f14e45f-ceea-4a7b-9c3b-1d5a3e0c2b77");
    KV("prompt.id", "0b6f9a1c-3d2e-4f5a-8b7c-9d0e1f2a3b4c");
    KV("user.id", "2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3");
    KV("terminal.type", "xterm-256color");
    KV("tool_name", r->tool);
    KV("tool_use_id", r->id);
    KV("success", "true");
    KV("duration_ms", r->dur);
    KV("tool_input_size_bytes", "72");
    KV("tool_result_size_bytes", "4096");
    KV("decision_source", "config");
    KV("tool_input", r->input);
#undef KV
    return n;
}

static void write_json(struct buf *out, const struct rec *recs, int n)
{
    struct jsonw w;
    char ns[32];
    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_key(&w, "resourceLogs");
    jw_arr_begin(&w);
    jw_obj_begin(&w);
    jw_key(&w, "resource");
    jw_obj_begin(&w);
    jw_key(&w, "attributes");
    jw_arr_begin(&w);
    static const char *const rk[] = {"service.name", "service.version", "os.type", "host.arch"};
    static const char *const rv[] = {"claude-code", "2.1.332", "linux", "amd64"};
    for (int i = 0; i < 4; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "key", rk[i]);
        jw_key(&w, "value");
        jw_obj_begin(&w);
        jw_kstr(&w, "stringValue", rv[i]);
        jw_obj_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_key(&w, "scopeLogs");
    jw_arr_begin(&w);
    jw_obj_begin(&w);
    jw_key(&w, "scope");
    jw_obj_begin(&w);
    jw_kstr(&w, "name", "com.anthropic.claude_code.events");
    jw_kstr(&w, "version", "2.1.332");
    jw_obj_end(&w);
    jw_key(&w, "logRecords");
    jw_arr_begin(&w);
    for (int i = 0; i < n; i++) {
        const char *k[16], *v[16];
        int na = rec_attrs(&recs[i], k, v);
        snprintf(ns, sizeof ns, "%lld000000", (long long)recs[i].end_ms);
        jw_obj_begin(&w);
        jw_kstr(&w, "timeUnixNano", ns);
        jw_kstr(&w, "observedTimeUnixNano", ns);
        jw_key(&w, "body");
        jw_obj_begin(&w);
        jw_kstr(&w, "stringValue", "claude_code.tool_result");
        jw_obj_end(&w);
        jw_key(&w, "attributes");
        jw_arr_begin(&w);
        for (int a = 0; a < na; a++) {
            jw_obj_begin(&w);
            jw_kstr(&w, "key", k[a]);
            jw_key(&w, "value");
            jw_obj_begin(&w);
            jw_kstr(&w, "stringValue", v[a]);
            jw_obj_end(&w);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_arr_end(&w);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0)
        abort();
}

static void put_f64(struct buf *b, uint32_t num, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    pb_put_varint(b, (uint64_t)num << 3 | PB_I64);
    buf_add(b, x, 8);
}

/* A KeyValue{key, AnyValue{string_value}} as field num of out. */
static void put_kv(struct buf *out, uint32_t num, const char *k, const char *v)
{
    struct buf av, kv;
    buf_init(&av, 1 << 20);
    buf_init(&kv, 1 << 20);
    pb_put_bytes(&av, 1, v, strlen(v));
    pb_put_bytes(&kv, 1, k, strlen(k));
    pb_put_bytes(&kv, 2, av.data, av.len);
    pb_put_bytes(out, num, kv.data, kv.len);
    buf_free(&av);
    buf_free(&kv);
}

static void write_pb(struct buf *out, const struct rec *recs, int n)
{
    struct buf res, scope, sl, rl, rec, body;
    buf_init(&res, 1 << 20);
    buf_init(&scope, 1 << 20);
    buf_init(&sl, 1 << 28);
    buf_init(&rl, 1 << 28);
    put_kv(&res, 1, "service.name", "claude-code");
    put_kv(&res, 1, "service.version", "2.1.332");
    put_kv(&res, 1, "os.type", "linux");
    put_kv(&res, 1, "host.arch", "amd64");
    pb_put_bytes(&scope, 1, "com.anthropic.claude_code.events", 32);
    pb_put_bytes(&scope, 2, "2.1.332", 7);
    pb_put_bytes(&sl, 1, scope.data, scope.len);
    for (int i = 0; i < n; i++) {
        const char *k[16], *v[16];
        int na = rec_attrs(&recs[i], k, v);
        buf_init(&rec, 1 << 20);
        buf_init(&body, 256);
        uint64_t ns = (uint64_t)recs[i].end_ms * 1000000ULL;
        put_f64(&rec, 1, ns);
        put_f64(&rec, 11, ns);
        pb_put_bytes(&body, 1, "claude_code.tool_result", 23);
        pb_put_bytes(&rec, 5, body.data, body.len);
        for (int a = 0; a < na; a++)
            put_kv(&rec, 6, k[a], v[a]);
        pb_put_bytes(&sl, 2, rec.data, rec.len);
        buf_free(&rec);
        buf_free(&body);
    }
    pb_put_bytes(&rl, 1, res.data, res.len);
    pb_put_bytes(&rl, 2, sl.data, sl.len);
    pb_put_bytes(out, 1, rl.data, rl.len);
    buf_free(&res);
    buf_free(&scope);
    buf_free(&sl);
    buf_free(&rl);
}

static void gzip_buf(const struct buf *in, struct buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, (uLong)in->len) + 64;
    char *dst = buf_reserve(out, cap);
    zs.next_in = (Bytef *)in->data;
    zs.avail_in = (uInt)in->len;
    zs.next_out = (Bytef *)dst;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    buf_commit(out, cap - zs.avail_out);
    deflateEnd(&zs);
}

static void save(const char *dir, const char *name, const void *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "bench_otlp: cannot write %s\n", path);
        exit(1);
    }
}

static char *load(const char *dir, const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_otlp: cannot read %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = xmalloc((size_t)len + 1);
    *n = fread(s, 1, (size_t)len, f);
    s[*n] = '\0';
    fclose(f);
    return s;
}

/* One decode (and map when map) of a form; returns the records decoded. */
static size_t once(const char *data, size_t n, int gz, enum otlp_encoding enc, int map)
{
    char err[TP_ERR_MAX], *plain = NULL;
    size_t plen = 0, recs;
    struct otlp_batch b;
    if (gz) {
        if (otlp_gunzip(data, n, 16 * 1024 * 1024, &plain, &plen, err) != 0)
            abort();
        data = plain;
        n = plen;
    }
    if (otlp_decode(OTLP_LOGS, enc, data, n, &b, err) != 0) {
        fprintf(stderr, "bench_otlp: %s\n", err);
        exit(1);
    }
    recs = b.nlogs;
    if (map) {
        struct otlp_out out;
        otlp_map(&b, tpt_now_ms(), NULL, &out, NULL, err);
        if (out.nops != recs)
            abort();
        otlp_out_free(&out);
    }
    otlp_batch_free(&b);
    free(plain);
    return recs;
}

int main(int argc, char **argv)
{
    /* As `toolprof serve` does (server.c): keep freed heap instead of
     * giving it back and faulting it in again on the next request. */
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
    if (argc >= 3 && strcmp(argv[1], "write") == 0) {
        int n = argc > 3 ? atoi(argv[3]) : 100;
        struct rec *recs = xcalloc((size_t)n, sizeof *recs);
        int64_t now = tpt_now_ms();
        for (int i = 0; i < n; i++)
            make_rec(&recs[i], i, now);
        struct buf j, p, g, f;
        buf_init(&j, 1 << 28);
        buf_init(&p, 1 << 28);
        buf_init(&g, 1 << 28);
        buf_init(&f, 1 << 28);
        write_json(&j, recs, n);
        write_pb(&p, recs, n);
        gzip_buf(&p, &g);
        unsigned char pre[5] = {0, (unsigned char)(p.len >> 24), (unsigned char)(p.len >> 16),
                                (unsigned char)(p.len >> 8), (unsigned char)p.len};
        buf_add(&f, pre, 5);
        buf_add(&f, p.data, p.len);
        save(argv[2], "logs.json", j.data, j.len);
        save(argv[2], "logs.pb", p.data, p.len);
        save(argv[2], "logs.pb.gz", g.data, g.len);
        save(argv[2], "logs.grpc", f.data, f.len);
        /* and the gzipped protobuf as one compressed gRPC message */
        buf_reset(&f);
        unsigned char gpre[5] = {1, (unsigned char)(g.len >> 24), (unsigned char)(g.len >> 16),
                                 (unsigned char)(g.len >> 8), (unsigned char)g.len};
        buf_add(&f, gpre, 5);
        buf_add(&f, g.data, g.len);
        save(argv[2], "logs.grpc.gz", f.data, f.len);
        /* Both must decode to n records, the same ops. */
        if (once(j.data, j.len, 0, OTLP_JSON, 1) != (size_t)n ||
            once(p.data, p.len, 0, OTLP_PROTOBUF, 1) != (size_t)n ||
            once(g.data, g.len, 1, OTLP_PROTOBUF, 1) != (size_t)n) {
            fprintf(stderr, "bench_otlp: the forms do not decode to %d records\n", n);
            return 1;
        }
        printf("%d records: JSON %zu bytes, protobuf %zu, protobuf+gzip %zu\n", n, j.len, p.len,
               g.len);
        buf_free(&j), buf_free(&p), buf_free(&g), buf_free(&f);
        free(recs);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "decode") == 0) {
        double secs = argc > 3 ? atof(argv[3]) : 2.0;
        static const struct {
            const char *name, *file;
            int gz;
            enum otlp_encoding enc;
        } forms[] = {{"json", "logs.json", 0, OTLP_JSON},
                     {"protobuf", "logs.pb", 0, OTLP_PROTOBUF},
                     {"protobuf+gzip", "logs.pb.gz", 1, OTLP_PROTOBUF}};
        for (size_t f = 0; f < 3; f++) {
            size_t n;
            char *data = load(argv[2], forms[f].file, &n);
            double rate[2], mbs[2];
            size_t recs = 0;
            for (int map = 0; map < 2; map++) {
                /* warm up, then as many runs as fit in secs */
                for (int i = 0; i < 20; i++)
                    recs = once(data, n, forms[f].gz, forms[f].enc, map);
                long runs = 0;
                int64_t t0 = tpt_mono_ns(), t;
                do {
                    for (int i = 0; i < 50; i++)
                        once(data, n, forms[f].gz, forms[f].enc, map);
                    runs += 50;
                    t = tpt_mono_ns();
                } while (t - t0 < (int64_t)(secs * 1e9));
                double s = (double)(t - t0) / 1e9;
                rate[map] = (double)runs / s;
                mbs[map] = (double)runs * (double)n / s / 1e6;
            }
            printf("%s %zu %.1f %.0f %.0f %.1f %.0f\n", forms[f].name, n, mbs[0], rate[0],
                   rate[0] * (double)recs, mbs[1], rate[1]);
            free(data);
        }
        return 0;
    }
    fprintf(stderr, "usage: bench_otlp write DIR [N] | decode DIR [SECS]\n");
    return 2;
}
