/*
 * sha256.h - SHA-256 (FIPS 180-4), for the team server's token file.
 *
 * Tokens are kept as their SHA-256, never as themselves (server/auth.h):
 * a token is 256 random bits, so a fast hash is enough (nothing to guess),
 * and a copy of the file does not let anyone in.
 */
#ifndef TOOLPROF_SHA256_H
#define TOOLPROF_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed */
    unsigned char block[64];
    size_t used;
};

void sha256_init(struct sha256 *c);
void sha256_add(struct sha256 *c, const void *data, size_t n);
void sha256_done(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* The digest of data, in lowercase hex (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t n, char out[2 * SHA256_LEN + 1]);

#endif
