/**
 * The training loop (nnU-Net v2's schedule, method.md section 3). Each epoch: the epoch-start hook
 * (pruning), poly learning rate, `iterations` augmented batches from the loader with gradient
 * clipping, `valIterations` validation batches (same sampler, no augmentation) for the loss and
 * the pseudo Dice and its EMA, one log line, and the checkpoints (latest every epoch, best when the
 * EMA improves, final at the end), progress.svg and architecture.json.
 *
 * Randomness: batch k of epoch e comes from the loader seeded with (seed, e, stream), so a resumed
 * run draws exactly the batches the uninterrupted run would have drawn; the network's initial
 * weights come from `seed`. Nothing else is random, which is why the checkpoint's RNG state is
 * just the seed.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchLoader, type Batch, type LoaderOptions } from '../data/sampling/loader.js';
import { guardTrainingMemory } from '../data/sampling/training_memory.js';
import { SegmentationNetwork, trainingStepMemory } from '../models/index.js';
import { ARCHITECTURE_FILE, PROGRESS_FILE } from '../models/model_folder.js';
import type { CaseArrays } from '../data/sampling/patch_sampler.js';
import { loadSafetensors } from '../tensor/index.js';
import { AdamW, type Optimizer, SGD, clipGradNorm, polyLR } from '../optim/index.js';
import { type Device, engineConfig, noGrad, tidy } from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { Progress } from '../util/progress.js';
import type { Axes3 } from '../util/triple.js';
import { mixSeed } from '../util/random.js';
import { CheckpointError, type CheckpointKind, type LoadedCheckpoint, disposeCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkpointStateFile, checkpointWeightsFile } from '../models/model_folder.js';
import { CONFIG_FILE, type TrainConfig, configHash, saveConfig } from './config.js';
import type { NetworkBuilder, TrainableNetwork } from './interfaces.js';
import type { TrainingLoss } from '../losses/index.js';
import { progressSvg } from './progress_plot.js';
import { PseudoDice, updateEma } from './pseudo_dice.js';
import { type EpochLog, type LogRecord, TRAINING_LOG_FILE, appendEpochLog, appendLogRecord, writeTrainingLog } from './training_log.js';

const RNG_SCHEME = 'loader batches of epoch e: BatchLoader seed mixSeed(seed, e, 1) training, mixSeed(seed, e, 2) validation, mixSeed(seed, e, 3) hook batches; initial weights: Generator(seed)';

/** What the epoch-start hook (the pruning schedule) sees and may use. */
export interface EpochStartContext {
  epoch: number;
  config: TrainConfig;
  logs: readonly EpochLog[];
  network: TrainableNetwork;
  optimizer: Optimizer;
  /** `n` batches from the training cases (augmented unless `augment: false`), from the epoch's own seed stream. */
  batches(n: number, o?: { augment?: boolean }): AsyncIterable<Batch>;
}

/** What the epoch-start hook reports: records for training_log.jsonl (each with `type` and this epoch). */
export interface EpochStartOutcome {
  records?: LogRecord[];
}

/**
 * Hooks for the pruning schedule. `onEpochStart` may delete parameters from the network: the
 * optimiser then drops their state; the records it returns go into training_log.jsonl before the
 * epoch's line (and into every checkpoint). Whatever `state()` returns is stored in every
 * checkpoint's pruning slot and handed to `restore` when a run continues (after the network,
 * rebuilt from the checkpoint's architecture, got its weights). `afterSave` runs after each
 * epoch's checkpoints and architecture.json are written (files of its own beside them).
 */
export interface TrainingHooks {
  onEpochStart?(ctx: EpochStartContext): Promise<EpochStartOutcome | void> | EpochStartOutcome | void;
  state?(): unknown;
  restore?(state: unknown, network: TrainableNetwork): void;
  afterSave?(ctx: { epoch: number; network: TrainableNetwork; outDir: string; final: boolean }): Promise<void> | void;
}

export interface TrainerSetup {
  config: TrainConfig;
  /** The fold folder. */
  outDir: string;
  trainCases: readonly CaseArrays[];
  valCases: readonly CaseArrays[];
  builder: NetworkBuilder;
  loss: TrainingLoss;
  hooks?: TrainingHooks;
  /** Continue from the newest complete checkpoint in outDir. */
  resume?: boolean;
  /** No progress bars. */
  quiet?: boolean;
  /** Where the per-epoch lines go (default console.log). */
  print?: (line: string) => void;
  /** Called after each epoch's checkpoints are written. */
  onEpochEnd?: (log: EpochLog) => void;
  /** The plan's transposeForward: which image axis each patch axis is, for messages. */
  axes?: Axes3;
}

export interface TrainResult {
  logs: EpochLog[];
  /** The epoch the run started from (0, or the checkpoint's). */
  startEpoch: number;
  bestEma: number | null;
  /** Parameter count at the end (after pruning). */
  numParameters: number;
}

export function checkDevice(device: string): Device {
  if (device === 'cpu') return 'cpu';
  if (!/^cuda(:\d+)?$/.test(device)) throw new Error(`--device must be cpu or cuda (or cuda:N), got '${device}'`);
  const cfg = engineConfig();
  if (!cfg.cuda || cfg.cudaDevices === 0)
    throw new Error(`--device ${device}: CUDA is not available (${cfg.cuda ? 'no CUDA device found' : `this libtorch ${cfg.torchVersion} was built without CUDA`}); use --device cpu`);
  const index = device.includes(':') ? Number(device.split(':')[1]) : 0;
  if (index >= cfg.cudaDevices) throw new Error(`--device ${device}: only ${cfg.cudaDevices} CUDA device(s)`);
  return device as Device;
}

function makeOptimizer(net: TrainableNetwork, c: TrainConfig): Optimizer {
  const o = c.optimizer;
  return o.name === 'sgd'
    ? new SGD(net.namedParameters(), { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay })
    : new AdamW(net.namedParameters(), { lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay });
}

/** After the hook: parameters that left the network leave the optimiser (with their state). */
function reconcileParameters(net: TrainableNetwork, opt: Optimizer): void {
  const now = new Set(net.namedParameters().map(([n]) => n));
  const known = new Set(opt.parameterNames());
  const added = [...now].filter((n) => !known.has(n));
  if (added.length) throw new Error(`the epoch-start hook added parameters (${added.slice(0, 3).join(', ')}); the trainer only supports removing them`);
  const removed = [...known].filter((n) => !now.has(n));
  if (removed.length) opt.removeParameters(removed);
}

/** Newest complete checkpoint among latest and final (a finished run only has final). */
function newestCheckpoint(dir: string): LoadedCheckpoint | null {
  let best: LoadedCheckpoint | null = null;
  for (const kind of ['latest', 'final'] as CheckpointKind[]) {
    const c = loadCheckpoint(dir, kind);
    if (!c) continue;
    if (!best || c.state.epoch > best.state.epoch) { if (best) disposeCheckpoint(best); best = c; } else disposeCheckpoint(c);
  }
  return best;
}

function loadWeightsInto(net: TrainableNetwork, path: string): void {
  const file = loadSafetensors(path);
  try { net.loadStateDict(file.tensors); } catch (err) {
    throw new CheckpointError(path, `weights do not fit the architecture: ${(err as Error).message.replace(/^loadStateDict: /, '')}`);
  } finally {
    for (const t of file.tensors.values()) t.dispose();
  }
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const fmt = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : String(v));

export async function runTrainer(s: TrainerSetup): Promise<TrainResult> {
  const c = s.config;
  const print = s.print ?? ((l: string) => console.log(l));
  const device = checkDevice(c.runtime.device);
  const out = s.outDir;
  await mkdir(out, { recursive: true });
  const logPath = join(out, TRAINING_LOG_FILE);

  // --- network, optimiser and state: fresh or from the newest complete checkpoint
  let net: TrainableNetwork;
  let opt: Optimizer;
  let logs: EpochLog[] = [];
  let records: LogRecord[] = [];
  let ema: number | null = null, bestEma: number | null = null, startEpoch = 0;
  // nnU-Net: continuing a run that died before its first checkpoint starts it afresh
  const ckpt = s.resume ? newestCheckpoint(out) : null;
  if (s.resume && !ckpt) print(`${out}: no checkpoint yet; starting the run from epoch 0`);
  if (ckpt) {
    try {
      if (ckpt.state.configHash !== configHash(c))
        throw new CheckpointError(ckpt.statePath, `written by a run with other settings than ${join(out, CONFIG_FILE)} (config hash ${ckpt.state.configHash} vs ${configHash(c)})`);
      net = s.builder.restore(ckpt.state.architecture, ckpt.statePath);
    } catch (err) { disposeCheckpoint(ckpt); throw err; }
    try {
      net.to(device);
      loadWeightsInto(net, ckpt.weightsPath);
      opt = makeOptimizer(net, c);
    } catch (err) { disposeCheckpoint(ckpt); net.dispose(); throw err; }
    try { opt.importState(ckpt.optimizerState, ckpt.statePath); } catch (err) { net.dispose(); throw err; }
    ({ logs, records, ema, bestEma, epoch: startEpoch } = ckpt.state);
    s.hooks?.restore?.(ckpt.state.pruning, net);
    await writeTrainingLog(logPath, logs, records); // exactly the checkpoint's epochs
    print(startEpoch >= c.epochs ? `${out}: training already finished (${c.epochs} epochs); nothing to continue`
      : `continuing from ${ckpt.weightsPath} (epoch ${startEpoch} of ${c.epochs} done)`);
  } else {
    net = s.builder.create(c.seed);
    try { guardStepMemory(net, c, s.loss.maskInput !== undefined, s.axes); } catch (err) { net.dispose(); throw err; }
    net.to(device);
    opt = makeOptimizer(net, c);
    await saveConfig(join(out, CONFIG_FILE), c);
    await writeTrainingLog(logPath, []);
  }

  const labelNames = c.dataset.labels.map((l) => l.name);
  const loaderBase = (): Omit<LoaderOptions, 'cases' | 'seed' | 'numBatches'> => ({
    patchSize: c.patchSize, batchSize: c.batchSize, oversampleForeground: c.oversampleForeground,
    deepSupervisionScales: s.builder.outputScales(net), maskedChannels: c.dataset.maskedChannels,
    device: device === 'cpu' ? undefined : device, workers: c.runtime.workers ?? undefined,
  });
  const trainLoader = (epoch: number) => new BatchLoader({ ...loaderBase(), cases: s.trainCases, seed: mixSeed(c.seed, epoch, 1), numBatches: c.iterations });
  const valLoader = (epoch: number) => new BatchLoader({ ...loaderBase(), cases: s.valCases, seed: mixSeed(c.seed, epoch, 2), numBatches: c.valIterations, augment: false });

  const saveAll = async (epoch: number, kinds: CheckpointKind[]): Promise<void> => {
    const architecture = s.builder.describe(net);
    const state = {
      epoch, configHash: configHash(c), architecture, logs, records, ema, bestEma,
      rng: { seed: c.seed, scheme: RNG_SCHEME }, pruning: s.hooks?.state?.() ?? null,
    };
    for (const kind of kinds) saveCheckpoint(out, kind, net.stateDict(), opt, state);
    await writeFileAtomic(join(out, ARCHITECTURE_FILE), [`${JSON.stringify(architecture, null, 2)}\n`]);
  };
  if (!ckpt) await writeFileAtomic(join(out, ARCHITECTURE_FILE), [`${JSON.stringify(s.builder.describe(net), null, 2)}\n`]);

  // Each phase's loader is made one phase early (validation's when training starts, the next
  // epoch's training loader when validation starts), so its workers start and fill their queue
  // while the step works instead of at the start of the phase.
  let nextTrain: BatchLoader | null = null;
  let nextVal: BatchLoader | null = null;
  try {
    for (let epoch = startEpoch; epoch < c.epochs; epoch++) {
      const t0 = performance.now();
      if (s.hooks?.onEpochStart) {
        const outcome = await s.hooks.onEpochStart({
          epoch, config: c, logs, network: net, optimizer: opt,
          batches: (n, o = {}) => new BatchLoader({
            ...loaderBase(), cases: s.trainCases, seed: mixSeed(c.seed, epoch, 3), numBatches: n, augment: o.augment ?? true,
          }),
        });
        reconcileParameters(net, opt);
        for (const r of outcome?.records ?? []) {
          if (r.epoch !== epoch) throw new Error(`the epoch-start hook of epoch ${epoch} returned a record for epoch ${r.epoch}`);
          records.push(r);
          appendLogRecord(logPath, r);
        }
      }
      const lr = polyLR(c.optimizer.lr, epoch, c.epochs, c.polyExponent);
      opt.lr = lr;

      // --- training iterations
      net.train();
      let wait = 0;
      const losses: number[] = [];
      const terms: Record<string, number[]> = Object.fromEntries(s.loss.termNames.map((t) => [t, []]));
      const bar = s.quiet ? null : new Progress(`epoch ${epoch + 1}/${c.epochs}`, c.iterations);
      const loader = nextTrain ?? trainLoader(epoch);
      nextTrain = null;
      nextVal = valLoader(epoch);
      try {
        for (let i = 0; i < c.iterations; i++) {
          const tw = performance.now();
          const batch = await loader.next();
          wait += performance.now() - tw;
          try {
            const r = tidy(() => {
              opt.zeroGrad();
              const output = net.forward(batch.image);
              const masked = s.loss.maskInput ? noGrad(() => net.encode(s.loss.maskInput!(batch.image, batch.target[0]!))) : null;
              const res = s.loss.compute(output, masked, batch.target);
              res.total.backward();
              clipGradNorm(net.parameters(), c.gradClip);
              opt.step();
              return { total: res.terms.total, terms: res.terms };
            });
            losses.push(r.total);
            for (const k of s.loss.termNames) terms[k]!.push(r.terms[k] ?? NaN);
            bar?.tick(1, `loss ${fmt(r.total)}`);
          } finally {
            batch.dispose();
          }
        }
      } finally {
        await loader.close();
      }
      bar?.finish(`mean loss ${fmt(mean(losses))}`);
      const t1 = performance.now();

      // --- validation: loss and pseudo Dice on validation patches, no augmentation, no gradients
      net.eval();
      const dice = new PseudoDice(c.dataset.labels.map((l) => l.value));
      const valLosses: number[] = [];
      const valTerms: Record<string, number[]> = Object.fromEntries(s.loss.termNames.map((t) => [t, []]));
      const vloader = nextVal ?? valLoader(epoch);
      nextVal = null;
      if (epoch + 1 < c.epochs) nextTrain = trainLoader(epoch + 1);
      try {
        for (let i = 0; i < c.valIterations; i++) {
          const tw = performance.now();
          const batch = await vloader.next();
          wait += performance.now() - tw;
          try {
            const r = noGrad(() => tidy(() => {
              const output = net.forward(batch.image);
              const masked = s.loss.maskInput ? net.encode(s.loss.maskInput(batch.image, batch.target[0]!)) : null;
              const res = s.loss.compute(output, masked, batch.target);
              dice.add(output.logits[0]!, batch.target[0]!);
              return { total: res.terms.total, terms: res.terms };
            }));
            valLosses.push(r.total);
            for (const k of s.loss.termNames) valTerms[k]!.push(r.terms[k] ?? NaN);
          } finally {
            batch.dispose();
          }
        }
      } finally {
        await vloader.close();
      }
      const t2 = performance.now();

      const meanDice = dice.mean();
      ema = updateEma(ema, meanDice, c.emaMomentum);
      // nnU-Net: the first epoch always sets the best; later ones when the EMA rises (an undefined best, NaN, is beaten by anything)
      const isBest = bestEma === null || Number.isNaN(bestEma) || ema > bestEma;
      if (isBest) bestEma = ema;
      const record: EpochLog = {
        epoch, lr,
        trainLoss: mean(losses), trainTerms: Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, mean(v)])),
        valLoss: mean(valLosses), valTerms: Object.fromEntries(Object.entries(valTerms).map(([k, v]) => [k, mean(v)])),
        pseudoDice: dice.perClass(), meanPseudoDice: meanDice, ema, best: isBest,
        epochSeconds: 0, trainSeconds: (t1 - t0) / 1000, valSeconds: (t2 - t1) / 1000, dataWaitSeconds: wait / 1000,
        peakRssMB: process.resourceUsage().maxRSS / 1024, numParameters: net.numParameters(),
      };
      // the epoch's time as nnU-Net measures it: hook, training and validation, not the checkpoints
      record.epochSeconds = (performance.now() - t0) / 1000;
      logs.push(record);
      appendEpochLog(logPath, record);
      const last = epoch === c.epochs - 1;
      await saveAll(epoch + 1, [...(isBest ? ['best' as const] : []), last ? 'final' : 'latest']);
      // a finished run keeps final (and best); latest would only repeat final
      if (last && existsSync(checkpointWeightsFile(out, 'latest'))) { rmSync(checkpointStateFile(out, 'latest'), { force: true }); rmSync(checkpointWeightsFile(out, 'latest'), { force: true }); }
      await writeFile(join(out, PROGRESS_FILE), progressSvg(logs, labelNames, `${c.name} fold ${c.fold}`));
      print(epochLine(record, c, labelNames));
      await s.hooks?.afterSave?.({ epoch: epoch + 1, network: net, outDir: out, final: last });
      s.onEpochEnd?.(record);
    }
    return { logs, startEpoch, bestEma, numParameters: net.numParameters() };
  } finally {
    await Promise.all([nextTrain, nextVal].map((l) => l?.close()));
    opt.dispose();
    net.dispose();
  }
}

function epochLine(e: EpochLog, c: TrainConfig, labelNames: readonly string[]): string {
  const terms = Object.keys(e.trainTerms).length > 1 ? ` (${Object.entries(e.trainTerms).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})` : '';
  const dice = e.pseudoDice.map((d, i) => `${labelNames[i]} ${fmt(d, 3)}`).join(', ');
  const waitPct = e.epochSeconds > 0 ? (100 * e.dataWaitSeconds) / e.epochSeconds : 0;
  return `epoch ${e.epoch + 1}/${c.epochs}  lr ${e.lr.toExponential(2)}  train ${fmt(e.trainLoss)}${terms}  val ${fmt(e.valLoss)}  ` +
    `pseudo Dice ${dice} (mean ${fmt(e.meanPseudoDice, 3)}, EMA ${fmt(e.ema, 3)})${e.best ? ' best' : ''}  ` +
    `${e.epochSeconds.toFixed(1)} s (data wait ${waitPct.toFixed(1)}%)  RSS ${Math.round(e.peakRssMB)} MB`;
}

/**
 * Refuses, before anything is written, a run whose training step would not fit in memory, naming the
 * patch, the batch and what to change (PSPSEG_MEMORY sets the limit, `off` skips it). The step's
 * estimate is the model layer's (models/step_memory.ts: live bytes at the step's peak times what the
 * allocator holds beyond them); the loader's batches are added by guardTrainingMemory. The memory the
 * process holds already is not counted: the available memory is what is left besides it.
 */
function guardStepMemory(net: TrainableNetwork, c: TrainConfig, maskedEncoderPass: boolean, axes?: Axes3): void {
  if (!(net instanceof SegmentationNetwork)) return; // networks without an estimate (the small U-Net, tests' stand-ins)
  const step = trainingStepMemory(net, c.patchSize, c.batchSize, { maskedEncoderPass, optimizerSlots: c.optimizer.name === 'sgd' ? 1 : 2 });
  guardTrainingMemory({
    bytesPerStep: step.resident,
    patchSize: c.patchSize, transposeForward: axes, batchSize: c.batchSize, channels: c.dataset.inChannels, loaderWorkers: c.runtime.workers ?? undefined,
  });
}
