#!/usr/bin/env bash
# tests/browser/run.sh - the dashboard in headless Chromium against the real binary.
#
#   tests/browser/run.sh                 dashboard.mjs starts build/toolprof serve five
#                                        times: plain and with --token on fresh data dirs,
#                                        on a data dir with a team token (a team server
#                                        on SQLite, team.mjs), and twice over the
#                                        recordings of tests/data
#                                        (imported with the real `toolprof import`, "now"
#                                        pinned an hour and 40 days after the recorded
#                                        session), and checks how each stops
#   TOOLPROF_BIN=path tests/browser/run.sh
#   TOOLPROF_URL=http://127.0.0.1:P tests/browser/run.sh   use a server that is already
#                                        running (its data dir must start empty); the token
#                                        cases run when TOOLPROF_TOKEN_URL and
#                                        TOOLPROF_TEST_TOKEN name a second one started with
#                                        --token, and are skipped (counted) otherwise; so
#                                        are the recorded-store cases unless
#                                        TOOLPROF_REC_URL, TOOLPROF_REC_DATA, TOOLPROF_REC_NOW,
#                                        TOOLPROF_OLD_URL and TOOLPROF_OLD_NOW name them,
#                                        and the team-mode cases unless
#                                        TOOLPROF_TEAMSQ_URL and TOOLPROF_TEAMSQ_TOKEN do
#
# Installs playwright-core and axe-core (setup.sh: pinned by package-lock.json; it
# downloads no browser) when
# node_modules is missing or older than the lock file, and drives /usr/bin/chromium
# (override with CHROMIUM=...). Screenshots go to build/dashboard*.png. The last line
# is "N passed, N failed, N skipped"; the exit status is 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

fail_early() {
  echo "not ok - $1"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}

command -v node >/dev/null || fail_early "node is not installed"
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM
[ -x "$CHROMIUM" ] || fail_early "no Chromium at $CHROMIUM"
if [ -z "${TOOLPROF_URL:-}" ]; then
  bin=${TOOLPROF_BIN:-build/toolprof}
  [ -x "$bin" ] || fail_early "$bin is missing: run make first"
fi

"$here/setup.sh" || fail_early "npm ci in tests/browser failed"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
mkdir -p build
node "$here/dashboard.mjs" "${TOOLPROF_URL:-}" build | tee "$out"
rc=${PIPESTATUS[0]}
# The summary must be the last line, even if node died before printing it.
summary=$(tail -n 1 "$out")
if ! [[ $summary =~ ^[0-9]+\ passed,\ [0-9]+\ failed,\ [0-9]+\ skipped$ ]]; then
  echo "not ok - dashboard.mjs exited ($rc) without a summary"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
exit "$rc"
