/*
 * test_timeline.c - turns and model requests in the store: several sources'
 * reports of one prompt are one turn, reports of one request merge field by
 * field (the more exact duration wins, between equals the later source),
 * and the session's detail reads them back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "core/err.h"
#include "engine/sessions.h"
#include "store/store.h"
#include "store/timeline.h"

#define T0 1790000000000LL /* 2026-09-21 */
#define NOW (T0 + 86400000LL)
#define SID "5e55a000-0000-4000-8000-00000000abcd"

/* The helpers below build valid records; a record they cannot build is a
 * broken test, stopped at once. */
static void must(int rc, const char *what, const char *err)
{
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", what, err);
        abort();
    }
}

static struct turn mk_turn(int64_t start, int64_t end, double active, enum op_source src)
{
    struct turn t;
    char err[TP_ERR_MAX];
    turn_init(&t);
    op_sets(&t.session_id, SID);
    t.start_ms = start;
    t.end_ms = end;
    t.active_ms = active;
    t.source = src;
    must(turn_normalize(&t, NOW, err), "turn_normalize", err);
    return t;
}

static struct request mk_req(const char *id, int64_t start, double ms, enum op_exact ex,
                             enum op_phase_src src, int64_t in, int64_t out)
{
    struct request r;
    char err[TP_ERR_MAX];
    request_init(&r);
    op_sets(&r.id, id);
    op_sets(&r.session_id, SID);
    op_sets(&r.model, "claude-sonnet-4-5");
    r.start_ms = start;
    r.duration_ms = ms;
    r.exact = (unsigned char)ex;
    r.src = (unsigned char)src;
    r.input_tokens = in;
    r.output_tokens = out;
    r.source = src == PHS_TRACE || src == PHS_OTLP ? OP_SRC_OTLP : OP_SRC_TRANSCRIPT;
    must(request_normalize(&r, NOW, err), "request_normalize", err);
    return r;
}

/* A call, so that the session exists. */
static struct op mk_op(void)
{
    struct op op;
    char err[TP_ERR_MAX];
    op_init(&op);
    op_sets(&op.tool, "Read");
    op_sets(&op.tool_use_id, "toolu_01TimeLine000000000000001");
    op_sets(&op.session_id, SID);
    op.ts_ms = T0 + 500;
    op.duration_ms = 40;
    op.source = OP_SRC_TRANSCRIPT;
    must(op_normalize(&op, NOW, err), "op_normalize", err);
    return op;
}

static void put(struct store *s, struct op *ops, size_t nops, struct turn *t, size_t nt,
                struct request *r, size_t nr)
{
    struct store_group g = {
        .ops = ops, .n = nops, .turns = t, .nturns = nt, .reqs = r, .nreqs = nr};
    char err[TP_ERR_MAX];
    if (store_insert_groups(s, &g, 1, err) != 0)
        FAIL_("store_insert_groups: %s", err);
    ASSERT_TRUE(1);
}

struct turns_seen {
    struct turn v[8];
    size_t n;
};

static int see_turn(void *ctx, const struct turn *t)
{
    struct turns_seen *x = ctx;
    if (x->n < 8)
        x->v[x->n] = *t; /* strings are borrowed: only numbers are read */
    x->n++;
    return 0;
}

struct reqs_seen {
    struct request v[8];
    size_t n;
};

static int see_req(void *ctx, const struct request *r)
{
    struct reqs_seen *x = ctx;
    if (x->n < 8) {
        x->v[x->n] = *r;
        x->v[x->n].id = x->v[x->n].session_id = x->v[x->n].model = x->v[x->n].project = NULL;
    }
    x->n++;
    return 0;
}

static void test_turns_of_several_sources(void)
{
    char *dir = fixture_tmpdir("timeline");
    struct store *s = fixture_store_open(dir);
    struct op op = mk_op();
    /* The transcript's prompt line, OTLP's user_prompt 4 ms later, the
     * interaction span 2 ms before it with the end; then a second prompt
     * 30 s later. */
    struct turn a = mk_turn(T0, 0, NAN, OP_SRC_TRANSCRIPT);
    put(s, &op, 1, &a, 1, NULL, 0);
    struct turn b[] = {mk_turn(T0 + 4, 0, NAN, OP_SRC_OTLP),
                       mk_turn(T0 - 2, T0 + 9000, NAN, OP_SRC_OTLP),
                       mk_turn(T0 + 30000, T0 + 31000, 800, OP_SRC_TRANSCRIPT)};
    put(s, NULL, 0, b, 3, NULL, 0);
    int64_t sid = store_str_id(s, SID);
    struct turns_seen seen = {.n = 0};
    ASSERT_EQ_INT(store_turns(s, sid, see_turn, &seen), 0);
    ASSERT_EQ_INT(seen.n, 2);
    ASSERT_EQ_INT(seen.v[0].start_ms, T0); /* the first report's start stays */
    ASSERT_EQ_INT(seen.v[0].end_ms, T0 + 9000);
    ASSERT_EQ_INT(seen.v[1].start_ms, T0 + 30000);
    ASSERT_EQ_DBL(seen.v[1].active_ms, 800, 1e-9);
    /* A prompt just over the margin is a turn of its own. */
    struct turn c = mk_turn(T0 + 30000 + 501, 0, NAN, OP_SRC_OTLP);
    put(s, NULL, 0, &c, 1, NULL, 0);
    seen.n = 0;
    ASSERT_EQ_INT(store_turns(s, sid, see_turn, &seen), 0);
    ASSERT_EQ_INT(seen.n, 3);
    turn_clear(&a);
    for (size_t i = 0; i < 3; i++)
        turn_clear(&b[i]);
    turn_clear(&c);
    op_clear(&op);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

static void test_request_reports_merge(void)
{
    char *dir = fixture_tmpdir("timeline");
    struct store *s = fixture_store_open(dir);
    struct op op = mk_op();
    /* From the transcript: derived from timestamps, input tokens only. */
    struct request r1 = mk_req("req_1", T0 + 100, 520, OP_EX_DERIVED, PHS_TIMESTAMPS, 10, -1);
    put(s, &op, 1, NULL, 0, &r1, 1);
    /* From a trace span: exact, with output tokens and ttft. */
    struct request r2 = mk_req("req_1", T0 + 110, 480.5, OP_EX_EXACT, PHS_TRACE, -1, 20);
    r2.ttft_ms = 100;
    /* From the api_request event: exact too, an earlier source than a
     * trace: it does not replace the span's duration. */
    struct request r3 = mk_req("req_1", T0 + 109, 481, OP_EX_EXACT, PHS_OTLP, 10, 20);
    r3.cost_usd = 0.0125;
    struct request both[] = {r2, r3};
    put(s, NULL, 0, NULL, 0, both, 2);
    /* Another request; then a less exact report of it changes nothing. */
    struct request r4 = mk_req("req_2", T0 + 2000, 300, OP_EX_EXACT, PHS_OTLP, 5, 6);
    struct request r5 = mk_req("req_2", T0 + 1990, 330, OP_EX_DERIVED, PHS_TIMESTAMPS, 5, 6);
    struct request two[] = {r4, r5};
    put(s, NULL, 0, NULL, 0, two, 2);

    struct reqs_seen seen = {.n = 0};
    ASSERT_EQ_INT(store_requests(s, store_str_id(s, SID), 0, 0, see_req, &seen), 0);
    ASSERT_EQ_INT(seen.n, 2);
    const struct request *x = &seen.v[0];
    ASSERT_EQ_DBL(x->duration_ms, 480.5, 1e-9);
    ASSERT_EQ_INT(x->start_ms, T0 + 110);
    ASSERT_EQ_INT(x->exact, OP_EX_EXACT);
    ASSERT_EQ_INT(x->src, PHS_TRACE);
    ASSERT_EQ_DBL(x->ttft_ms, 100, 1e-9);
    ASSERT_EQ_INT(x->input_tokens, 10);
    ASSERT_EQ_INT(x->output_tokens, 20);
    ASSERT_EQ_DBL(x->cost_usd, 0.0125, 1e-9);
    x = &seen.v[1];
    ASSERT_EQ_DBL(x->duration_ms, 300, 1e-9);
    ASSERT_EQ_INT(x->start_ms, T0 + 2000);
    ASSERT_EQ_INT(x->src, PHS_OTLP);

    /* The session's detail reads them: two requests, one call. */
    struct session_detail d;
    char err[TP_ERR_MAX];
    ASSERT_EQ_INT(engine_session(s, SID, &d, err), 0);
    ASSERT_EQ_INT(d.nrequests, 2);
    ASSERT_EQ_INT(d.ncalls, 1);
    session_detail_free(&d);

    struct request *all[] = {&r1, &r2, &r3, &r4, &r5};
    for (size_t i = 0; i < 5; i++)
        request_clear(all[i]);
    op_clear(&op);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_turns_of_several_sources), TEST_CASE(test_request_reports_merge))
