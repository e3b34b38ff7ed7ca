/*
 * test_utf8.c - strict UTF-8: what RFC 3629 allows and nothing else
 * (overlongs, surrogates, code points past U+10FFFF and truncated sequences
 * are invalid, with the offset of the first bad byte), clean cuts at
 * character boundaries, and repair to U+FFFD.
 */
#include <stdint.h>
#include <stdio.h>

#include "fixture.h"
#include "core/utf8.h"

struct inv_case {
    const char *name;
    const char *s;
    size_t n;      /* bytes */
    size_t bad_at; /* expected utf8_invalid_at(); == n when valid */
};

#define S(lit) lit, sizeof(lit) - 1

static const struct inv_case inv_cases[] = {
    {"empty", S(""), 0},
    {"ascii", S("hello, world"), 12},
    {"two-byte e-acute", S("caf\xC3\xA9"), 5},
    {"three-byte euro", S("\xE2\x82\xAC 5"), 5},
    {"four-byte G clef", S("\xF0\x9D\x84\x9E"), 4},
    {"last code point U+10FFFF", S("\xF4\x8F\xBF\xBF"), 4},
    {"U+D7FF before surrogates", S("\xED\x9F\xBF"), 3},
    {"U+E000 after surrogates", S("\xEE\x80\x80"), 3},
    {"U+0080 smallest two-byte", S("\xC2\x80"), 2},
    {"U+0800 smallest three-byte", S("\xE0\xA0\x80"), 3},
    {"U+10000 smallest four-byte", S("\xF0\x90\x80\x80"), 4},
    {"past U+10FFFF (F4 90)", S("ab\xF4\x90\x80\x80"), 2},
    {"lead F5", S("\xF5\x80\x80\x80"), 0},
    {"byte FF", S("x\xFF"), 1},
    {"byte FE", S("\xFE"), 0},
    {"overlong C0 80 (NUL)", S("a\xC0\x80"), 1},
    {"overlong C1 BF", S("\xC1\xBF"), 0},
    {"overlong E0 80 80", S("\xE0\x80\x80"), 0},
    {"overlong E0 9F BF", S("\xE0\x9F\xBF"), 0},
    {"overlong F0 80 80 80", S("\xF0\x80\x80\x80"), 0},
    {"overlong F0 8F BF BF", S("\xF0\x8F\xBF\xBF"), 0},
    {"high surrogate ED A0 80", S("ok\xED\xA0\x80"), 2},
    {"low surrogate ED BF BF", S("\xED\xBF\xBF"), 0},
    {"lone continuation", S("abc\x80"), 3},
    {"truncated two-byte at end", S("abc\xC3"), 3},
    {"truncated three-byte at end", S("ab\xE2\x82"), 2},
    {"truncated four-byte at end", S("\xF0\x9D\x84"), 0},
    {"truncated then ASCII", S("\xE2\x82z"), 0},
    {"bad byte after 8-byte ASCII run", S("abcdefghij\xC3("), 10},
    {"bad byte at 16 after fast path", S("0123456789abcdef\x80"), 16},
    {"valid after long ASCII run", S("0123456789abcdef\xC3\xA9xyz"), 21},
};

static void test_invalid_at_table(void)
{
    FOR_EACH_ROW(i, sizeof inv_cases / sizeof inv_cases[0])
    {
        const struct inv_case *c = &inv_cases[i];
        TEST_ROW("%s", c->name);
        ASSERT_EQ_INT(utf8_invalid_at(c->s, c->n), c->bad_at);
    }
}

static void test_decode_code_points(void)
{
    static const struct {
        const char *s;
        size_t n, len;
        uint32_t cp;
    } cases[] = {
        {S("A"), 1, 0x41},
        {S("\xC3\xA9"), 2, 0xE9},
        {S("\xE2\x82\xAC"), 3, 0x20AC},
        {S("\xE2\x80\xA8"), 3, 0x2028},
        {S("\xF0\x9F\x98\x80"), 4, 0x1F600},
        {S("\xF4\x8F\xBF\xBF"), 4, 0x10FFFF},
        {S("\xED\xA0\x80"), 0, 0},     /* surrogate */
        {S("\xC0\xAF"), 0, 0},         /* overlong '/' */
        {S("\xE2\x82"), 0, 0},         /* truncated */
        {S("\xC3\x28"), 0, 0},         /* bad continuation */
        {S("\xF4\x90\x80\x80"), 0, 0}, /* > U+10FFFF */
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        uint32_t cp = 0xDEADBEEF;
        size_t len = utf8_decode((const unsigned char *)cases[i].s, cases[i].n, &cp);
        ASSERT_EQ_INT(len, cases[i].len);
        if (len)
            ASSERT_EQ_INT(cp, cases[i].cp);
    }
    uint32_t cp;
    ASSERT_EQ_INT(utf8_decode((const unsigned char *)"x", 0, &cp), 0);
}

static void test_valid_text_rejects_nul(void)
{
    ASSERT_EQ_INT(utf8_valid_text("abc", 3), 1);
    ASSERT_EQ_INT(utf8_valid_text("a\0b", 3), 0);
    ASSERT_EQ_INT(utf8_valid_text("\xC3\xA9", 2), 1);
    ASSERT_EQ_INT(utf8_valid_text("\xC3", 1), 0);
    ASSERT_EQ_INT(utf8_valid_text("", 0), 1);
}

static void test_floor_table(void)
{
    /* "a" + e-acute (2) + euro (3) + smiley (4) = 10 bytes. */
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    static const size_t expect[11] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
    for (size_t n = 0; n <= 10; n++) {
        size_t got = utf8_floor(s, n);
        if (got != expect[n]) {
            fprintf(stderr, "  n = %zu\n", n);
            ASSERT_EQ_INT(got, expect[n]);
        }
    }
    ASSERT_EQ_INT(utf8_floor("abc", 2), 2);
    ASSERT_EQ_INT(utf8_floor("", 0), 0);
}

static void test_sanitize(void)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {S("plain"), "plain"},
        {S("a\xFF"
           "b"),
         "a\xEF\xBF\xBD"
         "b"},
        {S("a\0b"), "ab"},
        {S("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {S("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {S("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC"},
        {S(""), ""},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        size_t len = 999;
        char *o = utf8_sanitize(cases[i].in, cases[i].n, &len);
        ASSERT_STREQ(o, cases[i].out);
        ASSERT_EQ_INT(len, strlen(cases[i].out));
        free(o);
    }
    /* A truncated sequence: whatever the number of replacement characters,
     * the result is valid text that keeps the ASCII around it. */
    size_t len;
    char *o = utf8_sanitize("x\xE2\x82y", 4, &len);
    ASSERT_EQ_INT(utf8_valid_text(o, len), 1);
    ASSERT_TRUE(o[0] == 'x' && o[len - 1] == 'y');
    ASSERT_CONTAINS(o, "\xEF\xBF\xBD");
    free(o);
    o = utf8_sanitize("abc", 3, NULL);
    ASSERT_STREQ(o, "abc");
    free(o);
}

TEST_MAIN(TEST_CASE(test_invalid_at_table), TEST_CASE(test_decode_code_points),
          TEST_CASE(test_valid_text_rejects_nul), TEST_CASE(test_floor_table),
          TEST_CASE(test_sanitize))
