/*
 * hookpend.c - pending hook events of unfinished calls (see hookpend.h).
 *
 * One file per call, `pending/<name>`, where name is the tool_use_id when
 * it is made of safe characters (Claude Code's are), else "h" and a hash
 * of it. Lines, appended with O_APPEND (one write each, atomic at this
 * size):
 *
 *   pre <ms>\t<id>\t<tool>\t<session>\t<cwd>\t<mode>\n
 *   perm <ms>\n
 *
 * Tabs and line breaks inside the fields are replaced by spaces.
 */
#include "hookpend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"
#include "store/spool.h"

/* The file of call `id`: path receives dir/pending/<name>. */
static int pend_path(const char *data_dir, const char *id, char *path, size_t size)
{
    char name[160];
    size_t n = strlen(id);
    int safe = n > 0 && n <= 128 &&
               strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_-") == n;
    if (safe)
        snprintf(name, sizeof name, "%s", id);
    else
        snprintf(name, sizeof name, "h%016llx", (unsigned long long)hash_str(id));
    int k = snprintf(path, size, "%s/%s/%s", data_dir, HOOKPEND_DIR, name);
    return k > 0 && (size_t)k < size ? 0 : TP_ETOOBIG;
}

/* Copy s into the line, tabs and line breaks as spaces, at most max bytes. */
static size_t put_field(char *dst, size_t room, const char *s, size_t max)
{
    size_t k = 0;
    for (; s && *s && k < max && k + 1 < room; s++)
        dst[k++] = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
    return k;
}

int hookpend_mark(const char *data_dir, enum hookpend_event ev, int64_t now_ms, const char *id,
                  const char *tool, const char *session, const char *cwd, const char *mode,
                  char *errbuf)
{
    char path[PATH_MAX], line[2048];
    size_t len;
    if (!id || !*id)
        return tp_fail(errbuf, TP_EINVAL, "%s event without a tool_use_id",
                       ev == HOOKPEND_PRE ? "PreToolUse" : "PermissionRequest");
    if (pend_path(data_dir, id, path, sizeof path) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "data directory path too long");
    if (ev == HOOKPEND_PERM) {
        len = (size_t)snprintf(line, sizeof line, "perm %lld\n", (long long)now_ms);
    } else {
        len = (size_t)snprintf(line, sizeof line, "pre %lld\t", (long long)now_ms);
        const char *fields[5] = {id, tool, session, cwd, mode};
        static const size_t max[5] = {256, 127, 127, 1023, 31};
        for (int i = 0; i < 5; i++) {
            len += put_field(line + len, sizeof line - len - 2, fields[i], max[i]);
            line[len++] = i < 4 ? '\t' : '\n';
        }
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
        char d[PATH_MAX];
        snprintf(d, sizeof d, "%s/%s", data_dir, HOOKPEND_DIR);
        if (fs_mkdirs(d, 0700, errbuf) != 0)
            return TP_EIO;
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    ssize_t w = write(fd, line, len);
    int saved = errno;
    if (close(fd) != 0 && w == (ssize_t)len) {
        saved = errno;
        w = -1;
    }
    if (w != (ssize_t)len)
        return tp_fail(errbuf, saved == ENOSPC ? TP_ENOSPC : TP_EIO, "%s: %s", path,
                       strerror(saved));
    return 0;
}

/* Copy field [p, e) into dst (size bytes). */
static void take_field(char *dst, size_t size, const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    if (n >= size)
        n = size - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* Parse a file's lines into out; the id of the pre line goes to id. */
static void pend_parse(char *buf, size_t n, struct hookpend *out, char *id, size_t idsize)
{
    memset(out, 0, sizeof *out);
    if (id)
        id[0] = '\0';
    buf[n] = '\0';
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break; /* a line cut short (a full disk): ignore it */
        *nl = '\0';
        long long ms;
        if (strncmp(line, "perm ", 5) == 0 && sscanf(line + 5, "%lld", &ms) == 1 && ms > 0) {
            if (!out->perm_ms)
                out->perm_ms = ms;
        } else if (strncmp(line, "pre ", 4) == 0 && sscanf(line + 4, "%lld", &ms) == 1 && ms > 0) {
            out->pre_ms = ms;
            char *f[6] = {NULL};
            char *p = strchr(line, '\t');
            for (int i = 0; p && i < 5; i++) {
                f[i] = p + 1;
                p = strchr(p + 1, '\t');
            }
            for (int i = 0; i < 5 && f[i]; i++) {
                char *e = strchr(f[i], '\t');
                if (!e)
                    e = f[i] + strlen(f[i]);
                if (i == 0 && id)
                    take_field(id, idsize, f[i], e);
                else if (i == 1)
                    take_field(out->tool, sizeof out->tool, f[i], e);
                else if (i == 2)
                    take_field(out->session, sizeof out->session, f[i], e);
                else if (i == 3)
                    take_field(out->cwd, sizeof out->cwd, f[i], e);
                else if (i == 4)
                    take_field(out->mode, sizeof out->mode, f[i], e);
            }
        }
        line = nl + 1;
    }
}

/* Read and delete one pending file. 1 when read, 0 when absent. */
static int pend_read(const char *path, struct hookpend *out, char *id, size_t idsize)
{
    char buf[TP_HOOKPEND_MAX_FILE + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : TP_EIO;
    ssize_t n = read(fd, buf, TP_HOOKPEND_MAX_FILE);
    close(fd);
    unlink(path);
    if (n < 0)
        return TP_EIO;
    pend_parse(buf, (size_t)n, out, id, idsize);
    return 1;
}

int hookpend_take(const char *data_dir, const char *id, struct hookpend *out)
{
    char path[PATH_MAX];
    memset(out, 0, sizeof *out);
    if (!id || !*id || pend_path(data_dir, id, path, sizeof path) != 0)
        return 0;
    return pend_read(path, out, NULL, 0);
}

void hookpend_apply(struct op *op, const struct hookpend *p, int64_t post_ms, int has_duration)
{
    if (!p->pre_ms || p->pre_ms > post_ms)
        return;
    double exec = op->duration_ms;
    op->ts_ms = p->pre_ms;
    op_set_phase(op, OP_PH_WALL, (double)(post_ms - p->pre_ms), OP_EX_DERIVED, PHS_HOOK);
    if (p->perm_ms && p->perm_ms <= post_ms) {
        op->ask = OP_ASK_ASKED;
        if (!isnan(exec)) {
            double w = (double)(post_ms - p->perm_ms) - exec;
            op_set_phase(op, OP_PH_WAIT, w > 0 ? w : 0, OP_EX_DERIVED, PHS_HOOK);
        }
    } else if (has_duration) {
        /* Clients with duration_ms run PermissionRequest hooks, and
         * install-hook registers both: no such event, no prompt. */
        op->ask = OP_ASK_NO;
    } else {
        op->ask = toolcall_can_ask(op->tool, p->mode[0] ? p->mode : NULL);
    }
}

int hookpend_sweep(const char *data_dir, int64_t now_ms, struct op **ops, size_t *n)
{
    char dir[PATH_MAX];
    *ops = NULL;
    *n = 0;
    snprintf(dir, sizeof dir, "%s/%s", data_dir, HOOKPEND_DIR);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : TP_EIO;
    size_t alloc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (now_ms - mtime < HOOKPEND_MAX_AGE_MS)
            continue;
        struct hookpend p;
        char id[260];
        if (pend_read(path, &p, id, sizeof id) != 1 || !p.pre_ms || !id[0] || !p.tool[0])
            continue; /* deleted: a file without its start says nothing */
        if (*n == alloc) {
            alloc = alloc ? 2 * alloc : 8;
            *ops = xreallocarray(*ops, alloc, sizeof **ops);
        }
        struct op *op = &(*ops)[(*n)++];
        op_init(op);
        op->source = OP_SRC_HOOK;
        op_sets(&op->tool, p.tool);
        op_sets(&op->tool_use_id, id);
        op_sets(&op->session_id, p.session[0] ? p.session : NULL);
        op_sets(&op->project, p.cwd[0] ? p.cwd : NULL);
        op->ts_ms = p.pre_ms;
        op->success = 0;
        op_sets(&op->error, p.perm_ms ? "no result (the prompt was answered no, or left)"
                                      : "no result (interrupted, or the session ended)");
        op->ask = p.perm_ms ? OP_ASK_ASKED : OP_ASK_UNKNOWN;
    }
    closedir(d);
    return 0;
}

int hookpend_sweep_to_spool(const char *data_dir, int64_t now_ms, char *errbuf)
{
    struct op *ops;
    size_t n;
    int rc = hookpend_sweep(data_dir, now_ms, &ops, &n);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && op_normalize(&ops[i], now_ms, errbuf) == 0)
            rc = spool_append(data_dir, &ops[i], NULL, errbuf);
        op_clear(&ops[i]);
    }
    free(ops);
    return rc < 0 ? rc : (int)n;
}
