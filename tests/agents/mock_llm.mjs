// mock_llm.mjs - scripted stand-ins, on loopback, for the model APIs that
// Codex CLI, Gemini CLI and OpenCode call, so that the real clients really
// run their tools (shell commands, patches, edits, failing commands) and
// write their session files and telemetry. No model, no network: every
// answer comes from a script.
//
//   POST .../responses                        OpenAI Responses API, streamed (Codex CLI)
//   POST .../chat/completions                 OpenAI Chat Completions, streamed (OpenCode)
//   POST .../models/M:streamGenerateContent   Gemini API, SSE (Gemini CLI)
//   POST .../models/M:generateContent         Gemini API, one answer
//   POST .../models/M:countTokens             {"totalTokens": 100}
//   POST /v1/logs, /v1/traces, /v1/metrics, / OTLP posts: kept (see `otlp`), answered {}
//   anything else                             404
//
// Script: {"seed": S, "turns": [{"match": M, "steps": [[{"name": TOOL,
// "args": {...}, "kind": "function" | "custom", "input": TEXT}, ...], ...]},
// ...], "final": TEXT}. A turn answers the prompt that contains M (the last
// user prompt of the request that contains one); a step is one model
// response, whose calls are issued together (parallel calls). "{{NAME}}" in
// a string is replaced by a variable. Codex and OpenCode calls get ids
// "call_" + 24 base-62 characters derived from the seed, as the real API
// hands out; Gemini calls get none (the real Gemini API sends none: Gemini
// CLI makes its own).
//
// Which step comes next is read from the request (the server keeps no
// state): for Codex and OpenCode, the first step of the turn whose call ids
// are not all in the request's history; for Gemini, the number of model
// responses with function calls after the turn's prompt. Requests without
// tools (titles, routing) get a short text answer; after a turn's last
// step, the final text.

import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function callId(seed, n) {
  const h = createHash('sha256').update(`${seed}/call/${n}`).digest();
  let s = 'call_';
  for (let i = 0; s.length < 29; i++) s += B62[h[i % h.length] % 62];
  return s;
}

function substitute(v, vars) {
  if (typeof v === 'string')
    return v.replace(/\{\{(\w+)\}\}/g, (m, k) => {
      if (!(k in vars)) throw new Error(`script: no value for {{${k}}}`);
      return vars[k];
    });
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  return v;
}

// A script with its variables filled in and an id for every call.
export function loadScript(fileOrObject, vars = {}) {
  const raw = typeof fileOrObject === 'string' ? JSON.parse(readFileSync(fileOrObject, 'utf8')) : fileOrObject;
  const s = substitute(raw, vars);
  let n = 0;
  s.seed = s.seed || 'toolprof-agents';
  s.turns = s.turns.map((t) => ({ ...t, steps: t.steps.map((step) => step.map((c) => ({ ...c, id: callId(s.seed, ++n) }))) }));
  s.final = s.final || 'Done.';
  return s;
}

// The turn whose marker the latest of the given prompt texts holds.
function turnOf(script, texts) {
  for (let i = texts.length - 1; i >= 0; i--) {
    const t = script.turns.find((x) => texts[i].includes(x.match));
    if (t) return t;
  }
  return script.turns[0];
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (typeof c === 'string' ? c : c.text || '')).join('\n');
  return '';
}

// ---- the three protocols -----------------------------------------------------

const usage = { input_tokens: 1200, input_tokens_details: { cached_tokens: 200 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 8 }, total_tokens: 1240 };

function sse(events, named) {
  return events.map((e) => (named ? `event: ${e.type}\n` : '') + `data: ${JSON.stringify(e)}\n\n`).join('');
}

function responsesAnswer(script, body, n) {
  const have = new Set(), prompts = [];
  for (const it of body.input || []) {
    if (it && it.call_id && /_output$/.test(it.type || '')) have.add(it.call_id);
    if (it && it.type === 'message' && it.role === 'user') prompts.push(textOf(it.content));
  }
  const step = turnOf(script, prompts).steps.find((st) => !st.every((c) => have.has(c.id)));
  const id = `resp_${n}`;
  const items = step
    ? step.map((c) => c.kind === 'custom'
        ? { type: 'custom_tool_call', id: `ctc_${c.id}`, call_id: c.id, name: c.name, input: c.input }
        : { type: 'function_call', id: `fc_${c.id}`, call_id: c.id, name: c.name, arguments: JSON.stringify(c.args) })
    : [{ type: 'message', role: 'assistant', id: `msg_${n}`, content: [{ type: 'output_text', text: script.final }] }];
  const ev = [{ type: 'response.created', response: { id } }];
  for (const it of items) {
    ev.push({ type: 'response.output_item.added', item: it });
    ev.push({ type: 'response.output_item.done', item: it });
  }
  ev.push({ type: 'response.completed', response: { id, usage } });
  return sse(ev, true);
}

function chatAnswer(script, body, n) {
  const have = new Set(), prompts = [];
  for (const m of body.messages || []) {
    if (m.role === 'tool' && m.tool_call_id) have.add(m.tool_call_id);
    if (m.role === 'user') prompts.push(textOf(m.content));
  }
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  const step = hasTools ? turnOf(script, prompts).steps.find((st) => !st.every((c) => have.has(c.id))) : null;
  const id = `chatcmpl-${n}`, created = Math.floor(Date.now() / 1000), model = body.model || 'mock';
  const chunk = (delta, finish, extra) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const out = [];
  if (step) {
    out.push(chunk({ role: 'assistant', content: null }, null));
    out.push(chunk({ tool_calls: step.map((c, k) => ({ index: k, id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })) }, null));
  } else {
    out.push(chunk({ role: 'assistant', content: hasTools ? script.final : 'Scripted session' }, null));
  }
  out.push(chunk({}, step ? 'tool_calls' : 'stop', { usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240, prompt_tokens_details: { cached_tokens: 200 } } }));
  return out.map((x) => `data: ${JSON.stringify(x)}\n\n`).join('') + 'data: [DONE]\n\n';
}

function geminiAnswer(script, body) {
  const hasTools = Array.isArray(body.tools) && body.tools.some((t) => (t.functionDeclarations || []).length);
  let parts;
  if (!hasTools) {
    // Side requests (routing, next speaker, titles) want a short JSON or text.
    parts = [{ text: '{"reasoning": "scripted", "next_speaker": "user", "model_choice": "pro"}' }];
  } else {
    // The turn's prompt: the last user content with a marker; the step: the
    // model responses with calls after it.
    const contents = body.contents || [];
    let at = -1, turn = script.turns[0];
    contents.forEach((c, i) => {
      if (c.role !== 'user') return;
      const t = script.turns.find((x) => (c.parts || []).some((p) => typeof p.text === 'string' && p.text.includes(x.match)));
      if (t) { at = i; turn = t; }
    });
    const done = contents.slice(at + 1).filter((c) => c.role === 'model' && (c.parts || []).some((p) => p.functionCall)).length;
    const step = turn.steps[done];
    parts = step ? step.map((c) => ({ functionCall: { name: c.name, args: c.args } })) : [{ text: script.final }];
  }
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 40, cachedContentTokenCount: 200, thoughtsTokenCount: 8, totalTokenCount: 1248 },
    modelVersion: body.model || 'gemini-2.5-pro',
  };
}

// ---- the server ----------------------------------------------------------------

// Start on 127.0.0.1:port (0: any). scripts: {codex, gemini, opencode}.
// Resolves {port, url, requests, otlp, close()}; `otlp` collects the OTLP
// posts ({path, headers, body: Buffer}) when no forward target is given.
export function startMock(scripts, { port = 0, log } = {}) {
  const requests = [], otlp = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = req.url || '';
      if (log) appendFileSync(log, JSON.stringify({ method: req.method, url, bytes: raw.length }) + '\n');
      if (req.method !== 'POST') { res.writeHead(404).end('{}'); return; }
      if (/^\/(v1\/(logs|traces|metrics))?$/.test(url.split('?')[0])) {
        otlp.push({ path: url, headers: req.headers, body: raw });
        res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/json' }).end(req.headers['content-type'] === 'application/x-protobuf' ? '' : '{}');
        return;
      }
      let body = {};
      try { body = JSON.parse(raw.toString('utf8')); } catch { res.writeHead(400).end('{}'); return; }
      requests.push({ url, body });
      n++;
      if (url.endsWith('/responses')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(responsesAnswer(scripts.codex, body, n));
      } else if (url.endsWith('/chat/completions')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(chatAnswer(scripts.opencode, body, n));
      } else if (url.includes(':countTokens')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"totalTokens":100}');
      } else if (url.includes(':streamGenerateContent')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify(geminiAnswer(scripts.gemini, body))}\r\n\r\n`);
      } else if (url.includes(':generateContent')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(geminiAnswer(scripts.gemini, body)));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not scripted"}}');
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const p = server.address().port;
      resolve({ port: p, url: `http://127.0.0.1:${p}`, requests, otlp, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
