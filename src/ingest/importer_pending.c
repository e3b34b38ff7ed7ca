/*
 * importer_pending.c - finished files waiting to be committed together
 * (see importer_int.h).
 *
 * A history of many small transcripts would pay a commit per file: the
 * calls, turns and model requests of each finished file are copied here
 * with the file's mark, and all of them are stored in one transaction
 * (store_insert_groups()) once IMPORTER_BATCH_OPS calls or
 * PENDING_MAX_FILES files wait, or when the run ends. Each file keeps its
 * own mark, so a failed commit leaves every file to be read again.
 */
#include "importer_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xmalloc.h"

/* Files queued before a commit, whatever their size. Each commit writes
 * again the pages it touches (rollups, sessions, the requests' and the
 * marks' indexes), so fewer commits write less: with 256, importing a
 * gigabyte of transcripts (bench/import.sh, 12,481 files) made 260k page
 * writes and 134 fdatasyncs; with 1024 (the 5,000 calls of
 * IMPORTER_BATCH_OPS come first there) 169k and 68, for 20 % less wall
 * time. A path and a mark each: 1024 of them are a few hundred KB. */
#define PENDING_MAX_FILES 1024

/* Free what is pending, keeping the arrays. */
static void pending_clear(struct pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        op_clear(&p->ops[i]);
    for (size_t i = 0; i < p->nturns; i++)
        turn_clear(&p->turns[i]);
    for (size_t i = 0; i < p->nreqs; i++)
        request_clear(&p->reqs[i]);
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].path);
    p->n = p->nturns = p->nreqs = p->nfiles = 0;
}

void imp_pending_free(struct pending *p)
{
    pending_clear(p);
    free(p->ops);
    free(p->turns);
    free(p->reqs);
    free(p->files);
    memset(p, 0, sizeof *p);
}

/* Commit everything pending in one transaction. */
int imp_pending_commit(struct store *s, struct pending *p, struct importer_stats *st, char *errbuf)
{
    if (!p->nfiles)
        return 0;
    struct store_group *g = xcalloc(p->nfiles, sizeof *g);
    for (size_t i = 0; i < p->nfiles; i++) {
        g[i].ops = p->ops + p->files[i].first;
        g[i].n = p->files[i].n;
        g[i].mark = &p->files[i].mark;
        g[i].turns = p->turns + p->files[i].tfirst;
        g[i].nturns = p->files[i].nt;
        g[i].reqs = p->reqs + p->files[i].rfirst;
        g[i].nreqs = p->files[i].nr;
    }
    int rc = store_insert_groups(s, g, p->nfiles, errbuf);
    for (size_t i = 0; rc == 0 && i < p->nfiles; i++) {
        st->res.inserted += g[i].res.inserted;
        st->res.merged += g[i].res.merged;
        st->res.unchanged += g[i].res.unchanged;
    }
    free(g);
    pending_clear(p);
    return rc;
}

/* Queue a finished file's calls, turns, requests and mark; commit when
 * enough is waiting. */
int imp_pending_add(struct store *s, struct pending *p, const struct op *ops, size_t n,
                    const struct timeline_part *tl, const struct store_mark *m, size_t batch,
                    struct importer_stats *st, char *errbuf)
{
    if (p->n + n > p->alloc) {
        while (p->n + n > p->alloc)
            p->alloc = p->alloc ? p->alloc * 2 : 1024;
        p->ops = xreallocarray(p->ops, p->alloc, sizeof *p->ops);
    }
    if (p->nfiles == p->afiles) {
        p->afiles = p->afiles ? p->afiles * 2 : 64;
        p->files = xreallocarray(p->files, p->afiles, sizeof *p->files);
    }
    if (p->nturns + tl->nturns > p->aturns) {
        while (p->nturns + tl->nturns > p->aturns)
            p->aturns = p->aturns ? p->aturns * 2 : 64;
        p->turns = xreallocarray(p->turns, p->aturns, sizeof *p->turns);
    }
    if (p->nreqs + tl->nreqs > p->areqs) {
        while (p->nreqs + tl->nreqs > p->areqs)
            p->areqs = p->areqs ? p->areqs * 2 : 256;
        p->reqs = xreallocarray(p->reqs, p->areqs, sizeof *p->reqs);
    }
    struct pending_file *pf = &p->files[p->nfiles++];
    pf->first = p->n;
    pf->n = n;
    pf->tfirst = p->nturns;
    pf->nt = tl->nturns;
    pf->rfirst = p->nreqs;
    pf->nr = tl->nreqs;
    pf->mark = *m;
    pf->path = xstrdup(m->path);
    pf->mark.path = pf->path;
    for (size_t i = 0; i < n; i++)
        op_copy(&p->ops[p->n++], &ops[i]);
    for (size_t i = 0; i < tl->nturns; i++)
        turn_copy(&p->turns[p->nturns++], &tl->turns[i]);
    for (size_t i = 0; i < tl->nreqs; i++)
        request_copy(&p->reqs[p->nreqs++], &tl->reqs[i]);
    if (p->n >= batch || p->nfiles >= PENDING_MAX_FILES)
        return imp_pending_commit(s, p, st, errbuf);
    return 0;
}
