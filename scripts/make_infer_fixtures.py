#!/usr/bin/env python3
"""Reference values for test/infer_window.test.ts: nnU-Net v2's sliding-window geometry, computed the way
nnunetv2/inference/sliding_window_prediction.py and acvl_utils' pad_nd_image do it, with numpy/scipy.

- Gaussian importance maps (compute_gaussian with sigma_scale 1/8 and value_scaling_factor 10, as the
  predictor calls it): scipy.ndimage.gaussian_filter on a delta at size // 2, divided by its maximum,
  times 10, cast to float32, zeros replaced by the smallest non-zero value. Small patches are stored
  whole; a large one as lines through the centre and the corner plus the sum.
- Window start positions (compute_steps_for_sliding_window) for several image / patch / step sizes.
- The padding of images smaller than the patch (pad_nd_image: difference // 2 before, the rest after).
- Whole sliding-window predictions with PyTorch (nnUNetPredictor's predict_sliding_window_return_logits:
  pad, windows, mirroring over every axis combination, Gaussian weighting) of a fixed random 3x3x3
  convolution (2 input channels, 3 classes) on a random image smaller than the patch on one axis,
  with and without mirroring. nnU-Net accumulates in float16 on the device; this reference (and pspseg)
  accumulates in float32.

Writes test/fixtures/infer_reference.json. Run from the repository root:
    /usr/bin/python3 scripts/make_infer_fixtures.py
"""
import itertools
import json
import os

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'infer_reference.json')


def f32_list(a):
    """float32 values as the shortest decimals that read back to the same float32."""
    return [float('%.9g' % v) for v in np.asarray(a, dtype=np.float32).ravel()]


def compute_gaussian(tile_size, sigma_scale=1. / 8, value_scaling_factor=10, dtype=np.float32):
    tmp = np.zeros(tile_size)
    center_coords = [i // 2 for i in tile_size]
    sigmas = [i * sigma_scale for i in tile_size]
    tmp[tuple(center_coords)] = 1
    g = gaussian_filter(tmp, sigmas, 0, mode='constant', cval=0)
    g = g / np.max(g) * value_scaling_factor
    g = g.astype(dtype)
    g[g == 0] = np.min(g[g != 0])
    return g


def compute_steps_for_sliding_window(image_size, tile_size, tile_step_size):
    assert all(i >= j for i, j in zip(image_size, tile_size))
    assert 0 < tile_step_size <= 1
    target_step_sizes_in_voxels = [i * tile_step_size for i in tile_size]
    num_steps = [int(np.ceil((i - k) / j)) + 1 for i, j, k in zip(image_size, target_step_sizes_in_voxels, tile_size)]
    steps = []
    for dim in range(len(tile_size)):
        max_step_value = image_size[dim] - tile_size[dim]
        actual_step_size = max_step_value / (num_steps[dim] - 1) if num_steps[dim] > 1 else 99999999999
        steps.append([int(np.round(actual_step_size * i)) for i in range(num_steps[dim])])
    return steps


def pad_amounts(shape, patch):
    old = np.array(shape)
    new = np.array([max(p, s) for p, s in zip(patch, shape)])
    difference = new - old
    below = difference // 2
    above = difference // 2 + difference % 2
    return [int(x) for x in below], [int(x) for x in above]


def pad_nd_image(image, patch):
    before, after = pad_amounts(image.shape[1:], patch)
    padded = np.pad(image, [[0, 0]] + [[b, a] for b, a in zip(before, after)], 'constant', constant_values=0)
    slicer = tuple([slice(None)] + [slice(b, b + n) for b, n in zip(before, image.shape[1:])])
    return padded, slicer


def predict_sliding_window(network, image, patch, step, mirror_axes):
    data, revert = pad_nd_image(image, patch)
    data = torch.from_numpy(data)
    gaussian = torch.from_numpy(compute_gaussian(tuple(patch)))
    steps = compute_steps_for_sliding_window(data.shape[1:], patch, step)
    logits = None
    n_predictions = torch.zeros(data.shape[1:], dtype=torch.float32)
    combos = [c for i in range(len(mirror_axes)) for c in itertools.combinations([m + 2 for m in mirror_axes], i + 1)]
    with torch.no_grad():
        for sx in steps[0]:
            for sy in steps[1]:
                for sz in steps[2]:
                    sl = (slice(None), slice(sx, sx + patch[0]), slice(sy, sy + patch[1]), slice(sz, sz + patch[2]))
                    x = data[sl][None]
                    prediction = network(x)
                    for axes in combos:
                        prediction += torch.flip(network(torch.flip(x, axes)), axes)
                    prediction /= (len(combos) + 1)
                    prediction = prediction[0] * gaussian
                    if logits is None:
                        logits = torch.zeros((prediction.shape[0], *data.shape[1:]), dtype=torch.float32)
                    logits[sl] += prediction
                    n_predictions[sl[1:]] += gaussian
    logits /= n_predictions
    return logits[revert].numpy()


def sliding_window_cases():
    rng = np.random.default_rng(20240611)
    image = rng.standard_normal((2, 13, 17, 11)).astype(np.float32)
    weight = (rng.standard_normal((3, 2, 3, 3, 3)) * 0.3).astype(np.float32)
    bias = (rng.standard_normal(3) * 0.1).astype(np.float32)
    conv = torch.nn.Conv3d(2, 3, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weight))
        conv.bias.copy_(torch.from_numpy(bias))
    patch = [8, 12, 16]  # axis 2 is padded (11 -> 16), axes 0 and 1 slide
    out = {'image': f32_list(image), 'shape': list(image.shape), 'weight': f32_list(weight), 'bias': f32_list(bias),
           'patch': patch, 'step': 0.5}
    for name, axes in (('plain', []), ('mirrored', [0, 1, 2])):
        out[name] = [float('%.7g' % v) for v in predict_sliding_window(conv, image, patch, 0.5, axes).ravel()]
    return out


def main():
    small = [[8, 12, 10], [5, 7, 9], [3, 16, 6], [20, 24, 16], [1, 4, 4], [2, 3, 2]]
    gaussians = [{'patch': p, 'values': f32_list(compute_gaussian(tuple(p)))} for p in small]
    large_patch = [40, 56, 40]
    g = compute_gaussian(tuple(large_patch))
    c = [i // 2 for i in large_patch]
    large = {
        'patch': large_patch,
        'sum': float(g.astype(np.float64).sum()),
        'line0': g[:, c[1], c[2]].tolist(),
        'line1': g[c[0], :, c[2]].tolist(),
        'line2': g[c[0], c[1], :].tolist(),
        'diagonal': [float(g[i * large_patch[0] // 40, i * large_patch[1] // 40, i * large_patch[2] // 40]) for i in range(40)],
        'corner': float(g[0, 0, 0]),
        'min': float(g.min()),
    }
    step_cases = [
        ([110], [64], 0.5), ([64], [64], 0.5), ([97], [64], 0.5), ([69], [64], 0.5), ([300], [128], 0.5),
        ([300], [128], 0.25), ([300], [128], 1.0), ([129], [128], 0.5), ([200], [56], 0.5), ([1000], [96], 0.33),
        ([40, 56, 40], [40, 56, 40], 0.5), ([36, 190, 181], [20, 112, 112], 0.5), ([512, 512, 87], [160, 160, 64], 0.5),
        ([77, 64, 65], [48, 48, 48], 0.7), ([250, 130, 97], [64, 128, 96], 0.5),
    ]
    steps = [{'image': i, 'patch': p, 'step': s, 'steps': compute_steps_for_sliding_window(i, p, s)} for i, p, s in step_cases]
    pad_cases = [([36, 50, 35], [40, 56, 40]), ([10, 100, 3], [16, 64, 8]), ([64, 64, 64], [48, 48, 48]), ([7, 9, 11], [8, 8, 16])]
    pads = []
    for shape, patch in pad_cases:
        before, after = pad_amounts(shape, patch)
        pads.append({'shape': shape, 'patch': patch, 'before': before, 'after': after})
    with open(OUT, 'w') as f:
        json.dump({'gaussians': gaussians, 'largeGaussian': large, 'steps': steps, 'padding': pads, 'slidingWindow': sliding_window_cases()}, f)
        f.write('\n')
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
