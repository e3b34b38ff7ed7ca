/*
 * chstore.h - the ClickHouse store: the store's API (store.h) on a
 * ClickHouse server, for a team whose history outgrows one machine.
 *
 * `--store clickhouse://[user[:password]@]host:8123/database` (or the
 * environment variable TOOLPROF_STORE) makes store_open() return a store
 * backed by ClickHouse instead of SQLite; every public function of store.h
 * then starts with one line that hands the call to its chstore_ twin here.
 * The engine does not know the difference: it gets the same rollups (with
 * quantile sketches rebuilt from the sketch's own bins, counted in SQL),
 * raw rows, per-target and per-session aggregates, and so answers every
 * question with the same code and the same JSON (docs/team.md).
 *
 * The local data directory stays in use: it holds the spool of calls
 * waiting to be written (ch-spool.db: writes are batched, and wait there
 * while ClickHouse is down), the hook spool, redaction patterns and the
 * team server's tokens.
 *
 * This header is what src/store needs; ch_int.h is the module's inside.
 */
#ifndef TOOLPROF_CHSTORE_H
#define TOOLPROF_CHSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The store URL in effect: $TOOLPROF_STORE when it names a ClickHouse
 * store, else NULL (the SQLite store). */
const char *chstore_url(void);

/* Check a store URL without connecting: 0, or TP_EINVAL with the problem
 * in errbuf. "sqlite" (or "") is the default store. */
int chstore_check_url(const char *url, char *errbuf);

/* store_open() for a ClickHouse URL: connects, creates the database and
 * its tables when missing and migrates them (unless STORE_READONLY), and
 * replays calls left in the local spool by an earlier process. */
int chstore_open(const char *url, const char *data_dir, int flags, struct store **out,
                 char *errbuf);

/* The twins of store.h's functions (same contracts, see there). */
void chstore_close(struct store *s);
void chstore_set_busy_timeout(struct store *s, int ms);
const char *chstore_str(struct store *s, int64_t id);
int64_t chstore_str_id(struct store *s, const char *text);
int chstore_insert_groups(struct store *s, struct store_group *groups, size_t ngroups,
                          char *errbuf);
int chstore_mark_get(struct store *s, const char *path, struct store_mark *out, int *found);
int chstore_prune(struct store *s, int64_t cutoff_ms, size_t *deleted, char *errbuf);
int chstore_prune_source(struct store *s, enum op_source src, size_t *deleted, char *errbuf);
int chstore_has_other_sources(struct store *s, unsigned mask, int *found);
int chstore_rollups(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                    const struct store_filter *f, store_rollup_cb cb, void *ctx);
int chstore_rollups_into(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                         const struct store_filter *f, store_agg_for into, void *ctx);
int chstore_rollup_sums(struct store *s, int level, int64_t from_ms, int64_t to_ms,
                        const struct store_filter *f, uint64_t *n_timed, double *sum_ms);
int chstore_scan(struct store *s, const struct store_scan *q, store_row_cb cb, void *ctx);
int chstore_targets(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                    store_target_cb cb, void *ctx);
int chstore_rereads(struct store *s, int64_t from_ms, int64_t to_ms, const struct store_filter *f,
                    size_t top, struct reread_totals *totals, store_reread_cb cb, void *ctx);
int chstore_session_span(struct store *s, int64_t session, int64_t *first_ms, int64_t *last_ms);
int chstore_sessions(struct store *s, int64_t from_ms, int64_t to_ms, int64_t project,
                     store_session_cb cb, void *ctx);
int chstore_session_get(struct store *s, int64_t session, struct store_session *out);
int chstore_session_ids(struct store *s, const char *prefix, size_t max, store_name_cb cb,
                        void *ctx);
int chstore_turns(struct store *s, int64_t session, store_turn_cb cb, void *ctx);
int chstore_requests(struct store *s, int64_t session, int64_t from_ms, int64_t to_ms,
                     store_request_cb cb, void *ctx);
int chstore_info(struct store *s, struct store_info *out);
int64_t chstore_data_version(struct store *s);
int chstore_tools(struct store *s, store_name_cb cb, void *ctx);
int chstore_projects(struct store *s, store_name_cb cb, void *ctx);
int chstore_people(struct store *s, store_person_cb cb, void *ctx);
int chstore_spool(struct store *s, struct store_spool *out);

#endif
