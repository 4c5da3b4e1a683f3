/**
 * pspseg check DATASET: validates every case of an MSD or nnU-Net v2 dataset and lists all problems.
 * Exit code 0 when there are no errors (warnings allowed), 1 on errors, 2 on bad usage.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { checkDataset, type CheckProblem, type CheckReport } from '../../data/dataset/check.js';
import { DatasetError, readDataset, type Dataset } from '../../data/dataset/dataset.js';
import { Progress } from '../../util/progress.js';

export const summary = 'validate a dataset folder (MSD or nnU-Net v2): files, geometry, label values';

const USAGE = `usage: pspseg check DATASET [options]

Checks every training case of DATASET (a folder with dataset.json, MSD or nnU-Net v2 layout):
missing or unreadable files, image/label shape, spacing and affine agreement, channels on one grid,
NaN/Inf voxels, label values not declared in dataset.json. Warnings (empty labels, unusual
orientation, stray files) do not fail the check.

options:
  --tolerance T   relative geometry tolerance (default 1e-3 of a voxel / direction cosine)
  --jobs N        cases read at once (default: CPU count)
  --json          print the full report as JSON on stdout
  --quiet         no progress display
  -h, --help      this text`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tolerance: { type: 'string' }, jobs: { type: 'string' }, json: { type: 'boolean' },
        quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`pspseg check: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { console.log(USAGE); return 0; }
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (positionals.length !== 1 || (tolerance !== undefined && !(tolerance >= 0)) || (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0))) {
    console.error(USAGE);
    return 2;
  }

  let dataset: Dataset;
  try { dataset = readDataset(positionals[0]!); } catch (err) {
    if (err instanceof DatasetError) { console.error(`pspseg check: ${err.message}`); return 1; }
    throw err;
  }
  const progress = values.quiet ? undefined : new Progress('check', dataset.cases.length);
  const report = await checkDataset(dataset, {
    tolerance,
    concurrency: jobs,
    onProgress: progress && ((_done, _total, id) => progress.tick(1, id)),
  });
  progress?.finish(`${report.errors.length} error(s), ${report.warnings.length} warning(s)`);

  if (values.json) console.log(JSON.stringify(report, null, 1));
  else console.log(formatReport(report));
  return report.ok ? 0 : 1;
}

export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  const problem = (p: CheckProblem): string => {
    const where = [p.caseId, p.file ? relative(report.root, p.file) : undefined].filter(Boolean).join(' ');
    return `  ${p.severity === 'error' ? 'ERROR  ' : 'warning'} ${where ? `${where}: ` : ''}${p.message}`;
  };
  if (report.errors.length) lines.push(`Errors (${report.errors.length}):`, ...report.errors.map(problem), '');
  if (report.warnings.length) lines.push(`Warnings (${report.warnings.length}):`, ...report.warnings.map(problem), '');
  const s = report.stats;
  const range = (lo: number[], hi: number[]): string => lo.map((v, i) => (v === hi[i] ? `${+v.toPrecision(4)}` : `${+v.toPrecision(4)}-${+hi[i]!.toPrecision(4)}`)).join(' x ');
  lines.push(`${report.name} (${report.layout === 'msd' ? 'MSD' : 'nnU-Net v2'} layout, ${report.root})`);
  lines.push(`  channels: ${report.channelNames.join(', ')}`);
  lines.push(`  labels:   ${report.labels.map((l) => `${l.value} ${l.name}${l.region ? ` [${l.region.join(',')}]` : ''}`).join(', ')}`);
  if (s.shapeMin.length) {
    lines.push(`  shapes:   ${range(s.shapeMin, s.shapeMax)} voxels`);
    lines.push(`  spacing:  ${range(s.spacingMin, s.spacingMax)} mm`);
    lines.push(`  orientation: ${Object.entries(s.orientations).map(([o, n]) => `${o} (${n})`).join(', ')}`);
  }
  const verdict = report.ok ? 'OK' : 'FAILED';
  lines.push(`${verdict}: ${report.cases} cases, ${report.files} files checked in ${report.seconds.toFixed(1)} s; ${report.errors.length} error(s), ${report.warnings.length} warning(s)`);
  return lines.join('\n');
}
