/**
 * What preprocessing reads from a plan. The full plan (plan/plan.ts) has these fields and more (dataset
 * facts, training geometry); preprocessing depends only on this part, so the plan stage above it can
 * build on preprocessing's operations (crop, normalisation, resampling) without a cycle.
 */
import type { Axes3, Spacing3 } from '../../util/triple.js';
import type { ForegroundSampling } from './foreground_locations.js';
import type { ChannelNormalization } from './normalize.js';
import type { ResamplingPlan } from './resample.js';

export interface PreprocessingPlan {
  version: number;
  labels: readonly { name: string; value: number }[];
  channels: readonly ChannelNormalization[];
  transposeForward: Axes3;
  transposeBackward: Axes3;
  /** Voxel spacing (mm) every case is resampled to. */
  targetSpacing: Spacing3;
  resampling: ResamplingPlan;
  foregroundSampling: ForegroundSampling;
}

/** Foreground class values (everything but background 0). */
export function foregroundClasses(plan: Pick<PreprocessingPlan, 'labels'>): number[] {
  return plan.labels.map((l) => l.value).filter((v) => v !== 0).sort((a, b) => a - b);
}
