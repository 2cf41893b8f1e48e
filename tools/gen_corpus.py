#!/usr/bin/python3
"""gen_corpus.py - a generated, license-free text corpus for word_language_model (train.txt, valid.txt,
test.txt in the wikitext layout: one sentence per line, words separated by spaces).

Sentences follow a small grammar (determiner, adjectives, noun, verb, object, sometimes a clause)
over made-up words with Zipf-distributed frequencies, so a language model has something to learn.
  /usr/bin/python3 tools/gen_corpus.py OUTDIR [--vocab N] [--tokens N] [--seed S]
examples/data/tinylm was made with the defaults (vocab 600, 10000 train tokens, seed 1).
Plain Python (random with a fixed seed): the same arguments always write the same files."""
import argparse
import bisect
import itertools
import os
import random

p = argparse.ArgumentParser()
p.add_argument("outdir")
p.add_argument("--vocab", type=int, default=600)
p.add_argument("--tokens", type=int, default=10000)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)
syl = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "zu", "fe", "go", "ha", "ji", "wu", "be", "xo"]


def word(k):
    s = ""
    while True:
        s += syl[k % len(syl)]
        k //= len(syl)
        if k == 0:
            return s


n = max(a.vocab - 20, 10)
kinds = ["noun", "verb", "adj"]
lex = {k: [] for k in kinds}
for i in range(n):
    lex[kinds[i % 3]].append(word(i + 7))
func = ["the", "a", "of", "and", "to", "in", "that", "with", "is", "was", ",", "."]


cum = {k: list(itertools.accumulate(1.0 / (r + 1) for r in range(len(v)))) for k, v in lex.items()}


def zipf(ws):
    # P(rank r) ~ 1 / (r + 1)
    c = cum[kinds[[lex[k] is ws for k in kinds].index(True)]]
    return ws[min(bisect.bisect_left(c, rng.random() * c[-1]), len(ws) - 1)]


def phrase():
    out = [rng.choice(["the", "a"])]
    while rng.random() < 0.4:
        out.append(zipf(lex["adj"]))
    out.append(zipf(lex["noun"]))
    if rng.random() < 0.2:
        out += ["of"] + phrase()
    return out


def sentence():
    s = phrase() + [rng.choice(["is", "was"]) if rng.random() < 0.3 else zipf(lex["verb"])] + phrase()
    if rng.random() < 0.3:
        s += [",", rng.choice(["and", "that"])] + [zipf(lex["verb"])] + phrase()
    return " ".join(s + ["."])


os.makedirs(a.outdir, exist_ok=True)
for name, ntok in (("train", a.tokens), ("valid", a.tokens // 10), ("test", a.tokens // 10)):
    lines, count = [], 0
    while count < ntok:
        s = sentence()
        count += len(s.split()) + 1
        lines.append(" " + s + " ")
    with open(os.path.join(a.outdir, name + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
