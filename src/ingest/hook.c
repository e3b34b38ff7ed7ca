/*
 * hook.c - `toolprof hook` and hook payload logs (see hook.h).
 *
 * The hook runs in the agent's critical path, once per tool call, so its
 * normal path is a handful of system calls after process start: read
 * stdin, parse, describe the call (toolcall.c), normalise, append one line
 * to the spool. It never opens SQLite on that path (about 0.1 ms even
 * statically linked, and a lock wait when a server is writing); only the
 * hook whose line takes the spool across a multiple of SPOOL_DRAIN_BYTES
 * drains it, with a busy timeout short enough that a locked database
 * costs the agent a few tens of milliseconds once, after which the spool
 * simply waits for the next drain.
 *
 * The hook's failures are nobody's business but the user's: Claude Code
 * shows a hook's stderr to the model on exit code 2 and a "hook error"
 * notice on other non-zero codes, so everything that goes wrong becomes
 * one timestamped line in HOOK_ERRLOG and the exit code stays 0. That log
 * rotates at TP_HOOK_ERRLOG_MAX so that a payload format change cannot
 * fill the disk one line per tool call.
 *
 * The second half imports payload logs people already keep (hooks-mastery
 * style `logs/post_tool_use.json` arrays, wrappers with the payload under
 * "raw_input", one payload per line), through the same mapping.
 */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/jscan.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/filemark.h"
#include "ingest/gemhook.h"
#include "ingest/hookpend.h"
#include "ingest/toolcall.h"
#include "store/redact.h"
#include "store/spool.h"

/* Operations per store transaction when importing a log. */
#define HOOK_IMPORT_BATCH 1000

/* JIN_REPAIR never loses a payload for one bad byte, but its repair pass
 * copies the input character by character (8 ns a byte: 2 ms for a Read
 * of 256 KB). Valid input, nearly all of it, takes the strict path, which
 * only validates; the repair runs when that fails. */
static cJSON *hook_parse(const char *data, size_t len, char *errbuf)
{
    cJSON *j = jin_parse(data, len, JIN_STRICT, TP_MAX_JSON_DEPTH, errbuf);
    return j ? j : jin_parse(data, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, errbuf);
}

/* ---- payload -> op ------------------------------------------------------- */

static const char *hook_nonempty(const cJSON *obj, const char *key)
{
    const char *s = jin_str(obj, key);
    return s && *s ? s : NULL;
}

int hook_payload_to_op(const cJSON *payload, int64_t end_ms, struct op *out, char *errbuf)
{
    const char *ev, *tool, *err;
    const cJSON *input, *resp;
    int failed, interrupted = 0;
    double d;

    op_init(out);
    if (!cJSON_IsObject(payload))
        return tp_fail(errbuf, TP_EINVAL, "hook payload is not a JSON object");
    ev = jin_str(payload, "hook_event_name");
    if (ev) {
        if (strcmp(ev, "PostToolUse") == 0)
            failed = 0;
        else if (strcmp(ev, "PostToolUseFailure") == 0)
            failed = 1;
        else
            return tp_fail(errbuf, TP_ENOTFOUND, "hook event \"%.64s\" is not a tool result", ev);
    } else if (jin_get(payload, "tool_response")) {
        /* Before 1.0.41 payloads had no event name; a tool result is told
         * by its response, a failure by its error. */
        failed = 0;
    } else if (jin_str(payload, "error")) {
        failed = 1;
    } else {
        return tp_fail(errbuf, TP_ENOTFOUND, "payload without event name is not a tool result");
    }
    tool = jin_str(payload, "tool_name");
    if (!tool || !*tool)
        return tp_fail(errbuf, TP_EINVAL, "tool_name is missing or not a string");

    op_sets(&out->tool, tool);
    out->source = OP_SRC_HOOK;
    input = jin_get(payload, "tool_input");
    resp = failed ? NULL : jin_get(payload, "tool_response");
    toolcall_describe(out, input, resp);
    out->result_bytes = toolcall_result_bytes(tool, resp);

    /* duration_ms exists since 2.1.119. Without it the call is stored with
     * its duration unknown: the time between hook runs would measure the
     * hook spawn and the agent's pace, not the tool. */
    if (jin_num_lax(payload, "duration_ms", &d) == 1 && isfinite(d) && d >= 0 &&
        d <= TP_MAX_DURATION_MS)
        out->duration_ms = d;
    out->ts_ms = isnan(out->duration_ms) ? end_ms : end_ms - (int64_t)llround(out->duration_ms);

    out->success = !failed;
    if (jin_bool_lax(payload, "is_interrupt", &interrupted) == 1 && interrupted)
        toolcall_meta_bool(out, "interrupted", 1);
    if (failed) {
        err = hook_nonempty(payload, "error");
        op_sets(&out->error, err ? err : interrupted ? "interrupted" : NULL);
    }
    op_sets(&out->session_id, hook_nonempty(payload, "session_id"));
    op_sets(&out->project, hook_nonempty(payload, "cwd"));
    op_sets(&out->tool_use_id, hook_nonempty(payload, "tool_use_id"));
    /* Calls made inside a sub-agent say so (2.1.69+). */
    toolcall_meta_str(out, "agent_type", hook_nonempty(payload, "agent_type"));
    op_sets(&out->subagent, hook_nonempty(payload, "agent_id"));
    return 0;
}

/* ---- small file helpers ------------------------------------------------- */

/* Append "timestamp reason" to the error log; -1 when it cannot be
 * written (full disk, read-only directory). */
static int hook_log(const char *dir, const char *what, const char *reason)
{
    char path[PATH_MAX], old[PATH_MAX], ts[32];
    struct stat st;
    struct buf line;
    int fd, rc = 0;

    if (!dir || fs_join(path, sizeof path, dir, HOOK_ERRLOG) != 0)
        return -1;
    if (stat(path, &st) == 0 && st.st_size >= TP_HOOK_ERRLOG_MAX &&
        fs_join(old, sizeof old, dir, HOOK_ERRLOG ".1") == 0)
        rename(path, old);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
        fs_mkdirs(dir, 0700, NULL);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return -1;
    tpt_format_utc(tpt_now_ms(), ts);
    buf_init(&line, 2 * TP_ERR_MAX + 512);
    buf_printf(&line, "%s %s: %s", ts, what, reason);
    /* One record per line, whatever the message holds. */
    for (size_t i = 0; i < line.len; i++)
        if ((unsigned char)line.data[i] < 0x20)
            line.data[i] = ' ';
    buf_addc(&line, '\n');
    if (!line.data || write(fd, line.data, line.len) != (ssize_t)line.len)
        rc = -1;
    buf_free(&line);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* Read fd to its end within HOOK_READ_TIMEOUT_MS. Bytes past the buffer's
 * cap are read and dropped (the writer must not get SIGPIPE), and the
 * result is then TP_ETOOBIG. */
static int hook_read_all(int fd, struct buf *b, char *errbuf)
{
    static char sink[64 * 1024];
    int64_t deadline_ns = tpt_mono_ns() + (int64_t)HOOK_READ_TIMEOUT_MS * 1000000;
    int over = 0;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int64_t left_ms = (deadline_ns - tpt_mono_ns()) / 1000000;
        if (left_ms <= 0)
            return tp_fail(errbuf, TP_EAGAIN, "stdin still open after %d ms", HOOK_READ_TIMEOUT_MS);
        int pr = poll(&pfd, 1, (int)left_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return tp_fail(errbuf, TP_EIO, "poll on stdin: %s", strerror(errno));
        if (pr == 0)
            continue; /* the deadline check above ends the loop */

        /* Into the buffer while it has room, else into the sink: bytes
         * arriving there mean the payload is over the cap. */
        char *dst = sink;
        size_t room = sizeof sink;
        size_t left = b->cap - b->len - 1;
        if (left > sizeof sink)
            left = sizeof sink;
        if (!over && left > 0 && (dst = buf_reserve(b, left)) != NULL)
            room = left;
        else
            dst = sink;
        ssize_t r = read(fd, dst, room);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return tp_fail(errbuf, TP_EIO, "reading stdin: %s", strerror(errno));
        }
        if (dst == sink)
            over = 1;
        else
            buf_commit(b, (size_t)r);
    }
    if (over)
        return tp_fail(errbuf, TP_ETOOBIG, "payload over %d bytes", TP_MAX_HOOK_INPUT);
    return 0;
}

/* Move the spool into the store, giving up quickly on a busy database.
 * Whatever cannot be stored stays in the spool for the next drain; the
 * reason goes to the log once per attempt, and attempts come once per
 * SPOOL_DRAIN_BYTES appended (see hook_run), so a disk that stays full
 * costs one line per few hundred calls, not one per call. A busy database
 * is not logged: it means another process (the server, a command) is
 * writing, and that process drains the spool itself. */
static void hook_drain(const char *dir)
{
    char err[TP_ERR_MAX] = "";
    struct store *s = NULL;
    size_t bad = 0;
    int rc = store_open(dir, 0, &s, err);
    if (rc != 0) {
        if (rc != TP_EBUSY) {
            char msg[TP_ERR_MAX + 64];
            snprintf(msg, sizeof msg, "hook spool kept for a later drain: %s", err);
            if (hook_log(dir, "drain", msg) != 0)
                fprintf(stderr, "toolprof hook: drain: %s (and %s/%s cannot be written)\n", msg,
                        dir, HOOK_ERRLOG);
        }
        return;
    }
    store_set_busy_timeout(s, HOOK_DRAIN_BUSY_MS);
    rc = spool_drain(s, NULL, &bad, 0, err);
    /* Closed first: the last connection to close removes the WAL, and on a
     * full disk the space a failed transaction took is what the log line
     * needs. When not even that can be written, stderr is left (as in
     * hook_run). */
    store_close(s);
    if (((rc != 0 && rc != TP_EBUSY) || (rc == 0 && bad)) && hook_log(dir, "drain", err) != 0)
        fprintf(stderr, "toolprof hook: drain: %s (and %s/%s cannot be written)\n", err, dir,
                HOOK_ERRLOG);
}

/* A PreToolUse or PermissionRequest payload: mark it (1), or say it is
 * another event (0). A few top-level members are all it needs, found
 * without building the payload's tree (tool_input can be large): its raw
 * text is hashed into the call's key (hookpend_key), which is how a
 * PermissionRequest, which has no tool_use_id, finds its call. */
static int hook_early_event(const char *dir, const char *data, size_t len, int64_t now, char *what,
                            char *errbuf)
{
    static const char *const keys[] = {"hook_event_name", "tool_use_id", "tool_name",
                                       "session_id",      "cwd",         "permission_mode",
                                       "tool_input"};
    enum { K_EVENT, K_ID, K_TOOL, K_SESSION, K_CWD, K_MODE, K_INPUT, K_N };
    struct jscan_val v[K_N];
    if (jscan_top(data, len, keys, K_N, v) < 0 || v[K_EVENT].type != JSCAN_STRING)
        return 0;
    enum hookpend_event ev;
    if (v[K_EVENT].n == 10 && memcmp(v[K_EVENT].p, "PreToolUse", 10) == 0)
        ev = HOOKPEND_PRE;
    else if (v[K_EVENT].n == 17 && memcmp(v[K_EVENT].p, "PermissionRequest", 17) == 0)
        ev = HOOKPEND_PERM;
    else
        return 0;
    char s[K_INPUT][1024];
    for (int i = K_ID; i < K_INPUT; i++)
        if (v[i].type != JSCAN_STRING || jscan_unescape(&v[i], s[i], sizeof s[i]) != 0)
            s[i][0] = '\0';
    /* The input as it was written: an object's raw text (a string's would
     * come without its quotes, which is as good for a hash). */
    uint64_t key = hookpend_key(s[K_SESSION], s[K_TOOL], v[K_INPUT].type ? v[K_INPUT].p : NULL,
                                v[K_INPUT].type ? v[K_INPUT].n : 0);
    int rc;
    if (s[K_ID][0]) {
        snprintf(what, TP_MAX_ID + 32, "%.256s", s[K_ID]);
        rc = hookpend_mark(dir, ev, now, s[K_ID], s[K_TOOL], s[K_SESSION], s[K_CWD], s[K_MODE], key,
                           errbuf);
    } else if (ev == HOOKPEND_PERM) {
        snprintf(what, TP_MAX_ID + 32, "PermissionRequest for %.64s", s[K_TOOL]);
        rc = hookpend_mark_key(dir, ev, now, key, errbuf);
    } else {
        rc = tp_fail(errbuf, TP_EINVAL, "PreToolUse event without a tool_use_id");
    }
    return rc < 0 ? rc : 1;
}

int hook_run(const char *data_dir, int fd_in)
{
    char err[TP_ERR_MAX] = "", what[TP_MAX_ID + 32] = "payload";
    char *owned = NULL;
    struct buf in;
    cJSON *payload = NULL;
    struct op op;
    int64_t now;
    int rc;

    op_init(&op);
    buf_init(&in, (size_t)TP_MAX_HOOK_INPUT + 1);
    if (!data_dir)
        data_dir = owned = store_default_dir(NULL);
    if (isatty(fd_in)) {
        rc = tp_fail(err, TP_EINVAL, "stdin is a terminal; Claude Code pipes the payload in");
        goto fail;
    }
    if ((rc = hook_read_all(fd_in, &in, err)) != 0)
        goto fail;
    now = tpt_now_ms();
    /* Gemini CLI's tool events: when the call ran, for the chat import to
     * give to the call (gemhook.h: its payloads carry no call id). */
    if (gemhook_is_event(in.data ? in.data : "", in.len)) {
        snprintf(what, sizeof what, "Gemini CLI tool event");
        payload = hook_parse(in.data ? in.data : "", in.len, err);
        if (!payload) {
            rc = TP_EPARSE;
            goto fail;
        }
        rc = gemhook_record(data_dir, payload, now, err);
        if (rc != 0)
            goto fail;
        goto cleanup;
    }
    /* The early events of a call are only marked, without a parse: they
     * run on every call, before it starts (hookpend.h). */
    int early = hook_early_event(data_dir, in.data ? in.data : "", in.len, now, what, err);
    if (early < 0) {
        rc = early;
        goto fail;
    }
    if (early > 0)
        goto cleanup;
    /* This data directory's redaction rules, for what the call's record
     * holds (a bad rule file is logged like any other problem; the
     * built-ins still apply). The early events store nothing they would
     * apply to, and run on every call: they do without (a fifth of their
     * instructions). */
    char rerr[TP_ERR_MAX];
    if (redact_configure(data_dir, rerr) != 0)
        hook_log(data_dir, REDACT_PATTERNS, rerr);
    payload = hook_parse(in.data ? in.data : "", in.len, err);
    if (!payload) {
        rc = TP_EPARSE;
        goto fail;
    }
    rc = hook_payload_to_op(payload, now, &op, err);
    if (rc == TP_ENOTFOUND) {
        rc = 0; /* another event: not ours to record */
        goto cleanup;
    }
    if (rc != 0)
        goto fail;
    if (op.tool_use_id)
        snprintf(what, sizeof what, "%s", op.tool_use_id);
    /* A duration that is there but unusable (a string, negative, over a
     * day) still stores the call; say why its duration is unknown. */
    const cJSON *dj = jin_get(payload, "duration_ms");
    if (dj && !cJSON_IsNull(dj) && isnan(op.duration_ms)) {
        /* cJSON prints an overflowed number (1e999) as null. */
        int inf = cJSON_IsNumber(dj) && !isfinite(dj->valuedouble);
        char *txt = inf ? NULL : cJSON_PrintUnformatted(dj);
        char msg[TP_ERR_MAX];
        snprintf(msg, sizeof msg,
                 "duration_ms %.60s is not a duration in 0..%.0f ms; stored as unknown",
                 inf   ? "(a number out of range)"
                 : txt ? txt
                       : "?",
                 TP_MAX_DURATION_MS);
        hook_log(data_dir, what, msg);
        cJSON_free(txt);
    }
    /* What the call's PreToolUse and PermissionRequest hooks saw. */
    struct hookpend pend;
    if (hookpend_take(data_dir, op.tool_use_id, &pend) == 1)
        hookpend_apply(&op, &pend, now, !isnan(op.duration_ms));
    if ((rc = op_normalize(&op, now, err)) != 0)
        goto fail;
    if (!op.tool_use_id)
        op.tool_use_id = op_derive_id(&op, "hook");
    int drain_due = 0;
    if ((rc = spool_append(data_dir, &op, &drain_due, err)) != 0)
        goto fail;
    /* The hook whose line crosses a multiple of SPOOL_DRAIN_BYTES drains:
     * normally the spool then starts again from empty; while drains fail,
     * the next attempt comes only another SPOOL_DRAIN_BYTES later. */
    if (drain_due)
        hook_drain(data_dir);
    goto cleanup;

fail:
    /* When not even the log can be written (a full disk, a read-only
     * directory), stderr is the last place left. The exit code stays 0:
     * Claude Code shows stderr of a zero exit only in its verbose view. */
    if (hook_log(data_dir, what, err[0] ? err : tp_strerror(rc)) != 0)
        fprintf(stderr, "toolprof hook: %s: %s (and %s/%s cannot be written)\n", what,
                err[0] ? err : tp_strerror(rc), data_dir, HOOK_ERRLOG);
cleanup:
    op_clear(&op);
    cJSON_Delete(payload);
    buf_free(&in);
    free(owned);
    return rc;
}

/* ---- payload logs -------------------------------------------------------- */

static const char *hook_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* memmem for a NUL-terminated needle. */
static int hook_has(const char *head, size_t n, const char *needle)
{
    return memmem(head, n, needle, strlen(needle)) != NULL;
}

enum hook_log_kind hook_log_sniff(const char *head, size_t n)
{
    const char *end = head + n, *p = hook_skip_ws(head, end);
    if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        p = hook_skip_ws(head + 3, end);
    if (p == end)
        return HOOKLOG_NONE;
    if (!hook_has(p, (size_t)(end - p), "\"hook_event_name\"") ||
        !hook_has(p, (size_t)(end - p), "\"tool_name\""))
        return HOOKLOG_NONE;
    if (*p == '[')
        return HOOKLOG_JSON;
    if (*p != '{')
        return HOOKLOG_NONE;
    /* One object: a one-payload document, or the first of many lines. A
     * line break before the sniffed window ends means more than one. */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl && hook_skip_ws(nl, end) < end)
        return HOOKLOG_JSONL;
    return HOOKLOG_JSON;
}

struct hook_import {
    struct store *s;
    const char *path; /* for derived ids and reports: the resolved path */
    const char *key;  /* the mark's path */
    int fd;
    const struct stat *st;
    FILE *report;
    int64_t fallback_end_ms; /* the file's mtime */
    uint64_t untimed;        /* calls stored at fallback_end_ms */
    int64_t now_ms;
    int64_t done; /* end of the last element handed to hook_import_one() */
    struct op *batch;
    size_t n;
    struct store_result total;
    char errbuf[TP_ERR_MAX];
};

/* Store the batch with a mark: the file read and resumable up to `at`
 * (filemark.h), or read up to `read` and resumable at `at` for the last
 * batch. */
static int hook_flush(struct hook_import *im, int64_t at, int64_t read)
{
    struct store_result r = {0};
    struct store_mark m;
    filemark_set(&m, im->key, im->fd, im->st, at, read);
    int rc = store_insert(im->s, im->batch, im->n, &m, &r, im->errbuf);
    for (size_t i = 0; i < im->n; i++)
        op_clear(&im->batch[i]);
    im->n = 0;
    im->total.inserted += r.inserted;
    im->total.merged += r.merged;
    im->total.unchanged += r.unchanged;
    return rc;
}

/* A logger's timestamp: ISO text (naive = local time) or epoch seconds /
 * milliseconds. 1 when found. */
static int hook_log_time(const cJSON *obj, int64_t *out)
{
    static const char *const keys[] = {"timestamp", "logged_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = jin_get(obj, keys[i]);
        if (cJSON_IsString(v) && tpt_parse_iso(v->valuestring, TPT_NAIVE_LOCAL, out) == 0)
            return 1;
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0) {
            double d = v->valuedouble;
            *out = (int64_t)(d > 1e11 ? d : d * 1000.0);
            return 1;
        }
    }
    return 0;
}

/* One element of a log, ending at byte im->done. Returns 0 (stored,
 * skipped or reported) or a store error that ends the import. */
static int hook_import_one(struct hook_import *im, const cJSON *el, size_t index)
{
    char err[TP_ERR_MAX], pos[PATH_MAX + 32];
    const cJSON *payload = el, *raw = jin_get(el, "raw_input");
    int64_t end_ms;
    struct op *op;
    int rc;

    if (cJSON_IsObject(raw))
        payload = raw;
    int untimed = !hook_log_time(el, &end_ms) && !hook_log_time(payload, &end_ms);
    if (untimed)
        end_ms = im->fallback_end_ms;
    op = &im->batch[im->n];
    rc = hook_payload_to_op(payload, end_ms, op, err);
    if (rc == 0)
        rc = op_normalize(op, im->now_ms, err);
    if (rc != 0) {
        if (rc != TP_ENOTFOUND && im->report)
            fprintf(im->report, "%s:%zu: %s\n", im->path, index, err);
        op_clear(op);
        return 0;
    }
    im->untimed += (uint64_t)untimed;
    if (!op->tool_use_id) {
        snprintf(pos, sizeof pos, "%s:%zu", im->path, index);
        op->tool_use_id = op_derive_id(op, pos);
    }
    if (++im->n == HOOK_IMPORT_BATCH)
        return hook_flush(im, im->done, im->done);
    return 0;
}

/* Read the file's first st_size bytes (fewer if it shrank under us). */
static int hook_read_fd(int fd, const struct stat *st, const char *path, struct buf *b,
                        char *errbuf)
{
    if (st->st_size > TP_MAX_SEED_FILE)
        return tp_fail(errbuf, TP_ETOOBIG, "%s: over %d bytes", path, TP_MAX_SEED_FILE);
    size_t n = (size_t)st->st_size, got = 0;
    buf_init(b, n + 2);
    char *d = buf_reserve(b, n + 1);
    while (got < n) {
        ssize_t k = pread(fd, d + got, n - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            buf_free(b);
            return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    buf_commit(b, got);
    return 0;
}

/* 1 when a last line without its newline is whole: one JSON object (no
 * proper prefix of an object is one). */
static int hook_whole_object(const char *p, size_t len)
{
    char err[TP_ERR_MAX];
    const char *s = hook_skip_ws(p, p + len);
    if (s == p + len || *s != '{')
        return 0;
    cJSON *v = hook_parse(p, len, err);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

int hook_import_log_fd(struct store *s, const char *path, int fd, const struct stat *st,
                       const struct filemark_plan *plan, FILE *report, struct store_result *res,
                       uint64_t *untimed, char *errbuf)
{
    struct hook_import im = {
        .s = s, .path = path, .key = path, .fd = fd, .st = st, .report = report};
    struct buf b = {0};
    cJSON *doc = NULL;
    int64_t resume; /* where the next import starts once this one is done */
    int rc;

    if (res)
        memset(res, 0, sizeof *res);
    im.now_ms = tpt_now_ms();
    im.fallback_end_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
    if ((rc = hook_read_fd(fd, st, path, &b, errbuf)) != 0)
        return rc;
    im.batch = xcalloc(HOOK_IMPORT_BATCH, sizeof *im.batch);
    const char *data = b.data ? b.data : "";
    resume = (int64_t)b.len;

    enum hook_log_kind kind = hook_log_sniff(data, b.len < 65536 ? b.len : 65536);
    if (kind != HOOKLOG_JSONL) {
        doc = hook_parse(data, b.len, errbuf);
        if (!doc && kind == HOOKLOG_NONE) {
            rc = TP_EPARSE;
            goto cleanup;
        }
    }
    if (doc) {
        if (cJSON_IsArray(doc)) {
            /* Each element's end in the text, for the marks (see
             * jin_array_next()); a resumed import skips the elements that
             * end before its start. */
            struct jin_iter it;
            size_t at = (size_t)(hook_skip_ws(data, data + b.len) - data);
            if (b.len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                at = (size_t)(hook_skip_ws(data + 3, data + b.len) - data);
            int spans = jin_array_begin(&it, data, b.len, at) == 0;
            size_t i = 0;
            const cJSON *el;
            cJSON_ArrayForEach(el, doc)
            {
                size_t e0, e1;
                int64_t end = -1;
                if (spans && jin_array_next(&it, &e0, &e1) == 1)
                    end = (int64_t)e1;
                else
                    spans = 0;
                if (end >= 0 && end <= plan->start) {
                    i++;
                    continue; /* stored by the import this one resumes */
                }
                im.done = end >= 0 ? end : 0;
                if ((rc = hook_import_one(&im, el, i++)) != 0)
                    goto store_failed;
            }
        } else if (cJSON_IsObject(doc)) {
            im.done = (int64_t)b.len;
            if ((rc = hook_import_one(&im, doc, 0)) != 0)
                goto store_failed;
        } else {
            rc = tp_fail(errbuf, TP_EPARSE, "%s: neither a payload nor an array of payloads", path);
            goto cleanup;
        }
    } else {
        /* One payload per line; numbered from 1 like an editor would, also
         * when resumed in the middle (derived ids count lines). */
        size_t lineno = 0;
        const char *p = data, *end = data + b.len;
        int64_t start = plan->start <= (int64_t)b.len ? plan->start : 0;
        for (const char *q = data; (q = memchr(q, '\n', (size_t)(data + start - q))) != NULL; q++)
            lineno++;
        p = data + start;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char err[TP_ERR_MAX];
            if (!nl && !plan->final && !hook_whole_object(p, len)) {
                /* Being written: left for the next import. */
                resume = p - data;
                break;
            }
            lineno++;
            im.done = nl ? nl + 1 - data : end - data;
            if (hook_skip_ws(p, p + len) < p + len) {
                cJSON *line = hook_parse(p, len, err);
                if (!line) {
                    if (report)
                        fprintf(report, "%s:%zu: %s\n", im.path, lineno, err);
                } else {
                    rc = hook_import_one(&im, line, lineno);
                    cJSON_Delete(line);
                    if (rc != 0)
                        goto store_failed;
                }
            }
            p = nl ? nl + 1 : end;
        }
    }
    if ((rc = hook_flush(&im, resume, (int64_t)b.len)) != 0)
        goto store_failed;
    if (im.untimed && report) {
        /* Their own time is unknown: say which time they were given. */
        char when[48];
        tpt_format_local(im.fallback_end_ms, when);
        fprintf(report,
                "%s: warning: %llu call(s) without a timestamp, stored as ending at the file's "
                "modification time, %s\n",
                im.path, (unsigned long long)im.untimed, when);
    }
    goto cleanup;

store_failed:
    tp_fail(errbuf, rc, "%s: %s", path, im.errbuf);
cleanup:
    for (size_t i = 0; i < im.n; i++)
        op_clear(&im.batch[i]);
    free(im.batch);
    if (res)
        *res = im.total;
    if (untimed)
        *untimed = im.untimed;
    cJSON_Delete(doc);
    buf_free(&b);
    return rc;
}

int hook_import_log(struct store *s, const char *path, FILE *report, struct store_result *res,
                    char *errbuf)
{
    char real[PATH_MAX];
    struct stat st;
    struct filemark_plan plan;
    const char *key = realpath(path, real) ? real : path;
    if (res)
        memset(res, 0, sizeof *res);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
    int rc;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = tp_fail(errbuf, TP_EIO, "%s: not a regular file", path);
    } else {
        /* The whole file, whatever its mark says (a mark is written). */
        filemark_decide(NULL, fd, &st, tpt_now_ms(), &plan);
        rc = hook_import_log_fd(s, key, fd, &st, &plan, report, res, NULL, errbuf);
    }
    close(fd);
    return rc;
}
