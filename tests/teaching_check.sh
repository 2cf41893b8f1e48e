#!/bin/sh
# teaching_check.sh EXPECTED PROGRAM [ARGS...] — runs PROGRAM and checks that every line of EXPECTED
# (lines from the course material; '#' lines are comments) occurs as a whole line of its output.
expected=$1; shift
out=$("$@") || { echo "$1 failed (exit $?)"; echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
while IFS= read -r line; do
    case "$line" in '#'*|'') continue ;; esac
    if printf '%s\n' "$out" | grep -Fxq -- "$line"; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "missing line: $line"; fi
done < "$expected"
[ $fail -eq 0 ] || { echo "--- output was:"; printf '%s\n' "$out"; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
