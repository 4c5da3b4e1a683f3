/**
 * 3-tuples: one per array axis. Arrays are C order (axis 0 slowest, axis 2 fastest), the order every
 * data step uses. A NIfTI volume stored x-fastest with shape [nx, ny, nz] is, without a copy, the
 * C-order array of shape [nz, ny, nx]: array axis i is NIfTI axis 2 - i. This is the same axis order
 * nnU-Net gets from SimpleITK, so its rules (transpose, separate-z axis) carry over.
 */
export type Triple<T = number> = [T, T, T];

/** Voxels per axis. */
export type Shape3 = Triple;
/** Millimetres per voxel, per axis. */
export type Spacing3 = Triple;
/** A position or offset in voxels (may be negative or fractional where said). */
export type Vec3 = Triple;
/** A zoom factor per axis (deep-supervision scales). */
export type Scale3 = Triple;
/** An axis permutation: axis i of the result is axis p[i] of the input. */
export type Axes3 = Triple;
/** Half-open box per array axis: [[lo0, hi0], [lo1, hi1], [lo2, hi2]]. */
export type BBox3 = Triple<[number, number]>;

export function voxelCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NIfTI-order triple [x, y, z] <-> C-order array axes [z, y, x]. */
export function reversed3<T>(v: readonly [T, T, T] | readonly T[]): Triple<T> {
  return [v[2] as T, v[1] as T, v[0] as T];
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function isPermutation3(p: readonly number[]): boolean {
  return p.length === 3 && [0, 1, 2].every((a) => p.includes(a));
}

/** inverse[p[i]] = i, so that permute(permute(x, p), inverse(p)) = x. */
export function inversePermutation(p: Axes3): Axes3 {
  const inv: Axes3 = [0, 0, 0];
  p.forEach((axis, i) => { inv[axis] = i; });
  return inv;
}

/** out[i] = v[p[i]] (numpy's v[p]). */
export function permuteTriple<T>(v: readonly T[], p: Axes3): Triple<T> {
  return [v[p[0]] as T, v[p[1]] as T, v[p[2]] as T];
}
