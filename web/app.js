/*
 * app.js - the toolprof dashboard (GET /performance-profiling).
 *
 * One refresh fetches every panel's endpoint in parallel with the same
 * filters (window=, tool=), renders each answer on its own (one failing
 * endpoint shows an alert and leaves the other panels working), then
 * schedules the next refresh 30 s later; a hidden tab skips refreshes and
 * catches up when it becomes visible again.
 *
 * Security: every value that comes from the API is inserted as text
 * (textContent, createTextNode, setAttribute for title), never as HTML.
 * Targets are file paths and shell commands and may contain markup. The
 * page runs under "Content-Security-Policy: default-src 'self'", so there
 * is no inline script or style anywhere; element styles are set through
 * the CSSOM (el.style.x = ...), which that policy allows.
 *
 * The theme is applied as soon as this file runs (it is loaded without
 * defer in <head>) so the page never flashes light before going dark;
 * everything else waits for DOMContentLoaded, by which time the deferred
 * Chart.js has run.
 */
'use strict';

(function () {
  const THEME_KEY = 'toolprof-theme';
  const TOKEN_KEY = 'toolprof-token';
  const REFRESH_MS = 30000;
  const SLOW_MS = 2000;
  const WINDOWS = ['24h', '7d', '30d'];
  const DEFAULT_WINDOW = '24h';

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
    window: DEFAULT_WINDOW,
    tool: '',
    person: '', /* a team server's filters (docs/team.md) */
    host: '',
    team: null, /* null: not known yet; false: not a team server */
    members: [],
    token: null,
    sort: { key: 'total_ms', dir: 'desc' },
    seq: 0,
    controller: null,
    timer: null,
    refreshMs: REFRESH_MS, /* the browser test shortens it */
    pending: false, /* a refresh came due while the tab was hidden */
    lastOk: 0,
    knownTools: null, /* null until /tools answered */
    last: { stats: null, trends: null },
    charts: { trend: null, tools: null },
  };

  const $ = (id) => document.getElementById(id);

  /* ---- formatting ----------------------------------------------------- */

  const nfCache = new Map();
  function nf(digits) {
    let f = nfCache.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(undefined, {
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

  /* Milliseconds for humans: "0.42 ms", "7.5 ms", "850 ms", "2.35 s",
   * "14.2 s", "3 min 5 s", "2 h 10 min". */
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
  function fmtDurTick(ms) {
    if (!isNum(ms)) return '';
    if (ms === 0) return '0';
    if (Math.abs(ms) < 1000) return nfTrim(ms) + ' ms';
    if (Math.abs(ms) < 60000) return nfTrim(ms / 1000) + ' s';
    return nfTrim(ms / 60000) + ' min';
  }

  const nfTrimmer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  function nfTrim(v) {
    return nfTrimmer.format(v);
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

  const dtShort = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const dtRange = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
  const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
  const dayLabelLong = new Intl.DateTimeFormat(undefined, {
    weekday: 'short', year: 'numeric', month: 'short', day: 'numeric',
  });

  function opDate(op) {
    if (op && isNum(op.timestamp_ms)) return new Date(op.timestamp_ms);
    const d = op && op.timestamp ? new Date(op.timestamp) : null;
    return d && !isNaN(d.getTime()) ? d : null;
  }

  /* "YYYY-MM-DD" as a local calendar day. */
  function parseDay(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s));
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  }

  /* What a window covers, in words: "Last 24 hours", "Last 7 days". */
  function windowText(w) {
    const name = w && typeof w.name === 'string' ? w.name : state.window;
    let m;
    if (name === 'all') return 'All time';
    if ((m = /^(\d+)h$/.exec(name))) return +m[1] === 1 ? 'Last hour' : 'Last ' + m[1] + ' hours';
    if ((m = /^(\d+)d$/.exec(name))) return +m[1] === 1 ? 'Last day' : 'Last ' + m[1] + ' days';
    if (w && isNum(w.since_ms) && isNum(w.until_ms)) {
      return dtRange.format(new Date(w.since_ms)) + ' – ' + dtRange.format(new Date(w.until_ms));
    }
    return String(name);
  }

  function windowRange(w) {
    if (!w || w.name === 'all' || !isNum(w.since_ms) || !isNum(w.until_ms)) return '';
    return dtRange.format(new Date(w.since_ms)) + ' – ' + dtRange.format(new Date(w.until_ms));
  }

  /* Days of trend history for a window: 7 for anything up to a week,
   * otherwise the window's length in days. */
  function trendDays(win) {
    let m;
    if ((m = /^(\d+)d$/.exec(win))) return Math.min(Math.max(+m[1], 7), 3660);
    if (win === 'all') return 90;
    return 7;
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

  function targetEl(target, tag) {
    const t = target === null || target === undefined ? '' : String(target);
    const e = el(tag || 'span', 'tp-target', t || '–');
    if (t) e.setAttribute('title', t);
    return e;
  }

  function toolBadge(tool, color) {
    const b = el('span', 'tp-tool');
    if (color) {
      const sw = el('span', 'tp-swatch');
      sw.style.backgroundColor = color;
      b.appendChild(sw);
    }
    b.appendChild(document.createTextNode(String(tool === null || tool === undefined ? '?' : tool)));
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

  /* ---- colours -------------------------------------------------------- */

  /* n well separated colours: hues a golden angle apart, so neighbours
   * differ and there is no cycle however many tools there are. */
  function palette(n) {
    const dark = currentTheme() === 'dark';
    const out = [];
    for (let i = 0; i < n; i++) {
      const hue = (212 + i * 137.508) % 360;
      const sat = 70 - (Math.floor(i / 8) % 3) * 12;
      const light = (dark ? 62 : 52) + (i % 2 ? 0 : -4);
      out.push('hsl(' + hue.toFixed(1) + ', ' + sat + '%, ' + light + '%)');
    }
    return out;
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
      p95: dark ? '#fb923c' : '#ea580c',
      bars: dark ? 'rgba(148,163,184,0.25)' : 'rgba(100,116,139,0.18)',
      card: cssVar('--tp-card-bg') || (dark ? '#171d25' : '#ffffff'),
    };
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

  /* ---- panels --------------------------------------------------------- */

  function renderKpis(s) {
    const wt = windowText(s.window);
    setKpi('kpi-total', s.total_operations, fmtInt(s.total_operations));
    $('kpi-total-caption').textContent =
      wt + (s.total_operations > 0 ? ' · ' + fmtPct(s.success_rate) + ' succeeded' : '');
    setKpi('kpi-avg', s.avg_duration_ms, fmtDur(s.avg_duration_ms));
    $('kpi-avg-caption').textContent =
      wt + (s.timed_operations > 0 ? ' · p50 ' + fmtDur(s.median_duration_ms) + ' · p95 ' +
        fmtDur(s.p95_duration_ms) : '');
    setKpi('kpi-slow', s.slow_operations_count, fmtInt(s.slow_operations_count));
    $('kpi-slow').classList.toggle('tp-warn', s.slow_operations_count > 0);
    $('kpi-slow-caption').textContent =
      wt + (s.critical_operations_count > 0 ? ' · ' + fmtInt(s.critical_operations_count) + ' critical' : '');
    setKpi('kpi-opt', s.optimization_rate, fmtPct(s.optimization_rate));
    $('kpi-opt-caption').textContent = wt + ' · calls using an optimization';
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

  function toolColors(s) {
    const names = Object.keys(s && s.tools_breakdown ? s.tools_breakdown : {});
    const cols = palette(names.length);
    const map = new Map();
    names.forEach((n, i) => map.set(n, cols[i]));
    return map;
  }

  const MAX_SLICES = 12;

  function renderToolsChart(s) {
    if (typeof Chart === 'undefined') return;
    const entries = Object.entries(s.tools_breakdown || {}).sort((a, b) => b[1] - a[1]);
    let labels = entries.map((e) => e[0]);
    let values = entries.map((e) => e[1]);
    let colors = palette(labels.length);
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
                  return ' ' + fmtInt(v) + ' calls (' + fmtPct(sum ? (100 * v) / sum : 0) + ')';
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

  function renderTrend(t) {
    if (typeof Chart === 'undefined') return;
    const labels = (t.labels || []).map((l) => {
      const d = parseDay(l);
      return d ? dayLabel.format(d) : String(l);
    });
    const zeros = (a) => labels.map((_, i) => (a && isNum(a[i]) ? a[i] : 0));
    const th = chartTheme();
    $('trend-caption').textContent = 'per local day · last ' + labels.length + ' days' +
      (state.tool ? ' · ' + state.tool : '');
    let ch = state.charts.trend;
    if (!ch) {
      ch = state.charts.trend = new Chart($('trend-chart'), {
        type: 'line',
        data: { labels: [], datasets: [] },
        options: {
          responsive: true,
          maintainAspectRatio: false,
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
                  const raw = items.length ? state.last.trends.labels[items[0].dataIndex] : '';
                  const d = parseDay(raw);
                  return d ? dayLabelLong.format(d) : String(raw);
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
    const pr = labels.length > 14 ? 0 : 3;
    ch.data.labels = labels;
    ch.data.datasets = [
      {
        type: 'line', label: 'Average', data: zeros(t.avg_durations), borderColor: th.avg,
        backgroundColor: th.avgFill, fill: true, cubicInterpolationMode: 'monotone', pointRadius: pr,
        pointHoverRadius: 4, borderWidth: 2,
        yAxisID: 'y', order: 1,
      },
      {
        type: 'line', label: 'p95', data: zeros(t.p95_durations), borderColor: th.p95,
        backgroundColor: th.p95, borderDash: [6, 4], fill: false, cubicInterpolationMode: 'monotone',
        pointRadius: pr ? 2 : 0, pointHoverRadius: 4,
        borderWidth: 2, yAxisID: 'y', order: 2,
      },
      {
        type: 'bar', label: 'Calls', data: zeros(t.operation_counts), backgroundColor: th.bars,
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

  function sortTools(rows) {
    const { key, dir } = state.sort;
    const sign = dir === 'asc' ? 1 : -1;
    return rows.slice().sort((a, b) => {
      const x = a[key], y = b[key];
      let c;
      if (key === 'tool') c = String(x).localeCompare(String(y));
      else c = (isNum(x) ? x : -Infinity) - (isNum(y) ? y : -Infinity);
      if (c === 0 && key !== 'tool') c = -String(a.tool).localeCompare(String(b.tool)) * sign;
      return c * sign;
    });
  }

  function renderLatency(s) {
    const tbody = $('latency-table').tBodies[0];
    clear(tbody);
    const rows = Array.isArray(s.tools) ? s.tools : [];
    $('latency-caption').textContent = windowText(s.window) + (s.percentile_method === 'sketch'
      ? ' · percentiles estimated (±1%)' : '');
    for (const th of $('latency-table').tHead.rows[0].cells) {
      const k = th.getAttribute('data-key');
      th.setAttribute('aria-sort',
        k === state.sort.key ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    if (!rows.length) {
      emptyRow(tbody, 7, 'No operations in this window');
      return;
    }
    const colors = toolColors(s);
    for (const r of sortTools(rows)) {
      const tr = el('tr');
      const c0 = el('td');
      c0.appendChild(toolBadge(r.tool, colors.get(r.tool)));
      tr.appendChild(c0);
      tr.appendChild(td(fmtInt(r.count), 'text-end'));
      tr.appendChild(td(fmtDur(r.p50_ms), 'text-end'));
      tr.appendChild(td(fmtDur(r.p95_ms), 'text-end' + (r.p95_ms > SLOW_MS ? ' tp-dur-slow' : '')));
      tr.appendChild(td(fmtDur(r.p99_ms), 'text-end' + (r.p99_ms > SLOW_MS ? ' tp-dur-slow' : '')));
      tr.appendChild(td(fmtDur(r.total_ms), 'text-end'));
      const f = td(fmtPct(r.failure_rate) + (r.failed ? ' (' + fmtInt(r.failed) + ')' : ''),
        'text-end' + (r.failure_rate > 0 ? ' text-danger-emphasis' : ' text-body-secondary'));
      tr.appendChild(f);
      tbody.appendChild(tr);
    }
  }

  function renderHotspots(list) {
    const tbody = $('hotspots-table').tBodies[0];
    clear(tbody);
    if (!Array.isArray(list) || !list.length) {
      emptyRow(tbody, 6, 'No hotspots in this window');
      return;
    }
    for (const h of list) {
      const tr = el('tr');
      const c0 = el('td');
      c0.appendChild(toolBadge(h.tool));
      tr.appendChild(c0);
      const c1 = el('td');
      c1.appendChild(targetEl(h.target));
      tr.appendChild(c1);
      tr.appendChild(td(fmtInt(h.count) + (h.failed ? ' (' + fmtInt(h.failed) + ' failed)' : ''), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(h.avg_ms), 'text-end text-nowrap'));
      tr.appendChild(td(fmtDur(h.total_ms), 'text-end text-nowrap'));
      const c5 = el('td');
      const bar = el('div', 'tp-bar');
      const fill = el('span');
      fill.style.width = Math.max(0, Math.min(100, isNum(h.share) ? h.share : 0)).toFixed(1) + '%';
      bar.appendChild(fill);
      c5.appendChild(bar);
      c5.appendChild(el('div', 'tp-share-text', fmtPct(h.share)));
      tr.appendChild(c5);
      tbody.appendChild(tr);
    }
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
        li.appendChild(targetEl(op.target));
        const d = opDate(op);
        if (d) li.appendChild(el('span', 'text-body-secondary small text-nowrap', dtShort.format(d)));
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
    $('recs-caption').textContent = recs.length ? recs.length + ' found · ' + windowText(state.lastWindow) : '';
    if (!recs.length) {
      box.appendChild(el('p', 'tp-empty-msg', 'No recommendations at this time. Things look good.'));
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
          const t = el('span', 'font-monospace tp-iso', e.target || '');
          if (e.target) li.setAttribute('title', String(e.target));
          li.appendChild(t);
          const bits = [];
          if (isNum(e.count) && e.count > 1) bits.push(fmtInt(e.count) + '×');
          if (isNum(e.duration_ms)) bits.push(fmtDur(e.duration_ms));
          if (bits.length) li.appendChild(el('span', 'text-body-secondary', ' — ' + bits.join(', ')));
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

  function renderSlow(resp) {
    const tbody = $('slow-table').tBodies[0];
    clear(tbody);
    const ops = Array.isArray(resp.data) ? resp.data : [];
    const n = isNum(resp.count) ? resp.count : ops.length;
    $('slow-caption').textContent = '≥ ' + fmtDur(SLOW_MS) + ' · ' + (n ? 'newest ' + fmtInt(ops.length) + ' · ' : '') +
      windowText(state.lastWindow);
    if (!ops.length) {
      emptyRow(tbody, 6, 'No slow operations in this window');
      return;
    }
    for (const op of ops) {
      const tr = el('tr');
      const c0 = el('td');
      c0.appendChild(toolBadge(op.tool));
      tr.appendChild(c0);
      const c1 = el('td');
      c1.appendChild(targetEl(op.target));
      tr.appendChild(c1);
      tr.appendChild(td(fmtDur(op.duration_ms), 'text-end text-nowrap tp-dur-slow'));
      const d = opDate(op);
      const tc = td(d ? dtShort.format(d) : '–', 'text-nowrap');
      if (op.timestamp) tc.setAttribute('title', String(op.timestamp));
      tr.appendChild(tc);
      const c4 = el('td');
      const st = el('span', 'tp-status' + (op.success === false ? ' tp-failed' : ''),
        op.success === false ? 'failed' : 'ok');
      if (op.success === false && op.error) st.setAttribute('title', String(op.error));
      c4.appendChild(st);
      tr.appendChild(c4);
      const c5 = el('td');
      c5.appendChild(op.optimization_applied
        ? el('span', 'badge bg-success-subtle text-success-emphasis', 'Optimized')
        : el('span', 'badge bg-secondary-subtle text-secondary-emphasis', 'Not optimized'));
      tr.appendChild(c5);
      tbody.appendChild(tr);
    }
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
        const o = el('option', null, n);
        o.value = n;
        sel.appendChild(o);
      }
    }
    sel.value = state.tool;
  }

  /* The person and machine filters: everyone the team server knows. */
  function renderTeamFilters(members) {
    state.members = Array.isArray(members) ? members : [];
    $('team-filters').hidden = false;
    const fill = (sel, first, values, current) => {
      const want = [''].concat(values);
      if (current && !want.includes(current)) want.push(current);
      const have = Array.from(sel.options, (o) => o.value);
      if (want.length !== have.length || want.some((v, i) => v !== have[i])) {
        clear(sel);
        for (const v of want) {
          const o = el('option', null, v === '' ? first : v);
          o.value = v;
          sel.appendChild(o);
        }
      }
      sel.value = current;
    };
    const people = state.members.map((m) => String(m.person));
    const hosts = [];
    for (const m of state.members) {
      if (state.person && m.person !== state.person) continue;
      for (const h of Array.isArray(m.hosts) ? m.hosts : []) if (!hosts.includes(h)) hosts.push(String(h));
    }
    hosts.sort();
    fill($('person-filter'), 'Everyone', people, state.person);
    fill($('host-filter'), 'All machines', hosts, state.host);
  }

  function renderTeam(t) {
    $('team-section').hidden = false;
    const people = $('team-people-table').tBodies[0];
    clear(people);
    const list = Array.isArray(t.people) ? t.people : [];
    if (!list.length) emptyRow(people, 4, 'No calls in this window.');
    for (const p of list) {
      const tr = el('tr');
      const name = td(p.person);
      const hosts = Array.isArray(p.hosts) ? p.hosts.join(', ') : '';
      name.setAttribute('title', hosts);
      tr.appendChild(name);
      tr.appendChild(td(fmtInt(p.calls), 'text-end'));
      tr.appendChild(td(fmtInt(p.calls_asked), 'text-end'));
      tr.appendChild(td(fmtDur(p.approval_wait_ms), 'text-end'));
      people.appendChild(tr);
    }
    const mcp = $('team-mcp-table').tBodies[0];
    clear(mcp);
    const servers = Array.isArray(t.mcp_servers) ? t.mcp_servers : [];
    if (!servers.length) emptyRow(mcp, 4, 'No MCP calls in this window.');
    for (const m of servers) {
      const tr = el('tr');
      tr.appendChild(td(m.server));
      tr.appendChild(td(fmtInt(m.people), 'text-end'));
      tr.appendChild(td(fmtInt(m.calls), 'text-end'));
      tr.appendChild(td(fmtDur(m.p95_ms), 'text-end'));
      mcp.appendChild(tr);
    }
    const cmds = $('team-commands-table').tBodies[0];
    clear(cmds);
    const commands = Array.isArray(t.commands) ? t.commands : [];
    if (!commands.length) emptyRow(cmds, 4, 'No shell commands in this window.');
    for (const c of commands) {
      const tr = el('tr');
      const cell = el('td');
      cell.appendChild(targetEl(c.command));
      tr.appendChild(cell);
      tr.appendChild(td(fmtInt(c.people), 'text-end'));
      tr.appendChild(td(fmtDur(c.avg_ms), 'text-end'));
      tr.appendChild(td(fmtDur(c.total_ms), 'text-end'));
      cmds.appendChild(tr);
    }
  }

  function renderEmptyState(stats) {
    const empty = stats.total_operations === 0;
    const storeEmpty = empty && Array.isArray(state.knownTools) && state.knownTools.length === 0;
    $('empty-state').hidden = !empty;
    document.body.classList.toggle('tp-store-empty', storeEmpty);
    if (!empty) return;
    if (storeEmpty || state.knownTools === null) {
      $('empty-title').textContent = 'No tool calls recorded yet';
      $('empty-lead').textContent = 'toolprof measures the tool calls of Claude Code. Get data in with any of ' +
        'these (they can be combined; the same call is stored once):';
    } else {
      $('empty-title').textContent = 'No operations in this window';
      $('empty-lead').textContent = 'Nothing was recorded in the ' + windowText(stats.window).toLowerCase() +
        (state.tool ? ' for ' + state.tool : '') + '. Pick a longer window or another tool above, ' +
        'or collect more data:';
    }
  }

  /* ---- refresh -------------------------------------------------------- */

  async function refresh() {
    if (state.controller) state.controller.abort();
    const ctl = new AbortController();
    state.controller = ctl;
    const seq = ++state.seq;
    clearTimeout(state.timer);
    state.pending = false;
    $('refresh-btn').disabled = true;

    const f = { window: state.window, tool: state.tool, person: state.person, host: state.host };
    const sig = ctl.signal;
    const jobs = [
      ['stats', api('/api/performance/stats', f, sig)],
      ['tools', api('/api/performance/tools', {}, sig)],
      ['trends', api('/api/performance/trends', {
        days: trendDays(state.window), tool: state.tool, person: state.person, host: state.host,
      }, sig)],
      ['slow', api('/api/performance/slow-operations', Object.assign({ threshold: SLOW_MS, limit: 50 }, f), sig)],
      ['recs', api('/api/performance/recommendations', f, sig)],
      ['hotspots', api('/api/performance/hotspots', Object.assign({ limit: 10 }, f), sig)],
      ['bottlenecks', api('/api/performance/bottlenecks', Object.assign({ limit: 3 }, f), sig)],
    ];
    /* The team view answers on a team server only (400 elsewhere): asked
     * until the server says it is not one. */
    if (state.team !== false) {
      jobs.push(['team', api('/api/performance/team', { window: state.window, limit: 10 }, sig)]);
    }
    const settled = await Promise.allSettled(jobs.map((j) => j[1]));
    if (seq !== state.seq) return; /* a newer refresh superseded this one */
    state.controller = null;

    const got = {};
    const errors = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') got[jobs[i][0]] = r.value;
      else if (jobs[i][0] === 'team' && r.reason && r.reason.status === 400) state.team = false;
      else if (!(r.reason && r.reason.name === 'AbortError')) {
        const e = r.reason;
        errors.push(e instanceof ApiError ? e : new ApiError(jobs[i][0], 0, String(e && e.message || e)));
      }
    });

    /* A panel that throws while rendering must not stop the others, and
     * must not go unnoticed either. */
    const run = (name, fn) => {
      try {
        fn();
      } catch (e) {
        errors.push(new ApiError(name, 0, 'the page could not show this answer: ' + (e && e.message || e)));
      }
    };
    if (got.tools) {
      state.knownTools = Array.isArray(got.tools.data) ? got.tools.data : [];
      run('the tool list', () => renderToolFilter(got.tools.data));
    }
    if (got.stats) {
      const s = got.stats.data || {};
      state.last.stats = s;
      state.lastWindow = s.window;
      run('/api/performance/stats', () => {
        renderKpis(s);
        renderLatency(s);
        renderToolsChart(s);
        renderEmptyState(s);
      });
    }
    if (got.trends) {
      state.last.trends = got.trends.data || {};
      run('/api/performance/trends', () => renderTrend(state.last.trends));
    }
    if (got.slow) run('/api/performance/slow-operations', () => renderSlow(got.slow));
    if (got.recs) run('/api/performance/recommendations', () => renderRecommendations(got.recs.data));
    if (got.hotspots) run('/api/performance/hotspots', () => renderHotspots(got.hotspots.data));
    if (got.bottlenecks) run('/api/performance/bottlenecks', () => renderBottlenecks(got.bottlenecks.data));
    if (got.team) {
      state.team = true;
      run('/api/performance/team', () => {
        renderTeamFilters(got.team.data.members);
        renderTeam(got.team.data);
      });
    }
    if (typeof Chart === 'undefined') {
      errors.push(new ApiError('/vendor/chart.umd.js', 0, 'Chart.js did not load, so the charts are missing'));
    }

    showAlerts(errors);
    const now = new Date();
    /* A server that turned out not to be a team server had one job less. */
    const asked = jobs.filter((j) => !(j[0] === 'team' && state.team === false)).length;
    if (errors.length === asked) setStatus('error', 'Update failed at ' + clock(now));
    else if (errors.length) setStatus('error', 'Updated at ' + clock(now) + ' (with errors)');
    else setStatus('ok', 'Updated at ' + clock(now));
    if (errors.length < asked) state.lastOk = now.getTime();
    document.body.setAttribute('data-refreshed', String(seq));
    $('refresh-btn').disabled = false;
    schedule();
  }

  function schedule() {
    clearTimeout(state.timer);
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

  function readUrl() {
    const p = new URLSearchParams(location.search);
    const w = p.get('window');
    if (w && /^(all|\d+[hd])$/.test(w)) state.window = w;
    state.tool = p.get('tool') || '';
    state.person = p.get('person') || '';
    state.host = p.get('host') || '';
    const tok = p.get('token');
    if (tok) {
      state.token = tok;
      try {
        sessionStorage.setItem(TOKEN_KEY, tok);
      } catch (e) { /* private mode: the token lives in memory only */ }
      p.delete('token');
      writeUrl(p);
    } else {
      try {
        state.token = sessionStorage.getItem(TOKEN_KEY);
      } catch (e) {
        state.token = null;
      }
    }
  }

  function writeUrl(p) {
    const params = p || new URLSearchParams(location.search);
    if (!p) {
      if (state.window === DEFAULT_WINDOW) params.delete('window');
      else params.set('window', state.window);
      if (state.tool) params.set('tool', state.tool);
      else params.delete('tool');
      if (state.person) params.set('person', state.person);
      else params.delete('person');
      if (state.host) params.set('host', state.host);
      else params.delete('host');
    }
    const qs = params.toString();
    history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '') + location.hash);
  }

  function syncWindowButtons() {
    for (const b of document.querySelectorAll('#window-group [data-window]')) {
      const on = b.getAttribute('data-window') === state.window;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
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
    if (state.last.stats) renderToolsChart(state.last.stats);
    if (state.last.stats) renderLatency(state.last.stats);
    if (state.last.trends) renderTrend(state.last.trends);
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

  function init() {
    readUrl();
    syncWindowButtons();
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
        state.window = b.getAttribute('data-window');
        syncWindowButtons();
        writeUrl();
        refresh();
      });
    }
    $('tool-filter').addEventListener('change', (e) => {
      state.tool = e.target.value;
      writeUrl();
      refresh();
    });
    $('person-filter').addEventListener('change', (e) => {
      state.person = e.target.value;
      state.host = '';
      renderTeamFilters(state.members);
      writeUrl();
      refresh();
    });
    $('host-filter').addEventListener('change', (e) => {
      state.host = e.target.value;
      writeUrl();
      refresh();
    });
    $('refresh-btn').addEventListener('click', () => refresh());
    $('theme-btn').addEventListener('click', () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark', true));
    if (darkQuery && darkQuery.addEventListener) {
      darkQuery.addEventListener('change', () => {
        if (!storedTheme()) setTheme(systemTheme(), false);
      });
    }
    for (const th of $('latency-table').tHead.rows[0].cells) {
      const btn = th.querySelector('button');
      if (!btn) continue;
      btn.addEventListener('click', () => {
        const k = th.getAttribute('data-key');
        if (state.sort.key === k) state.sort.dir = state.sort.dir === 'asc' ? 'desc' : 'asc';
        else state.sort = { key: k, dir: k === 'tool' ? 'asc' : 'desc' };
        if (state.last.stats) renderLatency(state.last.stats);
      });
    }
    for (const b of document.querySelectorAll('.tp-copy')) {
      b.addEventListener('click', () => copyText(b.parentElement.querySelector('code').textContent, b));
    }
    document.addEventListener('visibilitychange', onVisibility);
    refresh();
  }

  /* Exposed for the browser test and for debugging in the console. */
  window.toolprof = { state, refresh };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
