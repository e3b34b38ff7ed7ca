#!/usr/bin/env bash
# Run the team tests (tests/team/*.test.mjs): a team server on a real
# ClickHouse (Debian's clickhouse-server, started by the test with its own
# configuration in a temporary directory, on loopback ports) against a
# SQLite team server, three machines pushing to both. The binary is
# build/toolprof, or $TOOLPROF_BIN.
#
# clickhouse-server is installed from Debian (tests/deps.sh team) when it
# is missing and this runs as root (or with sudo); a clickhouse-server that
# cannot be had is a failure, never a skip. So is Chromium (/usr/bin/chromium,
# or $CHROMIUM), which the dashboard's checks drive through the browser
# suite's driver (tests/browser/chromium.mjs; its npm packages are installed
# by tests/browser/setup.sh).
#
# Output: node's spec report, the skipped tests and failures, and last
# "N passed, N failed, N skipped" (tests/reporter.mjs, tests/summary.sh).
# The exit status is non-zero when any test failed or was cancelled, no
# test ran, or the runner broke.
set -u
cd "$(dirname "$0")/../.." || exit 1
export TOOLPROF_BIN="${TOOLPROF_BIN:-build/toolprof}"
fail_early() {
  echo "team: $1"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}
[ -x "$TOOLPROF_BIN" ] || fail_early "$TOOLPROF_BIN is missing: run make first"
command -v node >/dev/null || fail_early "node (>= 20) is needed"
have_ch() {
  [ -n "${CLICKHOUSE_SERVER:-}" ] || [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ]
}
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM
if ! have_ch || ! [ -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
    tests/deps.sh team || fail_early "installing clickhouse-server and chromium (tests/deps.sh team) failed"
  fi
  have_ch || fail_early "clickhouse-server is not installed (tests/deps.sh team installs it, as root)"
  [ -x "$CHROMIUM" ] || fail_early "no Chromium at $CHROMIUM (tests/deps.sh team installs it, as root)"
fi
tests/browser/setup.sh || fail_early "npm ci in tests/browser failed"

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./tests/reporter.mjs --test-reporter-destination="$summary" tests/team/*.test.mjs
rc=$?
tests/summary.sh "$summary" "$rc"
