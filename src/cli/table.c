/*
 * table.c - aligned text tables and cell formats (see table.h).
 */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tptime.h"
#include "core/xmalloc.h"

#define TABLE_GAP 2 /* spaces between columns */

void table_init(struct table *t, size_t ncols, const char *const *heads)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->heads = xcalloc(ncols, sizeof *t->heads);
    t->numeric = xcalloc(ncols, sizeof *t->numeric);
    t->cap = xcalloc(ncols, sizeof *t->cap);
    t->optional = xcalloc(ncols, sizeof *t->optional);
    t->cut_min = xcalloc(ncols, sizeof *t->cut_min);
    for (size_t c = 0; c < ncols; c++) {
        t->numeric[c] = heads[c][0] == '>';
        t->heads[c] = heads[c] + t->numeric[c];
    }
    t->width = (size_t)-1; /* the terminal's */
}

void table_cap(struct table *t, size_t col, size_t max_width)
{
    t->cap[col] = max_width;
}

void table_cut(struct table *t, size_t col, size_t min_width)
{
    t->cut_min[col] = min_width ? min_width : 1;
}

void table_optional(struct table *t, size_t col, int rank)
{
    t->optional[col] = rank;
}

void table_set_width(struct table *t, size_t width)
{
    t->width = width;
}

/* Characters (code points) in s. */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Byte offset of the k-th character. */
static size_t char_off(const char *s, size_t k)
{
    size_t i = 0;
    for (; s[i] && k; k -= ((unsigned char)s[i] & 0xC0) != 0x80 ? 1 : 0) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static char *cut_middle(const char *s, size_t cap)
{
    size_t w = width(s);
    if (!cap || w <= cap)
        return xstrdup(s);
    size_t head = (cap - 1) / 2, tail = cap - 1 - head;
    /* A path keeps its file name whole when there is room for it. */
    const char *slash = strrchr(s, '/');
    if (slash && slash > s) {
        size_t base = width(slash);
        if (base < cap && base > tail) {
            tail = base;
            head = cap - 1 - tail;
        }
    }
    size_t h = char_off(s, head), tstart = char_off(s, w - tail);
    size_t n = h + 3 + strlen(s + tstart);
    char *out = xmalloc(n + 1);
    memcpy(out, s, h);
    memcpy(out + h, "\xE2\x80\xA6", 3);
    strcpy(out + h + 3, s + tstart);
    return out;
}

char *table_cut_text(const char *s, size_t cap)
{
    return cut_middle(s, cap);
}

size_t table_text_width(const char *s)
{
    return width(s);
}

void table_row(struct table *t, const char *const *cells)
{
    if (t->nrows == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 16;
        t->cells = xreallocarray(t->cells, t->alloc * t->ncols, sizeof *t->cells);
        t->styles = xreallocarray(t->styles, t->alloc * t->ncols, sizeof *t->styles);
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *v = cells[c] ? cells[c] : "\xE2\x80\x93";
        /* Newlines and tabs would break the grid. */
        char *copy = cut_middle(v, t->cap[c]);
        for (char *p = copy; *p; p++)
            if (*p == '\n' || *p == '\t' || *p == '\r')
                *p = ' ';
        t->cells[t->nrows * t->ncols + c] = copy;
        t->styles[t->nrows * t->ncols + c] = TS_NONE;
    }
    t->nrows++;
}

void table_style(struct table *t, size_t col, enum term_style st)
{
    if (t->nrows && col < t->ncols)
        t->styles[(t->nrows - 1) * t->ncols + col] = (unsigned char)st;
}

static void print_cell(FILE *fp, const char *s, size_t w, int right, int last, enum term_style st)
{
    char *cut = width(s) > w ? cut_middle(s, w) : NULL;
    const char *text = cut ? cut : s;
    size_t pad = w - width(text);
    if (right)
        fprintf(fp, "%*s", (int)pad, "");
    fprintf(fp, "%s%s%s", term_on(st), text, term_off(st));
    if (!right && !last)
        fprintf(fp, "%*s", (int)pad, "");
    free(cut);
}

/* Column widths that fit max (0: any). Cuttable columns are first cut
 * to a comfortable width (twice their minimum), leaving out optional
 * columns while that is not enough; only when none is left are they cut
 * to their minimum (shown[c] = 0 for a column left out). */
static void fit(const struct table *t, size_t max, size_t *w, int *shown)
{
    size_t *natural = xcalloc(t->ncols, sizeof *natural);
    for (size_t c = 0; c < t->ncols; c++) {
        natural[c] = width(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t x = width(t->cells[r * t->ncols + c]);
            if (x > natural[c])
                natural[c] = x;
        }
        shown[c] = 1;
    }
    for (int hard = 0;;) {
        size_t total = 0, n = 0;
        for (size_t c = 0; c < t->ncols; c++) {
            w[c] = natural[c];
            if (shown[c])
                total += w[c] + (n++ ? TABLE_GAP : 0);
        }
        if (!max || total <= max)
            break;
        size_t excess = total - max;
        while (excess > 0) {
            size_t best = t->ncols;
            for (size_t c = 0; c < t->ncols; c++) {
                size_t floor = t->cut_min[c] * (hard ? 1 : 2);
                if (shown[c] && t->cut_min[c] && w[c] > floor &&
                    (best == t->ncols || w[c] > w[best]))
                    best = c;
            }
            if (best == t->ncols)
                break;
            w[best]--;
            excess--;
        }
        if (!excess || hard)
            break;
        size_t drop = t->ncols;
        for (size_t c = 0; c < t->ncols; c++)
            if (shown[c] && t->optional[c] &&
                (drop == t->ncols || t->optional[c] > t->optional[drop]))
                drop = c;
        if (drop == t->ncols)
            hard = 1; /* nothing left to leave out: cut to the minimum */
        else
            shown[drop] = 0;
    }
    free(natural);
}

void table_print(const struct table *t, FILE *fp)
{
    size_t *w = xcalloc(t->ncols, sizeof *w);
    int *shown = xcalloc(t->ncols, sizeof *shown);
    fit(t, t->width == (size_t)-1 ? term_width() : t->width, w, shown);
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (shown[c])
            last = c;
    for (size_t r = 0; r <= t->nrows; r++) {
        int first = 1;
        for (size_t c = 0; c < t->ncols; c++) {
            if (!shown[c])
                continue;
            if (!first)
                fprintf(fp, "%*s", TABLE_GAP, "");
            first = 0;
            if (r == 0)
                print_cell(fp, t->heads[c], w[c], t->numeric[c], c == last, TS_BOLD);
            else
                print_cell(fp, t->cells[(r - 1) * t->ncols + c], w[c], t->numeric[c], c == last,
                           (enum term_style)t->styles[(r - 1) * t->ncols + c]);
        }
        fputc('\n', fp);
    }
    char left[256] = "";
    size_t len = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (!shown[c] && len < sizeof left)
            len += (size_t)snprintf(left + len, sizeof left - len, "%s%s", len ? ", " : "",
                                    t->heads[c]);
    if (len)
        fprintf(fp, "%s(left out at %zu columns: %s; --json has all)%s\n", term_on(TS_DIM),
                t->width == (size_t)-1 ? term_width() : t->width, left, term_off(TS_DIM));
    free(w);
    free(shown);
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->styles);
    free(t->heads);
    free(t->numeric);
    free(t->cap);
    free(t->optional);
    free(t->cut_min);
    memset(t, 0, sizeof *t);
}

/* ---- formats ---------------------------------------------------------------- */

/* v with thousands separators and `digits` decimals. */
static void grouped(char *out, double v, int digits)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", digits, fabs(v));
    const char *dot = strchr(tmp, '.');
    int ilen = dot ? (int)(dot - tmp) : (int)strlen(tmp), o = 0;
    if (v < 0 && strspn(tmp, "0.") != strlen(tmp))
        out[o++] = '-';
    for (int i = 0; i < ilen; i++) {
        if (i && (ilen - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
    if (dot)
        strcat(out, dot);
}

void table_ms(char *out, double ms)
{
    char n[40];
    double a = fabs(ms);
    if (isnan(ms) || isinf(ms)) {
        snprintf(out, 32, "\xE2\x80\x93");
    } else if (a == 0) {
        snprintf(out, 32, "0 ms");
    } else if (a < 1) {
        grouped(n, ms, 2);
        snprintf(out, 32, "%.26s ms", n);
    } else if (a < 10) {
        grouped(n, ms, 1);
        snprintf(out, 32, "%.26s ms", n);
    } else if (a < 1000) {
        grouped(n, ms, 0);
        snprintf(out, 32, "%.26s ms", n);
    } else if (a < 10000) {
        grouped(n, ms / 1000, 2);
        snprintf(out, 32, "%.26s s", n);
    } else if (a < 60000) {
        grouped(n, ms / 1000, 1);
        snprintf(out, 32, "%.26s s", n);
    } else {
        /* As the page: whole seconds, then whole minutes. */
        long long s = llround(ms / 1000);
        if (s < 3600) {
            snprintf(out, 32, "%lld min %lld s", s / 60, s % 60);
        } else {
            long long m = llround((double)s / 60);
            grouped(n, (double)(m / 60), 0);
            snprintf(out, 32, "%.16s h %lld min", n, m % 60);
        }
    }
}

void table_count(char *out, unsigned long long n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
}

void table_pct(char *out, double pct)
{
    if (isnan(pct)) {
        snprintf(out, 32, "\xE2\x80\x93");
        return;
    }
    /* As the page: whole numbers, and the ends of the scale, without a
     * decimal. */
    int digits = pct == round(pct) || pct >= 99.95 || pct <= 0.05 ? 0 : 1;
    char n[40];
    /* Halves away from zero, as the page's Intl.NumberFormat rounds. */
    grouped(n, digits ? round(pct * 10) / 10 : round(pct), digits);
    snprintf(out, 32, "%.28s%%", n);
}

void table_change(char *out, double pct)
{
    if (isnan(pct)) {
        snprintf(out, 32, "\xE2\x80\x93");
        return;
    }
    char n[40];
    table_pct(n, fabs(pct));
    snprintf(out, 32, "%s%.28s", pct > 0 ? "+" : pct < 0 ? "-" : "", n);
}

void table_time(char *out, int64_t ms)
{
    char ts[48];
    tpt_format_local(ms, ts);
    snprintf(out, 32, "%.10s %.5s", ts, ts + 11);
}
