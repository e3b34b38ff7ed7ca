/*
 * utf8.h - strict UTF-8 checks.
 *
 * "Strict" means what RFC 3629 allows: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. NUL bytes are valid UTF-8 but
 * toolprof never stores them; utf8_check() reports them separately.
 */
#ifndef TOOLPROF_UTF8_H
#define TOOLPROF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length in bytes of the valid sequence at s[0..n), or 0 when the bytes there
 * do not start a valid sequence. On success *cp receives the code point. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Return the offset of the first invalid byte in s[0..n), or n when all of it
 * is valid UTF-8. */
size_t utf8_invalid_at(const char *s, size_t n);

/* 1 when s[0..n) is valid UTF-8 with no NUL byte, else 0. */
int utf8_valid_text(const char *s, size_t n);

/* Largest m <= n such that s[0..m) does not end inside a multi-byte
 * sequence (s is assumed valid). Used to cut long strings cleanly. */
size_t utf8_floor(const char *s, size_t n);

/* Newly allocated copy of s[0..n) where every invalid sequence is replaced by
 * U+FFFD and NUL bytes are dropped. */
char *utf8_sanitize(const char *s, size_t n, size_t *out_len);

#endif
