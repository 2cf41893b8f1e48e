#!/usr/bin/python3
# PyTorch reference for tiny-graph overhead: seed GD on f(x)=x*cos(c*x) driven by autograd, and a 2-D Adam loop.
# bench/ copy of shared/reference/torch_small.py: same workloads, same output; the n steps run as 20
# back-to-back rounds and the best round's mean step is reported (as bench/small.c does), since the
# machine is shared and the least disturbed round is the closest to the real cost.
import time, math, torch, sys
n=int(sys.argv[1]) if len(sys.argv)>1 else 20000
R=20; chunk=max(1,n//R)
def lap(i,t,i0,best):
    """close a round after step i when due: returns (t, i0, best)"""
    if (i+1)%chunk and i+1!=n: return t,i0,best
    tn=time.perf_counter(); return tn,i+1,min(best,(tn-t)/(i+1-i0))
c=0.15*math.pi
x=torch.tensor(10.0,requires_grad=True)
t=time.perf_counter(); i0=0; best=float('inf')
for i in range(n):
    y=x*torch.cos(c*x); y.backward()
    with torch.no_grad(): x-=1e-3*x.grad
    x.grad=None
    t,i0,best=lap(i,t,i0,best)
print(f'scalar_gd_step_us {best*1e6:.2f} x {x.item():.6f}')
x=torch.tensor([-5.0,-2.0],requires_grad=True); opt=torch.optim.Adam([x],lr=0.01)
t=time.perf_counter(); i0=0; best=float('inf')
for i in range(n):
    opt.zero_grad(); (0.1*x[0]**2+2*x[1]**2).backward(); opt.step()
    t,i0,best=lap(i,t,i0,best)
print(f'adam2d_step_us {best*1e6:.2f} x {x.tolist()}')
