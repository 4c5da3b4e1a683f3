/**
 * Cost figures to put beside the quality metrics in summary.json: training (from the fold folder
 * `pspseg train` wrote) and inference (from the log `pspseg predict` wrote). Each reader has its own
 * schema of the fields it reads (train and infer are siblings of eval, not imported):
 *  - training_log.jsonl: one object per epoch with `epoch`, `epochSeconds` (hook, training and
 *    validation), `peakRssMB` (the process's peak so far) and `numParameters` (after that epoch's pruning);
 *  - architecture.json: the network's description; the network is rebuilt through src/models and
 *    its parameters counted (after pruning: deleted blocks are gone, masked ones do not count as active);
 *  - predict_log.json: `cases` [{ id, status, seconds }], `peak_rss_mb`, `tta`, `device`.
 * A file that is absent is listed under `missing`; one that is there but unreadable is an error naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ARCHITECTURE_FILE, TRAINING_LOG_FILE } from '../models/model_folder.js';
import { EvaluationError } from './evaluation_error.js';

export interface TrainingResources {
  folder: string;
  epochs_logged: number;
  mean_epoch_time_s: number | null;
  total_epoch_time_s: number | null;
  peak_rss_mb: number | null;
  /**
   * `total`: the parameters of the network architecture.json describes (after pruning); `active`: those
   * its forward uses (masked blocks left out); `initial`: the first logged epoch's (before pruning).
   */
  parameters: Record<string, number>;
  /** Files not found, e.g. 'training_log.jsonl'. */
  missing: string[];
}

export interface InferenceResources {
  file: string;
  /** Cases predicted (failed ones left out). */
  cases: number;
  mean_case_time_s: number | null;
  total_time_s: number | null;
  peak_rss_mb: number | null;
  tta: boolean | null;
  device: string | null;
  missing: string[];
}

export const PREDICT_LOG_FILE = 'predict_log.json';

/** The trainer's epoch record, the fields read here. */
const epochSchema = z.object({
  epoch: z.number().int().min(0),
  epochSeconds: z.number(),
  peakRssMB: z.number(),
  numParameters: z.number().int(),
});

const predictLogSchema = z.object({
  cases: z.array(z.object({ id: z.string(), status: z.enum(['ok', 'failed']), seconds: z.number().optional() })),
  peak_rss_mb: z.number(),
  tta: z.boolean(),
  device: z.string(),
});

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch (err) { throw new EvaluationError(`${path}: cannot read: ${(err as Error).message}`); }
}

function parseJson(text: string, where: string): unknown {
  try { return JSON.parse(text); } catch (err) { throw new EvaluationError(`${where} is not valid JSON: ${(err as Error).message}`); }
}

function issue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.join('.') || 'value'}: ${i.message}`;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The network's parameters, rebuilt from its description (src/models is loaded only when asked). */
async function architectureParameters(path: string): Promise<{ total: number; active: number }> {
  const { networkFromDescription, parameterCounts } = await import('../models/from_description.js');
  let net;
  try { net = networkFromDescription(parseJson(readText(path), path), path); } catch (err) {
    if (err instanceof EvaluationError) throw err;
    throw new EvaluationError((err as Error).message);
  }
  try { return parameterCounts(net); } finally { net.dispose(); }
}

/** Training figures from a fold folder; throws (naming the folder or file) when it does not exist or a file is unreadable. */
export async function readTrainingResources(folder: string): Promise<TrainingResources> {
  const dir = resolve(folder);
  if (!existsSync(dir)) throw new EvaluationError(`${dir}: no such model folder`);
  const missing: string[] = [];
  const out: TrainingResources = {
    folder: dir, epochs_logged: 0, mean_epoch_time_s: null, total_epoch_time_s: null, peak_rss_mb: null, parameters: {}, missing,
  };

  const logPath = join(dir, TRAINING_LOG_FILE);
  if (!existsSync(logPath)) missing.push(TRAINING_LOG_FILE);
  else {
    const epochs = new Map<number, z.infer<typeof epochSchema>>(); // by epoch: should an epoch be logged twice, the last one counts
    readText(logPath).split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      const record = parseJson(line, `${logPath}: line ${i + 1}`);
      // other records ({"type": "pruning", ...}) stand between the epochs' lines
      if (record !== null && typeof record === 'object' && 'type' in record) return;
      const r = epochSchema.safeParse(record);
      if (!r.success) throw new EvaluationError(`${logPath}: line ${i + 1}: ${issue(r.error)} (not a training log written by 'pspseg train'?)`);
      epochs.set(r.data.epoch, r.data);
    });
    const logged = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    out.epochs_logged = logged.length;
    if (logged.length > 0) {
      out.total_epoch_time_s = sum(logged.map((e) => e.epochSeconds));
      out.mean_epoch_time_s = out.total_epoch_time_s / logged.length;
      out.peak_rss_mb = Math.max(...logged.map((e) => e.peakRssMB));
      out.parameters.initial = logged[0]!.numParameters;
    }
  }

  const archPath = join(dir, ARCHITECTURE_FILE);
  if (!existsSync(archPath)) missing.push(ARCHITECTURE_FILE);
  else Object.assign(out.parameters, await architectureParameters(archPath));
  return out;
}

/** Inference figures from PREDICTIONS/predict_log.json, or null when there is no such file. */
export function readInferenceResources(predictionFolder: string): InferenceResources | null {
  const file = join(resolve(predictionFolder), PREDICT_LOG_FILE);
  if (!existsSync(file)) return null;
  const r = predictLogSchema.safeParse(parseJson(readText(file), file));
  if (!r.success) throw new EvaluationError(`${file}: ${issue(r.error)} (not a log written by 'pspseg predict'?)`);
  const times = r.data.cases.filter((c) => c.status === 'ok' && c.seconds !== undefined).map((c) => c.seconds!);
  const total = times.length ? sum(times) : null;
  return {
    file, cases: times.length, mean_case_time_s: total === null ? null : total / times.length, total_time_s: total,
    peak_rss_mb: r.data.peak_rss_mb, tta: r.data.tta, device: r.data.device, missing: [],
  };
}
