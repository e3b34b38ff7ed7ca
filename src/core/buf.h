/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Modelled on curl's dynbuf: the buffer grows geometrically up to `cap`
 * bytes and refuses to grow further; once an append has failed the buffer is
 * marked `toobig` and every later append fails too, so a writer can append a
 * whole answer and check once at the end. The contents are always
 * NUL-terminated (the NUL is not counted in `len` but is counted against the
 * cap), so `b->data` can be handed to C string functions.
 */
#ifndef TOOLPROF_BUF_H
#define TOOLPROF_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;
    int toobig;
};

/* Initialise an empty buffer that may hold at most cap bytes. */
void buf_init(struct buf *b, size_t cap);
/* Free the contents; the buffer can be reused after buf_init(). */
void buf_free(struct buf *b);
/* Empty the buffer, keeping its memory and clearing `toobig`. */
void buf_reset(struct buf *b);

/* Appends return 0, or TP_ETOOBIG when the cap would be passed (the buffer is
 * then left as it was before the call and marked toobig). */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Make room for n more bytes and return a pointer to them (the caller then
 * calls buf_commit(b, used)); NULL when over the cap. */
char *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);

/* Hand the contents to the caller (who frees them); the buffer is left empty.
 * Never NULL: an empty buffer gives an empty string. */
char *buf_steal(struct buf *b, size_t *len);

#endif
