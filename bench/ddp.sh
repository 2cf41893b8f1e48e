#!/bin/sh
# ddp.sh — data-parallel Fashion-MNIST MLP epoch: 2 MPI ranks x 1 thread (DDP) against
# 1 process x 2 threads, nabla and PyTorch (DDP on gloo) side by side in one run, each workload run
# twice alternating (the faster epoch counts; the machine is shared), with per-process peak RSS. Then
# the overlap: DDP's exposed communication per step (time backward spent inside MPI) against one
# all_reduce of the same bytes on its own. Environment: BUILD (default build-rel), ARCH
# (784-256-10), BATCH (global, 256), LR (0.1), OUT (/tmp/nabla-ddp-bench), REPS (2).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build-rel}
ARCH=${ARCH:-784-256-10}
BATCH=${BATCH:-256}
LR=${LR:-0.1}
REPS=${REPS:-2}
OUT=${OUT:-/tmp/nabla-ddp-bench}
PY=/usr/bin/python3
mkdir -p "$OUT"
say() { printf '%s\n' "$*" >&2; }
command -v mpirun >/dev/null 2>&1 || { say "ddp.sh: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"; exit 1; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null || exit 1
ninja -C "$BUILD" examples/fashion_mnist bench/allreduce >/dev/null || { say "ddp.sh: build failed"; exit 1; }
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# a shared machine: idle OpenMP threads and idle MPI ranks sleep instead of spinning (both sides alike)
if [ -z "${OMP_WAIT_POLICY:-}" ] && awk -v n="$NCPU" '{ exit !($1 > n / 2) }' /proc/loadavg 2>/dev/null; then
  export OMP_WAIT_POLICY=passive
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
MPI="mpirun --oversubscribe --bind-to none -np 2 -x OMP_NUM_THREADS=1"
EX="$BUILD/examples/fashion_mnist"
ARGS="--arch $ARCH --epochs 1 --batch $BATCH --lr $LR --opt sgd"
TIMEV=""; [ -x /usr/bin/time ] && TIMEV="/usr/bin/time -v"

run() {   # run NAME CMD...: stdout/stderr/time to $OUT/NAME.*
  name=$1; shift
  say "ddp.sh: $name: $*"
  if [ -n "$TIMEV" ]; then $TIMEV -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  else "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; : >"$OUT/$name.time"; fi
  [ $? = 0 ] || say "ddp.sh: $name failed (see $OUT/$name.err)"
  cat "$OUT/$name.out" >&2
}
val() { grep -h -e "${3:-.}" "$OUT/$1.out" "$OUT/$1.err" 2>/dev/null | grep -e "\(^\| \)$2 " | tail -1 | tr ' ' '\n' | sed -n "/^$2\$/{n;p;q}"; }
best() { for r in $(seq 1 "$REPS"); do val "$1$r" "$2"; done | grep . | sort -g | head -1; }
rss() { for r in $(seq 1 "$REPS"); do sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$1$r.time" 2>/dev/null; done | sort -g | tail -1; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
HAVE_TORCH=0; $PY -c 'import torch.distributed as d; assert d.is_gloo_available()' 2>/dev/null && HAVE_TORCH=1
for r in $(seq 1 "$REPS"); do   # interleaved: nabla, torch, nabla, torch
  OMP_NUM_THREADS=2 run n1x2_$r "$EX" $ARGS --threads 2
  $MPI "$EX" $ARGS --ddp --threads 1 >/dev/null 2>&1 || true   # (warm the page cache for mpirun's first start)
  run n2x1_$r $MPI "$EX" $ARGS --ddp --threads 1
  if [ $HAVE_TORCH = 1 ]; then
    OMP_NUM_THREADS=2 run t1x2_$r $PY bench/torch_fmnist.py "$ARCH" 1 "$BATCH" "$LR"
    OMP_NUM_THREADS=1 run t2x1_$r $PY bench/torch_ddp_fmnist.py 2 "$ARCH" 1 "$BATCH" "$LR"
  fi
done
BYTES=$(val n2x1_1 bucket_bytes)
run ar1 $MPI "$BUILD/bench/allreduce" "${BYTES:-4}" 200

n12=$(best n1x2_ epoch_s); n21=$(best n2x1_ epoch_s); t12=$(best t1x2_ epoch_s); t21=$(best t2x1_ epoch_s)
echo
echo "Fashion-MNIST MLP $ARCH, one epoch, global batch $BATCH, SGD lr $LR; $NCPU CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-default}, mpi_yield_when_idle=1"
printf '%-40s %10s %10s %10s\n' "epoch seconds (best of $REPS)" "nabla" "torch" "torch/nabla"
printf '%-40s %10s %10s %10s\n' "1 process x 2 threads" "$n12" "${t12:--}" "$(div "$t12" "$n12")"
printf '%-40s %10s %10s %10s\n' "2 ranks x 1 thread (DDP)" "$n21" "${t21:--}" "$(div "$t21" "$n21")"
printf '%-40s %10s %10s %10s\n' "throughput 2x1 / 1x2 (target >= 0.9)" "$(div "$n12" "$n21")" "$(div "$t12" "$t21")" ""
printf '%-40s %10s %10s\n' "peak RSS per process (kB) 1x2" "$(rss n1x2_)" "$(rss t1x2_)"
printf '%-40s %10s %10s\n' "peak RSS per process (kB) 2x1" "$(rss n2x1_)" "$(rss t2x1_)"
printf '%-40s %10s %10s\n' "test_acc 1x2 / 2x1" "$(val n1x2_1 test_acc)/$(val n2x1_1 test_acc)" "$(val t1x2_1 test_acc)/$(val t2x1_1 test_acc)"
ex=$(best n2x1_ exposed_ms_per_step); wt=$(best n2x1_ wait_ms_per_step); ar=$(val ar1 us)
echo "DDP buckets $(val n2x1_1 buckets) ($BYTES bytes); exposed communication per step (best run) ${ex} ms (of which" \
     "after the last gradient ${wt} ms; it includes waiting for the slower rank); one all_reduce of those bytes alone $(awk -v u="$ar" 'BEGIN { printf "%.3f", u / 1000 }') ms;" \
     "hidden by backward: $(awk -v e="$ex" -v u="$ar" 'BEGIN { if (u > 0) { h = 1 - e * 1000 / u; printf "%.0f%%", (h < 0 ? 0 : h) * 100 } else print "-" }')"
echo "(raw outputs in $OUT)"
