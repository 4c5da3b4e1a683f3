/**
 * The check every command runs before it uses a dataset (plan, preprocess, the demo): the same
 * validation as `pspseg check`, through the check cache, so each case is read for it once. With
 * errors it refuses, listing every problem with its case and file, unless the user asks to go on.
 */
import type { Dataset } from './dataset.js';
import { type CheckOptions, type CheckReport, checkDataset } from './check.js';
import { formatProblem } from './check_format.js';

export class DatasetCheckError extends Error {
  override readonly name = 'DatasetCheckError';
  constructor(readonly report: CheckReport, readonly goOnOption: string) {
    super([
      `${report.root}: the dataset check found ${report.errors.length} error(s):`,
      ...report.errors.map((p) => formatProblem(p, report.root)),
      `Fix them and run again ('pspseg check ${report.root}' shows the full report), or pass ${goOnOption} to go on anyway.`,
    ].join('\n'));
  }
}

export interface GateOptions extends CheckOptions {
  /** Go on despite errors (they are printed). */
  skipCheck?: boolean;
  /** The option that skips the check, named in the refusal (default --skip-check). */
  goOnOption?: string;
  /** Where the summary line goes (default console.log). */
  print?: (line: string) => void;
}

/** Checks the dataset; throws DatasetCheckError on errors unless `skipCheck`. Returns the report. */
export async function checkBeforeUse(dataset: Dataset, o: GateOptions = {}): Promise<CheckReport> {
  const print = o.print ?? ((line: string) => console.log(line));
  const report = await checkDataset(dataset, o);
  const cached = report.cachedCases ? `, ${report.cachedCases} unchanged since the last check` : '';
  const warnings = report.warnings.length ? `, ${report.warnings.length} warning(s) ('pspseg check' lists them)` : '';
  if (report.ok) {
    print(`check: ${report.cases} case(s) OK${warnings}${cached}`);
    return report;
  }
  if (!o.skipCheck) throw new DatasetCheckError(report, o.goOnOption ?? '--skip-check');
  print([`check: ${report.errors.length} error(s), going on anyway (--skip-check):`, ...report.errors.map((p) => formatProblem(p, report.root))].join('\n'));
  return report;
}
