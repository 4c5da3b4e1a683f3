/** Mirroring (nnU-Net v2: every allowed spatial axis flipped with p 0.5, image and label together). */
import type { Random } from '../../util/random.js';
import type { Sample, SampleInfo, SampleTransform } from './types.js';

export interface MirrorOptions { axes?: number[]; p?: number }
export interface MirrorParams { axes: number[] }

export class Mirror implements SampleTransform<MirrorParams> {
  readonly name = 'mirror';
  readonly axes: number[];
  readonly p: number;
  constructor(o: MirrorOptions = {}) { this.axes = o.axes ?? [0, 1, 2]; this.p = o.p ?? 0.5; }

  draw(rng: Random, _info: SampleInfo): MirrorParams | null {
    const axes = this.axes.filter(() => rng.bool(this.p));
    return axes.length > 0 ? { axes } : null;
  }

  apply(s: Sample, p: MirrorParams): Sample {
    const dims = p.axes.map((a) => a + 2);
    return { image: s.image.flip(dims), label: s.label.flip(dims) };
  }
}
