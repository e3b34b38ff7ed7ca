/*
 * cmd_data.c - data in and out: track, import, export, demo, prune.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/demo.h"
#include "ingest/importer.h"
#include "ingest/seedfile.h"

/* Parse the usual command shape; returns -1 when the command should exit
 * with *status. */
static int parse(const char *cmd, const char *usage, const char *desc, const struct opt *opts,
                 int argc, char **argv, char ***pos, int *npos, int *status)
{
    char err[TP_ERR_MAX];
    int help;
    if (args_parse(argc, argv, opts, &help, pos, npos, err) != 0) {
        *status = cli_error(cmd, CLI_USAGE, "%s", err);
        return -1;
    }
    if (help) {
        args_usage(stdout, usage, desc, opts);
        *status = CLI_OK;
        return -1;
    }
    return 0;
}

static void json_result(struct jsonw *w, const void *arg)
{
    const struct store_result *r = arg;
    jw_obj_begin(w);
    jw_kint(w, "count", (long long)(r->inserted + r->merged + r->unchanged));
    jw_kint(w, "inserted", (long long)r->inserted);
    jw_kint(w, "merged", (long long)r->merged);
    jw_kint(w, "unchanged", (long long)r->unchanged);
    jw_obj_end(w);
}

/* ---- track ----------------------------------------------------------------------- */

int cmd_track(int argc, char **argv, const char *data_dir)
{
    const char *tool = NULL, *target = NULL, *ts = NULL, *session = NULL, *project = NULL;
    const char *meta = NULL, *id = NULL, *error = NULL, *dir = NULL;
    double duration = NAN;
    long long size = LLONG_MIN; /* not given */
    int optimized = 0, failed = 0, json = 0, status;
    const struct opt opts[] = {
        {"tool", OPT_STR, &tool, "NAME", "tool name (required): Read, Bash, mcp__x__y, ..."},
        {"target", OPT_STR, &target, "TEXT", "what it acted on: a path, a command, a URL"},
        {"duration-ms", OPT_NUM, &duration, "MS", "how long it took (required)"},
        {"optimized", OPT_FLAG, &optimized, NULL, "it used offset/limit, head_limit, ..."},
        {"failed", OPT_FLAG, &failed, NULL, "it failed"},
        {"error", OPT_STR, &error, "TEXT", "the failure's message"},
        {"timestamp", OPT_STR, &ts, "TIME", "when it started (ISO-8601; default now)"},
        {"session", OPT_STR, &session, "ID", "session id"},
        {"project", OPT_STR, &project, "DIR", "project directory (cwd)"},
        {"tool-use-id", OPT_STR, &id, "ID", "the agent's id of the call"},
        {"size-bytes", OPT_LONG, &size, "N", "bytes read or written"},
        {"meta", OPT_STR, &meta, "JSON", "metadata, a JSON object"},
        {"json", OPT_FLAG, &json, NULL, "print the result as JSON"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (parse("track",
              "toolprof track --tool T --duration-ms N [--target X] [--optimized] [--failed] "
              "[--timestamp ISO] [--session S] [--meta JSON]",
              "Record one tool call.", opts, argc, argv, NULL, NULL, &status) != 0)
        return status;
    if (!tool)
        return cli_error("track", CLI_USAGE, "--tool is required");
    if (isnan(duration))
        return cli_error("track", CLI_USAGE, "--duration-ms is required");
    if (size != LLONG_MIN && size < 0)
        return cli_error("track", CLI_USAGE, "--size-bytes must be 0 or more, got %lld", size);
    struct op op;
    op_init(&op);
    int64_t now = tpt_now_ms();
    op_sets(&op.tool, tool);
    op_sets(&op.target, target);
    op_sets(&op.session_id, session);
    op_sets(&op.project, project);
    op_sets(&op.tool_use_id, id);
    op_sets(&op.error, error);
    op_sets(&op.meta, meta);
    op.duration_ms = duration;
    op.duration_is_int = duration == floor(duration);
    op.optimized = optimized;
    op.success = !failed;
    op.size_bytes = size == LLONG_MIN ? -1 : size;
    op.ts_ms = now;
    op.source = OP_SRC_CLI;
    char err[TP_ERR_MAX];
    if (ts && tpt_parse_iso(ts, TPT_NAIVE_LOCAL, &op.ts_ms) != 0) {
        op_clear(&op);
        return cli_error("track", CLI_USAGE, "--timestamp: expected an ISO-8601 time, got '%s'",
                         ts);
    }
    if (op_normalize(&op, now, err) != 0) {
        op_clear(&op);
        return cli_error("track", CLI_USAGE, "%s", err);
    }
    struct store *s = cli_open_store(dir ? dir : data_dir, 1);
    if (!s) {
        op_clear(&op);
        return CLI_FAIL;
    }
    struct store_result res = {0};
    int rc = store_insert(s, &op, 1, NULL, &res, err);
    op_clear(&op);
    store_close(s);
    if (rc != 0)
        return cli_error("track", CLI_FAIL, "%s", err);
    if (json)
        return cli_print_json(json_result, &res);
    printf("%s\n", res.inserted ? "stored"
                   : res.merged ? "merged with the stored call"
                                : "already stored");
    return CLI_OK;
}

/* ---- import ------------------------------------------------------------------------- */

static void json_import(struct jsonw *w, const void *arg)
{
    const struct importer_stats *st = arg;
    jw_obj_begin(w);
    jw_kint(w, "files_seen", (long long)st->files_seen);
    jw_kint(w, "files_read", (long long)st->files_read);
    jw_kint(w, "files_unchanged", (long long)st->files_unchanged);
    jw_kint(w, "files_seed", (long long)st->files_seed);
    jw_kint(w, "files_skipped", (long long)st->files_skipped);
    jw_kint(w, "files_failed", (long long)st->files_failed);
    jw_kint(w, "lines", (long long)st->lines);
    jw_kint(w, "bytes", (long long)st->bytes);
    jw_kint(w, "operations", (long long)st->ops);
    jw_kint(w, "inserted", (long long)st->res.inserted);
    jw_kint(w, "merged", (long long)st->res.merged);
    jw_kint(w, "unchanged", (long long)st->res.unchanged);
    jw_kint(w, "malformed_lines", (long long)st->malformed);
    jw_kint(w, "rejected", (long long)st->rejected);
    jw_key(w, "agents");
    jw_obj_begin(w);
    for (int a = 0; a < IMPORTER_AGENTS; a++) {
        jw_key(w, importer_agent_name(a));
        jw_obj_begin(w);
        jw_kint(w, "files", (long long)st->agent[a].files);
        jw_kint(w, "operations", (long long)st->agent[a].calls);
        jw_kint(w, "inserted", (long long)st->agent[a].inserted);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}

int cmd_import(int argc, char **argv, const char *data_dir)
{
    const char *dir = NULL;
    int full = 0, json = 0, quiet = 0, status;
    char **pos;
    int npos;
    const struct opt opts[] = {
        {"full", OPT_FLAG, &full, NULL, "read every file from its start (ignore progress marks)"},
        {"quiet", OPT_FLAG, &quiet, NULL, "no progress bar and no per-line reports"},
        {"json", OPT_FLAG, &json, NULL, "print the summary as JSON"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (parse("import", "toolprof import [PATH...] [--full] [--json]",
              "Import tool calls from the session files of Claude Code, Codex CLI, Gemini CLI\n"
              "and OpenCode (with no PATH, from each one's default places: ~/.claude/projects\n"
              "and $CLAUDE_CONFIG_DIR/projects, $CODEX_HOME or ~/.codex sessions/ and\n"
              "archived_sessions/, ~/.gemini/tmp (and $GEMINI_CLI_HOME's), opencode.db and\n"
              "storage/ in $XDG_DATA_HOME/opencode or ~/.local/share/opencode), from the\n"
              "original dashboard's operations_YYYY-MM-DD.json files, from toolprof's jsonl\n"
              "exports and from hook payload logs. Files are told apart by place and content.\n"
              "Import is incremental\n"
              "(unchanged files are skipped, grown files and killed imports go on from where\n"
              "the last import stopped, files rewritten in place are read again) and idempotent\n"
              "(a call is stored once however often it is seen).",
              opts, argc, argv, &pos, &npos, &status) != 0) {
        free(pos);
        return status;
    }
    struct store *s = cli_open_store(dir ? dir : data_dir, 1);
    if (!s) {
        free(pos);
        return CLI_FAIL;
    }
    struct importer_opts o;
    importer_opts_init(&o);
    o.full = full;
    if (quiet || json) {
        o.progress = IMPORTER_PROGRESS_OFF;
        if (quiet)
            o.report = NULL;
    }
    struct importer_stats st;
    memset(&st, 0, sizeof st);
    char err[TP_ERR_MAX];
    int rc = importer_run(s, (const char *const *)pos, (size_t)npos, &o, &st, err);
    free(pos);
    store_close(s);
    if (rc != 0 && rc != TP_ENOTFOUND)
        return cli_error("import", CLI_FAIL, "%s", err);
    if (json) {
        status = cli_print_json(json_import, &st);
    } else {
        printf("%zu files (%zu read, %zu unchanged, %zu daily/jsonl, %zu skipped, %zu failed), "
               "%.1f MB\n%llu calls: %zu new, %zu merged, %zu already stored; %llu malformed "
               "lines, %llu rejected\n",
               st.files_seen, st.files_read, st.files_unchanged, st.files_seed, st.files_skipped,
               st.files_failed, (double)st.bytes / 1e6, (unsigned long long)st.ops, st.res.inserted,
               st.res.merged, st.res.unchanged, (unsigned long long)st.malformed,
               (unsigned long long)st.rejected);
        struct importer_root *roots = NULL;
        size_t nroots = 0;
        if (npos == 0)
            importer_agent_roots(&roots, &nroots);
        importer_summary(stdout, &st, roots, nroots);
        importer_free_agent_roots(roots, nroots);
        status = CLI_OK;
    }
    return rc == TP_ENOTFOUND ? CLI_FAIL : status;
}

/* ---- export ----------------------------------------------------------------------- */

int cmd_export(int argc, char **argv, const char *data_dir)
{
    const char *format = "jsonl", *out = NULL, *window = "all", *since = NULL, *until = NULL;
    const char *dir = NULL;
    int status;
    const struct opt opts[] = {
        {"format", OPT_STR, &format, "F", "seed-json, jsonl (default) or csv"},
        {"out", OPT_STR, &out, "DIR", "output directory, or - for stdout (jsonl, csv)"},
        {"window", OPT_STR, &window, "W", "what to export (default all)"},
        {"since", OPT_STR, &since, "TIME", "from this time"},
        {"until", OPT_STR, &until, "TIME", "up to this time"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (parse("export", "toolprof export --format seed-json|jsonl|csv --out DIR|-",
              "Write stored operations out: seed-json as the original dashboard's\n"
              "operations_YYYY-MM-DD.json (one file per local day), jsonl as one operation\n"
              "object per line (re-importable, every field kept), csv for spreadsheets.",
              opts, argc, argv, NULL, NULL, &status) != 0)
        return status;
    enum seedfile_format fmt;
    if (strcmp(format, "seed-json") == 0)
        fmt = EXPORT_SEED_JSON;
    else if (strcmp(format, "jsonl") == 0)
        fmt = EXPORT_JSONL;
    else if (strcmp(format, "csv") == 0)
        fmt = EXPORT_CSV;
    else
        return cli_error("export", CLI_USAGE, "--format: expected seed-json, jsonl or csv");
    if (!out)
        return cli_error("export", CLI_USAGE, "--out DIR (or - for stdout) is required");
    struct engine_window_args {
        int64_t since, until;
    } win;
    char err[TP_ERR_MAX];
    int64_t now = tpt_now_ms();
    /* Reuse the engine's window syntax without depending on the engine:
     * "all", <n>h, <n>d, or since/until. */
    win.until = now + 1;
    win.since = TP_MIN_TS_MS;
    if (strcmp(window, "all") != 0) {
        int64_t len;
        if (tpt_parse_age(window, (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS, &len) != 0)
            return cli_error("export", CLI_USAGE, "--window: expected all, <n>h or <n>d");
        win.since = now - len;
    }
    if (since && tpt_parse_iso(since, TPT_NAIVE_LOCAL, &win.since) != 0)
        return cli_error("export", CLI_USAGE, "--since: expected an ISO-8601 time");
    if (until && tpt_parse_iso(until, TPT_NAIVE_LOCAL, &win.until) != 0)
        return cli_error("export", CLI_USAGE, "--until: expected an ISO-8601 time");
    struct store *s = cli_open_store(dir ? dir : data_dir, 0);
    if (!s)
        return CLI_FAIL;
    size_t count = 0;
    int rc = seedfile_export(s, fmt, out, win.since, win.until, &count, err);
    store_close(s);
    if (rc != 0)
        return cli_error("export", CLI_FAIL, "%s", err);
    if (strcmp(out, "-") != 0)
        fprintf(stderr, "exported %zu operations to %s\n", count, out);
    return CLI_OK;
}

/* ---- demo -------------------------------------------------------------------------- */

int cmd_demo(int argc, char **argv, const char *data_dir)
{
    long long ops = 5000, days = 30, seed = 42;
    const char *dir = NULL, *end = NULL;
    int json = 0, quiet = 0, force = 0, status;
    const struct opt opts[] = {
        {"ops", OPT_LONG, &ops, "N", "operations to generate (default 5000)"},
        {"force", OPT_FLAG, &force, NULL, "add to a store that holds real calls too"},
        {"days", OPT_LONG, &days, "D", "spread over the last D days (default 30)"},
        {"seed", OPT_LONG, &seed, "S", "random seed: the same seed, the same history (42)"},
        {"end", OPT_STR, &end, "TIME", "the history ends at TIME (ISO-8601; default now)"},
        {"quiet", OPT_FLAG, &quiet, NULL, "no progress"},
        {"json", OPT_FLAG, &json, NULL, "print the result as JSON"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (parse("demo", "toolprof demo --ops N [--days D] [--seed S] --data-dir DIR",
              "Fill a data directory with a realistic synthetic history of Claude Code tool\n"
              "calls, to try the dashboard. The calls are stored with source `demo`; demo\n"
              "refuses a store that holds real calls (use a separate --data-dir, or --force),\n"
              "and `toolprof prune --source demo` removes them again.",
              opts, argc, argv, NULL, NULL, &status) != 0)
        return status;
    if (ops < 1 || ops > 1000000000LL || days < 1 || days > TP_MAX_TREND_DAYS)
        return cli_error("demo", CLI_USAGE, "--ops must be 1 to 1e9 and --days 1 to %d",
                         TP_MAX_TREND_DAYS);
    int64_t end_ms = tpt_now_ms();
    if (end && tpt_parse_iso(end, TPT_NAIVE_LOCAL, &end_ms) != 0)
        return cli_error("demo", CLI_USAGE, "--end: expected an ISO-8601 time, got '%s'", end);
    if (end_ms > tpt_now_ms())
        return cli_error("demo", CLI_USAGE, "--end: the history cannot end in the future");
    struct store *s = cli_open_store(dir ? dir : data_dir, 1);
    if (!s)
        return CLI_FAIL;
    int other = 0;
    if (!force && store_has_other_sources(s, 1u << OP_SRC_DEMO, &other) != 0) {
        store_close(s);
        return cli_error("demo", CLI_FAIL, "cannot read the store");
    }
    if (other) {
        char *d = xstrdup(store_dir(s));
        store_close(s);
        cli_error("demo", CLI_FAIL,
                  "%s holds real calls; demo data would mix with them. Use another --data-dir "
                  "(or --force; `toolprof prune --source demo` removes demo calls)",
                  d);
        free(d);
        return CLI_FAIL;
    }
    struct demo_opts o = {.ops = (size_t)ops,
                          .days = (int)days,
                          .seed = (uint64_t)seed,
                          .now_ms = end_ms,
                          .progress = (!quiet && !json && isatty(2)) ? stderr : NULL};
    struct store_result res = {0};
    char err[TP_ERR_MAX];
    int rc = demo_generate(s, &o, &res, err);
    store_close(s);
    if (rc != 0)
        return cli_error("demo", CLI_FAIL, "%s", err);
    if (json)
        return cli_print_json(json_result, &res);
    printf("generated %lld operations over %lld days (%zu new)\n", ops, days, res.inserted);
    return CLI_OK;
}

/* ---- prune ----------------------------------------------------------------------- */

int cmd_prune(int argc, char **argv, const char *data_dir)
{
    const char *older = NULL, *dir = NULL, *source = NULL;
    int json = 0, status;
    const struct opt opts[] = {
        {"older-than", OPT_STR, &older, "AGE", "delete operations older than AGE (30d, 12h)"},
        {"source", OPT_STR, &source, "NAME", "delete the operations only NAME reported (demo)"},
        {"json", OPT_FLAG, &json, NULL, "print the result as JSON"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (parse("prune", "toolprof prune --older-than AGE | --source NAME",
              "Delete old operations, or those of one source (demo). Rollups are kept exact:\n"
              "what remains is counted as if the deleted calls had never been stored.",
              opts, argc, argv, NULL, NULL, &status) != 0)
        return status;
    int64_t age = 0;
    int src = -1;
    if (!older == !source)
        return cli_error("prune", CLI_USAGE, "give --older-than AGE or --source NAME (one)");
    if (older && tpt_parse_age(older, (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS, &age) != 0)
        return cli_error("prune", CLI_USAGE, "--older-than: expected <n>d or <n>h, e.g. 30d");
    if (source && (src = op_source_parse(source)) < 0)
        return cli_error("prune", CLI_USAGE,
                         "--source: expected demo, cli, api, import, transcript, otlp or hook");
    struct store *s = cli_open_store(dir ? dir : data_dir, 1);
    if (!s)
        return CLI_FAIL;
    size_t deleted = 0;
    char err[TP_ERR_MAX];
    int rc = older ? store_prune(s, tpt_now_ms() - age, &deleted, err)
                   : store_prune_source(s, (enum op_source)src, &deleted, err);
    store_close(s);
    if (rc != 0)
        return cli_error("prune", CLI_FAIL, "%s", err);
    if (json)
        printf("{\"deleted\":%zu}\n", deleted);
    else if (older)
        printf("deleted %zu operations older than %s\n", deleted, older);
    else
        printf("deleted %zu operations that only %s reported\n", deleted, source);
    return CLI_OK;
}
