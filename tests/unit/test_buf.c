/*
 * test_buf.c - the capped buffer: contents always NUL-terminated, the NUL
 * counted against the cap, a failed append leaves the buffer as it was and
 * makes every later append fail (toobig is sticky) until buf_reset().
 */
#include <stdio.h>

#include "fixture.h"
#include "core/buf.h"
#include "core/err.h"

static void test_append_and_terminate(void)
{
    struct buf b;
    buf_init(&b, 1024);
    ASSERT_TRUE(b.data == NULL);
    ASSERT_EQ_INT(buf_adds(&b, "abc"), 0);
    ASSERT_EQ_INT(buf_addc(&b, '-'), 0);
    ASSERT_EQ_INT(buf_add(&b, "xyz123", 3), 0);
    ASSERT_EQ_INT(buf_printf(&b, "[%d|%s|%.2f]", 42, "s", 1.5), 0);
    ASSERT_STREQ(b.data, "abc-xyz[42|s|1.50]");
    ASSERT_EQ_INT(b.len, 18);
    ASSERT_EQ_INT(buf_add(&b, "", 0), 0);
    ASSERT_EQ_INT(b.len, 18);
    /* Binary data with a NUL inside keeps its length. */
    ASSERT_EQ_INT(buf_add(&b, "\0q", 2), 0);
    ASSERT_EQ_INT(b.len, 20);
    ASSERT_EQ_INT(b.data[19], 'q');
    ASSERT_EQ_INT(b.data[20], '\0');
    size_t len = 0;
    char *p = buf_steal(&b, &len);
    ASSERT_EQ_INT(len, 20);
    ASSERT_EQ_INT(memcmp(p, "abc-xyz", 7), 0);
    free(p);
    ASSERT_TRUE(b.data == NULL);
    ASSERT_EQ_INT(b.len, 0);
    /* Stealing an empty buffer gives "", never NULL. */
    p = buf_steal(&b, &len);
    ASSERT_STREQ(p, "");
    ASSERT_EQ_INT(len, 0);
    free(p);
    buf_free(&b);
}

static void test_cap_is_exact_and_sticky(void)
{
    struct buf b;
    buf_init(&b, 8);
    /* 7 bytes + NUL = 8: fits. */
    ASSERT_EQ_INT(buf_adds(&b, "1234567"), 0);
    ASSERT_EQ_INT(b.toobig, 0);
    /* One more byte would need 9. */
    ASSERT_EQ_INT(buf_addc(&b, '8'), TP_ETOOBIG);
    ASSERT_EQ_INT(b.toobig, 1);
    ASSERT_STREQ(b.data, "1234567");
    ASSERT_EQ_INT(b.len, 7);
    /* Sticky: even an empty append fails now. */
    ASSERT_EQ_INT(buf_add(&b, "", 0), TP_ETOOBIG);
    ASSERT_EQ_INT(buf_printf(&b, "%s", ""), TP_ETOOBIG);
    ASSERT_TRUE(buf_reserve(&b, 0) == NULL);
    /* Reset clears it and keeps the memory. */
    char *mem = b.data;
    buf_reset(&b);
    ASSERT_EQ_INT(b.toobig, 0);
    ASSERT_EQ_INT(b.len, 0);
    ASSERT_STREQ(b.data, "");
    ASSERT_TRUE(b.data == mem);
    ASSERT_EQ_INT(buf_adds(&b, "ok"), 0);
    ASSERT_STREQ(b.data, "ok");
    buf_free(&b);

    /* An append bigger than the cap on an empty buffer. */
    buf_init(&b, 4);
    ASSERT_EQ_INT(buf_adds(&b, "abcd"), TP_ETOOBIG);
    ASSERT_EQ_INT(b.len, 0);
    buf_free(&b);
    buf_init(&b, 4);
    ASSERT_EQ_INT(buf_printf(&b, "%d", 12345), TP_ETOOBIG);
    ASSERT_EQ_INT(b.len, 0);
    ASSERT_EQ_INT(buf_printf(&b, "%d", 1), TP_ETOOBIG); /* sticky */
    buf_free(&b);

    /* A huge n must not wrap around the size arithmetic. */
    buf_init(&b, 64);
    ASSERT_TRUE(buf_reserve(&b, (size_t)-1) == NULL);
    ASSERT_TRUE(buf_reserve(&b, (size_t)-1 / 2) == NULL);
    buf_free(&b);
}

static void test_growth_and_reserve(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        ASSERT_EQ_INT(buf_printf(&b, "%04d,", i % 10000), 0);
    ASSERT_EQ_INT(b.len, 50000);
    ASSERT_EQ_INT(memcmp(b.data + 5 * 9999, "9999,", 5), 0);
    ASSERT_TRUE(b.alloc <= (size_t)1 << 20);
    char *p = buf_reserve(&b, 10);
    ASSERT_TRUE(p != NULL);
    memcpy(p, "0123456789", 10);
    buf_commit(&b, 4);
    ASSERT_EQ_INT(b.len, 50004);
    ASSERT_EQ_INT(b.data[50004], '\0');
    ASSERT_STREQ(b.data + 50000, "0123");
    buf_free(&b);

    /* Filling exactly to the cap through many small appends. */
    buf_init(&b, 1000);
    int rc = 0, n = 0;
    while ((rc = buf_addc(&b, 'x')) == 0)
        n++;
    ASSERT_EQ_INT(n, 999);
    ASSERT_EQ_INT(b.len, 999);
    ASSERT_TRUE(b.alloc <= 1000);
    buf_free(&b);
}

TEST_MAIN(TEST_CASE(test_append_and_terminate), TEST_CASE(test_cap_is_exact_and_sticky),
          TEST_CASE(test_growth_and_reserve))
