/*
 * test_kmap.c - the key -> dense index map, and the stable hash under it.
 *
 * The hash values are pinned: derived operation ids are stored on disk, so
 * a change to hash.c would make re-imports store everything twice. The
 * expected values were computed independently (FNV-1a 64 then the
 * MurmurHash3 finalizer, in Python).
 */
#include <stdint.h>
#include <stdio.h>

#include "fixture.h"
#include "core/hash.h"
#include "core/kmap.h"

static void test_hash_pinned(void)
{
    static const struct {
        const char *s;
        uint64_t h;
    } cases[] = {
        {"", 0xefd01f60ba992926ULL},
        {"a", 0x82a2a958a9bece5bULL},
        {"Read", 0xfcb413cb865548e7ULL},
        {"toolu_01ABC", 0xf218cd8f392eee8eULL},
        {"/src/app.py", 0x2e7aa8be77a1259eULL},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    ASSERT_EQ_INT(hash_str(cases[i].s), cases[i].h);
    /* Chaining equals hashing the concatenation. */
    uint64_t h = hash_bytes(HASH_SEED, "/src/", 5);
    h = hash_bytes(h, "app.py", 6);
    ASSERT_EQ_INT(hash_final(h), 0x2e7aa8be77a1259eULL);
    ASSERT_EQ_INT(hash_bytes(HASH_SEED, "ab", 2), 0x089c4407b545986aULL);
    ASSERT_EQ_INT(hash_final(0), 0);
}

static void test_put_find_order(void)
{
    struct kmap m;
    kmap_init(&m);
    ASSERT_EQ_INT(kmap_find(&m, "a", 1), -1);
    int added = -1;
    ASSERT_EQ_INT(kmap_put(&m, "Read", 4, &added), 0);
    ASSERT_EQ_INT(added, 1);
    ASSERT_EQ_INT(kmap_put(&m, "Bash", 4, &added), 1);
    ASSERT_EQ_INT(added, 1);
    ASSERT_EQ_INT(kmap_put(&m, "Read", 4, &added), 0);
    ASSERT_EQ_INT(added, 0);
    ASSERT_EQ_INT(kmap_put(&m, "Rea", 3, NULL), 2); /* a prefix is another key */
    ASSERT_EQ_INT(kmap_find(&m, "Bash", 4), 1);
    ASSERT_EQ_INT(kmap_find(&m, "Readx", 5), -1);
    /* Binary keys with NUL bytes. */
    int64_t k1[2] = {0, 1}, k2[2] = {1, 0};
    ASSERT_EQ_INT(kmap_put(&m, k1, sizeof k1, NULL), 3);
    ASSERT_EQ_INT(kmap_put(&m, k2, sizeof k2, NULL), 4);
    ASSERT_EQ_INT(kmap_find(&m, k1, sizeof k1), 3);
    size_t len = 0;
    const char *k = kmap_key(&m, 1, &len);
    ASSERT_EQ_INT(len, 4);
    ASSERT_EQ_INT(memcmp(k, "Bash", 4), 0);
    ASSERT_EQ_INT(m.n, 5);
    kmap_free(&m);
}

/* An empty key is a key like any other (the store interns "" for "no
 * project"). Under UBSan this also checks that no NULL pointer reaches
 * memcpy/memcmp when the empty key is the first one stored. */
static void test_empty_key(void)
{
    struct kmap m;
    kmap_init(&m);
    int added = 0;
    ASSERT_EQ_INT(kmap_put(&m, "", 0, &added), 0);
    ASSERT_EQ_INT(added, 1);
    ASSERT_EQ_INT(kmap_find(&m, "", 0), 0);
    ASSERT_EQ_INT(kmap_put(&m, "", 0, &added), 0);
    ASSERT_EQ_INT(added, 0);
    ASSERT_EQ_INT(kmap_put(&m, "x", 1, &added), 1);
    ASSERT_EQ_INT(kmap_find(&m, "", 0), 0);
    kmap_free(&m);
}

static void test_many_keys_and_clear(void)
{
    struct kmap m;
    kmap_init(&m);
    char key[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 20000; i++) {
            int n = snprintf(key, sizeof key, "key-%d", i * 7919);
            int added = 0;
            ASSERT_EQ_INT(kmap_put(&m, key, (size_t)n, &added), i);
            ASSERT_EQ_INT(added, 1);
        }
        ASSERT_EQ_INT(m.n, 20000);
        ASSERT_TRUE(m.nslots >= 2 * m.n);
        for (int i = 0; i < 20000; i++) {
            int n = snprintf(key, sizeof key, "key-%d", i * 7919);
            ASSERT_EQ_INT(kmap_find(&m, key, (size_t)n), i);
            size_t len;
            const char *k = kmap_key(&m, (size_t)i, &len);
            ASSERT_EQ_INT(len, (size_t)n);
            ASSERT_EQ_INT(memcmp(k, key, len), 0);
        }
        ASSERT_EQ_INT(kmap_find(&m, "key-1", 5), -1);
        /* Cleared: every key is gone, and indexes start again at 0. */
        kmap_clear(&m);
        ASSERT_EQ_INT(m.n, 0);
        ASSERT_EQ_INT(kmap_find(&m, "key-0", 5), -1);
    }
    kmap_free(&m);
}

TEST_MAIN(TEST_CASE(test_hash_pinned), TEST_CASE(test_put_find_order), TEST_CASE(test_empty_key),
          TEST_CASE(test_many_keys_and_clear))
