/*
 * api_otlp.h - OTLP requests for the HTTP API and the gRPC listener
 * (api_otlp.c). api_otlp_ingest() and api_grpc_code() are declared in
 * api.h, next to the answer they fill.
 */
#ifndef TOOLPROF_API_OTLP_H
#define TOOLPROF_API_OTLP_H

#include "core/buf.h"
#include "ingest/otlp.h"
#include "server/api.h"
#include "server/http.h"

/* The OTLP counters of /metrics (requests by signal and result, records
 * by signal and outcome), in the text exposition format. */
void api_otlp_stats_render(struct buf *b);

/* Turn an error answer (the JSON envelope of http_resp_error) into the
 * google.rpc.Status that OTLP/HTTP answers 4xx and 5xx with, in the
 * request's encoding, keeping the status and the headers. */
void api_otlp_restyle(struct http_resp *resp, enum otlp_encoding enc);

#endif
