/** The layers pspseg's networks are built from. */
import { F, type Generator, type Tensor, empty, ones, zeros } from '../tensor/index.js';
import { Module } from './module.js';
import { chain } from './chain.js';
import { kaimingNormal_ } from './init.js';

import type { Triple } from '../util/triple.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';

export type { Triple };
const triple = (v: number | Triple): Triple => (typeof v === 'number' ? [v, v, v] : v);

export interface Conv3dOptions {
  stride?: number | Triple;
  /** Default: k // 2 per axis ("same" for odd kernels and stride 1). */
  padding?: number | Triple;
  dilation?: number | Triple;
  groups?: number;
  bias?: boolean;
  generator?: Generator;
}

export class Conv3d extends Module {
  readonly kernel: Triple;
  readonly stride: Triple;
  readonly padding: Triple;
  readonly dilation: Triple;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: number | Triple, o: Conv3dOptions = {}) {
    super();
    this.kernel = triple(kernel);
    this.stride = triple(o.stride ?? 1);
    this.padding = o.padding === undefined ? (this.kernel.map((k) => Math.floor(k / 2)) as Triple) : triple(o.padding);
    this.dilation = triple(o.dilation ?? 1);
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups)
      throw new Error(`Conv3d: channels ${inChannels}->${outChannels} not divisible by groups ${this.groups}`);
    const w = empty([outChannels, inChannels / this.groups, ...this.kernel]);
    this.registerParameter('weight', kaimingNormal_(w, 0.01, o.generator));
    if (o.bias ?? true) this.registerParameter('bias', zeros([outChannels]));
  }

  forward(x: Tensor): Tensor {
    return F.conv3d(x, this.param('weight'), this.maybeParam('bias'), {
      stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups,
    });
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const inputs = [x, this.onnxWeight(g, name, 'weight')];
    if (this.maybeParam('bias')) inputs.push(this.onnxWeight(g, name, 'bias'));
    return g.node('Conv', inputs, {
      kernel_shape: [...this.kernel], strides: [...this.stride], pads: [...this.padding, ...this.padding], dilations: [...this.dilation], group: this.groups,
    }, name);
  }

  /** Output spatial size for an input spatial size (planning and memory estimates use it). */
  outputShape(input: Triple): Triple {
    return input.map((n, i) => Math.floor((n + 2 * this.padding[i] - this.dilation[i] * (this.kernel[i] - 1) - 1) / this.stride[i]) + 1) as Triple;
  }
}

export class ConvTranspose3d extends Module {
  readonly kernel: Triple;
  readonly stride: Triple;
  readonly padding: Triple;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: number | Triple,
    o: { stride?: number | Triple; padding?: number | Triple; bias?: boolean; generator?: Generator } = {}) {
    super();
    this.kernel = triple(kernel);
    this.stride = triple(o.stride ?? 1);
    this.padding = triple(o.padding ?? 0);
    this.registerParameter('weight', kaimingNormal_(empty([inChannels, outChannels, ...this.kernel]), 0.01, o.generator));
    if (o.bias ?? true) this.registerParameter('bias', zeros([outChannels]));
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose3d(x, this.param('weight'), this.maybeParam('bias'), { stride: this.stride, padding: this.padding });
  }

  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const inputs = [x, this.onnxWeight(g, name, 'weight')];
    if (this.maybeParam('bias')) inputs.push(this.onnxWeight(g, name, 'bias'));
    return g.node('ConvTranspose', inputs, { kernel_shape: [...this.kernel], strides: [...this.stride], pads: [...this.padding, ...this.padding] }, name);
  }
}

/** Instance norm (nnU-Net: affine, eps 1e-5, no running statistics). */
export class InstanceNorm3d extends Module {
  constructor(readonly channels: number, readonly o: { affine?: boolean; eps?: number } = {}) {
    super();
    if (o.affine ?? true) {
      this.registerParameter('weight', ones([channels]));
      this.registerParameter('bias', zeros([channels]));
    }
  }
  forward(x: Tensor): Tensor {
    return F.instanceNorm(x, { weight: this.maybeParam('weight'), bias: this.maybeParam('bias'), eps: this.o.eps ?? 1e-5 });
  }

  /** ONNX's InstanceNormalization always takes a scale and a bias: ones and zeros when not affine. */
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    const affine = this.maybeParam('weight') !== null;
    const scale = affine ? this.onnxWeight(g, name, 'weight') : g.constant(`${name}.ones`, [this.channels], new Float32Array(this.channels).fill(1));
    const bias = affine ? this.onnxWeight(g, name, 'bias') : g.constant(`${name}.zeros`, [this.channels], new Float32Array(this.channels));
    return g.node('InstanceNormalization', [x, scale, bias], { epsilon: this.o.eps ?? 1e-5 }, name, ['epsilon']);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) { super(); }
  forward(x: Tensor): Tensor { return x.leakyRelu(this.slope); }
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string { return onnxLeakyRelu(g, x, name, this.slope); }
}

export function onnxLeakyRelu(g: OnnxGraphBuilder, x: string, name: string, slope: number): string {
  return g.node('LeakyRelu', [x], { alpha: slope }, name, ['alpha']);
}

/** Runs its children in order, each intermediate freed once the next child has it (see chain.ts). */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    // The children now, not at construction: deleteModule may have removed some.
    return chain(x, ...this.namedChildren().map(([, m]) => m as Module));
  }
  override exportOnnx(g: OnnxGraphBuilder, x: string, name: string): string {
    return this.namedChildren().reduce((v, [child, m]) => m.exportOnnx(g, v, `${name}.${child}`), x);
  }
}
