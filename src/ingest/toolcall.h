/*
 * toolcall.h - what a Claude Code tool call acted on, from its input.
 *
 * The hook payload, a transcript's tool_use block and an OTLP tool_input
 * all carry the same tool input object; this module turns it (and, when
 * present, the tool's structured response) into the op fields that do not
 * depend on the transport: target, optimization_applied, sizes, metadata.
 * One place, so that the three ingesters describe a call identically.
 *
 * Per tool (names as Claude Code spells them):
 *   Read/Write/Edit/MultiEdit  target file_path; Read optimized with offset
 *                              or limit; size_bytes = bytes read (Read:
 *                              file.content of the response) or written
 *   NotebookEdit               target notebook_path
 *   Bash, PowerShell           target command; optimized with
 *                              run_in_background
 *   Grep                       target pattern (path/glob/type in meta);
 *                              optimized with head_limit
 *   Glob                       target pattern (path in meta)
 *   WebFetch / WebSearch       target url / query
 *   Task, Agent                target description (subagent_type in meta)
 *   Skill                      target skill (or command)
 *   mcp__*, others             the first of file_path, path, command,
 *                              pattern, url, query, description, prompt, or
 *                              else the input as compact JSON, cut short
 */
#ifndef TOOLPROF_TOOLCALL_H
#define TOOLPROF_TOOLCALL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/jfield.h"
#include "store/op.h"

/* Fill op->target, op->optimized, op->size_bytes, op->meta (replacing
 * them) from the tool name and input; response may be NULL (transcripts
 * without toolUseResult, OTLP). op->tool must already be set. */
void toolcall_describe(struct op *op, const cJSON *input, const cJSON *response);
/* The same over values that may come from the field extractor
 * (core/jfield.h) or a tree; absent values as NULL above. */
void toolcall_describe_val(struct op *op, struct jf_val input, struct jf_val response);

/* Timing the tool reported about itself in its structured response
 * (Glob/WebFetch durationMs, WebSearch durationSeconds, Task/Agent
 * totalDurationMs), in ms; NAN when there is none. */
double toolcall_self_duration_ms(const char *tool, const cJSON *response);
double toolcall_self_duration_ms_val(const char *tool, struct jf_val response);

/* Bytes of what the call returned to the agent, from its structured
 * response: Read the file content, Bash stdout + stderr, Grep/Glob the
 * content or file list, WebFetch the result, Task/Agent the text blocks,
 * a string or MCP content blocks their text. -1 when unknown (NULL
 * response, other tools). */
int64_t toolcall_result_bytes(const char *tool, const cJSON *response);

/* Whether a Claude Code call could have asked the person for permission,
 * from its tool and the session's permission mode (NULL = default):
 * OP_ASK_NO for tools that never ask (Read, Glob, Grep, LS, TodoWrite,
 * Task/Agent, ...), for file edits in acceptEdits mode and for everything
 * in bypassPermissions or dontAsk mode; OP_ASK_MAYBE otherwise (Bash,
 * Write, Edit, WebFetch, WebSearch, MCP tools, unknown tools). The
 * person-facing tools (AskUserQuestion, ExitPlanMode, EnterPlanMode) are
 * told by toolcall_is_human(). */
int toolcall_can_ask(const char *tool, const char *permission_mode);
/* Tools whose whole time is a wait for the person at the keyboard. */
int toolcall_is_human(const char *tool);
/* A permission decision's source as Claude Code reports it (transcript
 * permissionDecision.source, OTLP tool_decision source / decision_source):
 * "config" and "hook" decided without asking (OP_ASK_NO), "user_*" asked
 * (OP_ASK_ASKED); anything else OP_ASK_UNKNOWN. */
int toolcall_ask_from_source(const char *source);

/* Add one member to op->meta (creating the object when there is none),
 * for facts the transport adds to the description (a hook's is_interrupt,
 * an OTLP record's error_type). A key already present is left alone, and
 * so is the whole object when the member would take it past TP_MAX_META.
 * String values are cut to a few hundred bytes. */
void toolcall_meta_str(struct op *op, const char *key, const char *value);
void toolcall_meta_int(struct op *op, const char *key, long long value);
void toolcall_meta_bool(struct op *op, const char *key, int value);

#endif
