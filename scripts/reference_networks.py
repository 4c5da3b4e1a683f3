"""PyTorch reference networks written from their definitions, independently of pspseg's TypeScript code:
PSP-Seg from docs/method.md section 1 (upsampling as written: nearest x2 first, then the 1x1x1 conv; PRM
as `x + sum of w_j * EB_j(x)`) and nnU-Net's PlainConvUNet from its published structure, with the parameter
names pspseg uses. Both take pspseg's architecture dictionaries. Used by make_model_fixtures.py and bench/.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

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
