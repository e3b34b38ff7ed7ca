/*
 * ch_spool.c - every write of the ClickHouse store goes through a local
 * spool, and one writer per process empties it into ClickHouse in batches.
 *
 * Why a spool: ClickHouse wants few large inserts, not one per request
 * (each insert makes a part on disk that it merges later), and a team
 * server must keep accepting calls while ClickHouse is down or slow. So a
 * write (store_insert_groups) appends its calls to ch-spool.<id>.db, a
 * SQLite database in the data directory (one commit, synchronous=FULL: once
 * it returns, the calls survive a crash), then waits up to TP_CH_WAIT_MS
 * for the writer to report them written; if ClickHouse does not answer by
 * then they stay queued (store_result.queued) and are written when it is
 * back, in the order they came. The spool is bounded (TP_CH_SPOOL_MAX_MB,
 * or $TOOLPROF_CH_SPOOL_MB): past it a write fails with TP_EBUSY (the HTTP
 * API answers 503 and Retry-After, and `push` retries).
 *
 * The writer is a thread, one per process and spool, started by the first
 * store that opens it and stopped when the last one closes. Only one
 * process at a time writes a spool (an exclusive flock on its .lock file):
 * a command run beside the server queues its calls and the server's writer
 * writes them. The writer takes the oldest queued items up to
 * TP_CH_BATCH_OPS calls, waiting up to TP_CH_BATCH_WAIT_MS for a small
 * batch to fill, and turns them into one batch (ch_write.c).
 *
 * Never twice, never lost: a batch is numbered (a version larger than any
 * before it). What it will insert, per table and month, is written to the
 * spool's journal (`inflight`) in the same SQLite transaction that removes
 * its items from the queue and records their counts (`done`). Then each
 * block is inserted and its journal entry removed. ClickHouse writes one
 * part per table and partition atomically, so after a failure (ClickHouse
 * killed, a timeout, this process killed) each remaining journal entry is
 * either wholly in ClickHouse or not at all; before anything else the
 * writer looks which (ops rows carry the batch in `bver`, aggregates carry a
 * marker row of the batch) and inserts only what is missing. Replacing
 * tables (turns, requests, import marks) are simply written again. No later batch
 * starts before the journal is empty, so every batch reads the versions the
 * ones before it wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ch_int.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "opbin.h"

#define SPOOL_SCHEMA                                                                               \
    "CREATE TABLE IF NOT EXISTS q(id INTEGER PRIMARY KEY, enq_ms INTEGER NOT NULL,"                \
    "  person TEXT NOT NULL, host TEXT NOT NULL, nops INTEGER NOT NULL, bytes INTEGER NOT NULL,"   \
    "  mark BLOB, payload BLOB NOT NULL);"                                                         \
    "CREATE TABLE IF NOT EXISTS inflight(batch INTEGER NOT NULL, tbl TEXT NOT NULL,"               \
    "  month INTEGER NOT NULL, chk INTEGER NOT NULL, rows BLOB NOT NULL,"                          \
    "  PRIMARY KEY(batch, tbl, month));"                                                           \
    "CREATE TABLE IF NOT EXISTS done(qid INTEGER PRIMARY KEY, batch INTEGER NOT NULL,"             \
    "  ins INTEGER NOT NULL, mer INTEGER NOT NULL, unc INTEGER NOT NULL, at_ms INTEGER NOT NULL);" \
    "CREATE TABLE IF NOT EXISTS rejected(qid INTEGER PRIMARY KEY, why TEXT, payload BLOB);"        \
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"

struct ch_writer {
    struct ch_writer *next;
    char path[4200], lock_path[4210];
    int refs;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* work queued, batch written, stop */
    pthread_t thread;
    int started, stop;
    int64_t stop_deadline_ms; /* monotonic: when stopping, give up writing then */
    int submitted;            /* this process queued calls: stopping waits for them */
    struct chstore ch;        /* the writer thread's own connection */
    sqlite3 *db;              /* the writer thread's spool connection */
    int lockfd, locked;
    struct kmap known;   /* names written by this process */
    uint64_t generation; /* batches finished: waiters look again */
    /* Status, for /healthz and resources. */
    int error;
    char message[TP_ERR_MAX];
    int64_t failing_since_ms, backoff_ms;
};

static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ch_writer *writers;

static int64_t mono_ms(void)
{
    return tpt_mono_ns() / 1000000;
}

static int spool_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : TP_EDB;
}

static int spool_open_db(const char *path, int full_sync, sqlite3 **out, char *errbuf)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        int rc = tp_fail(errbuf, TP_EIO, "cannot open the ClickHouse spool %s: %s", path,
                         db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    if (spool_exec(db, "PRAGMA journal_mode=WAL") != 0 ||
        spool_exec(db, full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") != 0 ||
        spool_exec(db, SPOOL_SCHEMA) != 0) {
        int rc = tp_fail(errbuf, TP_EIO, "cannot use the ClickHouse spool %s: %s", path,
                         sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

static int64_t one_int(sqlite3 *db, const char *sql, int64_t dflt)
{
    sqlite3_stmt *q;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return dflt;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static int64_t spool_max_bytes(void)
{
    const char *e = getenv("TOOLPROF_CH_SPOOL_MB");
    long long mb = e && *e ? strtoll(e, NULL, 10) : 0;
    if (mb <= 0)
        mb = TP_CH_SPOOL_MAX_MB;
    return (int64_t)mb * 1024 * 1024;
}

/* ---- status --------------------------------------------------------------------- */

static void set_error(struct ch_writer *w, int rc, const char *msg)
{
    pthread_mutex_lock(&w->mu);
    if (!w->error) {
        w->failing_since_ms = tpt_now_ms();
        fprintf(stderr, "toolprof: ClickHouse store: %s (calls wait in the local spool)\n", msg);
    }
    w->error = rc;
    snprintf(w->message, sizeof w->message, "%s", msg);
    w->backoff_ms = w->backoff_ms ? 2 * w->backoff_ms : 250;
    if (w->backoff_ms > TP_CH_RETRY_MAX_MS)
        w->backoff_ms = TP_CH_RETRY_MAX_MS;
    pthread_mutex_unlock(&w->mu);
}

static void clear_error(struct ch_writer *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->error)
        fprintf(stderr, "toolprof: ClickHouse store: writing again\n");
    w->error = 0;
    w->message[0] = '\0';
    w->failing_since_ms = 0;
    w->backoff_ms = 0;
    pthread_mutex_unlock(&w->mu);
}

/* Sleep up to ms, or until stopped or woken. Called without w->mu. */
static void nap(struct ch_writer *w, int64_t ms)
{
    pthread_mutex_lock(&w->mu);
    if (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (ms % 1000) * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->cond, &w->mu, &ts);
    }
    pthread_mutex_unlock(&w->mu);
}

/* ---- the journal ------------------------------------------------------------------- */

/* Write every journal entry that is still there, oldest batch first, each
 * unless it is in ClickHouse already. */
static int recover(struct ch_writer *w, char *errbuf)
{
    for (;;) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(w->db,
                               "SELECT batch, tbl, month, chk, rows FROM inflight "
                               "ORDER BY batch, tbl DESC, month LIMIT 1",
                               -1, &q, NULL) != SQLITE_OK)
            return tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
        int rc = sqlite3_step(q);
        if (rc != SQLITE_ROW) {
            sqlite3_finalize(q);
            return rc == SQLITE_DONE
                       ? 0
                       : tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
        }
        struct ch_block blk;
        memset(&blk, 0, sizeof blk);
        uint64_t batch = (uint64_t)sqlite3_column_int64(q, 0);
        snprintf(blk.table, sizeof blk.table, "%s", (const char *)sqlite3_column_text(q, 1));
        blk.month = (uint32_t)sqlite3_column_int64(q, 2);
        blk.check = sqlite3_column_int(q, 3);
        size_t len = (size_t)sqlite3_column_bytes(q, 4);
        buf_init(&blk.rows, len + 1);
        buf_add(&blk.rows, sqlite3_column_blob(q, 4), len);
        sqlite3_finalize(q);
        rc = ch_block_write(&w->ch, batch, &blk, errbuf);
        buf_free(&blk.rows);
        if (rc)
            return rc;
        char sql[200];
        snprintf(sql, sizeof sql,
                 "DELETE FROM inflight WHERE batch = %llu AND tbl = '%s' AND month = %u",
                 (unsigned long long)batch, blk.table, blk.month);
        if (spool_exec(w->db, sql) != 0)
            return tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
    }
}

/* ---- taking a batch ----------------------------------------------------------------- */

static int decode_mark(const void *blob, size_t n, struct store_mark *m, char **path)
{
    const unsigned char *p = blob, *end = p + n;
    uint64_t off, size, mtime, inode;
    *path = NULL;
    if (opbin_get_str(&p, end, 8192, path) || !*path || opbin_get_uv(&p, end, &off) ||
        opbin_get_uv(&p, end, &size) || opbin_get_uv(&p, end, &mtime) ||
        opbin_get_uv(&p, end, &inode))
        return TP_EPARSE;
    m->path = *path;
    m->offset = (int64_t)off;
    m->size = (int64_t)size;
    m->mtime_ns = (int64_t)mtime;
    m->inode = inode;
    /* Where to resume and the fingerprint (store_mark); a spool written
     * before they existed ends here: resume at the offset, no
     * fingerprint. */
    m->resume = m->offset;
    m->fp_len = -1;
    m->fp_hash = 0;
    if (p < end) {
        uint64_t resume, fp_len1, fp_hash;
        if (opbin_get_uv(&p, end, &resume) || opbin_get_uv(&p, end, &fp_len1) ||
            opbin_get_uv(&p, end, &fp_hash) || resume > off || fp_len1 > off + 1)
            return TP_EPARSE;
        m->resume = (int64_t)resume;
        m->fp_len = (int64_t)fp_len1 - 1;
        m->fp_hash = fp_hash;
    }
    return 0;
}

/* Decode one queued item's payload into it. */
static int decode_item(struct ch_item *it, const void *payload, size_t len, char *errbuf)
{
    const unsigned char *p = payload, *end = p + len;
    struct opbin_rec r;
    opbin_rec_init(&r);
    size_t aops = 0, aturns = 0, areqs = 0;
    int tag;
    while ((tag = opbin_get(&p, end, &r, errbuf)) > 0) {
        if (tag == OPBIN_OP) {
            if (it->nops == aops) {
                aops = aops ? 2 * aops : 64;
                it->ops = xreallocarray(it->ops, aops, sizeof *it->ops);
                it->sources = xreallocarray(it->sources, aops, sizeof *it->sources);
            }
            it->ops[it->nops] = r.op;
            it->sources[it->nops++] = r.sources;
            op_init(&r.op);
        } else if (tag == OPBIN_TURN) {
            if (it->nturns == aturns) {
                aturns = aturns ? 2 * aturns : 16;
                it->turns = xreallocarray(it->turns, aturns, sizeof *it->turns);
            }
            it->turns[it->nturns++] = r.turn;
            turn_init(&r.turn);
        } else {
            if (it->nreqs == areqs) {
                areqs = areqs ? 2 * areqs : 16;
                it->reqs = xreallocarray(it->reqs, areqs, sizeof *it->reqs);
            }
            it->reqs[it->nreqs++] = r.req;
            request_init(&r.req);
        }
    }
    opbin_rec_clear(&r);
    return tag < 0 ? tag : 0;
}

void ch_item_free(struct ch_item *it)
{
    for (size_t i = 0; i < it->nops; i++)
        op_clear(&it->ops[i]);
    for (size_t i = 0; i < it->nturns; i++)
        turn_clear(&it->turns[i]);
    for (size_t i = 0; i < it->nreqs; i++)
        request_clear(&it->reqs[i]);
    free(it->ops);
    free(it->sources);
    free(it->turns);
    free(it->reqs);
    free(it->person);
    free(it->host);
    free((char *)it->mark.path);
    memset(it, 0, sizeof *it);
}

/* The oldest queued items, up to TP_CH_BATCH_OPS calls (at least one
 * item). *oldest_ms gets the enqueue time of the first. */
static int take_items(struct ch_writer *w, struct ch_item **out, size_t *n, int64_t *ops,
                      int64_t *oldest_ms, char *errbuf)
{
    sqlite3_stmt *q;
    *out = NULL;
    *n = 0;
    *ops = 0;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT id, enq_ms, person, host, nops, mark, payload FROM q "
                           "ORDER BY id LIMIT 10000",
                           -1, &q, NULL) != SQLITE_OK)
        return tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t nops = sqlite3_column_int64(q, 4);
        if (*n && *ops + nops > TP_CH_BATCH_OPS)
            break;
        if (*n == alloc) {
            alloc = alloc ? 2 * alloc : 16;
            *out = xreallocarray(*out, alloc, sizeof **out);
        }
        struct ch_item *it = &(*out)[*n];
        memset(it, 0, sizeof *it);
        it->qid = sqlite3_column_int64(q, 0);
        if (*n == 0)
            *oldest_ms = sqlite3_column_int64(q, 1);
        it->person = xstrdup((const char *)sqlite3_column_text(q, 2));
        it->host = xstrdup((const char *)sqlite3_column_text(q, 3));
        char why[TP_ERR_MAX] = "";
        int bad = 0;
        if (sqlite3_column_type(q, 5) == SQLITE_BLOB) {
            char *path;
            if (decode_mark(sqlite3_column_blob(q, 5), (size_t)sqlite3_column_bytes(q, 5),
                            &it->mark, &path) != 0) {
                free(path);
                snprintf(why, sizeof why, "bad import mark");
                bad = 1;
            } else {
                it->has_mark = 1;
            }
        }
        if (!bad && decode_item(it, sqlite3_column_blob(q, 6), (size_t)sqlite3_column_bytes(q, 6),
                                why) != 0)
            bad = 1;
        if (bad) {
            /* Only a damaged spool file can hold this: set the item aside
             * (never dropped) rather than block everything behind it. */
            fprintf(stderr, "toolprof: ClickHouse spool: item %lld set aside: %s\n",
                    (long long)it->qid, why);
            char sql[200];
            snprintf(sql, sizeof sql,
                     "INSERT OR REPLACE INTO rejected SELECT id, 'unreadable', payload FROM q "
                     "WHERE id = %lld; DELETE FROM q WHERE id = %lld",
                     (long long)it->qid, (long long)it->qid);
            sqlite3_finalize(q);
            spool_exec(w->db, sql);
            ch_item_free(it);
            for (size_t i = 0; i < *n; i++)
                ch_item_free(&(*out)[i]);
            free(*out);
            *out = NULL;
            *n = 0;
            return 0; /* the caller takes again */
        }
        *ops += nops;
        (*n)++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
    return 0;
}

/* A batch number larger than every earlier one of this spool: the time in
 * microseconds, and never less than the last one plus one. */
static uint64_t next_batch(struct ch_writer *w)
{
    uint64_t now = (uint64_t)tpt_now_ms() * 1000;
    uint64_t last = (uint64_t)one_int(w->db, "SELECT v FROM meta WHERE k = 'batch'", 0);
    return now > last ? now : last + 1;
}

/* Journal the batch, dequeue its items and record their counts: one
 * transaction. */
static int journal(struct ch_writer *w, const struct ch_batch *b, struct ch_item *items, size_t n,
                   char *errbuf)
{
    if (spool_exec(w->db, "BEGIN IMMEDIATE") != 0)
        return tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
    sqlite3_stmt *ins = NULL, *del = NULL, *done = NULL;
    int ok =
        sqlite3_prepare_v2(w->db, "INSERT INTO inflight VALUES(?1, ?2, ?3, ?4, ?5)", -1, &ins,
                           NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(w->db, "DELETE FROM q WHERE id = ?1", -1, &del, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO done VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1,
                           &done, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < b->nblocks; i++) {
        const struct ch_block *k = &b->blocks[i];
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, (int64_t)b->id);
        sqlite3_bind_text(ins, 2, k->table, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, k->month);
        sqlite3_bind_int(ins, 4, k->check);
        sqlite3_bind_blob(ins, 5, k->rows.data ? k->rows.data : "", (int)k->rows.len,
                          SQLITE_STATIC);
        ok = sqlite3_step(ins) == SQLITE_DONE;
    }
    int64_t now = tpt_now_ms();
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_reset(del);
        sqlite3_bind_int64(del, 1, items[i].qid);
        ok = sqlite3_step(del) == SQLITE_DONE;
        sqlite3_reset(done);
        sqlite3_bind_int64(done, 1, items[i].qid);
        sqlite3_bind_int64(done, 2, (int64_t)b->id);
        sqlite3_bind_int64(done, 3, (int64_t)items[i].res.inserted);
        sqlite3_bind_int64(done, 4, (int64_t)items[i].res.merged);
        sqlite3_bind_int64(done, 5, (int64_t)items[i].res.unchanged);
        sqlite3_bind_int64(done, 6, now);
        ok = ok && sqlite3_step(done) == SQLITE_DONE;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    sqlite3_finalize(done);
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES('batch', %lld)",
             (long long)b->id);
    ok = ok && spool_exec(w->db, sql) == 0;
    /* Counts nobody came for (their writer gave up waiting, or died). */
    snprintf(sql, sizeof sql, "DELETE FROM done WHERE at_ms < %lld",
             (long long)(now - 24 * 3600 * 1000LL));
    ok = ok && spool_exec(w->db, sql) == 0;
    if (!ok || spool_exec(w->db, "COMMIT") != 0) {
        int rc = tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(w->db));
        spool_exec(w->db, "ROLLBACK");
        return rc;
    }
    return 0;
}

/* One round: finish the journal, then one batch. Returns 1 when it wrote
 * a batch, 2 when it waited for a small one to fill, 0 when the queue is
 * empty, <0 on an error. */
static int round_once(struct ch_writer *w, char *errbuf)
{
    int rc = recover(w, errbuf);
    if (rc)
        return rc;
    struct ch_item *items;
    size_t n;
    int64_t ops, oldest = 0;
    if ((rc = take_items(w, &items, &n, &ops, &oldest, errbuf)) != 0)
        return rc;
    if (n == 0)
        return 0;
    pthread_mutex_lock(&w->mu);
    int stopping = w->stop;
    pthread_mutex_unlock(&w->mu);
    int64_t age = tpt_now_ms() - oldest;
    if (ops < TP_CH_BATCH_OPS && age >= 0 && age < TP_CH_BATCH_WAIT_MS && !stopping && n < 10000) {
        for (size_t i = 0; i < n; i++)
            ch_item_free(&items[i]);
        free(items);
        nap(w, TP_CH_BATCH_WAIT_MS - age);
        return 2;
    }
    struct ch_batch b;
    memset(&b, 0, sizeof b);
    b.id = next_batch(w);
    kmap_init(&b.names);
    rc = ch_batch_build(&w->ch, items, n, b.id, &w->known, &b, errbuf);
    if (rc == 0)
        rc = journal(w, &b, items, n, errbuf);
    for (size_t i = 0; rc == 0 && i < b.names.n; i++) {
        size_t len;
        const void *key = kmap_key(&b.names, i, &len);
        int added;
        kmap_put(&w->known, key, len, &added);
    }
    ch_batch_free(&b);
    for (size_t i = 0; i < n; i++)
        ch_item_free(&items[i]);
    free(items);
    if (rc)
        return rc;
    /* Write what was journaled. */
    if ((rc = recover(w, errbuf)) != 0)
        return rc;
    return 1;
}

/* Nothing queued, nothing journaled. */
static int spool_empty(struct ch_writer *w)
{
    return one_int(w->db, "SELECT (SELECT count(*) FROM q) + (SELECT count(*) FROM inflight)", 1) ==
           0;
}

static void *writer_main(void *arg)
{
    struct ch_writer *w = arg;
    char errbuf[TP_ERR_MAX];
    for (;;) {
        pthread_mutex_lock(&w->mu);
        int stop = w->stop, submitted = w->submitted;
        int64_t deadline = w->stop_deadline_ms;
        pthread_mutex_unlock(&w->mu);
        /* Stopping: done when another process writes this spool, when this
         * one queued nothing itself, when all is written, or at the
         * deadline (what is left waits for the next writer). */
        if (stop && (!w->locked || !submitted || mono_ms() >= deadline || spool_empty(w)))
            break;
        if (!w->locked) {
            if (flock(w->lockfd, LOCK_EX | LOCK_NB) == 0) {
                w->locked = 1;
            } else {
                nap(w, 250); /* another process writes this spool */
                continue;
            }
        }
        int rc = round_once(w, errbuf);
        if (rc < 0) {
            set_error(w, rc, errbuf);
            pthread_mutex_lock(&w->mu);
            int64_t wait = w->backoff_ms;
            pthread_mutex_unlock(&w->mu);
            nap(w, wait);
            continue;
        }
        if (rc == 1) {
            clear_error(w);
            pthread_mutex_lock(&w->mu);
            w->generation++;
            pthread_cond_broadcast(&w->cond);
            pthread_mutex_unlock(&w->mu);
            continue;
        }
        if (rc == 0)
            nap(w, 250);
    }
    if (w->locked) {
        flock(w->lockfd, LOCK_UN);
        w->locked = 0;
    }
    return NULL;
}

/* ---- the process's writers ----------------------------------------------------------- */

int ch_writer_get(struct chstore *ch, char *errbuf)
{
    char name[64], path[4200];
    uint64_t h = hash_str(ch->conf.display);
    snprintf(name, sizeof name, "ch-spool.%08x.db", (unsigned)(h & 0xffffffffu));
    if (fs_join(path, sizeof path, ch->dir, name) != 0)
        return tp_fail(errbuf, TP_EINVAL, "data directory path too long");
    pthread_mutex_lock(&writers_mu);
    struct ch_writer *w = writers;
    while (w && strcmp(w->path, path) != 0)
        w = w->next;
    if (w) {
        w->refs++;
        ch->w = w;
        pthread_mutex_unlock(&writers_mu);
        return 0;
    }
    w = xcalloc(1, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(w->lock_path, sizeof w->lock_path, "%s.lock", path);
    int rc = fs_mkdirs(ch->dir, 0700, errbuf);
    if (rc == 0)
        rc = spool_open_db(path, 0, &w->db, errbuf);
    if (rc == 0) {
        w->lockfd = open(w->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (w->lockfd < 0)
            rc = tp_fail(errbuf, TP_EIO, "cannot open %s: %s", w->lock_path, strerror(errno));
    }
    if (rc == 0) {
        w->ch.conf = ch->conf;
        snprintf(w->ch.dir, sizeof w->ch.dir, "%s", ch->dir);
        buf_init(&w->ch.sql, 256 * 1024 * 1024);
        buf_init(&w->ch.resp, 1024 * 1024);
        if (!(w->ch.http = httpc_new(errbuf)))
            rc = TP_EUNSUPP;
    }
    if (rc) {
        if (w->db)
            sqlite3_close(w->db);
        if (w->lockfd > 0)
            close(w->lockfd);
        buf_free(&w->ch.sql);
        buf_free(&w->ch.resp);
        free(w);
        pthread_mutex_unlock(&writers_mu);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    kmap_init(&w->known);
    w->refs = 1;
    if (pthread_create(&w->thread, NULL, writer_main, w) == 0)
        w->started = 1;
    w->next = writers;
    writers = w;
    ch->w = w;
    pthread_mutex_unlock(&writers_mu);
    return 0;
}

void ch_writer_put(struct chstore *ch)
{
    struct ch_writer *w = ch->w;
    if (!w)
        return;
    ch->w = NULL;
    pthread_mutex_lock(&writers_mu);
    if (--w->refs > 0) {
        pthread_mutex_unlock(&writers_mu);
        return;
    }
    for (struct ch_writer **p = &writers; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_mutex_unlock(&writers_mu);
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    w->stop_deadline_ms = mono_ms() + ch->close_wait_ms;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    if (w->started)
        pthread_join(w->thread, NULL);
    sqlite3_close(w->db);
    close(w->lockfd);
    httpc_free(w->ch.http);
    buf_free(&w->ch.sql);
    buf_free(&w->ch.resp);
    ch_strs_free(&w->ch.strs);
    kmap_free(&w->known);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* ---- submitting -------------------------------------------------------------------- */

static void encode_mark(struct buf *b, const struct store_mark *m)
{
    opbin_put_str(b, m->path);
    opbin_put_uv(b, (uint64_t)(m->offset > 0 ? m->offset : 0));
    opbin_put_uv(b, (uint64_t)(m->size > 0 ? m->size : 0));
    opbin_put_uv(b, (uint64_t)(m->mtime_ns > 0 ? m->mtime_ns : 0));
    opbin_put_uv(b, m->inode);
    opbin_put_uv(b, (uint64_t)(m->resume > 0 ? m->resume : 0));
    opbin_put_uv(b, (uint64_t)(m->fp_len >= 0 ? m->fp_len + 1 : 0));
    opbin_put_uv(b, m->fp_hash);
}

/* Queue the groups in one transaction; ids[] get their queue ids. */
static int enqueue(struct chstore *ch, struct store_group *groups, size_t ngroups, int64_t *ids,
                   char *errbuf)
{
    int rc;
    if (!ch->spool && (rc = spool_open_db(ch->w->path, 1, &ch->spool, errbuf)) != 0)
        return rc;
    sqlite3 *db = ch->spool;
    if (spool_exec(db, "BEGIN IMMEDIATE") != 0)
        return tp_fail(errbuf, TP_EBUSY, "the ClickHouse spool is busy: %s", sqlite3_errmsg(db));
    int64_t have = one_int(db, "SELECT coalesce(sum(bytes), 0) FROM q", 0), max = spool_max_bytes();
    struct buf payload, mark;
    buf_init(&payload, (size_t)1 << 31);
    buf_init(&mark, 16384);
    sqlite3_stmt *ins = NULL;
    rc = sqlite3_prepare_v2(db,
                            "INSERT INTO q(enq_ms, person, host, nops, bytes, mark, payload) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            -1, &ins, NULL) == SQLITE_OK
             ? 0
             : TP_EIO;
    for (size_t g = 0; g < ngroups && rc == 0; g++) {
        struct store_group *grp = &groups[g];
        buf_reset(&payload);
        buf_reset(&mark);
        for (size_t i = 0; i < grp->n && rc == 0; i++)
            rc = opbin_put_op(&payload, &grp->ops[i], grp->sources ? grp->sources[i] : 0);
        for (size_t i = 0; i < grp->nturns && rc == 0; i++)
            rc = opbin_put_turn(&payload, &grp->turns[i]);
        for (size_t i = 0; i < grp->nreqs && rc == 0; i++)
            rc = opbin_put_request(&payload, &grp->reqs[i]);
        if (rc) {
            rc = tp_fail(errbuf, TP_ETOOBIG, "a write of more than 2 GB");
            break;
        }
        have += (int64_t)payload.len;
        if (have > max) {
            rc = tp_fail(errbuf, TP_EBUSY,
                         "ClickHouse is not keeping up and the local spool is full (%lld MB): "
                         "retry later",
                         (long long)(max >> 20));
            break;
        }
        if (grp->mark)
            encode_mark(&mark, grp->mark);
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, tpt_now_ms());
        sqlite3_bind_text(ins, 2, grp->person ? grp->person : ch->person, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, grp->host ? grp->host : ch->host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, (int64_t)grp->n);
        sqlite3_bind_int64(ins, 5, (int64_t)payload.len);
        if (grp->mark)
            sqlite3_bind_blob(ins, 6, mark.data, (int)mark.len, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 7, payload.data ? payload.data : "", (int)payload.len,
                          SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(db));
        else
            ids[g] = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(ins);
    buf_free(&payload);
    buf_free(&mark);
    if (rc == 0 && spool_exec(db, "COMMIT") != 0)
        rc = tp_fail(errbuf, TP_EIO, "the ClickHouse spool: %s", sqlite3_errmsg(db));
    if (rc)
        spool_exec(db, "ROLLBACK");
    return rc;
}

/* Collect the counts of the groups whose items are written: 1 when all are. */
static int collect(sqlite3 *db, struct store_group *groups, size_t ngroups, const int64_t *ids,
                   int *got)
{
    int all = 1;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT d.ins, d.mer, d.unc FROM done d WHERE d.qid = ?1 AND NOT "
                           "EXISTS (SELECT 1 FROM inflight i WHERE i.batch = d.batch)",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (got[g])
            continue;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, ids[g]);
        if (sqlite3_step(q) == SQLITE_ROW) {
            groups[g].res.inserted = (size_t)sqlite3_column_int64(q, 0);
            groups[g].res.merged = (size_t)sqlite3_column_int64(q, 1);
            groups[g].res.unchanged = (size_t)sqlite3_column_int64(q, 2);
            got[g] = 1;
        } else {
            all = 0;
        }
    }
    sqlite3_finalize(q);
    return all;
}

int ch_writer_submit(struct chstore *ch, struct store_group *groups, size_t ngroups, char *errbuf)
{
    struct ch_writer *w = ch->w;
    for (size_t g = 0; g < ngroups; g++)
        memset(&groups[g].res, 0, sizeof groups[g].res);
    int64_t *ids = xcalloc(ngroups ? ngroups : 1, sizeof *ids);
    int *got = xcalloc(ngroups ? ngroups : 1, sizeof *got);
    int rc = enqueue(ch, groups, ngroups, ids, errbuf);
    if (rc) {
        free(ids);
        free(got);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    w->submitted = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);

    /* While ClickHouse fails, nobody waits for it: the calls are safe in
     * the spool, and the writer writes them when it can. */
    pthread_mutex_lock(&w->mu);
    int failing = w->error != 0;
    pthread_mutex_unlock(&w->mu);
    int64_t wait = ch->close_wait_ms < TP_CH_WAIT_MS ? ch->close_wait_ms : TP_CH_WAIT_MS;
    int64_t deadline = mono_ms() + (failing ? 0 : wait);
    int all = 0;
    for (;;) {
        all = collect(ch->spool, groups, ngroups, ids, got);
        if (all || mono_ms() >= deadline)
            break;
        /* Woken by the writer after each batch; the timeout covers
         * another process's writer. */
        pthread_mutex_lock(&w->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->cond, &w->mu, &ts);
        pthread_mutex_unlock(&w->mu);
    }
    sqlite3_stmt *del;
    if (sqlite3_prepare_v2(ch->spool, "DELETE FROM done WHERE qid = ?1", -1, &del, NULL) ==
        SQLITE_OK) {
        for (size_t g = 0; g < ngroups; g++) {
            if (!got[g])
                continue;
            sqlite3_reset(del);
            sqlite3_bind_int64(del, 1, ids[g]);
            sqlite3_step(del);
        }
        sqlite3_finalize(del);
    }
    for (size_t g = 0; g < ngroups; g++)
        if (!got[g])
            groups[g].res.queued = groups[g].n;
    free(ids);
    free(got);
    return 0;
}

void ch_writer_status(struct chstore *ch, struct store_spool *out)
{
    memset(out, 0, sizeof *out);
    struct ch_writer *w = ch->w;
    out->max_bytes = spool_max_bytes();
    if (!w)
        return;
    sqlite3 *db = NULL;
    char err[TP_ERR_MAX];
    if (spool_open_db(w->path, 0, &db, err) == 0) {
        out->queued_ops = one_int(db, "SELECT coalesce(sum(nops), 0) FROM q", 0);
        out->queued_bytes = one_int(db, "SELECT coalesce(sum(bytes), 0) FROM q", 0);
        out->inflight = one_int(db, "SELECT count(DISTINCT batch) FROM inflight", 0);
        out->rejected = one_int(db, "SELECT count(*) FROM rejected", 0);
        sqlite3_close(db);
    }
    pthread_mutex_lock(&w->mu);
    out->error = w->error;
    snprintf(out->message, sizeof out->message, "%s", w->message);
    out->failing_since_ms = w->failing_since_ms;
    pthread_mutex_unlock(&w->mu);
}
