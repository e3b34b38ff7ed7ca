/*
 * transcript_int.h - the transcript parser's state and what its two halves
 * share; private to src/ingest/transcript*.c.
 *
 * transcript.c reads lines (the cheap filter, the line handlers) and keeps
 * the pending calls; transcript_time.c says when calls ran and waited
 * (model requests, turns, the cost-state accounting) and finishes calls
 * into ops.
 */
#ifndef TOOLPROF_TRANSCRIPT_INT_H
#define TOOLPROF_TRANSCRIPT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/jfield.h"
#include "core/kmap.h"
#include "ingest/transcript.h"

/* One API response (message.id). The per-call slots are freed once every
 * call of the response has finished; the small record stays, indexed like
 * the message map. */
struct tc_msg {
    int64_t last_use_ms; /* timestamp of its latest tool_use line */
    int refs;            /* its calls still pending */
    size_t ncalls;
    struct tc_slot {
        int serial;      /* a mutating tool: runs alone */
        int64_t done_ms; /* result timestamp, -1 while running */
    } * calls;
};

struct tc_call {
    char *id;
    char *name;
    cJSON *input;    /* detached from its line's tree, owned; or */
    char *input_raw; /* its text, when the field extractor read the line */
    size_t input_len;
    int64_t use_ms;
    int64_t offset;
    char *session;
    char *cwd;
    char *agent;
    int sidechain;
    int old_build;      /* 1.x: tools ran after the whole response */
    long msg;           /* index in the message map, -1 without message id */
    size_t msg_idx;     /* this call's slot in its message */
    double mcp_ms;      /* last mcp_progress elapsedTimeMs, NAN if none */
    double pre_hook_ms; /* PreToolUse hook time reported, 0 if none */
    struct tc_call *prev, *next;
};

/* A call of the current turn whose wait is not known yet, or of the
 * current tool-time interval: what accounting needs to emit it again. */
struct tc_turn_call {
    char *id, *tool, *session, *cwd;
    int64_t ts_ms;
    double wall_ms, hook_ms;
    int ask;
    double exec_ms;      /* NAN unknown */
    int exec_exact;      /* enum op_exact of exec_ms */
    int no_run, spawner; /* the tool never ran; it ran a sub-agent */
};

/* The turn in progress: from a prompt to its turn_duration line. */
struct tc_turn {
    int open;
    int seen; /* this file writes turn_duration lines */
    int64_t start_ms, offset;
    double known_wait_ms; /* waits already known (questions, rejections) */
    struct tc_turn_call *calls;
    size_t n, alloc;
};

/* The calls finished since the last cost-state line, whose
 * totalToolDuration (the session's tool time so far, sub-agents' included)
 * tells how much tool time they took together. */
struct tc_acct {
    int known;       /* total_ms is the running total before these calls */
    int seen;        /* this file writes cost-state lines */
    double total_ms; /* totalToolDuration of the last cost-state line */
    int64_t offset;  /* that line's offset: a resumed read starts there */
    struct tc_turn_call *calls;
    size_t n, alloc;
};

/* A model request being written: the response's lines share its key (the
 * API's requestId, else the message id). One per thread (main, sidechain). */
struct tc_req {
    int open;
    char key[128];
    int64_t start_ms, end_ms, offset;
    int start_exact; /* start from the client's api-request line */
    char model[128], session[128], cwd[1024];
    int64_t tokens[4]; /* input, output, cache read, cache write; -1 unknown */
    int sidechain;
};

/* api-request lines (2.1.3xx): when each request was sent, by its ref. */
#define TC_APIREQ_SLOTS 64
struct tc_apireq {
    char ref[64];
    int64_t ms;
};

struct transcript {
    /* Every tool-use id seen, indexing `calls`: the pending call, or NULL
     * once it has finished (so replays are recognised). */
    struct kmap ids;
    struct tc_call **calls;
    size_t calls_alloc;
    struct kmap msg_ids; /* message id -> index in msgs */
    struct tc_msg *msgs;
    size_t msgs_alloc;
    struct tc_call *head, *tail;
    struct op *ops;
    int64_t *op_offsets; /* of each op's tool_use line */
    size_t nops, capops;
    char *mode; /* the session's permission mode, from its latest prompt */
    struct tc_turn turn;
    struct tc_acct acct;
    /* Model requests and turns found, for the caller to take. */
    struct tc_req req[2];
    int64_t last_user_ms[2]; /* per thread: the line the next request answers */
    struct tc_apireq apireq[TC_APIREQ_SLOTS];
    unsigned napireq;
    int64_t turn_last_ms; /* the current turn's latest line, for its end */
    char turn_session[128];
    struct request *reqs;
    size_t nreqs, capreqs;
    struct turn *turns_out;
    size_t nturns, capturns;
    struct transcript_stats st;
    /* The field extractor's documents: the line's, a pending call's input. */
    struct jf_doc *doc, *input_doc;
    int tree_only; /* transcript_set_tree_only() */
};

/* What the result of a call says, when there is one. */
struct tc_result {
    int64_t ms;
    struct jf_val content;
    struct jf_val tur; /* toolUseResult, when it belongs to this block */
    int is_error;
    int ask; /* from the line's permissionDecision; OP_ASK_UNKNOWN without */
};

enum tc_outcome { OUT_DONE, OUT_INTERRUPTED, OUT_LOST };

/* ---- transcript.c ------------------------------------------------------- */

/* Pending calls: free one; take one off the pending list (its id stays
 * known, so that a replay of it is recognised). */
void tc_call_free(struct tc_call *c);
void tc_call_retire(struct transcript *t, struct tc_call *c);
/* Free the calls kept for accounting. */
void tc_calls_free(struct tc_turn_call *v, size_t n);
/* A tool result's content: its size in bytes, its text (NULL when not
 * text), its first line (allocated); the sub-agent run time in an Agent
 * result's <usage> tail (NAN when none). */
int64_t tc_content_bytes(struct jf_val content);
const char *tc_content_text(struct jf_val content);
char *tc_first_line(const char *s);
/* Small readers: a member that is true; a prefix. */
int tc_is_true(struct jf_val obj, const char *key);
/* A new finished op (op_init'ed), from the tool_use line at offset. */
struct op *tc_op_push(struct transcript *t, int64_t offset);
int tc_starts_with(const char *s, const char *prefix);
/* Forget the turn in progress. */
void tc_turn_reset(struct tc_turn *tu);
double tc_usage_tail_ms(struct jf_val content);

/* ---- transcript_time.c -------------------------------------------------- */

/* A cost-state line: the tool time of the calls since the last one. */
void tc_acct_close(struct transcript *t, double total_ms, int64_t offset);
/* Turn a pending call into an op (and retire it); r is NULL for a call
 * that ended without a result (then end_ms is when that was noticed). */
void tc_call_finish(struct transcript *t, struct tc_call *c, const struct tc_result *r,
                    enum tc_outcome how, int64_t end_ms);
/* Finish, as lost, the pending calls started before cutoff_ms. */
void tc_flush_lost(struct transcript *t, int64_t cutoff_ms);
/* Model requests: an api-request line; an assistant line (its text, and
 * its document when the field extractor read it, else root is absent);
 * emit the open request of thread k (0 main, 1 sidechain) as it stands,
 * leaving it open; close it (emitted, if open). */
void tc_on_api_request(struct transcript *t, const char *s, size_t n);
void tc_on_assistant_request(struct transcript *t, const char *s, size_t n, int64_t offset,
                             struct jf_val root);
void tc_req_emit(struct transcript *t, int k);
void tc_req_close(struct transcript *t, int k);
/* Turns: emit the current one; end it (its calls' waits are shared out
 * when the client measured its active time); start one at a prompt. */
void tc_turn_emit(struct transcript *t, int64_t end_ms, double active_ms);
void tc_turn_end(struct transcript *t, int64_t end_ms, double active_ms);
void tc_turn_start(struct transcript *t, int64_t ms, int64_t offset, const char *session);

#endif
