/*
 * team.c - the team view (see team.h).
 *
 * People come from the store (store_people); for each, the window's
 * per-tool aggregates (engine_collect with the person as filter) give the
 * approval waits and, for MCP tools, the aggregates merged per server
 * across people; the person's Bash hotspots (engine_hotspots) give the
 * commands, merged by command across people.
 */
#include "team.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"

#define TEAM_MAX_PEOPLE 1000

struct people_ctx {
    struct team *t;
    size_t alloc;
};

static int person_row(void *ctx, const char *person, const char *host)
{
    struct people_ctx *x = ctx;
    struct team *t = x->t;
    struct team_person *p = t->npeople ? &t->people[t->npeople - 1] : NULL;
    if (!p || strcmp(p->person, person) != 0) {
        if (t->npeople == TEAM_MAX_PEOPLE)
            return 1;
        if (t->npeople == x->alloc) {
            x->alloc = x->alloc ? 2 * x->alloc : 16;
            t->people = xreallocarray(t->people, x->alloc, sizeof *t->people);
        }
        p = &t->people[t->npeople++];
        memset(p, 0, sizeof *p);
        p->person = xstrdup(person);
    }
    p->hosts = xreallocarray(p->hosts, p->nhosts + 1, sizeof *p->hosts);
    p->hosts[p->nhosts++] = xstrdup(host);
    return 0;
}

/* The MCP server of a tool key: "mcp__SERVER__TOOL" (the default agent's
 * naming), or 0 when it is not an MCP tool. */
static size_t mcp_server(const char *key, const char **server)
{
    if (!key || strncmp(key, "mcp__", 5) != 0)
        return 0;
    const char *s = key + 5, *end = strstr(s, "__");
    if (!end || end == s)
        return 0;
    *server = s;
    return (size_t)(end - s);
}

struct mcp_acc {
    struct kmap map; /* server -> index */
    struct agg *aggs;
    uint64_t *people;
    size_t alloc;
};

struct cmd_acc {
    struct kmap map; /* command -> index */
    struct team_command *v;
    size_t alloc;
};

static int cmp_people(const void *a, const void *b)
{
    const struct team_person *x = a, *y = b;
    if (x->wait_ms != y->wait_ms)
        return x->wait_ms < y->wait_ms ? 1 : -1;
    if (x->calls != y->calls)
        return x->calls < y->calls ? 1 : -1;
    return strcmp(x->person, y->person);
}

static int cmp_mcp(const void *a, const void *b)
{
    const struct team_mcp *x = a, *y = b;
    if (x->p95_ms != y->p95_ms)
        return x->p95_ms < y->p95_ms ? 1 : -1;
    return strcmp(x->server, y->server);
}

static int cmp_cmd(const void *a, const void *b)
{
    const struct team_command *x = a, *y = b;
    if (x->total_ms != y->total_ms)
        return x->total_ms < y->total_ms ? 1 : -1;
    return strcmp(x->command, y->command);
}

/* One person's window: waits, MCP aggregates, commands. */
static int one_person(struct store *s, const struct engine_query *q, struct team_person *p,
                      struct mcp_acc *m, struct cmd_acc *c, char *errbuf)
{
    struct engine_query pq = *q;
    pq.person = p->person;
    int64_t *ids;
    struct agg *aggs;
    size_t n;
    int rc = engine_collect(s, &pq, q->w.since_ms, q->w.until_ms, &ids, &aggs, &n, errbuf);
    if (rc)
        return rc;
    struct kmap seen; /* servers this person used */
    kmap_init(&seen);
    for (size_t i = 0; i < n; i++) {
        const struct agg *a = &aggs[i];
        p->calls += a->n;
        p->asked += a->asked;
        p->n_wait += a->n_wait;
        p->wait_ms += a->wait_ms;
        p->exec_ms += a->sum_ms;
        const char *server;
        size_t len = mcp_server(store_str(s, ids[i]), &server);
        if (!len || !a->n)
            continue;
        int added;
        size_t k = kmap_put(&m->map, server, len, &added);
        if (k >= m->alloc) {
            m->alloc = m->alloc ? 2 * m->alloc : 16;
            m->aggs = xreallocarray(m->aggs, m->alloc, sizeof *m->aggs);
            m->people = xreallocarray(m->people, m->alloc, sizeof *m->people);
        }
        if (added) {
            agg_init(&m->aggs[k]);
            m->people[k] = 0;
        }
        agg_merge(&m->aggs[k], a);
        kmap_put(&seen, server, len, &added);
        if (added)
            m->people[k]++;
    }
    kmap_free(&seen);
    for (size_t i = 0; i < n; i++)
        agg_free(&aggs[i]);
    free(ids);
    free(aggs);

    struct hotspots h;
    pq.tool = "Bash";
    if ((rc = engine_hotspots(s, &pq, TP_MAX_LIMIT, &h, errbuf)) != 0)
        return rc;
    for (size_t i = 0; i < h.n; i++) {
        const struct hotspot *x = &h.items[i];
        const char *cmd = x->target ? x->target : "";
        int added;
        size_t k = kmap_put(&c->map, cmd, strlen(cmd), &added);
        if (k >= c->alloc) {
            c->alloc = c->alloc ? 2 * c->alloc : 64;
            c->v = xreallocarray(c->v, c->alloc, sizeof *c->v);
        }
        struct team_command *t = &c->v[k];
        if (added) {
            memset(t, 0, sizeof *t);
            t->command = xstrdup(cmd);
        }
        t->calls += x->count;
        t->people++;
        t->total_ms += x->total_ms;
        t->avg_ms += (double)x->timed; /* the timed calls, for the average below */
        if (x->max_ms > t->max_ms)
            t->max_ms = x->max_ms;
    }
    hotspots_free(&h);
    return 0;
}

int team_view(struct store *s, const struct engine_query *q, size_t limit, struct team *out,
              char *errbuf)
{
    memset(out, 0, sizeof *out);
    out->w = q->w;
    if (!store_team(s))
        return tp_fail(errbuf, TP_EINVAL,
                       "the team view needs the team store (--store clickhouse://..., "
                       "docs/team.md): this store is one person's");
    struct people_ctx pc = {out, 0};
    if (store_people(s, person_row, &pc) != 0)
        return tp_fail(errbuf, TP_EDB, "reading the team's people failed");
    struct mcp_acc m;
    struct cmd_acc c;
    memset(&m, 0, sizeof m);
    memset(&c, 0, sizeof c);
    int rc = 0;
    for (size_t i = 0; i < out->npeople && rc == 0; i++)
        rc = one_person(s, q, &out->people[i], &m, &c, errbuf);
    if (rc == 0) {
        /* Everyone, by name, as members; people without calls in the window
         * are left out of people. */
        out->members = xcalloc(out->npeople ? out->npeople : 1, sizeof *out->members);
        for (size_t i = 0; i < out->npeople; i++) {
            struct team_person *p = &out->people[i], *mb = &out->members[out->nmembers++];
            mb->person = xstrdup(p->person);
            mb->hosts = xcalloc(p->nhosts ? p->nhosts : 1, sizeof *mb->hosts);
            for (size_t j = 0; j < p->nhosts; j++)
                mb->hosts[mb->nhosts++] = xstrdup(p->hosts[j]);
        }
        size_t k = 0;
        for (size_t i = 0; i < out->npeople; i++) {
            struct team_person *p = &out->people[i];
            if (p->calls) {
                out->people[k++] = *p;
                continue;
            }
            free(p->person);
            for (size_t j = 0; j < p->nhosts; j++)
                free(p->hosts[j]);
            free(p->hosts);
        }
        out->npeople = k;
        if (k > 1)
            qsort(out->people, k, sizeof *out->people, cmp_people);
        out->mcp = xcalloc(m.map.n ? m.map.n : 1, sizeof *out->mcp);
        for (size_t i = 0; i < m.map.n; i++) {
            size_t len;
            const char *name = kmap_key(&m.map, i, &len);
            struct team_mcp *x = &out->mcp[out->nmcp++];
            const struct agg *a = &m.aggs[i];
            x->server = xstrndup(name, len);
            x->calls = a->n;
            x->timed = a->n_timed;
            x->slow = a->slow;
            x->people = m.people[i];
            x->total_ms = a->sum_ms;
            x->avg_ms = a->n_timed ? a->sum_ms / (double)a->n_timed : 0;
            x->p95_ms = sketch_quantile(&a->sk, 0.95);
        }
        if (out->nmcp > 1)
            qsort(out->mcp, out->nmcp, sizeof *out->mcp, cmp_mcp);
        out->commands = xcalloc(c.map.n ? c.map.n : 1, sizeof *out->commands);
        for (size_t i = 0; i < c.map.n; i++) {
            struct team_command *x = &c.v[i];
            double timed = x->avg_ms;
            x->avg_ms = timed > 0 ? x->total_ms / timed : 0;
            out->commands[out->ncommands++] = *x;
        }
        if (out->ncommands > 1)
            qsort(out->commands, out->ncommands, sizeof *out->commands, cmp_cmd);
        while (out->nmcp > limit)
            free(out->mcp[--out->nmcp].server);
        while (out->ncommands > limit)
            free(out->commands[--out->ncommands].command);
    } else {
        for (size_t i = 0; i < c.map.n; i++)
            free(c.v[i].command);
    }
    for (size_t i = 0; i < m.map.n; i++)
        agg_free(&m.aggs[i]);
    free(m.aggs);
    free(m.people);
    kmap_free(&m.map);
    free(c.v);
    kmap_free(&c.map);
    if (rc)
        team_free(out);
    return rc;
}

static void people_free(struct team_person *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].person);
        for (size_t j = 0; j < v[i].nhosts; j++)
            free(v[i].hosts[j]);
        free(v[i].hosts);
    }
    free(v);
}

void team_free(struct team *t)
{
    people_free(t->people, t->npeople);
    people_free(t->members, t->nmembers);
    for (size_t i = 0; i < t->nmcp; i++)
        free(t->mcp[i].server);
    free(t->mcp);
    for (size_t i = 0; i < t->ncommands; i++)
        free(t->commands[i].command);
    free(t->commands);
    memset(t, 0, sizeof *t);
}
