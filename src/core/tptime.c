/*
 * tptime.c - ISO-8601 parsing and formatting, local days (see tptime.h).
 *
 * Conversions between broken-down UTC time and epoch seconds use the civil
 * calendar formulas (days_from_civil / civil_from_days, after Howard
 * Hinnant), which work for any date and never consult the time zone. Local
 * conversions go through localtime_r()/mktime(), the only correct source of
 * the user's zone rules.
 */
#include "tptime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

int64_t tpt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t tpt_floor_to(int64_t t, int64_t w)
{
    return tpt_floor_div(t, w) * w;
}

int64_t tpt_ceil_to(int64_t t, int64_t w)
{
    return tpt_floor_div(t + w - 1, w) * w;
}

int64_t tpt_now_ms(void)
{
    const char *pin = getenv("TOOLPROF_NOW_MS");
    if (pin && *pin)
        return strtoll(pin, NULL, 10);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tpt_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* Read exactly n digits into *out; 1 on success. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int tpt_parse_iso(const char *s, int naive, int64_t *out_ms)
{
    const char *p = s;
    int Y, M, D, h = 0, mi = 0, sec = 0, ms = 0;
    if (!s || !digits(&p, 4, &Y) || *p++ != '-' || !digits(&p, 2, &M) || *p++ != '-' ||
        !digits(&p, 2, &D))
        return TP_EINVAL;
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M))
        return TP_EINVAL;
    int has_time = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        has_time = 1;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return TP_EINVAL;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return TP_EINVAL;
            if (*p == '.' || *p == ',') {
                p++;
                int nd = 0;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3)
                        ms = ms * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if (nd == 0)
                    return TP_EINVAL;
                for (; nd < 3; nd++)
                    ms *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return TP_EINVAL;
        if (sec == 60)
            sec = 59; /* a leap second: keep it inside its minute */
    }
    int has_zone = 0, off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
        has_zone = 1;
    } else if (has_time && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!digits(&p, 2, &oh))
            return TP_EINVAL;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
            return TP_EINVAL;
        if (oh > 23 || om > 59)
            return TP_EINVAL;
        off_min = sign * (oh * 60 + om);
        has_zone = 1;
    }
    if (*p != '\0')
        return TP_EINVAL;

    if (!has_zone && naive == TPT_NAIVE_LOCAL) {
        struct tm tm = {0};
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1 && !(Y == 1969 && M == 12 && D == 31))
            return TP_EINVAL;
        *out_ms = (int64_t)t * 1000 + ms;
        return 0;
    }
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
    *out_ms = secs * 1000 + ms;
    return 0;
}

static void utc_parts(int64_t ms, int *Y, unsigned *M, unsigned *D, int *h, int *mi, int *s,
                      int *frac)
{
    int64_t secs = tpt_floor_div(ms, 1000);
    *frac = (int)(ms - secs * 1000);
    int64_t days = tpt_floor_div(secs, 86400);
    int64_t rem = secs - days * 86400;
    civil_from_days(days, Y, M, D);
    *h = (int)(rem / 3600);
    *mi = (int)(rem % 3600 / 60);
    *s = (int)(rem % 60);
}

void tpt_format_utc(int64_t ms, char *out)
{
    int Y, h, mi, s, f;
    unsigned M, D;
    utc_parts(ms, &Y, &M, &D, &h, &mi, &s, &f);
    snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", Y % 10000, M % 13, D % 32, h % 24,
             mi % 60, s % 60, f % 1000);
}

static void local_tm(int64_t ms, struct tm *tm, int *frac)
{
    int64_t secs = tpt_floor_div(ms, 1000);
    *frac = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    localtime_r(&t, tm);
}

void tpt_format_local_naive(int64_t ms, char *out)
{
    struct tm tm;
    int f;
    local_tm(ms, &tm, &f);
    int n = (int)strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (f)
        snprintf(out + n, 40 - (size_t)n, ".%03d000", f);
}

void tpt_format_local(int64_t ms, char *out)
{
    struct tm tm;
    int f;
    local_tm(ms, &tm, &f);
    int n = (int)strftime(out, 48, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(out + n, 48 - (size_t)n, ".%03d%c%02ld:%02ld", f, sign, off / 60, off % 60);
}

int64_t tpt_local_day_add(int64_t day_start_ms, int n)
{
    struct tm tm;
    int f;
    local_tm(day_start_ms, &tm, &f);
    tm.tm_mday += n;
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return (int64_t)t * 1000;
}

int64_t tpt_local_day_start(int64_t ms)
{
    return tpt_local_day_add(ms, 0);
}

void tpt_local_date(int64_t ms, char *out)
{
    struct tm tm;
    int f;
    local_tm(ms, &tm, &f);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int tpt_parse_age(const char *s, int64_t max_ms, int64_t *out_ms)
{
    int64_t n = 0;
    const char *p = s;
    if (!s || *p < '0' || *p > '9')
        return TP_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > max_ms)
            return TP_EINVAL;
    }
    int64_t unit = strcmp(p, "h") == 0   ? TPT_HOUR_MS
                   : strcmp(p, "d") == 0 ? TPT_DAY_MS
                   : strcmp(p, "w") == 0 ? 7 * TPT_DAY_MS
                                         : 0;
    if (!unit || n < 1 || n > max_ms / unit)
        return TP_EINVAL;
    *out_ms = n * unit;
    return 0;
}
