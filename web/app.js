/*
 * app.js - the toolprof dashboard (GET /performance-profiling): its state,
 * formats and shared helpers, the overview and the comparison of two
 * periods. sessions.js adds the sessions list and one session's timeline
 * through the same helpers (window.toolprof).
 *
 * State lives in the URL: the view (overview, sessions, session, compare,
 * team), the window (24h, 7d, 30d, all, or since/until), the tool and agent
 * filters, the person and machine filters of a team server, the open
 * session and call, the compared range. Links inside the
 * page are real links to such URLs; following one pushes it into the
 * history, so Back works, and a reload or a shared link shows the same.
 *
 * One refresh fetches every panel of the current view in parallel, renders
 * each answer on its own (one failing endpoint shows an alert and leaves
 * the others working), then schedules the next refresh 30 s later; a hidden
 * tab skips refreshes and catches up when it becomes visible again.
 *
 * A team server whose store keeps people (ClickHouse; the resources
 * answer's team_store) gets a person and a machine picker, filled from the
 * team answer's members, and a Team view (team.js). Anywhere else the page
 * shows neither and never sends person= or host= (a SQLite store refuses
 * them): a URL that names one says so and shows everyone's calls.
 *
 * Honest display: no data is "–", never 0 ms or 100 %; a point of the trend
 * without calls is a gap; the optimization rate is over the calls that had
 * an option, with its denominator; one colour per tool, derived from its
 * name (the same in every window and after every reload); dates carry the
 * year when it is not this year; long paths are cut in the middle, keeping
 * the file name, with the whole text on hover; no column is ever hidden
 * (narrow screens stack each row's cells, with their labels).
 *
 * Security: every value that comes from the API is inserted as text
 * (textContent, createTextNode, setAttribute for title and href built from
 * URLSearchParams), never as HTML. Targets are file paths and shell
 * commands and may contain markup. The page runs under
 * "Content-Security-Policy: default-src 'self'", so there is no inline
 * script or style anywhere; element styles are set through the CSSOM.
 */
'use strict';

(function () {
  const THEME_KEY = 'toolprof-theme';
  const TOKEN_KEY = 'toolprof-token';
  const REFRESH_MS = 30000;
  const SLOW_MS = 2000;
  const DEFAULT_WINDOW = '24h';
  const AGENTS = ['claude-code', 'codex', 'gemini-cli', 'opencode'];
  const DEFAULT_AGENT = 'claude-code';
  const VIEWS = ['overview', 'sessions', 'session', 'compare', 'team'];
  /* The views whose questions take person= and host=. */
  const PERSON_VIEWS = ['overview', 'compare'];

  /* ---- theme (runs before first paint) ------------------------------- */

  function storedTheme() {
    try {
      const t = localStorage.getItem(THEME_KEY);
      return t === 'dark' || t === 'light' ? t : null;
    } catch (e) {
      return null;
    }
  }

  const darkQuery = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function systemTheme() {
    return darkQuery && darkQuery.matches ? 'dark' : 'light';
  }

  function currentTheme() {
    return document.documentElement.getAttribute('data-bs-theme') === 'dark' ? 'dark' : 'light';
  }

  document.documentElement.setAttribute('data-bs-theme', storedTheme() || systemTheme());

  /* ---- state ---------------------------------------------------------- */

  const state = {
    view: 'overview',
    window: DEFAULT_WINDOW,
    since: '', /* a custom range: local "YYYY-MM-DDTHH:MM" */
    until: '',
    windowGiven: false, /* the URL named a window: never replace it */
    tool: '',
    agents: [], /* empty: all */
    person: '', /* a team server's person and machine filters */
    host: '',
    team: null, /* the store keeps people: null until the server said */
    members: null, /* [{person, hosts}] from the team answer */
    session: '',
    call: '',
    cmp: { mode: 'previous', since: '', until: '', by: 'tool' },
    project: '', /* the sessions list's project filter */
    onlyFailed: false,
    onlyWaited: false,
    token: null,
    seq: 0,
    controller: null,
    timer: null,
    refreshMs: REFRESH_MS, /* the browser test shortens it */
    pending: false, /* a refresh came due while the tab was hidden */
    lastOk: 0,
    knownTools: null, /* null until /tools answered */
    canonicalOf: new Map(), /* "tool\x1fagent" -> canonical, from stats rows */
    last: { stats: null, trends: null, hotspots: null, slow: null, agents: null, compare: null },
    lastWindow: null,
    charts: { trend: null, tools: null },
    sorts: {},
  };

  const $ = (id) => document.getElementById(id);

  /* ---- formatting ----------------------------------------------------- */

  const nfCache = new Map();
  function nf(digits) {
    let f = nfCache.get(digits);
    if (!f) {
      f = new Intl.NumberFormat('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
      nfCache.set(digits, f);
    }
    return f;
  }

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function fmtInt(v) {
    return isNum(v) ? nf(0).format(Math.round(v)) : '–';
  }

  function fmtPct(v) {
    if (!isNum(v)) return '–';
    const d = v === Math.round(v) || v >= 99.95 || v <= 0.05 ? 0 : 1;
    return nf(d).format(v) + '%';
  }

  /* A change: "+12%", "-8.7%". */
  function fmtChange(v) {
    if (!isNum(v)) return '–';
    return (v > 0 ? '+' : v < 0 ? '-' : '') + fmtPct(Math.abs(v));
  }

  /* Milliseconds for humans: "0.42 ms", "7.5 ms", "850 ms", "2.35 s",
   * "14.2 s", "3 min 5 s", "2 h 10 min" (the command line's table_ms
   * writes exactly these). */
  function fmtDur(ms) {
    if (!isNum(ms)) return '–';
    const a = Math.abs(ms);
    if (a === 0) return '0 ms';
    if (a < 1) return nf(2).format(ms) + ' ms';
    if (a < 10) return nf(1).format(ms) + ' ms';
    if (a < 1000) return nf(0).format(ms) + ' ms';
    if (a < 10000) return nf(2).format(ms / 1000) + ' s';
    if (a < 60000) return nf(1).format(ms / 1000) + ' s';
    const s = Math.round(ms / 1000);
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    const m = Math.round(s / 60);
    return nf(0).format(Math.floor(m / 60)) + ' h ' + (m % 60) + ' min';
  }

  /* Axis ticks: the same units without padding zeros ("2 s", "500 ms"). */
  const nfTrimmer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  function fmtDurTick(ms) {
    if (!isNum(ms)) return '';
    if (ms === 0) return '0';
    if (Math.abs(ms) < 1000) return nfTrimmer.format(ms) + ' ms';
    if (Math.abs(ms) < 60000) return nfTrimmer.format(ms / 1000) + ' s';
    if (Math.abs(ms) < 3600000) return nfTrimmer.format(ms / 60000) + ' min';
    return nfTrimmer.format(ms / 3600000) + ' h';
  }

  function fmtBytes(b) {
    if (!isNum(b)) return '–';
    if (b < 1024) return nf(0).format(b) + ' B';
    if (b < 1024 * 1024) return nf(1).format(b / 1024) + ' KB';
    if (b < 1024 * 1024 * 1024) return nf(1).format(b / 1048576) + ' MB';
    return nf(2).format(b / 1073741824) + ' GB';
  }

  function pad2(n) {
    return (n < 10 ? '0' : '') + n;
  }

  function clock(d) {
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }

  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

  /* "5 Dec 14:03", with the year when it is not this year:
   * "10 Feb 2025, 14:03". parts: 'date', 'minute' (default), 'second'. */
  function fmtDate(d, parts) {
    if (!(d instanceof Date) || isNaN(d.getTime())) return '–';
    const p = parts || 'minute';
    const thisYear = d.getFullYear() === new Date().getFullYear();
    let s = d.getDate() + ' ' + MONTHS[d.getMonth()] + (thisYear ? '' : ' ' + d.getFullYear());
    if (p === 'date') return s;
    s += (thisYear ? ' ' : ', ') + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    if (p === 'second') s += ':' + pad2(d.getSeconds());
    return s;
  }

  function fmtDateLong(d) {
    return WEEKDAYS[d.getDay()] + ' ' + d.getDate() + ' ' + MONTHS[d.getMonth()] + ' ' + d.getFullYear();
  }

  function opDate(op) {
    if (op && isNum(op.timestamp_ms)) return new Date(op.timestamp_ms);
    const d = op && op.timestamp ? new Date(op.timestamp) : null;
    return d && !isNaN(d.getTime()) ? d : null;
  }

  /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" as local time. */
  function parseLocal(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(String(s));
    return m ? new Date(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0)) : null;
  }

  /* A Date as the value of a datetime-local input. */
  function localInput(d) {
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + 'T' +
      pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  }

  /* What a window covers, in words: "the last 24 hours", "all time". */
  function windowText(w) {
    const name = w && typeof w.name === 'string' ? w.name : state.window;
    let m;
    if (name === 'all') return 'all time';
    if ((m = /^(\d+)h$/.exec(name))) return +m[1] === 1 ? 'the last hour' : 'the last ' + m[1] + ' hours';
    if ((m = /^(\d+)d$/.exec(name))) return +m[1] === 1 ? 'the last day' : 'the last ' + m[1] + ' days';
    if (w && isNum(w.since_ms) && isNum(w.until_ms)) {
      return fmtDate(new Date(w.since_ms)) + ' – ' + fmtDate(new Date(w.until_ms));
    }
    return String(name);
  }

  function capital(s) {
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  function windowRange(w) {
    if (!w || w.name === 'all' || !isNum(w.since_ms) || !isNum(w.until_ms)) return '';
    return fmtDate(new Date(w.since_ms)) + ' – ' + fmtDate(new Date(w.until_ms));
  }

  /* "3 hours", "65 days". */
  function fmtAge(ms) {
    if (ms < 2 * 3600e3) return Math.max(1, Math.round(ms / 60000)) + ' minutes';
    if (ms < 2 * 86400e3) return Math.round(ms / 3600e3) + ' hours';
    return Math.round(ms / 86400e3) + ' days';
  }

  /* ---- DOM helpers (text only, never HTML from data) ------------------ */

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function td(text, cls) {
    return el('td', cls, text);
  }

  /* Where a long text is cut: paths before their last component (the file
   * name stays whole), other text keeps its last part. */
  function cutPoint(t) {
    const slash = t.lastIndexOf('/');
    if (slash > 0 && slash < t.length - 1) return slash;
    return Math.max(0, t.length - Math.min(24, Math.ceil(t.length * 0.4)));
  }

  /* A target cut in the middle by CSS when it does not fit: the head
   * shrinks with an ellipsis, the tail (the file name) stays. The whole text
   * is the element's title and its text. */
  function targetEl(target, tag) {
    const t = target === null || target === undefined ? '' : String(target);
    const e = el(tag || 'span', 'tp-target');
    if (!t) {
      e.textContent = '–';
      return e;
    }
    e.setAttribute('title', t);
    /* One line: spaces are kept as they are (the head and tail are cut
     * apart, and a space at either edge would vanish otherwise), line
     * breaks and tabs become spaces. */
    const line = t.replace(/[\r\n\t]+/g, ' ');
    const cut = cutPoint(line);
    if (cut > 0) e.appendChild(el('span', 'tp-mid-head', line.slice(0, cut)));
    e.appendChild(el('span', 'tp-mid-tail', line.slice(cut)));
    return e;
  }

  /* One colour per tool, from its name alone: the same in every window,
   * after every reload, and in the command line's tables. */
  function hashName(s) {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 16777619) >>> 0;
    }
    return h;
  }

  function toolColor(name) {
    const h = hashName(String(name));
    const hue = (h % 3600) / 10;
    const sat = 62 + ((h >>> 12) % 3) * 8;
    const light = currentTheme() === 'dark' ? 62 : 46;
    return 'hsl(' + hue.toFixed(1) + ', ' + sat + '%, ' + light + '%)';
  }

  /* "shell (codex)" for another agent's tool, as the API labels it. */
  function toolLabel(tool, agent) {
    const t = tool === null || tool === undefined ? '?' : String(tool);
    return agent && agent !== DEFAULT_AGENT ? t + ' (' + agent + ')' : t;
  }

  function toolBadge(tool, agent) {
    const label = toolLabel(tool, agent);
    const b = el('span', 'tp-tool');
    const sw = el('span', 'tp-swatch');
    sw.style.backgroundColor = toolColor(label);
    sw.setAttribute('aria-hidden', 'true');
    b.appendChild(sw);
    b.appendChild(el('span', 'tp-iso', label));
    return b;
  }

  function emptyRow(tbody, cols, text) {
    const tr = el('tr');
    const c = td(text, 'tp-empty');
    c.colSpan = cols;
    tr.appendChild(c);
    tbody.appendChild(tr);
  }

  function setKpi(id, value, text) {
    const e = $(id);
    e.textContent = text;
    e.setAttribute('data-value', value === null || value === undefined ? '' : String(value));
  }

  /* Each cell's column name, for narrow screens where rows stack. */
  function labelCells(table) {
    const heads = Array.from(table.tHead.rows[0].cells, (th) => th.textContent.trim());
    for (const tr of table.tBodies[0].rows) {
      Array.from(tr.cells).forEach((c, i) => {
        if (!c.classList.contains('tp-empty') && heads[i]) c.setAttribute('data-label', heads[i]);
      });
    }
  }

  /* ---- links to a moment of a session --------------------------------- */

  /* The page's URL for a state change (keeping the window and filters). */
  function pageHref(changes) {
    const p = urlParams();
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === '') p.delete(k);
      else p.set(k, String(v));
    }
    const qs = p.toString();
    return location.pathname + (qs ? '?' + qs : '');
  }

  function momentHref(sessionId, callId) {
    return pageHref({ view: 'session', session: sessionId, call: callId || null });
  }

  /* A link to the moment of a call in its session, around content. */
  function momentLink(sessionId, callId, content, label) {
    if (!sessionId) return content;
    const a = el('a', 'tp-moment');
    a.href = momentHref(sessionId, callId);
    a.setAttribute('data-nav', '');
    a.appendChild(content);
    /* The visible text, then what the link does (for screen readers). */
    a.appendChild(el('span', 'visually-hidden', label ? ' (' + label + ')' : ' (in its session)'));
    return a;
  }

  /* ---- sortable tables -------------------------------------------------- */

  /* Sort state of a table, kept across refreshes; headers are buttons. */
  function sortable(table, key, dir, onChange) {
    const s = { key, dir };
    state.sorts[table.id] = s;
    for (const th of table.tHead.rows[0].cells) {
      const btn = th.querySelector('button.tp-sort');
      if (!btn || btn.dataset.bound) continue;
      btn.dataset.bound = '1';
      btn.addEventListener('click', () => {
        const k = th.getAttribute('data-key');
        if (s.key === k) s.dir = s.dir === 'asc' ? 'desc' : 'asc';
        else {
          s.key = k;
          s.dir = th.classList.contains('text-end') ? 'desc' : 'asc';
        }
        onChange();
      });
    }
    return s;
  }

  function markSort(table) {
    const s = state.sorts[table.id];
    for (const th of table.tHead.rows[0].cells) {
      const k = th.getAttribute('data-key');
      th.setAttribute('aria-sort', s && k === s.key ? (s.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  /* Rows sorted by the table's key: get(row, key) gives a number, a
   * string or null; nulls (no data) go last whichever the direction. */
  function sortRows(table, rows, get) {
    const s = state.sorts[table.id];
    if (!s) return rows.slice();
    const sign = s.dir === 'asc' ? 1 : -1;
    return rows.map((r, i) => [r, i]).sort((a, b) => {
      const x = get(a[0], s.key), y = get(b[0], s.key);
      const nx = x === null || x === undefined || (typeof x === 'number' && !isFinite(x));
      const ny = y === null || y === undefined || (typeof y === 'number' && !isFinite(y));
      if (nx || ny) return nx === ny ? a[1] - b[1] : nx ? 1 : -1;
      let c = typeof x === 'string' || typeof y === 'string'
        ? String(x).localeCompare(String(y)) : x - y;
      if (c === 0) c = (a[1] - b[1]) * sign;
      return c * sign;
    }).map((p) => p[0]);
  }

  /* ---- API ------------------------------------------------------------ */

  class ApiError extends Error {
    constructor(path, status, message) {
      super(message);
      this.path = path;
      this.status = status;
    }
  }

  async function api(path, params, signal) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== '' && v !== null && v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    let res;
    try {
      res = await fetch(url, { headers, signal, cache: 'no-store', credentials: 'same-origin' });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(path, 0, 'the server did not answer (is toolprof serve still running?)');
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok || !body || body.success !== true) {
      let msg = body && typeof body.message === 'string' ? body.message : '';
      if (!msg) msg = res.ok ? 'the answer was not the expected JSON' : res.statusText || 'request failed';
      throw new ApiError(path, res.status, msg);
    }
    return body;
  }

  /* The window as query parameters. */
  function windowParams() {
    if (state.window === 'custom') {
      const a = parseLocal(state.since), b = parseLocal(state.until);
      return { since: a ? state.since : '', until: b ? state.until : '' };
    }
    return { window: state.window };
  }

  /* The person and machine filters: only to a server whose store keeps
   * people (a SQLite store refuses them with a 400). */
  function personParams() {
    return state.team === true ? { person: state.person, host: state.host } : {};
  }

  /* The filters every question takes. */
  function filterParams() {
    return Object.assign({ tool: state.tool, agent: state.agents.join(',') }, personParams(), windowParams());
  }

  /* ---- alerts --------------------------------------------------------- */

  function showAlerts(errors) {
    const box = $('alerts');
    clear(box);
    const needsToken = errors.some((e) => e.status === 401);
    if (needsToken) {
      const a = el('div', 'alert alert-warning d-flex gap-2 align-items-start');
      a.setAttribute('role', 'alert');
      const body = el('div', 'flex-grow-1');
      body.appendChild(el('strong', null, 'This server needs a token. '));
      body.appendChild(document.createTextNode('Open the page as '));
      body.appendChild(el('code', null, location.origin + location.pathname + '?token=…'));
      body.appendChild(document.createTextNode(
        ' with the token that toolprof serve was started with. It is kept for this tab only.'));
      const msg = errors.find((e) => e.status === 401).message;
      if (msg) body.appendChild(el('div', 'small mt-1', 'Server said (HTTP 401): ' + msg));
      a.appendChild(body);
      box.appendChild(a);
    }
    /* One alert per distinct answer: a bad parameter fails every panel
     * with the same message, which is worth reading once. */
    const groups = new Map();
    for (const e of errors) {
      if (e.status === 401) continue;
      const text = (e.status ? 'HTTP ' + e.status + ': ' : '') + e.message;
      if (!groups.has(text)) groups.set(text, []);
      if (!groups.get(text).includes(e.path)) groups.get(text).push(e.path);
    }
    for (const [text, paths] of groups) {
      const a = el('div', 'alert alert-danger d-flex gap-2 align-items-start');
      a.setAttribute('role', 'alert');
      const body = el('div', 'flex-grow-1');
      body.appendChild(el('strong', null, 'Could not load ' + paths.join(', ') + '. '));
      body.appendChild(document.createTextNode(text));
      a.appendChild(body);
      const close = el('button', 'tp-close', '×');
      close.type = 'button';
      close.setAttribute('aria-label', 'Dismiss');
      close.addEventListener('click', () => a.remove());
      a.appendChild(close);
      box.appendChild(a);
    }
  }

  function setStatus(kind, text) {
    const dot = $('status-dot');
    dot.className = 'tp-dot' + (kind === 'ok' ? '' : kind === 'error' ? ' tp-error' : ' tp-paused');
    $('updated-at').textContent = text;
  }

  function setNotice(text) {
    const n = $('notice');
    n.textContent = text || '';
    n.hidden = !text;
  }

  /* ---- overview panels --------------------------------------------------- */

  function renderKpis(s) {
    const wt = capital(windowText(s.window));
    const has = s.total_operations > 0;
    setKpi('kpi-total', s.total_operations, fmtInt(s.total_operations));
    $('kpi-total-caption').textContent =
      wt + (has ? ' · ' + fmtPct(s.success_rate) + ' succeeded' : ' · no calls');
    /* No calls (or none timed): no average, not 0 ms. */
    const timed = s.timed_operations > 0;
    setKpi('kpi-avg', timed ? s.avg_duration_ms : null, timed ? fmtDur(s.avg_duration_ms) : '–');
    $('kpi-avg-caption').textContent =
      wt + (timed ? ' · p50 ' + fmtDur(s.median_duration_ms) + ' · p95 ' + fmtDur(s.p95_duration_ms) : '');
    setKpi('kpi-slow', has ? s.slow_operations_count : null, has ? fmtInt(s.slow_operations_count) : '–');
    $('kpi-slow').classList.toggle('tp-warn', s.slow_operations_count > 0);
    $('kpi-slow-caption').textContent =
      wt + (s.critical_operations_count > 0 ? ' · ' + fmtInt(s.critical_operations_count) + ' critical (≥ 5 s)' : '');
    const o = s.optimization || {};
    setKpi('kpi-opt', isNum(o.rate) ? o.rate : null, fmtPct(o.rate));
    $('kpi-opt-caption').textContent = wt + ' · ' + (isNum(o.rate)
      ? fmtInt(o.used) + ' of ' + fmtInt(o.eligible) + ' calls that had an option (Read offset/limit, Grep head_limit)'
      : 'no call had an option to use');
    $('window-range').textContent = windowRange(s.window);

    const r = s.resource_usage;
    if (r && typeof r === 'object') {
      const parts = [];
      if (isNum(r.operations_stored)) parts.push(fmtInt(r.operations_stored) + ' operations stored');
      if (isNum(r.db_bytes)) parts.push('database ' + fmtBytes(r.db_bytes));
      if (isNum(r.memory_mb)) parts.push('server memory ' + nf(1).format(r.memory_mb) + ' MB');
      if (isNum(r.uptime_s)) parts.push('up ' + fmtDur(r.uptime_s * 1000));
      // Hook calls wait in the spool while the server cannot store them (a full disk ...).
      const sp = r.spool;
      if (sp && sp.ok === false) {
        parts.push('hook calls waiting to be stored' + (isNum(sp.pending_bytes) ? ' (' + fmtBytes(sp.pending_bytes) + ')' : '') +
          ': ' + String(sp.drain_error || 'storage error'));
      }
      $('resources').textContent = parts.join(' · ');
    }
  }

  const MAX_SLICES = 12;

  function renderToolsChart(s) {
    if (typeof Chart === 'undefined') return;
    const entries = Object.entries(s.tools_breakdown || {}).sort((a, b) => b[1] - a[1]);
    let labels = entries.map((e) => e[0]);
    let values = entries.map((e) => e[1]);
    let colors = labels.map((l) => toolColor(l));
    if (entries.length > MAX_SLICES) {
      const rest = values.slice(MAX_SLICES - 1).reduce((a, b) => a + b, 0);
      labels = labels.slice(0, MAX_SLICES - 1).concat(['Other (' + (entries.length - MAX_SLICES + 1) + ' tools)']);
      values = values.slice(0, MAX_SLICES - 1).concat([rest]);
      colors = colors.slice(0, MAX_SLICES - 1).concat([currentTheme() === 'dark' ? '#64748b' : '#94a3b8']);
    }
    const total = values.reduce((a, b) => a + b, 0);
    $('tools-caption').textContent = total ? fmtInt(total) + ' calls · ' + windowText(s.window) : '';
    const th = chartTheme();
    const canvas = $('tools-chart');
    const narrow = canvas.parentElement.clientWidth < 420;
    let ch = state.charts.tools;
    if (!ch) {
      ch = state.charts.tools = new Chart(canvas, {
        type: 'doughnut',
        data: { labels: [], datasets: [{ data: [], backgroundColor: [], borderWidth: 2 }] },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          cutout: '58%',
          plugins: {
            legend: { labels: { boxWidth: 12, boxHeight: 12, padding: 10 } },
            tooltip: {
              callbacks: {
                label(ctx) {
                  const v = ctx.parsed;
                  const sum = ctx.dataset.data.reduce((a, b) => a + b, 0);
                  return ' ' + fmtInt(v) + ' calls (' + fmtPct(sum ? (100 * v) / sum : NaN) + ')';
                },
              },
            },
          },
        },
      });
    }
    ch.data.labels = labels;
    ch.data.datasets[0].data = values;
    ch.data.datasets[0].backgroundColor = colors;
    ch.data.datasets[0].borderColor = th.card;
    ch.options.plugins.legend.position = narrow ? 'bottom' : 'right';
    ch.options.plugins.legend.labels.color = th.text;
    ch.update();
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function chartTheme() {
    const dark = currentTheme() === 'dark';
    return {
      text: dark ? '#c9d1d9' : '#495057',
      grid: dark ? 'rgba(255,255,255,0.09)' : 'rgba(0,0,0,0.07)',
      avg: dark ? '#60a5fa' : '#2563eb',
      avgFill: dark ? 'rgba(96,165,250,0.15)' : 'rgba(37,99,235,0.10)',
      p95: dark ? '#fb923c' : '#c2410c',
      bars: dark ? 'rgba(148,163,184,0.25)' : 'rgba(100,116,139,0.18)',
      card: cssVar('--tp-card-bg') || (dark ? '#171d25' : '#ffffff'),
    };
  }

  /* A trend point's label: "14:00" for hours, "5 Dec" for days (with the
   * year when not this year), "w/c 5 Dec" for weeks. */
  function pointLabel(t, i) {
    const start = Array.isArray(t.starts_ms) && isNum(t.starts_ms[i]) ? new Date(t.starts_ms[i]) : parseLocal(t.labels[i]);
    if (!start) return String(t.labels[i]);
    if (t.step === 'hour') {
      const first = i === 0 || (t.starts_ms && new Date(t.starts_ms[i - 1]).getDate() !== start.getDate());
      return (first ? fmtDate(start, 'date') + ' ' : '') + pad2(start.getHours()) + ':00';
    }
    return (t.step === 'week' ? 'w/c ' : '') + fmtDate(start, 'date');
  }

  function pointTitle(t, i) {
    const start = Array.isArray(t.starts_ms) && isNum(t.starts_ms[i]) ? new Date(t.starts_ms[i]) : parseLocal(t.labels[i]);
    if (!start) return String(t.labels[i]);
    if (t.step === 'hour') return fmtDateLong(start) + ', ' + pad2(start.getHours()) + ':00–' + pad2((start.getHours() + 1) % 24) + ':00';
    return (t.step === 'week' ? 'Week from ' : '') + fmtDateLong(start);
  }

  function renderTrend(t) {
    if (typeof Chart === 'undefined') return;
    const n = Array.isArray(t.labels) ? t.labels.length : 0;
    const labels = [];
    for (let i = 0; i < n; i++) labels.push(pointLabel(t, i));
    /* No calls at a point: null, a gap in the line, never 0 ms. */
    const vals = (a) => labels.map((_, i) => (a && isNum(a[i]) ? a[i] : null));
    const avg = vals(t.avg_durations), p95 = vals(t.p95_durations);
    const counts = labels.map((_, i) => (t.operation_counts && isNum(t.operation_counts[i]) ? t.operation_counts[i] : 0));
    /* A point with no neighbour draws no line: show it as a dot. */
    const alone = (a, i) => a[i] !== null && (i === 0 || a[i - 1] === null) && (i === a.length - 1 || a[i + 1] === null);
    const th = chartTheme();
    const stepWord = t.step === 'hour' ? 'per hour' : t.step === 'week' ? 'per week' : 'per local day';
    $('trend-caption').textContent = stepWord + ' · ' + windowText(state.lastWindow) +
      (state.tool ? ' · ' + state.tool : '') + (state.team === true && state.person ? ' · ' + state.person : '') +
      (state.team === true && state.host ? ' · ' + state.host : '') + (counts.some((c) => c === 0) ? ' · gaps: no calls' : '');
    let ch = state.charts.trend;
    if (!ch) {
      ch = state.charts.trend = new Chart($('trend-chart'), {
        type: 'line',
        data: { labels: [], datasets: [] },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          spanGaps: false,
          interaction: { mode: 'index', intersect: false },
          plugins: {
            legend: {
              position: 'top',
              align: 'end',
              labels: {
                usePointStyle: true,
                pointStyleWidth: 24,
                /* Lines as (dashed) lines, the call counts as a box. */
                generateLabels(chart) {
                  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
                  for (const it of items) {
                    const ds = chart.data.datasets[it.datasetIndex];
                    it.pointStyle = ds && ds.type === 'bar' ? 'rect' : 'line';
                  }
                  return items;
                },
              },
            },
            tooltip: {
              callbacks: {
                title(items) {
                  return items.length ? pointTitle(state.last.trends, items[0].dataIndex) : '';
                },
                label(ctx) {
                  if (ctx.dataset.yAxisID === 'y1') return ' ' + fmtInt(ctx.parsed.y) + ' calls';
                  return ' ' + ctx.dataset.label + ': ' + fmtDur(ctx.parsed.y);
                },
              },
            },
          },
          scales: {
            x: { offset: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
            y: {
              beginAtZero: true,
              title: { display: true, text: 'Duration' },
              ticks: { callback: (v) => fmtDurTick(v), maxTicksLimit: 6 },
            },
            y1: {
              beginAtZero: true,
              position: 'right',
              grid: { drawOnChartArea: false },
              title: { display: true, text: 'Calls' },
              ticks: { precision: 0, maxTicksLimit: 6 },
            },
          },
        },
      });
    }
    const few = labels.length <= 48;
    ch.data.labels = labels;
    ch.data.datasets = [
      {
        type: 'line', label: 'Average', data: avg, borderColor: th.avg, backgroundColor: th.avgFill,
        fill: false, tension: 0, spanGaps: false, borderWidth: 2, yAxisID: 'y', order: 1,
        pointRadius: (ctx) => (alone(avg, ctx.dataIndex) ? 4 : few ? 2.5 : 0), pointHoverRadius: 4,
      },
      {
        type: 'line', label: 'p95', data: p95, borderColor: th.p95, backgroundColor: th.p95,
        borderDash: [6, 4], fill: false, tension: 0, spanGaps: false, borderWidth: 2, yAxisID: 'y', order: 2,
        pointRadius: (ctx) => (alone(p95, ctx.dataIndex) ? 4 : few ? 2 : 0), pointHoverRadius: 4,
      },
      {
        type: 'bar', label: 'Calls', data: counts, backgroundColor: th.bars,
        borderWidth: 0, yAxisID: 'y1', order: 3, maxBarThickness: 28,
      },
    ];
    const o = ch.options;
    for (const axis of [o.scales.x, o.scales.y, o.scales.y1]) {
      axis.ticks.color = th.text;
      if (axis.title) axis.title.color = th.text;
      axis.grid.color = th.grid;
      axis.border = { color: th.grid };
    }
    o.plugins.legend.labels.color = th.text;
    ch.update();
  }

  function rememberCanonicals(s) {
    for (const r of Array.isArray(s.tools) ? s.tools : []) {
      if (r.canonical) state.canonicalOf.set(String(r.tool) + '\x1f' + String(r.agent || DEFAULT_AGENT), r.canonical);
    }
  }

  /* Whether an operation's tool has an option to use: true, false, or
   * null when the page does not know its kind. */
  function hasOption(op) {
    const c = state.canonicalOf.get(String(op.tool) + '\x1f' + String(op.agent || DEFAULT_AGENT));
    if (!c) return null;
    return c === 'read' || c === 'search';
  }

  function latencyValue(r, key) {
    if (key === 'tool') return toolLabel(r.tool, r.agent);
    const v = r[key];
    return isNum(v) ? v : null;
  }

  function renderLatency(s) {
    const table = $('latency-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    const rows = Array.isArray(s.tools) ? s.tools : [];
    $('latency-caption').textContent = capital(windowText(s.window)) + (s.percentile_method === 'sketch'
      ? ' · percentiles estimated (±1%)' : '');
    markSort(table);
    if (!rows.length) {
      emptyRow(tbody, 8, 'No operations in this window');
      return;
    }
    for (const r of sortRows(table, rows, latencyValue)) {
      const tr = el('tr');
      const c0 = el('td');
      c0.appendChild(toolBadge(r.tool, r.agent));
      tr.appendChild(c0);
      tr.appendChild(td(fmtInt(r.count), 'text-end'));
      tr.appendChild(td(fmtDur(r.p50_ms), 'text-end'));
      tr.appendChild(td(fmtDur(r.p95_ms), 'text-end' + (r.p95_ms > SLOW_MS ? ' tp-dur-slow' : '')));
      tr.appendChild(td(fmtDur(r.p99_ms), 'text-end' + (r.p99_ms > SLOW_MS ? ' tp-dur-slow' : '')));
      tr.appendChild(td(r.timed ? fmtDur(r.total_ms) : '–', 'text-end'));
      const f = td(fmtPct(r.failure_rate) + (r.failed ? ' (' + fmtInt(r.failed) + ')' : ''),
        'text-end' + (r.failure_rate > 0 ? ' text-danger-emphasis' : ' text-body-secondary'));
      tr.appendChild(f);
      const o = td(r.with_option > 0 ? fmtInt(r.used_option) + ' of ' + fmtInt(r.with_option) +
        ' (' + fmtPct(r.option_rate) + ')' : '–', 'text-end text-body-secondary');
      if (!(r.with_option > 0)) o.setAttribute('title', 'this tool has no option to use');
      tr.appendChild(o);
      tbody.appendChild(tr);
    }
    labelCells(table);
  }

  /* The same kinds of tools in each agent: rows per canonical name. */
  function renderAgents(per) {
    const card = $('agents-card');
    const agents = per ? Object.keys(per) : [];
    card.hidden = agents.length < 2;
    if (card.hidden) return;
    const table = $('agents-table');
    const head = table.tHead.rows[0];
    clear(head);
    const mk = (key, text, end) => {
      const th = el('th', end ? 'text-end' : null);
      th.scope = 'col';
      th.setAttribute('data-key', key);
      th.setAttribute('aria-sort', 'none');
      const b = el('button', 'tp-sort', text);
      b.type = 'button';
      th.appendChild(b);
      head.appendChild(th);
    };
    mk('kind', 'Kind', false);
    for (const a of agents) {
      mk(a + '\x1fcount', a + ' calls', true);
      mk(a + '\x1fp50', a + ' p50', true);
      mk(a + '\x1fp95', a + ' p95', true);
    }
    const kinds = new Map();
    for (const a of agents) {
      for (const r of per[a]) {
        if (!kinds.has(r.tool)) kinds.set(r.tool, {});
        kinds.get(r.tool)[a] = r;
      }
    }
    const rows = Array.from(kinds, ([kind, by]) => ({ kind, by }));
    if (!state.sorts['agents-table']) sortable(table, agents[0] + '\x1fcount', 'desc', () => renderAgents(state.last.agents));
    else {
      /* The headers were rebuilt: bind them again. */
      const s = state.sorts['agents-table'];
      sortable(table, s.key, s.dir, () => renderAgents(state.last.agents));
    }
    markSort(table);
    const tbody = table.tBodies[0];
    clear(tbody);
    const get = (row, key) => {
      if (key === 'kind') return row.kind;
      const [a, f] = key.split('\x1f');
      const r = row.by[a];
      if (!r) return null;
      return f === 'count' ? r.count : f === 'p50' ? r.p50_ms : r.p95_ms;
    };
    for (const row of sortRows(table, rows, get)) {
      const tr = el('tr');
      tr.appendChild(td(row.kind, 'fw-semibold'));
      for (const a of agents) {
        const r = row.by[a];
        tr.appendChild(td(r ? fmtInt(r.count) : '–', 'text-end'));
        tr.appendChild(td(r ? fmtDur(r.p50_ms) : '–', 'text-end'));
        tr.appendChild(td(r ? fmtDur(r.p95_ms) : '–', 'text-end' + (r && r.p95_ms > SLOW_MS ? ' tp-dur-slow' : '')));
      }
      tbody.appendChild(tr);
    }
    $('agents-caption').textContent = 'the same kind of tool in ' + agents.join(', ') + ' · ' + windowText(state.lastWindow);
    labelCells(table);
  }

  function hotspotValue(h, key) {
    if (key === 'tool') return toolLabel(h.tool, h.agent);
    if (key === 'target') return h.target === null || h.target === undefined ? null : String(h.target);
    const v = h[key];
    return isNum(v) ? v : null;
  }

  function renderHotspots(list) {
    const table = $('hotspots-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    markSort(table);
    if (!Array.isArray(list) || !list.length) {
      emptyRow(tbody, 6, 'No hotspots in this window');
      return;
    }
    for (const h of sortRows(table, list, hotspotValue)) {
      const tr = el('tr');
      const c0 = el('td');
      c0.appendChild(toolBadge(h.tool, h.agent));
      tr.appendChild(c0);
      const c1 = el('td', 'tp-col-target');
      const sc = h.slowest_call;
      const t = targetEl(h.target);
      c1.appendChild(sc && sc.session_id
        ? momentLink(sc.session_id, sc.tool_use_id, t, 'its slowest call, ' + fmtDur(sc.duration_ms) + ', in its session')
        : t);
      tr.appendChild(c1);
      tr.appendChild(td(fmtInt(h.count) + (h.failed ? ' (' + fmtInt(h.failed) + ' failed)' : ''), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(h.avg_ms), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(h.total_ms), 'text-end text-nowrap'));
      const c5 = el('td', 'tp-share-col');
      const bar = el('div', 'tp-bar');
      bar.setAttribute('aria-hidden', 'true');
      const fill = el('span');
      fill.style.width = Math.max(0, Math.min(100, isNum(h.share) ? h.share : 0)).toFixed(1) + '%';
      bar.appendChild(fill);
      c5.appendChild(bar);
      c5.appendChild(el('div', 'tp-share-text', fmtPct(h.share)));
      tr.appendChild(c5);
      tbody.appendChild(tr);
    }
    labelCells(table);
  }

  function renderBottlenecks(data) {
    const box = $('bottlenecks');
    clear(box);
    const groups = Object.entries(data && typeof data === 'object' ? data : {})
      .filter((g) => Array.isArray(g[1]) && g[1].length)
      .map((g) => [g[0], g[1], Math.max(...g[1].map((o) => (isNum(o.duration_ms) ? o.duration_ms : 0)))])
      .sort((a, b) => b[2] - a[2])
      .slice(0, 8);
    if (!groups.length) {
      box.appendChild(el('p', 'tp-empty-msg', 'No timed operations in this window'));
      return;
    }
    for (const [tool, ops] of groups) {
      const g = el('div', 'tp-bn-group');
      g.appendChild(toolBadge(tool));
      const ul = el('ul', 'tp-bn-list');
      for (const op of ops.slice(0, 3)) {
        const li = el('li');
        li.appendChild(el('span', 'tp-bn-dur' + (op.duration_ms >= SLOW_MS ? ' tp-dur-slow' : ''),
          fmtDur(op.duration_ms)));
        li.appendChild(momentLink(op.session_id, op.tool_use_id, targetEl(op.target), 'this call in its session'));
        const d = opDate(op);
        if (d) li.appendChild(el('span', 'text-body-secondary small text-nowrap', fmtDate(d)));
        ul.appendChild(li);
      }
      g.appendChild(ul);
      box.appendChild(g);
    }
  }

  const SEVERITIES = ['critical', 'high', 'medium', 'low'];

  function renderRecommendations(list) {
    const box = $('recommendations');
    clear(box);
    const recs = Array.isArray(list) ? list : [];
    const s = state.last.stats;
    $('recs-caption').textContent = recs.length ? recs.length + ' found · ' + windowText(state.lastWindow) : '';
    if (!recs.length) {
      /* Nothing to say about no calls is not good news. */
      const n = s && isNum(s.total_operations) ? s.total_operations : 0;
      box.appendChild(el('p', 'tp-empty-msg', n
        ? 'No recommendations for these ' + fmtInt(n) + ' calls.'
        : 'No calls in this window, so nothing to recommend.'));
      return;
    }
    for (const r of recs) {
      const sev = SEVERITIES.includes(r.severity) ? r.severity : 'low';
      const card = el('article', 'tp-rec tp-sev-' + sev);
      const head = el('div', 'd-flex flex-wrap align-items-center gap-2 mb-1');
      head.appendChild(el('span', 'tp-sev-badge', sev));
      head.appendChild(el('h3', null, r.title || r.rule || 'Recommendation'));
      if (r.type) head.appendChild(el('span', 'small text-body-secondary', r.type));
      card.appendChild(head);
      if (r.description) card.appendChild(el('p', 'mb-1', r.description));
      if (r.suggestion) {
        const p = el('p', 'mb-1');
        p.appendChild(el('strong', null, 'Suggestion: '));
        p.appendChild(document.createTextNode(r.suggestion));
        card.appendChild(p);
      }
      if (r.example) {
        const pre = el('pre');
        pre.appendChild(el('code', null, r.example));
        card.appendChild(pre);
      }
      const ev = Array.isArray(r.evidence) ? r.evidence : [];
      if (ev.length) {
        const ul = el('ul', 'tp-evidence');
        for (const e of ev.slice(0, 3)) {
          const li = el('li');
          // Recorded text sits inline here: tp-iso keeps a bidi override
          // in it from reordering the words around it.
          li.appendChild(el('span', 'fw-semibold tp-iso', e.tool || '?'));
          li.appendChild(document.createTextNode(' '));
          li.appendChild(momentLink(e.session_id, e.tool_use_id, targetEl(e.target), 'this call in its session'));
          const bits = [];
          if (isNum(e.count) && e.count > 1) bits.push(fmtInt(e.count) + '×');
          if (isNum(e.duration_ms)) bits.push(fmtDur(e.duration_ms));
          if (bits.length) li.appendChild(el('span', 'text-body-secondary tp-ev-bits', '— ' + bits.join(', ')));
          ul.appendChild(li);
        }
        if (ev.length > 3) ul.appendChild(el('li', 'text-body-secondary', '… and ' + (ev.length - 3) + ' more'));
        card.appendChild(ul);
      }
      const imp = r.impact || {};
      const ib = [];
      if (isNum(imp.time_ms) && imp.time_ms > 0) ib.push('about ' + fmtDur(imp.time_ms) + ' of tool time');
      if (isNum(imp.tokens) && imp.tokens > 0) ib.push(fmtInt(imp.tokens) + ' tokens');
      if (ib.length) card.appendChild(el('div', 'tp-impact mt-2', 'Potential saving: ' + ib.join(', ')));
      box.appendChild(card);
    }
  }

  function slowValue(op, key) {
    if (key === 'tool') return toolLabel(op.tool, op.agent);
    if (key === 'target') return op.target === null || op.target === undefined ? null : String(op.target);
    if (key === 'success') return op.success === false ? 0 : 1;
    if (key === 'optimization_applied') {
      const h = hasOption(op);
      return h ? (op.optimization_applied ? 1 : 0) : null;
    }
    const v = op[key];
    return isNum(v) ? v : null;
  }

  function renderSlow(resp) {
    const table = $('slow-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    const ops = Array.isArray(resp.data) ? resp.data : [];
    $('slow-caption').textContent = '≥ ' + fmtDur(SLOW_MS) + ' · ' + (ops.length ? 'the slowest ' + fmtInt(ops.length) + ' · ' : '') +
      windowText(state.lastWindow);
    markSort(table);
    if (!ops.length) {
      emptyRow(tbody, 6, 'No slow operations in this window');
      return;
    }
    for (const op of sortRows(table, ops, slowValue)) {
      const tr = el('tr');
      tr.setAttribute('data-call', String(op.tool_use_id || ''));
      const c0 = el('td');
      c0.appendChild(toolBadge(op.tool, op.agent));
      tr.appendChild(c0);
      const c1 = el('td', 'tp-col-target');
      c1.appendChild(momentLink(op.session_id, op.tool_use_id, targetEl(op.target), 'this call in its session'));
      tr.appendChild(c1);
      tr.appendChild(td(fmtDur(op.duration_ms), 'text-end text-nowrap tp-dur-slow'));
      const d = opDate(op);
      const tc = td(d ? fmtDate(d, 'second') : '–', 'text-nowrap');
      if (op.timestamp) tc.setAttribute('title', String(op.timestamp));
      tr.appendChild(tc);
      const c4 = el('td');
      const st = el('span', 'tp-status' + (op.success === false ? ' tp-failed' : ''),
        op.success === false ? 'failed' : 'ok');
      if (op.success === false && op.error) st.setAttribute('title', String(op.error));
      c4.appendChild(st);
      tr.appendChild(c4);
      const c5 = el('td');
      /* Only tools with an option to use are optimized or not. */
      const h = hasOption(op);
      if (h === true) {
        c5.appendChild(op.optimization_applied
          ? el('span', 'badge bg-success-subtle text-success-emphasis', 'Optimized')
          : el('span', 'badge bg-secondary-subtle text-secondary-emphasis', 'Not optimized'));
      } else {
        const dash = el('span', 'text-body-secondary', '–');
        dash.setAttribute('title', h === false ? 'this tool has no option to use' : 'not known for this tool');
        c5.appendChild(dash);
      }
      tr.appendChild(c5);
      tbody.appendChild(tr);
    }
    labelCells(table);
  }

  function renderToolFilter(tools) {
    const sel = $('tool-filter');
    const names = Array.isArray(tools) ? tools.map(String) : [];
    if (state.tool && !names.includes(state.tool)) names.push(state.tool);
    const want = [''].concat(names);
    const have = Array.from(sel.options, (o) => o.value);
    if (want.length !== have.length || want.some((v, i) => v !== have[i])) {
      clear(sel);
      const all = el('option', null, 'All tools');
      all.value = '';
      sel.appendChild(all);
      for (const n of names) {
        // Another agent's tool is stored as "name\x1fagent": shown as a label.
        const parts = n.split('\x1f');
        const o = el('option', null, parts.length > 1 ? toolLabel(parts[0], parts[1]) : n);
        o.value = n;
        sel.appendChild(o);
      }
    }
    sel.value = state.tool;
  }

  /* The agents that made calls: a check box each. */
  function renderAgentPicker(rows) {
    const menu = $('agent-menu');
    const have = new Set((Array.isArray(rows) ? rows : []).map((r) => String(r.tool)));
    for (const a of state.agents) have.add(a);
    const list = AGENTS.filter((a) => have.has(a)).concat(Array.from(have).filter((a) => !AGENTS.includes(a)));
    const current = Array.from(menu.querySelectorAll('input'), (i) => i.value);
    if (current.join(',') !== list.join(',')) {
      for (const n of Array.from(menu.querySelectorAll('.form-check'))) n.remove();
      for (const a of list) {
        const id = 'agent-' + a.replace(/[^a-z0-9-]/gi, '_');
        const wrap = el('div', 'form-check');
        const input = el('input', 'form-check-input');
        input.type = 'checkbox';
        input.id = id;
        input.value = a;
        input.addEventListener('change', onAgentChange);
        const label = el('label', 'form-check-label', a);
        label.htmlFor = id;
        wrap.appendChild(input);
        wrap.appendChild(label);
        menu.appendChild(wrap);
      }
      if (!list.length) menu.appendChild(el('div', 'form-check small text-body-secondary', 'no calls yet'));
    }
    for (const i of menu.querySelectorAll('input')) i.checked = state.agents.includes(i.value);
    $('agent-summary').textContent = state.agents.length === 0 ? 'All agents'
      : state.agents.length === 1 ? state.agents[0] : state.agents.length + ' agents';
  }

  function onAgentChange() {
    state.agents = Array.from($('agent-menu').querySelectorAll('input:checked'), (i) => i.value);
    renderAgentPicker(null);
    writeUrl();
    refresh();
  }

  /* ---- a team server: people and machines --------------------------------- */

  /* Whether the server's store keeps people, asked once per page (a
   * server's store does not change while it runs). Until it has answered
   * (a token missing, say) the page sends no person or host; the view's
   * own questions then say what is wrong. */
  async function learnStore(sig) {
    let b;
    try {
      b = await api('/api/performance/resources', {}, sig);
    } catch (e) {
      return;
    }
    state.team = !!(b.data && b.data.team_store === true);
  }

  /* On a store without people, what a URL asked of them goes, said so.
   * Returns true when the view changed (the caller routes again). */
  function dropTeamState() {
    if (state.team !== false) return false;
    const asked = [];
    if (state.person) asked.push('the person ' + state.person);
    if (state.host) asked.push('the machine ' + state.host);
    const teamView = state.view === 'team';
    if (!asked.length && !teamView) return false;
    const text = 'This server\'s store keeps no people or machines (only a team server on ClickHouse does), so ' +
      (teamView ? 'it has no team view' + (asked.length ? ' and ' : '') : '') +
      (asked.length ? asked.join(' and ') + (asked.length > 1 ? ' are' : ' is') + ' not a filter here' : '') +
      ': showing everyone\'s calls.';
    state.person = '';
    state.host = '';
    if (teamView) {
      state.view = 'overview';
      state.notice = text;
    } else {
      setNotice(text);
    }
    writeUrl();
    return teamView;
  }

  /* A select's options as [value, label] pairs, rebuilt only when they
   * changed (a rebuild would close it under the reader's pointer). */
  function fillSelect(sel, items, value) {
    const want = items.map((i) => i[0] + '\x1f' + i[1]);
    const have = Array.from(sel.options, (o) => o.value + '\x1f' + o.textContent);
    if (want.join('\n') !== have.join('\n')) {
      clear(sel);
      for (const [v, label] of items) {
        const o = el('option', null, label);
        o.value = v;
        sel.appendChild(o);
      }
    }
    sel.value = value;
  }

  /* The team's members (the team answer's), for the pickers. */
  function renderPeople(members) {
    if (Array.isArray(members)) {
      state.members = members.map((m) => ({
        person: String(m.person),
        hosts: Array.isArray(m.hosts) ? m.hosts.map(String) : [],
      }));
    }
    syncPeople();
  }

  /* The person and machine pickers and the Team link: shown on a store
   * that keeps people, usable in the views whose questions take them. */
  function syncPeople() {
    const on = state.team === true;
    $('people-filters').hidden = !on;
    $('nav-team').hidden = !on;
    $('sessions-people-note').hidden = !(on && (state.person || state.host));
    if (!on) return;
    const members = state.members || [];
    const people = members.map((m) => m.person);
    if (state.person && !people.includes(state.person)) people.push(state.person);
    fillSelect($('person-filter'), [['', 'All people']].concat(people.map((p) => [p, p])), state.person);
    /* The machines of the person picked, else everyone's, with whose. */
    const hosts = new Map();
    for (const m of members) {
      if (state.person && m.person !== state.person) continue;
      for (const h of m.hosts) {
        if (!hosts.has(h)) hosts.set(h, []);
        hosts.get(h).push(m.person);
      }
    }
    if (state.host && !hosts.has(state.host)) hosts.set(state.host, []);
    const items = [['', 'All machines']];
    for (const [h, who] of hosts) items.push([h, state.person || !who.length ? h : h + ' (' + who.join(', ') + ')']);
    fillSelect($('host-filter'), items, state.host);
    const applies = PERSON_VIEWS.includes(state.view);
    for (const id of ['person-filter', 'host-filter']) {
      $(id).disabled = !applies;
      if (applies) $(id).removeAttribute('title');
      else $(id).setAttribute('title', state.view === 'team' ? 'The team view is over everyone'
        : 'Sessions are not filtered by person or machine');
    }
  }

  function onPersonChange(e) {
    state.person = e.target.value;
    /* Someone else's machine would match nothing. */
    const m = (state.members || []).find((x) => x.person === state.person);
    if (state.host && m && !m.hosts.includes(state.host)) state.host = '';
    syncPeople();
    writeUrl();
    refresh();
  }

  function onHostChange(e) {
    state.host = e.target.value;
    syncPeople();
    writeUrl();
    refresh();
  }

  /* " from alice on alice-laptop": the person and machine filters, in words. */
  function whoText() {
    if (state.team !== true) return '';
    return (state.person ? ' from ' + state.person : '') + (state.host ? ' on ' + state.host : '');
  }

  /* The empty state: nothing stored at all, or nothing in this window
   * (then when the newest call was and a window that shows it). */
  function renderEmptyState(stats) {
    const empty = stats.total_operations === 0;
    const e = stats.empty || null;
    /* Nothing matching anywhere, and no filter: nothing stored at all. */
    const byPerson = state.team === true && !!(state.person || state.host);
    const storeEmpty = empty && e && !isNum(e.newest_call_ms) && !state.tool && !state.agents.length && !byPerson;
    $('empty-state').hidden = !empty;
    document.body.classList.toggle('tp-store-empty', storeEmpty);
    $('empty-newest').hidden = true;
    if (!empty) return;
    if (storeEmpty) {
      $('empty-title').textContent = 'No tool calls recorded yet';
      $('empty-lead').textContent = 'toolprof measures the tool calls of coding agents. Get data in with any of ' +
        'these (they can be combined; the same call is stored once):';
      $('empty-steps').hidden = false;
      return;
    }
    $('empty-title').textContent = 'No operations in ' + windowText(stats.window);
    $('empty-steps').hidden = true;
    if (e && isNum(e.newest_call_ms)) {
      const when = new Date(e.newest_call_ms);
      $('empty-lead').textContent = 'Nothing was recorded in ' + windowText(stats.window) +
        (state.tool ? ' for ' + state.tool : '') + (state.agents.length ? ' by ' + state.agents.join(', ') : '') +
        whoText() + '.';
      /* Its age by the server's clock, which ended the window. */
      const now = stats.window && isNum(stats.window.until_ms) ? stats.window.until_ms : Date.now();
      $('empty-newest-text').textContent = 'The newest call was on ' + fmtDate(when) + ', ' +
        fmtAge(now - e.newest_call_ms) + ' ago.';
      const btn = $('empty-newest-btn');
      btn.textContent = 'Show ' + (e.suggested_window === 'all' ? 'all time' : 'the last ' + e.suggested_window);
      btn.setAttribute('data-window', e.suggested_window || 'all');
      $('empty-newest').hidden = false;
    } else {
      $('empty-lead').textContent = 'Nothing recorded matches ' + (state.tool ? 'the tool ' + state.tool : 'these filters') +
        (state.agents.length ? ' and the agents ' + state.agents.join(', ') : '') +
        (byPerson && state.person ? ' and the person ' + state.person : '') +
        (byPerson && state.host ? ' and the machine ' + state.host : '') +
        '. Pick another ' + (byPerson ? 'tool, agent, person or machine' : 'tool or agent') + ' above.';
    }
  }

  /* ---- compare ------------------------------------------------------------ */

  function compareValue(r, key) {
    switch (key) {
      case 'tool': return toolLabel(r.tool, r.agent);
      case 'base_count': return r.baseline.count;
      case 'cur_count': return r.current.count;
      case 'base_p50': return r.baseline.p50_ms;
      case 'cur_p50': return r.current.p50_ms;
      case 'base_p95': return r.baseline.p95_ms;
      case 'cur_p95': return r.current.p95_ms;
      default: return isNum(r[key]) ? r[key] : null;
    }
  }

  const VERDICT_TEXT = { slower: 'slower', faster: 'faster', same: 'no change', too_few: 'too few calls' };

  function changeCell(pct, verdict) {
    const c = el('td', 'text-end text-nowrap tp-change tp-v-' + (VERDICT_TEXT[verdict] ? verdict : 'same'));
    c.appendChild(el('span', null, fmtChange(pct)));
    const tag = el('span', 'tp-verdict', VERDICT_TEXT[verdict] || String(verdict));
    c.appendChild(tag);
    c.setAttribute('data-verdict', String(verdict));
    return c;
  }

  function renderCompare(d) {
    const table = $('compare-table');
    const tbody = table.tBodies[0];
    clear(tbody);
    markSort(table);
    if (!d) return;
    const cur = d.current, base = d.baseline;
    $('compare-caption').textContent = 'now: ' + windowText(cur) + ' · before: ' + windowText(base);
    const rows = [d.all].concat(Array.isArray(d.tools) ? d.tools : []);
    const sorted = [d.all].concat(sortRows(table, rows.slice(1), compareValue));
    for (const r of sorted) {
      const tr = el('tr', r === d.all ? 'tp-row-all' : null);
      const c0 = el('td');
      if (r === d.all) c0.appendChild(el('strong', null, 'All calls'));
      else c0.appendChild(toolBadge(r.tool, r.agent));
      tr.appendChild(c0);
      tr.appendChild(td(fmtInt(r.baseline.count), 'text-end'));
      tr.appendChild(td(fmtInt(r.current.count), 'text-end'));
      tr.appendChild(td(fmtDur(r.baseline.p50_ms), 'text-end'));
      tr.appendChild(td(fmtDur(r.current.p50_ms), 'text-end'));
      tr.appendChild(changeCell(r.p50_change_pct, r.p50_change));
      tr.appendChild(td(fmtDur(r.baseline.p95_ms), 'text-end'));
      tr.appendChild(td(fmtDur(r.current.p95_ms), 'text-end'));
      tr.appendChild(changeCell(r.p95_change_pct, r.p95_change));
      tr.setAttribute('data-tool', r === d.all ? '' : toolLabel(r.tool, r.agent));
      tbody.appendChild(tr);
    }
    labelCells(table);
    const m = $('compare-method');
    const dec = d.decision || {};
    m.textContent = 'A latency is marked slower or faster only when the data can carry it: each period\'s ' +
      '95% confidence interval of the quantile (distribution-free, from the order statistics of its calls) ' +
      'does not overlap the other\'s and it moved by at least ' + fmtPct(dec.min_change_pct) + '. A period needs ' +
      fmtInt(dec.min_calls) + ' timed calls for the median (about 110 for p95); below that it says "too few calls". ' +
      'Percentiles: ' + (d.percentile_method === 'sketch' ? 'estimated (±1%).' : 'exact.');
  }

  function compareParams() {
    const p = Object.assign({ by: state.cmp.by }, filterParams());
    if (state.cmp.mode === 'range' && parseLocal(state.cmp.since) && parseLocal(state.cmp.until)) {
      p.baseline_since = state.cmp.since;
      p.baseline_until = state.cmp.until;
    }
    return p;
  }

  function syncCompareControls() {
    $('compare-previous').checked = state.cmp.mode !== 'range';
    $('compare-range').checked = state.cmp.mode === 'range';
    $('compare-since').value = state.cmp.since;
    $('compare-until').value = state.cmp.until;
    $('compare-by').value = state.cmp.by;
    const toolHead = $('compare-table').tHead.rows[0].cells[0].querySelector('button');
    toolHead.textContent = state.cmp.by === 'agent' ? 'Agent' : state.cmp.by === 'canonical' ? 'Kind' : 'Tool';
  }

  /* ---- refresh -------------------------------------------------------- */

  /* The jobs of each view: [name, promise, render]. */
  function overviewJobs(sig) {
    const f = filterParams();
    return [
      ['stats', api('/api/performance/stats', f, sig), (b) => {
        const s = b.data || {};
        state.last.stats = s;
        state.lastWindow = s.window;
        rememberCanonicals(s);
        renderKpis(s);
        renderLatency(s);
        renderToolsChart(s);
        renderEmptyState(s);
      }],
      ['tools', api('/api/performance/tools', {}, sig), (b) => {
        state.knownTools = Array.isArray(b.data) ? b.data : [];
        renderToolFilter(b.data);
      }],
      ['agents', api('/api/performance/stats', Object.assign({ by: 'agent' }, windowParams(), personParams(), { tool: state.tool }), sig), (b) => {
        return loadAgentKinds(b.data, sig);
      }],
      ['trends', api('/api/performance/trends', f, sig), (b) => {
        state.last.trends = b.data || {};
        renderTrend(state.last.trends);
      }],
      ['slow', api('/api/performance/slow-operations', Object.assign({ threshold: SLOW_MS, limit: 50 }, f), sig), (b) => {
        state.last.slow = b;
        renderSlow(b);
      }],
      ['recs', api('/api/performance/recommendations', f, sig), (b) => renderRecommendations(b.data)],
      ['hotspots', api('/api/performance/hotspots', Object.assign({ limit: 10 }, f), sig), (b) => {
        state.last.hotspots = b.data;
        renderHotspots(b.data);
      }],
      ['bottlenecks', api('/api/performance/bottlenecks', Object.assign({ limit: 3 }, f), sig), (b) => renderBottlenecks(b.data)],
    ];
  }

  /* Per agent with calls in the window (of those picked), its stats per
   * canonical kind, for the side-by-side table. */
  async function loadAgentKinds(rows, sig) {
    const all = (Array.isArray(rows && rows.tools) ? rows.tools : []).map((r) => String(r.tool));
    const agents = all.filter((a) => !state.agents.length || state.agents.includes(a));
    if (agents.length < 2) {
      state.last.agents = null;
      renderAgents(null);
      return;
    }
    const answers = await Promise.all(agents.map((a) => api('/api/performance/stats',
      Object.assign({ by: 'canonical' }, windowParams(), personParams(), { agent: a }), sig)));
    const per = {};
    agents.forEach((a, i) => { per[a] = answers[i].data.tools || []; });
    state.last.agents = per;
    renderAgents(per);
  }

  function compareJobs(sig) {
    return [
      ['compare', api('/api/performance/compare', compareParams(), sig), (b) => {
        state.last.compare = b.data;
        state.lastWindow = b.data.current;
        $('window-range').textContent = windowRange(b.data.current);
        renderCompare(b.data);
      }],
      ['tools', api('/api/performance/tools', {}, sig), (b) => renderToolFilter(b.data)],
    ];
  }

  const viewJobs = { overview: overviewJobs, compare: compareJobs };

  async function refresh() {
    if (state.controller) state.controller.abort();
    const ctl = new AbortController();
    state.controller = ctl;
    const seq = ++state.seq;
    clearTimeout(state.timer);
    state.pending = false;
    $('refresh-btn').disabled = true;
    const sig = ctl.signal;
    if (state.team === null) {
      await learnStore(sig);
      if (seq !== state.seq) return; /* a newer refresh superseded this one */
      syncPeople();
    }
    if (dropTeamState()) {
      state.controller = null;
      route();
      return;
    }
    const make = viewJobs[state.view] || (window.toolprof.views[state.view] && window.toolprof.views[state.view].jobs);
    const jobs = make ? make(sig) : [];
    /* The agents that made calls, for the picker (any window). */
    jobs.push(['agent list', api('/api/performance/stats', { by: 'agent', window: 'all' }, sig),
      (b) => renderAgentPicker(b.data && b.data.tools)]);
    /* The team's members, for the person and machine pickers (the team
     * view's own answer carries them there); a short window keeps it cheap:
     * members are everyone, whatever the window. */
    if (state.team === true && state.view !== 'team') {
      jobs.push(['people', api('/api/performance/team', { window: '1h', limit: 1 }, sig),
        (b) => renderPeople(b.data && b.data.members)]);
    }
    const settled = await Promise.allSettled(jobs.map((j) => j[1]));
    if (seq !== state.seq) return; /* a newer refresh superseded this one */

    const errors = [];
    const fail = (name, e) => {
      if (e && e.name === 'AbortError') return;
      errors.push(e instanceof ApiError ? e : new ApiError(name, 0, 'the page could not show this answer: ' + (e && e.message || e)));
    };
    /* A panel that throws while rendering must not stop the others, and
     * must not go unnoticed either. */
    const renders = [];
    settled.forEach((r, i) => {
      if (r.status !== 'fulfilled') {
        fail(jobs[i][0], r.reason);
        return;
      }
      try {
        const p = jobs[i][2](r.value);
        if (p && typeof p.then === 'function') renders.push(p.catch((e) => fail(jobs[i][0], e)));
      } catch (e) {
        fail(jobs[i][0], e);
      }
    });
    await Promise.all(renders);
    if (seq !== state.seq) return;
    state.controller = null;
    if (typeof Chart === 'undefined' && state.view === 'overview') {
      errors.push(new ApiError('/vendor/chart.umd.js', 0, 'Chart.js did not load, so the charts are missing'));
    }

    /* A first look at an empty window, when no window was asked for:
     * the window that holds the newest call instead, said so. */
    const s = state.last.stats;
    if (state.view === 'overview' && !state.windowGiven && s && s.total_operations === 0 && s.empty &&
        s.empty.suggested_window && s.empty.suggested_window !== state.window) {
      const from = windowText(s.window);
      state.window = s.empty.suggested_window;
      state.windowGiven = true;
      setNotice('Nothing was recorded in ' + from + '; showing ' + windowText({ name: state.window }) +
        ': the newest call was on ' + fmtDate(new Date(s.empty.newest_call_ms)) + '.');
      syncWindowButtons();
      writeUrl();
      refresh();
      return;
    }

    showAlerts(errors);
    const now = new Date();
    if (errors.length && errors.length >= jobs.length) setStatus('error', 'Update failed at ' + clock(now));
    else if (errors.length) setStatus('error', 'Updated at ' + clock(now) + ' (with errors)');
    else setStatus('ok', 'Updated at ' + clock(now));
    if (errors.length < jobs.length) state.lastOk = now.getTime();
    document.body.setAttribute('data-refreshed', String(seq));
    $('refresh-btn').disabled = false;
    schedule();
  }

  function schedule() {
    clearTimeout(state.timer);
    /* One session's timeline does not move under the reader's hands. */
    if (state.view === 'session') return;
    state.timer = setTimeout(() => {
      if (document.hidden) {
        state.pending = true;
        setStatus('paused', $('updated-at').textContent.replace(/ · paused.*$/, '') + ' · paused while the tab is hidden');
      } else {
        refresh();
      }
    }, state.refreshMs);
  }

  function onVisibility() {
    if (!document.hidden && state.pending) refresh();
  }

  /* ---- URL state ------------------------------------------------------ */

  function urlParams() {
    const p = new URLSearchParams();
    if (state.view !== 'overview') p.set('view', state.view);
    if (state.window === 'custom') {
      if (state.since) p.set('since', state.since);
      if (state.until) p.set('until', state.until);
    } else if (state.window !== DEFAULT_WINDOW || state.windowGiven) {
      p.set('window', state.window);
    }
    if (state.tool) p.set('tool', state.tool);
    if (state.agents.length) p.set('agent', state.agents.join(','));
    if (state.person) p.set('person', state.person);
    if (state.host) p.set('host', state.host);
    if (state.view === 'session' && state.session) {
      p.set('session', state.session);
      if (state.call) p.set('call', state.call);
    }
    if (state.view === 'sessions') {
      if (state.project) p.set('project', state.project);
      if (state.onlyFailed) p.set('failed', '1');
      if (state.onlyWaited) p.set('waited', '1');
    }
    if (state.view === 'compare') {
      if (state.cmp.by !== 'tool') p.set('by', state.cmp.by);
      if (state.cmp.mode === 'range') {
        if (state.cmp.since) p.set('baseline_since', state.cmp.since);
        if (state.cmp.until) p.set('baseline_until', state.cmp.until);
      }
    }
    return p;
  }

  /* The state from the URL (on load and on Back/Forward). */
  function readUrl() {
    const p = new URLSearchParams(location.search);
    const v = p.get('view');
    state.view = VIEWS.includes(v) ? v : (p.get('session') ? 'session' : 'overview');
    const w = p.get('window');
    state.since = p.get('since') || '';
    state.until = p.get('until') || '';
    if (state.since || state.until) {
      state.window = 'custom';
      state.windowGiven = true;
    } else if (w && /^(all|\d+[hdw])$/.test(w)) {
      state.window = w;
      state.windowGiven = true;
    } else {
      state.window = DEFAULT_WINDOW;
    }
    state.tool = p.get('tool') || '';
    state.agents = (p.get('agent') || '').split(',').map((a) => a.trim()).filter(Boolean);
    state.person = p.get('person') || '';
    state.host = p.get('host') || '';
    state.session = p.get('session') || '';
    state.call = p.get('call') || '';
    state.project = p.get('project') || '';
    state.onlyFailed = p.get('failed') === '1';
    state.onlyWaited = p.get('waited') === '1';
    state.cmp.by = ['tool', 'agent', 'canonical'].includes(p.get('by')) ? p.get('by') : 'tool';
    state.cmp.since = p.get('baseline_since') || '';
    state.cmp.until = p.get('baseline_until') || '';
    state.cmp.mode = state.cmp.since || state.cmp.until ? 'range' : 'previous';
    const tok = p.get('token');
    if (tok) {
      state.token = tok;
      try {
        sessionStorage.setItem(TOKEN_KEY, tok);
      } catch (e) { /* private mode: the token lives in memory only */ }
      writeUrl();
    } else {
      try {
        state.token = sessionStorage.getItem(TOKEN_KEY);
      } catch (e) {
        state.token = null;
      }
    }
  }

  function writeUrl(push) {
    const qs = urlParams().toString();
    const url = location.pathname + (qs ? '?' + qs : '') + location.hash;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  /* Follow a link of the page without reloading it. */
  function navigate(href) {
    history.pushState(null, '', href);
    readUrl();
    route();
  }

  function syncWindowButtons() {
    for (const b of document.querySelectorAll('#window-group [data-window]')) {
      const on = b.getAttribute('data-window') === state.window;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    const custom = state.window === 'custom';
    $('custom-range').hidden = !custom;
    document.querySelector('#window-group [data-window="custom"]').setAttribute('aria-expanded', custom ? 'true' : 'false');
    if (custom) {
      $('range-since').value = state.since;
      $('range-until').value = state.until;
    }
  }

  /* Show the current view and load it. */
  function route() {
    for (const v of VIEWS) $('view-' + v).hidden = v !== state.view;
    $('empty-state').hidden = true;
    document.body.classList.remove('tp-store-empty');
    document.body.setAttribute('data-view', state.view);
    for (const a of document.querySelectorAll('.tp-nav [data-view]')) {
      const v = a.getAttribute('data-view');
      const on = v === state.view || (v === 'sessions' && state.view === 'session');
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
      a.href = pageHref({ view: v === 'overview' ? null : v, session: null, call: null });
    }
    syncWindowButtons();
    syncPeople();
    if (state.view === 'compare') syncCompareControls();
    const hook = window.toolprof.views[state.view];
    if (hook && hook.enter) hook.enter();
    setNotice(state.notice || '');
    state.notice = '';
    refresh();
  }

  /* ---- controls ------------------------------------------------------- */

  function setTheme(t, remember) {
    document.documentElement.setAttribute('data-bs-theme', t);
    if (remember) {
      try {
        localStorage.setItem(THEME_KEY, t);
      } catch (e) { /* not remembered; still applied */ }
    }
    $('theme-btn').setAttribute('aria-pressed', t === 'dark' ? 'true' : 'false');
    if (state.last.stats) {
      renderToolsChart(state.last.stats);
      renderLatency(state.last.stats);
    }
    if (state.last.trends) renderTrend(state.last.trends);
    if (state.last.hotspots) renderHotspots(state.last.hotspots);
    const hook = window.toolprof.views[state.view];
    if (hook && hook.theme) hook.theme();
  }

  async function copyText(text, btn) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (e) {
      const ta = el('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'position-fixed top-0 start-0 opacity-0';
      document.body.appendChild(ta);
      ta.select();
      try {
        ok = document.execCommand('copy');
      } catch (e2) {
        ok = false;
      }
      ta.remove();
    }
    const old = btn.getAttribute('data-label') || btn.textContent;
    btn.setAttribute('data-label', old);
    btn.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => {
      btn.textContent = old;
    }, 1500);
  }

  function setWindow(w) {
    state.window = w;
    state.windowGiven = true;
    setNotice('');
    syncWindowButtons();
    writeUrl();
    if (w !== 'custom') refresh();
  }

  function applyRange() {
    const a = $('range-since').value, b = $('range-until').value;
    const da = parseLocal(a), db = parseLocal(b);
    if (!da || !db || db <= da) {
      $('range-error').textContent = 'Give both ends, the second later than the first.';
      return;
    }
    $('range-error').textContent = '';
    state.since = a;
    state.until = b;
    state.window = 'custom';
    state.windowGiven = true;
    writeUrl();
    refresh();
  }

  function init() {
    readUrl();
    $('theme-btn').setAttribute('aria-pressed', currentTheme() === 'dark' ? 'true' : 'false');
    if (typeof Chart !== 'undefined') {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Chart.defaults.font.size = 12;
    }

    /* The OTLP endpoint in the telemetry command is this very server. */
    if (/^https?:$/.test(location.protocol)) {
      for (const c of document.querySelectorAll('.tp-cmd code')) {
        c.textContent = c.textContent.replace('http://127.0.0.1:5000', location.origin);
      }
    }

    for (const b of document.querySelectorAll('#window-group [data-window]')) {
      b.addEventListener('click', () => {
        const w = b.getAttribute('data-window');
        if (w === 'custom') {
          /* Start from the window shown. */
          const lw = state.lastWindow;
          if (!state.since && lw && isNum(lw.since_ms) && lw.name !== 'all') {
            state.since = localInput(new Date(lw.since_ms));
            state.until = localInput(new Date(Math.min(lw.until_ms, Date.now())));
          }
          state.window = 'custom';
          syncWindowButtons();
          $('range-since').focus();
          return;
        }
        setWindow(w);
      });
    }
    $('range-apply').addEventListener('click', applyRange);
    for (const id of ['range-since', 'range-until']) {
      $(id).addEventListener('keydown', (e) => { if (e.key === 'Enter') applyRange(); });
    }
    $('empty-newest-btn').addEventListener('click', (e) => setWindow(e.currentTarget.getAttribute('data-window') || 'all'));
    $('tool-filter').addEventListener('change', (e) => {
      state.tool = e.target.value;
      writeUrl();
      refresh();
    });
    $('person-filter').addEventListener('change', onPersonChange);
    $('host-filter').addEventListener('change', onHostChange);
    $('refresh-btn').addEventListener('click', () => refresh());
    $('theme-btn').addEventListener('click', () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark', true));
    if (darkQuery && darkQuery.addEventListener) {
      darkQuery.addEventListener('change', () => {
        if (!storedTheme()) setTheme(systemTheme(), false);
      });
    }
    /* Every table sorts by any column, by click or keyboard. */
    sortable($('latency-table'), 'total_ms', 'desc', () => state.last.stats && renderLatency(state.last.stats));
    sortable($('hotspots-table'), 'total_ms', 'desc', () => state.last.hotspots && renderHotspots(state.last.hotspots));
    sortable($('slow-table'), 'duration_ms', 'desc', () => state.last.slow && renderSlow(state.last.slow));
    sortable($('compare-table'), 'cur_count', 'desc', () => renderCompare(state.last.compare));
    for (const b of document.querySelectorAll('.tp-copy')) {
      b.addEventListener('click', () => copyText(b.parentElement.querySelector('code').textContent, b));
    }
    /* Compare controls. */
    const cmpChanged = () => {
      state.cmp.mode = $('compare-range').checked ? 'range' : 'previous';
      state.cmp.since = $('compare-since').value;
      state.cmp.until = $('compare-until').value;
      state.cmp.by = $('compare-by').value;
      syncCompareControls();
      writeUrl();
      refresh();
    };
    $('compare-apply').addEventListener('click', cmpChanged);
    $('compare-previous').addEventListener('change', cmpChanged);
    $('compare-by').addEventListener('change', cmpChanged);
    for (const id of ['compare-since', 'compare-until']) {
      $(id).addEventListener('change', () => { $('compare-range').checked = true; });
    }
    /* Links of the page (views, moments of sessions) without a reload. */
    document.addEventListener('click', (e) => {
      const a = e.target.closest && e.target.closest('a[data-nav], .tp-nav a');
      if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(a.getAttribute('href'));
    });
    window.addEventListener('popstate', () => {
      readUrl();
      route();
    });
    document.addEventListener('visibilitychange', onVisibility);
    route();
  }

  /* Shared with sessions.js, and exposed for the browser test and for
   * debugging in the console. */
  window.toolprof = {
    state, refresh, route, navigate, writeUrl, views: {},
    $, el, clear, td, targetEl, toolBadge, toolColor, toolLabel, emptyRow, labelCells, momentLink,
    momentHref, pageHref, sortable, markSort, sortRows, api, windowParams, filterParams, personParams, setNotice,
    renderPeople,
    fmtInt, fmtPct, fmtDur, fmtDurTick, fmtBytes, fmtDate, fmtAge, windowText, windowRange, capital,
    isNum, currentTheme, cutPoint,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
