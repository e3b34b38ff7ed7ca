/*
 * test_seedfile.c - the original's daily files and our exports: format
 * sniffing; importing a file written like the original (json.dump indent=2,
 * naive local timestamps, int and float durations, extra keys, invalid
 * records reported as "path:operation N: ..."); idempotent re-imports; a
 * growing jsonl read from where it stopped; and export in every format then
 * import back with every field equal.
 *
 * Fixture: tests/data/seed/operations_2026-02-15.json, written by Python's
 * json.dump(..., indent=2) like the original's _save_operation().
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/seedfile.h"
#include "store/op.h"
#include "store/store.h"

#define SEED_FILE "seed/operations_2026-02-15.json"
#define T0 1771151445123LL      /* 2026-02-15T10:30:45.123Z = 16:00:45.123 in Kolkata */
#define NOW_STR "1771243200000" /* 2026-02-16T12:00:00Z */
#define NOW 1771243200000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static void setup_env(void)
{
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    setenv("TOOLPROF_NOW_MS", NOW_STR, 1);
}

static struct store *open_store(const char *dir, const char *sub)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    return fixture_store_open(path);
}

static int write_file(const char *path, const char *data, const char *mode)
{
    return fixture_write(path, data, strlen(data), mode);
}

/* Rows of a store, by tool_use_id. */
struct rows {
    struct op v[256];
    unsigned sources[256];
    size_t n;
};

static int collect(void *ctx, const struct store_row *r)
{
    struct rows *x = ctx;
    if (x->n < 256) {
        op_copy(&x->v[x->n], &r->op);
        x->sources[x->n] = r->sources;
        x->n++;
    }
    return 0;
}

static void rows_load(struct store *s, struct rows *x)
{
    x->n = 0;
    struct store_scan sc = {.from_ms = 0, .to_ms = NOW + DAY};
    store_scan(s, &sc, collect, x);
}

static void rows_free(struct rows *x)
{
    for (size_t i = 0; i < x->n; i++)
        op_clear(&x->v[i]);
    x->n = 0;
}

static const struct op *by_target(const struct rows *x, const char *target)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->v[i].target && strcmp(x->v[i].target, target) == 0)
            return &x->v[i];
    return NULL;
}

static const struct op *by_id(const struct rows *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->v[i].tool_use_id && strcmp(x->v[i].tool_use_id, id) == 0)
            return &x->v[i];
    return NULL;
}

/* ---- sniffing --------------------------------------------------------------- */

static void test_sniff(void)
{
    size_t n;
    char *seed;
    FIXTURE_READ_DATA(seed, SEED_FILE, &n);
    static const struct {
        const char *name;
        const char *head;
        enum seedfile_kind kind;
    } cases[] = {
        {"seed one-line", "{\"operations\": [{\"tool\": \"Read\", \"duration_ms\": 1}]}",
         SEEDFILE_SEED},
        {"seed one-line, empty", "{\"operations\": []}\n", SEEDFILE_SEED},
        {"seed cut mid-document", "{\"operations\": [{\"tool\": \"Read\", \"dur", SEEDFILE_SEED},
        {"seed with BOM", "\xEF\xBB\xBF{\n  \"operations\": [\n", SEEDFILE_SEED},
        {"our jsonl",
         "{\"tool\":\"Read\",\"target\":\"/a\",\"duration_ms\":1.0,\"timestamp_ms\":1}\n"
         "{\"tool\":\"Bash\"}\n",
         SEEDFILE_JSONL},
        {"transcript line",
         "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
         "\"name\":\"Read\"}]},\"tool\":\"x\"}\n",
         SEEDFILE_NONE},
        {"transcript summary", "{\"type\":\"summary\",\"summary\":\"x\"}\n", SEEDFILE_NONE},
        {"hook log array", "[{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\"}]",
         SEEDFILE_NONE},
        {"other object", "{\"foo\": 1}\n", SEEDFILE_NONE},
        {"empty", "", SEEDFILE_NONE},
        {"blank", "  \n\n", SEEDFILE_NONE},
        {"text", "hello\n", SEEDFILE_NONE},
    };
    ASSERT_EQ_INT(seedfile_sniff(seed, n), SEEDFILE_SEED);
    ASSERT_EQ_INT(seedfile_sniff(seed, 40 < n ? 40 : n), SEEDFILE_SEED);
    free(seed);
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum seedfile_kind k = seedfile_sniff(cases[i].head, strlen(cases[i].head));
        if (k != cases[i].kind) {
            fprintf(stderr, "  %s: got %d, expected %d\n", cases[i].name, k, cases[i].kind);
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

/* Our jsonl export with a long first line (a long command plus metadata:
 * lines go up to ~15 KB) seen through the importer's 4096-byte head. */
static void test_sniff_long_first_line(void)
{
    char line[9000];
    int k = snprintf(line, sizeof line, "{\"tool\":\"Bash\",\"target\":\"");
    memset(line + k, 'x', 6000);
    strcpy(line + k + 6000, "\",\"duration_ms\":1.0}\n");
    ASSERT_EQ_INT(seedfile_sniff(line, strlen(line)), SEEDFILE_JSONL);
    ASSERT_EQ_INT(seedfile_sniff(line, 4096), SEEDFILE_JSONL);
}

/* ---- importing the original's file ------------------------------------------------ */

static void test_import_seed_file(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    char path[600];
    snprintf(path, sizeof path, "%s/operations_2026-02-15.json", dir);
    FIXTURE_COPY_DATA(SEED_FILE, path);
    struct store *s = open_store(dir, "db");
    ASSERT_TRUE(s != NULL);
    char *report = NULL;
    size_t report_len = 0;
    FILE *rep = open_memstream(&report, &report_len);
    struct seedfile_stats st;
    memset(&st, 0, sizeof st);
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, rep, &st, err), 0);
    fclose(rep);
    ASSERT_EQ_INT(st.ops, 11);
    ASSERT_EQ_INT(st.rejected, 4);
    ASSERT_EQ_INT(st.res.inserted, 7);
    /* Each invalid record named by file and position, with the field. */
    char want[800];
    snprintf(want, sizeof want, "%s:operation 7: tool: missing\n", path);
    ASSERT_CONTAINS(report, want);
    snprintf(want, sizeof want, "%s:operation 8: duration_ms: expected a number\n", path);
    ASSERT_CONTAINS(report, want);
    snprintf(want, sizeof want, "%s:operation 9: timestamp: missing\n", path);
    ASSERT_CONTAINS(report, want);
    snprintf(want, sizeof want, "%s:operation 10: duration_ms must be a finite number", path);
    ASSERT_CONTAINS(report, want);
    free(report);

    struct rows x;
    rows_load(s, &x);
    ASSERT_EQ_INT(x.n, 7);
    static const struct {
        const char *target, *tool;
        double dur;
        int64_t ts;
        int success, opt;
        int64_t size;
    } want_ops[] = {
        {"test.py", "Read", 150.5, T0, 1, 1, -1},
        {"large_file.py", "Read", 3500, T0 - 123 + 1000, 1, 0, 250000},
        {"pattern", "Grep", 250, T0 - 123 + 2000, 1, 1, -1},
        {"npm install", "Bash", 5500, T0 - 123 + 3500, 1, 0, -1},
        {"output.txt", "Write", 2100, T0 - 123 + 4999, 0, 1, -1},
        {"Context Loading", "LEVEL_1_CONTEXT", 2280, T0 - 123 + 15000, 1, 0, -1},
        {"last.py", "Edit", 90, 1771180199999LL, 1, 0, -1},
    };
    FOR_EACH_ROW(i, sizeof want_ops / sizeof want_ops[0])
    {
        const struct op *op = by_target(&x, want_ops[i].target);
        if (!op)
            fprintf(stderr, "  missing %s\n", want_ops[i].target);
        ASSERT_TRUE(op != NULL);
        ASSERT_STREQ(op->tool, want_ops[i].tool);
        ASSERT_EQ_DBL(op->duration_ms, want_ops[i].dur, 0);
        ASSERT_EQ_INT(op->ts_ms, want_ops[i].ts);
        ASSERT_EQ_INT(op->success, want_ops[i].success);
        ASSERT_EQ_INT(op->optimized, want_ops[i].opt);
        ASSERT_EQ_INT(op->size_bytes, want_ops[i].size);
        ASSERT_EQ_INT(op->source, OP_SRC_IMPORT);
        /* No tool_use_id in the file: a derived, stable one. */
        ASSERT_TRUE(op->tool_use_id && strncmp(op->tool_use_id, "tp-", 3) == 0);
    }
    const struct op *ctx = by_target(&x, "Context Loading");
    ASSERT_STREQ(ctx->session_id, "SESSION-20260215-160100-AB12");
    ASSERT_STREQ(by_target(&x, "pattern")->meta, "{\"head_limit\":20}");
    ASSERT_STREQ(by_target(&x, "output.txt")->meta, "{\"note\":\"caf\xC3\xA9 \\u003cb\\u003e\"}");
    ASSERT_TRUE(by_target(&x, "test.py")->meta == NULL); /* {} */
    rows_free(&x);

    /* Importing again adds nothing: first unchanged by its mark, then, after
     * a touch, by the derived ids. */
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err), 0);
    ASSERT_EQ_INT(st.res.inserted, 0);
    struct timespec ts[2] = {{0, UTIME_NOW}, {time(NULL) + 5, 0}};
    ASSERT_EQ_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err), 0);
    ASSERT_EQ_INT(st.res.inserted, 0);
    ASSERT_EQ_INT(st.res.merged, 0);
    ASSERT_EQ_INT(st.res.unchanged, 7);
    ASSERT_EQ_INT(st.rejected, 4);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 7);

    /* The file as a whole: not JSON, not the layout, missing. */
    ASSERT_EQ_INT(write_file(path, "{\"operations\": [", "wb"), 0);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err), TP_EPARSE);
    ASSERT_CONTAINS(err, path);
    ASSERT_EQ_INT(write_file(path, "{\"ops\": []}", "wb"), 0);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err), TP_EPARSE);
    ASSERT_CONTAINS(err, "expected {\"operations\": [...]}");
    ASSERT_TRUE(seedfile_import(s, "/nonexistent/ops.json", SEEDFILE_SEED, NULL, &st, err) != 0);
    ASSERT_CONTAINS(err, "/nonexistent/ops.json");
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* A daily file saved with a UTF-8 byte order mark (Windows editors add
 * one): seedfile_sniff() accepts it, so the import must too. */
static void test_import_with_bom(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    char path[600], err[TP_ERR_MAX] = "";
    snprintf(path, sizeof path, "%s/operations_2026-02-15.json", dir);
    char *body;
    FIXTURE_READ_DATA(body, SEED_FILE, NULL);
    ASSERT_EQ_INT(write_file(path, "\xEF\xBB\xBF", "wb"), 0);
    ASSERT_EQ_INT(write_file(path, body, "ab"), 0);
    free(body);
    size_t len = 0;
    char *head = fixture_read(path, &len);
    ASSERT_TRUE(head != NULL);
    enum seedfile_kind kind = seedfile_sniff(head, len);
    free(head);
    struct store *s = open_store(dir, "db");
    struct seedfile_stats st;
    memset(&st, 0, sizeof st);
    int rc = seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
    ASSERT_EQ_INT(kind, SEEDFILE_SEED);
    if (rc)
        fprintf(stderr, "  %s\n", err);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(st.res.inserted, 7);
}

/* ---- jsonl grown in place ------------------------------------------------------------ */

static void test_jsonl_grows(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    char path[600];
    snprintf(path, sizeof path, "%s/ops.jsonl", dir);
    struct store *s = open_store(dir, "db");
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(
        write_file(path,
                   "{\"tool\":\"Read\",\"target\":\"/a\",\"duration_ms\":1.5,\"timestamp_ms\":"
                   "1771151445123}\n"
                   "{\"tool\":\"Read\",\"target\":\"/b\",\"duration_ms\":2,"
                   "\"timestamp\":\"2026-02-15T10:30:46Z\",\"source\":\"hook\"}\n"
                   "\n"
                   "{\"tool\":\"\",\"duration_ms\":1}\n"
                   "not json\n",
                   "wb"),
        0);
    char *report = NULL;
    size_t rlen = 0;
    FILE *rep = open_memstream(&report, &rlen);
    struct seedfile_stats st;
    memset(&st, 0, sizeof st);
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_JSONL, rep, &st, err), 0);
    fclose(rep);
    ASSERT_EQ_INT(st.res.inserted, 2);
    ASSERT_EQ_INT(st.rejected, 2);
    char want[700];
    snprintf(want, sizeof want, "%s:4: tool is missing or empty", path);
    ASSERT_CONTAINS(report, want);
    snprintf(want, sizeof want, "%s:5: ", path);
    ASSERT_CONTAINS(report, want);
    free(report);

    /* Appended lines, the last one unfinished: only the finished new line
     * is read. */
    ASSERT_EQ_INT(write_file(path,
                             "{\"tool\":\"Grep\",\"target\":\"c\",\"duration_ms\":3,"
                             "\"timestamp_ms\":1771151447000}\n"
                             "{\"tool\":\"Grep\",\"target\":\"d\",\"dura",
                             "ab"),
                  0);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_JSONL, NULL, &st, err), 0);
    ASSERT_EQ_INT(st.ops, 1);
    ASSERT_EQ_INT(st.res.inserted, 1);
    ASSERT_EQ_INT(st.rejected, 0);
    /* The line is finished later. */
    ASSERT_EQ_INT(write_file(path, "tion_ms\":4,\"timestamp_ms\":1771151448000}\n", "ab"), 0);
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_JSONL, NULL, &st, err), 0);
    ASSERT_EQ_INT(st.ops, 1);
    ASSERT_EQ_INT(st.res.inserted, 1);
    /* Nothing new: nothing read. */
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_JSONL, NULL, &st, err), 0);
    ASSERT_EQ_INT(st.ops, 0);
    struct rows x;
    rows_load(s, &x);
    ASSERT_EQ_INT(x.n, 4);
    const struct op *b = by_target(&x, "/b");
    ASSERT_TRUE(b != NULL);
    ASSERT_EQ_INT(b->source, OP_SRC_HOOK);
    ASSERT_EQ_INT(b->ts_ms, T0 - 123 + 1000);
    ASSERT_EQ_DBL(by_target(&x, "d")->duration_ms, 4, 0);
    rows_free(&x);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- export and import back ----------------------------------------------------------- */

static void add_op(struct op *ops, size_t *n, const char *tool, const char *target, double dur,
                   int64_t ts)
{
    struct op *op = &ops[(*n)++];
    op_init(op);
    op_sets(&op->tool, tool);
    op_sets(&op->target, target);
    op->duration_ms = dur;
    op->ts_ms = ts;
    char id[32];
    snprintf(id, sizeof id, "toolu_x%02zu", *n);
    op_sets(&op->tool_use_id, id);
}

/* A store holding ops with every kind of field, including around local
 * midnight in Kolkata (18:30Z). */
static size_t fill_export_store(struct store *s, struct op *ops)
{
    size_t n = 0;
    int64_t midnight = 1771093800000LL; /* 2026-02-15 00:00 +05:30 */
    add_op(ops, &n, "Read", "/src/app.py", 150.5, midnight - 1);
    ops[0].optimized = 1;
    ops[0].size_bytes = 12500;
    ops[0].result_bytes = 3400;
    op_sets(&ops[0].meta, "{\"lines\":100}");
    op_sets(&ops[0].session_id, "3b47cc69");
    op_sets(&ops[0].project, "/home/u/proj");
    ops[0].source = OP_SRC_HOOK;
    add_op(ops, &n, "Bash", "echo \"a,b\"\nprintf 'x'\t| tail, -1 \xE2\x80\xA8 caf\xC3\xA9", 5500,
           midnight);
    ops[1].success = 0;
    op_sets(&ops[1].error, "Exit code 1: \"quoted\", comma\nsecond line");
    ops[1].source = OP_SRC_TRANSCRIPT;
    add_op(ops, &n, "Write", "out.txt", 90, midnight + 1);
    ops[2].duration_is_int = 1;
    ops[2].source = OP_SRC_IMPORT;
    add_op(ops, &n, "mcp__srv__tool", NULL, NAN, midnight + HOUR);
    ops[3].source = OP_SRC_OTLP;
    add_op(ops, &n, "Grep", "TODO", 0.001, midnight + DAY + 5);
    op_sets(&ops[4].session_id, "s2");
    ops[4].source = OP_SRC_API;
    add_op(ops, &n, "Edit", "/x.py", 2100, midnight - DAY + 7);
    op_sets(&ops[5].meta, "{\"nested\":{\"a\":[1,2.5,\"<x>\"]},\"t\":true}");
    ops[5].source = OP_SRC_CLI;
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < n; i++)
        if (op_normalize(&ops[i], NOW, err) != 0)
            fprintf(stderr, "op %zu: %s\n", i, err);
    struct store_result r = {0};
    if (store_insert(s, ops, n, NULL, &r, err) != 0)
        fprintf(stderr, "store_insert: %s\n", err);
    return n;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Compare every field; returns the number of differences (printed). */
static int diff_op(const struct op *a, const struct op *b, int check_int)
{
    int d = 0;
#define STR(f)                                                                                     \
    if (!same_str(a->f, b->f)) {                                                                   \
        fprintf(stderr, "  %s: " #f " \"%s\" became \"%s\"\n", a->tool_use_id,                     \
                a->f ? a->f : "(null)", b->f ? b->f : "(null)");                                   \
        d++;                                                                                       \
    }
    STR(tool)
    STR(target)
    STR(meta)
    STR(session_id)
    STR(project)
    STR(tool_use_id)
    STR(error)
#undef STR
#define NUM(f)                                                                                     \
    if (a->f != b->f) {                                                                            \
        fprintf(stderr, "  %s: " #f " %lld became %lld\n", a->tool_use_id, (long long)a->f,        \
                (long long)b->f);                                                                  \
        d++;                                                                                       \
    }
    NUM(ts_ms)
    NUM(success)
    NUM(optimized)
    NUM(size_bytes)
    NUM(result_bytes)
    NUM(source)
    if (check_int)
        NUM(duration_is_int)
#undef NUM
    if (!(isnan(a->duration_ms) && isnan(b->duration_ms)) && a->duration_ms != b->duration_ms) {
        fprintf(stderr, "  %s: duration %.17g became %.17g\n", a->tool_use_id, a->duration_ms,
                b->duration_ms);
        d++;
    }
    return d;
}

static void round_trip(enum seedfile_format fmt, const char *what)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    struct store *a = open_store(dir, "a");
    ASSERT_TRUE(a != NULL);
    struct op ops[8];
    size_t n = fill_export_store(a, ops);
    char out[600], err[TP_ERR_MAX];
    snprintf(out, sizeof out, "%s/out", dir);
    size_t count = 0;
    ASSERT_EQ_INT(seedfile_export(a, fmt, out, 0, NOW + DAY, &count, err), 0);
    ASSERT_EQ_INT(count, n);

    /* Import into a fresh store. */
    struct store *b = open_store(dir, "b");
    ASSERT_TRUE(b != NULL);
    const char *files[4];
    char paths[4][700];
    size_t nfiles = 0;
    if (fmt == EXPORT_JSONL) {
        snprintf(paths[0], sizeof paths[0], "%s/operations.jsonl", out);
        files[nfiles++] = paths[0];
    } else {
        static const char *const days[] = {"2026-02-14", "2026-02-15", "2026-02-16"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(paths[i], sizeof paths[i], "%s/operations_%s.json", out, days[i]);
            files[nfiles++] = paths[i];
        }
    }
    for (size_t i = 0; i < nfiles; i++) {
        size_t len;
        char *head = fixture_read(files[i], &len);
        if (!head)
            fprintf(stderr, "  %s export has no %s\n", what, files[i]);
        ASSERT_TRUE(head != NULL);
        enum seedfile_kind kind = seedfile_sniff(head, len < 4096 ? len : 4096);
        free(head);
        ASSERT_EQ_INT(kind, fmt == EXPORT_JSONL ? SEEDFILE_JSONL : SEEDFILE_SEED);
        struct seedfile_stats st;
        memset(&st, 0, sizeof st);
        ASSERT_EQ_INT(seedfile_import(b, files[i], kind, stderr, &st, err), 0);
        ASSERT_EQ_INT(st.rejected, 0);
    }
    /* Local days: 2026-02-14 holds the op one ms before midnight and the
     * one a day earlier; 2026-02-16 the Grep. */
    if (fmt == EXPORT_SEED_JSON) {
        char *d14 = fixture_read(paths[0], NULL), *d16 = fixture_read(paths[2], NULL);
        ASSERT_CONTAINS(d14, "/src/app.py");
        ASSERT_CONTAINS(d14, "/x.py");
        ASSERT_TRUE(!strstr(d14, "out.txt"));
        ASSERT_CONTAINS(d16, "TODO");
        /* The original's layout: int durations stay ints, floats floats. */
        char *d15 = fixture_read(paths[1], NULL);
        ASSERT_CONTAINS(d15, "\"duration_ms\":90,");
        ASSERT_CONTAINS(d15, "\"duration_ms\":5500.0,");
        ASSERT_CONTAINS(d14, "\"duration_ms\":2100.0,");
        ASSERT_CONTAINS(d14, "\"timestamp\":\"2026-02-14T23:59:59.999000\"");
        free(d14);
        free(d15);
        free(d16);
    }
    struct rows ra, rb;
    rows_load(a, &ra);
    rows_load(b, &rb);
    ASSERT_EQ_INT(rb.n, n);
    int diffs = 0;
    for (size_t i = 0; i < ra.n; i++) {
        const struct op *y = by_id(&rb, ra.v[i].tool_use_id);
        if (!y) {
            fprintf(stderr, "  %s: %s lost\n", what, ra.v[i].tool_use_id);
            diffs++;
            continue;
        }
        diffs += diff_op(&ra.v[i], y, fmt == EXPORT_SEED_JSON);
    }
    if (diffs)
        fprintf(stderr, "  (%s round trip)\n", what);
    rows_free(&ra);
    rows_free(&rb);

    /* Importing the export into the store it came from changes nothing. */
    size_t changed = 0;
    for (size_t i = 0; i < nfiles; i++) {
        struct seedfile_stats st;
        memset(&st, 0, sizeof st);
        ASSERT_EQ_INT(seedfile_import(a, files[i],
                                      fmt == EXPORT_JSONL ? SEEDFILE_JSONL : SEEDFILE_SEED, NULL,
                                      &st, err),
                      0);
        changed += st.res.inserted + st.res.merged;
    }
    if (changed)
        fprintf(stderr, "  %s: re-importing into the source store changed %zu calls\n", what,
                changed);
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    store_close(a);
    store_close(b);
    fixture_rm_rf(dir);
    free(dir);
    ASSERT_EQ_INT(diffs, 0);
    ASSERT_EQ_INT(changed, 0);
}

static void test_round_trip_jsonl(void)
{
    round_trip(EXPORT_JSONL, "jsonl");
}
static void test_round_trip_seed_json(void)
{
    round_trip(EXPORT_SEED_JSON, "seed-json");
}

/* The original's file: import, export as seed-json, and the durations come
 * out as they went in (2100.0 stays a float, 5500 an int). */
static void test_seed_file_durations_survive(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    char path[600], out[600], err[TP_ERR_MAX];
    snprintf(path, sizeof path, "%s/operations_2026-02-15.json", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FIXTURE_COPY_DATA(SEED_FILE, path);
    struct store *s = open_store(dir, "db");
    struct seedfile_stats st;
    memset(&st, 0, sizeof st);
    ASSERT_EQ_INT(seedfile_import(s, path, SEEDFILE_SEED, NULL, &st, err), 0);
    size_t count;
    ASSERT_EQ_INT(seedfile_export(s, EXPORT_SEED_JSON, out, 0, NOW, &count, err), 0);
    ASSERT_EQ_INT(count, 7);
    char file[700];
    snprintf(file, sizeof file, "%s/operations_2026-02-15.json", out);
    char *d = fixture_read(file, NULL);
    ASSERT_TRUE(d != NULL);
    ASSERT_CONTAINS(d, "\"duration_ms\":150.5,");
    ASSERT_CONTAINS(d, "\"duration_ms\":3500,");
    ASSERT_CONTAINS(d, "\"duration_ms\":5500,");
    ASSERT_CONTAINS(d, "\"duration_ms\":90,");
    ASSERT_CONTAINS(d, "\"timestamp\":\"2026-02-15T16:00:45.123000\"");
    int float_kept = strstr(d, "\"duration_ms\":2100.0,") != NULL;
    if (!float_kept)
        fprintf(stderr, "  2100.0 in the original's file came back as an integer\n");
    free(d);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
    ASSERT_TRUE(float_kept);
}

/* ---- CSV ------------------------------------------------------------------------------ */

/* RFC 4180: fields separated by commas, quoted when they hold a comma, a
 * quote or a line break, quotes doubled. Returns the number of fields of
 * the record at *p (advanced past it). */
static size_t csv_record(const char **p, char fields[][512], size_t max)
{
    size_t nf = 0;
    const char *s = *p;
    for (;;) {
        size_t k = 0;
        char *f = fields[nf];
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '"' && s[1] == '"')
                    f[k++] = '"', s += 2;
                else if (*s == '"') {
                    s++;
                    break;
                } else if (!*s)
                    break;
                else
                    f[k++] = *s++;
            }
        } else {
            while (*s && *s != ',' && *s != '\n')
                f[k++] = *s++;
        }
        f[k] = '\0';
        nf++;
        if (*s == ',' && nf < max) {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        break;
    }
    *p = s;
    return nf;
}

static void test_csv_export(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    struct store *a = open_store(dir, "a");
    struct op ops[8];
    size_t n = fill_export_store(a, ops);
    char out[600], err[TP_ERR_MAX];
    snprintf(out, sizeof out, "%s/out", dir);
    size_t count;
    ASSERT_EQ_INT(seedfile_export(a, EXPORT_CSV, out, 0, NOW + DAY, &count, err), 0);
    ASSERT_EQ_INT(count, n);
    char path[700];
    snprintf(path, sizeof path, "%s/operations.csv", out);
    char *csv = fixture_read(path, NULL);
    ASSERT_TRUE(csv != NULL);
    const char *p = csv;
    static char f[16][512];
    ASSERT_EQ_INT(csv_record(&p, f, 16), 14);
    ASSERT_STREQ(f[0], "timestamp");
    ASSERT_STREQ(f[13], "metadata");
    size_t rows = 0;
    int64_t last_ts = 0;
    while (*p) {
        size_t nf = csv_record(&p, f, 16);
        ASSERT_EQ_INT(nf, 14);
        rows++;
        const struct op *o = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ops[i].tool_use_id, f[10]) == 0)
                o = &ops[i];
        ASSERT_TRUE(o != NULL);
        char ts[32];
        tpt_format_utc(o->ts_ms, ts);
        ASSERT_STREQ(f[0], ts);
        ASSERT_TRUE(o->ts_ms >= last_ts); /* time order */
        last_ts = o->ts_ms;
        ASSERT_STREQ(f[1], o->tool);
        ASSERT_STREQ(f[2], o->target ? o->target : "");
        if (isnan(o->duration_ms))
            ASSERT_STREQ(f[3], "");
        else
            ASSERT_EQ_DBL(strtod(f[3], NULL), o->duration_ms, 0);
        ASSERT_STREQ(f[4], o->success ? "true" : "false");
        ASSERT_STREQ(f[5], o->optimized ? "true" : "false");
        ASSERT_EQ_INT(f[6][0] ? atoll(f[6]) : -1, o->size_bytes);
        ASSERT_EQ_INT(f[7][0] ? atoll(f[7]) : -1, o->result_bytes);
        ASSERT_STREQ(f[8], o->session_id ? o->session_id : "");
        ASSERT_STREQ(f[9], o->project ? o->project : "");
        ASSERT_STREQ(f[11], o->error ? o->error : "");
        ASSERT_STREQ(f[12], op_source_name(o->source));
        ASSERT_STREQ(f[13], o->meta ? o->meta : "");
    }
    ASSERT_EQ_INT(rows, n);
    /* The quoting itself, for the Bash row. */
    ASSERT_CONTAINS(csv, ",\"echo \"\"a,b\"\"\nprintf 'x'\t| tail, -1 \xE2\x80\xA8 caf\xC3\xA9\",");
    ASSERT_CONTAINS(csv, ",\"Exit code 1: \"\"quoted\"\", comma\nsecond line\",");
    free(csv);
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
    store_close(a);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_export_errors(void)
{
    setup_env();
    char *dir = fixture_tmpdir("seedfile");
    struct store *a = open_store(dir, "a");
    char err[TP_ERR_MAX];
    size_t count = 99;
    ASSERT_EQ_INT(seedfile_export(a, EXPORT_SEED_JSON, "-", 0, NOW, &count, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "--out");
    ASSERT_TRUE(seedfile_export(a, EXPORT_JSONL, "/proc/no/such/dir", 0, NOW, &count, err) != 0);
    ASSERT_CONTAINS(err, "/proc/no/such/dir");
    /* An empty store exports an empty file. */
    char out[600];
    snprintf(out, sizeof out, "%s/empty", dir);
    ASSERT_EQ_INT(seedfile_export(a, EXPORT_JSONL, out, 0, NOW, &count, err), 0);
    ASSERT_EQ_INT(count, 0);
    store_close(a);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_sniff), TEST_CASE(test_sniff_long_first_line),
          TEST_CASE(test_import_seed_file), TEST_CASE(test_import_with_bom),
          TEST_CASE(test_jsonl_grows), TEST_CASE(test_round_trip_jsonl),
          TEST_CASE(test_round_trip_seed_json), TEST_CASE(test_seed_file_durations_survive),
          TEST_CASE(test_csv_export), TEST_CASE(test_export_errors))
