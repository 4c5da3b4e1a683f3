/**
 * The nnU-Net v2 training augmentation, in its order: spatial (rotation / scaling, crop to the final
 * patch) -> Gaussian noise -> Gaussian blur -> brightness -> contrast -> low resolution ->
 * inverted gamma -> gamma -> mirroring -> (masking outside the body, for channels normalised inside
 * the non-zero mask), then deep-supervision targets. Every sample of a batch draws
 * its own parameters, in sample order, from one Random: same seed, same batch.
 */
import { type Tensor, cat, tidy, where } from '../../tensor/index.js';
import { OUTSIDE_BODY_IN_BATCH } from '../common/labels.js';
import type { Random } from '../../util/random.js';
import type { Shape3 } from '../../util/triple.js';
import { MultiplicativeBrightness } from './brightness.js';
import { Contrast } from './contrast.js';
import type { Scale3 } from '../../util/triple.js';
import { DEFAULT_DS_SCALES, deepSupervisionTargets } from './deep_supervision.js';
import { Gamma } from './gamma.js';
import { GaussianBlur } from './gaussian_blur.js';
import { GaussianNoise } from './gaussian_noise.js';
import { SimulateLowResolution } from './low_resolution.js';
import { MaskOutside } from './mask_outside.js';
import { Mirror } from './mirror.js';
import { type LabelInterpolation, SpatialTransform } from './spatial.js';
import type { Sample, SampleTransform } from './types.js';

export interface TrainingAugmentOptions {
  /** The patch the network sees. */
  patchSize: Shape3;
  /** Largest rotation per axis, radians (nnU-Net: 30 degrees for 3-D patches). */
  maxRotation?: number;
  mirrorAxes?: number[];
  labelInterpolation?: LabelInterpolation;
  /** Channels normalised inside the non-zero mask only (plan channels[].useMask): zeroed where the label is -1. */
  maskedChannels?: number[];
  /**
   * nnU-Net's dummy 2-D augmentation for strongly anisotropic patches (see `useDummy2d`): rotation
   * only in the slice plane (about axis 0, +-180 degrees), zoom in-plane only, and the
   * low-resolution simulation leaves axis 0 alone. Default: `useDummy2d(patchSize)`.
   */
  dummy2d?: boolean;
}

/** nnU-Net: a 3-D patch whose largest side is over 3x its first (thick-slice) side is augmented slice-wise. */
export function useDummy2d(patchSize: Shape3): boolean {
  return Math.max(...patchSize) / patchSize[0] > 3;
}

export function trainingTransforms(o: TrainingAugmentOptions): SampleTransform[] {
  const dummy2d = o.dummy2d ?? useDummy2d(o.patchSize);
  return [
    dummy2d
      ? new SpatialTransform({
        patchSize: o.patchSize, maxRotation: o.maxRotation ?? Math.PI, labelInterpolation: o.labelInterpolation, rotationAxes: [0], scaleAxes: [1, 2],
      })
      : new SpatialTransform({ patchSize: o.patchSize, maxRotation: o.maxRotation, labelInterpolation: o.labelInterpolation }),
    new GaussianNoise(),
    new GaussianBlur(),
    new MultiplicativeBrightness(),
    new Contrast(),
    new SimulateLowResolution(dummy2d ? { ignoreAxes: [0] } : {}),
    new Gamma({ invert: true }),
    new Gamma({ invert: false }),
    new Mirror({ axes: o.mirrorAxes }),
    ...(o.maskedChannels?.length ? [new MaskOutside(o.maskedChannels)] : []),
  ] as SampleTransform[];
}

/** What was applied to one sample: transform name -> drawn parameters (skipped transforms are absent). */
export type AppliedParams = Record<string, unknown>;

export interface AugmentedBatch {
  /** [B, C, ...patch] float32. */
  image: Tensor;
  /** Deep-supervision targets, int64 [B, 1, ...patch * scale] each, -1 = ignore. */
  target: Tensor[];
  applied: AppliedParams[];
}

/**
 * Augments image [B, C, ...] (float32) and label [B, 1, ...] (any integer or float dtype) and
 * builds the deep-supervision targets. Inputs are not modified; outputs belong to the caller's scope.
 * With no transforms this is the validation path (targets only).
 */
export function augmentBatch(
  image: Tensor, label: Tensor, transforms: readonly SampleTransform[], rng: Random, dsScales: readonly Scale3[] = DEFAULT_DS_SCALES,
): AugmentedBatch {
  const applied: AppliedParams[] = [];
  const out = tidy(() => {
    const batch = image.shape[0]!;
    const images: Tensor[] = [], labels: Tensor[] = [];
    for (let b = 0; b < batch; b++) {
      // The label keeps its dtype (int8 from the loader) until a transform needs floats: converting
      // the whole enlarged crop would cost more than the crop-only path of most samples.
      let s: Sample = { image: image.narrow(0, b, 1), label: label.narrow(0, b, 1) };
      const record: AppliedParams = {};
      for (const t of transforms) {
        const p = t.draw(rng, { channels: s.image.shape[1]!, spatial: s.image.shape.slice(2) as Shape3 });
        if (p === null) continue;
        record[t.name] = p;
        s = t.apply(s, p);
      }
      applied.push(record);
      images.push(s.image);
      labels.push(s.label.to('int8')); // classes fit int8; downsampling 1-byte labels is cheapest
    }
    // cat copies even a single tensor, so the outputs never alias the inputs.
    // Outside the body is background for the loss; padding (-1) stays ignored.
    const raw = cat(labels, 0);
    const labelBatch = where(raw.eq(OUTSIDE_BODY_IN_BATCH), 0, raw);
    return { image: cat(images, 0), target: deepSupervisionTargets(labelBatch, dsScales).map((t) => t.to('int64')) };
  });
  return { ...out, applied };
}
