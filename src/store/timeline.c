/*
 * timeline.c - turns, model requests and usage readings: lifetime and
 * validation (see timeline.h).
 */
#include "timeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

void turn_init(struct turn *t)
{
    memset(t, 0, sizeof *t);
    t->active_ms = NAN;
    t->source = OP_SRC_CLI;
}

void turn_clear(struct turn *t)
{
    free(t->session_id);
    turn_init(t);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void turn_copy(struct turn *dst, const struct turn *src)
{
    *dst = *src;
    dst->session_id = dup_or_null(src->session_id);
}

void request_copy(struct request *dst, const struct request *src)
{
    *dst = *src;
    dst->id = dup_or_null(src->id);
    dst->session_id = dup_or_null(src->session_id);
    dst->project = dup_or_null(src->project);
    dst->model = dup_or_null(src->model);
}

void request_init(struct request *r)
{
    memset(r, 0, sizeof *r);
    r->duration_ms = r->ttft_ms = r->cost_usd = NAN;
    r->input_tokens = r->output_tokens = r->cache_read_tokens = r->cache_write_tokens = -1;
    r->source = OP_SRC_CLI;
}

void request_clear(struct request *r)
{
    free(r->id);
    free(r->session_id);
    free(r->project);
    free(r->model);
    request_init(r);
}

static int check_time(int64_t ms, const char *name, int64_t now_ms, char *errbuf)
{
    if (ms < TP_MIN_TS_MS || ms > now_ms + TP_FUTURE_SLACK_MS)
        return tp_fail(errbuf, TP_EINVAL, "%s is outside 2000-01-01 .. now + 1 day", name);
    return 0;
}

static int check_ms(double *v, const char *name, char *errbuf)
{
    if (isnan(*v))
        return 0;
    if (!isfinite(*v) || *v < 0 || *v > TP_MAX_DURATION_MS)
        return tp_fail(errbuf, TP_EINVAL, "%s must be milliseconds in 0..%.0f", name,
                       TP_MAX_DURATION_MS);
    return 0;
}

int turn_normalize(struct turn *t, int64_t now_ms, char *errbuf)
{
    int rc;
    if (!t->session_id || !*t->session_id)
        return tp_fail(errbuf, TP_EINVAL, "turn without a session");
    if ((rc = op_check_str(&t->session_id, "session_id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = check_time(t->start_ms, "turn start", now_ms, errbuf)) != 0 ||
        (t->end_ms && (rc = check_time(t->end_ms, "turn end", now_ms, errbuf)) != 0) ||
        (rc = check_ms(&t->active_ms, "turn active_ms", errbuf)) != 0)
        return rc;
    if (t->end_ms && t->end_ms < t->start_ms)
        return tp_fail(errbuf, TP_EINVAL, "turn ends before it starts");
    if (t->end_ms && t->end_ms - t->start_ms > (int64_t)TP_MAX_DURATION_MS)
        return tp_fail(errbuf, TP_EINVAL, "turn longer than a week");
    return 0;
}

int request_normalize(struct request *r, int64_t now_ms, char *errbuf)
{
    int rc;
    if (!r->id || !*r->id)
        return tp_fail(errbuf, TP_EINVAL, "model request without an id");
    if ((rc = op_check_str(&r->id, "request id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&r->session_id, "session_id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&r->project, "project", TP_MAX_PROJECT, 1, errbuf)) != 0 ||
        (rc = op_check_str(&r->model, "model", TP_MAX_TOOL, 0, errbuf)) != 0 ||
        (rc = check_time(r->start_ms, "request start", now_ms, errbuf)) != 0 ||
        (rc = check_ms(&r->duration_ms, "request duration_ms", errbuf)) != 0 ||
        (rc = check_ms(&r->ttft_ms, "request ttft_ms", errbuf)) != 0)
        return rc;
    int64_t *tokens[] = {&r->input_tokens, &r->output_tokens, &r->cache_read_tokens,
                         &r->cache_write_tokens};
    for (size_t i = 0; i < 4; i++)
        if (*tokens[i] < -1 || *tokens[i] > 1000000000000LL)
            return tp_fail(errbuf, TP_EINVAL, "token counts must be in 0..1e12");
    if (!isnan(r->cost_usd) && (!isfinite(r->cost_usd) || r->cost_usd < 0 || r->cost_usd > 1e9))
        return tp_fail(errbuf, TP_EINVAL, "cost_usd must be a number in 0..1e9");
    if (r->exact > OP_EX_EXACT || r->src >= PHS_COUNT)
        return tp_fail(errbuf, TP_EINVAL, "request: unknown exactness or source");
    if (!isnan(r->duration_ms) && r->exact == OP_EX_UNKNOWN)
        r->exact = OP_EX_DERIVED;
    r->sidechain = r->sidechain != 0;
    /* An empty string says nothing. */
    char **opt[] = {&r->session_id, &r->project, &r->model};
    for (size_t i = 0; i < 3; i++)
        if (*opt[i] && !**opt[i]) {
            free(*opt[i]);
            *opt[i] = NULL;
        }
    return 0;
}

const char *usage_metric_name(enum usage_metric m)
{
    static const char *const names[USAGE_METRICS] = {
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd",
        "lines_added",  "lines_removed", "active_user_s",     "active_cli_s"};
    return (unsigned)m < USAGE_METRICS ? names[m] : "?";
}

void usage_init(struct usage *u)
{
    memset(u, 0, sizeof *u);
}

void usage_clear(struct usage *u)
{
    free(u->session_id);
    free(u->model);
    usage_init(u);
}

int usage_normalize(struct usage *u, int64_t now_ms, char *errbuf)
{
    int rc;
    if (!u->session_id || !*u->session_id)
        return tp_fail(errbuf, TP_EINVAL, "usage reading without a session");
    if ((unsigned)u->metric >= USAGE_METRICS)
        return tp_fail(errbuf, TP_EINVAL, "usage reading of an unknown metric");
    if ((rc = op_check_str(&u->session_id, "session_id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&u->model, "model", TP_MAX_TOOL, 0, errbuf)) != 0 ||
        (rc = check_time(u->time_ns / 1000000, "usage reading time", now_ms, errbuf)) != 0)
        return rc;
    if (!isfinite(u->value) || u->value < 0 || u->value > 1e12)
        return tp_fail(errbuf, TP_EINVAL, "%s must be a number in 0..1e12",
                       usage_metric_name(u->metric));
    if (u->start_ns == 0)
        u->start_ns = u->time_ns;
    if (u->start_ns < 0 || u->start_ns > u->time_ns)
        return tp_fail(errbuf, TP_EINVAL, "usage reading starts after its time");
    u->cumulative = u->cumulative != 0;
    if (u->model && !*u->model) {
        free(u->model);
        u->model = NULL;
    }
    return 0;
}
