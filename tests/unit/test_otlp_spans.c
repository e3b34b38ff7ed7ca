/*
 * test_otlp_spans.c - the spans Claude Code 2.1.332 exported in the
 * recorded session (tests/data/recorded/otlp), mapped to calls with their
 * exact phases, model requests and turns; children that come in a request
 * before their parent's.
 *
 * The expected values are read off the recorded JSON by hand (start and
 * end times of each span, its attributes), and the counts agree with the
 * log events of the same session (reference.py "otlp": 21 api_request,
 * 4 user_prompt, 18 tool_result, a Bash the hook blocked and a Write the
 * person rejected).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "core/err.h"
#include "ingest/otlp.h"
#include "ingest/otlp_json.h"

static const int64_t NOW = 1893456000000LL; /* 2030-01-01, after the recording */

static const char *const trace_files[] = {"13-traces.json", "16-traces.json", "29-traces.json"};

/* Every call, request and turn of the three bodies, mapped in order with
 * one joins, gathered. */
struct all {
    struct otlp_out out[3];
    struct otlp_counts c[3];
};

static void decode(const char *file, struct otlp_batch *b)
{
    char rel[128], err[TP_ERR_MAX], *body;
    size_t n;
    snprintf(rel, sizeof rel, "recorded/otlp/%s", file);
    FIXTURE_READ_DATA(body, rel, &n);
    if (otlp_json_decode(OTLP_TRACES, body, n, b, err) != 0)
        FAIL_("%s: %s", rel, err);
    free(body);
    ASSERT_TRUE(b->nspans > 0);
}

static const struct op *find_op(const struct all *a, const char *id)
{
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < a->out[f].nops; i++)
            if (strcmp(a->out[f].ops[i].tool_use_id, id) == 0)
                return &a->out[f].ops[i];
    return NULL;
}

static const struct request *find_req(const struct all *a, const char *id)
{
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < a->out[f].nreqs; i++)
            if (strcmp(a->out[f].reqs[i].id, id) == 0)
                return &a->out[f].reqs[i];
    return NULL;
}

static void check_phase(const struct op *op, enum op_phase ph, double ms, enum op_exact ex,
                        enum op_phase_src src)
{
    double got = *op_phase_ms((struct op *)op, ph);
    if (isnan(ms)) {
        if (!isnan(got))
            FAIL_("%s: %s %g, expected none", op->tool_use_id, op_phase_name(ph), got);
        ASSERT_TRUE(isnan(got));
        return;
    }
    if (fabs(got - ms) > 1e-6)
        FAIL_("%s: %s %.6f, expected %.6f", op->tool_use_id, op_phase_name(ph), got, ms);
    ASSERT_EQ_INT(op->exact[ph], ex);
    ASSERT_EQ_INT(op->phsrc[ph], src);
}

static void test_recorded_traces(void)
{
    struct all a;
    struct otlp_joins *j = otlp_joins_new();
    char err[TP_ERR_MAX];
    size_t ops = 0, reqs = 0, turns = 0, timed = 0, asked = 0, used = 0;
    for (int f = 0; f < 3; f++) {
        struct otlp_batch b;
        decode(trace_files[f], &b);
        ASSERT_EQ_INT(otlp_map(&b, NOW, j, &a.out[f], &a.c[f], err), 0);
        ASSERT_EQ_INT(a.c[f].rejected, 0);
        ASSERT_EQ_INT(a.c[f].ignored, 0);
        ASSERT_EQ_INT(a.c[f].used, b.nspans);
        used += a.c[f].used;
        ops += a.out[f].nops;
        reqs += a.out[f].nreqs;
        turns += a.out[f].nturns;
        for (size_t i = 0; i < a.out[f].nops; i++) {
            const struct op *op = &a.out[f].ops[i];
            timed += !isnan(op->duration_ms);
            asked += op->ask == OP_ASK_ASKED;
            ASSERT_STREQ(op->session_id, FIXTURE_REC_SESSION_ID);
            ASSERT_TRUE(op->agent == NULL); /* claude-code: the default */
            ASSERT_STREQ(op->agent_version, "2.1.332");
            ASSERT_EQ_INT(op->source, OP_SRC_OTLP);
        }
        otlp_batch_free(&b);
    }
    ASSERT_EQ_INT(otlp_joins_pending(j), 0); /* every child found its parent */
    otlp_joins_free(j);
    /* 71 + 3 + 9 spans; 18 + 2 tool spans are 20 calls, 18 of them ran;
     * 17 + 2 + 2 model requests; 1 + 1 + 2 turns. */
    ASSERT_EQ_INT(used, 83);
    ASSERT_EQ_INT(ops, 20);
    ASSERT_EQ_INT(timed, 18);
    ASSERT_EQ_INT(asked, 2);
    ASSERT_EQ_INT(reqs, 21);
    ASSERT_EQ_INT(turns, 4);

    /* Glob: no prompt (source config); 89.582273 ms on the clock, 58.26154
     * of them executing. */
    const struct op *op = find_op(&a, "toolu_01VRiFALIKuY7rg2ElwuszDe");
    ASSERT_TRUE(op != NULL);
    ASSERT_STREQ(op->tool, "Glob");
    ASSERT_EQ_INT(op->ask, OP_ASK_NO);
    check_phase(op, OP_PH_WALL, 89.582273, OP_EX_EXACT, PHS_TRACE);
    check_phase(op, OP_PH_EXEC, 58.26154, OP_EX_EXACT, PHS_TRACE);
    check_phase(op, OP_PH_WAIT, 0, OP_EX_DERIVED, PHS_RULE);
    /* The Bash the person approved after about 2 s. */
    op = find_op(&a, "toolu_016N7H5aZA0R64aNqD9WFJBl");
    ASSERT_TRUE(op != NULL);
    ASSERT_EQ_INT(op->ask, OP_ASK_ASKED);
    ASSERT_EQ_INT(op->success, 1);
    check_phase(op, OP_PH_WALL, 2081.761502, OP_EX_EXACT, PHS_TRACE);
    check_phase(op, OP_PH_EXEC, 81.43155, OP_EX_EXACT, PHS_TRACE);
    check_phase(op, OP_PH_WAIT, 1999.208093, OP_EX_EXACT, PHS_TRACE);
    ASSERT_CONTAINS(op->meta, "\"decision_source\":\"user_temporary\"");
    /* The Write the person rejected after about 1 s: it never ran. */
    op = find_op(&a, "toolu_01PJ8XnU7qFXQOajt7p3ZJbu");
    ASSERT_TRUE(op != NULL);
    ASSERT_STREQ(op->tool, "Write");
    ASSERT_EQ_INT(op->success, 0);
    ASSERT_STREQ(op->error, "rejected (user_reject)");
    check_phase(op, OP_PH_WAIT, 1003.398982, OP_EX_EXACT, PHS_TRACE);
    check_phase(op, OP_PH_EXEC, NAN, OP_EX_UNKNOWN, PHS_NONE);
    check_phase(op, OP_PH_WALL, NAN, OP_EX_UNKNOWN, PHS_NONE);
    /* The Bash the hook blocked: no prompt, no execution. */
    op = find_op(&a, "toolu_014xSm6tC2Ft7wArBfkxIc31");
    ASSERT_TRUE(op != NULL);
    ASSERT_EQ_INT(op->ask, OP_ASK_NO);
    ASSERT_EQ_INT(op->success, 0);
    ASSERT_STREQ(op->error, "rejected (hook)");
    ASSERT_TRUE(isnan(op->duration_ms));
    /* The failed Read: the execution span's error. */
    op = find_op(&a, "toolu_01pXjgcenSAGGMZ872qEyWjI");
    ASSERT_TRUE(op != NULL);
    ASSERT_EQ_INT(op->success, 0);
    ASSERT_STREQ(op->error, "File does not exist. Note: your current working directory is "
                            "/tmp/toolprof-fixtures/project.");
    ASSERT_STREQ(op->target, "/tmp/toolprof-fixtures/project/src/missing.py");

    /* A model request: the span's times, its attributes. */
    const struct request *r = find_req(&a, "req_mock000001");
    ASSERT_TRUE(r != NULL);
    ASSERT_EQ_DBL(r->duration_ms, 101.848411, 1e-6);
    ASSERT_EQ_DBL(r->ttft_ms, 37, 0);
    ASSERT_EQ_INT(r->input_tokens, 100);
    ASSERT_EQ_INT(r->output_tokens, 20);
    ASSERT_STREQ(r->model, "claude-sonnet-4-5");
    ASSERT_EQ_INT(r->exact, OP_EX_EXACT);
    ASSERT_EQ_INT(r->src, PHS_TRACE);
    /* WebFetch's own request to a small model (inside the tool's call). */
    r = find_req(&a, "req_mock000015");
    ASSERT_TRUE(r != NULL);
    ASSERT_STREQ(r->model, "claude-haiku-5-5");
    for (int f = 0; f < 3; f++)
        otlp_out_free(&a.out[f]);
}

/* A view of some of a batch's spans (pointing into it; not freed). */
static struct otlp_batch view(const struct otlp_batch *b, struct otlp_span *spans, size_t n)
{
    struct otlp_batch v;
    memset(&v, 0, sizeof v);
    v.signal = b->signal;
    v.spans = spans;
    v.nspans = n;
    return v;
}

static int is_child(const struct otlp_span *sp)
{
    return strcmp(sp->name, "claude_code.tool.blocked_on_user") == 0 ||
           strcmp(sp->name, "claude_code.tool.execution") == 0;
}

/* The children of 29-traces.json in one request, the rest in the next: the
 * joins pair them as if they had come together; without joins the calls
 * keep only what their own span says. */
static void test_children_first(void)
{
    struct otlp_batch b;
    decode("29-traces.json", &b);
    struct otlp_span *kids = xcalloc(b.nspans, sizeof *kids),
                     *rest = xcalloc(b.nspans, sizeof *rest);
    size_t nk = 0, nr = 0;
    for (size_t i = 0; i < b.nspans; i++) {
        if (is_child(&b.spans[i]))
            kids[nk++] = b.spans[i];
        else
            rest[nr++] = b.spans[i];
    }
    ASSERT_EQ_INT(nk, 3);
    char err[TP_ERR_MAX];
    for (int with = 0; with < 2; with++) {
        struct otlp_joins *j = with ? otlp_joins_new() : NULL;
        struct otlp_batch v1 = view(&b, kids, nk), v2 = view(&b, rest, nr);
        struct otlp_out o1, o2;
        struct otlp_counts c1, c2;
        ASSERT_EQ_INT(otlp_map(&v1, NOW, j, &o1, &c1, err), 0);
        ASSERT_EQ_INT(o1.nops, 0);
        ASSERT_EQ_INT(c1.used, with ? 3 : 0);
        ASSERT_EQ_INT(c1.ignored, with ? 0 : 3);
        if (j)
            ASSERT_EQ_INT(otlp_joins_pending(j), 3);
        ASSERT_EQ_INT(otlp_map(&v2, NOW, j, &o2, &c2, err), 0);
        ASSERT_EQ_INT(o2.nops, 2);
        const struct op *bash = strcmp(o2.ops[0].tool, "Bash") == 0 ? &o2.ops[0] : &o2.ops[1];
        ASSERT_STREQ(bash->tool_use_id, "toolu_016N7H5aZA0R64aNqD9WFJBl");
        check_phase(bash, OP_PH_WALL, 2081.761502, OP_EX_EXACT, PHS_TRACE);
        if (with) {
            ASSERT_EQ_INT(otlp_joins_pending(j), 0);
            check_phase(bash, OP_PH_EXEC, 81.43155, OP_EX_EXACT, PHS_TRACE);
            check_phase(bash, OP_PH_WAIT, 1999.208093, OP_EX_EXACT, PHS_TRACE);
            ASSERT_EQ_INT(bash->ask, OP_ASK_ASKED);
        } else {
            /* Nothing says whether it asked: no exec is made up of its wall. */
            ASSERT_EQ_INT(bash->ask, OP_ASK_UNKNOWN);
            check_phase(bash, OP_PH_EXEC, NAN, OP_EX_UNKNOWN, PHS_NONE);
        }
        otlp_out_free(&o1);
        otlp_out_free(&o2);
        otlp_joins_free(j);
    }
    free(kids);
    free(rest);
    otlp_batch_free(&b);
}

/* The other way round, as concurrent exports may deliver them: the tool
 * spans of 29-traces.json first, then each child in a request of its own.
 * Each child becomes a second report of its call, with the call's key and
 * what the child says; merged as the store merges them, the call has the
 * phases it gets when they come together. */
static void test_children_after(void)
{
    struct otlp_batch b;
    decode("29-traces.json", &b);
    struct otlp_span *kids = xcalloc(b.nspans, sizeof *kids),
                     *rest = xcalloc(b.nspans, sizeof *rest);
    size_t nk = 0, nr = 0;
    for (size_t i = 0; i < b.nspans; i++) {
        if (is_child(&b.spans[i]))
            kids[nk++] = b.spans[i];
        else
            rest[nr++] = b.spans[i];
    }
    ASSERT_EQ_INT(nk, 3);
    char err[TP_ERR_MAX];
    struct otlp_joins *j = otlp_joins_new();
    struct otlp_batch v = view(&b, rest, nr);
    struct otlp_out o;
    struct otlp_counts c;
    ASSERT_EQ_INT(otlp_map(&v, NOW, j, &o, &c, err), 0);
    ASSERT_EQ_INT(o.nops, 2);
    const struct op *first = strcmp(o.ops[0].tool, "Bash") == 0 ? &o.ops[0] : &o.ops[1];
    ASSERT_STREQ(first->tool_use_id, "toolu_016N7H5aZA0R64aNqD9WFJBl");
    check_phase(first, OP_PH_EXEC, NAN, OP_EX_UNKNOWN, PHS_NONE);
    struct op_phases bash;
    op_phases_get(first, &bash);
    int bash_ok = first->success, late = 0;
    for (size_t i = 0; i < nk; i++) {
        struct otlp_batch vk = view(&b, &kids[i], 1);
        struct otlp_out ok;
        struct otlp_counts ck;
        ASSERT_EQ_INT(otlp_map(&vk, NOW, j, &ok, &ck, err), 0);
        ASSERT_EQ_INT(ck.used, 1);
        ASSERT_EQ_INT(ok.nops, 1);
        const struct op *r = &ok.ops[0];
        for (size_t p = 0; p < o.nops; p++)
            if (strcmp(o.ops[p].tool_use_id, r->tool_use_id) == 0)
                ASSERT_EQ_INT(r->ts_ms, o.ops[p].ts_ms);
        if (strcmp(r->tool_use_id, "toolu_016N7H5aZA0R64aNqD9WFJBl") == 0) {
            struct op_phases n;
            op_phases_get(r, &n);
            op_phases_merge(&bash, &n, 0, NULL);
            bash_ok &= r->success;
            late++;
        }
        otlp_out_free(&ok);
    }
    ASSERT_EQ_INT(late, 2); /* the Bash's blocked and execution spans */
    ASSERT_EQ_INT(otlp_joins_pending(j), 0);
    ASSERT_EQ_INT(bash_ok, 1);
    ASSERT_EQ_INT(bash.ask, OP_ASK_ASKED);
    struct op merged;
    op_init(&merged);
    op_phases_put(&merged, &bash);
    merged.tool_use_id = "toolu_016N7H5aZA0R64aNqD9WFJBl";
    check_phase(&merged, OP_PH_WALL, 2081.761502, OP_EX_EXACT, PHS_TRACE);
    check_phase(&merged, OP_PH_EXEC, 81.43155, OP_EX_EXACT, PHS_TRACE);
    check_phase(&merged, OP_PH_WAIT, 1999.208093, OP_EX_EXACT, PHS_TRACE);
    otlp_out_free(&o);
    otlp_joins_free(j);
    free(kids);
    free(rest);
    otlp_batch_free(&b);
}

/* The joins hold at most TP_OTLP_JOIN_MAX children: the oldest go. */
static void test_joins_bounded(void)
{
    struct otlp_batch b;
    decode("29-traces.json", &b);
    struct otlp_span kid;
    for (size_t i = 0; i < b.nspans; i++)
        if (strcmp(b.spans[i].name, "claude_code.tool.execution") == 0)
            kid = b.spans[i];
    struct otlp_joins *j = otlp_joins_new();
    char err[TP_ERR_MAX];
    for (int i = 0; i < TP_OTLP_JOIN_MAX + 10; i++) {
        kid.parent_id[0] = (unsigned char)i;
        kid.parent_id[1] = (unsigned char)(i >> 8);
        struct otlp_batch v = view(&b, &kid, 1);
        struct otlp_out o;
        ASSERT_EQ_INT(otlp_map(&v, NOW, j, &o, NULL, err), 0);
        otlp_out_free(&o);
    }
    ASSERT_EQ_INT(otlp_joins_pending(j), TP_OTLP_JOIN_MAX);
    otlp_joins_free(j);
    otlp_batch_free(&b);
}

TEST_MAIN(TEST_CASE(test_recorded_traces), TEST_CASE(test_children_first),
          TEST_CASE(test_children_after), TEST_CASE(test_joins_bounded))
