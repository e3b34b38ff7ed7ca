/*
 * hookpend.h - the hook events of a call that has not finished yet.
 *
 * Claude Code runs a PreToolUse hook when a call starts (before the
 * permission check), a PermissionRequest hook when it is about to show the
 * person a permission prompt, and a PostToolUse (or PostToolUseFailure)
 * hook when the call has run. Each is a separate `toolprof hook` process.
 * The first two leave a line in a small file named after the call's
 * tool_use_id, in the data directory's `pending/`; the Post hook takes the
 * file (reads and deletes it) and so knows when the call started and
 * whether, and when, a prompt was shown.
 *
 * Claude Code's PermissionRequest payload has no tool_use_id (2.1.332):
 * what names the call there is its session, tool and input, which are
 * also in its PreToolUse payload, byte for byte. So PreToolUse also makes
 * a symbolic link `pending/=<key>` to the call's file, the key a hash of
 * those three (hookpend_key); the PermissionRequest appends its line
 * through the link and removes it, and the Post hook removes a link still
 * there (the call did not ask). Two calls of one session with the same
 * tool and the same input, pending at the same time, share a link: the
 * later PreToolUse takes it, and a prompt of the other is then told to
 * the later one, or lost (logged) when the link is already used. Then:
 *
 *   wall = Post arrival - PreToolUse arrival           (derived)
 *   exec = the Post payload's duration_ms              (exact)
 *   wait = Post arrival - PermissionRequest arrival - exec   (derived)
 *
 * With no PermissionRequest line the call showed no prompt, when the
 * client is recent enough to have both (its payload has duration_ms, which
 * came after PermissionRequest hooks); for older clients the tool and the
 * permission mode say whether it could have asked (toolcall_can_ask).
 *
 * A call whose Post never came (the person said no, or the session
 * ended) leaves its file behind: hookpend_sweep() turns files older than
 * HOOKPEND_MAX_AGE_MS into calls without a result.
 *
 * Cost: a Pre event is one open/append/close of a file of about a hundred
 * bytes, an unlink and a symlink; a PermissionRequest one open/append/close
 * and an unlink; a Post event one more open, read and unlink, and a
 * readlink. Nothing here parses JSON.
 */
#ifndef TOOLPROF_HOOKPEND_H
#define TOOLPROF_HOOKPEND_H

#include <stddef.h>
#include <stdint.h>

#include "store/op.h"

#define HOOKPEND_DIR "pending"
/* A call still pending after this long will not finish: Claude Code waits
 * for a permission answer indefinitely, but a prompt nobody answered for
 * an hour was left, and the transcript says what became of it. */
#define HOOKPEND_MAX_AGE_MS (3600LL * 1000)

enum hookpend_event { HOOKPEND_PRE = 1, HOOKPEND_PERM = 2 };

/* What the early events of one call said. */
struct hookpend {
    int64_t pre_ms, perm_ms; /* arrival times; 0 when that event was not seen */
    uint64_t key;            /* hookpend_key of the call; 0 when not known */
    char tool[128], session[128], mode[32];
    char cwd[1024];
};

/* The identity of a call in events without its tool_use_id: a hash of its
 * session, tool name and the raw JSON text of its input (NULL / 0 bytes
 * when absent). Never 0. */
uint64_t hookpend_key(const char *session, const char *tool, const char *input, size_t input_len);

/* Record event ev of call `id` at now_ms. The strings may be NULL. key
 * (hookpend_key; 0 for none) is the call's identity for its later events:
 * a PreToolUse with a key makes the link to the call's file (replacing one
 * left by an earlier call of the same key). Returns 0, or a negative code
 * with errbuf filled (the hook logs it). */
int hookpend_mark(const char *data_dir, enum hookpend_event ev, int64_t now_ms, const char *id,
                  const char *tool, const char *session, const char *cwd, const char *mode,
                  uint64_t key, char *errbuf);

/* Record event ev (a PermissionRequest without tool_use_id) of the call
 * with this key at now_ms, through the link its PreToolUse made, and
 * remove the link. Returns 0; TP_ENOTFOUND (errbuf says so) when no
 * pending call has the key (its PreToolUse was not seen, or its link was
 * used already); another negative code on I/O errors. */
int hookpend_mark_key(const char *data_dir, enum hookpend_event ev, int64_t now_ms, uint64_t key,
                      char *errbuf);

/* Take what was recorded for call `id`: 1 (out filled, the file and its
 * link deleted), 0 when nothing was, or a negative code. */
int hookpend_take(const char *data_dir, const char *id, struct hookpend *out);

/* Apply the early events to the op of the call's Post event (op->tool and
 * the exec already set from the payload): start, wall, approval, wait.
 * post_ms is the Post hook's arrival; has_duration says whether the
 * payload carried duration_ms. */
void hookpend_apply(struct op *op, const struct hookpend *p, int64_t post_ms, int has_duration);

/* Calls pending for longer than HOOKPEND_MAX_AGE_MS at now_ms, as failed
 * ops ("no result": rejected or interrupted; source hook), their files
 * deleted, and links as old or pointing nowhere removed. *ops is malloc'd (op_clear each, free the
 * array); *n their number. Returns 0 or a negative code. */
int hookpend_sweep(const char *data_dir, int64_t now_ms, struct op **ops, size_t *n);

/* hookpend_sweep(), then append the calls to the spool for the next drain.
 * Returns the number of calls, or a negative code. */
int hookpend_sweep_to_spool(const char *data_dir, int64_t now_ms, char *errbuf);

#endif
