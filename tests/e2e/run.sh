#!/bin/sh
# tests/e2e/run.sh - the end-to-end tests with the real Claude Code client.
#
# Installs the pinned @anthropic-ai/claude-code from npm (claude.sh), prints
# its version, and runs against build/toolprof (build it first: `make e2e`
# or `make test` do):
#   e2e.mjs       a scripted session in print mode, every channel
#   approval.mjs  an interactive session in tmux whose permission prompts
#                 the test answers after known delays (about two minutes)
# Each prints "N passed, N failed, N skipped" last; so does this script,
# over both.
# Needs node, npm and tmux; no network but the npm registry.
#   TOOLPROF_BIN=...       another toolprof binary (e.g. an ASan build)
#   TOOLPROF_E2E_KEEP=1    keep the temporary directories
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v tmux >/dev/null 2>&1 || { echo "e2e: tmux is missing (make test installs it)" >&2; exit 1; }
. ./claude.sh
echo "e2e: claude $("$claude" --version) ($claude)"

passed=0 failed=0 skipped=0 status=0
for t in e2e.mjs approval.mjs; do
    echo "== $t"
    log=$(mktemp)
    # The test's own exit status, through the pipe into tee.
    { rc=0; CLAUDE_BIN=$claude node "$here/$t" || rc=$?; echo "$rc" >"$log.rc"; } | tee "$log"
    [ "$(cat "$log.rc")" = 0 ] || status=1
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1 || true)
    rm -f "$log" "$log.rc"
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        status=1
        continue
    fi
    set -- $line
    passed=$((passed + $1)) failed=$((failed + $3)) skipped=$((skipped + $5))
done
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
