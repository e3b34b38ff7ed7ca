// limits.test.mjs - 404, 405, 413 (announced and chunked), slow clients.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { get, post, rawRequest, request, startServer } from './lib.mjs';

const API = '/api/performance';
const MiB = 1024 * 1024;

describe('routing and size limits', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  test('404 JSON for unknown paths', async () => {
    for (const p of [`${API}/nope`, '/api/x', '/nope', '/vendor/nope.js', '/static/../index.html',
      `${API}/stats/`, `${API}/STATS`]) {
      const r = await get(srv, p);
      assert.equal(r.status, 404, p);
      assert.equal(r.json.success, false);
    }
  });

  test('405 with Allow for the wrong method', async () => {
    const r = await post(srv, `${API}/stats`, {});
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
    const g = await get(srv, `${API}/operations`);
    assert.equal(g.status, 405);
    assert.equal(g.headers.allow, 'POST');
    for (const m of ['PUT', 'DELETE', 'PATCH']) {
      const x = await request(srv, `${API}/stats`, { method: m });
      assert.equal(x.status, 405, m);
    }
    const head = await request(srv, `${API}/stats`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('413 from Content-Length, before the body is read', async () => {
    // Announce 1 GiB but send nothing: the answer must not wait for the body.
    const answer = await rawRequest(srv,
      `POST ${API}/operations HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${1024 * MiB}\r\n\r\n`, 1500);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"success":false/);
  });

  test('413 for an oversized body sent whole (drained, so the client reads the answer)', async () => {
    const big = JSON.stringify([{ tool: 'Read', duration_ms: 1, target: 'x'.repeat(MiB) }]);
    const r = await post(srv, `${API}/operations`, big, { headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 413);
    assert.match(r.json.message, /body/);
  });

  test('413 for an oversized chunked upload, at its end', async () => {
    const big = JSON.stringify([{ tool: 'Read', duration_ms: 1, target: 'x'.repeat(MiB + 10) }]);
    const r = await post(srv, `${API}/operations`, big, {
      headers: { 'Content-Type': 'application/json' }, chunked: true,
    });
    assert.equal(r.status, 413);
    // The connection is still usable for the server: a next request works.
    assert.equal((await get(srv, '/healthz')).status, 200);
  });

  test('a chunked upload under the cap is stored', async () => {
    const r = await post(srv, `${API}/operations`, JSON.stringify({ tool: 'Glob', duration_ms: 3 }), {
      headers: { 'Content-Type': 'application/json' }, chunked: true,
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.inserted, 1);
  });

  test('Expect: 100-continue with a body over the cap gets 413, not 100', async () => {
    const answer = await rawRequest(srv,
      `POST ${API}/operations HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${5 * MiB}\r\nExpect: 100-continue\r\n\r\n`, 1500);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });

  test('malformed HTTP does not take the server down', async () => {
    await rawRequest(srv, 'GARBAGE\r\n\r\n', 500);
    await rawRequest(srv, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nX: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 500);
    assert.equal((await get(srv, '/healthz')).status, 200);
  });
});

describe('slow clients', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  // The server must close the connection itself: the test never does, and
  // its own timeout ends one that stays open (no clock of its own here).
  test('a client sending its headers one byte a second is disconnected', { timeout: 120000 }, async () => {
    await new Promise((resolve) => {
      const sock = net.connect(srv.port, srv.host);
      const text = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nX-Slow: ${'a'.repeat(100)}`;
      let i = 0;
      let timer;
      const tick = () => {
        if (sock.destroyed) return;
        sock.write(text[i++ % text.length]);
        timer = setTimeout(tick, 1000);
      };
      sock.on('connect', tick);
      sock.on('close', () => { clearTimeout(timer); resolve(); });
      sock.on('error', () => {});
    });
    // The server still answers others.
    assert.equal((await get(srv, '/healthz')).status, 200);
  });
});
