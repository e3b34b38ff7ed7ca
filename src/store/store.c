/*
 * store.c - operations and rollups in SQLite.
 *
 * The layout is driven by three numbers from the issue: inserts at
 * 200,000+ operations a second that stay flat as the store grows, every
 * query under 5 ms at 10 M operations, and no more than 80 bytes on disk per
 * operation. How the schema gets there:
 *
 * Row ids carry time and identity. An operation's rowid is
 *     (hour << 32) | slot
 * where hour = start time / 1 h and slot = the low 32 bits of the hash of
 * its identity (tool_use_id, or a derived id). So the table is clustered by
 * hour: a time window is a rowid range scan, no timestamp index is needed,
 * and the row stores only the milliseconds within its hour. And a call is
 * found again by probing its slot: the same call reported by another source
 * has the same identity and a start time within the hour before or after
 * (every source's start time is the same call's start, give or take a few
 * seconds), so three point lookups (hours H, H-1, H+1) decide whether it is
 * new, with no separate unique index to keep. Two identities that share a
 * slot in the same hour chain to the next slot (linear probing); a probe
 * always compares the full identity.
 *
 * Strings are interned. Tool names, targets, sessions and projects go into
 * `strs` once and rows hold their integer ids.
 *
 * Rollups are kept in the same transaction as the rows. For each operation
 * the store adds its contribution (count, sum, slow/critical/failed/
 * optimized/attention counters, sketch) to rollup rows keyed by
 * (level, bucket, project, tool) for three levels (hour, UTC day, 30 days)
 * and two projects (its own and 0 = all projects), to a per-(day, target)
 * row for hotspots, to a per-(session, file) row for repeated reads, and to
 * its session's time span. A batch accumulates these contributions in
 * memory (rollup.h) and writes each touched row once at the end.
 * When a known call arrives again and changes (a better duration, a project
 * it lacked), its old contribution is retracted and the new one added, so
 * rollups always equal what a scan of the rows would give. The exception is
 * min/max: they are bounds (a retracted extreme is not recomputed), which
 * is all their one user, the pruning of slow-operation scans, needs.
 *
 * Schema changes go through `migrations[]`, tracked in PRAGMA user_version.
 *
 * The store is split into files along these sections (store_int.h lists
 * them); this one opens the database, keeps its schema and statements,
 * interns strings and converts rows.
 */
#include "store.h"

#include <errno.h>
#include <math.h>
#include "store.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/xmalloc.h"
#include "redact.h"
#include "chstore.h"
#include "store_int.h"

/* Strings per generation of the id -> text cache. */
#define STORE_TEXT_CACHE 100000

/* ---- schema ------------------------------------------------------------- */

static const char *const migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE strs(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);"
    "CREATE TABLE ops("
    "  id INTEGER PRIMARY KEY," /* (hour << 32) | slot */
    "  ts INTEGER NOT NULL,"    /* ms within the hour */
    "  dur INTEGER,"            /* microseconds, NULL = unknown */
    "  tool INTEGER NOT NULL, target INTEGER, session INTEGER, project INTEGER,"
    "  flags INTEGER NOT NULL, size INTEGER, rbytes INTEGER,"
    "  uid ANY," /* TEXT tool_use_id, or INTEGER for a derived id */
    "  err TEXT, meta TEXT) STRICT;"
    "CREATE TABLE rollups(lvl INTEGER NOT NULL, b INTEGER NOT NULL, project INTEGER NOT NULL,"
    "  tool INTEGER NOT NULL, n INTEGER NOT NULL, nt INTEGER NOT NULL, sum_us INTEGER NOT NULL,"
    "  min_us INTEGER, max_us INTEGER, slow INTEGER NOT NULL, crit INTEGER NOT NULL,"
    "  failed INTEGER NOT NULL, opt INTEGER NOT NULL, attn INTEGER NOT NULL,"
    "  attn_bytes INTEGER NOT NULL, slow_sum_us INTEGER NOT NULL, sk BLOB NOT NULL,"
    "  PRIMARY KEY(lvl, b, project, tool)) WITHOUT ROWID, STRICT;"
    "CREATE INDEX rollups_tool ON rollups(lvl, project, tool, b);"
    "CREATE TABLE targets(day INTEGER NOT NULL, project INTEGER NOT NULL, tool INTEGER NOT NULL,"
    "  target INTEGER NOT NULL, n INTEGER NOT NULL, nt INTEGER NOT NULL, failed INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, max_us INTEGER NOT NULL,"
    "  PRIMARY KEY(day, project, tool, target)) WITHOUT ROWID, STRICT;"
    "CREATE TABLE rereads(session INTEGER NOT NULL, target INTEGER NOT NULL,"
    "  project INTEGER NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  sum_us INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(session, target)) WITHOUT ROWID, STRICT;"
    /* Covering: the repeated-reads rule reads only this index. */
    "CREATE INDEX rereads_hot ON rereads(last_ms, n, bytes, sum_us, project) WHERE n >= 3;"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, first_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE marks(path TEXT PRIMARY KEY, off INTEGER NOT NULL, size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID, STRICT;"
    "INSERT INTO meta VALUES('operations', 0);",
    /* 2: the number of operations is the sum of the monthly rollups; a
     * counter updated by every commit cost a page of WAL each time. */
    "DELETE FROM meta WHERE k = 'operations';",
    /* 3: reread totals by bucket (see rollup.h), filled from rereads; and
     * the pairs by number of reads, for the top pairs of a long window. */
    "CREATE TABLE reread_sums(lvl INTEGER NOT NULL, b INTEGER NOT NULL,"
    "  project INTEGER NOT NULL, pairs INTEGER NOT NULL, reads INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL, us INTEGER NOT NULL,"
    "  PRIMARY KEY(lvl, b, project)) WITHOUT ROWID, STRICT;"
    "CREATE INDEX rereads_top ON rereads(n, sum_us) WHERE n >= 3;"
    "INSERT INTO reread_sums "
    "  SELECT l.lvl, r.last_ms / l.w, CASE p.all_ WHEN 1 THEN 0 ELSE r.project END,"
    "    count(*), sum(r.n), sum((r.n - 1) * (CASE WHEN r.bytes > 0 THEN r.bytes / r.n"
    "      ELSE 4000 END)), sum(r.sum_us * (r.n - 1) / r.n)"
    "  FROM rereads r,"
    "    (SELECT 0 AS lvl, 3600000 AS w UNION ALL SELECT 1, 86400000"
    "     UNION ALL SELECT 2, 2592000000) l,"
    "    (SELECT 0 AS all_ UNION ALL SELECT 1) p"
    "  WHERE r.n >= 3 GROUP BY 1, 2, 3;",
    /* 4: the phases of a call (op.h): wall, wait and hook time beside the
     * exec time in dur, how exact each is and where it came from (ph);
     * their sums in the rollups and per target. */
    "ALTER TABLE ops ADD COLUMN wall INTEGER;"
    "ALTER TABLE ops ADD COLUMN wait INTEGER;"
    "ALTER TABLE ops ADD COLUMN hook INTEGER;"
    "ALTER TABLE ops ADD COLUMN ph INTEGER;"
    "ALTER TABLE rollups ADD COLUMN nwait INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN wait_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN asked INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN nhook INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN hook_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN nunsplit INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rollups ADD COLUMN unsplit_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE targets ADD COLUMN asked INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE targets ADD COLUMN wait_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE targets ADD COLUMN nunsplit INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE targets ADD COLUMN unsplit_us INTEGER NOT NULL DEFAULT 0;",
    /* 5: sessions on the clock (timeline.h): the sub-agent that made a
     * call; per session its project and sums; turns; model requests.
     * Sessions stored before get their sums from their calls. */
    "ALTER TABLE ops ADD COLUMN sub INTEGER;"
    "ALTER TABLE sessions ADD COLUMN project INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN sub INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN asked INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN nexec INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN exec_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN wait_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN hook_us INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN unsplit_us INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX sessions_last ON sessions(last_ms);"
    "UPDATE sessions SET project = t.p, calls = t.n, failed = t.f, nexec = t.ne, exec_us = t.e "
    "  FROM (SELECT session AS s, max(project) AS p, count(*) AS n,"
    "          sum(1 - (flags & 1)) AS f, count(dur) AS ne, coalesce(sum(dur), 0) AS e"
    "        FROM ops WHERE session IS NOT NULL GROUP BY session) AS t"
    "  WHERE t.s = sessions.id;"
    "CREATE TABLE turns(session INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,"
    "  active_us INTEGER, src INTEGER NOT NULL, PRIMARY KEY(session, start_ms))"
    "  WITHOUT ROWID, STRICT;"
    "CREATE TABLE requests(rid TEXT PRIMARY KEY, session INTEGER, project INTEGER NOT NULL,"
    "  model INTEGER, ts INTEGER NOT NULL, dur_us INTEGER, ttft_us INTEGER, tin INTEGER,"
    "  tout INTEGER, tcr INTEGER, tcw INTEGER, cost_micro INTEGER, flags INTEGER NOT NULL)"
    "  WITHOUT ROWID, STRICT;"
    "CREATE INDEX requests_session ON requests(session, ts);"
    "CREATE INDEX requests_ts ON requests(ts);",
    /* 6: import marks know the content they resume after (store.h, struct
     * store_mark): the resume point apart from how far the file was read,
     * and a fingerprint of the bytes before that. Marks written before
     * have NULLs there, which store_mark_get() reports as "no
     * fingerprint". */
    "ALTER TABLE marks ADD COLUMN resume INTEGER;"
    "ALTER TABLE marks ADD COLUMN fp_len INTEGER;"
    "ALTER TABLE marks ADD COLUMN fp_hash INTEGER;",
    /* 7: a session's usage counters (timeline.h, struct usage): one row per
     * delta reading (keyed by its interval) or per cumulative counter
     * (keyed by its start, end_key 0, the latest reading kept). */
    "CREATE TABLE usage(session INTEGER NOT NULL, metric INTEGER NOT NULL,"
    "  model INTEGER NOT NULL, stream INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
    "  end_key INTEGER NOT NULL, time_ns INTEGER NOT NULL, value REAL NOT NULL,"
    "  PRIMARY KEY(session, metric, model, stream, start_ns, end_key)) WITHOUT ROWID, STRICT;",
    /* 8: MCP calls that never returned carry their own rule flag
     * (OP_ATTN_LOST), counted by the rollups as every flag is, so that
     * the MCP rule reads a count instead of a window's rows: the calls
     * stored before get it, and their rollups count it (an MCP tool's
     * attention was 0 until now; the level widths are rollup_width_ms').
     * And each day's per-target totals keep the row of their longest call
     * (max_id: the greatest row id of that duration, less the id of the
     * day's first hour), so that a hotspot's slowest call is a read of one
     * row; NULL for totals kept before, whose calls are looked for. And
     * an index that counts a project's sessions of a window. */
    "CREATE TEMP TABLE m8_lost AS SELECT id, ts, tool, project, size FROM ops"
    "  WHERE (flags & 1) = 0 AND ((flags >> 6) & 3) = 0"
    "  AND (substr(err, 1, 9) = 'no result' OR err = 'interrupted')"
    "  AND tool IN (SELECT id FROM strs WHERE s >= 'mcp__' AND s < 'mcp_`');"
    "UPDATE ops SET flags = flags | (3 << 6) WHERE id IN (SELECT id FROM temp.m8_lost);"
    "UPDATE rollups SET attn = attn + x.n, attn_bytes = attn_bytes + x.bytes"
    "  FROM (SELECT l.lvl AS lvl, ((o.id >> 32) * 3600000 + o.ts) / l.w AS b,"
    "          CASE p.all_ WHEN 1 THEN 0 ELSE coalesce(o.project, 0) END AS project,"
    "          o.tool AS tool, count(*) AS n, sum(max(coalesce(o.size, 0), 0)) AS bytes"
    "        FROM temp.m8_lost o,"
    "          (SELECT 0 AS lvl, 3600000 AS w UNION ALL SELECT 1, 86400000"
    "           UNION ALL SELECT 2, 2592000000) l,"
    "          (SELECT 0 AS all_ UNION ALL SELECT 1) p"
    "        GROUP BY 1, 2, 3, 4) AS x"
    "  WHERE rollups.lvl = x.lvl AND rollups.b = x.b AND rollups.project = x.project"
    "    AND rollups.tool = x.tool;"
    "DROP TABLE temp.m8_lost;"
    "ALTER TABLE targets ADD COLUMN max_id INTEGER;"
    /* A project's sessions of a window, counted from the index alone. */
    "CREATE INDEX sessions_project ON sessions(project, last_ms, first_ms);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema_version(void)
{
    return SCHEMA_VERSION;
}

/* ---- prepared statements ------------------------------------------------ */

static const char *const stmt_sql[S_COUNT] = {
    [S_STR_ID] = "SELECT id FROM strs WHERE s = ?1",
    [S_STR_INS] = "INSERT INTO strs(s) VALUES(?1)",
    [S_STR_TEXT] = "SELECT s FROM strs WHERE id = ?1",
    [S_OP_GET] = "SELECT " ROW_COLS " FROM ops WHERE id = ?1",
    [S_HOURS_ASC] = "SELECT DISTINCT b FROM rollups WHERE lvl = ?7 AND project = ?1 "
                    "AND (?2 = 0 OR tool = ?2) AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                    "AND attn >= ?6 ORDER BY b",
    [S_HOURS_DESC] =
        "SELECT DISTINCT b FROM rollups WHERE lvl = ?7 AND project = ?1 "
        "AND (?2 = 0 OR tool = ?2) AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
        "AND attn >= ?6 ORDER BY b DESC",
    /* The same for one tool, through the index rollups_tool. */
    [S_HOURS_TOOL_ASC] = "SELECT b FROM rollups WHERE lvl = ?7 AND project = ?1 AND tool = ?2 "
                         "AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                         "AND attn >= ?6 ORDER BY b",
    [S_HOURS_TOOL_DESC] = "SELECT b FROM rollups WHERE lvl = ?7 AND project = ?1 AND tool = ?2 "
                          "AND b >= ?3 AND b < ?4 AND (?5 = 0 OR max_us >= ?5) "
                          "AND attn >= ?6 ORDER BY b DESC",
    [S_HOUR_COUNTS] = "SELECT b, sum(n) FROM rollups WHERE lvl = 0 AND project = 0 "
                      "AND b BETWEEN ?1 AND ?2 GROUP BY b",
    [S_OP_INS] = "INSERT INTO ops(" ROW_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                 "?14,?15,?16,?17,?18)",
    [S_OP_UPD] = "UPDATE ops SET dur=?2, tool=?3, target=?4, session=?5, project=?6, flags=?7, "
                 "size=?8, rbytes=?9, err=?10, meta=?11, wall=?12, wait=?13, hook=?14, ph=?15, "
                 "sub=?16, ts=?17 WHERE id=?1",
    [S_FIRST_TS] = "SELECT h, min(ts) FROM ops, (SELECT min(id) >> 32 AS h FROM ops) "
                   "WHERE id >= h << 32 AND id < (h + 1) << 32",
    [S_LAST_TS] = "SELECT h, max(ts) FROM ops, (SELECT max(id) >> 32 AS h FROM ops) "
                  "WHERE id >= h << 32 AND id < (h + 1) << 32",
    [S_OP_COUNT] = "SELECT coalesce(sum(n), 0) FROM rollups WHERE lvl = 2 AND project = 0",
    [S_MARK_GET] = "SELECT off, size, mtime_ns, inode, resume, fp_len, fp_hash FROM marks "
                   "WHERE path = ?1",
    [S_MARK_PUT] = "INSERT OR REPLACE INTO marks(path, off, size, mtime_ns, inode, resume, fp_len, "
                   "fp_hash) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    /* Ordered by bucket, then tool: the primary key's order, since the
     * project is one; written "ORDER BY b, tool", SQLite 3.40 sorts each
     * result again in a temporary b-tree (a quarter of a year's daily
     * trend). The tool condition cannot use rollups_tool (an OR), so the
     * plan is always this scan. */
    [S_RU_RANGE] = "SELECT b, tool, project, " ROLLUP_COLS " FROM rollups WHERE lvl=?1 AND b>=?2 "
                   "AND b<?3 AND project=?4 AND (?5 = 0 OR tool = ?5) ORDER BY b",
    [S_RU_COUNTS] = "SELECT b, tool, n FROM rollups WHERE lvl=?1 AND b>=?2 AND b<?3 AND project=?4 "
                    "AND (?5 = 0 OR tool = ?5)",
    [S_RU_SUMS] = "SELECT coalesce(sum(nt), 0), coalesce(sum(sum_us), 0) FROM rollups "
                  "WHERE lvl=?1 AND b>=?2 AND b<?3 AND project=?4 AND (?5 = 0 OR tool = ?5)",
    [S_TG_RANGE] =
        "SELECT day, project, tool, target, n, failed, sum_us, max_us, nt, asked, wait_us, "
        "nunsplit, unsplit_us, max_id FROM targets "
        "WHERE day >= ?1 AND day < ?2 AND (?3 = 0 OR project = ?3) "
        "AND (?4 = 0 OR tool = ?4)",
    /* Repeated reads: the partial index rereads_hot holds only pairs with 3+
     * reads, and the literal "n >= 3" lets the planner use it. */
    /* The literals 3 and 4000 are REREAD_MIN and REREAD_UNKNOWN_BYTES
     * (rollup.h); the arithmetic is reread_value()'s in rollup.c. */
    [S_RR_TOTALS] = "SELECT " RR_SUMS " FROM rereads WHERE n >= 3 AND last_ms >= ?1 "
                    "AND last_ms < ?2 AND (?3 = 0 OR project = ?3)",
    [S_RR_TOTALS_SESSION] = "SELECT " RR_SUMS " FROM rereads WHERE session = ?4 AND n >= 3 "
                            "AND last_ms >= ?1 AND last_ms < ?2 AND (?3 = 0 OR project = ?3)",
    [S_RS_ALL] = "SELECT coalesce(sum(pairs), 0) FROM reread_sums WHERE lvl = 2 AND project = ?1",
    [S_RS_RANGE] = "SELECT coalesce(sum(pairs), 0), coalesce(sum(reads), 0), "
                   "coalesce(sum(bytes), 0), coalesce(sum(us), 0) FROM reread_sums "
                   "WHERE lvl = ?1 AND b >= ?2 AND b < ?3 AND project = ?4",
    /* The top pairs: of a short window, from the pairs read last in it; of
     * a long one, from the most read pairs down, until enough are in it. */
    [S_RR_TOP] = "SELECT " RR_COLS " FROM rereads INDEXED BY rereads_hot "
                 "WHERE n >= 3 AND last_ms >= ?1 AND last_ms < ?2 "
                 "AND (?3 = 0 OR project = ?3) ORDER BY " RR_ORDER " LIMIT ?5",
    [S_RR_TOP_BY_N] = "SELECT " RR_COLS " FROM rereads INDEXED BY rereads_top "
                      "WHERE n >= 3 AND last_ms >= ?1 AND last_ms < ?2 "
                      "AND (?3 = 0 OR project = ?3) ORDER BY " RR_ORDER " LIMIT ?5",
    [S_RR_TOP_SESSION] = "SELECT " RR_COLS " FROM rereads WHERE session = ?4 AND n >= 3 "
                         "AND last_ms >= ?1 AND last_ms < ?2 AND (?3 = 0 OR project = ?3) "
                         "ORDER BY " RR_ORDER " LIMIT ?5",
    [S_SS_GET] = "SELECT first_ms, last_ms FROM sessions WHERE id = ?1",
    [S_TOOLS] = "SELECT DISTINCT tool FROM rollups WHERE lvl = 2 AND project = 0",
    [S_OP_DEL_RANGE] = "DELETE FROM ops WHERE id >= ?1 AND id < ?2",
    [S_OTHER_SOURCES] = "SELECT 1 FROM ops WHERE (flags >> 8) & ?1 != 0 LIMIT 1",
    /* Turns and requests: a known value replaces an unknown one; of two
     * requests' durations the more exact (flags & 3), the later between
     * equals (a transcript's request grows as its lines come); token counts
     * keep the largest report (streamed placeholders undercount). */
    [S_TURN_PUT] = "INSERT INTO turns VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                   "end_ms = coalesce(excluded.end_ms, end_ms), "
                   "active_us = coalesce(excluded.active_us, active_us), "
                   "src = max(src, excluded.src)",
    [S_TURN_NEAR] = "SELECT start_ms FROM turns WHERE session = ?1 AND start_ms BETWEEN ?2 AND ?3 "
                    "ORDER BY abs(start_ms - ?4) LIMIT 1",
/* A request's duration: the more exact wins, between equals the later
 * source (flags: exact in bits 0-1, source in bits 2-5, timeline.h). */
#define REQ_RANK(f) "(((" f " & 3) << 4) | ((" f " >> 2) & 15))"
    [S_REQ_PUT] =
        "INSERT INTO requests VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13) "
        "ON CONFLICT DO UPDATE SET "
        "session = coalesce(session, excluded.session), "
        "project = CASE WHEN project = 0 THEN excluded.project ELSE project END, "
        "model = coalesce(model, excluded.model), "
        "dur_us = CASE WHEN excluded.dur_us IS NOT NULL AND (dur_us IS NULL "
        "  OR " REQ_RANK("excluded.flags") " >= " REQ_RANK(
            "flags") ") THEN excluded.dur_us ELSE dur_us END, "
                     "ts = CASE WHEN excluded.dur_us IS NOT NULL AND (dur_us IS NULL "
                     "  OR " REQ_RANK("excluded.flags") " >= " REQ_RANK(
                         "flags") ") THEN excluded.ts ELSE ts END, "
                                  "flags = CASE WHEN excluded.dur_us IS NOT NULL AND (dur_us IS "
                                  "NULL "
                                  "  OR " REQ_RANK("excluded.flags") " >= " REQ_RANK(
                                      "flags") ") THEN excluded.flags ELSE flags END, "
                                               "ttft_us = coalesce(excluded.ttft_us, ttft_us), "
                                               "tin = max(coalesce(tin, -1), "
                                               "coalesce(excluded.tin, -1)), "
                                               "tout = max(coalesce(tout, -1), "
                                               "coalesce(excluded.tout, -1)), "
                                               "tcr = max(coalesce(tcr, -1), "
                                               "coalesce(excluded.tcr, -1)), "
                                               "tcw = max(coalesce(tcw, -1), "
                                               "coalesce(excluded.tcw, -1)), "
                                               "cost_micro = coalesce(excluded.cost_micro, "
                                               "cost_micro)",
#define SS_COLS                                                                                    \
    "id, first_ms, last_ms, project, calls, failed, sub, asked, nexec, exec_us, wait_us, "         \
    "hook_us, unsplit_us"
    [S_SS_RANGE] = "SELECT " SS_COLS " FROM sessions WHERE last_ms >= ?1 AND first_ms < ?2 "
                   "ORDER BY last_ms DESC, (SELECT s FROM strs WHERE strs.id = sessions.id) DESC",
    [S_SS_RANGE_PROJECT] =
        "SELECT " SS_COLS " FROM sessions WHERE last_ms >= ?1 "
        "AND first_ms < ?2 AND project = ?3 "
        "ORDER BY last_ms DESC, (SELECT s FROM strs WHERE strs.id = sessions.id) DESC",
    /* Counts: the project's through the covering index sessions_project. */
    [S_SS_COUNT] = "SELECT count(*) FROM sessions WHERE last_ms >= ?1 AND first_ms < ?2",
    [S_SS_COUNT_PROJECT] = "SELECT count(*) FROM sessions INDEXED BY sessions_project "
                           "WHERE project = ?3 AND last_ms >= ?1 AND first_ms < ?2",
    [S_SS_ONE] = "SELECT " SS_COLS " FROM sessions WHERE id = ?1",
    [S_SS_PREFIX] = "SELECT s.id, s.s FROM strs s JOIN sessions x ON x.id = s.id "
                    "WHERE s.s >= ?1 AND s.s < ?1 || char(1114111) ORDER BY s.s LIMIT ?2",
    [S_TURNS_OF] = "SELECT start_ms, end_ms, active_us, src FROM turns WHERE session = ?1 "
                   "ORDER BY start_ms",
#define REQ_COLS                                                                                   \
    "rid, session, project, model, ts, dur_us, ttft_us, tin, tout, tcr, tcw, cost_micro, flags"
    [S_REQS_OF] = "SELECT " REQ_COLS " FROM requests WHERE session = ?1 ORDER BY ts",
    [S_REQS_RANGE] = "SELECT " REQ_COLS " FROM requests WHERE ts >= ?1 AND ts < ?2 ORDER BY ts",
    /* A reading sent again changes nothing; a later cumulative reading of
     * a counter replaces the earlier. */
    [S_USAGE_PUT] = "INSERT INTO usage VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT DO UPDATE SET "
                    "time_ns = excluded.time_ns, value = excluded.value "
                    "WHERE excluded.time_ns > usage.time_ns",
    [S_USAGE_OF] = "SELECT model, metric, sum(value) FROM usage WHERE session = ?1 "
                   "GROUP BY model, metric ORDER BY model, metric",
};

int store_db_fail(struct store *s, char *errbuf, const char *what)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return tp_fail(errbuf, TP_EBUSY, "%s: the database %s stayed locked", what, s->db_path);
    if (code == SQLITE_FULL)
        return tp_fail(errbuf, TP_ENOSPC, "%s: disk full, cannot write %s", what, s->db_path);
    if (code == SQLITE_READONLY)
        return tp_fail(errbuf, TP_EROFS, "%s: %s is read-only", what, s->db_path);
    return tp_fail(errbuf, TP_EDB, "%s: %s (%s)", what, sqlite3_errmsg(s->db), s->db_path);
}

sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id)
{
    if (!s->st[id]) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                               NULL) != SQLITE_OK) {
            fprintf(stderr, "toolprof: cannot prepare statement %d: %s\n", (int)id,
                    sqlite3_errmsg(s->db));
            abort(); /* our SQL is static: this is a bug, not an input error */
        }
    } else {
        sqlite3_reset(s->st[id]);
        sqlite3_clear_bindings(s->st[id]);
    }
    return s->st[id];
}

int store_exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : TP_EDB;
}

/* ---- opening -------------------------------------------------------------- */

char *store_default_dir(const char *dir)
{
    if (dir && *dir)
        return xstrdup(dir);
    const char *env = getenv("TOOLPROF_DATA_DIR");
    if (env && *env)
        return xstrdup(env);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    size_t n = strlen(home) + 64;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/.claude/memory/performance", home);
    return p;
}

static int migrate(struct store *s, char *errbuf)
{
    sqlite3_stmt *q;
    int version = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return store_db_fail(s, errbuf, "reading the schema version");
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version == SCHEMA_VERSION)
        return 0;
    if (version > SCHEMA_VERSION)
        return tp_fail(errbuf, TP_EUNSUPP,
                       "%s has schema version %d, newer than this toolprof knows (%d): "
                       "upgrade toolprof",
                       s->db_path, version, SCHEMA_VERSION);
    if (s->readonly)
        return tp_fail(errbuf, TP_EUNSUPP, "%s needs a schema upgrade; run a writing command",
                       s->db_path);
    if (store_exec(s, "BEGIN IMMEDIATE") != 0)
        return store_db_fail(s, errbuf, "starting the schema upgrade");
    /* Re-read under the write lock: another process may have migrated. */
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        if (store_exec(s, migrations[v]) != 0) {
            int rc = store_db_fail(s, errbuf, "upgrading the schema");
            store_exec(s, "ROLLBACK");
            return rc;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (store_exec(s, sql) != 0 || store_exec(s, "COMMIT") != 0) {
        int rc = store_db_fail(s, errbuf, "upgrading the schema");
        store_exec(s, "ROLLBACK");
        return rc;
    }
    return 0;
}

/* Why dir cannot be written: EROFS for a read-only file system, EACCES
 * for permissions, 0 when it can (or does not exist yet). */
static int store_dir_unwritable(const char *dir)
{
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY))
        return EROFS;
    if (access(dir, W_OK) != 0 && (errno == EROFS || errno == EACCES))
        return errno;
    return 0;
}

int store_open(const char *data_dir, int flags, struct store **out, char *errbuf)
{
    if (chstore_url())
        return chstore_open(chstore_url(), data_dir, flags, out, errbuf);
    int rc;
    struct store *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(data_dir);
    size_t n = strlen(data_dir) + sizeof(STORE_DB_NAME) + 2;
    s->db_path = xmalloc(n);
    snprintf(s->db_path, n, "%s/%s", data_dir, STORE_DB_NAME);
    s->readonly = (flags & STORE_READONLY) != 0;
    kmap_init(&s->text_ids);

    /* Said up front: SQLite would only report "unable to open database
     * file" or "attempt to write a readonly database", naming no cause. */
    int unwritable = store_dir_unwritable(data_dir);
    if (unwritable && !s->readonly) {
        rc = tp_fail(errbuf, TP_EROFS, "data directory %s is read-only (%s)", data_dir,
                     strerror(unwritable));
        goto fail;
    }
    if (!(flags & (STORE_NOCREATE | STORE_READONLY)) &&
        (rc = fs_mkdirs(data_dir, 0700, errbuf)) != 0)
        goto fail;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!(flags & (STORE_NOCREATE | STORE_READONLY)))
        oflags |= SQLITE_OPEN_CREATE;
    /* A WAL database on a read-only file system cannot get its shared
     * memory file; nobody can write there, so it may be read as immutable. */
    char *uri = NULL;
    if (s->readonly && unwritable == EROFS) {
        uri = sqlite3_mprintf("file:%s?immutable=1", s->db_path);
        oflags |= SQLITE_OPEN_URI;
    }
    int orc = sqlite3_open_v2(uri ? uri : s->db_path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_free(uri);
    if (orc != SQLITE_OK) {
        rc = s->db
                 ? tp_fail(errbuf, TP_EIO, "cannot open %s: %s", s->db_path, sqlite3_errmsg(s->db))
                 : tp_fail(errbuf, TP_EIO, "cannot open %s", s->db_path);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 0);
    /* Per-connection settings (not stored in the file). WAL mode is stored,
     * but setting it is cheap when it is already on. */
    if (!s->readonly && store_exec(s, "PRAGMA journal_mode=WAL") != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot use %s: %s", s->db_path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
                      "PRAGMA cache_size=-16000; PRAGMA journal_size_limit=67108864") != 0) {
        rc = tp_fail(errbuf, TP_EIO, "cannot use %s: %s", s->db_path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if ((rc = migrate(s, errbuf)) != 0)
        goto fail;
    char why[TP_ERR_MAX];
    if (redact_configure(data_dir, why) != 0)
        fprintf(stderr, "toolprof: %s/%s\n", data_dir, why);
    s->rw = rollup_writer_new(s->db);
    s->empty_str = 0;
    *out = s;
    return 0;
fail:
    store_close(s);
    *out = NULL;
    return rc;
}

void store_close(struct store *s)
{
    if (s && s->ch) {
        chstore_close(s);
        return;
    }
    if (!s)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (int i = 0; i < SCAN_VARIANTS; i++)
        sqlite3_finalize(s->scan_st[i]);
    for (int i = 0; i < STORE_SCAN_TOOLS; i++)
        for (int k = 0; k < 4; k++)
            sqlite3_finalize(s->tools_st[i][k]);
    for (int i = 0; i < 8; i++)
        sqlite3_finalize(s->sum_st[i]);
    rollup_writer_free(s->rw);
    if (s->db)
        sqlite3_close(s->db);
    for (int g = 0; g < 2; g++) {
        for (size_t i = 0; i < s->gen[g].map.n; i++)
            free(s->gen[g].vals[i]);
        free(s->gen[g].vals);
        kmap_free(&s->gen[g].map);
    }
    free(s->text_id_vals);
    kmap_free(&s->text_ids);
    free(s->dir);
    free(s->db_path);
    free(s);
}

const char *store_dir(const struct store *s)
{
    return s->dir;
}
const char *store_db_path(const struct store *s)
{
    return s->db_path;
}

void store_set_busy_timeout(struct store *s, int ms)
{
    if (s->ch) {
        chstore_set_busy_timeout(s, ms);
        return;
    }
    sqlite3_busy_timeout(s->db, ms);
}

/* ---- strings -------------------------------------------------------------- */

static void cache_text_id(struct store *s, const char *text, size_t len, int64_t id)
{
    int added;
    size_t i = kmap_put(&s->text_ids, text, len, &added);
    if (i >= s->text_id_alloc) {
        s->text_id_alloc = s->text_id_alloc ? s->text_id_alloc * 2 : 256;
        s->text_id_vals = xreallocarray(s->text_id_vals, s->text_id_alloc, sizeof(int64_t));
    }
    s->text_id_vals[i] = id;
}

static int64_t str_id(struct store *s, const char *text, size_t len)
{
    long i = kmap_find(&s->text_ids, text, len);
    if (i >= 0)
        return s->text_id_vals[i];
    sqlite3_stmt *q = store_stmt(s, S_STR_ID);
    sqlite3_bind_text(q, 1, text, (int)len, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        id = sqlite3_column_int64(q, 0);
        cache_text_id(s, text, len, id);
    }
    sqlite3_reset(q);
    return id;
}

int64_t store_str_id(struct store *s, const char *text)
{
    if (s->ch)
        return chstore_str_id(s, text);
    return text ? str_id(s, text, strlen(text)) : 0;
}

/* Id of text, adding it (inside the caller's write transaction). 0 for
 * NULL. Returns -1 on a database error. */
int64_t store_intern(struct store *s, const char *text)
{
    if (!text)
        return 0;
    size_t len = strlen(text);
    int64_t id = str_id(s, text, len);
    if (id)
        return id;
    sqlite3_stmt *q = store_stmt(s, S_STR_INS);
    sqlite3_bind_text(q, 1, text, (int)len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return -1;
    id = sqlite3_last_insert_rowid(s->db);
    cache_text_id(s, text, len, id);
    return id;
}

/* Keep text in the current generation. */
static const char *gen_put(struct store *s, int64_t id, char *text)
{
    struct text_gen *g = &s->gen[s->cur];
    if (g->map.n >= STORE_TEXT_CACHE) {
        /* Rotate: the older generation goes, the current one becomes the
         * older, so a string stays valid for at least STORE_TEXT_CACHE
         * more distinct lookups. */
        s->cur = !s->cur;
        g = &s->gen[s->cur];
        for (size_t i = 0; i < g->map.n; i++)
            free(g->vals[i]);
        kmap_clear(&g->map);
    }
    int added;
    size_t k = kmap_put(&g->map, &id, sizeof id, &added);
    if (k >= g->alloc) {
        g->alloc = g->alloc ? g->alloc * 2 : 256;
        g->vals = xreallocarray(g->vals, g->alloc, sizeof(char *));
    }
    g->vals[k] = text;
    return text;
}

const char *store_str(struct store *s, int64_t id)
{
    if (s->ch)
        return chstore_str(s, id);
    if (id <= 0)
        return NULL;
    long i = kmap_find(&s->gen[s->cur].map, &id, sizeof id);
    if (i >= 0)
        return s->gen[s->cur].vals[i];
    i = kmap_find(&s->gen[!s->cur].map, &id, sizeof id);
    if (i >= 0) /* promote a copy: the older generation goes first */
        return gen_put(s, id, xstrdup(s->gen[!s->cur].vals[i]));
    sqlite3_stmt *q = store_stmt(s, S_STR_TEXT);
    sqlite3_bind_int64(q, 1, id);
    char *text = NULL;
    if (sqlite3_step(q) == SQLITE_ROW)
        text = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_reset(q);
    return text ? gen_put(s, id, text) : NULL;
}

void store_forget_ids(struct store *s)
{
    kmap_clear(&s->text_ids);
}

void row_free(struct row *r)
{
    if (r->owned) {
        free(r->err);
        free(r->meta);
    }
    r->err = r->meta = NULL;
}

int64_t row_dur_us(double ms)
{
    return isnan(ms) ? -1 : llround(ms * 1000.0);
}

int64_t row_col_opt(sqlite3_stmt *q, int col)
{
    return sqlite3_column_type(q, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, col);
}

int row_is_read_tool(struct store *s, int64_t tool)
{
    const char *name = store_str(s, tool);
    return name && strcmp(name, "Read") == 0;
}

/* Fill r from the current result row of a ROW_COLS query; with copy, err
 * and meta are copied (owned), else they point into the statement; copy -1
 * says the query has only LITE_COLS. */
void row_from_stmt(struct store *s, sqlite3_stmt *q, struct row *r, int copy)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    r->ts_ms = (r->id >> 32) * HOUR_MS + sqlite3_column_int64(q, 1);
    r->dur_us = row_col_opt(q, 2);
    r->tool = sqlite3_column_int64(q, 3);
    r->target = sqlite3_column_int64(q, 4);
    r->session = sqlite3_column_int64(q, 5);
    r->project = sqlite3_column_int64(q, 6);
    unsigned f = (unsigned)sqlite3_column_int64(q, 7);
    r->success = (f & F_SUCCESS) != 0;
    r->opt = (f & F_OPT) != 0;
    r->src = (int)((f >> F_SRC_SHIFT) & 7);
    r->is_int = (f & F_INT) != 0;
    r->attn = (int)((f >> F_ATTN_SHIFT) & 3);
    r->sources = (f >> F_SOURCES_SHIFT) & F_SOURCES_MASK;
    r->size = row_col_opt(q, COL_SIZE);
    r->rbytes = row_col_opt(q, COL_RBYTES);
    r->sub = sqlite3_column_int64(q, COL_SUB);
    row_ph_unpack(sqlite3_column_int64(q, COL_PH), sqlite3_column_type(q, COL_PH) == SQLITE_NULL,
                  r->src, &r->ph);
    static const int cols[OP_PH_EXEC] = {COL_WALL, COL_WAIT, COL_HOOK};
    for (int i = 0; i < OP_PH_EXEC; i++) {
        int64_t us = row_col_opt(q, cols[i]);
        r->ph.ms[i] = us >= 0 ? (double)us / 1000.0 : NAN;
    }
    r->ph.ms[OP_PH_EXEC] = r->dur_us >= 0 ? (double)r->dur_us / 1000.0 : NAN;
    if (copy < 0) /* LITE_COLS: no text columns */
        return;
    const char *err = (const char *)sqlite3_column_text(q, COL_ERR);
    const char *meta = (const char *)sqlite3_column_text(q, COL_META);
    r->owned = copy;
    r->err = err ? (copy ? xstrdup(err) : (char *)err) : NULL;
    r->meta = meta ? (copy ? xstrdup(meta) : (char *)meta) : NULL;
    /* Only contributions need is_read: set it when the row is copied for a
     * merge (scans skip the string lookup). */
    r->is_read = copy ? row_is_read_tool(s, r->tool) : 0;
}

int64_t row_ph_pack(const struct op_phases *p)
{
    int64_t v = 0;
    for (int i = 0; i < OP_PH_COUNT; i++)
        v |= (int64_t)((p->exact[i] & 3u) | ((p->src[i] & 15u) << 2)) << (6 * i);
    return v | ((int64_t)(p->ask & 3) << 24);
}

void row_ph_unpack(int64_t v, int null, int src, struct op_phases *p)
{
    for (int i = 0; i < OP_PH_COUNT; i++) {
        p->exact[i] = (unsigned char)((v >> (6 * i)) & 3);
        p->src[i] = (unsigned char)((v >> (6 * i + 2)) & 15);
    }
    p->ask = (int)((v >> 24) & 3);
    if (null) { /* stored before phases: the exec phase is what its source measures */
        p->exact[OP_PH_EXEC] =
            src == OP_SRC_HOOK || src == OP_SRC_OTLP ? OP_EX_EXACT : OP_EX_DERIVED;
        p->src[OP_PH_EXEC] = src == OP_SRC_TRANSCRIPT ? PHS_TIMESTAMPS
                             : src == OP_SRC_HOOK     ? PHS_HOOK
                             : src == OP_SRC_OTLP     ? PHS_OTLP
                                                      : PHS_GIVEN;
    }
}

static void row_contrib(const struct row *r, struct rollup_contrib *c)
{
    c->ts_ms = r->ts_ms;
    c->dur_us = r->dur_us;
    c->tool = r->tool;
    c->target = r->target;
    c->session = r->session;
    c->project = r->project;
    c->success = r->success;
    c->opt = r->opt;
    c->attn = r->attn;
    c->is_read = r->is_read;
    c->size = r->size;
    c->wait_us = row_dur_us(r->ph.ms[OP_PH_WAIT]);
    c->hook_us = row_dur_us(r->ph.ms[OP_PH_HOOK]);
    c->asked = r->ph.ask == OP_ASK_ASKED;
    /* A wall time split neither into exec nor wait: it may include an
     * approval. */
    c->unsplit_us = r->dur_us < 0 && c->wait_us < 0 ? row_dur_us(r->ph.ms[OP_PH_WALL]) : -1;
    c->wall_us = row_dur_us(r->ph.ms[OP_PH_WALL]);
    c->sub = r->sub != 0;
    c->id = r->id;
}

void row_contribute(struct rollup_deltas *d, const struct row *r, int sign)
{
    struct rollup_contrib c;
    row_contrib(r, &c);
    rollup_contribute(d, &c, sign);
}
