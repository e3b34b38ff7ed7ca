/*
 * samples.h - what the optional checks over public samples share
 * (tests/samples/README.md): where a sample is, and reading it so that a
 * missing one fails the check that needs it, naming the file.
 *
 * The directory comes from $TOOLPROF_SAMPLES (`make test-samples
 * SAMPLES=DIR`). The macros end the calling test through FAIL_ (harness.h),
 * so they are used in a test's own body.
 */
#ifndef TOOLPROF_SAMPLES_H
#define TOOLPROF_SAMPLES_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

/* var (char[PATH_MAX]) = the path of sample `name`; the check fails here,
 * naming it, when $TOOLPROF_SAMPLES is unset or the file is unreadable. */
#define SAMPLE_PATH(var, name)                                                                     \
    do {                                                                                           \
        const char *dir_ = getenv("TOOLPROF_SAMPLES");                                             \
        if (!dir_ || !*dir_)                                                                       \
            FAIL_("TOOLPROF_SAMPLES is not set: run make test-samples SAMPLES=DIR");               \
        if (snprintf((var), PATH_MAX, "%s/%s", dir_, (name)) >= PATH_MAX)                          \
            FAIL_("sample %s: the path is too long", (name));                                      \
        if (access((var), R_OK) != 0)                                                              \
            FAIL_("sample %s: %s", (var), strerror(errno));                                        \
    } while (0)

/* var = the whole sample (malloc'd), *lenp its length. */
#define READ_SAMPLE(var, name, lenp)                                                               \
    do {                                                                                           \
        char p_[PATH_MAX];                                                                         \
        SAMPLE_PATH(p_, name);                                                                     \
        if (!((var) = fixture_read(p_, (lenp))))                                                   \
            FAIL_("sample %s: %s", p_, strerror(errno));                                           \
    } while (0)

/* Copy sample `name` to the file `to` (its folders made); the check fails
 * naming the sample when it is missing, or `to` when it cannot be
 * written. */
#define PLACE_SAMPLE(name, to)                                                                     \
    do {                                                                                           \
        char *d_, dir2_[PATH_MAX];                                                                 \
        size_t n_;                                                                                 \
        if (snprintf(dir2_, sizeof dir2_, "%s", (to)) >= (int)sizeof dir2_)                        \
            FAIL_("%s: the path is too long", (to));                                               \
        READ_SAMPLE(d_, name, &n_);                                                                \
        char *slash_ = strrchr(dir2_, '/');                                                        \
        if (slash_)                                                                                \
            *slash_ = '\0';                                                                        \
        int rc_ = fixture_mkdirs(dir2_) == 0 ? fixture_write((to), d_, n_, "wb") : -1;             \
        free(d_);                                                                                  \
        if (rc_ != 0)                                                                              \
            FAIL_("cannot write %s: %s", (to), strerror(errno));                                   \
    } while (0)

#endif
