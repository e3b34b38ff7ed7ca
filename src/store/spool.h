/*
 * spool.h - the hook's append-only side door into the store.
 *
 * `toolprof hook` runs once per tool call while the agent waits, so it does
 * not open SQLite: it appends the operation as one JSON line (opjson layout,
 * with "source") to `spool.jsonl` in the data directory, holding a shared
 * flock on `spool.lock` during the single write(2). Whoever next opens the
 * store for work (the server every 250 ms, any CLI command, or a hook whose
 * append crosses a multiple of SPOOL_DRAIN_BYTES) drains it: exclusive
 * lock, rename to `spool.<pid>.draining`, unlock, insert in batches, unlink.
 * A drain that dies half-way leaves its `.draining` file, which the next
 * drain picks up; re-inserting a line is harmless because the store keys
 * calls by id.
 *
 * Nothing spooled is ever dropped. A storage error (disk full, read-only,
 * I/O, a database error, busy) leaves every file the drain could not finish
 * where it is, for a later drain. Only a line that cannot be parsed (or
 * that op_normalize() refuses, or that the store refuses alone as invalid)
 * is set aside, appended as it was to SPOOL_REJECTS, a file toolprof never
 * deletes.
 */
#ifndef TOOLPROF_SPOOL_H
#define TOOLPROF_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "op.h"
#include "store.h"

#define SPOOL_FILE "spool.jsonl"
#define SPOOL_LOCK "spool.lock"
/* Lines set aside by drains: kept, never deleted by toolprof. */
#define SPOOL_REJECTS "spool-rejected.jsonl"
#define SPOOL_DRAIN_BYTES (256 * 1024)
/* While this many `.draining` files wait (drains keep failing), spool.jsonl
 * is no longer renamed: it grows in place instead of adding a file per
 * attempt. */
#define SPOOL_MAX_WAITING 16

/* Append one normalized op. *drain_due (may be NULL) is set to 1 when this
 * line took spool.jsonl across a multiple of SPOOL_DRAIN_BYTES (exactly one
 * appender crosses each): that caller should drain. Returns 0, or TP_EIO
 * with errbuf filled. */
int spool_append(const char *data_dir, const struct op *op, int *drain_due, char *errbuf);

/* Bytes waiting in the spool: spool.jsonl and every `.draining` file (0
 * when none or unreadable). */
long long spool_pending(const char *data_dir);

/* Move everything spooled into the store. *res (may be NULL) receives the
 * store's counts; *bad (may be NULL) the number of lines set aside in
 * SPOOL_REJECTS by this drain (each reported on stderr with file:line when
 * verbose). Returns 0 when every file it claimed was stored (or set
 * aside) and removed; else the storage error that stopped it (TP_EBUSY,
 * TP_ENOSPC, TP_EROFS, TP_EIO, TP_EDB ...) with a message in errbuf, and
 * every file it did not finish is kept for the next drain. */
int spool_drain(struct store *s, struct store_result *res, size_t *bad, int verbose, char *errbuf);

/* The spool of a data directory, for `resources` and /healthz. */
struct spool_status {
    long long pending_bytes;  /* spool_pending() */
    long long waiting_files;  /* `.draining` files */
    long long rejected_bytes; /* size of SPOOL_REJECTS (0 when none) */
    /* The outcome of this process's last drain: 0 after one that finished,
     * else its error code and message, and since when drains have failed. */
    int drain_error;
    char drain_message[TP_ERR_MAX];
    int64_t failing_since_ms;
};
/* data_dir NULL: only the drain outcome (the sizes are left 0). */
void spool_status(const char *data_dir, struct spool_status *out);

#endif
