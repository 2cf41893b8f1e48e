#!/usr/bin/python3
# PyTorch counterpart of bench/batchnorm.c: the same modules, shapes and loop (train step = forward +
# backward of sum(y * g); eval forward under no_grad), best of 5 rounds. usage: torch_batchnorm.py [STEPS]
import sys, time, torch, torch.nn as nn
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
def run(name, m, shape):
    torch.manual_seed(0)
    x = torch.randn(shape, requires_grad=True); g = torch.randn(shape)
    bt = be = float('inf')
    for _ in range(5):
        m.train(); t0 = time.perf_counter()
        for _ in range(steps):
            (m(x) * g).sum().backward(); x.grad = None; m.zero_grad(set_to_none=True)
        t1 = time.perf_counter(); m.eval()
        with torch.no_grad():
            for _ in range(steps): m(x)
        t2 = time.perf_counter()
        bt = min(bt, (t1 - t0) / steps); be = min(be, (t2 - t1) / steps)
    print(f'{name} train_ms {bt * 1e3:.3f} eval_ms {be * 1e3:.3f}', flush=True)
run('bn2d_64x32x26x26', nn.BatchNorm2d(32), (64, 32, 26, 26))
run('bn2d_32x64x56x56', nn.BatchNorm2d(64), (32, 64, 56, 56))
run('bn2d_32x128x28x28', nn.BatchNorm2d(128), (32, 128, 28, 28))
run('bn1d_256x512', nn.BatchNorm1d(512), (256, 512))
run('gn8_32x64x28x28', nn.GroupNorm(8, 64), (32, 64, 28, 28))
