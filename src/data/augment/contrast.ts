/**
 * Contrast (nnU-Net v2: p 0.15, each channel its own factor from BGContrast(0.75, 1.25)): scale the
 * deviation from the channel mean, then clip to the channel's original [min, max] (preserve range).
 */
import type { Random } from '../../util/random.js';
import { mapChannels } from './channels.js';
import { type Sample, type SampleInfo, type SampleTransform, drawAroundOne } from './types.js';

export interface ContrastOptions { p?: number; range?: [number, number] }
export interface ContrastParams { factors: number[] }

export class Contrast implements SampleTransform<ContrastParams> {
  readonly name = 'contrast';
  readonly p: number;
  readonly range: [number, number];
  constructor(o: ContrastOptions = {}) { this.p = o.p ?? 0.15; this.range = o.range ?? [0.75, 1.25]; }

  draw(rng: Random, info: SampleInfo): ContrastParams | null {
    if (!rng.bool(this.p)) return null;
    return { factors: Array.from({ length: info.channels }, () => drawAroundOne(rng, this.range)) };
  }

  apply(s: Sample, p: ContrastParams): Sample {
    const image = mapChannels(s.image, p.factors, (ch, f) => {
      const mean = ch.mean(), lo = ch.min(), hi = ch.max();
      return ch.sub(mean).mul(f).add(mean).maximum(lo).minimum(hi);
    });
    return { image, label: s.label };
  }
}
