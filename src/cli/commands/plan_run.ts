/** `pspseg plan` at work (loaded when the command runs): fingerprint, plan, write both. */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readDataset } from '../../data/dataset/dataset.js';
import { planDataset } from '../../data/plan/plan.js';
import { savePlan } from '../../data/plan/plan_file.js';
import { FINGERPRINT_FILE, PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { Progress } from '../../util/progress.js';
import type { PlanOptions } from './plan.js';

export async function runPlan(o: PlanOptions, datasetPath: string): Promise<number> {
  const dataset = readDataset(datasetPath);
  const outDir = o.out ? resolve(o.out) : datasetWorkDir(dataset.name);
  const progress = o.quiet ? undefined : new Progress('fingerprint', dataset.cases.length);
  const { plan, fingerprint } = await planDataset(dataset, {
    voxelBudget: o.budget, numPools: o['num-pools'], workers: o.workers,
    targetSpacingXYZ: o['target-spacing'] as [number, number, number] | undefined,
    onCaseDone: progress && ((id) => progress.tick(1, id)),
  });
  progress?.finish();
  await mkdir(outDir, { recursive: true });
  await savePlan(join(outDir, PLAN_FILE), plan);
  await writeFileAtomic(join(outDir, FINGERPRINT_FILE), [`${JSON.stringify(fingerprint, null, 1)}\n`]);

  const t = (v: readonly number[]): string => v.map((x) => +x.toPrecision(4)).join(' x ');
  console.log([
    `${plan.dataset.name}: ${plan.dataset.numCases} cases, channels ${plan.channels.map((c) => `${c.name} (${c.scheme}${c.useMask ? ', masked' : ''})`).join(', ')}`,
    `  transpose ${plan.transposeForward.join(',')}, target spacing ${t(plan.targetSpacing)} mm, median shape ${t(plan.medianShape)}`,
    `  patch ${t(plan.patchSize)}, batch ${plan.batchSize} (budget ${plan.voxelBudget} voxels, ${plan.numPools} pools)`,
    `wrote ${join(outDir, PLAN_FILE)}`,
  ].join('\n'));
  return 0;
}
