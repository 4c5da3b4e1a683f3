/**
 * Evaluating one prediction file against its reference file: read both, check they share one grid,
 * compute the metrics. Runs in this thread or in a worker (case_worker.ts); a case that cannot be
 * evaluated (unreadable file, geometry mismatch) comes back as an error message, so the other cases
 * go on.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compareGeometry } from '../data/dataset/check_geometry.js';
import { NiftiError, readNifti } from '../io/nifti.js';
import type { Volume } from '../io/volume.js';
import { evaluateLabelMaps, type ClassMetrics } from './case_metrics.js';
import { EvaluationError, labelClass, notALabelMap, presentValues, toLabelMap, type EvalClass } from './label_map.js';

export interface EvalCaseTask {
  id: string;
  prediction: string;
  reference: string;
  /** Classes to evaluate; null: every nonzero value present in either file (merged later). */
  classes: EvalClass[] | null;
  nsdToleranceMm: number;
  /** Relative geometry tolerance (see data/check_geometry.ts). */
  geometryTolerance: number;
  /** The dataset's label values (background included), when known: files with far more are refused. */
  declared?: number[] | null;
}

export type EvalCaseResult =
  | {
    id: string; prediction_file: string; reference_file: string; voxels: number;
    spacing: [number, number, number]; metrics: Record<string, ClassMetrics>; seconds: number;
  }
  | { id: string; prediction_file: string; reference_file: string; error: string }
  /** A file that is clearly not a label map: the caller refuses the whole evaluation with this message. */
  | { id: string; prediction_file: string; reference_file: string; refused: string };

export async function runEvalCaseTask(task: EvalCaseTask): Promise<EvalCaseResult> {
  const started = performance.now();
  const files = { id: task.id, prediction_file: task.prediction, reference_file: task.reference };
  try {
    const [ref, pred] = await Promise.all([readNifti(task.reference), readNifti(task.prediction)]);
    for (const [role, vol, path] of [['reference', ref, task.reference], ['prediction', pred, task.prediction]] as const) {
      const problem = notALabelMap(vol, task.declared ?? null);
      if (problem) return { ...files, refused: `${path}: this ${role} is not a label map: it ${problem}. ${whatWasMeant(role, path, task.id)}` };
    }
    checkSameGrid(ref, pred, task, task.geometryTolerance);
    const refMap = toLabelMap(ref, task.reference);
    const predMap = toLabelMap(pred, task.prediction);
    const classes = task.classes ?? nonzeroClasses(refMap, predMap);
    let metrics;
    try {
      metrics = evaluateLabelMaps(refMap, predMap, ref.shape, ref.spacing, classes, { nsdToleranceMm: task.nsdToleranceMm });
    } catch (err) {
      if (err instanceof EvaluationError) throw new EvaluationError(`prediction ${task.prediction}, reference ${task.reference}: ${err.message}`);
      throw err;
    }
    return { ...files, voxels: refMap.length, spacing: [...ref.spacing], metrics, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    if (err instanceof EvaluationError || err instanceof NiftiError) return { ...files, error: err.message };
    throw err;
  }
}

/**
 * What was probably meant, for a file that is not a label map: it looks like an image. For a
 * reference, a label file beside it named after the case (spleen2_ct_seg.nii.gz beside
 * spleen2_ct.nii.gz, as image and label often sit together) is named.
 */
function whatWasMeant(role: 'reference' | 'prediction', path: string, id: string): string {
  if (role === 'prediction') {
    return `This looks like an image, not a label map: is ${dirname(path)} a folder of images rather than the output of pspseg predict?`;
  }
  let siblings: string[] = [];
  try {
    siblings = readdirSync(dirname(path)).filter((f) => f !== basename(path) && f.startsWith(id) && /^[._-]/.test(f.slice(id.length))
      && /\.nii(\.gz)?$/i.test(f)).sort();
  } catch { /* no listing: no suggestion */ }
  const meant = siblings.length ? ` The label map is probably ${siblings.map((f) => join(dirname(path), f)).join(' or ')}:` : '';
  return `This looks like an image, not a label map.${meant} REFERENCES must be a folder of label maps named as the predictions (${id}.nii.gz), or a dataset folder (its dataset.json names each case's label).`;
}

/** Throws an EvaluationError naming both files when the prediction is not on the reference's grid. */
export function checkSameGrid(ref: Volume, pred: Volume, files: { reference: string; prediction: string }, tolerance = 1e-3): void {
  const diffs = compareGeometry(ref, pred, tolerance);
  if (diffs.length === 0) return;
  throw new EvaluationError(
    `prediction ${files.prediction} does not match reference ${files.reference}: ` +
    `${diffs.map((d) => d.message).join('; ')} (prediction vs reference)`);
}

function nonzeroClasses(ref: Int32Array, pred: Int32Array): EvalClass[] {
  const values = new Set([...presentValues(ref), ...presentValues(pred)]);
  values.delete(0);
  return [...values].sort((a, b) => a - b).map((v) => labelClass([v]));
}
