// display.test.mjs - what the command line shows (issue 11, point 5) and
// `compare` on the command line and in the API, over a store built from the
// recordings in tests/data with the real `toolprof import`.
//
// "now" is pinned an hour after the recorded session (TOOLPROF_NOW_MS), so
// the recorded session is in the last 24 hours and the two hand-made legacy
// sessions (2025-09 and 2026-02) are older than 30 days. Expected counts are
// those tests/data/reference.py prints for the files, not toolprof's output.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, cli, dataFile, get, sanitizerReport, startServer, tempDir } from './lib.mjs';

const SESSION = '68f997f7-a9b1-4d13-a1eb-cbc0be960b77';
const FIRST_CALL = 1796433203355; // the recorded session's first call (reference.py)
const NOW = FIRST_CALL + 3600e3;
const V2_NEWEST = 1770714660050; // the 2.1 session's last call (reference.py)
const env = { TOOLPROF_NOW_MS: String(NOW), TZ: 'UTC', NO_COLOR: '', COLUMNS: '' };

let dir;
let srv;
const run = (args, extra = {}) => cli(['--data-dir', dir, ...args], { env: { ...env, ...extra } });
const json = (args) => {
  const r = run([...args, '--json']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

// Characters of the widest line, escape sequences aside.
const widest = (text) => Math.max(...text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => [...l].length));

// One describe around everything: its after() stops the server before
// lib.mjs's own after() checks that nothing is left running.
describe('over the recordings of tests/data', () => {
before(async () => {
  dir = tempDir('display');
  const r = cli(['--data-dir', dir, 'import', '--quiet',
    dataFile('recorded/claude/projects'), dataFile('legacy/claude-2.1/projects'),
    dataFile('legacy/claude-1.0/projects')], { env: { ...env, HOME: dir } });
  assert.equal(r.status, 0, r.stderr);
  srv = await startServer({ dataDir: dir, env });
});

after(async () => {
  const r = await srv.stop();
  assert.equal(r.code, 0, `server exit ${r.code ?? r.signal}: ${srv.stderr()}`);
  rmSync(dir, { recursive: true, force: true });
});

describe('compare', () => {
  test('--json is the API data for the same two ranges', async () => {
    const cases = [
      { window: '7d' },
      { since: '2026-12-04T00:00:00Z', until: '2026-12-06T00:00:00Z',
        baseline_since: '2026-02-01T00:00:00Z', baseline_until: '2026-02-28T00:00:00Z' },
      { window: '30d', by: 'canonical' },
      { window: 'all', baseline_since: '2025-01-01', baseline_until: '2026-01-01', tool: 'bash' },
    ];
    for (const c of cases) {
      const args = ['compare'];
      for (const [k, v] of Object.entries(c)) args.push('--' + k.replace(/_/g, '-'), v);
      const mine = json(args);
      const api = await get(srv, '/api/performance/compare?' + new URLSearchParams(c));
      assert.equal(api.status, 200, api.body);
      assert.deepEqual(mine, api.json.data, JSON.stringify(c));
      assert.equal(api.json.count, mine.tools.length);
    }
  });

  test('counts per period are the recordings\' counts', () => {
    // The recorded session (19 calls + 4 of its sub-agent) now, the 2.1
    // session (10 + 5) in the baseline.
    const c = json(['compare', '--since', '2026-12-05T00:00:00Z', '--until', '2026-12-06T00:00:00Z',
      '--baseline-since', '2026-02-10T00:00:00Z', '--baseline-until', '2026-02-11T00:00:00Z']);
    assert.equal(c.all.current.count, 23);
    assert.equal(c.all.baseline.count, 15);
    const bash = c.tools.find((t) => t.tool === 'Bash');
    assert.equal(bash.current.count, 6); // 5 + 1 in the sub-agent
    assert.equal(bash.baseline.count, 3);
    // Far too few calls to call anything a change.
    for (const t of [c.all, ...c.tools]) {
      assert.ok(['too_few', 'same'].includes(t.p50_change), `${t.tool}: ${t.p50_change}`);
      assert.ok(['too_few', 'same'].includes(t.p95_change), `${t.tool}: ${t.p95_change}`);
    }
    const text = run(['compare', '--since', '2026-12-05T00:00:00Z', '--until', '2026-12-06T00:00:00Z',
      '--baseline-since', '2026-02-10T00:00:00Z', '--baseline-until', '2026-02-11T00:00:00Z']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /too few calls/);
    assert.match(text.stdout, /95% confidence/);
  });
});

describe('names as a person types them', () => {
  test('tool names in any case', () => {
    const a = json(['stats', '--window', 'all', '--session', SESSION, '--tool', 'bash']);
    const b = json(['stats', '--window', 'all', '--session', SESSION, '--tool', 'Bash']);
    assert.equal(a.total_operations, 6);
    assert.deepEqual(a.tools, b.tools);
  });

  test('session id prefixes', () => {
    assert.equal(json(['stats', '--window', 'all', '--session', '68f9']).total_operations, 23);
    const s = json(['session', '68f997']);
    assert.equal(s.session.id, SESSION);
    assert.equal(s.calls.length, 23);
  });

  test('a project by its name or its path', () => {
    const byPath = json(['stats', '--window', 'all', '--project', '/tmp/toolprof-fixtures/project']);
    assert.equal(byPath.total_operations, 23);
    for (const p of ['project', 'PROJECT', '/tmp/toolprof-fixtures/project/', 'toolprof-fixtures/project']) {
      assert.deepEqual(json(['stats', '--window', 'all', '--project', p]).tools, byPath.tools, p);
    }
    // Both legacy sessions worked in /home/dev/shop.
    assert.equal(json(['stats', '--window', 'all', '--project', 'shop']).total_operations,
      json(['stats', '--window', 'all', '--project', '/home/dev/shop']).total_operations);
  });

  test('a filter that matches nothing names the nearest existing values', async () => {
    const cases = [
      [['--tool', 'rea'], /tool: no tool called rea was ever recorded \(nearest: Read, /],
      [['--project', 'shp'], /project: no project shp \(nearest: \/home\/dev\/shop/],
      [['--session', '68f9zzzz'], /session: no session starts with 68f9zzzz \(/],
      [['--agent', 'cursor'], /agent: cursor is not an agent toolprof knows \(claude-code, codex/],
    ];
    for (const [args, re] of cases) {
      const r = run(['stats', '--window', 'all', ...args]);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '');
      const q = new URLSearchParams({ window: 'all', [args[0].slice(2)]: args[1] });
      const a = await get(srv, '/api/performance/stats?' + q);
      assert.ok(a.status === 404 || a.status === 400, a.body);
      assert.match(a.json.message, re);
    }
  });

  test('toolprof projects and toolprof sessions list what is stored', () => {
    const p = json(['projects']);
    const names = p.map((x) => x.name).sort();
    assert.deepEqual(names, ['project', 'shop']);
    const proj = p.find((x) => x.name === 'project');
    assert.equal(proj.path, '/tmp/toolprof-fixtures/project');
    assert.equal(proj.calls, 23);
    assert.equal(proj.failed, 4);
    assert.equal(proj.sessions, 1);
    const shop = p.find((x) => x.name === 'shop');
    assert.equal(shop.last_call_ms, V2_NEWEST);
    const text = run(['projects']);
    assert.match(text.stdout, /^name\s+calls\s+sessions/);
    assert.match(text.stdout, /\/home\/dev\/shop/);
    const s = json(['sessions', '--window', 'all']);
    assert.equal(s.length, 3);
    assert.ok(s.some((x) => x.id === SESSION && x.calls === 23));
  });
});

describe('what the tables look like', () => {
  const commands = [
    ['stats', '--window', 'all'], ['slow', '--window', 'all', '--threshold', '0', '--limit', '20'],
    ['hotspots', '--window', 'all'], ['bottlenecks', '--window', 'all', '--limit', '2'],
    ['sessions', '--window', 'all'], ['projects'], ['trends', '--window', '30d'],
    ['compare', '--window', 'all', '--baseline-since', '2025-01-01', '--baseline-until', '2026-01-01'],
    ['recommend', '--window', 'all'], ['session', '68f9'],
  ];

  test('every line fits 80 and 200 columns', () => {
    for (const cols of [80, 200]) {
      for (const args of commands) {
        const r = run(args, { COLUMNS: String(cols) });
        assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
        if (args[0] === 'recommend') continue; // prose, not a table
        assert.ok(widest(r.stdout) <= cols,
          `${args.join(' ')} at ${cols} columns: a line of ${widest(r.stdout)}\n${r.stdout}`);
      }
    }
  });

  test('at 200 columns targets are whole; at 80 long ones are cut in the middle', () => {
    const slow = json(['slow', '--window', 'all', '--threshold', '0', '--limit', '50']);
    const longest = slow.map((o) => o.target || '').sort((a, b) => b.length - a.length)[0];
    assert.ok(longest.length > 40, longest);
    const wide = run(['slow', '--window', 'all', '--threshold', '0', '--limit', '50'], { COLUMNS: '200' });
    assert.ok(wide.stdout.includes(longest), 'the longest target, whole, at 200 columns');
    const narrow = run(['slow', '--window', 'all', '--threshold', '0', '--limit', '50'], { COLUMNS: '80' });
    assert.ok(!narrow.stdout.includes(longest));
    assert.match(narrow.stdout, /…/);
    // Without COLUMNS and not on a terminal: no limit at all.
    const pipe = run(['slow', '--window', 'all', '--threshold', '0', '--limit', '50']);
    assert.ok(pipe.stdout.includes(longest));
  });

  test('the slow list is slowest first', () => {
    const slow = json(['slow', '--window', 'all', '--threshold', '0', '--limit', '30']);
    const d = slow.map((o) => o.duration_ms);
    assert.deepEqual(d, [...d].sort((a, b) => b - a));
    // The slowest of the window, whatever its age: the 1.0 session's second
    // Task, 61,250 ms (reference.py).
    assert.equal(d[0], 61250);
  });

  test('colour on a terminal only, and never with NO_COLOR or --no-color', () => {
    const args = ['--data-dir', dir, 'stats', '--window', 'all'];
    // A terminal: script(1) gives the command a pseudo-terminal.
    // Its stderr comes out on the terminal too: no sanitizer report there.
    const script = (cmd, e) => {
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env, ...e } });
      assert.equal(sanitizerReport(r.stdout) || sanitizerReport(r.stderr), null, cmd);
      assert.equal(r.signal, null, cmd);
      return r;
    };
    const tty = (extraEnv, extraArgs = []) => script([BIN, ...args, ...extraArgs].map((a) => `'${a}'`).join(' '),
      { TERM: 'xterm', ...extraEnv });
    const on = tty({});
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stdout, /\x1b\[1m/, 'bold headings on a terminal');
    for (const [e, a, what] of [[{ NO_COLOR: '1' }, [], 'NO_COLOR'], [{}, ['--no-color'], '--no-color'], [{ TERM: 'dumb' }, [], 'TERM=dumb']]) {
      const r = tty(e, a);
      assert.equal(r.status, 0, what);
      assert.match(r.stdout, /operations \d/, what + ': the answer is there');
      assert.doesNotMatch(r.stdout, /\x1b\[/, what);
    }
    // --no-color before the command too.
    const before = script(`'${BIN}' --no-color --data-dir '${dir}' slow --window all`, { TERM: 'xterm' });
    assert.equal(before.status, 0);
    assert.doesNotMatch(before.stdout, /\x1b\[/);
    // Not a terminal: plain.
    assert.doesNotMatch(run(['stats', '--window', 'all']).stdout, /\x1b\[/);
  });

  test('the page\'s formats: durations, counts, "–" for no data', () => {
    const d = tempDir('display-fmt');
    try {
      const t = (args) => cli(['--data-dir', d, ...args], { env });
      // 1,667 short calls and one of 16 h 13 min, in toolprof's jsonl format.
      const lines = [];
      for (let i = 0; i < 1667; i++) {
        lines.push(JSON.stringify({ tool: 'Read', duration_ms: 5 + (i % 7), target: '/r.py',
          timestamp: new Date(NOW - 3600e3 - i * 1000).toISOString(), tool_use_id: `toolu_fmt${i}` }));
      }
      lines.push(JSON.stringify({ tool: 'Bash', duration_ms: 58380000, target: 'make all',
        timestamp: new Date(NOW - 30 * 3600e3).toISOString(), tool_use_id: 'toolu_fmtlong' }));
      const file = path.join(d, 'ops.jsonl');
      writeFileSync(file, lines.join('\n') + '\n');
      assert.equal(t(['import', '--quiet', file]).status, 0);
      const stats = t(['stats', '--window', '7d']);
      assert.match(stats.stdout, /operations 1,668 /);
      assert.match(stats.stdout, /Bash\s+1\s+16 h 13 min/);
      const slow = t(['slow', '--window', '7d']);
      assert.match(slow.stdout, /16 h 13 min/);
      // No data is "–", never 0 ms or 100 %.
      const empty = t(['stats', '--since', '2026-01-01', '--until', '2026-01-02']);
      assert.doesNotMatch(empty.stdout, /0 ms|100/);
      assert.match(empty.stdout, /no operations in this window/);
      const tr = t(['trends', '--window', '7d']);
      assert.match(tr.stdout, /\s0\s+–\s+–\s+0/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test('an empty window says when the newest call was and which window shows it', () => {
    const r = run(['stats', '--window', '24h', '--project', 'shop']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no operations in this window/);
    assert.match(r.stdout, /the newest call was at 2026-02-10 \d\d:\d\d \(\d+ days ago\): --window all shows it/);
    const j = json(['stats', '--window', '24h', '--project', 'shop']);
    assert.equal(j.total_operations, 0);
    assert.equal(j.empty.newest_call_ms, V2_NEWEST);
    assert.equal(j.empty.suggested_window, 'all');
    // A window with calls: no hint.
    assert.equal(json(['stats', '--window', '24h']).empty, null);
  });
});

describe('export', () => {
  test('the query filters, and --out FILE writes that file', () => {
    const d = tempDir('display-export');
    try {
      const csv = path.join(d, 'ops.csv');
      let r = run(['export', '--format', 'csv', '--out', csv, '--tool', 'bash', '--session', '68f9']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(statSync(csv).isFile(), `${csv} is a file`);
      const rows = readFileSync(csv, 'utf8').trim().split('\n');
      assert.equal(rows.length, 1 + 6);
      assert.ok(rows.slice(1).every((l) => l.split(',')[1] === 'Bash'));
      assert.match(r.stderr, /exported 6 operations to .*ops\.csv/);
      assert.deepEqual(readFileSync(csv, 'utf8').match(/\.tmp-/), null);

      const jl = path.join(d, 'project.jsonl');
      r = run(['export', '--out', jl, '--project', 'project', '--window', 'all']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(jl, 'utf8').trim().split('\n').length, 23);

      const sub = path.join(d, 'into') + '/';
      r = run(['export', '--out', sub, '--since', '2026-02-01', '--until', '2026-03-01']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(path.join(sub, 'operations.jsonl'), 'utf8').trim().split('\n').length, 15);

      r = run(['export', '--out', path.join(d, 'x.csv'), '--format', 'csv', '--tool', 'rea']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /nearest: Read/);
      assert.equal(existsSync(path.join(d, 'x.csv')), false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('import', () => {
  test('payloads without a timestamp take their file\'s time, and a warning says so', () => {
    const d = tempDir('display-untimed');
    try {
      const log = path.join(d, 'hooks.jsonl');
      const post = (tool, id, extra = {}) => JSON.stringify({ hook_event_name: 'PostToolUse', tool_name: tool,
        tool_use_id: id, session_id: 'untimed-session', tool_input: { file_path: '/a/' + id }, tool_response: {}, ...extra });
      writeFileSync(log, [
        post('Read', 'toolu_untimed1'),
        post('Read', 'toolu_untimed2'),
        post('Read', 'toolu_timed', { timestamp: '2026-11-29T08:00:00Z' }),
      ].join('\n') + '\n');
      const mtime = Date.parse('2026-11-30T12:34:56Z');
      utimesSync(log, mtime / 1000, mtime / 1000);
      const data = path.join(d, 'data');
      const imp = (args) => cli(['--data-dir', data, 'import', ...args], { env: { ...env, HOME: d } });
      let r = imp([log]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /hooks\.jsonl: warning: 2 call\(s\) without a timestamp, stored as ending at the file's modification time, 2026-11-30.12:34:56/);
      assert.match(r.stdout, /^3 calls: 3 new/m);
      assert.match(r.stdout, /^2 calls without a timestamp were stored at their file's modification time$/m);
      // Where they are: the export's times, against the file's own.
      r = cli(['--data-dir', data, 'export', '--out', '-', '--window', 'all'], { env });
      assert.equal(r.status, 0, r.stderr);
      const at = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.tool_use_id, Date.parse(o.timestamp)]));
      assert.deepEqual(at, { toolu_untimed1: mtime, toolu_untimed2: mtime, toolu_timed: Date.parse('2026-11-29T08:00:00Z') });
      // Written again with one more line: only the new call, and the count
      // of the JSON answer.
      writeFileSync(log, readFileSync(log, 'utf8') + post('Read', 'toolu_untimed3') + '\n');
      utimesSync(log, mtime / 1000, mtime / 1000);
      r = imp([log, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.inserted, 1);
      assert.equal(j.untimed, 1);
      assert.match(r.stderr, /warning: 1 call\(s\) without a timestamp/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
});
