/*
 * test_question.c - the question table: parsing parameters the same way for
 * every caller, and docs/api.md's parameter tables against the table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "engine/question.h"
#include "fixture.h"
#include "harness.h"

#define NOW 1795170645123LL

struct pcase {
    const char *question;
    int n;
    struct question_input in[4];
    const char *error; /* NULL: accepted */
};

static void test_parse_errors(void)
{
    static const struct pcase cases[] = {
        {"slow", 1, {{"limit", "0"}}, "limit: must be an integer from 1 to 10000"},
        {"slow", 1, {{"limit", "10001"}}, "limit: must be an integer from 1 to 10000"},
        {"slow", 1, {{"limit", "5x"}}, "limit: must be an integer from 1 to 10000"},
        {"slow", 1, {{"limit", "1e3"}}, "limit: must be an integer from 1 to 10000"},
        {"slow", 1, {{"limit", " 5"}}, "limit: must be an integer from 1 to 10000"},
        {"slow", 1, {{"limit", "-1"}}, "limit: must be an integer from 1 to 10000"},
        {"slow",
         1,
         {{"limit", "99999999999999999999999"}},
         "limit: must be an integer from 1 to 10000"},
        {"bottlenecks", 1, {{"limit", "10001"}}, "limit: must be an integer from 1 to 10000"},
        {"slow",
         1,
         {{"threshold", "-1"}},
         "threshold: must be a number of milliseconds from 0 to 604800000"},
        {"slow",
         1,
         {{"threshold", "nan"}},
         "threshold: must be a number of milliseconds from 0 to 604800000"},
        {"slow", 1, {{"limit", ""}}, "limit: empty value"},
        {"slow", 2, {{"limit", "5"}, {"limit", "6"}}, "limit: given more than once"},
        {"slow",
         1,
         {{"bogus", "1"}},
         "bogus: unknown parameter (slow takes threshold, limit, window, since, until, tool, "
         "agent, canonical, project, session, person, host)"},
        {"trends",
         1,
         {{"limit", "7"}},
         "limit: unknown parameter (trends takes days, window, since, until, tool, agent, "
         "canonical, project, session, person, host)"},
        {"compare",
         1,
         {{"baseline_since", "last week"}},
         "baseline_since: expected an ISO-8601 time"},
        {"compare", 1, {{"by", "day"}}, "by: must be one of tool|agent|canonical"},
        {"projects",
         1,
         {{"project", "x"}},
         "project: unknown parameter (projects takes window, since, until, tool, agent, "
         "canonical)"},
        {"stats",
         1,
         {{"agent", "an overlong list ......................................................"
                    "......................................................................"
                    "..................................."}},
         "agent: longer than 160 bytes"},
        {"resources", 1, {{"tool", "Read"}}, "tool: unknown parameter (resources takes none)"},
        {"tools",
         1,
         {{"tool", "Read"}},
         "tool: unknown parameter (tools takes window, since, until, project, session)"},
        {"stats",
         1,
         {{"limit", "5"}},
         "limit: unknown parameter (stats takes by, window, since, until, tool, agent, canonical, "
         "project, session, person, host)"},
        {"stats", 1, {{"by", "model"}}, "by: must be one of tool|agent|canonical"},
        {"trends", 1, {{"days", "3661"}}, "days: must be an integer from 1 to 3660"},
        {"stats", 1, {{"window", "8x"}}, "window: expected 24h, 7d, 30d, all, or <n>h / <n>d"},
        {"stats", 1, {{"window", "3661d"}}, "window: expected 24h, 7d, 30d, all, or <n>h / <n>d"},
        {"stats", 1, {{"since", "yesterday"}}, "since: expected an ISO-8601 time"},
        {"stats",
         2,
         {{"since", "2026-11-21"}, {"until", "2026-11-20"}},
         "until must be later than since"},
        {"stats",
         1,
         {{"tool", "an overlong name ................................................"
                   "..........................................................."
                   "........................................."}},
         "tool: longer than 128 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pcase *c = &cases[i];
        const struct question *qn = question_find(c->question);
        struct question_args a;
        char err[TP_ERR_MAX] = "";
        ASSERT_TRUE(qn != NULL);
        int rc = question_parse(qn, c->in, (size_t)c->n, NOW, &a, err);
        if (rc != TP_EINVAL || strncmp(err, c->error, strlen(c->error)) != 0) {
            printf("  case %zu (%s %s=%s): rc %d, message \"%s\", expected \"%s\"\n", i,
                   c->question, c->in[0].name, c->in[0].value, rc, err, c->error);
            ASSERT_TRUE(0);
        }
    }
}

static void test_parse_values(void)
{
    const struct question *slow = question_find("slow");
    struct question_args a;
    char err[TP_ERR_MAX];
    /* Defaults. */
    ASSERT_EQ_INT(question_parse(slow, NULL, 0, NOW, &a, err), 0);
    ASSERT_EQ_DBL(a.v[0], 2000, 0);
    ASSERT_EQ_DBL(a.v[1], 50, 0);
    ASSERT_STREQ(a.q.w.name, "24h");
    ASSERT_EQ_INT(a.q.w.since_ms, NOW - 24 * 3600000LL);
    ASSERT_TRUE(a.q.tool == NULL && a.q.project == NULL && a.q.session == NULL);
    /* Given values, bounds included. */
    struct question_input in[] = {
        {"threshold", "0.5"}, {"limit", "10000"}, {"window", "3660d"}, {"tool", "Read"}};
    ASSERT_EQ_INT(question_parse(slow, in, 4, NOW, &a, err), 0);
    ASSERT_EQ_DBL(a.v[0], 0.5, 0);
    ASSERT_EQ_DBL(a.v[1], 10000, 0);
    ASSERT_EQ_INT(a.q.w.since_ms, NOW - 3660 * 86400000LL);
    ASSERT_STREQ(a.q.tool, "Read");
    /* A choice: its index; the agent and canonical filters. */
    struct question_input by[] = {{"by", "canonical"}, {"agent", "codex"}, {"canonical", "shell"}};
    ASSERT_EQ_INT(question_parse(question_find("stats"), by, 3, NOW, &a, err), 0);
    ASSERT_EQ_DBL(a.v[0], BY_CANONICAL, 0);
    ASSERT_STREQ(a.q.agent, "codex");
    ASSERT_STREQ(a.q.canonical, "shell");
    ASSERT_EQ_INT(question_parse(question_find("stats"), NULL, 0, NOW, &a, err), 0);
    ASSERT_EQ_DBL(a.v[0], BY_TOOL, 0);
    /* tools answers over everything stored unless told otherwise. */
    ASSERT_EQ_INT(question_parse(question_find("tools"), NULL, 0, NOW, &a, err), 0);
    ASSERT_STREQ(a.q.w.name, "all");
    /* A question without a window answers over everything. */
    ASSERT_EQ_INT(question_parse(question_find("resources"), NULL, 0, NOW, &a, err), 0);
    ASSERT_STREQ(a.q.w.name, "all");
    /* trends: a window of 7 days unless told; which parameters were given. */
    ASSERT_EQ_INT(question_parse(question_find("trends"), NULL, 0, NOW, &a, err), 0);
    ASSERT_STREQ(a.q.w.name, "7d");
    ASSERT_EQ_INT(a.given, 0);
    ASSERT_EQ_INT(a.window_given, 0);
    struct question_input days[] = {{"days", "14"}};
    ASSERT_EQ_INT(question_parse(question_find("trends"), days, 1, NOW, &a, err), 0);
    ASSERT_EQ_INT(a.given, 1);
    ASSERT_EQ_DBL(a.v[0], 14, 0);
    struct question_input w24[] = {{"window", "24h"}};
    ASSERT_EQ_INT(question_parse(question_find("trends"), w24, 1, NOW, &a, err), 0);
    ASSERT_EQ_INT(a.window_given, 1);
    /* compare: two times, or none (NAN). */
    ASSERT_EQ_INT(question_parse(question_find("compare"), NULL, 0, NOW, &a, err), 0);
    ASSERT_STREQ(a.q.w.name, "7d");
    ASSERT_TRUE(isnan(a.v[1]) && isnan(a.v[2]));
    struct question_input cmp[] = {{"baseline_since", "2026-11-01T00:00:00Z"},
                                   {"baseline_until", "2026-11-08T00:00:00Z"},
                                   {"by", "canonical"}};
    ASSERT_EQ_INT(question_parse(question_find("compare"), cmp, 3, NOW, &a, err), 0);
    ASSERT_EQ_DBL(a.v[1], 1793491200000.0, 0);
    ASSERT_EQ_DBL(a.v[2], 1793491200000.0 + 7 * 86400000.0, 0);
    ASSERT_EQ_DBL(a.v[0], BY_CANONICAL, 0);
    ASSERT_EQ_INT(a.given, 7);
    /* Names and paths. */
    ASSERT_TRUE(question_by_path("slow-operations", NULL) == slow);
    ASSERT_TRUE(question_by_path("slow", NULL) == NULL);
    /* A path parameter: the rest of the path, one segment. */
    const char *id = NULL;
    ASSERT_TRUE(question_by_path("sessions/abcd-1234", &id) == question_find("session"));
    ASSERT_STREQ(id, "abcd-1234");
    ASSERT_TRUE(question_by_path("sessions", &id) == question_find("sessions"));
    ASSERT_TRUE(question_by_path("sessions/", &id) == NULL);
    ASSERT_TRUE(question_by_path("sessions/a/b", &id) == NULL);
    struct question_input sin[] = {{"id", "abcd-1234"}};
    ASSERT_EQ_INT(question_parse(question_find("session"), sin, 1, NOW, &a, err), 0);
    ASSERT_STREQ(a.text[0], "abcd-1234");
    ASSERT_EQ_INT(question_parse(question_find("session"), NULL, 0, NOW, &a, err), TP_EINVAL);
    ASSERT_STREQ(err, "id: missing (session ID)");
    ASSERT_TRUE(question_find("slow-operations") == NULL);
    ASSERT_TRUE(question_takes(slow, "limit") && question_takes(slow, "session"));
    ASSERT_TRUE(!question_takes(question_find("resources"), "window"));
}

/* ---- docs/api.md -------------------------------------------------------------- */

static char *read_doc(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("  cannot open %s (tests run from the repository's root)\n", path);
        return NULL;
    }
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The common parameter names a question takes, in the table's order. */
static void expected_commons(const struct question *qn, char *out, size_t size)
{
    static const char *const names[] = {"window",    "since",   "until",   "tool",   "agent",
                                        "canonical", "project", "session", "person", "host"};
    static const unsigned bits[] = {QC_WINDOW, QC_WINDOW,  QC_WINDOW,  QC_TOOL,   QC_TOOL,
                                    QC_TOOL,   QC_PROJECT, QC_SESSION, QC_PERSON, QC_PERSON};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 10; i++)
        if (qn->common & bits[i])
            len += (size_t)snprintf(out + len, size - len, "%s`%s`", len ? ", " : "", names[i]);
}

/* Split a markdown table row into trimmed cells. */
static int cells(char *line, char **cell, int max)
{
    int n = 0;
    char *p = line;
    if (*p != '|')
        return 0;
    p++;
    while (*p && n < max) {
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        while (*p == ' ')
            p++;
        char *e = bar;
        while (e > p && e[-1] == ' ')
            *--e = '\0';
        cell[n++] = p;
        p = bar + 1;
    }
    return n;
}

static void check_question_doc(const struct question *qn, const char *doc)
{
    char head[128], cli[128];
    snprintf(head, sizeof head, "### `GET /api/performance/%s%s%s%s`\n", qn->path,
             qn->path_param ? "{" : "", qn->path_param ? qn->path_param : "",
             qn->path_param ? "}" : "");
    snprintf(cli, sizeof cli, "CLI: `toolprof %s%s`", qn->name, qn->path_param ? " ID" : "");
    const char *sec = strstr(doc, head);
    if (!sec) {
        printf("  docs/api.md has no section %s", head);
        ASSERT_TRUE(0);
    }
    sec += strlen(head);
    ASSERT_TRUE(strncmp(sec, cli, strlen(cli)) == 0);
    const char *table = strstr(sec, "| parameter | type | default | bounds |\n|---|---|---|---|\n");
    const char *next = strstr(sec, "\n### ");
    ASSERT_TRUE(table && (!next || table < next));
    table = strchr(strchr(table, '\n') + 1, '\n') + 1;
    int seen[QUESTION_MAX_PARAMS] = {0}, commons_seen = 0;
    while (*table == '|') {
        const char *eol = strchr(table, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(eol - table), table);
        char *c[4];
        ASSERT_EQ_INT(cells(line, c, 4), 4);
        if (strcmp(c[1], "common") == 0) {
            char want[256];
            expected_commons(qn, want, sizeof want);
            if (strcmp(c[0], want) != 0) {
                printf("  %s: common parameters documented as %s, the table has %s\n", qn->name,
                       c[0], want);
                ASSERT_TRUE(0);
            }
            char wdef[64] = "";
            if (qn->window_default && strcmp(qn->window_default, "24h") != 0)
                snprintf(wdef, sizeof wdef, "window `%s`", qn->window_default);
            ASSERT_STREQ(c[2], wdef);
            commons_seen = 1;
        } else {
            size_t pos = 0;
            int found = 0;
            for (; qn->params[pos].name; pos++) {
                char quoted[64];
                snprintf(quoted, sizeof quoted, "`%s`", qn->params[pos].name);
                if (strcmp(quoted, c[0]) == 0) {
                    found = 1;
                    break;
                }
            }
            if (!found) {
                printf("  %s: docs/api.md documents %s, which the table does not have\n", qn->name,
                       c[0]);
                ASSERT_TRUE(0);
            }
            const struct qparam *p = &qn->params[pos];
            char def[32], bounds[64];
            snprintf(def, sizeof def, "%g", p->def);
            if (p->type == QP_CHOICE) {
                size_t len = 0;
                for (size_t k = 0; p->choices[k]; k++)
                    len += (size_t)snprintf(bounds + len, sizeof bounds - len, "%s`%s`",
                                            k ? ", " : "", p->choices[k]);
                snprintf(def, sizeof def, "`%s`", p->choices[(size_t)p->def]);
            } else if (p->type == QP_INT)
                snprintf(bounds, sizeof bounds, "%lld to %lld", p->min, p->max);
            else if (p->type == QP_TEXT)
                snprintf(bounds, sizeof bounds, "1 to %lld bytes", p->max);
            else if (p->type == QP_TIME)
                snprintf(bounds, sizeof bounds, "ISO-8601");
            else
                snprintf(bounds, sizeof bounds, "0 to %.0f", TP_MAX_DURATION_MS);
            if (p->type == QP_TEXT)
                snprintf(def, sizeof def, "required");
            if (p->type == QP_TIME)
                snprintf(def, sizeof def, "\xE2\x80\x93");
            ASSERT_STREQ(c[1], p->type == QP_INT      ? "integer"
                               : p->type == QP_TEXT   ? "text"
                               : p->type == QP_CHOICE ? "choice"
                               : p->type == QP_TIME   ? "time"
                                                      : "milliseconds");
            ASSERT_STREQ(c[2], def);
            ASSERT_STREQ(c[3], bounds);
            seen[pos] = 1;
        }
        table = eol + 1;
    }
    for (size_t i = 0; qn->params[i].name; i++) {
        if (!seen[i])
            printf("  %s: --%s is not in docs/api.md\n", qn->name, qn->params[i].name);
        ASSERT_TRUE(seen[i]);
    }
    ASSERT_EQ_INT(commons_seen, qn->common != 0);
}

static void test_api_doc_matches_table(void)
{
    char *doc = read_doc("docs/api.md");
    ASSERT_TRUE(doc != NULL);
    for (const struct question *qn = questions; qn->name; qn++)
        check_question_doc(qn, doc);
    /* And every documented read endpoint is a question. */
    for (const char *p = doc; (p = strstr(p, "### `GET /api/performance/")) != NULL; p++) {
        char path[64];
        sscanf(p + strlen("### `GET /api/performance/"), "%63[^`]", path);
        char *brace = strchr(path, '{');
        if (brace) /* a path parameter: any value will do */
            snprintf(brace, sizeof path - (size_t)(brace - path), "x");
        if (!question_by_path(path, NULL))
            printf("  docs/api.md documents %s, which is not a question\n", path);
        ASSERT_TRUE(question_by_path(path, NULL) != NULL);
    }
    free(doc);
}

TEST_MAIN(TEST_CASE(test_parse_errors), TEST_CASE(test_parse_values),
          TEST_CASE(test_api_doc_matches_table))
