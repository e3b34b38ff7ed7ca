// lib.mjs - what the end-to-end tests share: reporting, processes,
// `toolprof serve` on an ephemeral port, HTTP posts, reading toolprof's
// answers back.
//
// Reporting follows the unit tests: "ok - ..." / "not ok - ..." per check
// (with the detail of a failure on "#" lines), and the caller prints
// "N passed, N failed" last.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';

// A tally of checks: check(name, cond, detail) prints and counts; note(s)
// prints a comment line.
export function tally() {
  const t = { passed: 0, failed: 0 };
  t.check = (name, cond, detail) => {
    if (cond) {
      t.passed++;
      console.log(`ok - ${name}`);
    } else {
      t.failed++;
      console.log(`not ok - ${name}`);
      if (detail !== undefined)
        for (const l of String(typeof detail === 'string' ? detail : JSON.stringify(detail)).split('\n')) console.log(`#   ${l}`);
    }
    return !!cond;
  };
  t.note = (s) => console.log(`# ${s}`);
  return t;
}

// Run a command to completion; resolves {code, signal, stdout, stderr, ms}.
export function run(cmd, args, { input, env, cwd, timeoutMs = 30_000 } = {}) {
  return new Promise((res) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { env: env || process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [], err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => err.push(Buffer.from(String(e))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - t0 });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(input ?? '');
  });
}

// One line about a finished process, for failure details.
export const brief = (r) =>
  `exit ${r.code}${r.signal ? ' signal ' + r.signal : ''}; stderr: ${r.stderr.trim().slice(0, 800)}; stdout: ${r.stdout.trim().slice(0, 400)}`;

// `toolprof --data-dir D serve` on an ephemeral port (its output kept in
// log); resolves {port, url, proc, stop()}, stop() resolving to the exit
// code (or signal) after SIGTERM. The process is added to `children` so
// that the caller can kill what is left on any way out.
export function startServe(toolprof, dataDir, log, children) {
  return new Promise((res, rej) => {
    const p = spawn(toolprof, ['--data-dir', dataDir, 'serve', '--listen', '127.0.0.1:0', '--no-watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let text = '';
    const timer = setTimeout(() => rej(new Error(`serve did not report its port in 10 s: ${text.slice(0, 500)}`)), 10_000);
    const onData = (d) => {
      text += d;
      writeFileSync(log, text);
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(text);
      if (m) {
        clearTimeout(timer);
        p.stdout.removeAllListeners('data');
        p.stderr.removeAllListeners('data');
        p.stdout.on('data', (x) => { text += x; writeFileSync(log, text); });
        p.stderr.on('data', (x) => { text += x; writeFileSync(log, text); });
        res({
          port: Number(m[2]), url: m[1], proc: p,
          stop: () => new Promise((r) => {
            if (p.exitCode !== null || p.signalCode !== null) return r(p.exitCode);
            const k = setTimeout(() => p.kill('SIGKILL'), 5000);
            p.once('exit', (code, sig) => { clearTimeout(k); r(code ?? sig); });
            p.kill('SIGTERM');
          }),
        });
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('error', (e) => { clearTimeout(timer); rej(e); });
    p.on('exit', (code) => { clearTimeout(timer); rej(new Error(`serve exited with ${code}: ${text.slice(0, 500)}`)); });
  });
}

// One HTTP request; resolves {status, body}.
export function httpRequest(method, url, body, headers = {}) {
  return new Promise((res, rej) => {
    const u = new URL(url);
    const h = { ...headers };
    if (body !== undefined) h['content-length'] = body.length;
    const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (resp) => {
      const c = [];
      resp.on('data', (d) => c.push(d));
      resp.on('end', () => res({ status: resp.statusCode, body: Buffer.concat(c).toString('utf8') }));
    });
    r.on('error', rej);
    r.end(body);
  });
}

export const post = (url, body, headers) => httpRequest('POST', url, body, headers);

export function parseJsonl(text) {
  const rows = [];
  for (const line of text.split('\n')) if (line.trim()) rows.push(JSON.parse(line));
  return rows;
}

// `toolprof --data-dir D ...` with this binary.
export const toolprofIn = (toolprof) => (dataDir, ...args) => run(toolprof, ['--data-dir', dataDir, ...args]);

// Every stored call of a data dir: {ops} or {error, ops: []}.
export async function exportOps(tp, dataDir) {
  const r = await tp(dataDir, 'export', '--format', 'jsonl', '--out', '-');
  if (r.code !== 0) return { error: brief(r), ops: [] };
  try {
    return { ops: parseJsonl(r.stdout) };
  } catch (e) {
    return { error: `export output is not JSON lines: ${e}; ${r.stdout.slice(0, 300)}`, ops: [] };
  }
}

// A question's --json answer: {data} or {error}.
export async function jsonCmd(tp, dataDir, ...args) {
  const r = await tp(dataDir, ...args);
  if (r.code !== 0) return { error: brief(r) };
  try {
    return { data: JSON.parse(r.stdout) };
  } catch (e) {
    return { error: `not JSON: ${e}; ${r.stdout.slice(0, 300)}` };
  }
}
