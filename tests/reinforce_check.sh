#!/bin/sh
# reinforce_check.sh PROGRAM EXPECTED [EPISODES] — examples/reinforce --log-interval 1 against what
# PyTorch 1.13 prints for the same run (bench/torch_reinforce/reinforce.py --log-interval 1, the first
# 120 episodes): the first EPISODES (default 100) lines must be equal text. Same seed, init, dropout
# masks, Categorical draws and CartPole states, so every episode length and running reward matches.
n=${3:-100}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" --log-interval 1 --max-episodes "$n" > "$out" || { echo "FAIL: the program failed"; exit 1; }
head -n "$n" "$2" | diff - "$out" > /dev/null || {
  echo "FAIL: the first $n episodes differ from PyTorch's (< torch, > nabla):"
  head -n "$n" "$2" | diff - "$out" | head -20
  exit 1
}
[ "$(wc -l < "$out")" -eq "$n" ] || { echo "FAIL: expected $n lines"; exit 1; }
echo "$n episodes equal to PyTorch's"
