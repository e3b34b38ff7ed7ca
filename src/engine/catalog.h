/*
 * catalog.h - what is stored, and the names a person types for it.
 *
 * The names of the tools, projects and sessions a window holds; the
 * newest call of a query (to say where the data is when a window is
 * empty); and the resolution of the names a person gives to the names
 * stored: tool names whatever their case, a project by its path or by its
 * name, a session by the first characters of its id. When a name matches
 * nothing stored, the message names the nearest stored values.
 */
#ifndef TOOLPROF_CATALOG_H
#define TOOLPROF_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
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

/* ---- names a person gives ------------------------------------------------------ */

/* The agent filter takes several agents, comma-separated. */
#define CATALOG_MAX_AGENT_LIST 160

/* Where resolved names live; the query's pointers point into it. */
struct catalog_names {
    char tool[TP_MAX_TOOL + 1];
    char agent[CATALOG_MAX_AGENT_LIST + 1];
    char canonical[TP_MAX_TOOL + 16];
    char project[TP_MAX_PROJECT + 1];
    char session[TP_MAX_ID + 1];
};

/* Resolve the query's filters to stored names, in place:
 *   tool       the stored name, whatever the case ("read" is Read); the
 *              label form "name (agent)" selects that agent's tool;
 *   agent      one agent or several, comma-separated, whatever the case;
 *   canonical  whatever the case;
 *   project    its path as stored, a path to it (relative, "~/", with a
 *              trailing "/"), or its name (the path's last component, or
 *              its last components: "dev/app");
 *   session    its id, or the first characters of one (at least 4).
 * Returns 0; TP_ENOTFOUND when a name matches nothing stored (the message
 * names the nearest stored values); TP_EINVAL when it matches several. */
int catalog_resolve(struct store *s, struct engine_query *q, struct catalog_names *names,
                    char *errbuf);

/* Whether name is one of a comma-separated list (an agent filter). */
int catalog_in_list(const char *list, const char *name);

/* ---- where the data is ---------------------------------------------------------- */

/* The start of the newest stored call of the query's filters, whatever
 * the window (0 when there is none). */
int catalog_newest(struct store *s, const struct engine_query *q, int64_t *ts_ms, char *errbuf);

/* The shortest of the named windows 24h, 7d, 30d, all that ends at now_ms
 * and holds ts_ms. */
const char *catalog_window_for(int64_t ts_ms, int64_t now_ms);

/* Whether calls of a canonical kind have an option that limits their
 * work (Read's offset/limit, Grep's head_limit), which "optimized" counts. */
int catalog_has_option(const char *canonical);

/* ---- projects ------------------------------------------------------------------- */

struct project_item {
    char *path;        /* as stored (the agent's working directory) */
    char *name;        /* its last component */
    uint64_t calls;    /* in the window */
    uint64_t failed;   /* in the window */
    uint64_t sessions; /* active in the window */
    double total_ms;   /* execution time in the window */
    int64_t last_ms;   /* its newest call, whatever the window */
};

struct projects {
    struct project_item *items; /* most calls first */
    size_t n;
};

/* The projects with calls in the query's window (the agent filters
 * apply; project and session filters do not). */
int catalog_projects(struct store *s, const struct engine_query *q, struct projects *out,
                     char *errbuf);
void projects_free(struct projects *p);

#endif
