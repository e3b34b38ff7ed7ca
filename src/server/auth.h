/*
 * auth.h - a team server's people and their tokens.
 *
 * A team server (docs/team.md) gives each person a token: `toolprof token
 * add NAME`, run on the server, prints a new one and appends its SHA-256,
 * never the token itself, to AUTH_FILE in the data directory (mode 0600).
 * The server reads the file when it starts and again whenever it changes.
 * A request's bearer token is hashed and compared, in constant time, with
 * every hash in the file; the match names the person. A person may read
 * the team's calls and write their own: every call a request stores is
 * stored under the token's person, and a request that names anyone else
 * is refused.
 */
#ifndef TOOLPROF_AUTH_H
#define TOOLPROF_AUTH_H

#include <stddef.h>

#define AUTH_FILE "team-tokens"
#define AUTH_NAME_MAX 64 /* a person's name: letters, digits, '.', '_', '-' */

/* A token as printed: "tp_" and 64 hex digits (256 random bits). */
#define AUTH_TOKEN_LEN 67

struct auth;

/* The tokens of a data directory (none yet is fine: the file may come
 * later). Never NULL. */
struct auth *auth_open(const char *data_dir);
void auth_free(struct auth *a);

/* Does the team have any person? (Reads the file again if it changed.) */
int auth_active(struct auth *a);

/* The person whose token this is: 1 with the name in person (size bytes),
 * 0 when it is nobody's. Thread-safe. */
int auth_person(struct auth *a, const char *token, char *person, size_t size);

/* A valid person name? */
int auth_name_ok(const char *name);

/* Give name a new token: appended to the file, printed into token
 * (AUTH_TOKEN_LEN + 1 bytes). A name may have several tokens (one per
 * machine, say). Returns 0, or TP_EINVAL (bad name) / TP_EIO with errbuf. */
int auth_add(const char *data_dir, const char *name, char *token, char *errbuf);

/* Remove every token of name: 0, TP_ENOTFOUND, or TP_EIO. */
int auth_remove(const char *data_dir, const char *name, char *errbuf);

/* The names, each with its number of tokens, through cb. */
typedef void (*auth_name_cb)(void *ctx, const char *name, int tokens);
int auth_list(const char *data_dir, auth_name_cb cb, void *ctx, char *errbuf);

#endif
