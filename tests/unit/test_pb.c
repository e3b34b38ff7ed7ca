/*
 * test_pb.c - the protobuf wire-format reader: varints at every boundary
 * (and past them), fixed-size values, length-delimited fields, every way a
 * key can be invalid, the nesting cap, and the writer read back.
 */
#include <stdint.h>

#include "harness.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pb.h"

struct varint_case {
    const char *bytes;
    size_t n;
    int ok;
    uint64_t value;
    size_t used;
};

static const struct varint_case varint_cases[] = {
    {"\x00", 1, 1, 0, 1},
    {"\x7f", 1, 1, 127, 1},
    {"\x80\x01", 2, 1, 128, 2},
    {"\xac\x02", 2, 1, 300, 2},
    {"\xff\xff\xff\xff\x0f", 5, 1, 0xffffffffu, 5},
    /* 2^63: nine 0x80 bytes and a 0x01 */
    {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10, 1, 1ull << 63, 10},
    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, 1, UINT64_MAX, 10},
    /* A redundant continuation (non-minimal) is still a valid varint. */
    {"\x80\x00", 2, 1, 0, 2},
    /* The 10th byte may carry only the 64th bit. */
    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, 0, 0, 0},
    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, 0, 0, 0},
    /* 11 bytes. */
    {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, 0, 0, 0},
    /* Truncated. */
    {"\x80", 1, 0, 0, 0},
    {"\xff\xff", 2, 0, 0, 0},
    {"", 0, 0, 0, 0},
};

static void test_varints(void)
{
    for (size_t i = 0; i < sizeof varint_cases / sizeof varint_cases[0]; i++) {
        const struct varint_case *c = &varint_cases[i];
        const uint8_t *p = (const uint8_t *)c->bytes, *start = p;
        uint64_t v = 12345;
        int rc = pb_varint(&p, start + c->n, &v);
        if (c->ok ? rc != 0 : rc == 0)
            FAIL_("row %zu: rc %d", i, rc);
        if (c->ok && (v != c->value || (size_t)(p - start) != c->used))
            FAIL_("row %zu: value %llu used %zu", i, (unsigned long long)v, (size_t)(p - start));
        if (!c->ok && p != start)
            FAIL_("row %zu: the cursor moved on an error", i);
        ASSERT_EQ_INT(rc == 0, c->ok);
    }
}

static void test_fields(void)
{
    /* 1: varint 150; 2: fixed64; 3: "hi"; 5: fixed32; 4: empty bytes */
    static const uint8_t msg[] = {0x08, 0x96, 0x01, 0x11, 1,    2, 3, 4, 5, 6,    7,   8,
                                  0x1a, 0x02, 'h',  'i',  0x2d, 9, 8, 7, 6, 0x22, 0x00};
    struct pb_reader r;
    struct pb_field f;
    char err[TP_ERR_MAX];
    pb_init(&r, msg, sizeof msg);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_EQ_INT(f.num, 1);
    ASSERT_EQ_INT(f.wt, PB_VARINT);
    ASSERT_EQ_INT(f.u, 150);
    ASSERT_EQ_INT(f.at, 0);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_EQ_INT(f.num, 2);
    ASSERT_EQ_INT(f.wt, PB_I64);
    ASSERT_TRUE(f.u == 0x0807060504030201ull);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_EQ_INT(f.num, 3);
    ASSERT_EQ_INT(f.s.n, 2);
    ASSERT_TRUE(f.s.p == msg + 14); /* zero-copy */
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_EQ_INT(f.wt, PB_I32);
    ASSERT_EQ_INT(f.u, 0x06070809);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_EQ_INT(f.num, 4);
    ASSERT_EQ_INT(f.s.n, 0);
    ASSERT_EQ_INT(f.at, 21);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 0);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 0);
    ASSERT_EQ_DBL(pb_double(0x3ff8000000000000ull), 1.5, 0);
    ASSERT_EQ_INT(pb_zigzag64(0), 0);
    ASSERT_EQ_INT(pb_zigzag64(1), -1);
    ASSERT_EQ_INT(pb_zigzag64(4), 2);
    ASSERT_TRUE(pb_zigzag64(UINT64_MAX) == INT64_MIN);
}

struct bad_case {
    const char *bytes;
    size_t n;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"\x0b", 1, "group (wire type 3)"},
    {"\x0c", 1, "group (wire type 4)"},
    {"\x0e", 1, "invalid wire type 6"},
    {"\x0f", 1, "invalid wire type 7"},
    {"\x00\x00", 2, "invalid field number 0"},
    /* field number 2^29: one past the largest */
    {"\x80\x80\x80\x80\x10\x00", 6, "invalid field number 536870912"},
    {"\x08", 1, "varint truncated"},
    {"\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12, "longer than 10 bytes"},
    {"\x09\x01\x02\x03", 4, "8-byte value runs past the end"},
    {"\x0d\x01\x02", 3, "4-byte value runs past the end"},
    {"\x0a\x05\x01\x02", 4, "length 5 runs past the end of its message (2 bytes left)"},
    /* A claimed length of 1 GB. */
    {"\x0a\x80\x80\x80\x80\x04\x00", 7,
     "length 1073741824 runs past the end of its message (1 bytes left)"},
    /* A length as large as a varint goes. */
    {"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "length 18446744073709551615 runs past"},
    {"\x0a", 1, "bad length varint"},
    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "bad field key at byte 0"},
};

static void test_bad_keys_and_lengths(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct pb_reader r;
        struct pb_field f;
        char err[TP_ERR_MAX] = "";
        pb_init(&r, c->bytes, c->n);
        int rc = pb_next(&r, &f, err);
        if (rc != TP_EPARSE)
            FAIL_("row %zu: rc %d", i, rc);
        if (!strstr(err, c->msg))
            FAIL_("row %zu: message \"%s\", expected it to contain \"%s\"", i, err, c->msg);
        ASSERT_EQ_INT(rc, TP_EPARSE);
    }
}

static void test_nesting_cap(void)
{
    /* TP_MAX_PB_DEPTH + 1 messages, each field 1 of the one around it. */
    enum { N = TP_MAX_PB_DEPTH + 1 };
    struct buf in, out;
    buf_init(&in, 4096);
    buf_init(&out, 4096);
    for (int i = 0; i < N; i++) {
        buf_reset(&out);
        pb_put_bytes(&out, 1, in.data ? in.data : "", in.len);
        buf_reset(&in);
        buf_add(&in, out.data, out.len);
    }
    buf_free(&out);
    struct pb_reader r[N + 1];
    struct pb_field f;
    char err[TP_ERR_MAX];
    pb_init(&r[0], in.data, in.len);
    int depth = 0, rc = 0;
    for (;;) {
        ASSERT_EQ_INT(pb_next(&r[depth], &f, err), 1);
        rc = pb_sub(&r[depth], &f, &r[depth + 1], err);
        if (rc != 0)
            break;
        depth++;
        if (r[depth].p == r[depth].end)
            break;
    }
    ASSERT_EQ_INT(rc, TP_EPARSE);
    ASSERT_EQ_INT(depth, TP_MAX_PB_DEPTH);
    ASSERT_CONTAINS(err, "nested more than");
    buf_free(&in);
    /* A varint field is not a message. */
    static const uint8_t v[] = {0x08, 0x01};
    pb_init(&r[0], v, sizeof v);
    ASSERT_EQ_INT(pb_next(&r[0], &f, err), 1);
    ASSERT_EQ_INT(pb_sub(&r[0], &f, &r[1], err), TP_EPARSE);
    ASSERT_EQ_INT(pb_expect(&f, PB_LEN, "Thing.name", err), TP_EPARSE);
    ASSERT_STREQ(err, "protobuf: Thing.name (field 1) at byte 0: wire type varint, expected "
                      "length-delimited");
}

static void test_writer_round_trip(void)
{
    struct buf b;
    struct pb_reader r;
    struct pb_field f;
    char err[TP_ERR_MAX];
    buf_init(&b, 1024);
    ASSERT_EQ_INT(pb_put_uint(&b, 1, 0), 0);
    ASSERT_EQ_INT(pb_put_uint(&b, 536870911, UINT64_MAX), 0);
    ASSERT_EQ_INT(pb_put_bytes(&b, 15, "abc", 3), 0);
    ASSERT_EQ_INT(pb_put_bytes(&b, 16, "", 0), 0);
    pb_init(&r, b.data, b.len);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_TRUE(f.num == 1 && f.wt == PB_VARINT && f.u == 0);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_TRUE(f.num == 536870911 && f.u == UINT64_MAX);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_TRUE(f.num == 15 && f.wt == PB_LEN && f.s.n == 3 && memcmp(f.s.p, "abc", 3) == 0);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 1);
    ASSERT_TRUE(f.num == 16 && f.s.n == 0);
    ASSERT_EQ_INT(pb_next(&r, &f, err), 0);
    /* Field 16 needs a two-byte key. */
    ASSERT_EQ_INT((unsigned char)b.data[b.len - 3], 0x82);
    ASSERT_EQ_INT((unsigned char)b.data[b.len - 2], 0x01);
    buf_free(&b);
}

TEST_MAIN(TEST_CASE(test_varints), TEST_CASE(test_fields), TEST_CASE(test_bad_keys_and_lengths),
          TEST_CASE(test_nesting_cap), TEST_CASE(test_writer_round_trip))
