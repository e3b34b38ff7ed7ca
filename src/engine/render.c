/*
 * render.c - engine answers as JSON (see render.h).
 *
 * Key names follow the original dashboard's API where it had them
 * (total_operations, avg_duration_ms, ..., labels/avg_durations), so that
 * its clients keep working; what is new uses the same style. docs/api.md
 * documents every object written here.
 */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "compare.h"
#include "core/tptime.h"
#include "store/opjson.h"

void render_op(struct jsonw *w, const struct op *op, unsigned sources)
{
    opjson_write(w, op, sources);
}

void render_op_list(struct jsonw *w, const struct op_list *l)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < l->n; i++)
        render_op(w, &l->items[i].op, l->items[i].sources);
    jw_arr_end(w);
}

void render_window(struct jsonw *w, const struct engine_window *win)
{
    char since[32], until[32];
    tpt_format_utc(win->since_ms, since);
    tpt_format_utc(win->until_ms, until);
    jw_obj_begin(w);
    jw_kstr(w, "name", win->name);
    jw_kstr(w, "since", since);
    jw_kstr(w, "until", until);
    jw_kint(w, "since_ms", win->since_ms);
    jw_kint(w, "until_ms", win->until_ms);
    jw_obj_end(w);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole * 100.0 : 0.0;
}

/* A tools_breakdown member: the row's name, and for a tool of an agent
 * other than the default its agent (two agents' tools of one name stay
 * two members, as engine_tool_label writes them). */
static void render_breakdown_key(struct jsonw *w, const struct tool_stats *t, long long count)
{
    if (t->agent && t->canonical && strcmp(t->agent, OP_AGENT_DEFAULT) != 0) {
        char key[TP_MAX_TOOL + 48];
        snprintf(key, sizeof key, "%s (%s)", t->tool, t->agent);
        jw_kint(w, key, count);
    } else {
        jw_kint(w, t->tool, count);
    }
}

/* tools_breakdown in the original's order: by count, largest first (ties
 * by name), which is what a doughnut chart wants. */
static void render_breakdown(struct jsonw *w, const struct stats *st)
{
    size_t n = st->ntools;
    const struct tool_stats **v = n ? (const struct tool_stats **)calloc(n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = &st->tools[i];
    for (size_t i = 1; i < n; i++) { /* insertion sort: tool lists are short */
        const struct tool_stats *x = v[i];
        size_t j = i;
        while (j > 0 && (v[j - 1]->count < x->count ||
                         (v[j - 1]->count == x->count && strcmp(v[j - 1]->tool, x->tool) > 0))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    jw_key(w, "tools_breakdown");
    jw_obj_begin(w);
    for (size_t i = 0; i < n; i++)
        render_breakdown_key(w, v[i], (long long)v[i]->count);
    jw_obj_end(w);
    free(v);
}

/* Where the time of a set of calls went, beside their execution. */
static void render_phase_totals(struct jsonw *w, const struct phase_totals *p)
{
    jw_kint(w, "calls_asked", (long long)p->asked);
    jw_knum(w, "approval_wait_ms", p->wait_ms);
    jw_kint(w, "calls_with_wait", (long long)p->n_wait);
    jw_knum(w, "hook_ms", p->hook_ms);
    jw_kint(w, "calls_with_hook_time", (long long)p->n_hook);
    /* Wall time of calls whose execution is unknown: it may include an
     * approval, so it is in no latency figure. */
    jw_kint(w, "calls_unsplit", (long long)p->n_unsplit);
    jw_knum(w, "unsplit_wall_ms", p->unsplit_ms);
}

void render_stats(struct jsonw *w, const struct stats *st, const struct trends *tr,
                  const struct resources *res)
{
    jw_obj_begin(w);
    jw_key(w, "window");
    render_window(w, &st->w);
    jw_kint(w, "total_operations", (long long)st->total);
    jw_kint(w, "timed_operations", (long long)st->timed);
    jw_knum(w, "avg_duration_ms", st->avg_ms);
    jw_knum(w, "median_duration_ms", st->median_ms);
    jw_knum(w, "p95_duration_ms", st->p95_ms);
    jw_knum(w, "p99_duration_ms", st->p99_ms);
    jw_kint(w, "slow_operations_count", (long long)st->slow);
    jw_kint(w, "critical_operations_count", (long long)st->critical);
    render_breakdown(w, st);
    /* The original reports 100 % success for an empty window. */
    jw_knum(w, "success_rate", st->total ? pct(st->total - st->failed, st->total) : 100.0);
    jw_knum(w, "optimization_rate", pct(st->optimized, st->total));
    /* The rate that means something: over the calls whose tool has an
     * option to use (catalog_has_option), with its denominator. */
    jw_key(w, "optimization");
    jw_obj_begin(w);
    jw_knum(w, "rate", st->with_option ? pct(st->used_option, st->with_option) : NAN);
    jw_kint(w, "used", (long long)st->used_option);
    jw_kint(w, "eligible", (long long)st->with_option);
    jw_obj_end(w);
    jw_knum(w, "total_duration_ms", st->total_ms);
    jw_kstr(w, "percentile_method", st->exact ? "exact" : "sketch");
    jw_key(w, "phases");
    jw_obj_begin(w);
    jw_knum(w, "execution_ms", st->total_ms);
    render_phase_totals(w, &st->ph);
    jw_obj_end(w);
    jw_key(w, "tools");
    jw_arr_begin(w);
    for (size_t i = 0; i < st->ntools; i++) {
        const struct tool_stats *t = &st->tools[i];
        jw_obj_begin(w);
        jw_kstr(w, "tool", t->tool);
        if (t->agent)
            jw_kstr(w, "agent", t->agent);
        if (t->canonical)
            jw_kstr(w, "canonical", t->canonical);
        jw_kint(w, "count", (long long)t->count);
        jw_kint(w, "timed", (long long)t->timed);
        /* A tool whose calls all lack a duration (old hook payloads) has
         * no latency: null, not 0. */
        double none = NAN;
        jw_knum(w, "avg_ms", t->timed ? t->avg_ms : none);
        jw_knum(w, "p50_ms", t->timed ? t->p50_ms : none);
        jw_knum(w, "p95_ms", t->timed ? t->p95_ms : none);
        jw_knum(w, "p99_ms", t->timed ? t->p99_ms : none);
        jw_knum(w, "max_ms", t->timed ? t->max_ms : none);
        jw_knum(w, "total_ms", t->total_ms);
        jw_knum(w, "failure_rate", pct(t->failed, t->count));
        jw_kint(w, "slow", (long long)t->slow);
        jw_kint(w, "critical", (long long)t->critical);
        jw_kint(w, "failed", (long long)t->failed);
        jw_knum(w, "optimization_rate", pct(t->optimized, t->count));
        jw_kint(w, "with_option", (long long)t->with_option);
        jw_kint(w, "used_option", (long long)t->used_option);
        jw_knum(w, "option_rate", t->with_option ? pct(t->used_option, t->with_option) : NAN);
        render_phase_totals(w, &t->ph);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    if (tr) {
        jw_key(w, "trend_labels");
        jw_arr_begin(w);
        for (size_t i = 0; i < tr->n; i++)
            jw_str(w, tr->days[i].label);
        jw_arr_end(w);
        jw_key(w, "trend_values");
        jw_arr_begin(w);
        for (size_t i = 0; i < tr->n; i++)
            jw_num(w, tr->days[i].timed ? round(tr->days[i].avg_ms * 10) / 10 : NAN);
        jw_arr_end(w);
    }
    /* An empty window says where the data is: the filters' newest call and
     * the shortest named window that holds it. */
    if (st->total == 0) {
        jw_key(w, "empty");
        jw_obj_begin(w);
        if (st->newest_ms) {
            char ts[32];
            tpt_format_utc(st->newest_ms, ts);
            jw_kstr(w, "newest_call", ts);
            jw_kint(w, "newest_call_ms", st->newest_ms);
            jw_kstr(w, "suggested_window",
                    catalog_window_for(st->newest_ms,
                                       st->w.open_end ? st->w.until_ms - 1 : st->w.until_ms));
        } else {
            jw_knull(w, "newest_call");
            jw_knull(w, "newest_call_ms");
            jw_knull(w, "suggested_window");
        }
        jw_obj_end(w);
    } else {
        jw_knull(w, "empty");
    }
    if (res) {
        jw_key(w, "resource_usage");
        render_resources(w, res);
    }
    jw_obj_end(w);
}

void render_bottlenecks(struct jsonw *w, const struct bottlenecks *b)
{
    jw_obj_begin(w);
    for (size_t i = 0; i < b->n; i++) {
        jw_key(w, b->groups[i].tool);
        render_op_list(w, &b->groups[i].ops);
    }
    jw_obj_end(w);
}

void render_hotspots(struct jsonw *w, const struct hotspots *h)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < h->n; i++) {
        const struct hotspot *x = &h->items[i];
        jw_obj_begin(w);
        jw_kstr(w, "tool", x->tool);
        jw_kstr(w, "agent", x->agent);
        jw_kstr(w, "target", x->target);
        jw_kint(w, "count", (long long)x->count);
        jw_kint(w, "failed", (long long)x->failed);
        jw_knum(w, "total_ms", x->total_ms);
        jw_knum(w, "avg_ms", x->timed ? x->avg_ms : NAN);
        jw_knum(w, "max_ms", x->timed ? x->max_ms : NAN);
        jw_knum(w, "share", x->share);
        jw_kint(w, "calls_asked", (long long)x->asked);
        jw_knum(w, "approval_wait_ms", x->wait_ms);
        jw_kint(w, "calls_unsplit", (long long)x->unsplit);
        jw_knum(w, "unsplit_wall_ms", x->unsplit_ms);
        jw_kstr(w, "project", x->project);
        /* Its slowest call: a link to that moment of its session. */
        jw_key(w, "slowest_call");
        if (x->example_call) {
            char ts[32];
            tpt_format_utc(x->example_ms, ts);
            jw_obj_begin(w);
            jw_kstr(w, "tool_use_id", x->example_call);
            jw_kstr(w, "session_id", x->example_session);
            jw_kstr(w, "timestamp", ts);
            jw_kint(w, "timestamp_ms", x->example_ms);
            jw_knum(w, "duration_ms", x->example_duration_ms);
            jw_obj_end(w);
        } else {
            jw_null(w);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void render_trends(struct jsonw *w, const struct trends *t)
{
    jw_obj_begin(w);
    jw_key(w, "labels");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_str(w, t->days[i].label);
    jw_arr_end(w);
    jw_kstr(w, "step", t->step ? t->step : "day");
    jw_key(w, "starts_ms");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_int(w, t->days[i].start_ms);
    jw_arr_end(w);
    /* Rounded to 0.1 ms like the original's round(x, 1); a point without a
     * timed call has no average or p95 (null: a gap, never 0 ms). */
    jw_key(w, "avg_durations");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_num(w, t->days[i].timed ? round(t->days[i].avg_ms * 10) / 10 : NAN);
    jw_arr_end(w);
    jw_key(w, "p95_durations");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_num(w, t->days[i].timed ? round(t->days[i].p95_ms * 10) / 10 : NAN);
    jw_arr_end(w);
    jw_key(w, "operation_counts");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_int(w, (long long)t->days[i].count);
    jw_arr_end(w);
    jw_key(w, "slow_op_counts");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->n; i++)
        jw_int(w, (long long)t->days[i].slow);
    jw_arr_end(w);
    jw_obj_end(w);
}

void render_spool(struct jsonw *w, const char *key, const struct spool_status *sp)
{
    char ts[48];
    jw_key(w, key);
    jw_obj_begin(w);
    jw_kbool(w, "ok", sp->drain_error == 0);
    jw_kint(w, "pending_bytes", sp->pending_bytes);
    jw_kint(w, "waiting_files", sp->waiting_files);
    jw_kint(w, "rejected_bytes", sp->rejected_bytes);
    if (sp->drain_error) {
        tpt_format_local(sp->failing_since_ms, ts);
        jw_kstr(w, "drain_error", sp->drain_message);
        jw_kstr(w, "failing_since", ts);
    } else {
        jw_knull(w, "drain_error");
        jw_knull(w, "failing_since");
    }
    jw_obj_end(w);
}

void render_resources(struct jsonw *w, const struct resources *r)
{
    char ts[48];
    tpt_format_local(r->now_ms, ts);
    jw_obj_begin(w);
    jw_knum(w, "memory_mb", r->memory_mb);
    jw_knum(w, "cpu_percent", r->cpu_percent);
    jw_kint(w, "num_threads", r->num_threads);
    jw_kint(w, "pid", r->pid);
    jw_knum(w, "uptime_s", r->uptime_s);
    jw_kint(w, "db_bytes", r->db_bytes);
    jw_kint(w, "operations_stored", r->operations);
    jw_kstr(w, "timestamp", ts);
    render_spool(w, "spool", &r->spool);
    jw_kstr(w, "store", r->store);
    jw_kbool(w, "team_store", r->team_store);
    jw_obj_end(w);
}

void render_recs(struct jsonw *w, const struct recs *r)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < r->n; i++) {
        const struct rec *x = &r->items[i];
        jw_obj_begin(w);
        jw_kstr(w, "rule", x->rule);
        jw_kstr(w, "type", x->type);
        jw_kstr(w, "severity", rec_severity_name(x->severity));
        jw_kstr(w, "title", x->title);
        jw_kstr(w, "description", x->description);
        jw_kstr(w, "suggestion", x->suggestion);
        jw_kstr(w, "example", x->example ? x->example : "");
        jw_key(w, "evidence");
        jw_arr_begin(w);
        for (size_t k = 0; k < x->nevidence; k++) {
            const struct rec_evidence *e = &x->evidence[k];
            jw_obj_begin(w);
            jw_kstr(w, "tool", e->tool);
            jw_kstr(w, "target", e->target);
            jw_kint(w, "count", (long long)e->count);
            if (isnan(e->duration_ms))
                jw_knull(w, "duration_ms");
            else
                jw_knum(w, "duration_ms", e->duration_ms);
            jw_kstr(w, "tool_use_id", e->tool_use_id);
            jw_kstr(w, "session_id", e->session_id);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_key(w, "impact");
        jw_obj_begin(w);
        jw_knum(w, "time_ms", x->impact_time_ms);
        jw_kint(w, "tokens", (long long)x->impact_tokens);
        jw_obj_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void render_name_list(struct jsonw *w, const struct name_list *l)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < l->n; i++)
        jw_str(w, l->names[i]);
    jw_arr_end(w);
}

/* ---- sessions ------------------------------------------------------------------ */

static void render_opt_int(struct jsonw *w, const char *key, int64_t v)
{
    if (v >= 0)
        jw_kint(w, key, v);
    else
        jw_knull(w, key);
}

static void render_time(struct jsonw *w, const char *key, int64_t ms)
{
    char ts[32];
    tpt_format_utc(ms, ts);
    jw_kstr(w, key, ts);
}

static void render_split(struct jsonw *w, const struct session_split *sp)
{
    jw_key(w, "time");
    jw_obj_begin(w);
    jw_knum(w, "wall_ms", sp->wall_ms);
    for (int p = 0; p < SPLIT_PARTS; p++) {
        char key[32];
        snprintf(key, sizeof key, "%s_ms", split_part_name((enum split_part)p));
        jw_knum(w, key, sp->ms[p]);
    }
    /* on the clock, the parts add up to wall_ms; from sums, parallel calls
     * each count (idle is then what is left, at least 0). */
    jw_kstr(w, "method", sp->on_clock ? "clock" : "sums");
    jw_obj_end(w);
}

static void render_usage_values(struct jsonw *w, const double *v)
{
    for (int k = 0; k < USAGE_METRICS; k++)
        if (!isnan(v[k]))
            jw_knum(w, usage_metric_name((enum usage_metric)k), v[k]);
}

/* "usage": what the agent's counters say (null without any reading):
 * totals, and per model. */
static void render_usage(struct jsonw *w, const struct session_item *it)
{
    jw_key(w, "usage");
    if (!it->nusage_models) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    render_usage_values(w, it->usage);
    jw_key(w, "by_model");
    jw_arr_begin(w);
    for (size_t i = 0; i < it->nusage_models; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "model", it->usage_models[i].model);
        render_usage_values(w, it->usage_models[i].v);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

static void render_session_item(struct jsonw *w, const struct session_item *it)
{
    jw_obj_begin(w);
    jw_kstr(w, "id", it->id);
    jw_kstr(w, "project", it->project);
    jw_kstr(w, "agent", it->agent);
    render_time(w, "start", it->first_ms);
    render_time(w, "end", it->last_ms);
    jw_kint(w, "start_ms", it->first_ms);
    jw_kint(w, "end_ms", it->last_ms);
    jw_kint(w, "calls", (long long)it->calls);
    jw_kint(w, "failed", (long long)it->failed);
    jw_kint(w, "subagent_calls", (long long)it->sub_calls);
    jw_kint(w, "calls_asked", (long long)it->asked);
    jw_kint(w, "requests", (long long)it->requests);
    jw_kint(w, "turns", (long long)it->turns);
    jw_key(w, "tokens");
    jw_obj_begin(w);
    render_opt_int(w, "input", it->input_tokens);
    render_opt_int(w, "output", it->output_tokens);
    render_opt_int(w, "cache_read", it->cache_read_tokens);
    render_opt_int(w, "cache_write", it->cache_write_tokens);
    jw_obj_end(w);
    jw_knum(w, "cost_usd", it->cost_usd);
    jw_kstr(w, "tokens_from", it->tokens_from);
    render_usage(w, it);
    render_split(w, &it->split);
    jw_obj_end(w);
}

void render_sessions(struct jsonw *w, const struct sessions *x)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < x->n; i++)
        render_session_item(w, &x->items[i]);
    jw_arr_end(w);
}

void render_session(struct jsonw *w, const struct session_detail *d)
{
    jw_obj_begin(w);
    jw_key(w, "session");
    render_session_item(w, &d->s);
    jw_key(w, "lanes");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->nlanes; i++) {
        jw_obj_begin(w);
        jw_kint(w, "lane", (long long)i);
        jw_kstr(w, "subagent", d->lanes[i].subagent);
        jw_kstr(w, "parent", d->lanes[i].parent);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "calls");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->ncalls; i++) {
        const struct session_call *c = &d->calls[i];
        jw_obj_begin(w);
        opjson_write_members(w, &c->op, c->sources);
        jw_kint(w, "lane", c->lane);
        jw_kstr(w, "parent", c->parent);
        jw_knum(w, "start_offset_ms", c->start_ms);
        jw_knum(w, "end_offset_ms", c->end_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "requests");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->nrequests; i++) {
        const struct request *r = &d->requests[i];
        jw_obj_begin(w);
        jw_kstr(w, "id", r->id);
        jw_kstr(w, "model", r->model);
        render_time(w, "start", r->start_ms);
        jw_kint(w, "start_ms", r->start_ms);
        jw_knum(w, "start_offset_ms", (double)(r->start_ms - d->s.first_ms));
        jw_knum(w, "duration_ms", r->duration_ms);
        jw_kstr(w, "exactness", op_exact_name((enum op_exact)r->exact));
        jw_kstr(w, "source", op_phase_src_name((enum op_phase_src)r->src));
        jw_knum(w, "ttft_ms", r->ttft_ms);
        render_opt_int(w, "input_tokens", r->input_tokens);
        render_opt_int(w, "output_tokens", r->output_tokens);
        render_opt_int(w, "cache_read_tokens", r->cache_read_tokens);
        render_opt_int(w, "cache_write_tokens", r->cache_write_tokens);
        jw_knum(w, "cost_usd", r->cost_usd);
        jw_kbool(w, "subagent", r->sidechain);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "clock");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->nclock; i++) {
        jw_obj_begin(w);
        jw_knum(w, "from_offset_ms", d->clock[i].from_ms);
        jw_knum(w, "to_offset_ms", d->clock[i].to_ms);
        jw_kstr(w, "part", split_part_name(d->clock[i].part));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "turns");
    jw_arr_begin(w);
    for (size_t i = 0; i < d->nturns; i++) {
        const struct turn *t = &d->turns[i];
        jw_obj_begin(w);
        render_time(w, "start", t->start_ms);
        jw_kint(w, "start_ms", t->start_ms);
        if (t->end_ms)
            jw_kint(w, "end_ms", t->end_ms);
        else
            jw_knull(w, "end_ms");
        jw_knum(w, "active_ms", t->active_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

void render_team(struct jsonw *w, const struct team *t)
{
    jw_obj_begin(w);
    jw_key(w, "window");
    render_window(w, &t->w);
    jw_key(w, "people");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->npeople; i++) {
        const struct team_person *p = &t->people[i];
        jw_obj_begin(w);
        jw_kstr(w, "person", p->person);
        jw_key(w, "hosts");
        jw_arr_begin(w);
        for (size_t k = 0; k < p->nhosts; k++)
            jw_str(w, p->hosts[k]);
        jw_arr_end(w);
        jw_kint(w, "calls", (long long)p->calls);
        jw_kint(w, "calls_asked", (long long)p->asked);
        jw_kint(w, "calls_with_wait", (long long)p->n_wait);
        jw_knum(w, "approval_wait_ms", p->wait_ms);
        jw_knum(w, "avg_approval_wait_ms", p->n_wait ? p->wait_ms / (double)p->n_wait : 0);
        jw_knum(w, "execution_ms", p->exec_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "members");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->nmembers; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "person", t->members[i].person);
        jw_key(w, "hosts");
        jw_arr_begin(w);
        for (size_t k = 0; k < t->members[i].nhosts; k++)
            jw_str(w, t->members[i].hosts[k]);
        jw_arr_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "mcp_servers");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->nmcp; i++) {
        const struct team_mcp *m = &t->mcp[i];
        jw_obj_begin(w);
        jw_kstr(w, "server", m->server);
        jw_kint(w, "calls", (long long)m->calls);
        jw_kint(w, "people", (long long)m->people);
        jw_kint(w, "slow_calls", (long long)m->slow);
        jw_knum(w, "avg_ms", m->avg_ms);
        jw_knum(w, "p95_ms", m->p95_ms);
        jw_knum(w, "total_ms", m->total_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "commands");
    jw_arr_begin(w);
    for (size_t i = 0; i < t->ncommands; i++) {
        const struct team_command *c = &t->commands[i];
        jw_obj_begin(w);
        jw_kstr(w, "command", c->command);
        jw_kint(w, "calls", (long long)c->calls);
        jw_kint(w, "people", (long long)c->people);
        jw_knum(w, "total_ms", c->total_ms);
        jw_knum(w, "avg_ms", c->avg_ms);
        jw_knum(w, "max_ms", c->max_ms);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

/* ---- compare --------------------------------------------------------------------- */

static void render_interval(struct jsonw *w, const char *key, double lo, double hi)
{
    jw_key(w, key);
    if (isnan(lo) || isnan(hi)) {
        jw_null(w);
        return;
    }
    jw_arr_begin(w);
    jw_num(w, lo);
    jw_num(w, hi);
    jw_arr_end(w);
}

static void render_compare_side(struct jsonw *w, const char *key, const struct compare_side *x)
{
    jw_key(w, key);
    jw_obj_begin(w);
    jw_kint(w, "count", (long long)x->count);
    jw_kint(w, "timed", (long long)x->timed);
    jw_knum(w, "p50_ms", x->p50_ms);
    jw_knum(w, "p95_ms", x->p95_ms);
    render_interval(w, "p50_ci_ms", x->p50_lo, x->p50_hi);
    render_interval(w, "p95_ci_ms", x->p95_lo, x->p95_hi);
    jw_obj_end(w);
}

/* The change from b to a in percent: null when b is 0 or unknown. */
static double change_pct(double a, double b)
{
    return isnan(a) || isnan(b) || b == 0 ? NAN : (a - b) / b * 100.0;
}

static void render_compare_row(struct jsonw *w, const struct compare_row *r)
{
    jw_obj_begin(w);
    jw_kstr(w, "tool", r->tool);
    if (r->agent)
        jw_kstr(w, "agent", r->agent);
    if (r->canonical)
        jw_kstr(w, "canonical", r->canonical);
    render_compare_side(w, "current", &r->cur);
    render_compare_side(w, "baseline", &r->base);
    jw_knum(w, "count_change_pct", change_pct((double)r->cur.count, (double)r->base.count));
    jw_knum(w, "p50_change_pct", change_pct(r->cur.p50_ms, r->base.p50_ms));
    jw_knum(w, "p95_change_pct", change_pct(r->cur.p95_ms, r->base.p95_ms));
    jw_kstr(w, "p50_change", compare_verdict_name(r->p50));
    jw_kstr(w, "p95_change", compare_verdict_name(r->p95));
    jw_obj_end(w);
}

void render_compare(struct jsonw *w, const struct comparison *c)
{
    static const char *const by[] = {"tool", "agent", "canonical"};
    jw_obj_begin(w);
    jw_key(w, "current");
    render_window(w, &c->cur);
    jw_key(w, "baseline");
    render_window(w, &c->base);
    jw_kstr(w, "by", by[c->by]);
    jw_kstr(w, "percentile_method", c->exact ? "exact" : "sketch");
    jw_key(w, "decision");
    jw_obj_begin(w);
    jw_kstr(w, "interval",
            "95% distribution-free confidence interval of each quantile, from "
            "order statistics");
    jw_knum(w, "min_calls", COMPARE_MIN_CALLS);
    jw_knum(w, "min_change_pct", COMPARE_MIN_CHANGE * 100);
    jw_obj_end(w);
    jw_key(w, "all");
    render_compare_row(w, &c->all);
    jw_key(w, "tools");
    jw_arr_begin(w);
    for (size_t i = 0; i < c->n; i++)
        render_compare_row(w, &c->rows[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* ---- projects -------------------------------------------------------------------- */

void render_projects(struct jsonw *w, const struct projects *p)
{
    jw_arr_begin(w);
    for (size_t i = 0; i < p->n; i++) {
        const struct project_item *x = &p->items[i];
        char ts[32];
        jw_obj_begin(w);
        jw_kstr(w, "name", x->name);
        jw_kstr(w, "path", x->path);
        jw_kint(w, "calls", (long long)x->calls);
        jw_kint(w, "failed", (long long)x->failed);
        jw_kint(w, "sessions", (long long)x->sessions);
        jw_knum(w, "total_ms", x->total_ms);
        if (x->last_ms) {
            tpt_format_utc(x->last_ms, ts);
            jw_kstr(w, "last_call", ts);
            jw_kint(w, "last_call_ms", x->last_ms);
        } else {
            jw_knull(w, "last_call");
            jw_knull(w, "last_call_ms");
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
}
