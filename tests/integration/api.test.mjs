// api.test.mjs - the read and write endpoints of docs/api.md, with good and
// bad input, against a real server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cli, get, post, seedScenario, startServer } from './lib.mjs';

const API = '/api/performance';

describe('API on the original scenario', () => {
  let srv;
  before(async () => {
    srv = await startServer();
    const r = await post(srv, `${API}/operations`, seedScenario());
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, { success: true, count: 5, inserted: 5, merged: 0, unchanged: 0 });
  });
  after(() => srv.stop());

  test('stats', async () => {
    const r = await get(srv, `${API}/stats`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(r.json.success, true);
    const d = r.json.data;
    assert.equal(d.total_operations, 5);
    assert.equal(d.timed_operations, 5);
    assert.equal(d.avg_duration_ms, 1900.1);
    assert.equal(d.median_duration_ms, 250);
    assert.equal(d.p95_duration_ms, 5500);
    assert.equal(d.slow_operations_count, 2);
    assert.equal(d.critical_operations_count, 1);
    assert.equal(d.optimization_rate, 60);
    assert.equal(d.success_rate, 100);
    assert.deepEqual(d.tools_breakdown, { Read: 2, Grep: 1, Bash: 1, Write: 1 });
    assert.equal(d.percentile_method, 'exact');
    assert.equal(d.tools[0].tool, 'Bash');
    assert.equal(d.trend_labels.length, 7);
    assert.equal(d.trend_values.length, 7);
    assert.equal(d.trend_values[6], 1900.1);
    assert.equal(typeof d.resource_usage.memory_mb, 'number');
    assert.equal(d.window.name, '24h');
  });

  test('stats data equals `toolprof stats --json`', async () => {
    // A fixed window, so that both sides compute the same one.
    const until = new Date(Date.now() + 3600e3).toISOString();
    const since = new Date(Date.now() - 2 * 86400e3).toISOString();
    const r = await get(srv, `${API}/stats?since=${since}&until=${until}`);
    assert.equal(r.status, 200, r.body);
    const c = cli(['--data-dir', srv.dataDir, 'stats', '--json', '--since', since, '--until', until]);
    assert.equal(c.status, 0, c.stderr);
    const fromCli = JSON.parse(c.stdout);
    const fromApi = r.json.data;
    delete fromCli.resource_usage;
    delete fromApi.resource_usage;
    assert.deepEqual(fromApi, fromCli);
  });

  test('slow operations, newest first, with count', async () => {
    const r = await get(srv, `${API}/slow-operations`);
    assert.equal(r.status, 200);
    assert.equal(r.json.count, 2);
    assert.deepEqual(r.json.data.map((o) => o.tool), ['Bash', 'Read']);
    const op = r.json.data[0];
    for (const k of ['tool', 'target', 'duration_ms', 'timestamp', 'timestamp_ms', 'success',
      'optimization_applied', 'size_bytes', 'result_bytes', 'metadata', 'session_id', 'project',
      'tool_use_id', 'error', 'source', 'sources']) {
      assert.ok(k in op, `operation lacks ${k}`);
    }
    assert.equal(op.source, 'api');
    assert.match(op.tool_use_id, /^tp-[0-9a-f]{16}$/);

    const all = await get(srv, `${API}/slow-operations?threshold=0&limit=3`);
    assert.equal(all.status, 200);
    assert.equal(all.json.count, 3);
    const one = await get(srv, `${API}/slow-operations?threshold=5000`);
    assert.equal(one.json.count, 1);
    assert.equal(one.json.data[0].target, 'npm install');
  });

  test('bottlenecks, hotspots, recommendations, trends, resources, tools', async () => {
    const b = await get(srv, `${API}/bottlenecks?limit=1`);
    assert.equal(b.status, 200);
    assert.equal(b.json.data.Read.length, 1);
    assert.equal(b.json.data.Read[0].duration_ms, 3500);

    const h = await get(srv, `${API}/hotspots?limit=2`);
    assert.equal(h.status, 200);
    assert.equal(h.json.data.length, 2);
    assert.equal(h.json.data[0].tool, 'Bash');
    assert.equal(h.json.data[0].target, 'npm install');

    // The scenario's one rule that fires: the 5.5 s Bash (slow, and over
    // 5 s: medium). The rest: below.
    const rec = await get(srv, `${API}/recommendations`);
    assert.equal(rec.status, 200);
    assert.equal(rec.json.count, 1);
    assert.deepEqual(rec.json.data.map((x) => [x.rule, x.severity, x.title]),
      [['slow-bash', 'medium', '1 slow Bash command']]);

    const t = await get(srv, `${API}/trends?days=3`);
    assert.equal(t.status, 200);
    assert.equal(t.json.data.labels.length, 3);
    assert.equal(t.json.data.operation_counts[2], 5);
    assert.equal(t.json.data.slow_op_counts[2], 2);

    const res = await get(srv, `${API}/resources`);
    assert.equal(res.status, 200);
    assert.equal(res.json.data.operations_stored, 5);
    assert.equal(res.json.data.pid, srv.proc.pid);

    const tools = await get(srv, `${API}/tools`);
    assert.deepEqual(tools.json.data, ['Bash', 'Grep', 'Read', 'Write']);
  });

  test('filters', async () => {
    const r = await get(srv, `${API}/stats?tool=Read&window=7d`);
    assert.equal(r.status, 200);
    assert.equal(r.json.data.total_operations, 2);
    const none = await get(srv, `${API}/stats?tool=Nope`);
    assert.equal(none.status, 200);
    assert.equal(none.json.data.total_operations, 0);
    // Percent-decoding of values.
    const enc = await get(srv, `${API}/slow-operations?tool=%42ash&threshold=0`);
    assert.equal(enc.json.count, 1);
    const space = await get(srv, `${API}/hotspots?tool=Bash&window=all`);
    assert.equal(space.json.data[0].target, 'npm install');
  });

  test('a batch posted again is stored once', async () => {
    const batch = seedScenario(Date.now() - 7200e3);
    const first = await post(srv, `${API}/operations`, batch);
    assert.deepEqual([first.json.inserted, first.json.unchanged], [5, 0]);
    const again = await post(srv, `${API}/operations`, batch);
    assert.deepEqual([again.json.inserted, again.json.unchanged], [0, 5]);
    const ids = batch.map((o, i) => ({ ...o, tool_use_id: `toolu_again_${i}` }));
    assert.equal((await post(srv, `${API}/operations`, { operations: ids })).json.inserted, 5);
    assert.equal((await post(srv, `${API}/operations`, ids)).json.unchanged, 5);
  });
});

// A scenario built so that every rule but the trend fires once, with
// numbers worked out by hand from the rules (src/engine/analyzer.c) and
// docs/api.md: 12 calls of one session, a minute apart, the first in the
// hour before the others. Evidence is one call per target, newest hour
// first, and within an hour in storage order (store.h): so the newer of
// the two reads of big.py is the one shown, and lists of several targets
// are compared sorted.
describe('recommendations and hotspots on a known scenario', () => {
  const S = 'rec-session-1';
  const HOUR = 3600e3;
  const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR; // within the last 24 h
  let k = 0;
  const op = (tool, target, duration_ms, extra = {}) => ({
    tool, target, duration_ms, timestamp: new Date(hour + 60e3 * k++).toISOString(), session_id: S,
    project: '/p', optimization_applied: false, ...extra,
  });
  const ops = [
    op('Read', '/p/big.py', 100, { size_bytes: 300000, tool_use_id: 'toolu_rec_big1', timestamp: new Date(hour - HOUR / 2).toISOString() }),
    op('Read', '/p/big.py', 200, { size_bytes: 500000, tool_use_id: 'toolu_rec_big2' }),
    op('Read', '/p/config.ts', 10, { size_bytes: 1000, tool_use_id: 'toolu_rec_cfg1' }),
    op('Read', '/p/config.ts', 20, { size_bytes: 1000, tool_use_id: 'toolu_rec_cfg2' }),
    op('Read', '/p/config.ts', 30, { size_bytes: 1000, tool_use_id: 'toolu_rec_cfg3' }),
    op('Write', '/p/out.txt', 2500, { tool_use_id: 'toolu_rec_write' }),
    op('Bash', 'npm install', 6000, { tool_use_id: 'toolu_rec_npm' }),
    op('Bash', 'make', 3000, { tool_use_id: 'toolu_rec_make' }),
    op('Bash', 'grep -rn TODO src', 50, { tool_use_id: 'toolu_rec_grepsh' }),
    op('Grep', 'TODO', 100, { tool_use_id: 'toolu_rec_grep1' }),
    op('Grep', 'class Payment', 2600, { tool_use_id: 'toolu_rec_grep2' }),
    op('Grep', 'def main', 40, { tool_use_id: 'toolu_rec_grep3', optimization_applied: true }),
  ];
  const ev = (tool, target, id, duration_ms) => ({ tool, target, count: 1, duration_ms, tool_use_id: id, session_id: S });
  const sorted = (list) => [...list].sort((a, b) => (a.tool_use_id < b.tool_use_id ? -1 : 1));
  let srv;
  before(async () => {
    srv = await startServer();
    const r = await post(srv, `${API}/operations`, ops);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.inserted, 12);
  });
  after(() => srv.stop());

  test('recommendations: every rule that should fire, in severity order, with evidence and impact', async () => {
    const r = await get(srv, `${API}/recommendations`);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.count, 8);
    const got = r.json.data;
    // High first, then medium, then low; rule order within a severity.
    assert.deepEqual(got.map((x) => [x.rule, x.type, x.severity]), [
      ['large-read', 'optimization', 'high'],
      ['repeated-reads', 'optimization', 'high'],
      ['slow-write', 'warning', 'medium'],
      ['slow-bash', 'warning', 'medium'],
      ['shell-dedicated-tool', 'optimization', 'medium'],
      ['grep-no-head-limit', 'optimization', 'medium'],
      ['top-repeated-reads', 'info', 'low'],
      ['slow-grep', 'warning', 'low'],
    ]);
    const by = Object.fromEntries(got.map((x) => [x.rule, x]));
    // Two Reads over 100 KB without offset/limit, 800,000 bytes: 0.8 MB;
    // tokens (800000 - 2 x 20000) / 4. Evidence: one call per file, the newest.
    assert.equal(by['large-read'].title, '2 large file reads without offset/limit');
    assert.match(by['large-read'].description, /^2 Read calls returned files over 100 KB whole \(0\.8 MB in total\)/);
    assert.deepEqual(by['large-read'].evidence, [ev('Read', '/p/big.py', 'toolu_rec_big2', 200)]);
    assert.deepEqual(by['large-read'].impact, { time_ms: 0, tokens: 190000 });
    // config.ts read whole 3 times: the 2 repeats bring 2 x 1000 bytes
    // (500 tokens) and 2/3 of the 60 ms.
    assert.equal(by['repeated-reads'].title, '1 file read 3+ times in one session (3 reads)');
    assert.deepEqual(by['repeated-reads'].evidence,
      [{ tool: 'Read', target: '/p/config.ts', count: 3, duration_ms: null, tool_use_id: null, session_id: S }]);
    assert.deepEqual(by['repeated-reads'].impact, { time_ms: 40, tokens: 500 });
    assert.equal(by['top-repeated-reads'].description, 'Files read most often in one session:\n  - /p/config.ts: 3 reads');
    assert.equal(by['slow-write'].title, '1 slow file write');
    assert.deepEqual(by['slow-write'].evidence, [ev('Write', '/p/out.txt', 'toolu_rec_write', 2500)]);
    assert.deepEqual(by['slow-write'].impact, { time_ms: 2500, tokens: 0 });
    // 6 s and 3 s: two slow, one over 5 s, 9.0 s in all.
    assert.equal(by['slow-bash'].title, '2 slow Bash commands');
    assert.match(by['slow-bash'].description, /^2 Bash commands took 2 s or more \(1 over 5 s\), 9\.0 s in all;/);
    assert.deepEqual(sorted(by['slow-bash'].evidence),
      [ev('Bash', 'make', 'toolu_rec_make', 3000), ev('Bash', 'npm install', 'toolu_rec_npm', 6000)]);
    assert.deepEqual(by['slow-bash'].impact, { time_ms: 9000, tokens: 0 });
    assert.equal(by['shell-dedicated-tool'].title, '1 Bash command that has a dedicated tool');
    assert.match(by['shell-dedicated-tool'].description, /\(grep\)/);
    assert.deepEqual(by['shell-dedicated-tool'].evidence, [ev('Bash', 'grep -rn TODO src', 'toolu_rec_grepsh', 50)]);
    // Three Greps, one with head_limit.
    assert.equal(by['grep-no-head-limit'].title, '2 Grep calls without head_limit');
    assert.match(by['grep-no-head-limit'].description, /^2 of 3 Grep calls set no head_limit/);
    assert.deepEqual(sorted(by['grep-no-head-limit'].evidence),
      [ev('Grep', 'TODO', 'toolu_rec_grep1', 100), ev('Grep', 'class Payment', 'toolu_rec_grep2', 2600)]);
    assert.equal(by['slow-grep'].title, '1 slow Grep call');
    assert.deepEqual(by['slow-grep'].evidence, [ev('Grep', 'class Payment', 'toolu_rec_grep2', 2600)]);
    assert.deepEqual(by['slow-grep'].impact, { time_ms: 2600, tokens: 0 });
    // 12 timed calls: too few for the trend rules (20), so neither fires.
  });

  test('hotspots: every (tool, target) by total time, ties by count', async () => {
    const r = await get(srv, `${API}/hotspots`);
    assert.equal(r.status, 200, r.body);
    const all = 6000 + 3000 + 2600 + 2500 + 300 + 100 + 60 + 50 + 40;
    const h = (tool, target, count, total_ms, max_ms) => ({
      tool, agent: 'claude-code', target, count, failed: 0, total_ms, avg_ms: total_ms / count, max_ms,
      share: (total_ms / all) * 100,
      // Posted with their execution time: nothing asked, nothing unsplit.
      calls_asked: 0, approval_wait_ms: 0, calls_unsplit: 0, unsplit_wall_ms: 0,
    });
    const want = [
      h('Bash', 'npm install', 1, 6000, 6000),
      h('Bash', 'make', 1, 3000, 3000),
      h('Grep', 'class Payment', 1, 2600, 2600),
      h('Write', '/p/out.txt', 1, 2500, 2500),
      h('Read', '/p/big.py', 2, 300, 200),
      h('Grep', 'TODO', 1, 100, 100),
      h('Read', '/p/config.ts', 3, 60, 30),
      h('Bash', 'grep -rn TODO src', 1, 50, 50),
      h('Grep', 'def main', 1, 40, 40),
    ];
    assert.equal(r.json.data.length, want.length);
    r.json.data.forEach((x, i) => {
      assert.deepEqual({ ...x, share: undefined }, { ...want[i], share: undefined }, `hotspot ${i}`);
      assert.ok(Math.abs(x.share - want[i].share) < 1e-9, `hotspot ${i} share ${x.share}, want ${want[i].share}`);
    });
  });
});

describe('query validation', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  const bad = [
    ['slow-operations?threshold=abc', 'threshold'],
    ['slow-operations?threshold=-1', 'threshold'],
    ['slow-operations?threshold=NaN', 'threshold'],
    ['slow-operations?threshold=1e999', 'threshold'],
    ['slow-operations?limit=-1', 'limit'],
    ['slow-operations?limit=0', 'limit'],
    ['slow-operations?limit=10001', 'limit'],
    ['slow-operations?limit=5.5', 'limit'],
    ['slow-operations?limit=+5', 'limit'],
    ['slow-operations?limit=%205', 'limit'],
    ['slow-operations?limit=', 'limit'],
    ['slow-operations?limit=1&limit=2', 'limit'],
    ['trends?days=0', 'days'],
    ['trends?days=1000000', 'days'],
    ['trends?days=abc', 'days'],
    ['stats?window=banana', 'window'],
    ['stats?window=0d', 'window'],
    ['stats?window=99999d', 'window'],
    ['stats?since=garbage', 'since'],
    ['stats?until=2026-13-45', 'until'],
    ['stats?bogus=1', 'bogus'],
    ['stats?limit=5', 'limit'],
    ['bottlenecks?limit=x', 'limit'],
    ['hotspots?limit=0', 'limit'],
    ['recommendations?days=3', 'days'],
    ['stats?tool=%ff', 'tool'],
    ['stats?tool=%zz', 'tool'],
    ['tools?window=nope', 'window'],
  ];
  for (const [q, param] of bad) {
    test(`400 for ${q}`, async () => {
      const r = await get(srv, `${API}/${q}`);
      assert.equal(r.status, 400, r.body);
      assert.equal(r.json.success, false);
      assert.ok(r.json.message.startsWith(`${param}:`), `message "${r.json.message}" should name ${param}`);
    });
  }

  test('good values pass', async () => {
    for (const q of ['stats?window=7d', 'stats?window=all', 'stats?window=36h', 'stats?window=3660d',
      'stats?since=2026-01-01', 'stats?since=2026-01-01T10:00:00Z&until=2026-02-01T00:00:00%2B01:00',
      'slow-operations?threshold=0&limit=10000', 'slow-operations?threshold=2000.5',
      'trends?days=1', 'trends?days=3660', 'stats?project=%2Fhome%2Fu%2Fp&session=abc']) {
      const r = await get(srv, `${API}/${q}`);
      assert.equal(r.status, 200, `${q}: ${r.body}`);
    }
  });
});

describe('POST /api/performance/operations validation', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  const url = `${API}/operations`;
  const good = { tool: 'Read', target: 'a.py', duration_ms: 10 };

  test('one object, an array, {"operations": [...]}', async () => {
    let r = await post(srv, url, good);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.count, 1);
    r = await post(srv, url, [good, { ...good, target: 'b.py' }]);
    assert.equal(r.json.count, 2);
    r = await post(srv, url, { operations: [{ ...good, target: 'c.py' }] });
    assert.equal(r.json.count, 1);
    r = await post(srv, url, []);
    assert.equal(r.status, 200);
    assert.equal(r.json.count, 0);
  });

  test('one bad element rejects the whole batch, naming index and field', async () => {
    const before = (await get(srv, `${API}/resources`)).json.data.operations_stored;
    const r = await post(srv, url, [
      { ...good, target: 'x1.py' }, { ...good, target: 'x2.py' }, { tool: 'Read', target: 'x3.py' },
    ]);
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^operations\[2\]: duration_ms/);
    const after = (await get(srv, `${API}/resources`)).json.data.operations_stored;
    assert.equal(after, before);
  });

  const badBodies = [
    ['missing tool', { duration_ms: 5 }, /tool/],
    ['empty tool', { tool: '', duration_ms: 5 }, /tool/],
    ['negative duration', { ...good, duration_ms: -1 }, /duration_ms/],
    ['string duration', { ...good, duration_ms: 'fast' }, /duration_ms/],
    ['huge duration', { ...good, duration_ms: 1e300 }, /duration_ms/],
    ['overflowing duration (inf)', '{"tool":"Read","duration_ms":1e999}', /duration_ms/],
    ['NaN literal', '{"tool":"Read","duration_ms":NaN}', /body/],
    ['bad timestamp', { ...good, timestamp: 'yesterday' }, /timestamp/],
    ['not an object element', [good, 5], /operations\[1\]/],
    ['operations not an array', { operations: 5 }, /operations/],
    ['scalar body', '42', /body/],
    ['not JSON', 'tool=Read', /body/],
    ['trailing garbage', '{"tool":"Read","duration_ms":1} x', /body/],
    ['empty body', '', /body/],
  ];
  for (const [name, body, re] of badBodies) {
    test(`400: ${name}`, async () => {
      const r = await request400(srv, url, body);
      assert.equal(r.status, 400, r.body);
      assert.equal(r.json.success, false);
      assert.match(r.json.message, re);
    });
  }

  test('400: invalid UTF-8 in the body', async () => {
    const body = Buffer.concat([Buffer.from('{"tool":"Re'), Buffer.from([0xff, 0xfe]), Buffer.from('ad","duration_ms":1}')]);
    const r = await post(srv, url, body, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /UTF-8/i);
  });

  test('400: JSON nested deeper than the limit', async () => {
    const deep = '['.repeat(100) + ']'.repeat(100);
    const r = await post(srv, url, deep, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /deep|depth|nest/i);
  });

  test('415 for a body that is not declared JSON', async () => {
    const r = await post(srv, url, JSON.stringify(good), { headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status, 415);
    const form = await post(srv, url, 'tool=Read', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
  });

  test('400 for query parameters on the write endpoint', async () => {
    const r = await post(srv, `${url}?x=1`, good);
    assert.equal(r.status, 400);
  });

  test('HTML-unsafe strings come back escaped', async () => {
    const r = await post(srv, url, { tool: 'Bash', target: '</script><b>&', duration_ms: 9000 });
    assert.equal(r.status, 200);
    const s = await get(srv, `${API}/slow-operations?tool=Bash`);
    assert.ok(s.body.includes('\\u003c/script\\u003e\\u003cb\\u003e\\u0026'), s.body);
    assert.equal(s.json.data[0].target, '</script><b>&');
  });
});

function request400(srv, url, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return post(srv, url, text, { headers: { 'Content-Type': 'application/json' } });
}
