#!/usr/bin/env python3
"""Reference values for test/io_nifti.test.ts, computed with nibabel (the reference NIfTI reader).

Writes test/fixtures/nifti_reference.json and a few tiny synthetic NIfTI files into test/fixtures/
(NIfTI-2, big-endian, scaled, qform-only, 4D, int64) that the real data does not cover.

Run from the repository root with Debian's nibabel:  /usr/bin/python3 scripts/make_nifti_fixtures.py
The real data is read from ../shared/data (or $PSPSEG_DATA).
"""
import gzip
import json
import os
import struct
import sys

import nibabel as nib
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get('PSPSEG_DATA', os.path.join(ROOT, '..', 'shared', 'data'))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')
HIPPOCAMPUS_CASES = ['hippocampus_004', 'hippocampus_101', 'hippocampus_394']


def data_files():
    out = []
    for folder, _, files in sorted(os.walk(os.path.join(DATA, 'samples'))):
        out += [os.path.join(folder, f) for f in sorted(files) if f.endswith(('.nii', '.nii.gz'))]
    for case in HIPPOCAMPUS_CASES:
        for sub in ('imagesTr', 'labelsTr'):
            out.append(os.path.join(DATA, 'Task04_Hippocampus', sub, case + '.nii.gz'))
    return out


def probe_indices(shape):
    """Corners, centre and a few fixed pseudo-random voxels (LCG, so the list is stable)."""
    spatial = [int(s) for s in shape[:3]]
    idx = [[0, 0, 0], [s - 1 for s in spatial], [s // 2 for s in spatial]]
    state = 12345
    for _ in range(5):
        point = []
        for s in spatial:
            state = (state * 1103515245 + 12345) % 2**31
            point.append(state % s)
        idx.append(point)
    if len(shape) > 3:  # one channel index per probe, cycling
        idx = [p + [i % int(shape[3])] for i, p in enumerate(idx)]
    return idx


def probes(data):
    """probe_indices plus the first voxel holding the maximum, so that not every probe is background."""
    idx = probe_indices(data.shape)
    idx.append([int(i) for i in np.unravel_index(int(np.nanargmax(data)), data.shape)])
    return idx


def describe(path):
    img = nib.load(path)
    data = np.asanyarray(img.dataobj)
    indices = probes(data)
    values = [float(data[tuple(i)]) for i in indices]
    finite = data[np.isfinite(data)] if data.dtype.kind == 'f' else data
    entry = {
        'shape': [int(s) for s in img.shape],
        'dtype': img.get_data_dtype().name,
        'version': 2 if isinstance(img, nib.Nifti2Image) else 1,
        'affine': [[float(v) for v in row] for row in img.affine],
        'zooms': [float(z) for z in img.header.get_zooms()[:3]],
        'axcodes': ''.join(nib.aff2axcodes(img.affine)),
        'indices': indices,
        'values': values,
        'sum': float(np.sum(finite, dtype=np.float64)),
        'mean': float(np.mean(finite, dtype=np.float64)),
    }
    uniq = np.unique(data)
    if uniq.size <= 16:
        entry['unique'] = [float(u) for u in uniq]
    return entry


def patch(path, fmt, offset, *values):
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(struct.pack(fmt, *values))


def gzip_file(path):
    with open(path, 'rb') as src, open(path + '.gz', 'wb') as out:
        with gzip.GzipFile(filename='', mode='wb', fileobj=out, mtime=0) as dst:  # mtime 0: reproducible bytes
            dst.write(src.read())
    os.remove(path)
    return path + '.gz'


def oblique_affine(flip):
    """A rotated, anisotropic affine (optionally left-handed) that a qform can hold exactly enough."""
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, np.cos(0.2), -np.sin(0.2)], [0, np.sin(0.2), np.cos(0.2)]])
    aff = np.eye(4)
    aff[:3, :3] = rot @ np.diag([0.8, 1.25, -2.5 if flip else 2.5])
    aff[:3, 3] = [-12.5, 30.25, 7.0]
    return aff


def make_synthetic():
    """Tiny files for the code paths the real data lacks. Returns their paths."""
    rng = np.random.default_rng(7)
    made = []
    shape = (5, 4, 3)
    aff = np.array([[0, 0, 2.0, -10], [-1.5, 0, 0, 20], [0, 0.5, 0, 5.5], [0, 0, 0, 1]])

    p = os.path.join(FIXTURES, 'nifti2_float64.nii')
    nib.save(nib.Nifti2Image(rng.normal(size=shape), aff), p)
    made.append(p)

    # NIfTI-2, big-endian int16 with scl_slope/scl_inter (doubles at 176/184 in NIfTI-2), gzipped
    p = os.path.join(FIXTURES, 'nifti2_be_scaled.nii')
    hdr = nib.Nifti2Header(endianness='>')
    nib.save(nib.Nifti2Image(rng.integers(-300, 300, size=shape).astype('>i2'), aff, header=hdr), p)
    patch(p, '>dd', 176, 0.5, -3.0)
    made.append(gzip_file(p))

    # NIfTI-1, big-endian uint16 with scaling (floats at 112/116)
    p = os.path.join(FIXTURES, 'nifti1_be_scaled.nii')
    hdr = nib.Nifti1Header(endianness='>')
    nib.save(nib.Nifti1Image(rng.integers(0, 60000, size=shape).astype('>u2'), aff, header=hdr), p)
    patch(p, '>ff', 112, 0.25, 100.0)
    made.append(p)

    # qform only (sform_code 0), oblique and left-handed: exercises the quaternion path and qfac = -1
    p = os.path.join(FIXTURES, 'nifti1_qform_only.nii')
    img = nib.Nifti1Image(rng.integers(0, 100, size=shape).astype(np.uint8), None)
    img.set_qform(oblique_affine(flip=True), code=1)
    img.set_sform(None, code=0)
    nib.save(img, p)
    made.append(gzip_file(p))

    # 4D, channels along dim 4
    p = os.path.join(FIXTURES, 'nifti1_4d_int16.nii.gz')
    nib.save(nib.Nifti1Image(rng.integers(-1000, 1000, size=shape + (3,)).astype(np.int16), oblique_affine(flip=False)), p)
    made.append(p)

    p = os.path.join(FIXTURES, 'nifti1_int64.nii')
    nib.save(nib.Nifti1Image(rng.integers(-2**40, 2**40, size=shape).astype(np.int64), aff, dtype=np.int64), p)
    made.append(p)
    return made


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    reference = {'data': {}, 'fixtures': {}}
    for path in data_files():
        reference['data'][os.path.relpath(path, DATA)] = describe(path)
    for path in make_synthetic():
        reference['fixtures'][os.path.relpath(path, FIXTURES)] = describe(path)
    out = os.path.join(FIXTURES, 'nifti_reference.json')
    with open(out, 'w') as f:  # one line per file keeps the fixture short and diffs readable
        f.write('{\n')
        for g, group in enumerate(('data', 'fixtures')):
            f.write(f' "{group}": {{\n')
            items = list(reference[group].items())
            for i, (name, entry) in enumerate(items):
                f.write(f'  {json.dumps(name)}: {json.dumps(entry)}{"," if i < len(items) - 1 else ""}\n')
            f.write(' }' + (',' if g == 0 else '') + '\n')
        f.write('}\n')
    print(f'wrote {out}: {len(reference["data"])} data files, {len(reference["fixtures"])} synthetic', file=sys.stderr)


if __name__ == '__main__':
    main()
