/*
 * timeline.h - the records besides tool calls that place a session on the
 * clock: turns (a prompt and the work it caused) and model requests; and
 * the session's usage counters (tokens, cost, lines, active time), which
 * agents report as metrics rather than per request.
 *
 * With the calls' phases (op.h) they split a session's wall time into model
 * time, tool execution, approvals, hooks, waiting for the person's next
 * prompt, and idle (docs/time.md). Ingesters fill them like ops and hand
 * them to the store in the same batch (store.h, struct store_group); the
 * store keys a turn by (session, start) and a request by its id, and merges
 * reports of the same one field by field, the more exact winning.
 */
#ifndef TOOLPROF_TIMELINE_H
#define TOOLPROF_TIMELINE_H

#include <stdint.h>

#include "op.h"

/* A turn: from the person's prompt to the end of the work it caused. */
struct turn {
    char *session_id;
    int64_t start_ms; /* the prompt */
    int64_t end_ms;   /* 0: not known (yet) */
    double active_ms; /* the client's own measure of the turn's work (without
                       * waits for the person); NAN unknown */
    enum op_source source;
};

/* One request to the model: its time and what it cost. */
struct request {
    char *id;         /* the API's request id, else the response's message id */
    char *session_id; /* NULL when unknown */
    char *project;
    char *model;
    int64_t start_ms;
    double duration_ms, ttft_ms;         /* NAN unknown */
    int64_t input_tokens, output_tokens; /* -1 unknown */
    int64_t cache_read_tokens, cache_write_tokens;
    double cost_usd;     /* NAN unknown */
    int sidechain;       /* made by a sub-agent */
    unsigned char exact; /* enum op_exact of duration_ms */
    unsigned char src;   /* enum op_phase_src of duration_ms */
    enum op_source source;
};

/* What a usage reading counts. */
enum usage_metric {
    USAGE_TOKENS_INPUT,
    USAGE_TOKENS_OUTPUT,
    USAGE_TOKENS_CACHE_READ,
    USAGE_TOKENS_CACHE_WRITE,
    USAGE_COST_USD,
    USAGE_LINES_ADDED,
    USAGE_LINES_REMOVED,
    USAGE_ACTIVE_USER_S, /* the person typing or reading */
    USAGE_ACTIVE_CLI_S,  /* the client working */
    USAGE_METRICS
};
/* "input_tokens", "cost_usd", "lines_added", "active_user_s", ... */
const char *usage_metric_name(enum usage_metric m);

/* One reading of a counter of a session. A counter is one stream: the
 * metric with one set of attributes from one process (stream, a hash of
 * them). A delta reading adds value over (start_ns, time_ns]; a
 * cumulative one is the counter's total since start_ns, and its latest
 * reading stands for all before it. The store keys delta readings by
 * their interval and cumulative ones by their start, so a reading sent
 * again counts once. */
struct usage {
    char *session_id;
    char *model; /* NULL: not per model (lines, active time) */
    enum usage_metric metric;
    uint64_t stream;
    int64_t start_ns, time_ns;
    int cumulative;
    double value; /* >= 0 */
};

void turn_init(struct turn *t);
void turn_clear(struct turn *t);
void request_init(struct request *r);
void request_clear(struct request *r);
/* Deep copies (free with the clear functions). */
void turn_copy(struct turn *dst, const struct turn *src);
void request_copy(struct request *dst, const struct request *src);

/* Check and normalize before storing, like op_normalize(): times within
 * [TP_MIN_TS_MS, now + a day], durations within 0..TP_MAX_DURATION_MS,
 * token counts >= 0, cost finite and >= 0, strings valid UTF-8 within
 * their limits (a model name over TP_MAX_TOOL bytes is refused). Returns 0
 * or TP_EINVAL with the field named in errbuf. */
int turn_normalize(struct turn *t, int64_t now_ms, char *errbuf);
int request_normalize(struct request *r, int64_t now_ms, char *errbuf);

void usage_init(struct usage *u);
void usage_clear(struct usage *u);
/* Session required; value finite in 0..1e12; time_ns within the same
 * bounds as a request's start; start_ns <= time_ns (0: unknown, taken as
 * time_ns). */
int usage_normalize(struct usage *u, int64_t now_ms, char *errbuf);

#endif
