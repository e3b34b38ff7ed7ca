/*
 * cmd_query.c - the questions on the command line: stats, slow,
 * bottlenecks, hotspots, recommend, trends, resources, tools.
 *
 * Every command here is one entry of the engine's question table
 * (engine/question.h). Its options are handed to question_parse() as
 * (name, value) pairs, exactly as the server hands it a URL's query, so a
 * bad option is refused with the message the API gives. The answer is
 * printed as an aligned table, or with --json as the API's `data`.
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
#include "engine/question.h"
#include "engine/render.h"
#include "engine/sessions.h"
#include "table.h"

static void print_window(const struct engine_window *w)
{
    char a[48], b[48];
    tpt_format_local(w->since_ms, a);
    tpt_format_local(w->until_ms, b);
    printf("window %s: %.19s .. %.19s\n", w->name, strcmp(w->name, "all") == 0 ? "start" : a, b);
}

/* ---- the tables ------------------------------------------------------------ */

/* The answer of stats is the engine's stats_answer: its first member is
 * the stats (question.c). */
static void print_stats(const void *answer, const struct question_args *qa)
{
    const struct stats *st = answer;
    enum engine_by by = (enum engine_by)qa->v[0];
    char c[32], avg[32], med[32], p95[32], p99[32];
    print_window(&st->w);
    table_count(c, st->total);
    table_ms(avg, st->avg_ms);
    table_ms(med, st->median_ms);
    table_ms(p95, st->p95_ms);
    table_ms(p99, st->p99_ms);
    printf("operations %s   avg %s   median %s   p95 %s   p99 %s (%s)\n", c, avg, med, p95, p99,
           st->exact ? "exact" : "sketch, within 1%");
    printf("slow (>= 2 s) %llu   critical (>= 5 s) %llu   success %.1f%%   optimized "
           "%.1f%%\n\n",
           (unsigned long long)st->slow, (unsigned long long)st->critical,
           st->total ? (double)(st->total - st->failed) / (double)st->total * 100 : 100.0,
           st->total ? (double)st->optimized / (double)st->total * 100 : 0.0);
    /* Per tool, the agent's column only when another agent than the
     * default made calls. */
    int agents = 0;
    for (size_t i = 0; by == BY_TOOL && i < st->ntools; i++)
        agents |= strcmp(st->tools[i].agent, OP_AGENT_DEFAULT) != 0;
    const char *heads[] = {by == BY_AGENT       ? "agent"
                           : by == BY_CANONICAL ? "canonical"
                                                : "tool",
                           ">count",
                           ">avg",
                           ">p50",
                           ">p95",
                           ">p99",
                           ">max",
                           ">total",
                           ">failed",
                           "agent"};
    struct table t;
    table_init(&t, agents ? 10 : 9, heads);
    for (size_t i = 0; i < st->ntools; i++) {
        const struct tool_stats *x = &st->tools[i];
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
        const char *row[] = {x->tool, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], x->agent};
        table_row(&t, row);
    }
    if (st->ntools)
        table_print(&t, stdout);
    else
        printf("no operations in this window (see `toolprof install-hook`, `toolprof "
               "import`)\n");
    table_free(&t);
}

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
        char tool[TP_MAX_TOOL + 48];
        if (op->agent)
            snprintf(tool, sizeof tool, "%s (%s)", op->tool, op->agent);
        else
            snprintf(tool, sizeof tool, "%s", op->tool);
        const char *row[] = {
            ts, tool, d, op->success ? "ok" : "failed", op->optimized ? "yes" : "no", op->target};
        table_row(&t, row);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void print_slow(const void *answer, const struct question_args *qa)
{
    const struct op_list *l = answer;
    if (l->n)
        print_ops(l);
    else
        printf("no operations of %g ms or more in this window\n", qa->v[0]);
}

static void print_bottlenecks(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct bottlenecks *b = answer;
    if (!b->n)
        printf("no timed operations in this window\n");
    for (size_t i = 0; i < b->n; i++) {
        printf("%s%s\n", i ? "\n" : "", b->groups[i].tool);
        print_ops(&b->groups[i].ops);
    }
}

static void print_hotspots(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct hotspots *h = answer;
    if (!h->n) {
        printf("no operations in this window\n");
        return;
    }
    static const char *const heads[] = {"tool", ">calls", ">total",  ">share",
                                        ">avg", ">max",   ">failed", "target"};
    struct table t;
    table_init(&t, 8, heads);
    table_cap(&t, 7, 70);
    for (size_t i = 0; i < h->n; i++) {
        const struct hotspot *x = &h->items[i];
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

static void print_recs(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct recs *r = answer;
    if (!r->n) {
        printf("no recommendations for this window\n");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct rec *x = &r->items[i];
        char t[32];
        printf("%s[%s] %s\n  %s\n  suggestion: %s\n", i ? "\n" : "", rec_severity_name(x->severity),
               x->title, x->description, x->suggestion);
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

static void print_trends(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct trends *tr = answer;
    static const char *const heads[] = {"day", ">calls", ">avg", ">p95", ">slow"};
    struct table t;
    table_init(&t, 5, heads);
    for (size_t i = 0; i < tr->n; i++) {
        char v[4][32];
        table_count(v[0], tr->days[i].count);
        table_ms(v[1], tr->days[i].avg_ms);
        table_ms(v[2], tr->days[i].p95_ms);
        table_count(v[3], tr->days[i].slow);
        const char *row[] = {tr->days[i].label, v[0], v[1], v[2], v[3]};
        table_row(&t, row);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void print_resources(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct resources *r = answer;
    char ops[32];
    table_count(ops, (unsigned long long)r->operations);
    printf("operations stored  %s\ndatabase           %.1f MB\nmemory (RSS)       %.1f MB\n"
           "cpu                %.1f%%\nthreads            %d\n",
           ops, (double)r->db_bytes / 1e6, r->memory_mb, r->cpu_percent, r->num_threads);
    const struct spool_status *sp = &r->spool;
    printf("hook spool         %s, %lld bytes waiting\n", sp->drain_error ? "NOT DRAINING" : "ok",
           (long long)sp->pending_bytes);
    if (sp->drain_error)
        printf("  last drain       %s\n", sp->drain_message);
    if (sp->rejected_bytes > 0)
        printf("  set aside        %lld bytes in %s (in the data directory)\n",
               (long long)sp->rejected_bytes, SPOOL_REJECTS);
}

static void print_names(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct name_list *l = answer;
    if (!l->n)
        printf("no tools in this window\n");
    for (size_t i = 0; i < l->n; i++)
        printf("%s\n", l->names[i]);
}

/* "12:03" (today's sessions) or "2026-11-20 12:03". */
static void short_time(int64_t ms, char *out, size_t size)
{
    char ts[48];
    tpt_format_local(ms, ts);
    snprintf(out, size, "%.10s %.5s", ts, ts + 11);
}

static void print_sessions(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct sessions *x = answer;
    if (!x->n) {
        printf("no sessions in this window\n");
        return;
    }
    static const char *const heads[] = {"start",  "session", "project", ">calls",
                                        ">wall",  ">model",  ">tools",  ">approvals",
                                        ">hooks", ">prompt", ">idle"};
    struct table tb;
    table_init(&tb, 11, heads);
    table_cap(&tb, 2, 30);
    for (size_t i = 0; i < x->n; i++) {
        const struct session_item *it = &x->items[i];
        char v[10][48];
        short_time(it->first_ms, v[0], sizeof v[0]);
        snprintf(v[1], sizeof v[1], "%.8s", it->id);
        table_count(v[2], it->calls);
        table_ms(v[3], it->split.wall_ms);
        table_ms(v[4], it->split.ms[SPLIT_MODEL]);
        table_ms(v[5], it->split.ms[SPLIT_TOOLS]);
        table_ms(v[6], it->split.ms[SPLIT_APPROVALS] + it->split.ms[SPLIT_UNSPLIT]);
        table_ms(v[7], it->split.ms[SPLIT_HOOKS]);
        table_ms(v[8], it->split.ms[SPLIT_PROMPT]);
        table_ms(v[9], it->split.ms[SPLIT_IDLE]);
        const char *row[] = {v[0], v[1], it->project, v[2], v[3], v[4],
                             v[5], v[6], v[7],        v[8], v[9]};
        table_row(&tb, row);
    }
    table_print(&tb, stdout);
    table_free(&tb);
    if (x->more)
        printf("(the latest %zu sessions; --limit N for more)\n", x->n);
    printf("approvals include the wall time of calls that may have waited for one\n"
           "(their split is not known); `toolprof session ID` lays one session on the clock\n");
}

/* One call's bar over width columns: the part of [t0, t1) it covers, its
 * hooks as 'h', its wait for you as 'w', its execution as '#', a wall
 * time whose split is unknown as '?'. */
static void call_bar(const struct session_call *c, double t0, double t1, int width, char *out)
{
    double scale = t1 > t0 ? (double)width / (t1 - t0) : 0;
    const struct op *op = &c->op;
    double at = c->start_ms;
    double hook = isnan(op->hook_ms) ? 0 : op->hook_ms, wait = isnan(op->wait_ms) ? 0 : op->wait_ms;
    memset(out, ' ', (size_t)width);
    out[width] = '\0';
    struct {
        double len;
        char ch;
    } parts[] = {{hook, 'h'},
                 {wait, 'w'},
                 {c->end_ms - c->start_ms - hook - wait,
                  isnan(op->duration_ms) && isnan(op->wait_ms) ? '?' : '#'}};
    for (size_t k = 0; k < 3; k++) {
        if (parts[k].len <= 0)
            continue;
        int a = (int)((at - t0) * scale), z = (int)((at + parts[k].len - t0) * scale);
        if (z == a)
            z = a + 1;
        for (int i = a; i < z && i < width; i++)
            if (i >= 0)
                out[i] = parts[k].ch;
        at += parts[k].len;
    }
}

/* "  tokens 2100 in, 420 out, 0 cache read, 0 cache write; $0.0120 (from
 * the model requests)": what a session used, when any source said. */
static void print_tokens(const struct session_item *it)
{
    if (!it->tokens_from)
        return;
    const int64_t v[] = {it->input_tokens, it->output_tokens, it->cache_read_tokens,
                         it->cache_write_tokens};
    const char *const names[] = {"in", "out", "cache read", "cache write"};
    printf("  tokens");
    const char *sep = " ";
    for (int k = 0; k < 4; k++) {
        if (v[k] < 0)
            continue;
        printf("%s%lld %s", sep, (long long)v[k], names[k]);
        sep = ", ";
    }
    if (!isnan(it->cost_usd))
        printf("; $%.4f", it->cost_usd);
    printf(" (from %s)\n", strcmp(it->tokens_from, "metrics") == 0 ? "the agent's usage counters"
                                                                   : "the model requests");
}

static void print_session(const void *answer, const struct question_args *qa)
{
    (void)qa;
    const struct session_detail *d = answer;
    const struct session_item *it = &d->s;
    char a[64], dur[32];
    short_time(it->first_ms, a, sizeof a);
    table_ms(dur, it->split.wall_ms);
    printf("session %s\n  %s, %s, %llu calls (%llu failed, %llu in sub-agents), %llu model "
           "requests\n",
           it->id, a, dur, (unsigned long long)it->calls, (unsigned long long)it->failed,
           (unsigned long long)it->sub_calls, (unsigned long long)it->requests);
    if (it->project)
        printf("  project %s\n", it->project);
    print_tokens(it);
    printf("  where the time went:");
    for (int p = 0; p < SPLIT_PARTS; p++) {
        if (it->split.ms[p] <= 0)
            continue;
        table_ms(dur, it->split.ms[p]);
        printf(" %s %s (%.0f%%)", split_part_name((enum split_part)p), dur,
               it->split.wall_ms > 0 ? it->split.ms[p] / it->split.wall_ms * 100 : 0);
    }
    printf("\n\n");
    int width = 40;
    double t1 = it->split.wall_ms;
    for (size_t i = 0; i < d->ncalls; i++) {
        const struct session_call *c = &d->calls[i];
        char bar[64], off[32], exec[32], wait[32];
        call_bar(c, 0, t1, width, bar);
        table_ms(off, c->start_ms);
        table_ms(exec, c->op.duration_ms);
        table_ms(wait, c->op.wait_ms);
        printf("%9s %s|%s| %-12.12s %8s%s%s%s  %.50s\n", off, c->lane ? "  " : "", bar, c->op.tool,
               isnan(c->op.duration_ms) ? "-" : exec,
               isnan(c->op.wait_ms) || c->op.wait_ms <= 0 ? "" : " wait ",
               isnan(c->op.wait_ms) || c->op.wait_ms <= 0 ? "" : wait,
               c->op.success ? "" : " FAILED", c->op.target ? c->op.target : "");
    }
    printf("\nbars: h hooks, w waiting for you, # execution, ? wall time whose split is not "
           "known\n");
}

typedef void (*print_fn)(const void *answer, const struct question_args *qa);

static const struct {
    const char *name;
    print_fn print;
} printers[] = {
    {"stats", print_stats},         {"slow", print_slow},      {"bottlenecks", print_bottlenecks},
    {"hotspots", print_hotspots},   {"recommend", print_recs}, {"trends", print_trends},
    {"resources", print_resources}, {"tools", print_names},    {"sessions", print_sessions},
    {"session", print_session},
};

static print_fn printer(const struct question *qn)
{
    for (size_t i = 0; i < sizeof printers / sizeof printers[0]; i++)
        if (strcmp(printers[i].name, qn->name) == 0)
            return printers[i].print;
    return NULL;
}

/* ---- the command -------------------------------------------------------------- */

struct help_ctx {
    FILE *fp;
};

static void help_one(void *ctx, const char *name, const char *metavar, const char *help,
                     const char *def)
{
    (void)def;
    struct help_ctx *h = ctx;
    char left[64];
    snprintf(left, sizeof left, "--%s %s", name, metavar);
    fprintf(h->fp, "  %-26s %s\n", left, help);
}

static void question_help(const struct question *qn, FILE *fp)
{
    char usage[512];
    question_usage(qn, usage, sizeof usage);
    fprintf(fp, "usage: toolprof %s%s%s%s%s [--json]\n\n%s\n\noptions:\n", qn->name,
            qn->path_param ? " " : "", qn->path_param ? "ID" : "", usage[0] ? " " : "", usage,
            qn->description);
    struct help_ctx h = {fp};
    question_each_param(qn, help_one, &h);
    fprintf(fp, "  %-26s %s\n  %-26s %s\n  %-26s %s\n", "--json",
            "print JSON (the API's data object)", "--data-dir DIR", "where the database lives",
            "--help", "show this help");
    fprintf(fp, "\nexit status: 0 answered (an empty window too), 1 failed, 2 usage error\n");
}

static void json_answer(struct jsonw *w, const void *arg)
{
    const struct question *qn = ((const void *const *)arg)[0];
    qn->render(w, ((const void *const *)arg)[1]);
}

int cli_question(const struct question *qn, int argc, char **argv, const char *data_dir)
{
    char err[TP_ERR_MAX];
    const char *dir = NULL;
    int json = 0, help, status = CLI_OK;
    struct args_pair *pairs = NULL;
    size_t npairs = 0;
    const struct opt opts[] = {
        {"json", OPT_FLAG, &json, NULL, NULL}, {"data-dir", OPT_STR, &dir, "DIR", NULL}, {0}};
    char **pos = NULL;
    int npos = 0;
    if (args_parse_pairs(argc, argv, opts, &help, qn->path_param ? &pos : NULL,
                         qn->path_param ? &npos : NULL, &pairs, &npairs, err) != 0) {
        args_pairs_free(pairs, npairs);
        free(pos);
        return cli_error(qn->name, CLI_USAGE, "%s", err);
    }
    if (help) {
        args_pairs_free(pairs, npairs);
        free(pos);
        question_help(qn, stdout);
        return CLI_OK;
    }
    struct question_input *in = xcalloc(npairs + 2, sizeof *in);
    struct question_args qa;
    size_t nin = 0;
    int rc = 0;
    for (size_t i = 0; i < npairs && rc == 0; i++) {
        in[nin].name = pairs[i].name;
        in[nin++].value = pairs[i].value ? pairs[i].value : "";
        if (!pairs[i].value)
            rc = tp_fail(err, TP_EINVAL, "%.64s: needs a value", pairs[i].name);
    }
    /* The positional argument is the path parameter (`session ID`). */
    if (rc == 0 && npos > 1)
        rc = tp_fail(err, TP_EINVAL, "unexpected argument '%.60s'", pos[1]);
    else if (rc == 0 && npos == 1) {
        in[nin].name = qn->path_param;
        in[nin++].value = pos[0];
    }
    if (rc == 0)
        rc = question_parse(qn, in, nin, tpt_now_ms(), &qa, err);
    if (rc != 0) {
        status = cli_error(qn->name, CLI_USAGE, "%s (see toolprof %s --help)", err, qn->name);
        goto out;
    }
    struct store *s = cli_open_store(dir ? dir : data_dir, 0);
    if (!s) {
        status = CLI_FAIL;
        goto out;
    }
    void *answer;
    if ((rc = qn->run(s, &qa, &answer, err)) != 0) {
        store_close(s);
        status = cli_error(qn->name, CLI_FAIL, "%s", err);
        goto out;
    }
    if (json) {
        const void *arg[2] = {qn, answer};
        status = cli_print_json(json_answer, arg);
    } else {
        printer(qn)(answer, &qa);
    }
    qn->free_answer(answer);
    store_close(s);
out:
    free(in);
    free(pos);
    args_pairs_free(pairs, npairs);
    return status;
}
