/** `pspseg check` at work (loaded when the command runs): validate, then print the report. */
import { checkDataset } from '../../data/dataset/check.js';
import { formatReport } from '../../data/dataset/check_format.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { Progress } from '../../util/progress.js';

export interface CheckRequest {
  dataset: string;
  /** Relative geometry tolerance. */
  tolerance?: number;
  /** Cases read at once. */
  jobs?: number;
  json: boolean;
  quiet: boolean;
}

export async function runCheck(o: CheckRequest): Promise<number> {
  const dataset = readDataset(o.dataset);
  const progress = o.quiet ? undefined : new Progress('check', dataset.cases.length);
  const report = await checkDataset(dataset, {
    tolerance: o.tolerance,
    concurrency: o.jobs,
    onProgress: progress && ((_done, _total, id) => progress.tick(1, id)),
  });
  progress?.finish(`${report.errors.length} error(s), ${report.warnings.length} warning(s)`);

  if (o.json) console.log(JSON.stringify(report, null, 1));
  else console.log(formatReport(report));
  return report.ok ? 0 : 1;
}
