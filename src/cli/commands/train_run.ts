/**
 * `pspseg train` at work (loaded when the command runs): the dataset's work folder, prepared first when
 * DATASET is a dataset folder (check, plan, preprocess: each skipped when done), then src/train's run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatXYZ } from '../../data/common/axes.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { PREPROCESSED_DIR, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { prepareDataset } from '../../data/plan/prepare.js';
import type { TrainOptions } from '../../train/options.js';
import { runTraining } from '../../train/run.js';

/** DATASET as a work folder: a preprocessed dataset's name or work folder as it is, a dataset folder prepared first. */
async function workFolder(dataset: string, quiet: boolean): Promise<string> {
  const byName = datasetWorkDir(dataset);
  if (existsSync(join(byName, PREPROCESSED_DIR, 'cases.json'))) return byName;
  if (existsSync(join(dataset, PREPROCESSED_DIR, 'cases.json'))) return dataset;
  const d = readDataset(dataset); // a DatasetError names the path when it is none of these
  const work = datasetWorkDir(d.name);
  console.log(`${d.root}: checking, planning and preprocessing into ${work} first (each step skipped when already done)`);
  const { plan, planned } = await prepareDataset(d, { workDir: work, progress: !quiet });
  if (planned) console.log(`plan: spacing ${formatXYZ(plan.targetSpacing, plan.transposeForward, 'mm')}, patch ${formatXYZ(plan.patchSize, plan.transposeForward)}`);
  return work;
}

/** Trains; returns the exit code. */
export async function runTrain(dataset: string, options: TrainOptions): Promise<number> {
  const workDir = await workFolder(dataset, options.quiet ?? false);
  const result = await runTraining({ workDir, options });
  console.log(`done: ${result.outDir} (best EMA pseudo Dice ${result.bestEma?.toFixed(4) ?? 'n/a'}, ${result.numParameters.toLocaleString('en-US')} parameters)`);
  return 0;
}
