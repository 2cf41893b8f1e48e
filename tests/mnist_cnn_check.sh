#!/bin/sh
# mnist_cnn_check.sh PROGRAM [BATCHES] — examples/mnist_cnn against PyTorch on its first 3 batches (kept short for the
# sanitizer build): the script's command line (seed 1, batch 64, Adadelta lr 1.0) with --log-interval 1, so the
# same init, data order and dropout masks; each logged line must have torch's format and its loss within float
# rounding (the second and third losses follow one and two Adadelta steps). Reference: bench/torch_mnist_cnn.py
# (pytorch/examples mnist/main.py on Fashion-MNIST) with torch 1.13, run by hand with the same options:
#   Train Epoch: 1 [0/60000 (0%)]	Loss: 2.330319
#   Train Epoch: 1 [64/60000 (0%)]	Loss: 3.326708
#   Train Epoch: 1 [128/60000 (0%)]	Loss: 2.356604
# BATCHES (1 to 3, default 3): an unoptimised (sanitizer) build checks the first batch only, as its GEMM
# is ~50x slower. Skipped (exit 77) without the dataset (apt-get install dataset-fashion-mnist).
prog=$1
nb=${2:-3}
data=${NB_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
[ -r "$data/train-images-idx3-ubyte.gz" ] || { echo "skipped: $data not found"; exit 77; }
out=$("$prog" --batch-size 64 --test-batch-size 1000 --epochs 1 --lr 1.0 --gamma 0.7 --seed 1 --log-interval 1 \
      --no-accel --data "$data" --max-batches "$nb" --no-test 2>/dev/null) || { echo "$prog failed"; echo "0 passed, 1 failed"; exit 1; }
printf '%s\n' "$out"
printf '%s\n' "$out" | awk -F'\t' -v nb="$nb" '
  BEGIN { want["Train Epoch: 1 [0/60000 (0%)]"] = 2.330319; want["Train Epoch: 1 [64/60000 (0%)]"] = 3.326708
          want["Train Epoch: 1 [128/60000 (0%)]"] = 2.356604 }
  { n++; split($2, a, "Loss: "); if (!($1 in want) || a[2] !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) { bad++; next }
    d = a[2] - want[$1]; if (d < 0) d = -d; if (d > 5e-4) { print "loss " a[2] " vs torch " want[$1]; bad++ } else ok++ }
  END { if (n != nb) bad++; printf "%d passed, %d failed\n", ok, bad; exit bad > 0 }'
