// metrics.test.mjs - GET /metrics is valid Prometheus text (promtool) and
// agrees with what was stored.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { get, post, seedScenario, startServer } from './lib.mjs';

const PROMTOOL = process.env.PROMTOOL || '/usr/bin/promtool';

function promtoolCheck(text) {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('/metrics', () => {
  let srv;
  before(async () => {
    srv = await startServer();
    const ops = seedScenario();
    ops.push({ tool: 'Bash', target: 'false', duration_ms: 12, success: false });
    ops.push({ tool: 'mcp__a "quoted" \\ tool', duration_ms: 700000 });
    const r = await post(srv, '/api/performance/operations', ops);
    assert.equal(r.status, 200, r.body);
  });
  after(() => srv.stop());

  test('passes promtool check metrics', { skip: !existsSync(PROMTOOL) && 'promtool not installed' }, async () => {
    const r = await get(srv, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const check = promtoolCheck(r.body);
    assert.equal(check.status, 0, `promtool: ${check.out}\n${r.body}`);
    assert.equal(check.out.trim(), '', check.out);
  });

  test('counts and histogram agree with the data', async () => {
    const text = (await get(srv, '/metrics')).body;
    const value = (series) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no series ${series}`);
      return Number(line.slice(series.length + 1));
    };
    assert.equal(value('toolprof_tool_calls_total{tool="Bash"}'), 2);
    assert.equal(value('toolprof_tool_calls_total{tool="Read"}'), 2);
    assert.equal(value('toolprof_tool_slow_calls_total{tool="Read"}'), 1);
    assert.equal(value('toolprof_tool_critical_calls_total{tool="Bash"}'), 1);
    assert.equal(value('toolprof_tool_failed_calls_total{tool="Bash"}'), 1);
    assert.equal(value('toolprof_operations_stored'), 7);
    assert.equal(value('toolprof_tool_duration_seconds_count{tool="Read"}'), 2);
    assert.equal(value('toolprof_tool_duration_seconds_bucket{tool="Read",le="0.25"}'), 1);
    assert.equal(value('toolprof_tool_duration_seconds_bucket{tool="Read",le="2.5"}'), 1);
    assert.equal(value('toolprof_tool_duration_seconds_bucket{tool="Read",le="5"}'), 2);
    assert.equal(value('toolprof_tool_duration_seconds_bucket{tool="Read",le="+Inf"}'), 2);
    assert.ok(Math.abs(value('toolprof_tool_duration_seconds_sum{tool="Read"}') - 3.6505) < 1e-9);
    // Label values are escaped; 700 s lands in +Inf only.
    const esc = 'tool="mcp__a \\"quoted\\" \\\\ tool"';
    assert.equal(value(`toolprof_tool_duration_seconds_bucket{${esc},le="600"}`), 0);
    assert.equal(value(`toolprof_tool_duration_seconds_bucket{${esc},le="+Inf"}`), 1);
    assert.ok(value('process_resident_memory_bytes') > 0);
    assert.ok(value('process_start_time_seconds') > 1.7e9);
  });

  test('at most 50 tool labels, the rest under "other"', async () => {
    const ops = [];
    for (let i = 0; i < 60; i++) ops.push({ tool: `mcp__many__tool${String(i).padStart(2, '0')}`, duration_ms: 10 + i });
    assert.equal((await post(srv, '/api/performance/operations', ops)).status, 200);
    const text = (await get(srv, '/metrics')).body;
    const tools = new Set([...text.matchAll(/^toolprof_tool_calls_total\{tool="((?:[^"\\]|\\.)*)"\}/gm)].map((m) => m[1]));
    assert.equal(tools.size, 51);
    assert.ok(tools.has('other'));
    const total = [...text.matchAll(/^toolprof_tool_calls_total\{.*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    assert.equal(total, 67);
    assert.equal(promtoolCheck(text).status, 0);
  });
});
