/**
 * One training run from a request (what `pspseg train` parsed): the dataset's preprocessed cases,
 * the fold, the settings (defaults, or config.json when continuing), the network and loss from the
 * registry, then the trainer. Output: <work>/models/<name>/fold_<k>/.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Shape3 } from '../util/triple.js';
import type { Plan } from '../data/plan/plan_schema.js';
import { type Architecture, type Triple, formatShape, loadArchitecture, plainArchitecture, plainTopology } from '../models/index.js';
import { ARCHITECTURE_FILE, PROGRESS_FILE, PRUNING_GRID_FILE, TRAINING_LOG_FILE } from '../models/model_folder.js';
import type { PspVariant } from '../models/psp_variants.js';
import { type MonitoredLog, PAPER_PRUNING_VALUES, PRUNING_SUMMARY_FILE, PruningSettingsSchema, type PruningSettingsInput, initialStepFor } from '../pruning/index.js';
import {
  CONFIG_FILE, DEFAULTS, type NetworkConfig, type PruningConfig, type TrainConfig, CONFIG_VERSION, defaultModelName, defaultOptimizer, loadConfig,
} from './config.js';
import type { NetworkBuilder } from './interfaces.js';
import { type LossName, type TrainingLoss, parseLossConfig } from '../losses/index.js';
import { formatPretrainedReport, loadPretrained } from './pretrained.js';
import { pruningHooks } from './pruning_hooks.js';
import { buildLoss, buildNetwork } from './registry.js';
import { type PreprocessedDataset, loadCases, openPreprocessed } from './preprocessed.js';
import { type Fold, SPLITS_FILE, foldCases } from './splits.js';
import { type TrainResult, type TrainingHooks, runTrainer } from './trainer.js';
import type { EpochLog } from './training_log.js';

export interface TrainRequest {
  /** The dataset's work folder (plan.json, preprocessed/). */
  workDir: string;
  fold: Fold;
  arch?: NetworkConfig['arch'];
  variant?: PspVariant;
  deepSupervision?: boolean;
  loss?: LossName;
  lambdaTR?: number;
  lambdaRL?: number;
  rlVariant?: 'code' | 'paper';
  /** Progressive pruning (PSP-Seg only; default on for PSP-Seg unless `architecture` is given). */
  prune?: boolean;
  /** Pruning constants overriding the defaults (the authors' code's), or the paper's with `prunePaper`. */
  pruning?: PruningOverrides;
  prunePaper?: boolean;
  /** An architecture.json to train from scratch, pruning off (a compact model re-trained). */
  architecture?: string;
  /** A safetensors file whose matching tensors initialise the network. */
  pretrained?: string;
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

/** The pruning constants `pspseg train` exposes (--prune-window, --prune-delta, ...). */
export interface PruningOverrides {
  window?: number;
  delta?: number;
  /** The initial prune step s. */
  step?: number;
  calibrationBatches?: number;
  stopFraction?: number;
  /** The logs the convergence and over-pruning checks watch. */
  monitored?: MonitoredLog[];
}
const PRUNING_FLAGS: Record<keyof PruningOverrides, string> = {
  window: '--prune-window', delta: '--prune-delta', step: '--prune-step', calibrationBatches: '--prune-calibration-batches', stopFraction: '--prune-stop-fraction',
  monitored: '--prune-monitor',
};

export const foldDirName = (fold: Fold): string => `fold_${fold}`;
export const modelsDir = (workDir: string): string => join(workDir, 'models');

/** The architecture of --architecture FILE: masked blocks become deleted (the compact model has none of them). */
function givenArchitecture(path: string): { arch: Architecture; masked: number } {
  const a = loadArchitecture(path);
  if (a.kind !== 'psp') return { arch: a, masked: 0 };
  let masked = 0;
  const blocks = Object.fromEntries(Object.entries(a.blocks).map(([m, states]) => [m, states.map((st) => {
    if (st === 'masked') masked++;
    return st === 'masked' ? 'deleted' as const : st;
  })]));
  return { arch: { ...a, blocks }, masked };
}

function networkConfig(r: TrainRequest, given: Architecture | null): NetworkConfig {
  const arch = r.arch ?? given?.kind ?? 'psp';
  if (r.variant && arch !== 'psp') throw new Error(`--variant applies to --arch psp only (got --arch ${arch})`);
  if (given) {
    if (given.kind !== arch) throw new Error(`--architecture ${r.architecture}: a ${given.kind} architecture, but --arch ${arch}`);
    if (r.variant) throw new Error('--variant and --architecture exclude each other (the file says what to build)');
    return {
      arch, variant: given.kind === 'psp' ? given.variant : null, deepSupervision: r.deepSupervision ?? given.deepSupervision,
      architecture: given, pretrained: r.pretrained === undefined ? null : resolve(r.pretrained),
    };
  }
  return {
    arch, variant: arch === 'psp' ? (r.variant ?? 'S') : null, deepSupervision: r.deepSupervision ?? arch !== 'small',
    architecture: null, pretrained: r.pretrained === undefined ? null : resolve(r.pretrained),
  };
}

/** PlainUNet: nnU-Net's topology for the plan's spacing and the patch, which must fit it. */
function plainStart(plan: Plan, patch: Triple, inChannels: number, classes: number, deepSupervision: boolean): Architecture {
  const t = plainTopology(plan.targetSpacing as Triple, patch);
  if (t.patchSize.some((n, a) => n !== patch[a]))
    throw new Error(`--arch plain: patch ${formatShape(patch)} is not divisible by ${formatShape(t.divisibleBy)}, the total stride of nnU-Net's topology ` +
      `for it (pools per axis ${formatShape(t.poolsPerAxis)}); use --patch ${t.patchSize.join(',')}`);
  return plainArchitecture(t, { inChannels, classes, deepSupervision });
}

/** The run's pruning settings: on by default for PSP-Seg trained from its variant; every constant explicit. */
function pruningConfig(r: TrainRequest, network: NetworkConfig, loss: LossName): PruningConfig {
  const given = Object.entries(r.pruning ?? {}).filter(([, v]) => v !== undefined).map(([k]) => PRUNING_FLAGS[k as keyof PruningOverrides]);
  if (r.prunePaper) given.push('--prune-paper');
  const enabled = network.arch === 'psp' && network.architecture === null && r.prune !== false;
  if (!enabled && given.length) {
    const why = network.arch !== 'psp' ? `--arch ${network.arch} has no PRMs` : network.architecture !== null ? '--architecture trains a given architecture, pruning off' : '--no-prune';
    throw new Error(`${given.join(', ')}: pruning is off (${why})`);
  }
  if (r.prune === true && !enabled)
    throw new Error(network.arch !== 'psp' ? `--arch ${network.arch}: only PSP-Seg networks can be pruned` : '--architecture trains the given architecture with pruning off');
  const o = r.pruning ?? {};
  const input: PruningSettingsInput = {
    ...(r.prunePaper ? PAPER_PRUNING_VALUES : {}),
    enabled,
    // Without TR and RL (--loss dice_ce) only the training loss can be watched.
    ...(loss === 'dice_ce' && !r.prunePaper ? { monitored: ['loss'] } : {}),
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.delta !== undefined ? { delta: o.delta } : {}),
    ...(o.calibrationBatches !== undefined ? { calibrationBatches: o.calibrationBatches } : {}),
    ...(o.stopFraction !== undefined ? { stopFraction: o.stopFraction } : {}),
    ...(o.monitored !== undefined ? { monitored: o.monitored } : {}),
    initialStep: o.step ?? initialStepFor(network.variant ?? 'S'),
  };
  const watched = input.monitored ?? ['loss', 'tr', 'rl'];
  if (loss === 'dice_ce' && watched.some((m) => m !== 'loss'))
    throw new Error(`${o.monitored ? '--prune-monitor' : '--prune-paper'} watches ${watched.join(', ')}, but --loss dice_ce computes no TR or RL (watch loss only)`);
  const parsed = PruningSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const flag = PRUNING_FLAGS[(i.path[0] === 'initialStep' ? 'step' : i.path[0]) as keyof PruningOverrides] ?? `pruning.${i.path.join('.')}`;
    throw new Error(`${flag}: ${i.message}`);
  }
  return parsed.data;
}

/** Fresh settings: the request over method.md's defaults and the plan's patch and batch. */
async function freshConfig(r: TrainRequest, d: PreprocessedDataset, name: string, network: NetworkConfig): Promise<TrainConfig> {
  const split = await foldCases(join(d.workDir, SPLITS_FILE), d.caseIds, r.fold);
  const plan = d.plan;
  const optimizerName = r.optimizer ?? 'sgd';
  const inChannels = plan.channels.length;
  const classes = 1 + Math.max(...plan.labels.map((l) => l.value));
  const patchSize: Triple = r.patch ?? [...plan.patchSize] as Triple;
  const given = network.architecture as Architecture | null;
  if (given && (given.inChannels !== inChannels || given.classes !== classes))
    throw new Error(`--architecture ${r.architecture}: the architecture has ${given.inChannels} input channel(s) and ${given.classes} classes, the dataset ${inChannels} and ${classes}`);
  if (network.arch === 'plain' && network.architecture === null)
    network = { ...network, architecture: plainStart(plan, patchSize, inChannels, classes, network.deepSupervision) };
  const loss = r.loss ?? (network.arch === 'psp' ? 'psp' : 'dice_ce');
  return {
    version: CONFIG_VERSION,
    name,
    dataset: {
      name: d.name, workDir: d.workDir, preprocessedDir: d.preprocessedDir, planHash: d.planHash,
      inChannels,
      classes,
      labels: plan.labels.filter((l) => l.value > 0).map((l) => ({ name: l.name, value: l.value })),
      foregroundFill: plan.channels.map((ch) => (Number.isFinite(ch.foregroundPercentile005Normalized) ? ch.foregroundPercentile005Normalized : null)),
      maskedChannels: plan.channels.flatMap((ch, i) => (ch.useMask ? [i] : [])),
    },
    fold: r.fold,
    splitSource: split.source,
    trainCases: split.train,
    valCases: split.val,
    network,
    loss: parseLossConfig({ name: loss, lambdaTR: r.lambdaTR, lambdaRL: r.lambdaRL, rlVariant: r.rlVariant }, 'the loss options'),
    optimizer: defaultOptimizer(optimizerName, r.lr),
    epochs: r.epochs ?? DEFAULTS.epochs,
    iterations: r.iterations ?? DEFAULTS.iterations,
    valIterations: r.valIterations ?? DEFAULTS.valIterations,
    batchSize: r.batch ?? plan.batchSize,
    patchSize,
    polyExponent: DEFAULTS.polyExponent,
    gradClip: DEFAULTS.gradClip,
    emaMomentum: DEFAULTS.emaMomentum,
    oversampleForeground: DEFAULTS.oversampleForeground,
    pruning: pruningConfig(r, network, loss),
    seed: r.seed ?? DEFAULTS.seed,
    runtime: { device: r.device ?? 'cpu', workers: r.workers ?? null },
  };
}

/** A continued run keeps its settings: an option given now that contradicts config.json is an error. */
function checkContinueOptions(r: TrainRequest, c: TrainConfig, path: string, architecture: Architecture | null): void {
  const given: [string, unknown, unknown][] = [
    ['--arch', r.arch, c.network.arch], ['--variant', r.variant, c.network.variant], ['--loss', r.loss, c.loss.name],
    ['--epochs', r.epochs, c.epochs], ['--iterations', r.iterations, c.iterations], ['--val-iterations', r.valIterations, c.valIterations],
    ['--batch', r.batch, c.batchSize], ['--patch', r.patch?.join(','), c.patchSize.join(',')], ['--optimizer', r.optimizer, c.optimizer.name],
    ['--lr', r.lr, c.optimizer.lr], ['--seed', r.seed, c.seed],
    ['--lambda-tr', r.lambdaTR, c.loss.lambdaTR], ['--lambda-rl', r.lambdaRL, c.loss.lambdaRL], ['--rl-variant', r.rlVariant, c.loss.rlVariant],
    ['--pretrained', r.pretrained === undefined ? undefined : resolve(r.pretrained), c.network.pretrained ?? undefined],
    ['--no-prune', r.prune === false ? true : undefined, !c.pruning.enabled],
    ['--prune-window', r.pruning?.window, c.pruning.window], ['--prune-delta', r.pruning?.delta, c.pruning.delta],
    ['--prune-step', r.pruning?.step, c.pruning.initialStep], ['--prune-calibration-batches', r.pruning?.calibrationBatches, c.pruning.calibrationBatches],
    ['--prune-stop-fraction', r.pruning?.stopFraction, c.pruning.stopFraction],
    ['--prune-monitor', r.pruning?.monitored?.join(','), c.pruning.monitored.join(',')],
  ];
  if (architecture && JSON.stringify(architecture) !== JSON.stringify(c.network.architecture))
    throw new Error(`--architecture ${r.architecture} differs from the architecture the run started with (${path})`);
  if (r.prunePaper) throw new Error(`--prune-paper: a continued run keeps its pruning settings (${path}); drop the option`);
  for (const [flag, now, before] of given)
    if (now !== undefined && now !== before) throw new Error(`${flag} ${now} differs from ${path} (${before}); a continued run keeps its settings`);
}

export async function runTraining(r: TrainRequest): Promise<RunResult> {
  const d = await openPreprocessed(r.workDir);
  const given = r.architecture !== undefined ? givenArchitecture(r.architecture) : null;
  const network = networkConfig(r, given?.arch ?? null);
  const name = r.name ?? defaultModelName(network) + (given ? '_scratch' : network.arch === 'psp' && r.prune === false ? '_noprune' : '');
  const outDir = join(modelsDir(d.workDir), name, foldDirName(r.fold));
  const configPath = join(outDir, CONFIG_FILE);
  let config: TrainConfig;
  if (r.continue) {
    config = await loadConfig(configPath);
    checkContinueOptions(r, config, configPath, given?.arch ?? null);
    if (config.dataset.planHash !== d.planHash)
      throw new Error(`${configPath}: the run trained on plan ${config.dataset.planHash}, the dataset is now preprocessed with plan ${d.planHash}`);
    config = { ...config, runtime: { device: r.device ?? config.runtime.device, workers: r.workers ?? config.runtime.workers } };
  } else {
    if (existsSync(configPath)) {
      if (!r.force) throw new Error(`${outDir} already holds a run (${CONFIG_FILE}); add --continue to resume it or --force to start over`);
      for (const f of [CONFIG_FILE, ARCHITECTURE_FILE, TRAINING_LOG_FILE, PROGRESS_FILE, PRUNING_GRID_FILE, PRUNING_SUMMARY_FILE]) rmSync(join(outDir, f), { force: true });
      for (const kind of ['latest', 'best', 'final'])
        for (const suffix of ['.safetensors', '.state.safetensors']) for (const next of ['', '.next']) rmSync(join(outDir, `checkpoint_${kind}${suffix}${next}`), { force: true });
    }
    config = await freshConfig(r, d, name, network);
  }

  const print = r.print ?? ((l: string) => console.log(l));
  let builder = (r.buildNetwork ?? buildNetwork)(config);
  const loss = (r.buildLoss ?? buildLoss)(config);
  const multiple = builder.patchMultiple;
  config.patchSize.forEach((n, i) => {
    const m = typeof multiple === 'number' ? multiple : multiple[i]!;
    if (n % m) throw new Error(`patch size ${config.patchSize.join('x')}: axis ${i} (${n}) must be a multiple of ${m} for --arch ${config.network.arch}`);
  });
  if (given?.masked && !r.continue) print(`--architecture ${r.architecture}: its ${given.masked} masked block(s) are left out (deleted) in the model trained from scratch`);
  const pretrained = config.network.pretrained;
  if (pretrained !== null && !r.continue) {
    const base = builder;
    builder = { ...base, create: (seed) => {
      const net = base.create(seed);
      try { for (const l of formatPretrainedReport(loadPretrained(net, pretrained))) print(l); } catch (err) { net.dispose(); throw err; }
      return net;
    } };
  }
  const cases = await loadCases(d, [...config.trainCases, ...config.valCases]);
  const pick = (ids: string[]) => ids.map((id) => cases.get(id)!);
  const p = config.pruning;
  print(`${config.name} fold ${config.fold}: ${config.trainCases.length} training / ${config.valCases.length} validation cases (${config.splitSource}); ` +
    `patch ${config.patchSize.join('x')}, batch ${config.batchSize}, ${config.epochs} epochs x ${config.iterations} iterations, ${config.optimizer.name} lr ${config.optimizer.lr}` +
    (config.network.arch !== 'psp' ? '' : p.enabled
      ? `; pruning: window ${p.window}, delta ${p.delta}, step ${p.initialStep}, ${p.calibrationBatches} calibration batches, stops at ${p.stopFraction} of the epochs, watches ${p.monitored.join(', ')}`
      : '; pruning off'));
  const hooks = r.hooks ?? (config.network.arch === 'psp' ? pruningHooks({ config, outDir, print, quiet: r.quiet }) : undefined);
  const result = await runTrainer({
    config, outDir, trainCases: pick(config.trainCases), valCases: pick(config.valCases), builder, loss,
    hooks, resume: r.continue, quiet: r.quiet, print, onEpochEnd: r.onEpochEnd,
  });
  return { ...result, config, outDir };
}
