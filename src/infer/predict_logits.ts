/**
 * Sliding-window prediction on a preprocessed case (nnU-Net v2's predict_sliding_window_return_logits):
 * pad to the patch where needed, run the network on every window (optionally averaged over the
 * mirrored copies), weight each window's logits with the Gaussian importance map, accumulate on the
 * padded grid in float32 and divide by the summed weights, then remove the padding.
 *
 * Memory is bounded by the image, the accumulator ([classes, ...image] float32) and one forward of at
 * most `windowsPerForward` windows: each forward (each mirrored copy) runs in its own scope, so its
 * intermediate tensors are freed before the next one starts.
 */
import type { Shape3 } from '../util/triple.js';
import { voxelCount } from '../util/triple.js';
import { type Device, F, type Tensor, inferenceMode, stack, tensor, tidy, zeros } from '../tensor/index.js';
import { gaussianImportanceMap } from './gaussian.js';
import type { InferenceNetwork } from './model_folder.js';
import { mirrorCombinations, paddingFor, windowStarts } from './sliding_window.js';

export interface SlidingWindowOptions {
  patchSize: Shape3;
  numClasses: number;
  /** Window step as a fraction of the patch, in (0, 1] (default 0.5). */
  step?: number;
  /** Spatial axes (0..2) for the mirroring test-time augmentation; [] switches it off. */
  mirrorAxes?: readonly number[];
  /** Windows per network forward (default 1). */
  windowsPerForward?: number;
  device?: Device;
  /** Called after each forward batch with the windows done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface SlidingWindowResult {
  /** One C-order array per class, the image's shape. */
  logits: Float32Array[];
  windows: number;
  forwards: number;
}

/** The concatenated channels as a [C, ...shape] tensor on `device`. */
function imageTensor(images: readonly Float32Array[], shape: Shape3, device: Device): Tensor {
  const n = voxelCount(shape);
  const all = new Float32Array(n * images.length);
  images.forEach((im, c) => {
    if (im.length !== n) throw new Error(`sliding window: channel ${c} has ${im.length} voxels, the image ${shape.join('x')}`);
    all.set(im, c * n);
  });
  const t = tensor(all, [images.length, ...shape]);
  return device === 'cpu' ? t : t.toDevice(device);
}

/** t[..., a:a+p0, b:b+p1, c:c+p2] over the last three dims (a view). */
function window(t: Tensor, start: Shape3, patch: Shape3): Tensor {
  const d = t.rank - 3;
  return t.narrow(d, start[0], patch[0]).narrow(d + 1, start[1], patch[1]).narrow(d + 2, start[2], patch[2]);
}

export function predictSlidingWindow(network: InferenceNetwork, images: readonly Float32Array[], shape: Shape3, o: SlidingWindowOptions): SlidingWindowResult {
  const patch = o.patchSize, step = o.step ?? 0.5, device = o.device ?? 'cpu';
  const perForward = o.windowsPerForward ?? 1;
  if (!Number.isInteger(perForward) || perForward < 1) throw new Error(`windowsPerForward must be a positive integer, got ${perForward}`);
  const pad = paddingFor(shape, patch);
  const starts = windowStarts(pad.shape, patch, step);
  const combos = mirrorCombinations(o.mirrorAxes ?? []).map((axes) => axes.map((a) => a + 2));
  const K = o.numClasses;
  network.eval();
  let forwards = 0;
  const logits = inferenceMode(() => tidy(() => {
    const raw = imageTensor(images, shape, device);
    // F.pad lists (before, after) from the last dim
    const x = pad.shape.every((n, a) => n === shape[a]) ? raw
      : F.pad(raw, [pad.before[2], pad.after[2], pad.before[1], pad.after[1], pad.before[0], pad.after[0]], 'constant', 0);
    if (x !== raw) raw.dispose(); // only the padded copy is needed from here on
    const gaussian = tensor(gaussianImportanceMap(patch), patch).toDevice(device);
    const acc = zeros([K, ...pad.shape], { device });
    const weight = zeros(pad.shape, { device });
    for (let first = 0; first < starts.length; first += perForward) {
      const batch = starts.slice(first, first + perForward);
      tidy(() => {
        const input = stack(batch.map((s) => window(x, s, patch)));
        const sum = zeros([batch.length, K, ...patch], { device });
        for (const dims of combos) {
          // one scope per forward: the network's intermediates are freed before the next mirrored copy runs
          tidy(() => {
            const out = network.forward(dims.length ? input.flip(dims) : input).logits[0];
            if (!out) throw new Error('the network returned no logits');
            const expect = [batch.length, K, ...patch];
            if (out.shape.join() !== expect.join()) throw new Error(`the network returned logits [${out.shape}], expected [${expect}] (classes from the plan)`);
            sum.add_(dims.length ? out.flip(dims) : out);
          });
          forwards++;
        }
        // nnU-Net: mean over the mirrored predictions, then times the Gaussian
        const weighted = sum.mul_(gaussian.div(combos.length));
        batch.forEach((s, b) => {
          window(acc, s, patch).add_(weighted.select(0, b));
          window(weight, s, patch).add_(gaussian);
        });
      });
      o.onProgress?.(Math.min(first + perForward, starts.length), starts.length);
    }
    const cropped = window(acc.div_(weight), pad.before, shape);
    return cropped.contiguous().toTypedArray<'float32'>();
  }));
  const n = voxelCount(shape);
  return { logits: Array.from({ length: K }, (_, c) => logits.subarray(c * n, (c + 1) * n)), windows: starts.length, forwards };
}
