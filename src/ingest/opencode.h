/*
 * opencode.h - OpenCode sessions into operations, turns and model
 * requests: its SQLite database (1.2 and later) and the JSON tree of older
 * versions.
 *
 *   $XDG_DATA_HOME/opencode/opencode.db  (default ~/.local/share/opencode)
 *       tables session (id, parent_id for a sub-agent's session,
 *       directory, version, permission), message and part (a JSON `data`
 *       column each), in WAL mode, written by OpenCode while it runs;
 *   .../opencode/storage/   session/<project>/<session>.json,
 *       message/<session>/<message>.json, part/<message>/<part>.json.
 *
 * A tool call is a part {type: "tool", callID, tool, state: {status,
 * input, output | error, metadata, time: {start, end}}}, updated in place
 * from pending to running to completed or error. Its times are OpenCode's
 * own, in ms: the call's wall time, measured, but including any approval,
 * since OpenCode asks for permission inside the tool's run. So (docs/time.md,
 * "OpenCode"):
 *
 *   wall      state.time.end - start (exact).
 *   exec      the wall, when no approval was possible: the tool's
 *             permission resolves to "allow" in the session's rules and in
 *             OpenCode's config files (global and the project's), and a
 *             file tool's path is inside the project (outside it OpenCode
 *             asks, "external_directory"); otherwise unknown.
 *   success   0 for status error, and for bash with metadata.exit != 0;
 *             a rejected permission is the person's time (wait), not a run.
 *   tool_use_id   the part's id; agent "opencode", agent_version the
 *             session's version; a sub-agent's session belongs to its
 *             parent (subagent = its own id).
 *
 * Assistant messages are model requests (model, tokens, cost; from their
 * creation to their first tool call, or to their completion); a user
 * message and the assistant messages answering it (parentID) a turn.
 *
 * The database is opened read-only ("mode=ro", never writing, never
 * checkpointing) with a short busy timeout, and read in pages of rows
 * ordered by time_updated, each page its own short read transaction: a
 * reader in WAL mode never blocks OpenCode's writes, and short reads let
 * its checkpoints complete. What has been read is remembered by the
 * database's import mark: the newest time_updated stored (calls still
 * running hold it back), so that the next import reads only rows updated
 * since (less OPENCODE_SLACK_MS, for commits that land out of order; what
 * is read twice is recognised by its id).
 */
#ifndef TOOLPROF_OPENCODE_H
#define TOOLPROF_OPENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ingest/agentfile.h"
#include "ingest/filemark.h"

#define OPENCODE_AGENT "opencode"
/* Rows updated this long before the mark's watermark are read again. */
#define OPENCODE_SLACK_MS (5LL * 60 * 1000)
/* Milliseconds the reader waits for a lock before giving up for now. */
#define OPENCODE_BUSY_MS 100
/* Rows per page (one read transaction each). */
#define OPENCODE_PAGE_ROWS 2000

/* What one import run learns once and uses for many files: sessions,
 * messages, the permission rules of each project. */
struct opencode_ctx;
struct opencode_ctx *opencode_ctx_new(void);
void opencode_ctx_free(struct opencode_ctx *x);

/* 1 when the first bytes are an SQLite database's. */
int opencode_sniff_db(const char *head, size_t n);

/* The database stayed locked past OPENCODE_BUSY_MS (a value apart from
 * the store's TP_EBUSY: it is the file's problem, not the import's). */
#define OPENCODE_BUSY 2

/* Import the database at path (key: its mark's path), incrementally
 * unless full. Returns 0 (read), 1 (unchanged since its mark),
 * OPENCODE_BUSY (locked: read it later; nothing stored), TP_EPARSE (not an
 * OpenCode database), TP_EIO, or a store error (TP_EDB, TP_EBUSY); errbuf
 * says what. */
int opencode_db_import(struct agentfile_batch *b, struct store *s, struct opencode_ctx *x,
                       const char *key, const char *path, int full, const int *cancel,
                       struct agentfile_stats *st, char *errbuf);

/* The kinds of files of the storage tree that are imported. */
enum opencode_file { OPENCODE_PART = 1, OPENCODE_MESSAGE = 2 };
/* Which kind path is (by its place under a storage/ folder), or 0. */
int opencode_storage_kind(const char *path);

/* Import one part or message file of the storage tree, open on fd (read
 * whole: OpenCode rewrites these files). A tool part whose status is none
 * of OpenCode's is skipped and reported (counted malformed); a session
 * whose file is missing is reported once per run, its calls stored without
 * project and version. */
int opencode_file_import_fd(struct agentfile_batch *b, struct opencode_ctx *x, const char *key,
                            const char *path, int fd, const struct stat *sb, int kind,
                            struct agentfile_stats *st, char *errbuf);

#endif
