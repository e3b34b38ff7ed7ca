/*
 * gemhook.c - the facts Gemini CLI's tool hooks leave, and their pairing
 * (see gemhook.h).
 *
 * The hook side is one small line per event, written with one write(2) on
 * an O_APPEND descriptor, so that parallel calls' hooks never interleave
 * and the hook stays as cheap as Claude Code's. The import side reads a
 * session's file whole (it is small: two short lines per call), pairs each
 * AfterTool with the oldest open BeforeTool of the same tool and
 * arguments, and hands the runs to gemini.c.
 */
#include "gemhook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

int gemhook_is_event(const char *payload, size_t len)
{
    static const char *const keys[] = {"hook_event_name"};
    struct jscan_val v;
    if (jscan_top(payload, len, keys, 1, &v) < 0 && v.type == JSCAN_NONE)
        return 0;
    return v.type == JSCAN_STRING && ((v.n == 10 && memcmp(v.p, "BeforeTool", 10) == 0) ||
                                      (v.n == 9 && memcmp(v.p, "AfterTool", 9) == 0));
}

uint64_t gemhook_args_hash(const cJSON *args)
{
    if (!args)
        return hash_str("{}");
    char *s = cJSON_PrintUnformatted(args);
    uint64_t h = hash_str(s ? s : "{}");
    cJSON_free(s);
    return h;
}

/* A session id as a file name: letters, digits, '-', '_' and '.' (not
 * first); anything else makes it unusable. */
static int safe_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 128 || s[0] == '.')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

int gemhook_record(const char *data_dir, const cJSON *payload, int64_t now_ms, char *errbuf)
{
    const char *ev = jin_str(payload, "hook_event_name");
    int before;
    if (ev && strcmp(ev, "BeforeTool") == 0)
        before = 1;
    else if (ev && strcmp(ev, "AfterTool") == 0)
        before = 0;
    else
        return TP_ENOTFOUND;
    const char *session = jin_str(payload, "session_id"), *tool = jin_str(payload, "tool_name");
    if (!session || !safe_name(session))
        return tp_fail(errbuf, TP_EINVAL, "Gemini CLI %s payload without a usable session_id", ev);
    if (!tool || !*tool || strlen(tool) >= sizeof((struct gemhook_run *)0)->tool)
        return tp_fail(errbuf, TP_EINVAL, "Gemini CLI %s payload without a usable tool_name", ev);
    int64_t ts;
    const char *tss = jin_str(payload, "timestamp");
    if (!tss || tpt_parse_iso(tss, 0, &ts) != 0)
        ts = now_ms;

    struct buf lb;
    struct jsonw w;
    buf_init(&lb, 512);
    jw_init(&w, &lb);
    jw_obj_begin(&w);
    jw_kstr(&w, "ev", before ? "before" : "after");
    jw_kstr(&w, "tool", tool);
    char h[24];
    snprintf(h, sizeof h, "%016llx",
             (unsigned long long)gemhook_args_hash(jin_get(payload, "tool_input")));
    jw_kstr(&w, "args", h);
    jw_kint(&w, "ts", (long long)ts);
    if (!before) {
        const cJSON *resp = jin_get(payload, "tool_response");
        const cJSON *err = jin_get(resp, "error");
        jw_kbool(&w, "ok", !err || cJSON_IsNull(err));
    }
    jw_obj_end(&w);
    if (jw_finish(&w) != 0 || buf_addc(&lb, '\n') != 0) {
        buf_free(&lb);
        return tp_fail(errbuf, TP_EINVAL, "Gemini CLI %s: record too long", ev);
    }
    size_t n;
    char *line = buf_steal(&lb, &n);

    char dir[PATH_MAX], path[PATH_MAX + 160];
    if (snprintf(dir, sizeof dir, "%s/%s", data_dir, GEMHOOK_DIR) >= (int)sizeof dir) {
        free(line);
        return tp_fail(errbuf, TP_EIO, "%s: path too long", data_dir);
    }
    if (fs_mkdirs(dir, 0700, errbuf) != 0) {
        free(line);
        return TP_EIO;
    }
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, session);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(line);
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    }
    ssize_t k = write(fd, line, n);
    int e = errno;
    close(fd);
    free(line);
    if (k != (ssize_t)n)
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, k < 0 ? strerror(e) : "short write");
    return 0;
}

int gemhook_load(const char *data_dir, const char *session, struct gemhook_run **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!data_dir || !session || !safe_name(session))
        return 0;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s/%s.jsonl", data_dir, GEMHOOK_DIR, session) >=
        (int)sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 0 : TP_EIO;
    struct buf b;
    buf_init(&b, GEMHOOK_MAX_FILE);
    char eb[TP_ERR_MAX];
    int rc = fs_read_all(fd, &b, path, eb);
    close(fd);
    if (rc != 0 && rc != TP_ETOOBIG) {
        buf_free(&b);
        return TP_EIO;
    }
    struct gemhook_run *v = NULL;
    size_t nv = 0, av = 0;
    const char *p = b.data ? b.data : "", *e = p + b.len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl)
            break; /* a line being written */
        cJSON *j = jin_parse(p, (size_t)(nl - p), JIN_REPAIR, 4, eb);
        p = nl + 1;
        const char *ev = jin_str(j, "ev"), *tool = jin_str(j, "tool"), *args = jin_str(j, "args");
        double ts;
        if (!ev || !tool || !args || jin_num(j, "ts", &ts) != 1 || strlen(tool) >= sizeof v->tool) {
            cJSON_Delete(j);
            continue;
        }
        uint64_t h = strtoull(args, NULL, 16);
        if (strcmp(ev, "before") == 0) {
            if (nv == av) {
                av = av ? av * 2 : 16;
                v = xreallocarray(v, av, sizeof *v);
            }
            struct gemhook_run *r = &v[nv++];
            memset(r, 0, sizeof *r);
            snprintf(r->tool, sizeof r->tool, "%s", tool);
            r->args = h;
            r->start_ms = (int64_t)ts;
            r->end_ms = -1;
        } else {
            /* The oldest open run of this tool and arguments. */
            for (size_t i = 0; i < nv; i++)
                if (v[i].end_ms < 0 && v[i].args == h && strcmp(v[i].tool, tool) == 0 &&
                    (int64_t)ts >= v[i].start_ms) {
                    v[i].end_ms = (int64_t)ts;
                    int ok = 1;
                    jin_bool(j, "ok", &ok);
                    v[i].ok = ok;
                    break;
                }
        }
        cJSON_Delete(j);
    }
    buf_free(&b);
    /* Only runs that ended. */
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        if (v[i].end_ms >= 0)
            v[k++] = v[i];
    if (!k) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}
