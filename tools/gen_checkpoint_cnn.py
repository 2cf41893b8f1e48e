#!/usr/bin/python3
"""gen_checkpoint_cnn.py — a torch-made CNN checkpoint for tests/test_conv_modules.c. Run by hand:

  /usr/bin/python3 tools/gen_checkpoint_cnn.py

Sequential(Conv2d(1, 4, 3, padding=1, padding_mode='reflect'), BatchNorm2d(4), ReLU(), MaxPool2d(2),
Conv2d(4, 8, 3), BatchNorm2d(8), ReLU(), Flatten(), Linear(32, 10), LogSoftmax(1)) on 8x8 images is
trained by torch for 5 SGD steps (so the BatchNorm running statistics hold real values), then saved as
tests/data/torch_cnn_net.safetensors (its state_dict under torch's names) with
tests/data/torch_cnn_io.safetensors: x (16, 1, 8, 8), eval_logp = model.eval()(x) and pred, its argmax.
The C test loads the file into nabla's equivalent model (strict) and must predict the same classes."""
import os
import zlib

import torch
import torch.nn as nn

from checkpoint_torch import write_safetensors

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
torch.manual_seed(zlib.crc32(b"torch_cnn_net"))
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                      nn.Linear(32, 10), nn.LogSoftmax(1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(5):
    xb = torch.randn(16, 1, 8, 8) * 2 + 0.5
    yb = torch.randint(0, 10, (16,))
    opt.zero_grad()
    nn.functional.nll_loss(model(xb), yb).backward()
    opt.step()
sd = {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
x = torch.randn(16, 1, 8, 8) * 2 + 0.5
with torch.no_grad():
    model.eval()
    ev = model(x)
io = {"x": x.numpy(), "eval_logp": ev.numpy(), "pred": ev.argmax(1).numpy()}
write_safetensors(os.path.join(DATA, "torch_cnn_net.safetensors"), sd)
write_safetensors(os.path.join(DATA, "torch_cnn_io.safetensors"), io)
print("state_dict:", list(sd))
print("predictions:", ev.argmax(1).tolist())
