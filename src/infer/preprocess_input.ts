/**
 * Preprocessing of one input case for prediction: exactly the training preprocessing (src/data:
 * read, transpose, crop to non-zero, normalise, resample to the plan's spacing), without a label.
 * Runs in a worker thread (preprocess_worker.ts) so that the next case is ready when this one is done.
 */
import type { CaseFiles } from '../data/case_reader.js';
import { loadCase } from '../data/case_reader.js';
import type { Plan } from '../data/plan.js';
import { planHash } from '../data/plan.js';
import type { PreprocessedCase } from '../data/preprocess_case.js';
import { preprocessCase } from '../data/preprocess_case.js';
import { runPool } from '../util/worker_pool.js';

export interface PredictPreprocessTask { case: CaseFiles; plan: Plan }
export interface PredictPreprocessResult { case: PreprocessedCase; seconds: number }

export const PREPROCESS_WORKER_URL = new URL('./preprocess_worker.js', import.meta.url);

export async function preprocessForPrediction(t: PredictPreprocessTask): Promise<PredictPreprocessResult> {
  const start = performance.now();
  const loaded = await loadCase(t.case, t.plan.channels.length);
  const pre = preprocessCase(loaded, t.plan, planHash(t.plan));
  return { case: pre, seconds: (performance.now() - start) / 1000 };
}

/** One case in its own worker thread (`inThread`: in this thread instead). Rejects with the case's error. */
export async function preprocessInWorker(task: PredictPreprocessTask, inThread = false): Promise<PredictPreprocessResult> {
  let result: PredictPreprocessResult | undefined;
  await runPool<PredictPreprocessTask, PredictPreprocessResult>({
    workerUrl: PREPROCESS_WORKER_URL,
    workers: inThread ? 0 : 1,
    tasks: [task],
    inline: preprocessForPrediction,
    describe: (t) => `case ${t.case.id}`,
    onResult: (r) => { result = r; },
  });
  if (!result) throw new Error(`case ${task.case.id}: preprocessing returned nothing`);
  return result;
}
