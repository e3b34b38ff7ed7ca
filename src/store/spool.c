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
 * all of it is stored. A file that could not be finished (busy database)
 * stays for the next drain; replaying lines is harmless because the store
 * keys calls by id.
 *
 * A line that does not parse or does not pass op_normalize() is counted
 * and skipped, never retried: it would fail again. A batch the store
 * refuses for a reason other than a lock is retried one op at a time, so
 * that one poisoned record cannot wedge the spool forever.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "opjson.h"

/* Ops per store transaction while draining. */
#define SPOOL_BATCH 1000
/* One spooled line: an op is bounded by the limits of limits.h (target,
 * error, meta, ids), and escaping at most sextuples a byte. */
#define SPOOL_LINE_MAX                                                                             \
    (6 * (TP_MAX_TARGET + TP_MAX_ERROR + TP_MAX_META + TP_MAX_PROJECT + 2 * TP_MAX_ID +            \
          TP_MAX_TOOL) +                                                                           \
     4096)

static int spool_flock(int fd, int op)
{
    int rc;
    do
        rc = flock(fd, op);
    while (rc != 0 && errno == EINTR);
    return rc;
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
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    return fd;
}

int spool_append(const char *data_dir, const struct op *op, char *errbuf)
{
    char path[PATH_MAX];
    struct buf line;
    struct jsonw w;
    int lockfd = -1, fd = -1, rc = 0;

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
        rc = lockfd;
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
        /* Only a full disk does this. The fragment is skipped as bad when
         * draining; the next append's leading newline ends it. */
        rc = tp_fail(errbuf, TP_EIO, "%s: short write (disk full?)", path);
    }

cleanup:
    if (fd >= 0)
        close(fd);
    if (lockfd >= 0)
        close(lockfd); /* releases the lock */
    buf_free(&line);
    return rc;
}

long long spool_pending(const char *data_dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (fs_join(path, sizeof path, data_dir, SPOOL_FILE) != 0 || stat(path, &st) != 0)
        return 0;
    return (long long)st.st_size;
}

/* ---- draining ------------------------------------------------------------ */

struct spool_claim {
    int fd; /* open and flocked; closing it releases the claim */
    char *path;
};

struct spool_drainer {
    struct store *s;
    int verbose;
    int64_t now_ms;
    struct op *batch;
    size_t n;
    size_t bad;
    struct store_result total;
    char errbuf[TP_ERR_MAX];
};

static int spool_is_draining_name(const char *name)
{
    size_t n = strlen(name);
    return n > 15 && strncmp(name, "spool.", 6) == 0 && strcmp(name + n - 9, ".draining") == 0;
}

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

/* Take spool.jsonl and the orphans, under the exclusive lock. */
static int spool_collect(const char *dir, struct spool_claim **out, size_t *nout, char *errbuf)
{
    char path[PATH_MAX], dst[PATH_MAX];
    struct spool_claim *cl = NULL;
    size_t n = 0, cap = 0;
    int lockfd, fd;
    struct stat st;
    DIR *d;

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
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                cl = xreallocarray(cl, cap, sizeof *cl);
            }
            n += (size_t)spool_claim(&cl[n], path);
        }
        closedir(d);
    }

    if (fs_join(path, sizeof path, dir, SPOOL_FILE) == 0 &&
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
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    cl = xreallocarray(cl, cap, sizeof *cl);
                }
                cl[n].fd = fd;
                cl[n].path = xstrdup(dst);
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

static void spool_add_result(struct store_result *t, const struct store_result *r)
{
    t->inserted += r->inserted;
    t->merged += r->merged;
    t->unchanged += r->unchanged;
}

/* Store the batch. TP_EBUSY stops the drain; other refusals are retried
 * op by op and the ops still refused are counted as bad. */
static int spool_flush(struct spool_drainer *dr)
{
    struct store_result r = {0};
    int rc = 0;
    if (dr->n == 0)
        return 0;
    rc = store_insert(dr->s, dr->batch, dr->n, NULL, &r, dr->errbuf);
    if (rc == 0) {
        spool_add_result(&dr->total, &r);
    } else if (rc != TP_EBUSY) {
        rc = 0;
        for (size_t i = 0; i < dr->n && rc == 0; i++) {
            struct store_result one = {0};
            char err[TP_ERR_MAX];
            int r1 = store_insert(dr->s, &dr->batch[i], 1, NULL, &one, err);
            if (r1 == 0) {
                spool_add_result(&dr->total, &one);
            } else if (r1 == TP_EBUSY) {
                rc = r1;
                snprintf(dr->errbuf, sizeof dr->errbuf, "%s", err);
            } else {
                dr->bad++;
                if (dr->verbose)
                    fprintf(stderr, "spool: %s: %s\n", dr->batch[i].tool_use_id, err);
            }
        }
    }
    for (size_t i = 0; i < dr->n; i++)
        op_clear(&dr->batch[i]);
    dr->n = 0;
    return rc;
}

static int spool_drain_file(struct spool_drainer *dr, const struct spool_claim *c)
{
    char err[TP_ERR_MAX];
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    int fd = dup(c->fd);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

    if (!f) {
        if (fd >= 0)
            close(fd);
        return tp_fail(dr->errbuf, TP_EIO, "%s: %s", c->path, strerror(errno));
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        struct op *op = &dr->batch[dr->n];
        cJSON *obj = len <= SPOOL_LINE_MAX ? jin_parse(line, (size_t)len, JIN_STRICT | JIN_NUMFMT,
                                                       TP_MAX_JSON_DEPTH, err)
                                           : NULL;
        if (len > SPOOL_LINE_MAX)
            snprintf(err, sizeof err, "line over %d bytes", SPOOL_LINE_MAX);
        int r = !obj ? TP_EPARSE
                : !cJSON_IsObject(obj)
                    ? tp_fail(err, TP_EINVAL, "not a JSON object")
                    : opjson_read(obj, OPJ_KEEP_SOURCE, OP_SRC_HOOK, dr->now_ms, op, err);
        cJSON_Delete(obj);
        if (r == 0)
            r = op_normalize(op, dr->now_ms, err);
        if (r != 0) {
            dr->bad++;
            if (dr->verbose)
                fprintf(stderr, "%s:%zu: %s\n", c->path, lineno, err);
            op_clear(op); /* batch slots are always zeroed or op_init'ed */
            continue;
        }
        if (!op->tool_use_id)
            op->tool_use_id = op_derive_id(op, "spool");
        if (++dr->n == SPOOL_BATCH && (rc = spool_flush(dr)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = tp_fail(dr->errbuf, TP_EIO, "%s: read error", c->path);
    if (rc == 0)
        rc = spool_flush(dr);
    if (rc == 0 && unlink(c->path) != 0 && errno != ENOENT)
        rc = tp_fail(dr->errbuf, TP_EIO, "%s: %s", c->path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

int spool_drain(struct store *s, struct store_result *res, size_t *bad, int verbose, char *errbuf)
{
    struct spool_drainer dr = {.s = s, .verbose = verbose};
    struct spool_claim *cl = NULL;
    size_t ncl = 0, i;
    int rc;

    if (res)
        memset(res, 0, sizeof *res);
    if (bad)
        *bad = 0;
    rc = spool_collect(store_dir(s), &cl, &ncl, errbuf);
    if (rc != 0)
        return rc;
    dr.now_ms = tpt_now_ms();
    if (ncl)
        dr.batch = xcalloc(SPOOL_BATCH, sizeof *dr.batch);
    for (i = 0; i < ncl && rc == 0; i++) {
        rc = spool_drain_file(&dr, &cl[i]);
        if (rc != 0)
            tp_fail(errbuf, rc, "%s", dr.errbuf);
    }
    for (i = 0; i < ncl; i++) {
        close(cl[i].fd);
        free(cl[i].path);
    }
    free(cl);
    free(dr.batch);
    if (res)
        *res = dr.total;
    if (bad)
        *bad = dr.bad;
    return rc;
}
