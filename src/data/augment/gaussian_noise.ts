/**
 * Additive Gaussian noise (nnU-Net v2: p 0.1, std ~ U(0, 0.1), one noise field shared by all
 * channels). The noise comes from a libtorch Generator seeded with a drawn 32-bit seed, so the
 * parameters stay two numbers and the result is reproducible.
 */
import { Generator, randn } from '../../tensor/index.js';
import type { Random } from '../../util/random.js';
import type { Sample, SampleInfo, SampleTransform } from './types.js';

export interface GaussianNoiseOptions { p?: number; std?: [number, number] }
export interface GaussianNoiseParams { std: number; seed: number }

export class GaussianNoise implements SampleTransform<GaussianNoiseParams> {
  readonly name = 'gaussianNoise';
  readonly p: number;
  readonly std: [number, number];
  constructor(o: GaussianNoiseOptions = {}) { this.p = o.p ?? 0.1; this.std = o.std ?? [0, 0.1]; }

  draw(rng: Random, _info: SampleInfo): GaussianNoiseParams | null {
    if (!rng.bool(this.p)) return null;
    return { std: rng.uniform(this.std[0], this.std[1]), seed: rng.uint32() };
  }

  apply(s: Sample, p: GaussianNoiseParams): Sample {
    const [, , d0, d1, d2] = s.image.shape as [number, number, number, number, number];
    const noise = randn([1, 1, d0, d1, d2], { generator: new Generator(p.seed), device: s.image.device });
    return { image: s.image.add(noise.mul(p.std)), label: s.label };
  }
}
