/*
 * analyzer.c - recommendations from fixed rules over the rollups.
 *
 * The original dashboard's BottleneckAnalyzer ran its rules over the
 * newest 100 slow calls. Here every rule reads counters the store keeps for
 * the whole window (rollups count slow, critical, optimized and "attention"
 * calls per tool; a per-session table counts repeated reads), so a rule sees
 * all the calls of the window at the cost of a few rollup rows, and a
 * bounded scan then fetches a few real calls as evidence.
 *
 * The rules, in the original's order (their ids in parentheses):
 *   A1 large reads without offset/limit (large-read), A2 slow writes
 *   (slow-write), B1/B2 files read 3+ times in one session
 *   (repeated-reads, top-repeated-reads), C1 slow Bash commands
 *   (slow-bash), C2 Bash commands that have a dedicated tool
 *   (shell-dedicated-tool), D1 Grep without head_limit
 *   (grep-no-head-limit), D2 slow Grep (slow-grep), E1/E2 a regression or
 *   improvement between the two halves of the window
 *   (regression, improvement).
 * Faults of the original fixed here: no division by zero (E needs a
 * non-zero baseline), shell commands matched by command word and only where
 * a pipeline starts (op_shell_dedicated_word: `concatenate` is not `cat`,
 * `git log | head` is fine), repeated reads counted per session and only for
 * full reads (paging with offset/limit is the advice, not the fault),
 * thresholds consistent with the rest of toolprof (slow >= 2 s), and each
 * recommendation carries evidence and an impact estimate.
 *
 * Token estimates use 4 bytes per token, the usual rule of thumb for code
 * and English text; the output says "estimated".
 */
#include "analyzer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "permits.h"

#define BYTES_PER_TOKEN 4
#define TARGET_READ_BYTES 20000 /* about 500 lines: what a focused read returns */
#define EVIDENCE_MAX 5

const char *rec_severity_name(enum rec_severity s)
{
    switch (s) {
    case REC_CRITICAL: return "critical";
    case REC_HIGH: return "high";
    case REC_MEDIUM: return "medium";
    case REC_LOW: return "low";
    }
    return "low";
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    struct buf b;
    va_list ap;
    buf_init(&b, 64 * 1024);
    va_start(ap, f);
    buf_vprintf(&b, f, ap);
    va_end(ap);
    return buf_steal(&b, NULL);
}

static struct rec *rec_add(struct recs *r, size_t *alloc, const char *rule, const char *type,
                           enum rec_severity sev)
{
    if (r->n == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 8;
        r->items = xreallocarray(r->items, *alloc, sizeof *r->items);
    }
    struct rec *x = &r->items[r->n++];
    memset(x, 0, sizeof *x);
    x->rule = rule;
    x->type = type;
    x->severity = sev;
    return x;
}

/* "1.5 s", "820 ms", "3.2 min" */
static void human_ms(double ms, char *out, size_t n)
{
    if (ms >= 120000)
        snprintf(out, n, "%.1f min", ms / 60000);
    else if (ms >= 1000)
        snprintf(out, n, "%.1f s", ms / 1000);
    else
        snprintf(out, n, "%.0f ms", ms);
}

/* ---- evidence ------------------------------------------------------------------ */

struct ev_ctx {
    struct rec *x;
    size_t max;
    struct kmap seen; /* targets already listed */
};

static int ev_row(void *ctx, const struct store_row *r)
{
    struct ev_ctx *c = ctx;
    if (c->x->nevidence >= c->max)
        return 1;
    const char *t = r->op.target ? r->op.target : "";
    int added;
    kmap_put(&c->seen, t, strlen(t), &added);
    if (!added)
        return 0; /* one example per target */
    struct rec_evidence *e = &c->x->evidence[c->x->nevidence++];
    e->tool = xstrdup(r->op.tool);
    e->target = r->op.target ? xstrdup(r->op.target) : NULL;
    e->tool_use_id = r->op.tool_use_id ? xstrdup(r->op.tool_use_id) : NULL;
    e->session_id = r->op.session_id ? xstrdup(r->op.session_id) : NULL;
    e->count = 1;
    e->duration_ms = r->op.duration_ms;
    return 0;
}

/* Up to EVIDENCE_MAX recent calls of tool (newest hours first) that are
 * at least min_ms long and/or carry the attention flag. */
static void evidence(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                     int64_t tool, double min_ms, int attention, struct rec *x)
{
    x->evidence = xcalloc(EVIDENCE_MAX, sizeof *x->evidence);
    struct ev_ctx c = {x, EVIDENCE_MAX, {0}};
    kmap_init(&c.seen);
    struct store_scan sc = {.from_ms = a,
                            .to_ms = b,
                            .f = *f,
                            .min_duration_ms = min_ms,
                            .attention = attention,
                            .desc = 1};
    sc.f.tool = tool;
    sc.f.ntools = 0;
    store_scan(s, &sc, ev_row, &c);
    kmap_free(&c.seen);
}

/* Evidence for Grep calls without head_limit (no rollup flag marks them:
 * scan the newest hours, bounded). */
struct grep_ctx {
    struct ev_ctx ev;
    size_t scanned;
};

static int grep_row(void *ctx, const struct store_row *r)
{
    struct grep_ctx *g = ctx;
    if (++g->scanned > 20000)
        return 1;
    if (r->op.optimized)
        return 0;
    return ev_row(&g->ev, r);
}

/* ---- the rules -------------------------------------------------------------------- */

struct tool_totals {
    const struct agg *read, *write, *bash, *grep;
    int64_t read_id, write_id, bash_id, grep_id;
};

static const struct agg *find_tool(struct store *s, const int64_t *ids, const struct agg *aggs,
                                   size_t n, const char *name, int64_t *id)
{
    *id = store_str_id(s, name);
    for (size_t i = 0; *id && i < n; i++)
        if (ids[i] == *id)
            return &aggs[i];
    return NULL;
}

static void rule_large_read(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                            const struct tool_totals *t, struct recs *out, size_t *alloc)
{
    if (!t->read || !t->read->attention)
        return;
    uint64_t k = t->read->attention;
    double mb = (double)t->read->attention_bytes / (1024.0 * 1024.0);
    struct rec *x = rec_add(out, alloc, "large-read", "optimization", REC_HIGH);
    evidence(s, f, a, b, t->read_id, 0, OP_ATTN_LARGE_READ, x);
    x->title = fmt("%llu large file read%s without offset/limit", (unsigned long long)k,
                   k == 1 ? "" : "s");
    x->description =
        fmt("%llu Read call%s returned files over 100 KB whole (%.1f MB in total), and all of it "
            "went into the context window.",
            (unsigned long long)k, k == 1 ? "" : "s", mb);
    x->suggestion = xstrdup("Read large files in slices: pass offset and limit to the Read tool "
                            "(about 500 lines at a time), or Grep for the part you need first "
                            "and read around the match.");
    x->example = xstrdup("Read(file_path=\"src/big_module.py\", offset=1, limit=500)\n"
                         "Grep(pattern=\"def handle_request\", path=\"src/big_module.py\", "
                         "output_mode=\"content\", -n=true)\n"
                         "Read(file_path=\"src/big_module.py\", offset=1200, limit=120)");
    int64_t excess = (int64_t)t->read->attention_bytes - (int64_t)k * TARGET_READ_BYTES;
    x->impact_tokens = excess > 0 ? (uint64_t)excess / BYTES_PER_TOKEN : 0;
}

static void rule_slow_write(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                            const struct tool_totals *t, struct recs *out, size_t *alloc)
{
    if (!t->write || !t->write->slow)
        return;
    uint64_t k = t->write->slow;
    struct rec *x = rec_add(out, alloc, "slow-write", "warning", REC_MEDIUM);
    evidence(s, f, a, b, t->write_id, TP_SLOW_MS, 0, x);
    x->title = fmt("%llu slow file write%s", (unsigned long long)k, k == 1 ? "" : "s");
    x->description = fmt("%llu Write call%s took 2 s or more: large files rewritten whole, or a "
                         "slow disk.",
                         (unsigned long long)k, k == 1 ? "" : "s");
    x->suggestion = xstrdup("Change existing files with the Edit tool, which sends only the "
                            "changed text, instead of rewriting them with Write; split very "
                            "large generated files.");
    x->example = xstrdup("Edit(file_path=\"app.py\", old_string=\"timeout=30\", "
                         "new_string=\"timeout=60\")\n# instead of\n"
                         "Write(file_path=\"app.py\", content=\"<the whole file>\")");
    x->impact_time_ms = t->write->slow_sum_ms;
}

struct reread_ctx {
    struct reread v[EVIDENCE_MAX];
    size_t n;
};

static int reread_row(void *ctx, const struct reread *r)
{
    struct reread_ctx *c = ctx;
    c->v[c->n++] = *r;
    return c->n >= EVIDENCE_MAX;
}

/* A count as the page and the command line write it: 812,182. */
static const char *count_text(char out[32], uint64_t n)
{
    char tmp[24];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
    return out;
}

static void rule_rereads(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                         struct recs *out, size_t *alloc)
{
    struct reread_ctx c = {.n = 0};
    struct reread_totals tot;
    if (store_rereads(s, a, b, f, EVIDENCE_MAX, &tot, reread_row, &c) != 0 || !tot.pairs)
        return;
    /* Every read after the first brought the same content again. */
    uint64_t tokens = tot.repeat_bytes / BYTES_PER_TOKEN;
    size_t files = (size_t)tot.pairs;
    struct rec *x = rec_add(out, alloc, "repeated-reads", "optimization", REC_HIGH);
    char nreads[32], ntokens[32];
    x->title = fmt("%zu file%s read 3+ times in one session (%s reads)", files,
                   files == 1 ? "" : "s", count_text(nreads, tot.reads));
    x->description = fmt("%zu file%s read whole three or more times within the same session; every "
                         "repeat puts the same text into the context again (estimated ~%s tokens).",
                         files, files == 1 ? " was" : "s were each", count_text(ntokens, tokens));
    x->suggestion = xstrdup("Keep what a file says in the conversation instead of re-reading "
                            "it: read once, note the parts that matter, and re-read only the "
                            "lines you changed (Read with offset/limit). For files you consult "
                            "all the time, put the essentials in CLAUDE.md.");
    x->example = xstrdup("Read(file_path=\"src/config.ts\")            # once\n"
                         "Read(file_path=\"src/config.ts\", offset=40, limit=30)  "
                         "# later, only the part you edited");
    x->impact_tokens = tokens;
    x->impact_time_ms = tot.repeat_ms;
    x->evidence = xcalloc(c.n ? c.n : 1, sizeof *x->evidence);
    struct buf listing;
    buf_init(&listing, 64 * 1024);
    buf_adds(&listing, "Files read most often in one session:");
    for (size_t i = 0; i < c.n; i++) {
        const struct reread *r = &c.v[i];
        struct rec_evidence *e = &x->evidence[x->nevidence++];
        const char *target = store_str(s, r->target);
        const char *session = store_str(s, r->session);
        e->tool = xstrdup("Read");
        e->target = target ? xstrdup(target) : NULL;
        e->session_id = session ? xstrdup(session) : NULL;
        e->count = r->reads;
        e->duration_ms = NAN;
        buf_printf(&listing, "\n  - %s: %llu reads", target ? target : "?",
                   (unsigned long long)r->reads);
    }
    /* B2, the original's companion record: the top files as a list. */
    struct rec *y = rec_add(out, alloc, "top-repeated-reads", "info", REC_LOW);
    y->title = xstrdup("Top repeated file reads");
    y->description = buf_steal(&listing, NULL);
    y->suggestion = xstrdup("Start with these files: they cost the most repeated context.");
    y->example = xstrdup("");
}

static void rule_slow_bash(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                           const struct tool_totals *t, struct recs *out, size_t *alloc)
{
    if (!t->bash || !t->bash->slow)
        return;
    uint64_t k = t->bash->slow, crit = t->bash->critical;
    struct rec *x = rec_add(out, alloc, "slow-bash", "warning", crit ? REC_MEDIUM : REC_LOW);
    evidence(s, f, a, b, t->bash_id, TP_SLOW_MS, 0, x);
    char total[32];
    double ms = t->bash->slow_sum_ms;
    human_ms(ms, total, sizeof total);
    x->title = fmt("%llu slow Bash command%s", (unsigned long long)k, k == 1 ? "" : "s");
    x->description = fmt("%llu Bash command%s took 2 s or more (%llu over 5 s), %s in all; the "
                         "agent waits for each one before doing anything else.",
                         (unsigned long long)k, k == 1 ? "" : "s", (unsigned long long)crit, total);
    x->suggestion = xstrdup("Run long commands (installs, builds, test suites, servers) with "
                            "run_in_background and keep working; collect the output later with "
                            "BashOutput. Narrow test runs to the files you changed.");
    x->example = xstrdup("Bash(command=\"npm install\", run_in_background=true)\n"
                         "# ...other work...\nBashOutput(bash_id=\"<id returned above>\")");
    x->impact_time_ms = ms;
}

static int word_row(void *ctx, const struct store_row *r)
{
    const char *w = r->op.target ? op_shell_dedicated_word(r->op.target) : NULL;
    if (w) {
        int added;
        kmap_put(ctx, w, strlen(w), &added);
    }
    return 0;
}

static void rule_shell_tools(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                             const struct tool_totals *t, struct recs *out, size_t *alloc)
{
    if (!t->bash || !t->bash->attention)
        return;
    uint64_t k = t->bash->attention;
    struct rec *x = rec_add(out, alloc, "shell-dedicated-tool", "optimization", REC_MEDIUM);
    evidence(s, f, a, b, t->bash_id, 0, OP_ATTN_SHELL_TOOL, x);
    /* Which programs: from the evidence (bounded). */
    struct kmap words;
    kmap_init(&words);
    for (size_t i = 0; i < x->nevidence; i++) {
        struct store_row r;
        memset(&r, 0, sizeof r);
        r.op.target = x->evidence[i].target;
        word_row(&words, &r);
    }
    struct buf list;
    buf_init(&list, 1024);
    for (size_t i = 0; i < words.n; i++) {
        size_t len;
        const char *w = kmap_key(&words, i, &len);
        buf_printf(&list, "%s%.*s", i ? ", " : "", (int)len, w);
    }
    kmap_free(&words);
    x->title = fmt("%llu Bash command%s that %s a dedicated tool", (unsigned long long)k,
                   k == 1 ? "" : "s", k == 1 ? "has" : "have");
    x->description = fmt("%llu Bash command%s started with a program that Claude Code has a "
                         "built-in tool for (%s). The built-in tools cap and structure their "
                         "output and need no shell permission prompt.",
                         (unsigned long long)k, k == 1 ? "" : "s", list.data ? list.data : "");
    buf_free(&list);
    x->suggestion = xstrdup("Use Grep instead of grep/rg, Glob instead of find, and Read "
                            "(with offset/limit) instead of cat/head/tail.");
    x->example = xstrdup("# instead of Bash(\"grep -rn TODO src\")\n"
                         "Grep(pattern=\"TODO\", path=\"src\", output_mode=\"content\", "
                         "head_limit=50)\n"
                         "# instead of Bash(\"find . -name '*.test.ts'\")\n"
                         "Glob(pattern=\"**/*.test.ts\")\n"
                         "# instead of Bash(\"head -100 log.txt\")\n"
                         "Read(file_path=\"log.txt\", limit=100)");
}

static void rule_grep(struct store *s, const struct store_filter *f, int64_t a, int64_t b,
                      const struct tool_totals *t, struct recs *out, size_t *alloc)
{
    if (!t->grep)
        return;
    uint64_t unlimited = t->grep->n - t->grep->optimized;
    if (unlimited) {
        struct rec *x = rec_add(out, alloc, "grep-no-head-limit", "optimization", REC_MEDIUM);
        x->evidence = xcalloc(EVIDENCE_MAX, sizeof *x->evidence);
        struct grep_ctx g = {{x, EVIDENCE_MAX, {0}}, 0};
        kmap_init(&g.ev.seen);
        struct store_scan sc = {.from_ms = a, .to_ms = b, .f = *f, .desc = 1};
        sc.f.tool = t->grep_id;
        sc.f.ntools = 0;
        store_scan(s, &sc, grep_row, &g);
        kmap_free(&g.ev.seen);
        x->title = fmt("%llu Grep call%s without head_limit", (unsigned long long)unlimited,
                       unlimited == 1 ? "" : "s");
        x->description = fmt("%llu of %llu Grep calls set no head_limit; a broad pattern can "
                             "return hundreds of matches into the context.",
                             (unsigned long long)unlimited, (unsigned long long)t->grep->n);
        x->suggestion = xstrdup("Give Grep a head_limit (start around 20 to 50) and raise it only "
                                "when the first page is not enough; narrow with glob or type.");
        x->example = xstrdup("Grep(pattern=\"useAuth\", glob=\"src/**/*.tsx\", head_limit=30)");
    }
    if (t->grep->slow) {
        uint64_t k = t->grep->slow;
        struct rec *x = rec_add(out, alloc, "slow-grep", "warning", REC_LOW);
        evidence(s, f, a, b, t->grep_id, TP_SLOW_MS, 0, x);
        x->title = fmt("%llu slow Grep call%s", (unsigned long long)k, k == 1 ? "" : "s");
        x->description = fmt("%llu Grep call%s took 2 s or more: the pattern or the search "
                             "space is too broad.",
                             (unsigned long long)k, k == 1 ? "" : "s");
        x->suggestion = xstrdup("Search a narrower path, add glob or type filters, and make the "
                                "pattern more specific.");
        x->example = xstrdup("Grep(pattern=\"class PaymentService\", path=\"src/billing\", "
                             "type=\"py\", head_limit=20)\n# instead of\n"
                             "Grep(pattern=\"Payment\")");
        x->impact_time_ms = t->grep->slow_sum_ms;
    }
}

static int half_avg(struct store *s, const struct engine_query *q, int64_t a, int64_t b,
                    uint64_t *n, double *avg)
{
    char err[TP_ERR_MAX];
    double sum;
    if (engine_timed_sum(s, q, a, b, n, &sum, err) != 0)
        return -1;
    *avg = *n ? sum / (double)*n : 0;
    return 0;
}

static void rule_trend(struct store *s, const struct engine_query *q, struct recs *out,
                       size_t *alloc)
{
    int64_t a = q->w.since_ms, b = q->w.until_ms;
    struct store_info info;
    store_info(s, &info);
    if (info.operations && info.first_ms > a)
        a = info.first_ms; /* "all": split the stored history, not 2000..now */
    if (b - a < 2)
        return;
    int64_t mid = a + (b - a) / 2;
    /* On an hour, when the window is long enough not to care: both halves
     * then come from rollups, without a raw partial hour in the middle. */
    const int64_t hour = rollup_width_ms[ROLLUP_HOUR];
    if (b - a >= 48 * hour)
        mid = mid / hour * hour;
    uint64_t ne, nr;
    double e, r;
    if (half_avg(s, q, a, mid, &ne, &e) != 0 || half_avg(s, q, mid, b, &nr, &r) != 0)
        return;
    /* At least 20 timed calls, 10 in each half, and a baseline that is not
     * zero: the original divided by it unchecked. */
    if (ne + nr < 20 || ne < 10 || nr < 10 || e <= 0)
        return;
    char before[32], after[32];
    human_ms(e, before, sizeof before);
    human_ms(r, after, sizeof after);
    if (r > e * 1.2) {
        struct rec *x = rec_add(out, alloc, "regression", "warning", REC_HIGH);
        x->title = xstrdup("Performance regression");
        x->description =
            fmt("Calls in the second half of the window average %s, %.1f%% slower "
                "than the %s of the first half (%llu and %llu calls).",
                after, (r - e) / e * 100, before, (unsigned long long)nr, (unsigned long long)ne);
        x->suggestion = xstrdup("Look at what changed: the hotspots and slow operations of the "
                                "second half, larger files being read, broader searches, and "
                                "options (offset/limit, head_limit) no longer used.");
        x->example = xstrdup("toolprof hotspots --window 24h\ntoolprof slow --window 24h");
        x->impact_time_ms = (r - e) * (double)nr;
    } else if (r < e * 0.8) {
        struct rec *x = rec_add(out, alloc, "improvement", "info", REC_LOW);
        x->title = xstrdup("Performance improvement");
        x->description =
            fmt("Calls in the second half of the window average %s, %.1f%% faster "
                "than the %s of the first half (%llu and %llu calls).",
                after, (e - r) / e * 100, before, (unsigned long long)nr, (unsigned long long)ne);
        x->suggestion = xstrdup("Whatever changed is working; keep it.");
        x->example = xstrdup("");
    }
}

/* Severity order only: ties keep the rules' order, because the sort below
 * is a stable insertion sort. */
/* ---- approvals: the prompts you answer most, and the rules that would
 * spare them ---------------------------------------------------------------------- */

struct permit_sum {
    char rule[256];
    const char *tool;
    uint64_t prompts;
    double wait_ms;
};

static int cmp_permit(const void *a, const void *b)
{
    const struct permit_sum *x = a, *y = b;
    if (x->wait_ms != y->wait_ms)
        return x->wait_ms < y->wait_ms ? 1 : -1;
    return x->prompts < y->prompts ? 1 : x->prompts > y->prompts ? -1 : 0;
}

#define PERMIT_MAX_RULES 5
#define PERMIT_MIN_PROMPTS 3

/* The calls of the window that asked the person, from the rollups: at
 * least the prompts the rule counts from the hotspots, which a window that
 * ends now reads to the end of today (a call from a clock ahead of ours),
 * past the end of the hour the rollups are read to. */
static uint64_t window_asked(struct store *s, const struct engine_query *q, const struct agg *aggs,
                             size_t n)
{
    uint64_t asked = 0;
    for (size_t i = 0; i < n; i++)
        asked += aggs[i].asked;
    if (q->w.open_end && !q->session) {
        const int64_t hour = rollup_width_ms[ROLLUP_HOUR], day = rollup_width_ms[ROLLUP_DAY];
        int64_t from = tpt_ceil_to(q->w.until_ms, hour), to = tpt_ceil_to(q->w.until_ms, day);
        char err[TP_ERR_MAX];
        int64_t *ids;
        struct agg *more;
        size_t k;
        if (from < to && engine_collect(s, q, from, to, &ids, &more, &k, err) == 0) {
            for (size_t i = 0; i < k; i++) {
                asked += more[i].asked;
                agg_free(&more[i]);
            }
            free(ids);
            free(more);
        }
    }
    return asked;
}

static void rule_approvals(struct store *s, const struct engine_query *q, const struct agg *aggs,
                           size_t n, struct recs *out, size_t *alloc)
{
    char err[TP_ERR_MAX];
    struct hotspots h;
    /* The rule needs PERMIT_MIN_PROMPTS prompts: without them, ranking
     * every target of the window (a year's at "all") finds nothing. */
    if (window_asked(s, q, aggs, n) < PERMIT_MIN_PROMPTS)
        return;
    if (engine_hotspots(s, q, TP_MAX_LIMIT, &h, err) != 0)
        return;
    struct permit_sum *v = xcalloc(h.n ? h.n : 1, sizeof *v);
    size_t nv = 0;
    uint64_t prompts = 0, kept = 0;
    double wait = 0, kept_wait = 0;
    for (size_t i = 0; i < h.n; i++) {
        const struct hotspot *x = &h.items[i];
        if (!x->asked)
            continue;
        prompts += x->asked;
        wait += x->wait_ms;
        char rule[256];
        if (!permit_rule(x->tool, x->target, x->project, rule, sizeof rule)) {
            kept += x->asked;
            kept_wait += x->wait_ms;
            continue;
        }
        size_t k = 0;
        while (k < nv && strcmp(v[k].rule, rule) != 0)
            k++;
        if (k == nv) {
            snprintf(v[nv].rule, sizeof v[nv].rule, "%s", rule);
            v[nv++].tool = x->tool;
        }
        v[k].prompts += x->asked;
        v[k].wait_ms += x->wait_ms;
    }
    qsort(v, nv, sizeof *v, cmp_permit);
    size_t take = 0;
    double spared = 0;
    uint64_t spared_prompts = 0;
    while (take < nv && take < PERMIT_MAX_RULES && v[take].prompts >= 2) {
        spared += v[take].wait_ms;
        spared_prompts += v[take].prompts;
        take++;
    }
    if (prompts >= PERMIT_MIN_PROMPTS && take) {
        char w[32], sw[32];
        human_ms(wait, w, sizeof w);
        human_ms(spared, sw, sizeof sw);
        enum rec_severity sev = spared >= 600000  ? REC_HIGH
                                : spared >= 60000 ? REC_MEDIUM
                                                  : REC_LOW;
        struct rec *x = rec_add(out, alloc, "approvals", "optimization", sev);
        x->title = fmt("%llu permission prompt%s answered (%s of waiting)",
                       (unsigned long long)prompts, prompts == 1 ? "" : "s", w);
        struct buf rules, json;
        buf_init(&rules, 4096);
        buf_init(&json, 4096);
        buf_adds(&json, "{\"permissions\": {\"allow\": [");
        for (size_t i = 0; i < take; i++) {
            buf_printf(&rules, "%s%s", i ? ", " : "", v[i].rule);
            buf_printf(&json, "%s\"%s\"", i ? ", " : "", v[i].rule);
        }
        buf_adds(&json, "]}}");
        x->description =
            fmt("In this window %llu calls waited for you to approve them, %s in all. %llu of "
                "those prompts (%s) match %zu permission rule%s.%s",
                (unsigned long long)prompts, w, (unsigned long long)spared_prompts, sw, take,
                take == 1 ? "" : "s",
                kept ? " Commands that delete, publish, escalate or run fetched code are left "
                       "out: their prompts are worth the wait."
                     : "");
        x->suggestion = fmt("If you trust these, add them to \"permissions.allow\" in the "
                            "project's .claude/settings.json (or ~/.claude/settings.json for "
                            "every project): %s",
                            rules.data ? rules.data : "");
        x->example = buf_steal(&json, NULL);
        buf_free(&rules);
        x->evidence = xcalloc(take, sizeof *x->evidence);
        for (size_t i = 0; i < take; i++) {
            struct rec_evidence *e = &x->evidence[x->nevidence++];
            e->tool = xstrdup(v[i].tool);
            e->target = xstrdup(v[i].rule);
            e->count = v[i].prompts;
            e->duration_ms = v[i].wait_ms;
        }
        x->impact_time_ms = spared;
    }
    (void)kept_wait;
    free(v);
    hotspots_free(&h);
}

/* ---- MCP servers: slow ones, and calls that never returned ------------------- */

struct mcp_server {
    char name[128];
    struct agg a;
    uint64_t lost;
};

struct lost_ctx {
    uint64_t n;
};

static int lost_row(void *ctx, const struct store_row *r)
{
    struct lost_ctx *c = ctx;
    const char *e = r->op.error;
    if (!r->op.success && e && (strncmp(e, "no result", 9) == 0 || strcmp(e, "interrupted") == 0))
        c->n++;
    return 0;
}

/* The calls of an MCP tool that never returned, in the window. The SQLite
 * store flags them (OP_ATTN_LOST) and its rollups count the flag, so the
 * tool's aggregate has them, but for a window that ends now it was
 * collected to the end of the hour: calls stamped past the window's end
 * are taken back out. The team store keeps no such flag for older calls:
 * its rows are read. */
static uint64_t mcp_lost(struct store *s, const struct engine_query *q,
                         const struct store_filter *f, int64_t tool, const struct agg *a)
{
    struct lost_ctx c = {0};
    struct store_scan sc = {.from_ms = q->w.since_ms, .to_ms = q->w.until_ms, .f = *f};
    sc.f.tool = tool;
    sc.f.ntools = 0;
    if (store_team(s)) {
        store_scan(s, &sc, lost_row, &c);
        return c.n;
    }
    int64_t end = engine_window_end(q, q->w.until_ms, rollup_width_ms[ROLLUP_HOUR]);
    if (end > q->w.until_ms) {
        sc.from_ms = q->w.until_ms;
        sc.to_ms = end;
        sc.attention = OP_ATTN_LOST;
        store_scan(s, &sc, lost_row, &c);
    }
    return a->attention > c.n ? a->attention - c.n : 0;
}

static int cmp_mcp(const void *a, const void *b)
{
    const struct mcp_server *x = a, *y = b;
    if (x->a.sum_ms != y->a.sum_ms)
        return x->a.sum_ms < y->a.sum_ms ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void rule_mcp(struct store *s, const struct engine_query *q, const int64_t *ids,
                     const struct agg *aggs, size_t n, struct recs *out, size_t *alloc)
{
    struct mcp_server *v = NULL;
    size_t nv = 0;
    struct store_filter f;
    engine_filter(s, q, &f);
    for (size_t i = 0; i < n; i++) {
        const char *tool = store_str(s, ids[i]);
        if (!tool || strncmp(tool, "mcp__", 5) != 0)
            continue;
        const char *srv = tool + 5, *end = strstr(srv, "__");
        size_t len = end ? (size_t)(end - srv) : strlen(srv);
        size_t k = 0;
        while (k < nv && (strlen(v[k].name) != len || memcmp(v[k].name, srv, len) != 0))
            k++;
        if (k == nv) {
            v = xreallocarray(v, nv + 1, sizeof *v);
            memset(&v[nv], 0, sizeof v[nv]);
            snprintf(v[nv].name, sizeof v[nv].name, "%.*s", (int)len, srv);
            agg_init(&v[nv].a);
            nv++;
        }
        agg_merge(&v[k].a, &aggs[i]);
        if (aggs[i].failed)
            v[k].lost += mcp_lost(s, q, &f, ids[i], &aggs[i]);
    }
    /* Most time first, then by name: the order of the tool ids is the
     * store's own (the ClickHouse store numbers names differently). */
    if (nv > 1)
        qsort(v, nv, sizeof *v, cmp_mcp);
    for (size_t k = 0; k < nv; k++) {
        const struct mcp_server *m = &v[k];
        double p95 = m->a.n_timed ? sketch_quantile(&m->a.sk, 0.95) : 0;
        if (p95 < TP_SLOW_MS && !m->lost)
            continue;
        char ps[32];
        human_ms(p95, ps, sizeof ps);
        struct rec *x = rec_add(out, alloc, "mcp-server", "warning",
                                m->lost || p95 >= TP_CRITICAL_MS ? REC_HIGH : REC_MEDIUM);
        x->title = fmt("MCP server %s: p95 %s%s", m->name, ps,
                       m->lost ? ", calls that never returned" : "");
        x->description = fmt("%llu call%s to tools of the MCP server \"%s\": p95 %s over %llu "
                             "timed, %llu failed, %llu never returned (interrupted or lost).",
                             (unsigned long long)m->a.n, m->a.n == 1 ? "" : "s", m->name, ps,
                             (unsigned long long)m->a.n_timed, (unsigned long long)m->a.failed,
                             (unsigned long long)m->lost);
        x->suggestion = xstrdup("Check the server's health and its own timeouts; a server that "
                                "hangs holds the agent until MCP_TOOL_TIMEOUT. Consider a "
                                "local cache, or a faster endpoint, for its slow tools.");
        x->impact_time_ms = m->a.slow_sum_ms;
    }
    for (size_t k = 0; k < nv; k++)
        agg_free(&v[k].a);
    free(v);
}

static int cmp_severity(const struct rec *x, const struct rec *y)
{
    return (int)x->severity - (int)y->severity;
}

int analyzer_recommend(struct store *s, const struct engine_query *q, struct recs *out,
                       char *errbuf)
{
    memset(out, 0, sizeof *out);
    size_t alloc = 0;
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    int rc = engine_collect(s, q, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc)
        return rc;
    struct store_filter f;
    if (engine_filter(s, q, &f) != 0 || !n)
        goto done;
    struct tool_totals t;
    t.read = find_tool(s, ids, aggs, n, "Read", &t.read_id);
    t.write = find_tool(s, ids, aggs, n, "Write", &t.write_id);
    t.bash = find_tool(s, ids, aggs, n, "Bash", &t.bash_id);
    t.grep = find_tool(s, ids, aggs, n, "Grep", &t.grep_id);
    int64_t a = q->w.since_ms, b = q->w.until_ms;

    rule_large_read(s, &f, a, b, &t, out, &alloc);
    rule_slow_write(s, &f, a, b, &t, out, &alloc);
    if (store_filter_tool(&f, t.read_id))
        rule_rereads(s, &f, a, b, out, &alloc);
    rule_slow_bash(s, &f, a, b, &t, out, &alloc);
    rule_shell_tools(s, &f, a, b, &t, out, &alloc);
    rule_grep(s, &f, a, b, &t, out, &alloc);
    rule_trend(s, q, out, &alloc);
    rule_approvals(s, q, aggs, n, out, &alloc);
    rule_mcp(s, q, ids, aggs, n, out, &alloc);

    /* Stable sort by severity: insertion sort keeps the rule order. */
    for (size_t i = 1; i < out->n; i++) {
        struct rec x = out->items[i];
        size_t j = i;
        while (j > 0 && cmp_severity(&out->items[j - 1], &x) > 0) {
            out->items[j] = out->items[j - 1];
            j--;
        }
        out->items[j] = x;
    }
done:
    for (size_t i = 0; i < n; i++)
        agg_free(&aggs[i]);
    free(ids);
    free(aggs);
    return 0;
}

void recs_free(struct recs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct rec *x = &r->items[i];
        free(x->title);
        free(x->description);
        free(x->suggestion);
        free(x->example);
        for (size_t k = 0; k < x->nevidence; k++) {
            free(x->evidence[k].tool);
            free(x->evidence[k].target);
            free(x->evidence[k].tool_use_id);
            free(x->evidence[k].session_id);
        }
        free(x->evidence);
    }
    free(r->items);
    r->items = NULL;
    r->n = 0;
}
