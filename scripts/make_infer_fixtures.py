#!/usr/bin/env python3
"""Reference values for test/infer_window.test.ts: nnU-Net v2's sliding-window geometry, computed the way
nnunetv2/inference/sliding_window_prediction.py and acvl_utils' pad_nd_image do it, with numpy/scipy.

- Gaussian importance maps (compute_gaussian with sigma_scale 1/8 and value_scaling_factor 10, as the
  predictor calls it): scipy.ndimage.gaussian_filter on a delta at size // 2, divided by its maximum,
  times 10, cast to float32, zeros replaced by the smallest non-zero value. Small patches are stored
  whole; a large one as lines through the centre and the corner plus the sum.
- Window start positions (compute_steps_for_sliding_window) for several image / patch / step sizes.
- The padding of images smaller than the patch (pad_nd_image: difference // 2 before, the rest after).

Writes test/fixtures/infer_reference.json. Run from the repository root:
    /usr/bin/python3 scripts/make_infer_fixtures.py
"""
import json
import os

import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'infer_reference.json')


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


def main():
    small = [[8, 12, 10], [5, 7, 9], [3, 16, 6], [20, 24, 16], [1, 4, 4], [2, 3, 2]]
    gaussians = [{'patch': p, 'values': compute_gaussian(tuple(p)).ravel().tolist()} for p in small]
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
        json.dump({'gaussians': gaussians, 'largeGaussian': large, 'steps': steps, 'padding': pads}, f)
        f.write('\n')
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
