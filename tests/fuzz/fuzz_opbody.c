/*
 * fuzz_opbody.c - libFuzzer target for POST /api/performance/operations.
 *
 * Any local process may post operations, so the handler must survive any
 * body. The input is the body of a well-formed request (right Host,
 * Content-Type application/json, exact Content-Length), answered by the
 * real route through api_serve(), with no database: the environment's store
 * callback counts its calls and returns NULL, so a body the handler accepts
 * is answered 500 ("database: ...") exactly where a real server would store
 * it. Alongside, the body is read the way h_operations() documents it (an
 * operation object, an array of them, or {"operations": [...]}; jin_parse
 * JIN_STRICT | JIN_NUMFMT, opjson_read with OPJ_REQUIRE_DURATION,
 * op_normalize), to know what the answer must be.
 *
 * The promises checked: the answer is 500 after one store call when every
 * operation is valid, else 400 (or 413 for too many) without touching the
 * store; every answer is a JSON object {"success": false, "message": "..."}
 * with a message; and every accepted op keeps the promises of opcheck.h.
 * A broken promise aborts.
 *
 * "Now" is pinned (TOOLPROF_NOW_MS) so that the handler and the reading
 * agree on which timestamps are in the future, and runs are reproducible.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "opcheck.h"
#include "server/api.h"
#include "server/http.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_store_calls;

static struct store *fuzz_no_store(void *ctx, char *errbuf)
{
    (void)ctx;
    fuzz_store_calls++;
    snprintf(errbuf, TP_ERR_MAX, "no database in this fuzz target");
    return NULL;
}

/* The status h_operations() must answer for this body (500: all valid,
 * stored next), checking each valid op on the way. */
static int fuzz_expected(const char *body, size_t len)
{
    char err[TP_ERR_MAX] = "";
    if (len == 0)
        return 400;
    cJSON *root = jin_parse(body, len, JIN_STRICT | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    if (!root)
        return 400;
    const cJSON *list = root;
    int single = 0, status = 500;
    if (cJSON_IsObject(root)) {
        const cJSON *inner = jin_get(root, "operations");
        if (inner && cJSON_IsArray(inner))
            list = inner;
        else if (inner)
            status = 400;
        else
            single = 1;
    } else if (!cJSON_IsArray(root)) {
        status = 400;
    }
    if (status == 500 && !single && cJSON_GetArraySize(list) > TP_MAX_BATCH)
        status = 413;
    size_t i = 0;
    for (const cJSON *e = single ? root : list->child; status == 500 && e;
         e = single ? NULL : e->next, i++) {
        struct op op;
        err[0] = '\0';
        if (!cJSON_IsObject(e)) {
            status = 400;
            break;
        }
        if (opjson_read(e, OPJ_REQUIRE_DURATION, OP_SRC_API, FUZZ_NOW_MS, &op, err) != 0 ||
            op_normalize(&op, FUZZ_NOW_MS, err) != 0) {
            if (err[0] == '\0')
                abort(); /* a refusal must say why */
            status = 400;
            op_clear(&op);
            break;
        }
        if (isnan(op.duration_ms) || op.source != OP_SRC_API)
            abort(); /* a duration is required; the API cannot pick a source */
        if (!op.tool_use_id) {
            char pos[48];
            snprintf(pos, sizeof pos, "api:%zu", i);
            op.tool_use_id = op_derive_id(&op, pos);
        }
        opcheck_all(&op, FUZZ_NOW_MS);
        op_clear(&op);
    }
    cJSON_Delete(root);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct api_env env;
    static int ready;
    if (!ready) {
        char now[32];
        snprintf(now, sizeof now, "%lld", FUZZ_NOW_MS);
        setenv("TOOLPROF_NOW_MS", now, 1);
        http_policy_init(&env.policy, "127.0.0.1", 5000, NULL);
        env.store = fuzz_no_store;
        ready = 1;
    }
    if (size > TP_MAX_BODY)
        return 0;

    struct http_req req;
    struct http_resp resp;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/api/performance/operations";
    req.host = "127.0.0.1:5000";
    req.content_type = "application/json";
    req.content_length = (int64_t)size;
    req.body = (const char *)data;
    req.body_len = size;
    http_resp_init(&resp);
    fuzz_store_calls = 0;
    api_serve(&env, &req, &resp);

    int want = fuzz_expected((const char *)data, size);
    if (resp.status != want || fuzz_store_calls != (want == 500))
        abort();

    /* Every answer here is an error envelope. */
    char err[TP_ERR_MAX];
    size_t len;
    const char *body = http_resp_data(&resp, &len);
    cJSON *j = jin_parse(body, len, JIN_STRICT, TP_MAX_JSON_DEPTH, err);
    const cJSON *ok = jin_get(j, "success");
    const char *msg = jin_str(j, "message");
    if (!j || !cJSON_IsFalse(ok) || !msg || !msg[0])
        abort();
    cJSON_Delete(j);
    http_resp_free(&resp);
    return 0;
}
