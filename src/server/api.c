/*
 * api.c - the routes of toolprof's HTTP server.
 *
 * One static table lists every path with its methods, whether it needs the
 * token, and what body it takes; api_begin() walks the policy checks in a
 * fixed order against it (body framing, Host, Origin, token, method, body
 * size and type) so that a request is refused for the first thing wrong
 * with it and every refusal is a JSON envelope naming the problem.
 *
 * Read endpoints are thin: parse and check the query strictly (an unknown
 * parameter, a value that does not parse, a number out of range, a
 * parameter given twice are each a 400 that names it; nothing is silently
 * defaulted), ask the engine, and print the answer through render.h inside
 * the envelope. The CLI's --json goes through the same render calls, so the
 * two cannot disagree.
 *
 * Write endpoints validate everything before storing anything: a batch of
 * operations is read and normalized whole, and one bad element makes the
 * request a 400 naming its index and field with nothing stored; a good batch
 * goes to the store in one transaction.
 *
 * Static files come from the table compiled into the binary (assets.h),
 * with a strong ETag, revalidation (304) and gzip when the client takes it.
 */
#include "server/api.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "engine/analyzer.h"
#include "engine/engine.h"
#include "engine/question.h"
#include "engine/render.h"
#include "ingest/otlp.h"
#include "server/metrics.h"
#include "store/opjson.h"
#include "store/spool.h"

#define API_P "/api/performance/"

enum {
    M_GET = 1, /* GET and HEAD */
    M_POST = 2,
};

enum body_kind {
    BODY_NONE, /* GET: a body is read (within TP_MAX_BODY) and ignored */
    BODY_JSON, /* POST application/json, identity encoding */
    BODY_OTLP, /* POST OTLP, JSON or protobuf, gzip allowed */
};

enum { AUTH_NONE = 0, AUTH_ALL = 1, AUTH_POST = 2 /* only to write */ };

struct route;
typedef void (*route_fn)(const struct api_env *env, const struct route *rt,
                         const struct http_req *req, struct http_resp *resp);

struct route {
    const char *path;
    int prefix; /* path is a prefix ("/vendor/") */
    unsigned methods;
    int auth; /* the token is required (when one is configured): AUTH_* */
    enum body_kind body;
    route_fn fn;
};

/* ---- answering ---------------------------------------------------------------- */

/* Store validated operations: through the group commit when the server
 * runs one, else directly (handler tests). */
static int insert_ops(const struct api_env *env, struct store *s, struct op *ops, size_t n,
                      struct store_result *res, char *errbuf)
{
    if (env->commitq)
        return commitq_insert(env->commitq, s, ops, n, res, errbuf);
    return store_insert(s, ops, n, NULL, res, errbuf);
}

static void retry_later(struct http_resp *resp, const char *what)
{
    http_resp_error(resp, 503, "%s: the database is busy, retry shortly", what);
    http_resp_header(resp, "Retry-After", "1");
}

/* Map an engine or store error to an answer: bad input is the client's
 * (400), a locked database is temporary (503), so is a full disk (507;
 * a write is one transaction, so nothing of it was stored), anything
 * else is ours. */
static void fail_with(struct http_resp *resp, int rc, const char *errbuf)
{
    if (rc == TP_EBUSY)
        retry_later(resp, errbuf[0] ? errbuf : "database");
    else if (rc == TP_ENOSPC || rc == TP_EROFS)
        http_resp_error(resp, rc == TP_ENOSPC ? 507 : 503, "%s",
                        errbuf[0] ? errbuf : tp_strerror(rc));
    else if (rc == TP_EINVAL)
        http_resp_error(resp, 400, "%s", errbuf);
    else
        http_resp_error(resp, 500, "internal error: %s", errbuf[0] ? errbuf : tp_strerror(rc));
}

static struct store *get_store(const struct api_env *env, struct http_resp *resp)
{
    char errbuf[TP_ERR_MAX] = "";
    struct store *s = env->store(env->store_ctx, errbuf);
    if (!s)
        http_resp_error(resp, 500, "database: %s", errbuf[0] ? errbuf : "cannot open");
    return s;
}

/* Start a success envelope; count < 0 leaves "count" out. The caller
 * writes the data value and calls envelope_end(). */
static void envelope_begin(struct jsonw *w, struct http_resp *resp, long long count)
{
    http_resp_reset(resp);
    resp->status = 200;
    resp->content_type = HTTP_JSON;
    jw_init(w, &resp->body);
    jw_obj_begin(w);
    jw_kbool(w, "success", 1);
    if (count >= 0)
        jw_kint(w, "count", count);
    jw_key(w, "data");
}

static void envelope_end(struct jsonw *w, struct http_resp *resp)
{
    jw_obj_end(w);
    if (jw_finish(w) != 0)
        http_resp_error(resp, 500, "internal error: the answer is over %d bytes; narrow the query",
                        TP_MAX_RESPONSE);
}

/* ---- read endpoints: the questions -------------------------------------------- */

/* GET /api/performance/<path> of a question (question.h): its query
 * pairs are checked and parsed by the same code as the CLI's options. */
static void h_question(const struct api_env *env, const struct route *rt,
                       const struct http_req *req, struct http_resp *resp)
{
    (void)rt;
    char errbuf[TP_ERR_MAX] = "";
    const char *path_value = NULL;
    const struct question *qn = question_by_path(req->path + strlen(API_P), &path_value);
    struct http_query q;
    if (!qn) { /* route_find() found it: stay safe anyway */
        http_resp_error(resp, 404, "no such path: %.200s", req->path);
        return;
    }
    if (http_query_parse(req->query, &q, errbuf) != 0) {
        http_resp_error(resp, 400, "%s", errbuf);
        return;
    }
    struct question_input *in = xcalloc(q.n + 1, sizeof *in);
    size_t nin = 0;
    char *decoded = NULL;
    for (size_t i = 0; i < q.n; i++) {
        in[nin].name = q.p[i].name;
        in[nin++].value = q.p[i].value;
    }
    if (path_value) {
        /* The path's part is %-decoded like a query value. */
        decoded = http_path_decode(path_value);
        in[nin].name = qn->path_param;
        in[nin++].value = decoded ? decoded : "";
    }
    struct question_args args;
    void *answer = NULL;
    struct store *s;
    int rc = question_parse(qn, in, nin, tpt_now_ms(), &args, errbuf);
    if (rc) {
        http_resp_error(resp, 400, "%s", errbuf);
        goto cleanup;
    }
    if (!(s = get_store(env, resp)))
        goto cleanup;
    if ((rc = qn->run(s, &args, &answer, errbuf)) != 0) {
        if (rc == TP_ENOTFOUND)
            http_resp_error(resp, 404, "%s", errbuf);
        else
            fail_with(resp, rc, errbuf);
        goto cleanup;
    }
    struct jsonw w;
    envelope_begin(&w, resp, qn->count ? (long long)qn->count(answer) : -1);
    qn->render(&w, answer);
    envelope_end(&w, resp);
    qn->free_answer(answer);

cleanup:
    free(decoded);
    free(in);
    http_query_free(&q);
}

/* {"status": "ok"} while the hook spool drains; when the last drain could
 * not store it, still 200 (the server answers, and reads work) but
 * {"status": "degraded", "spool": {...}} saying why and how much waits. */
static void h_healthz(const struct api_env *env, const struct route *rt, const struct http_req *req,
                      struct http_resp *resp)
{
    (void)rt, (void)req;
    struct spool_status sp;
    spool_status(env->data_dir, &sp);
    http_resp_reset(resp);
    resp->status = 200;
    resp->content_type = HTTP_JSON;
    if (!sp.drain_error) {
        buf_adds(&resp->body, "{\"status\":\"ok\"}");
        return;
    }
    struct jsonw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kstr(&w, "status", "degraded");
    render_spool(&w, "spool", &sp);
    jw_obj_end(&w);
    jw_finish(&w);
}

static void otlp_stats_render(struct buf *b);

static void h_metrics(const struct api_env *env, const struct route *rt, const struct http_req *req,
                      struct http_resp *resp)
{
    char errbuf[TP_ERR_MAX] = "";
    (void)rt, (void)req;
    struct store *s = get_store(env, resp);
    if (!s)
        return;
    http_resp_reset(resp);
    int rc = metrics_render(s, tpt_now_ms(), &resp->body, errbuf);
    if (rc != 0) {
        fail_with(resp, rc, errbuf);
        return;
    }
    otlp_stats_render(&resp->body);
    resp->status = 200;
    resp->content_type = METRICS_CONTENT_TYPE;
}

/* ---- write endpoints ----------------------------------------------------------- */

static void answer_stored(struct http_resp *resp, size_t n, const struct store_result *res)
{
    http_resp_reset(resp);
    resp->status = 200;
    resp->content_type = HTTP_JSON;
    struct jsonw w;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_kbool(&w, "success", 1);
    jw_kint(&w, "count", (long long)n);
    jw_kint(&w, "inserted", (long long)res->inserted);
    jw_kint(&w, "merged", (long long)res->merged);
    jw_kint(&w, "unchanged", (long long)res->unchanged);
    jw_obj_end(&w);
    jw_finish(&w);
}

static void free_ops(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    free(ops);
}

/* POST /api/performance/operations: one object, an array of them, or
 * {"operations": [...]}. */
static void h_operations(const struct api_env *env, const struct route *rt,
                         const struct http_req *req, struct http_resp *resp)
{
    char errbuf[TP_ERR_MAX] = "";
    struct op *ops = NULL;
    size_t n = 0, nread = 0;
    (void)rt;
    if (req->query && *req->query) {
        http_resp_error(resp, 400, "query: this endpoint takes no parameters");
        return;
    }
    if (req->body_len == 0) {
        http_resp_error(resp, 400, "body: empty; send an operation object or an array of them");
        return;
    }
    cJSON *root =
        jin_parse(req->body, req->body_len, JIN_STRICT | JIN_NUMFMT, TP_MAX_JSON_DEPTH, errbuf);
    if (!root) {
        http_resp_error(resp, 400, "body: %s", errbuf);
        return;
    }
    const cJSON *list = root;
    int single = 0;
    if (cJSON_IsObject(root)) {
        const cJSON *inner = jin_get(root, "operations");
        if (inner && cJSON_IsArray(inner))
            list = inner;
        else if (inner) {
            http_resp_error(resp, 400, "operations: must be an array");
            goto cleanup;
        } else
            single = 1;
    } else if (!cJSON_IsArray(root)) {
        http_resp_error(resp, 400,
                        "body: expected an operation object, an array of them, or "
                        "{\"operations\": [...]}");
        goto cleanup;
    }

    n = single ? 1 : (size_t)cJSON_GetArraySize(list);
    if (n > TP_MAX_BATCH) {
        http_resp_error(resp, 413, "body: more than %d operations in one request", TP_MAX_BATCH);
        goto cleanup;
    }
    ops = xcalloc(n ? n : 1, sizeof *ops);
    int64_t now = tpt_now_ms();
    const cJSON *elem = single ? root : list->child;
    for (size_t i = 0; i < n; i++, elem = elem->next) {
        nread = i + 1;
        op_init(&ops[i]);
        if (!cJSON_IsObject(elem)) {
            http_resp_error(resp, 400, "operations[%zu]: not an object", i);
            goto cleanup;
        }
        if (opjson_read(elem, OPJ_REQUIRE_DURATION, OP_SRC_API, now, &ops[i], errbuf) != 0 ||
            op_normalize(&ops[i], now, errbuf) != 0) {
            http_resp_error(resp, 400, "operations[%zu]: %s", i, errbuf);
            goto cleanup;
        }
        if (!ops[i].tool_use_id) {
            /* The position makes two equal operations of one batch two
             * calls, while a batch posted twice is stored once. */
            char pos[48];
            snprintf(pos, sizeof pos, "api:%zu", i);
            ops[i].tool_use_id = op_derive_id(&ops[i], pos);
        }
    }

    struct store *s = get_store(env, resp);
    if (!s)
        goto cleanup;
    struct store_result res = {0};
    int rc = n ? insert_ops(env, s, ops, n, &res, errbuf) : 0;
    if (rc != 0) {
        fail_with(resp, rc == TP_EINVAL ? TP_EDB : rc, errbuf);
        goto cleanup;
    }
    answer_stored(resp, n, &res);

cleanup:
    if (ops)
        free_ops(ops, nread);
    cJSON_Delete(root);
}

/* ---- OTLP ------------------------------------------------------------------- */

/* What the OTLP receivers (HTTP and gRPC) took since the process started,
 * for /metrics: requests by signal and result, records by signal and
 * outcome. Index 0 of the signal is a request whose signal could not be
 * told (POST / with an undecodable body). */
enum { OUT_STORED, OUT_IGNORED, OUT_REJECTED, OUT_N };
static atomic_size_t otlp_requests[4][2]; /* [signal][ok] */
static atomic_size_t otlp_records[4][OUT_N];

static void otlp_stats_render(struct buf *b)
{
    static const char *const sig[4] = {"unknown", "logs", "traces", "metrics"};
    static const char *const out[OUT_N] = {"stored", "ignored", "rejected"};
    buf_adds(b, "# HELP toolprof_otlp_requests_total OTLP export requests (HTTP and gRPC) since "
                "the server started, by signal and result.\n"
                "# TYPE toolprof_otlp_requests_total counter\n");
    for (int i = 0; i < 4; i++)
        for (int ok = 1; ok >= 0; ok--)
            buf_printf(b, "toolprof_otlp_requests_total{signal=\"%s\",result=\"%s\"} %zu\n", sig[i],
                       ok ? "ok" : "error", atomic_load(&otlp_requests[i][ok]));
    buf_adds(b, "# HELP toolprof_otlp_records_total OTLP records (log records, spans, data "
                "points) since the server started: stored as operations, accepted but not used, "
                "or rejected.\n"
                "# TYPE toolprof_otlp_records_total counter\n");
    for (int i = 1; i < 4; i++)
        for (int o = 0; o < OUT_N; o++)
            buf_printf(b, "toolprof_otlp_records_total{signal=\"%s\",outcome=\"%s\"} %zu\n", sig[i],
                       out[o], atomic_load(&otlp_records[i][o]));
}

static enum otlp_encoding req_encoding(const struct http_req *req)
{
    return http_media_is(req->content_type, "application/x-protobuf") ? OTLP_PROTOBUF : OTLP_JSON;
}

int api_grpc_code(int http_status)
{
    switch (http_status) {
    case 200: return 0; /* OK */
    case 400:           /* INVALID_ARGUMENT */
    case 415: return 3;
    case 401: return 16; /* UNAUTHENTICATED */
    case 403: return 7;  /* PERMISSION_DENIED */
    case 404:            /* UNIMPLEMENTED */
    case 405: return 12;
    case 413: /* RESOURCE_EXHAUSTED */
    case 507: return 8;
    case 503: return 14; /* UNAVAILABLE */
    default: return 13;  /* INTERNAL */
    }
}

/* Turn an error answer (the JSON envelope of http_resp_error) into the
 * google.rpc.Status that OTLP/HTTP answers 4xx and 5xx with, in the
 * request's encoding, keeping the status and the headers. */
static void otlp_restyle(struct http_resp *resp, enum otlp_encoding enc)
{
    char err[TP_ERR_MAX], msg[2 * TP_ERR_MAX] = "";
    struct http_header saved[HTTP_MAX_HEADERS];
    size_t nsaved = resp->nheaders;
    int status = resp->status;
    if (status < 400)
        return;
    cJSON *j =
        resp->body.data ? jin_parse(resp->body.data, resp->body.len, JIN_STRICT, 4, err) : NULL;
    const char *m = jin_str(j, "message");
    snprintf(msg, sizeof msg, "%s", m ? m : "");
    cJSON_Delete(j);
    for (size_t i = 0; i < nsaved; i++) {
        saved[i].name = resp->headers[i].name;
        saved[i].value = xstrdup(resp->headers[i].value);
    }
    http_resp_reset(resp);
    resp->status = status;
    resp->content_type = enc == OTLP_PROTOBUF ? API_PROTOBUF : HTTP_JSON;
    otlp_write_status(&resp->body, enc, api_grpc_code(status), msg);
    for (size_t i = 0; i < nsaved; i++) {
        http_resp_header(resp, saved[i].name, saved[i].value);
        free(saved[i].value);
    }
}

void api_otlp_ingest(const struct api_env *env, enum otlp_signal sig, enum otlp_encoding enc,
                     const void *body, size_t len, struct api_otlp_answer *a)
{
    char errbuf[TP_ERR_MAX] = "";
    struct otlp_batch b;
    struct otlp_counts counts;
    struct otlp_out out;
    memset(&out, 0, sizeof out);
    memset(a, 0, sizeof *a);
    a->signal = sig;
    int rc = otlp_decode(sig, enc, body, len, &b, errbuf);
    if (rc != 0) {
        a->status = 400;
        snprintf(a->message, sizeof a->message, "body: %s", errbuf);
        goto done;
    }
    a->signal = b.signal;
    otlp_map(&b, tpt_now_ms(), env->otlp_joins, &out, &counts, errbuf);
    /* Records that could not be used were dropped one by one, since the
     * rest of the batch is good data, and are reported as OTLP's partial
     * success (an exporter must not retry those). */
    a->records = counts.records;
    a->rejected = counts.rejected;
    snprintf(a->message, sizeof a->message, "%s", counts.first_error);
    if (out.nops || out.nturns || out.nreqs || out.nusage) {
        struct store *s = env->store(env->store_ctx, errbuf);
        struct store_group g = {.ops = out.ops,
                                .n = out.nops,
                                .turns = out.turns,
                                .nturns = out.nturns,
                                .reqs = out.reqs,
                                .nreqs = out.nreqs,
                                .usage = out.usage,
                                .nusage = out.nusage};
        if (!s) {
            a->status = 500;
            snprintf(a->message, sizeof a->message, "database: %s",
                     errbuf[0] ? errbuf : "cannot open");
            goto done;
        }
        rc = env->commitq ? commitq_insert_group(env->commitq, s, &g, errbuf)
                          : store_insert_groups(s, &g, 1, errbuf);
        if (rc != 0) {
            a->status = rc == TP_EBUSY ? 503 : rc == TP_ENOSPC ? 507 : rc == TP_EROFS ? 503 : 500;
            snprintf(a->message, sizeof a->message, "%s%s",
                     rc == TP_EBUSY ? "the database is busy, retry shortly: " : "",
                     errbuf[0] ? errbuf : tp_strerror(rc));
            goto done;
        }
        a->stored = out.nops;
    }
    a->status = 200;
    atomic_fetch_add(&otlp_records[a->signal][OUT_STORED], counts.used);
    atomic_fetch_add(&otlp_records[a->signal][OUT_IGNORED], counts.ignored);
    atomic_fetch_add(&otlp_records[a->signal][OUT_REJECTED], counts.rejected);

done:
    atomic_fetch_add(&otlp_requests[a->signal][a->status == 200], 1);
    otlp_out_free(&out);
    otlp_batch_free(&b);
}

/* POST /v1/logs, /v1/traces, /v1/metrics, and / (the signal from the
 * body): OTLP/HTTP in JSON or protobuf, maybe gzipped. */
static void h_otlp(const struct api_env *env, const struct route *rt, const struct http_req *req,
                   struct http_resp *resp)
{
    char errbuf[TP_ERR_MAX] = "";
    char *plain = NULL;
    size_t plain_len = 0;
    enum otlp_encoding enc = req_encoding(req);
    enum otlp_signal sig = strcmp(rt->path, "/v1/logs") == 0      ? OTLP_LOGS
                           : strcmp(rt->path, "/v1/traces") == 0  ? OTLP_TRACES
                           : strcmp(rt->path, "/v1/metrics") == 0 ? OTLP_METRICS
                                                                  : 0;
    const char *body = req->body;
    size_t len = req->body_len;
    if (http_media_is(req->content_encoding, "gzip")) {
        int rc = otlp_gunzip(body, len, TP_MAX_OTLP_BODY, &plain, &plain_len, errbuf);
        if (rc == TP_ETOOBIG)
            http_resp_error(resp, 413, "body: over %d bytes once decompressed", TP_MAX_OTLP_BODY);
        else if (rc != 0)
            http_resp_error(resp, 400, "body: %s", errbuf);
        if (rc != 0) {
            otlp_restyle(resp, enc);
            return;
        }
        body = plain;
        len = plain_len;
    }
    struct api_otlp_answer a;
    api_otlp_ingest(env, sig, enc, body, len, &a);
    free(plain);
    if (a.status != 200) {
        http_resp_error(resp, a.status, "%s", a.message);
        if (a.status == 503)
            http_resp_header(resp, "Retry-After", "1");
        otlp_restyle(resp, enc);
        return;
    }
    http_resp_reset(resp);
    resp->status = 200;
    resp->content_type = enc == OTLP_PROTOBUF ? API_PROTOBUF : HTTP_JSON;
    otlp_write_response(&resp->body, enc, a.signal, a.rejected, a.message);
}

/* ---- pages and files ------------------------------------------------------------ */

static void h_root(const struct api_env *env, const struct route *rt, const struct http_req *req,
                   struct http_resp *resp)
{
    if (strcmp(req->method, "POST") == 0) { /* Gemini CLI posts OTLP to / */
        h_otlp(env, rt, req, resp);
        return;
    }
    char loc[512] = "/performance-profiling";
    /* Keep the query (a ?token= for the page) when it is short and plain. */
    if (req->query && *req->query && strlen(req->query) < sizeof loc - 32 &&
        strspn(req->query, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "-._~%&=+") == strlen(req->query)) {
        strcat(loc, "?");
        strcat(loc, req->query);
    }
    http_resp_reset(resp);
    resp->status = 302;
    http_resp_header(resp, "Location", loc);
}

static void serve_asset(const struct asset *a, int immutable_ish, const struct http_req *req,
                        struct http_resp *resp)
{
    http_resp_reset(resp);
    const char *cache = immutable_ish ? "public, max-age=86400" : "no-cache";
    http_resp_header(resp, "ETag", a->etag);
    http_resp_header(resp, "Cache-Control", cache);
    http_resp_header(resp, "Vary", "Accept-Encoding");
    if (http_etag_matches(req->if_none_match, a->etag)) {
        resp->status = 304;
        return;
    }
    resp->status = 200;
    resp->content_type = a->mime;
    if (a->gz && http_accepts_gzip(req->accept_encoding)) {
        http_resp_header(resp, "Content-Encoding", "gzip");
        resp->static_body = a->gz;
        resp->static_len = a->gz_len;
    } else {
        resp->static_body = a->data;
        resp->static_len = a->len;
    }
}

static void h_page(const struct api_env *env, const struct route *rt, const struct http_req *req,
                   struct http_resp *resp)
{
    (void)rt;
    const struct asset *a = env->find_asset ? env->find_asset("/index.html") : NULL;
    if (!a) {
        http_resp_error(resp, 500, "internal error: the page is missing from this build");
        return;
    }
    serve_asset(a, 0, req, resp);
}

static void h_file(const struct api_env *env, const struct route *rt, const struct http_req *req,
                   struct http_resp *resp)
{
    /* /static/x is our own file /x; /vendor/ and /licenses/ files are kept
     * under their own path. */
    const char *path = req->path;
    int vendor = strcmp(rt->path, "/static/") != 0;
    const char *name = vendor ? path : path + strlen("/static");
    const struct asset *a = env->find_asset ? env->find_asset(name) : NULL;
    if (!a || strcmp(a->path, "/index.html") == 0) {
        http_resp_error(resp, 404, "no such file: %.200s", path);
        return;
    }
    serve_asset(a, vendor, req, resp);
}

/* ---- the table ------------------------------------------------------------------- */

static const struct route routes[] = {
    {API_P "operations", 0, M_POST, 1, BODY_JSON, h_operations},
    {"/v1/logs", 0, M_POST, 1, BODY_OTLP, h_otlp},
    {"/v1/metrics", 0, M_POST, 1, BODY_OTLP, h_otlp},
    {"/v1/traces", 0, M_POST, 1, BODY_OTLP, h_otlp},
    {"/metrics", 0, M_GET, 1, BODY_NONE, h_metrics},
    {"/healthz", 0, M_GET, 0, BODY_NONE, h_healthz},
    /* GET: the page; POST: OTLP of any signal (body kind by method). */
    {"/", 0, M_GET | M_POST, AUTH_POST, BODY_NONE, h_root},
    {"/performance-profiling", 0, M_GET, 1, BODY_NONE, h_page},
    {"/static/", 1, M_GET, 0, BODY_NONE, h_file},
    {"/vendor/", 1, M_GET, 0, BODY_NONE, h_file},
    {"/licenses/", 1, M_GET, 0, BODY_NONE, h_file},
};

/* Every question's path (question.h) goes to one handler. */
static const struct route question_route = {API_P, 1, M_GET, 1, BODY_NONE, h_question};

static const struct route *route_find(const char *path)
{
    if (strncmp(path, API_P, strlen(API_P)) == 0 && question_by_path(path + strlen(API_P), NULL))
        return &question_route;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *r = &routes[i];
        if (r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0 : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static unsigned method_bit(const char *m)
{
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return M_GET;
    if (strcmp(m, "POST") == 0)
        return M_POST;
    return 0;
}

/* The ?token= of the page URL: the page answers it with the token in an
 * HttpOnly cookie and a redirect to itself without it, so the token leaves
 * the address bar and the browser's history, and the cookie carries it on
 * every later request (SameSite=Strict: never from another site). */
static char *page_token(const struct http_req *req)
{
    struct http_query q;
    char errbuf[TP_ERR_MAX];
    if (!req->query || http_query_parse(req->query, &q, errbuf) != 0)
        return NULL;
    const char *t = http_query_get(&q, "token");
    char *copy = t ? xstrdup(t) : NULL;
    http_query_free(&q);
    return copy;
}

/* The request's path and query without its token parameter. */
static char *location_without_token(const struct http_req *req)
{
    struct buf b;
    buf_init(&b, 8192);
    buf_adds(&b, req->path);
    char sep = '?';
    for (const char *p = req->query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len && !(len >= 6 && strncmp(p, "token=", 6) == 0) && strncmp(p, "token", len) != 0) {
            buf_addc(&b, sep);
            buf_add(&b, p, len);
            sep = '&';
        }
        p = end ? end + 1 : NULL;
    }
    return buf_steal(&b, NULL);
}

/* The body a route takes with this method: POST / is OTLP. */
static enum body_kind body_kind(const struct route *rt, unsigned m)
{
    if (rt && rt->fn == h_root && m == M_POST)
        return BODY_OTLP;
    return rt ? rt->body : BODY_NONE;
}

static size_t body_cap(enum body_kind k)
{
    return k == BODY_OTLP ? TP_MAX_OTLP_BODY : TP_MAX_BODY;
}

static int begin_checks(const struct api_env *env, const struct http_req *req, size_t *cap,
                        struct http_resp *resp)
{
    const struct http_policy *p = &env->policy;
    *cap = 0;
    /* First: a request whose body length is ambiguous is answered before
     * anything of it is read, and the connection closes after the answer
     * (an answer queued before the body makes MHD close it), so that bytes
     * a proxy meant as the next request are never read as one. */
    char why[TP_ERR_MAX];
    int framing = http_framing_check(&req->framing, why);
    if (framing != 0) {
        http_resp_error(resp, framing == TP_EUNSUPP ? 501 : 400, "%s", why);
        http_resp_header(resp, "Connection", "close");
        return 1;
    }
    if (!http_host_ok(p, req->host)) {
        http_resp_error(resp, 403, "Host: %.100s is not an address of this server",
                        req->host ? req->host : "(missing)");
        return 1;
    }
    if (!http_origin_ok(p, req->origin)) {
        http_resp_error(resp, 403, "Origin: cross-origin requests are refused");
        return 1;
    }
    unsigned m = method_bit(req->method);
    if (m != M_GET && req->sec_fetch_site && strcmp(req->sec_fetch_site, "cross-site") == 0) {
        http_resp_error(resp, 403, "Sec-Fetch-Site: cross-site requests are refused");
        return 1;
    }

    const struct route *rt = route_find(req->path);
    int needs_auth = rt ? rt->auth == AUTH_ALL || (rt->auth == AUTH_POST && m == M_POST)
                        : starts_with(req->path, "/api/") || starts_with(req->path, "/v1/");
    if (needs_auth && p->token) {
        char *alt = rt && rt->fn == h_page ? page_token(req) : NULL;
        char *cookie = http_cookie_get(req->cookie, HTTP_TOKEN_COOKIE);
        /* A Bearer header, when sent, must be right; a browser without one
         * is known by its cookie, or brings the token on the page URL. */
        int by_page = alt && http_auth_ok(p, NULL, alt);
        int ok = by_page || (req->authorization ? http_auth_ok(p, req->authorization, NULL)
                                                : http_auth_ok(p, NULL, cookie));
        free(alt);
        free(cookie);
        if (by_page) {
            char set[512];
            snprintf(set, sizeof set, "%s=%s; Path=/; HttpOnly; SameSite=Strict", HTTP_TOKEN_COOKIE,
                     p->token);
            http_resp_reset(resp);
            resp->status = 303;
            resp->content_type = NULL;
            char *location = location_without_token(req);
            http_resp_header(resp, "Location", location);
            free(location);
            http_resp_header(resp, "Set-Cookie", set);
            http_resp_header(resp, "Cache-Control", "no-store");
            return 1;
        }
        if (!ok) {
            http_resp_error(resp, 401, "Authorization: a valid \"Bearer <token>\" is required");
            http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"toolprof\"");
            return 1;
        }
    }
    if (!rt) {
        http_resp_error(resp, 404, "no such path: %.200s", req->path);
        return 1;
    }
    if (!(m & rt->methods)) {
        http_resp_error(resp, 405, "%.16s: method not allowed here", req->method);
        http_resp_header(resp, "Allow",
                         rt->methods == M_POST  ? "POST"
                         : rt->methods == M_GET ? "GET, HEAD"
                                                : "GET, HEAD, POST");
        return 1;
    }

    enum body_kind kind = body_kind(rt, m);
    *cap = body_cap(kind);
    if (req->content_length > (int64_t)*cap) {
        /* Decided now, from Content-Length; but answered now only when the
         * client waits for our go (Expect: 100-continue) or the body is
         * too large to be worth reading. Otherwise the body is already on
         * its way, and answering first makes MHD close the connection
         * under the client, which then often sees a reset instead of the
         * 413: the caller drains the body and answers at its end. */
        if (req->expect_continue || req->content_length > TP_MAX_OTLP_BODY) {
            http_resp_error(resp, 413, "body: larger than the limit of %zu bytes", *cap);
            return 1;
        }
    }
    if (kind == BODY_OTLP) {
        if (!http_media_is(req->content_type, "application/json") &&
            !http_media_is(req->content_type, "application/x-protobuf")) {
            http_resp_error(resp, 415,
                            "Content-Type: OTLP/HTTP takes application/json or "
                            "application/x-protobuf");
            return 1;
        }
    } else if (kind == BODY_JSON && !http_media_is(req->content_type, "application/json")) {
        http_resp_error(resp, 415, "Content-Type: must be application/json");
        return 1;
    }
    if (kind == BODY_JSON || kind == BODY_OTLP) {
        const char *enc = req->content_encoding;
        if (enc && !http_media_is(enc, "identity") &&
            !(kind == BODY_OTLP && http_media_is(enc, "gzip"))) {
            http_resp_error(resp, 415, "Content-Encoding: %.40s is not accepted here", enc);
            return 1;
        }
    }
    return 0;
}

/* 1 when the request is an OTLP export (its answers are OTLP's). */
static int is_otlp(const struct http_req *req)
{
    const struct route *rt = route_find(req->path);
    return body_kind(rt, method_bit(req->method)) == BODY_OTLP;
}

int api_begin(const struct api_env *env, const struct http_req *req, size_t *cap,
              struct http_resp *resp)
{
    int answered = begin_checks(env, req, cap, resp);
    if (answered && is_otlp(req))
        otlp_restyle(resp, req_encoding(req));
    return answered;
}

void api_too_big(const struct http_req *req, struct http_resp *resp, size_t cap)
{
    http_resp_error(resp, 413, "body: larger than the limit of %zu bytes", cap);
    if (is_otlp(req))
        otlp_restyle(resp, req_encoding(req));
}

void api_handle(const struct api_env *env, const struct http_req *req, struct http_resp *resp)
{
    const struct route *rt = route_find(req->path);
    if (!rt) { /* api_begin() answered already; stay safe anyway */
        http_resp_error(resp, 404, "no such path: %.200s", req->path);
        return;
    }
    /* Read endpoints answer from the cache while nothing changed. */
    int cacheable =
        env->cache && rt->methods == M_GET && strncmp(rt->path, API_P, strlen(API_P)) == 0;
    char *key = NULL;
    uint64_t generation = 0;
    if (cacheable) {
        generation = cache_generation(env->cache);
        size_t n = strlen(req->path) + (req->query ? strlen(req->query) : 0) + 2;
        key = xmalloc(n);
        snprintf(key, n, "%s?%s", req->path, req->query ? req->query : "");
        if (cache_get(env->cache, key, resp)) {
            free(key);
            return;
        }
    }
    rt->fn(env, rt, req, resp);
    if (resp->status == 0)
        http_resp_error(resp, 500, "internal error: no answer");
    if (key)
        cache_put(env->cache, key, generation, resp);
    free(key);
    /* A write makes every kept answer stale. */
    if (rt->methods == M_POST && resp->status == 200)
        cache_bump(env->cache);
}

void api_serve(const struct api_env *env, const struct http_req *req, struct http_resp *resp)
{
    size_t cap;
    if (api_begin(env, req, &cap, resp))
        return;
    if (req->body_len > cap || req->content_length > (int64_t)cap) {
        api_too_big(req, resp, cap);
        return;
    }
    api_handle(env, req, resp);
}
