#!/bin/sh
# tests/e2e/run.sh - the end-to-end tests with the real clients.
#
# 1. Claude Code: installs the pinned @anthropic-ai/claude-code from npm
#    (claude.sh), prints its version, and runs e2e.mjs (a scripted session
#    in print mode, every channel) and approval.mjs (an interactive session
#    in tmux whose permission prompts the test answers after known delays,
#    about two minutes).
# 2. Codex CLI and Gemini CLI: installs tests/agents' pinned clients
#    (agents.sh) and runs tests/agents/e2e.mjs.
# All run against build/toolprof (build it first: `make e2e` or `make test`
# do). The last line adds up every part: "N passed, N failed, N skipped"; a
# part that ends without its own such line counts as one failure. Needs
# node, npm and tmux; no network but the npm registry.
#   TOOLPROF_BIN=...       another toolprof binary (e.g. an ASan build)
#   TOOLPROF_E2E_KEEP=1    keep the temporary directories
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v tmux >/dev/null 2>&1 || { echo "e2e: tmux is missing (make test installs it)" >&2; exit 1; }
. ./claude.sh
echo "e2e: claude $("$claude" --version) ($claude)"
. ./agents.sh
echo "e2e: codex $("$agents_dir/node_modules/.bin/codex" --version), gemini $(HOME=${TMPDIR:-/tmp} "$agents_dir/node_modules/.bin/gemini" --version)"

logs=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-e2e-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT
pass=0 fail=0 skip=0
# part NAME CMD...: runs CMD with its output shown and kept; adds its
# counts, or one failure when its last line is not a summary.
part() {
    name=$1
    shift
    rc=0
    "$@" >"$logs/$name" 2>&1 || rc=$?
    cat "$logs/$name"
    last=$(tail -n 1 "$logs/$name")
    if echo "$last" | grep -Eq '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'; then
        set -- $last
        pass=$((pass + $1)) fail=$((fail + $3)) skip=$((skip + $5))
        if [ "$rc" -ne 0 ] && [ "$3" -eq 0 ]; then
            echo "not ok - $name exited $rc with no failed check"
            fail=$((fail + 1))
        fi
    else
        echo "not ok - $name ended without its summary line (exit $rc)"
        fail=$((fail + 1))
    fi
}
part claude env CLAUDE_BIN="$claude" node "$here/e2e.mjs"
part approval env CLAUDE_BIN="$claude" node "$here/approval.mjs"
part agents node "$agents_dir/e2e.mjs"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
