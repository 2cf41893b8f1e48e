#!/usr/bin/python3
"""checkpoint_torch.py — shows that nabla checkpoints and PyTorch models interoperate through the
safetensors format, in both directions, with identical predictions. The safetensors pip package is
not needed: files are parsed and written with struct/json/numpy below (the format is an 8-byte
little-endian header length, a JSON header, then raw little-endian data).

  /usr/bin/python3 tools/checkpoint_torch.py --build BUILDDIR [--fmnist FILE.safetensors] [--golden]

 1. nabla -> torch: BUILDDIR/tests/test_checkpoint_interop save DIR writes a 4-8-3 MLP under
    torch.nn.Sequential's names and its logits on 6 inputs; torch loads the file into
    Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) with strict=True and compares logits.
 2. torch -> nabla: torch writes its own (seeded) Sequential and logits; the C program loads them
    (nb_load_safetensors, strict) and compares its own logits (check DIR).
 3. --fmnist FILE: a checkpoint from `fashion_mnist --save FILE` (e.g. 784-256-10) is loaded into the
    equivalent torch Sequential and evaluated on the Fashion-MNIST test set in torch.
 --golden: also (re)write tests/data/torch_mlp.safetensors and torch_io.safetensors, which the C test
    test_checkpoint_interop reads without Python.
"""
import argparse, json, os, struct, subprocess, sys, tempfile, gzip
import numpy as np
import torch

DT = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}
ND = {np.dtype(v): k for k, v in DT.items()}

def read_safetensors(path):
    b = open(path, 'rb').read()
    (hl,) = struct.unpack('<Q', b[:8])
    header = json.loads(b[8:8 + hl].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    data = b[8 + hl:]
    out = {}
    for name, e in header.items():
        lo, hi = e['data_offsets']
        out[name] = np.frombuffer(data[lo:hi], dtype=np.dtype(DT[e['dtype']]).newbyteorder('<')).reshape(e['shape']).copy()
    return out, meta

def write_safetensors(path, tensors, meta=None):
    header, blobs, off = {'__metadata__': meta or {'format': 'pt'}}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a).reshape(np.shape(a))  # ascontiguousarray makes 0-d arrays 1-d
        raw = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': ND[a.dtype], 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for r in blobs: f.write(r)

def sequential(arch):
    layers = []
    for i in range(len(arch) - 1):
        layers.append(torch.nn.Linear(arch[i], arch[i + 1]))
        if i < len(arch) - 2: layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)

def load_into(model, tensors):
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True, help='nabla build dir (holds tests/test_checkpoint_interop)')
    ap.add_argument('--fmnist', help='a checkpoint written by examples/fashion_mnist --save')
    ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist/')
    ap.add_argument('--golden', action='store_true', help='rewrite tests/data/torch_*.safetensors')
    a = ap.parse_args()
    exe = os.path.join(a.build, 'tests', 'test_checkpoint_interop')
    ok = True
    with tempfile.TemporaryDirectory() as d:
        # 1. nabla -> torch
        subprocess.run([exe, 'save', d], check=True)
        params, meta = read_safetensors(os.path.join(d, 'nabla_mlp.safetensors'))
        io, _ = read_safetensors(os.path.join(d, 'nabla_io.safetensors'))
        model = sequential([4, 8, 3])
        load_into(model, params)
        with torch.no_grad(): y = model(torch.from_numpy(io['x'])).numpy()
        diff = float(np.abs(y - io['logits']).max())
        same = (y.argmax(1) == io['logits'].argmax(1)).all()
        print(f'torch loaded nabla\'s checkpoint (metadata {meta}) into {model}'.replace('\n', ' '))
        print(f'nabla -> torch: logits on {len(y)} inputs max |torch - nabla| = {diff:.3g}, argmax equal: {bool(same)}')
        ok &= diff <= 1e-5 and bool(same)
        # 2. torch -> nabla
        torch.manual_seed(1234)
        tm = sequential([4, 8, 3])
        x = torch.randn(6, 4)
        with torch.no_grad(): ty = tm(x)
        outs = [d] + ([os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data')] if a.golden else [])
        for o in outs:
            write_safetensors(os.path.join(o, 'torch_mlp.safetensors'), {k: v.numpy() for k, v in tm.state_dict().items()})
            write_safetensors(os.path.join(o, 'torch_io.safetensors'),
                              {'x': x.numpy(), 'logits': ty.numpy(), 'argmax': ty.argmax(1).numpy()})
        r = subprocess.run([exe, 'check', d], capture_output=True, text=True)
        print('torch -> nabla: ' + r.stdout.strip().replace('\n', ' | '))
        if r.returncode: print(r.stderr, file=sys.stderr)
        ok &= r.returncode == 0
    # 3. a Fashion-MNIST model trained by nabla, evaluated by torch
    if a.fmnist:
        params, meta = read_safetensors(a.fmnist)
        ws = [k for k in params if k.endswith('.weight')]
        ws.sort(key=lambda k: int(k.split('.')[0]))
        arch = [params[ws[0]].shape[1]] + [params[k].shape[0] for k in ws]
        model = sequential(arch)
        load_into(model, params)
        def idx(p, off): return np.frombuffer(gzip.open(os.path.join(a.data, p)).read(), np.uint8, offset=off)
        X = torch.from_numpy(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 784).astype(np.float32) / 255)
        Y = torch.from_numpy(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
        with torch.no_grad(): acc = (model(X).argmax(1) == Y).float().mean().item()
        print(f'torch evaluated nabla\'s Fashion-MNIST checkpoint {a.fmnist} (arch {"-".join(map(str, arch))}): test_acc {acc:.4f}')
    print('OK' if ok else 'MISMATCH')
    return 0 if ok else 1

if __name__ == '__main__':
    sys.exit(main())
