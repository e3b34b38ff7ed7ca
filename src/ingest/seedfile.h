/*
 * seedfile.h - the original's daily files and our own exports, both ways.
 *
 * Import reads `operations_YYYY-MM-DD.json` (`{"operations": [...]}`, extra
 * keys tolerated, naive timestamps read as local time, as the original
 * wrote them with datetime.now()) and our jsonl exports (one operation
 * object per line, docs/api.md). The format is told by content, not by the
 * file name. Operations without a tool_use_id get an id derived from their
 * content and position (file name + index), so importing the same file
 * twice stores nothing new; each batch commits together with the file's
 * mark (store.h), so an import killed half-way resumes where it stopped,
 * and a file rewritten since is read again from its start.
 *
 * Export writes the same formats (and CSV) from the store.
 */
#ifndef TOOLPROF_SEEDFILE_H
#define TOOLPROF_SEEDFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ingest/filemark.h"
#include "store/store.h"

enum seedfile_kind {
    SEEDFILE_NONE = 0, /* not one of ours (maybe a transcript) */
    SEEDFILE_SEED,     /* {"operations": [...]} */
    SEEDFILE_JSONL,    /* our jsonl export */
};

/* Tell the format from the first bytes of a file (a few KB suffice). */
enum seedfile_kind seedfile_sniff(const char *head, size_t n);

struct seedfile_stats {
    size_t ops;      /* operations read */
    size_t rejected; /* invalid operations skipped (reported on stderr) */
    struct store_result res;
};

/* Import one file of kind `kind` incrementally: from the start, from
 * where its mark says the last import stopped, or not at all when it is
 * unchanged since (filemark.h). Invalid operations are reported on
 * `report` (may be NULL) as "path:line: message" and skipped; the rest of
 * the file is still imported. Returns 0, or an error for the file as a
 * whole (unreadable, not JSON) with errbuf filled. */
int seedfile_import(struct store *s, const char *path, enum seedfile_kind kind, FILE *report,
                    struct seedfile_stats *st, char *errbuf);

/* The same for a file already open on fd (fstat'ed in *sb) and planned:
 * reads from plan->start (plan->action must not be FILEMARK_UNCHANGED)
 * up to sb->st_size. path is the mark's key (absolute). */
int seedfile_import_fd(struct store *s, const char *path, int fd, const struct stat *sb,
                       enum seedfile_kind kind, const struct filemark_plan *plan, FILE *report,
                       struct seedfile_stats *st, char *errbuf);

enum seedfile_format { EXPORT_SEED_JSON, EXPORT_JSONL, EXPORT_CSV };

/* Export every stored operation in [since_ms, until_ms) to out_dir: seed
 * json writes one operations_YYYY-MM-DD.json per local day, jsonl and csv
 * one file (operations.jsonl / operations.csv). out_dir "-" writes jsonl or
 * csv to stdout. *count receives the number of operations written. */
int seedfile_export(struct store *s, enum seedfile_format fmt, const char *out_dir,
                    int64_t since_ms, int64_t until_ms, size_t *count, char *errbuf);

#endif
