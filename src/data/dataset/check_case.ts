/**
 * Validation of one dataset case: every file present and readable, channels and label on one grid,
 * finite intensities, label values integer and declared. Returns problems instead of throwing, so a
 * dataset check can list everything that is wrong at once.
 */
import { open, stat } from 'node:fs/promises';
import { readNifti } from '../../io/nifti.js';
import { headerGeometryProblems } from '../../io/nifti_geometry.js';
import type { Volume } from '../../io/volume.js';
import type { Shape3, Spacing3 } from '../../util/triple.js';
import { MAX_CLASS_VALUE } from '../common/labels.js';
import type { DatasetCase } from './dataset.js';
import { compareGeometry } from './check_geometry.js';
import { scanIntensities, scanLabelValues } from './check_values.js';
import { linkTarget, missingFileReason } from '../../util/missing_file.js';

export type CheckCode =
  | 'dataset' | 'case-count' | 'stray-file' | 'unused-label'
  | 'missing-file' | 'unreadable' | 'not-gzip' | 'bad-geometry' | 'channel-count' | 'channel-geometry'
  | 'shape-mismatch' | 'spacing-mismatch' | 'affine-mismatch'
  | 'non-finite' | 'constant-image' | 'non-integer-label' | 'undeclared-label' | 'label-range' | 'empty-label'
  | 'unusual-orientation';

export interface CheckProblem {
  severity: 'error' | 'warning';
  code: CheckCode;
  caseId?: string;
  /** The file concerned (absolute path), when there is one. */
  file?: string;
  message: string;
}

export interface CaseFacts {
  id: string;
  /** Geometry of the first image, if it could be read. */
  shape?: Shape3;
  spacing?: Spacing3;
  orientation?: string;
  /** Voxel count per label value, if the label could be read. */
  labelCounts?: Map<number, number>;
}

export interface CaseCheckContext {
  channelNames: string[];
  declaredLabels: Set<number>;
  tolerance: number;
}

export async function checkCase(c: DatasetCase, ctx: CaseCheckContext): Promise<{ facts: CaseFacts; problems: CheckProblem[] }> {
  const problems: CheckProblem[] = [];
  const facts: CaseFacts = { id: c.id };
  const report = (severity: CheckProblem['severity'], code: CheckCode, file: string | undefined, message: string): void => {
    problems.push({ severity, code, caseId: c.id, ...(file ? { file } : {}), message });
  };
  const load = async (path: string): Promise<Volume | undefined> => {
    if (!(await isFile(path))) {
      report('error', 'missing-file', path, linkTarget(path) ? missingFileReason(path) : `file is missing${await endingHint(path)}`);
      return undefined;
    }
    let vol: Volume;
    try { vol = await readNifti(path); } catch (err) {
      report('error', 'unreadable', path, (err as { reason?: string }).reason ?? (err as Error).message);
      return undefined;
    }
    if (/\.gz$/i.test(path) && !(await startsWithGzipMagic(path))) {
      report('warning', 'not-gzip', path, 'not a gzip file although its name ends in .gz (read as uncompressed NIfTI; nnU-Net and nibabel refuse it): compress it with gzip, or rename it to .nii');
    }
    for (const problem of vol.header ? headerGeometryProblems(vol.header) : []) report('error', 'bad-geometry', path, problem);
    return vol;
  };

  const images = await Promise.all(c.images.map(load));
  images.forEach((img, k) => { if (img) checkImage(img, c.images[k]!, c, ctx, report); });
  const first = images[0];
  if (first) {
    facts.shape = first.shape; facts.spacing = first.spacing; facts.orientation = first.orientation;
    images.forEach((img, k) => {
      if (k === 0 || !img) return;
      for (const d of compareGeometry(first, img, ctx.tolerance)) {
        report('error', 'channel-geometry', c.images[k], `channel ${k} (${ctx.channelNames[k] ?? '?'}): ${d.message} of channel 0`);
      }
    });
  }
  if (c.label) {
    const label = await load(c.label);
    if (label) {
      facts.labelCounts = checkLabel(label, c.label, ctx, report);
      const reference = images.find((img) => img !== undefined);
      if (reference) {
        for (const d of compareGeometry(reference, label, ctx.tolerance)) {
          const code = d.kind === 'shape' ? 'shape-mismatch' : d.kind === 'spacing' ? 'spacing-mismatch' : 'affine-mismatch';
          report('error', code, c.label, `label ${d.message} of the image`);
        }
      }
    }
  }
  return { facts, problems };
}

const isFile = async (path: string): Promise<boolean> => Boolean((await stat(path).catch(() => undefined))?.isFile());

/** For a missing X.nii.gz beside an existing X.nii (or the other way round): why it is not found and what to do. */
async function endingHint(path: string): Promise<string> {
  const gz = /\.nii\.gz$/i.test(path);
  const other = gz ? path.slice(0, -3) : /\.nii$/i.test(path) ? `${path}.gz` : undefined;
  if (!other || !(await isFile(other))) return '';
  const name = other.split(/[\\/]/).pop();
  return gz
    ? ` (${name} exists, but dataset.json's file_ending is ".nii.gz": compress it with gzip, or set "file_ending": ".nii" if every file is .nii)`
    : ` (${name} exists, but dataset.json's file_ending is ".nii": set "file_ending": ".nii.gz" if every file is .nii.gz)`;
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

type Report = (severity: CheckProblem['severity'], code: CheckCode, file: string | undefined, message: string) => void;

function checkImage(img: Volume, path: string, c: DatasetCase, ctx: CaseCheckContext, report: Report): void {
  const expected = c.channelInFile === '4d' ? ctx.channelNames.length : 1;
  if (img.channels !== expected) {
    const what = c.channelInFile === '4d' ? `dataset.json declares ${expected} channel(s)` : 'one file per channel must be 3D';
    report('error', 'channel-count', path, `image has ${img.channels} channel(s), ${what}`);
  }
  const scan = scanIntensities(img.data);
  if (scan.nonFinite > 0) report('error', 'non-finite', path, `${scan.nonFinite} NaN/Inf voxel(s)`);
  if (scan.min === scan.max) report('warning', 'constant-image', path, `every voxel is ${scan.min}`);
}

function checkLabel(label: Volume, path: string, ctx: CaseCheckContext, report: Report): Map<number, number> {
  if (label.channels !== 1) report('error', 'channel-count', path, `label has ${label.channels} channels, must be 3D`);
  const scan = scanLabelValues(label.data);
  if (scan.nonFinite > 0) report('error', 'non-finite', path, `${scan.nonFinite} NaN/Inf voxel(s) in the label`);
  if (scan.nonInteger > 0) {
    report('error', 'non-integer-label', path,
      `${scan.nonInteger} voxel(s) hold non-integer label values (e.g. ${scan.nonIntegerExamples.map((v) => +v.toPrecision(6)).join(', ')}): labels must be whole class numbers; was the label resampled with interpolation?`);
  }
  const undeclared = [...scan.counts].filter(([v]) => !ctx.declaredLabels.has(v)).sort((a, b) => a[0] - b[0]);
  if (undeclared.length > 0) {
    const list = undeclared.slice(0, 10).map(([v, n]) => `${v} (${n} voxels)`).join(', ');
    const more = undeclared.length > 10 ? ` and ${undeclared.length - 10} more` : '';
    report('error', 'undeclared-label', path, `label values not declared in dataset.json: ${list}${more}`);
  }
  const outOfRange = [...scan.counts.keys()].filter((v) => v < 0 || v > MAX_CLASS_VALUE).sort((a, b) => a - b);
  if (outOfRange.length > 0) {
    // Preprocessed labels are int8 with -1 reserved for "outside the body".
    report('error', 'label-range', path, `label values ${outOfRange.slice(0, 10).join(', ')} are outside 0..${MAX_CLASS_VALUE}, which pspseg supports`);
  }
  // Only a label that could be read as classes can be said to be empty (non-integer voxels are reported above).
  if (scan.nonInteger === 0 && scan.nonFinite === 0 && ![...scan.counts.keys()].some((v) => v !== 0)) {
    report('warning', 'empty-label', path, 'label has no foreground voxels');
  }
  return scan.counts;
}
