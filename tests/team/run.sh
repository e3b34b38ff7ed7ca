#!/usr/bin/env bash
# Run the team tests (tests/team/*.test.mjs): a team server on a real
# ClickHouse (Debian's clickhouse-server, installed by tests/deps.sh test)
# against a SQLite store, three machines pushing to both. The binary is
# build/toolprof, or $TOOLPROF_BIN.
#
# The last line is "N passed, N failed"; the exit status is non-zero when
# any test failed, was cancelled, or the runner broke. A missing
# clickhouse-server is a failure, never a skip.
set -u
cd "$(dirname "$0")/../.."
export TOOLPROF_BIN="${TOOLPROF_BIN:-build/toolprof}"
if [ ! -x "$TOOLPROF_BIN" ]; then
  echo "team: $TOOLPROF_BIN is missing: run make first"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "team: node (>= 20) is needed"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -x /usr/sbin/clickhouse-server ] && [ ! -x /usr/bin/clickhouse-server ] && [ -z "${CLICKHOUSE_SERVER:-}" ]; then
  echo "team: clickhouse-server is not installed (tests/deps.sh test installs it)"
  echo "0 passed, 1 failed"
  exit 1
fi

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/team/*.test.mjs
rc=$?

count() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$tap" | tail -n 1; }
pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled)
pass=${pass:-0} fail=${fail:-0} cancelled=${cancelled:-0}
fail=$((fail + cancelled))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
