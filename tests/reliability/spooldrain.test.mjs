// spooldrain.test.mjs - the hook spool on a full disk: a drain that cannot
// store keeps every spooled call, says so, and the calls are all stored once
// there is room again; lines that cannot be read are set aside in
// spool-rejected.jsonl, byte for byte, and that file is kept.
//
// Three drainers meet the full disk: a CLI command, the server (its
// maintenance thread), and the hook itself (the one whose line takes the
// spool across 256 KB). The data directory lives on a small tmpfs mounted
// for the test (root only, as in diskfull.test.mjs); a file fills it to
// within about 48 KB: room for the hook's appends, for SQLite to open the
// database (its 32 KB shared-memory file) and for a log line, but not for
// a drain's writes.
// Each case counts the stored calls against the calls hooked, by id.
//
// The cases are recorded in build/reliability/spool-cases.json for the
// table in docs/reliability.md.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, caseTable, checkDb, eventually, get, idCounts, idMaker, run, sleep, sqlite, startServer, tempDir,
} from './lib.mjs';

const { record, tcase } = caseTable('spool-cases.json', test);

const FULL_MSG = /disk is full|disk full|no space/i;
const KEPT_MSG = /hook spool kept in .* for a later drain/;
const REJECTS = 'spool-rejected.jsonl';
// Two lines no drain can read: a line cut short by a full disk (appends
// start with a newline, so the fragment ends there) and plain garbage.
const GARBAGE = ['{"tool":"Bash","tool_use_id":"toolu_cut', 'not json at all'];

let mountError = '';
function mountTmpfs(size) {
  const dir = tempDir('spoolfs');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    mountError = `cannot mount a tmpfs (${(r.stderr || '').trim() || 'mount failed'}); run as root to test this`;
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

function umount(dir) {
  if (!dir) return;
  spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

// Fill the file system of dir to within `leave` bytes; returns the filler.
function fillLeaving(dir, leave) {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  const n = Math.floor((free - leave) / 4096);
  assert.ok(n > 0, `only ${free} bytes free`);
  const f = path.join(dir, 'filler');
  const r = spawnSync('dd', ['if=/dev/zero', `of=${f}`, 'bs=4096', `count=${n}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return f;
}

// A Bash call with a 1 KB command: a spool line of about 1.2 KB, and a drain
// that needs more than 48 KB of database pages for a hundred of them.
function bigPayload(i, nextId) {
  const id = nextId(i);
  return {
    id,
    payload: {
      session_id: '3b47cc69-5b2f-4f61-9d2e-0c8b3c1f7e21', cwd: '/home/dev/project', hook_event_name: 'PostToolUse',
      tool_name: 'Bash', tool_input: { command: `echo ${i} ${'x'.repeat(1000)}`, description: 'pad' },
      tool_response: { stdout: 'ok', stderr: '', interrupted: false, isImage: false }, tool_use_id: id,
      duration_ms: 10 + i,
    },
  };
}

// One hook call; it must be acknowledged (exit 0, nothing on stderr).
async function hook(dataDir, p) {
  const r = await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(p.payload) });
  assert.equal(r.code, 0, `hook exit ${r.code ?? r.signal}: ${r.stderr}`);
  assert.equal(r.stderr, '', `hook ${p.id}: ${r.stderr}`);
}

const spoolNames = (dataDir) => readdirSync(dataDir).filter((n) => n === 'spool.jsonl' || /^spool\..*\.draining$/.test(n));
const fileSize = (f) => (existsSync(f) ? statSync(f).size : 0);
const spoolBytes = (dataDir) => spoolNames(dataDir).reduce((a, n) => a + fileSize(path.join(dataDir, n)), 0);

// The spool's lines: ids of the calls in it, and the lines that are not calls.
function spoolContent(dataDir) {
  const ids = [];
  const other = [];
  for (const n of spoolNames(dataDir)) {
    for (const line of readFileSync(path.join(dataDir, n), 'utf8').split('\n')) {
      if (!line) continue;
      let id = null;
      try { id = JSON.parse(line).tool_use_id; } catch { id = null; }
      if (id) ids.push(id);
      else other.push(line);
    }
  }
  return { ids, other };
}

const logLines = (dataDir) => {
  const f = path.join(dataDir, 'hook-errors.log');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
};

// `toolprof resources --json`; returns {r, json}.
async function resources(dataDir) {
  const r = await run(BIN, ['--data-dir', dataDir, 'resources', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { r, json: JSON.parse(r.stdout) };
}

// Every stored call, with the command's stderr (export drains the spool).
async function exportAll(dataDir) {
  const r = await run(BIN, ['--data-dir', dataDir, 'export', '--format', 'jsonl', '--out', '-']);
  assert.equal(r.code, 0, r.stderr);
  return { r, ops: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

// Exactly the ids sent, each once.
function assertExactly(ops, ids, what) {
  const counts = idCounts(ops);
  const missing = ids.filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, c]) => c !== 1);
  assert.equal(missing.length, 0, `${what}: ${missing.length} of ${ids.length} calls lost (${missing.slice(0, 3)})`);
  assert.equal(twice.length, 0, `${what}: stored more than once: ${twice.slice(0, 3)}`);
  assert.equal(ops.length, ids.length, `${what}: ${ops.length} stored, ${ids.length} sent`);
}

const garbageText = GARBAGE.map((l) => `${l}\n`).join('');
const addGarbage = (dataDir) => appendFileSync(path.join(dataDir, 'spool.jsonl'), GARBAGE.map((l) => `\n${l}\n`).join(''));

describe('spool drains on a full disk', () => {
  let mnt;
  before(() => { mnt = mountTmpfs('8m'); });
  after(() => umount(mnt));

  tcase('a CLI command: the spool is kept and reported, then stored whole', { timeout: 120000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'cli');
    const nextId = idMaker(21);
    const sent = [nextId(999)];
    let filler = null;
    try {
      const tr = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Read', '--duration-ms', '1', '--tool-use-id', sent[0]]);
      assert.equal(tr.code, 0, tr.stderr);
      for (let i = 0; i < 150; i++) {
        const p = bigPayload(i, nextId);
        await hook(dataDir, p);
        sent.push(p.id);
      }
      addGarbage(dataDir);
      const spooled = spoolBytes(dataDir);
      filler = fillLeaving(mnt, 48 * 1024);

      const st = await run(BIN, ['--data-dir', dataDir, 'stats', '--window', 'all']);
      assert.equal(st.code, 0, st.stderr);
      const warnings = st.stderr.split('\n').filter((l) => KEPT_MSG.test(l));
      assert.equal(warnings.length, 1, `stderr: ${st.stderr}`);
      assert.match(warnings[0], FULL_MSG);
      const res = await resources(dataDir);
      assert.equal(res.json.spool.ok, false);
      assert.match(res.json.spool.drain_error, FULL_MSG);
      assert.equal(res.json.spool.pending_bytes, spooled);
      assert.equal(res.json.spool.rejected_bytes, 0);
      assert.match(res.r.stderr, KEPT_MSG);
      const kept = spoolContent(dataDir);
      assert.deepEqual([...kept.ids].sort(), sent.slice(1).sort(), 'spooled calls while the disk is full');
      assert.deepEqual(kept.other, GARBAGE);
      assert.equal(existsSync(path.join(dataDir, REJECTS)), false, 'set aside while nothing could be stored');

      rmSync(filler);
      filler = null;
      const ex = await exportAll(dataDir);
      assertExactly(ex.ops, sent, 'after room again');
      assert.match(ex.r.stderr, new RegExp(`2 malformed spool lines set aside in .*${REJECTS}`));
      assert.equal(spoolBytes(dataDir), 0);
      assert.equal(readFileSync(path.join(dataDir, REJECTS), 'utf8'), garbageText);
      const res2 = await resources(dataDir);
      assert.equal(res2.json.spool.ok, true);
      assert.equal(res2.json.spool.drain_error, null);
      assert.equal(res2.json.spool.rejected_bytes, garbageText.length);
      assert.equal(res2.r.stderr, '');
      assert.equal(readFileSync(path.join(dataDir, REJECTS), 'utf8'), garbageText, 'the set-aside file is kept');
      const db = checkDb(dataDir);
      assert.equal(db.integrity, 'ok');
      assert.equal(db.rolled, db.rows);
      record({ drainer: 'toolprof stats (CLI)', calls: `${sent.length - 1} hooked + 1 tracked, 2 unreadable lines`,
        'while full': `exit 0; stderr: ${warnings[0].replaceAll(mnt, '…')}; resources: spool.ok false`,
        'room again': `${ex.ops.length} of ${sent.length} stored; 2 lines in ${REJECTS}` });
    } finally {
      if (filler) rmSync(filler, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  tcase('the server: says so once, flags /healthz and resources, retries until stored', { timeout: 120000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'srv');
    const nextId = idMaker(22);
    const sent = [];
    let filler = null;
    const srv = await startServer({ dataDir });
    try {
      // The server is stopped while the calls are spooled and the disk
      // fills, so that its first drain meets the full disk with all of them.
      process.kill(srv.proc.pid, 'SIGSTOP');
      try {
        for (let i = 0; i < 150; i++) {
          const p = bigPayload(i, nextId);
          await hook(dataDir, p);
          sent.push(p.id);
        }
        addGarbage(dataDir);
        filler = fillLeaving(mnt, 48 * 1024);
      } finally {
        process.kill(srv.proc.pid, 'SIGCONT');
      }
      assert.ok(await eventually(() => KEPT_MSG.test(srv.stderr()), 20000), `server log: ${srv.stderr()}`);
      const h = await get(srv, '/healthz');
      assert.equal(h.status, 200);
      assert.equal(h.json.status, 'degraded');
      assert.equal(h.json.spool.ok, false);
      assert.match(h.json.spool.drain_error, FULL_MSG);
      assert.ok(h.json.spool.pending_bytes > 150 * 1000, JSON.stringify(h.json));
      const rs = await get(srv, '/api/performance/resources');
      assert.equal(rs.status, 200);
      assert.equal(rs.json.data.spool.ok, false);
      assert.match(rs.json.data.spool.drain_error, FULL_MSG);
      assert.equal((await get(srv, '/api/performance/stats?window=all')).status, 200);
      // Several attempts (250 ms, then 0.5, 1, 2 s apart), one message.
      await sleep(4000);
      const said = srv.stderr().split('\n').filter((l) => KEPT_MSG.test(l));
      assert.equal(said.length, 1, `server log: ${srv.stderr()}`);
      assert.match(said[0], FULL_MSG);
      assert.deepEqual([...spoolContent(dataDir).ids].sort(), [...sent].sort());

      rmSync(filler);
      filler = null;
      assert.ok(await eventually(async () => (await get(srv, '/healthz')).json?.status === 'ok', 20000), 'healthz stays degraded');
      assert.deepEqual((await get(srv, '/healthz')).json, { status: 'ok' });
      const again = srv.stderr().match(/spool: drained again after (\d+) failed attempts/);
      assert.ok(again, `server log: ${srv.stderr()}`);
      assert.ok(Number(again[1]) >= 3, `only ${again[1]} attempts`);
      assert.match(srv.stderr(), new RegExp(`2 malformed spool lines set aside in .*${REJECTS}`));
      const rs2 = await get(srv, '/api/performance/resources');
      assert.equal(rs2.json.data.operations_stored, sent.length);
      assert.equal(rs2.json.data.spool.ok, true);
      assert.equal(rs2.json.data.spool.pending_bytes, 0);
      const stopped = await srv.stop();
      assert.equal(stopped.code, 0, srv.stderr());
      const ex = await exportAll(dataDir);
      assertExactly(ex.ops, sent, 'after room again');
      assert.equal(readFileSync(path.join(dataDir, REJECTS), 'utf8'), garbageText);
      assert.equal(checkDb(dataDir).integrity, 'ok');
      record({ drainer: 'toolprof serve (every 250 ms)', calls: `${sent.length} hooked, 2 unreadable lines`,
        'while full': `log, once: ${said[0].replaceAll(mnt, '…')}; /healthz "degraded", resources spool.ok false`,
        'room again': `${ex.ops.length} of ${sent.length} stored after ${again[1]} failed attempts; 2 lines in ${REJECTS}` });
    } finally {
      if (filler) rmSync(filler, { force: true });
      await srv.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  tcase('the hook itself: logs the kept spool once, drains it whole when there is room', { timeout: 180000 }, async (t) => {
    if (!mnt) { t.skip(mountError); return; }
    const dataDir = path.join(mnt, 'hook');
    const nextId = idMaker(23);
    const sent = [nextId(9999)];
    let filler = null;
    let k = 0;
    const spoolFile = path.join(dataDir, 'spool.jsonl');
    try {
      const tr = await run(BIN, ['--data-dir', dataDir, 'track', '--tool', 'Read', '--duration-ms', '1', '--tool-use-id', sent[0]]);
      assert.equal(tr.code, 0, tr.stderr);
      addGarbage(dataDir);
      // Up to 250 KB: no hook has drained yet.
      while (fileSize(spoolFile) < 250 * 1024) {
        const p = bigPayload(k++, nextId);
        await hook(dataDir, p);
        sent.push(p.id);
      }
      assert.equal(logLines(dataDir).length, 0);
      // 48 KB left when the drain comes (a few more lines first): room for
      // SQLite's 32 KB shared-memory file and the log line, not the drain.
      filler = fillLeaving(mnt, 56 * 1024);
      // The hook whose line crosses 256 KB drains, and cannot.
      let attempts = 0;
      while (logLines(dataDir).length === 0 && attempts++ < 100) {
        const p = bigPayload(k++, nextId);
        await hook(dataDir, p);
        sent.push(p.id);
      }
      const log = logLines(dataDir);
      assert.equal(log.length, 1, log.join('\n'));
      assert.match(log[0], /drain: hook spool kept/);
      assert.match(log[0], FULL_MSG);
      assert.ok(fileSize(spoolFile) < 256 * 1024, 'the spool was not taken by the drain');
      // A few more calls while it is still full: spooled, nothing more logged.
      for (let i = 0; i < 5; i++) {
        const p = bigPayload(k++, nextId);
        await hook(dataDir, p);
        sent.push(p.id);
      }
      assert.equal(logLines(dataDir).length, 1);
      const res = await resources(dataDir);
      assert.equal(res.json.spool.ok, false);
      assert.match(res.json.spool.drain_error, FULL_MSG);
      assert.deepEqual([...spoolContent(dataDir).ids].sort(), sent.slice(1).sort());

      rmSync(filler);
      filler = null;
      // Room again: the next hook to cross 256 KB drains everything.
      attempts = 0;
      while (spoolBytes(dataDir) > 0 && attempts++ < 400) {
        const p = bigPayload(k++, nextId);
        await hook(dataDir, p);
        sent.push(p.id);
      }
      assert.equal(spoolBytes(dataDir), 0, 'no hook drained the spool');
      const stored = Number(sqlite(path.join(dataDir, 'toolprof.db'), 'SELECT count(*) FROM ops;'));
      assert.equal(stored, sent.length);
      const log2 = logLines(dataDir);
      assert.equal(log2.length, 2, log2.join('\n'));
      assert.match(log2[1], new RegExp(`drain: 2 malformed spool lines set aside in .*${REJECTS}`));
      assert.equal(readFileSync(path.join(dataDir, REJECTS), 'utf8'), garbageText);
      const ex = await exportAll(dataDir);
      assertExactly(ex.ops, sent, 'after room again');
      assert.equal(checkDb(dataDir).integrity, 'ok');
      record({ drainer: 'toolprof hook (its line crosses 256 KB)', calls: `${sent.length - 1} hooked + 1 tracked, 2 unreadable lines`,
        'while full': `hook-errors.log, once: ${log[0].replaceAll(mnt, '…').replace(/^\S+ /, '')}; resources: spool.ok false`,
        'room again': `${stored} of ${sent.length} stored by a hook's drain; 2 lines in ${REJECTS}` });
    } finally {
      if (filler) rmSync(filler, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
