/**
 * `pspseg train` at work (loaded when the command runs): the dataset's work folder, prepared first when
 * DATASET is a dataset folder (check, plan, preprocess: each skipped when done), then src/train's run.
 */
import type { TrainOptions } from '../../train/options.js';
import { preparedWorkDir } from '../../train/preprocessed.js';
import { runTraining } from '../../train/run.js';

/** Trains; returns the exit code. */
export async function runTrain(dataset: string, options: TrainOptions): Promise<number> {
  const workDir = await preparedWorkDir(dataset, { progress: !options.quiet, print: (l) => console.log(l) });
  const result = await runTraining({ workDir, options });
  console.log(`done: ${result.outDir} (best EMA pseudo Dice ${result.bestEma?.toFixed(4) ?? 'n/a'}, ${result.numParameters.toLocaleString('en-US')} parameters)`);
  return 0;
}
