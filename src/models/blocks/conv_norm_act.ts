/**
 * nnU-Net's conv blocks (dynamic-network-architectures): ConvNormAct = conv (with bias) -> IN ->
 * LReLU, and StackedConvBlocks = several of them, the first one possibly strided. Child names follow
 * nnU-Net (`convs.{j}.conv`, `convs.{j}.norm`) so its checkpoints map onto ours by name.
 */
import { type Generator, type Tensor } from '../../tensor/index.js';
import { Conv3d, InstanceNorm3d, Module, Sequential, chain, onnxChain, onnxLeakyRelu } from '../../nn/index.js';
import type { OnnxGraphBuilder } from '../../util/onnx_graph.js';
import { type FeatureShape, type ShapedBlock, type Triple, LRELU_SLOPE, convShape, featureBytes } from '../shapes.js';

/** LReLU with PSP-Seg's and nnU-Net's slope, as a step of a chain. */
export const leakyRelu = (x: Tensor): Tensor => x.leakyRelu(LRELU_SLOPE);
/** Its ONNX node. */
export const onnxLeaky = (g: OnnxGraphBuilder, x: string, name: string): string => onnxLeakyRelu(g, x, name, LRELU_SLOPE);

export class ConvNormAct extends Module implements ShapedBlock {
  readonly conv: Conv3d;
  readonly norm: InstanceNorm3d;

  constructor(inChannels: number, outChannels: number, kernel: Triple, stride: Triple, o: { normAffine: boolean; generator?: Generator }) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(inChannels, outChannels, kernel, { stride, generator: o.generator }));
    this.norm = this.registerModule('norm', new InstanceNorm3d(outChannels, { affine: o.normAffine, eps: 1e-5 }));
  }

  forward(x: Tensor): Tensor {
    return chain(x, this.conv, this.norm, leakyRelu);
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    return onnxChain(g, x, name, { conv: this.conv, norm: this.norm, act: onnxLeaky });
  }

  outputShape(input: FeatureShape): FeatureShape {
    if (input[0] !== this.conv.inChannels) throw new Error(`ConvNormAct(${this.conv.inChannels}): input has ${input[0]} channels`);
    return convShape(this.conv, input);
  }

  /** conv output (saved by IN), IN output (saved by LReLU), the output (saved by the next conv). */
  activationBytes(input: FeatureShape, batch: number): number {
    return 3 * featureBytes(this.outputShape(input), batch);
  }
}

export class StackedConvBlocks extends Module implements ShapedBlock {
  readonly convs: Sequential;
  private readonly blocks: ConvNormAct[];

  constructor(n: number, inChannels: number, outChannels: number, kernel: Triple, firstStride: Triple,
    o: { normAffine: boolean; generator?: Generator }) {
    super();
    this.blocks = Array.from({ length: n }, (_, j) =>
      new ConvNormAct(j === 0 ? inChannels : outChannels, outChannels, kernel, j === 0 ? firstStride : [1, 1, 1], o));
    this.convs = this.registerModule('convs', new Sequential(...this.blocks));
  }

  forward(x: Tensor): Tensor { return this.convs.forward(x); }
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string { return onnxChain(g, x, name, { convs: this.convs }); }

  outputShape(input: FeatureShape): FeatureShape {
    return this.blocks.reduce((s, b) => b.outputShape(s), input);
  }

  activationBytes(input: FeatureShape, batch: number): number {
    let s = input, n = 0;
    for (const b of this.blocks) { n += b.activationBytes(s, batch); s = b.outputShape(s); }
    return n;
  }
}
