// e2e.mjs - toolprof against the real Codex CLI and Gemini CLI clients.
//
// Each client (pinned by package-lock.json, installed by ../e2e/agents.sh)
// runs a scripted two-turn session (scripts.json) against mock_llm.mjs, the
// stand-in for its model API on loopback, so it really runs a slow shell
// command, a file patch or edit and a failing command, then a second turn
// that resumes the session. Its telemetry goes to `toolprof serve` (OTLP
// over HTTP: protobuf for Codex, Gemini CLI's "http" exporters), and
// afterwards its session file is imported. The test checks, per agent:
//   - the tools really ran (the project's file was patched);
//   - the export alone stores each call once, under the session file's
//     call id, with an exact duration;
//   - the import alone stores each call once; importing again adds nothing;
//   - both in one data dir: still one row per call, reported by both, with
//     durations that agree (the command's own time <= the telemetry's
//     execution; the telemetry's run inside the file's call for Gemini
//     CLI, overlapping it for Codex, whose line times lag), the
//     telemetry's exact phases stored.
// The expected calls are the script's (Codex: the ids mock_llm.mjs hands
// out) or read from the chat file itself (Gemini CLI makes its own ids).
//
// Environment: TOOLPROF_BIN, TOOLPROF_E2E_KEEP=1 (keep the temporary
// directory; it is always kept when a check fails). Output: "ok - ..." /
// "not ok - ..." per check, last line "N passed, N failed, 0 skipped".
// Every process is checked for its exit status (toolprof's also for a
// sanitizer report on stderr).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkAllStopped, cli, eventually, startServer } from '../integration/lib.mjs';
import { BIN, codexConfig, geminiConfig, runCodex, runGemini } from './clients.mjs';
import { loadScript, startMock } from './mock_llm.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = JSON.parse(readFileSync(join(HERE, 'scripts.json'), 'utf8'));
const PROMPTS = ['[turn:1] Update the notes as scripted.', '[turn:2] Count the lines.'];
const CLIENT_TIMEOUT_MS = 180_000;
// How long the exported telemetry may take to be stored after the client
// exited (it flushes at exit; the server commits in groups).
const OTLP_WAIT_MS = 30_000;

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}`);
    if (detail !== undefined)
      for (const l of String(typeof detail === 'string' ? detail : JSON.stringify(detail)).split('\n')) console.log(`#   ${l}`);
  }
  return !!cond;
}

function clientOk(what, r) {
  return check(`${what} exits 0`, r.code === 0 && !r.signal, `exit ${r.code} ${r.signal || ''}\n${r.stderr.slice(-3000)}`);
}

function tp(dataDir, args) {
  const r = cli(['--data-dir', dataDir, ...args], { timeout: 120_000 });
  if (r.status !== 0) throw new Error(`toolprof ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

function exported(dataDir) {
  const out = tp(dataDir, ['export', '--format', 'jsonl', '--out', '-']).stdout;
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function files(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

function fresh(root, agent) {
  const home = join(root, agent, 'home'), project = join(root, agent, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'notes.txt'), 'line one\nline two\n');
  return { home, project };
}

const ms = (o, ph) => o.phases?.[ph]?.ms ?? null;
const count = (rows, id) => rows.filter((o) => o.tool_use_id === id).length;

// The checks common to both agents. want: [{id, tool, ok}]; sessionFile:
// the rollout or the chats folder; otlpDir: the data dir the server stored the export
// in (stopped); root: for the import-only data dir.
function checkStores(agent, want, sessionFile, otlpDir, root, nested) {
  const ids = want.map((w) => w.id).sort();
  // The export alone.
  const fromOtlp = exported(otlpDir);
  check(`${agent}: the export stored ${want.length} calls, each once`,
    fromOtlp.length === want.length && ids.every((id) => count(fromOtlp, id) === 1),
    fromOtlp.map((o) => `${o.tool} ${o.tool_use_id} ${o.sources}`).join('\n'));
  check(`${agent}: every exported call has the agent and an exact execution`,
    fromOtlp.every((o) => o.agent === agent && o.phases?.exec?.exactness === 'exact'), fromOtlp.map((o) => JSON.stringify(o.phases)).join('\n'));
  // The import alone, twice.
  const impDir = join(root, `${agent}-import`);
  const first = tp(impDir, ['import', sessionFile]);
  const fromFile = exported(impDir);
  check(`${agent}: the import stored ${want.length} calls, each once`,
    fromFile.length === want.length && ids.every((id) => count(fromFile, id) === 1),
    first.stdout + first.stderr + fromFile.map((o) => `${o.tool} ${o.tool_use_id}`).join('\n'));
  for (const w of want) {
    const o = fromFile.find((x) => x.tool_use_id === w.id);
    check(`${agent}: ${w.id} is ${w.tool}, ${w.ok ? 'succeeded' : 'failed'}`, o && o.tool === w.tool && o.success === w.ok, o);
  }
  tp(impDir, ['import', sessionFile]);
  check(`${agent}: importing again adds nothing`, exported(impDir).length === want.length);
  // Both in one data dir.
  tp(otlpDir, ['import', sessionFile]);
  const both = exported(otlpDir);
  check(`${agent}: export and import together: still ${want.length} rows, each reported by both`,
    both.length === want.length && both.every((o) => (o.sources || []).includes('otlp') && (o.sources || []).includes('transcript')),
    both.map((o) => `${o.tool_use_id} ${o.sources}`).join('\n'));
  for (const w of want) {
    const t = fromOtlp.find((x) => x.tool_use_id === w.id), f = fromFile.find((x) => x.tool_use_id === w.id);
    const b = both.find((x) => x.tool_use_id === w.id);
    if (!t || !f || !b) {
      check(`${agent}: ${w.id} in every store`, false, { t: !!t, f: !!f, b: !!b });
      continue;
    }
    const exec = ms(t, 'exec'), wall = ms(f, 'wall'), cmd = f.metadata?.command_ms;
    // The telemetry's call and the file's are the same moment: with Gemini
    // CLI the telemetry's run lies inside the file's (the file's start is
    // the id's clock, taken when the call was scheduled; its end is written
    // after the result). Codex writes its lines through a queue, so a line
    // can be stamped after the call started, and its end event during the
    // handler, before the telemetry's end: there the two intervals must
    // overlap. And the command's own time (Codex's exec_command_end) fits
    // in the telemetry's. Session files hold whole milliseconds: 1 ms of
    // slack.
    const tEnd = t.timestamp_ms + exec, fEnd = f.timestamp_ms + wall;
    const agree = nested
      ? f.timestamp_ms <= t.timestamp_ms + 1 && tEnd <= fEnd + 1
      : t.timestamp_ms <= fEnd + 1 && f.timestamp_ms <= tEnd + 1;
    check(`${agent}: ${w.id} durations agree (command ${cmd ?? '-'} <= telemetry ${exec} ms; [${t.timestamp_ms}, ${tEnd.toFixed(1)}] ${nested ? 'inside' : 'overlaps'} the file's [${f.timestamp_ms}, ${fEnd}])`,
      exec !== null && wall !== null && agree && (cmd === undefined || cmd <= exec + 1), { t: t.phases, f: f.phases, cmd });
    // Stored: each phase the telemetry has exactly, else the file's.
    const want = (ph) => (t.phases?.[ph]?.exactness === 'exact' ? ms(t, ph) : ms(f, ph));
    check(`${agent}: ${w.id} stored with the exact phases of the telemetry, the rest from the file`,
      ['wall', 'exec'].every((ph) => Math.abs(ms(b, ph) - want(ph)) < 0.01) && b.success === w.ok, { b: b.phases, t: t.phases, f: f.phases });
  }
}

async function codex(root) {
  const { home, project } = fresh(root, 'codex');
  const script = loadScript(SCRIPTS.codex, { PROJECT: project });
  const mock = await startMock({ codex: script });
  const srv = await startServer({ dataDir: join(root, 'codex-otlp') });
  try {
    codexConfig(home, mock.url, { endpoint: srv.base, protocol: 'binary' });
    clientOk('codex turn 1', await runCodex({ home, project, prompt: PROMPTS[0], timeoutMs: CLIENT_TIMEOUT_MS }));
    clientOk('codex turn 2 (resumed)', await runCodex({ home, project, prompt: PROMPTS[1], resume: true, timeoutMs: CLIENT_TIMEOUT_MS }));
  } finally {
    await mock.close();
  }
  check('codex: the patch was applied', readFileSync(join(project, 'notes.txt'), 'utf8') === 'line one\nline 2\n');
  const want = [];
  for (const t of script.turns)
    for (const step of t.steps)
      for (const c of step)
        want.push({ id: c.id, tool: c.name, ok: !/exit 3/.test(c.args?.cmd || '') });
  const got = await eventually(() => exported(srv.dataDir).length >= want.length, OTLP_WAIT_MS, 250);
  check(`codex: the telemetry of ${want.length} calls arrived`, got);
  await srv.stop();
  const rollouts = files(join(home, '.codex/sessions')).filter((f) => /rollout-.*\.jsonl$/.test(f));
  check('codex: one rollout', rollouts.length === 1, rollouts);
  checkStores('codex', want, rollouts[0], srv.dataDir, root, false);
  const slow = exported(join(root, 'codex-import')).find((o) => o.target === 'sleep 0.5; echo slow');
  check('codex: the slow command took its 500 ms', slow && ms(slow, 'wall') >= 500, slow?.phases);
}

// A Gemini CLI chat's calls, read independently: the last record of each
// message id wins; toolCalls with status success or error.
function geminiCalls(chat) {
  const msgs = new Map();
  for (const l of readFileSync(chat, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l);
    if (r.$rewindTo) {
      const keys = [...msgs.keys()], i = keys.indexOf(r.$rewindTo);
      if (i >= 0) for (const k of keys.slice(i)) msgs.delete(k);
    } else if (r.id && r.type) msgs.set(r.id, r);
  }
  const calls = [];
  for (const m of msgs.values())
    for (const c of m.toolCalls || [])
      calls.push({ id: c.id, tool: c.name, ok: c.status === 'success' && !/Exit Code: [1-9]/.test(JSON.stringify(c.result || '')) });
  return calls;
}

async function gemini(root) {
  const { home, project } = fresh(root, 'gemini');
  const script = loadScript(SCRIPTS.gemini, { PROJECT: project });
  const mock = await startMock({ gemini: script });
  const srv = await startServer({ dataDir: join(root, 'gemini-otlp') });
  try {
    geminiConfig(home, { endpoint: srv.base, protocol: 'http' });
    clientOk('gemini turn 1', await runGemini({ home, project, prompt: PROMPTS[0], mockUrl: mock.url, timeoutMs: CLIENT_TIMEOUT_MS }));
    clientOk('gemini turn 2 (resumed)', await runGemini({ home, project, prompt: PROMPTS[1], mockUrl: mock.url, resume: true, timeoutMs: CLIENT_TIMEOUT_MS }));
  } finally {
    await mock.close();
  }
  check('gemini: the edit was made', readFileSync(join(project, 'notes.txt'), 'utf8') === 'line one\nline 2\n');
  // A resumed session may go on in a second file (named by the minute it
  // resumed in) that repeats the history: the calls are those of every
  // chat file, each id once.
  const chats = files(join(home, '.gemini/tmp')).filter((f) => /\/chats\/session-.*\.jsonl$/.test(f));
  check('gemini: chat files written', chats.length >= 1, chats);
  const byId = new Map();
  for (const c of chats) for (const call of geminiCalls(c)) byId.set(call.id, call);
  const want = [...byId.values()];
  const tools = want.map((w) => w.tool).sort().join(' ');
  check('gemini: the chat holds the scripted calls', tools === 'glob read_file replace run_shell_command run_shell_command', tools);
  const got = await eventually(() => exported(srv.dataDir).length >= want.length, OTLP_WAIT_MS, 250);
  check(`gemini: the telemetry of ${want.length} calls arrived`, got);
  await srv.stop();
  checkStores('gemini-cli', want, dirname(chats[0]), srv.dataDir, root, true);
}

const root = mkdtempSync(join(tmpdir(), 'toolprof-agents-e2e-'));
console.log(`e2e agents: codex ${BIN.codex}, gemini ${BIN.gemini}; in ${root}`);
try {
  await codex(root);
  await gemini(root);
} catch (e) {
  check('no exception', false, e.stack || String(e));
}
try {
  checkAllStopped();
} catch (e) {
  check('every process stopped', false, e.message);
}
if (failed === 0 && !process.env.TOOLPROF_E2E_KEEP) rmSync(root, { recursive: true, force: true });
else console.log(`# kept ${root}`);
console.log(`${passed} passed, ${failed} failed, 0 skipped`);
process.exit(failed ? 1 : 0);
