/**
 * The per-epoch log: one JSON object per line in training_log.jsonl, the same records inside
 * every checkpoint's state (the pruning schedule reads them). NaN is stored as null.
 *
 * Other records may sit between the epochs, told apart by a `type` field (e.g. `{"type":
 * "pruning", "epoch": 8, ...}`, written by the epoch-start hook before epoch 8's own line): they
 * belong to the epoch they name and come before its line.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic_write.js';
import { PRECISIONS } from '../tensor/precision.js';
import { TRAINING_LOG_FILE } from '../models/model_folder.js';

export { TRAINING_LOG_FILE };

/** A number that may have been NaN (JSON null) -> NaN in memory. */
const num = z.number().nullable().transform((v) => v ?? NaN);

export const epochLogSchema = z.object({
  epoch: z.number().int().min(0),
  lr: z.number(),
  /** Mean training loss over the epoch's iterations, and the mean of each loss term. */
  trainLoss: num,
  trainTerms: z.record(num),
  valLoss: num,
  valTerms: z.record(num),
  /** Per foreground label (config.dataset.labels order). */
  pseudoDice: z.array(num),
  meanPseudoDice: num,
  ema: num,
  /** This epoch set a new best EMA (checkpoint_best written). */
  best: z.boolean(),
  epochSeconds: z.number(),
  trainSeconds: z.number(),
  valSeconds: z.number(),
  /** Time the step spent waiting for the loader (training and validation). */
  dataWaitSeconds: z.number(),
  peakRssMB: z.number(),
  numParameters: z.number().int(),
  /** The run's precision (runtime.precision); absent in logs from before it. */
  precision: z.enum(PRECISIONS).optional(),
  /** fp16: steps skipped so far for non-finite gradients, and the loss scale at the epoch's end. */
  skippedSteps: z.number().int().optional(),
  lossScale: z.number().optional(),
}).strict();

export type EpochLog = z.output<typeof epochLogSchema>;

/** A non-epoch line of the log: what happened at the start of epoch `epoch` (pruning events). */
export const logRecordSchema = z.object({ type: z.string().min(1), epoch: z.number().int().min(0) }).passthrough();
export type LogRecord = z.output<typeof logRecordSchema>;

const line = (e: EpochLog): string => `${JSON.stringify(e)}\n`;

export function appendEpochLog(path: string, e: EpochLog): void {
  appendFileSync(path, line(e));
}

export function appendLogRecord(path: string, r: LogRecord): void {
  appendFileSync(path, `${JSON.stringify(r)}\n`);
}

/**
 * Rewrites the whole log (a resumed run: exactly the checkpoint's epochs, no torn last line), each
 * record before the line of the epoch it names.
 */
export async function writeTrainingLog(path: string, logs: readonly EpochLog[], records: readonly LogRecord[] = []): Promise<void> {
  const lines: string[] = [];
  let r = 0;
  for (const e of logs) {
    for (; r < records.length && records[r]!.epoch <= e.epoch; r++) lines.push(`${JSON.stringify(records[r])}\n`);
    lines.push(line(e));
  }
  for (; r < records.length; r++) lines.push(`${JSON.stringify(records[r])}\n`);
  await writeFileAtomic(path, lines);
}

function parseLines(text: string, path: string): { raw: Record<string, unknown>; n: number }[] {
  return text.split('\n').flatMap((l, i) => {
    if (!l.trim()) return [];
    let raw: unknown;
    try { raw = JSON.parse(l); } catch { throw new Error(`${path}: line ${i + 1} is not valid JSON`); }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${path}: line ${i + 1} is not a JSON object`);
    return [{ raw: raw as Record<string, unknown>, n: i + 1 }];
  });
}

/** The epoch lines of a training_log.jsonl (tests and reports); errors name the file and the line. */
export function parseTrainingLog(text: string, path: string): EpochLog[] {
  return parseLines(text, path).filter(({ raw }) => !('type' in raw)).map(({ raw, n }) => {
    const r = epochLogSchema.safeParse(raw);
    if (!r.success) throw new Error(`${path}: line ${n}: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
    return r.data;
  });
}

/** The other records of a training_log.jsonl (all, or those of one `type`), in file order. */
export function parseLogRecords(text: string, path: string, type?: string): LogRecord[] {
  return parseLines(text, path).filter(({ raw }) => 'type' in raw && (type === undefined || raw.type === type)).map(({ raw, n }) => {
    const r = logRecordSchema.safeParse(raw);
    if (!r.success) throw new Error(`${path}: line ${n}: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
    return r.data;
  });
}
