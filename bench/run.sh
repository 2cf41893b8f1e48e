#!/bin/sh
# run.sh — `make bench`: nabla and PyTorch side by side in one run, on every issue-5 workload, then a
# table of ratios with each target and whether it is met. Builds nabla in release (and, when OpenBLAS
# is there, a second build with -Dblas=openblas); installs python3-torch, python3-numpy,
# libopenblas-dev and time with apt when missing (as root; they are only for the comparison).
# Environment: BUILD (default build), BLAS_BUILD (default $BUILD-openblas), THREADS (default 2),
# SMALL_N (default 20000), FMNIST=0 skips the two Fashion-MNIST epochs, MEMORY=0 skips the four memory
# loops (bench/memory.c vs torch_memory.py; MEM_STEPS steps each, default 5, tsp 1 L-BFGS step),
# CNN=0 skips the convolution workloads, CNN_BATCHES (default 60: MNIST CNN batches timed, an epoch
# extrapolated),
# RNN=0 skips bench/rnn.sh, ATTN=0 skips bench/attention.sh, OUT (default /tmp/nabla-bench),
# OMP_WAIT_POLICY (default: passive when the load average exceeds half the CPUs; "default" keeps libgomp's).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
BLAS_BUILD=${BLAS_BUILD:-$BUILD-openblas}
THREADS=${THREADS:-2}
SMALL_N=${SMALL_N:-20000}
FMNIST=${FMNIST:-1}
MEMORY=${MEMORY:-1}
MEM_STEPS=${MEM_STEPS:-5}
CNN=${CNN:-1}
CNN_BATCHES=${CNN_BATCHES:-60}
OUT=${OUT:-/tmp/nabla-bench}
PY=/usr/bin/python3
mkdir -p "$OUT"
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
# On a busy machine OpenMP threads that spin between parallel regions (libgomp's default) steal the
# cores the working threads need, and both nabla and PyTorch slow down up to 10x; idle threads then
# sleep instead (for every program of the run alike). An explicit OMP_WAIT_POLICY is kept.
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "${OMP_WAIT_POLICY:-}" = default ]; then
  unset OMP_WAIT_POLICY   # OMP_WAIT_POLICY=default: libgomp's own default, whatever the load
elif [ -z "${OMP_WAIT_POLICY:-}" ] && awk -v n="$NCPU" '{ exit !($1 > n / 2) }' /proc/loadavg 2>/dev/null; then
  export OMP_WAIT_POLICY=passive
fi

say() { printf '%s\n' "$*" >&2; }

# ---- what the comparison needs (nabla itself needs only tools/deps.sh) ----
missing=""
dpkg -s time >/dev/null 2>&1 || missing="$missing time"
$PY -c 'import torch' >/dev/null 2>&1 || missing="$missing python3-torch"
$PY -c 'import numpy' >/dev/null 2>&1 || missing="$missing python3-numpy"
dpkg -s libopenblas-dev >/dev/null 2>&1 || missing="$missing libopenblas-dev"
[ -d /usr/share/datasets/fashion-mnist ] || missing="$missing dataset-fashion-mnist"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    say "bench: installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    say "bench: missing$missing (run as root, or: sudo apt-get install$missing); those columns will be empty"
  fi
fi
HAVE_TORCH=0; $PY -c 'import torch, numpy' >/dev/null 2>&1 && HAVE_TORCH=1
TIMEV=""; [ -x /usr/bin/time ] && TIMEV=/usr/bin/time

# ---- builds (release; the OpenBLAS-backed one only if OpenBLAS is installed) ----
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release >/dev/null || exit 1
ninja -C "$BUILD" >/dev/null || { say "bench: build failed in $BUILD"; exit 1; }
HAVE_BLAS_BUILD=0
if pkg-config --exists openblas 2>/dev/null || [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ]; then
  if { [ -f "$BLAS_BUILD/build.ninja" ] || meson setup "$BLAS_BUILD" --buildtype=release -Dblas=openblas -Dtests=false >/dev/null; } &&
     ninja -C "$BLAS_BUILD" bench/matmul >/dev/null; then
    HAVE_BLAS_BUILD=1
  else
    say "bench: the -Dblas=openblas build failed; skipping its row"
  fi
fi

# run NAME CMD...: stdout to $OUT/NAME.out, peak RSS (kB) to $OUT/NAME.rss (empty without /usr/bin/time)
run() {
  name=$1; shift
  say "bench: $name: $*"
  if [ -n "$TIMEV" ]; then
    "$TIMEV" -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
    rc=$?
    sed -n 's/.*Maximum resident set size (kbytes): *//p' "$OUT/$name.time" >"$OUT/$name.rss"
  else
    "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
    rc=$?
    : >"$OUT/$name.rss"
  fi
  [ $rc = 0 ] || say "bench: $name exited with $rc (see $OUT/$name.err)"
  cat "$OUT/$name.out" >&2
}
# val NAME KEY [LINE-PATTERN]: the number after KEY on the last line of NAME's output matching the pattern
val() {
  grep -e "${3:-.}" "$OUT/$1.out" 2>/dev/null | tail -1 | tr ' ' '\n' | sed -n "/^$2\$/{n;p;q}"
}
rss() { cat "$OUT/$1.rss" 2>/dev/null; }
# best NAME KEY: the smallest value of KEY over the runs NAME1 and NAME2; peak NAME: the larger RSS
best() { printf '%s\n%s\n' "$(val "${1}1" "$2")" "$(val "${1}2" "$2")" | grep . | sort -g | head -1; }
peak() { printf '%s\n%s\n' "$(rss "${1}1")" "$(rss "${1}2")" | grep . | sort -g | tail -1; }

# ---- the workloads, nabla then PyTorch each time ----
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
run small "$BUILD/bench/small" "$SMALL_N"
[ $HAVE_TORCH = 1 ] && run torch_small $PY bench/torch_small.py "$SMALL_N"
run matmul "$BUILD/bench/matmul" 256 512 1024
[ $HAVE_BLAS_BUILD = 1 ] && run matmul_blas "$BLAS_BUILD/bench/matmul" 256 512 1024
[ $HAVE_TORCH = 1 ] && run torch_matmul $PY bench/torch_matmul.py 256 512 1024
OMP_NUM_THREADS=1 run matmul_1t "$BUILD/bench/matmul" 1024
run matmul_2t "$BUILD/bench/matmul" 1024
if [ "$FMNIST" = 1 ] && [ -x "$BUILD/bench/fmnist" ]; then
  for rep in 1 2; do   # twice, alternating; the faster epoch of each side counts (shared machine)
    run fmnist$rep "$BUILD/bench/fmnist" 784-256-10 1 256 0.1
    [ $HAVE_TORCH = 1 ] && run torch_fmnist$rep $PY bench/torch_fmnist.py 784-256-10 1 256 0.1
    run quick$rep "$BUILD/bench/fmnist" 784-512-512-10 1 64 1e-3
    [ $HAVE_TORCH = 1 ] && run torch_quick$rep $PY bench/torch_fmnist.py 784-512-512-10 1 64 1e-3
  done
fi

# memory: the four loops of bench/memory.c, nabla as written, PyTorch, nabla with NB_TIDY (interleaved)
MEM_MODES="mlp cnn lm tsp"
if [ "$MEMORY" = 1 ] && [ -x "$BUILD/bench/memory" ]; then
  [ $HAVE_TORCH = 1 ] && run torch_base $PY -c 'import torch, torch.nn.functional'
  for m in $MEM_MODES; do
    st=$MEM_STEPS; [ $m = tsp ] && st=1
    run mem_$m "$BUILD/bench/memory" $m full $st
    [ $HAVE_TORCH = 1 ] && run torch_mem_$m $PY bench/torch_memory.py $m full $st
    run mem_tidy_$m "$BUILD/bench/memory" $m full $st tidy
  done
fi
# -- convolutions: conv2d fwd+bwd on ResNet-like shapes, and the MNIST CNN (examples/mnist_cnn and
# pytorch/examples mnist/main.py as bench/torch_mnist_cnn.py): CNN_BATCHES training batches of each, the epoch
# (938 batches) extrapolated; PyTorch with the environment's OpenMP policy and with OMP_WAIT_POLICY=passive
CNN_EX="$BUILD/examples/mnist_cnn"
if [ "$CNN" = 1 ] && [ -x "$BUILD/bench/conv" ]; then
  CNN_ARGS="--batch-size 64 --epochs 1 --lr 1.0 --gamma 0.7 --seed 1 --log-interval 10 --no-accel --threads $THREADS --max-batches $CNN_BATCHES --no-test"
  for rep in 1 2; do   # alternating, the faster of each side counts (shared machine)
    run conv$rep "$BUILD/bench/conv" 3
    [ $HAVE_TORCH = 1 ] && run torch_conv$rep $PY bench/torch_conv.py 3
    if [ -x "$CNN_EX" ]; then
      # (the times per batch go to stderr: merged into the output that val reads)
      run cnn$rep sh -c '"$0" "$@" 2>&1' "$CNN_EX" $CNN_ARGS
      [ $HAVE_TORCH = 1 ] && run torch_cnn$rep sh -c '"$0" "$@" 2>&1' $PY bench/torch_mnist_cnn.py $CNN_ARGS
      [ $HAVE_TORCH = 1 ] && run torch_cnnp$rep env OMP_WAIT_POLICY=passive sh -c '"$0" "$@" 2>&1' $PY \
        bench/torch_mnist_cnn.py $CNN_ARGS
    fi
  done
fi

# the best 2-thread sgemm rate of this run: the larger of its two n=1024 measurements (the floors divide by it)
best_gf() { printf '%s\n%s\n' "$(val matmul nabla_gflops "n=1024 ")" "$(val matmul_2t nabla_gflops)" | grep . | sort -g | tail -1; }

# ---- the table ----
# row LABEL NABLA TORCH RATIO TARGET OP: OP is "ge" (ratio >= target) or "lt" (ratio < target)
row() {
  verdict=$(awk -v r="$4" -v t="$5" -v op="$6" 'BEGIN {
    if (r == "" || r == "nan") { print "n/a"; exit }
    ok = (op == "ge") ? (r + 0 >= t + 0) : (r + 0 < t + 0); print ok ? "met" : "NOT met" }')
  printf '%-34s %12s %12s %9s %10s  %s\n' "$1" "${2:--}" "${3:--}" "${4:--}" "$([ "$6" = ge ] && echo ">= $5" || echo "< $5")" "$verdict"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "nan" || b == "nan" || b + 0 == 0) print ""; else printf "%.2f", a / b }'; }

echo
echo "nabla vs PyTorch $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null), $THREADS threads on $NCPU CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-default}"
printf '%-34s %12s %12s %9s %10s  %s\n' "workload" "nabla" "reference" "ratio" "target" "verdict"
a=$(val small scalar_gd_step_us scalar_gd); b=$(val torch_small scalar_gd_step_us scalar_gd)
row "scalar GD step (us, torch/nabla)" "$a" "$b" "$(div "$b" "$a")" 50 ge
a=$(val small adam2d_step_us adam2d); b=$(val torch_small adam2d_step_us adam2d)
row "2-D Adam step (us, torch/nabla)" "$a" "$b" "$(div "$b" "$a")" 100 ge
for n in 256 512 1024; do
  a=$(val matmul nabla_gflops "n=$n "); b=$(val matmul openblas_gflops "n=$n ")
  row "sgemm n=$n (GFLOP/s, /OpenBLAS)" "$a" "$b" "$(div "$a" "$b")" 0.70 ge
done
for n in 256 512 1024; do
  a=$(val matmul_blas nabla_gflops "n=$n "); b=$(val matmul_blas openblas_gflops "n=$n ")
  row "-Dblas=openblas n=$n (/OpenBLAS)" "$a" "$b" "$(div "$a" "$b")" 0.95 ge
done
for n in 256 512 1024; do
  a=$(val matmul nabla_gflops "n=$n "); b=$(val torch_matmul torch_gflops "n=$n ")
  printf '%-34s %12s %12s %9s\n' "  (info) sgemm n=$n vs torch" "${a:--}" "${b:--}" "$(div "$a" "$b")"
done
a=$(best fmnist epoch_s); b=$(best torch_fmnist epoch_s)
row "MLP 784-256-10 b256 epoch (s)" "$a" "$b" "$(div "$b" "$a")" 4 ge
printf '%-34s %12s %12s\n' "  (info) test_acc" "$(val fmnist1 test_acc)" "$(val torch_fmnist1 test_acc)"
# -- MLP floor: epoch FLOPs 60000 x 2 x (2 x 784x256 + 3 x 256x10) = 49.09e9 (forward and weight
# gradients of both layers, input gradient of the second only) / the best nabla sgemm rate of this run
a=$(best fmnist epoch_s); g=$(best_gf)
f=$(awk -v g="$g" 'BEGIN { if (g != "") printf "%.3f", 49.09e9 / (g * 1e9) }')
row "MLP GEMM floor (s, floor/nabla)" "$a" "$f" "$(div "$f" "$a")" 0.8 ge
a=$(best quick epoch_s); b=$(best torch_quick epoch_s)
row "quickstart 784-512-512-10 b64 (s)" "$a" "$b" "$(div "$b" "$a")" 2 ge
printf '%-34s %12s %12s\n' "  (info) test_acc" "$(val quick1 test_acc)" "$(val torch_quick1 test_acc)"
a=$(val matmul_2t nabla_gflops); b=$(val matmul_1t nabla_gflops)
row "sgemm n=1024 2 threads / 1 thread" "$a" "$b" "$(div "$a" "$b")" 1.7 ge
a=$(val small steady_allocs scalar_gd); b=$(val small steady_allocs adam2d)
row "allocs after step 1 (GD, Adam)" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a != "" && b != "") print a + b }')" 1 lt
a=$(rss small); b=$(rss torch_small)
row "peak RSS small (kB, nabla/torch)" "$a" "$b" "$(div "$a" "$b")" 1 lt
for w in fmnist quick; do
  a=$(peak "$w"); b=$(peak "torch_$w")
  row "peak RSS $w (kB, nabla/torch)" "$a" "$b" "$(div "$a" "$b")" 1 lt
done
if [ "$MEMORY" = 1 ] && [ -x "$BUILD/bench/memory" ]; then
  echo
  echo "memory: four training loops from today's ops at full size (bench/memory.c, bench/torch_memory.py)"
  printf '%-34s %12s %12s %9s %10s  %s\n' "workload" "nabla" "pytorch" "ratio" "target" "verdict"
  allocs=0
  for m in $MEM_MODES; do
    for v in "" tidy_; do
      lab="$m${v:++tidy}"
      a=$(rss mem_$v$m); b=$(rss torch_mem_$m)
      row "peak RSS $lab (kB, nabla/torch)" "$a" "$b" "$(div "$a" "$b")" 1.001 lt
      a=$(val mem_$v$m step_ms); b=$(val torch_mem_$m step_ms)
      printf '%-34s %12s %12s %9s\n' "  step $lab (ms, torch/nabla)" "${a:--}" "${b:--}" "$(div "$b" "$a")"
      printf '%-34s %12s\n' "  nabla peak_bytes (MB)" "$(awk -v p="$(val mem_$v$m peak_bytes)" 'BEGIN { if (p != "") printf "%.1f", p / 1e6 }')"
      allocs=$(awk -v a="$allocs" -v b="$(val mem_$v$m steady_allocs)" 'BEGIN { print a + (b == "" ? 0 : b) }')
    done
  done
  printf '%-34s %12s\n' "  (info) python+torch import RSS" "$(rss torch_base) kB"
  row "memory loops: allocs after step 1" "$allocs" "" "$allocs" 1 lt
fi
# -- convolutions
if [ "$CNN" = 1 ]; then
  for c in r64_3x3_56 r128_3x3_28 r1x1_256to64_56 dw128_3x3_56; do
    bv() { printf '%s\n%s\n' "$(val "${1}1" "$2" "case=$c ")" "$(val "${1}2" "$2" "case=$c ")" | grep . | sort -g | head -1; }
    a=$(bv conv fwdbwd_ms); b=$(bv torch_conv fwdbwd_ms)
    row "conv $c fwd+bwd (ms, torch/nabla)" "$a" "$b" "$(div "$b" "$a")" 1.2 ge
    a=$(bv conv cpu_ms); b=$(bv torch_conv cpu_ms)
    printf '%-34s %12s %12s %9s\n' "  (info) CPU time (ms, torch/nabla)" "${a:--}" "${b:--}" "$(div "$b" "$a")"
  done
  ep() { awk -v s="$1" 'BEGIN { if (s != "") printf "%.1f", s * 938 }'; }
  a=$(ep "$(best cnn s_per_batch)"); b=$(ep "$(best torch_cnnp s_per_batch)"); c=$(ep "$(best torch_cnn s_per_batch)")
  row "MNIST CNN epoch est. (s, /passive)" "$a" "$b" "$(div "$b" "$a")" 2 ge
  printf '%-34s %12s %12s %9s\n' "  (info) vs torch, env OMP policy" "${a:--}" "${c:--}" "$(div "$c" "$a")"
  g=$(best_gf)   # epoch FLOPs 4.29e12 / best sgemm rate of this run
  f=$(awk -v g="$g" 'BEGIN { if (g != "") printf "%.1f", 4.29e12 / (g * 1e9) }')
  row "MNIST CNN GEMM floor (s, floor/nabla)" "$a" "$f" "$(div "$f" "$a")" 0.5 ge
  a=$(peak cnn); b=$(peak torch_cnnp)
  row "peak RSS MNIST CNN (kB, nabla/torch)" "$a" "$b" "$(div "$a" "$b")" 1 lt
fi
echo "(raw outputs in $OUT)"
# -- recurrent workloads: their own table
if [ "${RNN:-1}" = 1 ] && [ $HAVE_TORCH = 1 ]; then BUILD="$BUILD" THREADS="$THREADS" OUT="$OUT" sh bench/rnn.sh; fi
# -- attention: its own table
if [ "${ATTN:-1}" = 1 ] && [ $HAVE_TORCH = 1 ]; then BUILD="$BUILD" THREADS="$THREADS" OUT="$OUT" sh bench/attention.sh; fi
