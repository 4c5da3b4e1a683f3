/**
 * pspseg demo [DATASET]: the main job on the bundled real data. Checks, plans and preprocesses the
 * dataset (each step resumes), then trains the small 3D U-Net on fold 0 with the trainer (a short
 * schedule: 6 epochs of 40 steps) and reports the validation pseudo Dice. Option parsing and the
 * order of the steps live here; the work is done by src/data and src/train.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkDataset } from '../../data/check.js';
import { readDataset } from '../../data/dataset.js';
import { planDataset } from '../../data/plan.js';
import { loadPlan, savePlan } from '../../data/plan_file.js';
import { preprocessDataset } from '../../data/preprocess.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../../data/work_dir.js';
import { engineConfig } from '../../tensor/index.js';
import { runTraining } from '../../train/run.js';
import { PROGRESS_FILE } from '../../train/trainer.js';
import { Progress } from '../../util/progress.js';

export const summary = 'the main job on bundled data: check, plan, preprocess, train a small 3D net';

const USAGE = `usage: pspseg demo [DATASET] [options]

DATASET defaults to ../shared/data/Task04_Hippocampus. Work files go to $PSPSEG_WORK/<dataset>/
(default ./pspseg_work/<dataset>/); planning and preprocessing are skipped when already done. The
model goes to <work>/models/demo/fold_0/ (started afresh each time).

options:
  --epochs N       epochs (default 6)
  --iterations N   training steps per epoch (default 40)
  --batch N        batch size (default 2)
  --seed N         random seed (default 0)
  -h, --help       this text`;

function positiveInt(v: string | undefined, flag: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let values, positionals, epochs: number, iterations: number, batchSize: number, seed: number;
  try {
    ({ values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: {
        epochs: { type: 'string' }, iterations: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    epochs = positiveInt(values.epochs, '--epochs', 6);
    iterations = positiveInt(values.iterations, '--iterations', 40);
    batchSize = positiveInt(values.batch, '--batch', 2);
    seed = positiveInt(values.seed, '--seed', 0, 0);
  } catch (err) {
    console.error(`pspseg demo: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  const datasetPath = resolve(positionals[0] ?? join('..', 'shared', 'data', 'Task04_Hippocampus'));
  const cfg = engineConfig();
  console.log(`engine: libtorch ${cfg.torchVersion}, ${cfg.threads} threads, oneDNN ${cfg.mkldnn ? 'on' : 'off'}`);

  // 1. check
  const dataset = readDataset(datasetPath);
  const report = await checkDataset(dataset);
  console.log(`check: ${dataset.name}, ${report.cases} cases, ${report.errors.length} errors, ${report.warnings.length} warnings`);
  if (!report.ok) { for (const e of report.errors.slice(0, 10)) console.error(`  ${e.message}`); return 1; }

  // 2. plan (once)
  const work = datasetWorkDir(dataset.name);
  const planPath = join(work, PLAN_FILE);
  if (!existsSync(planPath)) {
    const progress = new Progress('plan', dataset.cases.length);
    const { plan } = await planDataset(dataset, { onCaseDone: (id) => progress.tick(1, id) });
    progress.finish();
    await mkdir(work, { recursive: true });
    await savePlan(planPath, plan);
  }
  const plan = await loadPlan(planPath);
  console.log(`plan: spacing ${plan.targetSpacing.join('x')} mm, patch ${plan.patchSize.join('x')} (${planPath})`);

  // 3. preprocess (resumes)
  const outDir = join(work, PREPROCESSED_DIR);
  const progress = new Progress('preprocess', dataset.cases.length);
  const pre = await preprocessDataset(dataset, plan, { outDir, onCase: (id) => progress.tick(1, id) });
  progress.finish(`${pre.processed.length} done, ${pre.skipped.length} up to date`);

  // 4. train the small U-Net on fold 0 (nnU-Net's split) and validate every epoch
  const valIterations = 10;
  const r = await runTraining({
    workDir: work, fold: 0, arch: 'small', name: 'demo', epochs, iterations, valIterations, batch: batchSize, seed, force: true,
  });
  const first = r.logs[0]!, last = r.logs[r.logs.length - 1]!;
  const dice = r.config.dataset.labels.map((l, i) => `${l.name} Dice ${last.pseudoDice[i]!.toFixed(3)}`).join(', ');
  console.log(`validation (${r.config.valCases.length} held-out cases, ${valIterations} batches of patches): ${dice}`);
  console.log(`loss: ${first.trainLoss.toFixed(4)} (epoch 1) -> ${last.trainLoss.toFixed(4)} (epoch ${last.epoch + 1}); ` +
    `time waiting for data ${(100 * r.logs.reduce((a, e) => a + e.dataWaitSeconds, 0) / r.logs.reduce((a, e) => a + e.epochSeconds, 0)).toFixed(1)}% of the epochs`);
  console.log(`saved ${join(r.outDir, 'checkpoint_final.safetensors')} and the training curves ${join(r.outDir, PROGRESS_FILE)}`);
  return 0;
}
