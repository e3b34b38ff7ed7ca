/*
 * gemhook.h - Gemini CLI's BeforeTool / AfterTool hooks: when each call ran.
 *
 * Gemini CLI fires BeforeTool right before a tool executes (after any
 * approval) and AfterTool right after, each with the session id, the tool's
 * name and input and a timestamp, but without the call's id. So a hook
 * report cannot be stored as a call of its own: it would never be
 * recognised as the call the chat recording (gemini.h) and the telemetry
 * report under the call's id, and would count twice. Instead `toolprof
 * hook` appends each event as one line to
 *
 *     <data dir>/gemini-hooks/<session id>.jsonl
 *       {"ev":"before"|"after","tool":T,"args":"<hash>","ts":MS[,"ok":B]}
 *
 * (one write(2), O_APPEND: concurrent hooks never interleave), and the
 * chat import gives each call the execution time of the Before/After pair
 * with its session, tool and arguments that started within the call's
 * span: exact execution, without the approval the chat's times include.
 * Arguments are compared by a hash of their compact JSON, which both sides
 * take from the same object of Gemini CLI's (its key order kept).
 */
#ifndef TOOLPROF_GEMHOOK_H
#define TOOLPROF_GEMHOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define GEMHOOK_DIR "gemini-hooks"
/* The largest facts file read for one session. */
#define GEMHOOK_MAX_FILE (16u * 1024 * 1024)

/* 1 when the payload's event is BeforeTool or AfterTool (found without a
 * parse), else 0. */
int gemhook_is_event(const char *payload, size_t len);

/* Append the event of payload (parsed; its "timestamp" is when Gemini CLI
 * fired it, now_ms when it has none) to its session's file in data_dir.
 * Returns 0, TP_ENOTFOUND for another event, TP_EINVAL for a payload
 * without session or tool, TP_EIO (errbuf says why). */
int gemhook_record(const char *data_dir, const cJSON *payload, int64_t now_ms, char *errbuf);

/* The hash of a tool's arguments as both sides compare them. */
uint64_t gemhook_args_hash(const cJSON *args);

/* One executed call: a BeforeTool and the AfterTool that followed it. */
struct gemhook_run {
    char tool[128];
    uint64_t args;
    int64_t start_ms, end_ms;
    int ok;   /* the AfterTool's response had no error */
    int used; /* given to a call already */
};

/* The runs of a session (Before/After paired in order per tool and
 * arguments), malloc'd into *out. Returns 0 (none: *n = 0) or TP_EIO. */
int gemhook_load(const char *data_dir, const char *session, struct gemhook_run **out, size_t *n);

#endif
