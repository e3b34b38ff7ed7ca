/*
 * commitq.h - group commit for the server's writes.
 *
 * Every POST of one operation would otherwise be its own transaction,
 * writing a handful of WAL pages for one row and six rollup rows. Request
 * threads hand their validated operations to commitq_insert(), which
 * blocks until they are committed; whichever thread finds no commit in
 * progress becomes the leader, takes everything queued so far and stores
 * it in one transaction (store_insert_groups) on its own connection, then
 * wakes the others with their own counts. Under load a commit carries as
 * many requests as arrived during the previous one; alone, a request pays
 * no more than before.
 */
#ifndef TOOLPROF_COMMITQ_H
#define TOOLPROF_COMMITQ_H

#include <stddef.h>

#include "store/store.h"

/* Operations one commit takes at most. */
#define COMMITQ_MAX_OPS 50000

struct commitq;

struct commitq *commitq_new(void);
void commitq_free(struct commitq *q);

/* Store ops (normalized) using s (the calling thread's store) when this
 * thread leads. Returns what store_insert() would: 0, TP_EBUSY, TP_EDB
 * (errbuf filled); *res receives this request's counts. */
int commitq_insert(struct commitq *q, struct store *s, struct op *ops, size_t n,
                   struct store_result *res, char *errbuf);
/* The same for a whole group (ops, turns and model requests); its res
 * receives this request's counts. */
int commitq_insert_group(struct commitq *q, struct store *s, struct store_group *g, char *errbuf);

#endif
