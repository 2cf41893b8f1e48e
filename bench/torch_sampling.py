#!/usr/bin/python3
# PyTorch twin of bench/sampling.c: the same workloads and output lines (best round's mean time per call).
import sys
import time

import torch
from torch.distributions import Categorical

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
torch.manual_seed(0)
x = torch.rand(256, 4096)
vocab = torch.rand(10000)
probs = torch.rand(64, 10000)
logits = torch.randn(64, 10000)
g = torch.Generator()


def categorical():
    m = Categorical(logits=logits)
    return m.log_prob(m.sample())


work = [
    ("sort_256x4096", 5, lambda: torch.sort(x, 1)),
    ("topk10_256x4096", 20, lambda: torch.topk(x, 10, 1)),
    ("cumsum_256x4096", 50, lambda: torch.cumsum(x, 1)),
    ("randperm_60000", 50, lambda: torch.randperm(60000, generator=g)),
    ("multinomial_10000_1", 200, lambda: torch.multinomial(vocab, 1)),
    ("multinomial_64x10000_r16", 50, lambda: torch.multinomial(probs, 16, True)),
    ("categorical_64x10000", 50, categorical),
]
for name, reps, fn in work:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t) / reps)
    print("%s_us %.1f" % (name, best * 1e6), flush=True)
