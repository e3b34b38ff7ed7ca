/*
 * jscan.h - find the top-level members of a JSON object without parsing it.
 *
 * Paths that run once per tool call or once per line of a large file need
 * a few fields of an object and none of the rest (a hook's event name and
 * ids, a transcript line's type). This scanner walks the top level of one
 * object, skipping every value it is not asked for without building it:
 * strings are skipped by their quotes (a backslash-counted escape), nested
 * objects and arrays by bracket depth. It is a finder, not a validator: a
 * caller that needs the whole document valid parses it with jin_parse().
 *
 * Values are returned raw: a string's bytes between its quotes, still
 * escaped (jscan_unescape() decodes one), or a number's or literal's text.
 */
#ifndef TOOLPROF_JSCAN_H
#define TOOLPROF_JSCAN_H

#include <stddef.h>

enum jscan_type { JSCAN_NONE = 0, JSCAN_STRING, JSCAN_OTHER };

struct jscan_val {
    enum jscan_type type; /* NONE: the key is not at the top level */
    const char *p;        /* raw value: string contents, or the literal */
    size_t n;
    int escaped; /* a string holding backslash escapes */
};

/* Scan object s[0..n) for the nkeys keys, filling out[i] for keys[i] (the
 * first occurrence). Returns 1 when it stopped as soon as every key was
 * found (the rest is not read), 0 when the top level was read to its
 * closing brace, -1 when s is not an object or ends inside one before all
 * keys were found (out holds what was found before the problem). */
int jscan_top(const char *s, size_t n, const char *const *keys, size_t nkeys,
              struct jscan_val *out);

/* Decode a raw string value into out (size bytes, NUL-terminated): the
 * escapes \" \\ \/ \b \f \n \r \t and \uXXXX (with surrogate pairs; a
 * lone surrogate or \u0000 becomes U+FFFD). Returns 0, or -1 when the
 * value is malformed or does not fit. */
int jscan_unescape(const struct jscan_val *v, char *out, size_t size);

/* Skip one JSON value at p (after whitespace) within [p, end): the byte
 * after it, or NULL when the input ends inside it. Strings by their quotes,
 * objects and arrays by depth, anything else up to a delimiter. */
const char *jscan_skip_value(const char *p, const char *end);

#endif
