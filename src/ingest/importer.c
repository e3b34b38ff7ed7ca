/*
 * importer.c - finding transcript files and feeding them to the store
 * incrementally (see importer.h for the contract).
 *
 * An import runs in two passes. The first finds the files (a recursive walk
 * that remembers each directory's device and inode, so a symlink loop is
 * entered once) and plans each one from its mark (filemark_decide()): skip
 * it, read it from 0, or read it from the mark's resume point. Knowing the
 * bytes to read up front gives the progress bar its total. The second pass
 * reads, deciding again on the descriptor it reads from (the file may have
 * changed in between).
 *
 * Reading is done with large pread() calls into one buffer; lines are cut
 * with memchr() and fed to the transcript parser, which skips most of them
 * without parsing (transcript.c). A line longer than the buffer grows it,
 * up to TP_MAX_LINE; a longer line is reported and skipped. A last line
 * without its newline is normally being written at this moment, so it is
 * left for the next import, unless the file has been idle long enough to
 * be final.
 *
 * Every IMPORTER_BATCH_OPS calls are normalized and stored in one
 * transaction together with the file's mark (filemark_set()). Its offset
 * is how far the file has been read: the end of the last line consumed in
 * the middle of a file, the file's end once it has all been read, so that
 * a mark written in the middle of a file never makes the file look
 * unchanged. Its resume point is where a later import can safely start:
 * the earliest call still waiting for its result, else the end of the
 * last whole line.
 *
 * importer_find.c finds the files (each agent's default places and the
 * walk), importer_pending.c commits finished files together; what they
 * share is in importer_int.h.
 */
#include "importer.h"
#include "importer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/agentfile.h"
#include "ingest/codex.h"
#include "ingest/filemark.h"
#include "ingest/gemini.h"
#include "ingest/hook.h"
#include "ingest/opencode.h"
#include "ingest/seedfile.h"
#include "ingest/transcript.h"

/* Bytes read per pread(); a line longer than this grows the buffer. */
#define IMPORTER_CHUNK (4u * 1024 * 1024)
/* Bytes handed to seedfile_sniff(). */
#define IMPORTER_SNIFF 4096

void importer_opts_init(struct importer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->report = stderr;
    o->progress = IMPORTER_PROGRESS_AUTO;
}

void importer_stats_add(struct importer_stats *a, const struct importer_stats *b)
{
    a->files_seen += b->files_seen;
    a->files_unchanged += b->files_unchanged;
    a->files_read += b->files_read;
    a->files_seed += b->files_seed;
    a->files_skipped += b->files_skipped;
    a->files_failed += b->files_failed;
    a->lines += b->lines;
    a->bytes += b->bytes;
    a->ops += b->ops;
    a->malformed += b->malformed;
    a->rejected += b->rejected;
    a->res.inserted += b->res.inserted;
    a->res.merged += b->res.merged;
    a->res.unchanged += b->res.unchanged;
    for (int i = 0; i < IMPORTER_AGENTS; i++) {
        a->agent[i].files += b->agent[i].files;
        a->agent[i].calls += b->agent[i].calls;
        a->agent[i].inserted += b->agent[i].inserted;
    }
}

const char *importer_agent_name(int agent)
{
    static const char *const names[IMPORTER_AGENTS] = {"claude-code", CODEX_AGENT, GEMINI_AGENT,
                                                       OPENCODE_AGENT};
    return agent >= 0 && agent < IMPORTER_AGENTS ? names[agent] : "?";
}

static int cancelled(const struct importer_opts *o)
{
    return o->cancel && __atomic_load_n(o->cancel, __ATOMIC_RELAXED);
}

/* ---- progress --------------------------------------------------------- */

struct progress {
    int on;
    size_t files_total, files_done;
    uint64_t bytes_total, bytes_done;
    uint64_t ops;
    int64_t last_ns;
};

static void progress_draw(struct progress *p, int force)
{
    if (!p->on)
        return;
    int64_t now = tpt_mono_ns();
    if (!force && now - p->last_ns < 100 * 1000000LL)
        return;
    p->last_ns = now;
    double frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 1.0;
    if (frac > 1)
        frac = 1;
    char bar[21];
    int fill = (int)(frac * 20 + 0.5);
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    fprintf(stderr, "\rimport [%s] %3d%%  %zu/%zu files  %.1f/%.1f MB  %llu calls\033[K", bar,
            (int)(frac * 100), p->files_done, p->files_total, (double)p->bytes_done / 1e6,
            (double)p->bytes_total / 1e6, (unsigned long long)p->ops);
    fflush(stderr);
}

static void progress_end(struct progress *p)
{
    if (!p->on)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

/* ---- planning --------------------------------------------------------- */

/* Resolve a found path to its mark's key (absolute, symlinks resolved).
 * Returns 0, or TP_ENOTFOUND / TP_EIO. */
static int resolve(struct fent *f, char *errbuf)
{
    char *real = realpath(f->path, NULL);
    if (!real)
        return tp_fail(errbuf, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: %s", f->path,
                       strerror(errno));
    f->key = xstrdup(real);
    free(real);
    return 0;
}

/* Open f->key and decide from its mark what to read (filemark_decide(),
 * the one place that does). Returns the descriptor, or TP_ENOTFOUND /
 * TP_EIO when the file cannot be examined, or TP_EDB. O_NONBLOCK: a FIFO
 * put where a file was must not hang the import; fstat() then refuses
 * it. */
static int open_planned(struct store *s, struct fent *f, const struct importer_opts *o,
                        int64_t now_ms, char *errbuf)
{
    int fd = open(f->key, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return tp_fail(errbuf, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: %s", f->path,
                       strerror(errno));
    int rc = 0;
    if (fstat(fd, &f->st) != 0)
        rc = tp_fail(errbuf, TP_EIO, "%s: %s", f->path, strerror(errno));
    else if (!S_ISREG(f->st.st_mode))
        rc = tp_fail(errbuf, TP_EIO, "%s: not a regular file", f->path);
    else if (f->kind == FK_OPENCODE_DB) {
        /* A database is not read by bytes: opencode_db_import() decides
         * from its own mark (opencode.h). */
        memset(&f->mp, 0, sizeof f->mp);
        f->mp.action = FILEMARK_RESTART;
        f->mp.why = "database";
    } else {
        if (f->kind == FK_AUTO && f->sniff) {
            /* A file named by the user: what it is decides whose it is. */
            char head[IMPORTER_SNIFF];
            ssize_t k = pread(fd, head, sizeof head, 0);
            if (k > 0 && codex_sniff(head, (size_t)k))
                f->kind = FK_CODEX;
            else if (k > 0 && gemini_sniff(head, (size_t)k))
                f->kind = FK_GEMINI;
            else if (k > 0 && opencode_sniff_db(head, (size_t)k))
                f->kind = FK_OPENCODE_DB;
            f->sniff = 0;
            if (f->kind == FK_OPENCODE_DB) {
                memset(&f->mp, 0, sizeof f->mp);
                f->mp.action = FILEMARK_RESTART;
                f->mp.why = "database";
                goto planned;
            }
        }
        rc = filemark_check(s, f->key, fd, &f->st, now_ms, o->full, &f->mp, errbuf);
    }
planned:
    if (rc != 0) {
        close(fd);
        return rc;
    }
    f->plan = f->mp.action == FILEMARK_UNCHANGED ? PLAN_SKIP : PLAN_READ;
    f->start = f->mp.start;
    f->final = f->mp.final;
    return fd;
}

/* Plan one file ahead of reading (for the progress bar's total and to
 * skip unchanged files). Returns 0 or open_planned()'s error. */
static int plan_file(struct store *s, struct fent *f, const struct importer_opts *o, int64_t now_ms,
                     char *errbuf)
{
    int rc = resolve(f, errbuf);
    if (rc != 0)
        return rc;
    int fd = open_planned(s, f, o, now_ms, errbuf);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

/* ---- reading one transcript ------------------------------------------ */

struct reader {
    struct store *s;
    struct pending *pend; /* NULL: commit each file alone */
    const struct importer_opts *o;
    struct importer_stats *st;
    struct progress *pg;
    struct fent *f;
    struct transcript *t;
    int64_t now_ms;
    int fd;
    int64_t line0;           /* line number of the first line read, 0 until needed */
    int64_t lc_off, lc_line; /* the last offset reader_line_at() counted to */
};

static void report(const struct importer_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report(const struct importer_opts *o, const char *fmt, ...)
{
    if (!o->report)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->report, fmt, ap);
    va_end(ap);
    fputc('\n', o->report);
}

/* Line number (1-based) of the line starting at byte offset off, by
 * counting newlines before it: only done when there is something to
 * report, which is rare. Counting resumes from the last answer, so the
 * reports of one file cost one pass over it. */
static int64_t reader_line_at(struct reader *r, int64_t off)
{
    if (off < r->lc_off || r->lc_line == 0) {
        r->lc_off = 0;
        r->lc_line = 1;
    }
    char *b = xmalloc(1 << 16);
    int64_t pos = r->lc_off, lines = r->lc_line;
    while (pos < off) {
        size_t want = (size_t)(off - pos) < (1u << 16) ? (size_t)(off - pos) : (1u << 16);
        ssize_t k = pread(r->fd, b, want, pos);
        if (k <= 0)
            break;
        for (const char *p = b, *e = b + k; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            lines++;
        pos += k;
    }
    free(b);
    r->lc_off = pos;
    r->lc_line = lines;
    return lines;
}

/* Line number of the line starting at f->start (where a resumed read
 * began), computed once. */
static int64_t reader_line0(struct reader *r)
{
    if (!r->line0)
        r->line0 = reader_line_at(r, r->f->start);
    return r->line0;
}

/* Normalize the parser's finished calls and store them with a mark that
 * says the file was read up to offset and resumes at resume. */
static int reader_flush(struct reader *r, int64_t resume, int64_t offset, int complete,
                        char *errbuf)
{
    size_t n, ok = 0;
    struct op *ops = transcript_ops(r->t, &n);
    char eb[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        if (op_normalize(&ops[i], r->now_ms, eb) != 0) {
            r->st->rejected++;
            /* ops[i] is still the i-th op here: swaps only touch ops
             * before it. */
            int64_t off = transcript_op_offset(r->t, i);
            if (r->o->report && off >= 0)
                report(r->o, "%s:%lld: call %s: %s", r->f->path, (long long)reader_line_at(r, off),
                       ops[i].tool_use_id ? ops[i].tool_use_id : "?", eb);
            else
                report(r->o, "%s: call %s: %s", r->f->path,
                       ops[i].tool_use_id ? ops[i].tool_use_id : "?", eb);
            continue;
        }
        if (ok != i) {
            /* Keep accepted ops in front; the rejected ones move back and
             * are freed with the rest by transcript_clear_ops(). */
            struct op tmp = ops[ok];
            ops[ok] = ops[i];
            ops[i] = tmp;
        }
        ok++;
    }
    /* Turns and requests with a broken value (a clock far off) are left
     * out alone: they are how the session sits on the clock, not calls. */
    struct timeline_part tl;
    struct turn *turns = transcript_turns(r->t, &tl.nturns);
    struct request *reqs = transcript_requests(r->t, &tl.nreqs);
    size_t kt = 0, kr = 0;
    for (size_t i = 0; i < tl.nturns; i++)
        if (turn_normalize(&turns[i], r->now_ms, eb) == 0) {
            struct turn tmp = turns[kt];
            turns[kt++] = turns[i];
            turns[i] = tmp;
        }
    for (size_t i = 0; i < tl.nreqs; i++)
        if (request_normalize(&reqs[i], r->now_ms, eb) == 0) {
            struct request tmp = reqs[kr];
            reqs[kr++] = reqs[i];
            reqs[i] = tmp;
        }
    tl.turns = turns;
    tl.nturns = kt;
    tl.reqs = reqs;
    tl.nreqs = kr;
    struct store_mark m;
    filemark_set(&m, r->f->key, r->fd, &r->f->st, resume, offset);
    r->st->ops += n;
    r->pg->ops += n;
    size_t batch = r->o->batch_ops ? r->o->batch_ops : IMPORTER_BATCH_OPS;
    int rc;
    if (complete && r->pend) {
        rc = imp_pending_add(r->s, r->pend, ops, ok, &tl, &m, batch, r->st, errbuf);
    } else {
        /* A file big enough to fill batches on its own: what waits goes
         * first, then this batch. */
        rc = r->pend ? imp_pending_commit(r->s, r->pend, r->st, errbuf) : 0;
        if (rc == 0) {
            struct store_group g = {.ops = ops,
                                    .n = ok,
                                    .mark = &m,
                                    .turns = turns,
                                    .nturns = kt,
                                    .reqs = reqs,
                                    .nreqs = kr};
            rc = store_insert_groups(r->s, &g, 1, errbuf);
            if (rc == 0) {
                r->st->res.inserted += g.res.inserted;
                r->st->res.merged += g.res.merged;
                r->st->res.unchanged += g.res.unchanged;
            }
        }
    }
    transcript_clear_ops(r->t);
    transcript_clear_timeline(r->t);
    return rc;
}

static int64_t resume_at(const struct transcript *t, int64_t consumed)
{
    int64_t p = transcript_pending_offset(t);
    return p >= 0 && p < consumed ? p : consumed;
}

static void reader_feed(struct reader *r, const char *line, size_t len, int64_t off, int64_t lineno)
{
    char eb[TP_ERR_MAX];
    r->st->lines++;
    if (transcript_feed(r->t, line, len, off, eb) != 0) {
        r->st->malformed++;
        if (r->o->report)
            report(r->o, "%s:%lld: %s", r->f->path, (long long)(reader_line0(r) + lineno - 1), eb);
    }
}

static int read_transcript(struct reader *r, char *errbuf)
{
    const int64_t end = (int64_t)r->f->st.st_size;
    size_t batch = r->o->batch_ops ? r->o->batch_ops : IMPORTER_BATCH_OPS;
    size_t alloc = IMPORTER_CHUNK, have = 0;
    char *buf = xmalloc(alloc);
    int64_t base = r->f->start; /* file offset of buf[0] */
    int64_t lineno = 1;         /* of the line at buf[0], counted from start */
    int64_t consumed = r->f->start;
    int discarding = 0; /* inside a line over TP_MAX_LINE */
    int rc = 0;

    if (r->f->start == 0)
        r->line0 = 1;
    while (base + (int64_t)have < end) {
        size_t want = alloc - have;
        if ((int64_t)want > end - base - (int64_t)have)
            want = (size_t)(end - base - (int64_t)have);
        ssize_t k = pread(r->fd, buf + have, want, base + (int64_t)have);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            rc = tp_fail(errbuf, TP_EIO, "%s: %s", r->f->path, strerror(errno));
            goto cleanup;
        }
        if (k == 0)
            break; /* truncated under us: stop at what is there */
        have += (size_t)k;
        r->st->bytes += (uint64_t)k;
        r->pg->bytes_done += (uint64_t)k;

        char *p = buf, *e = buf + have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            if (discarding)
                discarding = 0;
            else
                reader_feed(r, p, (size_t)(nl - p), base + (p - buf), lineno);
            lineno++;
            p = nl + 1;
        }
        consumed = base + (p - buf);
        have = (size_t)(e - p);
        memmove(buf, p, have);
        base = consumed;
        if (have == alloc) {
            if (discarding || alloc >= (size_t)TP_MAX_LINE) {
                /* A line over the limit: report it once, drop what we
                 * have and skip to its end. */
                if (!discarding) {
                    r->st->malformed++;
                    report(r->o, "%s:%lld: line longer than %d bytes, skipped", r->f->path,
                           (long long)(reader_line0(r) + lineno - 1), TP_MAX_LINE);
                }
                discarding = 1;
                base += (int64_t)have;
                have = 0;
            } else {
                alloc = alloc * 2 > (size_t)TP_MAX_LINE ? (size_t)TP_MAX_LINE : alloc * 2;
                buf = xrealloc(buf, alloc);
            }
        }
        size_t n;
        transcript_ops(r->t, &n);
        if (n >= batch &&
            (rc = reader_flush(r, resume_at(r->t, consumed), consumed, 0, errbuf)) != 0)
            goto cleanup;
        if (cancelled(r->o)) {
            if ((rc = reader_flush(r, resume_at(r->t, consumed), consumed, 0, errbuf)) == 0)
                rc = tp_fail(errbuf, TP_EAGAIN, "%s: import cancelled", r->f->path);
            goto cleanup;
        }
        progress_draw(r->pg, 0);
    }
    /* A last line without newline is being written, unless the file is
     * final; then it is the file's last word and is read as it is. */
    struct stat now_st;
    if (r->f->final && fstat(r->fd, &now_st) == 0 && now_st.st_size > end)
        r->f->final = 0; /* written to again while we read: not final after all */
    if (r->f->final) {
        if (have > 0 && !discarding)
            reader_feed(r, buf, have, base, lineno);
        consumed = base + (int64_t)have;
    }
    transcript_finish(r->t, r->f->final);
    /* Read to base + have (the file's end, unless it shrank under us);
     * resumed at the earliest call still waiting, or the last line still
     * being written. */
    rc = reader_flush(r, resume_at(r->t, consumed), base + (int64_t)have, 1, errbuf);

cleanup:
    free(buf);
    return rc;
}

/* A transcript starts with a line holding one JSON object. An empty file
 * qualifies (it is a transcript that has not been written yet). */
static int looks_like_jsonl(const char *head, size_t n)
{
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i == n)
        return 1;
    if (head[i] != '{')
        return 0;
    const char *nl = memchr(head + i, '\n', n - i);
    if (!nl)
        return 1; /* a first line longer than the head */
    const char *e = nl;
    while (e > head + i && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    return e - (head + i) > 1 && e[-1] == '}';
}

/* Import one planned file. Returns 0, a file error (reported, counted) or
 * a store error. */
/* What one run shares across files: the transcripts waiting to be
 * committed together, the other agents' batch and context, and their
 * counters per agent (alive until the batch has committed). */
struct run {
    struct pending *pend;
    struct agentfile_batch *ab;
    struct opencode_ctx *oc;
    struct agentfile_stats ast[IMPORTER_AGENTS];
    uint64_t other_ops, other_inserted; /* daily files, exports, hook logs */
};

static void run_init(struct run *r, struct store *s, struct pending *pend,
                     const struct importer_opts *o)
{
    memset(r, 0, sizeof *r);
    r->pend = pend;
    r->ab = agentfile_batch_new(s, o->batch_ops, o->report);
    r->oc = opencode_ctx_new();
}

/* Commit what the other agents' batch holds and add the counters to st. */
static int run_end(struct run *r, struct importer_stats *st, char *errbuf)
{
    int rc = agentfile_batch_free(r->ab, errbuf);
    r->ab = NULL;
    opencode_ctx_free(r->oc);
    r->oc = NULL;
    uint64_t ops = r->other_ops, ins = r->other_inserted;
    for (int a = 1; a < IMPORTER_AGENTS; a++) {
        const struct agentfile_stats *x = &r->ast[a];
        st->lines += x->lines;
        st->bytes += x->bytes;
        st->ops += x->ops;
        st->malformed += x->malformed;
        st->rejected += x->rejected;
        st->res.inserted += x->res.inserted;
        st->res.merged += x->res.merged;
        st->res.unchanged += x->res.unchanged;
        st->agent[a].calls += x->ops;
        st->agent[a].inserted += x->res.inserted;
        ops += x->ops;
        ins += x->res.inserted;
    }
    /* Claude Code's: what the transcripts found, the rest of the totals. */
    st->agent[IMPORTER_CLAUDE].calls = st->ops > ops ? st->ops - ops : 0;
    st->agent[IMPORTER_CLAUDE].inserted = st->res.inserted > ins ? st->res.inserted - ins : 0;
    return rc;
}

/* The project root of a Gemini CLI chat: the .project_root file of the
 * folder above chats/ (malloc'd, or NULL); *parent gets the parent session
 * of a sub-agent's file (chats/<parent>/file), or NULL. */
static char *gemini_hints(const char *path, char **parent)
{
    *parent = NULL;
    const char *c = strstr(path, "/chats/");
    if (!c)
        return NULL;
    for (const char *n; (n = strstr(c + 1, "/chats/")) != NULL;)
        c = n;
    const char *rest = c + 7, *slash = strchr(rest, '/');
    if (slash && !strchr(slash + 1, '/'))
        *parent = xstrndup(rest, (size_t)(slash - rest));
    char *file = xmalloc((size_t)(c - path) + 16);
    memcpy(file, path, (size_t)(c - path));
    memcpy(file + (c - path), "/.project_root", 15);
    char *root = NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    free(file);
    if (fd >= 0) {
        char buf[PATH_MAX];
        ssize_t k = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k > 0) {
            buf[k] = '\0';
            buf[strcspn(buf, "\r\n")] = '\0';
            if (buf[0] == '/')
                root = xstrdup(buf);
        }
    }
    return root;
}

/* Import a file of another agent, open on fd and planned. */
static int import_agent_file(struct store *s, struct run *run, struct fent *f, int fd, int kind,
                             const struct importer_opts *o, struct importer_stats *st, char *errbuf)
{
    int rc = 0, agent = kind == FK_CODEX    ? IMPORTER_CODEX
                        : kind == FK_GEMINI ? IMPORTER_GEMINI
                                            : IMPORTER_OPENCODE;
    struct agentfile_stats *ast = &run->ast[agent];
    st->files_read++;
    st->agent[agent].files++;
    if (kind == FK_CODEX) {
        rc = codex_import_fd(run->ab, f->key, f->path, fd, &f->st, &f->mp, o->cancel, ast, errbuf);
    } else if (kind == FK_GEMINI) {
        char *parent, *project = gemini_hints(f->key, &parent);
        rc = gemini_import_fd(run->ab, f->key, f->path, fd, &f->st, &f->mp, parent, project,
                              store_dir(s), o->cancel, ast, errbuf);
        free(parent);
        free(project);
    } else if (kind == FK_OPENCODE_DB) {
        rc = opencode_db_import(run->ab, s, run->oc, f->key, f->path, o->full, o->cancel, ast,
                                errbuf);
        if (rc == 1) {
            st->files_read--;
            st->files_unchanged++; /* still one of OpenCode's files found */
            rc = 0;
        } else if (rc == OPENCODE_BUSY) {
            rc = TP_EIO; /* this file's failure (reported): the import goes on */
        }
    } else {
        int k = opencode_storage_kind(f->key);
        rc = k ? opencode_file_import_fd(run->ab, run->oc, f->key, f->path, fd, &f->st, k, ast,
                                         errbuf)
               : 0;
    }
    return rc;
}

static int import_planned(struct store *s, struct run *run, struct fent *f,
                          const struct importer_opts *o, struct importer_stats *st,
                          struct progress *pg, int64_t now_ms, char *errbuf)
{
    char head[IMPORTER_SNIFF];
    int rc = 0;
    struct pending *pend = run->pend;
    /* Decided again on the descriptor that is read: the file may have
     * changed since it was planned. */
    int fd = open_planned(s, f, o, now_ms, errbuf);
    if (fd == TP_EDB)
        return fd;
    if (fd < 0) {
        rc = fd;
        goto file_error;
    }
    if (f->plan == PLAN_SKIP) {
        close(fd);
        st->files_unchanged++;
        pg->bytes_done += (uint64_t)(f->st.st_size - f->start);
        return 0;
    }
    ssize_t k = pread(fd, head, sizeof head, 0);
    if (k < 0) {
        rc = tp_fail(errbuf, TP_EIO, "%s: %s", f->path, strerror(errno));
        close(fd);
        goto file_error;
    }
    int fk = f->kind;
    if (fk == FK_AUTO) {
        if (codex_sniff(head, (size_t)k))
            fk = FK_CODEX;
        else if (gemini_sniff(head, (size_t)k))
            fk = FK_GEMINI;
        else if (opencode_sniff_db(head, (size_t)k))
            fk = FK_OPENCODE_DB;
    }
    if (fk != FK_AUTO) {
        rc = import_agent_file(s, run, f, fd, fk, o, st, errbuf);
        close(fd);
        pg->bytes_done += (uint64_t)(f->st.st_size - f->start);
        if (rc == TP_EDB || rc == TP_EBUSY || rc == TP_EAGAIN)
            return rc;
        if (rc != 0)
            goto file_error;
        return 0;
    }
    enum seedfile_kind kind = seedfile_sniff(head, (size_t)k);
    if (kind == SEEDFILE_NONE && hook_log_sniff(head, (size_t)k) != HOOKLOG_NONE) {
        /* A log of hook payloads kept by someone's own hook script. */
        struct store_result res = {0};
        rc = hook_import_log_fd(s, f->key, fd, &f->st, &f->mp, o->report, &res, errbuf);
        close(fd);
        st->files_seed++;
        st->ops += res.inserted + res.merged + res.unchanged;
        st->res.inserted += res.inserted;
        st->res.merged += res.merged;
        st->res.unchanged += res.unchanged;
        run->other_ops += res.inserted + res.merged + res.unchanged;
        run->other_inserted += res.inserted;
        pg->bytes_done += (uint64_t)(f->st.st_size - f->start);
        if (rc == TP_EDB || rc == TP_EBUSY)
            return rc;
        if (rc != 0)
            goto file_error;
        return 0;
    }
    if (kind == SEEDFILE_NONE && f->start == 0 && !looks_like_jsonl(head, (size_t)k)) {
        /* Neither ours nor a transcript (a settings file, a pretty-printed
         * JSON document): one line in the report, not one per line. */
        close(fd);
        st->files_skipped++;
        pg->bytes_done += (uint64_t)f->st.st_size;
        if (!f->quiet)
            report(o, "%s: not a transcript or a toolprof export, skipped", f->path);
        return 0;
    }
    if (kind != SEEDFILE_NONE) {
        struct seedfile_stats ss = {0};
        rc = seedfile_import_fd(s, f->key, fd, &f->st, kind, &f->mp, o->report, &ss, errbuf);
        close(fd);
        st->files_seed++;
        st->ops += ss.ops;
        st->rejected += ss.rejected;
        st->res.inserted += ss.res.inserted;
        st->res.merged += ss.res.merged;
        st->res.unchanged += ss.res.unchanged;
        run->other_ops += ss.ops;
        run->other_inserted += ss.res.inserted;
        pg->bytes_done += (uint64_t)(f->st.st_size - f->start);
        if (rc == TP_EDB || rc == TP_EBUSY)
            return rc;
        if (rc != 0)
            goto file_error;
        return 0;
    }

    struct reader r = {
        .s = s,
        .pend = pend,
        .o = o,
        .st = st,
        .pg = pg,
        .f = f,
        .now_ms = now_ms,
        .fd = fd,
    };
    r.t = transcript_new();
    rc = read_transcript(&r, errbuf);
    transcript_free(r.t);
    close(fd);
    st->files_read++;
    st->agent[IMPORTER_CLAUDE].files++;
    if (rc == TP_EIO)
        goto file_error;
    return rc;

file_error:
    st->files_failed++;
    report(o, "%s", errbuf);
    return rc;
}

/* The agent a found file belongs to, for the counts per agent. */
static int fent_agent(const struct fent *f)
{
    switch (f->kind) {
    case FK_CODEX: return IMPORTER_CODEX;
    case FK_GEMINI: return IMPORTER_GEMINI;
    case FK_OPENCODE_DB:
    case FK_OPENCODE_FILE: return IMPORTER_OPENCODE;
    }
    return IMPORTER_CLAUDE;
}

/* The kind of a file named explicitly (not found in a root). */
static int explicit_kind(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    if (strcmp(name, "opencode.db") == 0)
        return FK_OPENCODE_DB;
    if (opencode_storage_kind(path))
        return FK_OPENCODE_FILE;
    return FK_AUTO;
}

int importer_file(struct store *s, const char *path, const struct importer_opts *o,
                  struct importer_stats *st, char *errbuf)
{
    struct fent f = {.path = (char *)path, .kind = explicit_kind(path), .sniff = 1};
    struct progress pg = {0};
    struct pending pend = {0};
    struct run run;
    int64_t now = tpt_now_ms();
    char eb[TP_ERR_MAX];
    run_init(&run, s, &pend, o);
    st->files_seen++;
    int rc = plan_file(s, &f, o, now, errbuf);
    if (rc == 0 && f.plan == PLAN_SKIP) {
        st->files_unchanged++;
        st->agent[fent_agent(&f)].files++;
    } else if (rc == 0)
        rc = import_planned(s, &run, &f, o, st, &pg, now, errbuf);
    int prc = imp_pending_commit(s, &pend, st, eb);
    int erc = run_end(&run, st, rc == 0 ? errbuf : eb);
    if (rc == 0 && prc != 0)
        rc = tp_fail(errbuf, prc, "%s", eb);
    if (rc == 0)
        rc = erc;
    imp_pending_free(&pend);
    free(f.key);
    return rc;
}

static int run_files(struct store *s, struct flist *l, const struct importer_opts *o,
                     struct importer_stats *st, int missing, char *errbuf)
{
    struct progress pg = {0};
    struct pending pend = {0};
    struct run run;
    int rc = 0;
    int64_t now = tpt_now_ms();
    char eb[TP_ERR_MAX];
    run_init(&run, s, &pend, o);

    /* Plan every file first: the progress bar needs the total. */
    size_t todo = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct fent *f = &l->v[i];
        st->files_seen++;
        int prc = plan_file(s, f, o, now, eb);
        if (prc == TP_EDB) {
            rc = tp_fail(errbuf, prc, "%s", eb);
            goto cleanup;
        }
        if (prc != 0) {
            f->plan = PLAN_SKIP;
            st->files_failed++;
            report(o, "%s", eb);
            continue;
        }
        if (f->plan == PLAN_SKIP) {
            st->files_unchanged++;
            st->agent[fent_agent(f)].files++;
            continue;
        }
        todo++;
        pg.bytes_total += (uint64_t)(f->st.st_size - f->start);
    }
    pg.files_total = todo;
    pg.on = o->progress == IMPORTER_PROGRESS_ON ||
            (o->progress == IMPORTER_PROGRESS_AUTO && isatty(STDERR_FILENO));

    for (size_t i = 0; i < l->n; i++) {
        struct fent *f = &l->v[i];
        if (f->plan == PLAN_SKIP)
            continue;
        if (cancelled(o)) {
            rc = tp_fail(errbuf, TP_EAGAIN, "import cancelled");
            goto cleanup;
        }
        int frc = import_planned(s, &run, f, o, st, &pg, now, eb);
        pg.files_done++;
        progress_draw(&pg, 0);
        if (frc == TP_EDB || frc == TP_EBUSY || frc == TP_EAGAIN) {
            rc = tp_fail(errbuf, frc, "%s", eb);
            goto cleanup;
        }
    }
    if ((rc = imp_pending_commit(s, &pend, st, eb)) != 0) {
        rc = tp_fail(errbuf, rc, "%s", eb);
        goto cleanup;
    }
    if (missing)
        rc = TP_ENOTFOUND;

cleanup : {
    int erc = run_end(&run, st, eb);
    if (rc == 0 && erc != 0)
        rc = tp_fail(errbuf, erc, "%s", eb);
}
    imp_pending_free(&pend);
    progress_end(&pg);
    return rc;
}

int importer_run_roots(struct store *s, const struct importer_root *roots, size_t nroots,
                       const struct importer_opts *o, struct importer_stats *st, char *errbuf)
{
    struct flist l = {0};
    for (size_t i = 0; i < nroots; i++)
        imp_walk(&l, roots[i].path, roots[i].agent, roots[i].recursive);
    int rc = run_files(s, &l, o, st, 0, errbuf);
    imp_flist_free(&l);
    return rc;
}

int importer_run(struct store *s, const char *const *paths, size_t npaths,
                 const struct importer_opts *o, struct importer_stats *st, char *errbuf)
{
    struct flist l = {0};
    struct importer_root *roots = NULL;
    size_t nroots = 0;
    int missing = 0;

    if (npaths == 0) {
        importer_agent_roots(&roots, &nroots);
        for (size_t i = 0; i < nroots; i++)
            imp_walk(&l, roots[i].path, roots[i].agent, roots[i].recursive);
    }
    for (size_t i = 0; i < npaths; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            if (!missing)
                tp_fail(errbuf, TP_ENOTFOUND, "%s: %s", paths[i], strerror(errno));
            report(o, "%s: %s", paths[i], strerror(errno));
            st->files_failed++;
            missing = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            if (o->jsonl_only)
                imp_walk(&l, paths[i], o->root_agent, 1);
            else
                imp_walk(&l, paths[i], -1, 1);
        } else {
            struct fent *f = imp_flist_add(&l, paths[i]);
            f->kind = explicit_kind(paths[i]);
            f->sniff = 1;
        }
    }
    char eb[TP_ERR_MAX];
    int rc = run_files(s, &l, o, st, missing, eb);
    if (rc != 0 && !(rc == TP_ENOTFOUND && missing))
        tp_fail(errbuf, rc, "%s", eb);
    imp_flist_free(&l);
    importer_free_agent_roots(roots, nroots);
    return rc;
}
