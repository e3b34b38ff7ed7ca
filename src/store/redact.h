/*
 * redact.h - secrets out of targets before they are stored.
 *
 * Targets are shell commands and URLs, and people put secrets in those:
 * `curl -H "Authorization: Bearer ..."`, `psql postgres://me:pw@db`,
 * `export GITHUB_TOKEN=ghp_...`, `mysql --password=...`. op_normalize()
 * passes every target, error and metadata string through redact_text()
 * before anything is stored, so no source can bypass it.
 *
 * Built-in patterns, each replaceable by name (only the secret part is
 * replaced, by "[REDACTED]", so the command stays readable):
 *   url-credentials   scheme://user:SECRET@host
 *   auth-header       Authorization / Proxy-Authorization / X-Api-Key /
 *                     X-Auth-Token: [Bearer|Basic|Token] SECRET
 *   bearer            Bearer SECRET (anywhere)
 *   secret-assign     NAME=SECRET or NAME: SECRET where NAME contains
 *                     password, passwd, pwd, secret, token, api_key,
 *                     apikey, access_key, private_key or credential
 *   secret-flag       --password SECRET, --token=SECRET, --api-key ... and
 *                     the like
 *   known-tokens      GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_),
 *                     Anthropic and OpenAI (sk-...), AWS access key ids
 *                     (AKIA/ASIA...), Slack (xox?-...), Google (AIza...),
 *                     JWTs, and PEM private key blocks
 *
 * Configuration: redaction is on by default. TOOLPROF_REDACT=off turns it
 * off. A file `redact.conf` in the data directory may hold, one per line:
 *     off NAME           turn a built-in pattern off ("off all": every one)
 *     add NAME REGEX     add a POSIX extended regex (case-insensitive); its
 *                        first group is replaced, or the whole match when
 *                        it has no group
 *     # comment
 */
#ifndef TOOLPROF_REDACT_H
#define TOOLPROF_REDACT_H

#include <stddef.h>

#define REDACT_MARK "[REDACTED]"
/* What op_normalize() appends to a field it cuts at its limit (U+2026).
 * Redaction leaves a secret alone when it is only what a cut left of one:
 * the ellipsis, after nothing or after the start of REDACT_MARK, at the very
 * end ("token=[REDAC\u2026", "--token \u2026"). So normalizing a normalized
 * field again changes nothing. */
#define REDACT_CUT_MARK "\xE2\x80\xA6"
#define REDACT_CONF "redact.conf"

/* Load the configuration for this process: the built-in patterns, then
 * data_dir/redact.conf when it exists (data_dir may be NULL). Idempotent
 * per data directory; safe to call from several threads. Returns 0, or
 * TP_EINVAL with "redact.conf:LINE: message" in errbuf for a bad file
 * (the built-ins stay in force). */
int redact_configure(const char *data_dir, char *errbuf);

/* s with every secret replaced by REDACT_MARK: a malloc'd string, or NULL
 * when nothing matched (the common case costs one pass over s).
 * Uses the built-ins when redact_configure() was never called. */
char *redact_text(const char *s);

/* Replace *field in place when it holds a secret; returns 1 if changed. */
int redact_field(char **field);

#endif
