/**
 * The words of a check report: one line per problem, always with its case and file (relative to the
 * dataset folder), and the full report `pspseg check` prints. Every command that checks a dataset
 * prints problems with these, so no caller shows a bare "file is missing".
 */
import { relative } from 'node:path';
import type { CheckProblem, CheckReport } from './check.js';

/** "  ERROR   case_1 labelsTr/case_1.nii.gz: file is missing" */
export function formatProblem(p: CheckProblem, root: string): string {
  const where = [p.caseId, p.file ? relative(root, p.file) : undefined].filter(Boolean).join(' ');
  return `  ${p.severity === 'error' ? 'ERROR  ' : 'warning'} ${where ? `${where}: ` : ''}${p.message}`;
}

export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  const problem = (p: CheckProblem): string => formatProblem(p, report.root);
  if (report.errors.length) lines.push(`Errors (${report.errors.length}):`, ...report.errors.map(problem), '');
  if (report.warnings.length) lines.push(`Warnings (${report.warnings.length}):`, ...report.warnings.map(problem), '');
  const s = report.stats;
  // check statistics are per NIfTI axis: x, y, z
  const range = (lo: number[], hi: number[], unit: string): string => {
    const both = lo.map((v, i) => (v === hi[i] ? `${+v.toPrecision(4)}` : `${+v.toPrecision(4)}-${+hi[i]!.toPrecision(4)}`));
    return `${both.join(' x ')} ${unit} (x, y, z)`;
  };
  lines.push(`${report.name} (${report.layout === 'msd' ? 'MSD' : 'nnU-Net v2'} layout, ${report.root})`);
  lines.push(`  channels: ${report.channelNames.join(', ')}`);
  lines.push(`  labels:   ${report.labels.map((l) => `${l.value} ${l.name}${l.region ? ` [${l.region.join(',')}]` : ''}`).join(', ')}`);
  if (s.shapeMin.length) {
    lines.push(`  shapes:   ${range(s.shapeMin, s.shapeMax, 'voxels')}`);
    lines.push(`  spacing:  ${range(s.spacingMin, s.spacingMax, 'mm')}`);
    lines.push(`  orientation: ${Object.entries(s.orientations).map(([o, n]) => `${o} (${n})`).join(', ')}`);
  }
  const verdict = report.ok ? 'OK' : 'FAILED';
  lines.push(`${verdict}: ${report.cases} cases, ${report.files} files checked in ${report.seconds.toFixed(1)} s; ${report.errors.length} error(s), ${report.warnings.length} warning(s)`);
  return lines.join('\n');
}
