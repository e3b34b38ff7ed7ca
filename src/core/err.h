/*
 * err.h - the error codes of toolprof.
 *
 * Functions that can fail return int: 0 on success or one of the negative
 * codes below. Where the caller needs to know *what* was wrong (a field name,
 * a file and line), the function also takes a `char *errbuf` of TP_ERR_MAX
 * bytes and writes one sentence into it. Allocation failure is not an error
 * code: it aborts through xmalloc (inputs are capped, so it means a bug or a
 * dying machine).
 */
#ifndef TOOLPROF_ERR_H
#define TOOLPROF_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum tp_err {
    TP_OK = 0,
    TP_EINVAL = -1,  /* bad input: a value out of range, a wrong type */
    TP_EPARSE = -2,  /* input is not the format it claims to be */
    TP_ETOOBIG = -3, /* input over a limit of limits.h */
    TP_EIO = -4,     /* file system error (errno says more) */
    TP_EDB = -5,     /* SQLite error */
    TP_EBUSY = -6,   /* the database stayed locked past our wait */
    TP_ENOTFOUND = -7,
    TP_EEXIST = -8,   /* already stored (duplicate) */
    TP_EAGAIN = -9,   /* incomplete input: try again later */
    TP_EUNSUPP = -10, /* a format or feature we do not handle */
    TP_EROFS = -11,   /* the data directory cannot be written */
    TP_ENOSPC = -12,  /* the disk is full */
};

/* On a function whose result must not be dropped: writes and opens,
 * whose failure means data was not stored. */
#define TP_MUST_CHECK __attribute__((warn_unused_result))

/* A short static description of a code ("invalid input", ...). */
const char *tp_strerror(int code);

/* Format into errbuf (TP_ERR_MAX bytes) and return code, so that callers can
 * write `return tp_fail(errbuf, TP_EINVAL, "duration_ms must be ...")`.
 * errbuf may be NULL. */
int tp_fail(char *errbuf, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
