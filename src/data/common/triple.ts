/**
 * Shapes and index helpers for 3D arrays in C order (axis 0 slowest, axis 2 fastest), the order
 * every preprocessing step uses. A NIfTI volume stored x-fastest with shape [nx, ny, nz] is, without
 * a copy, the C-order array of shape [nz, ny, nx]: array axis i is NIfTI axis 2 - i. This is the
 * same axis order nnU-Net gets from SimpleITK, so its rules (transpose, separate-z axis) carry over.
 */
export type Shape3 = [number, number, number];
export type Spacing3 = [number, number, number];
/** Half-open box per array axis: [[lo0, hi0], [lo1, hi1], [lo2, hi2]]. */
export type BBox3 = [[number, number], [number, number], [number, number]];

export function voxelCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NIfTI-order triple [x, y, z] <-> C-order array axes [z, y, x]. */
export function reversed3<T>(v: readonly [T, T, T] | readonly T[]): [T, T, T] {
  return [v[2] as T, v[1] as T, v[0] as T];
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** nnU-Net's compute_new_shape: round(old_spacing / new_spacing * old_shape) per axis. */
export function computeNewShape(shape: Shape3, oldSpacing: Spacing3, newSpacing: Spacing3): Shape3 {
  // Python's round() is half-to-even; the .5 case only matters for exact ties, which we resolve the same way.
  return shape.map((n, i) => roundHalfEven((oldSpacing[i]! / newSpacing[i]!) * n)) as Shape3;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
