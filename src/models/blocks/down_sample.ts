/**
 * PSP-Seg's DownSample, C_in -> C_out at half resolution:
 * `LReLU(conv1x1x1 stride 2 (x) + IN(conv3 (LReLU(IN(conv3 stride 2 (x))))))`.
 */
import { type Generator, type Tensor } from '../../tensor/index.js';
import { Conv3d, InstanceNorm3d, Module, chain, onnxChain } from '../../nn/index.js';
import type { OnnxGraphBuilder } from '../../util/onnx_graph.js';
import { type FeatureShape, type ShapedBlock, convShape, featureBytes } from '../shapes.js';
import { leakyRelu, onnxLeaky } from './conv_norm_act.js';

export class DownSample extends Module implements ShapedBlock {
  readonly skip: Conv3d;
  readonly conv1: Conv3d;
  readonly norm1: InstanceNorm3d;
  readonly conv2: Conv3d;
  readonly norm2: InstanceNorm3d;

  constructor(readonly inChannels: number, readonly outChannels: number, o: { normAffine: boolean; generator?: Generator }) {
    super();
    const g = o.generator, norm = { affine: o.normAffine, eps: 1e-5 };
    this.skip = this.registerModule('skip', new Conv3d(inChannels, outChannels, 1, { stride: 2, generator: g }));
    this.conv1 = this.registerModule('conv1', new Conv3d(inChannels, outChannels, 3, { stride: 2, generator: g }));
    this.norm1 = this.registerModule('norm1', new InstanceNorm3d(outChannels, norm));
    this.conv2 = this.registerModule('conv2', new Conv3d(outChannels, outChannels, 3, { generator: g }));
    this.norm2 = this.registerModule('norm2', new InstanceNorm3d(outChannels, norm));
  }

  forward(x: Tensor): Tensor {
    return chain(x, (t) => {
      const residual = chain(t, this.conv1, this.norm1, leakyRelu, this.conv2, this.norm2);
      // Summed into the skip conv's output in place (a conv does not save its output for backward).
      return this.skip.forward(t).add_(residual);
    }, leakyRelu);
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const residual = onnxChain(g, x, name, { conv1: this.conv1, norm1: this.norm1, act1: onnxLeaky, conv2: this.conv2, norm2: this.norm2 });
    const sum = g.node('Add', [this.skip.exportOnnx(g, x, `${name}.skip`), residual], {}, `${name}.add`);
    return onnxLeaky(g, sum, `${name}.act`);
  }

  outputShape(input: FeatureShape): FeatureShape {
    if (input[0] !== this.inChannels) throw new Error(`DownSample(${this.inChannels}->${this.outChannels}): input has ${input[0]} channels`);
    return convShape(this.conv1, input);
  }

  /** conv1 out, IN out, LReLU out, conv2 out (each saved by the next op), the sum (LReLU) and the output. */
  activationBytes(input: FeatureShape, batch: number): number {
    return 6 * featureBytes(this.outputShape(input), batch);
  }
}
