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

/* Room for one more token: 0, or -1 past TP_MAX_JSON_TOKENS. */
static int tok_grow(struct jf_doc *d)
{
    if (d->cap >= TP_MAX_JSON_TOKENS)
        return -1;
    uint32_t cap = d->cap ? d->cap * 2 : 256;
    if (cap > TP_MAX_JSON_TOKENS)
        cap = TP_MAX_JSON_TOKENS;
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

int jf_parse(struct jf_doc *d, const char *s, size_t n, int flags, int max_depth)
{
    struct frame {
        uint32_t tok, last; /* the container; its last element or key (0: none) */
        int obj;
    } st[TP_MAX_JSON_DEPTH];
    int depth = 0;
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
    p = skip_ws(p, end);

/* A new token t of kind k at offset o, tk pointing at it. */
#define NEW_TOKEN(k, o)                                                                            \
    do {                                                                                           \
        if (d->ntok == d->cap && tok_grow(d) != 0)                                                 \
            goto fail;                                                                             \
        t = d->ntok++;                                                                             \
        tk = &d->tok[t];                                                                           \
        tk->start = (uint32_t)(o);                                                                 \
        tk->len = tk->next = tk->aux = 0;                                                          \
        tk->kind = (unsigned char)(k);                                                             \
        tk->flags = 0;                                                                             \
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

value:
    if (p >= end)
        goto fail;
    switch (*p) {
    case '{':
    case '[': {
        int obj = *p == '{';
        NEW_TOKEN(obj ? JF_OBJECT : JF_ARRAY, p - base);
        if (depth > 0 && !st[depth - 1].obj)
            LINK_CHILD();
        if (depth == max_depth)
            goto fail;
        st[depth].tok = t;
        st[depth].last = 0;
        st[depth].obj = obj;
        depth++;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (obj ? '}' : ']'))
            goto close;
        if (obj)
            goto key;
        goto value;
    }
    case '"': {
        NEW_TOKEN(JF_STRING, p + 1 - base);
        if (depth > 0 && !st[depth - 1].obj)
            LINK_CHILD();
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
    case 'f':
    case 'n': {
        unsigned kind = *p == 't' ? JF_TRUE : *p == 'f' ? JF_FALSE : JF_NULL;
        const char *lit = kind == JF_TRUE ? "true" : kind == JF_FALSE ? "false" : "null";
        size_t k = kind == JF_FALSE ? 5 : 4;
        if ((size_t)(end - p) < k || memcmp(p, lit, k) != 0)
            goto fail;
        NEW_TOKEN(kind, p - base);
        if (depth > 0 && !st[depth - 1].obj)
            LINK_CHILD();
        d->tok[t].len = (uint32_t)k;
        p += k;
        break;
    }
    default: {
        int is_float = 0;
        const unsigned char *q = scan_number(p, end, &is_float);
        if (!q)
            goto fail;
        NEW_TOKEN(JF_NUMBER, p - base);
        if (depth > 0 && !st[depth - 1].obj)
            LINK_CHILD();
        tk = &d->tok[t];
        tk->len = (uint32_t)(q - p);
        tk->flags = is_float ? JT_FLOAT : 0;
        p = q;
        break;
    }
    }

after:
    if (depth == 0) {
        p = skip_ws(p, end);
        if (p != end)
            goto fail;
        return 0;
    }
    p = skip_ws(p, end);
    if (p >= end)
        goto fail;
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (st[depth - 1].obj)
            goto key;
        goto value;
    }
    if (*p != (st[depth - 1].obj ? '}' : ']'))
        goto fail;

close: /* p is at the closing bracket of st[depth - 1] */
    tk = &d->tok[st[depth - 1].tok];
    tk->len = (uint32_t)((size_t)(p + 1 - base) - tk->start);
    depth--;
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
        p = skip_ws(q + 1, end);
        if (p >= end || *p != ':')
            goto fail;
        p = skip_ws(p + 1, end);
        goto value;
    }
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

double jf_number(struct jf_val v)
{
    if (!v.doc)
        return cJSON_IsNumber(v.node) ? v.node->valuedouble : 0;
    const struct jf_tok *t = &v.doc->tok[v.i];
    if (t->kind != JF_NUMBER)
        return 0;
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

/* jin_print()'s walk, over tokens. */
static void print_value(struct jsonw *w, struct jf_val v)
{
    switch (jf_type(v)) {
    case JF_OBJECT:
        jw_obj_begin(w);
        for (struct jf_val c = jf_child(v); jf_present(c); c = jf_next(c)) {
            jw_key(w, jf_key(c));
            print_value(w, c);
        }
        jw_obj_end(w);
        break;
    case JF_ARRAY:
        jw_arr_begin(w);
        for (struct jf_val c = jf_child(v); jf_present(c); c = jf_next(c))
            print_value(w, c);
        jw_arr_end(w);
        break;
    case JF_STRING: jw_str(w, jf_string(v)); break;
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
