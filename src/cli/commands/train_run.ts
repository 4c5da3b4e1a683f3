/**
 * `pspseg train` at work (loaded when the command runs): the options as a training request; src/train
 * does the work (nnU-Net v2's schedule, PSP-Seg's settings; method.md section 3).
 */
import { DatasetError } from '../../data/dataset/dataset_error.js';
import { resolveWorkDir } from '../../train/preprocessed.js';
import { type TrainRequest, runTraining } from '../../train/run.js';
import { UsageError } from '../command.js';
import type { TrainOptions } from './train.js';

/** The parsed options as a TrainRequest (minus the work folder, resolved from DATASET); UsageError on bad values. */
export function trainRequest(v: TrainOptions): Omit<TrainRequest, 'workDir'> {
  const oneOf = <T extends string>(val: string | undefined, flag: string, allowed: readonly T[]): T | undefined => {
    if (val === undefined) return undefined;
    if (!allowed.includes(val as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${val}'`);
    return val as T;
  };
  const int = (text: string, flag: string, min: number): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${text}'`);
    return n;
  };
  const fold: TrainRequest['fold'] = v.fold === 'all' ? 'all' : int(v.fold, '--fold', 0);
  let patch: TrainRequest['patch'];
  if (v.patch !== undefined) {
    const parts = v.patch.split(',').map((p) => int(p.trim(), '--patch', 1));
    if (parts.length !== 1 && parts.length !== 3) throw new UsageError(`--patch takes D,H,W or one number, got '${v.patch}'`);
    patch = (parts.length === 1 ? [parts[0], parts[0], parts[0]] : parts) as [number, number, number];
  }
  if (v.continue && v.force) throw new UsageError('--continue and --force exclude each other');
  if (v.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(v.name)) throw new UsageError(`--name may hold letters, digits, '.', '_' and '-' only, got '${v.name}'`);
  return {
    fold,
    arch: oneOf(v.arch, '--arch', ['psp', 'plain', 'small'] as const),
    variant: oneOf(v.variant, '--variant', ['S', 'B', 'L'] as const),
    deepSupervision: v['no-deep-supervision'] ? false : undefined,
    loss: oneOf(v.loss, '--loss', ['psp', 'dice_ce'] as const),
    lambdaTR: v['lambda-tr'],
    lambdaRL: v['lambda-rl'],
    rlVariant: oneOf(v['rl-variant'], '--rl-variant', ['code', 'paper'] as const),
    prune: v['no-prune'] ? false : undefined,
    pruning: {
      window: v['prune-window'], delta: v['prune-delta'], step: v['prune-step'],
      calibrationBatches: v['prune-calibration-batches'], stopFraction: v['prune-stop-fraction'],
      monitored: v['prune-monitor'] === undefined ? undefined : v['prune-monitor'].split(',').map((m) => oneOf(m.trim(), '--prune-monitor', ['loss', 'tr', 'rl'] as const)!),
    },
    prunePaper: v['prune-paper'] || undefined,
    architecture: v.architecture,
    pretrained: v.pretrained,
    epochs: v.epochs,
    iterations: v.iterations,
    valIterations: v['val-iterations'],
    batch: v.batch,
    patch,
    optimizer: oneOf(v.optimizer, '--optimizer', ['sgd', 'adamw'] as const),
    lr: v.lr,
    seed: v.seed,
    name: v.name,
    device: v.device,
    workers: v.workers,
    continue: v.continue,
    force: v.force,
    quiet: v.quiet,
  };
}

/** Trains; returns the exit code. */
export async function runTrain(dataset: string, request: Omit<TrainRequest, 'workDir'>): Promise<number> {
  let workDir: string;
  try { workDir = resolveWorkDir(dataset); } catch (err) {
    if (err instanceof DatasetError) { console.error(`pspseg train: ${err.message}`); return 1; }
    throw err;
  }
  const result = await runTraining({ ...request, workDir });
  const last = result.logs[result.logs.length - 1];
  if (last) console.log(`done: ${result.outDir} (best EMA pseudo Dice ${result.bestEma?.toFixed(4) ?? 'n/a'}, ${result.numParameters.toLocaleString()} parameters)`);
  return 0;
}
