#!/usr/bin/python3
# PyTorch reference for bench/ddp.sh: torch_fmnist.py's recipe under DistributedDataParallel (gloo,
# CPU), W processes of 1 thread each. Same data order as nabla's `fashion_mnist --ddp`: every rank
# draws the same randperm and takes its contiguous share of each global batch (loss weighted by its
# share). Rank 0 prints torch_fmnist.py's epoch line and `ddp: world W ...`.
# usage: torch_ddp_fmnist.py WORLD ARCH EPOCHS BATCH LR
import gzip, os, sys, time, numpy as np, torch, torch.distributed as dist, torch.multiprocessing as mp

D = '/usr/share/datasets/fashion-mnist/'
def imgs(p):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
def labs(p):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)

def main(rank, world, argv):
    torch.set_num_threads(1)
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29533')
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.manual_seed(0)
    Xtr, Ytr, Xte, Yte = [torch.from_numpy(a) for a in (imgs('train-images-idx3-ubyte.gz'), labs('train-labels-idx1-ubyte.gz'),
                                                         imgs('t10k-images-idx3-ubyte.gz'), labs('t10k-labels-idx1-ubyte.gz'))]
    arch = [int(v) for v in argv[0].split('-')]; epochs = int(argv[1]); bs = int(argv[2]); lr = float(argv[3])
    layers = []
    for i in range(len(arch) - 1):
        layers.append(torch.nn.Linear(arch[i], arch[i + 1]))
        if i < len(arch) - 2: layers.append(torch.nn.ReLU())
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Sequential(*layers))
    lossf = torch.nn.CrossEntropyLoss(); opt = torch.optim.SGD(model.parameters(), lr=lr)
    for ep in range(epochs):
        t = time.perf_counter(); perm = torch.randperm(len(Xtr)); tot = 0.0
        for i in range(0, len(Xtr), bs):
            n = min(bs, len(Xtr) - i); lo, hi = n * rank // world, n * (rank + 1) // world
            idx = perm[i + lo:i + hi]
            opt.zero_grad(); loss = lossf(model(Xtr[idx]), Ytr[idx]); (loss * ((hi - lo) * world / n)).backward(); opt.step()
            tot += loss.item() * (hi - lo)
        dt = time.perf_counter() - t
        s = torch.tensor([tot]); dist.all_reduce(s)
        with torch.no_grad(): acc = (model.module(Xte).argmax(1) == Yte).float().mean().item()
        if rank == 0: print(f'epoch {ep + 1} loss {s.item() / len(Xtr):.4f} test_acc {acc:.4f} epoch_s {dt:.3f}', flush=True)
    dist.destroy_process_group()

if __name__ == '__main__':
    world = int(sys.argv[1])
    mp.spawn(main, args=(world, sys.argv[2:]), nprocs=world, join=True)
