/*
 * auth.c - the team's tokens (see auth.h).
 *
 * The file has one line per token: "NAME SHA256HEX", '#' lines are
 * comments. It is read whole into memory; a request compares the hash of
 * its token with every line's, always all of them and byte by byte without
 * an early exit, so the time taken says nothing about which bytes matched.
 * The file is looked at again (stat) at most once a second, so a token
 * added or removed while the server runs counts within a second.
 */
#include "server/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

#define AUTH_MAX_TOKENS 10000

struct entry {
    char name[AUTH_NAME_MAX + 1];
    unsigned char hash[SHA256_LEN];
};

struct auth {
    char path[4200];
    pthread_mutex_t mu;
    struct entry *v;
    size_t n;
    struct timespec mtime;
    off_t size;
    int64_t checked_ms; /* monotonic */
};

int auth_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 1 && n <= AUTH_NAME_MAX &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse the file's text into entries (bad lines are skipped and said once). */
static void parse(struct auth *a, char *text)
{
    free(a->v);
    a->v = NULL;
    a->n = 0;
    size_t alloc = 0, lineno = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char name[AUTH_NAME_MAX + 2], hex[2 * SHA256_LEN + 2];
        if (line[0] != '#' && line[0] && sscanf(line, "%65s %65s", name, hex) == 2 &&
            auth_name_ok(name) && strlen(hex) == 2 * SHA256_LEN && a->n < AUTH_MAX_TOKENS) {
            struct entry e;
            int ok = 1;
            size_t nlen = strlen(name); /* auth_name_ok(): at most AUTH_NAME_MAX */
            if (nlen >= sizeof e.name)
                nlen = sizeof e.name - 1;
            memcpy(e.name, name, nlen);
            e.name[nlen] = '\0';
            for (int i = 0; i < SHA256_LEN && ok; i++) {
                int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
                ok = hi >= 0 && lo >= 0;
                e.hash[i] = (unsigned char)(hi * 16 + lo);
            }
            if (ok) {
                if (a->n == alloc) {
                    alloc = alloc ? 2 * alloc : 16;
                    a->v = xreallocarray(a->v, alloc, sizeof *a->v);
                }
                a->v[a->n++] = e;
            } else {
                fprintf(stderr, "toolprof: %s:%zu: not a token line (skipped)\n", a->path, lineno);
            }
        } else if (line[0] && line[0] != '#') {
            fprintf(stderr, "toolprof: %s:%zu: not a token line (skipped)\n", a->path, lineno);
        }
        line = next;
    }
}

/* Read the file again when it changed (called with a->mu held). */
static void refresh(struct auth *a)
{
    int64_t now = tpt_mono_ns() / 1000000;
    if (a->checked_ms && now - a->checked_ms < 1000)
        return;
    a->checked_ms = now;
    struct stat st;
    if (stat(a->path, &st) != 0) {
        free(a->v);
        a->v = NULL;
        a->n = 0;
        a->size = 0;
        memset(&a->mtime, 0, sizeof a->mtime);
        return;
    }
    if (st.st_size == a->size && st.st_mtim.tv_sec == a->mtime.tv_sec &&
        st.st_mtim.tv_nsec == a->mtime.tv_nsec)
        return;
    int fd = open(a->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct buf b;
    char err[TP_ERR_MAX];
    buf_init(&b, (size_t)AUTH_MAX_TOKENS * 200);
    if (fs_read_all(fd, &b, a->path, err) == 0) {
        parse(a, b.data ? b.data : (char *)"");
        a->size = st.st_size;
        a->mtime = st.st_mtim;
    } else {
        fprintf(stderr, "toolprof: %s\n", err);
    }
    buf_free(&b);
    close(fd);
}

struct auth *auth_open(const char *data_dir)
{
    struct auth *a = xcalloc(1, sizeof *a);
    fs_join(a->path, sizeof a->path, data_dir, AUTH_FILE);
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_lock(&a->mu);
    refresh(a);
    pthread_mutex_unlock(&a->mu);
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a->v);
    free(a);
}

int auth_active(struct auth *a)
{
    pthread_mutex_lock(&a->mu);
    refresh(a);
    int n = a->n > 0;
    pthread_mutex_unlock(&a->mu);
    return n;
}

int auth_person(struct auth *a, const char *token, char *person, size_t size)
{
    if (!token || !*token || strlen(token) > 1024)
        return 0;
    struct sha256 c;
    unsigned char h[SHA256_LEN];
    sha256_init(&c);
    sha256_add(&c, token, strlen(token));
    sha256_done(&c, h);
    pthread_mutex_lock(&a->mu);
    refresh(a);
    long found = -1;
    for (size_t i = 0; i < a->n; i++) {
        unsigned diff = 0;
        for (int k = 0; k < SHA256_LEN; k++)
            diff |= (unsigned)(a->v[i].hash[k] ^ h[k]);
        /* No early exit: every line is compared. */
        found = diff == 0 && found < 0 ? (long)i : found;
    }
    if (found >= 0)
        snprintf(person, size, "%s", a->v[found].name);
    pthread_mutex_unlock(&a->mu);
    return found >= 0;
}

/* ---- the file, from the command line ------------------------------------------- */

static int lock_file(const char *data_dir, char *path, size_t size, char *errbuf)
{
    int rc = fs_mkdirs(data_dir, 0700, errbuf);
    if (rc)
        return rc;
    char lock[4300];
    fs_join(path, size, data_dir, AUTH_FILE);
    snprintf(lock, sizeof lock, "%s.lock", path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot lock %s: %s", lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return fd;
}

int auth_add(const char *data_dir, const char *name, char *token, char *errbuf)
{
    if (!auth_name_ok(name))
        return tp_fail(errbuf, TP_EINVAL,
                       "a person's name is 1 to %d letters, digits, '.', '_' or '-'",
                       AUTH_NAME_MAX);
    unsigned char rnd[32];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return tp_fail(errbuf, TP_EIO, "no random bytes: %s", strerror(errno));
    static const char hex[] = "0123456789abcdef";
    memcpy(token, "tp_", 3);
    for (int i = 0; i < 32; i++) {
        token[3 + 2 * i] = hex[rnd[i] >> 4];
        token[3 + 2 * i + 1] = hex[rnd[i] & 15];
    }
    token[AUTH_TOKEN_LEN] = '\0';
    char path[4200], digest[2 * SHA256_LEN + 1];
    int lk = lock_file(data_dir, path, sizeof path, errbuf);
    if (lk < 0)
        return lk;
    sha256_hex(token, AUTH_TOKEN_LEN, digest);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    char line[AUTH_NAME_MAX + 2 * SHA256_LEN + 8];
    int n = snprintf(line, sizeof line, "%s %s\n", name, digest);
    if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0)
        rc = tp_fail(errbuf, TP_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    close(lk);
    return rc;
}

/* Read the whole file (NULL when there is none). */
static char *read_file(const char *path, char *errbuf, int *rc)
{
    *rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            *rc = tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b, (size_t)AUTH_MAX_TOKENS * 200);
    *rc = fs_read_all(fd, &b, path, errbuf);
    close(fd);
    if (*rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

int auth_remove(const char *data_dir, const char *name, char *errbuf)
{
    char path[4200], tmp[4300];
    int lk = lock_file(data_dir, path, sizeof path, errbuf);
    if (lk < 0)
        return lk;
    int rc;
    char *text = read_file(path, errbuf, &rc);
    int removed = 0;
    if (rc == 0 && text) {
        struct buf out;
        buf_init(&out, strlen(text) + 1);
        size_t nlen = strlen(name);
        for (char *line = text; *line;) {
            char *next = strchr(line, '\n');
            size_t len = next ? (size_t)(next - line + 1) : strlen(line);
            if (strncmp(line, name, nlen) == 0 && line[nlen] == ' ')
                removed++;
            else
                buf_add(&out, line, len);
            line += len;
        }
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, out.data ? out.data : "", out.len) != (ssize_t)out.len ||
            fsync(fd) != 0 || rename(tmp, path) != 0)
            rc = tp_fail(errbuf, TP_EIO, "cannot rewrite %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        buf_free(&out);
    }
    free(text);
    close(lk);
    if (rc == 0 && !removed)
        rc = tp_fail(errbuf, TP_ENOTFOUND, "%s has no token", name);
    return rc;
}

int auth_list(const char *data_dir, auth_name_cb cb, void *ctx, char *errbuf)
{
    struct auth *a = auth_open(data_dir);
    int rc = 0;
    (void)errbuf;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n; i++) {
        int seen = 0, count = 0;
        for (size_t k = 0; k < a->n; k++) {
            if (strcmp(a->v[k].name, a->v[i].name) == 0) {
                seen |= k < i;
                count++;
            }
        }
        if (!seen)
            cb(ctx, a->v[i].name, count);
    }
    pthread_mutex_unlock(&a->mu);
    auth_free(a);
    return rc;
}
