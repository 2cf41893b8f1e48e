#!/bin/sh
# batchnorm.sh — nabla's BatchNorm/GroupNorm (bench/batchnorm.c) and PyTorch's (bench/torch_batchnorm.py)
# side by side, interleaved nabla, torch, nabla, torch (default OpenMP policy, then OMP_WAIT_POLICY=
# passive), 2 threads, peak RSS from /usr/bin/time -v; prints a table of ms and ratios (torch / nabla,
# > 1: nabla faster). Environment: BUILD (default build-rel, release), STEPS (default 10).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build-rel}
STEPS=${STEPS:-10}
OUT=${OUT:-/tmp/nabla-bench-bn}
mkdir -p "$OUT"
export OMP_NUM_THREADS=${THREADS:-2} OPENBLAS_NUM_THREADS=${THREADS:-2}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null || exit 1
ninja -C "$BUILD" bench/batchnorm >/dev/null || exit 1
run() { name=$1; shift; /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err";
        sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" >"$OUT/$name.rss"; }
for i in 1 2; do
  run nabla$i "$BUILD/bench/batchnorm" "$STEPS"
  run torch$i /usr/bin/python3 bench/torch_batchnorm.py "$STEPS"
  run nablap$i env OMP_WAIT_POLICY=passive "$BUILD/bench/batchnorm" "$STEPS"
  run torchp$i env OMP_WAIT_POLICY=passive /usr/bin/python3 bench/torch_batchnorm.py "$STEPS"
done
# best of the two runs of each program per shape and column
best() { cat "$OUT/$1"1.out "$OUT/$1"2.out | awk -v k="$2" -v c="$3" '$1 == k { for (i = 2; i < NF; i++) if ($i == c) { v = $(i + 1); if (b == "" || v < b) b = v } } END { print b }'; }
printf '%-20s %10s %10s %10s %7s %7s | %9s %9s %9s %7s\n' shape nabla_train torch_train torchP_train ratio ratioP nabla_eval torch_eval torchP_eval ratioP
for k in $(awk '{print $1}' "$OUT/nabla1.out"); do
  nt=$(best nabla "$k" train_ms); tt=$(best torch "$k" train_ms); tp=$(best torchp "$k" train_ms)
  ne=$(best nabla "$k" eval_ms); te=$(best torch "$k" eval_ms); tpe=$(best torchp "$k" eval_ms)
  awk -v k="$k" -v nt="$nt" -v tt="$tt" -v tp="$tp" -v ne="$ne" -v te="$te" -v tpe="$tpe" 'BEGIN {
    printf "%-20s %10.3f %10.3f %10.3f %7.2f %7.2f | %9.3f %9.3f %9.3f %7.2f\n", k, nt, tt, tp, tt / nt, tp / nt, ne, te, tpe, tpe / ne }'
done
echo "peak RSS (kB): nabla $(cat "$OUT/nabla1.rss") torch $(cat "$OUT/torch1.rss") (whole process, all shapes)"
