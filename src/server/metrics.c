/*
 * metrics.c - the Prometheus exposition.
 *
 * The numbers come from one engine_collect() over everything stored, which
 * merges the rollups into one aggregate per tool; nothing here reads raw
 * rows. Histogram buckets come from each tool's sketch (sketch_histogram):
 * a call lands in the bucket of its bin's representative, and the bucket
 * counts add up exactly to the sketch's count (the +Inf bucket and _count
 * agree, as Prometheus requires).
 *
 * Tools are ranked by call count and the first TP_MAX_METRIC_TOOLS keep
 * their own label; the rest (and a tool literally named "other") are merged
 * into tool="other", so a flood of MCP tool names cannot blow up the
 * scraper's series count. Label sets are written in tool-name order so the
 * output is stable from one scrape to the next.
 *
 * The process metrics use the names of Prometheus' client libraries
 * (process_cpu_seconds_total and friends), read from /proc.
 */
#include "server/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/procstat.h"
#include "core/xmalloc.h"
#include "engine/engine.h"

/* Bucket upper bounds, in seconds, as written in `le` and in ms. */
static const char *const bucket_le[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                        "0.5",   "1",    "2.5",   "5",    "10",  "30",
                                        "60",    "120",  "300",   "600"};
static const double bucket_ms[] = {5,    10,   25,    50,    100,   250,    500,    1000,
                                   2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000};
#define NBUCKETS (sizeof bucket_ms / sizeof bucket_ms[0])

struct tool_row {
    const char *name; /* store-owned, or "other" */
    struct agg *a;
};

void metrics_escape_label(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_adds(out, "\\\\");
        else if (*s == '"')
            buf_adds(out, "\\\"");
        else if (*s == '\n')
            buf_adds(out, "\\n");
        else
            buf_addc(out, *s);
    }
}

static void put_num(struct buf *out, double v)
{
    char num[32];
    jw_format_double(num, v);
    buf_adds(out, num);
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void series_tool(struct buf *out, const char *name, const char *tool)
{
    buf_printf(out, "%s{tool=\"", name);
    metrics_escape_label(out, tool);
    buf_adds(out, "\"}");
}

static void histogram(struct buf *out, const struct tool_row *rows, size_t n)
{
    static const char name[] = "toolprof_tool_duration_seconds";
    family(out, name, "histogram", "Duration of agent tool calls (all stored calls).");
    for (size_t i = 0; i < n; i++) {
        uint64_t counts[NBUCKETS + 1] = {0};
        sketch_histogram(&rows[i].a->sk, bucket_ms, NBUCKETS, counts);
        uint64_t cum = 0;
        for (size_t b = 0; b <= NBUCKETS; b++) {
            cum += counts[b];
            buf_printf(out, "%s_bucket{tool=\"", name);
            metrics_escape_label(out, rows[i].name);
            buf_printf(out, "\",le=\"%s\"} %llu\n", b < NBUCKETS ? bucket_le[b] : "+Inf",
                       (unsigned long long)cum);
        }
        series_tool(out, "toolprof_tool_duration_seconds_sum", rows[i].name);
        buf_addc(out, ' ');
        put_num(out, rows[i].a->n_timed ? rows[i].a->sum_ms / 1000.0 : 0.0);
        buf_addc(out, '\n');
        series_tool(out, "toolprof_tool_duration_seconds_count", rows[i].name);
        buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
}

enum counter_field { C_CALLS, C_SLOW, C_CRITICAL, C_FAILED };

static void counter(struct buf *out, const struct tool_row *rows, size_t n, const char *name,
                    enum counter_field f, const char *help)
{
    family(out, name, "counter", help);
    for (size_t i = 0; i < n; i++) {
        const struct agg *a = rows[i].a;
        uint64_t v = f == C_CALLS      ? a->n
                     : f == C_SLOW     ? a->slow
                     : f == C_CRITICAL ? a->critical
                                       : a->failed;
        series_tool(out, name, rows[i].name);
        buf_printf(out, " %llu\n", (unsigned long long)v);
    }
}

static void gauge(struct buf *out, const char *name, const char *type, const char *help, double v)
{
    family(out, name, type, help);
    buf_printf(out, "%s ", name);
    put_num(out, v);
    buf_addc(out, '\n');
}

static int cmp_calls_desc(const void *x, const void *y)
{
    const struct tool_row *a = x, *b = y;
    if (a->a->n != b->a->n)
        return a->a->n > b->a->n ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_name(const void *x, const void *y)
{
    const struct tool_row *a = x, *b = y;
    return strcmp(a->name, b->name);
}

int metrics_render(struct store *s, int64_t now_ms, struct buf *out, char *errbuf)
{
    int64_t *ids = NULL;
    struct agg *aggs = NULL, other;
    size_t n = 0;
    struct tool_row *rows = NULL;
    struct engine_query q;
    memset(&q, 0, sizeof q);
    agg_init(&other);

    int rc = engine_window_parse("all", NULL, NULL, now_ms, &q.w, errbuf);
    if (rc != 0)
        goto cleanup;
    rc = engine_collect(s, &q, q.w.since_ms, q.w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc != 0)
        goto cleanup;

    /* Rank, keep the busiest, fold the rest into "other". */
    rows = xcalloc(n + 1, sizeof *rows);
    size_t nrows = 0;
    int have_other = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = store_str(s, ids[i]);
        if (!name || strcmp(name, "other") == 0) {
            agg_merge(&other, &aggs[i]);
            have_other = 1;
            continue;
        }
        rows[nrows].name = name;
        rows[nrows].a = &aggs[i];
        nrows++;
    }
    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, cmp_calls_desc);
    if (nrows > TP_MAX_METRIC_TOOLS) {
        for (size_t i = TP_MAX_METRIC_TOOLS; i < nrows; i++)
            agg_merge(&other, rows[i].a);
        nrows = TP_MAX_METRIC_TOOLS;
        have_other = 1;
    }
    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, cmp_name);
    if (have_other) {
        rows[nrows].name = "other";
        rows[nrows].a = &other;
        nrows++;
    }

    histogram(out, rows, nrows);
    counter(out, rows, nrows, "toolprof_tool_calls_total", C_CALLS, "Agent tool calls stored.");
    counter(out, rows, nrows, "toolprof_tool_slow_calls_total", C_SLOW,
            "Tool calls that took 2 s or more.");
    counter(out, rows, nrows, "toolprof_tool_critical_calls_total", C_CRITICAL,
            "Tool calls that took 5 s or more.");
    counter(out, rows, nrows, "toolprof_tool_failed_calls_total", C_FAILED,
            "Tool calls that failed.");

    struct store_info info;
    rc = store_info(s, &info);
    if (rc != 0) {
        tp_fail(errbuf, rc, "database: cannot read its size");
        goto cleanup;
    }
    gauge(out, "toolprof_operations_stored", "gauge", "Operations in the database.",
          (double)info.operations);
    gauge(out, "toolprof_database_size_bytes", "gauge", "Size of the database and its WAL.",
          (double)info.db_bytes);

    struct procstat pf;
    procstat_read(&pf);
    gauge(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent.", pf.cpu_s);
    gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size.", pf.rss_bytes);
    gauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size.", pf.vsize_bytes);
    gauge(out, "process_start_time_seconds", "gauge", "Start time since the Unix epoch.",
          pf.start_s);
    gauge(out, "process_open_fds", "gauge", "Open file descriptors.", (double)pf.open_fds);
    if (pf.max_fds > 0)
        gauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
              (double)pf.max_fds);

    if (out->toobig)
        rc = tp_fail(errbuf, TP_ETOOBIG, "metrics: the answer is over its cap");

cleanup:
    agg_free(&other);
    for (size_t i = 0; i < n; i++)
        agg_free(&aggs[i]);
    free(aggs);
    free(ids);
    free(rows);
    return rc;
}
