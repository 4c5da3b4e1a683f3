/**
 * Low-resolution simulation (nnU-Net v2: p 0.25; each channel with p 0.5; one zoom ~ U(0.5, 1) for
 * all axes of a channel): nearest-exact downsampling to round(shape * zoom), then trilinear
 * upsampling back (torch has no 3-D cubic interpolation, and nnU-Net uses linear here too).
 */
import { F } from '../../tensor/index.js';
import type { Random } from '../../util/random.js';
import { roundHalfEven } from '../common/round.js';
import { mapChannels } from './channels.js';
import { resizeNearestExact } from './resize_nearest.js';
import { type Sample, type SampleInfo, type SampleTransform, drawPerChannel } from './types.js';

export interface LowResolutionOptions {
  p?: number; pPerChannel?: number; zoom?: [number, number];
  /** Axes kept at full resolution (nnU-Net's dummy 2-D: [0], the thick-slice axis). */
  ignoreAxes?: readonly number[];
}
export interface LowResolutionParams { zooms: (number | null)[] }

export class SimulateLowResolution implements SampleTransform<LowResolutionParams> {
  readonly name = 'lowResolution';
  readonly p: number;
  readonly pPerChannel: number;
  readonly zoom: [number, number];
  readonly ignoreAxes: readonly number[];
  constructor(o: LowResolutionOptions = {}) {
    this.p = o.p ?? 0.25; this.pPerChannel = o.pPerChannel ?? 0.5; this.zoom = o.zoom ?? [0.5, 1]; this.ignoreAxes = o.ignoreAxes ?? [];
  }

  draw(rng: Random, info: SampleInfo): LowResolutionParams | null {
    if (!rng.bool(this.p)) return null;
    return { zooms: drawPerChannel(rng, info.channels, this.pPerChannel, () => rng.uniform(this.zoom[0], this.zoom[1])) };
  }

  apply(s: Sample, p: LowResolutionParams): Sample {
    const spatial = s.image.shape.slice(2);
    const image = mapChannels(s.image, p.zooms, (ch, zoom) => {
      const small = resizeNearestExact(ch, spatial.map((n, a) => (this.ignoreAxes.includes(a) ? n : Math.max(1, roundHalfEven(n * zoom)))));
      return F.interpolate(small, { size: spatial, mode: 'trilinear', alignCorners: false });
    });
    return { image, label: s.label };
  }
}
