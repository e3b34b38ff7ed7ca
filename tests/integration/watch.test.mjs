// watch.test.mjs - `toolprof serve` imports transcripts as they are written
// (the watcher follows $CLAUDE_CONFIG_DIR/projects).

import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { idMaker, transcript, uuid } from '../reliability/lib.mjs';
import { dataFile, eventually, get, startServer, tempDir } from './lib.mjs';

// A hand-made transcript of tests/data: a 2.1.39 sub-agent's file (Read,
// Grep).
const FIRST = dataFile('legacy/claude-2.1/projects/-home-dev-shop/5e55a000-2139-4000-8000-000000002139/subagents/agent-a1b2c3d.jsonl');

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
    await srv.stop();
    rmSync(config, { recursive: true, force: true });
  });

  test('a transcript present at start is imported', async () => {
    const t = await eventually(async () => {
      const names = await tools(srv);
      return names.includes('Grep') ? names : null;
    }, 5000);
    assert.deepEqual(t, ['Grep', 'Read']);
  });

  // The tool_use_ids stored for a session, sorted, with their durations
  // (the session's calls: a call that may have waited for an approval has
  // no execution time, and so is in no latency list).
  async function stored(session) {
    const r = await get(srv, `/api/performance/sessions/${session}`);
    if (r.status === 404) return [];
    assert.equal(r.status, 200, r.body);
    return r.json.data.calls.map((o) => [o.tool_use_id, o.duration_ms]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  test('a transcript written in two halves while serving: every call once', async () => {
    // 40 calls (a tool_use line and a tool_result line each). The first
    // half ends in the middle of call 20's tool_result line: its tool_use
    // is written, its result only in part.
    const session = uuid();
    const N = 40;
    const SPLIT = 20;
    const t = transcript(N, idMaker(1), Date.now() - 7200e3, { session });
    const file = path.join(project, `${session}.jsonl`);
    const lines = t.text.split('\n');
    const resultLine = lines.findIndex((l) => l.includes('"tool_result"') && l.includes(t.ids[SPLIT]));
    const cut = lines.slice(0, resultLine).join('\n').length + 1 + Math.floor(lines[resultLine].length / 2);
    // The independent count: calls 0..SPLIT-1 are complete in the first
    // half, all N once the rest is written. Call 20 is a Read, timed from
    // its tool_use to its tool_result line: 50 + 20 ms in transcript().
    const want = (n) => t.ids.slice(0, n).sort();

    appendFileSync(file, t.text.slice(0, cut));
    const first = await eventually(async () => {
      const ids = (await stored(session)).map((x) => x[0]);
      return ids.length >= SPLIT ? ids : null;
    }, 60000);
    assert.deepEqual(first, want(SPLIT), 'after the first half');

    appendFileSync(file, t.text.slice(cut));
    // Then two more transcripts, each written once its predecessor shows
    // up. The watcher is one thread that imports, in passes, every file
    // whose change is due (a debounce after it was last seen, watch.c): the
    // second half, seen before the first marker, is imported in the first
    // marker's pass or an earlier one, and the second marker's creation is
    // read only after that pass has ended. So once the second marker shows
    // up, the second half has been imported if the watcher saw it: no clock
    // decides when to look.
    for (let m = 0; m < 2; m++) {
      const mark = uuid();
      const mt = transcript(1, idMaker(10 + m), Date.now() - 3600e3, { session: mark });
      writeFileSync(path.join(project, `${mark}.jsonl`), mt.text);
      const seen = await eventually(async () => (await stored(mark)).length === 1, 60000);
      assert.ok(seen, `marker transcript ${m + 1} was not imported`);
    }
    const all = await stored(session);
    assert.deepEqual(all.map((x) => x[0]), want(N), 'after the second half: each call exactly once');
    assert.equal(all.find((x) => x[0] === t.ids[SPLIT])[1], 70, 'the call cut in two is paired across the halves');
  });
});
