// lifecycle.test.mjs - start, refuse to start, stop; writes of other
// processes showing up in the API.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, cli, eventually, get, post, startServer, tempDir } from './lib.mjs';

// Run `toolprof ... serve ...` expecting it to refuse to start.
function serveFails(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { ...process.env, TOOLPROF_TOKEN: '', ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

describe('server life cycle', () => {
  test('prints exactly one line, and SIGTERM exits 0', async () => {
    const srv = await startServer();
    assert.match(srv.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    assert.ok(srv.port > 0);
    assert.equal((await get(srv, '/healthz')).status, 200);
    const { code, signal } = await srv.stop('SIGTERM');
    assert.equal(signal, null);
    assert.equal(code, 0);
  });

  test('SIGINT exits 0 too, finishing a request in flight', async () => {
    const srv = await startServer();
    const ops = Array.from({ length: 2000 }, (_, i) => ({ tool: 'Read', target: `f${i}`, duration_ms: i }));
    const pending = post(srv, '/api/performance/operations', ops);
    await new Promise((r) => setTimeout(r, 5));
    srv.proc.kill('SIGINT');
    const r = await pending.catch((e) => ({ status: 0, error: e }));
    const { code } = await srv.stop();
    assert.equal(code, 0);
    // Either the request was answered whole, or it had not been accepted yet.
    if (r.status) assert.equal(r.status, 200, r.body);
  });

  test('a second server on the same port fails with a clear message', async () => {
    const srv = await startServer();
    const dir = tempDir('second');
    const r = await serveFails(['--data-dir', dir, 'serve', '--listen', `127.0.0.1:${srv.port}`, '--no-watch']);
    assert.notEqual(r.code, 0);
    assert.equal(r.out, '');
    assert.match(r.err, /already in use/);
    assert.ok(r.err.includes(String(srv.port)));
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a public address without a token is refused', async () => {
    const dir = tempDir('public');
    const r = await serveFails(['--data-dir', dir, 'serve', '--listen', '0.0.0.0:0', '--no-watch']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /token/i);
    assert.equal(r.out, '');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a public address with TOOLPROF_TOKEN starts, and checks the token', async () => {
    const srv = await startServer({ listen: '0.0.0.0:0', env: { TOOLPROF_TOKEN: 'envtoken' } });
    const s = { ...srv, host: '127.0.0.1' };
    assert.equal((await get(s, '/api/performance/stats')).status, 401);
    assert.equal((await get(s, '/api/performance/stats', { token: 'envtoken' })).status, 200);
    assert.equal((await srv.stop()).code, 0);
  });

  test('bad --listen values are refused', async () => {
    const dir = tempDir('listen');
    for (const l of ['nohost', '127.0.0.1:99999', '127.0.0.1:abc', 'example.com:80', '[::1:5000']) {
      const r = await serveFails(['--data-dir', dir, 'serve', '--listen', l, '--no-watch']);
      assert.notEqual(r.code, 0, l);
      assert.match(r.err, /listen/, l);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('an unusable data directory is refused at start', { skip: process.getuid?.() === 0 && 'root ignores permissions' }, async () => {
    const dir = tempDir('ro');
    const sub = path.join(dir, 'data');
    mkdirSync(sub);
    chmodSync(sub, 0o500);
    const r = await serveFails(['--data-dir', path.join(sub, 'x'), 'serve', '--listen', '127.0.0.1:0', '--no-watch']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /data/);
    chmodSync(sub, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a data directory that is a file is refused at start', async () => {
    const dir = tempDir('file');
    const file = path.join(dir, 'notadir');
    writeFileSync(file, 'x');
    const r = await serveFails(['--data-dir', file, 'serve', '--listen', '127.0.0.1:0', '--no-watch']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /notadir/);
    assert.equal(r.out, '');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('writes from other processes', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

  test('`toolprof track` while the server runs is visible within a second', async () => {
    const c = cli(['--data-dir', srv.dataDir, 'track', '--tool', 'Bash', '--target', 'sleep 9', '--duration-ms', '9100']);
    assert.equal(c.status, 0, c.stderr);
    const started = Date.now();
    const seen = await eventually(async () => {
      const r = await get(srv, '/api/performance/slow-operations?tool=Bash');
      return r.json.count === 1 ? r.json.data[0] : null;
    }, 1000);
    assert.ok(seen, 'the tracked operation did not show up within 1 s');
    assert.equal(seen.target, 'sleep 9');
    assert.ok(Date.now() - started <= 1000);
  });

  test('a hook payload on stdin is visible within a second', async () => {
    const payload = {
      session_id: 'sess-hook-1', transcript_path: '/dev/null', cwd: '/tmp/proj',
      hook_event_name: 'PostToolUse', tool_name: 'Grep', tool_use_id: 'toolu_hook_visible_01',
      tool_input: { pattern: 'needle', path: '.' }, tool_response: { numFiles: 0 }, duration_ms: 2345,
    };
    const c = cli(['--data-dir', srv.dataDir, 'hook'], { input: JSON.stringify(payload) });
    assert.equal(c.status, 0, c.stderr);
    const seen = await eventually(async () => {
      const r = await get(srv, '/api/performance/slow-operations?tool=Grep');
      return r.json.count === 1 ? r.json.data[0] : null;
    }, 1000);
    assert.ok(seen, 'the hook operation did not show up within 1 s');
    assert.equal(seen.tool_use_id, 'toolu_hook_visible_01');
  });
});

describe('a locked database', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

  test('a write that cannot get the lock is a 503 with Retry-After', { timeout: 30000 }, async () => {
    // Another process holds the write lock longer than the busy timeout.
    const db = path.join(srv.dataDir, 'toolprof.db');
    const holder = spawn('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
`, db, '12'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const r = await post(srv, '/api/performance/operations', { tool: 'Read', duration_ms: 1 });
    holder.kill();
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.json.success, false);
    // Reads are not blocked by a writer (WAL).
    assert.equal((await get(srv, '/api/performance/stats')).status, 200);
  });
});
