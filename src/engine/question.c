/*
 * question.c - the table of questions, and the one parser of their
 * parameters (see question.h).
 *
 * The first half is the table: each question's parameters and the small
 * functions that run it, render it, count and free its answer. The second
 * half parses (name, value) pairs against an entry. Numbers are digits only
 * (no sign, spaces or exponent) for whole numbers, and a plain decimal for
 * milliseconds, so that "5x", "1e3" or " 5" are refused alike on the
 * command line and in a URL.
 */
#include "question.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "catalog.h"
#include "compare.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "render.h"
#include "sessions.h"
#include "team.h"

/* ---- the answers ---------------------------------------------------------------- */

/* stats: the window's summary, the last 7 days' trend and this process's
 * resources (the original dashboard's one-call answer). */
struct stats_answer {
    struct stats st;
    struct trends tr;
    struct resources res;
};

static int run_stats(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct stats_answer *x = xcalloc(1, sizeof *x);
    struct engine_query q = a->q;
    q.by = (enum engine_by)a->v[0];
    int rc = engine_stats(s, &q, &x->st, errbuf);
    if (rc) {
        free(x);
        return rc;
    }
    /* An empty window: where the filters' newest call is. */
    if (x->st.total == 0 && (rc = catalog_newest(s, &a->q, &x->st.newest_ms, errbuf)) != 0) {
        stats_free(&x->st);
        free(x);
        return rc;
    }
    /* The trend is the last 7 days whatever the window, as the original's
     * dashboard showed it. */
    if ((rc = engine_trends(s, &a->q, 7, a->now_ms, &x->tr, errbuf)) != 0) {
        stats_free(&x->st);
        free(x);
        return rc;
    }
    engine_resources(s, &x->res);
    *answer = x;
    return 0;
}

static void render_stats_answer(struct jsonw *w, const void *answer)
{
    const struct stats_answer *x = answer;
    render_stats(w, &x->st, &x->tr, &x->res);
}

static void free_stats(void *answer)
{
    struct stats_answer *x = answer;
    stats_free(&x->st);
    trends_free(&x->tr);
    free(x);
}

static int run_slow(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct op_list *l = xcalloc(1, sizeof *l);
    int rc = engine_slow(s, &a->q, a->v[0], (size_t)a->v[1], l, errbuf);
    if (rc) {
        free(l);
        return rc;
    }
    *answer = l;
    return 0;
}

static void render_ops(struct jsonw *w, const void *answer)
{
    render_op_list(w, answer);
}

static size_t count_ops(const void *answer)
{
    return ((const struct op_list *)answer)->n;
}

static void free_ops(void *answer)
{
    op_list_free(answer);
    free(answer);
}

static int run_bottlenecks(struct store *s, const struct question_args *a, void **answer,
                           char *errbuf)
{
    struct bottlenecks *b = xcalloc(1, sizeof *b);
    int rc = engine_bottlenecks(s, &a->q, (size_t)a->v[0], b, errbuf);
    if (rc) {
        free(b);
        return rc;
    }
    *answer = b;
    return 0;
}

static void render_bottlenecks_answer(struct jsonw *w, const void *answer)
{
    render_bottlenecks(w, answer);
}

static void free_bottlenecks(void *answer)
{
    bottlenecks_free(answer);
    free(answer);
}

static int run_hotspots(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct hotspots *h = xcalloc(1, sizeof *h);
    int rc = engine_hotspots(s, &a->q, (size_t)a->v[0], h, errbuf);
    if (rc == 0 && (rc = engine_hotspot_examples(s, &a->q, h, errbuf)) != 0)
        hotspots_free(h);
    if (rc) {
        free(h);
        return rc;
    }
    *answer = h;
    return 0;
}

static void render_hotspots_answer(struct jsonw *w, const void *answer)
{
    render_hotspots(w, answer);
}

static void free_hotspots(void *answer)
{
    hotspots_free(answer);
    free(answer);
}

static int run_recs(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct recs *r = xcalloc(1, sizeof *r);
    int rc = analyzer_recommend(s, &a->q, r, errbuf);
    if (rc) {
        free(r);
        return rc;
    }
    *answer = r;
    return 0;
}

static void render_recs_answer(struct jsonw *w, const void *answer)
{
    render_recs(w, answer);
}

static size_t count_recs(const void *answer)
{
    return ((const struct recs *)answer)->n;
}

static void free_recs(void *answer)
{
    recs_free(answer);
    free(answer);
}

static int run_trends(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct trends *t = xcalloc(1, sizeof *t);
    /* --days N: the last N local days; otherwise points over the window. */
    if ((a->given & 1) && a->window_given) {
        free(t);
        return tp_fail(errbuf, TP_EINVAL,
                       "days: give either days (the last N days) or a window, not both");
    }
    int rc = (a->given & 1) ? engine_trends(s, &a->q, (int)a->v[0], a->now_ms, t, errbuf)
                            : engine_series(s, &a->q, t, errbuf);
    if (rc) {
        free(t);
        return rc;
    }
    *answer = t;
    return 0;
}

static void render_trends_answer(struct jsonw *w, const void *answer)
{
    render_trends(w, answer);
}

static void free_trends(void *answer)
{
    trends_free(answer);
    free(answer);
}

static int run_resources(struct store *s, const struct question_args *a, void **answer,
                         char *errbuf)
{
    (void)a;
    struct resources *r = xcalloc(1, sizeof *r);
    int rc = engine_resources(s, r);
    if (rc) {
        free(r);
        return tp_fail(errbuf, rc, "measuring resources failed");
    }
    *answer = r;
    return 0;
}

static void render_resources_answer(struct jsonw *w, const void *answer)
{
    render_resources(w, answer);
}

static int run_tools(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct name_list *l = xcalloc(1, sizeof *l);
    int rc = catalog_tools(s, &a->q, l, errbuf);
    if (rc) {
        free(l);
        return rc;
    }
    *answer = l;
    return 0;
}

static void render_names(struct jsonw *w, const void *answer)
{
    render_name_list(w, answer);
}

static void free_names(void *answer)
{
    name_list_free(answer);
    free(answer);
}

static int run_sessions(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct sessions *x = xcalloc(1, sizeof *x);
    int rc = engine_sessions(s, &a->q, (size_t)a->v[0], x, errbuf);
    if (rc) {
        free(x);
        return rc;
    }
    *answer = x;
    return 0;
}

static void render_sessions_answer(struct jsonw *w, const void *answer)
{
    render_sessions(w, answer);
}

static size_t count_sessions(const void *answer)
{
    return ((const struct sessions *)answer)->n;
}

static void free_sessions(void *answer)
{
    sessions_free(answer);
    free(answer);
}

static int run_session(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct session_detail *d = xcalloc(1, sizeof *d);
    int rc = engine_session(s, a->text[0], d, errbuf);
    if (rc) {
        free(d);
        return rc;
    }
    *answer = d;
    return 0;
}

static void render_session_answer(struct jsonw *w, const void *answer)
{
    render_session(w, answer);
}

static void free_session(void *answer)
{
    session_detail_free(answer);
    free(answer);
}

static int run_team(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct team *t = xcalloc(1, sizeof *t);
    int rc = team_view(s, &a->q, (size_t)a->v[0], t, errbuf);
    if (rc) {
        free(t);
        return rc;
    }
    *answer = t;
    return 0;
}

static void render_team_answer(struct jsonw *w, const void *answer)
{
    render_team(w, answer);
}

static void free_team(void *answer)
{
    team_free(answer);
    free(answer);
}

/* compare: the window against the period before it, or against the
 * baseline_since .. baseline_until range. */
static int run_compare(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct engine_window base;
    memset(&base, 0, sizeof base);
    double bs = a->v[1], bu = a->v[2];
    if (isnan(bs) != isnan(bu))
        return tp_fail(errbuf, TP_EINVAL,
                       "baseline_since and baseline_until go together (give both, or neither "
                       "for the period before the window)");
    if (!isnan(bs)) {
        if (bu <= bs)
            return tp_fail(errbuf, TP_EINVAL, "baseline_until must be later than baseline_since");
        snprintf(base.name, sizeof base.name, "custom");
        base.since_ms = (int64_t)bs;
        base.until_ms = (int64_t)bu;
    } else {
        if (a->q.w.since_ms <= TP_MIN_TS_MS)
            return tp_fail(errbuf, TP_EINVAL,
                           "window: %s has no period before it; compare a shorter window, or "
                           "give baseline_since and baseline_until",
                           a->q.w.name);
        int64_t len = a->q.w.until_ms - a->q.w.since_ms;
        snprintf(base.name, sizeof base.name, "previous");
        base.since_ms = a->q.w.since_ms - len;
        base.until_ms = a->q.w.since_ms;
        if (base.since_ms < TP_MIN_TS_MS)
            base.since_ms = TP_MIN_TS_MS;
    }
    struct comparison *c = xcalloc(1, sizeof *c);
    struct engine_query q = a->q;
    q.by = (enum engine_by)a->v[0];
    int rc = engine_compare(s, &q, &base, c, errbuf);
    if (rc) {
        free(c);
        return rc;
    }
    *answer = c;
    return 0;
}

static void render_compare_answer(struct jsonw *w, const void *answer)
{
    render_compare(w, answer);
}

static size_t count_compare(const void *answer)
{
    return ((const struct comparison *)answer)->n;
}

static void free_compare(void *answer)
{
    comparison_free(answer);
    free(answer);
}

static int run_projects(struct store *s, const struct question_args *a, void **answer, char *errbuf)
{
    struct projects *p = xcalloc(1, sizeof *p);
    int rc = catalog_projects(s, &a->q, p, errbuf);
    if (rc) {
        free(p);
        return rc;
    }
    *answer = p;
    return 0;
}

static void render_projects_answer(struct jsonw *w, const void *answer)
{
    render_projects(w, answer);
}

static size_t count_projects(const void *answer)
{
    return ((const struct projects *)answer)->n;
}

static void free_projects(void *answer)
{
    projects_free(answer);
    free(answer);
}

/* ---- the table ---------------------------------------------------------------- */

static const struct qparam slow_params[] = {
    {"threshold", QP_MS, "MS", "only calls at least this long (default 2000)", TP_SLOW_MS, 0, 0,
     NULL},
    {"limit", QP_INT, "N", "at most N calls (default 50)", 50, 1, TP_MAX_LIMIT, NULL},
    {0}};
static const struct qparam bottleneck_params[] = {{"limit", QP_INT, "N",
                                                   "the N slowest calls of each tool (default 10)",
                                                   10, 1, TP_MAX_LIMIT, NULL},
                                                  {0}};
static const struct qparam hotspot_params[] = {
    {"limit", QP_INT, "N", "the top N targets (default 20)", 20, 1, TP_MAX_LIMIT, NULL}, {0}};
static const struct qparam trend_params[] = {{"days", QP_INT, "N",
                                              "the last N local days (instead of a window)", 7, 1,
                                              TP_MAX_TREND_DAYS, NULL},
                                             {0}};
static const struct qparam session_list_params[] = {
    {"limit", QP_INT, "N", "at most N sessions, the latest first (default 50)", 50, 1, TP_MAX_LIMIT,
     NULL},
    {0}};
static const struct qparam session_params[] = {
    {"id", QP_TEXT, "ID", "the session's id, or its first characters (at least 4)", 0, 1, TP_MAX_ID,
     NULL},
    {0}};
static const char *const by_choices[] = {"tool", "agent", "canonical", NULL};
static const struct qparam stats_params[] = {
    {"by", QP_CHOICE, "tool|agent|canonical",
     "one row per tool of each agent (default), per agent, or per canonical tool across agents",
     BY_TOOL, 0, 0, by_choices},
    {0}};
static const struct qparam team_params[] = {{"limit", QP_INT, "N",
                                             "at most N MCP servers and N commands (default 10)",
                                             10, 1, TP_MAX_LIMIT, NULL},
                                            {0}};
static const struct qparam compare_params[] = {
    {"by", QP_CHOICE, "tool|agent|canonical",
     "one row per tool of each agent (default), per agent, or per canonical tool", BY_TOOL, 0, 0,
     by_choices},
    {"baseline_since", QP_TIME, "TIME",
     "start of the period to compare with (default: the period before the window)", 0, 0, 0, NULL},
    {"baseline_until", QP_TIME, "TIME", "end of the period to compare with", 0, 0, 0, NULL},
    {0}};
static const struct qparam no_params[] = {{0}};

#define Q(name_, path_, summary_, desc_, common_, window_, params_, run_, render_, count_, free_)  \
    {                                                                                              \
        .name = name_, .path = path_, .summary = summary_, .description = desc_,                   \
        .common = common_, .window_default = window_, .params = params_, .run = run_,              \
        .render = render_, .count = count_, .free_answer = free_                                   \
    }

const struct question questions[] = {
    Q("stats", "stats", "summary of a window: counts, latency percentiles, per-tool table",
      "Summary of the tool calls in a window: count, average, median, p95, p99,\n"
      "slow and critical calls, success and optimization rates, the time spent\n"
      "waiting for approvals and in hooks, and a per-tool latency table. Latency\n"
      "is execution time only: a wall time that may hold an approval is counted\n"
      "apart (docs/time.md).",
      QC_ALL, "24h", stats_params, run_stats, render_stats_answer, NULL, free_stats),
    Q("slow", "slow-operations", "the slowest recent calls",
      "The slowest calls of the window: operations whose execution took at least\n"
      "--threshold ms, slowest first.",
      QC_ALL, "24h", slow_params, run_slow, render_ops, count_ops, free_ops),
    Q("bottlenecks", "bottlenecks", "the slowest calls of each tool",
      "The slowest calls of each tool, slowest first; tools in order of their slowest call.",
      QC_ALL, "24h", bottleneck_params, run_bottlenecks, render_bottlenecks_answer, NULL,
      free_bottlenecks),
    Q("hotspots", "hotspots", "where the time goes, by tool and target",
      "Where the time goes: (tool, target) pairs ranked by the total time they consumed.", QC_ALL,
      "24h", hotspot_params, run_hotspots, render_hotspots_answer, NULL, free_hotspots),
    Q("recommend", "recommendations", "what to change, with evidence and impact",
      "What to change: rules over the window's calls (large reads without\n"
      "offset/limit, repeated reads, slow Bash, shell commands that have a\n"
      "dedicated tool, Grep without head_limit, regressions), with evidence and\n"
      "the time and tokens each could save.",
      QC_ALL, "24h", no_params, run_recs, render_recs_answer, count_recs, free_recs),
    Q("trends", "trends", "calls, average and p95 over time (per hour or day)",
      "Calls, average and p95 duration and slow calls over the window: one point\n"
      "per hour for windows up to 48 hours, per local day up to 400 days, else per\n"
      "week; or --days N, the last N local days. Every point is listed; one\n"
      "without calls has no average or p95 (null, shown as -).",
      QC_ALL, "7d", trend_params, run_trends, render_trends_answer, NULL, free_trends),
    Q("compare", "compare", "this period against the previous one, per tool",
      "Per tool: calls, p50 and p95 in the window and in the period before it of\n"
      "the same length (or --baseline-since/--baseline-until), with their change.\n"
      "A latency is marked slower or faster only when the data can carry it: the\n"
      "two periods' 95% confidence intervals of the quantile (from order\n"
      "statistics) do not overlap and it moved by 10% or more; with fewer than 20\n"
      "timed calls (about 110 for p95) a period is too small to say.",
      QC_ALL, "7d", compare_params, run_compare, render_compare_answer, count_compare,
      free_compare),
    Q("sessions", "sessions", "sessions and where their time went",
      "The sessions active in the window, the latest first: calls, failures,\n"
      "sub-agent calls, model requests, tokens and cost, and where their wall time\n"
      "went (model, tools, approvals, hooks, waiting for your prompt, idle).",
      QC_WINDOW | QC_PROJECT | QC_SESSION, "7d", session_list_params, run_sessions,
      render_sessions_answer, count_sessions, free_sessions),
    {.name = "session",
     .path = "sessions/",
     .path_param = "id",
     .summary = "one session on the clock: calls, phases, model requests",
     .description = "One session laid on the clock: every call with its phases (hooks,\n"
                    "approval wait, execution), sub-agents in their own lanes under the call\n"
                    "that started them, model requests and turns, and where its wall time went.",
     .common = 0,
     .window_default = NULL,
     .params = session_params,
     .run = run_session,
     .render = render_session_answer,
     .count = NULL,
     .free_answer = free_session},
    Q("team", "team", "a team server: who waits on approvals, slow MCP servers and commands",
      "The team view (the team store only, docs/team.md): each person with their\n"
      "machines, calls and time waiting on approval prompts (most first); MCP\n"
      "servers across everyone, slowest p95 first, with how many people used them;\n"
      "shell commands by the time they took across everyone.",
      QC_WINDOW | QC_PROJECT, "7d", team_params, run_team, render_team_answer, NULL, free_team),
    Q("resources", "resources", "memory, CPU and database size",
      "Memory, CPU and threads of this process, database size and operations stored.", 0, NULL,
      no_params, run_resources, render_resources_answer, NULL, free),
    Q("projects", "projects", "the projects with calls in a window (default: all stored)",
      "The projects (the agents' working directories) with calls in the window,\n"
      "most calls first: calls, failures, sessions, execution time and the newest\n"
      "call. A project filter (--project) takes a path or a name from this list.",
      QC_WINDOW | QC_TOOL, "all", no_params, run_projects, render_projects_answer, count_projects,
      free_projects),
    Q("tools", "tools", "the tools called in a window (default: all stored)",
      "The names of the tools called in the window (all stored by default), sorted.",
      QC_WINDOW | QC_PROJECT | QC_SESSION, "all", no_params, run_tools, render_names, NULL,
      free_names),
    {.name = NULL}};

const struct question *question_find(const char *name)
{
    for (const struct question *q = questions; q->name; q++)
        if (strcmp(q->name, name) == 0)
            return q;
    return NULL;
}

const struct question *question_by_path(const char *path, const char **param)
{
    for (const struct question *q = questions; q->name; q++) {
        size_t n = strlen(q->path);
        if (q->path_param ? strncmp(q->path, path, n) == 0 && path[n] && !strchr(path + n, '/')
                          : strcmp(q->path, path) == 0) {
            if (param)
                *param = q->path_param ? path + n : NULL;
            return q;
        }
    }
    return NULL;
}

/* ---- the common parameters ---------------------------------------------------- */

struct common_param {
    const char *name;
    unsigned bit;
    const char *metavar, *help;
    size_t max_len;
};

static const struct common_param commons[] = {
    {"window", QC_WINDOW, "W", "24h, 7d, 30d, all, <n>h or <n>d", 32},
    {"since", QC_WINDOW, "TIME", "start of the window (ISO-8601; naive = local)", 64},
    {"until", QC_WINDOW, "TIME", "end of the window (default: now)", 64},
    {"tool", QC_TOOL, "NAME", "only tools of this name (the agent's own; any case)", TP_MAX_TOOL},
    {"agent", QC_TOOL, "NAME",
     "only these agents' calls, comma-separated (claude-code, codex, gemini-cli, opencode)",
     CATALOG_MAX_AGENT_LIST},
    {"canonical", QC_TOOL, "NAME", "only tools of this kind across agents (shell, read ...)",
     TP_MAX_TOOL + 16},
    {"project", QC_PROJECT, "DIR", "only this project: its path, or its name", TP_MAX_PROJECT},
    {"session", QC_SESSION, "ID", "only this session: its id, or its first characters", TP_MAX_ID},
    {"person", QC_PERSON, "NAME", "only this person's calls (team store)", 128},
    {"host", QC_PERSON, "HOST", "only calls made on this machine (team store)", 255},
};
#define NCOMMONS (sizeof commons / sizeof commons[0])

static const struct common_param *common_find(const char *name)
{
    for (size_t i = 0; i < NCOMMONS; i++)
        if (strcmp(commons[i].name, name) == 0)
            return &commons[i];
    return NULL;
}

static const struct qparam *own_find(const struct question *qn, const char *name, size_t *pos)
{
    for (size_t i = 0; qn->params[i].name; i++)
        if (strcmp(qn->params[i].name, name) == 0) {
            *pos = i;
            return &qn->params[i];
        }
    return NULL;
}

int question_takes(const struct question *qn, const char *name)
{
    size_t pos;
    const struct common_param *c = common_find(name);
    return (c && (qn->common & c->bit)) || own_find(qn, name, &pos) != NULL;
}

void question_each_param(const struct question *qn, question_param_fn fn, void *ctx)
{
    char def[32];
    for (size_t i = 0; qn->params[i].name; i++) {
        const struct qparam *p = &qn->params[i];
        if (p->type == QP_CHOICE)
            snprintf(def, sizeof def, "%s", p->choices[(size_t)p->def]);
        else
            snprintf(def, sizeof def, "%g", p->def);
        fn(ctx, p->name, p->metavar, p->help,
           p->type == QP_TEXT || p->type == QP_TIME ? NULL : def);
    }
    for (size_t i = 0; i < NCOMMONS; i++)
        if (qn->common & commons[i].bit)
            fn(ctx, commons[i].name, commons[i].metavar, commons[i].help,
               strcmp(commons[i].name, "window") == 0 ? qn->window_default : NULL);
}

struct usage_ctx {
    char *out;
    size_t size, len;
};

static void usage_one(void *ctx, const char *name, const char *metavar, const char *help,
                      const char *def)
{
    (void)help;
    (void)def;
    struct usage_ctx *u = ctx;
    if (u->len >= u->size)
        return;
    int n = snprintf(u->out + u->len, u->size - u->len, "%s[--%s %s]", u->len ? " " : "", name,
                     metavar);
    if (n > 0)
        u->len += (size_t)n;
}

void question_usage(const struct question *qn, char *out, size_t size)
{
    struct usage_ctx u = {out, size, 0};
    out[0] = '\0';
    question_each_param(qn, usage_one, &u);
}

/* ---- parsing -------------------------------------------------------------------- */

/* Every parameter the question takes, for "not a parameter of" messages. */
static void list_params(const struct question *qn, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; qn->params[i].name && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "", qn->params[i].name);
    for (size_t i = 0; i < NCOMMONS && len < size; i++)
        if (qn->common & commons[i].bit)
            len +=
                (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "", commons[i].name);
}

static int parse_int(const struct qparam *p, const char *v, double *out, char *errbuf)
{
    long long n = 0;
    int ok = *v != '\0';
    for (const char *c = v; ok && *c; c++) {
        if (*c < '0' || *c > '9' || n > (p->max + 9) / 10 + 1)
            ok = 0;
        else
            n = n * 10 + (*c - '0');
    }
    if (!ok || n < p->min || n > p->max)
        return tp_fail(errbuf, TP_EINVAL, "%s: must be an integer from %lld to %lld", p->name,
                       p->min, p->max);
    *out = (double)n;
    return 0;
}

static int parse_ms(const struct qparam *p, const char *v, double *out, char *errbuf)
{
    double d;
    if (!jin_parse_number(v, &d) || !(d >= 0) || d > TP_MAX_DURATION_MS)
        return tp_fail(errbuf, TP_EINVAL, "%s: must be a number of milliseconds from 0 to %.0f",
                       p->name, TP_MAX_DURATION_MS);
    *out = d;
    return 0;
}

int question_parse(const struct question *qn, const struct question_input *in, size_t n,
                   int64_t now_ms, struct question_args *out, char *errbuf)
{
    const char *window = NULL, *since = NULL, *until = NULL;
    int given[QUESTION_MAX_PARAMS] = {0};
    memset(out, 0, sizeof *out);
    out->now_ms = now_ms;
    for (size_t i = 0; i < n; i++) {
        const char *name = in[i].name, *v = in[i].value;
        for (size_t k = 0; k < i; k++)
            if (strcmp(in[k].name, name) == 0)
                return tp_fail(errbuf, TP_EINVAL, "%.64s: given more than once", name);
        size_t pos;
        const struct common_param *c = common_find(name);
        const struct qparam *p = own_find(qn, name, &pos);
        if ((!c || !(qn->common & c->bit)) && !p) {
            char list[256];
            list_params(qn, list, sizeof list);
            if (!list[0])
                return tp_fail(errbuf, TP_EINVAL, "%.64s: unknown parameter (%s takes none)", name,
                               qn->name);
            return tp_fail(errbuf, TP_EINVAL, "%.64s: unknown parameter (%s takes %s)", name,
                           qn->name, list);
        }
        if (!*v)
            return tp_fail(errbuf, TP_EINVAL, "%s: empty value", name);
        if (c) {
            if (strlen(v) > c->max_len)
                return tp_fail(errbuf, TP_EINVAL, "%s: longer than %zu bytes", name, c->max_len);
            if (strcmp(name, "window") == 0)
                window = v;
            else if (strcmp(name, "since") == 0)
                since = v;
            else if (strcmp(name, "until") == 0)
                until = v;
            else if (strcmp(name, "tool") == 0)
                out->q.tool = v;
            else if (strcmp(name, "agent") == 0)
                out->q.agent = v;
            else if (strcmp(name, "canonical") == 0)
                out->q.canonical = v;
            else if (strcmp(name, "project") == 0)
                out->q.project = v;
            else if (strcmp(name, "person") == 0)
                out->q.person = v;
            else if (strcmp(name, "host") == 0)
                out->q.host = v;
            else
                out->q.session = v;
            if (c->bit == QC_WINDOW)
                out->window_given = 1;
            continue;
        }
        int rc = 0;
        if (p->type == QP_CHOICE) {
            size_t k = 0;
            while (p->choices[k] && strcmp(p->choices[k], v) != 0)
                k++;
            if (!p->choices[k])
                rc = tp_fail(errbuf, TP_EINVAL, "%s: must be one of %s", name, p->metavar);
            out->v[pos] = (double)k;
        } else if (p->type == QP_TEXT) {
            if (strlen(v) > (size_t)p->max)
                rc = tp_fail(errbuf, TP_EINVAL, "%s: longer than %lld bytes", name, p->max);
            out->text[pos] = v;
        } else if (p->type == QP_TIME) {
            int64_t ms;
            if (strlen(v) > 64 || tpt_parse_iso(v, TPT_NAIVE_LOCAL, &ms) != 0)
                rc = tp_fail(errbuf, TP_EINVAL,
                             "%s: expected an ISO-8601 time such as 2026-11-20T10:00:00Z "
                             "(got \"%.40s\")",
                             name, v);
            else
                out->v[pos] = (double)(ms < TP_MIN_TS_MS ? TP_MIN_TS_MS : ms);
        } else {
            rc = p->type == QP_INT ? parse_int(p, v, &out->v[pos], errbuf)
                                   : parse_ms(p, v, &out->v[pos], errbuf);
        }
        if (rc)
            return rc;
        given[pos] = 1;
        out->given |= 1u << pos;
    }
    for (size_t i = 0; qn->params[i].name; i++) {
        if (!given[i] && qn->params[i].type == QP_TEXT)
            return tp_fail(errbuf, TP_EINVAL, "%s: missing (%s %s)", qn->params[i].name, qn->name,
                           qn->params[i].metavar);
        if (!given[i])
            out->v[i] = qn->params[i].type == QP_TIME ? NAN : qn->params[i].def;
    }
    if (qn->common & QC_WINDOW)
        return engine_window_parse(window ? window : qn->window_default, since, until, now_ms,
                                   &out->q.w, errbuf);
    /* Questions without a window of their own answer over everything. */
    return engine_window_parse("all", NULL, NULL, now_ms, &out->q.w, errbuf);
}

int question_run(const struct question *qn, struct store *s, struct question_args *a, void **answer,
                 char *errbuf)
{
    *answer = NULL;
    if ((a->q.person || a->q.host) && !store_team(s))
        return tp_fail(errbuf, TP_EINVAL,
                       "%s: this store keeps no person or host: only the team store does "
                       "(--store clickhouse://..., docs/team.md)",
                       a->q.person ? "person" : "host");
    if (qn->common & QC_FILTERS) {
        int rc = catalog_resolve(s, &a->q, &a->names, errbuf);
        if (rc)
            return rc;
    }
    return qn->run(s, a, answer, errbuf);
}
