#!/usr/bin/env bash
# Run each unit test binary given as an argument; print a summary whose last
# line is "N passed, N failed" over all of them. Exit 1 if any failed.
set -u
total_pass=0 total_fail=0 broken=()
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
  else
    p=0 f=1
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed after its summary
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if [ "$f" -ne 0 ]; then
    broken+=("$(basename "$t")")
    printf '%s\n' "$out" | grep -v '^ok - ' | sed "s|^|  $(basename "$t"): |"
  else
    printf '%-28s %s\n' "$(basename "$t")" "$line"
  fi
done
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
