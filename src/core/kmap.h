/*
 * kmap.h - a hash map from byte-string keys to dense indexes.
 *
 * The map stores copies of the keys and hands out indexes 0, 1, 2, ... in
 * insertion order; callers keep their values in their own arrays indexed
 * the same way. That keeps the map small and generic (string interning,
 * grouping rows by (tool, target), rollup deltas by composite key) without
 * void pointers or callbacks. Open addressing, linear probing, grown at
 * 50 % load.
 */
#ifndef TOOLPROF_KMAP_H
#define TOOLPROF_KMAP_H

#include <stddef.h>
#include <stdint.h>

struct kmap {
    uint32_t *slots; /* index + 1 into entries, 0 = empty */
    size_t nslots;   /* power of two */
    size_t n;        /* entries */
    size_t alloc;
    uint64_t *hashes; /* per entry */
    size_t *key_off;  /* per entry: offset into keys */
    size_t *key_len;
    char *keys; /* all keys, back to back */
    size_t keys_len, keys_alloc;
};

void kmap_init(struct kmap *m);
void kmap_free(struct kmap *m);
void kmap_clear(struct kmap *m); /* empty, keeps memory */

/* Index of key, or -1 when absent. */
long kmap_find(const struct kmap *m, const void *key, size_t len);
/* Index of key, adding it when absent (*added set to 1 then). */
size_t kmap_put(struct kmap *m, const void *key, size_t len, int *added);
/* The key of entry i (not NUL-terminated unless the caller stored a NUL). */
const void *kmap_key(const struct kmap *m, size_t i, size_t *len);

#endif
