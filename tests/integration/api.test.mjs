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
  after(async () => { await srv.stop(); });

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

    const rec = await get(srv, `${API}/recommendations`);
    assert.equal(rec.status, 200);
    assert.equal(rec.json.count, rec.json.data.length);

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
    // Any case; a name never recorded is a 404 naming the nearest ones.
    const lower = await get(srv, `${API}/stats?tool=read&window=7d`);
    assert.equal(lower.json.data.total_operations, 2);
    const none = await get(srv, `${API}/stats?tool=Nope`);
    assert.equal(none.status, 404);
    assert.match(none.json.message, /^tool: no tool called Nope was ever recorded \(nearest: /);
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

describe('query validation', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

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
      'trends?days=1', 'trends?days=3660', 'trends?window=24h', 'trends?window=all']) {
      const r = await get(srv, `${API}/${q}`);
      assert.equal(r.status, 200, `${q}: ${r.body}`);
    }
    // Filters that name nothing recorded: 404 with a message, never a silent empty answer.
    const r = await get(srv, `${API}/stats?project=%2Fhome%2Fu%2Fp&session=abc`);
    assert.equal(r.status, 404, r.body);
    assert.match(r.json.message, /^project: no project \/home\/u\/p/);
  });
});

describe('POST /api/performance/operations validation', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

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
