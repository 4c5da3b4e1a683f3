/** The hash that tells whether preprocessed data still matches a plan (Node's crypto: not in the browser's path). */
import { createHash } from 'node:crypto';
import type { PreprocessingPlan } from './preprocessing_plan.js';

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
