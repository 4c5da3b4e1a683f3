/**
 * The augmentation unit (MONAI-style "randomizable" transform, nnU-Net v2 semantics): a transform
 * first draws one sample's parameters from an explicit Random, then applies exactly those. Drawing
 * and applying are separate so parameters can be logged, inspected and replayed, and so the same
 * seed always gives the same batch. Transforms work on one sample at a time, as nnU-Net does, with a
 * leading batch dim of 1 because libtorch's conv3d / interpolate / gridSample want 5-D input.
 */
import type { Tensor } from '../../tensor/index.js';
import type { Shape3 } from '../../util/triple.js';
import type { Random } from '../../util/random.js';

/** One sample: image [1, C, d0, d1, d2] float32; label [1, 1, d0, d1, d2] of integer classes (-1 = ignore), any integer or float dtype. */
export interface Sample {
  image: Tensor;
  label: Tensor;
}

/** What a transform may look at when drawing parameters. */
export interface SampleInfo {
  channels: number;
  spatial: Shape3;
}

export interface SampleTransform<P = unknown> {
  readonly name: string;
  /** This sample's parameters, or null when the transform is skipped for it (apply probability). */
  draw(rng: Random, info: SampleInfo): P | null;
  /** Applies drawn parameters; returns new tensors (inputs are left untouched). */
  apply(sample: Sample, params: P): Sample;
}

/** nnU-Net's BGContrast: with probability 0.5 (when lo < 1) a factor in [lo, 1), else in [max(lo, 1), hi). */
export function drawAroundOne(rng: Random, [lo, hi]: readonly [number, number]): number {
  if (lo < 1 && rng.bool(0.5)) return rng.uniform(lo, 1);
  return rng.uniform(Math.max(lo, 1), hi);
}

/** Per-channel decision: for each channel, `draw()` with probability p, else null (skipped channel). */
export function drawPerChannel<T>(rng: Random, channels: number, p: number, draw: () => T): (T | null)[] {
  const apply = Array.from({ length: channels }, () => rng.bool(p));
  return apply.map((on) => (on ? draw() : null));
}
