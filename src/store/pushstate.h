/*
 * pushstate.h - what `toolprof push` has already sent to one team server.
 *
 * A push remembers, in a small SQLite file of its own in the data directory
 * (one per team server URL, named by ingest/push.c), three maps from a
 * 64-bit key to a 64-bit value:
 *
 *   PUSHSTATE_CALLS     a call's key (its id in its hour, hashed) -> the
 *                       hash of its encoding as last sent;
 *   PUSHSTATE_SESSIONS  a session's key -> the hash of its turns and model
 *                       requests as last sent;
 *   PUSHSTATE_DAYS      a UTC day -> the fingerprint of its daily
 *                       aggregates when all its calls had been sent.
 *
 * A record whose hash equals the one stored is not sent again; a day whose
 * fingerprint is unchanged is not read again. Entries are saved only once
 * the server has answered the batch that carried them, all of a batch in
 * one transaction, so the file never says something was sent that was not.
 * Nothing else reads or writes this file; the store keeps it because only
 * the store talks to SQLite.
 */
#ifndef TOOLPROF_PUSHSTATE_H
#define TOOLPROF_PUSHSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum pushstate_map {
    PUSHSTATE_CALLS = 0,
    PUSHSTATE_SESSIONS = 1,
    PUSHSTATE_DAYS = 2,
};

/* One entry to save: key -> value in map. */
struct pushstate_entry {
    int64_t key, value;
    enum pushstate_map map;
};

struct pushstate;

/* Open the push state file at path, creating it (and its tables) when
 * missing; WAL, and a 10 s wait for a lock held by another push to the same
 * server. Returns 0 with *out set (free with pushstate_close), or TP_EIO
 * with errbuf saying "cannot use PATH: why" and *out NULL. */
TP_MUST_CHECK int pushstate_open(const char *path, struct pushstate **out, char *errbuf);

/* The value stored for key in map: 1 with *value set, or 0 when there is
 * none. A read that fails counts as none (the record is then sent again,
 * which the server takes as unchanged: never a loss). */
int pushstate_get(struct pushstate *ps, enum pushstate_map map, int64_t key, int64_t *value);

/* Save, in one transaction, the n entries e and then ndays day
 * fingerprints (days[i] -> fps[i] in PUSHSTATE_DAYS: a push collects them
 * apart from its batch's records), each replacing what its key held.
 * Returns 0, or TP_EIO with errbuf saying "push state: why" and nothing of
 * it saved. */
TP_MUST_CHECK int pushstate_save(struct pushstate *ps, const struct pushstate_entry *e, size_t n,
                                 const int64_t *days, const int64_t *fps, size_t ndays,
                                 char *errbuf);

/* Close the file; ps may be NULL. */
void pushstate_close(struct pushstate *ps);

#endif
