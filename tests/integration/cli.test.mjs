// cli.test.mjs - the command line's exit statuses, and the command line and the
// API answering and refusing alike.
//
// Exit statuses (README, `toolprof --help`): 0 success (an empty window too),
// 1 runtime failure, 2 usage error. Every command runs ten times on a populated
// store, because an uninitialized status once made identical runs exit 0, 255,
// 254 and 253. "now" is pinned (TOOLPROF_NOW_MS) for the CLI and the server, so
// that both answer over exactly the same window.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cli, get, startServer, tempDir } from './lib.mjs';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const env = { TOOLPROF_NOW_MS: String(NOW), TZ: 'UTC' };
const RUNS = 10;

// name -> API path, and a good set of options for each question.
const QUESTIONS = {
  stats: ['stats', ['--window', '7d']],
  slow: ['slow-operations', ['--threshold', '1000', '--limit', '5', '--window', '30d']],
  bottlenecks: ['bottlenecks', ['--limit', '2', '--window', '30d']],
  hotspots: ['hotspots', ['--limit', '5', '--window', 'all']],
  recommend: ['recommendations', ['--window', '30d']],
  trends: ['trends', ['--days', '14', '--tool', 'Read']],
  resources: ['resources', []],
  tools: ['tools', ['--window', '7d']],
};
const OTHERS = ['track', 'import', 'export', 'demo', 'prune', 'serve', 'hook', 'install-hook'];

let dir;
let srv;

describe('toolprof on the command line', () => {
before(async () => {
  dir = tempDir('cli');
  const r = cli(['--data-dir', dir, 'demo', '--ops', '3000', '--days', '20', '--quiet'], { env });
  assert.equal(r.status, 0, r.stderr);
  srv = await startServer({ dataDir: dir, env });
});

after(async () => {
  const r = await srv.stop();
  assert.equal(r.code, 0, `server exit ${r.code ?? r.signal}: ${srv.stderr()}`);
  rmSync(dir, { recursive: true, force: true });
});

const run = (args) => cli(['--data-dir', dir, ...args], { env });

describe('exit statuses', () => {
  test('every question, as text and as JSON, exits 0 ten times in a row', () => {
    for (const [name, [, opts]] of Object.entries(QUESTIONS)) {
      for (const json of [false, true]) {
        const args = [name, ...opts, ...(json ? ['--json'] : [])];
        for (let i = 0; i < RUNS; i++) {
          const r = run(args);
          assert.equal(r.status, 0, `${args.join(' ')} run ${i}: ${r.stderr}`);
          assert.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
          assert.ok(r.stdout.length > 0, `${args.join(' ')} printed nothing`);
          if (json) JSON.parse(r.stdout);
        }
      }
    }
  });

  test('an empty window is a success with a hint', () => {
    const r = cli(['--data-dir', dir, 'slow', '--since', '2001-01-01', '--until', '2001-01-02'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no operations of 2000 ms or more in this window/);
  });

  test('every --help exits 0 and prints a usage line', () => {
    const names = [...Object.keys(QUESTIONS), ...OTHERS];
    for (const name of names) {
      for (let i = 0; i < RUNS; i++) {
        const r = cli([name, '--help'], { env });
        assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: toolprof .*${name}`), name);
      }
    }
    for (const args of [['--help'], ['-h'], ['--version']]) {
      const r = cli(args);
      assert.equal(r.status, 0, args.join(' '));
    }
    assert.match(cli(['--help']).stdout, /exit status: 0 success/);
  });

  test('each kind of usage error exits 2 and names the problem', () => {
    const cases = [
      [['slow', '--limit', 'abc'], /limit: must be an integer from 1 to 10000/],
      [['slow', '--limit', '0'], /limit: must be an integer from 1 to 10000/],
      [['bottlenecks', '--limit', '10001'], /limit: must be an integer from 1 to 10000/],
      [['slow', '--threshold', '-5'], /threshold: must be a number of milliseconds/],
      [['slow', '--limit'], /limit: needs a value/],
      [['slow', '--limit', '5', '--limit', '6'], /limit: given more than once/],
      [['slow', '--bogus', '1'], /bogus: unknown parameter \(slow takes/],
      [['trends', '--window', '7d'], /window: unknown parameter \(trends takes days, tool, agent, canonical, project, session\)/],
      [['resources', '--tool', 'Read'], /tool: unknown parameter \(resources takes none\)/],
      [['stats', '--window', '8x'], /window: expected 24h, 7d, 30d, all/],
      [['stats', '--since', 'yesterday'], /since: expected an ISO-8601 time/],
      [['stats', 'extra'], /unexpected argument 'extra'/],
      [['stats', '--json=1'], /--json takes no value/],
      [['stats', '-x'], /unknown option -x/],
      [['nosuchcommand'], /unknown command 'nosuchcommand'/],
      [['--nosuchoption', 'stats'], /unknown option --nosuchoption/],
      [[], /usage: toolprof/],
      [['prune'], /give --older-than AGE or --source NAME/],
      [['prune', '--older-than', '3x'], /--older-than: expected <n>d or <n>h/],
      [['prune', '--source', 'nobody'], /--source: expected demo/],
      [['export', '--format', 'xml', '--out', '-'], /--format: expected seed-json, jsonl or csv/],
    ];
    for (const [args, re] of cases) {
      for (let i = 0; i < 2; i++) {
        const r = run(args);
        assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
        assert.equal(r.stdout, '', `${args.join(' ')} printed to stdout`);
      }
    }
  });

  test('a data directory that does not exist: exit 1, and it is not created', () => {
    const missing = path.join(tempDir('cli-missing'), 'no', 'such', 'dir');
    const commands = [...Object.keys(QUESTIONS).map((q) => [q]), ['export', '--out', '-']];
    for (const [name, ...rest] of commands) {
      const r = cli(['--data-dir', missing, name, ...rest], { env });
      assert.equal(r.status, 1, `${name}: ${r.status} ${r.stderr}`);
      assert.match(r.stderr, /no data directory at .*no\/such\/dir: nothing recorded there yet/);
      assert.equal(existsSync(missing), false, `${name} created ${missing}`);
      assert.equal(existsSync(path.dirname(missing)), false);
    }
  });
});

describe('the command line and the API', () => {
  // resources measures the answering process; stats carries them too.
  const strip = (name, data) => {
    if (name === 'resources') return null;
    if (name === 'stats') delete data.resource_usage;
    return data;
  };

  test('--json is the API data of the same question', async () => {
    for (const [name, [apiPath, opts]] of Object.entries(QUESTIONS)) {
      const r = run([name, ...opts, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const params = new URLSearchParams();
      for (let i = 0; i < opts.length; i += 2) params.set(opts[i].slice(2), opts[i + 1]);
      const a = await get(srv, `/api/performance/${apiPath}?${params}`);
      assert.equal(a.status, 200, a.body);
      assert.deepEqual(strip(name, JSON.parse(r.stdout)), strip(name, a.json.data), name);
    }
  });

  test('bad parameters are refused with the same message', async () => {
    const cases = [
      ['slow', 'slow-operations', 'limit', '0'],
      ['slow', 'slow-operations', 'limit', '5x'],
      ['bottlenecks', 'bottlenecks', 'limit', '10001'],
      ['hotspots', 'hotspots', 'limit', '-1'],
      ['slow', 'slow-operations', 'threshold', 'abc'],
      ['trends', 'trends', 'days', '0'],
      ['trends', 'trends', 'window', '7d'],
      ['tools', 'tools', 'tool', 'Read'],
      ['resources', 'resources', 'window', '24h'],
      ['stats', 'stats', 'window', '99y'],
      ['stats', 'stats', 'until', 'never'],
      ['recommend', 'recommendations', 'bogus', '1'],
    ];
    for (const [name, apiPath, param, value] of cases) {
      const r = run([name, `--${param}`, value]);
      assert.equal(r.status, 2, `${name} --${param} ${value}`);
      const a = await get(srv, `/api/performance/${apiPath}?${param}=${encodeURIComponent(value)}`);
      assert.equal(a.status, 400, a.body);
      const msg = a.json.message;
      assert.ok(msg.startsWith(`${param}: `) || msg.startsWith('until'), msg);
      assert.ok(r.stderr.includes(msg), `CLI said ${r.stderr}, API said ${msg}`);
    }
  });
});

describe('demo data stays demo data', () => {
  test('demo refuses a store with real calls, is marked demo, and prune --source demo removes it', () => {
    const d = tempDir('cli-demo');
    const t = (args) => cli(['--data-dir', d, ...args], { env });
    try {
      let r = t(['track', '--tool', 'Read', '--duration-ms', '12', '--target', '/real.py']);
      assert.equal(r.status, 0, r.stderr);
      r = t(['demo', '--ops', '500', '--quiet']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /holds real calls; demo data would mix with them/);
      assert.equal(JSON.parse(t(['stats', '--window', 'all', '--json']).stdout).total_operations, 1);

      r = t(['demo', '--ops', '500', '--days', '5', '--force', '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      const all = JSON.parse(t(['stats', '--window', 'all', '--json']).stdout);
      assert.equal(all.total_operations, 501);
      const slow = JSON.parse(t(['slow', '--window', 'all', '--threshold', '0', '--limit', '10000', '--json']).stdout);
      const bySource = {};
      for (const op of slow) bySource[op.source] = (bySource[op.source] || 0) + 1;
      assert.deepEqual(bySource, { cli: 1, demo: 500 });

      r = t(['prune', '--source', 'demo', '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { deleted: 500 });
      const left = JSON.parse(t(['stats', '--window', 'all', '--json']).stdout);
      assert.equal(left.total_operations, 1);
      assert.deepEqual(left.tools_breakdown, { Read: 1 });
      assert.deepEqual(JSON.parse(t(['tools', '--json']).stdout), ['Read']);
      // A demo store takes more demo data without --force.
      const d2 = tempDir('cli-demo2');
      assert.equal(cli(['--data-dir', d2, 'demo', '--ops', '100', '--quiet']).status, 0);
      assert.equal(cli(['--data-dir', d2, 'demo', '--ops', '100', '--seed', '7', '--quiet']).status, 0);
      rmSync(d2, { recursive: true, force: true });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
});
