/*
 * cli.h - the commands of `toolprof`.
 *
 * Each command takes the arguments after its name and the global data
 * directory (NULL: the default, see store_default_dir) and returns the
 * process exit status: 0 done, 1 failed (message on stderr), 2 usage
 * error. Commands only parse options and format answers; the questions are
 * answered by the engine, and --json prints exactly the `data` object the
 * HTTP API serves (both go through render.h).
 */
#ifndef TOOLPROF_CLI_H
#define TOOLPROF_CLI_H

#include "store/store.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

typedef int (*cli_cmd_fn)(int argc, char **argv, const char *data_dir);

/* A question of the engine's table (engine/question.h), cmd_query.c. */
struct question;
int cli_question(const struct question *qn, int argc, char **argv, const char *data_dir);

/* Data in and out (cmd_data.c). */
int cmd_track(int argc, char **argv, const char *data_dir);
int cmd_import(int argc, char **argv, const char *data_dir);
int cmd_export(int argc, char **argv, const char *data_dir);
int cmd_demo(int argc, char **argv, const char *data_dir);
int cmd_prune(int argc, char **argv, const char *data_dir);

/* The agent side and the server (cmd_agent.c). */
int cmd_hook(int argc, char **argv, const char *data_dir);
int cmd_install_hook(int argc, char **argv, const char *data_dir);
int cmd_serve(int argc, char **argv, const char *data_dir);

/* The team (cmd_team.c). */
int cmd_push(int argc, char **argv, const char *data_dir);
int cmd_token(int argc, char **argv, const char *data_dir);

/* Shared by the commands (cli.c). */

/* Open the store of data_dir and drain the hook spool into it. A command
 * that only reads (write 0) still works on a read-only data directory,
 * without the spooled calls, and refuses a data directory that does not
 * exist (creating nothing: a mistyped --data-dir must not look like an
 * empty history). Prints the error and returns NULL on failure. */
struct store *cli_open_store(const char *data_dir, int write);
/* Print a JSON value built by fn to stdout, newline-terminated. Returns
 * CLI_OK, or CLI_FAIL if it exceeded the output cap. */
struct jsonw;
int cli_print_json(void (*fn)(struct jsonw *w, const void *arg), const void *arg);
/* "toolprof CMD: message" on stderr; returns code. */
int cli_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
