/** PSP-Seg's stage-0 block (encoder and decoder): `x + LReLU(IN(conv3x3x3(x)))`. */
import { type Generator, type Tensor } from '../../tensor/index.js';
import { Conv3d, InstanceNorm3d, Module, chain, onnxChain } from '../../nn/index.js';
import type { OnnxGraphBuilder } from '../../util/onnx_graph.js';
import { type FeatureShape, type ShapedBlock, featureBytes } from '../shapes.js';
import { leakyRelu, onnxLeaky } from './conv_norm_act.js';

export class ConvBlock extends Module implements ShapedBlock {
  readonly conv: Conv3d;
  readonly norm: InstanceNorm3d;

  constructor(readonly channels: number, o: { normAffine: boolean; generator?: Generator }) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(channels, channels, 3, { generator: o.generator }));
    this.norm = this.registerModule('norm', new InstanceNorm3d(channels, { affine: o.normAffine, eps: 1e-5 }));
  }

  forward(x: Tensor): Tensor {
    // In place: leaky_relu's backward needs its input, not its output, so its output is free to reuse.
    return chain(x, this.conv, this.norm, leakyRelu).add_(x);
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    return g.node('Add', [onnxChain(g, x, name, { conv: this.conv, norm: this.norm, act: onnxLeaky }), x], {}, `${name}.add`);
  }

  outputShape(input: FeatureShape): FeatureShape {
    if (input[0] !== this.channels) throw new Error(`ConvBlock(${this.channels}): input has ${input[0]} channels`);
    return input;
  }

  /** conv output (saved by IN), IN output (saved by LReLU), the block output. */
  activationBytes(input: FeatureShape, batch: number): number {
    return 3 * featureBytes(input, batch);
  }
}
