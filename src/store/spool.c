/*
 * spool.c - the hook's append-only side door into the store (see spool.h).
 *
 * Appending: one JSON line per op, written with a single write(2) on a
 * descriptor opened O_APPEND, so that concurrent hooks (Claude Code runs
 * the hooks of parallel tool calls at once) never interleave within a
 * line: Linux serialises O_APPEND writes to a regular file under the
 * inode lock. The shared flock on spool.lock held around the open and the
 * write is not for the appenders, who do not exclude each other, but for
 * the drainer: while it holds the lock exclusively, nobody has spool.jsonl
 * open, so the rename it does then moves every complete line and no
 * appender can write into the renamed file afterwards.
 *
 * Draining, under the exclusive lock: open spool.jsonl, flock that file
 * itself, rename it to spool.<pid>.draining; then claim every other
 * *.draining file whose own flock is free (a drain that died released its
 * lock with its descriptors, so its file is up for grabs, while a live
 * drain's is not). Then release spool.lock, so that hooks append again,
 * and insert the claimed files' lines in batches, unlinking each file when
 * all of it is stored. Replaying lines is harmless because the store keys
 * calls by id.
 *
 * What a failure costs. A line that does not parse, or that
 * op_normalize() refuses, would fail again on every drain: it is set aside
 * (copied as it was into SPOOL_REJECTS, whole or not at all, once the rest
 * of its file is stored) and the file is then removed. Every other failure
 * is about storage, not about the line: the disk is full, the file system
 * read-only, the database locked, corrupt or failing. Then the drain stops
 * and keeps the file it was on and every file after it, and the next drain
 * tries again. spool_classify() makes that call from the store's error
 * code. A store error that may be a record's fault (the store calls a
 * record invalid or too big) is retried one op at a time, so that one
 * poisoned record cannot wedge the spool: what the store then refuses
 * alone, for the same kind of reason, is set aside like a bad line.
 *
 * Drains that keep failing would rename spool.jsonl to one more
 * `.draining` file each time; past SPOOL_MAX_WAITING of them spool.jsonl
 * stays where it is and grows, and the first drain that succeeds again
 * takes it in a second round.
 *
 * Each process remembers its last drain's outcome (spool_status()), which
 * is how `toolprof resources` and the server's /healthz show that spooled
 * calls are waiting on a storage error.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "opjson.h"

/* Ops per store transaction while draining. */
#define SPOOL_BATCH 1000
/* One spooled line: an op is bounded by the limits of limits.h (target,
 * error, meta, ids), and escaping at most sextuples a byte. (The fuzz
 * target sets a small one before including this file, to reach the
 * over-long path with short inputs.) */
#ifndef SPOOL_LINE_MAX
#define SPOOL_LINE_MAX                                                                             \
    (6 * (TP_MAX_TARGET + TP_MAX_ERROR + TP_MAX_META + TP_MAX_PROJECT + 2 * TP_MAX_ID +            \
          TP_MAX_TOOL) +                                                                           \
     4096)
#endif
/* Bytes copied at a time when setting lines aside. */
#define SPOOL_COPY_CHUNK (64 * 1024)

static int spool_flock(int fd, int op)
{
    int rc;
    do
        rc = flock(fd, op);
    while (rc != 0 && errno == EINTR);
    return rc;
}

/* Our code for the errno of a failed write. */
static int spool_errno_code(int e)
{
    if (e == ENOSPC || e == EDQUOT)
        return TP_ENOSPC;
    return e == EROFS ? TP_EROFS : TP_EIO;
}

static int spool_open_lock(const char *dir, char *errbuf)
{
    char path[PATH_MAX];
    if (fs_join(path, sizeof path, dir, SPOOL_LOCK) != 0)
        return tp_fail(errbuf, TP_EIO, "data directory path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
        fs_mkdirs(dir, 0700, NULL);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return tp_fail(errbuf, spool_errno_code(errno), "%s: %s", path, strerror(errno));
    return fd;
}

int spool_append(const char *data_dir, const struct op *op, int *drain_due, char *errbuf)
{
    char path[PATH_MAX];
    struct buf line;
    struct jsonw w;
    int lockfd = -1, fd = -1, rc = 0;

    if (drain_due)
        *drain_due = 0;
    buf_init(&line, SPOOL_LINE_MAX);
    /* The line starts with a newline too: if an earlier append was cut
     * short by a full disk, its fragment ends here instead of swallowing
     * this line. Empty lines are skipped when draining. */
    buf_addc(&line, '\n');
    jw_init(&w, &line);
    opjson_write(&w, op, 0);
    if (jw_finish(&w) != 0 || buf_addc(&line, '\n') != 0) {
        rc = tp_fail(errbuf, TP_EIO, "spool line for %s over %d bytes", op->tool ? op->tool : "?",
                     SPOOL_LINE_MAX);
        goto cleanup;
    }
    if (fs_join(path, sizeof path, data_dir, SPOOL_FILE) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "data directory path too long");
        goto cleanup;
    }
    if ((lockfd = spool_open_lock(data_dir, errbuf)) < 0) {
        rc = TP_EIO;
        lockfd = -1;
        goto cleanup;
    }
    if (spool_flock(lockfd, LOCK_SH) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "flock %s: %s", SPOOL_LOCK, strerror(errno));
        goto cleanup;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    ssize_t wr;
    do
        wr = write(fd, line.data, line.len);
    while (wr < 0 && errno == EINTR);
    if (wr < 0) {
        rc = tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    } else if ((size_t)wr != line.len) {
        /* Only a full disk does this. The fragment is set aside when
         * draining; the next append's leading newline ends it. */
        rc = tp_fail(errbuf, TP_EIO, "%s: short write (disk full?)", path);
    } else if (drain_due) {
        /* O_APPEND moved the offset to the end of our line. */
        off_t end = lseek(fd, 0, SEEK_CUR), start = end - (off_t)line.len;
        *drain_due =
            end > SPOOL_DRAIN_BYTES && start / SPOOL_DRAIN_BYTES != end / SPOOL_DRAIN_BYTES;
    }

cleanup:
    if (fd >= 0)
        close(fd);
    if (lockfd >= 0)
        close(lockfd); /* releases the lock */
    buf_free(&line);
    return rc;
}

static int spool_is_draining_name(const char *name)
{
    size_t n = strlen(name);
    return n > 15 && strncmp(name, "spool.", 6) == 0 && strcmp(name + n - 9, ".draining") == 0;
}

/* Bytes and number of the `.draining` files of dir. */
static void spool_scan_draining(const char *dir, long long *bytes, long long *files)
{
    char path[PATH_MAX];
    struct stat st;
    DIR *d = opendir(dir);
    *bytes = *files = 0;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (spool_is_draining_name(de->d_name) &&
            fs_join(path, sizeof path, dir, de->d_name) == 0 && stat(path, &st) == 0) {
            *bytes += (long long)st.st_size;
            (*files)++;
        }
    }
    closedir(d);
}

static long long spool_file_size(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    if (fs_join(path, sizeof path, dir, name) != 0 || stat(path, &st) != 0)
        return 0;
    return (long long)st.st_size;
}

long long spool_pending(const char *data_dir)
{
    long long bytes, files;
    spool_scan_draining(data_dir, &bytes, &files);
    return spool_file_size(data_dir, SPOOL_FILE) + bytes;
}

/* ---- the last drain's outcome, per process -------------------------------- */

static pthread_mutex_t outcome_lock = PTHREAD_MUTEX_INITIALIZER;
static int outcome_error;
static char outcome_message[TP_ERR_MAX];
static int64_t outcome_since_ms;

static void spool_note_outcome(int rc, const char *message)
{
    pthread_mutex_lock(&outcome_lock);
    if (rc == 0) {
        outcome_error = 0;
        outcome_message[0] = '\0';
        outcome_since_ms = 0;
    } else {
        if (!outcome_error)
            outcome_since_ms = tpt_now_ms();
        outcome_error = rc;
        snprintf(outcome_message, sizeof outcome_message, "%s", message);
    }
    pthread_mutex_unlock(&outcome_lock);
}

void spool_status(const char *data_dir, struct spool_status *out)
{
    long long bytes;
    memset(out, 0, sizeof *out);
    if (data_dir) {
        spool_scan_draining(data_dir, &bytes, &out->waiting_files);
        out->pending_bytes = spool_file_size(data_dir, SPOOL_FILE) + bytes;
        out->rejected_bytes = spool_file_size(data_dir, SPOOL_REJECTS);
    }
    pthread_mutex_lock(&outcome_lock);
    out->drain_error = outcome_error;
    snprintf(out->drain_message, sizeof out->drain_message, "%s", outcome_message);
    out->failing_since_ms = outcome_since_ms;
    pthread_mutex_unlock(&outcome_lock);
}

/* ---- claiming files --------------------------------------------------------- */

struct spool_claim {
    int fd; /* open and flocked; closing it releases the claim */
    char *path;
};

/* Claim path if no live drain holds it. 1 when claimed. */
static int spool_claim(struct spool_claim *c, const char *path)
{
    struct stat a, b;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (spool_flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return 0;
    }
    /* The holder may have finished (and unlinked) between our open and
     * our lock: make sure the name still leads to this file. */
    if (fstat(fd, &a) != 0 || a.st_nlink == 0 || stat(path, &b) != 0 || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev) {
        close(fd);
        return 0;
    }
    c->fd = fd;
    c->path = xstrdup(path);
    return 1;
}

static struct spool_claim *spool_claim_slot(struct spool_claim **cl, size_t n, size_t *cap)
{
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *cl = xreallocarray(*cl, *cap, sizeof **cl);
    }
    return &(*cl)[n];
}

/* Take spool.jsonl and the orphans, under the exclusive lock. *deferred is
 * set when spool.jsonl was left in place because SPOOL_MAX_WAITING files
 * already wait. */
static int spool_collect(const char *dir, struct spool_claim **out, size_t *nout, int *deferred,
                         char *errbuf)
{
    char path[PATH_MAX], dst[PATH_MAX];
    struct spool_claim *cl = NULL;
    size_t n = 0, cap = 0, waiting = 0;
    int lockfd, fd;
    struct stat st;
    DIR *d;

    *deferred = 0;
    if ((lockfd = spool_open_lock(dir, errbuf)) < 0)
        return lockfd;
    if (spool_flock(lockfd, LOCK_EX) != 0) {
        int e = errno;
        close(lockfd);
        return tp_fail(errbuf, TP_EIO, "flock %s: %s", SPOOL_LOCK, strerror(e));
    }

    /* Orphans first (before our own rename adds a .draining file). */
    if ((d = opendir(dir)) != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!spool_is_draining_name(de->d_name) ||
                fs_join(path, sizeof path, dir, de->d_name) != 0)
                continue;
            waiting++;
            n += (size_t)spool_claim(spool_claim_slot(&cl, n, &cap), path);
        }
        closedir(d);
    }

    if (waiting >= SPOOL_MAX_WAITING) {
        *deferred = spool_file_size(dir, SPOOL_FILE) > 0;
    } else if (fs_join(path, sizeof path, dir, SPOOL_FILE) == 0 &&
               (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        if (fstat(fd, &st) == 0 && st.st_size > 0 && spool_flock(fd, LOCK_EX | LOCK_NB) == 0) {
            /* A name nobody else uses: our pid, plus a counter in case a
             * dead process with our pid left its file behind. */
            int ok = 0;
            for (int k = 0; k < 1000 && !ok; k++) {
                int w = k ? snprintf(dst, sizeof dst, "%s/spool.%ld-%d.draining", dir,
                                     (long)getpid(), k)
                          : snprintf(dst, sizeof dst, "%s/spool.%ld.draining", dir, (long)getpid());
                if (w <= 0 || (size_t)w >= sizeof dst)
                    break;
                if (access(dst, F_OK) == 0)
                    continue;
                ok = rename(path, dst) == 0;
                if (!ok)
                    break;
            }
            if (ok) {
                struct spool_claim *c = spool_claim_slot(&cl, n, &cap);
                c->fd = fd;
                c->path = xstrdup(dst);
                n++;
                fd = -1;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    close(lockfd); /* appenders may go on */
    *out = cl;
    *nout = n;
    return 0;
}

/* ---- reading a claimed file ---------------------------------------------------- */

/* Lines with their place in the file, read through a buffer of one
 * line's worth (a longer line is skipped, not held in memory). */
struct spool_reader {
    int fd;
    char *buf; /* SPOOL_LINE_MAX + 2 bytes: the longest line, its newline, a NUL */
    size_t len, pos;
    int64_t base; /* file offset of buf[0] */
    int eof;
};

#define SPOOL_READ_CAP ((size_t)SPOOL_LINE_MAX + 1)

static int spool_fill(struct spool_reader *r)
{
    for (;;) {
        ssize_t k =
            pread(r->fd, r->buf + r->len, SPOOL_READ_CAP - r->len, r->base + (int64_t)r->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            r->eof = 1;
        r->len += (size_t)k;
        return 0;
    }
}

/* The next line, without its newline, NUL-terminated in the buffer: 1 with
 * *line, *len and *off set (*line NULL for a line over SPOOL_LINE_MAX,
 * with its whole length); 0 at the end of the file; -1 on a read error
 * (errno set). A last line without its newline is returned as it is. */
static int spool_next_line(struct spool_reader *r, char **line, int64_t *len, int64_t *off)
{
    for (;;) {
        char *start = r->buf + r->pos;
        size_t avail = r->len - r->pos;
        char *nl = memchr(start, '\n', avail);
        if (nl || (r->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - start) : avail;
            start[n] = '\0';
            *line = start;
            *len = (int64_t)n;
            *off = r->base + (int64_t)r->pos;
            r->pos += nl ? n + 1 : n;
            return 1;
        }
        if (r->eof)
            return 0;
        /* Move the partial line to the front and read more. */
        memmove(r->buf, start, avail);
        r->base += (int64_t)r->pos;
        r->pos = 0;
        r->len = avail;
        if (r->len < SPOOL_READ_CAP) {
            if (spool_fill(r) != 0)
                return -1;
            continue;
        }
        /* A full buffer without a newline: skip to the end of the line. */
        int64_t start_off = r->base, n = (int64_t)r->len;
        for (;;) {
            r->base += (int64_t)r->len;
            r->len = 0;
            if (spool_fill(r) != 0)
                return -1;
            nl = memchr(r->buf, '\n', r->len);
            if (nl || r->eof) {
                size_t part = nl ? (size_t)(nl - r->buf) : r->len;
                n += (int64_t)part;
                r->pos = nl ? part + 1 : part;
                break;
            }
            n += (int64_t)r->len;
        }
        *line = NULL;
        *len = n;
        *off = start_off;
        return 1;
    }
}

/* ---- draining ------------------------------------------------------------------- */

typedef int (*spool_insert_fn)(struct store *s, struct op *ops, size_t n,
                               const struct store_mark *mark, struct store_result *res,
                               char *errbuf);

/* Where an op or a refused line came from. */
struct spool_line {
    int64_t off, len;
    size_t lineno;
};

struct spool_drainer {
    struct store *s;
    spool_insert_fn insert; /* store_insert; the unit tests put failures here */
    const char *dir;
    int verbose;
    int64_t now_ms;
    struct op *batch;
    struct spool_line *from; /* batch[i] is line from[i] of `file` */
    size_t n;
    const struct spool_claim *file; /* the file being drained */
    struct spool_line *rej;         /* its lines to set aside */
    size_t nrej, arej;
    size_t set_aside;                   /* lines set aside by this drain */
    char first_reject[TP_ERR_MAX + 64]; /* "file:line: why" of the first of them */
    char pending_reject[TP_ERR_MAX + 64];
    struct store_result total;
    char errbuf[TP_ERR_MAX];
};

enum spool_fault {
    SPOOL_FAULT_STORAGE, /* keep the data, try again later */
    SPOOL_FAULT_RECORD,  /* the store calls the record itself unusable */
};

/* The store promises only TP_EBUSY and database errors (full, read-only,
 * I/O, corrupt ...) for ops op_normalize() accepted: all of them say
 * nothing about the op, and may pass later. Only an error that names the
 * input (invalid, malformed, too big, unsupported) may be the op's own. */
static enum spool_fault spool_classify(int rc)
{
    switch (rc) {
    case TP_EINVAL:
    case TP_EPARSE:
    case TP_ETOOBIG:
    case TP_EUNSUPP: return SPOOL_FAULT_RECORD;
    default: return SPOOL_FAULT_STORAGE;
    }
}

static void spool_add_result(struct store_result *t, const struct store_result *r)
{
    t->inserted += r->inserted;
    t->merged += r->merged;
    t->unchanged += r->unchanged;
}

/* Note a line of the current file to set aside. */
static void spool_reject(struct spool_drainer *dr, const struct spool_line *l, const char *why)
{
    if (dr->nrej == dr->arej) {
        dr->arej = dr->arej ? 2 * dr->arej : 16;
        dr->rej = xreallocarray(dr->rej, dr->arej, sizeof *dr->rej);
    }
    dr->rej[dr->nrej++] = *l;
    if (!dr->pending_reject[0])
        snprintf(dr->pending_reject, sizeof dr->pending_reject, "%s:%zu: %s", dr->file->path,
                 l->lineno, why);
    if (dr->verbose)
        fprintf(stderr, "%s:%zu: %s (set aside in %s)\n", dr->file->path, l->lineno, why,
                SPOOL_REJECTS);
}

static void spool_clear_batch(struct spool_drainer *dr)
{
    for (size_t i = 0; i < dr->n; i++)
        op_clear(&dr->batch[i]);
    dr->n = 0;
}

/* Store the batch. A storage error is returned at once (the caller keeps
 * the file); an error that may be a record's is retried op by op, and the
 * ops the store then refuses alone for such a reason are set aside. */
static int spool_flush(struct spool_drainer *dr)
{
    struct store_result r = {0};
    int rc;
    if (dr->n == 0)
        return 0;
    rc = dr->insert(dr->s, dr->batch, dr->n, NULL, &r, dr->errbuf);
    if (rc == 0) {
        spool_add_result(&dr->total, &r);
    } else if (spool_classify(rc) == SPOOL_FAULT_RECORD) {
        rc = 0;
        for (size_t i = 0; i < dr->n && rc == 0; i++) {
            struct store_result one = {0};
            char err[TP_ERR_MAX];
            int r1 = dr->insert(dr->s, &dr->batch[i], 1, NULL, &one, err);
            if (r1 == 0) {
                spool_add_result(&dr->total, &one);
            } else if (spool_classify(r1) == SPOOL_FAULT_RECORD) {
                spool_reject(dr, &dr->from[i], err);
            } else {
                rc = r1;
                snprintf(dr->errbuf, sizeof dr->errbuf, "%s", err);
            }
        }
    }
    spool_clear_batch(dr);
    return rc;
}

static int spool_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Append the current file's refused lines to SPOOL_REJECTS, whole or not
 * at all: on any error the file is cut back to its size before, and the
 * lines stay in the spool file, which the caller keeps. */
static int spool_set_aside(struct spool_drainer *dr)
{
    char path[PATH_MAX];
    struct stat st;
    char *chunk = NULL;
    int fd, rc = 0;

    if (fs_join(path, sizeof path, dr->dir, SPOOL_REJECTS) != 0)
        return tp_fail(dr->errbuf, TP_EIO, "data directory path too long");
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return tp_fail(dr->errbuf, spool_errno_code(errno), "%s: %s", path, strerror(errno));
    /* Drains of other processes append here too. */
    if (spool_flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
        rc = tp_fail(dr->errbuf, TP_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    chunk = xmalloc(SPOOL_COPY_CHUNK);
    for (size_t i = 0; i < dr->nrej && rc == 0; i++) {
        const struct spool_line *l = &dr->rej[i];
        for (int64_t done = 0; done < l->len && rc == 0;) {
            size_t want =
                (size_t)(l->len - done < SPOOL_COPY_CHUNK ? l->len - done : SPOOL_COPY_CHUNK);
            ssize_t k = pread(dr->file->fd, chunk, want, l->off + done);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                rc = tp_fail(dr->errbuf, TP_EIO, "%s: %s", dr->file->path,
                             k < 0 ? strerror(errno) : "shorter than when it was read");
            else if (spool_write_all(fd, chunk, (size_t)k) != 0)
                rc = tp_fail(dr->errbuf, spool_errno_code(errno), "%s: %s", path, strerror(errno));
            else
                done += k;
        }
        if (rc == 0 && spool_write_all(fd, "\n", 1) != 0)
            rc = tp_fail(dr->errbuf, spool_errno_code(errno), "%s: %s", path, strerror(errno));
    }
    /* The spool file goes next: its lines must be on disk first. */
    if (rc == 0 && fdatasync(fd) != 0)
        rc = tp_fail(dr->errbuf, spool_errno_code(errno), "%s: %s", path, strerror(errno));
    if (rc != 0 && ftruncate(fd, st.st_size) != 0) {
        /* Nothing more to do: the lines are still in the spool file, and
         * the next drain appends them again after this partial copy. */
    }
out:
    free(chunk);
    close(fd); /* releases the lock */
    return rc;
}

/* Parse one line into the next batch slot. 0, or an error with err set. */
static int spool_parse(struct spool_drainer *dr, const char *line, int64_t len, struct op *op,
                       char *err)
{
    if (!line || len > SPOOL_LINE_MAX)
        return tp_fail(err, TP_ETOOBIG, "line over %d bytes", SPOOL_LINE_MAX);
    cJSON *obj = jin_parse(line, (size_t)len, JIN_STRICT | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    int r = !obj ? TP_EPARSE
            : !cJSON_IsObject(obj)
                ? tp_fail(err, TP_EINVAL, "not a JSON object")
                : opjson_read(obj, OPJ_KEEP_SOURCE, OP_SRC_HOOK, dr->now_ms, op, err);
    cJSON_Delete(obj);
    if (r == 0)
        r = op_normalize(op, dr->now_ms, err);
    return r;
}

static int spool_drain_file(struct spool_drainer *dr, const struct spool_claim *c)
{
    struct spool_reader rd = {.fd = c->fd, .buf = xmalloc(SPOOL_READ_CAP + 1)};
    char err[TP_ERR_MAX];
    char *line;
    int64_t len, off;
    size_t lineno = 0;
    int rc = 0, r;

    dr->file = c;
    dr->nrej = 0;
    dr->pending_reject[0] = '\0';
    while (rc == 0 && (r = spool_next_line(&rd, &line, &len, &off)) == 1) {
        lineno++;
        int64_t used = len;
        while (line && used > 0 && line[used - 1] == '\r')
            line[--used] = '\0';
        if (line && used == 0)
            continue; /* the newline every append starts with */
        struct spool_line where = {off, len, lineno};
        struct op *op = &dr->batch[dr->n];
        if (spool_parse(dr, line, used, op, err) != 0) {
            op_clear(op); /* batch slots are always zeroed or op_init'ed */
            spool_reject(dr, &where, err);
            continue;
        }
        if (!op->tool_use_id)
            op->tool_use_id = op_derive_id(op, "spool");
        dr->from[dr->n] = where;
        if (++dr->n == SPOOL_BATCH)
            rc = spool_flush(dr);
    }
    if (rc == 0 && r < 0)
        rc = tp_fail(dr->errbuf, TP_EIO, "%s: %s", c->path, strerror(errno));
    if (rc == 0)
        rc = spool_flush(dr);
    spool_clear_batch(dr);
    if (rc == 0 && dr->nrej)
        rc = spool_set_aside(dr);
    if (rc == 0) {
        if (dr->nrej && !dr->set_aside)
            snprintf(dr->first_reject, sizeof dr->first_reject, "%s", dr->pending_reject);
        dr->set_aside += dr->nrej;
        if (unlink(c->path) != 0 && errno != ENOENT)
            rc = tp_fail(dr->errbuf, TP_EIO, "%s: %s", c->path, strerror(errno));
    }
    free(rd.buf);
    return rc;
}

/* spool_drain() with the store's insert function as a parameter. */
static int spool_drain_with(struct store *s, spool_insert_fn insert, struct store_result *res,
                            size_t *bad, int verbose, char *errbuf)
{
    struct spool_drainer dr = {.s = s, .insert = insert, .dir = store_dir(s), .verbose = verbose};
    struct spool_claim *cl = NULL;
    size_t ncl = 0, i;
    int rc = 0, deferred = 1;

    if (res)
        memset(res, 0, sizeof *res);
    if (bad)
        *bad = 0;
    dr.now_ms = tpt_now_ms();
    /* A second round only for a spool.jsonl left in place while too many
     * files waited (they are gone once the first round succeeded). */
    for (int round = 0; round < 2 && rc == 0 && deferred; round++) {
        rc = spool_collect(dr.dir, &cl, &ncl, &deferred, dr.errbuf);
        if (rc != 0)
            break;
        if (ncl && !dr.batch) {
            dr.batch = xcalloc(SPOOL_BATCH, sizeof *dr.batch);
            dr.from = xcalloc(SPOOL_BATCH, sizeof *dr.from);
        }
        for (i = 0; i < ncl && rc == 0; i++)
            rc = spool_drain_file(&dr, &cl[i]);
        for (i = 0; i < ncl; i++) {
            close(cl[i].fd);
            free(cl[i].path);
        }
        free(cl);
        cl = NULL;
        ncl = 0;
    }
    free(dr.batch);
    free(dr.from);
    free(dr.rej);
    char msg[TP_ERR_MAX] = "";
    if (rc != 0) {
        tp_fail(msg, rc, "hook spool kept in %s for a later drain: %s", dr.dir, dr.errbuf);
    } else if (dr.set_aside) {
        tp_fail(msg, 0, "%zu malformed spool line%s set aside in %s/%s (first: %s)", dr.set_aside,
                dr.set_aside == 1 ? "" : "s", dr.dir, SPOOL_REJECTS, dr.first_reject);
    }
    if (errbuf && msg[0])
        memcpy(errbuf, msg, sizeof msg);
    spool_note_outcome(rc, msg);
    if (res)
        *res = dr.total;
    if (bad)
        *bad = dr.set_aside;
    return rc;
}

int spool_drain(struct store *s, struct store_result *res, size_t *bad, int verbose, char *errbuf)
{
    return spool_drain_with(s, store_insert, res, bad, verbose, errbuf);
}
