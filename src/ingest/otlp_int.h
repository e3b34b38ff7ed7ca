/*
 * otlp_int.h - what the two OTLP decoders (otlp_pb.c, otlp_json.c) share
 * to build a struct otlp_batch; private to src/ingest/otlp_*.c.
 *
 * A decoder walks its input once, front to back. Records are appended to
 * the batch's growing arrays (otlp_dec_log() and friends hand out a zeroed
 * slot), strings are copied into the batch's arena, and a record's
 * attributes are collected on a scratch stack (otlp_dec_attr_push) and
 * copied into the arena in one piece when the record is complete
 * (otlp_dec_attrs_commit), so that nested lists (a resource's attributes,
 * then each record's) share one stack. Limits are enforced here, so the
 * two decoders cannot differ in them.
 */
#ifndef TOOLPROF_OTLP_INT_H
#define TOOLPROF_OTLP_INT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "ingest/otlp_model.h"

struct otlp_dec {
    struct otlp_batch *b;
    size_t cap_logs, cap_spans, cap_points;
    struct otlp_attr *stack; /* attributes being collected */
    size_t nstack, cap_stack;
    size_t seen;     /* records met so far (1-based position of the current one) */
    struct buf json; /* nested AnyValues as JSON text, reused */
};

void otlp_dec_init(struct otlp_dec *d, struct otlp_batch *b, enum otlp_signal sig);
/* Release the scratch state; on failure (ok == 0) also free the batch. */
void otlp_dec_finish(struct otlp_dec *d, int ok);

/* Arena copies. otlp_dec_strndup cuts at a NUL byte and replaces invalid
 * UTF-8 by U+FFFD. */
void *otlp_dec_alloc(struct otlp_dec *d, size_t n);
const char *otlp_dec_strndup(struct otlp_dec *d, const char *s, size_t n);

/* The next record's slot, or NULL when the batch already holds
 * TP_MAX_BATCH records (the record is then dropped with a message; the
 * caller skips it). Counts the record in d->seen either way. */
struct otlp_log *otlp_dec_log(struct otlp_dec *d);
struct otlp_span *otlp_dec_span(struct otlp_dec *d);
struct otlp_point *otlp_dec_point(struct otlp_dec *d);
/* Take back the last slot handed out (the record turned out unusable). */
void otlp_dec_unlog(struct otlp_dec *d);
void otlp_dec_unspan(struct otlp_dec *d);
void otlp_dec_unpoint(struct otlp_dec *d);

/* Count one record refused on its own, keeping the first reason. */
void otlp_dec_drop(struct otlp_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Attribute collection: mark = otlp_dec_attr_mark(); push...; then commit
 * the ones pushed since mark into the arena (and pop them). push returns
 * 0, or -1 when the list already holds TP_MAX_OTLP_ATTRS attributes. */
size_t otlp_dec_attr_mark(const struct otlp_dec *d);
int otlp_dec_attr_push(struct otlp_dec *d, size_t mark, const char *key, struct otlp_value v);
struct otlp_attrs otlp_dec_attrs_commit(struct otlp_dec *d, size_t mark);

/* Nested values: start a JSON text (returns the writer), write scalars
 * with otlp_dec_json_scalar, then otlp_dec_json_end() copies it into the
 * arena as an OTLP_V_JSON value. */
struct jsonw *otlp_dec_json_begin(struct otlp_dec *d, struct jsonw *w);
void otlp_dec_json_scalar(struct jsonw *w, const struct otlp_value *v);
int otlp_dec_json_end(struct otlp_dec *d, struct jsonw *w, struct otlp_value *out, char *errbuf);

/* Lowercase hex of bytes into the arena. */
const char *otlp_dec_hex(struct otlp_dec *d, const unsigned char *p, size_t n);

#endif
