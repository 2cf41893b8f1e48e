#!/usr/bin/python3
"""gen_golden_house.py — PyTorch golden values for tests/test_house.c: the parameters of an
nn.Sequential built after torch.manual_seed, so nabla's documented construction form (each layer in
its own statement, in the order torch builds them) is checked to draw the same weights.

Each case is seeded from its name (torch.manual_seed(zlib.crc32(name))), so a new case re-rolls nothing.
Lines: `seed <name> <seed>`, then `param <name> <param name> <tensor>` (tools/golden_fmt.py's tens).
Run: /usr/bin/python3 tools/gen_golden_house.py   (from the repository root)
"""
import os
import zlib

import torch
from torch import nn

from golden_fmt import tens

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "house.txt")


def case(name, build, lines):
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    m = build()
    lines.append("seed %s %d" % (name, seed))
    for pname, p in m.state_dict().items():
        lines.append("param %s %s %s" % (name, pname, tens(p)))


def main():
    lines = ["# tests/golden/house.txt, from tools/gen_golden_house.py (torch %s)" % torch.__version__]
    case("sequential", lambda: nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), lines)
    case("sequential_deep", lambda: nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(),
                                                  nn.Linear(4, 1, bias=False)), lines)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
