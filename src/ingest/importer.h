/*
 * importer.h - `toolprof import`: transcript folders and files into the store.
 *
 * With no path the importer reads the default roots (see
 * importer_default_roots()); with paths, those files and folders. Folders
 * are walked recursively for *.jsonl (journal.jsonl excluded) and, in
 * folders named on the command line, *.json (*.meta.json excluded).
 * Each file is told by content: the original's daily files and our jsonl
 * exports go to seedfile_import(), everything else is read as a Claude
 * Code transcript (transcript.h).
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
    int jsonl_only;   /* folders named in paths: *.jsonl only, as the roots */
    /* When not NULL and set non-zero by another thread, the import stops
     * after its current batch (committed with its mark) and returns
     * TP_EAGAIN. */
    const int *cancel;
};

/* Defaults: report to stderr, progress AUTO, default batch, incremental. */
void importer_opts_init(struct importer_opts *o);

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

/* 1 when a file of this name (last path component) found in a transcript
 * folder is imported: *.jsonl except journal.jsonl. */
int importer_wants(const char *name);

/* Import paths[0..npaths) (files or folders), or the default roots when
 * npaths is 0 (missing roots are skipped silently; a missing path given
 * explicitly is reported and counted as failed). Returns 0; TP_ENOTFOUND
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

#endif
