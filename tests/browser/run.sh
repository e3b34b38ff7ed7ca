#!/usr/bin/env bash
# tests/browser/run.sh - the dashboard in headless Chromium against the real binary.
#
#   tests/browser/run.sh                 start build/toolprof serve on a fresh data dir
#   TOOLPROF_BIN=path tests/browser/run.sh
#   TOOLPROF_URL=http://127.0.0.1:P tests/browser/run.sh   use a server that is already
#                                        running (its data dir must start empty); the token
#                                        cases run when TOOLPROF_TOKEN_URL and
#                                        TOOLPROF_TEST_TOKEN name a second one started with
#                                        --token, the recorded-store cases when
#                                        TOOLPROF_REC_URL, TOOLPROF_REC_DATA, TOOLPROF_REC_NOW,
#                                        TOOLPROF_OLD_URL, TOOLPROF_OLD_NOW and TOOLPROF_BIN do
#
# Without TOOLPROF_URL it starts four servers: an empty one, one with --token, and two
# over the recordings of tests/data (imported with the real `toolprof import`, "now"
# pinned an hour and 40 days after the recorded session).
#
# Installs playwright-core and axe-core (pinned by package-lock.json; no browser is
# downloaded) when
# node_modules is missing or older than the lock file, and drives /usr/bin/chromium
# (override with CHROMIUM=...). Screenshots go to build/dashboard*.png. The last line
# is "N passed, N failed"; the exit status is 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

fail_early() {
  echo "not ok - $1"
  echo "0 passed, 1 failed"
  exit 1
}

command -v node >/dev/null || fail_early "node is not installed"
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM
[ -x "$CHROMIUM" ] || fail_early "no Chromium at $CHROMIUM"

stamp="$here/node_modules/.toolprof-stamp"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    fail_early "npm ci in tests/browser failed"
  touch "$stamp"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-browser.XXXXXX")
pids=()
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME [serve options...]: start the binary on a fresh data dir (or the
# one import_into filled) and a free loopback port; set $started_url to the address
# it printed. With $now_ms set, the server's "now" is pinned there.
start_server() {
  local name=$1 port url=
  shift
  mkdir -p "$tmp/$name/data" "$tmp/$name/home"
  # A free loopback port: ask the kernel, then let the server bind it.
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  # --no-watch and a private HOME: the data directory must start empty, so the
  # server must not import this machine's Claude Code transcripts.
  env ${now_ms:+TOOLPROF_NOW_MS=$now_ms} HOME="$tmp/$name/home" "$bin" --data-dir "$tmp/$name/data" \
    serve --listen "127.0.0.1:$port" --no-watch "$@" >"$tmp/$name/out" 2>"$tmp/$name/err" &
  pids+=($!)
  for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/$name/out" 2>/dev/null | head -n 1)
    [ -n "$url" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    sed "s/^/  $name: /" "$tmp/$name/out" "$tmp/$name/err"
    fail_early "toolprof serve ($name) did not print 'listening on http://127.0.0.1:PORT'"
  fi
  started_url=$url
}

# import_into NAME: the recordings of tests/data into NAME's data dir, with the real
# `toolprof import` (and "now" pinned at $now_ms, as the server will have it).
import_into() {
  local name=$1
  mkdir -p "$tmp/$name/data" "$tmp/$name/home"
  if ! env ${now_ms:+TOOLPROF_NOW_MS=$now_ms} HOME="$tmp/$name/home" "$bin" --data-dir "$tmp/$name/data" \
    import --quiet tests/data/recorded/claude/projects tests/data/legacy/claude-2.1/projects \
    tests/data/legacy/claude-1.0/projects >"$tmp/$name/import" 2>&1; then
    sed "s/^/  $name import: /" "$tmp/$name/import"
    fail_early "toolprof import of tests/data into $name failed"
  fi
}

url=${TOOLPROF_URL:-}
if [ -z "$url" ]; then
  bin=${TOOLPROF_BIN:-build/toolprof}
  [ -x "$bin" ] || fail_early "$bin is missing: run make first"
  start_server main
  url=$started_url
  # A second server that requires a token, for the token cases.
  export TOOLPROF_TEST_TOKEN=browser-test-token-1234
  start_server token --token "$TOOLPROF_TEST_TOKEN"
  export TOOLPROF_TOKEN_URL=$started_url
  # The recordings of tests/data, an hour after the recorded session (so it is in
  # the last 24 hours and the hand-made 2025 and early-2026 sessions are older than
  # 30 days) ...
  rec_start=1796433203355 # the recorded session's first call (tests/data/reference.py)
  now_ms=$((rec_start + 3600000)) import_into rec
  now_ms=$((rec_start + 3600000)) start_server rec
  export TOOLPROF_REC_URL=$started_url TOOLPROF_REC_DATA="$tmp/rec/data" \
    TOOLPROF_REC_NOW=$((rec_start + 3600000))
  # ... and the same history 40 days later: nothing in the last 30 days.
  now_ms=$((rec_start + 40 * 86400000)) import_into old
  now_ms=$((rec_start + 40 * 86400000)) start_server old
  export TOOLPROF_OLD_URL=$started_url TOOLPROF_OLD_NOW=$((rec_start + 40 * 86400000))
  TOOLPROF_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
  export TOOLPROF_BIN
fi

mkdir -p build
node "$here/dashboard.mjs" "$url" build | tee "$tmp/test.out"
rc=${PIPESTATUS[0]}
dumped=
if [ "$rc" -ne 0 ]; then
  for name in main token rec old; do
    [ -s "$tmp/$name/err" ] || continue
    echo "# $name server stderr (last 20 lines):"
    tail -n 20 "$tmp/$name/err" | sed 's/^/#   /'
    dumped=1
  done
fi
# The summary must be the last line, even if node died before printing it.
summary=$(tail -n 1 "$tmp/test.out")
if ! [[ $summary =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
  echo "not ok - dashboard.mjs exited ($rc) without a summary"
  echo "0 passed, 1 failed"
  exit 1
fi
[ -n "$dumped" ] && echo "$summary"
exit "$rc"
