/*
 * test_extract.c - imports read the same with the field extractor as with
 * the tree parser (core/jfield.h; the checks are tests/fuzz/extractcheck.h).
 *
 * Over every fixture in tests/data: each Claude Code transcript is read by
 * two parsers side by side, one held to the tree parser, and everything
 * they produce after each line must be the same (ops field by field,
 * requests, turns, counters, the resume offset); the daily file and the
 * ops of the transcripts written as jsonl export lines and as a daily file
 * are read into ops both ways; every line and document of every JSON file
 * is read both ways at the level of values. Then the same over generated
 * lines: random fields, every way JSON may write a character (escapes,
 * surrogate pairs, raw UTF-8), nesting, reordered keys, duplicate keys
 * (the tree parser keeps the first: jin_get() and jf_get() both find it;
 * test_duplicate_keys pins it down), whitespace, and corruptions that send
 * a line to the tree parser (an escaped NUL, a lone surrogate, invalid
 * UTF-8, control characters, leading zeros, nesting past the limit) or
 * make both refuse it (truncation, trailing bytes, bad escapes). Each
 * generated test also counts lines that took each path, so that it cannot
 * pass by taking only one.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fuzz/extractcheck.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/tptime.h"
#include "core/utf8.h"
#include "fixture.h"
#include "harness.h"
#include "store/opjson.h"

#define NOW_MS 1900000000000LL /* 2030: after every fixture */

/* ---- files ---------------------------------------------------------------- */

/* Every file under tests/data/<dir> (recursively) whose name ends in one of
 * the suffixes, sorted: paths into *v (malloc'd), count returned. */
static size_t find_files(const char *dir, const char *const *suffixes, char ***v, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t start = n;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n = find_files(path, suffixes, v, n);
            continue;
        }
        size_t len = strlen(e->d_name);
        for (const char *const *s = suffixes; *s; s++) {
            size_t k = strlen(*s);
            if (len >= k && strcmp(e->d_name + len - k, *s) == 0) {
                *v = xreallocarray(*v, n + 1, sizeof **v);
                (*v)[n++] = xstrdup(path);
                break;
            }
        }
    }
    if (d)
        closedir(d);
    (void)start;
    return n;
}

static int is_transcript(const char *path)
{
    size_t n = strlen(path);
    return strstr(path, "/projects/") && n > 6 && strcmp(path + n - 6, ".jsonl") == 0;
}

/* The ops a transcript's text gives (read with the extractor), finished. */
static struct op *transcript_all_ops(const char *s, size_t n, size_t *nops)
{
    struct transcript *t = transcript_new();
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        char err[TP_ERR_MAX];
        transcript_feed(t, s + i, e - i, (int64_t)i, err);
        i = e + 1;
    }
    transcript_finish(t, 1);
    size_t k;
    struct op *ops = transcript_ops(t, &k), *out = xcalloc(k ? k : 1, sizeof *out);
    for (size_t i = 0; i < k; i++)
        op_copy(&out[i], &ops[i]);
    transcript_free(t);
    *nops = k;
    return out;
}

/* ---- fixtures ------------------------------------------------------------- */

static void test_fixture_transcripts(void)
{
    static const char *const sfx[] = {".jsonl", NULL};
    char **files = NULL;
    size_t n = find_files(FIXTURE_DATA_DIR, sfx, &files, 0), seen = 0;
    uint64_t parsed = 0, extracted = 0;
    FOR_EACH_ROW(i, n)
    {
        if (!is_transcript(files[i]))
            continue;
        TEST_ROW("%s", files[i]);
        seen++;
        size_t len;
        char *text = fixture_read(files[i], &len);
        ASSERT_TRUE(text != NULL);
        const char *why = xc_transcript(text, len);
        ASSERT_MSG(!why, "%s", why);
        /* Not a comparison of the tree parser with itself: the extractor
         * read every line these files needed parsed. */
        struct transcript *t = transcript_new();
        for (size_t i0 = 0; i0 < len;) {
            const char *nl = memchr(text + i0, '\n', len - i0);
            size_t e = nl ? (size_t)(nl - text) : len;
            char err[TP_ERR_MAX];
            transcript_feed(t, text + i0, e - i0, (int64_t)i0, err);
            i0 = e + 1;
        }
        parsed += transcript_stats(t)->parsed;
        extracted += transcript_stats(t)->extracted;
        ASSERT_EQ_INT(transcript_stats(t)->extracted, transcript_stats(t)->parsed);
        transcript_free(t);
        free(text);
    }
    ASSERT_MSG(seen >= 6, "only %zu transcripts found in tests/data", seen);
    ASSERT_MSG(extracted > 100 && extracted == parsed, "%llu of %llu lines extracted",
               (unsigned long long)extracted, (unsigned long long)parsed);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

/* Every line, and every whole file, of every JSON file of tests/data, at
 * the level of values (OTLP bodies, hook payloads and logs, other agents'
 * logs included: one reader serves them all). */
static void test_fixture_values(void)
{
    static const char *const sfx[] = {".json", ".jsonl", NULL};
    char **files = NULL;
    size_t n = find_files(FIXTURE_DATA_DIR, sfx, &files, 0), accepted = 0;
    struct jf_doc *doc = jf_doc_new();
    FOR_EACH_ROW(i, n)
    {
        TEST_ROW("%s", files[i]);
        size_t len;
        char *text = fixture_read(files[i], &len);
        ASSERT_TRUE(text != NULL);
        /* Both number modes; the import's depth limit and shallower ones
         * (op_normalize reads metadata 16 deep; 3 and 5 cut into these
         * files). */
        static const int depths[] = {TP_MAX_JSON_DEPTH, 16, 5, 3};
        for (int flags = 0; flags <= JF_NUMFMT; flags += JF_NUMFMT) {
            for (size_t di = 0; di < sizeof depths / sizeof depths[0]; di++) {
                const char *why = xc_doc(doc, text, len, flags, depths[di]);
                ASSERT_MSG(!why, "whole file, depth %d: %s", depths[di], why);
                if (di == 0)
                    accepted += jf_parse(doc, text, len, flags, depths[di]) == 0;
                for (size_t i0 = 0; i0 < len;) {
                    const char *nl = memchr(text + i0, '\n', len - i0);
                    size_t e = nl ? (size_t)(nl - text) : len;
                    why = xc_doc(doc, text + i0, e - i0, flags, depths[di]);
                    ASSERT_MSG(!why, "byte %zu, depth %d: %s", i0, depths[di], why);
                    i0 = e + 1;
                }
            }
        }
        free(text);
    }
    ASSERT_MSG(n >= 40 && accepted >= n, "%zu files, %zu whole documents accepted", n, accepted);
    jf_doc_free(doc);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

/* The daily file of tests/data, and the ops of every transcript written
 * out as jsonl export lines and as a daily file (what `export` writes). */
static void test_fixture_records(void)
{
    struct jf_doc *doc = jf_doc_new();
    size_t len;
    char *seed;
    FIXTURE_READ_DATA(seed, "seed/operations_2026-02-15.json", &len);
    const char *why = xc_seed_doc(doc, seed, len, NOW_MS);
    ASSERT_MSG(!why, "seed/operations_2026-02-15.json: %s", why);
    ASSERT_EQ_INT(jf_parse(doc, seed, len, JF_NUMFMT, TP_MAX_JSON_DEPTH), 0);
    free(seed);

    static const char *const sfx[] = {".jsonl", NULL};
    char **files = NULL;
    size_t n = find_files(FIXTURE_DATA_DIR, sfx, &files, 0), lines = 0;
    FOR_EACH_ROW(i, n)
    {
        if (!is_transcript(files[i]))
            continue;
        TEST_ROW("%s", files[i]);
        char *text = fixture_read(files[i], &len);
        ASSERT_TRUE(text != NULL);
        size_t nops;
        struct op *ops = transcript_all_ops(text, len, &nops);
        free(text);
        struct buf day, line;
        buf_init(&day, TP_MAX_LINE);
        buf_adds(&day, "{\"operations\": [\n");
        for (size_t k = 0; k < nops; k++) {
            struct jsonw w;
            char err[TP_ERR_MAX];
            why = xc_meta(ops[k].meta);
            ASSERT_MSG(!why, "op %zu: %s", k, why);
            if (op_normalize(&ops[k], NOW_MS, err) != 0)
                continue;
            buf_init(&line, TP_MAX_LINE);
            jw_init(&w, &line);
            opjson_write(&w, &ops[k], 0);
            ASSERT_EQ_INT(jw_finish(&w), 0);
            why = xc_jsonl_line(doc, line.data, line.len, NOW_MS);
            ASSERT_MSG(!why, "op %zu as a jsonl line: %s", k, why);
            ASSERT_EQ_INT(jf_parse(doc, line.data, line.len, JF_NUMFMT, TP_MAX_JSON_DEPTH), 0);
            lines++;
            buf_free(&line);
            buf_init(&line, TP_MAX_LINE);
            jw_init(&w, &line);
            opjson_write_seed(&w, &ops[k]);
            ASSERT_EQ_INT(jw_finish(&w), 0);
            if (k)
                buf_adds(&day, ",\n");
            buf_add(&day, line.data, line.len);
            buf_free(&line);
        }
        buf_adds(&day, "\n]}\n");
        why = xc_seed_doc(doc, day.data, day.len, NOW_MS);
        ASSERT_MSG(!why, "as a daily file: %s", why);
        buf_free(&day);
        for (size_t k = 0; k < nops; k++)
            op_clear(&ops[k]);
        free(ops);
    }
    ASSERT_MSG(lines >= 60, "only %zu jsonl lines compared", lines);
    jf_doc_free(doc);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

/* Duplicate keys: the tree parser keeps every member and jin_get() finds
 * the first; so does the extractor. */
static void test_duplicate_keys(void)
{
    static const char line[] = "{\"tool\":\"Read\",\"duration_ms\":5,\"tool\":\"Bash\","
                               "\"timestamp_ms\":1780000000000,\"duration_ms\":\"x\"}";
    struct jf_doc *doc = jf_doc_new();
    ASSERT_EQ_INT(jf_parse(doc, line, strlen(line), JF_NUMFMT, TP_MAX_JSON_DEPTH), 0);
    struct op op;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(opjson_read_val(jf_root(doc), 0, OP_SRC_IMPORT, NOW_MS, &op, err), 0);
    ASSERT_STREQ(op.tool, "Read");
    ASSERT_EQ_DBL(op.duration_ms, 5, 0);
    op_clear(&op);
    const char *why = xc_jsonl_line(doc, line, strlen(line), NOW_MS);
    ASSERT_MSG(!why, "%s", why);
    jf_doc_free(doc);
}

/* ---- generated lines ---------------------------------------------------- */

struct gen {
    struct fixture_rng r;
    int64_t clock_ms;
    char ids[64][40]; /* tool_use ids waiting for a result */
    int nids;
    unsigned serial;
};

static unsigned R(struct gen *g, unsigned n)
{
    return fixture_rand_below(&g->r, n);
}

static int P(struct gen *g, unsigned pct)
{
    return R(g, 100) < pct;
}

static const char *pick(struct gen *g, const char *const *v, size_t n)
{
    return v[R(g, (unsigned)n)];
}
#define PICK(g, arr) pick((g), (arr), sizeof(arr) / sizeof(arr)[0])

static const char *const texts[] = {
    "/home/dev/shop/src/main.c",
    "ls -la | grep \"x\" && echo 'done'",
    "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 end",
    "tab\there, new\nline, cr\r, quote\", backslash\\, slash/",
    "<tool_use_error>File does not exist.</tool_use_error>",
    "Error: command failed with exit code 1\nmore",
    "[Request interrupted by user for tool use]",
    "The user doesn't want to proceed with this tool use. The tool use was rejected.",
    "Sibling tool call errored",
    "done\n<usage>total_tokens: 1200\ntool_uses: 3\nduration_ms: 4321</usage>",
    "",
    "a \x01 control and \x1f",
    "hook error: blocked",
    "https://example.com/a?b=c&d=<e>",
    "mcp__files__read",
    "GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB curl -H 'Authorization: Bearer x'",
    "mysql -u root --password=hunter2 -h db AKIAABCDEFGHIJKLMNOP",
};

/* s as a JSON string, each character written in one of the ways JSON
 * allows, chosen at random. */
static void gen_jstr(struct gen *g, struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    buf_addc(b, '"');
    while (n) {
        uint32_t cp;
        size_t k = utf8_decode(p, n, &cp);
        if (!k) {
            k = 1;
            cp = *p;
        }
        unsigned mode = R(g, 10);
        static const char named[] = {'b', 'f', 'n', 'r', 't'};
        static const unsigned char named_cp[] = {'\b', '\f', '\n', '\r', '\t'};
        int is_named = -1;
        for (int i = 0; i < 5; i++)
            if (cp == named_cp[i])
                is_named = i;
        if (cp == '"' || cp == '\\') {
            if (mode < 3)
                buf_printf(b, "\\u%04X", cp);
            else
                buf_printf(b, "\\%c", (char)cp);
        } else if (cp < 0x20) {
            if (is_named >= 0 && mode < 6)
                buf_printf(b, "\\%c", named[is_named]);
            else
                buf_printf(b, mode & 1 ? "\\u%04x" : "\\u%04X", cp);
        } else if (cp == '/' && mode < 3) {
            buf_adds(b, "\\/");
        } else if (mode == 0 && cp < 0x10000) {
            buf_printf(b, R(g, 2) ? "\\u%04x" : "\\u%04X", cp);
        } else if (mode == 0) {
            unsigned v = cp - 0x10000;
            buf_printf(b, "\\u%04X\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
        } else {
            buf_add(b, p, k);
        }
        p += k;
        n -= k;
    }
    buf_addc(b, '"');
}

static char *jstr(struct gen *g, const char *s)
{
    struct buf b;
    buf_init(&b, TP_MAX_LINE);
    gen_jstr(g, &b, s);
    buf_addc(&b, '\0');
    return buf_steal(&b, NULL);
}

static char *jraw(const char *s)
{
    return xstrdup(s);
}

static char *jfmt(const char *fmt, long long v)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, fmt, v);
    return xstrdup(tmp);
}

/* An object being generated: members as key and JSON text. */
#define GOBJ_MAX 48
struct gobj {
    int n;
    char *k[GOBJ_MAX];
    char *v[GOBJ_MAX];
};

static void go_add(struct gobj *o, const char *k, char *v)
{
    if (o->n == GOBJ_MAX) {
        free(v);
        return;
    }
    o->k[o->n] = xstrdup(k);
    o->v[o->n++] = v;
}

static char *gen_scalar(struct gen *g)
{
    static const char *const lits[] = {"0",       "-0",   "12",    "1.5",  "1e3",
                                       "2.50E-2", "true", "false", "null", "-7.25e+2"};
    return R(g, 3) ? jstr(g, PICK(g, texts)) : jraw(PICK(g, lits));
}

/* One member of an object being written. */
static void put_member(struct gen *g, struct buf *b, int *first, const char *k, const char *v,
                       int esc_keys, int ws)
{
    if (!*first)
        buf_adds(b, ws ? " , " : ",");
    *first = 0;
    if (esc_keys && R(g, 3) == 0) {
        gen_jstr(g, b, k);
    } else {
        buf_addc(b, '"');
        buf_adds(b, k);
        buf_addc(b, '"');
    }
    buf_adds(b, ws ? " : " : ":");
    buf_adds(b, v);
}

/* The object's text: members in order or shuffled, sometimes one written
 * twice with another value (before or after the first), keys sometimes
 * escaped, whitespace sometimes. Frees the members. */
static char *go_text(struct gen *g, struct gobj *o)
{
    int order[GOBJ_MAX], n = o->n;
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (P(g, 25))
        for (int i = n - 1; i > 0; i--) {
            int j = (int)R(g, (unsigned)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    int dup = n && P(g, 12) ? (int)R(g, (unsigned)n) : -1, dup_first = P(g, 50);
    int esc_keys = P(g, 4), ws = P(g, 10), first = 1;
    struct buf b;
    buf_init(&b, TP_MAX_LINE);
    buf_addc(&b, '{');
    for (int i = 0; i < n; i++) {
        int m = order[i];
        char *other = m == dup ? gen_scalar(g) : NULL;
        if (other && dup_first)
            put_member(g, &b, &first, o->k[m], other, esc_keys, ws);
        put_member(g, &b, &first, o->k[m], o->v[m], esc_keys, ws);
        if (other && !dup_first)
            put_member(g, &b, &first, o->k[m], other, esc_keys, ws);
        free(other);
    }
    buf_addc(&b, '}');
    buf_addc(&b, '\0');
    for (int i = 0; i < n; i++) {
        free(o->k[i]);
        free(o->v[i]);
    }
    o->n = 0;
    return buf_steal(&b, NULL);
}

static char *gen_array(char **items, int n)
{
    struct buf b;
    buf_init(&b, TP_MAX_LINE);
    buf_addc(&b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_addc(&b, ',');
        buf_adds(&b, items[i]);
        free(items[i]);
    }
    buf_addc(&b, ']');
    buf_addc(&b, '\0');
    return buf_steal(&b, NULL);
}

/* A random value nested up to depth levels. */
static char *gen_value(struct gen *g, int depth)
{
    unsigned k = depth > 0 ? R(g, 6) : 0;
    if (k == 4) {
        char *items[6];
        int n = (int)R(g, 6);
        for (int i = 0; i < n; i++)
            items[i] = gen_value(g, depth - 1);
        return gen_array(items, n);
    }
    if (k == 5) {
        struct gobj o = {0};
        static const char *const keys[] = {"a",    "file_path", "command",           "path", "x",
                                           "type", "text",      "\xC3\xA9t\xC3\xA9", "k-y",  ""};
        int n = (int)R(g, 5);
        for (int i = 0; i < n; i++)
            go_add(&o, PICK(g, keys), gen_value(g, depth - 1));
        return go_text(g, &o);
    }
    return gen_scalar(g);
}

static char *gen_ts(struct gen *g)
{
    char iso[40];
    g->clock_ms += R(g, 4000);
    tpt_format_utc(g->clock_ms, iso);
    if (P(g, 2))
        strcpy(iso, "not a time");
    return jstr(g, iso);
}

static void add_common(struct gen *g, struct gobj *o, const char *type, int sidechain)
{
    go_add(o, "parentUuid", jraw("null"));
    go_add(o, "isSidechain", jraw(sidechain ? "true" : "false"));
    go_add(o, "userType", jraw("\"external\""));
    go_add(o, "cwd", jstr(g, P(g, 90) ? "/home/dev/shop" : PICK(g, texts)));
    go_add(o, "sessionId", jraw("\"5e55a000-2139-4000-8000-000000002139\""));
    go_add(o, "version", jraw(P(g, 80) ? "\"2.1.39\"" : "\"1.0.98\""));
    if (sidechain)
        go_add(o, "agentId", jraw("\"a1b2c3d\""));
    go_add(o, "type", jstr(g, type));
    go_add(o, "uuid", jfmt("\"u-%lld\"", g->serial++));
    go_add(o, "timestamp", gen_ts(g));
}

static const char *const tools[] = {"Read",
                                    "Bash",
                                    "Edit",
                                    "Write",
                                    "Grep",
                                    "Glob",
                                    "WebFetch",
                                    "Task",
                                    "Agent",
                                    "Skill",
                                    "MultiEdit",
                                    "TodoWrite",
                                    "mcp__files__read",
                                    "AskUserQuestion",
                                    "NewTool"};

static char *gen_input(struct gen *g)
{
    struct gobj in = {0};
    static const char *const keys[] = {"file_path",  "command",     "pattern", "path",
                                       "offset",     "limit",       "content", "new_string",
                                       "url",        "description", "prompt",  "run_in_background",
                                       "head_limit", "edits",       "timeout", "subagent_type"};
    int n = (int)R(g, 6);
    for (int i = 0; i < n; i++) {
        const char *k = PICK(g, keys);
        char *v;
        if (strcmp(k, "offset") == 0 || strcmp(k, "limit") == 0 || strcmp(k, "timeout") == 0 ||
            strcmp(k, "head_limit") == 0)
            v = R(g, 4) ? jfmt("%lld", (long long)R(g, 500)) : gen_scalar(g);
        else if (strcmp(k, "run_in_background") == 0)
            v = jraw(R(g, 3) ? "true" : "\"true\"");
        else if (strcmp(k, "edits") == 0)
            v = gen_value(g, 3);
        else
            v = R(g, 5) ? jstr(g, PICK(g, texts)) : gen_value(g, 4);
        go_add(&in, k, v);
    }
    return go_text(g, &in);
}

static char *gen_assistant(struct gen *g)
{
    struct gobj root = {0}, msg = {0}, usage = {0};
    int side = P(g, 10);
    add_common(g, &root, "assistant", side);
    char *blocks[4];
    int nb = 1 + (int)R(g, 3);
    for (int i = 0; i < nb; i++) {
        struct gobj b = {0};
        if (P(g, 15)) {
            go_add(&b, "type", jraw("\"text\""));
            go_add(&b, "text", jstr(g, PICK(g, texts)));
        } else {
            char id[40];
            snprintf(id, sizeof id, "toolu_01G%05u", g->serial++);
            if (g->nids < 64)
                strcpy(g->ids[g->nids++], id);
            go_add(&b, "type", jraw("\"tool_use\""));
            go_add(&b, "id", jstr(g, id));
            go_add(&b, "name", jstr(g, PICK(g, tools)));
            go_add(&b, "input", gen_input(g));
        }
        blocks[i] = go_text(g, &b);
    }
    go_add(&msg, "id", jfmt("\"msg_%lld\"", g->serial / 3));
    go_add(&msg, "type", jraw("\"message\""));
    go_add(&msg, "role", jraw("\"assistant\""));
    go_add(&msg, "model", jraw("\"claude-opus-4-5\""));
    go_add(&msg, "content", gen_array(blocks, nb));
    go_add(&usage, "input_tokens", jfmt("%lld", (long long)R(g, 9000)));
    go_add(&usage, "output_tokens", R(g, 8) ? jfmt("%lld", (long long)R(g, 900)) : gen_scalar(g));
    go_add(&usage, "cache_read_input_tokens", jfmt("%lld", (long long)R(g, 90000)));
    go_add(&msg, "usage", go_text(g, &usage));
    go_add(&root, "message", go_text(g, &msg));
    go_add(&root, "requestId", jfmt("\"req_%lld\"", g->serial / 3));
    if (P(g, 20))
        go_add(&root, "requestRef", jraw("\"ref-1\""));
    return go_text(g, &root);
}

static char *gen_result_content(struct gen *g)
{
    if (R(g, 2))
        return jstr(g, PICK(g, texts));
    char *items[3];
    int n = 1 + (int)R(g, 2);
    for (int i = 0; i < n; i++) {
        struct gobj b = {0};
        go_add(&b, "type", jraw(R(g, 5) ? "\"text\"" : "\"image\""));
        go_add(&b, "text", jstr(g, PICK(g, texts)));
        items[i] = go_text(g, &b);
    }
    return gen_array(items, n);
}

static char *gen_tur(struct gen *g)
{
    if (P(g, 15))
        return jstr(g, PICK(g, texts));
    struct gobj o = {0};
    static const char *const keys[] = {
        "stdout",   "stderr",    "interrupted", "durationMs", "durationSeconds", "totalDurationMs",
        "numFiles", "filenames", "file",        "type",       "status",          "agentId",
        "code",     "bytes",     "result",      "content"};
    int n = (int)R(g, 6);
    for (int i = 0; i < n; i++) {
        const char *k = PICK(g, keys);
        char *v;
        if (strcmp(k, "file") == 0) {
            struct gobj f = {0};
            go_add(&f, "content", jstr(g, PICK(g, texts)));
            go_add(&f, "numLines", jfmt("%lld", (long long)R(g, 100)));
            go_add(&f, "originalSize", gen_scalar(g));
            v = go_text(g, &f);
        } else if (strcmp(k, "interrupted") == 0) {
            v = jraw(R(g, 2) ? "true" : "false");
        } else if (k[0] == 'd' || k[0] == 't' || k[0] == 'n' || k[0] == 'c' || k[0] == 'b') {
            v = R(g, 4) ? jfmt("%lld", (long long)R(g, 90000)) : gen_scalar(g);
        } else {
            v = gen_value(g, 2);
        }
        go_add(&o, k, v);
    }
    return go_text(g, &o);
}

static char *gen_user(struct gen *g)
{
    struct gobj root = {0}, msg = {0};
    int side = P(g, 10);
    add_common(g, &root, "user", side);
    go_add(&msg, "role", jraw("\"user\""));
    if (g->nids && P(g, 75)) {
        char *blocks[3];
        int nb = 1 + (P(g, 20) ? 1 : 0);
        for (int i = 0; i < nb; i++) {
            struct gobj b = {0};
            if (!g->nids) {
                nb = i;
                break;
            }
            int k = (int)R(g, (unsigned)g->nids);
            go_add(&b, "tool_use_id", jstr(g, P(g, 95) ? g->ids[k] : "toolu_unknown"));
            go_add(&b, "type", jraw("\"tool_result\""));
            go_add(&b, "content", gen_result_content(g));
            if (P(g, 25))
                go_add(&b, "is_error", jraw(R(g, 3) ? "true" : "1"));
            blocks[i] = go_text(g, &b);
            if (P(g, 90))
                memmove(g->ids[k], g->ids[--g->nids], sizeof g->ids[k]);
        }
        go_add(&msg, "content", gen_array(blocks, nb));
        go_add(&root, "toolUseResult", gen_tur(g));
        if (P(g, 30)) {
            struct gobj pd = {0};
            static const char *const srcs[] = {"config", "hook", "user_temporary", "other"};
            go_add(&pd, "source", jstr(g, PICK(g, srcs)));
            go_add(&root, "permissionDecision", go_text(g, &pd));
        }
    } else {
        if (R(g, 2)) {
            go_add(&msg, "content", jstr(g, PICK(g, texts)));
        } else {
            struct gobj b = {0};
            go_add(&b, "type", jraw("\"text\""));
            go_add(&b, "text", jstr(g, PICK(g, texts)));
            char *one[1] = {go_text(g, &b)};
            go_add(&msg, "content", gen_array(one, 1));
        }
        static const char *const modes[] = {"default", "acceptEdits", "bypassPermissions", "plan"};
        go_add(&root, "permissionMode", jstr(g, PICK(g, modes)));
        if (P(g, 10))
            go_add(&root, "isMeta", jraw("true"));
    }
    go_add(&root, "message", go_text(g, &msg));
    return go_text(g, &root);
}

static char *gen_other(struct gen *g)
{
    struct gobj root = {0}, sub = {0};
    const char *id = g->nids ? g->ids[R(g, (unsigned)g->nids)] : "toolu_none";
    switch (R(g, 5)) {
    case 0:
        add_common(g, &root, "system", 0);
        go_add(&root, "subtype", jraw("\"turn_duration\""));
        go_add(&root, "durationMs", R(g, 5) ? jfmt("%lld", (long long)R(g, 60000)) : gen_scalar(g));
        break;
    case 1:
        add_common(g, &root, "cost-state", 0);
        go_add(&root, "totalToolDuration",
               R(g, 6) ? jfmt("%lld", (long long)R(g, 900000)) : gen_scalar(g));
        break;
    case 2:
        add_common(g, &root, "progress", 0);
        go_add(&sub, "type", jraw("\"mcp_progress\""));
        go_add(&sub, "elapsedTimeMs",
               R(g, 5) ? jfmt("%lld", (long long)R(g, 6000)) : gen_scalar(g));
        go_add(&root, "data", go_text(g, &sub));
        go_add(&root, "parentToolUseID", jstr(g, id));
        break;
    case 3:
        add_common(g, &root, "attachment", 0);
        go_add(&sub, "type", jraw("\"hook_success\""));
        go_add(&sub, "hookEvent", jraw("\"PreToolUse\""));
        go_add(&sub, "toolUseID", jstr(g, id));
        go_add(&sub, "durationMs", R(g, 5) ? jfmt("%lld", (long long)R(g, 600)) : gen_scalar(g));
        go_add(&root, "attachment", go_text(g, &sub));
        break;
    default:
        go_add(&root, "type", jraw("\"api-request\""));
        go_add(&root, "id", jraw("\"ref-1\""));
        go_add(&root, "timestamp", gen_ts(g));
        break;
    }
    return go_text(g, &root);
}

/* Corrupt a line in one of the ways that either sends it to the tree
 * parser or makes both refuse it. Returns the new line (line freed). */
static char *corrupt(struct gen *g, char *line)
{
    size_t n = strlen(line);
    /* A point inside a string value: just after the opening quote of a
     * member's string value. */
    size_t at = 0;
    int hits = 0;
    for (size_t i = 0; i + 3 < n; i++)
        if (line[i] == '"' && line[i + 1] == ':' && line[i + 2] == '"' &&
            R(g, (unsigned)++hits) == 0)
            at = i + 3;
    static const char *const insides[] = {"\\u0000",  "\\ud800",     "\\udc00x", "\xFF",
                                          "\xC0\xAF", "\x01",        "\t",       "\\q",
                                          "\\u12G4",  "\xED\xA0\x80"};
    static const char *const outsides[] = {"\xEF\xBB\xBF", "\f",   "01",   "1.", "-",
                                           "+1",           "\x00", "[[[[", "x"};
    struct buf b;
    buf_init(&b, TP_MAX_LINE);
    unsigned k = R(g, 7);
    if (k <= 2 && at) {
        buf_add(&b, line, at);
        buf_adds(&b, PICK(g, insides));
        buf_add(&b, line + at, n - at);
    } else if (k == 3) {
        buf_add(&b, line, R(g, (unsigned)n + 1)); /* cut short */
    } else if (k == 4) {
        /* Bytes where a value or whitespace goes. */
        const char *o = PICK(g, outsides);
        size_t colon = at >= 1 ? at - 1 : 0;
        buf_add(&b, line, colon);
        buf_add(&b, o, o[0] ? strlen(o) : 1);
        buf_add(&b, line + colon, n - colon);
    } else if (k == 5) {
        /* Nested past the limit, or just within it. */
        size_t colon = at >= 1 ? at - 1 : 0;
        int depth = 55 + (int)R(g, 20);
        buf_add(&b, line, colon);
        for (int i = 0; i < depth; i++)
            buf_addc(&b, '[');
        buf_adds(&b, "1");
        for (int i = 0; i < depth; i++)
            buf_addc(&b, ']');
        buf_adds(&b, ",\"z\":");
        buf_add(&b, line + colon, n - colon);
    } else {
        /* A number too long for cJSON's 63 characters, or just fitting. */
        buf_add(&b, line, n - 1);
        buf_adds(&b, ",\"n\":");
        int len = 60 + (int)R(g, 8);
        for (int i = 0; i < len; i++)
            buf_addc(&b, (char)('1' + i % 9));
        buf_adds(&b, "}");
    }
    buf_addc(&b, '\0');
    free(line);
    return buf_steal(&b, NULL);
}

static char *gen_transcript(struct gen *g, int lines)
{
    struct buf b;
    buf_init(&b, TP_MAX_LINE);
    for (int i = 0; i < lines; i++) {
        unsigned k = R(g, 10);
        char *line = k < 4 ? gen_assistant(g) : k < 8 ? gen_user(g) : gen_other(g);
        if (P(g, 8))
            line = corrupt(g, line);
        buf_add(&b, line, strlen(line));
        buf_addc(&b, '\n');
        free(line);
    }
    buf_addc(&b, '\0');
    return buf_steal(&b, NULL);
}

static void test_generated_transcripts(void)
{
    uint64_t parsed = 0, extracted = 0, malformed = 0;
    FOR_EACH_ROW(i, 300)
    {
        struct gen g = {.r = {0x7E57 + i}, .clock_ms = 1780000000000LL};
        TEST_ROW("seed %zu", i);
        char *text = gen_transcript(&g, 10 + (int)R(&g, 60));
        const char *why = xc_transcript(text, strlen(text));
        ASSERT_MSG(!why, "%s", why);
        struct transcript *t = transcript_new();
        for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
            char err[TP_ERR_MAX];
            transcript_feed(t, p, (size_t)(nl - p), p - text, err);
        }
        parsed += transcript_stats(t)->parsed;
        extracted += transcript_stats(t)->extracted;
        malformed += transcript_stats(t)->malformed;
        transcript_free(t);
        free(text);
    }
    /* Both paths taken, and refusals too. */
    ASSERT_MSG(extracted > 1000 && parsed - extracted > 100 && malformed > 50,
               "%llu lines parsed, %llu extracted, %llu malformed", (unsigned long long)parsed,
               (unsigned long long)extracted, (unsigned long long)malformed);
}

static char *gen_record(struct gen *g)
{
    struct gobj o = {0};
    static const char *const agents[] = {"codex", "CLAUDE", "claude-code", "", "gemini-cli"};
    static const char *const asks[] = {"asked", "no", "maybe", "unknown", "bad"};
    static const char *const srcs[] = {"hook", "transcript", "import", "bogus", "demo"};
    static const char *const exs[] = {"exact", "derived", "estimated", "x"};
    static const char *const phs[] = {"given", "hook", "turn", "trace", "y"};
    go_add(&o, "tool", R(g, 12) ? jstr(g, PICK(g, tools)) : gen_scalar(g));
    if (P(g, 90))
        go_add(&o, "target", R(g, 8) ? jstr(g, PICK(g, texts)) : gen_scalar(g));
    if (P(g, 90)) {
        static const char *const durs[] = {"90", "2100.0", "2.5",  "1e3",   "-1",
                                           "0",  "\"5\"",  "null", "1e400", "604800001"};
        go_add(&o, "duration_ms", jraw(PICK(g, durs)));
    }
    if (P(g, 70)) {
        char iso[40];
        tpt_format_utc(1780000000000LL + R(g, 100000000), iso);
        if (P(g, 20))
            iso[strlen(iso) - 1] = '\0'; /* naive */
        go_add(&o, "timestamp", P(g, 95) ? jstr(g, iso) : gen_scalar(g));
    }
    if (P(g, 50))
        go_add(&o, "timestamp_ms",
               R(g, 8) ? jfmt("%lld", 1780000000000LL + R(g, 1000000)) : gen_scalar(g));
    if (P(g, 70))
        go_add(&o, "success", R(g, 8) ? jraw(R(g, 2) ? "true" : "false") : gen_scalar(g));
    if (P(g, 40))
        go_add(&o, "optimization_applied", jraw(R(g, 2) ? "true" : "false"));
    if (P(g, 40))
        go_add(&o, "size_bytes", R(g, 6) ? jfmt("%lld", (long long)R(g, 100000)) : gen_scalar(g));
    if (P(g, 40))
        go_add(&o, "result_bytes", R(g, 6) ? jfmt("%lld", (long long)R(g, 100000)) : gen_scalar(g));
    if (P(g, 60))
        go_add(&o, "metadata", R(g, 6) ? gen_value(g, 4) : jraw("{}"));
    static const char *const skeys[] = {"session_id", "project",  "tool_use_id",
                                        "error",      "subagent", "agent_version"};
    for (size_t i = 0; i < sizeof skeys / sizeof skeys[0]; i++)
        if (P(g, 50))
            go_add(&o, skeys[i], R(g, 10) ? jstr(g, PICK(g, texts)) : gen_scalar(g));
    if (P(g, 40))
        go_add(&o, "agent", jstr(g, PICK(g, agents)));
    if (P(g, 40)) {
        struct gobj ph = {0};
        static const char *const names[] = {"wall", "wait", "hook", "exec"};
        for (int i = 0; i < 4; i++) {
            if (P(g, 30)) {
                go_add(&ph, names[i], jraw("null"));
                continue;
            }
            struct gobj p = {0};
            go_add(&p, "ms", R(g, 6) ? jfmt("%lld", (long long)R(g, 5000)) : gen_scalar(g));
            go_add(&p, "exactness", jstr(g, PICK(g, exs)));
            go_add(&p, "source", jstr(g, PICK(g, phs)));
            go_add(&ph, names[i], go_text(g, &p));
        }
        go_add(&o, "phases", go_text(g, &ph));
    }
    if (P(g, 40))
        go_add(&o, "approval", jstr(g, PICK(g, asks)));
    if (P(g, 40))
        go_add(&o, "source", jstr(g, PICK(g, srcs)));
    if (P(g, 20))
        go_add(&o, "level", gen_value(g, 2));
    return go_text(g, &o);
}

static void test_generated_records(void)
{
    struct jf_doc *doc = jf_doc_new();
    size_t lines = 0, fast = 0, docs_fast = 0;
    FOR_EACH_ROW(i, 200)
    {
        struct gen g = {.r = {0x5EED + i}};
        TEST_ROW("seed %zu", i);
        struct buf day;
        buf_init(&day, TP_MAX_LINE);
        buf_adds(&day, P(&g, 10) ? "{ \"level\": 3, \"operations\" : [" : "{\"operations\":[");
        int n = 1 + (int)R(&g, 30);
        for (int k = 0; k < n; k++) {
            char *line = gen_record(&g);
            if (P(&g, 8))
                line = corrupt(&g, line);
            const char *why = xc_jsonl_line(doc, line, strlen(line), NOW_MS);
            ASSERT_MSG(!why, "record %d: %s\n  %s", k, why, line);
            fast += jf_parse(doc, line, strlen(line), JF_NUMFMT, TP_MAX_JSON_DEPTH) == 0;
            lines++;
            if (k)
                buf_adds(&day, P(&g, 10) ? ",\n  " : ",");
            buf_adds(&day, line);
            free(line);
        }
        buf_adds(&day, "]}");
        buf_addc(&day, '\0');
        const char *why = xc_seed_doc(doc, day.data, strlen(day.data), NOW_MS);
        ASSERT_MSG(!why, "daily file: %s", why);
        docs_fast += jf_parse(doc, day.data, strlen(day.data), JF_NUMFMT, TP_MAX_JSON_DEPTH) == 0;
        buf_free(&day);
    }
    ASSERT_MSG(fast > lines / 2 && lines - fast > 50 && docs_fast > 20 && docs_fast < 200,
               "%zu of %zu lines and %zu of 200 documents extracted", fast, lines, docs_fast);
    jf_doc_free(doc);
}

TEST_MAIN(TEST_CASE(test_fixture_transcripts), TEST_CASE(test_fixture_values),
          TEST_CASE(test_fixture_records), TEST_CASE(test_duplicate_keys),
          TEST_CASE(test_generated_transcripts), TEST_CASE(test_generated_records))
