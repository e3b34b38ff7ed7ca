#!/usr/bin/env bash
# tests/run_asan.sh - the unit and integration suites again, built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build/asan). Any report
# aborts the process under test, which fails its test. Last line: the sum,
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total_p=0 total_f=0
add() { # the last "N passed, N failed" line of $1
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    total_p=$((total_p + BASH_REMATCH[1])) total_f=$((total_f + BASH_REMATCH[2]))
  else
    total_f=$((total_f + 1))
  fi
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
make --no-print-directory BUILD=build/asan OPT=-O1 SAN="$san" all unit 2>&1 | tee "$log"
add "$log"
TOOLPROF_BIN=build/asan/toolprof tests/run_integration.sh 2>&1 | tee "$log"
add "$log"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
