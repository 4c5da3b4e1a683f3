/**
 * Axis orientation codes from a voxel-to-world affine, as nibabel's aff2axcodes computes them:
 * take the orthonormal matrix nearest to the (column-normalised) rotation part, then assign each
 * voxel axis, in order, to the world axis it is most aligned with, never reusing a world axis.
 */
const AXIS_LABELS: [string, string][] = [['R', 'L'], ['A', 'P'], ['S', 'I']];

type Mat3 = number[][];

/** E.g. 'RAS', 'LPS', 'PSR'; '?' for a voxel axis with no direction (degenerate affine). */
export function orientationCodes(affine: number[][]): string {
  const m: Mat3 = [0, 1, 2].map((r) => [0, 1, 2].map((c) => affine[r]![c]!));
  for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(m[0]![c]!, m[1]![c]!, m[2]![c]!) || 1;
    for (let r = 0; r < 3; r++) m[r]![c]! /= norm;
  }
  const rot = nearestOrthonormal(m) ?? m;
  let codes = '';
  for (let c = 0; c < 3; c++) {
    let best = -1;
    let bestAbs = 1e-12;
    for (let r = 0; r < 3; r++) {
      const a = Math.abs(rot[r]![c]!);
      if (a > bestAbs) { best = r; bestAbs = a; }
    }
    if (best < 0) { codes += '?'; continue; }
    codes += AXIS_LABELS[best]![rot[best]![c]! > 0 ? 0 : 1];
    for (let k = 0; k < 3; k++) rot[best]![k] = 0; // a world axis is used once
  }
  return codes;
}

/** Orthonormal polar factor of `m` by Newton iteration X <- (X + X^-T)/2; undefined if singular. */
export function nearestOrthonormal(m: Mat3): Mat3 | undefined {
  let x = m.map((row) => row.slice());
  for (let iter = 0; iter < 100; iter++) {
    const invT = inverseTranspose3(x);
    if (!invT) return undefined;
    let change = 0;
    const next = x.map((row, r) => row.map((v, c) => {
      const n = 0.5 * (v + invT[r]![c]!);
      change = Math.max(change, Math.abs(n - v));
      return n;
    }));
    x = next;
    if (change < 1e-15) break;
  }
  return x;
}

export function determinant3(m: Mat3): number {
  const [a, b, c] = m as [number[], number[], number[]];
  return a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) - a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) + a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!);
}

function inverseTranspose3(m: Mat3): Mat3 | undefined {
  const det = determinant3(m);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return undefined;
  const e = (r: number, c: number): number => m[r % 3]![c % 3]!;
  // cofactor matrix / det == inverse transposed
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) =>
    (e(r + 1, c + 1) * e(r + 2, c + 2) - e(r + 1, c + 2) * e(r + 2, c + 1)) / det));
}
