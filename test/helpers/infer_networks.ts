/** Small networks with known outputs for the prediction tests (NetworkOutput-shaped: { logits: [full resolution] }). */
import { Conv3d, Module } from '../../src/nn/index.js';
import { type Tensor, cat, full, noGrad, tensor, tidy } from '../../src/tensor/index.js';

type Out = { logits: Tensor[] };

/** Two classes: logits [t - x_c, x_c - t], so the argmax is "x_c > t". The threshold is a parameter (loaded from checkpoints). */
export class ThresholdNet extends Module<[Tensor], Out> {
  constructor(readonly channel: number, t = 0) {
    super();
    this.registerParameter('t', full([1], t));
  }
  forward(x: Tensor): Out {
    const d = x.narrow(1, this.channel, 1).sub(this.param('t'));
    return { logits: [cat([d.neg(), d], 1)] };
  }
}

/** Two classes: every voxel of a window gets [m, -m], m the mean of the window's first channel. */
export class WindowMeanNet extends Module<[Tensor], Out> {
  forward(x: Tensor): Out {
    const m = x.narrow(1, 0, 1).mean([2, 3, 4], true).expand([x.shape[0]!, 1, ...x.shape.slice(2)]);
    return { logits: [cat([m, m.neg()], 1)] };
  }
}

/** One 3x3x3 convolution, 1 -> 2 channels, with a given 27-value kernel for channel 0 (channel 1 = its negative). */
export class FixedConvNet extends Module<[Tensor], Out> {
  readonly conv: Conv3d;
  constructor(kernel: number[]) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(1, 2, 3, { bias: false }));
    noGrad(() => tidy(() => {
      const k = tensor(kernel, [1, 1, 3, 3, 3]);
      this.conv.stateDict().get('weight')!.copy_(cat([k, k.neg()], 0));
    }));
  }
  forward(x: Tensor): Out { return { logits: [this.conv.forward(x)] }; }
}
