"""golden_seed.py — per-case seeds for the golden generators. The random inputs of a case come from
torch.manual_seed and random.seed of zlib.crc32 of its key "<name> #<k>" (the k-th case so named),
so adding a case re-rolls no other case's values (only later cases of the very same name).

Inputs are drawn before the case function is called, so the generator runs twice: a dry run that only
lists the keys, then the real run, which reseeds before each case's first draw (right after the
previous case). Use: `S = CaseSeeds()`; each case calls `S.done(name)` once, after its last draw (in a
dry run, `if S.dry: S.done(name); return` before doing any work); `S.run(gen)` runs the whole thing."""
import random
import zlib

import torch


class CaseSeeds:
    def __init__(self):
        self.dry = False
        self.keys = []
        self.i = 0
        self.seen = {}

    def _next_key(self, name):
        n = self.seen.get(name, 0)
        self.seen[name] = n + 1
        return "%s #%d" % (name, n)

    def _seed(self):
        if self.i < len(self.keys):
            s = zlib.crc32(self.keys[self.i].encode())
            torch.manual_seed(s)
            random.seed(s)

    def done(self, name):
        """Case `name` drew all its values: seed the next case."""
        key = self._next_key(name)
        if self.dry:
            self.keys.append(key)
            return
        assert self.keys[self.i] == key, "dry and real runs disagree at %s (%s)" % (key, self.keys[self.i])
        self.i += 1
        self._seed()

    def run(self, gen):
        self.dry, self.keys, self.seen = True, [], {}
        gen()
        self.dry, self.seen, self.i = False, {}, 0
        self._seed()
        gen()
        assert self.i == len(self.keys)
