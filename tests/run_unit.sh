#!/usr/bin/env bash
# Run each unit test binary given as an argument; print a summary whose last
# line is "N passed, N failed, N skipped" over all of them. Each skipped
# test is printed as "skipped - BINARY: NAME # why". Exit 1 if any failed,
# or if no test ran at all.
set -u
total_pass=0 total_fail=0 total_skip=0 broken=()
[ $# -gt 0 ] || { echo "run_unit: no test binary given"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
for t in "$@"; do
  name=$(basename "$t")
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  else
    p=0 f=1 s=0
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed after its summary
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
  printf '%s\n' "$out" | sed -n "s|^skipped - |skipped - $name: |p"
  if [ "$f" -ne 0 ]; then
    broken+=("$name")
    printf '%s\n' "$out" | grep -v '^ok - \|^skipped - ' | sed "s|^|  $name: |"
  else
    printf '%-28s %s\n' "$name" "$line"
  fi
done
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
if [ $((total_pass + total_fail + total_skip)) -eq 0 ]; then
  echo "run_unit: no test ran"; total_fail=1
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
