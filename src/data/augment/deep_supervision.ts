/**
 * Deep-supervision targets (nnU-Net v2 DownsampleSegForDSTransform): the label at every decoder
 * output's resolution, by nearest-exact downsampling to round(size * scale), so every target holds
 * only original label values. Scales are per axis; nnU-Net derives them from the pooling kernels
 * (1 / cumulative product), e.g. [1, 1/2, 1/4, 1/8] for isotropic pooling.
 */
import type { Tensor } from '../../tensor/index.js';
import { roundHalfEven } from '../common/round.js';
import { resizeNearestExact } from './resize_nearest.js';

import type { Scale3 } from '../../util/triple.js';

export const DEFAULT_DS_SCALES: Scale3[] = [[1, 1, 1], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.125, 0.125, 0.125]];

/** nnU-Net's _get_deep_supervision_scales: 1 / cumprod(pooling strides), one entry per decoder output but the last. */
export function deepSupervisionScales(poolingStrides: readonly (readonly number[])[]): Scale3[] {
  const scales: Scale3[] = [];
  let acc: Scale3 = [1, 1, 1];
  for (const s of poolingStrides) {
    acc = acc.map((a, i) => a * s[i]!) as Scale3;
    scales.push(acc.map((a) => 1 / a) as Scale3);
  }
  return scales.slice(0, -1);
}

/** label [B, 1, ...spatial] -> one target per scale (the first is the label itself when the scale is 1). */
export function deepSupervisionTargets(label: Tensor, scales: readonly Scale3[]): Tensor[] {
  const spatial = label.shape.slice(2);
  return scales.map((s) => resizeNearestExact(label, spatial.map((n, i) => Math.max(1, roundHalfEven(n * s[i]!)))));
}
