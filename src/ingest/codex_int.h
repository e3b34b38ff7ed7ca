/*
 * codex_int.h - what codex.c (lines, turns, the import) shares with
 * codex_call.c (calls paired with their end events and outputs). Not for
 * other modules.
 */
#ifndef TOOLPROF_CODEX_INT_H
#define TOOLPROF_CODEX_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ingest/agentfile.h"
#include "store/op.h"

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

/* *f = a copy of s (NULL: none), freeing what it held. */
void cx_set(char **f, const char *s);
/* Free what a waiting call or an end event holds (not the struct). */
void cx_call_free(struct call *k);
void cx_end_free(struct end *e);

/* An event_msg that ends a call (exec_command_end, patch_apply_end,
 * mcp_tool_call_end ...): kept by call_id until the call's output. */
void cx_on_end(struct codex *c, const char *type, const cJSON *p, int64_t ts);
/* A call line (function_call, custom_tool_call, local_shell_call,
 * tool_search_call) of payload type ptype, read at offset off. */
void cx_on_call(struct codex *c, const char *ptype, const cJSON *p, int64_t ts, int64_t off);
/* 1 when call_id is a call waiting for its output. */
int cx_waiting(const struct codex *c, const char *call_id);
/* An output line: emits the call it answers (ts -1: at an unknown time). */
void cx_on_output(struct codex *c, const cJSON *p, int64_t ts);
/* A web_search_call line: a call complete in itself. */
void cx_on_web_search(struct codex *c, const cJSON *p, int64_t ts, int64_t off);
/* Emit waiting call k with its output text (NULL: none) at end_ms (-1:
 * unknown), how: NULL for a normal end, "lost" or "interrupted"; k is
 * removed from the waiting calls. */
void cx_call_emit(struct codex *c, struct call *k, const char *text, int64_t end_ms,
                  const char *how);

#endif
