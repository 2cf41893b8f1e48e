#!/usr/bin/python3
# PyTorch side of bench/rnn_cell.c: one LSTMCell / GRUCell step, forward and backward (loss = sum of
# the new state), at batch 1 and 64 and hidden 51 and 512 (input size = hidden). Steps run as rounds;
# the best round's mean step is reported, since the machine is shared.
import sys, time, torch
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
torch.manual_seed(0)
for kind in ("lstm", "gru"):
    for B, H in ((1, 51), (64, 51), (1, 512), (64, 512)):
        cell = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(H, H)
        x, h, c = torch.randn(B, H), torch.randn(B, H), torch.randn(B, H)
        n = max(20, steps if H < 512 else steps // 10)
        R = 10; best = float("inf")
        for r in range(R):
            t = time.perf_counter()
            for i in range(n // R):
                if kind == "lstm":
                    h2, c2 = cell(x, (h, c)); loss = h2.sum() + c2.sum()
                else:
                    loss = cell(x, h).sum()
                loss.backward()
                cell.zero_grad(set_to_none=True)
            best = min(best, (time.perf_counter() - t) / (n // R))
        print(f"{kind} B={B} H={H} step_us {best * 1e6:.1f}")
