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
#include "server/auth.h"
#include "server/cache.h"
#include "server/commitq.h"
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
    /* The team's tokens (auth.h; NULL: none). When the file names anyone,
     * every API request needs a token (a person's, or the server's own
     * --token), and writes are stored under the token's person. */
    struct auth *auth;
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

/* The 413 answer for a body that turned out longer than cap bytes. */
void api_too_big(struct http_resp *resp, size_t cap);

/* api_begin() then, unless it answered, the body cap check and
 * api_handle(). */
void api_serve(const struct api_env *env, const struct http_req *req, struct http_resp *resp);

#endif
