// otlp.test.mjs - POST /v1/logs with Claude Code exports (the hand-made
// 2.1.138 export and the bodies recorded from 2.1.332, tests/data), plain
// and gzipped (protobuf, traces, metrics and the error answers:
// otlp_wire.test.mjs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { dataFile, get, post, startServer } from './lib.mjs';

const JSON_HDR = { 'Content-Type': 'application/json' };

describe('OTLP/HTTP JSON', () => {
  let srv;
  let body;
  before(async () => {
    srv = await startServer();
    body = readFileSync(dataFile('legacy/otlp/logs-2.1.138.json'));
  });
  after(() => srv.stop());

  test('the export stores its two tool_result records and answers {}', async () => {
    const r = await post(srv, '/v1/logs', body, { headers: JSON_HDR });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, {});
    const s = await get(srv, '/api/performance/slow-operations?threshold=0&window=all');
    assert.equal(s.status, 200);
    assert.equal(s.json.count, 2);
    const op = s.json.data.find((o) => o.tool === 'Read');
    assert.ok(op, JSON.stringify(s.json.data));
    assert.equal(op.tool_use_id, 'toolu_01O0Read1eeeeeeeeeeeeee');
    assert.equal(op.session_id, '7c1d2e3f-4a5b-4c6d-8e7f-809102030405');
    assert.equal(op.duration_ms, 2);
    assert.equal(op.success, true);
    assert.equal(op.source, 'otlp');
    const bash = s.json.data.find((o) => o.tool === 'Bash');
    assert.equal(bash.duration_ms, 1530);
    assert.equal(bash.success, false);
  });

  test('gzipped, the same records are stored once', async () => {
    const r = await post(srv, '/v1/logs', zlib.gzipSync(body), {
      headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, {});
    const res = await get(srv, '/api/performance/resources');
    assert.equal(res.json.data.operations_stored, 2);
  });

  test('a gzipped copy with a new id is stored', async () => {
    const text = body.toString('utf8').replaceAll('toolu_01O0Read1eeeeeeeeeeeeee', 'toolu_01O0GzipCopyeeeeeeeeee');
    const r = await post(srv, '/v1/logs', zlib.gzipSync(text), {
      headers: { ...JSON_HDR, 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 200);
    const res = await get(srv, '/api/performance/resources');
    assert.equal(res.json.data.operations_stored, 3);
  });

  test('a body that is not JSON is a 400; corrupt gzip too', async () => {
    const r = await post(srv, '/v1/logs', 'not json', { headers: JSON_HDR });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 3);
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

  test('unsupported Content-Encoding is refused', async () => {
    const r = await post(srv, '/v1/logs', body, { headers: { ...JSON_HDR, 'Content-Encoding': 'br' } });
    assert.equal(r.status, 415);
  });
});

// What Claude Code 2.1.332 posted in the recorded session
// (tests/data/recorded/otlp, index.json says what each body is).
describe('OTLP bodies recorded from Claude Code', () => {
  let srv;
  let index;
  const dir = () => path.dirname(dataFile('recorded/otlp/index.json'));
  before(async () => {
    srv = await startServer();
    index = JSON.parse(readFileSync(dataFile('recorded/otlp/index.json'), 'utf8'));
  });
  after(async () => { await srv.stop(); });

  test('every http/json body is accepted; the logs hold the 18 tool results and 2 rejected calls', async () => {
    const json = index.filter((e) => e.headers['content-type'] === 'application/json');
    // 14 log bodies, 10 metrics and 3 traces (tests/data/reference.py, "otlp").
    assert.equal(json.length, 27);
    for (const e of json) {
      const r = await post(srv, e.path, readFileSync(path.join(dir(), e.file)), { headers: JSON_HDR });
      assert.equal(r.status, 200, `${e.file}: ${r.body}`);
      assert.deepEqual(r.json, {});
    }
    // 18 calls ran (tool_result); the hook blocked one Bash and the person
    // rejected one Write (tool_decision "reject", reference.py): 20 calls,
    // 2 of them failed without an execution.
    const res = await get(srv, '/api/performance/resources');
    assert.equal(res.json.data.operations_stored, 20);
    const st = await get(srv, '/api/performance/stats?window=all');
    assert.equal(st.json.data.total_operations, 20);
    assert.equal(st.json.data.timed_operations, 18);
    assert.equal(st.json.data.phases.calls_asked, 2); // the approved Bash, the rejected Write
  });

  test('the children of a tool span that come after it, each alone, still give the call its phases', async () => {
    // Exports made concurrently arrive in any order: the tool spans of
    // 29-traces.json first, then each child span in a request of its own.
    const whole = JSON.parse(readFileSync(path.join(dir(), '29-traces.json'), 'utf8'));
    const child = (s) => s.name === 'claude_code.tool.blocked_on_user' || s.name === 'claude_code.tool.execution';
    const only = (keep) => ({
      resourceSpans: whole.resourceSpans.map((rs) => ({
        ...rs, scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.filter(keep) })),
      })),
    });
    const kids = whole.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.filter(child)));
    assert.equal(kids.length, 3);
    const fresh = await startServer();
    try {
      let r = await post(fresh, '/v1/traces', JSON.stringify(only((s) => !child(s))), { headers: JSON_HDR });
      assert.equal(r.status, 200, r.body);
      for (const k of kids) {
        r = await post(fresh, '/v1/traces', JSON.stringify(only((s) => s === k)), { headers: JSON_HDR });
        assert.equal(r.status, 200, r.body);
      }
      const s = await get(fresh, '/api/performance/slow-operations?threshold=0&window=all');
      const bash = s.json.data.find((o) => o.tool_use_id === 'toolu_016N7H5aZA0R64aNqD9WFJBl');
      assert.ok(bash, JSON.stringify(s.json.data));
      // The span times, read off the file (test_otlp_spans.c), as the API
      // gives them: to the microsecond.
      const phase = (name, ms) => {
        const p = bash.phases[name];
        assert.ok(p && Math.abs(p.ms - ms) <= 0.0005, `${name}: ${JSON.stringify(p)}, expected ${ms}`);
        assert.equal(p.exactness, 'exact', name);
        assert.equal(p.source, 'trace', name);
      };
      assert.ok(Math.abs(bash.duration_ms - 81.43155) <= 0.0005, String(bash.duration_ms));
      phase('wall', 2081.761502);
      phase('exec', 81.43155);
      phase('wait', 1999.208093);
      assert.equal(bash.approval, 'asked');
      const res = await get(fresh, '/api/performance/resources');
      assert.equal(res.json.data.operations_stored, 2); // the Bash and the rejected Write
    } finally {
      const st = await fresh.stop();
      assert.equal(st.code, 0, fresh.stderr());
    }
  });

  test('the http/protobuf bodies are decoded: one call per tool_result event', async () => {
    const proto = index.filter((e) => e.headers['content-type'] === 'application/x-protobuf' && e.path === '/v1/logs');
    assert.equal(proto.length, 2);
    const fresh = await startServer();
    try {
      // An independent count: the event's body text appears once per
      // tool_result record in the raw bytes.
      let want = 0;
      for (const e of proto) {
        const body = readFileSync(path.join(dir(), e.file));
        want += body.toString('latin1').split('claude_code.tool_result').length - 1;
        const r = await post(fresh, e.path, body, { headers: { 'Content-Type': 'application/x-protobuf' } });
        assert.equal(r.status, 200, e.file);
      }
      assert.equal(want, 3);
      const st = await get(fresh, '/api/performance/stats?window=all');
      assert.equal(st.json.data.total_operations, want);
    } finally {
      await fresh.stop();
    }
  });
});
