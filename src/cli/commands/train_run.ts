/**
 * `pspseg train` at work (loaded when the command runs): the dataset's work folder, prepared first when
 * DATASET is a dataset folder (check, plan, preprocess: each skipped when done), then src/train's run.
 */
import type { TrainOptions } from '../../train/options.js';
import { preparedWorkDir } from '../../train/preprocessed.js';
import { isRankOfGroup } from '../../train/data_parallel.js';
import { runTraining } from '../../train/run.js';
import { PREPARED_WORKDIR_ENV, launchWorkers } from './train_launch.js';

/** Trains; returns the exit code. */
export async function runTrain(dataset: string, options: TrainOptions): Promise<number> {
  // a rank of a group (started by the launcher below, torchrun or Slurm); WORLD_SIZE=1 is one process
  const worker = isRankOfGroup();
  // The launcher below prepares the dataset once and hands its work folder to its workers (ranks started by
  // torchrun each prepare it: give them an already preprocessed dataset, or they wait on its lock).
  const launched = worker ? process.env[PREPARED_WORKDIR_ENV] : undefined;
  const workDir = launched ?? await preparedWorkDir(dataset, { progress: !options.quiet, print: (l) => console.log(l) });
  const nproc = options['nproc-per-node'] ?? 1, nnodes = options.nnodes ?? 1;
  if (!worker && (nproc > 1 || nnodes > 1))
    return launchWorkers({ nprocPerNode: nproc, nnodes, nodeRank: options['node-rank'] ?? 0, master: options.master, env: { [PREPARED_WORKDIR_ENV]: workDir } });
  const result = await runTraining({ workDir, options });
  if (worker && process.env.RANK !== '0') return 0;
  console.log(`done: ${result.outDir} (best EMA pseudo Dice ${result.bestEma?.toFixed(4) ?? 'n/a'}, ${result.numParameters.toLocaleString('en-US')} parameters)`);
  return 0;
}
