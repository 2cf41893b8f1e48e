#!/bin/sh
# tsp_check.sh PROGRAM EXPECTED — examples/time_sequence_prediction --steps 1 --max-iter 1 against what
# PyTorch 1.13 prints for the same run (bench/torch_tsp/train.py, run from a directory holding the
# traindata.pt of generate_sine_wave.py): the same lines, every number within 1e-9 relative (the data,
# init and L-BFGS step are the script's; only float rounding differs).
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" --steps 1 --max-iter 1 > "$out" || { echo "FAIL: the program failed"; exit 1; }
awk -v want="$2" '
  { got[NR] = $0 }
  END {
    n = 0; fails = 0
    while ((getline line < want) > 0) {
      n++
      split(line, a, ": *"); split(got[n], b, ": *")
      if (a[1] != b[1]) { print "FAIL line " n ": got \"" got[n] "\", torch \"" line "\""; fails++; continue }
      d = a[2] - b[2]; if (d < 0) d = -d
      if (d > 1e-9 * (a[2] < 0 ? -a[2] : a[2])) { print "FAIL line " n ": " got[n] ", torch " line; fails++ }
    }
    if (n != NR || n == 0) { print "FAIL: " NR " lines, torch printed " n; fails++ }
    printf "%d passed, %d failed\n", n - fails, fails
    exit fails ? 1 : 0
  }' "$out"
