#!/usr/bin/python3
"""gen_golden_ops.py - PyTorch golden values for every op in include/nb_autograd.h.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/gen_golden_ops.py
Writes tests/golden/ops.txt, read by tests/test_golden_ops.c. Format (one item per line,
whitespace separated, '#' starts a comment line):
  case <op> <f32|f64> <nparams> <params...>       op name = the nabla function without nb_
  in  <f32|f64|i64> <requires_grad 0|1> <ndim> <shape...> <values...>   (one per input, in order)
  out <dtype> <ndim> <shape...> <values...>       (one per output; max_dim/min_dim have 2)
  gout <dtype> <ndim> <shape...> <values...>      (random upstream grad of out 0, if it has grad)
  grad <i> <dtype> <ndim> <shape...> <values...>  (d/d input i for each input with requires_grad)
  ggw <i> <tensor> / gg <i> <tensor>  (f64 only: random weights w_i and d/d(input i) of
                                       sum_j <grad_j, w_j>, the grads taken with create_graph)
  error                                           (instead of out...: torch raised, nabla must fail)
Large cases (made by a formula, compared by checksums; see big_values / checksums below):
  big <dt> <rg> <ndim> <shape...> <seed>  |  bigi <ndim> <shape...> <seed> <high>   (inputs)
  chk <dt> <ndim> <shape...> <sum> <weighted sum>                                   (outputs)
  gbig <dt> <ndim> <shape...> <seed>  |  gchk <i> <dt> <ndim> <shape...> <sum> <weighted sum>
  end
Values are written with repr() of the exact value (f32 values are exact doubles), so parsing
with strtod and casting to float is exact. Params are numbers; list params are <count> <items>.
"""
import os
import random
import sys

import torch

from golden_fmt import DTN, fmt, tens
from golden_seed import CaseSeeds

SEEDS = CaseSeeds()   # each case's random values are seeded from its name (tools/golden_seed.py)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "ops.txt")
DT = {"f32": torch.float32, "f64": torch.float64}
lines = []
count = {"cases": 0}


def rnd(shape, dt, lo=-2.0, hi=2.0):
    return (torch.rand(shape, dtype=torch.float64) * (hi - lo) + lo).to(DT[dt])


def rshape(nd, lo=1, hi=5):
    return [random.randint(lo, hi) for _ in range(nd)]


def case(op, dt, params, inputs, fn, second_order=True):
    """inputs: list of (tensor, requires_grad). fn(*tensors) -> tensor or tuple of tensors."""
    if SEEDS.dry:
        SEEDS.done(op + " " + dt)
        return
    ts = []
    for t, rg in inputs:
        t = t.detach().clone()
        if rg:
            t.requires_grad_(True)
        ts.append(t)
    try:
        outs = fn(*ts)
    except (RuntimeError, IndexError):  # torch refuses: nabla must return NULL with an error
        lines.append("case %s %s %d %s" % (op, dt, len(params), " ".join(str(p) for p in params)))
        for t, (_, rg) in zip(ts, inputs):
            lines.append("in %s" % tens(t).replace(" ", " %d " % (1 if rg else 0), 1))
        lines.append("error")
        lines.append("end")
        count["cases"] += 1
        SEEDS.done(op + " " + dt)
        return
    if not isinstance(outs, tuple):
        outs = (outs,)
    lines.append("case %s %s %d %s" % (op, dt, len(params), " ".join(fmt(float(p)) if isinstance(p, float) else str(p) for p in params)))
    for t, (_, rg) in zip(ts, inputs):
        lines.append("in %s" % tens(t).replace(" ", " %d " % (1 if rg else 0), 1))
    for o in outs:
        lines.append("out " + tens(o))
    y = outs[0]
    if y.requires_grad:
        gout = rnd(list(y.shape), DTN[y.dtype]) if y.dtype.is_floating_point else None
        diff = [t for t in ts if t.requires_grad]
        grads = torch.autograd.grad(y, diff, gout, allow_unused=True, create_graph=True)
        lines.append("gout " + tens(gout))
        k = 0
        for i, t in enumerate(ts):
            if t.requires_grad:
                g = grads[k] if grads[k] is not None else torch.zeros_like(t)
                lines.append("grad %d %s" % (i, tens(g)))
                k += 1
        if dt == "f64" and second_order:
            # second order: s = sum_i <grad_i, w_i> for random w_i; write w_i and ds/d(input i)
            ws = [rnd(list(t.shape), dt) for t in diff]
            s = sum((g * w).sum() for g, w in zip(grads, ws) if g is not None and g.requires_grad)
            gg = torch.autograd.grad(s, diff, allow_unused=True) if torch.is_tensor(s) else [None] * len(diff)
            k = 0
            for i, t in enumerate(ts):
                if t.requires_grad:
                    lines.append("ggw %d %s" % (i, tens(ws[k])))
                    lines.append("gg %d %s" % (i, tens(gg[k] if gg[k] is not None else torch.zeros_like(t))))
                    k += 1
    lines.append("end")
    count["cases"] += 1
    SEEDS.done(op + " " + dt)


def big_values(shape, seed, dt):
    """exact, formula-made values (the C test makes the same): ((k 7919 + seed 104729) % 1000 - 500) / 256"""
    n = 1
    for d in shape:
        n *= d
    k = torch.arange(n, dtype=torch.int64)
    return (((k * 7919 + seed * 104729) % 1000).double() - 500.0).div(256.0).reshape(shape).to(DT[dt])


def checksums(t):
    """sum and weighted sum (w_k = ((k 37) % 19 - 9) / 8) of a tensor, in f64"""
    v = t.detach().double().reshape(-1)
    w = (((torch.arange(v.numel(), dtype=torch.int64) * 37) % 19).double() - 9.0) / 8.0
    return v.sum().item(), (v * w).sum().item()


def chk(t):
    s1, s2 = checksums(t)
    return "%s %d %s %s %s" % (DTN[t.dtype], t.dim(), " ".join(str(d) for d in t.shape), fmt(s1), fmt(s2))


def bigcase(op, dt, params, specs, fn):
    """Large inputs (above the kernels' threshold for threads) made by a formula, results as checksums.
    specs: ("f", shape, requires_grad, seed) or ("i", shape, seed, high) for index tensors."""
    ts = []
    lines.append("case %s %s %d %s" % (op, dt, len(params), " ".join(str(p) for p in params)))
    for sp in specs:
        shp = " ".join(str(d) for d in sp[1])
        if sp[0] == "f":
            t = big_values(sp[1], sp[3], dt)
            if sp[2]:
                t.requires_grad_(True)
            lines.append("big %s %d %d %s %d" % (dt, int(sp[2]), len(sp[1]), shp, sp[3]))
        else:
            n = 1
            for d in sp[1]:
                n *= d
            t = ((torch.arange(n, dtype=torch.int64) * 31 + sp[2]) % sp[3]).reshape(sp[1])
            lines.append("bigi %d %s %d %d" % (len(sp[1]), shp, sp[2], sp[3]))
        ts.append(t)
    outs = fn(*ts)
    if not isinstance(outs, tuple):
        outs = (outs,)
    for o in outs:
        lines.append("chk " + chk(o))
    y = outs[0]
    if y.requires_grad:
        gout = big_values(list(y.shape), 99, DTN[y.dtype])
        diff = [t for t in ts if t.requires_grad]
        grads = torch.autograd.grad(y, diff, gout, allow_unused=True)
        lines.append("gbig %s %d %s 99" % (DTN[y.dtype], y.dim(), " ".join(str(d) for d in y.shape)))
        k = 0
        for i, t in enumerate(ts):
            if t.requires_grad:
                lines.append("gchk %d %s" % (i, chk(grads[k] if grads[k] is not None else torch.zeros_like(t))))
                k += 1
    lines.append("end")
    count["cases"] += 1


def gen_big(dt):
    F = lambda shape, seed, rg=True: ("f", shape, rg, seed)
    bigcase("add", dt, [], [F([256, 1], 1), F([1, 200], 2)], torch.add)
    bigcase("mul", dt, [], [F([64, 40, 20], 3), F([40, 1], 4)], torch.mul)
    bigcase("sub", dt, [], [F([200, 200], 5), F([200], 6)], torch.sub)
    bigcase("where", dt, [], [F([200, 200], 7, False), F([200, 1], 8), F([200, 200], 9)], lambda c, a, b: torch.where(c != 0, a, b))
    bigcase("tanh", dt, [], [F([300, 150], 10)], torch.tanh)
    bigcase("sum", dt, [], [F([200, 200], 11)], torch.sum)
    for shape, dims in (([300, 200], [0]), ([300, 200], [1]), ([1, 40000], [1]), ([2, 20000], [1]), ([20, 50, 40], [0, 2]),
                        ([8, 6, 5, 7], [0, 2, 3])):  # the last two: (A, C, B) reduced over A and B, no copy
        bigcase("sum_dim", dt, dims_param(dims) + [0], [F(shape, 12)], lambda x: torch.sum(x, dims))
        bigcase("amax", dt, dims_param(dims) + [1], [F(shape, 13)], lambda x: torch.amax(x, dims, keepdim=True))
        bigcase("logsumexp", dt, dims_param(dims) + [0], [F(shape, 14)], lambda x: torch.logsumexp(x, dims))
        bigcase("var_dim", dt, dims_param(dims) + [1, 0], [F(shape, 15)], lambda x: torch.var(x, dims))
    bigcase("norm_dim", dt, [2.0] + dims_param([1]) + [0], [F([300, 200], 16)], lambda x: torch.linalg.vector_norm(x, 2.0, [1]))
    bigcase("mean", dt, [], [F([1, 50000], 17)], torch.mean)
    bigcase("max_dim", dt, [1, 0], [F([300, 200], 18)], lambda x: tuple(torch.max(x, 1)))
    bigcase("softmax", dt, [1], [F([200, 300], 19)], lambda x: torch.softmax(x, 1))
    bigcase("log_softmax", dt, [0], [F([300, 200], 20)], lambda x: torch.log_softmax(x, 0))
    bigcase("matmul", dt, [], [F([3, 64, 96], 21), F([96, 80], 22)], torch.matmul)
    bigcase("cat", dt, [1], [F([200, 100], 23), F([200, 150], 24)], lambda *t: torch.cat(t, 1))
    bigcase("index_select", dt, [0], [F([300, 200], 25), ("i", [400], 3, 300)], lambda x, i: torch.index_select(x, 0, i))
    bigcase("gather", dt, [1], [F([300, 200], 26), ("i", [300, 150], 5, 200)], lambda x, i: torch.gather(x, 1, i))
    bigcase("scatter_add", dt, [0], [F([100, 200], 27), ("i", [300, 200], 7, 100), F([300, 200], 28)],
            lambda x, i, s: torch.scatter_add(x, 0, i, s))
    bigcase("transpose", dt, [0, 1], [F([300, 200], 29)], lambda x: x.transpose(0, 1) * 1.0)
    bigcase("expand", dt, dims_param([300, 200]), [F([300, 1], 30)], lambda x: x.expand(300, 200))


def dims_param(dims):
    return [len(dims)] + list(dims)


def gen(dt):
    # ---- binary, broadcasting ----
    bshapes = [([3, 4], [3, 4]), ([3, 1], [1, 4]), ([2, 3, 4], [4]), ([], [2, 3]), ([2, 3], []), ([4, 1, 3], [2, 1]),
               (rshape(2), None), ([], [])]
    binops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "minimum": torch.minimum,
              "maximum": torch.maximum}
    for name, f in binops.items():
        for sa, sb in bshapes:
            sb = sa if sb is None else sb
            a = rnd(sa, dt)
            b = rnd(sb, dt)
            if name == "div":
                b = b.sign() * (b.abs() + 0.5)
            case(name, dt, [], [(a, True), (b, True)], f)
    for name in ("minimum", "maximum"):  # ties split the grad 1/2 each (torch)
        a = torch.tensor([1.0, 2.0, -3.0, 0.5, 0.0], dtype=DT[dt])
        b = torch.tensor([1.0, 1.0, -3.0, 0.75, 0.0], dtype=DT[dt])
        case(name, dt, [], [(a, True), (b, True)], binops[name])
    for sa, sb in bshapes[:4]:
        sb = sa if sb is None else sb
        a = rnd(sa, dt, 0.2, 2.0)
        b = rnd(sb, dt, -2.0, 2.0)
        case("pow", dt, [], [(a, True), (b, True)], torch.pow)
    # pow at a == 0: da masked where b == 0, db masked where b >= 0 (torch)
    a = torch.tensor([0.0, 0.0, 0.0, 2.0, 1.5], dtype=DT[dt])
    b = torch.tensor([0.0, 1.0, 2.5, 0.0, -1.0], dtype=DT[dt])
    case("pow", dt, [], [(a, True), (b, True)], torch.pow)
    for sc, sa, sb in [([3, 4], [3, 4], [3, 4]), ([3, 1], [1, 4], [3, 4]), ([2, 3], [], [3]), ([4], [2, 4], [1])]:
        c = (torch.rand(sc) > 0.5).to(DT[dt])
        a = rnd(sa, dt)
        b = rnd(sb, dt)
        case("where", dt, [], [(c, False), (a, True), (b, True)], lambda c, a, b: torch.where(c != 0, a, b))
    # ---- scalar variants ----
    for s in (2.5, -0.75, 0.0):
        x = rnd(rshape(2), dt)
        case("add_scalar", dt, [s], [(x, True)], lambda x: x + s)
        case("sub_scalar", dt, [s], [(x, True)], lambda x: x - s)
        case("rsub_scalar", dt, [s], [(x, True)], lambda x: s - x)
        case("mul_scalar", dt, [s], [(x, True)], lambda x: x * s)
        if s != 0:
            case("div_scalar", dt, [s], [(x, True)], lambda x: x / s)
        xn = x.sign() * (x.abs() + 0.25)
        case("rdiv_scalar", dt, [s], [(xn, True)], lambda x: s / x)
    for s in (2.0, 3.0, 0.5, -1.5, 0.0, 1.0):
        x = rnd(rshape(2), dt, 0.1, 3.0) if s != int(s) or s < 0 else rnd(rshape(2), dt)
        case("pow_scalar", dt, [s], [(x, True)], lambda x: torch.pow(x, s))
    for s in (2.0, 0.5, 3.7):
        x = rnd(rshape(2), dt)
        case("rpow_scalar", dt, [s], [(x, True)], lambda x: torch.pow(s, x))
    # ---- unary (edge values appended to random ones) ----
    edge = [0.0, -0.0, -1.0, 1.0, -3.5, 4.25, 30.0, -30.0]
    pos = [1e-3, 0.5, 1.0, 7.0, 100.0]
    un = {
        "neg": (torch.neg, edge), "exp": (torch.exp, edge + [80.0, -100.0]), "log": (torch.log, pos),
        "log1p": (torch.log1p, [0.0, -0.5, 1e-8, 3.0, 50.0]), "sqrt": (torch.sqrt, pos), "rsqrt": (torch.rsqrt, pos),
        "square": (torch.square, edge), "abs": (torch.abs, edge), "sin": (torch.sin, edge), "cos": (torch.cos, edge),
        "tan": (torch.tan, [0.0, -1.0, 1.2, -1.5, 0.3]), "sinh": (torch.sinh, [0.0, -1.0, 3.0, -5.0, 10.0]),
        "cosh": (torch.cosh, [0.0, -1.0, 3.0, -5.0, 10.0]), "tanh": (torch.tanh, edge), "sigmoid": (torch.sigmoid, edge),
        "relu": (torch.relu, edge), "gelu": (torch.nn.functional.gelu, edge),
        "gelu_tanh": (lambda x: torch.nn.functional.gelu(x, approximate="tanh"), edge),
        "erf": (torch.erf, edge), "sign": (torch.sign, edge),
    }
    for name, (f, ev) in un.items():
        shape = rshape(2)
        if name in ("log", "sqrt", "rsqrt"):
            x = rnd(shape, dt, 0.05, 4.0)
        elif name in ("log1p",):
            x = rnd(shape, dt, -0.9, 4.0)
        elif name == "tan":
            x = rnd(shape, dt, -1.3, 1.3)
        else:
            x = rnd(shape, dt, -3.0, 3.0)
        case(name, dt, [], [(x, name != "sign")], f)
        case(name, dt, [], [(torch.tensor(ev, dtype=DT[dt]), name != "sign")], f)
        case(name, dt, [], [(torch.tensor(ev[2], dtype=DT[dt]), name != "sign")], f)  # 0-d
    for slope in (0.01, 0.2, -0.5):
        x = torch.cat([rnd([6], dt, -3, 3), torch.tensor(edge, dtype=DT[dt])])
        case("leaky_relu", dt, [slope], [(x, True)], lambda x: torch.nn.functional.leaky_relu(x, slope))
    for beta, thr in ((1.0, 20.0), (2.0, 5.0), (0.5, 1.0)):
        x = torch.cat([rnd([6], dt, -3, 3), torch.tensor(edge + [2.4, 2.6, 10.1, 9.9], dtype=DT[dt])])
        case("softplus", dt, [beta, thr], [(x, True)], lambda x: torch.nn.functional.softplus(x, beta, thr))
    x = torch.cat([rnd([6], dt, -3, 3), torch.tensor(edge + [19.9, 20.1], dtype=DT[dt])])
    case("softplus", dt, [0.0, 0.0], [(x, True)], lambda x: torch.nn.functional.softplus(x))  # 0 = torch's defaults
    # no x at 0 = the threshold: there torch's double backward masks with <, its forward with >
    x = torch.cat([rnd([6], dt, -3, 3), torch.tensor([-1.0, 1.0, 0.3, -0.2], dtype=DT[dt])])
    case("softplus", dt, [2.0, -0.0], [(x, True)], lambda x: torch.nn.functional.softplus(x, 2.0, 0.0))  # NB_ZERO
    # domain edges: log/sqrt/rsqrt at 0 (inf values and grads), log1p at -1, fractional powers of negatives (NaN)
    for name, f, ev in (("log", torch.log, [0.0, 1.0]), ("sqrt", torch.sqrt, [0.0, 4.0]), ("rsqrt", torch.rsqrt, [0.0, 4.0]),
                        ("log1p", torch.log1p, [-1.0, 0.0])):
        case(name, dt, [], [(torch.tensor(ev, dtype=DT[dt]), True)], f)
    for sc in (0.5, 3.0, -2.0):
        case("pow_scalar", dt, [sc], [(torch.tensor([-2.0, -0.5, 0.0, 1.5], dtype=DT[dt]), True)], lambda x: torch.pow(x, sc))
    for lo, hi in ((-1.0, 1.0), (-0.5, float("inf")), (float("-inf"), 0.25), (0.0, 0.0), (1.0, -1.0)):
        x = torch.cat([rnd([6], dt, -3, 3), torch.tensor([-1.0, 1.0, -0.5, 0.25, 0.0, 2.0, -2.0], dtype=DT[dt])])
        case("clamp", dt, [lo, hi], [(x, True)], lambda x: torch.clamp(x, lo if lo != float("-inf") else None, hi if hi != float("inf") else None))
    # ---- comparisons (0/1 in the float dtype) ----
    for name, f in (("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)):
        a = torch.tensor([[1.0, 2.0, 3.0, -1.0], [0.0, 5.0, -2.0, 2.0], [1.0, 1.0, 1.0, 1.0]], dtype=DT[dt])
        b = torch.tensor([[1.0], [5.0], [0.5]], dtype=DT[dt])
        case(name, dt, [], [(a, False), (b, False)], lambda a, b: f(a, b).to(DT[dt]))
        a = torch.randint(-2, 3, (3, 4)).to(DT[dt])
        b = torch.randint(-2, 3, (4,)).to(DT[dt])
        case(name, dt, [], [(a, False), (b, False)], lambda a, b: f(a, b).to(DT[dt]))
    for name, f in (("eq_scalar", torch.eq), ("lt_scalar", torch.lt), ("gt_scalar", torch.gt)):
        a = torch.randint(-2, 3, (3, 5)).to(DT[dt])
        for s in (0.0, 1.0, -1.5):
            case(name, dt, [s], [(a, False)], lambda a: f(a, s).to(DT[dt]))
    # ---- reductions ----
    red_cases = [([3, 4], []), ([3, 4], [0]), ([3, 4], [1]), ([3, 4], [-1]), ([2, 3, 4], [0, 2]), ([2, 3, 4], [1]),
                 ([2, 3, 4], [2, 0, 1]), ([2, 3, 4], [-2, -1]), ([5], [0]), ([], []), ([2, 1, 3], [1])]
    for shape, dims in red_cases:
        for keep in (False, True):
            x = rnd(shape, dt)
            p = dims_param(dims) + [int(keep)]
            dd = dims if dims else list(range(len(shape)))
            case("sum_dim", dt, p, [(x, True)], lambda x: torch.sum(x, dd, keepdim=keep) if dd else torch.sum(x))
            case("mean_dim", dt, p, [(x, True)], lambda x: torch.mean(x, dd, keepdim=keep) if dd else torch.mean(x))
            case("amax", dt, p, [(x, True)], lambda x: torch.amax(x, dims, keepdim=keep))
            case("amin", dt, p, [(x, True)], lambda x: torch.amin(x, dims, keepdim=keep))
            case("logsumexp", dt, p, [(x, True)], lambda x: torch.logsumexp(x, dd, keepdim=keep) if dd else torch.logsumexp(x, list(range(x.dim())), keepdim=keep))
            if x.numel() > 1:
                for corr in (0, 1):
                    pc = dims_param(dims) + [corr, int(keep)]
                    case("var_dim", dt, pc, [(x, True)], lambda x: torch.var(x, dd if dd else None, correction=corr, keepdim=keep))
                    case("std_dim", dt, pc, [(x, True)], lambda x: torch.std(x, dd if dd else None, correction=corr, keepdim=keep))
            for pn in (1.0, 2.0, 3.0, float("inf")):
                case("norm_dim", dt, [pn] + p, [(x, True)], lambda x: torch.linalg.vector_norm(x, pn, dd if dd else None, keepdim=keep))
    for name, f in (("sum", torch.sum), ("mean", torch.mean), ("var", torch.var), ("std", torch.std), ("prod", torch.prod),
                    ("max", torch.max), ("min", torch.min)):
        x = rnd(rshape(3), dt)
        case(name, dt, [], [(x, True)], f)
    # amax/amin/max/min ties: evenly shared
    xt = torch.tensor([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]], dtype=DT[dt])
    case("max", dt, [], [(xt, True)], torch.max)
    case("min", dt, [], [(xt, True)], torch.min)
    case("amax", dt, [1, 1, 0], [(xt, True)], lambda x: torch.amax(x, [1]))
    case("amin", dt, [1, 1, 1], [(xt, True)], lambda x: torch.amin(x, [1], keepdim=True))
    for pn in (1.0, 2.0, 3.0, float("inf"), 0.5):
        x = rnd(rshape(2), dt)
        case("norm", dt, [pn], [(x, True)], lambda x: torch.linalg.vector_norm(x, pn))
    xz = torch.tensor([[0.0, 0.0], [3.0, -4.0]], dtype=DT[dt])
    for pn in (1.0, 2.0, 3.0, float("inf")):  # a zero row: torch's grad there is 0
        # (torch's second derivative of the 2-norm at 0 is NaN; nabla's is 0, so not compared)
        case("norm_dim", dt, [pn, 1, 1, 0], [(xz, True)], lambda x: torch.linalg.vector_norm(x, pn, [1]), second_order=pn != 2.0)
    case("norm_dim", dt, [float("inf"), 0, 0], [(torch.tensor([1.0, -3.0, 3.0, 2.0], dtype=DT[dt]), True)],
         lambda x: torch.linalg.vector_norm(x, float("inf")))
    # prod: random, one zero, two zeros
    for shape, dim in (([3, 4], 0), ([3, 4], 1), ([2, 3, 4], -1), ([5], 0)):
        for keep in (False, True):
            x = rnd(shape, dt, 0.5, 1.5) * torch.where(torch.rand(shape) > 0.5, 1.0, -1.0).to(DT[dt])
            case("prod_dim", dt, [dim, int(keep)], [(x, True)], lambda x: torch.prod(x, dim, keepdim=keep))
    x = rnd([3, 4], dt, 0.5, 1.5)
    x[1, 2] = 0.0
    case("prod_dim", dt, [1, 0], [(x, True)], lambda x: torch.prod(x, 1))
    case("prod_dim", dt, [0, 1], [(x, True)], lambda x: torch.prod(x, 0, keepdim=True))
    case("prod", dt, [], [(x, True)], torch.prod)
    x2 = x.clone()
    x2[0, 0] = 0.0
    # torch 1.13's prod() (all dims) returns a zero grad without history when x has 2+ zeros, so its
    # second derivative there is 0; nabla's is the exact one (prod_dim below is compared to torch's)
    case("prod", dt, [], [(x2, True)], torch.prod, second_order=False)
    x3 = x.clone()
    x3[1, 0] = 0.0
    case("prod_dim", dt, [1, 0], [(x3, True)], lambda x: torch.prod(x, 1))
    x4 = x3.clone()
    x4[1, 3] = 0.0
    case("prod_dim", dt, [1, 1], [(x4, True)], lambda x: torch.prod(x, 1, keepdim=True))  # 3 zeros in a row
    case("prod_dim", dt, [0, 0], [(torch.tensor(0.0, dtype=DT[dt]), True)], lambda x: torch.prod(x, 0))
    # max_dim / min_dim (values + indices), argmax / argmin
    for shape, dim in (([3, 4], 0), ([3, 4], 1), ([2, 3, 4], 1), ([2, 3, 4], -1), ([5], 0), ([], 0)):
        for keep in (False, True):
            x = rnd(shape, dt)
            case("max_dim", dt, [dim, int(keep)], [(x, True)], lambda x: tuple(torch.max(x, dim, keepdim=keep)))
            case("min_dim", dt, [dim, int(keep)], [(x, True)], lambda x: tuple(torch.min(x, dim, keepdim=keep)))
            case("argmax", dt, [dim, int(keep)], [(x, False)], lambda x: torch.argmax(x, dim, keepdim=keep))
            case("argmin", dt, [dim, int(keep)], [(x, False)], lambda x: torch.argmin(x, dim, keepdim=keep))
    xt = torch.tensor([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]], dtype=DT[dt])  # ties: first index
    case("max_dim", dt, [1, 0], [(xt, True)], lambda x: tuple(torch.max(x, 1)))
    case("min_dim", dt, [1, 0], [(xt, True)], lambda x: tuple(torch.min(x, 1)))
    case("argmax", dt, [1, 0], [(xt, False)], lambda x: torch.argmax(x, 1))
    case("argmin", dt, [1, 0], [(xt, False)], lambda x: torch.argmin(x, 1))
    for shape in ([3, 4], [2, 3, 4], [7], []):
        x = rnd(shape, dt)
        case("argmax_all", dt, [], [(x, False)], torch.argmax)
    case("argmax_all", dt, [], [(xt, False)], torch.argmax)
    for xs, to in (([3, 4], [4]), ([3, 4], [3, 1]), ([2, 3, 4], [3, 1]), ([2, 3], [2, 3]), ([3, 4], [1, 1])):
        x = rnd(xs, dt)
        case("sum_to_size", dt, dims_param(to), [(x, True)], lambda x: x.sum_to_size(to))
    # ---- linear algebra ----
    for sa, sb in (([4], [4]), ([3], [3, 5]), ([3, 5], [5]), ([3, 4], [4, 5]), ([2, 3, 4], [4, 5]), ([4], [2, 4, 3]),
                   ([2, 3, 4], [4]), ([2, 1, 3, 4], [3, 4, 2]), ([5, 4], [2, 4, 3]), ([1, 1], [1, 1])):
        case("matmul", dt, [], [(rnd(sa, dt), True), (rnd(sb, dt), True)], torch.matmul)
    for n, k, m in ((3, 4, 5), (1, 7, 2), (6, 1, 3)):
        case("mm", dt, [], [(rnd([n, k], dt), True), (rnd([k, m], dt), True)], torch.mm)
    case("bmm", dt, [], [(rnd([2, 3, 4], dt), True), (rnd([2, 4, 5], dt), True)], torch.bmm)
    case("dot", dt, [], [(rnd([6], dt), True), (rnd([6], dt), True)], torch.dot)
    case("outer", dt, [], [(rnd([3], dt), True), (rnd([4], dt), True)], torch.outer)
    for xs in ([5, 3], [2, 4, 3], [3]):
        w = rnd([4, 3], dt)
        case("linear", dt, [1], [(rnd(xs, dt), True), (w, True), (rnd([4], dt), True)], torch.nn.functional.linear)
        case("linear", dt, [0], [(rnd(xs, dt), True), (w, True)], torch.nn.functional.linear)
    # ---- shape and views ----
    x = rnd([2, 3, 4], dt)
    for shp in ([4, 6], [-1, 2], [24], [2, -1, 3], [2, 3, 4, 1]):
        case("reshape", dt, dims_param(shp), [(x, True)], lambda x: x.reshape(shp))
        case("view", dt, dims_param(shp), [(x, True)], lambda x: x.view(shp))
    case("reshape", dt, dims_param([]), [(rnd([1, 1], dt), True)], lambda x: x.reshape([]))
    # view / reshape of a transposed (2,4,3) -> (2,3,4) input: a view where torch's stride rule allows it
    for shp in ([2, 3, 4, 1], [2, 1, 3, 4], [6, 4], [2, 12], [24], [2, 3, 2, 2], [1, 2, 3, 4]):
        xt = rnd([2, 4, 3], dt)
        case("view_t", dt, dims_param(shp), [(xt, True)], lambda x: x.transpose(1, 2).view(shp))
        case("reshape_t", dt, dims_param(shp), [(xt, True)], lambda x: x.transpose(1, 2).reshape(shp))
    for s, e in ((0, -1), (1, 2), (0, 1), (2, 2)):
        case("flatten", dt, [s, e], [(x, True)], lambda x: torch.flatten(x, s, e))
    y = rnd([2, 1, 3, 1], dt)
    for d in (1, 3, 0, -1):
        case("squeeze", dt, [d], [(y, True)], lambda x: torch.squeeze(x, d))
    case("squeeze_all", dt, [], [(y, True)], torch.squeeze)
    for d in (0, 1, 3, -1, -4):
        case("unsqueeze", dt, [d], [(x, True)], lambda x: torch.unsqueeze(x, d))
    for d0, d1 in ((0, 1), (0, 2), (-1, -2), (1, 1)):
        case("transpose", dt, [d0, d1], [(x, True)], lambda x: torch.transpose(x, d0, d1))
    case("t", dt, [], [(rnd([3, 5], dt), True)], torch.t)
    case("t", dt, [], [(rnd([4], dt), True)], torch.t)
    for perm in ([2, 0, 1], [1, 2, 0], [0, 1, 2], [-1, 0, 1]):
        case("permute", dt, dims_param(perm), [(x, True)], lambda x: x.permute(perm))
    for d, st, ln in ((0, 1, 1), (1, 0, 2), (2, 1, 3), (-1, -3, 2)):
        case("narrow", dt, [d, st, ln], [(x, True)], lambda x: torch.narrow(x, d, st, ln))
    z = rnd([3, 7], dt)
    for d, st, en, step in ((1, 1, 6, 2), (1, 0, 7, 3), (0, 0, 3, 2), (1, -5, -1, 1), (1, 2, 100, 1), (0, 1, 2, 1)):
        def sl(x, d=d, st=st, en=en, step=step):
            idx = [slice(None)] * x.dim()
            idx[d] = slice(st, en, step)
            return x[tuple(idx)]
        case("slice", dt, [d, st, en, step], [(z, True)], sl)
    for d, i in ((0, 1), (1, -1), (2, 3), (-2, 0)):
        case("select", dt, [d, i], [(x, True)], lambda x: torch.select(x, d, i))
    for xs, shp in (([3, 1], [3, 4]), ([1, 4], [2, 3, 4]), ([4], [3, -1]), ([2, 1, 3], [2, 5, -1]), ([], [2, 3])):
        case("expand", dt, dims_param(shp), [(rnd(xs, dt), True)], lambda x: x.expand(shp))
    case("contiguous_t", dt, [], [(rnd([3, 4], dt), True)], lambda x: x.t().contiguous())
    case("clone", dt, [], [(x, True)], torch.clone)
    other = "f64" if dt == "f32" else "f32"
    case("to", dt, [1 if other == "f64" else 0], [(x, True)], lambda x: x.to(DT[other]))
    case("to", dt, [1 if dt == "f64" else 0], [(x, True)], lambda x: x.to(DT[dt]))
    # ---- joining and indexing ----
    a, b, c = rnd([2, 3], dt), rnd([4, 3], dt), rnd([1, 3], dt)
    case("cat", dt, [0], [(a, True), (b, True), (c, True)], lambda *t: torch.cat(t, 0))
    a2, b2 = rnd([2, 3, 2], dt), rnd([2, 1, 2], dt)
    case("cat", dt, [1], [(a2, True), (b2, True)], lambda *t: torch.cat(t, 1))
    case("cat", dt, [-1], [(a2, True), (a2, True)], lambda *t: torch.cat(t, -1))
    case("cat", dt, [0], [(a, True)], lambda *t: torch.cat(t, 0))
    for d in (0, 1, 2, -1):
        case("stack", dt, [d], [(a, True), (rnd([2, 3], dt), True), (rnd([2, 3], dt), True)], lambda *t: torch.stack(t, d))
    case("stack", dt, [0], [(torch.tensor(1.5, dtype=DT[dt]), True), (torch.tensor(-2.0, dtype=DT[dt]), True)], lambda *t: torch.stack(t, 0))
    for d, idx in ((0, [1, 0, 1, 1]), (1, [2]), (-1, [0, 0, 0]), (1, [])):
        case("index_select", dt, [d], [(x, True), (torch.tensor(idx, dtype=torch.int64), False)], lambda x, i: torch.index_select(x, d, i))
    xg = rnd([3, 4], dt)
    for d, ishape in ((0, [2, 4]), (1, [3, 2]), (1, [2, 6]), (0, [5, 3]), (-1, [3, 4])):
        hi = xg.shape[d]
        idx = torch.randint(0, hi, ishape)
        case("gather", dt, [d], [(xg, True), (idx, False)], lambda x, i: torch.gather(x, d, i))
    # src larger than index is legal forward, but torch 1.13's backward rejects it: src == index shape here
    for d, ishape in ((0, [2, 4]), (1, [3, 2]), (0, [5, 3]), (1, [2, 6]), (-1, [1, 1])):
        base = rnd([3, 4], dt)
        idx = torch.randint(0, base.shape[d], ishape)
        src = rnd(ishape, dt)
        case("scatter_add", dt, [d], [(base, True), (idx, False), (src, True)], lambda x, i, s: torch.scatter_add(x, d, i, s))
    for ms, v in (([3, 4], 0.0), ([1, 4], -1.5), ([3, 1], float("-inf")), ([], 7.0), ([2, 3, 4], 2.0)):
        m = (torch.rand(ms) > 0.5).to(DT[dt])  # (2,3,4): the output takes the mask's larger shape
        case("masked_fill", dt, [v], [(xg, True), (m, False)], lambda x, m: x.masked_fill(m != 0, v))
    # ---- softmax ----
    for shape, d in (([3, 4], 0), ([3, 4], 1), ([2, 3, 4], 1), ([2, 3, 4], -1), ([5], 0), ([], 0)):
        x = rnd(shape, dt, -4, 4)
        case("softmax", dt, [d], [(x, True)], lambda x: torch.softmax(x, d))
        case("log_softmax", dt, [d], [(x, True)], lambda x: torch.log_softmax(x, d))
    big = torch.tensor([[1000.0, 999.0, -1000.0], [-50.0, -51.0, -49.5]], dtype=DT[dt])  # stability
    case("softmax", dt, [1], [(big, True)], lambda x: torch.softmax(x, 1))
    case("log_softmax", dt, [1], [(big, True)], lambda x: torch.log_softmax(x, 1))
    # ---- many dims (nabla's maximum is 8) ----
    a8, b8 = rnd([2, 1, 3, 1, 2, 1, 2, 1], dt), rnd([1, 2, 1, 2, 1, 2, 1, 2], dt)
    case("mul", dt, [], [(a8, True), (b8, True)], torch.mul)
    x8 = rnd([2, 2, 1, 3, 2, 1, 2, 2], dt)
    case("sum_dim", dt, dims_param([1, 3, 5, 7]) + [0], [(x8, True)], lambda x: torch.sum(x, [1, 3, 5, 7]))
    case("amax", dt, dims_param([0, 6]) + [1], [(x8, True)], lambda x: torch.amax(x, [0, 6], keepdim=True))
    case("permute", dt, dims_param([7, 0, 6, 1, 5, 2, 4, 3]), [(x8, True)], lambda x: x.permute(7, 0, 6, 1, 5, 2, 4, 3))
    case("softmax", dt, [4], [(x8, True)], lambda x: torch.softmax(x, 4))
    case("matmul", dt, [], [(rnd([2, 1, 2, 1, 2, 3, 4], dt), True), (rnd([1, 2, 1, 2, 1, 4, 2], dt), True)], torch.matmul)
    case("unsqueeze", dt, [3], [(rnd([2, 1, 3, 2, 1, 2, 2], dt), True)], lambda x: torch.unsqueeze(x, 3))  # 7-D -> 8-D
    # ---- 0-d tensors (torch treats dim 0 / -1 of a scalar as valid) ----
    z0 = torch.tensor(1.25, dtype=DT[dt])
    case("squeeze", dt, [0], [(z0, True)], lambda x: torch.squeeze(x, 0))
    case("unsqueeze", dt, [0], [(z0, True)], lambda x: torch.unsqueeze(x, 0))
    case("unsqueeze", dt, [-1], [(z0, True)], lambda x: torch.unsqueeze(x, -1))
    case("sum_dim", dt, dims_param([0]) + [1], [(z0, True)], lambda x: torch.sum(x, [0], keepdim=True))
    case("mean_dim", dt, dims_param([-1]) + [0], [(z0, True)], lambda x: torch.mean(x, [-1]))
    case("amax", dt, dims_param([0]) + [0], [(z0, True)], lambda x: torch.amax(x, [0]))
    case("logsumexp", dt, dims_param([0]) + [0], [(z0, True)], lambda x: torch.logsumexp(x, [0]))
    case("prod_dim", dt, [0, 1], [(z0, True)], lambda x: torch.prod(x, 0, keepdim=True))
    case("flatten", dt, [0, -1], [(z0, True)], lambda x: torch.flatten(x))
    case("reshape", dt, dims_param([1, 1]), [(z0, True)], lambda x: x.reshape(1, 1))
    case("transpose", dt, [0, -1], [(z0, True)], lambda x: torch.transpose(x, 0, -1))
    case("permute", dt, dims_param([]), [(z0, True)], lambda x: x.permute([]))
    case("log_softmax", dt, [-1], [(z0, True)], lambda x: torch.log_softmax(x, -1))
    case("norm_dim", dt, [2.0] + dims_param([0]) + [0], [(z0, True)], lambda x: torch.linalg.vector_norm(x, 2.0, [0]))
    case("var_dim", dt, dims_param([0]) + [0, 0], [(z0, True)], lambda x: torch.var(x, [0], correction=0))
    case("max_dim", dt, [-1, 1], [(z0, True)], lambda x: tuple(torch.max(x, -1, keepdim=True)))
    case("cat", dt, [0], [(z0, True), (z0, True)], lambda *t: torch.cat(t, 0))
    case("select", dt, [0, 0], [(z0, True)], lambda x: torch.select(x, 0, 0))
    case("gather", dt, [0], [(z0, True), (torch.tensor(0), False)], lambda x, i: torch.gather(x, 0, i))
    case("matmul", dt, [], [(z0, True), (rnd([3], dt), True)], torch.matmul)
    # ---- NaN propagation (torch: max/min/amax/maximum/clamp/relu/softmax keep NaN; argmax points at it) ----
    nan = float("nan")
    xn = torch.tensor([[1.0, nan, 3.0], [-2.0, 0.5, 4.0]], dtype=DT[dt])
    for name, f in (("relu", torch.relu), ("abs", torch.abs), ("exp", torch.exp), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                    ("max", torch.max), ("min", torch.min), ("sum", torch.sum)):
        case(name, dt, [], [(xn, False)], f)
    case("clamp", dt, [-1.0, 1.0], [(xn, False)], lambda x: torch.clamp(x, -1.0, 1.0))
    for d in (0, 1):
        case("amax", dt, [1, d, 0], [(xn, False)], lambda x: torch.amax(x, [d]))
        case("amin", dt, [1, d, 0], [(xn, False)], lambda x: torch.amin(x, [d]))
        case("max_dim", dt, [d, 0], [(xn, False)], lambda x: tuple(torch.max(x, d)))
        case("min_dim", dt, [d, 0], [(xn, False)], lambda x: tuple(torch.min(x, d)))
        case("argmax", dt, [d, 0], [(xn, False)], lambda x: torch.argmax(x, d))
        case("argmin", dt, [d, 0], [(xn, False)], lambda x: torch.argmin(x, d))
        case("softmax", dt, [d], [(xn, False)], lambda x: torch.softmax(x, d))
        case("logsumexp", dt, [1, d, 0], [(xn, False)], lambda x: torch.logsumexp(x, [d]))
    # long rows (37: the vectorized lanes of a contiguous row plus a tail) with special values: NaN, +inf and
    # all -inf rows give NaN rows; -inf entries give 0 / -inf; -100 below the max gives a subnormal e^x in f32
    inf = float("inf")
    xs = rnd([6, 37], dt, -4, 4)
    xs[0, 20], xs[1, 5], xs[2, :], xs[3, 3], xs[3, 30] = nan, inf, -inf, -inf, -inf
    xs[4, :] = -200.0
    xs[4, 17] = -100.0
    xs[5, 33] = 90.0
    for name, f in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        case(name, dt, [1], [(xs, False)], lambda x: f(x, 1))
        case(name, dt, [1], [(xs[3:], True)], lambda x: f(x, 1))
    case("argmax_all", dt, [], [(xn, False)], torch.argmax)
    yn = torch.tensor([[nan, 2.0, 1.0], [nan, nan, 5.0]], dtype=DT[dt])
    case("maximum", dt, [], [(xn, False), (yn, False)], torch.maximum)
    case("minimum", dt, [], [(xn, False), (yn, False)], torch.minimum)
    case("norm", dt, [float("inf")], [(xn, False)], lambda x: torch.linalg.vector_norm(x, float("inf")))
    # ---- empty tensors (numel 0) ----
    e03 = rnd([0, 3], dt)
    case("add", dt, [], [(e03, True), (rnd([3], dt), True)], torch.add)
    case("mul", dt, [], [(rnd([2, 0, 3], dt), True), (rnd([1, 3], dt), True)], torch.mul)
    case("exp", dt, [], [(e03, True)], torch.exp)
    case("sum", dt, [], [(e03, True)], torch.sum)
    case("sum_dim", dt, dims_param([0]) + [0], [(e03, True)], lambda x: torch.sum(x, [0]))
    case("sum_dim", dt, dims_param([1]) + [1], [(e03, True)], lambda x: torch.sum(x, [1], keepdim=True))
    case("mean_dim", dt, dims_param([0]) + [0], [(e03, True)], lambda x: torch.mean(x, [0]))
    case("prod", dt, [], [(e03, True)], torch.prod)
    case("logsumexp", dt, dims_param([0]) + [0], [(e03, True)], lambda x: torch.logsumexp(x, [0]))
    case("norm_dim", dt, [2.0] + dims_param([0]) + [0], [(e03, True)], lambda x: torch.linalg.vector_norm(x, 2.0, [0]))
    case("matmul", dt, [], [(e03, True), (rnd([3, 2], dt), True)], torch.matmul)
    case("matmul", dt, [], [(rnd([2, 0], dt), True), (rnd([0, 3], dt), True)], torch.matmul)
    case("cat", dt, [0], [(e03, True), (rnd([2, 3], dt), True)], lambda *t: torch.cat(t, 0))
    case("reshape", dt, dims_param([3, -1]), [(e03, True)], lambda x: x.reshape([3, -1]))
    case("softmax", dt, [1], [(e03, True)], lambda x: torch.softmax(x, 1))
    case("softmax", dt, [0], [(e03, True)], lambda x: torch.softmax(x, 0))
    case("transpose", dt, [0, 1], [(e03, True)], lambda x: x.transpose(0, 1))
    case("expand", dt, dims_param([2, 0, 3]), [(rnd([1, 1, 3], dt), True)], lambda x: x.expand([2, 0, 3]))
    case("slice", dt, [1, 2, 2, 1], [(rnd([2, 3], dt), True)], lambda x: x[:, 2:2])
    # ---- dtype promotion (f32 with f64, integers with floats) ----
    if dt == "f64":
        a32, b64 = rnd([3, 4], "f32"), rnd([4], "f64")
        i64 = torch.randint(-3, 4, (3, 4))
        for name, f in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
                        ("maximum", torch.maximum)):
            case(name, dt, [], [(a32, True), (b64, True)], f)
            case(name, dt, [], [(i64, False), (b64, True)], f)
        case("where", dt, [], [(torch.ones(3, 4), False), (a32, True), (b64, True)], lambda c, a, b: torch.where(c != 0, a, b))
        case("cat", dt, [0], [(a32, True), (rnd([2, 4], "f64"), True)], lambda *t: torch.cat(t, 0))
        case("lt", dt, [], [(i64, False), (b64, False)], lambda a, b: torch.lt(a, b).to(torch.float64))
        # Not compared (deliberate deviations): torch keeps i64 for neg/abs/sum/amax of an i64 tensor,
        # nabla computes in f32 (i64 is for indices and labels); torch refuses matmul of f32 with f64,
        # nabla promotes to f64 like the elementwise ops.
        for name, f in (("mul_scalar", lambda x: x * 2.5), ("add_scalar", lambda x: x + 0.5),
                        ("div_scalar", lambda x: x / 2.0)):
            case(name, dt, [2.5 if name == "mul_scalar" else 0.5 if name == "add_scalar" else 2.0], [(i64, False)], f)
        case("argmax", dt, [1, 0], [(i64, False)], lambda x: torch.argmax(x, 1))
        case("exp", dt, [], [(i64, False)], torch.exp)
        case("mean", dt, [], [(i64, False)], torch.mean)
        case("to", dt, [1], [(i64, False)], lambda x: x.to(torch.float64))
        case("index_select", dt, [0], [(i64, False), (torch.tensor([2, 0]), False)], lambda x, i: torch.index_select(x, 0, i))
        case("reshape", dt, dims_param([4, 3]), [(i64, False)], lambda x: x.reshape(4, 3))
    # ---- bad inputs: torch raises, nabla must return NULL with an error ----
    case("add", dt, [], [(rnd([3, 4], dt), True), (rnd([5], dt), True)], torch.add)
    case("where", dt, [], [(torch.ones(2, dtype=DT[dt]), False), (rnd([3], dt), True), (rnd([3], dt), True)], lambda c, a, b: torch.where(c != 0, a, b))
    case("matmul", dt, [], [(rnd([3, 4], dt), True), (rnd([5, 2], dt), True)], torch.matmul)
    case("matmul", dt, [], [(rnd([2, 3, 4], dt), True), (rnd([3, 4, 2], dt), True)], torch.matmul)
    case("mm", dt, [], [(rnd([3], dt), True), (rnd([3, 2], dt), True)], torch.mm)
    case("dot", dt, [], [(rnd([3], dt), True), (rnd([4], dt), True)], torch.dot)
    case("cat", dt, [0], [(rnd([2, 3], dt), True), (rnd([2, 4], dt), True)], lambda *t: torch.cat(t, 0))
    case("stack", dt, [0], [(rnd([2, 3], dt), True), (rnd([3, 2], dt), True)], lambda *t: torch.stack(t, 0))
    case("index_select", dt, [0], [(rnd([3, 2], dt), True), (torch.tensor([0, 3]), False)], lambda x, i: torch.index_select(x, 0, i))
    case("gather", dt, [1], [(rnd([3, 2], dt), True), (torch.tensor([[0, 2]]), False)], lambda x, i: torch.gather(x, 1, i))
    case("gather", dt, [1], [(rnd([3, 2], dt), True), (torch.tensor([[0, -1]]), False)], lambda x, i: torch.gather(x, 1, i))
    case("index_select", dt, [0], [(rnd([3, 2], dt), True), (torch.tensor([-1]), False)], lambda x, i: torch.index_select(x, 0, i))
    case("index_select", dt, [0], [(rnd([3, 2], dt), True), (torch.tensor([0.0, 1.0], dtype=DT[dt]), False)], lambda x, i: torch.index_select(x, 0, i))
    case("scatter_add", dt, [0], [(rnd([3, 2], dt), True), (torch.tensor([[3, 0]]), False), (rnd([1, 2], dt), True)], lambda x, i, s: torch.scatter_add(x, 0, i, s))
    case("gather", dt, [0], [(rnd([3, 2], dt), True), (torch.tensor([0, 1]), False)], lambda x, i: torch.gather(x, 0, i))
    case("narrow", dt, [1, 2, 3], [(rnd([3, 4], dt), True)], lambda x: torch.narrow(x, 1, 2, 3))
    case("select", dt, [0, 3], [(rnd([3, 4], dt), True)], lambda x: torch.select(x, 0, 3))
    case("expand", dt, dims_param([3, 4]), [(rnd([2, 1], dt), True)], lambda x: x.expand([3, 4]))
    case("reshape", dt, dims_param([5, -1]), [(rnd([3, 4], dt), True)], lambda x: x.reshape([5, -1]))
    case("softmax", dt, [2], [(rnd([3, 4], dt), True)], lambda x: torch.softmax(x, 2))
    case("sum_dim", dt, dims_param([-3]) + [0], [(rnd([3, 4], dt), True)], lambda x: torch.sum(x, [-3]))
    case("sum_dim", dt, dims_param([0, 0]) + [0], [(rnd([3, 4], dt), True)], lambda x: torch.sum(x, [0, 0]))
    case("permute", dt, dims_param([0, 0]), [(rnd([3, 4], dt), True)], lambda x: x.permute([0, 0]))
    case("squeeze", dt, [2], [(rnd([3, 1], dt), True)], lambda x: torch.squeeze(x, 2))
    case("masked_fill", dt, [1.0], [(rnd([3], dt), True), (torch.ones(2, dtype=DT[dt]), False)], lambda x, m: x.masked_fill(m != 0, 1.0))
    case("sum_to_size", dt, dims_param([2]), [(rnd([3, 4], dt), True)], lambda x: x.sum_to_size([2]))
    # ---- -inf entries (masked attention scores): rows partly or fully -inf ----
    ninf = float("-inf")
    xm = torch.tensor([[0.5, ninf, -1.0], [ninf, ninf, ninf], [2.0, 1.0, ninf]], dtype=DT[dt])
    for d in (0, 1):
        case("softmax", dt, [d], [(xm, True)], lambda x: torch.softmax(x, d))
        case("log_softmax", dt, [d], [(xm, True)], lambda x: torch.log_softmax(x, d))
        case("logsumexp", dt, [1, d, 0], [(xm, True)], lambda x: torch.logsumexp(x, [d]))
    case("amax", dt, [1, 1, 0], [(xm, True)], lambda x: torch.amax(x, [1]))
    case("exp", dt, [], [(xm, True)], torch.exp)
    # ---- in place (forward only; applied to a copy of input 0) ----
    x = rnd([3, 4], dt)
    o = rnd([4], dt)
    case("add_", dt, [], [(x, False), (o, False)], lambda x, o: x.clone().add_(o))
    case("sub_", dt, [], [(x, False), (o, False)], lambda x, o: x.clone().sub_(o))
    case("mul_", dt, [], [(x, False), (o, False)], lambda x, o: x.clone().mul_(o))
    case("div_", dt, [], [(x, False), (o + 3.0, False)], lambda x, o: x.clone().div_(o))
    case("add_scaled_", dt, [-0.3], [(x, False), (o, False)], lambda x, o: x.clone().add_(o, alpha=-0.3))
    case("add_scalar_", dt, [1.25], [(x, False)], lambda x: x.clone().add_(1.25))
    case("mul_scalar_", dt, [-2.0], [(x, False)], lambda x: x.clone().mul_(-2.0))
    case("clamp_", dt, [-0.5, 0.5], [(x, False)], lambda x: x.clone().clamp_(-0.5, 0.5))
    case("zero_", dt, [], [(x, False)], lambda x: x.clone().zero_())
    case("fill_", dt, [3.5], [(x, False)], lambda x: x.clone().fill_(3.5))
    case("copy_", dt, [], [(x, False), (o.to(torch.float64 if dt == "f32" else torch.float32), False)], lambda x, o: x.clone().copy_(o))
    case("add_", dt, [], [(o, False), (x, False)], lambda o, x: o.clone().add_(x))  # error: x cannot grow in place
    case("mul_", dt, [], [(x, False), (rnd([3], dt), False)], lambda x, o: x.clone().mul_(o))  # error: (3) vs (3,4)
    case("copy_", dt, [], [(o, False), (x, False)], lambda o, x: o.clone().copy_(x))  # error


def gen_all():
    for dt in ("f32", "f64"):
        gen(dt)


def main():
    SEEDS.run(gen_all)
    for dt in ("f32", "f64"):   # formula-made values: no random draws
        gen_big(dt)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("# generated by tools/gen_golden_ops.py with torch %s; do not edit\n" % torch.__version__)
        f.write("\n".join(lines) + "\n")
    print("wrote %d cases to %s" % (count["cases"], os.path.relpath(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
