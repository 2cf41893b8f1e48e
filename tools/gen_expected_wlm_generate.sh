#!/bin/sh
# gen_expected_wlm_generate.sh — goldens for examples/word_language_model_generate (tests/wlm_generate_check.sh):
# per case of tests/expected/word_language_model_generate/cases.txt, PyTorch 1.13 trains a tiny model on
# examples/data/tinylm for one epoch (bench/torch_wlm/main.py), its state_dict is written as safetensors
# (tests/data/wlm_<model>.safetensors, what nabla loads) and bench/torch_wlm/generate.py samples from the
# pickled model: its printed lines and generated text are the goldens. Run by hand from the repo root.
set -e
root=$(pwd)
out=$root/tests/expected/word_language_model_generate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while read -r ckpt train; do
  # shellcheck disable=SC2086
  /usr/bin/python3 bench/torch_wlm/main.py --data examples/data/tinylm --epochs 1 --save "$tmp/$ckpt.pt" $train > /dev/null
  (cd bench/torch_wlm && /usr/bin/python3 -c "
import sys, torch
sys.path.insert(0, '$root/tools')
from checkpoint_torch import write_safetensors
m = torch.load('$tmp/$ckpt.pt')
write_safetensors('$root/tests/data/wlm_$ckpt.safetensors', {k: v.numpy() for k, v in m.state_dict().items()})")
  echo "$ckpt: tests/data/wlm_$ckpt.safetensors"
done < "$out/models.txt"
while read -r name ckpt args; do
  # shellcheck disable=SC2086
  (cd bench/torch_wlm && /usr/bin/python3 generate.py --data "$root/examples/data/tinylm" \
     --checkpoint "$tmp/$ckpt.pt" --outf "$out/$name.generated.txt" $args > "$out/$name.txt") ||
     { echo "$name: generate.py failed"; exit 1; }
  echo "$name: $(wc -l < "$out/$name.txt") lines, $(wc -w < "$out/$name.generated.txt") words"
done < "$out/cases.txt"
