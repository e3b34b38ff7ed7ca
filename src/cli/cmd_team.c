/*
 * cmd_team.c - the team's commands: push (a machine's calls to a team
 * server) and token (a team server's people).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "core/err.h"
#include "core/limits.h"
#include "ingest/push.h"
#include "server/auth.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int cmd_push(int argc, char **argv, const char *data_dir)
{
    const char *to = NULL, *token = NULL, *host = NULL, *dir = NULL;
    long long batch = 0;
    int quiet = 0, changed = 0, help;
    char err[TP_ERR_MAX];
    const struct opt opts[] = {
        {"to", OPT_STR, &to, "URL", "the team server (http://host:port or https://host)"},
        {"token", OPT_STR, &token, "T", "your token there (default $TOOLPROF_PUSH_TOKEN)"},
        {"host", OPT_STR, &host, "NAME", "this machine's name (default the hostname)"},
        {"batch", OPT_LONG, &batch, "N", "calls per request (default " STR(TP_PUSH_BATCH) ")"},
        {"changed", OPT_FLAG, &changed, NULL,
         "only days whose totals changed, and the last two (what serve --upstream does)"},
        {"quiet", OPT_FLAG, &quiet, NULL, "no line per batch"},
        {"data-dir", OPT_STR, &dir, "DIR", "where the local store lives"},
        {0}};
    if (args_parse(argc, argv, opts, &help, NULL, NULL, err) != 0)
        return cli_error("push", CLI_USAGE, "%s", err);
    if (help) {
        args_usage(stdout, "toolprof push --to URL --token T [--host NAME]",
                   "Send this machine's calls (and the turns and model requests of its\n"
                   "sessions) to a team server, which keeps them under your name. Only what\n"
                   "is new or changed since the last push is sent, in batches; a push that is\n"
                   "interrupted resumes where it stopped. `toolprof serve --upstream URL\n"
                   "--token T` does the same continuously (docs/team.md).",
                   opts);
        return CLI_OK;
    }
    if (!to)
        return cli_error("push", CLI_USAGE, "--to URL is required (the team server)");
    if (!token)
        token = getenv("TOOLPROF_PUSH_TOKEN");
    if (!token || !*token)
        return cli_error("push", CLI_USAGE, "--token T is required (your token on the server)");
    if (batch < 0 || batch > TP_MAX_PUSH_OPS)
        return cli_error("push", CLI_USAGE, "--batch must be 1 to %d", TP_MAX_PUSH_OPS);
    if (push_check_url(to, err) != 0)
        return cli_error("push", CLI_USAGE, "%s", err);
    struct store *s = cli_open_store(dir ? dir : data_dir, 1);
    if (!s)
        return CLI_FAIL;
    struct push_opts o = {.url = to,
                          .token = token,
                          .host = host,
                          .batch = (size_t)batch,
                          .full = !changed,
                          .max_tries = 8,
                          .report = quiet ? NULL : stderr};
    struct push_stats st;
    int rc = push_run(s, &o, &st, err);
    store_close(s);
    printf("%zu calls sent in %zu batches (%zu new, %zu merged, %zu unchanged, %zu queued on "
           "the server), %zu turns and %zu model requests\n",
           st.calls, st.batches, st.inserted, st.merged, st.unchanged, st.queued, st.turns,
           st.requests);
    if (rc != 0)
        return cli_error("push", CLI_FAIL, "%s (what was sent is kept; push again to resume)", err);
    return CLI_OK;
}

static void list_one(void *ctx, const char *name, int tokens)
{
    (void)ctx;
    printf("%s\t%d token%s\n", name, tokens, tokens == 1 ? "" : "s");
}

int cmd_token(int argc, char **argv, const char *data_dir)
{
    const char *dir = NULL;
    int help;
    char **pos = NULL;
    int npos = 0;
    char err[TP_ERR_MAX];
    const struct opt opts[] = {
        {"data-dir", OPT_STR, &dir, "DIR", "the team server's data directory"}, {0}};
    if (args_parse(argc, argv, opts, &help, &pos, &npos, err) != 0)
        return cli_error("token", CLI_USAGE, "%s", err);
    if (help || npos < 1) {
        free(pos);
        args_usage(help ? stdout : stderr, "toolprof token add NAME | remove NAME | list",
                   "A team server's people (docs/team.md). `add` prints a new token for NAME\n"
                   "(keep it: only its hash is stored, in " AUTH_FILE " in the data\n"
                   "directory); NAME's machines push with it, and it opens the dashboard.\n"
                   "A person may hold several tokens. `remove` takes every token of NAME\n"
                   "away; the server notices within a second.",
                   opts);
        return help ? CLI_OK : CLI_USAGE;
    }
    char *resolved = store_default_dir(dir ? dir : data_dir);
    int rc = CLI_OK;
    const char *what = pos[0];
    if (strcmp(what, "add") == 0 && npos == 2) {
        char token[AUTH_TOKEN_LEN + 1];
        if (auth_add(resolved, pos[1], token, err) != 0)
            rc = cli_error("token", CLI_FAIL, "%s", err);
        else
            printf("%s\n", token);
    } else if (strcmp(what, "remove") == 0 && npos == 2) {
        if (auth_remove(resolved, pos[1], err) != 0)
            rc = cli_error("token", CLI_FAIL, "%s", err);
    } else if (strcmp(what, "list") == 0 && npos == 1) {
        if (auth_list(resolved, list_one, NULL, err) != 0)
            rc = cli_error("token", CLI_FAIL, "%s", err);
    } else {
        rc = cli_error("token", CLI_USAGE, "expected: token add NAME | remove NAME | list");
    }
    free(resolved);
    free(pos);
    return rc;
}
