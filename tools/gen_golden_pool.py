#!/usr/bin/python3
"""gen_golden_pool.py - PyTorch golden values for the spatial ops of autograd/nb_spatial.h (pooling,
pad, interpolate, pixel shuffle, view helpers) and the nn layers built on them.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/gen_golden_pool.py
Writes tests/golden/pool.txt, read by tests/test_pool.c. Each case is seeded from its own name
(torch.manual_seed(zlib.crc32(name))), so adding a case re-rolls nothing else. Format, one item a line:
  case <name> <op> <f32|f64> <nparams> <params...>   params are integers or floats
  in <tensor>         input 0 (requires grad if float)
  in <tensor>         further inputs (indices for max_unpool; i64, no grad)
  out <tensor>        output
  idx <tensor>        indices, for the ops that return them
  gout <tensor>       the upstream gradient of out
  grad <tensor>       d/d(input 0)
  error <text>        instead of out...: torch raised, nabla must fail with an error that contains
                      <text> (the start of torch's message, up to its first ':', at most 40 chars)
  end
<tensor> is golden_fmt.tens: dtype ndim shape... values... (exact repr of the values).
"""
import os
import zlib

import torch
import torch.nn.functional as F

from golden_fmt import fmt, tens

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "pool.txt")
DT = {"f32": torch.float32, "f64": torch.float64}
lines = []
names = set()


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def rnd(shape, dt):
    return (torch.rand(shape, dtype=torch.float64) * 4 - 2).to(DT[dt])


def case(name, op, dt, params, inputs, fn):
    """inputs: tensors (input 0 gets requires_grad if float). fn(*inputs) -> tensor or (tensor, indices)."""
    assert name not in names, name
    names.add(name)
    ts = [t.detach().clone() for t in inputs]
    if ts[0].dtype.is_floating_point:
        ts[0].requires_grad_(True)
    ps = " ".join(fmt(float(p)) if isinstance(p, float) else str(int(p)) for p in params)
    head = "case %s %s %s %d %s" % (name, op, dt, len(params), ps)
    body = ["in " + tens(t) for t in ts]
    try:
        outs = fn(*ts)
    except (RuntimeError, ValueError, IndexError) as e:
        msg = str(e).split("\n")[0].split(":")[0][:40].strip()
        lines.extend([head] + body + ["error " + msg, "end"])
        return
    if not isinstance(outs, tuple):
        outs = (outs,)
    body.append("out " + tens(outs[0]))
    if len(outs) > 1:
        body.append("idx " + tens(outs[1]))
    y = outs[0]
    if y.requires_grad:
        seed(name + "/gout")
        gout = rnd(list(y.shape), dt)
        (g,) = torch.autograd.grad(y, ts[0], gout, allow_unused=True)
        if g is None:
            g = torch.zeros_like(ts[0])
        body += ["gout " + tens(gout), "grad " + tens(g)]
    lines.extend([head] + body + ["end"])


# ---- max_pool2d: params kh kw sh sw ph pw dh dw ceil (stride 0 0 = None) ----
def max_pool2d(name, dt, shape, k, s=(0, 0), p=(0, 0), d=(1, 1), ceil=False, x=None):
    seed(name)
    if x is None:
        x = rnd(shape, dt)
    stride = None if s == (0, 0) else s
    case(name, "max_pool2d", dt, list(k) + list(s) + list(p) + list(d) + [int(ceil)], [x],
         lambda t: F.max_pool2d(t, k, stride, p, d, ceil_mode=ceil, return_indices=True))


def max_pool2d_grid():
    for dt in ("f32", "f64"):
        max_pool2d("mp_k2_" + dt, dt, (2, 3, 6, 8), (2, 2))
        max_pool2d("mp_k3s2_odd_" + dt, dt, (1, 2, 7, 9), (3, 3), (2, 2))
        max_pool2d("mp_k3s1p1_" + dt, dt, (2, 2, 5, 5), (3, 3), (1, 1), (1, 1))
        max_pool2d("mp_rect_" + dt, dt, (1, 3, 6, 7), (2, 3), (1, 2), (1, 1))
        max_pool2d("mp_dil2_" + dt, dt, (2, 2, 9, 8), (3, 2), (1, 1), (1, 0), (2, 3))
        max_pool2d("mp_ceil_" + dt, dt, (2, 2, 7, 7), (2, 2), (2, 2), (0, 0), (1, 1), True)
        max_pool2d("mp_ceil_pad_dil_" + dt, dt, (1, 3, 10, 11), (3, 3), (2, 3), (1, 1), (2, 2), True)
        max_pool2d("mp_ceil_drop_" + dt, dt, (1, 1, 5, 5), (2, 2), (2, 2), (1, 1), (1, 1), True)
        max_pool2d("mp_3d_" + dt, dt, (3, 5, 6), (2, 2))
        max_pool2d("mp_batch1_" + dt, dt, (1, 1, 4, 4), (4, 4))
        max_pool2d("mp_empty_batch_" + dt, dt, (0, 2, 4, 4), (2, 2))
        max_pool2d("mp_cnn_" + dt, dt, (2, 4, 12, 12), (2, 2))
    # ties: the first maximum wins; -inf windows; NaN propagates (a later NaN wins over an earlier one)
    ties = torch.tensor([[[[1., 1., 2., 2.], [1., 1., 2., 2.], [0., 3., 3., 0.], [3., 0., 0., 3.]]]])
    for dt in ("f32", "f64"):
        max_pool2d("mp_ties_" + dt, dt, None, (2, 2), x=ties.to(DT[dt]))
        max_pool2d("mp_ties_overlap_" + dt, dt, None, (3, 3), (1, 1), (1, 1), x=ties.to(DT[dt]))
        ninf = torch.full((1, 1, 4, 4), float("-inf"))
        ninf[0, 0, 3, 3] = 1
        max_pool2d("mp_neg_inf_" + dt, dt, None, (2, 2), (1, 1), (1, 1), x=ninf.to(DT[dt]))
        nan = rnd((1, 2, 4, 6), dt)
        nan[0, 0, 0, 1] = float("nan")
        nan[0, 0, 1, 0] = float("nan")
        nan[0, 1, 2, 2] = float("nan")
        nan[0, 1, 3, 5] = float("inf")
        max_pool2d("mp_nan_" + dt, dt, None, (2, 3), (2, 2), (1, 1), x=nan)
    # errors, as torch raises them
    for name, shape, k, s, p, d, ceil in [
        ("mp_err_pad_gt_half", (1, 1, 4, 4), (3, 3), (0, 0), (2, 2), (1, 1), False),
        ("mp_err_too_small", (1, 1, 4, 4), (5, 5), (0, 0), (0, 0), (1, 1), False),
        ("mp_err_neg_pad", (1, 1, 4, 4), (2, 2), (0, 0), (-1, 0), (1, 1), False),
        ("mp_err_neg_stride", (1, 1, 4, 4), (2, 2), (-1, 1), (0, 0), (1, 1), False),
        ("mp_err_neg_dilation", (1, 1, 4, 4), (2, 2), (0, 0), (0, 0), (1, -1), False),
        ("mp_err_neg_kernel", (1, 1, 4, 4), (-2, 2), (1, 1), (0, 0), (1, 1), False),
        ("mp_err_2d_input", (4, 4), (2, 2), (0, 0), (0, 0), (1, 1), False),
        ("mp_err_5d_input", (1, 1, 1, 4, 4), (2, 2), (0, 0), (0, 0), (1, 1), False),
        ("mp_err_zero_channels", (1, 0, 4, 4), (2, 2), (0, 0), (0, 0), (1, 1), False),
        ("mp_err_dilated_too_small", (1, 1, 4, 4), (2, 2), (1, 1), (0, 0), (4, 4), False),
    ]:
        max_pool2d(name, "f32", shape, k, s, p, d, ceil)


max_pool2d_grid()

with open(OUT, "w") as f:
    f.write("# generated by tools/gen_golden_pool.py with torch %s; do not edit\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote %d cases to %s" % (len(names), OUT))
