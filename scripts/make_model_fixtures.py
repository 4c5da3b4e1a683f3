#!/usr/bin/python3
"""Reference forward and backward passes of pspseg's networks, computed with PyTorch (Debian's python3-torch).

Run with /usr/bin/python3 scripts/make_model_fixtures.py. The networks are written here from their
definitions, independently of the TypeScript code: PSP-Seg from docs/method.md section 1 (upsampling
done as written: nearest x2 first, then the 1x1x1 conv) and nnU-Net's PlainConvUNet from its published
structure, with the parameter names pspseg uses. For each tiny network it writes, under test/fixtures/:
  models_<name>.architecture.json   the architecture (pspseg's format), PRM block states included
  models_<name>.safetensors         random weights (they load into pspseg's network by name, strictly)
  models_<name>_expected.safetensors the input, every network output, the loss weights and the gradient
                                      of loss = sum_i sum(logits_i * w_i) + sum(region * w_region)
                                      for every parameter that gets one ("grad.<name>"; masked blocks get none)
"""
import json, os, struct
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
torch.manual_seed(0)
SLOPE = 0.01


def conv(ci, co, k, stride=1):
    k = (k, k, k) if isinstance(k, int) else tuple(k)
    return nn.Conv3d(ci, co, k, stride=stride, padding=tuple(x // 2 for x in k), bias=True)


def norm(c, affine):
    return nn.InstanceNorm3d(c, eps=1e-5, affine=affine)


# ---- PSP-Seg (method.md section 1) --------------------------------------------------------------
class ConvBlock(nn.Module):
    def __init__(self, c, affine):
        super().__init__()
        self.conv, self.norm = conv(c, c, 3), norm(c, affine)

    def forward(self, x):
        return x + F.leaky_relu(self.norm(self.conv(x)), SLOPE)


class EB(nn.Module):
    def __init__(self, c, k, r, affine):
        super().__init__()
        h = int(c * r)
        self.reduce, self.norm1 = conv(c, h, 1), norm(h, affine)
        self.conv, self.norm2 = conv(h, c, k), norm(c, affine)
        self.scale = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.norm2(self.conv(F.leaky_relu(self.norm1(self.reduce(x)), SLOPE)))


class PRM(nn.Module):
    def __init__(self, c, kernels, r, affine, states):
        super().__init__()
        self.states = states
        for j, k in enumerate(kernels):
            if states[j] != 'deleted':
                setattr(self, f'b{j}', EB(c, k, r, affine))

    def forward(self, x):
        active = [getattr(self, f'b{j}') for j, s in enumerate(self.states) if s == 'active']
        if not active:
            return x
        y = x
        for b in active:
            y = y + b.scale * b(x)
        return F.leaky_relu(y, SLOPE)


class Down(nn.Module):
    def __init__(self, ci, co, affine):
        super().__init__()
        self.skip = nn.Conv3d(ci, co, 1, stride=2, bias=True)
        self.conv1, self.norm1 = conv(ci, co, 3, stride=2), norm(co, affine)
        self.conv2, self.norm2 = conv(co, co, 3), norm(co, affine)

    def forward(self, x):
        return F.leaky_relu(self.skip(x) + self.norm2(self.conv2(F.leaky_relu(self.norm1(self.conv1(x)), SLOPE))), SLOPE)


class Up(nn.Module):
    def __init__(self, ci, co):
        super().__init__()
        self.conv = conv(ci, co, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class PSPSeg(nn.Module):
    def __init__(self, a):
        super().__init__()
        C, S, aff = a['channels'], len(a['channels']), a['normAffine']
        states = lambda n: a['blocks'].get(n, ['active'] * len(a['kernels']))
        self.S, self.ds = S, a['deepSupervision']
        self.stem = conv(a['inChannels'], C[0], 1)
        self.enc0 = ConvBlock(C[0], aff)
        for i in range(1, S):
            setattr(self, f'down{i}', Down(C[i - 1], C[i], aff))
            setattr(self, f'enc{i}', PRM(C[i], a['kernels'], a['ratio'], aff, states(f'enc{i}')))
        for i in range(S - 1, 0, -1):
            setattr(self, f'up{i}', Up(C[i], C[i - 1]))
            if i - 1 >= 1:
                setattr(self, f'dec{i - 1}', PRM(C[i - 1], a['kernels'], a['ratio'], aff, states(f'dec{i - 1}')))
        self.dec0 = ConvBlock(C[0], aff)
        self.head = conv(C[0], a['classes'], 1)
        if self.ds:
            for i in range(1, S - 1):
                setattr(self, f'head{i}', conv(C[i], a['classes'], 1))

    def forward(self, x):
        f = [self.enc0(self.stem(x))]
        for i in range(1, self.S):
            f.append(getattr(self, f'enc{i}')(getattr(self, f'down{i}')(f[-1])))
        y, deep, region = f[-1], {}, None
        for i in range(self.S - 1, 0, -1):
            y = getattr(self, f'up{i}')(y) + f[i - 1]
            y = getattr(self, f'dec{i - 1}')(y)
            if i - 1 >= 1 and self.ds:
                deep[i - 1] = getattr(self, f'head{i - 1}')(y)
            if i - 1 == 1:
                region = y
        logits = [self.head(y)] + [deep[i] for i in sorted(deep)]
        return logits, f, region


# ---- nnU-Net's PlainConvUNet (two conv-IN-LReLU per stage, strided conv down, transposed conv up, concat skips) ----
class ConvNormAct(nn.Module):
    def __init__(self, ci, co, k, stride, affine):
        super().__init__()
        self.conv, self.norm = conv(ci, co, k, stride), norm(co, affine)

    def forward(self, x):
        return F.leaky_relu(self.norm(self.conv(x)), SLOPE)


class Stacked(nn.Module):
    def __init__(self, n, ci, co, k, stride, affine):
        super().__init__()
        self.convs = nn.Sequential(*[ConvNormAct(ci if j == 0 else co, co, k, stride if j == 0 else 1, affine) for j in range(n)])

    def forward(self, x):
        return self.convs(x)


class PlainEncoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        C, ch = a['channels'], a['inChannels']
        stages = []
        for s in range(len(C)):
            stages.append(nn.Sequential(Stacked(a['convsPerStage'], ch, C[s], a['kernels'][s], tuple(a['strides'][s]), a['normAffine'])))
            ch = C[s]
        self.stages = nn.Sequential(*stages)

    def forward(self, x):
        out = []
        for s in self.stages:
            x = s(x)
            out.append(x)
        return out


class PlainDecoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        C, n = a['channels'], len(a['channels'])
        st, tr, seg = [], [], []
        for s in range(1, n):
            below, skip, stride = C[-s], C[-(s + 1)], tuple(a['strides'][-s])
            tr.append(nn.ConvTranspose3d(below, skip, stride, stride, bias=True))
            st.append(Stacked(a['convsPerStage'], 2 * skip, skip, a['kernels'][-(s + 1)], 1, a['normAffine']))
            seg.append(nn.Conv3d(skip, a['classes'], 1, bias=True))
        self.stages, self.transpconvs, self.seg_layers = nn.ModuleList(st), nn.ModuleList(tr), nn.ModuleList(seg)

    def forward(self, skips):
        low, out, region = skips[-1], [], None
        for s in range(len(self.stages)):
            x = self.stages[s](torch.cat((self.transpconvs[s](low), skips[-(s + 2)]), 1))
            out.append(self.seg_layers[s](x))
            if s == len(self.stages) - 2:
                region = x
            low = x
        return out[::-1], region


class PlainUNet(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.encoder, self.decoder = PlainEncoder(a), PlainDecoder(a)

    def forward(self, x):
        skips = self.encoder(x)
        logits, region = self.decoder(skips)
        return logits, skips, region


# ---- writing ----------------------------------------------------------------------------------------
def write_safetensors(path, tensors):
    header, blobs, off = {'__metadata__': {'written_by': 'make_model_fixtures.py'}}, [], 0
    for k in sorted(tensors):
        raw = tensors[k].detach().contiguous().float().numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(tensors[k].shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hj = json.dumps(header).encode()
    hj += b' ' * ((8 - len(hj) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def fixture(name, arch, model, x):
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith('scale'):
                p.copy_(0.5 * torch.randn(p.shape))
            elif '.norm' in pname and pname.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape))
            else:
                p.copy_(torch.randn(p.shape) * (2.0 / p[0].numel()) ** 0.5)
    logits, feats, region = model(x)
    expected = {'input': x}
    loss = 0
    for i, l in enumerate(logits):
        w = torch.randn(l.shape)
        expected[f'logits.{i}'], expected[f'w.logits.{i}'] = l, w
        loss = loss + (l * w).sum()
    for i, f in enumerate(feats):
        expected[f'features.{i}'] = f
    if region is not None:
        w = torch.randn(region.shape)
        expected['region'], expected['w.region'] = region, w
        loss = loss + (region * w).sum()
    loss.backward()
    for pname, p in model.named_parameters():
        if p.grad is not None:  # masked blocks get none
            expected[f'grad.{pname}'] = p.grad
    with open(os.path.join(OUT, f'models_{name}.architecture.json'), 'w') as f:
        json.dump(arch, f, indent=2)
    write_safetensors(os.path.join(OUT, f'models_{name}.safetensors'), dict(model.named_parameters()))
    write_safetensors(os.path.join(OUT, f'models_{name}_expected.safetensors'), expected)
    print(f'{name}: {sum(p.numel() for p in model.parameters())} parameters, logits {[list(l.shape) for l in logits]}')


psp = {
    'format': 'pspseg-architecture', 'version': 1, 'kind': 'psp', 'variant': None, 'inChannels': 2, 'classes': 3,
    'channels': [4, 8, 16], 'kernels': [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]], 'ratio': 0.5,
    'deepSupervision': True, 'normAffine': True,
    'blocks': {'enc1': ['active', 'active', 'masked', 'active'], 'enc2': ['active'] * 4, 'dec1': ['active', 'active', 'active', 'deleted']},
}
fixture('psp_tiny', psp, PSPSeg(psp), torch.randn(2, 2, 4, 8, 12))

plain = {
    'format': 'pspseg-architecture', 'version': 1, 'kind': 'plain', 'inChannels': 1, 'classes': 2,
    'channels': [4, 8, 16], 'kernels': [[1, 3, 3], [3, 3, 3], [3, 3, 3]], 'strides': [[1, 1, 1], [1, 2, 2], [2, 2, 2]],
    'convsPerStage': 2, 'deepSupervision': True, 'normAffine': True,
}
fixture('plain_tiny', plain, PlainUNet(plain), torch.randn(2, 1, 4, 8, 12))
