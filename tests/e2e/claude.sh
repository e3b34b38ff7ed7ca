# tests/e2e/claude.sh - sourced by run.sh and record.sh: the pinned Claude
# Code client from npm.
#
# Installs @anthropic-ai/claude-code (package-lock.json) when node_modules is
# missing or older than the lock, then sets $claude to a working binary: the
# package's bin, else the platform package's binary directly (what the
# postinstall would have linked), else the postinstall is run. Needs node and
# npm; no network but the npm registry. Expects $here (this directory) and
# the working directory to be tests/e2e.

for t in node npm; do
    command -v "$t" >/dev/null 2>&1 || { echo "claude.sh: $t is missing (make test installs it)" >&2; exit 1; }
done

stamp=node_modules/.toolprof-stamp
install() {
    echo "claude.sh: npm ci (@anthropic-ai/claude-code, about 400 MB with its native binary)"
    rm -f "$stamp"
    # Not --ignore-scripts: the package's postinstall links the native binary
    # over bin/claude.exe (find_claude covers an npm that skips it).
    npm ci --no-audit --no-fund --include=optional --loglevel=error
    touch "$stamp"
}

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
        { echo "claude.sh: no working claude binary under $here/node_modules" >&2; exit 1; }
fi
