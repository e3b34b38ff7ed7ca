/*
 * redact.c - secrets out of targets (see redact.h).
 *
 * Every pattern is a POSIX extended regex plus a few literal "triggers":
 * the regex runs only when one of its triggers occurs in the text, so the
 * usual target, a file path, costs one pass over its bytes and no regex at
 * all. That matters: every operation of a bulk import passes here. The
 * pass looks for every trigger at once (find_triggers()): triggers are
 * indexed by their first three bytes, so a byte that cannot start a
 * trigger costs a table look-up, and a string compare happens only where
 * three bytes of a trigger are already there. (A strcasestr() per trigger
 * cost 11 % of a bulk insert's instructions; the index by first byte alone
 * made common letters such as 'g' or 's' compare against every trigger
 * that starts with them.) Patterns may share a trigger: "token" wakes the
 * NAME=VALUE, --flag VALUE and AWS patterns.
 *
 * The built-in patterns are the table `builtins` below, the one place they
 * are defined; tests/unit/test_redact.c has a case for each entry, and
 * docs/redaction.md lists them. Each entry says which of its regex's
 * groups hold the secret (the first of them that took part in the match
 * is replaced; none listed: the whole match), and may carry a check that
 * a match really is a secret (a Basic credential is base64 of
 * "user:password", the word after "basic" in prose is not). A quoted
 * secret keeps its quotes: `--password "a b"` becomes
 * `--password "[REDACTED]"`.
 *
 * Users add patterns in `redact.patterns`; a literal start of three bytes
 * or more of their regex becomes its trigger, so that a pattern such as
 * `emp-([0-9]{6})` costs nothing on texts without "emp-".
 *
 * The pattern set is process-wide, read under a read lock by the request
 * threads and replaced under the write lock by redact_configure().
 */
#include "redact.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

/* Triggers are at least this long: the index covers their first bytes. */
#define TRIGGER_MIN 3

/* Is secret[0..n) really a secret? (Optional per pattern.) */
typedef int (*redact_check_fn)(const char *secret, size_t n);

struct builtin {
    const char *name;
    const char *regex;
    int flags; /* REG_ICASE or 0 */
    unsigned char
        groups[TP_REDACT_MAX_GROUPS]; /* groups holding the secret; {0}: the whole match */
    const char *need_all;             /* characters that must all occur */
    const char *need_any;             /* at least one must occur (NULL: no condition) */
    int ci;                           /* triggers are case-insensitive */
    const char *triggers[TP_REDACT_MAX_TRIGGERS];
    redact_check_fn check;
};

/* A secret is a run of characters that cannot end a shell word or a JSON
 * string: no blank, quote, backslash or separator. QSECRET (one group) is
 * such a run, or a whole quoted string, or a run after an opening quote
 * whose closing one is missing (a cut text). */
#define SECRET "[^][:space:]\"'`\\\\,;&|<>()]+"
#define QSECRET "(\"[^\"]*\"|'[^']*'|[\"']?" SECRET ")"

static int basic_credentials(const char *s, size_t n);

/* The built-in patterns, applied in this order: providers' token formats
 * first (they replace only the token, so `GITHUB_TOKEN=ghp_...` reads
 * `GITHUB_TOKEN=[REDACTED]` whichever pattern sees it first), then the
 * places secrets sit in commands. */
static const struct builtin builtins[] = {
    /* PEM and OpenSSH private keys, PGP private key blocks, with their
     * headers ("Proc-Type: 4,ENCRYPTED") and END line when present. */
    {"private-key",
     "-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----([^-'\"]|-[^-'\"])*"
     "(-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----)?",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"-----BEGIN", NULL},
     NULL},
    {"jwt",
     "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}",
     0,
     {0},
     ".",
     NULL,
     0,
     {"eyJ", NULL},
     NULL},
    /* ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-
     * server, ghr_ refresh tokens; github_pat_ fine-grained tokens. */
    {"github-token",
     "gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", NULL},
     NULL},
    /* Personal/project/group access, pipeline trigger, deploy, runner and
     * CI job tokens. */
    {"gitlab-token",
     "gl(pat|ptt|dt|rt|cbt)-[A-Za-z0-9_-]{20,}",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", NULL},
     NULL},
    {"slack-token", "xox[abposre]-[A-Za-z0-9-]{10,}", 0, {0}, NULL, NULL, 0, {"xox", NULL}, NULL},
    {"slack-webhook",
     "hooks\\.slack\\.com/(services|workflows|triggers)/([A-Za-z0-9_/-]+)",
     REG_ICASE,
     {2},
     NULL,
     NULL,
     1,
     {"hooks.slack.com", NULL},
     NULL},
    /* Secret and restricted keys, live and test; webhook signing secrets.
     * (pk_ publishable keys are public.) */
    {"stripe-key",
     "[sr]k_(live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"k_live_", "k_test_", "whsec_", NULL},
     NULL},
    {"google-api-key", "AIza[0-9A-Za-z_-]{35}", 0, {0}, NULL, NULL, 0, {"AIza", NULL}, NULL},
    /* OAuth access tokens and OAuth client secrets. */
    {"google-oauth",
     "ya29\\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,}",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"ya29.", "GOCSPX-", NULL},
     NULL},
    {"anthropic-key", "sk-ant-[A-Za-z0-9_-]{20,}", 0, {0}, NULL, NULL, 0, {"sk-", NULL}, NULL},
    /* sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...: a word of its
     * own, so that "disk-usage-report-2024-final" keeps its "sk-". */
    {"openai-key",
     "(^|[^A-Za-z0-9_-])(sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})",
     0,
     {2},
     NULL,
     NULL,
     0,
     {"sk-", NULL},
     NULL},
    {"npm-token", "npm_[A-Za-z0-9]{36}", 0, {0}, NULL, NULL, 0, {"npm_", NULL}, NULL},
    /* Access key ids of long-term (AKIA) and temporary (ASIA) keys. */
    {"aws-access-key-id",
     "(AKIA|ASIA)[0-9A-Z]{16}",
     0,
     {0},
     NULL,
     NULL,
     0,
     {"AKIA", "ASIA", NULL},
     NULL},
    /* 123456789:AA... alone or in api.telegram.org/bot<token>/. */
    {"telegram-bot-token",
     "(^|[^0-9])([0-9]{8,10}:[A-Za-z0-9_-]{30,})",
     0,
     {2},
     ":",
     NULL,
     1,
     {"telegram", ":AA", NULL},
     NULL},
    /* scheme://user:SECRET@host: the password may hold '@', not '/'. */
    {"url-credentials",
     "[a-z][a-z0-9+.-]*://[^/:@[:space:]\"'\\\\]+:([^/[:space:]\"'`\\\\]+)@",
     REG_ICASE,
     {1},
     ":@/",
     NULL,
     0,
     {"://", NULL},
     NULL},
    /* Signatures and credentials of presigned S3 and GCS URLs. */
    {"presigned-url",
     "x-(amz-(signature|credential|security-token)|goog-(signature|credential))="
     "([^&[:space:]\"'#]+)",
     REG_ICASE,
     {4},
     "=",
     NULL,
     1,
     {"x-amz-", "x-goog-", NULL},
     NULL},
    /* `aws configure set aws_secret_access_key KEY`, `--aws-secret-access-
     * key KEY`, `aws_session_token = TOKEN` in a credentials file. */
    {"aws-secret",
     "aws[_-](secret[_-]access[_-]key|session[_-]token)[\"']?([[:space:]]*[=:][[:space:]]*|[[:"
     "space:]]+)" QSECRET,
     REG_ICASE,
     {3},
     NULL,
     NULL,
     1,
     {"secret", "token", NULL},
     NULL},
    /* npm's `//registry/:_authToken=T`, `npm config set ... _authToken T`,
     * the older `_auth=BASE64`. */
    {"npm-auth",
     "_auth(token)?[\"']?([[:space:]]*[=:][[:space:]]*|[[:space:]]+)" QSECRET,
     REG_ICASE,
     {3},
     NULL,
     NULL,
     1,
     {"_auth", NULL},
     NULL},
    {"auth-header",
     "(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|private-token|x-access-"
     "token)[\"']?[[:space:]]*[:=][[:space:]]*(bearer[[:space:]]+|basic[[:space:]]+|token[[:"
     "space:]]+|bot[[:space:]]+)?" QSECRET,
     REG_ICASE,
     {3},
     NULL,
     ":=",
     1,
     {"authoriz", "key", "token", NULL},
     NULL},
    /* The whole value of a Cookie or Set-Cookie header. */
    {"cookie",
     "(^|[^a-z0-9_-])(set-)?cookie[\"']?[[:space:]]*:[[:space:]]*[\"']?([^\"'\r\n]+)",
     REG_ICASE,
     {3},
     ":",
     NULL,
     1,
     {"cookie", NULL},
     NULL},
    {"bearer",
     "bearer[[:space:]]+([A-Za-z0-9._~+/=-]{8,})",
     REG_ICASE,
     {1},
     NULL,
     NULL,
     1,
     {"bearer", NULL},
     NULL},
    /* "Basic BASE64" wherever it is, when BASE64 decodes to user:password. */
    {"basic-auth",
     "basic[[:space:]]+([A-Za-z0-9+/]{6,}={0,2})",
     REG_ICASE,
     {1},
     NULL,
     NULL,
     1,
     {"basic", NULL},
     basic_credentials},
    /* curl -u user:pw, -su user:pw, --user user:pw, --proxy-user, -U; the
     * user stays. Any command holding "curl" (pipelines too). */
    {"curl-user",
     "(^|[[:space:]])(-[a-zA-Z]*[uU][[:space:]]*|--(proxy-)?user[[:space:]]*=?[[:space:]]*)"
     "(\"[^\":]*:([^\"]*)\"|'[^':]*:([^']*)'|[^:[:space:]\"']*:(" SECRET "))",
     0,
     {5, 6, 7},
     ":",
     NULL,
     1,
     {"curl", NULL},
     NULL},
    /* mysql -pSECRET (the password glued to -p; `-p NAME` prompts and
     * NAME is the database), in the command that starts with mysql,
     * mysqldump, mysqladmin or mariadb (up to a | ; or &). */
    {"mysql-password",
     "(mysql|mariadb)[a-z-]*([^|;&]*[[:space:]])?-p" QSECRET,
     0,
     {3},
     NULL,
     NULL,
     1,
     {"mysql", "mariadb", NULL},
     NULL},
    /* docker / podman / helm registry / oc / cf login -p SECRET, -pSECRET,
     * --password SECRET (not --password-stdin), in the command that has
     * "login" (up to a | ; or &). */
    {"login-password",
     "login([^|;&]*[[:space:]])?(-p([[:space:]]+|=)?|--password([[:space:]]+|=))" QSECRET,
     0,
     {5},
     NULL,
     NULL,
     1,
     {"login", NULL},
     NULL},
    /* sshpass -p SECRET after its other options (-f FILE, -d FD, -P
     * PROMPT, -e, -v), and SSHPASS=SECRET. `ssh -p PORT` after it stays. */
    {"sshpass",
     "(SSHPASS|sshpass)=" QSECRET
     "|sshpass(([[:space:]]+(-[fdP][[:space:]]*[^-[:space:]][^[:space:]]*|-[a-oq-zA-Z]+))*)"
     "[[:space:]]+-p[[:space:]]*" QSECRET,
     0,
     {2, 6},
     NULL,
     NULL,
     1,
     {"sshpass", NULL},
     NULL},
    {"secret-flag",
     "--(password|passwd|pass|passphrase|token|secret|secret-key|secret-access-key|api-key|"
     "apikey|access-key|auth-token|auth|private-key|client-secret|cookie)(=|[[:space:]]+)" QSECRET,
     REG_ICASE,
     {3},
     "-",
     NULL,
     1,
     {"pass", "token", "secret", "key", "cookie", "--auth", NULL},
     NULL},
    /* NAME=SECRET, NAME: SECRET, "NAME": "SECRET", where NAME says secret. */
    {"secret-assign",
     "(^|[^a-z0-9_-])[a-z0-9_-]*(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
     "private[_-]?key|auth[_-]?key|credential|passphrase)[a-z0-9_-]*[\"']?[[:space:]]*[=:][[:"
     "space:]]*" QSECRET,
     REG_ICASE,
     {3},
     NULL,
     ":=",
     1,
     {"pass", "pwd", "secret", "token", "key", "credential", NULL},
     NULL},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

struct pattern {
    char name[48];
    regex_t re;
    /* Built-ins are compiled on first use: most processes (every hook
     * call) never meet a text that triggers them, and regcomp() of the set
     * costs more than the rest of a hook call. */
    const char *source;
    int flags;
    atomic_int compiled;
    unsigned char groups[TP_REDACT_MAX_GROUPS];
    const char *need_all, *need_any; /* see struct builtin */
    int ci;
    const char *triggers[TP_REDACT_MAX_TRIGGERS]; /* NULL-terminated; none: always run */
    redact_check_fn check;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct pattern patterns[TP_REDACT_MAX_PATTERNS];
static char *owned_source[TP_REDACT_MAX_PATTERNS];  /* regex of an added pattern */
static char *owned_trigger[TP_REDACT_MAX_PATTERNS]; /* its derived trigger */
static size_t npatterns;
static int loaded, disabled;
static char *loaded_dir;

static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

/* The triggers of the current set (one slot per distinct text), indexed by
 * their first three bytes (both cases for a case-insensitive one);
 * rebuilt by index_triggers() whenever the set changes. Slots and patterns
 * both fit a 64-bit mask. */
#define MAX_SLOTS 64
struct slot {
    const char *text;
    size_t len;
    int ci;
    uint64_t patterns; /* the patterns this trigger wakes */
};
static struct slot slots[MAX_SLOTS];
static size_t nslots;
static uint64_t slot_byte[TRIGGER_MIN][256]; /* slots whose byte k may be this */
static uint64_t all_slots;
static uint64_t untriggered; /* patterns without triggers: always run */

/* Compile a pattern the first time a text triggers it (any thread). */
static void ensure_compiled(struct pattern *p)
{
    if (atomic_load(&p->compiled))
        return;
    pthread_mutex_lock(&compile_lock);
    if (!atomic_load(&p->compiled)) {
        if (regcomp(&p->re, p->source, REG_EXTENDED | p->flags) != 0)
            abort(); /* our own regexes (added ones are compiled when read): a bug */
        atomic_store(&p->compiled, 1);
    }
    pthread_mutex_unlock(&compile_lock);
}

static void free_pattern(size_t i)
{
    if (atomic_load(&patterns[i].compiled))
        regfree(&patterns[i].re);
    free(owned_source[i]);
    free(owned_trigger[i]);
    owned_source[i] = owned_trigger[i] = NULL;
}

/* Drop the current set and load the built-ins (under the write lock). */
static void load_builtins(void)
{
    for (size_t i = 0; i < npatterns; i++)
        free_pattern(i);
    npatterns = 0;
    for (size_t i = 0; i < NBUILTIN; i++) {
        struct pattern *p = &patterns[npatterns++];
        /* Built-in names fit (checked by the unit tests' list of them);
         * the cut is only a guard. Not snprintf: this runs in every hook. */
        size_t nl = strnlen(builtins[i].name, sizeof p->name - 1);
        memcpy(p->name, builtins[i].name, nl);
        p->name[nl] = '\0';
        p->source = builtins[i].regex;
        p->flags = builtins[i].flags;
        atomic_store(&p->compiled, 0);
        memcpy(p->groups, builtins[i].groups, sizeof p->groups);
        memcpy(p->triggers, builtins[i].triggers, sizeof p->triggers);
        p->need_all = builtins[i].need_all;
        p->need_any = builtins[i].need_any;
        p->ci = builtins[i].ci;
        p->check = builtins[i].check;
    }
    const char *env = getenv("TOOLPROF_REDACT");
    disabled = env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0);
}

static void drop(size_t i)
{
    free_pattern(i);
    memmove(&patterns[i], &patterns[i + 1], (npatterns - i - 1) * sizeof patterns[0]);
    memmove(&owned_source[i], &owned_source[i + 1], (npatterns - i - 1) * sizeof owned_source[0]);
    memmove(&owned_trigger[i], &owned_trigger[i + 1],
            (npatterns - i - 1) * sizeof owned_trigger[0]);
    npatterns--;
    owned_source[npatterns] = owned_trigger[npatterns] = NULL;
}

/* The literal text every match of an extended regex starts with, when it
 * is at least TRIGGER_MIN bytes: an added pattern's trigger. Conservative:
 * no trigger for a regex with an alternation anywhere, and a literal
 * followed by *, ? or { is not counted (it may be absent). */
static char *derive_trigger(const char *re)
{
    char lit[64];
    size_t n = 0;
    if (strchr(re, '|'))
        return NULL;
    const char *p = re + (*re == '^');
    while (*p && n < sizeof lit - 1) {
        char c;
        const char *next;
        if (*p == '\\') {
            /* An escaped punctuation character is itself; \w, \1 ... are not. */
            if (!p[1] || isalnum((unsigned char)p[1]))
                break;
            c = p[1];
            next = p + 2;
        } else if (strchr(".[]()*+?{}|^$", *p) || (unsigned char)*p >= 0x80) {
            break;
        } else {
            c = *p;
            next = p + 1;
        }
        if (*next == '*' || *next == '?' || *next == '{')
            break;
        lit[n++] = c;
        p = next;
        if (*next == '+')
            break;
    }
    lit[n] = '\0';
    return n >= TRIGGER_MIN ? xstrdup(lit) : NULL;
}

/* The verb and name of a line, and where its regex starts. */
static int parse_line(char *p, char *verb, size_t nverb, char *name, size_t nname,
                      const char **rest)
{
    size_t v = strcspn(p, " \t");
    if (v == 0 || v >= nverb)
        return -1;
    memcpy(verb, p, v);
    verb[v] = '\0';
    p += v;
    p += strspn(p, " \t");
    size_t m = strcspn(p, " \t");
    if (m == 0 || m >= nname)
        return -1;
    memcpy(name, p, m);
    name[m] = '\0';
    p += m;
    p += strspn(p, " \t");
    *rest = p;
    return 0;
}

static int load_file(const char *dir, const char *file, char *errbuf)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0; /* no file: nothing to add */
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: line longer than %zu bytes", file, lineno,
                         sizeof line - 2);
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        char verb[8], name[48];
        const char *regex;
        if (parse_line(p, verb, sizeof verb, name, sizeof name, &regex) != 0) {
            rc = tp_fail(errbuf, TP_EINVAL,
                         "%s:%d: expected \"add NAME REGEX\" or \"off NAME\" (NAME: at most %zu "
                         "characters)",
                         file, lineno, sizeof name - 1);
        } else if (strcmp(verb, "off") == 0 && !*regex) {
            for (size_t i = npatterns; i-- > 0;)
                if (strcmp(name, "all") == 0 || strcmp(patterns[i].name, name) == 0)
                    drop(i);
        } else if (strcmp(verb, "add") == 0 && *regex) {
            struct pattern *pt = &patterns[npatterns];
            if (npatterns == TP_REDACT_MAX_PATTERNS) {
                rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: more than %d patterns", file, lineno,
                             TP_REDACT_MAX_PATTERNS);
            } else if (regcomp(&pt->re, regex, REG_EXTENDED | REG_ICASE) != 0) {
                rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: not a valid POSIX extended regex", file,
                             lineno);
            } else {
                memset(pt->name, 0, sizeof pt->name);
                snprintf(pt->name, sizeof pt->name, "%s", name);
                owned_source[npatterns] = xstrdup(regex);
                pt->source = owned_source[npatterns];
                pt->flags = REG_ICASE;
                atomic_store(&pt->compiled, 1);
                memset(pt->groups, 0, sizeof pt->groups);
                pt->groups[0] = pt->re.re_nsub > 0 ? 1 : 0; /* the first group, if any */
                pt->need_all = pt->need_any = NULL;
                pt->ci = 1;
                pt->check = NULL;
                memset(pt->triggers, 0, sizeof pt->triggers);
                owned_trigger[npatterns] = derive_trigger(regex);
                pt->triggers[0] = owned_trigger[npatterns];
                npatterns++;
            }
        } else {
            rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: expected \"add NAME REGEX\" or \"off NAME\"",
                         file, lineno);
        }
    }
    fclose(fp);
    return rc;
}

static void slot_index(size_t k, unsigned char c, int ci, size_t slot)
{
    slot_byte[k][c] |= 1ULL << slot;
    if (ci) {
        slot_byte[k][(unsigned char)tolower(c)] |= 1ULL << slot;
        slot_byte[k][(unsigned char)toupper(c)] |= 1ULL << slot;
    }
}

static void index_triggers(void)
{
    nslots = 0;
    all_slots = untriggered = 0;
    memset(slot_byte, 0, sizeof slot_byte);
    for (size_t i = 0; i < npatterns; i++) {
        struct pattern *p = &patterns[i];
        size_t t = 0;
        for (; t < TP_REDACT_MAX_TRIGGERS && p->triggers[t]; t++) {
            const char *text = p->triggers[t];
            size_t len = strlen(text), s;
            if (len < TRIGGER_MIN)
                abort(); /* built-ins: a bug; derived ones are long enough */
            for (s = 0; s < nslots; s++)
                if (slots[s].ci == p->ci && slots[s].len == len &&
                    memcmp(slots[s].text, text, len) == 0)
                    break;
            if (s == nslots) {
                if (nslots == MAX_SLOTS) {
                    /* Only added patterns can get here: they run always. */
                    for (size_t u = 0; u < nslots; u++)
                        slots[u].patterns &= ~(1ULL << i);
                    t = 0;
                    break;
                }
                slots[nslots] = (struct slot){text, len, p->ci, 0};
                for (size_t k = 0; k < TRIGGER_MIN; k++)
                    slot_index(k, (unsigned char)text[k], p->ci, nslots);
                all_slots |= 1ULL << nslots;
                nslots++;
            }
            slots[s].patterns |= 1ULL << i;
        }
        if (t == 0)
            untriggered |= 1ULL << i;
    }
}

int redact_configure(const char *data_dir, char *errbuf)
{
    pthread_rwlock_wrlock(&lock);
    int rc = 0;
    if (!loaded || (data_dir && (!loaded_dir || strcmp(loaded_dir, data_dir) != 0))) {
        load_builtins();
        free(loaded_dir);
        loaded_dir = data_dir ? xstrdup(data_dir) : NULL;
        if (data_dir) {
            rc = load_file(data_dir, REDACT_CONF, errbuf);
            if (rc == 0)
                rc = load_file(data_dir, REDACT_PATTERNS, errbuf);
        }
        index_triggers();
        loaded = 1;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

/* The slots whose every pattern is in `hit`: no need to look for them. */
static uint64_t slots_done(uint64_t hit)
{
    uint64_t done = 0;
    for (size_t s = 0; s < nslots; s++)
        if (!(slots[s].patterns & ~hit))
            done |= 1ULL << s;
    return done;
}

/* The patterns with a trigger in s: one pass over s, comparing strings
 * only where the first three bytes of a trigger are. */
static uint64_t find_triggers(const char *s)
{
    uint64_t hit = 0, want = all_slots;
    for (const unsigned char *p = (const unsigned char *)s; *p && want; p++) {
        uint64_t m = slot_byte[0][p[0]] & want;
        if (!m || !(m &= slot_byte[1][p[1]]) || !(m &= slot_byte[2][p[2]]))
            continue; /* p[2] is read only after p[1] matched, so p[1] is no NUL */
        while (m) {
            const struct slot *t = &slots[__builtin_ctzll(m)];
            m &= m - 1;
            const char *rest = (const char *)p + TRIGGER_MIN, *trest = t->text + TRIGGER_MIN;
            size_t n = t->len - TRIGGER_MIN;
            if (n && (t->ci ? strncasecmp(rest, trest, n) : strncmp(rest, trest, n)) != 0)
                continue;
            hit |= t->patterns;
            want &= ~slots_done(hit);
            m &= want;
        }
    }
    return hit;
}

/* Whether p's character conditions hold in s (see struct builtin). */
static int chars_present(const struct pattern *p, const char *s)
{
    for (const char *c = p->need_all; c && *c; c++)
        if (!strchr(s, *c))
            return 0;
    return !p->need_any || strpbrk(s, p->need_any) != NULL;
}

/* Whether the secret g[0..n) is only what a cut left (see REDACT_CUT_MARK):
 * it ends the text with the ellipsis, after a prefix of REDACT_MARK. */
static int cut_remnant(const char *g, size_t n)
{
    const size_t e = sizeof REDACT_CUT_MARK - 1;
    if (n < e || g[n] != '\0' || memcmp(g + n - e, REDACT_CUT_MARK, e) != 0)
        return 0;
    return n - e < sizeof REDACT_MARK && strncmp(g, REDACT_MARK, n - e) == 0;
}

/* The secret of a match, as offsets into the text: the first listed group
 * that took part, inside its quotes when it is quoted. 0 when there is
 * none worth replacing. */
static int secret_span(const struct pattern *p, const char *text, const regmatch_t *m, regoff_t *so,
                       regoff_t *eo)
{
    const regmatch_t *g = NULL;
    for (size_t k = 0; k < TP_REDACT_MAX_GROUPS && (k == 0 || p->groups[k]); k++) {
        if (p->groups[k] <= p->re.re_nsub && m[p->groups[k]].rm_so >= 0) {
            g = &m[p->groups[k]];
            break;
        }
    }
    if (!g)
        return 0;
    *so = g->rm_so;
    *eo = g->rm_eo;
    if (*eo > *so && (text[*so] == '"' || text[*so] == '\'')) {
        char q = text[(*so)++];
        if (*eo > *so && text[*eo - 1] == q)
            (*eo)--;
    }
    return *eo > *so;
}

/* Apply one pattern; returns a new string or NULL when it did not match. */
static char *apply(const struct pattern *p, const char *s)
{
    regmatch_t m[10];
    struct buf out;
    int changed = 0;
    size_t off = 0, len = strlen(s);
    /* Room for the worst case, every other byte a one-byte secret: a cap
     * the output could hit would leave its secrets in place. */
    buf_init(&out, len * sizeof REDACT_MARK + 64);
    while (off <= len && regexec(&p->re, s + off, 10, m, off ? REG_NOTBOL : 0) == 0) {
        const char *t = s + off;
        regoff_t so, eo;
        if (!secret_span(p, t, m, &so, &eo) ||
            memmem(t + so, (size_t)(eo - so), REDACT_MARK, sizeof REDACT_MARK - 2) ||
            (t[eo] == '\0' && cut_remnant(t + so, (size_t)(eo - so))) ||
            (p->check && !p->check(t + so, (size_t)(eo - so)))) {
            /* Nothing of the secret took part, it holds one another
             * pattern already replaced, it is a cut's remnant, or not a
             * secret after all: skip past this match. */
            size_t adv = m[0].rm_eo > 0 ? (size_t)m[0].rm_eo : 1;
            buf_add(&out, t, adv <= len - off ? adv : len - off);
            off += adv;
            continue;
        }
        buf_add(&out, t, (size_t)so);
        buf_adds(&out, REDACT_MARK);
        buf_add(&out, t + eo, (size_t)(m[0].rm_eo - eo)); /* a closing quote */
        off += (size_t)m[0].rm_eo;
        changed = 1;
        if (m[0].rm_eo == 0)
            off++; /* never loop on an empty match */
    }
    if (!changed || out.toobig) {
        buf_free(&out);
        return NULL;
    }
    if (off < len)
        buf_add(&out, s + off, len - off);
    return buf_steal(&out, NULL);
}

char *redact_text(const char *s)
{
    if (!s || !*s)
        return NULL;
    pthread_rwlock_rdlock(&lock);
    if (!loaded) {
        pthread_rwlock_unlock(&lock);
        redact_configure(NULL, NULL);
        pthread_rwlock_rdlock(&lock);
    }
    char *cur = NULL;
    /* Triggers are looked for in s, not in what earlier patterns made of
     * it: a replacement only removes text ("[REDACTED]" holds no trigger),
     * and every regex needs its trigger to match, so a pattern whose
     * trigger went with an earlier replacement simply finds nothing. */
    uint64_t run = disabled ? 0 : find_triggers(s) | untriggered;
    while (run) {
        struct pattern *p = &patterns[__builtin_ctzll(run)];
        run &= run - 1;
        if (!chars_present(p, s))
            continue;
        ensure_compiled(p);
        char *next = apply(p, cur ? cur : s);
        if (next) {
            free(cur);
            cur = next;
        }
    }
    pthread_rwlock_unlock(&lock);
    return cur;
}

int redact_field(char **field)
{
    char *r = redact_text(*field);
    if (!r)
        return 0;
    free(*field);
    *field = r;
    return 1;
}

/* ---- checks ------------------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Whether s[0..n) is base64 of printable "user:password" (a Basic
 * credential), rather than a word that follows "basic" in prose. A longer
 * one than we decode is taken as a credential. */
static int basic_credentials(const char *s, size_t n)
{
    unsigned char out[192];
    size_t k = 0, bits = 0;
    unsigned acc = 0;
    int colon = 0;
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return 0;
    if (n > sizeof out * 4 / 3)
        return 1;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return 0;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    for (size_t i = 0; i < k; i++) {
        if (out[i] < 0x20 || out[i] == 0x7f)
            return 0;
        colon |= out[i] == ':';
    }
    return colon && out[0] != ':';
}
