#!/bin/sh
# mnist_cnn_check.sh PROGRAM — examples/mnist_cnn against PyTorch on its first 11 batches: the script's
# command line (seed 1, batch 64, Adadelta lr 1.0), so the same init, data order and dropout masks; the two
# logged lines must have torch's format and losses within float rounding. Reference: bench/torch_mnist_cnn.py
# (pytorch/examples mnist/main.py on Fashion-MNIST) with torch 1.13, run by hand:
#   Train Epoch: 1 [0/60000 (0%)]	Loss: 2.330319
#   Train Epoch: 1 [640/60000 (1%)]	Loss: 1.438321
# Skipped (exit 77) without the dataset (apt-get install dataset-fashion-mnist).
prog=$1
data=${NB_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
[ -r "$data/train-images-idx3-ubyte.gz" ] || { echo "skipped: $data not found"; exit 77; }
out=$("$prog" --batch-size 64 --test-batch-size 1000 --epochs 1 --lr 1.0 --gamma 0.7 --seed 1 --log-interval 10 \
      --no-accel --data "$data" --max-batches 11 --no-test 2>/dev/null) || { echo "$prog failed"; echo "0 passed, 1 failed"; exit 1; }
printf '%s\n' "$out"
printf '%s\n' "$out" | awk -F'\t' '
  BEGIN { want["Train Epoch: 1 [0/60000 (0%)]"] = 2.330319; want["Train Epoch: 1 [640/60000 (1%)]"] = 1.438321 }
  { n++; split($2, a, "Loss: "); if (!($1 in want) || a[2] !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) { bad++; next }
    d = a[2] - want[$1]; if (d < 0) d = -d; if (d > 5e-4) { print "loss " a[2] " vs torch " want[$1]; bad++ } else ok++ }
  END { if (n != 2) bad++; printf "%d passed, %d failed\n", ok, bad; exit bad > 0 }'
