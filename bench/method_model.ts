/**
 * One model of bench/method.ts, run as its child so that its peak memory is its own: train it on the
 * fold (runTraining, as `pspseg train`), then predict the fold's validation cases from their NIfTI files
 * with the final checkpoint and evaluate them (as `pspseg predict --val` and `pspseg evaluate`).
 *
 * Argument: one JSON object (ModelRequest). Epoch and pruning lines go to stdout as the run goes;
 * the last line is one JSON object (ModelResult).
 *
 * Timing: step ms is the median over the epochs (the first left out when there are more, it pays for
 * the warm-up) of the training phase's seconds per iteration, epochs with a pruning event left out
 * (their training phase includes the block search); epoch s is the mean epoch time over all epochs
 * (events included: that is what the run cost). Peak MB is the process' peak resident memory at the end
 * of training (the data loader's worker threads, the cases and the network together), before
 * prediction starts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDataset } from '../src/data/dataset/dataset.js';
import { evaluateFolder } from '../src/eval/evaluate_folder.js';
import { nanMean } from '../src/eval/summary.js';
import { listInputCases } from '../src/infer/input_cases.js';
import { loadModelFolder } from '../src/infer/model_folder.js';
import { libtorchPredictionModel } from '../src/infer/libtorch_forward.js';
import { predictCases } from '../src/infer/predict.js';
import { runTraining } from '../src/train/run.js';
import { TRAINING_LOG_FILE, parseLogRecords } from '../src/train/training_log.js';
import type { NetworkConfig } from '../src/train/config.js';
import type { MonitoredLog } from '../src/pruning/settings.js';

export interface ModelRequest {
  dataset: string;
  workDir: string;
  /** The model folder's name (<work>/models/<name>/fold_0). */
  name: string;
  arch: NetworkConfig['arch'];
  /** An architecture.json to train from scratch (pruning off). */
  architecture?: string;
  prune: boolean;
  pruning?: { window?: number; calibrationBatches?: number; delta?: number; monitored?: MonitoredLog[] };
  epochs: number;
  iterations: number;
  valIterations: number;
  batch: number;
  patch: [number, number, number];
  lr: number;
  seed: number;
  workers?: number;
  /** Validation cases predicted and evaluated: the first n of the fold's (null: all). */
  valCases: number | null;
  tta: boolean;
}

export interface ModelResult {
  name: string;
  params_start: number;
  params: number;
  step_ms: number;
  step_ms_last: number;
  /** Epochs trained, and the sum of their times (training, searches, validation batches). */
  epochs: number;
  epochs_total_s: number;
  epoch_s: number;
  train_s: number;
  peak_mb: number;
  labels: string[];
  dice: number[];
  dice_mean: number;
  nsd: number[];
  nsd_mean: number;
  val_cases: number;
  /** Per validation case: its Dice averaged over the labels (paired comparisons between models). */
  case_dice: Record<string, number>;
  predict_s_per_case: number;
  pruning_events: string[];
  out_dir: string;
}

const req = JSON.parse(process.argv[2]!) as ModelRequest;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r4 = (x: number) => +x.toFixed(4);

const t0 = performance.now();
const pruning = req.prune && !req.architecture ? req.pruning : undefined;
const r = await runTraining({
  workDir: req.workDir,
  options: {
    arch: req.arch, architecture: req.architecture, 'no-prune': req.arch === 'psp' && !req.architecture && !req.prune,
    'prune-window': pruning?.window, 'prune-calibration-batches': pruning?.calibrationBatches, 'prune-delta': pruning?.delta, 'prune-monitor': pruning?.monitored,
    name: req.name, epochs: req.epochs, iterations: req.iterations, 'val-iterations': req.valIterations, batch: req.batch, patch: req.patch,
    lr: req.lr, seed: req.seed, workers: req.workers, force: true, quiet: true,
    // fp32 on every CPU, so that runs on different CPUs compare (auto picks bf16 where it is native)
    precision: 'fp32',
  },
  print: (l) => { if (/^(epoch|pruning|--architecture|\S+ fold)/.test(l)) console.log(`  ${l}`); },
});
const trainSeconds = (performance.now() - t0) / 1000;
const peakMb = process.resourceUsage().maxRSS / 1024;

const events = parseLogRecords(readFileSync(join(r.outDir, TRAINING_LOG_FILE), 'utf8'), TRAINING_LOG_FILE, 'pruning') as unknown as { epoch: number; kind: string; blocks: unknown[] }[];
const eventEpochs = new Set(events.map((e) => e.epoch));
const timed = r.logs.filter((e, i) => !eventEpochs.has(e.epoch) && (i > 0 || r.logs.length === 1));
const perStep = (timed.length ? timed : r.logs).map((e) => (1000 * e.trainSeconds) / req.iterations);

// --- the fold's validation cases from their original files, the final checkpoint
const dataset = readDataset(req.dataset);
const model = await loadModelFolder(r.outDir, 'final');
const valIds = req.valCases === null ? model.config.valCases : model.config.valCases.slice(0, req.valCases);
const cases = listInputCases([dirname(dataset.cases[0]!.images[0]!)], model.inChannels).filter((c) => valIds.includes(c.id));
const predictions = join(r.outDir, 'validation');
const predicted = await predictCases(libtorchPredictionModel(model), cases, { outDir: predictions, tta: req.tta, progress: false });
model.network.dispose();
if (predicted.failed) throw new Error(`${predicted.failed} validation case(s) failed: ${predicted.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.error}`).join('; ')}`);
const summary = await evaluateFolder({ predictions, references: req.dataset, nsdToleranceMm: 2, jobs: 1, modelFolder: r.outDir });
if (summary.errors.length) throw new Error(`evaluation failed for ${summary.errors.map((e) => `${e.case}: ${e.error}`).join('; ')}`);
const labels = r.config.dataset.labels;
const dice = labels.map((l) => summary.mean[String(l.value)]!.Dice);
const nsd = labels.map((l) => summary.mean[String(l.value)]!.NSD);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const result: ModelResult = {
  name: req.name,
  params_start: r.logs[0]?.numParameters ?? r.numParameters,
  params: r.numParameters,
  step_ms: +median(perStep).toFixed(1),
  step_ms_last: +perStep[perStep.length - 1]!.toFixed(1),
  epochs: r.logs.length,
  epochs_total_s: +r.logs.reduce((t, e) => t + e.epochSeconds, 0).toFixed(1),
  epoch_s: +mean(r.logs.map((e) => e.epochSeconds)).toFixed(2),
  train_s: +trainSeconds.toFixed(1),
  peak_mb: Math.round(peakMb),
  labels: labels.map((l) => l.name),
  dice: dice.map(r4),
  dice_mean: r4(mean(dice)),
  nsd: nsd.map(r4),
  nsd_mean: r4(mean(nsd)),
  val_cases: summary.metric_per_case.length,
  case_dice: Object.fromEntries(summary.metric_per_case.map((c) => [c.case, r4(nanMean(labels.map((l) => c.metrics[String(l.value)]!.Dice)))])),
  predict_s_per_case: +(predicted.total_seconds / Math.max(1, cases.length)).toFixed(2),
  pruning_events: events.map((e) => `${e.epoch}:${e.kind}${e.blocks.length ? `(${e.blocks.length})` : ''}`),
  out_dir: r.outDir,
};
console.log(JSON.stringify(result));
