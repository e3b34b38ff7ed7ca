/*
 * table.h - aligned text tables for the command line.
 *
 * Cells are copied in; table_print() measures every column (in characters,
 * not bytes, so UTF-8 paths line up) and pads. Columns flagged numeric are
 * right-aligned. A cell longer than the column's cap is cut in the middle
 * with "…", which keeps both the start and the file name of a long path.
 */
#ifndef TOOLPROF_TABLE_H
#define TOOLPROF_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table {
    size_t ncols, nrows, alloc;
    const char **heads;
    int *numeric;
    size_t *cap;  /* max width per column, 0 = none */
    char **cells; /* nrows * ncols */
};

/* heads: column titles; a title starting with '>' is a right-aligned
 * (numeric) column and the '>' is not printed. */
void table_init(struct table *t, size_t ncols, const char *const *heads);
void table_cap(struct table *t, size_t col, size_t max_width);
/* Add a row of ncols cells (NULL prints as "-"). */
void table_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *fp);
void table_free(struct table *t);

/* Format helpers for cells: durations ("820 ms", "1.52 s", "3.1 min"),
 * counts with thousands separators, percentages. out >= 32 bytes. */
void table_ms(char *out, double ms);
void table_count(char *out, unsigned long long n);
void table_pct(char *out, double pct);

#endif
