/*
 * opencode_db.c - OpenCode's opencode.db into operations (see opencode.h).
 *
 * The database is read through store/extdb.h: opened read-only (a file:
 * URI with mode=ro), so it never takes a lock that would stop OpenCode
 * writing. This file knows what OpenCode's tables mean; extdb only runs
 * the queries. A database busy past OPENCODE_BUSY_MS is reported as
 * OPENCODE_BUSY and the caller goes on with its other files. Parts and
 * messages are read in pages in the order they were updated (time_updated,
 * then id), from a watermark kept in the database path's import mark, less
 * OPENCODE_SLACK_MS for rows written with an older time while the last
 * read ran. Each row becomes records through the functions opencode.c
 * shares in opencode_int.h: oc_part_op() for a tool part,
 * oc_message_request() for an assistant message.
 */
#include "opencode.h"
#include "opencode_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/jsonin.h"
#include "core/kmap.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "ingest/toolcall.h"
#include "store/extdb.h"

/* ---- the database ---------------------------------------------------------------------- */

int opencode_sniff_db(const char *head, size_t n)
{
    return n >= 16 && memcmp(head, "SQLite format 3", 16) == 0;
}

struct db {
    struct extdb *h;
    struct extdb_stmt *parts, *msgs, *sess, *msg_get, *first_tool, *turn_end;
    char *path;
};

/* The message of a failed read (rc from extdb), in OpenCode's terms. */
static int db_err(struct db *d, int rc, char *errbuf)
{
    if (rc == TP_EBUSY)
        return tp_fail(errbuf, OPENCODE_BUSY, "%s: busy (OpenCode is writing); read again later",
                       d->path);
    if (rc == TP_EPARSE)
        return tp_fail(errbuf, TP_EPARSE, "%s: not an OpenCode database (%s)", d->path,
                       extdb_errmsg(d->h));
    return tp_fail(errbuf, TP_EIO, "%s: %s", d->path, extdb_errmsg(d->h));
}

static int db_prepare(struct db *d, struct extdb_stmt **q, const char *sql, char *errbuf)
{
    int rc = extdb_prepare(d->h, sql, q);
    return rc ? db_err(d, rc, errbuf) : 0;
}

static void db_close(struct db *d)
{
    extdb_finalize(d->parts);
    extdb_finalize(d->msgs);
    extdb_finalize(d->sess);
    extdb_finalize(d->msg_get);
    extdb_finalize(d->first_tool);
    extdb_finalize(d->turn_end);
    extdb_close(d->h);
}

static int db_open(struct db *d, const char *path, char *errbuf)
{
    memset(d, 0, sizeof *d);
    d->path = (char *)path;
    int rc = extdb_open(path, OPENCODE_BUSY_MS, &d->h, errbuf);
    if (rc != 0)
        return rc;
    if ((rc = db_prepare(d, &d->parts,
                         "SELECT id, message_id, session_id, time_updated, data FROM part "
                         "WHERE (time_updated > ?1 OR (time_updated = ?1 AND id > ?2)) "
                         "AND instr(data, '\"tool\"') > 0 "
                         "ORDER BY time_updated, id LIMIT ?3",
                         errbuf)) != 0 ||
        (rc = db_prepare(d, &d->msgs,
                         "SELECT id, session_id, time_updated, data FROM message "
                         "WHERE time_updated > ?1 OR (time_updated = ?1 AND id > ?2) "
                         "ORDER BY time_updated, id LIMIT ?3",
                         errbuf)) != 0 ||
        (rc = db_prepare(d, &d->sess,
                         "SELECT parent_id, directory, version, permission FROM session "
                         "WHERE id = ?1",
                         errbuf)) != 0 ||
        (rc = db_prepare(d, &d->msg_get, "SELECT data FROM message WHERE id = ?1", errbuf)) != 0 ||
        (rc = db_prepare(d, &d->first_tool,
                         "SELECT min(json_extract(data, '$.state.time.start')) FROM part "
                         "WHERE message_id = ?1 AND json_extract(data, '$.type') = 'tool'",
                         errbuf)) != 0 ||
        (rc = db_prepare(d, &d->turn_end,
                         "SELECT max(json_extract(data, '$.time.completed')) FROM message "
                         "WHERE session_id = ?1 AND json_extract(data, '$.parentID') = ?2",
                         errbuf)) != 0) {
        db_close(d);
        return rc;
    }
    return 0;
}

/* A session of the database, with its rules (*rules: a parsed ruleset
 * the caller frees, or NULL). */
static struct oc_session *db_session(struct db *d, struct opencode_ctx *x, const char *id,
                                     cJSON **rules)
{
    *rules = NULL;
    struct oc_session *s = oc_session_find(x, id);
    extdb_bind_text(d->sess, 1, id);
    if (extdb_step(d->sess) == 1) {
        if (!s)
            s = oc_session_put(x, id, extdb_text(d->sess, 0, NULL), extdb_text(d->sess, 1, NULL),
                               extdb_text(d->sess, 2, NULL));
        const char *perm = extdb_text(d->sess, 3, NULL);
        if (perm) {
            char eb[TP_ERR_MAX];
            *rules = jin_parse(perm, strlen(perm), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
        }
    } else if (!s) {
        s = oc_session_put(x, id, NULL, NULL, NULL);
    }
    extdb_reset(d->sess);
    return s;
}

static char *db_message_model(struct db *d, const char *id, int64_t *created, char **parent)
{
    char *model = NULL;
    *created = -1;
    if (parent)
        *parent = NULL;
    extdb_bind_text(d->msg_get, 1, id);
    if (extdb_step(d->msg_get) == 1) {
        const char *data = extdb_text(d->msg_get, 0, NULL);
        char eb[TP_ERR_MAX];
        cJSON *m = data ? jin_parse(data, strlen(data), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb) : NULL;
        const char *mo = jin_str(m, "modelID");
        if (mo)
            model = xstrdup(mo);
        double c;
        if (jin_num(jin_get(m, "time"), "created", &c) == 1)
            *created = (int64_t)c;
        if (parent && jin_str(m, "parentID"))
            *parent = xstrdup(jin_str(m, "parentID"));
        cJSON_Delete(m);
    }
    extdb_reset(d->msg_get);
    return model;
}

static int64_t db_int_query(struct extdb_stmt *q, const char *a, const char *b)
{
    int64_t v = -1;
    extdb_bind_text(q, 1, a);
    if (b)
        extdb_bind_text(q, 2, b);
    if (extdb_step(q) == 1 && !extdb_is_null(q, 0))
        v = extdb_int64(q, 0);
    extdb_reset(q);
    return v;
}

/* Combined size and newest mtime of the database and its WAL. */
static int db_stat(const char *path, struct stat *db, int64_t *size, int64_t *mtime_ns)
{
    if (stat(path, db) != 0)
        return -1;
    *size = (int64_t)db->st_size;
    *mtime_ns = (int64_t)db->st_mtim.tv_sec * 1000000000LL + db->st_mtim.tv_nsec;
    char wal[PATH_MAX];
    struct stat w;
    if (snprintf(wal, sizeof wal, "%s-wal", path) < (int)sizeof wal && stat(wal, &w) == 0) {
        *size += (int64_t)w.st_size;
        int64_t m = (int64_t)w.st_mtim.tv_sec * 1000000000LL + w.st_mtim.tv_nsec;
        if (m > *mtime_ns)
            *mtime_ns = m;
    }
    return 0;
}

static int cancelled(const int *cancel)
{
    return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED);
}

int opencode_db_import(struct agentfile_batch *b, struct store *s, struct opencode_ctx *x,
                       const char *key, const char *path, int full, const int *cancel,
                       struct agentfile_stats *st, char *errbuf)
{
    struct stat sb;
    int64_t size, mtime;
    if (db_stat(path, &sb, &size, &mtime) != 0)
        return tp_fail(errbuf, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: %s", path,
                       strerror(errno));
    struct store_mark m;
    int found = 0;
    if (!full && store_mark_get(s, key, &m, &found) != 0)
        return tp_fail(errbuf, TP_EDB, "%s: reading its import mark failed", path);
    /* Only this function writes the mark of a database path (the importer
     * sends databases nowhere else). */
    int known = found && m.inode == (uint64_t)sb.st_ino && m.resume == m.offset;
    if (known && m.size == size && m.mtime_ns == mtime)
        return 1;
    int64_t watermark = known ? m.offset : 0;
    int64_t since = watermark > OPENCODE_SLACK_MS ? watermark - OPENCODE_SLACK_MS : 0;

    struct db d;
    int rc = db_open(&d, path, errbuf);
    if (rc != 0)
        return rc;
    struct agentfile_out out = {0};
    int64_t now = tpt_now_ms(), newest = watermark, hold = INT64_MAX;
    char last_id[256] = "";
    int64_t pos = since - 1;
    struct kmap parents; /* turns to close: "session\x1fuser message" */
    kmap_init(&parents);

    /* Parts, page by page. */
    for (;;) {
        extdb_bind_int64(d.parts, 1, pos);
        extdb_bind_text(d.parts, 2, last_id);
        extdb_bind_int64(d.parts, 3, OPENCODE_PAGE_ROWS);
        int rows = 0, src;
        while ((src = extdb_step(d.parts)) == 1) {
            rows++;
            const char *pid = extdb_text(d.parts, 0, NULL);
            const char *mid = extdb_text(d.parts, 1, NULL);
            const char *sid = extdb_text(d.parts, 2, NULL);
            int64_t upd = extdb_int64(d.parts, 3);
            size_t dlen;
            const char *data = extdb_text(d.parts, 4, &dlen);
            pos = upd;
            snprintf(last_id, sizeof last_id, "%s", pid ? pid : "");
            st->bytes += (uint64_t)dlen;
            st->lines++;
            char eb[TP_ERR_MAX];
            cJSON *part = data ? jin_parse(data, dlen, JIN_REPAIR, TP_MAX_JSON_DEPTH, eb) : NULL;
            const char *ty = jin_str(part, "type");
            if (!part || !ty || strcmp(ty, "tool") != 0 || !pid || !sid) {
                if (!part)
                    st->malformed++;
                cJSON_Delete(part);
                continue;
            }
            const char *status = jin_str(jin_get(part, "state"), "status");
            int final =
                status && (strcmp(status, "completed") == 0 || strcmp(status, "error") == 0);
            if (!final && now - upd < FILEMARK_FINAL_AFTER_MS) {
                /* Still running: read it again when it has finished. */
                if (upd < hold)
                    hold = upd;
                cJSON_Delete(part);
                continue;
            }
            cJSON *rules;
            struct oc_session *sess = db_session(&d, x, sid, &rules);
            int64_t created;
            char *model = mid ? db_message_model(&d, mid, &created, NULL) : NULL;
            size_t before = out.n;
            oc_part_op(&out, x, pid, part, sess, rules, model, -1);
            if (out.n == before && !final) {
                /* Never finished, and idle for hours: lost. */
                struct op *op = agentfile_out_op(&out, -1);
                op->tool = xstrdup(jin_str(part, "tool") ? jin_str(part, "tool") : "unknown");
                op->tool_use_id = xstrdup(pid);
                op->agent = xstrdup(OPENCODE_AGENT);
                op->source = OP_SRC_TRANSCRIPT;
                double t0;
                op->ts_ms = jin_num(jin_get(jin_get(part, "state"), "time"), "start", &t0) == 1
                                ? (int64_t)t0
                                : upd;
                op->session_id = xstrdup(sess && sess->parent ? sess->parent : sid);
                if (sess && sess->parent)
                    op->subagent = xstrdup(sid);
                if (sess && sess->directory)
                    op->project = xstrdup(sess->directory);
                op->success = 0;
                op->error = xstrdup("no result");
                toolcall_meta_str(op, "outcome", "lost");
            }
            free(model);
            cJSON_Delete(rules);
            cJSON_Delete(part);
            if (upd > newest)
                newest = upd;
        }
        extdb_reset(d.parts);
        if (src != 0) {
            rc = db_err(&d, src, errbuf);
            goto out;
        }
        if (out.n >= 5000 || cancelled(cancel)) {
            if ((rc = agentfile_batch_add(b, path, -1, &out, NULL, 1, st, errbuf)) != 0)
                goto out;
            if (cancelled(cancel)) {
                rc = tp_fail(errbuf, TP_EAGAIN, "%s: import cancelled", path);
                goto out;
            }
        }
        if (rows < OPENCODE_PAGE_ROWS)
            break;
    }

    /* Messages: model requests, and the turns they belong to. */
    pos = since - 1;
    last_id[0] = '\0';
    for (;;) {
        extdb_bind_int64(d.msgs, 1, pos);
        extdb_bind_text(d.msgs, 2, last_id);
        extdb_bind_int64(d.msgs, 3, OPENCODE_PAGE_ROWS);
        int rows = 0, src;
        while ((src = extdb_step(d.msgs)) == 1) {
            rows++;
            const char *id = extdb_text(d.msgs, 0, NULL);
            const char *sid = extdb_text(d.msgs, 1, NULL);
            int64_t upd = extdb_int64(d.msgs, 2);
            const char *data = extdb_text(d.msgs, 3, NULL);
            pos = upd;
            snprintf(last_id, sizeof last_id, "%s", id ? id : "");
            if (!id || !sid || !data)
                continue;
            char eb[TP_ERR_MAX];
            cJSON *msg = jin_parse(data, strlen(data), JIN_REPAIR, TP_MAX_JSON_DEPTH, eb);
            const char *role = jin_str(msg, "role");
            double completed;
            if (role && strcmp(role, "assistant") == 0 &&
                jin_num(jin_get(msg, "time"), "completed", &completed) == 1) {
                cJSON *rules;
                struct oc_session *sess = db_session(&d, x, sid, &rules);
                cJSON_Delete(rules);
                oc_message_request(&out, id, msg, sess, db_int_query(d.first_tool, id, NULL));
                const char *parent = jin_str(msg, "parentID");
                if (parent) {
                    char k[512];
                    int kn = snprintf(k, sizeof k, "%s\x1f%s", sid, parent);
                    if (kn > 0 && kn < (int)sizeof k) {
                        int added;
                        kmap_put(&parents, k, (size_t)kn, &added);
                    }
                }
                if (upd > newest)
                    newest = upd;
            } else if (role && strcmp(role, "assistant") == 0 &&
                       now - upd < FILEMARK_FINAL_AFTER_MS) {
                if (upd < hold)
                    hold = upd;
            }
            cJSON_Delete(msg);
        }
        extdb_reset(d.msgs);
        if (src != 0) {
            rc = db_err(&d, src, errbuf);
            goto out;
        }
        if (rows < OPENCODE_PAGE_ROWS)
            break;
    }
    for (size_t i = 0; i < parents.n; i++) {
        size_t kl;
        const char *k = kmap_key(&parents, i, &kl);
        char sid[256], uid[256];
        const char *sep = memchr(k, '\x1f', kl);
        if (!sep || (size_t)(sep - k) >= sizeof sid || kl - (size_t)(sep - k) - 1 >= sizeof uid)
            continue;
        snprintf(sid, sizeof sid, "%.*s", (int)(sep - k), k);
        snprintf(uid, sizeof uid, "%.*s", (int)(kl - (size_t)(sep - k) - 1), sep + 1);
        int64_t created, end = db_int_query(d.turn_end, sid, uid);
        char *model = db_message_model(&d, uid, &created, NULL);
        free(model);
        if (created <= 0 || end < created)
            continue;
        cJSON *rules;
        struct oc_session *sess = db_session(&d, x, sid, &rules);
        cJSON_Delete(rules);
        struct turn *t = agentfile_out_turn(&out);
        t->session_id = xstrdup(sess && sess->parent ? sess->parent : sid);
        t->start_ms = created;
        t->end_ms = end;
        t->source = OP_SRC_TRANSCRIPT;
    }

    /* The mark: what was read, as of the sizes seen before the read (a
     * write during it makes the next check read again). Calls still
     * running hold the watermark back. */
    if (hold != INT64_MAX && hold - 1 < newest)
        newest = hold - 1 > watermark ? hold - 1 : watermark;
    memset(&m, 0, sizeof m);
    m.path = key;
    m.offset = newest;
    m.resume = newest;
    m.size = size;
    m.mtime_ns = mtime;
    m.inode = (uint64_t)sb.st_ino;
    m.fp_len = -1; /* not a byte mark: no fingerprint */
    if (hold != INT64_MAX)
        m.mtime_ns = 0; /* not unchanged while calls run: look again next time */
    rc = agentfile_batch_add(b, path, -1, &out, &m, 1, st, errbuf);
out:
    kmap_free(&parents);
    agentfile_out_clear(&out);
    db_close(&d);
    return rc;
}
