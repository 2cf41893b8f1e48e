#!/bin/sh
# gen_expected_char_gpt.sh — what the PyTorch twin bench/torch_char_gpt.py prints for the char_gpt test
# (tests/char_gpt_check.sh) with tests/expected/char_gpt/args.txt; run by hand from the repo root.
set -e
dir=tests/expected/char_gpt
# shellcheck disable=SC2046
/usr/bin/python3 bench/torch_char_gpt.py --data examples/data/tinylm/train.txt $(cat "$dir/args.txt") > "$dir/small.txt"
echo "$(wc -l < "$dir/small.txt") lines"
