/**
 * Resampling of label maps: every class's one-hot mask is resampled (order 1 by default; along a
 * separate-z axis order 0), then each voxel gets a class by one of two rules (ResamplingPlan.label.rule):
 * - 'threshold' (default), nnU-Net v2 (resample_data_or_seg with is_seg, batchgenerators'
 *   resize_segmentation): classes in ascending order (-1, outside the body, first) write their value
 *   where their mask is >= 0.5, later classes overwriting earlier ones; a voxel no class reaches keeps
 *   0. Where three or more classes meet, some voxels therefore become background. In the separate-z
 *   case nnU-Net resizes each slice in-plane this way, then resamples along z: with order 0 by picking
 *   the nearest slice, with order >= 1 by interpolating each class of the in-plane result along z and
 *   writing it where round(value) > 0.5 (numpy's round: strictly above 0.5).
 * - 'argmax': every voxel takes the class with the largest resampled mask (ties to the higher class),
 *   so no voxel is left unassigned; it agrees with 'threshold' wherever one class reaches 0.5 alone.
 * Only classes present in the input can appear in the output.
 */
import { roundHalfEven } from '../common/round.js';
import { type Shape3, type Spacing3, shapesEqual, voxelCount } from '../../util/triple.js';
import { ANISOTROPY_THRESHOLD, type LabelRule, type ResampleOrders, axisOrders, determineSeparateZ, resampleWithOrders } from './resample.js';
import { type InterpolationOrder, resampleAxis } from './resample_axis.js';

export interface LabelResampling extends ResampleOrders { rule?: LabelRule }

/** Distinct values of a label map, ascending. */
export function labelValues(label: Int8Array | Uint8Array): number[] {
  const seen = new Uint8Array(256);
  const off = label instanceof Int8Array ? 128 : 0;
  for (let i = 0; i < label.length; i++) seen[label[i]! + off] = 1;
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v]) out.push(v - off);
  return out;
}

function oneHot(label: Int8Array, cls: number, out: Float32Array): Float32Array {
  for (let i = 0; i < label.length; i++) out[i] = label[i] === cls ? 1 : 0;
  return out;
}

/** A label map from `current` to `target` spacing at `newShape` (order 1, order 0 along a separate-z axis, nnU-Net's threshold rule by default). */
export function resampleLabel(label: Int8Array, shape: Shape3, newShape: Shape3, current: Spacing3, target: Spacing3,
  o: LabelResampling = { order: 1, orderZ: 0 }): Int8Array {
  if (shapesEqual(shape, newShape)) return label;
  if (o.rule === 'argmax') return argmaxResample(label, shape, newShape, axisOrders(current, target, o));
  const sz = determineSeparateZ(current, target, o.anisotropyThreshold ?? ANISOTROPY_THRESHOLD);
  const z = sz.axis;
  // Nearest along z picks slices, which commutes with thresholding each slice: one pass does both.
  if (!sz.separateZ || z === null || o.orderZ === 0 || shape[z] === newShape[z]) {
    return thresholdResample(label, shape, newShape, axisOrders(current, target, o));
  }
  const inPlane: Shape3 = [...newShape];
  inPlane[z] = shape[z];
  const orders = [0, 1, 2].map((a) => (a === z ? 0 : o.order)) as InterpolationOrder[];
  const slices = thresholdResample(label, shape, inPlane, orders); // z keeps its length: only in-plane passes run
  return alongZ(slices, inPlane, z, newShape[z], o.orderZ);
}

/** Ascending classes write where their resampled mask is >= 0.5; the rest stays 0. */
function thresholdResample(label: Int8Array, shape: Shape3, newShape: Shape3, orders: readonly InterpolationOrder[]): Int8Array {
  const out = new Int8Array(voxelCount(newShape));
  const mask = new Float32Array(label.length);
  for (const cls of labelValues(label)) {
    const r = resampleWithOrders(oneHot(label, cls, mask), shape, newShape, orders);
    for (let i = 0; i < out.length; i++) if (r[i]! >= 0.5) out[i] = cls;
  }
  return out;
}

/** nnU-Net's z pass of a separate-z label resampling at order >= 1: per class, round(interpolated) > 0.5. */
function alongZ(label: Int8Array, shape: Shape3, z: number, newLen: number, order: InterpolationOrder): Int8Array {
  const newShape: Shape3 = [...shape];
  newShape[z] = newLen;
  const out = new Int8Array(voxelCount(newShape));
  const mask = new Float32Array(label.length);
  for (const cls of labelValues(label)) {
    const r = resampleAxis(oneHot(label, cls, mask), shape, z, newLen, order).data;
    for (let i = 0; i < out.length; i++) if (roundHalfEven(r[i]!) > 0.5) out[i] = cls;
  }
  return out;
}

function argmaxResample(label: Int8Array, shape: Shape3, newShape: Shape3, orders: readonly InterpolationOrder[]): Int8Array {
  const n = voxelCount(newShape);
  const out = new Int8Array(n);
  const best = new Float32Array(n).fill(-Infinity);
  const mask = new Float32Array(label.length);
  for (const cls of labelValues(label)) {
    const r = resampleWithOrders(oneHot(label, cls, mask), shape, newShape, orders);
    // >= : on exact ties the higher class wins, as in nnU-Net's ascending overwrite
    for (let i = 0; i < n; i++) if (r[i]! >= best[i]!) { best[i] = r[i]!; out[i] = cls; }
  }
  return out;
}
