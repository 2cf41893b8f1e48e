#!/bin/sh
# transformer.sh — attention workloads side by side with PyTorch: word_language_model
# --model Transformer (emsize 200, nhead 2, nhid 200, 2 layers, lr 5, bptt 35, batch 20) on the generated
# 200k-token corpus of bench/rnn.sh (ms/batch of the 2nd and 3rd logged intervals of WLM_INTERVAL batches;
# the first holds the warm-up) and char_gpt at nanoGPT's shakespeare-char size (6 layers, 6 heads, 384
# wide, block 256, batch 12; mean time of iterations 1..CG_ITERS-1), each with peak RSS (/usr/bin/time -v),
# for nabla and for PyTorch with its default OpenMP wait policy and with OMP_WAIT_POLICY=passive. With
# LOCK=FILE every run holds that lock file (flock), so runs from several shells take turns on the CPU.
# Environment: BUILD (build-rel), THREADS (2), OUT (/tmp/nabla-bench), WLM_LINES (3), WLM_INTERVAL (10),
# CG_ITERS (4), REPEAT (2: rounds, the fastest of each side counts), LOCK (unset: no lock).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build-rel}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/nabla-bench}
LINES=${WLM_LINES:-3}
INTERVAL=${WLM_INTERVAL:-10}
CG_ITERS=${CG_ITERS:-4}
REPEAT=${REPEAT:-2}
PY=/usr/bin/python3
LOCKCMD=""
[ -n "${LOCK:-}" ] && LOCKCMD="flock $LOCK"
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS"
nice -n 19 ninja -C "$BUILD" examples/word_language_model examples/char_gpt >/dev/null ||
  { echo "transformer.sh: build failed" >&2; exit 1; }
CORPUS="$OUT/wlm_corpus"
[ -f "$CORPUS/test.txt" ] || $PY tools/gen_corpus.py "$CORPUS" --vocab 180000 --tokens 200000 --seed 2

# run NAME POLICY PATTERN COUNT CMD...: run until COUNT lines match PATTERN, then stop it (peak RSS from
# time -v); POLICY: inherit (nabla), default (OMP_WAIT_POLICY unset) or passive
run() {
  name=$1 policy=$2 pat=$3 count=$4; shift 4
  echo "transformer.sh: $name (OMP_WAIT_POLICY: $policy)" >&2
  case $policy in
    inherit) set -- "$@" ;;
    default) set -- env -u OMP_WAIT_POLICY "$@" ;;
    *) set -- env OMP_WAIT_POLICY="$policy" "$@" ;;
  esac
  $LOCKCMD sh -c '
    out=$1 tm=$2 pat=$3 count=$4; shift 4
    /usr/bin/time -v -o "$tm" "$@" > "$out" 2>&1 &
    tpid=$!
    while kill -0 "$tpid" 2>/dev/null && [ "$(grep -c "$pat" "$out")" -lt "$count" ]; do sleep 0.5; done
    for p in $(ps -o pid= --ppid "$tpid" 2>/dev/null); do kill "$p" 2>/dev/null; done
    wait "$tpid" 2>/dev/null' sh "$OUT/$name.out" "$OUT/$name.time" "$pat" "$count" "$@"
  sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" > "$OUT/$name.rss"
}
msb() { grep '^| epoch' "$OUT/$1.out" | sed -n "2,${LINES}p" | sed 's/.*ms\/batch *\([0-9.]*\).*/\1/' |
        awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n }'; }
itms() { grep '^iter' "$OUT/$1.out" | sed -n "2,${CG_ITERS}p" | sed 's/.*time \([0-9.]*\)ms.*/\1/' |
         awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n }'; }
WARGS="--data $CORPUS --epochs 1 --log-interval $INTERVAL --model Transformer --emsize 200 --nhead 2 --nhid 200 --nlayers 2 --lr 5 --bptt 35 --batch_size 20"
CARGS="--n_layer 6 --n_head 6 --n_embd 384 --block_size 256 --batch_size 12 --dropout 0.2 --max_iters $CG_ITERS --eval_iters 0 --sample_tokens 0"
# REPEAT rounds, the six runs interleaved in each; every side's fastest round counts (the machine is shared)
rep=1
while [ $rep -le "$REPEAT" ]; do
  echo "transformer.sh: round $rep of $REPEAT" >&2
  # shellcheck disable=SC2086
  run wlm_nabla$rep inherit '^| epoch' "$LINES" "$BUILD/examples/word_language_model" $WARGS --save "$OUT/nb.pt"
  # shellcheck disable=SC2086
  run wlm_torch$rep default '^| epoch' "$LINES" $PY bench/torch_wlm/main.py $WARGS --save "$OUT/t.pt"
  # shellcheck disable=SC2086
  run wlm_torchp$rep passive '^| epoch' "$LINES" $PY bench/torch_wlm/main.py $WARGS --save "$OUT/t.pt"
  # shellcheck disable=SC2086
  run cg_nabla$rep inherit '^iter' "$CG_ITERS" "$BUILD/examples/char_gpt" $CARGS
  # shellcheck disable=SC2086
  run cg_torch$rep default '^iter' "$CG_ITERS" $PY bench/torch_char_gpt.py $CARGS
  # shellcheck disable=SC2086
  run cg_torchp$rep passive '^iter' "$CG_ITERS" $PY bench/torch_char_gpt.py $CARGS
  rep=$((rep + 1))
done
# best FN NAME: the smallest of FN over the rounds of NAME; rounds: every round's FN, space-separated
best() { r=1; while [ $r -le "$REPEAT" ]; do $1 "$2$r"; echo; r=$((r + 1)); done | grep . | sort -g | head -1; }
rounds() { r=1; while [ $r -le "$REPEAT" ]; do printf '%s ' "$($1 "$2$r")"; r=$((r + 1)); done; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mb() { awk -v k="$(cat "$OUT/$1"[0-9]*.rss 2>/dev/null | sort -n | tail -1)" 'BEGIN { if (k == "") print "-"; else printf "%.0f", k / 1024 }'; }
echo
echo "attention workloads, $THREADS threads, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| workload | nabla | torch | torch passive | torch/nabla | passive/nabla | RSS MB nabla / torch / passive | target |"
echo "|---|---|---|---|---|---|---|---|"
n=$(best msb wlm_nabla) t=$(best msb wlm_torch) p=$(best msb wlm_torchp)
echo "| wlm Transformer ms/batch | $n | $t | $p | $(div "$t" "$n") | $(div "$p" "$n") | $(mb wlm_nabla) / $(mb wlm_torch) / $(mb wlm_torchp) | >= 1.5 |"
n=$(best itms cg_nabla) t=$(best itms cg_torch) p=$(best itms cg_torchp)
echo "| char_gpt ms/iter | $n | $t | $p | $(div "$t" "$n") | $(div "$p" "$n") | $(mb cg_nabla) / $(mb cg_torch) / $(mb cg_torchp) | >= 1.5 |"
echo "every round (nabla; torch; torch passive): wlm $(rounds msb wlm_nabla); $(rounds msb wlm_torch); $(rounds msb wlm_torchp)"
echo "  char_gpt $(rounds itms cg_nabla); $(rounds itms cg_torch); $(rounds itms cg_torchp)"
