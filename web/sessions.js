/*
 * sessions.js - the sessions list and one session's timeline, for the
 * dashboard (app.js provides the state, the formats and the helpers as
 * window.toolprof).
 *
 * The timeline is a waterfall of the session's calls on one time axis:
 * one row per call, in start order, each bar split into the call's phases
 * (hooks, the wait for the person's approval, execution, and the part of
 * its wall time no source split, drawn hatched as "unknown"); a sub-agent's
 * calls in their own lane, under the Agent or Task call that started them;
 * the model requests in a row of their own; and above them the session's
 * clock (GET /api/performance/sessions/{id}, "clock"): every stretch of the
 * wall time given to one part, with the gaps between calls labelled as the
 * model working, waiting for the person's next prompt, or idle.
 *
 * Geometry is plain DOM: bars and segments are absolutely placed in
 * pixels, px = (ms - view start) x px-per-ms, and #timeline carries the
 * scale (data-px-per-ms, data-view-start-ms) so that a test can check every
 * bar against the API's numbers. Zoom and pan change the view's start and
 * end; the page re-lays the rows without rebuilding them.
 *
 * Keyboard: the bars are one tab stop (a roving tabindex); arrows up and
 * down move between calls, Home and End to the first and last, + and -
 * zoom around the selected call, Shift with left and right pans, 0 fits,
 * Escape goes back to the list. The selected call is in the URL (call=).
 */
'use strict';

(function () {
  const tp = window.toolprof;
  const { $, el, clear, td, isNum, fmtDur, fmtInt, fmtDate } = tp;

  const PART_TEXT = {
    model: 'model', tools: 'tools', approvals: 'approval', unsplit: 'unsplit',
    hooks: 'hooks', prompt: 'waiting for your prompt', idle: 'idle',
  };
  const PART_LONG = {
    model: 'the model working (requests)', tools: 'tools running', approvals: 'waiting for your approval',
    unsplit: 'calls whose wait and execution are not known apart', hooks: 'hooks',
    prompt: 'waiting for your next prompt', idle: 'idle (nothing recorded)',
  };
  const PARTS = ['model', 'tools', 'approvals', 'unsplit', 'hooks', 'prompt', 'idle'];

  /* ---- the sessions list --------------------------------------------------- */

  const list = { rows: null, projects: null };

  function sessionValue(r, key) {
    const t = r.time || {};
    switch (key) {
      case 'start_ms': return r.start_ms;
      case 'id': return String(r.id);
      case 'project': return r.project ? String(r.project) : null;
      case 'agent': return r.agent ? String(r.agent) : null;
      case 'calls': return r.calls;
      case 'failed': return r.failed;
      case 'wall_ms': return t.wall_ms;
      case 'model_ms': return t.model_ms;
      case 'tools_ms': return t.tools_ms;
      case 'approvals_ms': return (t.approvals_ms || 0) + (t.unsplit_ms || 0);
      case 'idle_ms': return t.idle_ms;
      default: return null;
    }
  }

  function renderProjects() {
    const sel = $('sessions-project');
    const names = (Array.isArray(list.projects) ? list.projects : []).map((p) => p.path);
    if (tp.state.project && !names.includes(tp.state.project)) names.push(tp.state.project);
    const have = Array.from(sel.options, (o) => o.value).slice(1);
    if (have.join('\n') !== names.join('\n')) {
      while (sel.options.length > 1) sel.remove(1);
      for (const n of names) {
        const p = (list.projects || []).find((x) => x.path === n);
        const o = el('option', null, p ? p.name + ' (' + n + ')' : n);
        o.value = n;
        sel.appendChild(o);
      }
    }
    sel.value = tp.state.project;
  }

  function renderSessions() {
    const table = $('sessions-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    tp.markSort(table);
    const st = tp.state;
    const all = Array.isArray(list.rows) ? list.rows : [];
    const rows = all.filter((r) => (!st.agents.length || st.agents.includes(r.agent)) &&
      (!st.onlyFailed || r.failed > 0) &&
      (!st.onlyWaited || ((r.time || {}).approvals_ms || 0) + ((r.time || {}).unsplit_ms || 0) > 0));
    $('sessions-caption').textContent = fmtInt(rows.length) + (rows.length === all.length ? '' : ' of ' + fmtInt(all.length)) +
      ' sessions · ' + tp.windowText(st.lastWindow || { name: st.window });
    if (!rows.length) {
      tp.emptyRow(tbody, 11, all.length ? 'No session matches these filters' : 'No sessions in this window');
      return;
    }
    for (const r of tp.sortRows(table, rows, sessionValue)) {
      const t = r.time || {};
      const tr = el('tr');
      tr.setAttribute('data-session', String(r.id));
      const c0 = td(fmtDate(new Date(r.start_ms)), 'text-nowrap');
      tr.appendChild(c0);
      const c1 = el('td', 'text-nowrap');
      const a = tp.momentLink(r.id, null, el('span', 'font-monospace', String(r.id).slice(0, 8)),
        'session ' + r.id + ' on the clock');
      a.setAttribute('title', String(r.id));
      c1.appendChild(a);
      tr.appendChild(c1);
      const c2 = el('td', 'tp-col-target');
      c2.appendChild(tp.targetEl(r.project));
      tr.appendChild(c2);
      tr.appendChild(td(r.agent || '–', 'text-nowrap'));
      tr.appendChild(td(fmtInt(r.calls), 'text-end'));
      tr.appendChild(td(fmtInt(r.failed), 'text-end' + (r.failed ? ' text-danger-emphasis' : '')));
      tr.appendChild(td(fmtDur(t.wall_ms), 'text-end text-nowrap'));
      tr.appendChild(td(r.requests ? fmtDur(t.model_ms) : '–', 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(t.tools_ms), 'text-end text-nowrap'));
      const waited = (t.approvals_ms || 0) + (t.unsplit_ms || 0);
      const ap = td(fmtDur(waited), 'text-end text-nowrap');
      if (t.unsplit_ms > 0) ap.setAttribute('title', fmtDur(t.approvals_ms) + ' known waits, ' + fmtDur(t.unsplit_ms) + ' of calls that may have waited');
      tr.appendChild(ap);
      tr.appendChild(td(fmtDur(t.idle_ms), 'text-end text-nowrap'));
      tbody.appendChild(tr);
    }
    tp.labelCells(table);
  }

  tp.views.sessions = {
    enter() {
      $('sessions-failed').checked = tp.state.onlyFailed;
      $('sessions-waited').checked = tp.state.onlyWaited;
    },
    jobs(sig) {
      const w = tp.windowParams();
      return [
        ['sessions', tp.api('/api/performance/sessions', Object.assign({ limit: 1000, project: tp.state.project }, w), sig), (b) => {
          list.rows = b.data;
          tp.state.lastWindow = null;
          renderSessions();
        }],
        ['projects', tp.api('/api/performance/projects', { agent: tp.state.agents.join(',') }, sig), (b) => {
          list.projects = b.data;
          renderProjects();
        }],
        ['stats', tp.api('/api/performance/stats', w, sig), (b) => {
          tp.state.lastWindow = b.data.window;
          $('window-range').textContent = tp.windowRange(b.data.window);
          renderSessions();
        }],
      ];
    },
  };

  /* ---- one session ------------------------------------------------------------ */

  const tl = {
    data: null,
    rows: [],    /* {kind: 'call'|'lane', call, el, bar} in display order */
    calls: [],   /* the call rows only, in display order */
    total: 0,    /* the session's span in ms (its wall, or its last call's end) */
    v0: 0,
    v1: 1,
    sel: -1,
    drag: null,
  };

  /* A call's phases as drawn: hooks, approval wait, execution, and what
   * its wall time holds beyond them (no source split it). */
  function segmentsOf(c) {
    const ph = c.phases || {};
    const ms = (p) => (p && isNum(p.ms) ? p.ms : null);
    const hook = ms(ph.hook), wait = ms(ph.wait), exec = ms(ph.exec), wall = ms(ph.wall);
    const span = isNum(c.end_offset_ms) && isNum(c.start_offset_ms) ? c.end_offset_ms - c.start_offset_ms : null;
    const known = (hook || 0) + (wait || 0) + (exec || 0);
    const total = Math.max(wall !== null ? wall : span !== null ? span : known, known);
    const segs = [];
    if (hook) segs.push({ kind: 'hook', ms: hook });
    if (wait) segs.push({ kind: 'wait', ms: wait });
    if (exec) segs.push({ kind: 'exec', ms: exec });
    const rest = total - known;
    if (rest > 0.0005) segs.push({ kind: 'unknown', ms: rest });
    return { segs, total, hook, wait, exec, wall, unsplit: exec === null && wait === null };
  }

  function phaseText(p) {
    if (!p || !isNum(p.ms)) return 'not known';
    return fmtDur(p.ms) + ' (' + (p.exactness || '?') + (p.source ? ', ' + p.source : '') + ')';
  }

  function callTitle(c) {
    const s = segmentsOf(c);
    const bits = [];
    if (s.hook) bits.push('hooks ' + fmtDur(s.hook));
    if (s.wait) bits.push('waited ' + fmtDur(s.wait) + ' for approval');
    if (s.exec !== null) bits.push('ran ' + fmtDur(s.exec));
    if (s.unsplit) bits.push('split not known');
    const rest = s.segs.find((x) => x.kind === 'unknown');
    if (rest && !s.unsplit) bits.push(fmtDur(rest.ms) + ' not split');
    return tp.toolLabel(c.tool, c.agent) + ', ' + fmtDur(s.total) + ' at ' + fmtDur(c.start_offset_ms) +
      (c.success === false ? ', failed' : '') + (bits.length ? ': ' + bits.join(', ') : '') +
      (c.target ? '. ' + String(c.target) : '');
  }

  /* The rows in display order: the main thread's calls, each sub-agent's
   * calls right under the call that started it. */
  function orderRows(d) {
    const calls = Array.isArray(d.calls) ? d.calls : [];
    const lanes = Array.isArray(d.lanes) ? d.lanes : [];
    const byLane = new Map();
    for (const c of calls) {
      const k = isNum(c.lane) ? c.lane : 0;
      if (!byLane.has(k)) byLane.set(k, []);
      byLane.get(k).push(c);
    }
    const laneOf = new Map(lanes.map((l) => [l.lane, l]));
    const childLanes = new Map(); /* parent tool_use_id -> lanes */
    const orphans = [];
    for (const [k, cs] of byLane) {
      if (k === 0) continue;
      const l = laneOf.get(k) || { lane: k, subagent: null, parent: null };
      const parent = l.parent && calls.some((c) => c.tool_use_id === l.parent) ? l.parent : null;
      if (parent) {
        if (!childLanes.has(parent)) childLanes.set(parent, []);
        childLanes.get(parent).push([l, cs]);
      } else {
        orphans.push([l, cs]);
      }
    }
    const out = [];
    const addLane = (l, cs, parent) => {
      out.push({ kind: 'lane', lane: l, parent, count: cs.length });
      for (const c of cs) out.push({ kind: 'call', call: c });
    };
    for (const c of byLane.get(0) || []) {
      out.push({ kind: 'call', call: c });
      for (const [l, cs] of childLanes.get(c.tool_use_id) || []) addLane(l, cs, c);
    }
    for (const [l, cs] of orphans) addLane(l, cs, null);
    return out;
  }

  function renderFacts(d) {
    const s = d.session || {};
    const t = s.time || {};
    $('session-title').textContent = 'Session ' + s.id;
    const dl = $('session-facts');
    clear(dl);
    const fact = (k, v, title) => {
      const wrap = el('div', 'tp-fact');
      wrap.appendChild(el('dt', null, k));
      const dd = el('dd', null, v);
      if (title) dd.setAttribute('title', title);
      wrap.appendChild(dd);
      dl.appendChild(wrap);
    };
    fact('Project', s.project || '–', s.project || '');
    fact('Agent', s.agent || '–');
    fact('Start', fmtDate(new Date(s.start_ms), 'second'), s.start);
    fact('Wall time', fmtDur(t.wall_ms));
    fact('Calls', fmtInt(s.calls) + (s.failed ? ' (' + fmtInt(s.failed) + ' failed)' : '') +
      (s.subagent_calls ? ', ' + fmtInt(s.subagent_calls) + ' in sub-agents' : ''));
    fact('Model requests', s.requests ? fmtInt(s.requests) : '–');
    const tok = s.tokens || {};
    const tsum = ['input', 'output', 'cache_read', 'cache_write'].filter((k) => isNum(tok[k]));
    fact('Tokens', tsum.length ? tsum.map((k) => fmtInt(tok[k]) + ' ' + k.replace('_', ' ')).join(', ') : '–');
    fact('Cost', isNum(s.cost_usd) ? '$' + s.cost_usd.toFixed(2) : '–');
    /* Where the time went, as one bar. */
    const bar = $('session-split');
    clear(bar);
    const legend = $('session-legend');
    clear(legend);
    const wall = isNum(t.wall_ms) && t.wall_ms > 0 ? t.wall_ms : 0;
    const said = [];
    for (const p of PARTS) {
      const v = t[p + '_ms'];
      if (!isNum(v) || v <= 0 || !wall) continue;
      const seg = el('span', 'tp-part tp-part-' + p);
      seg.style.width = (100 * v / wall).toFixed(3) + '%';
      seg.setAttribute('title', PART_LONG[p] + ': ' + fmtDur(v));
      bar.appendChild(seg);
      const li = el('li');
      li.appendChild(el('span', 'tp-key tp-part-' + p));
      li.appendChild(document.createTextNode(PART_TEXT[p] + ' ' + fmtDur(v) + ' (' + tp.fmtPct(100 * v / wall) + ')'));
      legend.appendChild(li);
      said.push(PART_LONG[p] + ' ' + fmtDur(v));
    }
    bar.setAttribute('aria-label', 'Where the session\'s ' + fmtDur(wall) + ' went: ' + (said.join(', ') || 'nothing recorded'));
  }

  /* Nice tick steps: 1, 2, 5 times a power of ten (ms). */
  function tickStep(span, px) {
    const want = Math.max(2, Math.floor(px / 90));
    const raw = span / want;
    const pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
    for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  function buildTimeline(d) {
    const box = $('timeline');
    clear(box);
    tl.data = d;
    tl.rows = orderRows(d);
    tl.calls = tl.rows.filter((r) => r.kind === 'call');
    const s = d.session || {};
    let total = s.time && isNum(s.time.wall_ms) ? s.time.wall_ms : 0;
    for (const c of d.calls || []) {
      const g = segmentsOf(c);
      total = Math.max(total, (c.start_offset_ms || 0) + g.total);
    }
    for (const r of d.requests || []) {
      if (isNum(r.start_offset_ms) && isNum(r.duration_ms)) total = Math.max(total, r.start_offset_ms + r.duration_ms);
    }
    tl.total = total > 0 ? total : 1;
    tl.v0 = 0;
    tl.v1 = tl.total;

    const row = (cls, label) => {
      const r = el('div', 'tp-tl-row ' + (cls || ''));
      const l = el('div', 'tp-tl-label');
      if (typeof label === 'string') l.textContent = label;
      else if (label) l.appendChild(label);
      const track = el('div', 'tp-tl-track');
      r.appendChild(l);
      r.appendChild(track);
      return [r, track];
    };

    const [axis, axisTrack] = row('tp-tl-axis', fmtDate(new Date(s.start_ms), 'second'));
    axisTrack.setAttribute('aria-hidden', 'true');
    box.appendChild(axis);

    /* The session's clock: who had each stretch. */
    const [clockRow, clockTrack] = row('tp-tl-clock', 'Where the time went');
    clockTrack.setAttribute('role', 'list');
    clockTrack.setAttribute('aria-label', 'The session\'s time, stretch by stretch');
    for (const st of Array.isArray(d.clock) ? d.clock : []) {
      const span = st.to_offset_ms - st.from_offset_ms;
      const part = PARTS.includes(st.part) ? st.part : 'idle';
      const e = el('div', 'tp-stretch tp-part-' + part);
      e.setAttribute('role', 'listitem');
      e.setAttribute('data-part', part);
      e.setAttribute('data-from-ms', String(st.from_offset_ms));
      e.setAttribute('data-to-ms', String(st.to_offset_ms));
      const text = PART_TEXT[part] + ' ' + fmtDur(span);
      e.setAttribute('title', PART_LONG[part] + ': ' + fmtDur(span) + ' (' + fmtDur(st.from_offset_ms) + ' – ' + fmtDur(st.to_offset_ms) + ')');
      e.setAttribute('aria-label', PART_LONG[part] + ', ' + fmtDur(span) + ', from ' + fmtDur(st.from_offset_ms));
      e.appendChild(el('span', 'tp-stretch-text', text));
      clockTrack.appendChild(e);
    }
    box.appendChild(clockRow);

    /* Model requests. */
    const reqs = Array.isArray(d.requests) ? d.requests : [];
    if (reqs.length) {
      const [reqRow, reqTrack] = row('tp-tl-model', 'Model requests');
      for (const r of reqs) {
        const b = el('div', 'tp-req' + (r.subagent ? ' tp-req-sub' : ''));
        b.setAttribute('data-start-ms', String(r.start_offset_ms));
        b.setAttribute('data-ms', String(isNum(r.duration_ms) ? r.duration_ms : 0));
        const tok = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens']
          .filter((k) => isNum(r[k])).map((k) => fmtInt(r[k]) + ' ' + k.replace('_tokens', '').replace('_', ' '));
        b.setAttribute('title', (r.model || 'model') + ', ' + fmtDur(r.duration_ms) + ' at ' + fmtDur(r.start_offset_ms) +
          (isNum(r.ttft_ms) ? ', first token after ' + fmtDur(r.ttft_ms) : '') + (tok.length ? '; tokens: ' + tok.join(', ') : '') +
          (isNum(r.cost_usd) ? '; $' + r.cost_usd.toFixed(4) : '') + (r.subagent ? ' (a sub-agent\'s)' : ''));
        reqTrack.appendChild(b);
      }
      box.appendChild(reqRow);
    }

    /* The calls. */
    const wrap = el('div', 'tp-tl-calls');
    const gaps = el('div', 'tp-tl-gaps');
    gaps.setAttribute('aria-hidden', 'true');
    wrap.appendChild(gaps);
    for (const st of Array.isArray(d.clock) ? d.clock : []) {
      if (!['model', 'prompt', 'idle'].includes(st.part)) continue;
      const g = el('div', 'tp-gap tp-part-' + st.part);
      g.setAttribute('data-from-ms', String(st.from_offset_ms));
      g.setAttribute('data-to-ms', String(st.to_offset_ms));
      g.appendChild(el('span', 'tp-gap-text', PART_TEXT[st.part] + ' ' + fmtDur(st.to_offset_ms - st.from_offset_ms)));
      gaps.appendChild(g);
    }
    const ol = el('ol', 'tp-tl-list');
    ol.setAttribute('aria-label', 'Calls, in the order they started');
    let n = 0;
    for (const r of tl.rows) {
      if (r.kind === 'lane') {
        const li = el('li', 'tp-tl-row tp-tl-lane');
        li.setAttribute('data-lane', String(r.lane.lane));
        const who = r.lane.subagent ? 'sub-agent ' + String(r.lane.subagent).slice(0, 12) : 'a sub-agent';
        li.appendChild(el('div', 'tp-tl-lane-text', who + ' · ' + fmtInt(r.count) + ' calls' +
          (r.parent ? ', started by ' + tp.toolLabel(r.parent.tool, r.parent.agent) + ' at ' + fmtDur(r.parent.start_offset_ms)
            : ', started by a call not recorded')));
        ol.appendChild(li);
        r.el = li;
        continue;
      }
      const c = r.call;
      const li = el('li', 'tp-tl-row' + (c.lane ? ' tp-tl-sub' : ''));
      li.setAttribute('data-call', String(c.tool_use_id || ''));
      li.setAttribute('data-lane', String(c.lane || 0));
      const label = el('div', 'tp-tl-label');
      label.appendChild(tp.toolBadge(c.tool, c.agent));
      label.appendChild(tp.targetEl(c.target));
      li.appendChild(label);
      const track = el('div', 'tp-tl-track');
      const bar = el('button', 'tp-tl-bar' + (c.success === false ? ' tp-failed' : ''));
      bar.type = 'button';
      bar.tabIndex = -1;
      bar.setAttribute('data-index', String(n));
      bar.setAttribute('aria-label', callTitle(c));
      const g = segmentsOf(c);
      bar.setAttribute('data-start-ms', String(c.start_offset_ms || 0));
      bar.setAttribute('data-ms', String(g.total));
      for (const sgm of g.segs) {
        const sp = el('span', 'tp-seg tp-seg-' + sgm.kind);
        sp.setAttribute('data-kind', sgm.kind);
        sp.setAttribute('data-ms', String(sgm.ms));
        if (sgm.kind === 'exec') sp.style.backgroundColor = tp.toolColor(tp.toolLabel(c.tool, c.agent));
        bar.appendChild(sp);
      }
      track.appendChild(bar);
      li.appendChild(track);
      ol.appendChild(li);
      r.el = li;
      r.bar = bar;
      r.index = n++;
    }
    wrap.appendChild(ol);
    box.appendChild(wrap);
    if (!tl.calls.length) box.appendChild(el('p', 'tp-empty-msg', 'No calls recorded in this session'));
  }

  /* Place everything for the current view [v0, v1). */
  function layout() {
    const box = $('timeline');
    const track = box.querySelector('.tp-tl-track');
    if (!track || !tl.data) return;
    const width = track.clientWidth;
    const span = Math.max(tl.v1 - tl.v0, 1e-3);
    const k = width / span; /* px per ms */
    box.setAttribute('data-px-per-ms', String(k));
    box.setAttribute('data-view-start-ms', String(tl.v0));
    box.setAttribute('data-view-end-ms', String(tl.v1));
    const x = (ms) => (ms - tl.v0) * k;
    /* Axis. */
    const axis = box.querySelector('.tp-tl-axis .tp-tl-track');
    clear(axis);
    const step = tickStep(span, width);
    for (let t = Math.ceil(tl.v0 / step) * step; t <= tl.v1; t += step) {
      const tick = el('span', 'tp-tick', tp.fmtDurTick(t));
      const at = x(t);
      tick.style.left = at.toFixed(2) + 'px';
      /* Labels at the ends stay inside the track. */
      if (at < 24) tick.classList.add('tp-tick-start');
      else if (at > width - 24) tick.classList.add('tp-tick-end');
      axis.appendChild(tick);
    }
    for (const e of box.querySelectorAll('.tp-stretch, .tp-gap')) {
      const a = +e.getAttribute('data-from-ms'), b = +e.getAttribute('data-to-ms');
      e.style.left = x(a).toFixed(3) + 'px';
      e.style.width = Math.max(0, (b - a) * k).toFixed(3) + 'px';
      /* A label only where it fits. */
      e.classList.toggle('tp-narrow', (b - a) * k < (e.classList.contains('tp-gap') ? 70 : 56));
    }
    /* The gaps' band spans the call rows, right of the labels. */
    const gaps = box.querySelector('.tp-tl-gaps');
    if (gaps) gaps.style.left = track.offsetLeft + 'px';
    for (const e of box.querySelectorAll('.tp-req')) {
      e.style.left = x(+e.getAttribute('data-start-ms')).toFixed(3) + 'px';
      e.style.width = Math.max(1, +e.getAttribute('data-ms') * k).toFixed(3) + 'px';
    }
    for (const r of tl.calls) {
      const bar = r.bar;
      const total = +bar.getAttribute('data-ms');
      bar.style.left = x(+bar.getAttribute('data-start-ms')).toFixed(3) + 'px';
      bar.style.width = (total * k).toFixed(3) + 'px';
      bar.classList.toggle('tp-tiny', total * k < 3);
      for (const sp of bar.children) sp.style.width = (+sp.getAttribute('data-ms') * k).toFixed(3) + 'px';
    }
    $('tl-range').textContent = tl.v0 <= 0 && tl.v1 >= tl.total ? 'whole session, ' + fmtDur(tl.total)
      : fmtDur(tl.v0) + ' – ' + fmtDur(tl.v1) + ' of ' + fmtDur(tl.total);
  }

  function setView(v0, v1) {
    const min = Math.max(tl.total / 2000, 0.5);
    let span = Math.max(min, Math.min(v1 - v0, tl.total));
    let a = v0;
    if (a < 0) a = 0;
    if (a + span > tl.total) a = Math.max(0, tl.total - span);
    tl.v0 = a;
    tl.v1 = a + span;
    layout();
  }

  function zoom(f, at) {
    const span = tl.v1 - tl.v0;
    const centre = isNum(at) ? at : (tl.v0 + tl.v1) / 2;
    const ns = span / f;
    const rel = (centre - tl.v0) / span;
    setView(centre - ns * rel, centre - ns * rel + ns);
  }

  function pan(frac) {
    const span = tl.v1 - tl.v0;
    setView(tl.v0 + span * frac, tl.v1 + span * frac);
  }

  /* ---- the selected call ---------------------------------------------------- */

  function details(c) {
    const box = $('tl-details');
    clear(box);
    if (!c) return;
    const h = el('h3', 'h6 d-flex flex-wrap gap-2 align-items-center');
    h.appendChild(tp.toolBadge(c.tool, c.agent));
    h.appendChild(el('span', c.success === false ? 'tp-status tp-failed' : 'tp-status', c.success === false ? 'failed' : 'ok'));
    box.appendChild(h);
    const dl = el('dl', 'tp-facts');
    const fact = (k, v) => {
      const w = el('div', 'tp-fact');
      w.appendChild(el('dt', null, k));
      const dd = el('dd');
      if (v instanceof Node) dd.appendChild(v);
      else dd.textContent = v;
      w.appendChild(dd);
      dl.appendChild(w);
    };
    const target = el('span', 'tp-detail-target tp-iso', c.target ? String(c.target) : '–');
    fact('Target', target);
    const d = isNum(c.timestamp_ms) ? new Date(c.timestamp_ms) : null;
    fact('Start', (d ? fmtDate(d, 'second') + ', ' : '') + fmtDur(c.start_offset_ms) + ' into the session');
    const ph = c.phases || {};
    fact('Wall time', phaseText(ph.wall));
    fact('Approval wait', phaseText(ph.wait));
    fact('Hooks', phaseText(ph.hook));
    fact('Execution', phaseText(ph.exec));
    fact('Asked you', c.approval === 'asked' ? 'yes' : c.approval === 'no' ? 'no' : 'not known');
    if (c.success === false && c.error) fact('Error', el('span', 'tp-iso', String(c.error)));
    fact('Size', tp.fmtBytes(c.size_bytes) + ' read or written, ' + tp.fmtBytes(c.result_bytes) + ' returned');
    if (c.lane) fact('Sub-agent', String(c.subagent || '') + (c.parent ? ' (started by ' + c.parent + ')' : ''));
    fact('Call id', String(c.tool_use_id || '–'));
    fact('Reported by', Array.isArray(c.sources) ? c.sources.join(', ') : String(c.source || '–'));
    box.appendChild(dl);
  }

  function select(i, focus) {
    if (!tl.calls.length) return;
    i = Math.max(0, Math.min(tl.calls.length - 1, i));
    const prev = tl.calls[tl.sel];
    if (prev) {
      prev.bar.tabIndex = -1;
      prev.el.classList.remove('tp-selected');
      prev.el.removeAttribute('aria-current');
    }
    tl.sel = i;
    const r = tl.calls[i];
    r.bar.tabIndex = 0;
    r.el.classList.add('tp-selected');
    r.el.setAttribute('aria-current', 'true');
    if (focus) r.bar.focus({ preventScroll: true });
    r.el.scrollIntoView({ block: 'nearest' });
    /* Keep the call in view. */
    const c = r.call, g = segmentsOf(c);
    if (c.start_offset_ms + g.total < tl.v0 || c.start_offset_ms > tl.v1) {
      const span = tl.v1 - tl.v0;
      setView(c.start_offset_ms - span / 4, c.start_offset_ms - span / 4 + span);
    }
    details(c);
    tp.state.call = String(c.tool_use_id || '');
    tp.writeUrl();
  }

  /* ---- hover ------------------------------------------------------------------- */

  function showTip(bar) {
    const r = tl.calls[+bar.getAttribute('data-index')];
    if (!r) return;
    const c = r.call, g = segmentsOf(c);
    const tip = $('tl-tooltip');
    clear(tip);
    tip.appendChild(el('div', 'fw-semibold', tp.toolLabel(c.tool, c.agent) + (c.success === false ? ' · failed' : '')));
    if (c.target) tip.appendChild(el('div', 'tp-tip-target tp-iso', String(c.target)));
    const lines = ['start ' + fmtDur(c.start_offset_ms) + ', wall ' + fmtDur(g.total)];
    if (g.hook) lines.push('hooks ' + fmtDur(g.hook));
    if (g.wait) lines.push('approval wait ' + fmtDur(g.wait));
    lines.push(g.exec !== null ? 'execution ' + fmtDur(g.exec) + ' (' + ((c.phases || {}).exec || {}).exactness + ')' : 'execution not known');
    const rest = g.segs.find((x) => x.kind === 'unknown');
    if (rest) lines.push((g.unsplit ? 'split not known ' : 'not split ') + fmtDur(rest.ms));
    if (isNum(c.size_bytes) || isNum(c.result_bytes)) {
      lines.push('size ' + tp.fmtBytes(c.size_bytes) + ', result ' + tp.fmtBytes(c.result_bytes));
    }
    if (c.success === false && c.error) lines.push(String(c.error).slice(0, 200));
    for (const l of lines) tip.appendChild(el('div', 'tp-iso', l));
    tip.hidden = false;
    const b = bar.getBoundingClientRect();
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let left = Math.min(window.innerWidth - w - 8, Math.max(8, b.left));
    let top = b.bottom + 6;
    if (top + h > window.innerHeight - 8) top = Math.max(8, b.top - h - 6);
    tip.style.left = left + 'px';
    tip.style.top = top + 'px';
  }

  function hideTip() {
    $('tl-tooltip').hidden = true;
  }

  /* ---- events ------------------------------------------------------------------ */

  function bind() {
    const box = $('timeline');
    box.addEventListener('click', (e) => {
      const bar = e.target.closest('.tp-tl-bar');
      if (bar) select(+bar.getAttribute('data-index'), true);
    });
    box.addEventListener('mouseover', (e) => {
      const bar = e.target.closest('.tp-tl-bar');
      if (bar && !tl.drag) showTip(bar);
    });
    box.addEventListener('mouseout', (e) => {
      if (e.target.closest('.tp-tl-bar')) hideTip();
    });
    box.addEventListener('focusin', (e) => {
      const bar = e.target.closest('.tp-tl-bar');
      if (bar) showTip(bar);
    });
    box.addEventListener('focusout', hideTip);
    box.addEventListener('keydown', (e) => {
      const k = e.key;
      let done = true;
      if (k === 'ArrowDown') select(tl.sel + 1, true);
      else if (k === 'ArrowUp') select(tl.sel - 1, true);
      else if (k === 'Home') select(0, true);
      else if (k === 'End') select(tl.calls.length - 1, true);
      else if (k === 'Enter' || k === ' ') select(tl.sel < 0 ? 0 : tl.sel, true);
      else if (k === '+' || k === '=') zoom(2, selectedMid());
      else if (k === '-' || k === '_') zoom(0.5, selectedMid());
      else if (k === '0') setView(0, tl.total);
      else if (k === 'ArrowRight' && e.shiftKey) pan(0.2);
      else if (k === 'ArrowLeft' && e.shiftKey) pan(-0.2);
      else if (k === 'Escape') tp.navigate(tp.pageHref({ view: 'sessions', session: null, call: null }));
      else done = false;
      if (done) {
        e.preventDefault();
        if (tl.sel >= 0 && document.activeElement && document.activeElement.classList.contains('tp-tl-bar')) showTip(tl.calls[tl.sel].bar);
      }
    });
    box.addEventListener('wheel', (e) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      zoom(e.deltaY < 0 ? 1.25 : 0.8, msAt(e.clientX));
    }, { passive: false });
    box.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !e.target.closest('.tp-tl-track')) return;
      tl.drag = { x: e.clientX, v0: tl.v0, v1: tl.v1, moved: false };
    });
    window.addEventListener('pointermove', (e) => {
      if (!tl.drag) return;
      const dx = e.clientX - tl.drag.x;
      if (Math.abs(dx) > 3) tl.drag.moved = true;
      if (!tl.drag.moved) return;
      const k = +$('timeline').getAttribute('data-px-per-ms') || 1;
      setView(tl.drag.v0 - dx / k, tl.drag.v1 - dx / k);
      hideTip();
    });
    window.addEventListener('pointerup', () => { tl.drag = null; });
    box.addEventListener('dblclick', (e) => {
      if (e.target.closest('.tp-tl-track')) zoom(2, msAt(e.clientX));
    });
    $('tl-zoom-in').addEventListener('click', () => zoom(2, selectedMid()));
    $('tl-zoom-out').addEventListener('click', () => zoom(0.5, selectedMid()));
    $('tl-fit').addEventListener('click', () => setView(0, tl.total));
    window.addEventListener('resize', () => { if (tl.data && !$('view-session').hidden) layout(); });
    $('sessions-project').addEventListener('change', (e) => {
      tp.state.project = e.target.value;
      tp.writeUrl();
      tp.refresh();
    });
    for (const [id, key] of [['sessions-failed', 'onlyFailed'], ['sessions-waited', 'onlyWaited']]) {
      $(id).addEventListener('change', (e) => {
        tp.state[key] = e.target.checked;
        tp.writeUrl();
        renderSessions();
      });
    }
    tp.sortable($('sessions-table'), 'start_ms', 'desc', renderSessions);
  }

  function selectedMid() {
    const r = tl.calls[tl.sel];
    if (!r) return undefined;
    return r.call.start_offset_ms + segmentsOf(r.call).total / 2;
  }

  function msAt(clientX) {
    const track = $('timeline').querySelector('.tp-tl-track');
    const b = track.getBoundingClientRect();
    const k = +$('timeline').getAttribute('data-px-per-ms') || 1;
    return tl.v0 + (clientX - b.left) / k;
  }

  tp.views.session = {
    enter() {
      hideTip();
      $('session-title').textContent = 'Session ' + (tp.state.session || '');
      $('session-back').href = tp.pageHref({ view: 'sessions', session: null, call: null });
      $('session-back').setAttribute('data-nav', '');
    },
    jobs(sig) {
      if (!tp.state.session) return [];
      return [['session', tp.api('/api/performance/sessions/' + encodeURIComponent(tp.state.session), {}, sig), (b) => {
        renderFacts(b.data);
        buildTimeline(b.data);
        layout();
        const want = tp.state.call;
        let i = want ? tl.calls.findIndex((r) => r.call.tool_use_id === want) : -1;
        if (want && i < 0) tp.setNotice('The call ' + want + ' is not in this session.');
        /* A link to a moment lands on its call: selected, in view, focused. */
        if (i >= 0) {
          select(i, true);
          tl.calls[i].el.scrollIntoView({ block: 'center' });
        } else if (tl.calls.length) {
          tl.sel = -1;
          tl.calls[0].bar.tabIndex = 0;
          details(null);
        }
      }]];
    },
    theme() {
      if (!tl.data) return;
      for (const r of tl.calls) {
        const sp = r.bar.querySelector('.tp-seg-exec');
        if (sp) sp.style.backgroundColor = tp.toolColor(tp.toolLabel(r.call.tool, r.call.agent));
      }
    },
  };

  /* Exposed for the browser test. */
  tp.timeline = tl;

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bind);
  else bind();
})();
