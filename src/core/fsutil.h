/*
 * fsutil.h - the few file-system chores several modules share.
 */
#ifndef TOOLPROF_FSUTIL_H
#define TOOLPROF_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* mkdir -p with mode (0700 for anything holding toolprof's data: it
 * contains commands and paths). Returns 0, or TP_EIO with a message naming
 * the directory that could not be made, or that is not a directory. */
int fs_mkdirs(const char *dir, mode_t mode, char *errbuf);

/* out = dir + "/" + name; 0, or -1 when it does not fit in n bytes. */
int fs_join(char *out, size_t n, const char *dir, const char *name);

/* Append everything readable from fd to b (up to its cap: the rest is left
 * unread, and b->toobig is NOT set, so callers compare sizes themselves).
 * Returns 0, or TP_EIO with "path: error" in errbuf. */
int fs_read_all(int fd, struct buf *b, const char *path, char *errbuf);

#endif
