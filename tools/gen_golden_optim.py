#!/usr/bin/python3
"""gen_golden_optim.py — golden data for nabla's optimizer layer, from PyTorch (Debian python3-torch 1.13).

Writes, under tests/golden/:
  optim_traj.txt   trajectories of every torch.optim method and option combination (f32 and f64) on the
                   loss defined in loss() below, which tests/test_optim.c defines identically
  optim_sched.txt  lr sequences of every scheduler over 100 epochs
  optim_lbfgs.txt  L-BFGS iterates on Rosenbrock (strong Wolfe and none)
  optim_clip.txt   clip_grad_norm_ totals and clipped grads, clip_grad_value_
  optim_2d.txt     the line examples/optim_2d prints, for several command lines

Run: /usr/bin/python3 tools/gen_golden_optim.py   (from the repository root)
"""
import math
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'golden')
STEPS = 25
SHAPES = [(3, 4), (5,), (), (2, 2)]   # the last parameter is not used by the loss (grad stays None)


def fmt(vals, dt):
    f = '%.17g' if dt == torch.float64 else '%.9g'
    return ' '.join(f % v for v in vals)


def flat(ts):
    return [v for t in ts for v in t.detach().double().reshape(-1).tolist()]


def base_values():
    g = torch.Generator().manual_seed(1234)
    init = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    coef = [torch.rand(s, generator=g, dtype=torch.float64) * 2 + 0.5 for s in SHAPES]
    target = [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]
    return init, coef, target


def loss(ps, coef, target):
    """L = sum_k sum(c_k (p_k - t_k)^2 + 0.05 p_k^4), k = 0..2 (parameter 3 unused)."""
    total = None
    for k in range(3):
        d = ps[k] - target[k]
        term = (coef[k] * (d * d)).sum() + 0.05 * (ps[k] * ps[k] * ps[k] * ps[k]).sum()
        total = term if total is None else total + term
    return total


# (name, torch class, kwargs); kwargs 'group2_lr' puts parameter 2 into a second group with that lr
CASES = [
    ('sgd', torch.optim.SGD, dict(lr=0.05)),
    ('sgd_momentum', torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ('sgd_dampening', torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ('sgd_nesterov', torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ('sgd_wd', torch.optim.SGD, dict(lr=0.05, weight_decay=0.1)),
    ('sgd_momentum_wd', torch.optim.SGD, dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ('sgd_maximize', torch.optim.SGD, dict(lr=0.002, momentum=0.5, maximize=True)),
    ('sgd_groups', torch.optim.SGD, dict(lr=0.05, momentum=0.9, group2_lr=0.01)),
    ('adagrad', torch.optim.Adagrad, dict()),
    ('adagrad_lr', torch.optim.Adagrad, dict(lr=0.3)),
    ('adagrad_lr_decay', torch.optim.Adagrad, dict(lr=0.3, lr_decay=0.1)),
    ('adagrad_wd', torch.optim.Adagrad, dict(lr=0.3, weight_decay=0.1)),
    ('adagrad_init_acc', torch.optim.Adagrad, dict(lr=0.3, initial_accumulator_value=0.5)),
    ('adagrad_eps', torch.optim.Adagrad, dict(lr=0.3, eps=1e-2)),
    ('adagrad_maximize', torch.optim.Adagrad, dict(lr=0.1, maximize=True)),
    ('rmsprop', torch.optim.RMSprop, dict()),
    ('rmsprop_alpha', torch.optim.RMSprop, dict(lr=0.02, alpha=0.9)),
    ('rmsprop_eps', torch.optim.RMSprop, dict(lr=0.02, eps=1e-2)),
    ('rmsprop_wd', torch.optim.RMSprop, dict(lr=0.02, weight_decay=0.1)),
    ('rmsprop_momentum', torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    ('rmsprop_centered', torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    ('rmsprop_centered_momentum', torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    ('rmsprop_maximize', torch.optim.RMSprop, dict(lr=0.01, maximize=True)),
    ('adadelta', torch.optim.Adadelta, dict()),
    ('adadelta_lr', torch.optim.Adadelta, dict(lr=0.5)),
    ('adadelta_rho', torch.optim.Adadelta, dict(rho=0.5)),
    ('adadelta_eps', torch.optim.Adadelta, dict(eps=1e-3)),
    ('adadelta_wd', torch.optim.Adadelta, dict(weight_decay=0.1)),
    ('adadelta_maximize', torch.optim.Adadelta, dict(maximize=True)),
    ('adam', torch.optim.Adam, dict()),
    ('adam_lr', torch.optim.Adam, dict(lr=0.05)),
    ('adam_betas', torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.9))),
    ('adam_beta1_zero', torch.optim.Adam, dict(lr=0.05, betas=(0.0, 0.99))),
    ('adam_eps', torch.optim.Adam, dict(lr=0.05, eps=1e-2)),
    ('adam_wd', torch.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    ('adam_amsgrad', torch.optim.Adam, dict(lr=0.05, amsgrad=True)),
    ('adam_amsgrad_wd', torch.optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ('adam_maximize', torch.optim.Adam, dict(lr=0.01, maximize=True)),
    ('adam_groups', torch.optim.Adam, dict(lr=0.05, group2_lr=0.2)),
    ('adamw', torch.optim.AdamW, dict()),
    ('adamw_lr', torch.optim.AdamW, dict(lr=0.05)),
    ('adamw_wd', torch.optim.AdamW, dict(lr=0.05, weight_decay=0.3)),
    ('adamw_wd_zero', torch.optim.AdamW, dict(lr=0.05, weight_decay=0.0)),
    ('adamw_betas', torch.optim.AdamW, dict(lr=0.05, betas=(0.7, 0.95))),
    ('adamw_eps', torch.optim.AdamW, dict(lr=0.05, eps=1e-2)),
    ('adamw_amsgrad', torch.optim.AdamW, dict(lr=0.05, amsgrad=True)),
    ('adamw_maximize', torch.optim.AdamW, dict(lr=0.01, maximize=True)),
    ('nadam', torch.optim.NAdam, dict()),
    ('nadam_lr', torch.optim.NAdam, dict(lr=0.05)),
    ('nadam_betas', torch.optim.NAdam, dict(lr=0.05, betas=(0.8, 0.9))),
    ('nadam_eps', torch.optim.NAdam, dict(lr=0.05, eps=1e-2)),
    ('nadam_wd', torch.optim.NAdam, dict(lr=0.05, weight_decay=0.1)),
    ('nadam_momentum_decay', torch.optim.NAdam, dict(lr=0.05, momentum_decay=0.1)),
]


def kw_str(kw):
    out = []
    for k, v in kw.items():
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, tuple):
            v = ','.join(repr(x) for x in v)
        out.append('%s=%s' % (k, v))
    return ' '.join(out)


def gen_traj():
    init, coef, target = base_values()
    lines = ['# trajectories from torch %s; shapes %s; loss in tools/gen_golden_optim.py' % (torch.__version__, SHAPES),
             'init ' + fmt(flat(init), torch.float64),
             'coef ' + fmt(flat(coef), torch.float64),
             'target ' + fmt(flat(target), torch.float64)]
    for name, cls, kw in CASES:
        for dt in (torch.float32, torch.float64):
            ps = [t.clone().to(dt).requires_grad_(True) for t in init]
            cf = [t.to(dt) for t in coef]
            tg = [t.to(dt) for t in target]
            kw2 = dict(kw)
            g2 = kw2.pop('group2_lr', None)
            if g2 is None:
                opt = cls(ps, foreach=False, **kw2)
            else:
                opt = cls([{'params': [ps[0], ps[1], ps[3]]}, {'params': [ps[2]], 'lr': g2}], foreach=False, **kw2)
            lines.append('case %s %s %s %d %s' % (name, 'f32' if dt == torch.float32 else 'f64', cls.__name__.lower(),
                                                  STEPS, kw_str(kw)))
            for _ in range(STEPS):
                opt.zero_grad(set_to_none=True)
                loss(ps, cf, tg).backward()
                opt.step()
                lines.append(fmt(flat(ps), dt))
    return lines


def gen_sched():
    lines = ['# lr after construction (epoch 0) and after each of 100 scheduler steps; torch %s' % torch.__version__]
    S = torch.optim.lr_scheduler

    def run(name, make, groups=1, metric=None):
        ps = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
        opt = torch.optim.SGD([{'params': [p], 'lr': 0.1 * (g + 1)} for g, p in enumerate(ps)])
        scheds = make(opt)
        if not isinstance(scheds, list):
            scheds = [scheds]
        seq = [[g['lr'] for g in opt.param_groups]]
        for e in range(100):
            opt.step()
            for s in scheds:
                if isinstance(s, S.ReduceLROnPlateau):
                    s.step(metric(e))
                else:
                    s.step()
            seq.append([g['lr'] for g in opt.param_groups])
        lines.append('sched %s %d %d' % (name, groups, len(seq)))
        for v in seq:
            lines.append(' '.join('%.17g' % x for x in v))

    run('step', lambda o: S.StepLR(o, step_size=30))
    run('step_gamma', lambda o: S.StepLR(o, step_size=7, gamma=0.5))
    run('multistep', lambda o: S.MultiStepLR(o, milestones=[10, 30, 30, 80]))
    run('multistep_gamma', lambda o: S.MultiStepLR(o, milestones=[5, 50], gamma=0.3))
    run('exponential', lambda o: S.ExponentialLR(o, gamma=0.95))
    run('cosine', lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), groups=2)
    run('cosine_long', lambda o: S.CosineAnnealingLR(o, T_max=100))
    run('linear', lambda o: S.LinearLR(o))
    run('linear_warmup', lambda o: S.LinearLR(o, start_factor=0.25, total_iters=10), groups=2)
    run('linear_decay', lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=40))
    run('lambda', lambda o: S.LambdaLR(o, lambda e: 0.95 ** e))
    run('inverse_sqrt', lambda o: S.LambdaLR(o, lambda e: 1 / math.sqrt(e + 1)))
    run('chained', lambda o: [S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=10, gamma=0.5)])
    run('warmup_cosine', lambda o: [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=50)])

    def metric(e):
        return 1.0 / (1 + e) if e < 30 else 1.0 / 31 + 0.001 * (e % 5)
    run('plateau', lambda o: S.ReduceLROnPlateau(o, patience=3, factor=0.5, cooldown=2), metric=metric, groups=2)
    run('plateau_default', lambda o: S.ReduceLROnPlateau(o), metric=metric)
    run('plateau_max_abs', lambda o: S.ReduceLROnPlateau(o, mode='max', threshold_mode='abs', threshold=0.01,
                                                          patience=2, min_lr=0.01), metric=lambda e: -metric(e))
    return lines


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] * x[:-1]) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosen_manual(xs):
    """Rosenbrock loss and gradient in plain floats, the same loop as tests/test_optim_lbfgs.c."""
    n = len(xs)
    f = 0.0
    g = [0.0] * n
    for i in range(n - 1):
        d = xs[i + 1] - xs[i] * xs[i]
        e = 1 - xs[i]
        f += 100 * d * d + e * e
        g[i] += -400 * xs[i] * d - 2 * e
        g[i + 1] += 200 * d
    return f, g


def gen_lbfgs():
    lines = ['# L-BFGS iterates (loss returned by each step, params after it) on Rosenbrock; torch %s' % torch.__version__,
             '# grad=autograd: closure uses autograd; grad=manual: the closure writes the analytic gradient']
    cases = [
        ('wolfe_2d', [-1.5, 2.0], dict(line_search_fn='strong_wolfe'), 6, 'autograd'),
        ('wolfe_2d_h3', [-1.2, 1.0], dict(line_search_fn='strong_wolfe', history_size=3, max_iter=5), 10, 'manual'),
        ('wolfe_6d', [-1.0, 1.2, -0.5, 0.8, 1.5, -1.0], dict(line_search_fn='strong_wolfe', max_iter=8), 8, 'manual'),
        ('wolfe_6d_autograd', [-1.0, 1.2, -0.5, 0.8, 1.5, -1.0], dict(line_search_fn='strong_wolfe', max_iter=8), 4,
         'autograd'),
        ('none_2d', [-1.2, 1.0], dict(lr=0.002, max_iter=10), 6, 'autograd'),
        ('none_6d', [0.5, 0.2, 0.1, 0.9, 0.3, 0.7], dict(lr=0.001, max_iter=7, history_size=4), 6, 'manual'),
        ('wolfe_2d_lr10', [-1.5, 2.0], dict(lr=10, line_search_fn='strong_wolfe'), 4, 'manual'),
        ('f32_wolfe_2d', [-1.5, 2.0], dict(line_search_fn='strong_wolfe'), 5, 'manual'),
        ('f32_wolfe_5d_lr10', [3.0, -2.0, 1.0, 0.5, -1.0], dict(lr=10, line_search_fn='strong_wolfe', history_size=3), 6,
         'manual'),
        ('f32_none_2d', [-1.2, 1.0], dict(lr=0.002, max_iter=10), 5, 'manual'),
    ]
    for name, x0, kw, steps, mode in cases:
        dt = torch.float32 if name.startswith('f32') else torch.float64
        x = torch.tensor(x0, dtype=dt, requires_grad=True)
        opt = torch.optim.LBFGS([x], **kw)

        def closure():
            opt.zero_grad()
            if mode == 'manual':
                f, g = rosen_manual(x.detach().tolist())
                x.grad = torch.tensor(g, dtype=dt)
                return torch.tensor(f, dtype=dt)
            l = rosenbrock(x)
            l.backward()
            return l
        lines.append('lbfgs %s %d %d grad=%s %s' % (name, len(x0), steps, mode, kw_str(kw)))
        lines.append('x0 ' + fmt(x0, torch.float64))
        for _ in range(steps):
            l = opt.step(closure)
            lines.append('%.17g %s' % (float(l), fmt(x.detach().tolist(), torch.float64)))   # f32 values exactly
    return lines


def gen_clip():
    lines = ['# clip_grad_norm_ (total norm, grads after) and clip_grad_value_; torch %s' % torch.__version__]
    g = torch.Generator().manual_seed(7)
    shapes = [(3, 12), (5,), ()]  # 36 values: the vectorized lanes of a norm plus a tail
    grads = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    lines.append('grads ' + fmt(flat(grads), torch.float64))
    for dt in (torch.float32, torch.float64):
        for max_norm, p in [(1.0, 2.0), (0.5, 1.0), (1.0, math.inf), (2.0, 3.0), (100.0, 2.0), (0.1, 2.0)]:
            ps = [torch.zeros(s, dtype=dt, requires_grad=True) for s in shapes]
            for q, gr in zip(ps, grads):
                q.grad = gr.to(dt).clone()
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=p)
            lines.append('norm %s %r %r %.17g %s' % ('f32' if dt == torch.float32 else 'f64', max_norm, p,
                                                    float(total), fmt(flat([q.grad for q in ps]), dt)))
        for v in (0.5, 0.1):
            ps = [torch.zeros(s, dtype=dt, requires_grad=True) for s in shapes]
            for q, gr in zip(ps, grads):
                q.grad = gr.to(dt).clone()
            torch.nn.utils.clip_grad_value_(ps, v)
            lines.append('value %s %r %s' % ('f32' if dt == torch.float32 else 'f64', v,
                                             fmt(flat([q.grad for q in ps]), dt)))
    return lines


def f_2d(x, a):
    return a * x[0] ** 2 + 2 * x[1] ** 2


def run_2d(opt_name, lr, steps=20, f='momentum', **kw):
    """What examples/optim_2d prints: torch's optimizer on f from (-5, -2) in float64."""
    a = 0.1 if f == 'momentum' else 1.0
    x = torch.tensor([-5.0, -2.0], dtype=torch.float64, requires_grad=True)
    if opt_name == 'newton':
        for _ in range(steps):
            H = torch.autograd.functional.hessian(lambda v: f_2d(v, a), x.detach())
            g, = torch.autograd.grad(f_2d(x, a), x)
            with torch.no_grad():
                x -= lr * torch.linalg.solve(H, g)
    else:
        cls = dict(sgd=torch.optim.SGD, adagrad=torch.optim.Adagrad, rmsprop=torch.optim.RMSprop,
                   adadelta=torch.optim.Adadelta, adam=torch.optim.Adam, adamw=torch.optim.AdamW,
                   nadam=torch.optim.NAdam, lbfgs=torch.optim.LBFGS)[opt_name]
        opt = cls([x], lr=lr, **kw)

        def closure():
            opt.zero_grad()
            l = f_2d(x, a)
            l.backward()
            return l
        for _ in range(steps):
            if opt_name == 'lbfgs':
                opt.step(closure)
            else:
                closure()
                opt.step()
    return 'epoch %d, x1: %f, x2: %f' % (steps, float(x[0]), float(x[1]))


def gen_2d():
    runs = [
        ('--opt sgd --lr 0.1 --f gd', ('sgd', 0.1), dict(f='gd')),
        ('--opt sgd --lr 0.4', ('sgd', 0.4), {}),
        ('--opt sgd --lr 0.6', ('sgd', 0.6), {}),
        ('--opt sgd --lr 0.6 --momentum 0.5', ('sgd', 0.6), dict(momentum=0.5)),
        ('--opt sgd --lr 0.4 --momentum 0.9 --nesterov', ('sgd', 0.4), dict(momentum=0.9, nesterov=True)),
        ('--opt sgd --lr 0.3 --momentum 0.5 --dampening 0.3 --weight-decay 0.1', ('sgd', 0.3),
         dict(momentum=0.5, dampening=0.3, weight_decay=0.1)),
        ('--opt adagrad --lr 0.4', ('adagrad', 0.4), {}),
        ('--opt adagrad --lr 2', ('adagrad', 2.0), {}),
        ('--opt adagrad --lr 0.4 --lr-decay 0.05 --eps 1e-6', ('adagrad', 0.4), dict(lr_decay=0.05, eps=1e-6)),
        ('--opt rmsprop --lr 0.4 --alpha 0.9', ('rmsprop', 0.4), dict(alpha=0.9)),
        ('--opt rmsprop --lr 0.1 --centered --momentum 0.5', ('rmsprop', 0.1), dict(centered=True, momentum=0.5)),
        ('--opt adadelta --lr 1', ('adadelta', 1.0), {}),
        ('--opt adadelta --lr 10 --rho 0.5', ('adadelta', 10.0), dict(rho=0.5)),
        ('--opt adam --lr 0.5', ('adam', 0.5), {}),
        ('--opt adam --lr 0.5 --betas 0.8,0.99 --amsgrad', ('adam', 0.5), dict(betas=(0.8, 0.99), amsgrad=True)),
        ('--opt adamw --lr 0.5 --weight-decay 0.1', ('adamw', 0.5), dict(weight_decay=0.1)),
        ('--opt nadam --lr 0.5', ('nadam', 0.5), {}),
        ('--opt lbfgs --lr 1 --steps 3', ('lbfgs', 1.0), dict(steps=3)),
        ('--opt lbfgs --lr 1 --steps 2 --history 2 --line-search strong_wolfe', ('lbfgs', 1.0),
         dict(steps=2, history_size=2, line_search_fn='strong_wolfe')),
        ('--opt newton --lr 1', ('newton', 1.0), {}),
        ('--opt newton --lr 0.5 --steps 10', ('newton', 0.5), dict(steps=10)),
        ('--opt sgd --lr 0.1 --steps 50', ('sgd', 0.1), dict(steps=50)),
    ]
    lines = ['# examples/optim_2d command line | the line it prints (torch %s, float64)' % torch.__version__]
    for args, (name, lr), kw in runs:
        kw = dict(kw)
        steps = kw.pop('steps', 20)
        f = kw.pop('f', 'momentum')
        lines.append('%s | %s' % (args, run_2d(name, lr, steps=steps, f=f, **kw)))
    return lines


def main():
    os.makedirs(OUT, exist_ok=True)
    for fname, gen in [('optim_traj.txt', gen_traj), ('optim_sched.txt', gen_sched), ('optim_lbfgs.txt', gen_lbfgs),
                       ('optim_clip.txt', gen_clip), ('optim_2d.txt', gen_2d)]:
        lines = gen()
        with open(os.path.join(OUT, fname), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        print('wrote', fname, len(lines), 'lines', file=sys.stderr)


if __name__ == '__main__':
    main()
