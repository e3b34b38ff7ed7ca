// chromium.mjs - the system Chromium driven by playwright-core (which
// downloads no browser), for the dashboard's tests: tests/browser (every
// view, on SQLite) and tests/team/dashboard.test.mjs (the person and machine
// filters and the Team view, on ClickHouse). One place for how the browser
// is started, what a page is watched for (console errors, CSP violations,
// dialogs, requests to other origins, the API requests it made) and how a
// test waits for the page's refresh.
//
// playwright-core and axe-core are installed in tests/browser/node_modules by
// tests/browser/setup.sh (from package-lock.json); this file resolves them
// from there, wherever the test that imports it lives.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// A headless Chromium with a profile of its own; close() ends it and removes
// the profile. Every page of it records CSP violations in window.__csp.
export async function launch(opts = {}) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolprof-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: opts.viewport || { width: 1280, height: 900 },
      colorScheme: 'light',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    // Every CSP violation, even one the console would not show.
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
      });
    });
  } catch (e) {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDir, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

// What a page does that a test checks: console errors (and CSP warnings),
// uncaught exceptions, dialogs (dismissed), requests outside `origin`, and
// every API request with its Authorization header. Returns the arrays, which
// fill as the page runs (a test may remove entries it expects).
export function watch(page, origin, into = null) {
  const w = into || { consoleErrors: [], foreignRequests: [], dialogs: [], apiRequests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning' && /Content.Security.Policy/i.test(m.text())) {
      w.consoleErrors.push(m.type() + ': ' + m.text());
    }
  });
  page.on('pageerror', (e) => w.consoleErrors.push('uncaught: ' + e.message));
  page.on('dialog', (d) => {
    w.dialogs.push(d.type() + ': ' + d.message());
    d.dismiss().catch(() => {});
  });
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== origin) w.foreignRequests.push(u);
    if (new URL(u).pathname.startsWith('/api/')) {
      w.apiRequests.push({ url: u, auth: r.headers()['authorization'] || '' });
    }
  });
  return w;
}

// The number of the page's last finished refresh (body[data-refreshed]).
export async function refreshedSeq(page) {
  return page.evaluate(() => document.body.getAttribute('data-refreshed'));
}

// Wait until the page finished a refresh newer than `prev` (null: any).
export async function waitRefresh(page, prev, timeout = 10000) {
  await page.waitForFunction(
    (p) => {
      const v = document.body.getAttribute('data-refreshed');
      return v !== null && v !== p;
    },
    prev,
    { timeout },
  );
}

// Open a URL and wait for the page's first refresh.
export async function open(page, url, timeout = 10000) {
  await page.goto(url, { waitUntil: 'load' });
  await waitRefresh(page, null, timeout);
}

// axe-core run in the page (evaluated through the browser's DevTools
// protocol, which the page's CSP does not govern): its serious and critical
// findings, one line each.
let axeSource = null;
export async function axeFindings(page) {
  if (!axeSource) axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  });
}
