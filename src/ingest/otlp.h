/*
 * otlp.h - OpenTelemetry requests from Claude Code (and other agents), as
 * operations.
 *
 * With CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTEL_LOGS_EXPORTER=otlp, Claude
 * Code exports batches of log records over OTLP/HTTP (JSON or protobuf,
 * maybe gzipped) or OTLP/gRPC. The server inflates a body (otlp_gunzip),
 * decodes it into the model of otlp_model.h (otlp_decode) and maps the
 * model to operations (otlp_map). Each `claude_code.tool_result` record becomes one
 * op (tool, tool_use_id, session, success, duration_ms, error_type, sizes,
 * and the target from tool_input when OTEL_LOG_TOOL_DETAILS=1); every
 * other event is accepted and ignored. Attribute values are read whatever
 * their JSON type (numbers and booleans arrive as strings on events, typed
 * elsewhere, and 64-bit integers may be decimal strings).
 */
#ifndef TOOLPROF_OTLP_H
#define TOOLPROF_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"
#include "ingest/otlp_model.h"
#include "store/op.h"

/* Inflate a gzip (or zlib) body into a new buffer of at most max_out
 * bytes (NUL-terminated, not counted in *out_len; free it). Returns 0,
 * TP_ETOOBIG when the output would pass max_out (a decompression bomb is
 * stopped there, not inflated), or TP_EPARSE for a corrupt or truncated
 * stream, with errbuf filled. */
int otlp_gunzip(const void *in, size_t n, size_t max_out, char **out, size_t *out_len,
                char *errbuf);

/* What became of a request's records besides the ops. */
struct otlp_counts {
    size_t records;               /* in the request (kept by the decoder or dropped) */
    size_t ignored;               /* accepted, no op: other events; spans and points */
    size_t rejected;              /* refused: dropped by the decoder, unusable tool results */
    char first_error[TP_ERR_MAX]; /* why the first rejected one was */
};

enum otlp_encoding { OTLP_JSON = 0, OTLP_PROTOBUF = 1 };

/* Decode a request body (already inflated) of signal sig (0: work it out
 * from the body, for POST /) in either encoding: otlp_json_decode() or
 * otlp_pb_decode(). Free *b with otlp_batch_free() whatever the result. */
int otlp_decode(enum otlp_signal sig, enum otlp_encoding enc, const void *body, size_t len,
                struct otlp_batch *b, char *errbuf);

/* Map a decoded request to operations. On return *ops is a malloc'd array
 * of *nops normalized ops (op_normalize with now_ms accepted each; op_clear
 * each, then free the array; NULL when none), and *counts (may be NULL)
 * tells about the other records. Logs: each `claude_code.tool_result`
 * record becomes one op; a tool_result with a broken value (a duration
 * that is not a number of milliseconds, a tool name with control
 * characters, a time in the future) is rejected whole, as the JSON API
 * rejects it; other events are ignored. Traces and metrics give no ops
 * yet: their records are counted as ignored (accepted, not used). Returns
 * 0; errbuf is for errors of the whole batch. */
int otlp_map(const struct otlp_batch *b, int64_t now_ms, struct op **ops, size_t *nops,
             struct otlp_counts *counts, char *errbuf);

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
 * otlp_map(). Returns TP_EPARSE with a message when the body as a whole is
 * not JSON or not a logs request (top level not an object, resourceLogs
 * not an array); then *ops is NULL and *nops 0. */
int otlp_logs_parse(const char *body, size_t len, int64_t now_ms, struct op **ops, size_t *nops,
                    struct otlp_counts *counts, char *errbuf);

#endif
