// dashboard.mjs - the dashboard on the team server (ClickHouse), in the
// system Chromium (tests/browser/chromium.mjs, the browser suite's driver):
// the person and machine pickers, filled from the team answer's members;
// picking a person or a machine shows exactly the calls of that person's or
// that machine's own store (each machine's `toolprof stats`, counted
// there), and every panel equals the API's answer to the same filter; the
// comparison takes them, the sessions list says it does not; the Team view
// shows the team answer's three tables, every value as text (a machine of
// carol's is named with markup, and her calls' command and MCP server too);
// axe-core finds nothing serious or critical on the pickers or the Team view.
//
// team.test.mjs calls dashboardChecks(t, env) once its machines have pushed;
// each check is a subtest of t. env: {base, token, api(pathAndQuery) -> the
// answer's JSON, local: {alice, bob, carol, 'alice-laptop', 'alice-desktop'}
// (each machine's or person's own count of its calls, window all), hostile:
// {host, command, server} (carol's strings)}. The Team view is saved as build/dashboard-team.png.

import assert from 'node:assert/strict';
import path from 'node:path';

import { axeFindings, launch, open, refreshedSeq, waitRefresh, watch } from '../browser/chromium.mjs';
import { ROOT } from '../integration/lib.mjs';

const WAIT = 60000; // a refresh asks ClickHouse ~10 questions; the machine is shared and slow

export async function dashboardChecks(t, env) {
  const { base, token, api, local, hostile } = env;
  const PAGE = base + '/performance-profiling';
  const ORIGIN = new URL(base).origin;
  const browser = await launch();
  const page = await browser.context.newPage();
  const w = watch(page, ORIGIN);
  const qs = (o) => new URLSearchParams(o).toString();

  // Open a page address and keep the page from refreshing on its own (a
  // timed refresh finishing between a test's action and its wait would be
  // taken for the action's).
  const load = async (query) => {
    await open(page, PAGE + query, WAIT);
    await hold();
  };
  const hold = () => page.evaluate(() => {
    window.toolprof.state.refreshMs = 36e5;
    clearTimeout(window.toolprof.state.timer);
  });
  // Do something that refreshes the page, and wait for that refresh.
  const refreshed = async (action) => {
    const prev = await refreshedSeq(page);
    const before = w.apiRequests.length;
    await action();
    await waitRefresh(page, prev, WAIT);
    await hold();
    return w.apiRequests.slice(before).map((r) => new URL(r.url));
  };
  const options = (sel) => page.$$eval(sel + ' option', (os) => os.map((o) => [o.value, o.textContent]));
  const total = async () => Number(await page.getAttribute('#kpi-total', 'data-value'));
  const param = (name) => new URL(page.url()).searchParams.get(name);
  // The requests a filter must reach: all but the lists of every tool, every
  // agent (the pickers') and the team's members.
  const filtered = (reqs) => reqs.filter((u) => !/\/(tools|resources|team)$/.test(u.pathname) &&
    !(u.searchParams.get('by') === 'agent' && u.searchParams.get('window') === 'all'));
  // The overview's panels against the API's answers for the same filter.
  const overviewMatches = async (filter) => {
    const s = (await api(`/api/performance/stats?${qs({ window: 'all', ...filter })}`)).data;
    assert.equal(await total(), s.total_operations, 'total operations');
    const avg = Number(await page.getAttribute('#kpi-avg', 'data-value'));
    assert.ok(Math.abs(avg - s.avg_duration_ms) <= 1e-6 * Math.max(1, s.avg_duration_ms), `average ${avg} != ${s.avg_duration_ms}`);
    assert.equal(Number(await page.getAttribute('#kpi-slow', 'data-value')), s.slow_operations_count, 'slow operations');
    const rows = await page.$$eval('#latency-table tbody tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
    const want = await page.evaluate((tools) => tools.map((r) => [window.toolprof.toolLabel(r.tool, r.agent), window.toolprof.fmtInt(r.count)]), s.tools);
    assert.deepEqual(rows, want, 'latency rows');
    const slow = (await api(`/api/performance/slow-operations?${qs({ threshold: 2000, limit: 50, window: 'all', ...filter })}`)).data;
    const slowRows = await page.$$eval('#slow-table tbody tr', (trs) => trs.filter((tr) => !tr.querySelector('.tp-empty'))
      .map((tr) => tr.cells[1].querySelector('.tp-target').getAttribute('title')));
    assert.deepEqual(slowRows, slow.map((o) => o.target), 'slow operations');
    return s.total_operations;
  };

  try {
    const members = (await api('/api/performance/team?window=all&limit=1')).data.members;

    await t.test('the page asks what the store is, then shows a person and a machine picker filled from the team\'s members', async () => {
      await load('?token=' + encodeURIComponent(token) + '&window=all');
      assert.deepEqual(members.map((m) => m.person), ['alice', 'bob', 'carol'], 'the people who pushed');
      assert.deepEqual(members.find((m) => m.person === 'carol').hosts, [hostile.host]);
      const ui = await page.evaluate(() => ({
        pickers: getComputedStyle(document.getElementById('people-filters')).display !== 'none',
        nav: getComputedStyle(document.getElementById('nav-team')).display !== 'none',
        disabled: document.getElementById('person-filter').disabled || document.getElementById('host-filter').disabled,
        alerts: document.getElementById('alerts').textContent,
      }));
      assert.deepEqual(ui, { pickers: true, nav: true, disabled: false, alerts: '' });
      assert.equal(await page.isVisible('#person-filter') && await page.isVisible('#host-filter') && await page.isVisible('#nav-team'), true);
      assert.deepEqual(await options('#person-filter'), [['', 'All people'], ...members.map((m) => [m.person, m.person])]);
      assert.deepEqual(await options('#host-filter'), [['', 'All machines'],
        ...members.flatMap((m) => m.hosts.map((h) => [h, `${h} (${m.person})`]))]);
      assert.ok(w.apiRequests.some((r) => new URL(r.url).pathname === '/api/performance/resources'), 'the page did not ask what the store is');
      const n = await overviewMatches({});
      assert.equal(n, local.alice + local.bob + local.carol, 'everyone\'s calls');
      assert.deepEqual(await axeFindings(page), [], 'axe-core on the overview with the pickers');
    });

    await t.test('person bob: every panel shows exactly the calls of bob\'s machine', async () => {
      const reqs = await refreshed(() => page.selectOption('#person-filter', 'bob'));
      assert.equal(param('person'), 'bob');
      assert.equal(param('host'), null);
      const n = await overviewMatches({ person: 'bob' });
      assert.equal(n, local.bob, 'bob\'s machine counts its own calls');
      const without = filtered(reqs).filter((u) => u.searchParams.get('person') !== 'bob' || u.searchParams.has('host'));
      assert.deepEqual(without.map((u) => u.pathname + u.search), [], 'requests without person=bob');
      assert.ok(filtered(reqs).length >= 6, `${filtered(reqs).length} filtered requests`);
      const unfiltered = reqs.filter((u) => /\/team$/.test(u.pathname));
      assert.ok(unfiltered.length === 1 && !unfiltered[0].searchParams.has('person'), 'the members list is everyone\'s');
      assert.deepEqual(await options('#host-filter'), [['', 'All machines'], ['bob-box', 'bob-box']], 'bob\'s machines');
      assert.match(await page.textContent('#trend-caption'), / · bob( ·|$)/);
    });

    await t.test('a machine: alice-desktop shows exactly its calls; picking someone else forgets it', async () => {
      await refreshed(() => page.selectOption('#person-filter', ''));
      await refreshed(() => page.selectOption('#host-filter', 'alice-desktop'));
      assert.equal(param('host'), 'alice-desktop');
      assert.equal(param('person'), null);
      assert.equal(await overviewMatches({ host: 'alice-desktop' }), local['alice-desktop'], 'that machine counts its own calls');
      // bob has no such machine: the machine filter goes, bob's calls show.
      await refreshed(() => page.selectOption('#person-filter', 'bob'));
      assert.equal(param('host'), null);
      assert.equal(await page.inputValue('#host-filter'), '');
      assert.equal(await overviewMatches({ person: 'bob' }), local.bob);
      // A link keeps both: alice on alice-laptop.
      await load('?window=all&person=alice&host=alice-laptop');
      assert.equal(await page.inputValue('#person-filter'), 'alice');
      assert.equal(await page.inputValue('#host-filter'), 'alice-laptop');
      assert.equal(await overviewMatches({ person: 'alice', host: 'alice-laptop' }), local['alice-laptop']);
    });

    await t.test('the comparison takes the person; the sessions list says it does not', async () => {
      const before = w.apiRequests.length;
      await load('?view=compare&window=7d&person=bob');
      const c = (await api(`/api/performance/compare?${qs({ by: 'tool', window: '7d', person: 'bob' })}`)).data;
      const all = await page.$$eval('#compare-table tbody tr.tp-row-all td', (tds) => tds.map((x) => x.textContent));
      const want = await page.evaluate((d) => [window.toolprof.fmtInt(d.all.baseline.count), window.toolprof.fmtInt(d.all.current.count)], c);
      assert.deepEqual(all.slice(1, 3), want, 'all calls, before and now');
      assert.ok(c.all.current.count > 0, 'bob made calls in the last 7 days');
      const cmp = w.apiRequests.slice(before).map((r) => new URL(r.url)).filter((u) => /\/compare$/.test(u.pathname));
      assert.ok(cmp.length >= 1 && cmp.every((u) => u.searchParams.get('person') === 'bob'), 'compare without person=bob');
      assert.equal(await page.isDisabled('#person-filter'), false);
      // Sessions: the pickers are kept but disabled, and the list says whose it is.
      const b2 = w.apiRequests.length;
      await load('?view=sessions&window=all&person=bob');
      assert.equal(await page.isDisabled('#person-filter'), true);
      assert.equal(await page.isDisabled('#host-filter'), true);
      assert.equal(await page.isVisible('#sessions-people-note'), true);
      const sent = w.apiRequests.slice(b2).map((r) => new URL(r.url)).filter((u) => u.searchParams.has('person') || u.searchParams.has('host'));
      assert.deepEqual(sent.map((u) => u.pathname + u.search), [], 'the sessions view sent person or host');
    });

    await t.test('the Team view: the team answer\'s three tables, every value as text', async () => {
      await load('?window=all');
      await refreshed(() => page.click('#nav-team'));
      assert.equal(param('view'), 'team');
      for (const id of ['team-people-table', 'team-mcp-table', 'team-cmd-table']) {
        assert.equal(await page.isVisible(`#${id} tbody tr`), true, `${id} is not visible`);
      }
      assert.equal(await page.isVisible('#view-overview'), false, 'the overview is visible too');
      const d = (await api(`/api/performance/team?${qs({ limit: 25, window: 'all' })}`)).data;
      // Each person's calls are what their machines counted.
      assert.deepEqual(Object.fromEntries(d.people.map((p) => [p.person, p.calls])),
        { alice: local.alice, bob: local.bob, carol: local.carol });
      const shown = await page.evaluate(() => {
        const rows = (id) => Array.from(document.querySelectorAll('#' + id + ' tbody tr'), (tr) => Array.from(tr.cells, (c) => {
          const tgt = c.querySelector('.tp-target');
          return tgt ? tgt.getAttribute('title') : c.textContent;
        }));
        return { people: rows('team-people-table'), mcp: rows('team-mcp-table'), cmd: rows('team-cmd-table') };
      });
      const want = await page.evaluate((x) => {
        const f = window.toolprof;
        return {
          people: x.people.map((p) => [p.person, p.hosts.join(', '), f.fmtInt(p.calls), f.fmtInt(p.calls_asked),
            f.fmtInt(p.calls_with_wait), p.calls_with_wait > 0 ? f.fmtDur(p.approval_wait_ms) : '–',
            p.calls_with_wait > 0 ? f.fmtDur(p.avg_approval_wait_ms) : '–', f.fmtDur(p.execution_ms)]),
          mcp: x.mcp_servers.map((m) => [m.server, f.fmtInt(m.calls), f.fmtInt(m.people), f.fmtInt(m.slow_calls),
            f.fmtDur(m.avg_ms), f.fmtDur(m.p95_ms), f.fmtDur(m.total_ms)]),
          cmd: x.commands.map((c) => [c.command, f.fmtInt(c.calls), f.fmtInt(c.people), f.fmtDur(c.total_ms),
            f.fmtDur(c.avg_ms), f.fmtDur(c.max_ms)]),
        };
      }, d);
      assert.deepEqual(shown, want);
      assert.ok(d.people.some((p) => p.calls_with_wait > 0), 'no one waited on an approval: the wait columns are not exercised');
      assert.ok(want.mcp.length > 1 && want.cmd.length > 1, 'MCP servers and commands');
      // carol's strings are text, and created nothing.
      for (const s of [hostile.host, hostile.command, hostile.server]) {
        assert.ok(JSON.stringify(shown).includes(JSON.stringify(s).slice(1, -1)), `${s} not shown`);
      }
      const made = await page.evaluate(() => ({
        img: document.querySelectorAll('img').length,
        svg: Array.from(document.querySelectorAll('svg')).filter((s) => !s.closest('header, .tp-icon')).length,
        handlers: Array.from(document.querySelectorAll('*')).filter((e) => Array.from(e.attributes).some((a) => /^on/i.test(a.name))).length,
      }));
      assert.deepEqual(made, { img: 0, svg: 0, handlers: 0 }, 'elements from data');
      assert.equal(await page.isDisabled('#person-filter'), true, 'the team view is everyone\'s');
      assert.equal(await page.textContent('#team-people-caption'), `${d.people.length} people with calls · all time`);
      await page.screenshot({ path: path.join(ROOT, 'build', 'dashboard-team.png'), fullPage: true });
      assert.deepEqual(await axeFindings(page), [], 'axe-core on the Team view');
    });

    await t.test('a person or a machine in the Team view opens the overview of their calls', async () => {
      await refreshed(() => page.click('#team-people-table tr[data-person="bob"] td:first-child a'));
      assert.equal(param('view'), null);
      assert.equal(param('person'), 'bob');
      assert.equal(param('window'), 'all');
      assert.equal(await overviewMatches({ person: 'bob' }), local.bob);
      await refreshed(() => page.click('#nav-team'));
      await refreshed(() => page.click('#team-people-table tr[data-person="alice"] td:nth-child(2) a >> text=alice-desktop'));
      assert.equal(param('person'), 'alice');
      assert.equal(param('host'), 'alice-desktop');
      assert.equal(await overviewMatches({ person: 'alice', host: 'alice-desktop' }), local['alice-desktop']);
    });

    await t.test('no console error, CSP violation, dialog or request to another origin', async () => {
      const csp = await page.evaluate(() => window.__csp || []);
      assert.deepEqual(csp, []);
      assert.deepEqual(w.consoleErrors, []);
      assert.deepEqual(w.dialogs, []);
      assert.deepEqual(w.foreignRequests, []);
    });
  } finally {
    await browser.close();
  }
}
