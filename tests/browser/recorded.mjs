// recorded.mjs - the dashboard over a store built from the recordings in
// tests/data with the real `toolprof import` (dashboard.mjs starts two servers
// over it: "rec", an hour after the recorded session, and "old", 40 days later).
//
// What issue 11 asks to see: the waterfall of a known session (one bar per
// call, each bar's segments as long as its phases, sub-agent calls in their
// lane), the link from a slow call landing on that call, the Duration, Total
// and Share columns at 390 and 1400 px, a history older than 30 days, the
// comparison of two periods against the API and the command line, and no
// serious or critical accessibility violation (axe-core) on the main page and
// the session page. Expected values come from the API (and the API's from
// tests/data/reference.py in the integration tests), never from the page.

import { cli as libCli } from '../integration/lib.mjs';
import { axeFindings } from './chromium.mjs';

const SESSION = '68f997f7-a9b1-4d13-a1eb-cbc0be960b77';

export async function recordedChecks(t) {
  const { context, check, skip, assert, eq, fullShot, consoleErrors, rec } = t;
  if (!rec || !rec.url || !rec.oldUrl || !rec.dataDir || !rec.now) {
    skip('recorded-store cases', 'a server was given (TOOLPROF_URL) without TOOLPROF_REC_URL, TOOLPROF_REC_DATA, '
      + 'TOOLPROF_REC_NOW, TOOLPROF_OLD_URL and TOOLPROF_OLD_NOW');
    return;
  }
  const REC = rec.url.replace(/\/$/, '');
  const OLD = rec.oldUrl.replace(/\/$/, '');
  const DATA = rec.dataDir;
  const REC_NOW = String(rec.now);
  const get = async (base, p) => {
    const res = await fetch(base + p, { headers: { Accept: 'application/json' } });
    const body = await res.json();
    if (!res.ok || !body.success) throw new Error('GET ' + p + ': HTTP ' + res.status + ' ' + JSON.stringify(body));
    return body;
  };
  // The command line over the same store and clock; lib.mjs's cli() throws
  // on a sanitizer report or a death by a signal, and the exit must be 0.
  const cli = (args) => {
    const r = libCli(['--data-dir', DATA, ...args], { env: { TOOLPROF_NOW_MS: REC_NOW, NO_COLOR: '1' } });
    if (r.status !== 0) throw new Error('toolprof ' + args.join(' ') + ' exited ' + r.status + ': ' + r.stderr);
    return r.stdout;
  };
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push('rec page: ' + m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('rec page uncaught: ' + e.message));
  const loaded = async (url) => {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.getAttribute('data-refreshed') !== null, null, { timeout: 10000 });
  };
  const refreshedAfter = async (prev) => page.waitForFunction((p) => {
    const v = document.body.getAttribute('data-refreshed');
    return v !== null && v !== p;
  }, prev, { timeout: 10000 });
  /* axe-core's serious and critical findings on the page (chromium.mjs). */
  const axe = () => axeFindings(page);

  const detail = (await get(REC, '/api/performance/sessions/' + SESSION)).data;

  await check('recorded session: one bar per call, each segment as long as its phase', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await loaded(REC + '/performance-profiling?view=session&session=' + SESSION);
    const g = await page.evaluate(() => {
      const box = document.getElementById('timeline');
      const k = +box.getAttribute('data-px-per-ms');
      const v0 = +box.getAttribute('data-view-start-ms');
      const track = box.querySelector('.tp-tl-list .tp-tl-track').getBoundingClientRect();
      return {
        k, v0, trackLeft: track.left,
        bars: Array.from(box.querySelectorAll('.tp-tl-list li[data-call]'), (li) => {
          const bar = li.querySelector('.tp-tl-bar');
          const r = bar.getBoundingClientRect();
          return {
            id: li.getAttribute('data-call'), lane: +li.getAttribute('data-lane'),
            left: r.left, width: r.width,
            segs: Array.from(bar.children, (s) => ({ kind: s.getAttribute('data-kind'), width: s.getBoundingClientRect().width })),
          };
        }),
      };
    });
    eq(g.bars.length, detail.calls.length, 'bars');
    assert(g.k > 0, 'no scale on #timeline');
    let checked = 0;
    for (const c of detail.calls) {
      const b = g.bars.find((x) => x.id === c.tool_use_id);
      assert(b, 'no bar for ' + c.tool_use_id);
      // Expected segments from the API's phases alone.
      const ms = (p) => (p && typeof p.ms === 'number' ? p.ms : null);
      const hook = ms(c.phases.hook), wait = ms(c.phases.wait), exec = ms(c.phases.exec), wall = ms(c.phases.wall);
      const known = (hook || 0) + (wait || 0) + (exec || 0);
      const total = Math.max(wall !== null ? wall : c.end_offset_ms - c.start_offset_ms, known);
      const want = [];
      if (hook) want.push(['hook', hook]);
      if (wait) want.push(['wait', wait]);
      if (exec) want.push(['exec', exec]);
      if (total - known > 0.0005) want.push(['unknown', total - known]);
      eq(b.segs.map((s) => s.kind).join(','), want.map((w) => w[0]).join(','), c.tool + ' ' + c.tool_use_id + ' segments');
      for (let i = 0; i < want.length; i++) {
        const px = want[i][1] * g.k;
        assert(Math.abs(b.segs[i].width - px) <= 0.75,
          c.tool + ' ' + want[i][0] + ': ' + b.segs[i].width.toFixed(2) + ' px, the API says ' + want[i][1] + ' ms = ' + px.toFixed(2) + ' px');
        checked++;
      }
      // The bar starts at its offset on the same scale.
      assert(Math.abs(b.left - (g.trackLeft + (c.start_offset_ms - g.v0) * g.k)) <= 0.75, c.tool + ' starts at the wrong place');
      eq(b.lane, c.lane, c.tool_use_id + ' lane');
    }
    // The interactive Bash: waited 2,108 ms, ran 81 ms (tests/data/MANIFEST.md).
    const bash = detail.calls.find((c) => c.phases.wait && c.phases.wait.ms > 2000);
    assert(bash, 'no call that waited');
    const bb = g.bars.find((x) => x.id === bash.tool_use_id);
    eq(bb.segs.map((s) => s.kind).join(','), 'wait,exec', 'the approved Bash');
    assert(bb.segs[0].width > 20 * bb.segs[1].width, 'its wait is 26 times its execution');
    return checked + ' segments of ' + g.bars.length + ' bars';
  });

  await check('recorded session: the sub-agent\'s calls in their own lane, under the Agent call', async () => {
    const lanes = detail.lanes.filter((l) => l.lane > 0);
    eq(lanes.length, 1, 'sub-agent lanes in the API');
    const sub = detail.calls.filter((c) => c.lane === lanes[0].lane);
    eq(sub.length, 4, 'sub-agent calls (reference.py: 4)');
    const order = await page.$$eval('.tp-tl-list > li', (lis) => lis.map((li) => ({
      call: li.getAttribute('data-call'), lane: li.getAttribute('data-lane'), head: li.classList.contains('tp-tl-lane'),
      text: li.textContent,
    })));
    const parentAt = order.findIndex((r) => r.call === lanes[0].parent);
    assert(parentAt >= 0, 'the Agent call that started the lane is not shown');
    assert(order[parentAt + 1].head, 'no lane heading right under the Agent call');
    assert(/started by Agent/.test(order[parentAt + 1].text), 'lane heading: ' + order[parentAt + 1].text);
    const next = order.slice(parentAt + 2, parentAt + 2 + sub.length);
    eq(next.map((r) => r.call).sort().join(','), sub.map((c) => c.tool_use_id).sort().join(','), 'the lane\'s rows');
    assert(next.every((r) => r.lane === String(lanes[0].lane)), 'rows of the lane');
  });

  await check('recorded session: gaps labelled, hover details, keyboard, zoom', async () => {
    const clock = detail.clock;
    const labels = await page.$$eval('.tp-stretch', (s) => s.map((e) => ({ part: e.getAttribute('data-part'), label: e.getAttribute('aria-label') })));
    eq(labels.length, clock.length, 'stretches of the clock');
    const idle = labels.filter((l) => l.part === 'idle');
    assert(idle.length > 0 && idle.every((l) => /idle/.test(l.label)), 'idle gaps not labelled');
    const gapTexts = await page.$$eval('.tp-gap:not(.tp-narrow) .tp-gap-text', (g) => g.map((e) => e.textContent));
    // A gap between calls is model time, the wait for the person's next
    // prompt (the importer stores the turns) or idle, labelled so.
    assert(gapTexts.length > 0 && gapTexts.every((x) => /^(model|waiting for your prompt|idle) \d/.test(x)),
      'gaps among the calls not labelled with what they were: ' + gapTexts.join(', '));
    // Hover: the tooltip shows the target, the outcome, the phases.
    const c = detail.calls.find((x) => x.tool === 'Read' && x.success === false);
    await page.hover('li[data-call="' + c.tool_use_id + '"] .tp-tl-bar');
    const tip = await page.evaluate(() => ({ hidden: document.getElementById('tl-tooltip').hidden, text: document.getElementById('tl-tooltip').textContent }));
    eq(tip.hidden, false, 'tooltip hidden');
    assert(tip.text.includes(c.target) && /failed/.test(tip.text) && /execution/.test(tip.text), 'tooltip: ' + tip.text);
    // Keyboard: focus a bar, move down, zoom in and fit.
    await page.focus('li[data-call="' + detail.calls[0].tool_use_id + '"] .tp-tl-bar');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    const sel = await page.evaluate(() => ({
      id: document.activeElement.closest('li').getAttribute('data-call'),
      current: document.querySelector('.tp-tl-list li[aria-current="true"]').getAttribute('data-call'),
      url: new URL(location.href).searchParams.get('call'),
      k: +document.getElementById('timeline').getAttribute('data-px-per-ms'),
    }));
    const order = await page.$$eval('.tp-tl-list li[data-call]', (lis) => lis.map((li) => li.getAttribute('data-call')));
    eq(sel.id, order[1], 'ArrowDown moves to the second call');
    eq(sel.current, order[1], 'the selected row');
    eq(sel.url, order[1], 'the selected call in the URL');
    await page.keyboard.press('+');
    const k2 = await page.evaluate(() => +document.getElementById('timeline').getAttribute('data-px-per-ms'));
    assert(Math.abs(k2 / sel.k - 2) < 0.01, '+ doubles the scale: ' + sel.k + ' -> ' + k2);
    await page.keyboard.press('0');
    const k3 = await page.evaluate(() => +document.getElementById('timeline').getAttribute('data-px-per-ms'));
    assert(Math.abs(k3 - sel.k) < 1e-9, '0 fits again');
    await fullShot(page, 'dashboard-session.png');
  });

  await check('axe-core: no serious or critical violation on the session page', async () => {
    const v = await axe();
    eq(v.length, 0, 'violations:\n' + v.join('\n'));
  });

  await check('the link from a slow call lands on that call', async () => {
    await loaded(REC + '/performance-profiling?window=all');
    const slow = (await get(REC, '/api/performance/slow-operations?threshold=2000&limit=50&window=all')).data;
    assert(slow.length > 0, 'no slow calls in the recordings');
    const first = slow[0];
    const d = slow.map((o) => o.duration_ms);
    eq(JSON.stringify(d), JSON.stringify([...d].sort((a, b) => b - a)), 'slow calls slowest first');
    const rows = await page.$$eval('#slow-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-call')));
    eq(rows[0], first.tool_use_id, 'the slowest call first in the table');
    const prev = await page.evaluate(() => document.body.getAttribute('data-refreshed'));
    await page.click('#slow-table tbody tr:first-child a.tp-moment');
    await refreshedAfter(prev);
    const r = await page.evaluate(() => {
      const li = document.querySelector('.tp-tl-list li[aria-current="true"]');
      const rect = li && li.getBoundingClientRect();
      return {
        url: location.search, call: li && li.getAttribute('data-call'),
        focused: document.activeElement && document.activeElement.closest('li') === li,
        inView: rect && rect.top >= 0 && rect.bottom <= window.innerHeight,
        details: document.getElementById('tl-details').textContent,
        view: document.body.getAttribute('data-view'),
      };
    });
    eq(r.view, 'session', 'the session view');
    const u = new URLSearchParams(r.url);
    eq(u.get('session'), first.session_id, 'session in the URL');
    eq(u.get('call'), first.tool_use_id, 'call in the URL');
    eq(r.call, first.tool_use_id, 'the selected call');
    eq(r.focused, true, 'the call has the focus');
    eq(r.inView, true, 'the call is in view');
    assert(r.details.includes(first.tool_use_id), 'details of the call');
    // Back returns to the overview.
    await page.goBack();
    await page.waitForFunction(() => document.body.getAttribute('data-view') === 'overview');
  });

  await check('hotspot, bottleneck and evidence rows link to a moment of a session', async () => {
    await loaded(REC + '/performance-profiling?window=all');
    const hs = (await get(REC, '/api/performance/hotspots?limit=10&window=all')).data;
    const links = await page.evaluate(() => ({
      hot: Array.from(document.querySelectorAll('#hotspots-table tbody tr a.tp-moment'), (a) => a.getAttribute('href')),
      bn: Array.from(document.querySelectorAll('#bottlenecks a.tp-moment'), (a) => a.getAttribute('href')),
      ev: Array.from(document.querySelectorAll('.tp-evidence a.tp-moment'), (a) => a.getAttribute('href')),
    }));
    const withCall = hs.filter((h) => h.slowest_call && h.slowest_call.session_id);
    eq(links.hot.length, withCall.length, 'hotspot links');
    const hrefs = withCall.map((h) => new URLSearchParams({ session: h.slowest_call.session_id, call: h.slowest_call.tool_use_id }));
    for (const want of hrefs) {
      assert(links.hot.some((h) => { const p = new URL(h, REC).searchParams; return p.get('session') === want.get('session') && p.get('call') === want.get('call'); }),
        'no hotspot link to ' + want);
    }
    assert(links.bn.length > 0, 'no bottleneck links');
    assert(links.ev.length > 0, 'no evidence links');
    // Follow the first hotspot's link.
    const prev = await page.evaluate(() => document.body.getAttribute('data-refreshed'));
    await page.click('#hotspots-table tbody tr:first-child a.tp-moment');
    await refreshedAfter(prev);
    const call = await page.evaluate(() => document.querySelector('.tp-tl-list li[aria-current="true"]').getAttribute('data-call'));
    const top = hs.slice().sort((a, b) => b.total_ms - a.total_ms)[0];
    eq(call, top.slowest_call.tool_use_id, 'the hotspot\'s slowest call');
  });

  for (const width of [390, 1400]) {
    await check('at ' + width + ' px the Duration, Total and Share columns are visible', async () => {
      await page.setViewportSize({ width, height: 900 });
      await loaded(REC + '/performance-profiling?window=all');
      await page.waitForTimeout(300);
      const r = await page.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const seen = (e) => {
          if (!e) return 'missing';
          const b = e.getBoundingClientRect();
          const cs = getComputedStyle(e);
          if (cs.display === 'none' || cs.visibility === 'hidden' || b.width < 1 || b.height < 1) return 'hidden';
          if (b.left < 0 || b.right > vw + 0.5) return 'outside the page (' + Math.round(b.left) + '..' + Math.round(b.right) + ' of ' + vw + ')';
          // Not cut off by a scrolling table: inside its container too.
          const wrap = e.closest('.tp-table-wrap');
          if (wrap) {
            const w = wrap.getBoundingClientRect();
            if (b.left < w.left - 0.5 || b.right > w.right + 0.5) return 'scrolled out of its table';
          }
          return 'ok';
        };
        const head = (table, key) => document.querySelector('#' + table + ' th[data-key="' + key + '"]');
        const cell = (table, col) => document.querySelector('#' + table + ' tbody tr:first-child td:nth-child(' + col + ')');
        return {
          width: document.documentElement.scrollWidth, vw,
          duration: [seen(head('slow-table', 'duration_ms')), seen(cell('slow-table', 3))],
          total: [seen(head('hotspots-table', 'total_ms')), seen(cell('hotspots-table', 5))],
          share: [seen(head('hotspots-table', 'share')), seen(cell('hotspots-table', 6))],
          latencyTotal: [seen(head('latency-table', 'total_ms')), seen(cell('latency-table', 6))],
          // The targets keep room to be read: one line, and wide.
          target: [seen(cell('hotspots-table', 2)), seen(cell('slow-table', 2))],
          targetWidth: Math.min(cell('hotspots-table', 2).getBoundingClientRect().width,
            cell('slow-table', 2).getBoundingClientRect().width),
          targetHeight: Math.max(cell('hotspots-table', 2).querySelector('.tp-target').getBoundingClientRect().height,
            cell('slow-table', 2).querySelector('.tp-target').getBoundingClientRect().height),
          hidden: Array.from(document.querySelectorAll('.tp-table th, .tp-table td')).filter((e) => getComputedStyle(e).display === 'none').length,
        };
      });
      assert(r.width <= r.vw, 'the page scrolls sideways: ' + r.width + ' > ' + r.vw);
      for (const k of ['duration', 'total', 'share', 'latencyTotal', 'target']) eq(r[k].join(', '), 'ok, ok', k);
      assert(r.targetWidth >= 120, 'targets squeezed to ' + r.targetWidth + ' px');
      assert(r.targetHeight < 30, 'targets wrapped to ' + r.targetHeight + ' px of height');
      eq(r.hidden, 0, 'table cells hidden');
      if (width === 390) await fullShot(page, 'dashboard-recorded-narrow.png');
    });
  }
  await page.setViewportSize({ width: 1400, height: 900 });

  await check('long paths are cut in the middle: the file name stays, the whole path on hover', async () => {
    await loaded(REC + '/performance-profiling?window=24h');
    const r = await page.evaluate(() => Array.from(document.querySelectorAll('#hotspots-table .tp-target[title]'), (t) => {
      const head = t.querySelector('.tp-mid-head'), tail = t.querySelector('.tp-mid-tail');
      return {
        title: t.getAttribute('title'), text: t.textContent,
        tail: tail && tail.textContent, tailCut: tail && tail.scrollWidth > tail.clientWidth + 1,
        headCut: head && head.scrollWidth > head.clientWidth + 1,
      };
    }));
    const paths = r.filter((x) => x.title.startsWith('/tmp/toolprof-fixtures/project/'));
    assert(paths.length > 0, 'no path among the hotspots');
    for (const p of paths) {
      eq(p.text, p.title, 'text and title');
      eq(p.tail, p.title.slice(p.title.lastIndexOf('/')), 'the file name is the tail');
      eq(p.tailCut, false, 'the file name is whole in ' + p.title);
    }
  });

  await check('one colour per tool, in every window and after a reload', async () => {
    const colours = async () => page.$$eval('#latency-table tbody tr', (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.querySelector('.tp-swatch').style.backgroundColor])));
    await loaded(REC + '/performance-profiling?window=all');
    const all = await colours();
    await loaded(REC + '/performance-profiling?window=24h');
    const day = await colours();
    await page.reload();
    await page.waitForFunction(() => document.body.getAttribute('data-refreshed') !== null);
    const again = await colours();
    const common = Object.keys(day);
    assert(common.length >= 5, 'tools in 24h: ' + common.join(', '));
    for (const tool of common) {
      eq(day[tool], all[tool], tool + ': 24h vs all');
      eq(again[tool], day[tool], tool + ': after a reload');
    }
    const chart = await page.evaluate(() => {
      const c = Chart.getChart(document.getElementById('tools-chart'));
      return Object.fromEntries(c.data.labels.map((l, i) => [l, c.data.datasets[0].backgroundColor[i]]));
    });
    const norm = (c) => c.replace(/\s/g, '');
    for (const tool of common) {
      if (chart[tool]) {
        const swatch = await page.evaluate((col) => { const e = document.createElement('span'); e.style.backgroundColor = col; return e.style.backgroundColor; }, chart[tool]);
        eq(norm(swatch), norm(day[tool]), tool + ': chart and table');
      }
    }
  });

  await check('the trend: hourly points over 24 h, gaps where there were no calls', async () => {
    await loaded(REC + '/performance-profiling?window=24h');
    const api = (await get(REC, '/api/performance/trends?window=24h')).data;
    eq(api.step, 'hour', 'step');
    const r = await page.evaluate(() => {
      const c = Chart.getChart(document.getElementById('trend-chart'));
      return { n: c.data.labels.length, avg: c.data.datasets.find((d) => d.label === 'Average').data, spanGaps: c.options.spanGaps };
    });
    eq(r.n, api.labels.length, 'points');
    for (let i = 0; i < r.n; i++) eq(r.avg[i], api.avg_durations[i], 'point ' + i);
    assert(r.avg.some((v) => v === null) && r.avg.some((v) => v !== null), 'gaps and values');
    eq(r.spanGaps, false, 'spanGaps');
  });

  await check('the page formats numbers and durations as the command line does', async () => {
    await loaded(REC + '/performance-profiling?window=all');
    const text = cli(['stats', '--window', 'all']);
    const m = /avg (.+?)\s{3}median/.exec(text);
    assert(m, 'no average in: ' + text);
    eq(await page.textContent('#kpi-avg'), m[1], 'average');
    const n = /operations ([\d,]+)/.exec(text);
    eq(await page.textContent('#kpi-total'), n[1], 'operations');
    // A row of the tools table: p95 as the CLI prints it.
    const rows = await page.$$eval('#latency-table tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[3].textContent])));
    for (const line of text.split('\n')) {
      const cols = line.split(/\s{2,}/);
      if (rows[cols[0]] !== undefined && cols.length >= 6) eq(rows[cols[0]], cols[4], cols[0] + ' p95');
    }
  });

  await check('compare: the page shows what the API and the command line answer for the same ranges', async () => {
    const since = '2026-12-04T00:00', until = '2026-12-06T00:00', bs = '2026-02-01T00:00', bu = '2026-03-01T00:00';
    await loaded(REC + '/performance-profiling?view=compare&since=' + since + '&until=' + until +
      '&baseline_since=' + bs + '&baseline_until=' + bu);
    const api = (await get(REC, '/api/performance/compare?' + new URLSearchParams({ since, until, baseline_since: bs, baseline_until: bu }))).data;
    const mine = JSON.parse(cli(['compare', '--since', since, '--until', until, '--baseline-since', bs, '--baseline-until', bu, '--json']));
    eq(JSON.stringify(mine), JSON.stringify(api), 'toolprof compare --json and the API');
    const shown = await page.evaluate(() => Array.from(document.querySelectorAll('#compare-table tbody tr'), (tr) => ({
      tool: tr.getAttribute('data-tool'), cells: Array.from(tr.cells, (c) => c.textContent),
      v50: tr.cells[5].getAttribute('data-verdict'), v95: tr.cells[8].getAttribute('data-verdict'),
    })));
    eq(shown.length, api.tools.length + 1, 'rows (all calls and each tool)');
    const fmt = await page.evaluate((rows) => rows.map((r) => [
      window.toolprof.fmtInt(r.baseline.count), window.toolprof.fmtInt(r.current.count),
      window.toolprof.fmtDur(r.baseline.p50_ms), window.toolprof.fmtDur(r.current.p50_ms),
      window.toolprof.fmtDur(r.baseline.p95_ms), window.toolprof.fmtDur(r.current.p95_ms)]), [api.all, ...api.tools]);
    const byTool = new Map(shown.map((s) => [s.tool, s]));
    [api.all, ...api.tools].forEach((row, i) => {
      const label = i === 0 ? '' : (row.agent && row.agent !== 'claude-code' ? row.tool + ' (' + row.agent + ')' : row.tool);
      const s = byTool.get(label);
      assert(s, 'no row for ' + (label || 'all'));
      const got = [s.cells[1], s.cells[2], s.cells[3], s.cells[4], s.cells[6], s.cells[7]];
      eq(JSON.stringify(got), JSON.stringify(fmt[i]), (label || 'all') + ' figures');
      eq(s.v50, row.p50_change, (label || 'all') + ' p50 verdict');
      eq(s.v95, row.p95_change, (label || 'all') + ' p95 verdict');
    });
    // The table sorts too.
    await page.click('#compare-table th[data-key="tool"] button');
    const names = await page.$$eval('#compare-table tbody tr', (t) => t.slice(1).map((tr) => tr.getAttribute('data-tool')));
    eq(JSON.stringify(names), JSON.stringify([...names].sort((a, b) => a.localeCompare(b))), 'sorted by tool');
    await fullShot(page, 'dashboard-compare.png');
  });

  await check('the sessions list: sortable, dates with the year when not this year, links to each session', async () => {
    await loaded(REC + '/performance-profiling?view=sessions&window=all');
    const api = (await get(REC, '/api/performance/sessions?window=all&limit=1000')).data;
    const rows = await page.$$eval('#sessions-table tbody tr', (trs) => trs.map((tr) => ({
      id: tr.getAttribute('data-session'), start: tr.cells[0].textContent, href: tr.querySelector('a.tp-moment').getAttribute('href'),
    })));
    eq(rows.length, api.length, 'sessions');
    const thisYear = new Date().getFullYear();
    for (const s of api) {
      const r = rows.find((x) => x.id === s.id);
      const y = new Date(s.start_ms).getFullYear();
      eq(r.start.includes(String(y)), y !== thisYear, s.id + ' start "' + r.start + '" and its year');
      eq(new URL(r.href, REC).searchParams.get('session'), s.id, 'link');
    }
    await page.click('#sessions-table th[data-key="approvals_ms"] button');
    const waits = await page.$$eval('#sessions-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-session')));
    const want = api.slice().sort((a, b) => (b.time.approvals_ms + b.time.unsplit_ms) - (a.time.approvals_ms + a.time.unsplit_ms)).map((s) => s.id);
    eq(JSON.stringify(waits), JSON.stringify(want), 'longest approval waits first');
    await page.check('#sessions-failed');
    const failed = await page.$$eval('#sessions-table tbody tr[data-session]', (t) => t.length);
    eq(failed, api.filter((s) => s.failed > 0).length, 'only with failures');
  });

  await check('axe-core: no serious or critical violation on the main page', async () => {
    await loaded(REC + '/performance-profiling?window=all');
    await page.waitForTimeout(500);
    const v = await axe();
    eq(v.length, 0, 'violations:\n' + v.join('\n'));
  });

  await check('axe-core: none on the sessions list, the comparison and in dark mode', async () => {
    for (const q of ['?view=sessions&window=all', '?view=compare&window=7d']) {
      await loaded(REC + '/performance-profiling' + q);
      const v = await axe();
      eq(v.length, 0, q + ' violations:\n' + v.join('\n'));
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const q of ['?window=all', '?view=session&session=' + SESSION]) {
      await loaded(REC + '/performance-profiling' + q);
      await page.waitForTimeout(300);
      const v = await axe();
      eq(v.length, 0, 'dark ' + q + ' violations:\n' + v.join('\n'));
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  // ---- a history older than 30 days -----------------------------------------------
  await check('a history older than 30 days: the page opens on a window that has data, and says so', async () => {
    await loaded(OLD + '/performance-profiling');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('window') === 'all', null, { timeout: 10000 });
    await page.waitForFunction(() => document.getElementById('kpi-total').textContent !== '–' &&
      document.getElementById('kpi-total').textContent !== '0', null, { timeout: 10000 });
    const r = await page.evaluate(() => ({
      notice: document.getElementById('notice').textContent, hidden: document.getElementById('notice').hidden,
      pressed: document.querySelector('#window-group [data-window="all"]').getAttribute('aria-pressed'),
      total: document.getElementById('kpi-total').getAttribute('data-value'),
      empty: document.getElementById('empty-state').hidden,
    }));
    const api = (await get(OLD, '/api/performance/stats?window=all')).data;
    eq(r.hidden, false, 'notice hidden');
    assert(/Nothing was recorded in the last 24 hours; showing all time: the newest call was on /.test(r.notice), 'notice: ' + r.notice);
    eq(r.pressed, 'true', 'All pressed');
    eq(Number(r.total), api.total_operations, 'total');
    eq(r.empty, true, 'empty state hidden');
  });

  await check('a history older than 30 days, window asked for: when the newest call was, and a button that shows it', async () => {
    await loaded(OLD + '/performance-profiling?window=30d');
    const s = (await get(OLD, '/api/performance/stats?window=30d')).data;
    eq(s.total_operations, 0, 'calls in 30d');
    eq(s.empty.suggested_window, 'all', 'suggested');
    const r = await page.evaluate(() => ({
      shown: !document.getElementById('empty-state').hidden, title: document.getElementById('empty-title').textContent,
      newest: document.getElementById('empty-newest-text').textContent, btn: document.getElementById('empty-newest-btn').textContent,
      kpis: ['kpi-total', 'kpi-avg', 'kpi-slow', 'kpi-opt'].map((id) => document.getElementById(id).textContent),
      recs: document.getElementById('recommendations').textContent,
      window: new URL(location.href).searchParams.get('window'),
    }));
    eq(r.shown, true, 'empty state');
    eq(r.window, '30d', 'the window asked for is kept');
    assert(/No operations in the last 30 days/.test(r.title), 'title: ' + r.title);
    assert(/^The newest call was on \d+ [A-Z][a-z]{2}( \d{4},)? \d\d:\d\d, 40 days ago\.$/.test(r.newest), 'newest: ' + r.newest);
    eq(r.btn, 'Show all time', 'button');
    // No data is "–", never 0 ms or 100 %.
    eq(JSON.stringify(r.kpis.slice(1)), JSON.stringify(['–', '–', '–']), 'KPIs of an empty window');
    assert(!/look good/i.test(r.recs), 'recommendations: ' + r.recs);
    const prev = await page.evaluate(() => document.body.getAttribute('data-refreshed'));
    await page.click('#empty-newest-btn');
    await refreshedAfter(prev);
    eq(await page.evaluate(() => new URL(location.href).searchParams.get('window')), 'all', 'window after the button');
    eq(await page.evaluate(() => document.getElementById('empty-state').hidden), true, 'empty state after the button');
    await fullShot(page, 'dashboard-old-history.png');
  });
  await page.close();
}
