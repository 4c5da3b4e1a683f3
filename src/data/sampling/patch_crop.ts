/**
 * Crop a box out of a C-order [C, d0, d1, d2] volume where the box may reach outside it: the part
 * outside is filled with a constant (nnU-Net's crop_and_pad_nd: image 0, label -1). Rows along the
 * fastest axis are block-copied, so a 128^3 patch costs a few milliseconds.
 */
import type { Vec3 } from '../../util/triple.js';

/** Half-open box per spatial axis; lo may be negative and hi may exceed the volume. */
export interface PatchBox { lo: Vec3; hi: Vec3 }

type Voxels = Float32Array | Int8Array | Uint8Array;

/**
 * Copies `box` of every channel of `src` (shape [channels, ...spatial]) into `dst` starting at
 * `dstOffset`; `dst` must already hold `fill` where the box is outside the volume (we only write
 * the overlapping part, so callers fill once for a whole batch).
 */
export function cropInto(src: Voxels, channels: number, spatial: Vec3, box: PatchBox, dst: Voxels, dstOffset: number): void {
  const [d0, d1, d2] = spatial;
  const p0 = box.hi[0] - box.lo[0], p1 = box.hi[1] - box.lo[1], p2 = box.hi[2] - box.lo[2];
  const a0 = Math.max(0, box.lo[0]), a1 = Math.min(d0, box.hi[0]);
  const b0 = Math.max(0, box.lo[1]), b1 = Math.min(d1, box.hi[1]);
  const c0 = Math.max(0, box.lo[2]), c1 = Math.min(d2, box.hi[2]);
  if (a0 >= a1 || b0 >= b1 || c0 >= c1) return; // no overlap: all fill
  const n = d0 * d1 * d2, pn = p0 * p1 * p2;
  for (let ch = 0; ch < channels; ch++) {
    const srcBase = ch * n, dstBase = dstOffset + ch * pn;
    for (let a = a0; a < a1; a++) {
      for (let b = b0; b < b1; b++) {
        const s = srcBase + (a * d1 + b) * d2;
        const d = dstBase + ((a - box.lo[0]) * p1 + (b - box.lo[1])) * p2 + (c0 - box.lo[2]);
        dst.set(src.subarray(s + c0, s + c1) as never, d);
      }
    }
  }
}

export function boxSize(box: PatchBox): Vec3 {
  return [box.hi[0] - box.lo[0], box.hi[1] - box.lo[1], box.hi[2] - box.lo[2]];
}
