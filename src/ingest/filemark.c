/*
 * filemark.c - the import mark of a file: its fingerprint, and the one
 * decision taken from it (see filemark.h; the contract is in store.h).
 *
 * filemark_decide() goes from the strongest evidence of a different file
 * to the weakest: no mark, another inode, shorter than what was read, a
 * mark without a fingerprint (from before schema 6: trusted only when it
 * says the file was read to an end that has not moved), another
 * fingerprint, the same size with another mtime. Only a file that passes
 * all of these is the one that was read; it is then resumed when it has
 * more than the mark's offset, and unchanged when it has not.
 */
#include "filemark.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Read exactly n bytes at off. Returns 0, 1 at the end of the file, or
 * TP_EIO. */
static int read_at(int fd, char *buf, size_t n, int64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + (int64_t)got));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return TP_EIO;
        }
        if (k == 0)
            return 1;
        got += (size_t)k;
    }
    return 0;
}

int filemark_fingerprint(int fd, int64_t offset, int64_t len, uint64_t *out)
{
    char head[FILEMARK_FP_BYTES], tail[FILEMARK_FP_BYTES];
    if (len < 0 || len > FILEMARK_FP_BYTES || len > offset)
        return TP_EINVAL;
    int rc = read_at(fd, head, (size_t)len, 0);
    if (rc == 0)
        rc = read_at(fd, tail, (size_t)len, offset - len);
    if (rc != 0)
        return rc;
    uint64_t h = hash_bytes(HASH_SEED, head, (size_t)len);
    *out = hash_final(hash_bytes(h, tail, (size_t)len));
    return 0;
}

static int64_t fp_window(int64_t offset)
{
    return offset < FILEMARK_FP_BYTES ? offset : FILEMARK_FP_BYTES;
}

static int plan(struct filemark_plan *p, enum filemark_action a, int64_t start, const char *why)
{
    p->action = a;
    p->start = a == FILEMARK_RESTART ? 0 : start;
    p->why = why;
    return 0;
}

int filemark_decide(const struct store_mark *m, int fd, const struct stat *st, int64_t now_ms,
                    struct filemark_plan *out)
{
    int64_t size = (int64_t)st->st_size, mt = mtime_ns(st);
    out->final = now_ms - mt / 1000000 >= FILEMARK_FINAL_AFTER_MS;
    if (!m)
        return plan(out, FILEMARK_RESTART, 0, "new");
    if (m->inode != (uint64_t)st->st_ino)
        return plan(out, FILEMARK_RESTART, 0, "replaced");
    if (m->offset < 0 || m->resume < 0 || m->resume > m->offset)
        return plan(out, FILEMARK_RESTART, 0, "invalid mark");
    if (size < m->offset)
        return plan(out, FILEMARK_RESTART, 0, "shrunk");
    if (m->fp_len < 0) {
        /* Written before marks had fingerprints: nothing says the bytes
         * before the offset are the ones read, and the offsets of some
         * formats were not bytes then. Trusted only for a file read to its
         * end that has not changed since; read again otherwise. */
        if (m->offset == size && m->resume == m->offset && m->size == size && m->mtime_ns == mt)
            return plan(out, FILEMARK_UNCHANGED, m->offset, "unchanged");
        return plan(out, FILEMARK_RESTART, 0, "no fingerprint");
    }
    if (m->fp_len != fp_window(m->offset))
        return plan(out, FILEMARK_RESTART, 0, "invalid mark");
    uint64_t fp;
    int rc = filemark_fingerprint(fd, m->offset, m->fp_len, &fp);
    if (rc < 0)
        return TP_EIO;
    if (rc == 1 || fp != m->fp_hash)
        return plan(out, FILEMARK_RESTART, 0, "rewritten");
    /* Appending changes the size. The same size with another mtime is a
     * rewrite in place, which may have changed bytes the fingerprint does
     * not cover (or a touch, which costs a read). */
    if (size == m->size && mt != m->mtime_ns)
        return plan(out, FILEMARK_RESTART, 0, "rewritten in place");
    if (size > m->offset)
        return plan(out, FILEMARK_RESUME, m->resume, size > m->size ? "grown" : "interrupted");
    if (m->resume == m->offset)
        return plan(out, FILEMARK_UNCHANGED, m->resume, "unchanged");
    if (out->final)
        return plan(out, FILEMARK_RESUME, m->resume, "final");
    return plan(out, FILEMARK_UNCHANGED, m->resume, "waiting");
}

int filemark_check(struct store *s, const char *path, int fd, const struct stat *st, int64_t now_ms,
                   int full, struct filemark_plan *out, char *errbuf)
{
    struct store_mark m;
    int found = 0;
    if (!full && store_mark_get(s, path, &m, &found) != 0)
        return tp_fail(errbuf, TP_EDB, "%s: reading its import mark failed", path);
    if (filemark_decide(found ? &m : NULL, fd, st, now_ms, out) != 0)
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    if (full && out->action == FILEMARK_RESTART)
        out->why = "full";
    return 0;
}

void filemark_set(struct store_mark *m, const char *path, int fd, const struct stat *st,
                  int64_t resume, int64_t offset)
{
    memset(m, 0, sizeof *m);
    m->path = path;
    m->offset = offset;
    m->resume = resume;
    m->size = (int64_t)st->st_size;
    m->mtime_ns = mtime_ns(st);
    m->inode = (uint64_t)st->st_ino;
    m->fp_len = fp_window(offset);
    if (resume < 0 || resume > offset || filemark_fingerprint(fd, offset, m->fp_len, &m->fp_hash))
        m->fp_len = -1; /* cannot vouch for the content: the next check reads it again */
}
