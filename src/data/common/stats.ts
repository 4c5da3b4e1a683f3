/**
 * Statistics (numpy-compatible percentiles, median, mean and std) of plain values or of weighted
 * samples. In a weighted sample values[i] occurs counts[i] times: the compact form of a sample drawn
 * with replacement (nnU-Net draws 10e7 / num_cases foreground voxels per case and channel; a case
 * with few foreground voxels would repeat each one many times). Percentiles follow numpy's default
 * 'linear' method on the expanded sample, so results equal numpy's on the same draws.
 */
export interface IntensityStats {
  mean: number;
  std: number;
  median: number;
  min: number;
  max: number;
  percentile_00_5: number;
  percentile_99_5: number;
}

export interface WeightedSample { values: Float32Array; counts: Float64Array | Uint32Array }

/** Concatenate several weighted samples into one. */
export function concatSamples(parts: readonly WeightedSample[]): WeightedSample {
  const n = parts.reduce((s, p) => s + p.values.length, 0);
  const values = new Float32Array(n), counts = new Float64Array(n);
  let o = 0;
  for (const p of parts) { values.set(p.values, o); counts.set(p.counts, o); o += p.values.length; }
  return { values, counts };
}

/** Sorted distinct values with summed counts (the cumulative-count form percentiles need). */
function sortedWithCounts(s: WeightedSample): { values: Float32Array; counts: Float64Array } {
  const sorted = Float32Array.from(s.values).sort();
  const counts = new Float64Array(sorted.length);
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    let lo = 0, hi = sorted.length; // first index with sorted[idx] >= v
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (sorted[mid]! < v) lo = mid + 1; else hi = mid; }
    counts[lo]! += s.counts[i]!;
  }
  return { values: sorted, counts };
}

/** numpy.percentile(expanded, qs) with the default linear interpolation; NaN for an empty sample. */
export function weightedPercentiles(s: WeightedSample, qs: readonly number[]): number[] {
  const { values, counts } = sortedWithCounts(s);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return qs.map(() => NaN);
  // value at 0-based rank r of the expanded sorted sample
  const cum = new Float64Array(counts.length);
  let acc = 0;
  for (let i = 0; i < counts.length; i++) { acc += counts[i]!; cum[i] = acc; }
  const at = (r: number): number => {
    let lo = 0, hi = cum.length - 1; // first index with cum > r
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (cum[mid]! > r) hi = mid; else lo = mid + 1; }
    return values[lo]!;
  };
  return qs.map((q) => {
    const h = ((total - 1) * q) / 100, lo = Math.floor(h), frac = h - lo;
    const a = at(lo);
    return frac === 0 ? a : a + frac * (at(Math.min(lo + 1, total - 1)) - a);
  });
}

export function weightedStats(s: WeightedSample): IntensityStats {
  let n = 0, sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < s.values.length; i++) {
    const c = s.counts[i]!;
    if (c === 0) continue;
    const v = s.values[i]!;
    n += c; sum += c * v;
    if (v < min) min = v; if (v > max) max = v;
  }
  if (n === 0) return { mean: NaN, std: NaN, median: NaN, min: NaN, max: NaN, percentile_00_5: NaN, percentile_99_5: NaN };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < s.values.length; i++) { const d = s.values[i]! - mean; ss += s.counts[i]! * d * d; }
  const [p005, median, p995] = weightedPercentiles(s, [0.5, 50, 99.5]);
  return { mean, std: Math.sqrt(ss / n), median: median!, min, max, percentile_00_5: p005!, percentile_99_5: p995! };
}

/** Mean and population std (numpy's default ddof=0) of the values where mask is set (all when no mask). */
export function meanStd(data: ArrayLike<number>, mask?: ArrayLike<number>): { mean: number; std: number; n: number } {
  let n = 0, sum = 0;
  for (let i = 0; i < data.length; i++) if (!mask || mask[i]) { sum += data[i]!; n++; }
  if (n === 0) return { mean: 0, std: 0, n };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < data.length; i++) if (!mask || mask[i]) { const d = data[i]! - mean; ss += d * d; }
  return { mean, std: Math.sqrt(ss / n), n };
}

/** numpy.percentile (linear) of plain numbers; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = ((s.length - 1) * q) / 100, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo]! + (h - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
}

/** The middle value (mean of the two middle ones for an even count); NaN when empty (numpy's median). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
