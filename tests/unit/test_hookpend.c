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
          TEST_CASE(test_sweep_and_odd_ids))
