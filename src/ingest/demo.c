/*
 * demo.c - synthetic tool-call history (see demo.h).
 *
 * The generator walks forward through time: a day gets its share of the
 * operations, split into sessions that start during working hours; a
 * session picks a project and a small set of "hot" files it keeps going
 * back to, then emits calls separated by a few seconds of model time. All
 * randomness comes from one xoshiro256** stream seeded by splitmix64, so a
 * seed reproduces a history exactly (benchmarks depend on that).
 */
#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

#define DAY_MS TPT_DAY_MS

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double unif(struct rng *r)
{
    return (double)(next(r) >> 11) * 0x1.0p-53;
}

static size_t pick(struct rng *r, size_t n)
{
    return (size_t)(unif(r) * (double)n);
}

static double gauss(struct rng *r)
{
    double u = unif(r), v = unif(r);
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static double lognormal(struct rng *r, double median, double sigma)
{
    return median * exp(sigma * gauss(r));
}

struct tool_kind {
    const char *name;
    double weight, median_ms, sigma, fail;
};

/* Shares and latencies shaped after real sessions. */
static const struct tool_kind tools[] = {
    {"Read", 30, 22, 0.9, 0.01},      {"Bash", 20, 900, 1.6, 0.08},
    {"Edit", 14, 45, 0.7, 0.03},      {"Grep", 12, 160, 1.1, 0.01},
    {"Glob", 8, 55, 0.9, 0.0},        {"Write", 6, 70, 0.9, 0.01},
    {"TodoWrite", 3, 6, 0.5, 0.0},    {"WebFetch", 2, 2600, 0.8, 0.06},
    {"Task", 2, 42000, 0.9, 0.02},    {"mcp__github__get_issue", 1, 750, 0.7, 0.04},
    {"WebSearch", 1, 3100, 0.5, 0.0}, {"MultiEdit", 1, 80, 0.7, 0.02},
};
#define NTOOLS (sizeof tools / sizeof tools[0])

static const char *const projects[] = {"/home/dev/projects/webapp", "/home/dev/projects/api-server",
                                       "/home/dev/projects/ml-pipeline",
                                       "/home/dev/projects/dotfiles"};
static const double project_weight[] = {0.45, 0.3, 0.2, 0.05};

static const char *const dirs[] = {"src",  "src/components", "src/api",    "src/lib", "tests",
                                   "docs", "scripts",        "src/models", "config",  "src/utils"};
static const char *const stems[] = {"index",   "app",     "server",  "auth",   "user",
                                    "billing", "router",  "config",  "utils",  "db",
                                    "cache",   "session", "payment", "search", "logger",
                                    "metrics", "queue",   "worker",  "schema", "client"};
static const char *const exts[] = {".ts", ".tsx", ".py", ".go", ".md", ".json", ".rs", ".sql"};

static const char *const commands[] = {"npm test",
                                       "npm install",
                                       "git status",
                                       "git diff --stat",
                                       "git log --oneline -20",
                                       "pytest -x tests/",
                                       "cargo build --release",
                                       "make -j4",
                                       "ls -la",
                                       "npm run build",
                                       "grep -rn TODO src",
                                       "cat package.json",
                                       "find . -name '*.test.ts'",
                                       "head -50 README.md",
                                       "tail -100 logs/app.log",
                                       "docker compose up -d",
                                       "python -m mypy src",
                                       "git log --oneline | head -5",
                                       "npx tsc --noEmit",
                                       "go test ./..."};
static const char *const patterns[] = {
    "useAuth",   "TODO",           "class .*Service", "def handle_",    "import .* from",
    "fetchUser", "SELECT .* FROM", "throw new Error", "async function", "config\\."};
static const char *const urls[] = {"https://docs.python.org/3/library/asyncio.html",
                                   "https://developer.mozilla.org/en-US/docs/Web/API/fetch",
                                   "https://react.dev/reference/react/useEffect",
                                   "https://www.sqlite.org/wal.html"};

static void make_id(struct rng *r, char *out)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    memcpy(out, "toolu_01", 8);
    for (int i = 0; i < 22; i++)
        out[8 + i] = b62[next(r) % 62];
    out[30] = '\0';
}

static void make_path(struct rng *r, const char *project, char *out, size_t n)
{
    snprintf(out, n, "%s/%s/%s%s", project, dirs[pick(r, 10)], stems[pick(r, 20)],
             exts[pick(r, 8)]);
}

static const struct tool_kind *pick_tool(struct rng *r)
{
    static double total;
    if (!total)
        for (size_t i = 0; i < NTOOLS; i++)
            total += tools[i].weight;
    double x = unif(r) * total;
    for (size_t i = 0; i < NTOOLS; i++) {
        if (x < tools[i].weight)
            return &tools[i];
        x -= tools[i].weight;
    }
    return &tools[0];
}

/* Fill op (op_init'ed) with one call of tool k at ts in a session. */
static void make_op(struct rng *r, const struct tool_kind *k, int64_t ts, const char *session,
                    const char *project, char hot[][512], struct op *op)
{
    char buf[1024], id[32];
    op->tool = xstrdup(k->name);
    op->ts_ms = ts;
    op->duration_ms = round(lognormal(r, k->median_ms, k->sigma) * 1000) / 1000;
    op->success = unif(r) >= k->fail;
    op->session_id = xstrdup(session);
    op->project = xstrdup(project);
    op->source = OP_SRC_DEMO;
    make_id(r, id);
    op->tool_use_id = xstrdup(id);
    const char *name = k->name;
    if (!strcmp(name, "Read") || !strcmp(name, "Edit") || !strcmp(name, "Write") ||
        !strcmp(name, "MultiEdit")) {
        if (unif(r) < 0.5)
            snprintf(buf, sizeof buf, "%s", hot[pick(r, 4)]);
        else
            make_path(r, project, buf, sizeof buf);
        op->target = xstrdup(buf);
        double size = lognormal(r, 9000, 1.3);
        op->size_bytes = (int64_t)(size > 20000000 ? 20000000 : size);
        if (!strcmp(name, "Read")) {
            op->optimized = unif(r) < 0.25;
            if (op->optimized && op->size_bytes > 40000)
                op->size_bytes = 40000; /* a slice */
            op->result_bytes = op->size_bytes;
        }
    } else if (!strcmp(name, "Bash")) {
        op->target = xstrdup(commands[pick(r, 20)]);
        op->optimized = unif(r) < 0.05;
        if (op->optimized)
            op->duration_ms = round(unif(r) * 150000) / 1000; /* returns at once */
        op->result_bytes = (int64_t)lognormal(r, 1500, 1.5);
        if (!op->success)
            op->error = xstrdup("Exit code 1");
    } else if (!strcmp(name, "Grep")) {
        op->target = xstrdup(patterns[pick(r, 10)]);
        op->optimized = unif(r) < 0.4;
        op->result_bytes = (int64_t)lognormal(r, 2500, 1.4);
    } else if (!strcmp(name, "Glob")) {
        snprintf(buf, sizeof buf, "**/*%s", exts[pick(r, 8)]);
        op->target = xstrdup(buf);
    } else if (!strcmp(name, "WebFetch")) {
        op->target = xstrdup(urls[pick(r, 4)]);
    } else if (!strcmp(name, "WebSearch")) {
        op->target = xstrdup("sqlite wal checkpoint starvation");
    } else if (!strcmp(name, "Task")) {
        op->target = xstrdup(unif(r) < 0.5 ? "Explore the codebase" : "Review the change");
    } else if (!strcmp(name, "mcp__github__get_issue")) {
        snprintf(buf, sizeof buf, "{\"issue_number\":%d}", (int)pick(r, 900) + 1);
        op->target = xstrdup(buf);
    }
}

int demo_each(const struct demo_opts *o, int (*fn)(void *ctx, struct op *op), void *ctx)
{
    struct rng r;
    uint64_t x = o->seed;
    for (int i = 0; i < 4; i++)
        r.s[i] = splitmix(&x);
    int days = o->days < 1 ? 1 : o->days;
    /* Day d covers [day0 + d days, day0 + d + 1 days): the last one ends
     * now, so the history is recent up to the minute. */
    int64_t day0 = o->now_ms - days * DAY_MS;
    size_t done = 0;
    char hot[4][512], session[64];
    struct op op;
    for (int d = 0; d < days && done < o->ops; d++) {
        size_t quota = (o->ops - done) / (size_t)(days - d);
        size_t day_done = 0;
        int64_t t = day0 + d * DAY_MS + 8 * 3600000LL + (int64_t)(unif(&r) * 3600000);
        while (day_done < quota) {
            double pw = unif(&r);
            size_t pi = 0;
            while (pi < 3 && pw >= project_weight[pi])
                pw -= project_weight[pi++];
            const char *project = projects[pi];
            snprintf(session, sizeof session, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                     (unsigned long long)(next(&r) & 0xffffffff),
                     (unsigned long long)(next(&r) & 0xffff),
                     (unsigned long long)(next(&r) & 0xfff), (unsigned long long)(next(&r) & 0xfff),
                     (unsigned long long)(next(&r) & 0xffffffffffffULL));
            for (int h = 0; h < 4; h++)
                make_path(&r, project, hot[h], sizeof hot[h]);
            size_t len = 20 + pick(&r, 300);
            for (size_t i = 0; i < len && day_done < quota && t < o->now_ms; i++) {
                const struct tool_kind *k = pick_tool(&r);
                op_init(&op);
                make_op(&r, k, t, session, project, hot, &op);
                double dur_ms = op.duration_ms;
                int stop = fn(ctx, &op);
                op_clear(&op);
                if (stop)
                    return stop;
                done++, day_done++;
                t += (int64_t)dur_ms + 1500 + (int64_t)lognormal(&r, 4000, 0.8);
            }
            /* A break between sessions; a day that runs out of hours starts
             * over at a random time (more sessions in parallel). */
            t += 600000 + (int64_t)(unif(&r) * 3600000);
            if (t >= day0 + (d + 1) * DAY_MS - 4 * 3600000LL)
                t = day0 + d * DAY_MS + (int64_t)(unif(&r) * (DAY_MS - 8 * 3600000LL));
        }
    }
    return 0;
}

struct gen_ctx {
    struct store *s;
    struct op *batch;
    size_t n, cap, total, goal;
    struct store_result *res;
    FILE *progress;
    int rc;
    char *errbuf;
    int64_t now_ms;
};

static int flush_batch(struct gen_ctx *g)
{
    if (!g->n)
        return 0;
    g->rc = store_insert(g->s, g->batch, g->n, NULL, g->res, g->errbuf);
    for (size_t i = 0; i < g->n; i++)
        op_clear(&g->batch[i]);
    g->total += g->n;
    g->n = 0;
    if (g->progress && g->rc == 0)
        fprintf(g->progress, "\r%zu / %zu operations", g->total, g->goal);
    return g->rc;
}

static int gen_one(void *ctx, struct op *op)
{
    struct gen_ctx *g = ctx;
    /* The same gate as every real source (validation, redaction), so a
     * benchmark of this path measures what an import costs. */
    char err[TP_ERR_MAX];
    if (op_normalize(op, g->now_ms, err) != 0)
        return 0;
    /* Move the op into the batch: the caller clears its (now empty) copy. */
    g->batch[g->n++] = *op;
    op_init(op);
    if (g->n == g->cap)
        return flush_batch(g) ? 1 : 0;
    return 0;
}

int demo_generate(struct store *s, const struct demo_opts *o, struct store_result *res,
                  char *errbuf)
{
    struct gen_ctx g = {.s = s,
                        .cap = o->batch ? o->batch : 10000,
                        .goal = o->ops,
                        .res = res,
                        .progress = o->progress,
                        .errbuf = errbuf,
                        .now_ms = o->now_ms + 1};
    g.batch = xcalloc(g.cap, sizeof *g.batch);
    demo_each(o, gen_one, &g);
    if (g.rc == 0)
        flush_batch(&g);
    for (size_t i = 0; i < g.n; i++)
        op_clear(&g.batch[i]);
    free(g.batch);
    if (o->progress && g.rc == 0)
        fputc('\n', o->progress);
    return g.rc;
}
