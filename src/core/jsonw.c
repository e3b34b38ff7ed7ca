/*
 * jsonw.c - JSON writer (see jsonw.h for the promises it keeps).
 *
 * The writer keeps one "first element" flag per nesting level and writes the
 * separating comma itself, so callers only say what comes next. Misuse (a
 * value in an object without a key, too deep nesting) sets a sticky error
 * that jw_finish() reports; it never writes past the buffer's cap.
 */
#include "jsonw.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

void jw_init(struct jsonw *w, struct buf *b)
{
    w->b = b;
    w->depth = 0;
    w->first[0] = 1;
    w->is_obj[0] = 0;
    w->after_key = 0;
    w->err = 0;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
    if (buf_add(w->b, s, n) != 0)
        w->err = TP_ETOOBIG;
}

/* Write the comma that separates this value from the previous one, and
 * check that a value may come here: after a key in an object, anywhere in
 * an array, once at the top level. */
static void sep(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->is_obj[w->depth] || (w->depth == 0 && !w->first[0])) {
        w->err = TP_EINVAL;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = 0;
}

static void open_level(struct jsonw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    if (w->depth + 1 >= JW_MAX_DEPTH) {
        w->err = TP_EINVAL;
        return;
    }
    w->depth++;
    w->first[w->depth] = 1;
    w->is_obj[w->depth] = c == '{';
}

static void close_level(struct jsonw *w, char c)
{
    if (w->depth == 0 || w->after_key || w->is_obj[w->depth] != (c == '}')) {
        w->err = TP_EINVAL;
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void jw_obj_begin(struct jsonw *w)
{
    open_level(w, '{');
}
void jw_obj_end(struct jsonw *w)
{
    close_level(w, '}');
}
void jw_arr_begin(struct jsonw *w)
{
    open_level(w, '[');
}
void jw_arr_end(struct jsonw *w)
{
    close_level(w, ']');
}

void jw_escape(struct buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    while (i < n) {
        /* The common case, a stretch of ASCII that goes out as it is
         * (space to '~' but the quote, the backslash and the HTML-sensitive
         * < > &), in one tight loop. */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\' && s[j] != '<' &&
               s[j] != '>' && s[j] != '&')
            j++;
        run += j - i;
        i = j;
        if (i >= n)
            break;
        unsigned c = s[i];
        const char *rep = NULL;
        char tmp[8];
        size_t k = 1;
        if (c >= 0x80) {
            uint32_t cp;
            k = utf8_decode(s + i, n - i, &cp);
            if (k == 0) {
                rep = "\\ufffd";
                k = 1;
            } else if (cp == 0x2028) {
                rep = "\\u2028";
            } else if (cp == 0x2029) {
                rep = "\\u2029";
            }
        } else if (c == '"') {
            rep = "\\\"";
        } else if (c == '\\') {
            rep = "\\\\";
        } else if (c == '\n') {
            rep = "\\n";
        } else if (c == '\r') {
            rep = "\\r";
        } else if (c == '\t') {
            rep = "\\t";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
            tmp[0] = '\\', tmp[1] = 'u', tmp[2] = '0', tmp[3] = '0';
            tmp[4] = hex[c >> 4], tmp[5] = hex[c & 15], tmp[6] = 0;
            rep = tmp;
        }
        if (rep) {
            if (run)
                buf_add(b, str + i - run, run);
            run = 0;
            buf_adds(b, rep);
        } else {
            run += k;
        }
        i += k;
    }
    if (run)
        buf_add(b, str + n - run, run);
}

void jw_key(struct jsonw *w, const char *key)
{
    if (!w->is_obj[w->depth] || w->after_key) {
        w->err = TP_EINVAL;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = 0;
    put(w, "\"", 1);
    jw_escape(w->b, key, strlen(key));
    put(w, "\":", 2);
    if (w->b->toobig)
        w->err = TP_ETOOBIG;
    w->after_key = 1;
}

void jw_strn(struct jsonw *w, const char *s, size_t n)
{
    sep(w);
    put(w, "\"", 1);
    jw_escape(w->b, s, n);
    put(w, "\"", 1);
    if (w->b->toobig)
        w->err = TP_ETOOBIG;
}

void jw_str(struct jsonw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_int(struct jsonw *w, long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    sep(w);
    put(w, tmp, (size_t)n);
}

size_t jw_format_double(char *out, double v)
{
    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return 4;
    }
    /* Whole numbers below 1e15, most of what toolprof writes (durations
     * in ms, timestamps, counts), come out as their digits and ".0", which
     * is what the search below finds for them, without its snprintf and
     * strtod calls (they were a quarter of the instructions of a session's
     * answer). */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v && (v != 0 || !signbit(v))) {
        char d[24];
        int n = 0;
        long long k = (long long)v;
        unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
        do
            d[n++] = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        char *o = out;
        if (k < 0)
            *o++ = '-';
        while (n > 0)
            *o++ = d[--n];
        memcpy(o, ".0", 3);
        return (size_t)(o + 2 - out);
    }
    /* Numbers of at most three decimals (durations in ms as the agents
     * report them) from 0.001 to 1e12: m / 10^k is exact arithmetic on
     * exact integers, rounded once, so it equals v exactly when the
     * decimal m * 10^-k reads back as v; and no decimal of fewer places
     * does (any two of them are 0.001 apart, far more than v's precision
     * here), so it is the shortest. Written positionally, as below. */
    double a = fabs(v);
    if (a >= 1e-3 && a < 1e12) {
        static const double pow10[] = {1, 10, 100, 1000};
        for (int k = 1; k <= 3; k++) {
            double mk = nearbyint(a * pow10[k]);
            if (mk / pow10[k] != a)
                continue;
            unsigned long long m = (unsigned long long)mk, ip = m, fp;
            unsigned long long div = (unsigned long long)pow10[k];
            ip = m / div;
            fp = m % div;
            char d[24];
            int n = 0;
            do
                d[n++] = (char)('0' + ip % 10);
            while ((ip /= 10) != 0);
            char *o = out;
            if (v < 0)
                *o++ = '-';
            while (n > 0)
                *o++ = d[--n];
            *o++ = '.';
            for (int i = k - 1; i >= 0; i--) {
                o[i] = (char)('0' + fp % 10);
                fp /= 10;
            }
            o += k;
            while (o[-1] == '0' && o[-2] != '.')
                o--;
            *o = '\0';
            return (size_t)(o - out);
        }
    }
    /* Shortest digits that read back as v: a 15-digit rounding is exact
     * for most values, and 16 or 17 digits always are. */
    char e[40];
    /* Subnormals carry fewer digits: search those from one digit up. */
    int first = fabs(v) < DBL_MIN && v != 0 ? 0 : 14;
    for (int prec = first; prec <= 16; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is "-d.ddddde+XX": collect the digits, drop trailing zeros. */
    char digits[24];
    int nd = 0, neg = e[0] == '-';
    const char *p = e + neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp10 = atoi(p + 1);
    int decpt = exp10 + 1; /* digits d1 d2 ... with the point after decpt of them */
    /* Python's repr: positional notation when -4 < decpt <= 16. */
    char *o = out;
    if (neg)
        *o++ = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *o++ = '0', *o++ = '.';
            for (int i = 0; i < -decpt; i++)
                *o++ = '0';
            memcpy(o, digits, (size_t)nd), o += nd;
        } else if (decpt >= nd) {
            memcpy(o, digits, (size_t)nd), o += nd;
            for (int i = nd; i < decpt; i++)
                *o++ = '0';
            *o++ = '.', *o++ = '0';
        } else {
            memcpy(o, digits, (size_t)decpt), o += decpt;
            *o++ = '.';
            memcpy(o, digits + decpt, (size_t)(nd - decpt)), o += nd - decpt;
        }
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(nd - 1)), o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    *o = '\0';
    return (size_t)(o - out);
}

void jw_num(struct jsonw *w, double v)
{
    char tmp[32];
    size_t n = jw_format_double(tmp, v);
    sep(w);
    put(w, tmp, n);
}

void jw_bool(struct jsonw *w, int v)
{
    sep(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void jw_null(struct jsonw *w)
{
    sep(w);
    put(w, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json, size_t n)
{
    sep(w);
    put(w, json, n);
}

void jw_kstr(struct jsonw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jsonw *w, const char *key, long long v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_knum(struct jsonw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_num(w, v);
}

void jw_kbool(struct jsonw *w, const char *key, int v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

void jw_knull(struct jsonw *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

int jw_finish(struct jsonw *w)
{
    if (w->err)
        return w->err;
    if (w->depth != 0 || w->after_key)
        return TP_EINVAL;
    return w->b->toobig ? TP_ETOOBIG : 0;
}
