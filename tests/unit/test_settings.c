/*
 * test_settings.c - install-hook over settings files, one row per case,
 * and which handler commands are toolprof's own.
 *
 * Each row is the file before (NULL: absent), the operation, and the
 * exact file after; the files are written in Claude Code's own layout
 * (JSON.stringify with two spaces), which install must keep byte for
 * byte outside our entries. Commands are built from known strings, never
 * from where the repository (and so this test binary) happens to be.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "core/limits.h"
#include "ingest/settings.h"

#define CMD "/opt/tp/bin/toolprof hook"
/* What install-hook wrote for a binary under a folder with a space. */
#define OLD "'/home/u/old build/toolprof' --data-dir /x hook"

#define OURS_GROUP(cmd)                                                                            \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"" cmd "\"\n"                                                       \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }"

#define OURS_EVENT(ev, cmd) "    \"" ev "\": [\n" OURS_GROUP(cmd) "\n    ]"

/* A fresh install: the four events, in install-hook's order. */
#define BOTH_OURS(cmd)                                                                             \
    "\"hooks\": {\n" OURS_EVENT("PreToolUse", cmd) ",\n" OURS_EVENT(                               \
        "PermissionRequest", cmd) ",\n" OURS_EVENT("PostToolUse",                                  \
                                                   cmd) ",\n" OURS_EVENT("PostToolUseFailure",     \
                                                                         cmd) "\n  }"

/* A user's file: other keys around "hooks", another PostToolUse hook,
 * a PreToolUse hook. */
#define USER_FILE                                                                                  \
    "{\n"                                                                                          \
    "  \"model\": \"opus\",\n"                                                                     \
    "  \"hooks\": {\n"                                                                             \
    "    \"PreToolUse\": [\n"                                                                      \
    "      {\n"                                                                                    \
    "        \"matcher\": \"Bash\",\n"                                                             \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"guard.sh\",\n"                                                     \
    "            \"timeout\": 5\n"                                                                 \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ],\n"                                                                                     \
    "    \"PostToolUse\": [\n"                                                                     \
    "      {\n"                                                                                    \
    "        \"matcher\": \"Edit|Write\",\n"                                                       \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"prettier --write \\\"$FILE\\\"\"\n"                                \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ]\n"                                                                                      \
    "  },\n"                                                                                       \
    "  \"env\": {\n"                                                                               \
    "    \"A\": \"é\\u0001\",\n"                                                                  \
    "    \"N\": 1.5\n"                                                                             \
    "  },\n"                                                                                       \
    "  \"permissions\": {\n"                                                                       \
    "    \"allow\": []\n"                                                                          \
    "  }\n"                                                                                        \
    "}\n"

/* Ours joins the user's PreToolUse and PostToolUse lists; the events the
 * file did not have are added after them. */
#define USER_FILE_INSTALLED                                                                        \
    "{\n"                                                                                          \
    "  \"model\": \"opus\",\n"                                                                     \
    "  \"hooks\": {\n"                                                                             \
    "    \"PreToolUse\": [\n"                                                                      \
    "      {\n"                                                                                    \
    "        \"matcher\": \"Bash\",\n"                                                             \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"guard.sh\",\n"                                                     \
    "            \"timeout\": 5\n"                                                                 \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      },\n" OURS_GROUP(                                                                       \
        CMD) "\n"                                                                                  \
             "    ],\n"                                                                            \
             "    \"PostToolUse\": [\n"                                                            \
             "      {\n"                                                                           \
             "        \"matcher\": \"Edit|Write\",\n"                                              \
             "        \"hooks\": [\n"                                                              \
             "          {\n"                                                                       \
             "            \"type\": \"command\",\n"                                                \
             "            \"command\": \"prettier --write \\\"$FILE\\\"\"\n"                       \
             "          }\n"                                                                       \
             "        ]\n"                                                                         \
             "      },\n" OURS_GROUP(                                                              \
                 CMD) "\n"                                                                         \
                      "    ],\n" OURS_EVENT("PermissionRequest", CMD) ",\n" OURS_EVENT(            \
                          "PostToolUseFailure", CMD) "\n"                                          \
                                                     "  },\n"                                      \
                                                     "  \"env\": {\n"                              \
                                                     "    \"A\": \"é\\u0001\",\n"                 \
                                                     "    \"N\": 1.5\n"                            \
                                                     "  },\n"                                      \
                                                     "  \"permissions\": {\n"                      \
                                                     "    \"allow\": []\n"                         \
                                                     "  }\n"                                       \
                                                     "}\n"

/* Our entry from a binary at another path, sharing a group with the
 * user's own handler. */
#define OLD_ENTRY_FILE                                                                             \
    "{\n"                                                                                          \
    "  \"hooks\": {\n"                                                                             \
    "    \"PostToolUse\": [\n"                                                                     \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"log.sh\"\n"                                                        \
    "          },\n"                                                                               \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"" OLD "\"\n"                                                       \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ]\n"                                                                                      \
    "  }\n"                                                                                        \
    "}"

#define OLD_ENTRY_UPDATED                                                                          \
    "{\n"                                                                                          \
    "  \"hooks\": {\n"                                                                             \
    "    \"PostToolUse\": [\n"                                                                     \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"log.sh\"\n"                                                        \
    "          },\n"                                                                               \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"" CMD "\"\n"                                                       \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ],\n" OURS_EVENT("PreToolUse", CMD) ",\n" OURS_EVENT(                                     \
        "PermissionRequest", CMD) ",\n" OURS_EVENT("PostToolUseFailure", CMD) "\n"                 \
                                                                              "  }\n"              \
                                                                              "}"

#define OLD_ENTRY_REMOVED                                                                          \
    "{\n"                                                                                          \
    "  \"hooks\": {\n"                                                                             \
    "    \"PostToolUse\": [\n"                                                                     \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n"                                                                       \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"log.sh\"\n"                                                        \
    "          }\n"                                                                                \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ]\n"                                                                                      \
    "  }\n"                                                                                        \
    "}"

struct settings_case {
    const char *name;
    const char *before; /* NULL: no file */
    int uninstall;
    int rc;
    const char *after; /* NULL: no file; "=": unchanged */
    int backups;       /* backup files expected afterwards */
};

static const struct settings_case cases_tbl[] = {
    {"absent", NULL, 0, 0, "{\n  " BOTH_OURS(CMD) "\n}\n", 0},
    {"empty", "", 0, 0, "{\n  " BOTH_OURS(CMD) "\n}", 1},
    {"empty object", "{}\n", 0, 0, "{\n  " BOTH_OURS(CMD) "\n}\n", 1},
    {"user hooks kept", USER_FILE, 0, 0, USER_FILE_INSTALLED, 1},
    {"already installed", USER_FILE_INSTALLED, 0, 0, "=", 0},
    {"old entry updated in place", OLD_ENTRY_FILE, 0, 0, OLD_ENTRY_UPDATED, 1},
    {"duplicates collapse",
     "{\"hooks\":{\"PostToolUse\":[{\"hooks\":[{\"type\":\"command\",\"command\":\"" CMD "\"}]},"
     "{\"matcher\":\"*\",\"hooks\":[{\"type\":\"command\",\"command\":\"toolprof hook\"}]}],"
     "\"PostToolUseFailure\":[{\"matcher\":\"*\",\"hooks\":[{\"type\":\"command\","
     "\"command\":\"" CMD "\"}]}]}}",
     0, 0,
     "{\n  \"hooks\": {\n    \"PostToolUse\": [\n      {\n        \"hooks\": [\n          {\n"
     "            \"type\": \"command\",\n            \"command\": \"" CMD "\"\n          }\n"
     "        ]\n      }\n    ],\n    \"PostToolUseFailure\": [\n" OURS_GROUP(
         CMD) "\n    ],\n" OURS_EVENT("PreToolUse", CMD) ",\n" OURS_EVENT("PermissionRequest",
                                                                          CMD) "\n  }\n}",
     1},
    {"uninstall restores", USER_FILE_INSTALLED, 1, 0, USER_FILE, 1},
    {"uninstall keeps the user's group", OLD_ENTRY_FILE, 1, 0, OLD_ENTRY_REMOVED, 1},
    {"uninstall removes keys it emptied", "{\n  " BOTH_OURS(CMD) "\n}\n", 1, 0, "{}\n", 1},
    {"uninstall without entries", USER_FILE, 1, 0, "=", 0},
    {"uninstall absent", NULL, 1, 0, NULL, 0},
    {"invalid JSON refused", "{\"hooks\": {,}", 0, TP_EPARSE, "=", 0},
    {"trailing garbage refused", "{} x", 0, TP_EPARSE, "=", 0},
    {"not an object refused", "[]", 0, TP_EPARSE, "=", 0},
    {"hooks not an object refused", "{\"hooks\": []}", 0, TP_EPARSE, "=", 0},
    {"event not a list refused", "{\"hooks\": {\"PostToolUse\": {}}}", 0, TP_EPARSE, "=", 0},
    {"four-space indent kept", "{\n    \"a\": [\n        1\n    ]\n}\n", 0, 0, NULL, 1},
};

static char *slurp(const char *path)
{
    return fixture_read(path, NULL);
}

static int count_backups(const char *dir)
{
    char cmd[600];
    int n = 0;
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -c '\\.bak\\.'", dir);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

static void test_settings_table(void)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof cases_tbl / sizeof cases_tbl[0]; i++) {
        const struct settings_case *c = &cases_tbl[i];
        char path[600], *dir = fixture_tmpdir("settings");
        /* Absent files live in a directory that does not exist yet. */
        snprintf(path, sizeof path, "%s/%s", dir,
                 c->before ? "settings.json" : "a/b/settings.json");
        if (c->before) {
            FILE *f = fopen(path, "w");
            fputs(c->before, f);
            fclose(f);
        }
        err[0] = '\0';
        int rc = settings_install(path, CMD, c->uninstall, NULL, err);
        if (rc != c->rc)
            FAIL_("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err);
        char *got = slurp(path);
        const char *want = c->after && strcmp(c->after, "=") == 0 ? c->before : c->after;
        if (strcmp(c->name, "four-space indent kept") == 0) {
            ASSERT_CONTAINS(got, "{\n    \"a\": [\n        1\n    ],\n    \"hooks\": {\n        "
                                 "\"PreToolUse\": [\n            {\n");
        } else if (!want) {
            if (got)
                FAIL_("%s: expected no file, got\n%s", c->name, got);
        } else if (!got || strcmp(got, want) != 0) {
            FAIL_("%s: file is\n%s\n--- expected\n%s", c->name, got ? got : "(none)", want);
        }
        if (rc != 0)
            ASSERT_TRUE(strstr(err, path) != NULL);
        int backups = count_backups(c->before ? dir : "/nonexistent");
        if (backups != c->backups)
            FAIL_("%s: %d backups, expected %d", c->name, backups, c->backups);
        /* Whatever was done, doing it again changes nothing. */
        if (rc == 0) {
            ASSERT_EQ_INT(settings_install(path, CMD, c->uninstall, NULL, err), 0);
            char *again = slurp(path);
            if ((got || again) && (!got || !again || strcmp(got, again) != 0))
                FAIL_("%s: second run changed the file", c->name);
            free(again);
            ASSERT_EQ_INT(count_backups(c->before ? dir : "/nonexistent"), backups);
        }
        free(got);
        fixture_rm_rf(dir);
        free(dir);
    }
}

static void test_backup_holds_previous_content(void)
{
    char path[600], cmd[700], err[TP_ERR_MAX];
    char *dir = fixture_tmpdir("settings");
    snprintf(path, sizeof path, "%s/settings.json", dir);
    FILE *f = fopen(path, "w");
    fputs(USER_FILE, f);
    fclose(f);
    chmod(path, 0640);
    ASSERT_EQ_INT(settings_install(path, CMD, 0, NULL, err), 0);
    snprintf(cmd, sizeof cmd, "cat '%s'/settings.json.bak.*", dir);
    FILE *p = popen(cmd, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    pclose(p);
    ASSERT_STREQ(buf, USER_FILE);
    struct stat st;
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(st.st_mode & 0777, 0640);
    /* No temporary file left behind. */
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp", dir);
    p = popen(cmd, "r");
    int tmps = -1;
    if (fscanf(p, "%d", &tmps) != 1)
        tmps = -1;
    pclose(p);
    ASSERT_EQ_INT(tmps, 0);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_symlink_is_followed(void)
{
    char real[600], link[600], err[TP_ERR_MAX];
    char *dir = fixture_tmpdir("settings");
    snprintf(real, sizeof real, "%s/dotfiles.json", dir);
    snprintf(link, sizeof link, "%s/settings.json", dir);
    FILE *f = fopen(real, "w");
    fputs("{}", f);
    fclose(f);
    ASSERT_EQ_INT(symlink(real, link), 0);
    ASSERT_EQ_INT(settings_install(link, CMD, 0, NULL, err), 0);
    struct stat st;
    ASSERT_EQ_INT(lstat(link, &st), 0);
    ASSERT_TRUE(S_ISLNK(st.st_mode));
    char *s = slurp(real);
    ASSERT_CONTAINS(s, CMD);
    free(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_report_says_what_changed(void)
{
    char path[600], err[TP_ERR_MAX], *out = NULL;
    char *dir = fixture_tmpdir("settings");
    size_t outlen = 0;
    snprintf(path, sizeof path, "%s/settings.json", dir);
    FILE *f = fopen(path, "w");
    fputs(OLD_ENTRY_FILE, f);
    fclose(f);
    FILE *rep = open_memstream(&out, &outlen);
    ASSERT_EQ_INT(settings_install(path, CMD, 0, rep, err), 0);
    fclose(rep);
    ASSERT_CONTAINS(out, "PostToolUse: updated " OLD " -> " CMD);
    ASSERT_CONTAINS(out, "PostToolUseFailure: added " CMD);
    ASSERT_CONTAINS(out, "wrote ");
    free(out);
    rep = open_memstream(&out, &outlen);
    ASSERT_EQ_INT(settings_install(path, CMD, 0, rep, err), 0);
    fclose(rep);
    ASSERT_CONTAINS(out, "nothing to change");
    free(out);
    fixture_rm_rf(dir);
    free(dir);
}

/* ---- which commands are ours ------------------------------------------------ */

struct ours_case {
    const char *cmd;
    int ours;
};

static const struct ours_case ours_cases[] = {
    /* What install-hook writes (and wrote in every earlier version:
     * settings_hook_command() has always written these two shapes, from
     * the binary's path and an absolute data directory). */
    {"/usr/local/bin/toolprof hook", 1},
    {"toolprof hook", 1},
    {"/home/u/toolprof/build/toolprof --data-dir /d hook", 1},
    {"/home/u/src/toolprof/build/toolprof --data-dir /home/u/.claude/memory/performance hook", 1},
    {"'/a b/toolprof' hook", 1},
    {"'/a b/toolprof' hook\t", 1},
    {"  /opt/toolprof/bin/toolprof hook  ", 1},
    {"'/home/u/my tools/toolprof' --data-dir '/data dir/it'\\''s' hook", 1},
    {"/opt/x/toolprof --data-dir '/tmp/d d' hook", 1},
    {"/opt/x/toolprof --data-dir ''\\''' hook", 1},
    /* Not toolprof's: the word toolprof in a folder name or an argument. */
    {"~/toolprof-notes/log.sh hook", 0},
    {"python3 /opt/toolprof/tools/audit.py hook", 0},
    {"/home/u/toolprof/build/tests/test_settings hook", 0},
    {"/srv/toolprof/hooks/hook", 0},
    {"/home/u/toolprof/run.sh --data-dir /d hook", 0},
    {"/usr/bin/toolprof-hook hook", 0},
    {"/usr/bin/toolprofx hook", 0},
    {"notoolprof hook", 0},
    {"sh -c 'toolprof hook'", 0},
    {"echo toolprof hook", 0},
    /* Not the shape toolprof writes. */
    {"toolprof serve", 0},
    {"toolprof hooks", 0},
    {"toolprof hook --verbose", 0},
    {"toolprof hook hook", 0},
    {"toolprof --data-dir /d", 0},
    {"toolprof --data-dir hook", 0},
    {"toolprof hook --data-dir /d", 0},
    {"toolprof --data-dir /d /e hook", 0},
    {"toolprof --datadir /d hook", 0},
    {"toolprof  hook", 0},
    {"toolprof\thook", 0},
    {"\"/a b/toolprof\" hook", 0},
    {"/a\\ b/toolprof hook", 0},
    {"'/usr/bin/toolprof' hook", 0}, /* toolprof would not quote this path */
    {"'/a b/toolprof hook", 0},
    {"toolprof 'hook'", 0},
    {"toolprof --data-dir '' hook", 0},
    {"toolprof --data-dir /d\\ e hook", 0},
    {"python3 ~/.claude/hooks/toolprof_hook.py", 0},
    {"hook toolprof", 0},
    {"log.sh", 0},
    {"toolprof", 0},
    {"hook", 0},
    {"", 0},
    {"   ", 0},
};

static void test_is_ours(void)
{
    for (size_t i = 0; i < sizeof ours_cases / sizeof ours_cases[0]; i++)
        if (settings_is_ours(ours_cases[i].cmd) != ours_cases[i].ours)
            FAIL_("\"%s\": expected %d", ours_cases[i].cmd, ours_cases[i].ours);
    ASSERT_EQ_INT(settings_is_ours(NULL), 0);
}

/* Every command settings_command_for() writes for a binary named toolprof
 * is recognised, whatever the paths hold; for any other name, none is. */
static void test_written_commands_are_recognised(void)
{
    static const char *const dirs[] = {NULL,           "/d",    "/data dir",  "/it's",
                                       "/x/'quoted'",  "/a\tb", "/$HOME/`x`", "/\xc3\xbc/x",
                                       "/a=b,c:d@e%f", "/-",    "/a\\'b",     "/ hook"};
    static const struct {
        const char *exe;
        int ours;
    } exes[] = {
        {"/usr/local/bin/toolprof", 1},
        {"/home/u/toolprof/build/toolprof", 1},
        {"/tmp/x y/toolprof/build/toolprof", 1},
        {"/home/u/it's/toolprof", 1},
        {"toolprof", 1},
        {"/home/u/toolprof/build/tests/test_settings", 0},
        {"/tmp/x y/toolprof/build/tests/test_settings", 0},
        {"/opt/toolprof/toolprof.sh", 0},
        {"/opt/toolprof/", 0},
    };
    char err[TP_ERR_MAX];
    for (size_t e = 0; e < sizeof exes / sizeof exes[0]; e++) {
        for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
            char *c = settings_command_for(exes[e].exe, dirs[d], err);
            if (!c)
                FAIL_("%s %s: %s", exes[e].exe, dirs[d] ? dirs[d] : "-", err);
            int got = settings_is_ours(c);
            if (got != exes[e].ours)
                FAIL_("%s: %d, expected %d", c, got, exes[e].ours);
            free(c);
        }
    }
    /* The words as settings_command_for() writes them. */
    char *c = settings_command_for("/a b/toolprof", "/data dir/it's", err);
    ASSERT_STREQ(c, "'/a b/toolprof' --data-dir '/data dir/it'\\''s' hook");
    free(c);
    c = settings_command_for("/usr/bin/toolprof", NULL, err);
    ASSERT_STREQ(c, "/usr/bin/toolprof hook");
    free(c);
    ASSERT_TRUE(settings_command_for("", NULL, err) == NULL);
    ASSERT_TRUE(settings_command_for("/x/toolprof", "", err) == NULL);
}

static void test_hook_command(void)
{
    /* The running binary is this test, wherever the repository is: its
     * command has the shape of the installed one's, and is not ours
     * because the program is not named toolprof. */
    char err[TP_ERR_MAX], exe[4096], cwd[4096], rel[8300];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ASSERT_TRUE(n > 0);
    exe[n] = '\0';
    char *c = settings_hook_command(NULL, err), *want = settings_command_for(exe, NULL, err);
    ASSERT_STREQ(c, want);
    ASSERT_EQ_INT(settings_is_ours(c), 0);
    free(c);
    free(want);
    c = settings_hook_command("/data dir/it's", err);
    want = settings_command_for(exe, "/data dir/it's", err);
    ASSERT_STREQ(c, want);
    free(c);
    free(want);
    /* A relative data directory is made absolute. */
    ASSERT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
    c = settings_hook_command("rel", err);
    snprintf(rel, sizeof rel, "%s/rel", cwd);
    want = settings_command_for(exe, rel, err);
    ASSERT_STREQ(c, want);
    free(c);
    free(want);
    setenv("HOME", "/home/x", 1);
    c = settings_default_path();
    ASSERT_STREQ(c, "/home/x/.claude/settings.json");
    free(c);
}

/* ---- hooks toolprof did not write are never touched ------------------------- */

#define HANDLER(cmd)                                                                               \
    "          {\n"                                                                                \
    "            \"type\": \"command\",\n"                                                         \
    "            \"command\": \"" cmd "\"\n"                                                       \
    "          }"

/* Commands a user may have, each naming toolprof and hook somewhere (as
 * JSON string contents). */
#define F1 "~/toolprof-notes/log.sh hook"
#define F2 "python3 /opt/toolprof/tools/audit.py hook"
#define F3 "/home/u/toolprof/build/tests/test_settings hook"
#define F4 "\\\"/home/u/my tools/toolprof\\\" hook"
#define F5 "toolprof hook --verbose"
#define F6 "/home/u/toolprof/run.sh --data-dir /d hook"
/* Commands earlier versions of install-hook wrote. */
#define O1 "/usr/local/bin/toolprof hook"
#define O2 "/home/u/src/toolprof/build/toolprof --data-dir /home/u/.claude/memory/performance hook"
#define O3 "'/home/u/my tools/toolprof' --data-dir '/data dir/it'\\\\''s' hook"
#define NEW "/opt/tp/bin/toolprof --data-dir /opt/tp/data hook"

/* PreToolUse: [O1 F1] (the handlers given), then PostToolUse's start. */
#define FOREIGN_HEAD(pre)                                                                          \
    "{\n"                                                                                          \
    "  \"hooks\": {\n"                                                                             \
    "    \"PreToolUse\": [\n"                                                                      \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n" pre "\n"                                                              \
    "        ]\n"                                                                                  \
    "      }\n"                                                                                    \
    "    ],\n"                                                                                     \
    "    \"PostToolUse\": [\n"                                                                     \
    "      {\n"                                                                                    \
    "        \"matcher\": \"*\",\n"                                                                \
    "        \"hooks\": [\n"

/* PostToolUseFailure, then `extra` (the events install adds, or ""). */
#define FOREIGN_TAIL(post_failure_first, extra)                                                    \
    "    \"PostToolUseFailure\": [\n"                                                              \
    "      {\n"                                                                                    \
    "        \"hooks\": [\n" post_failure_first                                                    \
    HANDLER(F5) "\n"                                                                               \
                "        ]\n"                                                                      \
                "      },\n"                                                                       \
                "      {\n"                                                                        \
                "        \"matcher\": \"Edit\",\n"                                                 \
                "        \"hooks\": [\n" HANDLER(F6) "\n"                                          \
                                                     "        ]\n"                                 \
                                                     "      }\n"                                   \
                                                     "    ]" extra "\n"                            \
                                                     "  }\n"                                       \
                                                     "}\n"

/* PreToolUse: [O1 F1]; PostToolUse: [F1 O1 F2], Bash: [F3 O3 F4];
 * PostToolUseFailure: [O2 F5], Edit: [F6]. Our handlers sit between the
 * user's. */
#define FOREIGN_FILE                                                                               \
    FOREIGN_HEAD(HANDLER(O1) ",\n" HANDLER(F1))                                                    \
    HANDLER(F1)                                                                                    \
    ",\n" HANDLER(O1) ",\n" HANDLER(F2) "\n"                                                       \
                                        "        ]\n"                                              \
                                        "      },\n"                                               \
                                        "      {\n"                                                \
                                        "        \"matcher\": \"Bash\",\n"                         \
                                        "        \"hooks\": [\n" HANDLER(F3) ",\n" HANDLER(        \
                                            O3) ",\n" HANDLER(F4) "\n"                             \
                                                                  "        ]\n"                    \
                                                                  "      }\n"                      \
                                                                  "    ],\n" FOREIGN_TAIL(         \
                                                                      HANDLER(O2) ",\n", "")

/* Installed: the first of ours in each event now runs NEW, the other one
 * (O3) is gone as a duplicate; every user handler as it was, where it was;
 * PermissionRequest, which the file lacked, added at its end. */
#define FOREIGN_INSTALLED                                                                          \
    FOREIGN_HEAD(HANDLER(NEW) ",\n" HANDLER(F1))                                                   \
    HANDLER(F1)                                                                                    \
    ",\n" HANDLER(NEW) ",\n" HANDLER(F2) "\n"                                                      \
                                         "        ]\n"                                             \
                                         "      },\n"                                              \
                                         "      {\n"                                               \
                                         "        \"matcher\": \"Bash\",\n"                        \
                                         "        \"hooks\": [\n" HANDLER(F3) ",\n" HANDLER(       \
                                             F4) "\n"                                              \
                                                 "        ]\n"                                     \
                                                 "      }\n"                                       \
                                                 "    ],\n" FOREIGN_TAIL(                          \
                                                     HANDLER(NEW) ",\n",                           \
                                                     ",\n" OURS_EVENT("PermissionRequest", NEW))

/* Uninstalled (from either): only the user's handlers. */
#define FOREIGN_UNINSTALLED                                                                        \
    FOREIGN_HEAD(HANDLER(F1))                                                                      \
    HANDLER(F1)                                                                                    \
    ",\n" HANDLER(F2) "\n"                                                                         \
                      "        ]\n"                                                                \
                      "      },\n"                                                                 \
                      "      {\n"                                                                  \
                      "        \"matcher\": \"Bash\",\n"                                           \
                      "        \"hooks\": [\n" HANDLER(F3) ",\n" HANDLER(                          \
                          F4) "\n"                                                                 \
                              "        ]\n"                                                        \
                              "      }\n"                                                          \
                              "    ],\n" FOREIGN_TAIL("", "")

/* Install and uninstall over a file holding all of the above; the file
 * after each step is compared whole. */
static void test_foreign_hooks_untouched(void)
{
    static const struct {
        const char *from, *op, *want;
    } steps[] = {
        {FOREIGN_FILE, "install", FOREIGN_INSTALLED},
        {FOREIGN_INSTALLED, "install", FOREIGN_INSTALLED},
        {FOREIGN_INSTALLED, "uninstall", FOREIGN_UNINSTALLED},
        {FOREIGN_FILE, "uninstall", FOREIGN_UNINSTALLED},
        {FOREIGN_UNINSTALLED, "uninstall", FOREIGN_UNINSTALLED},
        {FOREIGN_UNINSTALLED, "install", NULL},
    };
    char err[TP_ERR_MAX], path[600];
    char *dir = fixture_tmpdir("settings");
    snprintf(path, sizeof path, "%s/settings.json", dir);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ASSERT_EQ_INT(fixture_write(path, steps[i].from, strlen(steps[i].from), "wb"), 0);
        int un = strcmp(steps[i].op, "uninstall") == 0;
        if (settings_install(path, un ? NULL : NEW, un, NULL, err) != 0)
            FAIL_("step %zu (%s): %s", i, steps[i].op, err);
        char *got = slurp(path);
        if (!steps[i].want) {
            /* Installed into a file without ours: added at the end of each
             * event's list, after the user's groups, which stay. */
            ASSERT_TRUE(got != NULL);
            ASSERT_CONTAINS(got, HANDLER(F4) "\n        ]\n      },\n      {\n        \"matcher\": "
                                             "\"*\",\n        \"hooks\": [\n" HANDLER(NEW));
            ASSERT_CONTAINS(got, HANDLER(F6) "\n        ]\n      },\n      {\n        \"matcher\": "
                                             "\"*\",\n        \"hooks\": [\n" HANDLER(NEW));
        } else if (!got || strcmp(got, steps[i].want) != 0) {
            FAIL_("step %zu (%s): the file is\n%s\n--- expected\n%s", i, steps[i].op,
                  got ? got : "(none)", steps[i].want);
        }
        free(got);
    }
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_settings_table), TEST_CASE(test_backup_holds_previous_content),
          TEST_CASE(test_symlink_is_followed), TEST_CASE(test_report_says_what_changed),
          TEST_CASE(test_is_ours), TEST_CASE(test_written_commands_are_recognised),
          TEST_CASE(test_hook_command), TEST_CASE(test_foreign_hooks_untouched))
