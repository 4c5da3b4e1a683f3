/**
 * Checkpoints: a pair of files, `checkpoint_<kind>.safetensors` (the network's weights, loadable
 * by PyTorch) and `checkpoint_<kind>.state.safetensors` (the optimiser's state tensors, with the
 * trainer's state as JSON metadata: epoch, logs, EMA, RNG scheme, architecture, pruning slot).
 *
 * Saving never leaves a torn pair behind: both files are written completely under `.next` names
 * first, then the weights and then the state are renamed into place, and the state records the
 * size and SHA-256 of the weights it belongs to. Reading considers the committed pair and the
 * `.next` files, and takes the newest pair whose weights match their state, so a process killed
 * at any moment resumes from a complete checkpoint. A pair that matches nowhere is an error
 * naming the files.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type SafetensorsFile, loadSafetensors, saveSafetensors } from '../tensor/index.js';
import type { Optimizer } from '../optim/index.js';
import type { Tensor } from '../tensor/index.js';
import { CHECKPOINT_KINDS, type CheckpointKind, checkpointStateFile, checkpointWeightsFile } from '../models/model_folder.js';
import { epochLogSchema, logRecordSchema } from './training_log.js';

export const CHECKPOINT_FORMAT = 'pspseg-checkpoint-1';
const NEXT = '.next';

export type { CheckpointKind };

/** Removes every checkpoint of a fold folder, half-written ones too (a run started over). */
export function removeCheckpoints(dir: string): void {
  for (const kind of CHECKPOINT_KINDS)
    for (const path of [checkpointWeightsFile(dir, kind), checkpointStateFile(dir, kind)]) for (const p of [path, path + NEXT]) rmSync(p, { force: true });
}

export const trainerStateSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  /** Epochs completed: the epoch a resumed run starts with. */
  epoch: z.number().int().min(0),
  /** The weights file this state belongs to. */
  weights: z.object({ bytes: z.number().int().min(0), sha256: z.string().length(64) }).strict(),
  /** config.ts configHash of the run that wrote it. */
  configHash: z.string(),
  architecture: z.unknown(),
  logs: z.array(epochLogSchema),
  /** The log's other records so far (pruning events), so a resumed run rewrites the log whole. */
  records: z.array(logRecordSchema).default([]),
  ema: z.number().nullable(),
  bestEma: z.number().nullable(),
  /** Every random draw of a run comes from (seed, epoch, stream) (trainer.ts), so this is the whole RNG state. */
  rng: z.object({ seed: z.number().int(), scheme: z.string() }).strict(),
  /** The pruning schedule's state (TrainingHooks); null without one. */
  pruning: z.unknown(),
  /** The fp16 gradient scaler's state (GradScaler.state); null when the run trained without one. */
  lossScale: z.object({ scale: z.number().positive(), growthTracker: z.number().int().min(0), skipped: z.number().int().min(0) }).strict().nullable().default(null),
}).strict();

export type TrainerState = z.output<typeof trainerStateSchema>;
export type TrainerStateInput = Omit<z.input<typeof trainerStateSchema>, 'weights' | 'format'>;

export class CheckpointError extends Error {
  constructor(readonly path: string, problem: string) { super(`${path}: ${problem}`); this.name = 'CheckpointError'; }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function fsyncDir(dir: string): void {
  try { const fd = openSync(dir, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); } } catch { /* not supported everywhere */ }
}

/** Writes one checkpoint pair (see the file comment for the order). */
export function saveCheckpoint(dir: string, kind: CheckpointKind, weights: Map<string, Tensor>, optimizer: Optimizer, state: TrainerStateInput): void {
  const w = checkpointWeightsFile(dir, kind), s = checkpointStateFile(dir, kind);
  saveSafetensors(w + NEXT, weights, { format: CHECKPOINT_FORMAT, epoch: String(state.epoch) });
  const bytes = readFileSync(w + NEXT);
  const full = { format: CHECKPOINT_FORMAT, ...state, weights: { bytes: bytes.byteLength, sha256: sha256(bytes) } };
  // Never write a state that could not be read back: check it as it will be read, JSON (NaN becomes null).
  const trainer = JSON.stringify(full);
  const check = trainerStateSchema.safeParse(JSON.parse(trainer));
  if (!check.success) throw new CheckpointError(s, `trainer state not written: ${check.error.issues[0]!.path.join('.')}: ${check.error.issues[0]!.message}`);
  const opt = optimizer.exportState();
  saveSafetensors(s + NEXT, opt.tensors, { ...opt.metadata, trainer });
  renameSync(w + NEXT, w);
  renameSync(s + NEXT, s);
  fsyncDir(dir);
}

export interface LoadedCheckpoint {
  kind: CheckpointKind;
  weightsPath: string;
  statePath: string;
  state: TrainerState;
  /** The optimiser's tensors and metadata (give them to Optimizer.importState, which frees them). */
  optimizerState: SafetensorsFile;
}

function readState(path: string): { state: TrainerState; file: SafetensorsFile } {
  const file = loadSafetensors(path); // errors name the file
  try {
    const text = file.metadata.trainer;
    if (!text) throw new CheckpointError(path, 'not a pspseg checkpoint state (no trainer metadata)');
    let raw: unknown;
    try { raw = JSON.parse(text); } catch { throw new CheckpointError(path, 'trainer metadata is not valid JSON'); }
    const r = trainerStateSchema.safeParse(raw);
    if (!r.success) throw new CheckpointError(path, `trainer state: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
    return { state: r.data, file };
  } catch (err) {
    for (const t of file.tensors.values()) t.dispose();
    throw err;
  }
}

/**
 * The newest complete pair of checkpoint `kind` in `dir`, or null when it has none at all.
 * Throws CheckpointError naming the files when something is there but no pair is complete.
 */
export function loadCheckpoint(dir: string, kind: CheckpointKind): LoadedCheckpoint | null {
  const w = checkpointWeightsFile(dir, kind), s = checkpointStateFile(dir, kind);
  // Committed pair; weights committed but state not yet; neither committed.
  const candidates: [string, string][] = [[w, s], [w, s + NEXT], [w + NEXT, s + NEXT]];
  const present = candidates.filter(([a, b]) => existsSync(a) && existsSync(b));
  if (present.length === 0) {
    if (existsSync(w) !== existsSync(s)) throw new CheckpointError(existsSync(w) ? s : w, `missing: the other half of checkpoint_${kind} exists without it`);
    return null;
  }
  const problems: string[] = [];
  let best: LoadedCheckpoint | null = null;
  for (const [wp, sp] of present) {
    let read: { state: TrainerState; file: SafetensorsFile };
    try { read = readState(sp); } catch (err) { problems.push((err as Error).message); continue; }
    const size = statSync(wp).size;
    const matches = size === read.state.weights.bytes && sha256(readFileSync(wp)) === read.state.weights.sha256;
    if (!matches) {
      problems.push(`${wp}: ${size} bytes that do not match ${basename(sp)} (expects ${read.state.weights.bytes} bytes, sha256 ${read.state.weights.sha256.slice(0, 12)}...): an interrupted save or a damaged file`);
      for (const t of read.file.tensors.values()) t.dispose();
      continue;
    }
    if (best && best.state.epoch >= read.state.epoch) { for (const t of read.file.tensors.values()) t.dispose(); continue; }
    if (best) for (const t of best.optimizerState.tensors.values()) t.dispose();
    best = { kind, weightsPath: wp, statePath: sp, state: read.state, optimizerState: read.file };
  }
  if (!best) throw new CheckpointError(w, `no complete checkpoint: ${problems.join('; ')}`);
  return best;
}

/** Frees a loaded checkpoint's optimiser tensors (when it is not handed to an optimiser). */
export function disposeCheckpoint(c: LoadedCheckpoint): void {
  for (const t of c.optimizerState.tensors.values()) t.dispose();
}
