// otlp_wire.test.mjs - OTLP/HTTP as senders send it: JSON and protobuf,
// gzipped or not, chunked or not, to /v1/logs, /v1/traces, /v1/metrics and
// POST /; partial success; every error answer (400, 401, 413, 415, 503) in
// the request's encoding; and the records counted on /metrics.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { get, post, rawRequest, startServer } from './lib.mjs';
import { decodeExportResponse, decodeStatus, encodeRequest } from './otlp_proto.mjs';

const JSON_HDR = { 'Content-Type': 'application/json' };
const PB_HDR = { 'Content-Type': 'application/x-protobuf' };
const NOW = Date.now();
const ns = (ms) => `${BigInt(ms) * 1000000n}`;
const sv = (v) => ({ stringValue: v });

const RESOURCE = { attributes: [{ key: 'service.name', value: sv('claude-code') }, { key: 'service.version', value: sv('2.1.332') }] };

// A tool_result log record as Claude Code writes it (strings for numbers).
function toolResult(id, { tool = 'Read', ms = 40, endMs = NOW - 60000, success = 'true', input, errorType } = {}) {
  const attrs = [
    ['event.name', 'tool_result'], ['session.id', 'sess-wire'], ['tool_name', tool], ['tool_use_id', id],
    ['success', success], ['duration_ms', String(ms)], ['event.timestamp', new Date(endMs).toISOString()],
  ];
  if (input) attrs.push(['tool_input', JSON.stringify(input)]);
  if (errorType) attrs.push(['error_type', errorType]);
  return {
    timeUnixNano: ns(endMs), observedTimeUnixNano: ns(endMs),
    body: sv('claude_code.tool_result'),
    attributes: attrs.map(([key, v]) => ({ key, value: sv(v) })),
  };
}

const logsReq = (records) => ({
  resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events', version: '2.1.332' }, logRecords: records }] }],
});

const hex = (n, seed) => Array.from({ length: n }, (_, i) => ((seed * 31 + i * 7 + 1) % 255 + 1).toString(16).padStart(2, '0')).join('');
function span(seed, extra = {}) {
  return {
    traceId: hex(16, 1), spanId: hex(8, seed), name: 'claude_code.tool', kind: 1,
    startTimeUnixNano: ns(NOW - 5000), endTimeUnixNano: ns(NOW - 4000),
    attributes: [{ key: 'tool_use_id', value: sv(`toolu_span_${seed}`) }], ...extra,
  };
}
const tracesReq = (spans) => ({ resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: 'com.anthropic.claude_code.tracing' }, spans }] }] });

function metricsReq(points) {
  return {
    resourceMetrics: [{
      resource: RESOURCE,
      scopeMetrics: [{
        scope: { name: 'com.anthropic.claude_code' },
        metrics: [{
          name: 'claude_code.token.usage', unit: 'tokens',
          sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points },
        }],
      }],
    }],
  };
}
const point = (v, type = 'input', extraAttrs = []) => ({
  attributes: [{ key: 'type', value: sv(type) }, ...extraAttrs],
  startTimeUnixNano: ns(NOW - 60000), timeUnixNano: ns(NOW), asDouble: v,
});

async function ops(srv) {
  const r = await get(srv, '/api/performance/slow-operations?threshold=0&window=all&limit=1000');
  assert.equal(r.status, 200, r.body);
  return new Map(r.json.data.map((o) => [o.tool_use_id, o]));
}

// The server's own count of OTLP records by signal and outcome.
async function counters(srv) {
  const r = await get(srv, '/metrics');
  assert.equal(r.status, 200);
  const c = {};
  for (const m of r.body.matchAll(/^toolprof_otlp_(records|requests)_total\{signal="(\w+)",(?:outcome|result)="(\w+)"\} (\d+)$/gm)) {
    c[`${m[1]}.${m[2]}.${m[3]}`] = Number(m[4]);
  }
  return c;
}

describe('OTLP/HTTP, JSON and protobuf', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => {
    const r = await srv.stop();
    assert.equal(r.code, 0, srv.stderr());
  });

  test('protobuf logs are stored exactly like JSON logs', async () => {
    const input = { file_path: '/src/app.c', limit: 20 };
    const j = await post(srv, '/v1/logs', JSON.stringify(logsReq([toolResult('toolu_wire_json', { input })])), { headers: JSON_HDR });
    assert.equal(j.status, 200, j.body);
    assert.deepEqual(j.json, {});
    const p = await post(srv, '/v1/logs', encodeRequest(logsReq([toolResult('toolu_wire_pb', { input })])), { headers: PB_HDR });
    assert.equal(p.status, 200, p.body);
    assert.equal(p.headers['content-type'], 'application/x-protobuf');
    assert.equal(p.raw.length, 0); // the empty ExportLogsServiceResponse
    const m = await ops(srv);
    const a = m.get('toolu_wire_json'), b = m.get('toolu_wire_pb');
    assert.ok(a && b, [...m.keys()].join(' '));
    for (const o of [a, b]) {
      assert.equal(o.tool, 'Read');
      assert.equal(o.target, '/src/app.c');
      assert.equal(o.optimization_applied, true);
      assert.equal(o.duration_ms, 40);
      assert.equal(o.success, true);
      assert.equal(o.session_id, 'sess-wire');
      assert.equal(o.source, 'otlp');
      assert.equal(o.timestamp_ms, NOW - 60000 - 40);
    }
  });

  test('gzipped protobuf, and a chunked body without Content-Length', async () => {
    const body = encodeRequest(logsReq([toolResult('toolu_wire_gz', { tool: 'Grep' })]));
    const g = await post(srv, '/v1/logs', zlib.gzipSync(body), { headers: { ...PB_HDR, 'Content-Encoding': 'gzip' } });
    assert.equal(g.status, 200, g.body);
    const body2 = encodeRequest(logsReq([toolResult('toolu_wire_chunked', { tool: 'Glob' })]));
    const c = await post(srv, '/v1/logs', body2, { headers: PB_HDR, chunked: true });
    assert.equal(c.status, 200, c.body);
    const c2 = await post(srv, '/v1/logs', JSON.stringify(logsReq([toolResult('toolu_wire_chunked_json', { tool: 'Glob' })])),
      { headers: JSON_HDR, chunked: true });
    assert.equal(c2.status, 200, c2.body);
    const m = await ops(srv);
    assert.equal(m.get('toolu_wire_gz')?.tool, 'Grep');
    assert.equal(m.get('toolu_wire_chunked')?.tool, 'Glob');
    assert.equal(m.get('toolu_wire_chunked_json')?.tool, 'Glob');
  });

  test('traces and metrics are accepted in both encodings and counted', async () => {
    const before = await counters(srv);
    const t = tracesReq([span(1), span(2, { parentSpanId: hex(8, 1) }), span(3)]);
    const mt = metricsReq([point(100), point(7, 'output')]);
    for (const [p, body, n] of [['/v1/traces', t, 3], ['/v1/metrics', mt, 2]]) {
      const j = await post(srv, p, JSON.stringify(body), { headers: JSON_HDR });
      assert.equal(j.status, 200, j.body);
      assert.deepEqual(j.json, {});
      const b = await post(srv, p, zlib.gzipSync(encodeRequest(body)), { headers: { ...PB_HDR, 'Content-Encoding': 'gzip' } });
      assert.equal(b.status, 200, b.body);
      assert.equal(b.raw.length, 0);
      void n;
    }
    const after = await counters(srv);
    assert.equal(after['records.traces.ignored'] - (before['records.traces.ignored'] || 0), 6);
    assert.equal(after['records.metrics.ignored'] - (before['records.metrics.ignored'] || 0), 4);
    assert.equal(after['requests.traces.ok'] - (before['requests.traces.ok'] || 0), 2);
    assert.equal(after['records.traces.stored'], 0);
  });

  test('metrics with a session become its usage: a reading sent in both encodings counts once', async () => {
    const sess = [{ key: 'session.id', value: sv('sess-wire') }, { key: 'model', value: sv('claude-sonnet-4-5') }];
    const body = metricsReq([point(1200, 'input', sess), point(300, 'output', sess)]);
    const before = await counters(srv);
    const j = await post(srv, '/v1/metrics', JSON.stringify(body), { headers: JSON_HDR });
    assert.equal(j.status, 200, j.body);
    const b = await post(srv, '/v1/metrics', zlib.gzipSync(encodeRequest(body)), { headers: { ...PB_HDR, 'Content-Encoding': 'gzip' } });
    assert.equal(b.status, 200, b.body);
    const after = await counters(srv);
    assert.equal(after['records.metrics.stored'] - (before['records.metrics.stored'] || 0), 4);
    const r = await get(srv, '/api/performance/sessions/sess-wire');
    assert.equal(r.status, 200, r.body);
    const u = r.json.data.session.usage;
    assert.equal(u.input_tokens, 1200);
    assert.equal(u.output_tokens, 300);
    assert.deepEqual(u.by_model, [{ model: 'claude-sonnet-4-5', input_tokens: 1200, output_tokens: 300 }]);
    // No model request told the tokens: the session's are the counters'.
    assert.equal(r.json.data.session.tokens_from, 'metrics');
    assert.deepEqual(r.json.data.session.tokens, { input: 1200, output: 300, cache_read: null, cache_write: null });
  });

  test('POST / works out the signal from the body (Gemini CLI)', async () => {
    const before = await counters(srv);
    const cases = [
      [logsReq([toolResult('toolu_root_json')]), JSON_HDR, false],
      [logsReq([toolResult('toolu_root_pb')]), PB_HDR, true],
      [tracesReq([span(7)]), JSON_HDR, false],
      [tracesReq([span(8)]), PB_HDR, true],
      [metricsReq([point(1)]), JSON_HDR, false],
      [metricsReq([point(2)]), PB_HDR, true],
    ];
    for (const [body, hdr, pb] of cases) {
      const r = await post(srv, '/', pb ? encodeRequest(body) : JSON.stringify(body), { headers: hdr });
      assert.equal(r.status, 200, r.body);
    }
    const m = await ops(srv);
    assert.ok(m.get('toolu_root_json') && m.get('toolu_root_pb'));
    const after = await counters(srv);
    assert.equal(after['records.logs.stored'] - before['records.logs.stored'], 2);
    assert.equal(after['records.traces.ignored'] - before['records.traces.ignored'], 2);
    assert.equal(after['records.metrics.ignored'] - before['records.metrics.ignored'], 2);
    // GET / is still the page's redirect.
    const g = await get(srv, '/');
    assert.equal(g.status, 302);
  });

  test('POST / refuses a protobuf body that fits two signals, in protobuf', async () => {
    // Field 1 of 16 bytes and field 2 of 8: a span without times, or a
    // metric without data.
    const rec = Buffer.concat([Buffer.from([0x0a, 16]), Buffer.alloc(16, 7), Buffer.from([0x12, 8]), Buffer.alloc(8, 9)]);
    const wrap = (n, b) => Buffer.concat([Buffer.from([n, b.length]), b]);
    const body = wrap(0x0a, wrap(0x12, wrap(0x12, rec)));
    const r = await post(srv, '/', body, { headers: PB_HDR });
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    const st = decodeStatus(r.raw);
    assert.equal(st.code, 3);
    assert.match(st.message, /reads as traces and metrics alike/);
  });

  test('partial success: rejected records counted, in each encoding', async () => {
    const logs = logsReq([toolResult('toolu_ps_ok'), { ...toolResult('toolu_ps_bad'), attributes: [...toolResult('toolu_ps_bad').attributes.filter((a) => a.key !== 'duration_ms'), { key: 'duration_ms', value: sv('fast') }] }]);
    const j = await post(srv, '/v1/logs', JSON.stringify(logs), { headers: JSON_HDR });
    assert.equal(j.status, 200, j.body);
    assert.deepEqual(j.json, { partialSuccess: { rejectedLogRecords: '1', errorMessage: 'log record 2: duration_ms is not a number of milliseconds in 0..604800000' } });
    const p = await post(srv, '/v1/logs', encodeRequest(logs), { headers: PB_HDR });
    assert.equal(p.status, 200);
    assert.deepEqual(decodeExportResponse(p.raw), { rejected: 1, message: 'log record 2: duration_ms is not a number of milliseconds in 0..604800000' });
    assert.ok((await ops(srv)).get('toolu_ps_ok'));
    // Spans: an id of the wrong size.
    const t = tracesReq([span(11), span(12, { spanId: 'abcd' })]);
    const tj = await post(srv, '/v1/traces', JSON.stringify(t), { headers: JSON_HDR });
    assert.deepEqual(tj.json, { partialSuccess: { rejectedSpans: '1', errorMessage: 'span 2: span_id is not 8 bytes (or all zero)' } });
    const tp = await post(srv, '/v1/traces', encodeRequest(t), { headers: PB_HDR });
    assert.deepEqual(decodeExportResponse(tp.raw), { rejected: 1, message: 'span 2: span_id is not 8 bytes (or all zero)' });
    // Data points: more attributes than a record may have.
    const many = Array.from({ length: 1025 }, (_, i) => ({ key: `k${i}`, value: sv('v') }));
    const mt = metricsReq([point(1), point(2, 'output', many)]);
    const mj = await post(srv, '/v1/metrics', JSON.stringify(mt), { headers: JSON_HDR });
    assert.deepEqual(mj.json, { partialSuccess: { rejectedDataPoints: '1', errorMessage: 'data point 2 of claude_code.token.usage: more than 1024 attributes' } });
    const mp = await post(srv, '/v1/metrics', encodeRequest(mt), { headers: PB_HDR });
    assert.deepEqual(decodeExportResponse(mp.raw), { rejected: 1, message: 'data point 2 of claude_code.token.usage: more than 1024 attributes' });
  });

  test('400 for an undecodable body: JSON Status for JSON, protobuf Status for protobuf', async () => {
    const j = await post(srv, '/v1/traces', '{"resourceSpans": 5}', { headers: JSON_HDR });
    assert.equal(j.status, 400);
    assert.equal(j.json.code, 3);
    assert.equal(j.json.success, false);
    assert.equal(j.json.message, 'body: resourceSpans must be an array');
    for (const [name, bytes, msg] of [
      ['wrong wire type', Buffer.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x08, 0x01]), /LogRecord.time_unix_nano \(field 1\) at byte 6: wire type varint, expected fixed64/],
      ['1 GB claimed length', Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x04, 0x12, 0x00]), /length 1073741824 runs past the end/],
      ['11-byte varint', Buffer.from([0x0a, 0x10, 0x12, 0x0e, 0x12, 0x0c, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), /longer than 10 bytes/],
      ['a group', Buffer.from([0x0b]), /group/],
    ]) {
      const r = await post(srv, '/v1/logs', bytes, { headers: PB_HDR });
      assert.equal(r.status, 400, name);
      assert.equal(r.headers['content-type'], 'application/x-protobuf', name);
      const st = decodeStatus(r.raw);
      assert.equal(st.code, 3, name);
      assert.match(st.message, msg, name);
    }
    // 100,000 levels of nested arrays in the body of one record.
    let v = Buffer.from([0x18, 0x01]);
    const parts = [v];
    let size = v.length;
    const varintLen = (n) => { let l = 1; while (n >= 128) { n = Math.floor(n / 128); l++; } return l; };
    const pre = [];
    for (let i = 0; i < 100000; i++) {
      // AnyValue{5: ArrayValue{1: inner}}
      const innerLen = size;
      const arr = Buffer.from([0x0a, ...enc(innerLen)]);
      size += arr.length;
      const av = Buffer.from([0x2a, ...enc(size)]);
      size += av.length;
      pre.push(arr, av);
      void varintLen;
    }
    function enc(n) { const o = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; o.push(b); } while (n); return o; }
    pre.reverse();
    v = Buffer.concat([...pre, ...parts]);
    const rec = Buffer.concat([Buffer.from([0x2a, ...enc(v.length)]), v]);
    const sl = Buffer.concat([Buffer.from([0x12, ...enc(rec.length)]), rec]);
    const rl = Buffer.concat([Buffer.from([0x12, ...enc(sl.length)]), sl]);
    const body = Buffer.concat([Buffer.from([0x0a, ...enc(rl.length)]), rl]);
    const deep = await post(srv, '/v1/logs', body, { headers: PB_HDR });
    assert.equal(deep.status, 400);
    assert.match(decodeStatus(deep.raw).message, /nested more than 16 deep/);
    const dj = await post(srv, '/v1/logs', '{"resourceLogs":' + '['.repeat(100000) + ']'.repeat(100000) + '}', { headers: JSON_HDR });
    assert.equal(dj.status, 400);
    assert.equal(dj.json.code, 3);
    // Corrupt gzip, in protobuf.
    const g = await post(srv, '/v1/metrics', Buffer.from('not gzip'), { headers: { ...PB_HDR, 'Content-Encoding': 'gzip' } });
    assert.equal(g.status, 400);
    assert.equal(decodeStatus(g.raw).code, 3);
  });

  test('415 for another media type or encoding; 413 over the cap, after gzip too', async () => {
    const t = await post(srv, '/v1/logs', 'x', { headers: { 'Content-Type': 'text/plain' } });
    assert.equal(t.status, 415);
    assert.equal(t.json.code, 3);
    assert.match(t.json.message, /application\/json or application\/x-protobuf/);
    const br = await post(srv, '/v1/logs', Buffer.from([0]), { headers: { ...PB_HDR, 'Content-Encoding': 'br' } });
    assert.equal(br.status, 415);
    assert.equal(decodeStatus(br.raw).code, 3);
    // A gzip bomb: 17 MB of zeros in a few KB.
    const bomb = zlib.gzipSync(Buffer.alloc(17 * 1024 * 1024));
    assert.ok(bomb.length < 100 * 1024);
    for (const hdr of [PB_HDR, JSON_HDR]) {
      const r = await post(srv, '/v1/metrics', bomb, { headers: { ...hdr, 'Content-Encoding': 'gzip' } });
      assert.equal(r.status, 413);
      if (hdr === PB_HDR) {
        assert.equal(r.headers['content-type'], 'application/x-protobuf');
        assert.equal(decodeStatus(r.raw).code, 8);
      } else {
        assert.equal(r.json.code, 8);
      }
    }
    // Over the cap as sent: announced (answered at once), and chunked.
    // (Announced, it is answered before the body, which is then not sent.)
    const big = Buffer.alloc(16 * 1024 * 1024 + 1);
    const raw = await rawRequest(srv, `POST /v1/traces HTTP/1.1\r\nHost: ${srv.host}:${srv.port}\r\n` +
      `Content-Type: application/x-protobuf\r\nContent-Length: ${big.length}\r\n\r\n`, 500);
    assert.match(raw, /^HTTP\/1\.1 413 /);
    assert.match(raw, /\r\ncontent-type: application\/x-protobuf\r\n/i);
    const rawBody = Buffer.from(raw.slice(raw.indexOf('\r\n\r\n') + 4), 'latin1');
    assert.equal(decodeStatus(rawBody).code, 8);
    assert.match(decodeStatus(rawBody).message, /larger than the limit of 16777216 bytes/);
    const c = await post(srv, '/v1/traces', big, { headers: PB_HDR, chunked: true });
    assert.equal(c.status, 413);
    assert.equal(decodeStatus(c.raw).code, 8);
    // The server is still up and answers.
    assert.equal((await get(srv, '/healthz')).status, 200);
  });
});

describe('OTLP/HTTP with a token', () => {
  let srv;
  before(async () => { srv = await startServer({ token: 'otlp-wire-token' }); });
  after(async () => { await srv.stop(); });

  test('401 without it, in the request\'s encoding; POST / needs it too, GET / does not', async () => {
    const body = encodeRequest(logsReq([toolResult('toolu_tok')]));
    for (const p of ['/v1/logs', '/']) {
      const r = await post(srv, p, body, { headers: PB_HDR });
      assert.equal(r.status, 401, p);
      assert.equal(decodeStatus(r.raw).code, 16, p);
      assert.ok(r.headers['www-authenticate']);
    }
    const j = await post(srv, '/v1/logs', '{}', { headers: JSON_HDR });
    assert.equal(j.status, 401);
    assert.equal(j.json.code, 16);
    assert.equal((await post(srv, '/v1/logs', body, { headers: PB_HDR, token: 'otlp-wire-token' })).status, 200);
    assert.equal((await post(srv, '/', body, { headers: PB_HDR, token: 'otlp-wire-token' })).status, 200);
    assert.equal((await get(srv, '/')).status, 302);
  });
});

describe('OTLP/HTTP with a locked database', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

  test('503 with Retry-After, in the request\'s encoding', { timeout: 40000 }, async () => {
    const db = path.join(srv.dataDir, 'toolprof.db');
    const holder = spawn('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
`, db, '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    try {
      const p = await post(srv, '/v1/logs', encodeRequest(logsReq([toolResult('toolu_busy_pb')])), { headers: PB_HDR });
      assert.equal(p.status, 503, p.body);
      assert.equal(p.headers['retry-after'], '1');
      const st = decodeStatus(p.raw);
      assert.equal(st.code, 14);
      assert.match(st.message, /busy/);
      const j = await post(srv, '/v1/logs', JSON.stringify(logsReq([toolResult('toolu_busy_json')])), { headers: JSON_HDR });
      assert.equal(j.status, 503);
      assert.equal(j.headers['retry-after'], '1');
      assert.equal(j.json.code, 14);
    } finally {
      holder.kill();
    }
    // Nothing half-written: after the lock, the retried request stores once.
    const again = await post(srv, '/v1/logs', encodeRequest(logsReq([toolResult('toolu_busy_pb')])), { headers: PB_HDR });
    assert.equal(again.status, 200);
    const m = await ops(srv);
    assert.ok(m.get('toolu_busy_pb'));
    assert.equal(m.get('toolu_busy_json'), undefined);
  });
});
