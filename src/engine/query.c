/*
 * query.c - what a question's query means (engine.h): its window, and its
 * filters resolved to the store's ids.
 *
 * A tool, an agent and a canonical name each select tools by name; the
 * stored key of a tool holds its agent (op_tool_key), so they are resolved
 * by one pass over the stored keys into a set of ids (a single id when one
 * tool matches, which the store reads through its index).
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/taxonomy.h"

/* ---- windows ---------------------------------------------------------------- */

int engine_window_parse(const char *window, const char *since, const char *until, int64_t now_ms,
                        struct engine_window *w, char *errbuf)
{
    memset(w, 0, sizeof *w);
    w->until_ms = now_ms + 1;
    w->open_end = !(until && *until);
    if (!window || !*window)
        window = "24h";
    if (strcmp(window, "all") == 0) {
        w->since_ms = TP_MIN_TS_MS;
    } else {
        int64_t len;
        if (tpt_parse_age(window, (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS, &len) != 0)
            return tp_fail(errbuf, TP_EINVAL,
                           "window: expected 24h, 7d, 30d, all, or <n>h / <n>d up to %d days "
                           "(got \"%.40s\")",
                           TP_MAX_TREND_DAYS, window);
        w->since_ms = now_ms - len;
    }
    snprintf(w->name, sizeof w->name, "%s", window);
    if ((since && *since) || (until && *until)) {
        snprintf(w->name, sizeof w->name, "custom");
        if (since && *since && tpt_parse_iso(since, TPT_NAIVE_LOCAL, &w->since_ms) != 0)
            return tp_fail(errbuf, TP_EINVAL,
                           "since: expected an ISO-8601 time such as 2026-11-20T10:00:00Z "
                           "(got \"%.40s\")",
                           since);
        if (until && *until && tpt_parse_iso(until, TPT_NAIVE_LOCAL, &w->until_ms) != 0)
            return tp_fail(errbuf, TP_EINVAL,
                           "until: expected an ISO-8601 time such as 2026-11-21 (got \"%.40s\")",
                           until);
        if (w->until_ms <= w->since_ms)
            return tp_fail(errbuf, TP_EINVAL, "until must be later than since");
    }
    /* Nothing is stored before 2000 (op_normalize): a window reaching
     * further back is the same window, and row ids of hours before 1970
     * would be negative. */
    if (w->since_ms < TP_MIN_TS_MS)
        w->since_ms = TP_MIN_TS_MS;
    if (w->until_ms <= w->since_ms)
        w->until_ms = w->since_ms + 1;
    return 0;
}

void engine_tool_names(const char *key, char *name, size_t name_size, const char **agent,
                       char *canonical, size_t canonical_size)
{
    size_t n = op_tool_split(key, agent);
    snprintf(name, name_size, "%.*s", (int)n, key);
    taxonomy_canonical(*agent, name, canonical, canonical_size);
}

char *engine_tool_label(const char *key)
{
    const char *agent;
    if (!key)
        return xstrdup("?");
    size_t n = op_tool_split(key, &agent);
    char *out = xmalloc(strlen(key) + 4);
    if (key[n])
        sprintf(out, "%.*s (%s)", (int)n, key, agent);
    else
        memcpy(out, key, n + 1);
    return out;
}

struct tool_set {
    const struct engine_query *q;
    struct store_filter *f;
    int over;
};

static int tool_set_add(void *ctx, int64_t id, const char *key)
{
    struct tool_set *t = ctx;
    char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
    const char *agent;
    engine_tool_names(key, name, sizeof name, &agent, canon, sizeof canon);
    if ((t->q->tool && *t->q->tool && strcmp(name, t->q->tool) != 0) ||
        (t->q->agent && *t->q->agent && strcmp(agent, t->q->agent) != 0) ||
        (t->q->canonical && *t->q->canonical && strcmp(canon, t->q->canonical) != 0))
        return 0;
    if (t->f->ntools == TP_FILTER_MAX_TOOLS) {
        t->over = 1;
        return 1;
    }
    t->f->tools[t->f->ntools++] = id;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int engine_filter(struct store *s, const struct engine_query *q, struct store_filter *f)
{
    f->tool = f->project = f->session = 0;
    f->ntools = 0;
    if ((q->tool && *q->tool) || (q->agent && *q->agent) || (q->canonical && *q->canonical)) {
        /* The stored keys of that name (any agent's tool of that name),
         * agent and canonical name: a set, or one tool when only one is. */
        struct tool_set t = {q, f, 0};
        if (store_tools(s, tool_set_add, &t) != 0 || t.over || !f->ntools)
            return 1;
        qsort(f->tools, f->ntools, sizeof f->tools[0], cmp_id);
        if (f->ntools == 1) {
            f->tool = f->tools[0];
            f->ntools = 0;
        }
    }
    if (q->project && *q->project && !(f->project = store_str_id(s, q->project)))
        return 1;
    if (q->session && *q->session && !(f->session = store_str_id(s, q->session)))
        return 1;
    return 0;
}
