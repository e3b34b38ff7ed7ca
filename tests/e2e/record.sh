#!/bin/sh
# tests/e2e/record.sh - what `make fixtures` runs: record tests/data/ again
# with the real Claude Code client (record.mjs; tests/data/MANIFEST.md says
# what is recorded and what differs between two recordings).
#
# Installs the pinned @anthropic-ai/claude-code from npm (claude.sh). Needs
# node, npm, tmux (the interactive run) and openssl (the certificate of the
# page WebFetch reads); no network but the npm registry. Afterwards run
# `python3 tests/data/reference.py` and compare its counts with the ones the
# unit tests assert (MANIFEST.md, "After a new recording").
#   record.sh [--out DIR]    (default tests/data/recorded, replaced whole)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
for t in tmux openssl; do
    command -v "$t" >/dev/null 2>&1 || { echo "record: $t is missing (Debian: apt-get install $t)" >&2; exit 1; }
done
. ./claude.sh
echo "record: claude $("$claude" --version) ($claude)"
CLAUDE_BIN=$claude exec node "$here/record.mjs" "$@"
