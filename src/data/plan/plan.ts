/**
 * Planning: the preprocessing and training plan of a dataset from its fingerprint: everything later
 * steps need to read cases the same way (transpose, target spacing, normalisation, resampling) and the
 * training geometry (patch, batch). The plan's fields and checks are in plan_schema.ts; it is saved as
 * pretty-printed JSON (plan_file.ts) so it can be edited by hand; every later step reads it.
 */
import { type IntensityStats, type WeightedSample, concatSamples, median, weightedPercentiles } from '../common/stats.js';
import { type Shape3, type Spacing3, permuteTriple, reversed3 } from '../../util/triple.js';
import type { CaseFiles } from '../dataset/case_reader.js';
import { datasetSourcesHash } from '../dataset/case_sources.js';
import { DEFAULT_FOREGROUND_SAMPLING } from '../preprocess/foreground_locations.js';
import { type NormalizationScheme, schemeForChannel, useMaskForNorm } from '../preprocess/normalize.js';
import { DEFAULT_RESAMPLING, computeNewShape } from '../preprocess/resample.js';
import { type Fingerprint, type FingerprintOptions, extractFingerprint } from './fingerprint.js';
import type { CaseFingerprintWithSamples } from './fingerprint_case.js';
import { DEFAULT_NUM_POOLS, DEFAULT_VOXEL_BUDGET, patchAndBatch, targetSpacing, transposeFor } from './plan_geometry.js';
import { type ChannelPlan, PLAN_VERSION, type Plan } from './plan_schema.js';

export interface DatasetLike {
  root: string;
  name: string;
  channelNames: readonly string[];
  labels: readonly { name: string; value: number }[];
  cases: readonly CaseFiles[];
  datasetJson?: string;
}

export interface PlanOptions extends FingerprintOptions {
  voxelBudget?: number;
  numPools?: number;
  minBatchSize?: number;
  /** Override the target spacing, given in NIfTI axis order [sx, sy, sz] mm. */
  targetSpacingXYZ?: Spacing3;
  /** Override the normalisation scheme per channel. */
  schemes?: NormalizationScheme[];
}

/** The normalised value of a raw intensity of one case, per scheme (for the normalised percentile). */
function normalizer(ch: number, scheme: NormalizationScheme, useMask: boolean, intensity: IntensityStats, part: CaseFingerprintWithSamples): (v: number) => number {
  if (scheme === 'none') return (v) => v;
  if (scheme === 'CT') {
    const { percentile_00_5: lo, percentile_99_5: hi, mean } = intensity, std = Math.max(intensity.std, 1e-8);
    return (v) => (Math.min(Math.max(v, lo), hi) - mean) / std;
  }
  const s = part.fingerprint.channels[ch]!;
  const mean = useMask ? s.meanMask : s.meanAll, std = Math.max(useMask ? s.stdMask : s.stdAll, 1e-8);
  return (v) => (v - mean) / std;
}

function normalizedPercentile005(ch: number, scheme: NormalizationScheme, useMask: boolean, intensity: IntensityStats, parts: readonly CaseFingerprintWithSamples[]): number {
  const samples: WeightedSample[] = parts.map((p) => {
    const f = normalizer(ch, scheme, useMask, intensity, p), s = p.samples[ch]!;
    return { values: s.values.map(f), counts: s.counts };
  });
  return weightedPercentiles(concatSamples(samples), [0.5])[0]!;
}

/** The plan from a fingerprint and its foreground samples (pure; planDataset runs the fingerprint). */
export function planFromFingerprint(dataset: DatasetLike, fingerprint: Fingerprint, parts: readonly CaseFingerprintWithSamples[], o: PlanOptions = {}): Plan {
  const spacings = fingerprint.cases.map((c) => c.spacing);
  const shapes = fingerprint.cases.map((c) => c.shapeAfterCrop);
  const target = o.targetSpacingXYZ ? reversed3(o.targetSpacingXYZ) : targetSpacing(spacings, shapes);
  const { forward, backward } = transposeFor(target);
  const resampledShapes = fingerprint.cases.map((c) => computeNewShape(c.shapeAfterCrop, c.spacing, target));
  const medianShape = permuteTriple([0, 1, 2].map((a) => median(resampledShapes.map((s) => s[a]!))), forward).map(Math.round) as Shape3;
  const medianSpacing = permuteTriple([0, 1, 2].map((a) => median(spacings.map((s) => s[a]!))), forward);
  const targetT = permuteTriple(target, forward);
  const numPools = o.numPools ?? DEFAULT_NUM_POOLS;
  const voxelBudget = o.voxelBudget ?? DEFAULT_VOXEL_BUDGET;
  const { patchSize, batchSize } = patchAndBatch({
    spacing: targetT, medianShape, numCases: fingerprint.numCases, numPools, voxelBudget, minBatchSize: o.minBatchSize,
  });
  const channels: ChannelPlan[] = dataset.channelNames.map((name, ch) => {
    const scheme = o.schemes?.[ch] ?? schemeForChannel(name);
    const useMask = useMaskForNorm(scheme, fingerprint.medianRelativeSizeAfterCropping);
    const intensity = fingerprint.foregroundIntensityPropertiesPerChannel[ch]!;
    return { name, scheme, useMask, intensity, foregroundPercentile005Normalized: normalizedPercentile005(ch, scheme, useMask, intensity, parts) };
  });
  return {
    version: PLAN_VERSION,
    dataset: {
      name: dataset.name, root: dataset.root, numCases: fingerprint.numCases,
      ...(fingerprint.sources ? { sourcesHash: datasetSourcesHash(fingerprint.sources) } : {}),
    },
    labels: dataset.labels.map((l) => ({ name: l.name, value: l.value })),
    channels,
    transposeForward: forward,
    transposeBackward: backward,
    targetSpacing: targetT,
    medianSpacing,
    medianShape,
    medianRelativeSizeAfterCropping: fingerprint.medianRelativeSizeAfterCropping,
    resampling: structuredClone(DEFAULT_RESAMPLING),
    foregroundSampling: { ...DEFAULT_FOREGROUND_SAMPLING },
    patchSize,
    batchSize,
    numPools,
    voxelBudget,
  };
}

/** Fingerprint the dataset (in worker threads), then plan. */
export async function planDataset(dataset: DatasetLike, o: PlanOptions = {}): Promise<{ plan: Plan; fingerprint: Fingerprint }> {
  const { fingerprint, parts } = await extractFingerprint(dataset, o);
  return { plan: planFromFingerprint(dataset, fingerprint, parts, o), fingerprint };
}
