/**
 * The per-epoch log: one JSON object per line in training_log.jsonl, the same records inside
 * every checkpoint's state (the pruning schedule reads them). NaN is stored as null.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic_write.js';

export const TRAINING_LOG_FILE = 'training_log.jsonl';

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
}).strict();

export type EpochLog = z.output<typeof epochLogSchema>;

const line = (e: EpochLog): string => `${JSON.stringify(e)}\n`;

export function appendEpochLog(path: string, e: EpochLog): void {
  appendFileSync(path, line(e));
}

/** Rewrites the whole log (a resumed run: exactly the checkpoint's epochs, no torn last line). */
export async function writeTrainingLog(path: string, logs: readonly EpochLog[]): Promise<void> {
  await writeFileAtomic(path, logs.map(line));
}

/** Reads a training_log.jsonl (tests and reports); errors name the file and the line. */
export function parseTrainingLog(text: string, path: string): EpochLog[] {
  return text.split('\n').filter((l) => l.trim()).map((l, i) => {
    let raw: unknown;
    try { raw = JSON.parse(l); } catch { throw new Error(`${path}: line ${i + 1} is not valid JSON`); }
    const r = epochLogSchema.safeParse(raw);
    if (!r.success) throw new Error(`${path}: line ${i + 1}: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
    return r.data;
  });
}
