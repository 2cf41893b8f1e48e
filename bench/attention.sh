#!/bin/sh
# attention.sh — scaled_dot_product_attention side by side with PyTorch, run by bench/run.sh
# (ATTN=0 skips) or alone: forward + backward at (B 8, H 8, T 256, D 64), causal and not, nabla's fused
# kernel (bench/attention.c) against PyTorch 1.13's unfused composition (bench/torch_attention.py) with
# its default OpenMP wait policy and with OMP_WAIT_POLICY=passive, REPEAT times interleaved (the best
# counts: the machine is shared), peak RSS from /usr/bin/time -v beside. The FLOP floor is 4 B H T^2 D
# forward and 2.5x that backward (causal: half), at the best sgemm GFLOP/s nabla measured in its runs.
# Environment: BUILD (default build), THREADS (2), OUT (/tmp/nabla-bench), ROUNDS (10), REPEAT (3).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/nabla-bench}
ROUNDS=${ROUNDS:-10}
REPEAT=${REPEAT:-3}
PY=/usr/bin/python3
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS"
ninja -C "$BUILD" bench/attention >/dev/null || { echo "attention.sh: build failed" >&2; exit 1; }
TIMEV=""; [ -x /usr/bin/time ] && TIMEV="/usr/bin/time -v -o"

# one NAME POLICY CMD...: append stdout to $OUT/NAME.out and the peak RSS (kB) to $OUT/NAME.rss
one() {
  name=$1 policy=$2; shift 2
  case $policy in
    inherit) set -- "$@" ;;
    default) set -- env -u OMP_WAIT_POLICY "$@" ;;
    *) set -- env OMP_WAIT_POLICY="$policy" "$@" ;;
  esac
  if [ -n "$TIMEV" ]; then
    $TIMEV "$OUT/$name.time" "$@" >> "$OUT/$name.out"
    sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" >> "$OUT/$name.rss"
  else
    "$@" >> "$OUT/$name.out"
  fi
}
for n in attn_nabla attn_torch attn_torchp; do : > "$OUT/$n.out"; : > "$OUT/$n.rss"; done
i=0
while [ $i -lt "$REPEAT" ]; do
  echo "attention.sh: round $((i + 1)) of $REPEAT" >&2
  one attn_nabla inherit "$BUILD/bench/attention" "$ROUNDS"
  one attn_torch default $PY bench/torch_attention.py "$ROUNDS"
  one attn_torchp passive $PY bench/torch_attention.py "$ROUNDS"
  i=$((i + 1))
done

# best FIELD of causal C in file F (smallest value; sgemm_gflops: largest)
best() { grep "^causal $2 " "$OUT/$1.out" | awk -v f="$3" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' |
         sort -g | head -1; }
maxrss() { sort -n "$OUT/$1.rss" | tail -1; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
gf=$(sed -n 's/^sgemm_gflops //p' "$OUT/attn_nabla.out" | sort -g | tail -1)
echo
echo "scaled_dot_product_attention (B 8, H 8, T 256, D 64, f32), $THREADS threads, best of $REPEAT x $ROUNDS rounds," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg); best sgemm ${gf:-?} GFLOP/s"
printf '%-30s %10s %10s %10s %8s %8s %8s\n' "workload" "nabla" "torch" "torch-pas" "x torch" "x pas" "target"
for c in 0 1; do
  lab=$([ $c = 1 ] && echo "causal" || echo "full")
  for f in fwd_ms fwdbwd_ms; do
    a=$(best attn_nabla $c $f) b=$(best attn_torch $c $f) p=$(best attn_torchp $c $f)
    tgt="(info)"; [ $f = fwdbwd_ms ] && tgt=">= 1.2"
    printf '%-30s %10s %10s %10s %8s %8s %8s\n' "$lab $f" "$a" "$b" "$p" "$(div "$b" "$a")" "$(div "$p" "$a")" "$tgt"
  done
  a=$(best attn_nabla $c fwdbwd_ms)
  fl=$(awk -v c=$c 'BEGIN { f = 3.5 * 4 * 8 * 8 * 256 * 256 * 64; if (c) f /= 2; print f }')
  floor=$(awk -v f="$fl" -v g="$gf" 'BEGIN { if (g + 0 > 0) printf "%.2f", f / (g * 1e6) }')
  printf '%-30s %10s %10s %10s %8s %8s %8s\n' "$lab fwd+bwd FLOP floor ms" "$a" "$floor" "" "$(div "$floor" "$a")" "" ">= 0.5"
done
printf '%-30s %10s %10s %10s %8s %8s %8s\n' "peak RSS kB (torch/nabla)" "$(maxrss attn_nabla)" "$(maxrss attn_torch)" \
  "$(maxrss attn_torchp)" "$(div "$(maxrss attn_torch)" "$(maxrss attn_nabla)")" \
  "$(div "$(maxrss attn_torchp)" "$(maxrss attn_nabla)")" ">= 1"
echo "(raw outputs in $OUT/attn_*.out)"
