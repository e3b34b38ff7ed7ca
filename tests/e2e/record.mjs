// record.mjs - records tests/data/recorded/ with the real Claude Code client.
//
// The client (the npm package pinned in package-lock.json) runs the scripted
// session of record-script.json against mock_anthropic.mjs, our stand-in for
// the Messages API on loopback, so that it really runs its tools, fires its
// hooks, writes its transcripts and exports its telemetry. Everything it
// writes is kept as it came:
//
//   claude/projects/...   the transcripts: the session, its sub-agent's file
//   hooks.jsonl           every hook payload (PreToolUse, PermissionRequest,
//                         PostToolUse, PostToolUseFailure), one per line, in
//                         the order they arrived
//   otlp/                 every OTLP/HTTP request body (NN-<signal>.json for
//                         http/json, .bin for http/protobuf) and index.json
//                         (run, path and headers of each)
//   record.json           what was run: client version, session id, runs
//
// One session in four runs: the scripted work (`claude -p`, OTLP as
// http/json), `/compact` on the resumed session, a prompt after the
// compaction (OTLP as http/protobuf), and an interactive prompt in a
// terminal whose first call the recorder approves and whose second it
// rejects (OTLP as http/json). tests/data/MANIFEST.md says what each file
// exercises and what differs between two recordings.
//
// Paths are fixed (/tmp/toolprof-fixtures, web page port 47181) so that a new
// recording differs from the last only where the client itself varies. One
// recording at a time: the directory is a lock.
//
//   node record.mjs [--out DIR]      (default ../data/recorded, replaced
//                                     whole; record.sh finds claude)
// Environment: CLAUDE_BIN (default node_modules/.bin/claude).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadScript, startMock } from './mock_anthropic.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = '/tmp/toolprof-fixtures';
const WEB_PORT = 47181;
const MODEL = 'claude-sonnet-4-5';
const TOOLS = 'Read Write Edit Grep Glob Bash Agent ToolSearch WebFetch';
const HOOK_EVENTS = ['PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure'];
const RUN_TIMEOUT_MS = 120_000;
const AFTER_COMPACT = '[rec:after-compact] Check the notes once more.';
const INTERACTIVE = '[rec:interactive] Stamp the build and draft the release notes.';
// How long the recorder waits before it answers a permission prompt.
const APPROVE_AFTER_MS = 1500;
const REJECT_AFTER_MS = 800;

function die(msg) {
  console.error(`record: ${msg}`);
  process.exit(1);
}

let out = resolve(HERE, '../data/recorded');
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--out' && process.argv[i + 1]) out = resolve(process.argv[++i]);
  else die(`usage: record.mjs [--out DIR]`);
}
const claude = process.env.CLAUDE_BIN || join(HERE, 'node_modules/.bin/claude');

// A v4-shaped UUID derived from the seed, so the session id is the same on
// every recording.
function seededUuid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function run(cmd, args, { env, cwd, timeoutMs = RUN_TIMEOUT_MS } = {}) {
  return new Promise((res) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const o = [], e = [];
    p.stdout.on('data', (d) => o.push(d));
    p.stderr.on('data', (d) => e.push(d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (err) => e.push(Buffer.from(String(err))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout: Buffer.concat(o).toString(), stderr: Buffer.concat(e).toString(), ms: Date.now() - t0 });
    });
  });
}

// An interactive session in a terminal (tmux, on a socket of our own), so
// that permission prompts really appear: type the prompt, approve the first
// prompt ("1. Yes") after APPROVE_AFTER_MS, reject the second ("3. No") after
// REJECT_AFTER_MS, then /exit. Resolves {code, ms, screen, error}.
async function runInteractive(cmd, args, env, cwd, prompt, base) {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const sock = `toolprof-record-${process.pid}`;
  const tmux = (...a) => spawnSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
  const exitFile = `${base}.exit`;
  const vars = Object.entries({ ...env, TERM: 'xterm-256color' }).map(([k, v]) => `${k}=${q(v)}`).join(' ');
  const line = `cd ${q(cwd)} && env -i ${vars} ${q(cmd)} ${args.map(q).join(' ')} 2>${q(base + '.stderr')}; echo $? >${q(exitFile)}`;
  const t0 = Date.now();
  const started = tmux('new-session', '-d', '-s', 'rec', '-x', '150', '-y', '45', line);
  if (started.status !== 0) return { code: -1, ms: 0, screen: '', error: `tmux: ${started.stderr || started.error}` };
  const screen = () => tmux('capture-pane', '-p', '-t', 'rec').stdout || '';
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const waitFor = async (re, what, ms = 30_000) => {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) if (re.test(screen())) return;
    throw new Error(`no ${what} on the screen after ${ms} ms`);
  };
  let error = null;
  try {
    await waitFor(/\? for shortcuts/, 'input prompt');
    // Typed text and its Enter apart: sent together, the Enter counts as
    // part of a paste.
    tmux('send-keys', '-t', 'rec', '-l', prompt);
    await sleep(300);
    tmux('send-keys', '-t', 'rec', 'Enter');
    await waitFor(/Do you want to proceed\?/, 'permission prompt for the Bash call');
    await sleep(APPROVE_AFTER_MS);
    tmux('send-keys', '-t', 'rec', 'Enter');
    await waitFor(/Do you want to create/, 'permission prompt for the Write call');
    await sleep(REJECT_AFTER_MS);
    tmux('send-keys', '-t', 'rec', 'Down', 'Down', 'Enter');
    await waitFor(/Rejected/, 'rejection');
    await waitFor(/\? for shortcuts/, 'input prompt after the rejection');
    tmux('send-keys', '-t', 'rec', '-l', '/exit');
    await sleep(300);
    tmux('send-keys', '-t', 'rec', 'Enter');
    for (const until = Date.now() + 30_000; !existsSync(exitFile) && Date.now() < until; ) await sleep(100);
    if (!existsSync(exitFile)) throw new Error('the client did not exit after /exit');
  } catch (e) {
    error = e.message;
  }
  const last = screen();
  writeFileSync(`${base}.screen`, last);
  tmux('kill-server');
  const code = existsSync(exitFile) ? Number(readFileSync(exitFile, 'utf8').trim()) : -1;
  return { code: error ? -1 : code, ms: Date.now() - t0, screen: last, error };
}

// ---- the project the session works in -------------------------------------

function makeProject(proj) {
  const w = (rel, text) => {
    mkdirSync(dirname(join(proj, rel)), { recursive: true });
    writeFileSync(join(proj, rel), text);
  };
  w('README.md', '# demo service\n\nA small service that retries its upstream calls.\n');
  w('src/app.py', [
    '"""The demo service: calls upstream and retries on timeouts."""',
    'import time',
    '',
    'from util import backoff',
    '',
    'MAX_RETRIES = 3',
    '',
    '',
    'def call_upstream(request):',
    '    for attempt in range(MAX_RETRIES):',
    '        try:',
    '            return request.send()',
    '        except TimeoutError:',
    '            time.sleep(backoff(attempt))',
    '    raise TimeoutError("upstream did not answer")',
    '',
  ].join('\n'));
  w('src/util.py', 'def backoff(attempt):\n    """Seconds to wait before the next retry."""\n    return 0.2 * 2 ** attempt\n');
  w('config/retry.toml', '[retry]\nmax_attempts = 5\nbackoff_ms = 200\n');
  const log = [];
  for (let i = 1; i <= 240; i++) {
    const ts = `2026-11-20T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`;
    log.push(i % 37 === 0 ? `${ts} ERROR req=${i} upstream timeout after 30000 ms` : `${ts} INFO  req=${i} handled in ${i % 50} ms`);
  }
  w('logs/app.log', log.join('\n') + '\n');
}

// The page WebFetch reads, over HTTPS (WebFetch upgrades http:// URLs) on a
// fixed loopback port, with a certificate made for this recording that the
// client is told to trust (NODE_EXTRA_CA_CERTS).
function makeCert(dir) {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (r.status !== 0) die(`openssl could not make the page's certificate: ${r.stderr || r.error}`);
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), file: join(dir, 'cert.pem') };
}

function startWeb(tls) {
  const page = '<html><head><title>Retry limits</title></head><body><h1>Retry limits</h1>' +
    '<p>Upstream calls are retried at most 5 times, with a backoff of 200 ms doubled on each attempt.</p></body></html>\n';
  const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url === '/retry.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
      return res.end(page);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  return new Promise((res, rej) => {
    server.once('error', (e) => rej(new Error(`web page server on 127.0.0.1:${WEB_PORT}: ${e.message}`)));
    server.listen(WEB_PORT, '127.0.0.1', () => res({ close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) }));
  });
}

// The OTLP receiver: keeps each request's body and headers, answers 200.
function startCapture() {
  const posts = [];
  const server = createServer((req, res) => {
    const c = [];
    req.on('data', (d) => c.push(d));
    req.on('end', () => {
      const headers = {};
      for (const h of ['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'user-agent'])
        if (req.headers[h] !== undefined) headers[h] = req.headers[h];
      posts.push({ method: req.method, path: req.url, headers, body: Buffer.concat(c), run: capture.run });
      const proto = /protobuf/.test(req.headers['content-type'] || '');
      res.writeHead(200, { 'content-type': proto ? 'application/x-protobuf' : 'application/json' });
      res.end(proto ? '' : '{}');
    });
  });
  const capture = { posts, run: 0 };
  return new Promise((r) => server.listen(0, '127.0.0.1', () => {
    capture.url = `http://127.0.0.1:${server.address().port}`;
    capture.close = () => new Promise((x) => { server.closeAllConnections(); server.close(x); });
    r(capture);
  }));
}

// ---- the recording ---------------------------------------------------------

async function main() {
  const ver = await run(claude, ['--version']);
  if (ver.code !== 0) die(`${claude} --version failed: ${ver.stderr || ver.stdout}`);
  const version = ver.stdout.trim().split(/\s+/)[0];

  // The fixed root is the lock: a leftover from a killed run is removed only
  // when its lock file's process is gone.
  const lock = join(ROOT, '.lock');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try { process.kill(pid, 0); alive = true; } catch { /* gone */ }
    if (alive) die(`another recording (pid ${pid}) uses ${ROOT}`);
  }
  rmSync(ROOT, { recursive: true, force: true });
  const home = join(ROOT, 'home'), proj = join(ROOT, 'project'), hooksDir = join(ROOT, 'hooks');
  for (const d of [join(home, '.claude'), proj, hooksDir, join(ROOT, 'tmp'), join(ROOT, 'bin')]) mkdirSync(d, { recursive: true });
  writeFileSync(lock, String(process.pid));
  makeProject(proj);

  // The recording hook: one file per payload, named by arrival time; it
  // prints nothing, and blocks (exit 2) a PreToolUse of `rm -rf` the way a
  // user's guard hook does.
  const hookCmd = join(ROOT, 'bin/record-hook');
  writeFileSync(hookCmd, [
    '#!/bin/sh',
    `f=$(mktemp "${hooksDir}/$(date +%s%N)-$1-XXXXXX") || exit 0`,
    'cat > "$f"',
    'if [ "$1" = PreToolUse ] && grep -q \'"command":"rm -rf \' "$f"; then',
    '  echo "blocked by policy: rm -rf is not allowed here" >&2',
    '  exit 2',
    'fi',
    'exit 0',
    '',
  ].join('\n'));
  chmodSync(hookCmd, 0o755);
  const hooks = {};
  for (const ev of HOOK_EVENTS) hooks[ev] = [{ matcher: '*', hooks: [{ type: 'command', command: `${hookCmd} ${ev}` }] }];
  // skipWebFetchPreflight: WebFetch otherwise asks claude.ai whether the
  // domain may be fetched, which fails offline.
  writeFileSync(join(home, '.claude/settings.json'),
    JSON.stringify({ apiKeyHelper: 'echo sk-ant-api03-dummy-record', skipWebFetchPreflight: true, hooks }, null, 2) + '\n');
  // An interactive session starts without onboarding and trust dialogs.
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true,
    projects: { [proj]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } } }, null, 2) + '\n');

  const sessionId = seededUuid('toolprof-fixtures-1/session');
  const script = loadScript(join(HERE, 'record-script.json'), { PROJECT: proj, WEB_PORT: String(WEB_PORT) });
  const tls = makeCert(join(ROOT, 'tls'));
  const web = await startWeb(tls).catch((e) => die(e.message));
  const mock = await startMock({ script, log: join(ROOT, 'mock-requests.jsonl') });
  const capture = await startCapture();

  // The API key comes from apiKeyHelper (settings.json): an interactive
  // session would first ask whether to use ANTHROPIC_API_KEY.
  const env = (protocol) => ({
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TZ: 'UTC',
    TMPDIR: join(ROOT, 'tmp'), NODE_EXTRA_CA_CERTS: tls.file, ANTHROPIC_BASE_URL: mock.url,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_ENABLE_TELEMETRY: '1', CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_LOGS_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
    OTEL_LOGS_EXPORT_INTERVAL: '500', OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_LOG_TOOL_DETAILS: '1',
  });
  // Without the system prompt snapshot and the skill listing, the client's
  // bookkeeping about itself, which would make up most of the bytes (slash
  // commands stay on where the run needs one).
  const common = ['--tools', TOOLS, '--system-prompt-snapshot', 'off', '--model', MODEL];
  const runs = [
    { what: 'the scripted work', protocol: 'http/json', prompt: script.prompt,
      args: ['-p', script.prompt, '--session-id', sessionId, '--allowedTools', TOOLS, '--disable-slash-commands'] },
    { what: '/compact', protocol: 'http/json', prompt: '/compact',
      args: ['-p', '/compact', '--resume', sessionId, '--allowedTools', TOOLS] },
    { what: 'a prompt after the compaction', protocol: 'http/protobuf', prompt: AFTER_COMPACT,
      args: ['-p', AFTER_COMPACT, '--resume', sessionId, '--allowedTools', TOOLS, '--disable-slash-commands'] },
    { what: 'an interactive prompt: one call approved, one rejected', protocol: 'http/json', prompt: INTERACTIVE,
      interactive: true, args: ['--resume', sessionId, '--allowedTools', 'Read'] },
  ];
  const results = [];
  for (const [i, r] of runs.entries()) {
    capture.run = i + 1;
    const args = [...r.args, ...common];
    let ok, detail, result = {};
    if (r.interactive) {
      const res = await runInteractive(claude, args, env(r.protocol), proj, r.prompt, join(ROOT, `run${i + 1}`));
      ok = res.code === 0;
      detail = `exit ${res.code}; ${res.error || ''}; last screen:\n${res.screen}`;
      console.log(`run ${i + 1} (${r.what}, ${r.protocol}): exit ${res.code}, ${res.ms} ms`);
    } else {
      const res = await run(claude, [...args, '--output-format', 'json'], { env: env(r.protocol), cwd: proj });
      writeFileSync(join(ROOT, `run${i + 1}.stdout`), res.stdout);
      writeFileSync(join(ROOT, `run${i + 1}.stderr`), res.stderr);
      try { result = JSON.parse(res.stdout); } catch { /* reported below */ }
      ok = res.code === 0 && result.is_error === false && result.session_id === sessionId;
      detail = `exit ${res.code}, session ${result.session_id}; stderr: ${res.stderr.slice(0, 600)}; stdout: ${res.stdout.slice(0, 600)}`;
      console.log(`run ${i + 1} (${r.what}, ${r.protocol}): exit ${res.code}, ${res.ms} ms, ${result.subtype || 'no result'}`);
    }
    if (!ok) die(`run ${i + 1} failed: ${detail}`);
    results.push({ what: r.what, prompt: r.prompt, interactive: !!r.interactive, args: r.args.filter((a) => a !== r.prompt),
      otlp_protocol: r.protocol, result: result.result ?? null });
  }
  await new Promise((r) => setTimeout(r, 500)); // a last export still in flight
  await capture.close();
  await mock.close();
  await web.close();

  // ---- check what was recorded, then copy it ---------------------------------
  const payloads = readdirSync(hooksDir).sort().map((f) => readFileSync(join(hooksDir, f), 'utf8'));
  const parsed = payloads.map((p, i) => {
    try { return JSON.parse(p); } catch (e) { return die(`hook payload ${i} is not JSON: ${e.message}`); }
  });
  const post = new Map(parsed.filter((p) => /^PostToolUse/.test(p.hook_event_name)).map((p) => [p.tool_use_id, p]));
  const pre = new Set(parsed.filter((p) => p.hook_event_name === 'PreToolUse').map((p) => p.tool_use_id));
  const missing = script.allCalls.filter((c) => !pre.has(c.id));
  if (missing.length) die(`no PreToolUse for ${missing.map((c) => `${c.name} ${c.id}`).join(', ')}`);
  // Only the call the PreToolUse hook blocked and the one the user rejected
  // have no PostToolUse*; only the approved one had a PermissionRequest.
  const noPost = script.allCalls.filter((c) => !post.has(c.id)).map((c) => c.name).join(' ');
  if (noPost !== 'Bash Write') die(`calls without PostToolUse*: ${noPost}; expected the blocked Bash and the rejected Write`);
  const asked = parsed.filter((p) => p.hook_event_name === 'PermissionRequest').map((p) => p.tool_name).join(' ');
  if (asked !== 'Bash Write') die(`PermissionRequest payloads for: ${asked}; expected Bash Write`);

  // The output directory is ours alone: replaced whole, so that nothing of
  // an older recording stays behind.
  if (existsSync(out) && !existsSync(join(out, 'record.json'))) die(`${out} exists and is not a recording: not replaced`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'otlp'), { recursive: true });
  const copyTree = (from, to) => {
    for (const e of readdirSync(from, { withFileTypes: true })) {
      const f = join(from, e.name), t = join(to, e.name);
      if (e.isDirectory()) copyTree(f, t);
      else if (e.isFile()) { mkdirSync(to, { recursive: true }); copyFileSync(f, t); }
    }
  };
  copyTree(join(home, '.claude/projects'), join(out, 'claude/projects'));
  writeFileSync(join(out, 'hooks.jsonl'),
    payloads.map((p) => p.replace(/\n+$/, '')).map((p) => {
      if (p.includes('\n')) die('a hook payload spans several lines');
      return p;
    }).join('\n') + '\n');
  const index = capture.posts.map((p, i) => {
    const signal = (p.path.match(/\/v1\/(\w+)/) || [, 'other'])[1];
    const ext = /protobuf/.test(p.headers['content-type'] || '') ? 'bin' : 'json';
    const file = `${String(i + 1).padStart(2, '0')}-${signal}.${ext}`;
    writeFileSync(join(out, 'otlp', file), p.body);
    return { file, run: p.run, method: p.method, path: p.path, headers: p.headers, bytes: p.body.length };
  });
  writeFileSync(join(out, 'otlp/index.json'), JSON.stringify(index, null, 2) + '\n');
  writeFileSync(join(out, 'record.json'), JSON.stringify({
    client: '@anthropic-ai/claude-code', version, model: MODEL, session_id: sessionId, project: proj, home,
    web_page: `https://127.0.0.1:${WEB_PORT}/retry.html`, allowed_tools: TOOLS, hook_events: HOOK_EVENTS, runs: results,
  }, null, 2) + '\n');

  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else files.push(f);
    }
  };
  walk(out);
  for (const f of files) console.log(`  ${String(statSync(f).size).padStart(8)}  ${relative(out, f)}`);
  console.log(`recorded with Claude Code ${version}: ${payloads.length} hook payloads, ${index.length} OTLP posts`);
  rmSync(ROOT, { recursive: true, force: true });
}

main().catch((e) => die(e.stack || String(e)));
