/*
 * cmd_agent.c - the agent side and the server: hook, install-hook, serve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/hook.h"
#include "ingest/settings.h"
#include "server/server.h"

#define STR_(x) #x
#define STR(x) STR_(x) /* a limit's value in a help string */

int cmd_hook(int argc, char **argv, const char *data_dir)
{
    /* Claude Code waits for this command: whatever the arguments, read the
     * payload and exit 0 without printing anything (hook.h). --data-dir is
     * the only option; anything else is ignored rather than refused, so a
     * settings file written by a newer toolprof never breaks the agent. */
    const char *dir = data_dir;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: toolprof [--data-dir DIR] hook [--data-dir DIR]\n\n"
                   "The hook of Claude Code and Gemini CLI: reads one hook payload (JSON) on\n"
                   "stdin and records the tool call it describes (Gemini CLI's BeforeTool and\n"
                   "AfterTool: when the call executed, for the import of its chat). It prints\n"
                   "nothing and always exits 0, so it can never disturb the agent; problems go to\n"
                   "hook-errors.log in the data directory. `toolprof install-hook [--agent\n"
                   "gemini-cli]` adds it to the agent's settings.\n");
            return CLI_OK;
        }
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strncmp(argv[i], "--data-dir=", 11) == 0)
            dir = argv[i] + 11;
    }
    char *resolved = store_default_dir(dir);
    hook_run(resolved, 0);
    free(resolved);
    return CLI_OK;
}

int cmd_install_hook(int argc, char **argv, const char *data_dir)
{
    const char *settings = NULL, *dir = NULL, *agent = "claude-code";
    int uninstall = 0;
    char err[TP_ERR_MAX];
    int help;
    const struct opt opts[] = {
        {"agent", OPT_STR, &agent, "NAME", "claude-code (default) or gemini-cli"},
        {"settings", OPT_STR, &settings, "FILE",
         "settings file (default ~/.claude/settings.json, for Gemini CLI ~/.gemini/settings.json)"},
        {"uninstall", OPT_FLAG, &uninstall, NULL, "remove toolprof's hook entries"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the hook stores calls (default the usual)"},
        {0}};
    if (args_parse(argc, argv, opts, &help, NULL, NULL, err) != 0)
        return cli_error("install-hook", CLI_USAGE, "%s", err);
    if (help) {
        args_usage(stdout, "toolprof install-hook [--agent NAME] [--settings FILE] [--uninstall]",
                   "Add toolprof's hooks to Claude Code's settings: PreToolUse and\n"
                   "PermissionRequest (when a call starts, and whether it shows you a\n"
                   "permission prompt; they never answer for you), PostToolUse and\n"
                   "PostToolUseFailure (the call's execution time). With --agent gemini-cli, to\n"
                   "Gemini CLI's: BeforeTool and AfterTool (when each call executed, given to the\n"
                   "call by the import of its chat). Everything else in the file is kept.\n"
                   "Running it twice changes nothing; the previous file is kept as\n"
                   "FILE.bak.<date>-<time>.",
                   opts);
        return CLI_OK;
    }
    int gemini;
    if (strcmp(agent, "claude-code") == 0 || strcmp(agent, "claude") == 0)
        gemini = 0;
    else if (strcmp(agent, "gemini-cli") == 0 || strcmp(agent, "gemini") == 0)
        gemini = 1;
    else
        return cli_error("install-hook", CLI_USAGE,
                         "--agent %s: hooks are installed for claude-code or gemini-cli (Codex "
                         "CLI and OpenCode are read from their session files)",
                         agent);
    if (!dir)
        dir = data_dir;
    char *path = settings ? strdup(settings)
                 : gemini ? settings_gemini_default_path()
                          : settings_default_path();
    if (!path)
        return cli_error("install-hook", CLI_FAIL, "HOME is not set: give --settings FILE");
    char *command = NULL;
    if (!uninstall && !(command = settings_hook_command(dir, err))) {
        free(path);
        return cli_error("install-hook", CLI_FAIL, "%s", err);
    }
    int rc = gemini ? settings_install_gemini(path, command, uninstall, stdout, err)
                    : settings_install(path, command, uninstall, stdout, err);
    free(command);
    free(path);
    if (rc != 0)
        return cli_error("install-hook", CLI_FAIL, "%s", err);
    return CLI_OK;
}

int cmd_serve(int argc, char **argv, const char *data_dir)
{
    const char *listen = NULL, *token = NULL, *retention = NULL, *dir = NULL, *grpc = NULL;
    int no_watch = 0, verbose = 0, help;
    long long threads = -1; /* not given: the default */
    long long max_conns = -1, max_per_client = -1;
    char err[TP_ERR_MAX];
    const struct opt opts[] = {
        {"listen", OPT_STR, &listen, "HOST:PORT", "address to serve on (default 127.0.0.1:5000)"},
        {"token", OPT_STR, &token, "T", "require this token (default $TOOLPROF_TOKEN)"},
        {"otlp-grpc", OPT_STR, &grpc, "HOST:PORT",
         "also take OTLP over gRPC there (e.g. 127.0.0.1:4317; off by default)"},
        {"no-watch", OPT_FLAG, &no_watch, NULL, "do not import transcripts as they are written"},
        {"retention", OPT_STR, &retention, "AGE", "delete operations older than AGE (e.g. 90d)"},
        {"threads", OPT_LONG, &threads, "N", "request threads (default 4)"},
        {"max-conns", OPT_LONG, &max_conns, "N",
         "connections open at once (default " STR(TP_HTTP_MAX_CONNS) ")"},
        {"max-conns-per-client", OPT_LONG, &max_per_client, "N",
         "of them from one client address (default " STR(
             TP_HTTP_MAX_CONNS_PER_CLIENT) ", or --max-conns/4 if less)"},
        {"verbose", OPT_FLAG, &verbose, NULL, "log drains, imports and pruning on stderr"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the database lives"},
        {0}};
    if (args_parse(argc, argv, opts, &help, NULL, NULL, err) != 0)
        return cli_error("serve", CLI_USAGE, "%s", err);
    if (help) {
        args_usage(
            stdout, "toolprof serve [--listen 127.0.0.1:5000] [--token T] [--no-watch]",
            "Serve the dashboard (/performance-profiling), the JSON API (/api/performance/),\n"
            "Prometheus metrics (/metrics) and an OTLP/HTTP receiver (/v1/logs, /v1/traces,\n"
            "/v1/metrics and /, JSON or protobuf); with --otlp-grpc, OTLP/gRPC as well.\n"
            "Listens on loopback unless told otherwise; any other address needs a token.\n"
            "New transcript lines under ~/.claude/projects are imported as they appear.\n"
            "\n"
            "Connections: at the limits, a new connection takes the place of an idle one\n"
            "(no request under way), the client holding the most losing first; it is\n"
            "refused only when every connection is busy. A connection must send its\n"
            "request headers within " STR(
                TP_HTTP_HEADER_TIMEOUT_S) " s of connecting (or of its last answer), and\n"
                                          "the rest of the request within " STR(
                                              TP_HTTP_REQUEST_TIMEOUT_S) " s.",
            opts);
        return CLI_OK;
    }
    int64_t retention_ms = 0;
    if (retention &&
        tpt_parse_age(retention, (int64_t)TP_MAX_TREND_DAYS * TPT_DAY_MS, &retention_ms) != 0)
        return cli_error("serve", CLI_USAGE, "--retention: expected <n>d or <n>h, e.g. 90d");
    if (threads != -1 && (threads < 1 || threads > 64))
        return cli_error("serve", CLI_USAGE, "--threads must be 1 to 64, got %lld", threads);
    if (max_conns != -1 && (max_conns < 1 || max_conns > TP_HTTP_MAX_CONNS_CEIL))
        return cli_error("serve", CLI_USAGE, "--max-conns must be 1 to %d, got %lld",
                         TP_HTTP_MAX_CONNS_CEIL, max_conns);
    long long total = max_conns != -1 ? max_conns : TP_HTTP_MAX_CONNS;
    if (max_per_client != -1 && (max_per_client < 1 || max_per_client > total))
        return cli_error("serve", CLI_USAGE,
                         "--max-conns-per-client must be 1 to %lld (--max-conns), "
                         "got %lld",
                         total, max_per_client);
    struct server_opts o = {
        .data_dir = dir ? dir : data_dir,
        .listen = listen,
        .token = token,
        .watch = !no_watch,
        .threads = threads < 0 ? 0 : (int)threads,
        .retention_ms = retention_ms,
        .verbose = verbose,
        .otlp_grpc = grpc,
        .max_connections = max_conns < 0 ? 0 : (unsigned)max_conns,
        .max_connections_per_client = max_per_client < 0 ? 0 : (unsigned)max_per_client,
    };
    if (server_run(&o, err) != 0)
        return cli_error("serve", CLI_FAIL, "%s", err);
    return CLI_OK;
}
