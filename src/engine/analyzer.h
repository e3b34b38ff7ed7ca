/*
 * analyzer.h - recommendations: fixed rules over the rollups.
 *
 * Each rule of the original dashboard's BottleneckAnalyzer is here, with
 * its faults fixed (see analyzer.c): rules read rollup counters, so they
 * cover the whole window rather than the newest 100 slow calls; shell
 * commands are matched by command word; repeated reads are counted per
 * session; every recommendation carries evidence (a few real calls) and an
 * impact estimate (time and tokens that could be saved).
 */
#ifndef TOOLPROF_ANALYZER_H
#define TOOLPROF_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

enum rec_severity { REC_CRITICAL = 0, REC_HIGH = 1, REC_MEDIUM = 2, REC_LOW = 3 };

struct rec_evidence {
    char *tool, *target, *tool_use_id, *session_id;
    uint64_t count;     /* e.g. reads of this file in this session */
    double duration_ms; /* NAN when not applicable */
};

struct rec {
    const char *rule; /* stable id: "large-read", "slow-bash", ... */
    const char *type; /* optimization | warning | info */
    enum rec_severity severity;
    char *title, *description, *suggestion, *example;
    struct rec_evidence *evidence;
    size_t nevidence;
    double impact_time_ms;  /* time that could be saved (0 when none) */
    uint64_t impact_tokens; /* estimated tokens that could be saved */
};

struct recs {
    struct rec *items;
    size_t n;
};

const char *rec_severity_name(enum rec_severity s);

/* Run every rule over the query's window. Sorted by severity, then rule
 * order (stable). */
int analyzer_recommend(struct store *s, const struct engine_query *q, struct recs *out,
                       char *errbuf);
void recs_free(struct recs *r);

#endif
