/**
 * Preprocessing of one input case in its own worker thread (preprocess_worker.ts), so it overlaps
 * inference. Errors read "preprocessing: ..." without the case: the caller keeps them with its id.
 */
import { runPool } from '../util/worker_pool.js';
import { type PredictPreprocessResult, type PredictPreprocessTask, preprocessForPrediction } from './preprocess_input.js';

export const PREPROCESS_WORKER_URL = new URL('./preprocess_worker.js', import.meta.url);

/** One case in its own worker thread (`inThread`: in this thread instead). Rejects with the case's error. */
export async function preprocessInWorker(task: PredictPreprocessTask, inThread = false): Promise<PredictPreprocessResult> {
  let result: PredictPreprocessResult | undefined;
  await runPool<PredictPreprocessTask, PredictPreprocessResult>({
    workerUrl: PREPROCESS_WORKER_URL,
    workers: inThread ? 0 : 1,
    tasks: [task],
    inline: preprocessForPrediction,
    describe: () => 'preprocessing',
    onResult: (r) => { result = r; },
  });
  if (!result) throw new Error('preprocessing returned nothing');
  return result;
}
