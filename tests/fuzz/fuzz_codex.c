/*
 * fuzz_codex.c - libFuzzer target for the Codex CLI rollout parser
 * (codex_feed, ingest/codex.c and codex_call.c).
 *
 * Rollouts are files another program writes; toolprof reads every one it
 * finds, so codex_feed() must survive any line. The input is a rollout:
 * lines split at '\n' and fed with their byte offsets, as the importer
 * does, read twice:
 *
 *   whole  every line, then codex_finish(final);
 *   split  the lines before a cut, codex_finish(not final), as an import
 *          that stops while the file is being written; then a fresh parser
 *          fed line 0 (the session, as codex_import_fd() does) and the
 *          lines from codex_resume_offset() on, final.
 *
 * The promises checked: a refused line returns TP_EPARSE with a message
 * and emits nothing; a line whose call could not be used for want of a
 * time returns TP_EINVAL with a message, having emitted at most the one
 * call its output ended; every op carries a tool, an id, the agent "codex" and
 * the transcript source; an op that op_normalize() accepts keeps the
 * promises of opcheck.h; after a final finish no call waits (the resume
 * offset is the end); the resume offset is the start of a line fed, at or
 * before the cut; and resuming loses no call: every call id the whole read
 * emits (without its session prefix) is emitted by the split read. A
 * broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "ingest/codex.h"
#include "opcheck.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The call id of an op: its key without the "session/" prefix
 * agentfile_call_key() may have put in front (the split read may know
 * another session than the whole one, when the file's session_meta is not
 * its first line). */
static const char *bare_id(const struct op *op)
{
    const char *k = op->tool_use_id;
    const char *pre[2] = {op->subagent, op->session_id};
    for (int i = 0; i < 2; i++) {
        size_t n = pre[i] ? strlen(pre[i]) : 0;
        if (n && strncmp(k, pre[i], n) == 0 && k[n] == '/')
            return k + n + 1;
    }
    return k;
}

/* Check the ops out holds from index `from`, adding their ids to ids. */
static void take(struct agentfile_out *out, size_t from, struct kmap *ids)
{
    for (size_t i = from; i < out->n; i++) {
        struct op *op = &out->ops[i];
        if (!op->tool || !op->tool_use_id || !op->agent || strcmp(op->agent, "codex") != 0 ||
            op->source != OP_SRC_TRANSCRIPT)
            abort();
        int added;
        const char *id = bare_id(op);
        kmap_put(ids, id, strlen(id), &added);
        char err[TP_ERR_MAX] = "";
        if (op_normalize(op, FUZZ_NOW_MS, err) == 0)
            opcheck_all(op, FUZZ_NOW_MS);
        else if (err[0] == '\0')
            abort();
    }
}

/* Feed the lines of s[start, end) that begin at or after `start`; returns
 * the offset after the last whole line fed. */
static size_t feed(struct codex *c, struct agentfile_out *out, const char *s, size_t start,
                   size_t end, struct kmap *ids)
{
    size_t i = start;
    while (i < end) {
        const char *nl = memchr(s + i, '\n', end - i);
        size_t e = nl ? (size_t)(nl - s) : end;
        size_t before = out->n;
        char err[TP_ERR_MAX] = "";
        int rc = codex_feed(c, s + i, e - i, (int64_t)i, err);
        if (rc == TP_EPARSE) {
            if (err[0] == '\0' || out->n != before)
                abort();
        } else if (rc == TP_EINVAL) {
            if (err[0] == '\0' || out->n > before + 1)
                abort();
        } else if (rc != 0) {
            abort();
        }
        take(out, before, ids);
        i = e + 1;
    }
    return i < end ? i : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct kmap whole, split;
    kmap_init(&whole);
    kmap_init(&split);

    /* whole */
    struct agentfile_out out = {0};
    struct codex *c = codex_new(&out);
    feed(c, &out, s, 0, size, &whole);
    size_t before = out.n;
    codex_finish(c, 1);
    take(&out, before, &whole);
    if (codex_resume_offset(c, (int64_t)size) != (int64_t)size)
        abort(); /* a call still waiting after a final finish */
    codex_free(c);
    agentfile_out_clear(&out);

    /* split: a cut at a line boundary chosen from the input */
    size_t cut = size ? (size_t)((size * 2654435761u) % (size + 1)) : 0;
    while (cut > 0 && cut < size && s[cut - 1] != '\n')
        cut--;
    struct agentfile_out o1 = {0};
    c = codex_new(&o1);
    feed(c, &o1, s, 0, cut, &split);
    before = o1.n;
    codex_finish(c, 0);
    take(&o1, before, &split);
    int64_t resume = codex_resume_offset(c, (int64_t)cut);
    if (resume < 0 || resume > (int64_t)cut || (resume > 0 && s[resume - 1] != '\n'))
        abort();
    codex_free(c);
    agentfile_out_clear(&o1);

    struct agentfile_out o2 = {0};
    c = codex_new(&o2);
    if (resume > 0) {
        /* The session first, as the import does. */
        const char *nl = memchr(s, '\n', (size_t)resume);
        size_t n0 = nl ? (size_t)(nl - s) : (size_t)resume;
        char err[TP_ERR_MAX];
        size_t b0 = o2.n;
        codex_feed(c, s, n0, 0, err);
        take(&o2, b0, &split);
    }
    feed(c, &o2, s, (size_t)resume, size, &split);
    before = o2.n;
    codex_finish(c, 1);
    take(&o2, before, &split);
    codex_free(c);
    agentfile_out_clear(&o2);

    for (size_t i = 0; i < whole.n; i++) {
        size_t n;
        const void *k = kmap_key(&whole, i, &n);
        if (kmap_find(&split, k, n) < 0)
            abort(); /* resuming lost a call */
    }
    kmap_free(&whole);
    kmap_free(&split);
    return 0;
}
