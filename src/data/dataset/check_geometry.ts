/**
 * Geometry agreement between two images of one case (image vs label, channel vs channel), with a
 * tolerance relative to the voxel size: float32 headers written by different tools differ in the
 * last bits, which must not count as a mismatch.
 */
import type { Volume } from '../../io/volume.js';

export type GeometryDifference =
  | { kind: 'shape'; message: string }
  | { kind: 'spacing'; message: string }
  | { kind: 'affine'; message: string };

const fmt = (v: number): string => String(+v.toPrecision(6));
const fmtList = (v: readonly number[]): string => v.map(fmt).join('x');

/**
 * Differences of `b` from `a`. `tolerance` is relative: spacing differs when it is off by more than
 * tolerance x spacing, the origin when it moves more than tolerance x the smallest voxel size, and
 * the axis directions when a direction cosine changes by more than tolerance.
 */
export function compareGeometry(a: Volume, b: Volume, tolerance: number): GeometryDifference[] {
  const out: GeometryDifference[] = [];
  if (a.shape.some((n, i) => n !== b.shape[i])) {
    out.push({ kind: 'shape', message: `shape ${fmtList(b.shape)} differs from ${fmtList(a.shape)} (x, y, z)` });
  }
  if (a.spacing.some((s, i) => Math.abs(s - b.spacing[i]!) > tolerance * Math.max(s, b.spacing[i]!))) {
    out.push({ kind: 'spacing', message: `spacing ${fmtList(b.spacing)} mm differs from ${fmtList(a.spacing)} mm (x, y, z)` });
  }
  const shift = Math.hypot(...[0, 1, 2].map((r) => a.affine[r]![3]! - b.affine[r]![3]!));
  const minSpacing = Math.min(...a.spacing);
  let turn = 0;
  for (let c = 0; c < 3; c++) {
    const na = Math.hypot(a.affine[0]![c]!, a.affine[1]![c]!, a.affine[2]![c]!) || 1;
    const nb = Math.hypot(b.affine[0]![c]!, b.affine[1]![c]!, b.affine[2]![c]!) || 1;
    for (let r = 0; r < 3; r++) turn = Math.max(turn, Math.abs(a.affine[r]![c]! / na - b.affine[r]![c]! / nb));
  }
  const parts: string[] = [];
  if (shift > tolerance * minSpacing) parts.push(`origin moved by ${fmt(shift)} mm`);
  if (turn > tolerance) parts.push(`axis directions differ (largest cosine change ${fmt(turn)}; orientation ${b.orientation} vs ${a.orientation})`);
  if (parts.length > 0) out.push({ kind: 'affine', message: `affine differs: ${parts.join(', ')}` });
  return out;
}
