/*
 * catalog.c - names stored, the newest call, projects, and the resolution
 * of the names a person gives (see catalog.h).
 *
 * Resolution reads the stored names (tools: a few dozen keys; projects:
 * one per working directory; sessions: by prefix through an index), so it
 * costs far less than any question it precedes. "Nearest" is by edit
 * distance, ignoring case, with names that contain what was typed (or are
 * contained in it) first.
 */
#include "catalog.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/taxonomy.h"

void name_list_free(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->counts);
    memset(l, 0, sizeof *l);
}

struct named {
    char *name;
    uint64_t count;
};

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

int catalog_tools(struct store *s, const struct engine_query *q, struct name_list *out,
                  char *errbuf)
{
    struct engine_query all = *q;
    all.tool = NULL;
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    memset(out, 0, sizeof *out);
    int rc = engine_collect(s, &all, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc)
        return rc;
    struct named *v = xcalloc(n ? n : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = aggs[i].n ? store_str(s, ids[i]) : NULL;
        if (name) {
            v[k].name = xstrdup(name);
            v[k++].count = aggs[i].n;
        }
        agg_free(&aggs[i]);
    }
    free(ids);
    free(aggs);
    qsort(v, k, sizeof *v, cmp_named);
    out->names = xcalloc(k ? k : 1, sizeof *out->names);
    out->counts = xcalloc(k ? k : 1, sizeof *out->counts);
    for (size_t i = 0; i < k; i++) {
        out->names[i] = v[i].name;
        out->counts[i] = v[i].count;
    }
    out->n = k;
    free(v);
    return 0;
}

/* ---- nearest names --------------------------------------------------------------- */

#define NEAR_MAX_LEN 128 /* only the first characters count for distance */
#define NEAR_SHOWN 3

/* Edit distance between a and b, ignoring case (first NEAR_MAX_LEN bytes). */
static int distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > NEAR_MAX_LEN)
        na = NEAR_MAX_LEN;
    if (nb > NEAR_MAX_LEN)
        nb = NEAR_MAX_LEN;
    int row[NEAR_MAX_LEN + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            int best = diag + !same;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 0;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

/* The nearest candidates to a name, as "a, b, c". */
struct nearest {
    const char *want;
    struct {
        char *name;
        int score;
    } best[NEAR_SHOWN];
    size_t n;
};

static void nearest_offer(struct nearest *x, const char *name, const char *shown)
{
    int score = distance(x->want, name);
    if (contains_ci(name, x->want) || contains_ci(x->want, name))
        score -= 1000; /* "music" for "ai-music", "Read" for "ReadFile" */
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->best[i].name, shown) == 0)
            return;
    size_t at = x->n;
    while (at > 0 && (x->best[at - 1].score > score ||
                      (x->best[at - 1].score == score && strcmp(x->best[at - 1].name, shown) > 0)))
        at--;
    if (at >= NEAR_SHOWN)
        return;
    if (x->n == NEAR_SHOWN)
        free(x->best[--x->n].name);
    memmove(&x->best[at + 1], &x->best[at], (x->n - at) * sizeof x->best[0]);
    x->best[at].name = xstrdup(shown);
    x->best[at].score = score;
    x->n++;
}

static void nearest_text(struct nearest *x, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < x->n; i++) {
        if (len < size)
            len +=
                (size_t)snprintf(out + len, size - len, "%s%.60s", i ? ", " : "", x->best[i].name);
        free(x->best[i].name);
    }
    x->n = 0;
}

/* ---- tools ----------------------------------------------------------------------- */

struct tool_match {
    const char *want;  /* the name asked for */
    const char *agent; /* an agent filter (list), or NULL */
    char exact[TP_MAX_TOOL + 1];
    int found_exact;
    char folded[TP_MAX_TOOL + 1]; /* a stored name equal but for case */
    int nfolded;
    char other[TP_MAX_TOOL + 1];
    struct nearest near;
};

static int tool_seen(void *ctx, int64_t id, const char *key)
{
    (void)id;
    struct tool_match *m = ctx;
    const char *agent;
    size_t n = op_tool_split(key, &agent);
    char name[TP_MAX_TOOL + 1];
    snprintf(name, sizeof name, "%.*s", (int)n, key);
    if (strcmp(name, m->want) == 0) {
        m->found_exact = 1;
        return 0;
    }
    if (strcasecmp(name, m->want) == 0) {
        if (m->nfolded == 0 || strcmp(m->folded, name) != 0) {
            if (m->nfolded)
                snprintf(m->other, sizeof m->other, "%s", name);
            else
                snprintf(m->folded, sizeof m->folded, "%s", name);
            m->nfolded++;
        }
        return 0;
    }
    nearest_offer(&m->near, name, name);
    return 0;
}

static int resolve_tool(struct store *s, struct engine_query *q, struct catalog_names *nm,
                        char *errbuf)
{
    char want[TP_MAX_TOOL + 1];
    snprintf(want, sizeof want, "%s", q->tool);
    /* "shell (codex)", as answers label another agent's tool, and the
     * stored key "shell\x1fcodex" select that agent's tool. */
    const char *sep = strchr(want, '\x1f');
    size_t len = strlen(want);
    char *agent = NULL;
    if (sep) {
        agent = (char *)sep + 1;
        want[sep - want] = '\0';
    } else if (len > 3 && want[len - 1] == ')') {
        char *open = strrchr(want, '(');
        if (open && open > want && open[-1] == ' ') {
            want[len - 1] = '\0';
            for (const char *const *a = taxonomy_agents; *a; a++)
                if (strcasecmp(*a, open + 1) == 0) {
                    agent = (char *)*a;
                    open[-1] = '\0';
                    break;
                }
            if (!agent)
                want[len - 1] = ')';
        }
    }
    if (agent) {
        if (q->agent && *q->agent && !catalog_in_list(q->agent, agent))
            return tp_fail(errbuf, TP_EINVAL, "tool: %.128s is a tool of %.32s, not of agent %.64s",
                           want, agent, q->agent);
        snprintf(nm->agent, sizeof nm->agent, "%s", agent);
        q->agent = nm->agent;
    }
    struct tool_match m;
    memset(&m, 0, sizeof m);
    m.want = want;
    m.near.want = want;
    if (store_tools(s, tool_seen, &m) != 0) {
        nearest_text(&m.near, nm->tool, 0);
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    }
    char near[256];
    nearest_text(&m.near, near, sizeof near);
    if (m.found_exact) {
        snprintf(nm->tool, sizeof nm->tool, "%s", want);
    } else if (m.nfolded == 1) {
        snprintf(nm->tool, sizeof nm->tool, "%s", m.folded);
    } else if (m.nfolded > 1) {
        return tp_fail(errbuf, TP_EINVAL, "tool: %.128s is both %s and %s; give it as stored", want,
                       m.folded, m.other);
    } else {
        return tp_fail(errbuf, TP_ENOTFOUND, "tool: no tool called %.128s was ever recorded%s%s%s",
                       want, near[0] ? " (nearest: " : "", near, near[0] ? ")" : "");
    }
    q->tool = nm->tool;
    return 0;
}

/* ---- agents and canonical names ---------------------------------------------------- */

int catalog_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int resolve_agents(struct engine_query *q, struct catalog_names *nm, char *errbuf)
{
    char out[CATALOG_MAX_AGENT_LIST + 1] = "";
    size_t len = 0;
    for (const char *p = q->agent; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        const char *known = NULL;
        for (const char *const *a = taxonomy_agents; *a && !known; a++)
            if (strlen(*a) == n && strncasecmp(*a, p, n) == 0)
                known = *a;
        if (!known) {
            char list[128] = "";
            size_t l = 0;
            for (const char *const *a = taxonomy_agents; *a; a++)
                l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", l ? ", " : "", *a);
            return tp_fail(errbuf, TP_EINVAL, "agent: %.*s is not an agent toolprof knows (%s)",
                           (int)(n > 40 ? 40 : n), p, list);
        }
        if (!catalog_in_list(out, known))
            len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", len ? "," : "", known);
        p = end ? end + 1 : NULL;
    }
    if (!len)
        return tp_fail(errbuf, TP_EINVAL, "agent: empty list");
    snprintf(nm->agent, sizeof nm->agent, "%s", out);
    q->agent = nm->agent;
    return 0;
}

struct canon_match {
    const char *want;
    char found[TP_MAX_TOOL + 16];
    struct nearest near;
};

static int canon_seen(void *ctx, int64_t id, const char *key)
{
    (void)id;
    struct canon_match *m = ctx;
    char name[TP_MAX_TOOL + 1], canon[TP_MAX_TOOL + 16];
    const char *agent;
    engine_tool_names(key, name, sizeof name, &agent, canon, sizeof canon);
    if (strcasecmp(canon, m->want) == 0)
        snprintf(m->found, sizeof m->found, "%s", canon);
    else
        nearest_offer(&m->near, canon, canon);
    return 0;
}

static int resolve_canonical(struct store *s, struct engine_query *q, struct catalog_names *nm,
                             char *errbuf)
{
    struct canon_match m;
    memset(&m, 0, sizeof m);
    m.want = q->canonical;
    m.near.want = q->canonical;
    int rc = store_tools(s, canon_seen, &m);
    char near[256];
    nearest_text(&m.near, near, sizeof near);
    if (rc)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    if (!m.found[0])
        return tp_fail(errbuf, TP_ENOTFOUND, "canonical: no recorded tool is of kind %.64s%s%s%s",
                       q->canonical, near[0] ? " (nearest: " : "", near, near[0] ? ")" : "");
    snprintf(nm->canonical, sizeof nm->canonical, "%s", m.found);
    q->canonical = nm->canonical;
    return 0;
}

/* ---- projects ---------------------------------------------------------------------- */

/* The last component of a path (without trailing slashes), into out. */
static void base_name(const char *path, char *out, size_t size)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    snprintf(out, size, "%.*s", (int)(n - start), path + start);
}

/* Whether path ends with the components of tail ("dev/app" ends
 * "/home/u/dev/app"), ignoring case and trailing slashes. */
static int ends_with_components(const char *path, const char *tail)
{
    size_t np = strlen(path), nt = strlen(tail);
    while (np > 1 && path[np - 1] == '/')
        np--;
    while (nt > 1 && tail[nt - 1] == '/')
        nt--;
    if (!nt || nt > np || strncasecmp(path + np - nt, tail, nt) != 0)
        return 0;
    return np == nt || path[np - nt - 1] == '/';
}

struct project_match {
    const char *want; /* as given */
    const char *abs;  /* the path it names on this machine, or NULL */
    int has_slash;
    char exact[TP_MAX_PROJECT + 1];
    char hit[TP_MAX_PROJECT + 1];
    char other[TP_MAX_PROJECT + 1];
    int nhits;
    struct nearest near;
};

static int project_seen(void *ctx, int64_t id, const char *path)
{
    (void)id;
    struct project_match *m = ctx;
    if (strcmp(path, m->want) == 0 || (m->abs && strcmp(path, m->abs) == 0)) {
        snprintf(m->exact, sizeof m->exact, "%s", path);
        return 0;
    }
    char base[256];
    base_name(path, base, sizeof base);
    int hit = m->has_slash ? ends_with_components(path, m->want) : strcasecmp(base, m->want) == 0;
    if (hit) {
        if (m->nhits == 0)
            snprintf(m->hit, sizeof m->hit, "%s", path);
        else if (m->nhits == 1)
            snprintf(m->other, sizeof m->other, "%s", path);
        m->nhits++;
        return 0;
    }
    nearest_offer(&m->near, base, path);
    return 0;
}

static int resolve_project(struct store *s, struct engine_query *q, struct catalog_names *nm,
                           char *errbuf)
{
    struct project_match m;
    memset(&m, 0, sizeof m);
    m.want = q->project;
    m.near.want = q->project;
    m.has_slash = strchr(q->project, '/') != NULL;
    /* A path on this machine: relative, "~/...", "." (the current
     * directory), with a trailing slash. */
    char *abs = NULL;
    if (m.has_slash || strcmp(q->project, ".") == 0 || strcmp(q->project, "..") == 0 ||
        q->project[0] == '~') {
        char path[PATH_MAX + 1];
        const char *home = getenv("HOME");
        if (q->project[0] == '~' && (q->project[1] == '/' || !q->project[1]) && home)
            snprintf(path, sizeof path, "%s%s", home, q->project + 1);
        else
            snprintf(path, sizeof path, "%s", q->project);
        abs = realpath(path, NULL);
        if (!abs && path[0] == '/') { /* gone from this machine: the path as written */
            size_t n = strlen(path);
            while (n > 1 && path[n - 1] == '/')
                path[--n] = '\0';
            abs = xstrdup(path);
        }
        m.abs = abs;
    }
    int rc = store_projects(s, project_seen, &m);
    free(abs);
    char near[512];
    nearest_text(&m.near, near, sizeof near);
    if (rc)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    if (m.exact[0]) {
        snprintf(nm->project, sizeof nm->project, "%s", m.exact);
    } else if (m.nhits == 1) {
        snprintf(nm->project, sizeof nm->project, "%s", m.hit);
    } else if (m.nhits > 1) {
        return tp_fail(errbuf, TP_EINVAL,
                       "project: %.64s names %d projects (%.80s, %.80s%s); give more of its path",
                       q->project, m.nhits, m.hit, m.other, m.nhits > 2 ? ", ..." : "");
    } else {
        return tp_fail(errbuf, TP_ENOTFOUND, "project: no project %.80s%s%s%s", q->project,
                       near[0] ? " (nearest: " : "", near,
                       near[0] ? "; `toolprof projects` lists them)"
                               : "; nothing recorded has a project");
    }
    q->project = nm->project;
    return 0;
}

/* ---- sessions ---------------------------------------------------------------------- */

struct id_matches {
    char first[TP_MAX_ID + 1], second[TP_MAX_ID + 1];
    size_t n;
};

static int id_match(void *ctx, int64_t id, const char *name)
{
    (void)id;
    struct id_matches *m = ctx;
    if (m->n == 0)
        snprintf(m->first, sizeof m->first, "%s", name);
    else if (m->n == 1)
        snprintf(m->second, sizeof m->second, "%s", name);
    m->n++;
    return 0;
}

struct latest {
    struct store *s;
    char text[200];
    size_t len, n;
};

static int latest_row(void *ctx, const struct store_session *ss)
{
    struct latest *l = ctx;
    const char *id = store_str(l->s, ss->id);
    if (id && l->len < sizeof l->text)
        l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s%.8s…",
                                   l->n ? ", " : "", id);
    return ++l->n >= NEAR_SHOWN;
}

static int resolve_session(struct store *s, struct engine_query *q, struct catalog_names *nm,
                           char *errbuf)
{
    int64_t id = store_str_id(s, q->session);
    struct store_session ss;
    if (id && store_session_get(s, id, &ss) == 0)
        return 0;
    struct id_matches m = {.n = 0};
    size_t len = strlen(q->session);
    if (len >= 4 && store_session_ids(s, q->session, 3, id_match, &m) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    if (m.n == 1) {
        snprintf(nm->session, sizeof nm->session, "%s", m.first);
        q->session = nm->session;
        return 0;
    }
    if (m.n > 1)
        return tp_fail(errbuf, TP_EINVAL, "session: %zu%s sessions start with %.64s (%.40s, %.40s)",
                       m.n, m.n > 2 ? " or more" : "", q->session, m.first, m.second);
    struct latest l = {s, "", 0, 0};
    store_sessions(s, TP_MIN_TS_MS, INT64_MAX / 4, 0, latest_row, &l);
    if (len < 4)
        return tp_fail(errbuf, TP_ENOTFOUND,
                       "session: no session is %.64s (give its id or at least 4 characters of "
                       "it%s%s)",
                       q->session, l.n ? "; latest: " : "", l.text);
    return tp_fail(errbuf, TP_ENOTFOUND,
                   "session: no session starts with %.64s (%s%s`toolprof sessions` lists them)",
                   q->session, l.n ? l.text : "", l.n ? "; " : "");
}

int catalog_resolve(struct store *s, struct engine_query *q, struct catalog_names *names,
                    char *errbuf)
{
    int rc = 0;
    if (q->agent && *q->agent)
        rc = resolve_agents(q, names, errbuf);
    if (rc == 0 && q->tool && *q->tool)
        rc = resolve_tool(s, q, names, errbuf);
    if (rc == 0 && q->canonical && *q->canonical)
        rc = resolve_canonical(s, q, names, errbuf);
    if (rc == 0 && q->project && *q->project)
        rc = resolve_project(s, q, names, errbuf);
    if (rc == 0 && q->session && *q->session)
        rc = resolve_session(s, q, names, errbuf);
    return rc;
}

/* ---- the newest call ---------------------------------------------------------------- */

struct newest_bucket {
    int64_t start;
};

static int newest_bucket(void *ctx, int64_t start, int64_t tool, uint64_t n)
{
    (void)tool;
    struct newest_bucket *b = ctx;
    if (n && start > b->start)
        b->start = start;
    return 0;
}

struct newest_row {
    int64_t ts;
};

static int newest_raw(void *ctx, const struct store_row *r)
{
    struct newest_row *x = ctx;
    if (r->op.ts_ms > x->ts)
        x->ts = r->op.ts_ms;
    return 0;
}

int catalog_newest(struct store *s, const struct engine_query *q, int64_t *ts_ms, char *errbuf)
{
    *ts_ms = 0;
    struct store_filter f;
    if (engine_filter(s, q, &f) != 0)
        return 0;
    int64_t first, last;
    if (f.session) {
        if (store_session_span(s, f.session, &first, &last) == 0)
            *ts_ms = last;
        return 0;
    }
    /* The newest 30-day bucket holding a call, then its newest day, then
     * that day's newest hour (from the rollups' counts: no aggregate is
     * decoded), then that hour's rows. */
    int64_t a = TP_MIN_TS_MS, b = INT64_MAX / 4;
    for (int level = ROLLUP_MONTH; level >= ROLLUP_HOUR; level--) {
        struct newest_bucket m = {INT64_MIN};
        if (store_rollup_counts(s, level, a, b, &f, newest_bucket, &m) != 0)
            return tp_fail(errbuf, TP_EDB, "reading the store failed");
        if (m.start == INT64_MIN) {
            if (level == ROLLUP_MONTH)
                return 0;
            break; /* the counts of the level above were not of whole buckets */
        }
        a = m.start;
        b = m.start + rollup_width_ms[level];
    }
    struct newest_row x = {0};
    struct store_scan sc = {.from_ms = a, .to_ms = b, .f = f, .desc = 1, .ids_only = 1};
    if (store_scan(s, &sc, newest_raw, &x) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the store failed");
    *ts_ms = x.ts;
    return 0;
}

const char *catalog_window_for(int64_t ts_ms, int64_t now_ms)
{
    int64_t age = now_ms - ts_ms;
    if (age < 24 * TPT_HOUR_MS)
        return "24h";
    if (age < 7 * TPT_DAY_MS)
        return "7d";
    if (age < 30 * TPT_DAY_MS)
        return "30d";
    return "all";
}

int catalog_has_option(const char *canonical)
{
    return canonical && (strcmp(canonical, "read") == 0 || strcmp(canonical, "search") == 0);
}

/* ---- projects ------------------------------------------------------------------------ */

struct project_list {
    char **paths;
    size_t n, alloc;
};

static int project_add(void *ctx, int64_t id, const char *path)
{
    (void)id;
    struct project_list *l = ctx;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? 2 * l->alloc : 16;
        l->paths = xreallocarray(l->paths, l->alloc, sizeof *l->paths);
    }
    l->paths[l->n++] = xstrdup(path);
    return 0;
}

static int cmp_project(const void *a, const void *b)
{
    const struct project_item *x = a, *y = b;
    if (x->calls != y->calls)
        return x->calls < y->calls ? 1 : -1;
    return strcmp(x->path, y->path);
}

int catalog_projects(struct store *s, const struct engine_query *q, struct projects *out,
                     char *errbuf)
{
    memset(out, 0, sizeof *out);
    struct project_list l = {NULL, 0, 0};
    int rc = store_projects(s, project_add, &l)
                 ? tp_fail(errbuf, TP_EDB, "reading the store failed")
                 : 0;
    out->items = xcalloc(l.n ? l.n : 1, sizeof *out->items);
    for (size_t i = 0; i < l.n; i++) {
        if (rc) {
            free(l.paths[i]);
            continue;
        }
        struct engine_query pq = *q;
        pq.project = l.paths[i];
        pq.session = NULL;
        int64_t *ids;
        struct agg *aggs;
        size_t n;
        struct project_item it;
        memset(&it, 0, sizeof it);
        rc = engine_collect(s, &pq, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
        for (size_t k = 0; rc == 0 && k < n; k++) {
            it.calls += aggs[k].n;
            it.failed += aggs[k].failed;
            it.total_ms += aggs[k].sum_ms;
            agg_free(&aggs[k]);
        }
        if (rc == 0) {
            free(ids);
            free(aggs);
        }
        if (rc == 0 && it.calls) {
            struct store_filter f;
            engine_filter(s, &pq, &f);
            if (store_session_count(s, q->w.since_ms, q->w.until_ms, f.project, &it.sessions) != 0)
                rc = tp_fail(errbuf, TP_EDB, "reading the store failed");
            if (rc == 0)
                rc = catalog_newest(s, &pq, &it.last_ms, errbuf);
        }
        if (rc == 0 && it.calls) {
            char base[256];
            base_name(l.paths[i], base, sizeof base);
            it.path = l.paths[i];
            it.name = xstrdup(base);
            out->items[out->n++] = it;
        } else {
            free(l.paths[i]);
        }
    }
    free(l.paths);
    if (rc) {
        projects_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof *out->items, cmp_project);
    return 0;
}

void projects_free(struct projects *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].path);
        free(p->items[i].name);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}
