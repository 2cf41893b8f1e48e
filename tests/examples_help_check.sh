#!/bin/sh
# examples_help_check.sh EXAMPLE... — every example answers as argparse does: -h and --help print a usage
# line to stdout and exit 0; an unknown option prints usage or a message to stderr and exits 2.
pass=0 fail=0
for ex in "$@"; do
  n=$(basename "$ex")
  for h in -h --help; do
    out=$("$ex" $h 2>/dev/null); rc=$?
    if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "^usage: $n"; then pass=$((pass + 1)); else
      fail=$((fail + 1)); echo "FAIL $n $h: exit $rc, stdout '$(printf '%s' "$out" | head -1)'"; fi
  done
  err=$("$ex" --no-such-option 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && [ -n "$err" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL $n --no-such-option: exit $rc, stderr '$err'"; fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
