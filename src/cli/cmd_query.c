/*
 * cmd_query.c - the questions on the command line: stats, slow,
 * bottlenecks, hotspots, recommend, trends, compare, sessions, session,
 * projects, resources, tools.
 *
 * Every command here is one entry of the engine's question table
 * (engine/question.h). Its options are handed to question_parse() as
 * (name, value) pairs, exactly as the server hands it a URL's query, so a
 * bad option is refused with the message the API gives. The answer is
 * printed as a table that fits the terminal (table.h), with the page's
 * formats for durations and numbers and colour on a terminal (term.h), or
 * with --json as the API's `data`.
 *
 * An empty answer says why and where the data is: the newest call of the
 * filters and a window that holds it, or how to get data in.
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
#include "engine/catalog.h"
#include "engine/compare.h"
#include "engine/question.h"
#include "engine/render.h"
#include "engine/sessions.h"
#include "store/taxonomy.h"
#include "table.h"
#include "term.h"

#define DASH "\xE2\x80\x93"

/* What a printer gets: the store (for hints), the answer, the request. */
struct ctx {
    struct store *s;
    const struct question_args *qa;
};

static void print_window(const struct engine_window *w)
{
    char a[32], b[32];
    table_time(a, w->since_ms);
    table_time(b, w->open_end ? w->until_ms - 1 : w->until_ms);
    printf("%swindow %s: %s .. %s%s\n", term_on(TS_DIM), w->name,
           strcmp(w->name, "all") == 0 ? "start" : a, b, term_off(TS_DIM));
}

/* "3 hours", "65 days". */
static void age_text(int64_t ms, char *out, size_t size)
{
    if (ms < 2 * TPT_HOUR_MS)
        snprintf(out, size, "%lld minutes", (long long)(ms / 60000));
    else if (ms < 2 * TPT_DAY_MS)
        snprintf(out, size, "%lld hours", (long long)(ms / TPT_HOUR_MS));
    else
        snprintf(out, size, "%lld days", (long long)(ms / TPT_DAY_MS));
}

/* An empty answer: where the filters' newest call is, or how to record. */
static void print_empty(const struct ctx *c, const char *what)
{
    printf("%s\n", what);
    int64_t newest = 0;
    char err[TP_ERR_MAX];
    if (catalog_newest(c->s, &c->qa->q, &newest, err) != 0)
        return;
    const struct engine_window *w = &c->qa->q.w;
    int64_t now = w->open_end ? w->until_ms - 1 : c->qa->now_ms;
    if (!newest) {
        int any = c->qa->q.tool || c->qa->q.agent || c->qa->q.canonical || c->qa->q.project ||
                  c->qa->q.session;
        printf("%s%s%s\n", term_on(TS_YELLOW),
               any ? "nothing recorded matches these filters (toolprof tools, toolprof projects "
                     "and toolprof sessions list what is stored)"
                   : "nothing recorded yet: `toolprof install-hook` records every call as it "
                     "happens, `toolprof import` reads past Claude Code transcripts",
               term_off(TS_YELLOW));
        return;
    }
    if (newest >= w->since_ms && newest < w->until_ms)
        return; /* the data is in the window; what is asked for is not */
    char when[32], age[32];
    table_time(when, newest);
    age_text(now - newest, age, sizeof age);
    const char *win = catalog_window_for(newest, now);
    printf("%sthe newest call was at %s (%s %s): --window %s shows it%s\n", term_on(TS_YELLOW),
           when, age, newest <= now ? "ago" : "ahead", win, term_off(TS_YELLOW));
}

/* Items in a row, three spaces apart, on as many lines as the terminal's
 * width needs (an item is never split); styles may be NULL. */
static void print_items(const char *const *items, size_t n, const enum term_style *styles)
{
    size_t width = term_width(), col = 0, indent = strspn(items[0], " ");
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        for (const char *p = items[i]; *p; p++)
            len += ((unsigned char)*p & 0xC0) != 0x80;
        if (col && width && col + 3 + len > width) {
            /* A new line, indented as the first item. */
            printf("\n%*s", (int)indent, "");
            col = indent;
            printf("%s%s%s", term_on(styles ? styles[i] : TS_NONE), items[i],
                   term_off(styles ? styles[i] : TS_NONE));
            col += len;
            continue;
        }
        enum term_style st = styles ? styles[i] : TS_NONE;
        printf("%s%s%s%s", col ? "   " : "", term_on(st), items[i], term_off(st));
        col += (col ? 3 : 0) + len;
    }
    putchar('\n');
}

/* ---- the tables ------------------------------------------------------------ */

/* The answer of stats is the engine's stats_answer: its first member is
 * the stats (question.c). */
static void print_stats(const struct ctx *c, const void *answer)
{
    const struct stats *st = answer;
    enum engine_by by = (enum engine_by)c->qa->v[0];
    print_window(&st->w);
    if (!st->total) {
        print_empty(c, "no operations in this window");
        return;
    }
    char it[7][128], n[32], avg[32], med[32], p95[32], p99[32], ok[32], opt[32];
    table_count(n, st->total);
    table_ms(avg, st->timed ? st->avg_ms : NAN);
    table_ms(med, st->timed ? st->median_ms : NAN);
    table_ms(p95, st->timed ? st->p95_ms : NAN);
    table_ms(p99, st->timed ? st->p99_ms : NAN);
    table_pct(ok, (double)(st->total - st->failed) / (double)st->total * 100);
    snprintf(it[0], sizeof it[0], "operations %s", n);
    snprintf(it[1], sizeof it[1], "avg %s", avg);
    snprintf(it[2], sizeof it[2], "median %s", med);
    snprintf(it[3], sizeof it[3], "p95 %s", p95);
    snprintf(it[4], sizeof it[4], "p99 %s (%s)", p99, st->exact ? "exact" : "sketch, within 1%");
    print_items((const char *const[]){it[0], it[1], it[2], it[3], it[4]}, 5, NULL);
    snprintf(it[0], sizeof it[0], "slow (\xE2\x89\xA5 2 s) %llu", (unsigned long long)st->slow);
    snprintf(it[1], sizeof it[1], "critical (\xE2\x89\xA5 5 s) %llu",
             (unsigned long long)st->critical);
    snprintf(it[2], sizeof it[2], "success %s", ok);
    if (st->with_option) {
        char used[32], of[32];
        table_pct(opt, (double)st->used_option / (double)st->with_option * 100);
        table_count(used, st->used_option);
        table_count(of, st->with_option);
        snprintf(it[3], sizeof it[3], "optimized %.24s (%.24s of %.24s calls that had an option)",
                 opt, used, of);
    } else {
        snprintf(it[3], sizeof it[3], "optimized %s (no call had an option to use)", DASH);
    }
    const enum term_style styles[] = {st->slow ? TS_RED : TS_NONE, TS_NONE, TS_NONE, TS_NONE};
    print_items((const char *const[]){it[0], it[1], it[2], it[3]}, 4, styles);
    putchar('\n');
    /* Per tool, the agent's column only when another agent than the
     * default made calls. */
    int agents = 0;
    for (size_t i = 0; by == BY_TOOL && i < st->ntools; i++)
        agents |= strcmp(st->tools[i].agent, OP_AGENT_DEFAULT) != 0;
    const char *heads[] = {by == BY_AGENT       ? "agent"
                           : by == BY_CANONICAL ? "canonical"
                                                : "tool",
                           ">calls",
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
    table_cut(&t, 0, 12);
    table_optional(&t, 5, 2);
    table_optional(&t, 6, 1);
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
        table_ms(v[6], x->timed ? x->total_ms : none);
        table_pct(v[7], x->count ? (double)x->failed / (double)x->count * 100 : NAN);
        const char *row[] = {x->tool, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], x->agent};
        table_row(&t, row);
        if (x->timed && x->p95_ms >= TP_SLOW_MS)
            table_style(&t, 4, TS_RED);
        if (x->failed)
            table_style(&t, 8, TS_RED);
    }
    table_print(&t, stdout);
    table_free(&t);
}

/* "yes", "no", or "–" for a tool without an option to use. */
static const char *opt_text(const struct op *op)
{
    char canon[TP_MAX_TOOL + 16];
    taxonomy_canonical(op->agent, op->tool, canon, sizeof canon);
    return catalog_has_option(canon) ? (op->optimized ? "yes" : "no") : DASH;
}

static void print_ops(const struct op_list *l)
{
    static const char *const heads[] = {"time",   "tool",    ">duration", "status",
                                        "option", "session", "target"};
    struct table t;
    table_init(&t, 7, heads);
    table_cut(&t, 1, 12);
    table_cut(&t, 6, 16);
    table_optional(&t, 5, 2);
    table_optional(&t, 4, 1);
    for (size_t i = 0; i < l->n; i++) {
        const struct op *op = &l->items[i].op;
        char ts[32], d[32], sess[16];
        table_time(ts, op->ts_ms);
        table_ms(d, op->duration_ms);
        snprintf(sess, sizeof sess, "%.8s", op->session_id ? op->session_id : DASH);
        char tool[TP_MAX_TOOL + 48];
        if (op->agent && strcmp(op->agent, OP_AGENT_DEFAULT) != 0)
            snprintf(tool, sizeof tool, "%s (%s)", op->tool, op->agent);
        else
            snprintf(tool, sizeof tool, "%s", op->tool);
        const char *row[] = {ts,           tool, d,         op->success ? "ok" : "failed",
                             opt_text(op), sess, op->target};
        table_row(&t, row);
        if (op->duration_ms >= TP_SLOW_MS)
            table_style(&t, 2, TS_RED);
        if (!op->success)
            table_style(&t, 3, TS_RED);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void print_slow(const struct ctx *c, const void *answer)
{
    const struct op_list *l = answer;
    if (l->n) {
        print_ops(l);
        return;
    }
    char what[96], th[32];
    table_ms(th, c->qa->v[0]);
    snprintf(what, sizeof what, "no operations of %g ms or more in this window", c->qa->v[0]);
    (void)th;
    print_empty(c, what);
}

static void print_bottlenecks(const struct ctx *c, const void *answer)
{
    const struct bottlenecks *b = answer;
    if (!b->n)
        print_empty(c, "no timed operations in this window");
    for (size_t i = 0; i < b->n; i++) {
        printf("%s%s%s%s\n", i ? "\n" : "", term_on(TS_BOLD), b->groups[i].tool, term_off(TS_BOLD));
        print_ops(&b->groups[i].ops);
    }
}

static void print_hotspots(const struct ctx *c, const void *answer)
{
    const struct hotspots *h = answer;
    if (!h->n) {
        print_empty(c, "no operations in this window");
        return;
    }
    static const char *const heads[] = {"tool", ">calls", ">total",  ">share",
                                        ">avg", ">max",   ">failed", "target"};
    struct table t;
    table_init(&t, 8, heads);
    table_cut(&t, 0, 12);
    table_cut(&t, 7, 16);
    table_optional(&t, 5, 2);
    table_optional(&t, 6, 1);
    for (size_t i = 0; i < h->n; i++) {
        const struct hotspot *x = &h->items[i];
        char v[6][32];
        table_count(v[0], x->count);
        table_ms(v[1], x->total_ms);
        table_pct(v[2], x->share);
        table_ms(v[3], x->timed ? x->avg_ms : NAN);
        table_ms(v[4], x->timed ? x->max_ms : NAN);
        table_count(v[5], x->failed);
        const char *row[] = {x->tool, v[0], v[1], v[2], v[3], v[4], v[5], x->target};
        table_row(&t, row);
        if (x->failed)
            table_style(&t, 6, TS_RED);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void print_recs(const struct ctx *c, const void *answer)
{
    const struct recs *r = answer;
    if (!r->n) {
        struct stats st;
        char err[TP_ERR_MAX];
        /* "Nothing to recommend" means something only over calls. */
        if (engine_stats(c->s, &c->qa->q, &st, err) == 0 && st.total == 0) {
            stats_free(&st);
            print_empty(c, "no operations in this window, so nothing to recommend");
            return;
        }
        stats_free(&st);
        printf("no recommendations for this window\n");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct rec *x = &r->items[i];
        char t[32];
        enum term_style sev =
            x->severity == REC_CRITICAL || x->severity == REC_HIGH ? TS_RED : TS_YELLOW;
        printf("%s%s[%s]%s %s%s%s\n  %s\n  suggestion: %s\n", i ? "\n" : "", term_on(sev),
               rec_severity_name(x->severity), term_off(sev), term_on(TS_BOLD), x->title,
               term_off(TS_BOLD), x->description, x->suggestion);
        if (x->impact_time_ms > 0 || x->impact_tokens) {
            char tok[32];
            table_ms(t, x->impact_time_ms);
            table_count(tok, x->impact_tokens);
            printf("  impact: %s, ~%s tokens (estimated)\n", x->impact_time_ms > 0 ? t : "no time",
                   tok);
        }
        for (size_t k = 0; k < x->nevidence; k++) {
            const struct rec_evidence *e = &x->evidence[k];
            table_ms(t, e->duration_ms);
            printf("  - %s %s%s%s%s%.8s\n", e->tool, e->target ? e->target : "",
                   isnan(e->duration_ms) ? "" : "  ", isnan(e->duration_ms) ? "" : t,
                   e->session_id ? "  session " : "", e->session_id ? e->session_id : "");
        }
    }
}

static void print_trends(const struct ctx *c, const void *answer)
{
    const struct trends *tr = answer;
    const char *step = tr->step ? tr->step : "day";
    const char *heads[] = {step, ">calls", ">avg", ">p95", ">slow"};
    struct table t;
    uint64_t total = 0;
    table_init(&t, 5, heads);
    for (size_t i = 0; i < tr->n; i++) {
        const struct trend_day *d = &tr->days[i];
        char v[4][32];
        table_count(v[0], d->count);
        table_ms(v[1], d->timed ? d->avg_ms : NAN);
        table_ms(v[2], d->timed ? d->p95_ms : NAN);
        table_count(v[3], d->slow);
        const char *row[] = {d->label, v[0], v[1], v[2], v[3]};
        table_row(&t, row);
        if (d->slow)
            table_style(&t, 4, TS_RED);
        total += d->count;
    }
    table_print(&t, stdout);
    table_free(&t);
    if (!total)
        print_empty(c, "no operations in these points");
}

/* "slower" in red, "faster" in green. */
static enum term_style verdict_style(enum compare_verdict v)
{
    return v == CMP_SLOWER ? TS_RED : v == CMP_FASTER ? TS_GREEN : TS_DIM;
}

static double change(double a, double b)
{
    return isnan(a) || isnan(b) || b == 0 ? NAN : (a - b) / b * 100;
}

static void compare_row(struct table *t, const struct compare_row *r)
{
    char v[9][32], verdict[64] = "";
    table_count(v[0], r->base.count);
    table_count(v[1], r->cur.count);
    table_change(v[2], change((double)r->cur.count, (double)r->base.count));
    table_ms(v[3], r->base.p50_ms);
    table_ms(v[4], r->cur.p50_ms);
    table_change(v[5], change(r->cur.p50_ms, r->base.p50_ms));
    table_ms(v[6], r->base.p95_ms);
    table_ms(v[7], r->cur.p95_ms);
    table_change(v[8], change(r->cur.p95_ms, r->base.p95_ms));
    enum compare_verdict worst = r->p95 > r->p50 ? r->p95 : r->p50;
    if (r->p50 >= CMP_SLOWER || r->p95 >= CMP_SLOWER) {
        size_t len = 0;
        if (r->p50 >= CMP_SLOWER)
            len += (size_t)snprintf(verdict + len, sizeof verdict - len, "p50 %s",
                                    compare_verdict_name(r->p50));
        if (r->p95 >= CMP_SLOWER)
            snprintf(verdict + len, sizeof verdict - len, "%sp95 %s", len ? ", " : "",
                     compare_verdict_name(r->p95));
    } else {
        snprintf(verdict, sizeof verdict, "%s",
                 r->p50 == CMP_TOO_FEW ? "too few calls" : "no change");
    }
    char name[TP_MAX_TOOL + 48];
    if (r->agent && strcmp(r->agent, OP_AGENT_DEFAULT) != 0)
        snprintf(name, sizeof name, "%s (%s)", r->tool, r->agent);
    else
        snprintf(name, sizeof name, "%s", r->tool);
    const char *row[] = {name, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], verdict};
    table_row(t, row);
    table_style(t, 5, verdict_style(r->p50));
    table_style(t, 9, verdict_style(r->p95));
    table_style(t, 10,
                r->p95 == CMP_SLOWER || r->p50 == CMP_SLOWER ? TS_RED
                : worst == CMP_FASTER                        ? TS_GREEN
                                                             : TS_DIM);
}

static void print_compare(const struct ctx *c, const void *answer)
{
    (void)c;
    const struct comparison *x = answer;
    char a0[32], a1[32], b0[32], b1[32];
    table_time(a0, x->cur.since_ms);
    table_time(a1, x->cur.open_end ? x->cur.until_ms - 1 : x->cur.until_ms);
    table_time(b0, x->base.since_ms);
    table_time(b1, x->base.until_ms);
    printf("%snow    %s .. %s (%s)\nbefore %s .. %s (%s)%s\n", term_on(TS_DIM), a0, a1, x->cur.name,
           b0, b1, x->base.name, term_off(TS_DIM));
    if (!x->all.cur.count && !x->all.base.count) {
        print_empty(c, "no operations in either period");
        return;
    }
    static const char *const heads[] = {"tool",        ">before", ">now",    ">change",
                                        ">p50 before", ">p50",    ">change", ">p95 before",
                                        ">p95",        ">change", "latency"};
    struct table t;
    table_init(&t, 11, heads);
    table_cut(&t, 0, 12);
    table_optional(&t, 1, 3);
    table_optional(&t, 3, 4);
    table_optional(&t, 4, 2);
    table_optional(&t, 7, 1);
    compare_row(&t, &x->all);
    for (size_t i = 0; i < x->n; i++)
        compare_row(&t, &x->rows[i]);
    table_print(&t, stdout);
    table_free(&t);
    printf("%slatency is marked slower or faster only when the two periods' 95%% confidence\n"
           "intervals do not overlap and it moved by %.0f%% or more (%s percentiles)%s\n",
           term_on(TS_DIM), COMPARE_MIN_CHANGE * 100, x->exact ? "exact" : "sketch",
           term_off(TS_DIM));
}

static void print_resources(const struct ctx *c, const void *answer)
{
    (void)c;
    const struct resources *r = answer;
    char ops[32];
    table_count(ops, (unsigned long long)r->operations);
    printf("operations stored  %s\ndatabase           %.1f MB\nmemory (RSS)       %.1f MB\n"
           "cpu                %.1f%%\nthreads            %d\n",
           ops, (double)r->db_bytes / 1e6, r->memory_mb, r->cpu_percent, r->num_threads);
    if (r->store)
        printf("store              %s%s\n", r->store,
               r->team_store ? " (the team store: --person, --host, toolprof team)" : "");
    const struct spool_status *sp = &r->spool;
    printf("hook spool         %s%s%s, %lld bytes waiting\n",
           term_on(sp->drain_error ? TS_RED : TS_NONE), sp->drain_error ? "NOT DRAINING" : "ok",
           term_off(sp->drain_error ? TS_RED : TS_NONE), (long long)sp->pending_bytes);
    if (sp->drain_error)
        printf("  last drain       %s\n", sp->drain_message);
    if (sp->rejected_bytes > 0)
        printf("  set aside        %lld bytes in %s (in the data directory)\n",
               (long long)sp->rejected_bytes, SPOOL_REJECTS);
}

static void print_names(const struct ctx *c, const void *answer)
{
    const struct name_list *l = answer;
    if (!l->n)
        print_empty(c, "no tools in this window");
    for (size_t i = 0; i < l->n; i++)
        printf("%s\n", l->names[i]);
}

static void print_projects(const struct ctx *c, const void *answer)
{
    const struct projects *p = answer;
    if (!p->n) {
        print_empty(c, "no projects in this window");
        return;
    }
    static const char *const heads[] = {"name",   ">calls",      ">sessions", ">failed",
                                        ">total", "newest call", "path"};
    struct table t;
    table_init(&t, 7, heads);
    table_cut(&t, 0, 12);
    table_cut(&t, 6, 16);
    table_optional(&t, 4, 1);
    table_optional(&t, 3, 2);
    for (size_t i = 0; i < p->n; i++) {
        const struct project_item *x = &p->items[i];
        char v[5][32];
        table_count(v[0], x->calls);
        table_count(v[1], x->sessions);
        table_count(v[2], x->failed);
        table_ms(v[3], x->total_ms);
        if (x->last_ms)
            table_time(v[4], x->last_ms);
        else
            snprintf(v[4], sizeof v[4], DASH);
        const char *row[] = {x->name, v[0], v[1], v[2], v[3], v[4], x->path};
        table_row(&t, row);
        if (x->failed)
            table_style(&t, 3, TS_RED);
    }
    table_print(&t, stdout);
    table_free(&t);
}

static void print_sessions(const struct ctx *c, const void *answer)
{
    const struct sessions *x = answer;
    if (!x->n) {
        print_empty(c, "no sessions in this window");
        return;
    }
    static const char *const heads[] = {"start",  "session", "project", ">calls",
                                        ">wall",  ">model",  ">tools",  ">approvals",
                                        ">hooks", ">prompt", ">idle"};
    struct table tb;
    table_init(&tb, 11, heads);
    table_cut(&tb, 2, 12);
    /* Left out first to last: prompt, hooks, model, idle, tools. */
    table_optional(&tb, 9, 5);
    table_optional(&tb, 8, 4);
    table_optional(&tb, 5, 3);
    table_optional(&tb, 10, 2);
    table_optional(&tb, 6, 1);
    for (size_t i = 0; i < x->n; i++) {
        const struct session_item *it = &x->items[i];
        char v[10][48];
        table_time(v[0], it->first_ms);
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
        if (it->failed)
            table_style(&tb, 3, TS_RED);
    }
    table_print(&tb, stdout);
    table_free(&tb);
    if (x->more)
        printf("(the latest %zu sessions; --limit N for more)\n", x->n);
    printf("%sapprovals include the wall time of calls that may have waited for one\n"
           "(their split is not known); `toolprof session ID` lays one session on the clock%s\n",
           term_on(TS_DIM), term_off(TS_DIM));
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

/* "  tokens 2,100 in   420 out   0 cache read   0 cache write   $0.0120
 * from the model requests": what a session used, when any source said,
 * wrapped to the terminal's width like the line above it. */
static void print_tokens(const struct session_item *it)
{
    if (!it->tokens_from)
        return;
    const int64_t v[] = {it->input_tokens, it->output_tokens, it->cache_read_tokens,
                         it->cache_write_tokens};
    const char *const names[] = {"in", "out", "cache read", "cache write"};
    char parts[7][64];
    const char *items[7];
    size_t n = 0;
    for (int k = 0; k < 4; k++) {
        if (v[k] < 0)
            continue;
        char num[32];
        table_count(num, (unsigned long long)v[k]); /* as the page writes counts */
        snprintf(parts[n], sizeof parts[n], "%s%s %s", n ? "" : "  tokens ", num, names[k]);
        items[n] = parts[n];
        n++;
    }
    if (!isnan(it->cost_usd)) {
        snprintf(parts[n], sizeof parts[n], "%s$%.4f", n ? "" : "  cost ", it->cost_usd);
        items[n] = parts[n];
        n++;
    }
    snprintf(parts[n], sizeof parts[n], "%sfrom %s", n ? "" : "  usage ",
             strcmp(it->tokens_from, "metrics") == 0 ? "the agent's usage counters"
                                                     : "the model requests");
    items[n] = parts[n];
    n++;
    print_items(items, n, NULL);
}

static void print_session(const struct ctx *c, const void *answer)
{
    (void)c;
    const struct session_detail *d = answer;
    const struct session_item *it = &d->s;
    char a[32], dur[32];
    table_time(a, it->first_ms);
    table_ms(dur, it->split.wall_ms);
    printf("%ssession %s%s\n", term_on(TS_BOLD), it->id, term_off(TS_BOLD));
    char top[4][96];
    snprintf(top[0], sizeof top[0], "  %s", a);
    snprintf(top[1], sizeof top[1], "%s", dur);
    snprintf(top[2], sizeof top[2], "%llu calls (%llu failed, %llu in sub-agents)",
             (unsigned long long)it->calls, (unsigned long long)it->failed,
             (unsigned long long)it->sub_calls);
    snprintf(top[3], sizeof top[3], "%llu model requests", (unsigned long long)it->requests);
    print_items((const char *const[]){top[0], top[1], top[2], top[3]}, 4, NULL);
    if (it->project)
        printf("  project %s\n", it->project);
    print_tokens(it);
    char parts[SPLIT_PARTS + 1][64];
    const char *items[SPLIT_PARTS + 1];
    size_t np = 0;
    snprintf(parts[np], sizeof parts[np], "  where the time went:");
    items[np] = parts[np];
    np++;
    for (int p = 0; p < SPLIT_PARTS; p++) {
        if (it->split.ms[p] <= 0)
            continue;
        char pc[32];
        table_ms(dur, it->split.ms[p]);
        table_pct(pc, it->split.wall_ms > 0 ? it->split.ms[p] / it->split.wall_ms * 100 : NAN);
        snprintf(parts[np], sizeof parts[np], "%.12s %.24s (%.16s)",
                 split_part_name((enum split_part)p), dur, pc);
        items[np] = parts[np];
        np++;
    }
    print_items(items, np, NULL);
    putchar('\n');
    /* The bars take what the terminal leaves beside the text; the target
     * the rest, cut in the middle. */
    size_t tw = term_width();
    int width = tw ? (tw >= 100 ? 40 : tw >= 80 ? 20 : 12) : 40;
    double t1 = it->split.wall_ms;
    for (size_t i = 0; i < d->ncalls; i++)
        if (d->calls[i].end_ms > t1)
            t1 = d->calls[i].end_ms;
    for (size_t i = 0; i < d->ncalls; i++) {
        const struct session_call *sc = &d->calls[i];
        char bar[64], off[32], exec[32], wait[32], head[256];
        call_bar(sc, 0, t1, width, bar);
        table_ms(off, sc->start_ms);
        table_ms(exec, sc->op.duration_ms);
        table_ms(wait, sc->op.wait_ms);
        int waited = !isnan(sc->op.wait_ms) && sc->op.wait_ms > 0;
        snprintf(head, sizeof head, "%10s %s|%s| %-12.12s %11s%s%s", off, sc->lane ? "  " : "", bar,
                 sc->op.tool, exec, waited ? " wait " : "", waited ? wait : "");
        const char *target = sc->op.target ? sc->op.target : "";
        size_t used = table_text_width(head) + (sc->op.success ? 0 : 7) + 2;
        /* At least a few characters of the target, else only "…". */
        size_t room = tw ? (tw > used + 6 ? tw - used : 1) : 0;
        char *cut = room ? table_cut_text(target, room) : NULL;
        printf("%s%s%s%s  %s\n", head, term_on(sc->op.success ? TS_NONE : TS_RED),
               sc->op.success ? "" : " FAILED", term_off(sc->op.success ? TS_NONE : TS_RED),
               cut ? cut : target);
        free(cut);
    }
    printf("\n%sbars: h hooks, w waiting for you, # execution, ? wall time, split unknown%s\n",
           term_on(TS_DIM), term_off(TS_DIM));
}

typedef void (*print_fn)(const struct ctx *c, const void *answer);

static const struct {
    const char *name;
    print_fn print;
} printers[] = {
    {"stats", print_stats},
    {"slow", print_slow},
    {"bottlenecks", print_bottlenecks},
    {"hotspots", print_hotspots},
    {"recommend", print_recs},
    {"trends", print_trends},
    {"compare", print_compare},
    {"resources", print_resources},
    {"tools", print_names},
    {"projects", print_projects},
    {"sessions", print_sessions},
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

/* An option's name on the command line: dashes for underscores. */
static void dashed(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s", name);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

static void help_one(void *ctx, const char *name, const char *metavar, const char *help,
                     const char *def)
{
    (void)def;
    struct help_ctx *h = ctx;
    char left[64], opt[48];
    dashed(name, opt, sizeof opt);
    snprintf(left, sizeof left, "--%s %s", opt, metavar);
    fprintf(h->fp, "  %-26s %s\n", left, help);
}

static void question_help(const struct question *qn, FILE *fp)
{
    char usage[512];
    question_usage(qn, usage, sizeof usage);
    for (char *p = usage; *p; p++)
        if (*p == '_')
            *p = '-';
    fprintf(fp, "usage: toolprof %s%s%s%s%s [--json]\n\n%s\n\noptions:\n", qn->name,
            qn->path_param ? " " : "", qn->path_param ? "ID" : "", usage[0] ? " " : "", usage,
            qn->description);
    struct help_ctx h = {fp};
    question_each_param(qn, help_one, &h);
    fprintf(fp, "  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n", "--json",
            "print JSON (the API's data object)", "--no-color",
            "no colour (also NO_COLOR=1, or when not a terminal)", "--data-dir DIR",
            "where the database lives", "--help", "show this help");
    fprintf(fp, "\nexit status: 0 answered (an empty window too), 1 failed (or a filter names\n"
                "nothing recorded), 2 usage error\n");
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
    int json = 0, help, no_color = 0, status = CLI_OK;
    struct args_pair *pairs = NULL;
    size_t npairs = 0;
    const struct opt opts[] = {{"json", OPT_FLAG, &json, NULL, NULL},
                               {"no-color", OPT_FLAG, &no_color, NULL, NULL},
                               {"data-dir", OPT_STR, &dir, "DIR", NULL},
                               {0}};
    char **pos = NULL;
    int npos = 0;
    if (args_parse_pairs(argc, argv, opts, &help, qn->path_param ? &pos : NULL,
                         qn->path_param ? &npos : NULL, &pairs, &npairs, err) != 0) {
        args_pairs_free(pairs, npairs);
        free(pos);
        return cli_error(qn->name, CLI_USAGE, "%s", err);
    }
    if (no_color)
        term_init(1);
    if (help) {
        args_pairs_free(pairs, npairs);
        free(pos);
        question_help(qn, stdout);
        return CLI_OK;
    }
    struct question_input *in = xcalloc(npairs + 2, sizeof *in);
    struct question_args *qa = xcalloc(1, sizeof *qa);
    size_t nin = 0;
    int rc = 0;
    for (size_t i = 0; i < npairs && rc == 0; i++) {
        /* --baseline-since is the parameter baseline_since. */
        for (char *p = pairs[i].name; *p; p++)
            if (*p == '-')
                *p = '_';
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
        rc = question_parse(qn, in, nin, tpt_now_ms(), qa, err);
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
    if ((rc = question_run(qn, s, qa, &answer, err)) != 0) {
        store_close(s);
        /* Parameters that do not go together, or a name that fits several
         * stored ones, are the caller's to fix. */
        status = cli_error(qn->name, rc == TP_EINVAL ? CLI_USAGE : CLI_FAIL, "%s", err);
        goto out;
    }
    if (json) {
        const void *arg[2] = {qn, answer};
        status = cli_print_json(json_answer, arg);
    } else {
        struct ctx c = {s, qa};
        printer(qn)(&c, answer);
    }
    qn->free_answer(answer);
    store_close(s);
out:
    free(qa);
    free(in);
    free(pos);
    args_pairs_free(pairs, npairs);
    return status;
}
