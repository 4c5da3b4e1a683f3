/**
 * Preprocessing of one input case for prediction: exactly the training preprocessing (src/data:
 * read, transpose, crop to non-zero, normalise, resample to the plan's spacing), without a label.
 * preprocess_pool.ts runs it in a worker thread so that the next case is ready when this one is done.
 */
import type { CaseFiles } from '../data/dataset/case_reader.js';
import { loadCase } from '../data/dataset/case_reader.js';
import type { Plan } from '../data/plan/plan_schema.js';
import { planHash } from '../data/preprocess/plan_hash.js';
import type { PreprocessedCase } from '../data/preprocess/preprocess_case.js';
import { preprocessCase } from '../data/preprocess/preprocess_case.js';

export interface PredictPreprocessTask { case: CaseFiles; plan: Plan }
export interface PredictPreprocessResult { case: PreprocessedCase; seconds: number }

export async function preprocessForPrediction(t: PredictPreprocessTask): Promise<PredictPreprocessResult> {
  const start = performance.now();
  const loaded = await loadCase(t.case, t.plan.channels.length);
  const pre = preprocessCase(loaded, t.plan, planHash(t.plan));
  return { case: pre, seconds: (performance.now() - start) / 1000 };
}
