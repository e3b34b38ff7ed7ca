/*
 * term.h - what the command line's output goes to: colour and width.
 *
 * Colour is on when standard output is a terminal, unless NO_COLOR is set
 * to anything non-empty (https://no-color.org), --no-color was given, or
 * TERM is "dumb". The width tables fit is $COLUMNS when set (so a caller,
 * or a test, can ask for one), else the terminal's width, else none (a
 * pipe or a file gets whole lines).
 */
#ifndef TOOLPROF_TERM_H
#define TOOLPROF_TERM_H

#include <stddef.h>

enum term_style {
    TS_NONE = 0,
    TS_BOLD,  /* headings */
    TS_DIM,   /* secondary text, "no change" */
    TS_RED,   /* slow, failed, slower */
    TS_GREEN, /* faster */
    TS_YELLOW /* hints, waits */
};

/* Decide once, at start: no_color is the --no-color flag. */
void term_init(int no_color);
/* The pure decision, for tests: colour for a terminal output unless
 * NO_COLOR (its value, NULL when unset), the flag or TERM=dumb says no. */
int term_want_color(int is_tty, const char *no_color_env, const char *term_env, int flag);
/* Width from $COLUMNS (its value, NULL unset) or the terminal's (0: not a
 * terminal); 0 means no limit. */
size_t term_pick_width(const char *columns_env, int tty_cols);

int term_color(void);
size_t term_width(void);
/* The escape sequence that starts / ends a style ("" without colour). */
const char *term_on(enum term_style st);
const char *term_off(enum term_style st);

#endif
