#!/usr/bin/env bash
# tests/fuzz/replay.sh - build every fuzz target with the plain driver (gcc,
# no libFuzzer) and replay its checked-in corpus: tests/fuzz/fuzz_NAME.c
# reads tests/fuzz/corpus/NAME/. Last line: "N passed, N failed" (inputs).
set -u
cd "$(dirname "$0")/../.."
make --no-print-directory build/libtoolprof.a >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
flags=$(make --no-print-directory -s print-cflags)
libs=$(make --no-print-directory -s print-ldlibs)
mkdir -p build/fuzz-replay
pass=0 fail=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c); name=${name#fuzz_}
  bin=build/fuzz-replay/$name
  # shellcheck disable=SC2086
  if ! gcc $flags -o "$bin" "$src" tests/fuzz/driver.c build/libtoolprof.a $libs; then
    echo "not ok - $name: does not build"; fail=$((fail + 1)); continue
  fi
  dir=tests/fuzz/corpus/$name
  if [ ! -d "$dir" ]; then echo "not ok - $name: no corpus in $dir"; fail=$((fail + 1)); continue; fi
  out=$("$bin" "$dir" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [ $rc -eq 0 ] && [[ $line =~ ^([0-9]+)\ passed ]]; then
    echo "ok - $name: ${BASH_REMATCH[1]} inputs"; pass=$((pass + BASH_REMATCH[1]))
  else
    echo "not ok - $name (exit $rc)"; printf '%s\n' "$out" | tail -5; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
