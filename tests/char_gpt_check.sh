#!/bin/sh
# char_gpt_check.sh PROGRAM DATA EXPECTED_DIR — train examples/char_gpt a few steps on a shipped text with
# EXPECTED_DIR/args.txt and compare its lines with its PyTorch twin's (bench/torch_char_gpt.py, written by
# tools/gen_expected_char_gpt.sh): same line shapes; the loss falls (last logged loss below the first);
# each loss within 0.002 of the twin's. Why 0.002: both runs draw the same init, batches and dropout
# masks, so only float rounding parts them (measured: every printed digit equal, 12 AdamW steps); 0.002
# is 20 steps of the printed resolution and far below the 0.2+ the loss falls by. The sample text is
# compared too, but a mismatch there only warns (a rounding difference can flip one multinomial draw).
prog=$1 data=$2 dir=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2046
"$prog" --data "$data" $(cat "$dir/args.txt") > "$out" || { echo "FAIL: the program failed"; exit 1; }
awk -v want="$dir/small.txt" '
  function strip(s) { sub(/, time .*/, "", s); return s }
  function shape(s) { gsub(/[0-9]+(\.[0-9]+)?/, "#", s); return s }
  { got[NR] = $0 }
  END {
    n = 0; fails = 0; first = ""; last = ""
    while ((getline line < want) > 0) {
      n++
      if (line ~ /^(iter|val loss|number)/) {
        if (shape(strip(line)) != shape(strip(got[n]))) { print "FAIL line " n ": got \"" got[n] "\", torch \"" line "\""; fails++; continue }
        if (line ~ /loss/) {
          split(strip(line), a, /loss /); split(strip(got[n]), b, /loss /)
          d = a[2] - b[2]; if (d < 0) d = -d
          if (d > 0.002) { print "FAIL line " n ": loss " b[2] ", torch " a[2]; fails++ }
          if (line ~ /^iter/) { if (first == "") first = b[2]; last = b[2] }
        }
      } else if (line != got[n]) print "warning: the sample differs from torch'"'"'s: \"" got[n] "\" vs \"" line "\""
    }
    if (first == "" || last + 0 >= first + 0) { print "FAIL: the loss did not fall (" first " -> " last ")"; fails++ }
    if (n != NR) { print "FAIL: " NR " lines, torch printed " n; fails++ }
    printf "%d passed, %d failed\n", n - fails, fails
    exit fails ? 1 : 0
  }' "$out"
