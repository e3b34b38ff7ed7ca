/*
 * api.h - what toolprof serves: the routes of docs/api.md.
 *
 * A request is answered in two steps, because libmicrohttpd hands over the
 * headers before the body and only lets an answer be queued before the
 * body or after all of it:
 *
 *   api_begin()   with the headers: the body's framing (one length, given
 *                 one way), the security policy (Host, Origin, token), the
 *                 route, the method, Content-Type and the body's announced
 *                 size. It either answers right away (400, 501, 403, 401,
 *                 404, 405, 413, 415) or says how many body bytes to keep.
 *   api_handle()  with the whole body: runs the route's handler.
 *
 * api_serve() does both for a request whose body is already in memory;
 * tests use it, with no socket involved.
 *
 * Handlers are called concurrently from the server's threads. They reach the
 * database through env->store, which hands each thread its own connection.
 */
#ifndef TOOLPROF_API_H
#define TOOLPROF_API_H

#include <stddef.h>

#include "server/assets.h"
#include "server/cache.h"
#include "server/commitq.h"
#include "ingest/otlp.h"
#include "server/http.h"
#include "store/store.h"

struct api_env {
    struct http_policy policy;
    /* The calling thread's store (opened on first use), or NULL with a
     * message in errbuf. */
    struct store *(*store)(void *ctx, char *errbuf);
    void *store_ctx;
    /* The embedded files (assets_find of assets.h; NULL: none, every file
     * is a 404). A pointer so that this module does not need the
     * generated table to link, which keeps handler tests light. */
    const struct asset *(*find_asset)(const char *path);
    /* Recent answers of the read endpoints (NULL: no caching). */
    struct cache *cache;
    /* Group commit of writes (NULL: each request commits alone). */
    struct commitq *commitq;
    /* The data directory, for the spool's bytes in /healthz (NULL: only
     * this process's drain outcome is shown). */
    const char *data_dir;
    /* OTLP spans waiting for their parent, across requests (NULL: none
     * kept). */
    struct otlp_joins *otlp_joins;
};

/* Look at a request's headers. Returns 1 when resp holds the answer
 * already, or 0 and the number of body bytes the route accepts in
 * *body_cap. A body over it (announced by Content-Length, or found so while
 * reading) must be drained and answered with api_too_big(): a body
 * announced over the cap is refused at once only when the client sent
 * Expect: 100-continue or announced more than TP_MAX_OTLP_BODY. */
int api_begin(const struct api_env *env, const struct http_req *req, size_t *body_cap,
              struct http_resp *resp);

/* Answer a request that api_begin() let through, its body read whole. */
void api_handle(const struct api_env *env, const struct http_req *req, struct http_resp *resp);

/* The 413 answer for a body that turned out longer than cap bytes (in
 * OTLP's form for an OTLP export). */
void api_too_big(const struct http_req *req, struct http_resp *resp, size_t cap);

/* ---- OTLP, for HTTP and gRPC ------------------------------------------------ */

#define API_PROTOBUF "application/x-protobuf"

/* What became of an OTLP export request. */
struct api_otlp_answer {
    int status;              /* as HTTP: 200, 400 undecodable, 500, 503 busy, 507 disk full */
    enum otlp_signal signal; /* as decoded (0 asked the decoder to work it out) */
    size_t records, stored, rejected;
    char message[2 * TP_ERR_MAX]; /* why, for a failure or a rejection */
};

/* Decode an inflated OTLP request body of signal sig (0: from the body),
 * map it to operations and store them (otlp.h): one request's ops in one
 * transaction, through the group commit when env has one. */
void api_otlp_ingest(const struct api_env *env, enum otlp_signal sig, enum otlp_encoding enc,
                     const void *body, size_t len, struct api_otlp_answer *a);

/* The gRPC status code of an HTTP status, as OTLP pairs them. */
int api_grpc_code(int http_status);

/* api_begin() then, unless it answered, the body cap check and
 * api_handle(). */
void api_serve(const struct api_env *env, const struct http_req *req, struct http_resp *resp);

#endif
