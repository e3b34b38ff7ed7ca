/*
 * agentfile.h - what the importers of other agents' session files share:
 * the calls, turns and model requests a parser finds, a line reader over a
 * file descriptor, and a batch that stores what several files found in one
 * transaction, each file with its import mark.
 *
 * The parsers (codex.h, gemini.h, opencode.h) know their format and
 * nothing else: they push what they find into a `struct agentfile_out`,
 * which the caller hands to agentfile_batch_add(). The batch normalizes
 * every record (op_normalize, turn_normalize, request_normalize; a record
 * refused is reported as "path:line: call ID: why" and left out), keeps
 * them with the file's mark, and commits when enough is waiting: a history
 * of many small session files costs a commit per few thousand calls, not
 * one per file. A mark is only ever committed together with everything the
 * file's read before it found (filemark.h states the contract).
 *
 * Identity: the tool-call ids of these agents are the model API's ids
 * (OpenAI's "call_" + 24 characters, Gemini CLI's name and clock, OpenCode's
 * part ids), unique across sessions; a short id (a local model server
 * counting "call_0", "call_1" ...) is not, so agentfile_call_key() makes it
 * unique by its session. Every source of one agent's calls (session files,
 * telemetry, hooks) keys them the same way, so that the store merges their
 * reports of one call.
 */
#ifndef TOOLPROF_AGENTFILE_H
#define TOOLPROF_AGENTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/op.h"
#include "store/store.h"
#include "store/timeline.h"

/* An id at least this long is taken as unique on its own. */
#define AGENTFILE_UNIQUE_ID_LEN 16

/* The store key of a call: call_id when it is AGENTFILE_UNIQUE_ID_LEN
 * characters or more, else "<session>/<call_id>" (or call_id alone when
 * the session is unknown). Returns a malloc'd string. */
char *agentfile_call_key(const char *session, const char *call_id);

/* What a parser found and has not handed over yet. */
struct agentfile_out {
    struct op *ops;
    int64_t *op_off; /* byte offset of the line each op was found on (-1: none) */
    size_t n, alloc;
    struct turn *turns;
    size_t nturns, aturns;
    struct request *reqs;
    size_t nreqs, areqs;
};

/* A new op at the end (op_init'ed), found at byte offset off. */
struct op *agentfile_out_op(struct agentfile_out *o, int64_t off);
struct turn *agentfile_out_turn(struct agentfile_out *o);
struct request *agentfile_out_request(struct agentfile_out *o);
/* Free everything held (the struct itself is the caller's). */
void agentfile_out_clear(struct agentfile_out *o);

/* What imports did (added to, never reset). */
struct agentfile_stats {
    uint64_t lines, bytes; /* read */
    uint64_t ops;          /* calls found (before the store's dedupe) */
    uint64_t turns, requests;
    uint64_t malformed; /* lines or documents that could not be read (reported) */
    uint64_t rejected;  /* records op_normalize() and friends refused (reported) */
    struct store_result res;
};

struct agentfile_batch;

/* A batch storing into s, committing once batch_ops calls (0: 5000) or
 * 256 files wait. Reports go to report (NULL: silent). */
struct agentfile_batch *agentfile_batch_new(struct store *s, size_t batch_ops, FILE *report);
/* Commit what waits (a no-op when nothing does), then free. Returns the
 * commit's result. */
int agentfile_batch_free(struct agentfile_batch *b, char *errbuf);

/* Normalize and queue what out holds (out is emptied: the batch takes it)
 * with the file's mark m (may be NULL; copied). path names the file in
 * reports, fd (or -1) gives their line numbers. With now != 0 the batch commits at once (the file
 * was read only in part, or the caller wants it stored before going on). Returns 0 or a store error
 * (TP_EDB, TP_EBUSY...) with errbuf filled; on error nothing queued is stored. Counters go to st.
 */
int agentfile_batch_add(struct agentfile_batch *b, const char *path, int fd,
                        struct agentfile_out *out, const struct store_mark *m, int now,
                        struct agentfile_stats *st, char *errbuf);
/* Commit what waits. */
int agentfile_batch_commit(struct agentfile_batch *b, char *errbuf);
/* The report stream (may be NULL), for the importers' own messages. */
FILE *agentfile_batch_report(const struct agentfile_batch *b);

/* ---- reading lines ------------------------------------------------------ */

/* Called for each line: line[0..len) without its '\n' (a trailing '\r'
 * removed), starting at byte off, ending (newline included) at end; len is
 * (size_t)-1 for a line over TP_MAX_LINE, which is skipped. Returning
 * non-zero stops the read with that value. */
typedef int (*agentfile_line_fn)(void *ctx, const char *line, size_t len, int64_t off, int64_t end);

/* Read fd's lines from start to end (the size the caller fstat'ed). A last
 * line without its newline is being written and is left for later, unless
 * final says the file is complete. *consumed gets the end of the last line
 * handed over; *bytes (may be NULL) is added the bytes read. Returns 0,
 * the callback's non-zero value, or TP_EIO (errbuf names path). */
int agentfile_lines(int fd, const char *path, int64_t start, int64_t end, int final,
                    agentfile_line_fn fn, void *ctx, int64_t *consumed, uint64_t *bytes,
                    char *errbuf);

/* The first line of fd (without its newline), malloc'd into *out with its
 * length, when the file has one of at most TP_MAX_LINE bytes ending in a
 * newline. Returns 0, TP_ENOTFOUND when there is none, or TP_EIO. */
int agentfile_first_line(int fd, char **out, size_t *len);

/* Read the whole of fd (up to max bytes) into a malloc'd buffer. Returns 0,
 * TP_ETOOBIG or TP_EIO. */
int agentfile_slurp(int fd, size_t max, char **out, size_t *len);

/* Line number (1-based) of byte offset off in fd, by counting newlines
 * (for reports, which are rare). */
int64_t agentfile_line_at(int fd, int64_t off);

/* ---- small helpers the parsers share ------------------------------------ */

/* Milliseconds of an ISO 8601 time in a JSON string member (NULL member or
 * not a time: -1). */
int64_t agentfile_iso_ms(const char *s);

/* The first line of a text, at most max bytes (cut at a character
 * boundary with "…"), malloc'd; NULL for NULL or an empty first line. */
char *agentfile_first_text_line(const char *s, size_t max);

/* The exit code a shell tool reported in its output text ("Process exited
 * with code 3", "Exit code: 3", "Exit Code: 3", "exited with code: 3"), or
 * -1 when the text names none. */
int agentfile_exit_code(const char *text);

#endif
