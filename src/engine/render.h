/*
 * render.h - engine answers as JSON.
 *
 * The one place where answers become JSON: the CLI's --json output and the
 * HTTP API's `data` are both produced here, so they are identical by
 * construction. Each function writes one JSON value into the writer.
 */
#ifndef TOOLPROF_RENDER_H
#define TOOLPROF_RENDER_H

#include "analyzer.h"
#include "catalog.h"
#include "compare.h"
#include "core/jsonw.h"
#include "engine.h"
#include "sessions.h"
#include "team.h"

/* One operation object (docs/api.md, "Operation object"). */
void render_op(struct jsonw *w, const struct op *op, unsigned sources);
void render_op_list(struct jsonw *w, const struct op_list *l);

void render_window(struct jsonw *w, const struct engine_window *win);
/* Stats object; trends and resources may be NULL (then their keys are
 * left out). */
void render_stats(struct jsonw *w, const struct stats *st, const struct trends *tr,
                  const struct resources *res);
void render_bottlenecks(struct jsonw *w, const struct bottlenecks *b);
void render_hotspots(struct jsonw *w, const struct hotspots *h);
void render_trends(struct jsonw *w, const struct trends *t);
void render_resources(struct jsonw *w, const struct resources *r);
/* `"key": {"ok", "pending_bytes", "waiting_files", "rejected_bytes",
 * "drain_error", "failing_since"}` (the last two null while ok), inside an
 * object. */
void render_spool(struct jsonw *w, const char *key, const struct spool_status *sp);
void render_recs(struct jsonw *w, const struct recs *r);
/* Sessions: an array of session objects (docs/api.md, "sessions"). */
void render_sessions(struct jsonw *w, const struct sessions *x);
/* One session on the clock: the session, its lanes, calls (operation
 * objects with lane, parent and offsets), model requests and turns. */
void render_session(struct jsonw *w, const struct session_detail *d);

/* The team view (team.h): window, people, mcp, commands. */
void render_team(struct jsonw *w, const struct team *t);
/* Two periods side by side (docs/api.md, "compare"). */
void render_compare(struct jsonw *w, const struct comparison *c);
/* The projects with calls in a window. */
void render_projects(struct jsonw *w, const struct projects *p);

/* An array of the names (the counts are for the command line's table). */
void render_name_list(struct jsonw *w, const struct name_list *l);

#endif
