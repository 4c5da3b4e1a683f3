/** Deep-supervision weights and targets matched to each output's resolution. */
import type { Tensor } from '../tensor/index.js';
import { resizeNearestExact } from '../data/augment/resize_nearest.js';

/**
 * nnU-Net v2's weights for n outputs (full resolution first): 1/2^i, the lowest output 0, normalised to
 * sum 1. One output (no deep supervision) weighs 1.
 */
export function deepSupervisionWeights(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`deepSupervisionWeights: need at least one output, got ${n}`);
  const w = Array.from({ length: n }, (_, i) => 1 / 2 ** i);
  if (n > 1) w[n - 1] = 0;
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

const sameSpatial = (t: Tensor, spatial: readonly number[]): boolean => t.shape.slice(2).join() === spatial.join();

/**
 * The target at `spatial` resolution: one of `targets` (the loader's deep-supervision targets) when
 * one matches, else the full-resolution target (targets[0]) resized by nearest-exact, as nnU-Net does.
 */
export function targetAt(targets: readonly Tensor[], spatial: readonly number[]): Tensor {
  const found = targets.find((t) => sameSpatial(t, spatial));
  if (found) return found;
  if (!targets[0]) throw new Error('targetAt: no targets');
  return resizeNearestExact(targets[0], spatial);
}

/** Targets for each output's resolution from the full-resolution label [B, 1, ...] (when no loader made them). */
export function targetsForLogits(label: Tensor, logits: readonly Tensor[]): Tensor[] {
  return logits.map((l) => targetAt([label], l.shape.slice(2)));
}
