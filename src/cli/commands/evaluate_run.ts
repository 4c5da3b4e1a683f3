/** `pspseg evaluate` at work (loaded when the command runs): evaluate a folder, write summary.json and the CSV. */
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DatasetError } from '../../data/dataset/dataset.js';
import { evaluateFolder } from '../../eval/evaluate_folder.js';
import { EvaluationError, type EvalClass } from '../../eval/label_map.js';
import { summaryTable, summaryToCsv, summaryToJson } from '../../eval/summary.js';
import { writeFileAtomic } from '../../util/atomic_write.js';

const LIST_LIMIT = 20;

export interface EvaluateCommandOptions {
  predictions: string;
  references: string;
  dataset?: string;
  classes?: EvalClass[];
  nsdToleranceMm: number;
  geometryTolerance: number;
  modelFolder?: string;
  output: string;
  allowMissing: boolean;
  jobs: number;
  quiet: boolean;
  /** Only these reference cases (e.g. a fold's validation cases). */
  cases?: readonly string[];
}

/** Evaluates, writes summary.json and the CSV, prints the table; returns the exit code. */
export async function runEvaluate(o: EvaluateCommandOptions): Promise<number> {
  let s;
  try {
    s = await evaluateFolder({
      predictions: o.predictions, references: o.references, dataset: o.dataset, classes: o.classes,
      nsdToleranceMm: o.nsdToleranceMm, geometryTolerance: o.geometryTolerance, jobs: o.jobs,
      modelFolder: o.modelFolder, progress: !o.quiet, cases: o.cases,
    });
  } catch (err) {
    if (err instanceof EvaluationError || err instanceof DatasetError) { console.error(`pspseg evaluate: ${err.message}`); return 1; }
    throw err;
  }
  if (s.metric_per_case.length === 0 && s.errors.length === 0) {
    console.error(`pspseg evaluate: no prediction in ${o.predictions} matches a reference in ${o.references}`);
    return 1;
  }
  const csv = o.output.replace(/\.json$/, '.csv');
  mkdirSync(dirname(o.output), { recursive: true });
  await writeFileAtomic(o.output, [summaryToJson(s)]);
  await writeFileAtomic(csv, [summaryToCsv(s)]);

  console.log(summaryTable(s));
  const lines: string[] = [];
  // Long lists (e.g. one fold's predictions against a whole dataset) are cut; summary.json has them all.
  const listed = (items: string[]): string[] => (items.length <= LIST_LIMIT ? items
    : [...items.slice(0, LIST_LIMIT), `  ... and ${items.length - LIST_LIMIT} more (all in ${o.output})`]);
  if (s.missing_predictions.length > 0) {
    lines.push(`${s.missing_predictions.length} missing prediction(s)${o.allowMissing ? ' (allowed)' : ''}:`,
      ...listed(s.missing_predictions.map((m) => `  ${m.case} (reference ${m.reference_file})`)));
  }
  if (s.unmatched_predictions.length > 0) {
    lines.push(`${s.unmatched_predictions.length} prediction(s) without a reference, not evaluated:`, ...listed(s.unmatched_predictions.map((p) => `  ${p}`)));
  }
  if (s.errors.length > 0) lines.push(`${s.errors.length} case(s) failed:`, ...s.errors.map((e) => `  ${e.case}: ${e.error}`));
  const training = s.resources.training;
  if (training?.missing.length) lines.push(`model folder ${training.folder}: not found: ${training.missing.join(', ')}`);
  if (lines.length > 0) console.error(lines.join('\n'));
  console.log(`${s.metric_per_case.length} case(s) evaluated; wrote ${o.output} and ${csv}`);
  return s.errors.length > 0 || (s.missing_predictions.length > 0 && !o.allowMissing) ? 1 : 0;
}

