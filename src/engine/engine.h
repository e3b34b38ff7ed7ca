/*
 * engine.h - the questions toolprof answers, as C calls.
 *
 * Each call takes a query (window + filters) and fills an answer struct
 * that the caller frees. The CLI prints answers as tables, and both the CLI
 * (--json) and the HTTP API print them through render.h, so the two cannot
 * drift apart. The engine reads the store's rollups; it touches raw rows
 * only at window edges (at most an hour each side) and for short lists.
 *
 * Windows are [since, until) in UTC ms. Named windows end "now": 24h, 7d,
 * 30d, all (everything stored), <n>h, <n>d.
 */
#ifndef TOOLPROF_ENGINE_H
#define TOOLPROF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "store/spool.h"
#include "store/store.h"

struct engine_window {
    char name[32];    /* "24h", "all", "custom" */
    int64_t since_ms; /* inclusive */
    int64_t until_ms; /* exclusive */
    int open_end;     /* no until given: the window ends now */
};

/* Parse a window. window may be NULL (24h); since/until (ISO-8601, naive =
 * local time) override it when given. Returns 0 or TP_EINVAL with a message
 * naming the parameter. */
int engine_window_parse(const char *window, const char *since, const char *until, int64_t now_ms,
                        struct engine_window *w, char *errbuf);

/* How stats group calls: per tool of each agent, per agent, or per
 * canonical name across agents (taxonomy.h). */
enum engine_by { BY_TOOL, BY_AGENT, BY_CANONICAL };

struct engine_query {
    struct engine_window w;
    const char *tool;      /* the agent's own name; NULL: all */
    const char *agent;     /* NULL: all agents */
    const char *canonical; /* canonical name (taxonomy.h); NULL: all */
    const char *project;   /* NULL: all */
    const char *session;   /* NULL: all */
    /* A person and a machine (the team store only, store_team); NULL: all. */
    const char *person, *host;
    enum engine_by by; /* stats only */
};

/* ---- stats ---------------------------------------------------------- */

/* The phases besides execution (op.h), summed over a set of calls: the
 * calls that asked the person, the known approval waits and hook times,
 * and the wall time of calls whose execution is not known because it may
 * include an approval ("unsplit"). */
struct phase_totals {
    uint64_t asked, n_wait, n_hook, n_unsplit;
    double wait_ms, hook_ms, unsplit_ms;
};

struct tool_stats {
    char *tool;      /* by tool: the agent's own name; by agent: the agent;
                        by canonical: the canonical name */
    char *agent;     /* by tool: its agent; by canonical: NULL */
    char *canonical; /* by tool: its canonical name; by agent: NULL */
    uint64_t count, timed, slow, critical, failed, optimized;
    /* Calls of a kind that has an option limiting its work (Read's
     * offset/limit, Grep's head_limit: catalog_has_option), and of those
     * the ones that used it: the optimization rate's denominator and
     * numerator. */
    uint64_t with_option, used_option;
    double avg_ms, p50_ms, p95_ms, p99_ms, max_ms, total_ms;
    struct phase_totals ph;
};

struct stats {
    struct engine_window w;
    uint64_t total, timed, slow, critical, failed, optimized;
    uint64_t with_option, used_option; /* as in tool_stats */
    double avg_ms, median_ms, p95_ms, p99_ms, total_ms;
    struct phase_totals ph;
    int exact; /* percentiles from raw durations (1) or the sketch (0) */
    /* The newest call of the filters whatever the window, when the window
     * is empty (0: none stored). engine_stats leaves it 0; the question
     * layer fills it (catalog_newest). */
    int64_t newest_ms;
    struct tool_stats *tools; /* sorted by total_ms, descending */
    size_t ntools;
};

int engine_stats(struct store *s, const struct engine_query *q, struct stats *out, char *errbuf);
void stats_free(struct stats *st);

/* ---- lists of operations --------------------------------------------- */

struct op_item {
    int64_t id;
    struct op op; /* owned */
    unsigned sources;
};

struct op_list {
    struct op_item *items;
    size_t n;
};

void op_list_free(struct op_list *l);

/* Operations with duration >= threshold_ms, newest first, at most limit. */
int engine_slow(struct store *s, const struct engine_query *q, double threshold_ms, size_t limit,
                struct op_list *out, char *errbuf);

/* The `per_tool` slowest operations of each tool (slowest first); tools in
 * order of their slowest operation. */
struct bottleneck_group {
    char *tool; /* engine_tool_label */
    struct op_list ops;
};
struct bottlenecks {
    struct bottleneck_group *groups;
    size_t n;
};
int engine_bottlenecks(struct store *s, const struct engine_query *q, size_t per_tool,
                       struct bottlenecks *out, char *errbuf);
void bottlenecks_free(struct bottlenecks *b);

/* (tool, target) pairs ranked by total time consumed. */
struct hotspot {
    char *tool, *target;
    char *agent;
    char *project; /* the project the calls were made in (NULL: none known,
                    * or several) */
    uint64_t count, timed, failed;
    double total_ms, avg_ms, max_ms, share; /* share: % of all time in window */
    /* Approvals: calls that prompted and the known waits; calls whose
     * split is unknown and their wall time (they may have waited). */
    uint64_t asked, unsplit;
    double wait_ms, unsplit_ms;
    int64_t project_id;         /* while collecting; -1: several */
    int64_t tool_id, target_id; /* the store's ids (engine_hotspot_examples) */
    /* Where its longest duration was last seen in the window's order (for
     * engine_hotspot_examples): the row's id (0: unknown), and the UTC day
     * whose per-target totals hold it (-1: a raw row, or none). */
    int64_t max_id, max_day_ms;
    /* Its slowest call in the window (a link to that moment of its
     * session): tool_use_id, session and start; NULL / 0 when unknown
     * (and until engine_hotspot_examples() looks). */
    char *example_call, *example_session;
    int64_t example_ms;
    double example_duration_ms;
};
struct hotspots {
    struct hotspot *items;
    size_t n;
};
int engine_hotspots(struct store *s, const struct engine_query *q, size_t limit,
                    struct hotspots *out, char *errbuf);
/* Each hotspot's slowest call (example_*), for the answers that link to it:
 * one narrow read per hotspot (its tool, the hours whose longest call
 * reaches its longest), so callers that rank many hotspots and show none
 * (the analyzer) do not pay for it. */
int engine_hotspot_examples(struct store *s, const struct engine_query *q, struct hotspots *h,
                            char *errbuf);
void hotspots_free(struct hotspots *h);

/* ---- trends ----------------------------------------------------------- */

struct trend_day {
    char label[20]; /* YYYY-MM-DD, local (YYYY-MM-DDTHH:MM for hours) */
    int64_t start_ms;
    uint64_t count, timed, slow;
    double avg_ms, p95_ms; /* 0 without a timed call (render: null) */
};
struct trends {
    struct trend_day *days; /* oldest first, every day present */
    size_t n;
    const char *step; /* "day" (engine_trends), or engine_series': "hour", "day", "week" */
};
/* The last `days` local days up to and including today (q->w is ignored;
 * filters apply). */
int engine_trends(struct store *s, const struct engine_query *q, int days, int64_t now_ms,
                  struct trends *out, char *errbuf);
void trends_free(struct trends *t);

/* The same points over the query's window: one per hour for a window of up
 * to 48 hours, per local day up to 400 days, else per week (seven local
 * days). The first point is the bucket holding the window's start (for
 * "all": the first stored call), and the first and last points count only
 * what lies inside the window, so the points add up to the window. */
int engine_series(struct store *s, const struct engine_query *q, struct trends *out, char *errbuf);

/* ---- resources -------------------------------------------------------- */

struct resources {
    double memory_mb, cpu_percent;
    int num_threads;
    long pid;
    double uptime_s;
    int64_t db_bytes, operations;
    int64_t now_ms;
    struct spool_status spool; /* the hook spool of the store's directory */
    /* The store's kind: NULL without a store, "sqlite" or "clickhouse".
     * team_store: it keeps who made each call and where (store_team), so
     * the person and host filters and the team view answer; the dashboard
     * shows them only then. */
    const char *store;
    int team_store;
};
/* Measures this process (from /proc), the store and its hook spool (bytes
 * waiting, lines set aside, and this process's last drain error);
 * cpu_percent is the CPU time used since the previous call (or process
 * start) over the wall time, never measured by sleeping. */
int engine_resources(struct store *s, struct resources *out);

/* ---- helpers for other engine modules ---------------------------------- */

/* Merge the rollups of [since, until) for the query's filters into one agg
 * per tool (tool ids in *tool_ids, aggs in *aggs, count in *n; the caller
 * frees each agg and both arrays), adding raw rows at the unaligned edges.
 * With a session filter the whole window is read from raw rows. */
int engine_collect(struct store *s, const struct engine_query *q, int64_t since_ms,
                   int64_t until_ms, int64_t **tool_ids, struct agg **aggs, size_t *n,
                   char *errbuf);

/* The number of timed operations of [since, until) for the query's filters
 * and the sum of their durations: engine_collect's n_timed and sum_ms over
 * all tools, without merging sketches. */
int engine_timed_sum(struct store *s, const struct engine_query *q, int64_t since_ms,
                     int64_t until_ms, uint64_t *n_timed, double *sum_ms, char *errbuf);

/* Every tool's aggregate of [since, until) for a resolved filter, merged
 * into *sum (reset first; the caller owns it). 0 or TP_EDB. */
int engine_sum(struct store *s, const struct store_filter *f, int64_t since_ms, int64_t until_ms,
               struct agg *sum);

/* Clip [*a, *b) to the span of the filter's session; 0 when nothing is
 * left (or the session is unknown). */
int engine_clip_session(struct store *s, const struct store_filter *f, int64_t *a, int64_t *b);

/* The end to read a window to: a window that ends now may end at the end
 * of the bucket (of `width` ms) now is in, since that bucket holds nothing
 * later than now (but for calls from clocks ahead of ours) and its
 * aggregate saves reading what may be a busy hour's (or day's) worth of
 * rows. Other ends stay b. */
int64_t engine_window_end(const struct engine_query *q, int64_t b, int64_t width);

/* Resolve the query's names to ids. Returns 0, or 1 when a named tool,
 * project or session has never been stored, or no stored tool is of the
 * agent or canonical name (the answer is then empty). */
int engine_filter(struct store *s, const struct engine_query *q, struct store_filter *f);

/* A tool's stored key as the answers show it: its own name (into name),
 * its agent and canonical name (into canonical). */
void engine_tool_names(const char *key, char *name, size_t name_size, const char **agent,
                       char *canonical, size_t canonical_size);

/* A tool's stored key as one label: its name, with " (agent)" after it
 * for an agent other than the default (allocated). Where answers key
 * objects by tool, the labels of two agents' tools of one name differ. */
char *engine_tool_label(const char *key);

#endif
