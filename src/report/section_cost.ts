/** Section "Cost": parameters before and after pruning, training time and memory, inference time and memory. */
import { checkpointWeightsFile } from '../models/model_folder.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc, fmtDuration, fmtInt, fmtMegabytes, table, type Cell } from './html.js';

export interface CostFigures {
  initialParameters: number | null;
  finalParameters: number | null;
  /** Parameters the final forward uses (masked blocks excluded), when pruning says so. */
  activeParameters: number | null;
  weightsFile: string | null;
  weightsBytes: number | null;
  epochs: number;
  meanEpochSeconds: number | null;
  totalTrainingSeconds: number | null;
  dataWaitShare: number | null;
  trainingPeakMB: number | null;
  inferenceCases: number | null;
  meanCaseSeconds: number | null;
  totalInferenceSeconds: number | null;
  inferencePeakMB: number | null;
}

export function costFigures(f: FoldInputs): CostFigures {
  const logs = f.epochs;
  const events = f.pruningEvents;
  const lastEvent = events[events.length - 1];
  const initialParameters = f.pruningState?.initialParameters ?? events[0]?.parametersBefore ?? logs[0]?.numParameters ?? null;
  const finalParameters = logs[logs.length - 1]?.numParameters ?? lastEvent?.parametersAfter ?? null;
  const activeParameters = lastEvent && lastEvent.activeParametersAfter !== finalParameters ? lastEvent.activeParametersAfter : null;
  const weights = (['final', 'latest', 'best'] as const).map((k) => checkpointWeightsFile(f.folder, k)).find((p) => existsSync(p)) ?? null;
  const total = logs.reduce((s, e) => s + e.epochSeconds, 0);
  const wait = logs.reduce((s, e) => s + e.dataWaitSeconds, 0);
  const inf = f.inference;
  return {
    initialParameters, finalParameters, activeParameters,
    weightsFile: weights, weightsBytes: weights ? statSync(weights).size : null,
    epochs: logs.length,
    meanEpochSeconds: logs.length ? total / logs.length : null,
    totalTrainingSeconds: logs.length ? total : null,
    dataWaitShare: total > 0 ? wait / total : null,
    trainingPeakMB: logs.length ? Math.max(...logs.map((e) => e.peakRssMB)) : null,
    inferenceCases: inf?.cases ?? null,
    meanCaseSeconds: inf?.mean_case_time_s ?? null,
    totalInferenceSeconds: inf?.total_time_s ?? null,
    inferencePeakMB: inf?.peak_rss_mb ?? null,
  };
}

const missing = (why: string): Cell => ({ html: `<span class="missing">${why}</span>` });

export function costSection(f: FoldInputs): string {
  const c = costFigures(f);
  const reduction = c.initialParameters && c.finalParameters !== null && c.initialParameters !== c.finalParameters
    ? ` (${(100 * (1 - c.finalParameters / c.initialParameters)).toFixed(1)}% fewer)` : '';
  const noLog = missing('no training log');
  const noPredictLog = missing(`no ${esc('predict_log.json')} beside the evaluation`);
  const rows: [string, Cell][] = [
    ['parameters at the start', c.initialParameters === null ? noLog : fmtInt(c.initialParameters)],
    ['parameters at the end', c.finalParameters === null ? noLog : `${fmtInt(c.finalParameters)}${reduction}`],
    ...(c.activeParameters !== null ? [['parameters in use at the end (masked blocks excluded)', fmtInt(c.activeParameters)] as [string, Cell]] : []),
    ['weights file', c.weightsFile ? { html: `${fmtMegabytes(c.weightsBytes! / 2 ** 20)} (${code(c.weightsFile.split('/').pop()!)})` } : missing('no checkpoint')],
    ['epochs trained', c.epochs ? fmtInt(c.epochs) : noLog],
    ['time per epoch (mean)', c.meanEpochSeconds === null ? noLog : fmtDuration(c.meanEpochSeconds)],
    ['training time (sum of the epochs)', c.totalTrainingSeconds === null ? noLog : fmtDuration(c.totalTrainingSeconds)],
    ['share of it spent waiting for data', c.dataWaitShare === null ? noLog : `${(100 * c.dataWaitShare).toFixed(1)}%`],
    ['peak memory in training (process RSS)', c.trainingPeakMB === null ? noLog : fmtMegabytes(c.trainingPeakMB)],
    ['cases predicted', c.inferenceCases === null ? noPredictLog : fmtInt(c.inferenceCases)],
    ['inference time per case (mean)', c.meanCaseSeconds === null ? noPredictLog : fmtDuration(c.meanCaseSeconds)],
    ['inference time (all cases)', c.totalInferenceSeconds === null ? noPredictLog : fmtDuration(c.totalInferenceSeconds)],
    ['peak memory in inference (process RSS)', c.inferencePeakMB === null ? noPredictLog : fmtMegabytes(c.inferencePeakMB)],
  ];
  const runtime = f.config?.runtime;
  const device = runtime && `${runtime.device}, ${runtime.precision}`;
  return [
    '<section id="cost"><h2>Cost</h2>',
    `<p>How large the model is and what it took to train and to run${device ? ` (training on ${esc(device)})` : ''}. Memory is the peak
resident memory of the process as the operating system reports it; times are wall-clock.</p>`,
    table(['figure', 'value'], rows.map(([k, v]) => [k, v]), { id: 'cost-table' }),
    '</section>',
  ].join('\n');
}
