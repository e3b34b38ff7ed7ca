/*
 * harness.h - the unit test harness: a test is a function, a file is a table.
 *
 *   static void test_parse_zone(void) { ASSERT_EQ_INT(f(1), 2); ... }
 *   TEST_MAIN(TEST_CASE(test_parse_zone), TEST_CASE(test_other))
 *
 * A failed assertion prints both sides with file:line and ends that test
 * (the next one still runs). `./test_x NAME` runs one test. The last line is
 * "N passed, N failed", which tests/run_unit.sh adds up; the exit status is
 * 1 when anything failed.
 */
#ifndef TOOLPROF_HARNESS_H
#define TOOLPROF_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

static int test_failed_;

#define TEST_CASE(f)                                                                               \
    {                                                                                              \
#f, f                                                                                      \
    }

#define FAIL_(...)                                                                                 \
    do {                                                                                           \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                          \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        test_failed_ = 1;                                                                          \
        return;                                                                                    \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAIL_("expected true: %s", #c);                                                        \
    } while (0)

#define ASSERT_EQ_INT(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            FAIL_("%s == %s: got %lld, expected %lld", #a, #b, a_, b_);                            \
    } while (0)

#define ASSERT_EQ_DBL(a, b, tol)                                                                   \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            FAIL_("%s == %s: got %.17g, expected %.17g (tolerance %g)", #a, #b, a_, b_,            \
                  (double)(tol));                                                                  \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            FAIL_("%s == %s:\n    got      \"%s\"\n    expected \"%s\"", #a, #b,                   \
                  a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                         \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            FAIL_("%s should contain \"%s\":\n    got \"%s\"", #hay, n_, h_ ? h_ : "(null)");      \
    } while (0)

#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const struct test_case cases[] = {__VA_ARGS__};                                     \
        int passed = 0, failed = 0;                                                                \
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {                              \
            if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)                                   \
                continue;                                                                          \
            test_failed_ = 0;                                                                      \
            cases[i].fn();                                                                         \
            if (test_failed_) {                                                                    \
                failed++;                                                                          \
                printf("not ok - %s\n", cases[i].name);                                            \
            } else {                                                                               \
                passed++;                                                                          \
                printf("ok - %s\n", cases[i].name);                                                \
            }                                                                                      \
            fflush(stdout);                                                                        \
        }                                                                                          \
        printf("%d passed, %d failed\n", passed, failed);                                          \
        return failed ? 1 : 0;                                                                     \
    }

#endif
