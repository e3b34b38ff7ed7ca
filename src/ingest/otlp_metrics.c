/*
 * otlp_metrics.c - OTLP metrics as a session's usage: tokens by type and
 * model, cost, lines changed, active time (see otlp.h, timeline.h).
 *
 * Agents report what a session used as counters (Sums), not per call:
 * Claude Code's claude_code.token.usage (type input, output, cacheRead,
 * cacheCreation; model), cost.usage (USD; model), lines_of_code.count
 * (type added, removed) and active_time.total (seconds; type user, cli),
 * each with the session.id attribute; Gemini CLI's gemini_cli.token.usage
 * (type input, output, cache; model) likewise. Each point becomes one
 * reading (struct usage); a counter's stream is the metric with its exact
 * set of attributes and resource, so two processes, two models or two
 * query sources never add into one reading.
 *
 * Delta points (Claude Code's default) each add their value; cumulative
 * points carry the total since their start, and the store keeps the
 * latest per stream and start. Gauges and histograms, points without a
 * session (OTEL_METRICS_INCLUDE_SESSION_ID=false) and metrics toolprof does
 * not read are ignored; a Sum without a temporality, or a value that is not
 * a finite number >= 0, is refused.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/xmalloc.h"
#include "ingest/otlp_sink.h"

/* A metric toolprof reads, and which reading each value of its type
 * attribute is (NULL type: the metric itself, without a type). */
struct metric_map {
    const char *name; /* without the agent's prefix */
    const char *type;
    enum usage_metric m;
};
static const struct metric_map metrics[] = {
    {"token.usage", "input", USAGE_TOKENS_INPUT},
    {"token.usage", "output", USAGE_TOKENS_OUTPUT},
    {"token.usage", "cacheRead", USAGE_TOKENS_CACHE_READ},
    {"token.usage", "cache", USAGE_TOKENS_CACHE_READ}, /* Gemini CLI */
    {"token.usage", "cacheCreation", USAGE_TOKENS_CACHE_WRITE},
    {"cost.usage", NULL, USAGE_COST_USD},
    {"lines_of_code.count", "added", USAGE_LINES_ADDED},
    {"lines_of_code.count", "removed", USAGE_LINES_REMOVED},
    {"active_time.total", "user", USAGE_ACTIVE_USER_S},
    {"active_time.total", "cli", USAGE_ACTIVE_CLI_S},
};

static int lookup(const char *name, const char *type, enum usage_metric *out)
{
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
        const struct metric_map *x = &metrics[i];
        if (strcmp(x->name, name) != 0)
            continue;
        if (x->type ? type && strcmp(x->type, type) == 0 : 1) {
            *out = x->m;
            return 1;
        }
    }
    return 0;
}

/* One attribute's hash, independent of where it stands in its list. */
static uint64_t attr_hash(const struct otlp_attr *a)
{
    uint64_t h = hash_bytes(HASH_SEED, a->key, strlen(a->key) + 1);
    h = hash_bytes(h, &a->v.type, sizeof a->v.type);
    switch (a->v.type) {
    case OTLP_V_STR:
    case OTLP_V_BYTES:
    case OTLP_V_JSON: h = hash_bytes(h, a->v.s, strlen(a->v.s)); break;
    case OTLP_V_BOOL:
    case OTLP_V_INT: h = hash_bytes(h, &a->v.i, sizeof a->v.i); break;
    case OTLP_V_DOUBLE: h = hash_bytes(h, &a->v.d, sizeof a->v.d); break;
    case OTLP_V_NONE: break;
    }
    return hash_final(h);
}

/* The stream: the metric's name, its point's attributes and its
 * resource's, each set summed so that order does not matter. */
static uint64_t stream_of(const struct otlp_point *p)
{
    uint64_t pa = 0, ra = 0;
    for (size_t i = 0; i < p->attrs.n; i++)
        pa += attr_hash(&p->attrs.a[i]);
    for (size_t i = 0; p->res && i < p->res->attrs.n; i++)
        ra += attr_hash(&p->res->attrs.a[i]);
    uint64_t h = hash_bytes(HASH_SEED, p->metric, strlen(p->metric));
    h = hash_bytes(h, &pa, sizeof pa);
    h = hash_bytes(h, &ra, sizeof ra);
    return hash_final(h);
}

static const char *attr_or_resource(const struct otlp_point *p, const char *key)
{
    const char *v = otlp_attrs_str(&p->attrs, key);
    return v || !p->res ? v : otlp_attrs_str(&p->res->attrs, key);
}

enum { PT_USED, PT_IGNORED, PT_BAD };

static int map_point(const struct otlp_point *p, struct otlp_sink *k, char *err)
{
    enum usage_metric m;
    const char *name = otlp_short_name(p->metric);
    if (!name || p->kind != OTLP_M_SUM || !lookup(name, otlp_attrs_str(&p->attrs, "type"), &m))
        return PT_IGNORED;
    const char *session = attr_or_resource(p, "session.id");
    if (!session || !*session)
        return PT_IGNORED;
    if (p->temporality != 1 && p->temporality != 2) {
        snprintf(err, TP_ERR_MAX, "%s: a Sum without a temporality", p->metric);
        return PT_BAD;
    }
    if (p->time_ns == 0 || p->time_ns > (uint64_t)INT64_MAX || p->start_ns > p->time_ns) {
        snprintf(err, TP_ERR_MAX, "%s: no time, or a start after it", p->metric);
        return PT_BAD;
    }
    struct usage *u = otlp_sink_usage(k);
    u->session_id = xstrdup(session);
    const char *model = otlp_attrs_str(&p->attrs, "model");
    u->model = model ? xstrdup(model) : NULL;
    u->metric = m;
    u->stream = stream_of(p);
    u->start_ns = (int64_t)p->start_ns;
    u->time_ns = (int64_t)p->time_ns;
    u->cumulative = p->temporality == 2;
    u->value = p->value;
    if (isnan(p->value) || usage_normalize(u, k->now_ms, err) != 0) {
        if (isnan(p->value))
            snprintf(err, TP_ERR_MAX, "%s: a point without a value", p->metric);
        otlp_sink_unusage(k);
        return PT_BAD;
    }
    return PT_USED;
}

void otlp_map_metrics(const struct otlp_batch *b, struct otlp_sink *k)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < b->npoints; i++) {
        int r = map_point(&b->points[i], k, err);
        if (r == PT_USED)
            k->c->used++;
        else if (r == PT_IGNORED)
            k->c->ignored++;
        else
            otlp_sink_reject(k, "data point", i + 1, err);
    }
}
