/*
 * opjson.c - an operation as a JSON object, both ways (see opjson.h).
 *
 * Reading checks every key's type and says which key was wrong; unknown
 * keys are ignored (the original's files carry extras such as "level").
 * Writing always emits every key of the documented layout, with null for
 * what is unknown, so that consumers never need to test for absence.
 */
#include "opjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jfield.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

/* The members an operation object may have, read in one walk over it
 * (jf_get_many: the first of each key, as jin_get()). */
enum {
    K_TOOL,
    K_DURATION,
    K_TS_MS,
    K_TS,
    K_SUCCESS,
    K_OPTIMIZED,
    K_TARGET,
    K_SESSION,
    K_PROJECT,
    K_ID,
    K_ERROR,
    K_SUBAGENT,
    K_AGENT,
    K_AGENT_VERSION,
    K_SIZE,
    K_RESULT,
    K_META,
    K_PHASES,
    K_APPROVAL,
    K_SOURCE,
    K_COUNT
};
static const char *const op_keys[K_COUNT] = {
    "tool",     "duration_ms",   "timestamp_ms", "timestamp",    "success",  "optimization_applied",
    "target",   "session_id",    "project",      "tool_use_id",  "error",    "subagent",
    "agent",    "agent_version", "size_bytes",   "result_bytes", "metadata", "phases",
    "approval", "source"};

static int absent_or_null(struct jf_val v)
{
    enum jf_type t = jf_type(v);
    return t == JF_NONE || t == JF_NULL;
}

/* jin_num() and jin_bool() of a member already found. */
static int num_of(struct jf_val v, double *out)
{
    if (absent_or_null(v))
        return 0;
    if (jf_type(v) != JF_NUMBER)
        return -1;
    *out = jf_number(v);
    return 1;
}

static int bool_of(struct jf_val v, int *out)
{
    enum jf_type t = jf_type(v);
    if (t == JF_NONE || t == JF_NULL)
        return 0;
    if (t != JF_TRUE && t != JF_FALSE)
        return -1;
    *out = t == JF_TRUE;
    return 1;
}

/* String member v (named key) into *field; null/absent leaves it NULL. */
static int read_str(struct jf_val v, const char *key, char **field, char *errbuf)
{
    if (absent_or_null(v))
        return 0;
    if (jf_type(v) != JF_STRING)
        return tp_fail(errbuf, TP_EINVAL, "%s: expected a string", key);
    op_sets(field, jf_string(v));
    return 0;
}

/* Non-negative integer member (-1 when absent or null). */
static int read_count(struct jf_val v, const char *key, int64_t *out, char *errbuf)
{
    double d;
    int r = num_of(v, &d);
    if (r < 0)
        return tp_fail(errbuf, TP_EINVAL, "%s: expected a number", key);
    if (r == 0) {
        *out = -1;
        return 0;
    }
    if (!(d >= 0 && d <= 9007199254740991.0) || d != floor(d))
        return tp_fail(errbuf, TP_EINVAL, "%s: expected a whole number >= 0", key);
    *out = (int64_t)d;
    return 0;
}

static int read_bool(struct jf_val v, const char *key, int *out, int dflt, char *errbuf)
{
    int r = bool_of(v, out);
    if (r < 0)
        return tp_fail(errbuf, TP_EINVAL, "%s: expected true or false", key);
    if (r == 0)
        *out = dflt;
    return 0;
}

/* "phases": {"wall": {"ms", "exactness", "source"} or null, "wait", "hook",
 * "exec"} and "approval": what opjson_write() writes. The exec phase's ms
 * is duration_ms's (read above); here only how exact it is and where from. */
static int read_phases(struct jf_val ph, struct jf_val askv, struct op *out, char *errbuf)
{
    if (!absent_or_null(askv)) {
        const char *ask = jf_string(askv);
        int a = ask ? op_ask_parse(ask) : -1;
        if (a < 0)
            return tp_fail(errbuf, TP_EINVAL, "approval: expected unknown, maybe, no or asked");
        out->ask = a;
    }
    if (absent_or_null(ph))
        return 0;
    if (jf_type(ph) != JF_OBJECT)
        return tp_fail(errbuf, TP_EINVAL, "phases: expected an object");
    for (int i = 0; i < OP_PH_COUNT; i++) {
        const char *name = op_phase_name((enum op_phase)i);
        struct jf_val p = jf_get(ph, name);
        if (absent_or_null(p))
            continue;
        if (jf_type(p) != JF_OBJECT)
            return tp_fail(errbuf, TP_EINVAL, "phases.%s: expected an object or null", name);
        double ms = NAN;
        int r = jf_num(p, "ms", &ms);
        if (r < 0 || (r == 1 && !(ms >= 0 && ms <= TP_MAX_DURATION_MS)))
            return tp_fail(errbuf, TP_EINVAL, "phases.%s.ms: expected milliseconds in 0..%.0f",
                           name, TP_MAX_DURATION_MS);
        const char *ex = jf_str(p, "exactness"), *src = jf_str(p, "source");
        int e = ex ? op_exact_parse(ex) : OP_EX_DERIVED;
        int s = src ? op_phase_src_parse(src) : PHS_GIVEN;
        if (e < 0 || s < 0)
            return tp_fail(errbuf, TP_EINVAL, "phases.%s: unknown exactness or source", name);
        if (i == OP_PH_EXEC) {
            /* duration_ms is the exec's value; a different one is a conflict. */
            if (r == 1 && !isnan(out->duration_ms) && fabs(ms - out->duration_ms) > 0.0005)
                return tp_fail(errbuf, TP_EINVAL, "phases.exec.ms: differs from duration_ms");
            if (isnan(out->duration_ms))
                out->duration_ms = r == 1 ? ms : NAN;
            if (!isnan(out->duration_ms)) {
                out->exact[i] = (unsigned char)e;
                out->phsrc[i] = (unsigned char)s;
            }
            continue;
        }
        if (r == 1)
            op_set_phase(out, (enum op_phase)i, ms, (enum op_exact)(e ? e : OP_EX_DERIVED),
                         (enum op_phase_src)s);
    }
    return 0;
}

int opjson_read(const cJSON *obj, int flags, enum op_source source, int64_t now_ms, struct op *out,
                char *errbuf)
{
    return opjson_read_val(jf_tree(obj), flags, source, now_ms, out, errbuf);
}

int opjson_read_val(struct jf_val obj, int flags, enum op_source source, int64_t now_ms,
                    struct op *out, char *errbuf)
{
    int rc;
    op_init(out);
    out->source = source;
    if (jf_type(obj) != JF_OBJECT)
        return tp_fail(errbuf, TP_EINVAL, "expected an operation object");

    struct jf_val m[K_COUNT];
    jf_get_many(obj, op_keys, K_COUNT, m);
    struct jf_val tool = m[K_TOOL];
    if (absent_or_null(tool))
        return tp_fail(errbuf, TP_EINVAL, "tool: missing");
    if (jf_type(tool) != JF_STRING)
        return tp_fail(errbuf, TP_EINVAL, "tool: expected a string");
    op_sets(&out->tool, jf_string(tool));

    double d;
    int r = num_of(m[K_DURATION], &d);
    if (r < 0) {
        /* NaN / Infinity cannot be JSON numbers; strings are refused too. */
        rc = tp_fail(errbuf, TP_EINVAL, "duration_ms: expected a number");
        goto fail;
    }
    if (r == 0 && (flags & OPJ_REQUIRE_DURATION)) {
        rc = tp_fail(errbuf, TP_EINVAL, "duration_ms: missing");
        goto fail;
    }
    if (r == 1) {
        out->duration_ms = d;
        /* "2100" stays an integer and "2100.0" a float when the reader kept
         * the literal's form (JIN_NUMFMT); else integral means integer. */
        out->duration_is_int =
            d == floor(d) && fabs(d) < 1e15 && !jf_is_float_literal(m[K_DURATION]);
    }

    struct jf_val ts_ms = m[K_TS_MS];
    struct jf_val ts = m[K_TS];
    if (jf_type(ts_ms) == JF_NUMBER) {
        double v = jf_number(ts_ms);
        if (v != floor(v) || fabs(v) > 1e15) {
            rc = tp_fail(errbuf, TP_EINVAL, "timestamp_ms: expected whole milliseconds");
            goto fail;
        }
        out->ts_ms = (int64_t)v;
    } else if (!absent_or_null(ts_ms)) {
        rc = tp_fail(errbuf, TP_EINVAL, "timestamp_ms: expected a number");
        goto fail;
    } else if (jf_type(ts) == JF_STRING) {
        int naive = (flags & OPJ_NAIVE_LOCAL) ? TPT_NAIVE_LOCAL : TPT_NAIVE_UTC;
        if (tpt_parse_iso(jf_string(ts), naive, &out->ts_ms) != 0) {
            rc = tp_fail(errbuf, TP_EINVAL, "timestamp: not an ISO-8601 time");
            goto fail;
        }
    } else if (!absent_or_null(ts)) {
        rc = tp_fail(errbuf, TP_EINVAL, "timestamp: expected an ISO-8601 string");
        goto fail;
    } else {
        out->ts_ms = now_ms;
    }

    if ((rc = read_bool(m[K_SUCCESS], "success", &out->success, 1, errbuf)) != 0 ||
        (rc = read_bool(m[K_OPTIMIZED], "optimization_applied", &out->optimized, 0, errbuf)) != 0 ||
        (rc = read_str(m[K_TARGET], "target", &out->target, errbuf)) != 0 ||
        (rc = read_str(m[K_SESSION], "session_id", &out->session_id, errbuf)) != 0 ||
        (rc = read_str(m[K_PROJECT], "project", &out->project, errbuf)) != 0 ||
        (rc = read_str(m[K_ID], "tool_use_id", &out->tool_use_id, errbuf)) != 0 ||
        (rc = read_str(m[K_ERROR], "error", &out->error, errbuf)) != 0 ||
        (rc = read_str(m[K_SUBAGENT], "subagent", &out->subagent, errbuf)) != 0 ||
        (rc = read_str(m[K_AGENT], "agent", &out->agent, errbuf)) != 0 ||
        (rc = read_str(m[K_AGENT_VERSION], "agent_version", &out->agent_version, errbuf)) != 0 ||
        (rc = read_count(m[K_SIZE], "size_bytes", &out->size_bytes, errbuf)) != 0 ||
        (rc = read_count(m[K_RESULT], "result_bytes", &out->result_bytes, errbuf)) != 0)
        goto fail;

    struct jf_val meta = m[K_META];
    if (!absent_or_null(meta)) {
        if (jf_type(meta) != JF_OBJECT) {
            rc = tp_fail(errbuf, TP_EINVAL, "metadata: expected an object");
            goto fail;
        }
        if (jf_present(jf_child(meta))) {
            out->meta = jf_print(meta, TP_MAX_META);
            if (!out->meta) {
                rc = tp_fail(errbuf, TP_EINVAL, "metadata: more than %d bytes", TP_MAX_META);
                goto fail;
            }
        }
    }

    if ((rc = read_phases(m[K_PHASES], m[K_APPROVAL], out, errbuf)) != 0)
        goto fail;

    if (flags & OPJ_KEEP_SOURCE) {
        const char *src = jf_string(m[K_SOURCE]);
        if (src) {
            int s = op_source_parse(src);
            if (s < 0) {
                rc = tp_fail(errbuf, TP_EINVAL, "source: unknown source \"%.40s\"", src);
                goto fail;
            }
            out->source = (enum op_source)s;
        }
    }
    return 0;
fail:
    op_clear(out);
    return rc;
}

static void write_opt_count(struct jsonw *w, const char *key, int64_t v)
{
    if (v >= 0)
        jw_kint(w, key, v);
    else
        jw_knull(w, key);
}

/* The duration as it came: an integer stays an integer ("90"), a float a
 * float ("2100.0"), as the original's files and API kept them. */
static void write_duration(struct jsonw *w, const struct op *op)
{
    if (isnan(op->duration_ms))
        jw_knull(w, "duration_ms");
    else if (op->duration_is_int)
        jw_kint(w, "duration_ms", (long long)op->duration_ms);
    else
        jw_knum(w, "duration_ms", op->duration_ms);
}

/* "phases" and "approval" (docs/api.md, "Operation object"). */
static void write_phases(struct jsonw *w, const struct op *op)
{
    jw_key(w, "phases");
    jw_obj_begin(w);
    for (int i = 0; i < OP_PH_COUNT; i++) {
        double ms = *op_phase_ms((struct op *)op, (enum op_phase)i);
        jw_key(w, op_phase_name((enum op_phase)i));
        if (isnan(ms)) {
            jw_null(w);
            continue;
        }
        jw_obj_begin(w);
        jw_knum(w, "ms", ms);
        jw_kstr(w, "exactness", op_exact_name((enum op_exact)op->exact[i]));
        jw_kstr(w, "source", op_phase_src_name((enum op_phase_src)op->phsrc[i]));
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_kstr(w, "approval", op_ask_name((enum op_ask)op->ask));
}

static void write_meta(struct jsonw *w, const struct op *op)
{
    jw_key(w, "metadata");
    if (op->meta)
        jw_raw(w, op->meta, strlen(op->meta));
    else
        jw_raw(w, "{}", 2);
}

void opjson_write(struct jsonw *w, const struct op *op, unsigned sources)
{
    jw_obj_begin(w);
    opjson_write_members(w, op, sources);
    jw_obj_end(w);
}

void opjson_write_members(struct jsonw *w, const struct op *op, unsigned sources)
{
    char ts[32];
    tpt_format_utc(op->ts_ms, ts);
    jw_kstr(w, "tool", op->tool);
    jw_kstr(w, "target", op->target);
    write_duration(w, op);
    jw_kstr(w, "timestamp", ts);
    jw_kint(w, "timestamp_ms", op->ts_ms);
    jw_kbool(w, "success", op->success);
    jw_kbool(w, "optimization_applied", op->optimized);
    write_opt_count(w, "size_bytes", op->size_bytes);
    write_opt_count(w, "result_bytes", op->result_bytes);
    write_meta(w, op);
    jw_kstr(w, "session_id", op->session_id);
    jw_kstr(w, "project", op->project);
    jw_kstr(w, "tool_use_id", op->tool_use_id);
    jw_kstr(w, "error", op->error);
    jw_kstr(w, "subagent", op->subagent);
    jw_kstr(w, "agent", op->agent ? op->agent : OP_AGENT_DEFAULT);
    jw_kstr(w, "agent_version", op->agent_version);
    write_phases(w, op);
    jw_kstr(w, "source", op_source_name(op->source));
    jw_key(w, "sources");
    jw_arr_begin(w);
    if (!sources)
        sources = 1u << op->source;
    for (int s = OP_SRC_COUNT - 1; s >= 0; s--)
        if (sources & (1u << s))
            jw_str(w, op_source_name((enum op_source)s));
    jw_arr_end(w);
}

void opjson_write_seed(struct jsonw *w, const struct op *op)
{
    char ts[40];
    tpt_format_local_naive(op->ts_ms, ts);
    jw_obj_begin(w);
    jw_kstr(w, "tool", op->tool);
    jw_kstr(w, "target", op->target ? op->target : "");
    write_duration(w, op);
    jw_kstr(w, "timestamp", ts);
    jw_kbool(w, "success", op->success);
    jw_kbool(w, "optimization_applied", op->optimized);
    write_meta(w, op);
    if (op->size_bytes >= 0)
        jw_kint(w, "size_bytes", op->size_bytes);
    /* toolprof's own fields, which the original ignores when loading. */
    jw_kint(w, "timestamp_ms", op->ts_ms);
    jw_kstr(w, "session_id", op->session_id);
    jw_kstr(w, "project", op->project);
    jw_kstr(w, "tool_use_id", op->tool_use_id);
    jw_kstr(w, "error", op->error);
    write_opt_count(w, "result_bytes", op->result_bytes);
    jw_kstr(w, "subagent", op->subagent);
    jw_kstr(w, "agent", op->agent ? op->agent : OP_AGENT_DEFAULT);
    jw_kstr(w, "agent_version", op->agent_version);
    write_phases(w, op);
    jw_kstr(w, "source", op_source_name(op->source));
    jw_obj_end(w);
}
