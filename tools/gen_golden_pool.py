#!/usr/bin/python3
"""gen_golden_pool.py - PyTorch golden values for the spatial ops of include/nb_spatial.h (pooling,
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


def case(name, op, dt, params, inputs, fn):  # noqa: C901
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
        try:
            (g,) = torch.autograd.grad(y, ts[0], gout, allow_unused=True)
        except RuntimeError:  # torch cannot backward through an empty output plane: no grad to compare
            g = False
        if g is None:
            g = torch.zeros_like(ts[0])
        if g is not False:
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


# ---- avg_pool2d: params kh kw sh sw ph pw ceil no_count_include_pad divisor_override (0 = None) ----
def avg_pool2d(name, dt, shape, k, s=(0, 0), p=(0, 0), ceil=False, cip=True, div=0, x=None):
    seed(name)
    if x is None:
        x = rnd(shape, dt)
    stride = None if s == (0, 0) else s
    case(name, "avg_pool2d", dt, list(k) + list(s) + list(p) + [int(ceil), int(not cip), div], [x],
         lambda t: F.avg_pool2d(t, k, stride, p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div or None))


def avg_pool2d_grid():
    for dt in ("f32", "f64"):
        avg_pool2d("ap_k2_" + dt, dt, (2, 3, 6, 8), (2, 2))
        avg_pool2d("ap_k3s2_odd_" + dt, dt, (1, 2, 7, 9), (3, 3), (2, 2))
        avg_pool2d("ap_pad_" + dt, dt, (2, 2, 5, 5), (3, 3), (1, 1), (1, 1))
        avg_pool2d("ap_pad_nocip_" + dt, dt, (2, 2, 5, 5), (3, 3), (1, 1), (1, 1), cip=False)
        avg_pool2d("ap_rect_" + dt, dt, (1, 3, 6, 7), (2, 3), (1, 2), (1, 0))
        avg_pool2d("ap_ceil_" + dt, dt, (2, 2, 7, 7), (2, 2), (2, 2), ceil=True)
        avg_pool2d("ap_ceil_pad_" + dt, dt, (1, 2, 6, 7), (3, 3), (2, 2), (1, 1), ceil=True)
        avg_pool2d("ap_ceil_pad_nocip_" + dt, dt, (1, 2, 6, 7), (3, 3), (2, 2), (1, 1), ceil=True, cip=False)
        avg_pool2d("ap_ceil_beyond_" + dt, dt, (1, 1, 5, 5), (3, 3), (3, 3), (1, 1), ceil=True)
        avg_pool2d("ap_ceil_beyond_nocip_" + dt, dt, (1, 1, 5, 5), (3, 3), (3, 3), (1, 1), ceil=True, cip=False)
        avg_pool2d("ap_divisor_" + dt, dt, (2, 2, 5, 6), (2, 3), (1, 2), (1, 1), div=4)
        avg_pool2d("ap_divisor_neg_ceil_" + dt, dt, (1, 2, 5, 6), (2, 2), (2, 2), (1, 0), ceil=True, div=-3)
        avg_pool2d("ap_3d_" + dt, dt, (3, 5, 6), (2, 2))
        avg_pool2d("ap_empty_batch_" + dt, dt, (0, 2, 4, 4), (2, 2))
        avg_pool2d("ap_global_" + dt, dt, (2, 3, 4, 5), (4, 5))
    nan = rnd((1, 1, 4, 4), "f64")
    nan[0, 0, 0, 0] = float("nan")
    avg_pool2d("ap_nan_f64", "f64", None, (2, 2), x=nan)
    for name, shape, k, s, p, div in [
        ("ap_err_pad_gt_half", (1, 1, 4, 4), (3, 3), (0, 0), (2, 2), 0),
        ("ap_err_too_small", (1, 1, 4, 4), (5, 5), (0, 0), (0, 0), 0),
        ("ap_err_divisor_zero_is_none", (1, 1, 4, 4), (2, 2), (0, 0), (0, 0), 0),
        ("ap_err_neg_stride", (1, 1, 4, 4), (2, 2), (-1, 1), (0, 0), 0),
        ("ap_err_2d_input", (4, 4), (2, 2), (0, 0), (0, 0), 0),
        ("ap_err_5d_input", (1, 1, 1, 4, 4), (2, 2), (0, 0), (0, 0), 0),
        ("ap_err_zero_channels", (1, 0, 4, 4), (2, 2), (0, 0), (0, 0), 0),
    ]:
        avg_pool2d(name, "f32", shape, k, s, p, div=div)


# ---- 1-d forms: max_pool1d k s p d ceil; avg_pool1d k s p ceil no_count_include_pad ----
def max_pool1d(name, dt, shape, k, s=0, p=0, d=1, ceil=False):
    seed(name)
    case(name, "max_pool1d", dt, [k, s, p, d, int(ceil)], [rnd(shape, dt)],
         lambda t: F.max_pool1d(t, k, s or None, p, d, ceil_mode=ceil, return_indices=True))


def avg_pool1d(name, dt, shape, k, s=0, p=0, ceil=False, cip=True):
    seed(name)
    case(name, "avg_pool1d", dt, [k, s, p, int(ceil), int(not cip)], [rnd(shape, dt)],
         lambda t: F.avg_pool1d(t, k, s or None, p, ceil_mode=ceil, count_include_pad=cip))


def pool1d_grid():
    for dt in ("f32", "f64"):
        max_pool1d("mp1_k2_" + dt, dt, (2, 3, 8), 2)
        max_pool1d("mp1_k3s2p1d2_ceil_" + dt, dt, (2, 2, 11), 3, 2, 1, 2, True)
        max_pool1d("mp1_2d_" + dt, dt, (3, 7), 3, 1, 1)
        avg_pool1d("ap1_k2_" + dt, dt, (2, 3, 8), 2)
        avg_pool1d("ap1_k3s2p1_ceil_nocip_" + dt, dt, (2, 2, 10), 3, 2, 1, True, False)
        avg_pool1d("ap1_2d_" + dt, dt, (3, 7), 3, 1, 1)
    max_pool1d("mp1_err_too_small", "f32", (1, 2, 5), 6)
    max_pool1d("mp1_err_1d", "f32", (5,), 2)
    max_pool1d("mp1_err_4d", "f32", (1, 1, 2, 5), 2)
    max_pool1d("mp1_err_dilation", "f32", (1, 2, 5), 2, 0, 0, -1)
    avg_pool1d("ap1_err_too_small", "f32", (1, 2, 5), 6)
    avg_pool1d("ap1_err_4d", "f32", (1, 1, 2, 5), 2)
    avg_pool1d("ap1_err_pad", "f32", (1, 2, 5), 3, 0, 2)


# ---- adaptive pooling: params oh ow ----
def adaptive(name, op, dt, shape, oh, ow, x=None):
    seed(name)
    if x is None:
        x = rnd(shape, dt)
    if op == "adaptive_max_pool2d":
        fn = lambda t: F.adaptive_max_pool2d(t, (oh, ow), return_indices=True)
    else:
        fn = lambda t: F.adaptive_avg_pool2d(t, (oh, ow))
    case(name, op, dt, [oh, ow], [x], fn)


def adaptive_grid():
    for op, tag in (("adaptive_avg_pool2d", "aap"), ("adaptive_max_pool2d", "amp")):
        for dt in ("f32", "f64"):
            adaptive(tag + "_divisible_" + dt, op, dt, (2, 3, 8, 6), 4, 3)
            adaptive(tag + "_uneven_" + dt, op, dt, (2, 2, 7, 5), 3, 2)
            adaptive(tag + "_larger_" + dt, op, dt, (1, 2, 3, 4), 5, 7)
            adaptive(tag + "_global_" + dt, op, dt, (2, 3, 5, 5), 1, 1)
            adaptive(tag + "_3d_" + dt, op, dt, (3, 6, 5), 2, 4)
            adaptive(tag + "_empty_batch_" + dt, op, dt, (0, 2, 4, 4), 2, 2)
            adaptive(tag + "_zero_out_" + dt, op, dt, (1, 2, 4, 4), 0, 2)
        adaptive(tag + "_err_2d", op, "f32", (4, 4), 2, 2)
        adaptive(tag + "_err_5d", op, "f32", (1, 1, 1, 4, 4), 2, 2)
        adaptive(tag + "_err_empty_h", op, "f32", (1, 1, 0, 4), 2, 2)
        adaptive(tag + "_err_neg", op, "f32", (1, 1, 4, 4), -1, 2)
    adaptive("amp_err_zero_channels", "adaptive_max_pool2d", "f32", (1, 0, 4, 4), 2, 2)
    adaptive("aap_zero_channels", "adaptive_avg_pool2d", "f32", (1, 0, 4, 4), 2, 2)
    ties = torch.tensor([[[[1., 1., 2.], [1., 3., 3.], [3., 0., 3.]]]])
    nan = ties.clone()
    nan[0, 0, 0, 1] = float("nan")
    nan[0, 0, 2, 2] = float("nan")
    for dt in ("f32", "f64"):
        adaptive("amp_ties_" + dt, "adaptive_max_pool2d", dt, None, 2, 2, x=ties.to(DT[dt]))
        adaptive("amp_nan_" + dt, "adaptive_max_pool2d", dt, None, 2, 2, x=nan.to(DT[dt]))


# ---- max_unpool2d: params kh kw sh sw ph pw oh ow (0 0 = default output size); inputs x, indices ----
def max_unpool2d(name, dt, shape, k, s=(0, 0), p=(0, 0), osz=(0, 0), idx_fn=None):
    seed(name)
    x = rnd(shape, dt)
    stride = None if s == (0, 0) else s
    y, idx = F.max_pool2d(x, k, stride, p, return_indices=True)
    if idx_fn:
        idx = idx_fn(idx)
    out = None if osz == (0, 0) else osz
    case(name, "max_unpool2d", dt, list(k) + list(s) + list(p) + list(osz), [y, idx],
         lambda t, i: F.max_unpool2d(t, i, k, stride, p, out))


def max_unpool2d_grid():
    for dt in ("f32", "f64"):
        max_unpool2d("mu_k2_" + dt, dt, (2, 3, 6, 8), (2, 2))
        max_unpool2d("mu_k3s2p1_" + dt, dt, (1, 2, 7, 7), (3, 3), (2, 2), (1, 1))
        max_unpool2d("mu_output_size_" + dt, dt, (1, 2, 5, 5), (2, 2), osz=(5, 5))
        max_unpool2d("mu_3d_" + dt, dt, (2, 4, 6), (2, 2))
        max_unpool2d("mu_overlap_" + dt, dt, (1, 1, 5, 5), (3, 3), (1, 1))
    max_unpool2d("mu_err_output_size", "f32", (1, 2, 4, 4), (2, 2), osz=(7, 7))
    max_unpool2d("mu_err_bad_index", "f32", (1, 2, 4, 4), (2, 2), idx_fn=lambda i: i * 10)
    max_unpool2d("mu_err_float_index", "f32", (1, 2, 4, 4), (2, 2), idx_fn=lambda i: i.float())
    max_unpool2d("mu_err_index_shape", "f32", (1, 2, 4, 4), (2, 2), idx_fn=lambda i: i[:, :, :1].contiguous())


# ---- F.pad: params mode (0 constant, 1 reflect, 2 replicate, 3 circular) value npad pads... ----
MODES = ["constant", "reflect", "replicate", "circular"]


def pad(name, dt, shape, pads, mode=0, value=0.0):
    seed(name)
    x = rnd(shape, dt)
    kw = {"value": value} if mode == 0 else {}
    case(name, "pad", dt, [mode, float(value), len(pads)] + list(pads), [x],
         lambda t: F.pad(t, pads, MODES[mode], **kw))


def pad_grid():
    for dt in ("f32", "f64"):
        pad("pad_const_w_" + dt, dt, (2, 3, 4, 5), (1, 2))
        pad("pad_const_hw_value_" + dt, dt, (2, 3, 4, 5), (1, 0, 2, 3), value=-1.5)
        pad("pad_const_neg_" + dt, dt, (2, 3, 4, 5), (-1, 2, 1, -2))
        pad("pad_const_all_dims_" + dt, dt, (2, 3, 4), (1, 1, 0, 2, 1, 0))
        pad("pad_const_1d_" + dt, dt, (5,), (2, 3), value=0.5)
        pad("pad_const_zero_" + dt, dt, (2, 3), (0, 0))
        pad("pad_const_crop_all_" + dt, dt, (2, 3, 4), (-2, -2))
        pad("pad_reflect_2d_" + dt, dt, (2, 3, 4, 5), (1, 2, 3, 1), 1)
        pad("pad_reflect_max_" + dt, dt, (1, 2, 4, 5), (4, 4, 3, 3), 1)
        pad("pad_reflect_3d_input_" + dt, dt, (3, 4, 5), (2, 1, 1, 2), 1)
        pad("pad_reflect_1d_" + dt, dt, (2, 3, 6), (2, 3), 1)
        pad("pad_reflect_1d_2d_input_" + dt, dt, (3, 6), (1, 4), 1)
        pad("pad_reflect_neg_" + dt, dt, (1, 2, 4, 5), (-1, 2, 1, -1), 1)
        pad("pad_reflect_3pads_" + dt, dt, (1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2), 1)
        pad("pad_replicate_2d_" + dt, dt, (2, 3, 4, 5), (1, 2, 3, 1), 2)
        pad("pad_replicate_big_" + dt, dt, (1, 2, 3, 2), (5, 4, 6, 3), 2)
        pad("pad_replicate_1d_" + dt, dt, (2, 3, 4), (3, 1), 2)
        pad("pad_replicate_neg_" + dt, dt, (1, 2, 4, 5), (-2, 1, 2, -1), 2)
        pad("pad_circular_2d_" + dt, dt, (2, 3, 4, 5), (1, 2, 3, 1), 3)
        pad("pad_circular_1d_" + dt, dt, (2, 3, 4), (4, 2), 3)
        pad("pad_reflect_empty_batch_" + dt, dt, (0, 2, 4, 5), (1, 1, 1, 1), 1)
    pad("pad_err_odd", "f32", (2, 3, 4), (1, 1, 1))
    pad("pad_err_too_long", "f32", (2, 3), (1, 1, 1, 1, 1, 1))
    pad("pad_err_reflect_too_big", "f32", (1, 2, 3, 4), (4, 0, 0, 0), 1)
    pad("pad_err_reflect_h_too_big", "f32", (1, 2, 3, 4), (0, 0, 3, 0), 1)
    pad("pad_err_reflect_dims", "f32", (1, 2, 3, 4), (1, 1), 1)
    pad("pad_err_reflect_2d_on_2d", "f32", (3, 4), (1, 1, 1, 1), 1)
    pad("pad_err_circular_wrap", "f32", (1, 2, 3, 4), (5, 0, 0, 0), 3)
    pad("pad_err_crop_too_much", "f32", (2, 3), (-2, -2))


# ---- F.interpolate: params mode (0 nearest, 1 bilinear) size_h size_w scale_h scale_w align recompute ----
def interp(name, dt, shape, size=None, scale=None, mode=0, align=False, recompute=False):
    seed(name)
    x = rnd(shape, dt)
    sz = size or (0, 0)
    sc = scale or (0.0, 0.0)
    kw = {"align_corners": True} if align else {}
    if recompute:
        kw["recompute_scale_factor"] = True
    case(name, "interpolate", dt, [mode, sz[0], sz[1], float(sc[0]), float(sc[1]), int(align), int(recompute)],
         [x], lambda t: F.interpolate(t, size=size, scale_factor=scale, mode=["nearest", "bilinear"][mode], **kw))


def interp_grid():
    for dt in ("f32", "f64"):
        interp("in_near_x2_" + dt, dt, (2, 3, 4, 5), scale=(2.0, 2.0))
        interp("in_near_x3_" + dt, dt, (1, 2, 3, 4), scale=(3.0, 3.0))
        interp("in_near_frac_" + dt, dt, (1, 2, 5, 7), scale=(1.5, 0.7))
        interp("in_near_recompute_" + dt, dt, (1, 2, 5, 7), scale=(1.7, 0.6), recompute=True)
        interp("in_near_size_" + dt, dt, (2, 2, 5, 4), size=(7, 3))
        interp("in_near_down_" + dt, dt, (1, 3, 9, 8), size=(4, 3))
        interp("in_near_third_" + dt, dt, (1, 1, 5, 6), scale=(1 / 3, 2.5))
        interp("in_bil_x2_" + dt, dt, (2, 3, 4, 5), scale=(2.0, 2.0), mode=1)
        interp("in_bil_x2_ac_" + dt, dt, (2, 3, 4, 5), scale=(2.0, 2.0), mode=1, align=True)
        interp("in_bil_frac_" + dt, dt, (1, 2, 5, 7), scale=(1.5, 0.7), mode=1)
        interp("in_bil_frac_ac_" + dt, dt, (1, 2, 5, 7), scale=(1.3, 2.2), mode=1, align=True)
        interp("in_bil_size_" + dt, dt, (2, 2, 5, 4), size=(7, 3), mode=1)
        interp("in_bil_size_ac_" + dt, dt, (2, 2, 5, 4), size=(7, 3), mode=1, align=True)
        interp("in_bil_down_" + dt, dt, (1, 3, 9, 8), size=(4, 3), mode=1)
        interp("in_bil_to_1_ac_" + dt, dt, (1, 2, 4, 4), size=(1, 1), mode=1, align=True)
        interp("in_bil_from_1_" + dt, dt, (1, 2, 1, 1), size=(3, 2), mode=1)
        interp("in_bil_recompute_" + dt, dt, (1, 2, 5, 7), scale=(1.7, 0.6), mode=1, recompute=True)
        interp("in_empty_batch_" + dt, dt, (0, 2, 3, 4), scale=(2.0, 2.0))
    interp("in_err_zero", "f32", (1, 2, 3, 4), size=(0, 4))
    interp("in_err_small_scale", "f32", (1, 2, 3, 4), scale=(0.1, 0.1))
    interp("in_err_bil_3d", "f32", (2, 3, 4), scale=(2.0, 2.0), mode=1)
    interp("in_err_near_ac", "f32", (1, 2, 3, 4), scale=(2.0, 2.0), align=True)


# ---- pixel_shuffle / pixel_unshuffle (param r), view_as (input 1 = other), unflatten (dim n sizes...) ----
def shuffle_grid():
    for dt in ("f32", "f64"):
        for name, op, shape, r in [("ps_r2", "pixel_shuffle", (2, 8, 3, 4), 2), ("ps_r3_3d", "pixel_shuffle", (9, 2, 3), 3),
                                   ("ps_r2_5d", "pixel_shuffle", (2, 1, 4, 2, 3), 2),
                                   ("pu_r2", "pixel_unshuffle", (2, 2, 4, 6), 2), ("pu_r3_3d", "pixel_unshuffle", (1, 6, 3), 3)]:
            seed(name + dt)
            fn = F.pixel_shuffle if op == "pixel_shuffle" else F.pixel_unshuffle
            case(name + "_" + dt, op, dt, [r], [rnd(shape, dt)], lambda t, fn=fn, r=r: fn(t, r))
    for name, op, shape, r in [("ps_err_div", "pixel_shuffle", (1, 8, 3, 4), 3), ("ps_err_zero", "pixel_shuffle", (1, 8, 3, 4), 0),
                               ("ps_err_2d", "pixel_shuffle", (8, 4), 2), ("pu_err_h", "pixel_unshuffle", (1, 1, 3, 4), 2),
                               ("pu_err_w", "pixel_unshuffle", (1, 1, 4, 3), 2)]:
        seed(name)
        fn = F.pixel_shuffle if op == "pixel_shuffle" else F.pixel_unshuffle
        case(name, op, "f32", [r], [rnd(shape, "f32")], lambda t, fn=fn, r=r: fn(t, r))
    for dt in ("f32", "f64"):
        seed("view_as" + dt)
        case("view_as_" + dt, "view_as", dt, [], [rnd((2, 3, 4), dt), torch.zeros(4, 6, dtype=DT[dt])],
             lambda t, o: t.view_as(o))
        for name, shape, d, sizes in [("unflatten_mid", (2, 12, 3), 1, (3, 4)), ("unflatten_infer", (2, 12, 3), -2, (2, -1, 3)),
                                      ("unflatten_last", (2, 6), -1, (6, 1))]:
            seed(name + dt)
            case(name + "_" + dt, "unflatten", dt, [d, len(sizes)] + list(sizes), [rnd(shape, dt)],
                 lambda t, d=d, sizes=sizes: t.unflatten(d, sizes))
    seed("view_as_err")
    case("view_as_err", "view_as", "f32", [], [rnd((2, 3, 4), "f32"), torch.zeros(5, 5)], lambda t, o: t.view_as(o))
    seed("unflatten_err")
    case("unflatten_err", "unflatten", "f32", [1, 2, 3, 3], [rnd((2, 8), "f32")], lambda t: t.unflatten(1, (3, 3)))


# ---- F.dropout2d: params p seed (the global generator is seeded with seed right before the call) ----
def dropout2d(name, dt, shape, p, s):
    seed(name)

    def fn(t):
        torch.manual_seed(s)
        return F.dropout2d(t, p)
    case(name, "dropout2d", dt, [float(p), s], [rnd(shape, dt)], fn)


def dropout2d_grid():
    for dt in ("f32", "f64"):
        dropout2d("d2_half_" + dt, dt, (4, 6, 3, 3), 0.5, 1)
        dropout2d("d2_p03_" + dt, dt, (3, 5, 2, 4), 0.3, 12345)
        dropout2d("d2_3d_" + dt, dt, (4, 5, 7), 0.6, 7)
        dropout2d("d2_p0_" + dt, dt, (2, 3, 2, 2), 0.0, 3)
        dropout2d("d2_p1_" + dt, dt, (2, 3, 2, 2), 1.0, 3)
    dropout2d("d2_err_p", "f32", (2, 3, 2, 2), 1.5, 3)


# ---- print(module): "print <key> <torch's repr>", the key names a constructor in tests/test_pool.c ----
def prints():
    import torch.nn as nn
    mods = {
        "maxpool2d_k2": nn.MaxPool2d(2),
        "maxpool2d_full": nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=2, ceil_mode=True),
        "maxpool1d_k3": nn.MaxPool1d(3),
        "maxpool1d_full": nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True),
        "avgpool2d_k2": nn.AvgPool2d(2),
        "avgpool2d_full": nn.AvgPool2d((2, 3), 1, 1, True, False, 3),
        "avgpool1d_k3": nn.AvgPool1d(3),
        "adaptiveavg_23": nn.AdaptiveAvgPool2d((2, 3)),
        "adaptiveavg_1": nn.AdaptiveAvgPool2d(1),
        "adaptivemax_57": nn.AdaptiveMaxPool2d((5, 7)),
        "maxunpool2d_k2": nn.MaxUnpool2d(2),
        "zeropad2d": nn.ZeroPad2d((1, 2, 3, 4)),
        "constantpad2d": nn.ConstantPad2d(1, 3.5),
        "reflectionpad2d": nn.ReflectionPad2d(2),
        "replicationpad2d": nn.ReplicationPad2d((1, 0, 1, 0)),
        "upsample_x2": nn.Upsample(scale_factor=2),
        "upsample_size_bil": nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
        "upsample_scales_bil": nn.Upsample(scale_factor=(2.0, 1.5), mode="bilinear"),
        "pixelshuffle3": nn.PixelShuffle(3),
        "pixelunshuffle2": nn.PixelUnshuffle(2),
        "dropout2d": nn.Dropout2d(),
        "dropout2d_03": nn.Dropout2d(0.3),
        "unflatten": nn.Unflatten(1, (2, 4)),
        "unflatten1": nn.Unflatten(-1, (6,)),
        "flatten": nn.Flatten(),
        "flatten23": nn.Flatten(2, 3),
        "cnn": nn.Sequential(nn.ZeroPad2d(1), nn.MaxPool2d(2), nn.Dropout2d(0.25), nn.AdaptiveAvgPool2d(1),
                             nn.Flatten()),
    }
    for k, m in mods.items():
        text = str(m).replace("\n", "\\n")
        lines.append("print %s %s" % (k, text))


# ---- nn modules' forward: a module case runs the module and must equal torch's (params: key) ----
def module_grid():
    import torch.nn as nn
    for key, m, shape in [("m_maxpool2d", nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 7, 6)),
                          ("m_avgpool2d", nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 7, 6)),
                          ("m_reflectionpad2d", nn.ReflectionPad2d((1, 2, 0, 3)), (2, 2, 4, 5)),
                          ("m_upsample_bil", nn.Upsample(scale_factor=1.5, mode="bilinear"), (1, 2, 4, 5)),
                          ("m_pixelshuffle2", nn.PixelShuffle(2), (1, 8, 2, 3)),
                          ("m_unflatten", nn.Unflatten(1, (2, 3)), (2, 6, 4))]:
        seed(key)
        case(key, "module", "f32", [], [rnd(shape, "f32")], m)


max_pool2d_grid()
avg_pool2d_grid()
pool1d_grid()
adaptive_grid()
max_unpool2d_grid()
pad_grid()
interp_grid()
shuffle_grid()
dropout2d_grid()
module_grid()
prints()

with open(OUT, "w") as f:
    f.write("# generated by tools/gen_golden_pool.py with torch %s; do not edit\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote %d cases to %s" % (len(names), OUT))
