/*
 * ch_conn.c - the ClickHouse store's connection: its URL, its HTTP queries,
 * SQL and TabSeparated text, the schema and its migrations, string ids.
 *
 * Queries go to ClickHouse's HTTP interface as POST bodies, with
 * wait_end_of_query=1 so that an error found half-way through an answer
 * still comes as an HTTP error (not as text appended to rows). Answers are
 * TabSeparated, streamed line by line to the caller. The SQL is the subset
 * ClickHouse 18.16 (Debian 12's package) and current releases both accept:
 * no Nullable columns, no LowCardinality, no DateTime64, no settings
 * clauses; partitions are plain YYYYMM integers computed by toolprof, so
 * no time zone is ever involved.
 *
 * String ids. The engine works with integer ids for tools, targets,
 * sessions and projects (store.h). ClickHouse keeps the texts, so an id is
 * derived from the text itself (its 63-bit hash): the same text has the
 * same id in every thread and every query, with no table to keep, and the
 * text of an id is remembered from the answers it appeared in, for at
 * least CH_STR_GEN further strings (two generations, like store_str()).
 */
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ch_int.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/tptime.h"
#include "core/xmalloc.h"

/* ---- the URL -------------------------------------------------------------------- */

static int plain_ident(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n &&
           !(s[0] >= '0' && s[0] <= '9');
}

int ch_conf_parse(const char *url, struct ch_conf *c, char *errbuf)
{
    memset(c, 0, sizeof *c);
    const char *scheme = "http";
    const char *p;
    if (strncmp(url, "clickhouse://", 13) == 0) {
        p = url + 13;
    } else if (strncmp(url, "clickhouses://", 14) == 0) {
        p = url + 14;
        scheme = "https";
    } else {
        return tp_fail(errbuf, TP_EINVAL,
                       "--store: expected clickhouse://[user[:password]@]host:port/database "
                       "(or sqlite)");
    }
    const char *slash = strchr(p, '/');
    if (!slash)
        return tp_fail(errbuf, TP_EINVAL, "--store: the URL names no database (…:8123/DATABASE)");
    const char *at = memchr(p, '@', (size_t)(slash - p));
    const char *hostp = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = (size_t)((colon ? colon : at) - p);
        if (httpc_unescape(p, ulen, c->user, sizeof c->user) != 0 ||
            (colon && httpc_unescape(colon + 1, (size_t)(at - colon - 1), c->password,
                                     sizeof c->password) != 0))
            return tp_fail(errbuf, TP_EINVAL, "--store: bad user or password in the URL");
        hostp = at + 1;
    }
    size_t hlen = (size_t)(slash - hostp);
    if (hlen == 0 || hlen > 255)
        return tp_fail(errbuf, TP_EINVAL, "--store: the URL names no host");
    for (size_t i = 0; i < hlen; i++) {
        char ch = hostp[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr(".-:[]_", ch)))
            return tp_fail(errbuf, TP_EINVAL, "--store: bad character in the host name");
    }
    const char *db = slash + 1;
    size_t dblen = strcspn(db, "?#/");
    if (db[dblen])
        return tp_fail(errbuf, TP_EINVAL, "--store: nothing may follow the database name");
    if (dblen >= sizeof c->db)
        return tp_fail(errbuf, TP_EINVAL, "--store: the database name is too long");
    memcpy(c->db, db, dblen);
    if (!plain_ident(c->db))
        return tp_fail(errbuf, TP_EINVAL,
                       "--store: the database name must be letters, digits and _ (got '%.64s')",
                       c->db);
    /* A host without a port gets ClickHouse's HTTP port. */
    const char *lastc = NULL;
    for (size_t i = 0; i < hlen; i++)
        if (hostp[i] == ':')
            lastc = hostp + i;
    int has_port = lastc && (hostp[hlen - 1] != ']');
    snprintf(c->base, sizeof c->base, "%s://%.*s%s/", scheme, (int)hlen, hostp,
             has_port ? "" : (strcmp(scheme, "https") == 0 ? ":8443" : ":8123"));
    snprintf(c->display, sizeof c->display, "%s://%s%s%.*s%s/%s",
             strcmp(scheme, "https") == 0 ? "clickhouses" : "clickhouse", c->user,
             c->user[0] ? "@" : "", (int)hlen, hostp,
             has_port ? "" : (strcmp(scheme, "https") == 0 ? ":8443" : ":8123"), c->db);
    return 0;
}

/* ---- text ------------------------------------------------------------------------- */

void ch_sql_str(struct buf *b, const char *s)
{
    buf_addc(b, '\'');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\\' || *p == '\'')
            buf_addc(b, '\\');
        buf_addc(b, *p);
    }
    buf_addc(b, '\'');
}

void ch_tsv_str(struct buf *b, const char *s)
{
    if (!s)
        return;
    const char *run = s;
    for (const char *p = s;; p++) {
        char e = 0;
        switch (*p) {
        case '\\': e = '\\'; break;
        case '\t': e = 't'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        case '\0': break;
        default: continue;
        }
        buf_add(b, run, (size_t)(p - run));
        if (!*p)
            return;
        char esc[2] = {'\\', e};
        buf_add(b, esc, 2);
        run = p + 1;
    }
}

/* Unescape a TabSeparated field in place. */
static void tsv_unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p != '\\' || !p[1]) {
            *o++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 't': *o++ = '\t'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'a': *o++ = '\a'; break;
        case 'v': *o++ = '\v'; break;
        case '0': *o++ = '\0'; break; /* never in our data */
        default: *o++ = *p; break;    /* \\ \' \" */
        }
    }
    *o = '\0';
}

int64_t ch_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

/* ---- HTTP ------------------------------------------------------------------------- */

/* Percent-encode s into b (for the query string of an INSERT). */
static void url_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.') {
            buf_addc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_add(b, e, 3);
        }
    }
}

/* The message of a refusal: ClickHouse's first line, without its noise. */
static int refused(const struct buf *resp, long status, const char *what, char *errbuf)
{
    const char *m = resp->data ? resp->data : "";
    const char *d = strstr(m, "e.displayText() = ");
    if (d)
        m = d + 18;
    if (strncmp(m, "DB::Exception: ", 15) == 0)
        m += 15;
    size_t n = strcspn(m, "\n");
    const char *e = strstr(m, ", e.what()");
    if (e && (size_t)(e - m) < n)
        n = (size_t)(e - m);
    if (n > 180)
        n = 180;
    return tp_fail(errbuf, TP_EDB, "ClickHouse refused %s (HTTP %ld): %.*s", what, status, (int)n,
                   m);
}

struct line_sink {
    struct buf line;
    ch_row_fn fn;
    void *ctx;
    int stop, bad;
};

static int line_done(struct line_sink *k)
{
    char *fields[CH_MAX_FIELDS];
    size_t n = 0;
    char *p = k->line.data ? k->line.data : (char *)"";
    for (;;) {
        if (n == CH_MAX_FIELDS) {
            k->bad = 1;
            return 1;
        }
        fields[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    for (size_t i = 0; i < n; i++)
        tsv_unescape(fields[i]);
    k->stop = k->fn(k->ctx, fields, n);
    buf_reset(&k->line);
    return k->stop;
}

static int on_lines(void *ctx, const char *data, size_t n)
{
    struct line_sink *k = ctx;
    while (n) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (buf_add(&k->line, data, take) != 0) {
            k->bad = 1;
            return 1;
        }
        if (!nl)
            break;
        if (line_done(k))
            return 1;
        data = nl + 1;
        n -= take + 1;
    }
    return 0;
}

static void base_url(struct buf *u, const struct ch_conf *c)
{
    buf_reset(u);
    buf_adds(u, c->base);
    /* Big IN lists (a batch's ids: up to TP_CH_BATCH_OPS calls, their
     * sessions and requests) need more than the default 256 KB of query
     * text and 50,000 syntax tree elements (a batch of 50,000 calls was
     * refused, "AST is too big", again on every attempt); answers are
     * complete before they are sent, so that an error never arrives as
     * part of the rows. */
    buf_adds(u, "?wait_end_of_query=1&max_query_size=67108864&max_ast_elements=4000000"
                "&max_expanded_ast_elements=4000000");
}

static int do_request(struct httpc *h, const struct ch_conf *c, const char *url, const void *body,
                      size_t len, struct buf *resp, httpc_data_fn fn, void *ctx, long timeout_ms,
                      const char *what, char *errbuf)
{
    struct httpc_req r;
    memset(&r, 0, sizeof r);
    r.url = url;
    r.body = body ? body : "";
    r.body_len = body ? len : 0;
    r.user = c->user[0] ? c->user : NULL;
    r.password = c->password;
    r.timeout_ms = timeout_ms;
    r.max_body = 1024 * 1024;
    r.on_data = fn;
    r.ctx = ctx;
    long status = 0;
    char why[TP_ERR_MAX];
    buf_reset(resp);
    int rc = httpc_do(h, &r, &status, resp, NULL, why);
    if (rc == TP_EIO)
        return tp_fail(errbuf, TP_EIO, "ClickHouse at %s is unreachable: %s", c->display, why);
    if (rc)
        return tp_fail(errbuf, rc, "%s", why);
    if (status != 200)
        return refused(resp, status, what, errbuf);
    return 0;
}

int ch_exec(struct httpc *h, const struct ch_conf *c, const char *sql, const void *body,
            size_t body_len, char *errbuf)
{
    struct buf url, resp;
    buf_init(&url, 64 * 1024);
    buf_init(&resp, 1024 * 1024);
    base_url(&url, c);
    int rc;
    if (body) {
        buf_adds(&url, "&query=");
        url_escape(&url, sql);
        rc = do_request(h, c, url.data, body, body_len, &resp, NULL, NULL, 300000, "a write",
                        errbuf);
    } else {
        rc = do_request(h, c, url.data, sql, strlen(sql), &resp, NULL, NULL, 300000, "a statement",
                        errbuf);
    }
    buf_free(&url);
    buf_free(&resp);
    return rc;
}

int ch_insert(struct httpc *h, const struct ch_conf *c, const char *table, const void *rows,
              size_t len, char *errbuf)
{
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO %s.%s FORMAT TabSeparated", c->db, table);
    return ch_exec(h, c, sql, rows, len, errbuf);
}

/* $TOOLPROF_CH_TRACE=1: every query, its time and its outcome on stderr. */
static int trace_on(void)
{
    static int on = -1;
    if (on < 0) {
        const char *e = getenv("TOOLPROF_CH_TRACE");
        on = e && *e && strcmp(e, "0") != 0;
    }
    return on;
}

int ch_query(struct chstore *ch, const char *sql, ch_row_fn fn, void *ctx, char *errbuf)
{
    struct buf url;
    int64_t t0 = trace_on() ? tpt_mono_ns() : 0;
    struct line_sink k;
    memset(&k, 0, sizeof k);
    buf_init(&k.line, TP_MAX_LINE);
    k.fn = fn;
    k.ctx = ctx;
    buf_init(&url, 4096);
    base_url(&url, &ch->conf);
    int rc = do_request(ch->http, &ch->conf, url.data, sql, strlen(sql), &ch->resp, on_lines, &k,
                        300000, "a query", errbuf);
    if (rc == 0 && !k.stop && !k.bad && k.line.len)
        line_done(&k); /* a last line without its newline */
    if (rc == 0 && k.bad)
        rc = tp_fail(errbuf, TP_EDB, "ClickHouse: an answer line is too long or too wide");
    if (t0)
        fprintf(stderr, "toolprof: ClickHouse %.3f ms: %.2000s%s%s\n",
                (double)(tpt_mono_ns() - t0) / 1e6, sql, rc ? " -> " : "", rc ? errbuf : "");
    buf_free(&url);
    buf_free(&k.line);
    return rc;
}

/* ---- the schema --------------------------------------------------------------------- */

/* The aggregate columns of aggs (summed) and of aggs_in. */
#define CH_SUMS                                                                                    \
    "n Int64, nt Int64, sum_us Int64, slow Int64, crit Int64, failed Int64, opt Int64, "           \
    "attn Int64, attn_bytes Int64, slow_sum_us Int64, nwait Int64, wait_us Int64, asked Int64, "   \
    "nhook Int64, hook_us Int64, nunsplit Int64, unsplit_us Int64, sub Int64, rt Int64, "          \
    "bytes Int64"
#define CH_KEYS                                                                                    \
    "month UInt32, kind UInt8, b Int64, tool String, project String, user String, host String, "   \
    "target String, session String, bin Int16"

/* Each version's statements, run in order; every one of them can run twice
 * (IF NOT EXISTS), so that two servers migrating at once do no harm. */
static const char *const v1[] = {
    "CREATE TABLE IF NOT EXISTS {db}.ops (month UInt32, hour Int64, ts Int64, user String, "
    "host String, uid String, slot UInt32, ver UInt64, bver UInt64, sign Int8, tool String, "
    "target String, "
    "session String, project String, sub String, dur Int64, wall Int64, wait Int64, hook Int64, "
    "ph Int64, flags UInt32, size Int64, rbytes Int64, bin Int16, err String, meta String) "
    "ENGINE = CollapsingMergeTree(sign) PARTITION BY month ORDER BY (hour, tool, user, uid)",
    "CREATE TABLE IF NOT EXISTS {db}.aggs (" CH_KEYS ", " CH_SUMS
    ", mx AggregateFunction(max, Int64), mn AggregateFunction(min, Int64), "
    "pa AggregateFunction(argMin, String, Int64)) ENGINE = SummingMergeTree PARTITION BY month "
    /* month is in the key only so that it is not summed (it is one value
     * per partition): SummingMergeTree sums every other numeric column and
     * merges the AggregateFunction ones. */
    "ORDER BY (kind, b, tool, project, user, host, target, session, bin, month)",
    "CREATE TABLE IF NOT EXISTS {db}.aggs_in (" CH_KEYS ", " CH_SUMS
    ", mx_v Int64, mn_v Int64, pa_v String, pa_k Int64) ENGINE = Null",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.aggs_mv TO {db}.aggs AS SELECT month, kind, b, "
    "tool, project, user, host, target, session, bin, sum(n) AS n, sum(nt) AS nt, "
    "sum(sum_us) AS sum_us, sum(slow) AS slow, sum(crit) AS crit, sum(failed) AS failed, "
    "sum(opt) AS opt, sum(attn) AS attn, sum(attn_bytes) AS attn_bytes, "
    "sum(slow_sum_us) AS slow_sum_us, sum(nwait) AS nwait, sum(wait_us) AS wait_us, "
    "sum(asked) AS asked, sum(nhook) AS nhook, sum(hook_us) AS hook_us, "
    "sum(nunsplit) AS nunsplit, sum(unsplit_us) AS unsplit_us, sum(sub) AS sub, sum(rt) AS rt, "
    "sum(bytes) AS bytes, maxState(mx_v) AS mx, minState(mn_v) AS mn, "
    "argMinState(pa_v, pa_k) AS pa FROM {db}.aggs_in GROUP BY month, kind, b, tool, project, "
    "user, host, target, session, bin",
    "CREATE TABLE IF NOT EXISTS {db}.turns (month UInt32, user String, session String, "
    "start_ms Int64, end_ms Int64, active_us Int64, src UInt8, ver UInt64) "
    "ENGINE = ReplacingMergeTree(ver) PARTITION BY month ORDER BY (user, session, start_ms)",
    "CREATE TABLE IF NOT EXISTS {db}.requests (month UInt32, user String, rid String, "
    "session String, project String, model String, ts Int64, dur_us Int64, ttft_us Int64, "
    "tin Int64, tout Int64, tcr Int64, tcw Int64, cost_micro Int64, flags UInt32, ver UInt64) "
    "ENGINE = ReplacingMergeTree(ver) PARTITION BY month ORDER BY (user, rid)",
    "CREATE TABLE IF NOT EXISTS {db}.marks (host String, path String, off Int64, size Int64, "
    "mtime_ns Int64, inode UInt64, ver UInt64) ENGINE = ReplacingMergeTree(ver) "
    "ORDER BY (host, path)",
    NULL};

/* 2: import marks with where to resume and the content's fingerprint
 * (store_mark; the SQLite store's schema 6). A table of its own rather
 * than ALTER ... ADD COLUMN, which 18.16 cannot make idempotent (no IF NOT
 * EXISTS there); marks of version 1 are still read, without a
 * fingerprint. */
static const char *const v2[] = {
    "CREATE TABLE IF NOT EXISTS {db}.imports (host String, path String, off Int64, size Int64, "
    "mtime_ns Int64, inode UInt64, resume Int64, fp_len Int64, fp_hash UInt64, ver UInt64) "
    "ENGINE = ReplacingMergeTree(ver) ORDER BY (host, path)",
    NULL};

static const char *const *const versions[] = {v1, v2};
#define CH_SCHEMA_VERSION ((int)(sizeof versions / sizeof versions[0]))

int ch_schema_version(void)
{
    return CH_SCHEMA_VERSION;
}

/* sql with every {db} replaced by the database's name. */
static void with_db(struct buf *b, const char *sql, const char *db)
{
    buf_reset(b);
    for (const char *p = sql; *p;) {
        const char *m = strstr(p, "{db}");
        if (!m) {
            buf_adds(b, p);
            break;
        }
        buf_add(b, p, (size_t)(m - p));
        buf_adds(b, db);
        p = m + 4;
    }
}

struct version_ctx {
    int v;
};

static int version_row(void *ctx, char **f, size_t n)
{
    struct version_ctx *x = ctx;
    if (n >= 1)
        x->v = (int)ch_i64(f[0]);
    return 0;
}

/* The schema version of the database: -1 when it has none yet. */
static int read_version(struct chstore *tmp, int *v, char *errbuf)
{
    char sql[512];
    struct version_ctx x = {-1};
    snprintf(sql, sizeof sql,
             "SELECT toInt64(max(version)) FROM %s.schema_version HAVING count() > 0",
             tmp->conf.db);
    int rc = ch_query(tmp, sql, version_row, &x, errbuf);
    if (rc == TP_EDB && strstr(errbuf, "doesn't exist")) {
        *v = -1;
        return 0;
    }
    *v = x.v;
    return rc;
}

int ch_migrate(struct httpc *h, const struct ch_conf *c, char *errbuf)
{
    struct chstore tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.conf = *c;
    tmp.http = h;
    buf_init(&tmp.resp, 1024 * 1024);
    struct buf sql;
    buf_init(&sql, 64 * 1024);
    int v = -1, rc;
    if ((rc = read_version(&tmp, &v, errbuf)) != 0)
        goto out;
    if (v > CH_SCHEMA_VERSION) {
        rc = tp_fail(errbuf, TP_EUNSUPP,
                     "%s has schema version %d, newer than this toolprof knows (%d): upgrade "
                     "toolprof",
                     c->display, v, CH_SCHEMA_VERSION);
        goto out;
    }
    if (v == CH_SCHEMA_VERSION)
        goto out;
    with_db(&sql, "CREATE DATABASE IF NOT EXISTS {db}", c->db);
    if ((rc = ch_exec(h, c, sql.data, NULL, 0, errbuf)) != 0)
        goto out;
    with_db(&sql,
            "CREATE TABLE IF NOT EXISTS {db}.schema_version (version UInt32, applied_ms Int64) "
            "ENGINE = TinyLog",
            c->db);
    if ((rc = ch_exec(h, c, sql.data, NULL, 0, errbuf)) != 0)
        goto out;
    for (int k = v < 0 ? 0 : v; k < CH_SCHEMA_VERSION; k++) {
        for (const char *const *st = versions[k]; *st; st++) {
            with_db(&sql, *st, c->db);
            if ((rc = ch_exec(h, c, sql.data, NULL, 0, errbuf)) != 0)
                goto out;
        }
        char ins[64];
        int n = snprintf(ins, sizeof ins, "%d\t%lld\n", k + 1, (long long)tpt_now_ms());
        if ((rc = ch_insert(h, c, "schema_version", ins, (size_t)n, errbuf)) != 0)
            goto out;
    }
out:
    buf_free(&sql);
    buf_free(&tmp.resp);
    return rc;
}

/* ---- string ids ------------------------------------------------------------------ */

int64_t ch_id(struct ch_strs *s, const char *text)
{
    if (!text)
        return 0;
    int64_t id = (int64_t)(hash_str(text) & INT64_MAX);
    if (id == 0)
        id = 1;
    struct kmap *m = &s->map[s->cur];
    if (kmap_find(m, &id, sizeof id) >= 0)
        return id;
    long old = kmap_find(&s->map[!s->cur], &id, sizeof id);
    if (m->n >= CH_STR_GEN) {
        /* Rotate: the older generation goes, the current one ages. */
        int o = !s->cur;
        for (size_t i = 0; i < s->map[o].n; i++)
            free(s->texts[o][i]);
        kmap_clear(&s->map[o]);
        s->cur = o;
        m = &s->map[o];
        old = -1;
    }
    (void)old;
    int added;
    size_t i = kmap_put(m, &id, sizeof id, &added);
    if (i >= s->alloc[s->cur]) {
        s->alloc[s->cur] = s->alloc[s->cur] ? 2 * s->alloc[s->cur] : 1024;
        s->texts[s->cur] = xreallocarray(s->texts[s->cur], s->alloc[s->cur], sizeof(char *));
    }
    s->texts[s->cur][i] = xstrdup(text);
    return id;
}

const char *ch_str(struct ch_strs *s, int64_t id)
{
    if (id <= 0)
        return NULL;
    for (int g = 0; g < 2; g++) {
        int k = g ? !s->cur : s->cur;
        long i = kmap_find(&s->map[k], &id, sizeof id);
        if (i >= 0)
            return s->texts[k][i];
    }
    return NULL;
}

void ch_strs_free(struct ch_strs *s)
{
    for (int g = 0; g < 2; g++) {
        for (size_t i = 0; i < s->map[g].n; i++)
            free(s->texts[g][i]);
        free(s->texts[g]);
        kmap_free(&s->map[g]);
    }
    memset(s, 0, sizeof *s);
}

/* ---- months ------------------------------------------------------------------------ */

uint32_t ch_month(int64_t ts_ms)
{
    time_t t = (time_t)tpt_floor_div(ts_ms, 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (uint32_t)((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

uint32_t ch_month_next(uint32_t m)
{
    return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
}

int64_t ch_month_start(uint32_t m)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)(m / 100) - 1900;
    tm.tm_mon = (int)(m % 100) - 1;
    tm.tm_mday = 1;
    return (int64_t)timegm(&tm) * 1000;
}

void ch_default_identity(char *person, size_t psize, char *host, size_t hsize)
{
    const char *p = getenv("TOOLPROF_PERSON");
    if (!p || !*p)
        p = getenv("USER");
    if (!p || !*p) {
        struct passwd *pw = getpwuid(getuid());
        p = pw ? pw->pw_name : "unknown";
    }
    snprintf(person, psize, "%s", p);
    const char *h = getenv("TOOLPROF_HOST");
    if (h && *h) {
        snprintf(host, hsize, "%s", h);
    } else if (gethostname(host, hsize) != 0 || !host[0]) {
        snprintf(host, hsize, "unknown");
    }
    host[hsize - 1] = '\0';
}
