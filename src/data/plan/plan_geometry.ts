/**
 * The geometric planning rules (nnU-Net v2 ExperimentPlanner), in C-order array axes:
 * target spacing, axis transpose, and patch / batch size for a voxel budget.
 */
import type { Axes3, Shape3, Spacing3 } from '../../util/triple.js';
import { percentile } from '../common/stats.js';
import { ANISOTROPY_THRESHOLD } from '../preprocess/resample.js';

/**
 * determine_fullres_target_spacing: the median spacing per axis; but when one axis is much coarser
 * (spacing > 3x the others) AND has much fewer voxels (size x 3 < the others), use the 10th percentile
 * of that axis' spacings instead (so thin-slice cases are not thrown away), never finer than the other
 * axes' spacing.
 */
export function targetSpacing(spacings: readonly Spacing3[], shapesAfterCrop: readonly Shape3[], threshold = ANISOTROPY_THRESHOLD): Spacing3 {
  const target = [0, 1, 2].map((a) => percentile(spacings.map((s) => s[a]), 50)) as Spacing3;
  const size = [0, 1, 2].map((a) => percentile(shapesAfterCrop.map((s) => s[a]), 50));
  const worst = target.indexOf(Math.max(...target));
  const others = [0, 1, 2].filter((a) => a !== worst);
  const otherSpacing = Math.max(...others.map((a) => target[a]!));
  const otherSize = Math.min(...others.map((a) => size[a]!));
  const anisoSpacing = target[worst]! > threshold * otherSpacing;
  const anisoVoxels = size[worst]! * threshold < otherSize;
  if (anisoSpacing && anisoVoxels) {
    let t = percentile(spacings.map((s) => s[worst]), 10);
    if (t < otherSpacing) t = Math.max(otherSpacing, t) + 1e-5;
    target[worst] = t;
  }
  return target;
}

/** determine_transpose: the lowest-resolution (largest spacing) axis first, the others in order. */
export function transposeFor(target: Spacing3): { forward: Axes3; backward: Axes3 } {
  const worst = target.indexOf(Math.max(...target));
  const forward = [worst, ...[0, 1, 2].filter((a) => a !== worst)] as Axes3;
  const backward = [0, 1, 2].map((a) => forward.indexOf(a)) as Axes3;
  return { forward, backward };
}

export interface PatchPlanInput {
  /** Target spacing and median shape after resampling, both in the (transposed) network axis order. */
  spacing: Spacing3;
  medianShape: Shape3;
  numCases: number;
  /** Downsamplings of the network: every patch dimension is a multiple of 2^numPools. */
  numPools: number;
  /** Upper bound of patch voxels x batch size (stands in for a network memory estimate). */
  voxelBudget: number;
  minBatchSize?: number;
  /** Largest fraction of the dataset's voxels one batch may cover (nnU-Net: 5%, an overfitting guard). */
  maxDatasetCovered?: number;
}

/** The PSP-Seg paper's setting, patch 128^3 with batch 2. */
export const DEFAULT_VOXEL_BUDGET = 2 * 128 ** 3;
export const DEFAULT_NUM_POOLS = 4;

function roundUpToMultiple(n: number, m: number): number { return Math.max(m, Math.ceil(n / m) * m); }

/**
 * Patch and batch size, nnU-Net style for a network that pools every axis numPools times:
 * 1. start from a patch with the same extent in mm on every axis and 256^3 voxels, clipped to the
 *    median image shape (larger patches only add padding), rounded up to multiples of 2^numPools;
 * 2. while patch x minimum batch exceeds the budget, shrink the axis whose patch is largest relative
 *    to the median shape by one multiple;
 * 3. batch = as many patches as the budget allows, capped so one batch covers at most 5% of the
 *    dataset's voxels, never below the minimum batch size (2).
 */
export function patchAndBatch(p: PatchPlanInput): { patchSize: Shape3; batchSize: number } {
  const minBatch = p.minBatchSize ?? 2;
  const div = 2 ** p.numPools;
  const inv = p.spacing.map((s) => 1 / s);
  const scale = Math.cbrt(256 ** 3 / (inv[0]! * inv[1]! * inv[2]!));
  const initial = inv.map((v, a) => Math.min(Math.round(v * scale), p.medianShape[a]!));
  const patch = initial.map((n) => roundUpToMultiple(n, div)) as Shape3;
  const voxels = (): number => patch[0] * patch[1] * patch[2];
  while (voxels() * minBatch > p.voxelBudget) {
    let axis = -1, worst = -Infinity;
    for (let a = 0; a < 3; a++) {
      const r = patch[a]! / p.medianShape[a]!;
      if (patch[a]! > div && r >= worst) { worst = r; axis = a; } // ties: the last axis, as numpy argsort()[-1]
    }
    if (axis < 0) {
      // Every side is one multiple of 2^numPools already: no patch the network accepts fits the budget.
      throw new Error(`with ${p.numPools} pooling steps every patch side is a multiple of ${div}: the smallest patch, `
        + `${div} x ${div} x ${div} voxels x batch ${minBatch}, exceeds the voxel budget of ${p.voxelBudget}; use fewer pooling steps (--num-pools) or a larger --budget`);
    }
    patch[axis] -= div;
  }
  const byBudget = Math.floor(p.voxelBudget / voxels());
  const datasetVoxels = p.medianShape[0] * p.medianShape[1] * p.medianShape[2] * p.numCases;
  const byCoverage = Math.round((datasetVoxels * (p.maxDatasetCovered ?? 0.05)) / voxels());
  return { patchSize: patch, batchSize: Math.max(Math.min(byBudget, byCoverage), minBatch) };
}
