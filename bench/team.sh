#!/usr/bin/env bash
# bench/team.sh - the team server on ClickHouse: ingest through the team
# server and 7-day stats, trends and hotspots at OPS stored calls, beside
# the SQLite store on the same calls (`make bench-team`; bench/team.mjs
# says what is measured). Not part of `make test` or `make bench`.
#
#   bench/team.sh                          20M calls (needs about 6 GB of disk)
#   BENCH_TEAM_OPS=2000000 bench/team.sh   a smaller run
#
# Needs clickhouse-server (tests/deps.sh team) and node. BENCH_WORK is the
# scratch directory (default build/bench/team), removed afterwards unless
# BENCH_KEEP=1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=${BENCH_WORK:-$ROOT/build/bench/team}
BIN=build/bench
mkdir -p "$BIN"
CFLAGS_LIB=$(make -s print-cflags)
LDLIBS_LIB=$(make -s print-ldlibs)
# shellcheck disable=SC2086
gcc $CFLAGS_LIB -o "$BIN/bench_query" bench/bench_query.c build/libtoolprof.a $LDLIBS_LIB
echo "# $(date -u +%FT%TZ), $(nproc) cores, commit $(git rev-parse --short HEAD)"
TOOLPROF_BIN=${TOOLPROF_BIN:-build/toolprof} node bench/team.mjs "$WORK" "$BIN/bench_query"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"
