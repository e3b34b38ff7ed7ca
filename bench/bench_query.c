/*
 * bench_query.c - in-process latency of every engine question.
 *
 *   bench_query DATA_DIR [RUNS [WARMUP [NAME]]]
 *
 * Opens the store of DATA_DIR read-only, then asks each question the
 * dashboard and the CLI ask (stats, trends, recommendations, slow calls,
 * hotspots, bottlenecks, over the windows the dashboard offers) WARMUP
 * times without timing and RUNS times timed with CLOCK_MONOTONIC, and
 * prints min, median, p99 (nearest rank) and max in milliseconds, one line
 * per question (only the question NAME when given, e.g. for a profiler):
 *
 *   query NAME MIN MEDIAN P99 MAX
 *
 * The engine is called exactly as src/server/api.c calls it (same limits
 * and thresholds), so these are the figures a request pays before HTTP and
 * JSON rendering. "api-stats" is what GET /api/performance/stats costs:
 * stats, 7 days of trends and the process resources together.
 * "sessions-7d" and "sessions-all" are the session list (GET
 * /api/performance/sessions, its default limit of 50), "session-id" one
 * session laid on the clock (GET /api/performance/sessions/{id}): the one
 * with the most calls among the 50 latest, named on a line of its own
 * before the figures ("# session-id ID CALLS").
 *
 * Then every question of the table (src/engine/question.h) as an HTTP
 * request asks it: question_parse() with the request's pairs,
 * question_run() (which resolves the filters) and the answer rendered to
 * JSON, over each window the dashboard offers (24h, 7d, 30d, all; compare
 * has no period before "all"), named "q-QUESTION-WINDOW"; "q-session" is
 * the session above, "q-resources" has no window. The team view is left
 * out: only the team store answers it.
 *
 * Built by bench/run.sh against build/libtoolprof.a. Built with
 * -DBQ_CALLGRIND and run under `valgrind --tool=callgrind`, it counts only
 * the timed runs: the counters are zeroed after each question's warm-ups
 * and dumped after its runs (one dump per question, named after it), so
 * `callgrind_annotate` gives the instructions of RUNS runs of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "engine/analyzer.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "engine/engine.h"
#include "engine/question.h"
#include "engine/sessions.h"
#include "store/store.h"

#ifdef BQ_CALLGRIND
#include <valgrind/callgrind.h>
#endif

/* The API's defaults (src/server/api.c). */
#define BQ_SLOW_THRESHOLD_MS 2000.0
#define BQ_SLOW_LIMIT 50
#define BQ_HOTSPOT_LIMIT 20
#define BQ_BOTTLENECK_LIMIT 10
#define BQ_TREND_DAYS 7
#define BQ_SESSIONS_LIMIT 50

enum bq_kind {
    BQ_STATS,
    BQ_API_STATS,
    BQ_TRENDS,
    BQ_RECOMMEND,
    BQ_SLOW,
    BQ_HOTSPOTS,
    BQ_BOTTLENECKS,
    BQ_SESSIONS,
    BQ_SESSION,
    BQ_QUESTION /* a question of the table (bq_questions) */
};

struct bq_case {
    const char *name;
    enum bq_kind kind;
    const char *window;   /* NULL: the question takes none */
    const char *question; /* BQ_QUESTION: its name in the table */
};

static const struct bq_case bq_cases[] = {
    {"stats-24h", BQ_STATS, "24h", NULL},       {"stats-7d", BQ_STATS, "7d", NULL},
    {"stats-all", BQ_STATS, "all", NULL},       {"api-stats-24h", BQ_API_STATS, "24h", NULL},
    {"trends-7d", BQ_TRENDS, "24h", NULL},      {"recommend-24h", BQ_RECOMMEND, "24h", NULL},
    {"recommend-7d", BQ_RECOMMEND, "7d", NULL}, {"recommend-all", BQ_RECOMMEND, "all", NULL},
    {"slow-24h", BQ_SLOW, "24h", NULL},         {"hotspots-24h", BQ_HOTSPOTS, "24h", NULL},
    {"hotspots-7d", BQ_HOTSPOTS, "7d", NULL},   {"bottlenecks-24h", BQ_BOTTLENECKS, "24h", NULL},
    {"sessions-7d", BQ_SESSIONS, "7d", NULL},   {"sessions-all", BQ_SESSIONS, "all", NULL},
    {"session-id", BQ_SESSION, "all", NULL},
};

/* The questions asked through the table, and over which windows. */
static const char *const bq_windows[] = {"24h", "7d", "30d", "all"};
static const struct {
    const char *question;
    int windows; /* how many of bq_windows; 0: none (the question takes none) */
} bq_questions[] = {
    {"stats", 4},     {"slow", 4},   {"bottlenecks", 4}, {"hotspots", 4},
    {"recommend", 4}, {"trends", 4}, {"compare", 3},     {"sessions", 4},
    {"projects", 4},  {"tools", 4},  {"session", 0},     {"resources", 0},
};

/* The session "session-id" asks for (bq_pick_session). */
static char bq_session_id[128];

static double bq_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Ask a question of the table as the API does: parse the request's pairs
 * (the window, or the session's id), run it, render the answer. Returns 0
 * or the error (errbuf filled). */
static int bq_question(struct store *s, const char *name, const char *window, char *errbuf)
{
    const struct question *qn = question_find(name);
    struct question_input in[1];
    size_t n = 0;
    if (!qn)
        return tp_fail(errbuf, TP_EINVAL, "no question %s", name);
    if (qn->path_param) {
        in[n].name = qn->path_param;
        in[n++].value = bq_session_id;
    } else if (window) {
        in[n].name = "window";
        in[n++].value = window;
    }
    struct question_args a;
    void *answer = NULL;
    int rc = question_parse(qn, in, n, tpt_now_ms(), &a, errbuf);
    if (rc || (rc = question_run(qn, s, &a, &answer, errbuf)) != 0)
        return rc;
    struct buf b;
    struct jsonw jw;
    buf_init(&b, TP_MAX_RESPONSE);
    jw_init(&jw, &b);
    qn->render(&jw, answer);
    rc = jw_finish(&jw) ? tp_fail(errbuf, TP_EINVAL, "the answer does not fit") : 0;
    buf_free(&b);
    qn->free_answer(answer);
    return rc;
}

/* Ask one question once. Returns 0 or the engine's error (errbuf filled). */
static int bq_run(struct store *s, const struct bq_case *c, char *errbuf)
{
    struct engine_query q;
    int64_t now = tpt_now_ms();
    int rc;

    if (c->kind == BQ_QUESTION)
        return bq_question(s, c->question, c->window, errbuf);
    memset(&q, 0, sizeof q);
    if ((rc = engine_window_parse(c->window, NULL, NULL, now, &q.w, errbuf)) != 0)
        return rc;
    switch (c->kind) {
    case BQ_STATS:
    case BQ_API_STATS: {
        struct stats st;
        if ((rc = engine_stats(s, &q, &st, errbuf)) != 0)
            return rc;
        stats_free(&st);
        if (c->kind == BQ_API_STATS) {
            struct trends t;
            struct resources r;
            if ((rc = engine_trends(s, &q, BQ_TREND_DAYS, now, &t, errbuf)) != 0)
                return rc;
            trends_free(&t);
            rc = engine_resources(s, &r);
        }
        return rc;
    }
    case BQ_TRENDS: {
        struct trends t;
        if ((rc = engine_trends(s, &q, BQ_TREND_DAYS, now, &t, errbuf)) == 0)
            trends_free(&t);
        return rc;
    }
    case BQ_RECOMMEND: {
        struct recs r;
        if ((rc = analyzer_recommend(s, &q, &r, errbuf)) == 0)
            recs_free(&r);
        return rc;
    }
    case BQ_SLOW: {
        struct op_list l;
        if ((rc = engine_slow(s, &q, BQ_SLOW_THRESHOLD_MS, BQ_SLOW_LIMIT, &l, errbuf)) == 0)
            op_list_free(&l);
        return rc;
    }
    case BQ_HOTSPOTS: {
        struct hotspots h;
        if ((rc = engine_hotspots(s, &q, BQ_HOTSPOT_LIMIT, &h, errbuf)) == 0)
            hotspots_free(&h);
        return rc;
    }
    case BQ_BOTTLENECKS: {
        struct bottlenecks b;
        if ((rc = engine_bottlenecks(s, &q, BQ_BOTTLENECK_LIMIT, &b, errbuf)) == 0)
            bottlenecks_free(&b);
        return rc;
    }
    case BQ_SESSIONS: {
        struct sessions x;
        if ((rc = engine_sessions(s, &q, BQ_SESSIONS_LIMIT, &x, errbuf)) == 0)
            sessions_free(&x);
        return rc;
    }
    case BQ_SESSION: {
        struct session_detail d;
        if ((rc = engine_session(s, bq_session_id, &d, errbuf)) == 0)
            session_detail_free(&d);
        return rc;
    }
    case BQ_QUESTION: /* above */ break;
    }
    return TP_EINVAL;
}

/* The session with the most calls among the latest BQ_SESSIONS_LIMIT, for
 * "session-id"; 0, or the engine's error. */
static int bq_pick_session(struct store *s, char *errbuf)
{
    struct engine_query q;
    struct sessions x;
    int rc;
    memset(&q, 0, sizeof q);
    if ((rc = engine_window_parse("all", NULL, NULL, tpt_now_ms(), &q.w, errbuf)) != 0 ||
        (rc = engine_sessions(s, &q, BQ_SESSIONS_LIMIT, &x, errbuf)) != 0)
        return rc;
    size_t best = 0, n = x.n;
    for (size_t i = 1; i < x.n; i++)
        if (x.items[i].calls > x.items[best].calls)
            best = i;
    if (x.n) {
        snprintf(bq_session_id, sizeof bq_session_id, "%s", x.items[best].id);
        printf("# session-id %s %llu\n", bq_session_id, (unsigned long long)x.items[best].calls);
    }
    sessions_free(&x);
    return n ? 0 : tp_fail(errbuf, TP_ENOTFOUND, "no session in the store");
}

static int bq_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double bq_rank(const double *v, size_t n, double p)
{
    size_t k = (size_t)((p / 100.0) * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    return v[(k > n ? n : k) - 1];
}

int main(int argc, char **argv)
{
    char err[TP_ERR_MAX] = "";
    struct store *s = NULL;
    struct store_info info;
    int runs, warmup;
    double *t;

    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: bench_query DATA_DIR [RUNS [WARMUP [NAME]]]\n");
        return 2;
    }
    runs = argc > 2 ? atoi(argv[2]) : 50;
    warmup = argc > 3 ? atoi(argv[3]) : 3;
    if (runs < 1 || warmup < 0) {
        fprintf(stderr, "bench_query: RUNS must be >= 1 and WARMUP >= 0\n");
        return 2;
    }
    if (store_open(argv[1], STORE_READONLY | STORE_NOCREATE, &s, err) != 0) {
        fprintf(stderr, "bench_query: %s\n", err);
        return 1;
    }
    store_info(s, &info);
    printf("# %lld operations stored, %lld database bytes, %d runs after %d warm-ups\n",
           (long long)info.operations, (long long)info.db_bytes, runs, warmup);
    printf("# %-18s %9s %9s %9s %9s  (ms)\n", "query", "min", "median", "p99", "max");
    t = calloc((size_t)runs, sizeof *t);
    if (!t) {
        store_close(s);
        return 1;
    }
    if ((argc <= 4 || strcmp(argv[4], "session-id") == 0 || strcmp(argv[4], "q-session") == 0) &&
        bq_pick_session(s, err) != 0) {
        fprintf(stderr, "bench_query: session-id: %s\n", err);
        free(t);
        store_close(s);
        return 1;
    }
    /* The engine's calls, then the questions of the table. */
    struct bq_case cases[sizeof bq_cases / sizeof bq_cases[0] +
                         sizeof bq_questions / sizeof bq_questions[0] * 4];
    char names[sizeof cases / sizeof cases[0]][48];
    size_t ncases = 0;
    for (size_t c = 0; c < sizeof bq_cases / sizeof bq_cases[0]; c++)
        cases[ncases++] = bq_cases[c];
    for (size_t k = 0; k < sizeof bq_questions / sizeof bq_questions[0]; k++)
        for (int w = 0; w < (bq_questions[k].windows ? bq_questions[k].windows : 1); w++) {
            const char *win = bq_questions[k].windows ? bq_windows[w] : NULL;
            snprintf(names[ncases], sizeof names[ncases], "q-%s%s%s", bq_questions[k].question,
                     win ? "-" : "", win ? win : "");
            cases[ncases] =
                (struct bq_case){names[ncases], BQ_QUESTION, win, bq_questions[k].question};
            ncases++;
        }
    for (size_t c = 0; c < ncases; c++) {
        const struct bq_case *bc = &cases[c];
        if (argc > 4 && strcmp(argv[4], bc->name) != 0)
            continue;
        for (int i = 0; i < warmup + runs; i++) {
#ifdef BQ_CALLGRIND
            if (i == warmup)
                CALLGRIND_ZERO_STATS;
#endif
            double t0 = bq_now_ms();
            if (bq_run(s, bc, err) != 0) {
                fprintf(stderr, "bench_query: %s: %s\n", bc->name, err);
                free(t);
                store_close(s);
                return 1;
            }
            if (i >= warmup)
                t[i - warmup] = bq_now_ms() - t0;
        }
#ifdef BQ_CALLGRIND
        CALLGRIND_DUMP_STATS_AT(bc->name);
#endif
        qsort(t, (size_t)runs, sizeof *t, bq_cmp);
        printf("query %-18s %9.3f %9.3f %9.3f %9.3f\n", bc->name, t[0],
               bq_rank(t, (size_t)runs, 50), bq_rank(t, (size_t)runs, 99), t[runs - 1]);
        fflush(stdout);
    }
    free(t);
    store_close(s);
    return 0;
}
