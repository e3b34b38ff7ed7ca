/*
 * buf.c - growable byte buffer with a hard cap (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xmalloc.h"

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
    b->toobig = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
    b->toobig = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->toobig = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_reserve(struct buf *b, size_t n)
{
    if (b->toobig)
        return NULL;
    /* len + n + 1 (for the NUL) must fit under the cap. */
    if (n >= b->cap || b->len > b->cap - n - 1) {
        b->toobig = 1;
        return NULL;
    }
    size_t need = b->len + n + 1;
    if (need > b->alloc) {
        size_t a = b->alloc ? b->alloc : 64;
        while (a < need)
            a = a > b->cap / 2 ? b->cap : a * 2;
        b->data = xrealloc(b->data, a);
        b->alloc = a;
    }
    return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int buf_add(struct buf *b, const void *data, size_t n)
{
    char *p = buf_reserve(b, n);
    if (!p)
        return TP_ETOOBIG;
    if (n)
        memcpy(p, data, n);
    buf_commit(b, n);
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return TP_EINVAL;
    char *p = buf_reserve(b, (size_t)n);
    if (!p)
        return TP_ETOOBIG;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    buf_commit(b, (size_t)n);
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = b->data ? b->data : xstrdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->alloc = 0;
    b->toobig = 0;
    return p;
}
