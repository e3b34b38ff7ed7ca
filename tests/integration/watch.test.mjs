// watch.test.mjs - `toolprof serve` imports transcripts as they are written
// (the watcher follows $CLAUDE_CONFIG_DIR/projects).

import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { dataFile, eventually, get, startServer, tempDir } from './lib.mjs';

// Hand-made transcripts of tests/data: a 2.1.39 sub-agent's file (Read,
// Grep) and a 1.0.98 session (15 calls).
const FIRST = dataFile('legacy/claude-2.1/projects/-home-dev-shop/5e55a000-2139-4000-8000-000000002139/subagents/agent-a1b2c3d.jsonl');
const SECOND = dataFile('legacy/claude-1.0/projects/-home-dev-shop/0a1b2c3d-1000-4000-8000-000000000098.jsonl');

async function tools(srv) {
  const r = await get(srv, '/api/performance/tools');
  return r.json.data;
}

describe('transcript watcher', () => {
  let srv;
  let config;
  let project;
  before(async () => {
    config = tempDir('claude');
    project = path.join(config, 'projects', '-tmp-proj');
    mkdirSync(project, { recursive: true });
    // One transcript exists before the start: imported at once.
    copyFileSync(FIRST, path.join(project, '11111111-0000-0000-0000-000000000001.jsonl'));
    srv = await startServer({ watch: true, env: { CLAUDE_CONFIG_DIR: config } });
  });
  after(async () => {
    const { code } = await srv.stop();
    assert.equal(code, 0);
    rmSync(config, { recursive: true, force: true });
  });

  test('a transcript present at start is imported', async () => {
    const t = await eventually(async () => {
      const names = await tools(srv);
      return names.includes('Grep') ? names : null;
    }, 5000);
    assert.deepEqual(t, ['Grep', 'Read']);
  });

  test('a transcript written while serving shows up', async () => {
    const file = path.join(project, '11111111-0000-0000-0000-000000000002.jsonl');
    const lines = readFileSync(SECOND, 'utf8').split('\n');
    // Written in two parts, as an agent appends to it.
    appendFileSync(file, `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\n`);
    appendFileSync(file, lines.slice(Math.floor(lines.length / 2)).join('\n'));
    const res = await eventually(async () => {
      const r = await get(srv, '/api/performance/stats?window=all');
      return r.json.data.total_operations === 5 + 15 ? r.json.data : null;
    }, 5000);
    assert.ok(res, 'the new transcript was not imported (all 15 calls) within 5 s');
  });
});
