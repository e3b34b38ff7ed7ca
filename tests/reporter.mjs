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
  // node reports the files one after the other, each file's events
  // together, so one stack of the tests started gives the full names. The
  // file is that of the top-level test (a test declared through a helper,
  // like reliability/lib.mjs's tcase(), has the helper as its own file).
  const stack = [];
  let file = '?';
  const fullName = (d) => `${file}: ${stack.slice(0, d.nesting).concat(d.name).join(' > ')}`;
  const oneLine = (s) => String(s).replace(/\s*\n\s*/g, ' ');
  for await (const ev of source) {
    const d = ev.data;
    if (ev.type === 'test:start') {
      if (d.nesting === 0) file = path.basename(d.file || '?');
      stack.length = d.nesting;
      stack.push(d.name);
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
      // A hook of a file's root test (lib.mjs's "still running" check)
      // fails under the name of the file that declared the hook.
      const name = d.nesting === 0 && d.file && d.name === d.file && path.basename(d.file) !== file
        ? `${file}: after its last test (${path.basename(d.file)})` : fullName(d);
      yield `not ok - ${name}${kind && kind !== 'testCodeFailure' ? ` (${kind})` : ''}: ${oneLine(msg).slice(0, 300)}\n`;
    }
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
