/*
 * hook.h - `toolprof hook`: one Claude Code hook payload becomes one op.
 *
 * Claude Code runs `toolprof hook` for PostToolUse and PostToolUseFailure
 * and waits for it, once per tool call, so the command is built around
 * what it must never do: print on stdout, exit with anything but 0 (2
 * would show our stderr to the agent), or take long. It reads the payload
 * on stdin, turns it into an op and appends that to the spool (spool.h);
 * it does not open SQLite unless its line took the spool across a multiple
 * of SPOOL_DRAIN_BYTES, and then only with a short busy timeout. Whatever
 * goes wrong is written as one line to HOOK_ERRLOG in the data directory.
 *
 * The same payload mapping serves the payload logs people keep (JSON
 * arrays of payloads, objects wrapping one under "raw_input", or one
 * payload per line), imported with hook_import_log().
 */
#ifndef TOOLPROF_HOOK_H
#define TOOLPROF_HOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "ingest/filemark.h"
#include "store/op.h"
#include "store/store.h"

/* Where the hook reports problems; rotated to HOOK_ERRLOG ".1" past
 * TP_HOOK_ERRLOG_MAX bytes (one old generation is kept). */
#define HOOK_ERRLOG "hook-errors.log"
/* How long the hook waits for its stdin to end before giving up. */
#define HOOK_READ_TIMEOUT_MS 10000
/* Busy timeout of the occasional drain into the store. */
#define HOOK_DRAIN_BUSY_MS 50

/* Map one payload to an op. end_ms is when the call ended (the hook's now;
 * for logs, the time the logger wrote down): ts_ms = end_ms - duration_ms,
 * or end_ms when the payload has no duration_ms (Claude Code before
 * 2.1.119), which is then left unknown. out is op_init'ed by this call and
 * is not yet normalized (call op_normalize) nor given a derived id.
 * Returns 0; TP_ENOTFOUND for payloads that are not a tool call result
 * (other hook events: ignore them silently); TP_EINVAL with a message when
 * the payload is not an object or has no tool_name. */
int hook_payload_to_op(const cJSON *payload, int64_t end_ms, struct op *out, char *errbuf);

/* The whole `toolprof hook` command: read fd_in to its end (at most
 * TP_MAX_HOOK_INPUT bytes are kept; the rest is read and dropped so that
 * the writer never gets SIGPIPE), spool the op, and drain the spool into
 * the store when the op's line took it across a multiple of
 * SPOOL_DRAIN_BYTES (a drain that cannot store everything is logged and
 * leaves the rest spooled). data_dir NULL means the
 * default (store_default_dir). Returns 0 when the call was spooled or
 * ignored, else a negative code after logging the reason to HOOK_ERRLOG;
 * never prints anything. The CLI exits 0 whatever this returns. */
int hook_run(const char *data_dir, int fd_in);

/* Payload log layouts recognised by hook_log_sniff(). */
enum hook_log_kind {
    HOOKLOG_NONE = 0,
    HOOKLOG_JSON,  /* one JSON document: an array of payloads or one payload */
    HOOKLOG_JSONL, /* one payload (or wrapper) per line */
};

/* Tell from the first bytes of a file (a few KB) whether it is a hook
 * payload log: JSON whose first object has "hook_event_name" and
 * "tool_name" (directly or under "raw_input"). */
enum hook_log_kind hook_log_sniff(const char *head, size_t n);

/* Import a payload log into the store. Each element is a payload or a
 * wrapper object holding it under "raw_input"; the end time of a call is
 * the wrapper's "timestamp" / "logged_at" (naive = local time, as Python
 * loggers write it), else the file's modification time. Other events are
 * skipped silently; invalid payloads are reported on `report` (may be
 * NULL) as "path:index: message" and skipped. Calls without tool_use_id
 * get an id derived from their content and index, so importing a file
 * twice stores nothing new. The whole file is read, whatever its mark
 * says, and the mark is written (the importer reads only what a log has
 * gained, with hook_import_log_fd()). *res (may be NULL) receives the
 * store's counts. Returns 0, or an error for the file as a whole (unreadable, not
 * JSON, too big) or for the store, with errbuf filled. */
int hook_import_log(struct store *s, const char *path, FILE *report, struct store_result *res,
                    char *errbuf);

/* The same for a file already open on fd (fstat'ed in *st) and planned
 * from its mark (filemark.h): elements or lines that end before
 * plan->start were stored by the import this one resumes and are skipped;
 * a last line without its newline is left for later unless it is a whole
 * object or plan->final. Each batch commits with the file's mark, as path
 * (the resolved path, also the one derived ids are made from). */
int hook_import_log_fd(struct store *s, const char *path, int fd, const struct stat *st,
                       const struct filemark_plan *plan, FILE *report, struct store_result *res,
                       char *errbuf);

#endif
