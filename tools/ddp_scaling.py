#!/usr/bin/python3
"""ddp_scaling.py — the scaling model of docs/distributed.md: expected DDP efficiency of the three
workloads on W nodes (weak scaling: each node keeps its per-rank batch), ring allreduce per step
    T_ar = 2 (W-1)/W * S / B  +  2 (W-1) * alpha * buckets
and efficiency = T_c / (T_c + T_exposed), with T_exposed = T_ar (nothing hidden) or, at best, the
time of the last bucket's reduction (the rest hidden behind backward).
Usage: ddp_scaling.py TC_MLP_MS TC_CNN_MS TC_LM_MS: the compute per training step of one rank on one
core, measured on this machine (bench/ddp_overlap at np 1, examples/word_language_model's ms/batch;
see docs/distributed.md). No torch needed."""
import sys

GBIT = 1e9 / 8  # bytes per second in one Gb/s
if len(sys.argv) != 4:
    sys.exit("usage: ddp_scaling.py TC_MLP_MS TC_CNN_MS TC_LM_MS (measured compute per step, one core)")
tc_mlp, tc_cnn, tc_lm = (float(a) / 1e3 for a in sys.argv[1:4])
# name, gradient bytes S, compute per step T_c (s) of one rank, buckets, last bucket's bytes
MODELS = [
    # 784-256-10 MLP: 203,530 params; one bucket (< 1 MiB): nothing can hide
    ("MLP 784-256-10, b128/rank", 203530 * 4, tc_mlp, 1, 203530 * 4),
    # pytorch/examples mnist CNN: 1,199,882 params, batch 64; buckets (reverse order): fc2 + fc1
    # (4.7 MB: the first bucket closes at 1 MiB with fc1.weight), then conv2 + conv1 (75 KB, last)
    ("CNN (examples/mnist), b64/rank", 1199882 * 4, tc_cnn, 2, 18816 * 4),
    # pytorch/examples word_language_model LSTM 2x200, vocab 33278 (wikitext-2), 20 x 35 tokens: 13.99M
    # params (56 MB: decoder 6.69M, LSTM 0.64M, dense embedding 6.66M); buckets: decoder (26.8 MB,
    # closes the 1 MiB first bucket), then LSTM + embedding (29.2 MB, last)
    ("LSTM LM (word_language_model), 700 tok/rank", 13_987_678 * 4, tc_lm, 2, 7_298_800 * 4),
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
