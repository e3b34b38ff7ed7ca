/*
 * fuzz_transcript.c - libFuzzer target for the transcript line parser.
 *
 * Transcripts are files other programs write, and toolprof reads every one
 * it finds, so transcript_feed() must survive any line. The input is a
 * transcript: lines split at '\n' and fed with their byte offsets, as the
 * importer does. It is read three times:
 *
 *   whole  every line, then transcript_finish(final);
 *   first  the lines before a cut point, transcript_finish(not final), as
 *          an import that stops while the file is still being written;
 *   rest   a fresh parser from transcript_pending_offset() of `first` (or
 *          the cut) to the end, final: the import that resumes there.
 *
 * The promises checked: a refused line returns TP_EPARSE with a message and
 * changes nothing (no op, same pending offset), and every refusal is
 * counted; the pending offset is -1 or the start of a line fed; after a
 * final finish nothing is pending; a parser emits a tool-use id again only as the same tool (a
 * later report that splits its time); every op carries a tool, an id and the transcript source;
 * every op that op_normalize() accepts keeps the promises of opcheck.h; and resuming loses no call:
 * every id the whole read emits is emitted by `first` or `rest`. A broken promise aborts.
 *
 *   tests/fuzz/run.sh builds it against the project compiled with clang;
 *   tests/fuzz/replay.sh replays its corpus with gcc and driver.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "ingest/transcript.h"
#include "opcheck.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lines of the input: start offsets, the last one possibly without '\n'. */
struct fuzz_lines {
    size_t n;
    size_t *start, *len;
};

static void fuzz_split(const char *s, size_t size, struct fuzz_lines *L)
{
    size_t cap = 16;
    L->n = 0;
    L->start = malloc(cap * sizeof *L->start);
    L->len = malloc(cap * sizeof *L->len);
    for (size_t i = 0; i < size;) {
        const char *nl = memchr(s + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - s) : size;
        if (L->n == cap) {
            cap *= 2;
            L->start = realloc(L->start, cap * sizeof *L->start);
            L->len = realloc(L->len, cap * sizeof *L->len);
        }
        L->start[L->n] = i;
        L->len[L->n] = end - i;
        L->n++;
        i = end + 1;
    }
}

/* The calls one parser emitted, by id (kmap index), with the tool of the
 * first report: a call may be reported again when its turn or its
 * cost-state interval ends and splits its time (docs/time.md), but it
 * stays the same call. */
struct fuzz_seen {
    struct kmap ids;
    char **tools;
    size_t alloc;
};

static void seen_init(struct fuzz_seen *m)
{
    memset(m, 0, sizeof *m);
    kmap_init(&m->ids);
}

static void seen_free(struct fuzz_seen *m)
{
    for (size_t i = 0; i < m->ids.n; i++)
        free(m->tools[i]);
    free(m->tools);
    kmap_free(&m->ids);
}

/* Take the parser's finished ops: check them, record their ids in `ids`,
 * and clear them. */
static void fuzz_take(struct transcript *t, struct fuzz_seen *mine, struct kmap *ids, int64_t now)
{
    size_t n;
    struct op *ops = transcript_ops(t, &n);
    for (size_t i = 0; i < n; i++) {
        struct op *op = &ops[i];
        if (!op->tool || !op->tool_use_id || op->source != OP_SRC_TRANSCRIPT)
            abort();
        size_t idlen = strlen(op->tool_use_id);
        int added;
        size_t k = kmap_put(&mine->ids, op->tool_use_id, idlen, &added);
        if (added) {
            if (k >= mine->alloc) {
                mine->alloc = mine->alloc ? 2 * mine->alloc : 64;
                mine->tools = xreallocarray(mine->tools, mine->alloc, sizeof *mine->tools);
            }
            mine->tools[k] = xstrdup(op->tool);
        } else if (strcmp(mine->tools[k], op->tool) != 0) {
            abort(); /* a call reported again as another tool */
        }
        kmap_put(ids, op->tool_use_id, idlen, &added);
        char err[TP_ERR_MAX] = "";
        if (op_normalize(op, now, err) == 0)
            opcheck_all(op, now);
        else if (err[0] == '\0')
            abort();
    }
    transcript_clear_ops(t);
}

/* Feed lines [from, to) to t, checking each line's promises and taking the
 * ops it finished. */
static void fuzz_feed(struct transcript *t, const char *s, const struct fuzz_lines *L, size_t from,
                      size_t to, struct fuzz_seen *mine, struct kmap *ids, int64_t now)
{
    for (size_t i = from; i < to; i++) {
        char err[TP_ERR_MAX] = "";
        size_t n_before;
        transcript_ops(t, &n_before);
        int64_t pend_before = transcript_pending_offset(t);
        uint64_t bad_before = transcript_stats(t)->malformed;
        uint64_t skipped_before = transcript_stats(t)->skipped_calls;
        int rc = transcript_feed(t, s + L->start[i], L->len[i], (int64_t)L->start[i], err);
        size_t n_after;
        transcript_ops(t, &n_after);
        const struct transcript_stats *st = transcript_stats(t);
        if (rc == TP_EPARSE) {
            /* Malformed: counted, and nothing changed. */
            if (err[0] == '\0' || n_after != n_before ||
                transcript_pending_offset(t) != pend_before || st->malformed != bad_before + 1 ||
                st->skipped_calls != skipped_before)
                abort();
        } else if (rc == TP_EINVAL) {
            /* Used, but a call on it was skipped: said, and counted as such. */
            if (err[0] == '\0' || st->malformed != bad_before ||
                st->skipped_calls <= skipped_before)
                abort();
        } else if (rc != 0 || st->malformed != bad_before) {
            abort();
        }
        int64_t pend = transcript_pending_offset(t);
        if (pend != -1) {
            /* The start of a line fed so far. */
            size_t lo = 0, hi = i + 1;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if ((int64_t)L->start[mid] < pend)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo > i || (int64_t)L->start[lo] != pend || lo < from)
                abort();
        }
        fuzz_take(t, mine, ids, now);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* "Now" is pinned, so that a crash reproduces on another day. */
    const int64_t now = FUZZ_NOW_MS;
    struct fuzz_lines L;
    fuzz_split(s, size, &L);

    /* whole */
    struct kmap whole_ids;
    struct fuzz_seen mine;
    kmap_init(&whole_ids);
    seen_init(&mine);
    struct transcript *t = transcript_new();
    fuzz_feed(t, s, &L, 0, L.n, &mine, &whole_ids, now);
    transcript_finish(t, 1);
    fuzz_take(t, &mine, &whole_ids, now);
    const struct transcript_stats *st = transcript_stats(t);
    if (transcript_pending_offset(t) != -1 || st->lines != L.n || st->malformed > st->lines)
        abort();
    transcript_free(t);
    seen_free(&mine);

    /* first, then rest from where `first` says to resume. */
    size_t cut = L.n ? (size_t)(size * 2654435761u % (L.n + 1)) : 0;
    struct kmap split_ids;
    kmap_init(&split_ids);
    seen_init(&mine);
    t = transcript_new();
    fuzz_feed(t, s, &L, 0, cut, &mine, &split_ids, now);
    transcript_finish(t, 0);
    fuzz_take(t, &mine, &split_ids, now);
    int64_t resume = transcript_pending_offset(t);
    transcript_free(t);
    seen_free(&mine);
    size_t from = cut;
    if (resume >= 0) {
        from = 0;
        while (from < cut && (int64_t)L.start[from] != resume)
            from++;
        if (from == cut)
            abort(); /* not the start of a line `first` was fed */
    }
    seen_init(&mine);
    t = transcript_new();
    fuzz_feed(t, s, &L, from, L.n, &mine, &split_ids, now);
    transcript_finish(t, 1);
    fuzz_take(t, &mine, &split_ids, now);
    transcript_free(t);
    seen_free(&mine);

    for (size_t i = 0; i < whole_ids.n; i++) {
        size_t len;
        const void *id = kmap_key(&whole_ids, i, &len);
        if (kmap_find(&split_ids, id, len) < 0)
            abort(); /* a call lost by stopping and resuming */
    }
    kmap_free(&whole_ids);
    kmap_free(&split_ids);
    free(L.start);
    free(L.len);
    return 0;
}
