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

#include <stddef.h>
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

/* The same, but a long option that is not in opts is not an error: it is
 * returned as a (name, value) pair for the caller to check ("--limit 5"
 * and "--limit=5" both give ("limit", "5"); the value is NULL when the
 * option ends the arguments). The caller frees them with args_pairs_free().
 * The query commands hand the pairs to question_parse(), so that they
 * check options exactly as the HTTP API checks query parameters. */
struct args_pair {
    char *name;
    const char *value;
};
int args_parse_pairs(int argc, char **argv, const struct opt *opts, int *help, char ***pos,
                     int *npos, struct args_pair **pairs, size_t *npairs, char *errbuf);
void args_pairs_free(struct args_pair *pairs, size_t n);

/* Print "usage: ..." then a description and the options table. */
void args_usage(FILE *fp, const char *usage, const char *description, const struct opt *opts);

#endif
