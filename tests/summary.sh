#!/usr/bin/env bash
# tests/summary.sh FILE RC - end a node:test suite's output: print what
# tests/reporter.mjs wrote to FILE (the skipped tests with their reasons,
# the failures, and "N passed, N failed, N skipped"), correcting the counts
# for what the reporter cannot see: a runner that exited non-zero (RC)
# without a counted failure, or a run without any test, is one failure.
# Exits non-zero when anything failed.
set -u
file=$1 rc=$2
line=$(tail -n 1 "$file" 2>/dev/null)
p=0 f=0 s=0
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
  p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  sed '$d' "$file"
else
  echo "not ok - the test runner ended without its summary (exit $rc)"
  f=1
fi
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
  echo "not ok - the test runner exited $rc without a failed test"
  f=1
fi
if [ $((p + f + s)) -eq 0 ]; then
  echo "not ok - no test ran"
  f=1
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
