// lib.mjs - helpers of the reliability tests (tests/reliability/*.test.mjs).
//
// The server and process helpers (startServer, run, cli, get, post,
// rawRequest ...) are the integration tests' own; this file adds what the reliability tests need on
// top: real-shaped Claude Code payloads and transcripts with unique
// tool_use_ids, the store's contents read back (export, sqlite3), the
// database's consistency checks, and a place to record the figures that
// docs/reliability.md quotes.
//
// Sizes: RELIABILITY_FULL=1 (set by tests/stress/run.sh) selects the
// full-length runs; each size can also be set alone (see scale()).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { cli, ROOT } from '../integration/lib.mjs';

export * from '../integration/lib.mjs';

export const FULL = process.env.RELIABILITY_FULL === '1';

// A size: $NAME if set, else the full or the short value.
export function scale(name, short, full) {
  const v = process.env[name];
  if (v !== undefined && v !== '') return Number(v);
  return FULL ? full : short;
}

// ---- figures ------------------------------------------------------------------

// $RELIABILITY_FIGURES_DIR: elsewhere (run_asan.sh's runs at cut sizes must
// not replace the figures the docs quote).
export const FIGURES_DIR = process.env.RELIABILITY_FIGURES_DIR || path.join(ROOT, 'build', 'reliability');

// Merge {key: value} into build/reliability/figures.json (the numbers
// docs/reliability.md quotes).
export function recordFigures(section, values) {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const file = path.join(FIGURES_DIR, 'figures.json');
  let all = {};
  try { all = JSON.parse(readFileSync(file, 'utf8')); } catch { all = {}; }
  all[section] = { ...values, full: FULL, date: new Date().toISOString(), nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model };
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
}

// A table of cases kept in build/reliability/FILE (docs/reliability.md's
// tables come from it): record() adds a case's outcome, and tcase() is
// test() that marks the cases its body recorded as passed when it passes.
export function caseTable(file, test) {
  const cases = [];
  const flush = () => {
    mkdirSync(FIGURES_DIR, { recursive: true });
    writeFileSync(path.join(FIGURES_DIR, file), JSON.stringify(cases, null, 2) + '\n');
  };
  const record = (r) => { cases.push({ ...r, ok: false }); flush(); };
  const tcase = (name, opts, fn) => {
    if (typeof opts === 'function') { fn = opts; opts = {}; }
    test(name, opts, async (t) => {
      const start = cases.length;
      await fn(t);
      for (let i = start; i < cases.length; i++) cases[i].ok = true;
      flush();
    });
  };
  return { record, tcase };
}

// ---- ids and payloads ------------------------------------------------------

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(n, width) {
  let s = '';
  for (let i = 0; i < width; i++) { s = B62[n % 62] + s; n = Math.floor(n / 62); }
  return s;
}

function randomB62(n) {
  const b = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += B62[b[i] % 62];
  return s;
}

// A Claude Code tool_use_id, "toolu_01" + 22 base-62 characters, unique per
// (run, stream, index): 12 random characters, then the stream and index.
export function idMaker(stream = 0) {
  const run = randomB62(12);
  return (i) => 'toolu_01' + run + base62(stream, 4) + base62(i, 6);
}

export function uuid() {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const words = ['alpha', 'beta', 'gamma', 'delta', 'src', 'lib', 'tests', 'util', 'main', 'server'];
const pick = (a, i) => a[i % a.length];

// The tool part of a PostToolUse payload as Claude Code sends it (shapes
// as in the payloads recorded in tests/data/recorded/hooks.jsonl and the
// older ones in tests/data/legacy/hooks/, see tests/data/MANIFEST.md).
function toolShape(i, cwd) {
  const file = `${cwd}/${pick(words, i)}/${pick(words, i >> 3)}_${i % 97}.py`;
  const content = `import os\n# line\n`.repeat(1 + (i % 40));
  switch (i % 10) {
    case 0: case 1:
      return {
        tool_name: 'Read',
        tool_input: i % 3 ? { file_path: file } : { file_path: file, offset: 10, limit: 200 },
        tool_response: { type: 'text', file: { filePath: file, content, numLines: 2 + 2 * (i % 40),
          startLine: 1, totalLines: 2 + 2 * (i % 40) } },
      };
    case 2:
      return {
        tool_name: 'Bash',
        tool_input: { command: `npm test -- --grep ${pick(words, i)} 2>&1 | tail -20`, description: 'Run the tests' },
        tool_response: { stdout: 'ok '.repeat(20 + (i % 50)), stderr: '', interrupted: false, isImage: false,
          noOutputExpected: false },
      };
    case 3:
      return {
        tool_name: 'Edit',
        tool_input: { file_path: file, old_string: 'import os', new_string: 'import os, sys', replace_all: false },
        tool_response: { filePath: file, oldString: 'import os', newString: 'import os, sys', originalFile: content,
          structuredPatch: [{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: ['-import os', '+import os, sys'] }],
          userModified: false, replaceAll: false },
      };
    case 4:
      return {
        tool_name: 'Grep',
        tool_input: { pattern: `def ${pick(words, i)}`, path: cwd, output_mode: 'files_with_matches', head_limit: 20 },
        tool_response: { mode: 'files_with_matches', filenames: [file, `${cwd}/x.py`], numFiles: 2 },
      };
    case 5:
      return {
        tool_name: 'Glob',
        tool_input: { pattern: '**/*.py', path: cwd },
        tool_response: { filenames: [file], durationMs: 3 + (i % 30), numFiles: 1, truncated: false },
      };
    case 6:
      return {
        tool_name: 'Write',
        tool_input: { file_path: file, content },
        tool_response: { type: 'create', filePath: file, content, structuredPatch: [], originalFile: null },
      };
    case 7:
      return {
        tool_name: 'WebFetch',
        tool_input: { url: `https://example.com/docs/${i}`, prompt: 'Summarize' },
        tool_response: { bytes: 5000 + i, code: 200, codeText: 'OK', result: 'text', durationMs: 300, url: `https://example.com/docs/${i}` },
      };
    case 8:
      return {
        tool_name: 'mcp__memory__search_nodes',
        tool_input: { query: pick(words, i) },
        tool_response: [{ type: 'text', text: '{"entities": []}' }],
      };
    default:
      return {
        tool_name: 'Task',
        tool_input: { description: 'Explore the code', prompt: 'Find the entry point', subagent_type: 'Explore' },
        tool_response: { status: 'completed', content: [{ type: 'text', text: 'Found it.' }], totalDurationMs: 9000,
          totalTokens: 1200, totalToolUseCount: 4 },
      };
  }
}

// A PostToolUse (or, every 13th, PostToolUseFailure) payload. Returns
// {payload, id, duration_ms, tool}.
export function hookPayload(i, nextId, opts = {}) {
  const cwd = opts.cwd || '/home/dev/project';
  const session = opts.session || '3b47cc69-5b2f-4f61-9d2e-0c8b3c1f7e21';
  const id = nextId(i);
  const duration = 1 + ((i * 7919) % 9000) + (i % 4) * 0.25;
  const shape = toolShape(i, cwd);
  const base = {
    session_id: session,
    transcript_path: `/home/dev/.claude/projects/-home-dev-project/${session}.jsonl`,
    cwd,
    prompt_id: 'a1b2c3d4-0000-4000-8000-000000000001',
    permission_mode: 'default',
    hook_event_name: 'PostToolUse',
    ...shape,
    tool_use_id: id,
    duration_ms: duration,
  };
  if (i % 13 === 12) {
    base.hook_event_name = 'PostToolUseFailure';
    delete base.tool_response;
    base.tool_name = 'Bash';
    base.tool_input = { command: `exit ${i % 5 + 1}`, description: 'fail' };
    base.error = `Exit code ${i % 5 + 1}\nboom`;
    base.is_interrupt = false;
  }
  return { payload: base, id, duration_ms: duration, tool: base.tool_name };
}

// ---- transcripts --------------------------------------------------------------

// One Claude Code transcript with n tool calls (an assistant tool_use line
// and a user tool_result line each, plus bookkeeping lines), its calls
// starting at startMs, 2 s apart. Returns {text, ids}.
export function transcript(n, nextId, startMs, opts = {}) {
  const session = opts.session || uuid();
  const cwd = opts.cwd || '/home/dev/project';
  const lines = [];
  const ids = [];
  let parent = null;
  const common = () => ({ parentUuid: parent, isSidechain: false, userType: 'external', cwd, sessionId: session,
    version: '2.1.38', gitBranch: 'main' });
  for (let i = 0; i < n; i++) {
    const id = nextId(i);
    ids.push(id);
    const shape = toolShape(i, cwd);
    const t0 = startMs + i * 2000;
    const au = uuid();
    lines.push(JSON.stringify({ ...common(), message: { model: 'claude-opus-4-6', id: 'msg_' + id.slice(6), type: 'message',
      role: 'assistant', content: [{ type: 'tool_use', id, name: shape.tool_name, input: shape.tool_input }],
      stop_reason: null, usage: { input_tokens: 3, output_tokens: 13 } }, type: 'assistant', uuid: au,
      timestamp: new Date(t0).toISOString() }));
    parent = au;
    const uu = uuid();
    lines.push(JSON.stringify({ ...common(), type: 'user', message: { role: 'user', content: [{ type: 'tool_result',
      content: 'ok', is_error: false, tool_use_id: id }] }, uuid: uu, timestamp: new Date(t0 + 50 + (i % 900)).toISOString(),
    toolUseResult: shape.tool_response, sourceToolAssistantUUID: au }));
    parent = uu;
    if (i % 50 === 0) lines.push(JSON.stringify({ type: 'queue-operation', operation: 'enqueue', timestamp: new Date(t0).toISOString(), sessionId: session }));
  }
  return { text: lines.join('\n') + '\n', ids };
}

// ---- reading the store back ---------------------------------------------------------

// Every stored operation, through `toolprof export --format jsonl --out -`
// (which drains the spool first). Returns an array of objects.
export function exportOps(dataDir) {
  const r = cli(['--data-dir', dataDir, 'export', '--format', 'jsonl', '--out', '-'],
    { maxBuffer: 1 << 30, timeout: 120000 });
  if (r.status !== 0) throw new Error(`export failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-batch', db, sql], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`sqlite3 ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

// PRAGMA integrity_check, and the invariant that the hourly rollups
// (all-projects rows) count exactly the rows stored: nothing half-written.
// Returns {integrity, rows, rolled}.
export function checkDb(dataDir) {
  const db = path.join(dataDir, 'toolprof.db');
  if (!existsSync(db)) return { integrity: 'no database', rows: 0, rolled: 0 };
  const integrity = sqlite(db, 'PRAGMA integrity_check;');
  const rows = Number(sqlite(db, 'SELECT count(*) FROM ops;'));
  const rolled = Number(sqlite(db, 'SELECT coalesce(sum(n),0) FROM rollups WHERE lvl=0 AND project=0;'));
  return { integrity, rows, rolled };
}

// Count of each tool_use_id in a list of exported operations.
export function idCounts(ops) {
  const m = new Map();
  for (const o of ops) m.set(o.tool_use_id, (m.get(o.tool_use_id) || 0) + 1);
  return m;
}
