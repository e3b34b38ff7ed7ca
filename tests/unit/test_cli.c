/*
 * test_cli.c - the command line's building blocks: option parsing (every
 * error message names the option and the bad value) and text tables
 * (alignment counted in characters so UTF-8 lines up, right-aligned
 * numbers, long cells cut in the middle at a character boundary, cell
 * formatters).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "cli/args.h"
#include "cli/table.h"
#include "core/utf8.h"

/* ---- args --------------------------------------------------------------------- */

struct parsed {
    int json;
    long long limit;
    double threshold;
    const char *window;
    int help;
    char **pos;
    int npos;
    int rc;
    char err[256];
};

static void parse(int argc, const char *const *argv, int allow_pos, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    p->limit = -1;
    p->threshold = -1;
    const struct opt opts[] = {
        {"json", OPT_FLAG, &p->json, NULL, "print JSON"},
        {"limit", OPT_LONG, &p->limit, "N", "at most N rows"},
        {"threshold", OPT_NUM, &p->threshold, "MS", "slow from MS"},
        {"window", OPT_STR, &p->window, "W", "time window"},
        {NULL, OPT_FLAG, NULL, NULL, NULL},
    };
    p->rc = args_parse(argc, (char **)argv, opts, &p->help, allow_pos ? &p->pos : NULL,
                       allow_pos ? &p->npos : NULL, p->err);
}

static void test_args_accepts(void)
{
    struct parsed p;
    const char *a1[] = {"--json", "--limit", "5", "--threshold=2000.5", "--window", "7d", "pos1",
                        "--",     "--json",  "-"};
    parse(10, a1, 1, &p);
    ASSERT_EQ_INT(p.rc, 0);
    ASSERT_EQ_INT(p.json, 1);
    ASSERT_EQ_INT(p.limit, 5);
    ASSERT_EQ_DBL(p.threshold, 2000.5, 0);
    ASSERT_STREQ(p.window, "7d");
    ASSERT_EQ_INT(p.help, 0);
    ASSERT_EQ_INT(p.npos, 3);
    ASSERT_STREQ(p.pos[0], "pos1");
    ASSERT_STREQ(p.pos[1], "--json"); /* after "--", an argument */
    ASSERT_STREQ(p.pos[2], "-");      /* stdin */
    free(p.pos);

    /* Nothing given: destinations untouched. */
    parse(0, NULL, 1, &p);
    ASSERT_EQ_INT(p.rc, 0);
    ASSERT_EQ_INT(p.limit, -1);
    ASSERT_TRUE(p.window == NULL);
    ASSERT_EQ_INT(p.npos, 0);
    free(p.pos);

    /* Negative numbers as values, "=" forms, an empty string value, the
     * last of a repeated option. */
    const char *a2[] = {"--threshold", "-5", "--limit=-3", "--window=", "--limit", "+7"};
    parse(6, a2, 0, &p);
    ASSERT_EQ_INT(p.rc, 0);
    ASSERT_EQ_DBL(p.threshold, -5, 0);
    ASSERT_EQ_INT(p.limit, 7);
    ASSERT_STREQ(p.window, "");

    const char *a3[] = {"--help"};
    parse(1, a3, 0, &p);
    ASSERT_EQ_INT(p.rc, 0);
    ASSERT_EQ_INT(p.help, 1);
    const char *a4[] = {"-h", "--json"};
    parse(2, a4, 0, &p);
    ASSERT_EQ_INT(p.rc, 0);
    ASSERT_EQ_INT(p.help, 1);
    ASSERT_EQ_INT(p.json, 1);
}

static void test_args_errors(void)
{
    static const struct {
        int argc;
        const char *argv[3];
        int allow_pos;
        const char *msg;
    } cases[] = {
        {1, {"--limit=abc"}, 0, "--limit: expected a whole number, got 'abc'"},
        {2, {"--limit", "1e3"}, 0, "--limit: expected a whole number, got '1e3'"},
        {2, {"--limit", "5x"}, 0, "--limit: expected a whole number, got '5x'"},
        {2, {"--limit", ""}, 0, "--limit: expected a whole number, got ''"},
        {2, {"--limit", "99999999999999999999"}, 0, "--limit: expected a whole number"},
        {2, {"--threshold", "nan"}, 0, "--threshold: expected a number, got 'nan'"},
        {2, {"--threshold", "inf"}, 0, "--threshold: expected a number, got 'inf'"},
        {2, {"--threshold", "1e400"}, 0, "--threshold: expected a number, got '1e400'"},
        {1, {"--threshold=fast"}, 0, "--threshold: expected a number, got 'fast'"},
        {1, {"--limit"}, 0, "--limit needs a value (N)"},
        {2, {"--json", "--window"}, 0, "--window needs a value (W)"},
        {1, {"--json=1"}, 0, "--json takes no value"},
        {1, {"--bogus"}, 0, "unknown option --bogus (see --help)"},
        {1, {"--bogus=3"}, 0, "unknown option --bogus (see --help)"},
        {1, {"--lim"}, 0, "unknown option --lim"},
        {1, {"--jsonx"}, 0, "unknown option --jsonx"},
        {1, {"-x"}, 0, "unknown option -x (see --help)"},
        {1, {"stray"}, 0, "unexpected argument 'stray' (see --help)"},
        {2, {"--json", "stray"}, 0, "unexpected argument 'stray'"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("%s %s", cases[i].argv[0], cases[i].argc > 1 ? cases[i].argv[1] : "");
        struct parsed p;
        parse(cases[i].argc, cases[i].argv, cases[i].allow_pos, &p);
        free(p.pos);
        ASSERT_MSG(p.rc == -1 && strstr(p.err, cases[i].msg),
                   "rc %d, message \"%s\", expected \"%s\"", p.rc, p.err, cases[i].msg);
    }
}

static void test_args_usage(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    int json;
    long long limit;
    const struct opt opts[] = {
        {"json", OPT_FLAG, &json, NULL, "print JSON"},
        {"limit", OPT_LONG, &limit, "N", "at most N rows"},
        {NULL, OPT_FLAG, NULL, NULL, NULL},
    };
    args_usage(fp, "toolprof slow [options]", "Slow operations, newest first.", opts);
    fclose(fp);
    ASSERT_STREQ(out, "usage: toolprof slow [options]\n\nSlow operations, newest first.\n\n"
                      "options:\n"
                      "  --json                     print JSON\n"
                      "  --limit N                  at most N rows\n"
                      "  --help                     show this help\n");
    free(out);
}

/* ---- tables ------------------------------------------------------------------------ */

static char *print_table(const struct table *t)
{
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    table_print(t, fp);
    fclose(fp);
    return out;
}

static void test_table_alignment_utf8(void)
{
    static const char *const heads[] = {"Tool", ">Count", "Target"};
    struct table t;
    table_init(&t, 3, heads);
    const char *r1[] = {"Read", "12", "/src/caf\xC3\xA9.py"};
    const char *r2[] = {"B\xC3\xA4sh", "1,234", "npm test"};
    const char *r3[] = {NULL, "5", "x\ty\nz"};
    const char *r4[] = {"\xE6\x97\xA5\xE6\x9C\xAC", "0", ""};
    table_row(&t, r1);
    table_row(&t, r2);
    table_row(&t, r3);
    table_row(&t, r4);
    char *out = print_table(&t);
    ASSERT_STREQ(out, "Tool  Count  Target\n"
                      "Read     12  /src/caf\xC3\xA9.py\n"
                      "B\xC3\xA4sh  1,234  npm test\n"
                      "-         5  x y z\n"
                      "\xE6\x97\xA5\xE6\x9C\xAC        0  \n");
    free(out);
    table_free(&t);

    /* A numeric last column, and a header wider than its cells. */
    static const char *const h2[] = {"Name", ">Milliseconds"};
    table_init(&t, 2, h2);
    const char *s1[] = {"\xC3\xA9t\xC3\xA9", "7"};
    table_row(&t, s1);
    out = print_table(&t);
    ASSERT_STREQ(out, "Name  Milliseconds\n"
                      "\xC3\xA9t\xC3\xA9              7\n");
    free(out);
    table_free(&t);
}

static void test_table_cut_middle(void)
{
    static const struct {
        const char *in;
        size_t cap;
        const char *out;
    } cases[] = {
        {"/very/long/path/to/file.py", 10, "/ver\xE2\x80\xA6le.py"},
        {"/very/long/path/to/file.py", 26, "/very/long/path/to/file.py"},
        {"/very/long/path/to/file.py", 25, "/very/long/p\xE2\x80\xA6h/to/file.py"},
        {"/very/long/path/to/file.py", 0, "/very/long/path/to/file.py"},
        {"abcdef", 1, "\xE2\x80\xA6"},
        {"abcdef", 2,
         "\xE2\x80\xA6"
         "f"},
        {"abcdef", 3,
         "a\xE2\x80\xA6"
         "f"},
        /* 10 alphas then 10 betas, cut at characters, never inside one. */
        {"\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1\xCE\xB1"
         "\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2\xCE\xB2",
         7, "\xCE\xB1\xCE\xB1\xCE\xB1\xE2\x80\xA6\xCE\xB2\xCE\xB2\xCE\xB2"},
        {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 3,
         "\xF0\x9F\x98\x80\xE2\x80\xA6\xF0\x9F\x98\x80"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        static const char *const heads[] = {"T"};
        struct table t;
        table_init(&t, 1, heads);
        table_cap(&t, 0, cases[i].cap);
        const char *row[] = {cases[i].in};
        table_row(&t, row);
        char *out = print_table(&t);
        char want[200];
        snprintf(want, sizeof want, "T\n%s\n", cases[i].out);
        if (strcmp(out, want) != 0)
            fprintf(stderr, "  case %zu (cap %zu)\n", i, cases[i].cap);
        ASSERT_STREQ(out, want);
        ASSERT_EQ_INT(utf8_valid_text(out, strlen(out)), 1);
        free(out);
        table_free(&t);
    }
}

static void test_table_formatters(void)
{
    static const struct {
        double ms;
        const char *s;
    } ms[] = {
        {NAN, "-"},       {0, "0.0 ms"},    {5.5, "5.5 ms"},     {9.94, "9.9 ms"},
        {10, "10 ms"},    {820, "820 ms"},  {999.4, "999 ms"},   {1000, "1.00 s"},
        {1520, "1.52 s"}, {5500, "5.50 s"}, {120000, "2.0 min"}, {186000, "3.1 min"},
    };
    FOR_EACH_ROW(i, sizeof ms / sizeof ms[0])
    {
        char out[32];
        table_ms(out, ms[i].ms);
        ASSERT_STREQ(out, ms[i].s);
    }
    static const struct {
        unsigned long long n;
        const char *s;
    } counts[] = {
        {0, "0"},
        {999, "999"},
        {1000, "1,000"},
        {123456, "123,456"},
        {1234567, "1,234,567"},
        {18446744073709551615ULL, "18,446,744,073,709,551,615"},
    };
    FOR_EACH_ROW(i, sizeof counts / sizeof counts[0])
    {
        char out[32];
        table_count(out, counts[i].n);
        ASSERT_STREQ(out, counts[i].s);
    }
    char out[32];
    table_pct(out, 60);
    ASSERT_STREQ(out, "60.0%");
    table_pct(out, 88.88888888888889);
    ASSERT_STREQ(out, "88.9%");
    table_pct(out, 100);
    ASSERT_STREQ(out, "100.0%");
}

TEST_MAIN(TEST_CASE(test_args_accepts), TEST_CASE(test_args_errors), TEST_CASE(test_args_usage),
          TEST_CASE(test_table_alignment_utf8), TEST_CASE(test_table_cut_middle),
          TEST_CASE(test_table_formatters))
