/*
 * table.h - aligned text tables for the command line, and the formats of
 * numbers and durations (the dashboard's own, web/app.js).
 *
 * Cells are copied in; table_print() measures every column (in characters,
 * not bytes, so UTF-8 paths line up) and pads. Columns flagged numeric are
 * right-aligned. A table wider than the terminal (term.h) first narrows the
 * columns marked cuttable, cutting long cells in the middle with "…" (which
 * keeps both the start and the file name of a path); when that is not enough it
 * leaves out the columns marked optional, last-resort first, and says so
 * under the table. Headings are bold and styled cells coloured when colour
 * is on.
 */
#ifndef TOOLPROF_TABLE_H
#define TOOLPROF_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "term.h"

struct table {
    size_t ncols, nrows, alloc;
    const char **heads;
    int *numeric;
    size_t *cap;           /* max width per column, 0 = none */
    int *optional;         /* 0: always shown; k > 0: left out k-th last when too wide */
    size_t *cut_min;       /* 0: never cut; else cut in the middle down to this width */
    char **cells;          /* nrows * ncols */
    unsigned char *styles; /* nrows * ncols, enum term_style */
    size_t width;          /* fit to this many columns (0: term_width()) */
};

/* heads: column titles; a title starting with '>' is a right-aligned
 * (numeric) column and the '>' is not printed. */
void table_init(struct table *t, size_t ncols, const char *const *heads);
void table_cap(struct table *t, size_t col, size_t max_width);
/* The column's long cells may be cut in the middle (down to min_width
 * characters) to fit the terminal: targets, paths, names. Other columns
 * keep their width. */
void table_cut(struct table *t, size_t col, size_t min_width);
/* The column may be left out when the table cannot fit otherwise; of
 * several, the highest rank goes first. */
void table_optional(struct table *t, size_t col, int rank);
/* Fit to width columns instead of the terminal's (0: no limit). */
void table_set_width(struct table *t, size_t width);
/* Add a row of ncols cells (NULL prints as "–"). */
void table_row(struct table *t, const char *const *cells);
/* Style a cell of the last row added. */
void table_style(struct table *t, size_t col, enum term_style st);
void table_print(const struct table *t, FILE *fp);
void table_free(struct table *t);

/* s cut in the middle to at most cap characters (a path keeps its file
 * name when it fits), as a table cuts its cells; malloc'd. */
char *table_cut_text(const char *s, size_t cap);
/* The characters (code points) of s. */
size_t table_text_width(const char *s);

/* Format helpers for cells, as the dashboard writes them: durations
 * ("0.42 ms", "7.5 ms", "850 ms", "2.35 s", "14.2 s", "3 min 5 s",
 * "2 h 10 min"; NAN is "–"), counts with thousands separators,
 * percentages ("12%", "8.7%"). out >= 32 bytes. */
void table_ms(char *out, double ms);
void table_count(char *out, unsigned long long n);
void table_pct(char *out, double pct);
/* A change in percent: "+12%", "-8.7%", "–" for NAN. */
void table_change(char *out, double pct);
/* A local time "2026-11-20 12:03" (date and minutes). */
void table_time(char *out, int64_t ms);

#endif
