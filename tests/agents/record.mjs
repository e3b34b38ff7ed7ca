// record.mjs - record tests/data/recorded/agents/ with the real clients:
// one scripted session of Codex CLI, Gemini CLI and OpenCode each, in two
// turns (the second resumes the first: its session files grow), against
// mock_llm.mjs, with their telemetry captured as posted (OTLP over HTTP,
// JSON). tests/data/MANIFEST.md says what is kept and what varies between
// two recordings.
//
//   node record.mjs [--out DIR] [--only codex,gemini,opencode]
//
// Everything runs under /tmp/toolprof-agents-fixtures/<agent>/{home,project},
// so that paths are the same in every recording.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BIN, codexConfig, geminiConfig, opencodeConfig, run, runCodex, runGemini, runOpencode } from './clients.mjs';
import { loadScript, startMock } from './mock_llm.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = '/tmp/toolprof-agents-fixtures';
const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const OUT = opt('--out', join(HERE, '../data/recorded/agents'));
const ONLY = opt('--only', 'codex,gemini,opencode').split(',');
const PROMPTS = ['[turn:1] Update the notes as scripted.', '[turn:2] Count the lines.'];

function files(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

function fresh(agent) {
  const base = join(ROOT, agent);
  rmSync(base, { recursive: true, force: true });
  const home = join(base, 'home'), project = join(base, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'notes.txt'), 'line one\nline two\n');
  return { base, home, project };
}

function must(r, what) {
  if (r.code !== 0) {
    console.error(`record: ${what} failed (exit ${r.code}${r.signal ? ' ' + r.signal : ''})\n${r.stderr.slice(-3000)}`);
    process.exit(1);
  }
  console.log(`record: ${what}: ${r.ms} ms`);
}

function version(bin, a = ['--version']) {
  return execFileSync(bin, a, { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } }).trim().split('\n').pop();
}

function saveOtlp(mock, dir) {
  mkdirSync(dir, { recursive: true });
  const index = [];
  mock.otlp.forEach((p, i) => {
    const signal = (p.path.match(/v1\/(logs|traces|metrics)/) || [null, 'root'])[1];
    const ext = /json/.test(p.headers['content-type'] || '') ? 'json' : 'bin';
    /* Metrics bodies are large (Codex posts its whole histogram set) and
     * only counted by the tests: their size is kept, not their bytes. */
    const name = signal === 'metrics' ? null : `${String(i + 1).padStart(2, '0')}-${signal}.${ext}`;
    if (name) writeFileSync(join(dir, name), p.body);
    index.push({ file: name, path: p.path, bytes: p.body.length, content_type: p.headers['content-type'], user_agent: p.headers['user-agent'] });
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return index.length;
}

const record = { recorded: new Date().toISOString().slice(0, 10), root: ROOT };

async function codex() {
  const { home, project } = fresh('codex');
  const script = loadScript(JSON.parse(readFileSync(join(HERE, 'scripts.json'), 'utf8')).codex, { PROJECT: project });
  const mock = await startMock({ codex: script });
  codexConfig(home, mock.url, { endpoint: mock.url, protocol: 'json' });
  must(await runCodex({ home, project, prompt: PROMPTS[0] }), 'codex turn 1');
  const [rollout] = files(join(home, '.codex/sessions')).filter((f) => /rollout-.*\.jsonl$/.test(f));
  const turn1 = statSync(rollout).size;
  must(await runCodex({ home, project, prompt: PROMPTS[1], resume: true }), 'codex turn 2');
  await new Promise((r) => setTimeout(r, 1500)); /* the last telemetry batch */
  await mock.close();
  const out = join(OUT, 'codex');
  rmSync(out, { recursive: true, force: true });
  const dest = join(out, relative(join(home, '.codex'), rollout));
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(rollout, dest);
  const posts = saveOtlp(mock, join(out, 'otlp'));
  record.codex = { version: version(BIN.codex), model: 'gpt-5.5', rollout: relative(out, dest), bytes_after_turn1: turn1, bytes: statSync(dest).size, otlp_posts: posts, calls: script.turns.map((t) => t.steps.map((s) => s.map((c) => ({ id: c.id, name: c.name })))) };
}

async function gemini() {
  const { home, project } = fresh('gemini');
  const script = loadScript(JSON.parse(readFileSync(join(HERE, 'scripts.json'), 'utf8')).gemini, { PROJECT: project });
  const mock = await startMock({ gemini: script });
  geminiConfig(home, { endpoint: mock.url, protocol: 'http' });
  must(await runGemini({ home, project, prompt: PROMPTS[0], mockUrl: mock.url }), 'gemini turn 1');
  const chats = () => files(join(home, '.gemini/tmp')).filter((f) => /\/chats\//.test(f));
  const [chat] = chats();
  const turn1 = statSync(chat).size;
  must(await runGemini({ home, project, prompt: PROMPTS[1], mockUrl: mock.url, resume: true }), 'gemini turn 2');
  await new Promise((r) => setTimeout(r, 1500));
  await mock.close();
  const out = join(OUT, 'gemini');
  rmSync(out, { recursive: true, force: true });
  const kept = [];
  for (const f of [...chats(), ...files(join(home, '.gemini/tmp')).filter((f) => f.endsWith('/.project_root'))]) {
    const dest = join(out, relative(join(home, '.gemini'), f));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f, dest);
    kept.push(relative(out, dest));
  }
  const posts = saveOtlp(mock, join(out, 'otlp'));
  record.gemini = { version: version(BIN.gemini), model: 'gemini-2.5-pro', files: kept, chat: relative(out, join(out, relative(join(home, '.gemini'), chat))), bytes_after_turn1: turn1, otlp_posts: posts };
}

async function opencode() {
  const { home, project } = fresh('opencode');
  execFileSync('git', ['init', '-q', project]);
  const script = loadScript(JSON.parse(readFileSync(join(HERE, 'scripts.json'), 'utf8')).opencode, { PROJECT: project });
  const mock = await startMock({ opencode: script });
  opencodeConfig(project, mock.url);
  must(await runOpencode({ home, project, prompt: PROMPTS[0] }), 'opencode turn 1');
  const db = join(home, '.local/share/opencode/opencode.db');
  const ses = execFileSync('sqlite3', [db, 'select id from session order by time_created limit 1'], { encoding: 'utf8' }).trim();
  must(await run(BIN.opencode, ['run', '--session', ses, PROMPTS[1]], { env: { PATH: process.env.PATH, HOME: home, TZ: 'UTC', XDG_DATA_HOME: join(home, '.local/share'), XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.local/state') }, cwd: project }), 'opencode turn 2');
  await mock.close();
  const out = join(OUT, 'opencode');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  /* The schema as OpenCode's migrations made it, and the rows of the
   * tables toolprof reads, as JSON: the unit test builds a database from
   * them (tests/unit/test_opencode.c). */
  const schema = execFileSync('sqlite3', [db, '.schema'], { encoding: 'utf8' });
  writeFileSync(join(out, 'schema.sql'), schema);
  const rows = {};
  for (const t of ['project', 'session', 'message', 'part'])
    rows[t] = JSON.parse(execFileSync('sqlite3', ['-json', db, `select * from ${t} order by rowid`], { encoding: 'utf8' }) || '[]');
  writeFileSync(join(out, 'rows.json'), JSON.stringify(rows, null, 1) + '\n');
  record.opencode = { version: version(BIN.opencode), session: ses, parts: rows.part.length, messages: rows.message.length };
}

const order = { codex, gemini, opencode };
for (const a of ONLY) await order[a]();
const recFile = join(OUT, 'record.json');
let prev = {};
try { prev = JSON.parse(readFileSync(recFile, 'utf8')); } catch {}
writeFileSync(recFile, JSON.stringify({ ...prev, ...record }, null, 2) + '\n');
console.log(`record: wrote ${OUT}`);
