/*
 * otlp.h - OTLP/HTTP JSON logs from Claude Code, as operations.
 *
 * With CLAUDE_CODE_ENABLE_TELEMETRY=1, OTEL_LOGS_EXPORTER=otlp and
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json, Claude Code posts batches of log
 * records to /v1/logs. Each `claude_code.tool_result` record becomes one
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

#include "core/limits.h"
#include "store/op.h"

/* Inflate a gzip (or zlib) body into a new buffer of at most max_out
 * bytes (NUL-terminated, not counted in *out_len; free it). Returns 0,
 * TP_ETOOBIG when the output would pass max_out (a decompression bomb is
 * stopped there, not inflated), or TP_EPARSE for a corrupt or truncated
 * stream, with errbuf filled. */
int otlp_gunzip(const void *in, size_t n, size_t max_out, char **out, size_t *out_len,
                char *errbuf);

/* The records of a request that gave no op. */
struct otlp_counts {
    size_t ignored;               /* other events: not ours */
    size_t rejected;              /* tool results that cannot be stored */
    char first_error[TP_ERR_MAX]; /* why the first rejected one was */
};

/* Parse an ExportLogsServiceRequest in OTLP JSON. On success *ops is a
 * malloc'd array of *nops normalized ops (op_normalize with now_ms
 * accepted each; op_clear each, then free the array; NULL when none), and
 * *counts (may be NULL) tells about the other records. A tool_result with
 * a broken value (a duration that is not a number of milliseconds, a tool
 * name with control characters, a time in the future) is rejected whole,
 * as the JSON API rejects it. Returns TP_EPARSE with a message when the
 * body as a whole is not JSON or not a logs request (top level not an
 * object, resourceLogs not an array); then *ops is NULL and *nops 0. */
int otlp_logs_parse(const char *body, size_t len, int64_t now_ms, struct op **ops, size_t *nops,
                    struct otlp_counts *counts, char *errbuf);

#endif
