#!/bin/sh
# pool.sh — nabla's bench/pool and PyTorch's bench/torch_pool.py side by side, interleaved
# (nabla, torch default policy, torch passive, twice), with peak RSS from /usr/bin/time -v, then a
# table of ms per forward+backward and the ratios torch / nabla (> 1: nabla is faster).
# Environment: BUILD (default build-rel, release), THREADS (default 2), REPS (default 20).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build-rel}
THREADS=${THREADS:-2}
REPS=${REPS:-20}
OUT=$(mktemp -d)
export OMP_NUM_THREADS="$THREADS"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null || exit 1
ninja -C "$BUILD" bench/pool >/dev/null || exit 1
run() { # tag cmd...
  tag=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$tag.out" 2> "$OUT/$tag.time"
  awk '/Maximum resident/ {print $6}' "$OUT/$tag.time" >> "$OUT/$tag.rss"
  cat "$OUT/$tag.out" >> "$OUT/$tag.all"
}
for i in 1 2; do
  run nabla "$BUILD/bench/pool" "$REPS"
  run torch /usr/bin/python3 bench/torch_pool.py "$REPS"
  OMP_WAIT_POLICY=passive run torchp /usr/bin/python3 bench/torch_pool.py "$REPS"
  OMP_WAIT_POLICY=passive run nablap "$BUILD/bench/pool" "$REPS"
done
best() { awk -v c="$2" '$1 == c { if (b == "" || $3 < b) b = $3 } END { print b }' "$OUT/$1.all"; }
maxrss() { sort -n "$OUT/$1.rss" | tail -1; }
printf '%-32s %9s %9s %9s %9s %8s %8s\n' case nabla_ms nabla_p torch_ms torch_p ratio ratio_p
for c in $(awk '{print $1}' "$OUT/nabla.out"); do
  n=$(best nabla "$c"); np=$(best nablap "$c"); t=$(best torch "$c"); tp=$(best torchp "$c")
  printf '%-32s %9s %9s %9s %9s %8.2f %8.2f\n' "$c" "$n" "$np" "$t" "$tp" "$(echo "$t / $n" | bc -l)" \
    "$(echo "$tp / $np" | bc -l)"
done
printf 'peak RSS (KB): nabla %s, nabla passive %s, torch %s, torch passive %s (threads %s)\n' "$(maxrss nabla)" \
  "$(maxrss nablap)" "$(maxrss torch)" "$(maxrss torchp)" "$THREADS"
rm -rf "$OUT"
