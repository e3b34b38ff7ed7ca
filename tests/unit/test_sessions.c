/*
 * test_sessions.c - the session list: the latest ending first, at most the
 * limit (and whether the window held more), only the sessions the window
 * overlaps.
 */
#include <stdio.h>
#include <string.h>

#include "engine/sessions.h"
#include "fixture.h"

#define NOW 1795170645000LL
#define MIN 60000LL

/* Session k: its calls from start to end (minutes before NOW). */
static const struct {
    const char *id;
    int start_min, end_min;
} sess[] = {
    {"s-oldest", 600, 590}, {"s-long", 500, 20},  {"s-mid", 300, 290},
    {"s-late", 100, 95},    {"s-latest", 30, 10},
};
#define NSESS (sizeof sess / sizeof sess[0])

static int list(struct store *s, const char *window, const char *since, size_t limit,
                struct sessions *out)
{
    struct engine_query q;
    char err[TP_ERR_MAX];
    memset(&q, 0, sizeof q);
    if (engine_window_parse(window, since, NULL, NOW, &q.w, err) != 0 ||
        engine_sessions(s, &q, limit, out, err) != 0) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    return 0;
}

static void test_latest_first_and_limit(void)
{
    char *dir = fixture_tmpdir("sessions");
    struct store *s = fixture_store_open(dir);
    ASSERT_TRUE(s != NULL);
    struct op ops[2 * NSESS];
    char err[TP_ERR_MAX];
    for (size_t k = 0; k < NSESS; k++)
        for (int j = 0; j < 2; j++) {
            struct op *op = &ops[2 * k + (size_t)j];
            char id[48];
            op_init(op);
            op_sets(&op->tool, "Read");
            op_sets(&op->session_id, sess[k].id);
            snprintf(id, sizeof id, "toolu_%s_%d", sess[k].id, j);
            op_sets(&op->tool_use_id, id);
            /* Its first call at its start, its last ending at its end. */
            op->duration_ms = 1000;
            op->ts_ms = NOW - (j ? sess[k].end_min * MIN + 1000 : sess[k].start_min * MIN);
            op->source = OP_SRC_HOOK;
            ASSERT_EQ_INT(op_normalize(op, NOW, err), 0);
        }
    struct store_result r;
    ASSERT_EQ_INT(store_insert(s, ops, 2 * NSESS, NULL, &r, err), 0);
    for (size_t i = 0; i < 2 * NSESS; i++)
        op_clear(&ops[i]);

    struct sessions x;
    ASSERT_EQ_INT(list(s, "all", NULL, 2, &x), 0);
    ASSERT_EQ_INT(x.n, 2);
    ASSERT_EQ_INT(x.more, 1);
    ASSERT_STREQ(x.items[0].id, "s-latest");
    ASSERT_STREQ(x.items[1].id, "s-long"); /* ends 20 minutes ago */
    ASSERT_EQ_INT(x.items[0].calls, 2);
    sessions_free(&x);

    ASSERT_EQ_INT(list(s, "all", NULL, NSESS, &x), 0);
    ASSERT_EQ_INT(x.n, NSESS);
    ASSERT_EQ_INT(x.more, 0);
    static const char *const order[] = {"s-latest", "s-long", "s-late", "s-mid", "s-oldest"};
    for (size_t i = 0; i < NSESS; i++)
        ASSERT_STREQ(x.items[i].id, order[i]);
    sessions_free(&x);

    /* The last 4 hours: the sessions that reach into them, the long one
     * that began before too. */
    ASSERT_EQ_INT(list(s, "4h", NULL, 50, &x), 0);
    ASSERT_EQ_INT(x.n, 3);
    ASSERT_EQ_INT(x.more, 0);
    ASSERT_STREQ(x.items[2].id, "s-late");
    sessions_free(&x);
    store_close(s);
    fixture_rm_rf(dir);
    free(dir);
}

TEST_MAIN(TEST_CASE(test_latest_first_and_limit))
