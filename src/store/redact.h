/*
 * redact.h - secrets out of targets before they are stored.
 *
 * Targets are shell commands and URLs, and people put secrets in those:
 * `curl -H "Authorization: Bearer ..."`, `psql postgres://me:pw@db`,
 * `export GITHUB_TOKEN=ghp_...`, `mysql -pS3cret`. op_normalize() passes
 * every target, error and metadata string through redact_text() before
 * anything is stored, so no source can bypass it.
 *
 * The built-in patterns are one table in redact.c (docs/redaction.md lists
 * them): the secret formats of the big providers (GitHub, GitLab, Slack,
 * Stripe, Google, OpenAI, Anthropic, npm, AWS, Telegram, JWTs, private key
 * blocks) and the places secrets sit in commands (credentials in URLs,
 * Authorization and Cookie headers, Bearer and Basic credentials, presigned
 * URL signatures, `curl -u`, `mysql -p`, `docker login -p`, `sshpass -p`,
 * `aws configure set aws_secret_access_key`, npm's `_authToken`, NAME=VALUE
 * and --flag VALUE where the name says secret). Only the secret part is
 * replaced, by "[REDACTED]", so the command stays readable.
 *
 * Configuration: redaction is on by default; TOOLPROF_REDACT=off turns it
 * off. A file `redact.patterns` in the data directory (`redact.conf`, its
 * older name, is read too) may hold, one per line:
 *     add NAME REGEX     add a POSIX extended regex (case-insensitive); its
 *                        first group is replaced, or the whole match when
 *                        it has no group
 *     off NAME           turn a built-in or earlier pattern off ("off all":
 *                        every one so far)
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
/* The users' patterns, in the data directory; and their file's older name. */
#define REDACT_PATTERNS "redact.patterns"
#define REDACT_CONF "redact.conf"

/* Load the configuration for this process: the built-in patterns, then
 * data_dir/redact.conf and data_dir/redact.patterns when they exist
 * (data_dir may be NULL). Idempotent per data directory; safe to call from
 * several threads. Returns 0, or TP_EINVAL with "FILE:LINE: message" in
 * errbuf for a bad file (the lines before the bad one, and the built-ins,
 * stay in force). */
int redact_configure(const char *data_dir, char *errbuf);

/* s with every secret replaced by REDACT_MARK: a malloc'd string, or NULL
 * when nothing matched (the common case costs one pass over s).
 * Uses the built-ins when redact_configure() was never called. */
char *redact_text(const char *s);

/* Replace *field in place when it holds a secret; returns 1 if changed. */
int redact_field(char **field);

#endif
