#!/usr/bin/env bash
# tests/browser/setup.sh - install what the dashboard's tests drive Chromium
# with: playwright-core and axe-core, pinned by tests/browser/package-lock.json,
# into tests/browser/node_modules (it downloads no browser), when node_modules
# is missing or older than the lock file. Used by tests/browser/run.sh and
# tests/team/run.sh (tests/team/dashboard.mjs shares tests/browser/chromium.mjs).
# Exits non-zero when npm fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
stamp="$here/node_modules/.toolprof-stamp"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || exit 1
  touch "$stamp"
fi
