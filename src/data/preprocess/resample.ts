/**
 * Resampling of images and label maps to a new shape, nnU-Net v2 default_resampling semantics:
 * - images: cubic spline (order 3) on every axis, or, when the spacing is anisotropic (the "separate
 *   z" case below), order 3 in-plane and nearest (order 0) along the low-resolution axis; the result is
 *   clipped to the input's range (skimage resize's clip=True: splines overshoot at edges).
 * - label maps: see resample_label.ts.
 * - probabilities / logits (mapping predictions back): order 1, separate-z rule as for images.
 */
import { type Shape3, type Spacing3, shapesEqual, voxelCount } from '../../util/triple.js';
import { roundHalfEven } from '../common/round.js';
import type { InterpolationOrder } from './resample_axis.js';
import { resampleAxis } from './resample_axis.js';

export type { InterpolationOrder } from './resample_axis.js';

/**
 * How a resampled label map picks each voxel's class from the resampled one-hot masks (resample_label.ts):
 * 'threshold' as nnU-Net (a class where its mask reaches 0.5, else background), 'argmax' the strongest class.
 */
export type LabelRule = 'threshold' | 'argmax';

/** nnU-Net's ANISO_THRESHOLD: max/min spacing above this makes a sample anisotropic. */
export const ANISOTROPY_THRESHOLD = 3;

/** nnU-Net's compute_new_shape: round(old_spacing / new_spacing * old_shape) per axis (Python's round). */
export function computeNewShape(shape: Shape3, oldSpacing: Spacing3, newSpacing: Spacing3): Shape3 {
  return shape.map((n, i) => roundHalfEven((oldSpacing[i]! / newSpacing[i]!) * n)) as Shape3;
}

export interface ResamplingPlan {
  /** Orders for images, label maps and predicted probabilities; `orderZ` along a separate-z axis. */
  image: { order: InterpolationOrder; orderZ: InterpolationOrder };
  label: { order: InterpolationOrder; orderZ: InterpolationOrder; rule: LabelRule };
  probabilities: { order: InterpolationOrder; orderZ: InterpolationOrder };
  anisotropyThreshold: number;
}

/** nnU-Net v2's defaults (resampling_fn_*_kwargs of its plans). */
export const DEFAULT_RESAMPLING: ResamplingPlan = {
  image: { order: 3, orderZ: 0 },
  label: { order: 1, orderZ: 0, rule: 'threshold' },
  probabilities: { order: 1, orderZ: 0 },
  anisotropyThreshold: ANISOTROPY_THRESHOLD,
};

export interface SeparateZ { separateZ: boolean; axis: number | null }

/** Axes whose spacing equals the largest spacing (nnU-Net's get_lowres_axis). */
export function lowResAxes(spacing: Spacing3): number[] {
  const max = Math.max(...spacing);
  return spacing.flatMap((s, i) => (s === max ? [i] : []));
}

function isAnisotropic(spacing: Spacing3, threshold: number): boolean {
  return Math.max(...spacing) / Math.min(...spacing) > threshold;
}

/**
 * nnU-Net's rule (force_separate_z = None): resample the low-resolution axis separately when the
 * current spacing is anisotropic (axis taken from the current spacing), else when the target spacing
 * is (axis from the target); not when two or three axes share the largest spacing.
 */
export function determineSeparateZ(current: Spacing3, target: Spacing3, threshold = ANISOTROPY_THRESHOLD): SeparateZ {
  let axes: number[];
  if (isAnisotropic(current, threshold)) axes = lowResAxes(current);
  else if (isAnisotropic(target, threshold)) axes = lowResAxes(target);
  else return { separateZ: false, axis: null };
  return axes.length === 1 ? { separateZ: true, axis: axes[0]! } : { separateZ: false, axis: null };
}

export interface ResampleOrders { order: InterpolationOrder; orderZ: InterpolationOrder; anisotropyThreshold?: number }

/** Interpolation order per axis for a resampling from `current` to `target` spacing. */
export function axisOrders(current: Spacing3, target: Spacing3, o: ResampleOrders): [InterpolationOrder, InterpolationOrder, InterpolationOrder] {
  const sz = determineSeparateZ(current, target, o.anisotropyThreshold ?? ANISOTROPY_THRESHOLD);
  return [0, 1, 2].map((a) => (sz.separateZ && a === sz.axis ? o.orderZ : o.order)) as [InterpolationOrder, InterpolationOrder, InterpolationOrder];
}

/**
 * Separable resampling with a given order per axis. Axes that shrink most go first, so later passes
 * touch fewer voxels (the result does not depend on the order: the passes commute).
 */
export function resampleWithOrders(data: Float32Array, shape: Shape3, newShape: Shape3, orders: readonly InterpolationOrder[]): Float32Array {
  if (data.length !== voxelCount(shape)) throw new Error(`resample: ${data.length} voxels for shape ${shape.join('x')}`);
  if (shapesEqual(shape, newShape)) return data;
  const z = separateZAxis(orders);
  if (z !== null) {
    // nnU-Net's separate-z path: each slice is resized in-plane (skimage, clipped to that slice's
    // own range), then the slices are resampled along z (order 0 or 1, no clipping).
    const inPlane: Shape3 = [...newShape];
    inPlane[z] = shape[z];
    let cur = { data, shape };
    for (const a of [0, 1, 2].filter((a) => a !== z && shape[a] !== newShape[a])) cur = resampleAxis(cur.data, cur.shape, a, newShape[a]!, orders[a]!);
    if (cur.data !== data) clipSlicesToRangeOf(cur.data, inPlane, data, shape, z);
    if (shape[z] !== newShape[z]) cur = resampleAxis(cur.data, cur.shape, z, newShape[z]!, orders[z]!);
    return cur.data;
  }
  const axes = [0, 1, 2].filter((a) => shape[a] !== newShape[a]).sort((a, b) => newShape[a]! / shape[a]! - newShape[b]! / shape[b]!);
  let cur = { data, shape };
  for (const a of axes) cur = resampleAxis(cur.data, cur.shape, a, newShape[a]!, orders[a]!);
  if (orders.some((o) => o > 1)) clipToRangeOf(cur.data, data);
  return cur.data;
}

/** The axis resampled at a low order while the other two use a higher one (separate z), or null. */
function separateZAxis(orders: readonly InterpolationOrder[]): number | null {
  const low = [0, 1, 2].filter((a) => orders[a]! <= 1);
  return low.length === 1 && [0, 1, 2].every((a) => a === low[0] || orders[a]! > 1) ? low[0]! : null;
}

/** Clips every slice along `z` of `out` to the value range of the same slice of `input`. */
function clipSlicesToRangeOf(out: Float32Array, outShape: Shape3, input: Float32Array, inShape: Shape3, z: number): void {
  const sliceRange = (arr: Float32Array, sh: Shape3, k: number, visit: (i: number) => void) => {
    const [n0, n1, n2] = sh;
    const r0 = z === 0 ? [k, k + 1] : [0, n0], r1 = z === 1 ? [k, k + 1] : [0, n1], r2 = z === 2 ? [k, k + 1] : [0, n2];
    for (let i = r0[0]!; i < r0[1]!; i++) for (let j = r1[0]!; j < r1[1]!; j++) {
      const base = (i * n1 + j) * n2;
      for (let l = r2[0]!; l < r2[1]!; l++) visit(base + l);
    }
  };
  for (let k = 0; k < inShape[z]; k++) {
    let lo = Infinity, hi = -Infinity;
    sliceRange(input, inShape, k, (i) => { const v = input[i]!; if (v < lo) lo = v; if (v > hi) hi = v; });
    sliceRange(out, outShape, k, (i) => { const v = out[i]!; out[i] = v < lo ? lo : v > hi ? hi : v; });
  }
}

function clipToRangeOf(out: Float32Array, input: Float32Array): void {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < input.length; i++) { const v = input[i]!; if (v < lo) lo = v; if (v > hi) hi = v; }
  for (let i = 0; i < out.length; i++) { const v = out[i]!; out[i] = v < lo ? lo : v > hi ? hi : v; }
}

/** An image channel from `current` to `target` spacing at `newShape` (order 3, order 0 along separate z). */
export function resampleImage(data: Float32Array, shape: Shape3, newShape: Shape3, current: Spacing3, target: Spacing3,
  o: ResampleOrders = { order: 3, orderZ: 0 }): Float32Array {
  return resampleWithOrders(data, shape, newShape, axisOrders(current, target, o));
}

/** Per-channel maps (probabilities or logits) at order 1, then the index of the largest channel. */
export function resampleChannelsArgmax(channels: readonly Float32Array[], shape: Shape3, newShape: Shape3, current: Spacing3, target: Spacing3,
  o: ResampleOrders = { order: 1, orderZ: 0 }): Uint8Array {
  const orders = axisOrders(current, target, o);
  const n = voxelCount(newShape);
  const out = new Uint8Array(n);
  const best = new Float32Array(n).fill(-Infinity);
  channels.forEach((ch, c) => {
    const r = resampleWithOrders(ch, shape, newShape, orders);
    for (let i = 0; i < n; i++) if (r[i]! > best[i]!) { best[i] = r[i]!; out[i] = c; }
  });
  return out;
}
