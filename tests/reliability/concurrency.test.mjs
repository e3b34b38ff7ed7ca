// concurrency.test.mjs - many writers at once, nothing lost, nothing doubled,
// and readers never see an error.
//
// W writer processes (16) each run the real `toolprof hook` command N times
// (1,000), one process per call as Claude Code does, fed real-shaped
// PostToolUse / PostToolUseFailure payloads with unique tool_use_ids, while
// `toolprof serve` (draining the spool every 250 ms) answers API queries in
// a loop and `toolprof` CLI queries (which drain the spool too) run beside
// it. Afterwards every one of the W x N calls is stored exactly once with
// the duration it was sent with, the rollups count exactly the stored rows,
// PRAGMA integrity_check is ok, and no query, hook or CLI run failed or
// printed "database is locked".
//
// A second test mixes every write path at once: hooks, HTTP POSTs, OTLP
// posts, `toolprof track` and `toolprof import`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  BIN, checkDb, eventually, exportOps, get, hookPayload, idCounts, idMaker, post, recordFigures, run, scale,
  sleep, startServer, tempDir, transcript,
} from './lib.mjs';

const WRITERS = scale('RELIABILITY_WRITERS', 16, 16);
const OPS = scale('RELIABILITY_OPS', 1000, 5000);

const QUERIES = [
  '/api/performance/stats?window=all',
  '/api/performance/stats?window=24h&tool=Read',
  '/api/performance/slow-operations?threshold=2000&limit=50&window=all',
  '/api/performance/bottlenecks?limit=5&window=all',
  '/api/performance/hotspots?limit=20&window=all',
  '/api/performance/recommendations?window=all',
  '/api/performance/trends?days=7',
  '/api/performance/resources',
  '/api/performance/tools',
  '/metrics',
];

// A writer: a shell loop running `toolprof hook` once per payload line. Its
// output file must stay empty: the hook prints nothing and exits 0.
function startWriter(dir, dataDir, k, lines) {
  const file = path.join(dir, `w${k}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  const log = path.join(dir, `w${k}.out`);
  const script = 'n=0; while IFS= read -r l; do n=$((n+1)); "$0" --data-dir "$1" hook <<<"$l"; ' +
    'rc=$?; if [ $rc -ne 0 ]; then echo "line $n: exit $rc"; fi; done < "$2"';
  return { log, done: run('bash', ['-c', `${script} > "$3" 2>&1`, BIN, dataDir, file, log]) };
}

// Query the server in a loop until stop() is called; counts answers and
// failures, and checks that total_operations never goes backwards.
function queryLoop(srv, clients = 2) {
  const st = { n: 0, failures: [], lastTotal: 0, backwards: 0 };
  let stopping = false;
  // Each client's own answers must never go backwards (two clients'
  // answers may arrive out of order).
  const one = async (c) => {
    let i = c;
    let last = 0;
    while (!stopping) {
      const q = QUERIES[i++ % QUERIES.length];
      try {
        const r = await get(srv, q);
        st.n++;
        // A tool filter before that tool's first call is stored is a 404
        // that says so (filters name what is stored): not a failure, as
        // long as no Read was seen before it.
        if (r.status === 404 && /tool=Read/.test(q) && /no tool called Read was ever recorded/.test(r.body) &&
            !st.sawRead) {
          continue;
        }
        if (/tool=Read/.test(q) && r.status === 200) st.sawRead = true;
        if (r.status !== 200 || /locked|busy/i.test(r.body.slice(0, 2000)) ||
            (q !== '/metrics' && !(r.json && r.json.success))) {
          st.failures.push(`${q}: ${r.status} ${r.body.slice(0, 200)}`);
        } else if (q === QUERIES[0]) {
          const t = r.json.data.total_operations;
          if (t < last) { st.backwards++; st.failures.push(`client ${c}: total_operations ${last} then ${t}`); }
          last = Math.max(last, t);
          st.lastTotal = Math.max(st.lastTotal, t);
        }
      } catch (e) {
        st.failures.push(`${q}: ${e.message}`);
      }
    }
  };
  const all = Promise.all(Array.from({ length: clients }, (_, c) => one(c)));
  return { st, stop: async () => { stopping = true; await all; return st; } };
}

// CLI queries in a loop: each drains the spool, so they write too.
function cliLoop(dataDir) {
  const st = { n: 0, failures: [] };
  let stopping = false;
  const cmds = [['stats', '--json', '--window', 'all'], ['slow', '--json', '--window', 'all'], ['tools', '--json']];
  const loop = (async () => {
    let i = 0;
    while (!stopping) {
      const args = cmds[i++ % cmds.length];
      const r = await run(BIN, ['--data-dir', dataDir, ...args]);
      st.n++;
      if (r.code !== 0 || r.stderr !== '' || /locked/i.test(r.stdout)) {
        st.failures.push(`toolprof ${args.join(' ')}: exit ${r.code} ${r.stderr.slice(0, 200)}`);
      }
    }
  })();
  return { st, stop: async () => { stopping = true; await loop; return st; } };
}

test(`${WRITERS} hook writers x ${OPS} calls while the server and the CLI answer queries`,
  { timeout: 30 * 60 * 1000 }, async () => {
    const dir = tempDir('conc');
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir);
    const srv = await startServer({ dataDir });
    let queries;
    let clis;
    try {
      const sent = new Map(); // id -> {duration_ms, tool}
      const lines = [];
      for (let k = 0; k < WRITERS; k++) {
        const nextId = idMaker(k);
        const mine = [];
        for (let i = 0; i < OPS; i++) {
          const p = hookPayload(i, nextId, { session: `sess-${k}`, cwd: `/home/dev/p${k % 4}` });
          sent.set(p.id, { duration_ms: p.duration_ms, tool: p.tool });
          mine.push(JSON.stringify(p.payload));
        }
        lines.push(mine);
      }
      assert.equal(sent.size, WRITERS * OPS, 'ids are unique');

      queries = queryLoop(srv);
      clis = cliLoop(dataDir);
      const t0 = Date.now();
      const writers = lines.map((l, k) => startWriter(dir, dataDir, k, l));
      const ends = await Promise.all(writers.map((w) => w.done));
      const writeMs = Date.now() - t0;
      for (const e of ends) assert.deepEqual([e.code, e.signal], [0, null], 'a writer loop');

      // The server drains every 250 ms; wait for it to see everything (the
      // bound is only there to end a run that lost calls).
      const want = WRITERS * OPS;
      let total = 0;
      await eventually(async () => {
        const r = await get(srv, '/api/performance/stats?window=all');
        total = r.json?.data?.total_operations ?? 0;
        return total >= want;
      }, 300000, 100);
      const q = await queries.stop();
      const c = await clis.stop();

      const writerOutput = writers.map((w) => readFileSync(w.log, 'utf8')).join('');
      const hookErrors = existsSync(path.join(dataDir, 'hook-errors.log'))
        ? readFileSync(path.join(dataDir, 'hook-errors.log'), 'utf8') : '';
      const ops = exportOps(dataDir);
      const counts = idCounts(ops);
      let missing = 0;
      let doubled = 0;
      let wrong = 0;
      for (const [id, s] of sent) {
        const n = counts.get(id) || 0;
        if (n === 0) missing++;
        if (n > 1) doubled++;
      }
      for (const o of ops) {
        const s = sent.get(o.tool_use_id);
        if (!s || Math.abs(o.duration_ms - s.duration_ms) > 0.001 || o.tool !== s.tool || o.source !== 'hook') wrong++;
      }
      const db = checkDb(dataDir);
      const figures = {
        writers: WRITERS, ops_per_writer: OPS, operations: want, stored: ops.length, missing, doubled, wrong,
        write_seconds: +(writeMs / 1000).toFixed(1), hooks_per_second: Math.round(want / (writeMs / 1000)),
        api_queries: q.n, api_failures: q.failures.length, total_went_backwards: q.backwards,
        cli_queries: c.n, cli_failures: c.failures.length, hook_error_lines: hookErrors.split('\n').filter(Boolean).length,
        integrity: db.integrity, rollup_rows: db.rolled,
      };
      recordFigures('concurrency', figures);
      console.log('# ' + JSON.stringify(figures));

      assert.equal(writerOutput, '', 'hook processes printed something or exited non-zero');
      assert.equal(hookErrors, '', 'hook-errors.log');
      assert.deepEqual(q.failures.slice(0, 5), [], `API query failures (${q.failures.length})`);
      assert.deepEqual(c.failures.slice(0, 5), [], `CLI query failures (${c.failures.length})`);
      assert.equal(q.backwards, 0, 'total_operations went backwards');
      assert.ok(q.n > 20, `only ${q.n} API queries during the run`);
      assert.equal(missing, 0, 'calls lost');
      assert.equal(doubled, 0, 'calls stored twice');
      assert.equal(wrong, 0, 'calls stored with another duration, tool or source');
      assert.equal(ops.length, want);
      assert.equal(total, want, 'the server\'s stats');
      assert.equal(db.integrity, 'ok');
      assert.equal(db.rows, want);
      assert.equal(db.rolled, want, 'hourly rollups count the rows');
    } finally {
      // Loops still running when an assertion failed midway stop first.
      if (queries) await queries.stop();
      if (clis) await clis.stop();
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('every write path at once: hooks, POST, OTLP, track and import', { timeout: 10 * 60 * 1000 }, async () => {
  const n = scale('RELIABILITY_MIXED_OPS', 300, 2000);
  const dir = tempDir('mixed');
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const srv = await startServer({ dataDir });
  let queries;
  try {
    const expected = new Set();
    // hooks: 4 writers
    const hookLines = [];
    for (let k = 0; k < 4; k++) {
      const nextId = idMaker(100 + k);
      const l = [];
      for (let i = 0; i < n; i++) {
        const p = hookPayload(i, nextId);
        expected.add(p.id);
        l.push(JSON.stringify(p.payload));
      }
      hookLines.push(l);
    }
    // POST: 4 clients, batches of 25
    const postBatches = [];
    for (let k = 0; k < 4; k++) {
      const nextId = idMaker(200 + k);
      const b = [];
      for (let i = 0; i < n; i += 25) {
        const ops = [];
        for (let j = i; j < Math.min(n, i + 25); j++) {
          const id = nextId(j);
          expected.add(id);
          ops.push({ tool: 'Read', target: `/f/${j}`, duration_ms: j + 0.5, tool_use_id: id, timestamp: new Date(Date.now() - 3600e3 + j * 1000).toISOString() });
        }
        b.push(ops);
      }
      postBatches.push(b);
    }
    // OTLP: 2 clients, 10 records a post
    const otlpBodies = [];
    for (let k = 0; k < 2; k++) {
      const nextId = idMaker(300 + k);
      const bodies = [];
      for (let i = 0; i < n; i += 10) {
        const recs = [];
        for (let j = i; j < Math.min(n, i + 10); j++) {
          const id = nextId(j);
          expected.add(id);
          const ts = BigInt(Date.now() - 7200e3 + j * 1000) * 1000000n;
          const attr = (key, v) => ({ key, value: { stringValue: String(v) } });
          recs.push({ timeUnixNano: ts.toString(), observedTimeUnixNano: ts.toString(), body: { stringValue: 'claude_code.tool_result' },
            attributes: [attr('event.name', 'tool_result'), attr('event.timestamp', new Date(Number(ts / 1000000n)).toISOString()),
              attr('session.id', 'otlp-sess'), attr('tool_name', 'Grep'), attr('tool_use_id', id), attr('success', 'true'),
              attr('duration_ms', 10 + j)] });
        }
        bodies.push({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
          scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: recs }] }] });
      }
      otlpBodies.push(bodies);
    }
    // track: one loop of n/4 calls
    const trackIds = [];
    const nextTrack = idMaker(400);
    for (let i = 0; i < Math.ceil(n / 4); i++) { const id = nextTrack(i); trackIds.push(id); expected.add(id); }
    // import: 4 transcripts of n calls
    const tdir = path.join(dir, 'transcripts');
    mkdirSync(tdir);
    for (let k = 0; k < 4; k++) {
      const t = transcript(n, idMaker(500 + k), Date.now() - 5 * 86400e3 + k * 3600e3);
      t.ids.forEach((id) => expected.add(id));
      writeFileSync(path.join(tdir, `s${k}.jsonl`), t.text);
    }

    const failures = [];
    queries = queryLoop(srv, 1);
    const t0 = Date.now();
    const jobs = [];
    hookLines.forEach((l, k) => jobs.push(startWriter(dir, dataDir, 'h' + k, l).done.then(async () => {
      const out = readFileSync(path.join(dir, `wh${k}.out`), 'utf8');
      if (out) failures.push('hook writer: ' + out.slice(0, 200));
    })));
    postBatches.forEach((b) => jobs.push((async () => {
      for (const ops of b) {
        const r = await post(srv, '/api/performance/operations', ops);
        if (r.status !== 200) failures.push(`POST: ${r.status} ${r.body.slice(0, 200)}`);
      }
    })()));
    otlpBodies.forEach((b) => jobs.push((async () => {
      for (const body of b) {
        const r = await post(srv, '/v1/logs', body);
        if (r.status !== 200) failures.push(`OTLP: ${r.status} ${r.body.slice(0, 200)}`);
      }
    })()));
    jobs.push((async () => {
      for (let i = 0; i < trackIds.length; i++) {
        const r = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Bash', '--target', `make ${i}`,
          '--duration-ms', String(100 + i), '--tool-use-id', trackIds[i]]);
        if (r.code !== 0 || /locked/i.test(r.stderr)) failures.push(`track: ${r.code} ${r.stderr.slice(0, 200)}`);
      }
    })());
    jobs.push((async () => {
      const r = await run(BIN, ['--data-dir', dataDir, 'import', '--quiet', tdir]);
      if (r.code !== 0 || /locked/i.test(r.stderr + r.stdout)) failures.push(`import: ${r.code} ${r.stderr.slice(0, 300)}`);
    })());
    await Promise.all(jobs);
    const ms = Date.now() - t0;
    const q = await queries.stop();

    const ops = exportOps(dataDir);
    const counts = idCounts(ops);
    const missing = [...expected].filter((id) => !counts.has(id));
    const doubled = [...counts.values()].filter((c) => c > 1).length;
    const db = checkDb(dataDir);
    recordFigures('mixed', { operations: expected.size, stored: ops.length, missing: missing.length, doubled,
      seconds: +(ms / 1000).toFixed(1), api_queries: q.n, api_failures: q.failures.length, write_failures: failures.length,
      integrity: db.integrity });
    assert.deepEqual(failures.slice(0, 5), [], `write failures (${failures.length})`);
    assert.deepEqual(q.failures.slice(0, 5), [], `query failures (${q.failures.length})`);
    assert.equal(missing.length, 0, `lost: ${missing.slice(0, 3)}`);
    assert.equal(doubled, 0);
    assert.equal(ops.length, expected.size);
    assert.equal(db.integrity, 'ok');
    assert.equal(db.rolled, db.rows);
  } finally {
    if (queries) await queries.stop();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The server keeps answers for up to a second and drops them on every write
// (docs/api.md). A query sent after a POST was acknowledged must therefore
// see that write, however many other clients ask the same question at the
// same moment.
test('a query sent after an acknowledged write sees it (read-your-writes under load)', { timeout: 5 * 60 * 1000 }, async () => {
  const writes = scale('RELIABILITY_RYW_WRITES', 1000, 3000);
  const srv = await startServer();
  try {
    const Q = '/api/performance/stats?window=all';
    let stopping = false;
    let readerErrors = 0;
    const readers = Array.from({ length: 3 }, async () => {
      while (!stopping) {
        const r = await get(srv, Q);
        if (r.status !== 200) readerErrors++;
      }
    });
    const stale = [];
    const nextId = idMaker(900);
    for (let k = 1; k <= writes; k++) {
      const w = await post(srv, '/api/performance/operations', { tool: 'Read', duration_ms: k, tool_use_id: nextId(k) });
      assert.equal(w.status, 200, w.body);
      const r = await get(srv, Q);
      const t = r.json.data.total_operations;
      if (t < k) stale.push(`after write ${k}: total ${t}`);
    }
    stopping = true;
    await Promise.all(readers);
    recordFigures('read_your_writes', { writes, stale_answers: stale.length, reader_errors: readerErrors });
    assert.equal(readerErrors, 0);
    assert.deepEqual(stale.slice(0, 5), [], `${stale.length} of ${writes} queries missed the write acknowledged before them`);
  } finally {
    await srv.stop();
  }
});
