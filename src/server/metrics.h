/*
 * metrics.h - GET /metrics: the store's totals for Prometheus.
 *
 * Text exposition format 0.0.4, so that every scraper reads it:
 *
 *   toolprof_tool_duration_seconds        classic histogram per tool, fixed
 *                                         cumulative `le` buckets (5 ms to
 *                                         10 min), built from the rollups'
 *                                         sketches (1 % relative error on
 *                                         where a value falls)
 *   toolprof_tool_calls_total             counters per tool; slow_, critical_
 *   toolprof_tool_{slow,critical,failed}_calls_total   and failed_ likewise
 *   toolprof_operations_stored            gauge
 *   toolprof_database_size_bytes          gauge
 *   process_*                             the usual process gauges/counter
 *
 * Values are all-time totals of what is stored (a counter restarts only if
 * retention prunes). Tool names are open-ended (mcp__server__tool), so at
 * most TP_MAX_METRIC_TOOLS (limits.h) label values are written, the busiest ones; the
 * rest are summed under tool="other".
 */
#ifndef TOOLPROF_METRICS_H
#define TOOLPROF_METRICS_H

#include <stdint.h>

#include "core/buf.h"
#include "core/limits.h"
#include "store/store.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the exposition to out. Returns 0, or an error code (TP_EBUSY,
 * TP_EDB, TP_ETOOBIG) with errbuf filled. */
int metrics_render(struct store *s, int64_t now_ms, struct buf *out, char *errbuf);

/* Write s[0..n) escaped as a Prometheus label value (\\, \", \n). */
void metrics_escape_label(struct buf *out, const char *s);

#endif
