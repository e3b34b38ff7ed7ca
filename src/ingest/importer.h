/*
 * importer.h - `toolprof import`: the session files of coding agents, and
 * toolprof's own files, into the store.
 *
 * With no path the importer reads every agent's default places (see
 * importer_agent_roots()): Claude Code's transcripts, Codex CLI's rollouts,
 * Gemini CLI's chat recordings, OpenCode's database and storage tree. With
 * paths, those files and folders. Folders are walked recursively for
 * *.jsonl (journal.jsonl excluded) and, in folders named on the command
 * line, *.json (*.meta.json excluded) and opencode.db. Each file is told by
 * its place and its content: the original's daily files and our jsonl
 * exports go to seedfile_import(), hook payload logs to hook.h, Codex
 * rollouts to codex.h, Gemini CLI recordings to gemini.h, OpenCode's
 * database and storage files to opencode.h, and everything else is read as
 * a Claude Code transcript (transcript.h).
 *
 * Import is incremental and idempotent. Every batch of ops is stored in
 * one transaction together with the file's mark (store.h states its
 * contract; filemark.h takes the one decision from it), so that:
 *   - a file read to its end and unchanged since is not read (only its
 *     fingerprint: the first and last 4 KB before the mark's offset);
 *   - a grown file is read from its mark's resume point;
 *   - a replaced file (other inode), a shrunk one, and one rewritten in
 *     place (another fingerprint, or the same size with another mtime) is
 *     read again from 0 (the store's identity makes the overlap harmless);
 *   - an import killed half-way resumes after its last committed batch.
 * A transcript whose last call is still waiting for its result keeps its
 * mark's resume point on that call's line; the file is read from there
 * when it grows, or once more when it has been idle for
 * FILEMARK_FINAL_AFTER_MS (the call is then stored as lost).
 *
 * Malformed lines are reported as "path:line: message" on opts->report
 * and skipped; the rest of the file is imported. A progress bar (files,
 * MB, ops) is drawn on stderr when opts->progress says so.
 */
#ifndef TOOLPROF_IMPORTER_H
#define TOOLPROF_IMPORTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* Ops stored per transaction. */
#define IMPORTER_BATCH_OPS 5000

enum {
    IMPORTER_PROGRESS_AUTO = -1, /* on when stderr is a terminal */
    IMPORTER_PROGRESS_OFF = 0,
    IMPORTER_PROGRESS_ON = 1,
};

struct importer_opts {
    FILE *report;     /* malformed lines and unreadable files; NULL: silent */
    int progress;     /* IMPORTER_PROGRESS_* */
    size_t batch_ops; /* 0: IMPORTER_BATCH_OPS */
    int full;         /* ignore marks: read every file from its start */
    int jsonl_only;   /* folders named in paths are read as roots of root_agent */
    int root_agent;   /* enum importer_agent (0: Claude Code, *.jsonl) */
    /* When not NULL and set non-zero by another thread, the import stops
     * after its current batch (committed with its mark) and returns
     * TP_EAGAIN. */
    const int *cancel;
};

/* Defaults: report to stderr, progress AUTO, default batch, incremental. */
void importer_opts_init(struct importer_opts *o);

/* The agents whose files the importer reads. */
enum importer_agent {
    IMPORTER_CLAUDE = 0,
    IMPORTER_CODEX,
    IMPORTER_GEMINI,
    IMPORTER_OPENCODE,
    IMPORTER_AGENTS
};
/* "claude-code", "codex", "gemini-cli", "opencode". */
const char *importer_agent_name(int agent);

/* What an import did. importer_run() and importer_file() add to it (zero
 * it first). */
struct importer_stats {
    size_t files_seen;       /* candidate files found */
    size_t files_unchanged;  /* not opened: unchanged since their mark */
    size_t files_read;       /* transcripts read (whole or from the mark) */
    size_t files_seed;       /* daily files / jsonl exports (seedfile) */
    size_t files_skipped;    /* neither transcripts nor exports */
    size_t files_failed;     /* unreadable files (reported) */
    uint64_t lines;          /* transcript lines read */
    uint64_t bytes;          /* transcript bytes read */
    uint64_t ops;            /* calls found (before the store's dedupe) */
    uint64_t malformed;      /* malformed lines (reported) */
    uint64_t rejected;       /* calls op_normalize() refused (reported) */
    struct store_result res; /* inserted / merged / unchanged in the store */
    /* Per agent: files found, calls found, calls new to the store. */
    struct importer_agent_stats {
        size_t files;
        uint64_t calls, inserted;
    } agent[IMPORTER_AGENTS];
};

/* Add b's counters to a's. */
void importer_stats_add(struct importer_stats *a, const struct importer_stats *b);

/* The folders Claude Code writes transcripts to: <dir>/projects for each
 * entry of the comma-separated $CLAUDE_CONFIG_DIR, then ~/.claude/projects
 * and ~/.config/claude/projects, without duplicates. They need not exist.
 * Returns a malloc'd array of malloc'd paths in *roots (free with
 * importer_free_roots()); 0, or TP_ENOTFOUND when no home directory is
 * known and $CLAUDE_CONFIG_DIR is unset. */
int importer_default_roots(char ***roots, size_t *n);
void importer_free_roots(char **roots, size_t n);

/* Every agent's default places: Claude Code's (importer_default_roots());
 * Codex CLI's sessions/ and archived_sessions/ under $CODEX_HOME (default
 * ~/.codex); Gemini CLI's tmp/ (and data/) under $GEMINI_CLI_HOME/.gemini
 * and ~/.gemini; OpenCode's data folder $XDG_DATA_HOME/opencode (default
 * ~/.local/share/opencode: its opencode.db, not walked) and its storage/.
 * A root that is walked (recursive) holds only that agent's files; the
 * OpenCode folder itself is looked at for opencode.db alone (it also holds
 * git snapshots). They need not exist. */
struct importer_root {
    char *path;
    int agent;     /* enum importer_agent */
    int recursive; /* 0: only the files directly in it */
};
int importer_agent_roots(struct importer_root **roots, size_t *n);
void importer_free_agent_roots(struct importer_root *roots, size_t n);

/* What an import found per agent, one line each (for `import` and
 * `serve`): its files, calls and new calls, and where it looked (roots
 * may be NULL: no places shown; a root that does not exist is not
 * shown). Agents with nothing found say so. */
void importer_summary(FILE *out, const struct importer_stats *st, const struct importer_root *roots,
                      size_t nroots);

/* The file to import when `name` changed in folder `dir` of a root of
 * `agent` (a WAL's change is its database's), or NULL: malloc'd. */
char *importer_watch_target(const char *dir, const char *name, int agent);

/* 1 when a file of this name (last path component) found in a transcript
 * folder is imported: *.jsonl except journal.jsonl. */
int importer_wants(const char *name);

/* Import paths[0..npaths) (files or folders), or every agent's default
 * roots when npaths is 0 (missing roots are skipped silently; a missing
 * path given explicitly is reported and counted as failed). Returns 0; TP_ENOTFOUND
 * when an explicit path does not exist (the others are still imported);
 * TP_EAGAIN when cancelled; or a store error (TP_EDB, TP_EBUSY), which
 * stops the import, with errbuf filled. */
int importer_run(struct store *s, const char *const *paths, size_t npaths,
                 const struct importer_opts *o, struct importer_stats *st, char *errbuf);

/* Import one file incrementally, as importer_run() does for each file (no
 * progress bar). The watcher calls this for files that changed. Returns 0
 * (also when the file was unchanged or had malformed lines), TP_EIO /
 * TP_ENOTFOUND for an unreadable file, TP_EAGAIN when cancelled, or a
 * store error. */
int importer_file(struct store *s, const char *path, const struct importer_opts *o,
                  struct importer_stats *st, char *errbuf);

/* Import the given roots (importer_agent_roots()' kind), as importer_run()
 * does with no path. */
int importer_run_roots(struct store *s, const struct importer_root *roots, size_t nroots,
                       const struct importer_opts *o, struct importer_stats *st, char *errbuf);

#endif
