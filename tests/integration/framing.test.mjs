// framing.test.mjs - request smuggling: a body whose length is given twice,
// or two ways (Content-Length and Transfer-Encoding: chunked), is refused
// with a 400 before any of it is read, the connection is closed, nothing is
// stored, and the bytes after it are never read as a request of their own.
//
// Each request carries one real operation ("Read") as its body, followed by
// a whole second request that stores "Smuggled": what a proxy in front would
// see as part of the body when it reads the other length. Before the fix
// both were stored. The bytes go over raw sockets (node's http client will
// not send these shapes), each case against a fresh server, which must exit
// 0 at the end with nothing on stderr.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

import { startServer } from './lib.mjs';

const P = '/api/performance/operations';
const OUTER = JSON.stringify({ tool: 'Read', duration_ms: 5 });
const SMUGGLED_BODY = JSON.stringify({ tool: 'Smuggled', duration_ms: 7 });

function smuggled(port) {
  return `POST ${P} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${SMUGGLED_BODY.length}\r\n\r\n${SMUGGLED_BODY}`;
}

const head = (port) => `POST ${P} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n`;
const chunk = (s) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

// Send bytes on a new connection; resolves to {text, closed} once the
// server closes it (closed: true) or after waitMs without that.
function exchange(port, bytes, waitMs = 5000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    sock.on('data', (d) => { text += d; });
    sock.on('end', () => finish(true));
    // A reset after the answer (the server closes with our unread bytes in
    // its buffer) still means it closed; the answer was read before it.
    sock.on('error', () => finish(true));
    sock.write(bytes);
  });
}

// The answers in a byte stream: each status line with its JSON body.
function answers(text) {
  const out = [];
  for (const m of text.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n/g)) {
    const headers = m[2];
    const len = Number((headers.match(/^content-length: *(\d+)/im) || [])[1] || 0);
    const start = m.index + m[0].length;
    const body = text.slice(start, start + len);
    let json;
    try { json = JSON.parse(body); } catch { json = undefined; }
    out.push({ status: Number(m[1]), headers, json });
  }
  return out;
}

// What the data directory holds, read with sqlite3 after the server stopped.
function stored(dataDir) {
  const db = path.join(dataDir, 'toolprof.db');
  const q = (sql) => {
    const r = spawnSync('sqlite3', ['-batch', db, sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
    return r.stdout.trim();
  };
  return {
    ops: Number(q('SELECT count(*) FROM ops')),
    smuggled: Number(q("SELECT count(*) FROM strs WHERE s = 'Smuggled'")),
  };
}

// Run one exchange against a fresh server; returns the answers and what
// was stored, after checking that the server exited 0 with stderr empty.
async function run(build) {
  const srv = await startServer({ keepDir: true });
  try {
    const r = await exchange(srv.port, build(srv.port));
    const { code, signal } = await srv.stop();
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.equal(srv.stderr(), '', 'nothing on stderr');
    return { ...r, list: answers(r.text), db: stored(srv.dataDir) };
  } finally {
    if (srv.proc.exitCode === null) await srv.stop();
    rmSync(srv.dataDir, { recursive: true, force: true });
  }
}

function assertRefused(r, message) {
  assert.equal(r.list.length, 1, `one answer only, got: ${JSON.stringify(r.text)}`);
  assert.equal(r.list[0].status, 400, r.text);
  assert.equal(r.list[0].json?.success, false);
  assert.match(r.list[0].json.message, message);
  assert.match(r.list[0].headers, /^connection: close\r$/im);
  assert.equal(r.closed, true, 'the server closed the connection');
  assert.deepEqual(r.db, { ops: 0, smuggled: 0 }, 'nothing stored');
}

describe('request smuggling', () => {
  test('two Content-Length values: 400, nothing stored', async () => {
    // MHD reads the first; a proxy that reads the second sends both
    // requests as one body.
    const r = await run((port) => {
      const inner = smuggled(port);
      return head(port) + `Content-Length: ${OUTER.length}\r\n` +
        `Content-Length: ${OUTER.length + inner.length}\r\n\r\n${OUTER}${inner}`;
    });
    assertRefused(r, /^Content-Length given 2 times with different values \(31 and \d+\): the body's length is ambiguous$/);
  });

  test('Transfer-Encoding: chunked with Content-Length: 400, nothing stored', async () => {
    // MHD reads the chunks; a proxy that reads Content-Length sends the
    // smuggled request after the last chunk as part of this one.
    const r = await run((port) => {
      const body = chunk(OUTER) + '0\r\n\r\n' + smuggled(port);
      return head(port) + `Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    });
    assertRefused(r, /^Transfer-Encoding and Content-Length together: the body's length is ambiguous/);
  });

  test('Content-Length before Transfer-Encoding: chunked: 400, nothing stored', async () => {
    // The other proxy behaviour: it reads the chunks, MHD (before the fix)
    // too, but a proxy reading Content-Length stops early.
    const r = await run((port) => {
      const body = chunk(OUTER) + '0\r\n\r\n';
      return head(port) + `Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${body}${smuggled(port)}`;
    });
    assertRefused(r, /^Transfer-Encoding and Content-Length together/);
  });

  test('two identical Content-Length values are refused too (one rule: the length is given once)', async () => {
    const r = await run((port) => head(port) +
      `Content-Length: ${OUTER.length}\r\nContent-Length: ${OUTER.length}\r\n\r\n${OUTER}`);
    assertRefused(r, /^Content-Length given 2 times: send it once$/);
  });

  test('a space before the colon of Content-Length: 400, nothing stored', async () => {
    // MHD keeps "Content-Length " as an unknown header and reads no body;
    // a proxy that trims the space frames the body by it.
    const r = await run((port) => head(port) +
      `Content-Length : ${OUTER.length + smuggled(port).length}\r\n\r\n${OUTER}${smuggled(port)}`);
    assertRefused(r, /a space or tab before the colon/);
  });

  test('Transfer-Encoding other than chunked: 501, nothing stored', async () => {
    const r = await run((port) => head(port) +
      `Transfer-Encoding: gzip, chunked\r\n\r\n${chunk(OUTER)}0\r\n\r\n`);
    assert.equal(r.list.length, 1, r.text);
    assert.equal(r.list[0].status, 501);
    assert.match(r.list[0].json.message, /^Transfer-Encoding: gzip, chunked: only chunked is supported/);
    assert.equal(r.closed, true);
    assert.deepEqual(r.db, { ops: 0, smuggled: 0 });
  });

  // The controls: the same bytes framed one way are stored, once.
  test('chunked alone (as Claude Code sends OTLP) is stored', async () => {
    const r = await run((port) => head(port) + `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      chunk(OUTER.slice(0, 10)) + chunk(OUTER.slice(10)) + '0\r\n\r\n');
    assert.equal(r.list.length, 1, r.text);
    assert.equal(r.list[0].status, 200, r.text);
    assert.equal(r.list[0].json.inserted, 1);
    assert.deepEqual(r.db, { ops: 1, smuggled: 0 });
  });

  test('one Content-Length is stored, and a second request on the connection too', async () => {
    const r = await run((port) => head(port) + `Content-Length: ${OUTER.length}\r\n\r\n${OUTER}` +
      smuggled(port).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    assert.deepEqual(r.list.map((a) => a.status), [200, 200], r.text);
    assert.deepEqual(r.db, { ops: 2, smuggled: 1 });
  });
});
