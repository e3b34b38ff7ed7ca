/*
 * fsutil.c - shared file-system chores (see fsutil.h).
 */
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "xmalloc.h"

int fs_mkdirs(const char *dir, mode_t mode, char *errbuf)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *q = p + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, mode) != 0 && errno != EEXIST) {
                rc = tp_fail(errbuf, TP_EIO, "cannot create directory %s: %s", p, strerror(errno));
                break;
            }
            *q = c;
            if (!c)
                break;
        }
    }
    free(p);
    struct stat st;
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = tp_fail(errbuf, TP_EIO, "%s is not a directory", dir);
    return rc;
}

int fs_join(char *out, size_t n, const char *dir, const char *name)
{
    int w = snprintf(out, n, "%s/%s", dir, name);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int fs_read_all(int fd, struct buf *b, const char *path, char *errbuf)
{
    for (;;) {
        size_t want = b->cap - b->len - 1;
        if (want > 65536)
            want = 65536;
        char *dst = want ? buf_reserve(b, want) : NULL;
        ssize_t r = dst ? read(fd, dst, want) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return tp_fail(errbuf, TP_EIO, "%s: %s", path, strerror(errno));
        if (r == 0)
            return 0;
        buf_commit(b, (size_t)r);
    }
}
