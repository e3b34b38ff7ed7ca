// crash.test.mjs - SIGKILL at random moments during bulk ingest loses
// nothing that was acknowledged, never corrupts the database, and the next
// start needs no manual step.
//
// The server: K times, `toolprof serve` is started on the same data
// directory and fed by HTTP clients posting batches of operations and an
// OTLP client, while hook writers (the real `toolprof hook`, one process
// per call) keep appending to the spool the server drains; at a random
// moment the server gets SIGKILL. The next start must succeed on its own,
// PRAGMA integrity_check must be ok, and every operation whose POST got a
// 200 must be stored, once. At the end every hook call that exited is
// stored too, and the hourly rollups count exactly the stored rows.
//
// The importer: K times, `toolprof import` runs over a folder of
// transcripts (new ones each round, plus whatever the killed rounds left)
// and is frozen (SIGSTOP) at a random moment, exported, then SIGKILLed;
// every operation the export showed must still be there after the kill,
// and a last import run completes everything, each call stored exactly
// once.
//
// K is RELIABILITY_KILLS: 4 in make test, 20 in make stress.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  BIN, checkDb, eventually, exportOps, get, hookPayload, idCounts, idMaker, post, recordFigures, run, scale,
  sleep, sqlite, startServer, tempDir, transcript,
} from './lib.mjs';

const KILLS = scale('RELIABILITY_KILLS', 4, 20);
// Hook calls per writer and kill (two writers run through the whole test).
const HOOKS_PER_KILL = scale('RELIABILITY_CRASH_HOOKS', 250, 250);

const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));

// Rows in the database now (0 before it has the table), read beside a
// writer: waiting for its locks rather than failing on them.
function storedRows(dataDir) {
  const db = path.join(dataDir, 'toolprof.db');
  if (!existsSync(db)) return 0;
  const q = (sql) => {
    const r = spawnSync('sqlite3', ['-batch', '-cmd', '.timeout 30000', db, sql], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) throw new Error(`sqlite3 ${db} ${sql}: ${r.stderr}`);
    return Number(r.stdout.trim());
  };
  return q("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ops';") ? q('SELECT count(*) FROM ops;') : 0;
}

test(`server: ${KILLS} SIGKILLs during bulk ingest lose no acknowledged operation`, { timeout: 30 * 60 * 1000 }, async () => {
  const dir = tempDir('crash-srv');
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const acked = new Set();
  const unacked = new Set(); // sent, no 200 (may or may not be stored)
  const restarts = [];
  const integrity = [];
  const ackedPerRound = [];
  let posts = 0;
  let failedPosts = 0;
  let stream = 0;

  // Hook writers for the whole test: each prints the number of every
  // payload whose hook process exited 0.
  const hookIds = [];
  const hookLines = [];
  for (let k = 0; k < 2; k++) {
    const nextId = idMaker(700 + k);
    const ids = [];
    const lines = [];
    for (let i = 0; i < HOOKS_PER_KILL * KILLS; i++) {
      const p = hookPayload(i, nextId);
      ids.push(p.id);
      lines.push(JSON.stringify(p.payload));
    }
    hookIds.push(ids);
    hookLines.push(lines);
  }
  const hookDone = hookLines.map((lines, k) => {
    const file = path.join(dir, `hooks${k}.jsonl`);
    writeFileSync(file, lines.join('\n') + '\n');
    // About 150 calls a second per writer: spread over the whole test.
    const script = 'n=0; while IFS= read -r l; do n=$((n+1)); "$0" --data-dir "$1" hook <<<"$l" && echo $n; ' +
      'sleep 0.005; done < "$2"';
    return run('bash', ['-c', script, BIN, dataDir, file]);
  });

  try {
    for (let round = 0; round < KILLS; round++) {
      const t0 = Date.now();
      const srv = await startServer({ dataDir }); // no manual step between rounds
      restarts.push(Date.now() - t0);
      const health = await get(srv, '/api/performance/stats?window=all');
      assert.equal(health.status, 200, `round ${round}: first query after restart: ${health.body}`);

      let stopping = false;
      let ackedThisRound = 0;
      const client = async (kind) => {
        const nextId = idMaker(stream++);
        let i = 0;
        while (!stopping) {
          const ids = [];
          let r;
          try {
            if (kind === 'otlp') {
              const recs = [];
              for (let j = 0; j < 50; j++, i++) {
                const id = nextId(i);
                ids.push(id);
                const attr = (key, v) => ({ key, value: { stringValue: String(v) } });
                recs.push({ timeUnixNano: String(BigInt(Date.now() - 60000) * 1000000n), attributes: [
                  attr('event.name', 'tool_result'), attr('tool_name', 'Grep'), attr('tool_use_id', id),
                  attr('success', 'true'), attr('duration_ms', 5 + j), attr('session.id', 'otlp')] });
              }
              ids.forEach((id) => unacked.add(id));
              r = await post(srv, '/v1/logs', { resourceLogs: [{ scopeLogs: [{ logRecords: recs }] }] });
            } else {
              const ops = [];
              for (let j = 0; j < 200; j++, i++) {
                const id = nextId(i);
                ids.push(id);
                ops.push({ tool: ['Read', 'Bash', 'Edit', 'Grep'][j % 4], target: `/p/f${i}`, duration_ms: (i % 5000) + 0.5,
                  tool_use_id: id, timestamp: new Date(Date.now() - rand(0, 30) * 86400e3).toISOString(), session_id: `s${round}` });
              }
              ids.forEach((id) => unacked.add(id));
              r = await post(srv, '/api/performance/operations', ops);
            }
            posts++;
          } catch {
            failedPosts++;
            return; // the server is gone
          }
          if (r.status === 200) {
            ids.forEach((id) => { acked.add(id); unacked.delete(id); });
            ackedThisRound += ids.length;
          } else {
            failedPosts++;
            throw new Error(`round ${round}: ${kind} answered ${r.status}: ${r.body.slice(0, 200)}`);
          }
        }
      };
      const clients = [client('api'), client('api'), client('api'), client('otlp')];
      // The kill comes at a random moment after the first acknowledged
      // batch of the round: each round has something committed to lose.
      const failedEarly = Promise.race(clients.map((c) => c.then(() => false, () => true)));
      const first = await Promise.race([eventually(() => ackedThisRound > 0, 120000), failedEarly.then(() => false)]);
      await sleep(rand(0, 1200));
      const ackedAtKill = ackedThisRound;
      srv.proc.kill('SIGKILL');
      stopping = true;
      const res = await Promise.allSettled(clients);
      for (const r of res) if (r.status === 'rejected') throw r.reason;
      await srv.stop('SIGKILL', { signal: 'SIGKILL' });
      assert.ok(first && ackedAtKill > 0, `round ${round}: nothing acknowledged before the kill`);
      ackedPerRound.push(ackedAtKill);
      // The database as the kill left it (WAL included) is consistent.
      const check = sqlite(path.join(dataDir, 'toolprof.db'), 'PRAGMA integrity_check;');
      integrity.push(check);
      assert.equal(check, 'ok', `round ${round}: integrity_check after the kill`);
    }

    // A last start drains what the hooks spooled; then everything is checked.
    const hooks = await Promise.all(hookDone);
    const srv = await startServer({ dataDir });
    await sleep(600);
    await srv.stop();
    assert.equal(hooks.length, 2);
    for (const h of hooks) assert.deepEqual([h.code, h.signal, h.stderr], [0, null, ''], 'a hook writer');
    const ops = exportOps(dataDir);
    const counts = idCounts(ops);
    const lostAcked = [...acked].filter((id) => !counts.has(id));
    const doubled = [...counts.values()].filter((c) => c > 1).length;
    let hookAcked = 0;
    const lostHooks = [];
    hooks.forEach((h, k) => {
      for (const n of h.stdout.split('\n').filter(Boolean)) {
        hookAcked++;
        const id = hookIds[k][Number(n) - 1];
        if (!counts.has(id)) lostHooks.push(id);
      }
    });
    const db = checkDb(dataDir);
    const unackedStored = [...unacked].filter((id) => counts.has(id)).length;
    const figures = {
      kills: KILLS, posts, acknowledged_operations: acked.size, lost_acknowledged: lostAcked.length,
      unacknowledged_sent: unacked.size, unacknowledged_stored_anyway: unackedStored,
      hook_calls: hookAcked, lost_hook_calls: lostHooks.length, doubled,
      stored: ops.length, integrity: db.integrity, rollups_equal_rows: db.rolled === db.rows,
      restart_ms_max: Math.max(...restarts), integrity_after_each_kill: integrity.every((c) => c === 'ok'),
      acknowledged_before_each_kill: ackedPerRound,
    };
    recordFigures('crash_server', figures);
    console.log('# ' + JSON.stringify(figures));
    assert.equal(lostAcked.length, 0, `acknowledged but lost: ${lostAcked.slice(0, 3)}`);
    assert.equal(lostHooks.length, 0, `hook calls lost: ${lostHooks.slice(0, 3)}`);
    assert.ok(hookAcked > 0, 'no hook call completed');
    assert.equal(doubled, 0, 'stored twice');
    assert.equal(db.integrity, 'ok');
    assert.equal(db.rolled, db.rows, 'hourly rollups count the rows');
    assert.ok(acked.size > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`importer: ${KILLS} SIGKILLs during bulk import lose no committed batch`, { timeout: 30 * 60 * 1000 }, async () => {
  const dir = tempDir('crash-imp');
  const dataDir = path.join(dir, 'data');
  const tdir = path.join(dir, 'projects', '-home-dev-project');
  mkdirSync(dataDir);
  mkdirSync(tdir, { recursive: true });
  const FILES = scale('RELIABILITY_IMPORT_FILES', 12, 20);
  const CALLS = 2000;
  const all = new Set();
  let kills = 0;
  let finishedFirst = 0;
  let visibleChecked = 0;
  const visibleAtKill = [];
  try {
    for (let round = 0; round < KILLS; round++) {
      for (let f = 0; f < FILES; f++) {
        const t = transcript(CALLS, idMaker(1000 + round * 100 + f), Date.now() - 25 * 86400e3 + (round * FILES + f) * 3600e3);
        t.ids.forEach((id) => all.add(id));
        writeFileSync(path.join(tdir, `r${round}-${f}.jsonl`), t.text);
      }
      let proc;
      let ended = false;
      const base = storedRows(dataDir);
      const imp = run(BIN, ['--data-dir', dataDir, 'import', '--quiet', path.join(dir, 'projects')], { onSpawn: (p) => { proc = p; } });
      imp.then(() => { ended = true; }, () => { ended = true; });
      // Frozen at a random moment after its first commit of the round: what
      // an export shows then was committed, and must survive the SIGKILL
      // that follows. The first commit is a batch of IMPORTER_BATCH_OPS
      // (5000) calls, a quarter of a round (12 files of 2000 in make test);
      // the moment is within the time that took, and the rest of the round
      // takes about three times as long, so it falls mid-import however fast
      // the machine (or slow the sanitizer build) is.
      const t0 = Date.now();
      await eventually(() => ended || storedRows(dataDir) > base, 120000, 20);
      await sleep(rand(0, Math.max(1, Date.now() - t0)));
      proc.kill('SIGSTOP');
      const before = exportOps(dataDir).map((o) => o.tool_use_id);
      proc.kill('SIGKILL');
      const r = await imp;
      if (r.signal !== 'SIGKILL') {
        finishedFirst++;
        assert.equal(r.code, 0, r.stderr);
      } else {
        kills++;
        assert.ok(before.length > base, `round ${round}: nothing committed before the kill (${before.length} rows, ${base} before the round)`);
      }
      const after = idCounts(exportOps(dataDir));
      const lost = before.filter((id) => !after.has(id));
      visibleChecked += before.length;
      visibleAtKill.push(before.length);
      assert.equal(lost.length, 0, `round ${round}: ${lost.length} operations visible before the kill are gone`);
      assert.equal([...after.values()].filter((c) => c > 1).length, 0, `round ${round}: stored twice`);
      const check = sqlite(path.join(dataDir, 'toolprof.db'), 'PRAGMA integrity_check;');
      assert.equal(check, 'ok', `round ${round}: integrity_check`);
    }
    // A run to the end finishes every file, each call once.
    const last = await run(BIN, ['--data-dir', dataDir, 'import', '--quiet', path.join(dir, 'projects')]);
    assert.equal(last.code, 0, last.stderr);
    const counts = idCounts(exportOps(dataDir));
    const missing = [...all].filter((id) => !counts.has(id));
    const doubled = [...counts.values()].filter((c) => c > 1).length;
    const extra = [...counts.keys()].filter((id) => !all.has(id)).length;
    const db = checkDb(dataDir);
    const figures = { kills, rounds: KILLS, finished_before_kill: finishedFirst, operations: all.size,
      visible_before_kills: visibleChecked, stored_at_each_kill: visibleAtKill, missing: missing.length, doubled, extra, integrity: db.integrity,
      rollups_equal_rows: db.rolled === db.rows, last_run: last.stdout.trim().split('\n').pop() };
    recordFigures('crash_import', figures);
    console.log('# ' + JSON.stringify(figures));
    assert.ok(kills >= Math.ceil(KILLS / 2), `only ${kills} of ${KILLS} rounds were killed mid-import`);
    assert.equal(missing.length, 0);
    assert.equal(doubled, 0);
    assert.equal(extra, 0);
    assert.equal(db.integrity, 'ok');
    assert.equal(db.rolled, db.rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
