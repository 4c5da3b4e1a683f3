/**
 * Sliding-window prediction on a preprocessed case (nnU-Net v2's predict_sliding_window_return_logits),
 * on typed arrays around a pluggable network forward (window_forward.ts): pad to the patch where needed,
 * run the network on every window (optionally averaged over the mirrored copies), weight each window's
 * logits with the Gaussian importance map, accumulate on the padded grid in float32 and divide by the
 * summed weights, then remove the padding.
 *
 * Memory is the padded image, the accumulator ([classes, ...padded] float32) and one forward of at most
 * `windowsPerForward` windows.
 */
import type { Shape3 } from '../util/triple.js';
import { voxelCount } from '../util/triple.js';
import { gaussianImportanceMap } from './gaussian.js';
import { mirrorCombinations, paddingFor, windowStarts } from './sliding_window.js';
import type { WindowForward } from './window_forward.js';

export interface SlidingWindowOptions {
  patchSize: Shape3;
  numClasses: number;
  /** Window step as a fraction of the patch, in (0, 1] (default 0.5). */
  step?: number;
  /** Spatial axes (0..2) for the mirroring test-time augmentation; [] switches it off. */
  mirrorAxes?: readonly number[];
  /** Windows per network forward (default 1). */
  windowsPerForward?: number;
  /**
   * Called after each network forward with the forwards done so far and the total (window batches times
   * mirrorings): a case that fits in one window still moves a progress bar, eight times with mirroring.
   */
  onProgress?: (done: number, total: number) => void;
}

export interface SlidingWindowResult {
  /** One C-order array per class, the image's shape. */
  logits: Float32Array[];
  windows: number;
  forwards: number;
}

/** Each channel zero-padded to `pad.shape` (the arrays themselves when there is no padding). */
function padChannels(images: readonly Float32Array[], shape: Shape3, pad: ReturnType<typeof paddingFor>): Float32Array[] {
  const n = voxelCount(shape);
  images.forEach((im, c) => {
    if (im.length !== n) throw new Error(`sliding window: channel ${c} has ${im.length} voxels, the image ${shape.join('x')}`);
  });
  if (pad.shape.every((s, a) => s === shape[a])) return [...images];
  const [, P1, P2] = pad.shape, [S0, S1, S2] = shape, [b0, b1, b2] = pad.before;
  return images.map((im) => {
    const out = new Float32Array(voxelCount(pad.shape));
    for (let a = 0; a < S0; a++) for (let b = 0; b < S1; b++) {
      out.set(im.subarray((a * S1 + b) * S2, (a * S1 + b + 1) * S2), ((a + b0) * P1 + b + b1) * P2 + b2);
    }
    return out;
  });
}

/** Copies the window at `start` of every channel into `out` at `offset` ([C, ...patch]). */
function gatherWindow(channels: readonly Float32Array[], padded: Shape3, start: Shape3, patch: Shape3, out: Float32Array, offset: number): void {
  const [, P1, P2] = padded, [p0, p1, p2] = patch;
  let o = offset;
  for (const ch of channels) {
    for (let a = 0; a < p0; a++) for (let b = 0; b < p1; b++, o += p2) {
      const i = ((start[0] + a) * P1 + start[1] + b) * P2 + start[2];
      out.set(ch.subarray(i, i + p2), o);
    }
  }
}

/**
 * `blocks` consecutive C-order volumes of shape `patch`, each flipped along the spatial `axes` (0..2).
 * A flip is its own inverse: the same call flips the network's output back.
 */
export function flipVolumes(src: Float32Array, blocks: number, patch: Shape3, axes: readonly number[]): Float32Array {
  if (!axes.length) return src;
  const [P0, P1, P2] = patch, vol = P0 * P1 * P2;
  const f0 = axes.includes(0), f1 = axes.includes(1), f2 = axes.includes(2);
  const out = new Float32Array(src.length);
  for (let n = 0; n < blocks; n++) {
    const base = n * vol;
    for (let a = 0; a < P0; a++) {
      const sa = f0 ? P0 - 1 - a : a;
      for (let b = 0; b < P1; b++) {
        const from = base + (sa * P1 + (f1 ? P1 - 1 - b : b)) * P2, to = base + (a * P1 + b) * P2;
        if (f2) for (let c = 0; c < P2; c++) out[to + c] = src[from + P2 - 1 - c]!;
        else out.set(src.subarray(from, from + P2), to);
      }
    }
  }
  return out;
}

/** The network forwards a case takes (window batches times mirrorings): the total that `onProgress` counts to. */
export function slidingWindowForwards(shape: Shape3, o: Pick<SlidingWindowOptions, 'patchSize' | 'step' | 'mirrorAxes' | 'windowsPerForward'>): number {
  const windows = windowStarts(paddingFor(shape, o.patchSize).shape, o.patchSize, o.step ?? 0.5).length;
  return Math.ceil(windows / (o.windowsPerForward ?? 1)) * mirrorCombinations(o.mirrorAxes ?? []).length;
}

export async function predictSlidingWindow(forward: WindowForward, images: readonly Float32Array[], shape: Shape3, o: SlidingWindowOptions): Promise<SlidingWindowResult> {
  const patch = o.patchSize, step = o.step ?? 0.5, K = o.numClasses, C = images.length;
  const perForward = o.windowsPerForward ?? 1;
  if (!Number.isInteger(perForward) || perForward < 1) throw new Error(`windowsPerForward must be a positive integer, got ${perForward}`);
  const pad = paddingFor(shape, patch);
  const starts = windowStarts(pad.shape, patch, step);
  const combos = mirrorCombinations(o.mirrorAxes ?? []);
  const x = padChannels(images, shape, pad);
  const P = voxelCount(patch), N = voxelCount(pad.shape);
  // nnU-Net: the mean over the mirrored predictions, times the Gaussian
  const gaussian = gaussianImportanceMap(patch);
  const scaled = gaussian.map((g) => g / combos.length);
  const acc = Array.from({ length: K }, () => new Float32Array(N));
  const weight = new Float32Array(N);
  const [, Q1, Q2] = pad.shape, [p0, p1, p2] = patch;
  const totalForwards = slidingWindowForwards(shape, o);
  let forwards = 0;
  for (let first = 0; first < starts.length; first += perForward) {
    const batch = starts.slice(first, first + perForward), B = batch.length;
    const input = new Float32Array(B * C * P);
    batch.forEach((s, b) => gatherWindow(x, pad.shape, s, patch, input, b * C * P));
    const sum = new Float32Array(B * K * P);
    for (const axes of combos) {
      const out = await forward.run(flipVolumes(input, B * C, patch, axes), [B, C, ...patch]);
      if (out.length !== B * K * P) {
        throw new Error(`the network returned ${out.length} values for ${B} window(s) of ${patch.join('x')}, expected ${K} classes `
          + `(logits [${[B, K, ...patch]}], classes from the plan)`);
      }
      const back = flipVolumes(out, B * K, patch, axes);
      for (let i = 0; i < sum.length; i++) sum[i] += back[i]!;
      forwards++;
      o.onProgress?.(forwards, totalForwards);
    }
    batch.forEach((s, b) => {
      for (let a = 0, j = 0; a < p0; a++) for (let bb = 0; bb < p1; bb++) {
        const row = ((s[0] + a) * Q1 + s[1] + bb) * Q2 + s[2];
        for (let c = 0; c < p2; c++, j++) {
          const g = scaled[j]!;
          for (let k = 0; k < K; k++) acc[k]![row + c] += sum[(b * K + k) * P + j]! * g;
          weight[row + c] += gaussian[j]!;
        }
      }
    });
  }
  const [S0, S1, S2] = shape, [b0, b1, b2] = pad.before;
  const logits = acc.map((ch) => {
    const out = new Float32Array(voxelCount(shape));
    for (let a = 0, i = 0; a < S0; a++) for (let b = 0; b < S1; b++) {
      const row = ((a + b0) * Q1 + b + b1) * Q2 + b2;
      for (let c = 0; c < S2; c++, i++) out[i] = ch[row + c]! / weight[row + c]!;
    }
    return out;
  });
  return { logits, windows: starts.length, forwards };
}
