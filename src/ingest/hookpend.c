/*
 * hookpend.c - pending hook events of unfinished calls (see hookpend.h).
 *
 * One file per call, `pending/<name>`, where name is the tool_use_id when
 * it is made of safe characters (Claude Code's are), else "h" and a hash
 * of it. Lines, appended with O_APPEND (one write each, atomic at this
 * size):
 *
 *   pre <ms>\t<id>\t<tool>\t<session>\t<cwd>\t<mode>\t<key>\n
 *   perm <ms>\n
 *
 * Tabs and line breaks inside the fields are replaced by spaces; <key> is
 * the call's hookpend_key in 16 hex digits (files written before it had
 * none). The link `pending/=<key>` (a character no file name of a call
 * has) points to the file by its name, so that a PermissionRequest, which
 * knows the key but not the id, appends to the right file.
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

/* The file of call `id`: path receives dir/pending/<name>, and name (when
 * not NULL, PEND_NAME_MAX bytes) the name alone. The name is a buffer size
 * (128 safe id bytes or a hash, plus a prefix), not an input limit. */
#define PEND_NAME_MAX 160
static int pend_path(const char *data_dir, const char *id, char *path, size_t size, char *name_out)
{
    char name[PEND_NAME_MAX];
    size_t n = strlen(id);
    int safe = n > 0 && n <= 128 &&
               strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_-") == n;
    if (safe)
        snprintf(name, sizeof name, "%s", id);
    else
        snprintf(name, sizeof name, "h%016llx", (unsigned long long)hash_str(id));
    if (name_out)
        memcpy(name_out, name, sizeof name);
    int k = snprintf(path, size, "%s/%s/%s", data_dir, HOOKPEND_DIR, name);
    return k > 0 && (size_t)k < size ? 0 : TP_ETOOBIG;
}

/* The link of key: path receives dir/pending/=<16 hex digits>. */
static int link_path(const char *data_dir, uint64_t key, char *path, size_t size)
{
    int k = snprintf(path, size, "%s/%s/=%016llx", data_dir, HOOKPEND_DIR, (unsigned long long)key);
    return k > 0 && (size_t)k < size ? 0 : TP_ETOOBIG;
}

uint64_t hookpend_key(const char *session, const char *tool, const char *input, size_t input_len)
{
    static const char sep = '\0';
    uint64_t h = HASH_SEED;
    h = hash_bytes(h, session ? session : "", session ? strlen(session) : 0);
    h = hash_bytes(h, &sep, 1);
    h = hash_bytes(h, tool ? tool : "", tool ? strlen(tool) : 0);
    h = hash_bytes(h, &sep, 1);
    if (input)
        h = hash_bytes(h, input, input_len);
    h = hash_final(h);
    return h ? h : 1;
}

/* Copy s into the line, tabs and line breaks as spaces, at most max bytes. */
static size_t put_field(char *dst, size_t room, const char *s, size_t max)
{
    size_t k = 0;
    for (; s && *s && k < max && k + 1 < room; s++)
        dst[k++] = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
    return k;
}

/* Append line (len bytes) to the file at path; create it (and pending/)
 * when create is set. */
static int append_line(const char *data_dir, const char *path, const char *line, size_t len,
                       int create, char *errbuf)
{
    int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = open(path, flags, 0600);
    if (fd < 0 && errno == ENOENT && create) {
        char d[PATH_MAX];
        snprintf(d, sizeof d, "%s/%s", data_dir, HOOKPEND_DIR);
        if (fs_mkdirs(d, 0700, errbuf) != 0)
            return TP_EIO;
        fd = open(path, flags, 0600);
    }
    if (fd < 0)
        return tp_fail(errbuf, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: %s", path,
                       strerror(errno));
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

int hookpend_mark(const char *data_dir, enum hookpend_event ev, int64_t now_ms, const char *id,
                  const char *tool, const char *session, const char *cwd, const char *mode,
                  uint64_t key, char *errbuf)
{
    char path[PATH_MAX], name[PEND_NAME_MAX], line[2048], keyhex[20] = "";
    size_t len;
    if (!id || !*id)
        return tp_fail(errbuf, TP_EINVAL, "%s event without a tool_use_id",
                       ev == HOOKPEND_PRE ? "PreToolUse" : "PermissionRequest");
    if (pend_path(data_dir, id, path, sizeof path, name) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "data directory path too long");
    if (ev == HOOKPEND_PERM) {
        len = (size_t)snprintf(line, sizeof line, "perm %lld\n", (long long)now_ms);
    } else {
        if (key)
            snprintf(keyhex, sizeof keyhex, "%016llx", (unsigned long long)key);
        len = (size_t)snprintf(line, sizeof line, "pre %lld\t", (long long)now_ms);
        const char *fields[6] = {id, tool, session, cwd, mode, keyhex};
        static const size_t max[6] = {256, 127, 127, 1023, 31, 16};
        for (int i = 0; i < 6; i++) {
            len += put_field(line + len, sizeof line - len - 2, fields[i], max[i]);
            line[len++] = i < 5 ? '\t' : '\n';
        }
    }
    int rc = append_line(data_dir, path, line, len, 1, errbuf);
    if (rc != 0 || ev != HOOKPEND_PRE || !key)
        return rc;
    /* The link for the call's PermissionRequest. One left by an earlier
     * call of the same key (one that never finished) is replaced: a
     * prompt follows its own PreToolUse. A link that cannot be made costs
     * that call its prompt, not its record: not an error of the event. */
    char lpath[PATH_MAX];
    if (link_path(data_dir, key, lpath, sizeof lpath) == 0) {
        unlink(lpath);
        if (symlink(name, lpath) != 0 && errno != EEXIST)
            return tp_fail(errbuf, TP_EIO, "%s: %s", lpath, strerror(errno));
    }
    return 0;
}

int hookpend_mark_key(const char *data_dir, enum hookpend_event ev, int64_t now_ms, uint64_t key,
                      char *errbuf)
{
    char lpath[PATH_MAX], line[64];
    if (link_path(data_dir, key, lpath, sizeof lpath) != 0)
        return tp_fail(errbuf, TP_ETOOBIG, "data directory path too long");
    size_t len = (size_t)snprintf(line, sizeof line, "%s %lld\n",
                                  ev == HOOKPEND_PERM ? "perm" : "pre", (long long)now_ms);
    /* Through the link, never creating: a link whose call has finished
     * points nowhere, and the open fails like a missing link. */
    int rc = append_line(data_dir, lpath, line, len, 0, errbuf);
    if (rc == TP_ENOTFOUND)
        return tp_fail(errbuf, TP_ENOTFOUND,
                       "%s matches no started call (its PreToolUse was not seen, or it already "
                       "had its prompt)",
                       ev == HOOKPEND_PERM ? "PermissionRequest" : "event");
    if (rc == 0)
        unlink(lpath);
    return rc;
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
            char *f[7] = {NULL};
            char *p = strchr(line, '\t');
            for (int i = 0; p && i < 6; i++) {
                f[i] = p + 1;
                p = strchr(p + 1, '\t');
            }
            for (int i = 0; i < 6 && f[i]; i++) {
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
                else if (i == 5 && e - f[i] == 16)
                    out->key = strtoull(f[i], NULL, 16);
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

/* Remove the link of key when it still points to the file called name
 * (a later call of the same key may have taken it since). */
static void unlink_own_link(const char *data_dir, uint64_t key, const char *name)
{
    char lpath[PATH_MAX], target[PEND_NAME_MAX + 1];
    if (!key || link_path(data_dir, key, lpath, sizeof lpath) != 0)
        return;
    ssize_t n = readlink(lpath, target, sizeof target - 1);
    if (n < 0)
        return;
    target[n] = '\0';
    if (strcmp(target, name) == 0)
        unlink(lpath);
}

int hookpend_take(const char *data_dir, const char *id, struct hookpend *out)
{
    char path[PATH_MAX], name[PEND_NAME_MAX];
    memset(out, 0, sizeof *out);
    if (!id || !*id || pend_path(data_dir, id, path, sizeof path, name) != 0)
        return 0;
    int rc = pend_read(path, out, NULL, 0);
    if (rc == 1)
        unlink_own_link(data_dir, out->key, name);
    return rc;
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
            lstat(path, &st) != 0)
            continue;
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (S_ISLNK(st.st_mode)) {
            /* A link: gone with its call's file, or as old as a call
             * that will not finish. */
            struct stat target;
            if (stat(path, &target) != 0 || now_ms - mtime >= HOOKPEND_MAX_AGE_MS)
                unlink(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || now_ms - mtime < HOOKPEND_MAX_AGE_MS)
            continue;
        struct hookpend p;
        char id[260];
        if (pend_read(path, &p, id, sizeof id) != 1)
            continue;
        unlink_own_link(data_dir, p.key, e->d_name);
        if (!p.pre_ms || !id[0] || !p.tool[0])
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
