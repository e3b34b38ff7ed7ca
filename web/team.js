/*
 * team.js - the dashboard's Team view (app.js provides the state, the
 * formats and the helpers as window.toolprof): the answer of GET
 * /api/performance/team over the page's window, in three tables:
 *   who waits most on approval prompts (each person with their machines,
 *     calls, calls that asked, calls whose wait was measured, the wait in
 *     all and on average, and the tools' own time), most waiting first;
 *   the MCP servers slowest for everyone (p95 first), with how many people
 *     used them;
 *   the shell commands that took the most time across everyone.
 * A person or a machine links to the overview filtered by them. app.js
 * shows this view and its link only on a server whose store keeps people
 * (the resources answer's team_store); the answer's members fill the
 * person and machine pickers.
 *
 * Every value of the answer is inserted as text (el, td, targetEl), never
 * as HTML: commands are shell text and host names may hold markup.
 */
'use strict';

(function () {
  const tp = window.toolprof;
  const { $, el, clear, td, isNum, fmtDur, fmtInt } = tp;
  const LIMIT = 25; /* MCP servers and commands listed */
  const last = { team: null };

  function val(v) {
    return isNum(v) ? v : null;
  }

  /* A link to the overview of one person's calls (and one machine's). */
  function whoLink(person, host, text) {
    const a = el('a', 'tp-who', text);
    a.href = tp.pageHref({ view: null, session: null, call: null, person, host: host || null });
    a.setAttribute('data-nav', '');
    a.setAttribute('title', host ? person + ' on ' + host + ': the overview of these calls'
      : person + ': the overview of their calls');
    return a;
  }

  /* ---- who waits most on approvals ------------------------------------------ */

  function personValue(r, key) {
    if (key === 'person') return String(r.person);
    if (key === 'hosts') return Array.isArray(r.hosts) ? r.hosts.join(', ') : null;
    if ((key === 'approval_wait_ms' || key === 'avg_approval_wait_ms') && !(r.calls_with_wait > 0)) return null;
    return val(r[key]);
  }

  function renderPeopleTable(d) {
    const table = $('team-people-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    tp.markSort(table);
    const rows = Array.isArray(d.people) ? d.people : [];
    $('team-people-caption').textContent = fmtInt(rows.length) + (rows.length === 1 ? ' person' : ' people') +
      ' with calls · ' + tp.windowText(d.window);
    if (!rows.length) {
      tp.emptyRow(tbody, 8, 'Nobody made a call in this window');
      return;
    }
    for (const r of tp.sortRows(table, rows, personValue)) {
      const person = String(r.person);
      const tr = el('tr');
      tr.setAttribute('data-person', person);
      const c0 = el('td', 'fw-semibold text-nowrap');
      c0.appendChild(whoLink(person, null, person));
      tr.appendChild(c0);
      const c1 = el('td', 'tp-team-hosts');
      const hosts = Array.isArray(r.hosts) ? r.hosts.map(String) : [];
      hosts.forEach((h, i) => {
        if (i) c1.appendChild(document.createTextNode(', '));
        c1.appendChild(whoLink(person, h, h));
      });
      if (!hosts.length) c1.textContent = '–';
      tr.appendChild(c1);
      tr.appendChild(td(fmtInt(r.calls), 'text-end'));
      tr.appendChild(td(fmtInt(r.calls_asked), 'text-end'));
      tr.appendChild(td(fmtInt(r.calls_with_wait), 'text-end'));
      /* No wait measured: no wait time, not 0 ms. */
      const waited = r.calls_with_wait > 0;
      const w = td(waited ? fmtDur(r.approval_wait_ms) : '–', 'text-end text-nowrap' + (waited ? ' fw-semibold' : ''));
      if (!waited) w.setAttribute('title', 'no approval wait was measured');
      tr.appendChild(w);
      tr.appendChild(td(waited ? fmtDur(r.avg_approval_wait_ms) : '–', 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(r.execution_ms), 'text-end text-nowrap'));
      tbody.appendChild(tr);
    }
    tp.labelCells(table);
  }

  /* ---- MCP servers ---------------------------------------------------------- */

  function mcpValue(r, key) {
    return key === 'server' ? String(r.server) : val(r[key]);
  }

  function renderMcp(d) {
    const table = $('team-mcp-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    tp.markSort(table);
    const rows = Array.isArray(d.mcp_servers) ? d.mcp_servers : [];
    $('team-mcp-caption').textContent = (rows.length ? fmtInt(rows.length) + (rows.length === 1 ? ' server' : ' servers') +
      (rows.length >= LIMIT ? ' (the slowest ' + LIMIT + ')' : '') + ' · ' : '') + tp.windowText(d.window);
    if (!rows.length) {
      tp.emptyRow(tbody, 7, 'No MCP server was called in this window');
      return;
    }
    for (const r of tp.sortRows(table, rows, mcpValue)) {
      const tr = el('tr');
      tr.setAttribute('data-server', String(r.server));
      const c0 = el('td');
      c0.appendChild(el('span', 'tp-iso fw-semibold', String(r.server)));
      tr.appendChild(c0);
      tr.appendChild(td(fmtInt(r.calls), 'text-end'));
      tr.appendChild(td(fmtInt(r.people), 'text-end'));
      tr.appendChild(td(fmtInt(r.slow_calls), 'text-end' + (r.slow_calls > 0 ? ' tp-dur-slow' : '')));
      tr.appendChild(td(fmtDur(r.avg_ms), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(r.p95_ms), 'text-end text-nowrap' + (r.p95_ms >= 2000 ? ' tp-dur-slow' : '')));
      tr.appendChild(td(fmtDur(r.total_ms), 'text-end text-nowrap'));
      tbody.appendChild(tr);
    }
    tp.labelCells(table);
  }

  /* ---- commands ------------------------------------------------------------- */

  function commandValue(r, key) {
    return key === 'command' ? String(r.command) : val(r[key]);
  }

  function renderCommands(d) {
    const table = $('team-cmd-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    tp.markSort(table);
    const rows = Array.isArray(d.commands) ? d.commands : [];
    $('team-cmd-caption').textContent = (rows.length ? fmtInt(rows.length) + (rows.length === 1 ? ' command' : ' commands') +
      (rows.length >= LIMIT ? ' (the ' + LIMIT + ' that took longest)' : '') + ' · ' : '') + tp.windowText(d.window);
    if (!rows.length) {
      tp.emptyRow(tbody, 6, 'No shell command was run in this window');
      return;
    }
    for (const r of tp.sortRows(table, rows, commandValue)) {
      const tr = el('tr');
      const c0 = el('td', 'tp-col-target');
      c0.appendChild(tp.targetEl(r.command));
      tr.appendChild(c0);
      tr.appendChild(td(fmtInt(r.calls), 'text-end'));
      tr.appendChild(td(fmtInt(r.people), 'text-end'));
      tr.appendChild(td(fmtDur(r.total_ms), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(r.avg_ms), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(r.max_ms), 'text-end text-nowrap' + (r.max_ms >= 2000 ? ' tp-dur-slow' : '')));
      tbody.appendChild(tr);
    }
    tp.labelCells(table);
  }

  function render(d) {
    renderPeopleTable(d);
    renderMcp(d);
    renderCommands(d);
  }

  tp.sortable($('team-people-table'), 'approval_wait_ms', 'desc', () => last.team && renderPeopleTable(last.team));
  tp.sortable($('team-mcp-table'), 'p95_ms', 'desc', () => last.team && renderMcp(last.team));
  tp.sortable($('team-cmd-table'), 'total_ms', 'desc', () => last.team && renderCommands(last.team));

  tp.views.team = {
    jobs(sig) {
      const q = Object.assign({ limit: LIMIT }, tp.windowParams());
      return [['team', tp.api('/api/performance/team', q, sig), (b) => {
        const d = b.data || {};
        last.team = d;
        tp.state.lastWindow = d.window;
        $('window-range').textContent = tp.windowRange(d.window);
        tp.renderPeople(d.members);
        render(d);
      }]];
    },
  };
})();
