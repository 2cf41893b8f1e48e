"""gen_golden_grad2.py — golden values for grad-of-grad through piecewise ops (issue 15, class 8), read by
tests/test_grad2.c. Run by hand: /usr/bin/python3 tools/gen_golden_grad2.py > tests/golden/grad2.txt

Per op: x, g = d/dx sum(op(x) * c) with create_graph, whether g requires grad (torch: only when op's
backward reads x or the result), and if so the Hessian-vector product d/dx sum(g * v) (zeros for the
piecewise-linear ops). Per network: HVPs of small relu / leaky_relu / max-pool losses. Each case is
seeded from zlib.crc32 of its name."""
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from golden_fmt import tens  # noqa: E402

torch.set_default_dtype(torch.float64)


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


OPS = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "clamp": lambda x: torch.clamp(x, -0.5, 0.5),
    "abs": torch.abs,
    "sign": torch.sign,
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 2),
    "adaptive_max_pool2d": lambda x: F.adaptive_max_pool2d(x, 2),
    "max_unpool2d": lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
    "maximum": lambda x: torch.maximum(x, x.flip(3)),
    "minimum": lambda x: torch.minimum(x, x.flip(3)),
    "amax": lambda x: torch.amax(x, 3),
    "amin": lambda x: torch.amin(x, 3),
    "max_dim": lambda x: torch.max(x, 3)[0],
    "min_dim": lambda x: torch.min(x, 3)[0],
    "sort": lambda x: torch.sort(x, 3)[0],
    "topk": lambda x: torch.topk(x, 2, 3)[0],
    "masked_fill": lambda x: x.masked_fill(x > 0, 1.0),
    "where": lambda x: torch.where(x > 0, x, 2 * x),
    "softplus": F.softplus,
    "norm": torch.norm,
    "prod": torch.prod,
    "max_pool1d": lambda x: F.max_pool1d(x.reshape(1, 4, 4), 2),
    "pad_constant": lambda x: F.pad(x, (1, 1, 1, 1)),
    "pad_reflect": lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect"),
    "pad_replicate": lambda x: F.pad(x, (1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda x: F.pad(x, (1, 1, 1, 1), mode="circular"),
    "interp_nearest": lambda x: F.interpolate(x, scale_factor=2),
    "interp_bilinear": lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "cumsum": lambda x: torch.cumsum(x, 3),
    "l1_loss": lambda x: F.l1_loss(x, torch.zeros_like(x), reduction="none"),
    "smooth_l1_loss": lambda x: F.smooth_l1_loss(x, torch.zeros_like(x), reduction="none"),
    "huber_loss": lambda x: F.huber_loss(x, torch.zeros_like(x), reduction="none"),
    "mse_loss": lambda x: F.mse_loss(x, torch.zeros_like(x), reduction="none"),
    "hinge_embedding_loss": lambda x: F.hinge_embedding_loss(x, -torch.ones_like(x), reduction="none"),
}

for name, f in OPS.items():
    seed("op " + name)
    x = torch.randn(1, 1, 4, 4).requires_grad_()
    y = f(x)
    c = torch.linspace(0.5, 1.5, y.numel()).reshape(y.shape)
    v = torch.randn(1, 1, 4, 4)
    (g,) = torch.autograd.grad((y * c).sum(), x, create_graph=True)
    line = ["op", name, tens(x), tens(v), tens(g), str(int(g.requires_grad))]
    if g.requires_grad:
        (h,) = torch.autograd.grad((g * v).sum(), x, allow_unused=True)
        line.append(tens(h if h is not None else torch.zeros_like(x)))
    print(" ".join(line))


def hvp(name, loss_fn, shapes):
    """net <name> <n params> params... v... grads... hvp...: HVP v -> H v of loss over the params"""
    seed("net " + name)
    data = torch.randn(4, 3)
    ps = [torch.randn(*s).requires_grad_() for s in shapes]
    vs = [torch.randn(*s) for s in shapes]
    loss = loss_fn(data, *ps)
    gs = torch.autograd.grad(loss, ps, create_graph=True)
    s = sum((g * v).sum() for g, v in zip(gs, vs))
    hs = torch.autograd.grad(s, ps, allow_unused=True)
    hs = [h if h is not None else torch.zeros_like(p) for h, p in zip(hs, ps)]
    out = ["net", name, str(len(ps)), tens(data)] + [tens(p) for p in ps] + [tens(v) for v in vs]
    out += [tens(g) for g in gs] + [tens(h) for h in hs]
    print(" ".join(out))


T = torch.linspace(-1, 1, 8).reshape(4, 2)
# one relu layer: the gradient is piecewise constant in W, so H v = 0 (torch returns zeros, no error)
hvp("relu1", lambda x, w: (F.relu(x @ w) * torch.linspace(0.5, 1.5, 20).reshape(4, 5)).sum(), [(3, 5)])
hvp("relu2", lambda x, w1, w2: ((F.relu(x @ w1) @ w2 - T) ** 2).sum(), [(3, 5), (5, 2)])
hvp("leaky2", lambda x, w1, w2: ((F.leaky_relu(x @ w1, 0.1) @ w2 - T) ** 2).sum(), [(3, 5), (5, 2)])
hvp("relu_bias", lambda x, w, b: (torch.tanh(F.relu(x @ w + b)) ** 2).sum(), [(3, 5), (5,)])
hvp("maxpool", lambda x, w: (F.max_pool2d(F.relu(x.reshape(1, 1, 4, 3) * w), 2) ** 2).sum(), [(1, 1, 4, 3)])
hvp("avgpool", lambda x, w: (F.avg_pool2d(F.relu(x.reshape(1, 1, 4, 3) * w), 2) * 3.0).sum(), [(1, 1, 4, 3)])
