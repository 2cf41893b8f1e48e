#!/usr/bin/python3
"""torch_control.py — run a PyTorch twin script (bench/torch_*.py, bench/torch_*/) with one rounding-sized
change, to see how far float rounding alone moves PyTorch's own log: the control column of the side-by-side
logs of nabla's ports. No random number is drawn, so init, data order and dropout masks stay the script's.
  --ulp          flip the lowest mantissa bit (+-1 ulp) of every parameter of the first module called
                 (the model), just before its first forward
  --ulp-only I   the same, for the I-th parameter (model.parameters() order) only
  --lse          compute F.log_softmax(x, dim) as x - logsumexp(x, dim): the same function, other rounding,
                 in the forward and (through autograd) the backward of every step
usage: /usr/bin/python3 tools/torch_control.py --ulp|--ulp-only I|--lse SCRIPT [ARGS...]
"""
import os
import runpy
import sys

import torch
import torch.nn.functional as F


def flip_lowest_bits(module, only):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            if only is None or i == only:
                bits = {torch.float32: torch.int32, torch.float64: torch.int64}[p.dtype]
                p.view(-1).view(bits).bitwise_xor_(1)


def install_ulp(only):
    call = torch.nn.Module.__call__
    done = [False]

    def patched(self, *a, **k):
        if not done[0]:
            done[0] = True
            flip_lowest_bits(self, only)
        return call(self, *a, **k)

    torch.nn.Module.__call__ = patched


def main():
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == '--ulp':
        install_ulp(None)
        args = args[1:]
    elif len(args) >= 3 and args[0] == '--ulp-only':
        install_ulp(int(args[1]))
        args = args[2:]
    elif len(args) >= 2 and args[0] == '--lse':
        F.log_softmax = lambda x, dim=None, _stacklevel=3, dtype=None: x - torch.logsumexp(x, dim, True)
        args = args[1:]
    else:
        sys.exit(__doc__)
    sys.argv = args
    sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
    runpy.run_path(args[0], run_name='__main__')


if __name__ == '__main__':
    main()
