/**
 * `pspseg demo` at work (loaded when the command runs): checks, plans and preprocesses the dataset
 * (each step resumes), then trains on fold 0 with the trainer (a short schedule) and reports the
 * validation pseudo Dice. The order of the steps lives here; the work is done by src/data and src/train.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkDataset } from '../../data/dataset/check.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { planDataset } from '../../data/plan/plan.js';
import { loadPlan, savePlan } from '../../data/plan/plan_file.js';
import { preprocessDataset } from '../../data/preprocess/preprocess_dataset.js';
import { PLAN_FILE, PREPROCESSED_DIR, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { engineConfig } from '../../tensor/index.js';
import { runTraining } from '../../train/run.js';
import { PROGRESS_FILE } from '../../train/trainer.js';
import { Progress } from '../../util/progress.js';
import type { DemoOptions } from './demo.js';

export async function runDemo(o: DemoOptions, datasetArg: string | undefined): Promise<number> {
  const datasetPath = resolve(datasetArg ?? join('..', 'shared', 'data', 'Task04_Hippocampus'));
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
    workDir: work, fold: 0, arch: 'small', name: 'demo', epochs: o.epochs, iterations: o.iterations, valIterations, batch: o.batch, seed: o.seed, force: true,
  });
  const first = r.logs[0]!, last = r.logs[r.logs.length - 1]!;
  const dice = r.config.dataset.labels.map((l, i) => `${l.name} Dice ${last.pseudoDice[i]!.toFixed(3)}`).join(', ');
  console.log(`validation (${r.config.valCases.length} held-out cases, ${valIterations} batches of patches): ${dice}`);
  console.log(`loss: ${first.trainLoss.toFixed(4)} (epoch 1) -> ${last.trainLoss.toFixed(4)} (epoch ${last.epoch + 1}); ` +
    `time waiting for data ${(100 * r.logs.reduce((a, e) => a + e.dataWaitSeconds, 0) / r.logs.reduce((a, e) => a + e.epochSeconds, 0)).toFixed(1)}% of the epochs`);
  console.log(`saved ${join(r.outDir, 'checkpoint_final.safetensors')} and the training curves ${join(r.outDir, PROGRESS_FILE)}`);
  return 0;
}
