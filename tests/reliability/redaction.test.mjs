// redaction.test.mjs - secrets in their common forms never reach toolprof's
// files, through any channel.
//
// Every form of issue 17 (aws configure set aws_secret_access_key, curl -u,
// mysql -p, docker login -p, sshpass -p, Cookie headers, Slack webhooks,
// Telegram bot tokens, npm _authToken, presigned URL signatures ...) and the
// providers' token formats (GitHub, GitLab, Slack, Stripe, Google, OpenAI,
// Anthropic, AWS, JWTs, private keys, credentials in URLs, Bearer and Basic)
// are sent as the command of a Bash call through each channel: the hook
// (spooled, then drained by the server), a transcript imported with
// `toolprof import`, OTLP logs, POST /api/performance/operations and
// `toolprof track`; and a failure whose error message holds URL credentials.
// Each channel gets its own variant of every secret (the channel's tag is
// part of it), so a leak names its channel.
//
// Checked: no secret's text in any file of the data directory (the database,
// its WAL while the server runs, the spool before and after draining, the
// logs), in the server's and the commands' output, or in the exports (jsonl,
// csv, seed-json); and each call's target, as exported, is exactly the
// command with the secret replaced: the rest stays readable.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, get, idMaker, post, recordFigures, run, sleep, startServer, tempDir, uuid } from './lib.mjs';

const R = '[REDACTED]';
const b64 = (s) => Buffer.from(s).toString('base64');
// n characters of filler after a prefix, for formats of fixed length.
const fill = (prefix, n, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') => {
  let s = prefix;
  for (let i = 0; s.length < n; i++) s += alphabet[i % alphabet.length];
  return s.slice(0, n);
};

// The forms: cmd(secret) is the command, want the target toolprof must
// store, secret(t, T) the secret with the channel's tag (t: two letters, T:
// the same in upper case). A form may check several secret parts (`parts`).
const FORMS = [
  { form: 'aws configure set aws_secret_access_key', secret: (t) => `wJalr${t}UtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY`,
    cmd: (s) => `aws configure set aws_secret_access_key ${s} --profile dev`,
    want: `aws configure set aws_secret_access_key ${R} --profile dev` },
  { form: '--aws-secret-access-key', secret: (t) => `Kq9${t}xUtnFEMIK7MDENGbPxRfiCY/EXAMPLE`,
    cmd: (s) => `aws s3 ls s3://bucket --aws-secret-access-key ${s} --region eu-west-1`,
    want: `aws s3 ls s3://bucket --aws-secret-access-key ${R} --region eu-west-1` },
  { form: 'curl -u user:password', secret: (t) => `Hunter2${t}pw`,
    cmd: (s) => `curl -u admin:${s} https://api.example.com/v1/items`,
    want: `curl -u admin:${R} https://api.example.com/v1/items` },
  { form: 'curl --user user:password', secret: (t) => `Hunter3${t}pw`,
    cmd: (s) => `curl -sS --user admin:${s} https://api.example.com/v1/items`,
    want: `curl -sS --user admin:${R} https://api.example.com/v1/items` },
  { form: 'mysql -pPASSWORD', secret: (t) => `S3cret${t}PW`,
    cmd: (s) => `mysql -h db.internal -u root -p${s} shop -e 'select 1'`,
    want: `mysql -h db.internal -u root -p${R} shop -e 'select 1'` },
  { form: 'docker login -p', secret: (t) => `D0cker${t}PW1`,
    cmd: (s) => `docker login -u bob -p ${s} registry.example.com`,
    want: `docker login -u bob -p ${R} registry.example.com` },
  { form: 'docker login --password', secret: (t) => `D0cker${t}PW2`,
    cmd: (s) => `docker login -u bob --password ${s} registry.example.com`,
    want: `docker login -u bob --password ${R} registry.example.com` },
  { form: 'docker login --password=', secret: (t) => `D0cker${t}PW3`,
    cmd: (s) => `docker login -u bob --password=${s} registry.example.com`,
    want: `docker login -u bob --password=${R} registry.example.com` },
  { form: 'sshpass -p', secret: (t) => `SshPass${t}PW`,
    cmd: (s) => `sshpass -p ${s} ssh -p 2222 deploy@web1 uptime`,
    want: `sshpass -p ${R} ssh -p 2222 deploy@web1 uptime` },
  { form: 'Cookie header', secret: (t) => `sess${t}abc123def`,
    cmd: (s) => `curl -H "Cookie: session=${s}; theme=dark" https://app.example.com/me`,
    want: `curl -H "Cookie: ${R}" https://app.example.com/me` },
  { form: 'Set-Cookie header', secret: (t) => `sid${t}xyz789`,
    cmd: (s) => `printf 'Set-Cookie: sid=${s}; Path=/; HttpOnly' | grep Path`,
    want: `printf 'Set-Cookie: ${R}' | grep Path` },
  { form: 'Slack webhook URL', secret: (t) => `XXXXXXXX${t}XXXXXXXXXXXXXX`,
    cmd: (s) => `curl -X POST -d '{"text":"deployed"}' https://hooks.slack.com/services/T0000000/B0000000/${s}`,
    want: `curl -X POST -d '{"text":"deployed"}' https://hooks.slack.com/services/${R}` },
  { form: 'Telegram bot token', secret: (t) => `123456789:${fill(`AAH${t}`, 35)}`,
    cmd: (s) => `curl https://api.telegram.org/bot${s}/sendMessage -d chat_id=42`,
    want: `curl https://api.telegram.org/bot${R}/sendMessage -d chat_id=42` },
  { form: 'npm _authToken', secret: (t) => `npm_${fill(t, 36)}`,
    cmd: (s) => `npm config set //registry.npmjs.org/:_authToken ${s} --location project`,
    want: `npm config set //registry.npmjs.org/:_authToken ${R} --location project` },
  { form: 'X-Amz-Signature (presigned URL)', secret: (t) => `fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc96317663032${t}1024`,
    cmd: (s) => `curl -o f 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60&X-Amz-Signature=${s}'`,
    want: `curl -o f 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60&X-Amz-Signature=${R}'` },
  { form: 'GitHub ghp_', secret: (t) => `ghp_${fill(t, 36)}`,
    cmd: (s) => `echo ${s} | gh auth login --with-token`, want: `echo ${R} | gh auth login --with-token` },
  { form: 'GitHub gho_', secret: (t) => `gho_${fill(`Zq${t}`, 36)}`,
    cmd: (s) => `gh api user -H 'X-Tok: ${s}'`, want: `gh api user -H 'X-Tok: ${R}'` },
  { form: 'GitHub ghs_', secret: (t) => `ghs_${fill(`Ys${t}`, 36)}`,
    cmd: (s) => `git push https://x-access:${s}@github.com/o/r.git main`,
    want: `git push https://x-access:${R}@github.com/o/r.git main` },
  { form: 'GitHub github_pat_', secret: (t, T) => `github_pat_11${T}BCDEFG0123456789_abcdefghijklmnopqrstuvwxyz`,
    cmd: (s) => `gh repo list --token-from ${s} | head`, want: `gh repo list --token-from ${R} | head` },
  { form: 'GitLab glpat-', secret: (t) => `glpat-${fill(t, 20)}`,
    cmd: (s) => `glab auth login --hostname gitlab.example.com --stdin <<< ${s}`,
    want: `glab auth login --hostname gitlab.example.com --stdin <<< ${R}` },
  { form: 'Slack xoxb-', secret: (t) => `xoxb-123456789012-${fill(t, 14)}`,
    cmd: (s) => `slack-notify --bot ${s} '#ops'`, want: `slack-notify --bot ${R} '#ops'` },
  { form: 'Stripe sk_live_', secret: (t) => `sk_live_${fill(`4e${t}`, 24)}`,
    cmd: (s) => `stripe charges list --limit 3 --live -k ${s}`, want: `stripe charges list --limit 3 --live -k ${R}` },
  { form: 'Stripe rk_live_', secret: (t) => `rk_live_${fill(`9x${t}`, 24)}`,
    cmd: (s) => `stripe customers list -k ${s} --limit 1`, want: `stripe customers list -k ${R} --limit 1` },
  { form: 'Google API key AIza', secret: (t) => `AIza${fill(`Sy${t}`, 35)}`,
    cmd: (s) => `curl 'https://maps.googleapis.com/maps/api/geocode/json?address=x&k=${s}'`,
    want: `curl 'https://maps.googleapis.com/maps/api/geocode/json?address=x&k=${R}'` },
  { form: 'OpenAI sk-', secret: (t) => `sk-${fill(`Lg${t}`, 48)}`,
    cmd: (s) => `python eval.py --model gpt-4o ${s}`, want: `python eval.py --model gpt-4o ${R}` },
  { form: 'OpenAI sk-proj-', secret: (t) => `sk-proj-${fill(`Pr${t}`, 60)}`,
    cmd: (s) => `python eval.py ${s} --dry-run`, want: `python eval.py ${R} --dry-run` },
  { form: 'Anthropic sk-ant-', secret: (t) => `sk-ant-api03-${fill(`An${t}`, 40)}`,
    cmd: (s) => `claude -p hi --key ${s}`, want: `claude -p hi --key ${R}` },
  { form: 'AWS access key id AKIA', secret: (t, T) => `AKIA${fill(T, 16, 'ABCDEFGHIJKLMNOP')}`,
    cmd: (s) => `aws iam list-access-keys | grep ${s}`, want: `aws iam list-access-keys | grep ${R}` },
  { form: 'AWS temporary key id ASIA', secret: (t, T) => `ASIA${fill(T, 16, 'QRSTUVWXYZ234567')}`,
    cmd: (s) => `aws sts get-caller-identity # ${s}`, want: `aws sts get-caller-identity # ${R}` },
  { form: 'JWT', secret: (t) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi${t}IxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N${t}`,
    cmd: (s) => `curl https://api.example.com/me -d jwt_value=${s} -v`, want: `curl https://api.example.com/me -d jwt_value=${R} -v` },
  { form: 'private key block', secret: (t) => `MIIEpAIBAAKCAQEA${t}3n8z+Yq/0aBcDeFgHiJkLmNoPqRsTuVwXyZ`,
    cmd: (s) => `printf -- '-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----\n' > key.pem`,
    want: `printf -- '${R}\n' > key.pem` },
  { form: 'credentials in a URL', secret: (t) => `Pg${t}pass9`,
    cmd: (s) => `psql postgres://admin:${s}@db.local:5432/app -c '\\dt'`,
    want: `psql postgres://admin:${R}@db.local:5432/app -c '\\dt'` },
  { form: 'Authorization: Bearer', secret: (t) => `tok${t}abcdefghijkl0123`,
    cmd: (s) => `curl -H "Authorization: Bearer ${s}" https://api.example.com/v1/me`,
    want: `curl -H "Authorization: Bearer ${R}" https://api.example.com/v1/me` },
  { form: 'Basic credentials', secret: (t) => b64(`deploy${t}:pw${t}x9`),
    cmd: (s) => `http GET https://intranet/x 'Proxy-Auth: Basic ${s}'`,
    want: `http GET https://intranet/x 'Proxy-Auth: Basic ${R}'` },
];

// A failed call whose error holds URL credentials.
const ERROR_SECRET = (t) => `Err${t}pw77`;
const errorText = (s) => `fatal: Authentication failed for 'https://bob:${s}@git.example.com/o/r.git'`;
const ERROR_WANT = `fatal: Authentication failed for 'https://bob:${R}@git.example.com/o/r.git'`;
const ERROR_CMD = 'git fetch origin';

const CHANNELS = [
  { name: 'hook', t: 'Hk' },
  { name: 'transcript', t: 'Tr' },
  { name: 'otlp', t: 'Ot' },
  { name: 'post', t: 'Po' },
  { name: 'track', t: 'Tk' },
];

// Every call to send: {channel, form, id, cmd, want, secrets}.
function plan() {
  const calls = [];
  CHANNELS.forEach((ch, ci) => {
    const nextId = idMaker(60 + ci);
    FORMS.forEach((f, i) => {
      const s = f.secret(ch.t, ch.t.toUpperCase());
      calls.push({ channel: ch.name, form: f.form, id: nextId(i), cmd: f.cmd(s), want: f.want, secrets: [s] });
    });
    const e = ERROR_SECRET(ch.t);
    calls.push({ channel: ch.name, form: 'error message', id: nextId(999), cmd: ERROR_CMD, want: ERROR_CMD,
      error: errorText(e), wantError: ERROR_WANT, secrets: [e] });
  });
  return calls;
}

const SESSION = '3b47cc69-5b2f-4f61-9d2e-0c8b3c1f7e21';
const CWD = '/home/dev/project';

function hookPayload(c) {
  const base = { session_id: SESSION, cwd: CWD, tool_name: 'Bash', tool_use_id: c.id, duration_ms: 120,
    tool_input: { command: c.cmd, description: 'run it' } };
  if (c.error) return { ...base, hook_event_name: 'PostToolUseFailure', error: c.error, is_interrupt: false };
  return { ...base, hook_event_name: 'PostToolUse',
    tool_response: { stdout: 'ok', stderr: '', interrupted: false, isImage: false } };
}

function transcriptText(calls, startMs) {
  const lines = [];
  let parent = null;
  calls.forEach((c, i) => {
    const common = { parentUuid: parent, isSidechain: false, userType: 'external', cwd: CWD, sessionId: SESSION,
      version: '2.1.38', gitBranch: 'main' };
    const t0 = startMs + i * 2000;
    const au = uuid();
    lines.push(JSON.stringify({ ...common, type: 'assistant', uuid: au, timestamp: new Date(t0).toISOString(),
      message: { model: 'claude-opus-4-6', id: `msg_${c.id.slice(6)}`, type: 'message', role: 'assistant',
        content: [{ type: 'tool_use', id: c.id, name: 'Bash', input: { command: c.cmd, description: 'run it' } }],
        stop_reason: null, usage: { input_tokens: 3, output_tokens: 13 } } }));
    parent = au;
    const uu = uuid();
    const result = c.error
      ? { type: 'tool_result', content: c.error, is_error: true, tool_use_id: c.id }
      : { type: 'tool_result', content: 'ok', is_error: false, tool_use_id: c.id };
    lines.push(JSON.stringify({ ...common, parentUuid: au, type: 'user', uuid: uu,
      timestamp: new Date(t0 + 150).toISOString(), message: { role: 'user', content: [result] },
      toolUseResult: c.error ? `Error: ${c.error}` : { stdout: 'ok', stderr: '', interrupted: false, isImage: false },
      sourceToolAssistantUUID: au }));
    parent = uu;
  });
  return lines.join('\n') + '\n';
}

function otlpBody(calls) {
  const str = (key, v) => ({ key, value: { stringValue: v } });
  const records = calls.map((c) => ({
    timeUnixNano: String(BigInt(Date.now() - 30000) * 1000000n),
    attributes: [str('event.name', 'tool_result'), str('tool_name', 'Bash'), str('tool_use_id', c.id),
      str('session.id', SESSION), str('duration_ms', '120'), str('success', c.error ? 'false' : 'true'),
      str('tool_parameters', JSON.stringify({ bash_command: c.cmd, full_command: c.cmd })),
      ...(c.error ? [str('error', c.error)] : [])],
  }));
  return { resourceLogs: [{ resource: { attributes: [str('service.name', 'claude-code')] },
    scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records }] }] };
}

// Every file under dir, as bytes, by relative path.
function filesUnder(dir, base = dir, out = new Map()) {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) filesUnder(p, base, out);
    else out.set(path.relative(base, p), readFileSync(p));
  }
  return out;
}

// Where any secret of calls occurs in the named texts: ["where: channel/form"].
function leaks(calls, texts) {
  const found = [];
  for (const [where, bytes] of texts) {
    const text = Buffer.isBuffer(bytes) ? bytes.toString('latin1') : bytes;
    for (const c of calls) {
      for (const s of c.secrets) if (text.includes(s)) found.push(`${where}: ${c.channel} / ${c.form}`);
    }
  }
  return found;
}

describe('secrets in their common forms, through every channel', () => {
  const calls = plan();
  const byChannel = (name) => calls.filter((c) => c.channel === name);
  let dataDir;
  let txDir;
  let exportDir;
  const outputs = []; // [where, text] of every command's and the server's output
  before(() => {
    dataDir = tempDir('redact-data');
    txDir = tempDir('redact-tx');
    exportDir = tempDir('redact-export');
  });
  after(() => {
    for (const d of [dataDir, txDir, exportDir]) rmSync(d, { recursive: true, force: true });
  });

  test('no secret is stored, spooled, logged or exported; the rest of each command is', { timeout: 120000 }, async () => {
    // The hook, with no server yet: the spool holds the calls.
    for (const c of byChannel('hook')) {
      const r = await run(BIN, ['--data-dir', dataDir, 'hook'], { input: JSON.stringify(hookPayload(c)) });
      assert.equal(r.code, 0, r.stderr);
      outputs.push([`hook ${c.form} stdout+stderr`, r.stdout + r.stderr]);
    }
    const spooled = readFileSync(path.join(dataDir, 'spool.jsonl'), 'utf8');
    assert.deepEqual(leaks(calls, [['spool.jsonl', spooled]]), []);
    const spooledTargets = new Map(spooled.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((o) => [o.tool_use_id, o.target]));
    for (const c of byChannel('hook')) assert.equal(spooledTargets.get(c.id), c.want, `spooled ${c.form}`);

    const srv = await startServer({ dataDir });
    try {
      // The transcript, imported by the CLI.
      writeFileSync(path.join(txDir, `${uuid()}.jsonl`), transcriptText(byChannel('transcript'), Date.now() - 3600e3));
      const imp = await run(BIN, ['--data-dir', dataDir, 'import', txDir]);
      assert.equal(imp.code, 0, imp.stderr);
      outputs.push(['import stdout+stderr', imp.stdout + imp.stderr]);
      // OTLP and the API.
      const o = await post(srv, '/v1/logs', otlpBody(byChannel('otlp')));
      assert.equal(o.status, 200, o.body);
      assert.deepEqual(o.json, {});
      outputs.push(['POST /v1/logs answer', o.body]);
      const ops = byChannel('post').map((c) => ({ tool: 'Bash', target: c.cmd, duration_ms: 120, tool_use_id: c.id,
        session_id: SESSION, project: CWD, ...(c.error ? { success: false, error: c.error } : {}) }));
      const p = await post(srv, '/api/performance/operations', ops);
      assert.equal(p.status, 200, p.body);
      assert.equal(p.json.inserted, ops.length);
      outputs.push(['POST operations answer', p.body]);
      // track.
      for (const c of byChannel('track')) {
        const args = ['--data-dir', dataDir, 'track', '--tool', 'Bash', '--duration-ms', '120', '--target', c.cmd,
          '--tool-use-id', c.id, '--json'];
        if (c.error) args.push('--failed', '--error', c.error);
        const r = await run(BIN, args);
        assert.equal(r.code, 0, r.stderr);
        outputs.push([`track ${c.form} stdout+stderr`, r.stdout + r.stderr]);
      }
      // Every call stored (the server drained the hook's spool).
      let stored = 0;
      for (let i = 0; i < 200 && stored < calls.length; i++) {
        if (i) await sleep(50);
        stored = (await get(srv, '/api/performance/resources')).json.data.operations_stored;
      }
      assert.equal(stored, calls.length);
      // The data directory while the server runs: database, WAL, spool, logs.
      const live = filesUnder(dataDir);
      assert.ok([...live.keys()].some((k) => k.endsWith('-wal')), `no WAL: ${[...live.keys()]}`);
      assert.deepEqual(leaks(calls, live), []);
    } finally {
      const st = await srv.stop();
      outputs.push(['server stdout', srv.stdout()], ['server stderr', srv.stderr()]);
      assert.equal(st.code, 0, srv.stderr());
    }

    // Exports, in each format.
    const jsonl = await run(BIN, ['--data-dir', dataDir, 'export', '--format', 'jsonl', '--out', '-']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const csv = await run(BIN, ['--data-dir', dataDir, 'export', '--format', 'csv', '--out', '-']);
    assert.equal(csv.code, 0, csv.stderr);
    const seedDir = path.join(exportDir, 'seed');
    mkdirSync(seedDir);
    const seed = await run(BIN, ['--data-dir', dataDir, 'export', '--format', 'seed-json', '--out', seedDir]);
    assert.equal(seed.code, 0, seed.stderr);
    outputs.push(['export jsonl', jsonl.stdout + jsonl.stderr], ['export csv', csv.stdout + csv.stderr],
      ['export seed-json stderr', seed.stdout + seed.stderr]);
    const exported = [...outputs, ...filesUnder(seedDir), ...filesUnder(dataDir)];
    assert.deepEqual(leaks(calls, exported), []);

    // What is stored: exactly the command with the secret replaced.
    const got = new Map(jsonl.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((o) => [o.tool_use_id, o]));
    const wrong = [];
    for (const c of calls) {
      const o = got.get(c.id);
      if (!o) { wrong.push(`${c.channel} / ${c.form}: not stored`); continue; }
      if (o.target !== c.want) wrong.push(`${c.channel} / ${c.form}: target ${JSON.stringify(o.target)}, want ${JSON.stringify(c.want)}`);
      if (c.wantError && o.error !== c.wantError) wrong.push(`${c.channel} / ${c.form}: error ${JSON.stringify(o.error)}`);
    }
    assert.deepEqual(wrong, []);
    // The csv and seed-json exports hold the same readable targets.
    for (const c of calls.filter((x) => !x.want.includes('\n'))) assert.ok(csv.stdout.includes(c.want.includes('"') ? c.want.replace(/"/g, '""') : c.want), `csv: ${c.want}`);
    const seedTargets = new Set();
    for (const b of filesUnder(seedDir).values()) {
      const doc = JSON.parse(b.toString('utf8'));
      for (const o of Array.isArray(doc) ? doc : doc.operations) seedTargets.add(o.target);
    }
    for (const c of calls) assert.ok(seedTargets.has(c.want), `seed-json: ${c.want}`);
    recordFigures('redaction', { forms: FORMS.length + 1, channels: CHANNELS.map((c) => c.name), calls: calls.length,
      secrets_found: 0 });
  });
});
