/*
 * watch.h - live import of every agent's session files for `toolprof serve`.
 *
 * A watcher is one thread with its own store connection. It first imports
 * its roots incrementally (a file already imported costs an open() and the
 * two 4 KB reads of its fingerprint, filemark.h), then follows them: with
 * inotify, every directory under the roots is watched (new directories as
 * they appear), and a transcript that changes is imported once it has been
 * quiet for the debounce interval (or after WATCH_MAX_DELAY_MS of
 * continuous writing). When inotify is not available, runs out of watches,
 * or overflows its queue, the watcher falls back to importing the roots
 * every poll interval; unchanged files are skipped by their marks, so a
 * poll is cheap (about 25 us a file). Roots that do not exist yet are
 * checked every poll interval and followed once they appear.
 *
 * Errors after the start (a file that vanished, a database that stayed
 * locked) never stop the watcher: the file is retried at the next change
 * or poll, and messages go to opts->report.
 */
#ifndef TOOLPROF_WATCH_H
#define TOOLPROF_WATCH_H

#include <stddef.h>
#include <stdio.h>

#include "ingest/importer.h"

#define WATCH_DEBOUNCE_MS 200
#define WATCH_MAX_DELAY_MS 1000
#define WATCH_POLL_MS 2000

struct watch;

struct watch_opts {
    FILE *report;    /* malformed lines, errors; NULL: silent */
    int debounce_ms; /* 0: WATCH_DEBOUNCE_MS */
    int poll_ms;     /* 0: WATCH_POLL_MS */
    int force_poll;  /* never use inotify (network file systems, tests) */
    /* Called on the watcher's thread after each import that stored or
     * merged calls, with the counters of that import. May be NULL. */
    void (*on_import)(void *ctx, const struct importer_stats *st);
    void *ctx;
    /* When not NULL, what the first import found per agent and where it
     * looked (importer_summary()) is printed here once it is done. */
    FILE *summary;
};

/* Start watching roots[0..nroots) (Claude Code transcript folders), or
 * every agent's default roots (importer_agent_roots()) when nroots is 0,
 * importing into the store in data_dir. opts may be NULL (defaults,
 * silent). Returns 0 with *out set, or an error (the store cannot be
 * opened, the thread cannot start) with errbuf filled. */
int watch_start(const char *data_dir, const char *const *roots, size_t nroots,
                const struct watch_opts *opts, struct watch **out, char *errbuf);
/* The same with roots of any agent (copied). */
int watch_start_roots(const char *data_dir, const struct importer_root *roots, size_t nroots,
                      const struct watch_opts *opts, struct watch **out, char *errbuf);

/* Stop the thread (an import in progress stops after its current batch,
 * which is committed with its mark), close its store and free
 * everything. NULL is a no-op. */
void watch_stop(struct watch *w);

/* Totals of every import the watcher has done so far. Thread-safe. */
void watch_stats(struct watch *w, struct importer_stats *out);

/* 1 when the watcher follows the roots with inotify, 0 when it polls. */
int watch_uses_inotify(struct watch *w);

#endif
