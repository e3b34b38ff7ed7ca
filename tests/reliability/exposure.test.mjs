// exposure.test.mjs - who can reach toolprof.
//
// 1. With default settings nothing outside loopback can connect: the
//    server is started as `toolprof serve` (no --listen: 127.0.0.1:5000,
//    when that port is free) and as `--listen 127.0.0.1:0`, and a TCP
//    connection to the bound port on every non-loopback address of the
//    machine (IPv4 and IPv6) is refused. A machine without one gets a
//    dummy interface for the test (root), else the case is skipped with the
//    reason.
// 2. A foreign Host (DNS rebinding) or Origin (a web page elsewhere) is
//    refused with 403 on every route that holds data.
// 3. Listening beyond loopback needs a token; with one, every API call,
//    /metrics, the OTLP receiver and the dashboard answer 401 without it
//    (or with a wrong one), reached over a non-loopback address.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';

import { BIN, checkExit, recordFigures, request, run, startServer, tempDir } from './lib.mjs';

const API = '/api/performance';
const DATA_ROUTES = [
  ['GET', `${API}/stats`], ['GET', `${API}/slow-operations`], ['GET', `${API}/bottlenecks`],
  ['GET', `${API}/hotspots`], ['GET', `${API}/recommendations`], ['GET', `${API}/trends`],
  ['GET', `${API}/resources`], ['GET', `${API}/tools`], ['POST', `${API}/operations`],
  ['GET', `${API}/nope`], ['POST', '/v1/logs'], ['POST', '/v1/metrics'], ['POST', '/v1/traces'],
  ['GET', '/metrics'], ['GET', '/performance-profiling'], ['HEAD', `${API}/stats`],
];
const figures = {};

// Non-loopback addresses of this machine: [{address, family, scopeid}].
function externalAddresses() {
  const out = [];
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    for (const a of list || []) {
      if (a.internal) continue;
      out.push({ ...a, iface: name });
    }
  }
  return out;
}

let dummy = null;
after(() => { if (dummy) spawnSync('ip', ['link', 'del', dummy]); });

// The machine's non-loopback addresses, with at least one IPv4 address
// among them: without one, a dummy interface gets a documentation address
// (root; CI runs as root). Returns {addrs} or {addrs: [], reason}.
function ensureExternalAddress() {
  let addrs = externalAddresses();
  if (addrs.some((a) => a.family === 'IPv4')) return { addrs };
  if (dummy) return { addrs: [], reason: 'the dummy interface has no IPv4 address' };
  const cmds = [['link', 'add', 'tpdummy0', 'type', 'dummy'], ['addr', 'add', '198.51.100.7/32', 'dev', 'tpdummy0'],
    ['link', 'set', 'tpdummy0', 'up']];
  for (const c of cmds) {
    const r = spawnSync('ip', c, { encoding: 'utf8' });
    if (r.status !== 0) return { addrs: [], reason: `no non-loopback IPv4 address, and cannot make one (ip ${c.join(' ')}: ${(r.stderr || r.error?.message || '').trim()})` };
    if (c[0] === 'link' && c[1] === 'add') dummy = 'tpdummy0';
  }
  addrs = externalAddresses();
  return { addrs };
}

function connectTo(address, port, scopeid, iface) {
  return new Promise((resolve) => {
    const host = address.includes(':') && address.startsWith('fe80') ? `${address}%${iface}` : address;
    const s = net.connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, 3000);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve('connected'); });
    s.on('error', (e) => { clearTimeout(t); resolve(e.code); });
  });
}

const portFree = (port) => new Promise((resolve) => {
  const s = net.createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});

// The addresses a process listens on, from ss (e.g. ["127.0.0.1:5000"]).
function listening(pid) {
  const r = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3]);
}

describe('default settings: loopback only', () => {
  let ext;
  before(() => { ext = ensureExternalAddress(); });

  for (const mode of ['no --listen (127.0.0.1:5000)', '--listen 127.0.0.1:0']) {
    test(`${mode}: every non-loopback address of the machine is refused`, async (t) => {
      if (!ext.addrs.length) { t.skip(ext.reason); return; }
      let srv;
      if (mode.startsWith('no')) {
        if (!(await portFree(5000))) { t.skip('port 5000 is taken on this machine'); return; }
        srv = await startServerDefault(tempDir('exp-home'));
      } else {
        srv = await startServer();
      }
      try {
        const bound = listening(srv.proc.pid);
        const tried = [];
        for (const a of ext.addrs) {
          const r = await connectTo(a.address, srv.port, a.scopeid, a.iface);
          tried.push(`${a.address}: ${r}`);
        }
        const loop = await connectTo('127.0.0.1', srv.port);
        figures[mode] = { port: srv.port, bound, tried };
        assert.equal(loop, 'connected', 'the server does not answer on loopback');
        if (bound) assert.deepEqual(bound, [`127.0.0.1:${srv.port}`], 'bound addresses');
        for (const line of tried) assert.match(line, /ECONNREFUSED$/, `a non-loopback address connected: ${line}`);
      } finally {
        await srv.stop();
      }
    });
  }
});

// `toolprof serve` with no --listen and no --token, as a user runs it
// (with a HOME of its own); it must pick 127.0.0.1:5000.
async function startServerDefault(home) {
  const srv = await startServer({ listen: false, env: { HOME: home } });
  const stop = srv.stop;
  srv.stop = async (...a) => {
    try {
      return await stop(...a);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  assert.equal(srv.host, '127.0.0.1');
  assert.equal(srv.port, 5000);
  return srv;
}

describe('foreign Host and Origin', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(() => srv.stop());

  test('a foreign Host is refused on every data route (DNS rebinding)', async () => {
    let n = 0;
    for (const [method, p] of DATA_ROUTES) {
      for (const host of ['evil.example', `evil.example:${srv.port}`, `attacker.127.0.0.1.nip.io:${srv.port}`, `192.0.2.2:${srv.port}`]) {
        const r = await request(srv, p, { method, host, body: method === 'POST' ? '{}' : undefined, headers: method === 'POST' ? { 'Content-Type': 'application/json' } : {} });
        assert.equal(r.status, 403, `${method} ${p} Host ${host}: ${r.status}`);
        n++;
      }
    }
    figures.foreign_host_requests = n;
  });

  test('a foreign Origin is refused on every data route (a web page elsewhere)', async () => {
    let n = 0;
    for (const [method, p] of DATA_ROUTES) {
      for (const origin of ['http://evil.example', 'https://evil.example', 'null', `http://localhost:${srv.port + 1}`, `http://127.0.0.1:${srv.port}.evil.example`]) {
        const r = await request(srv, p, { method, headers: { Origin: origin, ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) }, body: method === 'POST' ? '{"tool":"Read","duration_ms":1}' : undefined });
        assert.equal(r.status, 403, `${method} ${p} Origin ${origin}: ${r.status}`);
        n++;
      }
    }
    figures.foreign_origin_requests = n;
  });
});

describe('beyond loopback: a token is required', () => {
  test('--listen 0.0.0.0, a machine address, or [::] without a token: refused at start', async () => {
    const ext = externalAddresses().filter((a) => a.family === 'IPv4');
    const listens = ['0.0.0.0:0', '[::]:0', ...ext.slice(0, 1).map((a) => `${a.address}:0`)];
    for (const l of listens) {
      const dir = tempDir('exp-pub');
      const r = await run(BIN, ['--data-dir', dir, 'serve', '--listen', l, '--no-watch'], { env: { ...process.env, TOOLPROF_TOKEN: '' } });
      rmSync(dir, { recursive: true, force: true });
      checkExit(`serve --listen ${l}`, r, 'nonzero');
      assert.match(r.stderr, /token/i, l);
      assert.equal(r.stdout, '');
    }
    figures.refused_listens = listens;
  });

  test('with a token, over a non-loopback address: 401 for every API call and the dashboard without it', async (t) => {
    const found = ensureExternalAddress();
    const ext = found.addrs.filter((a) => a.family === 'IPv4');
    if (!ext.length) { t.skip(found.reason); return; }
    const token = 'exposure-test-token-8c1f2e';
    const srv = await startServer({ listen: '0.0.0.0:0', token });
    const remote = { ...srv, host: ext[0].address };
    try {
      let refused = 0;
      for (const [method, p] of DATA_ROUTES) {
        for (const auth of [undefined, 'Bearer wrong-token-xxxxxxxxxxxx', `Bearer ${token}x`, `Basic ${token}`]) {
          const headers = { ...(auth ? { Authorization: auth } : {}), ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) };
          const r = await request(remote, p, { method, headers, host: `${remote.host}:${srv.port}`, body: method === 'POST' ? '{"tool":"Read","duration_ms":1}' : undefined });
          assert.equal(r.status, 401, `${method} ${p} (${auth || 'no token'}): ${r.status}`);
          refused++;
        }
        // The token in the query string does not open the API.
        if (p.startsWith('/api/')) {
          const r = await request(remote, `${p}?token=${token}`, { method, host: `${remote.host}:${srv.port}` });
          assert.equal(r.status, 401, `${p}?token=`);
          refused++;
        }
      }
      // With it, everything answers.
      for (const [method, p] of DATA_ROUTES.filter(([, x]) => !x.endsWith('/nope'))) {
        const headers = { Authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) };
        const r = await request(remote, p, { method, headers, host: `${remote.host}:${srv.port}`, body: method === 'POST' ? '{"tool":"Read","duration_ms":1}' : undefined });
        assert.equal(r.status, 200, `${method} ${p} with the token: ${r.status} ${r.body.slice(0, 200)}`);
      }
      figures.token = { address: remote.host, refused_without_token: refused };
    } finally {
      await srv.stop();
    }
  });

  after(() => recordFigures('exposure', figures));
});
