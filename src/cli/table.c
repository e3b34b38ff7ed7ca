/*
 * table.c - aligned text tables (see table.h).
 */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void table_init(struct table *t, size_t ncols, const char *const *heads)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->heads = xcalloc(ncols, sizeof *t->heads);
    t->numeric = xcalloc(ncols, sizeof *t->numeric);
    t->cap = xcalloc(ncols, sizeof *t->cap);
    for (size_t c = 0; c < ncols; c++) {
        t->numeric[c] = heads[c][0] == '>';
        t->heads[c] = heads[c] + t->numeric[c];
    }
}

void table_cap(struct table *t, size_t col, size_t max_width)
{
    t->cap[col] = max_width;
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
    size_t h = char_off(s, head), tstart = char_off(s, w - tail);
    size_t n = h + 3 + strlen(s + tstart);
    char *out = xmalloc(n + 1);
    memcpy(out, s, h);
    memcpy(out + h, "\xE2\x80\xA6", 3);
    strcpy(out + h + 3, s + tstart);
    return out;
}

void table_row(struct table *t, const char *const *cells)
{
    if (t->nrows == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 16;
        t->cells = xreallocarray(t->cells, t->alloc * t->ncols, sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *v = cells[c] ? cells[c] : "-";
        /* Newlines and tabs would break the grid. */
        char *copy = cut_middle(v, t->cap[c]);
        for (char *p = copy; *p; p++)
            if (*p == '\n' || *p == '\t' || *p == '\r')
                *p = ' ';
        t->cells[t->nrows * t->ncols + c] = copy;
    }
    t->nrows++;
}

static void print_cell(FILE *fp, const char *s, size_t w, int right, int last)
{
    size_t pad = w - width(s);
    if (right)
        fprintf(fp, "%*s%s", (int)pad, "", s);
    else if (last)
        fputs(s, fp);
    else
        fprintf(fp, "%s%*s", s, (int)pad, "");
}

void table_print(const struct table *t, FILE *fp)
{
    size_t *w = xcalloc(t->ncols, sizeof *w);
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = width(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t x = width(t->cells[r * t->ncols + c]);
            if (x > w[c])
                w[c] = x;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        print_cell(fp, t->heads[c], w[c], t->numeric[c], c + 1 == t->ncols);
        fputs(c + 1 == t->ncols ? "\n" : "  ", fp);
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            print_cell(fp, t->cells[r * t->ncols + c], w[c], t->numeric[c], c + 1 == t->ncols);
            fputs(c + 1 == t->ncols ? "\n" : "  ", fp);
        }
    free(w);
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->heads);
    free(t->numeric);
    free(t->cap);
    memset(t, 0, sizeof *t);
}

void table_ms(char *out, double ms)
{
    if (isnan(ms))
        snprintf(out, 32, "-");
    else if (ms >= 120000)
        snprintf(out, 32, "%.1f min", ms / 60000);
    else if (ms >= 1000)
        snprintf(out, 32, "%.2f s", ms / 1000);
    else if (ms >= 10)
        snprintf(out, 32, "%.0f ms", ms);
    else
        snprintf(out, 32, "%.1f ms", ms);
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
    snprintf(out, 32, "%.1f%%", pct);
}
