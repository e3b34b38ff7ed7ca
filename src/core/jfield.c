/*
 * jfield.c - the fields of a JSON line without building a tree (jfield.h).
 *
 * The reader is one loop over the bytes with an explicit stack of open
 * containers (at most TP_MAX_JSON_DEPTH): each value becomes a token
 * holding its kind, its byte span, and the index of its next sibling, so
 * that a lookup steps from member to member over whole subtrees. An
 * object's members are a key token followed by the value's token; a token
 * that follows a key token is therefore that key's value. Offsets are 32
 * bits (documents are far below 4 GB: TP_MAX_SEED_FILE).
 *
 * Strings are the bulk of every line (file contents, command output), so
 * their scan is the hot loop: sixteen bytes at a time with SSE2 (eight with
 * a portable word trick elsewhere) until a quote, a backslash, a control
 * character or a non-ASCII byte, which are then looked at one by one (a
 * non-ASCII sequence is checked by utf8_decode(), the same rule as
 * utf8_invalid_at(), which jin_parse() applies).
 *
 * Unescaped strings go into an arena of n + 1 bytes, allocated at the
 * first one a document needs: a string unescapes to at most its raw length
 * and is unescaped at most once (the token remembers where), and the raw
 * spans with their two quotes do not overlap, so the arena never fills and
 * pointers into it stay valid until the next parse.
 *
 * Values of a cJSON tree are answered by the getters of jsonin.c
 * themselves, so that the fallback path reads exactly as before.
 */
#include "jfield.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "buf.h"
#include "jsonin.h"
#include "jsonw.h"
#include "limits.h"
#include "utf8.h"
#include "xmalloc.h"

/* Token flags. */
enum {
    JT_ESC = 1,   /* a string holding a backslash escape */
    JT_FLOAT = 2, /* a number written with a fraction or an exponent */
    JT_KEY = 4,   /* an object member's key (its value is the next token) */
};

/* The token limit; a test may set a smaller one before it includes this
 * file, to reach it without a document of 16M values. */
#ifndef JF_MAX_TOKENS
#define JF_MAX_TOKENS TP_MAX_JSON_TOKENS
#endif

/* Longest number literal read here: cJSON copies at most 63 characters of
 * a number before strtod(), so a longer one reads differently there. */
#define JF_MAX_NUMBER 63

struct jf_tok {
    uint32_t start; /* first byte (a string's: after its opening quote) */
    uint32_t len;   /* bytes (a string's: between its quotes) */
    uint32_t next;  /* array element or key: the next sibling's token, 0: last */
    uint32_t aux;   /* container: children; string: arena offset + 1 once unescaped */
    unsigned char kind, flags;
};

struct jf_doc {
    const char *s;
    size_t n;
    int flags;
    struct jf_tok *tok;
    uint32_t ntok, cap;
    char *arena; /* unescaped strings */
    size_t arena_cap, arena_used;
};

struct jf_doc *jf_doc_new(void)
{
    return xcalloc(1, sizeof(struct jf_doc));
}

void jf_doc_free(struct jf_doc *d)
{
    if (!d)
        return;
    free(d->tok);
    free(d->arena);
    free(d);
}

/* ---- reading ------------------------------------------------------------ */

/* JSON's four whitespace bytes (compact lines have none: one compare). */
static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Room for one more token: 0, or -1 past JF_MAX_TOKENS. */
static int tok_grow(struct jf_doc *d)
{
    if (d->cap >= JF_MAX_TOKENS)
        return -1;
    uint32_t cap = d->cap ? d->cap * 2 : 256;
    if (cap > JF_MAX_TOKENS)
        cap = JF_MAX_TOKENS;
    d->tok = xreallocarray(d->tok, cap, sizeof *d->tok);
    d->cap = cap;
    return 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* The first byte at or after p that is a quote, a backslash, a control
 * character or not ASCII, or a point less than one block before end. */
static inline const unsigned char *str_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x)); /* x <= 0x1F */
        unsigned mask = (unsigned)_mm_movemask_epi8(m) | (unsigned)_mm_movemask_epi8(x);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        /* A byte below 0x20, a quote or a backslash (zero after the xor),
         * or a high bit: the classic zero-byte tests, exact about whether
         * there is one, which is all the caller needs. */
        if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & highs)
            break;
        p += 8;
    }
#endif
    return p;
}

/* One byte of a string that str_run() stopped at, other than its closing
 * quote: an escape, checked whole; a non-ASCII sequence, checked by
 * utf8_decode(); an ASCII byte of the tail. The byte after it, or NULL when
 * the string is not one jf_parse() reads (see jfield.h). */
static const unsigned char *string_byte(const unsigned char *p, const unsigned char *end, int *esc)
{
    if (p >= end)
        return NULL;
    unsigned c = *p;
    if (c == '\\') {
        if (end - p < 2)
            return NULL;
        *esc = 1;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': return p + 2;
        case 'u': {
            unsigned v, w;
            if (end - p < 6 || !hex4(p + 2, &v) || v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
                return NULL;
            if (v < 0xD800 || v > 0xDBFF)
                return p + 6;
            /* A high surrogate must have its low half. */
            if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &w) || w < 0xDC00 ||
                w > 0xDFFF)
                return NULL;
            return p + 12;
        }
        default: return NULL;
        }
    }
    if (c < 0x20)
        return NULL;
    if (c >= 0x80) {
        uint32_t cp;
        size_t k = utf8_decode(p, (size_t)(end - p), &cp);
        return k ? p + k : NULL;
    }
    return p + 1; /* the tail, shorter than a block */
}

/* p is just after an opening quote: the closing quote, or NULL when the
 * string is not one jf_parse() reads (see jfield.h). *esc is set when the
 * string holds an escape. */
static inline const unsigned char *scan_string(const unsigned char *p, const unsigned char *end,
                                               int *esc)
{
    for (;;) {
        p = str_run(p, end);
        if (p < end && *p == '"')
            return p;
        if (!(p = string_byte(p, end, esc)))
            return NULL;
    }
}

/* A number literal at p: its end, or NULL. *is_float when it has a
 * fraction or an exponent. */
static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end,
                                        int *is_float)
{
    const unsigned char *b = p;
    if (*p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        *is_float = 1;
        if (++p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_float = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p - b <= JF_MAX_NUMBER ? p : NULL;
}

/* A literal (true, false, null) at p, k bytes: 1 when it is there. */
static inline int literal_at(const unsigned char *p, const unsigned char *end, const char *lit,
                             size_t k)
{
    uint32_t a, b;
    if ((size_t)(end - p) < k)
        return 0;
    memcpy(&a, p + k - 4, 4); /* "true", "null"; "alse" of "false" */
    memcpy(&b, lit + k - 4, 4);
    return a == b && (k == 4 || *p == 'f');
}

int jf_parse(struct jf_doc *d, const char *s, size_t n, int flags, int max_depth)
{
    struct frame {
        uint32_t tok, last; /* the container; its last element or key (0: none) */
        int obj;
    } st[TP_MAX_JSON_DEPTH];
    int depth = 0, in_array = 0; /* in_array: the innermost container is an array */
    const unsigned char *base = (const unsigned char *)s, *p = base, *end = base + n;
    struct jf_tok *tk;
    uint32_t t;

    d->s = s;
    d->n = n;
    d->flags = flags;
    d->ntok = 0;
    d->arena_used = 0;
    if (n >= UINT32_MAX || max_depth < 1)
        goto fail;
    if (max_depth > TP_MAX_JSON_DEPTH)
        max_depth = TP_MAX_JSON_DEPTH;

/* Whitespace: compact text has none, so one compare decides. */
#define WS()                                                                                       \
    do {                                                                                           \
        if (p < end && *p <= ' ')                                                                  \
            p = skip_ws(p, end);                                                                   \
    } while (0)
/* A new token t of kind k at offset o, tk pointing at it; an array's
 * element is linked as its container's next child. */
#define NEW_TOKEN(k, o)                                                                            \
    do {                                                                                           \
        if (d->ntok == d->cap && tok_grow(d) != 0)                                                 \
            goto fail;                                                                             \
        t = d->ntok++;                                                                             \
        tk = &d->tok[t];                                                                           \
        *tk = (struct jf_tok){(uint32_t)(o), 0, 0, 0, (unsigned char)(k), 0};                      \
        if (in_array)                                                                              \
            LINK_CHILD();                                                                          \
    } while (0)
/* Link token t as the next child of the innermost container. */
#define LINK_CHILD()                                                                               \
    do {                                                                                           \
        struct frame *f_ = &st[depth - 1];                                                         \
        if (f_->last)                                                                              \
            d->tok[f_->last].next = t;                                                             \
        f_->last = t;                                                                              \
        d->tok[f_->tok].aux++;                                                                     \
    } while (0)

    WS();
value:
    if (p >= end)
        goto fail;
    switch (*p) {
    case '{':
    case '[': {
        int obj = *p == '{';
        NEW_TOKEN(obj ? JF_OBJECT : JF_ARRAY, p - base);
        if (depth == max_depth)
            goto fail;
        st[depth].tok = t;
        st[depth].last = 0;
        st[depth].obj = obj;
        depth++;
        in_array = !obj;
        p++;
        WS();
        if (p < end && *p == (obj ? '}' : ']'))
            goto close;
        if (obj)
            goto key;
        goto value;
    }
    case '"': {
        NEW_TOKEN(JF_STRING, p + 1 - base);
        int esc = 0;
        const unsigned char *q = scan_string(p + 1, end, &esc);
        if (!q)
            goto fail;
        tk = &d->tok[t];
        tk->len = (uint32_t)(q - (p + 1));
        tk->flags = esc ? JT_ESC : 0;
        p = q + 1;
        break;
    }
    case 't':
        if (!literal_at(p, end, "true", 4))
            goto fail;
        NEW_TOKEN(JF_TRUE, p - base);
        d->tok[t].len = 4;
        p += 4;
        break;
    case 'f':
        if (!literal_at(p, end, "false", 5))
            goto fail;
        NEW_TOKEN(JF_FALSE, p - base);
        d->tok[t].len = 5;
        p += 5;
        break;
    case 'n':
        if (!literal_at(p, end, "null", 4))
            goto fail;
        NEW_TOKEN(JF_NULL, p - base);
        d->tok[t].len = 4;
        p += 4;
        break;
    default: {
        int is_float = 0;
        const unsigned char *q = scan_number(p, end, &is_float);
        if (!q)
            goto fail;
        NEW_TOKEN(JF_NUMBER, p - base);
        tk = &d->tok[t];
        tk->len = (uint32_t)(q - p);
        tk->flags = is_float ? JT_FLOAT : 0;
        p = q;
        break;
    }
    }

after:
    WS();
    if (depth == 0) {
        if (p != end)
            goto fail;
        return 0;
    }
    if (p >= end)
        goto fail;
    if (*p == ',') {
        p++;
        WS();
        if (in_array)
            goto value;
        goto key;
    }
    if (*p != (in_array ? ']' : '}'))
        goto fail;

close: /* p is at the closing bracket of st[depth - 1] */
    tk = &d->tok[st[depth - 1].tok];
    tk->len = (uint32_t)((size_t)(p + 1 - base) - tk->start);
    depth--;
    in_array = depth > 0 && !st[depth - 1].obj;
    p++;
    goto after;

key:
    if (p >= end || *p != '"')
        goto fail;
    {
        NEW_TOKEN(JF_STRING, p + 1 - base);
        LINK_CHILD();
        int esc = 0;
        const unsigned char *q = scan_string(p + 1, end, &esc);
        if (!q)
            goto fail;
        tk = &d->tok[t];
        tk->len = (uint32_t)(q - (p + 1));
        tk->flags = (unsigned char)(JT_KEY | (esc ? JT_ESC : 0));
        p = q + 1;
        WS();
        if (p >= end || *p != ':')
            goto fail;
        p++;
        WS();
        goto value;
    }
#undef WS
#undef NEW_TOKEN
#undef LINK_CHILD

fail:
    d->ntok = 0;
    return JF_FALLBACK;
}

/* ---- values ------------------------------------------------------------- */

static struct jf_val none(void)
{
    struct jf_val v = {NULL, NULL, 0};
    return v;
}

static struct jf_val at(struct jf_doc *d, uint32_t i)
{
    struct jf_val v = {d, NULL, i};
    return v;
}

struct jf_val jf_root(struct jf_doc *d)
{
    return d->ntok ? at(d, 0) : none();
}

struct jf_val jf_tree(const cJSON *node)
{
    struct jf_val v = {NULL, node, 0};
    return v;
}

enum jf_type jf_type(struct jf_val v)
{
    if (v.doc)
        return (enum jf_type)v.doc->tok[v.i].kind;
    if (!v.node)
        return JF_NONE;
    switch (v.node->type & 0xFF) {
    case cJSON_False: return JF_FALSE;
    case cJSON_True: return JF_TRUE;
    case cJSON_NULL: return JF_NULL;
    case cJSON_Number: return JF_NUMBER;
    case cJSON_String: return JF_STRING;
    case cJSON_Array: return JF_ARRAY;
    case cJSON_Object: return JF_OBJECT;
    default: return JF_NONE; /* cJSON_Invalid, cJSON_Raw: never parsed */
    }
}

/* Unescape token i (a string) into the arena, once. */
static const char *unescape(struct jf_doc *d, uint32_t i)
{
    struct jf_tok *t = &d->tok[i];
    if (t->aux)
        return d->arena + t->aux - 1;
    if (!d->arena || d->arena_cap < d->n + 1) {
        /* Only before the first string of a parse: nothing points in. */
        free(d->arena);
        d->arena_cap = d->n + 1;
        d->arena = xmalloc(d->arena_cap);
    }
    char *out = d->arena + d->arena_used, *o = out;
    const char *p = d->s + t->start, *end = p + t->len;
    if (!(t->flags & JT_ESC)) {
        memcpy(o, p, t->len);
        o += t->len;
    } else {
        while (p < end) {
            const char *bs = memchr(p, '\\', (size_t)(end - p));
            size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);
            memcpy(o, p, run);
            o += run;
            p += run;
            if (p >= end)
                break;
            /* Checked by scan_string(): a whole, valid escape. */
            unsigned cp = (unsigned char)p[1], lo;
            p += 2;
            switch (cp) {
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                hex4((const unsigned char *)p, &cp);
                p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    hex4((const unsigned char *)p + 2, &lo);
                    p += 6;
                    cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
                }
                break;
            default: break; /* '"', '\\', '/' */
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
        }
    }
    *o++ = '\0';
    t->aux = (uint32_t)(d->arena_used + 1);
    d->arena_used += (size_t)(o - out);
    return out;
}

struct jf_val jf_get(struct jf_val obj, const char *key)
{
    if (!obj.doc)
        return jf_tree(jin_get(obj.node, key));
    struct jf_doc *d = obj.doc;
    const struct jf_tok *o = &d->tok[obj.i];
    if (o->kind != JF_OBJECT || o->aux == 0)
        return none();
    size_t klen = strlen(key);
    for (uint32_t k = obj.i + 1;; k = d->tok[k].next) {
        const struct jf_tok *t = &d->tok[k];
        if (t->flags & JT_ESC) {
            if (strcmp(unescape(d, k), key) == 0)
                return at(d, k + 1);
        } else if (t->len == klen && (klen == 0 || (d->s[t->start] == key[0] &&
                                                    memcmp(d->s + t->start, key, klen) == 0))) {
            return at(d, k + 1);
        }
        if (!t->next)
            return none();
    }
}

void jf_get_many(struct jf_val obj, const char *const *keys, size_t n, struct jf_val *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = none();
    if (!obj.doc) {
        if (!cJSON_IsObject(obj.node))
            return;
        /* jin_get() is the first member of a key: so is the first filled. */
        for (const cJSON *c = obj.node->child; c; c = c->next)
            for (size_t i = 0; i < n; i++)
                if (!jf_present(out[i]) && c->string && strcmp(c->string, keys[i]) == 0)
                    out[i] = jf_tree(c);
        return;
    }
    struct jf_doc *d = obj.doc;
    const struct jf_tok *o = &d->tok[obj.i];
    if (o->kind != JF_OBJECT || o->aux == 0)
        return;
    /* The keys by length (one bit per key), so that a member is compared
     * with the one or two keys of its length only. Keys may repeat: every
     * one of a member's key takes it. */
    enum { BY_LEN = 64 };
    uint32_t by_len[BY_LEN] = {0}, left = 0, longer = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        if (len < BY_LEN)
            by_len[len] |= 1u << i;
        else
            longer |= 1u << i;
        left |= 1u << i;
    }
    for (uint32_t k = obj.i + 1; left; k = d->tok[k].next) {
        const struct jf_tok *t = &d->tok[k];
        const char *name = d->s + t->start;
        size_t len = t->len;
        if (t->flags & JT_ESC) {
            name = unescape(d, k);
            len = strlen(name);
        }
        for (uint32_t m = (len < BY_LEN ? by_len[len] : longer) & left; m; m &= m - 1) {
            int i = __builtin_ctz(m);
            if ((len == 0 || name[0] == keys[i][0]) && strlen(keys[i]) == len &&
                memcmp(name, keys[i], len) == 0) {
                out[i] = at(d, k + 1);
                left &= ~(1u << i);
            }
        }
        if (!t->next)
            break;
    }
}

const char *jf_string(struct jf_val v)
{
    if (!v.doc)
        return cJSON_IsString(v.node) ? v.node->valuestring : NULL;
    if (v.doc->tok[v.i].kind != JF_STRING)
        return NULL;
    return unescape(v.doc, v.i);
}

int64_t jf_strlen(struct jf_val v)
{
    if (v.doc && v.doc->tok[v.i].kind == JF_STRING && !(v.doc->tok[v.i].flags & JT_ESC))
        return v.doc->tok[v.i].len;
    const char *s = jf_string(v);
    return s ? (int64_t)strlen(s) : -1;
}

/* A number literal's value when it is exact the quick way, as strtod()
 * would round it: at most 15 significant digits (below 2^53, so exact as a
 * double) scaled by a power of ten up to 10^22 (exact as well), one
 * correctly rounded multiplication or division (Clinger's fast path).
 * Returns 1 with *out, or 0 for strtod(). */
static int quick_number(const char *p, size_t n, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *end = p + n;
    int neg = *p == '-', digits = 0, scale = 0;
    uint64_t m = 0;
    p += neg;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (m || *p != '0')
            digits++;
        m = m * 10 + (uint64_t)(*p - '0');
        if (digits > 15)
            return 0;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (m || *p != '0')
                digits++;
            m = m * 10 + (uint64_t)(*p - '0');
            scale--;
            if (digits > 15)
                return 0;
        }
    if (p < end) { /* an exponent: checked by scan_number() */
        int eneg = 0, e = 0;
        p++;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        for (; p < end; p++) {
            e = e * 10 + (*p - '0');
            if (e > 400)
                return 0;
        }
        scale += eneg ? -e : e;
    }
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return 0; /* arithmetic in extra precision would round twice */
#endif
    double d = (double)m;
    if (m == 0)
        d = 0;
    else if (scale >= 0 && scale <= 22)
        d *= pow10[scale];
    else if (scale < 0 && scale >= -22)
        d /= pow10[-scale];
    else
        return 0;
    *out = neg ? -d : d;
    return 1;
}

double jf_number(struct jf_val v)
{
    if (!v.doc)
        return cJSON_IsNumber(v.node) ? v.node->valuedouble : 0;
    const struct jf_tok *t = &v.doc->tok[v.i];
    if (t->kind != JF_NUMBER)
        return 0;
    double d;
    if (quick_number(v.doc->s + t->start, t->len, &d))
        return d;
    char buf[JF_MAX_NUMBER + 1];
    memcpy(buf, v.doc->s + t->start, t->len);
    buf[t->len] = '\0';
    return strtod(buf, NULL);
}

int jf_is_float_literal(struct jf_val v)
{
    if (!v.doc)
        return jin_is_float_literal(v.node);
    return (v.doc->flags & JF_NUMFMT) && v.doc->tok[v.i].kind == JF_NUMBER &&
           (v.doc->tok[v.i].flags & JT_FLOAT);
}

struct jf_val jf_child(struct jf_val v)
{
    if (!v.doc) {
        int c = cJSON_IsArray(v.node) || cJSON_IsObject(v.node);
        return jf_tree(c ? v.node->child : NULL);
    }
    const struct jf_tok *t = &v.doc->tok[v.i];
    if ((t->kind != JF_ARRAY && t->kind != JF_OBJECT) || t->aux == 0)
        return none();
    return at(v.doc, v.i + (t->kind == JF_OBJECT ? 2 : 1));
}

/* Is token i an object member's value (the token before it its key)? */
static int is_member(const struct jf_doc *d, uint32_t i)
{
    return i > 0 && (d->tok[i - 1].flags & JT_KEY);
}

struct jf_val jf_next(struct jf_val v)
{
    if (!v.doc)
        return jf_tree(v.node ? v.node->next : NULL);
    if (is_member(v.doc, v.i)) {
        uint32_t k = v.doc->tok[v.i - 1].next;
        return k ? at(v.doc, k + 1) : none();
    }
    uint32_t n = v.doc->tok[v.i].next;
    return n ? at(v.doc, n) : none();
}

const char *jf_key(struct jf_val v)
{
    if (!v.doc)
        return v.node ? v.node->string : NULL;
    return is_member(v.doc, v.i) ? unescape(v.doc, v.i - 1) : NULL;
}

int jf_keys_escaped(struct jf_val obj)
{
    if (!obj.doc || obj.doc->tok[obj.i].kind != JF_OBJECT || obj.doc->tok[obj.i].aux == 0)
        return 0;
    for (uint32_t k = obj.i + 1; k; k = obj.doc->tok[k].next)
        if (obj.doc->tok[k].flags & JT_ESC)
            return 1;
    return 0;
}

const char *jf_raw(struct jf_val v, size_t *len)
{
    if (!v.doc)
        return NULL;
    const struct jf_tok *t = &v.doc->tok[v.i];
    if (t->kind == JF_STRING) {
        *len = t->len + 2;
        return v.doc->s + t->start - 1;
    }
    *len = t->len;
    return v.doc->s + t->start;
}

/* ---- the getters of jsonin.h -------------------------------------------- */

const char *jf_str(struct jf_val obj, const char *key)
{
    return jf_string(jf_get(obj, key));
}

int jf_num(struct jf_val obj, const char *key, double *out)
{
    if (!obj.doc)
        return jin_num(obj.node, key, out);
    struct jf_val v = jf_get(obj, key);
    enum jf_type t = jf_type(v);
    if (t == JF_NONE || t == JF_NULL)
        return 0;
    if (t != JF_NUMBER)
        return -1;
    *out = jf_number(v);
    return 1;
}

int jf_bool(struct jf_val obj, const char *key, int *out)
{
    if (!obj.doc)
        return jin_bool(obj.node, key, out);
    enum jf_type t = jf_type(jf_get(obj, key));
    if (t == JF_NONE || t == JF_NULL)
        return 0;
    if (t != JF_TRUE && t != JF_FALSE)
        return -1;
    *out = t == JF_TRUE;
    return 1;
}

int jf_num_lax(struct jf_val obj, const char *key, double *out)
{
    if (!obj.doc)
        return jin_num_lax(obj.node, key, out);
    const char *s = jf_str(obj, key);
    if (s)
        return jin_parse_number(s, out) ? 1 : -1;
    return jf_num(obj, key, out);
}

int jf_bool_lax(struct jf_val obj, const char *key, int *out)
{
    if (!obj.doc)
        return jin_bool_lax(obj.node, key, out);
    const char *s = jf_str(obj, key);
    if (s) {
        if (strcmp(s, "true") == 0)
            *out = 1;
        else if (strcmp(s, "false") == 0)
            *out = 0;
        else
            return -1;
        return 1;
    }
    return jf_bool(obj, key, out);
}

/* jin_print()'s walk, over tokens; string values (not keys) through map
 * when there is one. */
static void print_value(struct jsonw *w, struct jf_val v, char *(*map)(const char *))
{
    switch (jf_type(v)) {
    case JF_OBJECT:
        jw_obj_begin(w);
        for (struct jf_val c = jf_child(v); jf_present(c); c = jf_next(c)) {
            jw_key(w, jf_key(c));
            print_value(w, c, map);
        }
        jw_obj_end(w);
        break;
    case JF_ARRAY:
        jw_arr_begin(w);
        for (struct jf_val c = jf_child(v); jf_present(c); c = jf_next(c))
            print_value(w, c, map);
        jw_arr_end(w);
        break;
    case JF_STRING: {
        char *m = map ? map(jf_string(v)) : NULL;
        jw_str(w, m ? m : jf_string(v));
        free(m);
        break;
    }
    case JF_NUMBER: {
        double d = jf_number(v);
        if (d == floor(d) && fabs(d) < 9007199254740992.0 && !jf_is_float_literal(v))
            jw_int(w, (long long)d);
        else
            jw_num(w, d);
        break;
    }
    case JF_TRUE: jw_bool(w, 1); break;
    case JF_FALSE: jw_bool(w, 0); break;
    default: jw_null(w); break;
    }
}

char *jf_print(struct jf_val v, size_t max_len)
{
    if (!v.doc)
        return jin_print(v.node, max_len);
    return jf_print_map(v, max_len, NULL);
}

char *jf_print_map(struct jf_val v, size_t max_len, char *(*map)(const char *s))
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, max_len + 1);
    jw_init(&w, &b);
    print_value(&w, v, map);
    if (jw_finish(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}
