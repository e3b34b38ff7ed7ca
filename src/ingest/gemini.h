/*
 * gemini.h - Gemini CLI chat recordings into operations and model requests.
 *
 * Gemini CLI records each session under ~/.gemini/tmp/<project>/chats/
 * (<project> is a short name, or in older builds the SHA-256 of the project
 * root; the folder's .project_root file holds the real path). Sub-agents'
 * sessions are in chats/<parent session id>/.
 *
 *   session-<time>-<id8>.jsonl  one record per line: first the metadata
 *       ({sessionId, projectHash, startTime, kind}); then messages ({id,
 *       timestamp, type: user | gemini | info | error | warning, content,
 *       toolCalls, tokens, model}), each appended again, whole, every time
 *       it changes (the last record of an id wins); {"$set": {...}} patches
 *       the metadata (and may replace the whole message list);
 *       {"$rewindTo": id} cuts the conversation back to before that message.
 *   session-*.json   older builds: one JSON document, {sessionId, ...,
 *       messages: [...]}, rewritten whole on every change.
 *
 * A tool call is recorded once it has finished, in its gemini message's
 * toolCalls[] ({id, name, args, result, status, timestamp}). What becomes
 * of it (docs/time.md, "Gemini CLI"):
 *
 *   ts_ms    when the model asked for it: the clock Gemini CLI puts in the
 *            call id ("<name>_<ms>_<n>"), else the message's timestamp.
 *   wall     to the call's timestamp, which is when its batch of calls was
 *            recorded (after the last of a parallel batch ended): an
 *            estimate, which includes any approval.
 *   exec     the wall, for tools that never ask (read_file, glob,
 *            grep_search, list_directory ...); unknown otherwise (the files
 *            do not say whether a prompt was shown: telemetry and hooks do).
 *   success  0 for status error or cancelled, and for a shell command whose
 *            "Exit Code: N" is not 0.
 *   tool_use_id  agentfile_call_key(session, call id); agent "gemini-cli".
 *
 * Every gemini message with token counts is a model request (id the
 * message's, made unique by its session when short, as calls' ids are:
 * agentfile_call_key(); tokens and model as recorded; no duration in the
 * files).
 *
 * Rewinds and rewrites: calls are taken from every record of a message,
 * the last record of each call id winning within a read; a call recorded
 * before a $rewindTo ran and took its time, so it is kept. Taking them
 * record by record makes a read of the whole file and reads of its parts
 * (a file growing between imports) store the same calls. A grown file is
 * nonetheless read again whole (the hooks' runs are paired with calls over
 * the whole session).
 *
 * With Gemini CLI's hooks installed (`toolprof install-hook --agent
 * gemini`), a call's exec is the time between its BeforeTool and AfterTool
 * (derived, source hook: after any approval), found by session, tool and
 * arguments (gemhook.h).
 */
#ifndef TOOLPROF_GEMINI_H
#define TOOLPROF_GEMINI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ingest/agentfile.h"
#include "ingest/filemark.h"

#define GEMINI_AGENT "gemini-cli"

struct gemini;

/* A new parser pushing into out. parent_session (may be NULL) is the
 * session a sub-agent's file belongs to (its folder's name); project (may
 * be NULL) the project root. */
struct gemini *gemini_new(struct agentfile_out *out, const char *parent_session,
                          const char *project);
void gemini_free(struct gemini *g);

/* Feed one JSONL record (a line without its newline) found at off.
 * Returns 0, or TP_EPARSE with the reason in errbuf. */
int gemini_feed(struct gemini *g, const char *line, size_t len, int64_t off, char *errbuf);
/* Feed a whole legacy .json document. Returns 0 or TP_EPARSE. */
int gemini_feed_document(struct gemini *g, const char *text, size_t len, char *errbuf);
/* Hand what was collected to out (calls and requests, last record wins).
 * With a hooks folder set, each call first gets the execution time of its
 * BeforeTool/AfterTool run (gemhook.h). */
void gemini_flush(struct gemini *g);
/* The data directory whose gemini-hooks/ holds the hooks' facts (NULL:
 * none; copied). */
void gemini_set_hooks_dir(struct gemini *g, const char *data_dir);

/* 1 when the first bytes of a file are a Gemini CLI recording's (a record
 * or document with sessionId and projectHash); 2 for the legacy document. */
int gemini_sniff(const char *head, size_t n);

/* Import one planned recording open on fd: whole, whatever the plan's
 * start (a grown file is read again; the store recognises what it has by
 * the ids). project and parent_session as for gemini_new(); hooks_dir as
 * for gemini_set_hooks_dir() (may be NULL). */
int gemini_import_fd(struct agentfile_batch *b, const char *key, const char *path, int fd,
                     const struct stat *sb, const struct filemark_plan *plan,
                     const char *parent_session, const char *project, const char *hooks_dir,
                     const int *cancel, struct agentfile_stats *st, char *errbuf);

#endif
