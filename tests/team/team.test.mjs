// team.test.mjs - a team server on a real ClickHouse, against a SQLite store.
//
// Three machines (data directories with hooks and imports of different
// recordings from tests/data, one with a large synthetic history) push to
// two team servers: one on ClickHouse (Debian's clickhouse-server, started
// here with its own configuration on loopback ports), one on SQLite, the
// reference. Every API answer of the first must equal the second's (counts
// exactly, durations to the last bits of a double, percentiles within the
// sketch's 1 %). Then: ClickHouse killed in the middle of a push and
// started again, the team server killed in the middle of a push and
// started again (nothing lost, nothing twice: the answers still equal the
// reference); wrong and missing tokens (401, nothing written); a token
// writing as someone else (403, nothing written); person and host filters
// against each machine's own store; the dashboard's person and machine
// pickers and its Team view in Chromium (dashboard.mjs), against the same.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, dataFile, eventually, request, sanitizerReport, startServer, tempDir } from '../integration/lib.mjs';
import { errorLog, startClickHouse } from './clickhouse.mjs';
import { dashboardChecks } from './dashboard.mjs';

const DB = 'toolprof_team_test';
const NOW = Date.now();
const iso = (ms) => new Date(ms).toISOString();
// Fixed windows, so that both servers answer the same question.
const ALL = { since: '2000-01-01T00:00:00Z', until: iso(NOW + 2 * 86400000) };
const WEEK = { since: iso(NOW - 7 * 86400000), until: iso(NOW + 3600000) };
const DAY = { since: iso(NOW - 86400000), until: iso(NOW + 3600000) };

const work = tempDir('team');
const procs = []; // every toolprof process, to check how it ended
let ch = null;
let teamCh = null; // the team server on ClickHouse
let teamSq = null; // the reference, on SQLite
const tokens = { ch: {}, sq: {} };

// ---- processes -----------------------------------------------------------


// Run toolprof; asserts its exit status (0 unless told) and a clean stderr.
function tp(args, opts = {}) {
  const r = spawnSync(BIN, args, {
    encoding: 'utf8', input: opts.input, timeout: opts.timeout || 120000,
    env: { ...process.env, TOOLPROF_TOKEN: '', TOOLPROF_STORE: '', ...(opts.env || {}) },
  });
  const want = opts.status ?? 0;
  assert.equal(r.status, want, `toolprof ${args.join(' ')} exited ${r.status}, wanted ${want}:\n${r.stderr}`);
  assert.ok(!sanitizerReport(r.stderr), `sanitizer report from toolprof ${args.join(' ')}:\n${r.stderr}`);
  return r;
}

// A push in the background: resolves to {code, stdout, stderr} when it ends.
function pushAsync(dir, url, token, host, extra = []) {
  const proc = spawn(BIN, ['--data-dir', dir, 'push', '--to', url, '--token', token, '--host', host, ...extra], {
    env: { ...process.env, TOOLPROF_STORE: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  return { proc, done, stderr: () => err };
}

function push(dir, server, who, host, extra = []) {
  const store = server === teamCh ? 'ch' : 'sq';
  return tp(['--data-dir', dir, 'push', '--to', server.base, '--token', tokens[store][who], '--host', host, ...extra]);
}

async function startTeam(kind, dataDir) {
  const env = kind === 'ch' ? { TOOLPROF_STORE: ch.url(DB) } : { TOOLPROF_STORE: '' };
  const s = await startServer({ dataDir, env, keepDir: true });
  procs.push(s);
  return s;
}

// Wait until the ClickHouse team server has written everything it holds.
async function drained(server) {
  let last = null;
  const ok = await eventually(async () => {
    const r = await request(server, '/healthz');
    last = r.json;
    return r.status === 200 && r.json && r.json.clickhouse && r.json.clickhouse.queued_operations === 0 &&
      r.json.clickhouse.batches_to_finish === 0 && r.json.clickhouse.error === null;
  }, 120000, 200);
  assert.ok(ok, `the team server did not finish writing: ${JSON.stringify(last)}`);
}

// ---- comparing answers -----------------------------------------------------

const PERCENTILE = /(^|_)(p\d+|median)(_|$)|^p\d+_durations$/;
const FLOAT = /(_ms|_usd|_rate|rate|share|_durations|_values|^ms|max_ms|cost)$/;

function cmp(a, b, where, key, diffs) {
  if (diffs.length > 20) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return;
    const scale = Math.max(Math.abs(a), Math.abs(b));
    if (PERCENTILE.test(key) && Math.abs(a - b) <= 0.01 * scale) return;
    if (FLOAT.test(key) && Math.abs(a - b) <= 1e-9 * scale + 1e-9) return;
    diffs.push(`${where}: ${a} != ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      diffs.push(`${where}: ${a.length} items != ${b.length}`);
      return;
    }
    a.forEach((v, i) => cmp(v, b[i], `${where}[${i}]`, key, diffs));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (k === 'resource_usage') continue; // this process's memory and the store's bytes
      if (!(k in a) || !(k in b)) {
        diffs.push(`${where}.${k}: only on one side`);
        continue;
      }
      cmp(a[k], b[k], `${where}.${k}`, k, diffs);
    }
    return;
  }
  if (a !== b) diffs.push(`${where}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}

async function answer(server, store, pathq) {
  const r = await request(server, pathq, { token: tokens[store].alice });
  assert.equal(r.status, 200, `${pathq} on ${store}: ${r.status} ${r.body.slice(0, 300)}`);
  return r.json;
}

function qs(params) {
  return new URLSearchParams(params).toString();
}

// The questions compared, with fixed windows.
function questions(extra = {}) {
  const q = [];
  for (const w of [ALL, WEEK, DAY]) {
    q.push(`/api/performance/stats?${qs({ ...w, ...extra })}`);
    q.push(`/api/performance/stats?${qs({ ...w, ...extra, by: 'agent' })}`);
    q.push(`/api/performance/stats?${qs({ ...w, ...extra, by: 'canonical' })}`);
    q.push(`/api/performance/slow-operations?${qs({ ...w, ...extra, threshold: 1000, limit: 10000 })}`);
    q.push(`/api/performance/bottlenecks?${qs({ ...w, ...extra, limit: 5 })}`);
    q.push(`/api/performance/hotspots?${qs({ ...w, ...extra, limit: 10000 })}`);
    q.push(`/api/performance/recommendations?${qs({ ...w, ...extra })}`);
  }
  q.push(`/api/performance/stats?${qs({ ...ALL, ...extra, tool: 'Read' })}`);
  q.push(`/api/performance/stats?${qs({ ...ALL, ...extra, tool: 'Bash', project: '/home/dev/projects/webapp' })}`);
  q.push(`/api/performance/slow-operations?${qs({ ...ALL, ...extra, threshold: 0, limit: 200 })}`);
  q.push(`/api/performance/stats?${qs({ ...ALL, ...extra, agent: 'claude-code' })}`);
  q.push(`/api/performance/hotspots?${qs({ ...ALL, ...extra, canonical: 'read', limit: 50 })}`);
  q.push(`/api/performance/trends?${qs({ ...extra, days: 40 })}`);
  q.push(`/api/performance/trends?${qs({ ...extra, days: 7, tool: 'Grep' })}`);
  if (!extra.person && !extra.host) {
    q.push(`/api/performance/sessions?${qs({ ...ALL, limit: 10000 })}`);
    q.push(`/api/performance/tools?${qs(ALL)}`);
  }
  return q;
}

async function sameAnswers(label, extra = {}) {
  let compared = 0;
  const problems = [];
  for (const pq of questions(extra)) {
    const [a, b] = await Promise.all([answer(teamCh, 'ch', pq), answer(teamSq, 'sq', pq)]);
    const diffs = [];
    cmp(a, b, pq, '', diffs);
    if (diffs.length) problems.push(...diffs.slice(0, 5));
    compared++;
  }
  // Every session, on the clock.
  if (!extra.person) {
    const list = await answer(teamSq, 'sq', `/api/performance/sessions?${qs({ ...ALL, limit: 10000 })}`);
    for (const s of list.data) {
      const pq = `/api/performance/sessions/${encodeURIComponent(s.id)}`;
      const [a, b] = await Promise.all([answer(teamCh, 'ch', pq), answer(teamSq, 'sq', pq)]);
      const diffs = [];
      cmp(a, b, pq, '', diffs);
      if (diffs.length) problems.push(...diffs.slice(0, 5));
      compared++;
    }
  }
  assert.deepEqual(problems, [], `${label}: the ClickHouse store answers differently`);
  return compared;
}

async function total(server, store, extra = {}) {
  const r = await answer(server, store, `/api/performance/stats?${qs({ ...ALL, ...extra })}`);
  return r.data.total_operations;
}

// ---- the machines ------------------------------------------------------------

const m1 = path.join(work, 'alice-laptop');
const m2 = path.join(work, 'alice-desktop');
const m3 = path.join(work, 'bob-box');

function feedHooks(dir, file) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim()) tp(['--data-dir', dir, 'hook'], { input: line });
  }
}

// count synthetic calls with ids of their own, over the last `days` days.
function synthetic(file, count, seed, days = 10) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const tools = ['Read', 'Bash', 'Grep', 'Edit', 'mcp__github__search', 'mcp__jira__get_issue', 'WebFetch'];
  const lines = [];
  for (let i = 0; i < count; i++) {
    const tool = tools[Math.floor(rnd() * tools.length)];
    const ms = Math.round(Math.exp(rnd() * 9) * 1000) / 1000;
    lines.push(JSON.stringify({
      tool, target: tool === 'Bash' ? `make test-${i % 37}` : `/srv/app/file${i % 211}.ts`,
      duration_ms: ms, timestamp: iso(NOW - Math.floor(rnd() * days * 86400000)),
      success: rnd() > 0.05, tool_use_id: `toolu_01syn${seed}x${String(i).padStart(12, '0')}`,
      session_id: `syn-${seed}-${i % 13}`, project: '/srv/app', source: 'api',
    }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

before(async () => {
  ch = await startClickHouse(path.join(work, 'clickhouse'));
  process.stdout.write(`# clickhouse-server answered after ${ch.startMs} ms\n`);

  // alice's laptop: the recorded session's transcripts and its hooks.
  tp(['--data-dir', m1, 'import', dataFile('recorded/claude/projects')]);
  feedHooks(m1, dataFile('recorded/hooks.jsonl'));
  tp(['--data-dir', m1, 'stats']); // drains the hook spool
  // alice's desktop: the hand-made 2.1 transcripts, old hook logs, a daily file.
  tp(['--data-dir', m2, 'import', dataFile('legacy/claude-2.1/projects'), dataFile('legacy/hooks/post_tool_use.json'),
    dataFile('legacy/hooks/post_tool_use_failure.json'), dataFile('seed/operations_2026-02-15.json')]);
  // bob's box: the 1.0 transcripts and a month of history (percentiles from sketches).
  tp(['--data-dir', m3, 'import', dataFile('legacy/claude-1.0/projects')]);
  tp(['--data-dir', m3, 'demo', '--ops', '30000', '--days', '30', '--seed', '7', '--force', '--quiet']);

  teamCh = await startTeam('ch', path.join(work, 'team-ch'));
  teamSq = await startTeam('sq', path.join(work, 'team-sq'));
  for (const [store, dir] of [['ch', teamCh.dataDir], ['sq', teamSq.dataDir]]) {
    for (const who of ['alice', 'bob']) {
      tokens[store][who] = tp(['--data-dir', dir, 'token', 'add', who]).stdout.trim();
      assert.match(tokens[store][who], /^tp_[0-9a-f]{64}$/);
    }
  }
}, { timeout: 240000 });

// Whatever a failed test left running; the last test stops everything and
// checks how it ended.
after(async () => {
  if (ch) await ch.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

// ---- the tests -----------------------------------------------------------------

test('three machines push to ClickHouse and to SQLite: every answer is the same', { timeout: 300000 }, async () => {
  for (const server of [teamSq, teamCh]) {
    push(m1, server, 'alice', 'alice-laptop');
    push(m2, server, 'alice', 'alice-desktop');
    push(m3, server, 'bob', 'bob-box', ['--batch', '4000']);
  }
  await drained(teamCh);
  const local = (dir) => JSON.parse(tp(['--data-dir', dir, 'stats', '--since', ALL.since, '--until', ALL.until, '--json']).stdout).total_operations;
  const expected = local(m1) + local(m2) + local(m3);
  assert.ok(expected > 30000, `the machines hold ${expected} calls`);
  assert.equal(await total(teamSq, 'sq'), expected);
  assert.equal(await total(teamCh, 'ch'), expected);
  const n = await sameAnswers('after the first push');
  assert.ok(n > 20, `${n} answers compared`);
  // A second push sends nothing new, and changes nothing.
  const again = push(m3, teamCh, 'bob', 'bob-box');
  assert.match(again.stdout, /^0 calls sent/);
  assert.equal(await total(teamCh, 'ch'), expected);
});

test('person and host filters equal each machine\'s own store', { timeout: 120000 }, async () => {
  const localStats = (dir) => JSON.parse(tp(['--data-dir', dir, 'stats', '--since', ALL.since, '--until', ALL.until, '--json']).stdout);
  const cases = [[{ person: 'bob' }, m3], [{ host: 'alice-laptop' }, m1], [{ host: 'alice-desktop' }, m2],
    [{ person: 'alice', host: 'alice-laptop' }, m1]];
  for (const [filter, dir] of cases) {
    const team = await answer(teamCh, 'ch', `/api/performance/stats?${qs({ ...ALL, ...filter })}`);
    const own = localStats(dir);
    const diffs = [];
    cmp(team.data, own, JSON.stringify(filter), '', diffs);
    assert.deepEqual(diffs, [], `${JSON.stringify(filter)} differs from that machine's own store; the team server's log ends:\n${teamCh.stderr().slice(-3000)}`);
  }
  const alice = await total(teamCh, 'ch', { person: 'alice' });
  assert.equal(alice, localStats(m1).total_operations + localStats(m2).total_operations);
  assert.equal(await total(teamCh, 'ch', { person: 'nobody' }), 0);
  // The SQLite store keeps no people: the filter is an error there, not ignored.
  const r = await request(teamSq, `/api/performance/stats?person=bob`, { token: tokens.sq.alice });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /person/);
  // The team view: everyone, with their machines; waits and calls per person.
  const team = (await answer(teamCh, 'ch', `/api/performance/team?${qs(ALL)}`)).data;
  assert.deepEqual(team.members, [{ person: 'alice', hosts: ['alice-desktop', 'alice-laptop'] }, { person: 'bob', hosts: ['bob-box'] }]);
  for (const p of team.people) {
    const s = await answer(teamCh, 'ch', `/api/performance/stats?${qs({ ...ALL, person: p.person })}`);
    assert.equal(p.calls, s.data.total_operations);
    assert.ok(Math.abs(p.approval_wait_ms - s.data.phases.approval_wait_ms) < 1e-6);
  }
  assert.ok(team.mcp_servers.length > 0 && team.commands.length > 0);
  const onSqlite = await request(teamSq, `/api/performance/team?${qs(ALL)}`, { token: tokens.sq.alice });
  assert.equal(onSqlite.status, 400);
});

test('the dashboard on the team server: person and machine pickers, the Team view', { timeout: 900000 }, async (t) => {
  // carol's machine, whose names hold markup: its host, a command, an MCP
  // server. Pushed to both servers, so that they still hold the same calls.
  const hostile = {
    host: '<img/src=x/onerror=alert("host")>',
    command: '<img src=x onerror=alert("cmd")> && make',
    server: '<svg/onload=alert("mcp")>',
  };
  const m5 = path.join(work, 'carol-box');
  const file = path.join(work, 'carol.jsonl');
  const at = (min) => iso(NOW - 3600000 - min * 60000);
  const op = (i, tool, target, ms) => JSON.stringify({ tool, target, duration_ms: ms, timestamp: at(i), success: true,
    tool_use_id: `toolu_01carol${String(i).padStart(16, '0')}`, session_id: 'carol-session', project: '/srv/carol', source: 'api' });
  writeFileSync(file, [op(1, 'Bash', hostile.command, 3200.5), op(2, `mcp__${hostile.server}__run`, 'q', 2600),
    op(3, 'Read', '/srv/carol/a.ts', 12)].join('\n') + '\n');
  tp(['--data-dir', m5, 'import', file]);
  for (const [store, server] of [['sq', teamSq], ['ch', teamCh]]) {
    tokens[store].carol = tp(['--data-dir', server.dataDir, 'token', 'add', 'carol']).stdout.trim();
    // A running server reads its token file again within a second.
    const known = await eventually(async () => (await request(server, '/api/performance/resources', { token: tokens[store].carol })).status === 200, 5000, 100);
    assert.ok(known, `the ${store} team server did not take carol's new token`);
    const r = tp(['--data-dir', m5, 'push', '--to', server.base, '--token', tokens[store].carol, '--host', hostile.host]);
    assert.match(r.stdout, /^3 calls sent/);
  }
  await drained(teamCh);
  // Each machine's own count of its calls: what the page must show for it.
  const count = (dir) => JSON.parse(tp(['--data-dir', dir, 'stats', '--window', 'all', '--json']).stdout).total_operations;
  const local = { 'alice-laptop': count(m1), 'alice-desktop': count(m2), bob: count(m3), carol: count(m5) };
  local.alice = local['alice-laptop'] + local['alice-desktop'];
  assert.equal(local.carol, 3);
  await dashboardChecks(t, { base: teamCh.base, token: tokens.ch.bob, api: (pq) => answer(teamCh, 'ch', pq), local, hostile });
});

test('ClickHouse killed in the middle of a push, then started again: nothing lost, nothing twice', { timeout: 300000 }, async () => {
  const file = path.join(work, 'syn1.jsonl');
  synthetic(file, 12000, 1);
  tp(['--data-dir', m3, 'import', file]);
  push(m3, teamSq, 'bob', 'bob-box');
  const before = await total(teamCh, 'ch');
  const p = pushAsync(m3, teamCh.base, tokens.ch.bob, 'bob-box', ['--batch', '1000']);
  // Once ClickHouse holds some of the new calls, take it away.
  const written = await eventually(async () => {
    const r = await ch.query(`SELECT count() FROM ${DB}.ops WHERE uid LIKE 'toolu_01syn1x%'`);
    return r.status === 200 && Number(r.body) > 0;
  }, 60000, 20);
  assert.ok(written, 'no batch reached ClickHouse');
  await ch.kill('SIGKILL');
  // The push goes on: the team server keeps the calls in its spool.
  const r = await p.done;
  assert.equal(r.code, 0, `push ended with ${r.code ?? r.signal}:\n${r.stderr}`);
  assert.ok(!sanitizerReport(r.stderr), r.stderr);
  const health = await request(teamCh, '/healthz');
  assert.equal(health.json.status, 'degraded');
  assert.ok(health.json.clickhouse.queued_operations > 0, JSON.stringify(health.json));
  ch = await ch.restart();
  await drained(teamCh);
  assert.equal(await total(teamCh, 'ch'), before + 12000);
  await sameAnswers('after ClickHouse came back');
});

test('the team server killed in the middle of a push, then started again: nothing lost, nothing twice', { timeout: 300000 }, async () => {
  const file = path.join(work, 'syn2.jsonl');
  synthetic(file, 8000, 2);
  tp(['--data-dir', m3, 'import', file]);
  push(m3, teamSq, 'bob', 'bob-box');
  const before = await total(teamCh, 'ch');
  const p = pushAsync(m3, teamCh.base, tokens.ch.bob, 'bob-box', ['--batch', '500']);
  const some = await eventually(() => /batch [2-9]/.test(p.stderr()), 60000, 10);
  assert.ok(some, `the push sent no batch: ${p.stderr()}`);
  const dataDir = teamCh.dataDir;
  await teamCh.stop('SIGKILL', { signal: 'SIGKILL' });
  procs.splice(procs.indexOf(teamCh), 1);
  teamCh = await startTeam('ch', dataDir);
  // The push keeps trying and resumes against the new server (its port is new:
  // the old process is gone, so the push fails; push again to the new one).
  // The push saw its server go away: it ends with an error, not a crash.
  const r = await p.done;
  assert.equal(r.signal, null, `push died of ${r.signal}:\n${r.stderr}`);
  assert.ok(!sanitizerReport(r.stderr), r.stderr);
  const again = push(m3, teamCh, 'bob', 'bob-box', ['--batch', '500']);
  assert.match(again.stdout, /calls sent/);
  await drained(teamCh);
  assert.equal(await total(teamCh, 'ch'), before + 8000);
  await sameAnswers('after the team server came back');
});

test('a wrong or missing token is refused and writes nothing; a token writes only as its person', { timeout: 120000 }, async () => {
  const before = await total(teamCh, 'ch');
  const file = path.join(work, 'syn3.jsonl');
  synthetic(file, 50, 3);
  const m4 = path.join(work, 'intruder');
  tp(['--data-dir', m4, 'import', file]);
  // A push with a wrong token, then with none at all.
  const wrong = tp(['--data-dir', m4, 'push', '--to', teamCh.base, '--token', 'tp_' + '0'.repeat(64), '--host', 'x'], { status: 1 });
  assert.match(wrong.stderr, /401/);
  const body = Buffer.from([1]); // not even read: refused before
  for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: 'Basic YWxpY2U6eA==' }]) {
    const r = await request(teamCh, '/api/team/push', {
      method: 'POST', body, headers: { 'Content-Type': 'application/x-toolprof-ops', ...headers },
    });
    assert.equal(r.status, 401, JSON.stringify(headers));
    const q = await request(teamCh, '/api/performance/stats', { headers });
    assert.equal(q.status, 401);
  }
  const op = { tool: 'Read', target: '/x', duration_ms: 5, tool_use_id: 'toolu_01forgedforgedforged0001' };
  const noToken = await request(teamCh, '/api/performance/operations', { method: 'POST', body: op });
  assert.equal(noToken.status, 401);
  // alice writing as bob.
  const forged = await request(teamCh, '/api/performance/operations', {
    method: 'POST', body: op, token: tokens.ch.alice, headers: { 'X-Toolprof-Person': 'bob' },
  });
  assert.equal(forged.status, 403);
  assert.match(forged.json.message, /alice/);
  const forgedPush = spawnSync(BIN, ['--data-dir', m4, 'push', '--to', teamCh.base, '--token', tokens.ch.alice, '--host', 'x'], {
    encoding: 'utf8', env: { ...process.env, TOOLPROF_STORE: '' },
  });
  assert.equal(forgedPush.status, 0, forgedPush.stderr);
  await drained(teamCh);
  // Only alice's 50 were written, under alice; bob and the rest unchanged.
  assert.equal(await total(teamCh, 'ch'), before + 50);
  assert.equal(await total(teamCh, 'ch', { person: 'alice', host: 'x' }), 50);
  assert.equal(await total(teamCh, 'ch', { person: 'bob', host: 'x' }), 0);
  // A token removed is refused within a second.
  tp(['--data-dir', teamCh.dataDir, 'token', 'remove', 'alice']);
  const gone = await eventually(async () => (await request(teamCh, '/api/performance/stats', { token: tokens.ch.alice })).status === 401, 5000, 100);
  assert.ok(gone, 'a removed token still worked');
});

test('import straight into ClickHouse resumes from its marks: a second import reads nothing', { timeout: 120000 }, async () => {
  const env = { TOOLPROF_STORE: ch.url('toolprof_import_test') };
  const dir = path.join(work, 'direct');
  const src = dataFile('legacy/claude-1.0/projects');
  const first = JSON.parse(tp(['--data-dir', dir, 'import', '--json', src], { env }).stdout);
  const local = path.join(work, 'direct-sqlite');
  const ref = JSON.parse(tp(['--data-dir', local, 'import', '--json', src]).stdout);
  assert.ok(ref.inserted > 0);
  assert.equal(first.inserted, ref.inserted);
  assert.equal(first.files_read, ref.files_read);
  const again = JSON.parse(tp(['--data-dir', dir, 'import', '--json', src], { env }).stdout);
  assert.equal(again.files_unchanged, first.files_read, JSON.stringify(again));
  assert.equal(again.files_read, 0);
  assert.equal(again.operations, 0);
  const stats = (e) => JSON.parse(tp(['--data-dir', e ? dir : local, 'stats', '--since', ALL.since, '--until', ALL.until, '--json'], { env: e ? env : {} }).stdout);
  const diffs = [];
  cmp(stats(true), stats(false), 'stats', '', diffs);
  assert.deepEqual(diffs, [], 'the ClickHouse store answers differently from SQLite after a direct import');
});

test('the team servers and ClickHouse stop cleanly', { timeout: 120000 }, async () => {
  // stop() asserts exit 0 and no sanitizer report on stderr.
  while (procs.length) await procs.pop().stop();
  const r = await ch.stop();
  assert.equal(r.code, 0, `clickhouse-server ended with ${r.code ?? r.signal}:\n${errorLog(ch.dir)}`);
  ch = null;
});
