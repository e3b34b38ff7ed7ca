// clickhouse.mjs - a real ClickHouse server for the team tests.
//
// Debian's clickhouse-server (18.16 on Debian 12) runs with its own
// configuration in a temporary directory: loopback only, free ports, data,
// logs and temporary files inside that directory, small caches (the test
// machine has 2 cores and other work). The same directory can be started
// again after a kill, which is how the tests take ClickHouse away in the
// middle of a push and bring it back with its data.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export function clickhouseBinary() {
  for (const p of [process.env.CLICKHOUSE_SERVER, '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// One SQL statement over HTTP; resolves to {status, body}.
export function chQuery(port, sql) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error('ClickHouse query timed out')));
    req.end(sql);
  });
}

function config(dir, httpPort, tcpPort) {
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/server.log</log>
    <errorlog>${dir}/log/error.log</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>64</max_concurrent_queries>
  <keep_alive_timeout>10</keep_alive_timeout>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
`;

// Start ClickHouse on dir (created or reused). Resolves to
// {port, dir, proc, exited, stderr(), kill(sig), stop(), restart()}.
export async function startClickHouse(dir, ports = null) {
  const bin = clickhouseBinary();
  if (!bin) throw new Error('clickhouse-server is not installed (tests/deps.sh test installs it)');
  for (const d of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, d), { recursive: true });
  const httpPort = ports ? ports.http : await freePort();
  const tcpPort = ports ? ports.tcp : await freePort();
  writeFileSync(path.join(dir, 'config.xml'), config(dir, httpPort, tcpPort));
  writeFileSync(path.join(dir, 'users.xml'), USERS);
  const proc = spawn(bin, [`--config-file=${path.join(dir, 'config.xml')}`], {
    stdio: ['ignore', 'pipe', 'pipe'], cwd: dir,
  });
  let err = '';
  proc.stdout.on('data', (d) => { err += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  let up = false;
  let died = null;
  exited.then((r) => { died = r; });
  while (!up) {
    if (died) throw new Error(`clickhouse-server exited (${died.code ?? died.signal}) while starting: ${err}\n${errorLog(dir)}`);
    if (Date.now() - started > 90000) {
      proc.kill('SIGKILL');
      throw new Error(`clickhouse-server did not answer within 90 s: ${err}\n${errorLog(dir)}`);
    }
    try {
      const r = await chQuery(httpPort, 'SELECT 1');
      up = r.status === 200 && r.body === '1\n';
    } catch { /* not listening yet */ }
    if (!up) await new Promise((r) => setTimeout(r, 200));
  }
  const ch = {
    port: httpPort, tcpPort, dir, proc, exited,
    startMs: Date.now() - started,
    stderr: () => err,
    url: (db) => `clickhouse://127.0.0.1:${httpPort}/${db}`,
    query: (sql) => chQuery(httpPort, sql),
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    restart: () => startClickHouse(dir, { http: httpPort, tcp: tcpPort }),
  };
  return ch;
}

export function errorLog(dir) {
  const p = path.join(dir, 'log', 'error.log');
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}
