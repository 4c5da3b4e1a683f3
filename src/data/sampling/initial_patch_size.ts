/**
 * The enlarged patch the loader crops before the spatial transform, so that rotated / zoomed-out
 * sampling grids still find real data instead of padding (nnU-Net's get_patch_size). The final
 * patch-size vector is rotated by the largest angle about each axis in turn, the component-wise
 * maximum kept, then divided by the smallest zoom. nnU-Net keeps the old (0.85, 1.25) zoom range
 * here even though training scales by 0.7-1.4; we follow it so patch sizes match nnU-Net's.
 */
import type { Shape3 } from '../../util/triple.js';

export const DEFAULT_ROTATION_RAD = (30 / 180) * Math.PI;
export const INITIAL_PATCH_SCALE_RANGE: [number, number] = [0.85, 1.25];

/** v as a row vector times batchgenerators' rotation matrix about `axis` (0: x, 1: y, 2: z). */
function rotateRow(v: Shape3 | number[], axis: 0 | 1 | 2, angle: number): number[] {
  const c = Math.cos(angle), s = Math.sin(angle);
  const [a, b, d] = v as [number, number, number];
  if (axis === 0) return [a, b * c + d * s, -b * s + d * c];
  if (axis === 1) return [a * c - d * s, b, a * s + d * c];
  return [a * c + b * s, -a * s + b * c, d];
}

export function initialPatchSize(finalPatch: Shape3, maxRotationRad = DEFAULT_ROTATION_RAD, scaleRange = INITIAL_PATCH_SCALE_RANGE): Shape3 {
  const angle = Math.min(Math.abs(maxRotationRad), Math.PI / 2);
  let out = [...finalPatch];
  for (const axis of [0, 1, 2] as const) {
    const r = rotateRow(finalPatch, axis, angle).map(Math.abs);
    out = out.map((v, i) => Math.max(v, r[i]!));
  }
  const minScale = Math.min(...scaleRange);
  // numpy's astype(int) truncates; the small epsilon keeps exact integers (no rotation) from dropping by one.
  return out.map((v) => Math.trunc(v / minScale + 1e-9)) as Shape3;
}

/**
 * The enlarged patch for nnU-Net's dummy 2-D augmentation: axis 0 stays as it is, the slice plane
 * is enlarged for an in-plane rotation of up to `maxRotationRad` (capped at 90 degrees) and the
 * smallest zoom (nnU-Net's 2-D get_patch_size).
 */
export function initialPatchSize2d(finalPatch: Shape3, maxRotationRad = Math.PI, scaleRange = INITIAL_PATCH_SCALE_RANGE): Shape3 {
  const angle = Math.min(Math.abs(maxRotationRad), Math.PI / 2);
  const [, a, b] = finalPatch;
  const c = Math.cos(angle), s = Math.sin(angle);
  const rotated = [Math.abs(a * c - b * s), Math.abs(a * s + b * c)];
  const minScale = Math.min(...scaleRange);
  return [finalPatch[0], ...[a, b].map((v, i) => Math.trunc(Math.max(v, rotated[i]!) / minScale + 1e-9))] as Shape3;
}
