/**
 * A dataset from its folder to preprocessed cases in one call, as the demo and training need it:
 * check (cached; refuses errors unless skipCheck), plan when there is no plan or the dataset changed
 * since it was made (a plan edited by hand is kept, with a note), then preprocess as many cases at a
 * time as fit in memory. The work folder is locked throughout. The commands `check`, `plan` and
 * `preprocess` are these steps one at a time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withFolderLock } from '../../util/folder_lock.js';
import { Progress } from '../../util/progress.js';
import { defaultWorkers } from '../../util/worker_pool.js';
import type { CheckReport } from '../dataset/check.js';
import { checkBeforeUse } from '../dataset/check_gate.js';
import type { Dataset } from '../dataset/dataset.js';
import { CHECK_CACHE_FILE, FINGERPRINT_FILE, PLAN_FILE, PREPROCESSED_DIR } from '../dataset/work_dir.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { type PreprocessSummary, preprocessDataset } from '../preprocess/preprocess_dataset.js';
import { fingerprintFileText } from './fingerprint.js';
import { type PlanOptions, planDataset } from './plan.js';
import { loadPlan, planFileStatus, savePlan } from './plan_file.js';
import { fingerprintNeeds, guardCaseMemory, preprocessNeeds } from './plan_memory.js';
import type { Plan } from './plan_schema.js';
import { planStaleness } from './plan_staleness.js';

export interface PrepareOptions {
  /** The dataset's work folder (plan.json, fingerprint.json, check_cache.json, preprocessed/). */
  workDir: string;
  skipCheck?: boolean;
  workers?: number;
  /** Options for a new plan. */
  planOptions?: Omit<PlanOptions, 'workers' | 'onCaseDone'>;
  /** Progress bars and summary lines (default true). */
  progress?: boolean;
  print?: (line: string) => void;
}

export interface PreparedDataset {
  plan: Plan;
  planPath: string;
  preprocessedDir: string;
  report: CheckReport;
  /** Whether a plan was made now (none yet, or the dataset changed). */
  planned: boolean;
  summary: PreprocessSummary;
}

export async function prepareDataset(dataset: Dataset, o: PrepareOptions): Promise<PreparedDataset> {
  const print = o.print ?? ((line: string) => console.log(line));
  const bar = (label: string): Progress | undefined => (o.progress === false ? undefined : new Progress(label, dataset.cases.length));
  const wanted = o.workers ?? defaultWorkers();
  return withFolderLock(o.workDir, {}, async () => {
    const checking = bar('check');
    const report = await checkBeforeUse(dataset, {
      cacheFile: join(o.workDir, CHECK_CACHE_FILE), skipCheck: o.skipCheck,
      onProgress: checking && ((_d, _t, id) => checking.tick(1, id)),
      print: (line) => { checking?.finish(); print(line); },
    });
    checking?.finish();

    const planPath = join(o.workDir, PLAN_FILE);
    const fingerprintPath = join(o.workDir, FINGERPRINT_FILE);
    let plan: Plan | undefined = existsSync(planPath) ? await loadPlan(planPath) : undefined;
    let planned = false;
    const changes = plan ? await planStaleness(plan, dataset, fingerprintPath) : null;
    if (plan && changes && (await planFileStatus(planPath)) === 'edited') {
      print(`plan: ${planPath} was edited by hand and the dataset changed since it was made (${changes[0]}${changes.length > 1 ? ', ...' : ''}); keeping it ('pspseg plan --force' plans again)`);
    } else if (!plan || changes) {
      const reading = guardCaseMemory(fingerprintNeeds(report.geometry, dataset.channelNames.length), wanted, ['fewer workers', 'a machine with more memory']);
      const fingerprinting = bar('plan');
      const made = await planDataset(dataset, { ...o.planOptions, workers: reading.workers, onCaseDone: fingerprinting && ((id) => fingerprinting.tick(1, id)) });
      fingerprinting?.finish(changes ? `the dataset changed: ${changes[0]}${changes.length > 1 ? ', ...' : ''}` : '');
      await savePlan(planPath, made.plan);
      await writeFileAtomic(fingerprintPath, [fingerprintFileText(made.fingerprint)]);
      plan = made.plan;
      planned = true;
    }

    const memory = guardCaseMemory(preprocessNeeds(plan, report.geometry), wanted,
      ['a coarser target spacing (targetSpacing in plan.json, or pspseg plan --target-spacing X,Y,Z)', 'a machine with more memory']);
    if (memory.note) print(`preprocess: ${memory.note}`);
    const preprocessedDir = join(o.workDir, PREPROCESSED_DIR);
    const preprocessing = bar('preprocess');
    const summary = await preprocessDataset(dataset, plan, { outDir: preprocessedDir, workers: memory.workers, onCase: preprocessing && ((id) => preprocessing.tick(1, id)) });
    preprocessing?.finish(`${summary.processed.length} done, ${summary.skipped.length} up to date`);
    return { plan, planPath, preprocessedDir, report, planned, summary };
  });
}
