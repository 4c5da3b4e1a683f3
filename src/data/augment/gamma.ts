/**
 * Gamma (nnU-Net v2 runs it twice: p 0.1 on the inverted image, then p 0.3 as is; gamma from
 * BGContrast(0.7, 1.5), each channel its own). The channel is mapped to [0, 1] by its min and range,
 * raised to gamma, mapped back, then shifted and scaled to its original mean and std (retain stats).
 */
import type { Random } from '../../util/random.js';
import { mapChannels } from './channels.js';
import { type Sample, type SampleInfo, type SampleTransform, drawAroundOne } from './types.js';

export interface GammaOptions { p?: number; range?: [number, number]; invert?: boolean; retainStats?: boolean }
export interface GammaParams { gammas: number[]; invert: boolean; retainStats: boolean }

export class Gamma implements SampleTransform<GammaParams> {
  readonly name: string;
  readonly p: number;
  readonly range: [number, number];
  readonly invert: boolean;
  readonly retainStats: boolean;
  constructor(o: GammaOptions = {}) {
    this.invert = o.invert ?? false;
    this.name = this.invert ? 'gammaInverted' : 'gamma';
    this.p = o.p ?? (this.invert ? 0.1 : 0.3);
    this.range = o.range ?? [0.7, 1.5];
    this.retainStats = o.retainStats ?? true;
  }

  draw(rng: Random, info: SampleInfo): GammaParams | null {
    if (!rng.bool(this.p)) return null;
    return { gammas: Array.from({ length: info.channels }, () => drawAroundOne(rng, this.range)), invert: this.invert, retainStats: this.retainStats };
  }

  apply(s: Sample, p: GammaParams): Sample {
    const image = mapChannels(s.image, p.gammas, (ch, g) => {
      let x = p.invert ? ch.neg() : ch;
      const mean = x.mean(), std = x.std();
      const lo = x.min(), range = x.max().sub(lo);
      x = x.sub(lo).div(range.clamp(1e-7)).pow(g).mul(range).add(lo);
      if (p.retainStats) x = x.sub(x.mean()).mul(std.div(x.std().clamp(1e-7))).add(mean);
      return p.invert ? x.neg() : x;
    });
    return { image, label: s.label };
  }
}
