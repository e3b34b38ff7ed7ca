/*
 * codex.c - Codex CLI rollouts into operations (see codex.h).
 *
 * Most lines of a rollout hold nothing about tool calls (the session's
 * instructions, world state, messages, reasoning): the line's `type` and
 * its payload's `type` are found with jscan without a parse, and only the
 * lines that matter are parsed with cJSON.
 *
 * Calls wait in a small array until their output comes; what the end
 * events say about a call (exit code, status, the command's own duration,
 * its end time, an MCP invocation) waits in another, keyed by call_id,
 * since the events come before the output line. A call's group is the run
 * of call lines it was streamed in: several calls in one run ran in
 * parallel, and their outputs are written together.
 *
 * Everything a call needs from the session (its id, cwd, version) and from
 * its turn (model, approval policy, sandbox) is copied into the call when
 * it starts, so that a turn_context arriving later does not change it.
 */
#include "codex.h"

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

/* End events kept for calls whose output has not come yet; the oldest go
 * when there are more (an event whose call never comes). */
#define CODEX_MAX_ENDS 4096
/* Calls waiting for their output; more is a broken file. */
#define CODEX_MAX_PENDING 4096
#define CODEX_GROUPS 64
/* Bytes of a target kept from a patch or an argument. */
#define CODEX_TARGET_MAX 1024
/* Bytes searched before a window for the start of a turn_context line. */
#define CODEX_CTX_LEAD 256

struct ctx {
    char *session, *subagent, *cwd, *version;
    char *model, *policy, *sandbox, *turn_id;
};

struct call {
    char *call_id;
    struct op op; /* filled at the call: tool, target, session, meta ... */
    int64_t start_ms, off;
    int policy_never;
    int group;
    char *turn_id;
};

struct end {
    char *call_id;
    int64_t end_ms;
    double cmd_ms;  /* the command's own duration; NAN */
    int exit_code;  /* -1 unknown */
    int failed;     /* a failed status, patch or MCP result */
    char *mcp_tool; /* "mcp__server__tool" */
    char *error;
};

struct codex {
    struct agentfile_out *out;
    struct ctx cx;
    struct call *calls;
    size_t ncalls, acalls;
    struct end *ends;
    size_t nends, aends;
    int group, last_was_call;
    int group_n[CODEX_GROUPS];
    int64_t input_ms;         /* when the input of the next model request was complete */
    int usage_record_pending; /* a token_usage_record awaits its token_count */
    char *turn_start_id;
    int64_t turn_start_ms;
};

/* ---- small helpers ------------------------------------------------------ */

static void set(char **f, const char *s)
{
    free(*f);
    *f = s ? xstrdup(s) : NULL;
}

static int starts_with(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0;
}

static int is(const struct jscan_val *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == JSCAN_STRING && v->n == n && memcmp(v->p, s, n) == 0;
}

/* A string member anywhere in an object tree (depth-limited). */
static const char *find_str(const cJSON *o, const char *key, int depth)
{
    if (!o || depth > 6)
        return NULL;
    const char *s = jin_str(o, key);
    if (s)
        return s;
    for (const cJSON *c = o->child; c; c = c->next)
        if (cJSON_IsObject(c) && (s = find_str(c, key, depth + 1)) != NULL)
            return s;
    return NULL;
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

/* ---- lifecycle ------------------------------------------------------------ */

struct codex *codex_new(struct agentfile_out *out)
{
    struct codex *c = xcalloc(1, sizeof *c);
    c->out = out;
    c->input_ms = -1;
    c->turn_start_ms = -1;
    return c;
}

static void call_free(struct call *k)
{
    free(k->call_id);
    free(k->turn_id);
    op_clear(&k->op);
}

static void end_free(struct end *e)
{
    free(e->call_id);
    free(e->mcp_tool);
    free(e->error);
}

void codex_free(struct codex *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncalls; i++)
        call_free(&c->calls[i]);
    for (size_t i = 0; i < c->nends; i++)
        end_free(&c->ends[i]);
    free(c->calls);
    free(c->ends);
    struct ctx *x = &c->cx;
    free(x->session);
    free(x->subagent);
    free(x->cwd);
    free(x->version);
    free(x->model);
    free(x->policy);
    free(x->sandbox);
    free(x->turn_id);
    free(c->turn_start_id);
    free(c);
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
        end_free(&c->ends[0]);
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
    end_free(e);
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
static void on_end(struct codex *c, const char *type, const cJSON *p, int64_t ts)
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
                set(&e->mcp_tool, buf);
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
                set(&e->mcp_tool, buf);
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

static struct call *call_find(struct codex *c, const char *call_id)
{
    for (size_t i = 0; i < c->ncalls; i++)
        if (strcmp(c->calls[i].call_id, call_id) == 0)
            return &c->calls[i];
    return NULL;
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
static void on_call(struct codex *c, const char *ptype, const cJSON *p, int64_t ts, int64_t off)
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
    call_free(k);
    memmove(c->calls + i, c->calls + i + 1, (c->ncalls - i - 1) * sizeof *c->calls);
    c->ncalls--;
}

/* Emit a call that has ended (output text, or how == "lost" /
 * "interrupted" without one) at end_ms. */
static void call_emit(struct codex *c, struct call *k, const char *text, int64_t end_ms,
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

static void on_output(struct codex *c, const cJSON *p, int64_t ts)
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
    call_emit(c, k, text ? text : "", ts, NULL);
    free(text);
}

/* A web search the API ran: one line, complete in itself. */
static void on_web_search(struct codex *c, const cJSON *p, int64_t ts, int64_t off)
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

/* ---- turns and model requests -------------------------------------------------- */

static int64_t num_ms(const cJSON *o, const char *key)
{
    double v;
    return jin_num(o, key, &v) == 1 && v >= 0 ? (int64_t)v : -1;
}

static void on_turn_end(struct codex *c, const cJSON *p, int64_t ts, int aborted)
{
    const char *tid = jin_str(p, "turn_id");
    int64_t dur = num_ms(p, "duration_ms"), start = -1;
    if (c->turn_start_ms >= 0 && (!tid || !c->turn_start_id || strcmp(tid, c->turn_start_id) == 0))
        start = c->turn_start_ms;
    else if (dur >= 0)
        start = ts - dur;
    if (start >= 0 && c->cx.session) {
        struct turn *t = agentfile_out_turn(c->out);
        t->session_id = xstrdup(c->cx.session);
        t->start_ms = start;
        t->end_ms = ts;
        t->source = OP_SRC_TRANSCRIPT;
    }
    if (aborted) {
        /* Calls of the aborted turn that had no output were cut short. */
        for (size_t i = c->ncalls; i-- > 0;) {
            struct call *k = &c->calls[i];
            if (!tid || !k->turn_id || strcmp(k->turn_id, tid) == 0)
                call_emit(c, k, NULL, ts, "interrupted");
        }
    }
    free(c->turn_start_id);
    c->turn_start_id = NULL;
    c->turn_start_ms = -1;
}

/* One model response's usage: {input_tokens, cached_input_tokens,
 * output_tokens, reasoning_output_tokens ...}. */
static void emit_request(struct codex *c, const char *id, const cJSON *usage, int64_t ts)
{
    if (!cJSON_IsObject(usage) || !id)
        return;
    struct request *r = agentfile_out_request(c->out);
    r->id = xstrdup(id);
    if (c->cx.session)
        r->session_id = xstrdup(c->cx.session);
    if (c->cx.cwd)
        r->project = xstrdup(c->cx.cwd);
    if (c->cx.model)
        r->model = xstrdup(c->cx.model);
    r->sidechain = c->cx.subagent != NULL;
    r->source = OP_SRC_TRANSCRIPT;
    double in = -1, cached = 0, out = -1, cw = -1;
    jin_num(usage, "input_tokens", &in);
    jin_num(usage, "cached_input_tokens", &cached);
    jin_num(usage, "output_tokens", &out);
    jin_num(usage, "cache_write_input_tokens", &cw);
    /* OpenAI counts cached tokens inside input_tokens; toolprof keeps them
     * apart, as Claude Code reports them. */
    r->input_tokens = in >= 0 ? (int64_t)(in - (cached > 0 && cached <= in ? cached : 0)) : -1;
    r->cache_read_tokens = cached >= 0 ? (int64_t)cached : -1;
    r->cache_write_tokens = cw >= 0 ? (int64_t)cw : -1;
    r->output_tokens = out >= 0 ? (int64_t)out : -1;
    if (c->input_ms >= 0 && ts >= c->input_ms) {
        r->start_ms = c->input_ms;
        r->duration_ms = (double)(ts - c->input_ms);
        r->exact = OP_EX_ESTIMATED;
        r->src = PHS_TIMESTAMPS;
    } else {
        r->start_ms = ts;
    }
}

/* ---- lines ------------------------------------------------------------------------ */

static void on_session_meta(struct codex *c, const cJSON *p)
{
    if (c->cx.session)
        return; /* the first one is the session's own (a fork repeats its parent's) */
    const char *id = jin_str(p, "id");
    if (!id)
        id = jin_str(p, "session_id");
    if (!id)
        return;
    const char *parent = find_str(jin_get(p, "source"), "parent_thread_id", 0);
    if (parent && strcmp(parent, id) != 0) {
        set(&c->cx.session, parent);
        set(&c->cx.subagent, id);
    } else {
        set(&c->cx.session, id);
    }
    set(&c->cx.cwd, jin_str(p, "cwd"));
    set(&c->cx.version, jin_str(p, "cli_version"));
}

static void on_turn_context(struct codex *c, const cJSON *p)
{
    const char *m = jin_str(p, "model");
    if (m)
        set(&c->cx.model, m);
    const cJSON *ap = jin_get(p, "approval_policy");
    if (cJSON_IsString(ap))
        set(&c->cx.policy, ap->valuestring);
    else if (ap)
        set(&c->cx.policy, cJSON_IsObject(ap) && ap->child ? ap->child->string : "custom");
    const cJSON *sp = jin_get(p, "sandbox_policy");
    const char *sb = jin_str(sp, "type");
    if (!sb)
        sb = jin_str(sp, "mode"); /* older rollouts */
    if (!sb)
        sb = jin_str(p, "sandbox_policy");
    if (sb)
        set(&c->cx.sandbox, sb);
    const char *cwd = jin_str(p, "cwd");
    if (cwd && !c->cx.cwd)
        set(&c->cx.cwd, cwd);
    set(&c->cx.turn_id, jin_str(p, "turn_id"));
}

static int event_wanted(const struct jscan_val *t)
{
    static const char *const types[] = {
        "task_started",      "task_complete",    "turn_aborted",
        "token_count",       "exec_command_end", "patch_apply_end",
        "mcp_tool_call_end", "item_completed",   "user_message",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (is(t, types[i]))
            return 1;
    return 0;
}

static int item_wanted(const struct jscan_val *t)
{
    static const char *const types[] = {
        "function_call",           "custom_tool_call", "local_shell_call", "function_call_output",
        "custom_tool_call_output", "web_search_call",  "tool_search_call", "tool_search_output",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (is(t, types[i]))
            return 1;
    return 0;
}

int codex_feed(struct codex *c, const char *line, size_t len, int64_t off, char *errbuf)
{
    static const char *const top_keys[] = {"type", "payload"};
    static const char *const ptype_key[] = {"type"};
    struct jscan_val tv[2], pt;
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    if (!len)
        return 0;
    if (jscan_top(line, len, top_keys, 2, tv) < 0 && tv[0].type == JSCAN_NONE)
        return tp_fail(errbuf, TP_EPARSE, "not a JSON object");
    const struct jscan_val *type = &tv[0], *payload = &tv[1];
    if (payload->type != JSCAN_OTHER)
        return 0;
    /* Decide from the types whether this line is worth a parse. */
    if (is(type, "response_item") || is(type, "event_msg")) {
        const char *pe = jscan_skip_value(payload->p, line + len);
        size_t pn = pe ? (size_t)(pe - payload->p) : (size_t)(line + len - payload->p);
        jscan_top(payload->p, pn, ptype_key, 1, &pt);
        if (is(type, "response_item")) {
            if (!item_wanted(&pt)) {
                if (is(&pt, "message") || is(&pt, "reasoning"))
                    c->last_was_call = 0;
                return 0;
            }
        } else if (!event_wanted(&pt)) {
            return 0;
        }
    } else if (!is(type, "session_meta") && !is(type, "turn_context") &&
               !is(type, "token_usage_record")) {
        return 0;
    }

    char eb[TP_ERR_MAX];
    cJSON *root = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
    if (!root)
        return tp_fail(errbuf, TP_EPARSE, "%s", eb);
    const char *t = jin_str(root, "type");
    const cJSON *p = jin_get(root, "payload");
    int64_t ts = agentfile_iso_ms(jin_str(root, "timestamp"));
    if (!t || !cJSON_IsObject(p)) {
        cJSON_Delete(root);
        return 0;
    }
    const char *pty = jin_str(p, "type");
    if (strcmp(t, "session_meta") == 0) {
        on_session_meta(c, p);
    } else if (strcmp(t, "turn_context") == 0) {
        on_turn_context(c, p);
    } else if (ts < 0) {
        /* Nothing to time without a time. */
    } else if (strcmp(t, "token_usage_record") == 0) {
        const char *rid = jin_str(p, "response_id");
        if (rid) {
            char *key = agentfile_call_key(c->cx.session, rid);
            emit_request(c, key, jin_get(p, "usage"), ts);
            free(key);
            c->usage_record_pending = 1;
        }
    } else if (strcmp(t, "response_item") == 0 && pty) {
        if (strcmp(pty, "function_call") == 0 || strcmp(pty, "custom_tool_call") == 0 ||
            strcmp(pty, "local_shell_call") == 0 || strcmp(pty, "tool_search_call") == 0)
            on_call(c, pty, p, ts, off);
        else if (strcmp(pty, "web_search_call") == 0)
            on_web_search(c, p, ts, off);
        else
            on_output(c, p, ts);
    } else if (strcmp(t, "event_msg") == 0 && pty) {
        if (strcmp(pty, "task_started") == 0) {
            set(&c->turn_start_id, jin_str(p, "turn_id"));
            c->turn_start_ms = ts;
            c->input_ms = ts;
        } else if (strcmp(pty, "user_message") == 0) {
            c->input_ms = ts;
        } else if (strcmp(pty, "task_complete") == 0) {
            on_turn_end(c, p, ts, 0);
        } else if (strcmp(pty, "turn_aborted") == 0) {
            on_turn_end(c, p, ts, 1);
        } else if (strcmp(pty, "token_count") == 0) {
            if (c->usage_record_pending) {
                c->usage_record_pending = 0; /* the record before it said it all */
            } else {
                const cJSON *last = jin_get(jin_get(p, "info"), "last_token_usage");
                if (cJSON_IsObject(last) && c->cx.session) {
                    char id[TP_MAX_ID];
                    snprintf(id, sizeof id, "%s:%lld", c->cx.session, (long long)ts);
                    emit_request(c, id, last, ts);
                }
            }
        } else {
            on_end(c, pty, p, ts);
        }
    }
    cJSON_Delete(root);
    return 0;
}

void codex_finish(struct codex *c, int final)
{
    if (!final)
        return;
    while (c->ncalls)
        call_emit(c, &c->calls[0], NULL, -1, "lost");
}

int64_t codex_resume_offset(const struct codex *c, int64_t consumed)
{
    int64_t r = consumed;
    for (size_t i = 0; i < c->ncalls; i++)
        if (c->calls[i].off < r)
            r = c->calls[i].off;
    return r;
}

int codex_sniff(const char *head, size_t n)
{
    static const char *const keys[] = {"type", "payload"};
    struct jscan_val v[2];
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i == n || head[i] != '{')
        return 0;
    jscan_top(head + i, n - i, keys, 2, v);
    return is(&v[0], "session_meta");
}

int64_t codex_context_line(int fd, int64_t before)
{
    /* The needle sits within the first bytes of its line ({"timestamp":
     * "...", "type": "turn_context"}, or with "ordinal" between), so each
     * window is read with CODEX_CTX_LEAD bytes before it: a match in the
     * window always finds its line's start there. */
    static const char needle[] = "\"type\":\"turn_context\"";
    const size_t nl = sizeof needle - 1, chunk = 1u << 20;
    char *buf = xmalloc(chunk + 2 * CODEX_CTX_LEAD);
    int64_t end = before, found = -1;
    while (end > 0 && found < 0) {
        int64_t start = end > (int64_t)chunk ? end - (int64_t)chunk : 0;
        int64_t wstart = start > CODEX_CTX_LEAD ? start - CODEX_CTX_LEAD : 0;
        int64_t wend = end + (int64_t)nl <= before ? end + (int64_t)nl : before;
        size_t n = (size_t)(wend - wstart);
        ssize_t k = pread(fd, buf, n, wstart);
        if (k != (ssize_t)n)
            break;
        /* The last match that starts in [start, end). */
        for (int64_t i = end - 1; i >= start && found < 0; i--) {
            size_t at = (size_t)(i - wstart);
            if (at + nl > n || memcmp(buf + at, needle, nl) != 0)
                continue;
            size_t ls = at;
            while (ls > 0 && buf[ls - 1] != '\n' && at - ls < CODEX_CTX_LEAD)
                ls--;
            if ((ls == 0 && wstart == 0) || (ls > 0 && buf[ls - 1] == '\n'))
                if (buf[ls] == '{')
                    found = wstart + (int64_t)ls;
        }
        end = start;
    }
    free(buf);
    return found;
}

/* ---- import -------------------------------------------------------------------------- */

struct reader {
    struct codex *c;
    struct agentfile_out out;
    struct agentfile_batch *b;
    struct agentfile_stats *st;
    const char *key, *path;
    int fd;
    const struct stat *sb;
    const int *cancel;
    char *errbuf;
};

static int flush(struct reader *r, int64_t consumed, int64_t offset, int now)
{
    struct store_mark m;
    filemark_set(&m, r->key, r->fd, r->sb, codex_resume_offset(r->c, consumed), offset);
    return agentfile_batch_add(r->b, r->path, r->fd, &r->out, &m, now, r->st, r->errbuf);
}

static int on_line(void *ctx, const char *line, size_t len, int64_t off, int64_t end)
{
    struct reader *r = ctx;
    char eb[TP_ERR_MAX];
    r->st->lines++;
    if (len == (size_t)-1) {
        r->st->malformed++;
        FILE *rep = agentfile_batch_report(r->b);
        if (rep)
            fprintf(rep, "%s:%lld: line longer than %d bytes, skipped\n", r->path,
                    (long long)agentfile_line_at(r->fd, off), TP_MAX_LINE);
        return 0;
    }
    if (codex_feed(r->c, line, len, off, eb) != 0) {
        r->st->malformed++;
        FILE *rep = agentfile_batch_report(r->b);
        if (rep)
            fprintf(rep, "%s:%lld: %s\n", r->path, (long long)agentfile_line_at(r->fd, off), eb);
    }
    if (r->out.n >= 5000) {
        int rc = flush(r, end, end, 1);
        if (rc)
            return rc;
    }
    if (r->cancel && __atomic_load_n(r->cancel, __ATOMIC_RELAXED)) {
        int rc = flush(r, end, end, 1);
        return rc ? rc : tp_fail(r->errbuf, TP_EAGAIN, "%s: import cancelled", r->path);
    }
    return 0;
}

/* The line that starts at off (without its newline), malloc'd, or NULL. */
static char *line_at(int fd, int64_t off, size_t *len)
{
    char tmp[65536];
    struct buf lb;
    buf_init(&lb, TP_MAX_LINE);
    for (int64_t e = off;;) {
        ssize_t k = pread(fd, tmp, sizeof tmp, e);
        if (k <= 0)
            break;
        char *nl = memchr(tmp, '\n', (size_t)k);
        if (buf_add(&lb, tmp, nl ? (size_t)(nl - tmp) : (size_t)k) != 0) {
            buf_free(&lb);
            return NULL;
        }
        if (nl)
            return buf_steal(&lb, len);
        e += k;
    }
    buf_free(&lb);
    return NULL;
}

int codex_import_fd(struct agentfile_batch *b, const char *key, const char *path, int fd,
                    const struct stat *sb, const struct filemark_plan *plan, const int *cancel,
                    struct agentfile_stats *st, char *errbuf)
{
    struct reader r = {
        .b = b,
        .st = st,
        .key = key,
        .path = path,
        .fd = fd,
        .sb = sb,
        .cancel = cancel,
        .errbuf = errbuf,
    };
    r.c = codex_new(&r.out);
    int64_t start = plan->start;
    char eb[TP_ERR_MAX];
    if (start > 0) {
        /* The session, and the turn in force where the read resumes. */
        size_t n;
        char *line = line_at(fd, 0, &n);
        if (line)
            codex_feed(r.c, line, n, 0, eb);
        free(line);
        int64_t tc = codex_context_line(fd, start);
        if (tc > 0 && (line = line_at(fd, tc, &n)) != NULL) {
            codex_feed(r.c, line, n, tc, eb);
            free(line);
        }
    }
    int64_t consumed = start;
    int rc = agentfile_lines(fd, path, start, (int64_t)sb->st_size, plan->final, on_line, &r,
                             &consumed, &st->bytes, errbuf);
    if (rc == 0) {
        codex_finish(r.c, plan->final);
        /* Read to the file's end; resumed at the earliest call still
         * waiting, or at a last line still being written. */
        rc = flush(&r, consumed, (int64_t)sb->st_size, 0);
    }
    agentfile_out_clear(&r.out);
    codex_free(r.c);
    return rc;
}
