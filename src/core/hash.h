/*
 * hash.h - a stable 64-bit string hash.
 *
 * Operation identities are derived from it and stored on disk, so it must
 * never change between versions: FNV-1a over the bytes, then the MurmurHash3
 * 64-bit finalizer to spread the bits (FNV alone is weak in its low bits,
 * which we use as table slots).
 */
#ifndef TOOLPROF_HASH_H
#define TOOLPROF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 0xcbf29ce484222325ULL

/* Hash n bytes, continuing from h (start with HASH_SEED). Not finalized:
 * chain several calls, then call hash_final(). */
uint64_t hash_bytes(uint64_t h, const void *data, size_t n);
uint64_t hash_final(uint64_t h);

/* Convenience: the finalized hash of a NUL-terminated string. */
uint64_t hash_str(const char *s);

#endif
