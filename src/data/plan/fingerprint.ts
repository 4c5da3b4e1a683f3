/**
 * Dataset fingerprint (nnU-Net v2 DatasetFingerprintExtractor): per case the spacing, the shape after
 * cropping to non-zero and how much the crop removed; per channel the foreground intensity statistics
 * from a seeded sample of foreground (label > 0) voxels, drawn with replacement, 10e7 / num_cases per
 * case so every case weighs the same. Samples are kept in (value, count) form (see common/stats.ts).
 * All geometry is in C-order array axes (reversed NIfTI axes), before any transpose.
 */
import { availableParallelism } from 'node:os';
import type { Shape3, Spacing3 } from '../common/triple.js';
import { voxelCount } from '../common/triple.js';
import type { CaseFiles, LoadedCase } from '../dataset/case_reader.js';
import { cropToNonzero } from '../preprocess/crop.js';
import { normalizationMask } from '../preprocess/normalize.js';
import { Random } from '../../util/random.js';
import { drawCountsWithReplacement, seedFor } from '../common/draws.js';
import type { IntensityStats, WeightedSample } from '../common/stats.js';
import { concatSamples, meanStd, weightedStats } from '../common/stats.js';
import { runPool } from '../../util/worker_pool.js';

/** nnU-Net's num_foreground_voxels_for_intensitystats. */
export const DEFAULT_FOREGROUND_SAMPLES = 10e7;
export const DEFAULT_FINGERPRINT_SEED = 1234;

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

export interface Fingerprint {
  version: 1;
  numCases: number;
  samplesPerCase: number;
  seed: number;
  medianRelativeSizeAfterCropping: number;
  foregroundIntensityPropertiesPerChannel: IntensityStats[];
  cases: CaseFingerprint[];
}

/** A case's fingerprint plus its foreground samples per channel (kept in memory only). */
export interface CaseFingerprintWithSamples { fingerprint: CaseFingerprint; samples: WeightedSample[] }

export function fingerprintCase(c: LoadedCase, samplesPerCase: number, seed: number): CaseFingerprintWithSamples {
  if (!c.label) throw new Error(`case ${c.id}: the fingerprint needs a label map`);
  const crop = cropToNonzero(c.images, c.shape, c.label);
  const label = crop.label!;
  const normMask = normalizationMask(crop.mask, label);
  const fg: number[] = [];
  for (let i = 0; i < label.length; i++) if (label[i]! > 0) fg.push(i);
  const rng = new Random(seedFor(seed, c.id));
  // One draw of voxel indices shared by all channels, as nnU-Net draws per channel from the same mask.
  const counts = drawCountsWithReplacement(fg.length, samplesPerCase, rng);
  let kept = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]) kept++;
  const samples: WeightedSample[] = crop.images.map((im) => {
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

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Combine case fingerprints (in dataset order) into the dataset fingerprint. */
export function combineFingerprints(parts: readonly CaseFingerprintWithSamples[], samplesPerCase: number, seed: number): Fingerprint {
  const nch = parts[0]?.samples.length ?? 0;
  const props: IntensityStats[] = [];
  for (let ch = 0; ch < nch; ch++) props.push(weightedStats(concatSamples(parts.map((p) => p.samples[ch]!))));
  return {
    version: 1,
    numCases: parts.length,
    samplesPerCase,
    seed,
    medianRelativeSizeAfterCropping: median(parts.map((p) => p.fingerprint.relativeSizeAfterCrop)),
    foregroundIntensityPropertiesPerChannel: props,
    cases: parts.map((p) => p.fingerprint),
  };
}

export interface FingerprintOptions {
  workers?: number;
  seed?: number;
  /** Total foreground samples over the dataset (nnU-Net: 10e7), split evenly over the cases. */
  foregroundSamples?: number;
  onCaseDone?: (id: string) => void;
}

export interface FingerprintTask { kind: 'fingerprint'; case: CaseFiles; channels: number; samplesPerCase: number; seed: number }

export const CASE_WORKER_URL = new URL('../preprocess/case_worker.js', import.meta.url);

export async function extractFingerprint(dataset: { channelNames: readonly string[]; cases: readonly CaseFiles[] }, o: FingerprintOptions = {}):
  Promise<{ fingerprint: Fingerprint; parts: CaseFingerprintWithSamples[] }> {
  if (dataset.cases.length === 0) throw new Error('the dataset has no training cases');
  const seed = o.seed ?? DEFAULT_FINGERPRINT_SEED;
  const samplesPerCase = Math.floor((o.foregroundSamples ?? DEFAULT_FOREGROUND_SAMPLES) / dataset.cases.length);
  const tasks: FingerprintTask[] = dataset.cases.map((c) => ({ kind: 'fingerprint', case: c, channels: dataset.channelNames.length, samplesPerCase, seed }));
  const parts: CaseFingerprintWithSamples[] = new Array(tasks.length);
  const { runCaseTask } = await import('../preprocess/case_task.js'); // dynamic: case_task imports this module
  await runPool<FingerprintTask, CaseFingerprintWithSamples>({
    workerUrl: CASE_WORKER_URL,
    workers: o.workers ?? defaultWorkers(),
    tasks,
    inline: (t) => runCaseTask(t) as Promise<CaseFingerprintWithSamples>,
    describe: (t) => `fingerprint of case ${t.case.id}`,
    onResult: (r, t, i) => { parts[i] = r; o.onCaseDone?.(t.case.id); },
  });
  return { fingerprint: combineFingerprints(parts, samplesPerCase, seed), parts };
}

/** One worker per CPU core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
