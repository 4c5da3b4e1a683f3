/**
 * Surface-element areas for every 2x2x2 neighbourhood configuration, the DeepMind `surface-distance`
 * definition. A mask's surface is sampled at the corners of its voxel grid: the 8 voxels around a
 * corner give an 8-bit code, and the surface inside that 2x2x2 cell is a marching-cubes surface
 * through the midpoints of the cell's edges whose ends disagree. Its area, per code and spacing, is
 * the code's "surfel" area.
 *
 * The marching-cubes surface is built here from two rules, which reproduce DeepMind's hand-made table
 * of triangle normals (checked for all 256 codes at many spacings; see scripts/make_eval_fixtures.py):
 *  1. On a face whose corners alternate (ambiguous face), the minority corners of the cell are cut
 *     off: the set corners when at most 4 are set, else the unset ones (so code and complement give
 *     the same surface).
 *  2. Each closed loop of edge midpoints is triangulated by its largest-area triangulation in the
 *     unit cube (for loops of 4..6 vertices the triangulations differ in area; ties have equal area
 *     at every spacing). Spacing scales a triangle's area vector by (sy*sz, sx*sz, sx*sy).
 *
 * Bit k of a code is the voxel at corner offset (k & 1, (k >> 1) & 1, (k >> 2) & 1) along (x, y, z).
 */

import type { Vec3 } from '../util/triple.js';

/** The 6 faces of the unit cube, each as its 4 corner indices in cyclic order. */
const FACES: number[][] = (() => {
  const faces: number[][] = [];
  for (let axis = 0; axis < 3; axis++) {
    const [u, v] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
    for (const side of [0, 1]) {
      faces.push([[0, 0], [1, 0], [1, 1], [0, 1]].map(([a, b]) => (side << axis) | (a! << u) | (b! << v)));
    }
  }
  return faces;
})();

const cornerPoint = (k: number): Vec3 => [k & 1, (k >> 1) & 1, (k >> 2) & 1];
const edgeKey = (a: number, b: number): number => (a < b ? a * 8 + b : b * 8 + a);
const midpoint = (key: number): Vec3 => {
  const a = cornerPoint(Math.floor(key / 8)), b = cornerPoint(key % 8);
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
};

/** Half the cross product of (q - p) and (r - p): the triangle's area vector. */
function areaVector(p: Vec3, q: Vec3, r: Vec3): Vec3 {
  const u = [q[0] - p[0], q[1] - p[1], q[2] - p[2]], w = [r[0] - p[0], r[1] - p[1], r[2] - p[2]];
  return [(u[1]! * w[2]! - u[2]! * w[1]!) / 2, (u[2]! * w[0]! - u[0]! * w[2]!) / 2, (u[0]! * w[1]! - u[1]! * w[0]!) / 2];
}

const norm = (v: Vec3): number => Math.hypot(v[0], v[1], v[2]);

/** Closed loops of edge midpoints (as edge keys, in order) of the surface in the cell with `code`. */
function surfaceLoops(code: number): number[][] {
  const inside = (k: number): boolean => ((code >> k) & 1) === 1;
  let set = 0;
  for (let k = 0; k < 8; k++) if (inside(k)) set++;
  const cutInside = set <= 4;
  const links = new Map<number, number[]>();
  const link = (a: number, b: number): void => {
    links.set(a, [...(links.get(a) ?? []), b]);
    links.set(b, [...(links.get(b) ?? []), a]);
  };
  for (const ring of FACES) {
    // Edge i of the face joins ring[i] and ring[i + 1]; corner ring[i] touches edges i - 1 and i.
    const crossing = [0, 1, 2, 3].filter((i) => inside(ring[i]!) !== inside(ring[(i + 1) % 4]!));
    const key = (i: number): number => edgeKey(ring[i]!, ring[(i + 1) % 4]!);
    if (crossing.length === 2) link(key(crossing[0]!), key(crossing[1]!));
    else if (crossing.length === 4) {
      for (let i = 0; i < 4; i++) if (inside(ring[i]!) === cutInside) link(key((i + 3) % 4), key(i));
    }
  }
  const loops: number[][] = [];
  const seen = new Set<number>();
  for (const start of links.keys()) {
    if (seen.has(start)) continue;
    const loop = [start];
    seen.add(start);
    let prev = start, cur = links.get(start)![0]!;
    while (cur !== start) {
      loop.push(cur);
      seen.add(cur);
      const [a, b] = links.get(cur)!;
      [prev, cur] = [cur, a === prev ? b! : a!];
    }
    loops.push(loop);
  }
  return loops;
}

/** The largest-area triangulation (in the unit cube) of a polygon, as area vectors. */
function largestTriangulation(poly: Vec3[]): Vec3[] {
  const n = poly.length;
  // best[i][j]: largest total area triangulating the sub-polygon i..j (j - i >= 2), and its split.
  const best: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const split: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(-1));
  for (let len = 2; len < n; len++) {
    for (let i = 0; i + len < n; i++) {
      const j = i + len;
      for (let k = i + 1; k < j; k++) {
        const area = best[i]![k]! + best[k]![j]! + norm(areaVector(poly[i]!, poly[k]!, poly[j]!));
        if (split[i]![j]! < 0 || area > best[i]![j]! + 1e-12) { best[i]![j] = area; split[i]![j] = k; }
      }
    }
  }
  const out: Vec3[] = [];
  const collect = (i: number, j: number): void => {
    if (j - i < 2) return;
    const k = split[i]![j]!;
    out.push(areaVector(poly[i]!, poly[k]!, poly[j]!));
    collect(i, k);
    collect(k, j);
  };
  collect(0, n - 1);
  return out;
}

/** Per code, the area vectors of its triangles in the unit cube (spacing-free, built once). */
const UNIT_TRIANGLES: Vec3[][] = Array.from({ length: 256 }, (_, code) =>
  surfaceLoops(code).flatMap((loop) => largestTriangulation(loop.map(midpoint))));

/** The triangles' area vectors of one code in the unit cube (for tests and inspection). */
export function unitSurfaceTriangles(code: number): Vec3[] {
  return UNIT_TRIANGLES[code]!.map((v) => [...v] as Vec3);
}

/** Surface area (mm^2) of the surface element of each of the 256 codes at voxel spacing (sx, sy, sz) mm. */
export function surfaceAreaTable(spacing: readonly [number, number, number]): Float64Array {
  const [sx, sy, sz] = spacing;
  const table = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    let area = 0;
    for (const [nx, ny, nz] of UNIT_TRIANGLES[code]!) area += Math.hypot(nx * sy * sz, ny * sx * sz, nz * sx * sy);
    table[code] = area;
  }
  return table;
}
