/*
 * commitq.c - group commit (see commitq.h).
 *
 * Jobs live on their submitters' stacks; the queue links them. The lock
 * guards the queue, the leader flag and each job's result fields; the
 * commit itself runs unlocked, so new jobs keep queueing behind it.
 */
#include "commitq.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/xmalloc.h"

struct job {
    struct store_group *g; /* the submitter's: ops, turns, requests */
    size_t n;              /* its ops */
    int rc;
    char err[TP_ERR_MAX];
    int done;
    struct job *next;
};

struct commitq {
    pthread_mutex_t lock;
    pthread_cond_t done;
    struct job *head, *tail;
    int leading;
};

struct commitq *commitq_new(void)
{
    struct commitq *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->done, NULL);
    return q;
}

void commitq_free(struct commitq *q)
{
    if (!q)
        return;
    pthread_cond_destroy(&q->done);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* Lead one commit: take queued jobs (at most COMMITQ_MAX_OPS operations,
 * at least one job) and store them. Called and returns with the lock held. */
static void lead(struct commitq *q, struct store *s)
{
    struct job *batch = q->head, *last = batch;
    assert(batch && !q->leading); /* called with a job queued, no other leader */
    size_t njobs = 1, nops = batch->n;
    while (last->next && nops + last->next->n <= COMMITQ_MAX_OPS) {
        last = last->next;
        nops += last->n;
        njobs++;
    }
    q->head = last->next;
    if (!q->head)
        q->tail = NULL;
    last->next = NULL;
    q->leading = 1;
    pthread_mutex_unlock(&q->lock);

    struct store_group *groups = xcalloc(njobs, sizeof *groups);
    size_t g = 0;
    for (struct job *j = batch; j; j = j->next, g++) {
        groups[g] = *j->g;
        memset(&groups[g].res, 0, sizeof groups[g].res);
    }
    char err[TP_ERR_MAX] = "";
    int rc = store_insert_groups(s, groups, njobs, err);

    pthread_mutex_lock(&q->lock);
    g = 0;
    for (struct job *j = batch, *next; j; j = next, g++) {
        next = j->next;
        j->rc = rc;
        j->g->res = groups[g].res;
        if (rc)
            memcpy(j->err, err, sizeof err);
        j->done = 1;
    }
    free(groups);
    q->leading = 0;
    pthread_cond_broadcast(&q->done);
}

int commitq_insert_group(struct commitq *q, struct store *s, struct store_group *g, char *errbuf)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.g = g;
    j.n = g->n;
    pthread_mutex_lock(&q->lock);
    if (q->tail)
        q->tail->next = &j;
    else
        q->head = &j;
    q->tail = &j;
    while (!j.done) {
        if (!q->leading)
            lead(q, s);
        else
            pthread_cond_wait(&q->done, &q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    if (j.rc)
        memcpy(errbuf, j.err, TP_ERR_MAX);
    return j.rc;
}

int commitq_insert(struct commitq *q, struct store *s, struct op *ops, size_t n,
                   struct store_result *res, char *errbuf)
{
    struct store_group g;
    memset(&g, 0, sizeof g);
    g.ops = ops;
    g.n = n;
    int rc = commitq_insert_group(q, s, &g, errbuf);
    if (res) {
        res->inserted += g.res.inserted;
        res->merged += g.res.merged;
        res->unchanged += g.res.unchanged;
    }
    return rc;
}
