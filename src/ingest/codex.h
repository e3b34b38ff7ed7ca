/*
 * codex.h - OpenAI Codex CLI rollouts (JSONL) into operations, turns and
 * model requests.
 *
 * Codex writes each session to $CODEX_HOME/sessions/YYYY/MM/DD/
 * rollout-<time>-<id>.jsonl (archived ones under archived_sessions/), one
 * line per item: {"timestamp": "...Z", "type": T, "payload": {...}}.
 *
 *   session_meta   the session's id, cwd and cli_version (the first line)
 *   turn_context   per turn: model, approval_policy, sandbox_policy
 *   response_item  what went to and came from the model: function_call,
 *                  custom_tool_call, local_shell_call (a call, with
 *                  call_id), function_call_output, custom_tool_call_output
 *                  (its result), web_search_call (a search the API ran),
 *                  tool_search_call / _output
 *   event_msg      events: task_started / task_complete (a turn),
 *                  token_count (usage), exec_command_end,
 *                  patch_apply_end, mcp_tool_call_end, item_completed (a
 *                  call's exit code, status, its own times)
 *   token_usage_record   one model response's usage, with its response_id
 *
 * A call is its call line and its output line, paired by call_id; the end
 * events give its exit code and the command's own duration where the
 * rollout has them. What becomes of a call (docs/time.md, "Codex CLI"):
 *
 *   ts_ms       the call line's time (Codex runs a call as soon as its item
 *               has streamed).
 *   wall        from the call line to its end: the end event's time when
 *               there is one, else the output line's (the outputs of
 *               parallel calls are written together when the last ends, so
 *               there the wall is an upper bound: estimated).
 *   exec        the wall, when the turn's approval_policy is "never" or the
 *               tool never asks (nothing could have waited for a person);
 *               otherwise the command's own duration from its end event
 *               (estimated: it leaves out the shell's start), else unknown
 *               (the call is "unsplit": wall that may include an approval).
 *   success     0 for a non-zero exit code (from the end event or the
 *               output's "Exit code: N" / "Process exited with code N"), a
 *               failed status, a failed patch or MCP call, a call without
 *               output ("no result", when the file is final or its turn
 *               was aborted: "interrupted").
 *   tool        the function's name (exec_command, shell, apply_patch ...);
 *               an MCP call "mcp__<server>__<tool>".
 *   tool_use_id agentfile_call_key(session, call_id).
 *   agent       "codex", agent_version the session's cli_version.
 *
 * Turns come from task_complete (its duration_ms back from its time, or
 * from task_started), model requests from token_usage_record (or, in older
 * rollouts, token_count), started when the input they answer was complete.
 *
 * Feeding: lines in file order with their byte offsets. A reader that
 * starts in the middle of a file (a grown rollout) first feeds the file's
 * first line and the turn_context line in force at its start
 * (codex_context_line() finds it), so that the session and the policies
 * are known.
 */
#ifndef TOOLPROF_CODEX_H
#define TOOLPROF_CODEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ingest/agentfile.h"
#include "ingest/filemark.h"

#define CODEX_AGENT "codex"

struct codex;
struct op;

/* The target (and metadata such as a command's workdir, a patch's size) of
 * a call to op->tool from its arguments as Codex writes them: a JSON
 * object as text (a function_call's `arguments`, codex.tool_result's
 * `arguments`), else a custom tool's raw input (apply_patch's patch).
 * arguments may be NULL. Used by the rollout import and the OTLP mapping,
 * so that both describe a call alike. */
void codex_describe(struct op *op, const char *arguments);

/* A new parser that pushes what it finds into out (not owned). */
struct codex *codex_new(struct agentfile_out *out);
void codex_free(struct codex *c);

/* Feed one line (without its newline) that starts at byte offset off.
 * Returns 0 (used or skipped), TP_EPARSE when it is not a JSON object,
 * TP_EINVAL when it holds a call or a call's output but no valid
 * timestamp (the call is skipped; an output still ends its call, at an
 * unknown time), with the reason in errbuf. */
int codex_feed(struct codex *c, const char *line, size_t len, int64_t off, char *errbuf);

/* End of the data at hand. With final, calls still waiting for their
 * output are emitted as failed ("no result"). */
void codex_finish(struct codex *c, int final);

/* Where a later read must start so that no call is lost: the line of the
 * earliest call still waiting, else `consumed`. */
int64_t codex_resume_offset(const struct codex *c, int64_t consumed);

/* Offset of the start of the last turn_context line before offset `before`
 * in fd, or -1 when there is none (searched backwards without parsing). */
int64_t codex_context_line(int fd, int64_t before);

/* 1 when the first bytes of a file are a Codex rollout's (a session_meta
 * line). */
int codex_sniff(const char *head, size_t n);

/* Import one planned rollout open on fd (fstat'ed in *sb; key is its
 * mark's path, shown as path in reports), from plan->start. Returns 0, a
 * store error, TP_EIO, or TP_EAGAIN when *cancel was set (what was read is
 * committed with its mark first). */
int codex_import_fd(struct agentfile_batch *b, const char *key, const char *path, int fd,
                    const struct stat *sb, const struct filemark_plan *plan, const int *cancel,
                    struct agentfile_stats *st, char *errbuf);

#endif
