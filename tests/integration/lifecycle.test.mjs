// lifecycle.test.mjs - start, refuse to start, stop; writes of other
// processes showing up in the API.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asNobody, BIN, checkExit, cli, eventually, get, post, run, startServer, tempDir } from './lib.mjs';

// Run `toolprof ... serve ...` expecting it to refuse to start: a non-zero
// exit (not a crash, not a sanitizer report), within 30 s (else killed).
// opts.nobody: as the unprivileged user nobody. Resolves {code, out, err}.
async function serveFails(args, opts = {}) {
  const { cmd, args: argv } = opts.nobody ? asNobody(args) : { cmd: BIN, args };
  const r = await run(cmd, argv, { env: { ...process.env, TOOLPROF_TOKEN: '' }, timeoutMs: 30000 });
  checkExit(`toolprof ${args.join(' ')}`, r, 'nonzero');
  return { code: r.code, out: r.stdout, err: r.stderr };
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

  test('SIGINT exits 0 too, after answering the request in flight', async () => {
    const dataDir = tempDir('sigint');
    // --verbose: the server says on stderr when it has taken the signal.
    const srv = await startServer({ dataDir, args: ['--verbose'] });
    const ops = Array.from({ length: 2000 }, (_, i) => ({ tool: 'Read', target: `f${i}`, duration_ms: i }));
    const body = Buffer.from(JSON.stringify(ops));
    // The request is in flight once the server has read its headers, which
    // it says by answering "100 Continue"; the signal comes after that and
    // before the body, so the server must wait for the body and answer it.
    const sock = net.connect(srv.port, srv.host);
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    sock.on('error', () => {});
    const closed = new Promise((r) => sock.on('close', r));
    sock.write(`POST /api/performance/operations HTTP/1.1\r\nHost: ${srv.host}:${srv.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n` +
      'Connection: close\r\n\r\n');
    assert.ok(await eventually(() => answer.startsWith('HTTP/1.1 100 '), 30000), `no 100 Continue: ${answer}`);
    srv.proc.kill('SIGINT');
    assert.ok(await eventually(() => /Interrupt, stopping/.test(srv.stderr()), 30000), `no stop message: ${srv.stderr()}`);
    sock.end(body);
    await closed;
    const final = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    assert.match(final, /^HTTP\/1\.1 200 /, answer);
    const json = JSON.parse(final.slice(final.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(json, { success: true, count: 2000, inserted: 2000, merged: 0, unchanged: 0 });
    const { code, signal } = await srv.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    // And it was stored, all of it.
    const c = cli(['--data-dir', dataDir, 'stats', '--json', '--window', 'all']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).total_operations, 2000);
    rmSync(dataDir, { recursive: true, force: true });
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

  // Root ignores permissions: run as nobody (CI runs as root).
  test('an unusable data directory is refused at start', async () => {
    const dir = tempDir('ro');
    chmodSync(dir, 0o755);
    const sub = path.join(dir, 'data');
    mkdirSync(sub);
    chmodSync(sub, 0o555);
    const r = await serveFails(['--data-dir', path.join(sub, 'x'), 'serve', '--listen', '127.0.0.1:0', '--no-watch'],
      { nobody: true });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /data/);
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
  after(() => srv.stop());

  // How soon is measured in bench/, not here: these wait as long as the
  // test's timeout allows.
  test('`toolprof track` while the server runs shows up in the API', async () => {
    const c = cli(['--data-dir', srv.dataDir, 'track', '--tool', 'Bash', '--target', 'sleep 9', '--duration-ms', '9100']);
    assert.equal(c.status, 0, c.stderr);
    const seen = await eventually(async () => {
      const r = await get(srv, '/api/performance/slow-operations?tool=Bash');
      return r.json.count === 1 ? r.json.data[0] : null;
    }, 60000);
    assert.ok(seen, 'the tracked operation did not show up');
    assert.equal(seen.target, 'sleep 9');
    assert.equal(seen.duration_ms, 9100);
  });

  test('a hook payload on stdin shows up in the API', async () => {
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
    }, 60000);
    assert.ok(seen, 'the hook operation did not show up');
    assert.equal(seen.tool_use_id, 'toolu_hook_visible_01');
  });
});

describe('a locked database', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  test('a write that cannot get the lock is a 503 with Retry-After', { timeout: 120000 }, async () => {
    // Another process holds the write lock until the test ends it: the
    // server's own busy timeout must give up, however long that takes here.
    const db = path.join(srv.dataDir, 'toolprof.db');
    let proc;
    const holder = run('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(3600)
`, db], { onSpawn: (p) => { proc = p; } });
    await new Promise((resolve) => proc.stdout.once('data', resolve));
    let r;
    try {
      r = await post(srv, '/api/performance/operations', { tool: 'Read', duration_ms: 1 });
    } finally {
      proc.kill();
      const h = await holder;
      assert.equal(h.signal, 'SIGTERM', `the lock holder ended otherwise: exit ${h.code} ${h.stderr}`);
    }
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.json.success, false);
    // Reads are not blocked by a writer (WAL).
    assert.equal((await get(srv, '/api/performance/stats')).status, 200);
  });
});
