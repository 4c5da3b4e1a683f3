/**
 * summary.json in nnU-Net v2's layout (evaluate_predictions.py): `metric_per_case` (per case its
 * prediction_file, reference_file and per-class metrics keyed '1' or '(1, 2)'), `mean` (per class,
 * the mean over cases ignoring NaN) and `foreground_mean` (the mean of the class means, background
 * left out, ignoring classes whose mean is NaN), with NSD and HD95 beside nnU-Net's Dice, IoU and
 * counts. Added keys: the classes' names, the NSD tolerance, missing predictions, errors and resource
 * figures. JSON has no NaN or Infinity: NaN is written as null, +-Infinity as "inf" / "-inf"
 * (parseSummaryJson reads them back).
 */
import { METRIC_KEYS, type ClassMetrics, type MetricKey } from './case_metrics.js';
import type { EvalClass } from './label_map.js';
import type { InferenceResources, TrainingResources } from './resources.js';

export type MetricValues = Record<MetricKey, number>;

export interface CaseEntry {
  case: string;
  prediction_file: string;
  reference_file: string;
  metrics: Record<string, ClassMetrics>;
}

export interface EvaluationSummary {
  metric_per_case: CaseEntry[];
  mean: Record<string, MetricValues>;
  foreground_mean: MetricValues;
  /** Per class key: its name (when known) and label values. */
  labels: Record<string, { name: string | null; values: number[] }>;
  nsd_tolerance_mm: number;
  hd_percentile: number;
  missing_predictions: { case: string; reference_file: string }[];
  unmatched_predictions: string[];
  errors: { case: string; prediction_file: string; reference_file: string; error: string }[];
  resources: { training: TrainingResources | null; inference: InferenceResources | null };
}

/** Mean of the non-NaN values (NaN when there are none); an Infinity among them makes it Infinity. */
export function nanMean(values: readonly number[]): number {
  let sum = 0, n = 0;
  for (const v of values) if (!Number.isNaN(v)) { sum += v; n++; }
  return n === 0 ? NaN : sum / n;
}

/** Per-class means over cases and the foreground mean over classes. */
export function aggregate(cases: readonly CaseEntry[], classes: readonly EvalClass[]): Pick<EvaluationSummary, 'mean' | 'foreground_mean'> {
  const mean: Record<string, MetricValues> = {};
  for (const cls of classes) {
    const values = {} as MetricValues;
    for (const k of METRIC_KEYS) values[k] = nanMean(cases.map((c) => c.metrics[cls.key]?.[k] ?? NaN));
    mean[cls.key] = values;
  }
  const foreground_mean = {} as MetricValues;
  const foreground = classes.filter((c) => c.key !== '0');
  for (const k of METRIC_KEYS) foreground_mean[k] = nanMean(foreground.map((c) => mean[c.key]![k]));
  return { mean, foreground_mean };
}

function encodeNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? null : value > 0 ? 'inf' : '-inf';
}

export function summaryToJson(summary: EvaluationSummary): string {
  return `${JSON.stringify(summary, encodeNumber, 1)}\n`;
}

const decodeNumber = (v: unknown): number => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

function decodeMetrics(m: Record<string, unknown>): void {
  for (const k of Object.keys(m)) m[k] = decodeNumber(m[k]);
}

/** Reads summary.json text back, with NaN and Infinity restored in the metric values. */
export function parseSummaryJson(text: string): EvaluationSummary {
  const s = JSON.parse(text) as EvaluationSummary;
  for (const c of s.metric_per_case) for (const m of Object.values(c.metrics)) decodeMetrics(m as unknown as Record<string, unknown>);
  for (const m of Object.values(s.mean)) decodeMetrics(m as unknown as Record<string, unknown>);
  decodeMetrics(s.foreground_mean as unknown as Record<string, unknown>);
  return s;
}

const csvNumber = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));
const csvText = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One row per case and class. */
export function summaryToCsv(summary: EvaluationSummary): string {
  const header = ['case', 'prediction_file', 'reference_file', 'label', 'name', ...METRIC_KEYS];
  const rows = [header.join(',')];
  for (const c of summary.metric_per_case) {
    for (const [key, m] of Object.entries(c.metrics)) {
      rows.push([
        csvText(c.case), csvText(c.prediction_file), csvText(c.reference_file), csvText(key),
        csvText(summary.labels[key]?.name ?? ''), ...METRIC_KEYS.map((k) => csvNumber(m[k])),
      ].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

const fmt = (v: number, digits: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'inf' : v.toFixed(digits));

/** The per-class means as a text table, with the number of cases where each class was present. */
export function summaryTable(summary: EvaluationSummary): string {
  const rows: string[][] = [['label', 'name', 'cases', 'Dice', `NSD@${summary.nsd_tolerance_mm}mm`, `HD${summary.hd_percentile} mm`]];
  for (const [key, m] of Object.entries(summary.mean)) {
    const present = summary.metric_per_case.filter((c) => c.metrics[key] && !Number.isNaN(c.metrics[key]!.Dice)).length;
    rows.push([key, summary.labels[key]?.name ?? '', String(present), fmt(m.Dice, 4), fmt(m.NSD, 4), fmt(m.HD95, 2)]);
  }
  const f = summary.foreground_mean;
  rows.push(['mean', '(foreground)', String(summary.metric_per_case.length), fmt(f.Dice, 4), fmt(f.NSD, 4), fmt(f.HD95, 2)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}
