/**
 * The training loop (nnU-Net v2's schedule; docs/training.md). Per epoch:
 *   start  the epoch-start hook (pruning may mask, delete or restore blocks), the poly learning rate;
 *   train  `iterations` augmented batches: forward, TR's masked pass, loss, backward, clipping, step;
 *   validate  `valIterations` batches of the validation cases (no augmentation, no gradients): the
 *          loss and the pseudo Dice;
 *   end    the EMA of the pseudo Dice, one log line, checkpoints (latest every epoch, best when the
 *          EMA improves, final at the end; a finished run keeps final and best), architecture.json,
 *          progress.svg.
 *
 * Randomness: batch k of epoch e comes from the loader seeded with (seed, e, stream), so a resumed
 * run draws exactly the batches the uninterrupted run would have drawn; the network's initial
 * weights come from `seed`. Nothing else is random, which is why the checkpoint's RNG state is
 * just the seed.
 */
import { existsSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LossTerms, TrainingLoss } from '../losses/index.js';
import { BatchLoader, type Batch, type LoaderOptions } from '../data/sampling/loader.js';
import type { CaseArrays } from '../data/sampling/patch_sampler.js';
import { ARCHITECTURE_FILE, type CheckpointKind, PROGRESS_FILE, checkpointStateFile, checkpointWeightsFile } from '../models/model_folder.js';
import { GradScaler, type Optimizer, averageGradients, broadcastParameters, clipGradNorm, polyLR } from '../optim/index.js';
import { type Tensor, autocast, noGrad, tidy } from '../tensor/index.js';
import { type NetworkOutput, asFloat32, float32Output } from '../nn/index.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { Progress, formatDuration } from '../util/progress.js';
import type { Axes3 } from '../util/triple.js';
import { saveCheckpoint } from './checkpoint.js';
import { type DataParallel, checkSameArchitecture, checkSameOnRanks, rankBatch, rankSeed, sumOverRanks } from './data_parallel.js';
import { type TrainConfig, configHash } from './config.js';
import type { NetworkBuilder, TrainableNetwork } from './interfaces.js';
import { type RunState, openRun } from './open_run.js';
import { progressSvg } from './progress_plot.js';
import { PseudoDice, updateEma } from './pseudo_dice.js';
import { type EpochLog, type LogRecord, TRAINING_LOG_FILE, appendEpochLog, appendLogRecord } from './training_log.js';

const RNG_SCHEME = 'loader batches of epoch e: BatchLoader seed mixSeed(seed, e, 1) training, mixSeed(seed, e, 2) validation, mixSeed(seed, e, 3) hook batches; initial weights: Generator(seed)';

/** What the epoch-start hook (the pruning schedule) sees and may use. */
export interface EpochStartContext<N = TrainableNetwork> {
  epoch: number;
  /** The epochs finished so far. */
  logs: readonly EpochLog[];
  network: N;
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
export interface TrainingHooks<N = TrainableNetwork> {
  onEpochStart?(ctx: EpochStartContext<N>): Promise<EpochStartOutcome | void> | EpochStartOutcome | void;
  state?(): unknown;
  restore?(state: unknown, network: N): void;
  afterSave?(ctx: { epoch: number; network: N; outDir: string; final: boolean }): Promise<void> | void;
}

export interface TrainerSetup<N extends TrainableNetwork = TrainableNetwork> {
  config: TrainConfig;
  /** The fold folder. */
  outDir: string;
  trainCases: readonly CaseArrays[];
  valCases: readonly CaseArrays[];
  builder: NetworkBuilder<N>;
  loss: TrainingLoss;
  hooks?: TrainingHooks<N>;
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
  /**
   * Data-parallel training: this rank trains its share of each global batch from its own seed streams, the
   * gradients are averaged every step, the epoch's means and validation counts reduced over the ranks, and
   * only rank 0 writes (logs, checkpoints, pictures). Null: one process.
   */
  parallel?: DataParallel | null;
}

export interface TrainResult {
  logs: EpochLog[];
  /** The epoch the run started from (0, or the checkpoint's). */
  startEpoch: number;
  bestEma: number | null;
  /** Parameter count at the end (after pruning). */
  numParameters: number;
}

export async function runTrainer<N extends TrainableNetwork>(s: TrainerSetup<N>): Promise<TrainResult> {
  const dp = s.parallel ?? null;
  const run = new TrainingRun(s, await openRun({
    config: s.config, outDir: s.outDir, builder: s.builder, resume: s.resume ?? false, maskedEncoderPass: s.loss.maskInput !== undefined,
    axes: s.axes, print: s.print ?? ((l: string) => console.log(l)),
    writer: dp === null || dp.rank === 0, stepBatch: batchShare(s.config, dp).batchSize,
  }));
  try {
    await run.begin();
    for (let epoch = run.firstEpoch; epoch < s.config.epochs; epoch++) {
      const start = await run.startEpoch(epoch);
      const train = await run.phase('train', epoch);
      const validation = await run.phase('validation', epoch);
      await run.endEpoch(epoch, start, train, validation);
    }
    return run.result();
  } finally {
    await run.close();
  }
}

/** This process' share of the global batch (all of it without ranks). */
function batchShare(c: TrainConfig, dp: DataParallel | null): ReturnType<typeof rankBatch> {
  return rankBatch(c.batchSize, c.oversampleForeground, dp?.rank ?? 0, dp?.worldSize ?? 1);
}

/** One phase's means over its batches. */
interface PhaseResult {
  loss: number;
  terms: Record<string, number>;
  seconds: number;
  /** Time spent waiting for the loader. */
  waitSeconds: number;
  /** Validation: the pseudo Dice over the phase. */
  dice: PseudoDice | null;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const fmt = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** A run between opening and closing: its network, optimiser, logs and the loaders made one phase ahead. */
class TrainingRun<N extends TrainableNetwork> {
  /** The first epoch this session trains (0, or the checkpoint's). */
  readonly firstEpoch: number;
  private readonly c: TrainConfig;
  private readonly print: (line: string) => void;
  private readonly logPath: string;
  /** Each phase's loader is made one phase early, so its workers fill their queue while the step before works. */
  private readonly ahead: { train: BatchLoader | null; validation: BatchLoader | null } = { train: null, validation: null };
  /** When this session's first epoch started, for the run's ETA. */
  private sessionStart = 0;

  /** fp16's loss scaling (its state starts afresh when a run continues, as the scale re-adapts in a few steps). */
  private readonly scaler: GradScaler | null;
  private readonly dp: DataParallel | null;
  /** This process writes the run's files (one process, or rank 0). */
  private readonly writer: boolean;

  constructor(private readonly s: TrainerSetup<N>, private readonly st: RunState<N>) {
    this.c = s.config;
    this.dp = s.parallel ?? null;
    this.writer = this.dp === null || this.dp.rank === 0;
    this.scaler = s.config.runtime.precision === 'fp16' ? new GradScaler(st.device) : null;
    // a resumed fp16 run goes on with its scale (a run continued in another precision starts a new one)
    if (this.scaler && st.lossScale) this.scaler.loadState(st.lossScale);
    this.print = s.print ?? ((l: string) => console.log(l));
    this.logPath = join(s.outDir, TRAINING_LOG_FILE);
    this.firstEpoch = st.startEpoch;
  }

  /** The hooks get the checkpoint's state; a fresh run writes its architecture; every rank takes rank 0's weights. */
  async begin(): Promise<void> {
    if (this.st.hookState !== undefined) this.s.hooks?.restore?.(this.st.hookState, this.st.net);
    else await this.writeArchitecture(this.s.builder.describe(this.st.net));
    if (this.dp) {
      // before the broadcast, whose buckets follow each rank's own parameters
      checkSameOnRanks(this.dp, { architecture: this.s.builder.describe(this.st.net), config: configHash(this.c), epoch: this.st.startEpoch }, 'at the start',
        'another architecture, configuration or checkpoint: give every rank the same options and the same fold folder');
      broadcastParameters(this.dp.group, this.st.net.parameters());
    }
    this.sessionStart = performance.now();
  }

  private loaderOptions(): Omit<LoaderOptions, 'cases' | 'seed' | 'numBatches'> {
    const c = this.c;
    return {
      patchSize: c.patchSize, ...batchShare(c, this.dp),
      deepSupervisionScales: this.s.builder.outputScales(this.st.net), maskedChannels: c.dataset.maskedChannels,
      device: this.st.device === 'cpu' ? undefined : this.st.device, workers: c.runtime.workers ?? undefined,
    };
  }

  private loader(phase: 'train' | 'validation', epoch: number): BatchLoader {
    const c = this.c;
    return phase === 'train'
      ? new BatchLoader({ ...this.loaderOptions(), cases: this.s.trainCases, seed: rankSeed(c.seed, epoch, 1, this.dp), numBatches: c.iterations })
      : new BatchLoader({ ...this.loaderOptions(), cases: this.s.valCases, seed: rankSeed(c.seed, epoch, 2, this.dp), numBatches: c.valIterations, augment: false });
  }

  /** The epoch-start hook, then the learning rate; returns when the epoch started and its lr. */
  async startEpoch(epoch: number): Promise<{ time: number; lr: number }> {
    const time = performance.now();
    const { net, opt } = this.st;
    const hooks = this.s.hooks;
    if (hooks?.onEpochStart) {
      const outcome = await hooks.onEpochStart({
        epoch, logs: this.st.logs, network: net, optimizer: opt,
        batches: (n, o = {}) => new BatchLoader({
          ...this.loaderOptions(), cases: this.s.trainCases, seed: rankSeed(this.c.seed, epoch, 3, this.dp), numBatches: n, augment: o.augment ?? true,
        }),
      });
      reconcileParameters(net, opt);
      for (const r of outcome?.records ?? []) {
        if (r.epoch !== epoch) throw new Error(`the epoch-start hook of epoch ${epoch} returned a record for epoch ${r.epoch}`);
        this.st.records.push(r);
        if (this.writer) appendLogRecord(this.logPath, r);
      }
    }
    const lr = polyLR(this.c.optimizer.lr, epoch, this.c.epochs, this.c.polyExponent);
    opt.lr = lr;
    return { time, lr };
  }

  /** The run's remaining time from this session's epochs so far, as a label ('' before the first one ends). */
  private runEta(epoch: number): string {
    const done = epoch - this.firstEpoch;
    if (done < 1 || epoch >= this.c.epochs) return '';
    const perEpoch = (performance.now() - this.sessionStart) / 1000 / done;
    return `, run ETA ${formatDuration(perEpoch * (this.c.epochs - epoch))}`;
  }

  /** Training (gradient steps) or validation (no gradients, pseudo Dice) over one epoch's batches. */
  async phase(kind: 'train' | 'validation', epoch: number): Promise<PhaseResult> {
    const c = this.c, training = kind === 'train';
    const loader = this.ahead[kind] ?? this.loader(kind, epoch);
    this.ahead[kind] = null;
    if (training) this.ahead.validation = this.loader('validation', epoch);
    else if (epoch + 1 < c.epochs) this.ahead.train = this.loader('train', epoch + 1);
    if (training) this.st.net.train(); else this.st.net.eval();
    const batches = training ? c.iterations : c.valIterations;
    const dice = training ? null : new PseudoDice(c.dataset.labels.map((l) => l.value));
    const label = training ? `epoch ${epoch + 1}/${c.epochs}${this.runEta(epoch)}` : `validation ${epoch + 1}/${c.epochs}`;
    const bar = this.s.quiet ? null : new Progress(label, batches);
    const totals: number[] = [];
    const terms: Record<string, number[]> = Object.fromEntries(this.s.loss.termNames.map((t) => [t, []]));
    const start = performance.now();
    let wait = 0;
    try {
      for (let i = 0; i < batches; i++) {
        const t = performance.now();
        const batch = await loader.next();
        wait += performance.now() - t;
        try {
          const r = training ? tidy(() => this.step(batch)) : noGrad(() => tidy(() => this.evaluate(batch, dice!)));
          totals.push(r.total);
          for (const k of this.s.loss.termNames) terms[k]!.push(r[k] ?? NaN);
          bar?.tick(1, `loss ${fmt(r.total)}`);
        } finally {
          batch.dispose();
        }
      }
    } finally {
      await loader.close();
    }
    if (this.dp) this.reduceOverRanks(totals, terms, dice);
    const loss = mean(totals);
    bar?.finish(training ? `mean loss ${fmt(loss)}` : `loss ${fmt(loss)}, pseudo Dice ${fmt(dice!.mean(), 3)}`);
    return {
      loss, terms: Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, mean(v)])),
      seconds: (performance.now() - start) / 1000, waitSeconds: wait / 1000, dice,
    };
  }

  /**
   * Data-parallel: the phase's losses become every rank's together (each rank's values replaced by the global
   * sum spread over its count, so that the means are the global means) and the validation counts are summed.
   */
  private reduceOverRanks(totals: number[], terms: Record<string, number[]>, dice: PseudoDice | null): void {
    const names = Object.keys(terms);
    const k = dice?.classes.length ?? 0;
    const v = new Float64Array(2 + names.length + 3 * k);
    v[0] = totals.reduce((a, b) => a + b, 0);
    v[1] = totals.length;
    names.forEach((n, i) => { v[2 + i] = terms[n]!.reduce((a, b) => a + b, 0); });
    for (let j = 0; j < k; j++) {
      v[2 + names.length + j] = dice!.tp[j]!;
      v[2 + names.length + k + j] = dice!.fp[j]!;
      v[2 + names.length + 2 * k + j] = dice!.fn[j]!;
    }
    sumOverRanks(this.dp!, v);
    const n = v[1]!;
    totals.splice(0, totals.length, ...Array.from({ length: n }, () => v[0]! / n));
    names.forEach((name, i) => terms[name]!.splice(0, terms[name]!.length, ...Array.from({ length: n }, () => v[2 + i]! / n)));
    for (let j = 0; j < k; j++) {
      dice!.tp[j] = v[2 + names.length + j]!;
      dice!.fp[j] = v[2 + names.length + k + j]!;
      dice!.fn[j] = v[2 + names.length + 2 * k + j]!;
    }
  }

  /**
   * The network's forward pass and TR's masked pass (no gradients) in the run's precision (under
   * autocast for bf16 and fp16), their maps in float32 for the loss.
   */
  private forward(batch: Batch): { output: NetworkOutput; masked: Tensor[] | null } {
    const { net, device } = this.st, precision = this.c.runtime.precision, mask = this.s.loss.maskInput;
    return autocast(precision, device, () => ({
      output: float32Output(net.forward(batch.image)),
      masked: mask ? noGrad(() => net.encode(mask(batch.image, batch.target[0]!)).map(asFloat32)) : null,
    }));
  }

  /** One optimisation step (fp16: the loss scaled, a step with non-finite gradients skipped). */
  private step(batch: Batch): LossTerms {
    const { net, opt } = this.st;
    opt.zeroGrad();
    const { output, masked } = this.forward(batch);
    const r = this.s.loss.compute(output, masked, batch.target);
    const scaler = this.scaler;
    (scaler ? scaler.scaleLoss(r.total) : r.total).backward();
    // the ranks' mean gradient (an inf on one rank reaches all, so they skip the same fp16 steps)
    if (this.dp) averageGradients(this.dp.group, net.parameters());
    const finite = scaler ? scaler.unscale(net.parameters()) : true;
    if (finite) clipGradNorm(net.parameters(), this.c.gradClip);
    if (scaler) scaler.step(opt, finite); else opt.step();
    return r.terms;
  }

  /** One validation batch: its loss, and its hard predictions into the pseudo Dice. */
  private evaluate(batch: Batch, dice: PseudoDice): LossTerms {
    const { output, masked } = this.forward(batch);
    const r = this.s.loss.compute(output, masked, batch.target);
    dice.add(output.logits[0]!, batch.target[0]!);
    return r.terms;
  }

  /** The EMA and best, the log, the checkpoints and pictures, the epoch's line. */
  async endEpoch(epoch: number, start: { time: number; lr: number }, train: PhaseResult, val: PhaseResult): Promise<void> {
    const c = this.c, st = this.st;
    const meanDice = val.dice!.mean();
    st.ema = updateEma(st.ema, meanDice, c.emaMomentum);
    // nnU-Net: the first epoch always sets the best; later ones when the EMA rises (an undefined best, NaN, is beaten by anything)
    const isBest = st.bestEma === null || Number.isNaN(st.bestEma) || st.ema > st.bestEma;
    if (isBest) st.bestEma = st.ema;
    const record: EpochLog = {
      epoch, lr: start.lr,
      trainLoss: train.loss, trainTerms: train.terms, valLoss: val.loss, valTerms: val.terms,
      pseudoDice: val.dice!.perClass(), meanPseudoDice: meanDice, ema: st.ema, best: isBest,
      // the epoch's time as nnU-Net measures it: hook, training and validation, not the checkpoints
      epochSeconds: (performance.now() - start.time) / 1000,
      trainSeconds: (performance.now() - start.time) / 1000 - val.seconds, valSeconds: val.seconds,
      dataWaitSeconds: train.waitSeconds + val.waitSeconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024, numParameters: st.net.numParameters(),
      precision: c.runtime.precision, ...(this.scaler ? { skippedSteps: this.scaler.skipped, lossScale: this.scaler.scale } : {}),
    };
    st.logs.push(record);
    const last = epoch === c.epochs - 1;
    if (this.dp) checkSameArchitecture(this.dp, this.s.builder.describe(st.net), epoch + 1);
    if (!this.writer) {
      this.s.onEpochEnd?.(record);
      return;
    }
    appendEpochLog(this.logPath, record);
    await this.save(epoch + 1, [...(isBest ? ['best' as const] : []), last ? 'final' : 'latest']);
    // a finished run keeps final (and best), as nnU-Net's does; latest would only repeat final
    if (last && existsSync(checkpointWeightsFile(this.s.outDir, 'latest')))
      for (const f of [checkpointStateFile(this.s.outDir, 'latest'), checkpointWeightsFile(this.s.outDir, 'latest')]) rmSync(f, { force: true });
    const labelNames = c.dataset.labels.map((l) => l.name);
    await writeFile(join(this.s.outDir, PROGRESS_FILE), progressSvg(st.logs, labelNames, `${c.name} fold ${c.fold}`));
    this.print(epochLine(record, c, labelNames) + this.runEta(epoch + 1));
    await this.s.hooks?.afterSave?.({ epoch: epoch + 1, network: st.net, outDir: this.s.outDir, final: last });
    this.s.onEpochEnd?.(record);
  }

  private async save(epochsDone: number, kinds: CheckpointKind[]): Promise<void> {
    const st = this.st;
    const architecture = this.s.builder.describe(st.net);
    const state = {
      epoch: epochsDone, configHash: configHash(this.c), architecture, logs: st.logs, records: st.records, ema: st.ema, bestEma: st.bestEma,
      rng: { seed: this.c.seed, scheme: RNG_SCHEME }, pruning: this.s.hooks?.state?.() ?? null, lossScale: this.scaler?.state() ?? null,
    };
    for (const kind of kinds) saveCheckpoint(this.s.outDir, kind, st.net.stateDict(), st.opt, state);
    await this.writeArchitecture(architecture);
  }

  private async writeArchitecture(architecture: unknown): Promise<void> {
    if (!this.writer) return;
    await writeFileAtomic(join(this.s.outDir, ARCHITECTURE_FILE), [`${JSON.stringify(architecture, null, 2)}\n`]);
  }

  result(): TrainResult {
    const st = this.st;
    return { logs: st.logs, startEpoch: this.firstEpoch, bestEma: st.bestEma, numParameters: st.net.numParameters() };
  }

  async close(): Promise<void> {
    await Promise.all([this.ahead.train, this.ahead.validation].map((l) => l?.close()));
    this.scaler?.dispose();
    this.st.opt.dispose();
    this.st.net.dispose();
  }
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

function epochLine(e: EpochLog, c: TrainConfig, labelNames: readonly string[]): string {
  const terms = Object.keys(e.trainTerms).length > 1 ? ` (${Object.entries(e.trainTerms).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})` : '';
  const dice = e.pseudoDice.map((d, i) => `${labelNames[i]} ${fmt(d, 3)}`).join(', ');
  const waitPct = e.epochSeconds > 0 ? (100 * e.dataWaitSeconds) / e.epochSeconds : 0;
  return `epoch ${e.epoch + 1}/${c.epochs}  lr ${e.lr.toExponential(2)}  train ${fmt(e.trainLoss)}${terms}  val ${fmt(e.valLoss)}  ` +
    `pseudo Dice ${dice} (mean ${fmt(e.meanPseudoDice, 3)}, EMA ${fmt(e.ema, 3)})${e.best ? ' best' : ''}  ` +
    `${e.epochSeconds.toFixed(1)} s (data wait ${waitPct.toFixed(1)}%)  RSS ${Math.round(e.peakRssMB)} MB`;
}
