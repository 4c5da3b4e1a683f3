#!/usr/bin/python3
"""PyTorch side of `npm run bench:predict`: nnU-Net v2's sliding-window prediction
(predict_sliding_window_return_logits: pad to the patch, windows at step 0.5 of the patch, the
Gaussian importance map with sigma 1/8 of the patch scaled to a maximum of 10, mirroring over the
trained axes averaged per window, accumulate, divide by the summed Gaussian, crop) with the PSP-Seg
network of scripts/torch_pspseg.py on the same weights, on the arrays pspseg preprocessed.

Written from nnU-Net's description of the procedure; two deliberate differences: the accumulator
and the Gaussian are float32 (nnU-Net v2 keeps them in float16 to save memory; pspseg uses float32),
and it runs under torch.inference_mode on the CPU.

Driven by bench/predict.ts over stdin/stdout, one request per line, so that both sides take turns
case by case and see the same machine load:
  request  {"id": ..., "image": CASE.safetensors ('image' [C, z, y, x] float32), "tta": bool,
            "ours": OURS.safetensors ('labels' [z, y, x] uint8, pspseg's argmax) or null}
  answer   {"id": ..., "tta": bool, "seconds": s, "voxels": n, "agree": n or null}
"seconds" times the sliding window alone (input tensor to cropped logits), as on pspseg's side.
"""
import argparse, itertools, json, os, sys, time
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from torch_pspseg import build_network, load_architecture, load_safetensors, load_weights  # noqa: E402


def gaussian_map(patch, sigma_scale=1 / 8, value_scale=10, truncate=4.0):
    """nnU-Net's importance map: scipy.ndimage.gaussian_filter of a delta at the patch centre
    (sigma = patch * sigma_scale, kernel cut at truncate * sigma), scaled to a maximum of value_scale,
    zeros raised to the smallest non-zero value. Written out with numpy (the filter of a delta is the
    product of one cut 1-D Gaussian per axis), so that the reference needs python3-torch alone."""
    axes = []
    for p in patch:
        sigma = p * sigma_scale
        x = np.arange(p) - p // 2
        axes.append(np.where(np.abs(x) <= int(truncate * sigma + 0.5), np.exp(-0.5 * (x / sigma) ** 2), 0.0))
    g = axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]
    g = g / g.max() * value_scale
    g[g == 0] = g[g != 0].min()
    return torch.from_numpy(g.astype(np.float32))


def window_steps(size, patch, step):
    out = []
    for s, p in zip(size, patch):
        n = int(np.ceil((s - p) / (p * step))) + 1
        stride = (s - p) / (n - 1) if n > 1 else 0
        out.append([int(np.round(stride * i)) for i in range(n)])
    return out


def padding(shape, patch):
    before, after = [], []
    for s, p in zip(shape, patch):
        d = max(0, p - s)
        before.append(d // 2)
        after.append(d - d // 2)
    return before, after


def mirrored_prediction(net, x, axes):
    pred = net(x)['logits'][0]
    combos = [c for k in range(1, len(axes) + 1) for c in itertools.combinations([a + 2 for a in axes], k)]
    for dims in combos:
        pred += torch.flip(net(torch.flip(x, dims))['logits'][0], dims)
    return pred / (len(combos) + 1)


def sliding_window(net, image, patch, classes, step, axes, gaussian):
    """image [C, z, y, x] float32 tensor -> logits [classes, z, y, x]."""
    shape = list(image.shape[1:])
    before, after = padding(shape, patch)
    pads = [v for a in reversed(range(3)) for v in (before[a], after[a])]
    x = torch.nn.functional.pad(image, pads, 'constant', 0) if any(pads) else image
    padded = list(x.shape[1:])
    logits = torch.zeros([classes] + padded, dtype=torch.float32)
    weight = torch.zeros(padded, dtype=torch.float32)
    s0, s1, s2 = window_steps(padded, patch, step)
    for a in s0:
        for b in s1:
            for c in s2:
                sl = (slice(a, a + patch[0]), slice(b, b + patch[1]), slice(c, c + patch[2]))
                pred = mirrored_prediction(net, x[(slice(None),) + sl][None], axes)[0]
                logits[(slice(None),) + sl] += pred * gaussian
                weight[sl] += gaussian
    logits /= weight
    return logits[:, before[0]:before[0] + shape[0], before[1]:before[1] + shape[1], before[2]:before[2] + shape[2]]


def build(architecture):
    """The PSP-Seg network of pspseg's architecture file (pruned blocks included), and the file's data."""
    a = load_architecture(architecture)
    if a.get('kind') != 'psp':
        raise SystemExit(f'{architecture}: kind {a.get("kind")!r}; this reference runs PSP-Seg only')
    return build_network(a), a


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--architecture', required=True)
    ap.add_argument('--weights', required=True)
    ap.add_argument('--patch', required=True, help='z,y,x')
    ap.add_argument('--step', type=float, default=0.5)
    ap.add_argument('--mirror-axes', default='0,1,2')
    ap.add_argument('--threads', type=int, required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net, arch = build(a.architecture)
    load_weights(a.weights, net)
    net.deep_supervision = False  # full-resolution logits only (the heads' weights were loaded)
    net.eval()
    patch = [int(p) for p in a.patch.split(',')]
    axes = [int(x) for x in a.mirror_axes.split(',') if x != '']
    gaussian = gaussian_map(patch)
    with torch.inference_mode():
        net(torch.zeros([1, arch['inChannels']] + patch))  # warm-up (oneDNN primitives), not timed
        print(json.dumps({'ready': True, 'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            r = json.loads(line)
            image = load_safetensors(r['image'])['image']
            t = time.perf_counter()
            logits = sliding_window(net, image, patch, arch['classes'], a.step, axes if r['tta'] else [], gaussian)
            seconds = time.perf_counter() - t
            labels = torch.argmax(logits, 0).to(torch.uint8)
            agree = None
            if r.get('ours'):
                ours = load_safetensors(r['ours'])['labels']
                if list(ours.shape) != list(labels.shape):
                    raise SystemExit(f'{r["ours"]}: shape {list(ours.shape)}, the reference {list(labels.shape)}')
                agree = int((ours == labels).sum())
            print(json.dumps({'id': r['id'], 'tta': r['tta'], 'seconds': seconds, 'voxels': labels.numel(), 'agree': agree}), flush=True)


if __name__ == '__main__':
    main()
