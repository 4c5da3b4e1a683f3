/**
 * pspseg evaluate PREDICTIONS REFERENCES: Dice, NSD and HD95 per case and class, written as
 * summary.json (nnU-Net's layout) and a CSV, with a table of class means on stdout.
 * Exit code 0; 1 when a prediction is missing (unless --allow-missing) or a case failed; 2 on bad usage.
 * Self-contained: parseEvaluateArgs (options) and runEvaluate (the work) are separate, so the command
 * moves easily to other CLI glue.
 */
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DatasetError } from '../../data/dataset.js';
import { evaluateFolder } from '../../eval/evaluate_folder.js';
import { EvaluationError, parseLabelList, type EvalClass } from '../../eval/label_map.js';
import { summaryTable, summaryToCsv, summaryToJson } from '../../eval/summary.js';
import { writeFileAtomic } from '../../util/atomic_write.js';

export const summary = 'score predictions against references: Dice, NSD and HD95 per case and class';

const USAGE = `usage: pspseg evaluate PREDICTIONS REFERENCES [options]

Compares every prediction (PREDICTIONS/<case>.nii.gz) with its reference: REFERENCES is a folder of
label files (<case>.nii.gz) or a dataset folder (MSD or nnU-Net v2; its training labels). Per case
and class: Dice, IoU, voxel counts, normalised surface Dice (NSD) at a tolerance and the 95th
percentile Hausdorff distance (DeepMind surface-distance definitions; distances in mm from the NIfTI
spacing). Writes summary.json (nnU-Net's layout) and summary.csv (one row per case and class) and
prints the class means. Empty classes: Dice NaN when both are empty; NSD 0 when one is empty, NaN when
both are; HD95 inf when one is empty, NaN when both are. Means ignore NaN.

options:
  --labels LIST         classes to evaluate: label values, a region as values joined by '+'
                        (e.g. 1,2 or 1+2+3,2+3,3). Default: the dataset's labels (REFERENCES or
                        --dataset), else every nonzero value found in the references
  --dataset DIR         dataset folder whose dataset.json names the labels
  --nsd-tolerance MM    NSD tolerance in mm (default 2)
  --tolerance T         relative geometry tolerance between prediction and reference (default 1e-3)
  --model DIR           model folder (training_log.jsonl, architecture.json): adds training cost
                        figures to summary.json under resources.training
  --output FILE         summary path (default PREDICTIONS/summary.json; the CSV beside it, .csv)
  --allow-missing       missing predictions do not fail the run
  --jobs N              cases evaluated at once (default: CPU count, at most 4)
  --quiet               no progress display
  -h, --help            this text`;

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
}

/** Parses and checks the command line; throws an Error naming the bad option. Returns null for --help. */
export function parseEvaluateArgs(args: string[]): EvaluateCommandOptions | null {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      labels: { type: 'string' }, dataset: { type: 'string' }, 'nsd-tolerance': { type: 'string' },
      tolerance: { type: 'string' }, model: { type: 'string' }, output: { type: 'string' },
      'allow-missing': { type: 'boolean' }, jobs: { type: 'string' }, quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 2) throw new Error(`expected PREDICTIONS and REFERENCES, got ${positionals.length} argument(s)`);
  const number = (name: string, text: string | undefined, fallback: number, ok: (v: number) => boolean, what: string): number => {
    if (text === undefined) return fallback;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new Error(`--${name} must be ${what}, got '${text}'`);
    return v;
  };
  const predictions = resolve(positionals[0]!);
  const output = resolve(values.output ?? join(predictions, 'summary.json'));
  if (!output.endsWith('.json')) throw new Error(`--output must name a .json file, got '${values.output}'`);
  return {
    predictions,
    references: resolve(positionals[1]!),
    dataset: values.dataset,
    classes: values.labels === undefined ? undefined : parseLabelList(values.labels),
    nsdToleranceMm: number('nsd-tolerance', values['nsd-tolerance'], 2, (v) => v >= 0, 'a distance in mm >= 0'),
    geometryTolerance: number('tolerance', values.tolerance, 1e-3, (v) => v >= 0, 'a number >= 0'),
    modelFolder: values.model,
    output,
    allowMissing: values['allow-missing'] ?? false,
    jobs: number('jobs', values.jobs, Math.min(4, availableParallelism()), (v) => Number.isInteger(v) && v >= 1, 'a positive integer'),
    quiet: values.quiet ?? false,
  };
}

/** Evaluates, writes summary.json and the CSV, prints the table; returns the exit code. */
export async function runEvaluate(o: EvaluateCommandOptions): Promise<number> {
  let s;
  try {
    s = await evaluateFolder({
      predictions: o.predictions, references: o.references, dataset: o.dataset, classes: o.classes,
      nsdToleranceMm: o.nsdToleranceMm, geometryTolerance: o.geometryTolerance, jobs: o.jobs,
      modelFolder: o.modelFolder, progress: !o.quiet,
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

export async function run(args: string[]): Promise<number> {
  let options;
  try {
    options = parseEvaluateArgs(args);
  } catch (err) {
    console.error(`pspseg evaluate: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === null) { console.log(USAGE); return 0; }
  return runEvaluate(options);
}
