/*
 * test_jsonin.c - the strict front door to cJSON: invalid UTF-8 with its
 * byte offset, NUL bytes, escaped \u0000, nesting past the limit, trailing
 * garbage and truncated input are all refused with a message saying what
 * and where; repair mode keeps going; the typed getters check types; the
 * lax getters and jin_parse_number accept only clean numbers.
 */
#include <math.h>
#include <stdio.h>

#include "fixture.h"
#include "core/err.h"
#include "core/jsonin.h"
#include "core/limits.h"

#define S(lit) lit, sizeof(lit) - 1

struct reject_case {
    const char *name;
    const char *in;
    size_t n;
    int mode;
    const char *msg; /* expected substring of the error */
};

static const struct reject_case rejects[] = {
    {"invalid UTF-8 (FF)", S("{\"a\":\"\xFF\"}"), JIN_STRICT, "invalid UTF-8 at byte 6"},
    {"overlong in key", S("{\"\xC0\xAF\":1}"), JIN_STRICT, "invalid UTF-8 at byte 2"},
    {"surrogate bytes", S("[\"ok\",\"\xED\xA0\x80\"]"), JIN_STRICT, "invalid UTF-8 at byte 7"},
    {"truncated sequence at end", S("\"ab\xE2\x82"), JIN_STRICT, "invalid UTF-8 at byte 3"},
    {"NUL byte", S("{\"a\":1}\0"), JIN_STRICT, "NUL byte at byte 7"},
    {"NUL inside string", S("[\"a\0b\"]"), JIN_STRICT, "NUL byte at byte 3"},
    {"escaped NUL", S("{\"a\":\"x\\u0000y\"}"), JIN_STRICT, "\\u0000"},
    {"trailing garbage", S("{} x"), JIN_STRICT, "invalid JSON at byte 3"},
    {"two documents", S("{}{}"), JIN_STRICT, "invalid JSON at byte 2"},
    {"truncated object", S("{\"a\": [1, 2"), JIN_STRICT, "truncated JSON"},
    {"truncated string", S("{\"a\": \"abc"), JIN_STRICT, "truncated JSON"},
    {"empty", S(""), JIN_STRICT, "empty input"},
    {"bare word", S("nope"), JIN_STRICT, "invalid JSON at byte 0"},
    {"NaN token", S("[NaN]"), JIN_STRICT, "invalid JSON"},
    {"trailing garbage in repair", S("[1] ]"), JIN_REPAIR, "invalid JSON"},
};

static void test_rejects_with_position(void)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        const struct reject_case *c = &rejects[i];
        char err[TP_ERR_MAX] = "";
        cJSON *j = jin_parse(c->in, c->n, c->mode, TP_MAX_JSON_DEPTH, err);
        if (j || !strstr(err, c->msg)) {
            fprintf(stderr, "  case \"%s\": %s, message \"%s\", expected \"%s\"\n", c->name,
                    j ? "accepted" : "rejected", err, c->msg);
            bad++;
        }
        cJSON_Delete(j);
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_depth_limit(void)
{
    char doc[300], err[TP_ERR_MAX];
    /* 64 levels pass with max 64; 65 do not. */
    for (int depth = 63; depth <= 66; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            doc[n++] = '[';
        for (int i = 0; i < depth; i++)
            doc[n++] = ']';
        cJSON *j = jin_parse(doc, n, JIN_STRICT, 64, err);
        if (depth <= 64) {
            ASSERT_TRUE(j != NULL);
            cJSON_Delete(j);
        } else {
            ASSERT_TRUE(j == NULL);
            ASSERT_CONTAINS(err, "deeper than 64");
            ASSERT_CONTAINS(err, "at byte 64");
        }
    }
    /* Brackets inside strings do not count. */
    const char *s = "{\"k\":\"[[[[[[[[[[{{{{{{{{\"}";
    cJSON *j = jin_parse(s, strlen(s), JIN_STRICT, 2, err);
    ASSERT_TRUE(j != NULL);
    cJSON_Delete(j);
    /* An escaped quote does not end the string early. */
    s = "[\"\\\"[[[[\"]";
    j = jin_parse(s, strlen(s), JIN_STRICT, 1, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(cJSON_GetArrayItem(j, 0)->valuestring, "\"[[[[");
    cJSON_Delete(j);
    /* Objects count like arrays. */
    s = "{\"a\":{\"b\":{}}}";
    j = jin_parse(s, strlen(s), JIN_STRICT, 2, err);
    ASSERT_TRUE(j == NULL);
    ASSERT_CONTAINS(err, "deeper than 2");
}

static void test_accepts(void)
{
    char err[TP_ERR_MAX];
    /* Trailing whitespace is fine; input need not be NUL-terminated. */
    const char buf[] = "{\"a\":\"caf\xC3\xA9\",\"b\":[1,2.5,true,null]}  \nXXXX";
    cJSON *j = jin_parse(buf, sizeof buf - 1 - 4, JIN_STRICT, 8, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(jin_str(j, "a"), "caf\xC3\xA9");
    ASSERT_EQ_INT(cJSON_GetArraySize(jin_get(j, "b")), 4);
    cJSON_Delete(j);
    /* An escaped backslash followed by "u0000" is not an escaped NUL. */
    const char *s = "[\"\\\\u0000\"]";
    j = jin_parse(s, strlen(s), JIN_STRICT, 8, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(cJSON_GetArrayItem(j, 0)->valuestring, "\\u0000");
    cJSON_Delete(j);
    /* Escapes that are not NUL. */
    s = "[\"\\u00e9\\u2028\\n\"]";
    j = jin_parse(s, strlen(s), JIN_STRICT, 8, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(cJSON_GetArrayItem(j, 0)->valuestring, "\xC3\xA9\xE2\x80\xA8\n");
    cJSON_Delete(j);
}

static void test_repair_mode(void)
{
    char err[TP_ERR_MAX];
    const char in[] = "{\"a\":\"x\xFFy\",\"b\":\"\xC0\x80\"}";
    cJSON *j = jin_parse(in, sizeof in - 1, JIN_REPAIR, 8, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(jin_str(j, "a"), "x\xEF\xBF\xBDy");
    ASSERT_STREQ(jin_str(j, "b"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    cJSON_Delete(j);
    /* A raw NUL byte is dropped in repair mode. */
    const char in2[] = "[\"a\0b\"]";
    j = jin_parse(in2, sizeof in2 - 1, JIN_REPAIR, 8, err);
    ASSERT_TRUE(j != NULL);
    ASSERT_STREQ(cJSON_GetArrayItem(j, 0)->valuestring, "ab");
    cJSON_Delete(j);
    /* Depth is still enforced in repair mode. */
    j = jin_parse("[[[]]]", 6, JIN_REPAIR, 2, err);
    ASSERT_TRUE(j == NULL);
    ASSERT_CONTAINS(err, "deeper than 2");
}

static void test_typed_getters(void)
{
    char err[TP_ERR_MAX];
    const char *s = "{\"n\":2.5,\"s\":\"62\",\"b\":true,\"f\":false,\"z\":null,\"o\":{},"
                    "\"bs\":\"true\",\"bf\":\"false\",\"bx\":\"yes\",\"sx\":\"6 2\","
                    "\"sp\":\" 5\",\"sn\":\"nan\",\"Bt\":\"True\"}";
    cJSON *j = jin_parse(s, strlen(s), JIN_STRICT, 8, err);
    ASSERT_TRUE(j != NULL);
    double d = -1;
    int b = -1;
    ASSERT_EQ_INT(jin_num(j, "n", &d), 1);
    ASSERT_EQ_DBL(d, 2.5, 0);
    ASSERT_EQ_INT(jin_num(j, "s", &d), -1);
    ASSERT_EQ_INT(jin_num(j, "z", &d), 0);
    ASSERT_EQ_INT(jin_num(j, "missing", &d), 0);
    ASSERT_EQ_INT(jin_num(j, "o", &d), -1);
    ASSERT_EQ_INT(jin_bool(j, "b", &b), 1);
    ASSERT_EQ_INT(b, 1);
    ASSERT_EQ_INT(jin_bool(j, "f", &b), 1);
    ASSERT_EQ_INT(b, 0);
    ASSERT_EQ_INT(jin_bool(j, "n", &b), -1);
    ASSERT_EQ_INT(jin_bool(j, "bs", &b), -1);
    ASSERT_EQ_INT(jin_bool(j, "z", &b), 0);
    ASSERT_STREQ(jin_str(j, "s"), "62");
    ASSERT_TRUE(jin_str(j, "n") == NULL);
    ASSERT_TRUE(jin_str(j, "missing") == NULL);
    ASSERT_TRUE(jin_get(jin_get(j, "n"), "x") == NULL); /* not an object */
    ASSERT_TRUE(jin_get(j, "N") == NULL);               /* case-sensitive */

    /* Lax: numbers and booleans also as strings, but only clean ones. */
    d = -1;
    ASSERT_EQ_INT(jin_num_lax(j, "s", &d), 1);
    ASSERT_EQ_DBL(d, 62, 0);
    ASSERT_EQ_INT(jin_num_lax(j, "n", &d), 1);
    ASSERT_EQ_DBL(d, 2.5, 0);
    ASSERT_EQ_INT(jin_num_lax(j, "sx", &d), -1);
    ASSERT_EQ_INT(jin_num_lax(j, "sp", &d), -1);
    ASSERT_EQ_INT(jin_num_lax(j, "sn", &d), -1);
    ASSERT_EQ_INT(jin_num_lax(j, "b", &d), -1);
    ASSERT_EQ_INT(jin_num_lax(j, "z", &d), 0);
    ASSERT_EQ_INT(jin_num_lax(j, "missing", &d), 0);
    ASSERT_EQ_INT(jin_bool_lax(j, "bs", &b), 1);
    ASSERT_EQ_INT(b, 1);
    ASSERT_EQ_INT(jin_bool_lax(j, "bf", &b), 1);
    ASSERT_EQ_INT(b, 0);
    ASSERT_EQ_INT(jin_bool_lax(j, "bx", &b), -1);
    ASSERT_EQ_INT(jin_bool_lax(j, "Bt", &b), -1);
    ASSERT_EQ_INT(jin_bool_lax(j, "b", &b), 1);
    ASSERT_EQ_INT(jin_bool_lax(j, "n", &b), -1);
    ASSERT_EQ_INT(jin_bool_lax(j, "z", &b), 0);
    cJSON_Delete(j);
}

static void test_parse_number_table(void)
{
    static const struct {
        const char *s;
        int ok;
        double v;
    } cases[] = {
        {"62", 1, 62},   {"-1.5", 1, -1.5}, {"1e3", 1, 1000}, {"2.5E-1", 1, 0.25}, {"0", 1, 0},
        {"nan", 0, 0},   {"NaN", 0, 0},     {"inf", 0, 0},    {"-Infinity", 0, 0}, {"0x10", 0, 0},
        {" 5", 0, 0},    {"5 ", 0, 0},      {"", 0, 0},       {"1e999", 0, 0},     {"-1e999", 0, 0},
        {"1.2.3", 0, 0}, {"-", 0, 0},       {".", 0, 0},      {"e5", 0, 0},        {"12abc", 0, 0},
        {"1_000", 0, 0},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        double d = -12345;
        int ok = jin_parse_number(cases[i].s, &d);
        if (ok != cases[i].ok)
            fprintf(stderr, "  case \"%s\"\n", cases[i].s);
        ASSERT_EQ_INT(ok, cases[i].ok);
        if (ok)
            ASSERT_EQ_DBL(d, cases[i].v, 0);
        else
            ASSERT_EQ_DBL(d, -12345, 0); /* untouched on failure */
    }
    double d;
    ASSERT_EQ_INT(jin_parse_number(NULL, &d), 0);
}

static void test_print(void)
{
    char err[TP_ERR_MAX];
    const char *s = "{\"a\":\"<b>&\",\"n\":1.5,\"i\":3,\"neg\":-7,\"big\":1e20,"
                    "\"arr\":[true,false,null,\"\xE2\x80\xA8\"],\"o\":{}}";
    cJSON *j = jin_parse(s, strlen(s), JIN_STRICT, 8, err);
    ASSERT_TRUE(j != NULL);
    char *out = jin_print(j, 1000);
    ASSERT_STREQ(out, "{\"a\":\"\\u003cb\\u003e\\u0026\",\"n\":1.5,\"i\":3,\"neg\":-7,"
                      "\"big\":1e+20,\"arr\":[true,false,null,\"\\u2028\"],\"o\":{}}");
    size_t len = strlen(out);
    free(out);
    /* max_len is inclusive: exactly len fits, len - 1 does not. */
    out = jin_print(j, len);
    ASSERT_TRUE(out != NULL);
    free(out);
    ASSERT_TRUE(jin_print(j, len - 1) == NULL);
    cJSON_Delete(j);
}

/* Element spans in the raw text: each must be exactly the text cJSON
 * parses as that element, whatever strings with brackets, quotes and
 * escapes it holds. */
static void test_array_spans(void)
{
    const char *doc = "\xEF\xBB\xBF {\"x\": {\"operations\": 1}, \"s\": \"\\\"operations\\\"\",\n"
                      " \"operations\" : [ {\"a\": \"]}\\\\\"}, [1, [2]] ,\"q\\\"]\"\n,-1.5e3,"
                      "true , null,{\"b\":{\"c\":[{}]}}\n] , \"tail\": []}";
    size_t len = strlen(doc);
    char err[TP_ERR_MAX];
    cJSON *root = jin_parse(doc, len, JIN_STRICT, 16, err);
    ASSERT_TRUE(root != NULL);
    long at = jin_member_at(doc, len, 0, "operations");
    ASSERT_TRUE(at > 0);
    ASSERT_EQ_INT(doc[at], '[');
    struct jin_iter it;
    ASSERT_EQ_INT(jin_array_begin(&it, doc, len, (size_t)at), 0);
    const cJSON *el = jin_get(root, "operations")->child;
    size_t a, e, n = 0;
    int r;
    while ((r = jin_array_next(&it, &a, &e)) == 1) {
        ASSERT_TRUE(el != NULL);
        cJSON *one = jin_parse(doc + a, e - a, JIN_STRICT, 16, err);
        ASSERT_TRUE(one != NULL);
        ASSERT_TRUE(cJSON_Compare(one, el, 1));
        cJSON_Delete(one);
        el = el->next;
        n++;
    }
    ASSERT_EQ_INT(r, 0);
    ASSERT_EQ_INT(n, 7);
    ASSERT_TRUE(el == NULL);
    ASSERT_EQ_INT(doc[it.pos - 1], ']');
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), 0);
    cJSON_Delete(root);

    /* Not found, not an object, not an array, cut short. */
    ASSERT_EQ_INT(jin_member_at("{\"a\": 1}", 8, 0, "operations"), -1);
    ASSERT_EQ_INT(jin_member_at("[1]", 3, 0, "operations"), -1);
    ASSERT_EQ_INT(jin_member_at("{}", 2, 0, "operations"), -1);
    ASSERT_EQ_INT(jin_array_begin(&it, "{}", 2, 0), -1);
    const char *cut = "[{\"a\": \"b\"}, {\"c\": \"d";
    ASSERT_EQ_INT(jin_array_begin(&it, cut, strlen(cut), 0), 0);
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), 1);
    ASSERT_EQ_INT(e, 11);
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), -1);
    ASSERT_EQ_INT(jin_array_begin(&it, "[1 2]", 5, 0), 0);
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), 1);
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), -1);
    ASSERT_EQ_INT(jin_array_begin(&it, "[ ]", 3, 0), 0);
    ASSERT_EQ_INT(jin_array_next(&it, &a, &e), 0);
}

TEST_MAIN(TEST_CASE(test_rejects_with_position), TEST_CASE(test_depth_limit),
          TEST_CASE(test_accepts), TEST_CASE(test_repair_mode), TEST_CASE(test_typed_getters),
          TEST_CASE(test_parse_number_table), TEST_CASE(test_print), TEST_CASE(test_array_spans))
