/**
 * The TR loss' fill value: a percentile (0.5 by default) of the foreground (label > 0) intensities of
 * the normalised training images, per channel, over every foreground voxel of every case: numpy's
 * `percentile(values, q)` with its default linear interpolation. Exact, with memory bounded by
 * histogram refinement (a few passes over the cases) instead of a copy of all foreground values.
 */

/** One normalised case: channels back to back ([C, ...spatial]); `shape[0]` is the channel count. */
export interface ForegroundCase {
  image: Float32Array;
  label: ArrayLike<number>;
  shape: readonly number[];
}

/** Histogram bins per pass, and the bin size up to which a bin's values are collected and sorted. */
export interface PercentileSearch { bins?: number; collectLimit?: number }
const DEFAULT_SEARCH: Required<PercentileSearch> = { bins: 4096, collectLimit: 1 << 20 };

function channelViews(cases: readonly ForegroundCase[], ch: number): { values: Float32Array; label: ArrayLike<number> }[] {
  return cases.map((c, k) => {
    const n = c.label.length;
    if (c.image.length !== c.shape[0]! * n)
      throw new Error(`foregroundPercentile: case ${k}: image has ${c.image.length} values, shape [${c.shape}] with ${n} label voxels needs ${c.shape[0]! * n}`);
    if (ch >= c.shape[0]!) throw new Error(`foregroundPercentile: case ${k} has ${c.shape[0]} channels, channel ${ch} requested`);
    return { values: c.image.subarray(ch * n, (ch + 1) * n), label: c.label };
  });
}

/** The value of 0-based rank `rank` among the foreground values (sorted ascending). */
function valueAtRank(views: ReturnType<typeof channelViews>, rank: number, min: number, max: number, search: Required<PercentileSearch>): number {
  const bins = search.bins;
  let lo = min, hi = max, below = 0; // every candidate lies in [lo, hi]; `below` values lie under lo
  for (;;) {
    if (lo === hi) return lo;
    const width = hi - lo;
    const bin = (v: number) => Math.min(bins - 1, Math.floor(((v - lo) / width) * bins));
    const counts = new Float64Array(bins);
    for (const { values, label } of views)
      for (let i = 0; i < values.length; i++) if (label[i]! > 0) { const v = values[i]!; if (v >= lo && v <= hi) counts[bin(v)]!++; }
    let j = 0, acc = below;
    while (acc + counts[j]! <= rank) acc += counts[j++]!;
    if (counts[j]! <= search.collectLimit) {
      const inBin = new Float32Array(counts[j]!);
      let n = 0;
      for (const { values, label } of views)
        for (let i = 0; i < values.length; i++) if (label[i]! > 0) { const v = values[i]!; if (v >= lo && v <= hi && bin(v) === j) inBin[n++] = v; }
      inBin.sort();
      return inBin[rank - acc]!;
    }
    // Too many values in one bin: its values form an interval; narrow to their exact min and max.
    let nlo = Infinity, nhi = -Infinity;
    for (const { values, label } of views)
      for (let i = 0; i < values.length; i++) if (label[i]! > 0) {
        const v = values[i]!;
        if (v >= lo && v <= hi && bin(v) === j) { if (v < nlo) nlo = v; if (v > nhi) nhi = v; }
      }
    [lo, hi, below] = [nlo, nhi, acc];
  }
}

/** numpy's linear interpolation between neighbours (its _lerp, including the t >= 0.5 form). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * Percentile `q` (0..100) of the foreground intensities of each channel, over all cases. NaN for a
 * channel when no case has a foreground voxel.
 */
export function foregroundPercentile(cases: readonly ForegroundCase[], q = 0.5, search: PercentileSearch = {}): number[] {
  const s = { ...DEFAULT_SEARCH, ...search };
  if (!(Number.isInteger(s.bins) && s.bins >= 2 && s.collectLimit >= 1)) throw new RangeError('foregroundPercentile: bins must be an integer >= 2, collectLimit >= 1');
  if (!(q >= 0 && q <= 100)) throw new RangeError(`foregroundPercentile: q must be in [0, 100], got ${q}`);
  if (cases.length === 0) throw new Error('foregroundPercentile: no cases');
  const channels = cases[0]!.shape[0]!;
  return Array.from({ length: channels }, (_, ch) => {
    const views = channelViews(cases, ch);
    let n = 0, min = Infinity, max = -Infinity;
    for (const { values, label } of views)
      for (let i = 0; i < values.length; i++) if (label[i]! > 0) {
        const v = values[i]!;
        if (Number.isNaN(v)) throw new Error(`foregroundPercentile: channel ${ch} has NaN intensities`);
        n++; if (v < min) min = v; if (v > max) max = v;
      }
    if (n === 0) return NaN;
    const h = (q / 100) * (n - 1), below = Math.floor(h), t = h - below;
    const a = valueAtRank(views, below, min, max, s);
    if (t === 0 || below + 1 >= n) return a;
    return lerp(a, valueAtRank(views, below + 1, min, max, s), t);
  });
}
