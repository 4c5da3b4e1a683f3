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

/** More distinct values than this are not counted one by one (the message then says "more than"). */
const DISTINCT_CAP = 65536;

/**
 * Why a segmentation file is clearly not a label map (typically an image passed in its place), or
 * null. A label map has one channel and whole class numbers, a few of them (those dataset.json
 * declares, when it is known), in uniform regions. Integer-valued float files pass: BraTS labels are
 * float32, spinal-cord levels float64. `declared`: the dataset's label values (background included).
 */
export function notALabelMap(volume: Volume, declared: readonly number[] | null): string | null {
  if (volume.channels !== 1) return `has ${volume.channels} channels where a label map has one`;
  const data = volume.data;
  const n = data.length;
  const values = new Set<number>();
  let nonFinite = 0, nonInteger = 0, sameAsPrevious = 0, lo = Infinity, hi = -Infinity;
  const examples: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]!);
    if (!Number.isFinite(v)) { nonFinite++; continue; }
    const r = Math.round(v);
    if (Math.abs(v - r) > 1e-3) { nonInteger++; if (examples.length < 3) examples.push(+v.toPrecision(6)); }
    if (values.size < DISTINCT_CAP) values.add(r);
    if (r < lo) lo = r;
    if (r > hi) hi = r;
    if (i > 0 && data[i] === data[i - 1]) sameAsPrevious++; // neighbours along x
  }
  const count = values.size >= DISTINCT_CAP ? `more than ${DISTINCT_CAP.toLocaleString('en-US')}` : values.size.toLocaleString('en-US');
  if (nonFinite) return `holds ${nonFinite.toLocaleString('en-US')} NaN or infinite voxel(s)`;
  if (nonInteger) return `holds non-integer values in ${nonInteger.toLocaleString('en-US')} voxel(s) (e.g. ${examples.join(', ')}) where a label map holds whole class numbers`;
  const range = `${lo} to ${hi}`;
  if (declared) {
    const known = new Set(declared);
    const undeclared = [...values].filter((v) => !known.has(v)).length;
    // One stray value is a wrong label, for the metrics to show; dozens are not labels at all.
    if (undeclared > Math.max(10, declared.length)) {
      return `holds ${count} distinct values (${range}) where dataset.json declares ${declared.length} labels (${[...declared].sort((a, b) => a - b).join(', ')})`;
    }
    return null;
  }
  // Without declared labels: many values, or values that change from voxel to voxel as an image's do.
  const changing = n > 1 ? 1 - sameAsPrevious / (n - 1) : 0;
  if (values.size > 200 || (values.size > 16 && changing > 0.5)) {
    return `holds ${count} distinct values (${range})${changing > 0.5 ? ` that change between neighbouring voxels in ${Math.round(100 * changing)}% of places` : ''}, where a label map holds a few classes in uniform regions`;
  }
  return null;
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
