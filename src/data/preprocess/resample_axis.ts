/**
 * One-axis resampling of a C-order 3D array with scipy.ndimage / skimage.transform.resize semantics
 * (mode 'edge' = scipy 'nearest', align_corners=False): output index j samples input coordinate
 * x = (n / m) * (j + 0.5) - 0.5. Interpolation orders:
 *   0 nearest (scipy rounds floor(x + 0.5)), 1 linear, 3 cubic B-spline (the interpolating spline:
 *   the signal is first turned into B-spline coefficients by the standard recursive prefilter, after
 *   edge-padding by 12 samples as scipy does for mode 'nearest').
 * Separable application of these 1D passes equals scipy's tensor-product spline interpolation.
 * Lines are processed in blocks of neighbouring columns so every inner loop runs over contiguous memory.
 */
import type { Shape3 } from '../../util/triple.js';

export type InterpolationOrder = 0 | 1 | 3;

const SPLINE_PAD = 12;
const POLE = Math.sqrt(3) - 2; // cubic B-spline prefilter pole
const BLOCK = 1024;

interface Kernel { taps: number; idx: Int32Array; w: Float64Array; pad: number }

function clampIndex(i: number, n: number): number { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/** Mirror an index into [0, n) (whole-sample symmetric, the prefilter's boundary). */
function mirrorIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

function makeKernel(n: number, m: number, order: InterpolationOrder): Kernel {
  const scale = n / m;
  if (order === 0) {
    const idx = new Int32Array(m), w = new Float64Array(m).fill(1);
    for (let j = 0; j < m; j++) idx[j] = clampIndex(Math.floor(scale * (j + 0.5) - 0.5 + 0.5), n);
    return { taps: 1, idx, w, pad: 0 };
  }
  if (order === 1) {
    const idx = new Int32Array(2 * m), w = new Float64Array(2 * m);
    for (let j = 0; j < m; j++) {
      const x = scale * (j + 0.5) - 0.5, f = Math.floor(x), t = x - f;
      idx[2 * j] = clampIndex(f, n); w[2 * j] = 1 - t;
      idx[2 * j + 1] = clampIndex(f + 1, n); w[2 * j + 1] = t;
    }
    return { taps: 2, idx, w, pad: 0 };
  }
  const padded = n + 2 * SPLINE_PAD;
  const idx = new Int32Array(4 * m), w = new Float64Array(4 * m);
  for (let j = 0; j < m; j++) {
    const x = scale * (j + 0.5) - 0.5 + SPLINE_PAD, f = Math.floor(x), t = x - f;
    const t2 = t * t, t3 = t2 * t, u = 1 - t;
    const ws = [(u * u * u) / 6, (3 * t3 - 6 * t2 + 4) / 6, (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6];
    for (let k = 0; k < 4; k++) { idx[4 * j + k] = mirrorIndex(f - 1 + k, padded); w[4 * j + k] = ws[k]!; }
  }
  return { taps: 4, idx, w, pad: SPLINE_PAD };
}

/**
 * In place: turn each column of buf (rows 0..N-1, `width` columns, row-major) into cubic B-spline
 * coefficients with mirror boundary conditions (Unser's recursive filter, gain 6).
 */
function splinePrefilterColumns(buf: Float64Array, N: number, width: number): void {
  const z = POLE, gain = (1 - z) * (1 - 1 / z);
  for (let i = 0; i < N * width; i++) buf[i]! *= gain;
  // causal initial value c+(0) = sum_k z^k s(mirror k); the exact one-period formula when the line is
  // short, else the sum truncated where z^k < 1e-17 (the mirrored tail is then below that as well)
  const init = new Float64Array(width);
  const horizon = Math.ceil(Math.log(1e-17) / Math.log(Math.abs(z)));
  if (N > horizon) {
    let zk = 1;
    for (let k = 0; k < horizon; k++, zk *= z) {
      const row = k * width;
      for (let b = 0; b < width; b++) init[b]! += zk * buf[row + b]!;
    }
    for (let b = 0; b < width; b++) buf[b] = init[b]!;
  } else {
    const zN1 = Math.pow(z, N - 1);
    let zk = z, z2k = Math.pow(z, 2 * N - 3); // z^k and z^(2N-2-k) for k = 1
    for (let b = 0; b < width; b++) init[b] = buf[b]! + zN1 * buf[(N - 1) * width + b]!;
    for (let k = 1; k < N - 1; k++, zk *= z, z2k /= z) {
      const f = zk + z2k, row = k * width;
      for (let b = 0; b < width; b++) init[b]! += f * buf[row + b]!;
    }
    const denom = 1 - zN1 * zN1;
    for (let b = 0; b < width; b++) buf[b] = init[b]! / denom;
  }
  for (let k = 1; k < N; k++) {
    const row = k * width, prev = row - width;
    for (let b = 0; b < width; b++) buf[row + b]! += z * buf[prev + b]!;
  }
  const last = (N - 1) * width, c = z / (z * z - 1);
  for (let b = 0; b < width; b++) buf[last + b] = c * (buf[last + b]! + z * buf[last - width + b]!);
  for (let k = N - 2; k >= 0; k--) {
    const row = k * width, next = row + width;
    for (let b = 0; b < width; b++) buf[row + b] = z * (buf[next + b]! - buf[row + b]!);
  }
}

/** Resample `src` (C-order, `shape`) along `axis` to length `newLen`. */
export function resampleAxis(src: Float32Array, shape: Shape3, axis: number, newLen: number, order: InterpolationOrder): { data: Float32Array; shape: Shape3 } {
  const n = shape[axis]!;
  const outShape = [...shape] as Shape3;
  outShape[axis] = newLen;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * newLen * inner);
  if (n === newLen) { out.set(src); return { data: out, shape: outShape }; }
  if (n === 1) { // a single sample: every output equals it, whatever the order
    for (let o = 0; o < outer; o++) for (let j = 0; j < newLen; j++) out.set(src.subarray(o * inner, (o + 1) * inner), (o * newLen + j) * inner);
    return { data: out, shape: outShape };
  }
  const k = makeKernel(n, newLen, order);
  const rows = n + 2 * k.pad;
  const width = Math.min(inner, BLOCK);
  const buf = new Float64Array(rows * width);
  const acc = new Float64Array(width);
  for (let o = 0; o < outer; o++) {
    const srcBase = o * n * inner, outBase = o * newLen * inner;
    for (let c0 = 0; c0 < inner; c0 += width) {
      const wd = Math.min(width, inner - c0);
      for (let r = 0; r < rows; r++) {
        const s = srcBase + clampIndex(r - k.pad, n) * inner + c0;
        for (let b = 0; b < wd; b++) buf[r * width + b] = src[s + b]!;
      }
      if (order === 3) splinePrefilterColumns(buf, rows, width);
      for (let j = 0; j < newLen; j++) {
        acc.fill(0, 0, wd);
        for (let t = 0; t < k.taps; t++) {
          const wt = k.w[j * k.taps + t]!;
          if (wt === 0) continue;
          const row = k.idx[j * k.taps + t]! * width;
          for (let b = 0; b < wd; b++) acc[b]! += wt * buf[row + b]!;
        }
        const d = outBase + j * inner + c0;
        for (let b = 0; b < wd; b++) out[d + b] = acc[b]!;
      }
    }
  }
  return { data: out, shape: outShape };
}
