/*
 * catalog.c - names stored in a window (see catalog.h), read from the
 * same per-tool aggregates every question uses.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xmalloc.h"

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
