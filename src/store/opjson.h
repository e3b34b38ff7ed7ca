/*
 * opjson.h - an operation as a JSON object, both ways.
 *
 * One object layout serves the HTTP API, the CLI's --json, our jsonl
 * export/import and the hook spool (docs/api.md, "Operation object"); the
 * original's daily files use a subset of the same keys. Reading is strict
 * about types and names the offending key in its message.
 */
#ifndef TOOLPROF_OPJSON_H
#define TOOLPROF_OPJSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/jfield.h"
#include "core/jsonw.h"
#include "op.h"

enum {
    OPJ_REQUIRE_DURATION = 1, /* duration_ms must be present (API, CLI) */
    OPJ_NAIVE_LOCAL = 2,      /* a timestamp without zone is local time (daily files) */
    OPJ_KEEP_SOURCE = 4,      /* honour a "source" key (our own exports, spool) */
};

/* Fill out (op_init'ed by this call) from obj. A missing timestamp means
 * now_ms. Returns 0, or TP_EINVAL with "<key>: <problem>" in errbuf. The op
 * is not yet normalized (call op_normalize). */
int opjson_read(const cJSON *obj, int flags, enum op_source source, int64_t now_ms, struct op *out,
                char *errbuf);
/* The same over a value of the field extractor (core/jfield.h) or a tree. */
int opjson_read_val(struct jf_val obj, int flags, enum op_source source, int64_t now_ms,
                    struct op *out, char *errbuf);

/* Write op as one JSON object. sources is a bit mask of enum op_source
 * (0: just op->source). */
void opjson_write(struct jsonw *w, const struct op *op, unsigned sources);
/* The same members without the braces, for callers that add their own. */
void opjson_write_members(struct jsonw *w, const struct op *op, unsigned sources);

/* The original's daily-file layout: tool, target, duration_ms, timestamp
 * (naive local time), success, optimization_applied, metadata, size_bytes
 * when known, plus our extra keys. */
void opjson_write_seed(struct jsonw *w, const struct op *op);

#endif
