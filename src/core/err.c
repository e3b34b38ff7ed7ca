/*
 * err.c - error code descriptions and the tp_fail() helper.
 */
#include "err.h"

#include <stdio.h>

#include "limits.h"

const char *tp_strerror(int code)
{
    switch (code) {
    case TP_OK: return "ok";
    case TP_EINVAL: return "invalid input";
    case TP_EPARSE: return "malformed input";
    case TP_ETOOBIG: return "input too large";
    case TP_EIO: return "input/output error";
    case TP_EDB: return "database error";
    case TP_EBUSY: return "database busy";
    case TP_ENOTFOUND: return "not found";
    case TP_EEXIST: return "already exists";
    case TP_EAGAIN: return "incomplete input";
    case TP_EUNSUPP: return "unsupported";
    case TP_EROFS: return "read-only data directory";
    case TP_ENOSPC: return "disk full";
    }
    return "unknown error";
}

int tp_fail(char *errbuf, int code, const char *fmt, ...)
{
    if (errbuf) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, TP_ERR_MAX, fmt, ap);
        va_end(ap);
    }
    return code;
}
