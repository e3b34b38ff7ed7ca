// e2e.mjs - toolprof against the real Claude Code client.
//
// Claude Code (from npm, see package.json) runs a scripted session against
// mock_anthropic.mjs, our stand-in for the Messages API on loopback, so it
// really runs Read (a large file, then with offset/limit), Grep, a 2.5 s Bash,
// Write, Glob and a failing Bash. toolprof sees the session three ways:
//   hook        `toolprof install-hook` into the temporary HOME's settings
//   OTLP        telemetry exported to `toolprof serve` (through a recording tap)
//   transcript  `toolprof import <HOME>/.claude/projects` afterwards
// and the test reads everything back with `toolprof export` / `stats` /
// `recommend` / `slow`. A witness hook next to toolprof's records the
// payloads Claude Code sent, so durations can be compared with its own
// duration_ms. Each path is also checked alone, in a data dir of its own.
//
// Environment: TOOLPROF_BIN (default ../../build/toolprof), CLAUDE_BIN
// (default: the npm package's binary), TOOLPROF_E2E_KEEP=1 keeps the
// temporary directory (it is always kept when a check fails).
// Output: "ok - ..." / "not ok - ..." per check, last line "N passed, N failed,
// 0 skipped" (nothing here skips). Every toolprof process is checked for a
// sanitizer report on stderr, and each server for its exit status.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  brief, exportOps as exportIn, finish, httpRequest, jsonCmd as jsonIn, post, run, startServe, tally, toolprofIn,
} from './lib.mjs';
import { loadScript, startMock } from './mock_anthropic.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOOLPROF = resolve(process.env.TOOLPROF_BIN || join(HERE, '../../build/toolprof'));
const CLAUDE_TIMEOUT_MS = 90_000;
const OTLP_WAIT_MS = 20_000;
const TOOLS = 'Read Write Edit Grep Glob Bash';
// Telemetry as the issue asks for it: logs, traces (enhanced beta) and
// metrics, exported often so that a short session's data all arrives.
const TELEMETRY = {
  CLAUDE_CODE_ENABLE_TELEMETRY: '1', CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
  OTEL_LOGS_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp',
  OTEL_LOGS_EXPORT_INTERVAL: '500', OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_BSP_SCHEDULE_DELAY: '500',
  OTEL_LOG_TOOL_DETAILS: '1',
};
const PROTOCOLS = ['http/json', 'http/protobuf', 'grpc'];
const MODEL = 'claude-sonnet-4-5';

// ---- reporting ---------------------------------------------------------------

const T = tally();
const { check, note } = T;

// ---- processes -------------------------------------------------------------

const tp = toolprofIn(TOOLPROF);

// A recording tap in front of `toolprof serve`: forwards every OTLP post
// unchanged and keeps a copy, so that OTLP's own duration_ms can be compared
// and the bodies replayed into a data dir of their own.
function startTap(target, file) {
  const posts = [];
  const server = createServer((req, res) => {
    const c = [];
    req.on('data', (d) => c.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(c);
      const headers = {};
      for (const h of ['content-type', 'content-encoding']) if (req.headers[h]) headers[h] = req.headers[h];
      let answer;
      try {
        answer = await post(target() + req.url, body, headers);
      } catch (e) {
        answer = { status: 502, body: String(e) };
      }
      posts.push({ t: Date.now(), url: req.url, headers, status: answer.status, answer: answer.body.slice(0, 300), body: body.toString('base64') });
      writeFileSync(file, posts.map((p) => JSON.stringify(p)).join('\n') + '\n');
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${server.address().port}`, posts, close: () => new Promise((x) => server.close(x)) })));
}

// ---- data --------------------------------------------------------------------

function otlpToolResults(posts) {
  const out = [];
  for (const p of posts) {
    if (!p.url.startsWith('/v1/logs')) continue;
    let b;
    try { b = JSON.parse(Buffer.from(p.body, 'base64').toString('utf8')); } catch { continue; }
    for (const rl of b.resourceLogs || [])
      for (const sl of rl.scopeLogs || [])
        for (const r of sl.logRecords || []) {
          const a = {};
          for (const kv of r.attributes || []) a[kv.key] = Object.values(kv.value || {})[0];
          out.push(a);
        }
  }
  return out;
}

const exportOps = (dataDir) => exportIn(tp, dataDir);
const jsonCmd = (dataDir, ...args) => jsonIn(tp, dataDir, ...args);

// A log with >2000 lines and >100 KB, with ERROR lines for Grep.
function makeProject(proj) {
  mkdirSync(join(proj, 'logs'), { recursive: true });
  mkdirSync(join(proj, 'src'), { recursive: true });
  const lines = [];
  for (let i = 1; i <= 2400; i++) {
    const ts = `2026-11-20T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`;
    const err = i % 97 === 0;
    lines.push(`${ts} ${err ? 'ERROR' : 'INFO '} worker-0${i % 8} req=${String(i).padStart(6, '0')} ` +
      (err ? 'upstream timeout after 30000 ms' : `handled in ${i % 50} ms`));
  }
  writeFileSync(join(proj, 'logs/service.log'), lines.join('\n') + '\n');
  writeFileSync(join(proj, 'logs/old.log'), 'INFO nothing to see\n');
  writeFileSync(join(proj, 'src/app.js'), "console.log('ERROR handling lives elsewhere');\n");
}

// One run of the scripted session with OTEL_EXPORTER_OTLP_PROTOCOL set to
// protocol, straight into a `toolprof serve --otlp-grpc` of its own (fresh
// HOME, project and data dir; no hook). Checks that every scripted call is
// stored once, from OTLP only, with its tool and outcome; resolves to a Map
// tool_use_id -> "tool success" (null when the run could not be made).
async function protocolRun(root, protocol, script, calls, claude) {
  const tag = protocol.replace('/', '-');
  const dir = join(root, `run-${tag}`);
  const home = join(dir, 'home'), proj = join(dir, 'project'), data = join(dir, 'data');
  for (const d of [join(home, '.claude'), join(dir, 'tmp')]) mkdirSync(d, { recursive: true });
  makeProject(proj);
  const runScript = loadScript(join(HERE, 'script.json'), { PROJECT: proj });
  const mock = await startMock({ script: runScript, log: join(dir, 'mock-requests.jsonl') });
  let serve;
  try {
    serve = await startServe(data, join(dir, 'serve.log'), ['--otlp-grpc', '127.0.0.1:0']);
  } catch (e) {
    check(`${protocol}: toolprof serve --otlp-grpc starts`, false, String(e));
    await mock.close();
    return null;
  }
  const env = {
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TMPDIR: join(dir, 'tmp'),
    ANTHROPIC_BASE_URL: mock.url, ANTHROPIC_API_KEY: 'sk-ant-dummy-e2e',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1',
    ...TELEMETRY, OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? serve.grpcUrl : serve.url,
  };
  const cr = await run(claude, ['-p', script.prompt, '--allowedTools', TOOLS, '--output-format', 'json', '--model', MODEL],
    { env, cwd: proj, timeoutMs: CLAUDE_TIMEOUT_MS });
  writeFileSync(join(dir, 'claude-stdout.json'), cr.stdout);
  writeFileSync(join(dir, 'claude-stderr.txt'), cr.stderr);
  let result = {};
  try { result = JSON.parse(cr.stdout); } catch { /* checked below */ }
  check(`${protocol}: claude -p exits 0 with a successful result`, cr.code === 0 && result.subtype === 'success', brief(cr));
  let e = { ops: [] };
  const t0 = Date.now();
  for (;;) {
    e = await exportOps(data);
    const ids = new Set(e.ops.map((o) => o.tool_use_id));
    if (calls.every((c) => ids.has(c.id)) || Date.now() - t0 > OTLP_WAIT_MS) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  note(`${protocol}: claude ran ${cr.ms} ms; OTLP complete after ${Date.now() - t0} ms`);
  const count = (id) => e.ops.filter((o) => o.tool_use_id === id).length;
  check(`${protocol}: the store holds exactly the ${calls.length} scripted calls, once each`,
    !e.error && e.ops.length === calls.length && calls.every((c) => count(c.id) === 1),
    e.error || e.ops.map((o) => `${o.tool} ${o.tool_use_id} ${JSON.stringify(o.sources)}`).join('\n'));
  const bad = [];
  const out = new Map();
  for (const c of calls) {
    const o = e.ops.find((x) => x.tool_use_id === c.id);
    if (!o) continue;
    if (o.tool !== c.name || o.success !== (c.expect.success !== false)) bad.push(`${c.id}: tool ${o.tool} success ${o.success}`);
    if (o.source !== 'otlp' || JSON.stringify(o.sources) !== '["otlp"]') bad.push(`${c.id}: sources ${JSON.stringify(o.sources)}`);
    if (o.session_id !== result.session_id) bad.push(`${c.id}: session ${o.session_id}`);
    if (!(Number.isFinite(o.duration_ms) && o.duration_ms >= 0)) bad.push(`${c.id}: duration ${o.duration_ms}`);
    out.set(c.id, `${o.tool} ${o.success}`);
  }
  check(`${protocol}: tools, outcomes, session and source of every call`, bad.length === 0, bad.join('\n'));
  // Traces and metrics arrived: spans were used (calls, model requests,
  // turns), metric points accepted; the server's own counters say how many.
  const m = await httpRequest('GET', `${serve.url}/metrics`).then((r) => r.body, () => '');
  const num = (re) => Number((re.exec(m) || [])[1] || 0);
  const spans = num(/^toolprof_otlp_records_total\{signal="traces",outcome="stored"\} (\d+)$/m);
  const points = num(/^toolprof_otlp_records_total\{signal="metrics",outcome="ignored"\} (\d+)$/m);
  const failed = num(/^toolprof_otlp_requests_total\{signal="\w+",result="error"\} ([1-9]\d*)$/m);
  note(`${protocol}: ${spans} spans used and ${points} metric points accepted`);
  check(`${protocol}: spans were used and metric points accepted, no request refused`,
    spans > 0 && points > 0 && failed === 0, m.split('\n').filter((l) => l.startsWith('toolprof_otlp')).join('\n'));
  // Tokens: each answer of the scripted API reported 100 input and 20
  // output tokens; the session's model requests (api_request events and
  // llm_request spans) and its usage counters (metrics) must add up to
  // that many answers, whatever the protocol.
  const answered = readFileSync(join(dir, 'mock-requests.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l)).filter((r) => Array.isArray(r.answer)).length;
  let sess = null;
  for (const t1 = Date.now(); ;) {
    const r = await httpRequest('GET', `${serve.url}/api/performance/sessions/${result.session_id}`).catch(() => null);
    sess = r && r.status === 200 ? JSON.parse(r.body).data.session : null;
    if ((sess && sess.usage && sess.usage.input_tokens === 100 * answered) || Date.now() - t1 > OTLP_WAIT_MS) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  const tok = sess ? { requests: sess.requests, input: sess.tokens.input, output: sess.tokens.output, from: sess.tokens_from,
    usage_input: sess.usage && sess.usage.input_tokens, usage_output: sess.usage && sess.usage.output_tokens } : null;
  note(`${protocol}: the API answered ${answered} requests; the session says ${JSON.stringify(tok)}`);
  check(`${protocol}: the session's tokens equal what the scripted API reported (model requests and usage counters)`,
    tok && answered > 0 && tok.requests === answered && tok.from === 'requests' &&
    tok.input === 100 * answered && tok.output === 20 * answered &&
    tok.usage_input === 100 * answered && tok.usage_output === 20 * answered, JSON.stringify({ answered, tok }));
  const why = await serve.stop();
  check(`${protocol}: toolprof serve stops cleanly on SIGTERM (exit 0, no sanitizer report)`, !why, why);
  await mock.close();
  return out;
}

// ---- the test ------------------------------------------------------------------

async function main() {
  const keep = process.env.TOOLPROF_E2E_KEEP === '1';
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'toolprof-e2e-')));
  note(`work dir ${root}`);
  const home = join(root, 'home'), proj = join(root, 'project'), wit = join(root, 'witness');
  const D = join(root, 'data'), D_HOOK = join(root, 'data-hook'), D_TR = join(root, 'data-transcript'), D_OTLP = join(root, 'data-otlp');
  for (const d of [join(home, '.claude'), wit, join(root, 'tmp')]) mkdirSync(d, { recursive: true });
  makeProject(proj);
  const bigFile = join(proj, 'logs/service.log');
  const bigBytes = readFileSync(bigFile).length;

  if (!check('toolprof binary exists', existsSync(TOOLPROF), `${TOOLPROF} is missing (run make first)`)) return root;
  const claude = process.env.CLAUDE_BIN || join(HERE, 'node_modules/.bin/claude');
  const ver = await run(claude, ['--version']);
  if (!check('claude binary runs', ver.code === 0, brief(ver))) return root;
  note(`claude ${ver.stdout.trim()} (${claude})`);

  const script = loadScript(join(HERE, 'script.json'), { PROJECT: proj });
  const calls = script.calls;
  const byId = new Map(calls.map((c) => [c.id, c]));
  const largeRead = calls.find((c) => c.expect.large_read);
  const slowBash = calls.find((c) => c.expect.slow_bash);
  const failing = calls.filter((c) => c.expect.success === false);
  note(`script: ${calls.length} calls in ${script.steps.length} turns; big file ${bigBytes} bytes`);

  // -- services
  const mock = await startMock({ script, log: join(root, 'mock-requests.jsonl') });
  let serve;
  try {
    serve = await startServe(D, join(root, 'serve.log'));
  } catch (e) {
    check('toolprof serve starts and prints its address', false, String(e));
    await mock.close();
    return root;
  }
  check('toolprof serve starts and prints its address', true);
  const tap = await startTap(() => serve.url, join(root, 'otlp-posts.jsonl'));

  // -- settings: the user's own entries (our witness), then install-hook
  const settingsFile = join(home, '.claude/settings.json');
  const witnessCmd = `cat > "$(mktemp '${wit}/payload-XXXXXXXX')"`;
  const witnessGroup = { matcher: '*', hooks: [{ type: 'command', command: witnessCmd }] };
  writeFileSync(settingsFile, JSON.stringify({ cleanupPeriodDays: 30,
    hooks: { PostToolUse: [witnessGroup], PostToolUseFailure: [witnessGroup] } }, null, 2));
  const ih = await tp(D, 'install-hook', '--settings', settingsFile);
  check('install-hook exits 0', ih.code === 0, brief(ih));
  let settings = {};
  try { settings = JSON.parse(readFileSync(settingsFile, 'utf8')); } catch (e) { check('install-hook leaves valid JSON', false, String(e)); }
  const handlers = (ev) => (settings.hooks?.[ev] || []).flatMap((g) => g.hooks || []);
  const isOurs = (h) => typeof h.command === 'string' && h.command.includes(TOOLPROF) && /\bhook\b/.test(h.command.slice(h.command.indexOf(TOOLPROF) + TOOLPROF.length));
  for (const ev of ['PostToolUse', 'PostToolUseFailure']) {
    check(`install-hook adds a toolprof ${ev} handler`, handlers(ev).filter(isOurs).length === 1, settings.hooks?.[ev]);
    check(`install-hook keeps the existing ${ev} handler`, handlers(ev).some((h) => h.command === witnessCmd), settings.hooks?.[ev]);
  }
  check('install-hook keeps other settings', settings.cleanupPeriodDays === 30);
  const ours = Object.values(settings.hooks || {}).flat().flatMap((g) => g.hooks || []).filter(isOurs);
  check('the installed hook names the data dir', ours.length > 0 && ours.every((h) => h.command.includes(D)), ours.map((h) => h.command));
  const before = readFileSync(settingsFile, 'utf8');
  const ih2 = await tp(D, 'install-hook', '--settings', settingsFile);
  check('install-hook a second time changes nothing', ih2.code === 0 && readFileSync(settingsFile, 'utf8') === before,
    ih2.code === 0 ? readFileSync(settingsFile, 'utf8') : brief(ih2));

  // -- the real client
  const env = {
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TMPDIR: join(root, 'tmp'),
    ANTHROPIC_BASE_URL: mock.url, ANTHROPIC_API_KEY: 'sk-ant-dummy-e2e',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1',
    ...TELEMETRY, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: tap.url,
  };
  const cr = await run(claude, ['-p', script.prompt, '--allowedTools', TOOLS, '--output-format', 'json', '--model', MODEL],
    { env, cwd: proj, timeoutMs: CLAUDE_TIMEOUT_MS });
  writeFileSync(join(root, 'claude-stdout.json'), cr.stdout);
  writeFileSync(join(root, 'claude-stderr.txt'), cr.stderr);
  note(`claude ran ${cr.ms} ms, exit ${cr.code}`);
  let result = {};
  try { result = JSON.parse(cr.stdout); } catch { /* checked below */ }
  check('claude -p exits 0 with a successful result', cr.code === 0 && result.subtype === 'success' && result.is_error === false, brief(cr));
  check('claude reached the scripted final answer', result.result === script.final, result.result);
  const sessionId = result.session_id;

  // -- what Claude Code itself reported
  const payloads = readdirSync(wit).map((f) => JSON.parse(readFileSync(join(wit, f), 'utf8')));
  const witness = new Map(payloads.map((p) => [p.tool_use_id, p]));
  check('claude ran every scripted call (witness hook saw each once)',
    payloads.length === calls.length && calls.every((c) => witness.has(c.id)),
    payloads.map((p) => `${p.hook_event_name} ${p.tool_name} ${p.tool_use_id}`).join('\n'));
  check('claude reported duration_ms for every call', payloads.every((p) => Number.isFinite(p.duration_ms)));
  for (const c of failing) check(`claude reported ${c.name} ${c.id} as failed`, witness.get(c.id)?.hook_event_name === 'PostToolUseFailure', witness.get(c.id));
  check('the 2.5 s Bash took at least 2500 ms', witness.get(slowBash.id)?.duration_ms >= 2500, witness.get(slowBash.id)?.duration_ms);
  const wdur = (id) => witness.get(id)?.duration_ms;
  const hookErrors = (dir) => (existsSync(join(dir, 'hook-errors.log')) ? readFileSync(join(dir, 'hook-errors.log'), 'utf8') : '');
  check('the hook logged no errors (hook-errors.log)', hookErrors(D) === '', hookErrors(D));

  // -- OTLP: wait until the server holds every call from OTLP
  let ops = [], exp = {};
  const t0 = Date.now();
  for (;;) {
    exp = await exportOps(D);
    ops = exp.ops;
    const otlpIds = new Set(ops.filter((o) => (o.sources || []).includes('otlp')).map((o) => o.tool_use_id));
    if (calls.every((c) => otlpIds.has(c.id)) || Date.now() - t0 > OTLP_WAIT_MS) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  note(`OTLP: ${tap.posts.length} posts, waited ${Date.now() - t0} ms`);
  check('every OTLP post was accepted (200)', tap.posts.length > 0 && tap.posts.every((p) => p.status === 200),
    tap.posts.map((p) => `${p.url} ${p.status} ${p.answer}`).join('\n'));
  const otlp = otlpToolResults(tap.posts);
  const otlpTools = new Map(otlp.filter((a) => a['event.name'] === 'tool_result').map((a) => [a.tool_use_id, a]));
  check('OTLP carried a tool_result for every call', calls.every((c) => otlpTools.has(c.id)), [...otlpTools.keys()]);
  const hookRuns = otlp.filter((a) => a['event.name'] === 'hook_execution_complete' && /^PostToolUse/.test(a.hook_event || ''));
  check('every hook run succeeded and printed nothing (OTLP hook_execution_complete)',
    hookRuns.length === calls.length && hookRuns.every((a) => String(a.num_non_blocking_error) === '0' && String(a.num_blocking) === '0' &&
      String(a.num_cancelled) === '0' && String(a.stdout_chars ?? '0') === '0'), hookRuns);

  // -- transcript import into the same store
  const tdir = join(home, '.claude/projects');
  const im = await tp(D, 'import', tdir);
  check('import of the transcripts exits 0', im.code === 0, brief(im));
  exp = await exportOps(D);
  ops = exp.ops;
  check('export --format jsonl works', !exp.error, exp.error);

  // -- the combined store: each call once, from all three paths
  const count = (list, id) => list.filter((o) => o.tool_use_id === id).length;
  check(`the store holds exactly the ${calls.length} scripted calls`, ops.length === calls.length && calls.every((c) => count(ops, c.id) === 1),
    ops.map((o) => `${o.tool} ${o.tool_use_id} ${JSON.stringify(o.sources)}`).join('\n'));
  const op = new Map(ops.map((o) => [o.tool_use_id, o]));
  for (const c of calls) {
    const o = op.get(c.id);
    const tag = `${c.name} ${c.id}`;
    if (!check(`${tag}: stored`, !!o)) continue;
    const srcs = o.sources || [];
    check(`${tag}: reported by hook, transcript and otlp`, ['hook', 'transcript', 'otlp'].every((s) => srcs.includes(s)), srcs);
    check(`${tag}: tool and success flag`, o.tool === c.name && o.success === (c.expect.success !== false), { tool: o.tool, success: o.success });
    check(`${tag}: duration from the hook, equal to Claude Code's duration_ms`, o.source === 'hook' && o.duration_ms === wdur(c.id),
      { source: o.source, stored: o.duration_ms, claude: wdur(c.id) });
    const od = Number(otlpTools.get(c.id)?.duration_ms);
    check(`${tag}: OTLP duration_ms agrees (±1 ms)`, Math.abs(od - wdur(c.id)) <= 1, { otlp: od, claude: wdur(c.id) });
    check(`${tag}: session and project`, o.session_id === sessionId && o.project === proj, { session_id: o.session_id, project: o.project });
    if (c.expect.error_contains)
      check(`${tag}: error mentions "${c.expect.error_contains}"`, typeof o.error === 'string' && o.error.toLowerCase().includes(c.expect.error_contains), o.error);
    if (c.expect.min_duration_ms) check(`${tag}: stored duration >= ${c.expect.min_duration_ms} ms`, o.duration_ms >= c.expect.min_duration_ms, o.duration_ms);
  }
  const lr = op.get(largeRead.id);
  check('large Read: target is the file, >100 KB read, no offset/limit', lr && lr.target === bigFile && lr.size_bytes > 100000 && lr.optimization_applied === false,
    lr && { target: lr.target, size_bytes: lr.size_bytes, optimization_applied: lr.optimization_applied });
  const limited = calls.filter((c) => (c.name === 'Read' && ('offset' in c.input || 'limit' in c.input)) || (c.name === 'Grep' && 'head_limit' in c.input));
  for (const c of limited) check(`${c.name} ${c.id} with a limit is marked optimized`, op.get(c.id)?.optimization_applied === true, op.get(c.id)?.optimization_applied);

  // -- delivering everything again stores nothing new
  const im2 = await tp(D, 'import', tdir);
  let replayOk = true;
  for (const p of tap.posts) {
    const r = await post(serve.url + p.url, Buffer.from(p.body, 'base64'), p.headers);
    replayOk &&= r.status === 200;
  }
  const again = await exportOps(D);
  check('a second import and OTLP replay store each call still exactly once',
    im2.code === 0 && replayOk && again.ops.length === calls.length && calls.every((c) => count(again.ops, c.id) === 1),
    again.error || again.ops.map((o) => `${o.tool} ${o.tool_use_id}`).join('\n'));
  check('...and keep the hook durations', calls.every((c) => again.ops.find((o) => o.tool_use_id === c.id)?.duration_ms === wdur(c.id)));

  // -- stats, slow, recommend
  const st = await jsonCmd(D, 'stats', '--json');
  const nfail = failing.length;
  check('stats --json counts every call once', st.data?.total_operations === calls.length, st.error || st.data);
  check('stats --json success rate', st.data && Math.abs(st.data.success_rate - (100 * (calls.length - nfail)) / calls.length) < 0.01, st.data?.success_rate);
  const slow = await jsonCmd(D, 'slow', '--json');
  const slowList = Array.isArray(slow.data) ? slow.data : slow.data?.operations || [];
  check('slow --json lists the 2.5 s Bash', slowList.some((o) => o.tool_use_id === slowBash.id), slow.error || slowList.map((o) => `${o.tool} ${o.duration_ms}`));
  const rec = await jsonCmd(D, 'recommend', '--json');
  const recs = Array.isArray(rec.data) ? rec.data : [];
  check('recommend --json answers a list', !rec.error && Array.isArray(rec.data), rec.error || rec.data);
  const evid = (r) => r.evidence || [];
  const large = recs.find((r) => r.rule === 'large-read');
  check('recommend: large-read names the big file and the call', large && evid(large).some((e) => e.target === bigFile && e.tool_use_id === largeRead.id),
    large || recs.map((r) => r.rule));
  // slow-bash: Bash calls of 2 s or more (TP_SLOW_MS), so the 2.5 s sleep qualifies.
  const sb = recs.find((r) => r.rule === 'slow-bash');
  check('recommend: slow-bash names the 2.5 s Bash', sb && evid(sb).some((e) => e.tool_use_id === slowBash.id && e.target === slowBash.input.command),
    sb || recs.map((r) => ({ rule: r.rule, evidence: evid(r).map((e) => `${e.tool} ${e.target}`) })));
  note(`recommendations: ${recs.map((r) => r.rule).join(', ')}`);

  // -- each path alone, in a data dir of its own
  const perPath = async (name, dataDir, durationOk) => {
    const e = await exportOps(dataDir);
    check(`${name} alone: export works`, !e.error, e.error);
    const m = new Map(e.ops.map((o) => [o.tool_use_id, o]));
    check(`${name} alone: exactly the scripted calls`, e.ops.length === calls.length && calls.every((c) => count(e.ops, c.id) === 1),
      e.ops.map((o) => `${o.tool} ${o.tool_use_id}`).join('\n'));
    const bad = [];
    for (const c of calls) {
      const o = m.get(c.id);
      if (!o) continue;
      if (o.tool !== c.name || o.success !== (c.expect.success !== false)) bad.push(`${c.id}: tool ${o.tool} success ${o.success}`);
      if (o.source !== name || JSON.stringify(o.sources) !== JSON.stringify([name])) bad.push(`${c.id}: source ${o.source} sources ${JSON.stringify(o.sources)}`);
      if (!durationOk(o.duration_ms, wdur(c.id), c)) bad.push(`${c.id} ${c.name}: duration ${o.duration_ms} vs Claude Code's ${wdur(c.id)}`);
      // OTLP's error attribute is generic ("Shell command failed"): only ask for one.
      if (c.expect.error_contains && !(typeof o.error === 'string' && o.error !== '' &&
          (name === 'otlp' || o.error.toLowerCase().includes(c.expect.error_contains)))) bad.push(`${c.id}: error ${JSON.stringify(o.error)}`);
    }
    check(`${name} alone: tools, success flags, source and durations`, bad.length === 0, bad.join('\n'));
  };

  // hook: the same payloads through `toolprof hook`, as Claude Code runs it
  let hookOk = true, hookOut = '';
  for (const p of payloads) {
    const r = await run(TOOLPROF, ['--data-dir', D_HOOK, 'hook'], { input: JSON.stringify(p) });
    if (r.code !== 0 || r.stdout !== '') { hookOk = false; hookOut += brief(r) + '\n'; }
  }
  check('toolprof hook exits 0 and prints nothing', hookOk, hookOut);
  check('toolprof hook logged no errors', hookErrors(D_HOOK) === '', hookErrors(D_HOOK));
  await perPath('hook', D_HOOK, (d, w) => d === w);

  // transcript: the import alone; durations come from timestamps, so near Claude Code's
  const it = await tp(D_TR, 'import', tdir);
  check('transcript import alone exits 0', it.code === 0, brief(it));
  await perPath('transcript', D_TR, (d, w) => Number.isFinite(d) && d >= w - 50 && d <= w + 1500);

  // otlp: the recorded posts into a server of its own
  let serve2;
  try {
    serve2 = await startServe(D_OTLP, join(root, 'serve-otlp.log'));
    let ok = true;
    for (const p of tap.posts) ok &&= (await post(serve2.url + p.url, Buffer.from(p.body, 'base64'), p.headers)).status === 200;
    check('otlp alone: replayed posts accepted', ok);
    await perPath('otlp', D_OTLP, (d, w) => Math.abs(d - w) <= 1);
  } catch (e) {
    check('otlp alone: second server starts', false, String(e));
  }

  // -- the same session once per OTLP protocol, OTLP alone (no hook, no
  // import): each must store every scripted call once, with the same tools,
  // ids and outcomes whatever the protocol.
  const byProtocol = new Map();
  for (const protocol of PROTOCOLS) byProtocol.set(protocol, await protocolRun(root, protocol, script, calls, claude));
  const ref = byProtocol.get('http/json');
  for (const protocol of PROTOCOLS.slice(1)) {
    const got = byProtocol.get(protocol);
    check(`${protocol}: the same calls, tools and outcomes as http/json`, ref && got && ref.size === calls.length &&
      got.size === ref.size && [...ref].every(([id, v]) => got.get(id) === v),
      { 'http/json': ref && [...ref], [protocol]: got && [...got] });
  }

  // -- shut down
  if (serve2) {
    const why = await serve2.stop();
    check('the second toolprof serve stops cleanly on SIGTERM (exit 0, no sanitizer report)', !why, why);
  }
  const why = await serve.stop();
  check('toolprof serve stops cleanly on SIGTERM (exit 0, no sanitizer report)', !why, why);
  await tap.close();
  await mock.close();
  note(`mock answered ${mock.requests.length} requests`);
  if (T.failed === 0 && !keep) {
    rmSync(root, { recursive: true, force: true });
    return null;
  }
  return root;
}

let kept = null;
try {
  kept = await main();
} catch (e) {
  check('e2e harness ran to the end', false, e.stack || String(e));
}
if (kept) note(`kept ${kept}`);
process.exit(finish(T));
