#!/usr/bin/env bash
# tests/run_all.sh - every suite `make test` runs, in order, with one total.
#
# Each suite prints "N passed, N failed" as its last line; this script adds
# them up and ends with the same line over everything. A suite that breaks
# without its line counts as one failure. The exit status is 1 when anything
# failed. Output of each suite is kept in build/test-logs/.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/test-logs
total_pass=0 total_fail=0 failed=()

suite() {
  local name=$1; shift
  local log=build/test-logs/$name.log start=$SECONDS
  echo "== $name"
  "$@" > "$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  local p=0 f=1
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
  if [ "$f" -ne 0 ]; then
    failed+=("$name")
    echo "   FAILED ($p passed, $f failed, $((SECONDS - start)) s); last lines of $log:"
    tail -n 30 "$log" | sed 's/^/   | /'
  else
    echo "   $p passed ($((SECONDS - start)) s)"
  fi
}

suite unit make --no-print-directory unit
suite fuzz-corpus tests/fuzz/replay.sh
suite integration tests/run_integration.sh
suite clone tests/clone.sh
suite reliability tests/reliability/run.sh
suite browser tests/browser/run.sh
suite e2e tests/e2e/run.sh
suite asan make --no-print-directory asan
suite leaks tests/leaks.sh

[ ${#failed[@]} -gt 0 ] && echo "failing suites: ${failed[*]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
