/**
 * Per-class foreground locations for oversampling during training (nnU-Net's
 * _sample_foreground_locations): for every foreground class present, up to 10000 of its voxels drawn
 * without replacement, but never fewer than 1% of them (so large structures stay well covered).
 * Stored as flat C-order indices into the preprocessed array (sorted, seeded).
 */
import { Random } from '../../util/random.js';
import { sampleWithoutReplacement } from '../common/draws.js';

export interface ForegroundSampling { samplesPerClass: number; minCoverage: number; seed: number }

export const DEFAULT_FOREGROUND_SAMPLING: ForegroundSampling = { samplesPerClass: 10000, minCoverage: 0.01, seed: 1234 };

/** class value -> sorted flat indices; classes absent from the label map get an empty array. */
export function sampleForegroundLocations(label: Int8Array, classes: readonly number[], s: ForegroundSampling = DEFAULT_FOREGROUND_SAMPLING): Map<number, Uint32Array> {
  const rng = new Random(s.seed);
  const out = new Map<number, Uint32Array>();
  for (const cls of classes) {
    let count = 0;
    for (let i = 0; i < label.length; i++) if (label[i] === cls) count++;
    const all = new Uint32Array(count);
    for (let i = 0, j = 0; i < label.length; i++) if (label[i] === cls) all[j++] = i;
    const k = Math.min(count, Math.max(Math.min(s.samplesPerClass, count), Math.ceil(count * s.minCoverage)));
    out.set(cls, k === count ? all : sampleWithoutReplacement(count, k, rng).map((j) => all[j]!));
  }
  return out;
}
