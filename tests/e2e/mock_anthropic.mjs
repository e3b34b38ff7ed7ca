// mock_anthropic.mjs - a scripted stand-in for the Anthropic Messages API, on loopback.
//
// It drives the real Claude Code client through a fixed list of tool calls, so
// that the client really runs its tools, fires its hooks, writes its transcript
// and exports its telemetry. No model, no network: every answer comes from the
// script.
//
//   POST /v1/messages[?beta=true]              next scripted turn (SSE when stream: true)
//   POST /v1/messages/count_tokens[?beta=true] {"input_tokens": 100}
//   anything else                               404 in the API's error shape
//
// Script (script.json): {"seed": S, "prompt": P, "final": TEXT,
//   "steps": [[{"name": TOOL, "input": {...}, "expect": {...}}, ...], ...],
//   "scripts": [{"match": M, "steps": [...], "final": TEXT}, ...]}
// Each step is one assistant turn; a step with several calls issues them in
// parallel. "{{NAME}}" in any string is replaced by a variable (--var NAME=V).
// Every call gets a realistic, deterministic id (toolUseId(seed, n), numbered
// through the main steps, then through each of "scripts" in order); "expect"
// is for the test and never sent.
//
// "scripts" (optional) are further conversations: a sub-agent's (its prompt,
// which the main script's Agent call carries, contains M) or a later prompt
// of a resumed session. A request follows the script whose M appears last in
// the text the user side of its messages holds (prompts, not tool results);
// when none does, the main one.
//
// Which step comes next is read from the request: the first step of its
// script whose ids do not all appear as tool_use blocks in the request's
// messages. Requests without tools (side queries such as titles) get a short
// text answer. When every step is in the history, the answer is the script's
// final text (end_turn).
//
// Standalone use (for debugging):
//   node mock_anthropic.mjs --script script.json --var PROJECT=/tmp/p [--seed S]
//        [--port 0] [--log requests.jsonl]
// prints "listening on http://127.0.0.1:PORT" and the resolved calls.

import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// "toolu_01" + 22 base-62 characters, like the ids the real API hands out.
export function toolUseId(seed, n) {
  return 'toolu_01' + b62(createHash('sha256').update(`${seed}/tool/${n}`).digest(), 22);
}

function msgId(seed, n) {
  return 'msg_01' + b62(createHash('sha256').update(`${seed}/msg/${n}`).digest(), 22);
}

function b62(bytes, len) {
  let s = '';
  for (let i = 0; s.length < len; i++) s += B62[bytes[i % bytes.length] % 62];
  return s;
}

function substitute(v, vars) {
  if (typeof v === 'string')
    return v.replace(/\{\{(\w+)\}\}/g, (m, k) => {
      if (!(k in vars)) throw new Error(`script: no value for {{${k}}}`);
      return vars[k];
    });
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  return v;
}

// Read a script file, fill in the variables and give every call its id.
export function loadScript(file, vars = {}, seedOverride) {
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const script = substitute(raw, vars);
  const seed = seedOverride ?? script.seed ?? 'toolprof-e2e';
  let n = 0;
  const number = (steps) =>
    steps.map((step) => step.map((c) => ({ id: toolUseId(seed, ++n), name: c.name, input: c.input, expect: c.expect || {} })));
  script.seed = seed;
  script.steps = number(script.steps);
  script.calls = script.steps.flat();
  script.scripts = (script.scripts || []).map((s) => {
    if (typeof s.match !== 'string' || s.match === '') throw new Error('script: every entry of "scripts" needs a "match"');
    const steps = number(s.steps || []);
    return { match: s.match, final: s.final, steps, calls: steps.flat() };
  });
  script.allCalls = script.calls.concat(...script.scripts.map((s) => s.calls));
  if (new Set(script.allCalls.map((c) => c.id)).size !== script.allCalls.length)
    throw new Error('script: duplicate tool ids');
  return script;
}

// The text of the user side of a conversation, in order: string contents and
// text blocks (tool results are left out: they echo what tools returned).
function userTexts(messages) {
  const out = [];
  for (const m of messages || []) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') out.push(m.content);
    else if (Array.isArray(m.content))
      for (const b of m.content) if (b && b.type === 'text' && typeof b.text === 'string') out.push(b.text);
  }
  return out.join('\n');
}

// The conversation a request belongs to: the script whose match appears last.
function pickScript(script, messages) {
  const text = userTexts(messages);
  let best = script, at = -1;
  for (const s of script.scripts) {
    const i = text.lastIndexOf(s.match);
    if (i > at) (best = s), (at = i);
  }
  return best;
}

function sse(event, data) {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function errorBody(type, message) {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

// Start the stand-in. Resolves to {port, url, close(), requests}.
export function startMock({ script, port = 0, log = null }) {
  let counter = 0;
  const requests = [];
  const record = (entry) => {
    requests.push(entry);
    if (log) appendFileSync(log, JSON.stringify(entry) + '\n');
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      const send = (code, body) => {
        res.writeHead(code, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'request-id': `req_mock${String(++counter).padStart(6, '0')}`,
        });
        res.end(body);
      };
      let body = {};
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        record({ t: Date.now(), method: req.method, url: req.url, error: 'bad json' });
        return send(400, errorBody('invalid_request_error', 'body is not JSON'));
      }
      if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
        record({ t: Date.now(), method: req.method, url: req.url, status: 404 });
        return send(404, errorBody('not_found_error', `no ${req.method} ${path} here`));
      }
      if (path === '/v1/messages/count_tokens') {
        record({ t: Date.now(), method: req.method, url: req.url, status: 200 });
        return send(200, JSON.stringify({ input_tokens: 100 }));
      }

      // Which step comes next: the first one not yet in the history.
      const seen = new Set();
      for (const m of body.messages || [])
        if (m.role === 'assistant' && Array.isArray(m.content))
          for (const b of m.content) if (b.type === 'tool_use') seen.add(b.id);
      const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
      const conv = pickScript(script, body.messages);
      let step = conv.steps.findIndex((s) => !s.every((c) => seen.has(c.id)));
      if (step < 0) step = conv.steps.length;

      let blocks, stop;
      if (hasTools && step < conv.steps.length) {
        blocks = conv.steps[step].map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input }));
        stop = 'tool_use';
      } else {
        blocks = [{ type: 'text', text: hasTools ? conv.final || 'Done.' : 'ok' }];
        stop = 'end_turn';
      }
      const id = msgId(script.seed, ++counter);
      record({
        t: Date.now(), method: req.method, url: req.url, model: body.model, stream: !!body.stream,
        tools: (body.tools || []).length, messages: (body.messages || []).length,
        script: conv === script ? null : conv.match, step: hasTools ? step : null, answer: blocks.map((b) => (b.type === 'tool_use' ? `${b.name}:${b.id}` : 'text')),
      });
      const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
      const model = body.model || 'claude-sonnet-4-5';
      if (!body.stream)
        return send(200, JSON.stringify({ id, type: 'message', role: 'assistant', model, content: blocks,
          stop_reason: stop, stop_sequence: null, usage }));

      const out = [sse('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant',
        model, content: [], stop_reason: null, stop_sequence: null, usage } })];
      blocks.forEach((b, index) => {
        if (b.type === 'tool_use') {
          out.push(sse('content_block_start', { type: 'content_block_start', index,
            content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }));
          out.push(sse('content_block_delta', { type: 'content_block_delta', index,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } }));
        } else {
          out.push(sse('content_block_start', { type: 'content_block_start', index,
            content_block: { type: 'text', text: '' } }));
          out.push(sse('content_block_delta', { type: 'content_block_delta', index,
            delta: { type: 'text_delta', text: b.text } }));
        }
        out.push(sse('content_block_stop', { type: 'content_block_stop', index }));
      });
      out.push(sse('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 20 } }));
      out.push(sse('message_stop', { type: 'message_stop' }));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close',
        'request-id': `req_mock${String(counter).padStart(6, '0')}` });
      res.end(out.join(''));
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      resolve({
        port: p,
        url: `http://127.0.0.1:${p}`,
        requests,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

// ---- standalone ------------------------------------------------------------

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const args = process.argv.slice(2);
  const opt = { vars: {}, port: 0, log: null, script: null, seed: undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = args[i + 1];
    if (a === '--script') (opt.script = v), i++;
    else if (a === '--port') (opt.port = Number(v)), i++;
    else if (a === '--log') (opt.log = v), i++;
    else if (a === '--seed') (opt.seed = v), i++;
    else if (a === '--var') {
      const eq = v.indexOf('=');
      opt.vars[v.slice(0, eq)] = v.slice(eq + 1);
      i++;
    } else {
      console.error(`usage: mock_anthropic.mjs --script FILE [--var NAME=VALUE]... [--seed S] [--port N] [--log FILE]`);
      process.exit(2);
    }
  }
  if (!opt.script) {
    console.error('mock_anthropic.mjs: --script is required');
    process.exit(2);
  }
  const script = loadScript(opt.script, opt.vars, opt.seed);
  const m = await startMock({ script, port: opt.port, log: opt.log });
  console.log(`listening on ${m.url}`);
  for (const c of script.allCalls) console.log(`${c.id} ${c.name} ${JSON.stringify(c.input)}`);
}
