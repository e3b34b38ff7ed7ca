/*
 * fuzz_extract.c - libFuzzer target: the field extractor reads what the
 * tree parser reads.
 *
 * Imports read lines with core/jfield.h and give jin_parse() only what the
 * extractor cannot prove it reads the same way (tests/fuzz/extractcheck.h).
 * The input is anything. It is checked as a document and line by line, at
 * the level of values (with and without number formats, at the import's
 * depth limit and at op_normalize's 16), as a Claude Code transcript fed
 * to two parsers side by side (one held to the tree parser), as jsonl
 * export lines and as a daily file read into ops both ways. Any difference
 * aborts, after printing what differed.
 *
 *   tests/fuzz/run.sh builds it against the project compiled with clang;
 *   tests/fuzz/replay.sh replays its corpus with gcc and driver.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractcheck.h"

#define FUZZ_NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(const char *what, const char *why)
{
    if (why) {
        fprintf(stderr, "fuzz_extract: %s: %s\n", what, why);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jf_doc *doc;
    const char *s = (const char *)data;
    if (!doc)
        doc = jf_doc_new();

    fuzz_check("document", xc_doc(doc, s, size, 0, TP_MAX_JSON_DEPTH));
    fuzz_check("document, number formats, depth 16", xc_doc(doc, s, size, JF_NUMFMT, 16));
    for (size_t i = 0; i < size;) {
        const char *nl = memchr(s + i, '\n', size - i);
        size_t e = nl ? (size_t)(nl - s) : size;
        fuzz_check("line", xc_doc(doc, s + i, e - i, 0, TP_MAX_JSON_DEPTH));
        fuzz_check("jsonl line", xc_jsonl_line(doc, s + i, e - i, FUZZ_NOW_MS));
        i = e + 1;
    }
    fuzz_check("transcript", xc_transcript(s, size));
    fuzz_check("daily file", xc_seed_doc(doc, s, size, FUZZ_NOW_MS));
    return 0;
}
