/*
 * test_redact.c - secrets are replaced before storage, one case per
 * pattern, and ordinary commands are left alone.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "fixture.h"
#include "store/op.h"
#include "store/redact.h"

struct rcase {
    const char *pattern; /* which built-in should catch it */
    const char *in;
    const char *out; /* NULL: unchanged */
};

static const struct rcase rcases[] = {
    {"url-credentials", "psql postgres://admin:hunter2@db.local:5432/app",
     "psql postgres://admin:[REDACTED]@db.local:5432/app"},
    {"url-credentials", "git clone https://bob:ghx-9f8e7d@github.com/o/r.git",
     "git clone https://bob:[REDACTED]@github.com/o/r.git"},
    {"auth-header", "curl -H \"Authorization: Bearer abcdefghijklmnop123\" https://api.x.com",
     "curl -H \"Authorization: Bearer [REDACTED]\" https://api.x.com"},
    {"auth-header", "curl -H 'authorization: Basic dXNlcjpwYXNz' http://h",
     "curl -H 'authorization: Basic [REDACTED]' http://h"},
    {"auth-header", "curl -H \"X-Api-Key: abc123def\" https://h",
     "curl -H \"X-Api-Key: [REDACTED]\" https://h"},
    {"bearer", "httpie GET h Bearer:xyz token bearer QWERTYUIOP123456",
     "httpie GET h Bearer:xyz token bearer [REDACTED]"},
    {"secret-assign", "export GITHUB_TOKEN=abc123 && make",
     "export GITHUB_TOKEN=[REDACTED] && make"},
    {"secret-assign", "DB_PASSWORD=\"hunter2\" ./run", "DB_PASSWORD=\"[REDACTED]\" ./run"},
    {"secret-assign", "api_key: 12345abcde", "api_key: [REDACTED]"},
    {"secret-flag", "mysql --password=s3cret -u root", "mysql --password=[REDACTED] -u root"},
    {"secret-flag", "vault login --token s.abcdef123", "vault login --token [REDACTED]"},
    {"secret-flag", "gh auth login --api-key deadbeef", "gh auth login --api-key [REDACTED]"},
    {"known-tokens", "echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 | gh auth",
     "echo [REDACTED] | gh auth"},
    {"known-tokens", "claude --key sk-ant-api03-abcdefghijklmnopqrstuvwxyz x",
     NULL /* see below */},
    {"known-tokens", "aws iam get-user # AKIAIOSFODNN7EXAMPLE", "aws iam get-user # [REDACTED]"},
    {"known-tokens", "post xoxb-123456789012-abcdefghij to slack", "post [REDACTED] to slack"},
    {"known-tokens",
     "curl h?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
     NULL /* jwt= is also an assignment: checked below */},
    {"known-tokens", "printf '-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA' > k",
     "printf '[REDACTED]' > k"},
    /* Left alone. */
    {"-", "cat src/tokenizer.py", NULL},
    {"-", "git commit -m \"fix password reset\"", NULL},
    {"-", "echo $PASSWORD", NULL},
    {"-", "grep -rn secret_key config/", NULL},
    {"-", "/home/u/proj/src/keyboard.ts", NULL},
    {"-", "npm test -- --watch", NULL},
    {"-", "https://docs.python.org/3/library/secrets.html", NULL},
};

static void test_cases(void)
{
    setenv("TOOLPROF_REDACT", "on", 1);
    redact_configure(NULL, NULL);
    int bad = 0;
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        const struct rcase *c = &rcases[i];
        char *got = redact_text(c->in);
        if (c->out && (!got || strcmp(got, c->out) != 0)) {
            fprintf(stderr, "  %s: \"%s\"\n    got      %s\n    expected %s\n", c->pattern, c->in,
                    got ? got : "(unchanged)", c->out);
            bad++;
        }
        if (!c->out && strcmp(c->pattern, "-") == 0 && got) {
            fprintf(stderr, "  should be unchanged: \"%s\" -> \"%s\"\n", c->in, got);
            bad++;
        }
        free(got);
    }
    ASSERT_EQ_INT(bad, 0);
}

/* Whether redact_text(in) is want; says what it got when not. */
static int redacts_to(const char *in, const char *want)
{
    char *got = redact_text(in);
    int ok = got && strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "  \"%s\"\n    got      %s\n    expected %s\n", in,
                got ? got : "(unchanged)", want);
    free(got);
    return ok;
}

/* Triggers are found wherever they are: each case inside text that holds
 * near-misses of every trigger (prefixes of them, at the very end of the
 * string too), and every two cases in one command. */
static void test_triggers_anywhere(void)
{
    static const char *const decoys[] = {"",
                                         "ss- pw /tmp/a",
                                         "--pa",
                                         "gh_ AKIx bea",
                                         "s-k eyj autho",
                                         "credentia secre",
                                         "toke :/",
                                         "-----BEGI x --pas",
                                         "xo ghp AIz",
                                         "--to --se --ap --ac --au --pr --cli"};
    const size_t nd = sizeof decoys / sizeof decoys[0];
    const size_t nc = sizeof rcases / sizeof rcases[0];
    char in[1024], want[1024];
    int bad = 0;
    for (size_t i = 0; i < nc; i++) {
        if (!rcases[i].out)
            continue;
        for (size_t a = 0; a < nd; a++) {
            const char *pre = decoys[a], *post = decoys[(a + 3) % nd];
            snprintf(in, sizeof in, "%s ; %s ; %s", pre, rcases[i].in, post);
            snprintf(want, sizeof want, "%s ; %s ; %s", pre, rcases[i].out, post);
            bad += !redacts_to(in, want);
        }
        for (size_t j = 0; j < nc; j++) {
            if (!rcases[j].out)
                continue;
            snprintf(in, sizeof in, "%s ; %s", rcases[i].in, rcases[j].in);
            snprintf(want, sizeof want, "%s ; %s", rcases[i].out, rcases[j].out);
            bad += !redacts_to(in, want);
        }
    }
    for (size_t a = 0; a < nd; a++) {
        char *got = redact_text(decoys[a]);
        if (got) {
            fprintf(stderr, "  decoy changed: \"%s\" -> \"%s\"\n", decoys[a], got);
            bad++;
        }
        free(got);
    }
    ASSERT_EQ_INT(bad, 0);
}

/* Cases whose exact output depends on several patterns: the secret must be
 * gone, whatever else changed. */
static void test_secret_gone(void)
{
    static const char *const secrets[][2] = {
        {"claude --key sk-ant-api03-abcdefghijklmnopqrstuvwxyz x", "sk-ant-api03"},
        {"curl h?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
         "eyJhbGciOiJIUzI1NiJ9"},
        {"OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz123 python run.py", "sk-proj"},
    };
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        char *got = redact_text(secrets[i][0]);
        ASSERT_TRUE(got != NULL);
        ASSERT_TRUE(strstr(got, secrets[i][1]) == NULL);
        ASSERT_CONTAINS(got, "[REDACTED]");
        free(got);
    }
}

/* Every source goes through op_normalize: target, error and metadata. */
static void test_normalize_redacts(void)
{
    char err[TP_ERR_MAX];
    struct op op;
    op_init(&op);
    op_sets(&op.tool, "Bash");
    op_sets(&op.target, "curl https://me:pw123@example.com");
    op_sets(&op.error, "fatal: Authentication failed for https://me:pw123@example.com");
    op_sets(&op.meta, "{\"full_command\":\"export API_TOKEN=abc123\"}");
    op.ts_ms = tpt_now_ms();
    op.duration_ms = 5;
    ASSERT_EQ_INT(op_normalize(&op, tpt_now_ms(), err), 0);
    ASSERT_STREQ(op.target, "curl https://me:[REDACTED]@example.com");
    ASSERT_TRUE(strstr(op.error, "pw123") == NULL);
    ASSERT_STREQ(op.meta, "{\"full_command\":\"export API_TOKEN=[REDACTED]\"}");
    op_clear(&op);
}

static void test_config_file(void)
{
    char dir[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/redact.conf", dir);
    FILE *fp = fopen(path, "w");
    fputs("# ours\noff url-credentials\nadd employee-id emp-([0-9]{6})\n", fp);
    fclose(fp);
    char err[TP_ERR_MAX] = "";
    ASSERT_EQ_INT(redact_configure(dir, err), 0);
    char *got = redact_text("psql postgres://a:b@h");
    ASSERT_TRUE(got == NULL); /* turned off */
    got = redact_text("lookup emp-123456 now");
    ASSERT_STREQ(got, "lookup emp-[REDACTED] now");
    free(got);
    got = redact_text("mysql --password=x1");
    ASSERT_STREQ(got, "mysql --password=[REDACTED]"); /* the others stay */
    free(got);

    fp = fopen(path, "w");
    fputs("off all\nfrobnicate\n", fp);
    fclose(fp);
    char dir2[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir2) != NULL);
    char path2[256];
    snprintf(path2, sizeof path2, "%s/redact.conf", dir2);
    rename(path, path2);
    ASSERT_EQ_INT(redact_configure(dir2, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "redact.conf:2:");
    unlink(path2);
    rmdir(dir);
    rmdir(dir2);
    redact_configure(NULL, NULL);
}

static void test_env_off(void)
{
    setenv("TOOLPROF_REDACT", "off", 1);
    char dir[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    redact_configure(dir, NULL);
    char *got = redact_text("mysql --password=s3cret");
    ASSERT_TRUE(got == NULL);
    rmdir(dir);
    setenv("TOOLPROF_REDACT", "on", 1);
    redact_configure(NULL, NULL);
}

TEST_MAIN(TEST_CASE(test_cases), TEST_CASE(test_triggers_anywhere), TEST_CASE(test_secret_gone),
          TEST_CASE(test_normalize_redacts), TEST_CASE(test_config_file), TEST_CASE(test_env_off))
