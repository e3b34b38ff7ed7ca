#!/bin/sh
# tests/e2e/run.sh - the end-to-end test with the real Claude Code client.
#
# Installs the pinned @anthropic-ai/claude-code from npm (claude.sh), prints
# its version, and runs e2e.mjs against build/toolprof (build it first:
# `make e2e` or `make test` do). Needs node and npm; no network but the npm
# registry.
#   TOOLPROF_BIN=...       another toolprof binary (e.g. an ASan build)
#   TOOLPROF_E2E_KEEP=1    keep the temporary directory
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
. ./claude.sh
echo "e2e: claude $("$claude" --version) ($claude)"

CLAUDE_BIN=$claude exec node "$here/e2e.mjs"
