/*
 * seedfile.c - the original's daily files and our exports (see seedfile.h).
 *
 * Import. A daily file is one JSON document, read whole (capped at
 * TP_MAX_SEED_FILE); its mark counts operations rather than bytes. A jsonl
 * export is read line by line from where its mark says the last import
 * stopped, so a grown file costs only its new lines. Records without a
 * tool_use_id get one derived from their content and position ("file name
 * #index" or "file name @byte offset"), which is what makes a second import
 * of the same file store nothing new.
 *
 * Export. Rows come from the store an hour at a time; each hour is sorted
 * by start time before it is written, so every export is in time order.
 */
#include "seedfile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/opjson.h"

#define BATCH 5000

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

static void report_line(FILE *report, const char *path, const char *where, const char *msg)
{
    if (report)
        fprintf(report, "%s:%s: %s\n", path, where, msg);
}

/* Turn one JSON record into a stored-ready op in b (or report it). */
static void take_record(const cJSON *rec, int flags, const char *path, const char *position,
                        const char *where, int64_t now, struct batch *b, FILE *report,
                        struct seedfile_stats *st)
{
    char err[TP_ERR_MAX];
    struct op *op = &b->ops[b->n];
    st->ops++;
    if ((flags & OPJ_NAIVE_LOCAL) && !jin_get(rec, "timestamp") && !jin_get(rec, "timestamp_ms")) {
        report_line(report, path, where, "timestamp: missing");
        st->rejected++;
        return;
    }
    if (opjson_read(rec, flags, OP_SRC_IMPORT, now, op, err) != 0 ||
        op_normalize(op, now, err) != 0) {
        report_line(report, path, where, err);
        op_clear(op);
        st->rejected++;
        return;
    }
    if (!op->tool_use_id)
        op->tool_use_id = op_derive_id(op, position);
    b->n++;
}

static int import_seed(struct store *s, const char *path, const struct stat *sb, FILE *report,
                       struct seedfile_stats *st, char *errbuf)
{
    struct store_mark mark;
    int found, rc = 0;
    store_mark_get(s, path, &mark, &found);
    int64_t mtime = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    if (found && mark.size == (int64_t)sb->st_size && mark.mtime_ns == mtime &&
        mark.inode == (uint64_t)sb->st_ino)
        return 0; /* unchanged since its last import */
    if (sb->st_size > TP_MAX_SEED_FILE)
        return tp_fail(errbuf, TP_ETOOBIG, "%s is larger than %d MB", path, TP_MAX_SEED_FILE >> 20);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
    size_t n = (size_t)sb->st_size;
    char *data = xmalloc(n + 1);
    size_t got = fread(data, 1, n, fp);
    fclose(fp);
    cJSON *root = jin_parse(data, got, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, errbuf);
    free(data);
    if (!root) {
        char why[TP_ERR_MAX];
        snprintf(why, sizeof why, "%s", errbuf);
        return tp_fail(errbuf, TP_EPARSE, "%s: %s", path, why);
    }
    const cJSON *ops = jin_get(root, "operations");
    if (!cJSON_IsArray(ops)) {
        cJSON_Delete(root);
        return tp_fail(errbuf, TP_EPARSE, "%s: expected {\"operations\": [...]}", path);
    }
    struct batch *b = xcalloc(1, sizeof *b);
    int64_t now = tpt_now_ms();
    size_t index = 0;
    mark.path = path;
    mark.size = (int64_t)sb->st_size;
    mark.mtime_ns = mtime;
    mark.inode = (uint64_t)sb->st_ino;
    for (const cJSON *rec = ops->child; rec && rc == 0; rec = rec->next, index++) {
        char position[600], where[48];
        snprintf(position, sizeof position, "%.500s#%zu", base_name(path), index);
        snprintf(where, sizeof where, "operation %zu", index + 1);
        take_record(rec, OPJ_NAIVE_LOCAL | OPJ_KEEP_SOURCE, path, position, where, now, b, report,
                    st);
        if (b->n == BATCH) {
            mark.offset = (int64_t)index + 1;
            mark.size = -1; /* not finished: the next run reads the file again */
            rc = flush(s, b, &mark, st, errbuf);
        }
    }
    mark.offset = (int64_t)index;
    mark.size = (int64_t)sb->st_size;
    if (rc == 0)
        rc = flush(s, b, &mark, st, errbuf);
    batch_clear(b);
    free(b);
    cJSON_Delete(root);
    return rc;
}

static int import_jsonl(struct store *s, const char *path, const struct stat *sb, FILE *report,
                        struct seedfile_stats *st, char *errbuf)
{
    struct store_mark mark;
    int found, rc = 0;
    store_mark_get(s, path, &mark, &found);
    int64_t start = 0;
    if (found && mark.inode == (uint64_t)sb->st_ino && mark.offset <= (int64_t)sb->st_size)
        start = mark.offset; /* the same file, possibly grown */
    if (start == (int64_t)sb->st_size)
        return 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
    if (start && fseeko(fp, start, SEEK_SET) != 0) {
        fclose(fp);
        return tp_fail(errbuf, TP_EIO, "cannot seek in %s", path);
    }
    struct batch *b = xcalloc(1, sizeof *b);
    int64_t now = tpt_now_ms(), off = start;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    mark.path = path;
    mark.size = (int64_t)sb->st_size;
    mark.mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    mark.inode = (uint64_t)sb->st_ino;
    while (rc == 0 && (len = getline(&line, &cap, fp)) > 0) {
        lineno++;
        if (line[len - 1] != '\n')
            break; /* an unfinished last line: read it next time */
        int64_t line_off = off;
        off += len;
        size_t n = (size_t)len - 1;
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        if (!n)
            continue;
        char where[64], position[600], err[TP_ERR_MAX];
        if (start)
            snprintf(where, sizeof where, "byte %lld", (long long)line_off);
        else
            snprintf(where, sizeof where, "%ld", lineno);
        if (n > TP_MAX_LINE) {
            report_line(report, path, where, "line too long");
            st->ops++; /* a record read, and rejected: the counts stay comparable */
            st->rejected++;
            continue;
        }
        cJSON *rec = jin_parse(line, n, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
        if (!rec) {
            st->ops++;
            report_line(report, path, where, err);
            st->rejected++;
            continue;
        }
        snprintf(position, sizeof position, "%.500s@%lld", base_name(path), (long long)line_off);
        take_record(rec, OPJ_KEEP_SOURCE, path, position, where, now, b, report, st);
        cJSON_Delete(rec);
        if (b->n == BATCH) {
            mark.offset = off;
            rc = flush(s, b, &mark, st, errbuf);
        }
    }
    free(line);
    fclose(fp);
    mark.offset = off;
    if (rc == 0)
        rc = flush(s, b, &mark, st, errbuf);
    batch_clear(b);
    free(b);
    return rc;
}

int seedfile_import(struct store *s, const char *path, enum seedfile_kind kind, FILE *report,
                    struct seedfile_stats *st, char *errbuf)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return tp_fail(errbuf, TP_EIO, "cannot read %s: %s", path, strerror(errno));
    if (kind == SEEDFILE_SEED)
        return import_seed(s, path, &sb, report, st, errbuf);
    if (kind == SEEDFILE_JSONL)
        return import_jsonl(s, path, &sb, report, st, errbuf);
    return tp_fail(errbuf, TP_EUNSUPP,
                   "%s is neither a daily operations file nor a jsonl "
                   "export",
                   path);
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
