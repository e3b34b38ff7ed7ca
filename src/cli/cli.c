/*
 * cli.c - helpers shared by the commands: opening the store, printing JSON,
 * reporting errors.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/jsonw.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/hookpend.h"
#include "store/chstore.h"
#include "store/spool.h"

int cli_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "toolprof %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

struct store *cli_open_store(const char *data_dir, int write)
{
    char err[TP_ERR_MAX];
    char *dir = store_default_dir(data_dir);
    struct store *s;
    struct stat st;
    /* (A ClickHouse store is elsewhere: its reader needs no directory.) */
    if (!write && !chstore_url() && stat(dir, &st) != 0 && errno == ENOENT) {
        fprintf(stderr,
                "toolprof: no data directory at %s: nothing recorded there yet (record calls "
                "with `toolprof install-hook` or `toolprof import`), or check --data-dir and "
                "$TOOLPROF_DATA_DIR\n",
                dir);
        free(dir);
        return NULL;
    }
    int rc = store_open(dir, 0, &s, err);
    if (rc == TP_EROFS && !write) {
        rc = store_open(dir, STORE_READONLY, &s, err);
        if (rc == 0 && spool_pending(dir) > 0)
            fprintf(stderr,
                    "toolprof: note: %s is read-only; calls the hook spooled there are "
                    "not counted\n",
                    dir);
        free(dir);
        if (rc != 0) {
            fprintf(stderr, "toolprof: %s\n", err);
            return NULL;
        }
        return s;
    }
    free(dir);
    if (rc != 0) {
        fprintf(stderr, "toolprof: %s\n", err);
        return NULL;
    }
    /* Calls whose hooks began but never ended are recorded as such, and
     * the calls the hook spooled since the last command become visible
     * now. What cannot be stored stays spooled for the next command (said
     * once, here); lines that cannot be read at all are set aside (said
     * too). */
    if (hookpend_sweep_to_spool(store_dir(s), tpt_now_ms(), err) < 0)
        fprintf(stderr, "toolprof: warning: pending hook events: %s\n", err);
    size_t bad = 0;
    if (spool_pending(store_dir(s)) > 0) {
        rc = spool_drain(s, NULL, &bad, 0, err);
        if (rc != 0)
            fprintf(stderr, "toolprof: warning: %s\n", err);
        else if (bad)
            fprintf(stderr, "toolprof: note: %s\n", err);
    }
    return s;
}

int cli_print_json(void (*fn)(struct jsonw *w, const void *arg), const void *arg)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, TP_MAX_RESPONSE);
    jw_init(&w, &b);
    fn(&w, arg);
    int rc = jw_finish(&w);
    if (rc == 0) {
        fwrite(b.data, 1, b.len, stdout);
        fputc('\n', stdout);
    } else {
        fprintf(stderr, "toolprof: the answer is larger than %d bytes; narrow the query\n",
                TP_MAX_RESPONSE);
    }
    buf_free(&b);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
