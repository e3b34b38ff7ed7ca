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
# root; without it they are skipped with the reason (tests/run_all.sh,
# which CI runs as root, fails on a skip tests/allowed-skips.txt does not
# list).
#
# Output: node's spec report, one line per skipped test and per failure,
# and last "N passed, N failed, N skipped" (tests/reporter.mjs); the exit
# status is non-zero when anything failed, was cancelled, no test ran, or
# the runner broke. A name without a test file is an error.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin="${TOOLPROF_BIN:-build/toolprof}"
fail_early() {
  echo "reliability: $1"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}
[ -x "$bin" ] || fail_early "$bin is missing: run make first"
command -v node >/dev/null || fail_early "node (>= 20) is needed"
command -v sqlite3 >/dev/null || fail_early "the sqlite3 command is needed (integrity checks)"
command -v strace >/dev/null || fail_early "strace is needed (kills inside a commit)"

files=()
if [ $# -gt 0 ]; then
  for n in "$@"; do
    [ -f "tests/reliability/$n.test.mjs" ] || fail_early "no test file tests/reliability/$n.test.mjs"
    files+=("tests/reliability/$n.test.mjs")
  done
else
  # In this order (the measuring ones last); a file left out of it would
  # never run, so that is an error.
  order="exposure badinput connections diskfull spooldrain redaction concurrency crash resume"
  for f in tests/reliability/*.test.mjs; do
    n=$(basename "$f" .test.mjs)
    [[ " $order " == *" $n "* ]] || fail_early "$f is not in run.sh's order: add it"
  done
  for n in $order; do files+=("tests/reliability/$n.test.mjs"); done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-reliability.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$bin" "$tmp/toolprof"
export TOOLPROF_BIN="$tmp/toolprof"
mkdir -p build/reliability

sizes="make-test sizes"
[ "${RELIABILITY_FULL:-}" = 1 ] && sizes="full sizes"
echo "# reliability: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $sizes"
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./tests/reporter.mjs --test-reporter-destination="$tmp/summary" "${files[@]}"
rc=$?
tests/summary.sh "$tmp/summary" "$rc"
