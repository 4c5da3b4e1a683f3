/**
 * pspseg preprocess DATASET: apply a plan to every training case (crop, normalise, resample) and
 * store one fast-loading .pspcase file per case. Resumes: finished cases are not redone.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DatasetError, readDataset, type Dataset } from '../../data/dataset/dataset.js';
import { preprocessDataset } from '../../data/preprocess/preprocess_dataset.js';
import { loadPlan, PlanFileError } from '../../data/plan/plan_file.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { Progress } from '../../util/progress.js';

export const summary = 'crop, normalise and resample every case with a plan into fast-loading files';

const USAGE = `usage: pspseg preprocess DATASET [options]

Preprocesses every training case of DATASET with a plan (from 'pspseg plan') into OUT/<case>.pspcase,
plus OUT/plan.json (the plan used) and OUT/cases.json (a manifest). An interrupted run resumes: cases
whose file exists and was made with the same plan are skipped.
Defaults: WORK = $PSPSEG_WORK/<dataset name>/ (./pspseg_work/<dataset name>/ without PSPSEG_WORK),
plan WORK/plan.json, OUT WORK/preprocessed/.

options:
  --plan FILE     plan to apply (default WORK/plan.json)
  --out DIR       output folder (default WORK/preprocessed)
  --workers N     worker threads (default: CPU count)
  --force         redo every case
  --quiet         no progress display
  -h, --help      this text`;

export async function run(args: string[]): Promise<number> {
  let values, positionals, workers: number | undefined;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        plan: { type: 'string' }, out: { type: 'string' }, workers: { type: 'string' },
        force: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) { console.log(USAGE); return 0; }
    if (positionals.length !== 1) throw new Error('expected exactly one DATASET');
    if (values.workers !== undefined) {
      workers = Number(values.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a positive integer, got '${values.workers}'`);
    }
  } catch (err) {
    console.error(`pspseg preprocess: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let dataset: Dataset;
  try { dataset = readDataset(positionals[0]!); } catch (err) {
    if (err instanceof DatasetError) { console.error(`pspseg preprocess: ${err.message}`); return 1; }
    throw err;
  }
  const work = datasetWorkDir(dataset.name);
  const planPath = values.plan ? resolve(values.plan) : join(work, PLAN_FILE);
  const outDir = values.out ? resolve(values.out) : join(work, PREPROCESSED_DIR);
  let plan;
  try { plan = await loadPlan(planPath); } catch (err) {
    if (err instanceof PlanFileError) { console.error(`pspseg preprocess: ${err.message}`); return 1; }
    throw err;
  }
  if (plan.channels.length !== dataset.channelNames.length) {
    console.error(`pspseg preprocess: ${planPath} has ${plan.channels.length} channel(s), ${dataset.datasetJson} declares ${dataset.channelNames.length}`);
    return 1;
  }
  const progress = values.quiet ? undefined : new Progress('preprocess', dataset.cases.length);
  const r = await preprocessDataset(dataset, plan, { outDir, workers, force: values.force, onCase: progress && ((id) => progress.tick(1, id)) });
  progress?.finish(`${r.processed.length} done, ${r.skipped.length} already up to date`);
  console.log(`${r.processed.length + r.skipped.length} cases in ${outDir} (plan ${r.planHash})`);
  return 0;
}
