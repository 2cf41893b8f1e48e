#!/usr/bin/python3
# PyTorch reference: Fashion-MNIST MLP training, same recipe the project's example must run.
# usage: torch_fmnist.py ARCH EPOCHS BATCH LR   (ARCH like 784-256-10)
import gzip, sys, time, numpy as np, torch
torch.manual_seed(0)
D='/usr/share/datasets/fashion-mnist/'
def imgs(p):
    with gzip.open(D+p) as f: return np.frombuffer(f.read(),np.uint8,offset=16).reshape(-1,784).astype(np.float32)/255
def labs(p):
    with gzip.open(D+p) as f: return np.frombuffer(f.read(),np.uint8,offset=8).astype(np.int64)
Xtr,Ytr,Xte,Yte=[torch.from_numpy(a) for a in (imgs('train-images-idx3-ubyte.gz'),labs('train-labels-idx1-ubyte.gz'),imgs('t10k-images-idx3-ubyte.gz'),labs('t10k-labels-idx1-ubyte.gz'))]
arch=[int(v) for v in sys.argv[1].split('-')]; epochs=int(sys.argv[2]); bs=int(sys.argv[3]); lr=float(sys.argv[4])
layers=[]
for i in range(len(arch)-1):
    layers.append(torch.nn.Linear(arch[i],arch[i+1]))
    if i<len(arch)-2: layers.append(torch.nn.ReLU())
model=torch.nn.Sequential(*layers); lossf=torch.nn.CrossEntropyLoss(); opt=torch.optim.SGD(model.parameters(),lr=lr)
for ep in range(epochs):
    t=time.perf_counter(); perm=torch.randperm(len(Xtr)); tot=0.0
    for i in range(0,len(Xtr),bs):
        idx=perm[i:i+bs]; opt.zero_grad(); loss=lossf(model(Xtr[idx]),Ytr[idx]); loss.backward(); opt.step(); tot+=loss.item()*len(idx)
    dt=time.perf_counter()-t
    with torch.no_grad(): acc=(model(Xte).argmax(1)==Yte).float().mean().item()
    print(f'epoch {ep+1} loss {tot/len(Xtr):.4f} test_acc {acc:.4f} epoch_s {dt:.3f}', flush=True)
