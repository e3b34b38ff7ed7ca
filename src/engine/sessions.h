/*
 * sessions.h - sessions, and where their time went.
 *
 * A session's wall time (its first call's start to its last call's end)
 * splits into:
 *
 *   model      requests to the model (their durations)
 *   tools      tool execution (calls' exec phase)
 *   approvals  waiting for the person to answer a permission prompt or a
 *              question (calls' wait phase), plus the wall time of calls
 *              whose split is not known (they may have waited: "unsplit",
 *              shown apart)
 *   hooks      the calls' hooks
 *   prompt     waiting for the person's next prompt (between the end of a
 *              turn and the next prompt)
 *   idle       the rest
 *
 * The list (engine_sessions) sums what the store keeps per session, so a
 * session's parallel calls each count there; the timeline of one session
 * (engine_session) lays every call and request on the clock and gives
 * each millisecond to one part (approvals before hooks before tools
 * before unsplit before model before prompt), so its parts add up to the
 * wall time exactly. Sub-agents' calls run inside the call that started
 * them and count there, not twice.
 */
#ifndef TOOLPROF_SESSIONS_H
#define TOOLPROF_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

enum split_part {
    SPLIT_MODEL,
    SPLIT_TOOLS,
    SPLIT_APPROVALS,
    SPLIT_UNSPLIT,
    SPLIT_HOOKS,
    SPLIT_PROMPT,
    SPLIT_IDLE,
    SPLIT_PARTS
};
const char *split_part_name(enum split_part p); /* "model", "tools", ... */

struct session_split {
    double wall_ms;
    double ms[SPLIT_PARTS];
    int on_clock; /* 1: laid on the clock (adds up exactly); 0: sums */
};

/* What the agent's usage counters (OTLP metrics) say one model used. */
struct usage_by_model {
    char *model;             /* NULL: readings without a model (lines, active time) */
    double v[USAGE_METRICS]; /* NAN: no reading */
};

struct session_item {
    char *id, *project;
    char *agent; /* the agent of its first call (its version is not stored) */
    int64_t first_ms, last_ms;
    uint64_t calls, failed, sub_calls, asked, requests, turns;
    /* Tokens and cost: the model requests' sums; when no request gave any,
     * the usage counters' (tokens_from says which: "requests", "metrics",
     * or NULL for neither). */
    int64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens; /* -1 none */
    double cost_usd;                                                            /* NAN unknown */
    const char *tokens_from;
    /* The usage counters: totals (NAN: no reading) and per model. */
    double usage[USAGE_METRICS];
    struct usage_by_model *usage_models;
    size_t nusage_models;
    struct session_split split;
};

struct sessions {
    struct session_item *items; /* latest ending first */
    size_t n;
    int more; /* the window holds more sessions than the limit let in */
};

/* Sessions active in the query's window (tool filter ignored; a session
 * filter gives that one session), at most limit. */
int engine_sessions(struct store *s, const struct engine_query *q, size_t limit,
                    struct sessions *out, char *errbuf);
void sessions_free(struct sessions *x);

/* One session on the clock. */
struct session_call {
    struct op op;     /* owned */
    unsigned sources; /* every source that reported it (enum op_source bits) */
    int lane;         /* 0: the main thread; k: the k-th sub-agent */
    char *parent;     /* tool_use_id of the call that started its sub-agent */
    double start_ms;  /* offsets from the session's start */
    double end_ms;
};
/* A stretch of the session's clock and the part that owns it (the sweep
 * of the list above: approvals, hooks, tools, unsplit, model, prompt,
 * idle), offsets from the session's start; consecutive stretches of one
 * part are one. Together they cover the wall time exactly. */
struct session_stretch {
    double from_ms, to_ms;
    enum split_part part;
};
struct session_lane {
    char *subagent; /* NULL for the main thread */
    char *parent;   /* the Agent/Task call that started it (NULL unknown) */
};
struct session_detail {
    struct session_item s;
    struct session_call *calls; /* in start order */
    size_t ncalls;
    struct request *requests; /* owned, in start order */
    size_t nrequests;
    struct turn *turns; /* owned, in start order */
    size_t nturns;
    struct session_lane *lanes;
    size_t nlanes;
    struct session_stretch *clock; /* in time order */
    size_t nclock;
};

/* The session whose id is id, or the one session whose id starts with it
 * (at least 4 characters). TP_ENOTFOUND with a message (and the nearest
 * ids) when there is none; TP_EINVAL when a prefix is ambiguous. */
int engine_session(struct store *s, const char *id, struct session_detail *out, char *errbuf);
void session_detail_free(struct session_detail *d);

#endif
