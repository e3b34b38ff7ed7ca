#!/usr/bin/env bash
# tests/reliability/run.sh - the reliability and security tests (docs/reliability.md).
#
#   tests/reliability/run.sh                 the make-test sizes (about 3 minutes)
#   RELIABILITY_FULL=1 tests/reliability/run.sh   the full sizes (tests/stress/run.sh)
#   tests/reliability/run.sh crash badinput  only these files (tests/reliability/NAME.test.mjs)
#
# Runs the real binary (build/toolprof, or $TOOLPROF_BIN), copied first to a
# private directory so that a rebuild during the run cannot change it under
# the tests. Files run one after another: the concurrency and crash tests
# measure, and want the machine to themselves. Figures and the tables of
# cases go to build/reliability/ (tests/reliability/table.mjs prints them as
# Markdown). Some tests mount a tmpfs or add a network interface and need
# root; without it they are skipped with the reason.
#
# The last line is "N passed, N failed"; the exit status is non-zero when
# anything failed, was cancelled, or the runner broke.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin="${TOOLPROF_BIN:-build/toolprof}"
fail_early() {
  echo "reliability: $1"
  echo "0 passed, 1 failed"
  exit 1
}
[ -x "$bin" ] || fail_early "$bin is missing: run make first"
command -v node >/dev/null || fail_early "node (>= 20) is needed"
command -v sqlite3 >/dev/null || fail_early "the sqlite3 command is needed (integrity checks)"
command -v strace >/dev/null || fail_early "strace is needed (kills inside a commit)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-reliability.XXXXXX")
tap="$tmp/tap"
trap 'rm -rf "$tmp"' EXIT
cp "$bin" "$tmp/toolprof"
export TOOLPROF_BIN="$tmp/toolprof"
mkdir -p build/reliability

files=()
if [ $# -gt 0 ]; then
  for n in "$@"; do files+=("tests/reliability/$n.test.mjs"); done
else
  for n in exposure badinput connections diskfull spooldrain redaction concurrency crash resume; do files+=("tests/reliability/$n.test.mjs"); done
fi

sizes="make-test sizes"
[ "${RELIABILITY_FULL:-}" = 1 ] && sizes="full sizes"
echo "# reliability: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $sizes"
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
rc=$?

count() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$tap" | tail -n 1; }
pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled) skipped=$(count skipped)
pass=${pass:-0} fail=${fail:-0} cancelled=${cancelled:-0}
fail=$((fail + cancelled))
[ "${skipped:-0}" -gt 0 ] && echo "# ${skipped} skipped (see the reasons above)"
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
