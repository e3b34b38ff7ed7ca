/*
 * test_redact.c - secrets are replaced before storage: every entry of the
 * built-in table has cases, checked both with that entry alone and with
 * the whole table; ordinary commands (near misses of every trigger) are
 * left alone; triggers are found anywhere in a text; users' patterns in
 * redact.patterns (and redact.conf) add and turn off patterns.
 *
 * The file includes redact.c to reach the table and apply one pattern.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "fixture.h"
#include "store/op.h"
#include "store/redact.c"

struct rcase {
    const char *pattern; /* the built-in that catches it on its own */
    const char *in;
    const char *out;
};

/* Each case: what the named entry alone makes of the text, which is also
 * what the whole table makes of it. */
static const struct rcase rcases[] = {
    {"private-key", "printf '-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA' > k",
     "printf '[REDACTED]' > k"},
    {"private-key",
     "echo \"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nProc-Type: "
     "4,ENCRYPTED\n"
     "-----END OPENSSH PRIVATE KEY-----\" > id",
     "echo \"[REDACTED]\" > id"},
    {"private-key", "gpg --import <<< '-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdGBF1x2'",
     "gpg --import <<< '[REDACTED]'"},
    {"jwt", "curl h -d t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
     "curl h -d t=[REDACTED]"},
    {"github-token", "echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 | gh auth login --with-token",
     "echo [REDACTED] | gh auth login --with-token"},
    {"github-token", "gh api -H x gho_16C7e42F292c6912E7710c838347Ae178B4a repos",
     "gh api -H x [REDACTED] repos"},
    {"github-token",
     "git remote set-url origin "
     "https://github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz@github.com/o/r",
     "git remote set-url origin https://[REDACTED]@github.com/o/r"},
    {"gitlab-token", "glab auth login --stdin <<< glpat-abcdefghij1234567890 ",
     "glab auth login --stdin <<< [REDACTED] "},
    {"gitlab-token", "echo glcbt-64_abcdefghijklmnopqrst | ci-tool", "echo [REDACTED] | ci-tool"},
    {"slack-token", "post xoxb-123456789012-abcdefghij to slack", "post [REDACTED] to slack"},
    {"slack-token", "SLACK=xoxp-1-2-3-abcdefabcdef ./notify", "SLACK=[REDACTED] ./notify"},
    {"slack-webhook",
     "curl -X POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX "
     "-d '{}'",
     "curl -X POST https://hooks.slack.com/services/[REDACTED] -d '{}'"},
    {"stripe-key", "stripe charges list --live sk_live_4eC39HqLyjWDarjtT1zdp7dc",
     "stripe charges list --live [REDACTED]"},
    {"stripe-key", "echo rk_test_51H8abcdEFGH1234 whsec_abcdefghijklmnopqrstuvwxyz",
     "echo [REDACTED] [REDACTED]"},
    {"google-api-key",
     "curl 'https://maps.googleapis.com/x?k=AIzaSyA1234567890abcdefghijklmnopqrstuv'",
     "curl 'https://maps.googleapis.com/x?k=[REDACTED]'"},
    {"google-oauth", "echo ya29.a0AfH6SMBx-abcdefghijklmnopqrstuvwxyz | gcloud x",
     "echo [REDACTED] | gcloud x"},
    {"google-oauth", "gcloud x --client GOCSPX-abcdefghijklmnopqrstuvwxyz12",
     "gcloud x --client [REDACTED]"},
    {"anthropic-key", "claude --key sk-ant-api03-abcdefghijklmnopqrstuvwxyz x",
     "claude --key [REDACTED] x"},
    {"openai-key", "python run.py sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
     "python run.py [REDACTED]"},
    {"openai-key", "openai api x -k sk-abcdefghijklmnopqrstuvwxyz012345",
     "openai api x -k [REDACTED]"},
    {"npm-token", "echo npm_abcdefghijklmnopqrstuvwxyz0123456789 | npm login",
     "echo [REDACTED] | npm login"},
    {"aws-access-key-id", "aws iam get-user # AKIAIOSFODNN7EXAMPLE",
     "aws iam get-user # [REDACTED]"},
    {"aws-access-key-id", "aws sts x ASIAY34FZKBOKMUTVV7A", "aws sts x [REDACTED]"},
    {"telegram-bot-token",
     "curl https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
     "curl https://api.telegram.org/bot[REDACTED]/sendMessage"},
    {"telegram-bot-token", "python bot.py 5555555555:AAFbcdefghijklmnopqrstuvwxyz0123456",
     "python bot.py [REDACTED]"},
    {"url-credentials", "psql postgres://admin:hunter2@db.local:5432/app",
     "psql postgres://admin:[REDACTED]@db.local:5432/app"},
    {"url-credentials", "git clone https://bob:ghx-9f8e7d@github.com/o/r.git",
     "git clone https://bob:[REDACTED]@github.com/o/r.git"},
    {"url-credentials", "redis-cli -u redis://u:p@ss@host:6379/0 ping",
     "redis-cli -u redis://u:[REDACTED]@host:6379/0 ping"},
    {"presigned-url",
     "curl 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
     "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024&X-Amz-Expires=60'",
     "curl 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
     "[REDACTED]&X-Amz-Expires=60'"},
    {"presigned-url", "wget 'https://storage.googleapis.com/b/o?X-Goog-Signature=0a1b2c3d&x=1'",
     "wget 'https://storage.googleapis.com/b/o?X-Goog-Signature=[REDACTED]&x=1'"},
    {"aws-secret",
     "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws configure set aws_secret_access_key [REDACTED]"},
    {"aws-secret", "aws s3 ls --aws-secret-access-key wJalrXUtnFEMI/K7MDENG --region x",
     "aws s3 ls --aws-secret-access-key [REDACTED] --region x"},
    {"aws-secret", "printf 'aws_session_token = IQoJb3JpZ2luX2Vj\\n' >> creds",
     "printf 'aws_session_token = [REDACTED]\\n' >> creds"},
    {"npm-auth", "echo //registry.npmjs.org/:_authToken=s3cr3tT0k >> .npmrc",
     "echo //registry.npmjs.org/:_authToken=[REDACTED] >> .npmrc"},
    {"npm-auth", "npm config set //npm.pkg.github.com/:_authToken s3cr3tT0k",
     "npm config set //npm.pkg.github.com/:_authToken [REDACTED]"},
    {"npm-auth", "echo _auth=dXNlcjpwYXNz >> .npmrc", "echo _auth=[REDACTED] >> .npmrc"},
    {"auth-header", "curl -H \"Authorization: Bearer abcdefghijklmnop123\" https://api.x.com",
     "curl -H \"Authorization: Bearer [REDACTED]\" https://api.x.com"},
    {"auth-header", "curl -H 'authorization: Basic dXNlcjpwYXNz' http://h",
     "curl -H 'authorization: Basic [REDACTED]' http://h"},
    {"auth-header", "curl -H \"X-Api-Key: abc123def\" https://h",
     "curl -H \"X-Api-Key: [REDACTED]\" https://h"},
    {"auth-header", "curl -H 'PRIVATE-TOKEN: tok3n' https://gitlab.example/api",
     "curl -H 'PRIVATE-TOKEN: [REDACTED]' https://gitlab.example/api"},
    {"cookie", "curl -H \"Cookie: session=abc123sess; theme=dark\" https://x",
     "curl -H \"Cookie: [REDACTED]\" https://x"},
    {"cookie", "curl -i https://x -H 'Set-Cookie: sid=xyz789; Path=/; HttpOnly'",
     "curl -i https://x -H 'Set-Cookie: [REDACTED]'"},
    {"bearer", "httpie GET h Bearer:xyz token bearer QWERTYUIOP123456",
     "httpie GET h Bearer:xyz token bearer [REDACTED]"},
    {"basic-auth", "http GET h 'Proxy: Basic dXNlcjpwYXNzd29yZA=='",
     "http GET h 'Proxy: Basic [REDACTED]'"},
    {"curl-user", "curl -u admin:hunter2pw https://x/api",
     "curl -u admin:[REDACTED] https://x/api"},
    {"curl-user", "curl --user admin:hunter2pw https://x/api",
     "curl --user admin:[REDACTED] https://x/api"},
    {"curl-user", "curl -fsSu 'admin:pw with space' https://x",
     "curl -fsSu 'admin:[REDACTED]' https://x"},
    {"curl-user", "curl --user=admin:pw2 -U proxy:pw3 https://x",
     "curl --user=admin:[REDACTED] -U proxy:[REDACTED] https://x"},
    {"mysql-password", "mysql -h db -u root -pS3cretPW mydb",
     "mysql -h db -u root -p[REDACTED] mydb"},
    {"mysql-password", "mysqldump -uroot -p\"S3 cret\" db > d.sql",
     "mysqldump -uroot -p\"[REDACTED]\" db > d.sql"},
    {"login-password", "docker login -u bob -p D0ckerPW registry.example.com",
     "docker login -u bob -p [REDACTED] registry.example.com"},
    {"login-password", "oc login https://api:6443 -u dev -pD3vPW",
     "oc login https://api:6443 -u dev -p[REDACTED]"},
    {"login-password", "podman login --password D0ckerPW quay.io",
     "podman login --password [REDACTED] quay.io"},
    {"sshpass", "sshpass -p SshPassPW ssh -p 2222 user@host",
     "sshpass -p [REDACTED] ssh -p 2222 user@host"},
    {"sshpass", "sshpass -v -P assword -pSshPassPW scp f host:",
     "sshpass -v -P assword -p[REDACTED] scp f host:"},
    {"sshpass", "SSHPASS='pw 1' sshpass -e ssh host", "SSHPASS='[REDACTED]' sshpass -e ssh host"},
    {"secret-flag", "mysql --password=s3cret -u root", "mysql --password=[REDACTED] -u root"},
    {"secret-flag", "vault login --token s.abcdef123", "vault login --token [REDACTED]"},
    {"secret-flag", "gh auth login --api-key deadbeef", "gh auth login --api-key [REDACTED]"},
    {"secret-flag", "app --passphrase \"correct horse battery\" --go",
     "app --passphrase \"[REDACTED]\" --go"},
    {"secret-flag", "curl --cookie 'a=b' --auth u:p https://x",
     "curl --cookie '[REDACTED]' --auth [REDACTED] https://x"},
    {"secret-assign", "export GITHUB_TOKEN=abc123 && make",
     "export GITHUB_TOKEN=[REDACTED] && make"},
    {"secret-assign", "DB_PASSWORD=\"hunter2\" ./run", "DB_PASSWORD=\"[REDACTED]\" ./run"},
    {"secret-assign", "api_key: 12345abcde", "api_key: [REDACTED]"},
    {"secret-assign", "curl -d '{\"password\": \"hunter 2\"}' https://x",
     "curl -d '{\"password\": \"[REDACTED]\"}' https://x"},
    {"secret-assign", "https://x/cb?state=1&access_token=ya2b&x=2",
     "https://x/cb?state=1&access_token=[REDACTED]&x=2"},
};

/* Left alone: ordinary commands, among them near misses of every pattern. */
static const char *const unchanged[] = {
    "cat src/tokenizer.py",
    "git commit -m \"fix password reset\"",
    "echo $PASSWORD",
    "grep -rn secret_key config/",
    "/home/u/proj/src/keyboard.ts",
    "npm test -- --watch",
    "https://docs.python.org/3/library/secrets.html",
    "du -sh disk-usage-analyzer-report-2024-final",
    "mkdir -p build/out && cd build",
    "git push -u origin main",
    "ssh -p 2222 user@host",
    "sort -u words.txt | uniq -c",
    "docker run -p 8080:80 nginx",
    "mysql -u root -p mydb",
    "docker login --password-stdin -u bob registry.example.com",
    "curl -sSL https://example.com/install.sh | sh",
    "curl -u admin https://x",
    "Set up basic authentication for the admin panel",
    "the basic example works",
    "cookie jar policy",
    "npm i glob && ls glpat",
    "aws s3 cp s.txt s3://b/ --sse",
    "echo sk-short",
    "awk -F: '{print $1}' /etc/passwd",
    "git log --author=bob --since=2.weeks",
    "kubectl get secrets -n prod",
    "python -m http.server 8000",
    "echo 12345678:AA",
    "x-amz-date: 20240101",
};

/* The decoys of test_triggers_anywhere: prefixes of triggers, at the ends
 * of the text too. */
static const char *const decoys[] = {
    "",
    "ss- pw /tmp/a",
    "--pa",
    "gh_ AKIx bea",
    "s-k eyj autho",
    "credentia secre",
    "toke :/",
    "-----BEGI x --pas",
    "xo ghp AIz",
    "--to --se --ap --ac --au --pr --cli",
    "cur logi mysq sshpas cooki _aut npm",
    "x-am x-goo hooks.slack.co telegra :A glpa k_liv whse ya29 GOCSPX"};

static const struct builtin *builtin_named(const char *name)
{
    for (size_t i = 0; i < NBUILTIN; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

static struct pattern *pattern_named(const char *name)
{
    for (size_t i = 0; i < npatterns; i++)
        if (strcmp(patterns[i].name, name) == 0)
            return &patterns[i];
    return NULL;
}

static void setup_builtins(void)
{
    setenv("TOOLPROF_REDACT", "on", 1);
    loaded = 0;
    redact_configure(NULL, NULL);
}

/* Every entry of the table has a case, and every case names an entry. */
static void test_each_entry_has_cases(void)
{
    int bad = 0;
    for (size_t i = 0; i < NBUILTIN; i++) {
        size_t n = 0;
        for (size_t k = 0; k < sizeof rcases / sizeof rcases[0]; k++)
            n += strcmp(rcases[k].pattern, builtins[i].name) == 0;
        if (n == 0) {
            fprintf(stderr, "  built-in \"%s\" has no case\n", builtins[i].name);
            bad++;
        }
    }
    for (size_t k = 0; k < sizeof rcases / sizeof rcases[0]; k++) {
        if (!builtin_named(rcases[k].pattern)) {
            fprintf(stderr, "  case for unknown pattern \"%s\"\n", rcases[k].pattern);
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

/* Each case with its entry alone, then with the whole table. */
static void test_cases(void)
{
    setup_builtins();
    int bad = 0;
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        const struct rcase *c = &rcases[i];
        struct pattern *p = pattern_named(c->pattern);
        ASSERT_TRUE(p != NULL);
        ensure_compiled(p);
        char *alone = apply(p, c->in);
        if (!alone || strcmp(alone, c->out) != 0) {
            fprintf(stderr, "  %s alone: \"%s\"\n    got      %s\n    expected %s\n", c->pattern,
                    c->in, alone ? alone : "(unchanged)", c->out);
            bad++;
        }
        free(alone);
        char *got = redact_text(c->in);
        if (!got || strcmp(got, c->out) != 0) {
            fprintf(stderr, "  %s, whole table: \"%s\"\n    got      %s\n    expected %s\n",
                    c->pattern, c->in, got ? got : "(unchanged)", c->out);
            bad++;
        }
        /* Redacting what was redacted changes nothing. */
        char *again = got ? redact_text(got) : NULL;
        if (again) {
            fprintf(stderr, "  %s: redacted twice: \"%s\" -> \"%s\"\n", c->pattern, got, again);
            bad++;
        }
        free(again);
        free(got);
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_unchanged(void)
{
    setup_builtins();
    int bad = 0;
    for (size_t i = 0; i < sizeof unchanged / sizeof unchanged[0]; i++) {
        char *got = redact_text(unchanged[i]);
        if (got) {
            fprintf(stderr, "  should be unchanged: \"%s\" -> \"%s\"\n", unchanged[i], got);
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
    setup_builtins();
    const size_t nd = sizeof decoys / sizeof decoys[0];
    const size_t nc = sizeof rcases / sizeof rcases[0];
    char in[2048], want[2048];
    int bad = 0;
    for (size_t i = 0; i < nc; i++) {
        for (size_t a = 0; a < nd; a++) {
            const char *pre = decoys[a], *post = decoys[(a + 3) % nd];
            snprintf(in, sizeof in, "%s ; %s ; %s", pre, rcases[i].in, post);
            snprintf(want, sizeof want, "%s ; %s ; %s", pre, rcases[i].out, post);
            bad += !redacts_to(in, want);
        }
        for (size_t j = 0; j < nc; j++) {
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

/* Many short secrets in one long text: each is replaced, however much
 * longer the text gets. */
static void test_many_secrets(void)
{
    setup_builtins();
    struct buf in, want;
    buf_init(&in, 1 << 20);
    buf_init(&want, 1 << 20);
    for (int i = 0; i < 600; i++) {
        buf_adds(&in, "token=a ");
        buf_adds(&want, "token=[REDACTED] ");
    }
    ASSERT_TRUE(redacts_to(in.data, want.data));
    buf_free(&in);
    buf_free(&want);
}

/* Every trigger of the table, and a trigger in either case where it is
 * case-insensitive, wakes its patterns; the index holds them all. */
static void test_trigger_index(void)
{
    setup_builtins();
    ASSERT_TRUE(nslots <= MAX_SLOTS);
    for (size_t i = 0; i < NBUILTIN; i++) {
        for (size_t t = 0; t < TP_REDACT_MAX_TRIGGERS && builtins[i].triggers[t]; t++) {
            char text[64];
            snprintf(text, sizeof text, "x %s y", builtins[i].triggers[t]);
            if (!(find_triggers(text) >> i & 1))
                FAIL_("trigger \"%s\" does not wake %s", builtins[i].triggers[t], builtins[i].name);
            if (builtins[i].ci) {
                for (char *c = text; *c; c++)
                    *c = (char)toupper((unsigned char)*c);
                if (!(find_triggers(text) >> i & 1))
                    FAIL_("\"%s\" does not wake %s", text, builtins[i].name);
            }
            ASSERT_TRUE(strlen(builtins[i].triggers[t]) >= TRIGGER_MIN);
        }
    }
    ASSERT_EQ_INT(untriggered, 0);
    /* Room is left for users' patterns. */
    ASSERT_TRUE(nslots <= 48);
    ASSERT_EQ_INT(find_triggers("/home/dev/projects/webapp/src/components/index.tsx"), 0);
}

/* Cases whose exact output depends on several patterns: the secret must be
 * gone, whatever else changed. */
static void test_secret_gone(void)
{
    setup_builtins();
    static const char *const secrets[][2] = {
        {"OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz123 python run.py", "sk-proj"},
        {"curl 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101'",
         "AKIAIOSFODNN7EXAMPLE"},
        {"git clone https://oauth2:glpat-abcdefghij1234567890@gitlab.com/x/y.git", "glpat-abc"},
        {"curl -H 'Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789' https://api",
         "ghp_abc"},
    };
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        char *got = redact_text(secrets[i][0]);
        ASSERT_TRUE(got != NULL);
        ASSERT_TRUE(strstr(got, secrets[i][1]) == NULL);
        ASSERT_CONTAINS(got, "[REDACTED]");
        free(got);
    }
}

static void test_basic_check(void)
{
    ASSERT_EQ_INT(basic_credentials("dXNlcjpwYXNz", 12), 1);         /* user:pass */
    ASSERT_EQ_INT(basic_credentials("dXNlcjpwYXNzd29yZA==", 20), 1); /* user:password */
    ASSERT_EQ_INT(basic_credentials("authentication", 14), 0);
    ASSERT_EQ_INT(basic_credentials("example", 7), 0);
    ASSERT_EQ_INT(basic_credentials("OnBhc3M=", 8), 0); /* ":pass": no user */
    ASSERT_EQ_INT(basic_credentials("dXNlcg==", 8), 0); /* "user": no colon */
}

/* Every source goes through op_normalize: target, error and metadata. */
static void test_normalize_redacts(void)
{
    char err[TP_ERR_MAX];
    struct op op;
    setup_builtins();
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

static void test_derived_triggers(void)
{
    static const char *const t[][2] = {
        {"emp-([0-9]{6})", "emp-"}, {"^secret\\.x=(.*)", "secret.x="},
        {"ab*cdef", NULL},          {"abc+d", "abc"},
        {"foo|barbaz", NULL},       {"(acme)-[0-9]+", NULL},
        {"acme_?key", "acme"},      {"\\w+secret", NULL},
        {"tok\\-en=", "tok-en="},   {"ab", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *got = derive_trigger(t[i][0]);
        if (t[i][1])
            ASSERT_STREQ(got, t[i][1]);
        else if (got)
            FAIL_("\"%s\": trigger \"%s\", expected none", t[i][0], got);
        free(got);
    }
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

static void remove_file(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void test_patterns_file(void)
{
    char dir[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    setenv("TOOLPROF_REDACT", "on", 1);
    write_file(dir, REDACT_PATTERNS,
               "# ours\n"
               "off url-credentials\n"
               "  add employee-id emp-([0-9]{6})\n"
               "add acme-key (acme_[a-z0-9]{8}|acme2_[0-9]+)\n");
    char err[TP_ERR_MAX] = "";
    ASSERT_EQ_INT(redact_configure(dir, err), 0);
    char *got = redact_text("psql postgres://a:b@h");
    ASSERT_TRUE(got == NULL); /* turned off */
    got = redact_text("lookup EMP-123456 now");
    ASSERT_STREQ(got, "lookup EMP-[REDACTED] now"); /* case-insensitive, first group */
    free(got);
    struct pattern *emp = pattern_named("employee-id");
    ASSERT_TRUE(emp != NULL);
    ASSERT_STREQ(emp->triggers[0], "emp-");
    got = redact_text("deploy with acme_ab12cd34");
    ASSERT_STREQ(got, "deploy with [REDACTED]");
    free(got);
    ASSERT_TRUE(pattern_named("acme-key")->triggers[0] == NULL); /* an alternation: always runs */
    got = redact_text("mysql --password=x1");
    ASSERT_STREQ(got, "mysql --password=[REDACTED]"); /* the others stay */
    free(got);

    /* A bad line: named with its file and line; the lines before it hold. */
    char dir2[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir2) != NULL);
    write_file(dir2, REDACT_PATTERNS, "add ok-one one-([0-9]+)\nfrobnicate\n");
    ASSERT_EQ_INT(redact_configure(dir2, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "redact.patterns:2:");
    got = redact_text("id one-42");
    ASSERT_STREQ(got, "id one-[REDACTED]");
    free(got);
    write_file(dir2, REDACT_PATTERNS, "add broken (unclosed\n");
    loaded = 0;
    ASSERT_EQ_INT(redact_configure(dir2, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "redact.patterns:1: not a valid POSIX extended regex");

    /* The older name is read too, before redact.patterns. */
    remove_file(dir2, REDACT_PATTERNS);
    write_file(dir2, REDACT_CONF, "add old-name legacy-([a-z]+)\n");
    write_file(dir2, REDACT_PATTERNS, "off bearer\n");
    loaded = 0;
    ASSERT_EQ_INT(redact_configure(dir2, err), 0);
    got = redact_text("x legacy-abc");
    ASSERT_STREQ(got, "x legacy-[REDACTED]");
    free(got);
    ASSERT_TRUE(redact_text("t bearer QWERTYUIOP123456") == NULL);

    /* "off all" and then a pattern of one's own only. */
    write_file(dir2, REDACT_PATTERNS, "off all\nadd mine mine=([a-z]+)\n");
    remove_file(dir2, REDACT_CONF);
    loaded = 0;
    ASSERT_EQ_INT(redact_configure(dir2, err), 0);
    ASSERT_EQ_INT(npatterns, 1);
    ASSERT_TRUE(redact_text("export GITHUB_TOKEN=abc") == NULL);
    got = redact_text("mine=xyz");
    ASSERT_STREQ(got, "mine=[REDACTED]");
    free(got);

    remove_file(dir, REDACT_PATTERNS);
    remove_file(dir2, REDACT_PATTERNS);
    rmdir(dir);
    rmdir(dir2);
    setup_builtins();
}

/* More added patterns than the trigger index holds: they run anyway. */
static void test_many_patterns(void)
{
    char dir[] = "/tmp/toolprof-redact-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    struct buf b;
    buf_init(&b, 1 << 16);
    for (size_t i = 0; i + NBUILTIN < TP_REDACT_MAX_PATTERNS; i++)
        buf_printf(&b, "add p%zu zz%03zuq-([0-9]+)\n", i, i);
    write_file(dir, REDACT_PATTERNS, b.data);
    char err[TP_ERR_MAX] = "";
    ASSERT_EQ_INT(redact_configure(dir, err), 0);
    ASSERT_EQ_INT(npatterns, TP_REDACT_MAX_PATTERNS);
    ASSERT_EQ_INT(nslots, MAX_SLOTS);
    ASSERT_TRUE(untriggered != 0);
    for (size_t i = 0; i + NBUILTIN < TP_REDACT_MAX_PATTERNS; i++) {
        char in[64], want[64];
        snprintf(in, sizeof in, "a zz%03zuq-77 b", i);
        snprintf(want, sizeof want, "a zz%03zuq-[REDACTED] b", i);
        ASSERT_TRUE(redacts_to(in, want));
    }
    buf_printf(&b, "add one-too-many x(y)\n");
    write_file(dir, REDACT_PATTERNS, b.data);
    loaded = 0;
    ASSERT_EQ_INT(redact_configure(dir, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "more than 64 patterns");
    buf_free(&b);
    remove_file(dir, REDACT_PATTERNS);
    rmdir(dir);
    setup_builtins();
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
    setup_builtins();
}

TEST_MAIN(TEST_CASE(test_each_entry_has_cases), TEST_CASE(test_cases), TEST_CASE(test_unchanged),
          TEST_CASE(test_triggers_anywhere), TEST_CASE(test_many_secrets),
          TEST_CASE(test_trigger_index), TEST_CASE(test_secret_gone), TEST_CASE(test_basic_check),
          TEST_CASE(test_normalize_redacts), TEST_CASE(test_derived_triggers),
          TEST_CASE(test_patterns_file), TEST_CASE(test_many_patterns), TEST_CASE(test_env_off))
