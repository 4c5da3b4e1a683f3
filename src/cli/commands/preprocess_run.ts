/** `pspseg preprocess` at work (loaded when the command runs): apply the plan to every case. */
import { join, resolve } from 'node:path';
import { readDataset } from '../../data/dataset/dataset.js';
import { preprocessDataset } from '../../data/preprocess/preprocess_dataset.js';
import { loadPlan } from '../../data/plan/plan_file.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { Progress } from '../../util/progress.js';
import type { PreprocessOptions } from './preprocess.js';

export async function runPreprocess(o: PreprocessOptions, datasetPath: string): Promise<number> {
  const dataset = readDataset(datasetPath);
  const work = datasetWorkDir(dataset.name);
  const planPath = o.plan ? resolve(o.plan) : join(work, PLAN_FILE);
  const outDir = o.out ? resolve(o.out) : join(work, PREPROCESSED_DIR);
  const plan = await loadPlan(planPath);
  if (plan.channels.length !== dataset.channelNames.length)
    throw new Error(`${planPath} has ${plan.channels.length} channel(s), ${dataset.datasetJson} declares ${dataset.channelNames.length}`);
  const progress = o.quiet ? undefined : new Progress('preprocess', dataset.cases.length);
  const r = await preprocessDataset(dataset, plan, { outDir, workers: o.workers, force: o.force, onCase: progress && ((id) => progress.tick(1, id)) });
  progress?.finish(`${r.processed.length} done, ${r.skipped.length} already up to date`);
  console.log(`${r.processed.length + r.skipped.length} cases in ${outDir} (plan ${r.planHash})`);
  return 0;
}
