#!/usr/bin/python3
"""gen_checkpoint_transformer.py — a torch-trained TransformerEncoder for tests/test_transformer.c. Run by
hand:  /usr/bin/python3 tools/gen_checkpoint_transformer.py

TransformerEncoder(TransformerEncoderLayer(8, 2, 16, dropout 0.1), 2, LayerNorm(8)) with a Linear(8, 5)
head (a Sequential-free pair saved under "encoder." and "head." prefixes) is trained by torch for 10 Adam
steps on a causal next-class task, then saved as tests/data/torch_encoder.safetensors (its state dict
under torch's names) with tests/data/torch_encoder_io.safetensors:
  x        a batch (6, 3, 8) (L, N, E)
  mask     the causal float mask (6, 6)
  kpm      a key padding mask (3, 6) as i64 0/1
  eval_y   head(encoder(x, mask)) in eval mode
  eval_kpm head(encoder(x, src_key_padding_mask=kpm)) in eval mode (grad enabled: torch's slow path)
The C test loads the file into nabla's equivalent modules (strict) and must reproduce both outputs."""
import os
import zlib

import torch
import torch.nn as nn

from checkpoint_torch import write_safetensors

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
torch.manual_seed(zlib.crc32(b"torch_encoder"))
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.1), 2, nn.LayerNorm(8))
head = nn.Linear(8, 5)
params = list(enc.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=0.01)
mask = nn.Transformer.generate_square_subsequent_mask(6)
for _ in range(10):
    xb = torch.randn(6, 4, 8)
    yb = (xb.cumsum(0)[..., 0] > 0).long() + 2 * (xb[..., 1] > 0).long()
    opt.zero_grad()
    nn.functional.cross_entropy(head(enc(xb, mask)).reshape(-1, 5), yb.reshape(-1)).backward()
    opt.step()
sd = {"encoder." + k: v.detach().clone().numpy() for k, v in enc.state_dict().items()}
sd.update({"head." + k: v.detach().clone().numpy() for k, v in head.state_dict().items()})
x = torch.randn(6, 3, 8)
kpm = torch.zeros(3, 6, dtype=torch.bool)
kpm[1, 4:] = True
kpm[2, 5] = True
enc.eval()
ev = head(enc(x, mask)).detach()
evk = head(enc(x, src_key_padding_mask=kpm)).detach()
io = {"x": x.numpy(), "mask": mask.numpy(), "kpm": kpm.long().numpy(), "eval_y": ev.numpy(),
      "eval_kpm": evk.numpy()}
write_safetensors(os.path.join(DATA, "torch_encoder.safetensors"), sd)
write_safetensors(os.path.join(DATA, "torch_encoder_io.safetensors"), io)
print("state_dict:", len(sd), "tensors; wrote torch_encoder.safetensors and torch_encoder_io.safetensors")
