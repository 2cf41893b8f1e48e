#!/usr/bin/python3
"""torch_conv.py — the PyTorch side of bench/conv.c: F.conv2d forward + backward (input, weight and bias
gradients) on the same ResNet-like shapes, best of REPS after a warm-up; one line per case:
case=NAME fwd_ms X fwdbwd_ms Y gflops Z cpu_ms C (process CPU time of the best run, all threads).   usage: torch_conv.py [REPS]"""
import sys
import time

import torch
import torch.nn.functional as F

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
cases = [("r64_3x3_56", 32, 64, 56, 64, 3, 1, 1, 1), ("r128_3x3_28", 32, 128, 28, 128, 3, 1, 1, 1),
         ("r1x1_256to64_56", 32, 256, 56, 64, 1, 1, 0, 1), ("dw128_3x3_56", 32, 128, 56, 128, 3, 1, 1, 128)]
for name, n, c, h, o, k, s, p, g in cases:
    torch.manual_seed(1)
    x = torch.randn(n, c, h, h, requires_grad=True)
    w = torch.randn(o, c // g, k, k, requires_grad=True)
    b = torch.randn(o, requires_grad=True)
    best_f = best_fb = best_cpu = 1e30
    for r in range(reps + 1):
        c0 = time.process_time()
        t0 = time.perf_counter()
        y = F.conv2d(x, w, b, s, p, 1, g)
        t1 = time.perf_counter()
        gy = torch.ones_like(y)
        t2 = time.perf_counter()
        y.backward(gy)
        t3 = time.perf_counter()
        c3 = time.process_time()
        x.grad = w.grad = b.grad = None
        if r == 0:
            continue
        best_f = min(best_f, t1 - t0)
        best_fb = min(best_fb, (t1 - t0) + (t3 - t2))
        best_cpu = min(best_cpu, c3 - c0)
    ho = (h + 2 * p - k) // s + 1
    flops = 2.0 * n * o * (c // g) * k * k * ho * ho
    print("case=%s fwd_ms %.3f fwdbwd_ms %.3f gflops %.1f cpu_ms %.3f" % (name, 1e3 * best_f, 1e3 * best_fb,
                                                                         3 * flops / best_fb / 1e9, 1e3 * best_cpu),
          flush=True)
