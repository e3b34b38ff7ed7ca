/*
 * term.c - colour and width of the command line's output (see term.h).
 */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int color_on;
static size_t width_cols;

#define TERM_MIN_WIDTH 20
#define TERM_MAX_WIDTH 2000

int term_want_color(int is_tty, const char *no_color_env, const char *term_env, int flag)
{
    if (flag || !is_tty)
        return 0;
    if (no_color_env && *no_color_env)
        return 0;
    return !(term_env && strcmp(term_env, "dumb") == 0);
}

size_t term_pick_width(const char *columns_env, int tty_cols)
{
    if (columns_env && *columns_env) {
        char *end;
        long n = strtol(columns_env, &end, 10);
        if (!*end && n >= TERM_MIN_WIDTH && n <= TERM_MAX_WIDTH)
            return (size_t)n;
    }
    return tty_cols >= TERM_MIN_WIDTH ? (size_t)tty_cols : 0;
}

void term_init(int no_color)
{
    int tty = isatty(STDOUT_FILENO);
    color_on = term_want_color(tty, getenv("NO_COLOR"), getenv("TERM"), no_color);
    int cols = 0;
    struct winsize ws;
    if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        cols = ws.ws_col;
    width_cols = term_pick_width(getenv("COLUMNS"), cols);
}

int term_color(void)
{
    return color_on;
}

size_t term_width(void)
{
    return width_cols;
}

const char *term_on(enum term_style st)
{
    static const char *const on[] = {"", "\033[1m", "\033[2m", "\033[31m", "\033[32m", "\033[33m"};
    return color_on && (unsigned)st < sizeof on / sizeof on[0] ? on[st] : "";
}

const char *term_off(enum term_style st)
{
    return color_on && st != TS_NONE ? "\033[0m" : "";
}
