/*
 * toolcall.c - what a Claude Code tool call acted on (see toolcall.h).
 *
 * A table maps each tool Claude Code knows to the input key that names
 * its target and to a "kind" that says which optimisation flag, which
 * sizes and which metadata make sense for it. Everything else is generic:
 * unknown tools (MCP tools, tools added after this was written) get the
 * first familiar-looking input key as their target, or the input itself
 * as compact JSON, so that a new tool is profiled from day one instead of
 * being dropped.
 *
 * Inputs and responses come straight from the agent, so nothing here
 * trusts a type: every field is read through the typed getters of
 * jsonin.h, a missing or mistyped field simply leaves its value unknown,
 * and the metadata object is written through jsonw into a buffer capped
 * at TP_MAX_META (a call whose metadata would not fit gets none rather
 * than a broken object).
 */
#include "toolcall.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jfield.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

enum tc_kind {
    TC_OTHER = 0,
    TC_READ,
    TC_WRITE,
    TC_EDIT,
    TC_MULTIEDIT,
    TC_NOTEBOOK,
    TC_SHELL,
    TC_GREP,
    TC_GLOB,
    TC_WEBFETCH,
    TC_WEBSEARCH,
    TC_AGENT,
    TC_SKILL,
};

struct tc_rule {
    const char *tool;
    const char *target_key;
    const char *alt_key; /* used when target_key is absent */
    enum tc_kind kind;
};

static const struct tc_rule tc_rules[] = {
    {"Read", "file_path", NULL, TC_READ},
    {"Write", "file_path", NULL, TC_WRITE},
    {"Edit", "file_path", NULL, TC_EDIT},
    {"MultiEdit", "file_path", NULL, TC_MULTIEDIT},
    {"NotebookEdit", "notebook_path", NULL, TC_NOTEBOOK},
    {"NotebookRead", "notebook_path", NULL, TC_OTHER},
    {"Bash", "command", NULL, TC_SHELL},
    {"PowerShell", "command", NULL, TC_SHELL},
    {"Grep", "pattern", NULL, TC_GREP},
    {"Glob", "pattern", NULL, TC_GLOB},
    {"LS", "path", NULL, TC_OTHER},
    {"WebFetch", "url", NULL, TC_WEBFETCH},
    {"WebSearch", "query", NULL, TC_WEBSEARCH},
    {"Task", "description", "prompt", TC_AGENT},
    {"Agent", "description", "prompt", TC_AGENT},
    {"Skill", "skill", "command", TC_SKILL},
};

/* Keys tried in order for tools not in the table. */
static const char *const tc_generic_keys[] = {
    "file_path", "path", "command", "pattern", "url", "query", "description", "prompt",
};

static const struct tc_rule *tc_find(const char *tool)
{
    if (!tool)
        return NULL;
    for (size_t i = 0; i < sizeof tc_rules / sizeof tc_rules[0]; i++)
        if (strcmp(tc_rules[i].tool, tool) == 0)
            return &tc_rules[i];
    return NULL;
}

/* 1 when the key is present with a value other than null / false. */
static int tc_has(struct jf_val obj, const char *key)
{
    enum jf_type t = jf_type(jf_get(obj, key));
    return t != JF_NONE && t != JF_NULL && t != JF_FALSE;
}

static int tc_true(struct jf_val obj, const char *key)
{
    int b = 0;
    return jf_bool_lax(obj, key, &b) == 1 && b;
}

static int64_t tc_strlen(struct jf_val obj, const char *key)
{
    return jf_strlen(jf_get(obj, key));
}

/* A number member as an integer; 1 when found and finite. */
static int tc_int(struct jf_val obj, const char *key, int64_t *out)
{
    double d;
    if (jf_num_lax(obj, key, &d) != 1 || !isfinite(d) || d < -9e15 || d > 9e15)
        return 0;
    *out = (int64_t)d;
    return 1;
}

/* ---- metadata writer ----------------------------------------------------- */

static void meta_str(struct jsonw *w, const char *key, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    jw_key(w, key);
    if (n > TP_MAX_META_STR)
        n = utf8_floor(s, TP_MAX_META_STR);
    jw_strn(w, s, n);
}

/* Copy an input/response member under a new key when it is a string. */
static void meta_copy_str(struct jsonw *w, const char *key, struct jf_val obj, const char *from)
{
    meta_str(w, key, jf_str(obj, from));
}

static void meta_copy_int(struct jsonw *w, const char *key, struct jf_val obj, const char *from)
{
    int64_t v;
    if (tc_int(obj, from, &v))
        jw_kint(w, key, (long long)v);
}

static void meta_copy_true(struct jsonw *w, const char *key, struct jf_val obj, const char *from)
{
    if (tc_true(obj, from))
        jw_kbool(w, key, 1);
}

/* ---- per kind ------------------------------------------------------------ */

static void tc_read(struct op *op, struct jf_val in, struct jf_val resp, struct jsonw *w)
{
    op->optimized = tc_has(in, "offset") || tc_has(in, "limit");
    meta_copy_int(w, "offset", in, "offset");
    meta_copy_int(w, "limit", in, "limit");
    struct jf_val file = jf_get(resp, "file");
    const char *type = jf_str(resp, "type");
    if (!jf_present(file))
        return;
    int64_t n = tc_strlen(file, "content");
    if (n >= 0)
        op->size_bytes = n;
    else if (tc_int(file, "originalSize", &n) && n >= 0)
        op->size_bytes = n; /* images: the file's size on disk */
    meta_copy_int(w, "lines", file, "numLines");
    meta_copy_int(w, "start_line", file, "startLine");
    meta_copy_int(w, "total_lines", file, "totalLines");
    if (type && strcmp(type, "text") != 0)
        meta_str(w, "file_type", type);
}

static void tc_shell(struct op *op, struct jf_val in, struct jf_val resp, struct jsonw *w)
{
    op->optimized = tc_true(in, "run_in_background");
    meta_copy_str(w, "description", in, "description");
    meta_copy_true(w, "run_in_background", in, "run_in_background");
    meta_copy_int(w, "timeout", in, "timeout");
    meta_copy_true(w, "interrupted", resp, "interrupted");
    meta_copy_str(w, "background_task_id", resp, "backgroundTaskId");
}

static void tc_grep(struct op *op, struct jf_val in, struct jf_val resp, struct jsonw *w)
{
    op->optimized = tc_has(in, "head_limit");
    meta_copy_str(w, "path", in, "path");
    meta_copy_str(w, "glob", in, "glob");
    meta_copy_str(w, "type", in, "type");
    meta_copy_str(w, "output_mode", in, "output_mode");
    meta_copy_int(w, "head_limit", in, "head_limit");
    meta_copy_int(w, "num_files", resp, "numFiles");
    meta_copy_int(w, "num_matches", resp, "numMatches");
    meta_copy_int(w, "num_lines", resp, "numLines");
    meta_copy_int(w, "applied_limit", resp, "appliedLimit");
}

static void tc_glob(struct jf_val in, struct jf_val resp, struct jsonw *w)
{
    meta_copy_str(w, "path", in, "path");
    meta_copy_int(w, "num_files", resp, "numFiles");
    meta_copy_true(w, "truncated", resp, "truncated");
}

static void tc_agent(struct op *op, struct jf_val in, struct jf_val resp, struct jsonw *w)
{
    op->optimized = tc_true(in, "run_in_background");
    meta_copy_str(w, "subagent_type", in, "subagent_type");
    meta_copy_str(w, "status", resp, "status");
    meta_copy_int(w, "total_tokens", resp, "totalTokens");
    meta_copy_int(w, "tool_uses", resp, "totalToolUseCount");
    /* The sub-agent it ran: its calls carry this id (op.subagent). */
    meta_copy_str(w, "spawned", resp, "agentId");
}

static void tc_multiedit(struct op *op, struct jf_val in, struct jsonw *w)
{
    struct jf_val edits = jf_get(in, "edits");
    if (jf_type(edits) != JF_ARRAY)
        return;
    int64_t bytes = 0, n = 0;
    for (struct jf_val e = jf_child(edits); jf_present(e); e = jf_next(e)) {
        int64_t len = tc_strlen(e, "new_string");
        if (len > 0)
            bytes += len;
        n++;
    }
    op->size_bytes = bytes;
    jw_kint(w, "edits", (long long)n);
}

/* Fallback target: the input as compact JSON. op_normalize() cuts it to
 * TP_MAX_TARGET; printing a huge input (TodoWrite lists, MCP payloads)
 * only to cut it would waste time, so cap the printing too. */
static char *tc_input_json(struct jf_val in)
{
    enum jf_type t = jf_type(in);
    if (t == JF_NONE || t == JF_NULL || (t == JF_OBJECT && !jf_present(jf_child(in))))
        return NULL;
    char *s = jf_print(in, 4 * TP_MAX_TARGET);
    return s ? s : xstrdup("{...}");
}

void toolcall_describe(struct op *op, const cJSON *input, const cJSON *response)
{
    toolcall_describe_val(op, jf_tree(input), jf_tree(response));
}

void toolcall_describe_val(struct op *op, struct jf_val input, struct jf_val response)
{
    const struct tc_rule *rule = tc_find(op->tool);
    enum tc_kind kind = rule ? rule->kind : TC_OTHER;
    struct buf mb;
    struct jsonw w;

    op_sets(&op->target, NULL);
    op_sets(&op->meta, NULL);
    op->optimized = 0;
    op->size_bytes = -1;
    if (jf_type(response) != JF_OBJECT)
        response = jf_tree(NULL);

    /* Target. */
    const char *t = NULL;
    if (rule) {
        t = jf_str(input, rule->target_key);
        if (!t && rule->alt_key)
            t = jf_str(input, rule->alt_key);
    } else {
        for (size_t i = 0; !t && i < sizeof tc_generic_keys / sizeof tc_generic_keys[0]; i++)
            t = jf_str(input, tc_generic_keys[i]);
    }
    if (t)
        op_sets(&op->target, t);
    else if (!rule)
        op->target = tc_input_json(input);

    /* Optimisation, sizes, metadata. */
    buf_init(&mb, TP_MAX_META);
    jw_init(&w, &mb);
    jw_obj_begin(&w);
    switch (kind) {
    case TC_READ: tc_read(op, input, response, &w); break;
    case TC_WRITE:
        op->size_bytes = tc_strlen(input, "content");
        meta_copy_str(&w, "type", response, "type");
        break;
    case TC_EDIT:
        op->size_bytes = tc_strlen(input, "new_string");
        meta_copy_true(&w, "replace_all", input, "replace_all");
        break;
    case TC_MULTIEDIT: tc_multiedit(op, input, &w); break;
    case TC_NOTEBOOK:
        op->size_bytes = tc_strlen(input, "new_source");
        meta_copy_str(&w, "edit_mode", input, "edit_mode");
        break;
    case TC_SHELL: tc_shell(op, input, response, &w); break;
    case TC_GREP: tc_grep(op, input, response, &w); break;
    case TC_GLOB: tc_glob(input, response, &w); break;
    case TC_WEBFETCH:
        meta_copy_int(&w, "status", response, "code");
        meta_copy_int(&w, "bytes", response, "bytes");
        break;
    case TC_WEBSEARCH: break;
    case TC_AGENT: tc_agent(op, input, response, &w); break;
    case TC_SKILL: meta_copy_str(&w, "args", input, "args"); break;
    case TC_OTHER:
        /* A background launch is the one limiting option a new tool is
         * likely to share with Bash and Task. */
        op->optimized = tc_true(input, "run_in_background");
        if (op->tool && strncmp(op->tool, "mcp__", 5) == 0) {
            const char *srv = op->tool + 5, *end = strstr(srv, "__");
            if (end && end > srv) {
                jw_key(&w, "mcp_server");
                jw_strn(&w, srv, (size_t)(end - srv));
            }
        }
        break;
    }
    jw_obj_end(&w);
    if (jw_finish(&w) == 0 && mb.len > 2) {
        size_t n;
        op->meta = buf_steal(&mb, &n);
    }
    buf_free(&mb);
}

double toolcall_self_duration_ms(const char *tool, const cJSON *response)
{
    return toolcall_self_duration_ms_val(tool, jf_tree(response));
}

double toolcall_self_duration_ms_val(const char *tool, struct jf_val response)
{
    double d;
    if (!tool || jf_type(response) != JF_OBJECT)
        return NAN;
    if ((strcmp(tool, "Glob") == 0 || strcmp(tool, "WebFetch") == 0) &&
        jf_num(response, "durationMs", &d) == 1)
        return d >= 0 ? d : NAN;
    if (strcmp(tool, "WebSearch") == 0 && jf_num(response, "durationSeconds", &d) == 1)
        return d >= 0 ? d * 1000.0 : NAN;
    if ((strcmp(tool, "Task") == 0 || strcmp(tool, "Agent") == 0) &&
        jf_num(response, "totalDurationMs", &d) == 1)
        return d >= 0 ? d : NAN;
    return NAN;
}

/* ---- result size --------------------------------------------------------- */

/* Sum of the lengths of `key` strings over the elements of an array of
 * objects (content blocks), or of the array's strings. */
static int64_t tc_array_text(struct jf_val arr, const char *key)
{
    int64_t sum = 0;
    for (struct jf_val e = jf_child(arr); jf_present(e); e = jf_next(e)) {
        if (jf_type(e) == JF_STRING)
            sum += jf_strlen(e) + 1;
        else
            sum += tc_strlen(e, key) > 0 ? tc_strlen(e, key) : 0;
    }
    return sum;
}

int64_t toolcall_result_bytes(const char *tool, const cJSON *response)
{
    struct jf_val r = jf_tree(response);
    enum jf_type t = jf_type(r);
    if (t == JF_NONE || t == JF_NULL)
        return -1;
    if (t == JF_STRING)
        return jf_strlen(r);
    if (t == JF_ARRAY) /* MCP tools: content blocks */
        return tc_array_text(r, "text");
    if (t != JF_OBJECT || !tool)
        return -1;
    const struct tc_rule *rule = tc_find(tool);
    switch (rule ? rule->kind : TC_OTHER) {
    case TC_READ: return tc_strlen(jf_get(r, "file"), "content");
    case TC_SHELL: {
        int64_t o = tc_strlen(r, "stdout"), e = tc_strlen(r, "stderr");
        if (o < 0 && e < 0)
            return -1;
        return (o > 0 ? o : 0) + (e > 0 ? e : 0);
    }
    case TC_GREP:
    case TC_GLOB: {
        int64_t c = tc_strlen(r, "content");
        if (c >= 0)
            return c;
        struct jf_val f = jf_get(r, "filenames");
        return jf_type(f) == JF_ARRAY ? tc_array_text(f, "") : -1;
    }
    case TC_WEBFETCH: return tc_strlen(r, "result");
    case TC_AGENT: {
        struct jf_val c = jf_get(r, "content");
        return jf_type(c) == JF_ARRAY ? tc_array_text(c, "text") : -1;
    }
    default: return -1;
    }
}

/* ---- adding to metadata -------------------------------------------------- */

enum tc_val { TC_VAL_STR, TC_VAL_INT, TC_VAL_BOOL };

/* Splice `"key":value` into op->meta. The metadata was written by jsonw
 * (ours) or checked by op_normalize, so it is an object whose last byte is
 * '}'; anything else is left alone. The member is written as a one-member
 * object by jsonw, for its escaping, and spliced without its braces. */
static void tc_meta_add(struct op *op, const char *key, enum tc_val t, const char *s, long long i)
{
    struct buf m, out;
    struct jsonw w;
    char probe[TP_MAX_TOOL + 8];
    size_t n = op->meta ? strlen(op->meta) : 0;

    if (op->meta) {
        if (n < 2 || op->meta[0] != '{' || op->meta[n - 1] != '}')
            return;
        /* An exact key match, quotes and colon included, is how jsonw
         * wrote any key of ours. */
        snprintf(probe, sizeof probe, "\"%s\":", key);
        if (strstr(op->meta, probe))
            return;
    }
    buf_init(&m, TP_MAX_META);
    jw_init(&w, &m);
    jw_obj_begin(&w);
    switch (t) {
    case TC_VAL_STR: meta_str(&w, key, s); break;
    case TC_VAL_INT: jw_kint(&w, key, i); break;
    case TC_VAL_BOOL: jw_kbool(&w, key, (int)i); break;
    }
    jw_obj_end(&w);
    if (jw_finish(&w) != 0 || m.len < 3) {
        buf_free(&m);
        return;
    }
    buf_init(&out, TP_MAX_META + 1);
    if (op->meta && n > 2) {
        buf_add(&out, op->meta, n - 1);
        buf_addc(&out, ',');
    } else {
        buf_addc(&out, '{');
    }
    buf_add(&out, m.data + 1, m.len - 1); /* the member and the closing brace */
    if (!out.toobig) {
        free(op->meta);
        op->meta = buf_steal(&out, NULL);
    }
    buf_free(&out);
    buf_free(&m);
}

void toolcall_meta_str(struct op *op, const char *key, const char *value)
{
    if (value)
        tc_meta_add(op, key, TC_VAL_STR, value, 0);
}

void toolcall_meta_int(struct op *op, const char *key, long long value)
{
    tc_meta_add(op, key, TC_VAL_INT, NULL, value);
}

void toolcall_meta_bool(struct op *op, const char *key, int value)
{
    tc_meta_add(op, key, TC_VAL_BOOL, NULL, value != 0);
}

/* ---- permissions ---------------------------------------------------------------- */

static int in_names(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

int toolcall_is_human(const char *tool)
{
    static const char *const human[] = {"AskUserQuestion", "ExitPlanMode", "EnterPlanMode", NULL};
    return tool && in_names(tool, human);
}

int toolcall_can_ask(const char *tool, const char *permission_mode)
{
    /* Claude Code's tools reference: these need no permission. */
    static const char *const never[] = {
        "Read",       "Glob",     "Grep",       "LS",         "NotebookRead", "TodoRead",
        "TodoWrite",  "Task",     "Agent",      "TaskOutput", "BashOutput",   "KillShell",
        "KillBash",   "TaskStop", "TaskCreate", "TaskUpdate", "TaskGet",      "TaskList",
        "ToolSearch", "Monitor",  NULL};
    static const char *const edits[] = {"Edit", "Write", "MultiEdit", "NotebookEdit", NULL};
    if (!tool)
        return OP_ASK_MAYBE;
    if (in_names(tool, never))
        return OP_ASK_NO;
    if (permission_mode && (strcmp(permission_mode, "bypassPermissions") == 0 ||
                            strcmp(permission_mode, "dontAsk") == 0))
        return OP_ASK_NO;
    if (permission_mode && strcmp(permission_mode, "acceptEdits") == 0 && in_names(tool, edits))
        return OP_ASK_NO;
    return OP_ASK_MAYBE;
}

int toolcall_ask_from_source(const char *source)
{
    if (!source)
        return OP_ASK_UNKNOWN;
    if (strcmp(source, "config") == 0 || strcmp(source, "hook") == 0)
        return OP_ASK_NO;
    if (strncmp(source, "user", 4) == 0)
        return OP_ASK_ASKED;
    return OP_ASK_UNKNOWN;
}
