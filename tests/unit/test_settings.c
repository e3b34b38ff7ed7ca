/*
 * test_settings.c - install-hook over settings files, one row per case.
 *
 * Each row is the file before (NULL: absent), the operation, and the
 * exact file after; the files are written in Claude Code's own layout
 * (JSON.stringify with two spaces), which install must keep byte for
 * byte outside our entries.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/settings.h"

#define CMD "/opt/tp/bin/toolprof hook"
#define OLD "/home/u/old build/toolprof --data-dir /x hook"

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
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = xmalloc((size_t)len + 1);
    size_t n = fread(s, 1, (size_t)len, f);
    s[n] = '\0';
    fclose(f);
    return s;
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

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static void test_settings_table(void)
{
    char err[TP_ERR_MAX];
    for (size_t i = 0; i < sizeof cases_tbl / sizeof cases_tbl[0]; i++) {
        const struct settings_case *c = &cases_tbl[i];
        char tmpl[] = "/tmp/tp_settings_XXXXXX", path[600];
        char *dir = mkdtemp(tmpl);
        ASSERT_TRUE(dir != NULL);
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
        rm_rf(dir);
    }
}

static void test_backup_holds_previous_content(void)
{
    char tmpl[] = "/tmp/tp_settings_XXXXXX", path[600], cmd[700];
    char *dir = mkdtemp(tmpl), err[TP_ERR_MAX];
    ASSERT_TRUE(dir != NULL);
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
    rm_rf(dir);
}

static void test_symlink_is_followed(void)
{
    char tmpl[] = "/tmp/tp_settings_XXXXXX", real[600], link[600];
    char *dir = mkdtemp(tmpl), err[TP_ERR_MAX];
    ASSERT_TRUE(dir != NULL);
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
    rm_rf(dir);
}

static void test_report_says_what_changed(void)
{
    char tmpl[] = "/tmp/tp_settings_XXXXXX", path[600];
    char *dir = mkdtemp(tmpl), err[TP_ERR_MAX], *out = NULL;
    size_t outlen = 0;
    ASSERT_TRUE(dir != NULL);
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
    rm_rf(dir);
}

struct ours_case {
    const char *cmd;
    int ours;
};

static const struct ours_case ours_cases[] = {
    {"/usr/local/bin/toolprof hook", 1},
    {"toolprof hook", 1},
    {"/home/u/toolprof/build/toolprof --data-dir /d hook", 1},
    {"'/a b/toolprof' hook\t", 1},
    {"toolprof serve", 0},
    {"toolprof hooks", 0},
    {"python3 ~/.claude/hooks/toolprof_hook.py", 0},
    {"hook toolprof", 0},
    {"log.sh", 0},
    {"", 0},
};

static void test_is_ours(void)
{
    for (size_t i = 0; i < sizeof ours_cases / sizeof ours_cases[0]; i++)
        if (settings_is_ours(ours_cases[i].cmd) != ours_cases[i].ours)
            FAIL_("\"%s\": expected %d", ours_cases[i].cmd, ours_cases[i].ours);
    ASSERT_EQ_INT(settings_is_ours(NULL), 0);
}

static void test_hook_command(void)
{
    char err[TP_ERR_MAX], exe[4096], want[8400], cwd[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ASSERT_TRUE(n > 0);
    exe[n] = '\0';
    char *c = settings_hook_command(NULL, err);
    snprintf(want, sizeof want, "%s hook", exe);
    ASSERT_STREQ(c, want);
    ASSERT_EQ_INT(settings_is_ours(c), 0); /* the test binary is not named toolprof */
    free(c);
    c = settings_hook_command("/data dir/it's", err);
    snprintf(want, sizeof want, "%s --data-dir '/data dir/it'\\''s' hook", exe);
    ASSERT_STREQ(c, want);
    free(c);
    ASSERT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
    c = settings_hook_command("rel", err);
    snprintf(want, sizeof want, "%s --data-dir %s/rel hook", exe, cwd);
    ASSERT_STREQ(c, want);
    free(c);
    setenv("HOME", "/home/x", 1);
    c = settings_default_path();
    ASSERT_STREQ(c, "/home/x/.claude/settings.json");
    free(c);
}

TEST_MAIN(TEST_CASE(test_settings_table), TEST_CASE(test_backup_holds_previous_content),
          TEST_CASE(test_symlink_is_followed), TEST_CASE(test_report_says_what_changed),
          TEST_CASE(test_is_ours), TEST_CASE(test_hook_command))
