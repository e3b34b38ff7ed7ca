/*
 * test_layout.c - rules of the source tree that no compiler enforces,
 * checked over the files in src/ (read from the repository's root, where
 * `make unit` runs the tests):
 *
 *   - Only the store talks to SQLite (the layers are ingest -> store ->
 *     engine -> CLI and HTTP). No file outside src/store/ names sqlite3 at
 *     all (its header, its types, its calls: what `git grep -l sqlite3 src`
 *     would show), nor includes a header of src/store/ that brings in
 *     <sqlite3.h>, directly or through another header of the store.
 *   - No file in src/ is over LAYOUT_MAX_LINES lines: past that a module is
 *     doing two things, and is split (each part with a name of its own).
 *
 * A check that saw nothing proves nothing: the walk must find the sources
 * (at least LAYOUT_MIN_FILES of them) and the store's own includes of
 * <sqlite3.h>, or the test fails.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

#define LAYOUT_MAX_LINES 1000
#define LAYOUT_MIN_FILES 100
#define LAYOUT_MAX_FILES 4096
#define LAYOUT_STORE "src/store/"

struct src_file {
    char path[PATH_MAX]; /* as walked: "src/dir/name.c" */
    char real[PATH_MAX]; /* realpath(), to match includes */
    char *text;
    int in_store, brings_sqlite;
};

static struct src_file files[LAYOUT_MAX_FILES];
static size_t nfiles;
static int walk_failed;

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct src_file *)a)->path, ((const struct src_file *)b)->path);
}

/* Every regular file under dir, into files[]. */
static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "  cannot read the directory %s\n", dir);
        walk_failed = 1;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX];
        struct stat st;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p || stat(p, &st) != 0) {
            fprintf(stderr, "  cannot look at %s/%s\n", dir, e->d_name);
            walk_failed = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            walk(p);
        } else if (S_ISREG(st.st_mode)) {
            if (nfiles == LAYOUT_MAX_FILES) {
                fprintf(stderr, "  over %d files under src/\n", LAYOUT_MAX_FILES);
                walk_failed = 1;
                break;
            }
            struct src_file *f = &files[nfiles++];
            snprintf(f->path, sizeof f->path, "%s", p);
            if (!realpath(p, f->real) || !(f->text = fixture_read(p, NULL))) {
                fprintf(stderr, "  cannot read %s\n", p);
                walk_failed = 1;
            }
            f->in_store = strncmp(p, LAYOUT_STORE, strlen(LAYOUT_STORE)) == 0;
        }
    }
    closedir(d);
}

static void free_files(void)
{
    for (size_t i = 0; i < nfiles; i++)
        free(files[i].text);
}

/* Read src/ once, for every test. */
static void load(void)
{
    if (nfiles || walk_failed)
        return;
    atexit(free_files);
    walk("src");
    qsort(files, nfiles, sizeof files[0], by_path);
}

/* The file a line `#include "name"` or `#include <name>` of f names, among
 * the sources: beside f, or under src/ (the build's -Isrc); NULL for a
 * header from elsewhere. */
static const struct src_file *included(const struct src_file *f, const char *name, size_t n)
{
    char cand[2][PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(f->path, '/');
    snprintf(cand[0], sizeof cand[0], "%.*s/%.*s", (int)(slash - f->path), f->path, (int)n, name);
    snprintf(cand[1], sizeof cand[1], "src/%.*s", (int)n, name);
    for (int c = 0; c < 2; c++) {
        if (!realpath(cand[c], real))
            continue;
        for (size_t i = 0; i < nfiles; i++)
            if (strcmp(files[i].real, real) == 0)
                return &files[i];
    }
    return NULL;
}

/* The name in an #include line (start of a line), or NULL; *n its length. */
static const char *include_name(const char *line, size_t *n)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '#')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "include", 7) != 0)
        return NULL;
    p += 7;
    while (*p == ' ' || *p == '\t')
        p++;
    char close = *p == '<' ? '>' : *p == '"' ? '"' : 0;
    if (!close)
        return NULL;
    const char *end = strchr(p + 1, close), *eol = strchr(p + 1, '\n');
    if (!end || (eol && end > eol))
        return NULL;
    *n = (size_t)(end - (p + 1));
    return p + 1;
}

/* Does f include <sqlite3.h>, or a source that brings it in? */
static int includes_sqlite(const struct src_file *f, const struct src_file **via)
{
    *via = NULL;
    const char *line = f->text;
    while (line) {
        size_t n;
        const char *name = include_name(line, &n), *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
        if (!name)
            continue;
        if (n == 9 && memcmp(name, "sqlite3.h", 9) == 0)
            return 1;
        const struct src_file *g = included(f, name, n);
        if (g && g->brings_sqlite) {
            *via = g;
            return 1;
        }
    }
    return 0;
}

/* Mark the headers of the store that bring in <sqlite3.h>: those that
 * include it, then those that include one of them, until nothing changes. */
static size_t mark_store_headers(void)
{
    size_t marked = 0;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < nfiles; i++) {
            const struct src_file *via;
            if (!files[i].in_store || files[i].brings_sqlite || !includes_sqlite(&files[i], &via))
                continue;
            files[i].brings_sqlite = 1;
            marked++;
            changed = 1;
        }
    }
    return marked;
}

static void test_only_the_store_talks_to_sqlite(void)
{
    load();
    ASSERT_MSG(!walk_failed, "the walk of src/ failed (see above)");
    ASSERT_MSG(nfiles >= LAYOUT_MIN_FILES, "only %zu files under src/ (run from the root)", nfiles);
    size_t marked = mark_store_headers();
    ASSERT_MSG(marked > 0, "no file of %s includes <sqlite3.h>: the check sees no include",
               LAYOUT_STORE);
    FOR_EACH_ROW(i, nfiles)
    {
        const struct src_file *f = &files[i];
        TEST_ROW("%s", f->path);
        if (f->in_store) {
            ASSERT_TRUE(1);
            continue;
        }
        const struct src_file *via;
        int inc = includes_sqlite(f, &via);
        ASSERT_MSG(!inc || via, "%s includes <sqlite3.h>: only %s may", f->path, LAYOUT_STORE);
        ASSERT_MSG(!inc, "%s includes %s, which brings in <sqlite3.h>: only %s may", f->path,
                   via ? via->path : "", LAYOUT_STORE);
        const char *hit = strstr(f->text, "sqlite3");
        int line = 1;
        for (const char *p = f->text; hit && p < hit; p++)
            line += *p == '\n';
        ASSERT_MSG(!hit, "%s:%d names sqlite3: only %s talks to SQLite", f->path, line,
                   LAYOUT_STORE);
    }
}

static void test_no_file_over_the_line_limit(void)
{
    load();
    ASSERT_MSG(!walk_failed, "the walk of src/ failed (see above)");
    ASSERT_MSG(nfiles >= LAYOUT_MIN_FILES, "only %zu files under src/ (run from the root)", nfiles);
    FOR_EACH_ROW(i, nfiles)
    {
        const struct src_file *f = &files[i];
        TEST_ROW("%s", f->path);
        size_t lines = 0, len = strlen(f->text);
        for (size_t k = 0; k < len; k++)
            lines += f->text[k] == '\n';
        if (len && f->text[len - 1] != '\n')
            lines++;
        ASSERT_MSG(lines <= LAYOUT_MAX_LINES, "%s: %zu lines, over %d: split it", f->path, lines,
                   LAYOUT_MAX_LINES);
    }
}

TEST_MAIN(TEST_CASE(test_only_the_store_talks_to_sqlite),
          TEST_CASE(test_no_file_over_the_line_limit))
