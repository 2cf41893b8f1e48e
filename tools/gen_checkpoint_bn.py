#!/usr/bin/python3
"""gen_checkpoint_bn.py — a torch-made checkpoint with buffers for tests/test_batchnorm.c. Run by hand:

  /usr/bin/python3 tools/gen_checkpoint_bn.py

A small image classifier Sequential(BatchNorm2d(2), Flatten(), Linear(2*6*6, 16), BatchNorm1d(16),
ReLU(), Linear(16, 10), LogSoftmax(1)) is trained by torch for 5 SGD steps (so running_mean/var and
num_batches_tracked hold real values), then saved as tests/data/torch_bn_net.safetensors (its
state_dict under torch's names, num_batches_tracked as I64) with tests/data/torch_bn_io.safetensors:
  x                    a batch (8, 2, 6, 6)
  eval_logp            model.eval()(x)
  train_logp           model.train()(x) (batch statistics), after which
  after.<buffer name>  every buffer's value (running statistics updated once more)
The C test loads the file into nabla's equivalent model (strict) and must reproduce all of them,
then round-trips nabla -> file -> nabla. The format writer is tools/checkpoint_torch.py's."""
import os
import zlib

import torch
import torch.nn as nn

from checkpoint_torch import write_safetensors

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
torch.manual_seed(zlib.crc32(b"torch_bn_net"))
model = nn.Sequential(nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(72, 16), nn.BatchNorm1d(16), nn.ReLU(),
                      nn.Linear(16, 10), nn.LogSoftmax(1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(5):
    xb = torch.randn(16, 2, 6, 6) * 3 + 1
    yb = torch.randint(0, 10, (16,))
    opt.zero_grad()
    nn.functional.nll_loss(model(xb), yb).backward()
    opt.step()
sd = {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
x = torch.randn(8, 2, 6, 6) * 2 + 0.5
with torch.no_grad():
    model.eval()
    ev = model(x)
    model.train()
    tr = model(x)
io = {"x": x.numpy(), "eval_logp": ev.numpy(), "train_logp": tr.numpy()}
for k, v in model.named_buffers():
    io["after." + k] = v.detach().clone().numpy()
write_safetensors(os.path.join(DATA, "torch_bn_net.safetensors"), sd)
write_safetensors(os.path.join(DATA, "torch_bn_io.safetensors"), io)
print("state_dict:", list(sd))
print("wrote", os.path.join(DATA, "torch_bn_net.safetensors"), "and torch_bn_io.safetensors")
