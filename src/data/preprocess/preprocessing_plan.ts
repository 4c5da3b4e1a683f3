/**
 * What preprocessing reads from a plan. The full plan (plan/plan.ts) has these fields and more (dataset
 * facts, training geometry); preprocessing depends only on this part, so the plan stage above it can
 * build on preprocessing's operations (crop, normalisation, resampling) without a cycle.
 */
import { createHash } from 'node:crypto';
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

/**
 * Hash of the plan fields that determine preprocessed data. Editing the patch or batch size keeps the
 * hash (the data stays valid); editing spacing, normalisation, resampling or labels changes it.
 */
export function planHash<P extends PreprocessingPlan>(plan: P): string {
  const relevant = {
    version: plan.version,
    labels: plan.labels,
    channels: plan.channels.map((c) => ({ scheme: c.scheme, useMask: c.useMask, intensity: c.scheme === 'CT' ? c.intensity : null })),
    transposeForward: plan.transposeForward,
    targetSpacing: plan.targetSpacing,
    resampling: plan.resampling,
    foregroundSampling: plan.foregroundSampling,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/** Foreground class values (everything but background 0). */
export function foregroundClasses(plan: Pick<PreprocessingPlan, 'labels'>): number[] {
  return plan.labels.map((l) => l.value).filter((v) => v !== 0).sort((a, b) => a - b);
}
