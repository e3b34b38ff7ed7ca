/*
 * redact.c - secrets out of targets (see redact.h).
 *
 * Each pattern is a POSIX extended regex plus a few literal "triggers":
 * the regex runs only when one of its triggers occurs in the text, so the
 * usual target, a file path, costs one pass over its bytes and no regex at
 * all. That matters: every operation of a bulk import passes here. The
 * pass looks for every trigger at once (find_triggers()): a strcasestr()
 * per trigger cost 11 % of a bulk insert's instructions.
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

#define MAX_TRIGGERS 16
#define MAX_PATTERNS 64

struct pattern {
    char name[48];
    regex_t re;
    /* Built-ins are compiled on first use: most processes (every hook
     * call) never meet a text that triggers them, and regcomp() of the set
     * costs more than the rest of a hook call. */
    const char *source;
    int flags;
    atomic_int compiled;
    int group;                       /* subexpression to replace; 0 = the whole match */
    const char *need_all, *need_any; /* see struct builtin */
    int ci;
    const char *triggers[MAX_TRIGGERS]; /* NULL-terminated; none: always run */
};

struct builtin {
    const char *name;
    const char *regex;
    int flags;
    int group;
    const char *need_all; /* characters that must all occur */
    const char *need_any; /* at least one must occur (NULL: no condition) */
    int ci;               /* triggers are case-insensitive */
    const char *triggers[MAX_TRIGGERS];
};

/* A secret is a run of characters that cannot end a shell word or a JSON
 * string: no blank, quote, backslash or separator. */
#define SECRET "[^][:space:]\"'`\\\\,;&|<>()]+"

static const struct builtin builtins[] = {
    {"url-credentials",
     "[a-z][a-z0-9+.-]*://[^/:@[:space:]\"'\\\\]+:(" SECRET ")@",
     REG_ICASE,
     1,
     ":@/",
     NULL,
     0,
     {"://", NULL}},
    {"auth-header",
     "(authorization|proxy-authorization|x-api-key|api-key|x-auth-token)[[:space:]]*[:=]"
     "[[:space:]]*(bearer[[:space:]]+|basic[[:space:]]+|token[[:space:]]+)?(" SECRET ")",
     REG_ICASE,
     3,
     NULL,
     ":=",
     1,
     {"authoriz", "api-key", "auth-token", NULL}},
    {"bearer",
     "bearer[[:space:]]+([A-Za-z0-9._~+/=-]{8,})",
     REG_ICASE,
     1,
     NULL,
     NULL,
     1,
     {"bearer", NULL}},
    {"secret-assign",
     "(^|[^a-z0-9_])[a-z0-9_]*(password|passwd|pwd|secret|token|api_?key|access_?key|"
     "private_?key|credential)[a-z0-9_]*[[:space:]]*[=:][[:space:]]*\"?(" SECRET ")",
     REG_ICASE,
     3,
     NULL,
     ":=",
     1,
     {"pass", "pwd", "secret", "token", "key", "credential", NULL}},
    {"secret-flag",
     "--(password|passwd|token|secret|api-key|apikey|access-key|auth-token|auth|"
     "private-key|client-secret)(=|[[:space:]]+)\"?(" SECRET ")",
     REG_ICASE,
     3,
     "-",
     NULL,
     1,
     {"--pass", "--token", "--secret", "--api", "--access", "--auth", "--private",
      "--client-secret", NULL}},
    {"known-tokens",
     "((ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|"
     "sk-(ant-)?[A-Za-z0-9_-]{20,}|(AKIA|ASIA)[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|"
     "AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}|"
     "-----BEGIN [A-Z ]*PRIVATE KEY-----[^-'\"]*)",
     0,
     1,
     NULL,
     NULL,
     0,
     {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "AKIA", "ASIA", "xox", "AIza",
      "eyJ", "-----BEGIN", NULL}},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct pattern patterns[MAX_PATTERNS];
static char *owned_triggers[MAX_PATTERNS]; /* for added patterns */
static size_t npatterns;
static int loaded, disabled;
static char *loaded_dir;

static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

/* The triggers of the current set, indexed by the bytes they can start
 * with (both cases for a case-insensitive one); rebuilt by
 * index_triggers() whenever the set changes. Patterns and slots both fit a
 * 64-bit mask. */
#define MAX_SLOTS 64
struct slot {
    const char *text;
    size_t len;
    int ci;
    size_t pattern;
};
static struct slot slots[MAX_SLOTS];
static size_t nslots;
static uint64_t slot_first[256]; /* slots whose trigger may start with this byte */
static uint64_t pattern_slots[MAX_PATTERNS];

static int compile(struct pattern *p, const char *name, const char *regex, int flags, int group)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    p->group = group;
    p->source = regex;
    p->flags = flags;
    int ok = regcomp(&p->re, regex, REG_EXTENDED | flags) == 0;
    atomic_store(&p->compiled, ok);
    return ok ? 0 : -1;
}

/* Compile a built-in the first time a text triggers it (any thread). */
static void ensure_compiled(struct pattern *p)
{
    if (atomic_load(&p->compiled))
        return;
    pthread_mutex_lock(&compile_lock);
    if (!atomic_load(&p->compiled)) {
        if (regcomp(&p->re, p->source, REG_EXTENDED | p->flags) != 0)
            abort(); /* our own regexes: a typo is a bug */
        atomic_store(&p->compiled, 1);
    }
    pthread_mutex_unlock(&compile_lock);
}

/* Drop the current set and load the built-ins (under the write lock). */
static void load_builtins(void)
{
    for (size_t i = 0; i < npatterns; i++) {
        if (atomic_load(&patterns[i].compiled))
            regfree(&patterns[i].re);
        free(owned_triggers[i]);
        owned_triggers[i] = NULL;
    }
    npatterns = 0;
    for (size_t i = 0; i < NBUILTIN; i++) {
        struct pattern *p = &patterns[npatterns];
        snprintf(p->name, sizeof p->name, "%s", builtins[i].name);
        p->group = builtins[i].group;
        p->source = builtins[i].regex;
        p->flags = builtins[i].flags;
        atomic_store(&p->compiled, 0);
        memcpy(p->triggers, builtins[i].triggers, sizeof p->triggers);
        p->need_all = builtins[i].need_all;
        p->need_any = builtins[i].need_any;
        p->ci = builtins[i].ci;
        npatterns++;
    }
    const char *env = getenv("TOOLPROF_REDACT");
    disabled = env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0);
}

static void drop(size_t i)
{
    if (atomic_load(&patterns[i].compiled))
        regfree(&patterns[i].re);
    free(owned_triggers[i]);
    memmove(&patterns[i], &patterns[i + 1], (npatterns - i - 1) * sizeof patterns[0]);
    memmove(&owned_triggers[i], &owned_triggers[i + 1],
            (npatterns - i - 1) * sizeof owned_triggers[0]);
    npatterns--;
    owned_triggers[npatterns] = NULL;
}

static int load_file(const char *path, char *errbuf)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0; /* no file: the built-ins */
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        char verb[8], name[48];
        int used = 0;
        if (sscanf(p, "%7s %47s %n", verb, name, &used) < 2) {
            rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: expected \"off NAME\" or \"add NAME REGEX\"",
                         REDACT_CONF, lineno);
        } else if (strcmp(verb, "off") == 0) {
            for (size_t i = npatterns; i-- > 0;)
                if (strcmp(name, "all") == 0 || strcmp(patterns[i].name, name) == 0)
                    drop(i);
        } else if (strcmp(verb, "add") == 0 && p[used] && npatterns < MAX_PATTERNS) {
            struct pattern *pt = &patterns[npatterns];
            if (compile(pt, name, p + used, REG_ICASE, 0) != 0) {
                rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: not a valid POSIX extended regex",
                             REDACT_CONF, lineno);
            } else {
                /* Replace the first group when there is one. */
                pt->group = pt->re.re_nsub > 0 ? 1 : 0;
                pt->triggers[0] = NULL;
                pt->need_all = pt->need_any = NULL;
                npatterns++;
            }
        } else {
            rc = tp_fail(errbuf, TP_EINVAL, "%s:%d: expected \"off NAME\" or \"add NAME REGEX\"",
                         REDACT_CONF, lineno);
        }
    }
    fclose(fp);
    return rc;
}

static void index_triggers(void)
{
    nslots = 0;
    memset(slot_first, 0, sizeof slot_first);
    for (size_t i = 0; i < npatterns; i++) {
        struct pattern *p = &patterns[i];
        pattern_slots[i] = 0;
        for (size_t t = 0; t < MAX_TRIGGERS && p->triggers[t]; t++) {
            if (nslots == MAX_SLOTS)
                abort(); /* only the built-ins have triggers: a bug */
            unsigned char c = (unsigned char)p->triggers[t][0];
            slots[nslots] = (struct slot){p->triggers[t], strlen(p->triggers[t]), p->ci, i};
            slot_first[c] |= 1ULL << nslots;
            if (p->ci) {
                slot_first[(unsigned char)tolower(c)] |= 1ULL << nslots;
                slot_first[(unsigned char)toupper(c)] |= 1ULL << nslots;
            }
            pattern_slots[i] |= 1ULL << nslots;
            nslots++;
        }
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
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", data_dir, REDACT_CONF);
            rc = load_file(path, errbuf);
        }
        index_triggers();
        loaded = 1;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

/* Which bytes occur in a string, as a 256-bit set: computed once per
 * string, it rules most patterns out without a single substring search. */
struct charset {
    uint64_t w[4];
};

static void charset_of(const char *s, struct charset *cs)
{
    memset(cs, 0, sizeof *cs);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        cs->w[*p >> 6] |= 1ULL << (*p & 63);
}

static int has(const struct charset *cs, unsigned char c)
{
    return (cs->w[c >> 6] >> (c & 63)) & 1;
}

/* Whether p's character conditions hold (see struct builtin). */
static int chars_present(const struct pattern *p, const struct charset *cs)
{
    for (const char *c = p->need_all; c && *c; c++)
        if (!has(cs, (unsigned char)*c))
            return 0;
    if (!p->need_any)
        return 1;
    for (const char *c = p->need_any; *c; c++)
        if (has(cs, (unsigned char)*c))
            return 1;
    return 0;
}

/* The patterns, among those whose slots are in `want`, with a trigger in
 * s: one pass over s, comparing only where a wanted trigger may start. */
static uint64_t find_triggers(const char *s, uint64_t want)
{
    uint64_t hit = 0;
    for (const char *p = s; *p && want; p++) {
        uint64_t m = slot_first[(unsigned char)*p] & want;
        while (m) {
            const struct slot *t = &slots[__builtin_ctzll(m)];
            m &= m - 1;
            if (t->ci ? strncasecmp(p, t->text, t->len) == 0 : strncmp(p, t->text, t->len) == 0) {
                hit |= 1ULL << t->pattern;
                want &= ~pattern_slots[t->pattern];
                m &= want;
            }
        }
    }
    return hit;
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

/* Apply one pattern; returns a new string or NULL when it did not match. */
static char *apply(const struct pattern *p, const char *s)
{
    regmatch_t m[10];
    struct buf out;
    int changed = 0;
    size_t off = 0, len = strlen(s);
    buf_init(&out, 2 * len + 64);
    while (off <= len && regexec(&p->re, s + off, 10, m, off ? REG_NOTBOL : 0) == 0) {
        regmatch_t g = m[p->group];
        if (g.rm_so < 0 || g.rm_eo <= g.rm_so ||
            strncmp(s + off + g.rm_so, REDACT_MARK, sizeof REDACT_MARK - 2) == 0 ||
            cut_remnant(s + off + g.rm_so, (size_t)(g.rm_eo - g.rm_so))) {
            /* The group did not take part, it is a secret another pattern
             * already replaced, or a cut's remnant: skip past this match. */
            size_t adv = m[0].rm_eo > 0 ? (size_t)m[0].rm_eo : 1;
            buf_add(&out, s + off, adv <= len - off ? adv : len - off);
            off += adv;
            continue;
        }
        buf_add(&out, s + off, (size_t)g.rm_so);
        buf_adds(&out, REDACT_MARK);
        off += (size_t)g.rm_eo;
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
    struct charset cs;
    charset_of(s, &cs);
    /* Triggers are looked for in s, not in what earlier patterns made of
     * it: a replacement only removes text ("[REDACTED]" holds no trigger),
     * and every regex needs its trigger to match, so a pattern whose
     * trigger went with an earlier replacement simply finds nothing. */
    uint64_t candidates = 0, want = 0;
    for (size_t i = 0; !disabled && i < npatterns; i++) {
        if (chars_present(&patterns[i], &cs)) {
            candidates |= 1ULL << i;
            want |= pattern_slots[i];
        }
    }
    uint64_t found = want ? find_triggers(s, want) : 0;
    for (size_t i = 0; !disabled && i < npatterns; i++) {
        const char *text = cur ? cur : s;
        if (!(candidates >> i & 1) || (pattern_slots[i] && !(found >> i & 1)))
            continue;
        ensure_compiled(&patterns[i]);
        char *next = apply(&patterns[i], text);
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
