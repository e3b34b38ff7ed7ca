/*
 * op.c - the operation record: lifetime, validation, identity, rule flags.
 *
 * op_normalize() is the one gate every record passes before it is stored,
 * whatever its source; ingesters may be lenient about their own formats,
 * but nothing reaches SQLite that this file has not checked.
 */
#include "op.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/jfield.h"
#include "core/jsonin.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "redact.h"

void op_init(struct op *op)
{
    memset(op, 0, sizeof *op);
    op->duration_ms = NAN;
    op->wall_ms = op->wait_ms = op->hook_ms = NAN;
    op->success = 1;
    op->size_bytes = -1;
    op->result_bytes = -1;
    op->source = OP_SRC_CLI;
}

void op_clear(struct op *op)
{
    free(op->tool);
    free(op->target);
    free(op->meta);
    free(op->session_id);
    free(op->project);
    free(op->tool_use_id);
    free(op->error);
    free(op->subagent);
    free(op->agent);
    free(op->agent_version);
    op_init(op);
}

/* ---- phases ------------------------------------------------------------------ */

double *op_phase_ms(struct op *op, enum op_phase ph)
{
    switch (ph) {
    case OP_PH_WALL: return &op->wall_ms;
    case OP_PH_WAIT: return &op->wait_ms;
    case OP_PH_HOOK: return &op->hook_ms;
    case OP_PH_EXEC:
    case OP_PH_COUNT: break;
    }
    return &op->duration_ms;
}

void op_set_phase(struct op *op, enum op_phase ph, double ms, enum op_exact exact,
                  enum op_phase_src src)
{
    *op_phase_ms(op, ph) = ms;
    op->exact[ph] = isnan(ms) ? OP_EX_UNKNOWN : (unsigned char)exact;
    op->phsrc[ph] = isnan(ms) ? PHS_NONE : (unsigned char)src;
}

void op_phases_get(const struct op *op, struct op_phases *p)
{
    for (int i = 0; i < OP_PH_COUNT; i++) {
        p->ms[i] = *op_phase_ms((struct op *)op, (enum op_phase)i);
        p->exact[i] = op->exact[i];
        p->src[i] = op->phsrc[i];
    }
    p->ask = op->ask;
}

void op_phases_put(struct op *op, const struct op_phases *p)
{
    for (int i = 0; i < OP_PH_COUNT; i++) {
        *op_phase_ms(op, (enum op_phase)i) = p->ms[i];
        op->exact[i] = p->exact[i];
        op->phsrc[i] = p->src[i];
    }
    op->ask = p->ask;
}

static unsigned char min_exact(unsigned char a, unsigned char b)
{
    return a < b ? a : b;
}

void op_phases_settle(struct op_phases *p)
{
    double *ms = p->ms;
    for (int i = 0; i < OP_PH_COUNT; i++)
        assert(p->exact[i] <= OP_EX_EXACT && p->src[i] < PHS_COUNT);
    int known[OP_PH_COUNT];
    for (int i = 0; i < OP_PH_COUNT; i++) {
        if (isnan(ms[i]) || p->exact[i] == OP_EX_UNKNOWN) {
            ms[i] = NAN;
            p->exact[i] = OP_EX_UNKNOWN;
            p->src[i] = PHS_NONE;
        }
        known[i] = !isnan(ms[i]);
    }
    /* A call that did not ask waited for nobody. */
    if (p->ask == OP_ASK_NO && !known[OP_PH_WAIT]) {
        ms[OP_PH_WAIT] = 0;
        p->exact[OP_PH_WAIT] = OP_EX_DERIVED;
        p->src[OP_PH_WAIT] = PHS_RULE;
        known[OP_PH_WAIT] = 1;
    }
    double hook = known[OP_PH_HOOK] ? ms[OP_PH_HOOK] : 0;
    if (!known[OP_PH_EXEC] && known[OP_PH_WALL] && known[OP_PH_WAIT]) {
        double e = ms[OP_PH_WALL] - ms[OP_PH_WAIT] - hook;
        ms[OP_PH_EXEC] = e > 0 ? e : 0;
        p->exact[OP_PH_EXEC] =
            min_exact(min_exact(p->exact[OP_PH_WALL], p->exact[OP_PH_WAIT]), OP_EX_DERIVED);
        p->src[OP_PH_EXEC] =
            p->src[OP_PH_WAIT] == PHS_RULE ? p->src[OP_PH_WALL] : p->src[OP_PH_WAIT];
    } else if (!known[OP_PH_WAIT] && p->ask == OP_ASK_ASKED && known[OP_PH_WALL] &&
               known[OP_PH_EXEC]) {
        double w = ms[OP_PH_WALL] - ms[OP_PH_EXEC] - hook;
        ms[OP_PH_WAIT] = w > 0 ? w : 0;
        p->exact[OP_PH_WAIT] =
            min_exact(min_exact(p->exact[OP_PH_WALL], p->exact[OP_PH_EXEC]), OP_EX_DERIVED);
        p->src[OP_PH_WAIT] = p->src[OP_PH_WALL];
    }
}

/* Between two equally exact reports of a phase, the higher rank wins: the
 * order of enum op_phase_src, except that a call's execution as the agent
 * itself reports it (duration_ms of the hook and of the tool_result event,
 * the number its own UI and hooks show) beats the trace's execution span,
 * which now and then holds some of the client's work after the tool (a
 * Grep's span 16 ms over its duration_ms with the real client). The spans
 * stay the best source of the wall time and the wait. */
static int src_rank(int phase, int src)
{
    if (phase == OP_PH_EXEC && src == PHS_TRACE)
        return 2 * PHS_TOOL + 1;
    return 2 * src;
}

int op_phases_merge(struct op_phases *e, const struct op_phases *n, int n_wins_ties,
                    unsigned *taken)
{
    int changed = 0;
    if (taken)
        *taken = 0;
    for (int i = 0; i < OP_PH_COUNT; i++) {
        if (n->exact[i] == OP_EX_UNKNOWN || isnan(n->ms[i]))
            continue;
        int better =
            n->exact[i] > e->exact[i] ||
            (n->exact[i] == e->exact[i] && (src_rank(i, n->src[i]) > src_rank(i, e->src[i]) ||
                                            (n->src[i] == e->src[i] && n_wins_ties)));
        if (!better)
            continue;
        if (taken)
            *taken |= 1u << i;
        changed |= e->ms[i] != n->ms[i] || e->exact[i] != n->exact[i] || e->src[i] != n->src[i];
        e->ms[i] = n->ms[i];
        e->exact[i] = n->exact[i];
        e->src[i] = n->src[i];
    }
    if (n->ask > e->ask) {
        e->ask = n->ask;
        changed = 1;
    }
    struct op_phases before = *e;
    op_phases_settle(e);
    for (int i = 0; i < OP_PH_COUNT && !changed; i++)
        changed = before.exact[i] != e->exact[i] ||
                  (!isnan(before.ms[i]) && !isnan(e->ms[i]) && before.ms[i] != e->ms[i]) ||
                  isnan(before.ms[i]) != isnan(e->ms[i]);
    return changed;
}

static const char *const phase_names[OP_PH_COUNT] = {"wall", "wait", "hook", "exec"};
static const char *const exact_names[] = {"unknown", "estimated", "derived", "exact"};
static const char *const phs_names[PHS_COUNT] = {"none", "given", "rule", "timestamps", "turn",
                                                 "tool", "otlp",  "hook", "trace"};
static const char *const ask_names[] = {"unknown", "maybe", "no", "asked"};

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *op_phase_name(enum op_phase ph)
{
    return (unsigned)ph < OP_PH_COUNT ? phase_names[ph] : "unknown";
}
const char *op_exact_name(enum op_exact e)
{
    return (unsigned)e < 4 ? exact_names[e] : "unknown";
}
const char *op_phase_src_name(enum op_phase_src s)
{
    return (unsigned)s < PHS_COUNT ? phs_names[s] : "none";
}
const char *op_ask_name(enum op_ask a)
{
    return (unsigned)a < 4 ? ask_names[a] : "unknown";
}
int op_exact_parse(const char *s)
{
    return name_index(exact_names, 4, s);
}
int op_phase_src_parse(const char *s)
{
    return name_index(phs_names, PHS_COUNT, s);
}
int op_ask_parse(const char *s)
{
    return name_index(ask_names, 4, s);
}

char *op_tool_key(const char *tool, const char *agent, char *out, size_t size)
{
    int n = agent && strcmp(agent, OP_AGENT_DEFAULT) != 0
                ? snprintf(out, size, "%s\x1f%s", tool, agent)
                : snprintf(out, size, "%s", tool);
    return n >= 0 && (size_t)n < size ? out : NULL;
}

size_t op_tool_split(const char *key, const char **agent)
{
    const char *sep = strchr(key, '\x1f');
    *agent = sep ? sep + 1 : OP_AGENT_DEFAULT;
    return sep ? (size_t)(sep - key) : strlen(key);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void op_copy(struct op *dst, const struct op *src)
{
    *dst = *src;
    dst->tool = dup_or_null(src->tool);
    dst->target = dup_or_null(src->target);
    dst->meta = dup_or_null(src->meta);
    dst->session_id = dup_or_null(src->session_id);
    dst->project = dup_or_null(src->project);
    dst->tool_use_id = dup_or_null(src->tool_use_id);
    dst->error = dup_or_null(src->error);
    dst->subagent = dup_or_null(src->subagent);
    dst->agent = dup_or_null(src->agent);
    dst->agent_version = dup_or_null(src->agent_version);
}

void op_set(char **field, const char *s, size_t n)
{
    free(*field);
    *field = xstrndup(s, n);
}

void op_sets(char **field, const char *s)
{
    free(*field);
    *field = s ? xstrdup(s) : NULL;
}

static const char *const source_names[OP_SRC_COUNT] = {
    [OP_SRC_CLI] = "cli",       [OP_SRC_API] = "api",
    [OP_SRC_IMPORT] = "import", [OP_SRC_TRANSCRIPT] = "transcript",
    [OP_SRC_OTLP] = "otlp",     [OP_SRC_HOOK] = "hook",
    [OP_SRC_DEMO] = "demo",
};

int op_source_rank(enum op_source s)
{
    return s == OP_SRC_DEMO ? 0 : (int)s + 1;
}

const char *op_source_name(enum op_source s)
{
    return (unsigned)s < OP_SRC_COUNT ? source_names[s] : "unknown";
}

int op_source_parse(const char *name)
{
    for (int i = 0; i < OP_SRC_COUNT; i++)
        if (name && strcmp(name, source_names[i]) == 0)
            return i;
    return -1;
}

/* Check one optional string field: valid UTF-8 without NUL, and either
 * rejected or cut when over max. */
int op_check_str(char **field, const char *name, size_t max, int cut, char *errbuf)
{
    if (!*field)
        return 0;
    size_t n = strlen(*field);
    size_t bad = utf8_invalid_at(*field, n);
    if (bad != n)
        return tp_fail(errbuf, TP_EINVAL, "%s is not valid UTF-8 (byte %zu)", name, bad);
    if (n <= max)
        return 0;
    if (!cut)
        return tp_fail(errbuf, TP_EINVAL, "%s is %zu bytes, more than the limit of %zu", name, n,
                       max);
    /* Keep max - 3 bytes and append U+2026 (3 bytes). */
    size_t keep = utf8_floor(*field, max - 3);
    memcpy(*field + keep, REDACT_CUT_MARK, sizeof REDACT_CUT_MARK);
    return 0;
}

/* Redact a free-text field, then cut it to max. A cut can leave the tail
 * of a redacted secret looking like a new one ("Authorization: Basic
 * [REDACTED]" cut to "Authorization: Bas\u2026"), so redact and cut again
 * while that changes anything: normalizing a normalized op must change
 * nothing (an export imported again is the same op). The second round
 * leaves only a cut's remnant, which redaction keeps (redact.h). */
static int redact_and_cut(char **field, const char *name, size_t max, char *errbuf)
{
    redact_field(field);
    for (int round = 0; round < 4 && *field && strlen(*field) > max; round++) {
        int rc = op_check_str(field, name, max, 1, errbuf);
        if (rc != 0 || !redact_field(field))
            return rc;
    }
    return op_check_str(field, name, max, 1, errbuf);
}

/* Redact every string value (not key) of a JSON tree in place. */
static void redact_json(cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && v->valuestring) {
            char *r = redact_text(v->valuestring);
            if (r) {
                cJSON_free(v->valuestring);
                v->valuestring = r; /* cJSON frees it with free() (its default hooks) */
            }
        } else if (v->child) {
            redact_json(v->child);
        }
    }
}

int op_normalize(struct op *op, int64_t now_ms, char *errbuf)
{
    int rc;
    if (!op->tool || !*op->tool)
        return tp_fail(errbuf, TP_EINVAL, "tool is missing or empty");
    if ((rc = op_check_str(&op->tool, "tool", TP_MAX_TOOL, 0, errbuf)) != 0)
        return rc;
    for (const unsigned char *p = (const unsigned char *)op->tool; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return tp_fail(errbuf, TP_EINVAL, "tool contains a control character");
    /* A repaired name (bad bytes or an escaped NUL became U+FFFD) is not a
     * tool's name; a target with one is still worth keeping. */
    if (strstr(op->tool, "\xEF\xBF\xBD"))
        return tp_fail(errbuf, TP_EINVAL, "tool is not valid text (it held bad bytes or a NUL)");
    if (!isnan(op->duration_ms)) {
        if (!isfinite(op->duration_ms) || op->duration_ms < 0)
            return tp_fail(errbuf, TP_EINVAL, "duration_ms must be a finite number >= 0 (got %g)",
                           op->duration_ms);
        if (op->duration_ms > TP_MAX_DURATION_MS)
            return tp_fail(errbuf, TP_EINVAL,
                           "duration_ms %.15g is more than a week; refusing it as a broken clock",
                           op->duration_ms);
    }
    for (int ph = OP_PH_WALL; ph < OP_PH_EXEC; ph++) {
        double v = *op_phase_ms(op, (enum op_phase)ph);
        if (!isnan(v) && (!isfinite(v) || v < 0 || v > TP_MAX_DURATION_MS))
            return tp_fail(errbuf, TP_EINVAL,
                           "%s_ms must be a number of milliseconds in 0..%.0f (got %g)",
                           op_phase_name((enum op_phase)ph), TP_MAX_DURATION_MS, v);
    }
    for (int ph = 0; ph < OP_PH_COUNT; ph++) {
        if (op->exact[ph] > OP_EX_EXACT || op->phsrc[ph] >= PHS_COUNT)
            return tp_fail(errbuf, TP_EINVAL, "%s: unknown exactness or source",
                           op_phase_name((enum op_phase)ph));
        /* A phase known without saying how: what its source measures. */
        if (!isnan(*op_phase_ms(op, (enum op_phase)ph)) && op->exact[ph] == OP_EX_UNKNOWN) {
            static const unsigned char by_source[OP_SRC_COUNT] = {
                [OP_SRC_CLI] = PHS_GIVEN,    [OP_SRC_API] = PHS_GIVEN,
                [OP_SRC_IMPORT] = PHS_GIVEN, [OP_SRC_TRANSCRIPT] = PHS_TIMESTAMPS,
                [OP_SRC_OTLP] = PHS_OTLP,    [OP_SRC_HOOK] = PHS_HOOK,
                [OP_SRC_DEMO] = PHS_GIVEN};
            unsigned src = (unsigned)op->source < OP_SRC_COUNT ? by_source[op->source] : PHS_GIVEN;
            /* A duration someone else recorded is trusted as derived:
             * how they measured it is not known. */
            op->exact[ph] = src == PHS_OTLP || src == PHS_HOOK ? OP_EX_EXACT : OP_EX_DERIVED;
            op->phsrc[ph] = (unsigned char)src;
        }
    }
    if ((unsigned)op->ask > OP_ASK_ASKED)
        return tp_fail(errbuf, TP_EINVAL, "unknown approval state");
    if (op->agent) {
        /* A name: lowercase letters, digits, '-', '_' and '.', 1 to 32. */
        size_t n = strlen(op->agent);
        if (n < 1 || n > 32 || strspn(op->agent, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n)
            return tp_fail(errbuf, TP_EINVAL,
                           "agent must be 1 to 32 lowercase letters, digits, '-', '_' or '.'");
        if (strcmp(op->agent, OP_AGENT_DEFAULT) == 0) {
            free(op->agent);
            op->agent = NULL;
        }
    }
    struct op_phases ph;
    op_phases_get(op, &ph);
    op_phases_settle(&ph);
    op_phases_put(op, &ph);
    if (op->ts_ms < TP_MIN_TS_MS)
        return tp_fail(errbuf, TP_EINVAL, "timestamp is before 2000-01-01");
    if (op->ts_ms > now_ms + TP_FUTURE_SLACK_MS)
        return tp_fail(errbuf, TP_EINVAL, "timestamp is more than a day in the future");
    /* Secrets never reach the database, whatever the source. */
    if ((rc = redact_and_cut(&op->target, "target", TP_MAX_TARGET, errbuf)) != 0 ||
        (rc = redact_and_cut(&op->error, "error", TP_MAX_ERROR, errbuf)) != 0 ||
        (rc = op_check_str(&op->project, "project", TP_MAX_PROJECT, 1, errbuf)) != 0 ||
        (rc = op_check_str(&op->session_id, "session_id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&op->tool_use_id, "tool_use_id", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&op->subagent, "subagent", TP_MAX_ID, 0, errbuf)) != 0 ||
        (rc = op_check_str(&op->agent_version, "agent_version", 64, 0, errbuf)) != 0 ||
        (rc = op_check_str(&op->meta, "metadata", TP_MAX_META, 0, errbuf)) != 0)
        return rc;
    if (op->meta) {
        /* Redact each string value of the parsed object (never the JSON
         * text: a pattern could eat an escape), then re-serialize through
         * our writer, so the stored text is compact, valid UTF-8, safe to
         * embed in HTML and within the limit after redaction. */
        char *canon = NULL;
        struct jf_doc *d = jf_doc_new();
        if (jf_parse(d, op->meta, strlen(op->meta), JF_NUMFMT, 16) == 0) {
            /* The field extractor's reading (core/jfield.h), printed with
             * each string redacted: what the tree's gives below. */
            if (jf_type(jf_root(d)) == JF_OBJECT)
                canon = jf_print_map(jf_root(d), TP_MAX_META, redact_text);
        } else {
            char sub[TP_ERR_MAX];
            cJSON *m = jin_parse(op->meta, strlen(op->meta), JIN_STRICT | JIN_NUMFMT, 16, sub);
            if (m && cJSON_IsObject(m)) {
                redact_json(m);
                canon = jin_print(m, TP_MAX_META);
            }
            cJSON_Delete(m);
        }
        jf_doc_free(d);
        if (!canon)
            return tp_fail(errbuf, TP_EINVAL, "metadata must be a JSON object of at most %d bytes",
                           TP_MAX_META);
        free(op->meta);
        op->meta = canon;
    }
    if (op->size_bytes < -1 || op->result_bytes < -1)
        return tp_fail(errbuf, TP_EINVAL, "size_bytes and result_bytes must be >= 0");
    /* An empty string says nothing: store it as unknown, so that every
     * source describes a missing value the same way. */
    char **optional[] = {&op->tool_use_id, &op->target,   &op->error,        &op->session_id,
                         &op->project,     &op->subagent, &op->agent_version};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        if (*optional[i] && !**optional[i]) {
            free(*optional[i]);
            *optional[i] = NULL;
        }
    }
    op->success = op->success ? 1 : 0;
    op->optimized = op->optimized ? 1 : 0;
    if ((unsigned)op->source >= OP_SRC_COUNT)
        return tp_fail(errbuf, TP_EINVAL, "unknown source");
    return 0;
}

static uint64_t hash_field(uint64_t h, const char *s)
{
    /* A field separator that cannot occur in valid UTF-8 text. */
    static const unsigned char sep = 0xff;
    if (s)
        h = hash_bytes(h, s, strlen(s));
    return hash_bytes(h, &sep, 1);
}

char *op_derive_id(const struct op *op, const char *position)
{
    if (op->tool_use_id)
        return xstrdup(op->tool_use_id);
    char num[64];
    uint64_t h = HASH_SEED;
    h = hash_field(h, op->tool);
    h = hash_field(h, op->target);
    h = hash_field(h, op->session_id);
    snprintf(num, sizeof num, "%lld/%.3f/%d", (long long)op->ts_ms,
             isnan(op->duration_ms) ? -1.0 : op->duration_ms, op->success);
    h = hash_field(h, num);
    h = hash_field(h, position);
    char *id = xmalloc(20);
    snprintf(id, 20, "tp-%016llx", (unsigned long long)hash_final(h));
    return id;
}

/* Programs that have a dedicated Claude Code tool: Grep, Glob, Read. */
static const char *const dedicated[] = {"grep", "egrep", "fgrep", "rg", "find",
                                        "cat",  "head",  "tail",  NULL};
/* Prefix commands that run the next word as the program. */
static const char *const wrappers[] = {"sudo", "time",    "nice", "nohup",
                                       "env",  "command", "exec", NULL};

static int in_list(const char *const *list, const char *w, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(*list, w, n) == 0)
            return 1;
    return 0;
}

const char *op_shell_dedicated_word(const char *cmd)
{
    const char *p = cmd;
    int pipeline_start = 1; /* the next word starts a pipeline, not a filter */
    int at_word = 1;        /* we are where a command word may start */
    while (p && *p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        /* Separators. */
        if (*p == '|' && p[1] == '|') {
            p += 2, pipeline_start = 1, at_word = 1;
            continue;
        }
        if (*p == '|') {
            p++, pipeline_start = 0, at_word = 1;
            continue;
        }
        if (*p == ';' || *p == '&' || *p == '\n' || *p == '(' || *p == ')' || *p == '{' ||
            *p == '}') {
            p++, pipeline_start = 1, at_word = 1;
            continue;
        }
        /* A word: read it, skipping quoted parts. */
        const char *w = p;
        while (*p && !strchr(" \t|;&\n()", *p)) {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1])
                        p++;
                    p++;
                }
                if (*p)
                    p++;
            } else {
                p++;
            }
        }
        size_t n = (size_t)(p - w);
        if (!at_word)
            continue;
        /* NAME=value assignments and wrappers keep us at the command word. */
        const char *eq = memchr(w, '=', n);
        if (eq && eq > w && (isalpha((unsigned char)*w) || *w == '_'))
            continue;
        if (in_list(wrappers, w, n))
            continue;
        at_word = 0;
        const char *base = w;
        for (const char *q = w; q < w + n; q++)
            if (*q == '/')
                base = q + 1;
        size_t bn = (size_t)(w + n - base);
        if (pipeline_start && in_list(dedicated, base, bn)) {
            for (const char *const *d = dedicated; *d; d++)
                if (strlen(*d) == bn && memcmp(*d, base, bn) == 0)
                    return *d;
        }
    }
    return NULL;
}

int op_attention(const struct op *op)
{
    if (!op->tool)
        return OP_ATTN_NONE;
    if (strcmp(op->tool, "Read") == 0 && !op->optimized && op->size_bytes > OP_LARGE_READ_BYTES)
        return OP_ATTN_LARGE_READ;
    if (strcmp(op->tool, "Bash") == 0 && op->target && op_shell_dedicated_word(op->target))
        return OP_ATTN_SHELL_TOOL;
    if (strncmp(op->tool, "mcp__", 5) == 0 && !op->success && op->error &&
        (strncmp(op->error, "no result", 9) == 0 || strcmp(op->error, "interrupted") == 0))
        return OP_ATTN_LOST;
    return OP_ATTN_NONE;
}
