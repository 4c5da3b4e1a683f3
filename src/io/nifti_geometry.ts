/**
 * NIfTI geometry: the voxel-to-world affine a header describes (sform, else qform, else pixdim
 * scaling, per the NIfTI-1 standard's methods 3, 2 and 1), and the header fields (qform quaternion,
 * sform rows, pixdim) that describe a given affine.
 */
import type { NiftiHeader } from './nifti_header.js';
import { determinant3, nearestOrthonormal } from './orientation.js';

export type Affine = number[][];

/** Voxel sizes from pixdim[1..3], with missing/zero/invalid entries read as 1 (as nibabel does). */
export function headerZooms(h: NiftiHeader): [number, number, number] {
  return [1, 2, 3].map((i) => {
    const p = Math.abs(h.pixdim[i] ?? 1);
    return Number.isFinite(p) && p > 0 ? p : 1;
  }) as [number, number, number];
}

export function affineFromHeader(h: NiftiHeader): Affine {
  if (h.sformCode > 0) return [...h.srow.map((row) => row.slice()), [0, 0, 0, 1]];
  const zooms = headerZooms(h);
  if (h.qformCode > 0) return qformAffine(h, zooms);
  // Method 1 (no orientation information): plain scaling. nibabel instead centres a flipped-x
  // Analyze affine here; we follow the NIfTI standard, as the NIfTI C library and ITK do.
  return [[zooms[0], 0, 0, 0], [0, zooms[1], 0, 0], [0, 0, zooms[2], 0], [0, 0, 0, 1]];
}

function qformAffine(h: NiftiHeader, zooms: [number, number, number]): Affine {
  const [b, c, d] = h.quatern;
  const w2 = 1 - (b * b + c * c + d * d);
  const a = w2 > 0 ? Math.sqrt(w2) : 0; // |(b,c,d)| >= 1 means a 180 degree rotation; normalised below
  const rot = quaternionToMatrix(a, b, c, d);
  const qfac = h.pixdim[0]! < 0 ? -1 : 1;
  const scale = [zooms[0], zooms[1], zooms[2] * qfac];
  return [
    ...[0, 1, 2].map((r) => [rot[r]![0]! * scale[0]!, rot[r]![1]! * scale[1]!, rot[r]![2]! * scale[2]!, h.qoffset[r]!]),
    [0, 0, 0, 1],
  ];
}

function quaternionToMatrix(w: number, x: number, y: number, z: number): number[][] {
  const n = w * w + x * x + y * y + z * z;
  if (n < 1e-12) return [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const s = 2 / n;
  const [X, Y, Z] = [x * s, y * s, z * s];
  return [
    [1 - (y * Y + z * Z), x * Y - w * Z, x * Z + w * Y],
    [x * Y + w * Z, 1 - (x * X + z * Z), y * Z - w * X],
    [x * Z - w * Y, y * Z + w * X, 1 - (x * X + y * Y)],
  ];
}

/** Lengths of the affine's first three columns: the voxel sizes it implies. */
export function affineZooms(affine: Affine): [number, number, number] {
  return [0, 1, 2].map((c) => Math.hypot(affine[0]![c]!, affine[1]![c]!, affine[2]![c]!)) as [number, number, number];
}

export interface QformFields {
  quatern: [number, number, number];
  qoffset: [number, number, number];
  qfac: 1 | -1;
  zooms: [number, number, number];
  /** False when the affine has shears, which a quaternion cannot hold (the qform is then approximate). */
  exact: boolean;
}

/** The qform (quaternion, offset, qfac, voxel sizes) of an affine, as nibabel's set_qform computes it. */
export function qformFromAffine(affine: Affine): QformFields {
  const zooms = affineZooms(affine).map((z) => z || 1) as [number, number, number];
  const r = [0, 1, 2].map((row) => [0, 1, 2].map((c) => affine[row]![c]! / zooms[c]!));
  let qfac: 1 | -1 = 1;
  if (determinant3(r) < 0) {
    qfac = -1;
    for (const row of r) row[2] = -row[2]!;
  }
  const ortho = nearestOrthonormal(r) ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const exact = ortho.every((row, i) => row.every((v, j) => Math.abs(v - r[i]![j]!) < 1e-6));
  return {
    quatern: matrixToQuaternion(ortho),
    qoffset: [affine[0]![3]!, affine[1]![3]!, affine[2]![3]!],
    qfac,
    zooms,
    exact,
  };
}

/** (b, c, d) of the unit quaternion with a >= 0 for a proper rotation matrix (NIfTI C library method). */
function matrixToQuaternion(m: number[][]): [number, number, number] {
  const [r11, r12, r13] = m[0] as [number, number, number];
  const [r21, r22, r23] = m[1] as [number, number, number];
  const [r31, r32, r33] = m[2] as [number, number, number];
  let a = r11 + r22 + r33 + 1;
  let b: number; let c: number; let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = 0.25 * (r32 - r23) / a; c = 0.25 * (r13 - r31) / a; d = 0.25 * (r21 - r12) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd); c = 0.25 * (r12 + r21) / b; d = 0.25 * (r13 + r31) / b; a = 0.25 * (r32 - r23) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd); b = 0.25 * (r12 + r21) / c; d = 0.25 * (r23 + r32) / c; a = 0.25 * (r13 - r31) / c;
    } else {
      d = 0.5 * Math.sqrt(zd); b = 0.25 * (r13 + r31) / d; c = 0.25 * (r23 + r32) / d; a = 0.25 * (r21 - r12) / d;
    }
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return [b, c, d];
}

/**
 * Problems of a header's geometry that make positions or voxel sizes unknown: a zero or non-finite
 * pixdim (readers silently take 1 mm), and NaN/Inf or a zero axis in the transform the affine comes
 * from (sform, else qform). Each is one sentence naming the field.
 */
export function headerGeometryProblems(h: NiftiHeader): string[] {
  const out: string[] = [];
  const spatial = Math.min(3, Math.max(1, h.dim[0] ?? 3));
  for (let i = 1; i <= spatial; i++) {
    const p = h.pixdim[i];
    if (p === undefined || !Number.isFinite(p) || p === 0) {
      out.push(`pixdim[${i}] (voxel size along ${'xyz'[i - 1]}) is ${p}: the voxel size is unknown (readers take 1 mm)`);
    }
  }
  const finite = (v: readonly number[]): boolean => v.every(Number.isFinite);
  if (h.sformCode > 0) {
    if (!h.srow.every((row) => finite(row.slice(0, 4)))) out.push(`the sform (srow_x/y/z) holds NaN or infinite values: voxel positions are unknown`);
    else if (affineZooms([...h.srow, [0, 0, 0, 1]]).some((z) => z === 0)) out.push('the sform is singular (a voxel axis has zero length)');
  } else if (h.qformCode > 0 && !(finite(h.quatern) && finite(h.qoffset))) {
    out.push('the qform (quatern_b/c/d, qoffset_x/y/z) holds NaN or infinite values: voxel positions are unknown');
  }
  return out;
}
