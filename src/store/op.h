/*
 * op.h - the operation record: one tool call of a coding agent.
 *
 * Every ingester (hook, transcript, OTLP, daily files, the HTTP API, the
 * command line) turns its input into `struct op` records and hands them to
 * the store; nothing else crosses that boundary. An op owns its strings
 * (free them with op_clear()).
 *
 * Field meanings:
 *   tool          tool name as the agent spells it ("Read", "mcp__x__y")
 *   target        what the call acted on: file path, command, pattern, URL
 *   duration_ms   execution time; NAN when the source does not say
 *   ts_ms         when the call started, UTC ms (hook/OTLP: end - duration)
 *   success       0 when the call failed
 *   optimized     the call used a limiting option (Read offset/limit, Grep
 *                 head_limit, Bash run_in_background, ...)
 *   size_bytes    size of what the call read or wrote (-1 unknown)
 *   result_bytes  size of what the call returned to the agent (-1 unknown)
 *   meta          a JSON object (serialized) or NULL
 *   session_id, project (cwd), tool_use_id, error: NULL when unknown
 *   source        where the record came from (see enum op_source)
 */
#ifndef TOOLPROF_OP_H
#define TOOLPROF_OP_H

#include <stddef.h>
#include <stdint.h>

/* Where a record came from. The values are stored (never renumber);
 * trust is op_source_rank(). */
enum op_source {
    OP_SRC_CLI = 0,
    OP_SRC_API = 1,
    OP_SRC_IMPORT = 2, /* the original's daily files */
    OP_SRC_TRANSCRIPT = 3,
    OP_SRC_OTLP = 4,
    OP_SRC_HOOK = 5,
    OP_SRC_DEMO = 6, /* `toolprof demo`: synthetic, never mixed with real calls */
    OP_SRC_COUNT
};

/* Trust in a source's duration, higher is better: when the same call
 * arrives twice, the duration of the more trusted report wins (the hook's
 * is pure execution time; a transcript's is derived from two timestamps).
 * demo < cli < api < import < transcript < otlp < hook. */
int op_source_rank(enum op_source s);

struct op {
    char *tool;
    char *target;
    double duration_ms;
    int64_t ts_ms;
    int success;
    int optimized;
    int64_t size_bytes;
    int64_t result_bytes;
    char *meta;
    char *session_id;
    char *project;
    char *tool_use_id;
    char *error;
    enum op_source source;
    /* Seed compatibility: the duration was written as an integer ("90"),
     * and is written back the same way. */
    int duration_is_int;
};

/* An empty op: NULL strings, unknown duration and sizes, success, source
 * CLI, ts 0. */
void op_init(struct op *op);
/* Free the strings and re-initialise. */
void op_clear(struct op *op);
/* Deep copy. */
void op_copy(struct op *dst, const struct op *src);

/* Set a string field from s[0..n) (copied), replacing any old value. */
void op_set(char **field, const char *s, size_t n);
void op_sets(char **field, const char *s); /* NULL clears */

/* Check and normalise an op before it is stored. now_ms bounds the
 * timestamp. Rejects (TP_EINVAL, message in errbuf naming the field): empty
 * or over-long tool, tool with control characters, duration negative /
 * infinite / over TP_MAX_DURATION_MS, timestamp outside
 * [TP_MIN_TS_MS, now + TP_FUTURE_SLACK_MS], any string that is not valid
 * UTF-8 or holds a NUL byte, ids over TP_MAX_ID, meta that is not a JSON
 * object or is over TP_MAX_META. Cuts (with a trailing "…") target, error
 * and project over their limits. */
int op_normalize(struct op *op, int64_t now_ms, char *errbuf);

/* The identity used to store a call once: tool_use_id when present, else
 * "tp-" + 16 hex digits of a hash of the content and of `position` (a
 * string naming where in its input the op was found, e.g. "file:line").
 * Returns a malloc'd string. */
char *op_derive_id(const struct op *op, const char *position);

/* Name of a source ("hook", "transcript", ...) and back (-1 if unknown). */
const char *op_source_name(enum op_source s);
int op_source_parse(const char *name);

/* Rule flags computed once per op at insert time and counted by the
 * rollups, so that recommendations never scan raw rows:
 *   OP_ATTN_LARGE_READ  a Read of more than 100 KB without offset/limit;
 *   OP_ATTN_SHELL_TOOL  a Bash command whose pipeline starts with a program
 *                       that has a dedicated tool (grep, rg, find, cat,
 *                       head, tail), matched by command word. */
#define OP_LARGE_READ_BYTES 100000
enum { OP_ATTN_NONE = 0, OP_ATTN_LARGE_READ = 1, OP_ATTN_SHELL_TOOL = 2 };
int op_attention(const struct op *op);

/* The program a shell command line runs first in one of its pipelines that
 * has a dedicated tool (see above), or NULL. `git log | head` gives NULL
 * (head only filters output); `cd x && grep -r y .` gives "grep". */
const char *op_shell_dedicated_word(const char *command);

#endif
