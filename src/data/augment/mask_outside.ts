/**
 * Zero the image outside the body (label < 0: outside-body or padding, common/labels.ts) in the channels that were normalised inside the
 * non-zero mask only (nnU-Net v2 MaskImageTransform, added when any channel has use_mask_for_norm):
 * after the intensity transforms those voxels no longer hold the 0 that normalisation left there.
 */
import { cat, where } from '../../tensor/index.js';
import type { Random } from '../../util/random.js';
import type { Sample, SampleInfo, SampleTransform } from './types.js';

export interface MaskOutsideParams { channels: number[] }

export class MaskOutside implements SampleTransform<MaskOutsideParams> {
  readonly name = 'maskOutside';
  constructor(readonly channels: readonly number[]) {}

  /** Deterministic: always the configured channels (nothing is drawn). */
  draw(_rng: Random, info: SampleInfo): MaskOutsideParams | null {
    const channels = this.channels.filter((c) => c < info.channels);
    return channels.length > 0 ? { channels } : null;
  }

  apply(s: Sample, p: MaskOutsideParams): Sample {
    const outside = s.label.lt(0); // outside the body or padding (common/labels.ts)
    const parts = Array.from({ length: s.image.shape[1]! }, (_, c) => {
      const ch = s.image.narrow(1, c, 1);
      return p.channels.includes(c) ? where(outside, 0, ch) : ch;
    });
    return { image: cat(parts, 1), label: s.label };
  }
}
