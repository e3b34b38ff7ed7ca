/*
 * test_op.c - the operation record: every rejection of op_normalize() with
 * its message naming the field, the cuts of long strings at a character
 * boundary, the stability of derived ids, the shell-command matcher behind
 * the "dedicated tool" rule, and the attention flags.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "fixture.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "store/op.h"

#define NOW 1771151445123LL /* 2026-02-15T10:30:45.123Z */
/* op_derive_id() of base_op() + session "sess-1" at "file.json#3", computed
 * independently (FNV-1a over the fields with 0xff separators, in Python). */
#define PINNED_ID "3454136132eccaf2"

static void base_op(struct op *op)
{
    op_init(op);
    op_sets(&op->tool, "Read");
    op_sets(&op->target, "/src/app.py");
    op->duration_ms = 150.5;
    op->ts_ms = NOW - 60000;
}

static char *repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

enum field { F_NONE, F_TOOL, F_TARGET, F_ERROR, F_PROJECT, F_SESSION, F_TUID, F_META };

struct reject_case {
    const char *name;
    enum field f;      /* string field to set */
    const char *value; /* its value (NULL: leave as is) */
    size_t repeat_n;   /* or: this many 'x' */
    double duration;   /* used when != 150.5 */
    int64_t ts;        /* used when != 0 */
    int64_t size, rbytes;
    int source;
    const char *msg; /* expected substring */
};

static const struct reject_case rejects[] = {
    {"tool NULL", F_TOOL, NULL, 0, 150.5, 0, -1, -1, 0, "tool is missing or empty"},
    {"tool empty", F_TOOL, "", 0, 150.5, 0, -1, -1, 0, "tool is missing or empty"},
    {"tool too long", F_TOOL, NULL, TP_MAX_TOOL + 1, 150.5, 0, -1, -1, 0,
     "tool is 129 bytes, more than the limit of 128"},
    {"tool newline", F_TOOL, "Re\nad", 0, 150.5, 0, -1, -1, 0, "tool contains a control character"},
    {"tool tab", F_TOOL, "\tRead", 0, 150.5, 0, -1, -1, 0, "tool contains a control character"},
    {"tool DEL", F_TOOL, "Read\x7f", 0, 150.5, 0, -1, -1, 0, "tool contains a control character"},
    {"tool bad UTF-8", F_TOOL, "Re\xFF", 0, 150.5, 0, -1, -1, 0,
     "tool is not valid UTF-8 (byte 2)"},
    {"duration negative", F_NONE, NULL, 0, -1, 0, -1, -1, 0, "duration_ms must be a finite number"},
    {"duration +inf", F_NONE, NULL, 0, INFINITY, 0, -1, -1, 0,
     "duration_ms must be a finite number"},
    {"duration -inf", F_NONE, NULL, 0, -INFINITY, 0, -1, -1, 0,
     "duration_ms must be a finite number"},
    {"duration over a week", F_NONE, NULL, 0, TP_MAX_DURATION_MS + 1, 0, -1, -1, 0,
     "duration_ms 604800001 is more than a week"},
    {"timestamp 1999", F_NONE, NULL, 0, 150.5, TP_MIN_TS_MS - 1, -1, -1, 0,
     "timestamp is before 2000-01-01"},
    {"timestamp zero", F_NONE, NULL, 0, 150.5, -5, -1, -1, 0, "timestamp is before 2000-01-01"},
    {"timestamp future", F_NONE, NULL, 0, 150.5, NOW + TP_FUTURE_SLACK_MS + 1, -1, -1, 0,
     "timestamp is more than a day in the future"},
    {"target bad UTF-8", F_TARGET, "/a/\xC0\xAF", 0, 150.5, 0, -1, -1, 0,
     "target is not valid UTF-8 (byte 3)"},
    {"error bad UTF-8", F_ERROR, "\xED\xA0\x80", 0, 150.5, 0, -1, -1, 0,
     "error is not valid UTF-8 (byte 0)"},
    {"project bad UTF-8", F_PROJECT, "/home/\xF5", 0, 150.5, 0, -1, -1, 0,
     "project is not valid UTF-8 (byte 6)"},
    {"session bad UTF-8", F_SESSION, "s\x80", 0, 150.5, 0, -1, -1, 0,
     "session_id is not valid UTF-8 (byte 1)"},
    {"tool_use_id bad UTF-8", F_TUID, "toolu_\xFE", 0, 150.5, 0, -1, -1, 0,
     "tool_use_id is not valid UTF-8 (byte 6)"},
    {"metadata bad UTF-8", F_META, "{\"a\":\"\xFF\"}", 0, 150.5, 0, -1, -1, 0,
     "metadata is not valid UTF-8 (byte 6)"},
    {"session too long", F_SESSION, NULL, TP_MAX_ID + 1, 150.5, 0, -1, -1, 0,
     "session_id is 257 bytes, more than the limit of 256"},
    {"tool_use_id too long", F_TUID, NULL, TP_MAX_ID + 1, 150.5, 0, -1, -1, 0,
     "tool_use_id is 257 bytes, more than the limit of 256"},
    {"metadata array", F_META, "[1,2]", 0, 150.5, 0, -1, -1, 0, "metadata must be a JSON object"},
    {"metadata string", F_META, "\"x\"", 0, 150.5, 0, -1, -1, 0, "metadata must be a JSON object"},
    {"metadata broken", F_META, "{\"a\":", 0, 150.5, 0, -1, -1, 0,
     "metadata must be a JSON object"},
    {"metadata trailing", F_META, "{} {}", 0, 150.5, 0, -1, -1, 0,
     "metadata must be a JSON object"},
    {"size_bytes -2", F_NONE, NULL, 0, 150.5, 0, -2, -1, 0, "size_bytes"},
    {"result_bytes -7", F_NONE, NULL, 0, 150.5, 0, -1, -7, 0, "result_bytes"},
    {"source unknown", F_NONE, NULL, 0, 150.5, 0, -1, -1, 99, "unknown source"},
};

static char **field_ptr(struct op *op, enum field f)
{
    switch (f) {
    case F_TOOL: return &op->tool;
    case F_TARGET: return &op->target;
    case F_ERROR: return &op->error;
    case F_PROJECT: return &op->project;
    case F_SESSION: return &op->session_id;
    case F_TUID: return &op->tool_use_id;
    case F_META: return &op->meta;
    case F_NONE: break;
    }
    return NULL;
}

static void test_normalize_rejects(void)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        const struct reject_case *c = &rejects[i];
        struct op op;
        base_op(&op);
        char **fp = field_ptr(&op, c->f);
        if (fp && c->repeat_n) {
            free(*fp);
            *fp = repeat('x', c->repeat_n);
        } else if (fp) {
            op_sets(fp, c->value);
        }
        if (c->duration != 150.5 || isinf(c->duration))
            op.duration_ms = c->duration;
        if (c->ts)
            op.ts_ms = c->ts;
        op.size_bytes = c->size;
        op.result_bytes = c->rbytes;
        if (c->source)
            op.source = (enum op_source)c->source;
        char err[TP_ERR_MAX] = "";
        int rc = op_normalize(&op, NOW, err);
        if (rc != TP_EINVAL || !strstr(err, c->msg)) {
            fprintf(stderr, "  case \"%s\": rc %d, message \"%s\", expected \"%s\"\n", c->name, rc,
                    err, c->msg);
            bad++;
        }
        op_clear(&op);
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_normalize_accepts_edges(void)
{
    char err[TP_ERR_MAX];
    struct op op;

    /* Unknown duration (NaN) is allowed. */
    base_op(&op);
    op.duration_ms = NAN;
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    ASSERT_TRUE(isnan(op.duration_ms));
    op_clear(&op);

    /* Exactly a week, exactly 0, the earliest and latest timestamps. */
    static const struct {
        double dur;
        int64_t ts;
    } edges[] = {
        {TP_MAX_DURATION_MS, NOW},
        {0, NOW},
        {150.5, TP_MIN_TS_MS},
        {150.5, NOW + TP_FUTURE_SLACK_MS},
    };
    FOR_EACH_ROW(i, sizeof edges / sizeof edges[0])
    {
        base_op(&op);
        op.duration_ms = edges[i].dur;
        op.ts_ms = edges[i].ts;
        ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
        op_clear(&op);
    }

    /* Limits are inclusive: a 128-byte tool, 256-byte ids, 8192-byte
     * metadata pass. */
    base_op(&op);
    free(op.tool);
    op.tool = repeat('T', TP_MAX_TOOL);
    free(op.session_id);
    op.session_id = repeat('s', TP_MAX_ID);
    op.tool_use_id = repeat('u', TP_MAX_ID);
    char *meta = repeat(' ', TP_MAX_META);
    memcpy(meta, "{\"k\":\"", 6);
    meta[TP_MAX_META - 2] = '"';
    meta[TP_MAX_META - 1] = '}';
    op.meta = meta;
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    ASSERT_EQ_INT(strlen(op.tool), TP_MAX_TOOL);
    ASSERT_EQ_INT(strlen(op.session_id), TP_MAX_ID);
    op_clear(&op);

    /* Metadata one byte over the cap is refused, naming the field. */
    base_op(&op);
    op.meta = repeat(' ', TP_MAX_META + 1);
    memcpy(op.meta, "{}", 2);
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "metadata");
    op_clear(&op);

    /* Flags are normalised to 0/1; an empty tool_use_id becomes NULL. */
    base_op(&op);
    op.success = 5;
    op.optimized = -3;
    op_sets(&op.tool_use_id, "");
    op_sets(&op.meta, "{\"lines\":100}");
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    ASSERT_EQ_INT(op.success, 1);
    ASSERT_EQ_INT(op.optimized, 1);
    ASSERT_TRUE(op.tool_use_id == NULL);
    ASSERT_STREQ(op.meta, "{\"lines\":100}");
    op_clear(&op);

    /* Non-ASCII tool names (MCP servers may use them) are fine. */
    base_op(&op);
    op_sets(&op.tool, "mcp__d\xC3\xA9mo__lookup");
    ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
    op_clear(&op);
}

/* Over-long target / error / project are cut to their limit, ending with
 * U+2026 at a character boundary. */
static void test_normalize_cuts(void)
{
    static const struct {
        enum field f;
        size_t max;
    } fields[] = {{F_TARGET, TP_MAX_TARGET}, {F_ERROR, TP_MAX_ERROR}, {F_PROJECT, TP_MAX_PROJECT}};
    FOR_EACH_ROW(i, sizeof fields / sizeof fields[0])
    {
        for (size_t shift = 0; shift < 4; shift++) {
            /* ASCII up to a euro sign (3 bytes) placed across the cut. */
            size_t n = fields[i].max + 10;
            char *s = repeat('a', n);
            size_t at = fields[i].max - 5 + shift;
            memcpy(s + at, "\xE2\x82\xAC", 3);
            struct op op;
            base_op(&op);
            char **fp = field_ptr(&op, fields[i].f);
            free(*fp);
            *fp = s;
            char err[TP_ERR_MAX];
            ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
            size_t len = strlen(*fp);
            ASSERT_TRUE(len <= fields[i].max);
            ASSERT_TRUE(len >= fields[i].max - 5);
            ASSERT_EQ_INT(utf8_invalid_at(*fp, len), len);
            ASSERT_EQ_INT(memcmp(*fp + len - 3, "\xE2\x80\xA6", 3), 0);
            /* The prefix is the original's prefix. */
            ASSERT_EQ_INT(memcmp(*fp, "aaaa", 4), 0);
            op_clear(&op);
        }
        /* Exactly at the limit: untouched. */
        struct op op;
        base_op(&op);
        char **fp = field_ptr(&op, fields[i].f);
        free(*fp);
        *fp = repeat('b', fields[i].max);
        char err[TP_ERR_MAX];
        ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
        ASSERT_EQ_INT(strlen(*fp), fields[i].max);
        ASSERT_EQ_INT((*fp)[fields[i].max - 1], 'b');
        op_clear(&op);
    }
}

/* Normalizing a normalized op changes nothing, wherever the cut falls
 * among secrets: a cut must not leave the tail of a redacted secret where
 * the next normalization sees a new one (found by fuzz_seedfile). */
static void test_normalize_twice_with_cut_secrets(void)
{
    static const char *const tails[] = {
        " curl -H 'Authorization: Basic dXNlcjpwYXNz' http://h",
        " export API_TOKEN=abcdef123456 && make",
        " vault login --token s.abcdef123 x",
        " echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 | gh",
        " psql postgres://admin:hunter2@db:5432/app",
    };
    const size_t max = TP_MAX_TARGET;
    int bad = 0;
    for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) {
        size_t tl = strlen(tails[k]);
        /* Every position of the tail across the cut, and a little more. */
        for (size_t pad = max - tl - 12; pad < max + 2; pad++) {
            char *s = xmalloc(pad + tl + 1);
            memset(s, 'p', pad);
            memcpy(s + pad, tails[k], tl + 1);
            struct op op;
            base_op(&op);
            free(op.target);
            op.target = s;
            char err[TP_ERR_MAX];
            ASSERT_EQ_INT(op_normalize(&op, NOW, err), 0);
            struct op again;
            base_op(&again);
            free(again.target);
            again.target = xstrdup(op.target);
            ASSERT_EQ_INT(op_normalize(&again, NOW, err), 0);
            if (strlen(op.target) > max || strcmp(op.target, again.target) != 0) {
                if (bad++ < 3)
                    fprintf(stderr, "  pad %zu: ...%s\n  then ...%s\n", pad,
                            op.target + strlen(op.target) - 40,
                            again.target + strlen(again.target) - 40);
            }
            op_clear(&op);
            op_clear(&again);
        }
    }
    ASSERT_EQ_INT(bad, 0);
}

static void test_derive_id(void)
{
    struct op op;
    base_op(&op);
    op_sets(&op.session_id, "sess-1");
    char *a = op_derive_id(&op, "file.json#3");
    char *b = op_derive_id(&op, "file.json#3");
    ASSERT_STREQ(a, b);
    ASSERT_EQ_INT(strlen(a), 19);
    ASSERT_EQ_INT(memcmp(a, "tp-", 3), 0);
    ASSERT_EQ_INT(strspn(a + 3, "0123456789abcdef"), 16);
    /* Pinned: derived ids are stored; a change re-imports everything. */
    ASSERT_STREQ(a, "tp-" PINNED_ID);
    free(b);

    /* Each ingredient changes the id. */
    struct op v;
    const char *ids[8];
    char *owned[8];
    size_t k = 0;
    op_copy(&v, &op);
    v.ts_ms++;
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    op_copy(&v, &op);
    v.duration_ms = 150.6;
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    op_copy(&v, &op);
    v.success = 0;
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    op_copy(&v, &op);
    op_sets(&v.target, "/src/app.pyc");
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    op_copy(&v, &op);
    op_sets(&v.session_id, NULL);
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    owned[k] = op_derive_id(&op, "file.json#4"), ids[k] = owned[k], k++;
    /* Field boundaries matter: ("ab", "c") differs from ("a", "bc"). */
    op_copy(&v, &op);
    op_sets(&v.tool, "Rea");
    op_sets(&v.target, "d/src/app.py");
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    op_copy(&v, &op);
    v.duration_ms = NAN;
    owned[k] = op_derive_id(&v, "file.json#3"), ids[k] = owned[k], k++;
    op_clear(&v);
    for (size_t i = 0; i < k; i++) {
        if (strcmp(ids[i], a) == 0)
            fprintf(stderr, "  variant %zu did not change the id\n", i);
        ASSERT_TRUE(strcmp(ids[i], a) != 0);
        for (size_t j = i + 1; j < k; j++)
            ASSERT_TRUE(strcmp(ids[i], ids[j]) != 0);
    }
    for (size_t i = 0; i < k; i++)
        free(owned[i]);

    /* With a tool_use_id, that is the identity. */
    op_sets(&op.tool_use_id, "toolu_01ABC");
    char *c = op_derive_id(&op, "anything");
    ASSERT_STREQ(c, "toolu_01ABC");
    free(c);
    free(a);
    op_clear(&op);
}

static void test_shell_dedicated_word(void)
{
    static const struct {
        const char *cmd;
        const char *word; /* NULL: no dedicated tool */
    } cases[] = {
        {"cat foo", "cat"},
        {"concatenate x", NULL},
        {"git log | head -5", NULL},
        {"cd src && grep -r x .", "grep"},
        {"FOO=1 sudo find . -name x", "find"},
        {"echo 'a | cat'", NULL},
        {"echo \"a; grep x\"", NULL},
        {"/usr/bin/tail -f log", "tail"},
        {"python concat.py", NULL},
        {"git rev-parse HEAD", NULL},
        {"findstr x", NULL},
        {"(cat a; ls)", "cat"},
        {"head -100 log.txt", "head"},
        {"rg TODO src", "rg"},
        {"egrep -n x f", "egrep"},
        {"fgrep x f", "fgrep"},
        {"ls -la | grep foo", NULL},
        {"ls -la || grep foo f", "grep"},
        {"make; tail -n 20 build.log", "tail"},
        {"npm test\ncat out.txt", "cat"},
        {"  \tcat  x", "cat"},
        {"env A=1 B=2 cat f", "cat"},
        {"nohup tail -f log &", "tail"},
        {"npm install", NULL},
        {"docker build .", NULL},
        {"sed -n 1,5p f | cat -A", NULL},
        {"grep", "grep"},
        {"", NULL},
        {"   ", NULL},
        {"echo find", NULL},
        {"cat", "cat"},
        {"catalog list", NULL},
        {"headless-chrome", NULL},
        {"{ find . ; }", "find"},
        {"a=b", NULL},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = op_shell_dedicated_word(cases[i].cmd);
        int ok = (!got && !cases[i].word) || (got && cases[i].word && !strcmp(got, cases[i].word));
        if (!ok) {
            fprintf(stderr, "  \"%s\": got %s, expected %s\n", cases[i].cmd, got ? got : "NULL",
                    cases[i].word ? cases[i].word : "NULL");
            bad++;
        }
    }
    ASSERT_EQ_INT(bad, 0);
    ASSERT_TRUE(op_shell_dedicated_word(NULL) == NULL);
}

static void test_attention(void)
{
    static const struct {
        const char *tool, *target;
        int optimized;
        int64_t size;
        int attn;
    } cases[] = {
        {"Read", "/big.py", 0, 100001, OP_ATTN_LARGE_READ},
        {"Read", "/big.py", 0, 100000, OP_ATTN_NONE},
        {"Read", "/big.py", 1, 500000, OP_ATTN_NONE},
        {"Read", "/small.py", 0, 5000, OP_ATTN_NONE},
        {"Read", "/unknown.py", 0, -1, OP_ATTN_NONE},
        {"Write", "/big.py", 0, 500000, OP_ATTN_NONE},
        {"Bash", "cat /etc/hosts", 0, -1, OP_ATTN_SHELL_TOOL},
        {"Bash", "cd a && find . -name '*.c'", 0, -1, OP_ATTN_SHELL_TOOL},
        {"Bash", "npm install", 0, -1, OP_ATTN_NONE},
        {"Bash", "concatenate x", 0, -1, OP_ATTN_NONE},
        {"Bash", NULL, 0, -1, OP_ATTN_NONE},
        {"Grep", "cat", 0, -1, OP_ATTN_NONE},
        {"bash", "cat x", 0, -1, OP_ATTN_NONE},
    };
    FOR_EACH_ROW(i, sizeof cases / sizeof cases[0])
    {
        struct op op;
        op_init(&op);
        op_sets(&op.tool, cases[i].tool);
        op_sets(&op.target, cases[i].target);
        op.optimized = cases[i].optimized;
        op.size_bytes = cases[i].size;
        if (op_attention(&op) != cases[i].attn)
            fprintf(stderr, "  case %zu: %s %s\n", i, cases[i].tool,
                    cases[i].target ? cases[i].target : "(null)");
        ASSERT_EQ_INT(op_attention(&op), cases[i].attn);
        op_clear(&op);
    }
    struct op op;
    op_init(&op);
    ASSERT_EQ_INT(op_attention(&op), OP_ATTN_NONE);
}

static void test_init_copy_sources(void)
{
    struct op op, cp;
    op_init(&op);
    ASSERT_TRUE(isnan(op.duration_ms));
    ASSERT_EQ_INT(op.success, 1);
    ASSERT_EQ_INT(op.size_bytes, -1);
    ASSERT_EQ_INT(op.result_bytes, -1);
    ASSERT_EQ_INT(op.source, OP_SRC_CLI);
    ASSERT_TRUE(op.tool == NULL && op.meta == NULL);
    base_op(&op);
    op_sets(&op.meta, "{}");
    op_set(&op.error, "boom and more", 4);
    ASSERT_STREQ(op.error, "boom");
    op_copy(&cp, &op);
    ASSERT_TRUE(cp.tool != op.tool && cp.meta != op.meta);
    ASSERT_STREQ(cp.tool, "Read");
    ASSERT_STREQ(cp.error, "boom");
    ASSERT_EQ_DBL(cp.duration_ms, 150.5, 0);
    op_clear(&op);
    ASSERT_STREQ(cp.target, "/src/app.py"); /* independent of the original */
    op_clear(&cp);

    static const char *const names[] = {"cli",  "api",  "import", "transcript",
                                        "otlp", "hook", "demo"};
    /* Trust in durations: demo < cli < api < import < transcript < otlp < hook. */
    static const int ranks[] = {1, 2, 3, 4, 5, 6, 0};
    ASSERT_EQ_INT(OP_SRC_COUNT, 7);
    for (int i = 0; i < OP_SRC_COUNT; i++) {
        ASSERT_STREQ(op_source_name((enum op_source)i), names[i]);
        ASSERT_EQ_INT(op_source_parse(names[i]), i);
        ASSERT_EQ_INT(op_source_rank((enum op_source)i), ranks[i]);
    }
    ASSERT_EQ_INT(op_source_parse("Hook"), -1);
    ASSERT_EQ_INT(op_source_parse(NULL), -1);
    ASSERT_STREQ(op_source_name((enum op_source)42), "unknown");
}

/* ---- phases ------------------------------------------------------------------ */

static struct op_phases ph(double wall, double wait, double hook, double exec, int ask)
{
    struct op_phases p;
    double v[4] = {wall, wait, hook, exec};
    for (int i = 0; i < OP_PH_COUNT; i++) {
        p.ms[i] = v[i];
        p.exact[i] = isnan(v[i]) ? OP_EX_UNKNOWN : OP_EX_EXACT;
        p.src[i] = isnan(v[i]) ? PHS_NONE : PHS_TRACE;
    }
    p.ask = ask;
    return p;
}

static void test_phases_settle(void)
{
    /* A call that did not ask waited 0, and its exec is its wall less its
     * hooks (derived: never better than derived). */
    struct op_phases p = ph(1000, NAN, 40, NAN, OP_ASK_NO);
    op_phases_settle(&p);
    ASSERT_EQ_DBL(p.ms[OP_PH_WAIT], 0, 0);
    ASSERT_EQ_INT(p.exact[OP_PH_WAIT], OP_EX_DERIVED);
    ASSERT_EQ_INT(p.src[OP_PH_WAIT], PHS_RULE);
    ASSERT_EQ_DBL(p.ms[OP_PH_EXEC], 960, 0);
    ASSERT_EQ_INT(p.exact[OP_PH_EXEC], OP_EX_DERIVED);
    ASSERT_EQ_INT(p.src[OP_PH_EXEC], PHS_TRACE);
    /* A call that asked: its wait is what the exec and hooks leave. */
    p = ph(5570, NAN, NAN, 60, OP_ASK_ASKED);
    p.exact[OP_PH_WALL] = OP_EX_DERIVED;
    op_phases_settle(&p);
    ASSERT_EQ_DBL(p.ms[OP_PH_WAIT], 5510, 0);
    ASSERT_EQ_INT(p.exact[OP_PH_WAIT], OP_EX_DERIVED);
    /* A call that may have asked keeps an unknown exec: its wall is never
     * presented as execution. */
    p = ph(5570, NAN, NAN, NAN, OP_ASK_MAYBE);
    op_phases_settle(&p);
    ASSERT_TRUE(isnan(p.ms[OP_PH_EXEC]) && isnan(p.ms[OP_PH_WAIT]));
    ASSERT_EQ_INT(p.exact[OP_PH_EXEC], OP_EX_UNKNOWN);
    /* An estimated wait makes an estimated exec; a negative difference is 0. */
    p = ph(3000, 3500, NAN, NAN, OP_ASK_ASKED);
    p.exact[OP_PH_WAIT] = OP_EX_ESTIMATED;
    p.src[OP_PH_WAIT] = PHS_TURN;
    op_phases_settle(&p);
    ASSERT_EQ_DBL(p.ms[OP_PH_EXEC], 0, 0);
    ASSERT_EQ_INT(p.exact[OP_PH_EXEC], OP_EX_ESTIMATED);
    ASSERT_EQ_INT(p.src[OP_PH_EXEC], PHS_TURN);
    /* A value without exactness is unknown. */
    p = ph(100, NAN, NAN, NAN, OP_ASK_UNKNOWN);
    p.exact[OP_PH_WALL] = OP_EX_UNKNOWN;
    op_phases_settle(&p);
    ASSERT_TRUE(isnan(p.ms[OP_PH_WALL]));
}

static void test_phases_merge(void)
{
    /* Transcript: wall 5.57 s, may have asked. Then the hook: exec 60 ms
     * exact, and a prompt was shown. */
    struct op_phases e = ph(5570, NAN, NAN, NAN, OP_ASK_MAYBE),
                     n = ph(NAN, NAN, NAN, 60, OP_ASK_ASKED);
    e.exact[OP_PH_WALL] = OP_EX_DERIVED;
    e.src[OP_PH_WALL] = PHS_TIMESTAMPS;
    n.src[OP_PH_EXEC] = PHS_HOOK;
    unsigned taken;
    ASSERT_EQ_INT(op_phases_merge(&e, &n, 0, &taken), 1);
    ASSERT_EQ_INT(taken, 1u << OP_PH_EXEC);
    ASSERT_EQ_INT(e.ask, OP_ASK_ASKED);
    ASSERT_EQ_DBL(e.ms[OP_PH_EXEC], 60, 0);
    ASSERT_EQ_DBL(e.ms[OP_PH_WAIT], 5510, 0); /* derived from the two */
    ASSERT_EQ_INT(e.exact[OP_PH_WAIT], OP_EX_DERIVED);
    /* The same report again changes nothing. */
    ASSERT_EQ_INT(op_phases_merge(&e, &n, 0, &taken), 0);
    /* The trace's exact split then wins over the derived wait. */
    struct op_phases tr = ph(5565, 5500, NAN, 61, OP_ASK_ASKED);
    ASSERT_EQ_INT(op_phases_merge(&e, &tr, 0, &taken), 1);
    ASSERT_EQ_DBL(e.ms[OP_PH_WAIT], 5500, 0);
    ASSERT_EQ_DBL(e.ms[OP_PH_WALL], 5565, 0);
    /* ...but not over the hook's duration_ms for the execution. */
    ASSERT_EQ_DBL(e.ms[OP_PH_EXEC], 60, 0);
    ASSERT_EQ_INT(e.src[OP_PH_EXEC], PHS_HOOK);
    /* Over the tool's own field, the trace's execution wins. */
    struct op_phases tool = ph(NAN, NAN, NAN, 58, OP_ASK_UNKNOWN), tr2 = tr;
    tool.src[OP_PH_EXEC] = PHS_TOOL;
    ASSERT_EQ_INT(op_phases_merge(&tool, &tr2, 0, &taken), 1);
    ASSERT_EQ_DBL(tool.ms[OP_PH_EXEC], 61, 0);
    ASSERT_EQ_INT(tool.src[OP_PH_EXEC], PHS_TRACE);
    /* A less exact report never replaces a phase. */
    struct op_phases worse = ph(9999, 9999, 9999, 9999, OP_ASK_NO);
    for (int i = 0; i < OP_PH_COUNT; i++)
        worse.exact[i] = OP_EX_ESTIMATED;
    op_phases_merge(&e, &worse, 1, &taken);
    ASSERT_EQ_DBL(e.ms[OP_PH_WAIT], 5500, 0);
    ASSERT_EQ_DBL(e.ms[OP_PH_EXEC], 60, 0);
    ASSERT_EQ_DBL(e.ms[OP_PH_HOOK], 9999, 0); /* it was unknown */
    ASSERT_EQ_INT(e.ask, OP_ASK_ASKED);       /* an observed prompt stands */
    /* A tie in exactness and source goes to the caller's choice. */
    struct op_phases a = ph(NAN, NAN, NAN, 10, OP_ASK_UNKNOWN), b = ph(NAN, NAN, NAN, 20, 0);
    ASSERT_EQ_INT(op_phases_merge(&a, &b, 0, &taken), 0);
    ASSERT_EQ_DBL(a.ms[OP_PH_EXEC], 10, 0);
    ASSERT_EQ_INT(op_phases_merge(&a, &b, 1, &taken), 1);
    ASSERT_EQ_DBL(a.ms[OP_PH_EXEC], 20, 0);
    /* Names round-trip. */
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ_INT(op_exact_parse(op_exact_name((enum op_exact)i)), i);
        ASSERT_EQ_INT(op_ask_parse(op_ask_name((enum op_ask)i)), i);
    }
    for (int i = 0; i < PHS_COUNT; i++)
        ASSERT_EQ_INT(op_phase_src_parse(op_phase_src_name((enum op_phase_src)i)), i);
}

static void test_normalize_phases(void)
{
    struct op op;
    char err[TP_ERR_MAX];
    op_init(&op);
    op_sets(&op.tool, "Write");
    op.ts_ms = 1771151445123LL;
    op.source = OP_SRC_HOOK;
    op.duration_ms = 60;
    op.wall_ms = 5570;
    op.exact[OP_PH_WALL] = OP_EX_DERIVED;
    op.phsrc[OP_PH_WALL] = PHS_HOOK;
    op.ask = OP_ASK_ASKED;
    ASSERT_EQ_INT(op_normalize(&op, 1771151445123LL, err), 0);
    /* The exec's exactness comes from its source, and the wait follows. */
    ASSERT_EQ_INT(op.exact[OP_PH_EXEC], OP_EX_EXACT);
    ASSERT_EQ_INT(op.phsrc[OP_PH_EXEC], PHS_HOOK);
    ASSERT_EQ_DBL(op.wait_ms, 5510, 0);
    /* Bad phases are refused, naming them. */
    op.hook_ms = -1;
    ASSERT_EQ_INT(op_normalize(&op, 1771151445123LL, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "hook_ms must be a number of milliseconds");
    op.hook_ms = NAN;
    op.ask = 7;
    ASSERT_EQ_INT(op_normalize(&op, 1771151445123LL, err), TP_EINVAL);
    ASSERT_CONTAINS(err, "approval");
    op_clear(&op);
}

TEST_MAIN(TEST_CASE(test_phases_settle), TEST_CASE(test_phases_merge),
          TEST_CASE(test_normalize_phases), TEST_CASE(test_normalize_rejects),
          TEST_CASE(test_normalize_accepts_edges), TEST_CASE(test_normalize_twice_with_cut_secrets),
          TEST_CASE(test_normalize_cuts), TEST_CASE(test_derive_id),
          TEST_CASE(test_shell_dedicated_word), TEST_CASE(test_attention),
          TEST_CASE(test_init_copy_sources))
