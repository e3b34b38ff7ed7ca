/*
 * question.h - every question toolprof answers, in one table.
 *
 * A question has a name (the CLI command), a path (the HTTP endpoint
 * /api/performance/<path>), its parameters with their type, default, bounds
 * and allowed values, and four functions: run (ask the engine), render (the
 * answer as JSON), count (the envelope's "count", for lists) and free. The
 * command line and the HTTP server are both driven from this table:
 *
 *   - both turn their input into (name, value) pairs (`--limit 5` and
 *     `?limit=5` are the pair ("limit", "5")) and hand them to
 *     question_parse(), so a parameter means the same thing with the same
 *     limits on both, and a bad one is refused with the same message;
 *   - a parameter a question does not take is an error on both, never
 *     silently ignored;
 *   - `--json` prints what render() writes, which is the API's `data`.
 *
 * docs/api.md documents each question's parameters; a unit test checks its
 * tables against this one.
 */
#ifndef TOOLPROF_QUESTION_H
#define TOOLPROF_QUESTION_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "core/jsonw.h"
#include "engine.h"

/* The parameters every question may take, as bits of question.common. */
enum {
    QC_WINDOW = 1,  /* window, since, until */
    QC_TOOL = 2,    /* tool, agent, canonical */
    QC_PROJECT = 4, /* project */
    QC_SESSION = 8, /* session */
    QC_PERSON = 16, /* person, host (the team store) */
    QC_FILTERS = QC_TOOL | QC_PROJECT | QC_SESSION | QC_PERSON,
    QC_ALL = QC_WINDOW | QC_FILTERS,
};

enum qparam_type {
    QP_INT,    /* a whole number from min to max (digits only) */
    QP_MS,     /* a number of milliseconds from 0 to TP_MAX_DURATION_MS */
    QP_TEXT,   /* text of 1 to max bytes (required: it has no default) */
    QP_CHOICE, /* one of choices; the value is its index (default: def) */
    QP_TIME,   /* an ISO-8601 time (naive = local), optional: the value is in v
                  as ms, NAN when not given */
};

/* A question's own parameter. */
struct qparam {
    const char *name; /* "limit": --limit on the CLI, ?limit= in the API */
    enum qparam_type type;
    const char *metavar;        /* for help: "N", "MS" */
    const char *help;           /* one line */
    double def;                 /* default value */
    long long min, max;         /* bounds of QP_INT; max bytes of QP_TEXT */
    const char *const *choices; /* QP_CHOICE: the names, NULL-ended */
};

#define QUESTION_MAX_PARAMS 4

/* A parsed request: the window and filters, and the value of each of the
 * question's own parameters (by position in its params). */
struct question_args {
    struct engine_query q;
    double v[QUESTION_MAX_PARAMS];
    const char *text[QUESTION_MAX_PARAMS]; /* QP_TEXT values (into the input) */
    unsigned given;                        /* bit i: params[i] was given */
    unsigned window_given;                 /* window, since or until was given */
    int64_t now_ms;
    /* The filters as question_run() resolved them (q points into it). */
    struct catalog_names names;
};

struct question {
    const char *name; /* CLI command: "slow" */
    const char *path; /* API: /api/performance/<path> ("slow-operations") */
    /* A parameter given as the rest of the path (the API: path is then a
     * prefix, "sessions/") and as the one positional argument (the CLI:
     * `toolprof session ID`); NULL for none. */
    const char *path_param;
    const char *summary;         /* one line, for `toolprof --help` */
    const char *description;     /* a paragraph, for `toolprof NAME --help` */
    unsigned common;             /* QC_* bits */
    const char *window_default;  /* "24h" unless the question says otherwise */
    const struct qparam *params; /* terminated by a zero entry */
    /* Answer into *answer (freed with free_answer). Returns 0, or an error
     * code with errbuf filled. */
    int (*run)(struct store *s, const struct question_args *a, void **answer, char *errbuf);
    void (*render)(struct jsonw *w, const void *answer);
    /* The envelope's "count" (NULL: the envelope has none). */
    size_t (*count)(const void *answer);
    void (*free_answer)(void *answer);
};

/* The questions, in the order `toolprof --help` lists them; the last entry
 * has a NULL name. */
extern const struct question questions[];

/* By CLI name, or by API path (for a question with a path parameter,
 * *param receives the rest of the path; it may be NULL otherwise); NULL
 * when there is none. */
const struct question *question_find(const char *name);
const struct question *question_by_path(const char *path, const char **param);

/* One input pair; value is never NULL. */
struct question_input {
    const char *name;
    const char *value;
};

/* Check the pairs against the question and parse them into *out: every
 * name must be one the question takes, given once, with a value that is
 * not empty and parses within its bounds. Errors (TP_EINVAL) name the
 * parameter first ("limit: must be an integer from 1 to 10000"), the same
 * for every caller. Strings in out->q point into the input. */
int question_parse(const struct question *qn, const struct question_input *in, size_t n,
                   int64_t now_ms, struct question_args *out, char *errbuf);

/* Check that the store can answer it (person and host filters need the
 * team store), resolve the filters to stored names (catalog_resolve: tool names
 * whatever their case, a project by name, a session by the start of its
 * id) and run the question. Returns 0 with *answer set (free it with
 * qn->free_answer), or an error code with errbuf filled: TP_ENOTFOUND when
 * a filter names nothing stored (with the nearest stored names), TP_EINVAL
 * when it is ambiguous or the parameters do not go together. */
int question_run(const struct question *qn, struct store *s, struct question_args *a, void **answer,
                 char *errbuf);

/* Does the question take a parameter of this name? */
int question_takes(const struct question *qn, const char *name);

/* Write "[--window W] [--tool NAME] ..." style usage of the question's
 * parameters (for help texts) into out (size bytes). */
void question_usage(const struct question *qn, char *out, size_t size);

/* Call fn for each parameter the question takes, common ones included,
 * with its metavar, help text and default (as text, NULL when none). */
typedef void (*question_param_fn)(void *ctx, const char *name, const char *metavar,
                                  const char *help, const char *def);
void question_each_param(const struct question *qn, question_param_fn fn, void *ctx);

#endif
