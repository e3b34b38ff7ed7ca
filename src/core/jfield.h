/*
 * jfield.h - the fields of a JSON line without building a tree.
 *
 * Imports read millions of lines (transcript lines, jsonl exports, daily
 * files) from each of which a few fields are needed. Building a cJSON tree
 * of every line costs a node, a key and a value allocation per member, and
 * as much again to free them: most of an import. This module reads a line
 * once, validating it, into a flat array of tokens (one per value, with its
 * byte span, its next sibling and its kind); a field is then found by
 * walking the tokens of one object, and a string is unescaped only when a
 * caller asks for it, into an arena the document owns. Nothing is
 * allocated per value.
 *
 * It is exact, or it steps aside. jf_parse() accepts only what it can
 * prove cJSON behind jin_parse() (JIN_STRICT, the same depth limit) would
 * accept and read into the same values: strict RFC 8259 text, valid UTF-8,
 * no control characters in strings, no escaped NUL or lone surrogate
 * (cJSON reads these differently, and JIN_REPAIR rewrites them), numbers
 * of at most 63 characters (cJSON cuts longer ones), the nesting limit,
 * TP_MAX_JSON_TOKENS values. For anything else it returns JF_FALLBACK and
 * the caller parses that line with jin_parse(), whose answer (a tree, a
 * repair, or a refusal with its message) is the one that counts. So a line
 * is read identically whichever path it takes.
 *
 * Duplicate keys: cJSON keeps every member and jin_get() finds the first;
 * jf_get() finds the first too.
 *
 * Callers read values through struct jf_val, which is either a token of a
 * parsed document or a node of a cJSON tree (the fallback path), with the
 * getters of jsonin.h (jin_get, jin_str, jin_num ...) mirrored for both:
 * one handler serves both paths.
 */
#ifndef TOOLPROF_JFIELD_H
#define TOOLPROF_JFIELD_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A value: a token of doc, or (doc NULL) a cJSON node; neither: absent. */
struct jf_doc;
struct jf_val {
    struct jf_doc *doc;
    const cJSON *node;
    uint32_t i;
};

enum jf_type {
    JF_NONE = 0, /* absent */
    JF_NULL,
    JF_FALSE,
    JF_TRUE,
    JF_NUMBER,
    JF_STRING,
    JF_ARRAY,
    JF_OBJECT,
};

/* jf_parse() could not prove the text reads the same as jin_parse(): parse
 * it with jin_parse(). */
#define JF_FALLBACK (-1)

/* Flags of jf_parse(). */
enum {
    JF_NUMFMT = 1, /* jf_is_float_literal() answers (as JIN_NUMFMT) */
};

/* A document: tokens and a string arena, reused by every parse. */
struct jf_doc *jf_doc_new(void);
void jf_doc_free(struct jf_doc *d);

/* Read s[0..n) (not NUL-terminated, not copied: it must stay unchanged
 * while values of the document are used) into d, replacing what d held.
 * max_depth is jin_parse()'s (at most TP_MAX_JSON_DEPTH is honoured: a
 * deeper limit reads as that). Returns 0, or JF_FALLBACK (d then holds
 * nothing). */
int jf_parse(struct jf_doc *d, const char *s, size_t n, int flags, int max_depth);

/* The root of a parsed document; a value of a cJSON tree (NULL: absent). */
struct jf_val jf_root(struct jf_doc *d);
struct jf_val jf_tree(const cJSON *node);

enum jf_type jf_type(struct jf_val v);
static inline int jf_present(struct jf_val v)
{
    return v.doc != NULL || v.node != NULL;
}

/* Member of an object by exact (unescaped) key: the first one; absent when
 * v is not an object or has none. */
struct jf_val jf_get(struct jf_val obj, const char *key);
/* out[i] = jf_get(obj, keys[i]) for n keys (at most JF_MAX_MANY), in one
 * walk over the members instead of one per key. */
#define JF_MAX_MANY 32
void jf_get_many(struct jf_val obj, const char *const *keys, size_t n, struct jf_val *out);

/* A string value, unescaped and NUL-terminated (owned by the document or
 * the tree), or NULL when v is not a string. jf_strlen() is its length in
 * bytes (-1 when not a string), without unescaping when it has no escape. */
const char *jf_string(struct jf_val v);
int64_t jf_strlen(struct jf_val v);

/* A number's value (0 when v is not a number); whether it was written with
 * a fraction or an exponent (only with JF_NUMFMT / JIN_NUMFMT, else 0). */
double jf_number(struct jf_val v);
int jf_is_float_literal(struct jf_val v);

/* Children of an array or object in order: the first (absent when empty
 * or not a container), the next one after v (absent after the last); an
 * object member's key (NULL for array elements). */
struct jf_val jf_child(struct jf_val v);
struct jf_val jf_next(struct jf_val v);
const char *jf_key(struct jf_val v);
/* 1 when a key of object obj is written with an escape in the text (a
 * tree value, or not an object: 0): for callers that also read keys as
 * written (jscan.h). */
int jf_keys_escaped(struct jf_val obj);

/* The raw text of a document value (a string with its quotes), or NULL for
 * a tree value. */
const char *jf_raw(struct jf_val v, size_t *len);

/* The getters of jsonin.h, same contracts: jf_str is jin_str, jf_num is
 * jin_num (1 found, 0 absent or null, -1 another type), and so on. */
const char *jf_str(struct jf_val obj, const char *key);
int jf_num(struct jf_val obj, const char *key, double *out);
int jf_bool(struct jf_val obj, const char *key, int *out);
int jf_num_lax(struct jf_val obj, const char *key, double *out);
int jf_bool_lax(struct jf_val obj, const char *key, int *out);

/* jin_print() of the value, byte for byte: compact, through our writer's
 * rules. Returns a malloc'd string, or NULL when it exceeds max_len bytes
 * (absent prints as null, as jin_print(NULL) does). */
char *jf_print(struct jf_val v, size_t max_len);
/* The same, with each string value (not key) replaced by map(s) when that
 * returns a string (malloc'd, freed here), else kept: what jin_print()
 * writes of a tree whose strings were replaced so. */
char *jf_print_map(struct jf_val v, size_t max_len, char *(*map)(const char *s));

#endif
