#!/bin/sh
# gen_expected_wlm.sh — what PyTorch 1.13 prints for the word_language_model test runs (tests/wlm_check.sh):
# bench/torch_wlm/main.py on examples/data/tinylm with each case's arguments; run by hand from the repo root.
set -e
out=tests/expected/word_language_model
mkdir -p "$out"
while read -r name args; do
  /usr/bin/python3 bench/torch_wlm/main.py --data examples/data/tinylm --epochs 1 --save /tmp/nb_wlm_torch.pt $args > "$out/$name.txt"
  echo "$name: $(wc -l < "$out/$name.txt") lines"
done < tests/expected/word_language_model/cases.txt
rm -f /tmp/nb_wlm_torch.pt
