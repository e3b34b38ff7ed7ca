// security.test.mjs - the laptop defaults: Host and Origin checks, the
// token, the headers every answer carries, no CORS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, post, request, startServer } from './lib.mjs';

const API = '/api/performance';

describe('Host and Origin checks (loopback bind)', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  test('the loopback names are accepted', async () => {
    for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`,
      `LocalHost:${srv.port}`]) {
      const r = await get(srv, '/healthz', { host });
      assert.equal(r.status, 200, `${host}: ${r.body}`);
    }
  });

  test('a foreign Host is refused (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${srv.port}`, `127.0.0.1:${srv.port + 1}`,
      '127.0.0.1', `localhost:${srv.port}@evil`, '']) {
      const r = await get(srv, `${API}/stats`, { host });
      assert.equal(r.status, 403, `Host "${host}" gave ${r.status}`);
      assert.equal(r.json.success, false);
      assert.match(r.json.message, /^Host/);
    }
  });

  test('cross-origin requests are refused', async () => {
    const op = { tool: 'Read', duration_ms: 1 };
    const evil = await post(srv, `${API}/operations`, op, { headers: { Origin: 'http://evil.example' } });
    assert.equal(evil.status, 403);
    assert.match(evil.json.message, /^Origin/);
    const nul = await post(srv, `${API}/operations`, op, { headers: { Origin: 'null' } });
    assert.equal(nul.status, 403);
    const otherPort = await get(srv, `${API}/stats`, { headers: { Origin: `http://localhost:${srv.port + 1}` } });
    assert.equal(otherPort.status, 403);
    const site = await post(srv, `${API}/operations`, op, { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    assert.equal(site.status, 403);
    assert.match(site.json.message, /^Sec-Fetch-Site/);
    const same = await post(srv, `${API}/operations`, op, {
      headers: { Origin: `http://127.0.0.1:${srv.port}`, 'Sec-Fetch-Site': 'same-origin' },
    });
    assert.equal(same.status, 200, same.body);
  });

  test('no CORS, and the security headers on every answer', async () => {
    const answers = [
      await get(srv, '/healthz'),
      await get(srv, `${API}/stats`),
      await get(srv, `${API}/nope`),
      await get(srv, `${API}/stats`, { host: 'evil.example' }),
      await get(srv, '/performance-profiling'),
      await get(srv, '/vendor/chart.umd.js'),
      await request(srv, `${API}/stats`, { method: 'OPTIONS', headers: { Origin: `http://127.0.0.1:${srv.port}`, 'Access-Control-Request-Method': 'POST' } }),
    ];
    for (const r of answers) {
      assert.equal(r.headers['content-security-policy'],
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'");
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
    assert.equal(answers[6].status, 405);
  });
});

describe('token mode', () => {
  const token = 'test-token-0123456789';
  let srv;
  before(async () => { srv = await startServer({ token }); });
  after(() => srv.stop());

  test('401 without the token, 200 with it', async () => {
    for (const p of [`${API}/stats`, `${API}/tools`, '/metrics', '/performance-profiling', `${API}/unknown`]) {
      const r = await get(srv, p);
      assert.equal(r.status, 401, `${p}: ${r.status}`);
      assert.equal(r.json.success, false);
      assert.match(r.headers['www-authenticate'], /^Bearer/);
    }
    for (const p of [`${API}/stats`, `${API}/tools`, '/metrics', '/performance-profiling']) {
      const r = await get(srv, p, { token });
      assert.equal(r.status, 200, `${p}: ${r.status} ${r.body}`);
    }
  });

  test('a wrong token, another scheme, or a prefix is refused', async () => {
    for (const auth of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token, 'Bearer ']) {
      const r = await get(srv, `${API}/stats`, { headers: { Authorization: auth } });
      assert.equal(r.status, 401, auth);
    }
  });

  test('writes need the token too', async () => {
    const op = { tool: 'Read', duration_ms: 1 };
    assert.equal((await post(srv, `${API}/operations`, op)).status, 401);
    assert.equal((await post(srv, `${API}/operations`, op, { token })).status, 200);
    assert.equal((await post(srv, '/v1/logs', {})).status, 401);
  });

  test('the page takes ?token= once and keeps it in an HttpOnly cookie', async () => {
    const first = await get(srv, `/performance-profiling?token=${token}&window=7d`);
    assert.equal(first.status, 303);
    // The token leaves the address: the redirect keeps the other parameters.
    assert.equal(first.headers.location, '/performance-profiling?window=7d');
    const cookie = first.headers['set-cookie'][0];
    assert.match(cookie, new RegExp(`^toolprof_token=${token};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const jar = { Cookie: cookie.split(';')[0] };
    const page = await get(srv, '/performance-profiling?window=7d', { headers: jar });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    // The cookie carries the token to the API; a wrong Bearer header is
    // still refused even with a good cookie.
    assert.equal((await get(srv, `${API}/stats`, { headers: jar })).status, 200);
    assert.equal((await get(srv, `${API}/stats`, { headers: jar, token: 'wrong-token-123' })).status, 401);
    assert.equal((await get(srv, '/performance-profiling?token=nope')).status, 401);
    assert.equal((await get(srv, '/performance-profiling')).status, 401);
    assert.equal((await get(srv, '/performance-profiling', { headers: { Cookie: 'toolprof_token=nope' } })).status, 401);
    // The API itself does not take the token from the query.
    assert.equal((await get(srv, `${API}/stats?token=${token}`)).status, 401);
  });

  test('health, static files and the redirect stay open', async () => {
    assert.equal((await get(srv, '/healthz')).status, 200);
    assert.equal((await get(srv, '/vendor/chart.umd.js')).status, 200);
    const root = await get(srv, `/?token=${token}`);
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, `/performance-profiling?token=${token}`);
  });
});
