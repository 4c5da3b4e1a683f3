/**
 * nnU-Net's Gaussian importance map for sliding-window prediction (compute_gaussian): a delta at the
 * patch centre (index size // 2 per axis) smoothed with scipy's gaussian_filter (sigma = size * 1/8,
 * kernel truncated at 4 sigma, constant 0 outside), scaled so its maximum is `valueScale` (10), zeros
 * replaced by the smallest non-zero value (a voxel with zero total weight would divide by 0).
 *
 * Smoothing a delta gives the sampled kernel itself, separably: value(i) = prod_a k_a(i_a - c_a) with
 * k(d) = exp(-d^2 / (2 sigma^2)) for |d| <= radius = floor(4 sigma + 0.5), else 0. scipy normalises
 * each 1-D kernel to sum 1; the division by the maximum cancels that, so it is not done here.
 */
import type { Shape3 } from '../util/triple.js';

export const GAUSSIAN_SIGMA_SCALE = 1 / 8;
export const GAUSSIAN_VALUE_SCALE = 10;
/** scipy.ndimage.gaussian_filter's default `truncate`. */
const TRUNCATE = 4;

/** The 1-D factor along one axis, before scaling (the centre value is 1). */
function axisKernel(size: number, sigmaScale: number): Float64Array {
  const sigma = size * sigmaScale;
  const centre = Math.floor(size / 2);
  const radius = Math.floor(TRUNCATE * sigma + 0.5);
  const k = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const d = i - centre;
    // sigma 0 (size 0 cannot happen; tiny sizes can): scipy then leaves the delta unchanged
    k[i] = Math.abs(d) > radius ? 0 : sigma > 0 ? Math.exp((-0.5 * d * d) / (sigma * sigma)) : d === 0 ? 1 : 0;
  }
  return k;
}

/** C-order float32 map of the patch shape. */
export function gaussianImportanceMap(patch: Shape3, sigmaScale = GAUSSIAN_SIGMA_SCALE, valueScale = GAUSSIAN_VALUE_SCALE): Float32Array {
  if (!patch.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`gaussianImportanceMap: invalid patch size ${patch.join('x')}`);
  const [k0, k1, k2] = patch.map((n) => axisKernel(n, sigmaScale)) as [Float64Array, Float64Array, Float64Array];
  const max = Math.max(...k0) * Math.max(...k1) * Math.max(...k2);
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  let i = 0, minNonzero = Infinity;
  for (let a = 0; a < patch[0]; a++) {
    for (let b = 0; b < patch[1]; b++) {
      const ab = k0[a]! * k1[b]!;
      for (let c = 0; c < patch[2]; c++, i++) {
        const v = Math.fround(((ab * k2[c]!) / max) * valueScale);
        out[i] = v;
        if (v > 0 && v < minNonzero) minNonzero = v;
      }
    }
  }
  for (let j = 0; j < out.length; j++) if (out[j] === 0) out[j] = minNonzero;
  return out;
}
