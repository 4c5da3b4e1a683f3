/**
 * Cost figures to put beside the quality metrics in summary.json: training (from a model folder the
 * trainer wrote) and inference (from the predictor's log). Both readers are tolerant: they take the
 * fields they find, under the names listed below, and list what they did not find.
 *
 * Model folder:
 *  - training_log.jsonl: one JSON object per epoch with `epoch`, the epoch's time in seconds
 *    (`epoch_time_s`, or epoch_seconds / epoch_time / time_s / seconds / duration_s) and the process's
 *    peak resident memory in MB (`peak_rss_mb`, or peak_memory_mb / max_rss_mb / rss_peak_mb).
 *  - architecture.json: parameter counts, any top-level number whose key contains 'param' (also one
 *    level down in an object under such a key, e.g. {"parameters": {"total": 1, "active": 1}}).
 * Prediction folder:
 *  - predict_log.json: {"cases": [{"case": id, "seconds": s, "peak_rss_mb": m}, ...], "peak_rss_mb": m}
 *    (`cases` may also be an object keyed by case id; seconds also as time_s / inference_time_s).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EvaluationError } from './evaluation_error.js';

export interface TrainingResources {
  folder: string;
  epochs_logged: number;
  mean_epoch_time_s: number | null;
  total_epoch_time_s: number | null;
  peak_rss_mb: number | null;
  parameters: Record<string, number>;
  /** Figures asked for but not found, e.g. 'peak_rss_mb (training_log.jsonl)'. */
  missing: string[];
}

export interface InferenceResources {
  file: string;
  cases: number;
  mean_case_time_s: number | null;
  total_time_s: number | null;
  peak_rss_mb: number | null;
  missing: string[];
}

const EPOCH_TIME_KEYS = ['epoch_time_s', 'epoch_seconds', 'epoch_time', 'time_s', 'seconds', 'duration_s'];
const PEAK_RSS_KEYS = ['peak_rss_mb', 'peak_memory_mb', 'max_rss_mb', 'rss_peak_mb'];
const CASE_TIME_KEYS = ['seconds', 'time_s', 'inference_time_s', 'predict_time_s', 'duration_s'];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const firstNumber = (o: Json, keys: readonly string[]): number | undefined => {
  for (const k of keys) if (finite(o[k])) return o[k];
  return undefined;
};

function readJson(path: string): unknown {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch (err) {
    throw new EvaluationError(`${path}: cannot read as JSON: ${(err as Error).message}`);
  }
}

/** Training figures from a model folder; throws (naming the folder) only when it does not exist. */
export function readTrainingResources(folder: string): TrainingResources {
  const dir = resolve(folder);
  if (!existsSync(dir)) throw new EvaluationError(`${dir}: no such model folder`);
  const missing: string[] = [];
  const out: TrainingResources = {
    folder: dir, epochs_logged: 0, mean_epoch_time_s: null, total_epoch_time_s: null, peak_rss_mb: null, parameters: {}, missing,
  };

  const logPath = join(dir, 'training_log.jsonl');
  if (!existsSync(logPath)) missing.push('training_log.jsonl');
  else {
    const epochs = new Map<number, Json>(); // by epoch number: a resumed run may log an epoch twice; the last one counts
    readFileSync(logPath, 'utf8').split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let entry: unknown;
      try { entry = JSON.parse(line); } catch { throw new EvaluationError(`${logPath}: line ${i + 1} is not JSON`); }
      if (!isObject(entry)) return;
      epochs.set(finite(entry.epoch) ? entry.epoch : epochs.size, entry);
    });
    out.epochs_logged = epochs.size;
    const times = [...epochs.values()].map((e) => firstNumber(e, EPOCH_TIME_KEYS)).filter((t): t is number => t !== undefined);
    if (times.length > 0) {
      out.total_epoch_time_s = times.reduce((a, b) => a + b, 0);
      out.mean_epoch_time_s = out.total_epoch_time_s / times.length;
    } else missing.push(`epoch time (${EPOCH_TIME_KEYS[0]}) in training_log.jsonl`);
    const peaks = [...epochs.values()].map((e) => firstNumber(e, PEAK_RSS_KEYS)).filter((t): t is number => t !== undefined);
    if (peaks.length > 0) out.peak_rss_mb = Math.max(...peaks);
    else missing.push(`${PEAK_RSS_KEYS[0]} in training_log.jsonl`);
  }

  const archPath = join(dir, 'architecture.json');
  if (!existsSync(archPath)) missing.push('architecture.json');
  else {
    const arch = readJson(archPath);
    if (isObject(arch)) {
      for (const [k, v] of Object.entries(arch)) {
        if (!/param/i.test(k)) continue;
        if (finite(v)) out.parameters[k] = v;
        else if (isObject(v)) for (const [k2, v2] of Object.entries(v)) if (finite(v2)) out.parameters[`${k}.${k2}`] = v2;
      }
    }
    if (Object.keys(out.parameters).length === 0) missing.push('parameter count in architecture.json');
  }
  return out;
}

/** Inference figures from PREDICTIONS/predict_log.json, or null when there is no such file. */
export function readInferenceResources(predictionFolder: string): InferenceResources | null {
  const file = join(resolve(predictionFolder), 'predict_log.json');
  if (!existsSync(file)) return null;
  const log = readJson(file);
  const missing: string[] = [];
  const out: InferenceResources = { file, cases: 0, mean_case_time_s: null, total_time_s: null, peak_rss_mb: null, missing };
  if (!isObject(log)) { missing.push('a JSON object'); return out; }
  const raw = log.cases ?? log.per_case;
  const cases = Array.isArray(raw) ? raw.filter(isObject) : isObject(raw) ? Object.values(raw).filter(isObject) : [];
  out.cases = cases.length;
  const times = cases.map((c) => firstNumber(c, CASE_TIME_KEYS)).filter((t): t is number => t !== undefined);
  if (times.length > 0) {
    out.total_time_s = times.reduce((a, b) => a + b, 0);
    out.mean_case_time_s = out.total_time_s / times.length;
  } else missing.push(`per-case ${CASE_TIME_KEYS[0]}`);
  const peaks = [firstNumber(log, PEAK_RSS_KEYS), ...cases.map((c) => firstNumber(c, PEAK_RSS_KEYS))].filter((t): t is number => t !== undefined);
  if (peaks.length > 0) out.peak_rss_mb = Math.max(...peaks);
  else missing.push(PEAK_RSS_KEYS[0]!);
  return out;
}
