/*
 * main.c - `toolprof`: global options and the command table.
 *
 *   toolprof [--data-dir DIR] COMMAND [options]
 *
 * Everything else lives in the modules; this file only finds the command.
 */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "cli.h"
#include "core/limits.h"
#include "engine/question.h"
#include "store/chstore.h"
#include "term.h"

#define TOOLPROF_VERSION "0.1.0"

struct command {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
};

static const struct command commands[] = {
    {"track", cmd_track, "record one call by hand"},
    {"import", cmd_import, "import transcripts, daily files and exports"},
    {"export", cmd_export, "write operations as seed-json, jsonl or csv"},
    {"demo", cmd_demo, "generate a realistic synthetic history"},
    {"prune", cmd_prune, "delete old operations"},
    {"serve", cmd_serve, "dashboard, API, /metrics and OTLP receiver"},
    {"hook", cmd_hook, "the Claude Code hook (reads a payload on stdin)"},
    {"install-hook", cmd_install_hook, "add the hook to Claude Code's settings"},
    {"push", cmd_push, "send this machine's calls to a team server"},
    {"token", cmd_token, "a team server's people: token add NAME, remove, list"},
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "toolprof %s - a performance profiler for the tool calls of coding agents\n\n"
            "usage: toolprof [--data-dir DIR] [--store URL] COMMAND [options]\n\nquestions:\n",
            TOOLPROF_VERSION);
    for (const struct question *q = questions; q->name; q++)
        fprintf(fp, "  %-14s %s\n", q->name, q->summary);
    fprintf(fp, "\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nThe data directory is --data-dir, else $TOOLPROF_DATA_DIR, else\n"
                "~/.claude/memory/performance. The store is SQLite in the data directory, or\n"
                "--store clickhouse://[user[:password]@]host:8123/database (else\n"
                "$TOOLPROF_STORE): a team's store on ClickHouse (docs/team.md).\n"
                "`toolprof COMMAND --help` for a command's options.\n\nexit status: 0 success (an "
                "empty window is a success), 1 runtime failure,\n2 usage error.\n");
}

int main(int argc, char **argv)
{
    const char *data_dir = NULL, *store = NULL;
    int i = 1, no_color = 0;
    /* --no-color anywhere before "--", for every command: take it out. */
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--") == 0)
            break;
        if (strcmp(argv[k], "--no-color") == 0) {
            no_color = 1;
            memmove(&argv[k], &argv[k + 1], (size_t)(argc - k) * sizeof *argv);
            argc--;
            k--;
        }
    }
    term_init(no_color);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
            data_dir = argv[++i];
        } else if (strncmp(argv[i], "--data-dir=", 11) == 0) {
            data_dir = argv[i] + 11;
        } else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            store = argv[i] + 8;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("toolprof %s\n", TOOLPROF_VERSION);
            return CLI_OK;
        } else {
            fprintf(stderr, "toolprof: unknown option %s (see toolprof --help)\n", argv[i]);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    /* --store is $TOOLPROF_STORE for this process: store_open() reads it. */
    char err[TP_ERR_MAX];
    if (store && setenv("TOOLPROF_STORE", store, 1) != 0) {
        fprintf(stderr, "toolprof: cannot set the store\n");
        return CLI_FAIL;
    }
    if (chstore_check_url(getenv("TOOLPROF_STORE"), err) != 0) {
        fprintf(stderr, "toolprof: %s%s\n", store ? "" : "$TOOLPROF_STORE: ", err);
        return CLI_USAGE;
    }
    const struct question *q = question_find(argv[i]);
    if (q)
        return cli_question(q, argc - i - 1, argv + i + 1, data_dir);
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[i], commands[k].name) == 0)
            return commands[k].fn(argc - i - 1, argv + i + 1, data_dir);
    fprintf(stderr, "toolprof: unknown command '%s' (see toolprof --help)\n", argv[i]);
    return CLI_USAGE;
}
