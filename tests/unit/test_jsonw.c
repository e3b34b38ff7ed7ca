/*
 * test_jsonw.c - the JSON writer: escaping (quotes, backslashes, control
 * characters, the HTML-unsafe < > & and U+2028/U+2029, invalid UTF-8),
 * doubles written exactly as Python's repr() writes them, NaN as null,
 * commas and nesting tracked, misuse and the buffer cap reported.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "fixture.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"

static void test_escape_table(void)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"plain", 5, "plain"},
        {"say \"hi\"", 8, "say \\\"hi\\\""},
        {"C:\\dir", 6, "C:\\\\dir"},
        {"a\nb\rc\td", 7, "a\\nb\\rc\\td"},
        {"\x01\x1f", 2, "\\u0001\\u001f"},
        {"\b\f", 2, "\\u0008\\u000c"},
        {"\x7f", 1, "\\u007f"},
        {"</script>", 9, "\\u003c/script\\u003e"},
        {"a&b", 3, "a\\u0026b"},
        {"\xE2\x80\xA8|\xE2\x80\xA9", 7, "\\u2028|\\u2029"},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14,
         "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
        {"x\xFFy", 3, "x\\ufffdy"},
        {"\xC0\x80", 2, "\\ufffd\\ufffd"},
        {"\xED\xA0\x80", 3, "\\ufffd\\ufffd\\ufffd"},
        {"end\xC3", 4, "end\\ufffd"},
        {"a\0b", 3, "a\\u0000b"},
        {"/ slash", 7, "/ slash"},
        {"", 0, ""},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct buf b;
        buf_init(&b, 1024);
        jw_escape(&b, cases[i].in, cases[i].n);
        ASSERT_STREQ(b.data ? b.data : "", cases[i].out);
        buf_free(&b);
    }
}

/* Expected strings come from Python 3.11's repr(float). */
static const struct {
    double v;
    const char *repr;
} doubles[] = {
    {0x1.0680000000000p+11, "2100.0"},
    {0x1.db06666666666p+10, "1900.1"},
    {0x1.3333333333334p-2, "0.30000000000000004"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x0.0p+0, "0.0"},
    {-0x0.0p+0, "-0.0"},
    {0x1.2d00000000000p+7, "150.5"},
    {0x1.638e38e38e38ep+6, "88.88888888888889"},
    {0x1.7b99999999999p+6, "94.89999999999999"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.d6f34547df3b6p+26, "123456789.123"},
    {0x1.0000000000000p+53, "9007199254740992.0"},
    {0x1.0000000000001p+53, "9007199254740994.0"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0"},
    {0x1.999999999999ap-4, "0.1"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.5555555555555p-1, "0.6666666666666666"},
    {0x1.9000000000000p+6, "100.0"},
    {-0x1.9000000000000p+6, "-100.0"},
    {0x1.249ad2594c37dp+332, "1e+100"},
    {0x1.0823f71155233p-23, "1.23e-07"},
    {0x1.1de784a000000p+28, "299792458.0"},
    {0x1.1666666666666p+2, "4.35"},
    {0x1.1eb851eb851ecp-4, "0.07"},
    {0x1.e240c9fcb5c8ap+16, "123456.7890123"},
    {0x1.0000000000000p-20, "9.5367431640625e-07"},
    {0x1.b1ae4d6e2ef50p+69, "1e+21"},
    {0x1.52d02c7e14af6p+76, "1e+23"},
    {0x1.8000000000001p+1, "3.0000000000000004"},
    {0x1.c6bf52633ffffp+49, "999999999999999.9"},
    {0x1.9d37952e6b438p-53, "1.7920435971799646e-16"},
    {0x1.4c9c3269e0d37p-619, "5.972115650501124e-187"},
    {0x1.71ff4a6a3a450p-974, "9.051962159641863e-294"},
    {0x1.fc209128b2f33p-183, "1.6189867119270557e-55"},
    {0x1.028d6099950d8p-935, "3.47746221006508e-282"},
    {0x1.095311fcbe35cp+12, "4245.19189142514"},
    {0x1.3581415093f9dp+10, "1238.0196114964558"},
    {0x1.882550ca2bf01p+12, "6274.332224055893"},
    {0x1.efd9c07bbf928p+11, "3966.8047465078016"},
};

static void test_format_double_python_repr(void)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        char out[32];
        size_t n = jw_format_double(out, doubles[i].v);
        if (strcmp(out, doubles[i].repr) != 0 || n != strlen(out) ||
            strtod(out, NULL) != doubles[i].v) {
            fprintf(stderr, "  %a: got \"%s\", Python writes \"%s\"\n", doubles[i].v, out,
                    doubles[i].repr);
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

/* Whole numbers below 1e15 take a shortcut: their digits and ".0", as
 * printf writes the integer, on both sides of the bound and across
 * magnitudes (a splitmix sequence, fixed). */
static void test_format_double_whole_numbers(void)
{
    static const double fixed[] = {1,
                                   -1,
                                   9,
                                   10,
                                   99,
                                   100,
                                   1796426470116.0,
                                   999999999999999.0,
                                   -999999999999999.0,
                                   4503599627370496.0 / 8};
    int bad = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < 2000 + sizeof fixed / sizeof fixed[0]; i++) {
        double v;
        if (i < sizeof fixed / sizeof fixed[0]) {
            v = fixed[i];
        } else {
            uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            long long k = (long long)(z % 1000000000000000ULL) >> (z % 50);
            v = (double)((z & 1) ? -k : k);
            if (v == 0)
                continue;
        }
        char out[32], want[40];
        snprintf(want, sizeof want, "%lld.0", (long long)v);
        size_t n = jw_format_double(out, v);
        if (strcmp(out, want) != 0 || n != strlen(want) || strtod(out, NULL) != v) {
            if (bad++ < 5)
                fprintf(stderr, "  %.17g: got \"%s\", expected \"%s\"\n", v, out, want);
        }
    }
    ASSERT_EQ_INT(bad, 0);
    char out[32];
    jw_format_double(out, 1e15); /* past the shortcut: the search, the same form */
    ASSERT_STREQ(out, "1000000000000000.0");
}

/* Numbers of up to three decimals take a shortcut too: what they give is
 * the shortest digits that read back (found here the long way: the fewest
 * significant digits %g needs). */
static void test_format_double_few_decimals(void)
{
    int bad = 0;
    uint64_t x = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < 20000; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        /* 1 to 3 decimals, magnitudes from 0.001 to about 1e12. */
        static const double scale[] = {10, 100, 1000};
        double s = scale[z % 3];
        double v = (double)((long long)((z >> 8) % 1000000000000000ULL >> ((z >> 4) % 48))) / s;
        if (z & 2)
            v = -v;
        if (v == (double)(long long)v)
            continue;
        char want[40], out[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(want, sizeof want, "%.*g", p, v);
            if (strtod(want, NULL) == v)
                break;
        }
        size_t n = jw_format_double(out, v);
        if (strcmp(out, want) != 0 || n != strlen(out)) {
            if (bad++ < 5)
                fprintf(stderr, "  %.17g: got \"%s\", expected \"%s\"\n", v, out, want);
        }
    }
    ASSERT_EQ_INT(bad, 0);
    static const struct {
        double v;
        const char *repr;
    } edges[] = {{0.001, "0.001"},
                 {0.05, "0.05"},
                 {-0.25, "-0.25"},
                 {123.456, "123.456"},
                 {999999999999.999, "999999999999.999"},
                 {0.0005, "0.0005"},
                 {1e12 + 0.5, "1000000000000.5"}};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        char out[40];
        jw_format_double(out, edges[i].v);
        ASSERT_STREQ(out, edges[i].repr);
    }
}

/* Python switches to exponent notation at 1e16, C's %.15g at 1e15: values
 * in [1e15, 1e16) must still be written in positional notation. */
static void test_format_double_1e15_to_1e16(void)
{
    static const struct {
        double v;
        const char *repr;
    } cases[] = {
        {0x1.c6bf526340000p+49, "1000000000000000.0"},
        {0x1.550f7dca70000p+50, "1500000000000000.0"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        jw_format_double(out, cases[i].v);
        if (strcmp(out, cases[i].repr) != 0) {
            fprintf(stderr, "  %a: got \"%s\", Python writes \"%s\"\n", cases[i].v, out,
                    cases[i].repr);
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_format_double_nonfinite(void)
{
    char out[32];
    ASSERT_EQ_INT(jw_format_double(out, NAN), 4);
    ASSERT_STREQ(out, "null");
    jw_format_double(out, INFINITY);
    ASSERT_STREQ(out, "null");
    jw_format_double(out, -INFINITY);
    ASSERT_STREQ(out, "null");
}

/* The seed's stats arithmetic, formatted: avg 1900.1, rates 60.0 / 100.0. */
static void test_format_seed_numbers(void)
{
    char out[32];
    jw_format_double(out, (150.5 + 3500 + 250 + 5500 + 100) / 5);
    ASSERT_STREQ(out, "1900.1");
    jw_format_double(out, (3.0 / 5) * 100);
    ASSERT_STREQ(out, "60.0");
    jw_format_double(out, (8.0 / 9) * 100);
    ASSERT_STREQ(out, "88.88888888888889");
    jw_format_double(out, (5.0 / 5) * 100);
    ASSERT_STREQ(out, "100.0");
}

/* Write a document with the writer and return the finish code. */
static void test_writer_document(void)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_kstr(&w, "tool", "Read");
    jw_kstr(&w, "none", NULL);
    jw_kint(&w, "n", -9223372036854775807LL - 1);
    jw_knum(&w, "d", 2100);
    jw_knum(&w, "nan", NAN);
    jw_kbool(&w, "t", 1);
    jw_kbool(&w, "f", 0);
    jw_knull(&w, "z");
    jw_key(&w, "arr");
    jw_arr_begin(&w);
    jw_int(&w, 1);
    jw_str(&w, "<b>");
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_raw(&w, "{\"x\":1}", 7);
    jw_arr_end(&w);
    jw_key(&w, "k\"ey");
    jw_strn(&w, "abcdef", 3);
    jw_obj_end(&w);
    ASSERT_EQ_INT(jw_finish(&w), 0);
    ASSERT_STREQ(b.data, "{\"tool\":\"Read\",\"none\":null,\"n\":-9223372036854775808,\"d\":2100.0,"
                         "\"nan\":null,\"t\":true,\"f\":false,\"z\":null,"
                         "\"arr\":[1,\"\\u003cb\\u003e\",[],{},{\"x\":1}],\"k\\\"ey\":\"abc\"}");
    buf_free(&b);
}

enum misuse {
    M_UNCLOSED_OBJ,
    M_UNCLOSED_ARR,
    M_CLOSE_AT_TOP,
    M_KEY_AT_TOP,
    M_KEY_TWICE,
    M_KEY_THEN_CLOSE,
    M_VALUE_WITHOUT_KEY,
    M_KEY_IN_ARRAY,
    M_TWO_TOP_VALUES,
    M_MISMATCHED_CLOSE,
    M_TOO_DEEP,
};

static int run_misuse(enum misuse m)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    switch (m) {
    case M_UNCLOSED_OBJ: jw_obj_begin(&w); break;
    case M_UNCLOSED_ARR:
        jw_arr_begin(&w);
        jw_int(&w, 1);
        break;
    case M_CLOSE_AT_TOP: jw_obj_end(&w); break;
    case M_KEY_AT_TOP: jw_key(&w, "a"); break;
    case M_KEY_TWICE:
        jw_obj_begin(&w);
        jw_key(&w, "a");
        jw_key(&w, "b");
        jw_int(&w, 1);
        jw_obj_end(&w);
        break;
    case M_KEY_THEN_CLOSE:
        jw_obj_begin(&w);
        jw_key(&w, "a");
        jw_obj_end(&w);
        break;
    case M_VALUE_WITHOUT_KEY:
        jw_obj_begin(&w);
        jw_int(&w, 1);
        jw_obj_end(&w);
        break;
    case M_KEY_IN_ARRAY:
        jw_arr_begin(&w);
        jw_key(&w, "a");
        jw_int(&w, 1);
        jw_arr_end(&w);
        break;
    case M_TWO_TOP_VALUES:
        jw_int(&w, 1);
        jw_int(&w, 2);
        break;
    case M_MISMATCHED_CLOSE:
        jw_arr_begin(&w);
        jw_obj_end(&w);
        break;
    case M_TOO_DEEP:
        for (int i = 0; i < JW_MAX_DEPTH + 5; i++)
            jw_arr_begin(&w);
        for (int i = 0; i < JW_MAX_DEPTH + 5; i++)
            jw_arr_end(&w);
        break;
    }
    int rc = jw_finish(&w);
    buf_free(&b);
    return rc;
}

static void test_writer_misuse_is_reported(void)
{
    static const struct {
        const char *name;
        enum misuse m;
    } cases[] = {
        {"unclosed object", M_UNCLOSED_OBJ},
        {"unclosed array", M_UNCLOSED_ARR},
        {"close at top level", M_CLOSE_AT_TOP},
        {"key at top level", M_KEY_AT_TOP},
        {"two keys in a row", M_KEY_TWICE},
        {"key then close", M_KEY_THEN_CLOSE},
        {"too deep", M_TOO_DEEP},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        int rc = run_misuse(cases[i].m);
        if (rc != TP_EINVAL)
            fprintf(stderr, "  case \"%s\"\n", cases[i].name);
        ASSERT_EQ_INT(rc, TP_EINVAL);
    }
}

/* jsonw.c's header comment promises that "a value in an object without a
 * key" is reported; the writer tracks no container type, so these produce
 * invalid JSON ({1}, ["a":1], 1,2, [}) with jw_finish() returning 0. */
static void test_writer_structure_errors(void)
{
    static const struct {
        const char *name;
        enum misuse m;
    } cases[] = {
        {"value in object without key", M_VALUE_WITHOUT_KEY},
        {"key inside array", M_KEY_IN_ARRAY},
        {"two top-level values", M_TWO_TOP_VALUES},
        {"array closed with }", M_MISMATCHED_CLOSE},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_misuse(cases[i].m);
        if (rc != TP_EINVAL) {
            fprintf(stderr, "  case \"%s\": jw_finish returned %d, expected TP_EINVAL\n",
                    cases[i].name, rc);
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_writer_cap(void)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, 32);
    jw_init(&w, &b);
    jw_arr_begin(&w);
    jw_str(&w, "0123456789012345678901234567890123456789");
    jw_arr_end(&w);
    ASSERT_EQ_INT(jw_finish(&w), TP_ETOOBIG);
    ASSERT_TRUE(b.len < 32);
    buf_free(&b);

    /* Exactly at the cap: 31 bytes + NUL fit in 32. */
    buf_init(&b, 32);
    jw_init(&w, &b);
    jw_str(&w, "01234567890123456789012345678");
    ASSERT_EQ_INT(jw_finish(&w), 0);
    ASSERT_EQ_INT(b.len, 31);
    buf_free(&b);

    /* A key that overflows. */
    buf_init(&b, 8);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_kint(&w, "a-long-key", 1);
    jw_obj_end(&w);
    ASSERT_EQ_INT(jw_finish(&w), TP_ETOOBIG);
    buf_free(&b);
}

TEST_MAIN(TEST_CASE(test_escape_table), TEST_CASE(test_format_double_python_repr),
          TEST_CASE(test_format_double_1e15_to_1e16), TEST_CASE(test_format_double_whole_numbers),
          TEST_CASE(test_format_double_few_decimals), TEST_CASE(test_format_double_nonfinite),
          TEST_CASE(test_format_seed_numbers), TEST_CASE(test_writer_document),
          TEST_CASE(test_writer_misuse_is_reported), TEST_CASE(test_writer_structure_errors),
          TEST_CASE(test_writer_cap))
