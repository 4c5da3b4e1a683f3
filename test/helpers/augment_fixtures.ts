/** Synthetic volumes for the sampling / augmentation tests. */
import type { Shape3 } from '../../src/util/triple.js';
import type { CaseArrays } from '../../src/data/sampling/patch_sampler.js';

/** A smooth, off-centre, anisotropic blob in (0, 1]: rotations and flips visibly move it. */
export function blobVolume(shape: Shape3, centre: [number, number, number] = [0.4, 0.55, 0.45], radii: [number, number, number] = [0.3, 0.18, 0.24]): Float32Array {
  const [d0, d1, d2] = shape;
  const out = new Float32Array(d0 * d1 * d2);
  let i = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++, i++) {
        const u = (a / d0 - centre[0]) / radii[0], v = (b / d1 - centre[1]) / radii[1], w = (c / d2 - centre[2]) / radii[2];
        out[i] = Math.exp(-(u * u + v * v + w * w));
      }
    }
  }
  return out;
}

export function threshold(x: ArrayLike<number>, t: number): Int8Array {
  return Int8Array.from({ length: x.length }, (_, i) => (x[i]! > t ? 1 : 0));
}

export function dice(a: ArrayLike<number>, b: ArrayLike<number>, cls = 1): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === cls, y = b[i] === cls;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

export function distinct(x: ArrayLike<number> | BigInt64Array): number[] {
  return [...new Set(Array.from(x as ArrayLike<number>, Number))].sort((p, q) => p - q);
}

/** A case whose label is the thresholded blob (class 1) plus a small class-2 cube, with locations of every class voxel. */
export function blobCase(key: string, shape: Shape3, channels = 1): CaseArrays {
  const blob = blobVolume(shape);
  const n = blob.length;
  const label = threshold(blob, 0.5);
  const [, d1, d2] = shape;
  for (let a = 1; a < 3; a++) for (let b = 1; b < 3; b++) for (let c = 1; c < 3; c++) label[(a * d1 + b) * d2 + c] = 2;
  const image = new Float32Array(channels * n);
  for (let ch = 0; ch < channels; ch++) for (let i = 0; i < n; i++) image[ch * n + i] = blob[i]! * (ch + 1);
  const locs = (cls: number): Int32Array => Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => label[i] === cls));
  return { key, image, label, shape: [channels, ...shape], classLocations: new Map([[1, locs(1)], [2, locs(2)], [3, new Int32Array(0)]]) };
}
