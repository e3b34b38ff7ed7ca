/*
 * test_tptime.c - ISO-8601 parsing (zones Z, +05:30, -0800, naive as UTC or
 * as local time), formatting, and local days in zones with half- and
 * quarter-hour offsets (Asia/Kolkata +05:30, Asia/Kathmandu +05:45) and with
 * daylight saving time (America/New_York). Expected values were computed
 * with Python's zoneinfo.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fixture.h"
#include "core/err.h"
#include "core/tptime.h"

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* 2026-02-15T10:30:45.123Z */
#define T0 1771151445123LL

static void test_parse_zoned(void)
{
    static const struct {
        const char *s;
        int64_t ms;
    } cases[] = {
        {"2026-02-15T10:30:45.123Z", T0},
        {"2026-02-15t10:30:45.123z", T0},
        {"2026-02-15 10:30:45.123Z", T0},
        {"2026-02-15T10:30:45,123Z", T0},
        {"2026-02-15T10:30:45.123456789Z", T0},
        {"2026-02-15T10:30:45.1Z", T0 - 23},
        {"2026-02-15T10:30:45.12Z", T0 - 3},
        {"2026-02-15T10:30:45Z", T0 - 123},
        {"2026-02-15T10:30Z", T0 - 45123},
        {"2026-02-15T16:00:45.123+05:30", T0},
        {"2026-02-15T16:15:45.123+05:45", T0},
        {"2026-02-15T16:00:45.123+0530", T0},
        {"2026-02-15T02:30:45.123-0800", T0},
        {"2026-02-15T02:30:45.123-08:00", T0},
        {"2026-02-15T15:30:45.123+05", T0},
        {"2026-02-15T10:30:45.123+00:00", T0},
        {"2026-02-15T10:30:45.123-00:00", T0},
        {"2026-02-15T00:00:00Z", T0 - (10 * 3600 + 30 * 60 + 45) * 1000LL - 123},
        {"2000-01-01T00:00:00Z", 946684800000LL},
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59.999Z", -1},
        {"2024-02-29T12:00:00Z", 1709208000000LL},
        {"2000-02-29T00:00:00Z", 951782400000LL},
        {"2016-12-31T23:59:60Z", 1483228799000LL}, /* leap second kept in its minute */
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("\"%s\"", cases[i].s);
        int64_t ms = 0;
        int rc = tpt_parse_iso(cases[i].s, TPT_NAIVE_LOCAL, &ms);
        ASSERT_EQ_INT(rc, 0);
        ASSERT_EQ_INT(ms, cases[i].ms);
    }
}

static void test_parse_rejects(void)
{
    static const char *const bad[] = {
        "",
        "2026",
        "2026-02",
        "2026-2-15",
        "26-02-15",
        "2026-02-30",
        "2026-02-29",
        "2100-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-04-31",
        "2026-02-15T24:00Z",
        "2026-02-15T10:60Z",
        "2026-02-15T10:30:61Z",
        "2026-02-15T10Z",
        "2026-02-15T1:30Z",
        "2026-02-15T10:30:45.Z",
        "2026-02-15T10:30:45+5:30",
        "2026-02-15T10:30:45+24:00",
        "2026-02-15T10:30:45+05:60",
        "2026-02-15T10:30:45 junk",
        "2026-02-15T10:30:45Zjunk",
        " 2026-02-15",
        "2026-02-15 ",
        "2026-02-15T",
        "2026/02/15",
        "now",
    };
    FOR_EACH_ROW(i, sizeof bad / sizeof bad[0])
    {
        TEST_ROW("\"%s\"", bad[i]);
        int64_t ms = 42;
        int rc = tpt_parse_iso(bad[i], TPT_NAIVE_UTC, &ms);
        ASSERT_MSG(rc == TP_EINVAL, "accepted as %lld (rc %d)", (long long)ms, rc);
    }
    int64_t ms;
    ASSERT_EQ_INT(tpt_parse_iso(NULL, TPT_NAIVE_UTC, &ms), TP_EINVAL);
}

struct naive_case {
    const char *tz;
    const char *s;
    int64_t local_ms; /* read as local time */
};

static void test_parse_naive_local_vs_utc(void)
{
    static const struct naive_case cases[] = {
        {"Asia/Kolkata", "2026-02-15T10:30:45", 1771131645000LL},
        {"Asia/Kolkata", "2026-07-01T12:00:00", 1782887400000LL},
        {"Asia/Kolkata", "2026-03-08", 1772908200000LL},
        {"Asia/Kathmandu", "2026-02-15T10:30:45", 1771130745000LL},
        {"Asia/Kathmandu", "2026-07-01T12:00:00", 1782886500000LL},
        {"America/New_York", "2026-02-15T10:30:45", 1771169445000LL},
        {"America/New_York", "2026-07-01T12:00:00", 1782921600000LL},
        {"America/New_York", "2026-03-09T00:00:00", 1773028800000LL},
        {"America/New_York", "2026-11-02", 1793595600000LL},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        TEST_ROW("%s %s", cases[i].tz, cases[i].s);
        set_tz(cases[i].tz);
        int64_t ms = 0;
        ASSERT_EQ_INT(tpt_parse_iso(cases[i].s, TPT_NAIVE_LOCAL, &ms), 0);
        ASSERT_EQ_INT(ms, cases[i].local_ms);
        /* The same text read as UTC ignores the zone. */
        char utc[40];
        snprintf(utc, sizeof utc, "%sZ", cases[i].s);
        int64_t want = 0;
        if (strlen(cases[i].s) == 10)
            snprintf(utc, sizeof utc, "%sT00:00:00Z", cases[i].s);
        ASSERT_EQ_INT(tpt_parse_iso(utc, TPT_NAIVE_UTC, &want), 0);
        ASSERT_EQ_INT(tpt_parse_iso(cases[i].s, TPT_NAIVE_UTC, &ms), 0);
        ASSERT_EQ_INT(ms, want);
    }
    /* Milliseconds survive a naive local parse. */
    set_tz("Asia/Kolkata");
    int64_t ms;
    ASSERT_EQ_INT(tpt_parse_iso("2026-02-15T10:30:45.250", TPT_NAIVE_LOCAL, &ms), 0);
    ASSERT_EQ_INT(ms, 1771131645250LL);
    /* An explicit zone wins over the naive mode. */
    ASSERT_EQ_INT(tpt_parse_iso("2026-02-15T10:30:45.123Z", TPT_NAIVE_LOCAL, &ms), 0);
    ASSERT_EQ_INT(ms, T0);
    set_tz("UTC");
}

static void test_format_utc(void)
{
    static const struct {
        int64_t ms;
        const char *s;
    } cases[] = {
        {T0, "2026-02-15T10:30:45.123Z"},
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {946684800000LL, "2000-01-01T00:00:00.000Z"},
        {1709208000007LL, "2024-02-29T12:00:00.007Z"},
        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        char out[32];
        tpt_format_utc(cases[i].ms, out);
        ASSERT_STREQ(out, cases[i].s);
        int64_t back;
        ASSERT_EQ_INT(tpt_parse_iso(out, TPT_NAIVE_LOCAL, &back), 0);
        ASSERT_EQ_INT(back, cases[i].ms);
    }
}

static void test_format_local(void)
{
    static const struct {
        const char *tz;
        int64_t ms;
        const char *naive, *zoned;
    } cases[] = {
        {"Asia/Kolkata", T0, "2026-02-15T16:00:45.123000", "2026-02-15T16:00:45.123+05:30"},
        {"Asia/Kolkata", T0 - 123, "2026-02-15T16:00:45", "2026-02-15T16:00:45.000+05:30"},
        {"Asia/Kathmandu", T0, "2026-02-15T16:15:45.123000", "2026-02-15T16:15:45.123+05:45"},
        {"America/New_York", T0, "2026-02-15T05:30:45.123000", "2026-02-15T05:30:45.123-05:00"},
        {"America/New_York", 1782921600005LL, "2026-07-01T12:00:00.005000",
         "2026-07-01T12:00:00.005-04:00"},
        {"UTC", T0, "2026-02-15T10:30:45.123000", "2026-02-15T10:30:45.123+00:00"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        set_tz(cases[i].tz);
        char out[48];
        tpt_format_local_naive(cases[i].ms, out);
        ASSERT_STREQ(out, cases[i].naive);
        /* Python isoformat() text reads back as the same instant. */
        int64_t back;
        ASSERT_EQ_INT(tpt_parse_iso(out, TPT_NAIVE_LOCAL, &back), 0);
        ASSERT_EQ_INT(back, cases[i].ms);
        tpt_format_local(cases[i].ms, out);
        ASSERT_STREQ(out, cases[i].zoned);
        ASSERT_EQ_INT(tpt_parse_iso(out, TPT_NAIVE_UTC, &back), 0);
        ASSERT_EQ_INT(back, cases[i].ms);
    }
    set_tz("UTC");
}

struct day_case {
    const char *tz;
    int64_t at_ms;    /* some instant */
    int64_t start_ms; /* start of its local day */
    int64_t next_ms;  /* start of the next local day */
    const char *date; /* its local date */
};

static void test_local_days(void)
{
    static const struct day_case cases[] = {
        /* Kolkata: 2026-03-08 starts 2026-03-07T18:30Z. One minute before
         * and after local midnight. */
        {"Asia/Kolkata", 1772908200000LL - 60000, 1772821800000LL, 1772908200000LL, "2026-03-07"},
        {"Asia/Kolkata", 1772908200000LL, 1772908200000LL, 1772994600000LL, "2026-03-08"},
        {"Asia/Kolkata", 1772908200000LL + 60000, 1772908200000LL, 1772994600000LL, "2026-03-08"},
        /* Kathmandu +05:45. */
        {"Asia/Kathmandu", 1772907300000LL - 1, 1772820900000LL, 1772907300000LL, "2026-03-07"},
        {"Asia/Kathmandu", 1772907300000LL + 1, 1772907300000LL, 1772993700000LL, "2026-03-08"},
        /* New York: 2026-03-08 has 23 hours, 2026-11-01 has 25. */
        {"America/New_York", 1772946000000LL + 12 * 3600000LL, 1772946000000LL, 1773028800000LL,
         "2026-03-08"},
        {"America/New_York", 1793505600000LL + 24 * 3600000LL, 1793505600000LL, 1793595600000LL,
         "2026-11-01"},
        {"America/New_York", 1793595600000LL, 1793595600000LL, 1793595600000LL + 86400000LL,
         "2026-11-02"},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        const struct day_case *c = &cases[i];
        TEST_ROW("%s", c->tz);
        set_tz(c->tz);
        int64_t start = tpt_local_day_start(c->at_ms);
        ASSERT_EQ_INT(start, c->start_ms);
        ASSERT_EQ_INT(tpt_local_day_add(start, 1), c->next_ms);
        ASSERT_EQ_INT(tpt_local_day_add(c->next_ms, -1), start);
        char date[11];
        tpt_local_date(c->at_ms, date);
        ASSERT_STREQ(date, c->date);
    }
    /* Walking a year of New York days one at a time lands on every
     * midnight: 365 days, 2 of them not 24 hours long. */
    set_tz("America/New_York");
    int64_t d = tpt_local_day_start(1767243600000LL); /* 2026-01-01 local */
    int odd = 0;
    for (int i = 0; i < 365; i++) {
        int64_t next = tpt_local_day_add(d, 1);
        if (next - d != 86400000LL)
            odd++;
        ASSERT_EQ_INT(tpt_local_day_start(next - 1), d);
        d = next;
    }
    ASSERT_EQ_INT(odd, 2);
    char date[11];
    tpt_local_date(d, date);
    ASSERT_STREQ(date, "2027-01-01");
    ASSERT_EQ_INT(tpt_local_day_add(tpt_local_day_start(1767243600000LL), 365), d);
    set_tz("UTC");
}

static void test_floor_div_and_now(void)
{
    static const int64_t cases[][3] = {
        {999, 1000, 0},    {1000, 1000, 1}, {-1, 1000, -1}, {-1000, 1000, -1},
        {-1001, 1000, -2}, {0, 1000, 0},    {7, -2, -4},    {-7, -2, 3},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    ASSERT_EQ_INT(tpt_floor_div(cases[i][0], cases[i][1]), cases[i][2]);
    setenv("TOOLPROF_NOW_MS", "1771151445123", 1);
    ASSERT_EQ_INT(tpt_now_ms(), T0);
    unsetenv("TOOLPROF_NOW_MS");
    int64_t now = tpt_now_ms();
    ASSERT_TRUE(now > 1735689600000LL); /* after 2025-01-01 */
    int64_t a = tpt_mono_ns(), b = tpt_mono_ns();
    ASSERT_TRUE(b >= a);
}

TEST_MAIN(TEST_CASE(test_parse_zoned), TEST_CASE(test_parse_rejects),
          TEST_CASE(test_parse_naive_local_vs_utc), TEST_CASE(test_format_utc),
          TEST_CASE(test_format_local), TEST_CASE(test_local_days),
          TEST_CASE(test_floor_div_and_now))
