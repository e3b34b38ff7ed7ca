/*
 * codex_call.c - Codex CLI tool calls paired with their end events and
 * outputs (see codex_int.h).
 *
 * A call waits in the context's array from its call line until the output
 * with its call_id; the end events (exec_command_end, patch_apply_end,
 * mcp_tool_call_end ...), which come before the output, wait keyed by
 * call_id and give the call its exit code, status, the command's own
 * duration and its exact end. A call is timed from its line to its end
 * event, or to its output line when it has none; the tool's name and
 * arguments give its target (the command, the files a patch touches) and
 * whether it could have waited for an approval.
 */
#include "codex.h"
#include "codex_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"

/* ---- small helpers ------------------------------------------------------ */

void cx_set(char **f, const char *s)
{
    free(*f);
    *f = s ? xstrdup(s) : NULL;
}

static int starts_with(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

/* The text of an output: a string, {"text": ...}, or an array of content
 * items whose texts are joined. Malloc'd; NULL when there is none. */
static char *output_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return xstrdup(v->valuestring);
    if (cJSON_IsObject(v)) {
        const char *t = jin_str(v, "text");
        if (!t)
            t = jin_str(v, "content");
        return t ? xstrdup(t) : NULL;
    }
    if (cJSON_IsArray(v)) {
        struct buf b;
        buf_init(&b, TP_MAX_LINE);
        for (const cJSON *it = v->child; it; it = it->next) {
            const char *t = cJSON_IsString(it) ? it->valuestring : jin_str(it, "text");
            if (t) {
                if (b.len)
                    buf_addc(&b, '\n');
                buf_adds(&b, t);
            }
        }
        if (!b.len) {
            buf_free(&b);
            return NULL;
        }
        return buf_steal(&b, NULL);
    }
    return NULL;
}

/* A shell command given as argv: the script of `bash -lc SCRIPT` (and sh,
 * zsh, -c), else the words joined by spaces. */
static char *argv_command(const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return NULL;
    int n = cJSON_GetArraySize(arr);
    if (n == 3) {
        const cJSON *a0 = cJSON_GetArrayItem(arr, 0), *a1 = cJSON_GetArrayItem(arr, 1),
                    *a2 = cJSON_GetArrayItem(arr, 2);
        if (cJSON_IsString(a0) && cJSON_IsString(a1) && cJSON_IsString(a2)) {
            const char *base = strrchr(a0->valuestring, '/');
            base = base ? base + 1 : a0->valuestring;
            if ((strcmp(base, "bash") == 0 || strcmp(base, "sh") == 0 ||
                 strcmp(base, "zsh") == 0) &&
                (strcmp(a1->valuestring, "-lc") == 0 || strcmp(a1->valuestring, "-c") == 0))
                return xstrdup(a2->valuestring);
        }
    }
    struct buf b;
    buf_init(&b, TP_MAX_TARGET * 4);
    for (const cJSON *it = arr->child; it; it = it->next)
        if (cJSON_IsString(it)) {
            if (b.len)
                buf_addc(&b, ' ');
            buf_adds(&b, it->valuestring);
        }
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

/* The files a patch touches ("*** Update File: path" ...), space-separated. */
static char *patch_files(const char *patch)
{
    static const char *const heads[] = {"*** Update File: ", "*** Add File: ", "*** Delete File: "};
    if (!patch)
        return NULL;
    struct buf b;
    buf_init(&b, CODEX_TARGET_MAX);
    for (const char *p = patch; p && *p;) {
        for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
            size_t hl = strlen(heads[i]);
            if (strncmp(p, heads[i], hl) == 0) {
                size_t n = strcspn(p + hl, "\r\n");
                if (b.len + n + 1 < CODEX_TARGET_MAX) {
                    if (b.len)
                        buf_addc(&b, ' ');
                    buf_add(&b, p + hl, n);
                }
            }
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

static const char *const never_ask[] = {
    "read_file",   "list_dir",   "grep_files",   "view_image",  "update_plan", "web_search",
    "tool_search", "get_goal",   "create_goal",  "update_goal", "write_stdin", "spawn_agent",
    "send_input",  "wait_agent", "resume_agent", "close_agent", "wait",        "request_user_input",
};

static int tool_never_asks(const char *tool)
{
    for (size_t i = 0; i < sizeof never_ask / sizeof never_ask[0]; i++)
        if (strcmp(tool, never_ask[i]) == 0)
            return 1;
    return 0;
}

void cx_call_free(struct call *k)
{
    free(k->call_id);
    free(k->turn_id);
    op_clear(&k->op);
}

void cx_end_free(struct end *e)
{
    free(e->call_id);
    free(e->mcp_tool);
    free(e->error);
}

/* ---- end events -------------------------------------------------------------- */

static struct end *end_get(struct codex *c, const char *call_id, int create)
{
    for (size_t i = c->nends; i-- > 0;)
        if (strcmp(c->ends[i].call_id, call_id) == 0)
            return &c->ends[i];
    if (!create)
        return NULL;
    if (c->nends == CODEX_MAX_ENDS) {
        cx_end_free(&c->ends[0]);
        memmove(c->ends, c->ends + 1, (c->nends - 1) * sizeof *c->ends);
        c->nends--;
    }
    if (c->nends == c->aends) {
        c->aends = c->aends ? c->aends * 2 : 16;
        c->ends = xreallocarray(c->ends, c->aends, sizeof *c->ends);
    }
    struct end *e = &c->ends[c->nends++];
    memset(e, 0, sizeof *e);
    e->call_id = xstrdup(call_id);
    e->end_ms = -1;
    e->cmd_ms = NAN;
    e->exit_code = -1;
    return e;
}

static void end_drop(struct codex *c, struct end *e)
{
    size_t i = (size_t)(e - c->ends);
    cx_end_free(e);
    memmove(c->ends + i, c->ends + i + 1, (c->nends - i - 1) * sizeof *c->ends);
    c->nends--;
}

/* {"secs": S, "nanos": N} in ms, or a number of seconds; NAN otherwise. */
static double duration_ms(const cJSON *d)
{
    double secs = 0, nanos = 0;
    if (cJSON_IsNumber(d))
        return d->valuedouble * 1000.0;
    if (!cJSON_IsObject(d) || jin_num(d, "secs", &secs) != 1)
        return NAN;
    jin_num(d, "nanos", &nanos);
    return secs * 1000.0 + nanos / 1e6;
}

/* exec_command_end, patch_apply_end, mcp_tool_call_end, web_search_end,
 * item_completed: what they say about their call. */
void cx_on_end(struct codex *c, const char *type, const cJSON *p, int64_t ts)
{
    const cJSON *item = NULL;
    const char *id = jin_str(p, "call_id");
    if (strcmp(type, "item_completed") == 0) {
        item = jin_get(p, "item");
        const char *it = jin_str(item, "type");
        if (!it || (strcmp(it, "CommandExecution") != 0 && strcmp(it, "FileChange") != 0 &&
                    strcmp(it, "McpToolCall") != 0 && strcmp(it, "WebSearch") != 0))
            return;
        id = jin_str(item, "id");
    }
    if (!id || !*id)
        return;
    struct end *e = end_get(c, id, 1);
    double d;
    e->end_ms = ts;
    if (item) {
        if (jin_num(p, "completed_at_ms", &d) == 1 && d > 0)
            e->end_ms = (int64_t)d;
        if (jin_num(item, "exit_code", &d) == 1)
            e->exit_code = (int)d;
        const char *status = jin_str(item, "status");
        if (status && (strcmp(status, "failed") == 0 || strcmp(status, "declined") == 0))
            e->failed = 1;
        double ms = duration_ms(jin_get(item, "duration"));
        if (!isnan(ms))
            e->cmd_ms = ms;
        const char *srv = jin_str(item, "server"), *tool = jin_str(item, "tool");
        if (srv && tool) {
            char buf[TP_MAX_TOOL];
            if (snprintf(buf, sizeof buf, "mcp__%s__%s", srv, tool) < (int)sizeof buf)
                cx_set(&e->mcp_tool, buf);
        }
        return;
    }
    if (strcmp(type, "exec_command_end") == 0) {
        if (jin_num(p, "exit_code", &d) == 1)
            e->exit_code = (int)d;
        double ms = duration_ms(jin_get(p, "duration"));
        if (!isnan(ms))
            e->cmd_ms = ms;
    } else if (strcmp(type, "patch_apply_end") == 0) {
        int ok;
        if (jin_bool(p, "success", &ok) == 1 && !ok) {
            e->failed = 1;
            char *err = agentfile_first_text_line(jin_str(p, "stderr"), 300);
            if (err) {
                free(e->error);
                e->error = err;
            }
        }
    } else if (strcmp(type, "mcp_tool_call_end") == 0) {
        double ms = duration_ms(jin_get(p, "duration"));
        if (!isnan(ms))
            e->cmd_ms = ms;
        const cJSON *inv = jin_get(p, "invocation");
        const char *srv = jin_str(inv, "server"), *tool = jin_str(inv, "tool");
        if (srv && tool) {
            char buf[TP_MAX_TOOL];
            if (snprintf(buf, sizeof buf, "mcp__%s__%s", srv, tool) < (int)sizeof buf)
                cx_set(&e->mcp_tool, buf);
        }
        const cJSON *res = jin_get(p, "result");
        int is_err = 0;
        if (jin_get(res, "Err")) {
            e->failed = 1;
            char *err = agentfile_first_text_line(jin_str(res, "Err"), 300);
            if (err) {
                free(e->error);
                e->error = err;
            }
        } else if (jin_bool(jin_get(res, "Ok"), "isError", &is_err) == 1 && is_err) {
            e->failed = 1;
        }
    }
}

/* ---- calls ------------------------------------------------------------------- */

static struct call *call_find(const struct codex *c, const char *call_id)
{
    for (size_t i = 0; i < c->ncalls; i++)
        if (strcmp(c->calls[i].call_id, call_id) == 0)
            return &c->calls[i];
    return NULL;
}

int cx_waiting(const struct codex *c, const char *call_id)
{
    return call_find(c, call_id) != NULL;
}

static void group_note(struct codex *c)
{
    if (!c->last_was_call) {
        c->group++;
        c->group_n[c->group % CODEX_GROUPS] = 0;
    }
    c->group_n[c->group % CODEX_GROUPS]++;
    c->last_was_call = 1;
}

/* The first present string among keys of args. */
static const char *first_of(const cJSON *args, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = jin_str(args, keys[i]);
        if (s && *s)
            return s;
    }
    return NULL;
}

/* Target and meta of a call from its name and arguments (args may be
 * NULL; input is a custom tool's raw input). */
static void describe(struct op *op, const cJSON *args, const char *input)
{
    static const char *const generic[] = {"file_path", "path",    "dir_path",   "command",
                                          "cmd",       "pattern", "url",        "query",
                                          "message",   "prompt",  "description"};
    const char *t = op->tool;
    char *own = NULL;
    const char *target = NULL;
    if (strcmp(t, "exec_command") == 0 || strcmp(t, "shell_command") == 0) {
        target = jin_str(args, "cmd");
        if (!target)
            target = jin_str(args, "command");
        if (!target)
            target = own = argv_command(jin_get(args, "command"));
        const char *wd = jin_str(args, "workdir");
        if (wd)
            toolcall_meta_str(op, "workdir", wd);
    } else if (strcmp(t, "shell") == 0 || strcmp(t, "container.exec") == 0) {
        target = own = argv_command(jin_get(args, "command"));
        if (!target)
            target = jin_str(args, "command");
        const char *wd = jin_str(args, "workdir");
        if (wd)
            toolcall_meta_str(op, "workdir", wd);
    } else if (strcmp(t, "apply_patch") == 0) {
        const char *patch = input ? input : jin_str(args, "input");
        if (!patch)
            patch = jin_str(args, "patch");
        target = own = patch_files(patch);
        if (patch)
            op->size_bytes = (int64_t)strlen(patch);
    } else if (strcmp(t, "write_stdin") == 0) {
        double sid;
        if (jin_num(args, "session_id", &sid) == 1) {
            char buf[48];
            snprintf(buf, sizeof buf, "session %.0f", sid);
            target = own = xstrdup(buf);
        }
    } else if (args) {
        target = first_of(args, generic, sizeof generic / sizeof generic[0]);
    } else if (input && *input) {
        target = own = agentfile_first_text_line(input, CODEX_TARGET_MAX);
    }
    if (target)
        op_sets(&op->target, target);
    free(own);
}

/* A call line: function_call, custom_tool_call, local_shell_call,
 * tool_search_call. */
void codex_describe(struct op *op, const char *arguments)
{
    char eb[TP_ERR_MAX];
    size_t n = arguments ? strlen(arguments) : 0;
    const char *p = arguments;
    while (n && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++, n--;
    cJSON *args = n && *p == '{' ? jin_parse(p, n, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb) : NULL;
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        args = NULL;
    }
    describe(op, args, args ? NULL : arguments);
    cJSON_Delete(args);
}

void cx_on_call(struct codex *c, const char *ptype, const cJSON *p, int64_t ts, int64_t off)
{
    const char *call_id = jin_str(p, "call_id");
    if (!call_id || !*call_id)
        call_id = jin_str(p, "id");
    if (!call_id || !*call_id || call_find(c, call_id))
        return;
    const char *name = jin_str(p, "name");
    char tool[TP_MAX_TOOL];
    if (strcmp(ptype, "local_shell_call") == 0)
        name = "local_shell";
    else if (strcmp(ptype, "tool_search_call") == 0)
        name = "tool_search";
    if (!name || !*name)
        return;
    const char *ns = jin_str(p, "namespace");
    if (ns && starts_with(ns, "mcp__") && !starts_with(name, "mcp__"))
        snprintf(tool, sizeof tool, "%s__%s", ns, name);
    else
        snprintf(tool, sizeof tool, "%s", name);

    if (c->ncalls == CODEX_MAX_PENDING)
        return;
    group_note(c);
    if (c->ncalls == c->acalls) {
        c->acalls = c->acalls ? c->acalls * 2 : 16;
        c->calls = xreallocarray(c->calls, c->acalls, sizeof *c->calls);
    }
    struct call *k = &c->calls[c->ncalls++];
    memset(k, 0, sizeof *k);
    op_init(&k->op);
    k->call_id = xstrdup(call_id);
    k->start_ms = ts;
    k->off = off;
    k->group = c->group;
    k->policy_never = c->cx.policy && strcmp(c->cx.policy, "never") == 0;
    k->turn_id = c->cx.turn_id ? xstrdup(c->cx.turn_id) : NULL;

    struct op *op = &k->op;
    op->tool = xstrdup(tool);
    op->ts_ms = ts;
    op->source = OP_SRC_TRANSCRIPT;
    op->agent = xstrdup(CODEX_AGENT);
    if (c->cx.version)
        op->agent_version = xstrdup(c->cx.version);
    if (c->cx.session)
        op->session_id = xstrdup(c->cx.session);
    if (c->cx.subagent)
        op->subagent = xstrdup(c->cx.subagent);
    if (c->cx.cwd)
        op->project = xstrdup(c->cx.cwd);
    op->tool_use_id = agentfile_call_key(c->cx.subagent ? c->cx.subagent : c->cx.session, call_id);

    cJSON *args = NULL;
    const char *input = NULL;
    if (strcmp(ptype, "function_call") == 0) {
        const char *a = jin_str(p, "arguments");
        char eb[TP_ERR_MAX];
        if (a)
            args = jin_parse(a, strlen(a), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    } else if (strcmp(ptype, "custom_tool_call") == 0) {
        input = jin_str(p, "input");
        /* Some custom tools carry JSON input. */
        if (input && *input == '{') {
            char eb[TP_ERR_MAX];
            args = jin_parse(input, strlen(input), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
            if (args && strcmp(tool, "apply_patch") != 0)
                input = NULL;
            else {
                cJSON_Delete(args);
                args = NULL;
            }
        }
    } else if (strcmp(ptype, "local_shell_call") == 0) {
        args = cJSON_CreateObject();
        const cJSON *action = jin_get(p, "action");
        const cJSON *cmd = jin_get(action, "command");
        if (cmd)
            cJSON_AddItemToObject(args, "command", cJSON_Duplicate(cmd, 1));
        const char *wd = jin_str(action, "working_directory");
        if (wd)
            cJSON_AddStringToObject(args, "workdir", wd);
        free(op->tool);
        op->tool = xstrdup("shell"); /* described as shell, stored as local_shell */
        describe(op, args, NULL);
        free(op->tool);
        op->tool = xstrdup("local_shell");
        cJSON_Delete(args);
        args = NULL;
        goto context;
    } else if (strcmp(ptype, "tool_search_call") == 0) {
        const cJSON *a = jin_get(p, "arguments");
        if (cJSON_IsObject(a))
            args = cJSON_Duplicate(a, 1);
    }
    describe(op, args, input);
    cJSON_Delete(args);
context:
    if (c->cx.model)
        toolcall_meta_str(op, "model", c->cx.model);
    if (c->cx.policy)
        toolcall_meta_str(op, "approval_policy", c->cx.policy);
    if (c->cx.sandbox)
        toolcall_meta_str(op, "sandbox", c->cx.sandbox);
}

static void call_remove(struct codex *c, struct call *k)
{
    size_t i = (size_t)(k - c->calls);
    cx_call_free(k);
    memmove(c->calls + i, c->calls + i + 1, (c->ncalls - i - 1) * sizeof *c->calls);
    c->ncalls--;
}

/* Emit a call that has ended (output text, or how == "lost" /
 * "interrupted" without one) at end_ms. */
void cx_call_emit(struct codex *c, struct call *k, const char *text, int64_t end_ms,
                  const char *how)
{
    struct op *op = agentfile_out_op(c->out, k->off);
    *op = k->op; /* moved */
    op_init(&k->op);
    struct end *e = end_get(c, k->call_id, 0);
    const char *outcome = NULL, *from = "none";
    if (e && e->mcp_tool) {
        free(op->tool);
        op->tool = xstrdup(e->mcp_tool);
    }
    if (how) {
        op->success = 0;
        op->error = xstrdup(strcmp(how, "lost") == 0 ? "no result" : "interrupted");
        outcome = how;
        if (end_ms >= k->start_ms && strcmp(how, "interrupted") == 0)
            toolcall_meta_int(op, "interrupted_after_ms", (long long)(end_ms - k->start_ms));
        toolcall_meta_str(op, "duration_from", from);
        toolcall_meta_str(op, "outcome", outcome);
        call_remove(c, k);
        if (e)
            end_drop(c, e);
        return;
    }
    /* The result. */
    int code = e ? e->exit_code : -1;
    double cmd_ms = e ? e->cmd_ms : NAN;
    char *json_out = NULL;
    if (text && starts_with(text, "{\"output\"")) {
        /* Older rollouts: {"output": ..., "metadata": {"exit_code": N,
         * "duration_seconds": S}} as the output string. */
        char eb[TP_ERR_MAX];
        cJSON *j = jin_parse(text, strlen(text), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
        if (j) {
            const cJSON *md = jin_get(j, "metadata");
            double v;
            if (code < 0 && jin_num(md, "exit_code", &v) == 1)
                code = (int)v;
            if (isnan(cmd_ms) && jin_num(md, "duration_seconds", &v) == 1 && v >= 0)
                cmd_ms = v * 1000.0;
            const char *o = jin_str(j, "output");
            if (o)
                json_out = xstrdup(o);
            cJSON_Delete(j);
        }
    }
    const char *body = json_out ? json_out : text;
    if (code < 0 && !json_out)
        code = agentfile_exit_code(text);
    if (text)
        op->result_bytes = (int64_t)strlen(body);
    int rejected = text && (strstr(text, "rejected by user") || strstr(text, "declined by user"));
    op->success = !(code > 0 || (e && e->failed) || rejected);
    if (code >= 0)
        toolcall_meta_int(op, "exit_code", code);
    if (!op->success) {
        if (rejected) {
            outcome = "rejected";
            op->error = xstrdup("rejected by user");
        } else if (e && e->error) {
            op->error = xstrdup(e->error);
        } else if (code > 0) {
            char buf[64];
            snprintf(buf, sizeof buf, "exit code %d", code);
            op->error = xstrdup(buf);
        } else {
            op->error = agentfile_first_text_line(body, 300);
            if (!op->error)
                op->error = xstrdup("error");
        }
    }

    /* The phases: the wall from the call to its end (the end event's time,
     * else the output's: an upper bound for parallel calls), the exec when
     * nothing could have waited for a person, else the command's own time
     * (a lower bound), else unknown. */
    int parallel = c->group_n[k->group % CODEX_GROUPS] > 1;
    int64_t end = e && e->end_ms >= k->start_ms ? e->end_ms : end_ms;
    int wall_ex = e && e->end_ms >= k->start_ms ? OP_EX_DERIVED
                  : parallel                    ? OP_EX_ESTIMATED
                                                : OP_EX_DERIVED;
    double wall = end >= k->start_ms ? (double)(end - k->start_ms) : NAN;
    int ask = k->policy_never || tool_never_asks(op->tool) ? OP_ASK_NO : OP_ASK_MAYBE;
    if (!isnan(wall))
        op_set_phase(op, OP_PH_WALL, wall, wall_ex, PHS_TIMESTAMPS);
    if (strcmp(op->tool, "request_user_input") == 0 || rejected) {
        /* A question to the person, or a call the person said no to: all
         * of it is the person's time. */
        op_set_phase(op, OP_PH_WALL, NAN, OP_EX_UNKNOWN, PHS_NONE);
        if (!isnan(wall))
            op_set_phase(op, OP_PH_WAIT, wall, OP_EX_DERIVED, PHS_TIMESTAMPS);
        ask = OP_ASK_ASKED;
        from = "none";
    } else if (ask == OP_ASK_NO && !isnan(wall)) {
        op_set_phase(op, OP_PH_EXEC, wall, wall_ex, PHS_TIMESTAMPS);
        from = "timestamps";
    } else if (!isnan(cmd_ms)) {
        op_set_phase(op, OP_PH_EXEC, cmd_ms, OP_EX_ESTIMATED, PHS_TOOL);
        from = "tool";
    }
    op->ask = ask;
    if (!isnan(cmd_ms))
        toolcall_meta_int(op, "command_ms", (long long)llround(cmd_ms));
    if (parallel)
        toolcall_meta_bool(op, "parallel", 1);
    toolcall_meta_str(op, "duration_from", from);
    if (outcome)
        toolcall_meta_str(op, "outcome", outcome);
    free(json_out);
    call_remove(c, k);
    if (e)
        end_drop(c, e);
}

void cx_on_output(struct codex *c, const cJSON *p, int64_t ts)
{
    c->last_was_call = 0;
    c->input_ms = ts;
    const char *call_id = jin_str(p, "call_id");
    if (!call_id)
        return;
    struct call *k = call_find(c, call_id);
    if (!k)
        return; /* an output whose call came before the part read (or never) */
    char *text = output_text(jin_get(p, "output"));
    if (!text && jin_get(p, "tools"))
        text = xstrdup(""); /* tool_search_output */
    cx_call_emit(c, k, text ? text : "", ts, NULL);
    free(text);
}

/* A web search the API ran: one line, complete in itself. */
void cx_on_web_search(struct codex *c, const cJSON *p, int64_t ts, int64_t off)
{
    const char *id = jin_str(p, "call_id");
    if (!id || !*id)
        id = jin_str(p, "id");
    if (!id || !*id)
        return;
    c->last_was_call = 0;
    struct op *op = agentfile_out_op(c->out, off);
    op->tool = xstrdup("web_search");
    op->ts_ms = ts;
    op->source = OP_SRC_TRANSCRIPT;
    op->agent = xstrdup(CODEX_AGENT);
    if (c->cx.version)
        op->agent_version = xstrdup(c->cx.version);
    if (c->cx.session)
        op->session_id = xstrdup(c->cx.session);
    if (c->cx.subagent)
        op->subagent = xstrdup(c->cx.subagent);
    if (c->cx.cwd)
        op->project = xstrdup(c->cx.cwd);
    op->tool_use_id = agentfile_call_key(c->cx.subagent ? c->cx.subagent : c->cx.session, id);
    const cJSON *action = jin_get(p, "action");
    const char *q = jin_str(action, "query");
    if (!q)
        q = jin_str(action, "url");
    if (q)
        op_sets(&op->target, q);
    const char *status = jin_str(p, "status");
    op->success = !status || strcmp(status, "failed") != 0;
    if (!op->success)
        op->error = xstrdup("failed");
    op->ask = OP_ASK_NO; /* the API ran it: no prompt */
    toolcall_meta_str(op, "duration_from", "none");
}
