#!/usr/bin/python3
"""gen_golden_helpers.py - PyTorch golden values for the ops of include/nb_helpers.h.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/gen_golden_helpers.py
Writes tests/golden/helpers.txt in the format of tools/gen_golden_ops.py (whose case() it uses), read
by tests/test_golden_ops.c. Each case is seeded from its own name and number (zlib.crc32), so adding a
case re-rolls no other. Ops returning several pieces (split, chunk, unbind) take the piece index as
their last parameter.
"""
import os
import sys
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_golden_ops as g  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "helpers.txt")
DT = g.DT
serial = {"n": 0}


def case(op, dt, params, inputs, fn, second_order=True):
    serial["n"] += 1
    torch.manual_seed(zlib.crc32(("%s %s %d" % (op, dt, serial["n"])).encode()))
    ins = [(t() if callable(t) else t, rg) for t, rg in inputs]
    g.case(op, dt, params, ins, fn, second_order)


def rnd(shape, dt, lo=-2.0, hi=2.0):
    return lambda: g.rnd(shape, dt, lo, hi)


def ties(n, dt, k=3):
    return lambda: torch.randint(0, k, (n,)).to(DT[dt])


def gen(dt):
    # ---- pieces ----
    for size, dim, n in ((2, 1, 5), (4, 1, 5), (5, 0, 3), (3, -1, 7)):
        shape = [3, n] if dim != 0 else [n, 2]
        x = rnd(shape, dt)
        pieces = (shape[dim] + size - 1) // size
        for k in range(pieces):
            case("split", dt, [size, dim, k], [(x, True)], lambda t, s=size, d=dim, k=k: t.split(s, d)[k])
    case("split", dt, [0, 1, 0], [(rnd([2, 3], dt), True)], lambda t: t.split(0, 1)[0])   # error
    for sizes, dim in (([1, 3, 1], 1), ([0, 2], 0)):
        shape = [2, 5] if dim == 1 else [2, 3]
        for k in range(len(sizes)):
            case("split_with_sizes", dt, [len(sizes)] + sizes + [dim, k], [(rnd(shape, dt), True)],
                 lambda t, s=sizes, d=dim, k=k: t.split(s, d)[k])
    case("split_with_sizes", dt, [2, 1, 1, 1, 0], [(rnd([2, 3], dt), True)], lambda t: t.split([1, 1], 1)[0])  # error
    for chunks, n in ((3, 7), (4, 6), (2, 1)):
        x = rnd([2, n], dt)
        for k in range(len(torch.zeros(2, n).chunk(chunks, 1))):
            case("chunk", dt, [chunks, 1, k], [(x, True)], lambda t, c=chunks, k=k: t.chunk(c, 1)[k])
    for dim in (0, 1, -1):
        x = rnd([2, 3, 2], dt)
        for k in range([2, 3, 2][dim]):
            case("unbind", dt, [dim, k], [(x, True)], lambda t, d=dim, k=k: t.unbind(d)[k])
    # ---- rearranging ----
    for shape in ([4, 4], [3, 5], [5, 3], [2, 3, 4]):
        for d in (0, 1, -1, 2, -3):
            case("tril", dt, [d], [(rnd(shape, dt), True)], lambda t, d=d: torch.tril(t, d))
            case("triu", dt, [d], [(rnd(shape, dt), True)], lambda t, d=d: torch.triu(t, d))
    case("tril", dt, [0], [(rnd([4], dt), True)], lambda t: torch.tril(t))   # error: 1-D
    for shape, dims in (([5], [0]), ([3, 4], [1]), ([3, 4], [0, 1]), ([2, 3, 4], [0, 2]), ([2, 3, 4], [-1]), ([2, 3, 4], [])):
        case("flip", dt, g.dims_param(dims), [(rnd(shape, dt), True)], lambda t, d=dims: torch.flip(t, d))
    case("flip", dt, g.dims_param([1, 1]), [(rnd([2, 3], dt), True)], lambda t: torch.flip(t, [1, 1]))   # error
    for shape, shifts, dims in (([5], [2], [0]), ([3, 4], [1], [1]), ([3, 4], [-1, 5], [0, 1]), ([3, 4], [3], []),
                                ([2, 3, 4], [7], [-1]), ([3, 4], [0], [0])):
        case("roll", dt, [len(dims)] + shifts + dims, [(rnd(shape, dt), True)],
             lambda t, s=shifts, d=dims: torch.roll(t, s, d) if d else torch.roll(t, s))
    for shape, reps in (([3], [2]), ([2, 3], [2, 1]), ([2, 3], [1, 3]), ([2, 3], [2, 1, 2]), ([2], [0, 3]), ([2, 2], [1, 1])):
        case("repeat", dt, g.dims_param(reps), [(rnd(shape, dt), True)], lambda t, r=reps: t.repeat(*r))
    case("repeat", dt, g.dims_param([2]), [(rnd([2, 3], dt), True)], lambda t: t.repeat(2))   # error
    # ---- scans ----
    for shape, d in (([6], 0), ([3, 5], 1), ([3, 5], 0), ([2, 3, 4], -2), ([4, 1], 1)):
        case("cumsum", dt, [d], [(rnd(shape, dt), True)], lambda t, d=d: torch.cumsum(t, d))
    case("cumsum", dt, [0], [(rnd([300], dt, 0.0, 1.0), True)], lambda t: torch.cumsum(t, 0))   # long rounding run
    if dt == "f32":
        case("cumsum", dt, [1], [(lambda: torch.randint(-5, 5, (2, 6)), False)], lambda t: torch.cumsum(t, 1))
    # ---- sorting ----
    for shape_or_fn, d in ((rnd([7], dt), 0), (rnd([3, 5], dt), 1), (rnd([3, 5], dt), 0), (ties(40, dt), 0),
                           (ties(17, dt), 0), (ties(100, dt, 5), 0), (lambda: torch.tensor([1.0, float("nan"), -2.0, float("nan"), 0.5], dtype=DT[dt]), 0)):
        for desc in (0, 1):
            for stable in (0, 1):
                case("sort", dt, [d, desc, stable], [(shape_or_fn, True)],
                     lambda t, d=d, de=desc, st=stable: tuple(torch.sort(t, dim=d, descending=bool(de), stable=bool(st))))
                case("argsort", dt, [d, desc, stable], [(shape_or_fn, False)],
                     lambda t, d=d, de=desc, st=stable: torch.sort(t, dim=d, descending=bool(de), stable=bool(st))[1])
    if dt == "f32":
        case("sort", dt, [0, 0, 0], [(lambda: torch.randint(0, 4, (30,)), False)], lambda t: tuple(torch.sort(t, 0)))
    for src, k, d in ((rnd([8], dt), 3, 0), (rnd([3, 6], dt), 2, 1), (rnd([5, 3], dt), 5, 0), (ties(40, dt), 7, 0),
                      (ties(200, dt), 3, 0), (ties(300, dt, 4), 4, 0), (rnd([4, 5], dt), 0, 1),
                      (lambda: torch.tensor([1.0, float("nan"), -2.0, 3.0, float("nan"), 0.5], dtype=DT[dt]), 3, 0)):
        for smallest in (0, 1):
            for unsorted in (0, 1):
                case("topk", dt, [k, d, smallest, unsorted], [(src, True)],
                     lambda t, k=k, d=d, s=smallest, u=unsorted: tuple(torch.topk(t, k, d, largest=not s, sorted=not u)))
    case("topk", dt, [4, 0, 0, 0], [(rnd([3], dt), True)], lambda t: tuple(torch.topk(t, 4)))   # error: k > size
    # ---- elementwise ----
    case("atan", dt, [], [(rnd([3, 4], dt, -4, 4), True)], torch.atan)
    case("atan", dt, [], [(lambda: torch.tensor([0.0, float("inf"), float("-inf"), float("nan"), 1e30], dtype=DT[dt]), True)],
         torch.atan, second_order=False)
    case("reciprocal", dt, [], [(rnd([3, 4], dt, 0.5, 3), True)], torch.reciprocal)
    case("reciprocal", dt, [], [(lambda: torch.tensor([0.0, -0.0, float("inf"), -2.0], dtype=DT[dt]), False)], torch.reciprocal)
    xs = lambda: torch.tensor([[0.5, 1.0, 2.0], [1.0, float("nan"), -1.0]], dtype=DT[dt])
    for op in ("ne", "le", "ge"):
        for s in (1.0, 0.5, float("nan")):
            case(op + "_scalar", dt, [s], [(xs, False)], lambda t, o=op, s=s: getattr(t, o)(s).to(DT[dt]))


def main():
    for dt in ("f32", "f64"):
        gen(dt)
    with open(OUT, "w") as f:
        f.write("# generated by tools/gen_golden_helpers.py with torch %s; do not edit\n" % torch.__version__)
        f.write("\n".join(g.lines) + "\n")
    print("wrote %d cases to %s" % (g.count["cases"], os.path.relpath(OUT)), file=sys.stderr)


if __name__ == "__main__":
    main()
