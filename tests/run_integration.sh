#!/usr/bin/env bash
# Run the integration tests (tests/integration/*.test.mjs) against the real
# binary: build/toolprof, or $TOOLPROF_BIN (make asan sets it to the
# sanitizer build). Needs npm for tests/otel (the OpenTelemetry SDK client).
# Each test file starts its own servers on free loopback
# ports with temporary data directories, so files run in parallel.
#
#   tests/run_integration.sh             every file
#   tests/run_integration.sh api watch   only these (tests/integration/NAME.test.mjs);
#                                        a name without a file is an error
#
# Output: node's spec report, then one line per skipped test ("skipped -
# FILE: SUITE > TEST # why") and per failure, and last "N passed, N failed,
# N skipped" (tests/reporter.mjs). The exit status is non-zero when any test
# failed or was cancelled, no test ran, or the runner broke.
set -u
cd "$(dirname "$0")/.." || exit 1
export TOOLPROF_BIN="${TOOLPROF_BIN:-build/toolprof}"
fail_early() {
  echo "run_integration: $1"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}
[ -x "$TOOLPROF_BIN" ] || fail_early "$TOOLPROF_BIN is missing: run make first"
command -v node >/dev/null || fail_early "node (>= 20) is needed"

files=()
if [ $# -gt 0 ]; then
  for n in "$@"; do
    [ -f "tests/integration/$n.test.mjs" ] || fail_early "no test file tests/integration/$n.test.mjs"
    files+=("tests/integration/$n.test.mjs")
  done
else
  files=(tests/integration/*.test.mjs)
fi

# The independent OTLP client (tests/otel: the OpenTelemetry JS SDK, pinned
# by its package-lock.json) is installed when missing or older than the lock.
otel=tests/otel
if [ ! -f "$otel/node_modules/.toolprof-stamp" ] || [ "$otel/package-lock.json" -nt "$otel/node_modules/.toolprof-stamp" ]; then
  if ! (cd "$otel" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.toolprof-stamp); then
    fail_early "npm ci in $otel failed"
  fi
fi

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./tests/reporter.mjs --test-reporter-destination="$summary" "${files[@]}"
rc=$?
tests/summary.sh "$summary" "$rc"
