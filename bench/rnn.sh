#!/bin/sh
# rnn.sh — recurrent workloads side by side with PyTorch, run by bench/run.sh (RNN=0 skips)
# or alone: word_language_model LSTM and GRU (emsize 200, nhid 200, 2 layers, bptt 35, batch 20) on a
# generated 200k-token corpus of ~32k word types (tools/gen_corpus.py), ms/batch of the 2nd and 3rd
# logged intervals (20 batches each; the first holds the warm-up) and peak RSS, for nabla and for
# PyTorch with its default OpenMP wait policy and with OMP_WAIT_POLICY=passive, interleaved; then one
# LSTMCell / GRUCell step forward + backward at batch 1 and 64, hidden 51 and 512 (best of CELL_REPEAT runs).
# Environment: BUILD (default build), THREADS (2), OUT (/tmp/nabla-bench), WLM_LINES (3), WLM_INTERVAL (20),
# CELL_REPEAT (3), WLM=0 skips the word LMs (the cell table only).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/nabla-bench}
LINES=${WLM_LINES:-3}
INTERVAL=${WLM_INTERVAL:-20}
PY=/usr/bin/python3
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS"
ninja -C "$BUILD" examples/word_language_model bench/rnn_cell >/dev/null || { echo "rnn.sh: build failed" >&2; exit 1; }
CORPUS="$OUT/wlm_corpus"
[ -f "$CORPUS/test.txt" ] || $PY tools/gen_corpus.py "$CORPUS" --vocab 180000 --tokens 200000 --seed 2

# wlm NAME POLICY CMD...: run until LINES intervals are logged, then stop it (peak RSS from time -v);
# POLICY: inherit (nabla: the caller's OMP_WAIT_POLICY, as run.sh sets it), default (unset) or passive
wlm() {
  name=$1 policy=$2; shift 2
  echo "rnn.sh: $name (OMP_WAIT_POLICY: $policy)" >&2
  case $policy in
    inherit) /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 & ;;
    default) env -u OMP_WAIT_POLICY /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 & ;;
    *) OMP_WAIT_POLICY=$policy /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 & ;;
  esac
  tpid=$!
  while kill -0 "$tpid" 2>/dev/null && [ "$(grep -c '^| epoch' "$OUT/$name.out")" -lt "$LINES" ]; do sleep 1; done
  for p in $(ps -o pid= --ppid "$tpid" 2>/dev/null); do kill "$p" 2>/dev/null; done
  wait "$tpid" 2>/dev/null
  sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" > "$OUT/$name.rss"
}
# mean ms/batch over the logged intervals 2..LINES
msb() { grep '^| epoch' "$OUT/$1.out" | sed -n "2,${LINES}p" | sed 's/.*ms\/batch *\([0-9.]*\).*/\1/' |
        awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n }'; }
ARGS="--data $CORPUS --epochs 1 --log-interval $INTERVAL --emsize 200 --nhid 200 --nlayers 2 --bptt 35 --batch_size 20"
for m in LSTM GRU; do
  [ "${WLM:-1}" = 1 ] || break
  # shellcheck disable=SC2086
  wlm "wlm_nabla_$m" inherit "$BUILD/examples/word_language_model" $ARGS --model $m --save "$OUT/nb.pt"
  # shellcheck disable=SC2086
  wlm "wlm_torch_$m" default $PY bench/torch_wlm/main.py $ARGS --model $m --save "$OUT/t.pt"
  # shellcheck disable=SC2086
  wlm "wlm_torchp_$m" passive $PY bench/torch_wlm/main.py $ARGS --model $m --save "$OUT/t.pt"
done
# the cell steps are short (0.01-7 ms): CELL_REPEAT interleaved runs of each side, the best of each counts
: > "$OUT/cell_nabla.out"; : > "$OUT/cell_torch.out"; : > "$OUT/cell_torchp.out"
r=0
while [ $r -lt "${CELL_REPEAT:-3}" ]; do
  "$BUILD/bench/rnn_cell" 1000 >> "$OUT/cell_nabla.out"
  env -u OMP_WAIT_POLICY $PY bench/torch_rnn_cell.py 1000 >> "$OUT/cell_torch.out"
  OMP_WAIT_POLICY=passive $PY bench/torch_rnn_cell.py 1000 >> "$OUT/cell_torchp.out"
  r=$((r + 1))
done

div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "recurrent workloads, $THREADS threads, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-30s %10s %10s %10s %8s %8s %8s\n' "workload" "nabla" "torch" "torch-pas" "x torch" "x pas" "target"
for m in LSTM GRU; do
  [ "${WLM:-1}" = 1 ] || break
  a=$(msb "wlm_nabla_$m") b=$(msb "wlm_torch_$m") c=$(msb "wlm_torchp_$m")
  printf '%-30s %10s %10s %10s %8s %8s %8s\n' "wlm $m ms/batch" "$a" "$b" "$c" "$(div "$b" "$a")" "$(div "$c" "$a")" ">= 1.5"
  a=$(cat "$OUT/wlm_nabla_$m.rss") b=$(cat "$OUT/wlm_torch_$m.rss") c=$(cat "$OUT/wlm_torchp_$m.rss")
  printf '%-30s %10s %10s %10s %8s %8s %8s\n' "wlm $m peak RSS kB (t/n)" "$a" "$b" "$c" "$(div "$b" "$a")" "$(div "$c" "$a")" ">= 1"
done
best() { grep "^$2 $3 $4 " "$OUT/$1.out" | awk '{ print $5 }' | sort -g | head -1; }
awk '!seen[$1 " " $2 " " $3]++' "$OUT/cell_nabla.out" | while read -r kind b h key us; do
  us=$(best cell_nabla "$kind" "$b" "$h")
  t=$(best cell_torch "$kind" "$b" "$h")
  p=$(best cell_torchp "$kind" "$b" "$h")
  tgt=">= 1.2"; [ "$b" = "B=1" ] && tgt=">= 3"
  printf '%-30s %10s %10s %10s %8s %8s %8s\n' "$kind cell $b $h us/step" "$us" "$t" "$p" "$(div "$t" "$us")" "$(div "$p" "$us")" "$tgt"
done
