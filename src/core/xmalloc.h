/*
 * xmalloc.h - allocation that cannot fail.
 *
 * Every input toolprof reads is capped (limits.h), so running out of memory
 * means a bug or a dying machine: these print one line and abort instead of
 * returning NULL, which keeps every caller free of NULL checks.
 */
#ifndef TOOLPROF_XMALLOC_H
#define TOOLPROF_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Overflow-checked xrealloc(p, count * size). */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
/* Copy of the first n bytes of s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);

#endif
