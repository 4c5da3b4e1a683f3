/** `pspseg plan` at work (loaded when the command runs): check, fingerprint, plan, write both. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { arrayAxisNames, formatXYZ } from '../../data/common/axes.js';
import { checkBeforeUse } from '../../data/dataset/check_gate.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { CHECK_CACHE_FILE, FINGERPRINT_FILE, PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { fingerprintFileText } from '../../data/plan/fingerprint.js';
import { planDataset } from '../../data/plan/plan.js';
import { PlanFileError, planFileStatus, savePlan } from '../../data/plan/plan_file.js';
import { fingerprintNeeds, guardCaseMemory, preprocessNeeds } from '../../data/plan/plan_memory.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { withFolderLock } from '../../util/folder_lock.js';
import { Progress } from '../../util/progress.js';
import { defaultWorkers } from '../../util/worker_pool.js';
import type { Triple } from '../../util/triple.js';

export interface PlanRequest {
  dataset: string;
  /** Output folder (default: the dataset's work folder). */
  out?: string;
  /** Patch voxels x batch size upper bound. */
  budget?: number;
  numPools?: number;
  targetSpacingXYZ?: Triple;
  workers?: number;
  skipCheck: boolean;
  /** Replace a plan.json edited by hand. */
  force: boolean;
  quiet: boolean;
}

export async function runPlan(o: PlanRequest): Promise<number> {
  const dataset = readDataset(o.dataset);
  const outDir = o.out ? resolve(o.out) : datasetWorkDir(dataset.name);
  const planPath = join(outDir, PLAN_FILE);
  return withFolderLock(outDir, {}, async () => {
    // Before reading every case: a plan edited by hand is not replaced without --force.
    if (!o.force && existsSync(planPath) && (await planFileStatus(planPath)) === 'edited') {
      throw new PlanFileError(planPath, 'was edited by hand since pspseg wrote it; not replaced (--force replaces it and keeps the edited file as plan.json.edited; --out writes the new plan elsewhere)');
    }
    const checking = o.quiet ? undefined : new Progress('check', dataset.cases.length);
    const report = await checkBeforeUse(dataset, {
      cacheFile: join(outDir, CHECK_CACHE_FILE), skipCheck: o.skipCheck,
      onProgress: checking && ((_d, _t, id) => checking.tick(1, id)),
      print: (line) => { checking?.finish(); console.log(line); },
    });
    checking?.finish();

    const wanted = o.workers ?? defaultWorkers();
    const reading = guardCaseMemory(fingerprintNeeds(report.geometry, dataset.channelNames.length), wanted, ['fewer --workers', 'a machine with more memory']);
    if (reading.note) console.log(`fingerprint: ${reading.note}`);
    const progress = o.quiet ? undefined : new Progress('fingerprint', dataset.cases.length);
    const { plan, fingerprint } = await planDataset(dataset, {
      voxelBudget: o.budget, numPools: o.numPools, workers: reading.workers, targetSpacingXYZ: o.targetSpacingXYZ,
      onCaseDone: progress && ((id) => progress.tick(1, id)),
    });
    progress?.finish();
    // Refuse a plan whose preprocessing could not run here (one case alone must fit).
    guardCaseMemory(preprocessNeeds(plan, report.geometry), 1, ['a coarser target spacing (--target-spacing X,Y,Z)', 'a machine with more memory']);
    await savePlan(planPath, plan, { replaceEdited: o.force });
    await writeFileAtomic(join(outDir, FINGERPRINT_FILE), [fingerprintFileText(fingerprint)]);

    const tf = plan.transposeForward;
    console.log([
      `${plan.dataset.name}: ${plan.dataset.numCases} cases, channels ${plan.channels.map((c) => `${c.name} (${c.scheme}${c.useMask ? ', masked' : ''})`).join(', ')}`,
      `  target spacing ${formatXYZ(plan.targetSpacing, tf, 'mm')}, median shape ${formatXYZ(plan.medianShape, tf)}`,
      `  patch ${formatXYZ(plan.patchSize, tf)}, batch ${plan.batchSize} (budget ${plan.voxelBudget} voxels, ${plan.numPools} pools)`,
      `  network axis order ${arrayAxisNames(tf).join(', ')} (the coarsest axis first)`,
      `wrote ${planPath}`,
    ].join('\n'));
    return 0;
  });
}
