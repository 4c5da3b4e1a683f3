/**
 * Opening a training run in its fold folder: a fresh network and optimiser (after the memory guard,
 * with config.json and an empty log written), or both rebuilt from the newest complete checkpoint
 * (architecture, weights, optimiser state, logs, EMA), with the log rewritten to exactly the
 * checkpoint's epochs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { guardTrainingMemory } from '../data/sampling/training_memory.js';
import { SegmentationNetwork, trainingStepMemory } from '../models/index.js';
import { AdamW, type GradScalerState, type Optimizer, SGD } from '../optim/index.js';
import { type Device, engineConfig, loadSafetensors } from '../tensor/index.js';
import type { Axes3 } from '../util/triple.js';
import { CheckpointError, type LoadedCheckpoint, disposeCheckpoint, loadCheckpoint } from './checkpoint.js';
import { CONFIG_FILE, type TrainConfig, configHash, saveConfig } from './config.js';
import type { NetworkBuilder, TrainableNetwork } from './interfaces.js';
import { type EpochLog, type LogRecord, TRAINING_LOG_FILE, writeTrainingLog } from './training_log.js';

/** What a run starts an epoch with. */
export interface RunState<N extends TrainableNetwork> {
  net: N;
  opt: Optimizer;
  device: Device;
  logs: EpochLog[];
  /** The log's other records so far (pruning events). */
  records: LogRecord[];
  ema: number | null;
  bestEma: number | null;
  /** Epochs done: the first epoch this session trains. */
  startEpoch: number;
  /** The checkpoint's pruning slot when continuing (for the hooks), else undefined. */
  hookState?: unknown;
  /** The checkpoint's fp16 gradient scaler state (null: none). */
  lossScale?: GradScalerState | null;
}

export interface OpenRunOptions<N extends TrainableNetwork> {
  config: TrainConfig;
  outDir: string;
  builder: NetworkBuilder<N>;
  /** Continue from the newest complete checkpoint (none yet: start afresh, as nnU-Net does). */
  resume: boolean;
  /** The training step runs TR's masked pass (the memory guard counts it). */
  maskedEncoderPass: boolean;
  /** The plan's transposeForward, for the memory guard's message. */
  axes?: Axes3;
  print: (line: string) => void;
  /** This process writes config.json and the training log (false: a data-parallel rank other than 0). */
  writer?: boolean;
  /** The batch of this process' step, for the memory guard (a data-parallel rank's share; default the config's). */
  stepBatch?: number;
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

export function makeOptimizer(net: TrainableNetwork, c: TrainConfig): Optimizer {
  const o = c.optimizer;
  return o.name === 'sgd'
    ? new SGD(net.namedParameters(), { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay })
    : new AdamW(net.namedParameters(), { lr: o.lr, betas: [o.beta1, o.beta2], eps: o.eps, weightDecay: o.weightDecay });
}

/** Newest complete checkpoint among latest and final (a finished run only has final). */
function newestCheckpoint(dir: string): LoadedCheckpoint | null {
  let best: LoadedCheckpoint | null = null;
  for (const kind of ['latest', 'final'] as const) {
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

/**
 * Refuses, before anything is written, a run whose training step would not fit in memory, naming the
 * patch, the batch and what to change (PSPSEG_MEMORY sets the limit, `off` skips it). The step's
 * estimate is the model layer's (models/step_memory.ts: live bytes at the step's peak times what the
 * allocator holds beyond them); the loader's batches are added by guardTrainingMemory. The memory the
 * process holds already is not counted: the available memory is what is left besides it.
 */
function guardStepMemory(net: TrainableNetwork, c: TrainConfig, batch: number, maskedEncoderPass: boolean, axes?: Axes3): void {
  if (!(net instanceof SegmentationNetwork)) return; // networks without an estimate (the small U-Net, tests' stand-ins)
  const step = trainingStepMemory(net, c.patchSize, batch, { maskedEncoderPass, optimizerSlots: c.optimizer.name === 'sgd' ? 1 : 2 });
  guardTrainingMemory({
    bytesPerStep: step.resident,
    patchSize: c.patchSize, transposeForward: axes, batchSize: batch, channels: c.dataset.inChannels, loaderWorkers: c.runtime.workers ?? undefined,
  });
}

export async function openRun<N extends TrainableNetwork>(o: OpenRunOptions<N>): Promise<RunState<N>> {
  const c = o.config, out = o.outDir;
  const device = checkDevice(c.runtime.device);
  await mkdir(out, { recursive: true });
  const logPath = join(out, TRAINING_LOG_FILE);
  const writer = o.writer ?? true;
  const ckpt = o.resume ? newestCheckpoint(out) : null;
  if (o.resume && !ckpt) o.print(`${out}: no checkpoint yet; starting the run from epoch 0`);
  if (!ckpt) {
    const net = o.builder.create(c.seed);
    try { guardStepMemory(net, c, o.stepBatch ?? c.batchSize, o.maskedEncoderPass, o.axes); } catch (err) { net.dispose(); throw err; }
    net.to(device);
    const opt = makeOptimizer(net, c);
    if (writer) {
      await saveConfig(join(out, CONFIG_FILE), c);
      await writeTrainingLog(logPath, []);
    }
    return { net, opt, device, logs: [], records: [], ema: null, bestEma: null, startEpoch: 0 };
  }
  let net: N;
  try {
    if (ckpt.state.configHash !== configHash(c))
      throw new CheckpointError(ckpt.statePath, `written by a run with other settings than ${join(out, CONFIG_FILE)} (config hash ${ckpt.state.configHash} vs ${configHash(c)})`);
    net = o.builder.restore(ckpt.state.architecture, ckpt.statePath);
  } catch (err) { disposeCheckpoint(ckpt); throw err; }
  let opt: Optimizer;
  try {
    net.to(device);
    loadWeightsInto(net, ckpt.weightsPath);
    opt = makeOptimizer(net, c);
  } catch (err) { disposeCheckpoint(ckpt); net.dispose(); throw err; }
  try { opt.importState(ckpt.optimizerState, ckpt.statePath); } catch (err) { net.dispose(); throw err; }
  const { logs, records, ema, bestEma, epoch: startEpoch } = ckpt.state;
  if (writer) await writeTrainingLog(logPath, logs, records); // exactly the checkpoint's epochs
  o.print(startEpoch >= c.epochs ? `${out}: training already finished (${c.epochs} epochs); nothing to continue`
    : `continuing from ${ckpt.weightsPath} (epoch ${startEpoch} of ${c.epochs} done)`);
  return { net, opt, device, logs, records, ema, bestEma, startEpoch, hookState: ckpt.state.pruning, lossScale: ckpt.state.lossScale };
}
