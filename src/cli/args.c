/*
 * args.c - option tables for the commands (see args.h).
 */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

static const struct opt *find(const struct opt *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++)
        if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static int set_value(const struct opt *o, const char *v, char *errbuf)
{
    char *end;
    switch (o->type) {
    case OPT_STR: *(const char **)o->dest = v; return 0;
    case OPT_LONG: {
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno)
            return tp_fail(errbuf, -1, "--%s: expected a whole number, got '%.40s'", o->name, v);
        *(long long *)o->dest = n;
        return 0;
    }
    case OPT_NUM: {
        errno = 0;
        double d = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(d))
            return tp_fail(errbuf, -1, "--%s: expected a number, got '%.40s'", o->name, v);
        *(double *)o->dest = d;
        return 0;
    }
    case OPT_FLAG: break;
    }
    return tp_fail(errbuf, -1, "--%s takes no value", o->name);
}

int args_parse(int argc, char **argv, const struct opt *opts, int *help, char ***pos, int *npos,
               char *errbuf)
{
    return args_parse_pairs(argc, argv, opts, help, pos, npos, NULL, NULL, errbuf);
}

int args_parse_pairs(int argc, char **argv, const struct opt *opts, int *help, char ***pos,
                     int *npos, struct args_pair **pairs, size_t *npairs, char *errbuf)
{
    int only_pos = 0;
    *help = 0;
    if (pos)
        *pos = xcalloc((size_t)argc + 1, sizeof(char *));
    if (npos)
        *npos = 0;
    if (pairs) {
        *pairs = xcalloc((size_t)argc + 1, sizeof **pairs);
        *npairs = 0;
    }
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            *help = 1;
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct opt *o = find(opts, name, len);
            if (!o && pairs && len > 0) {
                /* Left to the caller, who knows the names it takes. */
                struct args_pair *pr = &(*pairs)[(*npairs)++];
                pr->name = xstrndup(name, len);
                pr->value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
                continue;
            }
            if (!o)
                return tp_fail(errbuf, -1, "unknown option --%.*s (see --help)", (int)len, name);
            if (o->type == OPT_FLAG) {
                if (eq)
                    return tp_fail(errbuf, -1, "--%s takes no value", o->name);
                *(int *)o->dest = 1;
                continue;
            }
            const char *v = eq ? eq + 1 : NULL;
            if (!v) {
                if (i + 1 >= argc)
                    return tp_fail(errbuf, -1, "--%s needs a value (%s)", o->name,
                                   o->metavar ? o->metavar : "VALUE");
                v = argv[++i];
            }
            if (set_value(o, v, errbuf) != 0)
                return -1;
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0')
            return tp_fail(errbuf, -1, "unknown option %.40s (see --help)", a);
        if (!pos)
            return tp_fail(errbuf, -1, "unexpected argument '%.60s' (see --help)", a);
        (*pos)[(*npos)++] = a;
    }
    return 0;
}

void args_usage(FILE *fp, const char *usage, const char *description, const struct opt *opts)
{
    fprintf(fp, "usage: %s\n\n%s\n", usage, description);
    if (!opts || !opts->name)
        return;
    fprintf(fp, "\noptions:\n");
    for (const struct opt *o = opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(fp, "  %-26s %s\n", left, o->help);
    }
    fprintf(fp, "  %-26s %s\n", "--help", "show this help");
}

void args_pairs_free(struct args_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(pairs[i].name);
    free(pairs);
}
