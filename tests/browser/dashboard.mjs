// dashboard.mjs - the dashboard in headless Chromium, against the real toolprof.
//
//   node dashboard.mjs [http://127.0.0.1:PORT] [SCREENSHOT_DIR]
//
// Without an address it starts the servers itself (tests/integration/lib.mjs's
// startServer: build/toolprof or $TOOLPROF_BIN, a fresh data directory and
// HOME each): one plain, one with --token for the token cases; at the end
// each must stop with exit 0 and no sanitizer report on stderr, which are
// checks like the others. With an address (or TOOLPROF_URL) it uses that
// server, whose data directory must start EMPTY; the token cases then run
// only when TOOLPROF_TOKEN_URL and TOOLPROF_TEST_TOKEN name a second one, and
// are reported as skipped otherwise.
//
// The first cases check the empty state, then the test seeds operations of
// three ages (2 hours, 3 days, 20 days) through POST
// /api/performance/operations so that the 24h / 7d / 30d windows differ, and
// checks every panel against the API, and the recommendations and hotspots
// against the values the seed must give (worked out by hand below).
// recorded.mjs then checks the session views, the links to a moment of a
// session, the comparison, an old history and accessibility (axe-core) over
// two more servers on a store imported from the recordings of tests/data
// ("rec": "now" an hour after the recorded session; "old": 40 days later). run.sh
// calls this; each check prints "ok - ", "not ok - " or "skipped - NAME #
// why", the last line printed is "N passed, N failed, N skipped", and the
// exit status is 1 when anything failed.

import { CHROMIUM, launch, refreshedSeq, waitRefresh, watch } from './chromium.mjs';
import { recordedChecks } from './recorded.mjs';
import { teamChecks } from './team.mjs';
import fs from 'node:fs';
import path from 'node:path';

import { BIN, checkAllStopped, dataFile, run, startServer, tempDir } from '../integration/lib.mjs';

const SHOT_DIR = process.argv[3] || 'build';

// The servers: given, or started here (stopped and checked at the end).
const started = [];
async function serve(name, opts = {}, env = {}) {
  const home = tempDir(`browser-${name}-home`);
  const srv = await startServer({ ...opts, env: { HOME: home, ...env } });
  started.push({ name, srv, home, dir: opts.dataDir });
  return srv.base;
}

// A server over the recordings of tests/data, imported with the real
// `toolprof import`, its clock ("now") pinned at nowMs for the import and the
// server alike.
const REC_START = 1796433203355; // the recorded session's first call (tests/data/reference.py)
async function serveRecorded(name, nowMs) {
  const dataDir = tempDir(`browser-${name}-data`);
  const env = { ...process.env, HOME: tempDir(`browser-${name}-import`), TOOLPROF_NOW_MS: String(nowMs) };
  const r = await run(BIN, ['--data-dir', dataDir, 'import', '--quiet',
    ...['recorded/claude/projects', 'legacy/claude-2.1/projects', 'legacy/claude-1.0/projects'].map(dataFile)], { env });
  fs.rmSync(env.HOME, { recursive: true, force: true });
  if (r.code !== 0) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`toolprof import of tests/data (${name}) exited ${r.code}: ${r.stderr}`);
  }
  return { url: await serve(name, { dataDir }, { TOOLPROF_NOW_MS: String(nowMs) }), dataDir, now: nowMs };
}
let given = (process.argv[2] || process.env.TOOLPROF_URL || '').replace(/\/$/, '');
let TOKEN_URL = (process.env.TOOLPROF_TOKEN_URL || '').replace(/\/$/, '');
let TOKEN = process.env.TOOLPROF_TEST_TOKEN || '';
let recorded = null; // the servers over tests/data's recordings (recorded.mjs)
// A team server on SQLite: a data directory with a person's token (team.mjs).
let teamSq = process.env.TOOLPROF_TEAMSQ_URL
  ? { url: process.env.TOOLPROF_TEAMSQ_URL.replace(/\/$/, ''), token: process.env.TOOLPROF_TEAMSQ_TOKEN || '' }
  : null;
try {
  if (!given) {
    given = await serve('main');
    TOKEN = 'browser-test-token-1234';
    TOKEN_URL = await serve('token', { token: TOKEN });
    const dataDir = tempDir('browser-teamsq-data');
    const r = await run(BIN, ['--data-dir', dataDir, 'token', 'add', 'alice'], { env: { ...process.env, TOOLPROF_STORE: '' } });
    if (r.code !== 0 || !/^tp_[0-9a-f]{64}$/.test(r.stdout.trim())) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`toolprof token add alice exited ${r.code}: ${r.stderr}${r.stdout}`);
    }
    teamSq = { url: await serve('team-sqlite', { dataDir }), token: r.stdout.trim() };
  }
  // The recorded stores: started here unless a server was given (then only
  // when TOOLPROF_REC_URL and the rest name them, as run.sh once did).
  if (!process.argv[2] && !process.env.TOOLPROF_URL) {
    const rec = await serveRecorded('rec', REC_START + 3600e3);
    const old = await serveRecorded('old', REC_START + 40 * 86400e3);
    recorded = { url: rec.url, dataDir: rec.dataDir, now: rec.now, oldUrl: old.url, oldNow: old.now };
  } else if (process.env.TOOLPROF_REC_URL) {
    recorded = {
      url: process.env.TOOLPROF_REC_URL, dataDir: process.env.TOOLPROF_REC_DATA, now: Number(process.env.TOOLPROF_REC_NOW),
      oldUrl: process.env.TOOLPROF_OLD_URL, oldNow: Number(process.env.TOOLPROF_OLD_NOW),
    };
  }
} catch (e) {
  console.log('not ok - toolprof serve starts: ' + ((e && e.message) || e));
  for (const x of started) await x.srv.stop().catch(() => {});
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const BASE = given;
const ORIGIN = new URL(BASE).origin;
const PAGE = BASE + '/performance-profiling';

const XSS_IMG = '<img src=x onerror=alert(1)>';
const XSS_SCRIPT = '<script>alert(2)</script>';

let passed = 0;
let failed = 0;
let skipped = 0;
let asserted = 0; // assert() and eq() calls, so that a check that made none fails

async function check(name, fn) {
  const before = asserted;
  try {
    const detail = await fn();
    if (asserted === before) throw new Error('the check made no assertion: it cannot fail');
    passed++;
    console.log('ok - ' + name + (detail ? ' (' + detail + ')' : ''));
  } catch (e) {
    failed++;
    console.log('not ok - ' + name);
    for (const line of String((e && e.message) || e).split('\n')) console.log('    ' + line);
  }
}

function skip(name, why) {
  skipped++;
  console.log('skipped - ' + name + ' # ' + why);
}

function assert(cond, msg) {
  asserted++;
  if (!cond) throw new Error(msg);
}

function eq(got, want, what) {
  asserted++;
  if (got !== want) throw new Error(what + ': got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
}

function deq(got, want, what) {
  eq(JSON.stringify(got), JSON.stringify(want), what);
}

async function apiGet(p) {
  const res = await fetch(BASE + p, { headers: { Accept: 'application/json' } });
  const body = await res.json();
  if (!res.ok || !body.success) throw new Error('GET ' + p + ': HTTP ' + res.status + ' ' + JSON.stringify(body));
  return body;
}

async function stats(q) {
  return (await apiGet('/api/performance/stats' + (q ? '?' + q : ''))).data;
}

// ---- seed data ---------------------------------------------------------

function seedOps() {
  const now = Date.now();
  const H = 3600e3;
  const D = 24 * H;
  let n = 0;
  const op = (ageMs, tool, target, duration_ms, extra = {}) => ({
    tool,
    target,
    duration_ms,
    timestamp: new Date(now - ageMs).toISOString(),
    success: true,
    optimization_applied: false,
    session_id: 'browser-test-session',
    project: '/tmp/browser-test',
    tool_use_id: 'toolu_browsertest' + String(++n).padStart(4, '0'),
    ...extra,
  });
  return [
    // 2 hours old: inside every window.
    op(2 * H, 'Read', '/src/app.py', 100, { optimization_applied: true }),
    op(2 * H + 60e3, 'Read', '/src/app.py', 150),
    op(2 * H + 120e3, 'Read', '/src/models/user.py', 250, { optimization_applied: true }),
    op(2 * H + 180e3, 'Bash', XSS_IMG, 5500),
    op(2 * H + 240e3, 'Grep', XSS_SCRIPT, 2500),
    op(2 * H + 300e3, 'Bash', 'npm test', 300, { success: false, error: 'exit status 1' }),
    op(2 * H + 360e3, 'Write', '/src/new_file.py', 80),
    // 3 days old: in 7d and 30d.
    op(3 * D, 'Read', '/docs/README.md', 400),
    op(3 * D + 60e3, 'Bash', 'make -j8 all', 3000),
    op(3 * D + 120e3, 'Edit', '/src/app.py', 120),
    op(3 * D + 180e3, 'Edit', '/src/app.py', 130),
    // 20 days old: in 30d only.
    op(20 * D, 'Glob', '**/*.py', 50),
    op(20 * D + 60e3, 'Bash', 'cargo build --release', 9000),
    op(20 * D + 120e3, 'WebFetch', 'https://example.com/docs', 2200),
  ];
}

async function seed() {
  const res = await fetch(BASE + '/api/performance/operations', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(seedOps()),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok || !body || !body.success) {
    throw new Error('seeding failed: HTTP ' + res.status + ' ' + JSON.stringify(body));
  }
  return body;
}

// ---- page helpers --------------------------------------------------------

async function load(page, query) {
  await page.goto(PAGE + (query || ''), { waitUntil: 'load' });
  await waitRefresh(page, null);
}

async function kpis(page) {
  return page.evaluate(() => {
    const v = (id) => {
      const e = document.getElementById(id);
      return { text: e.textContent, value: e.getAttribute('data-value') };
    };
    return {
      total: v('kpi-total'),
      avg: v('kpi-avg'),
      slow: v('kpi-slow'),
      opt: v('kpi-opt'),
      caption: document.getElementById('kpi-total-caption').textContent,
    };
  });
}

// A full-page screenshot taken at a viewport as tall as the page: Playwright's
// fullPage mode resizes the viewport during the capture, which makes Chart.js
// clear its canvases to redraw them, so the charts could come out blank.
async function fullShot(page, file) {
  const vp = page.viewportSize();
  const h = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: vp.width, height: Math.max(vp.height, h) });
  await page.waitForTimeout(700);
  await page.screenshot({ path: path.join(SHOT_DIR, file) });
  await page.setViewportSize(vp);
  const png = fs.readFileSync(path.join(SHOT_DIR, file));
  assert(png.length > 1000 && png.subarray(1, 4).toString() === 'PNG', file + ' is not a PNG image');
}

function near(a, b) {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

async function kpisMatch(page, q) {
  const s = await stats(q);
  const k = await kpis(page);
  eq(Number(k.total.value), s.total_operations, 'total operations (data-value)');
  eq(k.total.text.replace(/\D/g, ''), String(s.total_operations), 'total operations (text)');
  assert(near(Number(k.avg.value), s.avg_duration_ms),
    'average: page ' + k.avg.value + ', API ' + s.avg_duration_ms);
  eq(Number(k.slow.value), s.slow_operations_count, 'slow operations');
  eq(k.slow.text.replace(/\D/g, ''), String(s.slow_operations_count), 'slow operations (text)');
  // Over the calls that had an option (Read, Grep), never over every call.
  if (s.optimization.rate === null) eq(k.opt.value, '', 'optimization rate without a call that had an option');
  else assert(near(Number(k.opt.value), s.optimization.rate),
    'optimization rate: page ' + k.opt.value + ', API ' + s.optimization.rate);
  return s;
}

// ---- the run ---------------------------------------------------------------

let browser;
try {
  browser = await launch();
} catch (e) {
  console.log('not ok - launch ' + CHROMIUM);
  console.log('    ' + String((e && e.message) || e).split('\n')[0]);
  for (const x of started) await x.srv.stop().catch(() => {});
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const { context } = browser;

const page = context.pages()[0] || (await context.newPage());
const { consoleErrors, foreignRequests, dialogs, apiRequests } = watch(page, ORIGIN);

try {
  // -- empty data directory
  await check('empty state for an empty data directory', async () => {
    const s = await stats('window=all');
    eq(s.total_operations, 0, 'operations in the fresh data directory');
    await load(page);
    const r = await page.evaluate(() => ({
      hidden: document.getElementById('empty-state').hidden,
      cmds: Array.from(document.querySelectorAll('#empty-state .tp-cmd code'), (c) => c.textContent),
      copies: document.querySelectorAll('#empty-state .tp-copy').length,
      kpisShown: getComputedStyle(document.querySelector('.tp-data')).display !== 'none',
    }));
    eq(r.hidden, false, 'empty state hidden');
    assert(r.cmds.includes('toolprof install-hook'), 'no install-hook command: ' + JSON.stringify(r.cmds));
    assert(r.cmds.includes('toolprof import'), 'no import command');
    assert(r.cmds.some((c) => c.includes('CLAUDE_CODE_ENABLE_TELEMETRY=1') &&
      c.includes('OTEL_EXPORTER_OTLP_PROTOCOL=http/json') && c.includes('OTEL_EXPORTER_OTLP_ENDPOINT=http')),
      'no telemetry command');
    eq(r.copies, 3, 'copy buttons');
    eq(r.kpisShown, false, 'data panels visible on an empty store');
  });

  await check('copy button copies the command', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
    await page.click('#empty-state .tp-copy');
    await page.waitForFunction(() => document.querySelector('#empty-state .tp-copy').textContent === 'Copied',
      null, { timeout: 3000 });
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    eq(clip, 'toolprof install-hook', 'clipboard');
  });

  await check('empty-state screenshot', async () => {
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    await fullShot(page, 'dashboard-empty.png');
  });

  // -- seeded
  const seeded = await seed();
  console.log('# seeded ' + seeded.count + ' operations');

  let s24;
  await check('KPI cards equal /api/performance/stats (24h)', async () => {
    await load(page);
    s24 = await kpisMatch(page, 'window=24h');
    assert(s24.total_operations > 0, 'no operations in 24h: the seed did not land');
    const hidden = await page.evaluate(() => document.getElementById('empty-state').hidden);
    eq(hidden, true, 'empty state hidden with data');
    return s24.total_operations + ' ops';
  });

  await check('KPI captions name the window', async () => {
    const caps = await page.evaluate(() =>
      ['kpi-total-caption', 'kpi-avg-caption', 'kpi-slow-caption', 'kpi-opt-caption']
        .map((id) => document.getElementById(id).textContent));
    for (const c of caps) assert(/24 hours/.test(c), 'caption without the window: ' + JSON.stringify(c));
  });

  await check('trend chart drew average and p95 per hour, gaps where no calls', async () => {
    const t = (await apiGet('/api/performance/trends?window=24h')).data;
    eq(t.step, 'hour', 'a 24h window has hourly points');
    const r = await page.evaluate(() => {
      const c = Chart.getChart(document.getElementById('trend-chart'));
      return c && { n: c.data.labels.length, sets: c.data.datasets.map((d) => ({ label: d.label, data: d.data })) };
    });
    assert(r, 'no Chart instance on #trend-chart');
    eq(r.n, t.labels.length, 'trend points');
    const avg = r.sets.find((d) => d.label === 'Average');
    const p95 = r.sets.find((d) => d.label === 'p95');
    assert(avg && p95, 'datasets: ' + r.sets.map((d) => d.label).join(', '));
    for (let i = 0; i < t.labels.length; i++) {
      // A point without calls is a gap (null), never 0 ms.
      eq(avg.data[i], t.avg_durations[i], 'avg point ' + i);
      eq(p95.data[i], t.p95_durations[i], 'p95 point ' + i);
      if (t.operation_counts[i] === 0) eq(avg.data[i], null, 'an empty hour ' + i);
    }
    assert(avg.data.some((v) => v > 0), 'all averages are empty');
  });

  await check('doughnut drew tools_breakdown', async () => {
    const r = await page.evaluate(() => {
      const c = Chart.getChart(document.getElementById('tools-chart'));
      return c && { labels: c.data.labels, data: c.data.datasets[0].data, colors: c.data.datasets[0].backgroundColor };
    });
    assert(r, 'no Chart instance on #tools-chart');
    const want = Object.entries(s24.tools_breakdown).sort((a, b) => b[1] - a[1]);
    eq(JSON.stringify(r.labels), JSON.stringify(want.map((e) => e[0])), 'labels');
    eq(JSON.stringify(r.data), JSON.stringify(want.map((e) => e[1])), 'values');
    eq(new Set(r.colors).size, r.colors.length, 'distinct colours');
  });

  await check('both canvases have non-blank pixels', async () => {
    await page.waitForTimeout(1200); // let the entry animation finish
    const r = await page.evaluate(() => ['trend-chart', 'tools-chart'].map((id) => {
      const c = document.getElementById(id);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    }));
    assert(r[0] > 500 && r[1] > 500, 'painted pixels: trend ' + r[0] + ', tools ' + r[1]);
    return r.join(' / ') + ' px';
  });

  await check('latency table rows match stats.tools', async () => {
    const rows = await page.$$eval('#latency-table tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent));
    eq(rows.length, s24.tools.length, 'rows');
    eq(JSON.stringify(rows), JSON.stringify(s24.tools.map((t) => t.tool)), 'default order (total time)');
  });

  await check('latency table sorts by click and by keyboard', async () => {
    await page.click('#latency-table th[data-key="count"] button');
    let r = await page.evaluate(() => ({
      sort: document.querySelector('#latency-table th[data-key="count"]').getAttribute('aria-sort'),
      counts: Array.from(document.querySelectorAll('#latency-table tbody tr'), (tr) => Number(tr.cells[1].textContent.replace(/\D/g, ''))),
    }));
    eq(r.sort, 'descending', 'aria-sort after one click');
    eq(JSON.stringify(r.counts), JSON.stringify([...r.counts].sort((a, b) => b - a)), 'counts descending');
    await page.focus('#latency-table th[data-key="count"] button');
    await page.keyboard.press('Enter');
    r = await page.evaluate(() => ({
      sort: document.querySelector('#latency-table th[data-key="count"]').getAttribute('aria-sort'),
      counts: Array.from(document.querySelectorAll('#latency-table tbody tr'), (tr) => Number(tr.cells[1].textContent.replace(/\D/g, ''))),
    }));
    eq(r.sort, 'ascending', 'aria-sort after Enter');
    eq(JSON.stringify(r.counts), JSON.stringify([...r.counts].sort((a, b) => a - b)), 'counts ascending');
    await page.click('#latency-table th[data-key="total_ms"] button');
  });

  await check('slow operations table matches the API', async () => {
    const api = await apiGet('/api/performance/slow-operations?threshold=2000&limit=50&window=24h');
    const rows = await page.$$eval('#slow-table tbody tr', (trs) => trs.map((tr) => ({
      tool: tr.cells[0].textContent, target: tr.cells[1].textContent,
      title: tr.cells[1].querySelector('.tp-target').getAttribute('title'),
      result: tr.cells[4].textContent, opt: tr.cells[5].textContent, dur: tr.cells[2].textContent,
    })));
    eq(rows.length, api.data.length, 'rows');
    const d = api.data.map((o) => o.duration_ms);
    eq(JSON.stringify(d), JSON.stringify([...d].sort((a, b) => b - a)), 'the API: slowest first');
    for (let i = 0; i < rows.length; i++) {
      eq(rows[i].tool, api.data[i].tool, 'row ' + i + ' tool');
      eq(rows[i].title, api.data[i].target, 'row ' + i + ' target title');
      // Only tools with an option (Read, Grep) are optimized or not.
      const hasOption = api.data[i].tool === 'Read' || api.data[i].tool === 'Grep';
      eq(rows[i].opt, hasOption ? (api.data[i].optimization_applied ? 'Optimized' : 'Not optimized') : '–',
        'row ' + i + ' optimization');
      eq(rows[i].result, api.data[i].success === false ? 'failed' : 'ok', 'row ' + i + ' result');
    }
    return rows.length + ' rows';
  });

  // What the seed's last 24 hours must give (src/engine/analyzer.c's rules):
  // the 5.5 s Bash is slow and over 5 s (slow-bash, medium); the 2.5 s Grep
  // set no head_limit (grep-no-head-limit, medium) and is slow (slow-grep,
  // low); nothing else fires (no Read over 100 KB, no slow Write, no file
  // read 3 times in a session, too few calls for a trend).
  const REC_24H = [
    ['slow-bash', 'medium', '1 slow Bash command'],
    ['grep-no-head-limit', 'medium', '1 Grep call without head_limit'],
    ['slow-grep', 'low', '1 slow Grep call'],
  ];
  await check('recommendations colour-coded by severity', async () => {
    const api = await apiGet('/api/performance/recommendations?window=24h');
    deq(api.data.map((x) => [x.rule, x.severity, x.title]), REC_24H, 'the API\'s recommendations');
    const r = await page.$$eval('#recommendations .tp-rec', (els) => els.map((e) => ({
      cls: e.className, title: e.querySelector('h3').textContent,
    })));
    eq(r.length, REC_24H.length, 'recommendations shown');
    for (let i = 0; i < r.length; i++) {
      assert(r[i].cls.includes('tp-sev-' + REC_24H[i][1]), 'rec ' + i + ' class ' + r[i].cls);
      eq(r[i].title, REC_24H[i][2], 'rec ' + i + ' title');
    }
    return r.length + ' shown';
  });

  // The seed's (tool, target) groups of the last 24 hours by total time,
  // ties by count: [tool, target, count cell].
  const HOT_24H = [
    ['Bash', XSS_IMG, '1'],
    ['Grep', XSS_SCRIPT, '1'],
    ['Bash', 'npm test', '1 (1 failed)'],
    ['Read', '/src/app.py', '2'], // 100 + 150 ms: the same total as user.py, more calls
    ['Read', '/src/models/user.py', '1'],
    ['Write', '/src/new_file.py', '1'],
  ];
  await check('hotspots and bottlenecks panels match the API', async () => {
    const hs = await apiGet('/api/performance/hotspots?limit=10&window=24h');
    deq(hs.data.map((h) => [h.tool, h.target, h.count]), HOT_24H.map(([t, g, c]) => [t, g, Number(c.split(' ')[0])]),
      'the API\'s hotspots');
    const bn = await apiGet('/api/performance/bottlenecks?limit=3&window=24h');
    const cells = await page.$$eval('#hotspots-table tbody tr:not(:has(.tp-empty))', (trs) => trs.map((tr) => ({
      row: [tr.cells[0].textContent.trim(), tr.cells[1].querySelector('.tp-target').textContent, tr.cells[2].textContent.trim()],
      href: tr.cells[1].querySelector('a.tp-moment') && tr.cells[1].querySelector('a.tp-moment').getAttribute('href'),
    })));
    deq(cells.map((c) => c.row), HOT_24H, 'hotspot rows');
    // Each target links to its slowest call, in its session.
    deq(cells.map((c) => c.href && Object.fromEntries(new URL(c.href, BASE).searchParams)).map((p) => p && [p.session, p.call]),
      hs.data.map((h) => [h.slowest_call.session_id, h.slowest_call.tool_use_id]), 'links to the slowest calls');
    const groups = await page.$$eval('#bottlenecks .tp-bn-group', (g) => g.length);
    eq(groups, Math.min(8, Object.values(bn.data).filter((l) => l.length).length), 'bottleneck groups');
  });

  await check('markup in targets is shown as text, never run', async () => {
    const r = await page.evaluate(([a, b]) => {
      const texts = Array.from(document.querySelectorAll('.tp-target'), (e) => e.textContent);
      return {
        img: texts.includes(a),
        script: texts.includes(b),
        badImg: document.querySelectorAll('img[src="x"], img[onerror]').length,
        badScript: Array.from(document.scripts).filter((s) => /alert/.test(s.textContent)).length,
      };
    }, [XSS_IMG, XSS_SCRIPT]);
    eq(r.img, true, 'img markup shown as literal text');
    eq(r.script, true, 'script markup shown as literal text');
    eq(r.badImg, 0, 'img elements from data');
    eq(r.badScript, 0, 'script elements from data');
    eq(dialogs.length, 0, 'dialogs: ' + dialogs.join('; '));
  });

  let s7;
  await check('window 7d changes every panel', async () => {
    const prev = await refreshedSeq(page);
    const before = apiRequests.length;
    await page.click('#window-group [data-window="7d"]');
    await waitRefresh(page, prev);
    s7 = await kpisMatch(page, 'window=7d');
    assert(s7.total_operations > s24.total_operations, '7d total ' + s7.total_operations + ' not above 24h ' + s24.total_operations);
    const reqs = apiRequests.slice(before).map((x) => new URL(x.url));
    // Besides /tools (every tool stored) and the agent picker's list (every agent, window=all).
    const picker = (u) => u.searchParams.get('by') === 'agent' && u.searchParams.get('window') === 'all';
    const noWindow = reqs.filter((u) => !/\/tools$/.test(u.pathname) && !picker(u) && u.searchParams.get('window') !== '7d');
    eq(noWindow.map((u) => u.pathname + u.search).join(', '), '', 'requests without window=7d');
    assert(reqs.length >= 6, 'only ' + reqs.length + ' API requests');
    eq(new URL(page.url()).searchParams.get('window'), '7d', 'window in the URL');
    const pressed = await page.getAttribute('#window-group [data-window="7d"]', 'aria-pressed');
    eq(pressed, 'true', '7d button pressed');
    assert(/7 days/.test(await page.textContent('#kpi-total-caption')), 'caption does not say 7 days');
    return '24h ' + s24.total_operations + ' -> 7d ' + s7.total_operations;
  });

  let s30;
  await check('window 30d changes the numbers and the trend length', async () => {
    const prev = await refreshedSeq(page);
    await page.click('#window-group [data-window="30d"]');
    await waitRefresh(page, prev);
    s30 = await kpisMatch(page, 'window=30d');
    assert(s30.total_operations > s7.total_operations, '30d total not above 7d');
    const n = await page.evaluate(() => Chart.getChart(document.getElementById('trend-chart')).data.labels.length);
    const t30 = (await apiGet('/api/performance/trends?window=30d')).data;
    eq(t30.step, 'day', 'a 30d window has daily points');
    eq(n, t30.labels.length, 'trend days for 30d');
    assert(n === 30 || n === 31, 'the days of 30d: ' + n);
    return '30d ' + s30.total_operations;
  });

  await check('tool filter narrows every panel', async () => {
    const tools = (await apiGet('/api/performance/tools')).data;
    const opts = await page.$$eval('#tool-filter option', (o) => o.map((x) => x.value).filter(Boolean));
    eq(JSON.stringify(opts), JSON.stringify(tools), 'tool options');
    const prev = await refreshedSeq(page);
    const before = apiRequests.length;
    await page.selectOption('#tool-filter', 'Bash');
    await waitRefresh(page, prev);
    const sb = await kpisMatch(page, 'window=30d&tool=Bash');
    assert(sb.total_operations > 0 && sb.total_operations < s30.total_operations,
      'Bash total ' + sb.total_operations + ' vs all ' + s30.total_operations);
    const reqs = apiRequests.slice(before).map((x) => new URL(x.url));
    const picker = (u) => u.searchParams.get('by') === 'agent' && u.searchParams.get('window') === 'all';
    const noTool = reqs.filter((u) => !/\/tools$/.test(u.pathname) && !picker(u) && u.searchParams.get('tool') !== 'Bash');
    eq(noTool.map((u) => u.pathname + u.search).join(', '), '', 'requests without tool=Bash');
    const rows = await page.$$eval('#latency-table tbody tr', (t) => t.map((tr) => tr.cells[0].textContent));
    eq(JSON.stringify(rows), '["Bash"]', 'latency rows');
    const slowTools = await page.$$eval('#slow-table tbody tr', (t) => t.map((tr) => tr.cells[0].textContent));
    assert(slowTools.every((t) => t === 'Bash'), 'slow table has other tools: ' + slowTools);
    eq(new URL(page.url()).searchParams.get('tool'), 'Bash', 'tool in the URL');
    return sb.total_operations + ' Bash ops';
  });

  await check('a link reproduces the view (?window=7d&tool=Read)', async () => {
    await load(page, '?window=7d&tool=Read');
    await kpisMatch(page, 'window=7d&tool=Read');
    eq(await page.getAttribute('#window-group [data-window="7d"]', 'aria-pressed'), 'true', '7d pressed');
    eq(await page.inputValue('#tool-filter'), 'Read', 'tool select');
  });

  await check('refresh button updates the time', async () => {
    const prev = await refreshedSeq(page);
    await page.click('#refresh-btn');
    await waitRefresh(page, prev);
    const t = await page.textContent('#updated-at');
    assert(/^Updated at \d\d:\d\d:\d\d$/.test(t), 'status: ' + JSON.stringify(t));
  });

  await check('a ?token= is sent as a bearer token and removed from the URL', async () => {
    const before = apiRequests.length;
    await load(page, '?token=browsertest123&window=24h');
    const u = new URL(page.url());
    eq(u.searchParams.get('token'), null, 'token still in the URL');
    eq(u.searchParams.get('window'), '24h', 'other parameters kept');
    const reqs = apiRequests.slice(before);
    assert(reqs.length > 0, 'no API requests');
    const bad = reqs.filter((r) => r.auth !== 'Bearer browsertest123');
    eq(bad.length, 0, 'API requests without the bearer token');
    await page.evaluate(() => sessionStorage.clear());
  });

  await check('auto-refresh runs, pauses while the tab is hidden, resumes when shown', async () => {
    await load(page);
    // Shorten the 30 s period, then fake a hidden tab.
    const first = await refreshedSeq(page);
    await page.evaluate(() => { window.toolprof.state.refreshMs = 300; window.toolprof.refresh(); });
    await waitRefresh(page, first);
    const ticked = await refreshedSeq(page);
    await waitRefresh(page, ticked); // one automatic refresh
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForFunction(() => /paused/.test(document.getElementById('updated-at').textContent),
      null, { timeout: 3000 });
    const paused = await refreshedSeq(page);
    await page.waitForTimeout(1000);
    eq(await refreshedSeq(page), paused, 'refreshed while hidden');
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitRefresh(page, paused);
    await page.evaluate(() => { window.toolprof.state.refreshMs = 30000; window.toolprof.refresh(); });
  });

  await check('theme follows prefers-color-scheme until toggled', async () => {
    await page.evaluate(() => localStorage.clear());
    await page.emulateMedia({ colorScheme: 'dark' });
    await load(page);
    eq(await page.getAttribute('html', 'data-bs-theme'), 'dark', 'theme under prefers dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.getAttribute('data-bs-theme') === 'light',
      null, { timeout: 3000 });
  });

  await check('dark mode toggles and is remembered', async () => {
    await load(page);
    const t0 = await page.getAttribute('html', 'data-bs-theme');
    eq(t0, 'light', 'initial theme under prefers-color-scheme: light');
    await page.click('#theme-btn');
    eq(await page.getAttribute('html', 'data-bs-theme'), 'dark', 'after toggle');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(/rgb\((\d+), (\d+), (\d+)\)/.test(bg) && Number(RegExp.$1) < 60, 'dark body background: ' + bg);
    await load(page);
    eq(await page.getAttribute('html', 'data-bs-theme'), 'dark', 'after reload');
  });

  await check('dark screenshot', async () => {
    await fullShot(page, 'dashboard-dark.png');
    await page.click('#theme-btn');
    eq(await page.getAttribute('html', 'data-bs-theme'), 'light', 'toggled back');
  });

  await check('light screenshot (1280x900)', async () => {
    await load(page, '?window=30d');
    await fullShot(page, 'dashboard.png');
  });

  await check('narrow viewport (390 px) does not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await load(page, '?window=30d');
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, 'page is ' + w + ' px wide');
    await fullShot(page, 'dashboard-narrow.png');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('an API error is shown, not swallowed', async () => {
    await load(page, '?window=nonsense9x');
    // The page only sends windows it can parse; force a bad one through the URL state.
    const prev = await refreshedSeq(page);
    await page.evaluate(() => {
      window.toolprof.state.window = '9999d';
      window.toolprof.refresh();
    });
    await waitRefresh(page, prev);
    const r = await page.evaluate(() => ({
      n: document.querySelectorAll('#alerts .alert-danger').length,
      text: document.getElementById('alerts').textContent,
      status: document.getElementById('updated-at').textContent,
    }));
    assert(r.n > 0, 'no alert for window=9999d');
    assert(/HTTP 400/.test(r.text), 'alert without the status: ' + r.text);
    assert(/fail|error/i.test(r.status), 'status line: ' + r.status);
    // Those 400s are logged by Chromium as failed loads; they are expected here.
    for (let i = consoleErrors.length - 1; i >= 0; i--) {
      if (/status of 400/.test(consoleErrors[i])) consoleErrors.splice(i, 1);
    }
    return r.n + ' alert(s)';
  });

  // -- two agents: pick one, several or all; the same kinds side by side
  await check('agents: picked one, several or all, and side by side per kind of tool', async () => {
    const now = Date.now();
    const ops = [];
    for (let i = 0; i < 3; i++) {
      ops.push({ tool: 'shell', agent: 'codex', target: 'cargo test', duration_ms: 400 + 100 * i,
        timestamp: new Date(now - 3600e3 - i * 60e3).toISOString(), tool_use_id: 'call_codexbrowser' + i,
        session_id: 'codex-browser-session', project: '/tmp/browser-test' });
    }
    ops.push({ tool: 'read_file', agent: 'codex', target: '/src/lib.rs', duration_ms: 30,
      timestamp: new Date(now - 3600e3).toISOString(), tool_use_id: 'call_codexbrowser9', session_id: 'codex-browser-session' });
    const res = await fetch(BASE + '/api/performance/operations', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ops) });
    assert(res.ok, 'seeding codex calls: HTTP ' + res.status);
    await load(page, '?window=24h');
    const menu = await page.$$eval('#agent-menu input', (i) => i.map((x) => x.value));
    eq(JSON.stringify(menu), JSON.stringify(['claude-code', 'codex']), 'agents to pick');
    // Side by side: a row per kind, the figures of each agent's calls of it.
    const table = await page.evaluate(() => ({
      shown: !document.getElementById('agents-card').hidden,
      head: Array.from(document.querySelectorAll('#agents-table thead th'), (t) => t.textContent),
      rows: Object.fromEntries(Array.from(document.querySelectorAll('#agents-table tbody tr'), (tr) => [tr.cells[0].textContent, Array.from(tr.cells).slice(1).map((c) => c.textContent)])),
    }));
    eq(table.shown, true, 'the side-by-side card');
    eq(table.head.join('|'), 'Kind|claude-code calls|claude-code p50|claude-code p95|codex calls|codex p50|codex p95', 'headings');
    const cc = (await apiGet('/api/performance/stats?window=24h&by=canonical&agent=claude-code')).data.tools;
    const cx = (await apiGet('/api/performance/stats?window=24h&by=canonical&agent=codex')).data.tools;
    const shell = table.rows.shell;
    assert(shell, 'no shell row: ' + Object.keys(table.rows).join(', '));
    eq(shell[0], String(cc.find((r) => r.tool === 'shell').count), 'claude-code shell calls');
    eq(shell[3], String(cx.find((r) => r.tool === 'shell').count), 'codex shell calls');
    eq(shell[3], '3', 'codex shell calls, as posted');
    eq(table.rows.read[3], '1', 'codex reads');
    // One agent: every request carries it; two: both, comma-separated.
    let prev = await refreshedSeq(page);
    const before = apiRequests.length;
    await page.click('#agent-summary'); // open the picker
    await page.check('#agent-menu input[value="codex"]');
    await waitRefresh(page, prev);
    const reqs = apiRequests.slice(before).map((x) => new URL(x.url))
      .filter((u) => !/\/tools$/.test(u.pathname) && !(u.searchParams.get('by') === 'agent'));
    assert(reqs.length >= 6, 'requests: ' + reqs.length);
    const noAgent = reqs.filter((u) => u.searchParams.get('agent') !== 'codex');
    eq(noAgent.map((u) => u.pathname + u.search).join(', '), '', 'requests without agent=codex');
    const s1 = await stats('window=24h&agent=codex');
    eq(Number(await page.getAttribute('#kpi-total', 'data-value')), s1.total_operations, 'codex calls');
    eq(s1.total_operations, 4, 'codex calls, as posted');
    eq(new URL(page.url()).searchParams.get('agent'), 'codex', 'agent in the URL');
    eq(await page.evaluate(() => document.getElementById('agents-card').hidden), true, 'side by side with one agent');
    prev = await refreshedSeq(page);
    await page.check('#agent-menu input[value="claude-code"]');
    await waitRefresh(page, prev);
    eq(new URL(page.url()).searchParams.get('agent'), 'claude-code,codex', 'two agents in the URL');
    const s2 = await stats('window=24h&agent=claude-code,codex');
    const s0 = await stats('window=24h');
    eq(Number(await page.getAttribute('#kpi-total', 'data-value')), s2.total_operations, 'two agents\' calls');
    eq(s2.total_operations, s0.total_operations, 'the two agents are every agent here');
    await load(page, '?window=24h');
  });

  // Read whole two more times (three in all): the seed's hand-worked
  // recommendations above are done, and top-repeated-reads lists the file.
  await check('a recommendation that lists files shows one a line', async () => {
    const now = Date.now();
    const more = [120, 110].map((d, i) => ({ tool: 'Read', target: '/src/app.py', duration_ms: d,
      timestamp: new Date(now - 2 * 3600e3 + (7 + i) * 60e3).toISOString(), success: true, optimization_applied: false,
      session_id: 'browser-test-session', project: '/tmp/browser-test', tool_use_id: 'toolu_browsertestrep' + i }));
    const res = await fetch(BASE + '/api/performance/operations', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(more) });
    assert(res.ok, 'seeding two more reads: HTTP ' + res.status);
    await load(page, '?window=24h');
    const api = await apiGet('/api/performance/recommendations?window=24h');
    const top = api.data.find((r) => r.rule === 'top-repeated-reads');
    assert(top && top.description.includes('\n'), 'no list among the recommendations: the case is not exercised');
    const r = await page.evaluate((title) => {
      const card = Array.from(document.querySelectorAll('#recommendations .tp-rec')).find((c) => c.querySelector('h3').textContent === title);
      const p = card.querySelector('p');
      return { ws: getComputedStyle(p).whiteSpace, lines: Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)) };
    }, top.title);
    eq(r.ws, 'pre-line', 'white-space of the description');
    assert(r.lines >= top.description.split('\n').length, 'the list runs on: ' + r.lines + ' lines');
  });

  // -- a server started with --token
  const TOKEN_CASES = [
    'token server: ?token= opens the page, the API answers, the token leaves the URL',
    'token server: reloading the page without ?token= still works',
    'token server: a wrong token says how to open the page',
    'token server: no foreign requests, no errors but the expected 401s',
  ];
  if (TOKEN_URL && TOKEN) {
    const tpage = await context.newPage();
    const tErrors = [];
    const tForeign = [];
    tpage.on('console', (m) => { if (m.type() === 'error') tErrors.push(m.text()); });
    tpage.on('pageerror', (e) => tErrors.push('uncaught: ' + e.message));
    tpage.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    tpage.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith('data:') && new URL(u).origin !== new URL(TOKEN_URL).origin) tForeign.push(u);
    });
    const TPAGE = TOKEN_URL + '/performance-profiling';
    const alerts = () => tpage.evaluate(() => document.getElementById('alerts').textContent);

    await check(TOKEN_CASES[0], async () => {
      await tpage.goto(TPAGE + '?token=' + encodeURIComponent(TOKEN) + '&window=7d');
      await waitRefresh(tpage, null);
      eq(await alerts(), '', 'alerts');
      const u = new URL(tpage.url());
      eq(u.searchParams.get('token'), null, 'token in the URL');
      eq(u.searchParams.get('window'), '7d', 'window kept');
      assert(/^Updated at/.test(await tpage.textContent('#updated-at')), 'not updated');
    });

    await check(TOKEN_CASES[1], async () => {
      const resp = await tpage.reload();
      eq(resp.status(), 200, 'HTTP status of GET ' + new URL(tpage.url()).pathname +
        ' (the page holds no data; the token is in sessionStorage and sent by the API calls)');
      await waitRefresh(tpage, null);
      eq(await alerts(), '', 'alerts');
    });

    await check(TOKEN_CASES[2], async () => {
      await tpage.goto(TPAGE + '?token=' + encodeURIComponent(TOKEN));
      await waitRefresh(tpage, null);
      const prev = await refreshedSeq(tpage);
      await tpage.evaluate(() => {
        window.toolprof.state.token = 'wrong-token';
        window.toolprof.refresh();
      });
      await waitRefresh(tpage, prev);
      const text = await alerts();
      assert(/needs a token/.test(text) && /\?token=/.test(text), 'alert: ' + JSON.stringify(text));
      eq(await tpage.$$eval('#alerts .alert', (a) => a.length), 1, 'one alert, not one per panel');
    });

    await check(TOKEN_CASES[3], async () => {
      eq(tForeign.length, 0, 'foreign: ' + tForeign.join(', '));
      const other = tErrors.filter((t) => !/status of 401/.test(t));
      eq(other.length, 0, 'console: ' + other.join('\n'));
    });
    await tpage.close();
  } else {
    for (const name of TOKEN_CASES) skip(name, 'TOOLPROF_TOKEN_URL / TOOLPROF_TEST_TOKEN not set');
  }

  // ==== hostile strings (tests/reliability; docs/reliability.md, "Exposure") =========
  // Operations whose tool names, targets, errors, sessions and projects are
  // attacks on an HTML page: they must show as text, create no element, run
  // nothing, load nothing, and a bidi override must not reorder anything
  // outside its own box. The checks below this block (no foreign request, no
  // CSP violation, no dialog) cover these strings too.
  {
    const HOSTILE = [
      '<script>alert("h1")</script>',
      '<img src=x onerror=alert("h2")>',
      '<svg/onload=alert("h3")>',
      '" onmouseover="alert(\'h4\')" data-x="',
      'javascript:alert("h5")',
      '<a href="javascript:alert(\'h6\')">click me</a>',
      '<iframe src="http://evil.example/frame"></iframe>',
      '<img src="http://evil.example/pixel.png">',
      '<style>body{display:none}</style>',
      '{{constructor.constructor("alert(\'h7\')")()}}',
      '\u202Egnp.exe',
      'report\u202Etxt.exe \u2067isolate\u2069 \u202Bembed',
    ];
    const RLO = /[\u202A-\u202E\u2066-\u2069]/;
    const now = Date.now();
    const ops = [];
    let hn = 0;
    const hop = (tool, target, extra = {}) => ops.push({
      tool, target, duration_ms: 2500 + hn * 10, timestamp: new Date(now - 3600e3 - hn * 60e3).toISOString(),
      tool_use_id: 'toolu_01hostile' + String(++hn).padStart(15, '0'), session_id: 'hostile-session',
      project: '/tmp/hostile', success: true, ...extra,
    });
    for (const h of HOSTILE) {
      hop('Bash', h); // slow operations, hotspots, bottlenecks
      // Recommendation evidence (inline text beside other text); evidence
      // lists the newest matching calls, so the bidi ones are the newest.
      hop('Read', h, RLO.test(h)
        ? { size_bytes: 900000, duration_ms: 9000 + hn, optimization_applied: false, timestamp: new Date(now - 60e3 - hn * 1e3).toISOString() }
        : { size_bytes: 250000, optimization_applied: false });
      hop('Bash', 'exit 1', { success: false, error: h }); // error tooltip
    }
    for (const h of HOSTILE.filter((x) => Buffer.byteLength(x) <= 128)) hop(h, '/tmp/hostile-tool'); // tool names
    hop('Bash', 'make', { session_id: HOSTILE[1], project: HOSTILE[0] });

    // Elements that only code may create.
    const census = () => page.evaluate(() => {
      const tags = ['script', 'iframe', 'svg', 'img', 'object', 'embed', 'style', 'link', 'base', 'form', 'a', 'meta'];
      const out = {};
      // The page's own links to a moment of a session (a.tp-moment) are made
      // by its code, one per row: not elements from data.
      for (const t of tags) out[t] = Array.from(document.getElementsByTagName(t)).filter((e) => !e.classList.contains('tp-moment')).length;
      const onAttrs = [];
      for (const e of document.querySelectorAll('*')) {
        for (const a of e.attributes) if (/^on/i.test(a.name)) onAttrs.push(e.tagName + '[' + a.name + ']');
      }
      const jsLinks = Array.from(document.querySelectorAll('[href], [src], [action], [formaction]'))
        .map((e) => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('formaction'))
        .filter((u) => /^\s*javascript:/i.test(u || '') || /evil\.example/.test(u || ''));
      return { out, onAttrs, jsLinks };
    });

    let before;
    await check('hostile strings: seeded', async () => {
      await load(page, '?window=24h');
      before = await census();
      const res = await fetch(BASE + '/api/performance/operations', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ops),
      });
      const body = await res.json();
      assert(res.ok && body.success, 'seeding hostile strings: HTTP ' + res.status + ' ' + JSON.stringify(body));
      return ops.length + ' operations';
    });

    const inert = async (what) => {
      const after = await census();
      eq(JSON.stringify(after.out), JSON.stringify(before.out), what + ': elements created from data');
      eq(after.onAttrs.join(', '), '', what + ': event-handler attributes');
      eq(after.jsLinks.join(', '), '', what + ': javascript: or foreign URLs in the page');
      eq(dialogs.length, 0, what + ': dialogs ' + dialogs.join('; '));
      const hidden = await page.evaluate(() => getComputedStyle(document.body).display);
      assert(hidden !== 'none', what + ': a <style> from data hid the page');
    };

    await check('hostile strings: shown as text in every panel, nothing created or run', async () => {
      await load(page, '?window=24h');
      await page.waitForTimeout(300);
      const seen = await page.evaluate((hs) => {
        const texts = [];
        const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = w.nextNode(); n; n = w.nextNode()) texts.push(n.data);
        const titles = Array.from(document.querySelectorAll('[title]'), (e) => e.getAttribute('title'));
        const options = Array.from(document.querySelectorAll('#tool-filter option'), (o) => o.value);
        const all = texts.join('\n');
        return hs.map((h) => ({ h, text: all.includes(h), title: titles.includes(h), option: options.includes(h) }));
      }, HOSTILE);
      const missing = seen.filter((x) => !x.text && !x.title).map((x) => x.h);
      eq(missing.length, 0, 'hostile strings not shown as literal text: ' + JSON.stringify(missing));
      const toolOpts = seen.filter((x) => Buffer.byteLength(x.h) <= 128 && !x.option).map((x) => x.h);
      eq(toolOpts.length, 0, 'hostile tool names missing from the tool filter: ' + JSON.stringify(toolOpts));
      await inert('24h view');
      // Hover every target and badge: a handler smuggled into an attribute would fire now.
      const n = await page.$$eval('.tp-target, .tp-tool, .tp-status, .tp-evidence li', (els) => els.length);
      for (const e of (await page.$$('.tp-target, .tp-tool, .tp-status')).slice(0, 60)) await e.hover().catch(() => {});
      await inert('after hovering');
      return HOSTILE.length + ' strings, ' + n + ' elements hovered or checked';
    });

    await check('hostile strings: a bidi override never reorders text outside its own box', async () => {
      const inEvidence = await page.$$eval('.tp-evidence li', (lis, src) => lis.filter((li) => new RegExp(src).test(li.textContent)).length, RLO.source);
      assert(inEvidence > 0, 'no bidi override among the recommendation evidence: the inline case is not exercised');
      const leaks = await page.evaluate((src) => {
        const re = new RegExp(src);
        const out = [];
        const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = w.nextNode(); n; n = w.nextNode()) {
          if (!re.test(n.data)) continue;
          // The box the override lives in: the nearest ancestor that is not
          // a plain inline (a block, an inline-block, or an isolate).
          let box = n.parentElement;
          while (box && box !== document.body) {
            const cs = getComputedStyle(box);
            if (cs.display !== 'inline' || /isolate|plaintext/.test(cs.unicodeBidi) || box.tagName === 'BDI') break;
            box = box.parentElement;
          }
          const own = n.data.trim();
          const all = (box ? box.textContent : '').trim();
          if (all !== own) out.push(JSON.stringify(own) + ' shares its box <' + (box && box.tagName.toLowerCase()) + ' class="' + (box && box.className) + '"> with ' + JSON.stringify(all.replace(own, '…')));
        }
        return out;
      }, RLO.source);
      eq(leaks.length, 0, 'bidi overrides that reach the page around them:\n' + leaks.slice(0, 6).join('\n'));
    });

    await check('hostile strings: filtering by a hostile tool name, and an error echoing one', async () => {
      const tool = HOSTILE[1];
      await load(page, '?window=24h&tool=' + encodeURIComponent(tool));
      eq(await page.inputValue('#tool-filter'), tool, 'tool select');
      const rows = await page.$$eval('#latency-table tbody tr', (t) => t.map((tr) => tr.cells[0].textContent));
      eq(JSON.stringify(rows), JSON.stringify([tool]), 'latency rows for the hostile tool');
      await inert('tool filter');
      // A window the API refuses: its message echoes the value.
      const prev = await refreshedSeq(page);
      await page.evaluate((w) => { window.toolprof.state.window = w; window.toolprof.refresh(); }, '<img src=x onerror=alert("h9")>');
      await waitRefresh(page, prev);
      const alertText = await page.evaluate(() => document.getElementById('alerts').textContent);
      assert(/HTTP 400/.test(alertText), 'no error shown: ' + alertText);
      await inert('error alert');
      for (let i = consoleErrors.length - 1; i >= 0; i--) if (/status of 400/.test(consoleErrors[i])) consoleErrors.splice(i, 1);
      await load(page, '?window=24h');
    });

    await check('hostile strings screenshot', async () => {
      await fullShot(page, 'dashboard-hostile.png');
    });
  }
  // ==== end of hostile strings ==========================================================

  // ==== a store built from tests/data ====================================================
  await recordedChecks({ context, check, skip, assert, eq, fullShot, consoleErrors, rec: recorded });

  // ==== no team store: no person or machine pickers, no Team view ===========================
  await teamChecks({ context, check, skip, assert, eq, consoleErrors, dialogs, plainUrl: BASE, teamSq });

  await check('no requests outside the server origin', async () => {
    eq(foreignRequests.length, 0, 'foreign requests: ' + foreignRequests.join(', '));
  });

  await check('console free of errors and CSP violations', async () => {
    const csp = await page.evaluate(() => window.__csp || []);
    eq(csp.length, 0, 'CSP violations: ' + csp.join('; '));
    eq(consoleErrors.length, 0, 'console: ' + consoleErrors.join('\n'));
  });

  await check('no dialog ever opened', async () => {
    eq(dialogs.length, 0, 'dialogs: ' + dialogs.join('; '));
  });
} catch (e) {
  failed++;
  console.log('not ok - the run stopped: ' + ((e && e.stack) || e));
} finally {
  await browser.close();
}

// The servers this run started: exit 0 on SIGTERM, no sanitizer report.
for (const { name, srv, home, dir } of started) {
  await check(`toolprof serve (${name}) stops with exit 0 and no sanitizer report`, async () => {
    const r = await srv.stop();
    eq(r.code, 0, 'exit code');
  });
  fs.rmSync(home, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
try {
  checkAllStopped();
} catch (e) {
  failed++;
  console.log('not ok - ' + e.message);
}

console.log(passed + ' passed, ' + failed + ' failed, ' + skipped + ' skipped');
process.exit(failed || !passed ? 1 : 0);
