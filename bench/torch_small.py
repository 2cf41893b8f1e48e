#!/usr/bin/python3
# PyTorch reference for tiny-graph overhead: seed GD on f(x)=x*cos(c*x) driven by autograd, and a 2-D Adam loop.
import time, math, torch, sys
n=int(sys.argv[1]) if len(sys.argv)>1 else 20000
c=0.15*math.pi
x=torch.tensor(10.0,requires_grad=True)
t=time.perf_counter()
for i in range(n):
    y=x*torch.cos(c*x); y.backward()
    with torch.no_grad(): x-=1e-3*x.grad
    x.grad=None
dt=time.perf_counter()-t
print(f'scalar_gd_step_us {dt/n*1e6:.2f} x {x.item():.6f}')
x=torch.tensor([-5.0,-2.0],requires_grad=True); opt=torch.optim.Adam([x],lr=0.01)
t=time.perf_counter()
for i in range(n):
    opt.zero_grad(); (0.1*x[0]**2+2*x[1]**2).backward(); opt.step()
dt=time.perf_counter()-t
print(f'adam2d_step_us {dt/n*1e6:.2f} x {x.tolist()}')
