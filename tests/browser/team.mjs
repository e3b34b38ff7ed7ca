// team.mjs - the dashboard on servers whose store keeps no people (SQLite):
// it must show no person or machine picker and no Team view, and never send
// person= or host= (which a SQLite store refuses with a 400), even when the
// URL names them; it says so instead. Two servers: the plain one of
// dashboard.mjs, and a team server on SQLite (a data directory with a
// person's token: every request needs it, but the store keeps no people, so
// /api/performance/team is a 400 there). The person and machine filters and
// the Team view themselves are tested on ClickHouse, in
// tests/team/dashboard.mjs. Expected values come from the API.

import { open, watch } from './chromium.mjs';

const NOTICE_FILTERS = 'This server\'s store keeps no people or machines (only a team server on ClickHouse does), ' +
  'so the person bob and the machine bob-box are not a filter here: showing everyone\'s calls.';
const NOTICE_VIEW = 'This server\'s store keeps no people or machines (only a team server on ClickHouse does), ' +
  'so it has no team view and the person alice is not a filter here: showing everyone\'s calls.';

export async function teamChecks(t) {
  const { context, check, skip, assert, eq, consoleErrors, dialogs, plainUrl, teamSq } = t;

  const getJson = async (base, p, token) => {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(base + p, { headers });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const get = async (base, p, token) => {
    const r = await getJson(base, p, token);
    if (r.status !== 200 || !r.body || !r.body.success) throw new Error('GET ' + p + ': HTTP ' + r.status + ' ' + JSON.stringify(r.body));
    return r.body;
  };

  // What the page shows of a team server, and the API requests it made.
  const teamUi = (page) => page.evaluate(() => ({
    pickers: !document.getElementById('people-filters').hidden,
    pickersShown: getComputedStyle(document.getElementById('people-filters')).display !== 'none',
    nav: !document.getElementById('nav-team').hidden,
    navShown: getComputedStyle(document.getElementById('nav-team')).display !== 'none',
    view: document.body.getAttribute('data-view'),
    teamHidden: document.getElementById('view-team').hidden,
    notice: document.getElementById('notice').hidden ? '' : document.getElementById('notice').textContent,
    alerts: document.getElementById('alerts').textContent,
    total: document.getElementById('kpi-total').getAttribute('data-value'),
  }));
  const personRequests = (reqs) => reqs.map((r) => new URL(r.url))
    .filter((u) => u.searchParams.has('person') || u.searchParams.has('host') || u.pathname === '/api/performance/team')
    .map((u) => u.pathname + u.search);

  // ---- a plain server ----------------------------------------------------------------
  {
    const page = await context.newPage();
    const w = watch(page, new URL(plainUrl).origin, { consoleErrors, foreignRequests: [], dialogs, apiRequests: [] });
    const PAGE = plainUrl + '/performance-profiling';

    await check('no team store: the resources answer says sqlite, team_store false', async () => {
      const r = (await get(plainUrl, '/api/performance/resources')).data;
      eq(r.store, 'sqlite', 'store');
      eq(r.team_store, false, 'team_store');
    });

    await check('no team store: no person or machine picker, no Team link; a URL\'s person and host are dropped, said so, never sent', async () => {
      const before = w.apiRequests.length;
      await open(page, PAGE + '?window=30d&person=bob&host=bob-box');
      const ui = await teamUi(page);
      eq(ui.pickers || ui.pickersShown, false, 'person and machine pickers shown');
      eq(ui.nav || ui.navShown, false, 'Team link shown');
      eq(ui.notice, NOTICE_FILTERS, 'notice');
      eq(ui.alerts, '', 'alerts');
      const u = new URL(page.url());
      eq(u.searchParams.get('person') + ' ' + u.searchParams.get('host'), 'null null', 'person and host left in the URL');
      eq(u.searchParams.get('window'), '30d', 'window kept');
      const reqs = w.apiRequests.slice(before);
      eq(personRequests(reqs).join(', '), '', 'requests with person, host, or to the team view');
      assert(reqs.some((r) => new URL(r.url).pathname === '/api/performance/resources'), 'the page never asked what the store is');
      // Everyone's calls, as the API counts them.
      const s = (await get(plainUrl, '/api/performance/stats?window=30d')).data;
      eq(Number(ui.total), s.total_operations, 'total operations');
      return s.total_operations + ' calls';
    });

    await check('no team store: ?view=team shows the overview, says why, and asks nothing of the team view', async () => {
      const before = w.apiRequests.length;
      await open(page, PAGE + '?view=team&window=7d');
      // The page learnt the store on its first refresh, then routed to the overview.
      await page.waitForFunction(() => document.body.getAttribute('data-view') === 'overview', null, { timeout: 10000 });
      await page.waitForFunction(() => document.getElementById('kpi-total').getAttribute('data-value') !== '', null, { timeout: 10000 });
      const ui = await teamUi(page);
      eq(ui.view, 'overview', 'view');
      eq(ui.teamHidden, true, 'the team view hidden');
      eq(ui.nav || ui.navShown, false, 'Team link shown');
      eq(ui.notice, NOTICE_VIEW.replace(' and the person alice is not a filter here', ''), 'notice');
      eq(new URL(page.url()).searchParams.get('view'), null, 'view=team left in the URL');
      eq(personRequests(w.apiRequests.slice(before)).join(', '), '', 'requests with person, host, or to the team view');
      const s = (await get(plainUrl, '/api/performance/stats?window=7d')).data;
      eq(Number(ui.total), s.total_operations, 'total operations');
    });
    await page.close();
  }

  // ---- a team server on SQLite: tokens, but a store without people ------------------------
  const CASES = [
    'team server on SQLite: /api/performance/team and person= are a 400, every request needs the token',
    'team server on SQLite: the page shows what its store answers, no picker, no Team view, no 400',
  ];
  if (!teamSq || !teamSq.url || !teamSq.token) {
    for (const name of CASES) skip(name, 'a server was given (TOOLPROF_URL) without TOOLPROF_TEAMSQ_URL and TOOLPROF_TEAMSQ_TOKEN');
    return;
  }
  const BASE = teamSq.url;
  const TOKEN = teamSq.token;

  await check(CASES[0], async () => {
    const team = await getJson(BASE, '/api/performance/team?window=all', TOKEN);
    eq(team.status, 400, 'GET /api/performance/team');
    assert(/team store/.test(team.body && team.body.message), 'message: ' + JSON.stringify(team.body));
    const person = await getJson(BASE, '/api/performance/stats?person=alice', TOKEN);
    eq(person.status, 400, 'GET /api/performance/stats?person=alice');
    eq((await getJson(BASE, '/api/performance/stats')).status, 401, 'without the token');
    const r = (await get(BASE, '/api/performance/resources', TOKEN)).data;
    eq(r.store + ' ' + r.team_store, 'sqlite false', 'store and team_store');
    // Calls written with alice's token: stored (under no person: SQLite keeps none).
    const now = Date.now();
    const ops = [['Read', '/srv/a.py', 40], ['Bash', 'make test', 2600], ['Grep', 'TODO', 90]].map(([tool, target, ms], i) => ({
      tool, target, duration_ms: ms, timestamp: new Date(now - 3600e3 - i * 60e3).toISOString(),
      tool_use_id: 'toolu_01teamsqlite' + String(i).padStart(10, '0'), session_id: 'teamsq-session', project: '/srv',
    }));
    const res = await fetch(BASE + '/api/performance/operations', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN }, body: JSON.stringify(ops),
    });
    const body = await res.json();
    eq(res.status + ' ' + body.inserted, '200 3', 'calls written with the token');
  });

  await check(CASES[1], async () => {
    const page = await context.newPage();
    const w = watch(page, new URL(BASE).origin, { consoleErrors, foreignRequests: [], dialogs, apiRequests: [] });
    try {
      await open(page, BASE + '/performance-profiling?token=' + encodeURIComponent(TOKEN) + '&window=24h&person=alice&view=team');
      await page.waitForFunction(() => document.body.getAttribute('data-view') === 'overview' &&
        document.getElementById('kpi-total').getAttribute('data-value') !== '', null, { timeout: 10000 });
      const ui = await teamUi(page);
      eq(ui.pickers || ui.pickersShown, false, 'person and machine pickers shown');
      eq(ui.nav || ui.navShown, false, 'Team link shown');
      eq(ui.view, 'overview', 'view');
      eq(ui.notice, NOTICE_VIEW, 'notice');
      eq(ui.alerts, '', 'alerts (a 400 or a 401 would show one)');
      const s = (await get(BASE, '/api/performance/stats?window=24h', TOKEN)).data;
      eq(s.total_operations, 3, 'the calls written with the token');
      eq(Number(ui.total), s.total_operations, 'total operations');
      const reqs = w.apiRequests;
      eq(personRequests(reqs).join(', '), '', 'requests with person, host, or to the team view');
      // The token rides in the server's cookie (the page URL's ?token= became
      // one): every answer came, none was refused.
      assert(/^Updated at \d\d:\d\d:\d\d$/.test(await page.textContent('#updated-at')), 'status: ' + await page.textContent('#updated-at'));
      const u = new URL(page.url());
      eq(JSON.stringify(['token', 'person', 'view'].filter((k) => u.searchParams.has(k))), '[]', 'left in the URL');
      return reqs.length + ' API requests';
    } finally {
      await page.close();
    }
  });
}
