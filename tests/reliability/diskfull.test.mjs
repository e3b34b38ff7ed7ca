// diskfull.test.mjs - a full disk and a read-only data directory give a
// clear error, never a crash, a silent loss or a half-written record, and
// everything works again once the disk has room / is writable.
//
// The data directory lives on a small tmpfs mounted for the test (root
// only: in CI the tests run as root). A file filling the tmpfs makes the
// disk full; `mount -o remount,ro` makes it read-only (which stops root
// too, unlike chmod). Without the right to mount, the tests are skipped
// with the reason printed.
//
// Each case is recorded in build/reliability/resource-cases.json for the
// table in docs/reliability.md.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, caseTable, checkDb, exportOps, get, hookPayload, idCounts, idMaker, post, run, sleep,
  startServer, tempDir, transcript,
} from './lib.mjs';

const { record, tcase } = caseTable('resource-cases.json', test);

function sh(cmd, args) {
  return spawnSync(cmd, args, { encoding: 'utf8' });
}

// Mount a tmpfs of `size` at a new directory; returns its path, or null
// with the reason in mountError.
let mountError = '';
function mountTmpfs(size) {
  const dir = tempDir('tmpfs');
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  if (r.status !== 0) {
    mountError = `cannot mount a tmpfs (${(r.stderr || '').trim() || 'mount failed'}); run as root to test this`;
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

function umount(dir) {
  if (!dir) return;
  sh('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

// Fill the file system holding dir; returns the filler's path.
let fillerN = 0;
function fill(dir) {
  const f = path.join(dir, `filler${fillerN++}`);
  sh('dd', ['if=/dev/zero', `of=${f}`, 'bs=4096']);
  return f;
}

const FULL_MSG = /disk is full|disk full|no space/i;
const RO_MSG = /read-only|EROFS/i;

// A hook's failure must reach someone: a line in the data directory's
// hook-errors.log, or (when that cannot be written either) a message on
// stderr with a non-zero exit, which Claude Code shows as a hook error.
function hookReported(r, dataDir, sizeBefore) {
  const log = path.join(dataDir, 'hook-errors.log');
  const grew = existsSync(log) && readFileSync(log).length > sizeBefore;
  // The hook keeps exit 0 whatever happens (a non-zero code would show the
  // agent a hook error); when even its log cannot be written it says so on
  // stderr, which Claude Code keeps for its verbose view.
  return grew || r.stderr.trim() !== '';
}

const logSize = (dataDir) => {
  const log = path.join(dataDir, 'hook-errors.log');
  return existsSync(log) ? readFileSync(log).length : 0;
};

describe('disk full', () => {
  let mnt;
  before(() => { mnt = mountTmpfs('8m'); });
  after(() => umount(mnt));

  tcase('the server, the CLI and import on a full disk', { timeout: 120000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'data');
    const srv = await startServer({ dataDir });
    const nextId = idMaker(1);
    let k = 0;
    const acked = new Set();
    const refused = new Set();
    const tx = tempDir('df-tx');
    const fillers = [];
    try {
      // Some data before the disk fills up.
      const first = Array.from({ length: 100 }, () => ({ tool: 'Read', target: '/a', duration_ms: 1, tool_use_id: nextId(k++) }));
      assert.equal((await post(srv, '/api/performance/operations', first)).status, 200);
      first.forEach((o) => acked.add(o.tool_use_id));

      fillers.push(fill(mnt));

      // POST: a large batch cannot be committed.
      const big = Array.from({ length: 2000 }, (_, i) => ({ tool: 'Read', target: `/x/${i}/${'y'.repeat(200)}`, duration_ms: i, tool_use_id: nextId(k++) }));
      const r1 = await post(srv, '/api/performance/operations', big);
      record({ condition: 'disk full', entry: 'POST /api/performance/operations', input: '2,000 operations (0.6 MB)',
        outcome: `${r1.status} ${r1.json?.message}`, stored: r1.status === 200 ? 'all' : 'nothing' });
      if (r1.status === 200) big.forEach((o) => acked.add(o.tool_use_id));
      else {
        big.forEach((o) => refused.add(o.tool_use_id));
        assert.ok(r1.status >= 500 && r1.status < 600, `status ${r1.status}`);
        assert.equal(r1.json?.success, false);
        assert.match(r1.json.message, FULL_MSG);
      }

      // OTLP likewise.
      const recs = Array.from({ length: 2000 }, (_, i) => {
        const id = nextId(k++);
        return { id, rec: { timeUnixNano: String(BigInt(Date.now() - 60000) * 1000000n), attributes: [
          { key: 'event.name', value: { stringValue: 'tool_result' } }, { key: 'tool_name', value: { stringValue: 'Bash' } },
          { key: 'tool_use_id', value: { stringValue: id } }, { key: 'duration_ms', value: { stringValue: String(i) } },
          { key: 'tool_parameters', value: { stringValue: JSON.stringify({ bash_command: 'x'.repeat(300) }) } }] } };
      });
      const r2 = await post(srv, '/v1/logs', { resourceLogs: [{ scopeLogs: [{ logRecords: recs.map((r) => r.rec) }] }] });
      record({ condition: 'disk full', entry: 'POST /v1/logs', input: '2,000 log records',
        outcome: `${r2.status} ${r2.json?.message ?? r2.body}`, stored: r2.status === 200 ? 'all' : 'nothing' });
      if (r2.status === 200) recs.forEach((r) => acked.add(r.id));
      else {
        recs.forEach((r) => refused.add(r.id));
        assert.ok(r2.status >= 500 && r2.status < 600, `status ${r2.status}`);
        assert.match(r2.json.message, FULL_MSG);
      }

      // Reads still work.
      const r3 = await get(srv, '/api/performance/stats?window=all');
      record({ condition: 'disk full', entry: 'GET /api/performance/stats', input: 'window=all', outcome: `${r3.status}`, stored: '-' });
      assert.equal(r3.status, 200, r3.body);

      // track
      const trackId = nextId(k++);
      const r4 = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Bash', '--duration-ms', '5', '--target', 'x'.repeat(4000), '--tool-use-id', trackId]);
      record({ condition: 'disk full', entry: 'toolprof track', input: 'one call', outcome: `exit ${r4.code}: ${r4.stderr.trim()}`, stored: r4.code === 0 ? 'all' : 'nothing' });
      if (r4.code === 0) acked.add(trackId);
      else {
        refused.add(trackId);
        assert.equal(r4.signal, null);
        assert.match(r4.stderr, FULL_MSG);
      }

      // import
      const t1 = transcript(3000, idMaker(2), Date.now() - 3 * 86400e3);
      writeFileSync(path.join(tx, 's.jsonl'), t1.text);
      const r5 = await run(BIN, ['--data-dir', dataDir, 'import', '--quiet', tx]);
      record({ condition: 'disk full', entry: 'toolprof import', input: 'a transcript of 3,000 calls', outcome: `exit ${r5.code}: ${r5.stderr.trim().split('\n')[0]}`, stored: 'committed batches only' });
      assert.equal(r5.signal, null);
      if (r5.code !== 0) assert.match(r5.stderr, FULL_MSG);

      // Health: the server is still up.
      assert.equal((await get(srv, '/healthz')).status, 200);

      // Room again: everything works, nothing half-written is there.
      fillers.splice(0).forEach((f) => rmSync(f, { force: true }));
      const again = Array.from({ length: 50 }, () => ({ tool: 'Edit', target: '/b', duration_ms: 2, tool_use_id: nextId(k++) }));
      const r7 = await post(srv, '/api/performance/operations', again);
      assert.equal(r7.status, 200, r7.body);
      again.forEach((o) => acked.add(o.tool_use_id));
      const r8 = await run(BIN, ['--data-dir', dataDir, 'import', '--quiet', tx]);
      assert.equal(r8.code, 0, r8.stderr);
      t1.ids.forEach((id) => acked.add(id));
      await srv.stop();

      const counts = idCounts(exportOps(dataDir));
      const lost = [...acked].filter((id) => !counts.has(id));
      const half = [...refused].filter((id) => counts.has(id));
      const db = checkDb(dataDir);
      record({ condition: 'disk full, then room again', entry: 'all of the above', input: 'POST, import',
        outcome: `200; import completes; integrity_check ${db.integrity}; rollups = rows: ${db.rolled === db.rows}`,
        stored: `${lost.length} acknowledged lost, ${half.length} refused stored` });
      assert.equal(lost.length, 0, `acknowledged but lost: ${lost.slice(0, 3)}`);
      assert.equal(half.length, 0, `refused but stored (half-written): ${half.slice(0, 3)}`);
      assert.equal(db.integrity, 'ok');
      assert.equal(db.rolled, db.rows);
    } finally {
      fillers.forEach((f) => rmSync(f, { force: true }));
      await srv.stop();
      rmSync(tx, { recursive: true, force: true });
    }
  });

  tcase('the hook on a full disk does not lose a call without a word', { timeout: 60000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'hookfull');
    const srv = await startServer({ dataDir }); // drains the spool every 250 ms
    const filler = fill(mnt);
    try {
      const hp = hookPayload(3, idMaker(11), {});
      const before = logSize(dataDir);
      const r = await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(hp.payload) });
      const reported = hookReported(r, dataDir, before);
      await sleep(600);
      rmSync(filler);
      await sleep(600);
      await srv.stop();
      const stored = idCounts(exportOps(dataDir)).has(hp.id);
      const logged = logSize(dataDir) > before;
      record({ condition: 'disk full', entry: 'toolprof hook', input: 'one PostToolUse payload',
        outcome: `exit ${r.code}${r.stderr ? ': ' + r.stderr.trim() : ', nothing on stderr'}; ` +
          `hook-errors.log ${logged ? 'has the reason' : 'unchanged (cannot be written either)'}`,
        stored: stored ? 'stored' : 'nothing' });
      assert.ok(reported || stored,
        'a hook call was lost on a full disk without a word: exit 0, nothing on stderr, nothing in hook-errors.log');
    } finally {
      rmSync(filler, { force: true });
      await srv.stop();
    }
  });

  tcase('a hook line cut short by a full disk does not swallow the next one', { timeout: 60000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'spool');
    const nextId = idMaker(3);
    const payload = (i) => hookPayload(i, nextId, {});
    // One call spooled (no server: nothing drains), so the spool's last page
    // has room for a few more lines, then none.
    const p0 = payload(0);
    assert.equal((await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(p0.payload) })).code, 0);
    const filler = fill(mnt);
    try {
      const during = [];
      for (let i = 1; i <= 20; i++) {
        const p = payload(i);
        during.push(p.id);
        await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(p.payload) });
      }
      // The lines that made it whole are acknowledged (they are in the spool).
      const spool = readFileSync(path.join(dataDir, 'spool.jsonl'), 'utf8');
      const whole = spool.split('\n').slice(0, -1).map((l) => { try { return JSON.parse(l).tool_use_id; } catch { return null; } }).filter(Boolean);
      const cut = !spool.endsWith('\n');
      rmSync(filler);
      const pz = payload(99);
      assert.equal((await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(pz.payload) })).code, 0);
      const counts = idCounts(exportOps(dataDir)); // drains the spool
      const lost = whole.filter((id) => !counts.has(id));
      record({ condition: 'disk full mid-line, then room again', entry: 'toolprof hook (spool)', input: `${during.length} payloads while full, 1 after`,
        outcome: `spool ${cut ? 'ends in a cut line' : 'ends whole'}; ${whole.length - 1} whole lines while full; call after recovery ${counts.has(pz.id) ? 'stored' : 'LOST'}`,
        stored: `${lost.length} whole lines lost` });
      assert.equal(lost.length, 0, 'whole spool lines lost');
      assert.ok(counts.has(p0.id));
      assert.ok(counts.has(pz.id), 'the first call hooked after the disk had room again was lost: ' +
        'it was appended to the cut line left by the full disk, and the drain skipped both as one malformed line');
      assert.equal(checkDb(dataDir).integrity, 'ok');
    } finally {
      rmSync(filler, { force: true });
    }
  });
});

describe('read-only data directory', () => {
  let mnt;
  let dataDir;
  let tx;
  let ids = [];
  let skip = '';
  before(async () => {
    mnt = mountTmpfs('8m');
    if (!mnt) { skip = mountError; return; }
    dataDir = path.join(mnt, 'data');
    const nextId = idMaker(4);
    for (let i = 0; i < 20; i++) {
      const id = nextId(i);
      ids.push(id);
      const r = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Read', '--duration-ms', String(i), '--tool-use-id', id]);
      assert.equal(r.code, 0, r.stderr);
    }
    tx = tempDir('ro-tx');
    writeFileSync(path.join(tx, 's.jsonl'), transcript(10, idMaker(5), Date.now() - 86400e3).text);
    const ro = sh('mount', ['-o', 'remount,ro', mnt]);
    if (ro.status !== 0) skip = `cannot remount read-only: ${ro.stderr.trim()}`;
  });
  after(() => {
    if (tx) rmSync(tx, { recursive: true, force: true });
    umount(mnt);
  });

  // Reading could work on a read-only directory; if it does not, it must
  // say why. Writing must fail, saying the data directory is read-only.
  const cmds = [
    ['serve', ['--listen', '127.0.0.1:0', '--no-watch'], 'write'],
    ['stats', ['--window', 'all'], 'read'],
    ['export', ['--format', 'jsonl', '--out', '-'], 'read'],
    ['track', ['--tool', 'Read', '--duration-ms', '1'], 'write'],
    ['import', ['--quiet', 'TX'], 'write'],
    ['prune', ['--older-than', '30d'], 'write'],
  ];
  for (const [cmd, args, kind] of cmds) {
    tcase(`toolprof ${cmd} says the data directory is read-only`, { timeout: 20000 }, async (t) => {
      if (skip) { t.skip(skip); return; }
      let proc;
      const a = args.map((x) => (x === 'TX' ? tx : x));
      const pr = run(BIN, ['--data-dir', dataDir, cmd, ...a], { onSpawn: (p) => { proc = p; } });
      const timer = setTimeout(() => proc && proc.kill('SIGKILL'), 5000); // a serve that started
      const r = await pr;
      clearTimeout(timer);
      const msg = r.stderr.trim();
      record({ condition: 'read-only data dir', entry: `toolprof ${cmd}`, input: a.join(' ').replace(tx, 'DIR'), outcome: `exit ${r.code ?? r.signal}: ${msg}`, stored: 'nothing' });
      assert.equal(r.signal, null, `killed by ${r.signal} (hung or crashed)`);
      if (kind === 'read' && r.code === 0) return;
      assert.notEqual(r.code, 0, 'exit 0 on a read-only data directory');
      assert.ok(msg.includes(mnt), `the message does not name the data directory: ${msg}`);
      assert.match(msg, RO_MSG, 'the message does not say the data directory is read-only');
    });
  }

  tcase('toolprof hook does not lose a call without a word', async (t) => {
    if (skip) { t.skip(skip); return; }
    const hp = hookPayload(1, idMaker(12), {});
    const before = logSize(dataDir);
    const r = await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(hp.payload) });
    const reported = hookReported(r, dataDir, before);
    record({ condition: 'read-only data dir', entry: 'toolprof hook', input: 'one PostToolUse payload',
      outcome: `exit ${r.code}${r.stderr ? ': ' + r.stderr.trim() : ', nothing on stderr, nothing logged'}`, stored: 'nothing' });
    assert.ok(reported, 'the call is lost without a word (exit 0, no stderr, no hook-errors.log)');
  });

  tcase('writable again: nothing lost, everything works', async (t) => {
    if (skip) { t.skip(skip); return; }
    const rw = sh('mount', ['-o', 'remount,rw', mnt]);
    assert.equal(rw.status, 0, rw.stderr);
    const r = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Read', '--duration-ms', '1']);
    const counts = idCounts(exportOps(dataDir));
    const lost = ids.filter((id) => !counts.has(id)).length;
    const db = checkDb(dataDir);
    record({ condition: 'read-only, then writable again', entry: 'toolprof track, export', input: '-',
      outcome: `track exit ${r.code}; integrity_check ${db.integrity}`, stored: `${lost} of ${ids.length} earlier calls lost` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lost, 0, 'calls lost');
    assert.equal(db.integrity, 'ok');
  });
});
