#!/usr/bin/python3
# PyTorch side of bench/attention.c: scaled dot-product attention at (B 8, H 8, T 256, D 64), causal and
# not, forward alone and forward + backward with a fixed grad_output, written with PyTorch 1.13 ops as
# the unfused composition (1.13 has no F.scaled_dot_product_attention): softmax(q k^T / sqrt(D) + mask) v.
# The best of the rounds counts (the machine is shared). Usage: torch_attention.py [rounds] [B H T D]
import math
import sys
import time

import torch

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
B, H, T, D = (int(a) for a in sys.argv[2:6]) if len(sys.argv) > 5 else (8, 8, 256, 64)
torch.manual_seed(0)
q, k, v = (torch.randn(B, H, T, D, requires_grad=True) for _ in range(3))
go = torch.randn(B, H, T, D)
causal_mask = torch.ones(T, T, dtype=torch.bool).tril().logical_not()


def attn(causal):
    s = q @ k.transpose(-2, -1) * (1 / math.sqrt(D))
    if causal:
        s = s.masked_fill(causal_mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


for causal in (0, 1):
    fw = fb = float("inf")
    for r in range(rounds + 1):
        t = time.perf_counter()
        with torch.no_grad():
            attn(causal)
        t1 = time.perf_counter()
        attn(causal).backward(go)
        t2 = time.perf_counter()
        q.grad = k.grad = v.grad = None
        if r:
            fw, fb = min(fw, t1 - t), min(fb, t2 - t1)
    print("causal %d B %d H %d T %d D %d fwd_ms %.2f fwdbwd_ms %.2f" % (causal, B, H, T, D, fw * 1e3, fb * 1e3))
