#!/usr/bin/env bash
# tests/meta/run.sh [CHECK...] - the tests of the tests: each check puts one
# deliberate fault into a scratch copy of the tree, builds there what the
# fault needs, runs the one suite that must catch it, and passes only when
# that suite fails for that reason. The real tree is never touched.
#
#   leak       a leak in a server error path (a query that answers 400
#              forgets to free the parameters parsed before the bad one):
#              the integration suite under the sanitizers fails with a
#              LeakSanitizer report of the server
#   overflow   a one-byte heap overflow reachable from a fuzz corpus input
#              (the percent-decoder allocates one byte short): the sanitizer
#              replay of the corpora fails with a heap-buffer-overflow
#   watcher    a watcher that drops the second half of a file (it stops
#              listening for appends): the integration suite fails on the
#              transcript written in two halves
#   skip       a test that skips in CI (the nobody test of lifecycle.test.mjs
#              skips as it once did as root): `make test`'s runner fails on
#              a skip tests/allowed-skips.txt does not list
#   unknown    a test name or suite that does not exist, given to a unit
#              binary and to each runner: each fails instead of passing an
#              empty run
#   empty      a test file that defines no test, and a test that asserts
#              nothing: both fail
#   layering   SQLite reached from outside the store: a CLI module that
#              includes <sqlite3.h>, an engine module that includes a store
#              header bringing it in (store/rollup.h): the unit suite's
#              test_layout fails, naming both
#
# The scratch copy is the tree's files as they are now (tracked and new, git
# ignores aside), with the objects of build/ and build/asan/ copied along
# (times kept), so that make rebuilds only what the fault changed.
# Last line: "N passed, N failed, N skipped" (checks).
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
checks=(leak overflow watcher skip unknown empty layering)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${checks[@]}")
for n in "${want[@]}"; do
  if [[ " ${checks[*]} " != *" $n "* ]]; then
    echo "meta: no check '$n' (checks: ${checks[*]})"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
done
pass=0 fail=0

# A scratch copy of the tree; KIND plain or asan also copies that build.
scratch() {
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/toolprof-meta.XXXXXX")
  git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$d"
  [ -d web/node_modules ] && [ ! -e "$d/web/node_modules" ] && ln -s "$root/web/node_modules" "$d/web/node_modules"
  local from=build to=$d/build
  [ "$1" = asan ] && from=build/asan to=$d/build/asan
  if [ "$1" != none ]; then
    mkdir -p "$to"
    for x in obj gen embed libtoolprof.a toolprof tests; do
      [ -e "$from/$x" ] && cp -a "$from/$x" "$to/"
    done
  fi
  echo "$d"
}

# inject FILE PERL-SUBSTITUTION: apply it; fails when it changed nothing
# (the code moved on: this check must be updated with it).
inject() {
  local before
  before=$(md5sum < "$1")
  perl -0pi -e "$2" "$1"
  [ "$(md5sum < "$1")" != "$before" ]
}

# result NAME RC LOG REGEX: the suite must have failed (RC != 0) and its
# log must show REGEX, the reason this fault gives.
result() {
  local name=$1 rc=$2 log=$3 re=$4 secs=$5
  if [ "$rc" -ne 0 ] && grep -Eq "$re" "$log"; then
    echo "ok - $name: caught ($(grep -Em1 "$re" "$log" | cut -c1-150 | sed 's/^ *//'); $secs s)"
    pass=$((pass + 1))
  else
    echo "not ok - $name: not caught (exit $rc, no /$re/ in the output; $secs s); last lines:"
    tail -n 25 "$log" | sed 's/^/    /'
    fail=$((fail + 1))
  fi
}

not_injected() {
  echo "not ok - $1: the fault could not be put into $2 (the code changed: update tests/meta/run.sh)"
  fail=$((fail + 1))
}

run_check() {
  local name=$1 start=$SECONDS dir log rc
  [[ " ${want[*]} " == *" $name "* ]] || return 0
  log=$(mktemp)
  case $name in
  leak)
    dir=$(scratch asan)
    # shellcheck disable=SC2016 # $1 and $2 are perl's
    if inject "$dir/src/server/http.c" 's/(\nfail:\n)    http_query_free\(q\);\n(    return rc;)/$1$2/'; then
      (cd "$dir" && tests/run_asan.sh integration) > "$log" 2>&1; rc=$?
      result "leak in a server error path (sanitizer integration suite)" "$rc" "$log" \
        'ERROR: LeakSanitizer: detected memory leaks' $((SECONDS - start))
    else not_injected "$name" src/server/http.c; fi ;;
  overflow)
    dir=$(scratch asan)
    # shellcheck disable=SC2016 # $1 is perl's
    if inject "$dir/src/server/http.c" 's/(static char \*pct_decode\(const char \*s, size_t n, int plus_is_space\)\n\{\n    char \*out = xmalloc\(n) \+ 1\);/$1);/'; then
      (cd "$dir" && tests/run_asan.sh fuzz) > "$log" 2>&1; rc=$?
      result "one-byte heap overflow reachable from a corpus input (sanitizer corpus replay)" "$rc" "$log" \
        'ERROR: AddressSanitizer: heap-buffer-overflow' $((SECONDS - start))
    else not_injected "$name" src/server/http.c; fi ;;
  watcher)
    dir=$(scratch plain)
    if inject "$dir/src/ingest/watch.c" 's/\(IN_MODIFY \| IN_CLOSE_WRITE \| IN_CREATE/(IN_CREATE/'; then
      if (cd "$dir" && make --no-print-directory all) > "$log" 2>&1; then
        (cd "$dir" && tests/run_integration.sh) > "$log" 2>&1; rc=$?
      else rc=0; fi
      result "watcher that drops the second half of a file (integration suite)" "$rc" "$log" \
        '^not ok - watch\.test\.mjs: .*written in two halves' $((SECONDS - start))
    else not_injected "$name" src/ingest/watch.c; fi ;;
  skip)
    dir=$(scratch none)
    if inject "$dir/tests/integration/lifecycle.test.mjs" \
      "s/test\('an unusable data directory is refused at start', async/test('an unusable data directory is refused at start', { skip: 'root ignores permissions' }, async/"; then
      (cd "$dir" && TOOLPROF_BIN="$root/build/toolprof" tests/run_all.sh integration) > "$log" 2>&1; rc=$?
      result "test that skips in CI (make test's runner)" "$rc" "$log" \
        'unusable data directory .*NOT ALLOWED' $((SECONDS - start))
    else not_injected "$name" tests/integration/lifecycle.test.mjs; fi ;;
  unknown)
    dir=$(scratch plain)
    : > "$log"
    local bad=0 out
    unknown_case() { # EXPECT-REGEX COMMAND...: must fail, saying REGEX
      local re=$1; shift
      out=$(cd "$dir" && "$@" 2>&1)
      local r=$?
      printf '$ %s\n%s\n(exit %d)\n' "$*" "$out" "$r" >> "$log"
      if [ "$r" -eq 0 ] || ! grep -Eq "$re" <<<"$out"; then bad=$((bad + 1)); fi
    }
    if (cd "$dir" && make --no-print-directory build/tests/test_buf) >> "$log" 2>&1; then
      unknown_case '^unknown test: test_no_such_thing' build/tests/test_buf test_no_such_thing
      unknown_case '^unknown test: test_no_such_thing' build/tests/test_buf test_growth_and_reserve test_no_such_thing
    else bad=$((bad + 1)); fi
    unknown_case "no suite 'no-such-suite'" tests/run_all.sh no-such-suite
    unknown_case 'no test file tests/integration/no_such_file' env TOOLPROF_BIN="$root/build/toolprof" tests/run_integration.sh no_such_file
    unknown_case 'no test file tests/reliability/no_such_file' env TOOLPROF_BIN="$root/build/toolprof" tests/reliability/run.sh no_such_file
    unknown_case "no part 'no-such-part'" tests/run_asan.sh no-such-part
    unknown_case "no check 'no-such-check'" tests/meta/run.sh no-such-check
    if [ "$bad" -eq 0 ]; then
      echo "ok - unknown test, file, suite or part names: 7 runs, each failed and named it ($((SECONDS - start)) s)"
      pass=$((pass + 1))
    else
      echo "not ok - unknown names: $bad run(s) did not fail as they should:"; sed 's/^/    /' "$log"
      fail=$((fail + 1))
    fi ;;
  empty)
    dir=$(scratch none)
    cat > "$dir/tests/integration/nothing.test.mjs" <<'EOF'
// A test file that defines no test.
import './lib.mjs';
EOF
    cat > "$dir/tests/integration/noassert.test.mjs" <<'EOF'
// A test that checks nothing.
import { test } from 'node:test';
import { get, startServer } from './lib.mjs';
test('talks to the server and checks nothing', async () => {
  const srv = await startServer();
  await get(srv, '/healthz');
  await srv.stop();
});
EOF
    (cd "$dir" && TOOLPROF_BIN="$root/build/toolprof" tests/run_integration.sh nothing) > "$log" 2>&1; rc=$?
    local log2
    log2=$(mktemp)
    (cd "$dir" && TOOLPROF_BIN="$root/build/toolprof" tests/run_integration.sh noassert) > "$log2" 2>&1
    local rc2=$?
    if [ "$rc" -ne 0 ] && grep -q '^not ok - nothing.test.mjs: defines no test' "$log" && [ "$rc2" -ne 0 ] &&
      grep -q 'made no assertion: it cannot fail' "$log2"; then
      echo "ok - a test file without a test, and a test without an assertion: both fail ($((SECONDS - start)) s)"
      pass=$((pass + 1))
    else
      echo "not ok - empty runs: exit $rc and $rc2"; tail -n 15 "$log" "$log2" | sed 's/^/    /'
      fail=$((fail + 1))
    fi
    rm -f "$log2" ;;
  layering)
    dir=$(scratch plain)
    # shellcheck disable=SC2016 # $1 is perl's
    if inject "$dir/src/cli/table.c" 's/(#include <string.h>\n)/$1#include <sqlite3.h>\n/' &&
      inject "$dir/src/engine/trends.c" 's/(#include <stdio.h>\n)/$1#include "store\/rollup.h"\n/'; then
      (cd "$dir" && make --no-print-directory build/tests/test_layout &&
        tests/run_unit.sh build/tests/test_layout) > "$log" 2>&1; rc=$?
      if [ "$rc" -ne 0 ] && grep -q 'src/cli/table.c includes <sqlite3.h>: only src/store/ may' "$log" &&
        grep -q 'src/engine/trends.c includes src/store/rollup.h, which brings in <sqlite3.h>' "$log"; then
        echo "ok - SQLite reached from outside the store, directly and through a store header: both named (unit suite, test_layout; $((SECONDS - start)) s)"
        pass=$((pass + 1))
      else
        echo "not ok - SQLite reached from outside the store: not caught (exit $rc); last lines:"
        tail -n 25 "$log" | sed 's/^/    /'
        fail=$((fail + 1))
      fi
    else not_injected "$name" "src/cli/table.c or src/engine/trends.c"; fi ;;
  esac
  rm -rf "$dir" "$log"
}

for c in "${checks[@]}"; do run_check "$c"; done
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
