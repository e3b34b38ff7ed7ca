// reporter.mjs - a node:test reporter that ends with the line every suite of
// `make test` ends with: "N passed, N failed, N skipped".
//
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//        --test-reporter=./tests/reporter.mjs --test-reporter-destination=FILE ...
//
// Writes one line per skipped test, "skipped - FILE: SUITE > TEST # why"
// (tests/run_all.sh checks them against tests/allowed-skips.txt), one line
// per failure, "not ok - FILE: SUITE > TEST", and the counts. Counted:
//   passed   tests (not suites) that passed and were not skipped;
//   failed   tests that failed or were cancelled, and suites or files that
//            failed on their own: a failed before/after hook (a server that
//            exited badly in after()), a file that threw while loading, or
//            a file that defined no test at all.
//            A suite or test that failed only because a subtest did is not
//            counted again;
//   skipped  skipped tests, and todo tests (a todo cannot fail, so it is
//            reported as a skip with its reason).

import path from 'node:path';

export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const stacks = new Map(); // file -> names of the tests started, by nesting
  const fullName = (d) => {
    const st = stacks.get(d.file) || [];
    const names = st.slice(0, d.nesting).concat(d.name);
    return `${path.basename(d.file || '?')}: ${names.join(' > ')}`;
  };
  const oneLine = (s) => String(s).replace(/\s*\n\s*/g, ' ');
  for await (const ev of source) {
    const d = ev.data;
    if (ev.type === 'test:start') {
      const st = stacks.get(d.file) || [];
      st.length = d.nesting;
      st.push(d.name);
      stacks.set(d.file, st);
    } else if (ev.type === 'test:pass') {
      if (d.details?.type === 'suite') continue;
      if (d.nesting === 0 && d.file && d.name === d.file) {
        // node reports a file that defined no test as one passing "test"
        // named after the file: a file that tests nothing is a failure.
        failed++;
        yield `not ok - ${path.basename(d.file)}: defines no test\n`;
        continue;
      }
      if (d.skip !== undefined || d.todo !== undefined) {
        skipped++;
        const why = d.skip !== undefined ? d.skip : `todo ${d.todo === true ? '' : d.todo}`;
        yield `skipped - ${fullName(d)} # ${oneLine(why === true ? '(no reason given)' : why)}\n`;
      } else {
        passed++;
      }
    } else if (ev.type === 'test:fail') {
      const kind = d.details?.error?.failureType;
      if (kind === 'subtestsFailed') continue; // counted in the subtest
      failed++;
      const msg = d.details?.error?.cause?.message || d.details?.error?.message || '';
      yield `not ok - ${fullName(d)}${kind && kind !== 'testCodeFailure' ? ` (${kind})` : ''}: ${oneLine(msg).slice(0, 300)}\n`;
    }
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
