#!/usr/bin/python3
"""torch_pool.py - the PyTorch side of bench/pool.c: max_pool2d and avg_pool2d forward + backward on
CNN-sized inputs, best round's mean of `reps` steps. usage: torch_pool.py [reps]"""
import sys
import time

import torch
import torch.nn.functional as F

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "2")))
cases = [("max_pool2d_k2_64x64x24x24", (64, 64, 24, 24), True, 2, 2, 0),
         ("max_pool2d_k3s2p1_32x64x56x56", (32, 64, 56, 56), True, 3, 2, 1),
         ("avg_pool2d_k2_64x64x24x24", (64, 64, 24, 24), False, 2, 2, 0),
         ("avg_pool2d_k3s1p1_32x64x28x28", (32, 64, 28, 28), False, 3, 1, 1)]
torch.manual_seed(0)
for name, shape, is_max, k, s, p in cases:
    x = torch.randn(shape, requires_grad=True)

    def step():
        y = F.max_pool2d(x, k, s, p) if is_max else F.avg_pool2d(x, k, s, p)
        y.backward(torch.ones_like(y))
        x.grad = None
    step()
    best = 1e30
    for r in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        best = min(best, (time.perf_counter() - t0) / reps)
    print("%s fwd_bwd_ms %.3f" % (name, best * 1e3))
