/**
 * Where the sliding windows go (nnU-Net v2's compute_steps_for_sliding_window and pad_nd_image):
 * - an image smaller than the patch along an axis is padded with zeros to the patch size, the
 *   padding split as floor(diff / 2) before and the rest after;
 * - along each axis, n = ceil((size - patch) / (patch * step)) + 1 windows, starting at
 *   round(i * (size - patch) / (n - 1)) (numpy rounding: half to even), so the first window starts
 *   at 0, the last ends at the border, and neighbours overlap at least (1 - step) of the patch;
 * - windows are visited axis 0 outermost, axis 2 innermost.
 */
import type { Shape3 } from '../util/triple.js';
import { roundHalfEven } from '../data/common/round.js';

/** Start offsets per axis. `imageSize` must be at least `patch` on every axis (pad first). */
export function computeSteps(imageSize: readonly number[], patch: readonly number[], step: number): number[][] {
  if (!(step > 0 && step <= 1)) throw new Error(`sliding window step must be in (0, 1], got ${step}`);
  return patch.map((p, a) => {
    const size = imageSize[a]!;
    if (size < p) throw new Error(`sliding window: image size ${imageSize.join('x')} is smaller than the patch ${patch.join('x')} (pad it first)`);
    const n = Math.ceil((size - p) / (p * step)) + 1;
    const last = size - p;
    const stride = n > 1 ? last / (n - 1) : 0;
    return Array.from({ length: n }, (_, i) => roundHalfEven(stride * i));
  });
}

export interface Padding {
  /** Zeros added before the image, per axis. */
  before: Shape3;
  /** Zeros added after the image, per axis. */
  after: Shape3;
  /** The padded shape (at least the patch on every axis). */
  shape: Shape3;
}

/** pad_nd_image: pad up to the patch where the image is smaller, half before (rounded down), half after. */
export function paddingFor(shape: Shape3, patch: Shape3): Padding {
  const before = [0, 0, 0] as Shape3, after = [0, 0, 0] as Shape3, padded = [...shape] as Shape3;
  for (let a = 0; a < 3; a++) {
    const diff = Math.max(0, patch[a]! - shape[a]!);
    before[a] = Math.floor(diff / 2);
    after[a] = diff - before[a]!;
    padded[a] = shape[a]! + diff;
  }
  return { before, after, shape: padded };
}

/** Every window's start [z, y, x] over the padded image, in nnU-Net's visiting order. */
export function windowStarts(paddedShape: Shape3, patch: Shape3, step: number): Shape3[] {
  const [s0, s1, s2] = computeSteps(paddedShape, patch, step) as [number[], number[], number[]];
  const out: Shape3[] = [];
  for (const a of s0) for (const b of s1) for (const c of s2) out.push([a, b, c]);
  return out;
}

/**
 * The mirroring test-time augmentation: no flip plus every non-empty combination of the allowed
 * spatial axes (itertools.combinations by size, in order), as nnU-Net's
 * _internal_maybe_mirror_and_predict. With no axes only the plain prediction remains.
 */
export function mirrorCombinations(axes: readonly number[]): number[][] {
  const sorted = [...new Set(axes)];
  const out: number[][] = [[]];
  const choose = (k: number, from: number, acc: number[]): void => {
    if (acc.length === k) { out.push([...acc]); return; }
    for (let i = from; i < sorted.length; i++) { acc.push(sorted[i]!); choose(k, i + 1, acc); acc.pop(); }
  };
  for (let k = 1; k <= sorted.length; k++) choose(k, 0, []);
  return out;
}
