#!/usr/bin/env bash
# tests/clone.sh - the repository stands on its own: a clone of HEAD, alone
# in a fresh directory, passes its unit and integration tests.
#
# The clone goes to <tmp>/toolprof clone.XXXXXX/toolprof: a path with a
# space in it, in a folder named toolprof (the name `git clone` gives it),
# with nothing beside it, so that a test that reads outside the repository
# or depends on where it lives fails here. Checked there:
#   - `git grep -n '\.\./shared'` finds nothing in src/, tests/, bench/,
#     Makefile or .ci/ (nor the other ways the samples were once reached);
#   - `make unit` and `make integration` pass (built from scratch: the
#     integration build fetches the dashboard's npm packages).
# Only what is committed is tested: commit first. The suites' output goes
# to build/test-logs/clone-*.log here (not beside the clone). The clone is
# removed afterwards unless a check failed or TOOLPROF_CLONE_KEEP=1.
# Output: one "ok - ..." / "not ok - ..." line per check, then
# "N passed, N failed, 0 skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
src=$(pwd)
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() {
  echo "not ok - $1"
  fail=$((fail + 1))
}
finish() {
  if [ "$fail" -eq 0 ] && [ "${TOOLPROF_CLONE_KEEP:-0}" != 1 ]; then
    rm -rf "$tmp"
  elif [ -n "${tmp:-}" ]; then
    echo "# kept $tmp"
  fi
  echo "$pass passed, $fail failed, 0 skipped"
  [ "$fail" -eq 0 ]
  exit
}

head=$(git rev-parse HEAD) || { not_ok "git rev-parse HEAD in $src"; finish; }
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "# note: uncommitted changes in $src are not in the clone (it tests $head)"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/toolprof clone.XXXXXX") || { not_ok "mktemp"; finish; }
dest=$tmp/toolprof
logs=$src/build/test-logs
mkdir -p "$logs"

# A clone of this repository at HEAD (also from a linked worktree, whose
# HEAD is not the repository's).
if git clone --quiet --no-checkout --no-hardlinks "$src" "$dest" 2>"$logs/clone-git.log" &&
   git -C "$dest" checkout --quiet --detach "$head" 2>>"$logs/clone-git.log"; then
  ok "git clone of $head into \"$dest\""
else
  not_ok "git clone of $head into \"$dest\""
  sed 's/^/#   /' "$logs/clone-git.log"
  finish
fi
beside=$(ls -A "$tmp")
if [ "$beside" = toolprof ]; then
  ok "nothing beside the clone"
else
  not_ok "nothing beside the clone (found: $beside)"
fi

# The tests read nothing outside the repository.
found=$(git -C "$dest" grep -n '\.\./shared' -- src tests bench Makefile .ci)
other=$(git -C "$dest" grep -n -E "shared/fixture[s]|TOOLPROF_FIXTURE[S]|'shared', *'fixture[s]'" -- \
  src tests bench Makefile .ci)
if [ -z "$found$other" ]; then
  ok "git grep -n '\\.\\./shared' finds nothing in src tests bench Makefile .ci"
else
  not_ok "git grep -n '\\.\\./shared' finds nothing in src tests bench Makefile .ci"
  printf '%s\n%s\n' "$found" "$other" | sed '/^$/d; s/^/#   /' | head -20
fi

# A suite run in the clone: it must exit 0 and end with "N passed, 0 failed,
# 0 skipped".
run_suite() { # name, log, command...
  local name=$1 log=$2
  shift 2
  (cd "$dest" && "$@") >"$log" 2>&1
  local rc=$? line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ] && [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed,\ 0\ skipped$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    ok "$name in the clone: $line"
  else
    not_ok "$name in the clone (exit $rc): ${line:-no summary line}"
    tail -n 40 "$log" | sed 's/^/#   /'
  fi
}
jobs=${TOOLPROF_CLONE_JOBS:-2}
run_suite "make unit" "$logs/clone-unit.log" nice -n 10 make --no-print-directory -j"$jobs" unit
run_suite "make integration" "$logs/clone-integration.log" nice -n 10 make --no-print-directory -j"$jobs" integration
finish
