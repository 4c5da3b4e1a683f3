/**
 * PSP-Seg's efficient block EB(k): conv 1x1x1 Cin -> h, IN, LReLU, conv k (padding k//2) h -> Cout,
 * IN, with h = floor(Cin * ratio); and its learnable PRM weight `scale` (one number, initialised
 * to 0). `forward` returns the block's weighted contribution `scale * EB(x)`.
 */
import { type Generator, type Tensor, zeros } from '../../tensor/index.js';
import { Conv3d, InstanceNorm3d, Module, chain, onnxChain } from '../../nn/index.js';
import type { OnnxGraphBuilder } from '../../util/onnx_graph.js';
import { type FeatureShape, type ShapedBlock, type Triple, featureBytes, withChannels } from '../shapes.js';
import { leakyRelu, onnxLeaky } from './conv_norm_act.js';

export class EfficientBlock extends Module implements ShapedBlock {
  readonly hidden: number;
  readonly reduce: Conv3d;
  readonly norm1: InstanceNorm3d;
  readonly conv: Conv3d;
  readonly norm2: InstanceNorm3d;
  readonly scale: Tensor;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: Triple, readonly ratio: number,
    o: { normAffine: boolean; generator?: Generator }) {
    super();
    if (kernel.some((k) => k % 2 !== 1)) throw new Error(`EfficientBlock: kernel [${kernel}] must be odd on every axis (same-size padding)`);
    this.hidden = Math.floor(inChannels * ratio);
    if (this.hidden < 1) throw new Error(`EfficientBlock: floor(${inChannels} * ${ratio}) = ${this.hidden} hidden channels; the ratio is too small`);
    const norm = { affine: o.normAffine, eps: 1e-5 };
    this.reduce = this.registerModule('reduce', new Conv3d(inChannels, this.hidden, 1, { generator: o.generator }));
    this.norm1 = this.registerModule('norm1', new InstanceNorm3d(this.hidden, norm));
    this.conv = this.registerModule('conv', new Conv3d(this.hidden, outChannels, kernel, { generator: o.generator }));
    this.norm2 = this.registerModule('norm2', new InstanceNorm3d(outChannels, norm));
    this.scale = this.registerParameter('scale', zeros([1]));
  }

  /** `scale * EB(x)`: a multiplication by the one-element parameter, nothing else. */
  forward(x: Tensor): Tensor {
    return chain(x, (t) => this.branch(t), (e) => e.mul(this.scale));
  }

  /** EB(x) without the PRM weight. */
  branch(x: Tensor): Tensor {
    return chain(x, this.reduce, this.norm1, leakyRelu, this.conv, this.norm2);
  }

  /** `scale * EB(x)`, the scale a one-element weight. */
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const branch = onnxChain(g, x, name, { reduce: this.reduce, norm1: this.norm1, act: onnxLeaky, conv: this.conv, norm2: this.norm2 });
    return g.node('Mul', [branch, this.onnxWeight(g, name, 'scale')], {}, `${name}.weighted`);
  }

  outputShape(input: FeatureShape): FeatureShape {
    if (input[0] !== this.inChannels) throw new Error(`EfficientBlock(${this.inChannels}): input has ${input[0]} channels`);
    return withChannels(input, this.outChannels);
  }

  /**
   * Kept for backward: the 1x1x1 conv output (saved by IN), the IN output (LReLU), the LReLU output
   * (conv k), the conv k output (IN) and EB(x) (saved by the multiplication with `scale`): 3h + 2Cout
   * channels. The weighted result is summed into the PRM output, counted there.
   */
  activationBytes(input: FeatureShape, batch: number): number {
    return featureBytes(withChannels(input, 3 * this.hidden + 2 * this.outChannels), batch);
  }
}
