/** Multiplicative brightness (nnU-Net v2: p 0.15, each channel its own factor from BGContrast(0.75, 1.25)). */
import { tensor } from '../../tensor/index.js';
import type { Random } from '../../util/random.js';
import { type Sample, type SampleInfo, type SampleTransform, drawAroundOne } from './types.js';

export interface BrightnessOptions { p?: number; range?: [number, number] }
export interface BrightnessParams { factors: number[] }

export class MultiplicativeBrightness implements SampleTransform<BrightnessParams> {
  readonly name = 'brightness';
  readonly p: number;
  readonly range: [number, number];
  constructor(o: BrightnessOptions = {}) { this.p = o.p ?? 0.15; this.range = o.range ?? [0.75, 1.25]; }

  draw(rng: Random, info: SampleInfo): BrightnessParams | null {
    if (!rng.bool(this.p)) return null;
    return { factors: Array.from({ length: info.channels }, () => drawAroundOne(rng, this.range)) };
  }

  apply(s: Sample, p: BrightnessParams): Sample {
    const f = tensor(Float32Array.from(p.factors), [1, p.factors.length, 1, 1, 1], { device: s.image.device });
    return { image: s.image.mul(f), label: s.label };
  }
}
