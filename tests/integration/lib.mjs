// lib.mjs - shared helpers of the integration tests, and the one way every
// node test (integration, reliability, browser, end-to-end) starts and ends
// the processes it runs.
//
// Every test starts the real binary (build/toolprof, or $TOOLPROF_BIN) as
// `toolprof --data-dir D serve --listen 127.0.0.1:0 --no-watch` against a
// fresh temporary data directory, reads the port from its one line
// "listening on http://HOST:PORT", and talks to it over real sockets with
// node:http (not fetch: the tests need to send any Host, Origin,
// Transfer-Encoding or raw bytes they like).
//
// Processes. A sanitizer build (make asan) reports a leak when the process
// exits and a memory error or undefined behaviour when it happens, on
// stderr; the process then aborts or exits non-zero. So nothing a test
// starts may end unchecked:
//   startServer()  srv.stop() sends SIGTERM (or the signal given) and
//                  asserts the exit status (0 unless told otherwise) and that
//                  stderr holds no sanitizer report; it throws otherwise,
//                  which fails the test or the after() hook that called it;
//   run()          (asynchronous) and cli() (synchronous) run a command to
//                  its end and throw when its stderr holds a sanitizer report
//                  or it died of a signal the test did not send; the caller
//                  asserts the exit code it expects.
// In a node:test file, a hook on the file's root test fails the file when a
// server or a run() process is still running after its last test (it is
// killed first). Scripts outside node:test call checkAllStopped() at the end.
//
// Assertions. Every test must assert something it could get wrong: a hook
// on the root test counts the calls of node:assert/strict's functions made
// during each test, and fails a test that made none (skipped tests aside).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.TOOLPROF_BIN
  ? path.resolve(process.env.TOOLPROF_BIN)
  : path.join(ROOT, 'build', 'toolprof');
// The repository's test data (tests/data/MANIFEST.md).
export const DATA = path.join(ROOT, 'tests', 'data');

// The path of tests/data/<rel>; throws, naming the file, when it is missing,
// so that a test fails there rather than on what it would have read.
export function dataFile(rel) {
  const p = path.join(DATA, rel);
  if (!existsSync(p)) throw new Error(`test data file ${p} is missing`);
  return p;
}

export function tempDir(tag = 'it') {
  return mkdtempSync(path.join(tmpdir(), `toolprof-${tag}-`));
}

// ---- processes ---------------------------------------------------------------

// The first sanitizer report in a process's stderr (AddressSanitizer,
// LeakSanitizer, UndefinedBehaviorSanitizer), as a few lines, or null.
const SANITIZER = /^==\d+==ERROR: (AddressSanitizer|LeakSanitizer)\b|^SUMMARY: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)\b|: runtime error: /m;
export function sanitizerReport(stderr) {
  const text = String(stderr || '');
  const m = SANITIZER.exec(text);
  if (!m) return null;
  const start = text.lastIndexOf('\n', m.index) + 1;
  return text.slice(start, start + 3000);
}

// Assert how a process ended. r: {code, signal, stderr}; expect: a number
// (that exit code, no signal; default 0), 'nonzero' (an exit code other
// than 0: a refusal, not a crash) or {signal: 'SIGKILL'}. The stderr must
// hold no sanitizer report in every case.
export function checkExit(what, r, expect = 0) {
  const report = sanitizerReport(r.stderr);
  const tail = () => `\n--- stderr of ${what} (last 2000 bytes) ---\n${String(r.stderr || '').slice(-2000)}`;
  if (report) assert.fail(`${what}: sanitizer report on stderr:\n${report}`);
  const how = r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
  if (expect === 'nonzero') {
    if (r.signal || r.code === 0 || r.code === null) assert.fail(`${what}: expected a non-zero exit, got ${how}${tail()}`);
  } else if (typeof expect === 'object' && expect) {
    if (r.signal !== expect.signal) assert.fail(`${what}: expected to die of ${expect.signal}, got ${how}${tail()}`);
  } else if (r.signal || r.code !== expect) {
    assert.fail(`${what}: expected exit ${expect}, got ${how}${tail()}`);
  }
  return r;
}

// Every process started by startServer() or run() and not yet ended.
const live = new Set();

// Kill what is still running; returns the descriptions of what was.
function killLeftovers() {
  const left = [];
  for (const p of live) {
    left.push(p.what);
    try { p.proc.kill('SIGKILL'); } catch { /* gone */ }
  }
  live.clear();
  return left;
}

// For scripts that do not run under node:test: throws when a process
// started through this file is still running (after killing it).
export function checkAllStopped() {
  const left = killLeftovers();
  if (left.length) throw new Error(`still running at the end (killed now): ${left.join('; ')}`);
}

// The assertion counter (see the top of the file). node:assert/strict's
// functions are wrapped in place, so test files keep importing it as usual.
let assertions = 0;
for (const k of Object.keys(assert)) {
  const f = assert[k];
  if (typeof f !== 'function' || k === 'AssertionError' || k === 'strict' || f.__counted) continue;
  const counted = function counted(...a) { assertions++; return f.apply(this, a); };
  counted.__counted = true;
  assert[k] = counted;
}

if (process.env.NODE_TEST_CONTEXT) {
  // Hooks on this file's root test (node --test runs each file in its own
  // process).
  let before = 0;
  beforeEach(() => { before = assertions; });
  afterEach((t) => {
    if (assertions === before) throw new Error(`"${t.name}" made no assertion: it cannot fail`);
  });
  after(() => {
    const left = killLeftovers();
    if (left.length) throw new Error(`still running after the last test (killed now): ${left.join('; ')}`);
  });
}

// The nobody user, for tests of what an unprivileged user gets (CI runs as
// root, whom permissions do not stop): {cmd, args} that run BIN as nobody,
// or BIN itself when not root. The binary is run from a copy in a
// directory of mode 755, as the build tree may not be open to nobody.
let nobodyBin = null;
export function asNobody(args) {
  if (process.getuid?.() !== 0) return { cmd: BIN, args };
  if (!nobodyBin) {
    const dir = mkdtempSync(path.join(tmpdir(), 'toolprof-nobody-'));
    chmodSync(dir, 0o755);
    nobodyBin = path.join(dir, 'toolprof');
    copyFileSync(BIN, nobodyBin);
    chmodSync(nobodyBin, 0o755);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { cmd: 'setpriv', args: ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', nobodyBin, ...args] };
}

// Run a command to its end; resolves {code, signal, stdout, stderr, pid}.
// opts: {input (string|Buffer for stdin), stdin: 'pipe' (left open for
// onSpawn to write to), env, cwd, timeoutMs (then SIGKILL and throw),
// onSpawn(proc) (the ChildProcess, e.g. to signal it), signals (the
// signals the test expects the process to die of without sending them
// itself, e.g. ['SIGKILL'] when strace injects it)}.
// Throws when stderr holds a sanitizer report, or when the process died of
// a signal that was neither sent through proc.kill() by the test nor named
// in opts.signals.
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const what = `${path.basename(cmd)} ${args.join(' ')}`.slice(0, 200);
    const p = spawn(cmd, args, {
      stdio: [opts.input !== undefined || opts.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env || process.env, cwd: opts.cwd,
    });
    const entry = { what, proc: p };
    live.add(entry);
    const sent = new Set(opts.signals || []);
    const kill = p.kill.bind(p);
    p.kill = (sig = 'SIGTERM') => { sent.add(sig); return kill(sig); };
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; kill('SIGKILL'); }, opts.timeoutMs) : null;
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    if (p.stdin) p.stdin.on('error', () => {});
    if (opts.input !== undefined) p.stdin.end(opts.input);
    // A binary that cannot be started (missing, being rebuilt) is an answer too.
    p.on('error', (e) => {
      live.delete(entry);
      if (timer) clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout: out, stderr: err + `spawn ${cmd}: ${e.message}`, pid: p.pid });
    });
    p.on('close', (code, signal) => {
      live.delete(entry);
      if (timer) clearTimeout(timer);
      const r = { code, signal, stdout: out, stderr: err, pid: p.pid };
      const report = sanitizerReport(err);
      if (report) reject(new Error(`${what}: sanitizer report on stderr:\n${report}`));
      else if (timedOut) reject(new Error(`${what}: still running after ${opts.timeoutMs} ms (killed)\n${err.slice(-2000)}`));
      else if (signal && !sent.has(signal)) reject(new Error(`${what}: died of ${signal}\n${err.slice(-2000)}`));
      else resolve(r);
    });
    if (opts.onSpawn) opts.onSpawn(p);
  });
}

// Start a server; resolves to {port, host, base, proc, dataDir, stdout(),
// stderr(), exited, stop()}.
// opts: {dataDir, token, listen (false: no --listen, the default address),
// watch (run the transcript watcher), args, env, keepDir}.
// stop(signal = 'SIGTERM', expect = 0): signals the server unless it has
// already ended or the test signalled it (srv.proc.kill()), waits for it, and asserts its end with checkExit(): exit 0
// by default, or what `expect` says ({signal: 'SIGKILL'} after a kill).
// Resolves {code, signal, stderr}. Calling it again checks again.
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir || tempDir('srv');
  const args = ['--data-dir', dataDir, 'serve'];
  if (opts.listen !== false) args.push('--listen', opts.listen || '127.0.0.1:0');
  if (!opts.watch) args.push('--no-watch');
  if (opts.token) args.push('--token', opts.token);
  if (opts.args) args.push(...opts.args);
  const env = { ...process.env, TOOLPROF_TOKEN: '', ...(opts.env || {}) };
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // A signal the test sends itself (srv.proc.kill('SIGINT')) is the one
  // stop() waits for: a second one would cut the graceful stop short.
  let signalled = false;
  const kill = proc.kill.bind(proc);
  proc.kill = (sig = 'SIGTERM') => { signalled = true; return kill(sig); };
  const entry = { what: `toolprof serve (${dataDir})`, proc };
  live.add(entry);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  // 'close': the exit status and every byte of output are in.
  const exited = new Promise((resolve) => {
    proc.on('error', (e) => { err += `spawn ${BIN}: ${e.message}`; });
    proc.on('close', (code, signal) => { live.delete(entry); resolve({ code, signal }); });
  });
  let line;
  try {
    line = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within 10 s: ${err}`)), 10000);
      proc.stdout.on('data', () => {
        const m = out.match(/^listening on http:\/\/(.+):(\d+)\n/m);
        if (m) { clearTimeout(timer); resolve(m); }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before listening: ${err}`));
      });
    });
  } catch (e) {
    proc.kill('SIGKILL');
    await exited;
    if (!opts.keepDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const host = line[1];
  const port = Number(line[2]);
  const server = {
    host, port, proc, dataDir, exited,
    base: `http://${host}:${port}`,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM', expect = 0) {
      if (!signalled && proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await exited;
      if (!opts.keepDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return checkExit(`toolprof serve on port ${port}`, { ...r, stderr: err }, expect);
    },
  };
  return server;
}

// One HTTP request. opts: {method, headers, body (string|Buffer|object -> JSON),
// host (Host header), chunked (send the body with Transfer-Encoding: chunked),
// token}. Resolves to {status, headers, body (string), raw (Buffer), json}.
export function request(server, pathname, opts = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...(opts.headers || {}) };
    let body = opts.body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    headers.Host = opts.host !== undefined ? opts.host : `${server.host}:${server.port}`;
    if (body !== undefined && !opts.chunked) headers['Content-Length'] = Buffer.byteLength(body);
    if (opts.chunked) headers['Transfer-Encoding'] = 'chunked';
    const req = http.request({
      host: server.host, port: server.port, method: opts.method || 'GET',
      path: pathname, headers, agent: false, setHost: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, raw, json });
      });
    });
    req.on('error', async (e) => {
      // A server that died (a crash, a sanitizer report) says why.
      if (server.exited) {
        const r = await Promise.race([server.exited, sleep(300)]);
        if (r) {
          reject(new Error(`${e.message}: toolprof server exited (${r.code ?? r.signal}):\n${server.stderr()}`));
          return;
        }
      }
      reject(e);
    });
    req.setTimeout(30000, () => req.destroy(new Error('request timed out')));
    if (body !== undefined) {
      if (opts.chunked) {
        // Several chunks, to exercise the streaming path.
        const b = Buffer.from(body);
        const step = Math.max(1, Math.ceil(b.length / 4));
        for (let i = 0; i < b.length; i += step) req.write(b.subarray(i, i + step));
      } else {
        req.write(body);
      }
    }
    req.end();
  });
}

export const get = (s, p, o = {}) => request(s, p, { ...o, method: 'GET' });
export const post = (s, p, body, o = {}) => request(s, p, { ...o, method: 'POST', body });

// Raw bytes over a socket; resolves to the whole answer as a string when the
// server closes, or after idleMs without data.
export function rawRequest(server, bytes, idleMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, server.host);
    let data = '';
    const done = () => { sock.destroy(); resolve(data); };
    let timer = setTimeout(done, idleMs);
    sock.on('data', (d) => { data += d; clearTimeout(timer); timer = setTimeout(done, idleMs); });
    sock.on('end', () => { clearTimeout(timer); done(); });
    sock.on('error', (e) => { clearTimeout(timer); if (data) resolve(data); else reject(e); });
    sock.write(bytes);
  });
}

// Run the CLI to its end; returns {status, signal, stdout, stderr}. Throws
// when stderr holds a sanitizer report, or the process died of a signal
// (a crash, or the timeout: opts.timeout ms, 30 s by default).
// opts: {env, input, timeout, maxBuffer}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8', env: { ...process.env, ...(opts.env || {}) }, input: opts.input,
    timeout: opts.timeout || 30000, maxBuffer: opts.maxBuffer || 64 * 1024 * 1024,
  });
  const what = `toolprof ${args.join(' ')}`.slice(0, 200);
  const report = sanitizerReport(r.stderr);
  if (report) throw new Error(`${what}: sanitizer report on stderr:\n${report}`);
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.signal) throw new Error(`${what}: died of ${r.signal}\n${String(r.stderr).slice(-2000)}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// The original dashboard's test scenario, with start times one second
// apart so that "newest first" is well defined.
export function seedScenario(nowMs = Date.now()) {
  const ops = [
    { tool: 'Read', target: 'test.py', duration_ms: 150.5, optimization_applied: true },
    { tool: 'Read', target: 'large_file.py', duration_ms: 3500 },
    { tool: 'Grep', target: 'pattern', duration_ms: 250, optimization_applied: true },
    { tool: 'Bash', target: 'npm install', duration_ms: 5500 },
    { tool: 'Write', target: 'output.txt', duration_ms: 100, optimization_applied: true },
  ];
  return ops.map((op, i) => ({ ...op, timestamp: new Date(nowMs - (60 - i) * 1000).toISOString() }));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until it returns a truthy value or the time is up.
export async function eventually(fn, ms = 3000, step = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}
