/*
 * kmap.c - byte-string keys to dense indexes (see kmap.h).
 */
#include "kmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xmalloc.h"

void kmap_init(struct kmap *m)
{
    memset(m, 0, sizeof *m);
}

void kmap_free(struct kmap *m)
{
    free(m->slots);
    free(m->hashes);
    free(m->key_off);
    free(m->key_len);
    free(m->keys);
    kmap_init(m);
}

void kmap_clear(struct kmap *m)
{
    if (m->slots)
        memset(m->slots, 0, m->nslots * sizeof *m->slots);
    m->n = 0;
    m->keys_len = 0;
}

/* Keys are often a few int64s: mix them a word at a time (the byte-wise
 * FNV of hash.c costs a multiply per byte, and this map is on the insert
 * path). The tail is mixed byte-wise. */
static uint64_t key_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = HASH_SEED ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        len -= 8;
    }
    return hash_final(hash_bytes(h, p, len));
}

static int same(const struct kmap *m, size_t i, uint64_t h, const void *key, size_t len)
{
    return m->hashes[i] == h && m->key_len[i] == len &&
           (len == 0 || memcmp(m->keys + m->key_off[i], key, len) == 0);
}

long kmap_find(const struct kmap *m, const void *key, size_t len)
{
    if (!m->nslots)
        return -1;
    uint64_t h = key_hash(key, len);
    size_t mask = m->nslots - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
        uint32_t e = m->slots[s];
        if (!e)
            return -1;
        if (same(m, e - 1, h, key, len))
            return (long)(e - 1);
    }
}

static void grow(struct kmap *m)
{
    size_t ns = m->nslots ? m->nslots * 2 : 64;
    free(m->slots);
    m->slots = xcalloc(ns, sizeof *m->slots);
    m->nslots = ns;
    for (size_t i = 0; i < m->n; i++) {
        size_t s = m->hashes[i] & (ns - 1);
        while (m->slots[s])
            s = (s + 1) & (ns - 1);
        m->slots[s] = (uint32_t)(i + 1);
    }
}

size_t kmap_put(struct kmap *m, const void *key, size_t len, int *added)
{
    if ((m->n + 1) * 2 > m->nslots)
        grow(m);
    uint64_t h = key_hash(key, len);
    size_t mask = m->nslots - 1, s;
    for (s = h & mask; m->slots[s]; s = (s + 1) & mask) {
        if (same(m, m->slots[s] - 1, h, key, len)) {
            if (added)
                *added = 0;
            return m->slots[s] - 1;
        }
    }
    if (m->n == m->alloc) {
        m->alloc = m->alloc ? m->alloc * 2 : 64;
        m->hashes = xreallocarray(m->hashes, m->alloc, sizeof *m->hashes);
        m->key_off = xreallocarray(m->key_off, m->alloc, sizeof *m->key_off);
        m->key_len = xreallocarray(m->key_len, m->alloc, sizeof *m->key_len);
    }
    if (m->keys_len + len > m->keys_alloc) {
        size_t a = m->keys_alloc ? m->keys_alloc : 1024;
        while (a < m->keys_len + len)
            a *= 2;
        m->keys = xrealloc(m->keys, a);
        m->keys_alloc = a;
    }
    size_t i = m->n++;
    /* Indexes fit the slots' 32 bits, and the table stays half empty. */
    assert(i < UINT32_MAX && (m->n * 2) <= m->nslots);
    if (len)
        memcpy(m->keys + m->keys_len, key, len);
    m->hashes[i] = h;
    m->key_off[i] = m->keys_len;
    m->key_len[i] = len;
    m->keys_len += len;
    m->slots[s] = (uint32_t)(i + 1);
    if (added)
        *added = 1;
    return i;
}

const void *kmap_key(const struct kmap *m, size_t i, size_t *len)
{
    if (len)
        *len = m->key_len[i];
    return m->keys + m->key_off[i];
}
