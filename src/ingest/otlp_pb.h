/*
 * otlp_pb.h - OTLP export requests in binary protobuf, decoded into the
 * model of otlp_model.h.
 *
 * The three requests (ExportLogsServiceRequest, ExportTraceServiceRequest,
 * ExportMetricsServiceRequest of opentelemetry-proto v1) are read field by
 * field with core/pb.h: known fields are checked for their wire type,
 * unknown ones skipped, span events and links, histogram buckets and
 * exemplars are walked (so that a malformed one is found) but not kept.
 */
#ifndef TOOLPROF_OTLP_PB_H
#define TOOLPROF_OTLP_PB_H

#include <stddef.h>

#include "ingest/otlp_model.h"

/* Decode data[0..n) as the request of signal sig into *b (which need not
 * be initialised; free it with otlp_batch_free whatever the result).
 *
 * sig 0 works the signal out from the body, for `POST /` (see otlp_pb.c:
 * the body is decoded as each of the three; a signal is chosen only when
 * it alone decodes with records and without unknown fields or dropped
 * records, or failing that, alone decodes with records at all; a body that
 * fits two is refused as ambiguous rather than guessed). b->signal tells
 * the choice; an empty request is an empty logs batch.
 *
 * Returns 0, or TP_EPARSE / TP_ETOOBIG with a message for a body that is
 * not such a request (bad wire format, a wrong wire type, nesting past the
 * caps); then the batch holds nothing. Records refused one by one (over
 * TP_MAX_BATCH, over TP_MAX_OTLP_ATTRS attributes, a span without valid
 * ids) are counted in b->dropped. */
int otlp_pb_decode(enum otlp_signal sig, const void *data, size_t n, struct otlp_batch *b,
                   char *errbuf);

#endif
