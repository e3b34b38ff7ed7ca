/*
 * importer_int.h - what the importer's files share: importer.c (planning
 * and reading), importer_find.c (each agent's default places, the walk
 * that finds files) and importer_pending.c (finished files committed
 * together). Not for other modules.
 */
#ifndef TOOLPROF_IMPORTER_INT_H
#define TOOLPROF_IMPORTER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ingest/filemark.h"
#include "ingest/importer.h"
#include "store/store.h"

/* What a file is, as far as its place says (the content decides the
 * rest). */
enum fkind {
    FK_AUTO = 0,      /* told by content: seed, hook log, rollout, chat, transcript */
    FK_CODEX,         /* a Codex rollout */
    FK_GEMINI,        /* a Gemini CLI chat recording */
    FK_OPENCODE_DB,   /* opencode.db */
    FK_OPENCODE_FILE, /* a part or message of OpenCode's storage tree */
};

enum plan_kind { PLAN_SKIP, PLAN_READ };

struct fent {
    char *path; /* as found */
    char *key;  /* absolute, symlinks resolved: the mark's path */
    struct stat st;
    struct filemark_plan mp; /* what its mark says */
    enum plan_kind plan;
    int64_t start; /* offset to read from */
    int final;     /* the file has been idle long enough to be complete */
    int quiet;     /* found in a folder: skip foreign files silently */
    int kind;      /* enum fkind */
    int sniff;     /* named by the user: tell FK_AUTO files by content when planned */
};

struct flist {
    struct fent *v;
    size_t n, alloc;
    struct dirid {
        dev_t dev;
        ino_t ino;
    } * dirs; /* directories entered, against symlink loops */
    size_t ndirs;
};

/* Finished files waiting to be committed together: a history of many small
 * transcripts would otherwise pay a commit per file. Each file keeps its
 * own mark, written in the same transaction as its calls. */
struct pending {
    struct op *ops; /* owned copies, files back to back */
    size_t n, alloc;
    struct turn *turns; /* the same for turns and model requests */
    size_t nturns, aturns;
    struct request *reqs;
    size_t nreqs, areqs;
    struct pending_file {
        size_t first, n;
        size_t tfirst, nt, rfirst, nr;
        struct store_mark mark;
        char *path; /* owned: mark.path points here */
    } * files;
    size_t nfiles, afiles;
};

/* What a transcript read gives besides its calls: its turns and model
 * requests (borrowed), already normalized. */
struct timeline_part {
    const struct turn *turns;
    size_t nturns;
    const struct request *reqs;
    size_t nreqs;
};

/* Add a file found at path (copied) to l; the entry is zeroed but for its
 * path. */
struct fent *imp_flist_add(struct flist *l, const char *path);
/* Free the entries and the list's arrays. */
void imp_flist_free(struct flist *l);
/* Walk dir, adding the files to import: as a root of `agent` (with
 * `recursive` 0 only the files directly in it), or with agent -1 a folder
 * named on the command line, whose files are told by name and content. */
void imp_walk(struct flist *l, const char *dir, int agent, int recursive);

/* Free what p holds (p is then empty and reusable). */
void imp_pending_free(struct pending *p);
/* Commit everything pending in one transaction (nothing pending: 0).
 * Returns 0 or a negative TP_E* code with errbuf set; p is emptied. */
int imp_pending_commit(struct store *s, struct pending *p, struct importer_stats *st, char *errbuf);
/* Queue a finished file's calls, turns, requests and mark (all copied);
 * commits when batch calls or enough files wait. Returns as
 * imp_pending_commit(). */
int imp_pending_add(struct store *s, struct pending *p, const struct op *ops, size_t n,
                    const struct timeline_part *tl, const struct store_mark *m, size_t batch,
                    struct importer_stats *st, char *errbuf);

#endif
