/*
 * test_hookpend.c - the hook's early events (PreToolUse, PermissionRequest)
 * and the phases the Post event then knows, through hook_run as Claude Code
 * runs it: one process per event, "now" pinned per event.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "ingest/hook.h"
#include "ingest/hookpend.h"
#include "store/spool.h"
#include "store/store.h"
#include "fixture.h"
#include "harness.h"

#define T0 1795170645000LL

/* Run the hook on text at time now_ms, as its own process would. */
static int hook_at(const char *dir, const char *text, int64_t now_ms)
{
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    setenv("TOOLPROF_NOW_MS", now, 1);
    int fds[2];
    if (pipe(fds) != 0)
        return -100;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        size_t len = strlen(text), off = 0;
        while (off < len) {
            ssize_t w = write(fds[1], text + off, len - off);
            if (w <= 0)
                _exit(3);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    int rc = hook_run(dir, fds[0]);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    unsetenv("TOOLPROF_NOW_MS");
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? rc : -101;
}

#define PAYLOAD(event, id, tool, extra)                                                            \
    "{\"session_id\":\"s1\",\"cwd\":\"/p\",\"permission_mode\":\"default\","                       \
    "\"hook_event_name\":\"" event "\",\"tool_name\":\"" tool "\","                                \
    "\"tool_input\":{\"file_path\":\"/p/a.txt\",\"content\":\"x\"},\"tool_use_id\":\"" id          \
    "\"" extra "}"

/* A PermissionRequest as Claude Code sends it (2.1.332, tests/data/recorded):
 * no tool_use_id; the call is told by its session, tool and input. */
#define PERM_PAYLOAD(tool, input)                                                                  \
    "{\"session_id\":\"s1\",\"cwd\":\"/p\",\"permission_mode\":\"default\","                       \
    "\"hook_event_name\":\"PermissionRequest\",\"tool_name\":\"" tool "\","                        \
    "\"tool_input\":" input ",\"permission_suggestions\":[{\"type\":\"setMode\","                  \
    "\"mode\":\"acceptEdits\",\"destination\":\"session\"}]}"

/* A Pre or Post payload of a call with this input. */
#define CALL_PAYLOAD(event, id, tool, input, extra)                                                \
    "{\"session_id\":\"s1\",\"cwd\":\"/p\",\"permission_mode\":\"default\","                       \
    "\"hook_event_name\":\"" event "\",\"tool_name\":\"" tool "\",\"tool_input\":" input           \
    ",\"tool_use_id\":\"" id "\"" extra "}"

struct found {
    struct op *out;
    int n;
};

static int copy_row(void *ctx, const struct store_row *r)
{
    struct found *f = ctx;
    if (f->n++ == 0)
        op_copy(f->out, &r->op);
    return 0;
}

/* The calls of the data directory (drained from the spool): their number,
 * the first copied to *out. */
static int stored(const char *dir, struct op *out)
{
    struct store *s;
    char err[TP_ERR_MAX];
    if (store_open(dir, 0, &s, err) != 0)
        return -1;
    int rc = spool_drain(s, NULL, NULL, 0, err);
    struct store_scan sc = {.from_ms = T0 - 3600000, .to_ms = T0 + 3600000};
    struct found f = {out, 0};
    if (rc == 0)
        rc = store_scan(s, &sc, copy_row, &f);
    store_close(s);
    return rc == 0 ? f.n : -1;
}

static void test_prompted_call(void)
{
    /* A Write: PreToolUse at T0, the prompt 230 ms later, approved; it ran
     * 60 ms and its Post came 5.4 s after the prompt. */
    char *dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "toolu_w", "Write", ""), T0), 0);
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PermissionRequest", "toolu_w", "Write", ""), T0 + 230), 0);
    /* Nothing stored yet: the early events are only marked. */
    char path[600];
    snprintf(path, sizeof path, "%s/%s/toolu_w", dir, HOOKPEND_DIR);
    struct stat st;
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(spool_pending(dir), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          PAYLOAD("PostToolUse", "toolu_w", "Write",
                                  ",\"tool_response\":{\"type\":\"create\"},\"duration_ms\":60"),
                          T0 + 5690),
                  0);
    ASSERT_TRUE(stat(path, &st) != 0); /* taken */
    struct op op;
    ASSERT_EQ_INT(stored(dir, &op), 1);
    ASSERT_EQ_INT(op.ts_ms, T0);
    ASSERT_EQ_DBL(op.duration_ms, 60, 0);
    ASSERT_EQ_INT(op.exact[OP_PH_EXEC], OP_EX_EXACT);
    ASSERT_EQ_DBL(op.wall_ms, 5690, 0);
    ASSERT_EQ_INT(op.ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(op.wait_ms, 5400, 0);
    ASSERT_EQ_INT(op.exact[OP_PH_WAIT], OP_EX_DERIVED);
    ASSERT_EQ_INT(op.phsrc[OP_PH_WAIT], PHS_HOOK);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_unprompted_and_old_clients(void)
{
    /* No PermissionRequest, duration_ms present: no prompt, wait 0. */
    char *dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "toolu_b", "Bash", ""), T0), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          PAYLOAD("PostToolUse", "toolu_b", "Bash",
                                  ",\"tool_response\":{\"stdout\":\"\"},\"duration_ms\":500"),
                          T0 + 520),
                  0);
    struct op op;
    ASSERT_EQ_INT(stored(dir, &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_NO);
    ASSERT_EQ_DBL(op.wait_ms, 0, 0);
    ASSERT_EQ_DBL(op.wall_ms, 520, 0);
    ASSERT_EQ_DBL(op.duration_ms, 500, 0);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);

    /* A client before duration_ms: a Bash may have asked, so its wall is
     * not its execution; a Read never asks, so its wall is. */
    dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "toolu_o", "Bash", ""), T0), 0);
    ASSERT_EQ_INT(
        hook_at(dir, PAYLOAD("PostToolUse", "toolu_o", "Bash", ",\"tool_response\":{}"), T0 + 4000),
        0);
    ASSERT_EQ_INT(stored(dir, &op), 1);
    ASSERT_TRUE(isnan(op.duration_ms) && isnan(op.wait_ms));
    ASSERT_EQ_DBL(op.wall_ms, 4000, 0);
    ASSERT_EQ_INT(op.ask, OP_ASK_MAYBE);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);

    dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "toolu_r", "Read", ""), T0), 0);
    ASSERT_EQ_INT(
        hook_at(dir, PAYLOAD("PostToolUse", "toolu_r", "Read", ",\"tool_response\":{}"), T0 + 40),
        0);
    ASSERT_EQ_INT(stored(dir, &op), 1);
    ASSERT_EQ_DBL(op.duration_ms, 40, 0);
    ASSERT_EQ_INT(op.exact[OP_PH_EXEC], OP_EX_DERIVED);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);
}

/* The stored call with this tool_use_id, copied to *out: 1, or 0 when
 * there is none. */
struct by_id {
    const char *id;
    struct op *out;
    int n;
};

static int copy_if_id(void *ctx, const struct store_row *r)
{
    struct by_id *b = ctx;
    if (r->op.tool_use_id && strcmp(r->op.tool_use_id, b->id) == 0 && b->n++ == 0)
        op_copy(b->out, &r->op);
    return 0;
}

static int stored_id(const char *dir, const char *id, struct op *out)
{
    struct store *s;
    char err[TP_ERR_MAX];
    if (store_open(dir, 0, &s, err) != 0)
        return -1;
    int rc = spool_drain(s, NULL, NULL, 0, err);
    struct store_scan sc = {.from_ms = T0 - 3600000, .to_ms = T0 + 3600000};
    struct by_id b = {id, out, 0};
    if (rc == 0)
        rc = store_scan(s, &sc, copy_if_id, &b);
    store_close(s);
    return rc == 0 ? b.n : -1;
}

/* Entries left in the data directory's pending/ (files and links). */
static int pending_entries(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "find '%s/%s' -mindepth 1 2>/dev/null | wc -l", dir, HOOKPEND_DIR);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f && fscanf(f, "%d", &n) != 1)
        n = -1;
    if (f)
        pclose(f);
    return n;
}

/* The size of the data directory's hook error log (0 when absent). */
static long errlog_size(const char *dir)
{
    char path[600];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, HOOK_ERRLOG);
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

#define IN_READ "{\"file_path\":\"/p/a.txt\"}"
#define IN_WRITE "{\"file_path\":\"/p/notes.md\",\"content\":\"# Notes\\n\"}"
#define IN_BASH1 "{\"command\":\"touch /p/one\",\"description\":\"one\"}"
#define IN_BASH2 "{\"command\":\"touch /p/two\",\"description\":\"two\"}"

static void test_prompt_without_tool_use_id(void)
{
    /* Claude Code's PermissionRequest carries no tool_use_id (2.1.332):
     * the prompt still belongs to the call whose PreToolUse had the same
     * session, tool and input. A Read that never asks, then a Write
     * prompted 230 ms after its start and approved; it ran 60 ms. */
    char *dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, CALL_PAYLOAD("PreToolUse", "toolu_r", "Read", IN_READ, ""), T0), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          CALL_PAYLOAD("PostToolUse", "toolu_r", "Read", IN_READ,
                                       ",\"tool_response\":{},\"duration_ms\":35"),
                          T0 + 50),
                  0);
    ASSERT_EQ_INT(
        hook_at(dir, CALL_PAYLOAD("PreToolUse", "toolu_w", "Write", IN_WRITE, ""), T0 + 100), 0);
    ASSERT_EQ_INT(hook_at(dir, PERM_PAYLOAD("Write", IN_WRITE), T0 + 330), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          CALL_PAYLOAD("PostToolUse", "toolu_w", "Write", IN_WRITE,
                                       ",\"tool_response\":{\"type\":\"create\"},"
                                       "\"duration_ms\":60"),
                          T0 + 5790),
                  0);
    ASSERT_EQ_INT(errlog_size(dir), 0);
    ASSERT_EQ_INT(pending_entries(dir), 0); /* nothing left behind */
    struct op op;
    ASSERT_EQ_INT(stored_id(dir, "toolu_r", &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_NO);
    ASSERT_EQ_DBL(op.wait_ms, 0, 0);
    op_clear(&op);
    ASSERT_EQ_INT(stored_id(dir, "toolu_w", &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(op.wall_ms, 5690, 0);
    ASSERT_EQ_DBL(op.duration_ms, 60, 0);
    ASSERT_EQ_DBL(op.wait_ms, 5400, 0);
    ASSERT_EQ_INT(op.exact[OP_PH_WAIT], OP_EX_DERIVED);
    ASSERT_EQ_INT(op.phsrc[OP_PH_WAIT], PHS_HOOK);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_prompts_of_parallel_calls(void)
{
    /* Two Bash calls started together; the second one's prompt is shown
     * first. Each prompt goes to its own call, told by the input. */
    char *dir = fixture_tmpdir("hookpend");
    ASSERT_EQ_INT(hook_at(dir, CALL_PAYLOAD("PreToolUse", "toolu_1", "Bash", IN_BASH1, ""), T0), 0);
    ASSERT_EQ_INT(hook_at(dir, CALL_PAYLOAD("PreToolUse", "toolu_2", "Bash", IN_BASH2, ""), T0 + 5),
                  0);
    ASSERT_EQ_INT(hook_at(dir, PERM_PAYLOAD("Bash", IN_BASH2), T0 + 100), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          CALL_PAYLOAD("PostToolUse", "toolu_2", "Bash", IN_BASH2,
                                       ",\"tool_response\":{},\"duration_ms\":400"),
                          T0 + 2100),
                  0);
    ASSERT_EQ_INT(hook_at(dir, PERM_PAYLOAD("Bash", IN_BASH1), T0 + 2150), 0);
    ASSERT_EQ_INT(hook_at(dir,
                          CALL_PAYLOAD("PostToolUse", "toolu_1", "Bash", IN_BASH1,
                                       ",\"tool_response\":{},\"duration_ms\":250"),
                          T0 + 5400),
                  0);
    ASSERT_EQ_INT(errlog_size(dir), 0);
    ASSERT_EQ_INT(pending_entries(dir), 0);
    struct op op;
    ASSERT_EQ_INT(stored_id(dir, "toolu_2", &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(op.wait_ms, 2100 - 100 - 400, 0);
    op_clear(&op);
    ASSERT_EQ_INT(stored_id(dir, "toolu_1", &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(op.wall_ms, 5400, 0);
    ASSERT_EQ_DBL(op.wait_ms, 5400 - 2150 - 250, 0);
    op_clear(&op);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_prompt_of_unknown_call(void)
{
    /* A PermissionRequest whose call never had a PreToolUse here (the
     * hook was installed while the prompt was up): logged, nothing made. */
    char *dir = fixture_tmpdir("hookpend");
    ASSERT_TRUE(hook_at(dir, PERM_PAYLOAD("Write", IN_WRITE), T0) < 0);
    ASSERT_TRUE(errlog_size(dir) > 0);
    ASSERT_TRUE(pending_entries(dir) <= 0);
    fixture_rm_rf(dir);
    free(dir);
}

/* Every hook payload of the recorded session (tests/data/recorded, Claude
 * Code 2.1.332), in the order they arrived, one process each, 50 ms apart:
 * the two calls that showed a prompt are the ones stored as asked. */
static void test_recorded_session_events(void)
{
    char *dir = fixture_tmpdir("hookpend");
    size_t len;
    char *text;
    int lines = 0;
    FIXTURE_READ_DATA(text, FIXTURE_REC_HOOKS, &len);
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        if (hook_at(dir, line, T0 + 50 * lines++) != 0)
            FAIL_("payload %d: the hook failed", lines);
    }
    free(text);
    ASSERT_EQ_INT(lines, 46);
    ASSERT_EQ_INT(errlog_size(dir), 0);
    /* The Bash approved after its 1.5 s prompt. */
    struct op op;
    ASSERT_EQ_INT(stored_id(dir, "toolu_016N7H5aZA0R64aNqD9WFJBl", &op), 1);
    ASSERT_STREQ(op.tool, "Bash");
    ASSERT_EQ_INT(op.ask, OP_ASK_ASKED);
    ASSERT_EQ_INT(op.exact[OP_PH_WAIT], OP_EX_DERIVED);
    op_clear(&op);
    /* A call that ran without a prompt. */
    ASSERT_EQ_INT(stored_id(dir, "toolu_01VRiFALIKuY7rg2ElwuszDe", &op), 1);
    ASSERT_EQ_INT(op.ask, OP_ASK_NO);
    op_clear(&op);
    /* The Write rejected at its prompt and the Bash a PreToolUse hook
     * blocked never had a Post: they are still pending, the Write with its
     * prompt. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "touch -h -d '2 hours ago' '%s/%s'/*", dir, HOOKPEND_DIR);
    ASSERT_EQ_INT(system(cmd), 0);
    struct op *ops;
    size_t n;
    ASSERT_EQ_INT(hookpend_sweep(dir, (int64_t)time(NULL) * 1000, &ops, &n), 0);
    int asked = 0;
    for (size_t i = 0; i < n; i++) {
        asked += ops[i].ask == OP_ASK_ASKED && strcmp(ops[i].tool, "Write") == 0;
        op_clear(&ops[i]);
    }
    free(ops);
    ASSERT_EQ_INT(n, 2);
    ASSERT_EQ_INT(asked, 1);
    ASSERT_EQ_INT(pending_entries(dir), 0);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_sweep_and_odd_ids(void)
{
    char *dir = fixture_tmpdir("hookpend");
    /* A call denied at its prompt: Pre and PermissionRequest, no Post. */
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "toolu_d", "Bash", ""), T0), 0);
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PermissionRequest", "toolu_d", "Bash", ""), T0 + 10), 0);
    /* An id with characters that cannot name a file. */
    ASSERT_EQ_INT(hook_at(dir, PAYLOAD("PreToolUse", "../../etc/x\\ty", "Read", ""), T0), 0);
    struct op *ops;
    size_t n;
    ASSERT_EQ_INT(hookpend_sweep(dir, T0 + 60000, &ops, &n), 0);
    ASSERT_EQ_INT(n, 0); /* not old enough yet: files are judged by mtime */
    free(ops);
    /* Make them old. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "touch -d '2 hours ago' '%s/%s'/*", dir, HOOKPEND_DIR);
    ASSERT_EQ_INT(system(cmd), 0);
    int64_t now = (int64_t)time(NULL) * 1000;
    ASSERT_EQ_INT(hookpend_sweep(dir, now, &ops, &n), 0);
    ASSERT_EQ_INT(n, 2);
    int denied = 0, odd = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ops[i].tool_use_id, "toolu_d") == 0) {
            denied = 1;
            ASSERT_EQ_INT(ops[i].success, 0);
            ASSERT_EQ_INT(ops[i].ask, OP_ASK_ASKED);
            ASSERT_STREQ(ops[i].tool, "Bash");
            ASSERT_EQ_INT(ops[i].ts_ms, T0);
        } else {
            odd = 1;
            ASSERT_STREQ(ops[i].tool_use_id, "../../etc/x y");
        }
        op_clear(&ops[i]);
    }
    free(ops);
    ASSERT_TRUE(denied && odd);
    ASSERT_EQ_INT(hookpend_sweep(dir, now, &ops, &n), 0);
    ASSERT_EQ_INT(n, 0); /* taken */
    free(ops);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_prompted_call), TEST_CASE(test_unprompted_and_old_clients),
          TEST_CASE(test_prompt_without_tool_use_id), TEST_CASE(test_prompts_of_parallel_calls),
          TEST_CASE(test_prompt_of_unknown_call), TEST_CASE(test_recorded_session_events),
          TEST_CASE(test_sweep_and_odd_ids))
