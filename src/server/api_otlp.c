/*
 * api_otlp.c - OTLP requests, whichever way they came (OTLP/HTTP through
 * api.c, OTLP/gRPC through grpc.c): decode, map to operations, store, count.
 *
 * One request's calls, turns and model requests are stored in one
 * transaction (through the group commit when the server runs one; directly,
 * with them, when a team server names the writing person or host). What
 * the receivers took since the process started is counted for /metrics by
 * signal and result (requests) and by outcome (records). Errors are
 * answered as OTLP answers them: a google.rpc.Status in the request's
 * encoding (api_otlp_restyle).
 */
#include "server/api_otlp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/otlp.h"
#include "server/commitq.h"

/* What the OTLP receivers (HTTP and gRPC) took since the process started,
 * for /metrics: requests by signal and result, records by signal and
 * outcome. Index 0 of the signal is a request whose signal could not be
 * told (POST / with an undecodable body). */
enum { OUT_STORED, OUT_IGNORED, OUT_REJECTED, OUT_N };
static atomic_size_t otlp_requests[4][2]; /* [signal][ok] */
static atomic_size_t otlp_records[4][OUT_N];

void api_otlp_stats_render(struct buf *b)
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

void api_otlp_restyle(struct http_resp *resp, enum otlp_encoding enc)
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
                     const void *body, size_t len, const char *person, const char *host,
                     struct api_otlp_answer *a)
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
        /* A write for a named person or host goes to the store directly,
         * with them (as insert_ops()). */
        g.person = person;
        g.host = host;
        rc = env->commitq && !person && !host ? commitq_insert_group(env->commitq, s, &g, errbuf)
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
