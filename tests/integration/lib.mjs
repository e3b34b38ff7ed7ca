// lib.mjs - shared helpers of the integration tests.
//
// Every test starts the real binary (build/toolprof, or $TOOLPROF_BIN) as
// `toolprof --data-dir D serve --listen 127.0.0.1:0 --no-watch` against a
// fresh temporary data directory, reads the port from its one line
// "listening on http://HOST:PORT", and talks to it over real sockets with
// node:http (not fetch: the tests need to send any Host, Origin,
// Transfer-Encoding or raw bytes they like).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

// Start a server; resolves to {port, host, base, proc, dataDir, stderr(), stop()}.
// opts: {dataDir, token, listen, watch (run the transcript watcher), args, env, keepDir}
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir || tempDir('srv');
  const args = ['--data-dir', dataDir, 'serve', '--listen', opts.listen || '127.0.0.1:0'];
  if (!opts.watch) args.push('--no-watch');
  if (opts.token) args.push('--token', opts.token);
  if (opts.args) args.push(...opts.args);
  const env = { ...process.env, TOOLPROF_TOKEN: '', ...(opts.env || {}) };
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on http:\/\/(.+):(\d+)\n/m);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${err}`)); });
  });
  const host = line[1];
  const port = Number(line[2]);
  const server = {
    host, port, proc, dataDir, exited,
    base: `http://${host}:${port}`,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const r = await exited;
      if (!opts.keepDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return r;
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

// Run the CLI; returns {status, stdout, stderr}.
export function cli(args, opts = {}) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8', env: { ...process.env, ...(opts.env || {}) }, input: opts.input,
    timeout: 30000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
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
