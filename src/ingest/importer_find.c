/*
 * importer_find.c - where the importer finds files (see importer.h and
 * importer_int.h).
 *
 * Each agent keeps its sessions in a default place that its environment
 * may move: Claude Code in projects/ under $CLAUDE_CONFIG_DIR (a list),
 * ~/.claude and ~/.config/claude; Codex CLI in sessions/ and
 * archived_sessions/ under $CODEX_HOME and ~/.codex; Gemini CLI under
 * .gemini/tmp of $GEMINI_CLI_HOME and the home directory; OpenCode in its
 * data folder (opencode.db and the older storage/ tree). The roots are listed here,
 * with the names wanted in each (wants_agent()); the walk adds matching
 * files to a list, entering each directory once (by device and inode) so
 * that a symlink loop ends, in name order so that imports are repeatable.
 */
#include "importer_int.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "ingest/codex.h"
#include "ingest/gemini.h"
#include "ingest/opencode.h"

/* ---- default roots ---------------------------------------------------- */

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    size_t lb = strlen(b);
    char *p = xmalloc(la + 1 + lb + 1);
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

static void roots_add(char ***roots, size_t *n, char *path)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*roots)[i], path) == 0) {
            free(path);
            return;
        }
    }
    *roots = xreallocarray(*roots, *n + 1, sizeof **roots);
    (*roots)[(*n)++] = path;
}

int importer_default_roots(char ***roots, size_t *n)
{
    const char *env = getenv("CLAUDE_CONFIG_DIR");
    const char *home = getenv("HOME");
    *roots = NULL;
    *n = 0;
    if (env) {
        /* A comma-separated list, as ccusage accepts. */
        for (const char *p = env; *p;) {
            size_t len = strcspn(p, ",");
            const char *s = p, *e = p + len;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (e > s) {
                char *dir = xstrndup(s, (size_t)(e - s));
                roots_add(roots, n, path_join(dir, "projects"));
                free(dir);
            }
            p += len;
            if (*p == ',')
                p++;
        }
    }
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (home && *home) {
        char *a = path_join(home, ".claude"), *b = path_join(home, ".config/claude");
        roots_add(roots, n, path_join(a, "projects"));
        roots_add(roots, n, path_join(b, "projects"));
        free(a);
        free(b);
    }
    return *n ? 0 : TP_ENOTFOUND;
}

void importer_free_roots(char **roots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(roots[i]);
    free(roots);
}

static const char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home && *home ? home : NULL;
}

static void agent_root_add(struct importer_root **roots, size_t *n, char *path, int agent,
                           int recursive)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*roots)[i].path, path) == 0 && (*roots)[i].recursive == recursive) {
            free(path);
            return;
        }
    *roots = xreallocarray(*roots, *n + 1, sizeof **roots);
    (*roots)[*n].path = path;
    (*roots)[*n].agent = agent;
    (*roots)[(*n)++].recursive = recursive;
}

/* dir + "/" + a + "/" + b (b may be NULL), malloc'd. */
static char *path3(const char *dir, const char *a, const char *b)
{
    char *x = path_join(dir, a);
    if (!b)
        return x;
    char *y = path_join(x, b);
    free(x);
    return y;
}

int importer_agent_roots(struct importer_root **roots, size_t *n)
{
    char **claude = NULL;
    size_t nc = 0;
    const char *home = home_dir(), *env;
    *roots = NULL;
    *n = 0;
    importer_default_roots(&claude, &nc);
    for (size_t i = 0; i < nc; i++)
        agent_root_add(roots, n, claude[i], IMPORTER_CLAUDE, 1);
    free(claude);
    /* Codex CLI. */
    if ((env = getenv("CODEX_HOME")) != NULL && *env) {
        agent_root_add(roots, n, path_join(env, "sessions"), IMPORTER_CODEX, 1);
        agent_root_add(roots, n, path_join(env, "archived_sessions"), IMPORTER_CODEX, 1);
    }
    if (home) {
        agent_root_add(roots, n, path3(home, ".codex", "sessions"), IMPORTER_CODEX, 1);
        agent_root_add(roots, n, path3(home, ".codex", "archived_sessions"), IMPORTER_CODEX, 1);
    }
    /* Gemini CLI: <home>/.gemini/tmp (one documentation snapshot says
     * data/), with $GEMINI_CLI_HOME in place of the home directory. */
    const char *gh[2] = {getenv("GEMINI_CLI_HOME"), home};
    for (int k = 0; k < 2; k++)
        if (gh[k] && *gh[k]) {
            agent_root_add(roots, n, path3(gh[k], ".gemini", "tmp"), IMPORTER_GEMINI, 1);
            agent_root_add(roots, n, path3(gh[k], ".gemini", "data"), IMPORTER_GEMINI, 1);
        }
    /* OpenCode: its data folder (for opencode.db only: it also holds git
     * snapshots) and its storage tree. */
    char *oc = NULL;
    if ((env = getenv("XDG_DATA_HOME")) != NULL && *env)
        oc = path_join(env, "opencode");
    else if (home)
        oc = path3(home, ".local/share", "opencode");
    if (oc) {
        agent_root_add(roots, n, path_join(oc, "storage"), IMPORTER_OPENCODE, 1);
        agent_root_add(roots, n, oc, IMPORTER_OPENCODE, 0);
    }
    return *n ? 0 : TP_ENOTFOUND;
}

void importer_summary(FILE *out, const struct importer_stats *st, const struct importer_root *roots,
                      size_t nroots)
{
    const char *home = home_dir();
    size_t hl = home ? strlen(home) : 0;
    for (int a = 0; a < IMPORTER_AGENTS; a++) {
        const struct importer_agent_stats *x = &st->agent[a];
        fprintf(out, "  %-12s", importer_agent_name(a));
        if (x->files)
            fprintf(out, "%zu file%s, %llu call%s (%llu new)", x->files, x->files == 1 ? "" : "s",
                    (unsigned long long)x->calls, x->calls == 1 ? "" : "s",
                    (unsigned long long)x->inserted);
        else
            fprintf(out, "nothing found");
        int shown = 0;
        for (size_t i = 0; i < nroots; i++) {
            struct stat sb;
            if (roots[i].agent != a || stat(roots[i].path, &sb) != 0)
                continue;
            const char *p = roots[i].path;
            int tilde = home && hl > 1 && strncmp(p, home, hl) == 0 && p[hl] == '/';
            fprintf(out, "%s%s%s", shown++ ? ", " : " in ", tilde ? "~" : "", tilde ? p + hl : p);
        }
        if (!shown && nroots)
            fprintf(out, " (no folder of it here)");
        fputc('\n', out);
    }
}

void importer_free_agent_roots(struct importer_root *roots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(roots[i].path);
    free(roots);
}

/* ---- discovery -------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int importer_wants(const char *name)
{
    return ends_with(name, ".jsonl") && strcmp(name, "journal.jsonl") != 0;
}

/* Folders named on the command line may hold the original's daily files. */
static int wants_explicit(const char *name)
{
    return importer_wants(name) || (ends_with(name, ".json") && !ends_with(name, ".meta.json")) ||
           strcmp(name, "opencode.db") == 0;
}

/* Whether a file found in a folder of `agent`'s root is one to import, and
 * as what (0: no). */
static int wants_agent(const char *path, const char *name, int agent, int *kind)
{
    switch (agent) {
    case IMPORTER_CLAUDE: *kind = FK_AUTO; return importer_wants(name);
    case IMPORTER_CODEX:
        *kind = FK_CODEX;
        return strncmp(name, "rollout-", 8) == 0 && ends_with(name, ".jsonl");
    case IMPORTER_GEMINI:
        *kind = FK_GEMINI;
        return (ends_with(name, ".jsonl") || ends_with(name, ".json")) &&
               strstr(path, "/chats/") != NULL;
    case IMPORTER_OPENCODE:
        if (strcmp(name, "opencode.db") == 0) {
            *kind = FK_OPENCODE_DB;
            return 1;
        }
        *kind = FK_OPENCODE_FILE;
        return opencode_storage_kind(path) != 0;
    }
    return 0;
}

char *importer_watch_target(const char *dir, const char *name, int agent)
{
    char *p;
    int kind;
    if (agent == IMPORTER_OPENCODE &&
        (strcmp(name, "opencode.db-wal") == 0 || strcmp(name, "opencode.db") == 0))
        return path_join(dir, "opencode.db");
    p = path_join(dir, name);
    if (wants_agent(p, name, agent, &kind))
        return p;
    free(p);
    return NULL;
}

struct fent *imp_flist_add(struct flist *l, const char *path)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 64;
        l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    l->v[l->n].path = xstrdup(path);
    return &l->v[l->n++];
}

void imp_flist_free(struct flist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].key);
    }
    free(l->v);
    free(l->dirs);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk dir, adding the files to import: as a root of `agent` (with
 * `recursive` 0 only the files directly in it), or with agent -1 a folder
 * named on the command line, whose files are told by name and content.
 * Unreadable subdirectories are skipped: a session folder may hold
 * anything. */
void imp_walk(struct flist *l, const char *dir, int agent, int recursive)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    for (size_t i = 0; i < l->ndirs; i++)
        if (l->dirs[i].dev == st.st_dev && l->dirs[i].ino == st.st_ino)
            return;
    l->dirs = xreallocarray(l->dirs, l->ndirs + 1, sizeof *l->dirs);
    l->dirs[l->ndirs].dev = st.st_dev;
    l->dirs[l->ndirs++].ino = st.st_ino;

    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = xreallocarray(names, n + 1, sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    /* Sorted, so that imports (and their reports) are reproducible. */
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        int kind = FK_AUTO;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                if (recursive)
                    imp_walk(l, p, agent, recursive);
            } else if (S_ISREG(st.st_mode)) {
                int want;
                if (agent >= 0) {
                    want = wants_agent(p, names[i], agent, &kind);
                } else {
                    want = wants_explicit(names[i]);
                    int ok = opencode_storage_kind(p);
                    if (strcmp(names[i], "opencode.db") == 0)
                        kind = FK_OPENCODE_DB;
                    else if (ok)
                        kind = FK_OPENCODE_FILE;
                    else if (strstr(p, "/storage/") && ends_with(names[i], ".json") &&
                             (strstr(p, "/storage/session/") || strstr(p, "/storage/project/") ||
                              strstr(p, "/storage/todo/") || strstr(p, "/storage/session_diff/")))
                        want = 0; /* OpenCode's other records: read as context */
                }
                if (want) {
                    struct fent *f = imp_flist_add(l, p);
                    f->quiet = 1;
                    f->kind = kind;
                    f->sniff = agent < 0;
                }
            }
        }
        free(p);
        free(names[i]);
    }
    free(names);
}
