/*
 * test_metrics.c - the Prometheus exposition from a real store.
 *
 * Operations go in through store_insert(), the text comes out of
 * metrics_render(); the checks read values back by series name. That the
 * text is valid for Prometheus is checked by promtool in the integration
 * tests; here the numbers and the invariants of classic histograms are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "server/metrics.h"
#include "store/store.h"

static char *met_dir;

static struct store *met_open(void)
{
    met_dir = fixture_tmpdir("metrics");
    struct store *s = fixture_store_open(met_dir);
    if (!s)
        abort();
    return s;
}

static void met_close(struct store *s)
{
    store_close(s);
    fixture_rm_rf(met_dir);
    free(met_dir);
    met_dir = NULL;
}

static void met_insert(struct store *s, const char *tool, double ms, int success, int i)
{
    char errbuf[TP_ERR_MAX], id[64];
    struct op op;
    op_init(&op);
    op_sets(&op.tool, tool);
    op.duration_ms = ms;
    op.success = success;
    op.ts_ms = tpt_now_ms() - 3600 * 1000 + i;
    snprintf(id, sizeof id, "toolu_metrics_%d", i);
    op_sets(&op.tool_use_id, id);
    op.source = OP_SRC_API;
    if (op_normalize(&op, tpt_now_ms(), errbuf) != 0 ||
        store_insert(s, &op, 1, NULL, NULL, errbuf) != 0) {
        fprintf(stderr, "insert: %s\n", errbuf);
        abort();
    }
    op_clear(&op);
}

/* The value of the series written exactly as `series`, or -1. */
static double met_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    return -1;
}

static char *met_render(struct store *s)
{
    struct buf b;
    char errbuf[TP_ERR_MAX];
    buf_init(&b, TP_MAX_RESPONSE);
    if (metrics_render(s, tpt_now_ms(), &b, errbuf) != 0) {
        fprintf(stderr, "metrics_render: %s\n", errbuf);
        abort();
    }
    return buf_steal(&b, NULL);
}

static void test_values(void)
{
    struct store *s = met_open();
    met_insert(s, "Read", 150.5, 1, 1);
    met_insert(s, "Read", 3500, 1, 2);
    met_insert(s, "Bash", 5500, 1, 3);
    met_insert(s, "Bash", 12, 0, 4);
    met_insert(s, "Bash", 0.0001, 1, 5); /* the sketch's zero bin */
    char *t = met_render(s);

    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_calls_total{tool=\"Read\"}"), 2, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_calls_total{tool=\"Bash\"}"), 3, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_slow_calls_total{tool=\"Read\"}"), 1, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_critical_calls_total{tool=\"Bash\"}"), 1, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_failed_calls_total{tool=\"Bash\"}"), 1, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_operations_stored"), 5, 0);

    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_bucket{tool=\"Bash\",le=\"0.005\"}"),
                  1, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_bucket{tool=\"Bash\",le=\"0.025\"}"),
                  2, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_bucket{tool=\"Bash\",le=\"5\"}"), 2,
                  0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_bucket{tool=\"Bash\",le=\"10\"}"), 3,
                  0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_bucket{tool=\"Bash\",le=\"+Inf\"}"),
                  3, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_count{tool=\"Bash\"}"), 3, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_sum{tool=\"Read\"}"), 3.6505, 1e-9);
    ASSERT_CONTAINS(t, "# TYPE toolprof_tool_duration_seconds histogram\n");
    ASSERT_CONTAINS(t, "# TYPE toolprof_tool_calls_total counter\n");
    ASSERT_CONTAINS(t, "# TYPE process_cpu_seconds_total counter\n");
    free(t);
    met_close(s);
}

/* Buckets are cumulative and end at the count. */
static void test_histogram_monotonic(void)
{
    struct store *s = met_open();
    for (int i = 0; i < 200; i++)
        met_insert(s, "Grep", 0.5 * (i * i % 1000) + i * 37.0, 1, i);
    char *t = met_render(s);
    double prev = 0, last = -1;
    const char *p = t;
    while ((p = strstr(p, "toolprof_tool_duration_seconds_bucket{tool=\"Grep\""))) {
        const char *sp = strchr(p, ' ');
        double v = strtod(sp + 1, NULL);
        ASSERT_TRUE(v >= prev);
        prev = last = v;
        p = sp;
    }
    ASSERT_EQ_DBL(last, 200, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_duration_seconds_count{tool=\"Grep\"}"), 200, 0);
    free(t);
    met_close(s);
}

static void test_label_cap(void)
{
    struct store *s = met_open();
    char name[32];
    for (int i = 0; i < TP_MAX_METRIC_TOOLS + 10; i++) {
        snprintf(name, sizeof name, "mcp__t__%03d", i);
        /* Earlier tools get more calls, so the last ten are folded. */
        for (int k = 0; k < (i < TP_MAX_METRIC_TOOLS ? 2 : 1); k++)
            met_insert(s, name, 10, 1, i * 10 + k);
    }
    met_insert(s, "other", 10, 1, 99999); /* a tool named "other" folds too */
    char *t = met_render(s);
    int labels = 0;
    for (const char *p = t; (p = strstr(p, "\ntoolprof_tool_calls_total{")); p++)
        labels++;
    ASSERT_EQ_INT(labels, TP_MAX_METRIC_TOOLS + 1);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_calls_total{tool=\"other\"}"), 11, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_calls_total{tool=\"mcp__t__000\"}"), 2, 0);
    ASSERT_EQ_DBL(met_value(t, "toolprof_tool_calls_total{tool=\"mcp__t__055\"}"), -1, 0);
    free(t);
    met_close(s);
}

static void test_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    metrics_escape_label(&b, "a\"b\\c\nd");
    ASSERT_STREQ(b.data, "a\\\"b\\\\c\\nd");
    buf_free(&b);
}

static void test_empty(void)
{
    struct store *s = met_open();
    char *t = met_render(s);
    ASSERT_EQ_DBL(met_value(t, "toolprof_operations_stored"), 0, 0);
    ASSERT_CONTAINS(t, "# TYPE toolprof_tool_calls_total counter\n");
    free(t);
    met_close(s);
}

TEST_MAIN(TEST_CASE(test_values), TEST_CASE(test_histogram_monotonic), TEST_CASE(test_label_cap),
          TEST_CASE(test_escape), TEST_CASE(test_empty))
