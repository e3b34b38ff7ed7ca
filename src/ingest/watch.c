/*
 * watch.c - the live import thread of `toolprof serve` (see watch.h).
 *
 * The thread sleeps in poll() on two descriptors: the inotify descriptor
 * and the read end of a pipe that watch_stop() writes to. Its timeout is
 * the nearest of: the deadline of a pending (debounced) file, the next
 * poll of the roots when polling, and the next check for missing roots.
 *
 * inotify watches directories, not files: a directory watch reports the
 * creation, modification and arrival of every file in it, which is all we
 * need, and Claude Code creates a new directory per session for its
 * sub-agents. Watch descriptors are small integers handed out in order, so
 * the directory of each is kept in an array indexed by it. A new
 * directory gets its own watches (recursively) and is imported as a whole,
 * since files may have been written into it before the watch existed.
 *
 * Changed files wait in a small pending list until they have been quiet
 * for the debounce interval, so that a burst of appends costs one import;
 * a file written continuously is still imported every WATCH_MAX_DELAY_MS.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "store/store.h"

#define WATCH_MASK                                                                                 \
    (IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_EXCL_UNLINK)

struct pending {
    char *path;
    int is_dir;          /* import the whole folder */
    int agent;           /* whose root it is under (enum importer_agent) */
    int64_t first_ns;    /* first change not yet imported */
    int64_t deadline_ns; /* import when quiet until then */
};

struct watch {
    pthread_t thread;
    int stop_pipe[2];
    struct store *s;
    struct watch_opts o;
    struct importer_root *roots;
    size_t nroots;
    char *missing; /* per root: 1 while it does not exist */

    int ifd;               /* inotify, -1 when polling */
    char **wd_dir;         /* directory of each watch descriptor */
    int *wd_agent;         /* and the agent whose root it is under */
    unsigned char *wd_rec; /* and whether its new subdirectories are followed */
    size_t wd_alloc;

    struct pending *pend;
    size_t npend;

    int64_t next_poll_ns;
    int cancel;         /* set by watch_stop(), read by the importer (atomics) */
    pthread_mutex_t mu; /* guards totals and use_inotify */
    struct importer_stats totals;
    int use_inotify;
};

/* ---- statistics ------------------------------------------------------- */

static void account(struct watch *w, const struct importer_stats *st)
{
    pthread_mutex_lock(&w->mu);
    importer_stats_add(&w->totals, st);
    pthread_mutex_unlock(&w->mu);
    if (w->o.on_import && (st->res.inserted || st->res.merged))
        w->o.on_import(w->o.ctx, st);
}

void watch_stats(struct watch *w, struct importer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->totals;
    pthread_mutex_unlock(&w->mu);
}

int watch_uses_inotify(struct watch *w)
{
    pthread_mutex_lock(&w->mu);
    int v = w->use_inotify;
    pthread_mutex_unlock(&w->mu);
    return v;
}

/* ---- importing -------------------------------------------------------- */

static void import_opts(const struct watch *w, struct importer_opts *io)
{
    importer_opts_init(io);
    io->report = w->o.report;
    io->progress = IMPORTER_PROGRESS_OFF;
    io->jsonl_only = 1;
    io->cancel = &w->cancel;
}

/* Import folders of `agent`'s roots (or every existing root when paths is
 * NULL). Returns 0 or the store error that made it stop. */
static int import_dirs(struct watch *w, const char *const *paths, size_t n, int agent)
{
    struct importer_opts io;
    struct importer_stats st = {0};
    char eb[TP_ERR_MAX];
    int rc;
    import_opts(w, &io);
    io.root_agent = agent;
    if (!paths) {
        struct importer_root *list = xcalloc(w->nroots ? w->nroots : 1, sizeof *list);
        size_t k = 0;
        for (size_t i = 0; i < w->nroots; i++)
            if (!w->missing[i])
                list[k++] = w->roots[i];
        rc = k ? importer_run_roots(w->s, list, k, &io, &st, eb) : 0;
        free(list);
    } else {
        rc = n ? importer_run(w->s, paths, n, &io, &st, eb) : 0;
    }
    if (rc == TP_ENOTFOUND)
        rc = 0; /* a folder removed since: nothing to import */
    if (rc != 0 && rc != TP_EAGAIN && w->o.report)
        fprintf(w->o.report, "toolprof: live import: %s\n", eb);
    account(w, &st);
    return rc;
}

static int import_file(struct watch *w, const char *path)
{
    struct importer_opts io;
    struct importer_stats st = {0};
    char eb[TP_ERR_MAX];
    import_opts(w, &io);
    int rc = importer_file(w->s, path, &io, &st, eb);
    if (rc == TP_ENOTFOUND)
        rc = 0; /* deleted or renamed away before we got to it */
    else if (rc != 0 && rc != TP_EAGAIN && w->o.report)
        fprintf(w->o.report, "toolprof: live import: %s\n", eb);
    account(w, &st);
    return rc;
}

/* ---- inotify ---------------------------------------------------------- */

static void stop_inotify(struct watch *w, const char *why)
{
    if (w->ifd < 0)
        return;
    close(w->ifd);
    w->ifd = -1;
    for (size_t i = 0; i < w->wd_alloc; i++) {
        free(w->wd_dir[i]);
        w->wd_dir[i] = NULL;
    }
    pthread_mutex_lock(&w->mu);
    w->use_inotify = 0;
    pthread_mutex_unlock(&w->mu);
    if (w->o.report)
        fprintf(w->o.report, "toolprof: %s; watching transcripts by polling every %d ms\n", why,
                w->o.poll_ms);
}

/* Watch dir and (when recursive) every directory below it, as part of a
 * root of agent. Returns 0, or -1 when inotify had to be given up (out of
 * watches). */
static int add_watches(struct watch *w, const char *dir, int depth, int agent, int recursive)
{
    if (w->ifd < 0)
        return -1;
    if (depth > 64)
        return 0; /* deeper than any transcript layout: a link loop */
    int wd = inotify_add_watch(w->ifd, dir, WATCH_MASK);
    if (wd < 0) {
        if (errno == ENOSPC || errno == ENOMEM) {
            stop_inotify(w, "out of inotify watches (fs.inotify.max_user_watches)");
            return -1;
        }
        return 0; /* gone, or not a directory: nothing to watch */
    }
    if ((size_t)wd >= w->wd_alloc) {
        size_t n = w->wd_alloc ? w->wd_alloc : 64;
        while (n <= (size_t)wd)
            n *= 2;
        w->wd_dir = xreallocarray(w->wd_dir, n, sizeof *w->wd_dir);
        w->wd_agent = xreallocarray(w->wd_agent, n, sizeof *w->wd_agent);
        w->wd_rec = xreallocarray(w->wd_rec, n, sizeof *w->wd_rec);
        memset(w->wd_dir + w->wd_alloc, 0, (n - w->wd_alloc) * sizeof *w->wd_dir);
        w->wd_alloc = n;
    }
    if (w->wd_dir[wd]) {
        /* The same directory again (reached through a link): its
         * subdirectories are watched already. */
        return 0;
    }
    w->wd_dir[wd] = xstrdup(dir);
    w->wd_agent[wd] = agent;
    w->wd_rec[wd] = (unsigned char)recursive;
    if (!recursive)
        return 0;

    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = xmalloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc = add_watches(w, p, depth + 1, agent, recursive);
        free(p);
    }
    closedir(d);
    return rc;
}

static void pend_add(struct watch *w, const char *path, int is_dir, int agent)
{
    int64_t now = tpt_mono_ns();
    int64_t debounce = (int64_t)w->o.debounce_ms * 1000000;
    for (size_t i = 0; i < w->npend; i++) {
        struct pending *p = &w->pend[i];
        if (p->is_dir == is_dir && strcmp(p->path, path) == 0) {
            int64_t cap = p->first_ns + (int64_t)WATCH_MAX_DELAY_MS * 1000000;
            p->deadline_ns = now + debounce < cap ? now + debounce : cap;
            return;
        }
    }
    w->pend = xreallocarray(w->pend, w->npend + 1, sizeof *w->pend);
    w->pend[w->npend++] = (struct pending){.path = xstrdup(path),
                                           .is_dir = is_dir,
                                           .agent = agent,
                                           .first_ns = now,
                                           .deadline_ns = now + debounce};
}

/* Drain the inotify queue. */
static void read_events(struct watch *w)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof buf);
        if (n <= 0)
            return; /* EAGAIN: drained */
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                /* Events were lost: look at everything once. */
                w->next_poll_ns = 0;
                continue;
            }
            if (ev->wd < 0 || (size_t)ev->wd >= w->wd_alloc || !w->wd_dir[ev->wd])
                continue;
            if (ev->mask & IN_IGNORED) {
                free(w->wd_dir[ev->wd]);
                w->wd_dir[ev->wd] = NULL;
                continue;
            }
            if (!ev->len)
                continue;
            const char *dir = w->wd_dir[ev->wd];
            int agent = w->wd_agent[ev->wd];
            size_t len = strlen(dir) + strlen(ev->name) + 2;
            char *path = xmalloc(len);
            snprintf(path, len, "%s/%s", dir, ev->name);
            if (ev->mask & IN_ISDIR) {
                if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && w->wd_rec[ev->wd]) {
                    if (add_watches(w, path, 0, agent, 1) == 0)
                        pend_add(w, path, 1, agent);
                    else
                        w->next_poll_ns = 0;
                }
            } else {
                char *target = importer_watch_target(dir, ev->name, agent);
                if (target)
                    pend_add(w, target, 0, agent);
                free(target);
            }
            free(path);
            if (w->ifd < 0)
                return; /* gave up inotify while handling this batch */
        }
    }
}

/* ---- the thread ------------------------------------------------------- */

static void check_missing(struct watch *w)
{
    for (size_t i = 0; i < w->nroots; i++) {
        struct stat st;
        if (!w->missing[i] || stat(w->roots[i].path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        w->missing[i] = 0;
        if (w->ifd >= 0)
            add_watches(w, w->roots[i].path, 0, w->roots[i].agent, w->roots[i].recursive);
        struct importer_opts io;
        struct importer_stats st2 = {0};
        char eb[TP_ERR_MAX];
        import_opts(w, &io);
        int rc = importer_run_roots(w->s, &w->roots[i], 1, &io, &st2, eb);
        if (rc != 0 && rc != TP_EAGAIN && rc != TP_ENOTFOUND && w->o.report)
            fprintf(w->o.report, "toolprof: live import: %s\n", eb);
        account(w, &st2);
    }
}

static int any_missing(const struct watch *w)
{
    for (size_t i = 0; i < w->nroots; i++)
        if (w->missing[i])
            return 1;
    return 0;
}

/* Import the pending entries whose deadline has passed. */
static void run_due(struct watch *w)
{
    int64_t now = tpt_mono_ns();
    for (size_t i = 0; i < w->npend;) {
        struct pending *p = &w->pend[i];
        if (p->deadline_ns > now) {
            i++;
            continue;
        }
        const char *one[] = {p->path};
        int rc = p->is_dir ? import_dirs(w, one, 1, p->agent) : import_file(w, p->path);
        if (rc == TP_EBUSY || rc == TP_EDB) {
            /* The database is busy (another importer, a long query):
             * try again later rather than lose the change. */
            p->first_ns = now;
            p->deadline_ns = now + (int64_t)w->o.poll_ms * 1000000;
            i++;
            continue;
        }
        free(p->path);
        w->pend[i] = w->pend[--w->npend];
    }
}

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    int64_t poll_ns = (int64_t)w->o.poll_ms * 1000000;

    for (size_t i = 0; i < w->nroots; i++) {
        struct stat st;
        w->missing[i] = stat(w->roots[i].path, &st) != 0 || !S_ISDIR(st.st_mode);
        if (!w->missing[i] && w->ifd >= 0)
            add_watches(w, w->roots[i].path, 0, w->roots[i].agent, w->roots[i].recursive);
    }
    /* Watches first, then the catch-up import: a line written in between
     * is seen by both, which the marks and the store make harmless. */
    import_dirs(w, NULL, 0, 0);
    if (w->o.summary) {
        struct importer_stats st;
        watch_stats(w, &st);
        fprintf(w->o.summary, "imported %s, and following as they are written:\n",
                w->cancel ? "(stopped early)" : "what the agents have written so far");
        importer_summary(w->o.summary, &st, w->roots, w->nroots);
        fflush(w->o.summary);
    }
    w->next_poll_ns = tpt_mono_ns() + poll_ns;

    for (;;) {
        int64_t now = tpt_mono_ns();
        int64_t wake = INT64_MAX;
        if (w->ifd < 0 || any_missing(w))
            wake = w->next_poll_ns;
        for (size_t i = 0; i < w->npend; i++)
            if (w->pend[i].deadline_ns < wake)
                wake = w->pend[i].deadline_ns;
        if (w->next_poll_ns == 0)
            wake = now;
        int timeout = -1;
        if (wake != INT64_MAX)
            timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);

        struct pollfd fds[2] = {{.fd = w->stop_pipe[0], .events = POLLIN},
                                {.fd = w->ifd, .events = POLLIN}};
        int r = poll(fds, w->ifd >= 0 ? 2 : 1, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (w->ifd >= 0 && (fds[1].revents & POLLIN))
            read_events(w);

        now = tpt_mono_ns();
        if (now >= w->next_poll_ns) {
            if (any_missing(w))
                check_missing(w);
            /* Polling mode, or an inotify overflow: a full incremental
             * pass (unchanged files are skipped by their marks). */
            if (w->ifd < 0 || w->next_poll_ns == 0)
                import_dirs(w, NULL, 0, 0);
            w->next_poll_ns = now + poll_ns;
        }
        run_due(w);
    }
    return NULL;
}

/* ---- start / stop ----------------------------------------------------- */

static void watch_free(struct watch *w)
{
    if (!w)
        return;
    if (w->ifd >= 0)
        close(w->ifd);
    for (size_t i = 0; i < w->wd_alloc; i++)
        free(w->wd_dir[i]);
    free(w->wd_dir);
    free(w->wd_agent);
    free(w->wd_rec);
    for (size_t i = 0; i < w->npend; i++)
        free(w->pend[i].path);
    free(w->pend);
    importer_free_agent_roots(w->roots, w->nroots);
    free(w->missing);
    if (w->stop_pipe[0] >= 0)
        close(w->stop_pipe[0]);
    if (w->stop_pipe[1] >= 0)
        close(w->stop_pipe[1]);
    store_close(w->s);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static int start(const char *data_dir, struct importer_root *roots, size_t nroots,
                 const struct watch_opts *opts, struct watch **out, char *errbuf)
{
    struct watch *w = xcalloc(1, sizeof *w);
    int rc;
    w->ifd = -1;
    w->stop_pipe[0] = w->stop_pipe[1] = -1;
    pthread_mutex_init(&w->mu, NULL);
    if (opts)
        w->o = *opts;
    if (w->o.debounce_ms <= 0)
        w->o.debounce_ms = WATCH_DEBOUNCE_MS;
    if (w->o.poll_ms <= 0)
        w->o.poll_ms = WATCH_POLL_MS;

    w->roots = roots;
    w->nroots = nroots;
    if (!nroots) {
        rc = tp_fail(errbuf, TP_ENOTFOUND,
                     "no session folder to watch: neither HOME nor CLAUDE_CONFIG_DIR is set");
        goto fail;
    }
    w->missing = xcalloc(w->nroots, 1);

    /* The connection is opened here, so that a bad data directory is an
     * error of `serve` itself, and then used by the thread alone. */
    if ((rc = store_open(data_dir, 0, &w->s, errbuf)) != 0)
        goto fail;
    if (pipe2(w->stop_pipe, O_CLOEXEC) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (!w->o.force_poll) {
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->ifd < 0 && w->o.report)
            fprintf(w->o.report,
                    "toolprof: inotify unavailable (%s); watching transcripts by polling\n",
                    strerror(errno));
    }
    w->use_inotify = w->ifd >= 0;
    if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot start the watch thread: %s", strerror(rc));
        goto fail;
    }
    *out = w;
    return 0;

fail:
    watch_free(w);
    *out = NULL;
    return rc;
}

int watch_start_roots(const char *data_dir, const struct importer_root *roots, size_t nroots,
                      const struct watch_opts *opts, struct watch **out, char *errbuf)
{
    struct importer_root *own = NULL;
    size_t n = 0;
    if (nroots) {
        own = xcalloc(nroots, sizeof *own);
        for (size_t i = 0; i < nroots; i++) {
            own[i] = roots[i];
            own[i].path = xstrdup(roots[i].path);
        }
        n = nroots;
    } else {
        importer_agent_roots(&own, &n);
    }
    return start(data_dir, own, n, opts, out, errbuf);
}

int watch_start(const char *data_dir, const char *const *roots, size_t nroots,
                const struct watch_opts *opts, struct watch **out, char *errbuf)
{
    if (!nroots)
        return watch_start_roots(data_dir, NULL, 0, opts, out, errbuf);
    struct importer_root *own = xcalloc(nroots, sizeof *own);
    for (size_t i = 0; i < nroots; i++) {
        own[i].path = xstrdup(roots[i]);
        own[i].agent = IMPORTER_CLAUDE;
        own[i].recursive = 1;
    }
    return start(data_dir, own, nroots, opts, out, errbuf);
}

void watch_stop(struct watch *w)
{
    if (!w)
        return;
    ssize_t n;
    /* Cancel a long import (the first one can be the whole history), then
     * wake the thread. */
    __atomic_store_n(&w->cancel, 1, __ATOMIC_RELAXED);
    do
        n = write(w->stop_pipe[1], "x", 1);
    while (n < 0 && errno == EINTR);
    pthread_join(w->thread, NULL);
    watch_free(w);
}
