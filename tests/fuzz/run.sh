#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - what `make fuzz` runs: every libFuzzer
# target, time-boxed.
#
# The project's sources are compiled with clang and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/libtoolprof.a
# (through the Makefile, so a changed file or header is rebuilt), so that
# coverage reaches our code and not only the target's file; each
# tests/fuzz/fuzz_NAME.c is then linked with -fsanitize=fuzzer into
# build/fuzz/fuzz_NAME and run for SECONDS (default $FUZZ_SECONDS, else 60)
# on a scratch copy of tests/fuzz/corpus/NAME/: libFuzzer adds the inputs
# it finds to its first corpus directory, and the checked-in corpus only
# grows by hand. A crash leaves its input in build/fuzz/artifacts/NAME/
# (emptied when the target runs again: copy it out).
#
# Environment: FUZZ_SECONDS, FUZZ_TARGETS (names to run, default all),
# FUZZ_JOBS (parallel compiles, default 2), FUZZ_ARGS (extra libFuzzer
# flags, e.g. "-runs=10000000" with SECONDS 1800 for the long runs of
# docs/fuzzing.md). Prints per target executions, exec/s, coverage,
# corpus growth and crashes; the last line is "N passed, N failed"
# (targets).
set -u
cd "$(dirname "$0")/../.." || exit 1

seconds=${1:-${FUZZ_SECONDS:-60}}
jobs=${FUZZ_JOBS:-2}
out=build/fuzz
cc=${FUZZ_CC:-clang}

# Longest input per target: big enough for a few real records of each
# format, small enough to keep executions fast.
max_len() {
  case $1 in
    sketch) echo 16384 ;;
    query) echo 8192 ;;
    *) echo 65536 ;;
  esac
}

# Dictionaries: tests/fuzz/NAME.dict, or a shared one.
dict_for() {
  case $1 in
    opbody | seedfile) echo tests/fuzz/op.dict ;;
    *) [ -f "tests/fuzz/$1.dict" ] && echo "tests/fuzz/$1.dict" ;;
  esac
}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz: $cc not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
# The fuzzer runtime is a separate package on Debian (only recommended by
# clang): check for it with a two-line program rather than fail later.
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
  'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' \
  >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" 2>"$probe/err"; then
  echo "fuzz: $cc cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-14-dev):" >&2
  head -3 "$probe/err" >&2
  rm -rf "$probe"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -rf "$probe"

san="-fno-sanitize-recover=all -fno-omit-frame-pointer"
# Warnings are the gcc build's job (-Werror there); clang may warn about more.
echo "fuzz: building the project with $cc into $out/"
mkdir -p "$out"
if ! make --no-print-directory -j"$jobs" BUILD="$out" CC="$cc" OPT=-O1 \
  SAN="-fsanitize=fuzzer-no-link,address,undefined $san -Wno-error" "$out/libtoolprof.a" >"$out/build.log" 2>&1; then
  tail -20 "$out/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi
# CPPFLAGS (-std, -D, -I) without the warning and optimisation flags.
cppflags=$(make --no-print-directory -s print-cflags CFLAGS= OPT= WARN=)
libs=$(make --no-print-directory -s print-ldlibs)

# Scratch space for targets that need files (fuzz_seedfile's store): tmpfs
# when there is one, removed at the end.
shm=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
scratch=$(mktemp -d "$shm/toolprof-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export FUZZ_SCRATCH=$scratch

pass=0 fail=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  name=${name#fuzz_}
  if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then
    continue
  fi
  bin=$out/fuzz_$name
  # shellcheck disable=SC2086
  if ! "$cc" $cppflags -g -O1 -fsanitize=fuzzer,address,undefined $san -o "$bin" "$src" \
    "$out/libtoolprof.a" $libs; then
    echo "not ok - $name: does not build"
    fail=$((fail + 1))
    continue
  fi
  seeds=tests/fuzz/corpus/$name
  work=$out/corpus/$name
  arts=$out/artifacts/$name
  rm -rf "$work" "$arts" # a crash of an earlier run is not one of this run
  mkdir -p "$work" "$arts"
  [ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null
  nseeds=$(find "$work" -type f | wc -l)
  log=$out/$name.log
  dict=$(dict_for "$name")
  # shellcheck disable=SC2086
  "$bin" ${dict:+-dict="$dict"} -max_total_time="$seconds" -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$arts/" ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
  rc=$?
  # libFuzzer's final stats: "stat::number_of_executed_units: N" etc.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  newcov=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ncorp=$(find "$work" -type f | wc -l)
  crashes=$(find "$arts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  summary="${execs:-?} execs, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $nseeds -> $ncorp (${newcov:-?} new units), $crashes crashes"
  if [ $rc -eq 0 ] && [ "$crashes" -eq 0 ]; then
    echo "ok - $name: $summary"
    pass=$((pass + 1))
  else
    echo "not ok - $name (exit $rc): $summary; log $log"
    grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|deadly signal' "$log" | head -20
    find "$arts" -type f | head -5 | sed 's/^/  input: /'
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
