/*
 * tptime.h - timestamps: parsing, formatting, local days.
 *
 * toolprof stores every time as milliseconds since the Unix epoch, UTC
 * (int64_t, names end in _ms). Input comes as ISO-8601 text in several
 * dialects: with a zone ("...Z", "+05:30", "-0800") or naive. A naive time
 * is local time for the original's daily files (Python's datetime.now())
 * and UTC elsewhere; the caller says which.
 *
 * Local days follow the process time zone (TZ), through the C library, so
 * zones with +05:30 / +05:45 offsets and daylight saving changes give the
 * right midnights.
 */
#ifndef TOOLPROF_TPTIME_H
#define TOOLPROF_TPTIME_H

#include <stddef.h>
#include <stdint.h>

/* Lengths of time, in ms. */
#define TPT_HOUR_MS 3600000LL
#define TPT_DAY_MS 86400000LL

#define TPT_NAIVE_UTC 0
#define TPT_NAIVE_LOCAL 1

/* Current time in ms (CLOCK_REALTIME). TOOLPROF_NOW_MS in the environment
 * overrides it (tests use this to pin "now"). */
int64_t tpt_now_ms(void);

/* Monotonic clock in ns, for measuring durations. */
int64_t tpt_mono_ns(void);

/* Parse an ISO-8601 date-time: "YYYY-MM-DD[T ]hh:mm[:ss[.frac]][Z|±hh[:]mm]"
 * or a bare date "YYYY-MM-DD" (midnight). Fractions beyond milliseconds are
 * truncated. naive says how to read a time without zone. Returns 0 or
 * TP_EINVAL. */
int tpt_parse_iso(const char *s, int naive, int64_t *out_ms);

/* "2026-02-15T10:30:45.123Z" (always 24 bytes + NUL; out >= 32 bytes). */
void tpt_format_utc(int64_t ms, char *out);

/* Local time without zone, Python isoformat() style:
 * "2026-02-15T10:30:45.123000", or without fraction when ms is 0. */
void tpt_format_local_naive(int64_t ms, char *out);

/* Local time with its offset: "2026-02-15T16:00:45.123+05:30". */
void tpt_format_local(int64_t ms, char *out);

/* Start (ms) of the local day holding ms, and of the day n days later. */
int64_t tpt_local_day_start(int64_t ms);
int64_t tpt_local_day_add(int64_t day_start_ms, int n);

/* "YYYY-MM-DD" of the local day holding ms (out >= 11 bytes). */
void tpt_local_date(int64_t ms, char *out);

/* An age or window length: "<n>h", "<n>d" or "<n>w" (hours, days, weeks;
 * n a whole number >= 1), at most max_ms long. Returns 0 with *out_ms
 * set, or TP_EINVAL. */
int tpt_parse_age(const char *s, int64_t max_ms, int64_t *out_ms);

/* Floor division that rounds toward minus infinity. */
int64_t tpt_floor_div(int64_t a, int64_t b);
/* t rounded down / up to a multiple of w (w > 0). */
int64_t tpt_floor_to(int64_t t, int64_t w);
int64_t tpt_ceil_to(int64_t t, int64_t w);

#endif
