#!/bin/sh
# ddp_overlap.sh — is DDP's gradient reduction hidden behind backward? Runs bench/ddp_overlap
# (see its header) for the MNIST CNN and the Fashion-MNIST MLP: at np 1 (backward compute alone), and at
# np 2 x 1 thread with the default buckets, with small buckets, and with one bucket (nothing can
# overlap). Prints one table row per run. With LOCK=FILE every run holds that lock file (flock), so runs
# from several shells take turns on the CPU (e.g. LOCK=/tmp/bench.lock).
# Environment: BUILD (build-rel), STEPS (20), CNN_BATCH (32 per rank), MLP_BATCH (128 per rank),
# LOCK (unset: no lock).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build-rel}
STEPS=${STEPS:-20}
CB=${CNN_BATCH:-32}
MB=${MLP_BATCH:-128}
LOCKCMD=""
[ -n "${LOCK:-}" ] && LOCKCMD="flock $LOCK"
EXE="$BUILD/bench/ddp_overlap"
[ -x "$EXE" ] || { echo "ddp_overlap.sh: build $EXE first (ninja -C $BUILD bench/ddp_overlap)" >&2; exit 1; }
command -v mpirun >/dev/null 2>&1 || { echo "ddp_overlap.sh: mpirun not found" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI="mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS=1"
echo "ddp_overlap.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), $STEPS steps, medians (ms)"
printf '%-13s %-16s %2s %4s %8s %8s %8s %8s %8s %6s %6s\n' model buckets np bkts fwd bwd exposed alone step early done
row() { # row MODEL BATCH NP LABEL [CAP [FIRST]]
  m=$1 b=$2 n=$3 l=$4; shift 4
  out=$($LOCKCMD timeout 170 $MPI -np "$n" "$EXE" "$m" "$b" "$STEPS" "$@" 2>/dev/null | tail -1)
  v() { echo "$out" | tr ' ' '\n' | sed -n "/^$1\$/{n;p;q}"; }
  printf '%-13s %-16s %2s %4s %8s %8s %8s %8s %8s %6s %6s\n' "$m/b$b" "$l" "$n" "$(v buckets)" "$(v fwd_ms)" \
    "$(v bwd_ms)" "$(v exposed_ms)" "$(v allreduce_alone_ms)" "$(v step_ms)" "$(v early_launched_per_step)" \
    "$(v early_done_per_step)"
}
row cnn "$CB" 1 "compute only"
row cnn "$CB" 2 "default 1/25 MB"
row cnn "$CB" 2 "one bucket" 100 100
row cnn "$CB" 2 "small 0.25/1 MB" 1 0.25
row 784-256-10 "$MB" 1 "compute only"
row 784-256-10 "$MB" 2 "default 1/25 MB"
row 784-256-10 "$MB" 2 "small .01/.01 MB" 0.01 0.01
row 784-512-512-10 "$MB" 1 "compute only"
row 784-512-512-10 "$MB" 2 "default 1/25 MB"
row 784-512-512-10 "$MB" 2 "one bucket" 100 100
row 784-512-512-10 "$MB" 2 "small .25/.25 MB" 0.25 0.25
