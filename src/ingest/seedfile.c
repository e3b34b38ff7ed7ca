/*
 * seedfile.c - the original's daily files and our exports (see seedfile.h).
 *
 * Import. A daily file is one JSON document, read whole (capped at
 * TP_MAX_SEED_FILE). A jsonl export is read line by line from where its
 * mark says the last import stopped, so a grown file costs only its new
 * lines. Both are read by the field extractor (core/jfield.h), without a
 * tree, unless it cannot prove it reads a text as jin_parse() does; then
 * jin_parse() reads it, and gives the same ops. Both keep the mark contract of store.h: each batch
 * commits with a mark made by filemark_set() (bytes read, the resume point, the fingerprint), and
 * where to start is filemark_decide()'s answer, taken by the caller (importer.c) or by
 * seedfile_import(). Records without a tool_use_id get one derived from their content and position
 * ("file name #index" or "file name @byte offset"), which is what makes a second import of the same
 * file store nothing new.
 *
 * Export. Rows come from the store an hour at a time; each hour is sorted
 * by start time before it is written, so every export is in time order.
 */
#include "seedfile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jfield.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/opjson.h"

#define BATCH 5000
/* Bytes read per pread() from a jsonl export; a longer line grows the
 * buffer, up to TP_MAX_LINE. */
#define SEEDFILE_CHUNK (1u << 20)

enum seedfile_kind seedfile_sniff(const char *head, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i >= n || head[i] != '{')
        return SEEDFILE_NONE;
    const char *nl = memchr(head + i, '\n', n - i);
    size_t len = nl ? (size_t)(nl - (head + i)) : n - i;
    char err[TP_ERR_MAX];
    cJSON *first = jin_parse(head + i, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, err);
    enum seedfile_kind kind = SEEDFILE_NONE;
    if (first) {
        /* One object on the first line: ours if it is an operation (has
         * "tool" and no transcript "type"), a seed file if it holds
         * "operations". */
        if (jin_get(first, "operations")) /* the import says if it is not an array */
            kind = SEEDFILE_SEED;
        else if (jin_str(first, "tool") && !jin_get(first, "type"))
            kind = SEEDFILE_JSONL;
        cJSON_Delete(first);
    } else if (!nl && len >= 8 && memcmp(head + i, "{\"tool\":", 8) == 0) {
        /* A first line longer than the head: our exports always start an
         * operation with its "tool" key. */
        kind = SEEDFILE_JSONL;
    } else {
        /* A pretty-printed document: the original's layout opens with its
         * one key. */
        const char *p = head + i + 1;
        while (p < head + n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if ((size_t)(head + n - p) >= 12 && memcmp(p, "\"operations\"", 12) == 0)
            kind = SEEDFILE_SEED;
    }
    return kind;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

struct batch {
    struct op ops[BATCH];
    size_t n;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        op_clear(&b->ops[i]);
    b->n = 0;
}

static int flush(struct store *s, struct batch *b, const struct store_mark *m,
                 struct seedfile_stats *st, char *errbuf)
{
    int rc = store_insert(s, b->ops, b->n, m, &st->res, errbuf);
    batch_clear(b);
    return rc;
}

/* Where a record is: a daily file's operation (its index), or a jsonl
 * line (its number, or its byte offset when the read resumed). Said in
 * words only when a report or a derived id needs it. */
struct rec_place {
    const char *path;
    int seed;     /* a daily file's operation */
    size_t index; /* ... its index */
    long lineno;  /* a jsonl line's number, counted from the read's start */
    int64_t off;  /* ... its byte offset */
    int by_byte;  /* the read resumed: say the offset, not the number */
};

static void place_where(const struct rec_place *at, char *out, size_t size)
{
    if (at->seed)
        snprintf(out, size, "operation %zu", at->index + 1);
    else if (at->by_byte)
        snprintf(out, size, "byte %lld", (long long)at->off);
    else
        snprintf(out, size, "%ld", at->lineno);
}

/* What a derived tool_use_id is made from: "file#index", "file@offset". */
static void place_position(const struct rec_place *at, char *out, size_t size)
{
    if (at->seed)
        snprintf(out, size, "%.500s#%zu", base_name(at->path), at->index);
    else
        snprintf(out, size, "%.500s@%lld", base_name(at->path), (long long)at->off);
}

static void report_line(FILE *report, const struct rec_place *at, const char *msg)
{
    char where[64];
    if (!report)
        return;
    place_where(at, where, sizeof where);
    fprintf(report, "%s:%s: %s\n", at->path, where, msg);
}

/* Turn one JSON record into a stored-ready op in b (or report it). */
static void take_record(struct jf_val rec, int flags, const struct rec_place *at, int64_t now,
                        struct batch *b, FILE *report, struct seedfile_stats *st)
{
    char err[TP_ERR_MAX];
    struct op *op = &b->ops[b->n];
    st->ops++;
    if ((flags & OPJ_NAIVE_LOCAL) && !jf_present(jf_get(rec, "timestamp")) &&
        !jf_present(jf_get(rec, "timestamp_ms"))) {
        report_line(report, at, "timestamp: missing");
        st->rejected++;
        return;
    }
    if (opjson_read_val(rec, flags, OP_SRC_IMPORT, now, op, err) != 0 ||
        op_normalize(op, now, err) != 0) {
        report_line(report, at, err);
        op_clear(op);
        st->rejected++;
        return;
    }
    if (!op->tool_use_id) {
        char position[600];
        place_position(at, position, sizeof position);
        op->tool_use_id = op_derive_id(op, position);
    }
    b->n++;
}

/* Read [0, n) of fd whole. Returns the bytes read (fewer when the file
 * shrank under us), or -1 with errno set. */
static ssize_t read_whole(int fd, char *data, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, data + got, n - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* A daily file: one document, parsed whole, so that a file that is not
 * JSON (cut short while the original was writing it, say) is refused as a
 * whole. Each operation's end in the text is found by jin_array_next(),
 * so that marks count bytes like every other format's: a resumed import
 * parses the document again and skips the operations that end before the
 * resume point (their derived ids still count them). */
static int import_seed(struct store *s, const char *path, int fd, const struct stat *sb,
                       const struct filemark_plan *plan, FILE *report, struct seedfile_stats *st,
                       char *errbuf)
{
    struct store_mark mark;
    int rc = 0;
    if (sb->st_size > TP_MAX_SEED_FILE)
        return tp_fail(errbuf, TP_ETOOBIG, "%s is larger than %d MB", path, TP_MAX_SEED_FILE >> 20);
    size_t n = (size_t)sb->st_size;
    char *data = xmalloc(n + 1);
    ssize_t got = read_whole(fd, data, n);
    if (got < 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
        free(data);
        return rc;
    }
    /* The field extractor reads the document unless it cannot prove it
     * reads it as the tree parser would (core/jfield.h). */
    struct jf_doc *doc = jf_doc_new();
    cJSON *tree = NULL;
    struct jf_val root;
    if (jf_parse(doc, data, (size_t)got, JF_NUMFMT, TP_MAX_JSON_DEPTH) == 0) {
        root = jf_root(doc);
    } else {
        tree = jin_parse(data, (size_t)got, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, errbuf);
        if (!tree) {
            char why[TP_ERR_MAX];
            snprintf(why, sizeof why, "%s", errbuf);
            jf_doc_free(doc);
            free(data);
            return tp_fail(errbuf, TP_EPARSE, "%s: %s", path, why);
        }
        root = jf_tree(tree);
    }
    struct jf_val ops = jf_get(root, "operations");
    if (jf_type(ops) != JF_ARRAY) {
        cJSON_Delete(tree);
        jf_doc_free(doc);
        free(data);
        return tp_fail(errbuf, TP_EPARSE, "%s: expected {\"operations\": [...]}", path);
    }
    /* Where each operation ends. Should the walk ever disagree with cJSON
     * (a key spelled with escapes), marks in the middle say 0: the next
     * import then reads the file again from its start. */
    struct jin_iter it;
    long at = jin_member_at(data, (size_t)got, 0, "operations");
    int spans = at >= 0 && jin_array_begin(&it, data, (size_t)got, (size_t)at) == 0;
    struct batch *b = xcalloc(1, sizeof *b);
    int64_t now = tpt_now_ms(), done = 0;
    size_t index = 0;
    for (struct jf_val rec = jf_child(ops); jf_present(rec) && rc == 0;
         rec = jf_next(rec), index++) {
        size_t e0, e1;
        int64_t end = -1;
        if (spans && jin_array_next(&it, &e0, &e1) == 1)
            end = (int64_t)e1;
        else
            spans = 0;
        if (end >= 0 && end <= plan->start)
            continue; /* stored by the import this one resumes */
        struct rec_place place = {.path = path, .seed = 1, .index = index};
        take_record(rec, OPJ_NAIVE_LOCAL | OPJ_KEEP_SOURCE, &place, now, b, report, st);
        done = end >= 0 ? end : 0;
        if (b->n == BATCH) {
            filemark_set(&mark, path, fd, sb, done, done);
            rc = flush(s, b, &mark, st, errbuf);
        }
    }
    filemark_set(&mark, path, fd, sb, (int64_t)got, (int64_t)got);
    if (rc == 0)
        rc = flush(s, b, &mark, st, errbuf);
    batch_clear(b);
    free(b);
    cJSON_Delete(tree);
    jf_doc_free(doc);
    free(data);
    return rc;
}

/* Reading a jsonl export. */
struct jsonl_reader {
    struct store *s;
    const char *path;
    FILE *report;
    struct seedfile_stats *st;
    struct batch *b;
    struct jf_doc *doc; /* the field extractor's, reused line after line */
    int64_t now, start;
    long lineno; /* of the line being read, counted from start */
};

/* One line of a jsonl export, line[0..len) without its newline, starting
 * at byte off: a record, a blank, or a line reported and counted as a
 * rejected record. */
static void jsonl_line(struct jsonl_reader *r, const char *line, size_t len, int64_t off)
{
    size_t n = len;
    char err[TP_ERR_MAX];
    struct rec_place at = {
        .path = r->path, .lineno = r->lineno, .off = off, .by_byte = r->start != 0};
    if (n > TP_MAX_LINE) {
        report_line(r->report, &at, "line too long");
        r->st->ops++; /* a record read, and rejected: the counts stay comparable */
        r->st->rejected++;
        return;
    }
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        n--;
    if (!n)
        return;
    /* The field extractor, unless it cannot prove it reads the line as the
     * tree parser would (core/jfield.h). */
    cJSON *tree = NULL;
    struct jf_val rec;
    if (jf_parse(r->doc, line, n, JF_NUMFMT, TP_MAX_JSON_DEPTH) == 0) {
        rec = jf_root(r->doc);
    } else {
        tree = jin_parse(line, n, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
        if (!tree) {
            r->st->ops++;
            report_line(r->report, &at, err);
            r->st->rejected++;
            return;
        }
        rec = jf_tree(tree);
    }
    take_record(rec, OPJ_KEEP_SOURCE, &at, r->now, r->b, r->report, r->st);
    cJSON_Delete(tree);
}

/* 1 when a last line without its newline is whole: one JSON object (no
 * proper prefix of an object is one). */
static int whole_object(const char *line, size_t len)
{
    char err[TP_ERR_MAX];
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len || line[i] != '{' || len > TP_MAX_LINE)
        return 0;
    cJSON *v = jin_parse(line, len, JIN_REPAIR, TP_MAX_JSON_DEPTH, err);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

/* A jsonl export, read from plan->start to the size the plan saw, in
 * chunks. A last line without its newline is read when it is a whole
 * object or the file is final; otherwise it is being written, and the
 * mark resumes at its start. */
static int import_jsonl(struct store *s, const char *path, int fd, const struct stat *sb,
                        const struct filemark_plan *plan, FILE *report, struct seedfile_stats *st,
                        char *errbuf)
{
    const int64_t end = (int64_t)sb->st_size;
    struct jsonl_reader r = {.s = s,
                             .path = path,
                             .report = report,
                             .st = st,
                             .now = tpt_now_ms(),
                             .start = plan->start,
                             .lineno = 1};
    struct store_mark mark;
    size_t alloc = SEEDFILE_CHUNK, have = 0;
    char *buf = xmalloc(alloc);
    int64_t base = plan->start; /* file offset of buf[0] */
    int64_t consumed = base;    /* end of the last whole line */
    int discarding = 0;         /* inside a line over TP_MAX_LINE */
    int rc = 0;
    r.b = xcalloc(1, sizeof *r.b);
    r.doc = jf_doc_new();
    while (rc == 0 && base + (int64_t)have < end) {
        size_t want = alloc - have;
        if ((int64_t)want > end - base - (int64_t)have)
            want = (size_t)(end - base - (int64_t)have);
        ssize_t k = pread(fd, buf + have, want, (off_t)(base + (int64_t)have));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (k == 0)
            break; /* shrunk under us: the next import reads it again */
        have += (size_t)k;
        char *p = buf, *e = buf + have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            if (discarding)
                discarding = 0;
            else
                jsonl_line(&r, p, (size_t)(nl - p), base + (p - buf));
            r.lineno++;
            p = nl + 1;
            consumed = base + (p - buf);
            if (r.b->n == BATCH) {
                filemark_set(&mark, path, fd, sb, consumed, consumed);
                if ((rc = flush(s, r.b, &mark, st, errbuf)) != 0)
                    break;
            }
        }
        if (rc != 0)
            break;
        have = (size_t)(e - p);
        memmove(buf, p, have);
        base += p - buf;
        if (have == alloc) {
            if (discarding || alloc > (size_t)TP_MAX_LINE) {
                /* A line over the limit: counted and reported once, its
                 * bytes dropped up to its end (consumed stays at its
                 * start until then). */
                if (!discarding) {
                    jsonl_line(&r, buf, have, base);
                    discarding = 1;
                }
                base += (int64_t)have;
                have = 0;
            } else {
                alloc = alloc * 2 > (size_t)TP_MAX_LINE + 1 ? (size_t)TP_MAX_LINE + 1 : alloc * 2;
                buf = xrealloc(buf, alloc);
            }
        }
    }
    if (rc == 0) {
        if (have && !discarding && (plan->final || whole_object(buf, have))) {
            jsonl_line(&r, buf, have, base);
            consumed = base + (int64_t)have;
        }
        filemark_set(&mark, path, fd, sb, consumed, base + (int64_t)have);
        rc = flush(s, r.b, &mark, st, errbuf);
    }
    batch_clear(r.b);
    free(r.b);
    jf_doc_free(r.doc);
    free(buf);
    return rc;
}

int seedfile_import_fd(struct store *s, const char *path, int fd, const struct stat *sb,
                       enum seedfile_kind kind, const struct filemark_plan *plan, FILE *report,
                       struct seedfile_stats *st, char *errbuf)
{
    if (kind == SEEDFILE_SEED)
        return import_seed(s, path, fd, sb, plan, report, st, errbuf);
    if (kind == SEEDFILE_JSONL)
        return import_jsonl(s, path, fd, sb, plan, report, st, errbuf);
    return tp_fail(errbuf, TP_EUNSUPP,
                   "%s is neither a daily operations file nor a jsonl "
                   "export",
                   path);
}

int seedfile_import(struct store *s, const char *path, enum seedfile_kind kind, FILE *report,
                    struct seedfile_stats *st, char *errbuf)
{
    struct stat sb;
    struct filemark_plan plan;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
    int rc;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = tp_fail(errbuf, TP_EIO, "cannot read %s: not a regular file", path);
    else if ((rc = filemark_check(s, path, fd, &sb, tpt_now_ms(), 0, &plan, errbuf)) == 0 &&
             plan.action != FILEMARK_UNCHANGED)
        rc = seedfile_import_fd(s, path, fd, &sb, kind, &plan, report, st, errbuf);
    close(fd);
    return rc;
}

/* ---- export ---------------------------------------------------------------------- */

/* One row being exported (strings owned). */
struct exp_item {
    int64_t id;
    unsigned sources;
    struct op op;
};

struct exporter {
    struct store *s;
    enum seedfile_format fmt;
    const char *dir;
    FILE *out;             /* jsonl/csv: the one output; seed: the current day file */
    char day[11];          /* seed: the local day of `out` */
    size_t in_day;         /* seed: operations written to the current day file */
    struct exp_item *hour; /* the current hour's rows, to sort */
    size_t nhour, ahour;
    int64_t cur_hour;
    size_t count;
    int err;
    char errbuf[TP_ERR_MAX];
    struct buf line;
};

static void csv_field(struct buf *b, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n\r")) {
        buf_adds(b, s);
        return;
    }
    buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_addc(b, '"');
        buf_addc(b, *s);
    }
    buf_addc(b, '"');
}

static void csv_row(struct buf *b, const struct op *op)
{
    char ts[32], num[40];
    tpt_format_utc(op->ts_ms, ts);
    buf_printf(b, "%s,", ts);
    csv_field(b, op->tool);
    buf_addc(b, ',');
    csv_field(b, op->target);
    buf_addc(b, ',');
    if (!isnan(op->duration_ms)) {
        jw_format_double(num, op->duration_ms);
        buf_adds(b, num);
    }
    buf_printf(b, ",%s,%s,", op->success ? "true" : "false", op->optimized ? "true" : "false");
    if (op->size_bytes >= 0)
        buf_printf(b, "%lld", (long long)op->size_bytes);
    buf_addc(b, ',');
    if (op->result_bytes >= 0)
        buf_printf(b, "%lld", (long long)op->result_bytes);
    buf_addc(b, ',');
    csv_field(b, op->session_id);
    buf_addc(b, ',');
    csv_field(b, op->project);
    buf_addc(b, ',');
    csv_field(b, op->tool_use_id);
    buf_addc(b, ',');
    csv_field(b, op->error);
    buf_printf(b, ",%s,", op_source_name(op->source));
    csv_field(b, op->meta);
    buf_addc(b, '\n');
}

static int close_day(struct exporter *e)
{
    if (!e->out)
        return 0;
    fputs(e->in_day ? "\n]}\n" : "]}\n", e->out);
    int rc = fclose(e->out);
    e->out = NULL;
    return rc == 0 ? 0 : TP_EIO;
}

static int open_day(struct exporter *e, const char *day)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/operations_%s.json", e->dir, day);
    e->out = fopen(path, "w");
    if (!e->out)
        return tp_fail(e->errbuf, TP_EIO, "cannot write %s: %s", path, strerror(errno));
    snprintf(e->day, sizeof e->day, "%s", day);
    e->in_day = 0;
    fputs("{\"operations\": [", e->out);
    return 0;
}

static void write_one(struct exporter *e, const struct exp_item *it)
{
    struct jsonw w;
    buf_reset(&e->line);
    if (e->fmt == EXPORT_CSV) {
        csv_row(&e->line, &it->op);
    } else {
        jw_init(&w, &e->line);
        if (e->fmt == EXPORT_SEED_JSON)
            opjson_write_seed(&w, &it->op);
        else
            opjson_write(&w, &it->op, it->sources);
        buf_addc(&e->line, '\n');
    }
    if (e->fmt == EXPORT_SEED_JSON) {
        char day[11];
        tpt_local_date(it->op.ts_ms, day);
        if (!e->out || strcmp(day, e->day) != 0) {
            if (close_day(e) != 0 || open_day(e, day) != 0) {
                e->err = TP_EIO;
                return;
            }
        }
        fputs(e->in_day ? ",\n" : "\n", e->out);
        fwrite(e->line.data, 1, e->line.len - 1, e->out);
        e->in_day++;
    } else {
        fwrite(e->line.data, 1, e->line.len, e->out);
    }
    e->count++;
}

static int cmp_ts(const void *a, const void *b)
{
    const struct exp_item *x = a, *y = b;
    if (x->op.ts_ms != y->op.ts_ms)
        return x->op.ts_ms < y->op.ts_ms ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void flush_hour(struct exporter *e)
{
    if (e->nhour > 1)
        qsort(e->hour, e->nhour, sizeof *e->hour, cmp_ts);
    for (size_t i = 0; i < e->nhour; i++) {
        if (!e->err)
            write_one(e, &e->hour[i]);
        op_clear(&e->hour[i].op);
    }
    e->nhour = 0;
}

static int export_row(void *ctx, const struct store_row *r)
{
    struct exporter *e = ctx;
    int64_t hour = r->id >> 32;
    if (e->nhour && hour != e->cur_hour)
        flush_hour(e);
    e->cur_hour = hour;
    if (e->nhour == e->ahour) {
        e->ahour = e->ahour ? e->ahour * 2 : 256;
        e->hour = xreallocarray(e->hour, e->ahour, sizeof *e->hour);
    }
    struct exp_item *it = &e->hour[e->nhour++];
    it->id = r->id;
    it->sources = r->sources;
    op_copy(&it->op, &r->op);
    return e->err != 0;
}

int seedfile_export(struct store *s, enum seedfile_format fmt, const char *out_dir,
                    int64_t since_ms, int64_t until_ms, size_t *count, char *errbuf)
{
    return seedfile_export_to(s, fmt, out_dir, 0, NULL, since_ms, until_ms, count, errbuf);
}

int seedfile_export_to(struct store *s, enum seedfile_format fmt, const char *out_dir, int to_file,
                       const struct store_filter *f, int64_t since_ms, int64_t until_ms,
                       size_t *count, char *errbuf)
{
    struct exporter e;
    memset(&e, 0, sizeof e);
    e.s = s;
    e.fmt = fmt;
    e.dir = out_dir;
    *count = 0;
    int to_stdout = strcmp(out_dir, "-") == 0;
    char tmp[4200] = "", path[4096] = "";
    if (to_stdout && fmt == EXPORT_SEED_JSON)
        return tp_fail(errbuf, TP_EINVAL, "seed-json writes one file per day: give --out DIR");
    if (to_file && fmt == EXPORT_SEED_JSON)
        return tp_fail(errbuf, TP_EINVAL, "seed-json writes one file per day: give a directory");
    if (!to_stdout && !to_file) {
        struct stat sb;
        if (stat(out_dir, &sb) != 0 && mkdir(out_dir, 0755) != 0)
            return tp_fail(errbuf, TP_EIO, "cannot create %s: %s", out_dir, strerror(errno));
    }
    buf_init(&e.line, TP_MAX_RESPONSE);
    if (fmt != EXPORT_SEED_JSON) {
        if (to_stdout) {
            e.out = stdout;
        } else {
            /* A file is written whole or not at all: to a temporary name
             * beside it, renamed over it at the end. */
            if (to_file)
                snprintf(path, sizeof path, "%s", out_dir);
            else
                snprintf(path, sizeof path, "%s/operations.%s", out_dir,
                         fmt == EXPORT_CSV ? "csv" : "jsonl");
            snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
            if (!(e.out = fopen(tmp, "w"))) {
                buf_free(&e.line);
                return tp_fail(errbuf, TP_EIO, "cannot write %s: %s", path, strerror(errno));
            }
        }
        if (fmt == EXPORT_CSV)
            fputs("timestamp,tool,target,duration_ms,success,optimization_applied,size_bytes,"
                  "result_bytes,session_id,project,tool_use_id,error,source,metadata\n",
                  e.out);
    }
    struct store_scan sc = {.from_ms = since_ms, .to_ms = until_ms};
    if (f)
        sc.f = *f;
    int rc = store_scan(s, &sc, export_row, &e);
    flush_hour(&e);
    free(e.hour);
    buf_free(&e.line);
    if (fmt == EXPORT_SEED_JSON) {
        if (close_day(&e) != 0 && !e.err)
            e.err = tp_fail(e.errbuf, TP_EIO, "cannot finish a day file in %s", out_dir);
    } else if (!to_stdout) {
        if ((fflush(e.out) != 0 || fsync(fileno(e.out)) != 0) && !e.err)
            e.err = tp_fail(e.errbuf, TP_EIO, "cannot finish the export in %s", out_dir);
        if (fclose(e.out) != 0 && !e.err)
            e.err = tp_fail(e.errbuf, TP_EIO, "cannot finish the export in %s", out_dir);
        if (!e.err && !rc && rename(tmp, path) != 0)
            e.err = tp_fail(e.errbuf, TP_EIO, "cannot write %s: %s", path, strerror(errno));
        if (e.err || rc)
            unlink(tmp);
    } else {
        fflush(stdout);
    }
    *count = e.count;
    if (e.err)
        return tp_fail(errbuf, e.err, "%s", e.errbuf);
    if (rc)
        return tp_fail(errbuf, rc, "reading the store failed");
    return 0;
}
