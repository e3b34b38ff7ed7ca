// otel_sdk.test.mjs - an independent client: the OpenTelemetry JavaScript
// SDK's OTLP exporters (tests/otel, pinned; protobuf over HTTP and gRPC)
// send Claude Code-shaped logs, a span tree and metrics. The tool_result
// records must be stored exactly (field by field), the spans and data
// points accepted and counted (their mapping is not toolprof's yet).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sendLogs, sendMetrics, sendSpans } from '../otel/client.mjs';
import { get, startServer } from './lib.mjs';

const NOW = Date.now();
const RESOURCE = { 'service.name': 'claude-code', 'service.version': '2.1.332', 'os.type': 'linux' };
const SCOPE = { name: 'com.anthropic.claude_code.events', version: '2.1.332' };

// Records as Claude Code emits them: numbers and booleans as strings.
function records(tag) {
  const base = (i, tool, extra) => ({
    body: 'claude_code.tool_result',
    eventName: 'claude_code.tool_result',
    timestampMs: NOW - 120000 + i * 1000,
    attributes: {
      'event.name': 'tool_result', 'session.id': `sess-sdk-${tag}`, 'event.sequence': 10 + i,
      'event.timestamp': new Date(NOW - 120000 + i * 1000).toISOString(), tool_name: tool,
      tool_use_id: `toolu_sdk_${tag}_${i}`, ...extra,
    },
  });
  return [
    base(0, 'Read', { success: 'true', duration_ms: '12', tool_result_size_bytes: '4096', tool_input: JSON.stringify({ file_path: '/repo/README.md' }) }),
    base(1, 'Bash', { success: 'false', duration_ms: '2316', error_type: 'ShellError', error: 'Exit code 3', tool_input: JSON.stringify({ command: 'make check' }) }),
    base(2, 'Grep', { success: 'true', duration_ms: '7', tool_input: JSON.stringify({ pattern: 'TODO', head_limit: 5 }) }),
    { body: 'claude_code.api_request', timestampMs: NOW - 100000, attributes: { 'event.name': 'api_request', model: 'claude-sonnet-4-5', input_tokens: 100 } },
  ];
}

const expected = (tag) => [
  { id: `toolu_sdk_${tag}_0`, tool: 'Read', success: true, duration_ms: 12, target: '/repo/README.md', error: null, result_bytes: 4096, end: NOW - 120000 },
  { id: `toolu_sdk_${tag}_1`, tool: 'Bash', success: false, duration_ms: 2316, target: 'make check', error: 'Exit code 3', result_bytes: null, end: NOW - 119000 },
  { id: `toolu_sdk_${tag}_2`, tool: 'Grep', success: true, duration_ms: 7, target: 'TODO', error: null, result_bytes: null, end: NOW - 118000 },
];

const spanTree = [{
  name: 'claude_code.interaction', startMs: NOW - 10000, endMs: NOW - 1000,
  children: [
    { name: 'claude_code.llm_request', startMs: NOW - 9900, endMs: NOW - 8000, attributes: { ttft_ms: 300 } },
    {
      name: 'claude_code.tool', startMs: NOW - 7900, endMs: NOW - 2000, attributes: { tool_name: 'Bash', tool_use_id: 'toolu_sdk_span' },
      children: [
        { name: 'claude_code.tool.blocked_on_user', startMs: NOW - 7900, endMs: NOW - 5000 },
        { name: 'claude_code.tool.execution', startMs: NOW - 5000, endMs: NOW - 2000, error: 'Exit code 3' },
      ],
    },
  ],
}];

const counters = [
  { name: 'claude_code.token.usage', unit: 'tokens', points: [{ value: 100, attributes: { type: 'input', model: 'm' } }, { value: 7, attributes: { type: 'output', model: 'm' } }] },
  { name: 'claude_code.cost.usage', unit: 'USD', points: [{ value: 0.25, attributes: { model: 'm' } }] },
];

async function otlpCounters(srv) {
  const r = await get(srv, '/metrics', { token: 'sdk-token-0001' });
  assert.equal(r.status, 200, r.body);
  const c = {};
  for (const m of r.body.matchAll(/^toolprof_otlp_records_total\{signal="(\w+)",outcome="(\w+)"\} (\d+)$/gm)) c[`${m[1]}.${m[2]}`] = Number(m[3]);
  return c;
}

describe('the OpenTelemetry JS SDK as the client', () => {
  let srv;
  before(async () => { srv = await startServer({ token: 'sdk-token-0001', args: ['--otlp-grpc', '127.0.0.1:0'] }); });
  after(async () => {
    const r = await srv.stop();
    assert.equal(r.code, 0, srv.stderr());
  });

  for (const protocol of ['http/protobuf', 'grpc']) {
    test(`${protocol}: logs stored exactly, spans and metrics accepted and counted`, { timeout: 60000 }, async () => {
      const tag = protocol === 'grpc' ? 'grpc' : 'proto';
      const gport = srv.stdout().match(/^otlp-grpc on 127\.0\.0\.1:(\d+)$/m)[1];
      const url = protocol === 'grpc' ? `http://127.0.0.1:${gport}` : srv.base;
      const o = { protocol, url, token: 'sdk-token-0001', resource: RESOURCE, scope: SCOPE };
      const c0 = await otlpCounters(srv);

      const l = await sendLogs({ ...o, records: records(tag) });
      assert.equal(l.code, 0, JSON.stringify(l));
      const s = await sendSpans({ ...o, spans: spanTree });
      assert.equal(s.code, 0, JSON.stringify(s));
      const m = await sendMetrics({ ...o, counters, compression: 'gzip' });
      assert.equal(m.code, 0, JSON.stringify(m));

      const r = await get(srv, '/api/performance/slow-operations?threshold=0&window=all&limit=100', { token: 'sdk-token-0001' });
      assert.equal(r.status, 200, r.body);
      const byId = new Map(r.json.data.map((x) => [x.tool_use_id, x]));
      for (const e of expected(tag)) {
        const op = byId.get(e.id);
        assert.ok(op, `${e.id} missing: ${[...byId.keys()].join(' ')}`);
        assert.equal(op.tool, e.tool, e.id);
        assert.equal(op.success, e.success, e.id);
        assert.equal(op.duration_ms, e.duration_ms, e.id);
        assert.equal(op.target, e.target, e.id);
        assert.equal(op.error, e.error, e.id);
        assert.equal(op.result_bytes, e.result_bytes, e.id);
        assert.equal(op.session_id, `sess-sdk-${tag}`, e.id);
        assert.equal(op.timestamp_ms, e.end - e.duration_ms, e.id);
        assert.equal(op.source, 'otlp', e.id);
        assert.deepEqual(op.sources, ['otlp'], e.id);
      }
      assert.equal(r.json.data.filter((x) => x.tool_use_id.startsWith(`toolu_sdk_${tag}_`)).length, 3);

      const c1 = await otlpCounters(srv);
      const d = (k) => (c1[k] || 0) - (c0[k] || 0);
      assert.equal(d('logs.stored'), 4); // the 3 results and the api_request event
      assert.equal(d('logs.ignored'), 0);
      assert.equal(d('logs.rejected'), 0);
      // The span tree: the request, the tool and its two children used; the
      // interaction has no session.id, so it cannot be a turn.
      assert.equal(d('traces.stored'), 4);
      assert.equal(d('traces.ignored'), 1);
      assert.equal(d('traces.rejected'), 0);
      // The tool span and its children as one call: wall from the tool
      // span, execution from its child, both exact; the failure from the
      // execution span's error.
      const sp = byId.get('toolu_sdk_span');
      assert.ok(sp, 'the call of the span tree');
      assert.equal(sp.tool, 'Bash');
      assert.equal(sp.success, false);
      assert.equal(sp.error, 'Exit code 3');
      assert.equal(sp.timestamp_ms, NOW - 7900);
      assert.equal(sp.duration_ms, 3000);
      assert.deepEqual(sp.phases.wall, { ms: 5900, exactness: 'exact', source: 'trace' });
      assert.deepEqual(sp.phases.exec, { ms: 3000, exactness: 'exact', source: 'trace' });
      assert.equal(d('metrics.ignored'), 3); // one point per attribute set
      assert.equal(d('metrics.rejected'), 0);
    });
  }

  test('a wrong token is refused, and the exporter sees the failure', async () => {
    const gport = srv.stdout().match(/^otlp-grpc on 127\.0\.0\.1:(\d+)$/m)[1];
    for (const [protocol, url] of [['http/protobuf', srv.base], ['grpc', `http://127.0.0.1:${gport}`]]) {
      const r = await sendLogs({ protocol, url, token: 'not-the-token', records: records('bad') });
      assert.equal(r.code, 1, protocol);
      assert.match(r.error, /401|Unauthorized|UNAUTHENTICATED|16/i, protocol);
    }
  });
});
