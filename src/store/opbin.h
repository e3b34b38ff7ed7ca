/*
 * opbin.h - operations, turns and model requests in a compact binary form.
 *
 * Two things carry many records at a time and want neither the size nor
 * the parsing cost of JSON: the ClickHouse store's local spool (calls
 * waiting to be written) and `toolprof push`, which sends a machine's calls
 * to a team server (docs/team.md). Both use this form: a sequence of
 * records, each a tag byte (OPBIN_OP, OPBIN_TURN, OPBIN_REQUEST) and its
 * fields, numbers as LEB128 varints (signed ones zigzagged), durations as
 * whole microseconds plus one (0: unknown), counts plus one (0: unknown),
 * strings as their length plus one (0: NULL) and their bytes.
 *
 * Decoding checks every length against the bytes left and against the
 * limits of limits.h, and never trusts the input otherwise: what it returns
 * still goes through op_normalize() / turn_normalize() / request_normalize()
 * before it is stored (valid UTF-8, known sources, time bounds).
 */
#ifndef TOOLPROF_OPBIN_H
#define TOOLPROF_OPBIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "op.h"
#include "store.h"
#include "timeline.h"

enum { OPBIN_OP = 1, OPBIN_TURN = 2, OPBIN_REQUEST = 3 };

/* Append one record. sources: the bit mask of enum op_source that reported
 * the call (0: just op->source). Return 0 or TP_ETOOBIG (b's cap). */
int opbin_put_op(struct buf *b, const struct op *op, unsigned sources);
int opbin_put_turn(struct buf *b, const struct turn *t);
int opbin_put_request(struct buf *b, const struct request *r);

/* The next record at *p (before end): its tag, with the matching out
 * argument filled (op_init/turn_init/request_init first; the caller clears
 * it) and *p advanced. Returns the tag, 0 at the end, or TP_EPARSE with the
 * reason in errbuf (the caller reports the record's position). */
struct opbin_rec {
    struct op op;
    unsigned sources;
    struct turn turn;
    struct request req;
};
int opbin_get(const unsigned char **p, const unsigned char *end, struct opbin_rec *out,
              char *errbuf);
/* Free what opbin_get() filled (every member, whatever the tag). */
void opbin_rec_clear(struct opbin_rec *r);
void opbin_rec_init(struct opbin_rec *r);

/* Varints, shared with the other binary layouts built on this one. */
int opbin_put_uv(struct buf *b, uint64_t v);
int opbin_put_str(struct buf *b, const char *s);
int opbin_get_uv(const unsigned char **p, const unsigned char *end, uint64_t *v);
/* A string of at most max bytes into *out (malloc'd, NULL for NULL). */
int opbin_get_str(const unsigned char **p, const unsigned char *end, size_t max, char **out);

/* Read a whole body of records (what `toolprof push` sends) into g: every
 * call needs its tool_use_id, and every record is normalized as any other
 * input (op_normalize, turn_normalize, request_normalize, at now);
 * sources[i] receives the sources of g->ops[i]. Returns 0, TP_EINVAL with
 * errbuf naming the record ("record N: ..."), or TP_ETOOBIG past max_ops
 * calls. Free g's records and sources with opbin_group_free() whatever it
 * returns. */
int opbin_group_read(const void *body, size_t len, int64_t now, size_t max_ops,
                     struct store_group *g, unsigned **sources, char *errbuf);
void opbin_group_free(struct store_group *g, unsigned *sources);

#endif
