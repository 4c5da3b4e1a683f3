/** The per-case jobs run in worker threads (or inline): fingerprinting and preprocessing one case. */
import type { CaseFiles } from '../dataset/case_reader.js';
import { loadCase } from '../dataset/case_reader.js';
import { writeCaseFile } from './case_file.js';
import type { CaseFingerprintWithSamples, FingerprintTask } from '../plan/fingerprint.js';
import { fingerprintCase } from '../plan/fingerprint.js';
import type { Plan } from '../plan/plan.js';
import { preprocessCase } from './preprocess_case.js';

export interface PreprocessTask { kind: 'preprocess'; case: CaseFiles; plan: Plan; planHash: string; outPath: string }
export interface PreprocessResult { id: string; shape: [number, number, number]; classVoxels: Record<string, number>; seconds: number }

export type CaseTask = FingerprintTask | PreprocessTask;

export async function runCaseTask(t: CaseTask): Promise<CaseFingerprintWithSamples | PreprocessResult> {
  if (t.kind === 'fingerprint') return fingerprintCase(await loadCase(t.case, t.channels), t.samplesPerCase, t.seed);
  const start = performance.now();
  const pre = preprocessCase(await loadCase(t.case, t.plan.channels.length), t.plan, t.planHash);
  await writeCaseFile(t.outPath, pre);
  return { id: t.case.id, shape: pre.properties.shape, classVoxels: pre.properties.classVoxels, seconds: (performance.now() - start) / 1000 };
}
