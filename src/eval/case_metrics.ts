/**
 * Metrics of one case: per class, the voxel counts and Dice/IoU (nnU-Net's keys), the normalised
 * surface Dice at a tolerance and the 95th-percentile Hausdorff distance (DeepMind definitions).
 *
 * Empty classes: Dice and IoU are NaN when both masks are empty; NSD is NaN when both are empty and
 * 0 when exactly one is; HD95 is NaN when both are empty and Infinity when exactly one is.
 */
import { EvaluationError } from './evaluation_error.js';
import type { EvalClass } from './label_map.js';
import {
  normalizedSurfaceDice, robustHausdorff, surfaceDistances, type Box, type Shape3, type Spacing3,
} from './surface_distance.js';

/** One class of one case, with nnU-Net's key names plus NSD and HD95. */
export interface ClassMetrics {
  Dice: number;
  IoU: number;
  NSD: number;
  HD95: number;
  FP: number;
  TP: number;
  FN: number;
  TN: number;
  n_pred: number;
  n_ref: number;
}

export const METRIC_KEYS = ['Dice', 'IoU', 'NSD', 'HD95', 'FP', 'TP', 'FN', 'TN', 'n_pred', 'n_ref'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricOptions {
  /** NSD tolerance tau in mm (docs/method.md, "Inference and evaluation": 2). */
  nsdToleranceMm: number;
  /** Hausdorff percentile (95). */
  hdPercentile?: number;
}

/** Metrics of a class absent from both masks of a case with `voxels` voxels. */
export function emptyClassMetrics(voxels: number): ClassMetrics {
  return { Dice: NaN, IoU: NaN, NSD: NaN, HD95: NaN, FP: 0, TP: 0, FN: 0, TN: voxels, n_pred: 0, n_ref: 0 };
}

/** Per-class metrics of a predicted label map against the reference (same shape, x fastest). */
export function evaluateLabelMaps(
  ref: Int32Array, pred: Int32Array, shape: Shape3, spacing: Spacing3, classes: readonly EvalClass[], options: MetricOptions,
): Record<string, ClassMetrics> {
  const n = shape[0] * shape[1] * shape[2];
  if (ref.length !== n || pred.length !== n) throw new Error(`evaluateLabelMaps: maps of ${ref.length} and ${pred.length} voxels for shape ${shape.join('x')}`);
  const out: Record<string, ClassMetrics> = {};
  const refMask = new Uint8Array(n), predMask = new Uint8Array(n);
  const range = valueRange(ref, pred);
  for (const cls of classes) {
    const { tp, fp, fn, box } = classMasks(ref, pred, shape, membership(cls.values, range), range[0], refMask, predMask);
    const m = emptyClassMetrics(n);
    Object.assign(m, { TP: tp, FP: fp, FN: fn, TN: n - tp - fp - fn, n_pred: tp + fp, n_ref: tp + fn });
    if (tp + fp + fn > 0) {
      m.Dice = (2 * tp) / (2 * tp + fp + fn);
      m.IoU = tp / (tp + fp + fn);
      const sd = surfaceDistances(refMask, predMask, shape, spacing, box);
      m.NSD = normalizedSurfaceDice(sd, options.nsdToleranceMm);
      m.HD95 = robustHausdorff(sd, options.hdPercentile ?? 95);
    }
    out[cls.key] = m;
  }
  return out;
}

/** Smallest and largest value of both maps. */
function valueRange(a: Int32Array, b: Int32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const map of [a, b]) {
    for (let i = 0; i < map.length; i++) {
      const v = map[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo > hi ? [0, 0] : [lo, hi];
}

/** 1 at value - lo for the class's values (a lookup table over the maps' value range). */
function membership(values: readonly number[], [lo, hi]: [number, number]): Uint8Array {
  if (hi - lo >= 1 << 24) throw new EvaluationError(`label values span ${lo}..${hi}: too wide a range to evaluate`);
  const table = new Uint8Array(hi - lo + 1);
  for (const v of values) if (v >= lo && v <= hi) table[v - lo] = 1;
  return table;
}

/**
 * Fills the two 0/1 masks of a class (`member[value - lo]`) and counts overlap; also the bounding box
 * of their union (null when both are empty).
 */
function classMasks(
  ref: Int32Array, pred: Int32Array, shape: Shape3, member: Uint8Array, lo: number, refMask: Uint8Array, predMask: Uint8Array,
): { tp: number; fp: number; fn: number; box: Box | null } {
  const [nx, ny, nz] = shape;
  const box: Box = [nx, ny, nz, -1, -1, -1];
  let tp = 0, fp = 0, fn = 0, i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      let rowHit = false;
      for (let x = 0; x < nx; x++, i++) {
        const r = member[ref[i]! - lo]!, p = member[pred[i]! - lo]!;
        refMask[i] = r;
        predMask[i] = p;
        if (r | p) {
          if (r & p) tp++; else if (r) fn++; else fp++;
          if (x < box[0]) box[0] = x;
          if (x > box[3]) box[3] = x;
          rowHit = true;
        }
      }
      if (rowHit) {
        if (y < box[1]) box[1] = y;
        if (y > box[4]) box[4] = y;
        if (z < box[2]) box[2] = z;
        if (z > box[5]) box[5] = z;
      }
    }
  }
  return { tp, fp, fn, box: box[3] < 0 ? null : box };
}
