/*
 * test_jfield.c - the field extractor (core/jfield.h) on its own: what it
 * reads and how (every escape, surrogate pairs, numbers and their literal
 * form, lookups, the first of duplicate keys, iteration, raw spans), what
 * it hands to the tree parser instead (each rule of jfield.h: JSON that is
 * not strict, what cJSON reads differently, the depth and token limits),
 * the arena under every string of a document unescaped, document reuse,
 * and its getters and printer against jsonin.h's on the same text.
 *
 * The file includes jfield.c with a token limit of 1,000 (JF_MAX_TOKENS),
 * so that the limit is reached by a small document; test_jfield_swar.c
 * includes this file again without SSE2, for the portable string scan.
 */
#define JF_MAX_TOKENS 1000
#include "core/jfield.c"

#include <math.h>
#include <stdio.h>

#include "fixture.h"

#define S(lit) lit, sizeof(lit) - 1

static struct jf_val parse_ok(struct jf_doc *d, const char *s, size_t n, int flags)
{
    if (jf_parse(d, s, n, flags, TP_MAX_JSON_DEPTH) != 0)
        return jf_tree(NULL);
    return jf_root(d);
}

static void test_strings(void)
{
    struct jf_doc *doc = jf_doc_new();
    static const struct {
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {S("\"plain\""), "plain"},
        {S("\"\""), ""},
        {S("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""), "\" \\ / \b \f \n \r \t"},
        {S("\"\\u0041\\u00e9\\u00E9\\u20ac\""), "A\xC3\xA9\xC3\xA9\xE2\x82\xAC"},
        {S("\"\\ud83d\\ude00 \\uD83D\\uDE00\""), "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80"},
        {S("\"\\udbff\\udfff\""), "\xF4\x8F\xBF\xBF"},
        {S("\"raw \xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80 UTF-8\""),
         "raw \xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80 UTF-8"},
        /* Long enough for the sixteen-byte blocks, with escapes between. */
        {S("\"0123456789abcdef0123456789abcdef\\n0123456789abcdef\\\"x\""),
         "0123456789abcdef0123456789abcdef\n0123456789abcdef\"x"},
        {S("\"0123456789abcde\xC3\xA9"
           "0123456789abcdef\""),
         "0123456789abcde\xC3\xA9"
         "0123456789abcdef"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("%s", cases[i].in);
        struct jf_val v = parse_ok(doc, cases[i].in, cases[i].n, 0);
        ASSERT_EQ_INT(jf_type(v), JF_STRING);
        ASSERT_STREQ(jf_string(v), cases[i].want);
        ASSERT_EQ_INT(jf_strlen(v), (long long)strlen(cases[i].want));
        /* And again: unescaped once, then from the arena. */
        ASSERT_TRUE(jf_string(v) == jf_string(v));
        size_t rn;
        const char *raw = jf_raw(v, &rn);
        ASSERT_TRUE(raw == cases[i].in && rn == cases[i].n);
    }
    jf_doc_free(doc);
}

static void test_numbers(void)
{
    struct jf_doc *doc = jf_doc_new();
    static const struct {
        const char *in;
        size_t n;
        double want;
        int is_float;
    } cases[] = {
        {S("0"), 0, 0},
        {S("-0"), -0.0, 0},
        {S("2100"), 2100, 0},
        {S("2100.0"), 2100, 1},
        {S("-12.5e-1"), -1.25, 1},
        {S("1E3"), 1000, 1},
        {S("1e+2"), 100, 1},
        {S("1e400"), INFINITY, 1},
        {S("123456789012345678901234567890123456789012345678901234567890123"),
         1.2345678901234568e62, 0},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("%s", cases[i].in);
        struct jf_val v = parse_ok(doc, cases[i].in, cases[i].n, JF_NUMFMT);
        ASSERT_EQ_INT(jf_type(v), JF_NUMBER);
        double d = jf_number(v);
        ASSERT_TRUE(memcmp(&d, &cases[i].want, sizeof d) == 0 || d == cases[i].want);
        ASSERT_EQ_INT(signbit(d) != 0, signbit(cases[i].want) != 0);
        ASSERT_EQ_INT(jf_is_float_literal(v), cases[i].is_float);
        /* Without JF_NUMFMT the form is not kept, as with jin_parse. */
        v = parse_ok(doc, cases[i].in, cases[i].n, 0);
        ASSERT_EQ_INT(jf_is_float_literal(v), 0);
    }
    jf_doc_free(doc);
}

/* Numbers read the quick way (at most 15 digits, a power of ten up to
 * 22) or by strtod(): the same double as cJSON's strtod() either way. */
static void test_number_rounding(void)
{
    struct jf_doc *doc = jf_doc_new();
    struct fixture_rng r = {0xD1617};
    char lit[80];
    size_t quick = 0, fails = 0;
    for (int k = 0; k < 200000; k++) {
        size_t n = 0;
        if (fixture_rand_below(&r, 4) == 0)
            lit[n++] = '-';
        int digits = 1 + (int)fixture_rand_below(&r, 20);
        int point = fixture_rand_below(&r, 2) ? (int)fixture_rand_below(&r, (unsigned)digits) : -1;
        for (int i = 0; i < digits; i++) {
            if (i == point + 1 && point >= 0)
                lit[n++] = '.';
            char c = (char)('0' + fixture_rand_below(&r, 10));
            if (i == 0 && (digits > 1 && point != 0))
                c = (char)('1' + fixture_rand_below(&r, 9));
            lit[n++] = c;
        }
        if (fixture_rand_below(&r, 3) == 0)
            n +=
                (size_t)snprintf(lit + n, sizeof lit - n, "e%s%u",
                                 fixture_rand_below(&r, 2) ? "-" : "+", fixture_rand_below(&r, 40));
        lit[n] = '\0';
        if (jf_parse(doc, lit, n, 0, TP_MAX_JSON_DEPTH) != 0) {
            fails++;
            continue;
        }
        double a = jf_number(jf_root(doc)), b = strtod(lit, NULL), q;
        quick += quick_number(lit, n, &q);
        ASSERT_MSG(memcmp(&a, &b, sizeof a) == 0, "%s: %.17g, strtod %.17g", lit, a, b);
    }
    /* Most took the quick way; the generator wrote JSON numbers. */
    ASSERT_MSG(quick > 100000 && fails == 0, "%zu quick, %zu not numbers", quick, fails);
    jf_doc_free(doc);
}

static void test_objects(void)
{
    struct jf_doc *doc = jf_doc_new();
    static const char text[] = " { \"a\" : [ 1 , {\"b\":true} , \"x\" ] ,\"k\\u0065y\":null,"
                               "\"a\":\"second\", \"\":{} , \"n\":false}\r\n";
    struct jf_val root = parse_ok(doc, S(text), 0);
    ASSERT_EQ_INT(jf_type(root), JF_OBJECT);
    /* The first of duplicate keys, as jin_get(); an escaped key read. */
    struct jf_val a = jf_get(root, "a");
    ASSERT_EQ_INT(jf_type(a), JF_ARRAY);
    ASSERT_EQ_INT(jf_type(jf_get(root, "key")), JF_NULL);
    ASSERT_EQ_INT(jf_type(jf_get(root, "")), JF_OBJECT);
    ASSERT_EQ_INT(jf_type(jf_get(root, "n")), JF_FALSE);
    ASSERT_EQ_INT(jf_type(jf_get(root, "missing")), JF_NONE);
    ASSERT_EQ_INT(jf_type(jf_get(a, "b")), JF_NONE); /* not an object */
    ASSERT_TRUE(jf_keys_escaped(root));
    ASSERT_TRUE(!jf_keys_escaped(jf_child(a)));
    /* Children in order, with their keys. */
    static const char *const keys[] = {"a", "key", "a", "", "n"};
    size_t k = 0;
    for (struct jf_val c = jf_child(root); jf_present(c); c = jf_next(c), k++) {
        ASSERT_TRUE(k < 5);
        ASSERT_STREQ(jf_key(c), keys[k]);
    }
    ASSERT_EQ_INT(k, 5);
    struct jf_val e = jf_child(a);
    ASSERT_EQ_INT(jf_type(e), JF_NUMBER);
    ASSERT_TRUE(jf_key(e) == NULL);
    e = jf_next(e);
    ASSERT_EQ_INT(jf_type(jf_get(e, "b")), JF_TRUE);
    size_t rn;
    const char *raw = jf_raw(e, &rn);
    ASSERT_TRUE(rn == 10 && memcmp(raw, "{\"b\":true}", 10) == 0);
    e = jf_next(e);
    ASSERT_STREQ(jf_string(e), "x");
    ASSERT_TRUE(!jf_present(jf_next(e)));
    ASSERT_TRUE(!jf_present(jf_child(jf_get(root, ""))));
    ASSERT_EQ_INT(jf_strlen(jf_get(root, "n")), -1);
    ASSERT_TRUE(jf_string(jf_get(root, "n")) == NULL);
    jf_doc_free(doc);
}

/* Each rule of jfield.h: not handled, so the tree parser decides. */
static void test_fallbacks(void)
{
    static const struct {
        const char *why, *in;
        size_t n;
    } cases[] = {
        {"empty", S("")},
        {"blank", S("  ")},
        {"unclosed", S("{\"a\":1")},
        {"unclosed string", S("{\"a\":\"x")},
        {"trailing bytes", S("{\"a\":1} x")},
        {"two documents", S("{}{}")},
        {"byte order mark", S("\xEF\xBB\xBF{}")},
        {"form feed", S("{\f\"a\":1}")},
        {"vertical tab", S("[1,\v2]")},
        {"NUL after", S("{}\0")},
        {"NUL in a string", S("[\"a\0b\"]")},
        {"control character", S("[\"a\x01\"]")},
        {"raw tab", S("[\"a\tb\"]")},
        {"invalid UTF-8", S("[\"\xFF\"]")},
        {"overlong", S("[\"\xC0\xAF\"]")},
        {"encoded surrogate", S("[\"\xED\xA0\x80\"]")},
        {"cut sequence", S("[\"\xE2\x82\"]")},
        {"UTF-8 outside strings", S("[\xC3\xA9]")},
        {"escaped NUL", S("[\"\\u0000\"]")},
        {"lone high surrogate", S("[\"\\ud800\"]")},
        {"high surrogate, then text", S("[\"\\ud800x\"]")},
        {"high surrogate, then a BMP escape", S("[\"\\ud800\\u0041\"]")},
        {"lone low surrogate", S("[\"\\udc00\"]")},
        {"bad hex", S("[\"\\u12G4\"]")},
        {"short escape", S("[\"\\u12\"]")},
        {"unknown escape", S("[\"\\q\"]")},
        {"backslash at the end", S("[\"\\")},
        {"leading zero", S("[01]")},
        {"leading plus", S("[+1]")},
        {"bare minus", S("[-]")},
        {"no fraction digits", S("[1.]")},
        {"no integer digits", S("[.5]")},
        {"no exponent digits", S("[1e]")},
        {"hex", S("[0x10]")},
        {"64-character number",
         S("[1234567890123456789012345678901234567890123456789012345678901234]")},
        {"NaN", S("[NaN]")},
        {"bad literal", S("[tru]")},
        {"capital literal", S("[True]")},
        {"trailing comma", S("[1,]")},
        {"trailing comma in object", S("{\"a\":1,}")},
        {"missing colon", S("{\"a\" 1}")},
        {"number key", S("{1:2}")},
        {"single quotes", S("{'a':1}")},
        {"missing comma", S("[1 2]")},
        {"mismatched bracket", S("[1}")},
        {"deeper than the limit",
         S("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
           "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")},
    };
    struct jf_doc *d = jf_doc_new();
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("%s", cases[i].why);
        ASSERT_EQ_INT(jf_parse(d, cases[i].in, cases[i].n, 0, TP_MAX_JSON_DEPTH), JF_FALLBACK);
        ASSERT_TRUE(!jf_present(jf_root(d))); /* and it holds nothing */
    }
    jf_doc_free(d);
}

/* The depth rule of jin_parse(): a container at level L (the root is 1)
 * is refused past max_depth; a larger limit than TP_MAX_JSON_DEPTH reads
 * as that one. */
static void test_depth(void)
{
    static const int limits[] = {1, 3, 16, TP_MAX_JSON_DEPTH, 1000};
    struct jf_doc *d = jf_doc_new();
    char text[2 * TP_MAX_JSON_DEPTH + 8];
    FOR_EACH_ROW(i, sizeof limits / sizeof limits[0])
    {
        int max = limits[i] > TP_MAX_JSON_DEPTH ? TP_MAX_JSON_DEPTH : limits[i];
        TEST_ROW("max_depth %d", limits[i]);
        for (int levels = max; levels <= max + 1; levels++) {
            size_t n = 0;
            for (int k = 0; k < levels; k++)
                text[n++] = '[';
            for (int k = 0; k < levels; k++)
                text[n++] = ']';
            int rc = jf_parse(d, text, n, 0, limits[i]);
            ASSERT_EQ_INT(rc, levels <= max ? 0 : JF_FALLBACK);
            char err[TP_ERR_MAX];
            cJSON *t = jin_parse(text, n, JIN_STRICT,
                                 limits[i] > TP_MAX_JSON_DEPTH ? max : limits[i], err);
            ASSERT_EQ_INT(t != NULL, levels <= max);
            cJSON_Delete(t);
        }
    }
    jf_doc_free(d);
}

/* JF_MAX_TOKENS (1,000 in this file): a document of that many values is
 * read, one more goes to the tree parser. */
static void test_token_limit(void)
{
    struct jf_doc *d = jf_doc_new();
    char text[4096];
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 0;
        text[n++] = '[';
        for (int k = 0; k < JF_MAX_TOKENS - 1 + extra; k++) {
            if (k)
                text[n++] = ',';
            text[n++] = '7';
        }
        text[n++] = ']';
        ASSERT_EQ_INT(jf_parse(d, text, n, 0, TP_MAX_JSON_DEPTH), extra ? JF_FALLBACK : 0);
    }
    jf_doc_free(d);
}

/* Every string of a document unescaped (keys too): the arena of n + 1
 * bytes holds them all (under ASan a byte too many is a report). */
static void test_arena(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "{");
    for (int k = 0; k < 60; k++) {
        buf_printf(&b, "%s\"\\u00e9k%d\\ud83d\\ude00\":", k ? "," : "", k);
        buf_adds(&b, k % 3 == 0   ? "\"\\n\\t\\\"\\u20ac\\ud83d\\ude00\""
                     : k % 3 == 1 ? "\"\""
                                  : "[\"a\\/b\",\"\\u0041\"]");
    }
    buf_adds(&b, "}");
    struct jf_doc *d = jf_doc_new();
    ASSERT_EQ_INT(jf_parse(d, b.data, b.len, 0, TP_MAX_JSON_DEPTH), 0);
    size_t total = 0, members = 0;
    for (struct jf_val c = jf_child(jf_root(d)); jf_present(c); c = jf_next(c), members++) {
        total += strlen(jf_key(c)) + 1;
        if (jf_type(c) == JF_STRING)
            total += strlen(jf_string(c)) + 1;
        for (struct jf_val e = jf_child(c); jf_present(e); e = jf_next(e))
            total += strlen(jf_string(e)) + 1;
    }
    ASSERT_EQ_INT(members, 60);
    ASSERT_TRUE(total <= b.len + 1);
    ASSERT_STREQ(jf_key(jf_child(jf_root(d))), "\xC3\xA9k0\xF0\x9F\x98\x80");
    /* Reused for a smaller document: its strings, not the last one's. */
    ASSERT_EQ_INT(jf_parse(d, S("{\"x\":\"\\u0041b\"}"), 0, TP_MAX_JSON_DEPTH), 0);
    ASSERT_STREQ(jf_str(jf_root(d), "x"), "Ab");
    buf_free(&b);
    jf_doc_free(d);
}

/* The getters and the printer say what jsonin.h's say on the same text,
 * for a value read by the extractor and for the tree itself. */
static void test_getters_match_jsonin(void)
{
    struct jf_doc *doc = jf_doc_new();
    static const char text[] =
        "{\"n\":62,\"s\":\"62\",\"f\":\"2.5e1\",\"bad\":\"6x\",\"t\":\"true\",\"b\":false,"
        "\"z\":null,\"o\":{\"k\":[1,2.0,\"<&>\\u2028\"]},\"e\":\"\",\"big\":1e400,"
        "\"neg\":-0,\"x\":\"tRue\"}";
    static const char *const keys[] = {"n", "s", "f",   "bad", "t", "b",      "z",
                                       "o", "e", "big", "neg", "x", "missing"};
    char err[TP_ERR_MAX];
    for (int numfmt = 0; numfmt <= 1; numfmt++) {
        cJSON *tree = jin_parse(S(text), numfmt ? JIN_STRICT | JIN_NUMFMT : JIN_STRICT,
                                TP_MAX_JSON_DEPTH, err);
        ASSERT_TRUE(tree != NULL);
        struct jf_val vals[2] = {parse_ok(doc, S(text), numfmt ? JF_NUMFMT : 0), jf_tree(tree)};
        ASSERT_TRUE(jf_present(vals[0]));
        for (int w = 0; w < 2; w++) {
            struct jf_val v = vals[w];
            FOR_EACH_ROW(i, sizeof keys / sizeof keys[0])
            {
                TEST_ROW("%s %s", w ? "tree" : "extractor", keys[i]);
                double a = -1, b = -1;
                int ia = -1, ib = -1;
                ASSERT_EQ_INT(jf_num(v, keys[i], &a), jin_num(tree, keys[i], &b));
                ASSERT_TRUE(memcmp(&a, &b, sizeof a) == 0);
                ASSERT_EQ_INT(jf_num_lax(v, keys[i], &a), jin_num_lax(tree, keys[i], &b));
                ASSERT_TRUE(memcmp(&a, &b, sizeof a) == 0);
                ASSERT_EQ_INT(jf_bool(v, keys[i], &ia), jin_bool(tree, keys[i], &ib));
                ASSERT_EQ_INT(ia, ib);
                ASSERT_EQ_INT(jf_bool_lax(v, keys[i], &ia), jin_bool_lax(tree, keys[i], &ib));
                ASSERT_EQ_INT(ia, ib);
                const char *sa = jf_str(v, keys[i]), *sb = jin_str(tree, keys[i]);
                ASSERT_TRUE((!sa && !sb) || (sa && sb && strcmp(sa, sb) == 0));
            }
            char *pa = jf_print(v, 1000), *pb = jin_print(tree, 1000);
            ASSERT_STREQ(pa, pb);
            free(pa);
            free(pb);
            /* Over max_len: NULL from both. */
            ASSERT_TRUE(jf_print(v, 20) == NULL && jin_print(tree, 20) == NULL);
        }
        cJSON_Delete(tree);
    }
    char *absent = jf_print(jf_tree(NULL), 10);
    ASSERT_STREQ(absent, "null");
    free(absent);
    jf_doc_free(doc);
}

TEST_MAIN(TEST_CASE(test_strings), TEST_CASE(test_numbers), TEST_CASE(test_number_rounding),
          TEST_CASE(test_objects), TEST_CASE(test_fallbacks), TEST_CASE(test_depth),
          TEST_CASE(test_token_limit), TEST_CASE(test_arena), TEST_CASE(test_getters_match_jsonin))
