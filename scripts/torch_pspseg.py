#!/usr/bin/python3
"""PyTorch reference of pspseg's networks and losses: PSP-Seg written from docs/method.md sections 1-2,
nnU-Net's PlainConvUNet from its published structure; independently of pspseg's TypeScript code.

The one PyTorch reference of the project: the loss and network fixtures (here), the model fixtures
(scripts/make_model_fixtures.py) and the model benchmark (bench/torch_model_step.py) all use it.
Networks are built from pspseg's architecture data (the JSON that `pspseg model` and checkpoints
carry, PRM block states included) and their parameter names are pspseg's, so weights saved by
pspseg load here strictly and the other way round.

Usage (/usr/bin/python3 scripts/torch_pspseg.py ...):
  --counts                 parameter counts of S, B, L (and the 1-branch ablation), checked against docs/method.md ("Variants and parameter counts")
  --loss-fixture           test/fixtures/losses_reference.{json,safetensors} (losses alone, float64 reference)
  --network-fixture        test/fixtures/network_reference.{json,safetensors} (PSP-Seg S, batch 2, 32^3, float64)
  --save-weights PATH      deterministic weights of --variant as safetensors (the fixture's rule; for benchmarks)
  --affine                 InstanceNorm with weight and bias (default: without, as the authors' code; see below)

InstanceNorm: the spec the project was built from says affine; the exact counts it quotes (S 5,368,735; B 13,194,484; L 33,126,658)
are those of the authors' code, whose nn.InstanceNorm3d has no affine parameters (with affine norms the
counts are 10,432 / 31,552 / 57,024 higher). pspseg's architecture setting `normAffine` chooses; its
default, and the default here, is the authors' (no `*.norm*` parameters). `--counts` prints both.
"""
import argparse, json, math, os, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')

# ---------------------------------------------------------------------------------------------
# architectures (pspseg's format: src/models/architecture.ts)
# ---------------------------------------------------------------------------------------------
KERNELS = {
    1: [(1, 1, 1)],
    4: [(1, 1, 1), (1, 3, 3), (3, 1, 3), (3, 3, 1)],
    7: [(1, 1, 1), (1, 1, 3), (1, 3, 1), (3, 1, 1), (1, 3, 3), (3, 1, 3), (3, 3, 1)],
}
VARIANTS = {
    'S': dict(channels=[16, 32, 64, 128, 256], branches=4, ratio=0.5),
    'B': dict(channels=[16, 32, 64, 128, 256], branches=7, ratio=2.0),
    'L': dict(channels=[16, 32, 64, 128, 256, 320], branches=7, ratio=2.0),
}
# docs/method.md, "Variants and parameter counts": exact counts of the authors' network, 1 input channel, 3 classes, no deep-supervision heads
EXPECTED_COUNTS = {'S': 5_368_735, 'B': 13_194_484, 'L': 33_126_658}
SLOPE = 0.01
EPS = 1e-5


def psp_architecture(variant='S', in_channels=1, classes=3, deep_supervision=True, affine=False, branches=None):
    """A PSP-Seg variant as architecture data (pspArchitecture's fields), every PRM block active."""
    v = VARIANTS[variant]
    own = branches is None or branches == v['branches']
    return {'format': 'pspseg-architecture', 'version': 1, 'kind': 'psp', 'variant': variant if own else None,
            'inChannels': in_channels, 'classes': classes, 'channels': list(v['channels']),
            'kernels': [list(k) for k in KERNELS[branches or v['branches']]], 'ratio': v['ratio'],
            'deepSupervision': deep_supervision, 'normAffine': affine, 'blocks': {}}


def build_network(arch):
    """The network an architecture describes (PSPSegNet or PlainUNet)."""
    if arch['kind'] == 'psp':
        return PSPSegNet(arch)
    if arch['kind'] == 'plain':
        return PlainUNet(arch)
    raise ValueError(f"unknown architecture kind {arch['kind']!r}")


def load_architecture(path):
    with open(path) as f:
        return json.load(f)


def lrelu(x):
    return F.leaky_relu(x, SLOPE)


def norm(c, affine):
    return nn.InstanceNorm3d(c, eps=EPS, affine=affine)


def conv(cin, cout, kernel, stride=1):
    """Conv3d with bias and same-size padding (kernel // 2 per axis)."""
    k = (kernel,) * 3 if isinstance(kernel, int) else tuple(kernel)
    return nn.Conv3d(cin, cout, k, stride=stride, padding=tuple(n // 2 for n in k))


# ---------------------------------------------------------------------------------------------
# PSP-Seg (docs/method.md, "Network")
# ---------------------------------------------------------------------------------------------
class ConvBlock(nn.Module):
    """Stage 0: x + LReLU(IN(conv3x3x3(x)))."""
    def __init__(self, c, affine):
        super().__init__()
        self.conv = conv(c, c, 3)
        self.norm = norm(c, affine)

    def forward(self, x):
        return x + lrelu(self.norm(self.conv(x)))


class EfficientBlock(nn.Module):
    """conv 1x1x1 Cin -> h, IN, LReLU, conv k (padding k//2) h -> Cout, IN; and its PRM weight `scale`."""
    def __init__(self, cin, cout, kernel, ratio, affine):
        super().__init__()
        h = int(math.floor(cin * ratio))
        self.reduce = conv(cin, h, 1)
        self.norm1 = norm(h, affine)
        self.conv = conv(h, cout, kernel)
        self.norm2 = norm(cout, affine)
        self.scale = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.norm2(self.conv(lrelu(self.norm1(self.reduce(x)))))


class PRM(nn.Module):
    """LReLU(x + sum over active blocks of scale_j * EB_j(x)); x itself when no block is active.
    Blocks are children b{j}, j = index in the kernel list; `states[j]` is 'active', 'masked' (kept,
    skipped) or 'deleted' (not built), so pruned networks keep their parameter names."""
    def __init__(self, c, kernels, ratio, affine, states=None):
        super().__init__()
        self.states = list(states or ['active'] * len(kernels))
        for j, k in enumerate(kernels):
            if self.states[j] != 'deleted':
                self.add_module(f'b{j}', EfficientBlock(c, c, k, ratio, affine))

    def forward(self, x):
        active = [getattr(self, f'b{j}') for j, s in enumerate(self.states) if s == 'active']
        if not active:
            return x
        y = x
        for b in active:
            y = y + b.scale * b(x)
        return lrelu(y)


class DownSample(nn.Module):
    """LReLU(conv1x1x1 stride 2 (x) + IN(conv3(LReLU(IN(conv3 stride 2 (x))))))."""
    def __init__(self, cin, cout, affine):
        super().__init__()
        self.skip = conv(cin, cout, 1, stride=2)
        self.conv1 = conv(cin, cout, 3, stride=2)
        self.norm1 = norm(cout, affine)
        self.conv2 = conv(cout, cout, 3)
        self.norm2 = norm(cout, affine)

    def forward(self, x):
        return lrelu(self.skip(x) + self.norm2(self.conv2(lrelu(self.norm1(self.conv1(x))))))


class UpSample(nn.Module):
    """Nearest x2, then conv 1x1x1 (the order of docs/method.md, "UpSample", and the authors' code)."""
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = conv(cin, cout, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class PSPSegNet(nn.Module):
    """Modules registered in execution order (stem, enc0, down/enc pairs, then up{i}, dec{i-1} from the
    bottleneck up, head, deep-supervision heads): the parameter order of pspseg's network."""
    def __init__(self, arch):
        super().__init__()
        C, kernels, ratio, affine = arch['channels'], arch['kernels'], arch['ratio'], arch['normAffine']
        blocks = arch.get('blocks', {})
        prm = lambda name, c: PRM(c, kernels, ratio, affine, blocks.get(name))
        self.stages = S = len(C)
        self.deep_supervision = arch['deepSupervision']
        self.stem = conv(arch['inChannels'], C[0], 1)
        self.enc0 = ConvBlock(C[0], affine)
        for i in range(1, S):
            self.add_module(f'down{i}', DownSample(C[i - 1], C[i], affine))
            self.add_module(f'enc{i}', prm(f'enc{i}', C[i]))
        for i in range(S - 1, 0, -1):
            self.add_module(f'up{i}', UpSample(C[i], C[i - 1]))
            if i - 1 >= 1:
                self.add_module(f'dec{i - 1}', prm(f'dec{i - 1}', C[i - 1]))
        self.dec0 = ConvBlock(C[0], affine)
        self.head = conv(C[0], arch['classes'], 1)
        if self.deep_supervision:
            for i in range(1, S - 1):
                self.add_module(f'head{i}', conv(C[i], arch['classes'], 1))

    def encode(self, x):
        """Encoder outputs: enc0, enc1 .. enc{S-2} (skips) and the bottleneck enc{S-1}."""
        feats = [self.enc0(self.stem(x))]
        for i in range(1, self.stages):
            feats.append(getattr(self, f'enc{i}')(getattr(self, f'down{i}')(feats[-1])))
        return feats

    def forward(self, x):
        feats = self.encode(x)
        S = self.stages
        y = feats[-1]
        decoder = {}  # stage -> decoder output
        for i in range(S - 1, 0, -1):
            y = getattr(self, f'up{i}')(y) + feats[i - 1]
            y = getattr(self, f'dec{i - 1}')(y)
            decoder[i - 1] = y
        logits = [self.head(decoder[0])]
        if self.deep_supervision:
            logits += [getattr(self, f'head{i}')(decoder[i]) for i in range(1, S - 1)]
        return {
            'logits': logits,
            'encoderFeatures': feats,
            'regionFeatures': decoder[1],
            # outputs of dec0 .. dec{S-2} (aligned with the logits): the paper's RL variant
            'decoderFeatures': [decoder[i] for i in range(0, S - 1)],
        }


# ---------------------------------------------------------------------------------------------
# nnU-Net's PlainConvUNet: per stage n conv-IN-LReLU (the first strided), transposed-conv
# upsampling, concatenated skips, a 1x1x1 segmentation layer per decoder stage. Parameter names are
# nnU-Net's (encoder.stages.{s}.0.convs.{j}, decoder.stages/transpconvs/seg_layers.{k}), as pspseg's.
# ---------------------------------------------------------------------------------------------
class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, kernel, stride, affine):
        super().__init__()
        self.conv, self.norm = conv(cin, cout, kernel, stride), norm(cout, affine)

    def forward(self, x):
        return lrelu(self.norm(self.conv(x)))


class StackedConvBlocks(nn.Module):
    def __init__(self, n, cin, cout, kernel, stride, affine):
        super().__init__()
        self.convs = nn.Sequential(*[ConvNormAct(cin if j == 0 else cout, cout, kernel, stride if j == 0 else 1, affine) for j in range(n)])

    def forward(self, x):
        return self.convs(x)


class PlainEncoder(nn.Module):
    def __init__(self, a):
        super().__init__()
        C, cin = a['channels'], a['inChannels']
        stages = []
        for s, c in enumerate(C):
            stages.append(nn.Sequential(StackedConvBlocks(a['convsPerStage'], cin, c, a['kernels'][s], tuple(a['strides'][s]), a['normAffine'])))
            cin = c
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
        C = a['channels']
        st, tr, seg = [], [], []
        for s in range(1, len(C)):
            below, skip, stride = C[-s], C[-(s + 1)], tuple(a['strides'][-s])
            tr.append(nn.ConvTranspose3d(below, skip, stride, stride))
            st.append(StackedConvBlocks(a['convsPerStage'], 2 * skip, skip, a['kernels'][-(s + 1)], 1, a['normAffine']))
            seg.append(nn.Conv3d(skip, a['classes'], 1))
        self.stages, self.transpconvs, self.seg_layers = nn.ModuleList(st), nn.ModuleList(tr), nn.ModuleList(seg)

    def forward(self, skips, deep_supervision):
        """Logits full resolution first (only that one without deep supervision); `region`: the output
        of the stage before the last (1/2 resolution), PSP-Seg's dec1 counterpart."""
        low, out, region, n = skips[-1], [], None, len(self.stages)
        for k in range(n):
            x = self.stages[k](torch.cat((self.transpconvs[k](low), skips[-(k + 2)]), 1))
            if deep_supervision or k == n - 1:
                out.append(self.seg_layers[k](x))
            if k == n - 2:
                region = x
            low = x
        return out[::-1], region


class PlainUNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.deep_supervision = arch['deepSupervision']
        self.encoder, self.decoder = PlainEncoder(arch), PlainDecoder(arch)

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        skips = self.encoder(x)
        logits, region = self.decoder(skips, self.deep_supervision)
        return {'logits': logits, 'encoderFeatures': skips, 'regionFeatures': region}


# ---------------------------------------------------------------------------------------------
# losses (docs/method.md, "Losses"; nnU-Net v2 DC_and_CE_loss + MemoryEfficientSoftDiceLoss semantics)
# ---------------------------------------------------------------------------------------------
IGNORE = -1


def ds_weights(n):
    """1/2^i from full resolution down, the lowest 0, normalised (a single output weighs 1)."""
    w = [1 / 2 ** i for i in range(n)]
    if n > 1:
        w[-1] = 0.0
    s = sum(w)
    return [x / s for x in w]


def ds_targets(label, levels):
    """nnU-Net's DownsampleSegForDSTransform: nearest-exact to round(size / 2^i)."""
    out = [label]
    spatial = label.shape[2:]
    for i in range(1, levels):
        size = [max(1, round(n / 2 ** i)) for n in spatial]
        out.append(F.interpolate(label.double(), size=size, mode='nearest-exact').long())
    return out


def dice_ce(logits, target, batch_dice, smooth=1e-5):
    """Soft Dice (softmax, background excluded, ignore voxels masked) and cross-entropy (ignore -1;
    0 when every voxel is ignored), as nnU-Net computes them, written plainly with a one-hot scatter."""
    valid = target != IGNORE
    mask = valid.to(logits.dtype)
    probs = torch.softmax(logits, 1)
    onehot = torch.zeros_like(probs).scatter_(1, torch.where(valid, target, 0), 1)
    probs, onehot = probs[:, 1:], onehot[:, 1:]
    axes = [0] + list(range(2, logits.dim())) if batch_dice else list(range(2, logits.dim()))
    intersect = (probs * onehot * mask).sum(axes)
    sum_pred = (probs * mask).sum(axes)
    sum_gt = (onehot * mask).sum(axes)
    dc = (2 * intersect + smooth) / torch.clip(sum_gt + sum_pred + smooth, 1e-8)
    dice = -dc.mean()
    # the mean over non-ignored voxels, 0 when there are none (nnU-Net skips CE then), without a device sync
    ce = F.cross_entropy(logits, target[:, 0], ignore_index=IGNORE, reduction='sum') / valid.sum().clamp_min(1)
    return dice, ce


def target_representation(feats, masked):
    return sum((1 - F.cosine_similarity(f, m.detach(), dim=1)).mean() for f, m in zip(feats, masked))


def bce_masked(region, target):
    """BCE with logits of the channel-mean map against (label > 0); ignore voxels left out of the mean."""
    logit = region.mean(1, keepdim=True)
    valid = (target != IGNORE).to(logit.dtype)
    fg = (target > 0).to(logit.dtype)
    per_voxel = F.binary_cross_entropy_with_logits(logit, fg, reduction='none')
    return (per_voxel * valid).sum() / torch.clip(valid.sum(), min=1)


def target_at(targets, spatial):
    for t in targets:
        if list(t.shape[2:]) == list(spatial):
            return t
    return F.interpolate(targets[0].double(), size=list(spatial), mode='nearest-exact').long()


def region_localisation(out, targets, variant):
    if variant == 'code':
        r = out['regionFeatures']
        return bce_masked(r, target_at(targets, r.shape[2:]))
    levels = out['decoderFeatures']
    return sum(bce_masked(d, target_at(targets, d.shape[2:])) for d in levels) / len(levels)


DEFAULT_CONFIG = dict(name='psp', lambdaTR=0.1, lambdaRL=0.1, rlVariant='code', batchDice=False, smooth=1e-5,
                      deepSupervisionWeights=None)


def pspseg_loss(out, masked_feats, targets, config, numbers=True):
    """(total tensor, terms as floats, per-level floats); numbers=False leaves the terms as tensors (no syncs)."""
    c = {**DEFAULT_CONFIG, **config}
    logits = out['logits']
    w = c['deepSupervisionWeights'] or ds_weights(len(logits))
    dice = ce = 0
    levels = []
    for i, (lg, t) in enumerate(zip(logits, targets)):
        if w[i] == 0:
            levels.append(None)
            continue
        d, e = dice_ce(lg, t, c['batchDice'], c['smooth'])
        levels.append({'dice': d.item(), 'ce': e.item()} if numbers else None)
        dice = dice + w[i] * d
        ce = ce + w[i] * e
    seg = dice + ce
    terms = {'seg': seg, 'dice': dice, 'ce': ce}
    tr = target_representation(out['encoderFeatures'], masked_feats) if masked_feats is not None else None
    rl = region_localisation(out, targets, c['rlVariant']) if out.get('regionFeatures') is not None else None
    if c['name'] == 'psp':
        total = seg + c['lambdaTR'] * tr + c['lambdaRL'] * rl
    else:
        total = seg
    terms.update(total=total, tr=tr, rl=rl)
    if not numbers:
        return total, terms, levels
    return total, {k: (None if v is None else float(v)) for k, v in terms.items()}, levels


def mask_input(image, label, fill):
    """Every voxel whose label is not foreground (background, ignore) takes the fill value (per channel)."""
    fill = torch.as_tensor(fill, dtype=image.dtype, device=image.device).reshape(1, -1, *([1] * (image.dim() - 2)))
    return torch.where(label > 0, image, fill)


# ---------------------------------------------------------------------------------------------
# safetensors (written by hand: Debian ships no safetensors package; layout per the public spec)
# ---------------------------------------------------------------------------------------------
ST_DTYPES = {torch.float64: 'F64', torch.float32: 'F32', torch.int64: 'I64', torch.int8: 'I8', torch.uint8: 'U8'}
ST_TORCH = {v: k for k, v in ST_DTYPES.items()}


def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    js = json.dumps(header, separators=(',', ':')).encode()
    js += b' ' * ((8 - len(js) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        dt = ST_TORCH[e['dtype']]
        np_dt = torch.empty(0, dtype=dt).numpy().dtype
        out[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype=np_dt).copy()).reshape(e['shape'])
    return out


def load_weights(path, model):
    state = load_safetensors(path)
    own = model.state_dict()
    missing, unexpected = set(own) - set(state), set(state) - set(own)
    if missing or unexpected:
        raise SystemExit(f'{path}: missing {sorted(missing)}, unexpected {sorted(unexpected)}')
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})


# ---------------------------------------------------------------------------------------------
# deterministic weights: an integer hash per (parameter name, element), reproducible in TypeScript
# ---------------------------------------------------------------------------------------------
M32 = 0xFFFFFFFF


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode():
        h = ((h ^ b) * 0x01000193) & M32
    return h


def fmix32(x):
    x = x.astype(np.uint64)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return x


def hash_uniform(name, n):
    """u_i in [-1, 1), multiples of 2^-23: fmix32((i * 0x9E3779B9 + fnv1a32(name)) mod 2^32) >> 8, scaled."""
    i = np.arange(n, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B9) + np.uint64(fnv1a32(name))) & np.uint64(M32)
    return (fmix32(x) >> np.uint64(8)).astype(np.float64) / 2 ** 23 - 1.0


def weight_rule(name, shape):
    """value = offset + amplitude * u: Kaiming-uniform-sized conv weights, small biases, norm weights near 1
    and non-zero PRM scales (a zero scale would hide the blocks' gradients)."""
    leaf = name.rsplit('.', 1)[-1]
    parent = name.rsplit('.', 2)[-2] if name.count('.') else ''
    if leaf == 'scale':
        return 0.0, 0.25
    if len(shape) == 5:  # conv weight: uniform with the Kaiming-normal std sqrt(2 / fan_in); heads 4x smaller (logits O(1))
        fan_in = int(np.prod(shape[1:]))
        return 0.0, math.sqrt(6.0 / fan_in) / (4 if name.startswith('head') else 1)
    if parent.startswith('norm') and leaf == 'weight':
        return 1.0, 0.2
    return 0.0, 0.1  # conv and norm biases


def deterministic_weights(model):
    rules, state = [], {}
    for name, p in model.state_dict().items():
        off, amp = weight_rule(name, list(p.shape))
        u = hash_uniform(name, p.numel())
        v = (off + amp * u).astype(np.float32).reshape(list(p.shape))
        state[name] = torch.from_numpy(v)
        rules.append({'name': name, 'shape': list(p.shape), 'offset': off, 'amplitude': amp, 'sum': float(v.astype(np.float64).sum())})
    return state, rules


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------
def rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def blob_label(gen, shape, classes):
    """Smooth random label maps (a few classes in blobs) from thresholded smoothed noise."""
    noise = torch.randn(shape, generator=gen, dtype=torch.float64)
    smooth = F.avg_pool3d(noise, 3, stride=1, padding=1, count_include_pad=False)
    label = torch.zeros(shape, dtype=torch.int64)
    for c in range(1, classes):
        label[smooth > 0.12 * c] = c
    return label


def make_loss_fixture():
    g = torch.Generator().manual_seed(1)
    B, K = 2, 3
    full = (16, 16, 8)
    levels = 4
    shapes = [tuple(max(1, round(n / 2 ** i)) for n in full) for i in range(levels)]
    label = blob_label(g, (B, 1, *full), K)
    label[0, :, :, :, 6:] = IGNORE          # padding slab in sample 0
    label[1][label[1] == 2] = 1             # class 2 absent from sample 1
    label[1, :, :3, :3, :] = IGNORE
    targets = ds_targets(label, levels)
    T = {}
    T['label'] = label.to(torch.int8)
    for i, t in enumerate(targets):
        T[f'target{i}'] = t.to(torch.int8)
    logits = [torch.randn((B, K, *s), generator=g, dtype=torch.float64) * 2 for s in shapes]
    enc_channels = [4, 8, 12, 16, 20]
    enc_shapes = [tuple(max(1, n >> i) for n in full) for i in range(5)]
    feats = [torch.randn((B, c, *s), generator=g, dtype=torch.float64) for c, s in zip(enc_channels, enc_shapes)]
    masked = [f + 0.8 * torch.randn(f.shape, generator=g, dtype=torch.float64) for f in feats]
    dec = [torch.randn((B, c, *s), generator=g, dtype=torch.float64) for c, s in zip(enc_channels[:4], shapes)]
    f32 = lambda xs: [x.float().double() for x in xs]  # the inputs as the float32 fixture stores them
    logits, feats, masked, dec = f32(logits), f32(feats), f32(masked), f32(dec)
    for i, x in enumerate(logits):
        T[f'logits{i}'] = x
    for i, (f, m) in enumerate(zip(feats, masked)):
        T[f'enc{i}'] = f
        T[f'masked{i}'] = m
    for i, d in enumerate(dec):
        T[f'dec{i}'] = d

    cases = {}

    def run(name, config, with_fd=True, dec_list=True):
        lg = [x.clone().requires_grad_(True) for x in logits]
        fs = [x.clone().requires_grad_(True) for x in feats]
        ds = [x.clone().requires_grad_(True) for x in dec]
        out = {'logits': lg, 'encoderFeatures': fs, 'regionFeatures': ds[1], 'decoderFeatures': ds}
        total, terms, per_level = pspseg_loss(out, masked if with_fd else None, targets, config)
        total.backward()
        cases[name] = {'config': config, 'terms': terms, 'levels': per_level}
        # gradients that exist (a tensor the total does not depend on has none: no entry)
        for kind, xs in [('logits', lg), ('enc', fs), ('dec', ds)]:
            for i, x in enumerate(xs):
                if x.grad is not None:
                    T[f'{name}.grad.{kind}{i}'] = x.grad

    run('fd_code', {'name': 'psp'})
    run('fd_paper_batchdice', {'name': 'psp', 'rlVariant': 'paper', 'batchDice': True, 'lambdaTR': 0.3, 'lambdaRL': 0.2})
    run('dcce', {'name': 'dice_ce'})
    run('custom_weights', {'name': 'dice_ce', 'deepSupervisionWeights': [0.5, 0.3, 0.2, 0.0]})

    # one output, no deep supervision; and a target whose voxels are all ignored
    single = logits[0][:, :, :, :, :].clone().requires_grad_(True)
    total, terms, _ = pspseg_loss({'logits': [single], 'encoderFeatures': [], 'regionFeatures': None}, None, [targets[0]], {'name': 'dice_ce'})
    total.backward()
    cases['single'] = {'config': {'name': 'dice_ce'}, 'terms': terms}
    T['single.grad.logits0'] = single.grad
    ign = logits[2].clone().requires_grad_(True)
    all_ignored = torch.full_like(targets[2], IGNORE)
    total, terms, _ = pspseg_loss({'logits': [ign], 'encoderFeatures': [], 'regionFeatures': None}, None, [all_ignored], {'name': 'dice_ce'})
    cases['all_ignored'] = {'config': {'name': 'dice_ce'}, 'terms': terms}

    # maskInput with one fill value per channel
    image = torch.randn((B, 2, *full), generator=g, dtype=torch.float64).float().double()
    T['image'] = image
    T['masked_image'] = mask_input(image, label, [-1.5, 0.25])
    T['masked_image_scalar'] = mask_input(image, label, -2.0)

    # foreground percentiles of normalised cases (numpy's linear percentile over all label > 0 voxels)
    pct_cases = []
    for k, shape in enumerate([(9, 11, 7), (5, 13, 6), (12, 4, 10)]):
        img = torch.randn((2, *shape), generator=g).to(torch.float32)
        img[1] = img[1] * 3 + 1
        img[0, 0, 0, 0] = float(k)  # ties
        lab = blob_label(g, (1, 1, *shape), 3)[0, 0].to(torch.int8)
        lab[:, :, 0] = -1
        lab[0, :, :] = -2
        T[f'pct.image{k}'] = img
        T[f'pct.label{k}'] = lab
        pct_cases.append(list(shape))
    fg = [np.concatenate([T[f'pct.image{k}'][c].numpy()[T[f'pct.label{k}'].numpy() > 0] for k in range(3)]) for c in range(2)]
    qs = [0.5, 50.0, 99.5, 0.0, 100.0]
    percentiles = {str(q): [float(np.percentile(fg[c].astype(np.float64), q)) for c in range(2)] for q in qs}

    meta = {
        'about': 'written by scripts/torch_pspseg.py --loss-fixture (float64 reference; tensors in losses_reference.safetensors)',
        'classes': K, 'levels': levels, 'dsWeights': ds_weights(levels), 'cases': cases,
        'maskFill': [-1.5, 0.25], 'maskFillScalar': -2.0,
        'percentile': {'cases': pct_cases, 'channels': 2, 'foregroundCount': int(fg[0].size), 'values': percentiles},
    }
    T = {k: (v.detach().to(torch.float32) if v.dtype == torch.float64 else v) for k, v in T.items()}
    save_safetensors(os.path.join(FIXTURES, 'losses_reference.safetensors'), T)
    with open(os.path.join(FIXTURES, 'losses_reference.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print('losses fixture:', {k: v['terms'] for k, v in cases.items()})


# parameters whose full gradients the network fixture keeps (the rest: one norm each)
# (no bias of a conv that an InstanceNorm follows: its gradient is 0 up to rounding)
GRAD_PARAMS = ['stem.weight', 'stem.bias', 'enc0.norm.weight', 'down1.skip.bias', 'enc1.b2.scale', 'enc1.b1.conv.weight',
               'enc4.b0.reduce.weight', 'up4.conv.bias', 'dec1.b3.norm2.bias', 'dec2.b1.scale', 'dec0.norm.bias',
               'head.weight', 'head1.weight', 'head2.bias', 'dec1.b3.conv.weight', 'enc0.conv.weight']


def grad_params(names):
    """GRAD_PARAMS that the network has (without affine InstanceNorm there are no *.norm* parameters)."""
    return [n for n in GRAD_PARAMS if n in names]


NETWORK_SEED = 7
GRAD_FLOOR = 0.01  # gradient comparisons: error relative to max(own norm, GRAD_FLOOR * global norm)


def network_case(seed):
    """Input, label (with an ignored slab) and fill value of the network fixture."""
    g = torch.Generator().manual_seed(seed)
    B, full = 2, (32, 32, 32)
    label = blob_label(g, (B, 1, *full), 3)
    label[1, :, 28:, :, :] = IGNORE
    image = (torch.randn((B, 1, *full), generator=g, dtype=torch.float64) * 0.5 + label.double() * 0.7).float()
    fill = float(np.float32(np.percentile(image.numpy()[label.numpy() > 0], 0.5)))
    return image, label, fill


def network_step(state, affine, image, label, fill, config, dtype):
    """Forward (with the masked encoder pass under no_grad), loss and backward of PSP-Seg S at `dtype`."""
    net = PSPSegNet(psp_architecture('S', 1, 3, deep_supervision=True, affine=affine))
    net.load_state_dict(state)
    net = net.to(dtype)
    x = image.to(dtype)
    targets = ds_targets(label, 4)
    with torch.no_grad():
        masked_feats = net.encode(mask_input(x, label, fill))
    out = net(x)
    total, terms, _ = pspseg_loss(out, masked_feats, targets, config)
    total.backward()
    grads = {n: (p.grad.detach().double() if p.grad is not None else torch.zeros_like(p, dtype=torch.float64))
             for n, p in net.named_parameters()}
    return {'logits': [l.detach().double() for l in out['logits']], 'terms': terms, 'grads': grads, 'targets': targets,
            'numParameters': sum(p.numel() for p in net.parameters())}


def compare_steps(a, ref):
    """How far step `a` lands from `ref`, with the measures the TypeScript test uses."""
    G = math.sqrt(sum(float(g.norm()) ** 2 for g in ref['grads'].values()))
    floor = GRAD_FLOOR * G
    return {
        'logits': max(rel_err(x, y) for x, y in zip(a['logits'], ref['logits'])),
        'terms': max(abs(a['terms'][k] - v) / abs(v) for k, v in ref['terms'].items()),
        'gradNorm': abs(math.sqrt(sum(float(g.norm()) ** 2 for g in a['grads'].values())) - G) / G,
        'paramGradNorms': max(abs(float(a['grads'][n].norm()) - float(g.norm())) / max(float(g.norm()), floor) for n, g in ref['grads'].items()),
        'paramGrads': max(float((a['grads'][n] - ref['grads'][n]).norm()) / max(float(ref['grads'][n].norm()), floor) for n in grad_params(ref['grads'])),
    }


def make_network_fixture(affine, seed=NETWORK_SEED):
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    state, rules = deterministic_weights(PSPSegNet(psp_architecture('S', 1, 3, deep_supervision=True, affine=affine)))
    image, label, fill = network_case(seed)
    config = {'name': 'psp'}
    ref = network_step(state, affine, image, label, fill, config, torch.float64)
    f32 = compare_steps(network_step(state, affine, image, label, fill, config, torch.float32), ref)
    norms = {n: float(g.norm()) for n, g in ref['grads'].items()}
    T = {'image': image, 'label': label.to(torch.int8)}
    for i, t in enumerate(ref['targets']):
        T[f'target{i}'] = t.to(torch.int8)
    for i, x in enumerate(ref['logits']):
        T[f'logits{i}'] = x.float()
    kept = grad_params(ref['grads'])
    for n in kept:
        T[f'grad.{n}'] = ref['grads'][n].float()
    meta = {
        'about': 'written by scripts/torch_pspseg.py --network-fixture: PSP-Seg S, float64 reference; weights from `weights` '
                 '(value = float32(offset + amplitude * u(name, i)), see hash_uniform); tensors in network_reference.safetensors',
        'variant': 'S', 'inChannels': 1, 'classes': 3, 'deepSupervision': True, 'affine': affine, 'seed': seed,
        'fillValue': fill, 'config': config, 'terms': ref['terms'], 'numParameters': ref['numParameters'],
        'gradNorm': math.sqrt(sum(v * v for v in norms.values())), 'gradFloor': GRAD_FLOOR, 'gradNorms': norms,
        'gradParams': kept,
        'float32PyTorchError': f32,
        'weights': rules,
    }
    save_safetensors(os.path.join(FIXTURES, 'network_reference.safetensors'), T)
    with open(os.path.join(FIXTURES, 'network_reference.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print('network fixture:', ref['terms'], 'grad norm', meta['gradNorm'])
    print('float32 PyTorch vs this float64 reference:', f32)


def counts():
    ok = True
    for v in ['S', 'B', 'L']:
        for affine in [False, True]:
            net = PSPSegNet(psp_architecture(v, 1, 3, deep_supervision=False, affine=affine))
            n = sum(p.numel() for p in net.parameters())
            ds = PSPSegNet(psp_architecture(v, 1, 3, deep_supervision=True, affine=affine))
            nds = sum(p.numel() for p in ds.parameters())
            C = VARIANTS[v]['channels']
            heads = sum(C[i] * 3 + 3 for i in range(1, len(C) - 1))
            note = ''
            if not affine:
                note = 'matches docs/method.md' if n == EXPECTED_COUNTS[v] else f'MISMATCH (docs/method.md {EXPECTED_COUNTS[v]:,})'
                ok &= n == EXPECTED_COUNTS[v]
            ok &= nds == n + heads
            print(f'{v} affine={affine!s:5}: {n:>11,} without heads, {nds:>11,} with deep-supervision heads (+{heads}) {note}')
    one = sum(p.numel() for p in PSPSegNet(psp_architecture('S', 1, 3, deep_supervision=False, branches=1)).parameters())
    print(f'S 1-branch affine=False: {one:,} (docs/method.md: 3.74M)')
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--counts', action='store_true')
    ap.add_argument('--loss-fixture', action='store_true')
    ap.add_argument('--network-fixture', action='store_true')
    ap.add_argument('--save-weights', metavar='PATH')
    ap.add_argument('--variant', default='S', choices=list(VARIANTS))
    ap.add_argument('--in-channels', type=int, default=1)
    ap.add_argument('--classes', type=int, default=3)
    ap.add_argument('--no-deep-supervision', action='store_true')
    ap.add_argument('--affine', action='store_true')
    ap.add_argument('--seed', type=int, default=NETWORK_SEED, help='data seed of the network fixture')
    a = ap.parse_args()
    if not (a.counts or a.loss_fixture or a.network_fixture or a.save_weights):
        ap.print_help()
        return
    os.makedirs(FIXTURES, exist_ok=True)
    if a.counts and not counts():
        sys.exit(1)
    if a.loss_fixture:
        make_loss_fixture()
    if a.network_fixture:
        make_network_fixture(a.affine, a.seed)
    if a.save_weights:
        net = PSPSegNet(psp_architecture(a.variant, a.in_channels, a.classes, not a.no_deep_supervision, a.affine))
        state, _ = deterministic_weights(net)
        save_safetensors(a.save_weights, state, {'variant': a.variant, 'writer': 'scripts/torch_pspseg.py'})
        print(f'wrote {a.save_weights}: {sum(t.numel() for t in state.values()):,} values')


if __name__ == '__main__':
    main()
