/**
 * pspseg train DATASET: trains a network on a preprocessed dataset (nnU-Net v2's schedule,
 * PSP-Seg's settings; method.md section 3). This file only parses options; src/train does the work.
 */
import { parseArgs } from 'node:util';
import { DatasetError } from '../../data/dataset.js';
import { resolveWorkDir } from '../../train/preprocessed.js';
import { type TrainRequest, runTraining } from '../../train/run.js';

export const summary = 'train a network on a preprocessed dataset (checkpoints, logs, resumable)';

const USAGE = `usage: pspseg train DATASET [options]

DATASET: a dataset folder (or its dataset.json), or the name of a dataset already preprocessed under
$PSPSEG_WORK. Run 'pspseg plan' and 'pspseg preprocess' first. Output:
$PSPSEG_WORK/<dataset>/models/<name>/fold_<k>/ (config.json, architecture.json, training_log.jsonl,
progress.svg, checkpoint_{latest,best,final}). Folds come from <dataset work>/splits.json (nnU-Net's
5-fold split, created on first use; edit it to choose your own).

options:
  --arch A            psp (PSP-Seg, default), plain (U-Net baseline) or small (the demo's small U-Net)
  --variant V         PSP-Seg size S (default), B or L
  --fold N|all        cross-validation fold (default 0); all trains and validates on every case
  --epochs N          epochs (default 1000)
  --iterations N      training iterations per epoch (default 250)
  --val-iterations N  validation batches per epoch (default 50)
  --batch N           batch size (default: the plan's)
  --patch D,H,W       patch size (default: the plan's; one number for a cube)
  --optimizer O       sgd (default; momentum 0.99, Nesterov, weight decay 3e-5) or adamw
  --lr X              initial learning rate (default 1e-2 for sgd, 1e-4 for adamw)
  --loss L            psp (Dice+CE + 0.1 TR + 0.1 RL; default for psp) or dice_ce (default otherwise)
  --no-deep-supervision  train without the deep-supervision heads
  --seed N            random seed (default 0)
  --name NAME         model folder name (default psp_S, plain or small)
  --continue          resume the run in the fold folder from its newest complete checkpoint
  --force             start over although the fold folder holds a run
  --device D          cpu (default) or cuda
  --workers N         data loader worker threads (default: cores - 1, at most 4)
  --quiet             no progress bars
  -h, --help          this text`;

const int = (v: string | undefined, flag: string, min = 1): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
};

/** argv -> a TrainRequest (minus the work folder, resolved from DATASET) or the help text. */
export function parseTrainArgs(args: string[]): { help: true } | { help: false; dataset: string; request: Omit<TrainRequest, 'workDir'> } {
  const { values: v, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      arch: { type: 'string' }, variant: { type: 'string' }, fold: { type: 'string' }, epochs: { type: 'string' },
      iterations: { type: 'string' }, 'val-iterations': { type: 'string' }, batch: { type: 'string' }, patch: { type: 'string' },
      optimizer: { type: 'string' }, lr: { type: 'string' }, loss: { type: 'string' }, seed: { type: 'string' }, name: { type: 'string' },
      'no-deep-supervision': { type: 'boolean' }, continue: { type: 'boolean' }, force: { type: 'boolean' }, device: { type: 'string' },
      workers: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return { help: true };
  if (positionals.length !== 1) throw new Error('expected exactly one DATASET');
  const oneOf = <T extends string>(val: string | undefined, flag: string, allowed: readonly T[]): T | undefined => {
    if (val === undefined) return undefined;
    if (!allowed.includes(val as T)) throw new Error(`${flag} must be one of ${allowed.join(', ')}, got '${val}'`);
    return val as T;
  };
  let fold: TrainRequest['fold'] = 0;
  if (v.fold !== undefined) fold = v.fold === 'all' ? 'all' : int(v.fold, '--fold', 0)!;
  let patch: TrainRequest['patch'];
  if (v.patch !== undefined) {
    const parts = v.patch.split(',').map((p) => int(p.trim(), '--patch')!);
    if (parts.length !== 1 && parts.length !== 3) throw new Error(`--patch takes D,H,W or one number, got '${v.patch}'`);
    patch = (parts.length === 1 ? [parts[0], parts[0], parts[0]] : parts) as [number, number, number];
  }
  let lr: number | undefined;
  if (v.lr !== undefined) {
    lr = Number(v.lr);
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`--lr must be a positive number, got '${v.lr}'`);
  }
  if (v.continue && v.force) throw new Error('--continue and --force exclude each other');
  if (v.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(v.name)) throw new Error(`--name may hold letters, digits, '.', '_' and '-' only, got '${v.name}'`);
  return {
    help: false,
    dataset: positionals[0]!,
    request: {
      fold,
      arch: oneOf(v.arch, '--arch', ['psp', 'plain', 'small'] as const),
      variant: oneOf(v.variant, '--variant', ['S', 'B', 'L'] as const),
      deepSupervision: v['no-deep-supervision'] ? false : undefined,
      loss: oneOf(v.loss, '--loss', ['psp', 'dice_ce'] as const),
      epochs: int(v.epochs, '--epochs'),
      iterations: int(v.iterations, '--iterations'),
      valIterations: int(v['val-iterations'], '--val-iterations'),
      batch: int(v.batch, '--batch'),
      patch,
      optimizer: oneOf(v.optimizer, '--optimizer', ['sgd', 'adamw'] as const),
      lr,
      seed: int(v.seed, '--seed', 0),
      name: v.name,
      device: v.device,
      workers: int(v.workers, '--workers', 0),
      continue: v.continue,
      force: v.force,
      quiet: v.quiet,
    },
  };
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try { parsed = parseTrainArgs(args); } catch (err) {
    console.error(`pspseg train: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) { console.log(USAGE); return 0; }
  let workDir: string;
  try { workDir = resolveWorkDir(parsed.dataset); } catch (err) {
    if (err instanceof DatasetError) { console.error(`pspseg train: ${err.message}`); return 1; }
    throw err;
  }
  const result = await runTraining({ ...parsed.request, workDir });
  const last = result.logs[result.logs.length - 1];
  if (last) console.log(`done: ${result.outDir} (best EMA pseudo Dice ${result.bestEma?.toFixed(4) ?? 'n/a'}, ${result.numParameters.toLocaleString()} parameters)`);
  return 0;
}
