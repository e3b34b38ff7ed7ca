/*
 * test_toolcall.c - toolcall_describe() and friends, one table row per case.
 *
 * Each row is a tool name, its input and (optionally) its structured
 * response as JSON text, and what the op must carry afterwards. Metadata
 * is checked by substring so that a row states only what it is about.
 */
#include <math.h>
#include <stdint.h>

#include "fixture.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "ingest/toolcall.h"

struct tc_case {
    const char *tool;
    const char *input;
    const char *response; /* NULL: none */
    const char *target;   /* NULL: expect no target */
    int optimized;
    long long size_bytes;
    const char *meta_has; /* NULL: expect no metadata; "": do not check */
};

static const struct tc_case describe_cases[] = {
    /* Read: optimisation by offset/limit, size from the response content. */
    {"Read", "{\"file_path\":\"/a/b.c\"}", NULL, "/a/b.c", 0, -1, NULL},
    {"Read", "{\"file_path\":\"/a/b.c\",\"offset\":10,\"limit\":20}",
     "{\"type\":\"text\",\"file\":{\"filePath\":\"/a/b.c\",\"content\":\"hello\\n\",\"numLines\":1,"
     "\"startLine\":10,\"totalLines\":300}}",
     "/a/b.c", 1, 6, "\"total_lines\":300"},
    {"Read", "{\"file_path\":\"/a/b.c\",\"limit\":null}", NULL, "/a/b.c", 0, -1, NULL},
    {"Read", "{\"file_path\":\"/a/p.png\"}",
     "{\"type\":\"image\",\"file\":{\"base64\":\"xx\",\"type\":\"image/"
     "png\",\"originalSize\":4096}}",
     "/a/p.png", 0, 4096, "\"file_type\":\"image\""},
    /* Write / Edit / MultiEdit: bytes written. */
    {"Write", "{\"file_path\":\"/w\",\"content\":\"abcd\"}", "{\"type\":\"create\"}", "/w", 0, 4,
     "\"type\":\"create\""},
    {"Edit",
     "{\"file_path\":\"/e\",\"old_string\":\"x\",\"new_string\":\"yyy\",\"replace_all\":true}",
     NULL, "/e", 0, 3, "\"replace_all\":true"},
    {"MultiEdit",
     "{\"file_path\":\"/m\",\"edits\":[{\"old_string\":\"a\",\"new_string\":\"bb\"},"
     "{\"old_string\":\"c\",\"new_string\":\"ddd\"}]}",
     NULL, "/m", 0, 5, "\"edits\":2"},
    {"NotebookEdit", "{\"notebook_path\":\"/n.ipynb\",\"new_source\":\"x=1\"}", NULL, "/n.ipynb", 0,
     3, NULL},
    /* Bash: background is the optimisation. */
    {"Bash", "{\"command\":\"npm test\",\"description\":\"Run tests\"}",
     "{\"stdout\":\"ok\",\"stderr\":\"\",\"interrupted\":false}", "npm test", 0, -1,
     "\"description\":\"Run tests\""},
    {"Bash", "{\"command\":\"sleep 9\",\"run_in_background\":true}",
     "{\"stdout\":\"\",\"backgroundTaskId\":\"b1\"}", "sleep 9", 1, -1,
     "\"background_task_id\":\"b1\""},
    {"PowerShell", "{\"command\":\"dir\"}", NULL, "dir", 0, -1, NULL},
    /* Grep: head_limit. */
    {"Grep", "{\"pattern\":\"foo\",\"path\":\"src\"}",
     "{\"mode\":\"files_with_matches\",\"numFiles\":3,\"filenames\":[\"a\",\"b\",\"c\"]}", "foo", 0,
     -1, "\"num_files\":3"},
    {"Grep", "{\"pattern\":\"foo\",\"head_limit\":20}", NULL, "foo", 1, -1, "\"head_limit\":20"},
    {"Glob", "{\"pattern\":\"**/*.c\",\"path\":\"/src\"}",
     "{\"filenames\":[],\"durationMs\":4,\"numFiles\":0,\"truncated\":false}", "**/*.c", 0, -1,
     "\"path\":\"/src\""},
    {"WebFetch", "{\"url\":\"https://x.org\",\"prompt\":\"p\"}", "{\"code\":200,\"bytes\":512}",
     "https://x.org", 0, -1, "\"status\":200"},
    {"WebSearch", "{\"query\":\"c11 atomics\"}", NULL, "c11 atomics", 0, -1, NULL},
    {"Task", "{\"description\":\"Explore\",\"prompt\":\"long\",\"subagent_type\":\"Explore\"}",
     "{\"status\":\"completed\",\"totalDurationMs\":45626,\"totalTokens\":100}", "Explore", 0, -1,
     "\"subagent_type\":\"Explore\""},
    {"Agent", "{\"prompt\":\"only a prompt\",\"run_in_background\":true}", NULL, "only a prompt", 1,
     -1, ""},
    {"Skill", "{\"skill\":\"pdf\"}", NULL, "pdf", 0, -1, NULL},
    {"Skill", "{\"command\":\"commit\"}", NULL, "commit", 0, -1, NULL},
    /* Unknown tools: the first familiar key, else the input as JSON. */
    {"mcp__github__get_issue", "{\"owner\":\"o\",\"url\":\"u1\",\"path\":\"p1\"}", NULL, "p1", 0,
     -1, "\"mcp_server\":\"github\""},
    {"TaskUpdate", "{\"taskId\":\"3\",\"status\":\"done\"}", NULL,
     "{\"taskId\":\"3\",\"status\":\"done\"}", 0, -1, NULL},
    {"TaskCreate", "{\"subject\":\"s\",\"description\":\"write tests\"}", NULL, "write tests", 0,
     -1, NULL},
    {"Weird", "{}", NULL, NULL, 0, -1, NULL},
    /* Wrong types never crash and leave values unknown. */
    {"Read", "{\"file_path\":42,\"offset\":\"10\"}", "{\"file\":\"nope\"}", NULL, 1, -1, ""},
    {"Read", "[1,2]", "[]", NULL, 0, -1, NULL},
    {"Bash", "\"ls\"", "\"out\"", NULL, 0, -1, NULL},
    {"Grep", "null", NULL, NULL, 0, -1, NULL},
};

static void test_describe_table(void)
{
    char err[TP_ERR_MAX];
    FOR_EACH_ROW(i, sizeof describe_cases / sizeof describe_cases[0])
    {
        const struct tc_case *c = &describe_cases[i];
        cJSON *in = jin_parse(c->input, strlen(c->input), JIN_STRICT, 64, err);
        cJSON *resp =
            c->response ? jin_parse(c->response, strlen(c->response), JIN_STRICT, 64, err) : NULL;
        struct op op;
        op_init(&op);
        op_sets(&op.tool, c->tool);
        /* Stale values must be replaced. */
        op_sets(&op.target, "stale");
        op_sets(&op.meta, "{\"stale\":1}");
        op.optimized = 1;
        op.size_bytes = 99;
        ASSERT_TRUE(in != NULL);
        toolcall_describe(&op, in, resp);
        if (c->target)
            ASSERT_STREQ(op.target, c->target);
        else
            ASSERT_MSG(!op.target, "row %zu: expected no target, got \"%s\"", i, op.target);
        ASSERT_MSG(op.optimized == c->optimized, "row %zu (%s): optimized %d, expected %d", i,
                   c->tool, op.optimized, c->optimized);
        ASSERT_MSG(op.size_bytes == c->size_bytes, "row %zu (%s): size_bytes %lld, expected %lld",
                   i, c->tool, (long long)op.size_bytes, c->size_bytes);
        ASSERT_MSG(c->meta_has || !op.meta, "row %zu (%s): expected no meta, got %s", i, c->tool,
                   op.meta);
        if (c->meta_has && *c->meta_has)
            ASSERT_CONTAINS(op.meta, c->meta_has);
        /* Whatever came in, the op must pass the store's gate. */
        op.ts_ms = 1700000000000LL;
        ASSERT_MSG(op_normalize(&op, 1700000000000LL, err) == 0, "row %zu (%s): op_normalize: %s",
                   i, c->tool, err);
        op_clear(&op);
        cJSON_Delete(in);
        cJSON_Delete(resp);
    }
}

static void test_long_fallback_target_is_cut(void)
{
    /* A TodoWrite-like input far over the target limit. */
    cJSON *in = cJSON_CreateObject();
    cJSON *todos = cJSON_AddArrayToObject(in, "todos");
    for (int i = 0; i < 2000; i++)
        cJSON_AddItemToArray(todos, cJSON_CreateString("a fairly long todo item text"));
    struct op op;
    char err[TP_ERR_MAX];
    op_init(&op);
    op_sets(&op.tool, "TodoWrite");
    toolcall_describe(&op, in, NULL);
    ASSERT_TRUE(op.target != NULL);
    op.ts_ms = 1700000000000LL;
    ASSERT_EQ_INT(op_normalize(&op, 1700000000000LL, err), 0);
    ASSERT_TRUE(strlen(op.target) <= TP_MAX_TARGET + 4);
    op_clear(&op);
    cJSON_Delete(in);
}

static void test_meta_strings_are_capped(void)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "command", "ls");
    cJSON_AddStringToObject(in, "description", big);
    struct op op;
    op_init(&op);
    op_sets(&op.tool, "Bash");
    toolcall_describe(&op, in, NULL);
    ASSERT_TRUE(op.meta != NULL);
    ASSERT_TRUE(strlen(op.meta) < 600);
    op_clear(&op);
    cJSON_Delete(in);
}

struct dur_case {
    const char *tool;
    const char *response;
    double want; /* NAN: none */
};

static const struct dur_case dur_cases[] = {
    {"Glob", "{\"durationMs\":4}", 4},
    {"WebFetch", "{\"durationMs\":3415}", 3415},
    {"WebSearch", "{\"durationSeconds\":1.5}", 1500},
    {"Task", "{\"totalDurationMs\":45626}", 45626},
    {"Agent", "{\"totalDurationMs\":7}", 7},
    {"Read", "{\"durationMs\":4}", NAN},
    {"Glob", "{\"durationMs\":\"4\"}", NAN},
    {"Glob", "{\"durationMs\":-1}", NAN},
    {"Glob", "[]", NAN},
};

static void test_self_duration(void)
{
    char err[TP_ERR_MAX];
    FOR_EACH_ROW(i, sizeof dur_cases / sizeof dur_cases[0])
    {
        cJSON *r =
            jin_parse(dur_cases[i].response, strlen(dur_cases[i].response), JIN_STRICT, 8, err);
        double d = toolcall_self_duration_ms(dur_cases[i].tool, r);
        ASSERT_MSG(isnan(dur_cases[i].want) ? isnan(d) : d == dur_cases[i].want,
                   "row %zu: got %g, expected %g", i, d, dur_cases[i].want);
        cJSON_Delete(r);
    }
    ASSERT_TRUE(isnan(toolcall_self_duration_ms("Glob", NULL)));
}

struct rb_case {
    const char *tool;
    const char *response;
    long long want;
};

static const struct rb_case rb_cases[] = {
    {"Read", "{\"file\":{\"content\":\"12345\"}}", 5},
    {"Bash", "{\"stdout\":\"abc\",\"stderr\":\"de\"}", 5},
    {"Bash", "{\"interrupted\":true}", -1},
    {"Grep", "{\"filenames\":[\"ab\",\"c\"]}", 5},
    {"Grep", "{\"content\":\"x:1\"}", 3},
    {"WebFetch", "{\"result\":\"page\"}", 4},
    {"Task", "{\"content\":[{\"type\":\"text\",\"text\":\"done\"}]}", 4},
    {"mcp__a__b", "[{\"type\":\"text\",\"text\":\"hi\"}]", 2},
    {"TaskOutput", "\"plain\"", 5},
    {"Edit", "{\"filePath\":\"/x\"}", -1},
    {"Read", "null", -1},
};

static void test_result_bytes(void)
{
    char err[TP_ERR_MAX];
    FOR_EACH_ROW(i, sizeof rb_cases / sizeof rb_cases[0])
    {
        cJSON *r =
            jin_parse(rb_cases[i].response, strlen(rb_cases[i].response), JIN_STRICT, 8, err);
        long long got = toolcall_result_bytes(rb_cases[i].tool, r);
        ASSERT_MSG(got == rb_cases[i].want, "row %zu (%s): got %lld, expected %lld", i,
                   rb_cases[i].tool, got, rb_cases[i].want);
        cJSON_Delete(r);
    }
    ASSERT_EQ_INT(toolcall_result_bytes("Read", NULL), -1);
}

TEST_MAIN(TEST_CASE(test_describe_table), TEST_CASE(test_long_fallback_target_is_cut),
          TEST_CASE(test_meta_strings_are_capped), TEST_CASE(test_self_duration),
          TEST_CASE(test_result_bytes))
