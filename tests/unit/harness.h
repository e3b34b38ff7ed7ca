/*
 * harness.h - the unit test harness: a test is a function, a file is a table.
 *
 *   static void test_parse_zone(void) { ASSERT_EQ_INT(f(1), 2); ... }
 *   TEST_MAIN(TEST_CASE(test_parse_zone), TEST_CASE(test_other))
 *
 * A failed assertion prints both sides with file:line and ends that test
 * (the next one still runs). A table-driven test walks its rows with
 *
 *   FOR_EACH_ROW(i, sizeof cases / sizeof cases[0]) {
 *       TEST_ROW("\"%s\"", cases[i].text);   (optional: names the row)
 *       ASSERT_EQ_INT(parse(cases[i].text), cases[i].want);
 *   }
 *
 * where a failed assertion reports the row (its index and label) and the
 * next row still runs; the test fails if any row did. (A failure jumps back
 * to the loop with longjmp: rows do not nest, and a row must not `break`
 * out of the loop.)
 *
 * TEST_SKIP("why") ends a test as skipped; the reason is printed and
 * counted, never silent. A test that ran no assertion at all (ASSERT_*)
 * fails: it could not have caught anything.
 *
 * `./test_x NAME...` runs the named tests; a name the file does not have
 * is an error (exit 2), not an empty run. Each test prints "ok - NAME",
 * "not ok - NAME" or "skipped - NAME # why"; the last line is
 * "N passed, N failed, N skipped", which tests/run_unit.sh adds up. The
 * exit status is 1 when anything failed or no test ran.
 */
#ifndef TOOLPROF_HARNESS_H
#define TOOLPROF_HARNESS_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed row jumps back to its FOR_EACH_ROW with longjmp, so a local the
 * row changed may read back stale after that. gcc warns about every such
 * local (-Wclobbered, in -Wextra); it matters only after a failure, when
 * the test has failed already, so the warning is off in the tests. */
#pragma GCC diagnostic ignored "-Wclobbered"

struct test_case {
    const char *name;
    void (*fn)(void);
};

static int test_failed_;
static unsigned long test_asserts_; /* assertions run by the current test */
static const char *test_skip_why_;  /* set by TEST_SKIP */
static jmp_buf test_row_jmp_;       /* the FOR_EACH_ROW loop to go back to */
static int test_row_active_;        /* inside FOR_EACH_ROW */
static size_t test_row_i_;          /* its current row */
static char test_row_label_[256];   /* and that row's TEST_ROW label */

#define TEST_CASE(f)                                                                               \
    {                                                                                              \
#f, f                                                                                      \
    }

/* "  file:line: " and, inside a row, "row N (label): ". */
static inline void test_fail_where_(const char *file, int line)
{
    fprintf(stderr, "  %s:%d: ", file, line);
    if (test_row_active_)
        fprintf(stderr, "row %zu%s%s%s: ", test_row_i_, test_row_label_[0] ? " (" : "",
                test_row_label_, test_row_label_[0] ? ")" : "");
}

#define FAIL_(...)                                                                                 \
    do {                                                                                           \
        test_fail_where_(__FILE__, __LINE__);                                                      \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        test_failed_ = 1;                                                                          \
        if (test_row_active_)                                                                      \
            longjmp(test_row_jmp_, 1);                                                             \
        return;                                                                                    \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        if (!(c))                                                                                  \
            FAIL_("expected true: %s", #c);                                                        \
    } while (0)

#define ASSERT_EQ_INT(a, b)                                                                        \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            FAIL_("%s == %s: got %lld, expected %lld", #a, #b, a_, b_);                            \
    } while (0)

#define ASSERT_EQ_DBL(a, b, tol)                                                                   \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            FAIL_("%s == %s: got %.17g, expected %.17g (tolerance %g)", #a, #b, a_, b_,            \
                  (double)(tol));                                                                  \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            FAIL_("%s == %s:\n    got      \"%s\"\n    expected \"%s\"", #a, #b,                   \
                  a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                         \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            FAIL_("%s should contain \"%s\":\n    got \"%s\"", #hay, n_, h_ ? h_ : "(null)");      \
    } while (0)

/* An assertion with its own message: ASSERT_MSG(n == 3, "%s: %d items", name, n). */
#define ASSERT_MSG(c, ...)                                                                         \
    do {                                                                                           \
        test_asserts_++;                                                                           \
        if (!(c))                                                                                  \
            FAIL_(__VA_ARGS__);                                                                    \
    } while (0)

/* End the current test as skipped, with the reason (a string literal or
 * a string that outlives the test). */
#define TEST_SKIP(why)                                                                             \
    do {                                                                                           \
        test_skip_why_ = (why);                                                                    \
        return;                                                                                    \
    } while (0)

/* Called once per iteration by FOR_EACH_ROW: clears the label and tells
 * FAIL_ which row it is in, or that the rows are over. */
static inline int test_row_next_(size_t i, size_t n)
{
    test_row_label_[0] = '\0';
    test_row_i_ = i;
    test_row_active_ = i < n;
    return i < n;
}

#define TEST_ROW(...) snprintf(test_row_label_, sizeof test_row_label_, __VA_ARGS__)

#define FOR_EACH_ROW(i, n)                                                                         \
    for (volatile size_t i = 0, i##_rows_ = (n); test_row_next_(i, i##_rows_); i++)                \
        if (setjmp(test_row_jmp_) == 0)

static inline int test_named_(int argc, char **argv, const char *name)
{
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], name) == 0)
            return 1;
    return 0;
}

static inline int test_main_(const struct test_case *cases, size_t n, int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0, unknown = 0;
    for (int a = 1; a < argc; a++) {
        size_t i = 0;
        while (i < n && strcmp(argv[a], cases[i].name) != 0)
            i++;
        if (i == n) {
            fprintf(stderr, "unknown test: %s (%s has:", argv[a], argv[0]);
            for (i = 0; i < n; i++)
                fprintf(stderr, " %s", cases[i].name);
            fprintf(stderr, ")\n");
            unknown++;
        }
    }
    if (unknown) {
        printf("0 passed, %d failed, 0 skipped\n", unknown);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && !test_named_(argc, argv, cases[i].name))
            continue;
        test_failed_ = 0;
        test_asserts_ = 0;
        test_skip_why_ = NULL;
        test_row_active_ = 0;
        cases[i].fn();
        test_row_active_ = 0;
        if (!test_failed_ && test_skip_why_) {
            skipped++;
            printf("skipped - %s # %s\n", cases[i].name, test_skip_why_);
            fflush(stdout);
            continue;
        }
        if (!test_failed_ && test_asserts_ == 0) {
            fprintf(stderr, "  %s: no assertion ran: the test cannot fail\n", cases[i].name);
            test_failed_ = 1;
        }
        if (test_failed_) {
            failed++;
            printf("not ok - %s\n", cases[i].name);
        } else {
            passed++;
            printf("ok - %s\n", cases[i].name);
        }
        fflush(stdout);
    }
    if (passed + failed + skipped == 0) {
        fprintf(stderr, "%s: no test ran\n", argv[0]);
        failed = 1;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const struct test_case cases[] = {__VA_ARGS__};                                     \
        return test_main_(cases, sizeof cases / sizeof cases[0], argc, argv);                      \
    }

#endif
