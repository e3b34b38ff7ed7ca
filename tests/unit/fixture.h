/*
 * fixture.h - what the unit tests share besides the harness: temporary
 * directories, files, a store in a directory, reproducible random numbers,
 * and the repository's test data (tests/data/, see tests/data/MANIFEST.md).
 *
 *   char *dir = fixture_tmpdir("store");        ... fixture_rm_rf(dir);
 *   FIXTURE_READ_DATA(text, "recorded/hooks.jsonl", &len);
 *   FIXTURE_DATA_PATH(path, "legacy/hooks/post_tool_use.json");
 *
 * Every test includes this header (it includes harness.h). A test data file
 * is read only through FIXTURE_READ_DATA or FIXTURE_DATA_PATH: when it is
 * missing the test fails there, naming the file, and never goes on with
 * contents it does not have. Paths are relative to the repository's root,
 * where `make unit` runs the tests.
 *
 * Everything here is `static inline` so that a test using only part of it
 * builds without unused-function warnings.
 */
#ifndef TOOLPROF_FIXTURE_H
#define TOOLPROF_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "harness.h"
#include "store/store.h"

#define FIXTURE_DATA_DIR "tests/data/"

/* ---- directories and files --------------------------------------------- */

/* A new, empty directory /tmp/tp_<tag>_XXXXXX (under $TMPDIR when set),
 * malloc'd. Aborts when none can be made: nothing can be tested then. */
static inline char *fixture_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/tp_%s_XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "fixture: cannot make a directory %s: %s\n", tmpl, strerror(errno));
        abort();
    }
    return xstrdup(tmpl);
}

/* Remove dir and everything under it (rm -rf). */
static inline void fixture_rm_rf(const char *dir)
{
    char cmd[PATH_MAX + 32];
    if (!dir || strchr(dir, '\'')) {
        fprintf(stderr, "fixture: not removing %s\n", dir ? dir : "(null)");
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fixture: cannot remove %s\n", dir);
}

/* mkdir -p path (mode 0755). Returns 0 or -1 (errno). */
static inline int fixture_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return errno = ENAMETOOLONG, -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* A whole file, malloc'd and NUL-terminated (the NUL not counted in *len,
 * which may be NULL). NULL when it cannot be read, with errno set. */
static inline char *fixture_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    char *d = xmalloc((size_t)st.st_size + 1);
    size_t n = fread(d, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n != (size_t)st.st_size) {
        free(d);
        errno = EIO;
        return NULL;
    }
    d[n] = '\0';
    if (len)
        *len = n;
    return d;
}

/* Write (mode "wb") or append ("ab") n bytes. Returns 0 or -1. */
static inline int fixture_write(const char *path, const void *data, size_t n, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static inline int fixture_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- the repository's test data -------------------------------------- */

/* FIXTURE_DATA_DIR rel, into out (PATH_MAX). */
static inline const char *fixture_data_path(const char *rel, char *out)
{
    snprintf(out, PATH_MAX, "%s%s", FIXTURE_DATA_DIR, rel);
    return out;
}

/* Why a data file cannot be used, for the failure message. */
static inline const char *fixture_data_problem(const char *path, char *msg, size_t n)
{
    char cwd[PATH_MAX];
    int e = errno;
    snprintf(msg, n,
             "test data file %s: %s (looked for from %s; tests run from the repository's root)",
             path, strerror(e), getcwd(cwd, sizeof cwd) ? cwd : "?");
    return msg;
}

/* var = contents of tests/data/<rel> (malloc'd, NUL-terminated), *lenp =
 * its length (lenp may be NULL). When the file cannot be read the test
 * fails here, naming it. */
#define FIXTURE_READ_DATA(var, rel, lenp)                                                          \
    do {                                                                                           \
        char fx_path_[PATH_MAX], fx_msg_[PATH_MAX * 3];                                            \
        (var) = fixture_read(fixture_data_path((rel), fx_path_), (lenp));                          \
        if (!(var))                                                                                \
            FAIL_("%s", fixture_data_problem(fx_path_, fx_msg_, sizeof fx_msg_));                  \
    } while (0)

/* var (a char array of PATH_MAX) = the path of tests/data/<rel>, for code
 * that opens files itself; the test fails here, naming the file, when it
 * is not a readable file or directory. */
#define FIXTURE_DATA_PATH(var, rel)                                                                \
    do {                                                                                           \
        char fx_msg_[PATH_MAX * 3];                                                                \
        fixture_data_path((rel), (var));                                                           \
        if (access((var), R_OK) != 0)                                                              \
            FAIL_("%s", fixture_data_problem((var), fx_msg_, sizeof fx_msg_));                     \
    } while (0)

/* The files of tests/data/ the tests read (MANIFEST.md there says how each
 * was made and what it exercises; a new recording renames the sub-agent's
 * file). */
#define FIXTURE_REC_PROJECT "recorded/claude/projects/-tmp-toolprof-fixtures-project"
#define FIXTURE_REC_SESSION_ID "68f997f7-a9b1-4d13-a1eb-cbc0be960b77"
#define FIXTURE_REC_SESSION FIXTURE_REC_PROJECT "/" FIXTURE_REC_SESSION_ID ".jsonl"
#define FIXTURE_REC_AGENT_ID "a685077f979e028be"
#define FIXTURE_REC_AGENT                                                                          \
    FIXTURE_REC_PROJECT "/" FIXTURE_REC_SESSION_ID "/subagents/agent-" FIXTURE_REC_AGENT_ID ".jso" \
                        "nl"
#define FIXTURE_REC_HOOKS "recorded/hooks.jsonl"
#define FIXTURE_V1_SESSION                                                                         \
    "legacy/claude-1.0/projects/-home-dev-shop/0a1b2c3d-1000-4000-8000-000000000098.jsonl"
#define FIXTURE_V1017_SESSION_ID "0a1b2c3d-1017-4000-8000-000000001017"
#define FIXTURE_V1017_SESSION                                                                      \
    "legacy/claude-1.0.17/projects/-home-dev-shop/" FIXTURE_V1017_SESSION_ID ".jsonl"
#define FIXTURE_V2_PROJECT "legacy/claude-2.1/projects/-home-dev-shop"
#define FIXTURE_V2_SESSION_ID "5e55a000-2139-4000-8000-000000002139"
#define FIXTURE_V2_SESSION FIXTURE_V2_PROJECT "/" FIXTURE_V2_SESSION_ID ".jsonl"
#define FIXTURE_V2_AGENT                                                                           \
    FIXTURE_V2_PROJECT "/" FIXTURE_V2_SESSION_ID "/subagents/agent-a1b2c3d.jsonl"
#define FIXTURE_V2_COMPACT                                                                         \
    FIXTURE_V2_PROJECT "/" FIXTURE_V2_SESSION_ID "/subagents/agent-acompact-5e6f70.jsonl"
#define FIXTURE_OLD_HOOKS "legacy/hooks/post_tool_use.json"
#define FIXTURE_OLD_HOOK_FAILURES "legacy/hooks/post_tool_use_failure.json"
#define FIXTURE_OLD_OTLP "legacy/otlp/logs-2.1.138.json"

/* Copy tests/data/<rel> to the file `to`; the test fails here, naming the
 * data file, when it is missing, or `to` when it cannot be written. */
#define FIXTURE_COPY_DATA(rel, to)                                                                 \
    do {                                                                                           \
        size_t fx_n_;                                                                              \
        char *fx_d_;                                                                               \
        FIXTURE_READ_DATA(fx_d_, (rel), &fx_n_);                                                   \
        int fx_rc_ = fixture_write((to), fx_d_, fx_n_, "wb");                                      \
        free(fx_d_);                                                                               \
        if (fx_rc_ != 0)                                                                           \
            FAIL_("cannot write %s: %s", (to), strerror(errno));                                   \
    } while (0)

/* ---- a store ------------------------------------------------------------ */

/* store_open(dir); NULL (the reason on stderr) when it fails. */
static inline struct store *fixture_store_open(const char *dir)
{
    char err[TP_ERR_MAX];
    struct store *s = NULL;
    if (store_open(dir, 0, &s, err) != 0) {
        fprintf(stderr, "  store_open %s: %s\n", dir, err);
        return NULL;
    }
    return s;
}

/* Operations stored, or -1. */
static inline int64_t fixture_stored(struct store *s)
{
    struct store_info info;
    if (!s || store_info(s, &info) != 0)
        return -1;
    return info.operations;
}

/* ---- random numbers ---------------------------------------------------- */

/* splitmix64: reproducible from its seed, good enough for test data. */
struct fixture_rng {
    uint64_t state;
};

static inline uint64_t fixture_rand(struct fixture_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* xorshift64 (Marsaglia 13/7/17), state != 0: the sequence test_store's
 * random histories were built from, kept so that it goes on running the
 * cases it always ran (under splitmix64 it meets a different one; see the
 * note in test_store.c). */
static inline uint64_t fixture_rand_xorshift(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Uniform in [0, n), n > 0. */
static inline unsigned fixture_rand_below(struct fixture_rng *r, unsigned n)
{
    return (unsigned)(fixture_rand(r) % n);
}

/* Uniform in (0, 1), never 0 or 1, so log() and divisions are safe. */
static inline double fixture_rand_unit(struct fixture_rng *r)
{
    return ((double)(fixture_rand(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

#endif
