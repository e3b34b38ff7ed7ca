/*
 * filemark.h - where the import of a file stands, and what to do with it
 * next: the one decision every importer takes from its mark.
 *
 * An import stores a file's records in batches, each committed together
 * with the file's mark (struct store_mark in store/store.h, which states
 * the contract). When the file is seen again, filemark_decide() compares
 * the file with its mark and says one of three things:
 *
 *   unchanged  the mark's offset is the file's end, and the file is the
 *              one that was read (inode, fingerprint, mtime): nothing to
 *              read;
 *   resume     the file is the one that was read, and has more after the
 *              offset (it grew, or the import that wrote the mark was
 *              stopped before the end): read from the mark's resume point;
 *   restart    the file is new, or not the one that was read (another
 *              inode, shorter than the offset, another fingerprint, or the
 *              same size with another mtime: rewritten in place): read it
 *              again from its start. Calls are keyed by their ids, so what
 *              was stored already comes back as "unchanged" calls, never
 *              twice.
 *
 * The fingerprint is a 64-bit hash of the first and the last
 * FILEMARK_FP_BYTES before the offset: a file rewritten in place (cp over
 * it, rsync --inplace, a restored backup) keeps its inode, and often grows,
 * so only its content tells that the bytes before the offset are not the
 * ones imported. It is read from the file itself (two small preads), for
 * the mark when it is written (filemark_set) and for the check.
 *
 * A file whose offset is its end but whose resume point is earlier has an
 * incomplete last record (a transcript call still waiting for its result,
 * a line being written): it is unchanged until it grows, or until it has
 * been idle for FILEMARK_FINAL_AFTER_MS; then it is read once more from the
 * resume point, as final (the incomplete record is the file's last word).
 */
#ifndef TOOLPROF_FILEMARK_H
#define TOOLPROF_FILEMARK_H

#include <stdint.h>
#include <sys/stat.h>

#include "ingest/transcript.h"
#include "store/store.h"

/* Bytes hashed at each end of the content before a mark's offset. */
#define FILEMARK_FP_BYTES 4096
/* A file idle this long will not be written to again: a call that waits
 * for its result is lost, a last line without its newline is complete. */
#define FILEMARK_FINAL_AFTER_MS TRANSCRIPT_LOST_AFTER_MS

enum filemark_action {
    FILEMARK_UNCHANGED = 0,
    FILEMARK_RESUME,
    FILEMARK_RESTART,
};

struct filemark_plan {
    enum filemark_action action;
    int64_t start;   /* where to read from: 0 for RESTART, else the resume point */
    int final;       /* idle for FILEMARK_FINAL_AFTER_MS (see above) */
    const char *why; /* a short reason, static: "new", "grown", "rewritten", ... */
};

/* Decide what to do with the file open on fd, whose fstat() is *st, given
 * its mark (NULL: it has none). now_ms tells whether the file is final.
 * Returns 0 with *out filled, or TP_EIO when the fingerprint cannot be
 * read. */
int filemark_decide(const struct store_mark *m, int fd, const struct stat *st, int64_t now_ms,
                    struct filemark_plan *out);

/* Read path's mark from the store and decide (full: ignore the mark, read
 * from the start). Returns 0, TP_EDB when the mark cannot be read, or
 * TP_EIO (errbuf filled, naming path). */
int filemark_check(struct store *s, const char *path, int fd, const struct stat *st, int64_t now_ms,
                   int full, struct filemark_plan *out, char *errbuf);

/* Fill *m for a batch that has read the file open on fd (as fstat'ed in
 * *st when the read began) up to offset, to be resumed at resume
 * (0 <= resume <= offset <= st->st_size). The fingerprint is read from fd;
 * when that fails (the file shrank under the read) the mark has none, and
 * the next check reads the file again. m->path is set to path (not
 * copied). */
void filemark_set(struct store_mark *m, const char *path, int fd, const struct stat *st,
                  int64_t resume, int64_t offset);

/* The fingerprint of the content before offset with a window of len bytes
 * (len <= offset, len <= FILEMARK_FP_BYTES). Returns 0, 1 when the file
 * ends before offset, or TP_EIO. */
int filemark_fingerprint(int fd, int64_t offset, int64_t len, uint64_t *out);

#endif
