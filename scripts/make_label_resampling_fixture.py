#!/usr/bin/python3
"""Reference label maps for pspseg's label resampling (src/data/preprocess/resample_label.ts).

Run with /usr/bin/python3 scripts/make_label_resampling_fixture.py (numpy + scipy). Writes
test/fixtures/label_resampling.json: small label volumes where three or more classes meet (plus -1,
outside the body), resampled the way nnU-Net v2 resamples segmentations in preprocessing
(resample_data_or_seg_to_shape with is_seg=True, order 1, order_z 0 or 1, force_separate_z None),
written here independently from its description:
  - skimage.transform.resize(order=1, mode='edge', anti_aliasing=False) is scipy's linear
    interpolation at input coordinate (n / m) * (j + 0.5) - 0.5 with edge clamping ('nearest');
  - batchgenerators' resize_segmentation: for each class in np.unique order, write it where its
    resized one-hot mask is >= 0.5; voxels no class reaches stay 0;
  - the separate-z case (anisotropic spacing): resize_segmentation of every 2-D slice in-plane, then
    along z map_coordinates with order 0 on the label map (order_z 0), or per class
    round(map_coordinates(one-hot, order_z)) > 0.5 (order_z >= 1).
Also the 'argmax' rule (pspseg's alternative): each voxel takes the class with the largest resampled
one-hot mask, ties to the higher class; nearest along a separate-z axis.
Shapes are chosen so that every interpolation weight is a dyadic fraction: sums and products are
exact in float32 and float64 alike, so the >= 0.5 comparisons cannot differ by rounding.
"""
import json, os
import numpy as np
from scipy.ndimage import map_coordinates

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'label_resampling.json')
ANISO_THRESHOLD = 3


def grid_coords(old_shape, new_shape):
    axes = [(n / m) * (np.arange(m) + 0.5) - 0.5 for n, m in zip(old_shape, new_shape)]
    return np.array(np.meshgrid(*axes, indexing='ij'))


def linear_resize(mask, new_shape):
    return map_coordinates(mask.astype(np.float64), grid_coords(mask.shape, new_shape), order=1, mode='nearest')


def threshold_resize(seg, new_shape):
    out = np.zeros(new_shape, dtype=np.int8)
    for c in np.unique(seg):
        out[linear_resize(seg == c, new_shape) >= 0.5] = c
    return out


def lowres_axes(spacing):
    return [i for i, s in enumerate(spacing) if s == max(spacing)]


def separate_z_axis(current, target):
    if max(current) / min(current) > ANISO_THRESHOLD:
        axes = lowres_axes(current)
    elif max(target) / min(target) > ANISO_THRESHOLD:
        axes = lowres_axes(target)
    else:
        return None
    return axes[0] if len(axes) == 1 else None


def nnunet_resample(seg, new_shape, current, target, order_z):
    z = separate_z_axis(current, target)
    if z is None:
        return threshold_resize(seg, new_shape)
    in_plane = [m for a, m in enumerate(new_shape) if a != z]
    slices = np.stack([threshold_resize(np.take(seg, k, axis=z), in_plane) for k in range(seg.shape[z])], axis=z)
    if seg.shape[z] == new_shape[z]:
        return slices
    coords = grid_coords(slices.shape, new_shape)
    if order_z == 0:
        return map_coordinates(slices, coords, order=0, mode='nearest').astype(np.int8)
    out = np.zeros(new_shape, dtype=np.int8)
    for c in np.unique(slices):
        out[np.round(map_coordinates((slices == c).astype(np.float64), coords, order=order_z, mode='nearest')) > 0.5] = c
    return out


def argmax_resample(seg, new_shape, current, target):
    z = separate_z_axis(current, target)
    classes = np.unique(seg)
    scores = []
    for c in classes:
        m = (seg == c).astype(np.float64)
        if z is not None:  # nearest along z (scipy order 0), linear in-plane
            zc = (seg.shape[z] / new_shape[z]) * (np.arange(new_shape[z]) + 0.5) - 0.5
            m = map_coordinates(m, np.array(np.meshgrid(*[zc if a == z else np.arange(n) for a, n in enumerate(seg.shape)], indexing='ij')), order=0, mode='nearest')
            shape_z = list(new_shape)
            m = np.stack([linear_resize(np.take(m, k, axis=z), [s for a, s in enumerate(shape_z) if a != z]) for k in range(new_shape[z])], axis=z)
        else:
            m = linear_resize(m, new_shape)
        scores.append(m)
    scores = np.stack(scores)
    # ties to the higher class: argmax over the classes in reverse order
    idx = len(classes) - 1 - np.argmax(scores[::-1], axis=0)
    return classes[idx].astype(np.int8)


def junction(shape):
    """Three classes in sectors around an off-centre axis, -1 in one corner (outside the body)."""
    a, b, c = np.meshgrid(*[np.arange(n) for n in shape], indexing='ij')
    angle = np.arctan2(b - shape[1] * 0.45, c - shape[2] * 0.55)
    seg = np.where(angle < -1.0, 1, np.where(angle < 1.2, 2, 0)).astype(np.int8)
    seg[(a == 0) & (b == 0)] = -1
    seg[(a + b + c) % 7 == 3] = 3  # a fourth class scattered through the junction
    return seg


rs = np.random.RandomState(1234)
cases = []
for name, seg, new_shape, current, target in [
    ('junction, isotropic', junction((6, 5, 7)), (4, 8, 4), (1.0, 1.0, 1.0), (1.5, 0.625, 1.75)),
    ('random, isotropic', rs.randint(-1, 3, size=(6, 8, 5)).astype(np.int8), (8, 4, 8), (1.0, 1.0, 1.0), (0.75, 1.5, 0.625)),
    ('junction, separate z', junction((8, 6, 7)), (4, 8, 4), (5.0, 1.0, 1.0), (10.0, 0.75, 1.75)),
    ('random, separate z', rs.randint(-1, 3, size=(8, 6, 6)).astype(np.int8), (4, 4, 8), (4.0, 1.0, 1.0), (8.0, 1.5, 0.75)),
]:
    assert separate_z_axis(current, target) == (0 if 'separate' in name else None)
    case = {'name': name, 'shape': list(seg.shape), 'newShape': list(new_shape), 'current': current, 'target': target,
            'label': seg.flatten().tolist(),
            'threshold': {str(oz): nnunet_resample(seg, new_shape, current, target, oz).flatten().tolist() for oz in (0, 1)},
            'argmax': argmax_resample(seg, new_shape, current, target).flatten().tolist()}
    cases.append(case)
    t, m = np.array(case['threshold']['0']), np.array(case['argmax'])
    t1 = np.array(case['threshold']['1'])
    print(f"{name}: {int((t != m).sum())} of {t.size} voxels differ between the rules (order_z 0), {int((t != t1).sum())} between order_z 0 and 1")

with open(OUT, 'w') as f:
    json.dump({'cases': cases}, f)
print('wrote', OUT)
