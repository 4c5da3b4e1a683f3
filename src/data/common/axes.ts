/**
 * Axis names for what users read and edit. pspseg's user-facing convention: a triple is labelled by
 * the image's own voxel axes x, y, z, as stored in its NIfTI file (dim[1], dim[2], dim[3]), and is
 * written in that order, `(x, y, z)`. Inside, arrays are C order ([z, y, x] for a plain file: see
 * triple.ts), permuted for the network by a plan's transposeForward; such arrays never go out
 * unlabelled: they are stored as {"x": .., "y": .., "z": ..} objects and printed with "(x, y, z)".
 */
import type { Axes3, Triple } from '../../util/triple.js';

export type AxisName = 'x' | 'y' | 'z';
export type LabelledTriple = Record<AxisName, number>;

/** C-order array axis c is NIfTI axis 2 - c: [z, y, x]. */
const C_ORDER_NAMES: readonly AxisName[] = ['z', 'y', 'x'];
const IDENTITY: Axes3 = [0, 1, 2];

/** The NIfTI axis name of each array axis, for arrays permuted by `transposeForward` (identity: plain C order). */
export function arrayAxisNames(transposeForward: Axes3 = IDENTITY): [AxisName, AxisName, AxisName] {
  return transposeForward.map((c) => C_ORDER_NAMES[c]!) as [AxisName, AxisName, AxisName];
}

/** The transposeForward whose array axes are named `names` (e.g. ['z', 'x', 'y']); undefined when not a permutation of x, y, z. */
export function transposeFromAxisNames(names: readonly unknown[]): Axes3 | undefined {
  if (names.length !== 3) return undefined;
  const t = names.map((n) => C_ORDER_NAMES.indexOf(n as AxisName));
  return t.every((c) => c >= 0) && new Set(t).size === 3 ? (t as Axes3) : undefined;
}

/** An array-order triple (permuted by transposeForward) as {x, y, z}. */
export function labelTriple(values: readonly number[], transposeForward: Axes3 = IDENTITY): LabelledTriple {
  const out = {} as LabelledTriple;
  arrayAxisNames(transposeForward).forEach((name, i) => { out[name] = values[i]!; });
  return { x: out.x, y: out.y, z: out.z };
}

/** {x, y, z} back to array order; undefined entries stay undefined (the schema names them). */
export function unlabelTriple(t: Partial<Record<AxisName, unknown>>, transposeForward: Axes3 = IDENTITY): unknown[] {
  return arrayAxisNames(transposeForward).map((name) => t[name]);
}

/** Array-order values in x, y, z order. */
export function xyzOrder<T>(values: readonly T[], transposeForward: Axes3 = IDENTITY): Triple<T> {
  const names = arrayAxisNames(transposeForward);
  return (['x', 'y', 'z'] as const).map((n) => values[names.indexOf(n)]!) as Triple<T>;
}

/** Values given per image axis in x, y, z order, in array order (the inverse of xyzOrder). */
export function fromXYZ<T>(xyz: readonly T[], transposeForward: Axes3 = IDENTITY): Triple<T> {
  return arrayAxisNames(transposeForward).map((n) => xyz[['x', 'y', 'z'].indexOf(n)]!) as Triple<T>;
}

/** "48 x 64 x 48 (x, y, z)" for array-order values. */
export function formatXYZ(values: readonly number[], transposeForward: Axes3 = IDENTITY, unit = ''): string {
  return `${xyzOrder(values, transposeForward).map((v) => +v.toPrecision(4)).join(' x ')}${unit ? ` ${unit}` : ''} (x, y, z)`;
}

export function isLabelledTriple(v: unknown): v is Partial<Record<AxisName, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && ['x', 'y', 'z'].some((k) => k in (v as object));
}
