"""golden_fmt.py — how the golden generators write values and tensors as text lines the C tests
parse: `fmt(v)` for one float (repr, nan, inf, -inf) and `tens(t)` as `dtype ndim shape... values...`."""
import torch

DTN = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64", torch.bool: "f32"}


def fmt(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def tens(t):
    t = t.detach()
    if t._is_zerotensor():  # torch's lazy zeros (e.g. the double backward of sign)
        t = torch.zeros(t.shape, dtype=t.dtype)
    dt = DTN[t.dtype]
    if t.dtype == torch.bool:
        t = t.float()
    vals = t.reshape(-1).tolist()
    shape = list(t.shape)
    return " ".join([dt, str(len(shape))] + [str(s) for s in shape] + [str(v) if dt == "i64" else fmt(float(v)) for v in vals])
