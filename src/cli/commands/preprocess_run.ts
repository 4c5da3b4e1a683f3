/** `pspseg preprocess` at work (loaded when the command runs): check, then apply the plan to every case. */
import { dirname, join, resolve } from 'node:path';
import { checkBeforeUse } from '../../data/dataset/check_gate.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { CHECK_CACHE_FILE, FINGERPRINT_FILE, PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { loadPlan } from '../../data/plan/plan_file.js';
import { guardCaseMemory, preprocessNeeds } from '../../data/plan/plan_memory.js';
import { planStaleness } from '../../data/plan/plan_staleness.js';
import { type RedoReason, preprocessDataset } from '../../data/preprocess/preprocess_dataset.js';
import { withFolderLock } from '../../util/folder_lock.js';
import { Progress } from '../../util/progress.js';
import { defaultWorkers } from '../../util/worker_pool.js';

const REASONS: Record<Exclude<RedoReason, 'force'>, string> = { new: 'new', plan: 'made with another plan', sources: 'source files changed' };

export interface PreprocessRequest {
  dataset: string;
  /** The plan to apply (default: the work folder's plan.json). */
  plan?: string;
  /** Output folder (default: the work folder's preprocessed/). */
  out?: string;
  workers?: number;
  /** Redo every case. */
  force: boolean;
  skipCheck: boolean;
  /** Use the plan although the dataset changed since it was made. */
  keepPlan: boolean;
  quiet: boolean;
}

export async function runPreprocess(o: PreprocessRequest): Promise<number> {
  const dataset = readDataset(o.dataset);
  const work = datasetWorkDir(dataset.name);
  const planPath = o.plan ? resolve(o.plan) : join(work, PLAN_FILE);
  const outDir = o.out ? resolve(o.out) : join(work, PREPROCESSED_DIR);
  const plan = await loadPlan(planPath);
  if (plan.channels.length !== dataset.channelNames.length)
    throw new Error(`${planPath} has ${plan.channels.length} channel(s), ${dataset.datasetJson} declares ${dataset.channelNames.length}`);
  const changes = await planStaleness(plan, dataset, join(dirname(planPath), FINGERPRINT_FILE));
  if (changes && !o.keepPlan) {
    throw new Error([`${planPath} was made from an earlier state of the dataset:`, ...changes.map((c) => `  ${c}`),
      `Run 'pspseg plan ${dataset.root}' again, or pass --keep-plan to preprocess with this plan anyway.`].join('\n'));
  }
  return withFolderLock(outDir, {}, async () => {
    const checking = o.quiet ? undefined : new Progress('check', dataset.cases.length);
    const report = await checkBeforeUse(dataset, {
      cacheFile: join(dirname(planPath), CHECK_CACHE_FILE), skipCheck: o.skipCheck, // where plan checked
      onProgress: checking && ((_d, _t, id) => checking.tick(1, id)),
      print: (line) => { checking?.finish(); console.log(line); },
    });
    checking?.finish();
    const memory = guardCaseMemory(preprocessNeeds(plan, report.geometry), o.workers ?? defaultWorkers(),
      ['a coarser target spacing (pspseg plan --target-spacing X,Y,Z, or targetSpacing in plan.json)', 'a machine with more memory']);
    if (memory.note) console.log(`preprocess: ${memory.note}`);

    const progress = o.quiet ? undefined : new Progress('preprocess', dataset.cases.length);
    const r = await preprocessDataset(dataset, plan, { outDir, workers: memory.workers, force: o.force, onCase: progress && ((id) => progress.tick(1, id)) });
    progress?.finish(`${r.processed.length} done, ${r.skipped.length} already up to date`);
    const redone = Object.entries(r.reasons).filter(([, why]) => why !== 'new' && why !== 'force');
    if (redone.length) {
      const shown = redone.slice(0, 10).map(([id, why]) => `${id} (${REASONS[why as Exclude<RedoReason, 'force'>]})`);
      console.log(`redone: ${shown.join(', ')}${redone.length > 10 ? ` and ${redone.length - 10} more` : ''}`);
    }
    console.log(`${r.processed.length + r.skipped.length} cases in ${outDir} (plan ${r.planHash})`);
    return 0;
  });
}
