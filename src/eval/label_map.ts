/**
 * Label maps for evaluation: a segmentation volume's voxels as integers (Int32Array, x fastest), and
 * the classes evaluated on them. A class is one label value or, for nnU-Net region-based datasets, a
 * region: the union of several label values.
 */
import type { Volume } from '../io/volume.js';
import { EvaluationError } from './evaluation_error.js';

export { EvaluationError } from './evaluation_error.js';

export interface EvalClass {
  /** Key in summary.json, as nnU-Net writes it: '1' for a label, '(1, 2, 3)' for a region. */
  key: string;
  /** Label values that make up the class. */
  values: number[];
  name?: string;
}

export function classKey(values: readonly number[]): string {
  return values.length === 1 ? String(values[0]) : `(${values.join(', ')})`;
}

export function labelClass(values: readonly number[], name?: string): EvalClass {
  return { key: classKey(values), values: [...values], ...(name === undefined ? {} : { name }) };
}

/**
 * The voxels of a single-channel segmentation as integers. Float values within 1e-3 of an integer are
 * rounded (float label files, or scl_slope scaling, hold e.g. 0.99999997 for 1); others are an error
 * naming the file.
 */
export function toLabelMap(volume: Volume, path: string): Int32Array {
  if (volume.channels !== 1) {
    throw new EvaluationError(`${path}: a segmentation must have one channel, this file has ${volume.channels}`);
  }
  const data = volume.data;
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < -2147483648n || v > 2147483647n) throw badValue(path, Number(v));
      out[i] = Number(v);
    }
    return out;
  }
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[i] = isFloat ? Math.round(v) : v;
    if (out[i] !== v && !(Math.abs(out[i]! - v) <= 1e-3)) throw badValue(path, v);
  }
  return out;
}

function badValue(path: string, v: number): EvaluationError {
  return new EvaluationError(`${path}: label values must be integers (in int32 range); found ${v}`);
}

/** The distinct values of a label map, ascending. */
export function presentValues(map: Int32Array): number[] {
  if (map.length === 0) return [];
  let lo = map[0]!, hi = map[0]!;
  for (let i = 1; i < map.length; i++) {
    const v = map[i]!;
    if (v < lo) lo = v; else if (v > hi) hi = v;
  }
  if (hi - lo < 1 << 20) {
    const seen = new Uint8Array(hi - lo + 1);
    for (let i = 0; i < map.length; i++) seen[map[i]! - lo] = 1;
    const out: number[] = [];
    for (let v = 0; v < seen.length; v++) if (seen[v]) out.push(v + lo);
    return out;
  }
  return [...new Set(map)].sort((a, b) => a - b);
}

/** Parses '--labels' text: comma-separated label values; a region joins values with '+' ('1,2,1+2'). */
export function parseLabelList(text: string): EvalClass[] {
  const classes: EvalClass[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const values = item.split('+').map((s) => s.trim());
    if (!values.every((v) => /^-?\d+$/.test(v))) {
      throw new Error(`--labels: '${item}' is not a label value or a region like 1+2 (integers only)`);
    }
    const numbers = values.map(Number);
    if (new Set(numbers).size !== numbers.length) throw new Error(`--labels: region '${item}' repeats a value`);
    const cls = labelClass(numbers);
    if (classes.some((c) => c.key === cls.key)) throw new Error(`--labels: '${item}' is listed twice`);
    classes.push(cls);
  }
  if (classes.length === 0) throw new Error('--labels: no label given');
  return classes;
}
