// approval.mjs - where the time of a call goes, with the real Claude Code
// client run interactively, so that its permission prompts really appear.
//
// The client (from npm, see package.json) runs in a terminal (tmux, on a
// socket of our own) in the default permission mode, against
// mock_anthropic.mjs with approval-script.json. Three prompts, one session:
//   1. a Read (never asks) and a Write, whose prompt the test answers
//      (Enter: "1. Yes") 12 s after it appeared;
//   2. a Bash, approved after 10 s;
//   3. a Bash and a Write asked for in one response: two prompts in one
//      turn (9 s, then 11 s), which a transcript alone cannot tell apart.
// The delays are long because the client itself counts, as the person's
// wait, its work between starting a permission check and painting the
// prompt (its PermissionRequest hooks, the rendering): 0.1 to 1.2 s on a
// loaded machine, which 10 % of the delay must cover.
// toolprof sees it all through every channel at once, each into data dirs
// of its own as well as into one together:
//   hook        `toolprof install-hook`, once into the user's settings (the
//               data dir of all three) and once into the project's (hook alone)
//   OTLP        logs and traces (http/json) through a recording tap into two
//               `toolprof serve`s (all three; OTLP alone)
//   transcript  `toolprof import` afterwards (all three; transcript alone)
// and each data dir is asked, as a user would: export, sessions, session ID,
// slow, bottlenecks, hotspots, recommend.
//
// What each channel can know of a call that asked (docs/time.md) is the
// table CAN below; the figures are compared with what the test did (the
// delay between the prompt's appearance on the screen and the key press)
// and with Claude Code's own duration_ms (a witness hook's PostToolUse
// payloads). The OTLP bodies are kept in <tmp>/otlp/ with a summary of
// what they held (otlp-summary.json).
//
// Environment: TOOLPROF_BIN (default ../../build/toolprof), CLAUDE_BIN
// (default: the npm package's binary), TOOLPROF_E2E_KEEP=1 keeps the
// temporary directory (it is always kept when a check fails).
// Output: "ok - ..." / "not ok - ..." per check, last line "N passed, N failed,
// 0 skipped" (nothing here skips).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { brief, exportOps, finish, httpRequest, jsonCmd, post, run, startServe, tally, toolprofIn } from './lib.mjs';
import { loadScript, startMock } from './mock_anthropic.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOOLPROF = resolve(process.env.TOOLPROF_BIN || join(HERE, '../../build/toolprof'));
const MODEL = 'claude-sonnet-4-5';
const SCREEN_WAIT_MS = 60_000;
const POLL_MS = 25;
const OTLP_WAIT_MS = 20_000;
// The issue's bounds (issue 9, "Done when").
const EXEC_TOL = 0.2, EXEC_ABS_MS = 50, WAIT_TOL = 0.1;
const SLOW_MS = 2000; // toolprof's slow threshold (src/core/limits.h TP_SLOW_MS)

// What each channel can know of a call that asked, per phase: the
// exactness it must report, and for the wait whether that holds for a
// turn with one prompt (`wait`) and for one with two (`waitShared`).
//   hook        exec: the Post payload's duration_ms; wait: Post arrival -
//               PermissionRequest arrival - exec, each prompt its own.
//   otlp        exec: tool_result's duration_ms; wait: the trace's
//               claude_code.tool.blocked_on_user span.
//   transcript  wait: the turn's wall time minus its turn_duration, the
//               call's own when it is the turn's only prompt, shared out
//               (estimated) between two; exec: what is left of the call's
//               wall time, which also holds the hooks and the client's own
//               work around the call (measured here at 0.2 to 1.1 s, more
//               than the Write's whole execution) and the cost-state line
//               that would measure it comes only when the client exits:
//               estimated, and only bounded from below.
// "min" exactness: at least this exact; otherwise exactly this.
const CAN = {
  hook: { exec: 'exact', wait: 'derived+', waitShared: 'derived+' },
  otlp: { exec: 'exact', wait: 'exact', waitShared: 'exact' },
  transcript: { exec: 'estimated', wait: 'derived+', waitShared: 'estimated' },
  all: { exec: 'exact', wait: 'derived+', waitShared: 'derived+' },
};
const RANK = { unknown: 0, estimated: 1, derived: 2, exact: 3 };
const exactnessOk = (got, want) =>
  want.endsWith('+') ? (RANK[got] ?? -1) >= RANK[want.slice(0, -1)] : got === want;

const T = tally();
const { check, note } = T;
const tp = toolprofIn(TOOLPROF);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rel = (got, want) => (want > 0 ? Math.abs(got - want) / want : Infinity);
const fmt = (x) => (Number.isFinite(x) ? Math.round(x) : String(x));

function seededUuid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---- the OTLP tap ----------------------------------------------------------

// Forwards every post unchanged to each target server, keeps a copy and
// answers with the first target's answer.
function startTap(targets) {
  const posts = [];
  const server = createServer((req, res) => {
    const c = [];
    req.on('data', (d) => c.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(c);
      const headers = {};
      for (const h of ['content-type', 'content-encoding']) if (req.headers[h]) headers[h] = req.headers[h];
      const answers = [];
      for (const t of targets) {
        try {
          answers.push(await post(t() + req.url, body, headers));
        } catch (e) {
          answers.push({ status: 502, body: String(e) });
        }
      }
      posts.push({ t: Date.now(), url: req.url, headers, statuses: answers.map((a) => a.status),
        answers: answers.map((a) => a.body.slice(0, 300)), body });
      res.writeHead(answers[0].status, { 'content-type': 'application/json' });
      res.end(answers[0].body);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () =>
    r({ url: `http://127.0.0.1:${server.address().port}`, posts, close: () => new Promise((x) => server.close(x)) })));
}

// The OTLP posts as records: log records and spans, attributes flattened.
function otlpDecode(posts) {
  const logs = [], spans = [];
  const attrs = (list) => {
    const a = {};
    for (const kv of list || []) a[kv.key] = kv.value ? Object.values(kv.value)[0] : null;
    return a;
  };
  for (const p of posts) {
    let b;
    try { b = JSON.parse(p.body.toString('utf8')); } catch { continue; }
    for (const rl of b.resourceLogs || [])
      for (const sl of rl.scopeLogs || [])
        for (const r of sl.logRecords || []) logs.push({ time: r.timeUnixNano, body: r.body?.stringValue, a: attrs(r.attributes) });
    for (const rs of b.resourceSpans || [])
      for (const ss of rs.scopeSpans || [])
        for (const s of ss.spans || [])
          spans.push({ name: s.name, id: s.spanId, parent: s.parentSpanId || null, start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano), status: s.status, scope: ss.scope?.name, a: attrs(s.attributes) });
  }
  return { logs, spans };
}

// Per call (tool_use_id), what Claude Code's own trace says: the tool span's
// duration and its children's (blocked_on_user, execution).
function traceCalls(spans) {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const out = new Map();
  for (const s of spans) {
    if (s.name !== 'claude_code.tool') continue;
    const id = s.a.tool_use_id || s.a['gen_ai.tool.call.id'];
    out.set(id, { wall_ms: Number(s.end - s.start) / 1e6 });
  }
  for (const s of spans) {
    const parent = s.parent && byId.get(s.parent);
    if (!parent || parent.name !== 'claude_code.tool') continue;
    const rec = out.get(parent.a.tool_use_id || parent.a['gen_ai.tool.call.id']);
    if (!rec) continue;
    if (s.name === 'claude_code.tool.blocked_on_user') (rec.blocked_ms = Number(s.a.duration_ms)), (rec.source = s.a.source);
    if (s.name === 'claude_code.tool.execution') rec.exec_ms = Number(s.a.duration_ms);
  }
  return out;
}

// What the client sent, for the report: per event or span name, how many
// and which attribute keys (the standard identity attributes left out).
function otlpSummary(decoded, posts) {
  const common = new Set(['user.id', 'session.id', 'organization.id', 'user.email', 'user.account_uuid',
    'user.account_id', 'terminal.type', 'anthropic.provider', 'anthropic.custom_base_url', 'event.name',
    'event.timestamp', 'event.sequence', 'prompt.id', 'gen_ai.provider.name', 'gen_ai.conversation.id']);
  const sum = (list, key) => {
    const m = {};
    for (const r of list) {
      const k = key(r);
      m[k] ??= { count: 0, attributes: new Set() };
      m[k].count++;
      for (const a of Object.keys(r.a)) if (!common.has(a)) m[k].attributes.add(a);
    }
    for (const v of Object.values(m)) v.attributes = [...v.attributes].sort();
    return m;
  };
  return {
    posts: posts.map((p) => ({ url: p.url, content_type: p.headers['content-type'], bytes: p.body.length, statuses: p.statuses })),
    log_events: sum(decoded.logs, (r) => r.a['event.name'] || r.body),
    spans: sum(decoded.spans, (s) => s.name),
  };
}

// ---- the interactive session ---------------------------------------------

// Run the client in a terminal and play the prompts: type each, answer its
// permission prompts after their delays, wait for its final answer; then
// /exit. Resolves {code, error, approvals: [{id, seen, enter}], screens}.
async function runInteractive({ claude, args, env, cwd, base, turns }) {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const sock = `toolprof-approval-${process.pid}`;
  const tmux = (...a) => spawnSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
  const exitFile = `${base}.exit`;
  const vars = Object.entries({ ...env, TERM: 'xterm-256color' }).map(([k, v]) => `${k}=${q(v)}`).join(' ');
  const line = `cd ${q(cwd)} && env -i ${vars} ${q(claude)} ${args.map(q).join(' ')} 2>${q(base + '.stderr')}; echo $? >${q(exitFile)}`;
  const started = tmux('new-session', '-d', '-s', 'ap', '-x', '150', '-y', '45', line);
  if (started.status !== 0) return { code: -1, error: `tmux new-session: exit ${started.status} ${started.stderr || started.error}`, approvals: [] };
  const screens = [];
  const screen = () => {
    const r = tmux('capture-pane', '-p', '-t', 'ap');
    if (r.status !== 0) throw new Error(`tmux capture-pane: exit ${r.status} ${r.stderr}`);
    return r.stdout;
  };
  const keys = (...k) => {
    const r = tmux('send-keys', '-t', 'ap', ...k);
    if (r.status !== 0) throw new Error(`tmux send-keys: exit ${r.status} ${r.stderr}`);
  };
  // Resolves the time just before the capture that first showed `text`.
  const waitFor = async (text, what) => {
    for (const until = Date.now() + SCREEN_WAIT_MS; Date.now() < until; await sleep(POLL_MS)) {
      const t = Date.now(), s = screen();
      if (s.includes(text)) return { t, s };
    }
    throw new Error(`no ${what} ("${text}") on the screen after ${SCREEN_WAIT_MS} ms`);
  };
  const approvals = [];
  let error = null;
  try {
    await waitFor('? for shortcuts', 'input prompt');
    for (const turn of turns) {
      // Typed text and its Enter apart: sent together, the Enter counts as
      // part of a paste.
      keys('-l', turn.prompt);
      await sleep(300);
      keys('Enter');
      for (const c of turn.asks) {
        const seen = await waitFor(c.expect.screen, `permission prompt for ${c.name} ${c.id}`);
        screens.push({ what: `prompt of ${c.name} ${c.id}`, screen: seen.s });
        await sleep(c.expect.approve_after_ms - (Date.now() - seen.t));
        const enter = Date.now();
        keys('Enter');
        approvals.push({ id: c.id, seen: seen.t, enter });
      }
      const done = await waitFor(turn.final, `final answer "${turn.final}"`);
      screens.push({ what: `end of turn ${turn.prompt}`, screen: done.s });
      await waitFor('? for shortcuts', 'input prompt after the turn');
      // The turn's last lines (turn_duration) are written after its answer.
      await sleep(1000);
    }
    keys('-l', '/exit');
    await sleep(300);
    keys('Enter');
    for (const until = Date.now() + 30_000; !existsSync(exitFile) && Date.now() < until; ) await sleep(100);
    if (!existsSync(exitFile)) throw new Error('the client did not exit after /exit');
  } catch (e) {
    error = e.message;
    try { screens.push({ what: 'last screen', screen: screen() }); } catch { /* reported by error */ }
  }
  tmux('kill-server');
  const code = existsSync(exitFile) ? Number(readFileSync(exitFile, 'utf8').trim()) : -1;
  return { code, error, approvals, screens };
}

// ---- the test ------------------------------------------------------------------

async function main() {
  const keep = process.env.TOOLPROF_E2E_KEEP === '1';
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'toolprof-approval-')));
  note(`work dir ${root}`);
  const home = join(root, 'home'), proj = join(root, 'project'), wit = join(root, 'witness');
  const dirs = { all: join(root, 'data'), hook: join(root, 'data-hook'), transcript: join(root, 'data-transcript'), otlp: join(root, 'data-otlp') };
  for (const d of [join(home, '.claude'), join(proj, 'src'), join(proj, '.claude'), wit, join(root, 'tmp'), join(root, 'otlp')])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(proj, 'src/app.py'), 'MAX_RETRIES = 3\n');

  if (!check('toolprof binary exists', existsSync(TOOLPROF), `${TOOLPROF} is missing (run make first)`)) return root;
  const claude = process.env.CLAUDE_BIN || join(HERE, 'node_modules/.bin/claude');
  const ver = await run(claude, ['--version']);
  if (!check('claude binary runs', ver.code === 0, brief(ver))) return root;
  note(`claude ${ver.stdout.trim()} (${claude})`);
  const tm = await run('tmux', ['-V']);
  if (!check('tmux runs', tm.code === 0, brief(tm))) return root;

  const script = loadScript(join(HERE, 'approval-script.json'), { PROJECT: proj });
  const calls = script.allCalls;
  const asked = calls.filter((c) => c.expect.asks);
  const turns = script.scripts.map((s) => ({
    prompt: `${s.match} ${{ '[ap:one]': 'Read the app and note what you find.', '[ap:two]': 'Build the service.',
      '[ap:three]': 'Stamp the check and draft the release notes.' }[s.match]}`,
    final: s.final, calls: s.calls, asks: s.calls.filter((c) => c.expect.asks),
  }));
  const read = calls.find((c) => c.name === 'Read');
  const write1 = calls.find((c) => c.name === 'Write' && c.expect.turn === 1);
  const bash2 = calls.find((c) => c.name === 'Bash' && c.expect.turn === 2);
  const shared = calls.filter((c) => c.expect.turn === 3);
  const sessionId = seededUuid(`${script.seed}/session`);

  // -- services
  const mock = await startMock({ script, log: join(root, 'mock-requests.jsonl') });
  const serves = {};
  try {
    serves.all = await startServe(dirs.all, join(root, 'serve.log'));
    serves.otlp = await startServe(dirs.otlp, join(root, 'serve-otlp.log'));
  } catch (e) {
    check('toolprof serve starts (two of them)', false, String(e));
    await mock.close();
    return root;
  }
  const tap = await startTap([() => serves.all.url, () => serves.otlp.url]);

  // -- settings: a witness of Claude Code's own PostToolUse payloads, then
  // toolprof's hook into the user's settings and into the project's.
  const userSettings = join(home, '.claude/settings.json'), projSettings = join(proj, '.claude/settings.json');
  const witnessCmd = `cat > "$(mktemp '${wit}/payload-XXXXXXXX')"`;
  const witnessGroup = { matcher: '*', hooks: [{ type: 'command', command: witnessCmd }] };
  writeFileSync(userSettings, JSON.stringify({ apiKeyHelper: 'echo sk-ant-api03-dummy-approval',
    hooks: { PostToolUse: [witnessGroup], PostToolUseFailure: [witnessGroup] } }, null, 2));
  // An interactive session starts without onboarding and trust dialogs.
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true,
    projects: { [proj]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } } }, null, 2));
  for (const [file, dir] of [[userSettings, dirs.all], [projSettings, dirs.hook]]) {
    const ih = await tp(dir, 'install-hook', '--settings', file);
    check(`install-hook into ${file} exits 0`, ih.code === 0, brief(ih));
    let st = {};
    try { st = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { check(`${file} is JSON`, false, String(e)); }
    const cmd = `${TOOLPROF} --data-dir ${dir} hook`;
    for (const ev of ['PreToolUse', 'PermissionRequest', 'PostToolUse', 'PostToolUseFailure'])
      check(`${file}: one toolprof ${ev} handler for ${dir}`,
        (st.hooks?.[ev] || []).flatMap((g) => g.hooks || []).filter((h) => h.command === cmd).length === 1, st.hooks?.[ev]);
  }

  // -- the real client, in a terminal, in the default permission mode
  const env = {
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', TZ: 'UTC', TMPDIR: join(root, 'tmp'),
    ANTHROPIC_BASE_URL: mock.url, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_ENABLE_TELEMETRY: '1', CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_LOGS_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: tap.url,
    OTEL_LOGS_EXPORT_INTERVAL: '500', OTEL_BSP_SCHEDULE_DELAY: '500', OTEL_LOG_TOOL_DETAILS: '1',
  };
  const t0 = Date.now();
  const drive = await runInteractive({ claude, args: ['--session-id', sessionId, '--model', MODEL], env, cwd: proj,
    base: join(root, 'claude'), turns });
  note(`interactive session: ${Date.now() - t0} ms`);
  drive.screens.forEach((s, i) => writeFileSync(join(root, `screen-${String(i + 1).padStart(2, '0')}.txt`), `${s.what}\n\n${s.screen}`));
  check('the interactive session ran every prompt and /exit', !drive.error, drive.error);
  check('claude exits 0', drive.code === 0, `exit ${drive.code}; stderr in ${join(root, 'claude.stderr')}`);
  const delays = new Map(drive.approvals.map((a) => [a.id, a.enter - a.seen]));
  check('every prompt was answered after its delay (the screen was watched every 25 ms)',
    asked.every((c) => delays.get(c.id) >= c.expect.approve_after_ms), [...delays]);
  for (const c of asked) note(`${c.name} ${c.id}: prompt on screen, answered after ${delays.get(c.id)} ms`);
  const delaySum = asked.reduce((s, c) => s + (delays.get(c.id) ?? NaN), 0);

  // -- Claude Code's own figures: the witness's payloads
  const payloads = readdirSync(wit).map((f) => JSON.parse(readFileSync(join(wit, f), 'utf8')));
  const witness = new Map(payloads.map((p) => [p.tool_use_id, p]));
  check('claude ran every scripted call once, each with duration_ms (witness hook)',
    payloads.length === calls.length && calls.every((c) => witness.get(c.id)?.hook_event_name === 'PostToolUse' &&
      Number.isFinite(witness.get(c.id)?.duration_ms)),
    payloads.map((p) => `${p.hook_event_name} ${p.tool_name} ${p.tool_use_id} ${p.duration_ms}`).join('\n'));
  const cc = (id) => witness.get(id)?.duration_ms;
  check('the session is the one asked for', payloads.every((p) => p.session_id === sessionId), payloads.map((p) => p.session_id));

  // -- the hook: nothing went wrong, nothing left pending
  for (const [name, dir] of [['all', dirs.all], ['hook', dirs.hook]]) {
    const log = join(dir, 'hook-errors.log');
    check(`hook (${name}): hook-errors.log stays empty`, !existsSync(log) || readFileSync(log, 'utf8') === '',
      existsSync(log) ? readFileSync(log, 'utf8') : '');
    const pend = existsSync(join(dir, 'pending')) ? readdirSync(join(dir, 'pending')) : [];
    check(`hook (${name}): no call left pending`, pend.length === 0, pend);
  }

  // -- OTLP: until the OTLP-alone store holds every call (the client flushes
  // at exit, but the server may still be storing)
  let oexp = { ops: [] };
  for (const start = Date.now(); ; await sleep(250)) {
    oexp = await exportOps(tp, dirs.otlp);
    if (calls.every((c) => oexp.ops.some((o) => o.tool_use_id === c.id)) || Date.now() - start > OTLP_WAIT_MS) break;
  }
  tap.posts.forEach((p, i) => {
    const signal = (p.url.match(/\/v1\/(\w+)/) || [, 'other'])[1];
    writeFileSync(join(root, 'otlp', `${String(i + 1).padStart(2, '0')}-${signal}.json`), p.body);
  });
  check('every OTLP post was accepted by both servers (200)', tap.posts.length > 0 && tap.posts.every((p) => p.statuses.every((s) => s === 200)),
    tap.posts.map((p) => `${p.url} ${p.statuses} ${p.answers}`).join('\n'));
  const decoded = otlpDecode(tap.posts);
  const summary = otlpSummary(decoded, tap.posts);
  writeFileSync(join(root, 'otlp-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  note(`OTLP: ${tap.posts.length} posts (${tap.posts.filter((p) => p.url.startsWith('/v1/traces')).length} of traces); ` +
    `log events ${Object.entries(summary.log_events).map(([k, v]) => `${k}×${v.count}`).join(' ')}; ` +
    `spans ${Object.entries(summary.spans).map(([k, v]) => `${k}×${v.count}`).join(' ')}`);
  // Every hook run (toolprof's four events, twice, and the witness) exited
  // 0 and printed nothing, as the client saw it.
  const hookRuns = decoded.logs.filter((r) => r.a['event.name'] === 'hook_execution_complete');
  check('every hook run succeeded and printed nothing (OTLP hook_execution_complete)',
    hookRuns.length === 2 * calls.length + asked.length && hookRuns.every((r) => ['num_non_blocking_error', 'num_blocking', 'num_cancelled']
      .every((k) => String(r.a[k]) === '0') && String(r.a.stdout_chars ?? '0') === '0'),
    hookRuns.map((r) => `${r.a.hook_name}: ${r.a.num_success}/${r.a.num_hooks} ok, stdout ${r.a.stdout_chars}`).join('\n'));
  const trace = traceCalls(decoded.spans);
  const toolResults = new Map(decoded.logs.filter((r) => r.a['event.name'] === 'tool_result').map((r) => [r.a.tool_use_id, r.a]));
  check('OTLP logs: a tool_result for every call, duration_ms as the hook payload said (±1 ms)',
    calls.every((c) => Math.abs(Number(toolResults.get(c.id)?.duration_ms) - cc(c.id)) <= 1),
    calls.map((c) => `${c.name} ${c.id} otlp ${toolResults.get(c.id)?.duration_ms} hook ${cc(c.id)}`).join('\n'));
  check('OTLP traces: a claude_code.tool span with blocked_on_user and execution for every call',
    calls.every((c) => Number.isFinite(trace.get(c.id)?.blocked_ms) && Number.isFinite(trace.get(c.id)?.exec_ms)),
    [...trace.entries()]);
  for (const c of calls) {
    const tr = trace.get(c.id) || {};
    note(`${c.name} ${c.id}: Claude Code: exec ${cc(c.id)} ms (trace ${fmt(tr.exec_ms)}), blocked_on_user ${fmt(tr.blocked_ms)} ms ` +
      `(${tr.source}), tool span ${fmt(tr.wall_ms)} ms; the test's delay ${delays.get(c.id) ?? 0} ms`);
  }

  // -- the transcript, imported into its own store and into the common one
  const projects = join(home, '.claude/projects');
  for (const name of ['transcript', 'all']) {
    const im = await tp(dirs[name], 'import', projects);
    check(`import of the transcript (${name}) exits 0`, im.code === 0, brief(im));
  }

  // -- each channel, and all together
  for (const name of ['hook', 'otlp', 'transcript', 'all']) {
    const can = CAN[name], dir = dirs[name];
    const e = name === 'otlp' ? oexp : await exportOps(tp, dir);
    check(`${name}: export works`, !e.error, e.error);
    const op = new Map(e.ops.map((o) => [o.tool_use_id, o]));
    check(`${name}: one row per call, the scripted calls`,
      e.ops.length === calls.length && calls.every((c) => e.ops.filter((o) => o.tool_use_id === c.id).length === 1 && op.get(c.id).tool === c.name),
      e.ops.map((o) => `${o.tool} ${o.tool_use_id} ${JSON.stringify(o.sources)}`).join('\n'));
    const srcs = name === 'all' ? ['hook', 'otlp', 'transcript'] : [name];
    check(`${name}: every call reported by ${srcs.join(', ')}`,
      calls.every((c) => JSON.stringify([...(op.get(c.id)?.sources || [])].sort()) === JSON.stringify(srcs)),
      calls.map((c) => `${c.id} ${JSON.stringify(op.get(c.id)?.sources)}`).join('\n'));
    const ph = (c, p) => op.get(c.id)?.phases?.[p] || { ms: NaN, exactness: 'unknown', source: 'none' };

    // The Read never asked: no wait, its exec is not the Write's business.
    const r = op.get(read.id);
    check(`${name}: the Read did not ask (approval no, wait 0)`, r?.approval === 'no' && ph(read, 'wait').ms === 0,
      r && { approval: r.approval, wait: ph(read, 'wait') });

    for (const c of asked) {
      const tag = `${name}: ${c.name} ${c.id} (turn ${c.expect.turn})`;
      const o = op.get(c.id);
      if (!check(`${tag}: stored, asked`, o?.approval === 'asked', o && { approval: o.approval, phases: o.phases })) continue;
      const ex = ph(c, 'exec'), wt = ph(c, 'wait'), claudeMs = cc(c.id), delay = delays.get(c.id);
      check(`${tag}: duration_ms is the exec phase`, o.duration_ms === ex.ms || (o.duration_ms === null && !Number.isFinite(ex.ms)),
        { duration_ms: o.duration_ms, exec: ex });
      if (can.exec === 'estimated' && c.expect.turn === 3 && can.waitShared === 'estimated') {
        // Shared out with the other prompt of its turn: either call may get
        // too much of the turn's wait; the two together are bounded below.
        check(`${tag}: exec marked estimated`, ex.exactness === 'estimated', ex);
      } else if (can.exec === 'estimated') {
        // Known only as what the wait leaves of the wall time: never less
        // than the execution, and never passed off as measured.
        check(`${tag}: exec marked estimated, at least Claude Code's ${claudeMs} ms`,
          ex.exactness === 'estimated' && ex.ms >= claudeMs - EXEC_ABS_MS, ex);
      } else {
        check(`${tag}: exec ${can.exec} and within 20 % (or 50 ms) of Claude Code's ${claudeMs} ms`,
          exactnessOk(ex.exactness, can.exec) && Math.abs(ex.ms - claudeMs) <= Math.max(EXEC_TOL * claudeMs, EXEC_ABS_MS), ex);
      }
      // Claude Code's own measure of the wait (its trace's
      // blocked_on_user), for what is derived or exact: within 10 % too.
      const own = trace.get(c.id)?.blocked_ms;
      const want = c.expect.turn === 3 ? can.waitShared : can.wait;
      if (want !== 'estimated')
        check(`${tag}: wait within 10 % of Claude Code's own blocked_on_user (${own} ms)`,
          rel(wt.ms, own) <= WAIT_TOL, { wait: wt.ms, blocked_on_user: own });
      if (want === 'estimated') {
        check(`${tag}: wait marked estimated (two prompts in one turn)`, wt.exactness === 'estimated', wt);
      } else {
        check(`${tag}: wait ${want.replace('+', ' or better')}, within 10 % of the ${delay} ms the prompt was up`,
          exactnessOk(wt.exactness, want) && rel(wt.ms, delay) <= WAIT_TOL, { wait: wt, delay, off: `${fmt(100 * rel(wt.ms, delay))} %` });
      }
    }
    if (can.waitShared === 'estimated') {
      const got = shared.reduce((s, c) => s + ph(c, 'wait').ms, 0), want = shared.reduce((s, c) => s + delays.get(c.id), 0);
      check(`${name}: the two prompts of turn 3 together within 10 % of their delays (${want} ms)`, rel(got, want) <= WAIT_TOL,
        { got, want });
      const ex = shared.reduce((s, c) => s + ph(c, 'exec').ms, 0), own = shared.reduce((s, c) => s + cc(c.id), 0);
      check(`${name}: the two calls of turn 3 together: exec at least Claude Code's ${own} ms`, ex >= own - EXEC_ABS_MS,
        { exec: ex, claude: own });
    }

    // Sessions: the list and the session laid on the clock.
    const sl = await jsonCmd(tp, dir, 'sessions', '--json', '--window', 'all');
    const item = (Array.isArray(sl.data) ? sl.data : []).find((s) => s.id === sessionId);
    check(`${name}: sessions lists the session`, !!item, sl.error || sl.data);
    if (item) {
      check(`${name}: sessions: 4 calls asked`, item.calls === calls.length && item.calls_asked === asked.length,
        { calls: item.calls, calls_asked: item.calls_asked });
      check(`${name}: sessions: approvals within 10 % of the ${delaySum} ms of prompts`,
        rel(item.time?.approvals_ms, delaySum) <= WAIT_TOL && item.time?.unsplit_ms === 0, item.time);
    }
    if (item && (name === 'transcript' || name === 'all')) {
      // The transcript also places the session on the clock: its model
      // requests (one per response of the main conversation, as the mock
      // answered them) and its turns (the prompts typed). The transcript
      // does not write the closing /exit; OTLP does (a user_prompt and a
      // claude_code.interaction span of its own), so with OTLP the turns
      // are the interactions the client traced: the prompts and /exit.
      const mainRequests = mock.requests.filter((q) => q.tools > 0 && q.script).length;
      const interactions = decoded.spans.filter((sp) => sp.name === 'claude_code.interaction').length;
      const wantTurns = name === 'transcript' ? turns.length : interactions;
      check(`${name}: sessions: the session's ${mainRequests} model requests and ${wantTurns} turns`,
        item.requests === mainRequests && item.turns === wantTurns &&
        (name === 'transcript' || interactions === turns.length + 1),
        { requests: item.requests, turns: item.turns, prompts: turns.length, interactions });
      check(`${name}: sessions: model time, and time waiting for the next prompt`,
        item.time?.model_ms > 0 && item.time?.prompt_ms > 0 && item.time.model_ms + item.time.prompt_ms < item.time.wall_ms,
        item.time);
    }
    const sd = await jsonCmd(tp, dir, 'session', sessionId, '--json');
    check(`${name}: session ID: approvals within 10 % of the ${delaySum} ms of prompts`,
      rel(sd.data?.session?.time?.approvals_ms, delaySum) <= WAIT_TOL && sd.data?.session?.time?.unsplit_ms === 0,
      sd.error || sd.data?.session?.time);
    const live = serves[name];
    if (live) {
      // The HTTP API answers what the command line does.
      const api = await httpRequest('GET', `${live.url}/api/performance/sessions?window=all`);
      let body = {};
      try { body = JSON.parse(api.body); } catch { /* checked below */ }
      const a = (body.data || []).find((s) => s.id === sessionId);
      check(`${name}: GET /api/performance/sessions gives the same approvals`,
        api.status === 200 && a && a.time?.approvals_ms === item?.time?.approvals_ms, { status: api.status, api: a?.time, cli: item?.time });
    }

    // The Writes are not slow: not in slow, bottlenecks show their exec,
    // no recommendation calls a write slow.
    // (A Write Claude Code itself timed at 2 s or more would be slow; on a
    // loaded machine that can happen, and then it belongs in the list.)
    const writes = calls.filter((c) => c.name === 'Write' && cc(c.id) < SLOW_MS).map((c) => c.id);
    const slow = await jsonCmd(tp, dir, 'slow', '--json', '--window', 'all');
    const slowList = Array.isArray(slow.data) ? slow.data : slow.data?.operations;
    check(`${name}: slow answers and lists no Write`, Array.isArray(slowList) && !slowList.some((o) => writes.includes(o.tool_use_id)),
      slow.error || slowList?.map((o) => `${o.tool} ${o.tool_use_id} ${o.duration_ms}`));
    const bn = await jsonCmd(tp, dir, 'bottlenecks', '--json', '--window', 'all');
    const bnText = JSON.stringify(bn.data ?? null);
    const bnWrites = [];
    JSON.parse(bnText, (k, v) => { if (v && typeof v === 'object' && writes.includes(v.tool_use_id)) bnWrites.push(v); return v; });
    check(`${name}: bottlenecks show each Write with its exec, never its wall time`,
      !bn.error && bnWrites.every((w) => w.duration_ms === op.get(w.tool_use_id)?.duration_ms) &&
        bnWrites.every((w) => w.duration_ms < SLOW_MS),
      bn.error || bnWrites.map((w) => `${w.tool_use_id} ${w.duration_ms} vs ${op.get(w.tool_use_id)?.duration_ms}`));
    const rec = await jsonCmd(tp, dir, 'recommend', '--json', '--window', 'all');
    const recs = Array.isArray(rec.data) ? rec.data : [];
    const anySlowWrite = calls.some((c) => c.name === 'Write' && cc(c.id) >= SLOW_MS);
    check(`${name}: recommend calls no write slow`, !rec.error && !recs.some((x) => (x.rule === 'slow-write' && !anySlowWrite) ||
      (/slow/.test(x.rule) && (x.evidence || []).some((ev) => writes.includes(ev.tool_use_id)))),
    rec.error || recs.map((x) => x.rule));
    note(`${name}: recommendations ${recs.map((x) => x.rule).join(', ') || '(none)'}`);
  }

  // -- shut down
  for (const [name, s] of Object.entries(serves)) {
    const why = await s.stop();
    check(`toolprof serve (${name}) stops cleanly on SIGTERM`, why === null, why);
  }
  await tap.close();
  await mock.close();
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
  check('approval e2e harness ran to the end', false, e.stack || String(e));
}
if (kept) note(`kept ${kept}`);
process.exit(finish(T));
