/*
 * utf8.c - strict UTF-8 validation, decoding and repair.
 */
#include "utf8.h"

#include <string.h>

#include "xmalloc.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

size_t utf8_invalid_at(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* Fast path over ASCII, eight bytes at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

int utf8_valid_text(const char *s, size_t n)
{
    return utf8_invalid_at(s, n) == n && memchr(s, '\0', n) == NULL;
}

size_t utf8_floor(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t m = n;
    /* Step back over at most three continuation bytes to the lead byte. */
    size_t back = 0;
    while (m > 0 && back < 4 && (s[m - 1] & 0xC0) == 0x80) {
        m--;
        back++;
    }
    if (m == 0)
        return 0;
    unsigned lead = s[m - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need == back + 1)
        return n; /* the last sequence is complete */
    return m - 1; /* cut before the incomplete sequence */
}

char *utf8_sanitize(const char *str, size_t n, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)str;
    /* Worst case: every byte becomes U+FFFD (3 bytes). */
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            if (!(k == 1 && s[i] == 0)) {
                memcpy(out + o, s + i, k);
                o += k;
            }
            i += k;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}
