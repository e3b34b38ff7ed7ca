/*
 * jsonin.c - strict front door to cJSON (see jsonin.h).
 *
 * The pre-scan walks the raw bytes once, tracking whether it is inside a
 * string, to measure nesting depth and to find escaped NULs; UTF-8 is checked
 * (or repaired) in a second pass by utf8.c. Only then does cJSON see the
 * input, always NUL-terminated and with "require null terminated" set, which
 * rejects trailing garbage and keeps cJSON from reading past the end.
 */
#include "jsonin.h"

#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonw.h"
#include "limits.h"
#include "utf8.h"
#include "xmalloc.h"

static int hex4(const char *p, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *v = x;
    return 1;
}

/* Walk the raw text once, tracking strings, to measure nesting and find
 * escaped NULs. In JIN_REPAIR mode it also rewrites, in place, a \u escape
 * of a lone surrogate (text cut in the middle of an emoji, as Node writes
 * it) into \ufffd, which cJSON would otherwise refuse along with the whole
 * document. Returns 0, or an error code with errbuf filled; *open is set
 * when the input ends inside a string or an unclosed container. */
/* Float-literal flags of the numbers of a document, in document order. */
struct numfmt {
    unsigned char *bits;
    size_t n, alloc;
};

static void numfmt_push(struct numfmt *f, int is_float)
{
    if (f->n == f->alloc * 8) {
        size_t a = f->alloc ? f->alloc * 2 : 16;
        f->bits = xrealloc(f->bits, a);
        memset(f->bits + f->alloc, 0, a - f->alloc);
        f->alloc = a;
    }
    if (is_float)
        f->bits[f->n / 8] |= (unsigned char)(1u << (f->n % 8));
    f->n++;
}

/* The bit cJSON leaves free in `type` (its type checks mask with 0xFF;
 * 0x100 and 0x200 are its own flags). */
#define JIN_FLOAT_BIT 0x1000

/* Mark the number nodes in document order (a depth-first walk visits them
 * in the order their text appears). */
static void numfmt_mark(cJSON *v, const struct numfmt *f, size_t *k)
{
    for (; v; v = v->next) {
        if (cJSON_IsNumber(v)) {
            if (*k < f->n && (f->bits[*k / 8] >> (*k % 8) & 1))
                v->type |= JIN_FLOAT_BIT;
            (*k)++;
        } else if (v->child) {
            numfmt_mark(v->child, f, k);
        }
    }
}

int jin_is_float_literal(const cJSON *v)
{
    return v && cJSON_IsNumber(v) && (v->type & JIN_FLOAT_BIT) != 0;
}

/* Does any byte of w equal b? (The classic SWAR zero-byte test.) */
static int has_byte(uint64_t w, unsigned char b)
{
    uint64_t x = w ^ (0x0101010101010101ULL * b);
    return ((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) != 0;
}

static int prescan(char *s, size_t n, int mode, int max_depth, int *open, struct numfmt *nf,
                   char *errbuf)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_str) {
            /* Most of a transcript line is string content (file bodies,
             * command output): skip it eight bytes at a time until a quote
             * or a backslash. */
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (has_byte(w, '"') || has_byte(w, '\\'))
                    break;
                i += 8;
            }
            if (i >= n)
                break;
        }
        char c = s[i];
        if (in_str) {
            if (c == '"') {
                in_str = 0;
            } else if (c == '\\' && i + 1 < n) {
                unsigned v, w;
                if (s[i + 1] == 'u' && i + 5 < n && hex4(s + i + 2, &v)) {
                    if (v == 0 && (mode & JIN_REPAIR) == 0)
                        return tp_fail(errbuf, TP_EPARSE,
                                       "escaped NUL (\\u0000) in a string at byte %zu", i);
                    if (v == 0) {
                        /* cJSON would end the string there: repair it. */
                        memcpy(s + i + 2, "fffd", 4);
                        i += 5;
                        continue;
                    }
                    int paired = v >= 0xD800 && v <= 0xDBFF && i + 11 < n && s[i + 6] == '\\' &&
                                 s[i + 7] == 'u' && hex4(s + i + 8, &w) && w >= 0xDC00 &&
                                 w <= 0xDFFF;
                    if (paired) {
                        i += 11;
                        continue;
                    }
                    if (v >= 0xD800 && v <= 0xDFFF && (mode & JIN_REPAIR))
                        memcpy(s + i + 2, "fffd", 4);
                    i += 5;
                    continue;
                }
                i++; /* skip the escaped character */
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (nf && (c == '-' || (c >= '0' && c <= '9'))) {
            int is_float = 0;
            while (i < n && strchr("+-0123456789.eE", s[i]) && s[i]) {
                is_float |= s[i] == '.' || s[i] == 'e' || s[i] == 'E';
                i++;
            }
            i--;
            numfmt_push(nf, is_float);
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return tp_fail(errbuf, TP_EPARSE, "JSON nested deeper than %d levels at byte %zu",
                               max_depth, i);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    *open = in_str || depth > 0;
    return 0;
}

/* Is every container of the tree v (at nesting depth d) at most max deep? */
static int depth_within(const cJSON *v, int d, int max)
{
    for (; v; v = v->next) {
        if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
            if (d > max || !depth_within(v->child, d + 1, max))
                return 0;
        }
    }
    return 1;
}

cJSON *jin_parse(const char *data, size_t len, int mode, int max_depth, char *errbuf)
{
    char *copy;
    size_t clen;

    if (len == 0) {
        tp_fail(errbuf, TP_EPARSE, "empty input, expected JSON");
        return NULL;
    }
    if ((mode & JIN_REPAIR) == 0) {
        size_t bad = utf8_invalid_at(data, len);
        if (bad != len) {
            tp_fail(errbuf, TP_EPARSE, "invalid UTF-8 at byte %zu", bad);
            return NULL;
        }
        const char *nul = memchr(data, '\0', len);
        if (nul) {
            tp_fail(errbuf, TP_EPARSE, "NUL byte at byte %zu", (size_t)(nul - data));
            return NULL;
        }
        copy = xstrndup(data, len);
        clen = len;
    } else if (utf8_valid_text(data, len)) {
        copy = xstrndup(data, len); /* the common case: nothing to repair */
        clen = len;
    } else {
        copy = utf8_sanitize(data, len, &clen);
    }
    /* Strict, well-formed input, nearly all of it, needs no pass of its
     * own: cJSON parses it (refusing bad escapes and surrogates, and
     * nesting past 1,000), and only its tree is checked against max_depth.
     * An escaped NUL must be seen first (cJSON would cut the string there
     * and carry on). Anything cJSON refuses is parsed again below, for the
     * precise message. */
    if ((mode & (JIN_REPAIR | JIN_NUMFMT)) == 0 && !memmem(copy, clen, "\\u0000", 6)) {
        cJSON *root = cJSON_ParseWithLengthOpts(copy, clen + 1, NULL, 1);
        if (root && depth_within(root, 1, max_depth)) {
            free(copy);
            return root;
        }
        cJSON_Delete(root);
    }
    int open = 0;
    struct numfmt nf = {NULL, 0, 0};
    if (prescan(copy, clen, mode, max_depth, &open, (mode & JIN_NUMFMT) ? &nf : NULL, errbuf) !=
        0) {
        free(nf.bits);
        free(copy);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, clen + 1, &end, 1);
    if (!root) {
        size_t at = end && end >= copy ? (size_t)(end - copy) : 0;
        if (at >= clen || open)
            tp_fail(errbuf, TP_EPARSE, "truncated JSON (input ends at byte %zu)", clen);
        else
            tp_fail(errbuf, TP_EPARSE, "invalid JSON at byte %zu", at);
    }
    if (root && nf.n) {
        size_t k = 0;
        numfmt_mark(root, &nf, &k);
    }
    free(nf.bits);
    free(copy);
    return root;
}

const cJSON *jin_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *jin_str(const cJSON *obj, const char *key)
{
    const cJSON *v = jin_get(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int jin_num(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = jin_get(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v))
        return -1;
    *out = v->valuedouble;
    return 1;
}

int jin_bool(const cJSON *obj, const char *key, int *out)
{
    const cJSON *v = jin_get(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v))
        return -1;
    *out = cJSON_IsTrue(v);
    return 1;
}

int jin_parse_number(const char *s, double *out)
{
    if (!s || !*s)
        return 0;
    /* Only plain decimal numbers: strtod would also take "nan", "inf",
     * hex and leading blanks. */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

int jin_num_lax(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = jin_get(obj, key);
    if (cJSON_IsString(v))
        return jin_parse_number(v->valuestring, out) ? 1 : -1;
    return jin_num(obj, key, out);
}

int jin_bool_lax(const cJSON *obj, const char *key, int *out)
{
    const cJSON *v = jin_get(obj, key);
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "true") == 0)
            *out = 1;
        else if (strcmp(v->valuestring, "false") == 0)
            *out = 0;
        else
            return -1;
        return 1;
    }
    return jin_bool(obj, key, out);
}

static void print_value(struct jsonw *w, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        jw_obj_begin(w);
        for (const cJSON *c = v->child; c; c = c->next) {
            jw_key(w, c->string ? c->string : "");
            print_value(w, c);
        }
        jw_obj_end(w);
    } else if (cJSON_IsArray(v)) {
        jw_arr_begin(w);
        for (const cJSON *c = v->child; c; c = c->next)
            print_value(w, c);
        jw_arr_end(w);
    } else if (cJSON_IsString(v)) {
        jw_str(w, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0 && !jin_is_float_literal(v))
            jw_int(w, (long long)d);
        else
            jw_num(w, d);
    } else if (cJSON_IsBool(v)) {
        jw_bool(w, cJSON_IsTrue(v));
    } else {
        jw_null(w);
    }
}

char *jin_print(const cJSON *v, size_t max_len)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, max_len + 1);
    jw_init(&w, &b);
    print_value(&w, v);
    if (jw_finish(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

/* ---- spans in the raw text ------------------------------------------------ */

static size_t skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
        i++;
    return i;
}

/* End (one past) of the string whose '"' is at t[i], or 0 when unclosed. */
static size_t string_end(const char *t, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        const char *q = memchr(t + i, '"', len - i);
        if (!q)
            return 0;
        i = (size_t)(q - t);
        /* The quote closes the string unless an odd run of backslashes
         * precedes it. */
        size_t bs = 0;
        while (i - bs > 0 && t[i - bs - 1] == '\\')
            bs++;
        if (bs % 2 == 0)
            return i + 1;
    }
    return 0;
}

/* End (one past) of the value starting at t[i], or 0 when it does not end
 * within len or is not a value. */
static size_t value_end(const char *t, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (t[i] == '"')
        return string_end(t, len, i);
    if (t[i] == '{' || t[i] == '[') {
        size_t depth = 0;
        while (i < len) {
            char c = t[i];
            if (c == '"') {
                i = string_end(t, len, i);
                if (!i)
                    return 0;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return 0;
    }
    /* A number, true, false or null: up to the next delimiter. */
    size_t j = i;
    while (j < len && !strchr(",]} \t\r\n", t[j]))
        j++;
    return j > i ? j : 0;
}

int jin_array_begin(struct jin_iter *it, const char *text, size_t len, size_t pos)
{
    it->text = text;
    it->len = len;
    it->pos = pos;
    it->state = 0;
    return pos < len && text[pos] == '[' ? (it->pos++, 0) : -1;
}

int jin_array_next(struct jin_iter *it, size_t *start, size_t *end)
{
    const char *t = it->text;
    if (it->state == 2)
        return 0;
    size_t i = skip_ws(t, it->len, it->pos);
    if (i >= it->len)
        return -1;
    if (t[i] == ']') {
        it->pos = i + 1;
        it->state = 2;
        return 0;
    }
    if (it->state == 1) {
        if (t[i] != ',')
            return -1;
        i = skip_ws(t, it->len, i + 1);
    }
    size_t e = value_end(t, it->len, i);
    if (!e)
        return -1;
    *start = i;
    *end = e;
    it->pos = e;
    it->state = 1;
    return 1;
}

long jin_member_at(const char *text, size_t len, size_t pos, const char *key)
{
    size_t i = pos, klen = strlen(key);
    if (len - i >= 3 && memcmp(text + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    i = skip_ws(text, len, i);
    if (i >= len || text[i] != '{')
        return -1;
    i = skip_ws(text, len, i + 1);
    if (i < len && text[i] == '}')
        return -1;
    for (;;) {
        if (i >= len || text[i] != '"')
            return -1;
        size_t ke = string_end(text, len, i);
        if (!ke)
            return -1;
        /* Keys are compared as written: the original's files escape
         * nothing in their keys. */
        int match = ke - i - 2 == klen && memcmp(text + i + 1, key, klen) == 0;
        i = skip_ws(text, len, ke);
        if (i >= len || text[i] != ':')
            return -1;
        i = skip_ws(text, len, i + 1);
        if (match)
            return (long)i;
        size_t ve = value_end(text, len, i);
        if (!ve)
            return -1;
        i = skip_ws(text, len, ve);
        if (i >= len || text[i] != ',')
            return -1;
        i = skip_ws(text, len, i + 1);
    }
}
