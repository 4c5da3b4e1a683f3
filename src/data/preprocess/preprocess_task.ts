/** Preprocessing one case of a dataset, from its files to its .pspcase file: the job of a worker thread (preprocess_worker.ts) or inline. */
import type { Shape3 } from '../../util/triple.js';
import { type CaseFiles, loadCase } from '../dataset/case_reader.js';
import type { SourceFile } from '../dataset/case_sources.js';
import { writeCaseFile } from './case_file.js';
import { preprocessCase } from './preprocess_case.js';
import type { PreprocessingPlan } from './preprocessing_plan.js';

export interface PreprocessTask {
  case: CaseFiles;
  plan: PreprocessingPlan;
  planHash: string;
  outPath: string;
  /** The case's files as stat'ed before reading them (stored in the case file: the resume key). */
  sources: SourceFile[];
}
export interface PreprocessResult { id: string; shape: Shape3; classVoxels: Record<string, number>; seconds: number }

export async function runPreprocessTask(t: PreprocessTask): Promise<PreprocessResult> {
  const start = performance.now();
  const pre = preprocessCase(await loadCase(t.case, t.plan.channels.length), t.plan, t.planHash);
  pre.properties.sources = t.sources;
  await writeCaseFile(t.outPath, pre);
  return { id: t.case.id, shape: pre.properties.shape, classVoxels: pre.properties.classVoxels, seconds: (performance.now() - start) / 1000 };
}
