/*
 * otlp.h - OpenTelemetry requests from Claude Code (and other agents), as
 * operations, turns, model requests and usage readings.
 *
 * With CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTEL_LOGS_EXPORTER=otlp (and
 * OTEL_TRACES_EXPORTER=otlp with CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1),
 * Claude Code exports batches of log records and spans over OTLP/HTTP (JSON
 * or protobuf, maybe gzipped) or OTLP/gRPC. The server inflates a body
 * (otlp_gunzip), decodes it into the model of otlp_model.h (otlp_decode) and
 * maps the model to toolprof's records (otlp_map):
 *
 *   logs (otlp_logs.c)   tool_result: a call with its exact execution;
 *                        tool_decision: whether the call asked the person
 *                        (a rejected call is a failed call); api_request: a
 *                        model request; user_prompt: the start of a turn
 *   spans (otlp_spans.c) claude_code.tool with its children
 *                        tool.blocked_on_user and tool.execution: a call's
 *                        wall time, approval wait and execution, exactly;
 *                        llm_request: a model request; interaction: a turn
 *   metrics              token, cost, lines and active-time counters
 *   (otlp_metrics.c)     (Sums, delta or cumulative): a session's usage
 *
 * Codex CLI's events (codex.tool_result, tool_decision, api_request,
 * user_prompt) and Gemini CLI's tool_call spans and api_response events
 * are read the same way (docs/agents.md).
 *
 * Attribute values are read whatever their type (numbers and booleans
 * arrive as strings on events, typed on spans, and 64-bit integers may be
 * decimal strings). The resource's service.name and service.version give
 * the calls' agent and its version.
 */
#ifndef TOOLPROF_OTLP_H
#define TOOLPROF_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"
#include "ingest/otlp_model.h"
#include "store/op.h"
#include "store/timeline.h"

/* Inflate a gzip (or zlib) body into a new buffer of at most max_out
 * bytes (NUL-terminated, not counted in *out_len; free it). Returns 0,
 * TP_ETOOBIG when the output would pass max_out (a decompression bomb is
 * stopped there, not inflated), or TP_EPARSE for a corrupt or truncated
 * stream, with errbuf filled. */
int otlp_gunzip(const void *in, size_t n, size_t max_out, char **out, size_t *out_len,
                char *errbuf);

/* What became of a request's records. */
struct otlp_counts {
    size_t records;               /* in the request (kept by the decoder or dropped) */
    size_t used;                  /* made or completed a record of toolprof's */
    size_t ignored;               /* accepted, not used: events and spans toolprof does not read */
    size_t rejected;              /* refused: dropped by the decoder, unusable records */
    char first_error[TP_ERR_MAX]; /* why the first rejected one was */
};

/* What a request maps to: normalized records, ready for the store in one
 * group (store.h, struct store_group). */
struct otlp_out {
    struct op *ops;
    size_t nops;
    struct turn *turns;
    size_t nturns;
    struct request *reqs;
    size_t nreqs;
    struct usage *usage; /* metrics: a session's usage readings */
    size_t nusage;
};
void otlp_out_free(struct otlp_out *o);

/* Spans that arrived before the span they belong to. A tool call's span
 * ends after its children (the approval wait, the execution), and an
 * exporter may send the children in an earlier batch; they wait here, by
 * their parent's id, for at most OTLP_JOIN_TTL_MS and OTLP_JOIN_MAX spans
 * (the oldest go first). Safe to share between threads. */
struct otlp_joins;
struct otlp_joins *otlp_joins_new(void);
void otlp_joins_free(struct otlp_joins *j);
/* The number of entries waiting: spans, and Codex tool decisions kept for
 * their results (for tests). */
size_t otlp_joins_pending(struct otlp_joins *j);

enum otlp_encoding { OTLP_JSON = 0, OTLP_PROTOBUF = 1 };

/* Decode a request body (already inflated) of signal sig (0: work it out
 * from the body, for POST /) in either encoding: otlp_json_decode() or
 * otlp_pb_decode(). Free *b with otlp_batch_free() whatever the result. */
int otlp_decode(enum otlp_signal sig, enum otlp_encoding enc, const void *body, size_t len,
                struct otlp_batch *b, char *errbuf);

/* Map a decoded request into *out (free it with otlp_out_free; every
 * record in it passed op_normalize / turn_normalize / request_normalize
 * with now_ms); *counts (may be NULL) tells what became of the records. A
 * record with a broken value (a duration that is not a number of
 * milliseconds, a tool name with control characters, a time in the
 * future) is rejected whole, as the JSON API rejects it. joins (may be
 * NULL: no joining across requests) keeps spans whose parent has not come
 * yet. Returns 0; errbuf is for errors of the whole batch. */
int otlp_map(const struct otlp_batch *b, int64_t now_ms, struct otlp_joins *joins,
             struct otlp_out *out, struct otlp_counts *counts, char *errbuf);

/* The answers of the OTLP specification, in either encoding, appended to
 * out. A success: the empty Export*ServiceResponse ({} or no bytes), or
 * with rejected > 0 its partial_success (rejected_log_records,
 * rejected_spans or rejected_data_points by signal, and message). A
 * failure: a google.rpc.Status with a gRPC code (3 INVALID_ARGUMENT, 8
 * RESOURCE_EXHAUSTED, 14 UNAVAILABLE, ...) and the message; in JSON it also
 * carries toolprof's error envelope ("success": false). */
void otlp_write_response(struct buf *out, enum otlp_encoding enc, enum otlp_signal sig,
                         size_t rejected, const char *message);
void otlp_write_status(struct buf *out, enum otlp_encoding enc, int grpc_code, const char *message);

/* otlp_decode() of an ExportLogsServiceRequest in OTLP JSON, then
 * otlp_map(), keeping the tool calls only (*ops: op_clear each, free the
 * array). Returns TP_EPARSE with a message when the body as a whole is
 * not JSON or not a logs request (top level not an object, resourceLogs
 * not an array); then *ops is NULL and *nops 0. */
int otlp_logs_parse(const char *body, size_t len, int64_t now_ms, struct op **ops, size_t *nops,
                    struct otlp_counts *counts, char *errbuf);

#endif
