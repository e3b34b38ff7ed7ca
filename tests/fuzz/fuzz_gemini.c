/*
 * fuzz_gemini.c - libFuzzer target for the Gemini CLI chat parser
 * (gemini_feed, gemini_feed_document, gemini_flush; ingest/gemini.c).
 *
 * Chats are files another program rewrites as it goes; toolprof reads every
 * one it finds. The input is a chat: a legacy .json document when
 * gemini_sniff() says so (also fed as lines, which must refuse or use it
 * without harm), else JSONL records split at '\n'. It is read twice by
 * fresh parsers, and each read must give the same calls in the same order
 * (last record wins, $set patches, $rewindTo truncates: all of it a
 * function of the bytes). The promises checked: a refused line or
 * document returns TP_EPARSE with a message and emits nothing; every op
 * carries a tool, an id, the agent "gemini-cli" and the transcript
 * source; an op that op_normalize() accepts keeps the promises of
 * opcheck.h. A broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "ingest/gemini.h"
#include "opcheck.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_once(const char *s, size_t size, int doc, struct agentfile_out *out)
{
    struct gemini *g = gemini_new(out, NULL, "/home/dev/project");
    char err[TP_ERR_MAX] = "";
    if (doc) {
        int rc = gemini_feed_document(g, s, size, err);
        if ((rc != 0 && rc != TP_EPARSE) || (rc == TP_EPARSE && err[0] == '\0'))
            abort();
    } else {
        for (size_t i = 0; i < size;) {
            const char *nl = memchr(s + i, '\n', size - i);
            size_t e = nl ? (size_t)(nl - s) : size;
            size_t before = out->n;
            err[0] = '\0';
            int rc = gemini_feed(g, s + i, e - i, (int64_t)i, err);
            if ((rc != 0 && rc != TP_EPARSE) || (rc == TP_EPARSE && err[0] == '\0') ||
                out->n != before)
                abort(); /* records are handed out only by the flush */
            i = e + 1;
        }
    }
    gemini_flush(g);
    gemini_free(g);
    for (size_t i = 0; i < out->n; i++) {
        struct op *op = &out->ops[i];
        if (!op->tool || !op->tool_use_id || !op->agent || strcmp(op->agent, "gemini-cli") != 0 ||
            op->source != OP_SRC_TRANSCRIPT)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int doc = gemini_sniff(s, size < 4096 ? size : 4096) == 2;
    for (int pass = 0; pass < (doc ? 2 : 1); pass++) {
        int as_doc = doc && pass == 0;
        struct agentfile_out a = {0}, b = {0};
        read_once(s, size, as_doc, &a);
        read_once(s, size, as_doc, &b);
        if (a.n != b.n)
            abort();
        for (size_t i = 0; i < a.n; i++) {
            if (strcmp(a.ops[i].tool_use_id, b.ops[i].tool_use_id) != 0 ||
                strcmp(a.ops[i].tool, b.ops[i].tool) != 0 || a.ops[i].ts_ms != b.ops[i].ts_ms)
                abort();
            char err[TP_ERR_MAX] = "";
            if (op_normalize(&a.ops[i], FUZZ_NOW_MS, err) == 0)
                opcheck_all(&a.ops[i], FUZZ_NOW_MS);
            else if (err[0] == '\0')
                abort();
        }
        agentfile_out_clear(&a);
        agentfile_out_clear(&b);
    }
    return 0;
}
