#!/usr/bin/env bash
# Run the integration tests (tests/integration/*.test.mjs) against the real
# binary: build/toolprof, or $TOOLPROF_BIN (make asan sets it to the
# sanitizer build). Needs npm for tests/otel (the OpenTelemetry SDK client). Each test file starts its own servers on free loopback
# ports with temporary data directories, so files run in parallel.
#
# The last line is "N passed, N failed" over every test; the exit status is
# non-zero when any test failed, was cancelled, or the runner broke.
set -u
cd "$(dirname "$0")/.."
export TOOLPROF_BIN="${TOOLPROF_BIN:-build/toolprof}"
if [ ! -x "$TOOLPROF_BIN" ]; then
  echo "run_integration: $TOOLPROF_BIN is missing: run make first"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "run_integration: node (>= 20) is needed"
  echo "0 passed, 1 failed"
  exit 1
fi

# The independent OTLP client (tests/otel: the OpenTelemetry JS SDK, pinned
# by its package-lock.json) is installed when missing or older than the lock.
otel=tests/otel
if [ ! -f "$otel/node_modules/.toolprof-stamp" ] || [ "$otel/package-lock.json" -nt "$otel/node_modules/.toolprof-stamp" ]; then
  if ! (cd "$otel" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.toolprof-stamp); then
    echo "run_integration: npm ci in $otel failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/integration/*.test.mjs
rc=$?

# The TAP summary: "# pass N", "# fail N", "# cancelled N".
count() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$tap" | tail -n 1; }
pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled)
pass=${pass:-0} fail=${fail:-0} cancelled=${cancelled:-0}
fail=$((fail + cancelled))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi # the runner itself broke
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
