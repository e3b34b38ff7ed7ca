/*
 * jsonin.h - JSON input: cJSON behind a strict front door.
 *
 * cJSON is fast but lax (it accepts invalid UTF-8, silently truncates
 * strings at an escaped \u0000, and nests 1000 levels deep). Every JSON
 * document toolprof reads goes through jin_parse(), which first checks the
 * raw bytes itself:
 *
 *   - UTF-8: JIN_STRICT rejects invalid bytes with their offset; JIN_REPAIR
 *     (used for transcripts, which we must not drop for one bad byte)
 *     replaces them with U+FFFD;
 *   - NUL bytes and escaped \u0000 in strings: rejected in JIN_STRICT;
 *   - nesting: deeper than max_depth is rejected before cJSON recurses;
 *   - the whole input must be one JSON value (trailing bytes are an error).
 *
 * Then the typed getters below pull fields out with explicit type checks.
 * Only ingesters include this header: the store and the engine never see a
 * cJSON tree (they get `struct op`).
 */
#ifndef TOOLPROF_JSONIN_H
#define TOOLPROF_JSONIN_H

#include <cjson/cJSON.h>
#include <stddef.h>

enum {
    JIN_STRICT = 0,
    JIN_REPAIR = 1,
    /* Or'ed in: remember which numbers were written with a fraction or an
     * exponent ("2100.0" vs "2100"), for jin_is_float_literal(). */
    JIN_NUMFMT = 2,
};

/* Parse data[0..len) (mode: JIN_STRICT or JIN_REPAIR, optionally
 * | JIN_NUMFMT). Returns the tree (free with cJSON_Delete) or NULL with
 * a message in errbuf (TP_ERR_MAX) saying what is wrong and at which byte.
 * data need not be NUL-terminated. */
cJSON *jin_parse(const char *data, size_t len, int mode, int max_depth, char *errbuf);

/* 1 when number v was written with a fraction or an exponent (2100.0),
 * 0 when as an integer (2100). Only known when parsed with JIN_NUMFMT
 * (else 0). */
int jin_is_float_literal(const cJSON *v);

/* Member of an object by exact key, NULL when obj is not an object or has
 * no such member. */
const cJSON *jin_get(const cJSON *obj, const char *key);

/* String member, or NULL when absent or not a string. */
const char *jin_str(const cJSON *obj, const char *key);

/* Typed members. Return 1 when found with the right type (value in *out),
 * 0 when absent or null, -1 when present with another type. */
int jin_num(const cJSON *obj, const char *key, double *out);
int jin_bool(const cJSON *obj, const char *key, int *out);

/* As above, but also accept the value as a string ("62", "true"): OTLP and
 * some hook loggers send numbers and booleans as strings. A string that is
 * not a clean number / boolean gives -1. */
int jin_num_lax(const cJSON *obj, const char *key, double *out);
int jin_bool_lax(const cJSON *obj, const char *key, int *out);

/* Parse a whole string as a finite number; 1 on success, 0 if it is not one. */
int jin_parse_number(const char *s, double *out);

/* Byte spans of the elements of an array in the raw text, for readers
 * that must know where element k ends in the file (an import mark). The
 * text is walked, not parsed: strings are skipped and brackets counted, so
 * on a document jin_parse() accepted the spans are exact; on anything else
 * the walk stops with -1. Usage:
 *     struct jin_iter it;
 *     if (jin_array_begin(&it, text, len, pos_of_bracket) == 0)
 *         while ((r = jin_array_next(&it, &start, &end)) == 1) ...
 * Offsets are into text. */
struct jin_iter {
    const char *text;
    size_t len, pos;
    int state; /* 0: before the first element, 1: after an element, 2: done */
};
/* Start at the '[' at text[pos]. Returns 0, or -1 when there is none. */
int jin_array_begin(struct jin_iter *it, const char *text, size_t len, size_t pos);
/* The next element as text[*start, *end). Returns 1, 0 after the last
 * (it->pos is then just past the ']'), or -1 when the text is not an
 * array there. */
int jin_array_next(struct jin_iter *it, size_t *start, size_t *end);
/* Offset of the value of member `key` of the object starting at
 * text[pos] (leading whitespace and a UTF-8 byte order mark skipped), or
 * -1 when there is no such member or the text is not an object. The
 * first member of that name is found (cJSON's jin_get() finds the first
 * too). */
long jin_member_at(const char *text, size_t len, size_t pos, const char *key);

/* Serialize a value compactly through our writer's rules (valid UTF-8, HTML
 * safe). Returns a malloc'd string, or NULL when it exceeds max_len bytes. */
char *jin_print(const cJSON *v, size_t max_len);

#endif
