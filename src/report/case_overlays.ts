/**
 * The slice pictures of the evaluation: the best, median and worst case by mean foreground Dice,
 * each as three orthogonal views through the reference structure, reference and prediction side by
 * side over the case's image (from the dataset, channel 0).
 */
import type { Shape3, Spacing3 } from '../util/triple.js';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Dataset } from '../data/dataset/dataset.js';
import { readNifti } from '../io/nifti.js';
import type { Volume } from '../io/volume.js';
import type { CaseEntry, EvaluationSummary } from '../eval/summary.js';
import { nanMean } from '../eval/summary.js';
import { type Voxels, percentileWindow, renderPanel, sideBySide } from './overlay.js';
import { pngDataUri } from './png.js';
import { type PlaneView, millimetresPerPixel, planeViews, sliceCentre, sliceGrid } from './slices.js';

/** Longer side of a panel in pixels. */
export const PANEL_LONG_SIDE = 180;

export type CaseRole = 'best' | 'median' | 'worst';

export interface RankedCase { entry: CaseEntry; meanDice: number; roles: CaseRole[] }

/** Mean Dice over the foreground classes of one case (NaN classes, i.e. absent from both, left out). */
export function caseForegroundDice(c: CaseEntry): number {
  return nanMean(Object.entries(c.metrics).filter(([k]) => k !== '0').map(([, m]) => m.Dice));
}

/** Best, median and worst case (one case can be more than one of them); cases without a Dice are skipped. */
export function pickCases(summary: EvaluationSummary): RankedCase[] {
  const scored = summary.metric_per_case.map((entry) => ({ entry, meanDice: caseForegroundDice(entry) }))
    .filter((c) => !Number.isNaN(c.meanDice))
    .sort((a, b) => b.meanDice - a.meanDice || a.entry.case.localeCompare(b.entry.case));
  if (!scored.length) return [];
  const picks: [CaseRole, number][] = [['best', 0], ['median', Math.floor((scored.length - 1) / 2)], ['worst', scored.length - 1]];
  const out: RankedCase[] = [];
  for (const [role, i] of picks) {
    const c = scored[i]!;
    const seen = out.find((o) => o.entry === c.entry);
    if (seen) seen.roles.push(role); else out.push({ ...c, roles: [role] });
  }
  return out;
}

export interface PlanePicture {
  view: PlaneView;
  /** Voxel index of the slice along the view's fixed axis. */
  slice: number;
  width: number;
  height: number;
  /** Width of each of the two panels (reference left, prediction right). */
  panelWidth: number;
  dataUri: string;
}

export interface CaseOverlay {
  ranked: RankedCase;
  pictures: PlanePicture[];
  orientation: string;
  spacing: Spacing3;
  shape: Shape3;
  /** Label values present in the reference or the prediction. */
  labelValues: number[];
  /** The image the labels lie on, or why there is none. */
  imageFile: string | null;
  notes: string[];
}

/** A file named in summary.json, or the file of that name beside it (a moved evaluation folder). */
function locate(path: string, summaryFile: string): string | null {
  if (existsSync(path)) return path;
  const beside = join(dirname(summaryFile), basename(path));
  return existsSync(beside) ? beside : null;
}

function sameGrid(a: Volume, b: Volume): boolean {
  return a.shape.every((n, i) => n === b.shape[i]) &&
    a.affine.every((row, r) => row.every((v, c) => Math.abs(v - b.affine[r]![c]!) <= 1e-3 * Math.max(1, Math.abs(v))));
}

function presentValues(...arrays: Voxels[]): number[] {
  const seen = new Set<number>();
  for (const a of arrays) for (let i = 0; i < a.length; i++) { const v = Number(a[i]); if (v > 0) seen.add(v); }
  return [...seen].sort((x, y) => x - y);
}

/** The first channel of a case's image (null with a note when it cannot be used). */
async function caseImage(id: string, dataset: Dataset | null, reference: Volume, notes: string[]): Promise<{ data: Voxels; file: string } | null> {
  const c = dataset ? [...dataset.cases, ...dataset.testCases].find((x) => x.id === id) : undefined;
  if (!c) { notes.push(dataset ? `case ${id} is not in the dataset ${dataset.root}: labels shown without the image` : 'dataset not found: labels shown without the image'); return null; }
  const file = c.images[0]!;
  let vol: Volume;
  try { vol = await readNifti(file); } catch (err) { notes.push(`image not readable (${(err as Error).message}): labels shown without it`); return null; }
  if (!sameGrid(vol, reference)) { notes.push(`image ${file} (${vol.shape.join('x')}) is not on the reference's grid (${reference.shape.join('x')}): labels shown without it`); return null; }
  const voxels = vol.shape[0] * vol.shape[1] * vol.shape[2];
  return { data: vol.channels > 1 ? vol.data.subarray(0, voxels) as Voxels : vol.data as Voxels, file };
}

export async function caseOverlay(ranked: RankedCase, summaryFile: string, dataset: Dataset | null, longSide = PANEL_LONG_SIDE): Promise<CaseOverlay> {
  const e = ranked.entry;
  const refPath = locate(e.reference_file, summaryFile);
  const predPath = locate(e.prediction_file, summaryFile);
  if (!refPath) throw new Error(`reference ${e.reference_file} not found`);
  if (!predPath) throw new Error(`prediction ${e.prediction_file} not found`);
  const [ref, pred] = await Promise.all([readNifti(refPath), readNifti(predPath)]);
  if (!sameGrid(ref, pred)) throw new Error(`prediction ${predPath} (${pred.shape.join('x')}) and reference ${refPath} (${ref.shape.join('x')}) are not on one grid`);
  const notes: string[] = [];
  const image = await caseImage(e.case, dataset, ref, notes);
  const window = image ? percentileWindow(image.data) : { low: 0, high: 1 };
  const refData = ref.data as Voxels, predData = pred.data as Voxels;
  const centre = sliceCentre(refData instanceof BigInt64Array ? Array.from(refData, Number) : refData, ref.shape);
  const pictures = planeViews(ref.orientation).map((view): PlanePicture => {
    const grid = sliceGrid(ref.shape, ref.spacing, view, centre[view.fixedAxis]!, millimetresPerPixel(ref.shape, ref.spacing, view, longSide));
    const both = sideBySide([renderPanel(grid, image?.data ?? null, window, refData), renderPanel(grid, image?.data ?? null, window, predData)]);
    return { view, slice: centre[view.fixedAxis]!, width: both.width, height: both.height, panelWidth: grid.width, dataUri: pngDataUri(both) };
  });
  return {
    ranked, pictures, orientation: ref.orientation, spacing: ref.spacing, shape: ref.shape,
    labelValues: presentValues(refData, predData), imageFile: image?.file ?? null, notes,
  };
}
