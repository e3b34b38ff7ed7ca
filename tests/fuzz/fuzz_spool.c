/*
 * fuzz_spool.c - libFuzzer target for reading a hook spool file.
 *
 * A spool file is ours, but what is in it is what a full disk, a crash or
 * another program left: cut lines, garbage, lines of any length. The bytes
 * are such a file, drained as spool_drain_file() reads it (spool.c is
 * included, with SPOOL_LINE_MAX set to 512 so that over-long lines and the
 * buffer's moves are reached with short inputs), without a store. The
 * promises checked:
 *   - the reader hands out every byte once, in order: its lines, each
 *     followed by the newline it removed (the last may have none), are the
 *     file; no line holds a newline; only a line over SPOOL_LINE_MAX comes
 *     back without its text, and then it is over SPOOL_LINE_MAX;
 *   - every non-blank line either parses into an op that op_normalize()
 *     accepts, or is refused with a message;
 *   - setting the refused lines aside writes exactly those lines, each with
 *     a newline, into SPOOL_REJECTS (in $FUZZ_SCRATCH, else a temporary
 *     directory), appended after what was there.
 * A broken promise aborts.
 */
#define SPOOL_LINE_MAX 512

#include <ftw.h>
#include <sys/mman.h>

#include "store/spool.c"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[512];

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void fuzz_cleanup(void)
{
    if (fuzz_dir[0])
        nftw(fuzz_dir, fuzz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    const char *scratch = getenv("FUZZ_SCRATCH");
    if (scratch && *scratch) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/spool-%d", scratch, (int)getpid());
        if (mkdir(fuzz_dir, 0700) != 0)
            abort();
    } else {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/toolprof-fuzz-XXXXXX");
        if (!mkdtemp(fuzz_dir))
            abort();
    }
    atexit(fuzz_cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[TP_ERR_MAX], rej[600];
    fuzz_setup();
    int fd = memfd_create("spool", MFD_CLOEXEC);
    if (fd < 0 || (size && spool_write_all(fd, (const char *)data, size) != 0))
        abort();

    struct spool_claim claim = {.fd = fd, .path = "spool.fuzz.draining"};
    struct spool_drainer dr = {.dir = fuzz_dir, .now_ms = FUZZ_NOW_MS, .file = &claim};
    struct spool_reader rd = {.fd = fd, .buf = xmalloc(SPOOL_READ_CAP + 1)};
    struct buf want;
    buf_init(&want, 4 * size + 64);
    char *line;
    int64_t len, off, pos = 0;
    size_t lineno = 0;
    int r;
    while ((r = spool_next_line(&rd, &line, &len, &off)) == 1) {
        lineno++;
        if (off != pos || len < 0 || off + len > (int64_t)size)
            abort(); /* a byte skipped, or handed out twice */
        if (memchr(data + off, '\n', (size_t)len))
            abort();
        if (line ? len > SPOOL_LINE_MAX || memcmp(line, data + off, (size_t)len) != 0
                 : len <= SPOOL_LINE_MAX)
            abort();
        pos = off + len;
        if (pos < (int64_t)size) {
            if (data[pos] != '\n')
                abort();
            pos++;
        }
        int64_t used = len;
        while (line && used > 0 && line[used - 1] == '\r')
            line[--used] = '\0';
        if (line && used == 0)
            continue;
        struct op op;
        memset(&op, 0, sizeof op);
        err[0] = '\0';
        struct spool_line where = {off, len, lineno};
        if (spool_parse(&dr, line, used, &op, err) != 0) {
            if (!err[0])
                abort(); /* refused without a word */
            buf_add(&want, data + off, (size_t)len);
            buf_addc(&want, '\n');
            spool_reject(&dr, &where, err);
        }
        op_clear(&op);
    }
    if (r != 0 || pos != (int64_t)size)
        abort(); /* a read error on a memfd, or bytes never handed out */

    /* Set aside after an earlier line, as a second drain would. */
    snprintf(rej, sizeof rej, "%s/%s", fuzz_dir, SPOOL_REJECTS);
    FILE *f = fopen(rej, "w");
    if (!f || fputs("earlier\n", f) < 0 || fclose(f) != 0)
        abort();
    if (dr.nrej && spool_set_aside(&dr) != 0)
        abort();
    struct stat st;
    if (stat(rej, &st) != 0 || (size_t)st.st_size != 8 + want.len)
        abort();
    if (want.len) {
        char *got = xmalloc((size_t)st.st_size);
        int rfd = open(rej, O_RDONLY | O_CLOEXEC);
        if (rfd < 0 || read(rfd, got, (size_t)st.st_size) != st.st_size ||
            memcmp(got, "earlier\n", 8) != 0 || memcmp(got + 8, want.data, want.len) != 0)
            abort();
        close(rfd);
        free(got);
    }
    unlink(rej);
    buf_free(&want);
    free(dr.rej);
    free(rd.buf);
    close(fd);
    return 0;
}
