/**
 * Where the viewer's crosshair goes once the labels are in: a voxel of the largest label, the one
 * nearest that label's centroid, so that all three planes cut through the segmentation (the centroid
 * itself may lie outside a curved structure such as the hippocampus).
 */
import type { Volume } from '../io/volume.js';

/** [i, j, k] voxel indices (NIfTI order), or undefined when every voxel is background. */
export function labelCentre(label: Volume): [number, number, number] | undefined {
  const [nx, ny] = label.shape;
  const data = label.data;
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v !== 0) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (!counts.size) return undefined;
  const largest = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const ijk = (n: number): [number, number, number] => [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))];
  let si = 0, sj = 0, sk = 0, n = 0;
  for (let v = 0; v < data.length; v++) {
    if (Number(data[v]) !== largest) continue;
    const [i, j, k] = ijk(v);
    si += i; sj += j; sk += k; n++;
  }
  const c = [si / n, sj / n, sk / n];
  let best = -1, bestD = Infinity;
  for (let v = 0; v < data.length; v++) {
    if (Number(data[v]) !== largest) continue;
    const [i, j, k] = ijk(v);
    const d = (i - c[0]!) ** 2 + (j - c[1]!) ** 2 + (k - c[2]!) ** 2;
    if (d < bestD) { bestD = d; best = v; }
  }
  return ijk(best);
}
