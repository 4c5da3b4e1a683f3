/**
 * Surface distances between two binary masks, the DeepMind `surface-distance` definition: surface
 * elements (surfels) sit at the corners of the voxel grid whose 2x2x2 neighbourhood is neither empty
 * nor full, each with the area of its marching-cubes surface piece (surface_table.ts); every surfel
 * of one mask gets its distance in mm to the nearest surfel of the other. Voxels outside the volume
 * count as background, so a mask touching the border has a closed surface there. From these:
 * normalised surface Dice at a tolerance, and the robust (percentile) Hausdorff distance.
 */
import { squaredDistanceTransform } from './distance_transform.js';
import { surfaceAreaTable } from './surface_table.js';

import type { Shape3, Spacing3 } from '../util/triple.js';

export type { Shape3, Spacing3 };

/** Surfel distances and areas in both directions (unsorted). */
export interface SurfaceDistances {
  /** Per reference surfel: distance (mm) to the predicted surface; Infinity when that is empty. */
  distancesRefToPred: Float64Array;
  areasRef: Float64Array;
  distancesPredToRef: Float64Array;
  areasPred: Float64Array;
}

/** Inclusive voxel bounding box [x0, y0, z0, x1, y1, z1]. */
export type Box = [number, number, number, number, number, number];

/**
 * Surface distances of two binary masks (nonzero = inside) of shape `shape` (x fastest).
 * `box`, when given, must contain every nonzero voxel of both masks (it saves a pass).
 */
export function surfaceDistances(
  ref: Uint8Array, pred: Uint8Array, shape: Shape3, spacing: Spacing3, box?: Box | null,
): SurfaceDistances {
  const bounds = box === undefined ? unionBox(ref, pred, shape) : box;
  if (!bounds) return { distancesRefToPred: new Float64Array(0), areasRef: new Float64Array(0), distancesPredToRef: new Float64Array(0), areasPred: new Float64Array(0) };
  // The corner grid of the box: corner (i, j, k) lies between voxels (x0 + i - 1, ...) and (x0 + i, ...).
  const grid: [number, number, number] = [bounds[3] - bounds[0] + 2, bounds[4] - bounds[1] + 2, bounds[5] - bounds[2] + 2];
  const codesRef = neighbourCodes(ref, shape, bounds);
  const codesPred = neighbourCodes(pred, shape, bounds);
  const table = surfaceAreaTable(spacing);
  const bordersRef = borderMask(codesRef);
  const bordersPred = borderMask(codesPred);
  const dist = new Float64Array(codesRef.length);
  squaredDistanceTransform(bordersPred, grid, spacing, dist);
  const [distancesRefToPred, areasRef] = gather(codesRef, dist, table);
  squaredDistanceTransform(bordersRef, grid, spacing, dist);
  const [distancesPredToRef, areasPred] = gather(codesPred, dist, table);
  return { distancesRefToPred, areasRef, distancesPredToRef, areasPred };
}

/** Bounding box of the nonzero voxels of either mask, or null when both are empty. */
export function unionBox(a: Uint8Array, b: Uint8Array, shape: Shape3): Box | null {
  const [nx, ny, nz] = shape;
  const box: Box = [nx, ny, nz, -1, -1, -1];
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (a[i] || b[i]) {
          if (x < box[0]) box[0] = x;
          if (x > box[3]) box[3] = x;
          if (y < box[1]) box[1] = y;
          if (y > box[4]) box[4] = y;
          if (z < box[2]) box[2] = z;
          if (z > box[5]) box[5] = z;
        }
      }
    }
  }
  return box[3] < 0 ? null : box;
}

/**
 * The 8-bit neighbourhood code of every corner of the box's corner grid: bit dx + 2 dy + 4 dz is the
 * voxel at (x0 + i - 1 + dx, y0 + j - 1 + dy, z0 + k - 1 + dz); voxels outside the box are 0.
 */
export function neighbourCodes(mask: Uint8Array, shape: Shape3, box: Box): Uint8Array {
  const [nx, ny] = shape;
  const [x0, y0, z0, x1, y1, z1] = box;
  const gx = x1 - x0 + 2, gy = y1 - y0 + 2, gz = z1 - z0 + 2;
  // Bits along x: corner i gets voxel i - 1 as bit 0 and voxel i as bit 1.
  const rowBits = new Uint8Array(gx * (gy - 1) * (gz - 1));
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      const src = x0 + nx * (y + ny * z);
      const dst = gx * ((y - y0) + (gy - 1) * (z - z0));
      let prev = 0;
      for (let i = 0; i < gx; i++) {
        const cur = i < gx - 1 && mask[src + i] ? 1 : 0;
        rowBits[dst + i] = prev | (cur << 1);
        prev = cur;
      }
    }
  }
  // Along y: voxel rows j - 1 and j give bits 0-1 and 2-3.
  const planeBits = new Uint8Array(gx * gy * (gz - 1));
  for (let k = 0; k < gz - 1; k++) {
    for (let j = 0; j < gy; j++) {
      const dst = gx * (j + gy * k);
      const below = j > 0 ? gx * ((j - 1) + (gy - 1) * k) : -1;
      const above = j < gy - 1 ? gx * (j + (gy - 1) * k) : -1;
      for (let i = 0; i < gx; i++) {
        planeBits[dst + i] = (below >= 0 ? rowBits[below + i]! : 0) | ((above >= 0 ? rowBits[above + i]! : 0) << 2);
      }
    }
  }
  // Along z: voxel planes k - 1 and k give bits 0-3 and 4-7.
  const plane = gx * gy;
  const codes = new Uint8Array(plane * gz);
  for (let k = 0; k < gz; k++) {
    const dst = plane * k;
    const below = k > 0 ? plane * (k - 1) : -1;
    const above = k < gz - 1 ? plane * k : -1;
    for (let i = 0; i < plane; i++) {
      codes[dst + i] = (below >= 0 ? planeBits[below + i]! : 0) | ((above >= 0 ? planeBits[above + i]! : 0) << 4);
    }
  }
  return codes;
}

function borderMask(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] !== 0 && codes[i] !== 255 ? 1 : 0;
  return out;
}

/** Distances (sqrt of the squared distance map) and areas at the border corners of `codes`. */
function gather(codes: Uint8Array, squared: Float64Array, table: Float64Array): [Float64Array, Float64Array] {
  let n = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] !== 0 && codes[i] !== 255) n++;
  const distances = new Float64Array(n), areas = new Float64Array(n);
  for (let i = 0, m = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0 || c === 255) continue;
    distances[m] = Math.sqrt(squared[i]!);
    areas[m++] = table[c]!;
  }
  return [distances, areas];
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function areaWithin(distances: Float64Array, areas: Float64Array, tolerance: number): number {
  let s = 0;
  for (let i = 0; i < distances.length; i++) if (distances[i]! <= tolerance) s += areas[i]!;
  return s;
}

/**
 * Normalised surface Dice at `toleranceMm`: (reference surface area within the tolerance of the
 * predicted surface + predicted surface area within the tolerance of the reference surface) / (total
 * area of both). 0 when exactly one surface is empty, NaN when both are.
 */
export function normalizedSurfaceDice(sd: SurfaceDistances, toleranceMm: number): number {
  const total = sum(sd.areasRef) + sum(sd.areasPred);
  if (total === 0) return NaN;
  return (areaWithin(sd.distancesRefToPred, sd.areasRef, toleranceMm) + areaWithin(sd.distancesPredToRef, sd.areasPred, toleranceMm)) / total;
}

/**
 * The area-weighted `percent` percentile of one direction's distances, as DeepMind's
 * compute_robust_hausdorff takes it: sort by distance, and return the distance of the first surfel at
 * which the cumulative area fraction reaches percent / 100. Infinity for an empty surface.
 */
export function directedPercentile(distances: Float64Array, areas: Float64Array, percent: number): number {
  const n = distances.length;
  if (n === 0) return Infinity;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => distances[a]! - distances[b]! || areas[a]! - areas[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += areas[order[i]!]!;
  const target = percent / 100;
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    cumulative += areas[order[i]!]!;
    if (cumulative / total >= target) return distances[order[i]!]!;
  }
  return distances[order[n - 1]!]!;
}

/**
 * Robust Hausdorff distance: the larger of the two directed area-weighted percentiles. NaN when both
 * masks are empty; Infinity when exactly one is (as the DeepMind package gives for a missing surface).
 */
export function robustHausdorff(sd: SurfaceDistances, percent = 95): number {
  if (sd.areasRef.length === 0 && sd.areasPred.length === 0) return NaN;
  return Math.max(
    directedPercentile(sd.distancesRefToPred, sd.areasRef, percent),
    directedPercentile(sd.distancesPredToRef, sd.areasPred, percent),
  );
}
