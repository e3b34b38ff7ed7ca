/*
 * catalog.h - what is stored: the names of the tools (and, as the engine
 * grows, projects and sessions) that a window holds.
 */
#ifndef TOOLPROF_CATALOG_H
#define TOOLPROF_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Names with the number of calls each had in the window, sorted by name. */
struct name_list {
    char **names;
    uint64_t *counts;
    size_t n;
};

void name_list_free(struct name_list *l);

/* The tools called in the query's window, with the project and session
 * filters (the tool filter does not apply). Returns 0 or an error code
 * with errbuf filled. */
int catalog_tools(struct store *s, const struct engine_query *q, struct name_list *out,
                  char *errbuf);

#endif
