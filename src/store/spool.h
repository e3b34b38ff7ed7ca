/*
 * spool.h - the hook's append-only side door into the store.
 *
 * `toolprof hook` runs once per tool call while the agent waits, so it does
 * not open SQLite: it appends the operation as one JSON line (opjson layout,
 * with "source") to `spool.jsonl` in the data directory, holding a shared
 * flock on `spool.lock` during the single write(2). Whoever next opens the
 * store for work (the server every 250 ms, any CLI command, or a hook that
 * finds the spool over SPOOL_DRAIN_BYTES) drains it: exclusive lock, rename
 * to `spool.<pid>.draining`, unlock, insert in batches, unlink. A drain that
 * dies half-way leaves its `.draining` file, which the next drain picks up;
 * re-inserting a line is harmless because the store keys calls by id.
 */
#ifndef TOOLPROF_SPOOL_H
#define TOOLPROF_SPOOL_H

#include <stddef.h>

#include "op.h"
#include "store.h"

#define SPOOL_FILE "spool.jsonl"
#define SPOOL_LOCK "spool.lock"
#define SPOOL_DRAIN_BYTES (256 * 1024)

/* Append one normalized op. Returns 0, or TP_EIO with errbuf filled. */
int spool_append(const char *data_dir, const struct op *op, char *errbuf);

/* Bytes waiting in the spool (0 when none or unreadable). */
long long spool_pending(const char *data_dir);

/* Move everything spooled into the store. *res (may be NULL) receives the
 * counts; malformed lines are skipped and counted in *bad (may be NULL) and
 * reported on stderr with file:line when verbose. */
int spool_drain(struct store *s, struct store_result *res, size_t *bad, int verbose, char *errbuf);

#endif
