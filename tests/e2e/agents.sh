# tests/e2e/agents.sh - sourced by run.sh: the pinned Codex CLI, Gemini CLI
# and OpenCode clients of tests/agents (its package-lock.json).
#
# Runs `npm ci` in tests/agents when node_modules is missing or older than
# the lock, then checks that the codex and gemini binaries answer
# --version; sets $agents_dir. Needs node and npm; no network but the npm
# registry. Expects $here (tests/e2e).

agents_dir=$(cd "$here/../agents" && pwd)
agents_stamp=$agents_dir/node_modules/.toolprof-stamp
agents_install() {
    echo "agents.sh: npm ci in tests/agents (@openai/codex, @google/gemini-cli, opencode-ai)"
    rm -f "$agents_stamp"
    (cd "$agents_dir" && npm ci --no-audit --no-fund --include=optional --loglevel=error) || return 1
    touch "$agents_stamp"
}
agents_work() {
    "$agents_dir/node_modules/.bin/codex" --version >/dev/null 2>&1 &&
        HOME=${TMPDIR:-/tmp} "$agents_dir/node_modules/.bin/gemini" --version >/dev/null 2>&1
}
if [ ! -f "$agents_stamp" ] || [ "$agents_dir/package-lock.json" -nt "$agents_stamp" ] ||
    [ "$agents_dir/package.json" -nt "$agents_stamp" ] || ! agents_work; then
    agents_install || { echo "agents.sh: npm ci failed" >&2; exit 1; }
fi
agents_work || { echo "agents.sh: no working codex or gemini binary under $agents_dir/node_modules" >&2; exit 1; }
