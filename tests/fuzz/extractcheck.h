/*
 * extractcheck.h - the field extractor reads what the tree parser reads.
 *
 * Imports read lines with the field extractor (core/jfield.h) and hand
 * what it cannot prove to jin_parse(); the promise is that the result is
 * the same either way. These checks hold the two paths side by side, on
 * three levels:
 *
 *   values      a document the extractor accepted is accepted by
 *               jin_parse() (strict, and repairing with number formats),
 *               and every value, key, member order, lookup (the first of
 *               duplicate keys), number (bit for bit) and float-literal
 *               flag is the same; so is jf_print() against jin_print();
 *   transcripts two parsers, one held to the tree parser
 *               (transcript_set_tree_only), fed the same lines: the same
 *               return, message, counters, ops (field by field), op
 *               offsets, requests, turns and resume offset after each line
 *               and after the last;
 *   records     a jsonl export line and a daily file's operations read
 *               into ops both ways (opjson_read_val over the extractor's
 *               value and over the tree), then op_normalize()d: the same
 *               return, message and op; and the metadata op_normalize()
 *               redacts and rewrites, both ways (xc_meta).
 *
 * Each check returns NULL when the two agree, else a message saying where
 * they part (a static buffer). Used by tests/unit/test_extract.c, which
 * asserts it on every fixture and on generated lines, and by
 * tests/fuzz/fuzz_extract.c, which aborts on arbitrary input. Header-only.
 */
#ifndef TOOLPROF_FUZZ_EXTRACTCHECK_H
#define TOOLPROF_FUZZ_EXTRACTCHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jfield.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "ingest/transcript.h"
#include "store/op.h"
#include "store/opjson.h"
#include "store/redact.h"
#include "store/timeline.h"

static char xc_why[512];

/* Objects compared member by member for lookups: the first this many
 * members of each (a lookup walks the members: more would make long
 * objects quadratic). */
#define XC_LOOKUPS 64

static const char *xc_fail(const char *fmt, const char *a, const char *b)
{
    snprintf(xc_why, sizeof xc_why, fmt, a ? a : "(null)", b ? b : "(null)");
    return xc_why;
}

static int xc_same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int xc_same_num(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* ---- values ------------------------------------------------------------- */

static const char *xc_value_diff(struct jf_val a, const cJSON *b, int numfmt)
{
    struct jf_val bv = jf_tree(b);
    enum jf_type t = jf_type(a);
    if (t != jf_type(bv))
        return xc_fail("types differ (%s%s)", "", "");
    switch (t) {
    case JF_STRING:
        if (!xc_same_str(jf_string(a), b->valuestring))
            return xc_fail("strings differ: \"%.100s\" and \"%.100s\"", jf_string(a),
                           b->valuestring);
        if (jf_strlen(a) != (int64_t)strlen(b->valuestring))
            return xc_fail("string lengths differ (%s%s)", "", "");
        return NULL;
    case JF_NUMBER:
        if (!xc_same_num(jf_number(a), b->valuedouble))
            return xc_fail("numbers differ (%s%s)", "", "");
        if (numfmt && jf_is_float_literal(a) != jin_is_float_literal(b))
            return xc_fail("float literal flags differ (%s%s)", "", "");
        return NULL;
    case JF_ARRAY:
    case JF_OBJECT: {
        struct jf_val c = jf_child(a);
        const cJSON *d = b->child;
        int k = 0;
        for (; jf_present(c) && d; c = jf_next(c), d = d->next, k++) {
            if (t == JF_OBJECT && !xc_same_str(jf_key(c), d->string))
                return xc_fail("keys differ: \"%.100s\" and \"%.100s\"", jf_key(c), d->string);
            if (t == JF_ARRAY && jf_key(c))
                return xc_fail("an array element has a key: %s%s", jf_key(c), "");
            const char *why = xc_value_diff(c, d, numfmt);
            if (why)
                return why;
            if (t == JF_OBJECT && k < XC_LOOKUPS) {
                /* A lookup finds the same member (the first of that key). */
                why = xc_value_diff(jf_get(a, d->string), jin_get(b, d->string), numfmt);
                if (why)
                    return xc_fail("lookup of \"%.100s\": %s", d->string, why);
            }
        }
        if (jf_present(c) || d)
            return xc_fail("member counts differ (%s%s)", "", "");
        if (t == JF_OBJECT) {
            /* jf_get_many() finds what jin_get() finds, key by key, for a
             * value of either kind: the keys of the first members (a key
             * twice included) and one that is not there. */
            const char *keys[JF_MAX_MANY];
            size_t nk = 0;
            for (d = b->child; d && nk < JF_MAX_MANY - 1; d = d->next)
                keys[nk++] = d->string;
            keys[nk++] = "no such key";
            struct jf_val ma[JF_MAX_MANY], mb[JF_MAX_MANY];
            jf_get_many(a, keys, nk, ma);
            jf_get_many(bv, keys, nk, mb);
            for (size_t i = 0; i < nk; i++) {
                const cJSON *want = jin_get(b, keys[i]);
                if (mb[i].node != want)
                    return xc_fail("jf_get_many of a tree: \"%.100s\" differs%s", keys[i], "");
                const char *why = xc_value_diff(ma[i], want, numfmt);
                if (why)
                    return xc_fail("jf_get_many of \"%.100s\": %s", keys[i], why);
            }
        }
        return NULL;
    }
    default: return NULL; /* null, true, false: the type says it all */
    }
}

/* s[0..n) read by the extractor with flags (JF_NUMFMT or 0), against
 * jin_parse(): when the extractor accepts it, jin_parse() must, in every
 * mode an import uses, and read the same values. */
static const char *xc_doc(struct jf_doc *doc, const char *s, size_t n, int flags, int max_depth)
{
    if (jf_parse(doc, s, n, flags, max_depth) != 0)
        return NULL; /* the tree parser reads it: nothing to compare */
    int modes[] = {JIN_STRICT, JIN_REPAIR | JIN_NUMFMT, JIN_STRICT | JIN_NUMFMT};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char err[TP_ERR_MAX];
        cJSON *tree = jin_parse(s, n, modes[m], max_depth, err);
        if (!tree)
            return xc_fail("the extractor accepts what jin_parse refuses: %s%s", err, "");
        /* Number formats are compared where both sides keep them; the
         * printed text where both keep them or neither does. */
        int both = (modes[m] & JIN_NUMFMT) && (flags & JF_NUMFMT);
        int same = !(modes[m] & JIN_NUMFMT) == !(flags & JF_NUMFMT);
        const char *why = xc_value_diff(jf_root(doc), tree, both);
        if (!why && same) {
            char *pa = jf_print(jf_root(doc), TP_MAX_LINE), *pb = jin_print(tree, TP_MAX_LINE);
            if (!xc_same_str(pa, pb))
                why = xc_fail("printed differently: %.100s / %.100s", pa, pb);
            free(pa);
            free(pb);
        }
        cJSON_Delete(tree);
        if (why)
            return why;
    }
    return NULL;
}

/* op_normalize()'s canonical metadata: the extractor's reading printed with
 * each string value redacted, against the tree's strings redacted and
 * jin_print()ed (op.c does one or the other). */
static void xc_redact_tree(cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && v->valuestring) {
            char *r = redact_text(v->valuestring);
            if (r) {
                cJSON_free(v->valuestring);
                v->valuestring = r;
            }
        } else if (v->child) {
            xc_redact_tree(v->child);
        }
    }
}

static const char *xc_meta(const char *meta)
{
    if (!meta)
        return NULL;
    struct jf_doc *doc = jf_doc_new();
    const char *why = NULL;
    size_t n = strlen(meta);
    if (jf_parse(doc, meta, n, JF_NUMFMT, 16) == 0) {
        char err[TP_ERR_MAX];
        cJSON *m = jin_parse(meta, n, JIN_STRICT | JIN_NUMFMT, 16, err);
        if (!m) {
            why =
                xc_fail("metadata accepted by the extractor, refused by jin_parse: %s%s", err, "");
        } else if (jf_type(jf_root(doc)) == JF_OBJECT) {
            xc_redact_tree(m);
            char *pa = jf_print_map(jf_root(doc), TP_MAX_META, redact_text);
            char *pb = jin_print(m, TP_MAX_META);
            if (!xc_same_str(pa, pb))
                why = xc_fail("metadata redacted differently: %.200s / %.200s", pa, pb);
            free(pa);
            free(pb);
        }
        cJSON_Delete(m);
    }
    jf_doc_free(doc);
    return why;
}

/* ---- ops, requests, turns ------------------------------------------------- */

static const char *xc_op_diff(const struct op *a, const struct op *b)
{
#define XC_STR(f)                                                                                  \
    if (!xc_same_str(a->f, b->f))                                                                  \
        return xc_fail("op." #f " differs: \"%.200s\" and \"%.200s\"", a->f, b->f);
#define XC_NUM(f)                                                                                  \
    if (!xc_same_num((double)a->f, (double)b->f))                                                  \
        return xc_fail("op." #f " differs (%s%s)", "", "");
    XC_STR(tool)
    XC_STR(target)
    XC_STR(meta)
    XC_STR(session_id)
    XC_STR(project)
    XC_STR(tool_use_id)
    XC_STR(error)
    XC_STR(subagent)
    XC_STR(agent)
    XC_STR(agent_version)
    XC_NUM(duration_ms)
    XC_NUM(wall_ms)
    XC_NUM(wait_ms)
    XC_NUM(hook_ms)
    XC_NUM(ask)
    XC_NUM(ts_ms)
    XC_NUM(success)
    XC_NUM(optimized)
    XC_NUM(size_bytes)
    XC_NUM(result_bytes)
    XC_NUM(source)
    XC_NUM(duration_is_int)
    for (int i = 0; i < OP_PH_COUNT; i++) {
        XC_NUM(exact[i])
        XC_NUM(phsrc[i])
    }
    return NULL;
}

static const char *xc_request_diff(const struct request *a, const struct request *b)
{
    XC_STR(id)
    XC_STR(session_id)
    XC_STR(project)
    XC_STR(model)
    XC_NUM(start_ms)
    XC_NUM(duration_ms)
    XC_NUM(ttft_ms)
    XC_NUM(input_tokens)
    XC_NUM(output_tokens)
    XC_NUM(cache_read_tokens)
    XC_NUM(cache_write_tokens)
    XC_NUM(cost_usd)
    XC_NUM(sidechain)
    XC_NUM(exact)
    XC_NUM(src)
    XC_NUM(source)
    return NULL;
}

static const char *xc_turn_diff(const struct turn *a, const struct turn *b)
{
    XC_STR(session_id)
    XC_NUM(start_ms)
    XC_NUM(end_ms)
    XC_NUM(active_ms)
    XC_NUM(source)
    return NULL;
#undef XC_STR
#undef XC_NUM
}

/* ---- transcripts ---------------------------------------------------------- */

/* Everything the two parsers produced since the last call is the same;
 * then it is cleared from both. */
static const char *xc_transcript_same(struct transcript *x, struct transcript *t)
{
    const struct transcript_stats *a = transcript_stats(x), *b = transcript_stats(t);
    struct transcript_stats sa = *a, sb = *b;
    sa.extracted = sb.extracted = 0; /* the one counter that tells the paths apart */
    if (memcmp(&sa, &sb, sizeof sa) != 0)
        return xc_fail("transcript counters differ (%s%s)", "", "");
    if (transcript_pending_offset(x) != transcript_pending_offset(t))
        return xc_fail("resume offsets differ (%s%s)", "", "");
    size_t na, nb;
    struct op *oa = transcript_ops(x, &na), *ob = transcript_ops(t, &nb);
    if (na != nb)
        return xc_fail("op counts differ (%s%s)", "", "");
    for (size_t i = 0; i < na; i++) {
        const char *why = xc_op_diff(&oa[i], &ob[i]);
        if (why)
            return why;
        if (transcript_op_offset(x, i) != transcript_op_offset(t, i))
            return xc_fail("op offsets differ (%s%s)", "", "");
    }
    struct request *ra = transcript_requests(x, &na), *rb = transcript_requests(t, &nb);
    if (na != nb)
        return xc_fail("request counts differ (%s%s)", "", "");
    for (size_t i = 0; i < na; i++) {
        const char *why = xc_request_diff(&ra[i], &rb[i]);
        if (why)
            return why;
    }
    struct turn *ta = transcript_turns(x, &na), *tb = transcript_turns(t, &nb);
    if (na != nb)
        return xc_fail("turn counts differ (%s%s)", "", "");
    for (size_t i = 0; i < na; i++) {
        const char *why = xc_turn_diff(&ta[i], &tb[i]);
        if (why)
            return why;
    }
    transcript_clear_ops(x);
    transcript_clear_ops(t);
    transcript_clear_timeline(x);
    transcript_clear_timeline(t);
    return NULL;
}

/* Two parsers for a side-by-side read: x reads with the extractor, t with
 * the tree parser only. */
static void xc_transcripts_new(struct transcript **x, struct transcript **t)
{
    *x = transcript_new();
    *t = transcript_new();
    transcript_set_tree_only(*t, 1);
}

/* Feed one line to both and compare. */
static const char *xc_feed(struct transcript *x, struct transcript *t, const char *line, size_t n,
                           int64_t off)
{
    char ea[TP_ERR_MAX] = "", eb[TP_ERR_MAX] = "";
    int ra = transcript_feed(x, line, n, off, ea), rb = transcript_feed(t, line, n, off, eb);
    if (ra != rb || strcmp(ea, eb) != 0)
        return xc_fail("feed returns differ: \"%.200s\" and \"%.200s\"", ea, eb);
    return xc_transcript_same(x, t);
}

/* Every line of s[0..n) (split at '\n', with its offset) fed to both, then
 * both finished (not final, then final). */
static const char *xc_transcript(const char *s, size_t n)
{
    struct transcript *x, *t;
    const char *why = NULL;
    xc_transcripts_new(&x, &t);
    for (size_t i = 0; i < n && !why;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        why = xc_feed(x, t, s + i, e - i, (int64_t)i);
        i = e + 1;
    }
    for (int final = 0; final <= 1 && !why; final++) {
        transcript_finish(x, final);
        transcript_finish(t, final);
        why = xc_transcript_same(x, t);
    }
    transcript_free(x);
    transcript_free(t);
    return why;
}

/* ---- records: jsonl lines and daily files -------------------------------- */

/* One record read and normalized both ways. */
static const char *xc_op_both(struct jf_val rec, const cJSON *tree, int flags, int64_t now)
{
    char ea[TP_ERR_MAX] = "", eb[TP_ERR_MAX] = "";
    struct op a, b;
    int ra = opjson_read_val(rec, flags, OP_SRC_IMPORT, now, &a, ea);
    int rb = opjson_read(tree, flags, OP_SRC_IMPORT, now, &b, eb);
    const char *why = NULL;
    if (ra != rb || strcmp(ea, eb) != 0)
        why = xc_fail("opjson_read returns differ: \"%.200s\" and \"%.200s\"", ea, eb);
    if (!why && ra == 0)
        why = xc_op_diff(&a, &b);
    if (!why && ra == 0)
        why = xc_meta(a.meta);
    if (!why && ra == 0) {
        ra = op_normalize(&a, now, ea);
        rb = op_normalize(&b, now, eb);
        if (ra != rb || strcmp(ea, eb) != 0)
            why = xc_fail("op_normalize returns differ: \"%.200s\" and \"%.200s\"", ea, eb);
        else if (ra == 0)
            why = xc_op_diff(&a, &b);
    }
    op_clear(&a);
    op_clear(&b);
    return why;
}

/* A jsonl export line, as seedfile.c reads it. */
static const char *xc_jsonl_line(struct jf_doc *doc, const char *s, size_t n, int64_t now)
{
    const char *why = xc_doc(doc, s, n, JF_NUMFMT, TP_MAX_JSON_DEPTH);
    if (why || jf_parse(doc, s, n, JF_NUMFMT, TP_MAX_JSON_DEPTH) != 0)
        return why;
    char err[TP_ERR_MAX];
    cJSON *tree = jin_parse(s, n, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    why = xc_op_both(jf_root(doc), tree, OPJ_KEEP_SOURCE, now);
    cJSON_Delete(tree);
    return why;
}

/* A daily file (one document), as seedfile.c reads its operations. */
static const char *xc_seed_doc(struct jf_doc *doc, const char *s, size_t n, int64_t now)
{
    const char *why = xc_doc(doc, s, n, JF_NUMFMT, TP_MAX_JSON_DEPTH);
    if (why || jf_parse(doc, s, n, JF_NUMFMT, TP_MAX_JSON_DEPTH) != 0)
        return why;
    char err[TP_ERR_MAX];
    cJSON *tree = jin_parse(s, n, JIN_REPAIR | JIN_NUMFMT, TP_MAX_JSON_DEPTH, err);
    struct jf_val ops = jf_get(jf_root(doc), "operations");
    const cJSON *tops = jin_get(tree, "operations");
    if ((jf_type(ops) == JF_ARRAY) != cJSON_IsArray(tops))
        why = xc_fail("\"operations\" differs (%s%s)", "", "");
    else if (jf_type(ops) == JF_ARRAY) {
        const cJSON *r = tops->child;
        for (struct jf_val v = jf_child(ops); !why && jf_present(v) && r;
             v = jf_next(v), r = r->next) {
            /* The missing-timestamp rule of take_record(). */
            int ma = !jf_present(jf_get(v, "timestamp")) && !jf_present(jf_get(v, "timestamp_ms"));
            int mb = !jin_get(r, "timestamp") && !jin_get(r, "timestamp_ms");
            if (ma != mb)
                why = xc_fail("timestamp presence differs (%s%s)", "", "");
            else if (!ma)
                why = xc_op_both(v, r, OPJ_NAIVE_LOCAL | OPJ_KEEP_SOURCE, now);
        }
    }
    cJSON_Delete(tree);
    return why;
}

#endif
