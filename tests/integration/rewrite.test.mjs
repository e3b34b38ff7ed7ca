// rewrite.test.mjs - a transcript rewritten in place with other, longer
// content (cp over it keeps the inode, as rsync --inplace and restoring a
// backup do) is read again from its start, by `toolprof import` and by the
// watcher of `toolprof serve`: every call of both versions is stored, once,
// and no line is reported as malformed (issue 17, item 2: the import used
// to resume at the old offset, in the middle of the new content).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { BIN, eventually, get, sleep, startServer, tempDir } from './lib.mjs';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// n Claude Code tool calls (an assistant tool_use line and a user
// tool_result line each), with ids unique to this run. Lines of different
// lengths, so that the old offset falls inside a line of the new content.
function transcript(n, startMs) {
  const run = [...randomBytes(14)].map((b) => B62[b % 62]).join('');
  const session = randomBytes(16).toString('hex');
  const ids = [];
  const lines = [];
  for (let i = 0; i < n; i++) {
    const id = `toolu_01${run}${B62[Math.floor(i / 62) % 62]}${B62[i % 62]}`;
    ids.push(id);
    const t0 = startMs + i * 3000;
    lines.push(JSON.stringify({ parentUuid: null, isSidechain: false, type: 'assistant', uuid: `a-${run}-${i}`,
      timestamp: new Date(t0).toISOString(), sessionId: session, cwd: '/home/dev/p',
      message: { role: 'assistant', content: [{ type: 'tool_use', id, name: i % 3 ? 'Read' : 'Bash',
        input: i % 3 ? { file_path: `/home/dev/p/${'d/'.repeat(i % 7)}f${i}.py` } : { command: `ls ${'x'.repeat(i % 11)}` } }] } }));
    lines.push(JSON.stringify({ type: 'user', uuid: `u-${run}-${i}`, timestamp: new Date(t0 + 20 + i).toISOString(),
      sessionId: session, message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id,
        content: 'ok'.repeat(1 + (i % 5)), is_error: false }] } }));
  }
  return { text: lines.join('\n') + '\n', ids };
}

function cliRun(args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function storedIds(dataDir) {
  const r = cliRun(['--data-dir', dataDir, 'export', '--format', 'jsonl', '--out', '-']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).tool_use_id);
}

function assertExactly(got, want) {
  assert.equal(got.length, want.length, `stored ${got.length}, expected ${want.length}`);
  assert.equal(new Set(got).size, got.length, 'a call stored twice');
  assert.deepEqual([...got].sort(), [...want].sort());
}

// cp over the file, as the issue did: the inode must stay, else this would
// test a replaced file instead.
function cpOver(from, to) {
  const ino = statSync(to).ino;
  const r = spawnSync('cp', [from, to]);
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal(statSync(to).ino, ino, 'cp changed the inode');
}

describe('a transcript rewritten in place with longer content', () => {
  const dir = tempDir('rewrite');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const now = Date.now() - 3 * 86400e3;
  const a = transcript(30, now);
  const b = transcript(58, now + 3600e3);
  writeFileSync(path.join(dir, 'a.jsonl'), a.text);
  writeFileSync(path.join(dir, 'b.jsonl'), b.text);

  test('by toolprof import: 30 + 58 calls, none malformed', () => {
    const dataDir = path.join(dir, 'data-import');
    const file = path.join(dir, 's.jsonl');
    writeFileSync(file, a.text);
    let r = cliRun(['--data-dir', dataDir, 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^30 calls: 30 new, 0 merged, 0 already stored; 0 malformed lines, 0 rejected$/m);
    cpOver(path.join(dir, 'b.jsonl'), file);
    r = cliRun(['--data-dir', dataDir, 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^58 calls: 58 new, 0 merged, 0 already stored; 0 malformed lines, 0 rejected$/m);
    assert.equal(r.stderr, '', 'nothing reported');
    assertExactly(storedIds(dataDir), [...a.ids, ...b.ids]);
    // And then unchanged.
    r = cliRun(['--data-dir', dataDir, 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1 files \(0 read, 1 unchanged,/m);
    assert.match(r.stdout, /^0 calls: /m);
  });

  test('by the watcher of toolprof serve: 30 + 58 calls, none malformed', { timeout: 60000 }, async () => {
    const config = path.join(dir, 'claude');
    const project = path.join(config, 'projects', '-home-dev-p');
    mkdirSync(project, { recursive: true });
    const file = path.join(project, '0b7f1e2a-0000-4000-8000-000000000001.jsonl');
    const dataDir = path.join(dir, 'data-watch');
    writeFileSync(file, a.text);
    const srv = await startServer({ dataDir, watch: true, args: ['--verbose'], env: { CLAUDE_CONFIG_DIR: config } });
    const total = async () => (await get(srv, '/api/performance/stats?window=all')).json.data.total_operations;
    try {
      assert.equal(await eventually(async () => ((await total()) === 30 ? 30 : null), 15000), 30);
      cpOver(path.join(dir, 'b.jsonl'), file);
      assert.equal(await eventually(async () => ((await total()) >= 88 ? 88 : null), 15000), 88,
        `stored ${await total()} of 88`);
      // Past the watcher's debounce and a poll interval: nothing more comes.
      await sleep(2500);
      assert.equal(await total(), 88);
    } finally {
      const { code } = await srv.stop();
      assert.equal(code, 0, srv.stderr());
    }
    assert.doesNotMatch(srv.stderr(), /\.jsonl:\d+: /, 'a line was reported');
    assertExactly(storedIds(dataDir), [...a.ids, ...b.ids]);
  });
});
