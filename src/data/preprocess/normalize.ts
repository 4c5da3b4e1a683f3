/**
 * Intensity normalisation schemes (nnU-Net v2 default_normalization_schemes):
 * - 'CT': clip to the dataset's foreground [0.5, 99.5] percentiles, then z-score with the dataset's
 *   foreground mean and std (all from the fingerprint), so every CT case shares one intensity scale.
 * - 'zscore': per image mean/std; with useMask only over the mask (voxels with label >= 0 after the
 *   crop, i.e. inside the filled non-zero mask or labelled), voxels outside keep their value (0).
 * - 'none': values unchanged.
 * - 'rescale01': per image (x - min) / (max - min); 'rgb01': x / 255 clipped to [0, 1].
 */
import type { IntensityStats } from '../common/stats.js';
import { meanStd } from '../common/stats.js';

export type NormalizationScheme = 'CT' | 'zscore' | 'none' | 'rescale01' | 'rgb01';

export const NORMALIZATION_SCHEMES: readonly NormalizationScheme[] = ['CT', 'zscore', 'none', 'rescale01', 'rgb01'];

/**
 * nnU-Net's channel-name rule (case-insensitive): 'CT' -> CT, 'noNorm' -> none, 'rescale_to_0_1' ->
 * per-image min-max to [0, 1], 'rgb_to_0_1' -> divide by 255; every other name -> z-score.
 */
export function schemeForChannel(channelName: string): NormalizationScheme {
  switch (channelName.trim().toLowerCase()) {
    case 'ct': return 'CT';
    case 'nonorm': return 'none';
    case 'rescale_to_0_1': return 'rescale01';
    case 'rgb_to_0_1': return 'rgb01';
    default: return 'zscore';
  }
}

/**
 * nnU-Net's determine_use_mask_for_norm: the mask is used only when cropping to non-zero shrank the
 * median case to less than 3/4 of its size, and only by schemes that leave voxels outside the mask at
 * zero (z-score; not CT, not none).
 */
export function useMaskForNorm(scheme: NormalizationScheme, medianRelativeSizeAfterCropping: number): boolean {
  return scheme === 'zscore' && medianRelativeSizeAfterCropping < 3 / 4;
}

export interface ChannelNormalization {
  scheme: NormalizationScheme;
  useMask: boolean;
  /** Dataset foreground statistics of this channel (required for 'CT'). */
  intensity?: IntensityStats;
}

const MIN_STD = 1e-8;

/** Normalise one channel in place. `normMask` (1 = use) is required when useMask is set. */
export function normalizeChannel(image: Float32Array, norm: ChannelNormalization, normMask?: ArrayLike<number>): void {
  switch (norm.scheme) {
    case 'none':
      return;
    case 'rescale01': {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < image.length; i++) { const v = image[i]!; if (v < lo) lo = v; if (v > hi) hi = v; }
      const range = Math.max(hi - lo, MIN_STD);
      for (let i = 0; i < image.length; i++) image[i] = (image[i]! - lo) / range;
      return;
    }
    case 'rgb01':
      for (let i = 0; i < image.length; i++) image[i] = Math.min(1, Math.max(0, image[i]! / 255));
      return;
    case 'CT': {
      const p = norm.intensity;
      if (!p) throw new Error('CT normalisation needs the dataset foreground intensity statistics');
      const lo = p.percentile_00_5, hi = p.percentile_99_5, mean = p.mean, std = Math.max(p.std, MIN_STD);
      for (let i = 0; i < image.length; i++) {
        const v = image[i]!;
        image[i] = ((v < lo ? lo : v > hi ? hi : v) - mean) / std;
      }
      return;
    }
    case 'zscore': {
      if (norm.useMask) {
        if (!normMask) throw new Error('z-score with useMask needs the normalisation mask');
        const { mean, std } = meanStd(image, normMask);
        const s = Math.max(std, MIN_STD);
        for (let i = 0; i < image.length; i++) if (normMask[i]) image[i] = (image[i]! - mean) / s;
      } else {
        const { mean, std } = meanStd(image);
        const s = Math.max(std, MIN_STD);
        for (let i = 0; i < image.length; i++) image[i] = (image[i]! - mean) / s;
      }
      return;
    }
  }
}

/** The mask nnU-Net normalises over: seg >= 0 (label present) or the cropped non-zero mask (no label). */
export function normalizationMask(mask: Uint8Array, label?: Int8Array): Uint8Array {
  if (!label) return mask;
  const m = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) m[i] = label[i]! >= 0 ? 1 : 0; // not OUTSIDE_BODY
  return m;
}
