/*
 * grpcmsg.c - gRPC message framing (see grpcmsg.h).
 *
 * The checks are in the order a reader meets the bytes: the prefix, its
 * flag, its length against the cap and against what the stream carried,
 * then what follows. The length is compared with the bytes left rather
 * than added to an offset, so that no claimed length can wrap.
 */
#include "server/grpcmsg.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xmalloc.h"
#include "ingest/otlp.h"

int grpcmsg_peek(const uint8_t *body, size_t have, uint32_t *len)
{
    if (have < GRPCMSG_PREFIX)
        return 0;
    *len = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 | body[4];
    return 1;
}

enum grpc_status grpcmsg_take(const uint8_t *body, size_t n, int gzip, size_t max, char **msg,
                              size_t *msg_len, char *errbuf)
{
    uint32_t len;
    *msg = NULL;
    *msg_len = 0;
    if (n == 0) {
        tp_fail(errbuf, TP_EPARSE, "the request has no message");
        return GRPC_INVALID_ARGUMENT;
    }
    if (!grpcmsg_peek(body, n, &len)) {
        tp_fail(errbuf, TP_EPARSE, "the request ends inside a message prefix (%zu of 5 bytes)", n);
        return GRPC_INVALID_ARGUMENT;
    }
    if (body[0] > 1) {
        tp_fail(errbuf, TP_EPARSE, "message prefix: compressed flag %u is neither 0 nor 1",
                (unsigned)body[0]);
        return GRPC_INVALID_ARGUMENT;
    }
    if (body[0] == 1 && !gzip) {
        tp_fail(errbuf, TP_EPARSE, "a compressed message without grpc-encoding");
        return GRPC_INTERNAL;
    }
    if (len > max) {
        tp_fail(errbuf, TP_ETOOBIG, "the message is %u bytes, over the limit of %zu", len, max);
        return GRPC_RESOURCE_EXHAUSTED;
    }
    size_t left = n - GRPCMSG_PREFIX;
    if (len > left) {
        tp_fail(errbuf, TP_EPARSE, "the message announces %u bytes, the stream ended after %zu",
                len, left);
        return GRPC_INVALID_ARGUMENT;
    }
    if (left > len) {
        tp_fail(errbuf, TP_EPARSE, "%zu bytes after the message: a unary call takes one message",
                left - len);
        return GRPC_INVALID_ARGUMENT;
    }
    const uint8_t *data = body + GRPCMSG_PREFIX;
    if (body[0] == 1) {
        char err[TP_ERR_MAX];
        int rc = otlp_gunzip(data, len, max, msg, msg_len, err);
        if (rc == TP_ETOOBIG) {
            tp_fail(errbuf, rc, "the message inflates to more than %zu bytes", max);
            return GRPC_RESOURCE_EXHAUSTED;
        }
        if (rc != 0) {
            tp_fail(errbuf, rc, "compressed message: %s", err);
            return GRPC_INVALID_ARGUMENT;
        }
        return GRPC_OK;
    }
    *msg = xmalloc(len + 1u);
    memcpy(*msg, data, len);
    (*msg)[len] = '\0';
    *msg_len = len;
    return GRPC_OK;
}
