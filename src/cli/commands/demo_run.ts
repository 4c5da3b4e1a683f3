/**
 * `pspseg demo` at work (loaded when the command runs): checks, plans and preprocesses the dataset
 * (each step resumes), then trains on fold 0 with the trainer (a short schedule) and reports the
 * validation pseudo Dice. The order of the steps lives here; the work is done by src/data and src/train.
 */
import { join, resolve } from 'node:path';
import { formatXYZ } from '../../data/common/axes.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { prepareDataset } from '../../data/plan/prepare.js';
import { PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { engineConfig } from '../../tensor/index.js';
import { runTraining } from '../../train/run.js';
import { PROGRESS_FILE } from '../../train/trainer.js';
import type { DemoOptions } from './demo.js';

export async function runDemo(o: DemoOptions, datasetArg: string | undefined): Promise<number> {
  const datasetPath = resolve(datasetArg ?? join('..', 'shared', 'data', 'Task04_Hippocampus'));
  const cfg = engineConfig();
  console.log(`engine: libtorch ${cfg.torchVersion}, ${cfg.threads} threads, oneDNN ${cfg.mkldnn ? 'on' : 'off'}`);

  // 1-3. check (refuses errors, listing each with its case and file), plan (again when the dataset
  // changed), preprocess (resumes; as many cases at a time as fit in memory)
  const dataset = readDataset(datasetPath);
  if (dataset.cases.length === 1) throw new Error(`${dataset.root}: a validation fold needs at least two cases, this dataset has one (the demo holds out cases for validation)`);
  const work = datasetWorkDir(dataset.name);
  const { plan } = await prepareDataset(dataset, { workDir: work });
  console.log(`plan: spacing ${formatXYZ(plan.targetSpacing, plan.transposeForward, 'mm')}, patch ${formatXYZ(plan.patchSize, plan.transposeForward)} (${join(work, PLAN_FILE)})`);

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
