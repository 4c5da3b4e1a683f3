/**
 * Dataset fingerprint (nnU-Net v2 DatasetFingerprintExtractor): the case fingerprints
 * (fingerprint_case.ts), computed in worker threads, combined into the dataset's: foreground
 * intensity statistics per channel over all cases' samples (10e7 / num_cases per case, so every case
 * weighs the same) and the median relative size after cropping.
 */
import type { IntensityStats } from '../common/stats.js';
import { concatSamples, median, weightedStats } from '../common/stats.js';
import type { CaseFiles } from '../dataset/case_reader.js';
import { type DatasetSources, statDatasetSources } from '../dataset/case_sources.js';
import { labelTriple } from '../common/axes.js';
import { defaultWorkers, runPool } from '../../util/worker_pool.js';
import { type CaseFingerprint, type CaseFingerprintWithSamples, type FingerprintTask, runFingerprintTask } from './fingerprint_case.js';

/** nnU-Net's num_foreground_voxels_for_intensitystats. */
export const DEFAULT_FOREGROUND_SAMPLES = 10e7;
export const DEFAULT_FINGERPRINT_SEED = 1234;

export interface Fingerprint {
  version: 1;
  numCases: number;
  samplesPerCase: number;
  seed: number;
  medianRelativeSizeAfterCropping: number;
  foregroundIntensityPropertiesPerChannel: IntensityStats[];
  cases: CaseFingerprint[];
  /** The files it was made from (stat'ed before reading them): a plan knows it is stale when they change. */
  sources?: DatasetSources;
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

const FINGERPRINT_WORKER_URL = new URL('./fingerprint_worker.js', import.meta.url);

export async function extractFingerprint(dataset: { channelNames: readonly string[]; cases: readonly CaseFiles[]; datasetJson?: string }, o: FingerprintOptions = {}):
  Promise<{ fingerprint: Fingerprint; parts: CaseFingerprintWithSamples[] }> {
  if (dataset.cases.length === 0) throw new Error('the dataset has no training cases');
  const sources = await statDatasetSources(dataset);
  const seed = o.seed ?? DEFAULT_FINGERPRINT_SEED;
  const samplesPerCase = Math.floor((o.foregroundSamples ?? DEFAULT_FOREGROUND_SAMPLES) / dataset.cases.length);
  const tasks: FingerprintTask[] = dataset.cases.map((c) => ({ case: c, channels: dataset.channelNames.length, samplesPerCase, seed }));
  const parts: CaseFingerprintWithSamples[] = new Array(tasks.length);
  await runPool<FingerprintTask, CaseFingerprintWithSamples>({
    workerUrl: FINGERPRINT_WORKER_URL,
    workers: o.workers ?? defaultWorkers(),
    tasks,
    inline: runFingerprintTask,
    describe: (t) => `fingerprint of case ${t.case.id}`,
    onResult: (r, t, i) => { parts[i] = r; o.onCaseDone?.(t.case.id); },
  });
  return { fingerprint: { ...combineFingerprints(parts, samplesPerCase, seed), sources }, parts };
}

/** fingerprint.json's content: the case triples (C-order arrays in memory) labelled by axis, as everything stored. */
export function fingerprintFileText(f: Fingerprint): string {
  const cases = f.cases.map((c) => ({
    ...c, spacing: labelTriple(c.spacing), shapeBeforeCrop: labelTriple(c.shapeBeforeCrop), shapeAfterCrop: labelTriple(c.shapeAfterCrop),
  }));
  return `${JSON.stringify({ ...f, axes: 'x, y, z: the image voxel axes as stored in the NIfTI files', cases }, null, 1)}\n`;
}
