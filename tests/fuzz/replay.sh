#!/usr/bin/env bash
# tests/fuzz/replay.sh - build every fuzz target with the plain driver (no
# libFuzzer) and replay its checked-in corpus: tests/fuzz/fuzz_NAME.c reads
# tests/fuzz/corpus/NAME/.
#
# The targets are built like the rest of the tree by the Makefile's
# variables: plainly by default, and with the sanitizers when run_asan.sh
# sets BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined ..." (the
# library from $BUILD, the programs in $BUILD/fuzz-replay/), so that a
# returning heap overflow or undefined behaviour fails its input instead of
# replaying as "ok". A sanitizer report anywhere in a target's output fails
# it, whatever the exit status.
#
# It also fails when git ignores a corpus file: an input that git does not
# keep is lost at the next clone (saved crash inputs are named
# regress-<what>, docs/fuzzing.md).
#
# Output: a line per target; last line "N passed, N failed, N skipped"
# (inputs; a failing target or ignored file counts one failure).
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}
pass=0 fail=0 skip=0

# Files git would not keep.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  ignored=$(git ls-files --others --ignored --exclude-standard -- tests/fuzz/corpus)
  if [ -n "$ignored" ]; then
    while IFS= read -r f; do
      echo "not ok - $f is ignored by git (.gitignore): it would be lost; name saved inputs regress-<what>"
      fail=$((fail + 1))
    done <<<"$ignored"
  fi
else
  echo "skipped - corpus files kept by git # not a git checkout"
  skip=$((skip + 1))
fi

mkdir -p "$build/fuzz-replay"
if ! make --no-print-directory "$build/libtoolprof.a" >"$build/fuzz-replay/make.log" 2>&1; then
  tail -20 "$build/fuzz-replay/make.log"
  echo "not ok - $build/libtoolprof.a does not build"
  echo "$pass passed, $((fail + 1)) failed, $skip skipped"
  exit 1
fi
flags=$(make --no-print-directory -s print-cflags)
libs=$(make --no-print-directory -s print-ldlibs)
sanitizer='^==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|^SUMMARY: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|: runtime error: '
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c); name=${name#fuzz_}
  bin=$build/fuzz-replay/$name
  # shellcheck disable=SC2086
  if ! ${CC:-gcc} $flags -o "$bin" "$src" tests/fuzz/driver.c "$build/libtoolprof.a" $libs; then
    echo "not ok - $name: does not build"; fail=$((fail + 1)); continue
  fi
  dir=tests/fuzz/corpus/$name
  if [ ! -d "$dir" ]; then echo "not ok - $name: no corpus in $dir"; fail=$((fail + 1)); continue; fi
  out=$("$bin" "$dir" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [ $rc -eq 0 ] && [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
    ! printf '%s\n' "$out" | grep -Eq "$sanitizer"; then
    echo "ok - $name: ${BASH_REMATCH[1]} inputs"; pass=$((pass + BASH_REMATCH[1]))
  else
    last=$(printf '%s\n' "$out" | sed -n 's/^input: //p' | tail -n 1)
    echo "not ok - $name (exit $rc)${last:+, at input $last}"
    printf '%s\n' "$out" | grep -v '^input: ' | head -40 | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
