/*
 * otlp_logs.c - OTLP log records (events) as calls, model requests and
 * turns (see otlp.h).
 *
 * Claude Code names its events in the body ("claude_code.tool_result") and
 * in the event.name attribute ("tool_result"); the attribute wins, then the
 * record's event_name field, then the body. Four events are read:
 *
 *   tool_result    one call, when it ended: tool, id, outcome, sizes, and
 *                  its execution time (duration_ms, exact). Its start is
 *                  not in the record: the call is placed at end - exec.
 *   tool_decision  whether the call asked the person (source config or
 *                  hook: it did not; user_*: it did). A rejected call
 *                  never ran: it is a failed call without an execution.
 *                  The record comes before the call's result, with the
 *                  same tool_use_id, and the store merges the two.
 *   api_request    one model request: model, duration, time to first
 *                  token, tokens and cost; written when it ended.
 *   user_prompt    the person's prompt: the start of a turn.
 *
 * A call's identity and description come from the same places as the
 * hook's: tool_use_id when present (2.1.119+), and toolcall_describe() over
 * the tool_input attribute, a JSON string that only exists when the user
 * set OTEL_LOG_TOOL_DETAILS=1. tool_parameters (also gated) fills in the
 * Bash command, the skill and the real name behind the "mcp_tool" alias.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/otlp_sink.h"
#include "ingest/toolcall.h"

enum { REC_USED = 0, REC_IGNORED = 1, REC_BAD = 2 };

/* JSON that must not be lost for one bad byte, parsed strictly first: the
 * repair pass of JIN_REPAIR copies its input character by character, and
 * valid input (nearly all of it) only needs validating. */
static cJSON *parse_json(const char *data, size_t len, char *errbuf)
{
    cJSON *j = jin_parse(data, len, JIN_STRICT, TP_MAX_JSON_DEPTH, errbuf);
    return j ? j : jin_parse(data, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, errbuf);
}

/* The real MCP tool name behind the "mcp_tool" alias, from the gated
 * tool_parameters. */
static void mcp_name(struct op *op, const cJSON *params)
{
    const char *srv = jin_str(params, "mcp_server_name"), *tool = jin_str(params, "mcp_tool_name");
    if (!srv || !tool || !*srv || !*tool || strlen(srv) + strlen(tool) + 8 > TP_MAX_TOOL)
        return;
    char name[TP_MAX_TOOL + 1];
    snprintf(name, sizeof name, "mcp__%s__%s", srv, tool);
    op_sets(&op->tool, name);
}

/* When the record was written: event.timestamp (ms), else the record's
 * time, else when it was observed, else now. */
static int64_t record_ms(const struct otlp_log *rec, int64_t now_ms)
{
    const char *s = otlp_attrs_str(&rec->attrs, "event.timestamp");
    int64_t ms;
    if ((s && tpt_parse_iso(s, TPT_NAIVE_UTC, &ms) == 0) || otlp_nanos_ms(rec->time_ns, &ms) ||
        otlp_nanos_ms(rec->observed_ns, &ms))
        return ms;
    return now_ms;
}

/* Name a call that came without a tool_use_id (before 2.1.119) by its
 * session and event sequence number, so that a batch the exporter retries
 * is stored once. */
static void derive_id(struct op *op, const struct otlp_log *rec)
{
    char pos[2 * TP_MAX_ID + 64];
    double seq = -1;
    otlp_attrs_num(&rec->attrs, "event.sequence", &seq);
    snprintf(pos, sizeof pos, "otlp:%s:%.0f", op->session_id ? op->session_id : "", seq);
    op->tool_use_id = op_derive_id(op, pos);
}

/* The tool's name: tool_name, or name in July 2025 exports. */
static const char *tool_name(const struct otlp_attrs *a)
{
    const char *s = otlp_attrs_str(a, "tool_name");
    return s ? s : otlp_attrs_str(a, "name");
}

static int tool_result(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf)
{
    const struct otlp_attrs *attrs = &rec->attrs;
    cJSON *input = NULL, *params = NULL;
    char err[TP_ERR_MAX];
    double d;
    int b;
    const char *s = tool_name(attrs);
    if (!s) {
        tp_fail(errbuf, TP_EINVAL, "tool_result record without a tool_name string");
        return REC_BAD;
    }
    struct op *op = otlp_sink_op(k);
    op_sets(&op->tool, s);
    op->source = OP_SRC_OTLP;
    otlp_set_agent(op, rec->res);

    if ((s = otlp_attrs_str(attrs, "tool_parameters")) != NULL)
        params = parse_json(s, strlen(s), err);
    if (!cJSON_IsObject(params)) {
        cJSON_Delete(params);
        params = NULL;
    }
    if (strcmp(op->tool, "mcp_tool") == 0)
        mcp_name(op, params);
    if ((s = otlp_attrs_str(attrs, "tool_input")) != NULL)
        input = parse_json(s, strlen(s), err);
    toolcall_describe(op, input, NULL);
    if (!op->target && params) {
        const char *t = jin_str(params, "full_command");
        if (!t)
            t = jin_str(params, "bash_command");
        if (!t)
            t = jin_str(params, "skill_name");
        if (t && *t)
            op_sets(&op->target, t);
    }
    toolcall_meta_str(op, "subagent_type", jin_str(params, "subagent_type"));
    cJSON_Delete(input);
    cJSON_Delete(params);

    /* No duration is an unknown duration; a broken one is a broken
     * exporter, and the record is refused like the API refuses it. */
    if (otlp_attr_ms(attrs, "duration_ms", &d) < 0) {
        tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds in 0..%.0f",
                TP_MAX_DURATION_MS);
        goto bad;
    }
    op->duration_ms = d;
    if (otlp_attrs_bool(attrs, "success", &b))
        op->success = b;
    s = otlp_attrs_str(attrs, "error");
    if (!s && !op->success)
        s = otlp_attrs_str(attrs, "error_type");
    op_sets(&op->error, s);
    toolcall_meta_str(op, "error_type", otlp_attrs_str(attrs, "error_type"));
    s = otlp_attrs_str(attrs, "decision_source");
    toolcall_meta_str(op, "decision_source", s);
    op->ask = toolcall_ask_from_source(s);
    if (otlp_attrs_num(attrs, "tool_result_size_bytes", &d) && d >= 0 && d < 9e15)
        op->result_bytes = (int64_t)d;
    if (otlp_attrs_num(attrs, "tool_input_size_bytes", &d) && d >= 0 && d < 9e15)
        toolcall_meta_int(op, "input_bytes", (long long)d);
    op_sets(&op->session_id, otlp_attrs_str(attrs, "session.id"));
    op_sets(&op->tool_use_id, otlp_attrs_str(attrs, "tool_use_id"));
    op_sets(&op->subagent, otlp_attrs_str(attrs, "agent_id"));

    /* The record is written when the call ends. */
    int64_t end_ms = record_ms(rec, k->now_ms);
    op->ts_ms = isnan(op->duration_ms) ? end_ms : end_ms - (int64_t)llround(op->duration_ms);
    if (op_normalize(op, k->now_ms, errbuf) != 0)
        goto bad;
    if (!op->tool_use_id)
        derive_id(op, rec);
    return REC_USED;

bad:
    otlp_sink_unop(k);
    return REC_BAD;
}

/* A permission decision: a call that asked or did not; a rejected one. It
 * names its call by tool_use_id; without one it cannot be joined to the
 * call and tells nothing. */
static int tool_decision(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf)
{
    const struct otlp_attrs *attrs = &rec->attrs;
    const char *tool = tool_name(attrs), *id = otlp_attrs_str(attrs, "tool_use_id");
    if (!tool || !id)
        return REC_IGNORED;
    const char *source = otlp_attrs_str(attrs, "source");
    if (!source)
        source = otlp_attrs_str(attrs, "decision_source");
    const char *decision = otlp_attrs_str(attrs, "decision");
    if (!decision)
        decision = otlp_attrs_str(attrs, "decision_type");
    struct op *op = otlp_sink_op(k);
    op_sets(&op->tool, tool);
    op->source = OP_SRC_OTLP;
    otlp_set_agent(op, rec->res);
    op_sets(&op->tool_use_id, id);
    op_sets(&op->session_id, otlp_attrs_str(attrs, "session.id"));
    op_sets(&op->subagent, otlp_attrs_str(attrs, "agent_id"));
    op->ask = toolcall_ask_from_source(source);
    toolcall_meta_str(op, "decision_source", source);
    if (decision && strcmp(decision, "reject") == 0) {
        /* It never ran: no execution, and a failure. */
        op->success = 0;
        char why[96];
        snprintf(why, sizeof why, "rejected (%.64s)", source ? source : "unknown");
        op_sets(&op->error, why);
    }
    /* The decision ends the wait; the call runs from there. */
    op->ts_ms = record_ms(rec, k->now_ms);
    if (op_normalize(op, k->now_ms, errbuf) != 0) {
        otlp_sink_unop(k);
        return REC_BAD;
    }
    return REC_USED;
}

static int api_request(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf)
{
    const struct otlp_attrs *a = &rec->attrs;
    struct request *r = otlp_sink_req(k);
    double d;
    r->source = OP_SRC_OTLP;
    op_sets(&r->session_id, otlp_attrs_str(a, "session.id"));
    op_sets(&r->model, otlp_attrs_str(a, "model"));
    const char *id = otlp_attrs_str(a, "request_id");
    if (id) {
        op_sets(&r->id, id);
    } else {
        /* Without the API's id: the session and event sequence. */
        char pos[TP_MAX_ID + 64];
        double seq = -1;
        otlp_attrs_num(a, "event.sequence", &seq);
        snprintf(pos, sizeof pos, "otlp:%s:%.0f", r->session_id ? r->session_id : "", seq);
        op_sets(&r->id, pos);
    }
    if (otlp_attr_ms(a, "duration_ms", &r->duration_ms) < 0 ||
        otlp_attr_ms(a, "ttft_ms", &r->ttft_ms) < 0) {
        tp_fail(errbuf, TP_EINVAL, "duration_ms or ttft_ms is not a number of milliseconds");
        goto bad;
    }
    if (!isnan(r->duration_ms)) {
        r->exact = OP_EX_EXACT;
        r->src = PHS_OTLP;
    }
    r->input_tokens = otlp_attr_count(a, "input_tokens");
    r->output_tokens = otlp_attr_count(a, "output_tokens");
    r->cache_read_tokens = otlp_attr_count(a, "cache_read_tokens");
    r->cache_write_tokens = otlp_attr_count(a, "cache_creation_tokens");
    if (otlp_attrs_num(a, "cost_usd", &d) && d >= 0)
        r->cost_usd = d;
    else if (otlp_attrs_num(a, "cost_usd_micros", &d) && d >= 0)
        r->cost_usd = d / 1e6;
    r->sidechain = otlp_attrs_get(a, "agent_id") != NULL;
    int64_t end = record_ms(rec, k->now_ms);
    r->start_ms = isnan(r->duration_ms) ? end : end - (int64_t)llround(r->duration_ms);
    if (request_normalize(r, k->now_ms, errbuf) != 0)
        goto bad;
    return REC_USED;
bad:
    otlp_sink_unreq(k);
    return REC_BAD;
}

static int user_prompt(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf)
{
    const char *sid = otlp_attrs_str(&rec->attrs, "session.id");
    if (!sid)
        return REC_IGNORED;
    struct turn *t = otlp_sink_turn(k);
    op_sets(&t->session_id, sid);
    t->start_ms = record_ms(rec, k->now_ms);
    t->source = OP_SRC_OTLP;
    if (turn_normalize(t, k->now_ms, errbuf) != 0) {
        otlp_sink_unturn(k);
        return REC_BAD;
    }
    return REC_USED;
}

static const struct {
    const char *name;
    int (*map)(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf);
} events[] = {
    {"tool_result", tool_result},
    {"tool_decision", tool_decision},
    {"api_request", api_request},
    {"user_prompt", user_prompt},
};

void otlp_map_logs(const struct otlp_batch *b, struct otlp_sink *k)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < b->nlogs; i++) {
        const struct otlp_log *rec = &b->logs[i];
        const char *name = otlp_attrs_str(&rec->attrs, "event.name");
        if (!name)
            name = rec->event_name;
        if (!name && rec->body.type == OTLP_V_STR)
            name = rec->body.s;
        name = otlp_short_name(name);
        int r = REC_IGNORED;
        for (size_t e = 0; name && e < sizeof events / sizeof events[0]; e++)
            if (strcmp(events[e].name, name) == 0) {
                r = events[e].map(rec, k, err);
                break;
            }
        if (r == REC_USED)
            k->c->used++;
        else if (r == REC_IGNORED)
            k->c->ignored++;
        else if (r == REC_BAD)
            otlp_sink_reject(k, "log record", i + 1, err);
    }
}
