/**
 * pspseg plan DATASET: fingerprint a dataset and write its plan (target spacing, normalisation,
 * transpose, patch and batch size) as editable JSON. Exit 0 on success, 1 on errors, 2 on bad usage.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DatasetError, readDataset, type Dataset } from '../../data/dataset/dataset.js';
import { planDataset } from '../../data/plan/plan.js';
import { savePlan } from '../../data/plan/plan_file.js';
import { DEFAULT_NUM_POOLS, DEFAULT_VOXEL_BUDGET } from '../../data/plan/plan_geometry.js';
import { FINGERPRINT_FILE, PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { writeFileAtomic } from '../../util/atomic_write.js';
import { Progress } from '../../util/progress.js';

export const summary = 'fingerprint a dataset and write its preprocessing/training plan (plan.json)';

const USAGE = `usage: pspseg plan DATASET [options]

Reads every training case of DATASET (a folder with dataset.json, MSD or nnU-Net v2 layout),
collects spacings, shapes and foreground intensities, and writes:
  DIR/plan.json         the plan (pretty JSON, may be edited by hand; 'pspseg preprocess' reads it)
  DIR/fingerprint.json  the dataset fingerprint it was derived from
DIR defaults to $PSPSEG_WORK/<dataset name>/, or ./pspseg_work/<dataset name>/ without PSPSEG_WORK.

options:
  --out DIR                 output folder (default above)
  --budget N                patch voxels x batch size upper bound (default ${DEFAULT_VOXEL_BUDGET} = 2 x 128^3)
  --num-pools N             network downsamplings; patch sides are multiples of 2^N (default ${DEFAULT_NUM_POOLS})
  --target-spacing X,Y,Z    override the target spacing (mm, NIfTI x,y,z order)
  --workers N               worker threads (default: CPU count)
  --quiet                   no progress display
  -h, --help                this text`;

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || (name !== 'num-pools' && n === 0)) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let values, positionals, budget, numPools, workers, spacing: [number, number, number] | undefined;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string' }, budget: { type: 'string' }, 'num-pools': { type: 'string' },
        'target-spacing': { type: 'string' }, workers: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) { console.log(USAGE); return 0; }
    if (positionals.length !== 1) throw new Error('expected exactly one DATASET');
    budget = positiveInt(values.budget, 'budget');
    numPools = positiveInt(values['num-pools'], 'num-pools');
    workers = positiveInt(values.workers, 'workers');
    if (values['target-spacing'] !== undefined) {
      const s = values['target-spacing'].split(',').map(Number);
      if (s.length !== 3 || !s.every((x) => x > 0)) throw new Error(`--target-spacing must be three positive numbers X,Y,Z, got '${values['target-spacing']}'`);
      spacing = s as [number, number, number];
    }
  } catch (err) {
    console.error(`pspseg plan: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let dataset: Dataset;
  try { dataset = readDataset(positionals[0]!); } catch (err) {
    if (err instanceof DatasetError) { console.error(`pspseg plan: ${err.message}`); return 1; }
    throw err;
  }
  const outDir = values.out ? resolve(values.out) : datasetWorkDir(dataset.name);
  const progress = values.quiet ? undefined : new Progress('fingerprint', dataset.cases.length);
  const { plan, fingerprint } = await planDataset(dataset, {
    voxelBudget: budget, numPools, workers, targetSpacingXYZ: spacing,
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
