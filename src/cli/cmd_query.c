/*
 * cmd_query.c - the questions: stats, slow, bottlenecks, hotspots,
 * recommend, trends, resources, tools.
 *
 * Every command here takes the same window and filter options, asks the
 * engine, and prints either an aligned table or (--json) the JSON the API
 * serves for the same question.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "engine/analyzer.h"
#include "engine/render.h"
#include "table.h"

struct qopts {
    const char *window, *since, *until, *tool, *project, *session, *data_dir;
    int json;
};

#define QUERY_OPTS(q)                                                                              \
    {"window", OPT_STR, &(q).window, "W", "24h (default), 7d, 30d, all, <n>h or <n>d"},            \
        {"since", OPT_STR, &(q).since, "TIME", "start of the window (ISO-8601; naive = local)"},   \
        {"until", OPT_STR, &(q).until, "TIME", "end of the window (default: now)"},                \
        {"tool", OPT_STR, &(q).tool, "NAME", "only this tool"},                                    \
        {"project", OPT_STR, &(q).project, "DIR", "only this project (the agent's cwd)"},          \
        {"session", OPT_STR, &(q).session, "ID", "only this session"},                             \
        {"json", OPT_FLAG, &(q).json, NULL, "print JSON (the API's data object)"},                 \
    {                                                                                              \
        "data-dir", OPT_STR, &(q).data_dir, "DIR", "where the database lives"                      \
    }

/* Parse, open the store and build the query. Returns -1 when the command
 * should exit with *status. */
static int query_setup(const char *cmd, const char *usage, const char *desc, const struct opt *opts,
                       int argc, char **argv, struct qopts *q, const char *data_dir,
                       struct store **s, struct engine_query *eq, int *status)
{
    char err[TP_ERR_MAX];
    int help;
    if (args_parse(argc, argv, opts, &help, NULL, NULL, err) != 0) {
        *status = cli_error(cmd, CLI_USAGE, "%s", err);
        return -1;
    }
    if (help) {
        args_usage(stdout, usage, desc, opts);
        *status = CLI_OK;
        return -1;
    }
    memset(eq, 0, sizeof *eq);
    if (engine_window_parse(q->window, q->since, q->until, tpt_now_ms(), &eq->w, err) != 0) {
        *status = cli_error(cmd, CLI_USAGE, "%s", err);
        return -1;
    }
    eq->tool = q->tool;
    eq->project = q->project;
    eq->session = q->session;
    *s = cli_open_store(q->data_dir ? q->data_dir : data_dir, 0);
    if (!*s) {
        *status = CLI_FAIL;
        return -1;
    }
    return 0;
}

static void print_window(const struct engine_window *w)
{
    char a[48], b[48];
    tpt_format_local(w->since_ms, a);
    tpt_format_local(w->until_ms, b);
    printf("window %s: %.19s .. %.19s\n", w->name, strcmp(w->name, "all") == 0 ? "start" : a, b);
}

/* ---- stats ------------------------------------------------------------------- */

struct stats_answer {
    struct stats st;
    struct trends tr;
    struct resources res;
};

static void json_stats(struct jsonw *w, const void *arg)
{
    const struct stats_answer *a = arg;
    render_stats(w, &a->st, &a->tr, &a->res);
}

int cmd_stats(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    const struct opt opts[] = {QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("stats", "toolprof stats [--window W] [--tool T] [--json]",
                    "Summary of the tool calls in a window: count, average, median, p95, p99,\n"
                    "slow and critical calls, success and optimization rates, and a per-tool\n"
                    "latency table.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    struct stats_answer a;
    memset(&a, 0, sizeof a);
    int64_t now = tpt_now_ms();
    if (engine_stats(s, &eq, &a.st, err) != 0 || engine_trends(s, &eq, 7, now, &a.tr, err) != 0) {
        store_close(s);
        return cli_error("stats", CLI_FAIL, "%s", err);
    }
    engine_resources(s, &a.res);
    if (q.json) {
        status = cli_print_json(json_stats, &a);
    } else {
        char c[32], avg[32], med[32], p95[32], p99[32];
        print_window(&a.st.w);
        table_count(c, a.st.total);
        table_ms(avg, a.st.avg_ms);
        table_ms(med, a.st.median_ms);
        table_ms(p95, a.st.p95_ms);
        table_ms(p99, a.st.p99_ms);
        printf("operations %s   avg %s   median %s   p95 %s   p99 %s (%s)\n", c, avg, med, p95, p99,
               a.st.exact ? "exact" : "sketch, within 1%");
        printf("slow (>= 2 s) %llu   critical (>= 5 s) %llu   success %.1f%%   optimized "
               "%.1f%%\n\n",
               (unsigned long long)a.st.slow, (unsigned long long)a.st.critical,
               a.st.total ? (double)(a.st.total - a.st.failed) / (double)a.st.total * 100 : 100.0,
               a.st.total ? (double)a.st.optimized / (double)a.st.total * 100 : 0.0);
        static const char *const heads[] = {"tool", ">count", ">avg",   ">p50",   ">p95",
                                            ">p99", ">max",   ">total", ">failed"};
        struct table t;
        table_init(&t, 9, heads);
        for (size_t i = 0; i < a.st.ntools; i++) {
            const struct tool_stats *x = &a.st.tools[i];
            char v[8][32];
            table_count(v[0], x->count);
            double none = NAN; /* no call of this tool has a duration */
            table_ms(v[1], x->timed ? x->avg_ms : none);
            table_ms(v[2], x->timed ? x->p50_ms : none);
            table_ms(v[3], x->timed ? x->p95_ms : none);
            table_ms(v[4], x->timed ? x->p99_ms : none);
            table_ms(v[5], x->timed ? x->max_ms : none);
            table_ms(v[6], x->total_ms);
            table_pct(v[7], x->count ? (double)x->failed / (double)x->count * 100 : 0);
            const char *row[] = {x->tool, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
            table_row(&t, row);
        }
        if (a.st.ntools)
            table_print(&t, stdout);
        else
            printf("no operations in this window (see `toolprof install-hook`, `toolprof "
                   "import`)\n");
        table_free(&t);
    }
    stats_free(&a.st);
    trends_free(&a.tr);
    store_close(s);
    return status;
}

/* ---- lists of operations ---------------------------------------------------- */

static void print_ops(const struct op_list *l)
{
    static const char *const heads[] = {"time", "tool", ">duration", "status", "opt", "target"};
    struct table t;
    table_init(&t, 6, heads);
    table_cap(&t, 5, 80);
    for (size_t i = 0; i < l->n; i++) {
        const struct op *op = &l->items[i].op;
        char ts[48], d[32];
        tpt_format_local(op->ts_ms, ts);
        ts[19] = '\0';
        ts[10] = ' ';
        table_ms(d, op->duration_ms);
        const char *row[] = {
            ts,        op->tool, d, op->success ? "ok" : "failed", op->optimized ? "yes" : "no",
            op->target};
        table_row(&t, row);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void json_ops(struct jsonw *w, const void *arg)
{
    render_op_list(w, arg);
}

int cmd_slow(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    double threshold = TP_SLOW_MS;
    long long limit = 50;
    const struct opt opts[] = {
        {"threshold", OPT_NUM, &threshold, "MS", "minimum duration (default 2000)"},
        {"limit", OPT_LONG, &limit, "N", "at most N operations (default 50)"},
        QUERY_OPTS(q),
        {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("slow", "toolprof slow [--threshold MS] [--limit N] [--window W] [--json]",
                    "The slowest recent calls: operations at least --threshold ms long, newest "
                    "first.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    if (threshold < 0 || limit < 1 || limit > TP_MAX_LIMIT) {
        store_close(s);
        return cli_error("slow", CLI_USAGE, "--threshold must be >= 0 and --limit 1 to %d",
                         TP_MAX_LIMIT);
    }
    struct op_list l;
    if (engine_slow(s, &eq, threshold, (size_t)limit, &l, err) != 0) {
        store_close(s);
        return cli_error("slow", CLI_FAIL, "%s", err);
    }
    if (q.json)
        status = cli_print_json(json_ops, &l);
    else if (l.n)
        print_ops(&l);
    else
        printf("no operations of %g ms or more in this window\n", threshold);
    op_list_free(&l);
    store_close(s);
    return status;
}

static void json_bottlenecks(struct jsonw *w, const void *arg)
{
    render_bottlenecks(w, arg);
}

int cmd_bottlenecks(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    long long limit = 10;
    const struct opt opts[] = {
        {"limit", OPT_LONG, &limit, "N", "slowest N calls per tool (default 10)"},
        QUERY_OPTS(q),
        {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("bottlenecks", "toolprof bottlenecks [--limit N] [--window W] [--json]",
                    "The slowest calls of each tool.", opts, argc, argv, &q, data_dir, &s, &eq,
                    &status) != 0)
        return status;
    if (limit < 1 || limit > 1000) {
        store_close(s);
        return cli_error("bottlenecks", CLI_USAGE, "--limit must be 1 to 1000");
    }
    struct bottlenecks b;
    if (engine_bottlenecks(s, &eq, (size_t)limit, &b, err) != 0) {
        store_close(s);
        return cli_error("bottlenecks", CLI_FAIL, "%s", err);
    }
    if (q.json) {
        status = cli_print_json(json_bottlenecks, &b);
    } else if (!b.n) {
        printf("no timed operations in this window\n");
    } else {
        for (size_t i = 0; i < b.n; i++) {
            printf("%s%s\n", i ? "\n" : "", b.groups[i].tool);
            print_ops(&b.groups[i].ops);
        }
    }
    bottlenecks_free(&b);
    store_close(s);
    return status;
}

static void json_hotspots(struct jsonw *w, const void *arg)
{
    render_hotspots(w, arg);
}

int cmd_hotspots(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    long long limit = 20;
    const struct opt opts[] = {
        {"limit", OPT_LONG, &limit, "N", "top N targets (default 20)"}, QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("hotspots", "toolprof hotspots [--limit N] [--window W] [--json]",
                    "Where the time goes: (tool, target) pairs ranked by the total time they "
                    "consumed.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    if (limit < 1 || limit > TP_MAX_LIMIT) {
        store_close(s);
        return cli_error("hotspots", CLI_USAGE, "--limit must be 1 to %d", TP_MAX_LIMIT);
    }
    struct hotspots h;
    if (engine_hotspots(s, &eq, (size_t)limit, &h, err) != 0) {
        store_close(s);
        return cli_error("hotspots", CLI_FAIL, "%s", err);
    }
    if (q.json) {
        status = cli_print_json(json_hotspots, &h);
    } else if (!h.n) {
        printf("no operations in this window\n");
    } else {
        static const char *const heads[] = {"tool", ">calls", ">total",  ">share",
                                            ">avg", ">max",   ">failed", "target"};
        struct table t;
        table_init(&t, 8, heads);
        table_cap(&t, 7, 70);
        for (size_t i = 0; i < h.n; i++) {
            const struct hotspot *x = &h.items[i];
            char v[6][32];
            table_count(v[0], x->count);
            table_ms(v[1], x->total_ms);
            table_pct(v[2], x->share);
            table_ms(v[3], x->avg_ms);
            table_ms(v[4], x->max_ms);
            table_count(v[5], x->failed);
            const char *row[] = {x->tool, v[0], v[1], v[2], v[3], v[4], v[5], x->target};
            table_row(&t, row);
        }
        table_print(&t, stdout);
        table_free(&t);
    }
    hotspots_free(&h);
    store_close(s);
    return status;
}

/* ---- recommendations ------------------------------------------------------ */

static void json_recs(struct jsonw *w, const void *arg)
{
    render_recs(w, arg);
}

int cmd_recommend(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    const struct opt opts[] = {QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("recommend", "toolprof recommend [--window W] [--json]",
                    "What to change: rules over the window's calls (large reads without\n"
                    "offset/limit, repeated reads, slow Bash, shell commands that have a\n"
                    "dedicated tool, Grep without head_limit, regressions), with evidence and\n"
                    "the time and tokens each could save.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    struct recs r;
    if (analyzer_recommend(s, &eq, &r, err) != 0) {
        store_close(s);
        return cli_error("recommend", CLI_FAIL, "%s", err);
    }
    if (q.json) {
        status = cli_print_json(json_recs, &r);
    } else if (!r.n) {
        printf("no recommendations for this window\n");
    } else {
        for (size_t i = 0; i < r.n; i++) {
            const struct rec *x = &r.items[i];
            char t[32];
            printf("%s[%s] %s\n  %s\n  suggestion: %s\n", i ? "\n" : "",
                   rec_severity_name(x->severity), x->title, x->description, x->suggestion);
            if (x->impact_time_ms > 0 || x->impact_tokens) {
                table_ms(t, x->impact_time_ms);
                printf("  impact: %s, ~%llu tokens (estimated)\n",
                       x->impact_time_ms > 0 ? t : "no time", (unsigned long long)x->impact_tokens);
            }
            for (size_t k = 0; k < x->nevidence; k++) {
                const struct rec_evidence *e = &x->evidence[k];
                table_ms(t, e->duration_ms);
                printf("  - %s %s%s%s\n", e->tool, e->target ? e->target : "",
                       isnan(e->duration_ms) ? "" : "  ", isnan(e->duration_ms) ? "" : t);
            }
        }
    }
    recs_free(&r);
    store_close(s);
    return status;
}

/* ---- trends, resources, tools ------------------------------------------------- */

static void json_trends(struct jsonw *w, const void *arg)
{
    render_trends(w, arg);
}

int cmd_trends(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    long long days = 7;
    const struct opt opts[] = {
        {"days", OPT_LONG, &days, "N", "the last N local days (default 7)"}, QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    char err[TP_ERR_MAX];
    if (query_setup("trends", "toolprof trends [--days N] [--tool T] [--json]",
                    "Per local day: calls, average and p95 duration, slow calls. Every day is\n"
                    "listed, with zeros for days without calls.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    if (days < 1 || days > TP_MAX_TREND_DAYS) {
        store_close(s);
        return cli_error("trends", CLI_USAGE, "--days must be 1 to %d", TP_MAX_TREND_DAYS);
    }
    struct trends tr;
    if (engine_trends(s, &eq, (int)days, tpt_now_ms(), &tr, err) != 0) {
        store_close(s);
        return cli_error("trends", CLI_FAIL, "%s", err);
    }
    if (q.json) {
        status = cli_print_json(json_trends, &tr);
    } else {
        static const char *const heads[] = {"day", ">calls", ">avg", ">p95", ">slow"};
        struct table t;
        table_init(&t, 5, heads);
        for (size_t i = 0; i < tr.n; i++) {
            char v[4][32];
            table_count(v[0], tr.days[i].count);
            table_ms(v[1], tr.days[i].avg_ms);
            table_ms(v[2], tr.days[i].p95_ms);
            table_count(v[3], tr.days[i].slow);
            const char *row[] = {tr.days[i].label, v[0], v[1], v[2], v[3]};
            table_row(&t, row);
        }
        table_print(&t, stdout);
        table_free(&t);
    }
    trends_free(&tr);
    store_close(s);
    return status;
}

static void json_resources(struct jsonw *w, const void *arg)
{
    render_resources(w, arg);
}

int cmd_resources(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    const struct opt opts[] = {QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    if (query_setup("resources", "toolprof resources [--json]",
                    "Memory, CPU and threads of this process, database size and operations "
                    "stored.",
                    opts, argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    struct resources r;
    engine_resources(s, &r);
    if (q.json) {
        status = cli_print_json(json_resources, &r);
    } else {
        char ops[32];
        table_count(ops, (unsigned long long)r.operations);
        printf("operations stored  %s\ndatabase           %.1f MB (%s)\nmemory (RSS)       "
               "%.1f MB\ncpu                %.1f%%\nthreads            %d\n",
               ops, (double)r.db_bytes / 1e6, store_db_path(s), r.memory_mb, r.cpu_percent,
               r.num_threads);
        const struct spool_status *sp = &r.spool;
        printf("hook spool         %s, %lld bytes waiting\n",
               sp->drain_error ? "NOT DRAINING" : "ok", sp->pending_bytes);
        if (sp->drain_error)
            printf("  last drain       %s\n", sp->drain_message);
        if (sp->rejected_bytes > 0)
            printf("  set aside        %lld bytes in %s/%s\n", sp->rejected_bytes, store_dir(s),
                   SPOOL_REJECTS);
    }
    store_close(s);
    return status;
}

struct names {
    char **v;
    size_t n, alloc;
};

static int add_name(void *ctx, int64_t id, const char *name)
{
    (void)id;
    struct names *x = ctx;
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? x->alloc * 2 : 16;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
    }
    x->v[x->n++] = xstrdup(name);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void json_names(struct jsonw *w, const void *arg)
{
    const struct names *x = arg;
    jw_arr_begin(w);
    for (size_t i = 0; i < x->n; i++)
        jw_str(w, x->v[i]);
    jw_arr_end(w);
}

int cmd_tools(int argc, char **argv, const char *data_dir)
{
    struct qopts q = {0};
    const struct opt opts[] = {QUERY_OPTS(q), {0}};
    struct store *s;
    struct engine_query eq;
    int status;
    if (query_setup("tools", "toolprof tools [--json]", "Every tool name stored, sorted.", opts,
                    argc, argv, &q, data_dir, &s, &eq, &status) != 0)
        return status;
    struct names x = {0};
    store_tools(s, add_name, &x);
    if (x.n > 1)
        qsort(x.v, x.n, sizeof *x.v, cmp_str);
    if (q.json)
        status = cli_print_json(json_names, &x);
    else
        for (size_t i = 0; i < x.n; i++)
            printf("%s\n", x.v[i]);
    for (size_t i = 0; i < x.n; i++)
        free(x.v[i]);
    free(x.v);
    store_close(s);
    return status;
}
