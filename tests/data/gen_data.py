#!/usr/bin/python3
# gen_data.py — writes the small real and malformed data files the data tests read (IDX plain and
# gzip, CSV) and the PyTorch golden values for standardization. Run from anywhere with
# /usr/bin/python3 (torch 1.13); the outputs are committed, the C tests never run Python.
import gzip, os, struct
import torch

D = os.path.dirname(os.path.abspath(__file__))
def w(name, data, mode='wb'):
    with open(os.path.join(D, name), mode) as f: f.write(data)
def gz(data):  # deterministic gzip (mtime 0)
    return gzip.compress(data, compresslevel=9, mtime=0)

# -- IDX: 3 images of 2x3 bytes and their 3 labels, as MNIST stores them
imgs = bytes((i * 15) % 256 for i in range(18))
idx3 = struct.pack('>BBBBIII', 0, 0, 8, 3, 3, 2, 3) + imgs
idx1 = struct.pack('>BBBBI', 0, 0, 8, 1, 3) + bytes([7, 0, 9])
w('tiny-images-idx3-ubyte', idx3); w('tiny-images-idx3-ubyte.gz', gz(idx3))
w('tiny-labels-idx1-ubyte', idx1); w('tiny-labels-idx1-ubyte.gz', gz(idx1))
# other element types: float32 (2, 2), int16 (3), float64 (2)
w('tiny-f32-idx2', struct.pack('>BBBBII', 0, 0, 0x0D, 2, 2, 2) + struct.pack('>4f', 1.5, -2.0, 0.25, 1e6))
w('tiny-i16-idx1', struct.pack('>BBBBI', 0, 0, 0x0B, 1, 3) + struct.pack('>3h', -300, 0, 32767))
w('tiny-f64-idx1', struct.pack('>BBBBI', 0, 0, 0x0E, 1, 2) + struct.pack('>2d', 3.141592653589793, -1e-300))
# malformed
w('bad-magic.idx', b'PK\x03\x04' + idx3[4:])                      # a zip, not IDX
w('bad-type.idx', bytes([0, 0, 0x0F, 3]) + idx3[4:])              # unknown element type
w('bad-ndim0.idx', bytes([0, 0, 8, 0]) + imgs)                    # zero dims
w('truncated-header.idx', idx3[:10])                              # cut inside the dims
w('truncated-data.idx', idx3[:-5])                                # 5 bytes of data missing
w('extra-data.idx', idx3 + b'\x01\x02')                           # wrong counts: more data than declared
w('wrong-count-labels.idx', struct.pack('>BBBBI', 0, 0, 8, 1, 5) + bytes([7, 0, 9]))
w('huge-dims.idx', struct.pack('>BBBBIII', 0, 0, 8, 3, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + imgs)
w('huge-4g.idx', struct.pack('>BBBBII', 0, 0, 8, 2, 1 << 20, 1 << 12) + imgs)   # 4 GiB declared, 18 bytes
w('huge-4g.idx.gz', gz(struct.pack('>BBBBII', 0, 0, 8, 2, 1 << 20, 1 << 12) + bytes(3 << 20)))
w('too-many-dims.idx', bytes([0, 0, 8, 9]) + struct.pack('>9I', *([1] * 9)) + b'\x05')
g = gz(idx3)
w('truncated.idx.gz', g[:len(g) // 2])
c = bytearray(g); c[len(c) - 6] ^= 0xFF                                      # CRC/size trailer damaged
w('corrupt-crc.idx.gz', bytes(c))
c = bytearray(g); c[12] ^= 0x55; c[14] ^= 0xAA                              # deflate stream damaged
w('corrupt-deflate.idx.gz', bytes(c))
w('empty.idx', b'')

# -- CSV
w('good.csv', 'a,b,c\n1,2,3\n4.5, -6 ,7e-1\n\n"8",9,10\n', 'w')
w('good-semicolon.csv', '1;2\r\n3;4\r\n', 'w')
w('ragged.csv', '1,2,3\n4,5,6\n7,8\n', 'w')
w('nonnumeric.csv', '1,2,3\n4,five,6\n', 'w')
w('empty-field.csv', '1,2,3\n4,,6\n', 'w')
w('header-only.csv', 'x,y\n', 'w')
w('labels.csv', '0,1\n2,3\n', 'w')
w('bom.csv', b'\xef\xbb\xbfx,y\n1,2\n')                       # Excel's UTF-8 byte order mark

# -- standardization golden values: torch mean and std (correction 0 and 1) per column
torch.manual_seed(3)
x = (torch.randn(7, 3, dtype=torch.float64) * torch.tensor([1.0, 100.0, 0.01]) + torch.tensor([5.0, -20.0, 0.3]))
t = torch.randn(4, 3, dtype=torch.float64) * torch.tensor([1.0, 100.0, 0.01])
with open(os.path.join(D, 'standardize_golden.txt'), 'w') as f:
    f.write('# x (7, 3) train, t (4, 3) test; mean, std (correction 0), std (correction 1), (t - mean) / std0\n')
    for name, v in [('x', x), ('t', t), ('mean', x.mean(0)), ('std0', x.std(0, unbiased=False)),
                    ('std1', x.std(0, unbiased=True)), ('tz', (t - x.mean(0)) / x.std(0, unbiased=False))]:
        f.write(name + ' ' + ' '.join(repr(float(a)) for a in v.flatten()) + '\n')
