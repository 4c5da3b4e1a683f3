/**
 * Crop to the non-zero region, as nnU-Net's crop_to_nonzero does: the mask is "non-zero in any
 * channel" with enclosed holes filled (scipy binary_fill_holes, 6-connected background), the crop is
 * the mask's bounding box, and label voxels that are background AND outside the mask become -1 so
 * that normalisation and the loss can tell "outside the body" from "background tissue".
 */
import type { BBox3, Shape3 } from '../../util/triple.js';
import { voxelCount } from '../../util/triple.js';
import { OUTSIDE_BODY } from '../common/labels.js';

/** Non-zero in any channel, with holes (background not 6-connected to the border) filled. */
export function nonzeroMask(channels: readonly ArrayLike<number>[], shape: Shape3): Uint8Array {
  const n = voxelCount(shape);
  const mask = new Uint8Array(n);
  for (const ch of channels) {
    if (ch.length !== n) throw new Error(`nonzeroMask: channel has ${ch.length} voxels, shape needs ${n}`);
    for (let i = 0; i < n; i++) if (ch[i] !== 0) mask[i] = 1;
  }
  fillHoles(mask, shape);
  return mask;
}

/** In place: every background voxel not reachable from the border through background becomes 1. */
export function fillHoles(mask: Uint8Array, shape: Shape3): void {
  // Work on a copy padded by one background voxel on every side: the padding connects the whole
  // border, so one flood fill from a corner finds all outside background, with no bounds checks.
  const [d0, d1, d2] = shape;
  const p1 = d1 + 2, p2 = d2 + 2, s0 = p1 * p2;
  const padded = new Uint8Array((d0 + 2) * s0);
  for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) {
    padded.set(mask.subarray((a * d1 + b) * d2, (a * d1 + b + 1) * d2), (a + 1) * s0 + (b + 1) * p2 + 1);
  }
  const OUTSIDE = 2;
  const queue = new Int32Array(padded.length);
  let head = 0, tail = 0;
  padded[0] = OUTSIDE; queue[tail++] = 0;
  const last = padded.length;
  while (head < tail) {
    const i = queue[head++]!;
    // neighbours outside the padded array are skipped; the wrap-around of +-1 and +-p2 at row ends only
    // ever lands on padding voxels, which are outside anyway, so it cannot leak into the image
    if (i >= s0 && padded[i - s0] === 0) { padded[i - s0] = OUTSIDE; queue[tail++] = i - s0; }
    if (i + s0 < last && padded[i + s0] === 0) { padded[i + s0] = OUTSIDE; queue[tail++] = i + s0; }
    if (i >= p2 && padded[i - p2] === 0) { padded[i - p2] = OUTSIDE; queue[tail++] = i - p2; }
    if (i + p2 < last && padded[i + p2] === 0) { padded[i + p2] = OUTSIDE; queue[tail++] = i + p2; }
    if (i >= 1 && padded[i - 1] === 0) { padded[i - 1] = OUTSIDE; queue[tail++] = i - 1; }
    if (i + 1 < last && padded[i + 1] === 0) { padded[i + 1] = OUTSIDE; queue[tail++] = i + 1; }
  }
  for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) {
    const src = (a + 1) * s0 + (b + 1) * p2 + 1, dst = (a * d1 + b) * d2;
    for (let c = 0; c < d2; c++) mask[dst + c] = padded[src + c] === OUTSIDE ? 0 : 1;
  }
}

/** Tight bounding box of the mask; the whole array when the mask is empty (nothing to crop to). */
export function bboxOfMask(mask: Uint8Array, shape: Shape3): BBox3 {
  const [d0, d1, d2] = shape;
  const lo = [d0, d1, d2], hi = [0, 0, 0];
  let i = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++, i++) {
        if (!mask[i]) continue;
        if (a < lo[0]!) lo[0] = a; if (a + 1 > hi[0]!) hi[0] = a + 1;
        if (b < lo[1]!) lo[1] = b; if (b + 1 > hi[1]!) hi[1] = b + 1;
        if (c < lo[2]!) lo[2] = c; if (c + 1 > hi[2]!) hi[2] = c + 1;
      }
    }
  }
  if (hi[0] === 0) return [[0, d0], [0, d1], [0, d2]];
  return [[lo[0]!, hi[0]!], [lo[1]!, hi[1]!], [lo[2]!, hi[2]!]];
}

export function bboxShape(bbox: BBox3): Shape3 {
  return [bbox[0][1] - bbox[0][0], bbox[1][1] - bbox[1][0], bbox[2][1] - bbox[2][0]];
}

type Typed = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/** Copy the box out of a C-order array (same element type). */
export function cropArray<A extends Typed>(data: A, shape: Shape3, bbox: BBox3): A {
  const out = new (data.constructor as { new (n: number): A })(voxelCount(bboxShape(bbox)));
  const [, d1, d2] = shape;
  let o = 0;
  for (let a = bbox[0][0]; a < bbox[0][1]; a++) {
    for (let b = bbox[1][0]; b < bbox[1][1]; b++) {
      const start = (a * d1 + b) * d2;
      out.set(data.subarray(start + bbox[2][0], start + bbox[2][1]) as never, o);
      o += bbox[2][1] - bbox[2][0];
    }
  }
  return out;
}

/** Inverse of cropArray: a full-size array filled with `fill`, the crop pasted at the box. */
export function pasteCrop<A extends Typed>(crop: A, fullShape: Shape3, bbox: BBox3, fill = 0): A {
  const out = new (crop.constructor as { new (n: number): A })(voxelCount(fullShape));
  if (fill !== 0) out.fill(fill as never);
  const [, d1, d2] = fullShape;
  const w = bbox[2][1] - bbox[2][0];
  let o = 0;
  for (let a = bbox[0][0]; a < bbox[0][1]; a++) {
    for (let b = bbox[1][0]; b < bbox[1][1]; b++) {
      out.set(crop.subarray(o, o + w) as never, (a * d1 + b) * d2 + bbox[2][0]);
      o += w;
    }
  }
  return out;
}

export interface CropResult {
  bbox: BBox3;
  shape: Shape3;
  images: Float32Array[];
  /** Cropped label with -1 where the label is 0 outside the non-zero mask; undefined without a label. */
  label?: Int8Array;
  /** Cropped (filled) non-zero mask. */
  mask: Uint8Array;
}

export function cropToNonzero(images: readonly Float32Array[], shape: Shape3, label?: Int8Array): CropResult {
  const fullMask = nonzeroMask(images, shape);
  const bbox = bboxOfMask(fullMask, shape);
  const mask = cropArray(fullMask, shape, bbox);
  const out: CropResult = { bbox, shape: bboxShape(bbox), images: images.map((im) => cropArray(im, shape, bbox)), mask };
  if (label) {
    const l = cropArray(label, shape, bbox);
    for (let i = 0; i < l.length; i++) if (l[i] === 0 && !mask[i]) l[i] = OUTSIDE_BODY;
    out.label = l;
  }
  return out;
}
