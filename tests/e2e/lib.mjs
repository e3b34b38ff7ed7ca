// lib.mjs - what the end-to-end tests share: reporting, processes,
// `toolprof serve` on an ephemeral port, HTTP posts, reading toolprof's
// answers back.
//
// Reporting follows the unit tests: "ok - ..." / "not ok - ..." per check
// (with the detail of a failure on "#" lines), and finish() prints
// "N passed, N failed, 0 skipped" last (nothing here skips). Every process
// run() starts is checked for a sanitizer report on stderr (an ASan build of
// toolprof), and every server for its exit status, through
// tests/integration/lib.mjs.

import { basename } from 'node:path';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';

import { checkAllStopped, sanitizerReport, startServer } from '../integration/lib.mjs';

// The tally checks are counted in (the last one made): run() reports a
// sanitizer finding into it as a failed check of its own.
let current = null;

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
  current = t;
  return t;
}

// The end of a test: a server still running is a failure (and killed), then
// the count line; the exit status (0 only when something passed and nothing
// failed).
export function finish(t) {
  try {
    checkAllStopped();
  } catch (e) {
    t.check('every toolprof server was stopped', false, e.message);
  }
  console.log(`${t.passed} passed, ${t.failed} failed, 0 skipped`);
  return t.failed === 0 && t.passed > 0 ? 0 : 1;
}

// Run a command to completion; resolves {code, signal, stdout, stderr, ms}.
// A sanitizer report on stderr is a failed check, whatever the exit code.
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
      const r = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - t0 };
      const report = sanitizerReport(r.stderr);
      if (report) {
        if (current) current.check(`no sanitizer report from ${basename(cmd)} ${args.slice(0, 3).join(' ')}`, false, report);
        else throw new Error(`sanitizer report from ${basename(cmd)}:\n${report}`);
      }
      res(r);
    });
    p.stdin.on('error', () => {});
    p.stdin.end(input ?? '');
  });
}

// One line about a finished process, for failure details.
export const brief = (r) =>
  `exit ${r.code}${r.signal ? ' signal ' + r.signal : ''}; stderr: ${r.stderr.trim().slice(0, 800)}; stdout: ${r.stdout.trim().slice(0, 400)}`;

// `toolprof --data-dir D serve` on an ephemeral port, started through
// tests/integration/lib.mjs's startServer (which runs $TOOLPROF_BIN or
// build/toolprof, the binary the tests' TOOLPROF also names); resolves
// {port, url, grpcUrl, stop()}. stop() ends it with SIGTERM and resolves the
// failure of its checks (exit 0, no sanitizer report on stderr) as a
// string, or null; its output goes to the log file either way.
export async function startServe(dataDir, log, extraArgs = []) {
  const srv = await startServer({ dataDir, args: extraArgs });
  const g = /^otlp-grpc on (127\.0\.0\.1:\d+)$/m.exec(srv.stdout());
  return {
    port: srv.port, url: srv.base, grpcUrl: g ? `http://${g[1]}` : null,
    stop: async () => {
      let why = null;
      try {
        await srv.stop();
      } catch (e) {
        why = e.message;
      }
      writeFileSync(log, srv.stdout() + srv.stderr());
      return why;
    },
  };
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
