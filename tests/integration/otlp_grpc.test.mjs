// otlp_grpc.test.mjs - OTLP/gRPC (`serve --otlp-grpc`), spoken with
// node:http2 directly so that every byte of a call can be chosen: the three
// Export calls, gzip message compression, many concurrent calls on one
// connection, every error status (UNIMPLEMENTED, INVALID_ARGUMENT,
// RESOURCE_EXHAUSTED, INTERNAL, UNAUTHENTICATED, UNAVAILABLE), the token
// rule and a clean shutdown.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { cli, get, startServer } from './lib.mjs';
import { decodeExportResponse, encodeRequest, grpcFrame } from './otlp_proto.mjs';

const NOW = Date.now();
const ns = (ms) => `${BigInt(ms) * 1000000n}`;
const sv = (v) => ({ stringValue: v });
const LOGS = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const METRICS = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

function logsBody(ids, tool = 'Bash') {
  return encodeRequest({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: sv('claude-code') }] },
      scopeLogs: [{
        scope: { name: 'com.anthropic.claude_code.events' },
        logRecords: ids.map((id, i) => ({
          timeUnixNano: ns(NOW - 30000 + i),
          body: sv('claude_code.tool_result'),
          attributes: [['event.name', 'tool_result'], ['tool_name', tool], ['tool_use_id', id], ['session.id', 'sess-grpc'],
            ['success', 'false'], ['duration_ms', '250'], ['error_type', 'ShellError'],
            ['tool_input', JSON.stringify({ command: `make test-${i}` })]].map(([key, v]) => ({ key, value: sv(v) })),
        })),
      }],
    }],
  });
}

const tracesBody = () => encodeRequest({
  resourceSpans: [{
    scopeSpans: [{
      spans: [1, 2].map((s) => ({
        traceId: '0102030405060708090a0b0c0d0e0f10', spanId: `000000000000000${s}`, name: 'claude_code.tool',
        startTimeUnixNano: ns(NOW - 2000), endTimeUnixNano: ns(NOW - 1000),
      })),
    }],
  }],
});

const metricsBody = () => encodeRequest({
  resourceMetrics: [{
    scopeMetrics: [{
      metrics: [{
        name: 'claude_code.cost.usage', unit: 'USD',
        sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: ns(NOW), asDouble: 0.25 }] },
      }],
    }],
  }],
});

function grpcPort(srv) {
  const m = srv.stdout().match(/^otlp-grpc on 127\.0\.0\.1:(\d+)$/m);
  assert.ok(m, srv.stdout());
  return Number(m[1]);
}

// One call: resolves {status (HTTP), headers, trailers, data (Buffer)}.
function call(session, pathname, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST', ':path': pathname, 'content-type': 'application/grpc', te: 'trailers', ...headers,
    });
    let status, hdrs, trailers = {};
    const chunks = [];
    req.on('response', (h) => { status = h[':status']; hdrs = h; });
    req.on('trailers', (t) => { trailers = t; });
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => resolve({ status, headers: hdrs, trailers, data: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end(body);
  });
}

// grpc-status wherever it came: the trailers, or a trailers-only answer.
const grpcStatus = (r) => Number(r.trailers['grpc-status'] ?? r.headers['grpc-status']);
const grpcMessage = (r) => decodeURIComponent(r.trailers['grpc-message'] ?? r.headers['grpc-message'] ?? '');

describe('OTLP/gRPC', () => {
  let srv, session;
  before(async () => {
    srv = await startServer({ args: ['--otlp-grpc', '127.0.0.1:0'] });
    // Node's own cap on what a session may buffer (10 MB by default) is
    // raised for the 17 MB messages below.
    session = http2.connect(`http://127.0.0.1:${grpcPort(srv)}`, { maxSessionMemory: 200 });
  });
  after(async () => {
    session?.close();
    const r = await srv.stop();
    assert.equal(r.code, 0, srv.stderr());
    assert.doesNotMatch(srv.stderr(), /ERROR|runtime error|Sanitizer/);
  });

  test('the three Export calls, plain and gzip-compressed', async () => {
    const l = await call(session, LOGS, grpcFrame(logsBody(['toolu_grpc_1'])));
    assert.equal(l.status, 200);
    assert.equal(l.headers['content-type'], 'application/grpc');
    assert.equal(grpcStatus(l), 0);
    assert.deepEqual(l.data, Buffer.from([0, 0, 0, 0, 0])); // one empty response message
    const gz = zlib.gzipSync(logsBody(['toolu_grpc_2'], 'Edit'));
    const g = await call(session, LOGS, grpcFrame(gz, true), { 'grpc-encoding': 'gzip' });
    assert.equal(grpcStatus(g), 0, grpcMessage(g));
    for (const [p, body] of [[TRACES, tracesBody()], [METRICS, metricsBody()]]) {
      const r = await call(session, p, grpcFrame(zlib.gzipSync(body), true), { 'grpc-encoding': 'gzip' });
      assert.equal(grpcStatus(r), 0, p);
      assert.deepEqual(r.data, Buffer.from([0, 0, 0, 0, 0]));
    }
    const s = await get(srv, '/api/performance/slow-operations?threshold=0&window=all');
    const ops = new Map(s.json.data.map((o) => [o.tool_use_id, o]));
    const o = ops.get('toolu_grpc_1');
    assert.equal(o.tool, 'Bash');
    assert.equal(o.target, 'make test-0');
    assert.equal(o.success, false);
    assert.equal(o.error, 'ShellError');
    assert.equal(o.duration_ms, 250);
    assert.equal(o.session_id, 'sess-grpc');
    assert.equal(o.source, 'otlp');
    assert.equal(o.timestamp_ms, NOW - 30000 - 250);
    assert.equal(ops.get('toolu_grpc_2')?.tool, 'Edit');
    const m = await get(srv, '/metrics');
    assert.match(m.body, /^toolprof_otlp_records_total\{signal="traces",outcome="ignored"\} 2$/m);
    assert.match(m.body, /^toolprof_otlp_records_total\{signal="metrics",outcome="ignored"\} 1$/m);
  });

  test('partial success comes back in the response message', async () => {
    const good = logsBody(['toolu_grpc_ps']);
    // A second record whose duration is not a number.
    const bad = encodeRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [
      { key: 'event.name', value: sv('tool_result') }, { key: 'tool_name', value: sv('Read') },
      { key: 'duration_ms', value: sv('soon') }] }] }] }] });
    const r = await call(session, LOGS, grpcFrame(Buffer.concat([good, bad])));
    assert.equal(grpcStatus(r), 0);
    const len = r.data.readUInt32BE(1);
    assert.equal(r.data.length, 5 + len);
    assert.deepEqual(decodeExportResponse(r.data.subarray(5)),
      { rejected: 1, message: 'log record 2: duration_ms is not a number of milliseconds in 0..604800000' });
  });

  test('200 concurrent calls on one connection', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `toolu_grpc_many_${String(i).padStart(3, '0')}`);
    const results = await Promise.all(ids.map((id) => call(session, LOGS, grpcFrame(logsBody([id], 'Grep')))));
    assert.deepEqual(results.map(grpcStatus), ids.map(() => 0));
    const s = await get(srv, '/api/performance/slow-operations?threshold=0&window=all&limit=1000');
    const got = s.json.data.filter((o) => o.tool_use_id.startsWith('toolu_grpc_many_')).map((o) => o.tool_use_id).sort();
    assert.deepEqual(got, ids);
  });

  test('every error status', async () => {
    const cases = [
      ['unknown method', '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', grpcFrame(logsBody(['x'])), {}, 12, /unknown method/],
      ['undecodable message', LOGS, grpcFrame(Buffer.from([0x0a, 0x05, 0x01])), {}, 3, /runs past the end/],
      ['a frame longer than its stream', LOGS, Buffer.concat([Buffer.from([0, 0, 0, 0, 100]), Buffer.alloc(10)]), {}, 3, /announces 100 bytes, the stream ended after 10/],
      ['no message', LOGS, Buffer.alloc(0), {}, 3, /no message/],
      ['two messages', LOGS, Buffer.concat([grpcFrame(Buffer.alloc(0)), grpcFrame(Buffer.alloc(0))]), {}, 3, /one message/],
      ['a bad flag', LOGS, Buffer.from([7, 0, 0, 0, 0]), {}, 3, /flag 7/],
      ['compressed without grpc-encoding', LOGS, grpcFrame(zlib.gzipSync(Buffer.alloc(1)), true), {}, 13, /without grpc-encoding/],
      ['another compression', LOGS, grpcFrame(Buffer.alloc(0)), { 'grpc-encoding': 'snappy' }, 12, /gzip and identity/],
      ['a message over the cap, from its prefix', LOGS, Buffer.from([0, 1, 0, 0, 1]), {}, 8, /16777217 bytes, over the limit/],
      ['a gzip bomb', LOGS, grpcFrame(zlib.gzipSync(Buffer.alloc(17 * 1024 * 1024)), true), { 'grpc-encoding': 'gzip' }, 8, /inflates to more than/],
      ['corrupt gzip', LOGS, grpcFrame(Buffer.from('not gzip'), true), { 'grpc-encoding': 'gzip' }, 3, /compressed message/],
    ];
    for (const [name, p, body, hdrs, code, msg] of cases) {
      const r = await call(session, p, body, hdrs).catch((e) => { throw new Error(`${name}: ${e.message}`); });
      assert.equal(r.status, 200, name);
      assert.equal(grpcStatus(r), code, `${name}: ${grpcMessage(r)}`);
      assert.match(grpcMessage(r), msg, name);
      assert.equal(r.data.length, 0, name);
    }
    // A message bigger than the cap, really sent: refused, the stream's
    // bytes drained, the connection still good.
    const big = Buffer.alloc(17 * 1024 * 1024);
    const r = await call(session, LOGS, grpcFrame(big)).catch((e) => { throw new Error(`big: ${e.message}`); });
    assert.equal(grpcStatus(r), 8);
    const wrongType = await call(session, LOGS, grpcFrame(logsBody(['y'])), { 'content-type': 'application/json' });
    assert.equal(wrongType.status, 415);
    assert.equal(grpcStatus(wrongType), 3);
    const after = await call(session, LOGS, grpcFrame(logsBody(['toolu_grpc_after'])));
    assert.equal(grpcStatus(after), 0);
    assert.equal((await get(srv, '/healthz')).status, 200);
  });
});

describe('OTLP/gRPC connection limit', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--otlp-grpc', '127.0.0.1:0'] }); });
  after(async () => {
    const r = await srv.stop();
    assert.equal(r.code, 0, srv.stderr());
  });

  test('64 connections at once; the 65th is closed unanswered; a freed slot is reused', { timeout: 60000 }, async () => {
    const url = `http://127.0.0.1:${grpcPort(srv)}`;
    const sessions = [];
    for (let i = 0; i < 64; i++) {
      const s = http2.connect(url);
      s.on('error', () => {});
      sessions.push(s);
      const r = await call(s, LOGS, grpcFrame(logsBody([`toolu_conn_${i}`])));
      assert.equal(grpcStatus(r), 0, `connection ${i}`);
    }
    const extra = http2.connect(url);
    extra.on('error', () => {});
    // Closed at once: the call fails, or ends without an answer.
    const served = await call(extra, LOGS, grpcFrame(logsBody(['toolu_conn_extra'])))
      .then((r) => r.status === 200 && grpcStatus(r) === 0, () => false);
    assert.equal(served, false, 'the 65th connection was served');
    extra.destroy();
    // Free one slot; a new connection is served again.
    await new Promise((r) => sessions.pop().close(r));
    let ok = false;
    for (let attempt = 0; attempt < 50 && !ok; attempt++) {
      const s = http2.connect(url);
      s.on('error', () => {});
      ok = await call(s, LOGS, grpcFrame(logsBody(['toolu_conn_again']))).then((r) => grpcStatus(r) === 0, () => false);
      s.destroy();
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, 'no connection was served after one closed');
    for (const s of sessions) s.destroy();
  });
});

describe('OTLP/gRPC with a token', () => {
  let srv;
  before(async () => { srv = await startServer({ token: 'grpc-token-123', args: ['--otlp-grpc', '127.0.0.1:0'] }); });
  after(async () => { await srv.stop(); });

  test('UNAUTHENTICATED without "authorization: Bearer T", OK with it', async () => {
    const s = http2.connect(`http://127.0.0.1:${grpcPort(srv)}`);
    try {
      const body = grpcFrame(logsBody(['toolu_grpc_tok']));
      for (const auth of [undefined, 'Bearer wrong-token', 'Basic grpc-token-123']) {
        const r = await call(s, LOGS, body, auth ? { authorization: auth } : {});
        assert.equal(grpcStatus(r), 16, String(auth));
      }
      const ok = await call(s, LOGS, body, { authorization: 'Bearer grpc-token-123' });
      assert.equal(grpcStatus(ok), 0);
    } finally {
      s.close();
    }
  });

  test('a non-loopback gRPC address needs the token', () => {
    const r = cli(['--data-dir', srv.dataDir, 'serve', '--no-watch', '--listen', '127.0.0.1:0', '--otlp-grpc', '0.0.0.0:0'],
      { env: { TOOLPROF_TOKEN: '' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to take OTLP\/gRPC on 0\.0\.0\.0 without a token/);
    const bad = cli(['--data-dir', srv.dataDir, 'serve', '--no-watch', '--otlp-grpc', 'nowhere'], { env: { TOOLPROF_TOKEN: '' } });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--otlp-grpc nowhere: expected HOST:PORT/);
  });
});

describe('OTLP/gRPC with a locked database', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--otlp-grpc', '127.0.0.1:0'] }); });
  after(async () => { await srv.stop(); });

  test('UNAVAILABLE while the database is locked', { timeout: 40000 }, async () => {
    const holder = spawn('python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
`, path.join(srv.dataDir, 'toolprof.db'), '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const s = http2.connect(`http://127.0.0.1:${grpcPort(srv)}`);
    try {
      const r = await call(s, LOGS, grpcFrame(logsBody(['toolu_grpc_busy'])));
      assert.equal(grpcStatus(r), 14);
      assert.match(grpcMessage(r), /busy/);
    } finally {
      holder.kill();
      s.close();
    }
  });
});
