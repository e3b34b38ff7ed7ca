// otlp.test.mjs - POST /v1/logs with a real Claude Code export, plain and
// gzipped; the protobuf refusal; /v1/metrics and /v1/traces ignored.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { FIXTURES, get, post, startServer } from './lib.mjs';

const FIXTURE = path.join(FIXTURES, 'exequieldeferrari-axiom__otlp_logs__claude_logs.json');
const JSON_HDR = { 'Content-Type': 'application/json' };

describe('OTLP/HTTP JSON', () => {
  let srv;
  let body;
  before(async () => {
    srv = await startServer();
    body = readFileSync(FIXTURE);
  });
  after(() => srv.stop());

  test('the fixture stores its tool_result record and answers {}', async () => {
    const r = await post(srv, '/v1/logs', body, { headers: JSON_HDR });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, {});
    const s = await get(srv, '/api/performance/slow-operations?threshold=0&window=all');
    assert.equal(s.status, 200);
    assert.equal(s.json.count, 1);
    const op = s.json.data[0];
    assert.equal(op.tool, 'Read');
    assert.equal(op.tool_use_id, 'toolu_000000000000000000000');
    assert.equal(op.session_id, '11111111-2222-3333-4444-555555555555');
    assert.equal(op.duration_ms, 2);
    assert.equal(op.success, true);
    assert.equal(op.source, 'otlp');
  });

  test('gzipped, the same records are stored once', async () => {
    const r = await post(srv, '/v1/logs', zlib.gzipSync(body), {
      headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, {});
    const res = await get(srv, '/api/performance/resources');
    assert.equal(res.json.data.operations_stored, 1);
  });

  test('a gzipped copy with a new id is stored', async () => {
    const text = body.toString('utf8').replace('toolu_000000000000000000000', 'toolu_gzip_copy_00000000000');
    const r = await post(srv, '/v1/logs', zlib.gzipSync(text), {
      headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 200);
    const res = await get(srv, '/api/performance/resources');
    assert.equal(res.json.data.operations_stored, 2);
  });

  test('protobuf gets 415 with the fix in the message', async () => {
    const r = await post(srv, '/v1/logs', Buffer.from([0x0a, 0x00]), {
      headers: { 'Content-Type': 'application/x-protobuf' },
    });
    assert.equal(r.status, 415);
    assert.equal(r.json.message,
      'toolprof reads OTLP as JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
  });

  test('a body that is not JSON is a 400; corrupt gzip too', async () => {
    const r = await post(srv, '/v1/logs', 'not json', { headers: JSON_HDR });
    assert.equal(r.status, 400);
    const g = await post(srv, '/v1/logs', Buffer.from('not gzip at all'), {
      headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' },
    });
    assert.equal(g.status, 400);
    const trunc = zlib.gzipSync(body).subarray(0, 100);
    const t = await post(srv, '/v1/logs', trunc, { headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' } });
    assert.equal(t.status, 400);
  });

  test('other events are accepted and ignored', async () => {
    const r = await post(srv, '/v1/logs', { resourceLogs: [] }, { headers: JSON_HDR });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {});
  });

  test('a gzip bomb stops at the cap with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 1024 * 1024);
    const r = await post(srv, '/v1/logs', bomb, { headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' } });
    assert.equal(r.status, 413);
  });

  test('/v1/metrics and /v1/traces answer {} whatever they get', async () => {
    for (const p of ['/v1/metrics', '/v1/traces']) {
      const r = await post(srv, p, Buffer.from([1, 2, 3]), { headers: { 'Content-Type': 'application/x-protobuf' } });
      assert.equal(r.status, 200, p);
      assert.deepEqual(r.json, {});
    }
  });

  test('unsupported Content-Encoding is refused', async () => {
    const r = await post(srv, '/v1/logs', body, { headers: { ...JSON_HDR, 'Content-Encoding': 'br' } });
    assert.equal(r.status, 415);
  });
});
