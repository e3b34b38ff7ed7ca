/*
 * fuzz_otlp_pb_metrics.c - libFuzzer target for the protobuf decoder of OTLP
 * metrics requests (otlp_pb_decode), the body of POST /v1/metrics with
 * Content-Type: application/x-protobuf and of the gRPC Export call.
 *
 * The input is decoded as a metrics request and, to reach the signal
 * detection of POST /, once more with the signal left to the decoder; each
 * result must keep the promises of otlpcheck.h. Seeds:
 * tests/fuzz/mkseeds_otlp.py.
 */
#include <stdint.h>

#include "core/err.h"
#include "ingest/otlp_pb.h"
#include "otlpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[TP_ERR_MAX] = "";
    struct otlp_batch b;
    int rc = otlp_pb_decode(OTLP_METRICS, data, size, &b, err);
    otlpcheck_batch(rc, err, &b, OTLP_METRICS);
    err[0] = '\0';
    rc = otlp_pb_decode(0, data, size, &b, err);
    otlpcheck_batch(rc, err, &b, 0);
    return 0;
}
