/**
 * One training run from a request (what `pspseg train` parsed): the dataset's preprocessed cases,
 * the fold, the settings (defaults, or config.json when continuing), the network and loss from the
 * registry, then the trainer. Output: <work>/models/<name>/fold_<k>/.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Shape3 } from '../data/common/triple.js';
import { CONFIG_FILE, DEFAULTS, type LossConfig, type NetworkConfig, type TrainConfig, CONFIG_VERSION, defaultModelName, defaultOptimizer, loadConfig } from './config.js';
import type { NetworkBuilder, TrainingLoss } from './interfaces.js';
import { buildLoss, buildNetwork } from './registry.js';
import { type PreprocessedDataset, loadCases, openPreprocessed } from './preprocessed.js';
import { type Fold, SPLITS_FILE, foldCases } from './splits.js';
import { ARCHITECTURE_FILE, PROGRESS_FILE, type TrainResult, type TrainingHooks, runTrainer } from './trainer.js';
import { TRAINING_LOG_FILE } from './training_log.js';
import type { EpochLog } from './training_log.js';

export interface TrainRequest {
  /** The dataset's work folder (plan.json, preprocessed/). */
  workDir: string;
  fold: Fold;
  arch?: NetworkConfig['arch'];
  variant?: 'S' | 'B' | 'L';
  deepSupervision?: boolean;
  loss?: LossConfig['name'];
  epochs?: number;
  iterations?: number;
  valIterations?: number;
  batch?: number;
  patch?: Shape3;
  optimizer?: 'sgd' | 'adamw';
  lr?: number;
  seed?: number;
  name?: string;
  device?: string;
  workers?: number;
  /** Continue the run in the fold folder from its newest complete checkpoint. */
  continue?: boolean;
  /** Start over even though the fold folder holds a run. */
  force?: boolean;
  quiet?: boolean;
  hooks?: TrainingHooks;
  /** The network and loss for a configuration (default: registry.ts). */
  buildNetwork?: (config: TrainConfig) => NetworkBuilder;
  buildLoss?: (config: TrainConfig) => TrainingLoss;
  print?: (line: string) => void;
  onEpochEnd?: (log: EpochLog) => void;
}

export interface RunResult extends TrainResult { config: TrainConfig; outDir: string }

export const foldDirName = (fold: Fold): string => `fold_${fold}`;
export const modelsDir = (workDir: string): string => join(workDir, 'models');

function networkConfig(r: TrainRequest): NetworkConfig {
  const arch = r.arch ?? 'psp';
  if (r.variant && arch !== 'psp') throw new Error(`--variant applies to --arch psp only (got --arch ${arch})`);
  return { arch, variant: arch === 'psp' ? (r.variant ?? 'S') : null, deepSupervision: r.deepSupervision ?? arch !== 'small' };
}

/** Fresh settings: the request over method.md's defaults and the plan's patch and batch. */
async function freshConfig(r: TrainRequest, d: PreprocessedDataset, name: string, network: NetworkConfig): Promise<TrainConfig> {
  const split = await foldCases(join(d.workDir, SPLITS_FILE), d.caseIds, r.fold);
  const plan = d.plan;
  const optimizerName = r.optimizer ?? 'sgd';
  return {
    version: CONFIG_VERSION,
    name,
    dataset: {
      name: d.name, workDir: d.workDir, preprocessedDir: d.preprocessedDir, planHash: d.planHash,
      inChannels: plan.channels.length,
      classes: 1 + Math.max(...plan.labels.map((l) => l.value)),
      labels: plan.labels.filter((l) => l.value > 0).map((l) => ({ name: l.name, value: l.value })),
      foregroundFill: plan.channels.map((ch) => (Number.isFinite(ch.foregroundPercentile005Normalized) ? ch.foregroundPercentile005Normalized : null)),
      maskedChannels: plan.channels.flatMap((ch, i) => (ch.useMask ? [i] : [])),
    },
    fold: r.fold,
    splitSource: split.source,
    trainCases: split.train,
    valCases: split.val,
    network,
    loss: { name: r.loss ?? (network.arch === 'psp' ? 'psp' : 'dice_ce'), lambdaTR: DEFAULTS.lambdaTR, lambdaRL: DEFAULTS.lambdaRL },
    optimizer: defaultOptimizer(optimizerName, r.lr),
    epochs: r.epochs ?? DEFAULTS.epochs,
    iterations: r.iterations ?? DEFAULTS.iterations,
    valIterations: r.valIterations ?? DEFAULTS.valIterations,
    batchSize: r.batch ?? plan.batchSize,
    patchSize: r.patch ?? [...plan.patchSize],
    polyExponent: DEFAULTS.polyExponent,
    gradClip: DEFAULTS.gradClip,
    emaMomentum: DEFAULTS.emaMomentum,
    oversampleForeground: DEFAULTS.oversampleForeground,
    seed: r.seed ?? DEFAULTS.seed,
    runtime: { device: r.device ?? 'cpu', workers: r.workers ?? null },
  };
}

/** A continued run keeps its settings: an option given now that contradicts config.json is an error. */
function checkContinueOptions(r: TrainRequest, c: TrainConfig, path: string): void {
  const given: [string, unknown, unknown][] = [
    ['--arch', r.arch, c.network.arch], ['--variant', r.variant, c.network.variant], ['--loss', r.loss, c.loss.name],
    ['--epochs', r.epochs, c.epochs], ['--iterations', r.iterations, c.iterations], ['--val-iterations', r.valIterations, c.valIterations],
    ['--batch', r.batch, c.batchSize], ['--patch', r.patch?.join(','), c.patchSize.join(',')], ['--optimizer', r.optimizer, c.optimizer.name],
    ['--lr', r.lr, c.optimizer.lr], ['--seed', r.seed, c.seed],
  ];
  for (const [flag, now, before] of given)
    if (now !== undefined && now !== before) throw new Error(`${flag} ${now} differs from ${path} (${before}); a continued run keeps its settings`);
}

export async function runTraining(r: TrainRequest): Promise<RunResult> {
  const d = await openPreprocessed(r.workDir);
  const network = networkConfig(r);
  const name = r.name ?? defaultModelName(network);
  const outDir = join(modelsDir(d.workDir), name, foldDirName(r.fold));
  const configPath = join(outDir, CONFIG_FILE);
  let config: TrainConfig;
  if (r.continue) {
    config = await loadConfig(configPath);
    checkContinueOptions(r, config, configPath);
    if (config.dataset.planHash !== d.planHash)
      throw new Error(`${configPath}: the run trained on plan ${config.dataset.planHash}, the dataset is now preprocessed with plan ${d.planHash}`);
    config = { ...config, runtime: { device: r.device ?? config.runtime.device, workers: r.workers ?? config.runtime.workers } };
  } else {
    if (existsSync(configPath)) {
      if (!r.force) throw new Error(`${outDir} already holds a run (${CONFIG_FILE}); add --continue to resume it or --force to start over`);
      for (const f of [CONFIG_FILE, ARCHITECTURE_FILE, TRAINING_LOG_FILE, PROGRESS_FILE]) rmSync(join(outDir, f), { force: true });
      for (const kind of ['latest', 'best', 'final'])
        for (const suffix of ['.safetensors', '.state.safetensors']) for (const next of ['', '.next']) rmSync(join(outDir, `checkpoint_${kind}${suffix}${next}`), { force: true });
    }
    config = await freshConfig(r, d, name, network);
  }

  const builder = (r.buildNetwork ?? buildNetwork)(config);
  const loss = (r.buildLoss ?? buildLoss)(config);
  config.patchSize.forEach((n, i) => {
    if (n % builder.patchMultiple) throw new Error(`patch size ${config.patchSize.join('x')}: axis ${i} (${n}) must be a multiple of ${builder.patchMultiple} for --arch ${config.network.arch}`);
  });
  const cases = await loadCases(d, [...config.trainCases, ...config.valCases]);
  const pick = (ids: string[]) => ids.map((id) => cases.get(id)!);
  const print = r.print ?? ((l: string) => console.log(l));
  print(`${config.name} fold ${config.fold}: ${config.trainCases.length} training / ${config.valCases.length} validation cases (${config.splitSource}); ` +
    `patch ${config.patchSize.join('x')}, batch ${config.batchSize}, ${config.epochs} epochs x ${config.iterations} iterations, ${config.optimizer.name} lr ${config.optimizer.lr}`);
  const result = await runTrainer({
    config, outDir, trainCases: pick(config.trainCases), valCases: pick(config.valCases), builder, loss,
    hooks: r.hooks, resume: r.continue, quiet: r.quiet, print, onEpochEnd: r.onEpochEnd,
  });
  return { ...result, config, outDir };
}
