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
 *
 * Codex CLI's and Gemini CLI's events are told by their full names
 * (codex.*, gemini_cli.*) and read by their own mappers: their attributes
 * differ. Codex names a call by call_id and its session by
 * conversation.id, exports records with a time of 0 (the event.timestamp
 * attribute or the observed time is used) and sends a call's
 * tool_decision and tool_result in separate requests as often as not: the
 * decision waits in the joins for its result, which it tells whether the
 * result's duration is the execution (nobody was asked) or the wall time.
 * A call gets the store key the rollout import gives it
 * (agentfile_call_key), so the two are stored as one call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/agentfile.h"
#include "ingest/codex.h"
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

/* ---- Codex CLI and Gemini CLI ------------------------------------------------- */

/* What the agents' mappers need besides the record: the batch (for a
 * decision earlier in it when there are no joins) and the joins. */
struct log_ctx {
    const struct otlp_batch *b;
    size_t at; /* the record's index in b->logs */
    struct otlp_joins *joins;
    struct otlp_sink *k;
};

/* Codex names a session by conversation.id (its thread id). */
static const char *codex_session(const struct otlp_attrs *a)
{
    const char *s = otlp_attrs_str(a, "conversation.id");
    return s ? s : otlp_attrs_str(a, "session.id");
}

/* Codex's decision: its source is "Config" (the policy allowed it: nobody
 * was asked) or "User"; denied and abort are refusals. */
static void codex_decision_of(const struct otlp_attrs *a, int *ask, int *rejected)
{
    const char *src = otlp_attrs_str(a, "source"), *d = otlp_attrs_str(a, "decision");
    *ask = !src                             ? OP_ASK_UNKNOWN
           : strcasecmp(src, "config") == 0 ? OP_ASK_NO
           : strcasecmp(src, "user") == 0   ? OP_ASK_ASKED
                                            : OP_ASK_UNKNOWN;
    *rejected = d && (strcmp(d, "denied") == 0 || strcmp(d, "abort") == 0);
}

static int is_event(const struct otlp_log *rec, const char *full)
{
    const char *n = otlp_attrs_str(&rec->attrs, "event.name");
    if (!n)
        n = rec->event_name;
    return n && strcmp(n, full) == 0;
}

/* The decision for call_id of session: from the joins (a decision seen
 * in this request or an earlier one), else, without joins, from this
 * batch before the result. 1 when found. */
static int codex_decision_for(const struct log_ctx *x, const char *key, const char *call_id,
                              const char *session, int *ask, int *rejected)
{
    if (x->joins)
        return otlp_joins_take_decision(x->joins, key, ask, rejected);
    for (size_t i = x->at; i-- > 0;) {
        const struct otlp_log *r = &x->b->logs[i];
        const char *id = otlp_attrs_str(&r->attrs, "call_id"), *s = codex_session(&r->attrs);
        if (is_event(r, "codex.tool_decision") && id && strcmp(id, call_id) == 0 &&
            (!s || !session || strcmp(s, session) == 0)) {
            codex_decision_of(&r->attrs, ask, rejected);
            return 1;
        }
    }
    return 0;
}

/* codex.tool_result: one call, written when its handler returned. Its
 * duration_ms is the handler's time, which holds the approval when a
 * person was asked: it is the execution when the call's decision says
 * nobody was (source Config); it is the wall time either way. `success` says the tool
 * ran, not how the command ended: the output's exit code says that. */
static int codex_tool_result(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf)
{
    const struct otlp_attrs *a = &rec->attrs;
    struct otlp_sink *k = x->k;
    const char *tool = otlp_attrs_str(a, "tool_name"), *call_id = otlp_attrs_str(a, "call_id");
    if (!tool || !*tool || !call_id || !*call_id)
        return REC_IGNORED;
    double d;
    if (otlp_attr_ms(a, "duration_ms", &d) < 0) {
        tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds in 0..%.0f",
                TP_MAX_DURATION_MS);
        return REC_BAD;
    }
    struct op *op = otlp_sink_op(k);
    op->source = OP_SRC_OTLP;
    otlp_set_agent(op, rec->res);
    const char *srv = otlp_attrs_str(a, "mcp_server");
    char name[TP_MAX_TOOL + 1];
    if (srv && *srv && strncmp(tool, "mcp__", 5) != 0 &&
        strlen(srv) + strlen(tool) + 8 <= TP_MAX_TOOL) {
        snprintf(name, sizeof name, "mcp__%s__%s", srv, tool);
        tool = name;
    }
    op_sets(&op->tool, tool);
    const char *session = codex_session(a);
    op_sets(&op->session_id, session);
    op->tool_use_id = agentfile_call_key(session, call_id);
    codex_describe(op, otlp_attrs_str(a, "arguments"));

    int ok = 1, ask = OP_ASK_UNKNOWN, rejected = 0;
    otlp_attrs_bool(a, "success", &ok);
    const char *out = otlp_attrs_str(a, "output");
    int code = out ? agentfile_exit_code(out) : -1;
    int truncated = 0;
    otlp_attrs_bool(a, "output_truncated", &truncated);
    if (out && !truncated)
        op->result_bytes = (int64_t)strlen(out);
    /* No metadata: the store lets an OTLP report's replace a rollout's
     * (a more trusted source), and the rollout's says more (the model,
     * the policies, the command's own time, the exit code). */
    op->success = ok && code <= 0;
    if (!op->success) {
        char why[64];
        if (code > 0)
            snprintf(why, sizeof why, "exit code %d", code);
        op_sets(&op->error, code > 0 ? why : "error");
        if (code <= 0 && out) {
            free(op->error);
            op->error = agentfile_first_text_line(out, 300);
            if (!op->error)
                op->error = xstrdup("error");
        }
    }
    int known = codex_decision_for(x, op->tool_use_id, call_id, session, &ask, &rejected);
    if (!isnan(d)) {
        /* The handler's time is the call's wall either way; when nobody
         * was asked it is all execution. (The rollout's wall, from the
         * call line to the output line, is no bound: a call of a parallel
         * group can start before its line is written.) */
        op_set_phase(op, OP_PH_WALL, d, OP_EX_EXACT, PHS_OTLP);
        if (known && ask == OP_ASK_NO)
            op_set_phase(op, OP_PH_EXEC, d, OP_EX_EXACT, PHS_OTLP);
    }
    op->ask = known ? ask : OP_ASK_MAYBE;
    int64_t end_ms = record_ms(rec, k->now_ms);
    op->ts_ms = isnan(d) ? end_ms : end_ms - (int64_t)llround(d);
    if (op_normalize(op, k->now_ms, errbuf) != 0) {
        otlp_sink_unop(k);
        return REC_BAD;
    }
    return REC_USED;
}

/* codex.tool_decision: whether the call asked, kept for its result (the
 * joins), and an op of its own that the store merges with the call's: a
 * refused call never ran and failed. */
static int codex_tool_decision(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf)
{
    const struct otlp_attrs *a = &rec->attrs;
    struct otlp_sink *k = x->k;
    const char *tool = otlp_attrs_str(a, "tool_name"), *call_id = otlp_attrs_str(a, "call_id");
    if (!tool || !*tool || !call_id || !*call_id)
        return REC_IGNORED;
    int ask, rejected;
    codex_decision_of(a, &ask, &rejected);
    struct op *op = otlp_sink_op(k);
    op->source = OP_SRC_OTLP;
    otlp_set_agent(op, rec->res);
    op_sets(&op->tool, tool);
    const char *session = codex_session(a);
    op_sets(&op->session_id, session);
    op->tool_use_id = agentfile_call_key(session, call_id);
    op->ask = ask; /* no metadata, as codex_tool_result() says */
    if (rejected) {
        op->success = 0;
        op_sets(&op->error, "rejected");
    }
    op->ts_ms = record_ms(rec, k->now_ms);
    if (op_normalize(op, k->now_ms, errbuf) != 0) {
        otlp_sink_unop(k);
        return REC_BAD;
    }
    if (x->joins)
        otlp_joins_put_decision(x->joins, op->tool_use_id, ask, rejected, k->now_ms);
    return REC_USED;
}

/* codex.api_request: one HTTP request to the model, written when its
 * response's headers came (the streamed answer follows, in
 * codex.sse_event records): its duration_ms is the time to the first
 * byte. It carries no response id: the request is named by its session
 * and time. */
static int codex_api_request(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf)
{
    const struct otlp_attrs *a = &rec->attrs;
    struct otlp_sink *k = x->k;
    const char *session = codex_session(a);
    if (!session)
        return REC_IGNORED;
    double d;
    if (otlp_attr_ms(a, "duration_ms", &d) < 0) {
        tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds");
        return REC_BAD;
    }
    int64_t end = record_ms(rec, k->now_ms);
    double attempt = 0;
    otlp_attrs_num(a, "attempt", &attempt);
    char id[TP_MAX_ID + 64];
    snprintf(id, sizeof id, "codex-otlp:%.*s:%lld:%.0f", TP_MAX_ID, session, (long long)end,
             attempt);
    struct request *r = otlp_sink_req(k);
    r->source = OP_SRC_OTLP;
    op_sets(&r->id, id);
    op_sets(&r->session_id, session);
    op_sets(&r->model, otlp_attrs_str(a, "model"));
    r->ttft_ms = d;
    r->start_ms = isnan(d) ? end : end - (int64_t)llround(d);
    if (request_normalize(r, k->now_ms, errbuf) != 0) {
        otlp_sink_unreq(k);
        return REC_BAD;
    }
    return REC_USED;
}

/* codex.user_prompt and gemini_cli.user_prompt: a turn's start. */
static int agent_user_prompt(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf)
{
    const char *sid = codex_session(&rec->attrs);
    if (!sid)
        return REC_IGNORED;
    struct turn *t = otlp_sink_turn(x->k);
    op_sets(&t->session_id, sid);
    t->start_ms = record_ms(rec, x->k->now_ms);
    t->source = OP_SRC_OTLP;
    if (turn_normalize(t, x->k->now_ms, errbuf) != 0) {
        otlp_sink_unturn(x->k);
        return REC_BAD;
    }
    return REC_USED;
}

/* gemini_cli.api_response: one model request, written when it ended, with
 * its duration and tokens (cached tokens are inside the input count, as
 * the API counts them; toolprof keeps them apart). */
static int gemini_api_response(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf)
{
    const struct otlp_attrs *a = &rec->attrs;
    struct otlp_sink *k = x->k;
    const char *session = otlp_attrs_str(a, "session.id");
    if (!session)
        return REC_IGNORED;
    double d;
    if (otlp_attr_ms(a, "duration_ms", &d) < 0) {
        tp_fail(errbuf, TP_EINVAL, "duration_ms is not a number of milliseconds");
        return REC_BAD;
    }
    int64_t end = record_ms(rec, k->now_ms);
    char id[TP_MAX_ID + 64];
    snprintf(id, sizeof id, "gemini-otlp:%.*s:%lld", TP_MAX_ID, session, (long long)end);
    struct request *r = otlp_sink_req(k);
    r->source = OP_SRC_OTLP;
    op_sets(&r->id, id);
    op_sets(&r->session_id, session);
    op_sets(&r->model, otlp_attrs_str(a, "model"));
    r->duration_ms = d;
    if (!isnan(d)) {
        r->exact = OP_EX_EXACT;
        r->src = PHS_OTLP;
    }
    int64_t in = otlp_attr_count(a, "input_token_count");
    int64_t cached = otlp_attr_count(a, "cached_content_token_count");
    r->input_tokens = in >= 0 && cached > 0 && cached <= in ? in - cached : in;
    r->cache_read_tokens = cached;
    r->output_tokens = otlp_attr_count(a, "output_token_count");
    r->sidechain = (otlp_attrs_str(a, "role") && strcmp(otlp_attrs_str(a, "role"), "main") != 0);
    r->start_ms = isnan(d) ? end : end - (int64_t)llround(d);
    if (request_normalize(r, k->now_ms, errbuf) != 0) {
        otlp_sink_unreq(k);
        return REC_BAD;
    }
    return REC_USED;
}

/* The agents' events, by their full names. gemini_cli.tool_call is not
 * among them: it names no call (0.61 exports function_name, duration_ms,
 * decision and prompt_id, but no call id), so it could not be stored once
 * with the same call from the chat; the call's trace span, which carries
 * gen_ai.tool.call_id, is read instead (otlp_spans.c). */
static const struct {
    const char *name;
    int (*map)(const struct otlp_log *rec, const struct log_ctx *x, char *errbuf);
} agent_events[] = {
    {"codex.tool_result", codex_tool_result},         {"codex.tool_decision", codex_tool_decision},
    {"codex.api_request", codex_api_request},         {"codex.user_prompt", agent_user_prompt},
    {"gemini_cli.api_response", gemini_api_response}, {"gemini_cli.user_prompt", agent_user_prompt},
};

static const struct {
    const char *name;
    int (*map)(const struct otlp_log *rec, struct otlp_sink *k, char *errbuf);
} events[] = {
    {"tool_result", tool_result},
    {"tool_decision", tool_decision},
    {"api_request", api_request},
    {"user_prompt", user_prompt},
};

void otlp_map_logs(const struct otlp_batch *b, struct otlp_joins *joins, struct otlp_sink *k)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < b->nlogs; i++) {
        const struct otlp_log *rec = &b->logs[i];
        const char *full = otlp_attrs_str(&rec->attrs, "event.name");
        if (!full)
            full = rec->event_name;
        if (!full && rec->body.type == OTLP_V_STR)
            full = rec->body.s;
        int r = REC_IGNORED;
        if (full && (strncmp(full, "codex.", 6) == 0 || strncmp(full, "gemini_cli.", 11) == 0)) {
            struct log_ctx x = {.b = b, .at = i, .joins = joins, .k = k};
            for (size_t e = 0; e < sizeof agent_events / sizeof agent_events[0]; e++)
                if (strcmp(agent_events[e].name, full) == 0) {
                    r = agent_events[e].map(rec, &x, err);
                    break;
                }
        } else {
            const char *name = otlp_short_name(full);
            for (size_t e = 0; name && e < sizeof events / sizeof events[0]; e++)
                if (strcmp(events[e].name, name) == 0) {
                    r = events[e].map(rec, k, err);
                    break;
                }
        }
        if (r == REC_USED)
            k->c->used++;
        else if (r == REC_IGNORED)
            k->c->ignored++;
        else if (r == REC_BAD)
            otlp_sink_reject(k, "log record", i + 1, err);
    }
}
