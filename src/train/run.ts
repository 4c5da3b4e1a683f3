/**
 * One training run from the options of `pspseg train` (src/train/options.ts): the dataset's
 * preprocessed cases, the fold, the settings (made from the options, or config.json's when
 * continuing), the network and loss from the registry, then the trainer. Output:
 * <work>/models/<name>/fold_<k>/, locked for the run's duration.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../data/plan/plan_schema.js';
import { type TrainingLoss, batchAcrossRanks } from '../losses/index.js';
import { arrayAxisNames, formatXYZ, xyzOrder } from '../data/common/axes.js';
import { type Architecture, type PlainArchitecture, loadArchitecture, plainArchitecture, plainTopology } from '../models/index.js';
import { RUN_FILES } from '../models/model_folder.js';
import { withFolderLock } from '../util/folder_lock.js';
import type { Triple } from '../util/triple.js';
import { removeCheckpoints } from './checkpoint.js';
import { CONFIG_FILE, CONFIG_VERSION, DEFAULTS, type TrainConfig, defaultModelName, defaultOptimizer, loadConfig, trainConfigSchema } from './config.js';
import type { NetworkBuilder, TrainableNetwork } from './interfaces.js';
import { initialStepFor } from '../pruning/settings.js';
import { type TrainOptions, applyTrainOptions, checkTrainOptions, continuedConfig, flagOfField } from './options.js';
import { formatPretrainedReport, loadPretrained } from './pretrained.js';
import { pruningHooks } from './pruning_hooks.js';
import { buildLoss, buildNetwork, pspBuilder, unprunedParameters } from './registry.js';
import { type PreprocessedDataset, loadCases, openPreprocessed } from './preprocessed.js';
import { type Fold, SPLITS_FILE, foldCases } from './splits.js';
import { type TrainResult, type TrainingHooks, runTrainer } from './trainer.js';
import { type DataParallel, joinFromEnvironment, rankBatch, sumOverRanks } from './data_parallel.js';
import type { EpochLog } from './training_log.js';

export interface TrainRun {
  /** The dataset's work folder (plan.json, preprocessed/). */
  workDir: string;
  /** `pspseg train`'s options as given; what is absent gets its default. */
  options: TrainOptions;
  hooks?: TrainingHooks;
  /** The network and loss for a configuration (default: registry.ts). */
  buildNetwork?: (config: TrainConfig) => NetworkBuilder;
  buildLoss?: (config: TrainConfig) => TrainingLoss;
  print?: (line: string) => void;
  onEpochEnd?: (log: EpochLog) => void;
  /**
   * Data-parallel training's group; undefined: joined from the environment when WORLD_SIZE > 1 (torchrun's
   * variables, or `pspseg train --nproc-per-node`'s workers), else one process.
   */
  parallel?: DataParallel | null;
}

export interface RunResult extends TrainResult { config: TrainConfig; outDir: string }

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

/** PlainUNet: nnU-Net's topology for the plan's spacing and the patch, which must fit it. */
function plainStart(plan: Plan, patch: Triple, inChannels: number, classes: number, deepSupervision: boolean): PlainArchitecture {
  const t = plainTopology(plan.targetSpacing as Triple, patch);
  const xyz = (v: readonly number[]) => formatXYZ(v, plan.transposeForward);
  if (t.patchSize.some((n, a) => n !== patch[a]))
    throw new Error(`--arch plain: patch ${xyz(patch)} is not divisible by ${xyz(t.divisibleBy)}, the total stride of nnU-Net's topology ` +
      `for it (pools per axis ${xyz(t.poolsPerAxis)}); use --patch ${xyzOrder(t.patchSize, plan.transposeForward).join(',')}`);
  return plainArchitecture(t, { inChannels, classes, deepSupervision });
}

/** Fresh settings: the options over the defaults (docs/training.md) and the plan's patch and batch. */
async function freshConfig(o: TrainOptions, d: PreprocessedDataset, name: string, fold: Fold, given: Architecture | null,
  writer: boolean): Promise<TrainConfig> {
  // the ranks make the same split; one writes it
  const split = await foldCases(join(d.workDir, SPLITS_FILE), d.caseIds, fold, { save: writer });
  const plan = d.plan;
  const inChannels = plan.channels.length;
  const classes = 1 + Math.max(...plan.labels.map((l) => l.value));
  if (given && (given.inChannels !== inChannels || given.classes !== classes))
    throw new Error(`--architecture ${o.architecture}: the architecture has ${given.inChannels} input channel(s) and ${given.classes} classes, the dataset ${inChannels} and ${classes}`);
  const c = applyTrainOptions({
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
    fold,
    splitSource: split.source,
    trainCases: split.train,
    valCases: split.val,
    polyExponent: DEFAULTS.polyExponent,
    gradClip: DEFAULTS.gradClip,
    emaMomentum: DEFAULTS.emaMomentum,
    oversampleForeground: DEFAULTS.oversampleForeground,
  }, { given: o, plan, architecture: given }) as TrainConfig;
  c.optimizer = defaultOptimizer(c.optimizer.name, c.optimizer.lr);
  if (c.network.arch === 'plain' && c.network.architecture === null)
    c.network.architecture = plainStart(plan, c.patchSize, inChannels, classes, c.network.deepSupervision);
  const parsed = trainConfigSchema.safeParse(c);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const path = i.path.join('.');
    const flag = flagOfField(path);
    throw new Error(`${flag ? `--${flag}` : `config.${path}`}: ${i.message}`);
  }
  return parsed.data;
}

/**
 * Trains in the fold folder, which is locked for the run (a second run on it is refused, naming this one).
 * Data-parallel: every rank runs this; rank 0 holds the lock and writes, the others only train.
 */
export async function runTraining(r: TrainRun): Promise<RunResult> {
  const o = r.options;
  checkTrainOptions(o);
  const joined = r.parallel === undefined ? joinFromEnvironment() : null;
  const parallel = r.parallel ?? joined;
  try {
    return await trainOnRank({ ...r, parallel });
  } finally {
    joined?.group.destroy();
  }
}

async function trainOnRank(r: TrainRun & { parallel: DataParallel | null }): Promise<RunResult> {
  const o = r.options;
  const d = await openPreprocessed(r.workDir);
  const given = o.architecture !== undefined ? givenArchitecture(o.architecture) : null;
  const ctx = { given: o, plan: d.plan, architecture: given?.arch ?? null };
  const network = applyTrainOptions({}, ctx).network!;
  const name = o.name ?? defaultModelName(network) + (given ? '_scratch' : network.arch === 'psp' && o['no-prune'] ? '_noprune' : '');
  const fold: Fold = o.fold === undefined ? 0 : o.fold === 'all' ? 'all' : Number(o.fold);
  const outDir = join(modelsDir(d.workDir), name, foldDirName(fold));
  if (r.parallel && r.parallel.rank !== 0) return trainInFolder(r, d, outDir, name, fold, given);
  return withFolderLock(outDir, {}, () => trainInFolder(r, d, outDir, name, fold, given));
}

async function trainInFolder(r: TrainRun & { parallel: DataParallel | null }, d: PreprocessedDataset, outDir: string, name: string, fold: Fold,
  given: { arch: Architecture; masked: number } | null): Promise<RunResult> {
  const o = r.options;
  const configPath = join(outDir, CONFIG_FILE);
  const dp = r.parallel;
  const writer = dp === null || dp.rank === 0;
  let config: TrainConfig;
  let clearOld = false;
  if (o.continue) {
    config = continuedConfig(await loadConfig(configPath), { given: o, plan: d.plan, architecture: given?.arch ?? null }, configPath);
    if (config.dataset.planHash !== d.planHash)
      throw new Error(`${configPath}: the run trained on plan ${config.dataset.planHash}, the dataset is now preprocessed with plan ${d.planHash}`);
  } else {
    clearOld = existsSync(configPath) && writer;
    if (clearOld && !o.force) throw new Error(`${outDir} already holds a run (${CONFIG_FILE}); add --continue to resume it or --force to start over`);
    config = await freshConfig(o, d, name, fold, given?.arch ?? null, writer);
  }

  // CUDA ranks: each takes its machine's GPU LOCAL_RANK (runtime settings are outside the config's hash)
  if (dp && config.runtime.device === 'cuda') config = { ...config, runtime: { ...config.runtime, device: `cuda:${dp.localRank}` } };
  config = { ...config, runtime: { ...config.runtime, ranks: dp?.worldSize ?? 1 } };
  // the other ranks train silently: rank 0 speaks for the group
  const print = writer ? r.print ?? ((l: string) => console.log(l)) : () => {};
  const quiet = o.quiet || !writer;
  const loss = r.buildLoss ? r.buildLoss(config) : buildLoss(config, dp ? batchAcrossRanks(dp.group) : undefined);
  const multiple = (r.buildNetwork ?? buildNetwork)(config).patchMultiple;
  config.patchSize.forEach((n, i) => {
    const m = typeof multiple === 'number' ? multiple : multiple[i]!;
    if (n % m) throw new Error(`patch ${formatXYZ(config.patchSize, d.plan.transposeForward)}: its ${arrayAxisNames(d.plan.transposeForward)[i]} size ${n} ` +
      `must be a multiple of ${m} for --arch ${config.network.arch}`);
  });
  // settings that cannot run are refused before --force clears the old run (rankBatch throws for a batch the ranks cannot split)
  const rankShare = dp ? rankBatch(config.batchSize, config.oversampleForeground, dp.rank, dp.worldSize) : null;
  if (clearOld) {
    for (const f of RUN_FILES) rmSync(join(outDir, f), { force: true });
    removeCheckpoints(outDir);
  }
  if (given?.masked && !o.continue) print(`--architecture ${o.architecture}: its ${given.masked} masked block(s) are left out (deleted) in the model trained from scratch`);
  const pretrained = config.network.pretrained;
  /** A fresh network takes the tensors of --pretrained that fit. */
  const withPretrained = <N extends TrainableNetwork>(base: NetworkBuilder<N>): NetworkBuilder<N> => (pretrained === null || o.continue ? base : {
    ...base,
    create: (seed) => {
      const net = base.create(seed);
      try { for (const l of formatPretrainedReport(loadPretrained(net, pretrained))) print(l); } catch (err) { net.dispose(); throw err; }
      return net;
    },
  });
  const cases = await loadCases(d, [...config.trainCases, ...config.valCases]);
  const pick = (ids: string[]) => ids.map((id) => cases.get(id)!);
  const p = config.pruning;
  const axes = d.plan.transposeForward;
  print(`${config.name} fold ${config.fold}: ${config.trainCases.length} training / ${config.valCases.length} validation cases (${config.splitSource}); ` +
    `patch ${formatXYZ(config.patchSize, axes)}, batch ${config.batchSize}, ${config.epochs} epochs x ${config.iterations} iterations, ${config.optimizer.name} lr ${config.optimizer.lr}` +
    (config.network.arch !== 'psp' ? '' : p.enabled
      ? `; pruning: window ${p.window}, delta ${p.delta}, step ${p.initialStep}, ${p.calibrationBatches} calibration batches, stops at ${p.stopFraction} of the epochs, watches ${p.monitored.join(', ')}`
      : '; pruning off'));
  if (config.valCases.length === 1 && config.fold !== 'all')
    print(`note: fold ${config.fold} validates on one case (${config.valCases[0]}): the pseudo Dice, and so the best checkpoint, rest on it alone` +
      (d.caseIds.length < 5 ? ` (the dataset has ${d.caseIds.length} cases, so ${d.caseIds.length} folds of one case each; --fold all trains and validates on every case)` : ''));
  if (dp && rankShare) print(`data-parallel: ${dp.worldSize} ranks (c10d, Gloo), batch ${config.batchSize} split into ${rankShare.batchSize} per rank`);
  const setup = {
    config, outDir, trainCases: pick(config.trainCases), valCases: pick(config.valCases), loss,
    resume: o.continue, quiet, print, onEpochEnd: r.onEpochEnd, axes, parallel: dp,
  };
  const result = config.network.arch === 'psp' && !r.buildNetwork
    ? await runTrainer({
      ...setup, builder: withPretrained(pspBuilder(config)),
      hooks: r.hooks ?? pruningHooks({
        settings: { ...p, initialStep: p.initialStep ?? initialStepFor(config.network.variant ?? 'S') }, totalEpochs: config.epochs,
        outDir, print, quiet, unprunedParameters, writer,
        reduceScores: dp ? (scores) => sumOverRanks(dp, scores) : undefined,
      }),
    })
    : await runTrainer({ ...setup, builder: withPretrained((r.buildNetwork ?? buildNetwork)(config)), hooks: r.hooks });
  return { ...result, config, outDir };
}
