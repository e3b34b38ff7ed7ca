// table.mjs - print the reliability results as Markdown for docs/reliability.md.
//
//   node tests/reliability/table.mjs [build/reliability]
//
// Reads badinput.json, resource-cases.json, spool-cases.json and
// figures.json written by the tests (tests/reliability/run.sh) and prints
// the bad-input table, the disk-full / read-only table, the spool-drain
// table and the figures.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] || path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'build', 'reliability');
const load = (f) => (existsSync(path.join(dir, f)) ? JSON.parse(readFileSync(path.join(dir, f), 'utf8')) : null);
const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/[\u202A-\u202E\u2066-\u2069]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase()}`)
  .replace(/\/tmp\/toolprof-[^/ ]+/g, '…');

const bad = load('badinput.json');
if (bad) {
  console.log(`### Bad input: ${bad.length} cases\n`);
  console.log('| # | entry point | input | outcome | stored | test |');
  console.log('|---|---|---|---|---|---|');
  bad.forEach((c, i) => console.log(`| ${i + 1} | ${cell(c.entry)} | ${cell(c.case)} | ${cell(c.outcome)} | ${cell(c.stored)} | ${c.ok ? 'pass' : '**fail**'} |`));
  const by = {};
  for (const c of bad) by[c.entry] = (by[c.entry] || 0) + 1;
  console.log('\nCases per entry point: ' + Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ') +
    `. Passing: ${bad.filter((c) => c.ok).length} of ${bad.length}.\n`);
}
const res = load('resource-cases.json');
if (res) {
  console.log('### Disk full and read-only\n');
  console.log('| condition | entry point | input | outcome | stored | test |');
  console.log('|---|---|---|---|---|---|');
  for (const c of res) console.log(`| ${cell(c.condition)} | ${cell(c.entry)} | ${cell(c.input)} | ${cell(c.outcome)} | ${cell(c.stored)} | ${c.ok ? 'pass' : '**fail**'} |`);
  console.log('');
}
const spool = load('spool-cases.json');
if (spool) {
  console.log('### Spool drains on a full disk\n');
  console.log('| drainer | calls | while full | room again | test |');
  console.log('|---|---|---|---|---|');
  for (const c of spool) console.log(`| ${cell(c.drainer)} | ${cell(c.calls)} | ${cell(c['while full'])} | ${cell(c['room again'])} | ${c.ok ? 'pass' : '**fail**'} |`);
  console.log('');
}
const fig = load('figures.json');
if (fig) {
  console.log('### Figures\n');
  console.log('```json');
  console.log(JSON.stringify(fig, null, 2));
  console.log('```');
}
