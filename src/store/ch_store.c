/*
 * ch_store.c - the ClickHouse store's life cycle and its small functions:
 * opening and closing, strings, writing (handed to the spool), import
 * marks, retention, facts about the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ch_int.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"
#include "redact.h"

const char *chstore_url(void)
{
    const char *u = getenv("TOOLPROF_STORE");
    if (!u || !*u || strcmp(u, "sqlite") == 0)
        return NULL;
    return u;
}

int chstore_check_url(const char *url, char *errbuf)
{
    if (!url || !*url || strcmp(url, "sqlite") == 0)
        return 0;
    struct ch_conf c;
    return ch_conf_parse(url, &c, errbuf);
}

static struct chstore *ch_new(const struct ch_conf *conf, const char *dir)
{
    struct chstore *ch = xcalloc(1, sizeof *ch);
    ch->conf = *conf;
    snprintf(ch->dir, sizeof ch->dir, "%s", dir);
    buf_init(&ch->sql, 256 * 1024 * 1024);
    buf_init(&ch->resp, 1024 * 1024);
    ch->close_wait_ms = TP_CH_WAIT_MS;
    ch_default_identity(ch->person, sizeof ch->person, ch->host, sizeof ch->host);
    return ch;
}

int chstore_open(const char *url, const char *data_dir, int flags, struct store **out, char *errbuf)
{
    struct ch_conf conf;
    int rc = ch_conf_parse(url, &conf, errbuf);
    *out = NULL;
    if (rc)
        return rc;
    struct store *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(data_dir);
    s->db_path = xstrdup(conf.display);
    s->readonly = (flags & STORE_READONLY) != 0;
    struct chstore *ch = s->ch = ch_new(&conf, data_dir);
    ch->readonly = s->readonly;
    if (!(ch->http = httpc_new(errbuf))) {
        rc = TP_EUNSUPP;
        goto fail;
    }
    struct stat st;
    if (!s->readonly) {
        if ((rc = ch_migrate(ch->http, &conf, errbuf)) != 0)
            goto fail;
        /* The data directory holds the spool. Calls an earlier process
         * left there are written by this one's writer, started now; a
         * directory that does not exist yet is made by the first write. */
        if (stat(data_dir, &st) == 0 && (rc = ch_writer_get(ch, errbuf)) != 0)
            goto fail;
    } else {
        /* A reader still needs the schema to be there and current. */
        struct store_info info;
        if ((rc = chstore_info(s, &info)) != 0) {
            tp_fail(errbuf, rc, "cannot read %s (is it up, and has a writer created the schema?)",
                    conf.display);
            goto fail;
        }
    }
    char why[TP_ERR_MAX];
    if (stat(data_dir, &st) == 0 && redact_configure(data_dir, why) != 0)
        fprintf(stderr, "toolprof: %s/%s\n", data_dir, why);
    *out = s;
    return 0;
fail:
    chstore_close(s);
    return rc;
}

void chstore_close(struct store *s)
{
    if (!s)
        return;
    struct chstore *ch = s->ch;
    if (ch) {
        ch_writer_put(ch);
        if (ch->spool)
            sqlite3_close(ch->spool);
        httpc_free(ch->http);
        ch_strs_free(&ch->strs);
        buf_free(&ch->sql);
        buf_free(&ch->resp);
        free(ch);
    }
    free(s->dir);
    free(s->db_path);
    free(s);
}

void chstore_set_busy_timeout(struct store *s, int ms)
{
    s->ch->close_wait_ms = ms;
}

const char *chstore_str(struct store *s, int64_t id)
{
    return ch_str(&s->ch->strs, id);
}

/* ---- names ------------------------------------------------------------------------- */

struct exists_ctx {
    int found;
};

static int exists_row(void *ctx, char **f, size_t n)
{
    (void)f;
    if (n >= 1)
        ((struct exists_ctx *)ctx)->found = 1;
    return 1;
}

int64_t chstore_str_id(struct store *s, const char *text)
{
    if (!text)
        return 0;
    struct chstore *ch = s->ch;
    /* 0 for a text never stored (store.h): a name (tool, project, person,
     * host) or a session. Targets are never looked up by text. */
    buf_reset(&ch->sql);
    buf_printf(&ch->sql,
               "SELECT 1 FROM %s.aggs WHERE kind = %d AND b = 0 AND target = ", ch->conf.db,
               CHK_NAME);
    ch_sql_str(&ch->sql, text);
    buf_printf(&ch->sql,
               " LIMIT 1 UNION ALL SELECT 1 FROM %s.aggs WHERE kind = %d AND b = 0 AND "
               "session = ",
               ch->conf.db, CHK_SESSION);
    ch_sql_str(&ch->sql, text);
    buf_adds(&ch->sql, " LIMIT 1");
    struct exists_ctx x = {0};
    char err[TP_ERR_MAX];
    int rc = ch_query(ch, ch->sql.data, exists_row, &x, err);
    if (rc == TP_EIO) /* a connection ClickHouse closed as it was reused: once more */
        rc = ch_query(ch, ch->sql.data, exists_row, &x, err);
    if (rc != 0) {
        /* store.h has no error for a lookup: the question then finds
         * nothing, and the log says why. */
        fprintf(stderr, "toolprof: ClickHouse: looking up \"%.200s\": %s\n", text, err);
        return 0;
    }
    if (!x.found)
        return 0;
    return ch_id(&ch->strs, text);
}

struct names_ctx {
    struct chstore *ch;
    char **v;
    size_t n, alloc;
};

static int name_row(void *ctx, char **f, size_t n)
{
    struct names_ctx *x = ctx;
    if (n < 1)
        return 0;
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 64;
        x->v = xreallocarray(x->v, x->alloc, sizeof *x->v);
    }
    x->v[x->n++] = xstrdup(f[0]);
    return 0;
}

static int names_of(struct chstore *ch, const char *kind, struct names_ctx *x)
{
    char sql[512];
    char err[TP_ERR_MAX];
    memset(x, 0, sizeof *x);
    x->ch = ch;
    snprintf(sql, sizeof sql,
             "SELECT target FROM %s.aggs WHERE kind = %d AND b = 0 AND tool = '%s' "
             "GROUP BY target ORDER BY target",
             ch->conf.db, CHK_NAME, kind);
    return ch_query(ch, sql, name_row, x, err) ? TP_EDB : 0;
}

static void names_free(struct names_ctx *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i]);
    free(x->v);
}

int chstore_tools(struct store *s, store_name_cb cb, void *ctx)
{
    struct names_ctx x;
    int rc = names_of(s->ch, "tool", &x);
    for (size_t i = 0; rc == 0 && i < x.n; i++)
        if (cb(ctx, ch_id(&s->ch->strs, x.v[i]), ch_str(&s->ch->strs, ch_id(&s->ch->strs, x.v[i]))))
            break;
    names_free(&x);
    return rc;
}

int chstore_projects(struct store *s, store_name_cb cb, void *ctx)
{
    struct names_ctx x;
    int rc = names_of(s->ch, "project", &x);
    for (size_t i = 0; rc == 0 && i < x.n; i++) {
        if (!*x.v[i])
            continue;
        int64_t id = ch_id(&s->ch->strs, x.v[i]);
        if (cb(ctx, id, ch_str(&s->ch->strs, id)))
            break;
    }
    names_free(&x);
    return rc;
}

int chstore_people(struct store *s, store_person_cb cb, void *ctx)
{
    struct names_ctx x;
    int rc = names_of(s->ch, "userhost", &x);
    for (size_t i = 0; rc == 0 && i < x.n; i++) {
        char *sep = strchr(x.v[i], '\x1f');
        if (!sep)
            continue;
        *sep = '\0';
        if (cb(ctx, x.v[i], sep + 1))
            break;
    }
    names_free(&x);
    return rc;
}

/* ---- writing ----------------------------------------------------------------------- */

int chstore_insert_groups(struct store *s, struct store_group *groups, size_t ngroups, char *errbuf)
{
    if (s->readonly)
        return tp_fail(errbuf, TP_EINVAL, "the store was opened read-only");
    int rc;
    if (!s->ch->w && (rc = ch_writer_get(s->ch, errbuf)) != 0)
        return rc;
    return ch_writer_submit(s->ch, groups, ngroups, errbuf);
}

struct mark_ctx {
    struct store_mark *m;
    int found;
};

/* A row of imports (8 values and a count) or of the version 1 marks (4
 * and a count: no fingerprint, resume at the offset). */
static int mark_row(void *ctx, char **f, size_t n)
{
    struct mark_ctx *x = ctx;
    if ((n != 5 && n != 8) || ch_i64(f[n - 1]) == 0)
        return 0;
    x->m->offset = ch_i64(f[0]);
    x->m->size = ch_i64(f[1]);
    x->m->mtime_ns = ch_i64(f[2]);
    x->m->inode = strtoull(f[3], NULL, 10);
    x->m->resume = n == 8 ? ch_i64(f[4]) : x->m->offset;
    x->m->fp_len = n == 8 ? ch_i64(f[5]) : -1;
    x->m->fp_hash = n == 8 ? strtoull(f[6], NULL, 10) : 0;
    x->found = 1;
    return 0;
}

static int mark_read(struct chstore *ch, const char *table, const char *path, struct mark_ctx *x)
{
    int v2 = strcmp(table, "imports") == 0;
    buf_reset(&ch->sql);
    buf_printf(&ch->sql,
               "SELECT argMax(off, ver), argMax(size, ver), argMax(mtime_ns, ver), "
               "argMax(inode, ver), %scount() FROM %s.%s WHERE host = ",
               v2 ? "argMax(resume, ver), argMax(fp_len, ver), argMax(fp_hash, ver), " : "",
               ch->conf.db, table);
    ch_sql_str(&ch->sql, ch->host);
    buf_adds(&ch->sql, " AND path = ");
    ch_sql_str(&ch->sql, path);
    char err[TP_ERR_MAX];
    return ch_query(ch, ch->sql.data, mark_row, x, err) != 0 ? TP_EDB : 0;
}

int chstore_mark_get(struct store *s, const char *path, struct store_mark *out, int *found)
{
    struct chstore *ch = s->ch;
    memset(out, 0, sizeof *out);
    out->path = path;
    *found = 0;
    struct mark_ctx x = {out, 0};
    int rc = mark_read(ch, "imports", path, &x);
    if (rc == 0 && !x.found)
        rc = mark_read(ch, "marks", path, &x);
    *found = x.found;
    return rc;
}

/* ---- retention ---------------------------------------------------------------------- */

struct months_ctx {
    uint32_t v[1200];
    int64_t ops[1200];
    size_t n;
};

static int month_row(void *ctx, char **f, size_t n)
{
    struct months_ctx *x = ctx;
    if (n >= 2 && x->n < sizeof x->v / sizeof x->v[0]) {
        x->v[x->n] = (uint32_t)ch_i64(f[0]);
        x->ops[x->n++] = ch_i64(f[1]);
    }
    return 0;
}

int chstore_prune(struct store *s, int64_t cutoff_ms, size_t *deleted, char *errbuf)
{
    struct chstore *ch = s->ch;
    *deleted = 0;
    /* Whole months only: those that end at or before the cutoff. */
    uint32_t limit = ch_month(cutoff_ms); /* its own month is kept */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT month, sum(n) FROM %s.aggs WHERE kind = %d AND month < %u GROUP BY month "
             "ORDER BY month",
             ch->conf.db, CHK_DAY, limit);
    struct months_ctx x;
    memset(&x, 0, sizeof x);
    int rc = ch_query(ch, sql, month_row, &x, errbuf);
    if (rc)
        return rc;
    static const char *const tables[] = {"ops", "aggs", "turns", "requests"};
    for (size_t i = 0; i < x.n; i++) {
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
            snprintf(sql, sizeof sql, "ALTER TABLE %s.%s DROP PARTITION %u", ch->conf.db, tables[t],
                     x.v[i]);
            if ((rc = ch_exec(ch->http, &ch->conf, sql, NULL, 0, errbuf)) != 0)
                return rc;
        }
        *deleted += (size_t)(x.ops[i] > 0 ? x.ops[i] : 0);
    }
    return 0;
}

int chstore_prune_source(struct store *s, enum op_source src, size_t *deleted, char *errbuf)
{
    (void)s, (void)src;
    *deleted = 0;
    return tp_fail(errbuf, TP_EUNSUPP,
                   "prune --source works on the local (SQLite) store; on ClickHouse, prune by "
                   "age (whole months) or drop the database");
}

int chstore_has_other_sources(struct store *s, unsigned mask, int *found)
{
    struct chstore *ch = s->ch;
    char sql[512], err[TP_ERR_MAX];
    snprintf(sql, sizeof sql,
             "SELECT 1 FROM %s.ops WHERE sign = 1 AND bitAnd(bitShiftRight(flags, %d), %u) != 0 "
             "LIMIT 1",
             ch->conf.db, F_SOURCES_SHIFT, ~mask & F_SOURCES_MASK);
    struct exists_ctx x = {0};
    int rc = ch_query(ch, sql, exists_row, &x, err);
    *found = x.found;
    return rc ? TP_EDB : 0;
}

/* ---- facts ---------------------------------------------------------------------------- */

struct info_ctx {
    int64_t v[4];
    int got;
};

static int info_row(void *ctx, char **f, size_t n)
{
    struct info_ctx *x = ctx;
    for (size_t i = 0; i < n && i < 4; i++)
        x->v[i] = ch_i64(f[i]);
    x->got = 1;
    return 0;
}

int chstore_info(struct store *s, struct store_info *out)
{
    struct chstore *ch = s->ch;
    char sql[1024], err[TP_ERR_MAX];
    memset(out, 0, sizeof *out);
    out->schema_version = ch_schema_version();
    /* The count from the day aggregates; the span from the first and last
     * hours that hold calls, then their rows. */
    snprintf(sql, sizeof sql,
             "SELECT sum(n), min(if(n > 0, b, toInt64(9223372036854775807))), "
             "max(if(n > 0, b, toInt64(-1))) "
             "FROM (SELECT b, sum(n) AS n FROM %s.aggs WHERE kind = %d GROUP BY b)",
             ch->conf.db, CHK_HOUR);
    struct info_ctx x = {{0}, 0};
    if (ch_query(ch, sql, info_row, &x, err) != 0)
        return TP_EDB;
    out->operations = x.v[0];
    if (out->operations > 0) {
        int64_t h0 = x.v[1], h1 = x.v[2];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT min(ts) FROM %s.ops WHERE hour = %lld AND sign = 1), "
                 "(SELECT max(ts) FROM %s.ops WHERE hour = %lld AND sign = 1)",
                 ch->conf.db, (long long)h0, ch->conf.db, (long long)h1);
        struct info_ctx y = {{0}, 0};
        if (ch_query(ch, sql, info_row, &y, err) == 0) {
            out->first_ms = y.v[0];
            out->last_ms = y.v[1];
        }
    }
    snprintf(sql, sizeof sql,
             "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '%s' AND active",
             ch->conf.db);
    struct info_ctx z = {{0}, 0};
    if (ch_query(ch, sql, info_row, &z, err) == 0)
        out->db_bytes = z.v[0];
    return 0;
}

int64_t chstore_data_version(struct store *s)
{
    struct chstore *ch = s->ch;
    char sql[512], err[TP_ERR_MAX];
    snprintf(sql, sizeof sql,
             "SELECT sum(rows), toInt64(max(modification_time)), count() FROM system.parts "
             "WHERE database = '%s' AND active",
             ch->conf.db);
    struct info_ctx x = {{0}, 0};
    if (ch_query(ch, sql, info_row, &x, err) != 0)
        return -1;
    return x.v[0] * 1000003 + x.v[1] * 31 + x.v[2];
}

int chstore_spool(struct store *s, struct store_spool *out)
{
    ch_writer_status(s->ch, out);
    return 0;
}
