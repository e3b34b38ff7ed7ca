/*
 * pb.c - the protobuf wire-format reader (see pb.h).
 *
 * The reader is a cursor over one message; it never allocates. The only
 * subtle parts are the bounds: a length is compared with the bytes left
 * (end - p) rather than added to p, so that a huge length cannot wrap the
 * pointer, and a varint is read one byte at a time with the 10-byte limit
 * and the 64-bit overflow checked on the last byte.
 */
#include "core/pb.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

void pb_init(struct pb_reader *r, const void *data, size_t n)
{
    r->p = data;
    r->end = r->p + n;
    r->base = r->p;
    r->depth = 0;
}

int pb_sub(const struct pb_reader *parent, const struct pb_field *f, struct pb_reader *child,
           char *errbuf)
{
    if (f->wt != PB_LEN)
        return tp_fail(errbuf, TP_EPARSE, "protobuf: field %u at byte %zu is not a message",
                       (unsigned)f->num, f->at);
    if (parent->depth + 1 > TP_MAX_PB_DEPTH)
        return tp_fail(errbuf, TP_EPARSE, "protobuf: messages nested more than %d deep at byte %zu",
                       TP_MAX_PB_DEPTH, f->at);
    child->p = f->s.p;
    child->end = f->s.p + f->s.n;
    child->base = parent->base;
    child->depth = parent->depth + 1;
    return 0;
}

int pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *c = *p;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (c == end)
            return -1; /* truncated */
        uint8_t b = *c++;
        if (i == 9 && b > 1)
            return -1; /* an 11th byte would follow, or bits past the 64th */
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *p = c;
            *out = v;
            return 0;
        }
    }
    return -1; /* not reached: the 10th byte is at most 1 */
}

int pb_next(struct pb_reader *r, struct pb_field *f, char *errbuf)
{
    uint64_t key, v;
    if (r->p >= r->end)
        return 0;
    f->at = (size_t)(r->p - r->base);
    if (pb_varint(&r->p, r->end, &key) != 0)
        return tp_fail(errbuf, TP_EPARSE,
                       "protobuf: bad field key at byte %zu (truncated, or a varint over 10 bytes)",
                       f->at);
    f->num = (uint32_t)(key >> 3);
    f->wt = (enum pb_wire)(key & 7);
    if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return tp_fail(errbuf, TP_EPARSE, "protobuf: invalid field number %llu at byte %zu",
                       (unsigned long long)(key >> 3), f->at);
    f->u = 0;
    f->s.p = NULL;
    f->s.n = 0;
    size_t left;
    switch (f->wt) {
    case PB_VARINT:
        if (pb_varint(&r->p, r->end, &f->u) != 0)
            return tp_fail(errbuf, TP_EPARSE,
                           "protobuf: field %u at byte %zu: varint truncated, longer than 10 "
                           "bytes, or over 64 bits",
                           (unsigned)f->num, f->at);
        return 1;
    case PB_I64:
    case PB_I32: {
        size_t w = f->wt == PB_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < w)
            return tp_fail(errbuf, TP_EPARSE,
                           "protobuf: field %u at byte %zu: %zu-byte value runs past the end",
                           (unsigned)f->num, f->at, w);
        for (size_t i = 0; i < w; i++)
            f->u |= (uint64_t)r->p[i] << (8 * i);
        r->p += w;
        return 1;
    }
    case PB_LEN:
        if (pb_varint(&r->p, r->end, &v) != 0)
            return tp_fail(errbuf, TP_EPARSE, "protobuf: field %u at byte %zu: bad length varint",
                           (unsigned)f->num, f->at);
        left = (size_t)(r->end - r->p);
        if (v > left)
            return tp_fail(errbuf, TP_EPARSE,
                           "protobuf: field %u at byte %zu: length %llu runs past the end of its "
                           "message (%zu bytes left)",
                           (unsigned)f->num, f->at, (unsigned long long)v, left);
        f->s.p = r->p;
        f->s.n = (size_t)v;
        r->p += v;
        return 1;
    case PB_SGROUP:
    case PB_EGROUP:
        return tp_fail(errbuf, TP_EPARSE,
                       "protobuf: field %u at byte %zu is a group (wire type %d): not supported",
                       (unsigned)f->num, f->at, (int)f->wt);
    default:
        return tp_fail(errbuf, TP_EPARSE, "protobuf: field %u at byte %zu: invalid wire type %d",
                       (unsigned)f->num, f->at, (int)f->wt);
    }
}

int pb_expect(const struct pb_field *f, enum pb_wire wt, const char *what, char *errbuf)
{
    static const char *const names[] = {"varint", "fixed64", "length-delimited",
                                        "group",  "group",   "fixed32"};
    if (f->wt == wt)
        return 0;
    return tp_fail(errbuf, TP_EPARSE,
                   "protobuf: %s (field %u) at byte %zu: wire type %s, expected %s", what,
                   (unsigned)f->num, f->at, names[f->wt], names[wt]);
}

double pb_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

int64_t pb_zigzag64(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int pb_put_varint(struct buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return buf_add(b, tmp, n);
}

int pb_put_uint(struct buf *b, uint32_t num, uint64_t v)
{
    int rc = pb_put_varint(b, (uint64_t)num << 3 | PB_VARINT);
    return rc ? rc : pb_put_varint(b, v);
}

int pb_put_bytes(struct buf *b, uint32_t num, const void *data, size_t n)
{
    int rc = pb_put_varint(b, (uint64_t)num << 3 | PB_LEN);
    if (!rc)
        rc = pb_put_varint(b, n);
    return rc ? rc : buf_add(b, data, n);
}
