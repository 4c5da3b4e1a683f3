/** Voxel scans used by dataset checks: non-finite counts, value ranges, label value histograms. */
import type { Volume } from '../../io/volume.js';

export interface IntensityScan { nonFinite: number; min: number; max: number }

/** NaN/Inf count and the finite range of an image's voxels. */
export function scanIntensities(data: Volume['data']): IntensityScan {
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  if (data instanceof BigInt64Array) {
    for (const v of data) { const x = Number(v); if (x < min) min = x; if (x > max) max = x; }
    return { nonFinite, min, max };
  }
  const checkFinite = data instanceof Float32Array || data instanceof Float64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (checkFinite && !Number.isFinite(v)) { nonFinite++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { nonFinite, min, max };
}

export interface LabelScan {
  /** Voxel count per integer label value. */
  counts: Map<number, number>;
  nonInteger: number;
  /** Up to 5 distinct non-integer values, for the message. */
  nonIntegerExamples: number[];
  nonFinite: number;
}

/** Histogram of label values. Labels come in long runs, so consecutive equal values are counted together. */
export function scanLabelValues(data: Volume['data']): LabelScan {
  const counts = new Map<number, number>();
  let nonInteger = 0;
  let nonFinite = 0;
  if (data instanceof Uint8Array) {
    const hist = new Float64Array(256);
    for (let i = 0; i < data.length; i++) hist[data[i]!]!++;
    hist.forEach((n, v) => { if (n > 0) counts.set(v, n); });
    return { counts, nonInteger, nonIntegerExamples: [], nonFinite };
  }
  const nonIntegerExamples: number[] = [];
  const get: (i: number) => number = data instanceof BigInt64Array ? (i) => Number(data[i]) : (i) => data[i] as number;
  let run = NaN;
  let runLength = 0;
  const flush = (): void => { if (runLength > 0) counts.set(run, (counts.get(run) ?? 0) + runLength); };
  for (let i = 0; i < data.length; i++) {
    const v = get(i);
    if (v === run) { runLength++; continue; }
    if (!Number.isFinite(v)) { nonFinite++; continue; }
    if (!Number.isInteger(v)) {
      nonInteger++;
      if (nonIntegerExamples.length < 5 && !nonIntegerExamples.includes(v)) nonIntegerExamples.push(v);
      continue;
    }
    flush();
    run = v;
    runLength = 1;
  }
  flush();
  return { counts, nonInteger, nonIntegerExamples, nonFinite };
}
