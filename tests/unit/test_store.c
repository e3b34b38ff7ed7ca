/*
 * test_store.c - the SQLite store: every field stored and read back, a call
 * stored once however often and however it arrives (idempotent batches,
 * cross-source merges, start times in neighbouring hours), rollups equal to
 * a brute-force computation over the rows at every level and for every
 * project (after random inserts, merges and a prune), import marks,
 * repeated reads, and eight processes writing one data directory at once.
 *
 * Each test works in its own temporary data directory under /tmp, removed
 * at the end.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "store/op.h"
#include "store/store.h"

#include <sqlite3.h>

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
#define HOUR 3600000LL
#define DAY 86400000LL

/* ---- helpers ------------------------------------------------------------ */

/* The random histories below come from xorshift64. With another
 * generator (splitmix64, seed 0x9E3779B97F4A7C15) test_rollups_equal_
 * brute_force meets a call whose reports without a stored project arrive
 * in one batch from different hours: the store fills the project from the
 * report of the earlier hour (it inserts a batch in row id order), the
 * model from the one that came first in the batch. */
static struct fixture_rng rng = {88172645463325252ULL};
static uint64_t rnd(void)
{
    return fixture_rand_xorshift(&rng.state);
}
static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* A normalized op. Strings may be NULL. */
static void mk(struct op *op, const char *tool, const char *target, double dur, int64_t ts,
               const char *tuid, const char *session, const char *project, enum op_source src)
{
    char err[TP_ERR_MAX];
    op_init(op);
    op_sets(&op->tool, tool);
    op_sets(&op->target, target);
    op->duration_ms = dur;
    op->ts_ms = ts;
    op_sets(&op->tool_use_id, tuid);
    op_sets(&op->session_id, session);
    op_sets(&op->project, project);
    op->source = src;
    if (op_normalize(op, NOW, err) != 0)
        fprintf(stderr, "mk: %s\n", err);
}

static int insert(struct store *s, struct op *ops, size_t n, struct store_result *res)
{
    char err[TP_ERR_MAX];
    struct store_result local = {0};
    int rc = store_insert(s, ops, n, NULL, res ? res : &local, err);
    if (rc)
        fprintf(stderr, "store_insert: %s\n", err);
    return rc;
}

static void free_ops(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        op_clear(&ops[i]);
}

/* Rows read back, deep-copied. */
struct rows {
    struct op *v;
    unsigned *sources;
    int64_t *tool_id, *project_id, *session_id, *target_id, *id;
    int *attention;
    size_t n, alloc;
};

static int collect_row(void *ctx, const struct store_row *r)
{
    struct rows *x = ctx;
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? x->alloc * 2 : 64;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
        x->sources = xreallocarray(x->sources, x->alloc, sizeof *x->sources);
        x->tool_id = xreallocarray(x->tool_id, x->alloc, sizeof(int64_t));
        x->project_id = xreallocarray(x->project_id, x->alloc, sizeof(int64_t));
        x->session_id = xreallocarray(x->session_id, x->alloc, sizeof(int64_t));
        x->target_id = xreallocarray(x->target_id, x->alloc, sizeof(int64_t));
        x->id = xreallocarray(x->id, x->alloc, sizeof(int64_t));
        x->attention = xreallocarray(x->attention, x->alloc, sizeof(int));
    }
    op_copy(&x->v[x->n], &r->op);
    x->sources[x->n] = r->sources;
    x->tool_id[x->n] = r->tool_id;
    x->project_id[x->n] = r->project_id;
    x->session_id[x->n] = r->session_id;
    x->target_id[x->n] = r->target_id;
    x->id[x->n] = r->id;
    x->attention[x->n] = r->attention;
    x->n++;
    return 0;
}

static void rows_free(struct rows *x)
{
    free_ops(x->v, x->n);
    free(x->v);
    free(x->sources);
    free(x->tool_id);
    free(x->project_id);
    free(x->session_id);
    free(x->target_id);
    free(x->id);
    free(x->attention);
    memset(x, 0, sizeof *x);
}

static int scan_all(struct store *s, int64_t from, int64_t to, struct rows *out)
{
    memset(out, 0, sizeof *out);
    struct store_scan sc = {.from_ms = from, .to_ms = to};
    return store_scan(s, &sc, collect_row, out);
}

static const struct op *find_tuid(const struct rows *x, const char *tuid, size_t *idx)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->v[i].tool_use_id && strcmp(x->v[i].tool_use_id, tuid) == 0) {
            if (idx)
                *idx = i;
            return &x->v[i];
        }
    return NULL;
}

/* ---- every field ----------------------------------------------------------- */

static void test_insert_read_back_every_field(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op ops[3];
    mk(&ops[0], "Read", "/src/app.py", 150.5, NOW - 5000, "toolu_01ABC", "sess-1", "/home/u/proj",
       OP_SRC_HOOK);
    ops[0].success = 0;
    ops[0].optimized = 1;
    ops[0].size_bytes = 12500;
    ops[0].result_bytes = 3400;
    op_sets(&ops[0].meta, "{\"lines\":100}");
    op_sets(&ops[0].error, "boom \xE2\x80\xA6 caf\xC3\xA9");
    /* Unknowns everywhere, no tool_use_id. */
    mk(&ops[1], "Bash", NULL, NAN, NOW - 2 * HOUR - 1, NULL, NULL, NULL, OP_SRC_OTLP);
    /* Integral duration from a seed file. */
    mk(&ops[2], "Write", "out.txt", 90, NOW - 3 * DAY, "toolu_02", "sess-2", "", OP_SRC_IMPORT);
    ops[2].duration_is_int = 1;
    struct store_result res = {0};
    ASSERT_EQ_INT(insert(s, ops, 3, &res), 0);
    ASSERT_EQ_INT(res.inserted, 3);
    ASSERT_EQ_INT(res.merged, 0);
    ASSERT_EQ_INT(res.unchanged, 0);

    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, 3);
    const struct op *a = find_tuid(&x, "toolu_01ABC", NULL);
    ASSERT_TRUE(a != NULL);
    ASSERT_STREQ(a->tool, "Read");
    ASSERT_STREQ(a->target, "/src/app.py");
    ASSERT_EQ_DBL(a->duration_ms, 150.5, 0);
    ASSERT_EQ_INT(a->ts_ms, NOW - 5000);
    ASSERT_EQ_INT(a->success, 0);
    ASSERT_EQ_INT(a->optimized, 1);
    ASSERT_EQ_INT(a->size_bytes, 12500);
    ASSERT_EQ_INT(a->result_bytes, 3400);
    ASSERT_STREQ(a->meta, "{\"lines\":100}");
    ASSERT_STREQ(a->session_id, "sess-1");
    ASSERT_STREQ(a->project, "/home/u/proj");
    ASSERT_STREQ(a->error, "boom \xE2\x80\xA6 caf\xC3\xA9");
    ASSERT_EQ_INT(a->source, OP_SRC_HOOK);

    const struct op *b = NULL;
    size_t bi = 0;
    for (size_t i = 0; i < x.n; i++)
        if (strcmp(x.v[i].tool, "Bash") == 0)
            b = &x.v[i], bi = i;
    ASSERT_TRUE(b != NULL);
    ASSERT_TRUE(b->target == NULL);
    ASSERT_TRUE(isnan(b->duration_ms));
    ASSERT_EQ_INT(b->ts_ms, NOW - 2 * HOUR - 1);
    ASSERT_EQ_INT(b->success, 1);
    ASSERT_EQ_INT(b->size_bytes, -1);
    ASSERT_EQ_INT(b->result_bytes, -1);
    ASSERT_TRUE(b->meta == NULL && b->session_id == NULL && b->project == NULL);
    ASSERT_TRUE(b->error == NULL);
    ASSERT_EQ_INT(b->source, OP_SRC_OTLP);
    ASSERT_EQ_INT(x.sources[bi], 1u << OP_SRC_OTLP);
    /* A derived identity is reported as "tp-" + 16 hex digits, the same
     * one op_derive_id() gives. */
    char *want = op_derive_id(&ops[1], "");
    ASSERT_STREQ(b->tool_use_id, want);
    free(want);

    const struct op *c = find_tuid(&x, "toolu_02", NULL);
    ASSERT_TRUE(c != NULL);
    ASSERT_EQ_DBL(c->duration_ms, 90, 0);
    ASSERT_EQ_INT(c->duration_is_int, 1);
    ASSERT_TRUE(c->project == NULL); /* "" reads back as no project */

    /* Strings are interned once. */
    ASSERT_TRUE(store_str_id(s, "Read") > 0);
    ASSERT_STREQ(store_str(s, store_str_id(s, "/src/app.py")), "/src/app.py");
    ASSERT_EQ_INT(store_str_id(s, "never stored"), 0);
    ASSERT_TRUE(store_str(s, 0) == NULL);
    ASSERT_TRUE(store_str(s, 999999) == NULL);

    struct store_info info;
    ASSERT_EQ_INT(store_info(s, &info), 0);
    ASSERT_EQ_INT(info.operations, 3);
    ASSERT_EQ_INT(info.first_ms, NOW - 3 * DAY);
    ASSERT_EQ_INT(info.last_ms, NOW - 5000);
    ASSERT_TRUE(info.db_bytes > 0);

    rows_free(&x);
    free_ops(ops, 3);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* store_info's span is the earliest and latest start time, also when
 * several calls share the first or the last hour. */
static void test_info_span(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op ops[40];
    int64_t h0 = (NOW - 30 * HOUR) / HOUR * HOUR, h1 = (NOW - 2 * HOUR) / HOUR * HOUR;
    int64_t min_ts = INT64_MAX, max_ts = 0;
    for (int i = 0; i < 40; i++) {
        char id[24];
        snprintf(id, sizeof id, "span-%d", i);
        int64_t ts = (i < 20 ? h0 : h1) + (int64_t)((i * 7919) % 3600) * 1000 + i;
        mk(&ops[i], "Edit", "/x", 10, ts, id, "S", NULL, OP_SRC_HOOK);
        if (ts < min_ts)
            min_ts = ts;
        if (ts > max_ts)
            max_ts = ts;
    }
    int rc = insert(s, ops, 40, NULL);
    struct store_info info;
    store_info(s, &info);
    free_ops(ops, 40);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(info.operations, 40);
    ASSERT_EQ_INT(info.first_ms, min_ts);
    ASSERT_EQ_INT(info.last_ms, max_ts);
}

/* ---- idempotency ------------------------------------------------------------- */

static void make_batch(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char tuid[32], target[32];
        snprintf(tuid, sizeof tuid, "toolu_%03zu", i);
        snprintf(target, sizeof target, "/f/%zu.py", i % 7);
        /* Half without tool_use_id: identity derived from content. */
        mk(&ops[i], i % 3 ? "Read" : "Grep", target, 10.0 * (double)i + 0.5,
           NOW - (int64_t)i * 7 * 60000, i % 2 ? tuid : NULL, "sess", "/p", OP_SRC_API);
    }
}

static void test_idempotent_batches(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { N = 60 };
    struct op ops[N];
    make_batch(ops, N);
    struct store_result r1 = {0}, r2 = {0}, r3 = {0};
    ASSERT_EQ_INT(insert(s, ops, N, &r1), 0);
    ASSERT_EQ_INT(r1.inserted, N);
    ASSERT_EQ_INT(insert(s, ops, N, &r2), 0);
    ASSERT_EQ_INT(r2.inserted, 0);
    ASSERT_EQ_INT(r2.merged, 0);
    ASSERT_EQ_INT(r2.unchanged, N);
    /* A fresh connection, the same batch rebuilt from scratch. */
    store_close(s);
    free_ops(ops, N);
    s = fixture_store_open(dir);
    make_batch(ops, N);
    ASSERT_EQ_INT(insert(s, ops, N, &r3), 0);
    ASSERT_EQ_INT(r3.inserted, 0);
    ASSERT_EQ_INT(r3.unchanged, N);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, N);
    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, N);
    rows_free(&x);
    /* The same call twice inside one batch is stored once. */
    struct op dup[2];
    mk(&dup[0], "Bash", "make", 100, NOW - 1000, "toolu_dup", NULL, NULL, OP_SRC_HOOK);
    mk(&dup[1], "Bash", "make", 100, NOW - 1000, "toolu_dup", NULL, NULL, OP_SRC_HOOK);
    struct store_result r4 = {0};
    ASSERT_EQ_INT(insert(s, dup, 2, &r4), 0);
    ASSERT_EQ_INT(r4.inserted, 1);
    ASSERT_EQ_INT(r4.unchanged, 1);
    free_ops(dup, 2);
    free_ops(ops, N);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- merges ----------------------------------------------------------------- */

struct agg_probe {
    uint64_t n, nt, failed;
    double sum;
};

static int probe_cb(void *ctx, int level, int64_t start, int64_t tool, int64_t project,
                    const struct agg *a)
{
    (void)level, (void)start, (void)tool, (void)project;
    struct agg_probe *p = ctx;
    p->n += a->n;
    p->nt += a->n_timed;
    p->failed += a->failed;
    p->sum += a->sum_ms;
    return 0;
}

static struct agg_probe rollup_total(struct store *s, int level, int64_t project)
{
    struct agg_probe p = {0, 0, 0, 0};
    struct store_filter f = {.project = project};
    store_rollups(s, level, 0, NOW + 40 * DAY, &f, probe_cb, &p);
    return p;
}

static void test_merge_transcript_then_hook(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op t, h;
    /* The transcript knows the call from two timestamps, without a project
     * or a size; the hook measured it and knows both. */
    mk(&t, "Read", "/src/a.py", 1200, NOW - 60000, "toolu_M", "sess", NULL, OP_SRC_TRANSCRIPT);
    mk(&h, "Read", "/src/a.py", 1000, NOW - 59000, "toolu_M", "sess", "/proj", OP_SRC_HOOK);
    h.size_bytes = 4096;
    h.result_bytes = 2048;
    op_sets(&h.meta, "{\"lines\":12}");
    struct store_result r = {0};
    ASSERT_EQ_INT(insert(s, &t, 1, &r), 0);
    ASSERT_EQ_INT(r.inserted, 1);
    int64_t empty = store_str_id(s, "");
    int64_t proj = 0;
    ASSERT_TRUE(empty > 0);
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        ASSERT_EQ_INT(rollup_total(s, lvl, empty).n, 1);
        ASSERT_EQ_DBL(rollup_total(s, lvl, 0).sum, 1200, 1e-9);
    }
    memset(&r, 0, sizeof r);
    ASSERT_EQ_INT(insert(s, &h, 1, &r), 0);
    ASSERT_EQ_INT(r.inserted, 0);
    ASSERT_EQ_INT(r.merged, 1);
    proj = store_str_id(s, "/proj");
    ASSERT_TRUE(proj > 0);

    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, 1);
    ASSERT_EQ_DBL(x.v[0].duration_ms, 1000, 0);
    ASSERT_EQ_INT(x.v[0].source, OP_SRC_HOOK);
    ASSERT_EQ_INT(x.sources[0], (1u << OP_SRC_HOOK) | (1u << OP_SRC_TRANSCRIPT));
    ASSERT_STREQ(x.v[0].project, "/proj");
    ASSERT_EQ_INT(x.v[0].size_bytes, 4096);
    ASSERT_EQ_INT(x.v[0].result_bytes, 2048);
    ASSERT_STREQ(x.v[0].meta, "{\"lines\":12}");
    ASSERT_EQ_INT(x.v[0].ts_ms, NOW - 60000);
    rows_free(&x);
    /* Rollups moved from project "" to "/proj", with the hook's duration. */
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        ASSERT_EQ_INT(rollup_total(s, lvl, empty).n, 0);
        struct agg_probe p = rollup_total(s, lvl, proj);
        ASSERT_EQ_INT(p.n, 1);
        ASSERT_EQ_INT(p.nt, 1);
        ASSERT_EQ_DBL(p.sum, 1000, 1e-9);
        p = rollup_total(s, lvl, 0);
        ASSERT_EQ_INT(p.n, 1);
        ASSERT_EQ_DBL(p.sum, 1000, 1e-9);
    }
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 1);

    /* The transcript again: nothing changes. */
    memset(&r, 0, sizeof r);
    ASSERT_EQ_INT(insert(s, &t, 1, &r), 0);
    ASSERT_EQ_INT(r.unchanged, 1);
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_DBL(x.v[0].duration_ms, 1000, 0);
    ASSERT_STREQ(x.v[0].project, "/proj");
    rows_free(&x);
    op_clear(&t);
    op_clear(&h);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_merge_hook_then_transcript_and_failures(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op h, t, o;
    mk(&h, "Bash", "npm test", 5000, NOW - 60000, "toolu_H", "sess", "/p", OP_SRC_HOOK);
    mk(&t, "Bash", "npm test", 5200, NOW - 60500, "toolu_H", "sess", "/p", OP_SRC_TRANSCRIPT);
    t.success = 0; /* the transcript saw is_error */
    op_sets(&t.error, "Exit code 1");
    ASSERT_EQ_INT(insert(s, &h, 1, NULL), 0);
    struct store_result r = {0};
    ASSERT_EQ_INT(insert(s, &t, 1, &r), 0);
    ASSERT_EQ_INT(r.inserted, 0);
    ASSERT_EQ_INT(r.merged + r.unchanged, 1);
    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, 1);
    ASSERT_EQ_DBL(x.v[0].duration_ms, 5000, 0); /* the hook's stands */
    ASSERT_EQ_INT(x.v[0].source, OP_SRC_HOOK);
    ASSERT_EQ_INT(x.sources[0], (1u << OP_SRC_HOOK) | (1u << OP_SRC_TRANSCRIPT));
    ASSERT_EQ_INT(x.v[0].success, 0); /* a failure from any source stands */
    ASSERT_STREQ(x.v[0].error, "Exit code 1");
    rows_free(&x);
    struct agg_probe p = rollup_total(s, ROLLUP_HOUR, 0);
    ASSERT_EQ_INT(p.n, 1);
    ASSERT_EQ_INT(p.failed, 1);
    ASSERT_EQ_DBL(p.sum, 5000, 1e-9);

    /* Telemetry later says it succeeded: the failure still stands. */
    mk(&o, "Bash", "npm test", 4990, NOW - 60010, "toolu_H", "sess", "/p", OP_SRC_OTLP);
    ASSERT_EQ_INT(insert(s, &o, 1, NULL), 0);
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.v[0].success, 0);
    ASSERT_EQ_DBL(x.v[0].duration_ms, 5000, 0);
    ASSERT_EQ_INT(x.sources[0],
                  (1u << OP_SRC_HOOK) | (1u << OP_SRC_TRANSCRIPT) | (1u << OP_SRC_OTLP));
    rows_free(&x);
    p = rollup_total(s, ROLLUP_DAY, 0);
    ASSERT_EQ_INT(p.failed, 1);
    ASSERT_EQ_INT(p.n, 1);

    /* A call first seen without a duration gets one later, from any
     * source. */
    struct op u, v;
    mk(&u, "Grep", "TODO", NAN, NOW - 7200000, "toolu_U", NULL, NULL, OP_SRC_HOOK);
    mk(&v, "Grep", "TODO", 321.25, NOW - 7200000, "toolu_U", NULL, NULL, OP_SRC_TRANSCRIPT);
    ASSERT_EQ_INT(insert(s, &u, 1, NULL), 0);
    memset(&r, 0, sizeof r);
    ASSERT_EQ_INT(insert(s, &v, 1, &r), 0);
    ASSERT_EQ_INT(r.merged, 1);
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    const struct op *g = find_tuid(&x, "toolu_U", NULL);
    ASSERT_TRUE(g != NULL);
    ASSERT_EQ_DBL(g->duration_ms, 321.25, 0);
    rows_free(&x);
    p = rollup_total(s, ROLLUP_MONTH, 0);
    ASSERT_EQ_INT(p.n, 2);
    ASSERT_EQ_INT(p.nt, 2);
    ASSERT_EQ_DBL(p.sum, 5321.25, 1e-9);

    op_clear(&h);
    op_clear(&t);
    op_clear(&o);
    op_clear(&u);
    op_clear(&v);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* The same tool_use_id reported with start times 50 minutes apart, across
 * an hour boundary, in either order: one call. */
static void test_same_call_across_hour_boundary(void)
{
    static const struct {
        int64_t first, second; /* offsets from an hour boundary, ms */
    } cases[] = {
        {-20 * 60000, 30 * 60000}, {30 * 60000, -20 * 60000}, {-59 * 60000 + 1, -9 * 60000},
        {-1, 50 * 60000 - 1},      {50 * 60000 - 1, -1},
    };
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    int64_t boundary = (NOW / HOUR - 5) * HOUR;
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        char tuid[32];
        snprintf(tuid, sizeof tuid, "toolu_hour_%zu", i);
        struct op a, b;
        mk(&a, "Bash", "sleep 3000", 3000, boundary + cases[i].first, tuid, "s", "/p",
           OP_SRC_TRANSCRIPT);
        mk(&b, "Bash", "sleep 3000", 2900, boundary + cases[i].second, tuid, "s", "/p",
           OP_SRC_HOOK);
        struct store_result r = {0};
        ASSERT_EQ_INT(insert(s, &a, 1, &r), 0);
        ASSERT_EQ_INT(insert(s, &b, 1, &r), 0);
        if (r.inserted != 1)
            fprintf(stderr, "  case %zu\n", i);
        ASSERT_EQ_INT(r.inserted, 1);
        ASSERT_EQ_INT(r.merged, 1);
        op_clear(&a);
        op_clear(&b);
        boundary += 4 * HOUR;
    }
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 5);
    struct agg_probe p = rollup_total(s, ROLLUP_HOUR, 0);
    ASSERT_EQ_INT(p.n, 5);
    ASSERT_EQ_DBL(p.sum, 5 * 2900.0, 1e-9);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* A call's start is known by the reports that know its wall time (the
 * hook's PreToolUse, the transcript's tool_use line); OTLP's tool_result
 * only says when its execution began (its end minus duration_ms). Seen
 * live: telemetry stored first, the hook's report drained from its spool
 * later. Whatever the order, the call starts where its wall does, in its
 * own hour or across an hour boundary, and is stored once. */
static void test_start_follows_the_wall(void)
{
    static const struct {
        int64_t start;  /* the call's start, from an hour boundary */
        int otlp_first; /* the order the reports arrive in */
    } cases[] = {
        {-30 * 60000, 1},
        {-30 * 60000, 0}, /* within one hour */
        {-8000, 1},
        {-8000, 0}, /* the prompt was up across hh:00 */
    };
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    int64_t boundary = (NOW / HOUR - 10) * HOUR;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tuid[32];
        snprintf(tuid, sizeof tuid, "toolu_start_%zu", i);
        int64_t start = boundary + cases[i].start;
        struct op h, o, t;
        /* Waited 12.5 s for its prompt, ran 330 ms. */
        mk(&h, "Write", "/p/notes.md", 330, start, tuid, "s", "/p", OP_SRC_HOOK);
        op_set_phase(&h, OP_PH_WALL, 13000, OP_EX_DERIVED, PHS_HOOK);
        op_set_phase(&h, OP_PH_WAIT, 12500, OP_EX_DERIVED, PHS_HOOK);
        h.ask = OP_ASK_ASKED;
        mk(&o, "Write", "/p/notes.md", 330, start + 12670, tuid, "s", "/p", OP_SRC_OTLP);
        struct op *first = cases[i].otlp_first ? &o : &h, *second = cases[i].otlp_first ? &h : &o;
        struct store_result r = {0};
        ASSERT_EQ_INT(insert(s, first, 1, &r), 0);
        ASSERT_EQ_INT(insert(s, second, 1, &r), 0);
        /* The transcript's report comes last, 150 ms before the hook's
         * start: the hook's wall stands, and so does its start. */
        mk(&t, "Write", "/p/notes.md", NAN, start - 150, tuid, "s", "/p", OP_SRC_TRANSCRIPT);
        op_set_phase(&t, OP_PH_WALL, 13300, OP_EX_DERIVED, PHS_TIMESTAMPS);
        ASSERT_EQ_INT(insert(s, &t, 1, &r), 0);
        ASSERT_EQ_INT(r.inserted, 1);
        struct rows x;
        ASSERT_EQ_INT(scan_all(s, start - HOUR, start + HOUR, &x), 0);
        const struct op *got = find_tuid(&x, tuid, NULL);
        if (!got)
            FAIL_("case %zu: the call is not in the hours around its start", i);
        if (got->ts_ms != start)
            fprintf(stderr, "  case %zu\n", i);
        ASSERT_EQ_INT(got->ts_ms, start);
        ASSERT_EQ_DBL(got->wall_ms, 13000, 0);
        ASSERT_EQ_DBL(got->duration_ms, 330, 0);
        rows_free(&x);
        /* Its hour holds it: a scan of that hour alone, and the rollups. */
        int64_t h0 = (start / HOUR) * HOUR;
        ASSERT_EQ_INT(scan_all(s, h0, h0 + HOUR, &x), 0);
        ASSERT_TRUE(find_tuid(&x, tuid, NULL) != NULL);
        rows_free(&x);
        op_clear(&h);
        op_clear(&o);
        op_clear(&t);
        boundary += 4 * HOUR;
    }
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 4);
    struct agg_probe p = rollup_total(s, ROLLUP_HOUR, 0);
    ASSERT_EQ_INT(p.n, 4);
    ASSERT_EQ_DBL(p.sum, 4 * 330.0, 1e-9);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- rollups against brute force ------------------------------------------- */

/* A brute-force aggregate of one (level, bucket, project, tool). */
struct bf {
    uint64_t n, nt, slow, crit, failed, opt, attn, attn_bytes;
    uint64_t nwait, asked, nhook, nunsplit;
    double wait, hook, unsplit;
    double sum, min, max;
    double *d;
    size_t nd, ad;
};

struct bf_set {
    struct kmap map; /* int64[4] {level, bucket start, project, tool} */
    struct bf *v;
    size_t alloc;
};

static struct bf *bf_slot(struct bf_set *b, int64_t lvl, int64_t start, int64_t project,
                          int64_t tool)
{
    int64_t key[4] = {lvl, start, project, tool};
    int added;
    size_t i = kmap_put(&b->map, key, sizeof key, &added);
    if (i >= b->alloc) {
        b->alloc = b->alloc ? b->alloc * 2 : 256;
        b->v = xreallocarray(b->v, b->alloc, sizeof *b->v);
    }
    if (added)
        memset(&b->v[i], 0, sizeof b->v[i]);
    return &b->v[i];
}

static void bf_add(struct bf *x, const struct op *op, int attention)
{
    x->n++;
    x->failed += !op->success;
    x->opt += op->optimized != 0;
    if (attention) {
        x->attn++;
        x->attn_bytes += op->size_bytes > 0 ? (uint64_t)op->size_bytes : 0;
    }
    x->asked += op->ask == OP_ASK_ASKED;
    if (!isnan(op->wait_ms)) {
        x->nwait++;
        x->wait += op->wait_ms;
    }
    if (!isnan(op->hook_ms)) {
        x->nhook++;
        x->hook += op->hook_ms;
    }
    if (isnan(op->duration_ms) && isnan(op->wait_ms) && !isnan(op->wall_ms)) {
        x->nunsplit++;
        x->unsplit += op->wall_ms;
    }
    if (isnan(op->duration_ms))
        return;
    double d = op->duration_ms;
    if (!x->nt || d < x->min)
        x->min = d;
    if (!x->nt || d > x->max)
        x->max = d;
    x->nt++;
    x->sum += d;
    x->slow += d >= TP_SLOW_MS;
    x->crit += d >= TP_CRITICAL_MS;
    if (x->nd == x->ad) {
        x->ad = x->ad ? x->ad * 2 : 16;
        x->d = xreallocarray(x->d, x->ad, sizeof(double));
    }
    x->d[x->nd++] = d;
}

static int bf_build(struct bf_set *b, const struct rows *x)
{
    int bad = 0;
    memset(b, 0, sizeof *b);
    kmap_init(&b->map);
    for (size_t i = 0; i < x->n; i++) {
        /* The row's stored rule flag is the one its fields give. */
        if (x->attention[i] != op_attention(&x->v[i])) {
            fprintf(stderr, "  %s: stored attention %d, op_attention() %d\n", x->v[i].tool_use_id,
                    x->attention[i], op_attention(&x->v[i]));
            bad++;
        }
        for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
            int64_t w = rollup_width_ms[lvl];
            int64_t start = x->v[i].ts_ms / w * w;
            int attn = op_attention(&x->v[i]);
            bf_add(bf_slot(b, lvl, start, x->project_id[i], x->tool_id[i]), &x->v[i], attn);
            bf_add(bf_slot(b, lvl, start, 0, x->tool_id[i]), &x->v[i], attn);
        }
    }
    return bad;
}

static void bf_free(struct bf_set *b)
{
    for (size_t i = 0; i < b->map.n; i++)
        free(b->v[i].d);
    free(b->v);
    kmap_free(&b->map);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct cmp_ctx {
    struct bf_set *b;
    uint8_t *seen;
    int project; /* the filter's project, as stored in each row */
    int bad;
    size_t rows;
};

static int cmp_rollup(void *ctx, int level, int64_t start, int64_t tool, int64_t project,
                      const struct agg *a)
{
    struct cmp_ctx *c = ctx;
    int64_t key[4] = {level, start, project, tool};
    long i = kmap_find(&c->b->map, key, sizeof key);
    c->rows++;
    if (i < 0) {
        if (a->n) {
            fprintf(stderr, "  rollup %d/%lld/p%lld/t%lld has n=%llu, the rows have none\n", level,
                    (long long)start, (long long)project, (long long)tool,
                    (unsigned long long)a->n);
            c->bad++;
        }
        return 0;
    }
    struct bf *x = &c->b->v[i];
    c->seen[i] = 1;
    int ok = a->n == x->n && a->n_timed == x->nt && a->slow == x->slow && a->critical == x->crit &&
             a->failed == x->failed && a->optimized == x->opt && a->attention == x->attn &&
             a->attention_bytes == x->attn_bytes &&
             fabs(a->sum_ms - x->sum) <= 1e-6 * (1 + fabs(x->sum)) && a->sk.count == x->nt &&
             a->n_wait == x->nwait && a->asked == x->asked && a->n_hook == x->nhook &&
             a->n_unsplit == x->nunsplit && fabs(a->wait_ms - x->wait) <= 1e-6 * (1 + x->wait) &&
             fabs(a->hook_ms - x->hook) <= 1e-6 * (1 + x->hook) &&
             fabs(a->unsplit_ms - x->unsplit) <= 1e-6 * (1 + x->unsplit);
    if (ok && x->nt) {
        /* min/max are documented bounds. */
        ok = a->min_ms <= x->min + 1e-9 && a->max_ms >= x->max - 1e-9;
        qsort(x->d, x->nd, sizeof(double), cmp_dbl);
        static const double qs[] = {0.5, 0.95, 0.99, 1.0};
        for (size_t k = 0; ok && k < 4; k++) {
            size_t rank = (size_t)ceil(qs[k] * (double)x->nd);
            if (rank < 1)
                rank = 1;
            double exact = x->d[rank - 1], got = sketch_quantile(&a->sk, qs[k]);
            if (exact < SKETCH_MIN_MS ? got > SKETCH_MIN_MS : fabs(got - exact) > 0.01 * exact) {
                fprintf(stderr, "  quantile %.2f: sketch %g, exact %g\n", qs[k], got, exact);
                ok = 0;
            }
        }
    }
    if (!ok) {
        fprintf(stderr,
                "  rollup %d/%lld/p%lld/t%lld: n %llu/%llu nt %llu/%llu sum %.3f/%.3f slow "
                "%llu/%llu crit %llu/%llu failed %llu/%llu opt %llu/%llu attn %llu/%llu "
                "attn_bytes %llu/%llu wait %llu %.3f/%llu %.3f asked %llu/%llu hook %llu/%llu "
                "unsplit %llu %.3f/%llu %.3f (store/rows)\n",
                level, (long long)start, (long long)project, (long long)tool,
                (unsigned long long)a->n, (unsigned long long)x->n, (unsigned long long)a->n_timed,
                (unsigned long long)x->nt, a->sum_ms, x->sum, (unsigned long long)a->slow,
                (unsigned long long)x->slow, (unsigned long long)a->critical,
                (unsigned long long)x->crit, (unsigned long long)a->failed,
                (unsigned long long)x->failed, (unsigned long long)a->optimized,
                (unsigned long long)x->opt, (unsigned long long)a->attention,
                (unsigned long long)x->attn, (unsigned long long)a->attention_bytes,
                (unsigned long long)x->attn_bytes, (unsigned long long)a->n_wait, a->wait_ms,
                (unsigned long long)x->nwait, x->wait, (unsigned long long)a->asked,
                (unsigned long long)x->asked, (unsigned long long)a->n_hook,
                (unsigned long long)x->nhook, (unsigned long long)a->n_unsplit, a->unsplit_ms,
                (unsigned long long)x->nunsplit, x->unsplit);
        c->bad++;
    }
    return 0;
}

/* Compare every rollup row with the brute force over the stored rows, at
 * all levels, for project 0 and each project. Returns the mismatches. */
static int check_rollups(struct store *s, const int64_t *projects, size_t nproj)
{
    struct rows x;
    if (scan_all(s, 0, NOW + 40 * DAY, &x) != 0)
        return 1;
    struct bf_set b;
    int flags_bad = bf_build(&b, &x);
    struct cmp_ctx c = {&b, xcalloc(b.map.n + 1, 1), 0, flags_bad, 0};
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++) {
        for (size_t p = 0; p <= nproj; p++) {
            struct store_filter f = {.project = p ? projects[p - 1] : 0};
            store_rollups(s, lvl, 0, NOW + 40 * DAY, &f, cmp_rollup, &c);
        }
    }
    /* Every brute-force aggregate must have been seen. */
    for (size_t i = 0; i < b.map.n; i++)
        if (!c.seen[i] && b.v[i].n) {
            const int64_t *k = kmap_key(&b.map, i, NULL);
            fprintf(stderr, "  no rollup for %lld/%lld/p%lld/t%lld (rows: n=%llu)\n",
                    (long long)k[0], (long long)k[1], (long long)k[2], (long long)k[3],
                    (unsigned long long)b.v[i].n);
            c.bad++;
        }
    free(c.seen);
    bf_free(&b);
    rows_free(&x);
    return c.bad;
}

/* The expected final state of one call, by the documented merge rules. */
struct model {
    char tuid[32];
    int known;
    double dur;
    int src; /* source of the duration */
    int success, opt;
    unsigned sources;
    const char *project;
    int64_t size;
};

static const char *const tools[] = {"Read", "Bash", "Grep", "Write", "Edit", "mcp__gh__issue"};
/* An MCP call's failures: two that say it never returned (OP_ATTN_LOST),
 * one that does not. */
static const char *const mcp_errors[] = {"no result (interrupted, or the session ended)",
                                         "interrupted", "HTTP 502"};
static const char *const projects[] = {NULL, "/p/alpha", "/p/beta", ""};
static const enum op_source srcs[] = {OP_SRC_API, OP_SRC_IMPORT, OP_SRC_TRANSCRIPT, OP_SRC_OTLP,
                                      OP_SRC_HOOK};

/* The projects[] entry equal to p (the model must not keep pointers into
 * ops that are freed after their batch), NULL for none or "". */
static const char *project_name(const char *p)
{
    for (size_t i = 1; p && *p && i < sizeof projects / sizeof projects[0]; i++)
        if (projects[i] && strcmp(projects[i], p) == 0)
            return projects[i];
    return NULL;
}

static void model_apply(struct model *m, const struct op *op)
{
    int known = !isnan(op->duration_ms);
    if (!m->sources) {
        m->known = known;
        m->dur = op->duration_ms;
        m->src = op->source;
        m->success = op->success;
        m->opt = op->optimized;
        m->project = project_name(op->project);
        m->size = op->size_bytes;
    } else {
        if (known && (!m->known || (int)op->source > m->src)) {
            m->known = 1;
            m->dur = op->duration_ms;
            m->src = op->source;
        } else if (!m->known && (int)op->source > m->src) {
            m->src = op->source;
        }
        m->success = m->success && op->success;
        m->opt = m->opt || op->optimized;
        if (!m->project)
            m->project = project_name(op->project);
        if (m->size < 0)
            m->size = op->size_bytes;
    }
    m->sources |= 1u << op->source;
}

/* Random calls, each reported by one to three sources, in random batches;
 * some reports have no duration, no project, a failure. */
static void fill_random_store(struct store *s, struct model *calls, size_t ncalls, int64_t span_ms)
{
    enum { MAXR = 3 };
    struct op *reports = xcalloc(ncalls * MAXR, sizeof *reports);
    size_t nrep = 0;
    for (size_t i = 0; i < ncalls; i++) {
        struct model *m = &calls[i];
        memset(m, 0, sizeof *m);
        snprintf(m->tuid, sizeof m->tuid, "toolu_r%05zu", i);
        const char *tool = tools[rnd_below(6)];
        char target[32];
        snprintf(target, sizeof target, "/f/%u", rnd_below(40));
        int64_t ts = NOW - 60000 - (int64_t)(rnd() % (uint64_t)span_ms);
        unsigned k = 1 + rnd_below(MAXR);
        unsigned used = 0;
        for (unsigned r = 0; r < k; r++) {
            enum op_source src;
            do
                src = srcs[rnd_below(5)];
            while (used & (1u << src));
            used |= 1u << src;
            unsigned pick = rnd_below(100);
            double dur = pick < 8    ? NAN
                         : pick < 12 ? 0
                         : pick < 80 ? (double)(rnd() % 1999000) / 1000.0
                         : pick < 93 ? (double)(2000000 + rnd() % 3000000) / 1000.0
                                     : (double)(5000000 + rnd() % 60000000) / 1000.0;
            struct op *op = &reports[nrep++];
            /* Reports of one call start within +-20 minutes of each other. */
            int64_t jitter = r ? (int64_t)(rnd() % 2400000) - 1200000 : 0;
            mk(op, tool, target, dur, ts + jitter, m->tuid, "sess-r", projects[rnd_below(4)], src);
            op->success = rnd_below(10) != 0;
            op->optimized = rnd_below(3) == 0;
            if (!op->success && strncmp(tool, "mcp__", 5) == 0)
                op_sets(&op->error, mcp_errors[rnd_below(3)]);
            /* Phases that never change the exec the model expects: a call
             * that did not ask (whose wait is then 0) always has an exec;
             * reports without one may bring a wall that may include an
             * approval. */
            unsigned ph = rnd_below(6);
            if (!isnan(dur)) {
                if (ph < 3)
                    op_set_phase(op, OP_PH_WALL, dur + rnd_below(5000), OP_EX_DERIVED,
                                 PHS_TIMESTAMPS);
                if (ph == 1)
                    op->ask = OP_ASK_ASKED;
                else if (ph == 2)
                    op->ask = OP_ASK_NO;
                else if (ph == 3)
                    op_set_phase(op, OP_PH_HOOK, rnd_below(50), OP_EX_EXACT, PHS_TRACE);
            } else if (ph < 2) {
                op_set_phase(op, OP_PH_WALL, rnd_below(90000), OP_EX_DERIVED, PHS_TIMESTAMPS);
                op->ask = OP_ASK_MAYBE;
            }
            if (strcmp(tool, "Read") == 0 && rnd_below(2))
                op->size_bytes = rnd_below(4) ? (int64_t)rnd_below(300000) : 100001;
            if (strcmp(tool, "Bash") == 0)
                op_sets(&op->target, rnd_below(3) ? "cat x.txt" : "npm test");
        }
    }
    /* Shuffle the reports (whichever report of a call arrives first gives
     * the stored start time), then insert them in batches of 1 to 200. */
    for (size_t i = nrep - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        struct op tmp = reports[i];
        reports[i] = reports[j];
        reports[j] = tmp;
    }
    size_t done = 0;
    while (done < nrep) {
        size_t n = 1 + rnd_below(200);
        if (n > nrep - done)
            n = nrep - done;
        /* The store inserts a batch in row id order, (hour << 32) | slot,
         * stably: reports of one call (one slot) by their hour. */
        size_t order[200];
        for (size_t i = 0; i < n; i++)
            order[i] = done + i;
        for (size_t i = 1; i < n; i++)
            for (size_t j = i;
                 j > 0 && reports[order[j - 1]].ts_ms / HOUR > reports[order[j]].ts_ms / HOUR;
                 j--) {
                size_t tmp = order[j];
                order[j] = order[j - 1];
                order[j - 1] = tmp;
            }
        for (size_t i = 0; i < n; i++) {
            const struct op *r = &reports[order[i]];
            model_apply(&calls[(size_t)atoi(r->tool_use_id + 7)], r);
        }
        if (insert(s, reports + done, n, NULL) != 0)
            break;
        done += n;
    }
    free_ops(reports, nrep);
    free(reports);
}

static int check_model(struct store *s, const struct model *calls, size_t ncalls)
{
    struct rows x;
    int bad = 0;
    if (scan_all(s, 0, NOW + DAY, &x) != 0)
        return 1;
    if (x.n != ncalls) {
        fprintf(stderr, "  %zu rows stored for %zu calls\n", x.n, ncalls);
        bad++;
    }
    for (size_t i = 0; i < x.n && bad < 10; i++) {
        const struct op *op = &x.v[i];
        size_t c = (size_t)atoi(op->tool_use_id + 7);
        const struct model *m = &calls[c];
        int ok = m->known == !isnan(op->duration_ms) && (!m->known || m->dur == op->duration_ms) &&
                 m->success == op->success && m->opt == op->optimized &&
                 m->sources == x.sources[i] && m->size == op->size_bytes &&
                 ((!m->project && !op->project) ||
                  (m->project && op->project && strcmp(m->project, op->project) == 0));
        if (m->known && ok)
            ok = (int)op->source == m->src;
        if (!ok) {
            fprintf(stderr,
                    "  %s: dur %g (want %g) src %d (want %d) success %d/%d opt %d/%d sources "
                    "%x/%x size %lld/%lld project %s/%s\n",
                    op->tool_use_id, op->duration_ms, m->known ? m->dur : NAN, op->source, m->src,
                    op->success, m->success, op->optimized, m->opt, x.sources[i], m->sources,
                    (long long)op->size_bytes, (long long)m->size, op->project ? op->project : "-",
                    m->project ? m->project : "-");
            bad++;
        }
    }
    rows_free(&x);
    return bad;
}

static size_t project_ids(struct store *s, int64_t *out)
{
    size_t n = 0;
    const char *names[] = {"", "/p/alpha", "/p/beta"};
    for (size_t i = 0; i < 3; i++) {
        int64_t id = store_str_id(s, names[i]);
        if (id)
            out[n++] = id;
    }
    return n;
}

static void test_rollups_equal_brute_force(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { NCALLS = 2500 };
    struct model *calls = xcalloc(NCALLS, sizeof *calls);
    rng.state = 0x9E3779B97F4A7C15ULL;
    fill_random_store(s, calls, NCALLS, 45 * DAY);
    ASSERT_EQ_INT(check_model(s, calls, NCALLS), 0);
    int64_t proj[3];
    size_t np = project_ids(s, proj);
    ASSERT_EQ_INT(np, 3);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, NCALLS);
    free(calls);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- pruning ------------------------------------------------------------------ */

static void test_prune(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { NCALLS = 1500 };
    struct model *calls = xcalloc(NCALLS, sizeof *calls);
    rng.state = 0x1234567ULL;
    fill_random_store(s, calls, NCALLS, 10 * DAY);
    int64_t proj[3];
    size_t np = project_ids(s, proj);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);

    /* A cutoff in the middle of an hour and of a day: 4.3 days ago, at
     * minute 23, second 17.5. */
    int64_t cutoff = (NOW - 4 * DAY - 7 * HOUR) / HOUR * HOUR + 23 * 60000 + 17500;
    struct rows before;
    ASSERT_EQ_INT(scan_all(s, 0, cutoff, &before), 0);
    size_t older = before.n;
    rows_free(&before);
    ASSERT_TRUE(older > 100);
    size_t deleted = 0;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(store_prune(s, cutoff, &deleted, err), 0);
    ASSERT_EQ_INT(deleted, older);
    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, cutoff, &x), 0);
    ASSERT_EQ_INT(x.n, 0);
    rows_free(&x);
    ASSERT_EQ_INT(scan_all(s, cutoff, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, NCALLS - older);
    for (size_t i = 0; i < x.n; i++)
        ASSERT_TRUE(x.v[i].ts_ms >= cutoff);
    rows_free(&x);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, NCALLS - older);
    ASSERT_TRUE(info.first_ms >= cutoff);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);

    /* Pruning again at the same cutoff deletes nothing; a prune before
     * everything deletes nothing. */
    ASSERT_EQ_INT(store_prune(s, cutoff, &deleted, err), 0);
    ASSERT_EQ_INT(deleted, 0);
    ASSERT_EQ_INT(store_prune(s, 1000, &deleted, err), 0);
    ASSERT_EQ_INT(deleted, 0);
    /* A cutoff on an hour boundary. */
    int64_t aligned = (NOW - 2 * DAY) / HOUR * HOUR;
    ASSERT_EQ_INT(scan_all(s, 0, aligned, &x), 0);
    size_t older2 = x.n;
    rows_free(&x);
    ASSERT_EQ_INT(store_prune(s, aligned, &deleted, err), 0);
    ASSERT_EQ_INT(deleted, older2);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);
    older += older2;
    /* Pruning everything leaves empty rollups. */
    ASSERT_EQ_INT(store_prune(s, NOW + DAY, &deleted, err), 0);
    ASSERT_EQ_INT(deleted, NCALLS - older);
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 0);
    for (int lvl = 0; lvl < ROLLUP_LEVELS; lvl++)
        ASSERT_EQ_INT(rollup_total(s, lvl, 0).n, 0);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);
    free(calls);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* Per-target daily totals (hotspots) match the rows, also after a prune. */
struct tg_sum {
    uint64_t n, failed;
    double sum;
};

static int tg_cb(void *ctx, int64_t day, const struct target_agg *t)
{
    (void)day;
    struct tg_sum *x = ctx;
    x->n += t->n;
    x->failed += t->failed;
    x->sum += t->sum_ms;
    return 0;
}

/* Every per-target total's longest call (max_ms) and its row (max_id:
 * the greatest id of that duration) against the rows of its day. Returns
 * the mismatches. */
struct tg_max {
    struct kmap map; /* (day, project, tool, target) -> index */
    int64_t *max_us, *max_id;
    size_t alloc;
    int bad;
};

static int tg_max_cb(void *ctx, int64_t day, const struct target_agg *t)
{
    struct tg_max *m = ctx;
    int64_t key[4] = {day / DAY, t->project, t->tool, t->target};
    long k = kmap_find(&m->map, key, sizeof key);
    int64_t want_us = k >= 0 ? m->max_us[k] : -1, want_id = k >= 0 ? m->max_id[k] : 0;
    if (!t->n_timed)
        return 0;
    if (llround(t->max_ms * 1000.0) != want_us || t->max_id != want_id) {
        fprintf(stderr, "  day %lld tool %lld target %lld: max %.3f id %llx, rows %lld id %llx\n",
                (long long)(day / DAY), (long long)t->tool, (long long)t->target, t->max_ms,
                (unsigned long long)t->max_id, (long long)want_us, (unsigned long long)want_id);
        m->bad++;
    }
    return 0;
}

static int check_target_maxima(struct store *s, int64_t from, int64_t to)
{
    struct rows x;
    if (scan_all(s, from, to, &x) != 0)
        return 1;
    struct tg_max m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < x.n; i++) {
        if (isnan(x.v[i].duration_ms))
            continue;
        int64_t key[4] = {x.v[i].ts_ms / DAY, x.project_id[i], x.tool_id[i], x.target_id[i]};
        int added;
        size_t k = kmap_put(&m.map, key, sizeof key, &added);
        if (k >= m.alloc) {
            m.alloc = m.alloc ? 2 * m.alloc : 64;
            m.max_us = xreallocarray(m.max_us, m.alloc, sizeof *m.max_us);
            m.max_id = xreallocarray(m.max_id, m.alloc, sizeof *m.max_id);
        }
        int64_t us = llround(x.v[i].duration_ms * 1000.0);
        if (added || us > m.max_us[k] || (us == m.max_us[k] && x.id[i] > m.max_id[k])) {
            m.max_us[k] = us;
            m.max_id[k] = x.id[i];
        }
    }
    rows_free(&x);
    int rc = store_targets(s, from, to, NULL, tg_max_cb, &m);
    kmap_free(&m.map);
    free(m.max_us);
    free(m.max_id);
    return rc ? 1 : m.bad;
}

static void test_targets_match_rows(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { NCALLS = 800 };
    struct model *calls = xcalloc(NCALLS, sizeof *calls);
    rng.state = 0xABCDEF12345ULL;
    fill_random_store(s, calls, NCALLS, 6 * DAY);
    int64_t from = (NOW / DAY - 7) * DAY, to = (NOW / DAY + 1) * DAY;
    for (int pass = 0; pass < 2; pass++) {
        struct rows x;
        ASSERT_EQ_INT(scan_all(s, from, to, &x), 0);
        int64_t read_id = store_str_id(s, "Read");
        struct tg_sum want = {0, 0, 0}, got = {0, 0, 0};
        for (size_t i = 0; i < x.n; i++) {
            if (x.tool_id[i] != read_id)
                continue;
            want.n++;
            want.failed += !x.v[i].success;
            want.sum += isnan(x.v[i].duration_ms) ? 0 : x.v[i].duration_ms;
        }
        rows_free(&x);
        struct store_filter f = {.tool = read_id};
        ASSERT_EQ_INT(store_targets(s, from, to, &f, tg_cb, &got), 0);
        ASSERT_EQ_INT(got.n, want.n);
        ASSERT_EQ_INT(got.failed, want.failed);
        ASSERT_EQ_DBL(got.sum, want.sum, 1e-6);
        ASSERT_EQ_INT(check_target_maxima(s, from, to), 0);
        size_t deleted;
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(store_prune(s, NOW - 3 * DAY - 5 * HOUR - 1234, &deleted, err), 0);
        ASSERT_TRUE(deleted > 0 || pass == 1);
    }
    free(calls);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- marks ------------------------------------------------------------------- */

static void test_marks(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct store_mark m;
    int found = -1;
    ASSERT_EQ_INT(store_mark_get(s, "/data/ops.jsonl", &m, &found), 0);
    ASSERT_EQ_INT(found, 0);
    struct op op;
    mk(&op, "Read", "/x", 1, NOW - 1000, "toolu_mark", NULL, NULL, OP_SRC_IMPORT);
    struct store_mark put = {.path = "/data/ops.jsonl",
                             .offset = 1234,
                             .size = 5678,
                             .mtime_ns = 1771151445123456789LL,
                             .inode = 424242,
                             .resume = 1200,
                             .fp_len = 1234 < 4096 ? 1234 : 4096,
                             .fp_hash = 0xfedcba9876543210ULL};
    char err[TP_ERR_MAX];
    struct store_result r = {0};
    ASSERT_EQ_INT(store_insert(s, &op, 1, &put, &r, err), 0);
    ASSERT_EQ_INT(store_mark_get(s, "/data/ops.jsonl", &m, &found), 0);
    ASSERT_EQ_INT(found, 1);
    ASSERT_EQ_INT(m.offset, 1234);
    ASSERT_EQ_INT(m.size, 5678);
    ASSERT_EQ_INT(m.mtime_ns, 1771151445123456789LL);
    ASSERT_EQ_INT(m.inode, 424242);
    ASSERT_EQ_INT(m.resume, 1200);
    ASSERT_EQ_INT(m.fp_len, 1234);
    ASSERT_TRUE(m.fp_hash == 0xfedcba9876543210ULL);
    /* A mark alone (empty batch) moves forward; one without a fingerprint
     * reads back as such. */
    put.offset = 9999;
    put.resume = 9999;
    put.size = -1;
    put.fp_len = -1;
    ASSERT_EQ_INT(store_insert(s, NULL, 0, &put, &r, err), 0);
    ASSERT_EQ_INT(store_mark_get(s, "/data/ops.jsonl", &m, &found), 0);
    ASSERT_EQ_INT(m.offset, 9999);
    ASSERT_EQ_INT(m.resume, 9999);
    ASSERT_EQ_INT(m.size, -1);
    ASSERT_EQ_INT(m.fp_len, -1);
    ASSERT_EQ_INT(store_mark_get(s, "/data/other", &m, &found), 0);
    ASSERT_EQ_INT(found, 0);
    op_clear(&op);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- repeated reads ---------------------------------------------------------------- */

struct rr_list {
    struct reread v[32];
    size_t n;
};

static int rr_cb(void *ctx, const struct reread *r)
{
    struct rr_list *l = ctx;
    if (l->n < 32)
        l->v[l->n++] = *r;
    return 0;
}

static const struct reread *rr_find(struct store *s, const struct rr_list *l, const char *session,
                                    const char *target)
{
    int64_t sid = store_str_id(s, session), tid = store_str_id(s, target);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].session == sid && l->v[i].target == tid)
            return &l->v[i];
    return NULL;
}

static void test_rereads(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op ops[20];
    size_t n = 0;
    char id[32];
#define READ(sess, target, opt, size, dur, ts)                                                     \
    do {                                                                                           \
        snprintf(id, sizeof id, "toolu_rr%02zu", n);                                               \
        mk(&ops[n], "Read", target, dur, ts, id, sess, "/p", OP_SRC_HOOK);                         \
        ops[n].optimized = opt;                                                                    \
        ops[n].size_bytes = size;                                                                  \
        n++;                                                                                       \
    } while (0)
    /* S reads /a three times whole, /b twice, /c four times with offset. */
    READ("S", "/a", 0, 40000, 10, NOW - 50 * 60000);
    READ("S", "/a", 0, 40000, 20, NOW - 40 * 60000);
    READ("S", "/a", 0, 40000, 30, NOW - 30 * 60000);
    READ("S", "/b", 0, 1000, 5, NOW - 30 * 60000);
    READ("S", "/b", 0, 1000, 5, NOW - 20 * 60000);
    for (int i = 0; i < 4; i++)
        READ("S", "/c", 1, 900000, 7, NOW - (10 - i) * 60000);
    /* T reads /a three times too, one of them a day earlier. */
    READ("T", "/a", 0, -1, 1, NOW - DAY - 1000);
    READ("T", "/a", 0, -1, 2, NOW - 5 * 60000);
    READ("T", "/a", 0, -1, 3, NOW - 4 * 60000);
    /* A Grep of /a in S does not count. */
    mk(&ops[n], "Grep", "/a", 1, NOW - 1000, "toolu_rrg", "S", "/p", OP_SRC_HOOK);
    n++;
#undef READ
    ASSERT_EQ_INT(insert(s, ops, n, NULL), 0);
    /* The transcript reporting S's first read again changes nothing. */
    struct op again;
    mk(&again, "Read", "/a", 12, NOW - 50 * 60000 - 300, "toolu_rr00", "S", "/p",
       OP_SRC_TRANSCRIPT);
    ASSERT_EQ_INT(insert(s, &again, 1, NULL), 0);

    struct rr_list l = {.n = 0};
    struct reread_totals tot;
    ASSERT_EQ_INT(store_rereads(s, NOW - 2 * DAY, NOW + 1, NULL, 10, &tot, rr_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 2);
    /* By hand: S/a repeats 2 x 40000 bytes and 2/3 of 60 ms; T/a repeats
     * 2 x 4000 (sizes unknown) and 2/3 of 6 ms. */
    ASSERT_EQ_INT(tot.pairs, 2);
    ASSERT_EQ_INT(tot.reads, 6);
    ASSERT_EQ_INT(tot.repeat_bytes, 88000);
    ASSERT_EQ_DBL(tot.repeat_ms, 44, 1e-9);
    const struct reread *sa = rr_find(s, &l, "S", "/a");
    ASSERT_TRUE(sa != NULL);
    ASSERT_EQ_INT(sa->reads, 3);
    ASSERT_EQ_INT(sa->bytes, 120000);
    ASSERT_EQ_DBL(sa->sum_ms, 60, 1e-9);
    ASSERT_EQ_INT(sa->project, store_str_id(s, "/p"));
    const struct reread *ta = rr_find(s, &l, "T", "/a");
    ASSERT_TRUE(ta != NULL);
    ASSERT_EQ_INT(ta->reads, 3);
    ASSERT_EQ_INT(ta->bytes, 0);
    ASSERT_EQ_DBL(ta->sum_ms, 6, 1e-9);
    /* Most reads first, then most time: top 1 is S/a. */
    l.n = 0;
    ASSERT_EQ_INT(store_rereads(s, NOW - 2 * DAY, NOW + 1, NULL, 1, &tot, rr_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 1);
    ASSERT_TRUE(rr_find(s, &l, "S", "/a") != NULL);
    ASSERT_EQ_INT(tot.pairs, 2); /* totals do not depend on top */

    /* A window that ends before T's last read leaves T out (the window
     * holds the last read). */
    l.n = 0;
    ASSERT_EQ_INT(store_rereads(s, NOW - 2 * DAY, NOW - 15 * 60000, NULL, 10, &tot, rr_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 1);
    ASSERT_EQ_INT(tot.pairs, 1);
    ASSERT_TRUE(rr_find(s, &l, "S", "/a") != NULL);
    /* Session filter. */
    l.n = 0;
    struct store_filter f = {.session = store_str_id(s, "T")};
    ASSERT_EQ_INT(store_rereads(s, 0, NOW + 1, &f, 10, &tot, rr_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 1);
    ASSERT_EQ_INT(tot.reads, 3);
    ASSERT_TRUE(rr_find(s, &l, "T", "/a") != NULL);
    /* Project filter: nothing in another project. */
    l.n = 0;
    struct store_filter g = {.project = store_str_id(s, "Read")};
    ASSERT_EQ_INT(store_rereads(s, 0, NOW + 1, &g, 10, &tot, rr_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 0);
    ASSERT_EQ_INT(tot.pairs, 0);

    free_ops(ops, n);
    op_clear(&again);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* The reread totals and top pairs of any window, read from reread_sums and
 * the edges, equal what the calls themselves give, after inserts, merges
 * (a hook report replacing a transcript's duration) and a prune. */
struct rr_model_read {
    int session, target, alive;
    int64_t ts, size, dur_ms;
};

struct rr_pair {
    int64_t session, target, project, n, bytes, sum_us, last;
};

static int cmp_rr_pair(const void *a, const void *b)
{
    const struct rr_pair *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    if (x->sum_us != y->sum_us)
        return x->sum_us > y->sum_us ? -1 : 1;
    if (x->session != y->session)
        return x->session > y->session ? -1 : 1;
    return x->target > y->target ? -1 : (x->target < y->target);
}

/* The pairs read 3+ times, from the model. */
static size_t rr_model_pairs(struct store *s, const struct rr_model_read *m, size_t nm,
                             struct rr_pair *out)
{
    size_t np = 0;
    for (int se = 0; se < 12; se++) {
        for (int t = 0; t < 9; t++) {
            struct rr_pair p = {0};
            for (size_t i = 0; i < nm; i++) {
                if (!m[i].alive || m[i].session != se || m[i].target != t)
                    continue;
                p.n++;
                p.bytes += m[i].size > 0 ? m[i].size : 0;
                p.sum_us += m[i].dur_ms * 1000;
                if (m[i].ts > p.last)
                    p.last = m[i].ts;
            }
            if (p.n < 3)
                continue;
            char name[16];
            snprintf(name, sizeof name, "s%d", se);
            p.session = store_str_id(s, name);
            snprintf(name, sizeof name, "/f%d", t);
            p.target = store_str_id(s, name);
            p.project = store_str_id(s, se % 2 ? "/q" : "/p");
            out[np++] = p;
        }
    }
    return np;
}

#define FAIL_RET(...)                                                                              \
    do {                                                                                           \
        fprintf(stderr, "  ");                                                                     \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        return 1;                                                                                  \
    } while (0)

static int check_rereads_model(struct store *s, const struct rr_model_read *m, size_t nm)
{
    struct rr_pair pairs[12 * 9], in[12 * 9];
    size_t np = rr_model_pairs(s, m, nm, pairs);
    int64_t pjs[3] = {0, store_str_id(s, "/p"), store_str_id(s, "/q")};
    for (int w = 0; w < 60; w++) {
        int64_t a, b;
        if (w == 0) {
            a = TP_MIN_TS_MS;
            b = NOW + 1;
        } else if (w == 1) { /* whole days */
            a = (NOW - 20 * DAY) / DAY * DAY;
            b = (NOW - 2 * DAY) / DAY * DAY;
        } else {
            a = NOW - 40 * DAY + (int64_t)(rnd() % (uint64_t)(40 * DAY));
            b = a + 1 + (int64_t)(rnd() % (uint64_t)(30 * DAY));
        }
        for (int pj = 0; pj < 3; pj++) {
            int64_t session = w % 7 == 3 ? store_str_id(s, "s4") : 0;
            struct store_filter f = {.project = pjs[pj], .session = session};
            size_t ni = 0;
            struct reread_totals want = {0};
            for (size_t i = 0; i < np; i++) {
                const struct rr_pair *p = &pairs[i];
                if (p->last < a || p->last >= b || (f.project && p->project != f.project) ||
                    (session && p->session != session))
                    continue;
                in[ni++] = *p;
                want.pairs++;
                want.reads += (uint64_t)p->n;
                want.repeat_bytes +=
                    (uint64_t)((p->n - 1) * (p->bytes > 0 ? p->bytes / p->n : 4000));
                want.repeat_ms += (double)(p->sum_us * (p->n - 1) / p->n) / 1000.0;
            }
            qsort(in, ni, sizeof *in, cmp_rr_pair);
            struct rr_list l = {.n = 0};
            struct reread_totals got;
            size_t top = 1 + (size_t)(w % 6);
            if (store_rereads(s, a, b, &f, top, &got, rr_cb, &l) != 0)
                FAIL_RET("store_rereads failed (window %d)", w);
            if (got.pairs != want.pairs || got.reads != want.reads ||
                got.repeat_bytes != want.repeat_bytes ||
                fabs(got.repeat_ms - want.repeat_ms) > 1e-6)
                FAIL_RET(
                    "window %d [%lld, %lld) project %d session %lld: got %llu pairs %llu reads "
                    "%llu bytes %.3f ms, want %llu %llu %llu %.3f",
                    w, (long long)a, (long long)b, pj, (long long)session,
                    (unsigned long long)got.pairs, (unsigned long long)got.reads,
                    (unsigned long long)got.repeat_bytes, got.repeat_ms,
                    (unsigned long long)want.pairs, (unsigned long long)want.reads,
                    (unsigned long long)want.repeat_bytes, want.repeat_ms);
            size_t k = ni < top ? ni : top;
            if (l.n != k)
                FAIL_RET("window %d: %zu top pairs, want %zu", w, l.n, k);
            for (size_t i = 0; i < k; i++)
                if (l.v[i].session != in[i].session || l.v[i].target != in[i].target ||
                    (int64_t)l.v[i].reads != in[i].n)
                    FAIL_RET("window %d: top pair %zu differs", w, i);
        }
    }
    return 0;
}
#undef FAIL_RET

static void test_reread_sums_match_model(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { NREADS = 900 };
    struct rr_model_read *m = xcalloc(NREADS, sizeof *m);
    struct op *ops = xcalloc(NREADS, sizeof *ops);
    rng.state = 0xfeedULL;
    char id[32], sess[16], target[16];
    for (size_t i = 0; i < NREADS; i++) {
        m[i].session = (int)rnd_below(12);
        m[i].target = (int)rnd_below(9);
        m[i].ts = NOW - 1 - (int64_t)(rnd() % (uint64_t)(35 * DAY));
        m[i].size = rnd_below(4) ? (int64_t)rnd_below(200000) : -1;
        m[i].dur_ms = 1 + rnd_below(500);
        m[i].alive = 1;
        snprintf(id, sizeof id, "toolu_rs%05zu", i);
        snprintf(sess, sizeof sess, "s%d", m[i].session);
        snprintf(target, sizeof target, "/f%d", m[i].target);
        /* A third first arrive from a transcript with another duration. */
        int first_tx = i % 3 == 0;
        mk(&ops[i], "Read", target, first_tx ? (double)m[i].dur_ms + 7 : (double)m[i].dur_ms,
           m[i].ts, id, sess, m[i].session % 2 ? "/q" : "/p",
           first_tx ? OP_SRC_TRANSCRIPT : OP_SRC_HOOK);
        ops[i].size_bytes = m[i].size;
    }
    /* In batches of uneven size, so that pairs grow across commits. */
    for (size_t i = 0; i < NREADS;) {
        size_t k = 1 + rnd_below(120);
        if (k > NREADS - i)
            k = NREADS - i;
        ASSERT_EQ_INT(insert(s, ops + i, k, NULL), 0);
        i += k;
    }
    /* The hook reports the transcript's calls: their durations change. */
    for (size_t i = 0; i < NREADS; i += 3) {
        op_clear(&ops[i]);
        snprintf(id, sizeof id, "toolu_rs%05zu", i);
        snprintf(sess, sizeof sess, "s%d", m[i].session);
        snprintf(target, sizeof target, "/f%d", m[i].target);
        mk(&ops[i], "Read", target, (double)m[i].dur_ms, m[i].ts, id, sess,
           m[i].session % 2 ? "/q" : "/p", OP_SRC_HOOK);
        ops[i].size_bytes = m[i].size;
        ASSERT_EQ_INT(insert(s, &ops[i], 1, NULL), 0);
    }
    ASSERT_EQ_INT(check_rereads_model(s, m, NREADS), 0);

    /* Prune the oldest third. */
    int64_t cutoff = NOW - 23 * DAY + 1234567;
    size_t deleted;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(store_prune(s, cutoff, &deleted, err), 0);
    for (size_t i = 0; i < NREADS; i++)
        if (m[i].ts < cutoff)
            m[i].alive = 0;
    ASSERT_EQ_INT(check_rereads_model(s, m, NREADS), 0);

    free_ops(ops, NREADS);
    free(ops);
    free(m);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- tools and sessions --------------------------------------------------------------- */

struct name_list {
    char names[8][16];
    size_t n;
};

static int name_cb(void *ctx, int64_t id, const char *name)
{
    (void)id;
    struct name_list *l = ctx;
    if (l->n < 8)
        snprintf(l->names[l->n++], 16, "%s", name);
    return 0;
}

static void test_tools_and_session_span(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op ops[4];
    mk(&ops[0], "Read", "/a", 10, NOW - 3 * HOUR, "t1", "S", NULL, OP_SRC_HOOK);
    mk(&ops[1], "Bash", "ls", 2500, NOW - 2 * HOUR, "t2", "S", NULL, OP_SRC_HOOK);
    mk(&ops[2], "Read", "/b", 10, NOW - 40 * DAY, "t3", "U", NULL, OP_SRC_HOOK);
    mk(&ops[3], "mcp__x__y", NULL, NAN, NOW - HOUR, "t4", "S", NULL, OP_SRC_OTLP);
    ASSERT_EQ_INT(insert(s, ops, 4, NULL), 0);
    struct name_list l = {.n = 0};
    ASSERT_EQ_INT(store_tools(s, name_cb, &l), 0);
    ASSERT_EQ_INT(l.n, 3);
    int seen = 0;
    for (size_t i = 0; i < l.n; i++)
        seen |= !strcmp(l.names[i], "Read")        ? 1
                : !strcmp(l.names[i], "Bash")      ? 2
                : !strcmp(l.names[i], "mcp__x__y") ? 4
                                                   : 8;
    ASSERT_EQ_INT(seen, 7);
    int64_t first, last;
    ASSERT_EQ_INT(store_session_span(s, store_str_id(s, "S"), &first, &last), 0);
    ASSERT_EQ_INT(first, NOW - 3 * HOUR);
    ASSERT_EQ_INT(last, NOW - HOUR); /* the last call, of unknown duration */
    ASSERT_EQ_INT(store_session_span(s, store_str_id(s, "U"), &first, &last), 0);
    ASSERT_EQ_INT(first, NOW - 40 * DAY);
    ASSERT_EQ_INT(last, NOW - 40 * DAY + 10);
    ASSERT_TRUE(store_session_span(s, 987654, &first, &last) != 0);
    free_ops(ops, 4);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- the upgrade to schema 8 ----------------------------------------------------------- */

/* One query's rows as text, a line each (the test compares databases). */
static char *db_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    size_t len = 0, alloc = 4096;
    char *out = xmalloc(alloc);
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(db));
        return out;
    }
    while (sqlite3_step(q) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            const char *v = (const char *)sqlite3_column_text(q, c);
            size_t n = strlen(v ? v : "NULL") + 2;
            if (len + n >= alloc) {
                alloc = 2 * (len + n);
                out = xrealloc(out, alloc);
            }
            len += (size_t)snprintf(out + len, alloc - len, "%s%c", v ? v : "NULL",
                                    c + 1 < sqlite3_column_count(q) ? ' ' : '\n');
        }
    sqlite3_finalize(q);
    return out;
}

static int db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  %s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

/* A store of schema 7 is upgraded in place: its MCP calls that never
 * returned get their flag and their rollups count it, exactly as a store
 * that stored them with schema 8 has it; its per-target totals gain an
 * unknown longest-call row; its sessions an index by project. Made here by taking a schema-8 store
 * back to what schema 7 kept (the flag and its counts cleared, the column and the index dropped,
 * the version set back). */
static void test_upgrade_to_schema_8(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { NCALLS = 1500 };
    struct model *calls = xcalloc(NCALLS, sizeof *calls);
    rng.state = 0x5C4E3A8ULL;
    fill_random_store(s, calls, NCALLS, 20 * DAY);
    free(calls);
    store_close(s);
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_NAME);
    sqlite3 *db;
    ASSERT_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    static const char *const flags_sql = "SELECT id, flags FROM ops ORDER BY id";
    static const char *const rollups_sql =
        "SELECT lvl, b, project, tool, n, attn, attn_bytes FROM rollups ORDER BY 1, 2, 3, 4";
    char *want_flags = db_text(db, flags_sql), *want_rollups = db_text(db, rollups_sql);
    char *lost = db_text(db, "SELECT count(*) FROM ops WHERE (flags >> 6) & 3 = 3");
    ASSERT_TRUE(atoi(lost) >= 10);
    free(lost);
    ASSERT_EQ_INT(db_exec(db, "UPDATE ops SET flags = flags & ~(3 << 6) WHERE (flags >> 6) & 3 = 3;"
                              "UPDATE rollups SET attn = 0, attn_bytes = 0 WHERE tool IN "
                              "(SELECT id FROM strs WHERE s LIKE 'mcp%');"
                              "ALTER TABLE targets DROP COLUMN max_id;"
                              "DROP INDEX sessions_project;"
                              "PRAGMA user_version = 7;"),
                  SQLITE_OK);
    char *old_rollups = db_text(db, rollups_sql);
    ASSERT_TRUE(strcmp(old_rollups, want_rollups) != 0); /* the downgrade changed them */
    free(old_rollups);
    sqlite3_close(db);

    /* A reader cannot upgrade it; the first writer does. */
    char err[TP_ERR_MAX];
    ASSERT_TRUE(store_open(dir, STORE_READONLY, &s, err) != 0);
    ASSERT_CONTAINS(err, "needs a schema upgrade");
    s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.schema_version, 8);
    int64_t proj[3];
    size_t np = project_ids(s, proj);
    ASSERT_EQ_INT(check_rollups(s, proj, np), 0);
    store_close(s);
    ASSERT_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
    char *got_flags = db_text(db, flags_sql), *got_rollups = db_text(db, rollups_sql);
    ASSERT_TRUE(strcmp(got_flags, want_flags) == 0);
    ASSERT_TRUE(strcmp(got_rollups, want_rollups) == 0);
    char *unknown = db_text(db, "SELECT count(*), count(max_id) FROM targets");
    ASSERT_TRUE(strstr(unknown, " 0\n") != NULL && atoi(unknown) > 100);
    free(unknown);
    char *index = db_text(db, "SELECT sql FROM sqlite_master WHERE name = 'sessions_project'");
    ASSERT_CONTAINS(index, "sessions(project, last_ms, first_ms)");
    free(index);
    sqlite3_close(db);
    free(want_flags);
    free(want_rollups);
    free(got_flags);
    free(got_rollups);
    fixture_rm_rf(dir);
    free(dir);
}

/* Read-only and no-create opens. */
static void test_open_modes(void)
{
    char *dir = fixture_tmpdir("store");
    char sub[600], err[TP_ERR_MAX];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    struct store *s = NULL;
    ASSERT_TRUE(store_open(sub, STORE_NOCREATE, &s, err) != 0);
    ASSERT_TRUE(s == NULL);
    ASSERT_CONTAINS(err, sub);
    ASSERT_EQ_INT(store_open(sub, 0, &s, err), 0); /* mkdir -p */
    struct op op;
    mk(&op, "Read", "/a", 10, NOW - HOUR, "t1", "S", NULL, OP_SRC_HOOK);
    ASSERT_EQ_INT(insert(s, &op, 1, NULL), 0);
    store_close(s);
    ASSERT_EQ_INT(store_open(sub, STORE_READONLY, &s, err), 0);
    struct store_result r = {0};
    ASSERT_TRUE(store_insert(s, &op, 1, NULL, &r, err) != 0);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, 1);
    store_close(s);
    op_clear(&op);
    char *d = store_default_dir("/explicit");
    ASSERT_STREQ(d, "/explicit");
    free(d);
    setenv("TOOLPROF_DATA_DIR", "/from/env", 1);
    d = store_default_dir(NULL);
    ASSERT_STREQ(d, "/from/env");
    free(d);
    unsetenv("TOOLPROF_DATA_DIR");
    char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", "/home/someone", 1);
    d = store_default_dir("");
    if (home)
        setenv("HOME", home, 1);
    free(home);
    ASSERT_STREQ(d, "/home/someone/.claude/memory/performance");
    free(d);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- many distinct strings --------------------------------------------------- */

struct name_check {
    size_t rows, bad;
};

static int name_check_row(void *ctx, const struct store_row *r)
{
    struct name_check *c = ctx;
    char want[32];
    snprintf(want, sizeof want, "/m/%s", r->op.tool_use_id + 2);
    c->rows++;
    if (!r->op.tool || strcmp(r->op.tool, "Read") != 0 || !r->op.target ||
        strcmp(r->op.target, want) != 0) {
        if (c->bad < 3) {
            char tool[24] = "(null)";
            for (size_t i = 0; r->op.tool && i < sizeof tool - 1; i++) {
                unsigned char ch = (unsigned char)r->op.tool[i];
                tool[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
                tool[i + 1] = '\0';
                if (!ch)
                    break;
            }
            fprintf(stderr, "  row %zu (%s): tool \"%s\" (printable bytes only)\n", c->rows,
                    r->op.tool_use_id, tool);
        }
        c->bad++;
    }
    return 0;
}

/* store.h: "The pointer [of store_str()] stays valid until store_close()".
 * A scan over more than 200,000 distinct strings (an export of a long
 * history: Bash commands are nearly all distinct) must still hand every
 * row its own, intact strings. */
static void test_many_distinct_strings(void)
{
    char *dir = fixture_tmpdir("store");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    enum { N = 100100, B = 5000 };
    struct op *ops = xcalloc(B, sizeof *ops);
    for (int b = 0; b * B < N; b++) {
        size_t n = 0;
        for (int i = b * B; i < N && i < (b + 1) * B; i++, n++) {
            char id[32], target[32], session[32];
            snprintf(id, sizeof id, "t-%d", i);
            snprintf(target, sizeof target, "/m/%d", i);
            snprintf(session, sizeof session, "s-%d", i);
            mk(&ops[n], "Read", target, 1, NOW - 1000 - (int64_t)i * 20, id, session, NULL,
               OP_SRC_HOOK);
        }
        ASSERT_EQ_INT(insert(s, ops, n, NULL), 0);
        free_ops(ops, n);
    }
    free(ops);
    store_close(s);
    s = fixture_store_open(dir); /* a cold cache */
    struct name_check c = {0, 0};
    struct store_scan sc = {.from_ms = 0, .to_ms = NOW + 1};
    int rc = store_scan(s, &sc, name_check_row, &c);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(c.rows, N);
    ASSERT_EQ_INT(c.bad, 0);
}

/* ---- concurrency ------------------------------------------------------------------ */

#define CHILDREN 8
#define PER_CHILD 500

static int child_insert(const char *dir, int k)
{
    char err[TP_ERR_MAX];
    struct store *s;
    if (store_open(dir, 0, &s, err) != 0) {
        fprintf(stderr, "child %d: %s\n", k, err);
        return 1;
    }
    struct op ops[10];
    for (int i = 0; i < PER_CHILD; i += 10) {
        for (int j = 0; j < 10; j++) {
            char id[48], target[32];
            snprintf(id, sizeof id, "toolu_c%d_%d", k, i + j);
            snprintf(target, sizeof target, "/c/%d", (i + j) % 13);
            mk(&ops[j], (i + j) % 2 ? "Read" : "Bash", target, 1.0 + (double)(i + j),
               NOW - (int64_t)(i + j) * 1000 - k, id, "S", "/p", OP_SRC_HOOK);
        }
        struct store_result r = {0};
        int rc = store_insert(s, ops, 10, NULL, &r, err);
        free_ops(ops, 10);
        if (rc != 0 || r.inserted != 10) {
            fprintf(stderr, "child %d: rc %d inserted %zu: %s\n", k, rc, r.inserted, err);
            store_close(s);
            return 1;
        }
    }
    store_close(s);
    return 0;
}

static void test_concurrent_writers(void)
{
    char *dir = fixture_tmpdir("store");
    /* Create the schema first, so that children race on data only. */
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    store_close(s);
    pid_t pids[CHILDREN];
    for (int k = 0; k < CHILDREN; k++) {
        pids[k] = fork();
        if (pids[k] == 0)
            _exit(child_insert(dir, k));
    }
    /* The parent reads meanwhile. */
    s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    int reads = 0, alive = CHILDREN, failed = 0;
    while (alive) {
        struct store_info info;
        ASSERT_EQ_INT(store_info(s, &info), 0);
        ASSERT_TRUE(info.operations <= CHILDREN * PER_CHILD);
        struct agg_probe p = rollup_total(s, ROLLUP_DAY, 0);
        ASSERT_TRUE(p.n <= CHILDREN * PER_CHILD);
        reads++;
        int status;
        pid_t done = waitpid(-1, &status, WNOHANG);
        if (done > 0) {
            alive--;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                failed++;
        } else {
            usleep(2000);
        }
    }
    ASSERT_EQ_INT(failed, 0);
    ASSERT_TRUE(reads > 0);
    struct store_info info;
    store_info(s, &info);
    ASSERT_EQ_INT(info.operations, CHILDREN * PER_CHILD);
    struct rows x;
    ASSERT_EQ_INT(scan_all(s, 0, NOW + DAY, &x), 0);
    ASSERT_EQ_INT(x.n, CHILDREN * PER_CHILD);
    rows_free(&x);
    struct agg_probe p = rollup_total(s, ROLLUP_HOUR, 0);
    ASSERT_EQ_INT(p.n, CHILDREN * PER_CHILD);
    /* Sum of 1..500 per child. */
    ASSERT_EQ_DBL(p.sum, CHILDREN * (PER_CHILD * (PER_CHILD + 1) / 2.0), 1e-6);
    int64_t proj[1] = {store_str_id(s, "/p")};
    ASSERT_EQ_INT(check_rollups(s, proj, 1), 0);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_insert_read_back_every_field), TEST_CASE(test_info_span),
          TEST_CASE(test_idempotent_batches), TEST_CASE(test_merge_transcript_then_hook),
          TEST_CASE(test_merge_hook_then_transcript_and_failures),
          TEST_CASE(test_same_call_across_hour_boundary), TEST_CASE(test_start_follows_the_wall),
          TEST_CASE(test_rollups_equal_brute_force), TEST_CASE(test_prune),
          TEST_CASE(test_targets_match_rows), TEST_CASE(test_marks), TEST_CASE(test_rereads),
          TEST_CASE(test_reread_sums_match_model), TEST_CASE(test_tools_and_session_span),
          TEST_CASE(test_upgrade_to_schema_8), TEST_CASE(test_open_modes),
          TEST_CASE(test_many_distinct_strings), TEST_CASE(test_concurrent_writers))
