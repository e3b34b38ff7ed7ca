/*
 * otlp_json.h - OTLP export requests in JSON (the proto3 JSON mapping of
 * OTLP/HTTP), decoded into the model of otlp_model.h.
 *
 * What senders really send is accepted: lowerCamelCase keys and their
 * snake_case forms, 64-bit integers as JSON numbers or decimal strings,
 * trace and span ids as hex (the OTLP rule) or base64 (the plain proto3
 * rule some senders follow), enums as numbers or their names, the
 * instrumentationLibrary* keys of OTLP before 0.15. Unknown keys are
 * ignored. Below the top level the decoder is forgiving: an element of the
 * wrong JSON type is skipped (a record of the wrong type is counted as
 * dropped), because the rest of the batch is good data.
 */
#ifndef TOOLPROF_OTLP_JSON_H
#define TOOLPROF_OTLP_JSON_H

#include <stddef.h>

#include "ingest/otlp_model.h"

/* Decode data[0..len) (need not be NUL-terminated) as the request of
 * signal sig into *b (free it with otlp_batch_free whatever the result).
 * sig 0 takes the signal from the top-level key (resourceLogs,
 * resourceSpans, resourceMetrics); a body with none of them is an empty
 * logs batch, one with two of them is refused. Returns 0, or TP_EPARSE
 * (not JSON, not an object, the record list not an array, values nested
 * past TP_MAX_OTLP_VALUE_DEPTH) or TP_ETOOBIG (a resource over
 * TP_MAX_OTLP_ATTRS attributes) with a message; then the batch holds
 * nothing. */
int otlp_json_decode(enum otlp_signal sig, const char *data, size_t len, struct otlp_batch *b,
                     char *errbuf);

#endif
