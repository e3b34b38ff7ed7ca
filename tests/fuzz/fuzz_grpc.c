/*
 * fuzz_grpc.c - libFuzzer target for the gRPC request body: the message
 * framing and gzip message compression of grpcmsg.c, then the protobuf
 * decoders on the message, as the OTLP/gRPC listener runs them.
 *
 * The first input byte picks whether the call said grpc-encoding: gzip;
 * the rest is the stream's body. Promises: a refusal has a status, a
 * message and no output; an accepted message is at most the cap and
 * NUL-terminated; a length prefix that announces more than the body holds
 * is always refused; the message then keeps the promises of otlpcheck.h
 * as each of the three signals. Seeds: tests/fuzz/mkseeds_otlp.py.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "ingest/otlp_pb.h"
#include "otlpcheck.h"
#include "server/grpcmsg.h"

#define FUZZ_GRPC_CAP (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[TP_ERR_MAX] = "";
    char *msg;
    size_t len;
    uint32_t announced;
    if (size == 0)
        return 0;
    int gzip = data[0] & 1;
    data++, size--;
    enum grpc_status st = grpcmsg_take(data, size, gzip, FUZZ_GRPC_CAP, &msg, &len, err);
    if (st != GRPC_OK) {
        if (msg || err[0] == '\0')
            abort();
        return 0;
    }
    if (!msg || len > FUZZ_GRPC_CAP || msg[len] != '\0')
        abort();
    if (!grpcmsg_peek(data, size, &announced) || (size_t)announced + 5 != size)
        abort(); /* exactly one whole message was there */
    static const enum otlp_signal sigs[] = {OTLP_LOGS, OTLP_TRACES, OTLP_METRICS};
    for (size_t i = 0; i < 3; i++) {
        struct otlp_batch b;
        err[0] = '\0';
        int rc = otlp_pb_decode(sigs[i], msg, len, &b, err);
        otlpcheck_batch(rc, err, &b, sigs[i]);
    }
    free(msg);
    return 0;
}
