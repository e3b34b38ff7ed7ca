/*
 * agentfile.c - calls found in other agents' files, read by lines and
 * stored in batches (see agentfile.h).
 *
 * The batch keeps one group per file add (its records, already
 * normalized, and a copy of its mark) and hands them all to
 * store_insert_groups() in one transaction, which writes each group's mark
 * with it. Records a normalizer refuses are reported and freed at once, so
 * that what waits is exactly what will be stored.
 *
 * The line reader is the importer's: large pread() calls into one buffer,
 * lines cut with memchr(); a line longer than the buffer grows it up to
 * TP_MAX_LINE, a longer one is reported to the callback as skipped.
 */
#include "agentfile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/utf8.h"
#include "core/xmalloc.h"

#define AF_CHUNK (1u << 20)
#define AF_DEFAULT_BATCH 5000
#define AF_MAX_FILES 256

char *agentfile_call_key(const char *session, const char *call_id)
{
    size_t n = strlen(call_id);
    if (n >= AGENTFILE_UNIQUE_ID_LEN || !session || !*session)
        return xstrdup(call_id);
    size_t ls = strlen(session);
    char *k = xmalloc(ls + 1 + n + 1);
    memcpy(k, session, ls);
    k[ls] = '/';
    memcpy(k + ls + 1, call_id, n + 1);
    return k;
}

/* ---- what a parser found ------------------------------------------------ */

struct op *agentfile_out_op(struct agentfile_out *o, int64_t off)
{
    if (o->n == o->alloc) {
        o->alloc = o->alloc ? o->alloc * 2 : 64;
        o->ops = xreallocarray(o->ops, o->alloc, sizeof *o->ops);
        o->op_off = xreallocarray(o->op_off, o->alloc, sizeof *o->op_off);
    }
    op_init(&o->ops[o->n]);
    o->op_off[o->n] = off;
    return &o->ops[o->n++];
}

struct turn *agentfile_out_turn(struct agentfile_out *o)
{
    if (o->nturns == o->aturns) {
        o->aturns = o->aturns ? o->aturns * 2 : 16;
        o->turns = xreallocarray(o->turns, o->aturns, sizeof *o->turns);
    }
    turn_init(&o->turns[o->nturns]);
    return &o->turns[o->nturns++];
}

struct request *agentfile_out_request(struct agentfile_out *o)
{
    if (o->nreqs == o->areqs) {
        o->areqs = o->areqs ? o->areqs * 2 : 16;
        o->reqs = xreallocarray(o->reqs, o->areqs, sizeof *o->reqs);
    }
    request_init(&o->reqs[o->nreqs]);
    return &o->reqs[o->nreqs++];
}

void agentfile_out_clear(struct agentfile_out *o)
{
    for (size_t i = 0; i < o->n; i++)
        op_clear(&o->ops[i]);
    for (size_t i = 0; i < o->nturns; i++)
        turn_clear(&o->turns[i]);
    for (size_t i = 0; i < o->nreqs; i++)
        request_clear(&o->reqs[i]);
    free(o->ops);
    free(o->op_off);
    free(o->turns);
    free(o->reqs);
    memset(o, 0, sizeof *o);
}

/* ---- the batch ------------------------------------------------------------ */

struct af_group {
    struct agentfile_out out; /* normalized */
    struct store_mark mark;
    int has_mark;
    char *mark_path;
    struct agentfile_stats *st; /* where its store counts go */
};

struct agentfile_batch {
    struct store *s;
    size_t batch_ops;
    FILE *report;
    struct af_group *g;
    size_t ng, ag;
    size_t nops; /* ops waiting */
};

struct agentfile_batch *agentfile_batch_new(struct store *s, size_t batch_ops, FILE *report)
{
    struct agentfile_batch *b = xcalloc(1, sizeof *b);
    b->s = s;
    b->batch_ops = batch_ops ? batch_ops : AF_DEFAULT_BATCH;
    b->report = report;
    return b;
}

FILE *agentfile_batch_report(const struct agentfile_batch *b)
{
    return b->report;
}

static void groups_drop(struct agentfile_batch *b)
{
    for (size_t i = 0; i < b->ng; i++) {
        agentfile_out_clear(&b->g[i].out);
        free(b->g[i].mark_path);
    }
    b->ng = 0;
    b->nops = 0;
}

int agentfile_batch_commit(struct agentfile_batch *b, char *errbuf)
{
    if (!b->ng)
        return 0;
    struct store_group *sg = xcalloc(b->ng, sizeof *sg);
    for (size_t i = 0; i < b->ng; i++) {
        struct af_group *g = &b->g[i];
        sg[i].ops = g->out.ops;
        sg[i].n = g->out.n;
        sg[i].turns = g->out.turns;
        sg[i].nturns = g->out.nturns;
        sg[i].reqs = g->out.reqs;
        sg[i].nreqs = g->out.nreqs;
        sg[i].mark = g->has_mark ? &g->mark : NULL;
    }
    int rc = store_insert_groups(b->s, sg, b->ng, errbuf);
    for (size_t i = 0; rc == 0 && i < b->ng; i++) {
        struct agentfile_stats *st = b->g[i].st;
        st->res.inserted += sg[i].res.inserted;
        st->res.merged += sg[i].res.merged;
        st->res.unchanged += sg[i].res.unchanged;
    }
    free(sg);
    groups_drop(b);
    return rc;
}

int agentfile_batch_free(struct agentfile_batch *b, char *errbuf)
{
    if (!b)
        return 0;
    int rc = agentfile_batch_commit(b, errbuf);
    groups_drop(b);
    free(b->g);
    free(b);
    return rc;
}

static void report_line(struct agentfile_batch *b, const char *path, int fd, int64_t off,
                        const char *what, const char *id, const char *why)
{
    if (!b->report)
        return;
    if (off >= 0 && fd >= 0)
        fprintf(b->report, "%s:%lld: %s %s: %s\n", path, (long long)agentfile_line_at(fd, off),
                what, id ? id : "?", why);
    else
        fprintf(b->report, "%s: %s %s: %s\n", path, what, id ? id : "?", why);
}

/* Normalize in place, dropping (and reporting) what is refused. */
static void normalize(struct agentfile_batch *b, const char *path, int fd, struct agentfile_out *o,
                      struct agentfile_stats *st)
{
    char eb[TP_ERR_MAX];
    int64_t now = tpt_now_ms();
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (op_normalize(&o->ops[i], now, eb) != 0) {
            st->rejected++;
            report_line(b, path, fd, o->op_off[i], "call", o->ops[i].tool_use_id, eb);
            op_clear(&o->ops[i]);
            continue;
        }
        o->ops[k] = o->ops[i];
        o->op_off[k++] = o->op_off[i];
    }
    st->ops += o->n;
    o->n = k;
    k = 0;
    for (size_t i = 0; i < o->nturns; i++) {
        if (turn_normalize(&o->turns[i], now, eb) != 0) {
            st->rejected++;
            report_line(b, path, -1, -1, "turn of session", o->turns[i].session_id, eb);
            turn_clear(&o->turns[i]);
            continue;
        }
        o->turns[k++] = o->turns[i];
    }
    st->turns += o->nturns;
    o->nturns = k;
    k = 0;
    for (size_t i = 0; i < o->nreqs; i++) {
        if (request_normalize(&o->reqs[i], now, eb) != 0) {
            st->rejected++;
            report_line(b, path, -1, -1, "model request", o->reqs[i].id, eb);
            request_clear(&o->reqs[i]);
            continue;
        }
        o->reqs[k++] = o->reqs[i];
    }
    st->requests += o->nreqs;
    o->nreqs = k;
}

int agentfile_batch_add(struct agentfile_batch *b, const char *path, int fd,
                        struct agentfile_out *out, const struct store_mark *m, int now,
                        struct agentfile_stats *st, char *errbuf)
{
    normalize(b, path, fd, out, st);
    if (b->ng == b->ag) {
        b->ag = b->ag ? b->ag * 2 : 16;
        b->g = xreallocarray(b->g, b->ag, sizeof *b->g);
    }
    struct af_group *g = &b->g[b->ng++];
    memset(g, 0, sizeof *g);
    g->out = *out;
    memset(out, 0, sizeof *out);
    g->st = st;
    if (m) {
        g->mark = *m;
        g->mark_path = xstrdup(m->path);
        g->mark.path = g->mark_path;
        g->has_mark = 1;
    }
    b->nops += g->out.n;
    if (now || b->nops >= b->batch_ops || b->ng >= AF_MAX_FILES)
        return agentfile_batch_commit(b, errbuf);
    return 0;
}

/* ---- reading lines -------------------------------------------------------- */

int agentfile_lines(int fd, const char *path, int64_t start, int64_t end, int final,
                    agentfile_line_fn fn, void *ctx, int64_t *consumed, uint64_t *bytes,
                    char *errbuf)
{
    size_t alloc = AF_CHUNK, have = 0;
    char *buf = xmalloc(alloc);
    int64_t base = start; /* file offset of buf[0] */
    int discarding = 0;   /* inside a line over TP_MAX_LINE, which started at skip_off */
    int64_t skip_off = 0;
    int rc = 0;
    *consumed = start;
    while (base + (int64_t)have < end) {
        size_t want = alloc - have;
        if ((int64_t)want > end - base - (int64_t)have)
            want = (size_t)(end - base - (int64_t)have);
        ssize_t k = pread(fd, buf + have, want, base + (int64_t)have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            rc = tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (k == 0)
            break; /* truncated under us: stop at what is there */
        have += (size_t)k;
        if (bytes)
            *bytes += (uint64_t)k;
        char *p = buf, *e = buf + have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            int64_t off = base + (p - buf), lend = base + (nl + 1 - buf);
            if (discarding) {
                discarding = 0;
                rc = fn(ctx, NULL, (size_t)-1, skip_off, lend);
            } else {
                size_t len = (size_t)(nl - p);
                if (len && p[len - 1] == '\r')
                    len--;
                rc = fn(ctx, p, len, off, lend);
            }
            p = nl + 1;
            *consumed = lend;
            if (rc != 0)
                goto out;
        }
        size_t rest = (size_t)(e - p);
        int64_t rest_off = base + (p - buf);
        memmove(buf, p, rest);
        have = rest;
        base = rest_off;
        if (have == alloc) {
            if (discarding || alloc >= (size_t)TP_MAX_LINE) {
                if (!discarding)
                    skip_off = base;
                discarding = 1;
                base += (int64_t)have;
                have = 0;
            } else {
                alloc = alloc * 2 > (size_t)TP_MAX_LINE ? (size_t)TP_MAX_LINE : alloc * 2;
                buf = xrealloc(buf, alloc);
            }
        }
    }
    if (final && base + (int64_t)have == end && (have || discarding)) {
        /* The file is complete: its last line has no newline but is whole. */
        if (discarding) {
            rc = fn(ctx, NULL, (size_t)-1, skip_off, end);
        } else {
            size_t len = have;
            if (len && buf[len - 1] == '\r')
                len--;
            rc = fn(ctx, buf, len, base, end);
        }
        *consumed = end;
    }
out:
    free(buf);
    return rc;
}

int agentfile_first_line(int fd, char **out, size_t *len)
{
    size_t alloc = 64 * 1024, have = 0;
    char *buf = xmalloc(alloc);
    for (;;) {
        ssize_t k = pread(fd, buf + have, alloc - have, (off_t)have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return TP_EIO;
        }
        char *nl = memchr(buf + have, '\n', (size_t)k);
        have += (size_t)k;
        if (nl) {
            size_t n = (size_t)(nl - buf);
            if (n && buf[n - 1] == '\r')
                n--;
            buf[n] = '\0';
            *out = buf;
            *len = n;
            return 0;
        }
        if (k == 0 || alloc >= (size_t)TP_MAX_LINE) {
            free(buf);
            return TP_ENOTFOUND;
        }
        if (have == alloc) {
            alloc *= 2;
            buf = xrealloc(buf, alloc);
        }
    }
}

int agentfile_slurp(int fd, size_t max, char **out, size_t *len)
{
    size_t alloc = 64 * 1024, have = 0;
    char *buf = xmalloc(alloc + 1);
    for (;;) {
        if (have == alloc) {
            if (alloc >= max) {
                free(buf);
                return TP_ETOOBIG;
            }
            alloc = alloc * 2 > max ? max : alloc * 2;
            buf = xrealloc(buf, alloc + 1);
        }
        ssize_t k = pread(fd, buf + have, alloc - have, (off_t)have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return TP_EIO;
        }
        if (k == 0)
            break;
        have += (size_t)k;
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    return 0;
}

int64_t agentfile_line_at(int fd, int64_t off)
{
    char *b = xmalloc(1 << 16);
    int64_t pos = 0, lines = 1;
    while (pos < off) {
        size_t want = (size_t)(off - pos) < (1u << 16) ? (size_t)(off - pos) : (1u << 16);
        ssize_t k = pread(fd, b, want, pos);
        if (k <= 0)
            break;
        for (const char *p = b, *e = b + k; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            lines++;
        pos += k;
    }
    free(b);
    return lines;
}

/* ---- helpers ---------------------------------------------------------------- */

int64_t agentfile_iso_ms(const char *s)
{
    int64_t ms;
    if (!s || tpt_parse_iso(s, 0, &ms) != 0)
        return -1;
    return ms;
}

char *agentfile_first_text_line(const char *s, size_t max)
{
    if (!s)
        return NULL;
    while (*s == '\n' || *s == '\r' || *s == ' ')
        s++;
    size_t n = strcspn(s, "\r\n");
    if (!n)
        return NULL;
    if (n <= max)
        return xstrndup(s, n);
    size_t cut = utf8_floor(s, max - 3);
    char *r = xmalloc(cut + 4);
    memcpy(r, s, cut);
    memcpy(r + cut, "\xe2\x80\xa6", 4);
    return r;
}

/* The code on a line that starts with one of the prefixes (spaces
 * before it allowed), or -1. */
static int line_code(const char *line, size_t len)
{
    static const char *const prefixes[] = {"Process exited with code",
                                           "Exit code:", "Command exited with code:"};
    while (len && *line == ' ') {
        line++;
        len--;
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i]);
        if (len <= pl || strncasecmp(line, prefixes[i], pl) != 0)
            continue;
        const char *p = line + pl, *e = line + len;
        while (p < e && *p == ' ')
            p++;
        int neg = p < e && *p == '-';
        if (neg)
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return -1;
        long v = 0;
        while (p < e && *p >= '0' && *p <= '9' && v < 100000)
            v = v * 10 + (*p++ - '0');
        return neg ? (int)((256 - v % 256) % 256) : (int)v;
    }
    return -1;
}

int agentfile_exit_code(const char *text)
{
    if (!text)
        return -1;
    /* Codex writes a header before a line "Output:" and the command's own
     * output after it (which may print anything): only the header counts.
     * Gemini CLI writes the output first and its "Exit Code: N" line after
     * it: the last such line counts. */
    const char *out = strstr(text, "\nOutput:\n");
    if (!out && strncmp(text, "Output:\n", 8) == 0)
        out = text;
    const char *end = out ? out : text + strlen(text);
    int code = -1;
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int c = line_code(p, len);
        if (c >= 0) {
            code = c;
            if (out)
                break;
        }
        p = nl ? nl + 1 : end;
    }
    return code;
}
