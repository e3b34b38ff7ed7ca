/*
 * store_write.c - storing operations: finding a call again, inserting and
 * merging, import marks, pruning.
 *
 * A batch runs in one transaction: each op is looked up by identity (its
 * slot in the hours around its start), inserted or merged into the stored
 * row, its contribution to the aggregates added (and a replaced one
 * retracted), and at the end every touched rollup row and the batch's
 * import marks are written before COMMIT. Nothing of a failed batch stays.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "chstore.h"
#include "store_int.h"

/* Walk hour's slot chain from slot + k0. Returns 1 when found (row read
 * into *found), 0 when not (then *free_id is the first empty slot), <0 on
 * error. */
static int probe_chain(struct store *s, int64_t hour, uint32_t k0, const struct uid *u,
                       struct row *found, int64_t *free_id, char *errbuf)
{
    for (uint32_t k = k0; k < 4096; k++) {
        int64_t id = (hour << 32) | (int64_t)(uint32_t)(u->slot + k);
        sqlite3_stmt *q = store_stmt(s, S_OP_GET);
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_DONE) {
            *free_id = id;
            return 0;
        }
        if (rc != SQLITE_ROW)
            return store_db_fail(s, errbuf, "looking up an operation");
        if (uid_matches(q, COL_UID, u)) {
            row_from_stmt(s, q, found, 1);
            sqlite3_reset(q);
            return 1;
        }
    }
    return tp_fail(errbuf, TP_EDB, "slot chain too long in hour %lld", (long long)hour);
}

/* What a batch knows about the hours it writes to: how many calls each
 * held before the batch began (from the hourly rollups, which are exact),
 * and every call the batch itself has stored so far. With it, an hour that
 * was empty before the batch is never probed in SQLite: the batch's own
 * index says everything about it. A bulk import of new history, the case
 * that must reach hundreds of thousands of calls a second, then costs one
 * insert per call and no lookups. */
struct batch_index {
    int64_t h0, h1;   /* hours covered by `before`, inclusive */
    int64_t *before;  /* calls per hour before the batch (h0..h1) */
    struct kmap ids;  /* ids stored by this batch */
    struct kmap uids; /* (hour, identity) -> index into uid_ids */
    int64_t *uid_ids;
    size_t alloc;
};

#define BATCH_MAX_HOURS (24 * 366 * 20)

/* lo, hi: the first and last hour the batch's calls start in. */
static int batch_index_init(struct store *s, struct batch_index *bi, int64_t lo, int64_t hi,
                            char *errbuf)
{
    memset(bi, 0, sizeof *bi);
    if (lo > hi)
        return 0;
    bi->h0 = lo - 1;
    bi->h1 = hi + 1;
    if (bi->h1 - bi->h0 >= BATCH_MAX_HOURS) {
        bi->before = NULL; /* too wide to map: every hour is probed */
        return 0;
    }
    bi->before = xcalloc((size_t)(bi->h1 - bi->h0 + 1), sizeof(int64_t));
    sqlite3_stmt *q = store_stmt(s, S_HOUR_COUNTS);
    sqlite3_bind_int64(q, 1, bi->h0);
    sqlite3_bind_int64(q, 2, bi->h1);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t h = sqlite3_column_int64(q, 0);
        if (h >= bi->h0 && h <= bi->h1)
            bi->before[h - bi->h0] = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(s, errbuf, "reading hourly counts");
    return 0;
}

static void batch_index_free(struct batch_index *bi)
{
    free(bi->before);
    free(bi->uid_ids);
    kmap_free(&bi->ids);
    kmap_free(&bi->uids);
}

/* Did hour h hold any call before the batch? (1 when unknown.) */
static int hour_had_calls(const struct batch_index *bi, int64_t h)
{
    if (!bi->before || h < bi->h0 || h > bi->h1)
        return 1;
    return bi->before[h - bi->h0] > 0;
}

/* The key of (hour, identity) in bi->uids, in key[] (>= 9 + TP_MAX_ID). */
static size_t uid_key(int64_t hour, const struct uid *u, unsigned char *key)
{
    memcpy(key, &hour, 8);
    key[8] = (unsigned char)u->kind;
    if (u->kind == UID_DERIVED) {
        memcpy(key + 9, &u->num, 8);
        return 17;
    }
    if (u->kind == UID_PACKED) {
        memcpy(key + 9, u->blob, UID_BLOB);
        return 9 + UID_BLOB;
    }
    size_t n = strlen(u->text);
    memcpy(key + 9, u->text, n);
    return 9 + n;
}

static void batch_index_add(struct batch_index *bi, int64_t id, const struct uid *u)
{
    unsigned char key[16 + TP_MAX_ID];
    int added;
    kmap_put(&bi->ids, &id, sizeof id, &added);
    size_t i = kmap_put(&bi->uids, key, uid_key(id >> 32, u, key), &added);
    if (i >= bi->alloc) {
        bi->alloc = bi->alloc ? bi->alloc * 2 : 1024;
        bi->uid_ids = xreallocarray(bi->uid_ids, bi->alloc, sizeof(int64_t));
    }
    bi->uid_ids[i] = id;
}

static int read_row(struct store *s, int64_t id, struct row *r, char *errbuf)
{
    sqlite3_stmt *q = store_stmt(s, S_OP_GET);
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        row_from_stmt(s, q, r, 1);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : store_db_fail(s, errbuf, "reading an operation");
}

/* Find the stored row of a call that started at ts_ms. The same call
 * reported by another source started within the hour before or after, so
 * its slot is looked up in the hours H, H-1 and H+1: in the batch's own
 * index, then in SQLite for the hours that held calls before the batch.
 * Returns 1 (found, row in *found), 0 (new: *free_id is where it goes), <0
 * on error. */
static int find_call(struct store *s, struct batch_index *bi, int64_t ts_ms, const struct uid *u,
                     struct row *found, int64_t *free_id, char *errbuf)
{
    int64_t hour = tpt_floor_div(ts_ms, HOUR_MS);
    int64_t hours[3] = {hour, hour - 1, hour + 1};
    unsigned char key[16 + TP_MAX_ID];
    for (int i = 0; i < 3; i++) {
        long k = kmap_find(&bi->uids, key, uid_key(hours[i], u, key));
        if (k >= 0) {
            int rc = read_row(s, bi->uid_ids[k], found, errbuf);
            return rc ? rc : 1;
        }
    }
    *free_id = 0;
    for (int i = 0; i < 3; i++) {
        if (!hour_had_calls(bi, hours[i]))
            continue;
        int64_t free_here = 0;
        int rc = probe_chain(s, hours[i], 0, u, found, &free_here, errbuf);
        if (rc != 0)
            return rc;
        if (i == 0)
            *free_id = free_here;
    }
    if (!*free_id) {
        /* The hour was empty before the batch: the first slot of the chain
         * that this batch has not taken is free. */
        for (uint32_t k = 0;; k++) {
            int64_t id = (hour << 32) | (int64_t)(uint32_t)(u->slot + k);
            if (kmap_find(&bi->ids, &id, sizeof id) < 0) {
                *free_id = id;
                break;
            }
        }
    }
    return 0;
}

/* ---- inserting and merging ------------------------------------------------- */

/* Build the row an op will be stored as (strings interned; err and meta
 * borrowed from the op). */
static int row_from_op(struct store *s, const struct op *op, struct row *r, char *errbuf)
{
    memset(r, 0, sizeof *r);
    r->ts_ms = op->ts_ms;
    r->dur_us = row_dur_us(op->duration_ms);
    op_phases_get(op, &r->ph);
    char key[TP_MAX_TOOL + 40];
    if (!op_tool_key(op->tool, op->agent, key, sizeof key))
        return tp_fail(errbuf, TP_EINVAL, "tool and agent names too long");
    if ((r->tool = store_intern(s, key)) < 0 || (r->target = store_intern(s, op->target)) < 0 ||
        (r->session = store_intern(s, op->session_id)) < 0 ||
        (r->sub = store_intern(s, op->subagent)) < 0 ||
        (r->project = store_intern(s, op->project ? op->project : "")) < 0)
        return store_db_fail(s, errbuf, "storing a string");
    r->success = op->success;
    r->opt = op->optimized;
    r->src = op->source;
    r->is_int = op->duration_is_int;
    r->attn = op_attention(op);
    r->is_read = strcmp(op->tool, "Read") == 0;
    r->sources = 1u << op->source;
    r->size = op->size_bytes;
    r->rbytes = op->result_bytes;
    r->err = op->error;
    r->meta = op->meta;
    r->owned = 0;
    return 0;
}

static void bind_opt(sqlite3_stmt *q, int col, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(q, col, v);
    else
        sqlite3_bind_null(q, col);
}

static unsigned row_flags(const struct row *r)
{
    return row_flags_pack(r->success, r->opt, r->src, r->is_int, r->attn, r->sources);
}

/* The columns wall, wait, hook, ph and sub, from parameter `col` on. */
static void bind_phases(sqlite3_stmt *q, int col, const struct row *r)
{
    for (int i = 0; i < OP_PH_EXEC; i++)
        bind_opt(q, col + i, row_dur_us(r->ph.ms[i]));
    sqlite3_bind_int64(q, col + 3, row_ph_pack(&r->ph));
    if (r->sub)
        sqlite3_bind_int64(q, col + 4, r->sub);
}

static int insert_row(struct store *s, const struct row *r, const struct uid *u, char *errbuf)
{
    sqlite3_stmt *q = store_stmt(s, S_OP_INS);
    sqlite3_bind_int64(q, 1, r->id);
    sqlite3_bind_int64(q, 2, r->ts_ms - (r->id >> 32) * HOUR_MS);
    bind_opt(q, 3, r->dur_us);
    sqlite3_bind_int64(q, 4, r->tool);
    if (r->target)
        sqlite3_bind_int64(q, 5, r->target);
    if (r->session)
        sqlite3_bind_int64(q, 6, r->session);
    sqlite3_bind_int64(q, 7, r->project);
    sqlite3_bind_int64(q, 8, row_flags(r));
    bind_opt(q, 9, r->size);
    bind_opt(q, 10, r->rbytes);
    bind_phases(q, 11, r);
    uid_bind(q, 16, u);
    if (r->err)
        sqlite3_bind_text(q, 17, r->err, -1, SQLITE_STATIC);
    if (r->meta)
        sqlite3_bind_text(q, 18, r->meta, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return store_db_fail(s, errbuf, "storing an operation");
    return 0;
}

static int update_row(struct store *s, const struct row *r, char *errbuf)
{
    sqlite3_stmt *q = store_stmt(s, S_OP_UPD);
    sqlite3_bind_int64(q, 1, r->id);
    bind_opt(q, 2, r->dur_us);
    sqlite3_bind_int64(q, 3, r->tool);
    if (r->target)
        sqlite3_bind_int64(q, 4, r->target);
    if (r->session)
        sqlite3_bind_int64(q, 5, r->session);
    sqlite3_bind_int64(q, 6, r->project);
    sqlite3_bind_int64(q, 7, row_flags(r));
    bind_opt(q, 8, r->size);
    bind_opt(q, 9, r->rbytes);
    if (r->err)
        sqlite3_bind_text(q, 10, r->err, -1, SQLITE_STATIC);
    if (r->meta)
        sqlite3_bind_text(q, 11, r->meta, -1, SQLITE_STATIC);
    bind_phases(q, 12, r);
    sqlite3_bind_int64(q, 17, r->ts_ms - (r->id >> 32) * HOUR_MS);
    if (sqlite3_step(q) != SQLITE_DONE)
        return store_db_fail(s, errbuf, "updating an operation");
    return 0;
}

/* The rank of the most trusted source in a mask (-1 for none). */
static int highest_rank(unsigned sources)
{
    int h = -1;
    for (int i = 0; i < OP_SRC_COUNT; i++)
        if ((sources & (1u << i)) && op_source_rank(i) > h)
            h = op_source_rank(i);
    return h;
}

/* Replace *dst (owned) by a copy of src. */
static void set_text(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? xstrdup(src) : NULL;
}

/* Merge a newcomer n into the stored row e (owned strings, in place).
 * Returns 1 when e changed. The rules: each phase (exec, wall, wait, hook)
 * takes the more exact report, between equals the later phase source
 * (op_phases_merge), and the exec's op source goes with it; the call's
 * start goes with its wall time (a report without one, OTLP's, knows only
 * when the execution began); a failure
 * reported by any source stands; descriptive text (error, metadata) from a
 * more trusted source than any before replaces what is stored, otherwise
 * only fills what is missing; other missing fields are filled in; the
 * generic OTLP name "mcp_tool" gives way to a real MCP tool name. */
int store_merge_row(struct store *s, struct row *e, const struct row *n)
{
    int changed = 0, top = highest_rank(e->sources);
    if ((e->sources | n->sources) != e->sources) {
        e->sources |= n->sources;
        changed = 1;
    }
    unsigned taken;
    changed |=
        op_phases_merge(&e->ph, &n->ph, op_source_rank(n->src) > op_source_rank(e->src), &taken);
    if ((taken & (1u << OP_PH_WALL)) && e->ts_ms != n->ts_ms) {
        e->ts_ms = n->ts_ms;
        changed = 1;
    }
    if (taken & (1u << OP_PH_EXEC)) { /* the exec is the newcomer's */
        changed |= e->src != n->src;
        e->src = n->src;
        e->is_int = n->is_int;
    }
    e->dur_us = row_dur_us(e->ph.ms[OP_PH_EXEC]);
    if (e->dur_us < 0 && op_source_rank(n->src) > op_source_rank(e->src)) {
        e->src = n->src;
        changed = 1;
    }
    if (!n->success && e->success) {
        e->success = 0;
        changed = 1;
    }
    if (n->opt && !e->opt) {
        e->opt = 1;
        changed = 1;
    }
    if (e->tool != n->tool) {
        const char *et = store_str(s, e->tool);
        if (et && strcmp(et, "mcp_tool") == 0) {
            e->tool = n->tool;
            changed = 1;
        }
    }
#define FILL(field, missing)                                                                       \
    if ((missing) && e->field != n->field) {                                                       \
        e->field = n->field;                                                                       \
        changed = 1;                                                                               \
    }
    FILL(target, !e->target && n->target);
    FILL(session, !e->session && n->session);
    FILL(sub, !e->sub && n->sub);
    FILL(size, e->size < 0);
    FILL(rbytes, e->rbytes < 0);
#undef FILL
    if (e->project != n->project) {
        const char *ep = store_str(s, e->project);
        if (!ep || !*ep) {
            e->project = n->project;
            changed = 1;
        }
    }
    int trusted = op_source_rank(n->src) > top;
    if (n->err && (!e->err || (trusted && strcmp(e->err, n->err) != 0))) {
        set_text(&e->err, n->err);
        changed = 1;
    }
    if (n->meta && (!e->meta || (trusted && strcmp(e->meta, n->meta) != 0))) {
        set_text(&e->meta, n->meta);
        changed = 1;
    }
    if (changed) {
        struct op tmp;
        op_init(&tmp);
        tmp.tool = (char *)store_str(s, e->tool);
        tmp.target = (char *)store_str(s, e->target);
        tmp.optimized = e->opt;
        tmp.size_bytes = e->size;
        tmp.success = e->success;
        tmp.error = e->err;
        e->attn = tmp.tool ? op_attention(&tmp) : 0;
        e->is_read = row_is_read_tool(s, e->tool);
    }
    return changed;
}

/* Move row e, whose start moved into another hour (merge_row), to a slot
 * of that hour: a row is found again by the hours around its start and
 * counted by its start, so it must live in its start's hour. Only when
 * the slot after it is empty: a slot emptied inside a chain would cut
 * the chain for the rows after it. Returns 1 moved, 0 left where it is
 * (then the caller keeps the start it had), <0 on error. */
static int rehome_row(struct store *s, struct batch_index *bi, struct row *e, const struct uid *u,
                      char *errbuf)
{
    int64_t old_id = e->id, hour = tpt_floor_div(e->ts_ms, HOUR_MS), free_id = 0;
    sqlite3_stmt *q = store_stmt(s, S_OP_GET);
    sqlite3_bind_int64(q, 1, old_id + 1);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return store_db_fail(s, errbuf, "looking up an operation");
    struct row other;
    memset(&other, 0, sizeof other);
    rc = probe_chain(s, hour, 0, u, &other, &free_id, errbuf);
    if (rc != 0) {
        row_free(&other);
        return rc < 0 ? rc : tp_fail(errbuf, TP_EDB, "a call stored twice, in two hours");
    }
    q = store_stmt(s, S_OP_DEL_RANGE);
    sqlite3_bind_int64(q, 1, old_id);
    sqlite3_bind_int64(q, 2, old_id + 1);
    rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return store_db_fail(s, errbuf, "moving an operation");
    e->id = free_id;
    if ((rc = insert_row(s, e, u, errbuf)) != 0)
        return rc;
    /* The batch finds it by its old hour's key too. */
    unsigned char key[16 + TP_MAX_ID];
    long k = kmap_find(&bi->uids, key, uid_key(old_id >> 32, u, key));
    if (k >= 0)
        bi->uid_ids[k] = free_id;
    batch_index_add(bi, free_id, u);
    return 1;
}

/* Store one op inside the open transaction (sources: every source that
 * reported it, 0 for op->source alone). */
static int insert_one(struct store *s, const struct op *op, unsigned sources,
                      struct batch_index *bi, struct rollup_deltas *d, struct store_result *res,
                      char *errbuf)
{
    int rc;
    char *owned_id = op->tool_use_id ? NULL : op_derive_id(op, "");
    struct uid u;
    uid_make(op->tool_use_id ? op->tool_use_id : owned_id, &u);
    struct row n, e;
    memset(&e, 0, sizeof e);
    int64_t free_id = 0;
    if ((rc = row_from_op(s, op, &n, errbuf)) != 0 ||
        (rc = find_call(s, bi, op->ts_ms, &u, &e, &free_id, errbuf)) < 0)
        goto out;
    if (sources & F_SOURCES_MASK)
        n.sources = sources & F_SOURCES_MASK;
    if (rc == 0) {
        n.id = free_id;
        if ((rc = insert_row(s, &n, &u, errbuf)) != 0)
            goto out;
        batch_index_add(bi, n.id, &u);
        row_contribute(d, &n, +1);
        res->inserted++;
        goto out;
    }
    struct row old = e;
    if (store_merge_row(s, &e, &n)) {
        int moved = 0;
        if (tpt_floor_div(e.ts_ms, HOUR_MS) != (e.id >> 32) &&
            (moved = rehome_row(s, bi, &e, &u, errbuf)) < 0) {
            rc = moved;
            goto out;
        }
        if (!moved && tpt_floor_div(e.ts_ms, HOUR_MS) != (e.id >> 32))
            e.ts_ms = old.ts_ms;
        row_contribute(d, &old, -1);
        row_contribute(d, &e, +1);
        if (!moved && (rc = update_row(s, &e, errbuf)) != 0)
            goto out;
        res->merged++;
    } else {
        res->unchanged++;
    }
    rc = 0;
out:
    row_free(&e);
    free(owned_id);
    return rc;
}

static int put_mark(struct store *s, const struct store_mark *m, char *errbuf)
{
    sqlite3_stmt *q = store_stmt(s, S_MARK_PUT);
    sqlite3_bind_text(q, 1, m->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, m->offset);
    sqlite3_bind_int64(q, 3, m->size);
    sqlite3_bind_int64(q, 4, m->mtime_ns);
    sqlite3_bind_int64(q, 5, (int64_t)m->inode);
    sqlite3_bind_int64(q, 6, m->resume);
    if (m->fp_len >= 0) {
        sqlite3_bind_int64(q, 7, m->fp_len);
        sqlite3_bind_int64(q, 8, (int64_t)m->fp_hash);
    } /* else NULL: no fingerprint */
    if (sqlite3_step(q) != SQLITE_DONE)
        return store_db_fail(s, errbuf, "recording import progress");
    return 0;
}

static int begin(struct store *s, char *errbuf)
{
    if (s->readonly)
        return tp_fail(errbuf, TP_EINVAL, "the store was opened read-only");
    if (store_exec(s, "BEGIN IMMEDIATE") != 0)
        return store_db_fail(s, errbuf, "starting a write");
    return 0;
}

static void rollback(struct store *s)
{
    store_exec(s, "ROLLBACK");
    /* The interning cache may hold ids of strings the rollback undid. */
    store_forget_ids(s);
}

struct order {
    uint64_t key; /* the row id the op will most likely get */
    uint32_t g;   /* group */
    uint32_t i;   /* op within the group */
};

/* Stable LSD radix sort by key, 8 bits a pass, skipping passes whose
 * digit is the same everywhere (the high bytes of a batch's hours). A
 * comparison sort cost more than the inserts it speeds up. */
static void sort_order(struct order *v, size_t n)
{
    struct order *tmp = xmalloc((n ? n : 1) * sizeof *tmp), *src = v, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i].key >> shift) & 0xff) + 1]++;
        if (n && count[((src[0].key >> shift) & 0xff) + 1] == n)
            continue;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
        struct order *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
    free(tmp);
}

int store_insert_groups(struct store *s, struct store_group *groups, size_t ngroups, char *errbuf)
{
    if (s->ch)
        return chstore_insert_groups(s, groups, ngroups, errbuf);
    int rc;
    size_t n = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t g = 0; g < ngroups; g++) {
        memset(&groups[g].res, 0, sizeof groups[g].res);
        for (size_t i = 0; i < groups[g].n; i++) {
            int64_t h = tpt_floor_div(groups[g].ops[i].ts_ms, HOUR_MS);
            lo = h < lo ? h : lo;
            hi = h > hi ? h : hi;
        }
        n += groups[g].n;
    }
    if ((rc = begin(s, errbuf)) != 0)
        return rc;
    struct rollup_deltas *d = rollup_deltas_new();
    struct batch_index bi;
    rc = batch_index_init(s, &bi, lo, hi, errbuf);
    /* Insert in row id order: new rows then append to the table's b-tree
     * instead of splitting pages all over the current hour, which is both
     * faster and leaves the pages full. */
    struct order *ord = xmalloc((n ? n : 1) * sizeof *ord);
    size_t k = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++, k++) {
            const struct op *op = &groups[g].ops[i];
            char *derived = op->tool_use_id ? NULL : op_derive_id(op, "");
            ord[k].key = ((uint64_t)tpt_floor_div(op->ts_ms, HOUR_MS) << 32) |
                         (uint32_t)hash_str(derived ? derived : op->tool_use_id);
            ord[k].g = (uint32_t)g;
            ord[k].i = (uint32_t)i;
            free(derived);
        }
    }
    sort_order(ord, n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct store_group *grp = &groups[ord[i].g];
        rc = insert_one(s, &grp->ops[ord[i].i], grp->sources ? grp->sources[ord[i].i] : 0, &bi, d,
                        &grp->res, errbuf);
    }
    free(ord);
    batch_index_free(&bi);
    if (rc == 0)
        rc = rollup_flush(s->rw, d, errbuf);
    for (size_t g = 0; g < ngroups && rc == 0; g++)
        if (groups[g].nturns || groups[g].nreqs || groups[g].nusage)
            rc = store_put_timeline(s, &groups[g], errbuf);
    for (size_t g = 0; g < ngroups && rc == 0; g++)
        if (groups[g].mark)
            rc = put_mark(s, groups[g].mark, errbuf);
    rollup_deltas_free(d);
    if (rc == 0 && store_exec(s, "COMMIT") != 0)
        rc = store_db_fail(s, errbuf, "committing");
    if (rc != 0) {
        rollback(s);
        for (size_t g = 0; g < ngroups; g++)
            memset(&groups[g].res, 0, sizeof groups[g].res);
        return rc;
    }
    return 0;
}

int store_insert(struct store *s, struct op *ops, size_t n, const struct store_mark *mark,
                 struct store_result *res, char *errbuf)
{
    struct store_group g = {.ops = ops, .n = n, .mark = mark};
    int rc = store_insert_groups(s, &g, 1, errbuf);
    if (rc == 0 && res) {
        res->inserted += g.res.inserted;
        res->merged += g.res.merged;
        res->unchanged += g.res.unchanged;
    }
    return rc;
}

int store_mark_get(struct store *s, const char *path, struct store_mark *out, int *found)
{
    if (s->ch)
        return chstore_mark_get(s, path, out, found);
    sqlite3_stmt *q = store_stmt(s, S_MARK_GET);
    sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    *found = 0;
    memset(out, 0, sizeof *out);
    out->path = path;
    if (rc == SQLITE_ROW) {
        out->offset = sqlite3_column_int64(q, 0);
        out->size = sqlite3_column_int64(q, 1);
        out->mtime_ns = sqlite3_column_int64(q, 2);
        out->inode = (uint64_t)sqlite3_column_int64(q, 3);
        /* NULLs: a mark from before schema 6, whose offset was its resume
         * point and which has no fingerprint. */
        out->resume =
            sqlite3_column_type(q, 4) == SQLITE_NULL ? out->offset : sqlite3_column_int64(q, 4);
        if (sqlite3_column_type(q, 5) == SQLITE_NULL || sqlite3_column_type(q, 6) == SQLITE_NULL) {
            out->fp_len = -1;
        } else {
            out->fp_len = sqlite3_column_int64(q, 5);
            out->fp_hash = (uint64_t)sqlite3_column_int64(q, 6);
        }
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(q);
        return TP_EDB;
    }
    sqlite3_reset(q);
    return 0;
}

/* ---- pruning ---------------------------------------------------------------- */

struct prune_ctx {
    struct store *s;
    struct rollup_deltas *d;
    size_t n;
    unsigned only; /* a source bit: only rows reported by that source alone */
    int64_t *ids;  /* with `only`: the rows to delete */
    size_t alloc;
};

static int prune_row(void *ctx, const struct store_row *sr)
{
    struct prune_ctx *p = ctx;
    if (p->only && sr->sources != p->only)
        return 0;
    struct row r;
    memset(&r, 0, sizeof r);
    r.id = sr->id;
    r.ts_ms = sr->op.ts_ms;
    r.dur_us = row_dur_us(sr->op.duration_ms);
    op_phases_get(&sr->op, &r.ph);
    r.tool = sr->tool_id;
    r.target = sr->target_id;
    r.session = sr->session_id;
    r.project = sr->project_id;
    r.success = sr->op.success;
    r.opt = sr->op.optimized;
    r.attn = sr->attention;
    r.size = sr->op.size_bytes;
    r.is_read = sr->op.tool && strcmp(sr->op.tool, "Read") == 0;
    row_contribute(p->d, &r, -1);
    if (p->only) {
        if (p->n == p->alloc) {
            p->alloc = p->alloc ? 2 * p->alloc : 1024;
            p->ids = xreallocarray(p->ids, p->alloc, sizeof *p->ids);
        }
        p->ids[p->n] = sr->id;
    }
    p->n++;
    return 0;
}

/* Delete the rows of [from, to) (all of them, or with `only` those that
 * source alone reported) in one transaction, retracting exactly what is
 * deleted from the aggregates. *n receives their number. */
static int prune_span(struct store *s, int64_t from, int64_t to, unsigned only, size_t *n,
                      char *errbuf)
{
    int rc = begin(s, errbuf);
    if (rc)
        return rc;
    struct prune_ctx p = {s, rollup_deltas_new(), 0, only, NULL, 0};
    struct store_scan sc = {.from_ms = from, .to_ms = to};
    rc = store_scan(s, &sc, prune_row, &p);
    if (rc == 0 && p.n && only) {
        for (size_t i = 0; i < p.n && rc == 0; i++) {
            sqlite3_stmt *q = store_stmt(s, S_OP_DEL_RANGE);
            sqlite3_bind_int64(q, 1, p.ids[i]);
            sqlite3_bind_int64(q, 2, p.ids[i] + 1);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = store_db_fail(s, errbuf, "pruning");
        }
    } else if (rc == 0 && p.n) {
        /* Delete whole hours below the cutoff's hour, then the rows of
         * the cutoff's own hour that started before it. */
        int64_t h0 = tpt_floor_div(from, HOUR_MS), h1 = tpt_floor_div(to, HOUR_MS);
        sqlite3_stmt *q = store_stmt(s, S_OP_DEL_RANGE);
        sqlite3_bind_int64(q, 1, h0 << 32);
        sqlite3_bind_int64(q, 2, h1 << 32);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = store_db_fail(s, errbuf, "pruning");
        if (rc == 0 && to % HOUR_MS) {
            char sql[160];
            snprintf(
                sql, sizeof sql, "DELETE FROM ops WHERE id >= %lld AND id < %lld AND ts < %lld",
                (long long)(h1 << 32), (long long)((h1 + 1) << 32), (long long)(to - h1 * HOUR_MS));
            if (store_exec(s, sql) != 0)
                rc = store_db_fail(s, errbuf, "pruning");
        }
    }
    if (rc == 0 && p.n)
        rc = rollup_flush(s->rw, p.d, errbuf);
    rollup_deltas_free(p.d);
    free(p.ids);
    if (rc == 0 && store_exec(s, "COMMIT") != 0)
        rc = store_db_fail(s, errbuf, "committing the prune");
    if (rc) {
        rollback(s);
        return rc;
    }
    *n = p.n;
    return 0;
}

int store_prune(struct store *s, int64_t cutoff_ms, size_t *deleted, char *errbuf)
{
    if (s->ch)
        return chstore_prune(s, cutoff_ms, deleted, errbuf);
    struct store_info info;
    store_info(s, &info);
    *deleted = 0;
    if (!info.operations || info.first_ms >= cutoff_ms)
        return 0;
    /* One day of rows per transaction, oldest first. */
    for (int64_t from = tpt_floor_to(info.first_ms, HOUR_MS); from < cutoff_ms; from += DAY_MS) {
        size_t n = 0;
        int rc = prune_span(s, from, from + DAY_MS < cutoff_ms ? from + DAY_MS : cutoff_ms, 0, &n,
                            errbuf);
        if (rc)
            return rc;
        *deleted += n;
    }
    return 0;
}

int store_prune_source(struct store *s, enum op_source src, size_t *deleted, char *errbuf)
{
    if (s->ch)
        return chstore_prune_source(s, src, deleted, errbuf);
    struct store_info info;
    store_info(s, &info);
    *deleted = 0;
    if (!info.operations)
        return 0;
    for (int64_t from = tpt_floor_to(info.first_ms, HOUR_MS); from <= info.last_ms;
         from += DAY_MS) {
        size_t n = 0;
        int rc = prune_span(s, from, from + DAY_MS, 1u << src, &n, errbuf);
        if (rc)
            return rc;
        *deleted += n;
    }
    return 0;
}
