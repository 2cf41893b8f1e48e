#!/usr/bin/python3
"""torch_char_gpt.py — the PyTorch twin of examples/char_gpt.c: nanoGPT's model.py GPT (token + position
embedding, pre-norm blocks of causal self-attention and a GELU MLP, final LayerNorm, lm_head tied to
wte, _init_weights through apply then the c_proj rescale) and train.py's loop (AdamW with decay groups,
cosine lr with warmup, clipping at 1.0, torch.randint batches drawn before backward), with the same
options, the same printed lines and, after the same --seed, the same draws. torch 1.13 has no
F.scaled_dot_product_attention: the attention is nanoGPT's manual path (softmax of masked q k^T / sqrt(hs)).
  /usr/bin/python3 bench/torch_char_gpt.py --n_layer 2 --n_embd 32 ... (see examples/char_gpt.c)"""
import argparse
import math
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

p = argparse.ArgumentParser()
for name, val in [("data", "examples/data/tinylm/train.txt"), ("n_layer", 6), ("n_head", 6), ("n_embd", 384),
                  ("block_size", 256), ("batch_size", 12), ("max_iters", 100), ("warmup_iters", 10),
                  ("lr_decay_iters", 100), ("log_interval", 1), ("eval_iters", 4), ("sample_tokens", 200),
                  ("top_k", 200), ("seed", 1337), ("learning_rate", 1e-3), ("min_lr", 1e-4),
                  ("weight_decay", 0.1), ("beta1", 0.9), ("beta2", 0.99), ("grad_clip", 1.0), ("dropout", 0.2),
                  ("temperature", 0.8)]:
    p.add_argument("--" + name, type=type(val), default=val)
p.add_argument("--bias", action="store_true")
a = p.parse_args()


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(a.n_embd, 3 * a.n_embd, bias=a.bias)
        self.c_proj = nn.Linear(a.n_embd, a.n_embd, bias=a.bias)
        self.attn_dropout = nn.Dropout(a.dropout)
        self.resid_dropout = nn.Dropout(a.dropout)
        self.register_buffer("bias", torch.tril(torch.ones(a.block_size, a.block_size))
                             .view(1, 1, a.block_size, a.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(a.n_embd, dim=2)
        k = k.view(B, T, a.n_head, C // a.n_head).transpose(1, 2)
        q = q.view(B, T, a.n_head, C // a.n_head).transpose(1, 2)
        v = v.view(B, T, a.n_head, C // a.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(a.n_embd, 4 * a.n_embd, bias=a.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * a.n_embd, a.n_embd, bias=a.bias)
        self.dropout = nn.Dropout(a.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = LayerNorm(a.n_embd, a.bias)
        self.attn = CausalSelfAttention()
        self.ln_2 = LayerNorm(a.n_embd, a.bias)
        self.mlp = MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, a.n_embd), wpe=nn.Embedding(a.block_size, a.n_embd), drop=nn.Dropout(a.dropout),
            h=nn.ModuleList([Block() for _ in range(a.n_layer)]), ln_f=LayerNorm(a.n_embd, a.bias)))
        self.lm_head = nn.Linear(a.n_embd, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * a.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


text = open(a.data, "rb").read()
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(len(data) * 0.9)
train_data, val_data = data[:n], data[n:]


def get_batch(d):
    ix = torch.randint(len(d) - a.block_size, (a.batch_size,))
    return (torch.stack([d[i:i + a.block_size] for i in ix]), torch.stack([d[i + 1:i + 1 + a.block_size] for i in ix]))


def get_lr(it):
    if it < a.warmup_iters:
        return a.learning_rate * (it + 1) / (a.warmup_iters + 1)
    if it > a.lr_decay_iters:
        return a.min_lr
    ratio = (it - a.warmup_iters) / (a.lr_decay_iters - a.warmup_iters)
    return a.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (a.learning_rate - a.min_lr)


torch.manual_seed(a.seed)
model = GPT(len(chars))
params = [p for p in model.parameters()]
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
print("number of parameters: %.2fM" % (sum(p.numel() for p in params) / 1e6))
groups = [{"params": decay, "weight_decay": a.weight_decay}]
if nodecay:
    groups.append({"params": nodecay, "weight_decay": 0.0})
opt = torch.optim.AdamW(groups, lr=a.learning_rate, betas=(a.beta1, a.beta2))
X, Y = get_batch(train_data)
model.train()
for it in range(a.max_iters):
    t0 = time.time()
    lr = get_lr(it)
    for g in opt.param_groups:
        g["lr"] = lr
    _, loss = model(X, Y)
    X, Y = get_batch(train_data)
    loss.backward()
    if a.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip)
    opt.step()
    opt.zero_grad(set_to_none=True)
    if it % a.log_interval == 0:
        print("iter %d: loss %.4f, time %.2fms" % (it, loss.item(), (time.time() - t0) * 1000), flush=True)
model.eval()
with torch.no_grad():
    val = sum(model(*get_batch(val_data))[1].item() / a.eval_iters for _ in range(a.eval_iters))
if a.eval_iters > 0:
    print("val loss %.4f" % val)
if a.sample_tokens > 0:
    idx = torch.tensor([[stoi.get(10, 0)]], dtype=torch.long)
    with torch.no_grad():
        for _ in range(a.sample_tokens):
            logits, _ = model(idx[:, -a.block_size:])
            logits = logits[:, -1, :] / a.temperature
            if a.top_k > 0:
                v, _ = torch.topk(logits, min(a.top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            idx = torch.cat((idx, torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)), dim=1)
    print(bytes(chars[i] for i in idx[0].tolist()).decode("latin-1"))
