/*
 * test_jscan.c - top-level members without a parse, checked against cJSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/jscan.h"
#include "fixture.h"
#include "harness.h"

static void test_finds_top_level_only(void)
{
    const char *s = "{\"a\":{\"type\":\"inner\",\"x\":[1,{\"type\":2}]},\"s\":\"q\\\"uote}\","
                    "\"type\":\"assistant\",\"n\":-1.5e3,\"t\":true,\"z\":null}";
    static const char *const keys[] = {"type", "n", "t", "z", "missing", "s"};
    struct jscan_val v[6];
    ASSERT_EQ_INT(jscan_top(s, strlen(s), keys, 6, v), 0);
    ASSERT_EQ_INT(v[0].type, JSCAN_STRING);
    ASSERT_TRUE(v[0].n == 9 && memcmp(v[0].p, "assistant", 9) == 0);
    ASSERT_EQ_INT(v[1].type, JSCAN_OTHER);
    ASSERT_TRUE(v[1].n == 6 && memcmp(v[1].p, "-1.5e3", 6) == 0);
    ASSERT_TRUE(v[2].n == 4 && memcmp(v[2].p, "true", 4) == 0);
    ASSERT_TRUE(v[3].n == 4 && memcmp(v[3].p, "null", 4) == 0);
    ASSERT_EQ_INT(v[4].type, JSCAN_NONE);
    ASSERT_EQ_INT(v[5].escaped, 1);
    char out[64];
    ASSERT_EQ_INT(jscan_unescape(&v[5], out, sizeof out), 0);
    ASSERT_STREQ(out, "q\"uote}");
    /* Stops as soon as every key is found: the rest may be anything. */
    const char *early = "{\"type\":\"user\",\"rest\":[[[[ this is not JSON";
    static const char *const one[] = {"type"};
    ASSERT_EQ_INT(jscan_top(early, strlen(early), one, 1, v), 1);
    ASSERT_TRUE(v[0].n == 4 && memcmp(v[0].p, "user", 4) == 0);
}

static void test_bad_input(void)
{
    static const char *const bad[] = {"",
                                      "[]",
                                      "\"x\"",
                                      "{",
                                      "{\"a\"",
                                      "{\"a\":",
                                      "{\"a\":\"unterminated",
                                      "{\"a\":1,",
                                      "{a:1}",
                                      "{\"a\":1 \"b\":2}",
                                      "{\"a\":{\"b\":[}"};
    static const char *const keys[] = {"zz"};
    struct jscan_val v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (jscan_top(bad[i], strlen(bad[i]), keys, 1, &v) != -1) {
            printf("  case %zu (%s) was accepted\n", i, bad[i]);
            ASSERT_TRUE(0);
        }
    }
    ASSERT_EQ_INT(jscan_top("{}", 2, keys, 1, &v), 0);
    ASSERT_EQ_INT(v.type, JSCAN_NONE);
}

static void test_unescape_matches_cjson(void)
{
    static const char *const values[] = {
        "plain",          "C:\\\\Users\\\\me",      "tab\\there\\nnew",   "\\u00e9t\\u00e9",
        "\\ud83d\\ude00", "lone \\ud800 surrogate", "nul \\u0000 inside", "slash \\/ ok"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char doc[256], out[256];
        snprintf(doc, sizeof doc, "{\"k\":\"%s\"}", values[i]);
        static const char *const keys[] = {"k"};
        struct jscan_val v;
        ASSERT_TRUE(jscan_top(doc, strlen(doc), keys, 1, &v) >= 0);
        ASSERT_EQ_INT(jscan_unescape(&v, out, sizeof out), 0);
        /* cJSON refuses lone surrogates and cuts at \u0000; we write U+FFFD. */
        if (strstr(values[i], "\\ud800") || strstr(values[i], "\\u0000"))
            continue;
        cJSON *j = cJSON_Parse(doc);
        ASSERT_TRUE(j != NULL);
        ASSERT_STREQ(out, cJSON_GetObjectItem(j, "k")->valuestring);
        cJSON_Delete(j);
    }
    struct jscan_val v = {JSCAN_STRING, "bad \\x escape", 13, 1};
    char out[8];
    ASSERT_EQ_INT(jscan_unescape(&v, out, sizeof out), -1);
    struct jscan_val w = {JSCAN_STRING, "lone \\ud800", 11, 1};
    char o2[32];
    ASSERT_EQ_INT(jscan_unescape(&w, o2, sizeof o2), 0);
    ASSERT_STREQ(o2, "lone \xEF\xBF\xBD");
    struct jscan_val big = {JSCAN_STRING, "0123456789", 10, 0};
    ASSERT_EQ_INT(jscan_unescape(&big, out, sizeof out), -1); /* does not fit */
}

TEST_MAIN(TEST_CASE(test_finds_top_level_only), TEST_CASE(test_bad_input),
          TEST_CASE(test_unescape_matches_cjson))
