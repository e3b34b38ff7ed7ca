/*
 * otlp_sink.h - what the OTLP mappers (otlp_logs.c, otlp_spans.c) share;
 * private to src/ingest/otlp*.c.
 *
 * A mapper reads the decoded records of one signal and appends records of
 * toolprof's to a sink: a slot is handed out zeroed and initialized
 * (op_init, turn_init, request_init, usage_init), the mapper fills it, and either keeps
 * it (after the normalize call of its kind accepted it) or takes it back.
 * Each decoded record is accounted for exactly once: used (it made or
 * completed a record), ignored, or rejected with a reason.
 */
#ifndef TOOLPROF_OTLP_SINK_H
#define TOOLPROF_OTLP_SINK_H

#include <stdint.h>

#include "ingest/otlp.h"

struct otlp_sink {
    struct otlp_out *out;
    struct otlp_counts *c;
    int64_t now_ms;
    size_t cap_ops, cap_turns, cap_reqs, cap_usage;
};

struct op *otlp_sink_op(struct otlp_sink *k);
struct turn *otlp_sink_turn(struct otlp_sink *k);
struct request *otlp_sink_req(struct otlp_sink *k);
struct usage *otlp_sink_usage(struct otlp_sink *k);
/* Take back the last slot handed out (cleared). */
void otlp_sink_unop(struct otlp_sink *k);
void otlp_sink_unturn(struct otlp_sink *k);
void otlp_sink_unreq(struct otlp_sink *k);
void otlp_sink_unusage(struct otlp_sink *k);

/* Count record `at` (1-based, in its signal) as refused, keeping the
 * first reason. */
void otlp_sink_reject(struct otlp_sink *k, const char *kind, size_t at, const char *why);

/* The mappers. */
void otlp_map_logs(const struct otlp_batch *b, struct otlp_joins *joins, struct otlp_sink *k);
void otlp_map_spans(const struct otlp_batch *b, struct otlp_joins *joins, struct otlp_sink *k);
void otlp_map_metrics(const struct otlp_batch *b, struct otlp_sink *k);

/* A tool decision remembered for the call whose result comes in a later
 * request (Codex exports its tool_decision and tool_result records in
 * separate batches as often as not), by the call's store key, with the
 * same bounds and expiry as the spans waiting for their parent. take
 * returns 1 with *ask (enum op_ask) and *rejected and forgets it, or 0. */
void otlp_joins_put_decision(struct otlp_joins *j, const char *call_key, int ask, int rejected,
                             int64_t now_ms);
int otlp_joins_take_decision(struct otlp_joins *j, const char *call_key, int *ask, int *rejected);

/* ---- shared helpers --------------------------------------------------------- */

/* A time in nanoseconds as milliseconds; 0 when unset or out of range. */
int otlp_nanos_ms(uint64_t ns, int64_t *out);

/* The name of an event or span without the agent's prefix
 * ("claude_code.tool_result" and "tool_result" are both "tool_result");
 * NULL for NULL. */
const char *otlp_short_name(const char *name);

/* The agent and version a resource names (service.name, service.version)
 * onto the op: "claude-code" (and Claude Code Desktop) is the default agent
 * (left NULL); another agent toolprof knows gets its name. */
void otlp_set_agent(struct op *op, const struct otlp_resource *res);

/* A number attribute that must be a duration if present: 1 and *ms when
 * it is, 0 when absent, -1 when present but not a number of ms in range. */
int otlp_attr_ms(const struct otlp_attrs *a, const char *key, double *ms);

/* A count attribute (tokens): the value, or -1 when absent or not a whole
 * number >= 0. */
int64_t otlp_attr_count(const struct otlp_attrs *a, const char *key);

#endif
