/*
 * cache.h - recent API answers, shared by the request threads.
 *
 * A dashboard asks the same few questions every few seconds, often from
 * several tabs, and a benchmark asks one question thousands of times. An
 * answer is kept for CACHE_TTL_MS and only while nothing was written: the
 * cache carries a generation number that every write bumps (our own POSTs
 * and OTLP batches, spool drains, and commits of other processes, which the
 * server notices through PRAGMA data_version every 250 ms). So a cached
 * answer is never older than the data by more than that, and never older
 * than the clock by more than the TTL (windows such as "24h" end "now").
 */
#ifndef TOOLPROF_CACHE_H
#define TOOLPROF_CACHE_H

#include <stdint.h>

#include "server/http.h"

#define CACHE_TTL_MS 1000
#define CACHE_ENTRIES 64
#define CACHE_MAX_BODY (256 * 1024) /* larger answers are not kept */

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *c);

/* Something was written: every kept answer is stale. */
void cache_bump(struct cache *c);

/* The current generation; take it before computing an answer. */
uint64_t cache_generation(struct cache *c);
/* Copy the answer kept for key into resp (status, type, headers, body);
 * 1 on a hit, 0 on a miss. */
int cache_get(struct cache *c, const char *key, struct http_resp *resp);
/* Keep a 200 answer for key (copies it), unless something was written
 * since generation was taken: then the answer may miss that write. */
void cache_put(struct cache *c, const char *key, uint64_t generation, const struct http_resp *resp);

#endif
