#!/usr/bin/env bash
# tests/stress/run.sh - `make stress`: the long reliability runs.
#
# The reliability suite (tests/reliability/run.sh) at its full sizes: 16 hook
# writers x 5,000 calls each while the server and the CLI answer queries,
# 20 SIGKILLs of the server and 20 of the importer during bulk ingest, 20
# SIGKILLs of the import of each file format (files of 300,000 operations or
# 100 MB) then resumed to the end, the issue 16 scenario (five trials of a
# 300,000-operation export killed five times), 2,000 read-your-writes
# rounds, and the whole bad input battery, disk-full and exposure tests. Each size can still be set alone (RELIABILITY_WRITERS,
# RELIABILITY_OPS, RELIABILITY_KILLS, ...; see tests/reliability/lib.mjs).
# The figures of the run are in build/reliability/figures.json and are the
# ones docs/reliability.md quotes.
#
# The last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
export RELIABILITY_FULL=1
exec tests/reliability/run.sh "$@"
