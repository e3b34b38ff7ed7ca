/*
 * cache.c - recent API answers (see cache.h).
 *
 * A fixed array of entries under one mutex; a miss replaces the oldest
 * entry. Entries hold copies, so a hit never shares memory with another
 * thread's answer. The critical sections are a string compare and a
 * memcpy of at most CACHE_MAX_BODY bytes.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/tptime.h"
#include "core/xmalloc.h"

struct entry {
    char *key;
    uint64_t generation;
    int64_t made_ms;
    int status;
    const char *content_type;
    char *body;
    size_t len;
    struct {
        const char *name;
        char *value;
    } headers[HTTP_MAX_HEADERS];
    size_t nheaders;
};

struct cache {
    pthread_mutex_t lock;
    uint64_t generation;
    struct entry e[CACHE_ENTRIES];
};

struct cache *cache_new(void)
{
    struct cache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void entry_clear(struct entry *e)
{
    free(e->key);
    free(e->body);
    for (size_t i = 0; i < e->nheaders; i++)
        free(e->headers[i].value);
    memset(e, 0, sizeof *e);
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_ENTRIES; i++)
        entry_clear(&c->e[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void cache_bump(struct cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->generation++;
    pthread_mutex_unlock(&c->lock);
}

uint64_t cache_generation(struct cache *c)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    uint64_t g = c->generation;
    pthread_mutex_unlock(&c->lock);
    return g;
}

int cache_get(struct cache *c, const char *key, struct http_resp *resp)
{
    if (!c)
        return 0;
    int64_t now = tpt_mono_ns() / 1000000;
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < CACHE_ENTRIES; i++) {
        struct entry *e = &c->e[i];
        if (!e->key || strcmp(e->key, key) != 0)
            continue;
        if (e->generation == c->generation && now - e->made_ms < CACHE_TTL_MS) {
            http_resp_reset(resp);
            resp->status = e->status;
            resp->content_type = e->content_type;
            buf_add(&resp->body, e->body, e->len);
            for (size_t h = 0; h < e->nheaders; h++)
                http_resp_header(resp, e->headers[h].name, e->headers[h].value);
            hit = 1;
        }
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void cache_put(struct cache *c, const char *key, uint64_t generation, const struct http_resp *resp)
{
    if (!c || resp->status != 200 || resp->static_body || resp->body.len > CACHE_MAX_BODY)
        return;
    int64_t now = tpt_mono_ns() / 1000000;
    pthread_mutex_lock(&c->lock);
    /* A write landed while the answer was computed: it may predate the
     * write, and keeping it would hide the write from the next reader. */
    if (generation != c->generation) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    struct entry *slot = NULL;
    for (int i = 0; i < CACHE_ENTRIES && !slot; i++)
        if (c->e[i].key && strcmp(c->e[i].key, key) == 0)
            slot = &c->e[i];
    for (int i = 0; i < CACHE_ENTRIES && !slot; i++)
        if (!c->e[i].key)
            slot = &c->e[i];
    if (!slot) {
        slot = &c->e[0];
        for (int i = 1; i < CACHE_ENTRIES; i++)
            if (c->e[i].made_ms < slot->made_ms)
                slot = &c->e[i];
    }
    entry_clear(slot);
    slot->key = xstrdup(key);
    slot->generation = generation;
    slot->made_ms = now;
    slot->status = resp->status;
    slot->content_type = resp->content_type;
    slot->body = xmalloc(resp->body.len + 1);
    if (resp->body.len)
        memcpy(slot->body, resp->body.data, resp->body.len);
    slot->len = resp->body.len;
    for (size_t h = 0; h < resp->nheaders; h++) {
        slot->headers[h].name = resp->headers[h].name;
        slot->headers[h].value = xstrdup(resp->headers[h].value);
    }
    slot->nheaders = resp->nheaders;
    pthread_mutex_unlock(&c->lock);
}
