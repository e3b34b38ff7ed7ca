// badinput.test.mjs - the bad input battery: every entry point, hostile and
// broken inputs, each with a clear error, the process still up, and nothing
// half-written stored.
//
// Entry points: `toolprof hook` stdin, transcript lines and the original's
// daily files (`toolprof import`), POST /api/performance/operations bodies,
// OTLP bodies (POST /v1/logs), query parameters, and CLI flags; plus raw
// HTTP (oversized, slow, many slow connections).
//
// What "a clear error" means per entry point:
//   HTTP    a 4xx with {"success": false, "message": "..."} naming what was
//           wrong (OTLP: a 4xx, or a 200 whose partialSuccess counts and
//           explains the rejected records, as the OTLP spec has it);
//   hook    exit 0 and silence (Claude Code shows a hook's output to the
//           model or the user), and one line in <data>/hook-errors.log
//           saying why;
//   import  a "path:line: reason" line on stderr; the file's other calls
//           are stored;
//   CLI     a non-zero exit and a message on stderr.
// "Nothing half-written": the rows of the database (and the hook spool)
// change only by the records a case is expected to store.
//
// Every case and its outcome goes to build/reliability/badinput.json, from
// which docs/reliability.md's table is made (tests/reliability/table.mjs).

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeStatus } from '../integration/otlp_proto.mjs';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, caseTable, cli, get, hookPayload, idMaker, post, rawRequest, request, run, sleep, sqlite,
  startServer, tempDir, transcript,
} from './lib.mjs';

const MB = 1024 * 1024;
const { record, tcase } = caseTable('badinput.json', test);

const J = (o) => JSON.stringify(o);
const short = (s, n = 160) => {
  s = String(s ?? '').replace(/\s+/g, ' ').trim();
  return s.length > n ? s.slice(0, n) + '…' : s;
};
// str with the first `marker` replaced by raw bytes.
const withBytes = (str, marker, bytes) => {
  const b = Buffer.from(str);
  const i = b.indexOf(marker);
  if (i < 0) throw new Error('no marker ' + marker);
  return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i + Buffer.byteLength(marker))]);
};
const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);
const rows = (dataDir) => {
  const db = path.join(dataDir, 'toolprof.db');
  return existsSync(db) ? Number(sqlite(db, 'SELECT count(*) FROM ops;')) : 0;
};

// ---- hook stdin -------------------------------------------------------------------

describe('hook stdin', () => {
  const dir = tempDir('bad-hook');
  const dataDir = path.join(dir, 'data');
  const nextId = idMaker(41);
  let n = 0;
  const base = () => hookPayload(n++, nextId).payload;
  const spoolLines = () => {
    const f = path.join(dataDir, 'spool.jsonl');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  };
  const logLines = () => {
    const f = path.join(dataDir, 'hook-errors.log');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  // expect: 'reject' (logged, nothing spooled), 'accept' (spooled; check(op)
  // may look at the stored record), 'ignore' (not a tool result: nothing).
  // For 'accept' cases whose input had a broken value the hook dropped or
  // repaired, logged: true requires a line in hook-errors.log too.
  const cases = [
    ['empty stdin', () => '', 'reject'],
    ['whitespace only', () => '  \n\t ', 'reject'],
    ['truncated JSON', () => JSON.stringify(base()).slice(0, 60), 'reject'],
    ['JSON nested 100,000 deep in tool_input', () => JSON.stringify(base()).replace(/"tool_input":\{/, `"tool_input":{"x":${nested(100000)},`), 'reject'],
    ['a JSON array, not an object', () => '[1,2,3]', 'reject'],
    ['JSON null', () => 'null', 'reject'],
    ['tool_name a number', () => JSON.stringify({ ...base(), tool_name: 42 }), 'reject'],
    ['tool_name missing', () => { const p = base(); delete p.tool_name; return JSON.stringify(p); }, 'reject'],
    ['tool_name of 200 characters', () => JSON.stringify({ ...base(), tool_name: 'T'.repeat(200) }), 'reject'],
    ['escaped NUL (\\u0000) in tool_name', () => JSON.stringify({ ...base(), tool_name: 'Re\u0000ad' }), 'reject'],
    ['raw NUL byte inside a string', () => withBytes(JSON.stringify({ ...base(), cwd: '/aMARKb' }), 'MARK', [0]), 'accept-or-reject'],
    ['invalid UTF-8 (0xFF 0xFE) in the command', () => withBytes(JSON.stringify({ ...base(), tool_name: 'Bash', tool_input: { command: 'ls MARK' } }), 'MARK', [0xff, 0xfe]), 'utf8-ff'],
    ['lone surrogate \\ud800 in the command', () => JSON.stringify({ ...base(), tool_name: 'Bash', tool_input: { command: 'ls' } }).replace('"ls"', '"ls \\ud800"'), 'accept-or-reject'],
    ['duration_ms NaN (bare, not JSON)', () => JSON.stringify({ ...base(), duration_ms: 1 }).replace('"duration_ms":1', '"duration_ms":NaN'), 'reject-or-logged'],
    ['duration_ms "NaN" (a string)', () => JSON.stringify({ ...base(), duration_ms: 'NaN' }), 'reject-or-logged'],
    ['duration_ms Infinity (1e999)', () => JSON.stringify({ ...base(), duration_ms: 1 }).replace('"duration_ms":1', '"duration_ms":1e999'), 'reject-or-logged'],
    ['duration_ms negative (-5)', () => JSON.stringify({ ...base(), duration_ms: -5 }), 'reject-or-logged'],
    ['duration_ms huge (1e300)', () => JSON.stringify({ ...base(), duration_ms: 1e300 }), 'reject-or-logged'],
    ['duration_ms of 8 days', () => JSON.stringify({ ...base(), duration_ms: 8 * 86400e3 }), 'reject-or-logged'],
    ['tool_use_id a number', () => JSON.stringify({ ...base(), tool_use_id: 12345 }), 'accept-or-reject'],
    ['tool_use_id of 10,000 characters', () => JSON.stringify({ ...base(), tool_use_id: 'toolu_01' + 'x'.repeat(10000) }), 'reject'],
    ['10 MB tool_response (Bash stdout)', () => JSON.stringify({ ...base(), tool_name: 'Bash', tool_input: { command: 'cat big' }, tool_response: { stdout: 'x'.repeat(10 * MB), stderr: '' } }), 'accept'],
    ['10 MB command (target is cut)', () => JSON.stringify({ ...base(), tool_name: 'Bash', tool_input: { command: 'echo ' + 'y'.repeat(10 * MB) }, tool_response: { stdout: '' } }), 'accept-cut'],
    ['40 MB payload (over the 32 MB cap)', () => JSON.stringify({ ...base(), tool_response: { stdout: 'z'.repeat(40 * MB) } }), 'reject'],
    ['unknown tool name', () => JSON.stringify({ ...base(), tool_name: 'FrobnicateTool' }), 'accept'],
    ['PreToolUse event (not a result)', () => JSON.stringify({ ...base(), hook_event_name: 'PreToolUse' }), 'ignore'],
    ['unknown hook_event_name', () => JSON.stringify({ ...base(), hook_event_name: 'Bogus' }), 'ignore'],
    ['UTF-8 BOM before the JSON', () => '\uFEFF' + JSON.stringify(base()), 'accept'],
    ['markup and RTL override in the command', () => JSON.stringify({ ...base(), tool_name: 'Bash', tool_input: { command: '<script>alert(1)</script> \u202Egnp.exe' } }), 'accept'],
  ];

  for (const [name, make, expect] of cases) {
    tcase(`hook: ${name}`, { timeout: 60000 }, async () => {
      const input = make();
      const spool0 = spoolLines().length;
      const log0 = logLines().length;
      const t0 = Date.now();
      const r = await run(BIN, ['--data-dir', dataDir, 'hook'], { input });
      const ms = Date.now() - t0;
      const spooled = spoolLines().slice(spool0);
      const logged = logLines().slice(log0);
      const stored = spooled.length ? JSON.parse(spooled[0]) : null;
      const outcome = `exit ${r.code}${r.stdout || r.stderr ? ', printed: ' + short(r.stdout + r.stderr, 80) : ''}; ` +
        (logged.length ? `hook-errors.log: "${short(logged[0].replace(/^\S+ /, ''), 120)}"` : 'nothing logged');
      const what = stored ? [`tool ${J(short(stored.tool, 30))}`, `target ${J(short(stored.target, 30))}`,
        stored.project ? `project ${J(short(stored.project, 20))}` : '', stored.duration_ms === null ? 'duration null' : ''].filter(Boolean).join(', ') : '';
      record({ entry: 'hook stdin', case: name, outcome, stored: spooled.length ? `1 call (${what})` : 'nothing', ms });
      assert.equal(r.code, 0, 'the hook must exit 0');
      assert.equal(r.signal, null);
      assert.equal(r.stdout, '', 'the hook must print nothing');
      assert.equal(r.stderr, '', 'the hook must print nothing');
      assert.ok(spooled.length <= 1);
      switch (expect) {
        case 'reject':
          assert.equal(spooled.length, 0, 'stored a rejected payload');
          assert.equal(logged.length, 1, 'no reason in hook-errors.log');
          break;
        case 'reject-or-logged':
          // Rejected, or stored without the broken value; either way said.
          assert.equal(logged.length, 1, `the broken value was ${spooled.length ? 'dropped' : 'rejected'} without a line in hook-errors.log`);
          if (stored) assert.equal(stored.duration_ms, null);
          break;
        case 'accept-or-reject':
          assert.ok(spooled.length === 1 || logged.length === 1, 'neither stored nor logged');
          break;
        case 'utf8-ff':
          // Stored with the bad bytes replaced (U+FFFD), or rejected and logged.
          if (stored) assert.match(stored.target, /\uFFFD/);
          else assert.equal(logged.length, 1);
          break;
        case 'accept':
          assert.equal(spooled.length, 1, `not stored: ${logged[0] || ''}`);
          assert.equal(logged.length, 0);
          break;
        case 'accept-cut':
          assert.equal(spooled.length, 1, `not stored: ${logged[0] || ''}`);
          assert.ok(Buffer.byteLength(stored.target) <= 4096 + 16, `target of ${Buffer.byteLength(stored.target)} bytes`);
          break;
        case 'ignore':
          assert.equal(spooled.length, 0);
          assert.equal(logged.length, 0);
          break;
        default:
          throw new Error(expect);
      }
    });
  }

  // The hook gives up on its own (a limit of its own, not the test's): it
  // exits 0, as always, and logs why. How long it waits is its limit's
  // business (src/core/limits.h), not a wall-clock bound here.
  tcase('hook: stdin left open (a writer that never finishes) times out', { timeout: 120000 }, async () => {
    const log0 = logLines().length;
    const t0 = Date.now();
    // An open pipe that never ends.
    let proc;
    const pr = run(BIN, ['--data-dir', dataDir, 'hook'], { stdin: 'pipe', onSpawn: (p) => { proc = p; } });
    proc.stdin.write('{"hook_event_name":"PostToolUse",');
    const r = await pr;
    const ms = Date.now() - t0;
    proc.stdin.destroy();
    const logged = logLines().slice(log0);
    record({ entry: 'hook stdin', case: 'stdin left open (slow writer)', outcome: `exit ${r.code} after ${(ms / 1000).toFixed(1)} s; hook-errors.log: "${short((logged.at(-1) || '').replace(/^\S+ /, ''))}"`, stored: 'nothing' });
    assert.deepEqual({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr },
      { code: 0, signal: null, stdout: '', stderr: '' });
    assert.ok(logged.some((l) => /stdin/.test(l)), 'no reason logged');
  });
});

// ---- transcripts -----------------------------------------------------------------

describe('transcript lines (toolprof import)', () => {
  const dir = tempDir('bad-tx');
  const dataDir = path.join(dir, 'data');
  let k = 0;
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A transcript of two good calls with `bad` (string or Buffer lines)
  // between them. expect: 'reject' (line reported with path:line, its call
  // not stored), 'accept' (stored as one more call), 'ignore' (no call in
  // it; nothing reported is fine).
  const tool = (id, name, input, ts) => JSON.stringify({ type: 'assistant', sessionId: 's', cwd: '/p', timestamp: ts,
    uuid: `a-${id}`, message: { role: 'assistant', content: [{ type: 'tool_use', id, name, input }] } });
  const result = (id, ts, extra = {}) => JSON.stringify({ type: 'user', sessionId: 's', cwd: '/p', timestamp: ts, uuid: `u-${id}`,
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] }, ...extra });
  const now = Date.now() - 86400e3;
  const iso = (ms) => new Date(ms).toISOString();
  const pair = (id, name = 'Read', input = { file_path: '/p/x' }, ts = now, extra) => [tool(id, name, input, iso(ts)), result(id, iso(ts + 120), extra)];
  const cases = [
    ['a truncated line', (id) => [tool(id, 'Read', { file_path: '/p/a' }, iso(now)).slice(0, 70), result(id, iso(now + 5))], 'reject'],
    ['a line that is not JSON', () => ['this is not JSON at all'], 'reject'],
    ['a JSON array line', () => ['[1,2,3]'], 'reject'],
    ['a tool_use line nested 100,000 deep', (id) => [tool(id, 'Read', { x: 'DEEP' }, iso(now)).replace('"DEEP"', nested(100000)), result(id, iso(now + 5))], 'reject'],
    ['invalid UTF-8 (0xFF) in a tool input', (id) => { const [a, b] = pair(id, 'Bash', { command: 'ls MARK' }); return [withBytes(a, 'MARK', [0xff]), b]; }, 'accept-or-reject'],
    ['a raw NUL byte in a line', (id) => { const [a, b] = pair(id, 'Bash', { command: 'ls MARK' }); return [withBytes(a, 'MARK', [0]), b]; }, 'accept-or-reject'],
    ['a 10 MB tool result', (id) => pair(id, 'Bash', { command: 'cat big' }, now, { toolUseResult: { stdout: 'x'.repeat(10 * MB), stderr: '' } }), 'accept'],
    ['tool_use id a number', (id) => [tool(id, 'Read', {}, iso(now)).replace(`"id":"${id}"`, '"id":12345'), result(id, iso(now + 5))], 'reject'],
    ['tool_use without a name', (id) => [tool(id, 'Read', {}, iso(now)).replace('"name":"Read",', ''), result(id, iso(now + 5))], 'reject'],
    ['tool name of 200 characters', (id) => pair(id, 'T'.repeat(200)), 'reject'],
    ['timestamp in the year 3000', (id) => pair(id, 'Read', { file_path: '/p/f' }, Date.parse('3000-01-01T00:00:00Z')), 'reject'],
    ['timestamp in 1970', (id) => pair(id, 'Read', { file_path: '/p/f' }, 1000), 'reject'],
    ['timestamp "yesterday"', (id) => [tool(id, 'Read', {}, 'yesterday'), result(id, 'yesterday')], 'reject'],
    ['a tool_result without its tool_use', (id) => [result(id, iso(now + 5))], 'ignore'],
    ['message.content of the wrong type', () => ['{"type":"assistant","sessionId":"s","timestamp":"' + iso(now) + '","message":{"role":"assistant","content":42}}'], 'ignore'],
    ['an unknown tool name', (id) => pair(id, 'FrobnicateTool', { x: 1 }), 'accept'],
    ['NaN and negative timing fields in toolUseResult', (id) => pair(id, 'Glob', { pattern: '*' }, now, { toolUseResult: { durationMs: -5, filenames: [], numFiles: 0 } }), 'accept'],
  ];

  for (const [name, make, expect] of cases) {
    tcase(`transcript: ${name}`, { timeout: 60000 }, async () => {
      const nextId = idMaker(60 + k);
      const good1 = nextId(1);
      const good2 = nextId(2);
      const badId = nextId(3);
      const lines = [...pair(good1, 'Read', { file_path: '/p/1' }, now - 60000), ...make(badId), ...pair(good2, 'Read', { file_path: '/p/2' }, now + 60000)];
      const file = path.join(dir, `t${k++}.jsonl`);
      writeFileSync(file, Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\n')]))));
      const before = rows(dataDir);
      const r = await run(BIN, ['--data-dir', dataDir, 'import', file]);
      const after = rows(dataDir);
      const report = r.stderr.split('\n').filter((l) => l.includes(path.basename(file)));
      const added = after - before;
      record({ entry: 'transcript line', case: name, outcome: `exit ${r.code}; ${report.length ? short(report[0].replace(dir, '…'), 140) : 'nothing reported'}`,
        stored: `${added} of ${expect === 'accept' ? 3 : 2} expected calls` });
      assert.equal(r.signal, null);
      assert.equal(r.code, 0, r.stderr);
      const want = expect === 'accept' ? 3 : 2;
      if (expect === 'accept-or-reject') {
        assert.ok(added === 3 || (added === 2 && report.some((l) => new RegExp(`${path.basename(file)}:\\d+: `).test(l))), `added ${added}, report ${report}`);
      } else {
        assert.equal(added, want, `stored ${added} calls, want ${want}`);
      }
      if (expect === 'reject') {
        assert.ok(report.some((l) => new RegExp(`${path.basename(file)}:\\d+: `).test(l)),
          `no "path:line: reason" on stderr: ${short(r.stderr, 300)}`);
      }
    });
  }

  tcase('transcript: 1 MB of random bytes', async () => {
    const file = path.join(dir, 'random.jsonl');
    const b = Buffer.alloc(MB);
    for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
    writeFileSync(file, b);
    const before = rows(dataDir);
    const r = await run(BIN, ['--data-dir', dataDir, 'import', file]);
    record({ entry: 'transcript line', case: '1 MB of random bytes', outcome: `exit ${r.code}; ${short(r.stderr.split('\n')[0].replace(dir, '…'), 140)}`, stored: `${rows(dataDir) - before} calls` });
    assert.equal(r.signal, null);
    assert.equal(rows(dataDir), before);
    assert.match(r.stderr, /random\.jsonl(:\d+)?: /);
  });
});

// ---- the original's daily files ---------------------------------------------------------

describe("the original's daily files (toolprof import)", () => {
  const dir = tempDir('bad-daily');
  const dataDir = path.join(dir, 'data');
  let k = 0;
  after(() => rmSync(dir, { recursive: true, force: true }));
  const good = (i) => ({ tool: 'Read', target: `/d/${i}`, duration_ms: 10 + i, timestamp: new Date(Date.now() - 86400e3 + i * 1000).toISOString().slice(0, 23), success: true, optimization_applied: false, metadata: {} });
  const doc = (ops) => JSON.stringify({ operations: ops }, null, 2);
  // expect: 'whole' (the file is refused: nothing from it stored, reported),
  // 'one' (the bad operation is reported, the 2 good ones stored),
  // 'accept' (all 3 stored).
  const cases = [
    ['a truncated file', () => doc([good(1), good(2)]).slice(0, 150), 'whole'],
    ['"operations" is not an array', () => JSON.stringify({ operations: 'many' }), 'whole'],
    ['duration_ms NaN (bare)', () => doc([good(1), { ...good(3), duration_ms: 12345 }, good(2)]).replace('12345', 'NaN'), 'whole'],
    ['duration_ms negative', () => doc([good(1), { ...good(3), duration_ms: -5 }, good(2)]), 'one'],
    ['duration_ms a string', () => doc([good(1), { ...good(3), duration_ms: 'slow' }, good(2)]), 'one'],
    ['duration_ms 1e300', () => doc([good(1), { ...good(3), duration_ms: 1e300 }, good(2)]), 'one'],
    ['duration_ms Infinity (1e999)', () => doc([good(1), { ...good(3), duration_ms: 12345 }, good(2)]).replace('12345', '1e999'), 'one'],
    ['timestamp in 1900', () => doc([good(1), { ...good(3), timestamp: '1900-01-01T00:00:00' }, good(2)]), 'one'],
    ['timestamp in the year 3000', () => doc([good(1), { ...good(3), timestamp: '3000-01-01T00:00:00' }, good(2)]), 'one'],
    ['tool missing', () => { const o = good(3); delete o.tool; return doc([good(1), o, good(2)]); }, 'one'],
    ['a 10 MB target (cut)', () => doc([good(1), { ...good(3), target: 't'.repeat(10 * MB) }, good(2)]), 'accept'],
    ['invalid UTF-8 in a target', () => doc([good(1), { ...good(3), target: 'QQ' }, good(2)]), 'utf8'],
    ['\\u0000 in a tool name', () => doc([good(1), { ...good(3), tool: 'Re\u0000ad' }, good(2)]), 'one'],
    ['metadata nested 100 deep', () => doc([good(1), { ...good(3), metadata: { x: 1 } }, good(2)]).replace('"x": 1', `"x": ${nested(100)}`), 'whole-or-one'],
    ['wrong types (success "yes", metadata [1])', () => doc([good(1), { ...good(3), success: 'yes', metadata: [1] }, good(2)]), 'one'],
  ];
  for (const [name, make, expect] of cases) {
    tcase(`daily file: ${name}`, { timeout: 60000 }, async () => {
      const sub = path.join(dir, `d${k++}`);
      mkdirSync(sub);
      const file = path.join(sub, 'operations_2026-11-20.json');
      let body = Buffer.from(make());
      if (expect === 'utf8') {
        const i = body.indexOf('QQ');
        body = Buffer.concat([body.subarray(0, i), Buffer.from([0xc0, 0xaf]), body.subarray(i + 2)]);
      }
      writeFileSync(file, body);
      const before = rows(dataDir);
      const r = await run(BIN, ['--data-dir', dataDir, 'import', file]);
      const added = rows(dataDir) - before;
      const report = r.stderr.split('\n').filter((l) => l.includes('operations_2026-11-20.json'));
      record({ entry: 'daily file', case: name, outcome: `exit ${r.code}; ${report.length ? short(report[0].replace(dir, '…'), 140) : 'nothing reported'}`, stored: `${added} of 3 operations` });
      assert.equal(r.signal, null);
      // The place: a line, or the operation's index in the document.
      const reported = report.some((l) => /operations_2026-11-20\.json(:\d+|:operation \d+)?: ./.test(l));
      if (expect === 'whole') { assert.equal(added, 0); assert.ok(reported, `not reported: ${short(r.stderr)}`); }
      if (expect === 'one' || expect === 'utf8') {
        if (expect === 'utf8' && added === 3) return; // repaired to U+FFFD
        assert.equal(added, 2, `stored ${added}`);
        assert.ok(reported, `not reported: ${short(r.stderr)}`);
      }
      if (expect === 'whole-or-one') { assert.ok(added === 0 || added === 2, `stored ${added}`); assert.ok(reported); }
      if (expect === 'accept') assert.equal(added, 3, r.stderr);
    });
  }
});

// ---- HTTP: POST bodies, OTLP bodies, query parameters, raw HTTP ------------------------------

describe('HTTP', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());
  const nextId = idMaker(70);
  let n = 0;
  const op = (x = {}) => ({ tool: 'Read', target: '/h', duration_ms: 5, tool_use_id: nextId(n++), ...x });

  async function check(entry, name, send, expectStatus = [400], opts = {}) {
    const before = rows(srv.dataDir);
    const r = await send();
    await sleep(0);
    const added = rows(srv.dataDir) - before;
    const pbStatus = opts.protobuf && r.status >= 400 ? decodeStatus(r.raw) : null;
    const msg = pbStatus ? `(protobuf Status) code ${pbStatus.code}: ${pbStatus.message}`
      : r.json?.message ?? (r.json ? J(r.json) : r.body);
    record({ entry, case: name, outcome: `${r.status} ${short(msg, 140)}`, stored: added ? `${added} row${added > 1 ? 's' : ''}` : 'nothing' });
    const health = await get(srv, '/healthz');
    assert.equal(health.status, 200, 'the server is down');
    assert.ok(expectStatus.includes(r.status), `status ${r.status} (want ${expectStatus}): ${short(r.body, 300)}`);
    if (r.status >= 400 && opts.protobuf) {
      // OTLP answers a protobuf request with a protobuf google.rpc.Status.
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      const st = decodeStatus(r.raw);
      assert.ok(st.code > 0 && st.message.length > 5, `Status ${J(st)}`);
      if (opts.mentions) assert.match(st.message, opts.mentions);
    } else if (r.status >= 400) {
      assert.equal(r.json?.success, false, `no JSON error envelope: ${short(r.body)}`);
      assert.ok(typeof r.json.message === 'string' && r.json.message.length > 5, 'no message');
      if (opts.mentions) assert.match(r.json.message, opts.mentions);
    }
    if (opts.stores === 'utf8') {
      // Refused (a 4xx, or for OTLP a 200 whose partialSuccess counts the
      // record), or stored with the bad byte replaced by U+FFFD.
      const ps = r.json?.partialSuccess;
      if (r.status === 200 && ps) {
        assert.equal(added, 0);
        assert.ok(Number(ps.rejectedLogRecords) === 1 && ps.errorMessage, `partialSuccess ${J(ps)}`);
      } else if (r.status === 200) {
        assert.equal(added, 1);
        const tools = (await get(srv, '/api/performance/tools')).json.data;
        assert.ok(tools.some((t) => t.includes('\uFFFD')), `stored as ${J(tools)}`);
      } else assert.equal(added, 0);
    } else assert.equal(added, opts.stores || 0, 'rows stored');
    return r;
  }

  const P = '/api/performance/operations';
  const postRaw = (body, headers = { 'Content-Type': 'application/json' }) => () => post(srv, P, body, { headers });
  const postCases = [
    ['empty body', postRaw('')],
    ['truncated JSON', postRaw(J([op(), op()]).slice(0, 40))],
    ['not JSON', postRaw('tool=Read&duration_ms=5')],
    ['JSON nested 100,000 deep', postRaw(nested(100000))],
    ['a bare number', postRaw('42')],
    ['an array holding a string', postRaw(J([op(), 'x']))],
    ['tool missing', postRaw(J({ duration_ms: 5 })), { mentions: /tool/ }],
    ['duration_ms missing (the original answered 500)', postRaw(J({ tool: 'Read' })), { mentions: /duration_ms/ }],
    ['duration_ms NaN (bare)', postRaw(J(op({ duration_ms: 1 })).replace('"duration_ms":1', '"duration_ms":NaN'))],
    ['duration_ms "NaN"', postRaw(J(op({ duration_ms: 'NaN' }))), { mentions: /duration_ms/ }],
    ['duration_ms Infinity (1e999)', postRaw(J(op({ duration_ms: 1 })).replace('"duration_ms":1', '"duration_ms":1e999')), { mentions: /duration_ms/ }],
    ['duration_ms -1', postRaw(J(op({ duration_ms: -1 }))), { mentions: /duration_ms/ }],
    ['duration_ms 1e300', postRaw(J(op({ duration_ms: 1e300 }))), { mentions: /duration_ms.*(week|range|at most|must)/ }],
    ['duration_ms true', postRaw(J(op({ duration_ms: true }))), { mentions: /duration_ms/ }],
    ['tool a number', postRaw(J(op({ tool: 5 }))), { mentions: /tool/ }],
    ['tool of 200 characters', postRaw(J(op({ tool: 'T'.repeat(200) }))), { mentions: /tool/ }],
    ['escaped NUL in tool', postRaw(J(op({ tool: 'Re\u0000ad' })))],
    ['invalid UTF-8 in tool', postRaw(withBytes(J(op({ tool: 'ReMARKad' })), 'MARK', [0xff]))],
    ['lone surrogate in target', postRaw(J(op({ target: 'x' })).replace('"target":"x"', '"target":"\\ud800"'))],
    ['timestamp 1970', postRaw(J(op({ timestamp: '1970-01-01T00:00:00Z' }))), { mentions: /timestamp/ }],
    ['timestamp in the year 3000', postRaw(J(op({ timestamp: '3000-01-01T00:00:00Z' }))), { mentions: /timestamp/ }],
    ['timestamp "yesterday"', postRaw(J(op({ timestamp: 'yesterday' }))), { mentions: /timestamp/ }],
    ['metadata an array', postRaw(J(op({ metadata: [1] }))), { mentions: /metadata/ }],
    ['success "yes"', postRaw(J(op({ success: 'yes' }))), { mentions: /success/ }],
    ['{"operations": "x"}', postRaw(J({ operations: 'x' })), { mentions: /operations/ }],
    ['one bad operation among 10 (all-or-nothing)', postRaw(J([...Array.from({ length: 5 }, () => op()), op({ duration_ms: -3 }), ...Array.from({ length: 4 }, () => op())])), { mentions: /operations\[5\]/ }],
    ['Content-Type text/plain', postRaw(J(op()), { 'Content-Type': 'text/plain' }), { status: [415] }],
    ['a 10 MB target (body over 1 MB)', postRaw(J(op({ target: 'x'.repeat(10 * MB) }))), { status: [413] }],
    ['Content-Length of 1 GB, no body', () => rawRequest(srv, `POST ${P} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nContent-Length: ${1024 * MB}\r\n\r\n`, 1500).then(parseRaw), { status: [413] }],
    ['an unknown tool name', postRaw(J(op({ tool: 'FrobnicateTool' }))), { status: [200], stores: 1 }],
    ['markup and RTL override in target', postRaw(J(op({ target: '<img src=x onerror=alert(1)> \u202Etxt.exe' }))), { status: [200], stores: 1 }],
  ];
  for (const [name, send, opts = {}] of postCases) {
    tcase(`POST body: ${name}`, async () => { await check('POST /api/performance/operations', name, send, opts.status || [400], opts); });
  }

  // OTLP: whole-body problems are 4xx; a record that cannot be used inside a
  // good batch is dropped, and must be reported in partialSuccess.
  const attr = (key, v) => ({ key, value: typeof v === 'object' ? v : { stringValue: String(v) } });
  const rec = (x = {}) => {
    const a = { 'event.name': 'tool_result', tool_name: 'Grep', tool_use_id: nextId(n++), success: 'true', duration_ms: '12', 'session.id': 's', ...x };
    return { timeUnixNano: String(BigInt(Date.now() - 60000) * 1000000n), attributes: Object.entries(a).map(([k2, v]) => attr(k2, v)) };
  };
  const logs = (recs) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: recs }] }] });
  const postOtlp = (body, headers = { 'Content-Type': 'application/json' }) => () => post(srv, '/v1/logs', body, { headers });
  const otlpCases = [
    ['empty body', postOtlp('')],
    ['truncated JSON', postOtlp(J(logs([rec()])).slice(0, 50))],
    ['not JSON', postOtlp('hello')],
    ['JSON nested 100,000 deep', postOtlp(nested(100000))],
    ['resourceLogs not an array', postOtlp(J({ resourceLogs: 7 }))],
    ['invalid UTF-8 in a tool name', postOtlp(withBytes(J(logs([rec({ tool_name: 'GrMARKep' })])), 'MARK', [0xfe])), { status: [400, 200], stores: 'utf8' }],
    ['gzip bomb (1 GB of zeros)', postOtlp(gzipSync(Buffer.alloc(64 * MB), { level: 9 }), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }), { status: [413] }],
    ['a broken gzip stream', postOtlp(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })],
    ['protobuf with a wrong wire type', postOtlp(Buffer.from([0x0a, 0x02, 0x08, 0x01]), { 'Content-Type': 'application/x-protobuf' }), { protobuf: true, mentions: /wire type varint, expected length-delimited/ }],
    ['protobuf claiming 1 GB', postOtlp(Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x04, 0x00]), { 'Content-Type': 'application/x-protobuf' }), { protobuf: true, mentions: /length 1073741824 runs past the end/ }],
    ['protobuf gzip bomb', postOtlp(gzipSync(Buffer.alloc(64 * MB), { level: 9 }), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }), { status: [413], protobuf: true }],
    ['Content-Type text/plain', postOtlp('{}', { 'Content-Type': 'text/plain' }), { status: [415] }],
  ];
  for (const [name, send, opts = {}] of otlpCases) {
    tcase(`OTLP body: ${name}`, async () => { await check('POST /v1/logs', name, send, opts.status || [400], opts); });
  }
  const otlpRecordCases = [
    ['duration_ms "NaN"', { duration_ms: 'NaN' }],
    ['duration_ms "-5"', { duration_ms: '-5' }],
    ['duration_ms "1e400"', { duration_ms: '1e400' }],
    ['tool_use_id an integer', { tool_use_id: { intValue: '42' } }],
    ['tool_name of 200 characters', { tool_name: 'T'.repeat(200) }],
    ['event.timestamp in the year 3000', { 'event.timestamp': '3000-01-01T00:00:00Z' }],
  ];
  for (const [name, x] of otlpRecordCases) {
    tcase(`OTLP record: ${name}`, async () => {
      const good = rec();
      const bad = rec(x);
      if (x['event.timestamp']) bad.timeUnixNano = String(BigInt(Date.parse('3000-01-01T00:00:00Z')) * 1000000n);
      const before = rows(srv.dataDir);
      const r = await post(srv, '/v1/logs', logs([good, bad]));
      const added = rows(srv.dataDir) - before;
      const ps = r.json?.partialSuccess;
      record({ entry: 'POST /v1/logs (one record)', case: name, outcome: `${r.status} ${short(r.body, 140)}`, stored: `${added} of 2 records (the good one expected)` });
      assert.equal((await get(srv, '/healthz')).status, 200);
      if (r.status === 200) {
        // tool_use_id as an integer may be kept (the id is just text).
        if (added === 2 && /tool_use_id/.test(name)) return;
        assert.ok(added >= 1, 'the good record of the batch was not stored');
        assert.ok(ps && Number(ps.rejectedLogRecords) >= 1 && ps.errorMessage,
          `the bad record was ${added === 2 ? 'stored without its bad value' : 'dropped'} without a word: answer ${short(r.body)} ` +
          '(OTLP/HTTP has partialSuccess {rejectedLogRecords, errorMessage} for this)');
        assert.equal(added, 1, 'the bad record was stored');
      } else {
        assert.ok(r.status >= 400 && r.status < 500);
        assert.equal(added, 0);
        assert.match(r.json?.message || '', /./);
      }
    });
  }

  const queryCases = [
    ['stats?window=abc'], ['stats?window=99999d'], ['stats?window='], ['stats?window=-1d'], ['stats?since=garbage'],
    ['stats?since=2026-01-02&until=2026-01-01'], ['stats?since=1066-10-14', [200, 400]], ['stats?until=3000-01-01', [200, 400]],
    ['stats?tool=%FF'], ['stats?tool=a%00b'], ['stats?project=%C0%AF'], ['stats?tool=' + 'x'.repeat(10000)],
    ['stats?x=1'], ['stats?window=24h&window=7d'], ['stats?window=%'],
    ['slow-operations?limit=-1'], ['slow-operations?limit=1e9'], ['slow-operations?limit=abc'], ['slow-operations?threshold=NaN'],
    ['slow-operations?threshold=-1'], ['slow-operations?threshold=Infinity'], ['slow-operations?threshold=1e400'],
    ['trends?days=0'], ['trends?days=100000'], ['trends?days=7.5'], ['hotspots?limit=0'], ['bottlenecks?limit=99999999999999999999'],
  ];
  // A far past or future bound is a valid question (nothing is stored
  // there); it may be answered or refused, never a 500.
  for (const [q, want = [400]] of queryCases) {
    tcase(`query: ${q.length > 60 ? q.slice(0, 40) + '…' : q}`, async () => {
      const r = await check('query parameter', `/api/performance/${q.length > 60 ? q.slice(0, 40) + '… (10,000 chars)' : q}`, () => get(srv, `/api/performance/${q}`), want);
      const param = q.split('?')[1].split('=')[0];
      if (r.status === 400 && !/since=2026-01-02/.test(q)) assert.ok(r.json.message.includes(param), `the message does not name ${param}: ${r.json.message}`);
    });
  }

  tcase('raw HTTP: a 100 KB request line', async () => {
    const a = await rawRequest(srv, `GET /api/performance/stats?tool=${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`, 1500);
    const status = (a.match(/^HTTP\/1\.1 (\d+)/) || [])[1];
    record({ entry: 'raw HTTP', case: 'a 100 KB request line', outcome: status ? `${status} (connection closed)` : 'connection closed without an answer', stored: 'nothing' });
    assert.equal((await get(srv, '/healthz')).status, 200);
    if (status) assert.match(status, /^4/);
  });

  // The server must close the connection itself (its idle timeout, not a
  // clock here): the test never closes it, and its own timeout ends a
  // connection that stays open.
  tcase('raw HTTP: a body that stops half-way is dropped after the idle timeout', { timeout: 120000 }, async () => {
    const before = rows(srv.dataDir);
    const body = J([op(), op()]);
    const t0 = Date.now();
    const answer = await new Promise((resolve) => {
      const s = net.connect(srv.port, srv.host);
      let data = '';
      s.on('data', (d) => { data += d; });
      s.on('close', () => resolve(data));
      s.on('error', () => {});
      s.write(`POST ${P} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
    });
    const ms = Date.now() - t0;
    record({ entry: 'raw HTTP', case: 'a body that stops half-way', outcome: `closed after ${(ms / 1000).toFixed(1)} s${answer ? ': ' + short(answer.split('\r\n')[0]) : ', no answer'}`, stored: rows(srv.dataDir) - before ? 'rows!' : 'nothing' });
    assert.equal(rows(srv.dataDir), before);
  });

  tcase('raw HTTP: 64 slowloris connections from one address do not shut out another', { timeout: 60000 }, async () => {
    const socks = [];
    for (let i = 0; i < 70; i++) {
      const s = net.connect({ port: srv.port, host: '127.0.0.1' });
      s.on('error', () => {});
      s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nX-A: `);
      socks.push(s);
    }
    await sleep(300);
    // Another local address (the whole of 127/8 is loopback on Linux).
    const other = await new Promise((resolve) => {
      const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      let d = '';
      s.on('data', (x) => { d += x; });
      s.on('error', (e) => resolve('error ' + e.message));
      s.on('close', () => resolve(d));
      s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
      setTimeout(() => { s.destroy(); resolve(d || 'timeout'); }, 3000);
    });
    const open = socks.filter((s) => !s.destroyed).length;
    const t0 = Date.now();
    // The slow ones are cut at the header timeout.
    await Promise.race([Promise.all(socks.map((s) => new Promise((r) => (s.destroyed ? r() : s.on('close', r))))), sleep(30000)]);
    const cut = Date.now() - t0;
    const stillOpen = socks.filter((s) => !s.destroyed).length;
    socks.forEach((s) => s.destroy());
    const same = await get(srv, '/healthz');
    record({ entry: 'raw HTTP', case: '70 slowloris connections from 127.0.0.1', outcome: `127.0.0.2 answered ${(other.match(/^HTTP\/1\.1 (\d+)/) || [, other.slice(0, 40)])[1]}; slow ones cut within ${(cut / 1000).toFixed(1)} s more (${stillOpen} left); 127.0.0.1 then answered ${same.status}`, stored: 'nothing' });
    assert.match(other, /^HTTP\/1\.1 200/, `a client from another address was not served: ${short(other)}`);
    assert.ok(open <= 70);
    assert.equal(stillOpen, 0, 'slow connections still open after 30 s');
    assert.equal(same.status, 200);
  });
});

function parseRaw(text) {
  const m = text.match(/^HTTP\/1\.1 (\d+)/);
  const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status: m ? Number(m[1]) : 0, body, json };
}

// ---- CLI flags ------------------------------------------------------------------------

describe('CLI flags', () => {
  const dir = tempDir('bad-cli');
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'a-file');
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    writeFileSync(file, 'x');
    const r = cli(['--data-dir', dataDir, 'track', '--tool', 'Read', '--duration-ms', '1']);
    assert.equal(r.status, 0, r.stderr);
  });
  const T = ['track', '--tool', 'Read'];
  const cases = [
    ['an unknown flag', ['stats', '--frobnicate'], /frobnicate/],
    ['an unknown command', ['frobnicate'], /frobnicate/],
    ['a flag without its value', ['stats', '--window'], /window/],
    ['--window bogus', ['stats', '--window', 'bogus'], /window/],
    ['--window 99999d', ['stats', '--window', '99999d'], /window/],
    ['--since garbage', ['stats', '--since', 'garbage'], /since/],
    ['--since after --until', ['stats', '--since', '2026-01-02', '--until', '2026-01-01'], /until|since/],
    ['--limit -5', ['slow', '--limit', '-5'], /limit/],
    ['--limit abc', ['slow', '--limit', 'abc'], /limit/],
    ['--threshold NaN', ['slow', '--threshold', 'NaN'], /threshold/],
    ['--days 0', ['trends', '--days', '0'], /days/],
    ['track --duration-ms NaN', [...T, '--duration-ms', 'NaN'], /duration/],
    ['track --duration-ms -1', [...T, '--duration-ms', '-1'], /duration/],
    ['track --duration-ms 1e400', [...T, '--duration-ms', '1e400'], /duration/],
    ['track --duration-ms 1e300', [...T, '--duration-ms', '1e300'], /duration.*(week|range|at most|must)/],
    ['track --duration-ms 5ms', [...T, '--duration-ms', '5ms'], /duration/],
    ['track without --duration-ms', [...T], /duration/],
    ['track --tool ""', ['track', '--tool', '', '--duration-ms', '1'], /tool/],
    ['track --tool of 200 characters', ['track', '--tool', 'T'.repeat(200), '--duration-ms', '1'], /tool/],
    ['track --tool with invalid UTF-8', ['track', '--tool', Buffer.from([0x52, 0xff, 0x61]).toString('latin1'), '--duration-ms', '1'], /tool|UTF-8/i, true],
    ['track --timestamp 3000-01-01', [...T, '--duration-ms', '1', '--timestamp', '3000-01-01T00:00:00Z'], /timestamp/],
    ['track --timestamp 1970-01-01', [...T, '--duration-ms', '1', '--timestamp', '1970-01-01T00:00:00Z'], /timestamp/],
    ['track --timestamp garbage', [...T, '--duration-ms', '1', '--timestamp', 'garbage'], /timestamp/],
    ['track --meta "{bad"', [...T, '--duration-ms', '1', '--meta', '{bad'], /meta/],
    ['track --meta "[1]"', [...T, '--duration-ms', '1', '--meta', '[1]'], /meta/],
    ['track --size-bytes -1', [...T, '--duration-ms', '1', '--size-bytes', '-1'], /size/],
    ['prune --older-than -5d', ['prune', '--older-than', '-5d'], /older/],
    ['prune --older-than abc', ['prune', '--older-than', 'abc'], /older/],
    ['export --format xml', ['export', '--format', 'xml', '--out', '-'], /format/],
    ['import a path that does not exist', ['import', '/nonexistent/x.jsonl'], /nonexistent/],
    ['--data-dir is a file', ['--data-dir', file, 'stats'], /a-file/, false, true],
    ['demo --ops -1', ['demo', '--ops', '-1'], /ops/],
    ['serve --listen bogus', ['serve', '--listen', 'bogus', '--no-watch'], /listen/],
    ['serve --threads 0', ['serve', '--threads', '0', '--no-watch', '--listen', '127.0.0.1:0'], /threads/],
    ['serve --retention 0d', ['serve', '--retention', '0d', '--no-watch', '--listen', '127.0.0.1:0'], /retention/],
  ];
  for (const [name, args, mentions, rawArgs, ownDir] of cases) {
    tcase(`CLI: ${name}`, { timeout: 90000 }, async () => {
      const before = rows(dataDir);
      const full = ownDir ? args : ['--data-dir', dataDir, ...args];
      let r;
      if (rawArgs) {
        // Bytes that are not UTF-8 go through bash's $'..' quoting.
        const q = full.map((a) => "$'" + [...Buffer.from(a, 'latin1')].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('') + "'").join(' ');
        r = await run('bash', ['-c', `exec "$0" ${q}`, BIN]);
      } else {
        // A serve that started by mistake runs until killed: its listening
        // line says so (no clock involved).
        let out = '';
        r = await run(BIN, full, {
          onSpawn: (p) => p.stdout.on('data', (d) => {
            out += d;
            if (/^listening on /m.test(out)) p.kill('SIGKILL');
          }),
        });
      }
      const added = rows(dataDir) - before;
      const outcome = r.signal === 'SIGKILL' ? 'accepted: the server started (stopped by the test)'
        : `exit ${r.code ?? r.signal}: ${short(r.stderr.split('\n')[0].replace(dir, '…'), 140) || '(nothing printed)'}`;
      record({ entry: 'CLI flag', case: name, outcome, stored: added ? `${added} row${added > 1 ? 's' : ''}` : 'nothing' });
      assert.notEqual(r.signal, 'SIGSEGV');
      assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code ?? r.signal}`);
      assert.ok(r.stderr.trim().length > 0, 'nothing on stderr');
      assert.match(r.stderr, mentions, 'the message does not name the problem');
      assert.equal(added, 0, 'stored something');
    });
  }
});
