#!/bin/sh
# svg_check.sh XML_CHECK MIN_MARKERS PROGRAM SVG_ARG FILE... — runs PROGRAM --svg SVG_ARG, then checks
# that each FILE is well-formed XML holding at least MIN_MARKERS trajectory markers.
xml=$1 min=$2 prog=$3 arg=$4; shift 4
"$prog" --svg "$arg" > /dev/null || { echo "$prog --svg failed"; echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
for f in "$@"; do
    if "$xml" "$f" --min "$min" 'class="marker"' --min 1 '<path'; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
