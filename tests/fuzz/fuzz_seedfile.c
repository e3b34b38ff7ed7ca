/*
 * fuzz_seedfile.c - libFuzzer target for the daily-file and jsonl import.
 *
 * `toolprof import` reads the original's operations_YYYY-MM-DD.json
 * ({"operations": [...]}) and our jsonl exports, files that people edit
 * by hand and tools write half-way. The input is such a file. It is sniffed
 * (seedfile_sniff) and, when it is one of ours, imported for real
 * (seedfile_import) into a store in a scratch directory on tmpfs, then read
 * a second time in memory the way the importer reads it (whole document or
 * lines; jin_parse, opjson_read, op_normalize per record) to see each op.
 *
 * The promises checked: an import either succeeds or fails for the file as
 * a whole (not JSON, no "operations" array) with the path in its message;
 * it never fails in the database (an op that op_normalize() accepted must
 * be storable); every accepted record is stored (inserted + merged +
 * unchanged); the import counts the records read and refused as the
 * in-memory reading does; and every accepted op keeps the promises of opcheck.h (valid
 * UTF-8 within limits, and the same op after a write and read in both the
 * jsonl and the daily-file layout). A broken promise aborts.
 *
 * "Now" is pinned (TOOLPROF_NOW_MS) so that runs are reproducible. The
 * store is started afresh every FUZZ_STORE_EVERY inputs to keep it small;
 * its directory is $FUZZ_SCRATCH when set (tests/fuzz/run.sh sets it), else
 * a new directory in /dev/shm or /tmp, removed at exit.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "ingest/filemark.h"
#include "ingest/seedfile.h"
#include "opcheck.h"
#include "store/store.h"

#define FUZZ_NOW_MS 1790000000000LL
#define FUZZ_STORE_EVERY 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[512];
static struct store *fuzz_store;
static FILE *fuzz_report;
static unsigned long fuzz_inputs;

static int fuzz_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void fuzz_cleanup(void)
{
    if (fuzz_store)
        store_close(fuzz_store);
    fuzz_store = NULL;
    if (fuzz_dir[0])
        nftw(fuzz_dir, fuzz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    char now[32];
    snprintf(now, sizeof now, "%lld", FUZZ_NOW_MS);
    setenv("TOOLPROF_NOW_MS", now, 1);
    const char *scratch = getenv("FUZZ_SCRATCH");
    if (scratch && *scratch) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/seedfile-%d", scratch, (int)getpid());
        if (mkdir(fuzz_dir, 0700) != 0)
            abort();
    } else {
        struct stat st;
        const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/toolprof-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir))
            abort();
    }
    fuzz_report = fopen("/dev/null", "w");
    atexit(fuzz_cleanup);
}

static struct store *fuzz_get_store(void)
{
    char err[TP_ERR_MAX];
    char db[600];
    if (fuzz_store && fuzz_inputs % FUZZ_STORE_EVERY != 0)
        return fuzz_store;
    if (fuzz_store)
        store_close(fuzz_store);
    fuzz_store = NULL;
    snprintf(db, sizeof db, "%s/data", fuzz_dir);
    nftw(db, fuzz_rm, 8, FTW_DEPTH | FTW_PHYS);
    if (store_open(db, 0, &fuzz_store, err) != 0) {
        fprintf(stderr, "fuzz_seedfile: store_open %s: %s\n", db, err);
        abort();
    }
    return fuzz_store;
}

/* What the in-memory reading found. */
struct fuzz_count {
    size_t ops, rejected, accepted;
};

/* One record, as take_record() of seedfile.c takes it. */
static void fuzz_record(const cJSON *rec, int flags, const char *position, struct fuzz_count *c)
{
    char err[TP_ERR_MAX] = "";
    struct op op;
    c->ops++;
    if ((flags & OPJ_NAIVE_LOCAL) && !jin_get(rec, "timestamp") && !jin_get(rec, "timestamp_ms")) {
        c->rejected++;
        return;
    }
    if (opjson_read(rec, flags, OP_SRC_IMPORT, FUZZ_NOW_MS, &op, err) != 0 ||
        op_normalize(&op, FUZZ_NOW_MS, err) != 0) {
        if (err[0] == '\0')
            abort(); /* a refusal must say why */
        c->rejected++;
        op_clear(&op);
        return;
    }
    if (!op.tool_use_id)
        op.tool_use_id = op_derive_id(&op, position);
    opcheck_all(&op, FUZZ_NOW_MS);
    c->accepted++;
    op_clear(&op);
}

/* The daily file: one document. Returns 0, or -1 when the import must
 * refuse the file as a whole. */
static int fuzz_read_seed(const char *s, size_t size, struct fuzz_count *c)
{
    char err[TP_ERR_MAX];
    cJSON *root = jin_parse(s, size, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    if (!root)
        return -1;
    const cJSON *ops = jin_get(root, "operations");
    if (!cJSON_IsArray(ops)) {
        cJSON_Delete(root);
        return -1;
    }
    size_t index = 0;
    for (const cJSON *rec = ops->child; rec; rec = rec->next, index++) {
        char position[64];
        snprintf(position, sizeof position, "seed#%zu", index);
        fuzz_record(rec, OPJ_NAIVE_LOCAL | OPJ_KEEP_SOURCE, position, c);
    }
    cJSON_Delete(root);
    return 0;
}

/* A last line without its newline that is one whole object (after
 * leading blanks), as import_jsonl() tells one. */
static int fuzz_whole_object(const char *s, size_t n)
{
    char err[TP_ERR_MAX];
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n || s[i] != '{')
        return 0;
    cJSON *v = jin_parse(s, n, JIN_REPAIR, TP_MAX_JSON_DEPTH, err);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

/* The jsonl export: complete lines, blanks and trailing '\r' / spaces
 * ignored; the last one, without '\n', only when it is a whole object or
 * the file is final (else it is still being written). A line that is not
 * JSON counts as a record read and rejected, as import_jsonl() counts
 * it. */
static void fuzz_read_jsonl(const char *s, size_t size, int final, struct fuzz_count *c)
{
    size_t off = 0;
    const char *nl;
    while (off < size) {
        nl = memchr(s + off, '\n', size - off);
        if (!nl && !final && !fuzz_whole_object(s + off, size - off))
            break;
        size_t start = off, n = nl ? (size_t)(nl - (s + off)) : size - off;
        off += n + 1;
        while (n && (s[start + n - 1] == '\r' || s[start + n - 1] == ' '))
            n--;
        if (!n)
            continue;
        char err[TP_ERR_MAX], position[64];
        cJSON *rec = jin_parse(s + start, n, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
        if (!rec) {
            c->ops++;
            c->rejected++;
            continue;
        }
        snprintf(position, sizeof position, "jsonl@%zu", start);
        fuzz_record(rec, OPJ_KEEP_SOURCE, position, c);
        cJSON_Delete(rec);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    fuzz_setup();
    enum seedfile_kind kind = seedfile_sniff(s, size);
    if (kind != SEEDFILE_NONE && kind != SEEDFILE_SEED && kind != SEEDFILE_JSONL)
        abort();
    /* Whatever the sniff says, the input is imported as both kinds: the
     * importer trusts the sniff, but `toolprof import FILE` of a file that
     * starts like one kind and goes on like the other reaches both. */
    struct store *st_store = fuzz_get_store();
    fuzz_inputs++;
    for (int k = SEEDFILE_SEED; k <= SEEDFILE_JSONL; k++) {
        char path[600], err[TP_ERR_MAX] = "";
        snprintf(path, sizeof path, "%s/in-%lu.%s", fuzz_dir, fuzz_inputs,
                 k == SEEDFILE_SEED ? "json" : "jsonl");
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
            abort();
        struct seedfile_stats st;
        memset(&st, 0, sizeof st);
        /* Final (filemark.h) the way the import sees it: "now" is pinned,
         * the file's mtime is the real time. */
        struct stat sb;
        int final = stat(path, &sb) == 0 && FUZZ_NOW_MS - ((int64_t)sb.st_mtim.tv_sec * 1000 +
                                                           sb.st_mtim.tv_nsec / 1000000) >=
                                                FILEMARK_FINAL_AFTER_MS;
        int rc = seedfile_import(st_store, path, (enum seedfile_kind)k, fuzz_report, &st, err);
        unlink(path);

        struct fuzz_count c = {0, 0, 0};
        int whole;
        if (k == SEEDFILE_SEED) {
            whole = fuzz_read_seed(s, size, &c);
        } else {
            fuzz_read_jsonl(s, size, final, &c);
            whole = 0;
        }
        if (rc != 0) {
            /* Only the file as a whole may fail: not JSON, no
             * "operations" array. Never the database. */
            if (rc != TP_EPARSE || whole == 0 || !strstr(err, path))
                abort();
            continue;
        }
        if (whole != 0)
            abort(); /* imported what the reading says must be refused */
        /* Every op that passed op_normalize() was stored (new, merged or
         * already there), and the import counted what the reading saw. */
        size_t stored = st.res.inserted + st.res.merged + st.res.unchanged;
        if (st.ops != c.ops || st.rejected != c.rejected || stored != c.accepted)
            abort();
    }
    return 0;
}
