#!/usr/bin/python3
"""gen_golden_conv_modules.py — torch 1.13's side of tests/test_conv_modules.c. Run by hand:

  /usr/bin/python3 tools/gen_golden_conv_modules.py

writes tests/golden/conv_modules.txt, one line per case:
  print <key> <repr>   print(module) of the module the C test builds for <key> (newlines as \\n)
  case <key> <dtype> x T w T b T|none gy T y T dx T dw T db T|none
                       the module (weights w, b: torch's init of the case's seed) on input x:
                       y = module(x), and the gradients of sum(y * gy)
  error <key> x T      torch raises on module(x) (the message starts the line's comment in the file)
  ctor_error <key>     torch raises when the module is built
T is tools/golden_fmt.py's tensor text. The key names a constructor in tests/test_conv_modules.c;
each case is seeded from its name (tools/golden_seed.py's rule: zlib.crc32 of the key)."""
import os
import zlib

from golden_fmt import tens

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "conv_modules.txt")
lines = []


def prints():
    mods = {
        "conv2d_mnist": nn.Conv2d(1, 32, 3, 1),
        "conv2d_full": nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=2, groups=2, bias=False),
        "conv2d_same": nn.Conv2d(4, 6, 3, padding="same"),
        "conv2d_valid": nn.Conv2d(4, 6, 3, padding="valid"),
        "conv2d_dil": nn.Conv2d(2, 2, 3, dilation=(1, 2)),
        "conv1d_plain": nn.Conv1d(2, 3, 5),
        "conv1d_full": nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
        "convt2d": nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1),
        "convt2d_full": nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                           groups=2, bias=False),
        "convt1d": nn.ConvTranspose1d(4, 6, 3),
        "convt1d_full": nn.ConvTranspose1d(2, 4, 3, stride=3, padding=1, output_padding=2, dilation=2),
        "pm_conv2d_reflect": nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, padding_mode="reflect"),
        "pm_conv1d_circular": nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False,
                                        padding_mode="circular"),
        "pm_conv2d_replicate_same": nn.Conv2d(2, 2, 3, padding="same", padding_mode="replicate"),
        "cnn": nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Dropout2d(0.25), nn.Flatten(), nn.Linear(5408, 10)),
    }
    for k, m in mods.items():
        lines.append("print %s %s" % (k, str(m).replace("\n", "\\n")))


# key: (constructor, input shape)
CASES = {
    "c2d_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 2, 5, 6)),
    "c2d_replicate": (lambda: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(2, 1), padding_mode="replicate"),
                      (1, 2, 6, 5)),
    "c2d_circular": (lambda: nn.Conv2d(3, 2, 3, padding=(1, 2), dilation=(1, 2), padding_mode="circular"),
                     (2, 3, 5, 7)),
    "c2d_reflect_same": (lambda: nn.Conv2d(2, 2, (3, 4), padding="same", padding_mode="reflect"), (1, 2, 5, 6)),
    "c2d_circular_groups": (lambda: nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False, padding_mode="circular"),
                            (1, 4, 4, 4)),
    "c2d_reflect_unbatched": (lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 5, 5)),
    "c2d_replicate_valid": (lambda: nn.Conv2d(1, 2, 2, padding="valid", padding_mode="replicate"), (1, 1, 3, 3)),
    "c2d_zeros": (lambda: nn.Conv2d(2, 3, 3, padding=1), (1, 2, 4, 5)),
    "c1d_reflect": (lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 2, 7)),
    "c1d_replicate": (lambda: nn.Conv1d(2, 3, 4, stride=2, padding=3, padding_mode="replicate"), (1, 2, 6)),
    "c1d_circular": (lambda: nn.Conv1d(3, 3, 3, padding=1, dilation=2, padding_mode="circular"), (2, 3, 6)),
    "c1d_circular_same": (lambda: nn.Conv1d(2, 2, 4, padding="same", padding_mode="circular"), (1, 2, 6)),
    "c1d_reflect_unbatched": (lambda: nn.Conv1d(2, 2, 3, padding=1, padding_mode="reflect"), (2, 5)),
}
ERRORS = {  # torch raises in forward
    "e2d_reflect_big": (lambda: nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect"), (1, 1, 3, 3)),
    "e1d_reflect_big": (lambda: nn.Conv1d(1, 1, 3, padding=4, padding_mode="reflect"), (1, 1, 4)),
    "e1d_circular_big": (lambda: nn.Conv1d(1, 1, 3, padding=5, padding_mode="circular"), (1, 1, 3)),
    "e2d_circular_unbatched": (lambda: nn.Conv2d(2, 3, 2, stride=2, padding=1, padding_mode="circular"), (2, 4, 5)),
    "e1d_circular_unbatched": (lambda: nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular"), (2, 5)),
    "e2d_circular_channels": (lambda: nn.Conv2d(2, 1, 3, padding=1, padding_mode="circular"), (1, 3, 4, 4)),
}
CTOR_ERRORS = {  # torch raises when building
    "k_convt2d_reflect": lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
    "k_convt1d_circular": lambda: nn.ConvTranspose1d(2, 2, 3, padding_mode="circular"),
}


def cases():
    for key, (ctor, shape) in CASES.items():
        for dt in (torch.float32, torch.float64):
            name = key + ("_f64" if dt == torch.float64 else "")
            torch.manual_seed(zlib.crc32(name.encode()))
            m = ctor().to(dt)
            x = torch.randn(shape, dtype=dt, requires_grad=True)
            y = m(x)
            gy = torch.randn(y.shape, dtype=dt)
            (y * gy).sum().backward()
            b = tens(m.bias) if m.bias is not None else "none"
            db = tens(m.bias.grad) if m.bias is not None else "none"
            lines.append("case %s %s x %s w %s b %s gy %s y %s dx %s dw %s db %s" % (
                key, "f64" if dt == torch.float64 else "f32", tens(x), tens(m.weight), b, tens(gy), tens(y),
                tens(x.grad), tens(m.weight.grad), db))
    for key, (ctor, shape) in ERRORS.items():
        torch.manual_seed(zlib.crc32(key.encode()))
        m = ctor()
        x = torch.randn(shape)
        try:
            m(x)
        except (RuntimeError, ValueError) as e:
            lines.append("# %s: torch raises: %s" % (key, str(e).splitlines()[0]))
            lines.append("error %s x %s" % (key, tens(x)))
            continue
        raise SystemExit("%s: torch did not raise" % key)
    for key, ctor in CTOR_ERRORS.items():
        try:
            ctor()
        except ValueError as e:
            lines.append("# %s: torch raises: %s" % (key, e))
            lines.append("ctor_error %s" % key)
            continue
        raise SystemExit("%s: torch did not raise" % key)


prints()
cases()
with open(OUT, "w") as f:
    f.write("# generated by tools/gen_golden_conv_modules.py with torch %s; do not edit\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote %d lines to %s" % (len(lines), OUT))
