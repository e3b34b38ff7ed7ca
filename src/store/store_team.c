/*
 * store_team.c - what only the team store (ClickHouse) knows: who made each
 * call and where, and its local spool. On the SQLite store these say
 * "nothing": a SQLite store is one person's (store.h).
 */
#include <string.h>

#include "chstore.h"
#include "store_int.h"

int store_team(const struct store *s)
{
    return s->ch != NULL;
}

int store_people(struct store *s, store_person_cb cb, void *ctx)
{
    if (s->ch)
        return chstore_people(s, cb, ctx);
    return 0;
}

int store_spool(struct store *s, struct store_spool *out)
{
    if (s->ch)
        return chstore_spool(s, out);
    memset(out, 0, sizeof *out);
    return 0;
}
