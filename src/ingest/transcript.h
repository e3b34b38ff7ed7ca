/*
 * transcript.h - Claude Code session transcripts (JSONL) into operations.
 *
 * A transcript is one JSON object per line, appended while a session runs.
 * A tool call is written twice: as a `tool_use` block on an assistant line
 * when the model asks for it, and as a `tool_result` block on a user line
 * when the tool has finished. This module pairs the two by the tool-use id
 * and turns each pair into one `struct op` (source OP_SRC_TRANSCRIPT).
 *
 * It knows the format and nothing else: no files, no store. The caller owns
 * one parser per file and feeds it complete lines in file order, each with
 * the byte offset where it starts; the parser collects finished ops, which
 * the caller takes, normalizes and stores (then clears them).
 *
 * What becomes of a call (docs: claude-code-formats.md 1.7 and 1.8):
 *
 *   duration_ms  the tool's own timing when its structured result has one
 *                (toolcall_self_duration_ms(), then the `duration_ms` of
 *                an Agent/Task result's <usage> tail, then the last
 *                mcp_progress elapsedTimeMs); otherwise result timestamp
 *                minus start, less PreToolUse hook time when the hook's
 *                attachment line reports it. Start is the tool_use line's
 *                timestamp, moved to the end of the response for 1.x
 *                builds (which ran tools only after the whole response had
 *                streamed) and, for calls of a mutating tool (Edit, Write,
 *                MultiEdit, NotebookEdit, TodoWrite) or calls queued behind
 *                one, to the completion of the earlier calls of the same
 *                response that it had to wait for. NAN for
 *                AskUserQuestion / ExitPlanMode / EnterPlanMode (the wait
 *                is a person's, kept in meta as human_wait_ms) and for
 *                calls the user rejected (the wait was for permission).
 *   ts_ms        start as above.
 *   success      0 when is_error is true, toolUseResult is a string
 *                starting with "Error:", or Bash reports interrupted.
 *   error        a short reason: the first line of the result text
 *                (<tool_use_error> tags removed), or "rejected by user",
 *                "interrupted", "no result".
 *   result_bytes bytes of the tool_result content as the model saw it
 *                (a string, or the text and image data of its blocks).
 *   meta         toolcall_describe()'s keys plus duration_from
 *                ("tool" | "usage" | "mcp_progress" | "timestamps" |
 *                "none"), wall_ms, start_adjusted ("response_end" |
 *                "queue"), pre_hook_ms, agent_id, sidechain, outcome
 *                ("rejected" | "cancelled" | "interrupted" | "lost").
 *
 * Lines that cannot hold a tool call are recognised from their top-level
 * `type` and a substring test, without a JSON parse: progress lines (whose
 * agent_progress copies of sub-agent traffic must not be counted), hook
 * progress, snapshots, queue operations and unknown types cost one short
 * scan. Calls are deduplicated by tool-use id within a parser (resumed
 * sessions replay history); across files the store deduplicates.
 *
 * Calls without a result: when an "[Request interrupted by user" line
 * follows, they are emitted at once as failed ("interrupted", duration
 * NAN). A call whose start is more than TRANSCRIPT_LOST_AFTER_MS older than
 * a later tool_use line, or still waiting when transcript_finish() is told
 * the file is final, is emitted as failed ("no result", outcome "lost").
 * Any other call still waiting at the end of the data is not emitted: its
 * line's offset is returned by transcript_pending_offset(), and a caller
 * that resumes reading there later will pair it.
 */
#ifndef TOOLPROF_TRANSCRIPT_H
#define TOOLPROF_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "store/op.h"
#include "store/timeline.h"

/* A call still waiting for its result this long after it started (as seen
 * from later lines, or from an idle file's mtime) will never get one:
 * Claude Code's longest tool timeout is minutes, and a session that has
 * been silent for hours has ended. */
#define TRANSCRIPT_LOST_AFTER_MS (6LL * 3600 * 1000)

struct transcript;

/* Counters of one parser, for tests and the importer's summary. */
struct transcript_stats {
    uint64_t lines;          /* lines fed */
    uint64_t parsed;         /* lines that needed a JSON parse */
    uint64_t extracted;      /* of them, read by the field extractor (the rest: cJSON) */
    uint64_t malformed;      /* lines refused with TP_EPARSE */
    uint64_t tool_uses;      /* distinct tool_use blocks seen */
    uint64_t results;        /* tool_result blocks paired with their use */
    uint64_t duplicates;     /* replayed uses / results ignored */
    uint64_t orphan_results; /* results whose use was not seen */
    uint64_t interrupted;    /* calls emitted as interrupted */
    uint64_t lost;           /* calls emitted as lost */
    uint64_t skipped_calls;  /* uses without id, name or timestamp */
    uint64_t turns;          /* turns accounted (turn_duration lines) */
    uint64_t turn_updates;   /* calls emitted again with their wait */
};

/* A new, empty parser. Never NULL. */
struct transcript *transcript_new(void);
void transcript_free(struct transcript *t);

/* Read every line with the tree parser (jin_parse), never with the field
 * extractor (core/jfield.h): the two read a line identically, which the
 * tests check by reading the same lines both ways. */
void transcript_set_tree_only(struct transcript *t, int on);

/* Feed one complete line: line[0..len) without its '\n' (a trailing '\r' is
 * tolerated), starting at byte `offset` of its file. Lines must come in
 * file order. Returns 0 when the line was used or skipped (blank, unknown
 * type, nothing about tools); TP_EPARSE when it is not a JSON object (it
 * is counted as malformed and changes nothing: the next line can be fed);
 * TP_EINVAL when the line was used but a tool_use on it was skipped for
 * want of an id, a name or a valid timestamp (counted in skipped_calls).
 * Either error has the reason in errbuf; the caller adds file and line. */
int transcript_feed(struct transcript *t, const char *line, size_t len, int64_t offset,
                    char *errbuf);

/* End of the data at hand. With final != 0 (the file will not grow: it has
 * been idle past TRANSCRIPT_LOST_AFTER_MS, or the caller says so) every call
 * still waiting is emitted as lost; otherwise they stay pending (the open
 * request and turn are emitted as they stand, and stay open). */
void transcript_finish(struct transcript *t, int final);

/* Offset of the line holding the earliest tool_use still waiting for its
 * result, or -1 when none is. A reader that stops here and later resumes
 * from this offset (or, when -1, from the end of the data fed) loses no
 * call; calls between the two are emitted again, which the store's
 * identity makes harmless. */
int64_t transcript_pending_offset(const struct transcript *t);

/* The ops finished so far, in the order they finished. They stay owned by
 * the parser; the caller may modify them in place (op_normalize) and must
 * call transcript_clear_ops() once it has stored them. */
struct op *transcript_ops(struct transcript *t, size_t *n);
void transcript_clear_ops(struct transcript *t);
/* Byte offset (as given to transcript_feed) of the line that holds the
 * tool_use of op i, in the order transcript_ops() gave them; -1 if none. */
int64_t transcript_op_offset(const struct transcript *t, size_t i);

/* Model requests (one per response: start from the client's api-request
 * line, else from the line it answers; end at its last line; the largest
 * token counts its lines report) and turns (a prompt to its turn_duration
 * line, or to its last line) found so far, for the caller to store
 * (timeline.h); owned by the parser until transcript_clear_timeline().
 * Open ones are emitted when they close, or by transcript_finish(t, 1);
 * transcript_finish(t, 0) emits them as they stand (they stay open: a
 * later report of the same request or turn replaces the first). */
struct request *transcript_requests(struct transcript *t, size_t *n);
struct turn *transcript_turns(struct transcript *t, size_t *n);
void transcript_clear_timeline(struct transcript *t);

const struct transcript_stats *transcript_stats(const struct transcript *t);

#endif
