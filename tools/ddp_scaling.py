#!/usr/bin/python3
"""ddp_scaling.py — the scaling model of docs/distributed.md: expected DDP efficiency of the three
workloads on W nodes (weak scaling: each node keeps its per-rank batch), ring allreduce per step
    T_ar = 2 (W-1)/W * S / B  +  2 (W-1) * alpha * buckets
and efficiency = T_c / (T_c + T_exposed), with T_exposed = T_ar (nothing hidden) or, at best, the
time of the last bucket's reduction (the rest hidden behind backward). Usage: ddp_scaling.py [TC_MLP_MS]
(no torch needed; the compute times are measured on this machine, see docs/distributed.md)."""
import sys

GBIT = 1e9 / 8  # bytes per second in one Gb/s
# name, gradient bytes S, compute per step T_c (s) on one node (2 cores), buckets, last bucket's bytes
tc_mlp = float(sys.argv[1]) / 1e3 if len(sys.argv) > 1 else 2.0e-3
GFLOPS = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0   # sustained GFLOP/s of one node (measured sgemm)
MODELS = [
    # 784-256-10 MLP: 203,530 params; one bucket (< 1 MiB): nothing can hide
    ("MLP 784-256-10, b128/rank", 203530 * 4, tc_mlp, 1, 203530 * 4),
    # pytorch/examples mnist CNN: 1,199,882 params, ~72 MFLOP/sample fwd+bwd, batch 64; buckets (reverse):
    # fc2 + fc1 (4.7 MB: the first bucket closes at 1 MiB with fc1.weight), then conv2 + conv1 (75 KB, last)
    ("CNN (examples/mnist), b64/rank", 1199882 * 4, 64 * 72e6 / (GFLOPS * 1e9), 2, 18816 * 4),
    # pytorch/examples word_language_model LSTM 2x200, vocab 33278 (wikitext-2), 20 x 35 tokens: 13.99M
    # params (56 MB: decoder 6.69M, LSTM 0.64M, dense embedding 6.66M), ~44 MFLOP/token fwd+bwd;
    # buckets: decoder (26.8 MB, closes the 1 MiB first bucket), then LSTM + embedding (29.2 MB, last)
    ("LSTM LM (word_language_model), 700 tok/rank", 13_987_678 * 4, 700 * 44e6 / (GFLOPS * 1e9), 2, 7_298_800 * 4),
]
NETS = [("10 Gb/s (TCP, alpha 10 us)", 10 * GBIT, 10e-6), ("100 Gb/s (RDMA, alpha 2 us)", 100 * GBIT, 2e-6)]
WS = [8, 16, 64, 256]


def t_ar(S, W, B, alpha, buckets):
    return 2 * (W - 1) / W * S / B + 2 * (W - 1) * alpha * buckets


print("| model | T_c | grad bytes | network | " + " | ".join(f"W={w}" for w in WS) + " |")
print("|---|---|---|---|" + "---|" * len(WS))
for name, S, tc, nb, last in MODELS:
    for net, B, alpha in NETS:
        cells = []
        for W in WS:
            worst = tc / (tc + t_ar(S, W, B, alpha, nb))
            best = tc / (tc + t_ar(last, W, B, alpha, 1))
            cells.append(f"{100 * worst:.0f}% / {100 * best:.0f}%")
        print(f"| {name} | {tc * 1e3:.1f} ms | {S / 1e6:.2f} MB | {net} | " + " | ".join(cells) + " |")
