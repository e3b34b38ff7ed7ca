// bench/team.mjs - the team server on ClickHouse (issue 13's bench), run by
// bench/team.sh (`make bench-team`), not by `make test`.
//
// One machine's store holds OPS synthetic calls over DAYS days (`toolprof
// demo`, SQLite). A real ClickHouse (Debian's clickhouse-server, its own
// configuration in a scratch directory, loopback ports: tests/team/
// clickhouse.mjs) backs a team server; the machine pushes everything to it
// in batches of BATCH calls, and the ingest rate is the calls over the time
// from the push's start until the team server has written them all
// (/healthz: nothing queued). Then bench_query asks stats, trends and
// hotspots for 7 days RUNS times in-process against the ClickHouse store
// and against the machine's SQLite store holding the same calls, and
// prints min, median, p99 and max of each.
//
//   node bench/team.mjs WORK BENCH_QUERY_BIN
// Environment: BENCH_TEAM_OPS (default 20000000), BENCH_TEAM_DAYS (30),
// BENCH_TEAM_BATCH (50000), BENCH_TEAM_RUNS (100).

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import { BIN, checkAllStopped, eventually, request, startServer } from '../tests/integration/lib.mjs';
import { startClickHouse } from '../tests/team/clickhouse.mjs';

const [work, benchQuery] = process.argv.slice(2);
const OPS = Number(process.env.BENCH_TEAM_OPS || 20000000);
const DAYS = Number(process.env.BENCH_TEAM_DAYS || 30);
const BATCH = Number(process.env.BENCH_TEAM_BATCH || 50000);
const RUNS = Number(process.env.BENCH_TEAM_RUNS || 100);
const DB = 'toolprof_bench';

function sh(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, TOOLPROF_STORE: '', ...env }, maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return { ...r, s };
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const machine = path.join(work, 'machine');
console.log(`# ${OPS} calls over ${DAYS} days, pushed in batches of ${BATCH}; ${RUNS} timed runs per question`);
const demo = sh(BIN, ['--data-dir', machine, 'demo', '--ops', String(OPS), '--days', String(DAYS), '--seed', '1', '--force', '--quiet']);
console.log(`machine store filled (SQLite, toolprof demo): ${demo.s.toFixed(1)} s`);

const ch = await startClickHouse(path.join(work, 'clickhouse'));
console.log(`clickhouse-server answered after ${ch.startMs} ms`);
const teamDir = path.join(work, 'team');
const team = await startServer({ dataDir: teamDir, env: { TOOLPROF_STORE: ch.url(DB) }, keepDir: true });
console.log(`team server on ${team.base}`);
const token = sh(BIN, ['--data-dir', teamDir, 'token', 'add', 'bench']).stdout.trim();
try {
  const t0 = process.hrtime.bigint();
  const push = sh(BIN, ['--data-dir', machine, 'push', '--to', team.base, '--token', token, '--host', 'bench-box', '--batch', String(BATCH)]);
  console.log(`push sent in ${push.s.toFixed(1)} s`);
  let last = 0;
  const drained = await eventually(async () => {
    const r = await request(team, '/healthz');
    if (Date.now() - last > 10000) {
      last = Date.now();
      console.log(`  writing: ${JSON.stringify(r.json.clickhouse)}`);
    }
    return r.status === 200 && r.json.clickhouse && r.json.clickhouse.queued_operations === 0 && r.json.clickhouse.batches_to_finish === 0;
  }, 3600000, 200);
  if (!drained) throw new Error('the team server did not finish writing');
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const stored = Number((await ch.query(`SELECT sum(sign) FROM ${DB}.ops`)).body);
  console.log(`push: ${push.stdout.trim().split('\n').pop()}`);
  console.log(`ingest through the team server into ClickHouse: ${OPS} calls in ${s.toFixed(1)} s = ${Math.round(OPS / s)} calls/s (push alone ${push.s.toFixed(1)} s); ClickHouse holds ${stored}`);
  if (stored !== OPS) throw new Error(`ClickHouse holds ${stored} calls, not ${OPS}`);
  await team.stop();

  for (const [label, env, dir] of [['clickhouse', { TOOLPROF_STORE: ch.url(DB) }, teamDir], ['sqlite', {}, machine]]) {
    for (const q of ['stats-7d', 'trends-7d', 'hotspots-7d']) {
      const r = sh(benchQuery, [dir, String(RUNS), '3', q], env);
      console.log(`${label.padEnd(10)} ${r.stdout.trim()}`);
    }
  }
} finally {
  await ch.stop();
  checkAllStopped();
}
