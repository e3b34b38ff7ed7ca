// clients.mjs - run the real Codex CLI, Gemini CLI and OpenCode clients
// (package-lock.json pins them) against mock_llm.mjs, each in a home of its
// own, non-interactively and without asking for approvals, with their
// telemetry going where the caller says.
//
// Every runner resolves {code, signal, stdout, stderr, ms}. The homes are
// set up from scratch on the first run and kept for later ones (a resumed
// session appends to its files).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BIN = {
  codex: process.env.CODEX_BIN || join(HERE, 'node_modules/.bin/codex'),
  gemini: process.env.GEMINI_BIN || join(HERE, 'node_modules/.bin/gemini'),
  opencode: process.env.OPENCODE_BIN || join(HERE, 'node_modules/.bin/opencode'),
};
export const MODELS = { codex: 'gpt-5.5', gemini: 'gemini-2.5-pro', opencode: 'mock/scripted' };

export function run(cmd, args, { env, cwd, input, timeoutMs = 120_000 } = {}) {
  return new Promise((res) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [], err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => err.push(Buffer.from(String(e))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - t0 });
    });
    p.stdin.on('error', () => {});
    p.stdin.end(input ?? '');
  });
}

function baseEnv(home) {
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', TERM: 'dumb', TZ: 'UTC' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return env;
}

// ---- Codex CLI -----------------------------------------------------------------

// otel: {endpoint (base URL), protocol: "binary" | "json"} or null.
export function codexConfig(home, mockUrl, otel) {
  const dir = join(home, '.codex');
  mkdirSync(dir, { recursive: true });
  let toml = `model = "${MODELS.codex}"
model_provider = "scripted"
[model_providers.scripted]
name = "scripted"
base_url = "${mockUrl}/v1"
wire_api = "responses"
env_key = "SCRIPTED_API_KEY"
`;
  if (otel)
    toml += `[otel]
environment = "toolprof-test"
log_user_prompt = false
exporter = { otlp-http = { endpoint = "${otel.endpoint}/v1/logs", protocol = "${otel.protocol}" } }
metrics_exporter = { otlp-http = { endpoint = "${otel.endpoint}/v1/metrics", protocol = "${otel.protocol}" } }
`;
  writeFileSync(join(dir, 'config.toml'), toml);
  return dir;
}

// One `codex exec` (resume: `codex exec resume --last`), approval "never",
// no sandbox.
export function runCodex({ home, project, prompt, resume = false, timeoutMs }) {
  const env = { ...baseEnv(home), CODEX_HOME: join(home, '.codex'), SCRIPTED_API_KEY: 'sk-scripted' };
  const args = ['exec', '--skip-git-repo-check', '-s', 'danger-full-access'];
  if (resume) args.push('resume', '--last');
  args.push(prompt);
  return run(BIN.codex, args, { env, cwd: project, timeoutMs });
}

// ---- Gemini CLI -----------------------------------------------------------------

// otel: {endpoint, protocol: "http" | "grpc"} or null.
export function geminiConfig(home, otel) {
  const dir = join(home, '.gemini');
  mkdirSync(dir, { recursive: true });
  const settings = {
    security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
    telemetry: otel
      ? { enabled: true, target: 'local', otlpEndpoint: otel.endpoint, otlpProtocol: otel.protocol, logPrompts: false }
      : { enabled: false },
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  return dir;
}

// One `gemini -p` in yolo mode (resume: --resume latest), the Gemini API at
// the stand-in.
export function runGemini({ home, project, prompt, mockUrl, resume = false, timeoutMs }) {
  const env = { ...baseEnv(home), GOOGLE_GEMINI_BASE_URL: mockUrl, GEMINI_API_KEY: 'scripted-key', NO_COLOR: '1' };
  const args = ['-p', prompt, '--yolo', '-m', MODELS.gemini];
  if (resume) args.push('--resume', 'latest');
  return run(BIN.gemini, args, { env, cwd: project, timeoutMs });
}

// ---- OpenCode --------------------------------------------------------------------

// The project's opencode.json: the stand-in as an OpenAI-compatible
// provider; every permission "allow" (no prompt can be answered here).
export function opencodeConfig(project, mockUrl) {
  const cfg = {
    $schema: 'https://opencode.ai/config.json',
    provider: { mock: { npm: '@ai-sdk/openai-compatible', name: 'Scripted', options: { baseURL: `${mockUrl}/v1`, apiKey: 'sk-scripted' }, models: { scripted: { name: 'Scripted' } } } },
    model: MODELS.opencode, small_model: MODELS.opencode, autoupdate: false, share: 'disabled',
    permission: { edit: 'allow', bash: 'allow', webfetch: 'allow' },
  };
  writeFileSync(join(project, 'opencode.json'), JSON.stringify(cfg, null, 2));
}

export function runOpencode({ home, project, prompt, timeoutMs }) {
  const env = { ...baseEnv(home), XDG_DATA_HOME: join(home, '.local/share'), XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.local/state') };
  if (!existsSync(join(home, '.config'))) mkdirSync(join(home, '.config'), { recursive: true });
  return run(BIN.opencode, ['run', prompt], { env, cwd: project, timeoutMs });
}
