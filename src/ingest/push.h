/*
 * push.h - sending a machine's calls to a team server.
 *
 * Each machine keeps recording locally (the hook, imports, the watcher,
 * into its own store) and sends what it recorded to a team server
 * (docs/team.md): `toolprof push --to URL --token T` once, or `toolprof
 * serve --upstream URL --token T` continuously. The server stores the calls
 * under the token's person, with this machine's name as their host.
 *
 * What has been sent is remembered in the data directory (push.<id>.db,
 * one per team server): for each call the hash of what was sent last, and
 * for each session that of its turns and model requests. A pass reads the
 * store, sends in batches what is new or changed since (a call that gained
 * a better duration is sent again; the server merges it), and records a
 * batch as sent once the server has answered it. So a push that is
 * interrupted (the network, either side killed) resumes where it stopped,
 * and sending something twice is harmless: the server keys calls by
 * (person, tool_use_id).
 *
 * A full pass compares every stored call. An incremental pass (what the
 * server does every few seconds) reads only the days whose aggregates
 * changed since their calls were sent, and the last two days; it leaves a
 * change no aggregate shows (a call gaining an error text, say) to the full
 * pass the server makes every hour.
 */
#ifndef TOOLPROF_PUSH_H
#define TOOLPROF_PUSH_H

#include <stddef.h>
#include <stdio.h>

#include "store/store.h"

struct push_opts {
    const char *url;   /* the team server: http(s)://host:port */
    const char *token; /* the person's token */
    const char *host;  /* this machine's name (NULL: $TOOLPROF_HOST, else the hostname) */
    size_t batch;      /* calls per request (0: TP_PUSH_BATCH) */
    int full;          /* compare every stored call (else the incremental pass) */
    int max_tries;     /* attempts of one request before giving up (0: until cancelled) */
    FILE *report;      /* a line per batch (NULL: quiet) */
    const int *cancel; /* set (atomically) to stop between requests; may be NULL */
};

struct push_stats {
    size_t calls, turns, requests; /* sent */
    size_t batches;
    size_t inserted, merged, unchanged, queued; /* as the server counted them */
};

/* One pass over store s. Returns 0 when everything new was sent (or
 * nothing was), TP_EIO when the server stayed unreachable (or answered
 * 5xx/503) for max_tries attempts, TP_EINVAL when it refused (401, 403,
 * 400, 413: errbuf has its message), TP_EAGAIN when cancelled. What was
 * answered before an error stays recorded as sent. */
int push_run(struct store *s, const struct push_opts *o, struct push_stats *st, char *errbuf);

/* Check a team server URL: 0 or TP_EINVAL. */
int push_check_url(const char *url, char *errbuf);

#endif
