/*
 * args.h - command-line options for toolprof's commands.
 *
 * Each command declares a table of options; args_parse() fills the
 * destinations, collects positional arguments, and refuses anything it
 * does not know with a message naming the option. Values are checked for
 * their type here ("--limit: expected a whole number, got 'abc'") so that
 * commands only check ranges.
 */
#ifndef TOOLPROF_ARGS_H
#define TOOLPROF_ARGS_H

#include <stdio.h>

enum opt_type {
    OPT_FLAG, /* int, set to 1 */
    OPT_STR,  /* const char * */
    OPT_LONG, /* long long, whole number */
    OPT_NUM,  /* double, finite */
};

struct opt {
    const char *name; /* without the leading "--" */
    enum opt_type type;
    void *dest;
    const char *metavar; /* for help: "MS", "FILE"; NULL for flags */
    const char *help;
};

/* Parse argv[0..argc) (argv[0] is the first argument after the command
 * name). "--name value" and "--name=value" are both accepted; "--" ends the
 * options. Positional arguments are returned in pos (an array of argc
 * pointers the caller frees; may be NULL when none are allowed).
 * Returns 0, or -1 with errbuf set. "--help"/"-h" sets *help. */
int args_parse(int argc, char **argv, const struct opt *opts, int *help, char ***pos, int *npos,
               char *errbuf);

/* Print "usage: ..." then a description and the options table. */
void args_usage(FILE *fp, const char *usage, const char *description, const struct opt *opts);

#endif
