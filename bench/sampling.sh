#!/bin/sh
# sampling.sh — bench/sampling (nabla) and bench/torch_sampling.py (PyTorch 1.13, default OpenMP policy and
# OMP_WAIT_POLICY=passive) interleaved twice in one run, each under /usr/bin/time -v, then a table of the
# best time per workload and the ratio torch / nabla (> 1: nabla faster). BUILD (default build-rel) must
# hold a release build; THREADS (default 2); ROUNDS (default 10).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-rel}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-10}
OUT=${OUT:-/tmp/nabla-bench-sampling}
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS"
ninja -C "$BUILD" bench/sampling >/dev/null || exit 1
run() {   # run NAME CMD...: output in $OUT/NAME.out, peak RSS (kB) in $OUT/NAME.rss
  name=$1; shift
  /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" || echo "sampling.sh: $name failed" >&2
  sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" >"$OUT/$name.rss"
}
for k in 1 2; do
  run nabla$k "$BUILD/bench/sampling" "$ROUNDS"
  run torch$k /usr/bin/python3 "$ROOT/bench/torch_sampling.py" "$ROUNDS"
  OMP_WAIT_POLICY=passive run torchp$k /usr/bin/python3 "$ROOT/bench/torch_sampling.py" "$ROUNDS"
done
best() {   # best NAME-PREFIX KEY: the smaller of the two runs' values
  a=$(sed -n "s/^$2 //p" "$OUT/${1}1.out"); b=$(sed -n "s/^$2 //p" "$OUT/${1}2.out")
  awk -v a="$a" -v b="$b" 'BEGIN { if (a == "") a = b; if (b == "") b = a; print (a < b ? a : b) }'
}
printf '| workload (%s threads) | nabla us | torch us | torch passive us | torch/nabla | passive/nabla |\n|---|---|---|---|---|---|\n' "$THREADS"
for key in $(sed -n 's/ .*//p' "$OUT/nabla1.out"); do
  n=$(best nabla "$key"); t=$(best torch "$key"); p=$(best torchp "$key")
  awk -v k="${key%_us}" -v n="$n" -v t="$t" -v p="$p" 'BEGIN { printf "| %s | %s | %s | %s | %.2f | %.2f |\n", k, n, t, p, t / n, p / n }'
done
printf '| peak RSS (kB) | %s | %s | %s | | |\n' "$(cat "$OUT/nabla1.rss")" "$(cat "$OUT/torch1.rss")" "$(cat "$OUT/torchp1.rss")"
