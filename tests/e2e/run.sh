#!/bin/sh
# tests/e2e/run.sh - the end-to-end test with the real Claude Code client.
#
# Installs the pinned @anthropic-ai/claude-code from npm (package-lock.json)
# when node_modules is missing or older than the lock, finds its native
# binary, and runs e2e.mjs against build/toolprof (build it first: `make e2e`
# or `make test` do). Needs node and npm; no network but the npm registry.
#   TOOLPROF_BIN=...       another toolprof binary (e.g. an ASan build)
#   TOOLPROF_E2E_KEEP=1    keep the temporary directory
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

for t in node npm; do
    command -v "$t" >/dev/null 2>&1 || { echo "e2e: $t is missing (make test installs it)" >&2; exit 1; }
done

stamp=node_modules/.toolprof-stamp
install() {
    echo "e2e: npm ci (@anthropic-ai/claude-code, about 400 MB with its native binary)"
    rm -f "$stamp"
    # Not --ignore-scripts: the package's postinstall links the native binary
    # over bin/claude.exe (find_claude covers an npm that skips it).
    npm ci --no-audit --no-fund --include=optional --loglevel=error
    touch "$stamp"
}

# The claude binary: the package's bin, else the platform package's binary
# directly (what the postinstall would have linked), else run the postinstall.
works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
find_claude() {
    claude=$here/node_modules/.bin/claude
    works "$claude" && return 0
    for p in "$here"/node_modules/@anthropic-ai/claude-code-linux-*/claude; do
        if works "$p"; then claude=$p; return 0; fi
    done
    [ -f node_modules/@anthropic-ai/claude-code/install.cjs ] &&
        (cd node_modules/@anthropic-ai/claude-code && node install.cjs) >/dev/null 2>&1
    claude=$here/node_modules/.bin/claude
    works "$claude"
}

installed=
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
    install
    installed=1
fi
if ! find_claude; then
    [ -z "$installed" ] && install && find_claude ||
        { echo "e2e: no working claude binary under $here/node_modules" >&2; exit 1; }
fi
echo "e2e: claude $("$claude" --version) ($claude)"

CLAUDE_BIN=$claude exec node "$here/e2e.mjs"
