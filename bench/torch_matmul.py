#!/usr/bin/env python3
# torch_matmul.py — PyTorch (and NumPy/OpenBLAS) f32 matmul throughput on random n x n matrices, the
# counterpart of bench/matmul.c. One line per n: `n=N torch_gflops X numpy_openblas_gflops Y`.
# Sizes may be given on argv (default 64 128 256 512 1024 2048); threads follow OMP_NUM_THREADS.
import sys
import time

import numpy as np
import torch


def gflops(n, f):
    """GFLOP/s of f() (one n x n x n product) after an untimed warm-up of at least 0.2 s: the best of
    5 timed rounds, as bench/matmul.c does (the machine is shared)."""
    reps = max(1, int(4e8 / (2 * n**3)))
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:
        f()
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t) / 1e9)
    return best


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [64, 128, 256, 512, 1024, 2048]
    for n in sizes:
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        an, bn = a.numpy(), b.numpy()
        tg = gflops(n, lambda: a @ b)
        ng = gflops(n, lambda: an @ bn)
        print(f"n={n} torch_gflops {tg:.1f} numpy_openblas_gflops {ng:.1f}", flush=True)


if __name__ == "__main__":
    main()
