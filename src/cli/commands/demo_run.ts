/**
 * `pspseg demo` at work (loaded when the command runs): every stage of PSP-Seg on one dataset, each
 * through the same code as its own command, with a line saying what happens next, and the figures
 * that matter at the end (one JSON line last).
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatXYZ, xyzOrder } from '../../data/common/axes.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { PLAN_FILE, datasetWorkDir } from '../../data/dataset/work_dir.js';
import { prepareDataset } from '../../data/plan/prepare.js';
import type { Plan } from '../../data/plan/plan_schema.js';
import { parseSummaryJson } from '../../eval/summary.js';
import { SUMMARY_FILE, VALIDATION_DIR } from '../../models/model_folder.js';
import { writeReport } from '../../report/report.js';
import { type Precision, engineConfig } from '../../tensor/index.js';
import type { PspVariant } from '../../models/psp_variants.js';
import type { TrainOptions } from '../../train/options.js';
import { runTraining } from '../../train/run.js';
import type { Triple } from '../../util/triple.js';
import { describeCpu } from '../../util/cpu_info.js';
import { runEvaluate } from './evaluate_run.js';
import { runPredict } from './predict_run.js';

export interface DemoRequest {
  /** A dataset folder (default: the bundled hippocampus set). */
  dataset?: string;
  schedule: 'demo' | 'paper';
  variant: PspVariant;
  /** Instead of the schedule's. */
  epochs?: number;
  iterations?: number;
  seed: number;
  /** Mirroring at test time. */
  tta: boolean;
  /** Training's and prediction's (resolved). */
  precision: Precision;
}

/** What a schedule sets, as `pspseg train` options; the patch is made from the plan's (x, y, z). */
export interface DemoSchedule {
  options: TrainOptions;
  patch?: (planPatchXYZ: Triple) => Triple;
}

/**
 * demo: minutes on a 2-core CPU (docs/demo.md: the measured time and Dice). A smaller patch than the
 * plan's (2/3 per axis, in multiples of the network's stride 16) makes a step ~3x cheaper. Pruning is
 * scaled to a run of 55 short epochs: a window of 1 epoch, 8 calibration batches, and the convergence
 * check watches RL alone: in so short a run the training loss and TR still fall every epoch (measured:
 * watching them, or TR and RL as the paper does, no event happens before the stop at 40% of the
 * epochs), while RL levels off after a few epochs, as all three do in a full run.
 * paper: nnU-Net's schedule with the authors' pruning constants.
 */
export const DEMO_SCHEDULES: Record<DemoRequest['schedule'], DemoSchedule> = {
  demo: {
    // 55 epochs and the paper's delta 0.01: every seed measured deletes blocks, mean Dice >= 0.85 (docs/demo.md)
    options: { epochs: 55, iterations: 45, 'val-iterations': 3, batch: 2, lr: 1e-2, 'prune-window': 1, 'prune-calibration-batches': 8, 'prune-monitor': ['rl'], 'prune-delta': 0.01 },
    patch: (p) => p.map((n) => Math.max(16, Math.round((n * 2) / 3 / 16) * 16)) as Triple,
  },
  paper: { options: { epochs: 1000, iterations: 250, 'val-iterations': 50, batch: 2 } },
};

const stage = (n: number, text: string): void => console.log(`\n[${n}/5] ${text}`);

export async function runDemo(o: DemoRequest): Promise<number> {
  const start = performance.now();
  const variant = o.variant;
  const schedule = DEMO_SCHEDULES[o.schedule];
  const datasetPath = resolve(o.dataset ?? join('..', 'shared', 'data', 'Task04_Hippocampus'));
  const cfg = engineConfig();
  console.log(`${describeCpu()}; libtorch ${cfg.torchVersion}, ${cfg.threads} threads, precision ${o.precision}`);

  stage(1, 'check, plan and preprocess the dataset (each skipped when already done)');
  const dataset = readDataset(datasetPath);
  if (dataset.cases.length < 2) throw new Error(`${dataset.root}: a validation fold needs at least two cases, this dataset has ${dataset.cases.length === 1 ? 'one' : 'none'}`);
  const work = datasetWorkDir(dataset.name);
  const { plan } = await prepareDataset(dataset, { workDir: work });
  console.log(`plan: spacing ${formatXYZ(plan.targetSpacing, plan.transposeForward, 'mm')}, patch ${formatXYZ(plan.patchSize, plan.transposeForward)} (${join(work, PLAN_FILE)})`);

  const epochs = o.epochs ?? schedule.options.epochs!, iterations = o.iterations ?? schedule.options.iterations!;
  const patch = schedule.patch?.(xyzOrder(plan.patchSize, plan.transposeForward));
  stage(2, `train PSP-Seg ${variant} with progressive pruning on fold 0: ${epochs} epochs x ${iterations} steps` +
    `${patch ? `, patch ${patch.join(' x ')} (x, y, z)` : ''} (${o.schedule} schedule)`);
  const trainStart = performance.now();
  const r = await runTraining({
    workDir: work,
    options: { ...schedule.options, arch: 'psp', variant, name: `demo_psp_${variant}`, epochs, iterations, patch, seed: o.seed, force: true, precision: o.precision },
  });
  const trainSeconds = (performance.now() - trainStart) / 1000;

  stage(3, `predict the fold's ${r.config.valCases.length} validation cases from their original NIfTI files`);
  const validation = join(r.outDir, VALIDATION_DIR);
  const imagesDir = dirname(dataset.cases[0]!.images[0]!);
  const predicted = await runPredict({
    inputs: [imagesDir], output: validation, model: r.outDir, checkpoint: 'final', validationOnly: true, tta: o.tta, step: 0.5,
    saveProbabilities: false, device: 'cpu', batch: 4, overlap: true, quiet: false, precision: o.precision,
  });
  if (predicted !== 0) return predicted;

  stage(4, 'evaluate the predictions against the reference labels (Dice, NSD at 2 mm, HD95)');
  const summaryFile = join(validation, SUMMARY_FILE);
  const evaluated = await runEvaluate({
    predictions: validation, references: datasetPath, nsdToleranceMm: 2, geometryTolerance: 1e-3, modelFolder: r.outDir,
    output: summaryFile, allowMissing: false, cases: r.config.valCases, jobs: Math.min(4, availableParallelism()), quiet: false,
  });
  if (evaluated !== 0) return evaluated;

  stage(5, 'write the report');
  const { path: report } = await writeReport(r.outDir);
  return finish({ summaryFile, report, plan, r, trainSeconds, start, precision: o.precision });
}

function finish(a: {
  summaryFile: string; report: string; plan: Plan; trainSeconds: number; start: number; precision: Precision;
  r: Awaited<ReturnType<typeof runTraining>>;
}): number {
  const s = parseSummaryJson(readFileSync(a.summaryFile, 'utf8'));
  const classes = a.plan.labels.filter((l) => l.value > 0);
  const dice = classes.map((l) => s.mean[String(l.value)]!.Dice);
  const nsd = classes.map((l) => s.mean[String(l.value)]!.NSD);
  const logs = a.r.logs;
  const paramsBefore = logs[0]?.numParameters ?? a.r.numParameters, paramsAfter = a.r.numParameters;
  const peak = process.resourceUsage().maxRSS / 1024;
  const total = (performance.now() - a.start) / 1000;
  const r3 = (x: number): number => Number(x.toFixed(4));
  const mean = (xs: number[]): number => xs.reduce((p, q) => p + q, 0) / xs.length;
  console.log('');
  classes.forEach((l, i) => console.log(`${l.name.padEnd(12)} Dice ${dice[i]!.toFixed(3)}  NSD(2 mm) ${nsd[i]!.toFixed(3)}`));
  console.log(`mean         Dice ${mean(dice).toFixed(3)}  NSD(2 mm) ${mean(nsd).toFixed(3)}   (${s.metric_per_case.length} validation cases)`);
  console.log(`parameters   ${paramsBefore.toLocaleString('en-US')} before pruning, ${paramsAfter.toLocaleString('en-US')} after ` +
    `(${(100 * (1 - paramsAfter / paramsBefore)).toFixed(1)}% fewer)`);
  console.log(`time         training ${(a.trainSeconds / 60).toFixed(1)} min, all stages ${(total / 60).toFixed(1)} min; peak memory ${Math.round(peak)} MB`);
  console.log(`report       ${a.report}`);
  console.log(JSON.stringify({
    dice_mean: r3(mean(dice)), dice_per_class: dice.map(r3), nsd_mean: r3(mean(nsd)), params_before: paramsBefore, params_after: paramsAfter,
    train_s: Number(a.trainSeconds.toFixed(1)), total_s: Number(total.toFixed(1)), peak_rss_mb: Math.round(peak), precision: a.precision,
    seed: a.r.config.seed, cpu: describeCpu(), report: a.report,
  }));
  return 0;
}
