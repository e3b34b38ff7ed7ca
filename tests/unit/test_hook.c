/*
 * test_hook.c - the hook: payload mapping over recorded and older payloads,
 * the command's behaviour (spool, error log, oversized input, drain) and
 * log imports.
 *
 * The payloads are tests/data/recorded/hooks.jsonl (every PreToolUse,
 * PermissionRequest, PostToolUse and PostToolUseFailure payload Claude
 * Code 2.1.332 sent in the recorded session) and the hand-made logs of
 * tests/data/legacy/hooks/ (PostToolUse payloads from before duration_ms,
 * as a JSON array, and failure payloads wrapped under "raw_input"). The
 * counts asserted are those tests/data/reference.py prints ("hooks").
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "core/buf.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/hook.h"
#include "store/spool.h"

static const int64_t NOW = 1790000000000LL; /* 2026-09-21 */

static cJSON *parse(const char *text)
{
    char err[TP_ERR_MAX];
    return jin_parse(text, strlen(text), JIN_STRICT, TP_MAX_JSON_DEPTH, err);
}

/* var = tests/data/<rel> parsed (JIN_REPAIR, as the log importer reads);
 * the test fails naming a file that is missing or not JSON. */
#define LOAD_DATA(var, rel)                                                                        \
    do {                                                                                           \
        char err_[TP_ERR_MAX];                                                                     \
        size_t n_;                                                                                 \
        char *text_;                                                                               \
        FIXTURE_READ_DATA(text_, rel, &n_);                                                        \
        (var) = jin_parse(text_, n_, JIN_REPAIR, TP_MAX_JSON_DEPTH, err_);                         \
        free(text_);                                                                               \
        if (!(var))                                                                                \
            FAIL_("%s%s: %s", FIXTURE_DATA_DIR, rel, err_);                                        \
    } while (0)

/* Non-empty lines (spool lines start with a newline of their own). */
static size_t count_lines(const char *path)
{
    size_t n = 0, len;
    char *s = fixture_read(path, &len);
    for (size_t i = 0; s && i < len; i++)
        n += s[i] == '\n' && i > 0 && s[i - 1] != '\n';
    free(s);
    return n;
}

/* ---- recorded payloads --------------------------------------------------- */

struct tool_count {
    const char *tool;
    int n;
};

static int tool_index(const struct tool_count *t, size_t n, const char *tool)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(t[k].tool, tool) == 0)
            return (int)k;
    return -1;
}

/* The ops of the 21 PostToolUse* payloads: 19 PostToolUse, 2 failures. */
static const struct tool_count rec_counts[] = {
    {"Agent", 1}, {"Bash", 5},       {"Edit", 1},     {"Glob", 3},  {"Grep", 3},
    {"Read", 5},  {"ToolSearch", 1}, {"WebFetch", 1}, {"Write", 1},
};

static void test_recorded_payloads(void)
{
    char err[TP_ERR_MAX];
    size_t len;
    char *text;
    int seen[sizeof rec_counts / sizeof rec_counts[0]] = {0};
    int lines = 0, pre = 0, asked = 0, ops = 0, failed = 0, agent = 0, opt = 0;
    double dur_sum = 0;
    long long read_bytes = 0;

    FIXTURE_READ_DATA(text, FIXTURE_REC_HOOKS, &len);
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            FAIL_("line %d has no newline", lines + 1);
        *nl = '\0';
        lines++;
        cJSON *p = parse(line);
        struct op op;
        if (!p)
            FAIL_("line %d is not JSON", lines);
        const char *ev = jin_str(p, "hook_event_name");
        int rc = hook_payload_to_op(p, NOW, &op, err);
        if (strcmp(ev, "PreToolUse") == 0 || strcmp(ev, "PermissionRequest") == 0) {
            /* Not a finished call: nothing to store. */
            if (rc != TP_ENOTFOUND)
                FAIL_("line %d (%s): rc %d", lines, ev, rc);
            pre += ev[1] == 'r';
            asked += ev[1] == 'e';
            cJSON_Delete(p);
            continue;
        }
        if (rc != 0)
            FAIL_("line %d: %s", lines, err);
        if (op_normalize(&op, NOW, err) != 0)
            FAIL_("line %d: op_normalize: %s", lines, err);
        int k = tool_index(rec_counts, sizeof rec_counts / sizeof rec_counts[0], op.tool);
        if (k < 0)
            FAIL_("line %d: unexpected tool %s", lines, op.tool);
        seen[k]++;
        ops++;
        failed += !op.success;
        opt += op.optimized;
        agent += op.meta && strstr(op.meta, "\"agent_type\":\"general-purpose\"") != NULL;
        /* Claude Code's own execution time; the call ended now. */
        if (isnan(op.duration_ms))
            FAIL_("line %d: no duration", lines);
        dur_sum += op.duration_ms;
        ASSERT_EQ_INT(op.ts_ms, NOW - (int64_t)op.duration_ms);
        if (strcmp(op.tool, "Read") == 0 && op.size_bytes > 0)
            read_bytes += op.size_bytes;
        ASSERT_EQ_INT(op.source, OP_SRC_HOOK);
        ASSERT_STREQ(op.session_id, FIXTURE_REC_SESSION_ID);
        ASSERT_STREQ(op.project, "/tmp/toolprof-fixtures/project");
        ASSERT_TRUE(op.tool_use_id && strncmp(op.tool_use_id, "toolu_01", 8) == 0);
        if (strcmp(op.tool_use_id, "toolu_01VRiFALIKuY7rg2ElwuszDe") == 0) {
            ASSERT_STREQ(op.tool, "Glob");
            ASSERT_EQ_DBL(op.duration_ms, 58, 0);
            ASSERT_STREQ(op.target, "**/*.py");
        } else if (strcmp(op.tool_use_id, "toolu_01vdBC5eIH2NBkjkD0WRgsD1") == 0) {
            ASSERT_EQ_INT(op.success, 0);
            ASSERT_STREQ(op.error, "Exit code 2\nls: cannot access "
                                   "'/tmp/toolprof-fixtures/project/build': No such file or "
                                   "directory");
            ASSERT_EQ_DBL(op.duration_ms, 44, 0);
            ASSERT_STREQ(op.target, "ls /tmp/toolprof-fixtures/project/build");
        } else if (strcmp(op.tool_use_id, "toolu_01pXjgcenSAGGMZ872qEyWjI") == 0) {
            ASSERT_EQ_INT(op.success, 0);
            ASSERT_STREQ(op.error, "File does not exist. Note: your current working directory "
                                   "is /tmp/toolprof-fixtures/project.");
        } else if (strcmp(op.tool_use_id, "toolu_01SDv5xCGIPSx3dk37IdX0a4") == 0) {
            ASSERT_EQ_INT(op.optimized, 1);
            ASSERT_CONTAINS(op.meta, "\"offset\":100");
            ASSERT_CONTAINS(op.meta, "\"limit\":20");
            ASSERT_EQ_INT(op.size_bytes, 1124);
        } else if (strcmp(op.tool_use_id, "toolu_01aCrysGFeu4a853Bz7uuR46") == 0) {
            ASSERT_STREQ(op.tool, "Agent");
            ASSERT_EQ_DBL(op.duration_ms, 942, 0);
            ASSERT_STREQ(op.target, "Find the retry settings");
        } else if (strcmp(op.tool_use_id, "toolu_016N7H5aZA0R64aNqD9WFJBl") == 0) {
            /* Approved after a 1.5 s prompt: duration_ms leaves the wait out. */
            ASSERT_EQ_DBL(op.duration_ms, 81, 0);
        }
        op_clear(&op);
        cJSON_Delete(p);
    }
    free(text);
    ASSERT_EQ_INT(lines, 46);
    ASSERT_EQ_INT(pre, 23);
    ASSERT_EQ_INT(asked, 2);
    ASSERT_EQ_INT(ops, 21);
    for (size_t k = 0; k < sizeof rec_counts / sizeof rec_counts[0]; k++)
        if (seen[k] != rec_counts[k].n)
            FAIL_("%s: %d payloads, expected %d", rec_counts[k].tool, seen[k], rec_counts[k].n);
    ASSERT_EQ_INT(failed, 2);
    ASSERT_EQ_INT(agent, 4);
    ASSERT_EQ_INT(opt, 2); /* the Read with offset/limit, the Grep with head_limit */
    ASSERT_EQ_DBL(dur_sum, 2503, 0);
    ASSERT_EQ_INT(read_bytes, 1621);
}

/* ---- payloads before 2.1.119 (hand-made logs) ------------------------------ */

static const struct tool_count old_counts[] = {
    {"Bash", 2},       {"Edit", 1},       {"Glob", 1},  {"Grep", 1},
    {"Read", 2},       {"Skill", 1},      {"Task", 1},  {"TaskCreate", 1},
    {"TaskOutput", 1}, {"TaskUpdate", 1}, {"Write", 1},
};

static void test_old_post_tool_use_log(void)
{
    char err[TP_ERR_MAX];
    cJSON *arr;
    int seen[sizeof old_counts / sizeof old_counts[0]] = {0};
    int total = 0, unknown_duration = 0, failed = 0, opt_read = 0, opt_grep = 0, opt_task = 0,
        opt_other = 0;
    long long read_bytes = 0;
    const cJSON *el;

    LOAD_DATA(arr, FIXTURE_OLD_HOOKS);
    ASSERT_TRUE(cJSON_IsArray(arr));
    ASSERT_EQ_INT(cJSON_GetArraySize(arr), 13);
    cJSON_ArrayForEach(el, arr)
    {
        struct op op;
        int rc = hook_payload_to_op(el, NOW, &op, err);
        if (rc != 0)
            FAIL_("payload %d: %s", total, err);
        if (op_normalize(&op, NOW, err) != 0)
            FAIL_("payload %d: op_normalize: %s", total, err);
        int k = tool_index(old_counts, sizeof old_counts / sizeof old_counts[0], op.tool);
        if (k < 0)
            FAIL_("payload %d: unexpected tool %s", total, op.tool);
        seen[k]++;
        unknown_duration += isnan(op.duration_ms);
        failed += !op.success;
        if (op.optimized) {
            if (strcmp(op.tool, "Read") == 0)
                opt_read++;
            else if (strcmp(op.tool, "Grep") == 0)
                opt_grep++;
            else if (strcmp(op.tool, "Task") == 0)
                opt_task++;
            else
                opt_other++;
        }
        if (strcmp(op.tool, "Read") == 0 && op.size_bytes > 0)
            read_bytes += op.size_bytes;
        ASSERT_EQ_INT(op.ts_ms, NOW); /* no duration: the call ends now */
        ASSERT_EQ_INT(op.source, OP_SRC_HOOK);
        ASSERT_STREQ(op.session_id, "6f7a8b9c-0d1e-4f20-8a31-425364758697");
        ASSERT_STREQ(op.project, "/home/dev/shop");

        if (total == 0) {
            ASSERT_STREQ(op.tool, "Bash");
            ASSERT_STREQ(op.tool_use_id, "toolu_01H0Bash1dddddddddddddd");
            ASSERT_STREQ(op.target, "python3 -m venv .venv");
            ASSERT_CONTAINS(op.meta, "\"description\":\"Create a virtual environment\"");
            ASSERT_EQ_INT(op.result_bytes, 0);
        } else if (total == 2) {
            ASSERT_STREQ(op.tool, "Read");
            ASSERT_STREQ(op.target, "/home/dev/shop/tests/test_app.py");
            ASSERT_EQ_INT(op.optimized, 1);
            ASSERT_CONTAINS(op.meta, "\"offset\":469");
            ASSERT_CONTAINS(op.meta, "\"limit\":12");
        } else if (total == 12) {
            /* Before hook_event_name existed, through a gateway's ids. */
            ASSERT_STREQ(op.tool_use_id, "call_8GmV2xq0Zr4d1TnW5yKj");
            ASSERT_STREQ(op.target, "pytest -q");
        }
        if (strcmp(op.tool, "Skill") == 0)
            ASSERT_STREQ(op.target, "pdf");
        if (strcmp(op.tool, "Task") == 0)
            ASSERT_CONTAINS(op.meta, "\"status\":\"async_launched\"");
        op_clear(&op);
        total++;
    }
    ASSERT_EQ_INT(total, 13);
    for (size_t k = 0; k < sizeof old_counts / sizeof old_counts[0]; k++)
        if (seen[k] != old_counts[k].n)
            FAIL_("%s: %d payloads, expected %d", old_counts[k].tool, seen[k], old_counts[k].n);
    ASSERT_EQ_INT(unknown_duration, 13);
    ASSERT_EQ_INT(failed, 0);
    ASSERT_EQ_INT(opt_read, 1);
    ASSERT_EQ_INT(opt_grep, 1);
    ASSERT_EQ_INT(opt_task, 1); /* an async sub-agent: run_in_background */
    ASSERT_EQ_INT(opt_other, 0);
    ASSERT_EQ_INT(read_bytes, 508);
    cJSON_Delete(arr);
}

static void test_old_failures_wrapped(void)
{
    char err[TP_ERR_MAX];
    cJSON *arr;
    int n = 0;
    const cJSON *el;
    LOAD_DATA(arr, FIXTURE_OLD_HOOK_FAILURES);
    ASSERT_TRUE(cJSON_IsArray(arr));
    cJSON_ArrayForEach(el, arr)
    {
        struct op op;
        const cJSON *raw = jin_get(el, "raw_input");
        ASSERT_TRUE(cJSON_IsObject(raw));
        ASSERT_EQ_INT(hook_payload_to_op(raw, NOW, &op, err), 0);
        ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
        ASSERT_STREQ(op.tool, "Bash");
        ASSERT_EQ_INT(op.success, 0);
        ASSERT_TRUE(isnan(op.duration_ms));
        ASSERT_TRUE(op.error && strncmp(op.error, "Exit code ", 10) == 0);
        ASSERT_TRUE(!op.meta || !strstr(op.meta, "interrupted"));
        if (n == 0) {
            ASSERT_STREQ(op.tool_use_id, "toolu_01H0Fail1dddddddddddddd");
            ASSERT_STREQ(op.error, "Exit code 127\n(eval):1: command not found: python");
            ASSERT_STREQ(op.target, "python -m pytest tests/test_app.py");
        }
        op_clear(&op);
        n++;
    }
    ASSERT_EQ_INT(n, 3);
    cJSON_Delete(arr);
}

/* ---- constructed current-format payloads ---------------------------------- */

struct payload_case {
    const char *json;
    int rc;
    const char *tool;
    double duration; /* NAN: unknown */
    int64_t ts_back; /* NOW - ts_ms */
    int success;
    int optimized;
    const char *error;
    const char *meta_has;
};

#define REJECT(json, code)                                                                         \
    {                                                                                              \
        json, code, NULL, NAN, 0, 0, 0, NULL, NULL                                                 \
    }
#define ENV "\"session_id\":\"s1\",\"cwd\":\"/p\",\"tool_use_id\":\"toolu_X\","

static const struct payload_case payload_cases[] = {
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\","
     "\"tool_input\":{\"file_path\":\"/p/a.c\",\"offset\":1,\"limit\":50},"
     "\"tool_response\":{\"type\":\"text\",\"file\":{\"filePath\":\"/p/a.c\",\"content\":\"x\","
     "\"numLines\":1,\"startLine\":1,\"totalLines\":9}},\"duration_ms\":17}",
     0, "Read", 17, 17, 1, 1, NULL, "\"total_lines\":9"},
    {"{" ENV "\"hook_event_name\":\"PostToolUseFailure\",\"tool_name\":\"Bash\","
     "\"tool_input\":{\"command\":\"exit 3\"},\"error\":\"Exit code 3\",\"is_interrupt\":false,"
     "\"duration_ms\":2316}",
     0, "Bash", 2316, 2316, 0, 0, "Exit code 3", NULL},
    /* Durations as strings, fractional, negative, absurd. */
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Grep\","
     "\"tool_input\":{\"pattern\":\"x\",\"head_limit\":5},\"tool_response\":{},\"duration_ms\":"
     "\"62\"}",
     0, "Grep", 62, 62, 1, 1, NULL, "\"head_limit\":5"},
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Glob\",\"tool_input\":{},"
     "\"tool_response\":{},\"duration_ms\":1.6}",
     0, "Glob", 1.6, 2, 1, 0, NULL, NULL},
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Glob\",\"tool_input\":{},"
     "\"tool_response\":{},\"duration_ms\":-5}",
     0, "Glob", NAN, 0, 1, 0, NULL, NULL},
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Glob\",\"tool_input\":{},"
     "\"tool_response\":{},\"duration_ms\":1e300}",
     0, "Glob", NAN, 0, 1, 0, NULL, NULL},
    /* Interrupted failure without error text; a sub-agent's call. */
    {"{" ENV "\"hook_event_name\":\"PostToolUseFailure\",\"tool_name\":\"Bash\","
     "\"tool_input\":{\"command\":\"sleep 99\"},\"is_interrupt\":true,\"agent_type\":\"Explore\"}",
     0, "Bash", NAN, 0, 0, 0, "interrupted", "\"agent_type\":\"Explore\""},
    /* Before hook_event_name existed. */
    {"{" ENV "\"tool_name\":\"Read\",\"tool_input\":{\"file_path\":\"/x\"},\"tool_response\":{}}",
     0, "Read", NAN, 0, 1, 0, NULL, NULL},
    /* MCP tool with an array response. */
    {"{" ENV "\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"mcp__db__query\","
     "\"tool_input\":{\"query\":\"select "
     "1\"},\"tool_response\":[{\"type\":\"text\",\"text\":\"1\"}]}",
     0, "mcp__db__query", NAN, 0, 1, 0, NULL, "\"mcp_server\":\"db\""},
    /* Not ours, or broken. */
    REJECT("{" ENV "\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\"}", TP_ENOTFOUND),
    REJECT("{\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}", TP_ENOTFOUND),
    REJECT("{\"session_id\":\"s\"}", TP_ENOTFOUND),
    REJECT("{\"hook_event_name\":\"PostToolUse\",\"tool_input\":{}}", TP_EINVAL),
    REJECT("{\"hook_event_name\":\"PostToolUse\",\"tool_name\":7}", TP_EINVAL),
    REJECT("{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"\"}", TP_EINVAL),
    REJECT("[1]", TP_EINVAL),
    REJECT("\"PostToolUse\"", TP_EINVAL),
};

static void test_constructed_payloads(void)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof payload_cases / sizeof payload_cases[0]; i++) {
        const struct payload_case *c = &payload_cases[i];
        cJSON *p = parse(c->json);
        struct op op;
        if (!p)
            FAIL_("row %zu: test JSON does not parse", i);
        int rc = hook_payload_to_op(p, NOW, &op, err);
        if (rc != c->rc)
            FAIL_("row %zu: rc %d, expected %d (%s)", i, rc, c->rc, err);
        if (rc == 0) {
            ASSERT_STREQ(op.tool, c->tool);
            if (isnan(c->duration) ? !isnan(op.duration_ms) : op.duration_ms != c->duration)
                FAIL_("row %zu: duration %g, expected %g", i, op.duration_ms, c->duration);
            if (NOW - op.ts_ms != c->ts_back)
                FAIL_("row %zu: ts %lld ms before now, expected %lld", i,
                      (long long)(NOW - op.ts_ms), (long long)c->ts_back);
            ASSERT_EQ_INT(op.success, c->success);
            ASSERT_EQ_INT(op.optimized, c->optimized);
            if (c->error)
                ASSERT_STREQ(op.error, c->error);
            else if (op.error)
                FAIL_("row %zu: unexpected error %s", i, op.error);
            if (c->meta_has)
                ASSERT_CONTAINS(op.meta, c->meta_has);
            ASSERT_STREQ(op.tool_use_id, "toolu_X");
            ASSERT_STREQ(op.project, "/p");
            if (op_normalize(&op, NOW, err) != 0)
                FAIL_("row %zu: op_normalize: %s", i, err);
        }
        op_clear(&op);
        cJSON_Delete(p);
    }
}

/* ---- the command ----------------------------------------------------------- */

/* Run hook_run with text on a pipe fed by a child process. Returns the
 * hook's code; *child_ok says the writer exited normally (no SIGPIPE). */
static int run_with_pipe(const char *dir, const char *text, size_t len, int *child_ok)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -100;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fds[1], text + off, len - off);
            if (w <= 0)
                _exit(3);
            off += (size_t)w;
        }
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    int rc = hook_run(dir, fds[0]);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    *child_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return rc;
}

static const char *const good_payload =
    "{\"session_id\":\"s1\",\"cwd\":\"/p\",\"hook_event_name\":\"PostToolUse\","
    "\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"npm test\"},"
    "\"tool_response\":{\"stdout\":\"ok\",\"stderr\":\"\"},\"tool_use_id\":\"toolu_RUN1\","
    "\"duration_ms\":842}";

static void test_run_spools_one_line(void)
{
    char *dir = fixture_tmpdir("hook"), path[512], log[512];
    int ok;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/sub/dir/" SPOOL_FILE, dir);
    snprintf(log, sizeof log, "%s/sub/dir/" HOOK_ERRLOG, dir);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/sub/dir", dir); /* created on demand */
    ASSERT_EQ_INT(run_with_pipe(sub, good_payload, strlen(good_payload), &ok), 0);
    ASSERT_TRUE(ok);
    ASSERT_EQ_INT(count_lines(path), 1);
    size_t n;
    char *s = fixture_read(path, &n);
    ASSERT_CONTAINS(s, "\"tool_use_id\":\"toolu_RUN1\"");
    ASSERT_CONTAINS(s, "\"source\":\"hook\"");
    ASSERT_CONTAINS(s, "\"duration_ms\":842");
    free(s);
    ASSERT_TRUE(!fixture_exists(log));
    /* Other events leave no trace at all. */
    const char *start = "{\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}";
    ASSERT_EQ_INT(run_with_pipe(sub, start, strlen(start), &ok), 0);
    ASSERT_EQ_INT(count_lines(path), 1);
    ASSERT_TRUE(!fixture_exists(log));
    fixture_rm_rf(dir);
    free(dir);
}

static void test_run_logs_broken_payloads(void)
{
    char *dir = fixture_tmpdir("hook"), path[512], log[512];
    int ok;
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/" SPOOL_FILE, dir);
    snprintf(log, sizeof log, "%s/" HOOK_ERRLOG, dir);
    static const char *const bad[] = {"", "not json", "{\"tool_name\":", "[]",
                                      "{\"hook_event_name\":\"PostToolUse\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_TRUE(run_with_pipe(dir, bad[i], strlen(bad[i]), &ok) != 0);
        ASSERT_TRUE(ok);
    }
    ASSERT_EQ_INT(count_lines(log), 5);
    ASSERT_TRUE(!fixture_exists(path));
    /* One invalid byte does not lose the call (JIN_REPAIR). */
    char with_bad_byte[1024];
    snprintf(with_bad_byte, sizeof with_bad_byte, "%s", good_payload);
    char *npm = strstr(with_bad_byte, "npm");
    npm[0] = (char)0xff;
    ASSERT_EQ_INT(run_with_pipe(dir, with_bad_byte, strlen(with_bad_byte), &ok), 0);
    ASSERT_EQ_INT(count_lines(path), 1);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_run_oversized_input_drains_writer(void)
{
    char *dir = fixture_tmpdir("hook"), log[512];
    int ok;
    ASSERT_TRUE(dir != NULL);
    size_t len = (size_t)TP_MAX_HOOK_INPUT + 1024 * 1024;
    char *big = xmalloc(len);
    memset(big, ' ', len);
    memcpy(big, good_payload, strlen(good_payload));
    ASSERT_EQ_INT(run_with_pipe(dir, big, len, &ok), TP_ETOOBIG);
    ASSERT_TRUE(ok); /* read to the end: the writer saw no EPIPE */
    snprintf(log, sizeof log, "%s/" HOOK_ERRLOG, dir);
    ASSERT_EQ_INT(count_lines(log), 1);
    /* Exactly at the cap is still a payload. */
    ASSERT_EQ_INT(run_with_pipe(dir, big, TP_MAX_HOOK_INPUT, &ok), 0);
    ASSERT_TRUE(ok);
    ASSERT_EQ_INT(count_lines(log), 1);
    free(big);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_errlog_rotates(void)
{
    char *dir = fixture_tmpdir("hook"), log[512], old[512];
    int ok;
    ASSERT_TRUE(dir != NULL);
    snprintf(log, sizeof log, "%s/" HOOK_ERRLOG, dir);
    snprintf(old, sizeof old, "%s/" HOOK_ERRLOG ".1", dir);
    FILE *f = fopen(log, "w");
    ASSERT_TRUE(f != NULL);
    for (int i = 0; i < TP_HOOK_ERRLOG_MAX / 100 + 10; i++)
        fprintf(f, "%099d\n", i);
    fclose(f);
    ASSERT_TRUE(run_with_pipe(dir, "x", 1, &ok) != 0);
    ASSERT_TRUE(fixture_exists(old));
    ASSERT_EQ_INT(count_lines(log), 1);
    fixture_rm_rf(dir);
    free(dir);
}

struct count_ctx {
    size_t n;
};

static void test_run_drains_big_spool(void)
{
    char *dir = fixture_tmpdir("hook"), err[TP_ERR_MAX];
    int ok;
    ASSERT_TRUE(dir != NULL);
    /* The size of the hook's own line, from a run in another directory. */
    char *probe = fixture_tmpdir("hook-probe");
    ASSERT_TRUE(probe != NULL);
    ASSERT_EQ_INT(run_with_pipe(probe, good_payload, strlen(good_payload), &ok), 0);
    long long line = spool_pending(probe);
    fixture_rm_rf(probe);
    free(probe);
    ASSERT_TRUE(line > 100);
    /* Fill the spool with distinct calls to within one hook line of the
     * threshold: the hook's append then crosses it, and drains. */
    struct op op;
    size_t n = 0;
    int64_t now = tpt_now_ms();
    while (spool_pending(dir) + line <= SPOOL_DRAIN_BYTES) {
        char id[64], target[300];
        op_init(&op);
        op_sets(&op.tool, "Read");
        snprintf(target, sizeof target, "/f/%zu", n);
        op_sets(&op.target, target);
        snprintf(id, sizeof id, "toolu_fill_%zu", n);
        op_sets(&op.tool_use_id, id);
        op.duration_ms = 5;
        op.ts_ms = now - 1000;
        op.source = OP_SRC_HOOK;
        ASSERT_EQ_INT(op_normalize(&op, now, err), 0);
        ASSERT_EQ_INT(spool_append(dir, &op, NULL, err), 0);
        op_clear(&op);
        n++;
    }
    ASSERT_TRUE(spool_pending(dir) <= SPOOL_DRAIN_BYTES); /* fillers are shorter */
    ASSERT_EQ_INT(run_with_pipe(dir, good_payload, strlen(good_payload), &ok), 0);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    struct store *s;
    struct store_info info;
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(store_info(s, &info), 0);
    ASSERT_EQ_INT(info.operations, (long long)n + 1);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- logs ------------------------------------------------------------------- */

static void test_sniff(void)
{
    size_t n;
    char *d;
    FIXTURE_READ_DATA(d, FIXTURE_OLD_HOOKS, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_JSON);
    free(d);
    FIXTURE_READ_DATA(d, FIXTURE_OLD_HOOK_FAILURES, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_JSON);
    free(d);
    FIXTURE_READ_DATA(d, FIXTURE_REC_HOOKS, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_JSONL);
    free(d);
    FIXTURE_READ_DATA(d, FIXTURE_V1_SESSION, &n);
    ASSERT_EQ_INT(hook_log_sniff(d, n < 4096 ? n : 4096), HOOKLOG_NONE);
    free(d);
    const char *jsonl = "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\"}\n"
                        "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\"}\n";
    ASSERT_EQ_INT(hook_log_sniff(jsonl, strlen(jsonl)), HOOKLOG_JSONL);
    const char *seed = "{\"operations\":[{\"tool\":\"Read\",\"target\":\"x\"}]}";
    ASSERT_EQ_INT(hook_log_sniff(seed, strlen(seed)), HOOKLOG_NONE);
    ASSERT_EQ_INT(hook_log_sniff("", 0), HOOKLOG_NONE);
    ASSERT_EQ_INT(hook_log_sniff("   [", 4), HOOKLOG_NONE);
}

static void test_import_logs(void)
{
    char post[PATH_MAX], fail[PATH_MAX], rec[PATH_MAX], err[TP_ERR_MAX];
    FIXTURE_DATA_PATH(post, FIXTURE_OLD_HOOKS);
    FIXTURE_DATA_PATH(fail, FIXTURE_OLD_HOOK_FAILURES);
    FIXTURE_DATA_PATH(rec, FIXTURE_REC_HOOKS);
    char *dir = fixture_tmpdir("hook");
    struct store *s;
    struct store_result res;
    struct store_info info;
    ASSERT_EQ_INT(store_open(dir, 0, &s, err), 0);
    ASSERT_EQ_INT(hook_import_log(s, post, stderr, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 13);
    ASSERT_EQ_INT(hook_import_log(s, fail, stderr, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 3);
    /* Again: nothing new. */
    ASSERT_EQ_INT(hook_import_log(s, post, stderr, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 0);
    ASSERT_EQ_INT(res.unchanged + res.merged, 13);
    ASSERT_EQ_INT(store_info(s, &info), 0);
    ASSERT_EQ_INT(info.operations, 16);
    /* The failure log's own timestamps (naive local) date its calls. */
    int64_t t;
    ASSERT_EQ_INT(tpt_parse_iso("2026-02-11T00:35:21.710859", TPT_NAIVE_LOCAL, &t), 0);
    ASSERT_EQ_INT(info.first_ms, t);
    /* The recorded payloads, one per line: the 21 PostToolUse* become
     * calls, the PreToolUse and PermissionRequest lines are not calls. */
    ASSERT_EQ_INT(hook_import_log(s, rec, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 21);
    ASSERT_EQ_INT(store_info(s, &info), 0);
    ASSERT_EQ_INT(info.operations, 37);

    /* One payload per line, without ids, and one bad line. */
    char path[512];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\",\"tool_input\":"
            "{\"file_path\":\"/a\"},\"tool_response\":{},\"timestamp\":\"2026-03-01T10:00:00\"}\n"
            "garbage\n"
            "{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Read\"}\n"
            "{\"raw_input\":{\"hook_event_name\":\"PostToolUseFailure\",\"tool_name\":\"Bash\","
            "\"error\":\"Exit code 1\"},\"timestamp\":\"2026-03-01T10:00:01\"}\n");
    fclose(f);
    ASSERT_EQ_INT(hook_import_log(s, path, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 2);
    ASSERT_EQ_INT(hook_import_log(s, path, NULL, &res, err), 0);
    ASSERT_EQ_INT(res.inserted, 0);

    /* Not JSON at all. */
    snprintf(path, sizeof path, "%s/x.json", dir);
    f = fopen(path, "w");
    fprintf(f, "hello");
    fclose(f);
    ASSERT_EQ_INT(hook_import_log(s, path, NULL, &res, err), TP_EPARSE);
    ASSERT_TRUE(hook_import_log(s, "/nonexistent/x.json", NULL, &res, err) == TP_EIO);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_recorded_payloads), TEST_CASE(test_old_post_tool_use_log),
          TEST_CASE(test_old_failures_wrapped), TEST_CASE(test_constructed_payloads),
          TEST_CASE(test_run_spools_one_line), TEST_CASE(test_run_logs_broken_payloads),
          TEST_CASE(test_run_oversized_input_drains_writer), TEST_CASE(test_errlog_rotates),
          TEST_CASE(test_run_drains_big_spool), TEST_CASE(test_sniff), TEST_CASE(test_import_logs))
