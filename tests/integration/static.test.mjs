// static.test.mjs - the dashboard page and its files: redirect, ETag and
// 304, Cache-Control, gzip.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { get, startServer } from './lib.mjs';

describe('dashboard files', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  test('/ redirects to the page', async () => {
    const r = await get(srv, '/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/performance-profiling');
  });

  test('the page is HTML, revalidated every time', async () => {
    const r = await get(srv, '/performance-profiling');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(r.headers.etag, /^"[0-9a-f]+"$/);
    assert.equal(r.headers.vary, 'Accept-Encoding');
  });

  test('ETag / If-None-Match gives 304 without a body', async () => {
    for (const p of ['/performance-profiling', '/static/app.js', '/vendor/chart.umd.js']) {
      const first = await get(srv, p);
      assert.equal(first.status, 200, p);
      const again = await get(srv, p, { headers: { 'If-None-Match': first.headers.etag } });
      assert.equal(again.status, 304, p);
      assert.equal(again.body, '');
      assert.equal(again.headers.etag, first.headers.etag);
      const weak = await get(srv, p, { headers: { 'If-None-Match': `"nope", W/${first.headers.etag}` } });
      assert.equal(weak.status, 304, p);
      const other = await get(srv, p, { headers: { 'If-None-Match': '"nope"' } });
      assert.equal(other.status, 200, p);
    }
  });

  test('vendor files are cached for a day, ours revalidated', async () => {
    const v = await get(srv, '/vendor/chart.umd.js');
    assert.equal(v.headers['cache-control'], 'public, max-age=86400');
    assert.match(v.headers['content-type'], /javascript/);
    const l = await get(srv, '/licenses/chart.js.txt');
    assert.equal(l.status, 200);
    const own = await get(srv, '/static/app.js');
    assert.equal(own.headers['cache-control'], 'no-cache');
  });

  test('gzip when accepted, identical bytes once inflated', async () => {
    const plain = await get(srv, '/vendor/chart.umd.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await get(srv, '/vendor/chart.umd.js', { headers: { 'Accept-Encoding': 'gzip, br' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.ok(gz.raw.length < plain.raw.length / 2);
    assert.ok(zlib.gunzipSync(gz.raw).equals(plain.raw));
    const refused = await get(srv, '/vendor/chart.umd.js', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  test('/healthz', async () => {
    const r = await get(srv, '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
  });
});
