/**
 * Intensity normalisation schemes (nnU-Net v2 default_normalization_schemes):
 * - 'CT': clip to the dataset's foreground [0.5, 99.5] percentiles, then z-score with the dataset's
 *   foreground mean and std (all from the fingerprint), so every CT case shares one intensity scale.
 * - 'zscore': per image mean/std; with useMask only over the mask (voxels with label >= 0 after the
 *   crop, i.e. inside the filled non-zero mask or labelled), voxels outside keep their value (0).
 * - 'none': values unchanged.
 */
import type { IntensityStats } from './stats.js';
import { meanStd } from './stats.js';

export type NormalizationScheme = 'CT' | 'zscore' | 'none';

export const NORMALIZATION_SCHEMES: readonly NormalizationScheme[] = ['CT', 'zscore', 'none'];

/** nnU-Net: the dataset's 'CT' channel gets CT normalisation, every other channel z-score. */
export function schemeForChannel(channelName: string): NormalizationScheme {
  return channelName.trim().toLowerCase() === 'ct' ? 'CT' : 'zscore';
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
  for (let i = 0; i < label.length; i++) m[i] = label[i]! >= 0 ? 1 : 0;
  return m;
}
