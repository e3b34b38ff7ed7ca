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
 *   duration_ms   execution time (the exec phase, below); NAN when unknown.
 *                 Every latency figure uses it, so it is never a wall time
 *                 that may include a person's approval.
 *   wall_ms, wait_ms, hook_ms
 *                 the other phases of the call (NAN unknown): wall time
 *                 from its start to its result; time blocked on the person
 *                 (the approval prompt, a question); its hooks' time
 *   exact[], phsrc[]
 *                 per phase (enum op_phase), how exact it is and where it
 *                 came from (docs/time.md)
 *   ask           whether the call asked the person (enum op_ask)
 *   ts_ms         when the call started, UTC ms (hook/OTLP: end - duration)
 *   success       0 when the call failed
 *   optimized     the call used a limiting option (Read offset/limit, Grep
 *                 head_limit, Bash run_in_background, ...)
 *   size_bytes    size of what the call read or wrote (-1 unknown)
 *   result_bytes  size of what the call returned to the agent (-1 unknown)
 *   meta          a JSON object (serialized) or NULL
 *   session_id, project (cwd), tool_use_id, error: NULL when unknown
 *   subagent      the sub-agent that made the call (its agent id); NULL for
 *                 the session's main thread
 *   agent         the coding agent that made the call: "claude-code" (also
 *                 NULL: the default), "codex", "gemini-cli", "opencode" ...
 *   agent_version its version, when the source says (kept per session)
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

/* The phases of a call. wall = (hook +) wait + exec, where known. */
enum op_phase { OP_PH_WALL = 0, OP_PH_WAIT = 1, OP_PH_HOOK = 2, OP_PH_EXEC = 3, OP_PH_COUNT };

/* How exact a phase is; higher is better. */
enum op_exact {
    OP_EX_UNKNOWN = 0,
    OP_EX_ESTIMATED = 1, /* shared out in proportion, or bounded */
    OP_EX_DERIVED = 2,   /* computed from exact facts (timestamps, a difference) */
    OP_EX_EXACT = 3,     /* measured for this phase by the agent */
};

/* Where a phase came from. Stored (never renumber); between two reports
 * equally exact, the later in this list wins, except for the execution,
 * where a trace span ranks just above the tool's own field and below the
 * agent's duration_ms (OTLP events, hooks): see op_phases_merge(). */
enum op_phase_src {
    PHS_NONE = 0,
    PHS_GIVEN = 1,      /* recorded as given: daily files, exports, the API, track */
    PHS_RULE = 2,       /* known by rule: a call that could not ask waited 0 */
    PHS_TIMESTAMPS = 3, /* transcript timestamps */
    PHS_TURN = 4,       /* transcript turn accounting (turn_duration) */
    PHS_TOOL = 5,       /* the tool's own timing field (durationMs ...) */
    PHS_OTLP = 6,       /* OTLP log events (tool_result, tool_decision) */
    PHS_HOOK = 7,       /* hooks: duration_ms and the events' arrival times */
    PHS_TRACE = 8,      /* OTLP trace spans */
    PHS_COUNT
};

/* Did the call ask the person for permission? Ordered: a merge keeps the
 * higher (an observed prompt beats a rule, a rule beats "maybe"). */
enum op_ask {
    OP_ASK_UNKNOWN = 0,
    OP_ASK_MAYBE = 1, /* it could have asked; whether it did is not known */
    OP_ASK_NO = 2,    /* it could not have asked, or did not */
    OP_ASK_ASKED = 3, /* a prompt was shown */
};

struct op {
    char *tool;
    char *target;
    double duration_ms; /* the exec phase */
    double wall_ms, wait_ms, hook_ms;
    unsigned char exact[OP_PH_COUNT]; /* enum op_exact */
    unsigned char phsrc[OP_PH_COUNT]; /* enum op_phase_src */
    int ask;                          /* enum op_ask */
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
    char *subagent;
    char *agent, *agent_version;
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

/* The value of phase ph (a pointer into the op: duration_ms for exec). */
double *op_phase_ms(struct op *op, enum op_phase ph);
/* Set phase ph: ms (NAN clears it), how exact, where from. */
void op_set_phase(struct op *op, enum op_phase ph, double ms, enum op_exact exact,
                  enum op_phase_src src);

/* Fill in what the known phases imply, in place: a call that could not ask
 * waited 0; exec = wall - wait - hook, or wait = wall - exec - hook for a
 * call that asked, when those are known (derived at best, never better
 * than what they come from). Applied by op_normalize() and after every
 * merge of two reports of a call. */
struct op_phases {
    double ms[OP_PH_COUNT];
    unsigned char exact[OP_PH_COUNT], src[OP_PH_COUNT];
    int ask;
};
void op_phases_get(const struct op *op, struct op_phases *p);
void op_phases_put(struct op *op, const struct op_phases *p);
void op_phases_settle(struct op_phases *p);
/* Merge report n into e, phase by phase: the more exact wins, between
 * equals the later phase source (enum op_phase_src), and between reports
 * equal in both, n when n_wins_ties (the caller's say: the store gives it
 * to the more trusted op source). ask keeps the higher. Then settles.
 * Returns 1 when e changed; *taken (may be NULL) gets a bit (1 << phase)
 * for each phase taken from n. */
int op_phases_merge(struct op_phases *e, const struct op_phases *n, int n_wins_ties,
                    unsigned *taken);

/* Names for JSON and docs: "wall", "wait", "hook", "exec"; "unknown",
 * "estimated", "derived", "exact"; "given", "rule", "timestamps", "turn",
 * "tool", "otlp", "hook", "trace"; "unknown", "maybe", "no", "asked".
 * And back (-1 when unknown). */
const char *op_phase_name(enum op_phase ph);
const char *op_exact_name(enum op_exact e);
const char *op_phase_src_name(enum op_phase_src s);
const char *op_ask_name(enum op_ask a);
int op_exact_parse(const char *s);
int op_phase_src_parse(const char *s);
int op_ask_parse(const char *s);

/* The default agent: an op without one was made by it. */
#define OP_AGENT_DEFAULT "claude-code"

/* The key a tool is stored under: its name, and for an agent other than
 * the default, "\x1f" and the agent (tool names never hold control
 * characters), so that two agents' tools of the same name stay apart.
 * Written into out (size bytes); returns out, or NULL when it does not fit. */
char *op_tool_key(const char *tool, const char *agent, char *out, size_t size);
/* The parts of a stored tool key: returns the length of the tool's name;
 * *agent gets the agent (OP_AGENT_DEFAULT when the key has none). */
size_t op_tool_split(const char *key, const char **agent);

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

/* Check a string field: valid UTF-8 (a NUL ends it), at most max bytes;
 * over it, cut at a character boundary with "…" when cut, else refused.
 * NULL is fine. Returns 0 or TP_EINVAL naming the field. */
int op_check_str(char **field, const char *name, size_t max, int cut, char *errbuf);

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
 *                       head, tail), matched by command word;
 *   OP_ATTN_LOST        a call to an MCP server's tool ("mcp__...") that
 *                       never returned: failed with an error that starts
 *                       with "no result" or is "interrupted" (stored from
 *                       schema 8 on; the upgrade flags older ones).
 * Each kind belongs to its tools, so a tool's attention count is the count
 * of its one kind. */
#define OP_LARGE_READ_BYTES 100000
enum { OP_ATTN_NONE = 0, OP_ATTN_LARGE_READ = 1, OP_ATTN_SHELL_TOOL = 2, OP_ATTN_LOST = 3 };
int op_attention(const struct op *op);

/* The program a shell command line runs first in one of its pipelines that
 * has a dedicated tool (see above), or NULL. `git log | head` gives NULL
 * (head only filters output); `cd x && grep -r y .` gives "grep". */
const char *op_shell_dedicated_word(const char *command);

#endif
