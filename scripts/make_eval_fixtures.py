#!/usr/bin/env python3
"""Reference values for the evaluation metrics (test/fixtures/eval_surface.json).

An independent numpy/scipy implementation of the DeepMind `surface-distance` definitions:
neighbourhood codes by scipy.ndimage.correlate with a 2x2x2 kernel over the mask cropped to the
union's bounding box, surfel areas from a marching-cubes table built here, distances by
scipy.ndimage.distance_transform_edt (with the voxel spacing), then NSD at a tolerance and the
area-weighted robust Hausdorff distance (percentile 95). Also Dice and plain EDT references.

The surfel table is built from two rules (see src/eval/surface_table.ts): ambiguous faces cut off
the minority corners (the set ones when <= 4 are set), and each loop of edge midpoints is triangulated
by its largest-area triangulation in the unit cube. With --deepmind DIR (a checkout of
google-deepmind/surface-distance) the script also compares its table and metrics with that package's.

Run: /usr/bin/python3 scripts/make_eval_fixtures.py [--deepmind DIR]
"""
import argparse
import itertools
import json
import os
import sys

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'eval_surface.json')

# Neighbourhood code: the voxel at offset (a, b, c) of the 2x2x2 cell is bit 7 - (4a + 2b + c).
KERNEL = np.array([[[128, 64], [32, 16]], [[8, 4], [2, 1]]])


def corner_inside(code, corner):
    a, b, c = corner
    return (code >> (7 - (4 * a + 2 * b + c))) & 1 == 1


def cube_faces():
    """Each face of the unit cube as its 4 corners in cyclic order."""
    for axis in range(3):
        u, v = [i for i in range(3) if i != axis]
        for side in (0, 1):
            ring = []
            for p, q in ((0, 0), (1, 0), (1, 1), (0, 1)):
                corner = [0, 0, 0]
                corner[axis], corner[u], corner[v] = side, p, q
                ring.append(tuple(corner))
            yield ring


def surface_loops(code):
    """Loops of crossed cube edges (each a frozenset of its two corners), in order around the loop."""
    inside_count = bin(code).count('1')
    cut_inside = inside_count <= 4
    neighbours = {}

    def join(e1, e2):
        neighbours.setdefault(e1, []).append(e2)
        neighbours.setdefault(e2, []).append(e1)

    for ring in cube_faces():
        edges = [frozenset((ring[i], ring[(i + 1) % 4])) for i in range(4)]
        crossed = [i for i in range(4) if corner_inside(code, ring[i]) != corner_inside(code, ring[(i + 1) % 4])]
        if len(crossed) == 2:
            join(edges[crossed[0]], edges[crossed[1]])
        elif len(crossed) == 4:
            for i in range(4):  # corner i lies between edges i-1 and i
                if corner_inside(code, ring[i]) == cut_inside:
                    join(edges[i - 1], edges[i])
    loops, done = [], set()
    for start in neighbours:
        if start in done:
            continue
        loop, prev, cur = [start], None, start
        done.add(start)
        while True:
            nxt = [e for e in neighbours[cur] if e != prev][0] if prev is not None else neighbours[cur][0]
            if nxt == start:
                break
            loop.append(nxt)
            done.add(nxt)
            prev, cur = cur, nxt
        loops.append(loop)
    return loops


def triangle_normal(p, q, r):
    return np.cross(np.subtract(q, p), np.subtract(r, p)) / 2.0


def triangulations(n):
    """All triangulations of a convex n-gon's vertex indices 0..n-1 (lists of index triples)."""
    def rec(idx):
        if len(idx) < 3:
            return [[]]
        out = []
        i, j = idx[0], idx[-1]
        for m in range(1, len(idx) - 1):
            for left in rec(idx[:m + 1]):
                for right in rec(idx[m:]):
                    out.append(left + right + [(i, idx[m], j)])
        return out
    return rec(list(range(n)))


def unit_normals(code):
    normals = []
    for loop in surface_loops(code):
        pts = [np.mean([np.array(c, float) for c in edge], axis=0) for edge in loop]
        best, best_area = None, -1.0
        for tri in triangulations(len(pts)):
            ns = [triangle_normal(pts[a], pts[b], pts[c]) for a, b, c in tri]
            area = sum(np.linalg.norm(n) for n in ns)
            if area > best_area + 1e-12:
                best, best_area = ns, area
        normals.extend(best)
    return normals


UNIT_NORMALS = [unit_normals(code) for code in range(256)]


def area_table(spacing):
    s0, s1, s2 = spacing
    table = np.zeros(256)
    for code in range(256):
        table[code] = sum(np.linalg.norm([n[0] * s1 * s2, n[1] * s0 * s2, n[2] * s0 * s1]) for n in UNIT_NORMALS[code])
    return table


def surface_distances(ref, pred, spacing):
    """Distances and areas of surfels in both directions (ref -> pred, pred -> ref)."""
    union = ref | pred
    if not union.any():
        e = np.zeros(0)
        return e, e, e, e
    idx = np.nonzero(union)
    lo = [int(i.min()) for i in idx]
    hi = [int(i.max()) for i in idx]
    shape = tuple(h - l + 2 for l, h in zip(lo, hi))
    table = area_table(spacing)

    def codes(mask):
        crop = np.zeros(shape, np.uint8)
        crop[:-1, :-1, :-1] = mask[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1]
        return ndimage.correlate(crop.astype(np.int32), KERNEL, mode='constant', cval=0)

    def border(c):
        return (c != 0) & (c != 255)

    cr, cp = codes(ref), codes(pred)
    br, bp = border(cr), border(cp)
    dist_to_ref = ndimage.distance_transform_edt(~br, sampling=spacing) if br.any() else np.full(shape, np.inf)
    dist_to_pred = ndimage.distance_transform_edt(~bp, sampling=spacing) if bp.any() else np.full(shape, np.inf)
    return dist_to_pred[br], table[cr[br]], dist_to_ref[bp], table[cp[bp]]


def nsd(sd, tol):
    d_rp, a_r, d_pr, a_p = sd
    total = a_r.sum() + a_p.sum()
    if total == 0:
        return float('nan')
    return float((a_r[d_rp <= tol].sum() + a_p[d_pr <= tol].sum()) / total)


def directed_percentile(d, a, percent):
    if len(d) == 0:
        return float('inf')
    order = np.lexsort((a, d))
    d, a = d[order], a[order]
    cum = np.cumsum(a) / np.sum(a)
    i = int(np.searchsorted(cum, percent / 100.0))
    return float(d[min(i, len(d) - 1)])


def hd(sd, percent=95):
    d_rp, a_r, d_pr, a_p = sd
    if len(a_r) == 0 and len(a_p) == 0:
        return float('nan')
    return max(directed_percentile(d_rp, a_r, percent), directed_percentile(d_pr, a_p, percent))


def dice(ref, pred):
    s = ref.sum() + pred.sum()
    return float('nan') if s == 0 else float(2 * (ref & pred).sum() / s)


# --- test volumes; arrays are indexed [x, y, z] (x fastest in the stored run-length order) ---

def grid(shape):
    return np.meshgrid(*[np.arange(n) for n in shape], indexing='ij')


def sphere(shape, centre, radius_mm, spacing):
    x, y, z = grid(shape)
    d2 = ((x - centre[0]) * spacing[0]) ** 2 + ((y - centre[1]) * spacing[1]) ** 2 + ((z - centre[2]) * spacing[2]) ** 2
    return d2 <= radius_mm ** 2


def box(shape, lo, hi):
    m = np.zeros(shape, bool)
    m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return m


def blobby(shape, rng, spacing):
    """A sphere with random bumps and dents: an irregular surface."""
    m = sphere(shape, [n / 2 - 0.3 for n in shape], min(n * s for n, s in zip(shape, spacing)) * 0.3, spacing)
    for _ in range(6):
        c = [rng.uniform(0.25, 0.75) * n for n in shape]
        r = rng.uniform(0.08, 0.2) * min(n * s for n, s in zip(shape, spacing))
        m = (m | sphere(shape, c, r, spacing)) if rng.random() < 0.6 else (m & ~sphere(shape, c, r, spacing))
    return m


def run_lengths(mask):
    """Run lengths of the x-fastest flattening, starting with a (possibly empty) run of zeros."""
    flat = mask.flatten(order='F').astype(np.int8)
    runs, cur, n = [], 0, 0
    for v in flat:
        if v == cur:
            n += 1
        else:
            runs.append(n)
            cur, n = v, 1
    runs.append(n)
    return runs


def cases():
    rng = np.random.default_rng(20240611)
    iso, aniso, aniso2 = (1.0, 1.0, 1.0), (0.8, 1.1, 2.5), (2.0, 0.6, 0.9)
    out = []

    def add(name, ref, pred, spacing, tolerances=(0.0, 1.0, 2.0, 3.0)):
        out.append((name, ref, pred, spacing, tolerances))

    s = (24, 22, 20)
    add('sphere r6 vs shifted sphere, isotropic', sphere(s, (11, 11, 10), 6, iso), sphere(s, (13, 10, 10), 6, iso), iso)
    add('sphere r6 vs r8, isotropic', sphere(s, (11, 11, 10), 6, iso), sphere(s, (11, 11, 10), 8, iso), iso)
    add('spheres, anisotropic 0.8x1.1x2.5', sphere(s, (12, 11, 9), 7, aniso), sphere(s, (11, 12, 10), 8, aniso), aniso)
    add('cube vs shifted cube, isotropic', box(s, (4, 5, 6), (14, 15, 14)), box(s, (6, 5, 5), (16, 14, 14)), iso)
    add('cube vs cube, anisotropic 2.0x0.6x0.9', box(s, (4, 5, 6), (14, 15, 14)), box(s, (5, 7, 4), (13, 17, 15)), aniso2)
    add('identical spheres, anisotropic', sphere(s, (12, 11, 9), 7, aniso), sphere(s, (12, 11, 9), 7, aniso), aniso)
    add('cube touching the volume border vs sphere', box(s, (0, 0, 0), (10, 9, 8)), sphere(s, (5, 5, 4), 5, iso), iso)
    add('irregular shapes, isotropic', blobby(s, rng, iso), blobby(s, rng, iso), iso)
    add('irregular shapes, anisotropic', blobby(s, rng, aniso), blobby(s, rng, aniso), aniso, (0.5, 1.0, 2.0, 5.0))
    add('reference only (prediction empty)', sphere(s, (11, 11, 10), 5, iso), np.zeros(s, bool), iso)
    add('prediction only (reference empty)', np.zeros(s, bool), box(s, (3, 3, 3), (9, 8, 7)), aniso)
    add('both empty', np.zeros(s, bool), np.zeros(s, bool), iso)
    add('single voxels 3 apart', box(s, (5, 5, 5), (6, 6, 6)), box(s, (8, 5, 5), (9, 6, 6)), aniso)
    return out


def jsonable(v):
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, float) and np.isinf(v):
        return 'inf'
    return v


def edt_fixture(rng):
    shape = (12, 10, 9)
    spacing = (0.7, 1.3, 2.1)
    feature = rng.random(shape) < 0.02
    d2 = ndimage.distance_transform_edt(~feature, sampling=spacing) ** 2
    return {
        'shape': list(shape), 'spacing': list(spacing),
        'feature': [int(i) for i in np.nonzero(feature.flatten(order='F'))[0]],
        'squared_distance': [float(v) for v in d2.flatten(order='F')],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--deepmind', help='checkout of google-deepmind/surface-distance to compare with')
    args = parser.parse_args()

    fixture = {'tables': [], 'cases': [], 'edt': edt_fixture(np.random.default_rng(7))}
    for spacing in [(1.0, 1.0, 1.0), (0.8, 1.1, 2.5)]:
        fixture['tables'].append({'spacing': list(spacing), 'areas': [float(a) for a in area_table(spacing)]})
    for name, ref, pred, spacing, tols in cases():
        sd = surface_distances(ref, pred, spacing)
        fixture['cases'].append({
            'name': name, 'shape': list(ref.shape), 'spacing': list(spacing),
            'reference': run_lengths(ref), 'prediction': run_lengths(pred),
            'dice': jsonable(dice(ref, pred)),
            'surface_area_reference': float(sd[1].sum()), 'surface_area_prediction': float(sd[3].sum()),
            'nsd': [{'tolerance': t, 'value': jsonable(nsd(sd, t))} for t in tols],
            'hd95': jsonable(hd(sd, 95)), 'hd100': jsonable(hd(sd, 100)),
        })
        print(f"{name}: dice {dice(ref, pred):.4f} nsd@2 {nsd(sd, 2.0):.4f} hd95 {hd(sd):.3f}")
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT}')

    if args.deepmind:
        compare_with_deepmind(args.deepmind)


def compare_with_deepmind(path):
    """Differences between this script and the DeepMind package (not needed for the fixtures)."""
    sys.path.insert(0, path)
    import surface_distance as dm  # noqa: E402
    from surface_distance import lookup_tables  # noqa: E402
    rng = np.random.default_rng(1)
    worst_table = 0.0
    for spacing in [(1.0, 1.0, 1.0)] + [tuple(rng.uniform(0.1, 5, 3)) for _ in range(20)]:
        worst_table = max(worst_table, float(np.abs(area_table(spacing) - lookup_tables.create_table_neighbour_code_to_surface_area(spacing)).max()))
    worst = {'nsd': 0.0, 'hd95': 0.0, 'area': 0.0}
    for name, ref, pred, spacing, tols in cases():
        if not (ref.any() and pred.any()):
            continue
        ours = surface_distances(ref, pred, spacing)
        theirs = dm.compute_surface_distances(ref, pred, spacing)
        worst['area'] = max(worst['area'], abs(ours[1].sum() - theirs['surfel_areas_gt'].sum()), abs(ours[3].sum() - theirs['surfel_areas_pred'].sum()))
        for t in tols:
            worst['nsd'] = max(worst['nsd'], abs(nsd(ours, t) - dm.compute_surface_dice_at_tolerance(theirs, t)))
        worst['hd95'] = max(worst['hd95'], abs(hd(ours, 95) - dm.compute_robust_hausdorff(theirs, 95)))
    print(f'vs DeepMind: table max abs diff {worst_table:.3g} (256 codes x 21 spacings); cases: {worst}')


if __name__ == '__main__':
    main()
