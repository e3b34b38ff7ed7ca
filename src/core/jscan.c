/*
 * jscan.c - top-level members of a JSON object without a parse (jscan.h).
 */
#include "jscan.h"

#include <stdint.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p points just after an opening quote; the byte after the closing quote,
 * or NULL when the string does not end. A quote preceded by an odd number
 * of backslashes is escaped. */
static const char *skip_string(const char *p, const char *end)
{
    const char *from = p;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        size_t bs = 0;
        while (q - bs > from && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            return q + 1;
        p = q + 1;
    }
}

const char *jscan_skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p + 1, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < end; p++) {
            char c = *p;
            if (c == '"') {
                p = skip_string(p + 1, end);
                if (!p)
                    return NULL;
                p--;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return p + 1;
            }
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\r' && *p != '\n')
        p++;
    return p;
}

int jscan_top(const char *s, size_t n, const char *const *keys, size_t nkeys, struct jscan_val *out)
{
    const char *p = s, *end = s + n;
    size_t found = 0;
    for (size_t i = 0; i < nkeys; i++)
        memset(&out[i], 0, sizeof out[i]);
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end)
            return -1;
        if (*p == '}')
            return 0;
        if (*p != '"')
            return -1;
        const char *ks = p + 1, *ke = skip_string(ks, end);
        if (!ke)
            return -1;
        size_t klen = (size_t)(ke - 1 - ks);
        p = skip_ws(ke, end);
        if (p >= end || *p != ':')
            return -1;
        p = skip_ws(p + 1, end);
        size_t want = nkeys;
        if (found < nkeys)
            for (size_t i = 0; i < nkeys; i++)
                if (out[i].type == JSCAN_NONE && strlen(keys[i]) == klen &&
                    memcmp(keys[i], ks, klen) == 0) {
                    want = i;
                    break;
                }
        const char *v = p;
        p = jscan_skip_value(p, end);
        if (!p)
            return -1;
        if (want < nkeys) {
            struct jscan_val *o = &out[want];
            if (*v == '"') {
                o->type = JSCAN_STRING;
                o->p = v + 1;
                o->n = (size_t)(p - 1 - (v + 1));
                o->escaped = memchr(o->p, '\\', o->n) != NULL;
            } else {
                o->type = JSCAN_OTHER;
                o->p = v;
                o->n = (size_t)(p - v);
            }
            if (++found == nkeys)
                return 1;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return 0;
        return -1;
    }
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Append code point cp as UTF-8; -1 when it does not fit. */
static int put_utf8(char *out, size_t size, size_t *len, unsigned cp)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (*len + k >= size)
        return -1;
    memcpy(out + *len, b, k);
    *len += k;
    return 0;
}

int jscan_unescape(const struct jscan_val *v, char *out, size_t size)
{
    size_t len = 0;
    if (!size || v->type != JSCAN_STRING)
        return -1;
    const char *p = v->p, *end = v->p + v->n;
    while (p < end) {
        if (*p != '\\') {
            if (len + 1 >= size)
                return -1;
            out[len++] = *p++;
            continue;
        }
        if (++p >= end)
            return -1;
        char c = *p++;
        unsigned cp;
        switch (c) {
        case '"':
        case '\\':
        case '/': cp = (unsigned char)c; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (end - p < 4 || hex4(p, &cp) != 0)
                return -1;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) == 0 &&
                    lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
                cp = 0xFFFD;
            }
            break;
        default: return -1;
        }
        if (put_utf8(out, size, &len, cp) != 0)
            return -1;
    }
    out[len] = '\0';
    return 0;
}
