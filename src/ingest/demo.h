/*
 * demo.h - a realistic synthetic history, for trying toolprof and for
 * benchmarks.
 *
 * `toolprof demo --ops N` fills a data directory with N tool calls spread
 * over the last --days days: sessions of tens to hundreds of calls in a few
 * projects during working hours, a tool mix and per-tool duration
 * distributions like those of real Claude Code use (log-normal bodies,
 * heavy Bash and Task tails), Read sizes with a few large files, repeated
 * reads, Grep with and without head_limit, shell commands that have a
 * dedicated tool, about 3 % failures, and tool_use_ids shaped like the real
 * ones. The same seed gives the same history.
 */
#ifndef TOOLPROF_DEMO_H
#define TOOLPROF_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

struct demo_opts {
    size_t ops;
    int days; /* spread over the last `days` days (>= 1) */
    uint64_t seed;
    int64_t now_ms; /* the history ends before this */
    size_t batch;   /* ops per transaction (0: 10,000) */
    FILE *progress; /* a progress line per batch, or NULL */
};

/* Generate and store. Returns 0 or a store error (errbuf filled). */
int demo_generate(struct store *s, const struct demo_opts *o, struct store_result *res,
                  char *errbuf);

/* The same generator without a store: call fn for each op in time order
 * (the op is only valid during the call). For benchmarks of other paths. */
int demo_each(const struct demo_opts *o, int (*fn)(void *ctx, struct op *op), void *ctx);

#endif
