/** `pspseg check` at work (loaded when the command runs): validate, then print the report. */
import { relative } from 'node:path';
import { checkDataset, type CheckProblem, type CheckReport } from '../../data/dataset/check.js';
import { readDataset } from '../../data/dataset/dataset.js';
import { Progress } from '../../util/progress.js';
import type { CheckOptions } from './check.js';

export async function runCheck(o: CheckOptions, datasetPath: string): Promise<number> {
  const dataset = readDataset(datasetPath);
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
