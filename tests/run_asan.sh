#!/usr/bin/env bash
# tests/run_asan.sh [PART...] - the suites again against a build with
# AddressSanitizer and UndefinedBehaviorSanitizer (build/asan):
#
#   unit         the unit tests
#   fuzz         the fuzz corpora replayed (tests/fuzz/replay.sh)
#   integration  tests/run_integration.sh
#   reliability  tests/reliability/run.sh, at smaller sizes (below)
#   e2e          the real Claude Code client (tests/e2e/run.sh)
#
# All of them by default; a name that is not a part is an error. Every
# process a test starts ends through a helper that fails the test on a
# sanitizer report in its stderr (tests/integration/lib.mjs; the unit and
# replay runners see the abort), so a leak in an error path, reported by
# LeakSanitizer when the server exits, fails the test that stopped it.
#
# The reliability tests run here to cover their paths (kills, full disks,
# bad input, concurrent writers) under the sanitizers, not to measure: their
# sizes are cut (RELIABILITY_* below: an instrumented process starts slowly,
# and the writers start one per hook call) and their figures go to
# build/asan/reliability, not build/reliability.
#
# Last line: the sum, "N passed, N failed, N skipped"; skipped tests are
# listed by the parts as they run.
set -u
cd "$(dirname "$0")/.." || exit 1
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
bin=$PWD/build/asan/toolprof
parts=(unit fuzz integration reliability e2e)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${parts[@]}")
for n in "${want[@]}"; do
  if [[ " ${parts[*]} " != *" $n "* ]]; then
    echo "run_asan: no part '$n' (parts: ${parts[*]})"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
done
wants() { [[ " ${want[*]} " == *" $1 "* ]]; }

total_p=0 total_f=0 total_s=0
add() { # the last "N passed, N failed, N skipped" line of $1; $2: the exit status
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    total_p=$((total_p + BASH_REMATCH[1])) total_f=$((total_f + BASH_REMATCH[2]))
    total_s=$((total_s + BASH_REMATCH[3]))
    [ "$2" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && total_f=$((total_f + 1))
  else
    total_f=$((total_f + 1))
  fi
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
part() { # NAME COMMAND...: run it, show its output, add its counts
  echo "# asan: $1"
  shift
  "$@" 2>&1 | tee "$log"
  add "$log" "${PIPESTATUS[0]}"
}

build=(make --no-print-directory BUILD=build/asan OPT=-O1 SAN="$san")
if wants unit; then
  part unit "${build[@]}" all unit
elif ! "${build[@]}" all > "$log" 2>&1; then
  tail -20 "$log"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
wants fuzz && part fuzz env BUILD=build/asan OPT=-O1 SAN="$san" tests/fuzz/replay.sh
wants integration && part integration env TOOLPROF_BIN="$bin" tests/run_integration.sh
wants reliability && part reliability env TOOLPROF_BIN="$bin" \
  RELIABILITY_FIGURES_DIR="$PWD/build/asan/reliability" \
  RELIABILITY_WRITERS=4 RELIABILITY_OPS=50 RELIABILITY_MIXED_OPS=50 RELIABILITY_RYW_WRITES=100 \
  RELIABILITY_KILLS=2 RELIABILITY_CRASH_HOOKS=25 tests/reliability/run.sh
wants e2e && part e2e env TOOLPROF_BIN="$bin" tests/e2e/run.sh
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
