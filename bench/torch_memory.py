#!/usr/bin/python3
# PyTorch twin of bench/memory.c: the same four training loops written the same way with plain ops
# (LSTM cells from F.linear/narrow/sigmoid/tanh, convolutions from narrow shifts and matmul), same
# sizes and steps. usage: torch_memory.py MODE [small|full] [STEPS]; prints
# `MODE step_ms T loss L` (T the best step; for tsp the mean closure of an L-BFGS step).
import math, sys, time
import torch
import torch.nn.functional as F

mode = sys.argv[1] if len(sys.argv) > 1 else "mlp"
small = len(sys.argv) > 2 and sys.argv[2] == "small"
steps = max(1, int(sys.argv[3])) if len(sys.argv) > 3 else 5
torch.manual_seed(0)


def param(*shape, k, dtype=torch.float32):
    return torch.empty(*shape, dtype=dtype).uniform_(-k, k).requires_grad_()


class Cell:
    """torch.nn.LSTMCell's math from ops, as bench/memory.c's cell_step"""
    def __init__(self, inp, H, dtype):
        k = 1 / math.sqrt(H)
        self.H = H
        self.w_ih, self.w_hh = param(4 * H, inp, k=k, dtype=dtype), param(4 * H, H, k=k, dtype=dtype)
        self.b_ih, self.b_hh = param(4 * H, k=k, dtype=dtype), param(4 * H, k=k, dtype=dtype)

    def params(self):
        return [self.w_ih, self.w_hh, self.b_ih, self.b_hh]

    def step(self, x, h, c):
        H = self.H
        gates = F.linear(x, self.w_ih, self.b_ih) + F.linear(h, self.w_hh, self.b_hh)
        i = torch.sigmoid(gates.narrow(1, 0, H))
        f = torch.sigmoid(gates.narrow(1, H, H))
        g = torch.tanh(gates.narrow(1, 2 * H, H))
        o = torch.sigmoid(gates.narrow(1, 3 * H, H))
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


best, loss_v = float("inf"), float("nan")


def done(dt, l):
    global best, loss_v
    best, loss_v = min(best, dt), l


if mode == "mlp":
    B, D, H, C = (32, 64, 32, 10) if small else (256, 784, 256, 10)
    x, y = torch.randn(B, D), torch.randint(0, C, (B,))
    w1, b1 = param(H, D, k=1 / math.sqrt(D)), param(H, k=1 / math.sqrt(D))
    w2, b2 = param(C, H, k=1 / math.sqrt(H)), param(C, k=1 / math.sqrt(H))
    opt = torch.optim.SGD([w1, b1, w2, b2], lr=0.1)
    for i in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(F.linear(torch.relu(F.linear(x, w1, b1)), w2, b2), y)
        loss.backward()
        opt.step()
        done(time.perf_counter() - t0, loss.item())
elif mode == "tsp":
    B, L, H = (8, 50, 8) if small else (97, 999, 51)
    N = B + 3
    shift = torch.randint(-80, 80, (N, 1)).double()
    data = torch.sin((torch.arange(L + 1, dtype=torch.float64) + shift) / 20.0)
    inp, target = data[3:, :-1].contiguous(), data[3:, 1:].contiguous()
    c1, c2 = Cell(1, H, torch.float64), Cell(H, H, torch.float64)
    lw, lb = param(1, H, k=1 / math.sqrt(H), dtype=torch.float64), param(1, k=1 / math.sqrt(H), dtype=torch.float64)
    opt = torch.optim.LBFGS(c1.params() + c2.params() + [lw, lb], lr=0.8, max_iter=2)
    calls = 0

    def closure():
        global calls
        calls += 1
        opt.zero_grad()
        h, c = torch.zeros(B, H, dtype=torch.float64), torch.zeros(B, H, dtype=torch.float64)
        h2, cc = torch.zeros(B, H, dtype=torch.float64), torch.zeros(B, H, dtype=torch.float64)
        outs = []
        for t in range(L):
            h, c = c1.step(inp.narrow(1, t, 1), h, c)
            h2, cc = c2.step(h, h2, cc)
            outs.append(F.linear(h2, lw, lb))
        loss = F.mse_loss(torch.cat(outs, 1), target)
        loss.backward()
        return loss

    for i in range(steps):
        n0 = calls
        t0 = time.perf_counter()
        l = opt.step(closure)
        done((time.perf_counter() - t0) / max(1, calls - n0), l.item())
elif mode == "lm":
    V, E, T, B = (100, 16, 5, 4) if small else (10000, 200, 35, 20)
    H = E
    emb = torch.empty(V, E).uniform_(-0.1, 0.1).requires_grad_()
    c1, c2 = Cell(E, H, torch.float32), Cell(H, H, torch.float32)
    dw, db = torch.empty(V, H).uniform_(-0.1, 0.1).requires_grad_(), torch.zeros(V, requires_grad=True)
    ps = [emb] + c1.params() + c2.params() + [dw, db]
    opt = torch.optim.SGD(ps, lr=20)
    state = [torch.zeros(B, H) for _ in range(4)]
    for i in range(steps):
        t0 = time.perf_counter()
        tok = torch.randint(0, V, (T + 1, B))
        inp, target = tok.narrow(0, 0, T), tok.narrow(0, 1, T).reshape(T * B)
        opt.zero_grad()
        e = F.embedding(inp, emb)
        h, c, h2, cc = state
        outs = []
        for t in range(T):
            h, c = c1.step(e.select(0, t), h, c)
            h2, cc = c2.step(h, h2, cc)
            outs.append(h2)
        out = torch.stack(outs, 0).reshape(T * B, H)
        loss = F.cross_entropy(F.linear(out, dw, db), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ps, 0.25)
        opt.step()
        state = [h.detach(), c.detach(), h2.detach(), cc.detach()]
        done(time.perf_counter() - t0, loss.item())
elif mode == "cnn":
    B, S, C1, C2, K = (4, 12, 4, 8, 10) if small else (64, 28, 16, 32, 10)
    Fd = (S - 4) * (S - 4) * C2
    x, y = torch.randn(B, S, S, 1), torch.randint(0, K, (B,))
    w1, b1 = param(9, 1, C1, k=1 / 3.0), param(C1, k=1 / 3.0)
    k2, k3 = 1 / math.sqrt(9.0 * C1), 1 / math.sqrt(Fd)
    w2, b2 = param(9, C1, C2, k=k2), param(C2, k=k2)
    w3, b3 = param(K, Fd, k=k3), param(K, k=k3)
    opt = torch.optim.SGD([w1, b1, w2, b2, w3, b3], lr=0.01)

    def conv3x3_relu(x, w, b):
        Ho, Wo = x.shape[1] - 2, x.shape[2] - 2
        y = None
        for k in range(9):
            p = torch.matmul(x.narrow(1, k // 3, Ho).narrow(2, k % 3, Wo), w.select(0, k))
            y = p if y is None else y + p
        return torch.relu(y + b)

    for i in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        h = conv3x3_relu(conv3x3_relu(x, w1, b1), w2, b2)
        loss = F.cross_entropy(F.linear(h.reshape(B, Fd), w3, b3), y)
        loss.backward()
        opt.step()
        done(time.perf_counter() - t0, loss.item())
else:
    sys.exit("usage: torch_memory.py mlp|tsp|lm|cnn [small|full] [steps]")
print(f"{mode} step_ms {best * 1e3:.2f} loss {loss_v:.6f}")
