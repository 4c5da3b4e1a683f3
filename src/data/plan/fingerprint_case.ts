/**
 * The fingerprint of one case (nnU-Net v2 DatasetFingerprintExtractor.analyze_case): its spacing, its
 * shape after cropping to non-zero and how much the crop removed, per-image intensity statistics, and
 * per channel a seeded sample of its foreground (label > 0) intensities, drawn with replacement and
 * kept in (value, count) form (common/stats.ts). Runs in worker threads (fingerprint_worker.ts) or inline.
 * All geometry is in C-order array axes (reversed NIfTI axes), before any transpose.
 */
import type { Shape3, Spacing3 } from '../../util/triple.js';
import { voxelCount } from '../../util/triple.js';
import type { WeightedSample } from '../common/stats.js';
import { meanStd } from '../common/stats.js';
import { drawCountsWithReplacement } from '../common/draws.js';
import { type CaseFiles, type LoadedCase, loadCase } from '../dataset/case_reader.js';
import { cropToNonzero } from '../preprocess/crop.js';
import { normalizationMask } from '../preprocess/normalize.js';
import { Random } from '../../util/random.js';

/** Per-image statistics a per-image z-score would use, with and without the normalisation mask. */
export interface ChannelCaseStats { meanAll: number; stdAll: number; meanMask: number; stdMask: number }

export interface CaseFingerprint {
  id: string;
  spacing: Spacing3;
  shapeBeforeCrop: Shape3;
  shapeAfterCrop: Shape3;
  relativeSizeAfterCrop: number;
  foregroundVoxels: number;
  channels: ChannelCaseStats[];
}

/** A case's fingerprint plus its foreground samples per channel (kept in memory only). */
export interface CaseFingerprintWithSamples { fingerprint: CaseFingerprint; samples: WeightedSample[] }

export interface FingerprintTask { case: CaseFiles; channels: number; samplesPerCase: number; seed: number }

export function fingerprintCase(c: LoadedCase, samplesPerCase: number, seed: number): CaseFingerprintWithSamples {
  if (!c.label) throw new Error('the fingerprint needs a label map'); // the pool's task names the case
  const crop = cropToNonzero(c.images, c.shape, c.label);
  const label = crop.label!;
  const normMask = normalizationMask(crop.mask, label);
  const fg: number[] = [];
  for (let i = 0; i < label.length; i++) if (label[i]! > 0) fg.push(i);
  // As nnU-Net's collect_foreground_intensities: a generator seeded with `seed` for each case (the same
  // seed for every case), from which each channel in turn draws its own samplesPerCase foreground voxels
  // with replacement. Our generator is not numpy's, so the draws differ; the statistics do not.
  const rng = new Random(seed);
  const samples: WeightedSample[] = crop.images.map((im) => {
    const counts = drawCountsWithReplacement(fg.length, samplesPerCase, rng);
    let kept = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i]) kept++;
    const values = new Float32Array(kept), cnt = new Uint32Array(kept);
    for (let i = 0, j = 0; i < counts.length; i++) if (counts[i]) { values[j] = im[fg[i]!]!; cnt[j++] = counts[i]!; }
    return { values, counts: cnt };
  });
  const channels = crop.images.map((im) => {
    const all = meanStd(im), masked = meanStd(im, normMask);
    return { meanAll: all.mean, stdAll: all.std, meanMask: masked.mean, stdMask: masked.std };
  });
  return {
    fingerprint: {
      id: c.id,
      spacing: c.spacing,
      shapeBeforeCrop: c.shape,
      shapeAfterCrop: crop.shape,
      relativeSizeAfterCrop: voxelCount(crop.shape) / voxelCount(c.shape),
      foregroundVoxels: fg.length,
      channels,
    },
    samples,
  };
}

export async function runFingerprintTask(t: FingerprintTask): Promise<CaseFingerprintWithSamples> {
  return fingerprintCase(await loadCase(t.case, t.channels), t.samplesPerCase, t.seed);
}
