#!/usr/bin/python3
# golden_print.py — torch 1.13's printed form of the tensors tests/test_tensor.c builds, one case a
# line: "name<TAB>repr" with newlines written as \n. Run: /usr/bin/python3 tools/golden_print.py > tests/expected/print.txt
import torch

x64 = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
cases = [
    ('vec', torch.tensor([1., 2., 3.])),
    ('row', torch.tensor([[1.5, 2.0]])),
    ('leaf', torch.tensor(10., requires_grad=True)),
    ('mul64', x64 * x64),
    ('leaf64', x64),
    ('sum64', (x64 * x64).sum()),
    ('sumf32', torch.tensor([1., 2.], requires_grad=True).sum()),
    ('mat', torch.tensor([[1.2345, -2.5, 3.], [4., 5., 6.]])),
    ('small', torch.tensor([1e-5, 1.0])),
    ('big', torch.tensor([1e9, 1.])),
    ('int', torch.tensor([1, 2, 3])),
    ('intmat', torch.tensor([[1, -20], [300, 4]])),
    ('cube', torch.arange(8.).reshape(2, 2, 2)),
    ('scalar', torch.tensor(3.5)),
    ('neg', torch.tensor([-1., 2.])),
    ('naninf', torch.tensor([float('nan'), 1., float('inf')])),
    ('zeros', torch.zeros(2, 2)),
    ('empty', torch.tensor([])),
    ('empty2d', torch.zeros(0, 3)),
    ('emptyint', torch.zeros(0, dtype=torch.int64)),
    ('long', torch.arange(2000.)),
    ('wide', torch.arange(20.) / 3),
    ('bigmat', torch.arange(2000.).reshape(40, 50) / 7),
    ('bigcube', torch.arange(1100, dtype=torch.float64).reshape(11, 10, 10)),
    ('transposed', torch.arange(6.).reshape(2, 3).t()),
    ('negsci', torch.tensor([-1e-5, 2.0, -300.])),
    ('allnan', torch.tensor([float('nan'), float('nan')])),
    ('mixinf', torch.tensor([-float('inf'), 0.5, 2.])),
    ('bigint', torch.tensor([1e8, 1.])),
    ('one', torch.tensor([[5.]])),
    ('negscalar', torch.tensor(-0.5)),
    ('i64big', torch.tensor([123456789012, -1])),
    ('deep', torch.arange(4.).reshape(2, 1, 2, 1)),
    ('wideint', torch.arange(30.)),
    ('reqwide', torch.arange(25., dtype=torch.float64).requires_grad_()),
    ('f64frac', torch.tensor([1 / 3, 2 / 3], dtype=torch.float64)),
]
for name, t in cases:
    print(name + '\t' + str(t).replace('\n', '\\n'))
