/*
 * pb.h - a reader of the protocol buffers wire format, by field number.
 *
 * A protobuf message is a sequence of fields, each a key (field number and
 * wire type, as a varint) and a value whose size the wire type tells: a
 * varint, 8 bytes, 4 bytes, or a varint length and that many bytes (strings,
 * bytes, nested messages, packed repeated numbers). This reader walks one
 * message's fields in order and hands out each one; a caller decides by the
 * field number what it is, reads nested messages with a child reader over
 * the field's bytes, and skips the rest. Nothing is copied: a
 * length-delimited value is a slice of the input.
 *
 * Every length is checked against the end of the enclosing buffer before it
 * is used, so a claimed length of a gigabyte in a 10-byte message is an
 * error, not a read past the end. Varints are at most 10 bytes, and the
 * 10th may only carry the 64th bit. Groups (wire types 3 and 4, deprecated
 * since proto2) are refused, as are the undefined wire types 6 and 7 and
 * field number 0. Nesting is counted (pb_sub) and capped at
 * TP_MAX_PB_DEPTH, so a message nested 100,000 deep is refused at the cap
 * whatever the caller's recursion.
 *
 * Errors are TP_EPARSE with a message naming the byte offset from the start
 * of the outermost buffer.
 */
#ifndef TOOLPROF_PB_H
#define TOOLPROF_PB_H

#include <stddef.h>
#include <stdint.h>

enum pb_wire {
    PB_VARINT = 0,
    PB_I64 = 1,
    PB_LEN = 2,
    PB_SGROUP = 3, /* refused */
    PB_EGROUP = 4, /* refused */
    PB_I32 = 5,
};

/* Bytes of the input; not NUL-terminated. */
struct pb_slice {
    const uint8_t *p;
    size_t n;
};

struct pb_reader {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the outermost buffer, for offsets in messages */
    int depth;           /* 0 for the outermost message */
};

/* One field. For PB_VARINT, PB_I64 and PB_I32 the value is in u (fixed
 * values in host order); for PB_LEN, s is the value's bytes. */
struct pb_field {
    uint32_t num;
    enum pb_wire wt;
    uint64_t u;
    struct pb_slice s;
    size_t at; /* offset of the field's key in the outermost buffer */
};

/* Start reading the outermost message data[0..n). */
void pb_init(struct pb_reader *r, const void *data, size_t n);

/* A reader for the message in field f (a PB_LEN field read by parent), one
 * level deeper. Returns 0, or TP_EPARSE when f is not length-delimited or
 * the nesting would pass TP_MAX_PB_DEPTH. */
int pb_sub(const struct pb_reader *parent, const struct pb_field *f, struct pb_reader *child,
           char *errbuf);

/* Read the next field. Returns 1 with *f filled, 0 at the end of the
 * message, or TP_EPARSE with errbuf filled (a truncated or overlong varint,
 * a length past the end, a group, an invalid wire type or field number). */
int pb_next(struct pb_reader *r, struct pb_field *f, char *errbuf);

/* Decode one varint from [*p, end): returns 0 and advances *p, or -1 when
 * it is truncated, longer than 10 bytes, or overflows 64 bits. */
int pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* Check that field f has wire type wt; TP_EPARSE with a message naming
 * the field (what) otherwise. */
int pb_expect(const struct pb_field *f, enum pb_wire wt, const char *what, char *errbuf);

/* Writing, for the few small messages toolprof answers with: append a
 * varint, a varint field, or a length-delimited field to b. They return 0,
 * or TP_ETOOBIG when b's cap is reached. */
struct buf;
int pb_put_varint(struct buf *b, uint64_t v);
int pb_put_uint(struct buf *b, uint32_t num, uint64_t v);
int pb_put_bytes(struct buf *b, uint32_t num, const void *data, size_t n);

/* Reinterpretations of a field's value. */
double pb_double(uint64_t bits);
int64_t pb_zigzag64(uint64_t v);

#endif
